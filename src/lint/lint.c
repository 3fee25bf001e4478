/*
 * lint.c - the engine: every rule over every statement of a script, with
 * the -- strata:allow comments and the [lint] settings applied.
 */
#include "../compat.h"
#include "engine.h"
#include "../core/config.h"
#include "../core/source.h"
#include "../sql/parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <stdarg.h>

/* ---- the engine's own rules --------------------------------------------- */

static const struct lint_rule syntax_error = {
	"syntax-error", LINT_ERROR,
	"the file does not parse",
	"PostgreSQL's own parser rejects the file, so the server would too: "
	"the migration would fail at this statement. Nothing else in the file "
	"can be checked until it parses.",
	NULL, NULL,
};

static const struct lint_rule allow_without_reason = {
	"allow-without-reason", LINT_ERROR,
	"a -- strata:allow comment gives no reason",
	"A suppression is a decision someone made about production: the "
	"comment must say why the finding is acceptable here (the table is "
	"small, the deploy runs in a maintenance window...), so that the next "
	"reader can judge it. Write the reason after the rule id.",
	"-- strata:allow require-concurrent-index-creation audit_log has 200 rows\n"
	"CREATE INDEX audit_log_at ON audit_log (at);",
	NULL,
};

static const struct lint_rule unknown_rule = {
	"unknown-rule", LINT_WARNING,
	"a -- strata:allow comment names no known rule",
	"The rule id in the comment matches no rule, so it suppresses "
	"nothing: usually a typo, or a rule renamed. 'strata lint --rules' "
	"lists the ids.",
	NULL, NULL,
};

static const struct lint_rule *const lint_rules_engine[] = {
	&syntax_error, &allow_without_reason, &unknown_rule, NULL,
};

/*
 * The one place the groups of rules are gathered. A new group file adds
 * its array here (and its extern in lint.h).
 */
static const struct lint_rule *const *const groups[] = {
	lint_rules_engine,
	lint_rules_locking,
	NULL,
};

size_t lint_rule_count(void)
{
	size_t n = 0;

	for (size_t g = 0; groups[g]; g++)
		for (size_t i = 0; groups[g][i]; i++)
			n++;
	return n;
}

const struct lint_rule *lint_rule_at(size_t k)
{
	for (size_t g = 0; groups[g]; g++)
		for (size_t i = 0; groups[g][i]; i++)
			if (!k--)
				return groups[g][i];
	return NULL;
}

static long rule_index(const struct lint_rule *r)
{
	size_t k = 0;

	for (size_t g = 0; groups[g]; g++)
		for (size_t i = 0; groups[g][i]; i++, k++)
			if (groups[g][i] == r)
				return (long)k;
	return -1;
}

const struct lint_rule *lint_rule_find(const char *id)
{
	for (size_t g = 0; groups[g]; g++)
		for (size_t i = 0; groups[g][i]; i++)
			if (!strcmp(groups[g][i]->id, id))
				return groups[g][i];
	return NULL;
}

const char *lint_severity_name(int sev)
{
	switch (sev) {
	case LINT_ERROR: return "error";
	case LINT_WARNING: return "warning";
	case LINT_INFO: return "info";
	}
	return "off";
}

int lint_parse_pg_version(const char *s)
{
	char *end;
	long major = strtol(s, &end, 10), minor = 0;

	if (end == s || major < 0)
		return -1;
	if (*end == '.') {
		const char *m = end + 1;
		minor = strtol(m, &end, 10);
		if (end == m || minor < 0 || minor > 99)
			return -1;
	}
	if (*end)
		return -1;
	if (major >= 90000 && major < 1000000 && !minor)
		return (int)major;	/* already 150000 */
	if (major >= 10 && major <= 99 && !minor)
		return (int)major * 10000;
	if (major == 9 && minor >= 0)
		return 90000 + (int)minor * 100;
	return -1;
}

/* ---- settings ----------------------------------------------------------- */

void linter_init(struct linter *l, int pg_version, bool strata_lock_timeout)
{
	size_t n = lint_rule_count();

	memset(l, 0, sizeof(*l));
	l->pg_version = pg_version;
	l->strata_lock_timeout = strata_lock_timeout;
	l->severity = xcalloc(n, sizeof(*l->severity));
	for (size_t i = 0; i < n; i++)
		l->severity[i] = (int)lint_rule_at(i)->severity;
}

void linter_fingerprint(const struct linter *l, char fp[17])
{
	struct strbuf sb = STRBUF_INIT;
	char sum[65];

	strbuf_addf(&sb, "strata %s; pg %d; lock_timeout %d;", STRATA_VERSION,
		    l->pg_version, l->strata_lock_timeout ? 1 : 0);
	for (size_t i = 0; i < lint_rule_count(); i++)
		strbuf_addf(&sb, " %s=%d", lint_rule_at(i)->id, l->severity[i]);
	checksum_text(sb.buf, sb.len, sum);
	memcpy(fp, sum, 16);
	fp[16] = '\0';
	strbuf_release(&sb);
}

/* Set 'sev' for every rule id of the comma-separated 'list'. */
static int set_rules(struct linter *l, const struct config *c, const char *key,
		     const char *list, int sev)
{
	const char *p = list;

	while (p && *p) {
		size_t n;
		char *id;
		const struct lint_rule *r;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (!n)
			break;
		id = xstrndup(p, n);
		p += n;
		r = lint_rule_find(id);
		if (!r || r == &syntax_error) {
			err_set_kind("config");
			error("%s: [lint] %s: %s '%s'", c->config_path ? c->config_path : "strata.ini",
			      key, r ? "this rule cannot be changed:" : "unknown rule", id);
			hint("'strata lint --rules' lists the rule ids");
			free(id);
			return -1;
		}
		l->severity[rule_index(r)] = sev;
		free(id);
	}
	return 0;
}

int linter_configure(struct linter *l, const struct config *c)
{
	/* severities first, so that 'disable' wins over a severity */
	if (set_rules(l, c, "error", c->lint_error, LINT_ERROR) ||
	    set_rules(l, c, "warning", c->lint_warning, LINT_WARNING) ||
	    set_rules(l, c, "info", c->lint_info, LINT_INFO) ||
	    set_rules(l, c, "disable", c->lint_disable, LINT_SEVERITY_OFF))
		return -1;
	return 0;
}

void linter_release(struct linter *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free(l->f[i].path);
		free(l->f[i].message);
		free(l->f[i].source);
	}
	free(l->f);
	free(l->severity);
	memset(l, 0, sizeof(*l));
}

size_t linter_count(const struct linter *l, enum lint_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr; i++)
		n += l->f[i].severity == sev;
	return n;
}

/* ---- one script ---------------------------------------------------------- */

/* A "-- strata:allow RULE reason" comment that applies to a statement. */
struct allow {
	const char *id;
	size_t id_len;
	bool reason;
	size_t off;	/* of the comment, for findings about it */
};

/* The state of linting one script; lint_ctx.engine points here. */
struct run {
	struct linter *l;
	const struct script *s;
	struct sql_tree t;
	size_t seq;
	struct allow *allows;	/* of the statement being checked */
	size_t nr_allows, alloc_allows;
};

/* Record a finding of 'r' at byte 'off' of the script, unless it is off. */
static void add_finding(struct run *run, const struct lint_rule *r, size_t off,
			char *msg)
{
	struct linter *l = run->l;
	int sev = l->severity[rule_index(r)];
	struct lint_finding *f;

	if (sev == LINT_SEVERITY_OFF) {
		free(msg);
		return;
	}
	ALLOC_GROW(l->f, l->nr + 1, l->alloc);
	f = &l->f[l->nr++];
	f->rule = r;
	f->severity = (enum lint_severity)sev;
	f->path = xstrdup(run->s->path);
	f->message = msg;
	f->file_no = l->nr_files;
	f->off = off;
	f->seq = run->seq++;
	script_position(run->s, off, &f->line, &f->col, &f->source);
}

void lint_report(struct lint_ctx *c, int location, const char *fmt, ...)
{
	struct run *run = c->engine;
	struct strbuf msg = STRBUF_INIT;
	size_t off = location < 0 ? c->stmt->off :
		     sql_tree_offset(&run->t, (size_t)location);
	va_list ap;

	for (size_t i = 0; i < run->nr_allows; i++) {
		const struct allow *a = &run->allows[i];
		if (a->id_len == strlen(c->rule->id) &&
		    !memcmp(a->id, c->rule->id, a->id_len))
			return;	/* suppressed; a missing reason is reported apart */
	}
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	add_finding(run, c->rule, off, strbuf_detach(&msg, NULL));
}

/* Start of the line holding byte 'off'. */
static size_t bol(const char *t, size_t off)
{
	while (off > 0 && t[off - 1] != '\n')
		off--;
	return off;
}

static size_t eol(const char *t, size_t len, size_t off)
{
	while (off < len && t[off] != '\n')
		off++;
	return off;
}

/* Take the "-- strata:allow" comment on the line [from, to), if any. */
static void find_allow(struct run *run, size_t from, size_t to)
{
	static const char tag[] = "strata:allow";
	const char *t = run->s->text;
	struct allow *a;
	size_t p, q;

	for (p = from; p + 1 < to; p++)
		if (t[p] == '-' && t[p + 1] == '-')
			break;
	if (p + 1 >= to)
		return;
	q = p + 2;
	while (q < to && (t[q] == ' ' || t[q] == '\t'))
		q++;
	if (to - q < sizeof(tag) - 1 || memcmp(t + q, tag, sizeof(tag) - 1))
		return;
	q += sizeof(tag) - 1;
	ALLOC_GROW(run->allows, run->nr_allows + 1, run->alloc_allows);
	a = &run->allows[run->nr_allows++];
	a->off = p;
	while (q < to && (t[q] == ' ' || t[q] == '\t'))
		q++;
	a->id = t + q;
	while (q < to && t[q] != ' ' && t[q] != '\t' && t[q] != '\r')
		q++;
	a->id_len = (size_t)(t + q - a->id);
	while (q < to && (t[q] == ' ' || t[q] == '\t' || t[q] == '\r'))
		q++;
	a->reason = q < to;
}

/* Is [from, to) a line holding only a "--" comment? */
static bool comment_line(const char *t, size_t from, size_t to)
{
	while (from < to && (t[from] == ' ' || t[from] == '\t'))
		from++;
	return from + 1 < to && t[from] == '-' && t[from + 1] == '-';
}

/*
 * The allow comments of the statement at 'off': on its first line, and on
 * the comment lines right above it. Each one is checked here: an unknown
 * rule id and a missing reason are findings of their own.
 */
static void collect_allows(struct run *run, size_t off)
{
	const char *t = run->s->text;
	size_t len = run->s->len, line = bol(t, off);

	run->nr_allows = 0;
	find_allow(run, line, eol(t, len, off));
	while (line > 0) {
		size_t prev = bol(t, line - 1);
		if (!comment_line(t, prev, line - 1))
			break;
		find_allow(run, prev, line - 1);
		line = prev;
	}
	for (size_t i = 0; i < run->nr_allows; i++) {
		const struct allow *a = &run->allows[i];
		char *id = xstrndup(a->id, a->id_len);
		if (!a->id_len)
			add_finding(run, &unknown_rule, a->off,
				    xstrdup("'strata:allow' names no rule"));
		else if (!lint_rule_find(id))
			add_finding(run, &unknown_rule, a->off,
				    xasprintf("no rule '%s' to allow", id));
		else if (!a->reason)
			add_finding(run, &allow_without_reason, a->off,
				    xasprintf("'strata:allow %s' needs a reason after the rule id", id));
		free(id);
	}
}

/* Does the file run inside strata's transaction? (runner.c classify_step) */
static bool runs_in_transaction(const struct sql_tree *t, bool no_transaction)
{
	if (t->nr_tx_control || no_transaction)
		return false;
	return !(t->nr_no_tx && t->nr_no_tx == t->nr);
}

/* Every rule on every statement of the parsed script. */
static void check_stmts(struct run *run, bool down)
{
	struct linter *l = run->l;
	struct lint_stmt *stmts = xcalloc(run->t.nr ? run->t.nr : 1, sizeof(*stmts));
	struct lint_ctx c = { 0 };
	size_t n = lint_rule_count();

	for (size_t i = 0; i < run->t.nr; i++) {
		stmts[i].node = run->t.stmts[i].node;
		stmts[i].text = run->t.sql + run->t.stmts[i].loc;
		stmts[i].off = run->t.stmts[i].off;
		stmts[i].len = run->t.stmts[i].len;
	}
	c.path = run->s->path;
	c.stmts = stmts;
	c.nr_stmts = run->t.nr;
	c.in_transaction = runs_in_transaction(&run->t, run->s->no_transaction);
	c.down = down;
	c.pg_version = l->pg_version;
	c.strata_lock_timeout = l->strata_lock_timeout;
	c.engine = run;
	for (size_t i = 0; i < run->t.nr; i++) {
		c.index = i;
		c.stmt = &stmts[i];
		collect_allows(run, stmts[i].off);
		for (size_t k = 0; k < n; k++) {
			const struct lint_rule *r = lint_rule_at(k);
			if (!r->check || l->severity[k] == LINT_SEVERITY_OFF)
				continue;
			c.rule = r;
			r->check(&c);
		}
	}
	l->nr_stmts += run->t.nr;
	free(stmts);
}

void lint_script(struct linter *l, const struct script *s, bool down)
{
	struct run run = { 0 };
	struct parse_error e;

	run.l = l;
	run.s = s;
	if (sql_parse_tree(s->text, s->len, &run.t, &e)) {
		add_finding(&run, &syntax_error, e.off,
			    xstrdup(e.msg ? e.msg : "syntax error"));
		free(e.msg);
	} else {
		check_stmts(&run, down);
	}
	sql_tree_release(&run.t);
	free(run.allows);
	l->nr_files++;
}

void lint_text(struct linter *l, const char *path, const char *text,
	       size_t len, bool no_transaction, bool down)
{
	struct script s = { 0 };

	s.path = (char *)path;
	s.text = (char *)text;
	s.len = len;
	s.first_line = 1;
	s.no_transaction = no_transaction;
	lint_script(l, &s, down);
}

int lint_migration(struct linter *l, const struct source *src,
		   const struct migration *m, bool up, bool down)
{
	int ret = 0;

	for (int side = 0; side < 2; side++) {
		struct script s;
		if (!(side ? down && m->down_file : up))
			continue;
		if (script_read(src, m, side, &s))
			ret = -1;
		else if (s.text)
			lint_script(l, &s, side);
		script_release(&s);
	}
	return ret;
}

/* ---- helpers for rules -------------------------------------------------- */

const void *lint_node_(const PgQuery__Node *n, PgQuery__Node__NodeCase kind)
{
	if (!n || n->node_case != kind)
		return NULL;
	/* every member of the union is a pointer to the payload */
	return n->alias;
}

const char *lint_str(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

const char *lint_last_name(PgQuery__Node *const *names, size_t n)
{
	return n ? lint_str(names[n - 1]) : NULL;
}

/* The relation a statement creates, or NULL. */
static const PgQuery__RangeVar *created_by(const PgQuery__Node *n)
{
	const PgQuery__CreateStmt *cs = lint_node(n, CREATE_STMT);
	const PgQuery__CreateTableAsStmt *ctas = lint_node(n, CREATE_TABLE_AS_STMT);
	const PgQuery__SelectStmt *sel = lint_node(n, SELECT_STMT);

	if (cs)
		return cs->relation;
	if (ctas && ctas->into)
		return ctas->into->rel;
	if (sel && sel->into_clause)
		return sel->into_clause->rel;
	return NULL;
}

static bool same_name(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

bool lint_created_earlier(const struct lint_ctx *c, const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return false;
	for (size_t i = 0; i < c->index; i++) {
		const PgQuery__RangeVar *made = created_by(c->stmts[i].node);
		if (!made || !same_name(made->relname, rv->relname))
			continue;
		if (made->schemaname && *made->schemaname && rv->schemaname &&
		    *rv->schemaname && strcmp(made->schemaname, rv->schemaname))
			continue;
		return true;
	}
	return false;
}

/* Visit every message field of 'm', repeated or single, set oneof only. */
static bool walk_msg(const ProtobufCMessage *m,
		     bool (*fn)(const PgQuery__Node *n, void *arg), void *arg)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	if (d == &pg_query__node__descriptor && fn((const PgQuery__Node *)m, arg))
		return true;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(const void *)(base + f->quantifier_offset);
			ProtobufCMessage *const *arr =
				*(ProtobufCMessage *const *const *)(const void *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				if (arr[k] && walk_msg(arr[k], fn, arg))
					return true;
		} else {
			const ProtobufCMessage *sub;
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id)
				continue;
			sub = *(ProtobufCMessage *const *)(const void *)(base + f->offset);
			if (sub && walk_msg(sub, fn, arg))
				return true;
		}
	}
	return false;
}

bool lint_walk(const PgQuery__Node *n,
	       bool (*fn)(const PgQuery__Node *n, void *arg), void *arg)
{
	return n && walk_msg(&n->base, fn, arg);
}

long lint_int(const PgQuery__Node *n)
{
	const PgQuery__AConst *c = lint_node(n, A_CONST);
	const PgQuery__Integer *i = lint_node(n, INTEGER);

	if (c && c->val_case == PG_QUERY__A__CONST__VAL_IVAL && c->ival)
		return c->ival->ival;
	return i ? i->ival : -1;
}

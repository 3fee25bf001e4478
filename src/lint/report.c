/*
 * report.c - the findings of a linter in text, JSON, GitHub workflow
 * commands and SARIF 2.1.0.
 */
#include "../compat.h"
#include "engine.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

static int by_place(const void *a, const void *b)
{
	const struct lint_finding *x = a, *y = b;

	if (x->file_no != y->file_no)
		return x->file_no < y->file_no ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void linter_sort(struct linter *l)
{
	if (l->nr > 1)
		qsort(l->f, l->nr, sizeof(*l->f), by_place);
}

static const char *severity_color(enum lint_severity s)
{
	return s == LINT_ERROR ? c_red() : s == LINT_WARNING ? c_yellow() : c_cyan();
}

/*
 * The caret under column 'col' (in characters) of 'line': tabs stay tabs
 * so that it lines up whatever the tab width.
 */
static void add_caret(struct strbuf *sb, const char *line, int col)
{
	const unsigned char *p = (const unsigned char *)line;

	for (int c = 1; c < col && *p; c++) {
		strbuf_addch(sb, *p == '\t' ? '\t' : ' ');
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
	}
	strbuf_addf(sb, "%s^%s", c_green(), c_reset());
}

void lint_format_text(const struct linter *l, struct strbuf *sb)
{
	for (size_t i = 0; i < l->nr; i++) {
		const struct lint_finding *f = &l->f[i];
		strbuf_addf(sb, "%s%s:%d:%d:%s %s%s%s:%s %s %s[%s]%s\n",
			    c_bold(), f->path, f->line, f->col, c_reset(),
			    c_bold(), severity_color(f->severity),
			    lint_severity_name(f->severity), c_reset(), f->message,
			    c_dim(), f->rule->id, c_reset());
		strbuf_addf(sb, "%5d | %s\n      | ", f->line, f->source);
		add_caret(sb, f->source, f->col);
		strbuf_addch(sb, '\n');
	}
}

/* GitHub's workflow commands escape %, CR and LF, and also , and : in properties. */
static void gh_escape(struct strbuf *sb, const char *s, bool property)
{
	for (; *s; s++) {
		if (*s == '%')
			strbuf_addstr(sb, "%25");
		else if (*s == '\r')
			strbuf_addstr(sb, "%0D");
		else if (*s == '\n')
			strbuf_addstr(sb, "%0A");
		else if (property && *s == ':')
			strbuf_addstr(sb, "%3A");
		else if (property && *s == ',')
			strbuf_addstr(sb, "%2C");
		else
			strbuf_addch(sb, *s);
	}
}

void lint_format_github(const struct linter *l, struct strbuf *sb)
{
	for (size_t i = 0; i < l->nr; i++) {
		const struct lint_finding *f = &l->f[i];
		strbuf_addf(sb, "::%s file=", f->severity == LINT_ERROR ? "error" :
			    f->severity == LINT_WARNING ? "warning" : "notice");
		gh_escape(sb, f->path, true);
		strbuf_addf(sb, ",line=%d,col=%d,title=", f->line, f->col);
		gh_escape(sb, f->rule->id, true);
		strbuf_addstr(sb, "::");
		gh_escape(sb, f->message, false);
		strbuf_addch(sb, '\n');
	}
}

void lint_format_json(const struct linter *l, struct json *j)
{
	json_key(j, "findings");
	json_arr_begin(j);
	for (size_t i = 0; i < l->nr; i++) {
		const struct lint_finding *f = &l->f[i];
		json_obj_begin(j);
		json_kstr(j, "file", f->path);
		json_kint(j, "line", f->line);
		json_kint(j, "column", f->col);
		json_kstr(j, "severity", lint_severity_name(f->severity));
		json_kstr(j, "rule", f->rule->id);
		json_kstr(j, "message", f->message);
		json_kstr(j, "source", f->source);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kint(j, "errors", (long long)linter_count(l, LINT_ERROR));
	json_kint(j, "warnings", (long long)linter_count(l, LINT_WARNING));
	json_kint(j, "infos", (long long)linter_count(l, LINT_INFO));
	json_kint(j, "files", (long long)l->nr_files);
	json_kint(j, "statements", (long long)l->nr_stmts);
}

/* The full help of a rule: explanation, then the safe way. */
static void rule_help(const struct lint_rule *r, struct strbuf *sb)
{
	strbuf_addstr(sb, r->explanation);
	if (r->safe_sql)
		strbuf_addf(sb, "\n\nSafe alternative:\n%s", r->safe_sql);
}

static const char *sarif_level(int sev)
{
	return sev == LINT_ERROR ? "error" : sev == LINT_WARNING ? "warning" : "note";
}

/* tool.driver.rules: every rule, so that results can point at theirs. */
static void sarif_rules(const struct linter *l, struct json *j)
{
	struct strbuf help = STRBUF_INIT;

	json_key(j, "rules");
	json_arr_begin(j);
	for (size_t k = 0; k < lint_rule_count(); k++) {
		const struct lint_rule *r = lint_rule_at(k);
		strbuf_reset(&help);
		rule_help(r, &help);
		json_obj_begin(j);
		json_kstr(j, "id", r->id);
		json_key(j, "shortDescription");
		json_obj_begin(j);
		json_kstr(j, "text", r->summary);
		json_obj_end(j);
		json_key(j, "fullDescription");
		json_obj_begin(j);
		json_kstr(j, "text", r->explanation);
		json_obj_end(j);
		json_key(j, "help");
		json_obj_begin(j);
		json_kstr(j, "text", help.buf);
		json_obj_end(j);
		json_key(j, "defaultConfiguration");
		json_obj_begin(j);
		json_kstr(j, "level", l->severity[k] < 0 ? "none" : sarif_level(l->severity[k]));
		json_obj_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	strbuf_release(&help);
}

static long index_of(const struct lint_rule *r)
{
	for (size_t k = 0; k < lint_rule_count(); k++)
		if (lint_rule_at(k) == r)
			return (long)k;
	return -1;
}

static void sarif_result(const struct lint_finding *f, struct json *j)
{
	json_obj_begin(j);
	json_kstr(j, "ruleId", f->rule->id);
	json_kint(j, "ruleIndex", index_of(f->rule));
	json_kstr(j, "level", sarif_level(f->severity));
	json_key(j, "message");
	json_obj_begin(j);
	json_kstr(j, "text", f->message);
	json_obj_end(j);
	json_key(j, "locations");
	json_arr_begin(j);
	json_obj_begin(j);
	json_key(j, "physicalLocation");
	json_obj_begin(j);
	json_key(j, "artifactLocation");
	json_obj_begin(j);
	json_kstr(j, "uri", f->path);
	json_obj_end(j);
	json_key(j, "region");
	json_obj_begin(j);
	json_kint(j, "startLine", f->line);
	json_kint(j, "startColumn", f->col);
	json_obj_end(j);
	json_obj_end(j);
	json_obj_end(j);
	json_arr_end(j);
	json_obj_end(j);
}

void lint_format_sarif(const struct linter *l, struct strbuf *sb)
{
	struct json j;

	json_init(&j, sb);
	json_obj_begin(&j);
	json_kstr(&j, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	json_kstr(&j, "version", "2.1.0");
	json_key(&j, "runs");
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_key(&j, "tool");
	json_obj_begin(&j);
	json_key(&j, "driver");
	json_obj_begin(&j);
	json_kstr(&j, "name", "strata lint");
	sarif_rules(l, &j);
	json_obj_end(&j);
	json_obj_end(&j);
	json_key(&j, "results");
	json_arr_begin(&j);
	for (size_t i = 0; i < l->nr; i++)
		sarif_result(&l->f[i], &j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_obj_end(&j);
}

void lint_format_rule(const struct lint_rule *r, struct strbuf *sb)
{
	strbuf_addf(sb, "%s%s%s (%s): %s\n\n", c_bold(), r->id, c_reset(),
		    lint_severity_name(r->severity), r->summary);
	rule_help(r, sb);
	strbuf_addch(sb, '\n');
}

/*
 * diff.c - compare two schema models object by object (see diff.h).
 *
 * Both models are looked at through arrays of pointers sorted by identity
 * (schema_object_identity_cmp), walked together: an object on one side
 * only is missing or extra, one on both sides with another definition is
 * changed. Definitions are the server's own text, so equal text means an
 * equal object; what differs is then put in words: for a column, which of
 * its parts (type, collation, default, NOT NULL, generated, identity);
 * for anything else, the first lines that differ.
 */
#include "../compat.h"
#include "diff.h"
#include "catalog.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"

/* At most this many lines of each side in an excerpt. */
#define EXCERPT_LINES 4

static int identity_ptr_cmp(const void *pa, const void *pb)
{
	const struct schema_object *const *a = pa, *const *b = pb;

	return schema_object_identity_cmp(*a, *b);
}

/* The objects of 'm' in identity order (the caller frees the array). */
static const struct schema_object **by_identity(const struct schema_model *m)
{
	const struct schema_object **p = xcalloc(m->nr ? m->nr : 1, sizeof(*p));

	for (size_t i = 0; i < m->nr; i++)
		p[i] = &m->obj[i];
	if (m->nr)
		qsort(p, m->nr, sizeof(*p), identity_ptr_cmp);
	return p;
}

static bool streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool is_relation(const char *kind)
{
	return !strcmp(kind, "table") || !strcmp(kind, "view") ||
	       !strcmp(kind, "materialized view");
}

/* "column public.users.email", "index public.i on public.t", "schema app" */
static void object_label(const struct schema_object *o, struct strbuf *sb)
{
	if (!strcmp(o->kind, "column")) {
		strbuf_addf(sb, "column %s.%s.%s", o->schema, o->table, o->name);
		return;
	}
	if (!strcmp(o->kind, "comment")) {
		strbuf_addf(sb, "comment on %s", o->name);
		return;
	}
	strbuf_addf(sb, "%s ", o->kind);
	if (o->schema)
		strbuf_addf(sb, "%s.", o->schema);
	strbuf_addstr(sb, o->name);
	if (o->table)
		strbuf_addf(sb, " on %s.%s", o->schema ? o->schema : "", o->table);
}

static struct schema_finding *add_finding(struct schema_diff *d, enum schema_change c,
					  const struct schema_object *o)
{
	struct schema_finding *f;

	ALLOC_GROW(d->f, d->nr + 1, d->alloc);
	f = &d->f[d->nr++];
	memset(f, 0, sizeof(*f));
	f->change = c;
	f->kind = xstrdup(o->kind);
	f->schema = o->schema ? xstrdup(o->schema) : NULL;
	f->name = xstrdup(o->name);
	f->table = o->table ? xstrdup(o->table) : NULL;
	return f;
}

/* ---- lines ------------------------------------------------------------- */

struct lines {
	const char **at;	/* start of each line (not NUL-terminated) */
	size_t *len;
	size_t nr, alloc, len_alloc;
};

static void lines_split(const char *text, struct lines *l)
{
	const char *p = text;

	memset(l, 0, sizeof(*l));
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		ALLOC_GROW(l->at, l->nr + 1, l->alloc);
		ALLOC_GROW(l->len, l->nr + 1, l->len_alloc);
		l->at[l->nr] = p;
		l->len[l->nr++] = n;
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void lines_release(struct lines *l)
{
	free(l->at);
	free(l->len);
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t k)
{
	return a->len[i] == b->len[k] && !memcmp(a->at[i], b->at[k], a->len[i]);
}

/* Lines first..end-1 of 'l', each after 'mark', at most EXCERPT_LINES. */
static void excerpt_side(const struct lines *l, size_t first, size_t end,
			 const char *mark, struct strbuf *sb)
{
	for (size_t i = first; i < end && i < first + EXCERPT_LINES; i++) {
		strbuf_addstr(sb, mark);
		strbuf_add(sb, l->at[i], l->len[i]);
		strbuf_addch(sb, '\n');
	}
	if (end > first + EXCERPT_LINES)
		strbuf_addf(sb, "%s... (%zu more lines)\n", mark, end - first - EXCERPT_LINES);
}

/*
 * The one region where 'a' and 'b' differ, as "- " and "+ " lines: what
 * is left between their common first and common last lines. Returns the
 * number of common first lines (where the difference starts).
 */
static size_t excerpt(const struct lines *a, const struct lines *b, struct strbuf *sb)
{
	size_t pre = 0, post = 0;

	while (pre < a->nr && pre < b->nr && line_eq(a, pre, b, pre))
		pre++;
	while (post < a->nr - pre && post < b->nr - pre &&
	       line_eq(a, a->nr - 1 - post, b, b->nr - 1 - post))
		post++;
	excerpt_side(a, pre, a->nr - post, "- ", sb);
	excerpt_side(b, pre, b->nr - post, "+ ", sb);
	return pre;
}

/* ---- columns ----------------------------------------------------------- */

/*
 * A column definition taken apart: "name type[ COLLATE c][ DEFAULT e |
 * GENERATED ALWAYS AS (e) STORED][ GENERATED ... AS IDENTITY (...)][ NOT
 * NULL]", as catalog.c writes it. Each part is a copy, NULL when absent.
 */
struct column_parts {
	char *type, *collation, *dflt, *generated, *identity;
	bool not_null;
};

/* Cut 's' at the first (or last) 'marker', keeping what follows it. */
static char *cut_at(char *s, const char *marker, bool last)
{
	char *at = strstr(s, marker), *next;

	if (last)
		while (at && (next = strstr(at + 1, marker)))
			at = next;
	if (!at)
		return NULL;
	*at = '\0';
	return xstrdup(at + 1);
}

static void column_parse(const char *def, struct column_parts *c)
{
	const char *p = def;
	char *rest;

	memset(c, 0, sizeof(*c));
	/* the name: a quoted identifier may hold spaces and "" */
	if (*p == '"') {
		for (p++; *p && !(*p == '"' && p[1] != '"'); p += *p == '"' ? 2 : 1)
			;
		if (*p)
			p++;
	} else {
		while (*p && *p != ' ')
			p++;
	}
	rest = xstrdup(*p == ' ' ? p + 1 : p);
	if (str_ends(rest, " NOT NULL")) {
		c->not_null = true;
		rest[strlen(rest) - strlen(" NOT NULL")] = '\0';
	}
	c->identity = cut_at(rest, " GENERATED ALWAYS AS IDENTITY (", true);
	if (!c->identity)
		c->identity = cut_at(rest, " GENERATED BY DEFAULT AS IDENTITY (", true);
	c->generated = cut_at(rest, " GENERATED ALWAYS AS (", false);
	c->dflt = cut_at(rest, " DEFAULT ", false);
	if (c->dflt)
		memmove(c->dflt, c->dflt + strlen("DEFAULT "), strlen(c->dflt) - strlen("DEFAULT ") + 1);
	c->collation = cut_at(rest, " COLLATE ", false);
	if (c->collation)
		memmove(c->collation, c->collation + strlen("COLLATE "),
			strlen(c->collation) - strlen("COLLATE ") + 1);
	c->type = rest;
}

static void column_parts_release(struct column_parts *c)
{
	free(c->type);
	free(c->collation);
	free(c->dflt);
	free(c->generated);
	free(c->identity);
}

/* ", what A → B", ", what A dropped" or ", what B added" when they differ. */
static void describe_part(struct strbuf *sb, const char *what, const char *a,
			  const char *b, const char *none)
{
	if (streq(a, b))
		return;
	strbuf_addf(sb, ", %s ", what);
	if (a && b)
		strbuf_addf(sb, "%s → %s", a, b);
	else if (none)
		strbuf_addf(sb, "%s → %s", a ? a : none, b ? b : none);
	else
		strbuf_addf(sb, "%s %s", a ? a : b, a ? "dropped" : "added");
}

/* "type text → character varying(10), NOT NULL dropped" */
static void describe_column(const char *a, const char *b, struct strbuf *sb)
{
	struct column_parts pa, pb;
	struct strbuf parts = STRBUF_INIT;

	column_parse(a, &pa);
	column_parse(b, &pb);
	describe_part(&parts, "type", pa.type, pb.type, NULL);
	describe_part(&parts, "collation", pa.collation, pb.collation, "default");
	describe_part(&parts, "default", pa.dflt, pb.dflt, NULL);
	describe_part(&parts, "generated", pa.generated, pb.generated, NULL);
	describe_part(&parts, "identity", pa.identity, pb.identity, NULL);
	if (pa.not_null != pb.not_null)
		strbuf_addf(&parts, ", NOT NULL %s", pa.not_null ? "dropped" : "added");
	if (parts.len)
		strbuf_addstr(sb, parts.buf + 2);
	else	/* the name itself, in a form the parser did not expect */
		strbuf_addf(sb, "%s → %s", a, b);
	strbuf_release(&parts);
	column_parts_release(&pa);
	column_parts_release(&pb);
}

/*
 * A table's definition without its column lines ("    DEF" or "    DEF,"
 * for each column of the table in 'cols'): what is left is the table
 * itself (its kind, partitioning, options, owned sequences).
 */
static char *table_without_columns(const struct schema_object *t,
				   const struct schema_object **cols, size_t nr)
{
	struct lines l;
	struct strbuf sb = STRBUF_INIT;

	lines_split(t->definition, &l);
	for (size_t i = 0; i < l.nr; i++) {
		const char *s = l.at[i];
		size_t n = l.len[i];
		bool is_column = false;
		if (n > 4 && !strncmp(s, "    ", 4)) {
			s += 4;
			n -= 4;
			if (s[n - 1] == ',')
				n--;
			for (size_t k = 0; k < nr && !is_column; k++)
				is_column = strlen(cols[k]->definition) == n &&
					    !memcmp(cols[k]->definition, s, n);
		}
		if (!is_column) {
			strbuf_add(&sb, l.at[i], l.len[i]);
			strbuf_addch(&sb, '\n');
		}
	}
	lines_release(&l);
	return strbuf_detach(&sb, NULL);
}

/* ---- the columns of each table, in their order ------------------------- */

static int column_order_cmp(const void *pa, const void *pb)
{
	const struct schema_object *a = *(const struct schema_object *const *)pa;
	const struct schema_object *b = *(const struct schema_object *const *)pb;
	int c = strcmp(a->schema, b->schema);

	if (!c)
		c = strcmp(a->table, b->table);
	if (!c)
		c = (a->depth > b->depth) - (a->depth < b->depth);
	return c;
}

struct columns {
	const struct schema_object **c;	/* by schema, table, position */
	size_t nr;
};

static void columns_collect(const struct schema_model *m, struct columns *cs)
{
	cs->c = xcalloc(m->nr ? m->nr : 1, sizeof(*cs->c));
	cs->nr = 0;
	for (size_t i = 0; i < m->nr; i++)
		if (!strcmp(m->obj[i].kind, "column") && m->obj[i].schema && m->obj[i].table)
			cs->c[cs->nr++] = &m->obj[i];
	if (cs->nr)
		qsort(cs->c, cs->nr, sizeof(*cs->c), column_order_cmp);
}

/* The columns of table schema.table: *first and the count. */
static size_t columns_of(const struct columns *cs, const char *schema, const char *table,
			 const struct schema_object ***first)
{
	size_t lo = 0, hi = cs->nr, n = 0;

	while (lo < hi) {	/* the first one not before the table */
		size_t mid = (lo + hi) / 2;
		int c = strcmp(cs->c[mid]->schema, schema);
		if (!c)
			c = strcmp(cs->c[mid]->table, table);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = cs->c + lo;
	while (lo + n < cs->nr && !strcmp(cs->c[lo + n]->schema, schema) &&
	       !strcmp(cs->c[lo + n]->table, table))
		n++;
	return n;
}

static bool has_column(const struct schema_object **c, size_t nr, const char *name)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(c[i]->name, name))
			return true;
	return false;
}

static void name_list(const struct schema_object **c, size_t nr, struct strbuf *sb)
{
	for (size_t i = 0; i < nr; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "", c[i]->name);
}

/*
 * Do the columns both sides have come in another order? (A column that
 * one side lacks is a finding of its own, not an order change.)
 */
static bool order_differs(const struct schema_object **a, size_t na,
			  const struct schema_object **b, size_t nb)
{
	size_t i = 0, k = 0;

	for (;;) {
		while (i < na && !has_column(b, nb, a[i]->name))
			i++;
		while (k < nb && !has_column(a, na, b[k]->name))
			k++;
		if (i == na || k == nb)
			return false;
		if (strcmp(a[i]->name, b[k]->name))
			return true;
		i++;
		k++;
	}
}

static void check_column_order(const struct schema_object *table,
			       const struct columns *ca, const struct columns *cb,
			       struct schema_diff *d)
{
	const struct schema_object **a, **b;
	size_t na = columns_of(ca, table->schema, table->name, &a);
	size_t nb = columns_of(cb, table->schema, table->name, &b);
	struct schema_finding *f;
	struct strbuf sb = STRBUF_INIT;

	if (!order_differs(a, na, b, nb))
		return;
	f = add_finding(d, SCHEMA_COLUMN_ORDER, table);
	strbuf_addf(&sb, "column order of %s.%s: ", table->schema, table->name);
	name_list(a, na, &sb);
	strbuf_addstr(&sb, " → ");
	name_list(b, nb, &sb);
	f->text = strbuf_detach(&sb, NULL);
}

/* ---- changed objects --------------------------------------------------- */

/* The line of a function's definition where its body starts. */
static size_t body_line(const struct lines *l)
{
	for (size_t i = 0; i < l->nr; i++)
		if ((l->len[i] >= 3 && !strncmp(l->at[i], "AS ", 3)) ||
		    (l->len[i] >= 12 && !strncmp(l->at[i], "BEGIN ATOMIC", 12)) ||
		    (l->len[i] >= 7 && !strncmp(l->at[i], "RETURN ", 7)))
			return i;
	return l->nr;
}

/* Report the differing lines of 'a' and 'b' as a change of 'o'. */
static void add_text_change(struct schema_diff *d, const struct schema_object *o,
			    const char *a, const char *b)
{
	struct lines la, lb;
	struct strbuf label = STRBUF_INIT, ex = STRBUF_INIT;
	struct schema_finding *f = add_finding(d, SCHEMA_CHANGED, o);
	bool function = !strcmp(o->kind, "function") || !strcmp(o->kind, "procedure");
	size_t from;

	lines_split(a, &la);
	lines_split(b, &lb);
	from = excerpt(&la, &lb, &ex);
	object_label(o, &label);
	strbuf_addstr(&label, function && from >= body_line(&la) && from >= body_line(&lb) ?
		      ": body changed" : ": changed");
	f->text = strbuf_detach(&label, NULL);
	f->excerpt = strbuf_detach(&ex, NULL);
	lines_release(&la);
	lines_release(&lb);
}

static void compare_pair(const struct schema_object *a, const struct schema_object *b,
			 const struct columns *ca, const struct columns *cb,
			 struct schema_diff *d)
{
	if (!strcmp(a->kind, "table"))
		check_column_order(a, ca, cb, d);
	if (!strcmp(a->definition, b->definition))
		return;
	if (!strcmp(a->kind, "column")) {
		struct strbuf sb = STRBUF_INIT;
		struct schema_finding *f = add_finding(d, SCHEMA_CHANGED, a);
		object_label(a, &sb);
		strbuf_addstr(&sb, ": ");
		describe_column(a->definition, b->definition, &sb);
		f->text = strbuf_detach(&sb, NULL);
	} else if (!strcmp(a->kind, "table")) {
		const struct schema_object **c;
		size_t n = columns_of(ca, a->schema, a->name, &c);
		char *ta = table_without_columns(a, c, n), *tb;

		n = columns_of(cb, b->schema, b->name, &c);
		tb = table_without_columns(b, c, n);
		if (strcmp(ta, tb))
			add_text_change(d, a, ta, tb);
		free(ta);
		free(tb);
	} else {
		add_text_change(d, a, a->definition, b->definition);
	}
}

/* ---- the walk ---------------------------------------------------------- */

/* Is 'o' part of a relation in 'gone' (missing or extra as a whole)? */
static bool part_of(const struct schema_object *o, const struct schema_object **gone,
		    size_t nr)
{
	if (!o->table || !o->schema)
		return false;
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(gone[i]->schema, o->schema) && !strcmp(gone[i]->name, o->table))
			return true;
	return false;
}

/*
 * Is 's' a sequence a relation in 'gone' owns (a serial column's)? The
 * table's definition ends with its ALTER SEQUENCE ... OWNED BY.
 */
static bool owned_by(const struct schema_object *s, const struct schema_object **gone,
		     size_t nr)
{
	char *needle;
	bool found = false;

	if (strcmp(s->kind, "sequence") || !s->schema)
		return false;
	needle = xasprintf("\nALTER SEQUENCE %s.%s OWNED BY ", s->schema, s->name);
	for (size_t i = 0; i < nr && !found; i++)
		found = strstr(gone[i]->definition, needle) != NULL;
	free(needle);
	return found;
}

/*
 * The objects of 'p' (n of them) that 'q' (m) lacks, relations among
 * them first noted in 'gone' so that their parts (columns, indexes,
 * constraints, triggers, owned sequences) are left out.
 */
static void one_side(const struct schema_object **p, size_t n,
		     const struct schema_object **q, size_t m,
		     enum schema_change c, struct schema_diff *d)
{
	const struct schema_object **gone = xcalloc(n ? n : 1, sizeof(*gone));
	size_t nr_gone = 0, i = 0, k = 0;
	bool *lacking = xcalloc(n ? n : 1, sizeof(*lacking));

	while (i < n) {
		int cmp = k < m ? schema_object_identity_cmp(p[i], q[k]) : -1;
		if (cmp < 0) {
			lacking[i] = true;
			if (is_relation(p[i]->kind) && p[i]->schema)
				gone[nr_gone++] = p[i];
			i++;
		} else if (cmp > 0) {
			k++;
		} else {
			i++;
			k++;
		}
	}
	for (i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		if (!lacking[i] || part_of(p[i], gone, nr_gone) || owned_by(p[i], gone, nr_gone))
			continue;
		object_label(p[i], &sb);
		strbuf_addstr(&sb, c == SCHEMA_MISSING ? ": missing" : ": extra");
		add_finding(d, c, p[i])->text = strbuf_detach(&sb, NULL);
	}
	free(lacking);
	free(gone);
}

void schema_diff(const struct schema_model *expected,
		 const struct schema_model *found, struct schema_diff *d)
{
	const struct schema_object **a = by_identity(expected), **b = by_identity(found);
	struct columns ca, cb;
	size_t i = 0, k = 0;

	columns_collect(expected, &ca);
	columns_collect(found, &cb);
	one_side(a, expected->nr, b, found->nr, SCHEMA_MISSING, d);
	one_side(b, found->nr, a, expected->nr, SCHEMA_EXTRA, d);
	while (i < expected->nr && k < found->nr) {
		int cmp = schema_object_identity_cmp(a[i], b[k]);
		if (cmp < 0) {
			i++;
		} else if (cmp > 0) {
			k++;
		} else {
			compare_pair(a[i], b[k], &ca, &cb, d);
			i++;
			k++;
		}
	}
	free(ca.c);
	free(cb.c);
	free(a);
	free(b);
}

void schema_diff_release(struct schema_diff *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		struct schema_finding *f = &d->f[i];
		free(f->kind);
		free(f->schema);
		free(f->name);
		free(f->table);
		free(f->text);
		free(f->excerpt);
	}
	free(d->f);
	memset(d, 0, sizeof(*d));
}

bool schema_diff_only_order(const struct schema_diff *d)
{
	for (size_t i = 0; i < d->nr; i++)
		if (d->f[i].change != SCHEMA_COLUMN_ORDER)
			return false;
	return d->nr > 0;
}

const char *schema_change_name(enum schema_change c)
{
	switch (c) {
	case SCHEMA_MISSING: return "missing";
	case SCHEMA_EXTRA: return "extra";
	case SCHEMA_CHANGED: return "changed";
	case SCHEMA_COLUMN_ORDER: return "column order";
	}
	return "?";
}

void schema_finding_json(const struct schema_finding *f, struct json *j)
{
	json_obj_begin(j);
	json_kstr(j, "change", schema_change_name(f->change));
	json_kstr(j, "kind", f->kind);
	json_kstr(j, "schema", f->schema);
	json_kstr(j, "name", f->name);
	json_kstr(j, "table", f->table);
	json_kstr(j, "text", f->text);
	json_kstr(j, "excerpt", f->excerpt);
	json_obj_end(j);
}

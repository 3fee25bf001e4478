/* Comparing two schema models (src/schema/diff.c), on hand-built models. */
#include "unit.h"
#include "schema/catalog.h"
#include "schema/diff.h"
#include "util/strbuf.h"
#include "util/util.h"

static void add(struct schema_model *m, const char *kind, const char *schema,
		const char *name, const char *table, int depth, const char *def)
{
	struct schema_object *o;

	ALLOC_GROW(m->obj, m->nr + 1, m->alloc);
	o = &m->obj[m->nr++];
	o->kind = xstrdup(kind);
	o->schema = schema ? xstrdup(schema) : NULL;
	o->name = xstrdup(name);
	o->table = table ? xstrdup(table) : NULL;
	o->phase = !strcmp(kind, "column") ? 0 : 6;
	o->depth = depth;
	o->definition = xstrdup(def);
}

/*
 * public.users as catalog.c reads it: the table, and a row per column
 * whose definition is its line in the CREATE TABLE. 'cols' holds the
 * column definitions in table order.
 */
static void add_table(struct schema_model *m, const char *name, const char *prefix,
		      const char *const *cols, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "CREATE %sTABLE public.%s (", prefix, name);
	for (size_t i = 0; i < n; i++) {
		/* the name: up to a space, or between the quotes */
		char *col = cols[i][0] == '"' ?
			    xstrndup(cols[i] + 1, strcspn(cols[i] + 1, "\"")) :
			    xstrndup(cols[i], strcspn(cols[i], " "));
		strbuf_addf(&sb, "\n    %s%s", cols[i], i + 1 < n ? "," : "");
		add(m, "column", "public", col, name, (int)i + 1, cols[i]);
		free(col);
	}
	strbuf_addstr(&sb, "\n);");
	add(m, "table", "public", name, NULL, 0, sb.buf);
	strbuf_release(&sb);
}

/* The texts of 'd', one per line, for comparing in one assertion. */
static char *texts(const struct schema_diff *d)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < d->nr; i++)
		strbuf_addf(&sb, "%s\n", d->f[i].text);
	return strbuf_detach(&sb, NULL);
}

static const char *const users[] = {
	"id integer NOT NULL", "name text NOT NULL", "email text", "score integer DEFAULT 0",
};

/* the same schema, in another object order: nothing to report */
static void same(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	(void)state;
	add(&a, "index", "public", "users_email_idx", "users", 0, "CREATE INDEX users_email_idx ON public.users USING btree (email);");
	add_table(&a, "users", "", users, 4);
	add_table(&b, "users", "", users, 4);
	add(&b, "index", "public", "users_email_idx", "users", 0, "CREATE INDEX users_email_idx ON public.users USING btree (email);");
	schema_diff(&a, &b, &d);
	assert_int_equal(d.nr, 0);
	assert_false(schema_diff_only_order(&d));
	schema_model_release(&a);
	schema_model_release(&b);
}

/* missing and extra; a missing table is one finding, not one per column, index or owned sequence */
static void missing_and_extra(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	const char *const tags[] = { "id integer NOT NULL", "label text" };
	char *t;
	(void)state;
	add_table(&a, "users", "", users, 4);
	add(&a, "index", "public", "users_email_idx", "users", 0, "CREATE INDEX users_email_idx ON public.users USING btree (email);");
	add_table(&b, "users", "", users, 4);
	add_table(&b, "tags", "", tags, 2);
	add(&b, "index", "public", "tags_label_idx", "tags", 0, "CREATE INDEX tags_label_idx ON public.tags USING btree (label);");
	add(&b, "sequence", "public", "tags_id_seq", NULL, 0, "CREATE SEQUENCE public.tags_id_seq AS integer;");
	/* the table owns it: ALTER SEQUENCE ... OWNED BY ends its definition */
	for (size_t i = 0; i < b.nr; i++)
		if (!strcmp(b.obj[i].kind, "table") && !strcmp(b.obj[i].name, "tags")) {
			char *def = xasprintf("%s\nALTER SEQUENCE public.tags_id_seq OWNED BY public.tags.id;",
					      b.obj[i].definition);
			free(b.obj[i].definition);
			b.obj[i].definition = def;
		}
	add(&b, "sequence", "public", "free_seq", NULL, 0, "CREATE SEQUENCE public.free_seq AS integer;");
	add(&b, "schema", NULL, "app", NULL, 0, "CREATE SCHEMA app;");
	schema_diff(&a, &b, &d);
	t = texts(&d);
	assert_string_equal(t, "index public.users_email_idx on public.users: missing\n"
			       "schema app: extra\n"
			       "sequence public.free_seq: extra\n"
			       "table public.tags: extra\n");
	assert_int_equal(d.f[0].change, SCHEMA_MISSING);
	assert_int_equal(d.f[1].change, SCHEMA_EXTRA);
	assert_string_equal(d.f[0].table, "users");
	assert_null(d.f[0].excerpt);
	free(t);
	schema_diff_release(&d);
	assert_int_equal(d.nr, 0);
	schema_model_release(&a);
	schema_model_release(&b);
}

/* a column's change in words; the table is not reported again */
static void column_changes(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	const char *const after[] = {
		"id integer NOT NULL", "name text", "email character varying(10)",
		"score integer DEFAULT 1",
	};
	char *t;
	(void)state;
	add_table(&a, "users", "", users, 4);
	add_table(&b, "users", "", after, 4);
	schema_diff(&a, &b, &d);
	t = texts(&d);
	assert_string_equal(t, "column public.users.email: type text → character varying(10)\n"
			       "column public.users.name: NOT NULL dropped\n"
			       "column public.users.score: default 0 → 1\n");
	assert_int_equal(d.f[0].change, SCHEMA_CHANGED);
	assert_string_equal(d.f[0].kind, "column");
	assert_string_equal(d.f[0].name, "email");
	free(t);
	schema_diff_release(&d);
	schema_model_release(&a);
	schema_model_release(&b);
}

/* defaults, collations, identity and generated columns, a quoted name */
static void column_parts(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	const char *const before[] = {
		"\"full name\" text COLLATE pg_catalog.\"C\" DEFAULT 'a b'::text NOT NULL",
		"id integer GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME public.t_id_seq START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 CACHE 1) NOT NULL",
		"n integer",
		"twice integer GENERATED ALWAYS AS ((n * 2)) STORED",
	};
	const char *const after[] = {
		"\"full name\" character varying(5) NOT NULL",
		"id integer NOT NULL",
		"n integer DEFAULT 7",
		"twice integer GENERATED ALWAYS AS ((n * 3)) STORED",
	};
	char *t;
	(void)state;
	add_table(&a, "t", "", before, 4);
	add_table(&b, "t", "", after, 4);
	schema_diff(&a, &b, &d);
	t = texts(&d);
	assert_string_equal(t,
		"column public.t.full name: type text → character varying(5), collation pg_catalog.\"C\" → default, default 'a b'::text dropped\n"
		"column public.t.id: identity GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME public.t_id_seq START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 CACHE 1) dropped\n"
		"column public.t.n: default 7 added\n"
		"column public.t.twice: generated GENERATED ALWAYS AS ((n * 2)) STORED → GENERATED ALWAYS AS ((n * 3)) STORED\n");
	free(t);
	schema_diff_release(&d);
	schema_model_release(&a);
	schema_model_release(&b);
}

/* the same columns in another order: a class of its own, the table once */
static void column_order(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	const char *const moved[] = {
		"id integer NOT NULL", "name text NOT NULL", "score integer DEFAULT 0", "email text",
	};
	(void)state;
	add_table(&a, "users", "", users, 4);
	add_table(&b, "users", "", moved, 4);
	schema_diff(&a, &b, &d);
	assert_int_equal(d.nr, 1);
	assert_int_equal(d.f[0].change, SCHEMA_COLUMN_ORDER);
	assert_string_equal(d.f[0].text, "column order of public.users: id, name, email, score → id, name, score, email");
	assert_string_equal(d.f[0].kind, "table");
	assert_true(schema_diff_only_order(&d));
	assert_string_equal(schema_change_name(d.f[0].change), "column order");
	schema_diff_release(&d);
	schema_model_release(&a);
	schema_model_release(&b);
}

/* a column added at the end moves nothing: not an order change */
static void column_added_is_not_order(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	const char *const more[] = {
		"id integer NOT NULL", "name text NOT NULL", "email text", "score integer DEFAULT 0", "bio text",
	};
	(void)state;
	add_table(&a, "users", "", users, 4);
	add_table(&b, "users", "", more, 5);
	schema_diff(&a, &b, &d);
	assert_int_equal(d.nr, 1);
	assert_string_equal(d.f[0].text, "column public.users.bio: extra");
	assert_false(schema_diff_only_order(&d));
	schema_diff_release(&d);
	schema_model_release(&a);
	schema_model_release(&b);
}

/* a table that differs beyond its columns: the differing line */
static void table_changed(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	(void)state;
	add_table(&a, "users", "", users, 4);
	add_table(&b, "users", "UNLOGGED ", users, 4);
	schema_diff(&a, &b, &d);
	assert_int_equal(d.nr, 1);
	assert_string_equal(d.f[0].text, "table public.users: changed");
	assert_string_equal(d.f[0].excerpt, "- CREATE TABLE public.users (\n"
					    "+ CREATE UNLOGGED TABLE public.users (\n");
	schema_diff_release(&d);
	schema_model_release(&a);
	schema_model_release(&b);
}

/* a function: "body changed" with the lines, or "changed" for its header */
static void function_changed(void **state)
{
	struct schema_model a = { 0 }, b = { 0 }, c = { 0 };
	struct schema_diff d = { 0 };
	(void)state;
	add(&a, "function", "public", "f(integer)", NULL, 0,
	    "CREATE OR REPLACE FUNCTION public.f(x integer)\n RETURNS integer\n LANGUAGE plpgsql\n"
	    "AS $function$\nBEGIN\n  RETURN x + 1;\nEND\n$function$;");
	add(&b, "function", "public", "f(integer)", NULL, 0,
	    "CREATE OR REPLACE FUNCTION public.f(x integer)\n RETURNS integer\n LANGUAGE plpgsql\n"
	    "AS $function$\nBEGIN\n  RETURN x + 2;\nEND\n$function$;");
	add(&c, "function", "public", "f(integer)", NULL, 0,
	    "CREATE OR REPLACE FUNCTION public.f(x integer)\n RETURNS bigint\n LANGUAGE plpgsql\n"
	    "AS $function$\nBEGIN\n  RETURN x + 1;\nEND\n$function$;");
	schema_diff(&a, &b, &d);
	assert_int_equal(d.nr, 1);
	assert_string_equal(d.f[0].text, "function public.f(integer): body changed");
	assert_string_equal(d.f[0].excerpt, "-   RETURN x + 1;\n+   RETURN x + 2;\n");
	schema_diff_release(&d);
	schema_diff(&a, &c, &d);
	assert_int_equal(d.nr, 1);
	assert_string_equal(d.f[0].text, "function public.f(integer): changed");
	assert_string_equal(d.f[0].excerpt, "-  RETURNS integer\n+  RETURNS bigint\n");
	schema_diff_release(&d);
	schema_model_release(&a);
	schema_model_release(&b);
	schema_model_release(&c);
}

/* a long difference is cut after a few lines, saying how many are left */
static void long_excerpt(void **state)
{
	struct schema_model a = { 0 }, b = { 0 };
	struct schema_diff d = { 0 };
	(void)state;
	add(&a, "view", "public", "v", NULL, 0, "CREATE VIEW public.v AS\n SELECT 1;");
	add(&b, "view", "public", "v", NULL, 0, "CREATE VIEW public.v AS\n SELECT 1\n UNION\n SELECT 2\n UNION\n SELECT 3\n UNION\n SELECT 4;");
	schema_diff(&a, &b, &d);
	assert_int_equal(d.nr, 1);
	assert_string_equal(d.f[0].text, "view public.v: changed");
	assert_string_equal(d.f[0].excerpt, "-  SELECT 1;\n+  SELECT 1\n+  UNION\n+  SELECT 2\n+  UNION\n+ ... (3 more lines)\n");
	schema_diff_release(&d);
	schema_model_release(&a);
	schema_model_release(&b);
}

/* columns are for comparing only: a dump leaves them out */
static void dump_skips_columns(void **state)
{
	struct schema_model m = { 0 };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	add_table(&m, "users", "", users, 4);
	schema_sort_for_dump(&m);
	schema_to_sql(&m, &sb);
	assert_null(strstr(sb.buf, "-- column"));
	assert_non_null(strstr(sb.buf, "-- table public.users\nCREATE TABLE public.users (\n    id integer NOT NULL,\n"));
	strbuf_release(&sb);
	schema_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same),
		cmocka_unit_test(missing_and_extra),
		cmocka_unit_test(column_changes),
		cmocka_unit_test(column_parts),
		cmocka_unit_test(column_order),
		cmocka_unit_test(column_added_is_not_order),
		cmocka_unit_test(table_changed),
		cmocka_unit_test(function_changed),
		cmocka_unit_test(long_excerpt),
		cmocka_unit_test(dump_skips_columns),
	};
	return RUN_TESTS(tests);
}

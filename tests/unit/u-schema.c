/* The schema model's orders and its SQL text, on hand-built models. */
#include "unit.h"
#include "schema/catalog.h"
#include "util/strbuf.h"
#include "util/util.h"

static void add(struct schema_model *m, const char *kind, const char *schema,
		const char *name, const char *table, int phase, int depth,
		const char *def)
{
	struct schema_object *o;

	ALLOC_GROW(m->obj, m->nr + 1, m->alloc);
	o = &m->obj[m->nr++];
	o->kind = xstrdup(kind);
	o->schema = schema ? xstrdup(schema) : NULL;
	o->name = xstrdup(name);
	o->table = table ? xstrdup(table) : NULL;
	o->phase = phase;
	o->depth = depth;
	o->definition = xstrdup(def);
}

/* phase first, then depth, then names bytewise (uppercase before lowercase) */
static void dump_order(void **state)
{
	struct schema_model m = { 0 };
	(void)state;
	add(&m, "constraint", "public", "b_fk", "b", 10, 1, "FK;");
	add(&m, "table", "public", "child", NULL, 6, 1, "CHILD;");
	add(&m, "table", "public", "zeta", NULL, 6, 0, "ZETA;");
	add(&m, "schema", NULL, "app", NULL, 1, 0, "SCHEMA;");
	add(&m, "table", "public", "Alpha", NULL, 6, 0, "ALPHA;");
	add(&m, "constraint", "public", "a_pkey", "a", 10, 0, "PK;");
	schema_sort_for_dump(&m);
	assert_string_equal(m.obj[0].name, "app");
	assert_string_equal(m.obj[1].name, "Alpha");
	assert_string_equal(m.obj[2].name, "zeta");
	assert_string_equal(m.obj[3].name, "child");
	assert_string_equal(m.obj[4].name, "a_pkey");
	assert_string_equal(m.obj[5].name, "b_fk");
	schema_model_release(&m);
	assert_int_equal(m.nr, 0);
}

/* identity: kind, schema, name, table; a NULL schema sorts first */
static void identity(void **state)
{
	struct schema_model m = { 0 };
	(void)state;
	add(&m, "index", "public", "i", "t1", 9, 0, "X;");
	add(&m, "index", "public", "i", "t2", 9, 0, "Y;");
	add(&m, "schema", NULL, "public", NULL, 1, 0, "S;");
	add(&m, "schema", "x", "public", NULL, 1, 0, "S;");
	assert_true(schema_object_identity_cmp(&m.obj[0], &m.obj[1]) < 0);
	assert_int_equal(schema_object_identity_cmp(&m.obj[0], &m.obj[0]), 0);
	assert_true(schema_object_identity_cmp(&m.obj[2], &m.obj[3]) < 0);
	assert_true(schema_object_identity_cmp(&m.obj[0], &m.obj[2]) < 0);
	schema_model_release(&m);
}

/* a heading per object, one for all comments, the header first */
static void sql_text(void **state)
{
	struct schema_model m = { 0 };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	add(&m, "table", "public", "t", NULL, 6, 0, "CREATE TABLE public.t ();");
	add(&m, "index", "public", "t_i", "t", 9, 0, "CREATE INDEX t_i ON public.t (a);");
	add(&m, "comment", "public", "TABLE public.t", NULL, 12, 0, "COMMENT ON TABLE public.t IS 'a';");
	add(&m, "comment", "public", "COLUMN public.t.a", NULL, 12, 0, "COMMENT ON COLUMN public.t.a IS 'b';");
	schema_to_sql(&m, &sb);
	assert_true(str_starts(sb.buf, "-- strata dump:"));
	assert_non_null(strstr(sb.buf, "SET check_function_bodies = false;\n"));
	assert_non_null(strstr(sb.buf, "\n-- table public.t\nCREATE TABLE public.t ();\n"));
	assert_non_null(strstr(sb.buf, "\n-- index public.t_i on public.t\nCREATE INDEX"));
	assert_non_null(strstr(sb.buf, "\n-- comments\nCOMMENT ON TABLE public.t IS 'a';\n"
				       "COMMENT ON COLUMN public.t.a IS 'b';\n"));
	assert_null(strstr(sb.buf, "-- comment "));
	strbuf_release(&sb);
	schema_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dump_order),
		cmocka_unit_test(identity),
		cmocka_unit_test(sql_text),
	};
	return RUN_TESTS(tests);
}

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

/* with owners and grants: its own header, one heading for the group */
static void sql_text_privileges(void **state)
{
	struct schema_model m = { 0 };
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	add(&m, "table", "public", "t", NULL, 6, 0, "CREATE TABLE public.t ();");
	add(&m, "comment", "public", "TABLE public.t", NULL, 13, 0, "COMMENT ON TABLE public.t IS 'a';");
	add(&m, "privileges", "public", "TABLE public.t", NULL, 13, 2,
	    "ALTER TABLE public.t OWNER TO r;\nGRANT SELECT ON TABLE public.t TO PUBLIC;");
	add(&m, "privileges", "public", "VIEW public.v", NULL, 13, 2, "ALTER VIEW public.v OWNER TO r;");
	add(&m, "event trigger", NULL, "e", NULL, 14, 0, "CREATE EVENT TRIGGER e ON sql_drop EXECUTE FUNCTION public.f();");
	m.privileges = true;
	schema_to_sql(&m, &sb);
	assert_true(str_starts(sb.buf, "-- strata dump: the schema with owners and grants"));
	assert_non_null(strstr(sb.buf, "\n-- comments\nCOMMENT ON TABLE public.t IS 'a';\n"
				       "\n-- privileges\nALTER TABLE public.t OWNER TO r;\n"
				       "GRANT SELECT ON TABLE public.t TO PUBLIC;\n"
				       "ALTER VIEW public.v OWNER TO r;\n"
				       "\n-- event trigger e\nCREATE EVENT TRIGGER e"));
	assert_null(strstr(sb.buf, "-- privileges "));
	strbuf_release(&sb);
	schema_model_release(&m);
}

/* the names of the model's objects in order, joined by spaces */
static char *names(const struct schema_model *m)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < m->nr; i++) {
		if (i)
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, m->obj[i].name);
	}
	return strbuf_detach(&sb, NULL);
}

static void check_order(struct schema_model *m, const struct schema_dep *deps,
			size_t nr, size_t loops, const char *want)
{
	char *got;

	assert_int_equal(schema_sort_by_deps(m, deps, nr), loops);
	got = names(m);
	assert_string_equal(got, want);
	free(got);
	schema_model_release(m);
}

/* without edges, or with edges that agree with it, the fixed order */
static void deps_agreeing(void **state)
{
	struct schema_model m = { 0 };
	struct schema_dep deps[] = { { 0, 2 }, { 1, 2 }, { 0, 1 } };
	(void)state;
	add(&m, "index", "public", "t_i", "t", 10, 0, "I;");
	add(&m, "table", "public", "t", NULL, 6, 0, "T;");
	add(&m, "schema", NULL, "app", NULL, 1, 0, "S;");
	add(&m, "table", "public", "Alpha", NULL, 6, 0, "A;");
	check_order(&m, NULL, 0, 0, "app Alpha t t_i");
	add(&m, "index", "public", "t_i", "t", 10, 0, "I;");
	add(&m, "table", "public", "t", NULL, 6, 0, "T;");
	add(&m, "schema", NULL, "app", NULL, 1, 0, "S;");
	add(&m, "table", "public", "Alpha", NULL, 6, 0, "A;");
	check_order(&m, deps, 3, 0, "app Alpha t t_i");
}

/*
 * An edge against the kinds' order moves only what it must: a domain
 * whose CHECK calls a function goes after the function, not after the
 * other types.
 */
static void deps_domain_after_function(void **state)
{
	struct schema_model m = { 0 };
	struct schema_dep deps[] = { { 1, 3 } };
	(void)state;
	add(&m, "type", "app", "a_enum", NULL, 3, 0, "E;");
	add(&m, "type", "app", "even", NULL, 3, 1, "D;");
	add(&m, "type", "app", "z_range", NULL, 3, 2, "R;");
	add(&m, "function", "app", "is_even(integer)", NULL, 5, 0, "F;");
	add(&m, "table", "app", "t", NULL, 6, 0, "T;");
	check_order(&m, deps, 1, 0, "a_enum z_range is_even(integer) even t");
}

/*
 * A chain through three kinds: a table's default calls a function that
 * returns another table's rows; the first table's name sorts first.
 */
static void deps_chain(void **state)
{
	struct schema_model m = { 0 };
	/* aaa needs f, f needs settings; duplicates change nothing */
	struct schema_dep deps[] = { { 0, 3 }, { 3, 2 }, { 0, 3 }, { 0, 0 } };
	struct schema_dep reversed[] = { { 0, 0 }, { 0, 3 }, { 3, 2 }, { 0, 3 } };
	(void)state;
	for (int round = 0; round < 2; round++) {
		add(&m, "table", "app", "aaa", NULL, 6, 0, "A;");
		add(&m, "table", "app", "mmm", NULL, 6, 0, "M;");
		add(&m, "table", "app", "settings", NULL, 6, 0, "S;");
		add(&m, "function", "app", "f()", NULL, 7, 0, "F;");
		add(&m, "view", "app", "v", NULL, 8, 0, "V;");
		check_order(&m, round ? reversed : deps, 4, 0, "mmm settings f() aaa v");
	}
}

/*
 * A loop: broken at its first object in the fixed order, which then goes
 * first; counted, and the same whatever the order of the edges.
 */
static void deps_loop(void **state)
{
	struct schema_model m = { 0 };
	struct schema_dep deps[] = { { 0, 1 }, { 1, 2 }, { 2, 0 }, { 3, 0 } };
	struct schema_dep shuffled[] = { { 3, 0 }, { 2, 0 }, { 0, 1 }, { 1, 2 } };
	(void)state;
	for (int round = 0; round < 2; round++) {
		add(&m, "function", "app", "b()", NULL, 5, 0, "B;");
		add(&m, "table", "app", "c", NULL, 6, 0, "C;");
		add(&m, "function", "app", "a()", NULL, 7, 0, "A;");
		add(&m, "index", "app", "i", "c", 10, 0, "I;");
		check_order(&m, round ? shuffled : deps, 4, 1, "b() a() c i");
	}
	/* two loops that share nothing: two breaks */
	{
		struct schema_dep two[] = { { 0, 1 }, { 1, 0 }, { 2, 3 }, { 3, 2 } };
		add(&m, "table", "app", "p", NULL, 6, 0, "P;");
		add(&m, "table", "app", "q", NULL, 6, 0, "Q;");
		add(&m, "view", "app", "r", NULL, 8, 0, "R;");
		add(&m, "view", "app", "s", NULL, 8, 0, "S;");
		check_order(&m, two, 4, 2, "p q r s");
	}
}

/* finding an object by its identity; the table is part of it */
static void index_find(void **state)
{
	struct schema_model m = { 0 };
	struct schema_index ix;
	struct schema_object key = { 0 };
	(void)state;
	add(&m, "table", "app", "t", NULL, 6, 0, "T;");
	add(&m, "index", "app", "i", "t", 10, 0, "I;");
	add(&m, "index", "app", "i", "u", 10, 0, "I2;");
	add(&m, "schema", NULL, "app", NULL, 1, 0, "S;");
	schema_index_init(&ix, &m);
	key.kind = "index";
	key.schema = "app";
	key.name = "i";
	key.table = "u";
	assert_int_equal(schema_index_find(&ix, &key), 2);
	key.table = NULL;
	assert_int_equal(schema_index_find(&ix, &key), SIZE_MAX);
	key.kind = "schema";
	key.schema = NULL;
	key.name = "app";
	assert_int_equal(schema_index_find(&ix, &key), 3);
	schema_index_release(&ix);
	schema_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dump_order),
		cmocka_unit_test(identity),
		cmocka_unit_test(sql_text),
		cmocka_unit_test(sql_text_privileges),
		cmocka_unit_test(deps_agreeing),
		cmocka_unit_test(deps_domain_after_function),
		cmocka_unit_test(deps_chain),
		cmocka_unit_test(deps_loop),
		cmocka_unit_test(index_find),
	};
	return RUN_TESTS(tests);
}

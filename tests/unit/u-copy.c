/* COPY ... FROM STDIN data blocks: found, cut out, mapped back. */
#include "unit.h"
#include "sql/parse.h"
#include "util/strbuf.h"

static struct parsed parse_ok(const char *sql)
{
	struct parsed p;
	struct parse_error e;
	if (sql_parse(sql, strlen(sql), &p, &e))
		fail_msg("parse failed at byte %zu: %s", e.off, e.msg);
	return p;
}

static char *data_of(const char *sql, const struct parsed *p, size_t k)
{
	return strndup(sql + p->copies[k].off, p->copies[k].len);
}

static void pg_dump_style_blocks(void **state)
{
	const char *sql =
		"CREATE TABLE t (a int, b text);\n"
		"COPY public.t (a, b) FROM stdin;\n"
		"1\tit's \"quoted\"\n"
		"2\t\\N\n"
		"3\tsemi;colon /* not a comment\n"
		"\\.\n"
		"SELECT 1;\n"
		"COPY t FROM STDIN WITH (FORMAT csv); -- a comment\n"
		"4,\"a\n"
		"b\"\n"
		"\\.\n"
		"SELECT 2";
	struct parsed p = parse_ok(sql);
	char *d;
	(void)state;

	assert_int_equal(p.nr, 5);
	assert_int_equal(p.nr_copies, 2);
	assert_int_equal(p.copies[0].stmt, 1);
	assert_int_equal(p.copies[1].stmt, 3);
	assert_true(p.stmts[1].copy_from_stdin);
	assert_false(p.stmts[0].copy_from_stdin);
	d = data_of(sql, &p, 0);
	assert_string_equal(d, "1\tit's \"quoted\"\n2\t\\N\n3\tsemi;colon /* not a comment\n");
	free(d);
	d = data_of(sql, &p, 1);
	assert_string_equal(d, "4,\"a\nb\"\n");
	free(d);
	assert_true(strncmp(sql + p.stmts[2].off, "SELECT 1", 8) == 0);
	assert_true(strncmp(sql + p.stmts[4].off, "SELECT 2", 8) == 0);
	parsed_release(&p);
}

static void stripped_text_maps_back(void **state)
{
	const char *sql =
		"COPY t FROM stdin;\n"
		"a\tb\n"
		"\\.\n"
		"SELECT nosuch;\n";
	struct parsed p = parse_ok(sql);
	struct strbuf sb = STRBUF_INIT;
	const char *hit;
	(void)state;

	sql_strip_copy_data(&p, sql, strlen(sql), &sb);
	assert_string_equal(sb.buf, "COPY t FROM stdin;\nSELECT nosuch;\n");
	hit = strstr(sb.buf, "nosuch");
	assert_int_equal(sql_unstrip_offset(&p, (size_t)(hit - sb.buf)),
			 (size_t)(strstr(sql, "nosuch") - sql));
	assert_int_equal(sql_unstrip_offset(&p, 3), 3);
	strbuf_release(&sb);
	parsed_release(&p);
}

static void server_line_to_file_line(void **state)
{
	const char *sql =
		"COPY t FROM stdin;\n"
		"1\n"
		"2\n"
		"x\n"
		"\\.\n";
	struct parsed p = parse_ok(sql);
	size_t off = 0;
	(void)state;

	assert_true(sql_copy_error_offset(sql, &p, 0,
		"COPY t, line 3, column a: \"x\"", &off));
	assert_int_equal(off, (size_t)(strstr(sql, "x\n") - sql));
	assert_true(sql_copy_error_offset(sql, &p, 0,
		"PL/pgSQL function f() line 2 at RAISE\nCOPY t, line 1", &off));
	assert_int_equal(off, (size_t)(strstr(sql, "1\n") - sql));
	assert_false(sql_copy_error_offset(sql, &p, 0, "SQL statement", &off));
	assert_false(sql_copy_error_offset(sql, &p, 0, NULL, &off));
	parsed_release(&p);
}

static void data_that_looks_like_sql(void **state)
{
	/* data lines that parse as SQL are still data */
	const char *sql =
		"COPY words (w) FROM stdin;\n"
		"select\n"
		"(\n"
		"\\.\n"
		"SELECT 'after';\n";
	struct parsed p = parse_ok(sql);
	char *d;
	(void)state;

	assert_int_equal(p.nr, 2);
	assert_int_equal(p.nr_copies, 1);
	d = data_of(sql, &p, 0);
	assert_string_equal(d, "select\n(\n");
	free(d);
	parsed_release(&p);
}

static void terminator_in_a_string_is_not_one(void **state)
{
	const char *sql = "SELECT 'a\n\\.\nb';\nSELECT 2;\n";
	struct parsed p = parse_ok(sql);
	(void)state;
	assert_int_equal(p.nr, 2);
	assert_int_equal(p.nr_copies, 0);
	assert_true(sql_may_have_copy(sql, strlen(sql)));
	assert_false(sql_may_have_copy("SELECT 1;\n", 10));
	parsed_release(&p);
}

static void empty_block_and_crlf(void **state)
{
	const char *sql = "COPY t FROM stdin;\r\n\\.\r\nSELECT 1;\r\n";
	struct parsed p = parse_ok(sql);
	(void)state;
	assert_int_equal(p.nr, 2);
	assert_int_equal(p.nr_copies, 1);
	assert_int_equal(p.copies[0].len, 0);
	assert_int_equal(p.copies[0].end, (size_t)(strstr(sql, "SELECT") - sql));
	parsed_release(&p);
}

static void bad_blocks_are_refused(void **state)
{
	struct { const char *sql; const char *where; } cases[] = {
		/* no terminator: the error points at the COPY */
		{ "SELECT 1;\nCOPY t FROM stdin;\n1\t2\n", "COPY t" },
		{ "COPY t FROM stdin;", "COPY t" },
		/* something after the ';' on the COPY's line */
		{ "COPY t FROM stdin; SELECT 1;\n1\n\\.\n", "SELECT 1" },
		/* a syntax error before the COPY is a syntax error */
		{ "SELEC 1;\nCOPY t FROM stdin;\n1\n\\.\n", "SELEC" },
		/* and one after the data too */
		{ "COPY t FROM stdin;\n1\n\\.\nSELEC 2;\n", "SELEC" },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct parsed p;
		struct parse_error e;
		size_t want = (size_t)(strstr(cases[i].sql, cases[i].where) - cases[i].sql);
		assert_int_equal(sql_parse(cases[i].sql, strlen(cases[i].sql), &p, &e), -1);
		if (e.off != want)
			fail_msg("'%s': error at byte %zu, expected %zu (%s)", cases[i].sql,
				 e.off, want, e.msg);
		free(e.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pg_dump_style_blocks),
		cmocka_unit_test(stripped_text_maps_back),
		cmocka_unit_test(server_line_to_file_line),
		cmocka_unit_test(data_that_looks_like_sql),
		cmocka_unit_test(terminator_in_a_string_is_not_one),
		cmocka_unit_test(empty_block_and_crlf),
		cmocka_unit_test(bad_blocks_are_refused),
	};
	return RUN_TESTS(tests);
}

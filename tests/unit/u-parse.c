/* Statement splitting, classification and positions on libpg_query. */
#include "unit.h"
#include "sql/parse.h"

static struct parsed parse_ok(const char *sql)
{
	struct parsed p;
	struct parse_error e;
	int r = sql_parse(sql, strlen(sql), &p, &e);
	if (r)
		fail_msg("parse failed: %s", e.msg);
	return p;
}

static char *stmt_text(const char *sql, const struct stmt *s)
{
	return strndup(sql + s->off, s->len);
}

static void splits_like_the_server(void **state)
{
	const char *sql =
		"-- leading comment\n"
		"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
		"/* nested /* comment */ ; */ SELECT E'it\\'s; here';\n"
		"SELECT $$a;b$$, 'x;y'\n"
		"; SELECT 3";
	struct parsed p = parse_ok(sql);
	char *t;
	(void)state;

	assert_int_equal(p.nr, 4);
	t = stmt_text(sql, &p.stmts[0]);
	assert_true(strncmp(t, "CREATE FUNCTION", 15) == 0);
	assert_non_null(strstr(t, "$body$ SELECT 1; $body$"));
	free(t);
	t = stmt_text(sql, &p.stmts[1]);
	assert_string_equal(t, "SELECT E'it\\'s; here'");
	free(t);
	t = stmt_text(sql, &p.stmts[3]);
	assert_string_equal(t, "SELECT 3");	/* last one without ';' */
	free(t);
	assert_int_equal(p.nr_no_tx, 0);
	assert_int_equal(p.nr_tx_control, 0);
	parsed_release(&p);
}

static void classifies_from_the_tree(void **state)
{
	struct { const char *sql; enum stmt_class cls; } cases[] = {
		{ "CREATE INDEX CONCURRENTLY i ON t (a)", STMT_NO_TX },
		{ "CREATE INDEX i ON t (a)", STMT_PLAIN },
		{ "DROP INDEX CONCURRENTLY IF EXISTS i", STMT_NO_TX },
		{ "REINDEX (CONCURRENTLY) INDEX i", STMT_NO_TX },
		{ "REINDEX INDEX CONCURRENTLY i", STMT_NO_TX },
		{ "REINDEX INDEX i", STMT_PLAIN },
		{ "ALTER TABLE p DETACH PARTITION c CONCURRENTLY", STMT_NO_TX },
		{ "ALTER TABLE p DETACH PARTITION c", STMT_PLAIN },
		{ "VACUUM t", STMT_NO_TX },
		{ "ANALYZE t", STMT_PLAIN },
		{ "CREATE DATABASE x", STMT_NO_TX },
		{ "ALTER SYSTEM SET work_mem = '1MB'", STMT_NO_TX },
		{ "BEGIN", STMT_TX_CONTROL },
		{ "START TRANSACTION", STMT_TX_CONTROL },
		{ "COMMIT", STMT_TX_CONTROL },
		{ "END", STMT_TX_CONTROL },
		{ "ROLLBACK", STMT_TX_CONTROL },
		{ "SAVEPOINT s", STMT_PLAIN },
		/* words in strings and comments do not count */
		{ "SELECT 'CREATE INDEX CONCURRENTLY' -- VACUUM", STMT_PLAIN },
		{ "CREATE FUNCTION g() RETURNS void AS $$ BEGIN COMMIT; END $$ LANGUAGE plpgsql", STMT_PLAIN },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct parsed p = parse_ok(cases[i].sql);
		assert_int_equal(p.nr, 1);
		if (p.stmts[0].cls != cases[i].cls)
			fail_msg("'%s': class %d, expected %d", cases[i].sql,
				 p.stmts[0].cls, cases[i].cls);
		parsed_release(&p);
	}
}

static void session_set(void **state)
{
	struct parsed p = parse_ok("SET search_path = x; SET LOCAL lock_timeout = 1; "
				   "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
	(void)state;
	assert_int_equal(p.nr, 3);
	assert_true(p.stmts[0].session_set);
	assert_false(p.stmts[1].session_set);
	assert_false(p.stmts[2].session_set);
	parsed_release(&p);
}

static void errors_have_positions(void **state)
{
	struct { const char *sql; size_t off; } cases[] = {
		{ "SELECT 1;\nSELECT 'unterminated\n", 17 },
		{ "SELECT 1;\nSELECT $tag$ body $other$;\n", 17 },
		{ "CREATE TABLE t (id int;", 22 },
		{ "SELECT 'é', 'ü' FROM FROM", 23 },	/* characters, not bytes */
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct parsed p;
		struct parse_error e;
		int r = sql_parse(cases[i].sql, strlen(cases[i].sql), &p, &e);
		assert_int_equal(r, -1);
		assert_non_null(e.msg);
		if (e.off != cases[i].off)
			fail_msg("'%s': error at byte %zu, expected %zu (%s)", cases[i].sql,
				 e.off, cases[i].off, e.msg);
		free(e.msg);
	}
}

static void empty_and_comments(void **state)
{
	struct parsed p = parse_ok("");
	(void)state;
	assert_int_equal(p.nr, 0);
	parsed_release(&p);
	p = parse_ok("-- nothing here\n/* really */\n");
	assert_int_equal(p.nr, 0);
	parsed_release(&p);
}

static void char_to_byte(void **state)
{
	const char *s = "aé€😀b";
	(void)state;
	assert_int_equal(sql_char_to_byte(s, strlen(s), 1), 0);
	assert_int_equal(sql_char_to_byte(s, strlen(s), 2), 1);
	assert_int_equal(sql_char_to_byte(s, strlen(s), 3), 3);
	assert_int_equal(sql_char_to_byte(s, strlen(s), 4), 6);
	assert_int_equal(sql_char_to_byte(s, strlen(s), 5), 10);
}

static void big_input_split_first(void **state)
{
	/* over the whole-parse limit: scanner split, then piece by piece */
	size_t n = 0, cap = 6u << 20;
	char *sql = malloc(cap + 64);
	struct parsed p;
	struct parse_error e;
	int stmts = 0;
	(void)state;
	while (n < cap) {
		n += (size_t)sprintf(sql + n, "INSERT INTO t VALUES (%d, 'a;b');\n", stmts);
		stmts++;
	}
	n += (size_t)sprintf(sql + n, "SELECT 'bad");
	assert_int_equal(sql_parse(sql, n, &p, &e), -1);
	assert_true(e.off > cap - 100);
	free(e.msg);
	sql[n - 12] = '\0';
	assert_int_equal(sql_parse(sql, n - 12, &p, &e), 0);
	assert_int_equal((int)p.nr, stmts);
	parsed_release(&p);
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_like_the_server),
		cmocka_unit_test(classifies_from_the_tree),
		cmocka_unit_test(session_set),
		cmocka_unit_test(errors_have_positions),
		cmocka_unit_test(empty_and_comments),
		cmocka_unit_test(char_to_byte),
		cmocka_unit_test(big_input_split_first),
	};
	return RUN_TESTS(tests);
}

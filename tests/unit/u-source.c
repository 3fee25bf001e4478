/* The migrations folder: layouts, order, strictness, checksums, targets. */
#include "unit.h"
#include "core/source.h"
#include "core/target.h"
#include "util/out.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void put(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(text, 1, len ? len : strlen(text), f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/u-source.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void layouts_and_order(void **state)
{
	struct source src;
	char sub[128];
	(void)state;
	put("10_ten.up.sql", "SELECT 10;", 0);
	put("10_ten.down.sql", "SELECT -10;", 0);
	put("0002_two.sql", "SELECT 2;", 0);
	put("1733759000000_typeorm.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT -1;\n", 0);
	put("123456789012345678901234567890_huge.sql", "", 0);
	put("README.md", "not a migration", 0);
	put(".gitkeep", "", 0);
	snprintf(sub, sizeof(sub), "%s/2019-02-26-002946_create_user", dir);
	mkdir(sub, 0755);
	put("2019-02-26-002946_create_user/up.sql", "SELECT 'u';", 0);
	put("2019-02-26-002946_create_user/down.sql", "SELECT 'd';", 0);

	assert_int_equal(source_load(&src, dir), 0);
	assert_int_equal(src.nr, 5);
	assert_string_equal(src.m[0].version, "2");
	assert_int_equal(src.m[0].layout, LAYOUT_UP_ONLY);
	assert_null(src.m[0].down_file);
	assert_string_equal(src.m[1].version, "10");
	assert_int_equal(src.m[1].layout, LAYOUT_PAIR);
	assert_string_equal(src.m[1].up_file, "10_ten.up.sql");
	assert_string_equal(src.m[1].down_file, "10_ten.down.sql");
	assert_string_equal(src.m[1].raw_version, "10");
	assert_string_equal(src.m[1].name, "ten");
	assert_string_equal(src.m[2].version, "1733759000000");
	assert_int_equal(src.m[2].layout, LAYOUT_SECTIONS);
	assert_string_equal(src.m[3].version, "20190226002946");
	assert_string_equal(src.m[3].raw_version, "2019-02-26-002946");
	assert_int_equal(src.m[3].layout, LAYOUT_FOLDER);
	assert_string_equal(src.m[3].name, "create_user");
	assert_string_equal(src.m[3].up_file, "2019-02-26-002946_create_user/up.sql");
	assert_string_equal(src.m[3].down_file, "2019-02-26-002946_create_user/down.sql");
	{
		char want[256];
		snprintf(want, sizeof(want), "%s/10_ten.up.sql", dir);
		assert_string_equal(source_path(&src, src.m[1].up_file), want);
	}
	assert_ptr_equal(src.m[2].down_file, src.m[2].up_file);
	assert_string_equal(src.m[4].name, "huge");
	assert_true(source_find(&src, "10") == 1);
	assert_true(source_find(&src, "11") == -1);

	/* the sections: up and down text, and their lines */
	{
		struct script s;
		int line, col;
		assert_int_equal(script_read(&src, &src.m[2], false, &s), 0);
		assert_string_equal(s.text, "SELECT 1;\n");
		script_position(&s, 7, &line, &col, NULL);
		assert_int_equal(line, 2);
		assert_int_equal(col, 8);
		script_release(&s);
		assert_int_equal(script_read(&src, &src.m[2], true, &s), 0);
		assert_string_equal(s.text, "SELECT -1;\n");
		script_release(&s);
	}
	source_release(&src);
}

static void strict_names(void **state)
{
	struct source src;
	(void)state;
	put("1_a.sql", "", 0);
	put("0001_b.sql", "", 0);		/* same version as 1 */
	assert_int_equal(source_load(&src, dir), -1);
	source_release(&src);
	err_reset();
	unlink("x"); /* keep the tree as is; next case in a new folder */
}

static void bad_names(void **state)
{
	const char *names[] = { "schema.sql", "abc_x.sql", "1.sql", "_x.sql", "1-_x.sql" };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct source src;
		char path[256];
		put(names[i], "", 0);
		if (source_load(&src, dir) != -1)
			fail_msg("'%s' was accepted", names[i]);
		source_release(&src);
		err_reset();
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

static void down_without_up(void **state)
{
	struct source src;
	(void)state;
	put("5_x.down.sql", "", 0);
	assert_int_equal(source_load(&src, dir), -1);
	source_release(&src);
	err_reset();
}

static void checksums_ignore_bom_and_crlf_only(void **state)
{
	struct source src;
	struct script a, b, c, d;
	(void)state;
	put("1_lf.sql", "SELECT 'a b';\nSELECT 2;\n", 0);
	put("2_crlf.sql", "\xef\xbb\xbfSELECT 'a b';\r\nSELECT 2;\r\n", 0);
	put("3_space.sql", "SELECT 'ab';\nSELECT 2;\n", 0);
	put("4_joined.sql", "SELECT 'a b';SELECT 2;\n\n", 0);
	assert_int_equal(source_load(&src, dir), 0);
	assert_int_equal(script_read(&src, &src.m[0], false, &a), 0);
	assert_int_equal(script_read(&src, &src.m[1], false, &b), 0);
	assert_int_equal(script_read(&src, &src.m[2], false, &c), 0);
	assert_int_equal(script_read(&src, &src.m[3], false, &d), 0);
	assert_string_equal(a.checksum, b.checksum);
	assert_string_not_equal(a.checksum, c.checksum);
	assert_string_not_equal(a.checksum, d.checksum);
	assert_true(b.text[0] == 'S');	/* BOM gone */
	script_release(&a), script_release(&b), script_release(&c), script_release(&d);
	source_release(&src);
}

static void hostile_bytes(void **state)
{
	struct source src;
	struct script s;
	(void)state;
	put("1_nul.sql", "SELECT 1;\nSELECT\0 2;\n", 21);
	put("2_utf8.sql", "SELECT 'ok';\nSELECT '\xff';\n", 0);
	put("3_directive.sql", "-- a comment\n-- strata:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n", 0);
	assert_int_equal(source_load(&src, dir), 0);
	assert_int_equal(script_read(&src, &src.m[0], false, &s), -1);
	assert_non_null(strstr(last_err.msg, "1_nul.sql:2:7"));
	err_reset();
	script_release(&s);
	assert_int_equal(script_read(&src, &src.m[1], false, &s), -1);
	assert_non_null(strstr(last_err.msg, "2_utf8.sql:2:9"));
	err_reset();
	script_release(&s);
	assert_int_equal(script_read(&src, &src.m[2], false, &s), 0);
	assert_true(s.no_transaction);
	script_release(&s);
	source_release(&src);
}

static void targets(void **state)
{
	struct source src;
	struct target t;
	(void)state;
	put("20250101000000_a.sql", "", 0);
	put("20250102000000_b.sql", "", 0);
	put("20250201000000_c.sql", "", 0);
	assert_int_equal(source_load(&src, dir), 0);

	assert_int_equal(target_parse(NULL, &src, NULL, &t), 0);
	assert_int_equal(t.kind, TARGET_HEAD);
	assert_int_equal(target_parse("head", &src, NULL, &t), 0);
	assert_int_equal(t.kind, TARGET_HEAD);
	assert_int_equal(target_parse("base", &src, NULL, &t), 0);
	assert_int_equal(t.kind, TARGET_BASE);
	assert_int_equal(target_parse("+2", &src, NULL, &t), 0);
	assert_int_equal(t.kind, TARGET_RELATIVE);
	assert_int_equal(t.steps, 2);
	assert_int_equal(target_parse("-1", &src, NULL, &t), 0);
	assert_int_equal(t.steps, -1);
	assert_int_equal(target_parse("20250102000000", &src, NULL, &t), 0);
	assert_int_equal(t.kind, TARGET_VERSION);
	assert_string_equal(t.version, "20250102000000");
	target_release(&t);
	assert_int_equal(target_parse("202502", &src, NULL, &t), 0);	/* unique prefix */
	assert_string_equal(t.version, "20250201000000");
	target_release(&t);
	assert_int_equal(target_parse("202501", &src, NULL, &t), -1);	/* ambiguous */
	err_reset();
	assert_int_equal(target_parse("2026", &src, NULL, &t), -1);	/* unknown */
	err_reset();
	assert_int_equal(target_parse("+0", &src, NULL, &t), -1);
	err_reset();
	assert_int_equal(target_parse("+x", &src, NULL, &t), -1);
	err_reset();
	assert_int_equal(target_parse("latest", &src, NULL, &t), -1);
	err_reset();
	source_release(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(layouts_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(strict_names, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(down_without_up, setup, teardown),
		cmocka_unit_test_setup_teardown(checksums_ignore_bom_and_crlf_only, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(targets, setup, teardown),
	};
	out.verbosity = -1;
	return RUN_TESTS(tests);
}

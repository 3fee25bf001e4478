/* Repeatable migrations and seeds in their folders; the scripts table's name. */
#include "unit.h"
#include "core/source.h"
#include "core/config.h"
#include "core/scripts.h"
#include "util/strbuf.h"
#include "util/out.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void drop(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static int setup(void **state)
{
	char sub[128];
	(void)state;
	strcpy(dir, "/tmp/u-scripts.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/repeatable", dir);
	mkdir(sub, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void repeatables_beside_migrations(void **state)
{
	struct source src;
	struct script s;
	(void)state;
	put("1_init.sql", "SELECT 1;");
	put("R__views.sql", "CREATE VIEW v AS SELECT 1;");
	put("repeatable/b_funcs.sql", "SELECT 2;");
	put("repeatable/notes.txt", "not a script");

	assert_int_equal(source_load(&src, dir), 0);
	assert_int_equal(src.nr, 1);
	assert_int_equal(src.nr_scripts, 2);
	/* by name, wherever the file is */
	assert_string_equal(src.scripts[0].name, "b_funcs");
	assert_string_equal(src.scripts[0].file, "repeatable/b_funcs.sql");
	assert_string_equal(src.scripts[1].name, "views");
	assert_string_equal(src.scripts[1].file, "R__views.sql");
	assert_string_equal(script_label(&src.scripts[1]), "R__views");
	assert_int_equal(script_read_file(&src, src.scripts[1].file, &s), 0);
	assert_string_equal(s.text, "CREATE VIEW v AS SELECT 1;");
	assert_int_equal(strlen(s.checksum), 64);
	script_release(&s);
	source_release(&src);
}

static void repeatable_names_are_checked(void **state)
{
	struct source src;
	(void)state;
	put("repeatable/views.sql", "SELECT 3;");	/* R__views.sql too */
	assert_int_equal(source_load(&src, dir), -1);
	source_release(&src);
	err_reset();
	drop("repeatable/views.sql");

	put("R__x.down.sql", "");
	assert_int_equal(source_load(&src, dir), -1);
	source_release(&src);
	err_reset();
	drop("R__x.down.sql");

	put("R__.sql", "");
	assert_int_equal(source_load(&src, dir), -1);
	source_release(&src);
	err_reset();
	drop("R__.sql");
}

static void a_seeds_folder(void **state)
{
	struct source seeds;
	char sub[128];
	(void)state;
	snprintf(sub, sizeof(sub), "%s/seeds", dir);
	mkdir(sub, 0755);
	put("seeds/b.sql", "SELECT 'b';");
	put("seeds/10_a.sql", "SELECT 'a';");
	put("seeds/2_c.sql", "SELECT 'c';");
	put("seeds/README.md", "");

	assert_int_equal(source_load_seeds(&seeds, sub), 0);
	assert_int_equal(seeds.nr_scripts, 3);
	/* name order is byte order: 10_a before 2_c */
	assert_string_equal(seeds.scripts[0].name, "10_a");
	assert_string_equal(seeds.scripts[1].name, "2_c");
	assert_string_equal(seeds.scripts[2].name, "b");
	source_release(&seeds);

	snprintf(sub, sizeof(sub), "%s/no-such-seeds", dir);
	assert_int_equal(source_load_seeds(&seeds, sub), -1);
	assert_string_equal(last_err.kind, "files");
	source_release(&seeds);
	err_reset();
}

static void scripts_table_names(void **state)
{
	struct config c;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	(void)state;

	memset(&c, 0, sizeof(c));
	c.schema = "public";
	c.table = "strata_migrations";
	scripts_qname(&c, &a);
	assert_string_equal(a.buf, "public.strata_migrations_scripts");
	strbuf_reset(&a);
	c.schema = "Ops";
	c.table = "History";
	scripts_qname(&c, &a);
	assert_string_equal(a.buf, "\"Ops\".\"History_scripts\"");

	/* too long for the suffix: a head of the name and a hash of all of it */
	strbuf_reset(&a);
	c.schema = "s";
	c.table = "a_history_table_with_a_name_so_long_that_it_nearly_fills_63_x";
	scripts_qname(&c, &a);
	c.table = "a_history_table_with_a_name_so_long_that_it_nearly_fills_63_y";
	scripts_qname(&c, &b);
	assert_true(a.len - 2 <= 63);
	assert_true(strcmp(a.buf, b.buf) != 0);
	assert_non_null(strstr(a.buf, "_scripts"));
	strbuf_release(&a);
	strbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(repeatables_beside_migrations),
		cmocka_unit_test(repeatable_names_are_checked),
		cmocka_unit_test(a_seeds_folder),
		cmocka_unit_test(scripts_table_names),
	};
	out.mute = true;
	/* one folder for the whole group: each test builds on the one before */
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}

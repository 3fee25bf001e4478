/* URLs, conninfo strings, redaction, .env, durations, table names. */
#include "unit.h"
#include "core/config.h"
#include "util/out.h"
#include "util/util.h"

#include <unistd.h>

static void url_parts(void **state)
{
	struct conninfo ci = { 0 };
	(void)state;
	assert_int_equal(conninfo_parse("postgresql://alice:p%40ss%3Aword@db.example:6543/app%20db?sslmode=require&application_name=x", &ci), 0);
	assert_string_equal(conninfo_get(&ci, "user"), "alice");
	assert_string_equal(conninfo_get(&ci, "password"), "p@ss:word");
	assert_string_equal(conninfo_get(&ci, "host"), "db.example");
	assert_string_equal(conninfo_get(&ci, "port"), "6543");
	assert_string_equal(conninfo_get(&ci, "dbname"), "app db");
	assert_string_equal(conninfo_get(&ci, "sslmode"), "require");
	conninfo_make_display(&ci);
	assert_null(strstr(ci.display, "p@ss"));
	assert_non_null(strstr(ci.display, "alice:***@db.example:6543"));
	conninfo_release(&ci);

	assert_int_equal(conninfo_parse("postgres://[::1]:5433,h2:5434/db", &ci), 0);
	assert_string_equal(conninfo_get(&ci, "host"), "::1,h2");
	assert_string_equal(conninfo_get(&ci, "port"), "5433,5434");
	conninfo_release(&ci);

	assert_int_equal(conninfo_parse("postgres:///db?host=/tmp/sock", &ci), 0);
	assert_string_equal(conninfo_get(&ci, "host"), "/tmp/sock");
	assert_string_equal(conninfo_get(&ci, "dbname"), "db");
	conninfo_release(&ci);

	assert_int_equal(conninfo_parse("host=/tmp port=5 dbname='my db' password=x\\ y", &ci), 0);
	assert_string_equal(conninfo_get(&ci, "dbname"), "my db");
	assert_string_equal(conninfo_get(&ci, "password"), "x y");
	conninfo_release(&ci);
}

static void malformed_urls_never_become_names(void **state)
{
	const char *bad[] = {
		"postgresql://bob:S3cretCanary@[::1/db",
		"postgresql:/bob:S3cretCanary@127.0.0.1/db",
		"postgresql://bob:S3cret%ZZCanary@localhost/db",
		"postgres://bob:S3cretCanary@host:port/db",
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct conninfo ci = { 0 };
		char *r;
		assert_int_equal(conninfo_parse(bad[i], &ci), -1);
		/* whatever was printed, the secret is registered */
		r = redact(bad[i]);
		assert_null(strstr(r, "S3cret"));
		free(r);
		conninfo_release(&ci);
		err_reset();
	}
}

static void redaction(void **state)
{
	char *r;
	(void)state;
	secret_add("hunter2!");
	r = redact("password hunter2! and encoded hunter2%21 here");
	assert_string_equal(r, "password *** and encoded *** here");
	free(r);
}

static void dotenv(void **state)
{
	char path[] = "/tmp/u-config-env.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	(void)state;
	fputs("# comment\n"
	      "export U_A=plain value # trailing\n"
	      "U_B='single # kept'\n"
	      "U_C=\"line\\nnext\"\n"
	      "U_KEEP=from-file\n"
	      "\n", f);
	fclose(f);
	setenv("U_KEEP", "from-env", 1);
	assert_int_equal(dotenv_load(path, true), 0);
	assert_string_equal(getenv("U_A"), "plain value");
	assert_string_equal(getenv("U_B"), "single # kept");
	assert_string_equal(getenv("U_C"), "line\nnext");
	assert_string_equal(getenv("U_KEEP"), "from-env");

	f = fopen(path, "w");
	fputs("GOOD=1\nthis line is bad\n", f);
	fclose(f);
	assert_int_equal(dotenv_load(path, true), -1);
	assert_non_null(strstr(last_err.msg, ":2:"));
	err_reset();
	unlink(path);
	assert_int_equal(dotenv_load("/nonexistent/.env", false), 0);
	assert_int_equal(dotenv_load("/nonexistent/.env", true), -1);
	err_reset();
}

static void durations(void **state)
{
	long ms;
	(void)state;
	assert_int_equal(parse_duration("10", &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(parse_duration("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(parse_duration("2min", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(parse_duration("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(parse_duration("0", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(parse_duration("", &ms), -1);
	assert_int_equal(parse_duration("10 s", &ms), -1);
	assert_int_equal(parse_duration("-1", &ms), -1);
	assert_int_equal(parse_duration("5days", &ms), -1);
}

static void table_names(void **state)
{
	char *s, *t;
	(void)state;
	assert_int_equal(parse_table_name("hist", &s, &t), 0);
	assert_string_equal(s, "public");
	assert_string_equal(t, "hist");
	free(s), free(t);
	assert_int_equal(parse_table_name("Ops.Hist", &s, &t), 0);
	assert_string_equal(s, "ops");
	assert_string_equal(t, "hist");
	free(s), free(t);
	assert_int_equal(parse_table_name("\"My \"\"S\"\"\".\"T.x\"", &s, &t), 0);
	assert_string_equal(s, "My \"S\"");
	assert_string_equal(t, "T.x");
	free(s), free(t);
	assert_int_equal(parse_table_name("a.b.c", &s, &t), -1);
	assert_int_equal(parse_table_name("bad name", &s, &t), -1);
	assert_int_equal(parse_table_name("", &s, &t), -1);
	assert_int_equal(parse_table_name(
		"a234567890123456789012345678901234567890123456789012345678901234", &s, &t), -1);
}

/* --schema NAME and the schemas = list: one name, as a table name's part */
static void schema_names(void **state)
{
	char *s;
	(void)state;
	assert_int_equal(parse_schema_name("Tenant_01", &s), 0);
	assert_string_equal(s, "tenant_01");
	free(s);
	assert_int_equal(parse_schema_name("\"Tenant A.1\"", &s), 0);
	assert_string_equal(s, "Tenant A.1");
	free(s);
	assert_int_equal(parse_schema_name("a.b", &s), -1);
	assert_int_equal(parse_schema_name("a b", &s), -1);
	assert_int_equal(parse_schema_name("", &s), -1);
}

static char *write_tmp(const char *text)
{
	char path[] = "/tmp/u-config-ini.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return strdup(path);
}

static void ini_envs(void **state)
{
	char *path = write_tmp(
		"; comment\n"
		"[strata]\n"
		"migrations = db/migrations\n"
		"lock_timeout = 750ms\n"
		"url_env = MAIN_URL\n"
		"\n"
		"[env.validator]\n"
		"migrations = validator/migrations\n"
		"table = validator.schema_history\n"
		"url = postgres://v:VeryS3cret@db/validator\n"
		"out_of_order = allow\n"
		"pooler = transaction\n"
		"\n"
		"[env.backend]\n"
		"url_env = BACKEND_URL\n");
	struct config c;
	bool usage;
	char *r;
	(void)state;

	config_init(&c);
	c.opt_config = strdup(path);
	c.opt_env_file = strdup("/dev/null");
	assert_int_equal(config_resolve(&c, &usage), 0);
	assert_string_equal(c.source_dir, "db/migrations");
	assert_string_equal(c.schema, "public");
	assert_string_equal(c.table, "strata_migrations");
	assert_int_equal(c.lock_timeout_ms, 750);
	assert_string_equal(c.url_env, "MAIN_URL");
	assert_false(c.pooler);
	assert_int_equal(c.nr_env_names, 2);
	config_release(&c);

	config_init(&c);
	c.opt_config = strdup(path);
	c.opt_env_file = strdup("/dev/null");
	c.opt_env = strdup("validator");
	c.opt_lock_timeout = 5000;	/* a flag beats the file */
	assert_int_equal(config_resolve(&c, &usage), 0);
	assert_string_equal(c.source_dir, "validator/migrations");
	assert_string_equal(c.schema, "validator");
	assert_string_equal(c.table, "schema_history");
	assert_int_equal(c.lock_timeout_ms, 5000);
	assert_true(c.out_of_order);
	assert_true(c.pooler);
	assert_null(c.url_env);	/* its own url beats [strata]'s url_env */
	assert_non_null(c.cfg_url);
	r = redact("postgres://v:VeryS3cret@db/validator");
	assert_null(strstr(r, "VeryS3cret"));	/* known as a secret once read */
	free(r);
	config_release(&c);

	config_init(&c);
	c.opt_config = strdup(path);
	c.opt_env_file = strdup("/dev/null");
	c.opt_env = strdup("nosuch");
	assert_int_equal(config_resolve(&c, &usage), -1);
	assert_true(usage);
	err_reset();
	config_release(&c);
	unlink(path);
	free(path);

	path = write_tmp("[strata]\nmigrations = a\ncolour = blue\n");
	config_init(&c);
	c.opt_config = strdup(path);
	c.opt_env_file = strdup("/dev/null");
	assert_int_equal(config_resolve(&c, &usage), -1);
	assert_non_null(strstr(last_err.msg, ":3:"));
	assert_non_null(strstr(last_err.msg, "colour"));
	err_reset();
	config_release(&c);
	unlink(path);
	free(path);
}

static void url_precedence(void **state)
{
	struct config c;
	struct conninfo ci;
	bool usage;
	(void)state;

	unsetenv("DATABASE_URL");
	setenv("DB_HOST", "parts-host", 1);
	setenv("DB_NAME", "parts-db", 1);
	setenv("DB_USERNAME", "parts-user", 1);
	config_init(&c);
	c.opt_env_file = strdup("/dev/null");
	c.opt_config = strdup("/dev/null");
	assert_int_equal(config_resolve(&c, &usage), 0);
	assert_int_equal(conninfo_resolve(&c, &ci), 0);
	assert_string_equal(conninfo_get(&ci, "host"), "parts-host");
	assert_string_equal(conninfo_get(&ci, "user"), "parts-user");
	conninfo_release(&ci);

	setenv("DATABASE_URL", "postgres://env-host/env-db", 1);
	assert_int_equal(conninfo_resolve(&c, &ci), 0);
	assert_string_equal(conninfo_get(&ci, "host"), "env-host");
	conninfo_release(&ci);

	setenv("MY_URL", "postgres://named-host/x", 1);
	c.url_env = strdup("MY_URL");
	assert_int_equal(conninfo_resolve(&c, &ci), 0);
	assert_string_equal(conninfo_get(&ci, "host"), "named-host");
	conninfo_release(&ci);

	c.opt_url = strdup("host=flag-host dbname=f");
	assert_int_equal(conninfo_resolve(&c, &ci), 0);
	assert_string_equal(conninfo_get(&ci, "host"), "flag-host");
	assert_string_equal(ci.source, "-d");
	conninfo_release(&ci);

	free(c.opt_url);
	c.opt_url = NULL;
	unsetenv("MY_URL");
	assert_int_equal(conninfo_resolve(&c, &ci), -1);	/* named but unset */
	err_reset();
	conninfo_release(&ci);
	config_release(&c);
	unsetenv("DB_HOST");
	unsetenv("DB_NAME");
	unsetenv("DB_USERNAME");
	unsetenv("DATABASE_URL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url_parts),
		cmocka_unit_test(malformed_urls_never_become_names),
		cmocka_unit_test(redaction),
		cmocka_unit_test(dotenv),
		cmocka_unit_test(durations),
		cmocka_unit_test(table_names),
		cmocka_unit_test(schema_names),
		cmocka_unit_test(ini_envs),
		cmocka_unit_test(url_precedence),
	};
	out.verbosity = -1;
	return RUN_TESTS(tests);
}

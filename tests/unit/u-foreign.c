/* Other tools' history rows in strata's terms: each tool's rules, no server. */
#include "unit.h"
#include "core/foreign.h"

#define ROW(v, ok) { (v), NULL, NULL, (ok), NULL }
#define FLY(v, script, type, ok) { (v), (script), NULL, (ok), (type) }

static void decide(struct foreign *f, enum foreign_tool t,
		   const struct foreign_raw *rows, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->tool = t;
	foreign_decide(f, rows, n);
}

/* "1 2 3": the versions applied one by one */
static void assert_applied(const struct foreign *f, const char *want)
{
	char got[256] = "";
	for (size_t i = 0; i < f->nr; i++) {
		strcat(got, i ? " " : "");
		strcat(got, f->a[i].version);
	}
	assert_string_equal(got, want);
}

static void flyway_versions(void **state)
{
	struct { const char *in, *out; } ok[] = {
		{ "7", "7" }, { "007", "7" }, { "7.0", "7" }, { "7.0.00", "7" },
		{ "20250101120000", "20250101120000" },
	};
	const char *bad[] = { "1.1", "1.0.1", "2024.01.15", "1.", "1..0", ".1", "v1", "" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *v = flyway_version(ok[i].in);
		assert_non_null(v);
		assert_string_equal(v, ok[i].out);
		free(v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_null(flyway_version(bad[i]));
}

static void goose_latest_row_decides(void **state)
{
	/* in id order: version 0 from table creation, 2 down then up, 3 down */
	struct foreign_raw rows[] = {
		ROW("0", true), ROW("1", true), ROW("2", true), ROW("2", false),
		ROW("2", true), ROW("3", true), ROW("3", false),
	};
	struct foreign f;

	(void)state;
	decide(&f, FT_GOOSE, rows, ARRAY_SIZE(rows));
	assert_applied(&f, "1 2");
	assert_int_equal(f.problems.nr, 0);
	foreign_release(&f);
}

static void flyway_rules(void **state)
{
	struct foreign_raw rows[] = {
		FLY("0", "\"public\"", "SCHEMA", true),
		FLY("3", "<< Flyway Baseline >>", "BASELINE", true),
		FLY("4", "V4__a.sql", "SQL", true),
		FLY(NULL, "R__views.sql", "SQL", true),
		FLY("5.0", "V5_0__b.sql", "SQL", true),
		FLY("6", "V6__c.sql", "SQL", true),
		FLY("6", "U6__c.sql", "UNDO_SQL", true),
		FLY("7", "V7__d.sql", "JDBC", true),
		FLY("7", "V7__d.sql", "DELETE", true),
	};
	struct foreign f;

	(void)state;
	decide(&f, FT_FLYWAY, rows, ARRAY_SIZE(rows));
	assert_applied(&f, "4 5");
	assert_string_equal(f.through, "3");
	assert_false(f.through_needs_file);
	assert_int_equal(f.problems.nr, 0);
	foreign_release(&f);
}

static void flyway_refusals(void **state)
{
	struct foreign_raw rows[] = {
		FLY("1", "V1__a.sql", "SQL", true),
		FLY("1.1", "V1_1__b.sql", "SQL", true),
		FLY("1.1", "U1_1__b.sql", "UNDO_SQL", true),
		FLY("2", "V2__c.sql", "SQL", false),
		FLY(NULL, "R__v.sql", "SQL", false),
	};
	struct foreign f;

	(void)state;
	decide(&f, FT_FLYWAY, rows, ARRAY_SIZE(rows));
	assert_int_equal(f.problems.nr, 3);	/* 1.1 once, two failures */
	assert_true(problems_have(&f.problems, "bad_version"));
	assert_true(problems_have(&f.problems, "failed"));
	foreign_release(&f);
}

static void golang_migrate(void **state)
{
	struct foreign_raw clean[] = { ROW("42", true) }, dirty[] = { ROW("42", false) };
	struct foreign_raw two[] = { ROW("1", true), ROW("2", true) };
	struct foreign f;

	(void)state;
	decide(&f, FT_GOLANG_MIGRATE, clean, 1);
	assert_string_equal(f.through, "42");
	assert_true(f.through_needs_file);
	assert_int_equal(f.nr, 0);
	foreign_release(&f);

	decide(&f, FT_GOLANG_MIGRATE, dirty, 1);
	assert_null(f.through);
	assert_true(problems_have(&f.problems, "dirty"));
	foreign_release(&f);

	decide(&f, FT_GOLANG_MIGRATE, two, 2);
	assert_true(problems_have(&f.problems, "rows"));
	foreign_release(&f);

	decide(&f, FT_GOLANG_MIGRATE, NULL, 0);
	assert_null(f.through);
	assert_int_equal(f.problems.nr, 0);
	foreign_release(&f);
}

static void alembic_heads(void **state)
{
	struct foreign_raw one[] = { ROW("ae1027a6acf", true) };
	struct foreign_raw two[] = { ROW("ae1027a6acf", true), ROW("27c6a30d7c24", true) };
	struct foreign f;

	(void)state;
	decide(&f, FT_ALEMBIC, one, 1);
	assert_string_equal(f.alembic_head, "ae1027a6acf");
	foreign_release(&f);
	decide(&f, FT_ALEMBIC, two, 2);
	assert_null(f.alembic_head);
	assert_true(problems_have(&f.problems, "branches"));
	foreign_release(&f);
}

static void plain_and_sqlx(void **state)
{
	/* dbmate: "001" and "1" are one version; a name is refused */
	struct foreign_raw dbmate[] = { ROW("20240301", true), ROW("001", true), ROW("1", true) };
	struct foreign_raw odd[] = { ROW("v2", true) };
	struct foreign_raw sqlx[] = {
		{ "1", "a", "2025-01-01T00:00:00Z", true, "ab" },
		{ "2", "b", NULL, false, "cd" },
	};
	struct foreign f;

	(void)state;
	decide(&f, FT_DBMATE, dbmate, ARRAY_SIZE(dbmate));
	assert_applied(&f, "1 20240301");
	foreign_release(&f);
	decide(&f, FT_DBMATE, odd, 1);
	assert_true(problems_have(&f.problems, "bad_version"));
	foreign_release(&f);
	decide(&f, FT_SQLX, sqlx, ARRAY_SIZE(sqlx));
	assert_applied(&f, "1");
	assert_string_equal(f.a[0].checksum, "ab");
	assert_string_equal(f.a[0].applied_at, "2025-01-01T00:00:00Z");
	assert_true(problems_have(&f.problems, "failed"));
	foreign_release(&f);
}

static void tool_names(void **state)
{
	enum foreign_tool t;

	(void)state;
	assert_int_equal(foreign_tool_parse("golang-migrate", &t), 0);
	assert_int_equal(t, FT_GOLANG_MIGRATE);
	assert_string_equal(foreign_default_table(t), "schema_migrations");
	assert_int_equal(foreign_tool_parse("flyway", &t), 0);
	assert_string_equal(foreign_tool_title(t), "Flyway");
	assert_int_equal(foreign_tool_parse("liquibase", &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flyway_versions),
		cmocka_unit_test(goose_latest_row_decides),
		cmocka_unit_test(flyway_rules),
		cmocka_unit_test(flyway_refusals),
		cmocka_unit_test(golang_migrate),
		cmocka_unit_test(alembic_heads),
		cmocka_unit_test(plain_and_sqlx),
		cmocka_unit_test(tool_names),
	};
	return RUN_TESTS(tests);
}

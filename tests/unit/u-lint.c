/*
 * The lint rules on SQL strings through the real parser: statements that
 * must trigger each rule and near misses that must not; the engine's
 * suppressions, positions and settings.
 */
#include "unit.h"
#include "lint/engine.h"
#include "core/config.h"

#include <ctype.h>

struct opts {
	int pg;			/* 0: 15 */
	bool no_lock_timeout;	/* strata's lock_timeout off */
	bool no_tx;		/* -- strata:no-transaction */
};

static void run(struct linter *l, const char *sql, struct opts o)
{
	linter_init(l, o.pg ? o.pg : 150000, !o.no_lock_timeout);
	lint_text(l, "m.sql", sql, strlen(sql), o.no_tx, false);
	linter_sort(l);
}

static size_t count_rule(const struct linter *l, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr; i++)
		n += !strcmp(l->f[i].rule->id, id);
	return n;
}

struct rule_case {
	const char *rule;
	bool hit;
	const char *sql;
	struct opts o;
};

static const struct rule_case cases[] = {
	/* changing-column-type */
	{ "changing-column-type", true, "ALTER TABLE users ALTER COLUMN age TYPE bigint;", { 0 } },
	{ "changing-column-type", true, "ALTER TABLE t ADD COLUMN c varchar(20); ALTER TABLE t ALTER COLUMN c TYPE varchar(10);", { 0 } },
	{ "changing-column-type", true, "ALTER TABLE t ADD COLUMN c int; ALTER TABLE t ALTER COLUMN c TYPE text;", { 0 } },
	{ "changing-column-type", true, "ALTER TABLE t ADD COLUMN c numeric(10,2); ALTER TABLE t ALTER COLUMN c TYPE numeric(12,3);", { 0 } },
	{ "changing-column-type", false, "ALTER TABLE t ADD COLUMN c varchar(10); ALTER TABLE t ALTER COLUMN c TYPE varchar(20);", { 0 } },
	{ "changing-column-type", false, "ALTER TABLE t ADD COLUMN c varchar(10); ALTER TABLE t ALTER COLUMN c TYPE text;", { 0 } },
	{ "changing-column-type", false, "ALTER TABLE t ADD COLUMN c numeric(10,2); ALTER TABLE t ALTER COLUMN c TYPE numeric(12,2);", { 0 } },
	{ "changing-column-type", false, "ALTER TABLE t ADD COLUMN c text; ALTER TABLE t ALTER COLUMN c TYPE varchar;", { 0 } },
	{ "changing-column-type", false, "CREATE TABLE t (c int); ALTER TABLE t ALTER COLUMN c TYPE bigint;", { 0 } },
	/* adding-field-with-default */
	{ "adding-field-with-default", true, "ALTER TABLE t ADD COLUMN c float8 DEFAULT random();", { 0 } },
	{ "adding-field-with-default", true, "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();", { 0 } },
	{ "adding-field-with-default", true, "ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid();", { 0 } },
	{ "adding-field-with-default", true, "ALTER TABLE t ADD COLUMN c bigint DEFAULT nextval('s');", { 0 } },
	{ "adding-field-with-default", true, "ALTER TABLE t ADD COLUMN c int DEFAULT 0;", { .pg = 100000 } },
	{ "adding-field-with-default", false, "ALTER TABLE t ADD COLUMN c int DEFAULT 0;", { 0 } },
	{ "adding-field-with-default", false, "ALTER TABLE t ADD COLUMN c int DEFAULT 0;", { .pg = 110000 } },
	{ "adding-field-with-default", false, "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();", { 0 } },
	{ "adding-field-with-default", false, "ALTER TABLE t ADD COLUMN c text DEFAULT NULL;", { .pg = 100000 } },
	{ "adding-field-with-default", false, "ALTER TABLE t ALTER COLUMN c SET DEFAULT random();", { 0 } },
	{ "adding-field-with-default", false, "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid();", { 0 } },
	/* adding-stored-generated-column */
	{ "adding-stored-generated-column", true, "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) STORED;", { 0 } },
	{ "adding-stored-generated-column", false, "ALTER TABLE t ADD COLUMN c int;", { 0 } },
	{ "adding-stored-generated-column", false, "CREATE TABLE t (a int, c int GENERATED ALWAYS AS (a * 2) STORED);", { 0 } },
	/* adding-serial-or-identity-column */
	{ "adding-serial-or-identity-column", true, "ALTER TABLE t ADD COLUMN id bigserial;", { 0 } },
	{ "adding-serial-or-identity-column", true, "ALTER TABLE t ADD COLUMN id int GENERATED ALWAYS AS IDENTITY;", { 0 } },
	{ "adding-serial-or-identity-column", false, "ALTER TABLE t ADD COLUMN id bigint;", { 0 } },
	{ "adding-serial-or-identity-column", false, "CREATE TABLE t (id serial);", { 0 } },
	/* require-concurrent-index-creation */
	{ "require-concurrent-index-creation", true, "CREATE INDEX i ON t (a);", { 0 } },
	{ "require-concurrent-index-creation", true, "CREATE TABLE s.t (a int); CREATE INDEX i ON o.t (a);", { 0 } },
	{ "require-concurrent-index-creation", false, "CREATE INDEX CONCURRENTLY i ON t (a);", { 0 } },
	{ "require-concurrent-index-creation", false, "CREATE TABLE t (a int); CREATE INDEX i ON t (a);", { 0 } },
	{ "require-concurrent-index-creation", false, "CREATE TABLE t AS SELECT 1 AS a; CREATE UNIQUE INDEX i ON t (a);", { 0 } },
	/* require-concurrent-index-deletion */
	{ "require-concurrent-index-deletion", true, "DROP INDEX i;", { 0 } },
	{ "require-concurrent-index-deletion", false, "DROP INDEX CONCURRENTLY i;", { 0 } },
	{ "require-concurrent-index-deletion", false, "DROP TABLE t;", { 0 } },
	/* require-concurrent-reindex */
	{ "require-concurrent-reindex", true, "REINDEX INDEX i;", { 0 } },
	{ "require-concurrent-reindex", true, "REINDEX TABLE t;", { .pg = 120000 } },
	{ "require-concurrent-reindex", false, "REINDEX INDEX CONCURRENTLY i;", { 0 } },
	{ "require-concurrent-reindex", false, "REINDEX (CONCURRENTLY) TABLE t;", { 0 } },
	{ "require-concurrent-reindex", false, "REINDEX INDEX i;", { .pg = 110000 } },
	/* require-concurrent-partition-detach */
	{ "require-concurrent-partition-detach", true, "ALTER TABLE m DETACH PARTITION m1;", { .pg = 140000 } },
	{ "require-concurrent-partition-detach", false, "ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY;", { .pg = 140000 } },
	{ "require-concurrent-partition-detach", false, "ALTER TABLE m DETACH PARTITION m1;", { .pg = 130000 } },
	/* constraint-missing-not-valid */
	{ "constraint-missing-not-valid", true, "ALTER TABLE o ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);", { 0 } },
	{ "constraint-missing-not-valid", true, "ALTER TABLE o ADD CONSTRAINT ck CHECK (n > 0);", { 0 } },
	{ "constraint-missing-not-valid", false, "ALTER TABLE o ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;", { 0 } },
	{ "constraint-missing-not-valid", false, "ALTER TABLE o ADD CONSTRAINT ck CHECK (n > 0) NOT VALID;", { 0 } },
	{ "constraint-missing-not-valid", false, "ALTER TABLE o VALIDATE CONSTRAINT ck;", { 0 } },
	{ "constraint-missing-not-valid", false, "CREATE TABLE o (u int); ALTER TABLE o ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);", { 0 } },
	/* disallowed-unique-constraint */
	{ "disallowed-unique-constraint", true, "ALTER TABLE t ADD CONSTRAINT k UNIQUE (a);", { 0 } },
	{ "disallowed-unique-constraint", true, "ALTER TABLE t ADD PRIMARY KEY (id);", { 0 } },
	{ "disallowed-unique-constraint", true, "ALTER TABLE t ADD COLUMN c int UNIQUE;", { 0 } },
	{ "disallowed-unique-constraint", false, "ALTER TABLE t ADD CONSTRAINT k UNIQUE USING INDEX i;", { 0 } },
	{ "disallowed-unique-constraint", false, "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY USING INDEX i;", { 0 } },
	/* adding-not-nullable-field */
	{ "adding-not-nullable-field", true, "ALTER TABLE t ALTER COLUMN c SET NOT NULL;", { 0 } },
	{ "adding-not-nullable-field", false,
	  "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;\n"
	  "ALTER TABLE t VALIDATE CONSTRAINT c_nn;\n"
	  "ALTER TABLE t ALTER COLUMN c SET NOT NULL;", { 0 } },
	{ "adding-not-nullable-field", true,
	  "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;\n"
	  "ALTER TABLE t VALIDATE CONSTRAINT c_nn;\n"
	  "ALTER TABLE t ALTER COLUMN c SET NOT NULL;", { .pg = 110000 } },
	{ "adding-not-nullable-field", true,
	  "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;\n"
	  "ALTER TABLE t ALTER COLUMN c SET NOT NULL;", { 0 } },
	{ "adding-not-nullable-field", true,
	  "ALTER TABLE t ADD CONSTRAINT d_nn CHECK (d IS NOT NULL);\n"
	  "ALTER TABLE t ALTER COLUMN c SET NOT NULL;", { 0 } },
	{ "adding-not-nullable-field", false, "ALTER TABLE t ALTER COLUMN c DROP NOT NULL;", { 0 } },
	/* adding-required-field */
	{ "adding-required-field", true, "ALTER TABLE t ADD COLUMN c int NOT NULL;", { 0 } },
	{ "adding-required-field", false, "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;", { 0 } },
	{ "adding-required-field", false, "ALTER TABLE t ADD COLUMN c int;", { 0 } },
	{ "adding-required-field", false, "CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN c int NOT NULL;", { 0 } },
	/* ban-concurrent-index-creation-in-transaction */
	{ "ban-concurrent-index-creation-in-transaction", true, "CREATE TABLE x (a int); CREATE INDEX CONCURRENTLY i ON t (a);", { 0 } },
	{ "ban-concurrent-index-creation-in-transaction", false, "CREATE INDEX CONCURRENTLY i ON t (a);", { 0 } },
	{ "ban-concurrent-index-creation-in-transaction", false, "SELECT 1; CREATE INDEX CONCURRENTLY i ON t (a);", { .no_tx = true } },
	/* transaction-nesting */
	{ "transaction-nesting", true, "BEGIN; SELECT 1; COMMIT;", { 0 } },
	{ "transaction-nesting", true, "SELECT 1; ROLLBACK;", { 0 } },
	{ "transaction-nesting", false, "SAVEPOINT a; SELECT 1; RELEASE SAVEPOINT a;", { 0 } },
	/* ban-truncate-cascade */
	{ "ban-truncate-cascade", true, "TRUNCATE a CASCADE;", { 0 } },
	{ "ban-truncate-cascade", false, "TRUNCATE a;", { 0 } },
	/* prefer-repack */
	{ "prefer-repack", true, "VACUUM FULL t;", { 0 } },
	{ "prefer-repack", true, "VACUUM (FULL, ANALYZE) t;", { 0 } },
	{ "prefer-repack", true, "CLUSTER t USING i;", { 0 } },
	{ "prefer-repack", false, "VACUUM t;", { 0 } },
	{ "prefer-repack", false, "VACUUM (FULL false) t;", { 0 } },
	{ "prefer-repack", false, "ANALYZE t;", { 0 } },
	/* require-lock-timeout */
	{ "require-lock-timeout", true, "ALTER TABLE t ADD COLUMN c int;", { .no_lock_timeout = true } },
	{ "require-lock-timeout", true, "SET lock_timeout = 0; ALTER TABLE t ADD COLUMN c int;", { .no_lock_timeout = true } },
	{ "require-lock-timeout", false, "SET lock_timeout = '2s'; ALTER TABLE t ADD COLUMN c int;", { .no_lock_timeout = true } },
	{ "require-lock-timeout", false, "SET LOCAL lock_timeout TO 1000; DROP INDEX CONCURRENTLY i;", { .no_lock_timeout = true } },
	{ "require-lock-timeout", false, "ALTER TABLE t ADD COLUMN c int;", { 0 } },
	{ "require-lock-timeout", false, "SELECT 1; INSERT INTO t VALUES (1);", { .no_lock_timeout = true } },
	/* adding-exclusion-constraint */
	{ "adding-exclusion-constraint", true, "ALTER TABLE r ADD CONSTRAINT x EXCLUDE USING gist (room WITH =, during WITH &&);", { 0 } },
	{ "adding-exclusion-constraint", false, "CREATE TABLE r (room int, during tsrange); ALTER TABLE r ADD CONSTRAINT x EXCLUDE USING gist (room WITH =, during WITH &&);", { 0 } },
	/* ban-alter-domain-with-add-constraint */
	{ "ban-alter-domain-with-add-constraint", true, "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);", { 0 } },
	{ "ban-alter-domain-with-add-constraint", false, "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID;", { 0 } },
	{ "ban-alter-domain-with-add-constraint", false, "ALTER DOMAIN d VALIDATE CONSTRAINT c;", { 0 } },
};

static void rules_trigger_and_near_misses(void **state)
{
	int bad = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct linter l;
		size_t n;
		assert_non_null(lint_rule_find(cases[i].rule));
		run(&l, cases[i].sql, cases[i].o);
		n = count_rule(&l, cases[i].rule);
		if ((n > 0) != cases[i].hit || count_rule(&l, "syntax-error")) {
			print_error("%s %s: %s\n", cases[i].rule,
				    cases[i].hit ? "missed" : "fired on", cases[i].sql);
			bad++;
		}
		linter_release(&l);
	}
	assert_int_equal(bad, 0);
}

/* Every rule of this group has at least one case each way. */
static void every_rule_is_tested_both_ways(void **state)
{
	(void)state;
	for (size_t k = 0; lint_rules_locking[k]; k++) {
		bool hit = false, miss = false;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (strcmp(cases[i].rule, lint_rules_locking[k]->id))
				continue;
			hit |= cases[i].hit;
			miss |= !cases[i].hit;
		}
		if (!hit || !miss)
			fail_msg("rule %s lacks a %s case", lint_rules_locking[k]->id,
				 hit ? "near-miss" : "triggering");
	}
}

static void rules_are_described(void **state)
{
	(void)state;
	for (size_t k = 0; k < lint_rule_count(); k++) {
		const struct lint_rule *r = lint_rule_at(k);
		assert_non_null(r->summary);
		assert_true(strlen(r->explanation) > 40);
		for (const char *p = r->id; *p; p++)
			assert_true(islower((unsigned char)*p) || *p == '-');
		assert_ptr_equal(lint_rule_find(r->id), r);
	}
}

static void positions_point_at_the_node(void **state)
{
	struct linter l;
	(void)state;

	run(&l, "SELECT 1;\n\n  ALTER TABLE t\n    ADD COLUMN c uuid DEFAULT gen_random_uuid();\n", (struct opts){ 0 });
	assert_int_equal(l.nr, 1);
	assert_int_equal(l.f[0].line, 4);
	assert_int_equal(l.f[0].col, 31);
	assert_string_equal(l.f[0].source, "    ADD COLUMN c uuid DEFAULT gen_random_uuid();");
	linter_release(&l);
	/* a whole-statement finding points at its first token, after comments */
	run(&l, "-- why\n/* more */ DROP INDEX i;", (struct opts){ 0 });
	assert_int_equal(l.nr, 1);
	assert_int_equal(l.f[0].line, 2);
	assert_int_equal(l.f[0].col, 12);
	linter_release(&l);
}

static void syntax_error_is_a_finding(void **state)
{
	struct linter l;
	(void)state;

	run(&l, "SELECT 1;\nALTER TABLE t ADD COLUMN;\n", (struct opts){ 0 });
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.f[0].rule->id, "syntax-error");
	assert_int_equal(l.f[0].severity, LINT_ERROR);
	assert_int_equal(l.f[0].line, 2);
	assert_int_equal(l.f[0].col, 25);
	linter_release(&l);
}

static void copy_data_keeps_positions(void **state)
{
	struct linter l;
	(void)state;

	run(&l, "COPY t (a) FROM stdin;\n1\n2\n\\.\nCREATE INDEX i ON t (a);\n", (struct opts){ 0 });
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.f[0].rule->id, "require-concurrent-index-creation");
	assert_int_equal(l.f[0].line, 5);
	linter_release(&l);
}

static void allow_comments(void **state)
{
	struct linter l;
	(void)state;

	/* on the line before, with a reason: allowed */
	run(&l, "-- strata:allow require-concurrent-index-creation t has 10 rows\nCREATE INDEX i ON t (a);", (struct opts){ 0 });
	assert_int_equal(l.nr, 0);
	linter_release(&l);
	/* on the statement's first line */
	run(&l, "DROP INDEX i; -- strata:allow require-concurrent-index-deletion unused index", (struct opts){ 0 });
	assert_int_equal(l.nr, 0);
	linter_release(&l);
	/* above other comment lines */
	run(&l, "-- strata:allow require-concurrent-index-creation small\n-- more words\nCREATE INDEX i ON t (a);", (struct opts){ 0 });
	assert_int_equal(l.nr, 0);
	linter_release(&l);
	/* a blank line cuts it off */
	run(&l, "-- strata:allow require-concurrent-index-creation small\n\nCREATE INDEX i ON t (a);", (struct opts){ 0 });
	assert_int_equal(count_rule(&l, "require-concurrent-index-creation"), 1);
	linter_release(&l);
	/* another rule's allow does not help */
	run(&l, "-- strata:allow ban-truncate-cascade reason\nCREATE INDEX i ON t (a);", (struct opts){ 0 });
	assert_int_equal(count_rule(&l, "require-concurrent-index-creation"), 1);
	linter_release(&l);
	/* no reason: a finding of its own */
	run(&l, "-- strata:allow require-concurrent-index-creation\nCREATE INDEX i ON t (a);", (struct opts){ 0 });
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.f[0].rule->id, "allow-without-reason");
	assert_int_equal(l.f[0].line, 1);
	linter_release(&l);
	/* an unknown id */
	run(&l, "-- strata:allow require-concurent-index-creation typo\nCREATE INDEX i ON t (a);", (struct opts){ 0 });
	assert_int_equal(count_rule(&l, "unknown-rule"), 1);
	assert_int_equal(count_rule(&l, "require-concurrent-index-creation"), 1);
	linter_release(&l);
	/* inside a string it is no comment */
	run(&l, "SELECT 'x';\nCREATE INDEX i ON t (a);", (struct opts){ 0 });
	assert_int_equal(l.nr, 1);
	linter_release(&l);
}

static void config_changes_severities(void **state)
{
	struct config c = { 0 };
	struct linter l;
	(void)state;

	c.lint_disable = (char *)"ban-truncate-cascade";
	c.lint_info = (char *)"require-concurrent-index-creation, prefer-repack";
	linter_init(&l, 150000, true);
	assert_int_equal(linter_configure(&l, &c), 0);
	lint_text(&l, "m.sql", "TRUNCATE a CASCADE; CREATE INDEX i ON t (a);", 44, false, false);
	assert_int_equal(l.nr, 1);
	assert_int_equal(l.f[0].severity, LINT_INFO);
	assert_int_equal(linter_count(&l, LINT_ERROR), 0);
	linter_release(&l);

	c.lint_disable = (char *)"no-such-rule";
	linter_init(&l, 150000, true);
	assert_int_equal(linter_configure(&l, &c), -1);
	linter_release(&l);
}

static void pg_versions(void **state)
{
	(void)state;
	assert_int_equal(lint_parse_pg_version("15"), 150000);
	assert_int_equal(lint_parse_pg_version("9.6"), 90600);
	assert_int_equal(lint_parse_pg_version("120000"), 120000);
	assert_int_equal(lint_parse_pg_version("x"), -1);
	assert_int_equal(lint_parse_pg_version("15.x"), -1);
	assert_int_equal(lint_parse_pg_version("3"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules_trigger_and_near_misses),
		cmocka_unit_test(every_rule_is_tested_both_ways),
		cmocka_unit_test(rules_are_described),
		cmocka_unit_test(positions_point_at_the_node),
		cmocka_unit_test(syntax_error_is_a_finding),
		cmocka_unit_test(copy_data_keeps_positions),
		cmocka_unit_test(allow_comments),
		cmocka_unit_test(config_changes_severities),
		cmocka_unit_test(pg_versions),
	};
	return RUN_TESTS(tests);
}

#!/bin/bash
test_description='repeatable migrations, seeds and COPY data through PgBouncer in transaction pooling mode (--pooler): each runs once'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"

test -x "$PGBOUNCER" || skip_all "no pgbouncer at $PGBOUNCER"
test_pg_start
pgbouncer_start || { echo "Bail out! cannot start PgBouncer"; exit 1; }

test_expect_success 'setup: a migration with COPY data, a repeatable, two seeds (one with COPY data)' '
	pg_createdb app &&
	BDB=$(pgbouncer_url app) &&
	mkdir -p migrations seeds &&
	printf "CREATE TABLE t (id int, v text);\nCREATE TABLE runs (what text);\nCOPY t FROM stdin;\n1\tone\n2\ttwo\n\\\\.\n" \
		>migrations/1_t.sql &&
	printf "CREATE OR REPLACE VIEW n AS SELECT count(*) FROM t;\nINSERT INTO runs VALUES (\$\$view\$\$);\n" \
		>migrations/R__n.sql &&
	printf "COPY t FROM stdin;\n3\tthree\n\\\\.\nINSERT INTO runs VALUES (\$\$a\$\$);\n" >seeds/a.sql &&
	printf "INSERT INTO runs VALUES (\$\$b\$\$);\nSELECT pg_sleep(0.2);\n" >seeds/b.sql
'

test_expect_success 'concurrent ups through PgBouncer: the migration and the repeatable run once' '
	strata_race up 3 -d "$BDB" --pooler up &&
	test_hist app "1" &&
	test_equal 2 "$(pg_sql app "SELECT count(*) FROM t")" &&
	test_equal "view" "$(pg_sql app "SELECT string_agg(what, \$\$ \$\$) FROM runs")"
'

test_expect_success 'concurrent seeds through PgBouncer: each seed runs once, its COPY data too' '
	strata_race seed 3 -d "$BDB" --pooler seed &&
	test_equal "a b view" "$(pg_sql app "SELECT string_agg(what, \$\$ \$\$ ORDER BY what) FROM runs")" &&
	test_equal 3 "$(pg_sql app "SELECT count(*) FROM t")" &&
	test_equal 3 "$(pg_sql app "SELECT count(*) FROM strata_migrations_scripts")"
'

test_expect_success 'seed --again through PgBouncer runs them again (the guard lets it)' '
	strata -d "$BDB" --pooler seed --again b >out 2>err &&
	test_equal 2 "$(pg_sql app "SELECT count(*) FROM runs WHERE what = \$\$b\$\$")"
'

test_expect_success 'no advisory lock left behind on any backend' '
	test_equal 0 "$(pg_sql app "SELECT count(*) FROM pg_locks WHERE locktype = \$\$advisory\$\$")"
'

test_done

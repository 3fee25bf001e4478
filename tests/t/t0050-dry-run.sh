#!/bin/bash
test_description='--dry-run prints the SQL, bookkeeping included, and changes nothing'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE dry_one (id int);" >migrations/1_one.up.sql &&
	echo "DROP TABLE dry_one;" >migrations/1_one.down.sql &&
	echo "CREATE TABLE dry_two (id int);" >migrations/2_two.up.sql &&
	echo "DROP TABLE dry_two;" >migrations/2_two.down.sql
'

test_expect_success 'up --dry-run prints the migrations and the bookkeeping' '
	strata -d "$DB" up --dry-run >out 2>err &&
	test_grep "CREATE TABLE dry_one" out &&
	test_grep "CREATE TABLE dry_two" out &&
	test_grep -i "BEGIN" out &&
	test_grep -i "COMMIT" out &&
	test_grep -i "INSERT INTO.*strata_migrations" out
'

test_expect_success 'the SQL comes out in order: BEGIN, body, history row, COMMIT' '
	awk "
		/CREATE TABLE dry_one/ && !c { c = NR }
		/^[[:space:]]*(BEGIN|begin)[[:space:]]*;/ && !c { b = NR }
		/^EXECUTE strata_record_applied/ && c && !i { i = NR }
		/^[[:space:]]*(COMMIT|commit)[[:space:]]*;/ && i && !e { e = NR }
		END { print (b && c && i && e) ? \"ordered\" : \"not ordered: \" b \" \" c \" \" i \" \" e }
	" out >actual &&
	echo ordered >expect &&
	test_cmp expect actual
'

test_expect_success 'up --dry-run changed nothing: no history table, no tables' '
	test_no_history app &&
	test_no_table app dry_one &&
	test_no_table app dry_two
'

test_expect_success 'up --dry-run sent no DDL to the server' '
	test_grep ! -i "CREATE TABLE dry_one" "$(pg_log)"
'

test_expect_success 'up --dry-run --json says dry_run and lists what would run' '
	strata -d "$DB" up --dry-run --json >dry.json 2>err &&
	json_check dry.json "d[\"dry_run\"] is True" &&
	json_check dry.json "d[\"from\"] == \"base\" and d[\"to\"] == \"2\"" &&
	json_check dry.json "[m[\"version\"] for m in d[\"applied\"]] == [\"1\", \"2\"]" &&
	test_no_history app
'

test_expect_success 'down --dry-run prints the down SQL and reverts nothing' '
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2" &&
	strata -d "$DB" down --dry-run >out 2>err &&
	test_grep "DROP TABLE dry_two" out &&
	test_grep ! "DROP TABLE dry_one" out &&
	test_grep "strata_migrations" out &&
	test_hist app "1 2" &&
	test_table app dry_two
'

test_expect_success 'redo --dry-run changes nothing' '
	before=$(pg_sql app "SELECT applied_at FROM public.strata_migrations WHERE version = \$\$2\$\$") &&
	strata -d "$DB" redo --dry-run >out 2>err &&
	test_grep "DROP TABLE dry_two" out &&
	test_grep "CREATE TABLE dry_two" out &&
	after=$(pg_sql app "SELECT applied_at FROM public.strata_migrations WHERE version = \$\$2\$\$") &&
	test "$before" = "$after"
'

test_done

#!/bin/bash
test_description='the history INSERT is prepared once per session, survives rollbacks, and a migration that drops it costs a retry, never a wrong history'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

state_of() {
	json_get "$1" "[m[\"state\"] for m in d[\"migrations\"] if m[\"version\"] == \"$2\"][0]"
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE one (id int);" >migrations/1_one.sql &&
	printf "CREATE TABLE \"two\"\"s\" (id int);\n" >"migrations/2_it'"'"'s two.sql" &&
	echo "CREATE TABLE three (id int);" >migrations/3_three.sql
'

test_expect_success 'dry run: one PREPARE before the first BEGIN, one EXECUTE per migration' '
	strata -d "$DB" up --dry-run >out 2>err &&
	test $(grep -c "^PREPARE strata_record_applied (text, text, text) AS INSERT INTO public.strata_migrations" out) = 1 &&
	test $(grep -c "^EXECUTE strata_record_applied(" out) = 3 &&
	test_grep "^EXECUTE strata_record_applied(.2., .it'"'"''"'"'s two., .[0-9a-f]\{64\}.);" out &&
	prep=$(grep -n "^PREPARE" out | cut -d: -f1) &&
	first_begin=$(grep -n "^BEGIN;" out | sed -n 2p | cut -d: -f1) &&
	test "$prep" -lt "$first_begin"
'

test_expect_success 'the dry run is the exact SQL: psql runs it into the same history as up' '
	pg_createdb viapsql &&
	grep -v "^-- session startup" out >script.sql &&
	pg_psql -d viapsql -f script.sql >psql.out 2>&1 &&
	STRATA_CACHE=off strata -d "$(pg_url viapsql)" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = applied &&
	test "$(state_of s.json 2)" = applied &&
	test "$(state_of s.json 3)" = applied &&
	test_table viapsql "\"two\"\"s\""
'

test_expect_success 'up writes the same rows through the prepared statement' '
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3" &&
	test "$(pg_sql app "SELECT name FROM strata_migrations WHERE version = '"'"'2'"'"'")" = "it'"'"'s two" &&
	test "$(pg_sql app "SELECT count(*) FROM strata_migrations WHERE duration_ms IS NULL OR duration_ms < 0")" = 0 &&
	STRATA_CACHE=off strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = applied
'

test_expect_success 'a migration that fails after the PREPARE leaves it usable for the next run' '
	echo "CREATE TABLE four (id int); SELECT 1/0;" >migrations/4_four.sql &&
	echo "CREATE TABLE five (id int);" >migrations/5_five.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "4_four.sql:1:" err &&
	test_hist app "1 2 3" &&
	echo "CREATE TABLE four (id int);" >migrations/4_four.sql &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3 4 5"
'

test_expect_success 'DEALLOCATE ALL inside a migration: that migration runs again with a plain INSERT, the rest too' '
	printf "CREATE TABLE six (id int);\nDEALLOCATE ALL;\n" >migrations/6_six.sql &&
	echo "CREATE TABLE seven (id int);" >migrations/7_seven.sql &&
	strata -d "$DB" -v up >out 2>err &&
	test_grep "prepared history INSERT is gone" err &&
	test_hist app "1 2 3 4 5 6 7" &&
	test_table app six &&
	test_table app seven
'

test_expect_success 'DISCARD ALL in a no-transaction migration: the next one notices and carries on' '
	printf -- "-- strata:no-transaction\nDISCARD ALL;\n" >migrations/8_discard.sql &&
	echo "CREATE TABLE nine (id int);" >migrations/9_nine.sql &&
	echo "CREATE TABLE ten (id int);" >migrations/10_ten.sql &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3 4 5 6 7 8 9 10" &&
	test_table app ten &&
	STRATA_CACHE=off strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 9)" = applied
'

test_expect_success 'a migration whose own EXECUTE names no prepared statement fails where it says so' '
	printf "CREATE TABLE eleven (id int);\nEXECUTE no_such_statement;\n" >migrations/11_eleven.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "11_eleven.sql:2:" err &&
	test_grep "26000" err &&
	test_hist app "1 2 3 4 5 6 7 8 9 10" &&
	test_no_table app eleven
'

test_expect_success 'behind a pooler nothing is prepared' '
	rm migrations/11_eleven.sql &&
	echo "CREATE TABLE twelve (id int);" >migrations/12_twelve.sql &&
	strata -d "$DB" --pooler up --dry-run >out 2>err &&
	test_grep ! "PREPARE" out &&
	test_grep ! "EXECUTE strata_record_applied" out &&
	test_grep "INSERT INTO public.strata_migrations (version, name, checksum, duration_ms) VALUES (.12." out
'

test_done

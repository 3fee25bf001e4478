#!/bin/bash
test_description='a COMMIT that fails (deferred constraint) is blamed on its own migration'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	cat >migrations/1_tables.sql <<-\SQL &&
	CREATE TABLE parent (id int PRIMARY KEY);
	CREATE TABLE child (p int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);
	SQL
	echo "INSERT INTO child VALUES (42);" >migrations/2_orphan.sql &&
	echo "CREATE TABLE after_orphan (id int);" >migrations/3_after.sql
'

test_expect_success 'up fails at the COMMIT of migration 2, exit 1' '
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "2_orphan" err &&
	test_grep "23503" err &&
	test_grep "1_tables" out
'

test_expect_success 'history: 1 applied; 2 rolled back; 3 never ran' '
	test "$(hist_versions app)" = "1" &&
	test "$(pg_sql app "SELECT count(*) FROM child")" = 0 &&
	test_no_table app after_orphan
'

test_expect_success 'the --json error names migration 2' '
	test_expect_code 1 strata -d "$DB" --json up >j.json 2>err &&
	json_check j.json "d[\"error\"][\"migration\"] == \"2\"" &&
	json_check j.json "d[\"error\"][\"sqlstate\"] == \"23503\"" &&
	json_check j.json "d[\"applied\"] == []"
'

test_expect_success 'fixed, up applies 2 and 3' '
	echo "INSERT INTO parent VALUES (42); INSERT INTO child VALUES (42);" >migrations/2_orphan.sql &&
	strata -d "$DB" up >out 2>err &&
	test "$(hist_count app)" = 3
'

test_done

#!/bin/bash
test_description='schema_file kept current by up, down and redo; --dump, --no-dump, --dry-run, environments, a failed write'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations db &&
	echo "CREATE TABLE one (id int PRIMARY KEY);" >migrations/1_one.up.sql &&
	echo "DROP TABLE one;" >migrations/1_one.down.sql &&
	echo "CREATE TABLE two (id int);" >migrations/2_two.up.sql &&
	echo "DROP TABLE two;" >migrations/2_two.down.sql &&
	printf "[strata]\nschema_file = db/schema.sql\n" >strata.ini
'

test_expect_success 'up rewrites schema_file with the dump of the database' '
	strata -d "$DB" up >out 2>err &&
	test_grep "schema written to db/schema.sql" out &&
	strata -d "$DB" dump -o - >expect.sql 2>err &&
	test_cmp expect.sql db/schema.sql &&
	test_grep "^CREATE TABLE public.two " db/schema.sql &&
	test_path_is_missing db/schema.sql.partial
'

test_expect_success 'nothing to apply: the file is left alone' '
	echo "-- edited by hand" >db/schema.sql &&
	strata -d "$DB" up >out 2>err &&
	test_equal "-- edited by hand" "$(cat db/schema.sql)"
'

test_expect_success 'nothing to apply and no file yet: it is written' '
	rm db/schema.sql &&
	strata -d "$DB" up >out 2>err &&
	test_cmp expect.sql db/schema.sql
'

test_expect_success 'down rewrites it: the reverted table is gone from the file' '
	strata -d "$DB" down >out 2>err &&
	test_grep ! "CREATE TABLE public.two " db/schema.sql &&
	test_grep "^CREATE TABLE public.one " db/schema.sql
'

test_expect_success 'redo rewrites it' '
	echo "stale" >db/schema.sql &&
	strata -d "$DB" redo >out 2>err &&
	test_grep "^CREATE TABLE public.one " db/schema.sql
'

test_expect_success '--no-dump leaves it; --dry-run never writes' '
	echo "stale" >db/schema.sql &&
	strata -d "$DB" up --no-dump >out 2>err &&
	test_equal stale "$(cat db/schema.sql)" &&
	strata -d "$DB" down --dry-run >out 2>err &&
	test_equal stale "$(cat db/schema.sql)" &&
	test_path_is_missing db/schema.sql.partial
'

test_expect_success '--dump=FILE writes there, the configured file untouched; --json names it' '
	strata -d "$DB" down --dump=other.sql --json >d.json 2>err &&
	json_check d.json "d[\"schema_file\"] == \"other.sql\" and d[\"ok\"] is True" &&
	test_equal stale "$(cat db/schema.sql)" &&
	test_grep ! "CREATE TABLE public.two " other.sql &&
	test_grep "^CREATE TABLE public.one " other.sql
'

test_expect_success 'no schema_file: nothing written; --dump alone is a usage error' '
	rm strata.ini &&
	strata -d "$DB" up --json >d.json 2>err &&
	json_check d.json "d[\"schema_file\"] is None" &&
	test_expect_code 2 strata -d "$DB" down --dump >out 2>err &&
	test_grep "dump=FILE" err &&
	test_expect_code 2 strata -d "$DB" down --dump --no-dump >out 2>err &&
	test_expect_code 2 strata -d "$DB" down --dump= >out 2>err &&
	test_hist app "1 2"
'

test_expect_success 'an environment keeps its own schema_file, not the one of [strata]' '
	printf "[strata]\nschema_file = db/schema.sql\n[env.ci]\nurl = %s\n[env.stage]\nurl = %s\nschema_file = db/stage.sql\n" "$DB" "$DB" >strata.ini &&
	echo "stale" >db/schema.sql &&
	strata -e ci down >out 2>err &&
	test_equal stale "$(cat db/schema.sql)" &&
	strata -e stage up >out 2>err &&
	test_grep "^CREATE TABLE public.two " db/stage.sql &&
	test_equal stale "$(cat db/schema.sql)"
'

test_expect_success 'a write that fails after the migration: exit 1, the migration stands, a note says so' '
	printf "[strata]\nschema_file = nosuch/schema.sql\n" >strata.ini &&
	test_expect_code 1 strata -d "$DB" down --json >d.json 2>err &&
	json_check d.json "d[\"ok\"] is False and d[\"error\"][\"kind\"] == \"files\"" &&
	json_check d.json "d[\"reverted\"][0][\"version\"] == \"2\"" &&
	test_grep "nosuch/schema.sql" err &&
	test_grep "database change stands" err &&
	test_hist app "1" &&
	test_path_is_missing nosuch
'

test_done

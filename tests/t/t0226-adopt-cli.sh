#!/bin/bash
test_description='adopt: usage errors, help, the migration lock, --json --dry-run, strata'"'"'s own table'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup: a dbmate database' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE a (id int);" >migrations/1_a.sql &&
	echo "CREATE TABLE b (id int);" >migrations/2_b.sql &&
	pg_sql app "create table schema_migrations (version varchar(255) primary key);
		insert into schema_migrations values (1); create table a (id int)"
'

test_expect_success 'help adopt and adopt --help describe it' '
	strata help adopt >out 2>&1 &&
	test_grep -e "--from TOOL" out &&
	test_grep "golang-migrate" out &&
	test_grep -e "--force" out &&
	test_grep -e "-- alembic: REVISION" out &&
	strata adopt --help >out2 2>&1 &&
	test_cmp out out2 &&
	strata help >out 2>&1 &&
	test_grep -w "adopt" out
'

test_expect_success 'adopt without --from is a usage error naming the tools' '
	test_expect_code 2 strata -d "$DB" adopt >out 2>err &&
	test_grep "needs --from TOOL (alembic, sqlx, typeorm, dbmate, golang-migrate, goose, flyway)" err
'

test_expect_success 'an unknown tool, a stray argument, a bad table name: usage errors (exit 2)' '
	test_expect_code 2 strata -d "$DB" adopt --from liquibase --json >out.json 2>err &&
	test_grep "unknown tool '"'"'liquibase'"'"'" err &&
	json_check out.json "d[\"error\"][\"kind\"] == \"usage\"" &&
	test_expect_code 2 strata -d "$DB" adopt --from dbmate extra >out 2>err &&
	test_grep "unexpected argument '"'"'extra'"'"'" err &&
	test_expect_code 2 strata -d "$DB" adopt --from dbmate --from-table "a b" >out 2>err &&
	test_grep "invalid table name" err &&
	test_no_history app
'

test_expect_success '--json --dry-run: the statements, nothing written' '
	strata -d "$DB" adopt --from=dbmate --dry-run --json >d.json 2>err &&
	json_check d.json "d[\"dry_run\"] is True and d[\"ok\"] is True" &&
	json_check d.json "d[\"sql\"][0] == \"BEGIN;\\n\" and d[\"sql\"][-1] == \"COMMIT;\\n\"" &&
	json_check d.json "any(\"CREATE TABLE IF NOT EXISTS public.strata_migrations\" in s for s in d[\"sql\"])" &&
	json_check d.json "[m[\"version\"] for m in d[\"adopted\"]] == [\"1\"] and d[\"current\"] == \"base\"" &&
	test_no_history app
'

test_expect_success 'adopt waits for the migration lock, and gives up after --lock-wait' '
	mkdir slow &&
	echo "SELECT pg_sleep(4);" >slow/1_slow.sql &&
	( strata -d "$DB" -s slow up >holder.out 2>holder.err; echo $? >holder.rc ) &
	holder=$! &&
	pg_wait_query app "%pg_sleep(4)%" &&
	test_expect_code 1 strata -d "$DB" --lock-wait 500ms adopt --from dbmate --json >l.json 2>err &&
	json_check l.json "d[\"error\"][\"kind\"] == \"lock\"" &&
	wait $holder &&
	test "$(cat holder.rc)" = 0 &&
	test_hist app "1"
'

test_expect_success 'the tool table may not be strata'"'"'s own history' '
	test_expect_code 1 strata -d "$DB" adopt --from dbmate --from-table strata_migrations >out 2>err &&
	test_grep "strata_migrations is strata'"'"'s own history table" err
'

test_expect_success '-q prints nothing on success' '
	pg_createdb quiet &&
	pg_sql quiet "create table schema_migrations (version varchar(255) primary key);
		insert into schema_migrations values (1), (2)" &&
	strata -q -d "$(pg_url quiet)" adopt --from dbmate >out 2>err &&
	test ! -s out && test ! -s err &&
	test_hist quiet "1 2"
'

test_done

#!/bin/bash
test_description='strata plan: sizes and verdicts on a 1-million-row table, the sessions in the way, read-only'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# holder_start SQL: a psql session (application_name holder) that runs SQL
# in an open transaction and stays idle in it, until holder_stop.
holder_start() {
	rm -f holder.in && mkfifo holder.in &&
	{ PGAPPNAME=holder pg_psql -d app <holder.in >holder.out 2>&1 & } &&
	HOLDER=$! &&
	exec 7>holder.in &&
	echo "BEGIN; $1 SELECT 'held';" >&7 &&
	pg_wait_for app "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name = 'holder' AND state = 'idle in transaction')"
}

holder_stop() {
	echo "ROLLBACK;" >&7 &&
	exec 7>&- &&
	wait $HOLDER
}

holder_pid() {
	pg_sql app "SELECT pid FROM pg_stat_activity WHERE application_name = 'holder'"
}

big_bytes() {
	pg_sql app "SELECT pg_total_relation_size('big')"
}

index_count() {
	pg_sql app "SELECT count(*) FROM pg_indexes WHERE indexname = '$1'"
}

# verdict FILE N: the verdict level of the Nth migration of plan --json
verdict() {
	json_get "$1" "d[\"migrations\"][$2][\"verdict\"][\"level\"]"
}

test_expect_success 'setup: a table of 1 million rows' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	pg_sql app "CREATE TABLE big (id int PRIMARY KEY, val int);
		INSERT INTO big SELECT g, g FROM generate_series(1, 1000000) g;
		CREATE TABLE small (id int PRIMARY KEY, big_id int);
		CREATE INDEX big_val_idx ON big (val);
		ANALYZE big; ANALYZE small" &&
	mkdir migrations &&
	printf "CREATE TABLE fresh (id int);\nCREATE INDEX fresh_id ON fresh (id);\nINSERT INTO fresh VALUES (1);\n" >migrations/1_fresh.sql &&
	echo "CREATE INDEX big_id_val ON big (id, val);" >migrations/2_index.sql &&
	echo "ALTER TABLE big ALTER COLUMN val SET NOT NULL;" >migrations/3_not_null.sql &&
	echo "ALTER TABLE big ALTER COLUMN val TYPE bigint;" >migrations/4_type.sql &&
	printf -- "-- a nullable column\nALTER TABLE big ADD COLUMN note text;\n" >migrations/5_add.sql &&
	echo "ALTER TABLE small ADD FOREIGN KEY (big_id) REFERENCES big (id) NOT VALID;" >migrations/6_fk.sql &&
	echo "DROP INDEX big_val_idx;" >migrations/7_drop_index.sql &&
	echo "CREATE EXTENSION IF NOT EXISTS plpgsql;" >migrations/8_unknown.sql
'

test_expect_success 'plan --json: each pending migration with its verdict' '
	strata -d "$DB" plan --json >plan.json 2>err &&
	json_check plan.json "len(d[\"migrations\"]) == 8" &&
	test "$(verdict plan.json 0)" = safe &&
	test "$(verdict plan.json 1)" = blocks_writes &&
	test "$(verdict plan.json 2)" = blocks_reads_writes &&
	test "$(verdict plan.json 3)" = rewrites &&
	test "$(verdict plan.json 4)" = blocks_reads_writes &&
	test "$(verdict plan.json 5)" = blocks_writes &&
	test "$(verdict plan.json 6)" = blocks_reads_writes
'

test_expect_success 'the size of the table: rows from reltuples, bytes from pg_total_relation_size' '
	json_check plan.json "abs(d[\"migrations\"][1][\"verdict\"][\"rows\"] - 1000000) < 50000" &&
	json_check plan.json "d[\"migrations\"][1][\"statements\"][0][\"locks\"][0][\"relation\"] == \"public.big\"" &&
	json_check plan.json "d[\"migrations\"][1][\"statements\"][0][\"locks\"][0][\"mode\"] == \"SHARE\"" &&
	json_check plan.json "d[\"migrations\"][1][\"statements\"][0][\"locks\"][0][\"work\"] == \"scans\"" &&
	bytes=$(big_bytes) &&
	json_check plan.json "d[\"migrations\"][1][\"statements\"][0][\"locks\"][0][\"bytes\"] == $bytes" &&
	json_check plan.json "d[\"migrations\"][3][\"verdict\"][\"bytes\"] == $bytes" &&
	json_check plan.json "\"MB\" in d[\"migrations\"][3][\"verdict\"][\"text\"]"
'

test_expect_success 'the new table is new, the catalog-only column is brief, the unknown kind is said' '
	json_check plan.json "d[\"migrations\"][0][\"statements\"][1][\"locks\"][0][\"new\"] is True" &&
	json_check plan.json "d[\"migrations\"][0][\"statements\"][1][\"locks\"][0][\"relation\"] is None" &&
	json_check plan.json "\"catalog only\" in d[\"migrations\"][4][\"verdict\"][\"text\"]" &&
	json_check plan.json "d[\"migrations\"][4][\"statements\"][0][\"line\"] == 2" &&
	json_check plan.json "d[\"migrations\"][7][\"statements\"][0][\"known\"] is False" &&
	json_check plan.json "d[\"migrations\"][7][\"verdict\"][\"unknown_statements\"] == 1"
'

test_expect_success 'a foreign key locks both tables; an index name resolves to its table' '
	json_check plan.json "sorted(l[\"relation\"] for l in d[\"migrations\"][5][\"statements\"][0][\"locks\"]) == [\"public.big\", \"public.small\"]" &&
	json_check plan.json "all(l[\"mode\"] == \"SHARE ROW EXCLUSIVE\" for l in d[\"migrations\"][5][\"statements\"][0][\"locks\"])" &&
	json_check plan.json "d[\"migrations\"][6][\"statements\"][0][\"locks\"][0][\"relation\"] == \"public.big\"" &&
	json_check plan.json "d[\"migrations\"][6][\"statements\"][0][\"locks\"][0][\"written\"] == \"big_val_idx\""
'

test_expect_success 'text: a table with the statement, lock, relation, rows and verdict' '
	strata -d "$DB" plan >out 2>err &&
	test_grep "2_index.sql" out &&
	test_grep "CREATE INDEX big_id_val ON big" out &&
	test_grep "SHARE .*public.big .*scans" out &&
	test_grep "verdict: blocks writes for ~" out &&
	test_grep "verdict: rewrites [0-9]* MB" out &&
	test_grep "verdict: safe" out &&
	test_grep "fresh (new)" out
'

test_expect_success 'plan is read-only: no history table, nothing changed' '
	test_no_history app &&
	test "$(index_count big_id_val)" = 0 &&
	pg_log_mark &&
	strata -d "$DB" plan >out 2>err &&
	pg_log_since | grep "statement: " >stmts &&
	test_grep "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" stmts &&
	! grep -i "advisory" stmts
'

test_expect_success 'only pending migrations: after up 2, plan starts at 3' '
	strata -d "$DB" up 2 --force >out 2>err &&
	strata -d "$DB" plan --json >plan2.json 2>err &&
	json_check plan2.json "[m[\"version\"] for m in d[\"migrations\"]][0] == \"3\""
'

test_expect_success 'a session idle in transaction holding ACCESS SHARE on big is shown, with its pid' '
	holder_start "SELECT count(*) FROM big;" &&
	pid=$(holder_pid) &&
	strata -d "$DB" plan --json >plan3.json 2>err &&
	strata -d "$DB" plan >out 2>err;
	holder_stop &&
	json_check plan3.json "any(b[\"pid\"] == $pid and b[\"mode\"] == \"AccessShareLock\" and b[\"granted\"] and b[\"state\"] == \"idle in transaction\" for m in d[\"migrations\"] for s in m[\"statements\"] for l in s[\"locks\"] for b in l[\"blockers\"])" &&
	test_grep "pid $pid (postgres@local), idle in transaction for [0-9]* s, holds AccessShareLock on public.big" out
'


test_expect_success 'LOCK TABLE in another session: plan shows the holder and does not wait behind it' '
	echo "SELECT count(*) FROM big;" >select.sql &&
	holder_start "LOCK TABLE big IN ACCESS EXCLUSIVE MODE;" &&
	pid=$(holder_pid) &&
	STRATA_TIMEOUT=20 strata -d "$DB" plan --json select.sql >plan5.json 2>err;
	rc=$?;
	holder_stop &&
	test $rc = 0 &&
	json_check plan5.json "d[\"migrations\"][0][\"statements\"][0][\"locks\"][0][\"blockers\"][0][\"pid\"] == $pid" &&
	json_check plan5.json "d[\"migrations\"][0][\"statements\"][0][\"locks\"][0][\"blockers\"][0][\"mode\"] == \"AccessExclusiveLock\"" &&
	json_check plan5.json "d[\"migrations\"][0][\"statements\"][0][\"locks\"][0][\"bytes\"] > 0"
'

test_expect_success 'a table rewritten twice counts once in the verdict; a longer varchar is no rewrite' '
	pg_sql app "ALTER TABLE small ADD COLUMN label varchar(10)" &&
	printf "ALTER TABLE big ALTER COLUMN val TYPE bigint;\nALTER TABLE big ALTER COLUMN id TYPE bigint;\nALTER TABLE small ALTER COLUMN label TYPE varchar(20);\n" >twice.sql &&
	strata -d "$DB" plan --json twice.sql >twice.json 2>err &&
	bytes=$(big_bytes) &&
	json_check twice.json "d[\"migrations\"][0][\"verdict\"][\"bytes\"] == $bytes" &&
	json_check twice.json "d[\"migrations\"][0][\"statements\"][2][\"locks\"][0][\"work\"] == \"catalog only\""
'

test_expect_success 'names are found through search_path, as the migration sets it' '
	pg_sql app "CREATE SCHEMA app; CREATE TABLE app.big (id int); CREATE TABLE app.small (id int)" &&
	printf "ALTER TABLE small ADD COLUMN x int;\nSET search_path TO app;\nALTER TABLE small ADD COLUMN y int;\nSELECT * FROM public.small;\n" >path.sql &&
	strata -d "$DB" plan --json path.sql >path.json 2>err &&
	json_check path.json "[s[\"locks\"][0][\"relation\"] for s in d[\"migrations\"][0][\"statements\"] if s[\"locks\"]] == [\"public.small\", \"app.small\", \"public.small\"]" &&
	test "$(pg_sql app "SHOW search_path")" = "\"\$user\", public"
'

test_expect_success 'a syntax error names the file and line; exit 1' '
	printf "SELECT 1;\nALTER TABLE big ADD COLUMN;\n" >bad.sql &&
	test_expect_code 1 strata -d "$DB" plan bad.sql >out 2>err &&
	test_grep "bad.sql" err &&
	test_grep ":2" err
'

test_expect_success 'a missing file is an error naming it; --json still one document' '
	test_expect_code 1 strata -d "$DB" plan --json nope.sql >out 2>err &&
	json_valid out &&
	test_grep "nope.sql" err
'

test_done

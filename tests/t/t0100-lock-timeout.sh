#!/bin/bash
test_description='--lock-timeout / --lock-retries against a table locked by another session'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# holder_start: a psql session that holds ACCESS EXCLUSIVE on t in an open
# transaction, until holder_commit.
holder_start() {
	rm -f holder.in && mkfifo holder.in &&
	{ pg_psql -d app <holder.in >holder.out 2>&1 & } &&
	HOLDER=$! &&
	exec 7>holder.in &&
	echo "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&7 &&
	pg_wait_for app "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 't'::regclass
		AND mode = 'AccessExclusiveLock' AND granted AND pid <> pg_backend_pid())"
}

holder_commit() {
	echo "COMMIT;" >&7 &&
	exec 7>&- &&
	wait $HOLDER
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	pg_sql app "CREATE TABLE t (id int)" &&
	mkdir migrations &&
	echo "ALTER TABLE t ADD COLUMN c int;" >migrations/1_alter_t.sql
'

test_expect_success 'up fails with exit 1 and a lock-timeout message while t is locked' '
	holder_start &&
	t0=$EPOCHREALTIME &&
	test_expect_code 1 strata -d "$DB" --lock-timeout 200ms --lock-retries 1 up >out 2>err;
	rc=$?;
	t1=$EPOCHREALTIME;
	test $rc = 0 &&
	test_grep -i "lock" err &&
	test_grep "55P03" err &&
	python3 -c "import sys; e = $t1 - $t0; print(e); sys.exit(0 if e < 10 else 1)"
'

test_expect_success 'nothing was applied' '
	test "$(hist_count app)" = 0 &&
	test "$(pg_sql app "SELECT count(*) FROM information_schema.columns WHERE table_name = \$\$t\$\$ AND column_name = \$\$c\$\$")" = 0
'

test_expect_success 'the --json error says lock timeout, SQLSTATE 55P03' '
	test_expect_code 1 strata -d "$DB" --lock-timeout 200ms --lock-retries 1 --json up >j.json 2>err &&
	json_check j.json "d[\"ok\"] is False" &&
	json_check j.json "d[\"error\"][\"sqlstate\"] == \"55P03\"" &&
	json_check j.json "\"lock\" in d[\"error\"][\"kind\"]" &&
	json_check j.json "d[\"error\"][\"retryable\"] is True"
'

test_expect_success 'after the holder commits, up succeeds' '
	holder_commit &&
	strata -d "$DB" --lock-timeout 200ms --lock-retries 1 up >out 2>err &&
	test_hist app "1" &&
	pg_sql app "SELECT c FROM t" >/dev/null
'

test_expect_success 'retries: the lock is released during the retries, up succeeds' '
	echo "ALTER TABLE t ADD COLUMN d int;" >migrations/2_alter_t_again.sql &&
	holder_start &&
	( sleep 1.5; echo "COMMIT;" >&7 ) &
	releaser=$! &&
	strata -d "$DB" --lock-timeout 200ms --lock-retries 5 up >out 2>err &&
	wait $releaser &&
	exec 7>&- &&
	wait $HOLDER &&
	test_hist app "1 2" &&
	pg_sql app "SELECT d FROM t" >/dev/null
'

test_expect_success 'the default lock timeout is short: up fails within seconds, not minutes' '
	echo "ALTER TABLE t ADD COLUMN e int;" >migrations/3_alter_t_third.sql &&
	holder_start &&
	t0=$EPOCHREALTIME &&
	test_expect_code 1 strata -d "$DB" --lock-retries 0 up >out 2>err;
	rc=$?;
	t1=$EPOCHREALTIME;
	holder_commit;
	test $rc = 0 &&
	test_grep "55P03" err &&
	python3 -c "import sys; e = $t1 - $t0; print(e); sys.exit(0 if 1.5 <= e < 10 else 1)" &&
	test_hist app "1 2"
'

test_done

#!/bin/bash
test_description='--wait: keep trying until the server accepts connections (container entrypoints)'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

pg_ctl_() {
	pg_as_owner_ "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 60 "$@" >/dev/null
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE waited (id int);" >migrations/1_waited.sql &&
	pg_ctl_ -m fast stop
'

test_expect_success 'up --wait succeeds once the server starts meanwhile' '
	strata_bg out err -d "$DB" --wait=30s up &&
	sleep 2 &&
	pg_ctl_ start &&
	wait $STRATA_PID &&
	test "$(hist_count app)" = 1 &&
	test_table app waited
'

test_expect_success 'without --wait a stopped server fails at once with exit 1' '
	pg_ctl_ -m fast stop &&
	test_expect_code 1 strata -d "$DB" status >out 2>err &&
	test_grep -e "--wait" err &&
	pg_ctl_ start
'

test_done

#!/bin/bash
test_description='strata wait: until the server accepts connections (a late start), a timeout naming host and port'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

pg_ctl_() {
	pg_as_owner_ "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 60 "$@" >/dev/null
}

on_tty() {
	script -qec "$1" /dev/null
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app)
'

test_expect_success 'a running server: exit 0 at once' '
	strata -d "$DB" wait >out 2>err &&
	test_grep "accepts connections" out &&
	strata -d "$DB" --json wait >out.json 2>err &&
	json_check out.json "d[\"command\"] == \"wait\" and d[\"ok\"] and d[\"database_exists\"] is True and d[\"database\"] == \"app\""
'

test_expect_success 'a server that starts late: wait returns 0 once it accepts' '
	pg_ctl_ -m fast stop &&
	strata_bg out err -d "$DB" --wait=30s wait &&
	sleep 2 &&
	kill -0 $STRATA_PID &&
	pg_ctl_ start &&
	wait $STRATA_PID &&
	test_grep "accepts connections (after [0-9.]* s)" out &&
	pg_sql app "SELECT 1" >/dev/null
'

test_expect_success 'the server started in the background after a delay, as in a container' '
	pg_ctl_ -m fast stop || return 1
	(sleep 3 && pg_ctl_ start) &
	starter=$!
	start=$(date +%s) &&
	strata -d "$DB" --wait=40s --json wait >out.json 2>err &&
	wait $starter &&
	test $(( $(date +%s) - start )) -ge 2 &&
	json_check out.json "d[\"waited_ms\"] >= 2000 and d[\"database_exists\"]"
'

test_expect_success 'nothing listening: exit 1 after --wait, naming host and port' '
	port=$(free_port) &&
	start=$(date +%s) &&
	test_expect_code 1 strata -d "host=127.0.0.1 port=$port user=postgres dbname=app" --wait=2s wait >out 2>err &&
	elapsed=$(( $(date +%s) - start )) &&
	test $elapsed -ge 1 && test $elapsed -le 10 &&
	test_grep "host 127.0.0.1 port $port did not accept connections within" err &&
	test_grep "Connection refused" err
'

test_expect_success 'the timeout as JSON: kind connection, retryable' '
	port=$(free_port) &&
	test_expect_code 1 strata -d "host=127.0.0.1 port=$port dbname=app" --wait=1s --json wait >out.json 2>err &&
	json_check out.json "d[\"ok\"] is False and d[\"error\"][\"kind\"] == \"connection\" and d[\"error\"][\"retryable\"]" &&
	json_check out.json "\"127.0.0.1\" in d[\"error\"][\"message\"]"
'

test_expect_success 'a stopped unix-socket server: the message names the socket folder' '
	pg_ctl_ -m fast stop &&
	test_expect_code 1 strata -d "$DB" --wait=1s wait >out 2>err;
	rc=$?
	pg_ctl_ start &&
	test $rc = 0 &&
	test_grep "unix socket in $PGHOST port $PGPORT" err
'

test_expect_success 'the server is up but the database does not exist yet: exit 0, as pg_isready' '
	strata -d "$(pg_url nosuchdb)" wait >out 2>err &&
	test_grep "accepts connections" out &&
	test_grep "does not exist yet" err &&
	strata -d "$(pg_url nosuchdb)" --json wait >out.json 2>err &&
	json_check out.json "d[\"database_exists\"] is False and d[\"ok\"]"
'

test_expect_success 'the server is up but refuses the login: exit 1 at once, no waiting' '
	start=$(date +%s) &&
	test_expect_code 1 strata -d "host=$PGHOST port=$PGPORT user=nosuchrole dbname=app" --wait=30s wait >out 2>err &&
	test $(( $(date +%s) - start )) -lt 10 &&
	test_grep "accepts connections, but not" err &&
	test_grep "role \"nosuchrole\" does not exist" err
'

test_expect_success 'on a terminal, a line counts the seconds' '
	port=$(free_port) &&
	on_tty "$STRATA -d \"host=127.0.0.1 port=$port dbname=app\" --wait=2500ms wait" >out 2>&1;
	test_grep "waiting for the server at host 127.0.0.1 port $port\.\.\. [12] s" out
'

test_expect_success 'wait takes no argument (the time is --wait)' '
	test_expect_code 2 strata -d "$DB" wait 10 >out 2>err &&
	test_grep -e "--wait" err
'

test_expect_success 'wait --help' '
	strata wait --help >out 2>err &&
	test_grep "pg_isready" out
'

test_done

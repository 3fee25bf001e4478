#!/bin/bash
test_description='backup and restore with a password: it reaches pg_dump through its environment, never its command line or any output'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

CANARY=Pa55wordCanary

# no_canary FILE...: none of the files holds the password
no_canary() {
	local f bad=
	for f in "$@"; do
		if grep -F -q "$CANARY" "$f"; then
			echo "no_canary: the password leaked into $f:" >&2
			grep -F "$CANARY" "$f" | sed -e "s/^/| /" >&2
			bad=1
		fi
	done
	test -z "$bad"
}

# every_cmdline: the command lines of every process, one per line
every_cmdline() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$f" 2>/dev/null
		echo
	done
}

enc_host() { printf '%s' "${PGHOST//\//%2F}"; }

test_expect_success 'setup: a role that must give its password (scram), a database it owns' '
	PGOPTIONS="-c log_statement=none" pg_sql postgres "SET password_encryption = \$\$scram-sha-256\$\$; CREATE ROLE canary LOGIN CREATEDB PASSWORD \$\$$CANARY\$\$" &&
	pg_sql postgres "CREATE DATABASE sec OWNER canary" &&
	{ echo "local all canary scram-sha-256"; cat "$PG_DATA/pg_hba.conf"; } >hba &&
	cp hba "$PG_DATA/pg_hba.conf" &&
	pg_sql postgres "SELECT pg_reload_conf()" >/dev/null &&
	URL="postgresql://canary:$CANARY@$(enc_host):$PGPORT/sec" &&
	mkdir migrations &&
	echo "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);" >migrations/1_t.sql &&
	strata -d "$URL" up >out 2>err
'

test_expect_success 'the password is really checked' '
	test_must_fail "$PG_BINDIR/psql" -X -w -h "$PGHOST" -p "$PGPORT" -U canary -d sec -c "SELECT 1" 2>err &&
	test_grep "password" err
'

test_expect_success 'backup with the password in the URL works and shows it nowhere' '
	strata -d "$URL" backup -o a.dump >out 2>err &&
	test_path_is_file a.dump &&
	no_canary out err &&
	strata -d "$URL" -vv --json backup -o b.dump >out 2>err &&
	no_canary out err &&
	json_check out "d[\"ok\"] and \"***\" in d[\"url\"]"
'

test_expect_success 'while pg_dump runs, no command line holds the password; its environment does' '
	PGAPPNAME=locker pg_sql sec "BEGIN; LOCK TABLE t; SELECT pg_sleep(60)" >/dev/null 2>&1 &
	locker=$! &&
	pg_wait_for sec "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '"'"'locker'"'"' AND state = '"'"'active'"'"')" &&
	strata_bg out err -d "$URL" backup -o c.dump &&
	for i in $(seq 1 100); do child=$(pgrep -P $STRATA_PID -x pg_dump) && break; sleep 0.1; done &&
	test -n "$child" &&
	pg_wait_for sec "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '"'"'pg_dump'"'"' AND wait_event_type = '"'"'Lock'"'"')" &&
	tr "\0" " " </proc/$child/cmdline >pg_dump.cmdline &&
	every_cmdline >all.cmdline &&
	tr "\0" "\n" </proc/$child/environ >pg_dump.environ &&
	pg_sql postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"'"'locker'"'"'" >/dev/null &&
	wait $STRATA_PID &&
	wait $locker;
	test_grep "pg_dump --format=custom" pg_dump.cmdline &&
	no_canary pg_dump.cmdline all.cmdline out err &&
	test_grep -x "PGPASSWORD=$CANARY" pg_dump.environ &&
	test_grep -x "PGUSER=canary" pg_dump.environ &&
	test_path_is_file c.dump
'

test_expect_success 'restore with the password from DATABASE_URL, and from DB_PASSWORD' '
	DATABASE_URL="postgresql://canary:$CANARY@$(enc_host):$PGPORT/sec2" strata create >out 2>err &&
	no_canary out err &&
	DATABASE_URL="postgresql://canary:$CANARY@$(enc_host):$PGPORT/sec2" strata -v restore a.dump >out 2>err &&
	no_canary out err &&
	test "$(pg_sql sec2 "SELECT count(*) FROM t")" = 100 &&
	DB_HOST=$PGHOST DB_PORT=$PGPORT DB_USER=canary DB_PASSWORD=$CANARY DB_NAME=sec2 \
		strata -v --json restore --clean a.dump >out 2>err &&
	no_canary out err &&
	json_check out "d[\"ok\"]"
'

test_expect_success 'a failing pg_restore and a failing pg_dump print no password' '
	head -c 200 a.dump >broken.dump &&
	pg_createdb sec3 &&
	pg_sql sec3 "ALTER DATABASE sec3 OWNER TO canary" &&
	test_expect_code 1 strata -d "postgresql://canary:$CANARY@$(enc_host):$PGPORT/sec3" -vv restore broken.dump >out 2>err &&
	no_canary out err &&
	pg_sql sec "CREATE TABLE hidden (id int); REVOKE ALL ON hidden FROM PUBLIC" &&
	PGOPTIONS="-c log_statement=none" pg_sql postgres "CREATE ROLE other LOGIN PASSWORD \$\$$CANARY\$\$" &&
	test_expect_code 1 strata -d "postgresql://other:$CANARY@$(enc_host):$PGPORT/sec" --json backup -o d.dump >out 2>err &&
	no_canary out err &&
	test_path_is_missing d.dump
'

test_expect_success 'the password is nowhere in the server log' '
	no_canary "$(pg_log)"
'

test_done

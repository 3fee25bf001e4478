#!/bin/bash
test_description='a password never appears in stdout, stderr, --json, -v, errors, or the server log'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

CANARY=S3cretCanary

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

# run_case NAME [EXPECTED_EXIT|any|fail] ARGS...: run strata, keep stdout and
# stderr in outs/NAME.{out,err}, check the exit status and that the
# password is in neither.
run_case() {
	local name=$1 want=$2 rc
	shift 2
	strata "$@" >outs/$name.out 2>outs/$name.err
	rc=$?
	case "$want" in
	any) ;;
	fail) test $rc -ne 0 && test $rc -lt 124 || { echo "$name: exit $rc, wanted a failure" >&2; cat outs/$name.err >&2; return 1; } ;;
	*) test $rc = "$want" || { echo "$name: exit $rc, wanted $want" >&2; cat outs/$name.err >&2; return 1; } ;;
	esac
	no_canary outs/$name.out outs/$name.err
}

enc_host() { printf '%s' "${PGHOST//\//%2F}"; }

test_expect_success 'setup: a role with a password, a database it owns' '
	mkdir outs &&
	PGOPTIONS="-c log_statement=none" pg_sql postgres "SET password_encryption = \$\$scram-sha-256\$\$; CREATE ROLE canary LOGIN PASSWORD \$\$$CANARY\$\$" &&
	no_canary "$(pg_log)" &&
	pg_sql postgres "CREATE DATABASE sec OWNER canary" &&
	URL="postgresql://canary:$CANARY@$(enc_host):$PGPORT/sec" &&
	QURL="postgresql://canary:$CANARY@/sec?host=$PGHOST&port=$PGPORT" &&
	KV="host=$PGHOST port=$PGPORT user=canary password=$CANARY dbname=sec" &&
	mkdir migrations &&
	echo "CREATE TABLE s1 (id int);" >migrations/1_s1.up.sql &&
	echo "DROP TABLE s1;" >migrations/1_s1.down.sql &&
	echo "CREATE TABLE s2 (id int);" >migrations/2_s2.up.sql &&
	echo "DROP TABLE s2;" >migrations/2_s2.down.sql
'

test_expect_success '-d URL: up, status, current, history (text, --json, -v)' '
	run_case up1 0 -d "$URL" up +1 &&
	run_case up1v 0 -v -d "$URL" up &&
	run_case down1 0 -d "$URL" --json down &&
	run_case upj 0 -d "$URL" --json up &&
	run_case status 0 -d "$URL" status &&
	run_case statusj 0 -d "$URL" --json status &&
	run_case statusv 0 -d "$URL" -v status &&
	run_case current 0 -d "$URL" current &&
	run_case history 0 -d "$URL" -v history -v &&
	run_case validate 0 -d "$URL" --json validate &&
	run_case dry 0 -d "$URL" -v redo --dry-run &&
	test_hist sec "1 2"
'

test_expect_success 'URLs are shown with the password as ***' '
	test_grep -F "***" outs/statusj.out
'

test_expect_success '-d URL with ?host= and -d key=value conninfo' '
	run_case qurl 0 -d "$QURL" -v status &&
	run_case kv 0 -d "$KV" -v --json status &&
	run_case kvdown 0 -d "$KV" down
'

test_expect_success 'DATABASE_URL' '
	DATABASE_URL=$URL run_case dburl 0 -v up &&
	DATABASE_URL=$URL run_case dburlj 0 --json status
'

test_expect_success 'DB_PASSWORD' '
	DB_HOST=$PGHOST DB_PORT=$PGPORT DB_USER=canary DB_PASSWORD=$CANARY DB_NAME=sec \
		run_case dbvars 0 -v --json status
'

test_expect_success '.env' '
	mkdir envdir &&
	echo "DATABASE_URL=$URL" >envdir/.env &&
	cp -r migrations envdir/ &&
	(cd envdir && strata -v status >../outs/dotenv.out 2>../outs/dotenv.err) &&
	no_canary outs/dotenv.out outs/dotenv.err &&
	echo "DB_PASSWORD=$CANARY" >envdir/db.env &&
	(cd envdir && DB_HOST=$PGHOST DB_PORT=$PGPORT DB_USER=canary DB_NAME=sec \
		strata --env-file db.env --json status >../outs/dotenv2.out 2>../outs/dotenv2.err) &&
	no_canary outs/dotenv2.out outs/dotenv2.err
'

test_expect_success 'failing SQL (text and --json)' '
	printf "CREATE TABLE s3 (id int);\nSELECT * FROM no_such_relation;\n" >migrations/3_bad.sql &&
	run_case badsql 1 -d "$URL" up &&
	run_case badsqlj 1 -d "$URL" --json up &&
	run_case badsqlv 1 -d "$URL" -v up &&
	test_grep 42P01 outs/badsql.err &&
	rm migrations/3_bad.sql
'

test_expect_success 'malformed URL: unclosed [' '
	run_case bracket fail -d "postgresql://canary:$CANARY@[::1/sec" status &&
	run_case bracketj fail -d "postgresql://canary:$CANARY@[::1/sec" --json status
'

test_expect_success 'malformed URL: one slash (would become a dbname)' '
	run_case oneslash fail -d "postgresql:/canary:$CANARY@127.0.0.1/sec" status &&
	run_case oneslashv fail -v -d "postgresql:/canary:$CANARY@127.0.0.1/sec" --json up
'

test_expect_success 'malformed URL: bad %-escape, bad port' '
	run_case badpct fail -d "postgresql://canary:$CANARY%ZZ@127.0.0.1/sec" status &&
	run_case badport fail -d "postgresql://canary:$CANARY@127.0.0.1:99999/sec" status
'

test_expect_success 'malformed URL in DATABASE_URL' '
	DATABASE_URL="postgresql:/canary:$CANARY@127.0.0.1/sec" run_case envslash fail status &&
	DATABASE_URL="postgres://canary:$CANARY@[::1/sec" run_case envbracket fail -v status
'

test_expect_success 'connection refused' '
	port=$(free_port) &&
	run_case refused 1 -d "postgresql://canary:$CANARY@127.0.0.1:$port/sec" up &&
	run_case refusedj 1 -d "postgresql://canary:$CANARY@127.0.0.1:$port/sec" --json -v up &&
	run_case refusedkv 1 -d "host=127.0.0.1 port=$port user=canary password=$CANARY dbname=sec" status &&
	test_grep -F "127.0.0.1" outs/refused.err
'

test_expect_success 'database that does not exist (the server answers)' '
	run_case nodb 1 -d "postgresql://canary:$CANARY@$(enc_host):$PGPORT/no_such_db" -v status
'

test_expect_success 'the password is nowhere in the server log' '
	no_canary "$(pg_log)"
'

test_expect_success 'the password is not in pg_stat_activity.application_name' '
	test_grep -F "canary" "$(pg_log)" &&
	test "$(pg_sql postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE \$\$%$CANARY%\$\$")" = 0
'

test_done

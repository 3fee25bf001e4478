#!/bin/bash
test_description='scratch databases: --shadow URL (empty used, not empty refused), a database on the target server, a local cluster'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# Scratch clusters go to a TMPDIR of this script's own (short: it holds a
# unix socket); whatever a failing test leaves there is stopped at exit.
TMPDIR=$(mktemp -d /tmp/st-shadow.XXXXXX) && chmod 755 "$TMPDIR" && export TMPDIR
test_atexit "for f in $TMPDIR/strata-shadow.*/data/postmaster.pid; do [ -f \$f ] && kill -QUIT \$(head -1 \$f); done; sleep 1; rm -rf $TMPDIR"

# no_process_in DIR: no process runs with DIR in its command line
no_process_in() {
	if ps -eo pid=,args= | grep -F -- "$1" | grep -v grep >&2; then
		echo "no_process_in: processes still run in $1" >&2
		return 1
	fi
}

test_expect_success 'setup' '
	pg_createdb app &&
	pg_createdb scratch &&
	pg_createdb busy &&
	pg_sql busy "CREATE TABLE keep (v int); INSERT INTO keep VALUES (42)" &&
	pg_sql postgres "CREATE ROLE nocreate LOGIN" &&
	pg_sql postgres "CREATE ROLE maker LOGIN CREATEDB" &&
	pg_sql app "CREATE TABLE app_t (v int)"
'

test_expect_success '--shadow URL naming an empty database: used as it is' '
	strata -d "$(pg_url app)" --shadow "$(pg_uri scratch)" dev --check-shadow --json >out 2>err &&
	json_check out "d[\"shadow\"][\"kind\"] == \"url\"" &&
	json_check out "d[\"shadow\"][\"database\"] == \"scratch\"" &&
	json_check out "d[\"ok\"] is True" &&
	test "$(pg_sql postgres "SELECT count(*) FROM pg_database WHERE datname = \$\$scratch\$\$")" = 1
'

test_expect_success '--shadow URL naming a database that is not empty: refused, untouched' '
	pg_log_mark &&
	test_expect_code 1 strata -d "$(pg_url app)" --shadow "$(pg_url busy)" dev --check-shadow >out 2>err &&
	test_grep "not empty" err &&
	test_grep "public.keep" err &&
	test "$(pg_sql busy "SELECT v FROM keep")" = 42 &&
	pg_log_since >log &&
	test_grep ! -i -e "drop" -e "delete" -e "truncate" log
'

test_expect_success 'a refused --shadow is a "shadow" error in --json' '
	test_expect_code 1 strata -d "$(pg_url app)" --shadow "$(pg_url busy)" dev --check-shadow --json >out 2>err &&
	json_check out "d[\"ok\"] is False" &&
	json_check out "d[\"error\"][\"kind\"] == \"shadow\""
'

test_expect_success 'shadow = URL in strata.ini; --shadow wins over it' '
	printf "[strata]\nshadow = %s\n" "$(pg_uri scratch)" >strata.ini &&
	strata -d "$(pg_url app)" dev --check-shadow --json >out 2>err &&
	json_check out "d[\"shadow\"][\"kind\"] == \"url\"" &&
	json_check out "d[\"shadow\"][\"database\"] == \"scratch\"" &&
	printf "[strata]\nshadow = %s\n" "$(pg_uri busy)" >strata.ini &&
	test_expect_code 1 strata -d "$(pg_url app)" dev --check-shadow >out 2>err &&
	test_grep "not empty" err &&
	strata -d "$(pg_url app)" --shadow "$(pg_uri scratch)" dev --check-shadow --json >out 2>err &&
	json_check out "d[\"shadow\"][\"database\"] == \"scratch\"" &&
	rm strata.ini
'

test_expect_success 'the password of --shadow is never printed' '
	h=${PGHOST//\//%2F} &&
	url="postgresql://postgres:Sh4dowPw@$h:$PGPORT/scratch" &&
	strata -v -d "$(pg_url app)" --shadow "$url" dev --check-shadow >out 2>err &&
	strata -d "$(pg_url app)" --shadow "$url" dev --check-shadow --json >out.json 2>>err &&
	test_grep ! Sh4dowPw out &&
	test_grep ! Sh4dowPw out.json &&
	test_grep ! Sh4dowPw err &&
	test_expect_code 1 strata -d "$(pg_url app)" --shadow "postgresql://postgres:Sh4dowPw@$h:1/x" dev --check-shadow >out 2>err &&
	test_grep ! Sh4dowPw out &&
	test_grep ! Sh4dowPw err &&
	test_grep -e "--shadow" err
'

test_expect_success 'a role that may create databases: strata_shadow_<hex> on the target server, dropped afterwards' '
	pg_log_mark &&
	strata -d "host=$PGHOST port=$PGPORT user=maker dbname=app" dev --check-shadow --json >out 2>err &&
	json_check out "d[\"shadow\"][\"kind\"] == \"database\"" &&
	name=$(json_get out "d[\"shadow\"][\"database\"]") &&
	echo "$name" | grep -E "^strata_shadow_[0-9a-f]{16}$" &&
	json_check out "d[\"shadow\"][\"server_version\"] >= 150000" &&
	pg_log_since >log &&
	test_grep -F "CREATE DATABASE \"$name\" TEMPLATE template0" log &&
	test_grep -F "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" log &&
	test "$(pg_sql postgres "SELECT count(*) FROM pg_database WHERE datname LIKE \$\$strata_shadow%\$\$")" = 0
'

test_expect_success 'a superuser gets the same kind; two runs get different names' '
	strata -d "$(pg_url app)" dev --check-shadow --json >out1 2>err &&
	strata -d "$(pg_url app)" dev --check-shadow --json >out2 2>err &&
	json_check out1 "d[\"shadow\"][\"kind\"] == \"database\"" &&
	test "$(json_get out1 "d[\"shadow\"][\"database\"]")" != "$(json_get out2 "d[\"shadow\"][\"database\"]")" &&
	test "$(pg_sql postgres "SELECT count(*) FROM pg_database WHERE datname LIKE \$\$strata_shadow%\$\$")" = 0
'

test_expect_success 'a role without CREATEDB: a local cluster, stopped and removed afterwards' '
	pg_log_mark &&
	strata -d "host=$PGHOST port=$PGPORT user=nocreate dbname=app" dev --check-shadow --json >out 2>err &&
	json_check out "d[\"shadow\"][\"kind\"] == \"cluster\"" &&
	json_check out "d[\"shadow\"][\"server_version\"] // 10000 == 15" &&
	dir=$(json_get out "d[\"shadow\"][\"dir\"]") &&
	case "$dir" in "$TMPDIR"/strata-shadow.*) ;; *) false ;; esac &&
	json_check out "d[\"shadow\"][\"url\"].startswith(\"postgresql://postgres@/strata_shadow?host=\")" &&
	test_path_is_missing "$dir" &&
	no_process_in "$dir" &&
	pg_log_since >log &&
	test_grep ! "CREATE DATABASE" log
'

test_expect_success 'the cluster kind in text: which kind, and where' '
	strata -d "host=$PGHOST port=$PGPORT user=nocreate dbname=app" dev --check-shadow >out 2>err &&
	test_grep "scratch database: cluster" out &&
	test -z "$(ls "$TMPDIR")"
'

test_expect_success 'a target server that cannot be reached: a clear error, nothing created' '
	test_expect_code 1 strata -d "host=$PGHOST port=1 user=postgres dbname=app" dev --check-shadow >out 2>err &&
	test_grep "cannot connect" err &&
	test -z "$(ls "$TMPDIR")"
'

test_done

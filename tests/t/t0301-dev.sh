#!/bin/bash
test_description='strata dev: a throwaway cluster until Ctrl-C/SIGTERM; cleanup after signals; a kill -9 leftover removed by the next start'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"

TMPDIR=$(mktemp -d /tmp/st-dev.XXXXXX) && chmod 755 "$TMPDIR" && export TMPDIR
test_atexit "for f in $TMPDIR/strata-shadow.*/data/postmaster.pid; do [ -f \$f ] && kill -QUIT \$(head -1 \$f); done; sleep 1; rm -rf $TMPDIR"

no_process_in() {
	if ps -eo pid=,args= | grep -F -- "$1" | grep -v grep >&2; then
		echo "no_process_in: processes still run in $1" >&2
		return 1
	fi
}

# dev_bg OUT ERR ARGS: strata_bg, with OUT and ERR emptied first (the
# background job truncates them only when it gets to run)
dev_bg() {
	rm -f "$1" "$2" &&
	strata_bg "$@"
}

# wait_ready FILE: wait (up to 30 s) until strata dev printed its URL
wait_ready() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$1" ] && return 0
		kill -0 "$STRATA_PID" 2>/dev/null || { echo "strata dev exited:" >&2; cat err >&2; return 1; }
		sleep 0.1
	done
	echo "wait_ready: nothing in $1" >&2
	return 1
}

# dir_of URL: the socket directory (host=) of a URL strata dev printed
dir_of() {
	printf '%s\n' "${1##*host=}"
}

psql_url() {
	"$PG_BINDIR/psql" -X -At -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

test_expect_success 'dev starts a cluster, prints its URL, and serves it' '
	dev_bg out err dev &&
	wait_ready out &&
	url=$(head -1 out) &&
	case "$url" in "postgresql://postgres@/dev?host=$TMPDIR/strata-shadow."*) ;; *) false ;; esac &&
	dir=$(dir_of "$url") &&
	test_path_is_dir "$dir/data" &&
	test "$(psql_url "$url" "SELECT current_database()")" = dev &&
	test "$(psql_url "$url" "SHOW listen_addresses")" = "" &&
	test "$(psql_url "$url" "SHOW fsync")" = off &&
	read owner rest <"$dir/owner.pid" &&
	test "$owner" = "$STRATA_PID"
'

test_expect_success 'SIGTERM stops it, removes everything, exit 0' '
	kill -TERM $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test $rc = 0 &&
	test_path_is_missing "$dir" &&
	no_process_in "$dir" &&
	test_grep "removed" err
'

test_expect_success 'the database is named after a configured target; SIGINT stops it' '
	dev_bg out err -d "postgresql://someone@db.invalid/shop" dev &&
	wait_ready out &&
	url=$(head -1 out) &&
	case "$url" in "postgresql://postgres@/shop?host="*) ;; *) false ;; esac &&
	dir=$(dir_of "$url") &&
	test "$(psql_url "$url" "SELECT current_database()")" = shop &&
	kill -INT $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test $rc = 0 &&
	test_path_is_missing "$dir" &&
	no_process_in "$dir"
'

test_expect_success 'dev --json: one document when ready, still valid after the stop' '
	dev_bg out err --json dev &&
	wait_ready out &&
	json_check out "d[\"kind\"] == \"cluster\" and d[\"ok\"] is True" &&
	json_check out "d[\"database\"] == \"dev\"" &&
	json_check out "d[\"server_version\"] // 10000 >= 10" &&
	dir=$(json_get out "d[\"dir\"]") &&
	test "$(psql_url "$(json_get out "d[\"url\"]")" "SELECT 1")" = 1 &&
	kill -TERM $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test $rc = 0 &&
	json_valid out &&
	test_path_is_missing "$dir"
'

test_expect_success 'dev --print-env prints DATABASE_URL for eval' '
	dev_bg out err dev --print-env &&
	wait_ready out &&
	eval "$(head -1 out)" &&
	test "$(psql_url "$DATABASE_URL" "SELECT current_database()")" = dev &&
	dir=$(dir_of "$DATABASE_URL") &&
	unset DATABASE_URL &&
	kill -TERM $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test $rc = 0 &&
	test_path_is_missing "$dir"
'

test_expect_success 'SIGTERM while the cluster starts: nothing left' '
	dev_bg out err dev &&
	for i in $(seq 1 200); do
		ls "$TMPDIR"/strata-shadow.*/owner.pid >/dev/null 2>&1 && break
		sleep 0.02
	done &&
	dir=$(dirname "$(ls -d "$TMPDIR"/strata-shadow.*/owner.pid)") &&
	kill -TERM $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	echo "exit $rc" &&
	{ test $rc = 143 || test $rc = 0; } &&
	test_path_is_missing "$dir" &&
	no_process_in "$dir" &&
	test -z "$(ls "$TMPDIR")"
'

test_expect_success 'kill -9 cannot clean up: the cluster and its directory stay, with owner.pid' '
	dev_bg out err dev &&
	wait_ready out &&
	url=$(head -1 out) &&
	stale=$(dir_of "$url") &&
	stale_pm=$(head -1 "$stale/data/postmaster.pid") &&
	kill -KILL $STRATA_PID &&
	{ wait $STRATA_PID; test $? = 137; } &&
	test_path_is_file "$stale/owner.pid" &&
	kill -0 "$stale_pm" &&
	test "$(psql_url "$url" "SELECT 1")" = 1
'

test_expect_success 'the next cluster start removes the leftover of a dead strata' '
	dev_bg out err dev &&
	wait_ready out &&
	test_grep "left by strata" err &&
	test_path_is_missing "$stale" &&
	no_process_in "$stale" &&
	dir=$(dir_of "$(head -1 out)") &&
	test_path_is_dir "$dir" &&
	kill -TERM $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test $rc = 0 &&
	test_path_is_missing "$dir"
'

test_expect_success 'a live strata dev is never taken for a leftover' '
	dev_bg out1 err1 dev &&
	first=$STRATA_PID &&
	STRATA_PID=$first wait_ready out1 &&
	dir1=$(dir_of "$(head -1 out1)") &&
	dev_bg out2 err2 dev &&
	wait_ready out2 &&
	test_path_is_dir "$dir1" &&
	test "$(psql_url "$(head -1 out1)" "SELECT 1")" = 1 &&
	kill -TERM $first $STRATA_PID &&
	wait $first $STRATA_PID &&
	test -z "$(ls "$TMPDIR")"
'

test_expect_success 'server programs that fail: a clear error, nothing left' '
	mkdir "$TMPDIR/bin" &&
	cat >"$TMPDIR/bin/initdb" <<-\SH &&
	#!/bin/sh
	if [ "$1" = --version ]; then echo "initdb (PostgreSQL) 15.99"; exit 0; fi
	echo "initdb: error: simulated failure" >&2
	exit 1
	SH
	chmod 755 "$TMPDIR/bin" "$TMPDIR/bin/initdb" &&
	test_expect_code 1 env STRATA_PG_BINDIR="$TMPDIR/bin" "$STRATA" dev >out 2>err &&
	test_grep "initdb failed" err &&
	test_grep "simulated failure" err &&
	rm -r "$TMPDIR/bin" &&
	test -z "$(ls "$TMPDIR")"
'

test_expect_success 'no server programs at all: the error says what to install' '
	test_expect_code 1 env STRATA_PG_BINDIR=/nonexistent "$STRATA" dev --json >out 2>err &&
	test_grep "initdb" err &&
	json_check out "d[\"ok\"] is False"
'

test_expect_success 'dev takes no argument; help dev describes it' '
	test_expect_code 2 strata dev extra >out 2>err &&
	test_grep "unexpected argument" err &&
	strata help dev >out 2>&1 &&
	test_grep -e "--check-shadow" out &&
	test_grep -e "--print-env" out &&
	test_grep -i "kill -9" out &&
	strata help >out 2>&1 &&
	test_grep -w dev out &&
	test_grep -e "--shadow URL" out
'

test_done

# test-lib.sh - a small TAP library for strata's integration tests, in the
# style of git's t/test-lib.sh.
#
# A test script looks like:
#
#	#!/bin/bash
#	test_description='what this script covers'
#	. "$(dirname "$0")/../test-lib.sh"
#
#	test_expect_success 'title' '
#		strata up &&
#		test_cmp expect actual
#	'
#	test_done
#
# Every script runs in its own trash directory, tests/trash/<script>.<pid>
# (its cwd; removed when every test passed, kept for inspection otherwise;
# TEST_KEEP=1 always keeps it).
# $STRATA is the absolute path of the binary under test (default
# build/strata; override with the environment variable STRATA).
#
# Bodies are eval'ed in the script's shell (variables set in one test are
# seen by the next), with stdout and stderr captured; when a test fails its
# body and its output are printed to stderr as "# " diagnostics. With
# TEST_VERBOSE=1 (or -v as the script's first argument) the output is always
# shown.
#
# Knobs (environment): STRATA, TEST_VERBOSE, TEST_KEEP, TEST_TIMEOUT (whole
# script, seconds, default 300), STRATA_TIMEOUT (one strata run, default 60).

# bash is required: we use arrays, [[ ]], $BASHPID and process substitution.
if [ -z "${BASH_VERSION:-}" ]; then
	echo "Bail out! test-lib.sh needs bash" >&2
	exit 1
fi

TEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_ROOT=$(cd "$TEST_LIB_DIR/.." && pwd)
TEST_NAME=$(basename "$0" .sh)
export TEST_LIB_DIR TEST_ROOT TEST_NAME

case "${1:-}" in
-v|--verbose) TEST_VERBOSE=1 ;;
esac
TEST_VERBOSE=${TEST_VERBOSE:-}

: "${STRATA:=$TEST_ROOT/build/strata}"
case "$STRATA" in
/*) ;;
*) STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA") ;;
esac
export STRATA
: "${STRATA_TIMEOUT:=60}"
: "${TEST_TIMEOUT:=300}"

# A clean, predictable environment: nothing from the caller's shell may pick
# the database or change strata's output.
unset DATABASE_URL DB_HOST DB_PORT DB_USER DB_USERNAME DB_PASSWORD DB_NAME \
	DB_DATABASE PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE \
	PGSERVICE PGSERVICEFILE PGOPTIONS PGAPPNAME PGPASSFILE PGSSLMODE \
	PGCONNECT_TIMEOUT
export LC_ALL=C.UTF-8 LANG=C.UTF-8 TZ=UTC NO_COLOR=1

test_count=0
test_failed=0
test_fixed=0
test_broken=0
test_success=0

if [ ! -x "$STRATA" ]; then
	echo "Bail out! strata binary not found at $STRATA (run make)"
	exit 1
fi

# --- the trash directory ---------------------------------------------------

# tests/trash/<script>.<pid>: unique, so that two runs of the suite in one
# checkout (two people, or make check beside prove) cannot trample each
# other. The trash of earlier runs of this script whose process is gone is
# removed first.
for old_trash in "$TEST_ROOT/tests/trash/$TEST_NAME".*; do
	[ -d "$old_trash" ] || continue
	old_pid=${old_trash##*.}
	case "$old_pid" in
	*[!0-9]*) ;;
	*) kill -0 "$old_pid" 2>/dev/null || rm -rf "$old_trash" ;;
	esac
done
unset old_trash old_pid
TRASH_DIRECTORY="$TEST_ROOT/tests/trash/$TEST_NAME.$$"
rm -rf "$TRASH_DIRECTORY" "$TEST_ROOT/tests/trash/$TEST_NAME"
mkdir -p "$TRASH_DIRECTORY" || {
	echo "Bail out! cannot create $TRASH_DIRECTORY"
	exit 1
}
TEST_OUTPUT_DIR="$TRASH_DIRECTORY/.test-output"
mkdir -p "$TEST_OUTPUT_DIR"
export TRASH_DIRECTORY
cd "$TRASH_DIRECTORY" || exit 1
HOME=$TRASH_DIRECTORY	# no ~/.pgpass, ~/.psqlrc or ~/.pg_service.conf
export HOME

# --- cleanup at exit ---------------------------------------------------------

test_atexit_cmds=()
TEST_ATEXIT_FILE="$TEST_OUTPUT_DIR/atexit"
: >"$TEST_ATEXIT_FILE"

# test_atexit COMMAND: run COMMAND (eval'ed, one line) when the script
# exits, however it exits. Commands run in reverse order of registration.
test_atexit() {
	test_atexit_cmds+=("$1")
	printf '%s\n' "$1" >>"$TEST_ATEXIT_FILE"
}

test_run_atexit_() {
	local i
	for ((i = ${#test_atexit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${test_atexit_cmds[i]}" >/dev/null 2>&1
	done
	test_atexit_cmds=()
}

test_exit_() {
	local rc=$?
	trap - EXIT
	[ -n "${test_watchdog_pid:-}" ] && kill "$test_watchdog_pid" 2>/dev/null
	test_run_atexit_
	if [ "$rc" -eq 0 ] && [ "$test_failed" -eq 0 ] && [ -z "${TEST_KEEP:-}" ]; then
		cd "$TEST_ROOT" && rm -rf "$TRASH_DIRECTORY"
		rmdir "$TEST_ROOT/tests/trash" 2>/dev/null
	fi
	exit "$rc"
}
trap test_exit_ EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A watchdog, so that a hung strata cannot hang prove: after TEST_TIMEOUT
# seconds it reports, asks the script to exit (which stops its servers) and
# kills what is left.
test_watchdog_() {
	local me=$1 sp kids
	sleep "$TEST_TIMEOUT" &
	sp=$!
	trap 'kill $sp 2>/dev/null; exit 0' TERM
	wait $sp
	trap - TERM
	echo "Bail out! $TEST_NAME: timed out after ${TEST_TIMEOUT}s"
	kids=$(pgrep -P "$me" 2>/dev/null | grep -v "^$BASHPID\$")
	kill -TERM "$me" $kids 2>/dev/null
	sleep 5
	kill -0 "$me" 2>/dev/null || exit 0
	# the script did not get to run its EXIT trap: do its cleanup here
	tac "$TEST_ATEXIT_FILE" | while IFS= read -r cmd; do
		eval "$cmd" >/dev/null 2>&1
	done
	kill -KILL "$me" 2>/dev/null
}
test_watchdog_ $$ </dev/null >&2 &
test_watchdog_pid=$!

# --- TAP output ------------------------------------------------------------

say() { printf '%s\n' "$*"; }

# Print the lines of stdin as TAP diagnostics on stderr.
test_diag_() {
	sed -e 's/^/# /' >&2
}

test_ok_() {
	test_success=$((test_success + 1))
	say "ok $test_count - $1"
}

test_failure_() {
	test_failed=$((test_failed + 1))
	say "not ok $test_count - $1"
	{
		echo "failed test body:"
		printf '%s\n' "$2" | sed -e '/^[[:space:]]*$/d'
		echo "output:"
		cat "$3"
		# the files the test wrote in the trash directory (out, err, ...)
		local f
		for f in $(find "$TRASH_DIRECTORY" -maxdepth 1 -type f -newer "$TEST_OUTPUT_DIR/start" \
			-size -64k | sort); do
			[ -s "$f" ] || continue
			echo "--- ${f##*/} (first 40 lines):"
			head -n 40 "$f" | cut -c1-400
		done
	} | test_diag_
}

test_known_broken_ok_() {
	test_fixed=$((test_fixed + 1))
	say "ok $test_count - $1 # TODO known breakage vanished"
}

test_known_broken_failure_() {
	test_broken=$((test_broken + 1))
	say "not ok $test_count - $1 # TODO known breakage"
}

# Run body $1 in this shell, output to file $2; returns the body's status.
test_run_() {
	local body=$1 out=$2
	if [ -n "$TEST_VERBOSE" ]; then
		local rc
		{ set -x; eval "$body"; rc=$?; set +x; } >"$out" 2>&1 </dev/null
		test_diag_ <"$out"
		return $rc
	fi
	eval "$body" >"$out" 2>&1 </dev/null
}

# Timestamp the start of a test, 10 ms early (file timestamps are coarse),
# so that test_failure_ can show the files the test wrote.
test_mark_start_() {
	local sec=${EPOCHREALTIME%[.,]*} usec=${EPOCHREALTIME#*[.,]}
	usec=$((10#$usec - 10000))
	if [ $usec -lt 0 ]; then
		usec=$((usec + 1000000))
		sec=$((sec - 1))
	fi
	touch -d "@$sec.$(printf %06d $usec)" "$TEST_OUTPUT_DIR/start" 2>/dev/null ||
		: >"$TEST_OUTPUT_DIR/start"
}

# test_expect_success 'title' 'body'
test_expect_success() {
	if [ $# -ne 2 ]; then
		echo "Bail out! bug in the test script: test_expect_success needs 2 arguments"
		exit 1
	fi
	test_count=$((test_count + 1))
	local out="$TEST_OUTPUT_DIR/test-$test_count.out"
	cd "$TRASH_DIRECTORY" || exit 1
	test_mark_start_
	if test_run_ "$2" "$out"; then
		test_ok_ "$1"
	else
		test_failure_ "$1" "$2" "$out"
	fi
	cd "$TRASH_DIRECTORY" || exit 1
}

# test_expect_failure 'title' 'body': a known breakage (TAP TODO).
test_expect_failure() {
	if [ $# -ne 2 ]; then
		echo "Bail out! bug in the test script: test_expect_failure needs 2 arguments"
		exit 1
	fi
	test_count=$((test_count + 1))
	local out="$TEST_OUTPUT_DIR/test-$test_count.out"
	cd "$TRASH_DIRECTORY" || exit 1
	if test_run_ "$2" "$out"; then
		test_known_broken_ok_ "$1"
	else
		test_known_broken_failure_ "$1"
	fi
	cd "$TRASH_DIRECTORY" || exit 1
}

# skip_all 'reason': skip the whole script (before any test ran).
skip_all() {
	say "1..0 # SKIP $*"
	test_failed=0
	exit 0
}

# test_done: the plan, and the script's exit status.
test_done() {
	say "1..$test_count"
	if [ "$test_broken" -gt 0 ]; then
		echo "# $test_broken known breakage(s)" >&2
	fi
	if [ "$test_failed" -gt 0 ]; then
		echo "# failed $test_failed among $test_count test(s)" >&2
		exit 1
	fi
	exit 0
}

# --- assertions ------------------------------------------------------------

# strata ARGS...: run the binary under test, bounded by STRATA_TIMEOUT
# (exit 124 when it had to be killed). Tests that need strata's own pid
# (signals) run "$STRATA" directly.
strata() {
	timeout -k 5 "$STRATA_TIMEOUT" "$STRATA" "$@"
}

# strata_race NAME N ARGS...: start N runs of strata ARGS at the same
# moment; run K writes NAME<K>.out, NAME<K>.err and its exit code to
# NAME<K>.rc. Fails (showing the errors) unless every run exits 0.
strata_race() {
	local name=$1 n=$2 pids= r
	shift 2
	rm -f go
	for r in $(seq 1 "$n"); do
		(
			while [ ! -e go ]; do sleep 0.01; done
			strata "$@" >"$name$r.out" 2>"$name$r.err"
			echo $? >"$name$r.rc"
		) &
		pids="$pids $!"
	done
	touch go
	wait $pids
	for r in $(seq 1 "$n"); do
		test "$(cat "$name$r.rc")" = 0 || {
			echo "runner $r exited $(cat "$name$r.rc"):" >&2
			cat "$name$r.err" >&2
			return 1
		}
	done
}

# test_must_fail CMD...: CMD exits non-zero, and not because it crashed
# (killed by a signal other than the ones strata handles), timed out or
# was not found.
test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "test_must_fail: command timed out: $*" >&2
		return 1
	elif [ $rc -gt 128 ] && [ $rc -ne 130 ] && [ $rc -ne 143 ]; then
		echo "test_must_fail: command died of signal $((rc - 128)): $*" >&2
		return 1
	elif [ $rc -eq 127 ] || [ $rc -eq 126 ]; then
		echo "test_must_fail: command not found: $*" >&2
		return 1
	fi
	return 0
}

# test_expect_code CODE CMD...: CMD exits with exactly CODE.
test_expect_code() {
	local want=$1
	shift
	"$@"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then
		return 0
	fi
	echo "test_expect_code: command exited $rc, wanted $want: $*" >&2
	return 1
}

# test_cmp EXPECTED ACTUAL
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep [-v] [GREP OPTIONS] PATTERN FILE: like grep, but shows the file
# when the match fails.
test_grep() {
	local negate=
	if [ "$1" = "!" ] || [ "$1" = "-v" ]; then
		negate=1
		shift
	fi
	local file=${!#}
	if [ -n "$negate" ]; then
		if ! grep "$@" >/dev/null; then
			return 0
		fi
		echo "test_grep: '${*:1:$#-1}' unexpectedly found in $file:" >&2
	else
		if grep "$@" >/dev/null; then
			return 0
		fi
		echo "test_grep: '${*:1:$#-1}' not found in $file:" >&2
	fi
	sed -e 's/^/| /' "$file" >&2
	return 1
}

# test_line_count OP N FILE (OP is =, -lt, -ge ...)
test_line_count() {
	local n
	n=$(wc -l <"$3")
	if ! test "$n" "$1" "$2"; then
		echo "test_line_count: $3 has $n lines, wanted $1 $2:" >&2
		sed -e 's/^/| /' "$3" >&2
		return 1
	fi
}

# test_path_is_file / test_path_is_missing / test_path_is_dir PATH
test_path_is_file() {
	[ -f "$1" ] || { echo "test_path_is_file: $1 is not a file" >&2; ls -la "$(dirname "$1")" >&2; return 1; }
}
test_path_is_dir() {
	[ -d "$1" ] || { echo "test_path_is_dir: $1 is not a directory" >&2; return 1; }
}
test_path_is_missing() {
	[ ! -e "$1" ] || { echo "test_path_is_missing: $1 exists" >&2; return 1; }
}

# test_equal EXPECTED ACTUAL [WHAT]
test_equal() {
	if [ "$1" = "$2" ]; then
		return 0
	fi
	echo "test_equal${3:+ ($3)}: expected '$1', got '$2'" >&2
	return 1
}

# --- JSON (python3) --------------------------------------------------------

# json_valid FILE: FILE holds exactly one JSON document (whitespace around
# it allowed).
json_valid() {
	python3 - "$1" <<-'EOF'
	import json, sys
	text = open(sys.argv[1], encoding="utf-8").read()
	try:
	    json.loads(text)
	except Exception as e:
	    sys.stderr.write("json_valid: %s: %s\n" % (sys.argv[1], e))
	    sys.stderr.write("".join("| " + l + "\n" for l in text.splitlines()))
	    sys.exit(1)
	EOF
}

# json_get FILE EXPR: evaluate the python expression EXPR with d = the
# document in FILE; print the result (strings raw, None as null, booleans
# as true/false, other values as JSON). Fails on invalid JSON or when EXPR
# raises (a missing key, say).
json_get() {
	python3 - "$1" "$2" <<-'EOF'
	import json, sys
	path, expr = sys.argv[1], sys.argv[2]
	text = open(path, encoding="utf-8").read()
	try:
	    d = json.loads(text)
	except Exception as e:
	    sys.stderr.write("json_get: %s: invalid JSON: %s\n" % (path, e))
	    sys.stderr.write("".join("| " + l + "\n" for l in text.splitlines()))
	    sys.exit(1)
	try:
	    v = eval(expr, {"json": json}, {"d": d})
	except Exception as e:
	    sys.stderr.write("json_get: %s: %r failed: %r\n" % (path, expr, e))
	    sys.stderr.write("".join("| " + l + "\n" for l in text.splitlines()))
	    sys.exit(1)
	if isinstance(v, str):
	    print(v)
	elif v is None:
	    print("null")
	elif isinstance(v, bool):
	    print("true" if v else "false")
	else:
	    print(json.dumps(v))
	EOF
}

# json_check FILE EXPR: EXPR (python, d = the document) is true.
json_check() {
	local v
	v=$(json_get "$1" "bool($2)") || return 1
	if [ "$v" = true ]; then
		return 0
	fi
	echo "json_check: $1: not true: $2" >&2
	sed -e 's/^/| /' "$1" >&2
	return 1
}

# strata_bg OUT ERR ARGS...: start strata in the background as a user's
# shell would (SIGINT and SIGTERM at their defaults: a non-interactive
# shell makes background jobs ignore SIGINT). Sets STRATA_PID to strata's
# own pid; collect its exit status with `wait $STRATA_PID`.
strata_bg() {
	local out=$1 err=$2
	shift 2
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$STRATA" "$@" >"$out" 2>"$err" </dev/null &
	STRATA_PID=$!
}

#!/bin/bash
test_description='fleets from --targets FILE: URLs (one with a password), environments, bad lines; no password in output or in /proc/PID/cmdline; signals forwarded'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

PW=Fl33tSecr3tPw

# url_pw DB: a URL of DB with a password (the cluster trusts every local
# user, so any password is accepted, and the server never sees it echoed)
url_pw() {
	printf 'postgresql://postgres:%s@%s:%s/%s\n' "$PW" "${PGHOST//\//%2F}" "$PGPORT" "$1"
}

# no_password FILE...: the password appears in none of them
no_password() {
	local f
	for f in "$@"; do
		if grep -q "$PW" "$f"; then
			echo "the password is in $f:" >&2
			sed -e 's/^/| /' "$f" >&2
			return 1
		fi
	done
}

test_expect_success 'setup: four databases, a targets file of URLs, a conninfo string and an environment' '
	for d in a b c e; do pg_createdb $d || return 1; done &&
	mkdir migrations &&
	echo "CREATE TABLE t1 (id int);" >migrations/1_t1.sql &&
	echo "CREATE TABLE t2 (id int);" >migrations/2_t2.sql &&
	printf "[env.east]\nurl = %s\n" "$(pg_uri e)" >strata.ini &&
	{
		echo "# the fleet" &&
		url_pw a &&
		echo &&
		echo "   $(pg_url b)   " &&
		pg_uri c &&
		echo "  # east, by its environment" &&
		echo east
	} >targets
'

test_expect_success '--targets FILE up: every database migrated' '
	strata --targets targets up >out 2>err &&
	for d in a b c e; do
		test_hist $d "1 2" || return 1
	done &&
	test_grep "4 databases: 4 ok" out
'

test_expect_success 'the summary shows the URL with its password as ***' '
	test_grep -E "^- +postgres://postgres:\*\*\*@:$PGPORT/a\?host=$PGHOST +base -> 2 .* ok$" out &&
	test_grep -E "^east +postgres://postgres@:$PGPORT/e\?host=$PGHOST +base -> 2 .* ok$" out &&
	no_password out err
'

test_expect_success '--json: no password either, in the fleet document nor in the children'"'"'s' '
	strata --targets targets --json -v status >s.json 2>err &&
	json_check s.json "len(d[\"targets\"]) == 4" &&
	json_check s.json "d[\"targets\"][0][\"database\"].startswith(\"postgres://postgres:***@\")" &&
	json_check s.json "d[\"targets\"][3][\"env\"] == \"east\"" &&
	no_password s.json err
'

test_expect_success 'a failing child with a password: its messages are shown, redacted' '
	url_pw nosuchdb >bad &&
	test_expect_code 1 strata --targets bad up >out 2>err &&
	test_grep "does not exist" err &&
	test_grep "postgres:\*\*\*@" err &&
	no_password out err
'

test_expect_success 'the password never shows in the children'"'"'s /proc/PID/cmdline' '
	mkdir slow &&
	cp migrations/* slow/ &&
	echo "CREATE TABLE nap_done (id int); SELECT pg_sleep(30);" >slow/3_nap.sql &&
	url_pw a >one &&
	strata_bg bg.out bg.err --targets one -s slow up &&
	pg_wait_query a "%pg_sleep(30)%" &&
	seen=0 &&
	for p in /proc/[0-9]*; do
		tr "\0" " " <$p/cmdline >cmd 2>/dev/null || continue
		no_password cmd || return 1
		if grep -q "^strata --json --url-env STRATA_FLEET_URL .*-s slow up" cmd; then
			seen=$((seen + 1))
		fi
	done &&
	test_equal 1 $seen "children seen" &&
	kill -TERM $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test_equal 143 $rc "exit status after SIGTERM"
'

test_expect_success 'SIGTERM is forwarded: the child rolled back, the summary says interrupted' '
	test_no_table a nap_done &&
	test_hist a "1 2" &&
	test_grep -E "^postgres://postgres:\*\*\*@.* 2 -> 2 .* interrupted: interrupted" bg.out &&
	no_password bg.out bg.err
'

test_expect_success 'SIGINT during a fleet of two at once: both roll back, exit 130' '
	printf "%s\n%s\n" "$(pg_uri b)" "$(pg_uri c)" >two &&
	strata_bg bg.out bg.err --targets two -j 2 -s slow up &&
	pg_wait_for b "SELECT count(*) = 2 FROM pg_stat_activity WHERE query LIKE \$\$%pg_sleep(30)%\$\$ AND pid <> pg_backend_pid()" &&
	t0=$SECONDS &&
	kill -INT $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test_equal 130 $rc "exit status after SIGINT" &&
	test $((SECONDS - t0)) -lt 10 &&
	test_grep "2 databases: 0 ok, 2 interrupted" bg.out &&
	pg_wait_for b "SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE \$\$%pg_sleep(30)%\$\$ AND pid <> pg_backend_pid()" &&
	test_hist b "1 2" &&
	test_hist c "1 2"
'

test_expect_success 'a schema fleet with -d URL: no password in the parent'"'"'s cmdline nor the children'"'"'s' '
	printf "[strata]\nschemas = s1, s2\n" >schemas.ini &&
	strata_bg bg.out bg.err -c schemas.ini -d "$(url_pw a)" --all-schemas -s slow up &&
	pg_wait_query a "%pg_sleep(30)%" &&
	tr "\0" " " </proc/$STRATA_PID/cmdline >parent &&
	test_grep "^$STRATA -c schemas.ini -d postgresql://postgres:\*\*\*\**@" parent &&
	for p in /proc/[0-9]*; do
		tr "\0" " " <$p/cmdline >cmd 2>/dev/null || continue
		no_password cmd || return 1
	done &&
	kill -INT $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	test_equal 130 $rc "exit status" &&
	test_grep -E "^s1 .* interrupted" bg.out &&
	test_grep -E "^s2 .* skipped \(interrupted\)" bg.out
'

test_expect_success 'a line that is neither a URL nor an environment: file:line, nothing runs' '
	pg_createdb fresh &&
	{ pg_uri fresh && echo && echo "nosuchenv"; } >badline &&
	test_expect_code 1 strata --targets badline up >out 2>err &&
	test_grep "badline:3: .nosuchenv. is neither a URL nor an environment" err &&
	test_no_history fresh
'

test_expect_success 'a malformed URL: file:line, nothing runs, no password shown' '
	{ pg_uri fresh && echo "postgres://u:$PW@host:notaport/db"; } >badurl &&
	test_expect_code 1 strata --targets badurl up >out 2>err &&
	test_grep "badurl:2: invalid database URL" err &&
	test_no_history fresh &&
	no_password out err
'

test_expect_success 'an empty targets file, a missing one' '
	printf "# nothing\n\n" >empty &&
	test_expect_code 1 strata --targets empty up >out 2>err &&
	test_grep "empty: no databases listed" err &&
	test_expect_code 1 strata --targets missing up >out 2>err &&
	test_grep "cannot read .missing." err
'

test_done

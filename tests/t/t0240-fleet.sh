#!/bin/bash
test_description='fleets of databases: --all-envs, -j N, --fail-fast, the summary, --json, status and down over a fleet'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

DBS="db1 db2 db3 db4 db5 db6 db7 db8"

# drop and create the eight databases again
reset_dbs() {
	local d
	for d in $DBS; do
		pg_dropdb $d >/dev/null && pg_createdb $d || return 1
	done
}

# results FILE: "target result from to" per line, from a fleet's --json
results() {
	json_get "$1" '"\n".join("%s %s %s %s" % (t["target"], t["result"], t["from"], t["to"]) for t in d["targets"])'
}

test_expect_success 'setup: eight databases, one environment each; migration 2 fails only in db5' '
	for d in $DBS; do pg_createdb $d || return 1; done &&
	mkdir migrations &&
	echo "CREATE TABLE one (id int);" >migrations/1_one.up.sql &&
	echo "DROP TABLE one;" >migrations/1_one.down.sql &&
	cat >migrations/2_two.up.sql <<-\EOF &&
	CREATE TABLE two (id int);
	DO $$BEGIN
	IF current_database() = '"'"'db5'"'"' THEN RAISE EXCEPTION '"'"'boom in db5'"'"'; END IF;
	END$$;
	EOF
	echo "DROP TABLE two;" >migrations/2_two.down.sql &&
	echo "CREATE TABLE three (id int);" >migrations/3_three.up.sql &&
	echo "DROP TABLE three;" >migrations/3_three.down.sql &&
	for d in $DBS; do
		printf "[env.%s]\nurl = %s\n\n" $d "$(pg_uri $d)" >>strata.ini || return 1
	done
'

test_expect_success '--all-envs up: the seven others applied, db5 failed, exit 1' '
	test_expect_code 1 strata --all-envs up >out 2>err &&
	for d in db1 db2 db3 db4 db6 db7 db8; do
		test_hist $d "1 2 3" || return 1
	done &&
	test_hist db5 "1" &&
	test_no_table db5 two
'

test_expect_success 'the summary shows each database with its result and versions' '
	for d in db1 db2 db3 db4 db6 db7 db8; do
		test_grep -E "^$d +postgres://postgres@[^ ]*/$d[^ ]* +base -> 3 +[0-9.]+ m?s +ok$" out || return 1
	done &&
	test_grep -E "^db5 +postgres://[^ ]*/db5[^ ]* +base -> 1 +[0-9.]+ m?s +failed: migration 2_two failed: boom in db5" out &&
	test_grep "^8 databases: 7 ok, 1 failed" out
'

test_expect_success 'a failed database shows its messages, prefixed; the others say nothing on stderr' '
	test_grep "^db5: error: migration 2_two failed: boom in db5" err &&
	test_grep "^db5: .*2_two.up.sql:2" err &&
	test_grep -v "^db[1234678]:" err
'

test_expect_success 'run again: only db5 has work, and fails the same way' '
	test_expect_code 1 strata --all-envs up >out 2>err &&
	test_grep -E "^db1 .* 3 -> 3 .* ok$" out &&
	test_grep -E "^db5 .* 1 -> 1 .* failed" out
'

test_expect_success '--json: one entry per database, each with its own command document' '
	reset_dbs &&
	test_expect_code 1 strata --all-envs --json up >j1.json 2>err &&
	json_check j1.json "len(d[\"targets\"]) == 8" &&
	json_check j1.json "d[\"command\"] == \"up\" and d[\"fleet\"] == \"databases\" and d[\"ok\"] is False" &&
	json_check j1.json "d[\"succeeded\"] == 7 and d[\"failed\"] == 1 and d[\"skipped\"] == 0" &&
	json_check j1.json "[t[\"env\"] for t in d[\"targets\"]] == [\"db%d\" % i for i in range(1, 9)]" &&
	json_check j1.json "all(t[\"document\"][\"command\"] == \"up\" for t in d[\"targets\"])" &&
	json_check j1.json "all(t[\"database\"].endswith(t[\"env\"] + \"?host=\" + \"$PGHOST\") for t in d[\"targets\"])" &&
	json_check j1.json "[t[\"result\"] for t in d[\"targets\"]].count(\"ok\") == 7" &&
	json_check j1.json "d[\"targets\"][4][\"result\"] == \"failed\" and d[\"targets\"][4][\"exit_code\"] == 1" &&
	json_check j1.json "\"boom in db5\" in d[\"targets\"][4][\"document\"][\"error\"][\"message\"]" &&
	json_check j1.json "\"boom in db5\" in d[\"targets\"][4][\"error\"]" &&
	json_check j1.json "d[\"targets\"][0][\"to\"] == \"3\" and d[\"targets\"][0][\"document\"][\"applied\"][2][\"version\"] == \"3\""
'

test_expect_success '-j 4 gives the same results as -j 1' '
	reset_dbs &&
	test_expect_code 1 strata --all-envs -j 4 --json up >j4.json 2>err &&
	json_check j4.json "d[\"jobs\"] == 4" &&
	results j1.json >expect &&
	results j4.json >actual &&
	test_cmp expect actual &&
	for d in db1 db2 db3 db4 db6 db7 db8; do
		test_hist $d "1 2 3" || return 1
	done &&
	test_hist db5 "1"
'

test_expect_success '-j 4 runs four at a time: eight naps of 1.5 s take 3 s, not 12' '
	reset_dbs &&
	mkdir slow &&
	echo "SELECT pg_sleep(1.5);" >slow/1_nap.sql &&
	strata --all-envs -j4 -s slow --json up >nap.json 2>err &&
	json_check nap.json "d[\"succeeded\"] == 8" &&
	json_check nap.json "all(t[\"duration_ms\"] >= 1500 for t in d[\"targets\"])" &&
	json_check nap.json "3000 <= d[\"duration_ms\"] < 7500"
'

test_expect_success '--fail-fast with -j 1 stops after the failure: the later ones are not started' '
	reset_dbs &&
	test_expect_code 1 strata --all-envs --fail-fast --json up >ff.json 2>err &&
	json_check ff.json "[t[\"result\"] for t in d[\"targets\"]] == [\"ok\"] * 4 + [\"failed\"] + [\"skipped\"] * 3" &&
	json_check ff.json "d[\"skipped\"] == 3 and d[\"targets\"][7][\"document\"] is None" &&
	for d in db1 db2 db3 db4; do
		test_hist $d "1 2 3" || return 1
	done &&
	test_hist db5 "1" &&
	for d in db6 db7 db8; do
		test_no_history $d || return 1
	done
'

test_expect_success '--fail-fast: the summary says which were skipped' '
	reset_dbs &&
	test_expect_code 1 strata --all-envs --fail-fast up >out 2>err &&
	test_grep -E "^db6 .* skipped \(--fail-fast\)" out &&
	test_grep "8 databases: 4 ok, 1 failed, 3 skipped" out &&
	test_no_history db8
'

test_expect_success 'status over a fleet: the current version and what is pending, per database' '
	strata --all-envs up >/dev/null 2>&1
	strata --all-envs --json status >st.json 2>err &&
	json_check st.json "len(d[\"targets\"]) == 8 and d[\"command\"] == \"status\"" &&
	json_check st.json "[t[\"document\"][\"pending\"] for t in d[\"targets\"]] == [0] * 4 + [2] + [0] * 3" &&
	json_check st.json "[t[\"from\"] for t in d[\"targets\"]] == [\"3\"] * 4 + [\"1\"] + [\"3\"] * 3" &&
	strata --all-envs status >out 2>err &&
	test_grep -E "^db5 .* 1 .* ok, 2 pending$" out &&
	test_grep -E "^db1 .* 3 .* ok$" out
'

test_expect_success 'status --exit-code over a fleet exits 3 when one database has work to do' '
	test_expect_code 3 strata --all-envs status --exit-code >out 2>err &&
	test_grep -E "^db5 .* pending" out
'

test_expect_success 'validate over a fleet' '
	strata --all-envs -j 3 validate >out 2>err &&
	test_grep "8 databases: 8 ok" out
'

test_expect_success 'down over a fleet: one step in each' '
	test_expect_code 0 strata --all-envs -j 2 down >out 2>err &&
	test_hist db1 "1 2" &&
	test_hist db8 "1 2" &&
	test_hist db5 "" &&
	test_grep -E "^db1 .* 3 -> 2 .* ok$" out
'

test_expect_success 'usage errors: exit 2, nothing runs' '
	test_expect_code 2 strata --all-envs -d "$(pg_uri db1)" up >out 2>err &&
	test_grep "pick one" err &&
	test_expect_code 2 strata --all-envs -e db1 up >out 2>err &&
	test_expect_code 2 strata --all-envs --targets nosuch up >out 2>err &&
	test_expect_code 2 strata --all-envs -j 0 up >out 2>err &&
	test_grep "expected 1 to 256" err &&
	test_expect_code 2 strata -j 4 up >out 2>err &&
	test_grep "need a fleet" err &&
	test_expect_code 2 strata --all-envs history >out 2>err &&
	test_expect_code 2 strata --all-envs --json resolve 1 applied >out.json 2>err &&
	json_check out.json "d[\"ok\"] is False and d[\"error\"][\"kind\"] == \"usage\"" &&
	test_hist db1 "1 2"
'

test_expect_success 'a usage error of the command itself, in every child: exit 2' '
	test_expect_code 2 strata --all-envs up --no-such-option >out 2>err &&
	test_grep "^db1: error: unknown option" err &&
	test_hist db1 "1 2"
'

test_expect_success '--all-envs without environments' '
	mkdir noenv &&
	cp -r migrations noenv/ &&
	(cd noenv && test_expect_code 1 strata --all-envs up) >out 2>err &&
	test_grep "no \[env.NAME\] section" err
'

test_done

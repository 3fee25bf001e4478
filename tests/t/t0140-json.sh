#!/bin/bash
test_description='--json: exactly one JSON document on stdout for every command, failures included'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# jrun CODE NAME ARGS...: strata --json ARGS exits CODE and prints exactly
# one JSON document on stdout (into NAME.json)
jrun() {
	local want=$1 name=$2
	shift 2
	test_expect_code "$want" strata --json "$@" >$name.json 2>$name.err &&
	json_valid $name.json
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE j1 (id int);" >migrations/1_j1.up.sql &&
	echo "DROP TABLE j1;" >migrations/1_j1.down.sql &&
	printf -- "-- strata:no-transaction\nCREATE TABLE j2 (id int);\nCREATE INDEX CONCURRENTLY j2_idx ON j2 (id);\n" >migrations/2_j2.up.sql &&
	echo "DROP TABLE j2;" >migrations/2_j2.down.sql
'

test_expect_success 'status --json on an empty database' '
	jrun 0 status0 -d "$DB" status &&
	json_check status0.json "d[\"table\"] == \"public.strata_migrations\"" &&
	json_check status0.json "isinstance(d[\"database\"], str)" &&
	json_check status0.json "d[\"current\"] in (None, \"base\")" &&
	json_check status0.json "[(m[\"version\"], m[\"name\"], m[\"state\"], m[\"reversible\"]) for m in d[\"migrations\"]] == [(\"1\", \"j1\", \"pending\", True), (\"2\", \"j2\", \"pending\", True)]" &&
	json_check status0.json "all(set([\"version\", \"name\", \"state\", \"out_of_order\", \"applied_at\", \"duration_ms\", \"file\", \"reversible\"]) <= set(m) for m in d[\"migrations\"])"
'

test_expect_success 'status --json --exit-code: exit 3 and still one document' '
	jrun 3 status3 -d "$DB" status --exit-code
'

test_expect_success 'up --json' '
	jrun 0 up -d "$DB" up &&
	json_check up.json "d[\"command\"] == \"up\" and d[\"ok\"] is True and d[\"dry_run\"] is False" &&
	json_check up.json "d[\"from\"] == \"base\" and d[\"to\"] == \"2\"" &&
	json_check up.json "[(m[\"version\"], m[\"name\"], m[\"transaction\"]) for m in d[\"applied\"]] == [(\"1\", \"j1\", True), (\"2\", \"j2\", False)]" &&
	json_check up.json "all(isinstance(m[\"duration_ms\"], int) for m in d[\"applied\"])" &&
	json_check up.json "\"error\" not in d or d[\"error\"] is None"
'

test_expect_success 'up --json with nothing to do' '
	jrun 0 up2 -d "$DB" up &&
	json_check up2.json "d[\"ok\"] is True and d[\"applied\"] == []"
'

test_expect_success 'status --json after up' '
	jrun 0 status1 -d "$DB" status &&
	json_check status1.json "d[\"current\"] == \"2\"" &&
	json_check status1.json "[m[\"state\"] for m in d[\"migrations\"]] == [\"applied\", \"applied\"]" &&
	json_check status1.json "all(isinstance(m[\"applied_at\"], str) for m in d[\"migrations\"])"
'

test_expect_success 'current --json' '
	jrun 0 current -d "$DB" current &&
	json_check current.json "d == {\"current\": \"2\"} or d[\"current\"] == \"2\""
'

test_expect_success 'history --json' '
	jrun 0 history -d "$DB" history &&
	json_check history.json "[(m[\"version\"], m[\"name\"], m[\"stamped\"]) for m in d[\"migrations\"]] == [(\"1\", \"j1\", False), (\"2\", \"j2\", False)]" &&
	json_check history.json "all(\"applied_at\" in m and \"duration_ms\" in m for m in d[\"migrations\"])" &&
	jrun 0 historyv -d "$DB" history -v
'

test_expect_success 'down --json' '
	jrun 0 down -d "$DB" down &&
	json_check down.json "d[\"command\"] == \"down\" and d[\"ok\"] is True" &&
	json_check down.json "[m[\"version\"] for m in d[\"reverted\"]] == [\"2\"]" &&
	json_check down.json "d[\"from\"] == \"2\" and d[\"to\"] == \"1\""
'

test_expect_success 'redo --json' '
	jrun 0 redo -d "$DB" redo &&
	json_check redo.json "d[\"ok\"] is True"
'

test_expect_success 'dry runs --json' '
	jrun 0 updry -d "$DB" up --dry-run &&
	json_check updry.json "d[\"dry_run\"] is True" &&
	jrun 0 downdry -d "$DB" down --dry-run &&
	jrun 0 redodry -d "$DB" redo --dry-run
'

test_expect_success 'current --json at base' '
	jrun 0 downall -d "$DB" down base &&
	jrun 0 current0 -d "$DB" current &&
	json_check current0.json "d[\"current\"] == \"base\""
'

test_expect_success 'stamp --json' '
	jrun 0 stamp -d "$DB" stamp head &&
	test_hist app "1 2" &&
	jrun 0 stamp0 -d "$DB" stamp base &&
	jrun 0 up3 -d "$DB" up
'

test_expect_success 'validate --json, clean' '
	jrun 0 validate -d "$DB" validate &&
	json_check validate.json "d[\"ok\"] is True and d[\"problems\"] == []"
'

test_expect_success 'new --json' '
	jrun 0 new -s newdir new thing &&
	ls newdir | grep -q thing
'

test_expect_success 'failing SQL: error object with message, kind, sqlstate, file, line' '
	printf "CREATE TABLE j3 (id int);\nSELECT * FROM\n  no_such_relation;\n" >migrations/3_bad.sql &&
	jrun 1 bad -d "$DB" up &&
	json_check bad.json "d[\"ok\"] is False" &&
	json_check bad.json "isinstance(d[\"error\"][\"message\"], str) and \"no_such_relation\" in d[\"error\"][\"message\"]" &&
	json_check bad.json "isinstance(d[\"error\"][\"kind\"], str) and d[\"error\"][\"kind\"]" &&
	json_check bad.json "d[\"error\"][\"sqlstate\"] == \"42P01\"" &&
	json_check bad.json "d[\"error\"][\"file\"].endswith(\"3_bad.sql\")" &&
	json_check bad.json "d[\"error\"][\"line\"] == 3" &&
	json_check bad.json "isinstance(d[\"error\"][\"column\"], int)" &&
	json_check bad.json "d[\"error\"][\"migration\"] in (\"3\", \"3_bad\")" &&
	json_check bad.json "d[\"error\"][\"statement\"] == 2 or \"no_such_relation\" in str(d[\"error\"][\"statement\"])" &&
	json_check bad.json "d[\"error\"][\"retryable\"] is False" &&
	json_check bad.json "d[\"applied\"] == []"
'

test_expect_success 'failing validate --json: problems listed' '
	echo "-- edited" >>migrations/1_j1.up.sql &&
	jrun 1 validate1 -d "$DB" validate &&
	json_check validate1.json "d[\"ok\"] is False and len(d[\"problems\"]) >= 1"
'

test_expect_success 'bad migration files: one document with an error' '
	rm migrations/3_bad.sql &&
	git_like_restore=$(head -n 1 migrations/1_j1.up.sql) &&
	echo "$git_like_restore" >migrations/1_j1.up.sql &&
	echo "SELECT 1;" >migrations/0002_dup.sql &&
	jrun 1 dup -d "$DB" up &&
	json_check dup.json "d[\"ok\"] is False and \"0002_dup.sql\" in d[\"error\"][\"message\"] + json.dumps(d[\"error\"])" &&
	rm migrations/0002_dup.sql
'

test_expect_success 'connection refused: one document with an error' '
	port=$(free_port) &&
	jrun 1 refused -d "host=127.0.0.1 port=$port user=postgres dbname=app" status &&
	json_check refused.json "isinstance(d[\"error\"][\"message\"], str) and d[\"error\"][\"kind\"]" &&
	jrun 1 refusedup -d "host=127.0.0.1 port=$port user=postgres dbname=app" up &&
	json_check refusedup.json "d[\"ok\"] is False and d[\"error\"][\"retryable\"] is True"
'

test_expect_success 'usage error (unknown version): exit 2, one document' '
	jrun 2 badtarget -d "$DB" down 9999 &&
	json_check badtarget.json "d[\"error\"][\"kind\"] and \"9999\" in d[\"error\"][\"message\"]"
'

test_expect_success 'unknown -e environment: exit 2, one document' '
	jrun 2 badenv -e nosuch -d "$DB" status
'

test_expect_success 'resolve --json' '
	printf -- "-- strata:no-transaction\nCREATE TABLE j4 (id int);\nSELECT 1/0;\n" >migrations/4_nt.sql &&
	jrun 1 ntfail -d "$DB" up &&
	json_check ntfail.json "d[\"error\"][\"sqlstate\"] == \"22012\"" &&
	jrun 1 ntrefuse -d "$DB" up &&
	jrun 0 status4 -d "$DB" status &&
	json_check status4.json "[m[\"state\"] for m in d[\"migrations\"] if m[\"version\"] == \"4\"] == [\"partial\"]" &&
	jrun 0 resolve -d "$DB" resolve 4 reverted
'

test_expect_success 'help --json and --version --json do not break the rule' '
	strata --json --version >v.out 2>v.err &&
	{ json_valid v.out || test_grep "strata" v.out; }
'

test_done

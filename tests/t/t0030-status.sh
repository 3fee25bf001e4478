#!/bin/bash
test_description='status states (applied, pending, changed, missing), --exit-code, validate, out of order'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# state_of FILE VERSION: the state of VERSION in status --json output
state_of() {
	json_get "$1" "[m[\"state\"] for m in d[\"migrations\"] if m[\"version\"] == \"$2\"][0]"
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	printf "CREATE TABLE one (id int);\nINSERT INTO one VALUES (1);\n" >migrations/1_one.up.sql &&
	echo "DROP TABLE one;" >migrations/1_one.down.sql &&
	printf "CREATE TABLE two (id int);\n-- a comment\nINSERT INTO two VALUES (2);\n" >migrations/2_two.up.sql &&
	echo "DROP TABLE two;" >migrations/2_two.down.sql &&
	echo "CREATE TABLE three (id int);" >migrations/3_three.sql
'

test_expect_success 'status before anything: all pending, current base' '
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = pending &&
	test "$(state_of s.json 3)" = pending &&
	json_check s.json "d[\"current\"] in (\"base\", None)"
'

test_expect_success 'status does not create the history table' '
	test_no_history app
'

test_expect_success 'status --exit-code exits 3 when migrations are pending' '
	test_expect_code 3 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'status shows applied and pending' '
	strata -d "$DB" up 2 >out 2>err &&
	strata -d "$DB" status >out 2>err &&
	test_grep -i "applied" out &&
	test_grep -i "pending" out &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = applied &&
	test "$(state_of s.json 2)" = applied &&
	test "$(state_of s.json 3)" = pending &&
	json_check s.json "d[\"current\"] == \"2\"" &&
	json_check s.json "d[\"migrations\"][0][\"applied_at\"] is not None" &&
	json_check s.json "d[\"migrations\"][2][\"applied_at\"] is None" &&
	json_check s.json "d[\"migrations\"][0][\"file\"].endswith(\"1_one.up.sql\")"
'

test_expect_success 'status --exit-code exits 3 with one pending' '
	test_expect_code 3 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'status --exit-code exits 0 when everything is applied' '
	strata -d "$DB" up >out 2>err &&
	test_expect_code 0 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'validate exits 0 when clean' '
	strata -d "$DB" validate >out 2>err
'

test_expect_success 'CRLF line endings are not a change' '
	cp migrations/2_two.up.sql two.orig &&
	sed -i "s/\$/\r/" migrations/2_two.up.sql &&
	test_grep -q $'"'"'\r'"'"' migrations/2_two.up.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = applied &&
	strata -d "$DB" validate >out 2>err &&
	strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'a UTF-8 BOM is not a change' '
	{ printf "\357\273\277"; cat two.orig; } >migrations/2_two.up.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = applied &&
	strata -d "$DB" validate >out 2>err
'

test_expect_success 'BOM and CRLF together are not a change' '
	{ printf "\357\273\277"; sed "s/\$/\r/" two.orig; } >migrations/2_two.up.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = applied &&
	strata -d "$DB" validate >out 2>err
'

test_expect_success 'editing an applied file shows changed' '
	sed "s/VALUES (2)/VALUES (22)/" two.orig >migrations/2_two.up.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = changed &&
	test "$(state_of s.json 1)" = applied &&
	strata -d "$DB" status >out 2>err &&
	test_grep -i "changed" out
'

test_expect_success 'a whitespace edit is a change too' '
	sed "s/CREATE TABLE two/CREATE  TABLE two/" two.orig >migrations/2_two.up.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = changed
'

test_expect_success 'validate exits 1 on a changed checksum and names the file' '
	test_expect_code 1 strata -d "$DB" validate >out 2>err &&
	cat out err >both &&
	test_grep "2_two" both
'

test_expect_success 'validate --json reports the problem' '
	test_expect_code 1 strata -d "$DB" validate --json >v.json 2>err &&
	json_check v.json "d[\"ok\"] is False" &&
	json_check v.json "len(d[\"problems\"]) >= 1" &&
	json_check v.json "\"2_two\" in json.dumps(d[\"problems\"])"
'

test_expect_success 'status --exit-code is not 0 when a file changed' '
	test_expect_code 3 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'restoring the file makes it clean again' '
	cp two.orig migrations/2_two.up.sql &&
	strata -d "$DB" validate >out 2>err &&
	strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'deleting an applied file shows missing' '
	mv migrations/3_three.sql three.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 3)" = missing &&
	strata -d "$DB" status >out 2>err &&
	test_grep -i "missing" out &&
	mv three.sql migrations/3_three.sql
'

test_expect_success 'out of order: apply 1 and 3, then add 2' '
	pg_createdb ooo &&
	ODB=$(pg_url ooo) &&
	mkdir ooo &&
	echo "CREATE TABLE o1 (id int);" >ooo/1_o1.sql &&
	echo "CREATE TABLE o3 (id int);" >ooo/3_o3.sql &&
	strata -d "$ODB" -s ooo up >out 2>err &&
	test_hist ooo "1 3" &&
	echo "CREATE TABLE o2 (id int);" >ooo/2_o2.sql
'

test_expect_success 'status says the new one is pending and out of order' '
	strata -d "$ODB" -s ooo status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = pending &&
	json_check s.json "[m[\"out_of_order\"] for m in d[\"migrations\"]] == [False, True, False]" &&
	strata -d "$ODB" -s ooo status >out 2>err &&
	test_grep -i "out.of.order" out
'

test_expect_success 'up refuses an out-of-order migration (exit 1) and names it' '
	test_expect_code 1 strata -d "$ODB" -s ooo up >out 2>err &&
	test_grep -e "2_o2" -e "o2" err &&
	test_grep -i "out.of.order" err &&
	test_hist ooo "1 3" &&
	test_no_table ooo o2
'

test_expect_success 'up --out-of-order applies it' '
	strata -d "$ODB" -s ooo up --out-of-order >out 2>err &&
	test_hist ooo "1 2 3" &&
	test_table ooo o2
'

test_done

#!/bin/bash
test_description='on a terminal: colour, NO_COLOR, the live elapsed-time line of a long statement'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# on_tty CMD...: run CMD with stdout and stderr on a pseudo-terminal
on_tty() {
	script -qec "$*" /dev/null
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE quick (id int);" >migrations/1_quick.sql &&
	printf "CREATE TABLE slow (id int);\nSELECT pg_sleep(3.5);\n" >migrations/2_slow.up.sql &&
	echo "DROP TABLE slow;" >migrations/2_slow.down.sql &&
	printf -- "-- strata:no-transaction\nCREATE TABLE slow3 (id int);\nSELECT pg_sleep(3.5);\n" >migrations/3_slow.sql
'

test_expect_success 'a migration running over 2 s shows a live elapsed-time line' '
	on_tty "$STRATA -d \"$DB\" up" >out 2>&1 &&
	test_grep "2_slow\.\.\. [23] s" out &&
	test "$(hist_count app)" = 3
'

test_expect_success 'statement by statement, the line names the statement and its line' '
	test_grep "3_slow: statement 2 at line 3\.\.\. [23] s" out
'

test_expect_success 'status is coloured on a terminal' '
	on_tty "TERM=xterm NO_COLOR= $STRATA -d \"$DB\" status" >out 2>&1 &&
	grep -q "$(printf "\033\\[32mapplied")" out
'

test_expect_success 'NO_COLOR and a pipe turn colour off' '
	on_tty "TERM=xterm NO_COLOR=1 $STRATA -d \"$DB\" status" >out 2>&1 &&
	! grep -q "$(printf "\033")" out &&
	strata -d "$DB" status >out 2>&1 &&
	! grep -q "$(printf "\033")" out &&
	test_grep "applied" out
'

test_expect_success 'no live line when stderr is not a terminal' '
	strata -d "$DB" down base >out 2>err || :
	strata -d "$DB" stamp base >out 2>err &&
	pg_sql app "DROP TABLE quick, slow, slow3" &&
	strata -d "$DB" up >out 2>err &&
	test "$(hist_count app)" = 3 &&
	! grep -q "s\.\.\. [0-9]" err
'

test_done

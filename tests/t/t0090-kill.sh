#!/bin/bash
test_description='strata killed, interrupted, or its backend terminated mid-migration: history stays truthful'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# mkproject NAME SLEEP: database NAME and folder NAME with three
# migrations; the second sleeps SLEEP seconds after its work.
mkproject() {
	pg_createdb $1 &&
	mkdir $1 &&
	echo "CREATE TABLE effects (v int NOT NULL);" >$1/1_first.sql &&
	cat >$1/2_slow.sql <<-EOF &&
	CREATE TABLE slow_t (id int);
	INSERT INTO effects VALUES (2);
	SELECT pg_sleep($2);
	EOF
	echo "INSERT INTO effects VALUES (3);" >$1/3_last.sql
}

# the history says 2 is applied exactly when its effects are there, once
truthful() {
	local db=$1 inhist has_table rows
	inhist=$(pg_sql $db "SELECT count(*) FROM public.strata_migrations WHERE version = \$\$2\$\$") &&
	rows=$(pg_sql $db "SELECT count(*) FROM effects WHERE v = 2") &&
	if pg_table_exists $db slow_t; then has_table=1; else has_table=0; fi &&
	test_equal "$inhist" "$rows" "history rows of 2 vs its effect rows" &&
	test_equal "$inhist" "$has_table" "history rows of 2 vs slow_t exists"
}

no_strata_sessions() {
	pg_wait_for $1 "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE application_name LIKE \$\$strata%\$\$)" ${2:-15}
}

elapsed_lt() { python3 -c "import sys; e = $2 - $1; print(\"elapsed\", e); sys.exit(0 if e < $3 else 1)"; }

test_expect_success 'SIGKILL during a migration' '
	mkproject k9 3 &&
	strata_bg k9.out k9.err -d "$(pg_url k9)" -s k9 up &&
	pg_wait_query k9 "%pg_sleep(3)%" &&
	kill -KILL $STRATA_PID &&
	{ wait $STRATA_PID; test $? = 137; }
'

test_expect_success 'after SIGKILL the history is truthful' '
	no_strata_sessions k9 &&
	test_hist k9 "1" &&
	truthful k9
'

test_expect_success 'after SIGKILL no advisory lock is left' '
	test "$(pg_sql k9 "SELECT count(*) FROM pg_locks WHERE locktype = \$\$advisory\$\$")" = 0
'

test_expect_success 'after SIGKILL a re-run completes; the killed migration recorded once, its effects once' '
	strata -d "$(pg_url k9)" -s k9 up >out 2>err &&
	test_hist k9 "1 2 3" &&
	truthful k9 &&
	test "$(pg_sql k9 "SELECT count(*) FROM effects")" = 2
'

test_expect_success 'SIGINT during a migration: exit 130 after rollback' '
	mkproject kint 30 &&
	strata_bg kint.out kint.err -d "$(pg_url kint)" -s kint up &&
	pg_wait_query kint "%pg_sleep(30)%" &&
	t0=$EPOCHREALTIME &&
	kill -INT $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	t1=$EPOCHREALTIME &&
	test_equal 130 $rc "exit status" &&
	elapsed_lt $t0 $t1 5
'

test_expect_success 'after SIGINT: migration rolled back, not in history, table absent' '
	no_strata_sessions kint &&
	test_hist kint "1" &&
	test_no_table kint slow_t &&
	test "$(pg_sql kint "SELECT count(*) FROM effects")" = 0 &&
	test "$(pg_sql kint "SELECT count(*) FROM pg_locks WHERE locktype = \$\$advisory\$\$")" = 0
'

test_expect_success 'SIGINT: the message says it was interrupted and rolled back' '
	test_grep -i "interrupt\|SIGINT\|cancel" kint.err
'

test_expect_success 'SIGTERM during a migration: exit 143 after rollback' '
	mkproject kterm 30 &&
	strata_bg kterm.out kterm.err -d "$(pg_url kterm)" -s kterm up &&
	pg_wait_query kterm "%pg_sleep(30)%" &&
	t0=$EPOCHREALTIME &&
	kill -TERM $STRATA_PID &&
	{ wait $STRATA_PID; rc=$?; } &&
	t1=$EPOCHREALTIME &&
	test_equal 143 $rc "exit status" &&
	elapsed_lt $t0 $t1 5
'

test_expect_success 'after SIGTERM: migration rolled back, not in history, table absent' '
	no_strata_sessions kterm &&
	test_hist kterm "1" &&
	test_no_table kterm slow_t &&
	test "$(pg_sql kterm "SELECT count(*) FROM effects")" = 0
'

test_expect_success 'pg_terminate_backend of strata mid-migration: exit 1' '
	mkproject kterm2 3 &&
	strata_bg kt.out kt.err -d "$(pg_url kterm2)" -s kterm2 up &&
	pg_wait_query kterm2 "%pg_sleep(3)%" &&
	pid=$(strata_backend_pid kterm2) &&
	test -n "$pid" &&
	test "$(pg_sql kterm2 "SELECT pg_terminate_backend($pid)")" = t &&
	{ wait $STRATA_PID; rc=$?; } &&
	test_equal 1 $rc "exit status"
'

test_expect_success 'after pg_terminate_backend the history is truthful and the error is clear' '
	no_strata_sessions kterm2 &&
	test_hist kterm2 "1" &&
	truthful kterm2 &&
	test_grep -i "terminat\|connection" kt.err
'

test_expect_success 'after pg_terminate_backend a re-run completes' '
	strata -d "$(pg_url kterm2)" -s kterm2 up >out 2>err &&
	test_hist kterm2 "1 2 3" &&
	truthful kterm2
'

test_done

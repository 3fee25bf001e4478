#!/bin/bash
test_description='concurrent runners through PgBouncer in transaction pooling mode (--pooler)'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"

test -x "$PGBOUNCER" || skip_all "no pgbouncer at $PGBOUNCER"
test_pg_start
pgbouncer_start || { echo "Bail out! cannot start PgBouncer"; exit 1; }

RUNNERS=4
N=15

test_expect_success 'setup: migrations that each insert a counter row' '
	pg_createdb app &&
	BDB=$(pgbouncer_url app) &&
	"$PG_BINDIR/psql" -X -At -h 127.0.0.1 -p $PGBOUNCER_PORT -U postgres -d app -c "SELECT 1" >out &&
	mkdir migrations &&
	echo "CREATE TABLE counter (v int NOT NULL);" >migrations/0000_counter.sql &&
	for i in $(seq 1 $N); do
		{
			echo "CREATE TABLE m_$i (id int);" &&
			echo "INSERT INTO counter VALUES ($i);" &&
			if [ $((i % 4)) = 0 ]; then echo "SELECT pg_sleep(0.2);"; fi
		} >migrations/$(printf "%04d" $i)_m$i.sql || return 1
	done
'

test_expect_success "$RUNNERS concurrent runners through PgBouncer all exit 0" '
	strata_race runner $RUNNERS -d "$BDB" --pooler up
'

test_expect_success 'each migration applied exactly once' '
	test "$(hist_count app)" = $((N + 1)) &&
	test "$(pg_sql app "SELECT count(*) FROM counter")" = $N &&
	test "$(pg_sql app "SELECT count(DISTINCT v) FROM counter")" = $N
'

test_expect_success 'no advisory lock left behind on any backend' '
	test "$(pg_sql app "SELECT count(*) FROM pg_locks WHERE locktype = \$\$advisory\$\$")" = 0
'

test_expect_success 'no session state leaked into the pool' '
	for i in 1 2 3 4 5; do
		"$PG_BINDIR/psql" -X -At -h 127.0.0.1 -p $PGBOUNCER_PORT -U postgres -d app \
			-c "SELECT current_setting(\$\$lock_timeout\$\$) || \$\$ \$\$ || current_setting(\$\$statement_timeout\$\$) || \$\$ \$\$ || current_setting(\$\$search_path\$\$) || \$\$ \$\$ || current_setting(\$\$idle_in_transaction_session_timeout\$\$)" || return 1
	done >settings &&
	sort -u settings >actual &&
	echo "0 0 \"\$user\", public 0" >expect &&
	test_cmp expect actual
'

test_expect_success 'status, current and a second up through PgBouncer' '
	strata -d "$BDB" --pooler status --exit-code >out 2>err &&
	strata -d "$BDB" --pooler current >out 2>err &&
	test_grep -x $N out &&
	echo "INSERT INTO counter VALUES (100);" >migrations/0100_more.sql &&
	strata -d "$BDB" --pooler up >out 2>err &&
	test "$(pg_sql app "SELECT count(*) FROM counter")" = $((N + 1))
'

test_expect_success 'a failing migration through PgBouncer rolls back and leaves no lock' '
	printf "INSERT INTO counter VALUES (200);\nSELECT * FROM nope;\n" >migrations/0200_bad.sql &&
	test_expect_code 1 strata -d "$BDB" --pooler up >out 2>err &&
	test_grep 42P01 err &&
	test "$(pg_sql app "SELECT count(*) FROM counter WHERE v = 200")" = 0 &&
	test "$(pg_sql app "SELECT count(*) FROM pg_locks WHERE locktype = \$\$advisory\$\$")" = 0
'

test_expect_success 'the server never saw a foreign unlock or a deadlock' '
	test_grep ! "you don.t own a lock" "$(pg_log)" &&
	test_grep ! "deadlock detected" "$(pg_log)"
'

test_expect_success 'without --pooler, strata warns that it looks like a pooler' '
	strata -d "$BDB" stamp head --lock-wait 5s >out 2>err &&
	test_grep "connection pooler" err &&
	test_grep -- "--pooler" err
'

test_done

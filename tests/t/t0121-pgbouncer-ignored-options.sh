#!/bin/bash
test_description='a PgBouncer that silently drops startup options (ignore_startup_parameters = options): strata notices and runs as with --pooler'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"

test -x "$PGBOUNCER" || skip_all "no pgbouncer at $PGBOUNCER"
test_pg_start
PGBOUNCER_IGNORE=extra_float_digits,options pgbouncer_start ||
	{ echo "Bail out! cannot start PgBouncer"; exit 1; }

RUNNERS=4
N=12

test_expect_success 'setup: the pooler really drops the options' '
	pg_createdb app &&
	BDB=$(pgbouncer_url app) &&
	PGOPTIONS="-c lock_timeout=1234ms" "$PG_BINDIR/psql" -X -At -h 127.0.0.1 \
		-p $PGBOUNCER_PORT -U postgres -d app -c "SHOW lock_timeout" >out &&
	test "$(cat out)" = 0 &&
	mkdir migrations &&
	echo "CREATE TABLE counter (v int NOT NULL);" >migrations/0000_counter.sql &&
	for i in $(seq 1 $N); do
		{
			echo "INSERT INTO counter VALUES ($i);" &&
			if [ $((i % 4)) = 0 ]; then echo "SELECT pg_sleep(0.2);"; fi
		} >migrations/$(printf "%04d" $i)_m$i.sql || return 1
	done
'

test_expect_success 'without --pooler, strata says the settings are gone and switches to pooler mode' '
	strata -d "$BDB" up 0000 >out 2>err &&
	test_grep -F "does not carry strata" err &&
	test_grep -F -- "--pooler" err &&
	test "$(hist_count app)" = 1
'

test_expect_success 'no session lock is left on a pooled backend' '
	test "$(pg_sql app "SELECT count(*) FROM pg_locks WHERE locktype = \$\$advisory\$\$")" = 0
'

test_expect_success "$RUNNERS concurrent runners without --pooler apply each migration exactly once" '
	strata_race runner $RUNNERS -d "$BDB" up &&
	test "$(hist_count app)" = $((N + 1)) &&
	test "$(pg_sql app "SELECT count(*) FROM counter")" = $N &&
	test "$(pg_sql app "SELECT count(DISTINCT v) FROM counter")" = $N
'

test_expect_success 'a no-transaction migration is refused there, as with --pooler' '
	echo "CREATE INDEX CONCURRENTLY counter_v ON counter (v);" >migrations/0100_cic.sql &&
	test_expect_code 1 strata -d "$BDB" up >out 2>err &&
	test_grep -F "outside a transaction" err &&
	test "$(hist_count app)" = $((N + 1))
'

test_expect_success 'a direct connection is not mistaken for a pooler' '
	strata -d "$(pg_url app)" up >out 2>err &&
	! test_grep -F "does not carry" err &&
	test "$(hist_count app)" = $((N + 2))
'

pgbouncer_stop
test_done

#!/bin/bash
test_description='concurrent runners apply each migration exactly once; --lock-wait'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

RUNNERS=8
N=20

test_expect_success 'setup: 20 migrations, each inserts one counter row' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE counter (v int NOT NULL);" >migrations/0000_counter.sql &&
	for i in $(seq 1 $N); do
		v=$(printf "%04d" $i) &&
		{
			echo "CREATE TABLE m_$i (id int);" &&
			echo "INSERT INTO counter VALUES ($i);" &&
			if [ $((i % 5)) = 0 ]; then echo "SELECT pg_sleep(0.2);"; fi
		} >migrations/${v}_m$i.sql || return 1
	done &&
	ls migrations | wc -l >n && test "$(cat n)" = $((N + 1))
'

test_expect_success "$RUNNERS concurrent runners on a fresh database all exit 0" '
	strata_race runner $RUNNERS -d "$DB" up
'

test_expect_success 'every migration applied exactly once' '
	test "$(hist_count app)" = $((N + 1)) &&
	test "$(pg_sql app "SELECT count(*) FROM counter")" = $N &&
	test "$(pg_sql app "SELECT count(DISTINCT v) FROM counter")" = $N &&
	test "$(pg_sql app "SELECT count(*) FROM public.strata_migrations WHERE state = \$\$applied\$\$")" = $((N + 1))
'

test_expect_success 'no advisory lock and no strata session left behind' '
	pg_wait_for app "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name LIKE \$\$strata%\$\$)" 10 &&
	test "$(pg_sql app "SELECT count(*) FROM pg_locks WHERE locktype = \$\$advisory\$\$")" = 0
'

test_expect_success 'a second round with more migrations: again exactly once' '
	for i in $(seq $((N + 1)) $((N + 10))); do
		echo "INSERT INTO counter VALUES ($i);" >migrations/$(printf "%04d" $i)_m$i.sql || return 1
	done &&
	strata_race runner $RUNNERS -d "$DB" up --json &&
	test "$(pg_sql app "SELECT count(*) FROM counter")" = $((N + 10)) &&
	test "$(hist_count app)" = $((N + 11)) &&
	python3 -c "
import json
total = 0
for r in range(1, $RUNNERS + 1):
    d = json.load(open(\"runner%d.out\" % r))
    total += len(d[\"applied\"])
assert total == 10, total
"
'

test_expect_success 'setup: a slow migration' '
	echo "SELECT pg_sleep(6); CREATE TABLE slow (id int);" >migrations/0100_slow.up.sql &&
	echo "DROP TABLE slow;" >migrations/0100_slow.down.sql
'

test_expect_success 'a runner with --lock-wait 1s gives up with exit 1 while another holds the lock' '
	( strata -d "$DB" up >holder.out 2>holder.err; echo $? >holder.rc ) &
	holder=$! &&
	pg_wait_query app "%pg_sleep(6)%" &&
	t0=$EPOCHREALTIME &&
	test_expect_code 1 strata -d "$DB" --lock-wait 1s up >waiter.out 2>waiter.err &&
	t1=$EPOCHREALTIME &&
	test_grep -i "lock" waiter.err &&
	python3 -c "import sys; e = $t1 - $t0; print(e); sys.exit(0 if 0.9 <= e < 5 else 1)" &&
	wait $holder &&
	test "$(cat holder.rc)" = 0 &&
	test_table app slow &&
	test "$(hist_count app)" = $((N + 12))
'

test_expect_success 'the lock-wait failure in --json is a lock error' '
	( strata -d "$DB" redo >holder.out 2>holder.err; echo $? >holder.rc ) &
	holder=$! &&
	pg_wait_query app "%pg_sleep(6)%" &&
	test_expect_code 1 strata -d "$DB" --lock-wait 500ms --json up >waiter.json 2>waiter.err &&
	json_check waiter.json "d[\"ok\"] is False" &&
	json_check waiter.json "\"lock\" in d[\"error\"][\"kind\"]" &&
	wait $holder
'

test_expect_success 'CREATE INDEX CONCURRENTLY by the lock holder while 3 runners wait: no deadlock' '
	pg_createdb cic &&
	CDB=$(pg_url cic) &&
	mkdir cicm &&
	echo "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g;" >cicm/1_big.sql &&
	echo "CREATE INDEX CONCURRENTLY big_h_idx ON big (h);" >cicm/2_cic.sql &&
	printf -- "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY big_id_idx ON big (id);\nSELECT pg_sleep(1);\n" >cicm/3_cic2.sql &&
	echo "CREATE TABLE after_cic (id int);" >cicm/4_after.sql &&
	pg_log_mark &&
	strata_race cic 4 -d "$CDB" -s cicm up &&
	test_hist cic "1 2 3 4" &&
	test "$(pg_sql cic "SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = \$\$big\$\$::regclass")" = t &&
	test "$(pg_sql cic "SELECT count(*) FROM pg_index WHERE indrelid = \$\$big\$\$::regclass")" = 2 &&
	pg_log_since >cic.log &&
	test_grep ! "deadlock detected" cic.log
'

test_done

#!/bin/bash
test_description='a file edited while strata runs is checked again before it runs'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup: a slow first migration; the third is read while the second runs, after the first' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	printf "CREATE TABLE t (v int);\nSELECT pg_sleep(1.5);\n" >migrations/1_slow.sql &&
	echo "INSERT INTO t VALUES (1);" >migrations/2_next.sql &&
	echo "INSERT INTO t VALUES (2);" >migrations/3_later.sql
'

test_expect_success 'turned into CREATE INDEX CONCURRENTLY mid-run, it runs outside a transaction, with a warning' '
	strata_bg out err -d "$DB" up &&
	sleep 0.7 &&
	echo "CREATE INDEX CONCURRENTLY t_v ON t (v);" >migrations/3_later.sql &&
	wait $STRATA_PID &&
	test_grep -F "changed while strata ran" err &&
	test "$(pg_sql app "SELECT indisvalid FROM pg_index WHERE indexrelid = \$\$t_v\$\$::regclass")" = t &&
	test "$(pg_sql app "SELECT checksum FROM strata_migrations WHERE version = \$\$3\$\$")" = \
		"$(sha256sum <migrations/3_later.sql | cut -d" " -f1)"
'

test_done

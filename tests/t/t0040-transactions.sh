#!/bin/bash
test_description='one transaction per migration, errors with positions, CONCURRENTLY, no-transaction, own BEGIN/COMMIT, session SET, empty files'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup: migration 2 of 3 fails on its third statement' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE ok1 (id int);" >migrations/1_ok.sql &&
	cat >migrations/2_bad.sql <<-\SQL &&
	CREATE TABLE bad_early (id int);
	INSERT INTO bad_early VALUES (1);
	SELECT * FROM no_such_table;
	CREATE TABLE bad_late (id int);
	SQL
	echo "CREATE TABLE later3 (id int);" >migrations/3_later.sql
'

test_expect_success 'up stops at the failing migration with exit 1' '
	test_expect_code 1 strata -d "$DB" up >out 2>err
'

test_expect_success 'migration 1 applied; 2 rolled back entirely; 3 not run' '
	test_hist app "1" &&
	test_table app ok1 &&
	test_no_table app bad_early &&
	test_no_table app bad_late &&
	test_no_table app later3
'

test_expect_success 'the error shows file:line:column, the line, a caret, the message, the SQLSTATE' '
	test_grep -E "2_bad\.sql:3:[0-9]+" err &&
	test_grep -F "SELECT * FROM no_such_table" err &&
	test_grep -E "^[[:space:]|0-9]*\^" err &&
	test_grep -F "relation \"no_such_table\" does not exist" err &&
	test_grep -F "42P01" err
'

test_expect_success 'the column points at the error (15 = no_such_table)' '
	test_grep -E "2_bad\.sql:3:15" err
'

test_expect_success 'after the fix, up applies 2 and 3' '
	sed -i "s/no_such_table/ok1/" migrations/2_bad.sql &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3" &&
	test_table app bad_late
'

test_expect_success 'setup: CONCURRENTLY files' '
	pg_createdb cic &&
	CDB=$(pg_url cic) &&
	mkdir m2 &&
	echo "CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 5000) g;" >m2/1_big.sql &&
	echo "CREATE INDEX CONCURRENTLY big_id_idx ON big (id);" >m2/2_cic.sql &&
	cat >m2/3_mixed.sql <<-\SQL
	CREATE TABLE mixed (id int);
	CREATE INDEX CONCURRENTLY mixed_idx ON mixed (id);
	SQL
'

test_expect_success 'a file mixing CONCURRENTLY with other statements is refused before anything runs' '
	test_expect_code 1 strata -d "$CDB" -s m2 up >out 2>err &&
	test "$(hist_count cic)" = 0 &&
	test_no_table cic big &&
	test_no_table cic mixed &&
	test_grep "3_mixed" err &&
	test_grep -i "CONCURRENTLY" err &&
	test_grep "no-transaction" err
'

test_expect_success 'a file of only CREATE INDEX CONCURRENTLY runs outside a transaction' '
	mv m2/3_mixed.sql mixed.sql &&
	strata -d "$CDB" -s m2 up --json >up.json 2>err &&
	test_hist cic "1 2" &&
	test "$(pg_sql cic "SELECT indisvalid FROM pg_index WHERE indexrelid = \$\$big_id_idx\$\$::regclass")" = t &&
	json_check up.json "[m[\"transaction\"] for m in d[\"applied\"]] == [True, False]"
'

test_expect_success 'the mixed file runs with -- strata:no-transaction at the top' '
	{ echo "-- strata:no-transaction"; cat mixed.sql; } >m2/3_mixed.sql &&
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_hist cic "1 2 3" &&
	test_table cic mixed &&
	test "$(pg_sql cic "SELECT indisvalid FROM pg_index WHERE indexrelid = \$\$mixed_idx\$\$::regclass")" = t
'

test_expect_success 'dbmate: -- migrate:up transaction:false' '
	cat >m2/4_dbmate.sql <<-\SQL &&
	-- migrate:up transaction:false
	CREATE TABLE dbm (id int);
	CREATE INDEX CONCURRENTLY dbm_idx ON dbm (id);

	-- migrate:down
	DROP TABLE dbm;
	SQL
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_hist cic "1 2 3 4" &&
	test "$(pg_sql cic "SELECT indisvalid FROM pg_index WHERE indexrelid = \$\$dbm_idx\$\$::regclass")" = t
'

test_expect_success 'a file with its own BEGIN; ... COMMIT; runs' '
	cat >m2/5_own_tx.sql <<-\SQL &&
	BEGIN;
	CREATE TABLE owntx (id int);
	INSERT INTO owntx VALUES (1);
	COMMIT;
	SQL
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_hist cic "1 2 3 4 5" &&
	test "$(pg_sql cic "SELECT count(*) FROM owntx")" = 1
'

test_expect_success 'a session SET search_path in one migration does not leak into the next' '
	cat >m2/6_set.sql <<-\SQL &&
	CREATE SCHEMA x;
	SET search_path = x;
	CREATE TABLE in_x (id int);
	SQL
	echo "CREATE TABLE where_am_i (id int);" >m2/7_unqualified.sql &&
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_table cic x.in_x &&
	test_table cic public.where_am_i &&
	test_no_table cic x.where_am_i &&
	test_no_table cic x.strata_migrations &&
	test_hist cic "1 2 3 4 5 6 7"
'

test_expect_success 'an empty file and a comment-only file are no-op migrations' '
	: >m2/8_empty.sql &&
	printf -- "-- nothing to do here\n/* really\n   nothing */\n" >m2/9_comments.sql &&
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_hist cic "1 2 3 4 5 6 7 8 9" &&
	strata -d "$CDB" -s m2 history >out 2>err &&
	test_grep -w "empty" out &&
	test_grep -w "comments" out
'

test_expect_success 'set_config(search_path, ..., false) does not leak either' '
	cat >m2/10_set_config.sql <<-\SQL &&
	CREATE SCHEMA y;
	SELECT pg_catalog.set_config($$search_path$$, $$y$$, false);
	CREATE TABLE in_y (id int);
	SQL
	echo "CREATE TABLE where_am_i_2 (id int);" >m2/11_unqualified.sql &&
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_table cic y.in_y &&
	test_table cic public.where_am_i_2 &&
	test_no_table cic y.strata_migrations &&
	test_hist cic "1 2 3 4 5 6 7 8 9 10 11"
'

test_expect_success 'a session SET lock_timeout/statement_timeout does not leak into the next migration' '
	printf "SET statement_timeout = 1;\n" >m2/12_set_timeout.sql &&
	echo "SELECT pg_sleep(0.2); CREATE TABLE after_timeout (id int);" >m2/13_slowish.sql &&
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_table cic after_timeout
'

test_expect_success 'a session SET does not reach the COMMIT: a deferred trigger outlasting statement_timeout = 1 commits' '
	cat >m2/14_slow_commit.sql <<-\SQL &&
	CREATE TABLE slow_commit (id int);
	CREATE FUNCTION slow_commit_fn() RETURNS trigger LANGUAGE plpgsql AS
	$$BEGIN PERFORM pg_sleep(0.1); RETURN NULL; END$$;
	CREATE CONSTRAINT TRIGGER slow_commit_trg AFTER INSERT ON slow_commit
	  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_fn();
	INSERT INTO slow_commit VALUES (1);
	SET statement_timeout = 1;
	SQL
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_hist cic "1 2 3 4 5 6 7 8 9 10 11 12 13 14" &&
	test "$(pg_sql cic "SELECT count(*) FROM slow_commit")" = 1
'

test_expect_success 'a session SET does not reach strata'"'"'s history row: a slow insert trigger and statement_timeout = 1' '
	cat >m2/15_slow_history.sql <<-\SQL &&
	CREATE FUNCTION slow_history_fn() RETURNS trigger LANGUAGE plpgsql AS
	$$BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END$$;
	CREATE TRIGGER slow_history BEFORE INSERT ON public.strata_migrations
	  FOR EACH ROW EXECUTE FUNCTION slow_history_fn();
	SET statement_timeout = 1;
	SQL
	echo "DROP TRIGGER slow_history ON public.strata_migrations;" >m2/16_unslow.sql &&
	strata -d "$CDB" -s m2 up >out 2>err &&
	test_hist cic "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"
'

test_expect_success 'status is clean afterwards' '
	strata -d "$CDB" -s m2 status --exit-code >out 2>err
'

test_done

#!/bin/bash
test_description='up lints pending migrations first: errors stop it (nothing applied) unless --force or lint = warn; lint = off skips'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE users (id int, email text);" >migrations/1_users.sql &&
	echo "CREATE TABLE marker (id int);" >migrations/2_marker.sql &&
	echo "CREATE INDEX users_email ON users (email);" >migrations/3_index.sql
'

test_expect_success 'an error-level finding stops up before anything runs' '
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "3_index.sql:1:29: error: CREATE INDEX without CONCURRENTLY" err &&
	test_grep "nothing was applied" err &&
	test_grep "strata:allow" err &&
	test_grep -- "--force" err &&
	test_no_history app &&
	test_no_table app public.users
'

test_expect_success 'up --json: the error document says kind lint' '
	test_expect_code 1 strata -d "$DB" --json up >out.json 2>err &&
	json_check out.json "d[\"error\"][\"kind\"] == \"lint\"" &&
	test_no_history app
'

test_expect_success 'up --force prints the findings as warnings and applies' '
	strata -d "$DB" up --force >out 2>err &&
	test_grep "3_index.sql:1:29: warning: CREATE INDEX without CONCURRENTLY" err &&
	test_hist app "1 2 3"
'

test_expect_success 'lint = warn goes on; lint = off prints nothing' '
	echo "DROP INDEX users_email;" >migrations/4_drop.sql &&
	printf "[strata]\nlint = warn\n" >strata.ini &&
	strata -d "$DB" up >out 2>err &&
	test_grep "4_drop.sql:1:1: warning" err &&
	test_hist app "1 2 3 4" &&
	echo "DROP TABLE marker; TRUNCATE users CASCADE;" >migrations/5_trunc.sql &&
	printf "[strata]\nlint = off\n" >strata.ini &&
	strata -d "$DB" up >out 2>err &&
	! test_grep "ban-truncate-cascade" err &&
	test_hist app "1 2 3 4 5"
'

test_expect_success 'an environment sets its own lint mode; a bad value names the setting' '
	echo "CREATE INDEX users_id ON users (id);" >migrations/6_idx.sql &&
	printf "[strata]\nlint = off\n[env.prod]\nlint = error\n" >strata.ini &&
	test_expect_code 1 strata -d "$DB" -e prod up >out 2>err &&
	test_grep "6_idx.sql:1:26: error" err &&
	printf "[strata]\nlint = maybe\n" >strata.ini &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "lint: expected .error., .warn. or .off., got .maybe." err &&
	rm strata.ini
'

test_expect_success 'a suppressed finding lets up run; warnings do not stop it' '
	printf -- "-- strata:allow require-concurrent-index-creation users is empty here\nCREATE INDEX users_id ON users (id);\n" >migrations/6_idx.sql &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3 4 5 6" &&
	echo "BEGIN; CREATE TABLE t7 (id int); COMMIT;" >migrations/7_tx.sql &&
	strata -d "$DB" up >out 2>err &&
	test_grep "warning: .*\[transaction-nesting\]" err &&
	test_hist app "1 2 3 4 5 6 7"
'

test_expect_success 'nothing pending: up does not lint' '
	strata -d "$DB" up >out 2>err &&
	! test_grep "warning" err
'

test_expect_success 'new writes a template that passes lint' '
	strata new add_things >out 2>err &&
	strata lint migrations/*_add_things.up.sql migrations/*_add_things.down.sql >out 2>err &&
	strata --lock-timeout 0 new other_things >out 2>err &&
	test_grep "SET LOCAL lock_timeout" migrations/*_other_things.up.sql &&
	echo "ALTER TABLE users ADD COLUMN n int;" >>migrations/$(ls migrations | grep other_things.up) &&
	strata --lock-timeout 0 lint migrations/*_other_things.up.sql >out 2>err
'

test_done

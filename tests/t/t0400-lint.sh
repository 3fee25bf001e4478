#!/bin/bash
test_description='strata lint: compiler-style findings, files, --all, pending migrations, allow comments, [lint] config, --explain'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	printf "CREATE TABLE users (id int, email text);\nCREATE INDEX users_email ON users (email);\n" >migrations/1_users.up.sql &&
	echo "DROP TABLE users;" >migrations/1_users.down.sql &&
	printf -- "-- add a token\nALTER TABLE users\n  ADD COLUMN token uuid DEFAULT gen_random_uuid();\n" >migrations/2_token.up.sql &&
	echo "DROP INDEX users_token;" >migrations/2_token.down.sql
'

test_expect_success 'a file: file:line:col, the source line and a caret; exit 1 on an error' '
	test_expect_code 1 strata lint migrations/2_token.up.sql >out 2>err &&
	test_grep "^migrations/2_token.up.sql:3:33: error: .*gen_random_uuid.* \[adding-field-with-default\]$" out &&
	test_grep "^    3 |   ADD COLUMN token uuid DEFAULT gen_random_uuid();$" out &&
	test_grep "^      |                                 ^$" out &&
	test_grep "1 error, 0 warnings" out
'

test_expect_success 'a clean file exits 0; an index on a table made in the same file is fine' '
	strata lint migrations/1_users.up.sql >out 2>err &&
	test_grep "0 errors" out
'

test_expect_success 'a file of the folder is linted with its down script only when named' '
	test_expect_code 1 strata lint migrations/2_token.down.sql >out 2>err &&
	test_grep "2_token.down.sql:1:1: error: .*\[require-concurrent-index-deletion\]" out &&
	! test_grep "2_token.up.sql" out
'

test_expect_success 'a file that does not parse is a syntax-error finding with its position' '
	printf "SELECT 1;\nALTER TABLE users ADD COLUMN;\n" >broken.sql &&
	test_expect_code 1 strata lint broken.sql >out 2>err &&
	test_grep "^broken.sql:2:29: error: syntax error at or near \";\" \[syntax-error\]" out
'

test_expect_success 'a missing file is an error naming it' '
	test_expect_code 1 strata lint nothere.sql >out 2>err &&
	test_grep "nothere.sql" err
'

test_expect_success 'without a database, pending migrations cannot be known: say so and suggest --all' '
	test_expect_code 1 strata -d "postgresql://postgres@/nope?host=/nonexistent" lint >out 2>err &&
	test_grep "strata lint --all" err
'

test_expect_success '--all lints every migration, up and down' '
	test_expect_code 1 strata lint --all >out 2>err &&
	test_grep "2_token.up.sql:3:33: error" out &&
	test_grep "2_token.down.sql:1:1: error" out &&
	test_grep "in 4 files" out
'

test_expect_success 'pending only: applied migrations are not linted' '
	strata -d "$DB" up 1 >out 2>err &&
	test_expect_code 1 strata -d "$DB" lint >out 2>err &&
	! test_grep "1_users" out &&
	test_grep "2_token.up.sql:3:33" out &&
	test_grep "in 2 files" out
'

test_expect_success 'the target version changes the verdict: any default before PG 11' '
	echo "ALTER TABLE users ADD COLUMN n int DEFAULT 0;" >default0.sql &&
	strata lint default0.sql >out 2>err &&
	test_expect_code 1 strata lint --pg-version 10 default0.sql >out 2>err &&
	test_grep "before PostgreSQL 11" out &&
	test_expect_code 2 strata lint --pg-version eleven default0.sql >out 2>err &&
	test_grep "pg-version" err
'

test_expect_success 'strata:allow with a reason suppresses; without one it is a finding' '
	printf -- "-- strata:allow adding-field-with-default users has 12 rows\nALTER TABLE users ADD COLUMN t2 uuid DEFAULT gen_random_uuid();\n" >allowed.sql &&
	strata lint allowed.sql >out 2>err &&
	printf -- "-- strata:allow adding-field-with-default\nALTER TABLE users ADD COLUMN t2 uuid DEFAULT gen_random_uuid();\n" >noreason.sql &&
	test_expect_code 1 strata lint noreason.sql >out 2>err &&
	test_grep "noreason.sql:1:1: error: .*needs a reason.*\[allow-without-reason\]" out &&
	printf -- "-- strata:allow adding-field-with-defaults typo\nSELECT 1;\n" >unknown.sql &&
	strata lint unknown.sql >out 2>err &&
	test_grep "warning: no rule .adding-field-with-defaults. to allow \[unknown-rule\]" out
'

test_expect_success '[lint] in strata.ini: disable and severities; unknown ids refused' '
	printf "[lint]\ndisable = adding-field-with-default\n" >strata.ini &&
	strata lint migrations/2_token.up.sql >out 2>err &&
	printf "[lint]\nwarning = adding-field-with-default, prefer-repack\n" >strata.ini &&
	strata lint migrations/2_token.up.sql >out 2>err &&
	test_grep "warning: .*\[adding-field-with-default\]" out &&
	printf "[lint]\nerror = no-such-rule\n" >strata.ini &&
	test_expect_code 1 strata lint migrations/2_token.up.sql >out 2>err &&
	test_grep "strata.ini: \[lint\] error: unknown rule .no-such-rule." err &&
	printf "[lint]\nseverity = x\n" >strata.ini &&
	test_expect_code 1 strata lint migrations/2_token.up.sql >out 2>err &&
	test_grep "unknown setting .lint.severity." err &&
	rm strata.ini
'

test_expect_success 'require-lock-timeout only when strata sets none' '
	echo "ALTER TABLE users ADD COLUMN n int;" >plain.sql &&
	strata lint plain.sql >out 2>err &&
	! test_grep require-lock-timeout out &&
	strata --lock-timeout 0 lint plain.sql >out 2>err &&
	test_grep "plain.sql:1:1: warning: .*\[require-lock-timeout\]" out
'

test_expect_success '--rules lists every rule; --explain shows why and the safe SQL' '
	strata lint --rules >out 2>err &&
	test_grep "^require-concurrent-index-creation " out &&
	test_grep "^changing-column-type " out &&
	strata lint --explain require-concurrent-index-creation >out 2>err &&
	test_grep "SHARE lock" out &&
	test_grep "CREATE INDEX CONCURRENTLY users_email ON users (email);" out &&
	test_expect_code 2 strata lint --explain no-such-rule >out 2>err &&
	test_grep "no rule .no-such-rule." err
'

test_expect_success 'colour only on a terminal, and lint --help' '
	test_expect_code 1 strata lint migrations/2_token.up.sql >out 2>err &&
	! grep -q "$(printf "\033")" out &&
	strata lint --help >out 2>err &&
	test_grep "strata:allow" out
'

test_done

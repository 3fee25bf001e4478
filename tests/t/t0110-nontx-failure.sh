#!/bin/bash
test_description='a failed no-transaction migration: partial state, refusal, --resume, resolve'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

row() {
	pg_sql app "SELECT state || ':' || coalesce(statements_done::text, '-')
		FROM public.strata_migrations WHERE version = '$1'"
}

state_of() {
	json_get "$1" "[m[\"state\"] for m in d[\"migrations\"] if m[\"version\"] == \"$2\"][0]"
}

test_expect_success 'setup: a no-transaction migration whose 2nd statement fails' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	cat >migrations/1_nt.sql <<-\SQL
	-- strata:no-transaction
	CREATE TABLE nt1 (id int);
	INSERT INTO nt_missing VALUES (1);
	CREATE TABLE nt3 (id int);
	SQL
	echo "CREATE TABLE after1 (id int);" >migrations/2_after.sql
'

test_expect_success 'up exits 1 and names statement 2' '
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep -F "nt_missing" err &&
	test_grep -F "42P01" err &&
	test_grep -E "1_nt\.sql:3:" err
'

test_expect_success 'statement 1 ran, 3 did not, the next migration did not' '
	test_table app nt1 &&
	test_no_table app nt3 &&
	test_no_table app after1
'

test_expect_success 'the history records it partial with one statement done' '
	test "$(row 1)" = "partial:1" &&
	test "$(pg_sql app "SELECT error IS NOT NULL FROM public.strata_migrations WHERE version = \$\$1\$\$")" = t
'

test_expect_success 'status shows it partial, stopped at statement 2' '
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = partial &&
	test "$(state_of s.json 2)" = pending &&
	strata -d "$DB" status >out 2>err &&
	test_grep -i "partial\|failed" out &&
	test_grep -i -e "statement 2" -e "after statement 1" out
'

test_expect_success 'status --exit-code is not clean' '
	test_expect_code 3 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'up again refuses (exit 1) and says how to resolve' '
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep -e "--resume" err &&
	test_grep -e "resolve" err &&
	test "$(row 1)" = "partial:1" &&
	test_no_table app after1
'

test_expect_success 'after fixing the file, up --resume continues from statement 2' '
	sed -i "s/nt_missing/nt1/" migrations/1_nt.sql &&
	strata -d "$DB" up --resume >out 2>err &&
	test "$(row 1 | cut -d: -f1)" = applied &&
	test "$(pg_sql app "SELECT count(*) FROM nt1")" = 1 &&
	test_table app nt3 &&
	test_hist app "1 2" &&
	test_table app after1
'

test_expect_success 'status is clean afterwards (the fixed file is what is recorded)' '
	strata -d "$DB" status --exit-code >out 2>err &&
	strata -d "$DB" validate >out 2>err
'

test_expect_success 'setup: another failing no-transaction migration' '
	cat >migrations/3_nt.sql <<-\SQL &&
	-- strata:no-transaction
	CREATE TABLE r1 (id int);
	SELECT 1/0;
	CREATE TABLE r3 (id int);
	SQL
	echo "CREATE TABLE after3 (id int);" >migrations/4_after.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test "$(row 3)" = "partial:1"
'

test_expect_success 'resolve VERSION applied marks it applied; up goes on' '
	pg_sql app "CREATE TABLE r3 (id int)" &&
	strata -d "$DB" resolve 3 applied >out 2>err &&
	test "$(row 3 | cut -d: -f1)" = applied &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3 4" &&
	test_table app after3
'

test_expect_success 'setup: a third failing no-transaction migration' '
	cat >migrations/5_nt.sql <<-\SQL &&
	-- strata:no-transaction
	CREATE TABLE v1 (id int);
	SELECT * FROM v_missing;
	CREATE TABLE v3 (id int);
	SQL
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test "$(row 5)" = "partial:1"
'

test_expect_success 'resolve VERSION reverted forgets it; fixed, it runs from the start' '
	pg_sql app "DROP TABLE v1" &&
	strata -d "$DB" resolve 5 reverted >out 2>err &&
	test_hist app "1 2 3 4" &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 5)" = pending &&
	sed -i "s/v_missing/v1/" migrations/5_nt.sql &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3 4 5" &&
	test_table app v1 && test_table app v3
'

test_expect_success 'resolve of a migration that is not partial is refused' '
	test_must_fail strata -d "$DB" resolve 4 reverted >out 2>err &&
	test_hist app "1 2 3 4 5"
'

test_expect_success 'resolve with a bad state word is a usage error' '
	test_expect_code 2 strata -d "$DB" resolve 5 sideways >out 2>err
'

test_expect_success 'setup: a unique index built concurrently over duplicate values' '
	pg_createdb cic &&
	CDB=$(pg_url cic) &&
	mkdir m3 &&
	printf "CREATE TABLE dup (v int);\nINSERT INTO dup VALUES (1), (1), (2);\n" >m3/1_dup.sql &&
	cat >m3/2_unique.sql <<-\SQL
	CREATE UNIQUE INDEX CONCURRENTLY "Dup u" ON dup (v);
	SQL
'

test_expect_success 'the failed CREATE INDEX CONCURRENTLY is reported with the INVALID index it left' '
	test_expect_code 1 strata -d "$CDB" -s m3 up >out 2>err &&
	test_grep -F "INVALID index public.\"Dup u\"" err &&
	test "$(pg_sql cic "SELECT indisvalid FROM pg_index WHERE indexrelid = \$\$public.\"Dup u\"\$\$::regclass")" = f
'

test_expect_success 'after fixing the data, up --resume drops the INVALID index and builds it again' '
	pg_sql cic "DELETE FROM dup WHERE ctid = (SELECT max(ctid) FROM dup WHERE v = 1)" &&
	strata -d "$CDB" -s m3 up --resume >out 2>err &&
	test_grep -F "dropping the INVALID index" err &&
	test "$(pg_sql cic "SELECT indisvalid FROM pg_index WHERE indexrelid = \$\$public.\"Dup u\"\$\$::regclass")" = t &&
	test "$(pg_sql cic "SELECT state FROM public.strata_migrations WHERE version = \$\$2\$\$")" = applied
'

test_done

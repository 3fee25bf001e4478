#!/bin/bash
test_description='repeatable migrations: R__NAME.sql and repeatable/, run by up after the versioned ones when they change, at head only; status, validate, down'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# the repeatables that ran, in the order they ran (each logs itself)
ran() {
	pg_sql "$1" "SELECT coalesce(string_agg(what, ' ' ORDER BY id), '') FROM runs"
}

# state of repeatable NAME in status --json output FILE
rstate() {
	json_get "$1" "[r[\"state\"] for r in d[\"repeatable\"] if r[\"name\"] == \"$2\"][0]"
}

test_expect_success 'setup: three migrations, a view and a function as repeatables' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir -p migrations/repeatable &&
	cat >migrations/1_people.sql <<-\EOF &&
	CREATE TABLE people (id int PRIMARY KEY, name text);
	CREATE TABLE runs (id serial PRIMARY KEY, what text);
	INSERT INTO people VALUES (1, $$ann$$), (2, $$bob$$), (3, $$cy$$);
	EOF
	echo "ALTER TABLE people ADD COLUMN age int DEFAULT 30;" >migrations/2_age.sql &&
	echo "CREATE TABLE extra (id int);" >migrations/3_extra.up.sql &&
	echo "DROP TABLE extra;" >migrations/3_extra.down.sql &&
	# the view needs the column of migration 2: it must run after it
	cat >migrations/R__adults.sql <<-\EOF &&
	CREATE OR REPLACE VIEW adults AS SELECT id, name FROM people WHERE age >= 18;
	INSERT INTO runs (what) VALUES ($$adults$$);
	EOF
	cat >migrations/repeatable/count.sql <<-\EOF
	CREATE OR REPLACE FUNCTION n_people() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM people $$;
	INSERT INTO runs (what) VALUES ($$count$$);
	EOF
'

test_expect_success 'up to a version short of head runs no repeatable' '
	strata -d "$DB" up 2 >out 2>err &&
	test_hist app "1 2" &&
	test_equal "" "$(ran app)" &&
	test_no_table app public.strata_migrations_scripts
'

test_expect_success 'status lists them as pending; --exit-code counts them' '
	strata -d "$DB" status --json >s.json 2>err &&
	test_equal pending "$(rstate s.json adults)" &&
	test_equal pending "$(rstate s.json count)" &&
	json_check s.json "d[\"repeatable\"][0][\"file\"] == \"migrations/R__adults.sql\"" &&
	json_check s.json "d[\"repeatable\"][1][\"file\"] == \"migrations/repeatable/count.sql\""
'

test_expect_success 'up --dry-run shows them after the migrations, and runs nothing' '
	strata -d "$DB" up --dry-run >out 2>err &&
	test_grep "apply 3_extra" out &&
	test_grep "apply R__adults" out &&
	test_grep "apply repeatable/count" out &&
	test_grep "CREATE OR REPLACE VIEW adults" out &&
	test_grep "CREATE TABLE IF NOT EXISTS public.strata_migrations_scripts" out &&
	test $(grep -n "apply 3_extra" out | cut -d: -f1) -lt $(grep -n "apply R__adults" out | cut -d: -f1) &&
	test_equal "" "$(ran app)" &&
	test_hist app "1 2"
'

test_expect_success 'up +1 that reaches head applies the migration, then the repeatables in name order' '
	strata -d "$DB" up +1 >out 2>err &&
	test_hist app "1 2 3" &&
	test_equal "adults count" "$(ran app)" &&
	test_equal 3 "$(pg_sql app "SELECT count(*) FROM adults")" &&
	test_equal 3 "$(pg_sql app "SELECT n_people()")" &&
	test_grep "up   R__adults" out &&
	test_grep "and 2 repeatables" out
'

test_expect_success 'up again runs nothing: they are unchanged' '
	strata -d "$DB" up >out 2>err &&
	test_grep "nothing to apply" out &&
	test_equal "adults count" "$(ran app)"
'

test_expect_success 'status shows them applied; --exit-code exits 0' '
	strata -d "$DB" status >out 2>err &&
	test_grep "applied *R__adults" out &&
	test_grep "applied *repeatable/count" out &&
	test_expect_code 0 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'an edited repeatable is changed in status, and --exit-code exits 3' '
	sed -i "s/age >= 18/age >= 31/" migrations/R__adults.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test_equal changed "$(rstate s.json adults)" &&
	test_equal applied "$(rstate s.json count)" &&
	json_check s.json "[r for r in d[\"repeatable\"] if r[\"name\"] == \"count\"][0][\"applied_at\"] is not None" &&
	strata -d "$DB" status >out 2>err &&
	test_grep "changed *R__adults" out &&
	test_expect_code 3 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'up runs the changed one again, only that one' '
	strata -d "$DB" up --json >out.json 2>err &&
	json_check out.json "d[\"applied\"] == []" &&
	json_check out.json "[r[\"name\"] for r in d[\"repeatable\"]] == [\"adults\"]" &&
	json_check out.json "d[\"repeatable\"][0][\"state\"] == \"changed\"" &&
	test_equal "adults count adults" "$(ran app)" &&
	test_equal 0 "$(pg_sql app "SELECT count(*) FROM adults")" &&
	test_equal 2 "$(pg_sql app "SELECT runs FROM strata_migrations_scripts WHERE name = \$\$adults\$\$")" &&
	test_expect_code 0 strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'a new repeatable is pending, then applied' '
	cat >migrations/repeatable/a_grants.sql <<-\EOF &&
	INSERT INTO runs (what) VALUES ($$grants$$);
	EOF
	strata -d "$DB" status --json >s.json 2>err &&
	test_equal pending "$(rstate s.json a_grants)" &&
	strata -d "$DB" up >out 2>err &&
	test_equal "adults count adults grants" "$(ran app)"
'

test_expect_success 'down never touches them' '
	strata -d "$DB" down >out 2>err &&
	test_hist app "1 2" &&
	test_equal "adults count adults grants" "$(ran app)" &&
	test_equal 3 "$(pg_sql app "SELECT count(*) FROM strata_migrations_scripts")" &&
	strata -d "$DB" up >out 2>err &&
	test_equal "adults count adults grants" "$(ran app)"
'

test_expect_success 'a failing repeatable rolls back, is not recorded, and the migrations stay' '
	echo "CREATE TABLE four (id int);" >migrations/4_four.sql &&
	cat >migrations/repeatable/count.sql <<-\EOF &&
	INSERT INTO runs (what) VALUES ($$count2$$);
	SELECT nosuch FROM people;
	EOF
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "repeatable migration repeatable/count failed" err &&
	test_grep "migrations/repeatable/count.sql:2:8" err &&
	test_hist app "1 2 3 4" &&
	test_equal "adults count adults grants" "$(ran app)" &&
	strata -d "$DB" status --json >s.json 2>err &&
	test_equal changed "$(rstate s.json count)"
'

test_expect_success 'a syntax error in a repeatable stops up before anything runs; validate finds it' '
	printf "SELECT 1;\nSELEC 2;\n" >migrations/repeatable/count.sql &&
	echo "CREATE TABLE five (id int);" >migrations/5_five.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "migrations/repeatable/count.sql:2:1" err &&
	test_hist app "1 2 3 4" &&
	test_expect_code 1 strata -d "$DB" validate >out 2>err &&
	test_grep "migrations/repeatable/count.sql:2:1" err &&
	strata -d "$DB" validate --offline --json >v.json 2>err;
	json_check v.json "d[\"repeatable\"] == 3 and d[\"ok\"] is False" &&
	echo "INSERT INTO runs (what) VALUES (\$\$count3\$\$);" >migrations/repeatable/count.sql &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3 4 5" &&
	test_equal "adults count adults grants count3" "$(ran app)" &&
	strata -d "$DB" validate >out 2>err
'

test_expect_success 'two repeatables with one name are an error naming both, before anything runs' '
	cp migrations/R__adults.sql migrations/repeatable/adults.sql &&
	echo "CREATE TABLE six (id int);" >migrations/6_six.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "migrations/R__adults.sql" err &&
	test_grep "migrations/repeatable/adults.sql" err &&
	test_hist app "1 2 3 4 5" &&
	rm migrations/repeatable/adults.sql migrations/6_six.sql
'

test_expect_success 'a repeatable has no down: R__x.down.sql is refused' '
	echo "SELECT 1;" >migrations/R__x.down.sql &&
	test_expect_code 1 strata -d "$DB" status >out 2>err &&
	test_grep "R__x.down.sql" err &&
	rm migrations/R__x.down.sql
'

test_expect_success 'a repeatable cannot hold statements that refuse its transaction' '
	echo "CREATE INDEX CONCURRENTLY people_name ON people (name);" >migrations/R__index.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "migrations/R__index.sql:1:1" err &&
	test_grep "CREATE INDEX CONCURRENTLY" err &&
	rm migrations/R__index.sql
'

test_expect_success 'another history table keeps its own records (stamp records no repeatable)' '
	strata -d "$DB" --table other.history stamp head >out 2>err &&
	test_no_table app other.history_scripts &&
	strata -d "$DB" --table other.history up >out 2>err &&
	test_equal "adults count adults grants count3 grants adults count3" "$(ran app)" &&
	test_equal 3 "$(pg_sql app "SELECT count(*) FROM other.history_scripts")" &&
	test_equal 1 "$(pg_sql app "SELECT runs FROM strata_migrations_scripts WHERE name = \$\$a_grants\$\$")" &&
	test_grep "applied 3 repeatable migrations" out
'

test_expect_success 'through --pooler (no session lock) they run once, guarded' '
	pg_createdb pooled &&
	strata_race p 3 -d "$(pg_url pooled)" --pooler up &&
	test_equal "grants adults count3" "$(ran pooled)"
'

test_done

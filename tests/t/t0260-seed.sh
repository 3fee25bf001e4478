#!/bin/bash
test_description='strata seed: at head only (--force), name order, once each, changed seeds again, --again, NAMEs, --dry-run, --json, per-environment folders'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# the seeds that ran, in the order they ran
ran() {
	pg_sql "$1" "SELECT string_agg(what, ' ' ORDER BY id) FROM seed_log"
}

# runs of a seed, from the scripts table
runs_of() {
	pg_sql "$1" "SELECT runs FROM ${3:-public.strata_migrations_scripts}
		WHERE kind = 'seed' AND name = '$2'"
}

test_expect_success 'setup: two migrations, three seeds' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations seeds &&
	echo "CREATE TABLE seed_log (id serial PRIMARY KEY, what text);" >migrations/1_log.sql &&
	echo "CREATE TABLE people (id int PRIMARY KEY, name text);" >migrations/2_people.sql &&
	# written last-first, so that the folder order is not the name order
	echo "INSERT INTO seed_log (what) VALUES (\$\$c\$\$);" >seeds/c_third.sql &&
	echo "INSERT INTO seed_log (what) VALUES (\$\$b\$\$);" >seeds/b_second.sql &&
	echo "INSERT INTO seed_log (what) VALUES (\$\$a\$\$);" >seeds/a_first.sql &&
	echo "not a seed" >seeds/README.md
'

test_expect_success 'seed --help describes it' '
	strata seed --help >out 2>&1 &&
	test_grep -e "--force" out &&
	test_grep -e "--again" out &&
	test_grep -e "seeds = DIR" out
'

test_expect_success 'seed on a database not at head is refused, naming what is pending' '
	strata -d "$DB" up 1 >out 2>err &&
	test_expect_code 1 strata -d "$DB" seed >out 2>err &&
	test_grep "not at head" err &&
	test_grep "pending: 2" err &&
	test_grep -e "--force" err &&
	test_equal "" "$(ran app)" &&
	test_no_table app public.strata_migrations_scripts
'

test_expect_success 'the refusal in --json has kind not_at_head' '
	test_expect_code 1 strata -d "$DB" seed --json >out.json 2>err &&
	json_check out.json "d[\"ok\"] is False" &&
	json_check out.json "d[\"error\"][\"kind\"] == \"not_at_head\""
'

test_expect_success 'seed --force seeds anyway, in name order, with a warning' '
	strata -d "$DB" seed --force >out 2>err &&
	test_grep "not at head" err &&
	test_equal "a b c" "$(ran app)"
'

test_expect_success 'at head, seeds that already ran unchanged are skipped (a no-op)' '
	strata -d "$DB" up >out 2>err &&
	strata -d "$DB" seed >out 2>err &&
	test_grep "nothing to seed" out &&
	test_equal "a b c" "$(ran app)" &&
	test_equal 1 "$(runs_of app a_first)"
'

test_expect_success 'a seed whose file changed runs again, alone' '
	echo "-- now with a comment" >>seeds/b_second.sql &&
	strata -d "$DB" seed >out 2>err &&
	test_grep "seed b_second" out &&
	test_grep "skip a_first" out &&
	test_equal "a b c b" "$(ran app)" &&
	test_equal 2 "$(runs_of app b_second)" &&
	test_equal 1 "$(runs_of app c_third)"
'

test_expect_success '--again runs unchanged seeds again' '
	strata -d "$DB" seed --again >out 2>err &&
	test_equal "a b c b a b c" "$(ran app)" &&
	test_equal 2 "$(runs_of app a_first)"
'

test_expect_success 'NAME picks seeds, with or without .sql' '
	strata -d "$DB" seed --again c_third >out 2>err &&
	strata -d "$DB" seed --again a_first.sql >out 2>err &&
	test_equal "a b c b a b c c a" "$(ran app)"
'

test_expect_success 'NAMEs still run in name order' '
	strata -d "$DB" seed --again c_third a_first >out 2>err &&
	test_equal "a b c b a b c c a a c" "$(ran app)"
'

test_expect_success 'an unknown NAME is a usage error listing the seeds; nothing runs' '
	test_expect_code 2 strata -d "$DB" seed --again a_first nosuch >out 2>err &&
	test_grep "nosuch" err &&
	test_grep "a_first, b_second, c_third" err &&
	test_equal "a b c b a b c c a a c" "$(ran app)" &&
	test_expect_code 2 strata -d "$DB" seed nosuch --json >out.json 2>err &&
	json_check out.json "d[\"error\"][\"kind\"] == \"usage\""
'

test_expect_success '--json: one document with every seed and what became of it' '
	echo "-- edited" >>seeds/c_third.sql &&
	strata -d "$DB" seed --json >out.json 2>err &&
	json_check out.json "d[\"command\"] == \"seed\" and d[\"ok\"] is True" &&
	json_check out.json "[s[\"name\"] for s in d[\"seeds\"]] == [\"a_first\", \"b_second\", \"c_third\"]" &&
	json_check out.json "[s[\"run\"] for s in d[\"seeds\"]] == [False, False, True]" &&
	json_check out.json "d[\"seeds\"][2][\"state\"] == \"changed\"" &&
	json_check out.json "d[\"seeds\"][2][\"duration_ms\"] is not None" &&
	json_check out.json "d[\"seeds\"][2][\"file\"] == \"seeds/c_third.sql\"" &&
	json_check out.json "d[\"ran\"] == 1 and d[\"skipped\"] == 2"
'

test_expect_success '--dry-run prints the exact SQL, record included, and runs nothing' '
	before=$(ran app) &&
	strata -d "$DB" seed --again --dry-run a_first >out 2>err &&
	test_grep "^BEGIN;" out &&
	test_grep "VALUES (\$\$a\$\$)" out &&
	test_grep "INSERT INTO public.strata_migrations_scripts AS r (kind, name, checksum, duration_ms) VALUES (.seed., .a_first." out &&
	test_grep "ON CONFLICT (kind, name) DO UPDATE" out &&
	test_grep "^COMMIT;" out &&
	test_equal "$before" "$(ran app)"
'

test_expect_success '--dry-run on a fresh database shows the scripts table it would create, creates nothing' '
	pg_createdb fresh &&
	strata -d "$(pg_url fresh)" seed --force --dry-run --json >out.json 2>err &&
	json_check out.json "any(\"CREATE TABLE IF NOT EXISTS public.strata_migrations_scripts\" in s for s in d[\"sql\"])" &&
	json_check out.json "d[\"dry_run\"] is True and d[\"ran\"] == 0" &&
	test_no_table fresh public.strata_migrations_scripts
'

test_expect_success 'a failing seed rolls back and is not recorded; the ones before stay; exit 1 with file:line' '
	pg_createdb fail &&
	FDB=$(pg_url fail) &&
	strata -d "$FDB" up >out 2>err &&
	printf "INSERT INTO seed_log (what) VALUES (\$\$b1\$\$);\nINSERT INTO nosuch VALUES (1);\n" >seeds/b_second.sql &&
	test_expect_code 1 strata -d "$FDB" seed >out 2>err &&
	test_grep "seed b_second failed" err &&
	test_grep "seeds/b_second.sql:2:13" err &&
	test_equal "a" "$(ran fail)" &&
	test_equal "a_first" "$(pg_sql fail "SELECT string_agg(name, \$\$ \$\$) FROM strata_migrations_scripts")"
'

test_expect_success 'a seed with its own BEGIN/COMMIT is refused before anything runs' '
	printf "BEGIN;\nINSERT INTO seed_log (what) VALUES (\$\$x\$\$);\nCOMMIT;\n" >seeds/b_second.sql &&
	test_expect_code 1 strata -d "$FDB" seed >out 2>err &&
	test_grep "seeds/b_second.sql:1:1" err &&
	test_grep "BEGIN" err &&
	test_equal "a" "$(ran fail)" &&
	echo "INSERT INTO seed_log (what) VALUES (\$\$b\$\$);" >seeds/b_second.sql
'

test_expect_success 'the record does not follow a seed that changes search_path' '
	cat >seeds/d_decoy.sql <<-\EOF &&
	CREATE SCHEMA decoy;
	CREATE TABLE decoy.strata_migrations_scripts (LIKE public.strata_migrations_scripts);
	SET search_path = decoy;
	EOF
	strata -d "$FDB" seed d_decoy >out 2>err &&
	test_equal 1 "$(runs_of fail d_decoy)" &&
	test_equal 0 "$(pg_sql fail "SELECT count(*) FROM decoy.strata_migrations_scripts")" &&
	rm seeds/d_decoy.sql
'

test_expect_success 'concurrent seeds run each seed once' '
	pg_createdb race &&
	RDB=$(pg_url race) &&
	strata -d "$RDB" up >out 2>err &&
	strata_race r 3 -d "$RDB" seed &&
	test_equal "a b c" "$(ran race)"
'

test_expect_success 'the seeds folder is "seeds" beside the migrations folder' '
	pg_createdb nested &&
	mkdir -p db/migrations db/seeds &&
	cp migrations/*.sql db/migrations/ &&
	echo "INSERT INTO seed_log (what) VALUES (\$\$nested\$\$);" >db/seeds/only.sql &&
	strata -d "$(pg_url nested)" -s db/migrations up >out 2>err &&
	strata -d "$(pg_url nested)" -s db/migrations seed >out 2>err &&
	test_equal "nested" "$(ran nested)"
'

test_expect_success 'a missing seeds folder is an error naming it' '
	cat >none.ini <<-\EOF &&
	[strata]
	migrations = db/migrations
	seeds = no/such/folder
	EOF
	test_expect_code 1 strata -d "$(pg_url nested)" -c none.ini seed >out 2>err &&
	test_grep "cannot open seeds folder .no/such/folder." err
'

test_expect_success 'each environment has its own seeds folder, and its own records with its own --table' '
	pg_createdb dev &&
	pg_createdb staging &&
	mkdir -p dev_seeds &&
	echo "INSERT INTO seed_log (what) VALUES (\$\$dev\$\$);" >dev_seeds/dev_only.sql &&
	cat >strata.ini <<-EOF &&
	[strata]
	migrations = migrations
	seeds = seeds

	[env.dev]
	url = $(pg_url dev)
	seeds = dev_seeds
	table = dev.history

	[env.staging]
	url = $(pg_url staging)
	EOF
	strata -e dev up >out 2>err &&
	strata -e dev seed >out 2>err &&
	test_equal "dev" "$(ran dev)" &&
	test_equal 1 "$(runs_of dev dev_only dev.history_scripts)" &&
	test_no_table dev public.strata_migrations_scripts &&
	strata -e staging up >out 2>err &&
	strata -e staging seed >out 2>err &&
	test_equal "a b c" "$(ran staging)"
'

test_expect_success 'validate parses the seeds' '
	printf "SELECT 1;\nSELEC 2;\n" >dev_seeds/broken.sql &&
	test_expect_code 1 strata -e dev validate >out 2>err &&
	test_grep "dev_seeds/broken.sql:2:1" err &&
	test_expect_code 1 strata -e dev seed >out 2>err &&
	test_grep "dev_seeds/broken.sql:2:1" err &&
	test_equal "dev" "$(ran dev)" &&
	rm dev_seeds/broken.sql
'

test_expect_success 'the example project: up, then its development data, once' '
	pg_createdb minegnk &&
	cp -r "$TEST_ROOT/examples/minegnk" example &&
	(cd example && strata -d "$(pg_url minegnk)" up) >out 2>err &&
	(cd example && strata -d "$(pg_url minegnk)" seed) >out 2>err &&
	test_grep "seed dev_users" out &&
	test_equal 4 "$(pg_sql minegnk "SELECT count(*) FROM users")" &&
	(cd example && strata -d "$(pg_url minegnk)" seed) >out 2>err &&
	test_grep "nothing to seed" out &&
	test_equal 4 "$(pg_sql minegnk "SELECT count(*) FROM users")"
'

test_done

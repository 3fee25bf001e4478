#!/bin/bash
test_description='the four file layouts, mixed, in numeric version order; down per layout'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

BIG=123456789012345678901234567890

test_expect_success 'setup: one folder with every layout' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	cat >migrations/1_pair.up.sql <<-\SQL &&
	CREATE TABLE order_log (id serial PRIMARY KEY, v text NOT NULL);
	CREATE TABLE t_pair (id int);
	INSERT INTO order_log (v) VALUES ($$1$$);
	SQL
	cat >migrations/1_pair.down.sql <<-\SQL &&
	DROP TABLE t_pair;
	DROP TABLE order_log;
	SQL
	cat >migrations/0002_uponly.sql <<-\SQL &&
	CREATE TABLE t_uponly (id int);
	INSERT INTO order_log (v) VALUES ($$0002$$);
	SQL
	cat >migrations/10_sections.sql <<-\SQL &&
	-- migrate:up
	CREATE TABLE t_sections (id int);
	INSERT INTO order_log (v) VALUES ($$10$$);

	-- migrate:down
	DROP TABLE t_sections;
	SQL
	cat >migrations/11_strata_sections.sql <<-\SQL &&
	-- strata:up
	CREATE TABLE t_strata_sections (id int);
	INSERT INTO order_log (v) VALUES ($$11$$);
	-- strata:down
	DROP TABLE t_strata_sections;
	SQL
	cat >migrations/1733759000000_typeorm.up.sql <<-\SQL &&
	CREATE TABLE t_typeorm (id int);
	INSERT INTO order_log (v) VALUES ($$1733759000000$$);
	SQL
	echo "DROP TABLE t_typeorm;" >migrations/1733759000000_typeorm.down.sql &&
	mkdir migrations/2019-02-26-002946_create_user &&
	cat >migrations/2019-02-26-002946_create_user/up.sql <<-\SQL &&
	CREATE TABLE t_folder (id int);
	INSERT INTO order_log (v) VALUES ($$2019-02-26-002946$$);
	SQL
	echo "DROP TABLE t_folder;" >migrations/2019-02-26-002946_create_user/down.sql &&
	cat >migrations/${BIG}_big.up.sql <<-SQL &&
	CREATE TABLE t_big (id int);
	INSERT INTO order_log (v) VALUES (\$\$$BIG\$\$);
	SQL
	echo "DROP TABLE t_big;" >migrations/${BIG}_big.down.sql &&
	printf "# Migrations\n\nSee the wiki. Run: strata up\n" >migrations/README.md &&
	: >migrations/.gitkeep
'

test_expect_success 'validate accepts the folder (README.md and .gitkeep ignored)' '
	strata -d "$DB" validate >out 2>err
'

test_expect_success 'status lists the seven migrations, all pending' '
	strata -d "$DB" status --json >status.json 2>err &&
	json_check status.json "len(d[\"migrations\"]) == 7" &&
	json_check status.json "all(m[\"state\"] == \"pending\" for m in d[\"migrations\"])" &&
	json_check status.json "[m[\"version\"].replace(\"-\", \"\").lstrip(\"0\") for m in d[\"migrations\"]] == [\"1\", \"2\", \"10\", \"11\", \"1733759000000\", \"20190226002946\", \"$BIG\"]"
'

test_expect_success 'status marks the up-only file irreversible, the others reversible' '
	json_check status.json "[m[\"reversible\"] for m in d[\"migrations\"]] == [True, False, True, True, True, True, True]"
'

test_expect_success 'up applies all of them in numeric version order' '
	strata -d "$DB" up >out 2>err &&
	pg_sql app "SELECT string_agg(v, \$\$ \$\$ ORDER BY id) FROM order_log" >actual &&
	echo "1 0002 10 11 1733759000000 2019-02-26-002946 $BIG" >expect &&
	test_cmp expect actual &&
	test_hist app "1 2 10 11 1733759000000 20190226002946 $BIG"
'

test_expect_success 'the history records names and checksums' '
	pg_sql app "SELECT version, name FROM public.strata_migrations ORDER BY length(version), version" >actual &&
	cat >expect <<-EOF &&
	1|pair
	2|uponly
	10|sections
	11|strata_sections
	1733759000000|typeorm
	20190226002946|create_user
	$BIG|big
	EOF
	test_cmp expect actual &&
	test "$(pg_sql app "SELECT count(*) FROM public.strata_migrations WHERE checksum ~ \$\$^[0-9a-f]{64}\$\$ AND state = \$\$applied\$\$")" = 7
'

test_expect_success 'the sections layout ran only its up section' '
	test_table app t_sections &&
	test_table app t_strata_sections
'

test_expect_success 'the folder version is the dashed version without dashes' '
	strata -d "$DB" current >out 2>err &&
	test_grep -x "$BIG" out
'

test_expect_success 'down base refuses to start: the up-only migration is irreversible' '
	test_expect_code 1 strata -d "$DB" down base >out 2>err &&
	test_grep uponly err &&
	test_hist app "1 2 10 11 1733759000000 20190226002946 $BIG" &&
	test_table app t_big
'

test_expect_success 'down reverts the pair layout (30-digit version)' '
	strata -d "$DB" down >out 2>err &&
	test_no_table app t_big &&
	test_hist app "1 2 10 11 1733759000000 20190226002946"
'

test_expect_success 'down reverts the folder layout' '
	strata -d "$DB" down >out 2>err &&
	test_no_table app t_folder &&
	test_table app t_typeorm &&
	test_hist app "1 2 10 11 1733759000000"
'

test_expect_success 'down reverts the TypeORM-like pair' '
	strata -d "$DB" down >out 2>err &&
	test_no_table app t_typeorm &&
	test_hist app "1 2 10 11"
'

test_expect_success 'down reverts the -- strata:up/-- strata:down sections' '
	strata -d "$DB" down >out 2>err &&
	test_no_table app t_strata_sections &&
	test_table app t_sections &&
	test_hist app "1 2 10"
'

test_expect_success 'down reverts the -- migrate:up/-- migrate:down sections' '
	strata -d "$DB" down >out 2>err &&
	test_no_table app t_sections &&
	test_hist app "1 2"
'

test_expect_success 'down of the up-only migration exits 1, names it, reverts nothing' '
	test_expect_code 1 strata -d "$DB" down >out 2>err &&
	test_grep -e "uponly" -e "0002" err &&
	test_hist app "1 2" &&
	test_table app t_uponly &&
	test_table app t_pair
'

test_expect_success 'up again re-applies the reverted ones, in order' '
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 10 11 1733759000000 20190226002946 $BIG" &&
	pg_sql app "SELECT string_agg(v, \$\$ \$\$ ORDER BY id) FROM order_log" >actual &&
	echo "1 0002 10 11 1733759000000 2019-02-26-002946 $BIG 10 11 1733759000000 2019-02-26-002946 $BIG" >expect &&
	test_cmp expect actual
'

test_expect_success 'a version can be given in its written form (dashes, leading zeros)' '
	strata -d "$DB" down 2019-02-26-002946 >out 2>err &&
	test_hist app "1 2 10 11 1733759000000 20190226002946" &&
	strata -d "$DB" up >out 2>err &&
	strata -d "$DB" down 0002 >out 2>err &&
	test_hist app "1 2"
'

test_done

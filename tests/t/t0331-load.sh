#!/bin/bash
test_description='dump --with-history and load: a database at head in one step; refusals, errors located, one transaction'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup: a migrated database' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	printf "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\nCREATE INDEX users_email ON users (email);\n" >migrations/1_users.up.sql &&
	echo "DROP TABLE users;" >migrations/1_users.down.sql &&
	printf "CREATE FUNCTION n_users() RETURNS bigint LANGUAGE sql AS \$\$ SELECT count(*) FROM users \$\$;\nCREATE VIEW v AS SELECT id FROM users;\n" >migrations/2_more.up.sql &&
	echo "CREATE TABLE notes (id int, body text);" >migrations/10_notes.sql &&
	strata -d "$DB" up >out 2>err &&
	strata -d "$DB" stamp 10 >out 2>err
'

test_expect_success 'dump --with-history: the schema, then the history table and its rows in version order' '
	strata -d "$DB" dump --with-history >full.sql 2>err &&
	strata -d "$DB" dump >schema.sql 2>err &&
	head -c $(wc -c <schema.sql) full.sql >head.sql &&
	test_cmp schema.sql head.sql &&
	test_grep "^CREATE TABLE IF NOT EXISTS public.strata_migrations" full.sql &&
	grep "^INSERT INTO public.strata_migrations" full.sql | sed -e "s/.*VALUES ('"'"'\([0-9]*\)'"'"'.*/\1/" >versions &&
	printf "1\n2\n10\n" >expect &&
	test_cmp expect versions &&
	test_grep "'"'"'applied'"'"'" full.sql &&
	strata -d "$DB" dump --with-history --json >d.json 2>err &&
	json_check d.json "d[\"with_history\"] is True and \"INSERT INTO public.strata_migrations\" in d[\"sql\"]"
'

test_expect_success 'load into an empty database: status up to date, same dump, same history' '
	pg_createdb copy &&
	COPY=$(pg_url copy) &&
	strata -d "$COPY" load full.sql >out 2>err &&
	test_grep "now at 10" out &&
	strata -d "$COPY" status --exit-code >out 2>err &&
	strata -d "$COPY" dump --with-history >again.sql 2>err &&
	test_cmp full.sql again.sql &&
	strata -d "$DB" history --json >h1.json 2>err &&
	strata -d "$COPY" history --json >h2.json 2>err &&
	test_cmp h1.json h2.json
'

test_expect_success 'the loaded database carries on with up like the original' '
	echo "CREATE TABLE later (id int);" >migrations/11_later.sql &&
	strata -d "$COPY" up >out 2>err &&
	test_hist copy "1 2 10 11" &&
	rm migrations/11_later.sql
'

test_expect_success 'load refuses a database that is not empty, and changes nothing' '
	pg_createdb busy &&
	pg_sql busy "CREATE TABLE keep (id int)" >/dev/null &&
	test_expect_code 1 strata -d "$(pg_url busy)" load full.sql --json >d.json 2>err &&
	json_check d.json "d[\"ok\"] is False and d[\"error\"][\"kind\"] == \"refused\"" &&
	test_grep "not empty" err &&
	test_grep "public.keep" err &&
	test_no_table busy public.users
'

test_expect_success 'a syntax error: file:line:column, nothing sent' '
	pg_createdb bad1 &&
	cp full.sql broken.sql &&
	printf "\nCREATE TABEL oops (id int);\n" >>broken.sql &&
	line=$(wc -l <broken.sql) &&
	test_expect_code 1 strata -d "$(pg_url bad1)" load broken.sql >out 2>err &&
	test_grep "broken.sql:$line:8" err &&
	test_no_table bad1 public.users
'

test_expect_success 'a server error: located in the file, all rolled back' '
	pg_createdb bad2 &&
	cp full.sql broken.sql &&
	printf "\nCREATE TABLE public.x (id int REFERENCES public.nosuch (id));\n" >>broken.sql &&
	line=$(wc -l <broken.sql) &&
	test_expect_code 1 strata -d "$(pg_url bad2)" load broken.sql --json >d.json 2>err &&
	json_check d.json "d[\"error\"][\"kind\"] == \"sql\" and d[\"error\"][\"line\"] == $line" &&
	test_grep "broken.sql:$line:" err &&
	test_grep "rolled back" err &&
	test_no_table bad2 public.users &&
	test_no_history bad2
'

test_expect_success 'CREATE INDEX CONCURRENTLY cannot be loaded in one transaction: refused before anything runs' '
	pg_createdb bad3 &&
	printf "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n" >conc.sql &&
	test_expect_code 1 strata -d "$(pg_url bad3)" load conc.sql >out 2>err &&
	test_grep "conc.sql:2:1" err &&
	test_no_table bad3 public.t
'

test_expect_success 'schema_file is the default FILE; a file without history gets a hint; --json' '
	pg_createdb plain &&
	printf "[strata]\nschema_file = schema.sql\n" >strata.ini &&
	strata -d "$(pg_url plain)" load --json >d.json 2>err &&
	json_check d.json "d[\"command\"] == \"load\" and d[\"ok\"] is True and d[\"file\"] == \"schema.sql\"" &&
	json_check d.json "d[\"history\"] is False and d[\"statements\"] > 3" &&
	test_grep "stamp" err &&
	test_table plain public.users &&
	rm strata.ini
'

test_expect_success 'usage errors exit 2; a missing file exits 1' '
	test_expect_code 2 strata -d "$DB" load >out 2>err &&
	test_grep "schema_file" err &&
	test_expect_code 2 strata -d "$DB" load a.sql b.sql >out 2>err &&
	test_expect_code 2 strata -d "$DB" load --nope >out 2>err &&
	test_expect_code 1 strata -d "$DB" load nosuch.sql >out 2>err &&
	test_grep "nosuch.sql" err
'

test_done

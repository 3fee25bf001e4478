#!/bin/bash
test_description='dump: --json, -o failures, usage errors, help'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	pg_sql app "CREATE TABLE public.t (id int PRIMARY KEY, v text);
		CREATE INDEX t_v ON public.t (v);
		COMMENT ON TABLE public.t IS '"'"'a table'"'"'" >/dev/null
'

test_expect_success 'dump --json: one document with each object and the SQL' '
	strata -d "$DB" dump --json >d.json 2>err &&
	json_valid d.json &&
	json_check d.json "d[\"command\"] == \"dump\" and d[\"ok\"] is True" &&
	json_check d.json "d[\"file\"] is None" &&
	json_check d.json "{\"kind\": \"table\", \"schema\": \"public\", \"name\": \"t\", \"table\": None} in d[\"objects\"]" &&
	json_check d.json "{\"kind\": \"index\", \"schema\": \"public\", \"name\": \"t_v\", \"table\": \"t\"} in d[\"objects\"]" &&
	json_check d.json "{\"kind\": \"constraint\", \"schema\": \"public\", \"name\": \"t_pkey\", \"table\": \"t\"} in d[\"objects\"]" &&
	strata -d "$DB" dump >plain.sql 2>err &&
	json_get d.json "d[\"sql\"]" >json.sql &&
	printf "\n" >>plain.sql &&
	test_cmp plain.sql json.sql
'

test_expect_success 'dump --json -o: the file, no SQL in the document' '
	strata -d "$DB" dump --json -o s.sql >d.json 2>err &&
	json_check d.json "d[\"file\"] == \"s.sql\" and d[\"sql\"] is None" &&
	test_grep "^CREATE TABLE public.t " s.sql
'

test_expect_success 'dump -o into a folder that does not exist: exit 1, the file named, nothing left' '
	test_expect_code 1 strata -d "$DB" dump -o nosuch/s.sql >out 2>err &&
	test_grep "nosuch/s.sql" err &&
	test_path_is_missing nosuch
'

test_expect_success 'a failed dump -o leaves the old file as it was' '
	echo "old" >keep.sql &&
	test_expect_code 1 strata -d "$(pg_url nosuchdb)" dump -o keep.sql >out 2>err &&
	test_equal old "$(cat keep.sql)" &&
	test_path_is_missing keep.sql.partial
'

test_expect_success 'dump -o over a file replaces it whole' '
	echo "old" >keep.sql &&
	strata -d "$DB" dump -o keep.sql >out 2>err &&
	strata -d "$DB" dump >fresh.sql 2>err &&
	test_cmp fresh.sql keep.sql
'

test_expect_success 'schema_file in strata.ini: dump writes there; -o - still prints' '
	mkdir -p db &&
	printf "[strata]\nschema_file = db/schema.sql\n" >strata.ini &&
	strata -d "$DB" dump >out 2>err &&
	test_grep "db/schema.sql" out &&
	test_grep "^CREATE TABLE public.t " db/schema.sql &&
	strata -d "$DB" dump -o - >printed.sql 2>err &&
	test_cmp db/schema.sql printed.sql &&
	rm strata.ini
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 strata -d "$DB" dump extra >out 2>err &&
	test_grep "extra" err &&
	test_expect_code 2 strata -d "$DB" dump -o >out 2>err &&
	test_expect_code 2 strata -d "$DB" dump --no-such >out 2>err &&
	test_grep -e "--no-such" err
'

test_expect_success 'an unreachable database: exit 1, a JSON error document' '
	test_expect_code 1 strata -d "$(pg_url nosuchdb)" dump --json >d.json 2>err &&
	json_check d.json "d[\"ok\"] is False and d[\"error\"][\"message\"]"
'

test_expect_success 'help dump and dump --help describe it' '
	strata help dump >out 2>&1 &&
	test_grep -e "-o, --output FILE" out &&
	test_grep -e "--privileges" out &&
	strata dump --help >out2 2>&1 &&
	test_grep "usage: strata dump" out2 &&
	strata help >list 2>&1 &&
	test_grep -w dump list
'

test_expect_success 'the man page and the README describe dump' '
	grep -q "^\\.BR dump" "$TEST_ROOT/docs/strata.1" &&
	grep -q "^\\.BR dump.*privileges" "$TEST_ROOT/docs/strata.1" &&
	grep -q "^\*\*Owners and grants (\`--privileges\`)" "$TEST_ROOT/README.md" &&
	grep -q "^## Schema dump" "$TEST_ROOT/README.md"
'

test_done

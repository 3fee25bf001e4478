#!/bin/bash
test_description='schema-per-tenant: --schema NAME (search_path, history and lock per schema), schemas / schemas_query with --all-schemas over 20 schemas'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# tables_in DB SCHEMA: the tables of SCHEMA, sorted, space-separated
tables_in() {
	pg_sql "$1" "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = '$2'"
}

test_expect_success 'setup: a tenant migration folder; the second migration resets search_path by hand' '
	pg_createdb app &&
	DB=$(pg_uri app) &&
	mkdir migrations &&
	echo "CREATE TABLE accounts (id int PRIMARY KEY);" >migrations/1_accounts.up.sql &&
	echo "DROP TABLE accounts;" >migrations/1_accounts.down.sql &&
	printf "SET search_path = public;\nSELECT 1;\n" >migrations/2_marker.up.sql &&
	echo "SELECT 1;" >migrations/2_marker.down.sql &&
	echo "CREATE TABLE notes (id int);" >migrations/3_notes.up.sql &&
	echo "DROP TABLE notes;" >migrations/3_notes.down.sql
'

test_expect_success '--schema NAME: the schema is created, the tables and the history are in it' '
	strata -d "$DB" --schema acme up >out 2>err &&
	test_equal "accounts notes strata_migrations" "$(tables_in app acme)" "tables in acme" &&
	test_hist app "1 2 3" acme.strata_migrations &&
	test_no_history app
'

test_expect_success 'a SET search_path inside a migration does not outlive it (RESET ALL restores the tenant)' '
	test_table app acme.notes &&
	test_no_table app public.notes
'

test_expect_success '--dry-run shows search_path among the session startup options' '
	strata -d "$DB" --schema acme down --dry-run >out 2>err &&
	test_grep "^-- session startup options: .*-c search_path=acme" out
'

test_expect_success 'status, current and down work in the schema; public is untouched' '
	strata -d "$DB" --schema acme --json status >s.json 2>err &&
	json_check s.json "d[\"table\"] == \"acme.strata_migrations\" and d[\"current\"] == \"3\"" &&
	test "$(strata -d "$DB" --schema acme current 2>err)" = 3 &&
	strata -d "$DB" --schema acme down >out 2>err &&
	test_hist app "1 2" acme.strata_migrations &&
	test_no_table app acme.notes &&
	test_expect_code 3 strata -d "$DB" --schema acme status --exit-code >out 2>err
'

test_expect_success '--table NAME without a schema goes in the tenant schema; SCHEMA.NAME where it says' '
	strata -d "$DB" --schema beta --table history up >out 2>err &&
	test_hist app "1 2 3" beta.history &&
	strata -d "$DB" --schema gamma --table audit.gamma_history up >out 2>err &&
	test_hist app "1 2 3" audit.gamma_history &&
	test_table app gamma.accounts &&
	test_no_table app audit.accounts
'

test_expect_success 'each schema has its own lock: a runner on one does not wait for another' '
	mkdir slow &&
	cp migrations/*.up.sql slow/ &&
	echo "SELECT pg_sleep(30);" >slow/4_nap.sql &&
	strata_bg nap.out nap.err -d "$DB" --schema acme -s slow up &&
	pg_wait_query app "%pg_sleep(30)%" &&
	strata -d "$DB" --schema delta --lock-wait 2s -s slow up 3 >out 2>err &&
	test_hist app "1 2 3" delta.strata_migrations &&
	test_expect_code 1 strata -d "$DB" --schema acme --lock-wait 1s -s slow up >out 2>err &&
	test_grep "another strata holds the migration lock on acme.strata_migrations" err &&
	kill -INT $STRATA_PID &&
	{ wait $STRATA_PID; test $? = 130; } &&
	test_hist app "1 2 3" acme.strata_migrations
'

test_expect_success 'an invalid schema name is a usage error' '
	test_expect_code 2 strata -d "$DB" --schema "a.b" up >out 2>err &&
	test_grep "invalid schema name" err
'

test_expect_success 'setup: 20 tenants listed in strata.ini' '
	pg_createdb saas &&
	SAAS=$(pg_uri saas) &&
	list= &&
	for i in $(seq -w 1 20); do list="$list${list:+, }t$i"; done &&
	printf "[strata]\nschemas = %s\n" "$list" >strata.ini
'

test_expect_success 'with schemas listed, a command without --schema or --all-schemas is refused' '
	test_expect_code 2 strata -d "$SAAS" up >out 2>err &&
	test_grep "lists schemas: give --schema NAME for one, or --all-schemas for all" err &&
	test_no_history saas
'

test_expect_success '--all-schemas -j 4 up: every tenant has its tables and its own history' '
	strata -d "$SAAS" --all-schemas -j 4 up >out 2>err &&
	for i in $(seq -w 1 20); do
		test_equal "accounts notes strata_migrations" "$(tables_in saas t$i)" "tables in t$i" &&
		test_hist saas "1 2 3" t$i.strata_migrations || return 1
	done &&
	test_no_history saas &&
	test_grep "^20 schemas: 20 ok" out &&
	test_grep -E "^t07 +base -> 3 .* ok$" out
'

test_expect_success 'the histories are separate: down in one tenant leaves the others' '
	strata -d "$SAAS" --schema t05 down >out 2>err &&
	test_hist saas "1 2" t05.strata_migrations &&
	test_hist saas "1 2 3" t06.strata_migrations
'

test_expect_success 'status over the tenants: t05 has one pending, --json has 20 entries' '
	strata -d "$SAAS" --all-schemas --json status >st.json 2>err &&
	json_check st.json "d[\"fleet\"] == \"schemas\" and len(d[\"targets\"]) == 20" &&
	json_check st.json "[t[\"schema\"] for t in d[\"targets\"]] == [\"t%02d\" % i for i in range(1, 21)]" &&
	json_check st.json "[t[\"document\"][\"pending\"] for t in d[\"targets\"]] == [0] * 4 + [1] + [0] * 15" &&
	json_check st.json "all(t[\"document\"][\"table\"] == t[\"schema\"] + \".strata_migrations\" for t in d[\"targets\"])"
'

test_expect_success 'schemas_query picks the tenants from the database; quoted names kept exact' '
	pg_sql saas "CREATE SCHEMA \"Tenant X\"" &&
	cat >strata.ini <<-\EOF &&
	[strata]
	schemas_query = SELECT nspname FROM pg_namespace WHERE nspname ~ '"'"'^(t0[1-3]|Tenant)'"'"' ORDER BY 1
	EOF
	strata -d "$SAAS" --all-schemas --json up >q.json 2>err &&
	json_check q.json "[t[\"schema\"] for t in d[\"targets\"]] == [\"Tenant X\", \"t01\", \"t02\", \"t03\"]" &&
	json_check q.json "[t[\"to\"] for t in d[\"targets\"]] == [\"3\"] * 4" &&
	test_hist saas "1 2 3" "\"Tenant X\".strata_migrations" &&
	test_table saas "\"Tenant X\".accounts"
'

test_expect_success 'a failing schemas_query is reported, nothing runs' '
	printf "[strata]\nschemas_query = SELECT nosuch FROM nowhere\n" >bad.ini &&
	test_expect_code 1 strata -c bad.ini -d "$SAAS" --all-schemas up >out 2>err &&
	test_grep "schemas_query failed" err
'

test_expect_success '--all-schemas without a list, or with --schema, is a usage error' '
	rm strata.ini &&
	test_expect_code 2 strata -d "$SAAS" --all-schemas up >out 2>err &&
	test_grep "no schemas = ... or schemas_query = ..." err &&
	printf "[strata]\nschemas = a\n" >strata.ini &&
	test_expect_code 2 strata -d "$SAAS" --all-schemas --schema a up >out 2>err &&
	test_expect_code 2 strata -d "$SAAS" --all-schemas --table x.y up >out 2>err &&
	test_grep "one history table in each schema" err
'

test -x "$PGBOUNCER" && test_set_prereq_pgbouncer=1
test_expect_success 'through PgBouncer (--pooler): search_path set in each migration'"'"'s transaction' '
	if [ -z "${test_set_prereq_pgbouncer:-}" ]; then echo "no pgbouncer: skipped"; return 0; fi
	pgbouncer_start &&
	strata -d "$(pgbouncer_url saas)" --pooler --schema pooled up >out 2>err &&
	test_hist saas "1 2 3" pooled.strata_migrations &&
	test_table saas pooled.accounts &&
	test_table saas pooled.notes &&
	strata -d "$(pgbouncer_url saas)" --pooler --schema pooled up --dry-run >out 2>err &&
	strata -d "$(pgbouncer_url saas)" --pooler --schema pooled down --dry-run >out 2>err &&
	test_grep "set_config(.search_path., .pooled., true)" out
'

test_done

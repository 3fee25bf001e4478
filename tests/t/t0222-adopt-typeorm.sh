#!/bin/bash
test_description='adopt --from typeorm: the migrations table, a reverted migration, a never-applied file between applied ones'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# typeorm_table DB [TABLE]: the table as TypeORM's MigrationExecutor creates
# it on PostgreSQL (migrationsTableName, default "migrations").
typeorm_table() {
	local t=${2:-migrations}
	pg_sql "$1" "CREATE TABLE \"$t\" (\"id\" SERIAL NOT NULL, \"timestamp\" bigint NOT NULL,
		\"name\" character varying NOT NULL,
		CONSTRAINT \"PK_8c82d7f526340ab734260ea46be\" PRIMARY KEY (\"id\"))"
}

# typeorm_run DB FILE CLASS [TABLE]: run FILE and record it as
# insertExecutedMigration does: the timestamp is the class name's last 13
# digits.
typeorm_run() {
	local t=${4:-migrations}
	pg_psql -d "$1" -f "$2" >/dev/null &&
	pg_sql "$1" "INSERT INTO \"$t\"(\"timestamp\", \"name\") VALUES (${3: -13}, '$3')"
}

# typeorm_revert DB FILE CLASS: run FILE (the down) and delete the row as
# deleteExecutedMigration does.
typeorm_revert() {
	pg_psql -d "$1" -f "$2" >/dev/null &&
	pg_sql "$1" "DELETE FROM \"migrations\" WHERE \"timestamp\" = ${3: -13} AND \"name\" = '$3'"
}

typeorm_digest() {
	pg_sql "$1" "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM \"${2:-migrations}\" t"
}

test_expect_success 'setup: TypeORM migrations converted to SQL, some applied, one reverted' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE users (id serial PRIMARY KEY, email text);" >migrations/1733759000000_create_user_tables.up.sql &&
	echo "DROP TABLE users;" >migrations/1733759000000_create_user_tables.down.sql &&
	echo "CREATE TABLE nodes (id serial PRIMARY KEY);" >migrations/1733760000000_create_nodes_table.up.sql &&
	echo "DROP TABLE nodes;" >migrations/1733760000000_create_nodes_table.down.sql &&
	echo "CREATE TABLE node_requests (id serial PRIMARY KEY);" >migrations/1733760000500_create_node_requests.up.sql &&
	echo "DROP TABLE node_requests;" >migrations/1733760000500_create_node_requests.down.sql &&
	echo "CREATE TABLE node_stats_cache (id serial PRIMARY KEY);" >migrations/1733760001000_create_node_stats_cache_table.up.sql &&
	echo "DROP TABLE node_stats_cache;" >migrations/1733760001000_create_node_stats_cache_table.down.sql &&
	echo "CREATE TABLE earnings_history (id serial PRIMARY KEY);" >migrations/1733760002000_create_earnings_history_table.up.sql &&
	echo "DROP TABLE earnings_history;" >migrations/1733760002000_create_earnings_history_table.down.sql &&
	typeorm_table app &&
	typeorm_run app migrations/1733759000000_create_user_tables.up.sql CreateUserTables1733759000000 &&
	typeorm_run app migrations/1733760000000_create_nodes_table.up.sql CreateNodesTable1733760000000 &&
	typeorm_run app migrations/1733760001000_create_node_stats_cache_table.up.sql CreateNodeStatsCacheTable1733760001000 &&
	typeorm_run app migrations/1733760002000_create_earnings_history_table.up.sql CreateEarningsHistoryTable1733760002000 &&
	typeorm_revert app migrations/1733760002000_create_earnings_history_table.down.sql CreateEarningsHistoryTable1733760002000 &&
	typeorm_digest app >typeorm.before
'

test_expect_success 'adopt records the applied ones; the file TypeORM never ran between them is reported' '
	strata -d "$DB" adopt --from typeorm --json >a.json 2>err &&
	json_check a.json "[m[\"version\"] for m in d[\"adopted\"]] == [\"1733759000000\", \"1733760000000\", \"1733760001000\"]" &&
	json_check a.json "d[\"left_pending\"] == [\"1733760000500\"]" &&
	test_grep "1733760000500_create_node_requests was never applied by TypeORM, though later versions were: it stays pending" err &&
	test_hist app "1733759000000 1733760000000 1733760001000" &&
	typeorm_digest app >typeorm.after &&
	test_cmp typeorm.before typeorm.after
'

test_expect_success 'status: the skipped file is pending, out of order; the reverted one plainly pending' '
	strata -d "$DB" status --json >s.json 2>err &&
	json_check s.json "[(m[\"state\"], m[\"out_of_order\"]) for m in d[\"migrations\"]] == [(\"applied\", False), (\"applied\", False), (\"pending\", True), (\"applied\", False), (\"pending\", False)]"
'

test_expect_success 'up refuses the out-of-order one; --out-of-order applies both pending files' '
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "1733760000500" err &&
	strata -d "$DB" up --out-of-order --json >u.json 2>err &&
	json_check u.json "sorted(m[\"version\"] for m in d[\"applied\"]) == [\"1733760000500\", \"1733760002000\"]" &&
	test_table app node_requests && test_table app earnings_history
'

test_expect_success 'down reverts an adopted migration with its converted down file' '
	strata -d "$DB" down 1733760000000 >out 2>err &&
	test_no_table app node_stats_cache &&
	test_table app nodes
'

test_expect_success 'a renamed table (migrationsTableName) is read with --from-table' '
	pg_createdb custom &&
	typeorm_table custom typeorm_migrations &&
	typeorm_run custom migrations/1733759000000_create_user_tables.up.sql CreateUserTables1733759000000 typeorm_migrations &&
	test_expect_code 1 strata -d "$(pg_url custom)" adopt --from typeorm >out 2>err &&
	test_grep "no table migrations" err &&
	strata -d "$(pg_url custom)" adopt --from typeorm --from-table typeorm_migrations >out 2>err &&
	test_hist custom "1733759000000"
'

test_expect_success 'a TypeORM migration with no converted file: exit 1, nothing written' '
	pg_createdb gone &&
	typeorm_table gone &&
	typeorm_run gone migrations/1733759000000_create_user_tables.up.sql CreateUserTables1733759000000 &&
	pg_sql gone "INSERT INTO migrations(\"timestamp\", name) VALUES (1733761000000, \$\$SeedAdmin1733761000000\$\$)" &&
	test_expect_code 1 strata -d "$(pg_url gone)" adopt --from typeorm >out 2>err &&
	test_grep "version 1733761000000 (SeedAdmin1733761000000) was applied by TypeORM, but no file" err &&
	test_no_history gone
'

test_done

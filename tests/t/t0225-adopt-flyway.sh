#!/bin/bash
test_description='adopt --from flyway: baseline, repeatable rows, 3.0 as 3, undo; failed rows and 1.1 refused; another schema'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# flyway_table DB [SCHEMA]: createMetaDataTable.sql of Flyway's PostgreSQL
# support, ${schema}.${table} = SCHEMA.flyway_schema_history
flyway_table() {
	local s=${2:-public}
	pg_sql "$1" "CREATE SCHEMA IF NOT EXISTS \"$s\";
	CREATE TABLE \"$s\".\"flyway_schema_history\" (
		\"installed_rank\" INT NOT NULL,
		\"version\" VARCHAR(50),
		\"description\" VARCHAR(200) NOT NULL,
		\"type\" VARCHAR(20) NOT NULL,
		\"script\" VARCHAR(1000) NOT NULL,
		\"checksum\" INTEGER,
		\"installed_by\" VARCHAR(100) NOT NULL,
		\"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),
		\"execution_time\" INTEGER NOT NULL,
		\"success\" BOOLEAN NOT NULL
	);
	ALTER TABLE \"$s\".\"flyway_schema_history\" ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\");
	CREATE INDEX \"flyway_schema_history_s_idx\" ON \"$s\".\"flyway_schema_history\" (\"success\")"
}

# flyway_row DB RANK VERSION|NULL DESCRIPTION TYPE SCRIPT SUCCESS [SCHEMA]:
# the row Flyway inserts after a migration (or a baseline)
flyway_row() {
	local v=NULL
	[ "$3" != NULL ] && v="'$3'"
	pg_sql "$1" "INSERT INTO \"${8:-public}\".\"flyway_schema_history\" (installed_rank, version,
		description, type, script, checksum, installed_by, execution_time, success)
		VALUES ($2, $v, '$4', '$5', '$6', CASE WHEN '$5' = 'BASELINE' THEN NULL ELSE 123456 END,
		'postgres', 12, $7)"
}

digest() {
	pg_sql "$1" "SELECT md5(string_agg(t::text, '|' ORDER BY installed_rank)) FROM ${2:-public}.flyway_schema_history t"
}

test_expect_success 'setup: a Flyway project renamed as the README says, baselined at 1' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir flyway &&
	echo "CREATE TABLE legacy (id int);" >flyway/V1__legacy_schema.sql &&
	echo "CREATE TABLE users (id int PRIMARY KEY);" >flyway/V2__create_users.sql &&
	echo "CREATE TABLE orders (id int, user_id int REFERENCES users);" >flyway/V3_0__add_orders.sql &&
	echo "DROP TABLE orders;" >flyway/U3_0__add_orders.sql &&
	echo "CREATE TABLE payments (id int);" >flyway/V4__add_payments.sql &&
	echo "DROP TABLE payments;" >flyway/U4__add_payments.sql &&
	echo "CREATE OR REPLACE VIEW user_ids AS SELECT id FROM users;" >flyway/R__views.sql &&
	cp -r flyway migrations &&
	(
		cd migrations &&
		for f in V*__*.sql; do
			v=${f#V}; v=${v%%__*}; n=${f#*__}; n=${n%.sql}
			v=$(echo "${v//_/.}" | sed -E "s/(\.0+)+\$//")
			mv "$f" "${v}_$n.up.sql" || exit 1
			if [ -f "U${f#V}" ]; then mv "U${f#V}" "${v}_$n.down.sql" || exit 1; fi
		done &&
		mkdir -p ../repeatable && mv R__*.sql ../repeatable/
	) &&
	ls migrations >files &&
	printf "%s\n" 1_legacy_schema.up.sql 2_create_users.up.sql 3_add_orders.down.sql \
		3_add_orders.up.sql 4_add_payments.down.sql 4_add_payments.up.sql >expect &&
	test_cmp expect files &&
	strata validate --offline >out 2>err &&
	pg_psql -d app -f flyway/V1__legacy_schema.sql -f flyway/V2__create_users.sql \
		-f flyway/V3_0__add_orders.sql -f flyway/R__views.sql >/dev/null &&
	flyway_table app &&
	flyway_row app 1 1 "<< Flyway Baseline >>" BASELINE "<< Flyway Baseline >>" true &&
	flyway_row app 2 2 "create users" SQL V2__create_users.sql true &&
	flyway_row app 3 3.0 "add orders" SQL V3_0__add_orders.sql true &&
	flyway_row app 4 NULL "views" SQL R__views.sql true &&
	digest app >flyway.before
'

test_expect_success 'adopt: the baseline covers 1, 2 and 3.0 (as 3) were applied, the repeatable is ignored' '
	strata -d "$DB" adopt --from flyway --json >a.json 2>err &&
	json_check a.json "[m[\"version\"] for m in d[\"adopted\"]] == [\"1\", \"2\", \"3\"]" &&
	json_check a.json "d[\"adopted\"][0][\"applied_at\"] is None and d[\"adopted\"][1][\"applied_at\"] is not None" &&
	strata -d "$DB" up --json >u.json 2>err &&
	json_check u.json "[m[\"version\"] for m in d[\"applied\"]] == [\"4\"]" &&
	strata -d "$DB" down -2 >out 2>err &&
	test_no_table app orders && test_no_table app payments && test_table app users &&
	digest app >flyway.after &&
	test_cmp flyway.before flyway.after
'

test_expect_success 'an undone version (UNDO_SQL after it) is not adopted' '
	pg_createdb undo &&
	flyway_table undo &&
	flyway_row undo 1 1 "legacy schema" SQL V1__legacy_schema.sql true &&
	flyway_row undo 2 2 "create users" SQL V2__create_users.sql true &&
	flyway_row undo 3 2 "create users" UNDO_SQL U2__create_users.sql true &&
	strata -d "$(pg_url undo)" adopt --from flyway >out 2>err &&
	test_hist undo "1"
'

test_expect_success 'failed rows (versioned and repeatable) and a 1.1 version: all listed, exit 1, nothing written' '
	pg_createdb bad &&
	flyway_table bad &&
	flyway_row bad 1 1 "legacy schema" SQL V1__legacy_schema.sql true &&
	flyway_row bad 2 1.1 "tweak" SQL V1_1__tweak.sql true &&
	flyway_row bad 3 2 "create users" SQL V2__create_users.sql false &&
	flyway_row bad 4 NULL "views" SQL R__views.sql false &&
	test_expect_code 1 strata -d "$(pg_url bad)" adopt --from flyway --json >b.json 2>err &&
	test_grep "3 problems; nothing was written" err &&
	test_grep "Flyway version 1.1 (V1_1__tweak.sql) is not a whole number" err &&
	test_grep "version 2 (V2__create_users.sql) failed" err &&
	test_grep "repeatable migration R__views.sql failed" err &&
	test_grep "flyway repair" err &&
	test_grep "strata stamp" err &&
	json_check b.json "sorted(p[\"kind\"] for p in d[\"problems\"]) == [\"bad_version\", \"failed\", \"failed\"]" &&
	test_no_history bad
'

test_expect_success 'a history table in another schema: found with --from-table' '
	pg_createdb other &&
	flyway_table other app &&
	flyway_row other 1 1 "legacy schema" SQL V1__legacy_schema.sql true app &&
	test_expect_code 1 strata -d "$(pg_url other)" adopt --from flyway >out 2>err &&
	test_grep "no table flyway_schema_history" err &&
	test_grep "flyway.defaultSchema" err &&
	strata -d "$(pg_url other)" adopt --from flyway --from-table app.flyway_schema_history >out 2>err &&
	test_grep "from app.flyway_schema_history" out &&
	test_hist other "1"
'

test_done

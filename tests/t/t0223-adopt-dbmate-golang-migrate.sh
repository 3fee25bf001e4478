#!/bin/bash
test_description='adopt --from dbmate and --from golang-migrate: two schema_migrations told apart; dirty and missing versions refused'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# dbmate_table DB: as dbmate's postgres driver creates it
dbmate_table() {
	pg_sql "$1" "create table if not exists public.schema_migrations (version varchar(255) primary key)"
}

# dbmate_up DB FILE VERSION: run the up section of FILE, record VERSION
dbmate_up() {
	sed -n '/^-- migrate:up/,/^-- migrate:down/p' "$2" | pg_psql -d "$1" >/dev/null &&
	pg_sql "$1" "insert into public.schema_migrations (version) values ('$3')"
}

# gm_table DB: as golang-migrate's postgres driver creates it
gm_table() {
	pg_sql "$1" "CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" (version bigint not null primary key, dirty boolean not null)"
}

# gm_set DB VERSION DIRTY: golang-migrate's SetVersion: TRUNCATE, then one row
gm_set() {
	pg_sql "$1" "BEGIN; TRUNCATE \"public\".\"schema_migrations\";
		INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES ($2, $3); COMMIT"
}

digest() {
	pg_sql "$1" "SELECT md5(string_agg(t::text, '|' ORDER BY version)) FROM public.schema_migrations t"
}

test_expect_success 'setup: a dbmate project (sections, as strata reads them), two of three applied' '
	pg_createdb dbm &&
	DBM=$(pg_url dbm) &&
	mkdir dbmate &&
	printf "%s\n" "-- migrate:up" "create table users (id serial primary key);" "" \
		"-- migrate:down" "drop table users;" >dbmate/20240301120000_create_users.sql &&
	printf "%s\n" "-- migrate:up" "alter table users add column name text;" "" \
		"-- migrate:down" "alter table users drop column name;" >dbmate/20240302120000_add_name.sql &&
	printf "%s\n" "-- migrate:up" "-- strata:allow require-concurrent-index-creation users is a test table" "create index users_name on users (name);" "" \
		"-- migrate:down" "drop index users_name;" >dbmate/20240303120000_index_name.sql &&
	dbmate_table dbm &&
	dbmate_up dbm dbmate/20240301120000_create_users.sql 20240301120000 &&
	dbmate_up dbm dbmate/20240302120000_add_name.sql 20240302120000 &&
	digest dbm >dbmate.before
'

test_expect_success 'adopt --from dbmate, then up applies the third only' '
	strata -d "$DBM" -s dbmate adopt --from dbmate >out 2>err &&
	test_grep "adopted 2 migrations from dbmate; now at 20240302120000" out &&
	strata -d "$DBM" -s dbmate status --json >s.json 2>err &&
	json_check s.json "[m[\"state\"] for m in d[\"migrations\"]] == [\"applied\", \"applied\", \"pending\"]" &&
	strata -d "$DBM" -s dbmate up --json >u.json 2>err &&
	json_check u.json "[m[\"version\"] for m in d[\"applied\"]] == [\"20240303120000\"]" &&
	digest dbm >dbmate.after &&
	test_cmp dbmate.before dbmate.after
'

test_expect_success 'setup: a golang-migrate project (up/down pairs) at version 2' '
	pg_createdb gm &&
	GM=$(pg_url gm) &&
	mkdir gm &&
	echo "CREATE TABLE accounts (id bigserial PRIMARY KEY);" >gm/000001_create_accounts.up.sql &&
	echo "DROP TABLE accounts;" >gm/000001_create_accounts.down.sql &&
	echo "ALTER TABLE accounts ADD COLUMN owner text;" >gm/000002_add_owner.up.sql &&
	echo "ALTER TABLE accounts DROP COLUMN owner;" >gm/000002_add_owner.down.sql &&
	echo "CREATE TABLE ledger (id bigserial PRIMARY KEY);" >gm/000003_create_ledger.up.sql &&
	echo "DROP TABLE ledger;" >gm/000003_create_ledger.down.sql &&
	gm_table gm &&
	pg_psql -d gm -f gm/000001_create_accounts.up.sql >/dev/null && gm_set gm 1 false &&
	pg_psql -d gm -f gm/000002_add_owner.up.sql >/dev/null && gm_set gm 2 false &&
	digest gm >gm.before
'

test_expect_success 'dbmate refuses golang-migrate'"'"'s table (it has dirty), and the reverse' '
	test_expect_code 1 strata -d "$GM" -s gm adopt --from dbmate >out 2>err &&
	test_grep "has a '"'"'dirty'"'"' column: it is golang-migrate'"'"'s history table" err &&
	test_grep -e "--from golang-migrate" err &&
	test_expect_code 1 strata -d "$DBM" -s dbmate adopt --from golang-migrate >out 2>err &&
	test_grep "is not golang-migrate'"'"'s history table: it has no column '"'"'dirty'"'"'" err &&
	test_grep -e "--from dbmate" err &&
	test_no_history gm
'

test_expect_success 'adopt --from golang-migrate: every file up to its version' '
	strata -d "$GM" -s gm adopt --from golang-migrate --json >a.json 2>err &&
	json_check a.json "[m[\"version\"] for m in d[\"adopted\"]] == [\"1\", \"2\"]" &&
	json_check a.json "d[\"current\"] == \"2\" and d[\"left_pending\"] == []" &&
	strata -d "$GM" -s gm up >out 2>err &&
	test_hist gm "1 2 3" &&
	test_table gm ledger &&
	strata -d "$GM" -s gm down -2 >out 2>err &&
	test_hist gm "1" &&
	digest gm >gm.after &&
	test_cmp gm.before gm.after
'

test_expect_success 'a dirty version is refused: exit 1, the hint names migrate force, nothing written' '
	pg_createdb dirty &&
	gm_table dirty &&
	pg_psql -d dirty -f gm/000001_create_accounts.up.sql >/dev/null &&
	gm_set dirty 2 true &&
	test_expect_code 1 strata -d "$(pg_url dirty)" -s gm adopt --from golang-migrate --json >d.json 2>err &&
	test_grep "version 2 is dirty: golang-migrate failed part-way through it" err &&
	test_grep "migrate force" err &&
	json_check d.json "[p[\"kind\"] for p in d[\"problems\"]] == [\"dirty\"]" &&
	test_no_history dirty
'

test_expect_success 'a version with no file is refused (golang-migrate ran a file that is gone)' '
	pg_createdb ahead &&
	gm_table ahead &&
	gm_set ahead 7 false &&
	test_expect_code 1 strata -d "$(pg_url ahead)" -s gm adopt --from golang-migrate >out 2>err &&
	test_grep "golang-migrate stands at version 7, but no file in '"'"'gm'"'"' has that version" err &&
	test_no_history ahead
'

test_expect_success 'a dbmate version that is not a number is refused' '
	pg_createdb odd &&
	dbmate_table odd &&
	pg_sql odd "insert into public.schema_migrations (version) values (\$\$20240301120000\$\$), (\$\$v2\$\$)" &&
	test_expect_code 1 strata -d "$(pg_url odd)" -s dbmate adopt --from dbmate >out 2>err &&
	test_grep "dbmate records version '"'"'v2'"'"', which is not a number" err &&
	test_no_history odd
'

test_done

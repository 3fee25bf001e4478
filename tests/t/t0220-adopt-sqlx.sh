#!/bin/bash
test_description='adopt --from sqlx: _sqlx_migrations as sqlx keeps it; dry-run, twice, --force, failed rows, missing files, checksums'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# sqlx_table DB: _sqlx_migrations exactly as sqlx-postgres creates it
# (ensure_migrations_table).
sqlx_table() {
	pg_sql "$1" "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
		version BIGINT PRIMARY KEY,
		description TEXT NOT NULL,
		installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
		success BOOLEAN NOT NULL,
		checksum BYTEA NOT NULL,
		execution_time BIGINT NOT NULL
	)"
}

# sqlx_run DB FILE VERSION DESCRIPTION [SUCCESS]: run FILE and record it as
# sqlx does: its INSERT (version, description, success, checksum = SHA-384
# of the file, execution_time), then execution_time updated in nanoseconds.
sqlx_run() {
	local sum
	sum=$(sha384sum "$2" | cut -d" " -f1) &&
	pg_psql -d "$1" -f "$2" >/dev/null &&
	pg_sql "$1" "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
		VALUES ($3, '$4', ${5:-TRUE}, decode('$sum', 'hex'), -1);
		UPDATE _sqlx_migrations SET execution_time = 1234567 WHERE version = $3"
}

# sqlx_digest DB: the whole of _sqlx_migrations, to show it is untouched
sqlx_digest() {
	pg_sql "$1" "SELECT md5(string_agg(t::text, '|' ORDER BY version)) FROM _sqlx_migrations t"
}

test_expect_success 'setup: a database migrated by sqlx (three of four files)' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE EXTENSION IF NOT EXISTS plpgsql;" >migrations/20250123000001_enable_extensions.sql &&
	printf "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n" >migrations/20250123000002_create_users_table.up.sql &&
	echo "DROP TABLE users;" >migrations/20250123000002_create_users_table.down.sql &&
	printf "CREATE TABLE events (id bigint, user_id bigint REFERENCES users);\n" >migrations/20250123000003_create_events_table.sql &&
	printf "ALTER TABLE events ADD COLUMN at timestamptz;\n" >migrations/20250123000004_add_event_time.sql &&
	sqlx_table app &&
	sqlx_run app migrations/20250123000001_enable_extensions.sql 20250123000001 "enable extensions" &&
	sqlx_run app migrations/20250123000002_create_users_table.up.sql 20250123000002 "create users table" &&
	sqlx_run app migrations/20250123000003_create_events_table.sql 20250123000003 "create events table" &&
	pg_sql app "UPDATE _sqlx_migrations SET installed_on =
		\$\$2025-01-23 10:00:00+00\$\$::timestamptz + (version % 10) * interval \$\$1 second\$\$" &&
	sqlx_digest app >sqlx.before
'

test_expect_success 'adopt --dry-run prints the SQL and writes nothing' '
	pg_log_mark &&
	strata -d "$DB" adopt --from sqlx --dry-run >out 2>err &&
	test_grep "^BEGIN;" out &&
	test_grep "pg_advisory_xact_lock" out &&
	test_grep "INSERT INTO public.strata_migrations .*20250123000003" out &&
	test_grep ! "20250123000004" out &&
	test_grep "^COMMIT;" out &&
	test_no_history app &&
	pg_log_since >log &&
	test_grep ! -i -E "statement: (INSERT|CREATE|UPDATE|DELETE|BEGIN)" log
'

test_expect_success 'adopt records what sqlx applied, stamped, with the times sqlx kept' '
	strata -d "$DB" adopt --from sqlx >out 2>err &&
	test_grep "adopted 3 migrations from sqlx; now at 20250123000003" out &&
	test_hist app "20250123000001 20250123000002 20250123000003" &&
	test "$(pg_sql app "SELECT bool_and(stamped) FROM strata_migrations")" = t &&
	test "$(pg_sql app "SELECT to_char(applied_at AT TIME ZONE \$\$UTC\$\$, \$\$HH24:MI:SS\$\$)
		FROM strata_migrations WHERE version = \$\$20250123000002\$\$")" = 10:00:02
'

test_expect_success 'the checksums are the files: status shows three applied, one pending' '
	strata -d "$DB" status --json >s.json 2>err &&
	json_check s.json "[m[\"state\"] for m in d[\"migrations\"]] == [\"applied\", \"applied\", \"applied\", \"pending\"]" &&
	json_check s.json "not any(m[\"out_of_order\"] for m in d[\"migrations\"])" &&
	strata -d "$DB" validate >out 2>err
'

test_expect_success 'up then applies only the newer file' '
	strata -d "$DB" up --json >u.json 2>err &&
	json_check u.json "[m[\"version\"] for m in d[\"applied\"]] == [\"20250123000004\"]" &&
	test "$(pg_sql app "SELECT count(*) FROM information_schema.columns
		WHERE table_name = \$\$events\$\$ AND column_name = \$\$at\$\$")" = 1 &&
	strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'the sqlx table is left untouched' '
	sqlx_digest app >sqlx.after &&
	test_cmp sqlx.before sqlx.after
'

test_expect_success 'adopting twice is refused, and nothing is written' '
	pg_sql app "SELECT md5(string_agg(t::text, \$\$|\$\$ ORDER BY version)) FROM strata_migrations t" >hist.before &&
	test_expect_code 1 strata -d "$DB" adopt --from sqlx --json >a.json 2>err &&
	test_grep "already has 4 rows" err &&
	test_grep -e "--force" err &&
	json_check a.json "d[\"ok\"] is False and d[\"error\"][\"kind\"] == \"mismatch\"" &&
	json_check a.json "[p[\"kind\"] for p in d[\"problems\"]] == [\"history_not_empty\"]" &&
	pg_sql app "SELECT md5(string_agg(t::text, \$\$|\$\$ ORDER BY version)) FROM strata_migrations t" >hist.after &&
	test_cmp hist.before hist.after
'

test_expect_success '--force adds only what strata lacks and keeps its own rows' '
	pg_createdb forced &&
	FDB=$(pg_url forced) &&
	strata -d "$FDB" up 20250123000001 >out 2>err &&
	sqlx_table forced &&
	sqlx_run forced migrations/20250123000002_create_users_table.up.sql 20250123000002 "create users table" &&
	pg_sql forced "INSERT INTO _sqlx_migrations SELECT 20250123000001, \$\$enable extensions\$\$, now(), true, \$\$\\x00\$\$, 1" &&
	test_expect_code 1 strata -d "$FDB" adopt --from sqlx >out 2>err &&
	test_hist forced "20250123000001" &&
	strata -d "$FDB" adopt --from sqlx --force --json >f.json 2>err &&
	json_check f.json "[m[\"version\"] for m in d[\"adopted\"]] == [\"20250123000002\"]" &&
	json_check f.json "d[\"kept\"] == [\"20250123000001\"] and d[\"current\"] == \"20250123000002\"" &&
	test_hist forced "20250123000001 20250123000002" &&
	test "$(pg_sql forced "SELECT stamped FROM strata_migrations WHERE version = \$\$20250123000001\$\$")" = f &&
	strata -d "$FDB" adopt --from sqlx --force --json >f2.json 2>err &&
	json_check f2.json "d[\"adopted\"] == []"
'

test_expect_success 'a failed row and an applied version with no file: both reported, exit 1, nothing written' '
	pg_createdb broken &&
	BDB=$(pg_url broken) &&
	sqlx_table broken &&
	sqlx_run broken migrations/20250123000001_enable_extensions.sql 20250123000001 "enable extensions" &&
	sqlx_run broken migrations/20250123000002_create_users_table.up.sql 20250123000002 "create users table" false &&
	pg_sql broken "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
		VALUES (20240101000000, \$\$old thing\$\$, true, \$\$\\x00\$\$, 1)" &&
	test_expect_code 1 strata -d "$BDB" adopt --from sqlx --json >b.json 2>err &&
	test_grep "2 problems; nothing was written" err &&
	test_grep "version 20250123000002 (create users table) failed" err &&
	test_grep "version 20240101000000 (old thing) was applied by sqlx, but no file in '"'"'migrations'"'"' has that version" err &&
	json_check b.json "sorted(p[\"kind\"] for p in d[\"problems\"]) == [\"failed\", \"missing\"]" &&
	test_no_history broken
'

test_expect_success 'a file edited after sqlx ran it is adopted with a warning' '
	pg_createdb edited &&
	EDB=$(pg_url edited) &&
	sqlx_table edited &&
	sqlx_run edited migrations/20250123000001_enable_extensions.sql 20250123000001 "enable extensions" &&
	cp migrations/20250123000001_enable_extensions.sql ext.orig &&
	echo "-- edited" >>migrations/20250123000001_enable_extensions.sql &&
	strata -d "$EDB" adopt --from sqlx --json >e.json 2>err &&
	cp ext.orig migrations/20250123000001_enable_extensions.sql &&
	test_grep "is not the script sqlx applied" err &&
	json_check e.json "[w[\"kind\"] for w in d[\"warnings\"]] == [\"checksum\"]" &&
	test_hist edited "20250123000001"
'

test_expect_success 'no _sqlx_migrations: exit 1, names the table and --from-table' '
	pg_createdb empty &&
	test_expect_code 1 strata -d "$(pg_url empty)" adopt --from sqlx >out 2>err &&
	test_grep "no table _sqlx_migrations" err &&
	test_grep -e "--from-table" err &&
	test_no_history empty
'

test_done

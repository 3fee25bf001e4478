#!/bin/bash
test_description='backup and restore pick the pg_dump/pg_restore of the server major version, and say so when none fits'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# fake_tool DIR NAME VERSION: DIR/NAME says it is VERSION and otherwise
# runs the real program (so what it writes is real)
fake_tool() {
	mkdir -p "$1" &&
	cat >"$1/$2" <<-EOF &&
	#!/bin/sh
	if [ "\$1" = --version ]; then echo "$2 (PostgreSQL) $3"; exit 0; fi
	echo "\$0" >>"$TRASH_DIRECTORY/fake-ran"
	exec "$PG_BINDIR/$2" "\$@"
	EOF
	chmod +x "$1/$2"
}

# user_tables DB: how many tables DB's public schema has
user_tables() {
	pg_sql "$1" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	pg_sql app "CREATE TABLE t (id int)" &&
	MAJOR=$(( $(pg_sql app "SHOW server_version_num") / 10000 )) &&
	fake_tool old pg_dump "$((MAJOR - 1)).9" &&
	fake_tool old pg_restore "$((MAJOR - 1)).9" &&
	fake_tool new pg_dump "$((MAJOR + 1)).2" &&
	fake_tool same pg_dump "$MAJOR.99"
'

test_expect_success 'by default: the pg_dump of the server major version (not a wrapper)' '
	strata -d "$DB" --json backup -o a.dump >out.json 2>err &&
	json_check out.json "d[\"pg_dump_version\"].split(\".\")[0] == \"$MAJOR\"" &&
	json_check out.json "d[\"pg_dump\"].endswith(\"/pg_dump\")"
'

test_expect_success 'a newer and an older pg_dump first on PATH: the same major version still wins' '
	PATH="$TRASH_DIRECTORY/new:$TRASH_DIRECTORY/old:$PATH" strata -d "$DB" --json backup -o b.dump >out.json 2>err &&
	json_check out.json "d[\"pg_dump_version\"].split(\".\")[0] == \"$MAJOR\"" &&
	test_path_is_missing fake-ran
'

test_expect_success 'STRATA_PG_BINDIR is the only place looked at' '
	STRATA_PG_BINDIR=$TRASH_DIRECTORY/same strata -d "$DB" --json backup -o c.dump >out.json 2>err &&
	json_check out.json "d[\"pg_dump\"] == \"$TRASH_DIRECTORY/same/pg_dump\" and d[\"pg_dump_version\"] == \"$MAJOR.99\"" &&
	test_grep "same/pg_dump" fake-ran &&
	test "$(head -c 5 c.dump)" = PGDMP &&
	rm fake-ran
'

test_expect_success 'only a newer pg_dump: it is used (it can read an older server)' '
	STRATA_PG_BINDIR=$TRASH_DIRECTORY/new strata -d "$DB" -v backup -o d.dump >out 2>err &&
	test_grep "using pg_dump $((MAJOR + 1)).2" err &&
	test_grep "new/pg_dump" fake-ran &&
	test_path_is_file d.dump
'

test_expect_success 'only an older pg_dump: a clear error, what was found, no file' '
	test_expect_code 1 env STRATA_PG_BINDIR="$TRASH_DIRECTORY/old" "$STRATA" -d "$DB" backup -o e.dump >out 2>err &&
	test_grep "no pg_dump for PostgreSQL $MAJOR found" err &&
	test_grep "found: .*old/pg_dump $((MAJOR - 1)).9" err &&
	test_grep "hint: install .*postgresql-client-$MAJOR" err &&
	test_path_is_missing e.dump &&
	test_path_is_missing e.dump.partial
'

test_expect_success 'the same for pg_restore, with --json' '
	strata -d "$(pg_url copy)" create >out 2>err &&
	test_expect_code 1 env STRATA_PG_BINDIR="$TRASH_DIRECTORY/old" "$STRATA" -d "$(pg_url copy)" --json restore a.dump >out.json 2>err &&
	json_check out.json "d[\"error\"][\"kind\"] == \"tool\" and \"no pg_restore for PostgreSQL $MAJOR\" in d[\"error\"][\"message\"]" &&
	test_equal 0 "$(user_tables copy)"
'

test_expect_success 'nothing at all in STRATA_PG_BINDIR' '
	mkdir empty &&
	test_expect_code 1 env STRATA_PG_BINDIR="$TRASH_DIRECTORY/empty" "$STRATA" -d "$DB" backup >out 2>err &&
	test_grep "none in STRATA_PG_BINDIR" err &&
	test_equal "" "$(ls *.partial 2>/dev/null)"
'

test_done

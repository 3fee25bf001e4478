#!/bin/bash
test_description='backup and restore: a round trip equals the original, --clean, refusals, up/down --backup, failures leave nothing'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

on_tty() {
	script -qec "$1" /dev/null
}

# schema_of DB: pg_dump -s of DB, without the random \restrict keys of
# recent minor releases
schema_of() {
	"$PG_BINDIR/pg_dump" -s -h "$PGHOST" -p "$PGPORT" -U postgres "$1" |
		grep -v '^\\\(un\)\?restrict '
}

# rows_of DB: the row count of each table strata's migrations make
rows_of() {
	pg_sql "$1" "SELECT 'users ' || (SELECT count(*) FROM users) || ' orders ' ||
		(SELECT count(*) FROM orders) || ' history ' ||
		(SELECT string_agg(version, ',' ORDER BY version) FROM strata_migrations)"
}

# same_as_app DB: DB has app's schema and rows
same_as_app() {
	schema_of app >app.schema &&
	schema_of "$1" >"$1.schema" &&
	test_cmp app.schema "$1.schema" &&
	test_equal "$(rows_of app)" "$(rows_of "$1")" "rows of $1"
}

# user_tables DB: the tables of DB's public schema, one line
user_tables() {
	pg_sql "$1" "SELECT coalesce(string_agg(tablename, ' ' ORDER BY tablename), '')
		FROM pg_tables WHERE schemaname = 'public'"
}

test_expect_success 'setup: a database built by migrations, with data' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	cat >migrations/1_schema.up.sql <<-\EOF &&
	CREATE TYPE mood AS ENUM ($$happy$$, $$sad$$);
	CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, mood mood);
	CREATE INDEX users_name ON users (name);
	CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $$SELECT upper(t)$$;
	CREATE VIEW loud_users AS SELECT id, shout(name) AS name FROM users;
	EOF
	echo "DROP VIEW loud_users; DROP FUNCTION shout(text); DROP TABLE users; DROP TYPE mood;" \
		>migrations/1_schema.down.sql &&
	cat >migrations/2_orders.up.sql <<-\EOF &&
	CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		user_id int NOT NULL REFERENCES users, total numeric(10,2));
	INSERT INTO users (name, mood) SELECT $$user $$ || g, CASE WHEN g % 2 = 0 THEN $$happy$$::mood END
		FROM generate_series(1, 500) g;
	INSERT INTO orders (user_id, total) SELECT 1 + g % 500, g / 7.0 FROM generate_series(1, 2000) g;
	EOF
	echo "DROP TABLE orders; DELETE FROM users;" >migrations/2_orders.down.sql &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2"
'

test_expect_success 'backup writes <db>-<UTC time>.dump (mode 0600) and prints its path' '
	strata -d "$DB" backup >out 2>err &&
	ls *.dump >files &&
	test_line_count = 1 files &&
	FILE=$(cat files) &&
	grep -E "^app-[0-9]{8}T[0-9]{6}Z\.dump$" files &&
	test_grep -F "backup written to $FILE" out &&
	test "$(stat -c %a "$FILE")" = 600 &&
	test "$(head -c 5 "$FILE")" = PGDMP &&
	! ls *.partial 2>/dev/null
'

test_expect_success 'restore into a new database: the same schema, rows and history' '
	strata -d "$(pg_url copy)" create >out 2>err &&
	strata -d "$(pg_url copy)" restore "$FILE" >out 2>err &&
	test_grep "restored $FILE into .copy. .*its history is at 2" out &&
	same_as_app copy &&
	strata -d "$(pg_url copy)" status --exit-code >out 2>err
'

test_expect_success 'restore refuses a database that is not empty, without --clean' '
	test_expect_code 1 strata -d "$(pg_url copy)" restore "$FILE" >out 2>err &&
	test_grep "is not empty" err &&
	test_grep -e "--clean" err &&
	pg_createdb other &&
	pg_sql other "CREATE TABLE mine (id int)" &&
	test_expect_code 1 strata -d "$(pg_url other)" --json restore "$FILE" >out.json 2>err &&
	json_check out.json "d[\"error\"][\"kind\"] == \"refused\" and \"1 relation\" in d[\"error\"][\"message\"]" &&
	test_equal mine "$(user_tables other)"
'

test_expect_success 'restore --clean over a changed database brings it back' '
	pg_sql copy "DELETE FROM orders WHERE id > 10; DROP VIEW loud_users; UPDATE users SET name = NULL WHERE false" &&
	! same_as_app copy 2>/dev/null &&
	strata -d "$(pg_url copy)" --json restore --clean "$FILE" >out.json 2>err &&
	json_check out.json "d[\"command\"] == \"restore\" and d[\"clean\"] and d[\"current\"] == \"2\"" &&
	same_as_app copy
'

test_expect_success 'a truncated backup: restore fails and leaves the database as it was' '
	size=$(stat -c %s "$FILE") &&
	head -c $((size * 2 / 3)) "$FILE" >half.dump &&
	pg_createdb empty1 &&
	test_expect_code 1 strata -d "$(pg_url empty1)" restore half.dump >out 2>err &&
	test_grep "pg_restore failed" err &&
	test_grep "as it was" err &&
	test_equal "" "$(user_tables empty1)"
'

test_expect_success 'restore of a file that is not an archive: exit 1 naming it, before connecting' '
	echo "SELECT 1;" >plain.sql &&
	test_expect_code 1 strata -d "host=127.0.0.1 port=1 dbname=x" restore plain.sql >out 2>err &&
	test_grep "plain.sql. is not a pg_dump archive" err &&
	test_grep "psql" err &&
	test_expect_code 1 strata -d "$DB" restore no-such.dump >out 2>err &&
	test_grep "no-such.dump" err &&
	test_expect_code 2 strata -d "$DB" restore >out 2>err
'

test_expect_success 'backup -o FILE, and --json' '
	strata -d "$DB" --json backup -o named.dump >out.json 2>err &&
	test_path_is_file named.dump &&
	json_check out.json "d[\"file\"] == \"named.dump\" and d[\"bytes\"] > 1000 and d[\"database\"] == \"app\"" &&
	major=$(( $(pg_sql app "SHOW server_version_num") / 10000 )) &&
	json_check out.json "d[\"pg_dump_version\"].split(\".\")[0] == \"$major\"" &&
	test "$(json_get out.json "d[\"bytes\"]")" = "$(stat -c %s named.dump)"
'

test_expect_success 'backup -o replaces an existing file only once complete' '
	echo old >named.dump &&
	strata -d "$DB" backup -o named.dump >out 2>err &&
	test "$(head -c 5 named.dump)" = PGDMP
'

test_expect_success 'backups = DIR in the config: written there (the folder is created)' '
	printf "[strata]\nbackups = bk/nested\n" >bk.ini &&
	strata -c bk.ini -d "$DB" backup >out 2>err &&
	ls bk/nested >files &&
	test_line_count = 1 files &&
	grep -E "^app-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.dump$" files &&
	test_grep "bk/nested/app-" out
'

test_expect_success 'two backups in one second get two names' '
	strata -c bk.ini -d "$DB" backup >out1 2>err &&
	strata -c bk.ini -d "$DB" backup >out2 2>err &&
	ls bk/nested >files &&
	test_line_count = 3 files
'

test_expect_success 'a failed pg_dump leaves no backup file' '
	pg_sql app "CREATE ROLE weak LOGIN; CREATE TABLE secret (id int)" &&
	mkdir fail &&
	(cd fail && test_expect_code 1 strata -d "host=$PGHOST port=$PGPORT user=weak dbname=app" backup) >out 2>err &&
	test_grep "permission denied for table" err &&
	test_grep "pg_dump failed" err &&
	test_equal "" "$(ls -A fail)" &&
	(cd fail && test_expect_code 1 strata -d "host=$PGHOST port=$PGPORT user=weak dbname=app" --json backup -o x.dump) >out.json 2>err &&
	json_check out.json "d[\"error\"][\"kind\"] == \"tool\" and \"permission denied\" in d[\"error\"][\"detail\"]" &&
	test_equal "" "$(ls -A fail)" &&
	pg_sql app "DROP TABLE secret"
'

test_expect_success 'up --backup: a backup of the state before, written before migrating' '
	echo "CREATE TABLE more (id int);" >migrations/3_more.up.sql &&
	echo "DROP TABLE more;" >migrations/3_more.down.sql &&
	mkdir upbk &&
	printf "[strata]\nbackups = upbk\n" >up.ini &&
	strata -c up.ini -d "$DB" up --backup >out 2>err &&
	test_hist app "1 2 3" &&
	ls upbk >files &&
	test_line_count = 1 files &&
	UPFILE=upbk/$(cat files) &&
	test_grep -n "backup written to $UPFILE" out &&
	test "$(grep -n "backup written" out | cut -d: -f1)" -lt "$(grep -n "3_more" out | cut -d: -f1)" &&
	strata -d "$(pg_url before_up)" create >out 2>err &&
	strata -d "$(pg_url before_up)" restore "$UPFILE" >out 2>err &&
	test_hist before_up "1 2" &&
	test_no_table before_up more
'

test_expect_success 'up --backup with nothing to do writes no backup' '
	strata -c up.ini -d "$DB" up --backup >out 2>err &&
	ls upbk >files &&
	test_line_count = 1 files
'

test_expect_success 'down --backup --json: the backup holds what is reverted' '
	strata -c up.ini -d "$DB" --json down --backup >out.json 2>err &&
	test_hist app "1 2" &&
	DOWNFILE=$(json_get out.json "d[\"backup\"]") &&
	test_path_is_file "$DOWNFILE" &&
	json_check out.json "[m[\"version\"] for m in d[\"reverted\"]] == [\"3\"]" &&
	strata -d "$(pg_url before_down)" create >out 2>err &&
	strata -d "$(pg_url before_down)" restore "$DOWNFILE" >out 2>err &&
	test_hist before_down "1 2 3" &&
	test_table before_down more
'

test_expect_success 'up --backup when the backup fails: nothing is migrated' '
	STRATA_PG_BINDIR=$TRASH_DIRECTORY/nowhere test_expect_code 1 strata -d "$DB" up --backup >out 2>err &&
	test_grep "no pg_dump" err &&
	test_hist app "1 2" &&
	test_no_table app more
'

test_expect_success 'down base on a terminal suggests --backup' '
	on_tty "$STRATA -d \"$DB\" down base" >out 2>&1 &&
	test_hist app "" &&
	test_grep "hint: .*down base --backup" out &&
	strata -d "$DB" up >out 2>err &&
	on_tty "$STRATA -d \"$DB\" down --all --backup" >out 2>&1 &&
	test_grep "backup written to app-" out &&
	! test_grep "hint: .*--backup" out 2>/dev/null &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "1 2 3"
'

test_expect_success 'SIGTERM while pg_dump runs: exit 143 and no file left' '
	PGAPPNAME=locker pg_sql app "BEGIN; LOCK TABLE users; SELECT pg_sleep(60)" >/dev/null 2>&1 &
	locker=$! &&
	pg_wait_for app "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '"'"'locker'"'"' AND state = '"'"'active'"'"')" &&
	mkdir sig &&
	cd sig && strata_bg ../out ../err -d "$DB" backup && cd .. &&
	pid=$STRATA_PID &&
	for i in $(seq 1 100); do pgrep -P $pid -x pg_dump >/dev/null && break; sleep 0.1; done &&
	pgrep -P $pid -x pg_dump >/dev/null &&
	pg_wait_for app "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '"'"'pg_dump'"'"' AND wait_event_type = '"'"'Lock'"'"')" &&
	ls sig | grep -q "\.partial$" &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } ;
	pg_sql postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"'"'locker'"'"'" >/dev/null
	wait $locker
	test "$rc" = 143 &&
	test_equal "" "$(ls -A sig)"
'

test_expect_success 'help backup, restore --help' '
	strata help backup >out 2>err &&
	test_grep -e "-o, --output FILE" out &&
	strata restore --help >out 2>err &&
	test_grep -e "--clean" out &&
	strata help up >out 2>err &&
	test_grep -e "--backup" out
'

test_done

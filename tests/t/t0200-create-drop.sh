#!/bin/bash
test_description='create and drop: the database the URL names, --if-not-exists/--if-exists, confirmation, quoted names'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# on_tty CMD: run CMD (a shell string) on a pseudo-terminal, stdin included
on_tty() {
	script -qec "$1" /dev/null
}

# db_exists NAME: the cluster has a database named exactly NAME
db_exists() {
	test "$(pg_psql -d postgres -v name="$1" -f - <<-'EOF'
	SELECT count(*) FROM pg_database WHERE datname = :'name';
	EOF
	)" = 1
}

enc_host() { printf '%s' "${PGHOST//\//%2F}"; }

test_expect_success 'create makes the database the URL names' '
	strata -d "$(pg_url app)" create >out 2>err &&
	test_grep "created database .app." out &&
	db_exists app
'

test_expect_success 'create of an existing database exits 1 and names it' '
	test_expect_code 1 strata -d "$(pg_url app)" create >out 2>err &&
	test_grep "database .app. already exists" err &&
	test_grep -e "--if-not-exists" err
'

test_expect_success 'create --if-not-exists of an existing database exits 0' '
	strata -d "$(pg_url app)" create --if-not-exists >out 2>err &&
	test_grep "already exists" out &&
	strata -d "$(pg_url app)" --json create --if-not-exists >out.json 2>err &&
	json_check out.json "d[\"created\"] is False and d[\"ok\"] and d[\"database\"] == \"app\""
'

test_expect_success 'create --json of a new database' '
	strata -d "$(pg_url app2)" --json create >out.json 2>err &&
	json_check out.json "d[\"command\"] == \"create\" and d[\"created\"] is True" &&
	db_exists app2
'

test_expect_success 'drop without a terminal refuses without --force, and drops nothing' '
	test_expect_code 1 strata -d "$(pg_url app2)" drop >out 2>err </dev/null &&
	test_grep "refusing to drop database .app2." err &&
	test_grep -e "--force" err &&
	db_exists app2 &&
	test_expect_code 1 strata -d "$(pg_url app2)" --json drop >out.json 2>err </dev/null &&
	json_check out.json "d[\"error\"][\"kind\"] == \"refused\"" &&
	db_exists app2
'

test_expect_success 'drop --force drops it' '
	strata -d "$(pg_url app2)" drop --force >out 2>err </dev/null &&
	test_grep "dropped database .app2." out &&
	! db_exists app2
'

test_expect_success 'drop of a missing database exits 1; --if-exists exits 0' '
	test_expect_code 1 strata -d "$(pg_url app2)" drop -f >out 2>err &&
	test_grep "database .app2. does not exist" err &&
	test_grep -e "--if-exists" err &&
	strata -d "$(pg_url app2)" drop --if-exists >out 2>err </dev/null &&
	test_grep "nothing to drop" out &&
	strata -d "$(pg_url app2)" --json drop --if-exists >out.json 2>err </dev/null &&
	json_check out.json "d[\"dropped\"] is False and d[\"ok\"]"
'

test_expect_success 'names with a quote, a space and unicode are quoted, not mangled' '
	url="postgresql://postgres@$(enc_host):$PGPORT/it%27s%20a%20%22db%22%20%C3%A9t%C3%A9" &&
	strata -d "$url" create >out 2>err &&
	db_exists "it'"'"'s a \"db\" été" &&
	strata -d "$url" create --if-not-exists >out 2>err &&
	test_grep "already exists" out &&
	strata -d "$url" drop --force >out 2>err &&
	! db_exists "it'"'"'s a \"db\" été"
'

test_expect_success 'a name that looks like SQL stays a name' '
	url="postgresql://postgres@$(enc_host):$PGPORT/x%22%3B%20DROP%20DATABASE%20app%3B%20--" &&
	strata -d "$url" create >out 2>err &&
	db_exists "x\"; DROP DATABASE app; --" &&
	db_exists app &&
	strata -d "$url" drop -f >out 2>err &&
	! db_exists "x\"; DROP DATABASE app; --" &&
	db_exists app
'

test_expect_success 'a keyword/value URL with a quoted dbname' '
	strata -d "host=$PGHOST port=$PGPORT user=postgres dbname='"'"'my db'"'"'" create >out 2>err &&
	db_exists "my db" &&
	strata -d "host=$PGHOST port=$PGPORT user=postgres dbname='"'"'my db'"'"'" drop -f >out 2>err &&
	! db_exists "my db"
'

test_expect_success 'a name longer than 63 bytes is refused before anything runs' '
	long=$(printf "a%.0s" $(seq 1 70)) &&
	pg_log_mark &&
	test_expect_code 1 strata -d "$(pg_url $long)" create >out 2>err &&
	test_grep "at most 63 bytes" err &&
	test_no_statements_since_mark
'

test_expect_success 'drop never drops the maintenance databases, even with --force' '
	for db in postgres template1 template0; do
		test_expect_code 1 strata -d "$(pg_url $db)" drop --force >out 2>err &&
		test_grep "refusing to drop .$db." err || return 1
	done &&
	db_exists postgres && db_exists template1
'

test_expect_success 'on a terminal, drop asks for the name: a wrong answer keeps the database' '
	strata -d "$(pg_url app3)" create >out 2>err &&
	printf "app\n" | on_tty "$STRATA -d \"$(pg_url app3)\" drop" >out 2>&1;
	test_grep "Type its name to confirm" out &&
	test_grep "not confirmed" out &&
	db_exists app3
'

test_expect_success 'on a terminal, typing the name drops it' '
	printf "app3\n" | on_tty "$STRATA -d \"$(pg_url app3)\" drop" >out 2>&1 &&
	test_grep "dropped database .app3." out &&
	! db_exists app3
'

test_expect_success 'setup: a role without CREATEDB' '
	pg_sql postgres "CREATE ROLE plain LOGIN"
'

test_expect_success 'create without the CREATEDB privilege: exit 1 with a hint naming it' '
	test_expect_code 1 strata -d "host=$PGHOST port=$PGPORT user=plain dbname=plaindb" create >out 2>err &&
	test_grep "permission denied to create database" err &&
	test_grep "hint: .*CREATEDB" err &&
	! db_exists plaindb
'

test_expect_success 'drop by a role that does not own the database: a hint says who can' '
	test_expect_code 1 strata -d "host=$PGHOST port=$PGPORT user=plain dbname=app" drop -f >out 2>err &&
	test_grep "must be owner" err &&
	test_grep "hint: only the owner" err &&
	db_exists app
'

test_expect_success 'drop of a database in use: exit 1, a hint, still there' '
	PGAPPNAME=holder pg_sql app "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	holder=$! &&
	pg_wait_for postgres "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '"'"'holder'"'"')" &&
	test_expect_code 1 strata -d "$(pg_url app)" drop -f >out 2>err;
	rc=$?
	pg_sql postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"'"'holder'"'"'" >/dev/null
	wait $holder
	test $rc = 0 &&
	test_grep "being accessed by other users" err &&
	test_grep "hint: close the sessions" err &&
	db_exists app
'

test_expect_success 'a server without a postgres database: create and drop use template1' '
	pg_psql -d template1 -c "DROP DATABASE postgres" &&
	strata -v -d "$(pg_url fresh)" create >out 2>err &&
	test_grep "template1" err &&
	test "$(pg_psql -d template1 -c "SELECT count(*) FROM pg_database WHERE datname = '"'"'fresh'"'"'")" = 1 &&
	strata -d "$(pg_url fresh)" drop -f >out 2>err &&
	test "$(pg_psql -d template1 -c "SELECT count(*) FROM pg_database WHERE datname = '"'"'fresh'"'"'")" = 0 &&
	pg_psql -d template1 -c "CREATE DATABASE postgres"
'

test_expect_success 'any command on a database that does not exist points to strata create' '
	mkdir -p migrations &&
	test_expect_code 1 strata -d "$(pg_url nosuch)" status >out 2>err &&
	test_grep "hint: create the database first (.strata create.)" err
'

test_expect_success 'create --help and drop --help' '
	strata create --help >out 2>err &&
	test_grep -e "--if-not-exists" out &&
	strata help drop >out 2>err &&
	test_grep -e "--force" out &&
	test_grep -e "--if-exists" out
'

test_done

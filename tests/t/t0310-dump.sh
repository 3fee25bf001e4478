#!/bin/bash
test_description='dump: deterministic, loads into an empty database, reaches a fixed point'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# load DB FILE: run FILE in DB as one transaction, stopping at an error
load() {
	pg_psql -d "$1" -1 -f "$2" >/dev/null
}

test_expect_success 'setup: a database with every kind of object' '
	pg_createdb sink &&
	load sink "$TEST_LIB_DIR/fixtures/schema-kitchen-sink.sql"
'

test_expect_success 'dump prints the schema, each object under a heading' '
	strata -d "$(pg_url sink)" dump >one.sql 2>err &&
	test_grep "^-- schema app$" one.sql &&
	test_grep "^CREATE SCHEMA \"Audit Log\";$" one.sql &&
	test_grep "^-- table app.users$" one.sql &&
	test_grep "^-- index app.users_lower_nick_idx on app.users$" one.sql &&
	test_grep "^-- view app.a_nicks$" one.sql &&
	test_grep "^-- materialized view app.post_counts$" one.sql &&
	test_grep "^-- trigger app.users_touch on app.users$" one.sql &&
	test_grep "^CREATE TYPE app.mood AS ENUM" one.sql &&
	test_grep "^CREATE DOMAIN app.positive AS integer DEFAULT 1 NOT NULL" one.sql &&
	test_grep "GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME app.users_id_seq START WITH 10 INCREMENT BY 2" one.sql &&
	test_grep "PARTITION OF app.events FOR VALUES FROM" one.sql &&
	test_grep "INHERITS (app.base_log)" one.sql &&
	test_grep "NOT VALID;$" one.sql &&
	test_grep "DEFERRABLE INITIALLY DEFERRED;$" one.sql &&
	test_grep "ALTER TABLE app.posts DISABLE TRIGGER posts_touch_off;" one.sql &&
	test_grep "ALTER SEQUENCE app.scratch_n OWNED BY app.scratch.n;" one.sql &&
	test_grep "^COMMENT ON COLUMN app.users.email IS" one.sql &&
	test_grep "^COMMENT ON CONSTRAINT positive_check ON DOMAIN app.positive IS" one.sql
'

test_expect_success 'the order loads: what an object uses comes before it' '
	line() { grep -n -m1 -e "$1" one.sql | cut -d: -f1; } &&
	test "$(line "^-- function app.next_ticket()")" -lt "$(line "^-- table app.users$")" &&
	test "$(line "^-- table app.users$")" -lt "$(line "^-- function app.active_users()")" &&
	test "$(line "^-- table app.events$")" -lt "$(line "^-- table app.events_2026_h1$")" &&
	test "$(line "^-- view app.user_names$")" -lt "$(line "^-- view app.a_nicks$")" &&
	test "$(line "^-- view app.a_nicks$")" -lt "$(line "^-- function app.nick_rows()")" &&
	test "$(line "^-- constraint app.users_pkey")" -lt "$(line "^-- constraint app.posts_editor_fk")"
'

test_expect_success 'two dumps of the same schema are the same bytes' '
	strata -d "$(pg_url sink)" dump >two.sql 2>err &&
	test_cmp one.sql two.sql
'

test_expect_success 'the session'"'"'s search_path changes nothing (--schema)' '
	strata -d "$(pg_url sink)" --schema app dump >in-app.sql 2>err &&
	test_cmp one.sql in-app.sql
'

test_expect_success 'dump -o writes the same text to a file, and says so' '
	strata -d "$(pg_url sink)" dump -o file.sql >out 2>err &&
	test_cmp one.sql file.sql &&
	test_grep "file.sql" out &&
	test_path_is_missing file.sql.partial
'

test_expect_success 'nothing of the time or the server version is in it' '
	! grep -E "20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9]|PostgreSQL [0-9]|Dumped" one.sql
'

test_expect_success 'objects of an extension or of a range type are left out, CREATE EXTENSION is not' '
	test_grep "^CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;$" one.sql &&
	test_grep "^CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA app;$" one.sql &&
	! grep -i "FUNCTION public.gen_random_bytes" one.sql &&
	! grep -i "FUNCTION public.crypt" one.sql &&
	! grep -i "FUNCTION app.citext" one.sql &&
	! grep "EXTENSION IF NOT EXISTS plpgsql" one.sql &&
	! grep "FUNCTION app.float_range(" one.sql &&
	! grep "FUNCTION app.float_multirange(" one.sql
'

test_expect_success 'the dump loads into an empty database and dumps back the same' '
	pg_createdb copy &&
	load copy one.sql &&
	strata -d "$(pg_url copy)" dump >copy.sql 2>err &&
	test_cmp one.sql copy.sql
'

# schema_of DB [PG_DUMP_ARGS...]: pg_dump -s of DB, without what differs
# between any two dumps: comments, blank lines and the random \restrict
# key of newer pg_dumps
schema_of() {
	local db=$1
	shift
	"$PG_BINDIR/pg_dump" -s -h "$PGHOST" -p "$PGPORT" -U postgres "$@" "$db" |
		grep -v -e "^--" -e "^\\\\restrict" -e "^\\\\unrestrict" -e "^$"
}

test_expect_success 'pg_dump -s sees the same schema in the original and the copy' '
	schema_of sink >sink.pgdump &&
	schema_of copy >copy.pgdump &&
	test_cmp sink.pgdump copy.pgdump
'

test_expect_success 'strata'"'"'s own tables are not in the dump' '
	mkdir -p migrations &&
	echo "CREATE TABLE public.widgets (id int PRIMARY KEY);" >migrations/1_widgets.sql &&
	echo "SELECT 1;" >migrations/R__noop.sql &&
	strata -d "$(pg_url sink)" up >out 2>err &&
	pg_table_exists sink public.strata_migrations &&
	pg_table_exists sink public.strata_migrations_scripts &&
	strata -d "$(pg_url sink)" dump >after-up.sql 2>err &&
	test_grep "^-- table public.widgets$" after-up.sql &&
	! grep strata_migrations after-up.sql
'

# The server deparses "varchar_col IN ('a', 'b')" as a comparison with an
# array cast to text[]; loaded back, that text parses into a different (and
# equivalent) tree, which deparses differently: pg_dump has the same
# difference. From the first reload on, the dump is a fixed point.
test_expect_success 'the example project: dump, load, dump again is the same from the first reload on' '
	pg_createdb minegnk &&
	cp -r "$TEST_ROOT/examples/minegnk" example &&
	(cd example && strata -d "$(pg_url minegnk)" up) >out 2>err &&
	strata -d "$(pg_url minegnk)" dump >gen1.sql 2>err &&
	test_grep "^-- table public.users$" gen1.sql &&
	! grep strata_migrations gen1.sql &&
	pg_createdb minegnk2 &&
	load minegnk2 gen1.sql &&
	strata -d "$(pg_url minegnk2)" dump >gen2.sql 2>err &&
	pg_createdb minegnk3 &&
	load minegnk3 gen2.sql &&
	strata -d "$(pg_url minegnk3)" dump >gen3.sql 2>err &&
	test_cmp gen2.sql gen3.sql &&
	{ diff gen1.sql gen2.sql || :; } | grep "^[<>]" >changed &&
	test_line_count = 4 changed &&
	! grep -v "^[<>] ALTER TABLE public\.[a-z_]* ADD CONSTRAINT chk_[a-z_]* CHECK (((.*)::text = ANY (" changed &&
	schema_of minegnk2 >m2.pgdump &&
	schema_of minegnk3 >m3.pgdump &&
	test_cmp m2.pgdump m3.pgdump
'

test_expect_success 'an empty database dumps to the header alone, and loads' '
	pg_createdb empty &&
	strata -d "$(pg_url empty)" dump >empty.sql 2>err &&
	! grep "^CREATE" empty.sql &&
	test_grep "^SET check_function_bodies = false;$" empty.sql &&
	load empty empty.sql
'
test_done

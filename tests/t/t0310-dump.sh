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

test_expect_success 'row-level security, policies, rules, statistics, collations, foreign data, event triggers' '
	test_grep "^CREATE COLLATION app.ci (provider = icu, locale = '"'"'und-u-ks-level2'"'"', deterministic = false);$" one.sql &&
	test_grep "^CREATE COLLATION app.posix_c (provider = libc, lc_collate = '"'"'C'"'"', lc_ctype = '"'"'C'"'"');$" one.sql &&
	test_grep "^ALTER TABLE app.posts ENABLE ROW LEVEL SECURITY;$" one.sql &&
	test_grep "^ALTER TABLE app.posts FORCE ROW LEVEL SECURITY;$" one.sql &&
	test_grep "^ALTER TABLE app.names ENABLE ROW LEVEL SECURITY;$" one.sql &&
	! grep "ALTER TABLE app.names FORCE" one.sql &&
	test_grep "^-- policy app.posts_insert on app.posts$" one.sql &&
	test_grep "^    AS RESTRICTIVE$" one.sql &&
	test_grep "^    TO pg_monitor, pg_signal_backend$" one.sql &&
	test_grep "^CREATE POLICY \"posts update\" ON app.posts$" one.sql &&
	test_grep "^    WITH CHECK (app.known_mood(" one.sql &&
	test_grep "^-- rule app.scratch_log on app.scratch$" one.sql &&
	test_grep "^ALTER TABLE app.scratch DISABLE RULE scratch_keep;$" one.sql &&
	test_grep "^-- rule app.user_names_nick on app.user_names$" one.sql &&
	! grep "RULE \"_RETURN\"" one.sql &&
	test_grep "^CREATE STATISTICS app.users_mood_score (ndistinct, dependencies) ON mood, score FROM app.users;$" one.sql &&
	test_grep "^ALTER STATISTICS app.users_mood_score SET STATISTICS 500;$" one.sql &&
	test_grep "^CREATE FOREIGN DATA WRAPPER dummy_fdw OPTIONS (debug '"'"'true'"'"');$" one.sql &&
	test_grep "^CREATE FOREIGN DATA WRAPPER checked_fdw VALIDATOR pg_catalog.postgresql_fdw_validator;$" one.sql &&
	test_grep "^CREATE EXTENSION IF NOT EXISTS postgres_fdw WITH SCHEMA public;$" one.sql &&
	! grep "^CREATE FOREIGN DATA WRAPPER postgres_fdw" one.sql &&
	test_grep "^CREATE SERVER \"Dummy Server\" TYPE '"'"'kind'"'"' VERSION '"'"'1.0'"'"' FOREIGN DATA WRAPPER dummy_fdw;$" one.sql &&
	test_grep "^CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '"'"'db.example'"'"', dbname '"'"'other'"'"', port '"'"'5433'"'"');$" one.sql &&
	test_grep "^    id bigint OPTIONS (column_name '"'"'user_id'"'"') NOT NULL,$" one.sql &&
	test_grep "^    SERVER remote OPTIONS (schema_name '"'"'public'"'"', table_name '"'"'users'"'"');$" one.sql &&
	test_grep "^CREATE FOREIGN TABLE \"Audit Log\".zeta_remote PARTITION OF zeta.parent FOR VALUES IN (2)$" one.sql &&
	test_grep "^ALTER TABLE app.remote_users ADD CONSTRAINT remote_id_positive CHECK" one.sql &&
	test_grep "^CREATE EVENT TRIGGER log_ddl ON ddl_command_end$" one.sql &&
	test_grep "^    WHEN TAG IN ('"'"'CREATE TABLE'"'"', '"'"'ALTER TABLE'"'"')$" one.sql &&
	test_grep "^ALTER EVENT TRIGGER log_drop DISABLE;$" one.sql &&
	for c in "COLLATION app.ci" "STATISTICS app.users_mood_score" "POLICY posts_own ON app.posts" \
		"RULE scratch_log ON app.scratch" "FOREIGN DATA WRAPPER dummy_fdw" "SERVER remote" \
		"FOREIGN TABLE app.remote_users" "COLUMN app.remote_users.name" "EVENT TRIGGER log_ddl"
	do
		test_grep "^COMMENT ON $c IS " one.sql || return 1
	done
'

test_expect_success 'user mappings are left out: their options hold passwords' '
	! grep -i "USER MAPPING" one.sql &&
	! grep "kitchen-sink-secret" one.sql
'

test_expect_success 'the order follows pg_depend where the kinds'"'"' order alone is wrong' '
	line() { grep -n -m1 -e "$1" one.sql | cut -d: -f1; } &&
	test "$(line "^-- function app.is_even(n integer)$")" -lt "$(line "^-- type app.even$")" &&
	test "$(line "^-- table app.settings$")" -lt "$(line "^-- function app.default_setting()$")" &&
	test "$(line "^-- function app.default_setting()$")" -lt "$(line "^-- table app.aaa_uses_setting$")" &&
	test "$(line "^-- type app.even$")" -lt "$(line "^-- table app.aaa_uses_setting$")" &&
	test "$(line "^-- view app.mood_names$")" -lt "$(line "^-- function app.known_mood(m text)$")" &&
	test "$(line "^-- function app.known_mood(m text)$")" -lt "$(line "^-- type app.mood_name$")" &&
	test "$(line "^-- type app.mood_name$")" -lt "$(line "^-- table app.moods_seen$")" &&
	test "$(line "^-- table zeta.parent$")" -lt "$(line "^-- table app.zeta_one$")" &&
	test "$(line "^-- server Dummy Server$")" -lt "$(line "^-- foreign table Audit Log.zeta_remote$")" &&
	test "$(line "^-- table zeta.parent$")" -lt "$(line "^-- foreign table Audit Log.zeta_remote$")" &&
	test "$(line "^-- collation app.ci$")" -lt "$(line "^-- table app.names$")" &&
	test "$(line "^-- comments$")" -lt "$(line "^-- event trigger log_ddl$")" &&
	test "$(tail -n 1 one.sql)" = "ALTER EVENT TRIGGER log_drop DISABLE;"
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
# key of newer pg_dumps; and without user mappings, which strata leaves
# out on purpose (their options hold passwords)
schema_of() {
	local db=$1
	shift
	"$PG_BINDIR/pg_dump" -s -h "$PGHOST" -p "$PGPORT" -U postgres "$@" "$db" |
		grep -v -e "^--" -e "^\\\\restrict" -e "^\\\\unrestrict" -e "^$" |
		sed "/^CREATE USER MAPPING/,/);\$/d"
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

#!/bin/bash
test_description='check: drift between the database and its applied migrations, a hand-made change of each object kind found; --against FILE'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'setup: a project with one object of each kind, applied to two databases' '
	mkdir -p m &&
	cat >m/001_base.up.sql <<-\EOF &&
	CREATE SCHEMA app;
	CREATE EXTENSION citext;
	CREATE TYPE mood AS ENUM ('"'"'sad'"'"', '"'"'ok'"'"');
	CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
	CREATE SEQUENCE counter;
	CREATE TABLE users (
	    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	    name text NOT NULL,
	    email citext,
	    score integer NOT NULL DEFAULT 0,
	    feeling mood,
	    CONSTRAINT score_positive CHECK (score >= 0)
	);
	CREATE INDEX users_email_idx ON users (email);
	CREATE FUNCTION bump(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x + 1 $$;
	CREATE PROCEDURE reset_scores() LANGUAGE sql AS $$ UPDATE users SET score = 0 $$;
	CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
	CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
	CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 10;
	CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;
	CREATE TABLE app.settings (key text PRIMARY KEY, value text);
	COMMENT ON TABLE users IS '"'"'people'"'"';
	EOF
	printf "DROP SCHEMA app CASCADE;\n" >m/001_base.down.sql &&
	printf "ALTER TABLE users ADD COLUMN bio text;\n" >m/002_bio.up.sql &&
	printf "ALTER TABLE users DROP COLUMN bio;\n" >m/002_bio.down.sql &&
	pg_createdb app &&
	pg_createdb other &&
	strata -d "$(pg_url app)" -s m up >out 2>err &&
	strata -d "$(pg_url other)" -s m up >out 2>err
'

test_expect_success 'no drift: exit 0, said so' '
	strata -d "$(pg_url app)" -s m check >out 2>err &&
	test_grep "^no drift: .* matches its 2 applied migrations$" out &&
	no_scratch=$(pg_sql postgres "SELECT count(*) FROM pg_database WHERE datname LIKE '"'"'strata_shadow_%'"'"'") &&
	test "$no_scratch" = 0
'

test_expect_success 'a hand-made change of each object kind (the extension dropped with what uses it)' '
	pg_sql app "
		CREATE SCHEMA hand;
		DROP EXTENSION citext CASCADE;
		ALTER TYPE mood ADD VALUE '"'"'meh'"'"';
		ALTER DOMAIN posint DROP CONSTRAINT posint_check;
		ALTER SEQUENCE counter INCREMENT BY 5;
		CREATE OR REPLACE FUNCTION bump(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS \$\$ SELECT x + 2 \$\$;
		DROP PROCEDURE reset_scores();
		ALTER TABLE users ALTER COLUMN score SET DEFAULT 1, ALTER COLUMN name DROP NOT NULL;
		ALTER TABLE users ALTER COLUMN bio TYPE varchar(10);
		ALTER TABLE app.settings SET UNLOGGED;
		CREATE OR REPLACE VIEW good_users AS SELECT id, name FROM users WHERE score > 20;
		DROP MATERIALIZED VIEW user_count;
		CREATE INDEX users_name_idx ON users (name);
		ALTER TABLE users DROP CONSTRAINT score_positive;
		ALTER TABLE users DISABLE TRIGGER users_touch;
		COMMENT ON TABLE users IS '"'"'humans'"'"';
	" >/dev/null &&
	pg_log_mark &&
	test_expect_code 1 strata -d "$(pg_url app)" -s m check >out 2>err &&
	test_grep "^drift: .* differs from its 2 applied migrations in " out &&
	test_grep "^  schema hand: extra$" out &&
	test_grep "^  extension citext: missing$" out &&
	test_grep "^  type public.mood: changed$" out &&
	test_grep "^  type public.posint: changed$" out &&
	test_grep "^  sequence public.counter: changed$" out &&
	test_grep "^      + .*INCREMENT BY 5" out &&
	test_grep "^  function public.bump(x integer): body changed$" out &&
	test_grep "^      + AS \\\$function\\\$ SELECT x + 2 \\\$function\\\$;$" out &&
	test_grep "^  procedure public.reset_scores(): missing$" out &&
	test_grep "^  column public.users.score: default 0 → 1$" out &&
	test_grep "^  column public.users.name: NOT NULL dropped$" out &&
	test_grep "^  column public.users.bio: type text → character varying(10)$" out &&
	test_grep "^  column public.users.email: missing$" out &&
	test_grep "^  index public.users_email_idx on public.users: missing$" out &&
	test_grep "^  table app.settings: changed$" out &&
	test_grep "^      + CREATE UNLOGGED TABLE app.settings ($" out &&
	test_grep "^  view public.good_users: changed$" out &&
	test_grep "^  materialized view public.user_count: missing$" out &&
	test_grep "^  index public.users_name_idx on public.users: extra$" out &&
	test_grep "^  constraint public.score_positive on public.users: missing$" out &&
	test_grep "^  trigger public.users_touch on public.users: changed$" out &&
	test_grep "^  comment on TABLE public.users: changed$" out &&
	test_grep ! "table public.users: changed" out
'

test_expect_success 'setup: policies, row-level security, rules, event triggers, collations, statistics, foreign data' '
	mkdir -p m2 &&
	cat >m2/001_more.up.sql <<-\EOF &&
	CREATE TABLE docs (id int PRIMARY KEY, owner text, body text, n int);
	ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
	CREATE POLICY docs_own ON docs USING (owner = current_user);
	CREATE TABLE docs_log (id int);
	CREATE RULE docs_no_delete AS ON DELETE TO docs DO INSTEAD NOTHING;
	CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$;
	CREATE EVENT TRIGGER note_ddl_end ON ddl_command_end EXECUTE FUNCTION note_ddl();
	CREATE COLLATION nocase (provider = icu, locale = '"'"'und-u-ks-level2'"'"', deterministic = false);
	CREATE STATISTICS docs_stats (dependencies) ON owner, n FROM docs;
	CREATE EXTENSION postgres_fdw;
	CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname '"'"'x'"'"');
	CREATE FOREIGN TABLE remote_docs (id int, body text) SERVER elsewhere OPTIONS (table_name '"'"'docs'"'"');
	EOF
	pg_createdb more &&
	strata -d "$(pg_url more)" -s m2 up >out 2>err &&
	strata -d "$(pg_url more)" -s m2 check >out 2>err &&
	test_grep "^no drift" out
'

test_expect_success 'a hand-made change of each of those kinds is found' '
	pg_sql more "
		ALTER POLICY docs_own ON docs USING (owner = session_user);
		ALTER TABLE docs FORCE ROW LEVEL SECURITY;
		DROP RULE docs_no_delete ON docs;
		ALTER EVENT TRIGGER note_ddl_end DISABLE;
		DROP COLLATION nocase;
		DROP STATISTICS docs_stats;
		ALTER SERVER elsewhere OPTIONS (SET dbname '"'"'y'"'"');
		ALTER FOREIGN TABLE remote_docs ADD COLUMN extra int;
	" >/dev/null &&
	test_expect_code 1 strata -d "$(pg_url more)" -s m2 check >out 2>err &&
	test_grep "^  policy public.docs_own on public.docs: changed$" out &&
	test_grep "^  table public.docs: changed$" out &&
	test_grep "FORCE ROW LEVEL SECURITY" out &&
	test_grep "^  rule public.docs_no_delete on public.docs: missing$" out &&
	test_grep "^  event trigger note_ddl_end: changed$" out &&
	test_grep "^  collation public.nocase: missing$" out &&
	test_grep "^  statistics public.docs_stats: missing$" out &&
	test_grep "^  server elsewhere: changed$" out &&
	test_grep "^  foreign table public.remote_docs: changed$" out
'

test_expect_success 'check only read the target' '
	pg_log_since >log &&
	! grep "@app " log | grep -i -E "statement: .*(create|alter|drop|insert|delete|update)"
'

test_expect_success 'check --json: one document with each finding' '
	test_expect_code 1 strata -d "$(pg_url app)" -s m check --json >d.json 2>err &&
	json_valid d.json &&
	json_check d.json "d[\"command\"] == \"check\" and d[\"ok\"] is False and d[\"drifted\"] is True" &&
	json_check d.json "d[\"replayed\"] == 2 and d[\"against\"] is None" &&
	json_check d.json "{\"change\": \"extra\", \"kind\": \"index\", \"schema\": \"public\", \"name\": \"users_name_idx\", \"table\": \"users\", \"text\": \"index public.users_name_idx on public.users: extra\", \"excerpt\": None} in d[\"findings\"]" &&
	json_check d.json "any(f[\"kind\"] == \"column\" and f[\"name\"] == \"score\" and f[\"change\"] == \"changed\" for f in d[\"findings\"])"
'

test_expect_success 'check --against FILE: compared with a dump instead of the migrations' '
	strata -d "$(pg_url other)" dump -o other.sql >out 2>err &&
	strata -d "$(pg_url other)" check --against other.sql >out 2>err &&
	test_grep "^no drift: .* matches other.sql$" out &&
	test_expect_code 1 strata -d "$(pg_url app)" check --against other.sql --json >d.json 2>err &&
	json_check d.json "d[\"against\"] == \"other.sql\" and d[\"replayed\"] == 0" &&
	json_check d.json "\"procedure public.reset_scores(): missing\" in [f[\"text\"] for f in d[\"findings\"]]"
'

test_expect_success 'check --against a file that does not load: exit 1, the line named' '
	printf "CREATE TABLE a (id int);\nCREATE TABLE b (id nosuchtype);\n" >bad.sql &&
	test_expect_code 1 strata -d "$(pg_url other)" check --against bad.sql >out 2>err &&
	test_grep "bad.sql:2:20: cannot load the schema file: type \"nosuchtype\" does not exist" err &&
	test_expect_code 1 strata -d "$(pg_url other)" check --against nosuch.sql >out 2>err &&
	test_grep "nosuch.sql" err
'

test_expect_success 'an applied migration without its file: refused, --against suggested' '
	mkdir -p m1 &&
	cp m/001_base.* m1/ &&
	test_expect_code 1 strata -d "$(pg_url other)" -s m1 check >out 2>err &&
	test_grep "applied migration 2_bio has no file in m1" err &&
	test_grep -e "--against" err
'

test_expect_success 'usage errors: exit 2' '
	test_expect_code 2 strata -d "$(pg_url other)" -s m check extra >out 2>err &&
	test_grep "unexpected argument" err &&
	test_expect_code 2 strata -d "$(pg_url other)" -s m check --against >out 2>err
'

test_done

#!/bin/bash
test_description='dump --privileges: owners and grants that reload to the same ACLs'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

load() {
	pg_psql -d "$1" -1 -f "$2" >/dev/null
}

# pg_dump -s of DB with owners and privileges, without what differs between
# any two dumps (comments, blank lines, the random \restrict key)
schema_of() {
	"$PG_BINDIR/pg_dump" -s -h "$PGHOST" -p "$PGPORT" -U postgres "$1" |
		grep -v -e "^--" -e "^\\\\restrict" -e "^\\\\unrestrict" -e "^$"
}

# Roles are the cluster's, not a database's: names of this test's own.
OWNER=strata_t0313_owner
READER=strata_t0313_reader
WRITER="strata_t0313 Writer"

test_expect_success 'setup: objects owned by other roles, with grants of every kind' '
	pg_sql postgres "CREATE ROLE $OWNER; CREATE ROLE $READER; CREATE ROLE \"$WRITER\";" >/dev/null &&
	pg_createdb privs &&
	pg_sql privs "
		CREATE SCHEMA shop AUTHORIZATION $OWNER;
		GRANT USAGE ON SCHEMA shop TO $READER, \"$WRITER\";
		CREATE TABLE shop.items (id integer PRIMARY KEY, name text, price numeric);
		ALTER TABLE shop.items OWNER TO $OWNER;
		GRANT SELECT ON shop.items TO $READER;
		GRANT SELECT, INSERT, UPDATE ON shop.items TO \"$WRITER\" WITH GRANT OPTION;
		GRANT UPDATE (price) ON shop.items TO $READER;
		CREATE SEQUENCE shop.ids;
		ALTER SEQUENCE shop.ids OWNER TO $OWNER;
		GRANT USAGE ON SEQUENCE shop.ids TO $READER;
		CREATE FUNCTION shop.one() RETURNS integer LANGUAGE sql AS \$\$ SELECT 1 \$\$;
		REVOKE EXECUTE ON FUNCTION shop.one() FROM PUBLIC;
		GRANT EXECUTE ON FUNCTION shop.one() TO $READER;
		CREATE TYPE shop.color AS ENUM ('"'"'red'"'"');
		ALTER TYPE shop.color OWNER TO $OWNER;
		REVOKE USAGE ON TYPE shop.color FROM PUBLIC;
		CREATE DOMAIN shop.positive AS integer CHECK (VALUE > 0);
		GRANT USAGE ON DOMAIN shop.positive TO $READER;
		CREATE VIEW shop.names AS SELECT id, name FROM shop.items;
		ALTER VIEW shop.names OWNER TO $OWNER;
		GRANT SELECT ON shop.names TO $READER;
		CREATE FOREIGN DATA WRAPPER nothing_fdw;
		GRANT USAGE ON FOREIGN DATA WRAPPER nothing_fdw TO $OWNER;
		CREATE SERVER nowhere FOREIGN DATA WRAPPER nothing_fdw;
		ALTER SERVER nowhere OWNER TO $OWNER;
		GRANT USAGE ON FOREIGN SERVER nowhere TO $READER;
		ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER IN SCHEMA shop GRANT SELECT ON TABLES TO $READER;
		ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
		ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER GRANT USAGE ON SEQUENCES TO $READER;
		SET ROLE \"$WRITER\";
		GRANT SELECT ON shop.items TO PUBLIC;
	" >/dev/null
'

test_expect_success 'without --privileges: no owners, no grants' '
	strata -d "$(pg_url privs)" dump >plain.sql 2>err &&
	! grep -E "OWNER TO|^GRANT|^REVOKE|DEFAULT PRIVILEGES" plain.sql &&
	test_grep "no privileges" plain.sql
'

test_expect_success 'with --privileges: owners, grants, revokes, column grants, default privileges' '
	strata -d "$(pg_url privs)" dump --privileges >privs.sql 2>err &&
	test_grep "^-- strata dump: the schema with owners and grants" privs.sql &&
	test_grep "^-- privileges$" privs.sql &&
	test_grep "^ALTER SCHEMA shop OWNER TO $OWNER;$" privs.sql &&
	test_grep "^ALTER TABLE shop.items OWNER TO $OWNER;$" privs.sql &&
	test_grep "^ALTER VIEW shop.names OWNER TO $OWNER;$" privs.sql &&
	test_grep "^ALTER SERVER nowhere OWNER TO $OWNER;$" privs.sql &&
	test_grep "^GRANT SELECT ON TABLE shop.items TO $READER;$" privs.sql &&
	test_grep "^GRANT INSERT ON TABLE shop.items TO \"$WRITER\" WITH GRANT OPTION;$" privs.sql &&
	test_grep "^SET ROLE \"$WRITER\"; GRANT SELECT ON TABLE shop.items TO PUBLIC; RESET ROLE;$" privs.sql &&
	test_grep "^GRANT UPDATE (price) ON TABLE shop.items TO $READER;$" privs.sql &&
	test_grep "^REVOKE EXECUTE ON FUNCTION shop.one() FROM PUBLIC;$" privs.sql &&
	test_grep "^REVOKE USAGE ON TYPE shop.color FROM PUBLIC;$" privs.sql &&
	test_grep "^GRANT USAGE ON FOREIGN SERVER nowhere TO $READER;$" privs.sql &&
	test_grep "^ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER IN SCHEMA shop GRANT SELECT ON TABLES TO $READER;$" privs.sql &&
	test_grep "^ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;$" privs.sql &&
	test "$(grep -n -m1 "^ALTER SCHEMA shop OWNER" privs.sql | cut -d: -f1)" -lt \
	     "$(grep -n -m1 "^ALTER TABLE shop.items OWNER" privs.sql | cut -d: -f1)"
'

test_expect_success 'reloaded as a superuser: the same owners and ACLs (pg_dump -s), the same dump' '
	pg_createdb copy &&
	load copy privs.sql &&
	schema_of privs >privs.pgdump &&
	schema_of copy >copy.pgdump &&
	test_grep "OWNER TO $OWNER" privs.pgdump &&
	test_grep "GRANT" privs.pgdump &&
	test_cmp privs.pgdump copy.pgdump &&
	strata -d "$(pg_url copy)" dump --privileges >copy.sql 2>err &&
	test_cmp privs.sql copy.sql
'

test_expect_success 'the kitchen sink with --privileges reloads to the same pg_dump -s' '
	pg_createdb sink &&
	load sink "$TEST_LIB_DIR/fixtures/schema-kitchen-sink.sql" &&
	strata -d "$(pg_url sink)" dump --privileges >sink.sql 2>err &&
	test_grep "^ALTER EVENT TRIGGER log_ddl OWNER TO postgres;$" sink.sql &&
	test "$(grep -n -m1 "^CREATE EVENT TRIGGER log_ddl" sink.sql | cut -d: -f1)" -lt \
	     "$(grep -n -m1 "^ALTER EVENT TRIGGER log_ddl OWNER" sink.sql | cut -d: -f1)" &&
	pg_createdb sink2 &&
	load sink2 sink.sql &&
	schema_of sink | sed "/^CREATE USER MAPPING/,/);\$/d" >sink.pgdump &&
	schema_of sink2 >sink2.pgdump &&
	test_cmp sink.pgdump sink2.pgdump
'

test_expect_success 'dump --privileges --json says so' '
	strata -d "$(pg_url privs)" dump --privileges --json >d.json 2>err &&
	json_check d.json "d[\"privileges\"] is True" &&
	json_check d.json "{\"kind\": \"privileges\", \"schema\": \"shop\", \"name\": \"TABLE shop.items\", \"table\": None} in d[\"objects\"]" &&
	strata -d "$(pg_url privs)" dump --json >d2.json 2>err &&
	json_check d2.json "d[\"privileges\"] is False"
'

test_expect_success 'cleanup: the roles go' '
	for db in privs copy; do
		for role in $OWNER $READER "\"$WRITER\""; do
			pg_sql $db "DROP OWNED BY $role CASCADE;" >/dev/null 2>&1 || return 1
		done
	done &&
	pg_sql postgres "DROP ROLE $OWNER; DROP ROLE $READER; DROP ROLE \"$WRITER\";" >/dev/null
'
test_done

#!/bin/bash
test_description='dump: the order follows pg_depend; a loop is broken with a warning'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

load() {
	pg_psql -d "$1" -1 -f "$2" >/dev/null
}

# line FILE PATTERN: the line number of the first match
line() {
	grep -n -m1 -e "$2" "$1" | cut -d: -f1
}

test_expect_success 'setup: objects whose kinds'"'"' order is wrong for them' '
	pg_createdb deps &&
	pg_sql deps "
		CREATE SCHEMA a_first;
		CREATE TABLE a_first.z_rows (id integer PRIMARY KEY, label text);
		CREATE FUNCTION a_first.label_of(r a_first.z_rows) RETURNS text LANGUAGE sql IMMUTABLE
			BEGIN ATOMIC SELECT upper(r.label); END;
		CREATE DOMAIN a_first.label AS text CHECK (VALUE <> a_first.label_of(ROW(0, VALUE)::a_first.z_rows));
		CREATE TABLE a_first.a_tags (t a_first.label);
		CREATE INDEX a_tags_upper ON a_first.a_tags (a_first.label_of(ROW(1, t)::a_first.z_rows));
	" >/dev/null
'

test_expect_success 'each object comes after what it uses, and the dump loads' '
	strata -d "$(pg_url deps)" dump >deps.sql 2>err &&
	! grep -i "warning" err &&
	test "$(line deps.sql "^-- table a_first.z_rows$")" -lt "$(line deps.sql "^-- function a_first.label_of(")" &&
	test "$(line deps.sql "^-- function a_first.label_of(")" -lt "$(line deps.sql "^-- type a_first.label$")" &&
	test "$(line deps.sql "^-- type a_first.label$")" -lt "$(line deps.sql "^-- table a_first.a_tags$")" &&
	pg_createdb deps2 &&
	load deps2 deps.sql &&
	strata -d "$(pg_url deps2)" dump >deps2.sql 2>err &&
	test_cmp deps.sql deps2.sql
'

test_expect_success 'objects that do not depend on each other keep the kinds'"'"' order' '
	test "$(line deps.sql "^-- schema a_first$")" -lt "$(line deps.sql "^-- table a_first.z_rows$")" &&
	test "$(line deps.sql "^-- table a_first.z_rows$")" -lt "$(line deps.sql "^-- constraint a_first.z_rows_pkey")" &&
	test "$(line deps.sql "^-- table a_first.a_tags$")" -lt "$(line deps.sql "^-- index a_first.a_tags_upper")"
'

# A default that calls a function whose SQL-standard body reads the same
# table: pg_depend has table -> function -> table, and the dump (which
# keeps defaults in the table) cannot write that in any order.
test_expect_success 'a loop: the dump warns, names its objects, and is still complete' '
	pg_createdb loop &&
	pg_sql loop "
		CREATE TABLE public.counter (n integer);
		CREATE FUNCTION public.next_n() RETURNS integer LANGUAGE sql
			BEGIN ATOMIC SELECT coalesce(max(n), 0) + 1 FROM public.counter; END;
		ALTER TABLE public.counter ALTER COLUMN n SET DEFAULT public.next_n();
	" >/dev/null &&
	strata -d "$(pg_url loop)" dump >loop.sql 2>err &&
	test_grep "warning: dependency loop" err &&
	test_grep "table public.counter" err &&
	test_grep "function public.next_n()" err &&
	test_grep "^-- table public.counter$" loop.sql &&
	test_grep "^-- function public.next_n()$" loop.sql &&
	strata -d "$(pg_url loop)" dump >loop2.sql 2>err2 &&
	test_cmp loop.sql loop2.sql
'

test_expect_success 'the loop'"'"'s warning goes to stderr with --json too; the document is whole' '
	strata -d "$(pg_url loop)" dump --json >loop.json 2>err &&
	json_valid loop.json &&
	json_check loop.json "d[\"ok\"] is True" &&
	test_grep "dependency loop" err
'
test_done

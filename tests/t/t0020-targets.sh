#!/bin/bash
test_description='up/down targets, redo, aliases, current, history, stamp'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# five reversible migrations; each creates t_<letter>
mkmig() {
	echo "CREATE TABLE t_$2 (id int);" >migrations/$1_$2.up.sql &&
	echo "DROP TABLE t_$2;" >migrations/$1_$2.down.sql
}

applied_at() {
	pg_sql app "SELECT applied_at FROM public.strata_migrations WHERE version = '$1'"
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	mkmig 1001 a && mkmig 1002 b && mkmig 2001 c && mkmig 2002 d && mkmig 3001 e
'

test_expect_success 'current on an empty database prints base' '
	strata -d "$DB" current >out 2>err &&
	test_grep -x base out
'

test_expect_success 'up +1 applies one migration' '
	strata -d "$DB" up +1 >out 2>err &&
	test_hist app "1001" &&
	test_table app t_a && test_no_table app t_b
'

test_expect_success 'up VERSION applies up to and including it' '
	strata -d "$DB" up 2001 >out 2>err &&
	test_hist app "1001 1002 2001" &&
	test_no_table app t_d
'

test_expect_success 'up (no target) goes to head' '
	strata -d "$DB" up >out 2>err &&
	test_hist app "1001 1002 2001 2002 3001"
'

test_expect_success 'up at head does nothing and exits 0' '
	strata -d "$DB" up >out 2>err &&
	test_hist app "1001 1002 2001 2002 3001"
'

test_expect_success 'current prints the latest applied version' '
	strata -d "$DB" current >out 2>err &&
	test_grep -x 3001 out
'

test_expect_success 'down (no target) reverts one step' '
	strata -d "$DB" down >out 2>err &&
	test_hist app "1001 1002 2001 2002" &&
	test_no_table app t_e
'

test_expect_success 'down -2 reverts two steps' '
	strata -d "$DB" down -2 >out 2>err &&
	test_hist app "1001 1002" &&
	test_no_table app t_c && test_no_table app t_d && test_table app t_b
'

test_expect_success 'up with a unique prefix (3 -> 3001)' '
	strata -d "$DB" up 3 >out 2>err &&
	test_hist app "1001 1002 2001 2002 3001"
'

test_expect_success 'an ambiguous prefix is a usage error (exit 2), nothing changes' '
	test_expect_code 2 strata -d "$DB" down 100 >out 2>err &&
	test_grep -e 1001 -e 1002 -e ambiguous err &&
	test_hist app "1001 1002 2001 2002 3001"
'

test_expect_success 'an unknown version is a usage error (exit 2)' '
	test_expect_code 2 strata -d "$DB" down 9999 >out 2>err &&
	test_grep 9999 err &&
	test_expect_code 2 strata -d "$DB" up 9999 >out 2>err &&
	test_hist app "1001 1002 2001 2002 3001"
'

test_expect_success 'a malformed target is a usage error (exit 2)' '
	test_expect_code 2 strata -d "$DB" up banana >out 2>err &&
	test_expect_code 2 strata -d "$DB" down +x >out 2>err
'

test_expect_success 'down VERSION reverts everything after it; that one stays' '
	strata -d "$DB" down 1002 >out 2>err &&
	test_hist app "1001 1002" &&
	test_table app t_b && test_no_table app t_c
'

test_expect_success 'redo reverts and re-applies the last migration' '
	before=$(applied_at 1002) &&
	pg_sql app "INSERT INTO t_b VALUES (1)" &&
	strata -d "$DB" redo >out 2>err &&
	test_hist app "1001 1002" &&
	after=$(applied_at 1002) &&
	test "$before" != "$after" &&
	test "$(pg_sql app "SELECT count(*) FROM t_b")" = 0
'

test_expect_success 'down base reverts everything' '
	strata -d "$DB" up >out 2>err &&
	strata -d "$DB" down base >out 2>err &&
	test "$(hist_count app)" = 0 &&
	test_no_table app t_a && test_no_table app t_e
'

test_expect_success 'current after down base prints base' '
	strata -d "$DB" current >out 2>err &&
	test_grep -x base out
'

test_expect_success 'down --all is down base' '
	strata -d "$DB" up >out 2>err &&
	test_hist app "1001 1002 2001 2002 3001" &&
	strata -d "$DB" down --all >out 2>err &&
	test "$(hist_count app)" = 0
'

test_expect_success 'down at base does nothing and exits 0' '
	strata -d "$DB" down >out 2>err &&
	test "$(hist_count app)" = 0
'

test_expect_success 'aliases: upgrade, run' '
	strata -d "$DB" upgrade +1 >out 2>err &&
	test_hist app "1001" &&
	strata -d "$DB" run >out 2>err &&
	test_hist app "1001 1002 2001 2002 3001"
'

test_expect_success 'aliases: downgrade, revert' '
	strata -d "$DB" downgrade >out 2>err &&
	test_hist app "1001 1002 2001 2002" &&
	strata -d "$DB" revert -2 >out 2>err &&
	test_hist app "1001 1002"
'

test_expect_success 'aliases: info and show are status' '
	strata -d "$DB" info --json >info.json 2>err &&
	strata -d "$DB" show --json >show.json 2>err &&
	strata -d "$DB" status --json >status.json 2>err &&
	for f in info.json show.json status.json; do
		json_check $f "[(m[\"version\"], m[\"state\"]) for m in d[\"migrations\"]] == [(\"1001\", \"applied\"), (\"1002\", \"applied\"), (\"2001\", \"pending\"), (\"2002\", \"pending\"), (\"3001\", \"pending\")]" || return 1
	done
'

test_expect_success 'aliases: revision -m NAME and add NAME create migrations' '
	strata -s gen revision -m first_thing >out 2>err &&
	ls gen >files &&
	test_grep -E "^[0-9]{14}_first_thing\.up\.sql$" files &&
	strata -s gen2 add second_thing >out 2>err &&
	ls gen2 >files &&
	test_grep -E "^[0-9]{14}_second_thing\.up\.sql$" files
'

test_expect_success 'history lists the applied migrations in order with names' '
	strata -d "$DB" up >out 2>err &&
	strata -d "$DB" history >out 2>err &&
	test_grep "1001" out && test_grep "a" out &&
	grep -o -w -E "1001|1002|2001|2002|3001" out >actual &&
	printf "%s\n" 1001 1002 2001 2002 3001 >expect &&
	test_cmp expect actual
'

test_expect_success 'history -v shows the SQL' '
	strata -d "$DB" history -v >out 2>err &&
	test_grep "CREATE TABLE t_a" out &&
	test_grep "CREATE TABLE t_e" out
'

test_expect_success 'history --json' '
	strata -d "$DB" history --json >h.json 2>err &&
	json_check h.json "[m[\"version\"] for m in d[\"migrations\"]] == [\"1001\", \"1002\", \"2001\", \"2002\", \"3001\"]" &&
	json_check h.json "[m[\"name\"] for m in d[\"migrations\"]] == [\"a\", \"b\", \"c\", \"d\", \"e\"]" &&
	json_check h.json "not any(m[\"stamped\"] for m in d[\"migrations\"])"
'

test_expect_success 'stamp head records everything without running it' '
	pg_createdb stampdb &&
	SDB=$(pg_url stampdb) &&
	strata -d "$SDB" stamp head >out 2>err &&
	test_hist stampdb "1001 1002 2001 2002 3001" &&
	test_no_table stampdb t_a && test_no_table stampdb t_e &&
	test "$(pg_sql stampdb "SELECT bool_and(stamped) FROM public.strata_migrations")" = t
'

test_expect_success 'stamp base forgets everything without running downs' '
	pg_sql stampdb "CREATE TABLE t_a (id int)" &&
	strata -d "$SDB" stamp base >out 2>err &&
	test "$(hist_count stampdb)" = 0 &&
	test_table stampdb t_a
'

test_expect_success 'stamp VERSION records up to it; up then runs the rest for real' '
	strata -d "$SDB" stamp 2001 >out 2>err &&
	test_hist stampdb "1001 1002 2001" &&
	test_no_table stampdb t_b &&
	strata -d "$SDB" up >out 2>err &&
	test_hist stampdb "1001 1002 2001 2002 3001" &&
	test_table stampdb t_d && test_table stampdb t_e &&
	test_no_table stampdb t_b && test_no_table stampdb t_c &&
	test "$(pg_sql stampdb "SELECT string_agg(version || \$\$=\$\$ || stamped, \$\$ \$\$ ORDER BY version) FROM public.strata_migrations")" = "1001=true 1002=true 2001=true 2002=false 3001=false"
'

test_expect_success 'stamp VERSION below the current one moves the history back' '
	strata -d "$SDB" stamp 1002 >out 2>err &&
	test_hist stampdb "1001 1002" &&
	test_table stampdb t_e
'

test_expect_success 'stamp of an unknown version exits 2' '
	test_expect_code 2 strata -d "$SDB" stamp 9999 >out 2>err &&
	test_hist stampdb "1001 1002"
'

test_done

#!/bin/bash
test_description='test: up, down, up again for every migration in a scratch database; each class of finding; the target untouched'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

GOOD=$TEST_LIB_DIR/fixtures/rollback/good
BROKEN=$TEST_LIB_DIR/fixtures/rollback/broken

# no_scratch_left: no strata_shadow_* database is left on the server
no_scratch_left() {
	test "$(pg_sql postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'strata_shadow_%'")" = 0
}

test_expect_success 'setup: a target with a table of its own' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	pg_sql app "CREATE TABLE keep (v int); INSERT INTO keep VALUES (42)" &&
	pg_sql app "SELECT count(*) FROM pg_class WHERE relnamespace = '"'"'public'"'"'::regnamespace" >before
'

test_expect_success 'a correct project: every migration ok, a column order apart, exit 0' '
	pg_log_mark &&
	strata -d "$DB" -s "$GOOD" test >out 2>err &&
	test_grep "^ok  *20240101000000_users (" out &&
	test_grep "^ok  *20240102000000_email_index (" out &&
	test_grep "^ok  *20240103000000_posts (" out &&
	test_grep "^column order only  *20240104000000_drop_email (" out &&
	test_grep "^  after down: column order of public.users: id, name, email, score → id, name, score, email$" out &&
	test_grep "^ok  *20240105000000_nickname (" out &&
	test_grep "^5 migrations tested in .* ms per migration.*: 4 ok, 1 column order only$" out &&
	test_line_count = 7 out &&
	test ! -s err
'

test_expect_success 'the target was not touched: no statement changed it, no scratch database left' '
	pg_log_since >log &&
	! grep "@app " log | grep -i -E "statement: .*(create|alter|drop|insert|delete)" &&
	pg_sql app "SELECT count(*) FROM pg_class WHERE relnamespace = '"'"'public'"'"'::regnamespace" >after &&
	test_cmp before after &&
	test "$(pg_sql app "SELECT v FROM keep")" = 42 &&
	no_scratch_left
'

test_expect_success 'the CREATE INDEX CONCURRENTLY migration ran outside a transaction, as up runs it' '
	grep -A2 "BEGIN" log | grep -c "CREATE INDEX CONCURRENTLY" >n || : &&
	test "$(cat n)" = 0 &&
	test_grep "statement: CREATE INDEX CONCURRENTLY users_email_idx" log
'

test_expect_success '--strict: a column order (and an irreversible migration) fail' '
	test_expect_code 1 strata -d "$DB" -s "$GOOD" test --strict >out 2>err &&
	test_grep "^column order only  *20240104000000_drop_email" out
'

test_expect_success 'a broken project: each class found, the later migration not tested, exit 1' '
	test_expect_code 1 strata -d "$DB" -s "$BROKEN" test >out 2>err &&
	test_grep "^ok  *20240101000000_users" out &&
	test_grep "^down does not restore 20240102000000_drop_name_index" out &&
	test_grep "^  after down: index public.users_name_idx on public.users: missing$" out &&
	test_grep "^down does not restore 20240103000000_email_length" out &&
	test_grep "^  after down: column public.users.email: type text → character varying(100)$" out &&
	test_grep "^down fails  *20240104000000_audit" out &&
	test_grep "^  .*broken/20240104000000_audit.down.sql:2:1: .*table \"audit_log\" does not exist" out &&
	test_grep "^irreversible  *20240105000000_settings" out &&
	test_grep "^up not re-runnable  *20240106000000_tags" out &&
	test_grep "^  .*20240106000000_tags.up.sql:1:1: .*relation \"tags\" already exists" out &&
	test_grep "^  after down: table public.tags: extra$" out &&
	test_grep ! "sequence public.tags_id_seq" out &&
	test_grep "^not tested  *20240107000000_later" out &&
	test_grep "6 migrations tested .*1 ok, 1 irreversible, 2 down does not restore, 1 down fails, 1 up not re-runnable, 1 not tested$" out &&
	test_grep ! "stamp" out &&
	no_scratch_left
'

test_expect_success 'test --json: one document, a result per migration with its findings and times' '
	test_expect_code 1 strata -d "$DB" -s "$BROKEN" test --json >d.json 2>err &&
	json_valid d.json &&
	json_check d.json "d[\"command\"] == \"test\" and d[\"ok\"] is False and d[\"scratch\"] == \"database\"" &&
	json_check d.json "[m[\"result\"] for m in d[\"migrations\"]] == [\"ok\", \"not_restored\", \"not_restored\", \"down_fails\", \"irreversible\", \"not_rerunnable\", \"not_tested\"]" &&
	json_check d.json "d[\"migrations\"][1][\"findings\"][0][\"stage\"] == \"after down\"" &&
	json_check d.json "d[\"migrations\"][1][\"findings\"][0][\"finding\"][\"change\"] == \"missing\"" &&
	json_check d.json "d[\"migrations\"][1][\"findings\"][0][\"finding\"][\"kind\"] == \"index\"" &&
	json_check d.json "d[\"migrations\"][2][\"findings\"][0][\"finding\"][\"text\"] == \"column public.users.email: type text → character varying(100)\"" &&
	json_check d.json "\"audit_log\" in d[\"migrations\"][3][\"error\"]" &&
	json_check d.json "all(isinstance(m[\"duration_ms\"], int) and m[\"duration_ms\"] >= 0 for m in d[\"migrations\"])" &&
	json_check d.json "d[\"summary\"][\"not_restored\"] == 2 and d[\"summary\"][\"ok\"] == 1" &&
	json_check d.json "d[\"tested\"] == 6 and d[\"ms_per_migration\"] > 0"
'

test_expect_success '--from/--to: only that range is tested, the migrations before applied first' '
	test_expect_code 1 strata -d "$DB" -s "$BROKEN" test --from 20240103 --to 20240103000000 >out 2>err &&
	test_line_count = 3 out &&
	test_grep "^down does not restore 20240103000000_email_length" out &&
	test_grep "^1 migration tested" out
'

test_expect_success '--chain: all ups, all downs, all ups; a correct chain passes' '
	strata -d "$DB" -s "$GOOD" test --chain >out 2>err &&
	test_grep "^ok  *the chain" out &&
	test_grep "^chain of 5 migrations tested" out
'

test_expect_success '--chain: downs that do not restore are found over the whole chain' '
	test_expect_code 1 strata -d "$DB" -s "$BROKEN" test --chain --from 20240102 --to 20240103 --json >d.json 2>err &&
	json_check d.json "d[\"chain\"][\"result\"] == \"not_restored\"" &&
	json_check d.json "sorted(f[\"finding\"][\"text\"] for f in d[\"chain\"][\"findings\"]) == [\"column public.users.email: type text → character varying(100)\", \"index public.users_name_idx on public.users: missing\"]"
'

test_expect_success 'an up that fails: reported with its place, the rest not tested' '
	mkdir -p upfail &&
	printf "CREATE TABLE a (id int);\n" >upfail/001_a.up.sql &&
	printf "DROP TABLE a;\n" >upfail/001_a.down.sql &&
	printf "CREATE TABLE b (id int);\nINSERT INTO nosuch VALUES (1);\n" >upfail/002_b.up.sql &&
	printf "DROP TABLE b;\n" >upfail/002_b.down.sql &&
	printf "CREATE TABLE c (id int);\n" >upfail/003_c.up.sql &&
	test_expect_code 1 strata -d "$DB" -s upfail test >out 2>err &&
	test_grep "^ok  *001_a" out &&
	test_grep "^up fails  *002_b" out &&
	test_grep "^  upfail/002_b.up.sql:2:13: .*relation \"nosuch\" does not exist" out &&
	test_grep "^not tested  *003_c" out
'

test_expect_success '--from after a migration that fails: exit 1, the failing one named' '
	test_expect_code 1 strata -d "$DB" -s upfail test --from 003 >out 2>err &&
	test_grep "cannot apply 002_b, before the tested range: upfail/002_b.up.sql:2:13: .*nosuch" err &&
	test ! -s out
'

test_expect_success 'usage errors: exit 2, the option named' '
	test_expect_code 2 strata -d "$DB" -s "$GOOD" test --from 2099 >out 2>err &&
	test_grep "from" err &&
	test_expect_code 2 strata -d "$DB" -s "$GOOD" test --from 20240103 --to 20240101 >out 2>err &&
	test_grep "comes after" err &&
	test_expect_code 2 strata -d "$DB" -s "$GOOD" test extra >out 2>err &&
	test_grep "unexpected argument" err
'

test_expect_success 'an empty folder: exit 1, said so' '
	mkdir -p empty &&
	test_expect_code 1 strata -d "$DB" -s empty test >out 2>err &&
	test_grep "nothing to test" err
'

test_expect_success 'help test describes the classes and options' '
	strata help test >out &&
	test_grep -e "--chain" out &&
	test_grep -e "--strict" out &&
	test_grep "up not re-runnable" out
'

test_done

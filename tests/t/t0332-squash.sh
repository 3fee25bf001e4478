#!/bin/bash
test_description='squash --to: the checkpoint, proved; fresh databases start from it; old ones carry on; deleted files'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# every layout in one folder, so the checkpoint has to sit beside each
test_expect_success 'setup: four migrations in four layouts' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	printf "CREATE TABLE users (id int PRIMARY KEY, email text);\nINSERT INTO users VALUES (1, '"'"'a@b'"'"');\n" >migrations/1_users.up.sql &&
	echo "DROP TABLE users;" >migrations/1_users.down.sql &&
	printf -- "-- migrate:up\n-- strata:allow require-concurrent-index-creation users is a test table\nCREATE INDEX users_email ON users (email);\n-- migrate:down\nDROP INDEX users_email;\n" >migrations/2_email_index.sql &&
	mkdir migrations/3_view &&
	echo "CREATE VIEW emails AS SELECT email FROM users;" >migrations/3_view/up.sql &&
	echo "DROP VIEW emails;" >migrations/3_view/down.sql &&
	echo "CREATE TABLE notes (id int REFERENCES users);" >migrations/4_notes.up.sql &&
	echo "DROP TABLE notes;" >migrations/4_notes.down.sql &&
	for v in 1 2 3; do pg_createdb at$v && strata -d "$(pg_url at$v)" up $v >out 2>err || return 1; done
'

test_expect_success 'squash --to 3 writes checkpoint_3.pgsql: header with versions and checksums, then the schema' '
	strata -d "$DB" squash --to 3 --json >d.json 2>err &&
	json_check d.json "d[\"ok\"] is True and d[\"file\"] == \"checkpoint_3.pgsql\" and d[\"covers\"] == 3 and d[\"later\"] == 1 and d[\"proved\"] is True" &&
	test_path_is_file migrations/checkpoint_3.pgsql &&
	test_grep "^-- strata:checkpoint 3$" migrations/checkpoint_3.pgsql &&
	test_grep "^-- strata:covers 1 $(sha256sum <migrations/1_users.up.sql | cut -d" " -f1) users$" migrations/checkpoint_3.pgsql &&
	test_grep "^-- strata:covers 3 $(sha256sum <migrations/3_view/up.sql | cut -d" " -f1) view$" migrations/checkpoint_3.pgsql &&
	test_grep "^CREATE VIEW public.emails" migrations/checkpoint_3.pgsql &&
	test_grep ! "notes" migrations/checkpoint_3.pgsql &&
	strata -d "$(pg_url at3)" dump -o - >at3.sql 2>err &&
	sed -e "1,/^$/d" migrations/checkpoint_3.pgsql >body.sql &&
	test_cmp at3.sql body.sql
'

test_expect_success 'no migration layout takes the checkpoint for a migration' '
	strata validate --offline >out 2>err &&
	test_grep "4 migrations" out
'

test_expect_success 'up --dry-run on a fresh database prints the checkpoint, changes nothing' '
	strata -d "$DB" up --dry-run >out 2>err &&
	test_grep "^CREATE VIEW public.emails" out &&
	test_grep "stamped" out &&
	test_grep "CREATE TABLE notes" out &&
	test_no_history app &&
	test_no_table app public.users
'

test_expect_success 'a fresh database applies the checkpoint, then the later migration; same dump as step by step' '
	strata -d "$DB" up --json >u.json 2>err &&
	json_check u.json "d[\"ok\"] is True and d[\"checkpoint\"] == \"checkpoint_3.pgsql\"" &&
	json_check u.json "[a[\"version\"] for a in d[\"applied\"]] == [\"4\"]" &&
	test_hist app "1 2 3 4" &&
	test_equal "t t t f" "$(pg_sql app "SELECT stamped FROM strata_migrations ORDER BY version" | tr "\n" " " | sed -e "s/ $//")" &&
	pg_createdb steps &&
	strata -d "$(pg_url steps)" up >out 2>err &&
	strata -d "$DB" dump -o - >a.sql 2>err &&
	strata -d "$(pg_url steps)" dump -o - >b.sql 2>err &&
	test_cmp a.sql b.sql
'

test_expect_success 'a database at a covered version carries on with the files' '
	strata -d "$(pg_url at2)" up --json >u.json 2>err &&
	json_check u.json "d[\"checkpoint\"] is None" &&
	json_check u.json "[a[\"version\"] for a in d[\"applied\"]] == [\"3\", \"4\"]" &&
	test_equal "f f f f" "$(pg_sql at2 "SELECT stamped FROM strata_migrations ORDER BY version" | tr "\n" " " | sed -e "s/ $//")"
'

test_expect_success 'strata test proves the folder'"'"'s checkpoint: from it and step by step, the same schema' '
	strata -d "$DB" test >out 2>err &&
	test_grep "checkpoint checkpoint_3.pgsql: from it and step by step, the same schema" out &&
	strata -d "$DB" test --json >t.json 2>err &&
	json_check t.json "d[\"ok\"] is True and d[\"checkpoint\"] == {\"file\": \"checkpoint_3.pgsql\", \"result\": \"ok\", \"detail\": None}" &&
	strata -d "$DB" test --from 2 --json >t.json 2>err &&
	json_check t.json "d[\"checkpoint\"] is None"
'

test_expect_success 'a checkpoint that no longer gives the migrations'"'"' schema: strata test exits 1 and says where' '
	cp -r migrations edited &&
	echo "CREATE TABLE hand_made (id int);" >>edited/checkpoint_3.pgsql &&
	test_expect_code 1 strata -d "$DB" -s edited test >out 2>err &&
	test_grep "checkpoint differs.*checkpoint_3.pgsql: line [0-9]* of the dumps" out &&
	test_expect_code 1 strata -d "$DB" -s edited test --json >t.json 2>err &&
	json_check t.json "d[\"ok\"] is False and d[\"checkpoint\"][\"result\"] == \"differs\"" &&
	test_grep "hand_made" t.json
'

test_expect_success 'the covered files deleted: a database past the checkpoint is clean in status and validate' '
	rm -r migrations/1_users.up.sql migrations/1_users.down.sql migrations/2_email_index.sql migrations/3_view &&
	strata -d "$DB" status --exit-code --json >s.json 2>err &&
	json_check s.json "[m[\"state\"] for m in d[\"migrations\"]] == [\"applied\"] * 4" &&
	json_check s.json "[m[\"checkpoint\"] for m in d[\"migrations\"]] == [\"checkpoint_3.pgsql\"] * 3 + [None]" &&
	strata -d "$DB" validate >out 2>err &&
	strata -d "$(pg_url at3)" up >out 2>err &&
	test_hist at3 "1 2 3 4"
'

test_expect_success 'a database below the checkpoint is stranded: a clear error naming it, nothing applied' '
	test_expect_code 1 strata -d "$(pg_url at1)" up --json >u.json 2>err &&
	json_check u.json "d[\"ok\"] is False and d[\"error\"][\"kind\"] == \"missing\"" &&
	test_grep "checkpoint_3.pgsql" err &&
	test_grep "2_email_index" err &&
	test_grep "restore the migration files" err &&
	test_hist at1 "1"
'

test_expect_success 'a fresh database with only the checkpoint and the later file' '
	pg_createdb fresh2 &&
	strata -d "$(pg_url fresh2)" up >out 2>err &&
	test_grep "applied checkpoint" out &&
	strata -d "$(pg_url fresh2)" dump -o - >c.sql 2>err &&
	test_cmp a.sql c.sql
'

test_expect_success 'down past the checkpoint with the files gone: refused, naming the file' '
	test_expect_code 1 strata -d "$DB" down 2 >out 2>err &&
	test_grep "3_view" err &&
	test_hist app "1 2 3 4"
'

test_expect_success 'squash refuses when the checkpoint would not give the same schema; nothing written' '
	mkdir m2 &&
	printf "CREATE TABLE t1 (id int);\nINSERT INTO t1 VALUES (1);\n" >m2/1_t1.sql &&
	printf "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM t1) THEN CREATE TABLE has_rows (id int); END IF; END \$\$;\n" >m2/2_data.sql &&
	test_expect_code 1 strata -d "$DB" -s m2 squash --to 1 >out 2>err &&
	test_grep "nothing written" err &&
	test_grep "has_rows" err &&
	test_path_is_missing m2/checkpoint_1.pgsql
'

test_expect_success 'usage: --to is needed, must be a version, and beyond an existing checkpoint' '
	test_expect_code 2 strata -d "$DB" squash >out 2>err &&
	test_expect_code 2 strata -d "$DB" squash --to head >out 2>err &&
	test_expect_code 2 strata -d "$DB" squash --to 99 >out 2>err &&
	test_expect_code 2 strata -d "$DB" squash --to 4 extra >out 2>err &&
	test_expect_code 1 strata -d "$DB" --shadow "$DB" squash --to 4 >out 2>err &&
	test_grep "without --shadow" err &&
	test_expect_code 1 strata -d "$DB" squash --to 4 >out 2>err &&
	test_grep "restore the files" err &&
	test_path_is_missing migrations/checkpoint_4.pgsql
'

test_expect_success 'a second checkpoint: replaces the first; two in a folder are an error' '
	mkdir m3 &&
	echo "CREATE TABLE a (id int);" >m3/1_a.sql &&
	echo "CREATE TABLE b (id int);" >m3/2_b.sql &&
	echo "CREATE TABLE c (id int);" >m3/3_c.sql &&
	strata -d "$DB" -s m3 squash --to 1 >out 2>err &&
	test_expect_code 2 strata -d "$DB" -s m3 squash --to 1 >out 2>err &&
	test_grep "already covers" err &&
	strata -d "$DB" -s m3 squash --to 2 >out 2>err &&
	test_path_is_missing m3/checkpoint_1.pgsql &&
	test_path_is_file m3/checkpoint_2.pgsql &&
	cp m3/checkpoint_2.pgsql m3/checkpoint_9.pgsql &&
	test_expect_code 1 strata -d "$DB" -s m3 status >out 2>err &&
	test_grep "two checkpoints" err &&
	rm m3/checkpoint_9.pgsql
'

test_expect_success 'help squash and help load' '
	strata help squash >out 2>&1 &&
	test_grep "usage: strata squash --to VERSION" out &&
	strata squash --help >out 2>&1 &&
	test_grep "checkpoint" out &&
	strata help load >out 2>&1 &&
	test_grep "usage: strata load" out
'

test_done

#!/bin/bash
test_description='adopt --from alembic: the head revision found through "-- alembic: REV" first lines'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# alembic_table DB: alembic_version as Alembic creates it (offline --sql
# output of its first upgrade).
alembic_table() {
	pg_sql "$1" "CREATE TABLE alembic_version (
		version_num VARCHAR(32) NOT NULL,
		CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
	)"
}

# alembic_upgrade DB FILE FROM TO: run FILE, then move the head as
# Alembic does (INSERT for the first revision, UPDATE after).
alembic_upgrade() {
	pg_psql -d "$1" -f "$2" >/dev/null || return 1
	if [ -z "$3" ]; then
		pg_sql "$1" "INSERT INTO alembic_version (version_num) VALUES ('$4')"
	else
		pg_sql "$1" "UPDATE alembic_version SET version_num='$4' WHERE alembic_version.version_num = '$3'"
	fi
}

# alembic_heads DB REV...: set the heads by hand (as 'alembic stamp' does)
alembic_heads() {
	local db=$1 r
	shift
	pg_sql "$db" "DELETE FROM alembic_version" || return 1
	for r in "$@"; do
		pg_sql "$db" "INSERT INTO alembic_version (version_num) VALUES ('$r')" || return 1
	done
}

index_count() {
	pg_sql "$1" "SELECT count(*) FROM pg_indexes WHERE indexname = '$2'"
}

test_expect_success 'setup: three revisions converted to SQL, two applied by Alembic' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	printf "%s\n" "-- alembic: 20241207_0001" "-- Running upgrade  -> 20241207_0001" \
		"CREATE TABLE tasks (id uuid PRIMARY KEY);" >migrations/0001_initial_schema.sql &&
	printf "\357\273\277-- alembic: ae1027a6acf\r\nCREATE TABLE contexts (id uuid PRIMARY KEY);\r\n" \
		>migrations/0002_add_contexts.up.sql &&
	echo "DROP TABLE contexts;" >migrations/0002_add_contexts.down.sql &&
	printf "%s\n" "-- alembic: 27c6a30d7c24" "-- migrate:up" "-- strata:allow require-concurrent-index-creation tasks is a test table" "CREATE INDEX tasks_id ON tasks (id);" \
		"-- migrate:down" "DROP INDEX tasks_id;" >migrations/0003_index_tasks.sql &&
	printf "%s\n" "CREATE TABLE task_feedback (id int);" >migrations/0004_task_feedback.sql &&
	alembic_table app &&
	alembic_upgrade app migrations/0001_initial_schema.sql "" 20241207_0001 &&
	alembic_upgrade app migrations/0002_add_contexts.up.sql 20241207_0001 ae1027a6acf &&
	pg_sql app "SELECT version_num FROM alembic_version" >head.before &&
	echo ae1027a6acf >expect &&
	test_cmp expect head.before
'

test_expect_success 'adopt maps the head to its file and adopts it and every file before it' '
	strata -d "$DB" adopt --from alembic >out 2>err &&
	test_grep "adopt  0001_initial_schema" out &&
	test_grep "adopt  0002_add_contexts" out &&
	test_grep ! "0003_index_tasks" out &&
	test_hist app "1 2" &&
	test_cmp head.before <(pg_sql app "SELECT version_num FROM alembic_version")
'

test_expect_success 'status: two applied, two pending; up applies only those' '
	strata -d "$DB" status --json >s.json 2>err &&
	json_check s.json "[m[\"state\"] for m in d[\"migrations\"]] == [\"applied\", \"applied\", \"pending\", \"pending\"]" &&
	strata -d "$DB" up --json >u.json 2>err &&
	json_check u.json "[m[\"version\"] for m in d[\"applied\"]] == [\"3\", \"4\"]" &&
	test_table app task_feedback &&
	test_hist app "1 2 3 4"
'

test_expect_success 'a head in a file with dbmate sections, and down works after adoption' '
	pg_createdb app3 &&
	alembic_table app3 &&
	alembic_upgrade app3 migrations/0001_initial_schema.sql "" 20241207_0001 &&
	alembic_upgrade app3 migrations/0002_add_contexts.up.sql 20241207_0001 ae1027a6acf &&
	pg_psql -d app3 -c "CREATE INDEX tasks_id ON tasks (id)" &&
	alembic_heads app3 27c6a30d7c24 &&
	strata -d "$(pg_url app3)" adopt --from alembic --json >a.json 2>err &&
	json_check a.json "[m[\"version\"] for m in d[\"adopted\"]] == [\"1\", \"2\", \"3\"]" &&
	strata -d "$(pg_url app3)" down >out 2>err &&
	test_hist app3 "1 2" &&
	test "$(index_count app3 tasks_id)" = 0
'

test_expect_success 'an unknown revision: exit 1, names it and the rule, nothing written' '
	pg_createdb lost &&
	alembic_table lost &&
	alembic_heads lost 3f0c2b9d1e77 &&
	test_expect_code 1 strata -d "$(pg_url lost)" adopt --from alembic --json >l.json 2>err &&
	test_grep "public.alembic_version is at revision 3f0c2b9d1e77, but no file in '"'"'migrations'"'"' begins with '"'"'-- alembic: 3f0c2b9d1e77'"'"'" err &&
	test_grep "hint: .*-- alembic: REVISION" err &&
	json_check l.json "[p[\"kind\"] for p in d[\"problems\"]] == [\"unknown_revision\"]" &&
	test_no_history lost
'

test_expect_success 'two heads (unmerged branches) are refused' '
	pg_createdb branches &&
	alembic_table branches &&
	alembic_heads branches ae1027a6acf 27c6a30d7c24 &&
	test_expect_code 1 strata -d "$(pg_url branches)" adopt --from alembic >out 2>err &&
	test_grep "holds 2 heads" err &&
	test_grep "alembic merge heads" err &&
	test_no_history branches
'

test_expect_success 'a revision named by two files is refused' '
	pg_createdb dup &&
	alembic_table dup &&
	alembic_heads dup ae1027a6acf &&
	cp -r migrations dup &&
	printf "%s\n" "-- alembic: ae1027a6acf" "SELECT 1;" >dup/0005_copy.sql &&
	test_expect_code 1 strata -d "$(pg_url dup)" -s dup adopt --from alembic >out 2>err &&
	test_grep "revision ae1027a6acf is named by 2 files: dup/0002_add_contexts.up.sql, dup/0005_copy.sql" err &&
	test_no_history dup
'

test_expect_success 'Alembic at base (no head): nothing to adopt, nothing written' '
	pg_createdb based &&
	alembic_table based &&
	strata -d "$(pg_url based)" adopt --from alembic >out 2>err &&
	test_grep "nothing to adopt" out &&
	test_no_history based
'

test_done

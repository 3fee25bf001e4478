#!/bin/bash
test_description='the checksum cache of unchanged files: used, never trusted over a changed file, harmless when damaged or unwritable'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

state_of() {
	json_get "$1" "[m[\"state\"] for m in d[\"migrations\"] if m[\"version\"] == \"$2\"][0]"
}

cache_file() {
	ls "$HOME"/.cache/strata/sums-* 2>/dev/null
}

test_expect_success 'setup: three applied migrations whose files are older than a second' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations &&
	echo "CREATE TABLE one (id int);" >migrations/1_one.sql &&
	echo "CREATE TABLE two (id int);" >migrations/2_two.sql &&
	echo "CREATE TABLE three (id int);" >"migrations/3_with space.sql" &&
	strata -d "$DB" up >out 2>err &&
	sleep 2
'

test_expect_success 'status records the checksums of unchanged files in ~/.cache/strata' '
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = applied &&
	f=$(cache_file) &&
	test -n "$f" &&
	test_grep -F "strata-sums 3 $PWD/migrations" "$f" &&
	test_grep -F " 2_two.sql" "$f" &&
	test_grep -F " 3_with space.sql" "$f" &&
	test $(grep -c "\.sql$" "$f") = 3
'

test_expect_success 'an unchanged folder does not rewrite the cache' '
	f=$(cache_file) &&
	before=$(stat -c %Y.%i "$f") &&
	sleep 1 &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = applied &&
	test "$(stat -c %Y.%i "$f")" = "$before"
'

test_expect_success 'an edit of the same size with the old mtime put back is still seen as changed' '
	cp -p migrations/2_two.sql saved &&
	echo "CREATE TABLE tw0 (id int);" >migrations/2_two.sql &&
	touch -r saved migrations/2_two.sql &&
	test "$(stat -c %s saved)" = "$(stat -c %s migrations/2_two.sql)" &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = changed &&
	test "$(state_of s.json 1)" = applied
'

test_expect_success 'putting the bytes back makes it applied again' '
	cp saved migrations/2_two.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 2)" = applied
'

test_expect_success 'a damaged cache file is ignored' '
	f=$(cache_file) &&
	printf "strata-sums 3 %s\nnot an entry\n1 2 3 garbage\n" "$PWD/migrations" >"$f" &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = applied &&
	test "$(state_of s.json 2)" = applied &&
	test_grep -F " 1_one.sql" "$f"
'

test_expect_success 'a cache entry whose file information no longer matches is not used' '
	f=$(cache_file) &&
	sed -i "s/ [0-9a-f]\{64\} \(. [-0-9a-f]*\) 1_one.sql$/ $(printf "%064d" 0) \1 1_one.sql/" "$f" &&
	sed -i "s/^\([0-9]* [0-9]* \)[0-9]*/\19/" "$f" &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = applied
'

test_expect_success 'a cache for another folder is not used' '
	f=$(cache_file) &&
	sed -i "1s|.*|strata-sums 3 /elsewhere|" "$f" &&
	strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 1)" = applied &&
	test_grep -F "strata-sums 3 $PWD/migrations" "$f"
'

test_expect_success 'up records how each pending file runs (0: one transaction, 1: without)' '
	echo "CREATE INDEX CONCURRENTLY one_id ON one (id);" >migrations/4_index.sql &&
	echo "CREATE TABLE five (id int);" >migrations/5_five.sql &&
	echo "CREATE TABLE six (id int);" >migrations/6_six.sql &&
	sleep 2 &&
	strata -d "$DB" up --dry-run >out 2>err &&
	f=$(cache_file) &&
	test_grep " 1 [-0-9a-f]* 4_index.sql$" "$f" &&
	test_grep " 0 [-0-9a-f]* 5_five.sql$" "$f" &&
	test_grep " 0 [-0-9a-f]* 6_six.sql$" "$f" &&
	test_grep " [-0] [-0-9a-f]* 1_one.sql$" "$f"
'

test_expect_success 'up records that a pending file had no lint finding, under which settings' '
	f=$(cache_file) &&
	test_grep " 0 [0-9a-f]\{16\} 5_five.sql$" "$f" &&
	fp=$(sed -n "s/.* 0 \([0-9a-f]\{16\}\) 5_five.sql$/\1/p" "$f") &&
	test_grep " $fp 6_six.sql$" "$f"
'

test_expect_success 'other lint settings: the clean files are linted again, and their findings shown' '
	echo "ALTER TABLE one ADD COLUMN note text;" >migrations/7_note.sql &&
	sleep 2 &&
	strata -d "$DB" up --dry-run >out 2>err &&
	test_grep " 0 [0-9a-f]\{16\} 7_note.sql$" "$(cache_file)" &&
	strata -d "$DB" --lock-timeout 0 up --dry-run >out 2>err &&
	test_grep "7_note.sql:1:1: warning: .*\[require-lock-timeout\]" err &&
	strata -d "$DB" up --dry-run >out 2>err &&
	test_grep ! "require-lock-timeout" err
'

test_expect_success 'a cache that lies about pending files: what runs is checked again and recorded truly' '
	f=$(cache_file) &&
	zero=$(printf "%064d" 0) &&
	sed -i -e "s/ [0-9a-f]\{64\} 1 \([-0-9a-f]*\) 4_index.sql$/ $zero 0 \1 4_index.sql/" \
	       -e "s/ [0-9a-f]\{64\} 0 \([-0-9a-f]*\) 5_five.sql$/ $zero 0 \1 5_five.sql/" "$f" &&
	test_grep "$zero 0 [-0-9a-f]* 4_index.sql" "$f" &&
	strata -d "$DB" up >out 2>err &&
	test_grep "4_index.sql changed while strata ran" err &&
	test "$(pg_sql app "SELECT indisvalid FROM pg_index WHERE indexrelid = '"'"'one_id'"'"'::regclass")" = t &&
	STRATA_CACHE=off strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 4)" = applied &&
	test "$(state_of s.json 5)" = applied &&
	test "$(state_of s.json 6)" = applied &&
	test "$(state_of s.json 7)" = applied &&
	test "$(pg_sql app "SELECT count(*) FROM strata_migrations WHERE checksum = '"'"'$zero'"'"'")" = 0
'

test_expect_success 'XDG_CACHE_HOME is where the cache goes when set' '
	XDG_CACHE_HOME=$PWD/xdg strata -d "$DB" status >out 2>err &&
	ls xdg/strata/sums-* >/dev/null
'

test_expect_success 'STRATA_CACHE=off writes no cache' '
	rm -rf "$HOME/.cache/strata" &&
	STRATA_CACHE=off strata -d "$DB" status >out 2>err &&
	test_path_is_missing "$HOME/.cache/strata"
'

test_expect_success 'a cache that cannot be written is not an error' '
	echo file >notadir &&
	HOME=$PWD/notadir strata -d "$DB" status --json >s.json 2>err &&
	test "$(state_of s.json 3)" = applied &&
	test ! -s err
'

test_done

#!/bin/bash
test_description='new: timestamped pair, --single, --seq keeping the width'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

test_expect_success 'new "add users" creates a UTC-timestamped .up.sql/.down.sql pair and the folder' '
	test_path_is_missing migrations &&
	before=$(date -u +%Y%m%d%H%M%S) &&
	strata new "add users" >out 2>err &&
	after=$(date -u +%Y%m%d%H%M%S) &&
	test_path_is_dir migrations &&
	ls migrations >files &&
	test_line_count = 2 files &&
	test_grep -E "^[0-9]{14}_add_users\.up\.sql$" files &&
	test_grep -E "^[0-9]{14}_add_users\.down\.sql$" files &&
	ts=$(head -n 1 files | cut -c1-14) &&
	test "$ts" -ge "$before" && test "$ts" -le "$after" &&
	test_path_is_file migrations/${ts}_add_users.up.sql &&
	test_path_is_file migrations/${ts}_add_users.down.sql
'

test_expect_success 'new prints the files it wrote' '
	test_grep -F "_add_users.up.sql" out
'

test_expect_success 'new add users (unquoted words) joins them: add_users' '
	strata -s words new add users >out 2>err &&
	ls words >files &&
	test_grep -E "^[0-9]{14}_add_users\.up\.sql$" files &&
	test_grep -E "^[0-9]{14}_add_users\.down\.sql$" files
'

test_expect_success 'revision -m "Add Users table!" slugifies the name' '
	strata -s slug revision -m "Add Users table!" >out 2>err &&
	ls slug >files &&
	test_grep -i -E "^[0-9]{14}_add_users_table\.up\.sql$" files
'

test_expect_success 'the generated pair is a valid migration' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	strata -d "$DB" validate >out 2>err &&
	strata -d "$DB" up >out 2>err &&
	test_hist app "$ts" &&
	strata -d "$DB" down >out 2>err &&
	test "$(hist_count app)" = 0
'

test_expect_success 'new --single writes one up-only file' '
	strata -s single new --single create_orders >out 2>err &&
	ls single >files &&
	test_line_count = 1 files &&
	test_grep -E "^[0-9]{14}_create_orders\.sql$" files
'

test_expect_success 'new --seq continues the folder numbering, keeping its width' '
	mkdir seq &&
	echo "SELECT 1;" >seq/0001_x.sql &&
	strata -s seq new --seq y >out 2>err &&
	ls seq >files &&
	test_grep -E "^0002_y\.up\.sql$" files &&
	test_grep -E "^0002_y\.down\.sql$" files
'

test_expect_success 'new --seq --single' '
	strata -s seq new --seq --single z >out 2>err &&
	test_path_is_file seq/0003_z.sql
'

test_expect_success 'new --seq rolls over to the next power of ten' '
	mkdir seq9 &&
	echo "SELECT 1;" >seq9/0009_nine.sql &&
	strata -s seq9 new --seq --single ten >out 2>err &&
	test_path_is_file seq9/0010_ten.sql
'

test_expect_success 'new --seq with width 1 and folder layouts' '
	mkdir seqw &&
	echo "SELECT 1;" >seqw/1_a.sql &&
	mkdir seqw/2_b && echo "SELECT 1;" >seqw/2_b/up.sql &&
	strata -s seqw new --seq --single c >out 2>err &&
	test_path_is_file seqw/3_c.sql
'

test_expect_success 'the --seq folder stays valid' '
	pg_createdb seqdb &&
	strata -d "$(pg_url seqdb)" -s seq up >out 2>err &&
	test_hist seqdb "1 2 3"
'

test_expect_success 'new creates a missing nested folder (-s deep/nested/dir)' '
	strata -s deep/nested/dir new --single deep >out 2>err &&
	ls deep/nested/dir >files &&
	test_grep -E "^[0-9]{14}_deep\.sql$" files
'

test_expect_success 'new without a name is a usage error' '
	test_expect_code 2 strata -s nothing new >out 2>err &&
	test_path_is_missing nothing/x
'

test_done

#!/bin/bash
test_description='hostile migration folders are rejected before the database is touched; odd but valid inputs work'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# rejected DIR [FILE...]: up -s DIR exits 1, names every FILE on stderr,
# sends no statement and creates no history table.
rejected() {
	local dir=$1 f
	shift
	pg_log_mark &&
	test_expect_code 1 strata -d "$DB" -s "$dir" up >out 2>err &&
	test_no_statements_since_mark &&
	test_no_history app &&
	for f in "$@"; do
		test_grep -F "$f" err || return 1
	done
}

test_expect_success 'setup' '
	pg_createdb app &&
	DB=$(pg_url app)
'

test_expect_success 'duplicate versions 1_a.sql and 0001_b.sql' '
	mkdir dup &&
	echo "CREATE TABLE a (id int);" >dup/1_a.sql &&
	echo "CREATE TABLE b (id int);" >dup/0001_b.sql &&
	rejected dup 1_a.sql 0001_b.sql
'

test_expect_success 'validate rejects duplicates too (exit 1)' '
	test_expect_code 1 strata -d "$DB" -s dup validate >out 2>err &&
	test_grep -F 0001_b.sql err
'

test_expect_success 'a .sql file whose name fits no layout' '
	mkdir noname &&
	echo "CREATE TABLE a (id int);" >noname/1_ok.sql &&
	echo "CREATE TABLE b (id int);" >noname/create_users.sql &&
	rejected noname create_users.sql
'

test_expect_success 'a .down.sql without its .up.sql' '
	mkdir orphan &&
	echo "CREATE TABLE a (id int);" >orphan/1_ok.sql &&
	echo "DROP TABLE b;" >orphan/2_b.down.sql &&
	rejected orphan 2_b.down.sql
'

test_expect_success 'an unterminated quote: file:line:column' '
	mkdir quote &&
	echo "CREATE TABLE a (id int);" >quote/1_ok.sql &&
	printf "CREATE TABLE q (v text);\nINSERT INTO q VALUES (%sabc);\nSELECT 1;\n" "'"'"'" >quote/2_quote.sql &&
	rejected quote 2_quote.sql &&
	test_grep -E "2_quote\.sql:2:[0-9]+" err
'

test_expect_success 'an unterminated dollar quote: file:line:column' '
	mkdir dollar &&
	echo "CREATE TABLE a (id int);" >dollar/1_ok.sql &&
	printf "SELECT 1;\n\nCREATE FUNCTION f() RETURNS int AS \$body\$\n  SELECT 1;\n\$bod\$ LANGUAGE sql;\n" >dollar/2_dollar.sql &&
	rejected dollar 2_dollar.sql &&
	test_grep -E "2_dollar\.sql:3:[0-9]+" err
'

test_expect_success 'invalid UTF-8' '
	mkdir utf &&
	echo "CREATE TABLE a (id int);" >utf/1_ok.sql &&
	printf "CREATE TABLE u (v text);\nINSERT INTO u VALUES (%s\377\376%s);\n" "'"'"'" "'"'"'" >utf/2_latin.sql &&
	rejected utf 2_latin.sql &&
	test_grep -i "utf-8\|utf8\|encoding" err
'

test_expect_success 'a NUL byte' '
	mkdir nul &&
	echo "CREATE TABLE a (id int);" >nul/1_ok.sql &&
	printf "CREATE TABLE n1 (id int);\n\000CREATE TABLE n2 (id int);\n" >nul/2_nul.sql &&
	rejected nul 2_nul.sql &&
	test_grep -i "NUL\|\\\\0\|zero byte\|null byte" err
'

test_expect_success 'validate reports a bad file without connecting' '
	pg_log_mark &&
	test_expect_code 1 strata -d "$DB" -s nul validate >out 2>err &&
	test_grep -F 2_nul.sql err &&
	test_no_history app
'

test_expect_success 'a BOM + CRLF file is accepted and runs' '
	pg_createdb bom && BDB=$(pg_url bom) &&
	mkdir bomcrlf &&
	printf "\357\273\277CREATE TABLE bom1 (id int);\r\nINSERT INTO bom1 VALUES (1);\r\n" >bomcrlf/1_bom.sql &&
	printf "\357\273\277-- migrate:up\r\nCREATE TABLE bom2 (id int);\r\n\r\n-- migrate:down\r\nDROP TABLE bom2;\r\n" >bomcrlf/2_bom_sections.sql &&
	strata -d "$BDB" -s bomcrlf up >out 2>err &&
	test_hist bom "1 2" &&
	test "$(pg_sql bom "SELECT count(*) FROM bom1")" = 1 &&
	test_table bom bom2 &&
	strata -d "$BDB" -s bomcrlf down >out 2>err &&
	test_no_table bom bom2
'

test_expect_success 'quotes, semicolons, spaces and unicode in the name part' '
	pg_createdb odd && ODB=$(pg_url odd) &&
	mkdir oddnames &&
	echo "CREATE TABLE odd1 (id int);" >"oddnames/1_it'"'"'s; \"odd\" name ü.sql" &&
	echo "CREATE TABLE odd2 (id int);" >"oddnames/2_\$(touch pwned).up.sql" &&
	echo "DROP TABLE odd2;" >"oddnames/2_\$(touch pwned).down.sql" &&
	strata -d "$ODB" -s oddnames up >out 2>err &&
	test_hist odd "1 2" &&
	test_table odd odd1 &&
	pg_sql odd "SELECT name FROM public.strata_migrations ORDER BY version" >actual &&
	printf "%s\n" "it'"'"'s; \"odd\" name ü" "\$(touch pwned)" >expect &&
	test_cmp expect actual &&
	test_path_is_missing pwned &&
	strata -d "$ODB" -s oddnames status >out 2>err &&
	strata -d "$ODB" -s oddnames down >out 2>err &&
	test_hist odd "1"
'

test_expect_success 'a 50 MB migration file applies' '
	pg_createdb huge && HDB=$(pg_url huge) &&
	mkdir huge &&
	echo "CREATE TABLE big (id int PRIMARY KEY, pad text);" >huge/1_big.sql &&
	python3 -c "
import sys
pad = \"x\" * 1000
with open(\"huge/2_fill.sql\", \"w\") as f:
    for i in range(50000):
        f.write(\"INSERT INTO big (id, pad) VALUES (%d, %s%s%s);\n\" % (i, chr(39), pad, chr(39)))
" &&
	test $(stat -c %s huge/2_fill.sql) -gt 50000000 &&
	t0=$EPOCHREALTIME &&
	{ strata -d "$HDB" -s huge up >out 2>err; rc=$?; } &&
	echo "strata up: exit $rc after $(python3 -c "print(round($EPOCHREALTIME - $t0, 1))") s" &&
	test $rc = 0 &&
	test_hist huge "1 2" &&
	test "$(pg_sql huge "SELECT count(*) FROM big")" = 50000
'

test_expect_success '"relation already exists" hints at strata stamp' '
	pg_createdb byhand && HBDB=$(pg_url byhand) &&
	pg_sql byhand "CREATE TABLE users (id int)" &&
	mkdir byhand &&
	echo "CREATE TABLE users (id int);" >byhand/1_users.sql &&
	test_expect_code 1 strata -d "$HBDB" -s byhand up >out 2>err &&
	test_grep -F "already exists" err &&
	test_grep -F "42P07" err &&
	test_grep -F "strata stamp" err &&
	test "$(hist_count byhand)" = 0
'

test_expect_success 'connection refused: exit 1, names host and port, mentions --wait' '
	port=$(free_port) &&
	mkdir conn && echo "SELECT 1;" >conn/1_x.sql &&
	test_expect_code 1 strata -d "host=127.0.0.1 port=$port user=postgres dbname=app" -s conn up >out 2>err &&
	test_grep -F "127.0.0.1" err &&
	test_grep -F "$port" err &&
	test_grep -e "--wait" err
'

test_expect_success 'connection refused with a URL: same' '
	test_expect_code 1 strata -d "postgresql://postgres@127.0.0.1:$port/app" -s conn status >out 2>err &&
	test_grep -F "127.0.0.1" err &&
	test_grep -F "$port" err
'

test_expect_success '--wait gives up after its duration with exit 1' '
	start=$(date +%s) &&
	test_expect_code 1 strata -d "host=127.0.0.1 port=$port user=postgres dbname=app" --wait=2s -s conn up >out 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -ge 2 &&
	test $((end - start)) -lt 30
'

test_done

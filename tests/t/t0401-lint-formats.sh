#!/bin/bash
test_description='strata lint output formats: --json, --format json, github workflow commands, SARIF 2.1.0'
. "$(dirname "$0")/../test-lib.sh"

test_expect_success 'setup' '
	printf "SELECT 1;\nCREATE INDEX i ON t (a);\n-- strata:allow prefer-repack nightly job, table is tiny\nVACUUM FULL t;\nTRUNCATE t CASCADE;\n" >m.sql &&
	echo "SELECT 1;" >clean.sql
'

test_expect_success '--json: one document with every finding and the counts' '
	test_expect_code 1 strata --json lint m.sql >out.json 2>err &&
	json_check out.json "len(d[\"findings\"]) == 2" &&
	json_check out.json "d[\"findings\"][0] == {\"file\": \"m.sql\", \"line\": 2, \"column\": 19, \"severity\": \"error\", \"rule\": \"require-concurrent-index-creation\", \"message\": d[\"findings\"][0][\"message\"], \"source\": \"CREATE INDEX i ON t (a);\"}" &&
	json_check out.json "d[\"findings\"][1][\"rule\"] == \"ban-truncate-cascade\" and d[\"findings\"][1][\"line\"] == 5" &&
	json_check out.json "d[\"errors\"] == 2 and d[\"warnings\"] == 0 and d[\"files\"] == 1 and d[\"statements\"] == 4" &&
	json_check out.json "d[\"ok\"] is False and d[\"pg_version\"] == 150000"
'

test_expect_success '--format json is --json; a clean file is ok' '
	strata lint --format json clean.sql >out.json 2>err &&
	json_check out.json "d[\"findings\"] == [] and d[\"ok\"] is True"
'

test_expect_success '--json for a usage error: the error document, exit 2' '
	test_expect_code 2 strata --json lint --format xml m.sql >out.json 2>err &&
	json_check out.json "d[\"error\"][\"kind\"] == \"usage\""
'

test_expect_success '--format github: one workflow command per finding' '
	test_expect_code 1 strata lint --format github m.sql >out 2>err &&
	test_line_count = 2 out &&
	test_grep "^::error file=m.sql,line=2,col=19,title=require-concurrent-index-creation::CREATE INDEX without CONCURRENTLY" out &&
	test_grep "^::error file=m.sql,line=5,col=1,title=ban-truncate-cascade::" out
'

test_expect_success '--format github escapes what would end a property' '
	cp m.sql "a,b:c.sql" &&
	test_expect_code 1 strata lint --format github "a,b:c.sql" >out 2>err &&
	test_grep "^::error file=a%2Cb%3Ac.sql,line=2" out
'

test_expect_success '--format sarif: SARIF 2.1.0 with the rules and the results' '
	test_expect_code 1 strata lint --format sarif m.sql >out.sarif 2>err &&
	json_check out.sarif "d[\"version\"] == \"2.1.0\"" &&
	json_check out.sarif "d[\"runs\"][0][\"tool\"][\"driver\"][\"name\"] == \"strata lint\"" &&
	json_check out.sarif "\"require-concurrent-index-creation\" in [r[\"id\"] for r in d[\"runs\"][0][\"tool\"][\"driver\"][\"rules\"]]" &&
	json_check out.sarif "all(r[\"help\"][\"text\"] and r[\"shortDescription\"][\"text\"] for r in d[\"runs\"][0][\"tool\"][\"driver\"][\"rules\"])" &&
	json_check out.sarif "len(d[\"runs\"][0][\"results\"]) == 2" &&
	json_check out.sarif "d[\"runs\"][0][\"results\"][0][\"locations\"][0][\"physicalLocation\"][\"region\"] == {\"startLine\": 2, \"startColumn\": 19}" &&
	json_check out.sarif "d[\"runs\"][0][\"results\"][0][\"level\"] == \"error\"" &&
	json_check out.sarif "(lambda rules, res: all(rules[r[\"ruleIndex\"]][\"id\"] == r[\"ruleId\"] for r in res))(d[\"runs\"][0][\"tool\"][\"driver\"][\"rules\"], d[\"runs\"][0][\"results\"])"
'

test_expect_success '--rules --json lists ids, severities and safe SQL' '
	strata --json lint --rules >out.json 2>err &&
	json_check out.json "len(d[\"rules\"]) >= 20" &&
	json_check out.json "[r for r in d[\"rules\"] if r[\"id\"] == \"prefer-repack\"][0][\"severity\"] == \"error\""
'

test_done

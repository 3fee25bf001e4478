#!/bin/bash
test_description='COPY ... FROM stdin data in migrations, seeds and repeatables: loaded as written, bad rows at their file line, missing \. refused before anything runs'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

# the rows of TABLE in DB that differ from those of table expect (both ways)
diff_rows() {
	pg_sql "$1" "SELECT count(*) FROM ((TABLE $2 EXCEPT ALL TABLE expect)
		UNION ALL (TABLE expect EXCEPT ALL TABLE $2)) d"
}

# what the data of 1_data.sql must load, written with SQL escapes
cat >expect.sql <<\EOF
CREATE TABLE expect (id int, note text, tag text);
INSERT INTO expect VALUES (1, 'plain', 'a'), (2, 'it''s "quoted"', 'b'),
	(3, E'tab\there, new\nline', 'c'), (4, E'back\\slash', NULL),
	(5, 'ünïcødé ✓ 🐘', 'd'), (6, 'semi; colon /* not a comment -- either', 'e');
EOF

test_expect_success 'setup: a migration with pg_dump-style data, and what it must load' '
	pg_createdb app &&
	DB=$(pg_url app) &&
	mkdir migrations seeds &&
	# a tab inside a value is \t, a backslash \\, a NULL \N; quotes as they are
	printf "%s\n" \
		"CREATE TABLE t (id int PRIMARY KEY, note text, tag text);" \
		"COPY public.t (id, note, tag) FROM stdin;" \
		"1	plain	a" \
		"2	it'"'"'s \"quoted\"	b" \
		"3	tab\\there, new\\nline	c" \
		"4	back\\\\slash	\\N" \
		"5	ünïcødé ✓ 🐘	d" \
		"6	semi; colon /* not a comment -- either	e" \
		"\\." \
		"CREATE TABLE after_copy AS SELECT count(*) AS n FROM t;" \
		>migrations/1_data.sql &&
	pg_psql -d app -f expect.sql
'

test_expect_success 'a migration with COPY FROM stdin loads its rows exactly, and goes on after them' '
	strata -d "$DB" up >out 2>err &&
	test_hist app "1" &&
	test_equal 6 "$(pg_sql app "SELECT count(*) FROM t")" &&
	test_equal 0 "$(diff_rows app t)" &&
	test_equal 1 "$(pg_sql app "SELECT count(*) FROM t WHERE tag IS NULL")" &&
	test_equal 6 "$(pg_sql app "SELECT n FROM after_copy")"
'

test_expect_success 'the migration went out as one message, the data through COPY' '
	test_grep "statement: BEGIN;" "$(pg_log)" &&
	test_grep -v "statement: .*ünïcødé" "$(pg_log)"
'

test_expect_success 'the checksum covers the data: an edited row is a change' '
	sed -i "s/plain/plane/" migrations/1_data.sql &&
	strata -d "$DB" status --json >s.json 2>err &&
	json_check s.json "d[\"migrations\"][0][\"state\"] == \"changed\"" &&
	sed -i "s/plane/plain/" migrations/1_data.sql &&
	strata -d "$DB" status --exit-code >out 2>err
'

test_expect_success 'CSV data with quoted commas and a newline inside a field' '
	cat >migrations/2_csv.sql <<-\EOF &&
	CREATE TABLE c (id int, txt text);
	COPY c FROM STDIN WITH (FORMAT csv, HEADER true);
	id,txt
	1,"a, b"
	2,"two
	lines"
	3,
	\.
	EOF
	strata -d "$DB" up >out 2>err &&
	test_equal "a, b" "$(pg_sql app "SELECT txt FROM c WHERE id = 1")" &&
	test_equal t "$(pg_sql app "SELECT txt = \$\$two\$\$ || chr(10) || \$\$lines\$\$ FROM c WHERE id = 2")" &&
	test_equal t "$(pg_sql app "SELECT txt IS NULL FROM c WHERE id = 3")"
'

test_expect_success 'a bad row fails at its line of the file, and the whole migration rolls back' '
	printf "%s\n" \
		"CREATE TABLE bad (id int, n int);" \
		"INSERT INTO bad VALUES (0, 0);" \
		"COPY bad (id, n) FROM stdin;" \
		"1	1" \
		"2	2" \
		"3	three" \
		"4	4" \
		"\\." \
		>migrations/3_bad.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "invalid input syntax for type integer" err &&
	test_grep "migrations/3_bad.sql:6:1" err &&
	test_grep "3	three" err &&
	test_no_table app public.bad &&
	test_hist app "1 2"
'

test_expect_success 'the --json error names the file line of the row' '
	test_expect_code 1 strata -d "$DB" up --json >out.json 2>err &&
	json_check out.json "d[\"error\"][\"line\"] == 6 and d[\"error\"][\"file\"] == \"migrations/3_bad.sql\"" &&
	json_check out.json "d[\"error\"][\"statement\"] == 3"
'

test_expect_success 'a missing \. is refused with file:line before anything runs' '
	pg_createdb fresh &&
	printf "CREATE TABLE m (id int);\nCOPY m FROM stdin;\n1\n2\n" >migrations/3_bad.sql &&
	test_expect_code 1 strata -d "$(pg_url fresh)" up >out 2>err &&
	test_grep "migrations/3_bad.sql:2:1" err &&
	test_grep "no line .\\\\.. ends the data" err &&
	test_no_history fresh &&
	test_expect_code 1 strata -d "$DB" validate --offline >out 2>err &&
	test_grep "migrations/3_bad.sql:2:1" err
'

test_expect_success 'an error after a data block shows its own line and column' '
	printf "%s\n" \
		"CREATE TABLE after (id int);" \
		"COPY after FROM stdin;" \
		"1" \
		"2" \
		"\\." \
		"INSERT INTO after VALUES (3);" \
		"SELECT nosuch FROM after;" \
		>migrations/3_bad.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "column \"nosuch\" does not exist" err &&
	test_grep "migrations/3_bad.sql:7:8" err &&
	test_no_table app public.after
'

test_expect_success 'several blocks and statements between them, fixed: all applied' '
	printf "%s\n" \
		"CREATE TABLE after (id int);" \
		"COPY after FROM stdin;" \
		"1" \
		"\\." \
		"INSERT INTO after VALUES (2);" \
		"COPY after FROM stdin;" \
		"3" \
		"4" \
		"\\." \
		"SELECT count(*) FROM after;" \
		>migrations/3_bad.sql &&
	strata -d "$DB" up >out 2>err &&
	test_equal "1 2 3 4" "$(pg_sql app "SELECT string_agg(id::text, \$\$ \$\$ ORDER BY id) FROM after")"
'

test_expect_success 'a bad row in a one-file-two-sections migration: the line counts from the file' '
	printf "%s\n" \
		"-- a comment" \
		"-- migrate:up" \
		"CREATE TABLE sec (id int);" \
		"COPY sec FROM stdin;" \
		"1" \
		"x" \
		"\\." \
		"-- migrate:down" \
		"DROP TABLE sec;" \
		>migrations/4_sections.sql &&
	test_expect_code 1 strata -d "$DB" up >out 2>err &&
	test_grep "migrations/4_sections.sql:6:1" err &&
	sed -i "s/^x\$/2/" migrations/4_sections.sql &&
	strata -d "$DB" up >out 2>err &&
	test_equal 2 "$(pg_sql app "SELECT count(*) FROM sec")" &&
	strata -d "$DB" down >out 2>err &&
	test_no_table app public.sec &&
	rm migrations/4_sections.sql
'

test_expect_success 'COPY in a no-transaction migration runs with its data, statement by statement' '
	printf "%s\n" \
		"-- strata:no-transaction" \
		"CREATE TABLE nt (id int);" \
		"COPY nt FROM stdin;" \
		"1" \
		"2" \
		"\\." \
		"CREATE INDEX CONCURRENTLY nt_id ON nt (id);" \
		>migrations/4_notx.sql &&
	strata -d "$DB" up >out 2>err &&
	test_equal 2 "$(pg_sql app "SELECT count(*) FROM nt")" &&
	test_equal t "$(pg_sql app "SELECT to_regclass(\$\$nt_id\$\$) IS NOT NULL")"
'

test_expect_success '--dry-run shows the data inline after its statement' '
	printf "CREATE TABLE dr (id int);\nCOPY dr FROM stdin;\n41\n42\n\\\\.\n" >migrations/5_dry.sql &&
	strata -d "$DB" up --dry-run >out 2>err &&
	grep -A3 "^COPY dr FROM stdin;" out >block &&
	printf "COPY dr FROM stdin;\n41\n42\n\\\\.\n" >expect.block &&
	test_cmp expect.block block &&
	test_no_table app public.dr
'

test_expect_success 'a big block goes in pieces' '
	{
		echo "CREATE TABLE big (id int, pad text);" &&
		echo "COPY big FROM stdin;" &&
		seq 1 30000 | sed "s/\$/	padding-padding-padding-padding-padding-padding/" &&
		echo "\\."
	} >migrations/6_big.sql &&
	test $(wc -c <migrations/6_big.sql) -gt 1200000 &&
	strata -d "$DB" up >out 2>err &&
	test_equal "30000 450015000" "$(pg_sql app "SELECT count(*) || \$\$ \$\$ || sum(id) FROM big")"
'

test_expect_success 'COPY data in a seed loads its rows' '
	pg_sql app "TRUNCATE expect" &&
	printf "%s\n" \
		"COPY t (id, note, tag) FROM stdin;" \
		"10	seeded\\tvalue	\\N" \
		"11	ünï	x" \
		"\\." \
		>seeds/rows.sql &&
	pg_sql app "INSERT INTO expect VALUES (10, \$\$seeded\$\$ || chr(9) || \$\$value\$\$, NULL), (11, \$\$ünï\$\$, \$\$x\$\$)" &&
	rm migrations/6_big.sql migrations/5_dry.sql &&
	pg_sql app "DELETE FROM strata_migrations WHERE version IN (\$\$5\$\$, \$\$6\$\$)" &&
	strata -d "$DB" seed >out 2>err &&
	pg_sql app "CREATE TABLE seeded AS SELECT * FROM t WHERE id >= 10" &&
	test_equal 0 "$(diff_rows app seeded)"
'

test_expect_success 'a bad row in a seed: its file line, nothing recorded' '
	printf "COPY t (id, note, tag) FROM stdin;\n20\ta\tb\n21\tonly-two\n\\\\.\n" >seeds/rows2.sql &&
	test_expect_code 1 strata -d "$DB" seed >out 2>err &&
	test_grep "seeds/rows2.sql:3:1" err &&
	test_equal 0 "$(pg_sql app "SELECT count(*) FROM t WHERE id >= 20")" &&
	test_equal 0 "$(pg_sql app "SELECT count(*) FROM strata_migrations_scripts WHERE name = \$\$rows2\$\$")"
'

test_expect_success 'COPY data in a repeatable migration, run again when the data changes' '
	rm seeds/rows2.sql &&
	printf "TRUNCATE codes;\nCOPY codes FROM stdin;\nA\tone\nB\ttwo\n\\\\.\n" >migrations/R__codes.sql &&
	echo "CREATE TABLE codes (code text, label text);" >migrations/5_codes.sql &&
	strata -d "$DB" up >out 2>err &&
	test_equal "A B" "$(pg_sql app "SELECT string_agg(code, \$\$ \$\$ ORDER BY code) FROM codes")" &&
	sed -i "s/^B\ttwo\$/B\ttwo\nC\tthree/" migrations/R__codes.sql &&
	strata -d "$DB" up >out 2>err &&
	test_equal "A B C" "$(pg_sql app "SELECT string_agg(code, \$\$ \$\$ ORDER BY code) FROM codes")"
'

test_done

#!/bin/bash
test_description='where the database is: -d, --url-env, DATABASE_URL, DB_*, PG*; .env; strata.ini environments; --table'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

DBS="d_flag d_urlenv d_dburl d_dbvars d_pg"

# which of the databases got a history table (space-separated)
where_hist() {
	local d out=
	for d in $DBS; do
		if pg_table_exists $d public.strata_migrations; then
			out="$out $d"
		fi
	done
	echo "${out# }"
}

reset_dbs() {
	local d
	for d in $DBS; do
		pg_sql $d "DROP TABLE IF EXISTS public.strata_migrations, public.marker" || return 1
	done
}

test_where() {
	test_equal "$1" "$(where_hist)" "databases with a history table"
}

# the URL forms, one per source
url_kv() { pg_url "$1"; }
url_query() { printf 'postgresql://postgres@/%s?host=%s&port=%s\n' "$1" "$PGHOST" "$PGPORT"; }
url_enc() { pg_uri "$1"; }

test_expect_success 'setup' '
	for d in $DBS d_shared d_other; do pg_createdb $d || return 1; done &&
	mkdir -p prec/migrations &&
	echo "CREATE TABLE marker (id int);" >prec/migrations/1_marker.sql
'

# every source set, each to its own database
all_sources() {
	env MYURL="$(url_query d_urlenv)" \
	    DATABASE_URL="$(url_enc d_dburl)" \
	    DB_HOST="$PGHOST" DB_PORT="$PGPORT" DB_USER=postgres \
	    DB_PASSWORD=not-used DB_NAME=d_dbvars \
	    PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres PGDATABASE=d_pg \
	    "$@"
}

test_expect_success '-d beats every other source' '
	(cd prec && all_sources timeout 60 "$STRATA" -d "$(url_kv d_flag)" --url-env MYURL up) >out 2>err &&
	test_where "d_flag"
'

test_expect_success '--url-env VAR beats DATABASE_URL, DB_* and PG*' '
	reset_dbs &&
	(cd prec && all_sources timeout 60 "$STRATA" --url-env MYURL up) >out 2>err &&
	test_where "d_urlenv"
'

test_expect_success 'DATABASE_URL beats DB_* and PG*' '
	reset_dbs &&
	(cd prec && all_sources timeout 60 "$STRATA" up) >out 2>err &&
	test_where "d_dburl"
'

test_expect_success 'DB_HOST/DB_PORT/DB_USER/DB_PASSWORD/DB_NAME beat PG*' '
	reset_dbs &&
	(cd prec && all_sources env -u DATABASE_URL timeout 60 "$STRATA" up) >out 2>err &&
	test_where "d_dbvars"
'

test_expect_success 'DB_USERNAME and DB_DATABASE work too' '
	reset_dbs &&
	(cd prec && all_sources env -u DATABASE_URL -u DB_USER -u DB_NAME \
		DB_USERNAME=postgres DB_DATABASE=d_dbvars timeout 60 "$STRATA" up) >out 2>err &&
	test_where "d_dbvars"
'

test_expect_success 'DB_NAME alone (no DB_HOST) is enough to use the DB_* variables' '
	reset_dbs &&
	(cd prec && env -u DATABASE_URL PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE=d_pg \
		DB_NAME=d_dbvars timeout 60 "$STRATA" up) >out 2>err &&
	test_where "d_dbvars"
'

test_expect_success 'libpq PGHOST/PGDATABASE last' '
	reset_dbs &&
	(cd prec && all_sources env -u DATABASE_URL -u DB_HOST -u DB_PORT -u DB_USER \
		-u DB_PASSWORD -u DB_NAME timeout 60 "$STRATA" up) >out 2>err &&
	test_where "d_pg"
'

test_expect_success '-d accepts a postgresql:// URL with %-encoded socket host' '
	reset_dbs &&
	(cd prec && strata -d "$(url_enc d_flag)" up) >out 2>err &&
	test_where "d_flag"
'

test_expect_success '-d accepts a postgresql:// URL with ?host=' '
	reset_dbs &&
	(cd prec && strata -d "$(url_query d_flag)" up) >out 2>err &&
	test_where "d_flag"
'

test_expect_success 'setup .env' '
	reset_dbs &&
	mkdir -p dotenv/migrations &&
	cp prec/migrations/1_marker.sql dotenv/migrations/ &&
	cat >dotenv/.env <<-EOF &&
	# a comment
	DATABASE_URL=$(url_enc d_dburl)
	EOF
	cat >dotenv/other.env <<-EOF
	DATABASE_URL="$(url_kv d_dbvars)"
	EOF
'

test_expect_success '.env in the working directory is read' '
	(cd dotenv && strata up) >out 2>err &&
	test_where "d_dburl"
'

test_expect_success '.env never overrides a variable already set' '
	reset_dbs &&
	(cd dotenv && env DATABASE_URL="$(url_kv d_flag)" timeout 60 "$STRATA" up) >out 2>err &&
	test_where "d_flag"
'

test_expect_success '.env does not beat --url-env' '
	reset_dbs &&
	(cd dotenv && env MYURL="$(url_kv d_urlenv)" timeout 60 "$STRATA" --url-env MYURL up) >out 2>err &&
	test_where "d_urlenv"
'

test_expect_success '--env-file FILE is read instead of ./.env' '
	reset_dbs &&
	(cd dotenv && strata --env-file other.env up) >out 2>err &&
	test_where "d_dbvars"
'

test_expect_success '.env can hold the variable named by --url-env' '
	reset_dbs &&
	echo "MY_APP_URL='"'"'$(url_kv d_pg)'"'"'" >dotenv/app.env &&
	(cd dotenv && strata --env-file app.env --url-env MY_APP_URL up) >out 2>err &&
	test_where "d_pg"
'

test_expect_success 'setup strata.ini with two environments' '
	reset_dbs &&
	mkdir -p ini/db/main ini/db/backend ini/db/validator &&
	echo "CREATE TABLE main1 (id int);" >ini/db/main/1_main1.sql &&
	echo "CREATE TABLE b1 (id int);" >ini/db/backend/1_b1.sql &&
	echo "CREATE TABLE b2 (id int);" >ini/db/backend/2_b2.sql &&
	echo "CREATE TABLE v1 (id int);" >ini/db/validator/1_v1.sql &&
	cat >ini/strata.ini <<-EOF
	; defaults
	[strata]
	migrations = db/main
	table = public.main_history

	[env.backend]
	migrations = db/backend
	table = public.backend_history
	url_env = BACKEND_URL

	[env.validator]
	migrations = db/validator
	table = public.validator_history
	url = $(url_kv d_shared)
	EOF
'

test_expect_success '[strata] defaults: migrations folder and table' '
	(cd ini && strata -d "$(url_kv d_other)" up) >out 2>err &&
	test_table d_other public.main_history &&
	test_table d_other main1 &&
	test_no_table d_other public.strata_migrations &&
	test_hist d_other "1" public.main_history
'

test_expect_success '-e backend: its folder, its table, its url_env' '
	(cd ini && env BACKEND_URL="$(url_kv d_shared)" timeout 60 "$STRATA" -e backend up) >out 2>err &&
	test_hist d_shared "1 2" public.backend_history &&
	test_table d_shared b2 &&
	test_no_table d_shared v1
'

test_expect_success '-e validator: its folder, its table, its url; two histories in one database' '
	(cd ini && strata -e validator up) >out 2>err &&
	test_hist d_shared "1" public.validator_history &&
	test_hist d_shared "1 2" public.backend_history &&
	test_table d_shared v1 &&
	test_no_table d_shared main1 &&
	test_no_table d_shared public.strata_migrations
'

test_expect_success 'each environment sees only its own history' '
	(cd ini && strata -e validator status --json) >v.json 2>err &&
	json_check v.json "[(m[\"version\"], m[\"state\"]) for m in d[\"migrations\"]] == [(\"1\", \"applied\")]" &&
	(cd ini && env BACKEND_URL="$(url_kv d_shared)" timeout 60 "$STRATA" -e backend status --exit-code) >out 2>err
'

test_expect_success '-d beats the environment url: validator into another database' '
	(cd ini && strata -e validator -d "$(url_kv d_other)" up) >out 2>err &&
	test_hist d_other "1" public.validator_history &&
	test_table d_other v1
'

test_expect_success '-s beats the environment folder' '
	pg_createdb d_third &&
	(cd ini && strata -e validator -s db/backend -d "$(url_kv d_third)" up) >out 2>err &&
	test_hist d_third "1 2" public.validator_history &&
	test_table d_third b1
'

test_expect_success '-e nosuch exits 2 and names it' '
	(cd ini && test_expect_code 2 strata -e nosuch status) >out 2>err &&
	test_grep nosuch err
'

test_expect_success '-c FILE reads another config file' '
	mkdir -p ini/conf &&
	cat >ini/conf/alt.ini <<-EOF &&
	[strata]
	migrations = db/validator
	table = public.alt_history
	EOF
	pg_createdb d_alt &&
	(cd ini && strata -c conf/alt.ini -d "$(url_kv d_alt)" up) >out 2>err &&
	test_hist d_alt "1" public.alt_history &&
	test_table d_alt v1
'

test_expect_success 'an unknown key in the config exits 1 with file:line' '
	mkdir -p badini &&
	printf "[strata]\nmigrations = db\nmigratoins_typo = oops\n" >badini/strata.ini &&
	(cd badini && test_expect_code 1 strata -d "$(url_kv d_other)" status) >out 2>err &&
	test_grep "strata.ini:3" err &&
	test_grep "migratoins_typo" err
'

test_expect_success '--table myschema.my_history creates the table there' '
	pg_createdb d_tab &&
	pg_sql d_tab "CREATE SCHEMA myschema" &&
	(cd prec && strata -d "$(url_kv d_tab)" --table myschema.my_history up) >out 2>err &&
	test_hist d_tab "1" myschema.my_history &&
	test_no_table d_tab public.strata_migrations &&
	test_no_table d_tab public.my_history &&
	(cd prec && strata -d "$(url_kv d_tab)" --table myschema.my_history status --exit-code) >out 2>err
'

test_expect_success '--table without a schema goes to public' '
	pg_createdb d_tab2 &&
	(cd prec && strata -d "$(url_kv d_tab2)" --table my_history up) >out 2>err &&
	test_hist d_tab2 "1" public.my_history
'

test_done

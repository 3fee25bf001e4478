# lib-pg.sh - throwaway PostgreSQL clusters (and PgBouncer) for strata's
# tests and demo.
#
# Sourced by the test scripts (after test-lib.sh) and by scripts/pg-tmp.sh.
# Works as root: initdb, postgres and pgbouncer run as the user postgres
# (PG_OS_USER) through runuser. Only bash and the PostgreSQL 15 binaries
# are needed.
#
#	pg_start [DIR]	initdb + start a cluster in DIR (default: a new
#			/tmp/strata-t.XXXXXX, removed by pg_stop); unix socket
#			in DIR, no TCP (listen_addresses=''). Exports PGHOST,
#			PGPORT, PGUSER, PGDATABASE; sets PG_DIR, PG_DATA.
#	pg_stop		stop it (immediate) and remove the temporary directory
#	pg_url DB	conninfo string for database DB (key=value form)
#	pg_uri DB	the same as a postgresql:// URL (socket dir %-encoded)
#	pg_psql ARGS	psql -X -At -v ON_ERROR_STOP=1 ... against the cluster
#	pg_sql DB SQL	run SQL in DB, print the result (unaligned, tuples only)
#	pg_createdb DB	create a database
#	pg_log		path of the server log (log_statement=all)
#	pgbouncer_start	PgBouncer in transaction pool mode on 127.0.0.1:<free
#			port> in front of the cluster; exports PGBOUNCER_PORT
#	pgbouncer_url DB  conninfo string through PgBouncer
#	pgbouncer_stop
#	free_port	print a TCP port free on 127.0.0.1

PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir 2>/dev/null)}
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_OS_USER=${PG_OS_USER:-postgres}
PGBOUNCER=${PGBOUNCER:-$(command -v pgbouncer 2>/dev/null || echo /usr/sbin/pgbouncer)}

# Run a command as the cluster's OS user (ourselves when we are not root).
pg_as_owner_() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_OS_USER" -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# pg_start [DIR]
pg_start() {
	local dir=${1:-}
	if [ -z "$dir" ]; then
		dir=$(mktemp -d /tmp/strata-t.XXXXXX) || return 1
		PG_DIR_TEMP=1
	else
		mkdir -p "$dir" || return 1
		dir=$(cd "$dir" && pwd)
		PG_DIR_TEMP=
	fi
	PG_DIR=$dir
	PG_DATA=$dir/data
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_OS_USER": "$dir" && chmod 755 "$dir" || return 1
	fi
	# PostgreSQL refuses unix socket paths longer than 107 bytes
	if [ ${#dir} -gt 90 ]; then
		echo "pg_start: $dir: path too long for a unix socket" >&2
		return 1
	fi
	# a port number only names the socket file (no TCP), but make it vary
	# so that a wrong PGPORT cannot reach the cluster by chance
	local port=$((20000 + RANDOM % 20000))

	if type test_atexit >/dev/null 2>&1; then
		test_atexit "pg_stop_dir_ '$dir' '${PG_DIR_TEMP}'"
	fi

	pg_as_owner_ "$PG_BINDIR/initdb" -D "$PG_DATA" -A trust -N -U postgres \
		-E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		echo "pg_start: initdb failed:" >&2
		cat "$dir/initdb.log" >&2
		return 1
	}
	cat >>"$PG_DATA/postgresql.conf" <<-EOF
	# strata tests
	listen_addresses = ''
	port = $port
	unix_socket_directories = '$dir'
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	log_statement = 'all'
	log_line_prefix = '%m [%p] %q%u@%d %a: '
	log_min_error_statement = error
	max_connections = 100
	shared_buffers = 32MB
	restart_after_crash = off
	EOF
	echo "$port" >"$dir/port"
	pg_as_owner_ "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$dir/server.log" \
		-w -t 60 start >"$dir/pg_ctl.log" 2>&1 || {
		echo "pg_start: pg_ctl start failed:" >&2
		cat "$dir/pg_ctl.log" "$dir/server.log" >&2
		return 1
	}
	pg_env_ "$dir"
}

# Export the libpq variables for the cluster in DIR.
pg_env_() {
	PG_DIR=$1
	PG_DATA=$1/data
	PGHOST=$1
	PGPORT=$(cat "$1/port") || return 1
	PGUSER=postgres
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE PG_DIR PG_DATA
}

pg_stop_dir_() {
	local dir=$1 temp=$2
	if [ -f "$dir/pgbouncer/pgbouncer.pid" ]; then
		kill -TERM "$(cat "$dir/pgbouncer/pgbouncer.pid")" 2>/dev/null
	fi
	if [ -f "$dir/data/postmaster.pid" ]; then
		pg_as_owner_ "$PG_BINDIR/pg_ctl" -D "$dir/data" stop -m immediate \
			-w -t 30 >/dev/null 2>&1
	fi
	if [ -n "$temp" ]; then
		rm -rf "$dir"
	fi
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_stop_dir_ "$PG_DIR" "${PG_DIR_TEMP:-}"
}

# pg_restart [MODE]
pg_restart() {
	pg_as_owner_ "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" \
		-w -t 60 -m "${1:-fast}" restart >/dev/null
}

pg_url() {
	printf 'host=%s port=%s user=postgres dbname=%s\n' "$PGHOST" "$PGPORT" "${1:-postgres}"
}

pg_uri() {
	local h=${PGHOST//\//%2F}
	printf 'postgresql://postgres@%s:%s/%s\n' "$h" "$PGPORT" "${1:-postgres}"
}

pg_log() {
	printf '%s\n' "$PG_DIR/server.log"
}

pg_psql() {
	"$PG_BINDIR/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres "$@"
}

# pg_sql DB SQL
pg_sql() {
	pg_psql -d "$1" -c "$2"
}

pg_createdb() {
	pg_psql -d postgres -c "CREATE DATABASE \"$1\""
}

pg_dropdb() {
	pg_psql -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

# pg_table_exists DB NAME: NAME (maybe schema-qualified) is a relation.
pg_table_exists() {
	local r
	r=$(pg_sql "$1" "SELECT to_regclass('$2') IS NOT NULL") || return 1
	[ "$r" = t ]
}

pgbouncer_start() {
	local dir=$PG_DIR/pgbouncer
	mkdir -p "$dir" || return 1
	PGBOUNCER_PORT=$(free_port) || return 1
	cat >"$dir/pgbouncer.ini" <<-EOF
	[databases]
	* = host=$PG_DIR port=$PGPORT
	[pgbouncer]
	listen_addr = 127.0.0.1
	listen_port = $PGBOUNCER_PORT
	unix_socket_dir =
	auth_type = trust
	auth_file = $dir/userlist.txt
	pool_mode = transaction
	default_pool_size = 3
	max_client_conn = 200
	server_reset_query =
	ignore_startup_parameters = ${PGBOUNCER_IGNORE:-extra_float_digits}
	logfile = $dir/pgbouncer.log
	pidfile = $dir/pgbouncer.pid
	admin_users = postgres
	EOF
	cat >"$dir/userlist.txt" <<-EOF
	"postgres" ""
	"canary" ""
	EOF
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$PG_OS_USER": "$dir" || return 1
	fi
	pg_as_owner_ "$PGBOUNCER" -d -q "$dir/pgbouncer.ini" >"$dir/start.log" 2>&1 || {
		echo "pgbouncer_start: failed:" >&2
		cat "$dir/start.log" "$dir/pgbouncer.log" >&2 2>/dev/null
		return 1
	}
	local i
	for i in $(seq 1 100); do
		if "$PG_BINDIR/psql" -X -At -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres \
			-d postgres -c 'SELECT 1' >/dev/null 2>&1; then
			export PGBOUNCER_PORT
			return 0
		fi
		sleep 0.1
	done
	echo "pgbouncer_start: not answering on 127.0.0.1:$PGBOUNCER_PORT" >&2
	cat "$dir/pgbouncer.log" >&2 2>/dev/null
	return 1
}

pgbouncer_url() {
	printf 'host=127.0.0.1 port=%s user=postgres dbname=%s\n' "$PGBOUNCER_PORT" "${1:-postgres}"
}

pgbouncer_stop() {
	local pidf=$PG_DIR/pgbouncer/pgbouncer.pid
	[ -f "$pidf" ] || return 0
	local pid
	pid=$(cat "$pidf")
	kill -TERM "$pid" 2>/dev/null
	local i
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$pidf"
}

# --- helpers for strata's history table --------------------------------------

# pg_start or give up on the whole script.
test_pg_start() {
	pg_start "$@" || {
		echo "Bail out! cannot start PostgreSQL"
		exit 1
	}
}

# hist_versions DB [TABLE]: the versions recorded, in version order, one
# per line (fails when the table does not exist).
hist_versions() {
	pg_sql "$1" "SELECT version FROM ${2:-public.strata_migrations}
		ORDER BY length(version), version"
}

# hist_count DB [TABLE]: number of history rows; 0 if no history table.
hist_count() {
	local t=${2:-public.strata_migrations}
	if pg_table_exists "$1" "$t"; then
		pg_sql "$1" "SELECT count(*) FROM $t"
	else
		echo 0
	fi
}

# test_hist DB "V1 V2 ..." [TABLE]: the history holds exactly these
# versions (normalised: no leading zeros).
test_hist() {
	local got
	got=$(hist_versions "$1" "${3:-}" | tr '\n' ' ' | sed -e 's/ $//') || return 1
	test_equal "$2" "$got" "versions in ${3:-public.strata_migrations} of $1"
}

# test_no_history DB [TABLE]: the history table was not even created.
test_no_history() {
	if pg_table_exists "$1" "${2:-public.strata_migrations}"; then
		echo "test_no_history: ${2:-public.strata_migrations} exists in $1" >&2
		return 1
	fi
}

# test_table DB NAME / test_no_table DB NAME
test_table() {
	pg_table_exists "$1" "$2" || { echo "test_table: $2 missing in $1" >&2; return 1; }
}
test_no_table() {
	if pg_table_exists "$1" "$2"; then
		echo "test_no_table: $2 exists in $1" >&2
		return 1
	fi
}

# pg_log_mark: remember where the server log ends; pg_log_since prints what
# was logged after that.
pg_log_mark() {
	PG_LOG_MARK=$(stat -c %s "$PG_DIR/server.log")
}
pg_log_since() {
	tail -c +"$((${PG_LOG_MARK:-0} + 1))" "$PG_DIR/server.log"
}

# test_no_statements_since_mark: the server logged no statement since
# pg_log_mark (log_statement=all logs every statement any client sent).
test_no_statements_since_mark() {
	pg_log_since >"$TRASH_DIRECTORY/.test-output/log-since"
	if grep -q "statement: " "$TRASH_DIRECTORY/.test-output/log-since"; then
		echo "test_no_statements_since_mark: the server received statements:" >&2
		grep "statement: " "$TRASH_DIRECTORY/.test-output/log-since" | sed -e 's/^/| /' >&2
		return 1
	fi
}

# pg_wait_for DB SQL [SECONDS]: poll until SQL returns t (default 20 s).
pg_wait_for() {
	local i n=$(( ${3:-20} * 10 ))
	for ((i = 0; i < n; i++)); do
		if [ "$(pg_sql "$1" "$2" 2>/dev/null)" = t ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "pg_wait_for: timed out waiting for: $2" >&2
	return 1
}

# pg_wait_query DB PATTERN: wait until another backend runs a query
# matching the LIKE pattern.
pg_wait_query() {
	pg_wait_for "$1" "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND state = 'active'
		AND query LIKE '$2')" "${3:-20}"
}

# strata_backend_pid DB: pid of strata's backend (application_name strata%)
strata_backend_pid() {
	pg_sql "$1" "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'strata%'
		AND pid <> pg_backend_pid() ORDER BY backend_start DESC LIMIT 1"
}

#!/bin/bash
# pg-tmp.sh - a throwaway PostgreSQL cluster, for the demo and for poking at
# strata by hand. A thin command line over tests/lib-pg.sh.
#
#	scripts/pg-tmp.sh start DIR	initdb + start a cluster in DIR (unix
#					socket in DIR, no TCP); prints its conninfo
#	scripts/pg-tmp.sh url DIR [DB]	conninfo of database DB (default postgres)
#	scripts/pg-tmp.sh uri DIR [DB]	the same as a postgresql:// URL
#	scripts/pg-tmp.sh psql DIR ARGS	psql against the cluster
#	scripts/pg-tmp.sh stop DIR	stop it and remove the cluster's files
#
# Runs as root too: the server runs as the user postgres. DIR must be
# reachable by that user and short (a unix socket path is at most 107 bytes).
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/lib-pg.sh
. "$here/../tests/lib-pg.sh"

usage() {
	echo "usage: $(basename "$0") start DIR | stop DIR | url DIR [DB] | uri DIR [DB] | psql DIR [ARGS]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2

case "$cmd" in
start)
	if [ -f "$dir/data/postmaster.pid" ]; then
		echo "pg-tmp: a cluster is already running in $dir" >&2
		exit 1
	fi
	if [ -e "$dir/data" ]; then
		echo "pg-tmp: $dir/data exists; run '$0 stop $dir' first" >&2
		exit 1
	fi
	pg_start "$dir" || exit 1
	pg_url postgres
	;;
stop)
	[ -d "$dir" ] || exit 0
	dir=$(cd "$dir" && pwd)
	pg_stop_dir_ "$dir" ""
	rm -rf "$dir/data" "$dir/pgbouncer" "$dir/port" "$dir/server.log" \
		"$dir/initdb.log" "$dir/pg_ctl.log"
	rmdir "$dir" 2>/dev/null
	exit 0
	;;
url|uri)
	[ -f "$dir/port" ] || { echo "pg-tmp: no cluster in $dir" >&2; exit 1; }
	pg_env_ "$(cd "$dir" && pwd)" || exit 1
	if [ "$cmd" = url ]; then
		pg_url "${1:-postgres}"
	else
		pg_uri "${1:-postgres}"
	fi
	;;
psql)
	[ -f "$dir/port" ] || { echo "pg-tmp: no cluster in $dir" >&2; exit 1; }
	pg_env_ "$(cd "$dir" && pwd)" || exit 1
	pg_psql "$@"
	;;
*)
	usage
	;;
esac

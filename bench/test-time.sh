#!/usr/bin/env bash
# bench/test-time.sh - how long `strata test` (the rollback proof) takes per
# migration, on 200 generated migrations and on examples/minegnk.
#
#   bench/test-time.sh /abs/path/to/strata
#
# Starts a throwaway cluster (tests/lib-pg.sh; as root the server runs as
# user postgres), generates N up+down pairs (tables, indexes, columns,
# views, in turn), runs `strata test --json` and `strata test --chain
# --json` RUNS times over each project, and prints a markdown table of the
# medians on stdout. The scratch databases are created on that cluster.
#
# Environment (optional): TEST_TIME_N (migrations, default 200),
# TEST_TIME_RUNS (runs per row, default 3).
set -euo pipefail
export LC_ALL=C

STRATA_BIN=${1:?usage: bench/test-time.sh /abs/path/to/strata}
[[ -x $STRATA_BIN ]] || { echo "test-time.sh: $STRATA_BIN is not an executable" >&2; exit 2; }
N=${TEST_TIME_N:-200}
RUNS=${TEST_TIME_RUNS:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

# shellcheck source=../tests/lib-pg.sh
. "$REPO/tests/lib-pg.sh"
WORK=$(mktemp -d /tmp/strata-test-time.XXXXXX)
chmod 755 "$WORK"
cleanup() {
	pg_stop_dir_ "$WORK/pg" ""
	rm -rf "$WORK"
}
trap cleanup EXIT
pg_start "$WORK/pg" >/dev/null
pg_createdb bench

# gen DIR N: N migrations, four kinds in turn, each with an exact down
gen() {
	local dir=$1 n=$2 i v t
	mkdir -p "$dir"
	for ((i = 1; i <= n; i++)); do
		v=$(printf '%04d' "$i")
		t=$(( (i - 1) / 4 + 1 ))
		case $(( (i - 1) % 4 )) in
		0)	printf 'CREATE TABLE t%d (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n' "$t" >"$dir/${v}_table_$t.up.sql"
			printf 'DROP TABLE t%d;\n' "$t" >"$dir/${v}_table_$t.down.sql" ;;
		1)	printf 'CREATE INDEX t%d_name_idx ON t%d (name);\n' "$t" "$t" >"$dir/${v}_index_$t.up.sql"
			printf 'DROP INDEX t%d_name_idx;\n' "$t" >"$dir/${v}_index_$t.down.sql" ;;
		2)	printf 'ALTER TABLE t%d ADD COLUMN score integer NOT NULL DEFAULT 0;\n' "$t" >"$dir/${v}_column_$t.up.sql"
			printf 'ALTER TABLE t%d DROP COLUMN score;\n' "$t" >"$dir/${v}_column_$t.down.sql" ;;
		3)	printf 'CREATE VIEW t%d_top AS SELECT id, name, score FROM t%d WHERE score > 10;\n' "$t" "$t" >"$dir/${v}_view_$t.up.sql"
			printf 'DROP VIEW t%d_top;\n' "$t" >"$dir/${v}_view_$t.down.sql" ;;
		esac
	done
}
gen "$WORK/gen" "$N"

# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# row NAME DIR [--chain]: run RUNS times, print one markdown row
row() {
	local name=$1 dir=$2 mode=${3:-} i out wall
	local walls=() perm=()
	for ((i = 0; i < RUNS; i++)); do
		out=$WORK/out.json
		local t0 t1
		t0=$(date +%s%N)
		"$STRATA_BIN" -d "$(pg_url bench)" -s "$dir" test --json $mode >"$out" 2>"$WORK/err" || {
			echo "test-time.sh: strata test failed on $name:" >&2
			cat "$WORK/err" >&2
			exit 1
		}
		t1=$(date +%s%N)
		walls+=($(( (t1 - t0) / 1000000 )))
		perm+=($(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ms_per_migration"])' "$out"))
	done
	wall=$(printf '%s\n' "${walls[@]}" | median)
	local migrations
	migrations=$("$STRATA_BIN" -s "$dir" validate --offline --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["migrations"])')
	if [[ -n $mode ]]; then
		printf '| %s | %d | chain | %s | %.1f |\n' "$name" "$migrations" "$wall" \
			"$(awk -v w="$wall" -v n="$migrations" 'BEGIN { print w / n }')"
	else
		printf '| %s | %d | each | %s | %s |\n' "$name" "$migrations" "$wall" \
			"$(printf '%s\n' "${perm[@]}" | median)"
	fi
}

echo "### strata test: time per migration (median of $RUNS runs)"
echo
echo "| project | migrations | mode | wall ms | ms per migration |"
echo "| --- | ---: | --- | ---: | ---: |"
row "generated (tables, indexes, columns, views)" "$WORK/gen"
row "generated (tables, indexes, columns, views)" "$WORK/gen" --chain
row "examples/minegnk" "$REPO/examples/minegnk/migrations"
row "examples/minegnk" "$REPO/examples/minegnk/migrations" --chain
echo
echo "each: up, down, up again per migration, the schema read three times per"
echo "migration; chain: all ups, all downs, all ups, the schema read four times"
echo "in all. Wall time includes creating and dropping the scratch database."

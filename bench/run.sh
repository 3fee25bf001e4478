#!/usr/bin/env bash
# bench/run.sh - benchmark strata against psql floors and peer tools.
#
#   bench/run.sh /abs/path/to/strata          (what `make bench` runs)
#
# Uses the shared benchmark kit (shared/bench: install-peers.sh, pg.sh,
# gen.sh, run.sh, count.sh) without copying it, and writes bench/REPORT.md.
# In one run it:
#   1. installs the peers (kit's install-peers.sh: Debian packages + npm),
#      resets and starts the kit's throwaway cluster (pg.sh, which starts the
#      server as user postgres when run as root) and stops it on exit;
#   2. times strata and the peers against the floors, alternating A B A B
#      (bench/ab.py), medians of 5 counted runs, ratio per round;
#   3. counts statements per migration from the server log (kit's count.sh);
#   4. renders bench/REPORT.md (bench/report.py).
# Takes about 25 minutes on a 2-core VM. Work files, raw results and the
# server log go to bench/work/ (git-ignored); bench/work/last -> this run.
#
# Environment (all optional):
#   BENCH_KIT      the kit                 (default: ../shared/bench beside the
#                                           repository, else /work/shared/bench)
#   BENCH_PGDATA   cluster data directory  (default /tmp/strata-bench-pg; deleted at the end)
#   BENCH_PGPORT   cluster port            (default 55432)
#   BENCH_PEERS    npm prefix for peers    (default /tmp/peers)
#   BENCH_RUNS     counted runs per row    (default 5; at least 5 for a real report)
#   BENCH_N / BENCH_NS / BENCH_NXL         sizes (default 1000 / 100 / 10000)
#   BENCH_PEERS_XL=0                       skip the peers' one RSS run at BENCH_NXL
#   BENCH_SKIP_INSTALL=1                   do not run install-peers.sh
#   BENCH_REPORT   where to write the report (default bench/REPORT.md)
#   BENCH_FLEET=1                          add the fleet row (50 databases x
#                                          BENCH_NS migrations, -j 1 vs -j 4;
#                                          about 4 more minutes, so not by
#                                          default)
#   BENCH_FLEET_DBS                        databases in the fleet (default 50)
#   BENCH_ONLY_FLEET=1                     run the fleet row alone (no peers,
#                                          no other rows; its report goes to
#                                          bench/work/last/REPORT.md unless
#                                          BENCH_REPORT says otherwise)
#   BENCH_SCHEMA=1                         add the schema rows: `strata test`
#                                          time per migration (test-time.sh), and `strata dump`
#                                          vs `pg_dump -s` of a generated
#                                          schema (bench/gen-schema.py; about
#                                          1 more minute)
#   BENCH_SCHEMA_TABLES                    tables in it (default 2000)
#   BENCH_ONLY_SCHEMA=1                    run the schema row alone (as
#                                          BENCH_ONLY_FLEET)
set -euo pipefail
export LC_ALL=C

STRATA_BIN=${1:?usage: bench/run.sh /abs/path/to/strata}
[[ -x $STRATA_BIN ]] || { echo "run.sh: $STRATA_BIN is not an executable" >&2; exit 2; }
STRATA_BIN=$(cd "$(dirname "$STRATA_BIN")" && pwd)/$(basename "$STRATA_BIN")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
if [[ -z ${BENCH_KIT:-} ]]; then
    for k in "$REPO/../shared/bench" /work/shared/bench; do
        [[ -x $k/run.sh ]] && { BENCH_KIT=$(cd "$k" && pwd); break; }
    done
fi
[[ -n ${BENCH_KIT:-} && -x $BENCH_KIT/run.sh ]] || { echo "run.sh: benchmark kit not found (set BENCH_KIT)" >&2; exit 2; }
KIT=$BENCH_KIT

export BENCH_KIT
export BENCH_WORK=$HERE/work
export BENCH_PGDATA=${BENCH_PGDATA:-/tmp/strata-bench-pg}
export BENCH_PGPORT=${BENCH_PGPORT:-55432}
export BENCH_PEERS=${BENCH_PEERS:-/tmp/peers}
STRATA_SRC=$STRATA_BIN
RUNS=${BENCH_RUNS:-5}
WARMUP=1
SU_RUNS=20          # start-up rounds for the peers
SU_RUNS_STRATA=60   # and for strata (its target is the tight one: <= 1.0x psql)
NL=${BENCH_N:-1000}
NS=${BENCH_NS:-100}
NXL=${BENCH_NXL:-10000}
REPORT=${BENCH_REPORT:-$HERE/REPORT.md}

PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
AB=("$PY" "$HERE/ab.py")
KRUN=$KIT/run.sh

T0=$(date +%s)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH_WORK/run-$STAMP
mkdir -p "$OUT"
ln -sfn "run-$STAMP" "$BENCH_WORK/last"
LOGF=$OUT/bench.log
exec 3>&2
exec 2> >(tee -a "$LOGF" >&3)

# Measure a copy: a rebuild of build/strata during the run (make check in
# another shell) must not switch binaries half-way.
cp -p "$STRATA_SRC" "$OUT/strata"
STRATA_BIN=$OUT/strata
export STRATA=$STRATA_BIN

# The kit's workload builds indexes and CHECK constraints on tables made by
# earlier migrations, which 'strata lint' reports as errors, so a plain 'up'
# would stop before applying anything. The runs start in $OUT, whose
# strata.ini says lint = warn: apply times include linting every pending
# migration and printing the findings, as 'up --force' does.
printf '[strata]\nlint = warn\n' >"$OUT/strata.ini"
cd "$OUT"

say() { printf '[bench %s +%ds] %s\n' "$(date -u +%H:%M:%S)" $(($(date +%s) - T0)) "$*" >&2; }

# ---------------------------------------------------------------------------
# 1. peers, cluster
# ---------------------------------------------------------------------------
if [[ ${BENCH_SKIP_INSTALL:-0} != 1 && ${BENCH_ONLY_FLEET:-0} != 1 && ${BENCH_ONLY_SCHEMA:-0} != 1 ]]; then
    say "installing peers (Debian packages + npm) with $KIT/install-peers.sh"
    if ! "$KIT/install-peers.sh" >"$OUT/install.log" 2>&1; then
        say "install-peers.sh failed; apt-get update and retry"
        apt-get update >>"$OUT/install.log" 2>&1 || true
        "$KIT/install-peers.sh" >>"$OUT/install.log" 2>&1 ||
            { tail -n 30 "$OUT/install.log" >&2; say "install-peers.sh failed"; exit 1; }
    fi
fi
[[ -x /usr/bin/time ]] || { say "installing package time"; apt-get install -y --no-install-recommends time >>"$OUT/install.log" 2>&1; }
command -v pg_config >/dev/null || { say "pg_config missing (postgresql-15 not installed?)"; exit 1; }
PGBIN=$(pg_config --bindir)
[[ -x $PGBIN/psql ]] || PGBIN=/usr/lib/postgresql/15/bin
export PATH="$PGBIN:$PATH"

export PGHOST=127.0.0.1 PGPORT=$BENCH_PGPORT PGUSER=postgres PGSSLMODE=disable
STARTED=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    trap '' PIPE
    exec 2>&3   # the tee behind stderr may be gone already (Ctrl-C, kill)
    if ((STARTED)); then
        [[ -f $BENCH_PGDATA/server.log ]] && cp "$BENCH_PGDATA/server.log" "$OUT/server.log" 2>/dev/null || true
        "$KIT/pg.sh" stop >&2 || true
        rm -rf "$BENCH_PGDATA" "$BENCH_PGDATA.initdb.log"
    fi
    say "done (exit $rc) after $(($(date +%s) - T0)) s; raw results in $OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$KIT/pg.sh" status >/dev/null 2>&1 && "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$BENCH_PGPORT"; then
    say "port $BENCH_PGPORT is taken by another server; set BENCH_PGPORT"
    exit 1
fi
say "resetting the throwaway cluster in $BENCH_PGDATA (port $BENCH_PGPORT)"
STARTED=1
"$KIT/pg.sh" reset >&2
SERVERLOG=$BENCH_PGDATA/server.log
rm -rf "$BENCH_WORK/pool" "$BENCH_WORK/count"

# ---------------------------------------------------------------------------
# machine and versions
# ---------------------------------------------------------------------------
others=$(ps -eo args= | awk -v d="$BENCH_PGDATA" '$1 ~ /\/postgres$/ && $2 == "-D" && $3 != d { print $3 }' | sort -u | paste -sd, -)
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) vCPU, virtualisation: $(systemd-detect-virt 2>/dev/null || echo unknown)"
    echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)"
    echo "cores: $(nproc)"
    echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME") (Debian $(cat /etc/debian_version 2>/dev/null))"
    echo "kernel: $(uname -r)"
    echo "disk: $(df -hT "$BENCH_PGDATA" | awk 'NR == 2 { print $2 ", " $3 " total, " $5 " free" }')"
    echo "server: PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), fsync=$(psql -X -At -d postgres -c 'SHOW fsync'), synchronous_commit=$(psql -X -At -d postgres -c 'SHOW synchronous_commit'), shared_buffers=$(psql -X -At -d postgres -c 'SHOW shared_buffers'); clients over TCP 127.0.0.1, sslmode=disable"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "other PostgreSQL servers running: ${others:-none}"
    gitrev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')
    dirty=$(git -C "$REPO" status --porcelain -- src 2>/dev/null | head -n1)
    echo "strata binary: $STRATA_SRC (built $(date -u -r "$STRATA_BIN" '+%Y-%m-%d %H:%M:%S UTC'), $(stat -c %s "$STRATA_BIN") bytes, sha256 $(sha256sum "$STRATA_BIN" | cut -c1-12)…, \`$("$STRATA_BIN" --version 2>&1)\`), copied to bench/work/run-$STAMP/strata at the start and measured from there; repository at commit $gitrev${dirty:+, with uncommitted changes in src/ (the binary may include them)}"
    echo "runs: $RUNS"
    echo "warmup: $WARMUP"
    echo "startup runs: $SU_RUNS_STRATA for strata, $SU_RUNS for the peers"
} >"$OUT/meta.txt"
"$KRUN" versions >"$OUT/versions.txt" 2>&1 || true
say "$(grep -c . "$OUT/versions.txt") version lines; other PostgreSQL servers on this machine: ${others:-none}"

# ---------------------------------------------------------------------------
# 2. timings
# ---------------------------------------------------------------------------
RES=$OUT/results.jsonl
: >"$RES"

# fleet: the same NS migrations on FLEET_DBS databases, strata --targets
# -j 1 against -j 4, alternated; before each run every database is emptied
# (DROP SCHEMA public CASCADE, untimed). The ratio is the speed-up of -j 4.
fleet_row() {
    local dbs=${BENCH_FLEET_DBS:-50} dir=$OUT/fleet i db
    say "fleet: $dbs databases x $NS migrations, strata -j 1 vs -j 4"
    mkdir -p "$dir"
    "$KIT/gen.sh" "$NS" "$dir/gen" >/dev/null
    : >"$dir/targets"
    : >"$dir/reset.sql"
    for i in $(seq -w 1 "$dbs"); do
        db=strata_fleet_$i
        psql -X -q -d postgres -c "SET client_min_messages = warning" \
            -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
        echo "postgres://postgres@127.0.0.1:$BENCH_PGPORT/$db?sslmode=disable" >>"$dir/targets"
        printf '\\c %s\nSET client_min_messages = warning;\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n' "$db" >>"$dir/reset.sql"
    done
    "${AB[@]}" direct --id fleet-strata --measure fleet --a-name "strata -j 1" --b-name "strata -j 4" \
        --a-cmd "$STRATA_BIN --targets $dir/targets -j 1 -s $dir/gen/sql up" \
        --b-cmd "$STRATA_BIN --targets $dir/targets -j 4 -s $dir/gen/sql up" \
        --prep "psql -X -q -v ON_ERROR_STOP=1 -d postgres -f $dir/reset.sql" \
        --runs "$RUNS" --warmup "$WARMUP" --rss-runs 0 --out "$RES" || say "ab.py failed for the fleet"
    echo "fleet: $dbs databases x $NS migrations" >>"$OUT/meta.txt"
    for i in $(seq -w 1 "$dbs"); do
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS strata_fleet_$i" >/dev/null || true
    done
}

# schema: `strata dump` against `pg_dump -s` (the server's own version) of
# one generated schema (bench/gen-schema.py: BENCH_SCHEMA_TABLES tables in
# 10 schemas, each with a primary key, a check, defaults, an index and a
# foreign key; views, functions, triggers), alternated; the ratio is
# strata's wall time over pg_dump's in the same round. Both write to a
# file (ab.py's stdout capture); strata with -o - so no config interferes.
schema_row() {
    local n=${BENCH_SCHEMA_TABLES:-2000} dir=$OUT/schema db=strata_schema url
    say "schema: $n tables, strata dump vs pg_dump -s"
    mkdir -p "$dir"
    "$PY" "$HERE/gen-schema.py" "$n" >"$dir/schema.sql"
    psql -X -q -d postgres -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    # not one transaction: 2 000 tables need more locks than one may hold
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$dir/schema.sql" >/dev/null
    psql -X -q -d "$db" -c "VACUUM ANALYZE" >/dev/null
    url="postgres://postgres@127.0.0.1:$BENCH_PGPORT/$db?sslmode=disable"
    "$STRATA_BIN" -d "$url" dump -o - >"$dir/strata.sql"
    "$PGBIN/pg_dump" -s -h 127.0.0.1 -p "$BENCH_PGPORT" -U postgres "$db" >"$dir/pg_dump.sql"
    "${AB[@]}" direct --id schema-dump --measure dump --a-name "strata dump" --b-name "pg_dump -s" \
        --a-cmd "$STRATA_BIN -d $url dump -o -" \
        --b-cmd "$PGBIN/pg_dump -s -h 127.0.0.1 -p $BENCH_PGPORT -U postgres $db" \
        --runs "$RUNS" --warmup "$WARMUP" --rss-runs 1 --out "$RES" || say "ab.py failed for the schema row"
    echo "schema: $n tables, $(grep -c '^-- ' "$dir/strata.sql") objects in strata's dump ($(wc -l <"$dir/strata.sql") lines; pg_dump -s: $(wc -l <"$dir/pg_dump.sql") lines)" >>"$OUT/meta.txt"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null || true
    # the rollback proof's cost per migration (its own cluster, not timed against a floor)
    say "schema: strata test over 200 generated migrations and examples/minegnk"
    "$HERE/test-time.sh" "$STRATA_BIN" >"$OUT/test-time.md" 2>"$OUT/test-time.err" ||
        say "test-time.sh failed (see $OUT/test-time.err)"
}

if [[ ${BENCH_ONLY_FLEET:-0} == 1 || ${BENCH_ONLY_SCHEMA:-0} == 1 ]]; then
    [[ ${BENCH_ONLY_FLEET:-0} == 1 ]] && fleet_row
    [[ ${BENCH_ONLY_SCHEMA:-0} == 1 ]] && schema_row
    REPORT=${BENCH_REPORT:-$OUT/REPORT.md}
    "$PY" "$HERE/report.py" render "$OUT" "$REPORT"
    say "wrote $REPORT (only the rows asked for)"
    exit 0
fi

# pair MEASURE N TOOL [RUNS WARMUP]: TOOL alternated with floor-1rt
pair() {
    local m=$1 n=$2 t=$3 runs=${4:-$RUNS} warm=${5:-$WARMUP} size=L extra=()
    ((n == NS)) && size=S
    ((n == NXL)) && size=XL
    [[ $m == noop || $m == status ]] && extra=(--c none)
    say "$m N=$n: $t vs floor-1rt ($warm warm-up + $runs rounds)"
    "${AB[@]}" kit --id "$m-$size-$t" --a "$t" --b floor-1rt --n "$n" --measure "$m" \
        --runs "$runs" --warmup "$warm" "${extra[@]}" --out "$RES" || say "ab.py failed for $m $t"
}
clean() { local t; for t in "$@"; do "$KRUN" clean "$t" >/dev/null 2>&1 || true; done; }

# start-up: the binaries themselves, no wrapper
DBMATE_BIN=$BENCH_PEERS/node_modules/@dbmate/linux-x64/bin/dbmate
declare -A SU=(
    [strata]="$STRATA_BIN --version"
    [dbmate]="$DBMATE_BIN --version"
    [sql-migrate]="$(command -v sql-migrate || echo sql-migrate) --version"
    [sqitch]="$(command -v sqitch || echo sqitch) --version"
    [alembic]="$(command -v alembic || echo alembic) --version"
)
for t in strata dbmate sql-migrate sqitch alembic; do
    r=$SU_RUNS
    [[ $t == strata ]] && r=$SU_RUNS_STRATA
    say "startup: $t vs psql --version (3 warm-up + $r rounds)"
    "${AB[@]}" direct --id "startup-$t" --a-name "$t" --a-cmd "${SU[$t]}" \
        --b-name psql --b-cmd "$PGBIN/psql --version" --runs "$r" --warmup 3 --out "$RES" ||
        say "ab.py failed for startup $t"
done

# apply
for t in strata floor dbmate alembic sql-migrate; do pair apply "$NL" "$t"; clean "$t"; done
for t in strata sqitch; do pair apply "$NS" "$t"; clean "$t"; done
clean floor-1rt

# no-op up and status (same migrated database for both)
for t in strata dbmate alembic sql-migrate; do
    pair noop "$NL" "$t"; pair status "$NL" "$t"; clean "$t"
done
for t in strata sqitch; do
    pair noop "$NS" "$t"; pair status "$NS" "$t"; clean "$t"
done
clean floor-1rt

# down
for t in strata alembic sql-migrate; do pair down "$NL" "$t"; clean "$t"; done
for t in strata sqitch dbmate; do pair down "$NS" "$t"; clean "$t"; done
clean floor-1rt

# ---------------------------------------------------------------------------
# 3. statements per migration (kit's count.sh: N=10 and N=100)
# ---------------------------------------------------------------------------
: >"$OUT/counts.txt"
count() {
    local t=$1 m=$2 line
    say "count.sh $t $m"
    if line=$("$KIT/count.sh" "$t" "$m" 2>>"$LOGF"); then
        echo "$line" >>"$OUT/counts.txt"
    else
        echo "FAILED $t $m" >>"$OUT/counts.txt"
    fi
}
for m in apply noop status down; do
    off=$(stat -c %s "$SERVERLOG")
    count strata "$m"
    if [[ $m == apply ]]; then
        "$PY" "$HERE/report.py" excerpt "$SERVERLOG" "$off" b_strata_apply_1 "$OUT/strata-apply-excerpt.txt" migration || true
    fi
    cp "$BENCH_WORK/count/strata-$m-10.txt" "$OUT/count-strata-$m-10.txt" 2>/dev/null || true
done
count floor-1rt apply
for t in dbmate alembic sqitch sql-migrate; do
    for m in apply noop status down; do count "$t" "$m"; done
done

# ---------------------------------------------------------------------------
# 4. N = 10 000: strata's peak RSS (and time) vs floor-1rt, then the peers' RSS
# ---------------------------------------------------------------------------
pair apply "$NXL" strata "$RUNS" 0
clean strata floor-1rt
if [[ ${BENCH_PEERS_XL:-1} != 0 ]]; then
    for t in dbmate sql-migrate alembic-pertx; do
        say "apply N=$NXL: $t, one run for peak RSS"
        "${AB[@]}" kit --id "rss-XL-$t" --a "$t" --n "$NXL" --measure apply --runs 1 --warmup 0 --out "$RES" ||
            say "ab.py failed for $t"
        clean "$t"
    done
fi

if [[ ${BENCH_FLEET:-0} == 1 ]]; then fleet_row; fi
if [[ ${BENCH_SCHEMA:-0} == 1 ]]; then schema_row; fi

# ---------------------------------------------------------------------------
# 5. report
# ---------------------------------------------------------------------------
T1=$(date +%s)
{
    echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "duration: $(((T1 - T0) / 60)) min $(((T1 - T0) % 60)) s (peer install and cluster start included)"
} >>"$OUT/meta.txt"
"$PY" "$HERE/report.py" render "$OUT" "$REPORT"
say "wrote $REPORT"

#!/usr/bin/env python3
"""report.py - turn one bench/run.sh run into bench/REPORT.md.

    report.py render RUNDIR OUT.md     RUNDIR holds results.jsonl, counts.txt,
                                       meta.txt, versions.txt, strata-*.txt
    report.py excerpt LOG OFFSET DB OUT [MAX]
                                       the messages DB received in the server
                                       log after byte OFFSET (full text, the
                                       log's continuation lines included)

Every number in the report is computed here from that run's raw records:
medians over the counted (non-warm-up) runs, and ratios as the median of the
per-round A/B ratios (A = the tool, B = the floor timed right next to it).
"""
import json
import os
import re
import statistics
import sys
from collections import OrderedDict

MiB = 1024.0

# targets from the brief
T_APPLY = 1.05
T_NOOP = 1.2
T_STARTUP = 1.0
T_RSS_MIB = 12.0
T_STMTS = 2.0
T_DUMP = 0.5


def load(rundir):
    recs = []
    with open(os.path.join(rundir, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    groups = OrderedDict()
    for r in recs:
        groups.setdefault(r["id"], []).append(r)
    return groups


def med(xs):
    return statistics.median(xs) if xs else None


class Stat:
    """Aggregates of one ab.py call (one id)."""

    def __init__(self, recs):
        self.recs = recs
        counted = [r for r in recs if not r["warmup"] and not r.get("rss_only")]
        rss_recs = [r for r in recs if not r["warmup"] and r.get("rss_kib") and r["rc"] == 0]
        if any(r.get("rss_only") for r in rss_recs):
            # direct mode: only the /usr/bin/time runs count (see ab.py)
            rss_recs = [r for r in rss_recs if r.get("rss_only")]
        by_round = OrderedDict()
        for r in counted:
            by_round.setdefault(r["round"], {})[r["role"]] = r
        self.rounds = by_round
        self.roles = {}
        for role in ("A", "B", "C"):
            rs = [r for r in counted if r["role"] == role]
            if not rs:
                continue
            ok = [r for r in rs if r["rc"] == 0]
            self.roles[role] = {
                "tool": rs[0]["tool"], "n": rs[0]["n"], "runs": len(rs), "ok": len(ok),
                "wall": med([r["wall"] for r in ok]),
                "cpu": med([r["cpu"] for r in ok if r.get("cpu") is not None]),
                "rss": med([r["rss_kib"] for r in rss_recs if r["role"] == role]),
                "rss_max": max([r["rss_kib"] for r in rss_recs if r["role"] == role], default=None),
                "errors": [r.get("error", "") for r in rs if r["rc"] != 0],
                "cmd": rs[0].get("cmd"),
            }
        ratios, nets = [], []
        for rd in by_round.values():
            a, b, c = rd.get("A"), rd.get("B"), rd.get("C")
            if not (a and b and a["rc"] == 0 and b["rc"] == 0):
                continue
            ratios.append(a["wall"] / b["wall"])
            if c and c["rc"] == 0 and b["wall"] > c["wall"]:
                nets.append((a["wall"] - c["wall"]) / (b["wall"] - c["wall"]))
        self.ratios, self.nets = ratios, nets

    def ratio(self):
        return med(self.ratios)

    def net(self):
        return med(self.nets)

    def get(self, role, key):
        return self.roles.get(role, {}).get(key)


def fr(xs, v):
    """'1.23 (1.10–1.40)' from the median v and the list xs."""
    if v is None:
        return "—"
    return f"**{v:.2f}** ({min(xs):.2f}–{max(xs):.2f})"


def fs(v, d=3):
    return "—" if v is None else f"{v:.{d}f}"


def fmib(kib):
    return "—" if kib is None else f"{kib / MiB:.1f}"


def ok_str(st, role):
    r = st.roles.get(role)
    if not r:
        return "—"
    s = f"{r['ok']}/{r['runs']}"
    return s if r["ok"] == r["runs"] else f"**{s}**"


def verdict(value, target, unit="×", lower_is_better=True):
    if value is None:
        return "**not measured (failed)**"
    if value <= target:
        return f"**met** ({value:.2f}{unit} ≤ {target:g}{unit})"
    over = value - target
    pct = 100.0 * over / target
    return f"**missed** by {over:.2f}{unit} ({value:.2f}{unit} vs ≤ {target:g}{unit}, {pct:.0f} % over)"


def read_kv(path):
    d = OrderedDict()
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    d[k.strip()] = v.strip()
    return d


def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


COUNT_RE = re.compile(r"^(\S+)\s+(\S+)\s+statements N=10:\s+(\d+)\s+N=100:\s+(\d+)\s+per migration:\s+([-\d.]+)"
                      r"\s+fixed:\s+([-\d.]+)\s+sessions N=10:\s+(\d+) N=100:\s+(\d+) \(per migration ([-\d.]+)\)")


def load_counts(path):
    out = OrderedDict()
    for line in read(path).splitlines():
        m = COUNT_RE.match(line.strip())
        if m:
            t, meas = m.group(1), m.group(2)
            out[(t, meas)] = {"s10": int(m.group(3)), "s100": int(m.group(4)), "per": float(m.group(5)),
                              "fixed": float(m.group(6)), "c10": int(m.group(7)), "c100": int(m.group(8)),
                              "cper": float(m.group(9))}
        elif line.startswith("FAILED "):
            parts = line.split()
            out[(parts[1], parts[2])] = None
    return out


TOOL_NOTE = {
    "strata": "strata",
    "floor": "floor (psql, 1 Query per statement)",
    "floor-1rt": "floor-1rt",
    "dbmate": "dbmate",
    "alembic": "alembic (default: 1 transaction for the run)",
    "alembic-pertx": "alembic-pertx (1 transaction per migration)",
    "sqitch": "sqitch",
    "sql-migrate": "sql-migrate",
}


def tname(t):
    return TOOL_NOTE.get(t, t)


def render(rundir, out_md):
    G = load(rundir)
    S = {k: Stat(v) for k, v in G.items()}
    meta = read_kv(os.path.join(rundir, "meta.txt"))
    counts = load_counts(os.path.join(rundir, "counts.txt"))
    versions = read(os.path.join(rundir, "versions.txt")).strip()
    L = []
    w = L.append

    def st(i):
        return S.get(i)

    # ---------------------------------------------------------------- header
    w("# strata benchmark report")
    w("")
    w(f"Generated by `make bench` (`bench/run.sh`) on **{meta.get('date', '?')}**; the whole run took "
      f"{meta.get('duration', '?')}. Every figure below was measured in that one run "
      "(nothing is copied from `shared/bench/RESULTS-baseline.md`). Raw records: "
      "`bench/work/last/results.jsonl` (git-ignored).")
    w("")

    # ---------------------------------------------------------------- targets
    def nof(i, default):
        s = st(i)
        return s.get("A", "n") if s and s.get("A", "n") else default

    NL, NS, NXL = nof("apply-L-strata", 1000), nof("apply-S-strata", 100), nof("apply-XL-strata", 10000)

    def nfmt(n):
        return f"{n:,}".replace(",", " ")

    a1k = st("apply-L-strata")
    noop = st("noop-L-strata")
    stat_ = st("status-L-strata")
    su = st("startup-strata")
    r10 = st("apply-XL-strata")
    dn = st("down-L-strata")
    ca = counts.get(("strata", "apply"))
    cd = counts.get(("strata", "down"))
    w("## Targets")
    w("")
    w("| measure | target | strata (median of per-round ratios, min–max) | verdict |")
    w("|---|---|---|---|")
    if a1k:
        w(f"| apply {nfmt(NL)} migrations to an empty database, vs `floor-1rt` | ≤ {T_APPLY}× | {fr(a1k.ratios, a1k.ratio())} "
          f"| {verdict(a1k.ratio(), T_APPLY)} |")
    for name, s in (("no-op `up`", noop), ("`status`", stat_)):
        if s:
            w(f"| {name} with {nfmt(NL)} applied, vs the floor's no-op; wrapper cost subtracted (net) | ≤ {T_NOOP}× "
              f"| net {fr(s.nets, s.net())}; as measured {fr(s.ratios, s.ratio())} | {verdict(s.net(), T_NOOP)} |")
    if su:
        w(f"| `--version` start-up vs `psql --version` | ≤ {T_STARTUP}× | {fr(su.ratios, su.ratio())} "
          f"| {verdict(su.ratio(), T_STARTUP)} |")
    if r10:
        rss = r10.get("A", "rss")
        w(f"| peak RSS, apply of {nfmt(NXL)} migrations (`/usr/bin/time -v`) | ≤ {T_RSS_MIB:g} MiB "
          f"| median **{fmib(rss)} MiB** (max {fmib(r10.get('A', 'rss_max'))}; psql floor-1rt "
          f"{fmib(r10.get('B', 'rss'))} MiB in the same call) "
          f"| {verdict(None if rss is None else rss / MiB, T_RSS_MIB, ' MiB')} |")
    if ca is not None and ("strata", "apply") in counts:
        down_s = "" if cd is None else f"; down {cd['per']:.2f} per migration"
        w(f"| statements per migration (apply), server log, `count.sh` | ≤ {T_STMTS:g} "
          f"| **{ca['per']:.2f}** (+{ca['fixed']:.0f} fixed){down_s} "
          f"| {verdict(ca['per'], T_STMTS, '')} |")
    if dn:
        w(f"| `down --all` of {nfmt(NL)} vs `floor-1rt` | (no target) | {fr(dn.ratios, dn.ratio())} | — |")
    fl = st("fleet-strata")
    if fl:
        w(f"| fleet of {meta.get('fleet', '?')}: `up -j 1` time / `up -j 4` time (the speed-up) | (no target) "
          f"| {fr(fl.ratios, fl.ratio())} | — |")
    sd = st("schema-dump")
    if sd:
        w(f"| `strata dump` vs `pg_dump -s`, {meta.get('schema', '?').split(',')[0]} | ≤ {T_DUMP:g}× "
          f"| {fr(sd.ratios, sd.ratio())} | {verdict(sd.ratio(), T_DUMP)} |")
    w("")

    # ---------------------------------------------------------------- machine
    w("## Machine and versions")
    w("")
    for k in ("machine", "cpu", "cores", "memory", "os", "kernel", "disk", "server",
              "load at start", "load at end", "other PostgreSQL servers running", "strata binary"):
        if k in meta:
            w(f"* {k}: {meta[k]}")
    w("")
    w("```")
    w(versions)
    w("```")
    w("")

    # ---------------------------------------------------------------- method
    w("## Method")
    w("")
    w("* The kit in `shared/bench/` is used as it is: `pg.sh` (throwaway PostgreSQL 15 cluster, 127.0.0.1, "
      "trust, `fsync=on`, started as user `postgres`; `bench/run.sh` resets it at the start and stops it at the "
      "end), `gen.sh` (the generated workload: 10-step cycle of CREATE TABLE/INDEX/TYPE, ADD COLUMN, plpgsql "
      "trigger, seed INSERTs), `run.sh prep` / `run.sh exec` (the exact command lines per tool, real binaries "
      "first on `PATH`), `count.sh` (statements from `log_statement = 'all'`). `BENCH_WORK=bench/work`.")
    w("* **Alternation**: for every row, `bench/ab.py` runs the tool (A) and its floor (B) alternately "
      "A B A B … in one call; before every timed run an untimed `run.sh prep TOOL N MEASURE 1` gives it a fresh "
      "database (apply), a fresh `CREATE DATABASE … TEMPLATE` clone of a database the tool itself migrated "
      "(down), or that migrated database (noop/status). Creating and dropping databases is never timed.")
    w(f"* **Runs**: {meta.get('warmup', '1')} warm-up round (not counted) + {meta.get('runs', '5')} counted rounds "
      f"for N ≤ {nfmt(NL)}; no warm-up + {meta.get('runs', '5')} rounds for strata at N = {nfmt(NXL)}; "
      f"for start-up 3 warm-up rounds, then counted rounds: {meta.get('startup runs', '20')}. "
      "**Medians** of the counted runs.")
    w("* **Ratio** = median of the per-round A/B wall-time ratios, with the min–max of those ratios in brackets; "
      "the floor's median is from the same call. Absolute seconds drift between calls on this shared VM: "
      "compare ratios, not seconds across rows.")
    w("* **Timer**: wall time from `time.perf_counter_ns()` around spawn + wait of "
      "`/usr/bin/time -v run.sh exec TOOL N MEASURE` (peak RSS and CPU from `/usr/bin/time -v`). "
      "That wrapper (bash + `time`) costs a few ms and is inside both A and B. For no-op and status, the kit's "
      "`none` tool (the wrapper running `true`) is timed as a third command in each round (A B C …); "
      "**net** ratio = median of (A−C)/(B−C). Start-up is timed without any wrapper: the binaries are "
      "spawned directly from Python (CPU from `wait4()`'s rusage); their peak RSS comes from 5 extra, untimed runs "
      "of each under `/usr/bin/time`.")
    w("* **Floors**: `floor-1rt` = one `psql` session, each migration as one Query message "
      "(`BEGIN; <up>; INSERT history; COMMIT` joined with `\\;`); its no-op is `psql -c 'SELECT version, checksum "
      "FROM floor_migrations …'`; start-up floor is the real `psql --version` from `pg_config --bindir`.")
    w("* **Peers**: dbmate (Go binary, `--no-dump-schema`), Alembic (default = one transaction for the whole run), "
      f"sql-migrate at N = {nfmt(NL)}; **sqitch at N = {nfmt(NS)}** (it starts one psql per change, ~25 ms per "
      f"migration, so N = {nfmt(NL)} would take minutes per run), with a strata row at N = {nfmt(NS)} next to it. "
      f"**dbmate down at N = {nfmt(NS)}** too (dbmate rolls back one migration per process: N process starts). "
      f"At N = {nfmt(NXL)} the peers get "
      "**one RSS-only run each** (no floor, no timing ratio), and Alembic runs as `alembic-pertx` there because its "
      "default single transaction fails at that size (`out of shared memory`, see the kit's baseline).")
    w("")

    # ---------------------------------------------------------------- tables
    def table(title, ids, note=None, net=False, ms=False):
        rows = [(i, st(i)) for i in ids if st(i)]
        if not rows:
            return
        w(f"### {title}")
        w("")
        if note:
            w(note)
            w("")
        unit = "ms" if ms else "s"
        hdr = f"| tool | N | ok runs | median {unit} | floor median {unit} (same call) | ratio to floor (min–max)"
        sep = "|---|---:|---:|---:|---:|---:"
        if net:
            hdr += " | net ratio, wrapper subtracted (min–max)"
            sep += "|---:"
        hdr += " | cpu s | peak RSS MiB |"
        sep += "|---:|---:|"
        w(hdr)
        w(sep)
        for i, s in rows:
            k = 1000.0 if ms else 1.0
            a_w, b_w = s.get("A", "wall"), s.get("B", "wall")
            cells = [f"**{tname(s.get('A', 'tool'))}**" if s.get("A", "tool") == "strata" else tname(s.get("A", "tool")),
                     str(s.get("A", "n")) if s.get("A", "n") else "—", ok_str(s, "A"),
                     fs(None if a_w is None else a_w * k, 2 if ms else 3),
                     fs(None if b_w is None else b_w * k, 2 if ms else 3),
                     fr(s.ratios, s.ratio())]
            if net:
                cells.append(fr(s.nets, s.net()))
            cells += [fs(s.get("A", "cpu"), 3), fmib(s.get("A", "rss"))]
            w("| " + " | ".join(cells) + " |")
        floors = [(s.get("B", "tool"), s.get("B", "rss")) for _, s in rows if s.get("B", "rss")]
        if floors:
            w("")
            w(f"Floor ({floors[0][0]}) peak RSS in these calls: "
              f"{fmib(min(r for _, r in floors))}–{fmib(max(r for _, r in floors))} MiB.")
        if net:
            cs = [s.get("C", "wall") for _, s in rows if s.get("C", "wall")]
            if cs:
                w(f"Wrapper alone (`none`) in these calls: median {min(cs) * 1000:.1f}–{max(cs) * 1000:.1f} ms.")
        fails = [(i, s) for i, s in rows if any(s.roles[r]["ok"] < s.roles[r]["runs"] for r in s.roles)]
        for i, s in fails:
            for r, v in s.roles.items():
                if v["errors"]:
                    w("")
                    w(f"**{v['tool']} (N={v['n']}) failed in {v['runs'] - v['ok']} of {v['runs']} runs** "
                      f"(`{i}`), last error:")
                    w("")
                    w("```")
                    w(v["errors"][-1].strip()[-1500:])
                    w("```")
        w("")

    peers = ["dbmate", "alembic", "sql-migrate"]
    w("## 1. Apply all migrations to an empty database")
    w("")
    table(f"N = {nfmt(NL)} (floor: floor-1rt)", ["apply-L-strata", "apply-L-floor"] + [f"apply-L-{p}" for p in peers])
    table(f"N = {nfmt(NS)} (floor: floor-1rt) — sqitch's size", ["apply-S-strata", "apply-S-sqitch"])
    table(f"N = {nfmt(NXL)} (floor: floor-1rt; no warm-up)", ["apply-XL-strata"])

    w("## 2. No-op `up` and `status` with everything applied")
    w("")
    nn = ("The floor is psql reading the history table (`SELECT version, checksum FROM floor_migrations ORDER BY "
          "version`). Alembic's status is `alembic current`; the others' is `status`.")
    table(f"No-op `up`, N = {nfmt(NL)}", ["noop-L-strata"] + [f"noop-L-{p}" for p in peers], note=nn, net=True)
    table(f"No-op `up`, N = {nfmt(NS)}", ["noop-S-strata", "noop-S-sqitch"], net=True)
    table(f"`status`, N = {nfmt(NL)}", ["status-L-strata"] + [f"status-L-{p}" for p in peers], net=True)
    table(f"`status`, N = {nfmt(NS)}", ["status-S-strata", "status-S-sqitch"], net=True)

    w("## 3. Start-up (`--version`, no database)")
    w("")
    rows = [st(f"startup-{t}") for t in ["strata", "dbmate", "sql-migrate", "sqitch", "alembic"] if st(f"startup-{t}")]
    if rows:
        w("Binaries spawned directly (no wrapper), alternated with the real `psql --version`: 3 warm-up "
          f"rounds, then counted rounds: {meta.get('startup runs', '20')}. Millisecond timings on a shared VM: the "
          "min–max spread is wide; the median of the per-round ratios is the figure.")
        w("")
        w("| tool | command | ok runs | median ms | psql median ms (same call) | ratio to psql (min–max) | cpu ms | peak RSS MiB |")
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        for s in rows:
            t = s.get("A", "tool")
            w(f"| {'**strata**' if t == 'strata' else t} | `{s.get('A', 'cmd')}` | {ok_str(s, 'A')} "
              f"| {fs(s.get('A', 'wall') * 1000, 2)} | {fs(s.get('B', 'wall') * 1000, 2)} | {fr(s.ratios, s.ratio())} "
              f"| {fs(s.get('A', 'cpu') * 1000, 1)} | {fmib(s.get('A', 'rss'))} |")
        w("")
        w(f"`psql --version` peak RSS: {fmib(rows[0].get('B', 'rss'))} MiB (`{rows[0].get('B', 'cmd')}`).")
        w("")

    w("## 4. Peak RSS")
    w("")
    w("Largest resident set of the process tree (`/usr/bin/time -v`, which for `run.sh exec` is the tool itself: "
      "the wrapper `exec`s it). Medians of the counted runs.")
    w("")
    w(f"| tool | N = {nfmt(NS)} apply | N = {nfmt(NL)} apply | N = {nfmt(NL)} no-op | N = {nfmt(NXL)} apply |")
    w("|---|---:|---:|---:|---:|")

    def rssc(i, role="A"):
        s = st(i)
        if not s or role not in s.roles:
            return "—"
        v = fmib(s.get(role, "rss"))
        runs = s.roles[role]["runs"]
        if s.roles[role]["ok"] == 0:
            return "failed"
        return v if runs > 1 else f"{v} (1 run)"

    w(f"| **strata** | {rssc('apply-S-strata')} | {rssc('apply-L-strata')} | {rssc('noop-L-strata')} "
      f"| **{rssc('apply-XL-strata')}** |")
    w(f"| psql (floor-1rt) | {rssc('apply-S-strata', 'B')} | {rssc('apply-L-strata', 'B')} "
      f"| {rssc('noop-L-strata', 'B')} | {rssc('apply-XL-strata', 'B')} |")
    for p in ["dbmate", "alembic", "sql-migrate", "sqitch"]:
        if p == "sqitch":
            big = "not run (time)"
        elif p == "alembic":
            big = rssc("rss-XL-alembic-pertx")
            if big != "—":
                big += " (alembic-pertx)"
        else:
            big = rssc(f"rss-XL-{p}")
        w(f"| {p} | {rssc(f'apply-S-{p}')} | {rssc(f'apply-L-{p}')} | {rssc(f'noop-L-{p}')} | {big} |")
    w("")

    w("## 5. Statements and sessions per migration (server log)")
    w("")
    w("`shared/bench/count.sh TOOL MEASURE`: runs the measure at N = 10 and N = 100 on a database with "
      "`log_statement = 'all'` and counts the logged messages (one per simple Query, one per extended-protocol "
      "Execute; Parse/Bind/Sync are not logged). Per migration = (count(100) − count(10)) / 90; fixed = the rest.")
    w("")
    w("| tool | measure | statements N=10 | N=100 | per migration | fixed | sessions N=100 | new sessions per migration |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    for (t, m), c in counts.items():
        if c is None:
            w(f"| {t} | {m} | failed | | | | | |")
        else:
            name = f"**{t}**" if t == "strata" else t
            per = f"**{c['per']:.2f}**" if t == "strata" else f"{c['per']:.2f}"
            w(f"| {name} | {m} | {c['s10']} | {c['s100']} | {per} | {c['fixed']:.1f} | {c['c100']} | {c['cper']:.2f} |")
    w("")

    w("## 6. Roll back everything (`down`)")
    w("")
    table(f"N = {nfmt(NL)} (floor: floor-1rt running the down SQL)",
          ["down-L-strata", "down-L-alembic", "down-L-sql-migrate"],
          note="strata: `down --all`; alembic: `downgrade base`; sql-migrate: `down -limit=0`.")
    table(f"N = {nfmt(NS)}", ["down-S-strata", "down-S-sqitch", "down-S-dbmate"],
          note="sqitch: `revert -y`; dbmate: N × `rollback` (one migration per process).")

    fl = st("fleet-strata")
    if fl:
        w("## 7. A fleet of databases (`--targets FILE`, `-j N`)")
        w("")
        w(f"{meta.get('fleet', '?')} (the kit's workload), one `strata --targets FILE -j N up` applying "
          "everything to every database; `-j 1` and `-j 4` alternated, every database emptied before each run "
          "(`DROP SCHEMA public CASCADE`, untimed). The ratio is the speed-up of `-j 4` over `-j 1`; on this "
          "2-core VM the server's work and strata's share the cores, so 4 jobs cannot give 4×.")
        w("")
        w("| command | ok runs | median s | speed-up of `-j 4` (min–max) |")
        w("|---|---:|---:|---:|")
        for role in ("A", "B"):
            w(f"| `{fl.get(role, 'tool')}` | {ok_str(fl, role)} | {fs(fl.get(role, 'wall'), 2)} "
              f"| {fr(fl.ratios, fl.ratio()) if role == 'B' else '1'} |")
        for r, v in fl.roles.items():
            if v["errors"]:
                w("")
                w(f"**{v['tool']} failed in {v['runs'] - v['ok']} of {v['runs']} runs**, last error:")
                w("")
                w("```")
                w(v["errors"][-1].strip()[-1500:])
                w("```")
        w("")

    sd = st("schema-dump")
    if sd:
        w("## 8. Schema dump (`strata dump` vs `pg_dump -s`)")
        w("")
        w(f"One generated schema ({meta.get('schema', '?')}; `bench/gen-schema.py`: 10 schemas, each table "
          "with an identity primary key, defaults, a check, an index and a foreign key to the table before it; "
          "a view every 10 tables, a PL/pgSQL function and trigger every 20, a SQL function every 50), "
          "dumped by `strata dump -o -` and by `pg_dump -s` of the server's version, alternated, both to a file. "
          "The ratio is strata's wall time over pg_dump's in the same round.")
        w("")
        w("| command | ok runs | median s | CPU s (client) | peak RSS MiB | strata / pg_dump (min–max) |")
        w("|---|---:|---:|---:|---:|---:|")
        for role in ("A", "B"):
            w(f"| `{sd.get(role, 'tool')}` | {ok_str(sd, role)} | {fs(sd.get(role, 'wall'), 3)} "
              f"| {fs(sd.get(role, 'cpu'), 3)} | {fmib(sd.get(role, 'rss'))} "
              f"| {fr(sd.ratios, sd.ratio()) if role == 'A' else '1'} |")
        for r, v in sd.roles.items():
            if v["errors"]:
                w("")
                w(f"**{v['tool']} failed in {v['runs'] - v['ok']} of {v['runs']} runs**, last error:")
                w("")
                w("```")
                w(v["errors"][-1].strip()[-1500:])
                w("```")
        w("")

    tt = read(os.path.join(rundir, "test-time.md")).strip("\n")
    if tt:
        w("## 9. `strata test`: time per migration")
        w("")
        w("`bench/test-time.sh` (its own throwaway cluster): every migration up, down and up again in a "
          "scratch database, the schema read from the catalog after each step; and `--chain`. "
          "Medians of its runs; the time per migration includes the catalog reads.")
        w("")
        w(tt)
        w("")

    # ---------------------------------------------------------------- what strata sends
    w("## What strata sends")
    w("")
    for m in ("apply", "noop", "status", "down"):
        txt = read(os.path.join(rundir, f"count-strata-{m}-10.txt")).rstrip("\n")
        if txt:
            lines = txt.splitlines()
            w(f"`{m}`, N = 10: {len(lines)} messages (first line of each, 110 characters):")
            w("")
            w("```")
            if len(lines) > 16:
                w("\n".join(lines[:10]))
                w(f"… ({len(lines) - 14} more) …")
                w("\n".join(lines[-4:]))
            else:
                w(txt)
            w("```")
            w("")
    ex = read(os.path.join(rundir, "strata-apply-excerpt.txt")).rstrip("\n")
    if ex:
        w("One migration of the apply, in full, as the server logged it (`count.sh strata apply`, N = 10):")
        w("")
        w("```")
        w(ex)
        w("```")
        w("")

    notes = read(os.path.join(rundir, "notes.md")).strip()
    if notes:
        w("## Notes from this run")
        w("")
        w(notes)
        w("")

    with open(out_md, "w") as f:
        f.write("\n".join(L).rstrip("\n") + "\n")


TS_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def excerpt(log, offset, db, out, pick=None):
    """Write the messages DB received after OFFSET. With pick='migration':
    only the two messages around the 3rd message that contains 'INSERT INTO'
    (one whole migration of strata's apply)."""
    with open(log, "rb") as f:
        f.seek(int(offset))
        data = f.read().decode("utf-8", "replace")
    msgs, cur = [], None
    for line in data.splitlines():
        if TS_RE.match(line):
            if cur is not None:
                msgs.append(cur)
            parts = line.split(None, 6)
            cur = None
            if len(parts) >= 7 and parts[4] == db and parts[6].startswith("LOG:"):
                body = parts[6][4:].strip()
                if body.startswith("statement:") or body.startswith("execute"):
                    cur = [body]
        elif cur is not None and line.startswith("\t"):
            cur.append(line[1:])
    if cur is not None:
        msgs.append(cur)
    sel = msgs
    if pick == "migration":
        idx = [i for i, m in enumerate(msgs) if any("INSERT INTO" in x for x in m)]
        if len(idx) >= 3:
            i = idx[2]
            # the message with the script, plus whatever follows up to the next one with a script
            j = idx[3] if len(idx) > 3 else min(len(msgs), i + 3)
            sel = msgs[i:j]
        else:
            sel = msgs[:8]
    with open(out, "w") as f:
        for k, m in enumerate(sel):
            f.write(f"-- message {k + 1}\n")
            f.write("\n".join(m).rstrip() + "\n")


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "render":
        render(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 6 and sys.argv[1] == "excerpt":
        excerpt(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] if len(sys.argv) > 6 else None)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

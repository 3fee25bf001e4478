#!/usr/bin/env python3
"""ab.py - alternated A/B timing on top of the shared benchmark kit.

    ab.py kit    --id ID --a TOOL[:N] [--b TOOL[:N]] [--c TOOL[:N]] --measure M
                 [--runs 5] [--warmup 1] --out FILE.jsonl
    ab.py direct --id ID --a-cmd "ARGV" --b-cmd "ARGV" [--a-name X --b-name Y]
                 [--runs 20] [--warmup 3] [--prep "SHELL CMD"] [--measure M]
                 [--rss-runs 5] --out FILE.jsonl

`kit`: every timed run is the kit's own `run.sh exec TOOL N MEASURE` under
`/usr/bin/time -v` (peak RSS, CPU), preceded by an untimed `run.sh prep TOOL
N MEASURE 1` (a fresh database for apply, a fresh clone for down, the
tool-migrated database for noop/status). Runs alternate A B [C] A B [C] ...;
C (optional) is the kit's `none` tool, i.e. the cost of the wrapper itself,
so that a wrapper-free ("net") ratio can be computed per round.

`direct`: the two command lines are spawned as they are (no wrapper, no
shell), CPU from wait4()'s rusage. Used for start-up, where a ~3 ms wrapper
would hide the difference. Peak RSS comes from --rss-runs extra, untimed
runs of each under /usr/bin/time (wait4's ru_maxrss of a child of this
Python process would include the parent's pre-exec high-water mark).
With --prep, that shell command runs (untimed) before every timed run: the
fleet row resets its databases with it.

Wall time is measured here, with time.perf_counter_ns() around spawn+wait.
Each round appends one JSON object per command to FILE.jsonl, so a crash
later keeps what was measured. Nothing is aggregated here (see report.py).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

KIT = os.environ.get("BENCH_KIT", "/work/shared/bench")
RUN = os.path.join(KIT, "run.sh")
TMP = tempfile.TemporaryDirectory(prefix="strata-ab-")


def spawn_timed(argv, stdout_path):
    """Run argv, return (wall_ns, rc, rusage)."""
    with open(stdout_path, "wb") as out:
        t0 = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, out.fileno(), 2)])
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
    return t1 - t0, os.waitstatus_to_exitcode(status), ru


def parse_time_v(path):
    """Peak RSS (KiB) and user+sys CPU (s) from a /usr/bin/time -v file."""
    rss = cpu = None
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("Maximum resident set size (kbytes):"):
                    rss = int(line.rsplit(":", 1)[1])
                elif line.startswith("User time (seconds):") or line.startswith("System time (seconds):"):
                    cpu = (cpu or 0.0) + float(line.rsplit(":", 1)[1])
    except OSError:
        pass
    return rss, cpu


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def tool_spec(s, default_n):
    if ":" in s:
        t, n = s.rsplit(":", 1)
        return t, int(n)
    return s, default_n


def run_kit(args):
    roles = [("A", *tool_spec(args.a, args.n))]
    if args.b:
        roles.append(("B", *tool_spec(args.b, args.n)))
    if args.c:
        roles.append(("C", *tool_spec(args.c, args.n)))
    tmp = TMP.name
    tv, out = os.path.join(tmp, "time"), os.path.join(tmp, "out")
    total = args.warmup + args.runs
    with open(args.out, "a") as res:
        for i in range(total):
            for role, tool, n in roles:
                prep = subprocess.run([RUN, "prep", tool, str(n), args.measure, "1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                rec = {"id": args.id, "mode": "kit", "measure": args.measure, "role": role,
                       "tool": tool, "n": n, "round": i - args.warmup, "warmup": i < args.warmup}
                if prep.returncode != 0:
                    rec.update(rc=-1, error="prep failed: " + prep.stderr[-800:])
                else:
                    try:
                        os.unlink(tv)
                    except FileNotFoundError:
                        pass
                    argv = ["/usr/bin/time", "-v", "-o", tv, RUN, "exec", tool, str(n), args.measure]
                    ns, rc, _ = spawn_timed(argv, out)
                    rss, cpu = parse_time_v(tv)
                    rec.update(wall=ns / 1e9, rc=rc, rss_kib=rss, cpu=cpu)
                    if rc != 0:
                        rec["error"] = tail(out)
                res.write(json.dumps(rec) + "\n")
                res.flush()
                state = "warm-up" if rec["warmup"] else f"run {i - args.warmup + 1}/{args.runs}"
                if rec["rc"] == 0:
                    print(f"  {args.id}: {role} {tool} N={n} {args.measure} {state}: "
                          f"{rec['wall']:.3f} s {rec['rss_kib']} KiB", file=sys.stderr)
                else:
                    print(f"  {args.id}: {role} {tool} N={n} {args.measure} {state}: FAILED "
                          f"(rc {rec['rc']}): {rec.get('error', '').strip()[-300:]}", file=sys.stderr)


def run_direct(args):
    roles = [("A", args.a_name, shlex.split(args.a_cmd)), ("B", args.b_name, shlex.split(args.b_cmd))]
    tmp = TMP.name
    out = os.path.join(tmp, "out")
    with open(args.out, "a") as res:
        for i in range(args.warmup + args.runs):
            for role, name, argv in roles:
                if args.prep and subprocess.run(args.prep, shell=True, stdout=subprocess.DEVNULL).returncode:
                    print(f"  {args.id}: prep failed: {args.prep}", file=sys.stderr)
                ns, rc, ru = spawn_timed(argv, out)
                rec = {"id": args.id, "mode": "direct", "measure": args.measure, "role": role,
                       "tool": name, "n": 0, "round": i - args.warmup, "warmup": i < args.warmup,
                       "wall": ns / 1e9, "rc": rc,
                       "cpu": ru.ru_utime + ru.ru_stime, "cmd": " ".join(argv)}
                if rc != 0:
                    rec["error"] = tail(out)
                res.write(json.dumps(rec) + "\n")
                res.flush()
                if args.prep:
                    state = "warm-up" if rec["warmup"] else f"run {i - args.warmup + 1}/{args.runs}"
                    print(f"  {args.id}: {role} {name} {state}: {rec['wall']:.3f} s"
                          + ("" if rc == 0 else f" FAILED (rc {rc})"), file=sys.stderr)
        # Peak RSS separately, under /usr/bin/time: a child spawned from this
        # Python process starts as a copy (or vfork-share) of it, and the
        # kernel's ru_maxrss keeps that pre-exec high-water mark.
        tv = os.path.join(tmp, "time")
        for role, name, argv in roles:
            for _ in range(args.rss_runs):
                _, rc, _ = spawn_timed(["/usr/bin/time", "-f", "%M", "-o", tv] + argv, out)
                try:
                    with open(tv) as f:
                        rss = int(f.read().split()[-1])
                except (OSError, ValueError, IndexError):
                    rss = None
                res.write(json.dumps({"id": args.id, "mode": "direct", "measure": args.measure, "role": role,
                                      "tool": name, "n": 0, "round": -1, "warmup": False, "rss_only": True,
                                      "rc": rc, "rss_kib": rss}) + "\n")
    print(f"  {args.id}: {args.runs} rounds done", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("kit")
    k.add_argument("--id", required=True)
    k.add_argument("--a", required=True)
    k.add_argument("--b", help="the floor (omit: A alone, e.g. an RSS-only run)")
    k.add_argument("--c")
    k.add_argument("--n", type=int, default=1000)
    k.add_argument("--measure", required=True)
    k.add_argument("--runs", type=int, default=5)
    k.add_argument("--warmup", type=int, default=1)
    k.add_argument("--out", required=True)
    d = sub.add_parser("direct")
    d.add_argument("--id", required=True)
    d.add_argument("--a-cmd", required=True)
    d.add_argument("--b-cmd", required=True)
    d.add_argument("--a-name", default="A")
    d.add_argument("--b-name", default="B")
    d.add_argument("--runs", type=int, default=20)
    d.add_argument("--warmup", type=int, default=3)
    d.add_argument("--rss-runs", type=int, default=5)
    d.add_argument("--prep", help="shell command run, untimed, before every timed run")
    d.add_argument("--measure", default="startup")
    d.add_argument("--out", required=True)
    args = p.parse_args()
    (run_kit if args.cmd == "kit" else run_direct)(args)


if __name__ == "__main__":
    main()

#!/bin/bash
test_description='the lock table (src/lint/locks.c) proved against pg_locks on a real server'
. "$(dirname "$0")/../test-lib.sh"
. "$TEST_LIB_DIR/lib-pg.sh"
test_pg_start

FIX=$TEST_LIB_DIR/fixtures/locks

# prove.py DB: for each statement of statements.sql, what 'strata plan'
# says against what the server takes. A statement that can run in a
# transaction runs in one and pg_locks is read before ROLLBACK; one that
# cannot (CONCURRENTLY, VACUUM) runs while another session holds ACCESS
# EXCLUSIVE on its table, and the lock it waits for is read.
cat >prove.py <<'PY'
import json, os, subprocess, sys, time

db, plan_file, fix = sys.argv[1], sys.argv[2], sys.argv[3]
order = ["none", "AccessShareLock", "RowShareLock", "RowExclusiveLock",
         "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock",
         "ExclusiveLock", "AccessExclusiveLock"]
psql = [os.environ["PG_BINDIR"] + "/psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-d", db]

def sql(text, env=None):
    return subprocess.run(psql, input=text, capture_output=True, text=True, env=env)

def reload():
    r = sql("DROP SCHEMA public CASCADE; DROP SCHEMA IF EXISTS elsewhere CASCADE; CREATE SCHEMA public;\n"
            + open(fix + "/schema.sql").read())
    assert r.returncode == 0, r.stderr
    r = sql("SELECT c.oid, c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
            "AND c.relkind IN ('r', 'p', 'v', 'm')")
    return dict(l.split("|") for l in r.stdout.split())

def strongest(pairs):
    out = {}
    for rel, mode in pairs:
        if order.index(mode) > order.index(out.get(rel, "none")):
            out[rel] = mode
    return out

plan = json.load(open(plan_file))["migrations"][0]["statements"]
lines = open(fix + "/statements.sql").read().split("\n")
fixture = reload()
failed = 0
for st in plan:
    text = lines[st["line"] - 1]
    if not st["known"]:
        print("# unknown to the lock table: %s" % text); failed += 1; continue
    sure, maybe = [], []
    for l in st["locks"]:
        if l["relation"] is None:
            continue
        rel = l["relation"].split(".", 1)[1]
        (maybe if l["maybe"] else sure).append((rel, l["pg_mode"]))
    expect, may = strongest(sure), strongest(maybe)
    files = "SELECT '%s', oid, relfilenode FROM pg_class WHERE oid IN (" + ",".join(fixture) + ");\n"
    r = sql("BEGIN;\n" + files % "before" + "\\o /dev/null\n" + text + "\n\\o\n" + files % "after" +
            "SELECT 'lock', relation, mode FROM pg_locks WHERE pid = pg_backend_pid() "
            "AND locktype = 'relation' AND relation IS NOT NULL;\nROLLBACK;\n")
    waited = None
    rewrote = None
    if r.returncode == 0:
        rows = [l.split("|") for l in r.stdout.split()]
        got = strongest((fixture[o], m) for t, o, m in rows if t == "lock" and o in fixture)
        before = {o: f for t, o, f in rows if t == "before"}
        after = {o: f for t, o, f in rows if t == "after"}
        # new files for a table: it was rewritten (partitioned ones have none)
        rewrote = sorted(fixture[o] for o in after if after[o] != before[o] and before[o] != "0")
    elif "cannot run inside a transaction block" in r.stderr or "cannot be executed" in r.stderr:
        # the first relation claimed is held by a blocker
        target = sorted(expect)[0] if expect else None
        blocker = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        blocker.stdin.write("BEGIN; LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE; SELECT 'locked';\n" % target); blocker.stdin.flush()
        blocker.stdout.readline()
        env = dict(os.environ, PGAPPNAME="lock_probe")
        probe = subprocess.Popen(psql + ["-c", text], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        got, deadline = {}, time.time() + 20
        while time.time() < deadline:
            w = sql("SELECT l.relation, l.mode, l.granted FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE a.application_name = 'lock_probe' AND l.locktype = 'relation'")
            rows = [x.split("|") for x in w.stdout.split()]
            if any(g == "f" for _, _, g in rows):
                got = strongest((fixture[o], m) for o, m, g in rows if o in fixture)
                waited = [fixture.get(o, o) for o, m, g in rows if g == "f"]
                break
            time.sleep(0.05)
        blocker.stdin.write("ROLLBACK;\n"); blocker.stdin.close(); blocker.wait()
        out, err = probe.communicate()
        if probe.returncode != 0:
            print("# %s: failed: %s" % (text, err.strip())); failed += 1
        # the lock waited for is checked; relations it would lock later are not seen
        expect = {k: v for k, v in expect.items() if k in got}
        fixture = reload()
    else:
        print("# %s: failed: %s" % (text, r.stderr.strip())); failed += 1; continue
    bad = []
    for rel in sorted(set(expect) | set(got) | set(may)):
        want = expect.get(rel)
        if rel in may and order.index(may[rel]) > order.index(want or "none"):
            if got.get(rel) in (None, want, may[rel]):
                continue
        if got.get(rel) != want:
            bad.append("%s: plan says %s, server took %s" % (rel, want, got.get(rel)))
    if rewrote is not None:
        said = sorted(set(l["relation"].split(".", 1)[1] for l in st["locks"]
                      if l["relation"] and l["work"] == "rewrites" and not l["maybe"]))
        # TRUNCATE gives the table new, empty files without copying a row
        if st["kind"] == "TRUNCATE":
            said = sorted(set(said) | set(rel for rel in expect))
        if said != rewrote:
            bad.append("rewrites: plan says %s, server wrote new files for %s" % (said, rewrote))
    if waited is not None and not waited:
        bad.append("the statement never waited for the blocker")
    status = "ok" if not bad else "not ok"
    print("# %-6s %s%s" % (status, text, "" if not bad else "  <- " + "; ".join(bad)))
    failed += len(bad) > 0
print("# %d statements, %d contradicted" % (len(plan), failed))
sys.exit(1 if failed else 0)
PY

test_expect_success 'setup: the fixture database' '
	pg_createdb locks &&
	pg_sql postgres "CREATE ROLE reader" &&
	DB=$(pg_url locks) &&
	pg_psql -d locks -f "$FIX/schema.sql" >/dev/null
'

test_expect_success 'plan --json gives the lock table answer for every fixture statement' '
	cp "$FIX/statements.sql" stmts.sql &&
	strata -d "$DB" plan --json stmts.sql >plan.json 2>err &&
	json_check plan.json "len(d[\"migrations\"][0][\"statements\"]) == $(grep -c "^[A-Z]" stmts.sql)"
'

test_expect_success 'every row of the lock table matches what PostgreSQL 15 takes' '
	PG_BINDIR=$PG_BINDIR python3 prove.py "$(pg_uri locks)" plan.json "$FIX" >prove.out 2>&1;
	rc=$?; cat prove.out; test $rc = 0
'

test_expect_success 'the proof can fail: a wrong rewrite claim is caught' '
	python3 -c "import json
d = json.load(open(\"plan.json\"))
for s in d[\"migrations\"][0][\"statements\"]:
    for l in s[\"locks\"]:
        if l[\"work\"] == \"rewrites\": l[\"work\"] = \"catalog only\"
json.dump(d, open(\"norewrite.json\", \"w\"))" &&
	test_must_fail env PG_BINDIR=$PG_BINDIR python3 prove.py "$(pg_uri locks)" norewrite.json "$FIX" >wrong2.out 2>&1 &&
	test_grep "ALTER TABLE other ALTER COLUMN val TYPE bigint;  <- rewrites: plan says \[\], server wrote new files for \[.other.\]" wrong2.out
'

test_expect_success 'the proof can fail: a wrong lock mode is caught' '
	sed "s/\"pg_mode\": *\"ShareLock\"/\"pg_mode\":\"RowShareLock\"/" plan.json >wrong.json &&
	! cmp -s plan.json wrong.json &&
	test_must_fail env PG_BINDIR=$PG_BINDIR python3 prove.py "$(pg_uri locks)" wrong.json "$FIX" >wrong.out 2>&1 &&
	test_grep "plan says RowShareLock, server took ShareLock" wrong.out
'

test_done

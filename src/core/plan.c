#include "../compat.h"
#include "plan.h"
#include "runner.h"
#include "target.h"
#include "version.h"
#include "scripts.h"
#include "sumcache.h"
#include "schemafile.h"
#include "../app.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

void plan_release(struct plan *p)
{
	free(p->steps);
	free(p->from);
	free(p->backup);
	memset(p, 0, sizeof(*p));
}

int plan_check_blocked(struct app *app, bool resume, bool down,
		       const char **resume_version)
{
	*resume_version = NULL;
	for (size_t i = 0; i < app->hist.nr; i++) {
		struct applied *a = &app->hist.a[i];
		bool partial = !strcmp(a->state, "partial");
		bool reverting = !strcmp(a->state, "reverting");
		if (!partial && !reverting)
			continue;
		if (resume && partial == !down && !*resume_version) {
			*resume_version = a->version;
			continue;
		}
		err_set_kind("partial");
		if (!last_err.migration)
			last_err.migration = xstrdup(a->version);
		error("migration %s_%s stopped part-way %s: %d statement%s done%s%s",
		      a->version, a->name, partial ? "while applying" : "while reverting",
		      a->statements_done, a->statements_done == 1 ? "" : "s",
		      a->error ? "; it failed with: " : " (interrupted)", a->error ? a->error : "");
		hint("fix the cause, then either continue it with 'strata %s --resume', or record what is in the database with 'strata resolve %s applied' or 'strata resolve %s reverted'",
		     partial ? "up" : "down", a->version, a->version);
		return -1;
	}
	if (resume && !*resume_version) {
		err_set_kind("usage");
		return error("--resume: no migration stopped part-way while %s",
			     down ? "reverting" : "applying");
	}
	return 0;
}

int plan_check_changed(struct app *app)
{
	struct sumcache *cache = sumcache_open(app->src.dir);
	int bad = 0;

	for (size_t i = 0; i < app->hist.nr; i++) {
		struct applied *a = &app->hist.a[i];
		long k = source_find(&app->src, a->version);
		struct script s;
		struct stat st;
		struct sum_info info = { .mode = SUMCACHE_MODE_UNKNOWN };
		bool have_st;

		if (k < 0 || a->stamped || strcmp(a->state, "applied"))
			continue;
		have_st = !fstatat(app->src.dirfd, app->src.m[k].up_file, &st, 0);
		if (have_st && sumcache_get(cache, app->src.m[k].up_file, &st, &info) &&
		    !strcmp(info.sum, a->checksum))
			continue;
		if (script_read(&app->src, &app->src.m[k], false, &s)) {
			sumcache_close(cache, false);
			return -1;
		}
		if (strcmp(s.checksum, a->checksum)) {
			if (!bad)
				err_set_kind("changed");
			error("applied migration %s was changed after it was applied", s.path);
			bad = 1;
		} else if (have_st) {
			struct sum_info now = { .mode = SUMCACHE_MODE_UNKNOWN };
			memcpy(now.sum, s.checksum, sizeof(now.sum));
			sumcache_put(cache, app->src.m[k].up_file, &st, &now);
		}
		script_release(&s);
	}
	sumcache_close(cache, false);
	if (bad)
		hint("undo the edit (a change belongs in a new migration: 'strata new NAME'); 'strata status' lists what changed");
	return bad ? -1 : 0;
}

/*
 * A pending up script whose file the checksum cache knows unchanged, and
 * which ran as one transaction when last checked, needs no reading now: it
 * is read (and hashed again) when it runs. Only that common case; a file
 * the cache does not know, or that runs otherwise, is checked in full.
 */
static bool add_unchanged(struct app *app, struct plan *p, struct migration *m,
			  const struct stat *sb)
{
	struct step st;
	struct sum_info info;

	if ((size_t)sb->st_size > app->src.max_file_size)
		return false;
	if (!sumcache_get(p->cache, m->up_file, sb, &info) || info.mode != RUN_TX)
		return false;
	memset(&st, 0, sizeof(st));
	memcpy(st.checksum, info.sum, sizeof(st.checksum));
	st.m = m;
	st.mode = RUN_TX;
	step_to_plan(&st, &p->steps[p->nr++]);
	return true;
}

int plan_add(struct app *app, struct plan *p, struct migration *m, bool down,
	     const char *resume_version)
{
	struct step st;
	struct stat sb;
	bool have_st;

	/*
	 * Room for every migration of the folder at once (+1 for redo): one
	 * allocation, where doubling would copy and hold two arrays at the
	 * peak of a 10 000-migration run.
	 */
	if (!p->steps)
		p->steps = xcalloc(p->cap ? p->cap : 1, sizeof(*p->steps));
	if (p->nr == p->cap) {
		fprintf(stderr, "strata: bug: a plan for %zu steps got more\n", p->cap);
		abort();
	}
	/* stat() before reading: a file changed meanwhile is not cached wrong */
	have_st = p->cache && !down && m->up_file &&
		  !fstatat(app->src.dirfd, m->up_file, &sb, 0);
	if (have_st && (!resume_version || strcmp(resume_version, m->version)) &&
	    add_unchanged(app, p, m, &sb))
		return 0;
	if (step_prepare(app, m, down, &st)) {
		step_release(&st);
		return -1;
	}
	if (have_st) {
		struct sum_info info = { .mode = (int)st.mode };
		memcpy(info.sum, st.checksum, sizeof(info.sum));
		sumcache_put(p->cache, m->up_file, &sb, &info);
	}
	if (resume_version && !strcmp(resume_version, m->version)) {
		struct applied *a = history_find(&app->hist, m->version);
		st.start_at = a ? a->statements_done : 0;
		st.resuming = true;
		if (st.mode == RUN_TX)
			st.mode = RUN_NO_TX;
		if ((size_t)st.start_at > st.nr_stmts)
			st.start_at = (int)st.nr_stmts;
	}
	step_to_plan(&st, &p->steps[p->nr++]);
	step_release(&st);
	return 0;
}

int plan_up(struct app *app, const struct target *t, bool out_of_order,
	    const char *resume_version, struct plan *p)
{
	const struct applied *head = history_head(&app->hist);
	struct source *src = &app->src;
	size_t ooo = 0;
	long limit = -1;
	int bad = 0;
	struct strbuf names = STRBUF_INIT;

	memset(p, 0, sizeof(*p));
	p->cap = src->nr + 1;
	p->from = xstrdup(head ? head->version : "base");
	if (t->kind == TARGET_BASE || (t->kind == TARGET_RELATIVE && t->steps < 0)) {
		err_set_kind("usage");
		error("'up' goes forward: use 'strata down %s'", t->kind == TARGET_BASE ? "base" : "-N");
		return -2;
	}
	if (t->kind == TARGET_RELATIVE)
		limit = t->steps;
	p->cache = sumcache_open(src->dir);
	for (size_t i = 0; i < src->nr; i++) {
		struct migration *m = &src->m[i];
		struct applied *a = history_find(&app->hist, m->version);
		bool resuming = resume_version && !strcmp(resume_version, m->version);
		if (a && !resuming)
			continue;
		if (t->kind == TARGET_VERSION && version_cmp(m->version, t->version) > 0)
			break;
		if (limit >= 0 && (long)p->nr >= limit)
			break;
		if (!resuming && head && version_cmp(m->version, head->version) < 0) {
			if (!out_of_order) {
				if (ooo < 5)
					strbuf_addf(&names, "\n  %s_%s", m->raw_version, m->name);
				ooo++;
				continue;
			}
			warning("applying %s_%s out of order (older than %s)", m->raw_version,
				m->name, head->version);
		}
		if (plan_add(app, p, m, false, resume_version))
			bad = 1;
	}
	sumcache_close(p->cache, false);
	p->cache = NULL;
	if (ooo) {
		err_set_kind("out_of_order");
		error("%zu pending migration%s older than the newest applied one (%s):%s%s",
		      ooo, ooo == 1 ? " is" : "s are", head->version, names.buf,
		      ooo > 5 ? "\n  ..." : "");
		hint("this happens when branches are merged; apply %s with 'strata up --out-of-order' (or out_of_order = allow in strata.ini), or give %s a newer version",
		     ooo == 1 ? "it" : "them", ooo == 1 ? "it" : "them");
		bad = 1;
	}
	strbuf_release(&names);
	if (t->kind == TARGET_VERSION && source_find(src, t->version) < 0) {
		err_set_kind("usage");
		error("no migration file has version %s", t->version);
		return -2;
	}
	return bad ? -1 : 0;
}

int plan_down(struct app *app, const struct target *t,
	      const char *resume_version, struct plan *p)
{
	const struct applied *head = history_head(&app->hist);
	struct history *h = &app->hist;
	long limit = 1;
	int bad = 0;

	memset(p, 0, sizeof(*p));
	p->cap = h->nr + 1;
	p->down = true;
	p->from = xstrdup(head ? head->version : "base");
	if (t->kind == TARGET_RELATIVE) {
		if (t->steps > 0) {
			err_set_kind("usage");
			error("'down' goes back: use -%ld, or 'strata up +%ld'", t->steps, t->steps);
			return -2;
		}
		limit = -t->steps;
	} else if (t->kind == TARGET_BASE) {
		limit = -1;
	} else if (t->kind == TARGET_VERSION) {
		limit = -1;
		if (!history_find(h, t->version)) {
			err_set_kind("usage");
			error("migration %s is not applied", t->version);
			hint("'down VERSION' reverts every migration after VERSION and leaves VERSION applied");
			return -2;
		}
	}
	for (size_t i = h->nr; i > 0; i--) {
		struct applied *a = &h->a[i - 1];
		long k;
		bool resuming = resume_version && !strcmp(resume_version, a->version);
		if (strcmp(a->state, "applied") && !resuming)
			continue;
		if (t->kind == TARGET_VERSION && version_cmp(a->version, t->version) <= 0)
			break;
		if (limit >= 0 && (long)p->nr >= limit)
			break;
		k = source_find(&app->src, a->version);
		if (k < 0) {
			err_set_kind("missing");
			error("cannot revert %s_%s: its file is not in %s", a->version, a->name,
			      app->src.dir);
			bad = 1;
			break;
		}
		if (plan_add(app, p, &app->src.m[k], true, resume_version)) {
			bad = 1;
			break;
		}
	}
	return bad ? -1 : 0;
}

/*
 * The version the database is at after the first 'done' steps of 'p',
 * worked out from the history read before the run (reading 10 000 rows
 * again would cost time and memory for what is already known).
 */
static const char *head_after(struct app *app, const struct plan *p, size_t done)
{
	const struct history *h = &app->hist;

	if ((p->redo && done != 1) || !done)
		return p->from;	/* a redo that ran both ways ends where it began */
	if (!p->down)
		return p->steps[done - 1].m->version;
	for (size_t i = h->nr; i > 0; i--) {
		bool reverted = false;
		if (strcmp(h->a[i - 1].state, "applied"))
			continue;
		for (size_t k = 0; k < done; k++)
			if (!strcmp(p->steps[k].m->version, h->a[i - 1].version))
				reverted = true;
		if (!reverted)
			return h->a[i - 1].version;
	}
	return "base";
}

/* "VERSION (name)" for a normalised version, or "base". */
static const char *version_label(struct app *app, const char *v)
{
	static char buf[512];
	long i;
	const struct applied *a;

	if (!strcmp(v, "base"))
		return "base";
	i = source_find(&app->src, v);
	a = history_find(&app->hist, v);
	snprintf(buf, sizeof(buf), "%s (%s)", i >= 0 ? app->src.m[i].raw_version : v,
		 i >= 0 ? app->src.m[i].name : a ? a->name : "?");
	return buf;
}

/* "2 migrations", "2 migrations and 1 repeatable", "1 repeatable migration" */
static const char *done_phrase(int n, const struct script_plan *sp)
{
	static char buf[96];
	size_t nrep = sp ? sp->nr_done : 0;

	if (!n && nrep)
		snprintf(buf, sizeof(buf), "%zu repeatable migration%s", nrep, nrep == 1 ? "" : "s");
	else if (nrep)
		snprintf(buf, sizeof(buf), "%d migration%s and %zu repeatable%s", n,
			 n == 1 ? "" : "s", nrep, nrep == 1 ? "" : "s");
	else
		snprintf(buf, sizeof(buf), "%d migration%s", n, n == 1 ? "" : "s");
	return buf;
}

int plan_run(struct app *app, struct plan *p, bool dry_run)
{
	struct strbuf doc = STRBUF_INIT, sqldoc = STRBUF_INIT;
	struct json j, jsql;
	struct run r = { 0 };
	int failed = 0;
	size_t nr_rep = p->rep ? p->rep->nr_run : 0;
	size_t done;
	int dumped = 0;
	double start = now_ms();

	r.app = app;
	r.dry_run = dry_run;
	strbuf_init(&r.msg, 0);
	json_init(&j, &doc);
	json_init(&jsql, &sqldoc);
	if (out.json) {
		json_obj_begin(&j);
		json_kstr(&j, "command", app->command);
		json_kstr(&j, "database", app->ci.display);
		json_kstr(&j, "from", p->from);
		json_kbool(&j, "dry_run", dry_run);
		if (p->backup)
			json_kstr(&j, "backup", p->backup);
		json_key(&j, p->down ? "reverted" : "applied");
		json_arr_begin(&j);
		r.j = &j;
		json_arr_begin(&jsql);
		r.jsql = &jsql;
	}
	if (dry_run && p->nr && !out.json) {
		const char *o = conninfo_get(&app->ci, "options");
		if (o && !app->cfg.pooler)
			printf("-- session startup options: %s\n", o);
	}
	if (!p->nr && nr_rep) {
		if (!dry_run)
			say("applying %zu repeatable migration%s on %s", nr_rep,
			    nr_rep == 1 ? "" : "s", app->ci.display);
	} else if (!p->nr) {
		say("nothing to %s; at %s", p->down ? "revert" : "apply",
		    version_label(app, p->from));
	} else if (!dry_run) {
		if (p->redo)
			say("redoing %s on %s", step_label(p->steps[0].m), app->ci.display);
		else
			say("%s %zu migration%s on %s", p->down ? "reverting" : "applying", p->nr,
			    p->nr == 1 ? "" : "s", app->ci.display);
	}
	if (p->nr && !p->down && runner_ensure_table(&r))
		failed = 1;
	for (size_t i = 0; i < p->nr && !failed; i++)
		if (runner_step(&r, &p->steps[i]))
			failed = 1;
	if (runner_flush(&r))
		failed = 1;
	/* repeatables after every migration: they may use what those made */
	if (!failed && nr_rep && script_plan_run(app, p->rep, dry_run, r.jsql))
		failed = 1;
	for (size_t i = 0; i < ARRAY_SIZE(r.work); i++)
		step_release(&r.work[i]);
	strbuf_release(&r.msg);
	/* steps skipped as done by another runner count as done here */
	done = failed ? (size_t)r.nr_done + r.nr_skipped : p->nr;
	if (done > p->nr)
		done = p->nr;
	if (!out.json && !dry_run && (p->nr || nr_rep)) {
		const char *now_at = version_label(app, head_after(app, p, done));
		if (p->redo && !failed)
			say("redone in %.0f ms; now at %s", now_ms() - start, now_at);
		else if (r.nr_done || !failed)
			say("%s %s in %.0f ms; now at %s", p->down ? "reverted" : "applied",
			    done_phrase(r.nr_done, p->rep), now_ms() - start, now_at);
	}
	/* schema.sql follows a run that went through, never a half one */
	if (!failed && !dry_run && p->schema_file) {
		dumped = schema_file_refresh(app, p->schema_file, p->nr || nr_rep || p->checkpoint);
		if (dumped < 0)
			failed = 1;
	}
	if (out.json) {
		json_arr_end(&j);
		if (p->rep) {
			json_key(&j, "repeatable");
			script_plan_json(p->rep, &j, true);
		}
		if (dry_run) {
			json_arr_end(&jsql);
			json_key(&j, "sql");
			json_raw(&j, sqldoc.buf);
		}
		json_kstr(&j, "to", head_after(app, p, done));
		json_kstr(&j, "schema_file", dumped > 0 ? p->schema_file : NULL);
		if (!p->down)
			json_kstr(&j, "checkpoint", p->checkpoint);
		json_kint(&j, "duration_ms", (long long)(now_ms() - start + 0.5));
		json_kbool(&j, "ok", !failed);
		if (failed) {
			json_add_error(&j);
		}
		json_obj_end(&j);
		out_json(&doc);
	}
	strbuf_release(&doc);
	strbuf_release(&sqldoc);
	return failed ? exit_failure() : EXIT_OK;
}

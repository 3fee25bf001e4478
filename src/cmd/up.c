/*
 * up.c - apply pending migrations.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/plan.h"
#include "../core/schemafile.h"
#include "../core/checkpoint.h"
#include "../core/scripts.h"
#include "../core/runner.h"
#include "../core/target.h"
#include "../core/version.h"
#include "../core/backup.h"
#include "../lint/engine.h"
#include "../core/sumcache.h"
#include "../util/util.h"
#include "../util/out.h"

enum { O_DRY_RUN = 1, O_OUT_OF_ORDER, O_RESUME, O_BACKUP, O_FORCE };

static const struct cmd_opt opts[] = {
	{ "dry-run", 'n', false, O_DRY_RUN },
	{ "out-of-order", 0, false, O_OUT_OF_ORDER },
	{ "resume", 0, false, O_RESUME },
	{ "backup", 0, false, O_BACKUP },
	{ "force", 0, false, O_FORCE },
	{ NULL, 0, false, 0 },
};

/* Is every file applied, and nothing stopped part-way? (light read) */
static bool nothing_pending(struct app *app)
{
	struct history *h = &app->hist;
	size_t k = 0;

	if (history_read_light(&app->db, &app->cfg, h)) {
		err_reset();
		history_release(h);
		return false;
	}
	app->have_hist = true;
	for (size_t i = 0; i < h->nr; i++)
		if (strcmp(h->a[i].state, "applied"))
			return false;
	/* both lists are sorted: every file must be in the history */
	for (size_t i = 0; i < app->src.nr; i++) {
		while (k < h->nr && version_cmp(h->a[k].version, app->src.m[i].version) < 0)
			k++;
		if (k == h->nr || version_cmp(h->a[k].version, app->src.m[i].version))
			return false;
	}
	return true;
}

/*
 * Is every repeatable migration unchanged since it ran? Asked quietly on
 * the fast path: anything amiss is reported by the full run that follows.
 */
static bool repeatables_unchanged(struct app *app)
{
	struct script_records rec = { 0 };
	struct script_plan sp = { 0 };
	bool same;

	if (!app->src.nr_scripts)
		return true;
	out.mute = true;
	same = !scripts_read(&app->db, &app->cfg, &rec) &&
	       !script_plan_make(&sp, KIND_REPEATABLE, &app->src, &rec, NULL, false) &&
	       !sp.nr_run;
	out.mute = false;
	err_reset();
	script_plan_release(&sp);
	scripts_records_release(&rec);
	return same;
}

/* After plan 'p', will every migration file be applied? */
static bool reaches_head(struct app *app, const struct plan *p)
{
	size_t k = 0;

	for (size_t i = 0; i < app->src.nr; i++) {
		const struct migration *m = &app->src.m[i];
		const struct applied *a;
		if (k < p->nr && p->steps[k].m == m) {
			k++;
			continue;
		}
		a = history_find(&app->hist, m->version);
		if (!a || strcmp(a->state, "applied"))
			return false;
	}
	return true;
}

/*
 * The repeatable migrations to run after the plan: those never run or
 * changed since, read and parsed now, before anything runs. Only an 'up'
 * that reaches head runs them (they may use anything the migrations make).
 */
static int plan_repeatables(struct app *app, const struct plan *p,
			    struct script_records *rec, struct script_plan *sp)
{
	if (!app->src.nr_scripts)
		return 0;
	if (!reaches_head(app, p)) {
		verbose("repeatable migrations run when 'up' reaches head");
		return 0;
	}
	if (scripts_read(&app->db, &app->cfg, rec) ||
	    script_plan_make(sp, KIND_REPEATABLE, &app->src, rec, NULL, false) ||
	    script_plan_check(sp))
		return -1;
	return 0;
}

/*
 * Lint the up scripts of the plan. A file the checksum cache knows
 * unchanged since it had no finding under the same rules and settings
 * (linter_fingerprint) is not read again: a thousand pending files cost
 * a thousand stat() calls, not a thousand parses, before the first
 * migration starts. 0, or -1 when a file cannot be read (reported).
 */
static int lint_pending(struct app *app, struct linter *l, const struct plan *p)
{
	struct sumcache *cache = sumcache_open(app->src.dir);
	char fp[17];
	int ret = 0;

	linter_fingerprint(l, fp);
	for (size_t i = 0; i < p->nr && !ret; i++) {
		const struct migration *m = p->steps[i].m;
		struct sum_info info = { .mode = SUMCACHE_MODE_UNKNOWN };
		struct script s;
		struct stat st;
		size_t before = l->nr;
		bool have_st = m->up_file && !fstatat(app->src.dirfd, m->up_file, &st, 0);

		if (have_st && sumcache_get(cache, m->up_file, &st, &info) &&
		    !strcmp(info.lint, fp))
			continue;
		if (script_read(&app->src, m, false, &s)) {
			ret = -1;
			break;
		}
		if (s.text)
			lint_script(l, &s, false);
		if (have_st && l->nr == before) {
			struct sum_info clean = { .mode = SUMCACHE_MODE_UNKNOWN };
			memcpy(clean.sum, s.checksum, sizeof(clean.sum));
			memcpy(clean.lint, fp, sizeof(clean.lint));
			sumcache_put(cache, m->up_file, &st, &clean);
		}
		script_release(&s);
	}
	sumcache_close(cache, false);
	return ret;
}

/*
 * Lint the pending migrations before anything runs: an error-level
 * finding stops 'up' unless --force or lint = warn, which print the
 * findings as warnings and go on. The findings go to stderr, so that
 * --json keeps stdout to its one document. 0, or -1 (reported).
 */
static int lint_gate(struct app *app, const struct plan *p, bool force)
{
	struct linter l;
	struct strbuf sb = STRBUF_INIT;
	size_t errors;
	int ret = 0;

	if (app->cfg.lint_gate == LINT_GATE_OFF || !p->nr)
		return 0;
	linter_init(&l, app->db.server_version, app->cfg.lock_timeout_ms > 0);
	if (linter_configure(&l, &app->cfg)) {
		linter_release(&l);
		return -1;
	}
	ret = lint_pending(app, &l, p);
	errors = linter_count(&l, LINT_ERROR);
	if (!ret && errors && !force && app->cfg.lint_gate == LINT_GATE_ERROR) {
		linter_sort(&l);
		lint_format_text(&l, &sb);
		strbuf_setlen(&sb, sb.len - 1);
		note("%s", sb.buf);
		err_set_kind("lint");
		ret = error("lint found %zu error%s in the pending migrations; nothing was applied",
			    errors, errors == 1 ? "" : "s");
		hint("fix them, allow one with '-- strata:allow RULE reason' above the statement, or run 'strata up --force'");
	} else if (!ret && l.nr) {
		for (size_t i = 0; i < l.nr; i++)
			if (l.f[i].severity == LINT_ERROR)
				l.f[i].severity = LINT_WARNING;
		linter_sort(&l);
		lint_format_text(&l, &sb);
		strbuf_setlen(&sb, sb.len - 1);
		note("%s", sb.buf);
	}
	strbuf_release(&sb);
	linter_release(&l);
	return ret;
}

int cmd_up(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *target_arg = NULL, *resume_version;
	bool dry_run = false, resume = false, ooo = app->cfg.out_of_order, backup = false;
	bool force = false;
	struct target t;
	struct plan p;
	struct script_records rec = { 0 };
	struct script_plan rep = { 0 };
	struct schema_file_choice dump;
	const char *schema_file, *checkpoint;
	bool usage;
	int o, r;

	/* --dump[=FILE] / --no-dump: the schema file kept current */
	if (schema_file_take_options("up", &argc, argv, &dump))
		return cmd_fail(app, EXIT_USAGE);
	it.argc = argc;
	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0:
			if (target_arg)
				return cmd_fail(app, usage_error("up", "one TARGET only"));
			target_arg = arg;
			break;
		case O_DRY_RUN: dry_run = true; break;
		case O_OUT_OF_ORDER: ooo = true; break;
		case O_RESUME: resume = true; break;
		case O_BACKUP: backup = true; break;
		case O_FORCE: force = true; break;
		}
	}
	schema_file = schema_file_for_run(app, &dump, &usage);
	if (usage)
		return cmd_fail(app, EXIT_USAGE);
	/* the files first: nothing touches the database if one is bad */
	app_connect_begin(app);
	if (app_load_source(app))
		return cmd_fail(app, EXIT_FAIL);
	if (app_connect(app))
		return cmd_fail(app, EXIT_FAIL);
	/*
	 * Most runs find nothing to do (every deploy runs 'up'). A light read
	 * of the history, without the lock, tells that truthfully: what it
	 * shows applied stays applied. Anything else takes the lock and reads
	 * again.
	 */
	if (!target_arg && !resume && nothing_pending(app) && app->hist.nr &&
	    repeatables_unchanged(app)) {
		memset(&p, 0, sizeof(p));
		p.from = xstrdup(history_head(&app->hist) ?
				 history_head(&app->hist)->version : "base");
		p.rep = &rep;	/* none to run */
		p.schema_file = schema_file;	/* written only when missing */
		r = plan_run(app, &p, dry_run);
		plan_release(&p);
		return r;
	}
	if (!dry_run && app_lock(app))
		return cmd_fail(app, EXIT_FAIL);
	if (app_read_history(app))
		return cmd_fail(app, EXIT_FAIL);
	if (target_parse(target_arg, &app->src, &app->hist, &t)) {
		err_set_kind("usage");
		return cmd_fail(app, EXIT_USAGE);
	}
	if (plan_check_blocked(app, resume, false, &resume_version)) {
		target_release(&t);
		return cmd_fail(app, resume && last_err.kind && !strcmp(last_err.kind, "usage") ?
				EXIT_USAGE : EXIT_FAIL);
	}
	/* an empty database starts from the folder's checkpoint, if any */
	if (checkpoint_before_up(app, t.kind == TARGET_VERSION ? t.version : NULL,
				 dry_run, &checkpoint)) {
		target_release(&t);
		return cmd_fail(app, EXIT_FAIL);
	}
	r = plan_up(app, &t, ooo, resume_version, &p);
	p.checkpoint = checkpoint;
	target_release(&t);
	/*
	 * Before changing anything, the applied migrations must be the ones
	 * in the folder. With nothing to apply there is nothing to protect,
	 * and a no-op 'up' (every deploy) stays as cheap as reading the history.
	 */
	if (!r && plan_repeatables(app, &p, &rec, &rep))
		r = -1;
	if (!r && lint_gate(app, &p, force))
		r = -1;
	if (!r && (p.nr || rep.nr_run) && plan_check_changed(app))
		r = -1;
	/* --backup: only when something is to change, under the lock */
	if (!r && (p.nr || rep.nr_run) && backup && !dry_run &&
	    backup_before_change(app, &p.backup))
		r = -1;
	if (!r) {
		p.rep = &rep;
		p.schema_file = schema_file;
		r = plan_run(app, &p, dry_run);
	} else {
		r = cmd_fail(app, r == -2 ? EXIT_USAGE : EXIT_FAIL);
	}
	plan_release(&p);
	script_plan_release(&rep);
	scripts_records_release(&rec);
	return r;
}

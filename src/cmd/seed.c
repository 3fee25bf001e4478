/*
 * seed.c - run the SQL files of the seeds folder (development and test
 * data) on a database at head, once each: a seed runs again only when its
 * file changed, or with --again.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/scripts.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

enum { O_DRY_RUN = 1, O_FORCE, O_AGAIN };

static const struct cmd_opt opts[] = {
	{ "dry-run", 'n', false, O_DRY_RUN },
	{ "force", 0, false, O_FORCE },
	{ "again", 0, false, O_AGAIN },
	{ NULL, 0, false, 0 },
};

/*
 * Mark the seeds the NAMEs select (a file name, with or without .sql).
 * An unknown NAME is a usage error that lists the seeds there are.
 */
static int pick_seeds(const struct source *seeds, const char **names, int n, bool *pick)
{
	for (int k = 0; k < n; k++) {
		size_t len = strlen(names[k]);
		bool found = false;
		if (len > 4 && !strcmp(names[k] + len - 4, ".sql"))
			len -= 4;
		for (size_t i = 0; i < seeds->nr_scripts; i++) {
			const char *nm = seeds->scripts[i].name;
			if (strlen(nm) == len && !strncmp(nm, names[k], len))
				pick[i] = found = true;
		}
		if (!found) {
			struct strbuf all = STRBUF_INIT;
			for (size_t i = 0; i < seeds->nr_scripts; i++)
				strbuf_addf(&all, "%s%s", i ? ", " : "", seeds->scripts[i].name);
			usage_error("seed", "no seed '%s' in %s (%s%s)", names[k], seeds->dir,
				    all.len ? "seeds there: " : "the folder has none", all.buf);
			strbuf_release(&all);
			return -1;
		}
	}
	return 0;
}

/* Up to 'max' names of a list for a message, then "...". */
static void add_name(struct strbuf *sb, int *count, const char *name)
{
	if (*count < 3)
		strbuf_addf(sb, "%s%s", *count ? ", " : "", name);
	else if (*count == 3)
		strbuf_addstr(sb, ", ...");
	(*count)++;
}

/*
 * Seeds are written for the schema at head: every migration file applied,
 * nothing stopped part-way, no repeatable migration waiting to run. 0
 * when it is so; -1 after saying what is not (unless 'force', which only
 * warns).
 */
static int check_at_head(struct app *app, const struct script_records *rec, bool force)
{
	struct strbuf pending = STRBUF_INIT, partial = STRBUF_INIT, reps = STRBUF_INIT;
	int n_pending = 0, n_partial = 0, n_reps = 0;
	struct script_plan rp;
	int ret = 0;

	for (size_t i = 0; i < app->hist.nr; i++)
		if (strcmp(app->hist.a[i].state, "applied"))
			add_name(&partial, &n_partial, app->hist.a[i].version);
	for (size_t i = 0; i < app->src.nr; i++) {
		const struct applied *a = history_find(&app->hist, app->src.m[i].version);
		if (!a)
			add_name(&pending, &n_pending, app->src.m[i].raw_version);
	}
	if (script_plan_make(&rp, KIND_REPEATABLE, &app->src, rec, NULL, false) == 0) {
		for (size_t i = 0; i < rp.nr; i++)
			if (rp.jobs[i].run)
				add_name(&reps, &n_reps, rp.jobs[i].ns->name);
	} else {
		ret = -1;
	}
	script_plan_release(&rp);
	if (ret || (!n_pending && !n_partial && !n_reps))
		goto out;
	if (force) {
		warning("seeding a database that is not at head (--force)");
	} else {
		err_set_kind("not_at_head");
		error("the database is not at head; seeds are written for the schema at head");
		ret = -1;
	}
	if (n_pending)
		detail("%d migration%s pending: %s", n_pending, n_pending == 1 ? "" : "s", pending.buf);
	if (n_partial)
		detail("%d migration%s stopped part-way: %s", n_partial, n_partial == 1 ? "" : "s",
		       partial.buf);
	if (n_reps)
		detail("%d repeatable migration%s to run: %s", n_reps, n_reps == 1 ? "" : "s", reps.buf);
	if (!force)
		hint("run 'strata up' first, or seed anyway with --force");
out:
	strbuf_release(&pending);
	strbuf_release(&partial);
	strbuf_release(&reps);
	return ret;
}

static void json_doc(struct app *app, const struct script_plan *sp, bool dry_run,
		     bool force, struct strbuf *sqldoc, double start, bool ok)
{
	struct strbuf doc = STRBUF_INIT;
	struct json j;

	json_init(&j, &doc);
	json_obj_begin(&j);
	json_kstr(&j, "command", "seed");
	json_kstr(&j, "database", app->ci.display);
	json_kstr(&j, "folder", app->cfg.seeds_dir);
	json_kbool(&j, "dry_run", dry_run);
	json_kbool(&j, "forced", force);
	json_key(&j, "seeds");
	if (sp)
		script_plan_json(sp, &j, false);
	else
		json_raw(&j, "[]");
	if (dry_run) {
		json_key(&j, "sql");
		json_raw(&j, sqldoc->len ? sqldoc->buf : "[]");
	}
	json_kint(&j, "ran", sp ? (long long)sp->nr_done : 0);
	json_kint(&j, "skipped", sp ? (long long)(sp->nr - sp->nr_run) : 0);
	json_kint(&j, "duration_ms", (long long)(now_ms() - start + 0.5));
	json_kbool(&j, "ok", ok);
	if (!ok)
		json_add_error(&j);
	json_obj_end(&j);
	out_json(&doc);
	strbuf_release(&doc);
}

int cmd_seed(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, **names = xcalloc((size_t)argc + 1, sizeof(*names));
	bool dry_run = false, force = false, again = false, *pick = NULL;
	struct source seeds;
	struct script_records rec = { 0 };
	struct script_plan sp = { 0 };
	struct strbuf sqldoc = STRBUF_INIT;
	struct json jsql;
	bool jsql_open = false;
	int o, nr_names = 0, ret = EXIT_FAIL;
	bool have_plan = false;
	double start = now_ms();

	memset(&seeds, 0, sizeof(seeds));
	seeds.dirfd = -1;
	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: ret = EXIT_USAGE; goto out;
		case 0: names[nr_names++] = arg; break;
		case O_DRY_RUN: dry_run = true; break;
		case O_FORCE: force = true; break;
		case O_AGAIN: again = true; break;
		}
	}
	/* the files first: nothing touches the database if one is bad */
	app_connect_begin(app);
	if (source_load_seeds(&seeds, app->cfg.seeds_dir))
		goto out;
	if (nr_names) {
		pick = xcalloc(seeds.nr_scripts + 1, sizeof(*pick));
		if (pick_seeds(&seeds, names, nr_names, pick)) {
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (app_open(app, dry_run) || scripts_read(&app->db, &app->cfg, &rec) ||
	    check_at_head(app, &rec, force))
		goto out;
	have_plan = true;
	if (script_plan_make(&sp, KIND_SEED, &seeds, &rec, pick, again) ||
	    script_plan_check(&sp))
		goto out;
	if (!sp.nr)
		say("no seeds in %s", seeds.dir);
	else if (!sp.nr_run)
		say("nothing to seed: skipped %zu seed%s, unchanged since %s ran (--again runs %s again)",
		    sp.nr, sp.nr == 1 ? "" : "s", sp.nr == 1 ? "it" : "they",
		    sp.nr == 1 ? "it" : "them");
	else if (!dry_run)
		say("seeding %s from %s", app->ci.display, seeds.dir);
	json_init(&jsql, &sqldoc);
	if (out.json && dry_run) {
		json_arr_begin(&jsql);
		jsql_open = true;
	}
	if (script_plan_run(app, &sp, dry_run, jsql_open ? &jsql : NULL))
		goto out;
	if (sp.nr_run && !dry_run)
		say("ran %zu seed%s and skipped %zu in %.0f ms", sp.nr_done,
		    sp.nr_done == 1 ? "" : "s", sp.nr - sp.nr_run, now_ms() - start);
	ret = EXIT_OK;
out:
	if (jsql_open)
		json_arr_end(&jsql);
	if (out.json && ret != EXIT_USAGE)
		json_doc(app, have_plan ? &sp : NULL, dry_run, force, &sqldoc, start, ret == EXIT_OK);
	else if (out.json)
		json_error_doc("seed");
	if (ret == EXIT_FAIL)
		ret = exit_failure();
	script_plan_release(&sp);
	scripts_records_release(&rec);
	source_release(&seeds);
	strbuf_release(&sqldoc);
	free(pick);
	free(names);
	return ret;
}

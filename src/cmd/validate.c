/*
 * validate.c - check the folder, every script, and (with a database) that
 * applied migrations are unchanged. Changes nothing.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/checkpoint.h"
#include "../core/runner.h"
#include "../core/scripts.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <sys/stat.h>

enum { O_OFFLINE = 1 };

static const struct cmd_opt opts[] = {
	{ "offline", 0, false, O_OFFLINE },
	{ NULL, 0, false, 0 },
};

struct problems {
	struct strbuf doc;
	struct json j;
	int nr;
};

static void problem(struct problems *p, const char *file)
{
	p->nr++;
	if (!out.json)
		return;
	json_obj_begin(&p->j);
	json_kstr(&p->j, "file", last_err.file ? last_err.file : file);
	json_kstr(&p->j, "kind", last_err.kind);
	json_kstr(&p->j, "message", last_err.msg);
	if (last_err.line) {
		json_kint(&p->j, "line", last_err.line);
		json_kint(&p->j, "column", last_err.column);
	}
	json_obj_end(&p->j);
	err_reset();
}

/*
 * Parse the named scripts of 'dir' (repeatable migrations, seeds) as they
 * will run: one transaction each. Returns how many were checked.
 */
static int check_named(const struct source *dir, enum script_kind kind,
		       struct problems *p)
{
	for (size_t i = 0; i < dir->nr_scripts; i++)
		if (script_check(dir, &dir->scripts[i], kind))
			problem(p, source_path(dir, dir->scripts[i].file));
	return (int)dir->nr_scripts;
}

/* The seeds folder is optional: checked when it is there. */
static int check_seeds(struct app *app, struct problems *p)
{
	struct source seeds;
	struct stat st;
	int n = 0;

	if (stat(app->cfg.seeds_dir, &st) || !S_ISDIR(st.st_mode))
		return 0;
	if (source_load_seeds(&seeds, app->cfg.seeds_dir))
		problem(p, app->cfg.seeds_dir);
	else
		n = check_named(&seeds, KIND_SEED, p);
	source_release(&seeds);
	return n;
}

/*
 * A covered file still in the folder must be the one the checkpoint was
 * made from: an edit since would make fresh databases differ from old ones.
 */
static void check_checkpoint(struct app *app, const struct checkpoint *cp,
			     struct problems *p)
{
	for (size_t i = 0; i < cp->nr; i++) {
		long k = source_find(&app->src, cp->covers[i].version);
		struct script s;
		if (k < 0)
			continue;
		if (script_read(&app->src, &app->src.m[k], false, &s)) {
			problem(p, source_path(&app->src, app->src.m[k].up_file));
			continue;
		}
		if (strcmp(s.checksum, cp->covers[i].checksum)) {
			err_set_kind("changed");
			error("%s was changed after checkpoint %s was written from it",
			      s.path, cp->file);
			problem(p, s.path);
		}
		script_release(&s);
	}
}

int cmd_validate(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	bool offline = false;
	struct problems p = { STRBUF_INIT, { 0 }, 0 };
	struct checkpoint cp = { 0 };
	int o, files = 0, nr_rep, nr_seeds;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		if (o == -2)
			return cmd_fail(app, EXIT_USAGE);
		if (o == 0)
			return cmd_fail(app, usage_error("validate", "unexpected argument '%s'", arg));
		offline = true;
	}
	json_init(&p.j, &p.doc);
	json_obj_begin(&p.j);
	json_key(&p.j, "problems");
	json_arr_begin(&p.j);
	if (source_load(&app->src, app->cfg.source_dir)) {
		problem(&p, app->cfg.source_dir);
	}
	app->have_src = true;
	if (checkpoint_load(&app->src, &cp) < 0)
		problem(&p, app->cfg.source_dir);
	check_checkpoint(app, &cp, &p);
	for (size_t i = 0; i < app->src.nr; i++) {
		for (int down = 0; down < 2; down++) {
			struct migration *m = &app->src.m[i];
			struct step st;
			if (down && !m->down_file)
				continue;
			if (step_prepare(app, m, down, &st))
				problem(&p, source_path(&app->src, down ? m->down_file : m->up_file));
			files++;
			step_release(&st);
		}
	}
	nr_rep = check_named(&app->src, KIND_REPEATABLE, &p);
	nr_seeds = check_seeds(app, &p);
	files += nr_rep + nr_seeds;
	if (!offline) {
		if (app_connect(app) || app_read_history(app)) {
			problem(&p, NULL);
		} else {
			for (size_t i = 0; i < app->hist.nr; i++) {
				struct applied *a = &app->hist.a[i];
				long k = source_find(&app->src, a->version);
				struct script s;
				if (k < 0 && checkpoint_covers(&cp, a->version))
					continue;	/* squashed: its file may go */
				if (k < 0) {
					err_set_kind("missing");
					error("applied migration %s_%s has no file in %s", a->version,
					      a->name, app->src.dir);
					problem(&p, NULL);
					continue;
				}
				if (strcmp(a->state, "applied")) {
					err_set_kind("partial");
					error("migration %s stopped part-way (%s)", a->version, a->state);
					problem(&p, source_path(&app->src, app->src.m[k].up_file));
					continue;
				}
				if (script_read(&app->src, &app->src.m[k], false, &s)) {
					problem(&p, source_path(&app->src, app->src.m[k].up_file));
					continue;
				}
				if (strcmp(s.checksum, a->checksum)) {
					err_set_kind("changed");
					error("%s was changed after it was applied (checksum %.12s..., applied %.12s...)",
					      s.path, s.checksum, a->checksum);
					problem(&p, s.path);
				}
				script_release(&s);
			}
		}
	}
	json_arr_end(&p.j);
	json_kint(&p.j, "migrations", (long long)app->src.nr);
	json_kint(&p.j, "repeatable", nr_rep);
	json_kint(&p.j, "seeds", nr_seeds);
	json_kbool(&p.j, "ok", p.nr == 0);
	json_obj_end(&p.j);
	if (out.json)
		out_json(&p.doc);
	else if (!p.nr)
		say("ok: %zu migrations, %d repeatable, %d seeds, %d scripts%s", app->src.nr,
		    nr_rep, nr_seeds, files, offline ? "" : ", applied checksums match");
	else
		say("%d problem%s", p.nr, p.nr == 1 ? "" : "s");
	strbuf_release(&p.doc);
	checkpoint_release(&cp);
	return p.nr ? EXIT_FAIL : EXIT_OK;
}

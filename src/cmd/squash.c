/*
 * squash.c - write a checkpoint (core/checkpoint.h): the schema at
 * VERSION, replayed in a scratch database, so that a new database starts
 * from one file instead of hundreds, while every existing database goes
 * on with the files as before. The checkpoint is written only after the
 * proof: from empty, the checkpoint then the later migrations give the
 * same dump as every migration step by step.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/checkpoint.h"
#include "../core/schemafile.h"
#include "../core/shadow.h"
#include "../core/target.h"
#include "../core/version.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <unistd.h>

enum { O_TO = 1 };

static const struct cmd_opt opts[] = {
	{ "to", 0, true, O_TO },
	{ NULL, 0, false, 0 },
};

/*
 * The migration VERSION names (a version or a unique prefix), checked
 * against an existing checkpoint: a new one must go further, and needs
 * the files of all it covers. Its index in the folder, or -1 (reported;
 * *usage for a bad VERSION).
 */
static long squash_target(struct app *app, const char *arg, const struct checkpoint *old,
			  bool *usage)
{
	struct history none = { 0 };
	struct target t;
	long k;

	*usage = true;
	if (target_parse(arg, &app->src, &none, &t))
		return -1;
	if (t.kind != TARGET_VERSION) {
		target_release(&t);
		return usage_error("squash", "--to takes a version, not '%s'", arg), -1;
	}
	k = source_find(&app->src, t.version);
	target_release(&t);
	*usage = false;
	if (old->file && version_cmp(app->src.m[k].version, old->version) <= 0) {
		err_set_kind("usage");
		*usage = true;
		error("%s already covers version %s", old->file, app->src.m[k].raw_version);
		return -1;
	}
	for (size_t i = 0; old->file && i < old->nr; i++) {
		if (source_find(&app->src, old->covers[i].version) >= 0)
			continue;
		err_set_kind("missing");
		error("the file of migration %s_%s, covered by %s, is gone: a new checkpoint replays every file",
		      old->covers[i].version, old->covers[i].name, old->file);
		hint("restore the files from version control, squash, then delete them again");
		return -1;
	}
	return k;
}

/* The schema at the migration 'k': replayed in a scratch database. */
static int schema_at(struct app *app, long k, struct strbuf *sql)
{
	struct shadow sh;
	int ret;

	if (shadow_open(app, &sh))
		return -1;
	ret = checkpoint_replay(app, &sh, app->src.dir, app->src.m[k].version) ||
	      checkpoint_dump_scratch(app, &sh, sql) ? -1 : 0;
	shadow_close(&sh);
	return ret;
}

static void print_json(const char *file, const struct migration *m, size_t covered,
		       size_t later, const char *removed)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "squash");
	json_kstr(&j, "file", file);
	json_kstr(&j, "version", m->version);
	json_kint(&j, "covers", (long long)covered);
	json_kint(&j, "later", (long long)later);
	json_kbool(&j, "proved", true);
	json_kstr(&j, "replaced", removed);
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

/* Prove 'text' and write it as the folder's one checkpoint. 0 or -1. */
static int prove_and_write(struct app *app, const char *name, const struct strbuf *text,
			   const struct checkpoint *old)
{
	char *diff = NULL, *path;
	int r = checkpoint_prove(app, name, text, &diff);

	if (r > 0) {
		err_set_kind("squash");
		error("the checkpoint does not give the schema the migrations give: nothing written");
		detail("%s", diff);
		hint("a migration after the checkpoint may depend on something the dump leaves out (data, privileges); check it, or squash at another version");
		free(diff);
		return -1;
	}
	if (r < 0)
		return -1;
	path = xasprintf("%s/%s", app->src.dir, name);
	r = write_file_atomically(path, text);
	free(path);
	/* the old checkpoint goes once the new one, which covers more, is there */
	if (!r && old->file && strcmp(old->file, name)) {
		path = xasprintf("%s/%s", app->src.dir, old->file);
		if (unlink(path))
			warning("cannot remove the old checkpoint '%s': %s", path, strerror(errno));
		free(path);
	}
	return r;
}

int cmd_squash(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *to = NULL;
	struct checkpoint old = { 0 };
	struct strbuf schema = STRBUF_INIT, text = STRBUF_INIT;
	char *name = NULL;
	bool usage = false;
	long k;
	int o, ret = EXIT_FAIL;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("squash", "unexpected argument '%s' (the version is --to VERSION)", arg));
		case O_TO: to = arg; break;
		}
	}
	if (!to)
		return cmd_fail(app, usage_error("squash", "squash needs --to VERSION"));
	/* three scratch databases, and strata never empties a --shadow one */
	if (app->cfg.opt_shadow || app->cfg.shadow_url) {
		err_set_kind("shadow");
		error("squash needs three scratch databases, and the --shadow database serves once");
		hint("run squash without --shadow (or shadow = in strata.ini): strata then creates its scratch databases itself");
		return cmd_fail(app, EXIT_FAIL);
	}
	if (app_load_source(app) || checkpoint_load(&app->src, &old) < 0)
		return cmd_fail(app, EXIT_FAIL);
	k = squash_target(app, to, &old, &usage);
	if (k < 0) {
		ret = usage ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	name = checkpoint_file_name(app->src.m[k].raw_version);
	say("replaying %ld migrations up to %s in a scratch database", k + 1,
	    app->src.m[k].raw_version);
	if (schema_at(app, k, &schema) ||
	    checkpoint_text(&app->src, (size_t)k + 1, schema.buf, &text))
		goto out;
	say("proving it: the checkpoint then %zu later migration%s, against all %zu step by step",
	    app->src.nr - (size_t)k - 1, app->src.nr - (size_t)k - 1 == 1 ? "" : "s", app->src.nr);
	if (prove_and_write(app, name, &text, &old))
		goto out;
	ret = EXIT_OK;
	if (out.json)
		print_json(name, &app->src.m[k], (size_t)k + 1, app->src.nr - (size_t)k - 1,
			   old.file && strcmp(old.file, name) ? old.file : NULL);
	else
		say("checkpoint written to %s (covers %ld migrations, up to %s); the files it covers may now be deleted",
		    source_path(&app->src, name), k + 1, app->src.m[k].raw_version);
out:
	if (ret != EXIT_OK)
		ret = cmd_fail(app, ret);
	free(name);
	checkpoint_release(&old);
	strbuf_release(&schema);
	strbuf_release(&text);
	return ret;
}

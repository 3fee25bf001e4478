/*
 * check.c - drift: does the database still have the schema its applied
 * migrations make? They are replayed in a scratch database (or a schema
 * file is loaded there, --against), both schemas are read from the
 * catalog, and the difference is reported object by object. The target
 * is only read.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/replay.h"
#include "../core/runner.h"
#include "../core/scripts.h"
#include "../core/shadow.h"
#include "../schema/catalog.h"
#include "../schema/diff.h"
#include "../sql/parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <stdio.h>

enum { O_AGAINST = 1 };

static const struct cmd_opt opts[] = {
	{ "against", 0, true, O_AGAINST },
	{ NULL, 0, false, 0 },
};

struct check {
	struct app *app;
	const char *against;	/* --against FILE, or NULL */
	struct history hist;	/* the target's */
	struct script_records rec;	/* the target's repeatable runs */
	size_t nr_replayed;
	struct schema_model expected, found;
	struct schema_diff d;
	enum shadow_kind scratch;
};

/* ---- the target -------------------------------------------------------- */

/*
 * What is applied, by the history: every row applied (none stopped
 * part-way), each with its file. 0, or -1 after error().
 */
static int check_history(struct check *c)
{
	struct app *app = c->app;
	int bad = 0;

	for (size_t i = 0; i < c->hist.nr; i++) {
		const struct applied *a = &c->hist.a[i];
		if (strcmp(a->state, "applied")) {
			err_set_kind("partial");
			error("migration %s_%s stopped part-way (%s): the schema it leaves is no migration's",
			      a->version, a->name, a->state);
			hint("settle it first ('strata help resolve')");
			return -1;
		}
		if (source_find(&app->src, a->version) < 0) {
			if (!bad)
				err_set_kind("missing");
			error("applied migration %s_%s has no file in %s", a->version, a->name,
			      app->cfg.source_dir);
			bad = 1;
		}
	}
	if (bad)
		hint("restore the files, or compare with a schema file: 'strata check --against FILE'");
	return bad ? -1 : 0;
}

/* Read the target: its history (unless --against) and its schema. */
static int read_target(struct check *c)
{
	struct app *app = c->app;

	app_connect_begin(app);
	if ((!c->against && app_load_source(app)) || app_connect(app))
		return -1;
	if (!c->against) {
		if (history_read(&app->db, &app->cfg, &c->hist) ||
		    scripts_read(&app->db, &app->cfg, &c->rec) || check_history(c))
			return -1;
	}
	if (schema_read_with(&app->db, &app->cfg, SCHEMA_COLUMNS, &c->found))
		return -1;
	/* the target is done with: the scratch database takes its place */
	db_close(&app->db);
	app->connected = false;
	return 0;
}

/* ---- the scratch database ---------------------------------------------- */

/* The migrations the target has applied, in version order. 0 or -1. */
static int replay_applied(struct check *c)
{
	struct app *app = c->app;

	for (size_t i = 0; i < c->hist.nr; i++) {
		struct migration *m = &app->src.m[source_find(&app->src, c->hist.a[i].version)];
		char *err = NULL;
		double ms;
		bool in_tx;
		if (replay_script(app, m, false, &ms, &err, &in_tx)) {
			err_reset();
			err_set_kind("sql");
			error("cannot replay %s: %s", step_label(m), err);
			free(err);
			return -1;
		}
		c->nr_replayed++;
	}
	return 0;
}

/*
 * The repeatable migrations the target ran (by its records), as their
 * files are now: the views and functions they make are part of the
 * schema the folder describes.
 */
static int replay_repeatables(struct check *c)
{
	struct app *app = c->app;
	struct script_records none = { 0 };
	struct script_plan sp = { 0 };
	bool *pick = xcalloc(app->src.nr_scripts + 1, sizeof(*pick));
	bool any = false;
	int ret;

	for (size_t i = 0; i < app->src.nr_scripts; i++)
		for (size_t k = 0; k < c->rec.nr; k++)
			if (!strcmp(c->rec.a[k].kind, "repeatable") &&
			    !strcmp(c->rec.a[k].name, app->src.scripts[i].name))
				any = pick[i] = true;
	if (!any) {
		free(pick);
		return 0;
	}
	out.mute = out.verbosity < 1;
	ret = script_plan_make(&sp, KIND_REPEATABLE, &app->src, &none, pick, false) ||
	      script_plan_run(app, &sp, false, NULL) ? -1 : 0;
	out.mute = false;
	if (ret) {
		char *msg = xstrdup(last_err.msg ? last_err.msg : "failed");
		err_reset();
		err_set_kind("sql");
		error("cannot replay the repeatable migrations: %s", msg);
		free(msg);
	}
	script_plan_release(&sp);
	free(pick);
	return ret;
}

/* Read all of 'path' (text, no NUL byte). 0, or -1 after error(). */
static int read_text_file(const char *path, struct strbuf *sb)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (!f) {
		err_set_kind("files");
		return error("cannot open '%s': %s", path, strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(sb, buf, n);
	if (ferror(f)) {
		fclose(f);
		err_set_kind("files");
		return error("cannot read '%s': %s", path, strerror(errno));
	}
	fclose(f);
	if (strlen(sb->buf) != sb->len || !utf8_valid(sb->buf, sb->len)) {
		err_set_kind("files");
		return error("'%s' is not a text file (a NUL byte or invalid UTF-8)", path);
	}
	return 0;
}

/* Line and column (1-based) of byte 'off' of 'text'. */
static void text_position(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/*
 * --against FILE: load the schema file into the scratch database, all of
 * it in one implicit transaction (one message), as 'psql -1 -f' would.
 */
static int load_against(struct check *c)
{
	struct app *app = c->app;
	struct strbuf text = STRBUF_INIT;
	struct pgerr e = { 0 };
	bool failed = false;

	if (read_text_file(c->against, &text)) {
		strbuf_release(&text);
		return -1;
	}
	db_run(&app->db, text.buf, &e, &failed, NULL, NULL, NULL);
	if (failed) {
		int line = 0, col = 0;
		err_set_kind("sql");
		if (e.position > 0) {
			text_position(text.buf, sql_char_to_byte(text.buf, text.len, e.position),
				      &line, &col);
			last_err.file = xstrdup(c->against);
			last_err.line = line;
			last_err.column = col;
			error("%s:%d:%d: cannot load the schema file: %s", c->against, line, col, e.msg);
		} else {
			error("%s: cannot load the schema file: %s", c->against, e.msg);
		}
	}
	pgerr_release(&e);
	strbuf_release(&text);
	return failed ? -1 : 0;
}

/* Build the expected schema in a scratch database, and read it. */
static int build_expected(struct check *c)
{
	struct app *app = c->app;
	struct shadow sh;
	int ret;

	if (shadow_open(app, &sh))
		return -1;
	c->scratch = sh.kind;
	ret = replay_connect(app, &sh) ||
	      (c->against ? load_against(c) : replay_applied(c) || replay_repeatables(c)) ||
	      schema_read_with(&app->db, &app->cfg, SCHEMA_COLUMNS, &c->expected) ? -1 : 0;
	db_close(&app->db);
	app->connected = false;
	shadow_close(&sh);
	return ret;
}

/* ---- output ------------------------------------------------------------ */

static const char *what_expected(const struct check *c)
{
	static char buf[512];

	if (c->against)
		snprintf(buf, sizeof(buf), "%s", c->against);
	else
		snprintf(buf, sizeof(buf), "its %zu applied migration%s", c->nr_replayed,
			 c->nr_replayed == 1 ? "" : "s");
	return buf;
}

static void print_text(const struct check *c)
{
	const struct schema_diff *d = &c->d;

	if (!d->nr) {
		say("no drift: %s matches %s", c->app->ci.display, what_expected(c));
		return;
	}
	say("drift: %s differs from %s in %zu object%s (missing: made by %s, not in the database; extra: the other way)",
	    c->app->ci.display, what_expected(c), d->nr, d->nr == 1 ? "" : "s",
	    c->against ? "the file" : "the migrations");
	for (size_t i = 0; i < d->nr; i++) {
		const char *p = d->f[i].excerpt;
		say("  %s", d->f[i].text);
		while (p && *p) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);
			say("      %.*s", n, p);
			p += n + (nl != NULL);
		}
	}
}

static void print_json(const struct check *c, double start)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "check");
	json_kstr(&j, "database", c->app->ci.display);
	json_kstr(&j, "against", c->against);
	json_kint(&j, "replayed", (long long)c->nr_replayed);
	json_kstr(&j, "scratch", shadow_kind_name(c->scratch));
	json_key(&j, "findings");
	json_arr_begin(&j);
	for (size_t i = 0; i < c->d.nr; i++)
		schema_finding_json(&c->d.f[i], &j);
	json_arr_end(&j);
	json_kbool(&j, "drifted", c->d.nr > 0);
	json_kint(&j, "duration_ms", (long long)(now_ms() - start + 0.5));
	json_kbool(&j, "ok", c->d.nr == 0);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

static void check_release(struct check *c)
{
	history_release(&c->hist);
	scripts_records_release(&c->rec);
	schema_model_release(&c->expected);
	schema_model_release(&c->found);
	schema_diff_release(&c->d);
}

int cmd_check(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	struct check c = { 0 };
	const char *arg;
	double start = now_ms();
	int o, ret;

	c.app = app;
	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("check", "unexpected argument '%s'", arg));
		case O_AGAINST:
			if (!*arg)
				return cmd_fail(app, usage_error("check", "option '--against' needs a file name"));
			c.against = arg;
			break;
		}
	}
	if (read_target(&c) || build_expected(&c)) {
		check_release(&c);
		return cmd_fail(app, EXIT_FAIL);
	}
	schema_diff(&c.expected, &c.found, &c.d);
	if (out.json)
		print_json(&c, start);
	else
		print_text(&c);
	ret = c.d.nr ? exit_failure() : EXIT_OK;
	check_release(&c);
	return ret;
}

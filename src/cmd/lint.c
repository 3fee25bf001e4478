/*
 * lint.c - what the migrations would do to a live database, read from
 * their parse trees before they run. Changes nothing.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../lint/engine.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

enum { O_ALL = 1, O_PG_VERSION, O_FORMAT, O_EXPLAIN, O_RULES };

static const struct cmd_opt opts[] = {
	{ "all", 0, false, O_ALL },
	{ "pg-version", 0, true, O_PG_VERSION },
	{ "format", 0, true, O_FORMAT },
	{ "explain", 0, true, O_EXPLAIN },
	{ "rules", 0, false, O_RULES },
	{ NULL, 0, false, 0 },
};

/* The PostgreSQL version assumed when neither --pg-version nor a server says. */
#define DEFAULT_PG_VERSION 150000

enum format { F_TEXT, F_JSON, F_GITHUB, F_SARIF };

struct lint_opts {
	bool all, rules;
	int pg_version;		/* 0 = not given */
	enum format format;
	const char *explain;
	const char **files;
	size_t nr_files;
};

static int parse_opts(int argc, char **argv, struct lint_opts *lo)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	int o;

	lo->format = out.json ? F_JSON : F_TEXT;
	lo->files = xcalloc((size_t)argc + 1, sizeof(*lo->files));
	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return EXIT_USAGE;
		case 0: lo->files[lo->nr_files++] = arg; break;
		case O_ALL: lo->all = true; break;
		case O_RULES: lo->rules = true; break;
		case O_EXPLAIN: lo->explain = arg; break;
		case O_PG_VERSION:
			lo->pg_version = lint_parse_pg_version(arg);
			if (lo->pg_version < 0)
				return usage_error("lint", "--pg-version: expected a PostgreSQL version such as 15 or 9.6, got '%s'", arg);
			break;
		case O_FORMAT:
			if (!strcmp(arg, "text"))
				lo->format = out.json ? F_JSON : F_TEXT;
			else if (!strcmp(arg, "json"))
				lo->format = F_JSON;
			else if (!strcmp(arg, "github"))
				lo->format = F_GITHUB;
			else if (!strcmp(arg, "sarif"))
				lo->format = F_SARIF;
			else
				return usage_error("lint", "--format: expected text, json, github or sarif, got '%s'", arg);
			break;
		}
	}
	if (lo->all && lo->nr_files)
		return usage_error("lint", "--all lints every migration: give it or FILEs, not both");
	if (lo->format == F_JSON)
		out.json = true;
	return 0;
}

/* --rules: every rule, one line each (or a JSON list). */
static int list_rules(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	json_key(&j, "rules");
	json_arr_begin(&j);
	for (size_t k = 0; k < lint_rule_count(); k++) {
		const struct lint_rule *r = lint_rule_at(k);
		if (!out.json) {
			say("%-46s %-8s %s", r->id, lint_severity_name(r->severity), r->summary);
			continue;
		}
		json_obj_begin(&j);
		json_kstr(&j, "id", r->id);
		json_kstr(&j, "severity", lint_severity_name(r->severity));
		json_kstr(&j, "summary", r->summary);
		json_kstr(&j, "explanation", r->explanation);
		json_kstr(&j, "safe_sql", r->safe_sql);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	if (out.json)
		out_json(&sb);
	strbuf_release(&sb);
	return EXIT_OK;
}

/* --explain RULE */
static int explain(struct app *app, const char *id)
{
	const struct lint_rule *r = lint_rule_find(id);
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	if (!r) {
		err_set_kind("usage");
		usage_error("lint", "no rule '%s'", id);
		hint("'strata lint --rules' lists the rule ids");
		return cmd_fail(app, EXIT_USAGE);
	}
	if (out.json) {
		json_init(&j, &sb);
		json_obj_begin(&j);
		json_kstr(&j, "id", r->id);
		json_kstr(&j, "severity", lint_severity_name(r->severity));
		json_kstr(&j, "summary", r->summary);
		json_kstr(&j, "explanation", r->explanation);
		json_kstr(&j, "safe_sql", r->safe_sql);
		json_obj_end(&j);
		out_json(&sb);
	} else {
		lint_format_rule(r, &sb);
		strbuf_setlen(&sb, sb.len - 1);
		say_always("%s", sb.buf);
	}
	strbuf_release(&sb);
	return EXIT_OK;
}

/*
 * A named file that belongs to the migrations folder is linted as the
 * folder reads it (its up and down sections, its directives); any other
 * file as one script. Returns 0, or -1 when it cannot be read (reported).
 */
static int lint_named_file(struct app *app, struct linter *l, const char *path,
			   const char *folder)
{
	char real[PATH_MAX];
	size_t n = folder ? strlen(folder) : 0;
	struct source plain = { 0 };
	struct script s;
	int ret;

	if (folder && realpath(path, real) && !strncmp(real, folder, n) && real[n] == '/') {
		const char *rel = real + n + 1;
		for (size_t i = 0; i < app->src.nr; i++) {
			const struct migration *m = &app->src.m[i];
			bool up = !strcmp(m->up_file, rel);
			bool down = m->down_file && !strcmp(m->down_file, rel);
			if (up || down)
				return lint_migration(l, &app->src, m, up, down);
		}
	}
	plain.dir = (char *)".";
	plain.dirfd = AT_FDCWD;
	plain.max_file_size = SIZE_MAX;
	ret = script_read_file(&plain, path, &s);
	if (!ret) {
		free(s.path);
		s.path = xstrdup(path);
		lint_script(l, &s, false);
	}
	script_release(&s);
	return ret;
}

/* The folder's real path when it loads cleanly (quietly: files may be anywhere). */
static char *try_folder(struct app *app)
{
	char real[PATH_MAX];
	struct stat st;
	bool mute = out.mute;

	if (stat(app->cfg.source_dir, &st) || !S_ISDIR(st.st_mode) ||
	    !realpath(app->cfg.source_dir, real))
		return NULL;
	out.mute = true;
	if (app_load_source(app)) {
		out.mute = mute;
		err_reset();
		return NULL;
	}
	out.mute = mute;
	return xstrdup(real);
}

static int lint_files(struct app *app, struct linter *l, const struct lint_opts *lo)
{
	char *folder = try_folder(app);
	int ret = 0;

	for (size_t i = 0; i < lo->nr_files; i++)
		if (lint_named_file(app, l, lo->files[i], folder))
			ret = -1;
	free(folder);
	return ret;
}

/* Every migration of the folder, or only those the history lacks. */
static int lint_folder(struct app *app, struct linter *l, bool pending)
{
	int ret = 0;

	for (size_t i = 0; i < app->src.nr; i++) {
		const struct migration *m = &app->src.m[i];
		const struct applied *a = pending ? history_find(&app->hist, m->version) : NULL;
		if (a && !strcmp(a->state, "applied"))
			continue;
		if (lint_migration(l, &app->src, m, true, true))
			ret = -1;
	}
	return ret;
}

/* Pending migrations need the history: say so when there is no database. */
static int open_history(struct app *app)
{
	app_connect_begin(app);
	if (app_load_source(app))
		return -1;
	if (app_connect(app) || app_read_history(app)) {
		hint("without a database, 'strata lint --all' lints every migration, and 'strata lint FILE...' the files named");
		return -1;
	}
	return 0;
}

static void print_findings(const struct linter *l, const struct lint_opts *lo)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	switch (lo->format) {
	case F_TEXT:
		lint_format_text(l, &sb);
		if (sb.len) {
			strbuf_setlen(&sb, sb.len - 1);
			say_always("%s", sb.buf);
		}
		say("%zu error%s, %zu warning%s, %zu info in %zu file%s (%zu statements, PostgreSQL %d)",
		    linter_count(l, LINT_ERROR), linter_count(l, LINT_ERROR) == 1 ? "" : "s",
		    linter_count(l, LINT_WARNING), linter_count(l, LINT_WARNING) == 1 ? "" : "s",
		    linter_count(l, LINT_INFO), l->nr_files, l->nr_files == 1 ? "" : "s",
		    l->nr_stmts, l->pg_version / 10000);
		if (l->nr)
			say("'strata lint --explain RULE' says why and shows the safe way");
		break;
	case F_JSON:
		json_init(&j, &sb);
		json_obj_begin(&j);
		lint_format_json(l, &j);
		json_kint(&j, "pg_version", l->pg_version);
		json_kbool(&j, "ok", linter_count(l, LINT_ERROR) == 0);
		json_obj_end(&j);
		out_json(&sb);
		break;
	case F_GITHUB:
		lint_format_github(l, &sb);
		fwrite(sb.buf, 1, sb.len, stdout);
		break;
	case F_SARIF:
		lint_format_sarif(l, &sb);
		out_json(&sb);
		break;
	}
	strbuf_release(&sb);
}

int cmd_lint(int argc, char **argv, struct app *app)
{
	struct lint_opts lo = { 0 };
	struct linter l;
	int r = parse_opts(argc, argv, &lo), ret = 0;

	if (r) {
		free(lo.files);
		return cmd_fail(app, r);
	}
	if (lo.rules || lo.explain) {
		free(lo.files);
		return lo.explain ? explain(app, lo.explain) : list_rules();
	}
	if (!lo.nr_files && (lo.all ? app_load_source(app) : open_history(app))) {
		free(lo.files);
		return cmd_fail(app, EXIT_FAIL);
	}
	if (!lo.pg_version)
		lo.pg_version = app->connected && app->db.server_version ?
				app->db.server_version : DEFAULT_PG_VERSION;
	linter_init(&l, lo.pg_version, app->cfg.lock_timeout_ms > 0);
	if (linter_configure(&l, &app->cfg)) {
		linter_release(&l);
		free(lo.files);
		return cmd_fail(app, EXIT_FAIL);
	}
	if (lo.nr_files)
		ret = lint_files(app, &l, &lo);
	else
		ret = lint_folder(app, &l, !lo.all);
	linter_sort(&l);
	print_findings(&l, &lo);
	r = ret || linter_count(&l, LINT_ERROR) ? EXIT_FAIL : EXIT_OK;
	linter_release(&l);
	free(lo.files);
	return r;
}

/*
 * load.c - load a schema file (strata's own dump, maybe edited by hand)
 * into an empty database, in one transaction: the quick way to a database
 * at head when the file carries the history ('dump --with-history').
 *
 * The file goes through libpq, not psql: it is split by PostgreSQL's own
 * parser first (src/sql/parse.c), so a syntax error is reported with its
 * file:line:column before anything is sent, and a server error points at
 * the line of the file, as 'up' does.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/runner.h"
#include "../core/shadow.h"
#include "../core/schemafile.h"
#include "../sql/parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <fcntl.h>

/* A schema file may be large, but not without bound. */
#define LOAD_MAX_FILE_SIZE (256u << 20)

/* What one load did, for the report. */
struct load {
	const char *file;
	struct script s;
	struct parsed p;
	size_t nr_stmts;
	bool history;		/* the database has a history table now */
	double ms;
};

/* Read and parse the file; refuse what cannot run in one transaction. */
static int load_read(struct load *l)
{
	struct source dir = { 0 };
	struct parse_error pe;

	dir.dir = ".";
	dir.dirfd = AT_FDCWD;
	dir.max_file_size = LOAD_MAX_FILE_SIZE;
	if (script_read_file(&dir, l->file, &l->s)) {
		err_set_kind("files");
		return -1;
	}
	if (sql_parse(l->s.text, l->s.len, &l->p, &pe)) {
		err_set_kind("files");
		error("%s: %s%s", l->s.path, pe.copy ? "" : "syntax error: ", pe.msg);
		script_show_location(&l->s, pe.off);
		free(pe.msg);
		return -1;
	}
	for (size_t i = 0; i < l->p.nr; i++) {
		const struct stmt *st = &l->p.stmts[i];
		if (st->cls == STMT_PLAIN)
			continue;
		err_set_kind("files");
		error("%s: %s cannot run in the one transaction 'load' uses",
		      l->s.path, st->what);
		script_show_location(&l->s, st->off);
		hint("a schema file loads all or nothing; remove the statement (a plain CREATE INDEX does the same in an empty database)");
		return -1;
	}
	l->nr_stmts = l->p.nr;
	return 0;
}

/* The database must hold nothing: a load never mixes with what is there. */
static int check_target_empty(struct app *app)
{
	long long n;
	char *example;
	int ret = 0;

	if (db_count_relations(&app->db, &n, &example))
		return -1;
	if (n) {
		err_set_kind("refused");
		ret = error("%s is not empty: it holds %lld relation%s (%s, ...)",
			    app->ci.display, n, n == 1 ? "" : "s", example);
		hint("load into a new database ('strata create'), or empty this one first ('strata drop' then 'strata create')");
	}
	free(example);
	return ret;
}

static void print_json(struct app *app, const struct load *l)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "load");
	json_kstr(&j, "database", app->ci.display);
	json_kstr(&j, "file", l->file);
	json_kint(&j, "statements", (long long)l->nr_stmts);
	json_kbool(&j, "history", l->history);
	json_kstr(&j, "current", history_head(&app->hist) ?
		  history_head(&app->hist)->version : l->history ? "base" : NULL);
	json_kint(&j, "duration_ms", (long long)(l->ms + 0.5));
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_load(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	struct load l = { 0 };
	int o, ret = EXIT_OK;

	while ((o = opt_next(&it, NULL, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0:
			if (l.file)
				return cmd_fail(app, usage_error("load", "one FILE only"));
			l.file = arg;
			break;
		}
	}
	if (!l.file)
		l.file = app->cfg.schema_file;
	if (!l.file)
		return cmd_fail(app, usage_error("load", "no FILE given, and no schema_file = FILE in strata.ini"));
	/* the file first: a bad one never reaches the database */
	app_connect_begin(app);
	if (load_read(&l) || app_connect(app) || app_lock(app) ||
	    check_target_empty(app) ||
	    script_run_in_tx(app, &l.s, &l.p, "RESET check_function_bodies;\n", &l.ms) ||
	    app_read_history(app)) {
		ret = cmd_fail(app, EXIT_FAIL);
	} else {
		l.history = app->hist.exists;
		if (out.json) {
			print_json(app, &l);
		} else {
			say("loaded %s into %s: %zu statement%s in %.0f ms", l.file,
			    app->ci.display, l.nr_stmts, l.nr_stmts == 1 ? "" : "s", l.ms);
			if (history_head(&app->hist))
				say("now at %s", history_head(&app->hist)->version);
		}
		if (!l.history)
			hint("the file holds no history: record the version it matches with 'strata stamp VERSION' (a dump made with --with-history carries it)");
	}
	script_release(&l.s);
	parsed_release(&l.p);
	return ret;
}

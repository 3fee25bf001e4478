/*
 * drop.c - drop the database the URL names, from the server's maintenance
 * database. Nothing in strata destroys more at once, so it asks first.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../db/maint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <unistd.h>

enum { O_IF_EXISTS = 1, O_FORCE };

static const struct cmd_opt opts[] = {
	{ "if-exists", 0, false, O_IF_EXISTS },
	{ "force", 'f', false, O_FORCE },
	{ NULL, 0, false, 0 },
};

/* The databases strata connects to in order to create and drop others. */
static bool is_maintenance_db(const char *name)
{
	return !strcmp(name, "postgres") || !strcmp(name, "template1") ||
	       !strcmp(name, "template0");
}

/*
 * Someone at a terminal types the database's name, as GitHub asks before
 * deleting a repository: a "y" is typed without reading. Without a
 * terminal nobody can answer, so only --force goes on. 0 confirmed, or -1
 * after error().
 */
static int confirm(const struct app *app, const char *name)
{
	struct strbuf prompt = STRBUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool ok;

	if (!isatty(STDIN_FILENO)) {
		err_set_kind("refused");
		error("refusing to drop database '%s' without confirmation: standard input is not a terminal", name);
		hint("add --force to drop it without asking");
		return -1;
	}
	strbuf_addstr(&prompt, "Drop database '");
	out_clean(&prompt, name, false);
	strbuf_addstr(&prompt, "' (");
	out_clean(&prompt, app->ci.display, false);
	strbuf_addstr(&prompt, ") and everything in it?\nType its name to confirm: ");
	fputs(prompt.buf, stderr);
	fflush(stderr);
	strbuf_release(&prompt);
	n = getline(&line, &cap, stdin);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	ok = n >= 0 && !strcmp(line, name);
	free(line);
	if (n < 0)
		fputc('\n', stderr);
	if (!ok) {
		err_set_kind(interrupted ? "interrupted" : "refused");
		return error("not confirmed: database '%s' was not dropped", name);
	}
	return 0;
}

/* DROP DATABASE; IF EXISTS when a concurrent drop is fine. 0 or -1. */
static int drop_database(struct db *db, const char *name, bool if_exists)
{
	char *ident = PQescapeIdentifier(db->conn, name, strlen(name));
	char *sql = xasprintf("DROP DATABASE %s%s", if_exists ? "IF EXISTS " : "", ident);
	struct pgerr e = { 0 };
	int ret = 0;

	if (db_command(db, sql, &e)) {
		report_database_error(db, &e, "cannot drop the database", name);
		ret = -1;
	}
	pgerr_release(&e);
	free(sql);
	PQfreemem(ident);
	return ret;
}

static void print_result(struct app *app, const char *name, bool dropped)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	if (!out.json) {
		if (dropped)
			say("dropped database '%s'", name);
		else
			say("database '%s' does not exist; nothing to drop", name);
		return;
	}
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "drop");
	json_kstr(&j, "database", name);
	json_kstr(&j, "url", app->ci.display);
	json_kbool(&j, "dropped", dropped);
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_drop(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	bool if_exists = false, force = false;
	struct conninfo mci = { 0 };
	struct db db = { 0 };
	char *name = NULL;
	int o, r, ret = EXIT_FAIL;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("drop", "unexpected argument '%s' (the database is the one the URL names)", arg));
		case O_IF_EXISTS: if_exists = true; break;
		case O_FORCE: force = true; break;
		}
	}
	app->have_ci = true;
	if (conninfo_resolve(&app->cfg, &app->ci))
		return cmd_fail(app, EXIT_FAIL);
	name = conninfo_dbname(&app->ci);
	if (dbname_check(name))
		goto out;
	if (is_maintenance_db(name)) {
		err_set_kind("refused");
		error("refusing to drop '%s': strata connects to it to create and drop databases", name);
		hint("point the URL at the database to drop");
		goto out;
	}
	if (db_connect_maintenance(&db, &app->ci, app->cfg.wait_ms, &mci))
		goto out;
	r = database_exists(&db, name);
	if (r < 0)
		goto out;
	if (r == 0 && !if_exists) {
		err_set_kind("not_found");
		error("database '%s' does not exist (%s)", name, app->ci.display);
		hint("use 'strata drop --if-exists' when that is fine");
		goto out;
	}
	if (r == 1 && !force && confirm(app, name))
		goto out;
	if (r == 1 && drop_database(&db, name, if_exists))
		goto out;
	print_result(app, name, r == 1);
	ret = EXIT_OK;
out:
	db_close(&db);
	conninfo_release(&mci);
	free(name);
	return ret == EXIT_OK ? ret : cmd_fail(app, ret);
}

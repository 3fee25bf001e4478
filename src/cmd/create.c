/*
 * create.c - create the database the URL names, from the server's
 * maintenance database (a container's first start, a fresh dev machine).
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../db/maint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

enum { O_IF_NOT_EXISTS = 1 };

static const struct cmd_opt opts[] = {
	{ "if-not-exists", 0, false, O_IF_NOT_EXISTS },
	{ NULL, 0, false, 0 },
};

/*
 * CREATE DATABASE, quoted by the server's own rules. A database created
 * meanwhile by someone else (42P04) is "exists", as the check before.
 * 1 created, 0 it exists, -1 after error().
 */
static int create_database(struct db *db, const char *name)
{
	char *ident = PQescapeIdentifier(db->conn, name, strlen(name));
	char *sql = xasprintf("CREATE DATABASE %s", ident);
	struct pgerr e = { 0 };
	int ret = 1;

	if (db_command(db, sql, &e)) {
		if (e.sqlstate && !strcmp(e.sqlstate, "42P04")) {
			ret = 0;
		} else {
			report_database_error(db, &e, "cannot create the database", name);
			ret = -1;
		}
	}
	pgerr_release(&e);
	free(sql);
	PQfreemem(ident);
	return ret;
}

static void print_result(struct app *app, const char *name, bool created)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	if (!out.json) {
		if (created)
			say("created database '%s'", name);
		else
			say("database '%s' already exists", name);
		return;
	}
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "create");
	json_kstr(&j, "database", name);
	json_kstr(&j, "url", app->ci.display);
	json_kbool(&j, "created", created);
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_create(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	bool if_not_exists = false;
	struct conninfo mci = { 0 };
	struct db db = { 0 };
	char *name = NULL;
	int o, r, ret = EXIT_FAIL;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("create", "unexpected argument '%s' (the database is the one the URL names)", arg));
		case O_IF_NOT_EXISTS: if_not_exists = true; break;
		}
	}
	app->have_ci = true;
	if (conninfo_resolve(&app->cfg, &app->ci))
		return cmd_fail(app, EXIT_FAIL);
	name = conninfo_dbname(&app->ci);
	if (dbname_check(name) || db_connect_maintenance(&db, &app->ci, app->cfg.wait_ms, &mci))
		goto out;
	r = database_exists(&db, name);
	if (r == 0)
		r = create_database(&db, name);
	else if (r == 1)
		r = 0;
	if (r < 0)
		goto out;
	if (r == 0 && !if_not_exists) {
		err_set_kind("exists");
		error("database '%s' already exists (%s)", name, app->ci.display);
		hint("use 'strata create --if-not-exists' when that is fine");
		goto out;
	}
	print_result(app, name, r == 1);
	ret = EXIT_OK;
out:
	db_close(&db);
	conninfo_release(&mci);
	free(name);
	return ret == EXIT_OK ? ret : cmd_fail(app, ret);
}

/*
 * resolve.c - settle a no-transaction migration that stopped part-way,
 * once an operator has looked at the database.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/version.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

int cmd_resolve(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *args[2] = { NULL, NULL };
	int o, n = 0;
	char *v;
	struct applied *a;
	struct strbuf sql = STRBUF_INIT;
	struct pgerr e = { 0 };
	bool failed, applied;

	while ((o = opt_next(&it, NULL, &arg)) != -1) {
		if (o == -2)
			return cmd_fail(app, EXIT_USAGE);
		if (n == 2)
			return cmd_fail(app, usage_error("resolve", "unexpected argument '%s'", arg));
		args[n++] = arg;
	}
	if (n != 2 || (strcmp(args[1], "applied") && strcmp(args[1], "reverted")))
		return cmd_fail(app, usage_error("resolve", "usage: strata resolve VERSION applied|reverted"));
	applied = !strcmp(args[1], "applied");
	v = version_normalize(args[0], strlen(args[0]));
	if (!v)
		return cmd_fail(app, usage_error("resolve", "invalid version '%s'", args[0]));
	if (app_connect(app) || app_lock(app) || app_read_history(app)) {
		free(v);
		return cmd_fail(app, EXIT_FAIL);
	}
	a = history_find(&app->hist, v);
	if (!a || !strcmp(a->state, "applied")) {
		err_set_kind("usage");
		error("migration %s did not stop part-way: nothing to resolve", args[0]);
		free(v);
		return cmd_fail(app, EXIT_FAIL);
	}
	if (applied) {
		strbuf_addstr(&sql, "UPDATE ");
		history_qname(&app->cfg, &sql);
		strbuf_addf(&sql, " SET state = 'applied', statements_done = NULL, error = NULL WHERE version OPERATOR(pg_catalog.=) '%s'", v);
	} else {
		strbuf_addstr(&sql, "DELETE FROM ");
		history_qname(&app->cfg, &sql);
		strbuf_addf(&sql, " WHERE version OPERATOR(pg_catalog.=) '%s'", v);
	}
	db_run(&app->db, sql.buf, &e, &failed, NULL, NULL, NULL);
	strbuf_release(&sql);
	if (failed) {
		pgerr_report(&e, "cannot write the history table");
		pgerr_release(&e);
		free(v);
		return cmd_fail(app, EXIT_FAIL);
	}
	if (out.json) {
		struct strbuf sb = STRBUF_INIT;
		struct json j;
		json_init(&j, &sb);
		json_obj_begin(&j);
		json_kstr(&j, "command", "resolve");
		json_kstr(&j, "version", v);
		json_kstr(&j, "recorded_as", args[1]);
		json_kbool(&j, "ok", true);
		json_obj_end(&j);
		out_json(&sb);
		strbuf_release(&sb);
	} else {
		say("%s is now recorded as %s", args[0], applied ? "applied" : "not applied");
	}
	free(v);
	return EXIT_OK;
}

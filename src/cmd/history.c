/*
 * history.c - the applied migrations in order; -v with their SQL.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

int cmd_history(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	int o;

	while ((o = opt_next(&it, NULL, &arg)) != -1) {
		if (o == -2)
			return cmd_fail(app, EXIT_USAGE);
		return cmd_fail(app, usage_error("history", "unexpected argument '%s'", arg));
	}
	/* the folder is optional here: history is in the database */
	if (source_load(&app->src, app->cfg.source_dir) == 0) {
		app->have_src = true;
	} else {
		source_release(&app->src);
		err_reset();
	}
	if (app_connect(app) || app_read_history(app))
		return cmd_fail(app, EXIT_FAIL);
	if (out.json) {
		struct strbuf sb = STRBUF_INIT;
		struct json j;
		json_init(&j, &sb);
		json_obj_begin(&j);
		json_key(&j, "migrations");
		json_arr_begin(&j);
		for (size_t i = 0; i < app->hist.nr; i++) {
			struct applied *a = &app->hist.a[i];
			json_obj_begin(&j);
			json_kstr(&j, "version", a->version);
			json_kstr(&j, "name", a->name);
			json_kstr(&j, "state", a->state);
			json_kstr(&j, "applied_at", a->applied_at);
			if (a->duration_ms >= 0)
				json_kint(&j, "duration_ms", a->duration_ms);
			else
				json_kstr(&j, "duration_ms", NULL);
			json_kbool(&j, "stamped", a->stamped);
			json_kstr(&j, "checksum", a->checksum);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		out_json(&sb);
		strbuf_release(&sb);
		return EXIT_OK;
	}
	if (!app->hist.nr)
		say("no migration applied");
	for (size_t i = 0; i < app->hist.nr; i++) {
		struct applied *a = &app->hist.a[i];
		char took[32] = "";
		if (a->duration_ms >= 0)
			snprintf(took, sizeof(took), "%lld ms", a->duration_ms);
		say("%s%s%s  %s  %s%s%s%s%s", c_bold(), a->version, c_reset(), a->applied_at,
		    a->name, took[0] ? "  " : "", took, a->stamped ? "  (stamped)" : "",
		    strcmp(a->state, "applied") ? "  (stopped part-way)" : "");
		if (out.verbosity > 0 && app->have_src) {
			long k = source_find(&app->src, a->version);
			struct script s;
			if (k >= 0 && script_read(&app->src, &app->src.m[k], false, &s) == 0) {
				say("%s", s.text);
				script_release(&s);
			} else {
				say("  (file not found)");
			}
		}
	}
	return EXIT_OK;
}

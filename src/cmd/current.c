/*
 * current.c - the latest applied version, or "base".
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

int cmd_current(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	const struct applied *h;
	int o;

	while ((o = opt_next(&it, NULL, &arg)) != -1) {
		if (o == -2)
			return cmd_fail(app, EXIT_USAGE);
		return cmd_fail(app, usage_error("current", "unexpected argument '%s'", arg));
	}
	if (app_connect(app) || app_read_history(app))
		return cmd_fail(app, EXIT_FAIL);
	h = history_head(&app->hist);
	if (out.json) {
		struct strbuf sb = STRBUF_INIT;
		struct json j;
		json_init(&j, &sb);
		json_obj_begin(&j);
		json_kstr(&j, "current", h ? h->version : "base");
		json_kstr(&j, "name", h ? h->name : NULL);
		json_kstr(&j, "applied_at", h ? h->applied_at : NULL);
		json_obj_end(&j);
		out_json(&sb);
		strbuf_release(&sb);
	} else if (!h) {
		say_always("base");
	} else if (out.verbosity > 0) {
		say_always("%s %s (applied %s)", h->version, h->name, h->applied_at);
	} else {
		say_always("%s", h->version);
	}
	return EXIT_OK;
}

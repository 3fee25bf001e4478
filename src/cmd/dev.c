/*
 * dev.c - a throwaway PostgreSQL for development: started in a temporary
 * directory, its URL printed, removed on Ctrl-C. The same scratch
 * clusters that core/shadow.c gives other commands.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/shadow.h"
#include "../db/maint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <stdio.h>

enum { O_PRINT_ENV = 1, O_CHECK_SHADOW };

static const struct cmd_opt opts[] = {
	{ "print-env", 0, false, O_PRINT_ENV },
	{ "check-shadow", 0, false, O_CHECK_SHADOW },
	{ NULL, 0, false, 0 },
};

static void json_shadow(struct json *j, const struct shadow *sh)
{
	json_kstr(j, "kind", shadow_kind_name(sh->kind));
	json_kstr(j, "url", sh->url ? sh->url : sh->ci.display);
	json_kstr(j, "database", sh->dbname);
	json_kstr(j, "dir", sh->dir);
	json_kint(j, "server_version", sh->server_version);
}

/*
 * --check-shadow: open the scratch database other commands would get for
 * this target, say which kind it is, and remove it again.
 */
static int check_shadow(struct app *app)
{
	struct shadow sh;
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	if (shadow_open(app, &sh))
		return cmd_fail(app, EXIT_FAIL);
	if (out.json) {
		json_init(&j, &sb);
		json_obj_begin(&j);
		json_kstr(&j, "command", "dev");
		json_key(&j, "shadow");
		json_obj_begin(&j);
		json_shadow(&j, &sh);
		json_obj_end(&j);
		json_kbool(&j, "ok", true);
		json_obj_end(&j);
		out_json(&sb);
		strbuf_release(&sb);
	} else {
		say("scratch database: %s, %s%s%s", shadow_kind_name(sh.kind),
		    sh.url ? sh.url : sh.ci.display, sh.dir ? " in " : "", sh.dir ? sh.dir : "");
	}
	shadow_close(&sh);
	return EXIT_OK;
}

/* The target's database name when a target is configured, else "dev". */
static char *dev_dbname(struct app *app)
{
	app->have_ci = true;
	if (conninfo_resolve(&app->cfg, &app->ci))
		return NULL;
	if (str_starts(app->ci.source, "libpq defaults"))
		return xstrdup("dev");
	return conninfo_dbname(&app->ci);
}

/* Tell where the server is, as soon as it accepts connections. */
static void print_ready(const struct shadow *sh, bool print_env)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	if (out.json) {
		json_init(&j, &sb);
		json_obj_begin(&j);
		json_kstr(&j, "command", "dev");
		json_shadow(&j, sh);
		json_kbool(&j, "ok", true);
		json_obj_end(&j);
		out_json(&sb);
		strbuf_release(&sb);
	} else if (print_env) {
		say_always("DATABASE_URL='%s'", sh->url);
	} else {
		say_always("%s", sh->url);
	}
	fflush(stdout);
	if (out.verbosity >= 0)
		note("PostgreSQL running in %s; Ctrl-C (or SIGTERM) stops it and removes everything",
		     sh->dir);
}

int cmd_dev(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	bool print_env = false;
	struct shadow sh;
	char *name;
	int o, ret;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("dev", "unexpected argument '%s'", arg));
		case O_PRINT_ENV: print_env = true; break;
		case O_CHECK_SHADOW: return check_shadow(app);
		}
	}
	name = dev_dbname(app);
	if (!name)
		return cmd_fail(app, EXIT_FAIL);
	ret = shadow_open_cluster(&sh, 0, name);
	free(name);
	if (ret)
		return cmd_fail(app, EXIT_FAIL);
	print_ready(&sh, print_env);
	/* a signal is the normal way to stop: it ends sleep_ms() early */
	while (!interrupted && shadow_alive(&sh))
		sleep_ms(500);
	if (!interrupted) {
		err_set_kind("shadow");
		error("the scratch PostgreSQL in %s stopped on its own", sh.dir);
		shadow_close(&sh);
		return out.json ? EXIT_FAIL : cmd_fail(app, EXIT_FAIL);
	}
	shadow_close(&sh);
	if (out.verbosity >= 0)
		note("stopped; removed the scratch PostgreSQL");
	return EXIT_OK;
}

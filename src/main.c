/*
 * main.c - global options, the command table, and the exit status.
 */
#include "compat.h"
#include "app.h"
#include "cmd.h"
#include "fleet.h"
#include "util/util.h"
#include "util/strbuf.h"
#include "util/json.h"
#include "util/out.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(int, char **, struct app *);
	const char *alias_of;	/* canonical name, for aliases */
};

static const struct command commands[] = {
	{ "new", cmd_new, NULL },
	{ "add", cmd_new, "new" },
	{ "revision", cmd_new, "new" },
	{ "up", cmd_up, NULL },
	{ "upgrade", cmd_up, "up" },
	{ "run", cmd_up, "up" },
	{ "down", cmd_down, NULL },
	{ "downgrade", cmd_down, "down" },
	{ "revert", cmd_down, "down" },
	{ "redo", cmd_redo, NULL },
	{ "seed", cmd_seed, NULL },
	{ "status", cmd_status, NULL },
	{ "info", cmd_status, "status" },
	{ "show", cmd_status, "status" },
	{ "plan", cmd_plan, NULL },
	{ "current", cmd_current, NULL },
	{ "history", cmd_history, NULL },
	{ "dump", cmd_dump, NULL },
	{ "test", cmd_test, NULL },
	{ "check", cmd_check, NULL },
	{ "stamp", cmd_stamp, NULL },
	{ "adopt", cmd_adopt, NULL },
	{ "validate", cmd_validate, NULL },
	{ "lint", cmd_lint, NULL },
	{ "resolve", cmd_resolve, NULL },
	{ "create", cmd_create, NULL },
	{ "drop", cmd_drop, NULL },
	{ "wait", cmd_wait, NULL },
	{ "backup", cmd_backup, NULL },
	{ "restore", cmd_restore, NULL },
	{ "dev", cmd_dev, NULL },
	{ "load", cmd_load, NULL },
	{ "squash", cmd_squash, NULL },
	{ "help", cmd_help, NULL },
};

enum {
	G_DATABASE = 1, G_URL_ENV, G_ENV, G_CONFIG, G_ENV_FILE, G_SOURCE,
	G_TABLE, G_LOCK_TIMEOUT, G_LOCK_WAIT, G_LOCK_RETRIES, G_WAIT,
	G_POOLER, G_JSON, G_QUIET, G_VERBOSE, G_NO_COLOR, G_VERSION, G_HELP,
	G_OUT_OF_ORDER, G_FLEET, G_SHADOW,
};

struct gopt {
	const char *name;
	char short_name;
	int has_arg;	/* 0 no, 1 required, 2 optional (--wait[=DUR]) */
	int id;
};

static const struct gopt gopts[] = {
	{ "database", 'd', 1, G_DATABASE },
	{ "url-env", 0, 1, G_URL_ENV },
	{ "env", 'e', 1, G_ENV },
	{ "config", 'c', 1, G_CONFIG },
	{ "env-file", 0, 1, G_ENV_FILE },
	{ "source", 's', 1, G_SOURCE },
	{ "table", 0, 1, G_TABLE },
	{ "lock-timeout", 0, 1, G_LOCK_TIMEOUT },
	{ "lock-wait", 0, 1, G_LOCK_WAIT },
	{ "lock-retries", 0, 1, G_LOCK_RETRIES },
	{ "wait", 0, 2, G_WAIT },
	{ "pooler", 0, 0, G_POOLER },
	{ "all-envs", 0, 0, G_FLEET },
	{ "targets", 0, 1, G_FLEET },
	{ "jobs", 'j', 1, G_FLEET },
	{ "fail-fast", 0, 0, G_FLEET },
	{ "schema", 0, 1, G_FLEET },
	{ "all-schemas", 0, 0, G_FLEET },
	{ "shadow", 0, 1, G_SHADOW },
	{ "json", 0, 0, G_JSON },
	{ "quiet", 'q', 0, G_QUIET },
	{ "verbose", 'v', 0, G_VERBOSE },
	{ "no-color", 0, 0, G_NO_COLOR },
	{ "version", 'V', 0, G_VERSION },
	{ "help", 'h', 0, G_HELP },
};

int opt_next(struct opt_iter *it, const struct cmd_opt *opts, const char **arg)
{
	const char *a;

	if (++it->i >= it->argc)
		return -1;
	a = it->argv[it->i];
	*arg = a;
	if (it->only_args || a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9'))
		return 0;
	if (!strcmp(a, "--")) {
		it->only_args = true;
		return opt_next(it, opts, arg);
	}
	for (const struct cmd_opt *o = opts; o && o->name; o++) {
		size_t n = strlen(o->name);
		bool lng = a[1] == '-' && !strncmp(a + 2, o->name, n) &&
			   (a[2 + n] == '\0' || a[2 + n] == '=');
		bool sht = o->short_name && a[1] == o->short_name && a[2] == '\0';
		if (!lng && !sht)
			continue;
		*arg = NULL;
		if (lng && a[2 + n] == '=') {
			if (!o->has_arg)
				return usage_error(it->argv[0], "option '--%s' takes no value", o->name), -2;
			*arg = a + 3 + n;
		} else if (o->has_arg) {
			if (it->i + 1 >= it->argc)
				return usage_error(it->argv[0], "option '%s' needs a value", a), -2;
			*arg = it->argv[++it->i];
		}
		return o->id;
	}
	usage_error(it->argv[0], "unknown option '%s'", a);
	return -2;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb = STRBUF_INIT;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set_kind("usage");
	error("%s", sb.buf);
	strbuf_release(&sb);
	if (cmd)
		fprintf(stderr, "run 'strata help %s' for its usage\n", cmd);
	else
		fprintf(stderr, "run 'strata help' for the list of commands\n");
	return EXIT_USAGE;
}

void json_error_doc(const char *command)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	if (command)
		json_kstr(&j, "command", command);
	json_kbool(&j, "ok", false);
	json_add_error(&j);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_fail(struct app *app, int code)
{
	if (out.json)
		json_error_doc(app->command);
	return code == EXIT_FAIL ? exit_failure() : code;
}

static int set_duration(const char *opt, const char *v, long *ms)
{
	if (parse_duration(v, ms))
		return usage_error(NULL, "option '%s': invalid duration '%s' (use 10, 500ms, 10s, 2min)", opt, v);
	return 0;
}

/* Overwrite a password given on the command line in place, so that it
 * does not stay readable in /proc/PID/cmdline. */
static void scrub_argv(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *r = redact(argv[i]);
		if (strcmp(r, argv[i])) {
			/* the redacted form is never longer than a match +3 */
			size_t n = strlen(argv[i]);
			char *p = strstr(argv[i], "://");
			char *at = p ? strrchr(argv[i], '@') : NULL;
			char *colon = p && at ? memchr(p + 3, ':', (size_t)(at - p - 3)) : NULL;
			if (colon)
				memset(colon + 1, '*', (size_t)(at - colon - 1));
			else
				memset(argv[i], '*', n);
		}
		free(r);
	}
}

/*
 * Pull the global options out of argv, wherever they stand; what remains
 * (the command and its own arguments) is compacted into argv. owner[i]
 * is set to the long name of the option that argv[i] (as given) is part of.
 */
static int parse_global(int *argcp, char **argv, struct app *app, bool *help,
			bool *version, const char **owner)
{
	int argc = *argcp, out_i = 1;
	struct config *c = &app->cfg;
	bool only_args = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct gopt *g = NULL;
		int first = i;

		if (only_args || a[0] != '-' || !a[1] || (a[1] >= '0' && a[1] <= '9')) {
			argv[out_i++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = true;
			argv[out_i++] = argv[i];
			continue;
		}
		for (size_t k = 0; k < ARRAY_SIZE(gopts); k++) {
			size_t n = strlen(gopts[k].name);
			if (a[1] == '-' && !strncmp(a + 2, gopts[k].name, n) &&
			    (a[2 + n] == '\0' || a[2 + n] == '=')) {
				g = &gopts[k];
				if (a[2 + n] == '=') {
					if (!g->has_arg)
						return usage_error(NULL, "option '--%s' takes no value", g->name);
					val = a + 3 + n;
				}
				break;
			}
			if (gopts[k].short_name && a[1] == gopts[k].short_name) {
				g = &gopts[k];
				if (a[2]) {
					if (g->has_arg != 1) {
						/* -vv and the like */
						if (g->id == G_VERBOSE && strspn(a + 1, "v") == strlen(a + 1)) {
							out.verbosity = (int)strlen(a + 1);
							g = NULL;
							val = "";
							break;
						}
						g = NULL;
						continue;
					}
					val = a + 2;
				}
				break;
			}
		}
		if (!g) {
			if (!val)
				argv[out_i++] = argv[i];	/* the command's own */
			continue;
		}
		if (g->has_arg == 1 && !val) {
			if (i + 1 >= argc)
				return usage_error(NULL, "option '%s' needs a value", a);
			val = argv[++i];
		}
		for (int k = first; k <= i; k++)
			owner[k] = g->name;
		switch (g->id) {
		case G_DATABASE: free(c->opt_url); c->opt_url = xstrdup(val); break;
		case G_URL_ENV: free(c->opt_url_env); c->opt_url_env = xstrdup(val); break;
		case G_ENV: free(c->opt_env); c->opt_env = xstrdup(val); break;
		case G_CONFIG: free(c->opt_config); c->opt_config = xstrdup(val); break;
		case G_ENV_FILE: free(c->opt_env_file); c->opt_env_file = xstrdup(val); break;
		case G_SOURCE: free(c->opt_source); c->opt_source = xstrdup(val); break;
		case G_TABLE: free(c->opt_table); c->opt_table = xstrdup(val); break;
		case G_LOCK_TIMEOUT:
			if (set_duration("--lock-timeout", val, &c->opt_lock_timeout))
				return EXIT_USAGE;
			break;
		case G_LOCK_WAIT:
			if (set_duration("--lock-wait", val, &c->opt_lock_wait))
				return EXIT_USAGE;
			break;
		case G_WAIT:
			if (!val)
				c->opt_wait = DEFAULT_WAIT_MS;
			else if (set_duration("--wait", val, &c->opt_wait))
				return EXIT_USAGE;
			break;
		case G_LOCK_RETRIES: {
			char *end;
			long n = strtol(val, &end, 10);
			if (*end || !*val || n < 0 || n > 100)
				return usage_error(NULL, "option '--lock-retries': expected 0 to 100, got '%s'", val);
			c->opt_lock_retries = (int)n;
			break;
		}
		case G_POOLER: c->opt_pooler = 1; break;
		case G_FLEET:
			if (fleet_option(app, g->name, val))
				return EXIT_USAGE;
			break;
		case G_SHADOW:	/* the scratch database (core/shadow.h) */
			free(c->opt_shadow);
			c->opt_shadow = xstrdup(val);
			conninfo_note_secrets(val);
			break;
		case G_JSON: out.json = true; break;
		case G_QUIET: out.verbosity = -1; break;
		case G_VERBOSE: out.verbosity++; break;
		case G_NO_COLOR: out.color = false; break;
		case G_VERSION: *version = true; break;
		case G_HELP: *help = true; break;
		default: break;
		}
	}
	argv[out_i] = NULL;
	*argcp = out_i;
	return 0;
}

int main(int argc, char **argv)
{
	struct app app;
	const struct command *cmd = NULL;
	bool help = false, version = false, usage = false;
	/* the command line as given, for scrubbing and for a fleet */
	int given_argc = argc;
	char **given = xcalloc((size_t)argc + 1, sizeof(char *));
	const char **owner = xcalloc((size_t)argc + 1, sizeof(char *));
	int ret;

	/* no core file can carry a password out of the process */
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);

	memset(&app, 0, sizeof(app));
	out_init();
	config_init(&app.cfg);
	memcpy(given, argv, sizeof(char *) * (size_t)argc);
	ret = parse_global(&argc, argv, &app, &help, &version, owner);
	/* learn the password now, so it is scrubbed and never shown */
	if (app.cfg.opt_url)
		conninfo_note_secrets(app.cfg.opt_url);
	scrub_argv(given_argc, given);	/* -d's value too, not only what remains */
	fleet_keep_argv(given_argc, given, owner);
	if (ret) {
		if (out.json)
			json_error_doc(NULL);
		config_release(&app.cfg);
		return ret;
	}
	if (version && argc < 2) {
		if (out.json)
			printf("{\"version\":\"%s\"}\n", STRATA_VERSION);
		else
			printf("strata %s\n", STRATA_VERSION);
		config_release(&app.cfg);
		return 0;
	}
	if (argc < 2) {
		config_release(&app.cfg);
		if (help) {
			cmd_usage(NULL, false);
			return 0;
		}
		cmd_usage(NULL, true);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		ret = usage_error(NULL, "unknown command '%s'", argv[1]);
		if (out.json)
			json_error_doc(NULL);
		config_release(&app.cfg);
		return ret;
	}
	app.command = cmd->alias_of ? cmd->alias_of : cmd->name;
	if (help) {
		cmd_usage(app.command, false);
		config_release(&app.cfg);
		return 0;
	}
	srand((unsigned)(time(NULL) ^ (getpid() << 16)));
	signals_install();
	if (cmd->fn != cmd_help && config_resolve(&app.cfg, &usage)) {
		ret = usage ? EXIT_USAGE : EXIT_FAIL;
		if (out.json)
			json_error_doc(app.command);
		app_release(&app);
		return ret;
	}
	argv[1] = (char *)app.command;
	if (fleet_wanted(&app))
		ret = fleet_run(&app);
	else
		ret = cmd->fn(argc - 1, argv + 1, &app);
	if (ret != EXIT_OK && ret != EXIT_PENDING && interrupted)
		ret = exit_failure();
	app_release(&app);
	fleet_release();
	err_reset();
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "error: cannot write to standard output: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}

/*
 * fleet.c - one command over many databases or schemas (see fleet.h).
 *
 * strata runs itself once per target: /proc/self/exe with the command
 * line it was given, less the fleet's own options, plus --json and what
 * picks the target: -e NAME, --schema NAME, or a URL through the
 * environment variable STRATA_FLEET_URL (never on a command line, which
 * every user can read in /proc/PID/cmdline; /proc/PID/environ is the
 * owner's only). Each child is a whole strata, with its own connection
 * and its own lock, so a fleet does exactly what the single command does,
 * signals and all. The parent only starts children, at most -j N at a
 * time, collects each one's JSON document and stderr, and reports.
 *
 * What the user sees: a line as each target finishes; a failed target's
 * messages (its stderr), each line prefixed with the target; with -v,
 * every child's stderr as it comes, prefixed likewise; the summary table
 * at the end. Children are in their own process group, so a Ctrl-C
 * reaches the parent alone, which forwards it once to each running child
 * (a second signal would make a child stop without its clean rollback).
 */
#include "compat.h"
#include "fleet.h"
#include "app.h"
#include "cmd.h"
#include "core/config.h"
#include "util/util.h"
#include "util/strbuf.h"
#include "util/json.h"
#include "util/jsonread.h"
#include "util/out.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_JOBS 256
#define URL_VAR "STRATA_FLEET_URL"

extern char **environ;

enum fleet_kind { FLEET_DATABASES, FLEET_SCHEMAS };

/* The fleet's options and the command line as given. */
static struct {
	bool all_envs, all_schemas, fail_fast;
	char *targets_file;
	int jobs;		/* 0: not given (1) */
	int argc;
	char **argv;
	const char **owner;
} fo;

/* One database (or schema) and the child that works on it. */
struct target {
	char *label;		/* as shown: env name, schema, or URL with *** */
	char *database;		/* the URL as shown (password as ***), if known */
	char *env, *schema;	/* -e / --schema given to the child */
	char *url;		/* given to the child through URL_VAR */
	pid_t pid;
	int fd[2];		/* its stdout and stderr; -1 once closed */
	struct strbuf out, err;
	size_t err_shown;	/* -v: bytes of 'err' already shown */
	double start_ms, ms;
	int code;		/* exit code; -1 while not finished */
	bool started, done;
};

struct fleet {
	struct app *app;
	enum fleet_kind kind;
	struct target *t;
	size_t nr, alloc;
	int jobs;
	char *database;		/* a schema fleet's database, as shown */
};

/* ---- options ---------------------------------------------------------- */

int fleet_option(struct app *app, const char *name, const char *val)
{
	if (!strcmp(name, "all-envs")) {
		fo.all_envs = true;
	} else if (!strcmp(name, "all-schemas")) {
		fo.all_schemas = true;
	} else if (!strcmp(name, "fail-fast")) {
		fo.fail_fast = true;
	} else if (!strcmp(name, "targets")) {
		free(fo.targets_file);
		fo.targets_file = xstrdup(val);
	} else if (!strcmp(name, "schema")) {
		free(app->cfg.opt_schema);
		app->cfg.opt_schema = xstrdup(val);
	} else if (!strcmp(name, "jobs")) {
		char *end;
		long n = strtol(val, &end, 10);
		if (*end || !*val || n < 1 || n > MAX_JOBS)
			return usage_error(NULL, "option '--jobs': expected 1 to %d, got '%s'",
					   MAX_JOBS, val);
		fo.jobs = (int)n;
	}
	return 0;
}

void fleet_keep_argv(int argc, char **argv, const char **owner)
{
	fo.argc = argc;
	fo.argv = argv;
	fo.owner = owner;
}

void fleet_release(void)
{
	free(fo.targets_file);
	free(fo.argv);
	free(fo.owner);
	memset(&fo, 0, sizeof(fo));
}

static bool lists_schemas(const struct config *c)
{
	return c->schemas || c->schemas_query;
}

bool fleet_wanted(const struct app *app)
{
	if (!strcmp(app->command, "new") || !strcmp(app->command, "help"))
		return false;
	return fo.all_envs || fo.targets_file || fo.all_schemas || fo.jobs ||
	       fo.fail_fast || (!app->cfg.opt_schema && lists_schemas(&app->cfg));
}

/* ---- the targets ------------------------------------------------------ */

static struct target *add_target(struct fleet *f, const char *label)
{
	struct target *t;

	ALLOC_GROW(f->t, f->nr + 1, f->alloc);
	t = &f->t[f->nr++];
	memset(t, 0, sizeof(*t));
	t->label = xstrdup(label);
	t->fd[0] = t->fd[1] = -1;
	t->code = -1;
	strbuf_init(&t->out, 0);
	strbuf_init(&t->err, 0);
	return t;
}

static void release_targets(struct fleet *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		struct target *t = &f->t[i];
		free(t->label);
		free(t->database);
		free(t->env);
		free(t->schema);
		free(t->url);
		strbuf_release(&t->out);
		strbuf_release(&t->err);
	}
	free(f->t);
	free(f->database);
}

/*
 * The database an environment names, as shown (password as ***), worked
 * out as its child will; NULL when it cannot be (the child will say why).
 */
static char *env_database(const struct app *app, const char *name)
{
	struct config c;
	struct conninfo ci;
	bool usage, mute = out.mute;
	char *shown = NULL;

	config_init(&c);
	c.opt_env = xstrdup(name);
	if (app->cfg.opt_config)
		c.opt_config = xstrdup(app->cfg.opt_config);
	if (app->cfg.opt_env_file)
		c.opt_env_file = xstrdup(app->cfg.opt_env_file);
	out.mute = true;
	if (!config_resolve(&c, &usage)) {
		if (!conninfo_resolve(&c, &ci))
			shown = xstrdup(ci.display);
		conninfo_release(&ci);
	}
	out.mute = mute;
	err_reset();
	config_release(&c);
	return shown;
}

static void add_env_target(struct fleet *f, const char *name)
{
	struct target *t = add_target(f, name);

	t->env = xstrdup(name);
	t->database = env_database(f->app, name);
}

static int targets_from_envs(struct fleet *f)
{
	const struct config *c = &f->app->cfg;

	if (!c->nr_env_names) {
		err_set_kind("config");
		error("--all-envs: no [env.NAME] section in %s",
		      c->config_path ? c->config_path : "strata.ini (none found)");
		return -1;
	}
	for (int i = 0; i < c->nr_env_names; i++)
		add_env_target(f, c->env_names[i]);
	return 0;
}

static bool is_env(const struct config *c, const char *name)
{
	for (int i = 0; i < c->nr_env_names; i++)
		if (!strcmp(c->env_names[i], name))
			return true;
	return false;
}

/* A URL or conninfo line of a --targets file; its password is registered. */
static int add_url_target(struct fleet *f, const char *url, const char *file, int lineno)
{
	struct conninfo ci = { 0 };
	struct target *t;
	bool mute = out.mute;
	int r;

	out.mute = true;	/* the message below says where */
	r = conninfo_parse(url, &ci);
	out.mute = mute;
	if (r) {
		char *why = xstrdup(last_err.msg ? last_err.msg : "invalid database URL");
		conninfo_release(&ci);
		err_reset();
		err_set_kind("config");
		error("%s:%d: %s", file, lineno, why);
		free(why);
		return -1;
	}
	conninfo_make_display(&ci);
	t = add_target(f, ci.display);
	t->database = xstrdup(ci.display);
	t->url = xstrdup(url);
	conninfo_release(&ci);
	return 0;
}

/* --targets FILE: one URL or environment name a line; '#' comments. */
static int targets_from_file(struct fleet *f, const char *file)
{
	FILE *in = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, ret = 0;

	if (!in) {
		err_set_kind("config");
		return error("cannot read '%s': %s", file, strerror(errno));
	}
	while (!ret && getline(&line, &cap, in) >= 0) {
		char *s = line, *e;
		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && strchr(" \t\r\n", e[-1]))
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		if (strstr(s, "://") || strchr(s, '=')) {
			ret = add_url_target(f, s, file, lineno);
		} else if (is_env(&f->app->cfg, s)) {
			add_env_target(f, s);
		} else {
			err_set_kind("config");
			ret = error("%s:%d: '%s' is neither a URL nor an environment of %s",
				    file, lineno, s, f->app->cfg.config_path ?
				    f->app->cfg.config_path : "strata.ini (none found)");
			hint("a line is a postgres:// URL, a 'host=... dbname=...' string, or the NAME of an [env.NAME] section");
		}
	}
	free(line);
	fclose(in);
	if (!ret && !f->nr) {
		err_set_kind("config");
		ret = error("%s: no databases listed", file);
	}
	return ret;
}

static void add_schema_target(struct fleet *f, const char *name, const char *arg)
{
	struct target *t = add_target(f, name);

	t->schema = xstrdup(arg);
}

/* schemas = a, b, "C" */
static int targets_from_list(struct fleet *f, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	int ret = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		char *e, *name;
		while (*tok == ' ' || *tok == '\t')
			tok++;
		e = tok + strlen(tok);
		while (e > tok && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (parse_schema_name(tok, &name)) {
			err_set_kind("config");
			ret = error("%s: schemas: invalid schema name '%s'",
				    f->app->cfg.config_path ? f->app->cfg.config_path : "config", tok);
			continue;
		}
		add_schema_target(f, name, tok);
		free(name);
	}
	free(copy);
	if (!ret && !f->nr) {
		err_set_kind("config");
		ret = error("schemas: the list is empty");
	}
	return ret;
}

/* schemas_query = SELECT ...: the first column of each row, as the server has it. */
static int targets_from_query(struct fleet *f, const char *sql)
{
	struct pgerr e = { 0 };
	PGresult *r;

	if (app_connect(f->app))
		return -1;
	r = db_query(&f->app->db, sql, &e);
	if (!r) {
		pgerr_report(&e, "schemas_query failed");
		pgerr_release(&e);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct strbuf arg = STRBUF_INIT;
		const char *name = PQgetvalue(r, i, 0);
		if (PQgetisnull(r, i, 0) || !*name)
			continue;
		strbuf_add_ident(&arg, name);	/* the exact name, quoted if it must be */
		add_schema_target(f, name, arg.buf);
		strbuf_release(&arg);
	}
	PQclear(r);
	return 0;
}

static int targets_from_schemas(struct fleet *f)
{
	struct app *app = f->app;
	struct conninfo ci;
	int ret;

	/* one database for all: where it is, or why it cannot be reached */
	ret = conninfo_resolve(&app->cfg, &ci);
	if (!ret)
		f->database = xstrdup(ci.display);
	conninfo_release(&ci);
	if (ret)
		return -1;
	if (app->cfg.schemas && app->cfg.schemas_query) {
		err_set_kind("config");
		return error("%s: set schemas or schemas_query, not both",
			     app->cfg.config_path ? app->cfg.config_path : "config");
	}
	if (app->cfg.schemas)
		return targets_from_list(f, app->cfg.schemas);
	return targets_from_query(f, app->cfg.schemas_query);
}

/* ---- what the fleet may do -------------------------------------------- */

static bool fleet_command(const char *cmd)
{
	static const char *const ok[] = {
		"up", "down", "redo", "status", "validate", "current", "stamp",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(cmd, ok[i]))
			return true;
	return false;
}

/* Which kind of fleet, or a usage error (2). */
static int fleet_kind(struct app *app, enum fleet_kind *kind)
{
	const struct config *c = &app->cfg;
	const char *cmd = app->command;

	if (!fleet_command(cmd))
		return usage_error(cmd, "a fleet (--all-envs, --targets, --all-schemas) runs up, down, redo, status, validate, current or stamp, not '%s'", cmd);
	if (fo.all_envs && fo.targets_file)
		return usage_error(cmd, "give --all-envs or --targets FILE, not both");
	if (fo.all_envs || fo.targets_file) {
		if (c->opt_url || c->opt_url_env || c->opt_env)
			return usage_error(cmd, "%s picks the databases: -d, --url-env and -e pick one",
					   fo.all_envs ? "--all-envs" : "--targets");
		*kind = FLEET_DATABASES;
		return 0;
	}
	if (fo.all_schemas) {
		if (c->opt_schema)
			return usage_error(cmd, "give --schema NAME or --all-schemas, not both");
		if (strcmp(c->schema, "public") || (c->opt_table && strchr(c->opt_table, '.')))
			return usage_error(cmd, "--all-schemas keeps one history table in each schema: give --table a NAME without a schema");
		if (!lists_schemas(c))
			return usage_error(cmd, "--all-schemas: no schemas = ... or schemas_query = ... in %s%s%s",
					   c->config_path ? c->config_path : "strata.ini (none found)",
					   c->env ? " for env " : "", c->env ? c->env : "");
		*kind = FLEET_SCHEMAS;
		return 0;
	}
	if (!c->opt_schema && lists_schemas(c))
		return usage_error(cmd, "%s%s lists schemas: give --schema NAME for one, or --all-schemas for all",
				   c->env ? "environment " : "the config",
				   c->env ? c->env : "");
	return usage_error(cmd, "-j and --fail-fast need a fleet: --all-envs, --targets FILE or --all-schemas");
}

/* ---- the children ----------------------------------------------------- */

/* Is the given argument the fleet's own (not for the children)? */
static bool fleet_own(const struct fleet *f, const char *opt)
{
	static const char *const always[] = {
		"all-envs", "targets", "jobs", "fail-fast", "json",
	};
	for (size_t i = 0; i < ARRAY_SIZE(always); i++)
		if (!strcmp(opt, always[i]))
			return true;
	if (f->kind != FLEET_SCHEMAS)
		return false;
	/* a schema fleet's -d goes by the environment (and beats --url-env) */
	if (f->app->cfg.opt_url && !strcmp(opt, "url-env"))
		return true;
	return !strcmp(opt, "database") || !strcmp(opt, "all-schemas");
}

/* The child's argv: strata --json <what picks t> <the rest as given>. */
static char **child_argv(const struct fleet *f, const struct target *t)
{
	char **av = xcalloc((size_t)fo.argc + 8, sizeof(char *));
	int n = 0;

	av[n++] = "strata";
	av[n++] = "--json";
	if (t->env) {
		av[n++] = "-e";
		av[n++] = t->env;
	}
	if (t->url || (f->kind == FLEET_SCHEMAS && f->app->cfg.opt_url)) {
		av[n++] = "--url-env";
		av[n++] = URL_VAR;
	}
	if (t->schema) {
		av[n++] = "--schema";
		av[n++] = t->schema;
	}
	for (int i = 1; i < fo.argc; i++)
		if (!fo.owner[i] || !fleet_own(f, fo.owner[i]))
			av[n++] = fo.argv[i];
	av[n] = NULL;
	return av;
}

/* The child's environment: ours, plus the URL it works on when it has one. */
static char **child_env(const struct fleet *f, const struct target *t, char **url_var)
{
	const char *url = t->url ? t->url :
			  f->kind == FLEET_SCHEMAS ? f->app->cfg.opt_url : NULL;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (!str_starts(environ[i], URL_VAR "="))
			env[k++] = environ[i];
	*url_var = url ? xasprintf("%s=%s", URL_VAR, url) : NULL;
	if (*url_var)
		env[k++] = *url_var;
	env[k] = NULL;
	return env;
}

/*
 * Start the child for 't'. Its stdout and stderr come back through pipes;
 * its stdin is /dev/null. It gets its own process group (a terminal's
 * Ctrl-C reaches the parent only, which forwards it) and dies with a
 * SIGTERM (a clean rollback) if the parent dies first.
 */
static int start_child(struct fleet *f, struct target *t)
{
	int po[2], pe[2];
	char **av, **env, *url_var;
	pid_t parent = getpid();

	if (pipe2(po, O_CLOEXEC))
		return error("cannot start strata for %s: %s", t->label, strerror(errno));
	if (pipe2(pe, O_CLOEXEC)) {
		close(po[0]), close(po[1]);
		return error("cannot start strata for %s: %s", t->label, strerror(errno));
	}
	av = child_argv(f, t);
	env = child_env(f, t, &url_var);
	fflush(stdout);
	fflush(stderr);
	t->pid = fork();
	if (t->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(143);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execve("/proc/self/exe", av, env);
		dprintf(STDERR_FILENO, "error: cannot run /proc/self/exe: %s\n", strerror(errno));
		_exit(EXIT_FAIL);
	}
	free(av);
	free(env);
	free(url_var);
	close(po[1]);
	close(pe[1]);
	if (t->pid < 0) {
		close(po[0]), close(pe[0]);
		return error("cannot start strata for %s: %s", t->label, strerror(errno));
	}
	t->fd[0] = po[0];
	t->fd[1] = pe[0];
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	fcntl(pe[0], F_SETFL, O_NONBLOCK);
	t->started = true;
	t->start_ms = now_ms();
	verbose("%s: started (pid %d)", t->label, (int)t->pid);
	return 0;
}

/* With -v, the child's complete stderr lines as they come, prefixed. */
static void show_err_lines(struct target *t, bool all)
{
	while (t->err_shown < t->err.len) {
		const char *s = t->err.buf + t->err_shown;
		const char *nl = memchr(s, '\n', t->err.len - t->err_shown);
		size_t n = nl ? (size_t)(nl - s) : t->err.len - t->err_shown;
		if (!nl && !all)
			return;
		note("%s: %.*s", t->label, (int)n, s);
		t->err_shown += n + (nl ? 1 : 0);
	}
}

/* Read what is there from one of the child's pipes; close it at the end. */
static void drain(struct target *t, int which)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(t->fd[which], buf, sizeof(buf))) > 0)
		strbuf_add(which ? &t->err : &t->out, buf, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(t->fd[which]);
		t->fd[which] = -1;
	}
	if (which && out.verbosity > 0)
		show_err_lines(t, false);
}

/* ---- what a child said ------------------------------------------------ */

static char *doc_str(const char *doc, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	const char *v = jsonr_member(doc, key);

	if (jsonr_is_null(v) || jsonr_string(v, &sb)) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* The child's document, or NULL when it printed none (a crash). */
static const char *doc_of(const struct target *t)
{
	return t->out.len && jsonr_valid(t->out.buf) ? t->out.buf : NULL;
}

static const char *result_of(const struct target *t)
{
	if (!t->started)
		return "skipped";
	if (t->code == 0)
		return "ok";
	if (t->code == EXIT_PENDING)
		return "pending";
	if (t->code == 130 || t->code == 143)
		return "interrupted";
	return "failed";
}

/* The error message of a failed child: its document's, else its last "error:" line. */
static char *error_of(const struct target *t)
{
	const char *doc = doc_of(t);
	char *msg = doc ? doc_str(jsonr_member(doc, "error"), "message") : NULL;
	const char *p, *last = NULL;

	if (msg || !t->code || t->code == EXIT_PENDING || !t->started)
		return msg;
	for (p = t->err.buf; (p = strstr(p, "error: ")); p++)
		if (p == t->err.buf || p[-1] == '\n')
			last = p + 7;
	if (last)
		return xstrndup(last, strcspn(last, "\n"));
	return xasprintf("exited %d", t->code);
}

/* "base -> 3" for up/down, "3" for status and the like, "-" without. */
static char *versions_of(const struct target *t)
{
	const char *doc = doc_of(t);
	char *from, *to, *cur, *s;

	if (!doc)
		return xstrdup("-");
	from = doc_str(doc, "from");
	to = doc_str(doc, "to");
	if (from && to)
		s = xasprintf("%s -> %s", from, to);
	else if (jsonr_member(doc, "current") && (cur = doc_str(doc, "current")))
		s = cur, cur = NULL;
	else if (jsonr_member(doc, "current"))
		s = xstrdup("base");
	else
		s = xstrdup("-");
	free(from);
	free(to);
	return s;
}

/* What the RESULT column says: the result, and why or how much. */
static char *outcome_of(const struct target *t)
{
	const char *doc = doc_of(t);
	char *msg = error_of(t), *s;
	long long pending;

	if (msg) {
		s = xasprintf("%s: %.100s%s", result_of(t), msg, strlen(msg) > 100 ? "..." : "");
		free(msg);
		return s;
	}
	if (!t->started)
		return xstrdup(fo.fail_fast ? "skipped (--fail-fast)" : "skipped (interrupted)");
	if (doc && !jsonr_int(jsonr_member(doc, "pending"), &pending) && pending)
		return xasprintf("%s, %lld pending", result_of(t), pending);
	return xstrdup(result_of(t));
}

/* ---- running ---------------------------------------------------------- */

static void finish(struct fleet *f, struct target *t, int status, size_t *ndone)
{
	char *what, *ver;

	t->done = true;
	t->ms = now_ms() - t->start_ms;
	t->code = WIFEXITED(status) ? WEXITSTATUS(status) :
		  WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_FAIL;
	(*ndone)++;
	what = outcome_of(t);
	ver = versions_of(t);
	/* a failure's messages in full; with -v, what is left of anyone's */
	if ((t->code && t->code != EXIT_PENDING) || out.verbosity > 0)
		show_err_lines(t, true);
	say("[%zu/%zu] %s: %s, %s (%.0f ms)", *ndone, f->nr, t->label, ver, what, t->ms);
	free(what);
	free(ver);
}

/* Send the signal we got to every running child, once. */
static void forward_signal(struct fleet *f)
{
	for (size_t i = 0; i < f->nr; i++)
		if (f->t[i].started && !f->t[i].done)
			kill(f->t[i].pid, interrupted);
}

static int run_all(struct fleet *f)
{
	struct pollfd *pfd = xcalloc(2 * f->nr + 1, sizeof(*pfd));
	struct target **who = xcalloc(2 * f->nr + 1, sizeof(*who));
	size_t next = 0, running = 0, ndone = 0;
	bool stop = false, forwarded = false;
	int ret = 0;

	while (running || (next < f->nr && !stop)) {
		nfds_t n = 0;
		while (!stop && running < (size_t)f->jobs && next < f->nr) {
			if (start_child(f, &f->t[next++])) {
				ret = -1;
				stop = true;
				break;
			}
			running++;
		}
		for (size_t i = 0; i < f->nr; i++)
			for (int w = 0; w < 2; w++)
				if (f->t[i].fd[w] >= 0) {
					pfd[n].fd = f->t[i].fd[w];
					pfd[n].events = POLLIN;
					who[n++] = &f->t[i];
				}
		/* a short timeout: a signal between the check and poll() waits no longer */
		if (n && poll(pfd, n, 200) < 0 && errno != EINTR) {
			ret = error("poll: %s", strerror(errno));
			break;
		}
		for (nfds_t k = 0; k < n; k++)
			if (pfd[k].revents)
				drain(who[k], pfd[k].fd == who[k]->fd[1]);
		if (interrupted && !forwarded) {
			forward_signal(f);
			forwarded = stop = true;
		}
		for (size_t i = 0; i < f->nr; i++) {
			struct target *t = &f->t[i];
			int status;
			if (!t->started || t->done || t->fd[0] >= 0 || t->fd[1] >= 0)
				continue;
			if (waitpid(t->pid, &status, 0) < 0)
				status = EXIT_FAIL << 8;
			running--;
			finish(f, t, status, &ndone);
			if (fo.fail_fast && t->code && t->code != EXIT_PENDING)
				stop = true;
		}
	}
	free(pfd);
	free(who);
	return ret;
}

/* ---- reporting -------------------------------------------------------- */

static void json_target(struct json *j, const struct target *t)
{
	const char *doc = doc_of(t);
	char *db = doc ? doc_str(doc, "database") : NULL;
	char *msg = error_of(t);

	json_obj_begin(j);
	json_kstr(j, "target", t->label);
	json_kstr(j, "database", db ? db : t->database);
	json_kstr(j, "env", t->env);
	json_kstr(j, "schema", t->schema ? t->label : NULL);
	json_kstr(j, "result", result_of(t));
	if (t->started && t->done)
		json_kint(j, "exit_code", t->code);
	else
		json_kstr(j, "exit_code", NULL);
	if (doc && jsonr_member(doc, "from")) {
		char *from = doc_str(doc, "from"), *to = doc_str(doc, "to");
		json_kstr(j, "from", from);
		json_kstr(j, "to", to);
		free(from);
		free(to);
	} else if (doc && jsonr_member(doc, "current")) {
		char *cur = doc_str(doc, "current");
		json_kstr(j, "from", cur ? cur : "base");
		json_kstr(j, "to", cur ? cur : "base");
		free(cur);
	} else {
		json_kstr(j, "from", NULL);
		json_kstr(j, "to", NULL);
	}
	if (t->started)
		json_kint(j, "duration_ms", (long long)(t->ms + 0.5));
	else
		json_kstr(j, "duration_ms", NULL);
	json_kstr(j, "error", msg);
	json_key(j, "document");
	if (doc) {
		struct strbuf d = STRBUF_INIT;
		size_t len = t->out.len;
		while (len && strchr(" \t\r\n", t->out.buf[len - 1]))
			len--;
		strbuf_add(&d, t->out.buf, len);
		json_raw(j, d.buf);
		strbuf_release(&d);
	} else {
		json_null(j);
	}
	json_obj_end(j);
	free(db);
	free(msg);
}

struct tally {
	size_t ok, failed, pending, skipped, interrupted, usage;
};

static void count(const struct fleet *f, struct tally *n)
{
	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < f->nr; i++) {
		const char *r = result_of(&f->t[i]);
		if (!strcmp(r, "ok"))
			n->ok++;
		else if (!strcmp(r, "pending"))
			n->pending++;
		else if (!strcmp(r, "skipped"))
			n->skipped++;
		else if (!strcmp(r, "interrupted"))
			n->interrupted++;
		else
			n->failed++;
		if (f->t[i].code == EXIT_USAGE)
			n->usage++;
	}
}

static void print_json(const struct fleet *f, const struct tally *n, double ms)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", f->app->command);
	json_kstr(&j, "fleet", f->kind == FLEET_SCHEMAS ? "schemas" : "databases");
	if (f->kind == FLEET_SCHEMAS)
		json_kstr(&j, "database", f->database);
	json_kint(&j, "jobs", f->jobs);
	json_kbool(&j, "fail_fast", fo.fail_fast);
	json_key(&j, "targets");
	json_arr_begin(&j);
	for (size_t i = 0; i < f->nr; i++)
		json_target(&j, &f->t[i]);
	json_arr_end(&j);
	json_kint(&j, "succeeded", (long long)(n->ok + n->pending));
	json_kint(&j, "failed", (long long)(n->failed + n->interrupted));
	json_kint(&j, "skipped", (long long)n->skipped);
	json_kint(&j, "duration_ms", (long long)(ms + 0.5));
	json_kbool(&j, "ok", !n->failed && !n->interrupted && !n->skipped);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

static void fmt_ms(char *buf, size_t n, double ms)
{
	if (ms < 10000)
		snprintf(buf, n, "%.0f ms", ms);
	else
		snprintf(buf, n, "%.1f s", ms / 1000);
}

/* The DATABASE column: the URL as shown (password ***), else what we know. */
static const char *shown_database(const struct target *t)
{
	return t->database ? t->database : t->env ? "?" : t->label;
}

/*
 * The summary: one row per target, in the order they were listed. A
 * schema fleet names its database once, above; environments get a
 * column of their own.
 */
static void print_table(const struct fleet *f, const struct tally *n, double ms)
{
	bool schemas = f->kind == FLEET_SCHEMAS, envs = false;
	size_t we = 3, wl = schemas ? 6 : 8, wv = 7;
	char **ver = xcalloc(f->nr + 1, sizeof(char *));
	char took[32];
	struct strbuf line = STRBUF_INIT;

	for (size_t i = 0; i < f->nr; i++) {
		const struct target *t = &f->t[i];
		const char *label = schemas ? t->label : shown_database(t);
		ver[i] = versions_of(t);
		if (t->env) {
			envs = true;
			if (strlen(t->env) > we)
				we = strlen(t->env);
		}
		if (strlen(label) > wl)
			wl = strlen(label);
		if (strlen(ver[i]) > wv)
			wv = strlen(ver[i]);
	}
	say("%s", "");
	if (schemas)
		say("database: %s", f->database);
	say("%s%-*s%s%-*s  %-*s  %9s  %s%s", c_bold(), envs ? (int)we : 0, envs ? "ENV" : "",
	    envs ? "  " : "", (int)wl, schemas ? "SCHEMA" : "DATABASE", (int)wv, "VERSION",
	    "TOOK", "RESULT", c_reset());
	for (size_t i = 0; i < f->nr; i++) {
		const struct target *t = &f->t[i];
		char *what = outcome_of(t);
		const char *r = result_of(t);
		if (t->started)
			fmt_ms(took, sizeof(took), t->ms);
		else
			snprintf(took, sizeof(took), "-");
		say("%-*s%s%-*s  %-*s  %9s  %s%s%s", envs ? (int)we : 0,
		    envs ? (t->env ? t->env : "-") : "", envs ? "  " : "", (int)wl,
		    schemas ? t->label : shown_database(t), (int)wv, ver[i], took,
		    !strcmp(r, "ok") ? c_green() : !strcmp(r, "pending") ? c_yellow() : c_red(),
		    what, c_reset());
		free(what);
		free(ver[i]);
	}
	free(ver);
	fmt_ms(took, sizeof(took), ms);
	strbuf_addf(&line, "%zu %s: %zu ok", f->nr, f->kind == FLEET_SCHEMAS ?
		    (f->nr == 1 ? "schema" : "schemas") :
		    (f->nr == 1 ? "database" : "databases"), n->ok);
	if (n->pending)
		strbuf_addf(&line, ", %zu pending", n->pending);
	if (n->failed)
		strbuf_addf(&line, ", %zu failed", n->failed);
	if (n->interrupted)
		strbuf_addf(&line, ", %zu interrupted", n->interrupted);
	if (n->skipped)
		strbuf_addf(&line, ", %zu skipped", n->skipped);
	say("%s", "");
	say("%s; %s with -j %d", line.buf, took, f->jobs);
	strbuf_release(&line);
}

static int exit_code(const struct tally *n)
{
	if (interrupted)
		return exit_failure();
	if (n->failed && n->usage == n->failed && !n->ok && !n->pending)
		return EXIT_USAGE;	/* every child refused the command line */
	if (n->failed || n->interrupted || n->skipped)
		return EXIT_FAIL;
	return n->pending ? EXIT_PENDING : EXIT_OK;
}

int fleet_run(struct app *app)
{
	struct fleet f = { 0 };
	struct tally n;
	double start = now_ms();
	int ret;

	f.app = app;
	f.jobs = fo.jobs ? fo.jobs : 1;
	if ((ret = fleet_kind(app, &f.kind)))
		return cmd_fail(app, ret);
	if (f.kind == FLEET_SCHEMAS)
		ret = targets_from_schemas(&f);
	else if (fo.all_envs)
		ret = targets_from_envs(&f);
	else
		ret = targets_from_file(&f, fo.targets_file);
	if (ret) {
		release_targets(&f);
		return cmd_fail(app, EXIT_FAIL);
	}
	if (f.kind == FLEET_SCHEMAS && !f.nr)
		say("no schemas: schemas_query returned no rows");
	else
		say("%s on %zu %s%s, %d at a time", app->command, f.nr,
		    f.kind == FLEET_SCHEMAS ? "schemas of " : "databases",
		    f.kind == FLEET_SCHEMAS ? f.database : "", f.jobs);
	ret = run_all(&f);
	count(&f, &n);
	if (out.json)
		print_json(&f, &n, now_ms() - start);
	else
		print_table(&f, &n, now_ms() - start);
	release_targets(&f);
	return ret ? exit_failure() : exit_code(&n);
}

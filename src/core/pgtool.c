#include "../compat.h"
#include "pgtool.h"
#include "config.h"
#include "../db/conn.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* libpq's keywords and the variables that carry them (libpq docs, 34.15). */
static const char *const env_of[][2] = {
	{ "host", "PGHOST" }, { "hostaddr", "PGHOSTADDR" }, { "port", "PGPORT" },
	{ "dbname", "PGDATABASE" }, { "user", "PGUSER" }, { "password", "PGPASSWORD" },
	{ "passfile", "PGPASSFILE" }, { "channel_binding", "PGCHANNELBINDING" },
	{ "service", "PGSERVICE" }, { "options", "PGOPTIONS" },
	{ "application_name", "PGAPPNAME" }, { "sslmode", "PGSSLMODE" },
	{ "requiressl", "PGREQUIRESSL" }, { "sslcompression", "PGSSLCOMPRESSION" },
	{ "sslcert", "PGSSLCERT" }, { "sslkey", "PGSSLKEY" },
	{ "sslrootcert", "PGSSLROOTCERT" }, { "sslcrl", "PGSSLCRL" },
	{ "sslcrldir", "PGSSLCRLDIR" }, { "sslsni", "PGSSLSNI" },
	{ "sslcertmode", "PGSSLCERTMODE" }, { "requirepeer", "PGREQUIREPEER" },
	{ "require_auth", "PGREQUIREAUTH" },
	{ "ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION" },
	{ "ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION" },
	{ "gssencmode", "PGGSSENCMODE" }, { "krbsrvname", "PGKRBSRVNAME" },
	{ "gsslib", "PGGSSLIB" }, { "connect_timeout", "PGCONNECT_TIMEOUT" },
	{ "client_encoding", "PGCLIENTENCODING" },
	{ "target_session_attrs", "PGTARGETSESSIONATTRS" },
	{ "load_balance_hosts", "PGLOADBALANCEHOSTS" },
};

/*
 * Start 'path' with stdin from /dev/null, stdout to 'out_fd' (/dev/null
 * when -1) and stderr to 'err_fd'. Everything is prepared before fork(),
 * so the child only calls what is safe there. The pid, or -1 (errno set).
 */
static pid_t spawn(const char *path, char *const argv[], char *const envp[],
		   int out_fd, int err_fd)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid;

	if (null_fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		static const char msg[] = "cannot run the program\n";
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(null_fd, 0) < 0 || dup2(out_fd >= 0 ? out_fd : null_fd, 1) < 0 ||
		    dup2(err_fd, 2) < 0)
			_exit(127);
		execve(path, argv, envp);
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	close(null_fd);
	return pid;
}

/* Wait for 'pid', whatever signals arrive meanwhile. Its wait status. */
static int reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* "pg_dump (PostgreSQL) 15.20 (Debian ...)" -> "15.20", 15. */
static bool parse_version(const char *s, char **version, int *major)
{
	const char *p = strstr(s, "(PostgreSQL) ");
	char *end;
	long a, b = 0;
	size_t n;

	if (!p)
		return false;
	p += strlen("(PostgreSQL) ");
	a = strtol(p, &end, 10);
	if (end == p || a <= 0)
		return false;
	if (*end == '.')
		b = strtol(end + 1, NULL, 10);
	n = strcspn(p, " \n");
	*version = xstrndup(p, n);
	*major = a >= 10 ? (int)a : (int)(a * 100 + b);
	return true;
}

/* The first line 'path --version' prints, or NULL. */
static char *first_line_of(const char *path, const char *arg)
{
	char *argv[] = { (char *)path, (char *)arg, NULL };
	struct strbuf sb = STRBUF_INIT;
	int fds[2];
	pid_t pid;
	char buf[512];
	ssize_t n;
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (null_fd < 0)
		return NULL;
	if (pipe2(fds, O_CLOEXEC)) {
		close(null_fd);
		return NULL;
	}
	pid = spawn(path, argv, environ, fds[1], null_fd);
	close(fds[1]);
	close(null_fd);
	while (pid > 0 && ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0 && sb.len < 4096)
			strbuf_add(&sb, buf, (size_t)n);
	close(fds[0]);
	if (pid < 0 || reap(pid) != 0) {
		strbuf_release(&sb);
		return NULL;
	}
	sb.len = strcspn(sb.buf, "\n");
	sb.buf[sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

struct found {
	struct pgtool *t;
	size_t nr, alloc;
};

/*
 * Add 'dir'/'name' when it is a program strata has not seen. Debian's
 * /usr/bin/pg_dump is pg_wrapper, which picks a version of its own: the
 * versioned directories are looked at instead.
 */
static void consider(struct found *f, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	char real[PATH_MAX];
	const char *base;
	char *line;
	struct pgtool t = { 0 };

	if (access(path, X_OK) || !realpath(path, real))
		goto out;
	base = strrchr(real, '/');
	if (strcmp(base ? base + 1 : real, name))
		goto out;
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->t[i].path, real))
			goto out;
	line = first_line_of(real, "--version");
	if (line && parse_version(line, &t.version, &t.major)) {
		t.name = xstrdup(name);
		t.path = xstrdup(real);
		ALLOC_GROW(f->t, f->nr + 1, f->alloc);
		f->t[f->nr++] = t;
		verbose("found %s %s at %s", name, t.version, real);
	}
	free(line);
out:
	free(path);
}

static void consider_glob(struct found *f, const char *pattern, const char *name)
{
	glob_t g;

	if (glob(pattern, GLOB_ONLYDIR, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		consider(f, g.gl_pathv[i], name);
	globfree(&g);
}

static void consider_path(struct found *f, const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;

	if (!path)
		return;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
		consider(f, *dir ? dir : ".", name);
	free(copy);
}

/* What `pg_config --bindir` says, pg_config found on PATH; or NULL. */
static char *pg_config_bindir(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (!path)
		return NULL;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *prog = xasprintf("%s/pg_config", *dir ? dir : ".");
		if (!access(prog, X_OK))
			found = first_line_of(prog, "--bindir");
		free(prog);
	}
	free(copy);
	return found;
}

static void found_release(struct found *f, const struct pgtool *keep)
{
	for (size_t i = 0; i < f->nr; i++)
		if (&f->t[i] != keep)
			pgtool_release(&f->t[i]);
	free(f->t);
}

static int server_major(int server_version)
{
	return server_version >= 100000 ? server_version / 10000 : server_version / 100;
}

static void print_major(struct strbuf *sb, int major)
{
	if (major >= 100)
		strbuf_addf(sb, "%d.%d", major / 100, major % 100);
	else
		strbuf_addf(sb, "%d", major);
}

/* Nothing fits: say what was found and how to get the right one. */
static int report_none(const struct found *f, const char *name, int want,
		       const char *only_dir)
{
	struct strbuf seen = STRBUF_INIT, w = STRBUF_INIT;

	print_major(&w, want);
	err_set_kind("tool");
	error("no %s for PostgreSQL %s found: an older %s cannot work with a newer server",
	      name, w.buf, name);
	for (size_t i = 0; i < f->nr; i++)
		strbuf_addf(&seen, "%s%s %s", i ? ", " : "", f->t[i].path, f->t[i].version);
	if (seen.len)
		detail("found: %s", seen.buf);
	else if (only_dir)
		detail("none in STRATA_PG_BINDIR=%s", only_dir);
	if (!last_err.detail)
		last_err.detail = xstrdup(seen.len ? seen.buf : "none found");
	hint("install the client programs of PostgreSQL %s (Debian: apt install postgresql-client-%s), or set STRATA_PG_BINDIR to the directory that holds them",
	     w.buf, w.buf);
	strbuf_release(&seen);
	strbuf_release(&w);
	return -1;
}

int pgtool_find(const char *name, int server_version, struct pgtool *t)
{
	const char *only = getenv("STRATA_PG_BINDIR");
	int want = server_major(server_version);
	struct found f = { 0 };
	const struct pgtool *best = NULL;

	memset(t, 0, sizeof(*t));
	if (only && *only) {
		consider(&f, only, name);
	} else {
		char *dir = pg_config_bindir();
		if (dir)
			consider(&f, dir, name);
		free(dir);
		consider_glob(&f, "/usr/lib/postgresql/*/bin", name);
		consider_glob(&f, "/usr/pgsql-*/bin", name);
		consider(&f, "/usr/local/pgsql/bin", name);
		consider_path(&f, name);
	}
	/* the same major version, else the nearest newer one */
	for (size_t i = 0; i < f.nr; i++) {
		const struct pgtool *c = &f.t[i];
		if (c->major < want)
			continue;
		if (!best || (c->major == want && best->major != want) ||
		    (best->major != want && c->major < best->major))
			best = c;
	}
	if (!best) {
		report_none(&f, name, want, only);
		found_release(&f, NULL);
		return -1;
	}
	if (best->major != want)
		verbose("no %s %d found; using %s %s, which can read the server", name, want,
			name, best->version);
	*t = *best;
	found_release(&f, best);
	return 0;
}

void pgtool_release(struct pgtool *t)
{
	free(t->name);
	free(t->path);
	free(t->version);
	memset(t, 0, sizeof(*t));
}

/*
 * The environment of the program: strata's own, with the connection's
 * keywords put in their variables (and those variables taken out first,
 * so a stale PGPASSWORD cannot mix with another server's host).
 */
static char **tool_environment(const struct conninfo *ci, const char *name)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + ARRAY_SIZE(env_of) + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		bool ours = false;
		for (size_t m = 0; m < ARRAY_SIZE(env_of); m++) {
			size_t len = strlen(env_of[m][1]);
			if (conninfo_get(ci, env_of[m][0]) &&
			    !strncmp(environ[i], env_of[m][1], len) && environ[i][len] == '=')
				ours = true;
		}
		if (!ours)
			env[k++] = xstrdup(environ[i]);
	}
	for (size_t m = 0; m < ARRAY_SIZE(env_of); m++) {
		const char *v = conninfo_get(ci, env_of[m][0]);
		if (v)
			env[k++] = xasprintf("%s=%s", env_of[m][1], v);
	}
	if (conninfo_get(ci, "sslpassword"))
		warning("the URL's sslpassword cannot be passed to %s without showing it; it is left out",
			name);
	env[k] = NULL;
	return env;
}

static void free_environment(char **env)
{
	for (char **e = env; *e; e++) {
		/* a password must not linger in freed memory */
		memset(*e, 0, strlen(*e));
		free(*e);
	}
	free(env);
}

struct err_reader {
	const char *name;
	struct strbuf pending;	/* an incomplete line */
	char *last;		/* the last "NAME: error: " line, else the last */
	bool last_is_error;
	struct strbuf all;	/* every line (the first 4 KiB), for --json */
};

/* Remember the line that says best what went wrong. */
static void keep_line(struct err_reader *r, const char *line)
{
	char *prefix = xasprintf("%s: error: ", r->name);
	bool is_error = str_starts(line, prefix);

	if (r->all.len < 4096) {
		char *red = redact(line);
		strbuf_addf(&r->all, "%s%s", r->all.len ? "\n" : "", red);
		free(red);
	}
	if (is_error || !r->last_is_error) {
		free(r->last);
		r->last = redact(is_error ? line + strlen(prefix) : line);
		r->last_is_error = is_error;
	}
	free(prefix);
}

/* Show the complete lines of what the program wrote on stderr. */
static void show_lines(struct err_reader *r, bool flush)
{
	char *start = r->pending.buf, *nl;
	size_t used;

	while ((nl = strchr(start, '\n')) || (flush && *start)) {
		if (nl)
			*nl = '\0';
		note("%s", start);
		keep_line(r, start);
		start = nl ? nl + 1 : start + strlen(start);
	}
	used = (size_t)(start - r->pending.buf);
	memmove(r->pending.buf, start, r->pending.len - used + 1);
	strbuf_setlen(&r->pending, r->pending.len - used);
}

/*
 * Read the program's stderr until it closes, passing a signal that strata
 * receives on to the program (once): a terminal's Ctrl-C reaches both,
 * but a SIGTERM from a container runtime reaches strata alone.
 */
static void read_stderr(pid_t pid, int fd, struct err_reader *r)
{
	bool passed_on = false;
	char buf[4096];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (interrupted && !passed_on) {
			kill(pid, interrupted);
			passed_on = true;
		}
		if (poll(&p, 1, 250) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_add(&r->pending, buf, (size_t)n);
		show_lines(r, false);
	}
	show_lines(r, true);
}

int pgtool_run(const struct pgtool *t, const char *const *args,
	       const struct conninfo *ci, int out_fd)
{
	struct err_reader r = { t->name, STRBUF_INIT, NULL, false, STRBUF_INIT };
	size_t nargs = 0;
	char **argv, **env;
	int fds[2], status;
	pid_t pid;

	while (args[nargs])
		nargs++;
	argv = xcalloc(nargs + 2, sizeof(char *));
	argv[0] = t->path;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = (char *)args[i];
	if (pipe2(fds, O_CLOEXEC)) {
		free(argv);
		err_set_kind("tool");
		return error("cannot run %s: %s", t->path, strerror(errno));
	}
	env = tool_environment(ci, t->name);
	verbose("running %s %s", t->path, "(connection in its environment)");
	pid = spawn(t->path, argv, env, out_fd, fds[1]);
	close(fds[1]);
	free_environment(env);
	free(argv);
	if (pid < 0) {
		close(fds[0]);
		err_set_kind("tool");
		return error("cannot run %s: %s", t->path, strerror(errno));
	}
	read_stderr(pid, fds[0], &r);
	close(fds[0]);
	status = reap(pid);
	strbuf_release(&r.pending);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		free(r.last);
		strbuf_release(&r.all);
		return 0;
	}
	err_set_kind(interrupted ? "interrupted" : "tool");
	if (interrupted)
		error("interrupted: %s stopped", t->name);
	else if (WIFSIGNALED(status))
		error("%s was killed by signal %d", t->name, WTERMSIG(status));
	else if (r.last_is_error)
		error("%s failed: %s", t->name, r.last);
	else
		error("%s failed (exit status %d)", t->name, WEXITSTATUS(status));
	free(r.last);
	if (r.all.len && !last_err.detail)
		last_err.detail = strbuf_detach(&r.all, NULL);
	strbuf_release(&r.all);
	return -1;
}

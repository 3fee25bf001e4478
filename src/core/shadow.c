/*
 * shadow.c - scratch databases (see shadow.h for the three kinds).
 *
 * What strata creates is described by a heap-allocated 'struct
 * shadow_owned' kept on a list until shadow_close(), so that an exit on an
 * error path (atexit) still removes it. A second SIGINT/SIGTERM ends
 * strata at once from the signal handler: that handler can only kill the
 * cluster's server (scratch_server_pid); the directory left then is
 * removed by the next cluster start, as after a 'kill -9'.
 */
#include "../compat.h"
#include "shadow.h"
#include "pgtool.h"
#include "../app.h"
#include "../db/conn.h"
#include "../db/maint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR_PREFIX "strata-shadow."
#define OWNER_FILE "owner.pid"

struct shadow_owned {
	enum shadow_kind kind;
	/* SHADOW_DATABASE: the connection that created it, to drop it */
	struct db admin;
	struct conninfo admin_ci;
	char *dbname;
	/* SHADOW_CLUSTER */
	char *dir;
	pid_t server_pid;	/* the postmaster, once started */
	struct shadow_owned *next;
};

static struct shadow_owned *owned_list;

const char *shadow_kind_name(enum shadow_kind kind)
{
	switch (kind) {
	case SHADOW_URL: return "url";
	case SHADOW_DATABASE: return "database";
	case SHADOW_CLUSTER: return "cluster";
	default: return "none";
	}
}

/* ---- removing what strata created --------------------------------------- */

/* "R", "S", "Z"... the state of process 'pid', or 0 when there is none. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Is 'pid' alive (a zombie waiting for its parent is not)? */
static bool process_alive(pid_t pid)
{
	char st;

	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return false;
	st = proc_state(pid);
	return st && st != 'Z' && st != 'X';
}

/* The first line of 'path' as a pid, or 0. */
static pid_t read_pid(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return (pid_t)v;
}

/* Does the command line of 'pid' name 'dir'? (Guards against a reused pid.) */
static bool cmdline_names(pid_t pid, const char *dir)
{
	char path[64], buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, dir) != NULL;
}

/*
 * Stop the postmaster of the cluster in 'dir' the way 'pg_ctl stop -m
 * immediate' does (SIGQUIT), and wait until it is gone; SIGKILL after
 * 10 s. The server is not strata's child (pg_ctl started it), so this
 * polls. Needs no program: the same code cleans stale clusters.
 */
static void stop_server(const char *dir, pid_t pid)
{
	char *pidfile = xasprintf("%s/data/postmaster.pid", dir);
	double start = now_ms();

	if (pid <= 0)
		pid = read_pid(pidfile);
	if (pid > 0 && process_alive(pid) && cmdline_names(pid, dir)) {
		if (kill(pid, SIGQUIT) && errno == EPERM) {
			warning("cannot stop the scratch server (pid %d) in %s: %s", (int)pid, dir,
				strerror(errno));
			free(pidfile);
			return;
		}
		while (process_alive(pid) && now_ms() - start < 10000)
			sleep_ms(20);
		if (process_alive(pid))
			kill(pid, SIGKILL);
		while (process_alive(pid) && now_ms() - start < 15000)
			sleep_ms(20);
	}
	free(pidfile);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* rm -rf 'dir' (without following symbolic links). */
static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (!access(dir, F_OK))
		warning("could not remove %s entirely", dir);
}

static void drop_database(struct shadow_owned *o)
{
	char *ident = PQescapeIdentifier(o->admin.conn, o->dbname, strlen(o->dbname));
	/* FORCE: a session someone left open must not keep it (PG13+) */
	char *sql = xasprintf("DROP DATABASE IF EXISTS %s%s", ident ? ident : o->dbname,
			      o->admin.server_version >= 130000 ? " WITH (FORCE)" : "");
	struct pgerr e = { 0 };

	if (db_command(&o->admin, sql, &e)) {
		warning("could not drop the scratch database '%s': %s", o->dbname,
			e.msg ? e.msg : "");
		hint("drop it by hand: DROP DATABASE %s", ident ? ident : o->dbname);
	} else {
		verbose("dropped the scratch database '%s'", o->dbname);
	}
	pgerr_release(&e);
	free(sql);
	PQfreemem(ident);
}

/* Remove what 'o' describes and free it (it is off the list already). */
static void owned_remove(struct shadow_owned *o)
{
	if (o->kind == SHADOW_DATABASE) {
		if (o->dbname && db_ok(&o->admin))
			drop_database(o);
		db_close(&o->admin);
		conninfo_release(&o->admin_ci);
	} else if (o->kind == SHADOW_CLUSTER && o->dir) {
		stop_server(o->dir, o->server_pid);
		if (scratch_server_pid == o->server_pid)
			scratch_server_pid = 0;
		remove_tree(o->dir);
		verbose("stopped and removed the scratch cluster in %s", o->dir);
	}
	free(o->dbname);
	free(o->dir);
	free(o);
}

static void unlist(struct shadow_owned *o)
{
	for (struct shadow_owned **p = &owned_list; *p; p = &(*p)->next)
		if (*p == o) {
			*p = o->next;
			break;
		}
}

/* At exit, whatever path led there: remove what is still there. */
static void remove_all_at_exit(void)
{
	while (owned_list) {
		struct shadow_owned *o = owned_list;
		owned_list = o->next;
		owned_remove(o);
	}
}

static struct shadow_owned *owned_new(enum shadow_kind kind)
{
	static bool registered;
	struct shadow_owned *o = xcalloc(1, sizeof(*o));

	if (!registered) {
		atexit(remove_all_at_exit);
		registered = true;
	}
	o->kind = kind;
	o->next = owned_list;
	owned_list = o;
	return o;
}

void shadow_close(struct shadow *sh)
{
	if (sh->owned) {
		unlist(sh->owned);
		owned_remove(sh->owned);
	}
	conninfo_release(&sh->ci);
	free(sh->dbname);
	free(sh->dir);
	free(sh->url);
	memset(sh, 0, sizeof(*sh));
}

bool shadow_alive(const struct shadow *sh)
{
	if (sh->kind != SHADOW_CLUSTER || !sh->owned)
		return true;
	return process_alive(sh->owned->server_pid);
}

/* ---- checking it is empty ----------------------------------------------- */

int db_count_relations(struct db *db, long long *count, char **example)
{
	static const char sql[] =
		"SELECT pg_catalog.count(*), pg_catalog.min(n.nspname OPERATOR(pg_catalog.||) '.' "
		"OPERATOR(pg_catalog.||) c.relname) "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
		"AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'";
	struct pgerr e = { 0 };
	PGresult *r = db_query(db, sql, &e);

	*example = NULL;
	if (!r) {
		pgerr_report(&e, "cannot read the database's catalog");
		pgerr_release(&e);
		return -1;
	}
	*count = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	if (*count)
		*example = xstrdup(PQgetvalue(r, 0, 1));
	PQclear(r);
	return 0;
}

/*
 * Connect to the scratch database and make sure it holds no relation
 * outside the system schemas: a database given by the user that does is
 * someone's data, and strata refuses it rather than drop anything.
 */
static int check_empty(struct shadow *sh, long wait_ms)
{
	struct db db = { 0 };
	long long n;
	char *example;
	int ret = 0;

	if (db_connect(&db, &sh->ci, wait_ms)) {
		hint("the scratch database must accept connections (from %s)", sh->ci.source);
		return -1;
	}
	sh->server_version = db.server_version;
	if (db_count_relations(&db, &n, &example)) {
		ret = -1;
	} else if (n) {
		err_set_kind("shadow");
		ret = error("the scratch database %s is not empty: it holds %lld relation%s (%s, ...)",
			    sh->ci.display, n, n == 1 ? "" : "s", example);
		hint("give --shadow (or shadow = URL in the config) an empty database: strata fills it and never drops what it finds");
	}
	free(example);
	db_close(&db);
	return ret;
}

/* ---- 1. the database the user named ------------------------------------- */

static int open_given(struct shadow *sh, const char *url, const char *source, long wait_ms)
{
	sh->kind = SHADOW_URL;
	sh->ci.source = xstrdup(source);
	if (conninfo_parse(url, &sh->ci)) {
		err_set_kind("config");
		detail("from %s", source);
		return -1;
	}
	conninfo_set(&sh->ci, "fallback_application_name", "strata", false);
	conninfo_set(&sh->ci, "connect_timeout", "10", false);
	conninfo_make_display(&sh->ci);
	sh->dbname = conninfo_dbname(&sh->ci);
	verbose("scratch database: %s (from %s)", sh->ci.display, source);
	return check_empty(sh, wait_ms);
}

/* ---- 2. a database on the target's server ------------------------------- */

/* 16 random hex digits: names that never collide between runs. */
static void random_hex(char *hex, size_t n)
{
	unsigned char b[32];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, b, n / 2) == (ssize_t)(n / 2);

	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < n / 2; i++)
		snprintf(hex + 2 * i, 3, "%02x", ok ? b[i] : (unsigned)(rand() & 0xff));
}

/* May the role create databases? 1, 0, or -1 after error(). */
static int may_create_databases(struct db *db)
{
	struct pgerr e = { 0 };
	PGresult *r = db_query(db,
		"SELECT rolcreatedb OR rolsuper FROM pg_catalog.pg_roles "
		"WHERE rolname OPERATOR(pg_catalog.=) current_user", &e);
	int ret;

	if (!r) {
		pgerr_report(&e, "cannot read the role's privileges");
		pgerr_release(&e);
		return -1;
	}
	ret = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return ret;
}

/*
 * CREATE DATABASE from template0, which holds nothing a user added to
 * template1. 1 created, 0 refused for lack of privilege (the next kind is
 * tried), -1 after error().
 */
static int create_scratch_db(struct shadow_owned *o)
{
	char *ident = PQescapeIdentifier(o->admin.conn, o->dbname, strlen(o->dbname));
	char *sql = xasprintf("CREATE DATABASE %s TEMPLATE template0", ident);
	struct pgerr e = { 0 };
	int ret = 1;

	if (db_command(&o->admin, sql, &e)) {
		if (e.sqlstate && !strcmp(e.sqlstate, "42501")) {
			verbose("cannot create a scratch database on the target's server: %s", e.msg);
			ret = 0;
		} else {
			report_database_error(&o->admin, &e, "cannot create the scratch database",
					      o->dbname);
			ret = -1;
		}
	}
	pgerr_release(&e);
	free(sql);
	PQfreemem(ident);
	return ret;
}

/*
 * Try the target's server. 1 done, 0 the role may not create databases
 * (*server_version tells the next kind which programs to use), -1 after
 * error().
 */
static int open_on_target(struct app *app, struct shadow *sh, int *server_version)
{
	struct shadow_owned *o = owned_new(SHADOW_DATABASE);
	char hex[17];
	int r;

	if (!app->have_ci) {
		app->have_ci = true;
		if (conninfo_resolve(&app->cfg, &app->ci))
			goto fail;
	}
	if (db_connect_maintenance(&o->admin, &app->ci, app->cfg.wait_ms, &o->admin_ci))
		goto fail;
	*server_version = o->admin.server_version;
	r = may_create_databases(&o->admin);
	if (r < 0)
		goto fail;
	random_hex(hex, 16);
	hex[16] = '\0';
	o->dbname = xasprintf("strata_shadow_%s", hex);
	if (r == 1)
		r = create_scratch_db(o);
	if (r <= 0) {
		free(o->dbname);
		o->dbname = NULL;	/* nothing to drop */
		unlist(o);
		owned_remove(o);
		return r;
	}
	verbose("created the scratch database '%s' on the target's server", o->dbname);
	sh->kind = SHADOW_DATABASE;
	sh->owned = o;
	sh->dbname = xstrdup(o->dbname);
	conninfo_copy_with_db(&app->ci, o->dbname, &sh->ci);
	free(sh->ci.source);
	sh->ci.source = xstrdup("a scratch database on the target's server");
	return check_empty(sh, app->cfg.wait_ms) ? -1 : 1;
fail:
	unlist(o);
	owned_remove(o);
	return -1;
}

/* ---- 3. a local cluster -------------------------------------------------- */

/*
 * The user the server programs run as: initdb and postgres refuse root,
 * so as root they run as 'postgres' (else 'nobody'); otherwise as strata's
 * own user. false when root and neither exists.
 */
static bool server_user(uid_t *uid, gid_t *gid, bool *switch_user)
{
	struct passwd *pw;

	*switch_user = geteuid() == 0;
	*uid = geteuid();
	*gid = getegid();
	if (!*switch_user)
		return true;
	pw = getpwnam("postgres");
	if (!pw)
		pw = getpwnam("nobody");
	if (!pw)
		return false;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return true;
}

struct runner {
	uid_t uid;
	gid_t gid;
	bool switch_user;
	const char *dir;
};

/*
 * Run 'argv' (absolute path) as the server user, in its own session (a
 * terminal's Ctrl-C then reaches strata alone, which stops the server in
 * order), output appended to 'log'. Its exit status, -1 when it could not
 * start. Signals to strata do not stop the wait: a short step finishes.
 */
static int run_as(const struct runner *ru, char *const argv[], const char *log)
{
	static char *const env[] = { (char *)"PATH=/usr/bin:/bin", (char *)"LC_ALL=C", NULL };
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int status = 0;
	pid_t pid;

	if (null_fd < 0 || log_fd < 0 || (ru->switch_user && fchown(log_fd, ru->uid, ru->gid))) {
		if (null_fd >= 0)
			close(null_fd);
		if (log_fd >= 0)
			close(log_fd);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if (ru->switch_user &&
		    (setgroups(0, NULL) || setgid(ru->gid) || setuid(ru->uid)))
			_exit(126);
		if (chdir(ru->dir) || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
		    dup2(log_fd, 2) < 0)
			_exit(126);
		/* the server outlives this program: it must hold no pipe of ours */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execve(argv[0], argv, env);
		_exit(127);
	}
	close(null_fd);
	close(log_fd);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Show the last lines of a program's log as the error's detail. */
static void detail_log(const char *path)
{
	enum { KEEP = 6 };
	struct strbuf all = STRBUF_INIT;
	FILE *f = fopen(path, "re");
	char line[1024], *kept[KEEP] = { 0 };
	int n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		free(kept[n % KEEP]);
		kept[n % KEEP] = xstrdup(line);
		n++;
	}
	fclose(f);
	for (int i = n > KEEP ? n - KEEP : 0; i < n; i++) {
		detail("%s", kept[i % KEEP]);
		strbuf_addf(&all, "%s%s", all.len ? "\n" : "", kept[i % KEEP]);
	}
	if (all.len && !last_err.detail)
		last_err.detail = redact(all.buf);
	strbuf_release(&all);
	for (int i = 0; i < KEEP; i++)
		free(kept[i]);
}

/* $TMPDIR, unless unset or too long for a unix socket path; else /tmp. */
static const char *temp_base(void)
{
	const char *t = getenv("TMPDIR");

	/* the socket is DIR/.s.PGSQL.5432, at most 107 bytes */
	if (t && *t && strlen(t) < 70)
		return t;
	return "/tmp";
}

/* "PID STARTTIME": the start time tells a reused pid apart. */
static char *owner_tag(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* field 22 (starttime) is the 20th after the ')' */
	for (int i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return NULL;
	return xasprintf("%d %llu", (int)pid, start);
}

/*
 * Remove the clusters whose strata is gone (killed with 'kill -9', or a
 * machine that lost power): their owner.pid names a process that no
 * longer runs, or another one that took its pid.
 */
static void remove_stale_clusters(const char *base)
{
	char *pattern = xasprintf("%s/" DIR_PREFIX "*", base);
	glob_t g;

	if (glob(pattern, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g)) {
		free(pattern);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *dir = g.gl_pathv[i];
		char *file = xasprintf("%s/" OWNER_FILE, dir), line[128] = "", *now;
		FILE *f = fopen(file, "re");
		pid_t pid;

		if (f) {
			if (!fgets(line, sizeof(line), f))
				line[0] = '\0';
			fclose(f);
		}
		line[strcspn(line, "\n")] = '\0';
		pid = (pid_t)atol(line);
		now = pid > 0 ? owner_tag(pid) : NULL;
		if (f && pid > 0 && (!now || strcmp(now, line))) {
			note("removing a scratch cluster left by strata (pid %d, no longer running): %s",
			     (int)pid, dir);
			stop_server(dir, 0);
			remove_tree(dir);
		}
		free(now);
		free(file);
	}
	globfree(&g);
	free(pattern);
}

/* Make the temporary directory, owned by the server user, with owner.pid. */
static int make_dir(struct shadow_owned *o, const struct runner *ru)
{
	char *tmpl = xasprintf("%s/" DIR_PREFIX "XXXXXX", temp_base());
	char *tag, *file;
	FILE *f;

	if (!mkdtemp(tmpl)) {
		err_set_kind("shadow");
		error("cannot create a temporary directory %s: %s", tmpl, strerror(errno));
		free(tmpl);
		return -1;
	}
	o->dir = tmpl;
	tag = owner_tag(getpid());
	file = xasprintf("%s/" OWNER_FILE, tmpl);
	f = fopen(file, "we");
	if (f) {
		fprintf(f, "%s\n", tag ? tag : "0");
		if (fclose(f))
			f = NULL;
	}
	free(tag);
	free(file);
	if (!f || (ru->switch_user && chown(tmpl, ru->uid, ru->gid))) {
		err_set_kind("shadow");
		return error("cannot prepare the temporary directory %s: %s", tmpl, strerror(errno));
	}
	return 0;
}

/* The settings of a throwaway server: no TCP, no durability, small. */
static int write_settings(const char *dir)
{
	char *path = xasprintf("%s/data/postgresql.conf", dir);
	FILE *f = fopen(path, "ae");
	int ret = 0;

	if (!f || fprintf(f, "\n# strata scratch cluster\n"
			  "listen_addresses = ''\n"
			  "unix_socket_directories = '%s'\n"
			  "unix_socket_permissions = 0700\n"
			  "port = 5432\n"
			  "fsync = off\n"
			  "synchronous_commit = off\n"
			  "full_page_writes = off\n"
			  "max_connections = 20\n"
			  "shared_buffers = 16MB\n"
			  "max_wal_senders = 0\n"
			  "wal_level = minimal\n", dir) < 0)
		ret = -1;
	if (f && fclose(f))
		ret = -1;
	if (ret) {
		err_set_kind("shadow");
		error("cannot write %s: %s", path, strerror(errno));
	}
	free(path);
	return ret;
}

/* initdb, settings, pg_ctl start: the server running in o->dir. */
static int start_cluster(struct shadow_owned *o, const struct runner *ru, const char *bindir)
{
	char *initdb = xasprintf("%s/initdb", bindir), *pg_ctl = xasprintf("%s/pg_ctl", bindir);
	char *data = xasprintf("%s/data", o->dir), *log = xasprintf("%s/initdb.log", o->dir);
	char *server_log = xasprintf("%s/server.log", o->dir);
	char *pidfile = xasprintf("%s/postmaster.pid", data);
	char *init_argv[] = { initdb, (char *)"-D", data, (char *)"-A", (char *)"trust",
			      (char *)"-U", (char *)"postgres", (char *)"-E", (char *)"UTF8",
			      (char *)"--no-locale", (char *)"-N", NULL };
	char *ctl_argv[] = { pg_ctl, (char *)"-D", data, (char *)"-l", server_log, (char *)"-w",
			     (char *)"-t", (char *)"60", (char *)"-s", (char *)"start", NULL };
	int ret = -1;

	err_set_kind("shadow");
	if (run_as(ru, init_argv, log)) {
		error("initdb failed for the scratch cluster in %s", o->dir);
		detail_log(log);
		goto out;
	}
	if (interrupted) {
		err_set_kind("interrupted");
		error("interrupted while starting the scratch cluster");
		goto out;
	}
	if (write_settings(o->dir))
		goto out;
	free(log);
	log = xasprintf("%s/pg_ctl.log", o->dir);
	if (run_as(ru, ctl_argv, log)) {
		o->server_pid = read_pid(pidfile);
		error("the scratch cluster in %s did not start", o->dir);
		detail_log(server_log);
		goto out;
	}
	o->server_pid = read_pid(pidfile);
	scratch_server_pid = o->server_pid;
	ret = 0;
out:
	free(initdb);
	free(pg_ctl);
	free(data);
	free(log);
	free(server_log);
	free(pidfile);
	return ret;
}

/* "postgresql://postgres@/DB?host=DIR", the name %-encoded where needed. */
static char *cluster_url(const char *dir, const char *dbname)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "postgresql://postgres@/");
	for (const unsigned char *p = (const unsigned char *)dbname; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
			strbuf_addch(&sb, (char)*p);
		else
			strbuf_addf(&sb, "%%%02X", *p);
	}
	strbuf_addf(&sb, "?host=%s", dir);
	return strbuf_detach(&sb, NULL);
}

/* CREATE DATABASE 'dbname' in the new cluster (unless it is 'postgres'). */
static int create_in_cluster(struct shadow *sh, const char *dbname)
{
	struct conninfo ci = { 0 };
	struct db db = { 0 };
	struct pgerr e = { 0 };
	int ret = 0;

	conninfo_set(&ci, "host", sh->dir, true);
	conninfo_set(&ci, "port", "5432", true);
	conninfo_set(&ci, "user", "postgres", true);
	conninfo_set(&ci, "dbname", "postgres", true);
	conninfo_set(&ci, "fallback_application_name", "strata", true);
	ci.source = xstrdup("the scratch cluster");
	conninfo_make_display(&ci);
	if (db_connect(&db, &ci, 10000)) {
		ret = -1;
	} else if (strcmp(dbname, "postgres")) {
		char *ident = PQescapeIdentifier(db.conn, dbname, strlen(dbname));
		char *sql = xasprintf("CREATE DATABASE %s", ident);
		if (db_command(&db, sql, &e)) {
			pgerr_report(&e, "cannot create the database in the scratch cluster");
			ret = -1;
		}
		free(sql);
		PQfreemem(ident);
	}
	sh->server_version = db.server_version;
	pgerr_release(&e);
	db_close(&db);
	conninfo_release(&ci);
	return ret;
}

/*
 * initdb of the server's major version. When that is not known ('dev'),
 * libpq's own version or newer, else any: nothing else to go by. 0, or
 * -1 after error().
 */
static int find_initdb(int server_version, struct pgtool *t)
{
	bool muted = out.mute;
	int r;

	if (server_version)
		return pgtool_find("initdb", server_version, t);
	out.mute = true;
	r = pgtool_find("initdb", PQlibVersion(), t);
	if (r)
		r = pgtool_find("initdb", 0, t);
	out.mute = muted;
	if (!r)
		return 0;
	err_reset();
	return pgtool_find("initdb", PQlibVersion(), t);
}

static void say_starting(const char *what)
{
	if (out.tty && !out.json && out.verbosity >= 0)
		note("%s", what);
	else
		verbose("%s", what);
}

int shadow_open_cluster(struct shadow *sh, int server_version, const char *dbname)
{
	struct runner ru = { 0 };
	struct pgtool initdb = { 0 };
	struct shadow_owned *o;
	char *bindir, *msg;

	memset(sh, 0, sizeof(*sh));
	if (dbname_check(dbname))
		return -1;
	if (!server_user(&ru.uid, &ru.gid, &ru.switch_user)) {
		err_set_kind("shadow");
		error("strata runs as root and there is neither a 'postgres' nor a 'nobody' user to run a scratch PostgreSQL as");
		return -1;
	}
	remove_stale_clusters(temp_base());
	if (find_initdb(server_version, &initdb)) {
		hint("a scratch cluster needs the PostgreSQL server programs (Debian: apt install postgresql-%d), or --shadow URL",
		     (server_version ? server_version : PQlibVersion()) / 10000);
		return -1;
	}
	bindir = xstrndup(initdb.path, (size_t)(strrchr(initdb.path, '/') - initdb.path));
	o = owned_new(SHADOW_CLUSTER);
	sh->owned = o;
	sh->kind = SHADOW_CLUSTER;
	if (make_dir(o, &ru))
		goto fail;
	ru.dir = o->dir;
	msg = xasprintf("starting a scratch PostgreSQL %s in %s ...", initdb.version, o->dir);
	say_starting(msg);
	free(msg);
	if (start_cluster(o, &ru, bindir))
		goto fail;
	if (interrupted) {
		err_set_kind("interrupted");
		error("interrupted while starting the scratch cluster");
		goto fail;
	}
	sh->dir = xstrdup(o->dir);
	if (create_in_cluster(sh, dbname))
		goto fail;
	sh->dbname = xstrdup(dbname);
	sh->url = cluster_url(o->dir, dbname);
	conninfo_set(&sh->ci, "host", o->dir, true);
	conninfo_set(&sh->ci, "port", "5432", true);
	conninfo_set(&sh->ci, "user", "postgres", true);
	conninfo_set(&sh->ci, "dbname", dbname, true);
	conninfo_set(&sh->ci, "fallback_application_name", "strata", true);
	sh->ci.source = xstrdup("the scratch cluster");
	conninfo_make_display(&sh->ci);
	free(bindir);
	pgtool_release(&initdb);
	return 0;
fail:
	free(bindir);
	pgtool_release(&initdb);
	shadow_close(sh);
	return -1;
}

int shadow_open(struct app *app, struct shadow *sh)
{
	const struct config *c = &app->cfg;
	int server_version = 0, r;

	memset(sh, 0, sizeof(*sh));
	if (c->opt_shadow || c->shadow_url) {
		r = open_given(sh, c->opt_shadow ? c->opt_shadow : c->shadow_url,
			       c->opt_shadow ? "--shadow" : "strata.ini shadow", c->wait_ms);
		if (r)
			shadow_close(sh);
		return r;
	}
	r = open_on_target(app, sh, &server_version);
	if (r == 1)
		return 0;
	if (r < 0) {
		shadow_close(sh);
		return -1;
	}
	verbose("the role may not create databases: using a local scratch cluster");
	if (shadow_open_cluster(sh, server_version, "strata_shadow"))
		return -1;
	return check_empty(sh, 10000) ? (shadow_close(sh), -1) : 0;
}

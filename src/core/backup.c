#include "../compat.h"
#include "backup.h"
#include "pgtool.h"
#include "../app.h"
#include "../db/maint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void human_size(char *buf, size_t n, long long bytes)
{
	if (bytes < 1024)
		snprintf(buf, n, "%lld bytes", bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, n, "%.1f KiB", (double)bytes / 1024);
	else if (bytes < 1024LL * 1024 * 1024)
		snprintf(buf, n, "%.1f MiB", (double)bytes / (1024 * 1024));
	else
		snprintf(buf, n, "%.1f GiB", (double)bytes / (1024 * 1024 * 1024));
}

/* mkdir -p 'dir'. 0, or -1 after error(). */
static int make_dirs(const char *dir)
{
	char *p = xstrdup(dir);
	int ret = 0;

	for (char *s = p + 1;; s++) {
		char c = *s;
		if (c != '/' && c)
			continue;
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST) {
			err_set_kind("files");
			ret = error("cannot create the backups folder '%s': %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return ret;
}

/*
 * <dbname>-<UTC yyyymmddTHHMMSSZ>.dump, the name made safe for a file
 * (no '/', no control characters, no leading dot); "-2", "-3"... when a
 * backup of the same second exists.
 */
static char *default_path(struct app *app)
{
	const char *dir = app->cfg.backups_dir;
	struct strbuf name = STRBUF_INIT;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	char *path = NULL;

	if (dir && make_dirs(dir))
		return NULL;
	for (const unsigned char *c = (const unsigned char *)PQdb(app->db.conn); *c; c++)
		strbuf_addch(&name, *c == '/' || *c < 0x20 || *c == 0x7f ||
				    (*c == '.' && !name.len) ? '_' : *c);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int n = 1;; n++) {
		char suffix[16] = "";
		if (n > 1)
			snprintf(suffix, sizeof(suffix), "-%d", n);
		path = xasprintf("%s%s%s-%s%s.dump", dir ? dir : "", dir ? "/" : "", name.buf,
				 stamp, suffix);
		if (access(path, F_OK))
			break;
		free(path);
	}
	strbuf_release(&name);
	return path;
}

/*
 * pg_dump succeeded: is the file what it should be, and on disk?
 * 0, or -1 after error().
 */
static int finish_file(int fd, const char *partial, struct backup *b)
{
	struct stat st;
	char magic[5];

	if (fstat(fd, &st) || pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, "PGDMP", sizeof(magic))) {
		err_set_kind("tool");
		return error("pg_dump exited 0 but '%s' is not a custom-format archive", partial);
	}
	if (fsync(fd)) {
		err_set_kind("files");
		return error("cannot write '%s' to disk: %s", partial, strerror(errno));
	}
	b->bytes = (long long)st.st_size;
	return 0;
}

/* pg_dump's connection: strata's, without strata's session settings. */
static int dump_conninfo(struct app *app, struct conninfo *ci)
{
	struct conninfo plain = { 0 };

	if (conninfo_resolve_plain(&app->cfg, &plain)) {
		conninfo_release(&plain);
		return -1;
	}
	conninfo_copy_with_db(&plain, PQdb(app->db.conn), ci);
	conninfo_release(&plain);
	return 0;
}

int backup_write(struct app *app, const char *path, struct backup *b)
{
	const char *args[] = { "--format=custom", "--no-password",
			       out.verbosity >= 2 ? "--verbose" : NULL, NULL };
	struct conninfo ci = { 0 };
	struct pgtool t = { 0 };
	char *partial = NULL;
	double start = now_ms();
	int fd = -1, ret = -1;

	memset(b, 0, sizeof(*b));
	b->path = path ? xstrdup(path) : default_path(app);
	if (!b->path || pgtool_find("pg_dump", app->db.server_version, &t) ||
	    dump_conninfo(app, &ci))
		goto out;
	partial = xasprintf("%s.partial", b->path);
	fd = open(partial, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set_kind("files");
		error("cannot create '%s': %s", partial, strerror(errno));
		goto out;
	}
	verbose("backing up with %s %s into %s", t.path, t.version, partial);
	if (pgtool_run(&t, args, &ci, fd) || finish_file(fd, partial, b))
		goto out;
	close(fd);
	fd = -1;
	if (rename(partial, b->path)) {
		err_set_kind("files");
		error("cannot rename '%s' to '%s': %s", partial, b->path, strerror(errno));
		goto out;
	}
	fsync_parent_dir(b->path);
	b->tool = xstrdup(t.path);
	b->tool_version = xstrdup(t.version);
	b->ms = now_ms() - start;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret && partial && unlink(partial) && errno != ENOENT)
		warning("cannot remove the incomplete '%s': %s", partial, strerror(errno));
	if (ret)
		detail("no backup was written");
	free(partial);
	pgtool_release(&t);
	conninfo_release(&ci);
	return ret;
}

void backup_release(struct backup *b)
{
	free(b->path);
	free(b->tool);
	free(b->tool_version);
	memset(b, 0, sizeof(*b));
}

int backup_before_change(struct app *app, char **path)
{
	struct backup b;
	char size[32];

	if (backup_write(app, NULL, &b)) {
		backup_release(&b);
		hint("nothing was changed; run again without --backup to go on without one");
		return -1;
	}
	human_size(size, sizeof(size), b.bytes);
	say("backup written to %s (%s, %.1f s)", b.path, size, b.ms / 1000);
	*path = b.path;
	b.path = NULL;
	backup_release(&b);
	return 0;
}

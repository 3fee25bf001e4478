#include "../compat.h"
#include "sumcache.h"
#include "source.h"
#include "../util/util.h"
#include "../util/strbuf.h"

#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "strata-sums 3 "
#define MAX_CACHE_FILE (64u << 20)

struct sum_entry {
	char *file;
	unsigned long long dev, ino, size;
	long long mtime_s, mtime_ns, ctime_s, ctime_ns;
	char sum[65];
	int mode;		/* of the up script, or SUMCACHE_MODE_UNKNOWN */
	char lint[17];		/* lint fingerprint with no finding, or "" */
	bool used;		/* its file was seen unchanged this run */
	bool replaced;		/* by an entry recorded this run */
};

struct sumcache {
	char *path;		/* the cache file */
	char *dir;		/* the folder it is for, as realpath() says */
	struct sum_entry *old;	/* read from the file, sorted by name */
	size_t nr_old;
	struct sum_entry *new;	/* recorded this run */
	size_t nr_new, alloc_new;
	bool dirty;		/* an old entry learnt its mode */
	time_t now;
};

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct sum_entry *)a)->file,
		      ((const struct sum_entry *)b)->file);
}

static void fill_stat(struct sum_entry *e, const struct stat *st)
{
	e->dev = (unsigned long long)st->st_dev;
	e->ino = (unsigned long long)st->st_ino;
	e->size = (unsigned long long)st->st_size;
	e->mtime_s = (long long)st->st_mtim.tv_sec;
	e->mtime_ns = (long long)st->st_mtim.tv_nsec;
	e->ctime_s = (long long)st->st_ctim.tv_sec;
	e->ctime_ns = (long long)st->st_ctim.tv_nsec;
}

static bool same_stat(const struct sum_entry *e, const struct stat *st)
{
	struct sum_entry now;
	fill_stat(&now, st);
	return e->dev == now.dev && e->ino == now.ino && e->size == now.size &&
	       e->mtime_s == now.mtime_s && e->mtime_ns == now.mtime_ns &&
	       e->ctime_s == now.ctime_s && e->ctime_ns == now.ctime_ns;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * Parse one entry line; false if it is not one. The line is
 * "DEV INO SIZE MTIME CTIME SHA256 MODE LINT FILE": MODE a digit (enum
 * run_mode) or '-' (not known), LINT 16 hex digits or '-'.
 */
static bool parse_entry(char *line, struct sum_entry *e)
{
	const char *m, *lint;
	int n = 0;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%llu %llu %llu %lld.%lld %lld.%lld %n", &e->dev, &e->ino,
		   &e->size, &e->mtime_s, &e->mtime_ns, &e->ctime_s, &e->ctime_ns,
		   &n) != 7 || !n || !is_hex(line + n, 64) || line[n + 64] != ' ')
		return false;
	m = line + n + 65;
	if (!((*m >= '0' && *m <= '2') || *m == '-') || m[1] != ' ')
		return false;
	lint = m + 2;
	if (lint[0] == '-' && lint[1] == ' ') {
		e->file = (char *)lint + 2;
	} else if (is_hex(lint, 16) && lint[16] == ' ') {
		memcpy(e->lint, lint, 16);
		e->file = (char *)lint + 17;
	} else {
		return false;
	}
	if (!*e->file)
		return false;
	memcpy(e->sum, line + n, 64);
	e->sum[64] = '\0';
	e->mode = *m == '-' ? SUMCACHE_MODE_UNKNOWN : *m - '0';
	return true;
}

/* Read the cache file; anything odd about it and it is simply not used. */
static void load(struct sumcache *c)
{
	struct stat st;
	char *buf, *p, *end;
	size_t alloc = 0;
	ssize_t got;
	int fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (size_t)st.st_size > MAX_CACHE_FILE) {
		close(fd);
		return;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	got = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size) {
		free(buf);
		return;
	}
	buf[got] = '\0';
	end = buf + got;
	p = strchr(buf, '\n');
	if (!p || !str_starts(buf, MAGIC) || (size_t)(p - buf) != strlen(MAGIC) + strlen(c->dir) ||
	    memcmp(buf + strlen(MAGIC), c->dir, strlen(c->dir))) {
		free(buf);
		return;
	}
	for (p++; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		struct sum_entry e;
		if (!nl)
			break;	/* a line cut short: the file was damaged */
		*nl = '\0';
		if (parse_entry(p, &e)) {
			e.file = xstrdup(e.file);
			ALLOC_GROW(c->old, c->nr_old + 1, alloc);
			c->old[c->nr_old++] = e;
		}
		p = nl + 1;
	}
	free(buf);
	if (c->nr_old > 1)
		qsort(c->old, c->nr_old, sizeof(*c->old), cmp_file);
}

static char *cache_dir(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (x && x[0] == '/')
		return xasprintf("%s/strata", x);
	if (home && home[0] == '/')
		return xasprintf("%s/.cache/strata", home);
	return NULL;
}

struct sumcache *sumcache_open(const char *dir)
{
	const char *off = getenv("STRATA_CACHE");
	char real[PATH_MAX], sum[65], *cdir;
	struct sumcache *c;

	if (off && !strcmp(off, "off"))
		return NULL;
	if (!realpath(dir, real) || strchr(real, '\n'))
		return NULL;
	cdir = cache_dir();
	if (!cdir)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->dir = xstrdup(real);
	checksum_text(real, strlen(real), sum);
	c->path = xasprintf("%s/sums-%.16s", cdir, sum);
	c->now = time(NULL);
	free(cdir);
	load(c);
	return c;
}

static struct sum_entry *find_old(struct sumcache *c, const char *file)
{
	struct sum_entry key;

	key.file = (char *)file;
	return c->nr_old ? bsearch(&key, c->old, c->nr_old, sizeof(*c->old), cmp_file) : NULL;
}

bool sumcache_get(struct sumcache *c, const char *file, const struct stat *st,
		  struct sum_info *info)
{
	struct sum_entry *e;

	if (!c)
		return false;
	e = find_old(c, file);
	if (!e || !same_stat(e, st))
		return false;
	e->used = true;
	memcpy(info->sum, e->sum, sizeof(info->sum));
	info->mode = e->mode;
	memcpy(info->lint, e->lint, sizeof(info->lint));
	return true;
}

void sumcache_put(struct sumcache *c, const char *file, const struct stat *st,
		  const struct sum_info *info)
{
	struct sum_entry *e;

	/*
	 * A file changed in the last second could change again within the
	 * same timestamp tick on a coarse filesystem: not trusted yet.
	 */
	if (!c || strchr(file, '\n') || st->st_mtim.tv_sec >= c->now - 1 ||
	    st->st_ctim.tv_sec >= c->now - 1)
		return;
	/* the same bytes as recorded: at most the mode or the lint is new */
	e = find_old(c, file);
	if (e && same_stat(e, st) && !strcmp(e->sum, info->sum)) {
		e->used = true;
		if (info->mode != SUMCACHE_MODE_UNKNOWN && e->mode != info->mode) {
			e->mode = info->mode;
			c->dirty = true;
		}
		if (info->lint[0] && strcmp(e->lint, info->lint)) {
			memcpy(e->lint, info->lint, sizeof(e->lint));
			c->dirty = true;
		}
		return;
	}
	if (e) {
		e->used = false;
		e->replaced = true;	/* by the new entry */
	}
	ALLOC_GROW(c->new, c->nr_new + 1, c->alloc_new);
	e = &c->new[c->nr_new++];
	memset(e, 0, sizeof(*e));
	e->file = xstrdup(file);
	fill_stat(e, st);
	memcpy(e->sum, info->sum, sizeof(e->sum));
	e->mode = info->mode;
	memcpy(e->lint, info->lint, sizeof(e->lint));
}

static void add_line(struct strbuf *sb, const struct sum_entry *e)
{
	strbuf_addf(sb, "%llu %llu %llu %lld.%09lld %lld.%09lld %s %c %s %s\n", e->dev, e->ino,
		    e->size, e->mtime_s, e->mtime_ns, e->ctime_s, e->ctime_ns, e->sum,
		    e->mode == SUMCACHE_MODE_UNKNOWN ? '-' : '0' + e->mode,
		    e->lint[0] ? e->lint : "-", e->file);
}

/* Write to a temporary file, then rename: a reader never sees half. */
static void write_back(struct sumcache *c, bool saw_all)
{
	struct strbuf sb = STRBUF_INIT;
	char *tmp, *slash;
	int fd;

	strbuf_addf(&sb, MAGIC "%s\n", c->dir);
	for (size_t i = 0; i < c->nr_old; i++)
		if (c->old[i].used || (!saw_all && !c->old[i].replaced))
			add_line(&sb, &c->old[i]);
	for (size_t i = 0; i < c->nr_new; i++)
		add_line(&sb, &c->new[i]);
	slash = strrchr(c->path, '/');
	*slash = '\0';
	/* ~/.cache may not exist yet */
	if (mkdir(c->path, 0700) && errno == ENOENT) {
		char *parent = strrchr(c->path, '/');
		*parent = '\0';
		mkdir(c->path, 0700);
		*parent = '/';
		mkdir(c->path, 0700);
	}
	*slash = '/';
	tmp = xasprintf("%s.%ld.tmp", c->path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		bool ok = write(fd, sb.buf, sb.len) == (ssize_t)sb.len;
		ok = !close(fd) && ok;
		if (!ok || rename(tmp, c->path))
			unlink(tmp);
	}
	free(tmp);
	strbuf_release(&sb);
}

void sumcache_close(struct sumcache *c, bool saw_all)
{
	bool dirty;

	if (!c)
		return;
	dirty = c->nr_new > 0 || c->dirty;
	for (size_t i = 0; i < c->nr_old && !dirty && saw_all; i++)
		dirty = !c->old[i].used;	/* a file gone or changed */
	if (dirty)
		write_back(c, saw_all);
	for (size_t i = 0; i < c->nr_old; i++)
		free(c->old[i].file);
	for (size_t i = 0; i < c->nr_new; i++)
		free(c->new[i].file);
	free(c->old);
	free(c->new);
	free(c->path);
	free(c->dir);
	free(c);
}

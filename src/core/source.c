#include "../compat.h"
#include "source.h"
#include "version.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>
#include <pthread.h>

#define DEFAULT_MAX_FILE_SIZE (256u << 20)

enum entry_kind { E_UP, E_DOWN, E_SINGLE, E_FOLDER };

struct entry {
	char *version, *raw, *name, *path, *down_path;
	enum entry_kind kind;
};

const char *layout_name(enum layout l)
{
	switch (l) {
	case LAYOUT_PAIR: return "pair";
	case LAYOUT_UP_ONLY: return "up-only";
	case LAYOUT_SECTIONS: return "sections";
	case LAYOUT_FOLDER: return "folder";
	}
	return "?";
}

/* "V_name<suffix>": split into version and name, or return -1. */
static int split_name(const char *base, size_t n, char **version, char **raw,
		      char **name)
{
	const char *us = memchr(base, '_', n);

	if (!us || us == base || us + 1 == base + n)
		return -1;
	*version = version_normalize(base, (size_t)(us - base));
	if (!*version)
		return -1;
	*raw = xstrndup(base, (size_t)(us - base));
	*name = xstrndup(us + 1, (size_t)(base + n - us - 1));
	return 0;
}

static bool is_marker(const char *line, size_t n, const char *what)
{
	/* "-- migrate:up", "-- strata:up" (and :down), optionally followed
	 * by options such as "transaction:false" */
	const char *tools[] = { "-- migrate:", "-- strata:" };
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		size_t tl = strlen(tools[i]), wl = strlen(what);
		if (n >= tl + wl && !memcmp(line, tools[i], tl) &&
		    !memcmp(line + tl, what, wl) &&
		    (n == tl + wl || line[tl + wl] == ' ' ||
		     line[tl + wl] == '\t' || line[tl + wl] == '\r'))
			return true;
	}
	return false;
}

/* Does the file begin (after blank and comment lines) with an up marker? */
static bool has_sections(int dirfd, const char *rel)
{
	char buf[4096];
	ssize_t n;
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t i = 0;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < (size_t)n) {
		size_t e = i;
		while (e < (size_t)n && buf[e] != '\n')
			e++;
		if (is_marker(buf + i, e - i, "up"))
			return true;
		i = e + 1;
	}
	return false;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = version_cmp(x->version, y->version);
	if (c)
		return c;
	return (int)x->kind - (int)y->kind;
}

static void entry_free(struct entry *e)
{
	free(e->version);
	free(e->raw);
	free(e->name);
	free(e->path);
	free(e->down_path);
}

static char *path_join(const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);
	char *p;

	if (d == 1 && dir[0] == '.')
		return xstrdup(name);
	p = xmalloc(d + n + 2);
	memcpy(p, dir, d);
	p[d] = '/';
	memcpy(p + d + 1, name, n + 1);
	return p;
}

static bool is_regular_at(int dirfd, const char *rel)
{
	struct stat st;
	return fstatat(dirfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode);
}

int source_load(struct source *src, const char *dir)
{
	DIR *d;
	struct dirent *de;
	struct entry *ent = NULL;
	size_t nr = 0, alloc = 0;
	int bad = 0;

	memset(src, 0, sizeof(*src));
	src->dir = xstrdup(dir);
	src->dirfd = -1;
	src->rel_off = strcmp(dir, ".") ? strlen(dir) + 1 : 0;
	src->max_file_size = DEFAULT_MAX_FILE_SIZE;
	src->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = src->dirfd >= 0 ? fdopendir(dup(src->dirfd)) : NULL;
	if (!d) {
		err_set_kind("files");
		error("cannot open migrations folder '%s': %s", dir,
		      strerror(errno));
		hint("create it with 'strata new NAME', or point to it with -s DIR");
		return -1;
	}
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		char *path;
		struct stat st;
		struct entry e = { 0 };

		if (n[0] == '.')
			continue;
		/* most entries are plain files: no stat() needed for those */
		if (de->d_type == DT_REG && !str_ends(n, ".sql"))
			continue;
		path = path_join(dir, n);
		if (de->d_type == DT_REG) {
			st.st_mode = S_IFREG;
		} else if (fstatat(src->dirfd, n, &st, 0) != 0) {
			/* a dangling symlink */
			if (str_ends(n, ".sql")) {
				error("cannot read '%s': %s", path, strerror(errno));
				bad = 1;
			}
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			char *up, *down;
			/* other folders (seeds, docs, repeatable) are not ours */
			if (n[0] < '0' || n[0] > '9') {
				free(path);
				continue;
			}
			if (split_name(n, len, &e.version, &e.raw, &e.name)) {
				error("folder '%s' does not fit a migration layout", path);
				detail("a migration folder is named VERSION_NAME, e.g. 2019-02-26-002946_create_user, and holds up.sql and down.sql");
				bad = 1;
				free(path);
				continue;
			}
			up = path_join(path, "up.sql");
			down = path_join(path, "down.sql");
			if (!is_regular_at(src->dirfd, up + src->rel_off)) {
				error("migration folder '%s' has no up.sql", path);
				bad = 1;
				free(up), free(down), free(path);
				entry_free(&e);
				continue;
			}
			e.kind = E_FOLDER;
			e.path = up;
			if (is_regular_at(src->dirfd, down + src->rel_off))
				e.down_path = down;
			else
				free(down);
			free(path);
		} else {
			size_t stem;
			if (!str_ends(n, ".sql")) {
				free(path);
				continue;
			}
			if (!S_ISREG(st.st_mode)) {
				error("'%s' is not a regular file", path);
				bad = 1;
				free(path);
				continue;
			}
			if (str_ends(n, ".up.sql"))
				e.kind = E_UP, stem = len - 7;
			else if (str_ends(n, ".down.sql"))
				e.kind = E_DOWN, stem = len - 9;
			else
				e.kind = E_SINGLE, stem = len - 4;
			if (split_name(n, stem, &e.version, &e.raw, &e.name)) {
				error("file name '%s' fits no migration layout", path);
				detail("expected VERSION_NAME.up.sql + VERSION_NAME.down.sql, VERSION_NAME.sql, or a folder VERSION_NAME/ with up.sql; VERSION is digits, '-' allowed");
				bad = 1;
				free(path);
				continue;
			}
			e.path = path;
		}
		ALLOC_GROW(ent, nr + 1, alloc);
		ent[nr++] = e;
	}
	closedir(d);

	if (nr)
		qsort(ent, nr, sizeof(*ent), cmp_entry);
	for (size_t i = 0; i < nr;) {
		size_t j = i + 1;
		struct entry *up = NULL, *down = NULL;
		struct migration *m;

		while (j < nr && !version_cmp(ent[i].version, ent[j].version))
			j++;
		for (size_t k = i; k < j; k++) {
			if (ent[k].kind == E_DOWN && !down) {
				down = &ent[k];
			} else if (ent[k].kind != E_DOWN && !up) {
				up = &ent[k];
			} else {
				struct entry *other = ent[k].kind == E_DOWN ? down : up;
				error("two migrations have version %s: '%s' and '%s'",
				      ent[k].version, other->path, ent[k].path);
				bad = 1;
			}
		}
		if (!up) {
			error("'%s' is a down migration without an up migration",
			      down->path);
			bad = 1;
		} else if (down && strcmp(up->name, down->name)) {
			error("'%s' and '%s' share a version but not a name",
			      up->path, down->path);
			bad = 1;
		} else if (down && up->kind == E_FOLDER) {
			error("two migrations have version %s: '%s' and '%s'",
			      up->version, up->path, down->path);
			bad = 1;
		} else {
			ALLOC_GROW(src->m, src->nr + 1, src->alloc);
			m = &src->m[src->nr++];
			m->version = up->version, up->version = NULL;
			m->raw_version = up->raw, up->raw = NULL;
			m->name = up->name, up->name = NULL;
			m->up_path = up->path, up->path = NULL;
			if (up->kind == E_FOLDER) {
				m->layout = LAYOUT_FOLDER;
				m->down_path = up->down_path, up->down_path = NULL;
			} else if (down) {
				m->layout = LAYOUT_PAIR;
				m->down_path = down->path, down->path = NULL;
			} else if (has_sections(src->dirfd, m->up_path + src->rel_off)) {
				m->layout = LAYOUT_SECTIONS;
				m->down_path = xstrdup(m->up_path);
			} else {
				m->layout = LAYOUT_UP_ONLY;
				m->down_path = NULL;
			}
		}
		i = j;
	}
	for (size_t i = 0; i < nr; i++)
		entry_free(&ent[i]);
	free(ent);
	if (bad)
		err_set_kind("files");
	return bad ? -1 : 0;
}

void source_release(struct source *src)
{
	for (size_t i = 0; i < src->nr; i++) {
		struct migration *m = &src->m[i];
		free(m->version);
		free(m->raw_version);
		free(m->name);
		free(m->up_path);
		free(m->down_path);
	}
	source_checksum_wait(src);
	free(src->m);
	free(src->dir);
	if (src->dirfd >= 0)
		close(src->dirfd);
	memset(src, 0, sizeof(*src));
	src->dirfd = -1;
}

long source_find(const struct source *src, const char *version)
{
	size_t lo = 0, hi = src->nr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = version_cmp(src->m[mid].version, version);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * SHA-256 from nettle rather than OpenSSL: OpenSSL 3 starts its provider
 * machinery on first use, which costs about 1 ms and 2 MiB per run, more
 * than hashing a thousand migrations.
 */
void checksum_text(const char *text, size_t n, char hex[65])
{
	struct sha256_ctx ctx;
	uint8_t md[SHA256_DIGEST_SIZE];
	size_t start = 0;

	sha256_init(&ctx);
	for (size_t i = 0; i + 1 < n; i++) {
		if (text[i] == '\r' && text[i + 1] == '\n') {
			sha256_update(&ctx, i - start, (const uint8_t *)text + start);
			start = i + 1;
		}
	}
	sha256_update(&ctx, n - start, (const uint8_t *)text + start);
	sha256_digest(&ctx, sizeof(md), md);
	for (unsigned i = 0; i < sizeof(md); i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[64] = 0;
}

static void pos_of(const char *buf, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n')
			l++, c = 1;
		else if (((unsigned char)buf[i] & 0xc0) != 0x80)
			c++;
	}
	*line = l;
	*col = c;
}

static size_t utf8_bad_at(const char *s, size_t n)
{
	/* the first byte where the text stops being UTF-8 */
	size_t lo = 0;
	while (lo < n) {
		size_t step = 1;
		unsigned char c = (unsigned char)s[lo];
		if (c >= 0x80)
			step = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			       (c & 0xf8) == 0xf0 ? 4 : 1;
		if (lo + step > n || !utf8_valid(s + lo, step))
			return lo;
		lo += step;
	}
	return n;
}

/* Is there a "-- strata:no-transaction" line among the leading comments? */
static bool leading_directive(const char *t, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (i < n && (t[i] == ' ' || t[i] == '\t'))
			i++;
		e = i;
		while (e < n && t[e] != '\n')
			e++;
		if (e > i && t[i] != '-' && t[i] != '\r')
			return false;
		if (e - i >= 2 && t[i] == '-' && t[i + 1] == '-') {
			size_t l = e - i;
			while (l && (t[i + l - 1] == '\r' || t[i + l - 1] == ' '))
				l--;
			if (l == 24 && !memcmp(t + i, "-- strata:no-transaction", 24))
				return true;
		} else if (e > i && t[i] != '\r') {
			return false;
		}
		i = e + 1;
	}
	return false;
}

/* Errors are printed (error()) unless 'quiet'; quiet is thread-safe. */
static int read_script(const struct source *src, const struct migration *m,
		       bool down, struct script *s, bool quiet)
{
	const char *path = down ? m->down_path : m->up_path;
	struct stat st;
	int fd;
	size_t got = 0, off = 0;
	char *buf;

	memset(s, 0, sizeof(*s));
	if (!path)
		return 0;
	s->path = (char *)path;
	fd = openat(src->dirfd, path + src->rel_off, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return quiet ? -1 : error("cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return quiet ? -1 : error("'%s' is not a regular file", path);
	}
	if ((size_t)st.st_size > src->max_file_size) {
		close(fd);
		return quiet ? -1 : error("'%s' is %lld bytes, over the limit of %zu",
			     path, (long long)st.st_size, src->max_file_size);
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	s->buf = buf;

	{
		const char *nul = memchr(buf, '\0', got);
		size_t bad;
		int line, col;
		if (nul && quiet)
			return -1;
		if (nul) {
			pos_of(buf, (size_t)(nul - buf), &line, &col);
			err_set_kind("files");
			error("%s:%d:%d: file contains a NUL byte", path, line, col);
			detail("a NUL byte would silently cut the script short; remove it");
			return -1;
		}
		bad = utf8_bad_at(buf, got);
		if (bad < got && quiet)
			return -1;
		if (bad < got) {
			pos_of(buf, bad, &line, &col);
			err_set_kind("files");
			error("%s:%d:%d: invalid UTF-8 (byte 0x%02x)", path, line,
			      col, (unsigned char)buf[bad]);
			return -1;
		}
	}
	if (got >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		off = 3;
	s->text = buf + off;
	s->len = got - off;
	s->text_off = off;
	s->first_line = 1;

	if (m->layout == LAYOUT_SECTIONS) {
		/* find the marker lines */
		size_t i = off, up_at = 0, up_body = 0, down_at = got, down_body = got;
		bool seen_up = false, seen_down = false, notx_up = false,
		     notx_down = false;
		int line = 1, up_line = 1, down_line = 1;
		while (i <= got) {
			size_t e = i;
			while (e < got && buf[e] != '\n')
				e++;
			if (!seen_up && is_marker(buf + i, e - i, "up")) {
				seen_up = true;
				up_at = i;
				up_body = e < got ? e + 1 : e;
				up_line = line + 1;
				notx_up = memmem(buf + i, e - i, "transaction:false", 17) != NULL;
			} else if (seen_up && !seen_down &&
				   is_marker(buf + i, e - i, "down")) {
				seen_down = true;
				down_at = i;
				down_body = e < got ? e + 1 : e;
				down_line = line + 1;
				notx_down = memmem(buf + i, e - i, "transaction:false", 17) != NULL;
			}
			line++;
			i = e + 1;
		}
		(void)up_at;
		if (!seen_up && quiet)
			return -1;
		if (!seen_up) {
			err_set_kind("files");
			return error("%s: the '-- migrate:up' marker is gone", path);
		}
		if (down) {
			if (!seen_down) {
				/* no down section: irreversible */
				free(s->buf);
				memset(s, 0, sizeof(*s));
				return 0;
			}
			s->text = buf + down_body;
			s->len = got - down_body;
			s->first_line = down_line;
			s->text_off = down_body;
			s->no_transaction = notx_down;
		} else {
			s->text = buf + up_body;
			s->len = down_at - up_body;
			s->first_line = up_line;
			s->text_off = up_body;
			s->no_transaction = notx_up;
		}
		/* make the section its own NUL-terminated string */
		{
			char *t = xstrndup(s->text, s->len);
			s->text_off = (size_t)(s->text - buf);
			free(s->buf);
			s->buf = t;
			s->text = t;
		}
	}
	if (leading_directive(s->text, s->len))
		s->no_transaction = true;
	checksum_text(s->text, s->len, s->checksum);
	return 0;
}

int script_read(const struct source *src, const struct migration *m,
		bool down, struct script *s)
{
	return read_script(src, m, down, s, false);
}

struct sum_job {
	struct source *src;
	size_t from, step;
};

static void *sum_worker(void *arg)
{
	struct sum_job *job = arg;
	for (size_t i = job->from; i < job->src->nr; i += job->step) {
		struct script s;
		if (read_script(job->src, &job->src->m[i], false, &s, true) == 0)
			memcpy(job->src->m[i].checksum, s.checksum, sizeof(s.checksum));
		script_release(&s);
	}
	return NULL;
}

int source_checksum_start(struct source *src)
{
	src->sum_job = xcalloc(1, sizeof(struct sum_job));
	src->sum_job->src = src;
	src->sum_job->from = 0;
	src->sum_job->step = 1;
	if (pthread_create(&src->sum_thread, NULL, sum_worker, src->sum_job)) {
		sum_worker(src->sum_job);	/* no thread: do it here */
		free(src->sum_job);
		src->sum_job = NULL;
	}
	return 0;
}

void source_checksum_wait(struct source *src)
{
	if (!src->sum_job)
		return;
	pthread_join(src->sum_thread, NULL);
	free(src->sum_job);
	src->sum_job = NULL;
}

void script_release(struct script *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

void script_position(const struct script *s, size_t off, int *line, int *col,
		     char **line_text)
{
	size_t bol = off, eol = off;

	if (off > s->len)
		off = s->len;
	pos_of(s->text, off, line, col);
	*line += s->first_line - 1;
	bol = off;
	while (bol > 0 && s->text[bol - 1] != '\n')
		bol--;
	eol = off;
	while (eol < s->len && s->text[eol] != '\n' && s->text[eol] != '\r')
		eol++;
	if (line_text)
		*line_text = xstrndup(s->text + bol, eol - bol);
}

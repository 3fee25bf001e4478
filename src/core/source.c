#include "../compat.h"
#include "source.h"
#include "version.h"
#include "sumcache.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <dirent.h>
#include <limits.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>
#include <pthread.h>

#define DEFAULT_MAX_FILE_SIZE (256u << 20)

enum entry_kind { E_UP, E_DOWN, E_SINGLE, E_FOLDER };

/* A file or folder of the listing that looks like a migration. */
struct entry {
	const char *file;	/* relative: "0001_x.up.sql", "0001_x/up.sql" */
	const char *version;	/* normalised */
	unsigned short stem;	/* "0001_x" is file[0..stem) */
	unsigned short us;	/* file[us] is the '_' after the version */
	unsigned char kind;
	bool has_down;		/* a folder with down.sql */
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

/*
 * "V_name<suffix>" with the stem 'n' bytes long: find the '_' and keep the
 * normalised version in the arena; -1 when it fits no layout.
 */
static int split_name(struct arena *names, const char *file, size_t n,
		      struct entry *e)
{
	const char *us = memchr(file, '_', n);
	char *v;

	if (!us || us == file || us + 1 == file + n || n > USHRT_MAX)
		return -1;
	v = version_normalize(file, (size_t)(us - file));
	if (!v)
		return -1;
	e->version = arena_strndup(names, v, strlen(v));
	free(v);
	e->stem = (unsigned short)n;
	e->us = (unsigned short)(us - file);
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

const char *source_path(const struct source *src, const char *file)
{
	static char buf[4][PATH_MAX + 256];
	static unsigned turn;
	char *p = buf[turn++ % ARRAY_SIZE(buf)];

	if (!strcmp(src->dir, "."))
		snprintf(p, sizeof(buf[0]), "%s", file);
	else
		snprintf(p, sizeof(buf[0]), "%s/%s", src->dir, file);
	return p;
}

static bool is_regular_at(int dirfd, const char *rel)
{
	struct stat st;
	return fstatat(dirfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* The name part of an entry, for comparing an up and a down file. */
static bool same_name(const struct entry *a, const struct entry *b)
{
	size_t la = a->stem - a->us, lb = b->stem - b->us;
	return la == lb && !memcmp(a->file + a->us, b->file + b->us, la);
}

/* A script known by name ('n' bytes at 'name'), its strings in the arena. */
static void add_named(struct source *src, const char *name, size_t n,
		      const char *file)
{
	struct named_script *ns;

	ALLOC_GROW(src->scripts, src->nr_scripts + 1, src->alloc_scripts);
	ns = &src->scripts[src->nr_scripts++];
	ns->name = arena_strndup(&src->names, name, n);
	ns->file = arena_strndup(&src->names, file, strlen(file));
}

/* "R__views.sql": a repeatable migration (Flyway's name for one). */
static int add_repeatable_file(struct source *src, const char *n)
{
	size_t len = strlen(n);

	if (len <= 7 || str_ends(n, ".up.sql") || str_ends(n, ".down.sql")) {
		error("file name '%s' fits no migration layout", source_path(src, n));
		detail("a repeatable migration is one file, R__NAME.sql (it has no down script)");
		return -1;
	}
	add_named(src, n + 3, len - 7, n);
	return 0;
}

/*
 * Every .sql file of 'sub' (a folder of src->dirfd, or the folder itself
 * when NULL) as a named script; other files and folders are not ours.
 */
static int add_folder_scripts(struct source *src, const char *sub)
{
	int fd = sub ? openat(src->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
		 dup(src->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int bad = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return error("cannot open '%s': %s", source_path(src, sub ? sub : "."),
			     strerror(errno));
	}
	while ((de = readdir(d))) {
		char rel[NAME_MAX * 2 + 2];
		struct stat st;
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || !str_ends(de->d_name, ".sql") || len == 4)
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", sub ? sub : "", sub ? "/" : "", de->d_name);
		if (fstatat(src->dirfd, rel, &st, 0) != 0 || !S_ISREG(st.st_mode)) {
			bad = error("'%s' is not a regular file", source_path(src, rel));
			continue;
		}
		add_named(src, de->d_name, len - 4, rel);
	}
	closedir(d);
	return bad;
}

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named_script *)a)->name,
		      ((const struct named_script *)b)->name);
}

/* Sort the named scripts; two with one name are an error naming both. */
static int sort_named(struct source *src, const char *what)
{
	int bad = 0;

	if (src->nr_scripts > 1)
		qsort(src->scripts, src->nr_scripts, sizeof(*src->scripts), cmp_named);
	for (size_t i = 1; i < src->nr_scripts; i++) {
		if (strcmp(src->scripts[i - 1].name, src->scripts[i].name))
			continue;
		bad = error("two %s are named '%s': '%s' and '%s'", what, src->scripts[i].name,
			    source_path(src, src->scripts[i - 1].file),
			    source_path(src, src->scripts[i].file));
	}
	return bad;
}

/* Read one directory entry into *e; 1 if it is a migration, 0 if not ours, -1 bad. */
static int scan_entry(struct source *src, const struct dirent *de, struct entry *e)
{
	const char *n = de->d_name;
	size_t len = strlen(n);
	struct stat st;

	memset(e, 0, sizeof(*e));
	if (n[0] == '.')
		return 0;
	/* most entries are plain files: no stat() needed for those */
	if (de->d_type == DT_REG && !str_ends(n, ".sql"))
		return 0;
	if (de->d_type == DT_REG) {
		st.st_mode = S_IFREG;
	} else if (fstatat(src->dirfd, n, &st, 0) != 0) {
		/* a dangling symlink */
		if (!str_ends(n, ".sql"))
			return 0;
		return error("cannot read '%s': %s", source_path(src, n), strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		char *up;
		/* other folders (seeds, docs) are not ours */
		if (!strcmp(n, "repeatable"))
			return add_folder_scripts(src, n);
		if (n[0] < '0' || n[0] > '9')
			return 0;
		if (split_name(&src->names, n, len, e)) {
			error("folder '%s' does not fit a migration layout", source_path(src, n));
			detail("a migration folder is named VERSION_NAME, e.g. 2019-02-26-002946_create_user, and holds up.sql and down.sql");
			return -1;
		}
		up = arena_alloc(&src->names, len + sizeof("/up.sql"));
		memcpy(up, n, len);
		memcpy(up + len, "/up.sql", sizeof("/up.sql"));
		if (!is_regular_at(src->dirfd, up))
			return error("migration folder '%s' has no up.sql", source_path(src, n));
		{
			char down[NAME_MAX + sizeof("/down.sql")];
			snprintf(down, sizeof(down), "%s/down.sql", n);
			e->has_down = is_regular_at(src->dirfd, down);
		}
		e->kind = E_FOLDER;
		e->file = up;
		return 1;
	}
	if (!str_ends(n, ".sql"))
		return 0;
	if (!S_ISREG(st.st_mode))
		return error("'%s' is not a regular file", source_path(src, n));
	if (str_starts(n, "R__"))
		return add_repeatable_file(src, n);
	if (str_ends(n, ".up.sql"))
		e->kind = E_UP, len -= 7;
	else if (str_ends(n, ".down.sql"))
		e->kind = E_DOWN, len -= 9;
	else
		e->kind = E_SINGLE, len -= 4;
	if (split_name(&src->names, n, len, e)) {
		error("file name '%s' fits no migration layout", source_path(src, n));
		detail("expected VERSION_NAME.up.sql + VERSION_NAME.down.sql, VERSION_NAME.sql, or a folder VERSION_NAME/ with up.sql; VERSION is digits, '-' allowed");
		return -1;
	}
	e->file = arena_strndup(&src->names, n, strlen(n));
	return 1;
}

/* Turn the entries of one version into a migration; -1 if they do not fit. */
static int add_migration(struct source *src, struct entry *ent, size_t from, size_t to)
{
	struct entry *up = NULL, *down = NULL;
	struct migration *m;
	int bad = 0;

	for (size_t k = from; k < to; k++) {
		if (ent[k].kind == E_DOWN && !down) {
			down = &ent[k];
		} else if (ent[k].kind != E_DOWN && !up) {
			up = &ent[k];
		} else {
			struct entry *other = ent[k].kind == E_DOWN ? down : up;
			error("two migrations have version %s: '%s' and '%s'", ent[k].version,
			      source_path(src, other->file), source_path(src, ent[k].file));
			bad = 1;
		}
	}
	if (!up) {
		error("'%s' is a down migration without an up migration",
		      source_path(src, down->file));
		return -1;
	}
	if (down && !same_name(up, down)) {
		error("'%s' and '%s' share a version but not a name",
		      source_path(src, up->file), source_path(src, down->file));
		return -1;
	}
	if (down && up->kind == E_FOLDER) {
		error("two migrations have version %s: '%s' and '%s'", up->version,
		      source_path(src, up->file), source_path(src, down->file));
		return -1;
	}
	if (bad)
		return -1;
	m = &src->m[src->nr++];
	m->version = up->version;
	m->raw_version = arena_strndup(&src->names, up->file, up->us);
	m->name = arena_strndup(&src->names, up->file + up->us + 1,
				(size_t)(up->stem - up->us - 1));
	m->up_file = up->file;
	if (up->kind == E_FOLDER) {
		m->layout = LAYOUT_FOLDER;
		m->down_file = NULL;
		if (up->has_down) {
			char *d = arena_alloc(&src->names, up->stem + sizeof("/down.sql"));
			memcpy(d, up->file, up->stem);
			memcpy(d + up->stem, "/down.sql", sizeof("/down.sql"));
			m->down_file = d;
		}
	} else if (down) {
		m->layout = LAYOUT_PAIR;
		m->down_file = down->file;
	} else if (has_sections(src->dirfd, m->up_file)) {
		m->layout = LAYOUT_SECTIONS;
		m->down_file = m->up_file;
	} else {
		m->layout = LAYOUT_UP_ONLY;
		m->down_file = NULL;
	}
	return 0;
}

int source_load(struct source *src, const char *dir)
{
	DIR *d;
	struct dirent *de;
	struct entry *ent = NULL;
	size_t nr = 0, alloc = 0, nr_up = 0;
	int bad = 0;

	memset(src, 0, sizeof(*src));
	src->dir = xstrdup(dir);
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
		struct entry e;
		int r;

		if (de->d_name[0] != '.' && source_is_checkpoint_name(de->d_name)) {
			if (src->nr_checkpoints < ARRAY_SIZE(src->checkpoints))
				src->checkpoints[src->nr_checkpoints] = xstrdup(de->d_name);
			src->nr_checkpoints++;
			continue;
		}
		r = scan_entry(src, de, &e);
		if (r < 0)
			bad = 1;
		if (r <= 0)
			continue;
		ALLOC_GROW(ent, nr + 1, alloc);
		ent[nr++] = e;
		nr_up += e.kind != E_DOWN;
	}
	closedir(d);

	if (nr)
		qsort(ent, nr, sizeof(*ent), cmp_entry);
	src->m = xcalloc(nr_up ? nr_up : 1, sizeof(*src->m));
	for (size_t i = 0; i < nr;) {
		size_t j = i + 1;
		while (j < nr && !version_cmp(ent[i].version, ent[j].version))
			j++;
		if (add_migration(src, ent, i, j))
			bad = 1;
		i = j;
	}
	free(ent);
	if (sort_named(src, "repeatable migrations"))
		bad = 1;
	if (bad)
		err_set_kind("files");
	return bad ? -1 : 0;
}

int source_load_seeds(struct source *src, const char *dir)
{
	memset(src, 0, sizeof(*src));
	src->dir = xstrdup(dir);
	src->max_file_size = DEFAULT_MAX_FILE_SIZE;
	src->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src->dirfd < 0) {
		err_set_kind("files");
		error("cannot open seeds folder '%s': %s", dir, strerror(errno));
		hint("the seeds folder is 'seeds' beside the migrations folder; name another with 'seeds = DIR' in strata.ini");
		return -1;
	}
	if (add_folder_scripts(src, NULL) || sort_named(src, "seeds")) {
		err_set_kind("files");
		return -1;
	}
	return 0;
}

bool source_is_checkpoint_name(const char *n)
{
	return str_starts(n, CHECKPOINT_PREFIX) && str_ends(n, CHECKPOINT_SUFFIX) &&
	       strlen(n) > strlen(CHECKPOINT_PREFIX) + strlen(CHECKPOINT_SUFFIX);
}

void source_release(struct source *src)
{
	source_checksum_wait(src);
	for (size_t i = 0; i < ARRAY_SIZE(src->checkpoints); i++)
		free(src->checkpoints[i]);
	free(src->m);
	free(src->scripts);
	free(src->sums);
	free(src->dir);
	arena_release(&src->names);
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
	if (utf8_valid(s, n))
		return n;
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
	const char *file = down ? m->down_file : m->up_file;
	const char *path;
	struct stat st;
	int fd;
	size_t got = 0, off = 0;
	char *buf;

	memset(s, 0, sizeof(*s));
	if (!file)
		return 0;
	/* the checksum thread prints nothing and needs no path */
	path = quiet ? file : (s->path = xstrdup(source_path(src, file)));
	fd = openat(src->dirfd, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
				script_release(s);
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

int script_read_file(const struct source *src, const char *file,
		     struct script *s)
{
	struct migration m = { 0 };

	m.up_file = file;
	m.layout = LAYOUT_UP_ONLY;
	return read_script(src, &m, false, s, false);
}

struct sum_job {
	struct source *src;
	size_t from, step;
};

static void *sum_worker(void *arg)
{
	struct sum_job *job = arg;
	struct source *src = job->src;
	struct sumcache *cache = sumcache_open(src->dir);

	for (size_t i = job->from; i < src->nr; i += job->step) {
		const char *file = src->m[i].up_file;
		struct script s;
		struct stat st;
		bool have_st = fstatat(src->dirfd, file, &st, 0) == 0;
		struct sum_info info = { .mode = SUMCACHE_MODE_UNKNOWN };

		if (have_st && sumcache_get(cache, file, &st, &info)) {
			memcpy(src->sums[i], info.sum, sizeof(info.sum));
			continue;
		}
		if (read_script(src, &src->m[i], false, &s, true) == 0) {
			memcpy(src->sums[i], s.checksum, sizeof(s.checksum));
			memcpy(info.sum, s.checksum, sizeof(info.sum));
			if (have_st)
				sumcache_put(cache, file, &st, &info);
		}
		script_release(&s);
	}
	sumcache_close(cache, true);
	return NULL;
}

int source_checksum_start(struct source *src)
{
	src->sums = xcalloc(src->nr ? src->nr : 1, sizeof(*src->sums));
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
	free(s->path);
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

/*
 * source.h - the migrations folder: which migrations exist, in what order,
 * and their scripts.
 *
 * source_load() only reads names (and the first lines of single .sql files,
 * to tell the one-file-two-sections layout from an up-only file); scripts
 * are read on demand by script_read(), so memory does not grow with the
 * size of the folder's files.
 */
#ifndef STRATA_SOURCE_H
#define STRATA_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include "../util/arena.h"

enum layout {
	LAYOUT_PAIR,		/* V_name.up.sql + V_name.down.sql */
	LAYOUT_UP_ONLY,		/* V_name.sql */
	LAYOUT_SECTIONS,	/* V_name.sql with -- migrate:up / -- migrate:down */
	LAYOUT_FOLDER,		/* V_name/up.sql + down.sql */
};

/*
 * The strings of a migration live in its source's arena; file names are
 * relative to the folder (source_path() gives the whole path).
 */
struct migration {
	const char *version;	/* normalised: "20190226002946" */
	const char *raw_version;	/* as written: "2019-02-26-002946" */
	const char *name;	/* "create_users" */
	const char *up_file;	/* file that holds the up script */
	const char *down_file;	/* file that holds the down script, or NULL */
	enum layout layout;
};

/*
 * A script known by its name rather than a version: a repeatable migration
 * (R__<name>.sql, or <name>.sql in the folder's repeatable/), or a seed.
 */
struct named_script {
	const char *name;	/* "views" */
	const char *file;	/* relative: "R__views.sql", "repeatable/views.sql" */
};

struct sum_job;

struct source {
	char *dir;
	int dirfd;		/* files are opened relative to it */
	struct migration *m;
	size_t nr;
	struct arena names;	/* the migrations' strings */
	size_t max_file_size;
	/* the repeatable migrations (a seeds folder: its seeds), by name */
	struct named_script *scripts;
	size_t nr_scripts, alloc_scripts;
	/*
	 * Checkpoint files seen in the folder (core/checkpoint.h), so that
	 * finding them costs no second scan: the first two names, and how many.
	 */
	char *checkpoints[2];
	size_t nr_checkpoints;
	char (*sums)[65];	/* up-script checksums, after source_checksum_start() */
	struct sum_job *sum_job;	/* checksums being computed */
	pthread_t sum_thread;
};

/*
 * Scan 'dir'. Every problem with the folder is reported (error()); returns
 * -1 if there was any, 0 otherwise. The migrations come out sorted by
 * version.
 */
int source_load(struct source *src, const char *dir);

/* A checkpoint's file name: checkpoint_<VERSION>.pgsql, never a migration. */
#define CHECKPOINT_PREFIX "checkpoint_"
#define CHECKPOINT_SUFFIX ".pgsql"
bool source_is_checkpoint_name(const char *name);
void source_release(struct source *src);
/*
 * Read a seeds folder: every .sql file in it is a seed, named after the
 * file without .sql, in src->scripts by name. A missing folder is an
 * error (error(), -1).
 */
int source_load_seeds(struct source *src, const char *dir);
/*
 * The path of 'file' (relative to the folder) as the user knows it:
 * "db/migrations/0001_init.up.sql". The result is one of four static
 * buffers, reused in turn: enough for one message; copy it to keep it.
 */
const char *source_path(const struct source *src, const char *file);
/* index of the migration with normalised 'version', or -1 */
long source_find(const struct source *src, const char *version);

/*
 * Fill src->sums[i] (the checksum of migration i's up script) in a thread
 * of its own, so that the files are read while the main thread talks to
 * the server. Nothing is printed; a file that cannot be read keeps an
 * empty checksum. Touch no src->sums before source_checksum_wait().
 */
int source_checksum_start(struct source *src);
void source_checksum_wait(struct source *src);

/* One script (the up or the down side of a migration), read into memory. */
struct script {
	char *path;		/* file it came from, as source_path() gives it */
	char *text;		/* script text, NUL-terminated, BOM removed */
	size_t len;
	char *buf;		/* the whole file as read (owns 'text') */
	size_t text_off;	/* where 'text' starts inside the file */
	int first_line;		/* line of the file on which 'text' starts */
	bool no_transaction;	/* -- strata:no-transaction directive */
	char checksum[65];	/* sha256 hex of the normalised script */
};

/*
 * Read the up (down=false) or down script of 'm'. Rejects (error(), -1) a
 * file that is not a regular file, too big, contains a NUL byte or invalid
 * UTF-8. A missing down script is not an error here: script->text is NULL.
 */
int script_read(const struct source *src, const struct migration *m,
		bool down, struct script *s);
void script_release(struct script *s);
/* Read a whole file of the folder as one script (a repeatable, a seed). */
int script_read_file(const struct source *src, const char *file,
		     struct script *s);

/* Line (1-based) and column (1-based, in characters) of byte 'off' of
 * 'text', and a copy of that line. */
void script_position(const struct script *s, size_t off, int *line, int *col,
		     char **line_text);

/* sha256 hex of 'n' bytes with CRLF counted as LF. */
void checksum_text(const char *text, size_t n, char out[65]);

const char *layout_name(enum layout l);

#endif

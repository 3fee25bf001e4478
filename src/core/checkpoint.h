/*
 * checkpoint.h - a squash checkpoint: the schema at one version, written
 * by 'strata squash --to VERSION' into the migrations folder as
 * checkpoint_<VERSION>.pgsql.
 *
 * The name ends in .pgsql, not .sql, so that no migration layout (and no
 * other tool reading the folder for *.sql) takes it for a migration, and
 * it sits beside the files of every layout. Its header names the version
 * and, for each migration it covers, the version, the checksum of its up
 * script and its name:
 *
 *   -- strata:checkpoint 3
 *   -- strata:covers 1 <sha256 hex> create_users
 *
 * A database with no history applies it in one transaction (the schema,
 * the history table, a stamped row for every covered version), then the
 * migrations after it. A database that has a history carries on with the
 * files, as before. Once the covered files are deleted, a database with
 * a covered version neither applied nor on disk cannot go on: 'up'
 * refuses it, naming the checkpoint.
 */
#ifndef STRATA_CHECKPOINT_H
#define STRATA_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include "source.h"

struct app;
struct strbuf;
struct shadow;

struct checkpoint_cover {
	char *version;		/* normalised */
	char *checksum;
	char *name;
};

struct checkpoint {
	char *file;		/* in the folder: "checkpoint_3.pgsql"; NULL: none */
	char *version;		/* normalised: the highest it covers */
	struct checkpoint_cover *covers;	/* in version order */
	size_t nr, alloc;
	struct script s;	/* the whole file */
};

/*
 * Find the checkpoint of the migrations folder 'src' and read its header.
 * Returns 1 (found), 0 (none: cp->file is NULL) or -1 after error()
 * (two checkpoints, a header that does not parse).
 */
int checkpoint_load(const struct source *src, struct checkpoint *cp);
void checkpoint_release(struct checkpoint *cp);
/* Does 'cp' cover normalised 'version'? */
bool checkpoint_covers(const struct checkpoint *cp, const char *version);

/* "checkpoint_<raw version>.pgsql" (caller frees). */
char *checkpoint_file_name(const char *raw_version);

/*
 * The text of a checkpoint: the header for 'version' covering the first
 * 'nr' migrations of 'src' (their checksums read now), then 'schema_sql'
 * (a dump). 0, or -1 after error() (a file that cannot be read).
 */
int checkpoint_text(const struct source *src, size_t nr, const char *schema_sql,
		    struct strbuf *sb);

/*
 * Run 'up' on an empty database before anything else is planned: when
 * the history is empty and the folder has a checkpoint (and 'target',
 * a version or NULL for head, is not below it), apply the checkpoint
 * in one transaction and add its rows to app->hist as if read. With
 * 'dry_run', print its SQL and change nothing. A database with a
 * covered version neither applied nor on disk is refused. Sets *applied
 * to the checkpoint's file name (NULL when not used). 0, or -1 reported.
 */
int checkpoint_before_up(struct app *app, const char *target_version,
			 bool dry_run, const char **applied);

/*
 * The proof of a checkpoint: in one scratch database, every migration
 * of the folder step by step; in another, the folder with the
 * checkpoint 'name' holding 'text' (and the migrations after it) from
 * an empty database; then compare the two dumps (schema_to_sql). Returns
 * 0 (the same text), 1 (they differ: *difference says where, caller
 * frees) or -1 after error().
 */
int checkpoint_prove(struct app *app, const char *name, const struct strbuf *text,
		     char **difference);

/*
 * Run "strata up [target]" on the scratch database 'sh' with the
 * migrations of 'dir', as a child strata (the same code a user runs),
 * quietly. 0, or -1 after error().
 */
int checkpoint_replay(struct app *app, const struct shadow *sh, const char *dir,
		      const char *target);

/* Dump the scratch database 'sh' (schema_to_sql) into 'out'. 0 or -1. */
int checkpoint_dump_scratch(struct app *app, const struct shadow *sh,
			    struct strbuf *sb);

#endif

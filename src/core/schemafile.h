/*
 * schemafile.h - the schema file (schema.sql): the dump that 'up',
 * 'down' and 'redo' keep current after they change the database, the
 * history rows 'dump --with-history' appends to it, and the one atomic
 * way every command writes such a file.
 */
#ifndef STRATA_SCHEMAFILE_H
#define STRATA_SCHEMAFILE_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct config;
struct db;
struct strbuf;
struct script;
struct parsed;

/* What --dump[=FILE] and --no-dump asked of one run. */
struct schema_file_choice {
	const char *file;	/* --dump=FILE, or NULL */
	bool dump;		/* --dump (with or without FILE) */
	bool no_dump;		/* --no-dump */
};

/*
 * Take --dump, --dump=FILE and --no-dump out of a command's arguments
 * (argv[1..], up to a "--"), compacting argv, before its own options are
 * parsed. Returns 0, or 2 after a usage error was reported.
 */
int schema_file_take_options(const char *cmd, int *argc, char **argv,
			     struct schema_file_choice *ch);

/*
 * The file a run that changes the database keeps current, or NULL:
 * --no-dump wins, then --dump=FILE, then the config's schema_file. With
 * -e NAME only [env.NAME]'s own schema_file counts (one in [strata]
 * describes the default database, not each environment), and a fleet's
 * URL or schema target has none of its own. A bare --dump without any
 * file configured is a usage error: *usage is set and NULL returned.
 */
const char *schema_file_for_run(const struct app *app,
				const struct schema_file_choice *ch, bool *usage);

/*
 * The dump of the database 'app' is connected to (schema_to_sql) into
 * 'sql', followed with 'with_history' by the history table and its rows
 * (history_dump_sql). *nr_objects gets the number of schema objects.
 * 0, or -1 after error().
 */
int schema_dump_text(struct app *app, bool with_history, struct strbuf *sql,
		     size_t *nr_objects);

/*
 * Append the history table as strata creates it (history_create_sql) and
 * one INSERT per row, ordered by version, with every column 'status' and
 * 'history' show: loading it gives a database strata sees at the same
 * version. 0, or -1 after error().
 */
int history_dump_sql(struct db *db, const struct config *c, struct strbuf *sb);

/*
 * Write 'text' to 'path' all or nothing: into "<path>.partial", synced,
 * then renamed over 'path', so a reader (or a failure half-way) never
 * sees half a file. 0, or -1 after error() (the partial file removed).
 */
int write_file_atomically(const char *path, const struct strbuf *text);

/*
 * After a run: write the dump to 'path' when the run changed the
 * database ('changed') or the file does not exist yet. Says so, or
 * reports why it could not (error(), then a note that the database
 * change stands). Returns 1 written, 0 nothing to do, -1 failed.
 */
int schema_file_refresh(struct app *app, const char *path, bool changed);

/*
 * Run the script 's' (parsed into 'p'), then 'after' (strata's own SQL),
 * in one transaction: BEGIN and all of it as one message, COMMIT only
 * when every statement succeeded. A failure is rolled back and reported
 * at the file's line and column. *ms gets the time taken. 0, or -1.
 */
int script_run_in_tx(struct app *app, const struct script *s,
		     const struct parsed *p, const char *after, double *ms);

#endif

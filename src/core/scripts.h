/*
 * scripts.h - seeds and repeatable migrations: scripts known by name that
 * run again whenever their checksum changes, each in one transaction with
 * its record in the scripts table.
 *
 * The scripts table sits beside the history table, in its schema, named
 * after it ("strata_migrations" -> "strata_migrations_scripts"), so two
 * histories in one database keep two sets of records. Like the history
 * table it is always referred to schema-qualified, with pg_catalog
 * functions and operators, so a script that changes search_path cannot
 * redirect strata's bookkeeping.
 */
#ifndef STRATA_SCRIPTS_H
#define STRATA_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct config;
struct db;
struct json;
struct source;
struct strbuf;
struct named_script;

enum script_kind {
	KIND_SEED,
	KIND_REPEATABLE,
};

/* A row of the scripts table: the last run of one script. */
struct script_record {
	char *kind;		/* "seed", "repeatable" */
	char *name;
	char *checksum;
	char *applied_at;	/* ISO 8601 UTC */
	long long duration_ms;
	int runs;
};

struct script_records {
	struct script_record *a;
	size_t nr, alloc;
	bool exists;		/* the table exists */
};

/* "schema"."<history table>_scripts", quoted where needed */
void scripts_qname(const struct config *c, struct strbuf *sb);
/* The CREATE statements, for a transaction holding the xact lock. */
void scripts_create_sql(const struct config *c, struct strbuf *sb);
/* Read every record (none when the table does not exist). 0 or -1. */
int scripts_read(struct db *db, const struct config *c, struct script_records *r);
void scripts_records_release(struct script_records *r);

/* One script of a plan: its state against its record, and what became of it. */
struct script_job {
	const struct named_script *ns;
	const char *state;	/* "pending" (never run), "changed", "applied" */
	const struct script_record *rec;	/* its record, or NULL */
	char checksum[65];	/* of the file as checked */
	bool run;		/* to run */
	bool done;		/* ran, and its transaction committed */
	double ms;
};

/* The scripts of one folder (seeds, or the repeatable migrations). */
struct script_plan {
	enum script_kind kind;
	const struct source *dir;
	struct script_job *jobs;
	size_t nr;
	size_t nr_run;		/* jobs to run */
	size_t nr_done;
	bool table_exists;	/* the scripts table */
};

/*
 * Read the scripts of 'dir' (those with pick[i] set, or all when 'pick' is
 * NULL) and set their state from 'rec': a script runs when it never ran or
 * its file changed, or always with 'again'. Files are read and hashed,
 * not parsed. 0, or -1 after error().
 */
int script_plan_make(struct script_plan *sp, enum script_kind kind,
		     const struct source *dir, const struct script_records *rec,
		     const bool *pick, bool again);
/*
 * Read and parse one script and check that it can run in one transaction
 * with its record: a syntax error, bad COPY data, or a statement that
 * cannot (BEGIN/COMMIT, CREATE INDEX CONCURRENTLY...) is reported with
 * file:line:column. 0 or -1.
 */
int script_check(const struct source *dir, const struct named_script *ns,
		 enum script_kind kind);
/* script_check() every script to run, before anything runs: 0, or -1 when any is bad. */
int script_plan_check(struct script_plan *sp);
/*
 * Run the scripts to run, in name order, each in one transaction with its
 * record; the scripts table is created first if missing. Stops at the
 * first failure (reported). With --json --dry-run the SQL goes to 'jsql'.
 * 0 or -1.
 */
int script_plan_run(struct app *app, struct script_plan *sp, bool dry_run,
		    struct json *jsql);
/* The jobs as a JSON array (all, or only those to run). */
void script_plan_json(const struct script_plan *sp, struct json *j, bool only_run);
void script_plan_release(struct script_plan *sp);

/* "R__views.sql" -> "R__views": the label of a script in messages. */
const char *script_label(const struct named_script *ns);

#endif

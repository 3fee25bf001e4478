/*
 * history.h - the history table: what has been applied, and the SQL that
 * keeps it.
 *
 * Every reference to the table is schema-qualified and quoted, and every
 * function is pg_catalog-qualified, so a migration that changes
 * search_path cannot redirect strata's bookkeeping.
 */
#ifndef STRATA_HISTORY_H
#define STRATA_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

struct db;
struct config;
struct strbuf;

struct applied {
	char *version;
	char *name;
	char *checksum;
	char *state;		/* applied, partial, reverting */
	int statements_done;	/* for partial / reverting */
	char *error;
	char *applied_at;	/* ISO 8601 UTC */
	long long duration_ms;	/* -1 when unknown (stamped) */
	bool stamped;
	bool matched;		/* a file has this version */
};

struct history {
	struct applied *a;	/* in version order */
	size_t nr, alloc;
	bool exists;		/* the table exists */
};

/* "schema"."table", quoted where needed */
void history_qname(const struct config *c, struct strbuf *sb);
/* The CREATE statements, for a transaction holding the xact lock. */
void history_create_sql(const struct config *c, struct strbuf *sb);
/*
 * The INSERT of a row for a migration recorded as applied without being
 * run ('stamp', 'adopt'). 'applied_at' (ISO 8601) is when another tool
 * applied it, or NULL for now.
 */
void history_stamp_sql(const struct config *c, struct strbuf *sb,
		       const char *version, const char *name,
		       const char *checksum, const char *applied_at);

/* Read the history (empty when the table does not exist). 0 or -1. */
int history_read(struct db *db, const struct config *c, struct history *h);
/*
 * Only version, name and state of each row: enough to tell that nothing
 * is to be done, which is what most runs of 'up' find.
 */
int history_read_light(struct db *db, const struct config *c, struct history *h);
void history_release(struct history *h);
struct applied *history_find(const struct history *h, const char *version);
/* the highest version applied (state applied), or NULL */
const struct applied *history_head(const struct history *h);

/* The advisory lock key: strata's namespace and a hash of the table. */
void history_lock_key(const struct config *c, int *k1, int *k2);

#endif

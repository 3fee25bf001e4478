/*
 * foreign.h - the history tables of other migration tools (Alembic, sqlx,
 * TypeORM, dbmate, golang-migrate, goose, Flyway), read in strata's terms
 * for 'strata adopt'.
 *
 * Reading comes in two steps, so that the second can be tested without a
 * server: foreign_read() runs one query that gives every tool's table the
 * same five columns (struct foreign_raw), and foreign_decide() applies
 * that tool's own rules to them: which rows count, which one wins when a
 * version has several, what refuses the whole adoption.
 */
#ifndef STRATA_FOREIGN_H
#define STRATA_FOREIGN_H

#include <stdbool.h>
#include <stddef.h>

struct db;

enum foreign_tool {
	FT_ALEMBIC,
	FT_SQLX,
	FT_TYPEORM,
	FT_DBMATE,
	FT_GOLANG_MIGRATE,
	FT_GOOSE,
	FT_FLYWAY,
};

/* "golang-migrate" -> FT_GOLANG_MIGRATE; -1 for an unknown name. */
int foreign_tool_parse(const char *name, enum foreign_tool *t);
/* The name --from takes ("golang-migrate") and the one users know ("Flyway"). */
const char *foreign_tool_name(enum foreign_tool t);
const char *foreign_tool_title(enum foreign_tool t);
/* The table the tool keeps by default ("alembic_version"). */
const char *foreign_default_table(enum foreign_tool t);
/* "alembic, sqlx, ..." for messages. */
const char *foreign_tool_list(void);

/* One row of a tool's table, in the shape every tool's query gives. */
struct foreign_raw {
	const char *version;	/* as the tool stores it; NULL for none */
	const char *label;	/* description or name, or NULL */
	const char *applied_at;	/* ISO 8601 UTC, or NULL when not kept */
	bool ok;		/* success, NOT dirty, is_applied */
	const char *extra;	/* sqlx: checksum (hex); Flyway: type */
};

/* A migration the tool says is applied. */
struct foreign_applied {
	char *version;		/* normalised, as strata's */
	char *label;		/* the tool's description or name, or NULL */
	char *applied_at;	/* ISO 8601 UTC, or NULL */
	char *checksum;		/* sqlx: SHA-384 hex of what it ran, or NULL */
};

/* Something that stops the adoption; every one is reported. */
struct problem {
	const char *kind;	/* missing, failed, dirty, bad_version, ... */
	char *version;		/* or NULL */
	char *message;
};

struct problems {
	struct problem *p;
	size_t nr, alloc;
};

void problems_add(struct problems *ps, const char *kind, const char *version,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool problems_have(const struct problems *ps, const char *kind);
void problems_release(struct problems *ps);

struct foreign {
	enum foreign_tool tool;
	char *table;		/* "schema"."name" as found, quoted where needed */
	size_t nr_rows;		/* rows in it */
	struct foreign_applied *a;	/* applied one by one, in version order */
	size_t nr, alloc;
	/*
	 * Every version up to this one is applied: golang-migrate keeps only
	 * the last version it reached, Flyway's baseline covers what lies
	 * below it. NULL when the tool says nothing of the kind.
	 */
	char *through;
	bool through_needs_file;	/* golang-migrate ran that very file */
	char *alembic_head;	/* Alembic: the revision to find in the folder */
	struct problems problems;
};

/*
 * Apply the rules of f->tool to 'n' rows given in the tool's own order
 * (the order of its id or installed_rank, where it has one). Fills f->a,
 * f->through, f->alembic_head and f->problems.
 */
void foreign_decide(struct foreign *f, const struct foreign_raw *rows, size_t n);

/*
 * A Flyway version as a strata version: "7" and "007" are 7, and so is
 * "7.0.0" (Flyway itself takes trailing zero parts as equal: 7.0 is 7).
 * NULL for a version no whole number can stand for ("1.1").
 */
char *flyway_version(const char *v);

/*
 * Find f->tool's table ('table', or the tool's default, looked up like the
 * tool does: unqualified names through search_path), check that it has
 * the tool's columns, read it and decide (above). 'strata_table' is
 * strata's own history table, which the tool's must not be.
 * Returns 0, or -1 after error() (no such table, not the tool's shape).
 */
int foreign_read(struct db *db, const char *table, const char *strata_table,
		 struct foreign *f);
void foreign_release(struct foreign *f);

#endif

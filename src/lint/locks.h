/*
 * locks.h - the lock table: which lock each kind of statement takes on
 * which relation, and whether it rewrites, scans or only touches the
 * catalog. The one place strata says so; tests/t/t0420-locks.sh proves
 * every row against a PostgreSQL 15 server's pg_locks.
 *
 * The answer comes from the parse tree alone: relations are named as the
 * statement writes them. What needs the catalog (an index's table, the
 * tables a foreign key links) is said with 'via', and resolved by the
 * caller (cmd/plan.c). A statement kind the table does not know is
 * reported as unknown, never guessed.
 */
#ifndef STRATA_LOCKS_H
#define STRATA_LOCKS_H

#include <stdbool.h>
#include <stddef.h>

struct parse_error;

/* PostgreSQL's table-level lock modes, weakest first. */
enum lock_mode {
	LOCK_NONE,
	LOCK_ACCESS_SHARE,
	LOCK_ROW_SHARE,
	LOCK_ROW_EXCLUSIVE,
	LOCK_SHARE_UPDATE_EXCLUSIVE,
	LOCK_SHARE,
	LOCK_SHARE_ROW_EXCLUSIVE,
	LOCK_EXCLUSIVE,
	LOCK_ACCESS_EXCLUSIVE,
};

/* What the statement does to the relation's data while it holds the lock. */
enum lock_work {
	WORK_CATALOG,	/* catalog only: done as soon as the lock is granted */
	WORK_ROWS,	/* reads or writes the rows it is asked for (DML) */
	WORK_SCAN,	/* reads the whole relation (validation, index build) */
	WORK_REWRITE,	/* writes a new copy of the whole relation */
};

/* How the locked relation follows from the name written. */
enum lock_via {
	VIA_NAME,	/* the relation named */
	VIA_INDEX,	/* the name is an index: the table it is on */
	VIA_FK_TARGETS,	/* the tables the named table's foreign keys reference */
	VIA_FK_LINKED,	/* the tables linked to it by a foreign key, either way */
	VIA_FK_REFERRERS,	/* the tables whose foreign keys reference it */
	VIA_VIEW_SOURCES,	/* the relations a view's query reads, when the
				 * name is a view (through views in views) */
	VIA_FK_CONSTRAINT,	/* the table that its constraint 'constraint' references,
				 * when that one is a foreign key */
};

struct lock_claim {
	char *schema;		/* as written, or NULL */
	char *name;		/* as written (identifier, case-folded by the parser) */
	char *constraint;	/* for VIA_FK_CONSTRAINT */
	enum lock_via via;
	bool maybe;		/* only when rows need the check: foreign keys
				 * of rows written (DML) */
	enum lock_mode mode;
	enum lock_work work;
	const char *why;	/* one line: which part of the statement, and why */
	/*
	 * ALTER COLUMN TYPE alone: the column and its new type, so that the
	 * catalog can tell a binary-coercible change, which does not rewrite
	 * (varchar(n) to text). new_typmod is -1 when none is given, -2 when
	 * it cannot be told from the text (the change is then a rewrite).
	 */
	char *column;
	char *new_type;		/* regtype input: "pg_catalog.varchar" */
	int new_typmod;
};

struct stmt_locks {
	size_t off, len;	/* the statement in the text */
	const char *kind;	/* "ALTER TABLE ADD COLUMN", "unknown" */
	bool known;		/* false: the table does not know this kind */
	bool created;		/* it creates the relation 'created_name' */
	bool sets_search_path;	/* SET / RESET search_path: later names change */
	char *created_schema, *created_name;
	struct lock_claim *claims;
	size_t nr, alloc;
};

struct lock_list {
	struct stmt_locks *s;
	size_t nr, alloc;
};

/*
 * The locks of every statement of 'text'. 0, or -1 with 'e' filled on a
 * syntax error (the caller frees e->msg); 'l' is released either way by
 * lock_list_release().
 */
int locks_of_sql(const char *text, size_t len, struct lock_list *l,
		 struct parse_error *e);
void lock_list_release(struct lock_list *l);

/* "ACCESS EXCLUSIVE"; and as pg_locks.mode writes it: "AccessExclusiveLock". */
const char *lock_mode_name(enum lock_mode m);
const char *lock_mode_pg_name(enum lock_mode m);
/* From pg_locks.mode; LOCK_NONE when unknown. */
enum lock_mode lock_mode_from_pg(const char *s);
/* Does a lock in mode 'a' wait for one in mode 'b' (and the reverse)? */
bool lock_conflicts(enum lock_mode a, enum lock_mode b);
/* "catalog only", "rows", "scans", "rewrites" */
const char *lock_work_name(enum lock_work w);

#endif

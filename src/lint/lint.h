/*
 * lint.h - rules that read a migration before it runs.
 *
 * A rule looks at one statement at a time, as PostgreSQL's own parser
 * sees it (the libpg_query protobuf tree), and reports what would hurt in
 * production: a lock held too long, a table rewritten, data lost. The
 * engine (lint.c) reads the files, parses each one once, walks its
 * statements, applies suppressions (-- strata:allow) and the [lint]
 * config, and prints the findings.
 *
 * HOW TO ADD A RULE
 *
 *   1. Pick the group file src/lint/rules_<group>.c (or start one: a new
 *      group is a new file, it needs no change to the Makefile).
 *   2. Write the check, a function that reads c->stmt->node and calls
 *      lint_report() for each problem it sees:
 *
 *          static void check_truncate_cascade(struct lint_ctx *c)
 *          {
 *                  const PgQuery__TruncateStmt *t =
 *                          lint_node(c->stmt->node, TRUNCATE_STMT);
 *                  if (t && t->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
 *                          lint_report(c, -1, "TRUNCATE ... CASCADE empties "
 *                                      "every table that references this one");
 *          }
 *
 *   3. Describe it in a struct lint_rule next to the check: a kebab-case
 *      id that never changes (users write it in -- strata:allow and in
 *      strata.ini), the default severity, a one-line summary, a paragraph
 *      that explains why, and the safe way as SQL (NULL when there is
 *      none).
 *   4. List it in the group's NULL-terminated array
 *          const struct lint_rule *const lint_rules_<group>[] = { &r1, ..., NULL };
 *      A new group also gets its extern below and one line in the table
 *      of groups in lint.c (the one place the engine gathers them).
 *   5. Add a row to the rule table of README.md ("Lint: know before it
 *      runs", sorted by id) and unit tests in tests/unit/u-lint*.c: SQL
 *      that must trigger the rule and near misses that must not.
 *
 * Rules decide from the tree, never from the text: the text is there to
 * quote in messages. A rule whose verdict depends on the server version
 * reads c->pg_version. A rule never prints and never allocates what it
 * does not free: it reports and returns.
 */
#ifndef STRATA_LINT_H
#define STRATA_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <pg_query/pg_query.pb-c.h>

enum lint_severity {
	LINT_INFO,
	LINT_WARNING,
	LINT_ERROR,
};

/* One top-level statement of the file being linted. */
struct lint_stmt {
	const PgQuery__Node *node;	/* RawStmt.stmt: the statement's tree */
	const char *text;	/* its text (not NUL-terminated: see len) */
	size_t off, len;	/* byte range of the statement in the file */
};

/*
 * What a check sees. Everything is read-only for the rule; the fields
 * after 'private' belong to the engine.
 */
struct lint_ctx {
	const char *path;	/* the file, as the user named it */
	const struct lint_stmt *stmt;	/* the statement being checked */
	const struct lint_stmt *stmts;	/* every statement of the file... */
	size_t nr_stmts, index;	/* ...and stmt == &stmts[index] */
	/*
	 * The file runs inside strata's transaction (run mode RUN_TX: no
	 * BEGIN/COMMIT in it, no "-- strata:no-transaction", no statement
	 * that refuses a transaction block).
	 */
	bool in_transaction;
	bool down;		/* a down script (it runs in production too) */
	int pg_version;		/* target server, PG_VERSION_NUM style: 150000 */
	/* strata sets lock_timeout itself before each migration (not 0) */
	bool strata_lock_timeout;

	/* private to the engine */
	const struct lint_rule *rule;
	void *engine;
};

struct lint_rule {
	const char *id;		/* kebab-case, stable: "require-concurrent-index-creation" */
	enum lint_severity severity;	/* the default; strata.ini may change it */
	const char *summary;	/* one line, no final period */
	const char *explanation;	/* a paragraph: what happens and why */
	const char *safe_sql;	/* the safe alternative as SQL, or NULL */
	void (*check)(struct lint_ctx *c);	/* NULL for the engine's own rules */
};

/*
 * Report a finding of the current rule on the current statement.
 * 'location' is a node's own location field, as the parser set it (a
 * byte offset that the engine turns into file:line:col); -1 (what the
 * parser puts in nodes that have none) means the statement's first byte.
 * The message is one line, lower case, no final period.
 */
void lint_report(struct lint_ctx *c, int location, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Was the relation 'rv' created by an earlier statement of the same file
 * (CREATE TABLE, CREATE TABLE AS, SELECT INTO, CREATE MATERIALIZED VIEW)?
 * Such a table is empty and unseen by others, so locks and rewrites on it
 * cost nothing. A schema-qualified name matches only the same schema; an
 * unqualified one matches either way.
 */
bool lint_created_earlier(const struct lint_ctx *c, const PgQuery__RangeVar *rv);

/*
 * The node's payload when it is of kind KIND (the suffix of its
 * PG_QUERY__NODE__NODE_ case: ALTER_TABLE_STMT...), else NULL. 'n' may
 * be NULL.
 */
#define lint_node(n, KIND) lint_node_(n, PG_QUERY__NODE__NODE_##KIND)
const void *lint_node_(const PgQuery__Node *n, PgQuery__Node__NodeCase kind);

/* The string of a String node (names in lists), or NULL. */
const char *lint_str(const PgQuery__Node *n);

/*
 * The last part of a qualified name list (func or type names:
 * {"pg_catalog", "int4"} gives "int4"), or NULL.
 */
const char *lint_last_name(PgQuery__Node *const *names, size_t n);

/*
 * Call fn on 'n' and on every node below it, depth first, until fn
 * returns true; returns whether it did. Reaches every PgQuery__Node of
 * the subtree whatever the message that holds it (through protobuf-c's
 * descriptors), so a rule can look for a kind of node anywhere in an
 * expression: a FuncCall in a DEFAULT, a ColumnRef in a CHECK.
 */
bool lint_walk(const PgQuery__Node *n,
	       bool (*fn)(const PgQuery__Node *n, void *arg), void *arg);

/* The value of an integer constant (A_Const, or a typmod), or -1. */
long lint_int(const PgQuery__Node *n);

/* ---- the groups of rules, gathered in lint.c --------------------------- */

/* locks and table rewrites (rules_locking.c) */
extern const struct lint_rule *const lint_rules_locking[];

#endif

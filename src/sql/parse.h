/*
 * parse.h - statements of a migration, as PostgreSQL's own parser sees them.
 *
 * This is the only part of strata that includes pg_query.h. It finds each
 * top-level statement (byte range in the text) and classifies it: ordinary,
 * one that cannot run inside a transaction block, or transaction control
 * (BEGIN/COMMIT written into the file).
 */
#ifndef STRATA_PARSE_H
#define STRATA_PARSE_H

#include <stddef.h>
#include <stdbool.h>

enum stmt_class {
	STMT_PLAIN,	/* runs anywhere */
	STMT_NO_TX,	/* refuses a transaction block: CREATE INDEX CONCURRENTLY */
	STMT_TX_CONTROL,	/* BEGIN, COMMIT, ROLLBACK, ... written in the file */
};

struct stmt {
	size_t off;		/* first byte of the statement's first token */
	size_t len;		/* up to, not including, its ';' */
	enum stmt_class cls;
	const char *what;	/* "CREATE INDEX CONCURRENTLY", for messages */
	bool session_set;	/* SET (not LOCAL) that outlives the transaction */
	bool copy_from_stdin;	/* COPY ... FROM STDIN: data follows it */
};

/*
 * The data of a COPY ... FROM STDIN, as pg_dump writes it: the lines after
 * the statement, up to a line "\." (psql's rule). The data is no SQL: it
 * is cut out of the text the parser sees and goes to the server through
 * the COPY protocol.
 */
struct copy_data {
	size_t stmt;		/* index of its COPY statement */
	size_t off, len;	/* the data lines, without the "\." line */
	size_t end;		/* just after the "\." line */
};

struct parsed {
	struct stmt *stmts;
	size_t nr, alloc;
	size_t nr_no_tx, nr_tx_control;
	struct copy_data *copies;	/* in text order */
	size_t nr_copies, alloc_copies;
};

struct parse_error {
	char *msg;
	size_t off;	/* byte offset of the error in the text */
	bool copy;	/* about COPY data (no "\." line...), not a syntax error */
};

/*
 * Parse the NUL-terminated 'text' (of 'len' bytes, no NUL inside).
 * Returns 0 and fills 'p', or -1 and fills 'e' (caller frees e->msg).
 */
int sql_parse(const char *text, size_t len, struct parsed *p,
	      struct parse_error *e);
void parsed_release(struct parsed *p);

/*
 * Can 'text' hold COPY data? Only if a line "\." ends some: a cheap test
 * that spares a parse to a script that cannot have any.
 */
bool sql_may_have_copy(const char *text, size_t len);

/*
 * Append 'text' to 'out' without its COPY data blocks (and their "\."
 * lines): the SQL the server parses.
 */
struct strbuf;
void sql_strip_copy_data(const struct parsed *p, const char *text, size_t len,
			 struct strbuf *out);
/* The offset in the whole text of byte 'off' of the stripped text. */
size_t sql_unstrip_offset(const struct parsed *p, size_t off);

/*
 * Where statement 'stmt' (a COPY) failed in its data: the server's
 * CONTEXT "COPY t, line N" names the data line. Sets *off to the start of
 * that line in 'text' and returns true, or false when 'context' says no
 * such thing.
 */
bool sql_copy_error_offset(const char *text, const struct parsed *p,
			   size_t stmt, const char *context, size_t *off);

/* Skip whitespace and comments (nested block comments too) from 'off'. */
size_t sql_skip_space(const char *text, size_t len, size_t off);

/*
 * For one CREATE INDEX CONCURRENTLY statement with an index name: the name
 * (*index) and its table as regclass input (*table, quoted, with its schema
 * when given). 0, or -1 for any other statement. The caller frees both.
 */
int sql_index_target(const char *stmt, char **index, char **table);

/*
 * The parse tree of each top-level statement of 'text', in order, for the
 * lock table (lint/locks.h): 'stmt' is a PgQuery__Node * (from
 * <pg_query/pg_query.pb-c.h>), valid only during the call; 'off' is where
 * the statement starts in 'text' (COPY data skipped), 'len' its length
 * without the ';' (0 for the last one when it has none: up to the end).
 * 0, or -1 with 'e' filled (a syntax error; caller frees e->msg).
 */
typedef void (*sql_tree_fn)(const void *stmt, size_t off, size_t len, void *data);
int sql_parse_tree_each(const char *text, size_t len, sql_tree_fn fn,
			void *data, struct parse_error *e);

/* Byte offset of the 'pos'th (1-based) character of UTF-8 'text'. */
size_t sql_char_to_byte(const char *text, size_t len, int pos);

#endif

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
};

struct parsed {
	struct stmt *stmts;
	size_t nr, alloc;
	size_t nr_no_tx, nr_tx_control;
};

struct parse_error {
	char *msg;
	size_t off;	/* byte offset of the error in the text */
};

/*
 * Parse the NUL-terminated 'text' (of 'len' bytes, no NUL inside).
 * Returns 0 and fills 'p', or -1 and fills 'e' (caller frees e->msg).
 */
int sql_parse(const char *text, size_t len, struct parsed *p,
	      struct parse_error *e);
void parsed_release(struct parsed *p);

/* Skip whitespace and comments (nested block comments too) from 'off'. */
size_t sql_skip_space(const char *text, size_t len, size_t off);

/* Byte offset of the 'pos'th (1-based) character of UTF-8 'text'. */
size_t sql_char_to_byte(const char *text, size_t len, int pos);

#endif

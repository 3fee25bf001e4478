#include "../compat.h"
#include "parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

/* Files above this size are split first and parsed a statement at a time,
 * which keeps the parser's memory proportional to the largest statement. */
#define WHOLE_PARSE_MAX (4u << 20)

size_t sql_skip_space(const char *t, size_t len, size_t off)
{
	while (off < len) {
		char c = t[off];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			off++;
		} else if (c == '-' && off + 1 < len && t[off + 1] == '-') {
			while (off < len && t[off] != '\n')
				off++;
		} else if (c == '/' && off + 1 < len && t[off + 1] == '*') {
			int depth = 1;
			off += 2;
			while (off < len && depth) {
				if (t[off] == '/' && off + 1 < len &&
				    t[off + 1] == '*')
					depth++, off += 2;
				else if (t[off] == '*' && off + 1 < len &&
					 t[off + 1] == '/')
					depth--, off += 2;
				else
					off++;
			}
		} else {
			break;
		}
	}
	return off;
}

size_t sql_char_to_byte(const char *t, size_t len, int pos)
{
	size_t off = 0;
	int ch = 1;

	while (off < len && ch < pos) {
		off++;
		while (off < len && ((unsigned char)t[off] & 0xc0) == 0x80)
			off++;
		ch++;
	}
	return off;
}

static bool defelem_list_has(PgQuery__Node **l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (l[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    l[i]->def_elem->defname &&
		    !strcmp(l[i]->def_elem->defname, name))
			return true;
	return false;
}

static bool is_copy_from_stdin(PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_COPY_STMT &&
	       n->copy_stmt->is_from && !n->copy_stmt->is_program &&
	       (!n->copy_stmt->filename || !n->copy_stmt->filename[0]);
}

/*
 * Which statements PostgreSQL refuses inside a transaction block
 * (PreventInTransactionBlock callers in the server), as parse-tree facts.
 */
static void classify(PgQuery__Node *n, struct stmt *s)
{
	s->cls = STMT_PLAIN;
	s->what = NULL;
	s->copy_from_stdin = is_copy_from_stdin(n);
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		switch (n->transaction_stmt->kind) {
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
			s->cls = STMT_TX_CONTROL, s->what = "BEGIN";
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
			s->cls = STMT_TX_CONTROL, s->what = "COMMIT";
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
			s->cls = STMT_TX_CONTROL, s->what = "ROLLBACK";
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
			s->cls = STMT_TX_CONTROL, s->what = "PREPARE TRANSACTION";
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
			s->cls = STMT_NO_TX, s->what = "COMMIT PREPARED";
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
			s->cls = STMT_NO_TX, s->what = "ROLLBACK PREPARED";
			break;
		default:
			break;
		}
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		if (n->index_stmt->concurrent)
			s->cls = STMT_NO_TX, s->what = "CREATE INDEX CONCURRENTLY";
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		if (n->drop_stmt->concurrent)
			s->cls = STMT_NO_TX, s->what = "DROP INDEX CONCURRENTLY";
		break;
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		PgQuery__ReindexStmt *r = n->reindex_stmt;
		if (defelem_list_has(r->params, r->n_params, "concurrently"))
			s->cls = STMT_NO_TX, s->what = "REINDEX CONCURRENTLY";
		else if (r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
			 r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE ||
			 r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA)
			s->cls = STMT_NO_TX, s->what = "REINDEX SCHEMA/DATABASE/SYSTEM";
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		PgQuery__AlterTableStmt *a = n->alter_table_stmt;
		for (size_t i = 0; i < a->n_cmds; i++) {
			PgQuery__Node *c = a->cmds[i];
			if (c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			if (c->alter_table_cmd->subtype !=
			    PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition)
				continue;
			if (c->alter_table_cmd->def &&
			    c->alter_table_cmd->def->node_case ==
				    PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    c->alter_table_cmd->def->partition_cmd->concurrent)
				s->cls = STMT_NO_TX,
				s->what = "DETACH PARTITION CONCURRENTLY";
		}
		break;
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		if (n->vacuum_stmt->is_vacuumcmd)
			s->cls = STMT_NO_TX, s->what = "VACUUM";
		break;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		if (!n->cluster_stmt->relation)
			s->cls = STMT_NO_TX, s->what = "CLUSTER (all tables)";
		break;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		s->cls = STMT_NO_TX, s->what = "CREATE DATABASE";
		break;
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		s->cls = STMT_NO_TX, s->what = "DROP DATABASE";
		break;
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		s->cls = STMT_NO_TX, s->what = "ALTER SYSTEM";
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		s->cls = STMT_NO_TX, s->what = "CREATE TABLESPACE";
		break;
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		s->cls = STMT_NO_TX, s->what = "DROP TABLESPACE";
		break;
	case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
		s->cls = STMT_NO_TX, s->what = "CREATE SUBSCRIPTION";
		break;
	case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
		s->cls = STMT_NO_TX, s->what = "DROP SUBSCRIPTION";
		break;
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT: {
		PgQuery__VariableSetStmt *v = n->variable_set_stmt;
		if (!v->is_local &&
		    v->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI)
			s->session_set = true;
		break;
	}
	default:
		break;
	}
}

static void add_stmt(struct parsed *p, const char *text, size_t len,
		     size_t loc, size_t slen, PgQuery__Node *node)
{
	struct stmt *s;
	size_t end = slen ? loc + slen : len;
	size_t start = sql_skip_space(text, len, loc);

	ALLOC_GROW(p->stmts, p->nr + 1, p->alloc);
	s = &p->stmts[p->nr++];
	memset(s, 0, sizeof(*s));
	s->off = start;
	if (end > len)
		end = len;
	/* a trailing ';' is not part of stmt_len; trailing comments are */
	s->len = end > start ? end - start : 0;
	classify(node, s);
	if (s->cls == STMT_NO_TX)
		p->nr_no_tx++;
	else if (s->cls == STMT_TX_CONTROL)
		p->nr_tx_control++;
}

static void set_error(struct parse_error *e, const char *text, size_t len,
		      size_t base, PgQueryError *pe)
{
	e->msg = xstrdup(pe->message);
	e->off = base + (pe->cursorpos > 0 ?
			 sql_char_to_byte(text + base, len - base, pe->cursorpos) :
			 0);
}

/* Parse 'len' bytes at 'text' (NUL at text[len]) and append its statements,
 * their offsets shifted by 'base'. */
static int parse_piece(const char *all, size_t all_len, size_t base,
		       size_t len, struct parsed *p, struct parse_error *e)
{
	PgQueryProtobufParseResult r;
	PgQuery__ParseResult *tree;
	char *copy = NULL;
	const char *text = all + base;
	int ret = 0;

	if (base + len != all_len) {
		copy = xstrndup(text, len);
		text = copy;
	}
	r = pg_query_parse_protobuf(text);
	if (r.error) {
		set_error(e, all, all_len, base, r.error);
		pg_query_free_protobuf_parse_result(r);
		free(copy);
		return -1;
	}
	tree = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
					      (const uint8_t *)r.parse_tree.data);
	if (!tree) {
		e->msg = xstrdup("could not read the parse tree");
		e->off = base;
		ret = -1;
	} else {
		for (size_t i = 0; i < tree->n_stmts; i++) {
			PgQuery__RawStmt *rs = tree->stmts[i];
			add_stmt(p, all, base + len, base + (size_t)rs->stmt_location,
				 (size_t)rs->stmt_len, rs->stmt);
		}
		pg_query__parse_result__free_unpacked(tree, NULL);
	}
	pg_query_free_protobuf_parse_result(r);
	free(copy);
	return ret;
}

/*
 * Parse text[base, base + n) into 'p' (offsets in the whole text). Above
 * WHOLE_PARSE_MAX (usually data), split with the scanner first, which
 * needs little memory, then parse piece by piece. The scanner does not
 * know BEGIN ATOMIC bodies; if any piece fails, the whole parse gives the
 * authoritative answer.
 */
static int parse_range(const char *all, size_t all_len, size_t base, size_t n,
		       struct parsed *p, struct parse_error *e)
{
	PgQuerySplitResult sr;
	char *copy = NULL;
	const char *text = all + base;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	memset(e, 0, sizeof(*e));
	if (n <= WHOLE_PARSE_MAX)
		return parse_piece(all, all_len, base, n, p, e);
	if (base + n != all_len) {
		copy = xstrndup(text, n);
		text = copy;
	}
	sr = pg_query_split_with_scanner(text);
	free(copy);
	if (sr.error) {
		set_error(e, all, base + n, base, sr.error);
		pg_query_free_split_result(sr);
		return -1;
	}
	for (int i = 0; i < sr.n_stmts && !ret; i++) {
		size_t loc = (size_t)sr.stmts[i]->stmt_location;
		size_t slen = (size_t)sr.stmts[i]->stmt_len;
		if (loc + slen > n)
			slen = n - loc;
		ret = parse_piece(all, all_len, base + loc, slen, p, e);
	}
	pg_query_free_split_result(sr);
	if (ret) {
		free(e->msg);
		parsed_release(p);
		memset(e, 0, sizeof(*e));
		return parse_piece(all, all_len, base, n, p, e);
	}
	return 0;
}

/* ---- COPY ... FROM STDIN and its data ---------------------------------- */

/* Start of the line holding byte 'off'. */
static size_t line_start(const char *t, size_t off)
{
	while (off > 0 && t[off - 1] != '\n')
		off--;
	return off;
}

/* Start of the first line "\." at or after 'from' (a line start), or 'len'. */
static size_t next_terminator(const char *t, size_t len, size_t from)
{
	size_t i = from;

	while (i < len) {
		if (t[i] == '\\' && i + 1 < len && t[i + 1] == '.' &&
		    (i + 2 == len || t[i + 2] == '\n' ||
		     (t[i + 2] == '\r' && (i + 3 == len || t[i + 3] == '\n'))))
			return i;
		{
			const char *nl = memchr(t + i, '\n', len - i);
			if (!nl)
				break;
			i = (size_t)(nl - t) + 1;
		}
	}
	return len;
}

/* Does the word COPY (any case) occur in the 'n' bytes at 't'? */
static bool mentions_copy(const char *t, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if ((t[i] | 0x20) == 'c' && (t[i + 1] | 0x20) == 'o' &&
		    (t[i + 2] | 0x20) == 'p' && (t[i + 3] | 0x20) == 'y')
			return true;
	return false;
}

bool sql_may_have_copy(const char *text, size_t len)
{
	return next_terminator(text, len, 0) < len;
}

/*
 * Parse text[from, end) and return the index of its first COPY FROM STDIN
 * (or -1 when there is none: every statement is in 'part'), or -2 on a
 * syntax error. The lines after a COPY are data, which the parser chokes
 * on: then the longest prefix ending at a line start before the error is
 * parsed again, and if that one holds a COPY FROM STDIN, its data starts
 * after it. Otherwise the first error is the answer.
 */
static long parse_to_copy(const char *text, size_t len, size_t from, size_t end,
			  struct parsed *part, struct parse_error *e)
{
	struct parse_error first, e2;
	size_t stop;
	int tries = 0;

	if (parse_range(text, len, from, end - from, part, &first) == 0)
		goto found;
	parsed_release(part);
	stop = line_start(text, first.off);
	if (stop >= end && stop > from)
		stop = line_start(text, stop - 1);
	/* no COPY before the error: a syntax error, and no search for one */
	if (!mentions_copy(text + from, stop - from))
		stop = from;
	while (stop > from && tries++ < 1000) {
		size_t next;
		if (parse_range(text, len, from, stop - from, part, &e2) == 0)
			goto found;
		parsed_release(part);
		free(e2.msg);
		next = line_start(text, e2.off);
		/* "at end of input": the cut fell inside a statement */
		stop = next < stop ? next : line_start(text, stop - 1);
	}
	*e = first;
	return -2;
found:
	for (size_t i = 0; i < part->nr; i++) {
		if (part->stmts[i].copy_from_stdin) {
			free(first.msg);
			return (long)i;
		}
	}
	if (first.msg) {
		/* a clean prefix without COPY: the error was a real one */
		parsed_release(part);
		*e = first;
		return -2;
	}
	return -1;
}

static int copy_error(struct parse_error *e, size_t off, const char *msg)
{
	e->msg = xstrdup(msg);
	e->off = off;
	e->copy = true;
	return -1;
}

/*
 * The COPY FROM STDIN just added to 'p' is followed by its data: find the
 * ';' that ends it, the data from the next line to the "\." line, and
 * record them. *pos moves past the "\." line. 0, or -1 with 'e' filled.
 */
static int cut_copy(const char *t, size_t len, struct parsed *p, size_t *pos,
		    struct parse_error *e)
{
	const struct stmt *s = &p->stmts[p->nr - 1];
	struct copy_data *c;
	size_t i = s->off + s->len, term;

	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	if (i >= len || t[i] != ';')
		return copy_error(e, s->off, "COPY ... FROM stdin must end with ';' before its data");
	i++;
	/* the rest of the line: blanks or a comment; the data starts after it */
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
		i++;
	if (i + 1 < len && t[i] == '-' && t[i + 1] == '-')
		while (i < len && t[i] != '\n')
			i++;
	if (i < len && t[i] != '\n')
		return copy_error(e, i, "the data of COPY ... FROM stdin starts on the line after the statement; nothing may follow its ';' on that line");
	if (i < len)
		i++;
	term = next_terminator(t, len, i);
	if (term >= len)
		return copy_error(e, s->off, "no line '\\.' ends the data of this COPY ... FROM stdin");
	ALLOC_GROW(p->copies, p->nr_copies + 1, p->alloc_copies);
	c = &p->copies[p->nr_copies++];
	c->stmt = p->nr - 1;
	c->off = i;
	c->len = term - i;
	c->end = term + 2;
	if (c->end < len && t[c->end] == '\r')
		c->end++;
	if (c->end < len && t[c->end] == '\n')
		c->end++;
	*pos = c->end;
	return 0;
}

/* Move the first 'n' statements of 'from' to the end of 'to'. */
static void take_stmts(struct parsed *to, const struct parsed *from, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct stmt *s = &from->stmts[i];
		ALLOC_GROW(to->stmts, to->nr + 1, to->alloc);
		to->stmts[to->nr++] = *s;
		if (s->cls == STMT_NO_TX)
			to->nr_no_tx++;
		else if (s->cls == STMT_TX_CONTROL)
			to->nr_tx_control++;
	}
}

/*
 * The statements of the text, the SQL between COPY data blocks parsed a
 * part at a time. The first "\." line bounds the first part (the data of
 * the first COPY ends there); if it turns out to end no COPY (a "\." line
 * inside a string), the rest of the text is parsed as one part instead.
 * A text without "\." lines is parsed once, as before there was COPY.
 */
int sql_parse(const char *text, size_t len, struct parsed *p,
	      struct parse_error *e)
{
	size_t pos = 0;

	memset(p, 0, sizeof(*p));
	memset(e, 0, sizeof(*e));
	for (;;) {
		size_t bound = next_terminator(text, len, pos);
		struct parsed part;
		long k = parse_to_copy(text, len, pos, bound, &part, e);

		if (k < 0 && bound < len) {
			if (k == -2)
				free(e->msg);
			else
				parsed_release(&part);
			memset(e, 0, sizeof(*e));
			k = parse_to_copy(text, len, pos, len, &part, e);
		}
		if (k == -2) {
			parsed_release(p);
			return -1;
		}
		take_stmts(p, &part, k < 0 ? part.nr : (size_t)k + 1);
		parsed_release(&part);
		if (k < 0)
			return 0;
		if (cut_copy(text, len, p, &pos, e)) {
			parsed_release(p);
			return -1;
		}
	}
}

void sql_strip_copy_data(const struct parsed *p, const char *text, size_t len,
			 struct strbuf *out)
{
	size_t from = 0;

	for (size_t k = 0; k < p->nr_copies; k++) {
		strbuf_add(out, text + from, p->copies[k].off - from);
		from = p->copies[k].end;
	}
	if (from < len)
		strbuf_add(out, text + from, len - from);
}

size_t sql_unstrip_offset(const struct parsed *p, size_t off)
{
	size_t shift = 0;

	for (size_t k = 0; k < p->nr_copies; k++) {
		if (p->copies[k].off - shift > off)
			break;
		shift += p->copies[k].end - p->copies[k].off;
	}
	return off + shift;
}

bool sql_copy_error_offset(const char *text, const struct parsed *p,
			   size_t stmt, const char *context, size_t *off)
{
	const struct copy_data *c = NULL;
	const char *line = context, *hit = NULL;
	long n;
	size_t i;

	for (size_t k = 0; k < p->nr_copies && !c; k++)
		if (p->copies[k].stmt == stmt)
			c = &p->copies[k];
	if (!c || !context)
		return false;
	/* "COPY t, line 3, column b: \"x\"", on the last line naming COPY */
	while (line && *line) {
		if (!strncmp(line, "COPY ", 5) && strstr(line, ", line "))
			hit = strstr(line, ", line ");
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!hit)
		return false;
	n = strtol(hit + 7, NULL, 10);
	if (n < 1)
		return false;
	i = c->off;
	while (--n > 0 && i < c->off + c->len) {
		const char *nl = memchr(text + i, '\n', c->off + c->len - i);
		if (!nl)
			return false;
		i = (size_t)(nl - text) + 1;
	}
	if (i >= c->off + c->len && c->len)
		return false;
	*off = i;
	return true;
}

void parsed_release(struct parsed *p)
{
	free(p->stmts);
	free(p->copies);
	memset(p, 0, sizeof(*p));
}

/* Append 'name' as an identifier that regclass input reads back exactly. */
static void add_quoted(struct strbuf *sb, const char *name)
{
	strbuf_addch(sb, '"');
	for (const char *c = name; *c; c++) {
		if (*c == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *c);
	}
	strbuf_addch(sb, '"');
}

int sql_index_target(const char *stmt, char **index, char **table)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(stmt);
	PgQuery__ParseResult *tree = NULL;
	int ret = -1;

	*index = *table = NULL;
	if (!r.error)
		tree = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
						      (const uint8_t *)r.parse_tree.data);
	if (tree && tree->n_stmts == 1 && tree->stmts[0]->stmt &&
	    tree->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
		PgQuery__IndexStmt *is = tree->stmts[0]->stmt->index_stmt;
		if (is->concurrent && is->idxname && is->idxname[0] && is->relation &&
		    is->relation->relname) {
			struct strbuf t = STRBUF_INIT;
			if (is->relation->schemaname && is->relation->schemaname[0]) {
				add_quoted(&t, is->relation->schemaname);
				strbuf_addch(&t, '.');
			}
			add_quoted(&t, is->relation->relname);
			*table = strbuf_detach(&t, NULL);
			*index = xstrdup(is->idxname);
			ret = 0;
		}
	}
	if (tree)
		pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(r);
	return ret;
}

/* ---- the parse tree itself, for the lock table (lint/locks.h) ---------- */

/* Hand each statement of 'sql' (COPY data already cut out) to 'fn'. */
static int tree_each(const char *sql, const struct parsed *copies,
		     sql_tree_fn fn, void *data, struct parse_error *e)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	PgQuery__ParseResult *tree;
	int ret = 0;

	if (r.error) {
		e->msg = xstrdup(r.error->message);
		e->off = r.error->cursorpos > 0 ?
			 sql_char_to_byte(sql, strlen(sql), r.error->cursorpos) : 0;
		if (copies)
			e->off = sql_unstrip_offset(copies, e->off);
		pg_query_free_protobuf_parse_result(r);
		return -1;
	}
	tree = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
					      (const uint8_t *)r.parse_tree.data);
	if (!tree) {
		e->msg = xstrdup("could not read the parse tree");
		e->off = 0;
		ret = -1;
	}
	for (size_t i = 0; tree && i < tree->n_stmts; i++) {
		PgQuery__RawStmt *rs = tree->stmts[i];
		size_t n = strlen(sql);
		size_t off = sql_skip_space(sql, n, (size_t)rs->stmt_location);
		size_t end = rs->stmt_len ? (size_t)rs->stmt_location + (size_t)rs->stmt_len : n;
		size_t len = end > off ? end - off : 0;
		if (copies)
			off = sql_unstrip_offset(copies, off);
		fn(rs->stmt, off, len, data);
	}
	if (tree)
		pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(r);
	return ret;
}

int sql_parse_tree_each(const char *text, size_t len, sql_tree_fn fn,
			void *data, struct parse_error *e)
{
	struct parsed p;
	struct strbuf sb = STRBUF_INIT;
	int ret;

	memset(e, 0, sizeof(*e));
	if (!sql_may_have_copy(text, len))
		return tree_each(text, NULL, fn, data, e);
	/* COPY data is no SQL: parse what the server parses */
	if (sql_parse(text, len, &p, e))
		return -1;
	sql_strip_copy_data(&p, text, len, &sb);
	ret = tree_each(sb.buf, &p, fn, data, e);
	strbuf_release(&sb);
	parsed_release(&p);
	return ret;
}

#include "../compat.h"
#include "parse.h"
#include "../util/util.h"

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

/*
 * Which statements PostgreSQL refuses inside a transaction block
 * (PreventInTransactionBlock callers in the server), as parse-tree facts.
 */
static void classify(PgQuery__Node *n, struct stmt *s)
{
	s->cls = STMT_PLAIN;
	s->what = NULL;
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

int sql_parse(const char *text, size_t len, struct parsed *p,
	      struct parse_error *e)
{
	PgQuerySplitResult sr;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	memset(e, 0, sizeof(*e));
	if (len <= WHOLE_PARSE_MAX)
		return parse_piece(text, len, 0, len, p, e);

	/*
	 * A big file (usually data): split with the scanner, which needs
	 * little memory, then parse piece by piece. The scanner does not know
	 * BEGIN ATOMIC bodies; if any piece fails, the whole-file parse gives
	 * the authoritative answer.
	 */
	sr = pg_query_split_with_scanner(text);
	if (sr.error) {
		set_error(e, text, len, 0, sr.error);
		pg_query_free_split_result(sr);
		return -1;
	}
	for (int i = 0; i < sr.n_stmts && !ret; i++) {
		size_t loc = (size_t)sr.stmts[i]->stmt_location;
		size_t slen = (size_t)sr.stmts[i]->stmt_len;
		if (loc + slen > len)
			slen = len - loc;
		ret = parse_piece(text, len, loc, slen, p, e);
	}
	pg_query_free_split_result(sr);
	if (ret) {
		free(e->msg);
		parsed_release(p);
		memset(e, 0, sizeof(*e));
		return parse_piece(text, len, 0, len, p, e);
	}
	return 0;
}

void parsed_release(struct parsed *p)
{
	free(p->stmts);
	memset(p, 0, sizeof(*p));
}

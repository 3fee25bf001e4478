#include "../compat.h"
#include "history.h"
#include "config.h"
#include "version.h"
#include "../db/conn.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

void history_qname(const struct config *c, struct strbuf *sb)
{
	strbuf_add_ident(sb, c->schema);
	strbuf_addch(sb, '.');
	strbuf_add_ident(sb, c->table);
}

void history_create_sql(const struct config *c, struct strbuf *sb)
{
	if (strcmp(c->schema, "public")) {
		strbuf_addstr(sb, "CREATE SCHEMA IF NOT EXISTS ");
		strbuf_add_ident(sb, c->schema);
		strbuf_addstr(sb, ";\n");
	}
	strbuf_addstr(sb, "CREATE TABLE IF NOT EXISTS ");
	history_qname(c, sb);
	strbuf_addstr(sb,
		" (\n"
		"    version text PRIMARY KEY CHECK (version OPERATOR(pg_catalog.~) '^[0-9]+$'),\n"
		"    name text NOT NULL,\n"
		"    checksum text NOT NULL,\n"
		"    state text NOT NULL DEFAULT 'applied'\n"
		"        CHECK (state OPERATOR(pg_catalog.=) ANY (ARRAY['applied', 'partial', 'reverting'])),\n"
		"    statements_done integer,\n"
		"    error text,\n"
		"    applied_at timestamptz NOT NULL DEFAULT pg_catalog.now(),\n"
		"    duration_ms bigint,\n"
		"    stamped boolean NOT NULL DEFAULT false,\n"
		"    applied_by text NOT NULL DEFAULT CURRENT_USER\n"
		");\n");
}

void history_lock_key(const struct config *c, int *k1, int *k2)
{
	/* FNV-1a over "schema.table": one lock per history table */
	uint32_t h = 2166136261u;
	const char *parts[] = { c->schema, ".", c->table };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 16777619u;
	*k1 = 0x73747261;	/* "stra" */
	*k2 = (int)(h & 0x7fffffff);
}

static char *dupval(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

int history_read(struct db *db, const struct config *c, struct history *h)
{
	struct strbuf sql = STRBUF_INIT;
	const char *params[2] = { c->schema, c->table };
	struct pgerr e = { 0 };
	PGresult *r;
	int ret = 0;

	memset(h, 0, sizeof(*h));
	r = db_query_params(db,
		"SELECT c.relkind FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
		"WHERE n.nspname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
		"AND c.relname OPERATOR(pg_catalog.=) $2::pg_catalog.name", 2, params, &e);
	if (!r) {
		pgerr_report(&e, "cannot read the history table");
		pgerr_release(&e);
		return -1;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "r") && strcmp(PQgetvalue(r, 0, 0), "p")) {
		PQclear(r);
		err_set_kind("config");
		return error("%s.%s exists but is not a table", c->schema, c->table);
	}
	PQclear(r);
	h->exists = true;
	strbuf_addstr(&sql,
		"SELECT version, name, checksum, state, statements_done, error, "
		"pg_catalog.to_char(pg_catalog.timezone('UTC', applied_at), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
		"duration_ms, stamped FROM ");
	history_qname(c, &sql);
	strbuf_addstr(&sql, " ORDER BY pg_catalog.length(version), version COLLATE \"C\"");
	r = db_query(db, sql.buf, &e);
	strbuf_release(&sql);
	if (!r) {
		pgerr_report(&e, "cannot read the history table");
		if (e.sqlstate && !strcmp(e.sqlstate, "42703"))
			hint("%s.%s does not look like strata's history table; choose another with --table",
			     c->schema, c->table);
		pgerr_release(&e);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct applied *a;
		ALLOC_GROW(h->a, h->nr + 1, h->alloc);
		a = &h->a[h->nr++];
		memset(a, 0, sizeof(*a));
		a->version = dupval(r, i, 0);
		a->name = dupval(r, i, 1);
		a->checksum = dupval(r, i, 2);
		a->state = dupval(r, i, 3);
		a->statements_done = PQgetisnull(r, i, 4) ? 0 : atoi(PQgetvalue(r, i, 4));
		a->error = dupval(r, i, 5);
		a->applied_at = dupval(r, i, 6);
		a->duration_ms = PQgetisnull(r, i, 7) ? -1 : atoll(PQgetvalue(r, i, 7));
		a->stamped = !strcmp(PQgetvalue(r, i, 8), "t");
	}
	PQclear(r);
	return ret;
}

void history_release(struct history *h)
{
	for (size_t i = 0; i < h->nr; i++) {
		struct applied *a = &h->a[i];
		free(a->version);
		free(a->name);
		free(a->checksum);
		free(a->state);
		free(a->error);
		free(a->applied_at);
	}
	free(h->a);
	memset(h, 0, sizeof(*h));
}

struct applied *history_find(const struct history *h, const char *version)
{
	size_t lo = 0, hi = h->nr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = version_cmp(h->a[mid].version, version);
		if (!c)
			return &h->a[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct applied *history_head(const struct history *h)
{
	for (size_t i = h->nr; i > 0; i--)
		if (!strcmp(h->a[i - 1].state, "applied"))
			return &h->a[i - 1];
	return NULL;
}

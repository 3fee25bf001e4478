#include "../compat.h"
#include "history.h"
#include "config.h"
#include "version.h"
#include "../db/conn.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <time.h>

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
	/* --schema with the history elsewhere: the tenant's schema too */
	if (c->search_schema && strcmp(c->search_schema, c->schema) &&
	    strcmp(c->search_schema, "public")) {
		strbuf_addstr(sb, "CREATE SCHEMA IF NOT EXISTS ");
		strbuf_add_ident(sb, c->search_schema);
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

void history_stamp_sql(const struct config *c, struct strbuf *sb,
		       const char *version, const char *name,
		       const char *checksum, const char *applied_at)
{
	strbuf_addstr(sb, "INSERT INTO ");
	history_qname(c, sb);
	strbuf_addstr(sb, applied_at ?
		" (version, name, checksum, stamped, applied_at) VALUES (" :
		" (version, name, checksum, stamped) VALUES (");
	strbuf_add_literal(sb, version);
	strbuf_addstr(sb, ", ");
	strbuf_add_literal(sb, name);
	strbuf_addstr(sb, ", ");
	strbuf_add_literal(sb, checksum);
	strbuf_addstr(sb, ", true");
	if (applied_at) {
		strbuf_addstr(sb, ", ");
		strbuf_add_literal(sb, applied_at);
		strbuf_addstr(sb, "::pg_catalog.timestamptz");
	}
	strbuf_addstr(sb, ");\n");
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

/* Binary results: integers in network order. */
static int64_t get_int(PGresult *r, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	int len = PQgetlength(r, row, col);
	uint64_t v = 0;

	for (int i = 0; i < len; i++)
		v = (v << 8) | p[i];
	if (len == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/*
 * A binary timestamptz (microseconds since 2000-01-01 UTC) as ISO 8601.
 * The date comes from the days-to-civil algorithm (proleptic Gregorian),
 * which is cheaper than gmtime_r()+strftime() for every row of a run.
 */
static char *iso_utc(int64_t usec)
{
	int64_t s = usec / 1000000 - (usec % 1000000 < 0);
	int64_t days = s / 86400 + 10957, sod = s % 86400;	/* 10957: 1970 -> 2000 */
	int64_t z, era, doe, yoe, y, doy, mp, d, m;
	char buf[40];

	if (sod < 0)
		sod += 86400, days--;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
		 (long long)y, (long long)m, (long long)d, (long long)(sod / 3600),
		 (long long)(sod / 60 % 60), (long long)(sod % 60));
	return xstrdup(buf);
}

static int cmp_applied(const void *a, const void *b)
{
	return version_cmp(((const struct applied *)a)->version,
			   ((const struct applied *)b)->version);
}

static int read_rows(struct db *db, const struct config *c, struct history *h,
		     bool light);

int history_read(struct db *db, const struct config *c, struct history *h)
{
	return read_rows(db, c, h, false);
}

int history_read_light(struct db *db, const struct config *c, struct history *h)
{
	return read_rows(db, c, h, true);
}

static int read_rows(struct db *db, const struct config *c, struct history *h,
		     bool light)
{
	struct strbuf sql = STRBUF_INIT;
	struct strbuf name = STRBUF_INIT;
	const char *params[1];
	struct pgerr e = { 0 };
	PGresult *r;
	int ret = 0;

	memset(h, 0, sizeof(*h));
	/*
	 * to_regclass() is a cache lookup, cheaper for a new session than a
	 * query over pg_class; and it never raises an error in the server's
	 * log for a database strata has not touched yet.
	 */
	history_qname(c, &name);
	params[0] = name.buf;
	r = db_query_params(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, params, &e);
	strbuf_release(&name);
	if (!r) {
		pgerr_report(&e, "cannot read the history table");
		pgerr_release(&e);
		return -1;
	}
	h->exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!h->exists)
		return 0;
	/*
	 * Binary results and no ORDER BY: the server neither formats nor
	 * sorts; strata does both, cheaply, for what is read on every run.
	 */
	strbuf_addstr(&sql, light ? "SELECT version, name, state FROM " :
		"SELECT version, name, checksum, state, statements_done, error, "
		"applied_at, duration_ms, stamped FROM ");
	history_qname(c, &sql);
	r = db_query_binary(db, sql.buf, &e);
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
		a->duration_ms = -1;
		if (light) {
			a->state = dupval(r, i, 2);
			continue;
		}
		a->checksum = dupval(r, i, 2);
		a->state = dupval(r, i, 3);
		a->statements_done = PQgetisnull(r, i, 4) ? 0 : (int)get_int(r, i, 4);
		a->error = dupval(r, i, 5);
		a->applied_at = PQgetisnull(r, i, 6) ? NULL : iso_utc(get_int(r, i, 6));
		a->duration_ms = PQgetisnull(r, i, 7) ? -1 : get_int(r, i, 7);
		a->stamped = !PQgetisnull(r, i, 8) && PQgetvalue(r, i, 8)[0] == 1;
	}
	PQclear(r);
	if (h->nr > 1)
		qsort(h->a, h->nr, sizeof(*h->a), cmp_applied);
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

#include "../compat.h"
#include "foreign.h"
#include "version.h"
#include "config.h"
#include "../db/conn.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

struct tool_info {
	const char *name, *title, *table;
	const char *columns[7];	/* what its table must have */
	const char *setting;	/* where users rename the table */
};

static const struct tool_info tools[] = {
	[FT_ALEMBIC] = { "alembic", "Alembic", "alembic_version",
		{ "version_num" },
		"version_table / version_table_schema in env.py" },
	[FT_SQLX] = { "sqlx", "sqlx", "_sqlx_migrations",
		{ "version", "description", "installed_on", "success", "checksum" },
		"the migrations table setting of sqlx.toml" },
	[FT_TYPEORM] = { "typeorm", "TypeORM", "migrations",
		{ "id", "timestamp", "name" },
		"migrationsTableName of the data source" },
	[FT_DBMATE] = { "dbmate", "dbmate", "schema_migrations",
		{ "version" },
		"--migrations-table (DBMATE_MIGRATIONS_TABLE)" },
	[FT_GOLANG_MIGRATE] = { "golang-migrate", "golang-migrate", "schema_migrations",
		{ "version", "dirty" },
		"x-migrations-table in the database URL" },
	[FT_GOOSE] = { "goose", "goose", "goose_db_version",
		{ "id", "version_id", "is_applied", "tstamp" },
		"-table (GOOSE_TABLE)" },
	[FT_FLYWAY] = { "flyway", "Flyway", "flyway_schema_history",
		{ "installed_rank", "version", "script", "type", "installed_on", "success" },
		"flyway.table and flyway.defaultSchema" },
};

int foreign_tool_parse(const char *name, enum foreign_tool *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		if (!strcmp(name, tools[i].name)) {
			*t = (enum foreign_tool)i;
			return 0;
		}
	}
	return -1;
}

const char *foreign_tool_name(enum foreign_tool t) { return tools[t].name; }
const char *foreign_tool_title(enum foreign_tool t) { return tools[t].title; }
const char *foreign_default_table(enum foreign_tool t) { return tools[t].table; }

const char *foreign_tool_list(void)
{
	return "alembic, sqlx, typeorm, dbmate, golang-migrate, goose, flyway";
}

/* --- problems ------------------------------------------------------------ */

void problems_add(struct problems *ps, const char *kind, const char *version,
		  const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct problem *p;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	ALLOC_GROW(ps->p, ps->nr + 1, ps->alloc);
	p = &ps->p[ps->nr++];
	p->kind = kind;
	p->version = version ? xstrdup(version) : NULL;
	p->message = strbuf_detach(&sb, NULL);
}

bool problems_have(const struct problems *ps, const char *kind)
{
	for (size_t i = 0; i < ps->nr; i++)
		if (!strcmp(ps->p[i].kind, kind))
			return true;
	return false;
}

void problems_release(struct problems *ps)
{
	for (size_t i = 0; i < ps->nr; i++) {
		free(ps->p[i].version);
		free(ps->p[i].message);
	}
	free(ps->p);
	memset(ps, 0, sizeof(*ps));
}

/* --- deciding ------------------------------------------------------------ */

char *flyway_version(const char *v)
{
	const char *dot = strchr(v, '.');
	size_t first = dot ? (size_t)(dot - v) : strlen(v);

	/* every part after the first must be digits, all zero */
	for (const char *p = dot; p && *p; ) {
		const char *q = p + 1;
		if (!*q || *q == '.')
			return NULL;
		for (; *q && *q != '.'; q++)
			if (*q != '0')
				return NULL;
		p = *q ? q : NULL;
	}
	for (size_t i = 0; i < first; i++)
		if (v[i] < '0' || v[i] > '9')
			return NULL;
	return version_normalize(v, first);
}

static void add_applied(struct foreign *f, char *version, const struct foreign_raw *r)
{
	struct foreign_applied *a;

	ALLOC_GROW(f->a, f->nr + 1, f->alloc);
	a = &f->a[f->nr++];
	a->version = version;
	a->label = r->label ? xstrdup(r->label) : NULL;
	a->applied_at = r->applied_at ? xstrdup(r->applied_at) : NULL;
	a->checksum = f->tool == FT_SQLX && r->extra ? xstrdup(r->extra) : NULL;
}

static void set_through(struct foreign *f, const char *v)
{
	if (!f->through || version_cmp(v, f->through) > 0) {
		free(f->through);
		f->through = xstrdup(v);
	}
}

/* A tool's version as strata's, or NULL with a problem recorded. */
static char *norm_or_report(struct foreign *f, const char *v)
{
	char *n = v ? version_normalize(v, strlen(v)) : NULL;
	if (!n)
		problems_add(&f->problems, "bad_version", v,
			     "%s records version '%s', which is not a number", tools[f->tool].title,
			     v ? v : "NULL");
	return n;
}

static bool reported(const struct problems *ps, const char *kind, const char *version)
{
	for (size_t i = 0; i < ps->nr; i++)
		if (!strcmp(ps->p[i].kind, kind) && ps->p[i].version &&
		    !strcmp(ps->p[i].version, version))
			return true;
	return false;
}

struct keyed {
	const char *v;	/* normalised version */
	size_t i;	/* position in the tool's order */
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = version_cmp(x->v, y->v);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Tools that log every run (goose, Flyway) can hold several rows for one
 * version: the latest in the tool's order decides. Returns how many
 * entries of 'k' (sorted) are such winners, moved to its front.
 */
static size_t latest_per_version(struct keyed *k, size_t n)
{
	size_t kept = 0;

	qsort(k, n, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || version_cmp(k[i].v, k[i + 1].v))
			k[kept++] = k[i];
	return kept;
}

/* The table's name for messages (before foreign_read() has found it, the tool's default). */
static const char *table_shown(const struct foreign *f)
{
	return f->table ? f->table : tools[f->tool].table;
}

static void decide_alembic(struct foreign *f, const struct foreign_raw *rows, size_t n)
{
	struct strbuf heads = STRBUF_INIT;

	if (n == 1) {
		f->alembic_head = xstrdup(rows[0].version);
		return;
	}
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&heads, "%s%s", i ? ", " : "", rows[i].version);
	if (n > 1)
		problems_add(&f->problems, "branches", NULL,
			     "%s holds %zu heads (%s): Alembic branches that were never merged",
			     table_shown(f), n, heads.buf);
	strbuf_release(&heads);
}

static void decide_sqlx(struct foreign *f, const struct foreign_raw *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *v = norm_or_report(f, rows[i].version);
		if (v && !rows[i].ok) {
			problems_add(&f->problems, "failed", v,
				     "version %s (%s) failed: sqlx recorded it with success = false",
				     v, rows[i].label ? rows[i].label : "");
			free(v);
		} else if (v) {
			add_applied(f, v, &rows[i]);
		}
	}
}

/* TypeORM and dbmate: a row is an applied version, nothing more. */
static void decide_plain(struct foreign *f, const struct foreign_raw *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *v = norm_or_report(f, rows[i].version);
		if (v)
			add_applied(f, v, &rows[i]);
	}
}

static void decide_golang_migrate(struct foreign *f, const struct foreign_raw *rows, size_t n)
{
	char *v;

	if (!n)
		return;
	if (n > 1) {
		problems_add(&f->problems, "rows", NULL,
			     "%s holds %zu rows; golang-migrate keeps exactly one", table_shown(f), n);
		return;
	}
	if (!rows[0].ok) {
		problems_add(&f->problems, "dirty", rows[0].version,
			     "version %s is dirty: golang-migrate failed part-way through it",
			     rows[0].version);
		return;
	}
	v = norm_or_report(f, rows[0].version);
	if (!v)
		return;
	f->through = v;
	f->through_needs_file = true;
}

static void decide_goose(struct foreign *f, const struct foreign_raw *rows, size_t n)
{
	struct keyed *k = xcalloc(n ? n : 1, sizeof(*k));
	char **norm = xcalloc(n ? n : 1, sizeof(*norm));
	size_t nk = 0;

	for (size_t i = 0; i < n; i++) {
		norm[i] = norm_or_report(f, rows[i].version);
		/* version 0 is the row goose writes when it creates its table */
		if (norm[i] && strcmp(norm[i], "0"))
			k[nk++] = (struct keyed){ norm[i], i };
	}
	nk = latest_per_version(k, nk);
	for (size_t j = 0; j < nk; j++) {
		size_t i = k[j].i;
		if (rows[i].ok) {
			add_applied(f, norm[i], &rows[i]);
			norm[i] = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(norm[i]);
	free(norm);
	free(k);
}

static void decide_flyway(struct foreign *f, const struct foreign_raw *rows, size_t n)
{
	struct keyed *k = xcalloc(n ? n : 1, sizeof(*k));
	char **norm = xcalloc(n ? n : 1, sizeof(*norm));
	size_t nk = 0;

	for (size_t i = 0; i < n; i++) {
		const struct foreign_raw *r = &rows[i];
		const char *type = r->extra ? r->extra : "";
		if (!r->ok) {
			if (r->version)
				problems_add(&f->problems, "failed", r->version,
					     "version %s (%s) failed: Flyway recorded it with success = false",
					     r->version, r->label ? r->label : "");
			else
				problems_add(&f->problems, "failed", NULL,
					     "repeatable migration %s failed: Flyway recorded it with success = false",
					     r->label ? r->label : "");
			continue;
		}
		/* repeatable migrations have no version; SCHEMA marks the schema Flyway created */
		if (!r->version || !strcmp(type, "SCHEMA"))
			continue;
		norm[i] = flyway_version(r->version);
		if (!norm[i] && !reported(&f->problems, "bad_version", r->version)) {
			problems_add(&f->problems, "bad_version", r->version,
				     "Flyway version %s (%s) is not a whole number, and strata's versions are",
				     r->version, r->label ? r->label : "");
		}
		if (!norm[i])
			continue;
		k[nk++] = (struct keyed){ norm[i], i };
	}
	nk = latest_per_version(k, nk);
	for (size_t j = 0; j < nk; j++) {
		size_t i = k[j].i;
		const char *type = rows[i].extra ? rows[i].extra : "";
		if (!strcmp(type, "BASELINE")) {
			set_through(f, norm[i]);
		} else if (strcmp(type, "DELETE") && !str_starts(type, "UNDO")) {
			add_applied(f, norm[i], &rows[i]);
			norm[i] = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(norm[i]);
	free(norm);
	free(k);
}

static int cmp_applied(const void *a, const void *b)
{
	return version_cmp(((const struct foreign_applied *)a)->version,
			   ((const struct foreign_applied *)b)->version);
}

static void applied_release(struct foreign_applied *a)
{
	free(a->version);
	free(a->label);
	free(a->applied_at);
	free(a->checksum);
}

/* Version order, one entry per version ("1" and "001" are one). */
static void sort_unique(struct foreign *f)
{
	size_t kept = 0;

	if (f->nr > 1)
		qsort(f->a, f->nr, sizeof(*f->a), cmp_applied);
	for (size_t i = 0; i < f->nr; i++) {
		if (kept && !version_cmp(f->a[kept - 1].version, f->a[i].version)) {
			applied_release(&f->a[i]);
			continue;
		}
		f->a[kept++] = f->a[i];
	}
	f->nr = kept;
}

void foreign_decide(struct foreign *f, const struct foreign_raw *rows, size_t n)
{
	f->nr_rows = n;
	switch (f->tool) {
	case FT_ALEMBIC: decide_alembic(f, rows, n); break;
	case FT_SQLX: decide_sqlx(f, rows, n); break;
	case FT_TYPEORM:
	case FT_DBMATE: decide_plain(f, rows, n); break;
	case FT_GOLANG_MIGRATE: decide_golang_migrate(f, rows, n); break;
	case FT_GOOSE: decide_goose(f, rows, n); break;
	case FT_FLYWAY: decide_flyway(f, rows, n); break;
	}
	sort_unique(f);
}

/* --- reading ------------------------------------------------------------- */

/* Is there a '.' outside double quotes: "schema.name"? */
static bool has_schema(const char *s)
{
	bool quoted = false;
	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '.' && !quoted)
			return true;
	}
	return false;
}

/*
 * Find the table as the tool would: a qualified name as given, an
 * unqualified one through search_path. Sets f->table; fills 'oid'.
 */
static int find_table(struct db *db, const char *name, const char *strata_table,
		      struct foreign *f, char oid[16])
{
	const struct tool_info *ti = &tools[f->tool];
	char *schema = NULL, *table = NULL;
	struct strbuf q = STRBUF_INIT, shown = STRBUF_INIT;
	const char *params[2];
	struct pgerr e = { 0 };
	PGresult *r;
	int ret = 0;

	if (parse_table_name(name, &schema, &table)) {
		err_set_kind("usage");
		return error("invalid table name '%s' for --from-table", name);
	}
	if (has_schema(name)) {
		strbuf_add_ident(&q, schema);
		strbuf_addch(&q, '.');
	}
	strbuf_add_ident(&q, table);
	params[0] = q.buf;
	params[1] = strata_table;
	r = db_query_params(db,
		"SELECT c.oid, n.nspname, c.relname, "
		"c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($2) "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
		"ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
		"WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1)", 2, params, &e);
	if (!r) {
		pgerr_report(&e, "cannot look for the table");
		pgerr_release(&e);
		ret = -1;
	} else if (PQntuples(r) == 0) {
		err_set_kind("config");
		ret = error("no table %s in this database: %s has not migrated it (or keeps its history elsewhere)",
			    q.buf, ti->title);
		hint("name the table with --from-table [SCHEMA.]NAME when %s was told another one (%s)",
		     ti->title, ti->setting);
	} else if (!strcmp(PQgetvalue(r, 0, 3), "t")) {
		err_set_kind("config");
		ret = error("%s is strata's own history table, not %s's", q.buf, ti->title);
	} else {
		strbuf_add_ident(&shown, PQgetvalue(r, 0, 1));
		strbuf_addch(&shown, '.');
		strbuf_add_ident(&shown, PQgetvalue(r, 0, 2));
		f->table = strbuf_detach(&shown, NULL);
		snprintf(oid, 16, "%s", PQgetvalue(r, 0, 0));
	}
	if (r)
		PQclear(r);
	strbuf_release(&q);
	free(schema);
	free(table);
	return ret;
}

/*
 * The table must have the tool's columns; dbmate's and golang-migrate's
 * share a name, and only the 'dirty' column tells them apart.
 */
static int check_columns(struct db *db, struct foreign *f, const char *oid)
{
	const struct tool_info *ti = &tools[f->tool];
	const char *params[1] = { oid };
	struct strbuf missing = STRBUF_INIT;
	struct pgerr e = { 0 };
	bool dirty = false;
	PGresult *r;
	int ret = 0;

	r = db_query_params(db,
		"SELECT a.attname FROM pg_catalog.pg_attribute a "
		"WHERE a.attrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid "
		"AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped", 1, params, &e);
	if (!r) {
		pgerr_report(&e, "cannot read the columns of the table");
		pgerr_release(&e);
		return -1;
	}
	for (size_t c = 0; c < ARRAY_SIZE(ti->columns) && ti->columns[c]; c++) {
		bool found = false;
		for (int i = 0; i < PQntuples(r) && !found; i++)
			found = !strcmp(PQgetvalue(r, i, 0), ti->columns[c]);
		if (!found)
			strbuf_addf(&missing, "%s'%s'", missing.len ? ", " : "", ti->columns[c]);
	}
	for (int i = 0; i < PQntuples(r); i++)
		dirty |= !strcmp(PQgetvalue(r, i, 0), "dirty");
	PQclear(r);
	if (missing.len) {
		err_set_kind("config");
		ret = error("%s is not %s's history table: it has no column %s",
			    f->table, ti->title, missing.buf);
		if (f->tool == FT_GOLANG_MIGRATE && !dirty)
			hint("dbmate's schema_migrations has no 'dirty' column: --from dbmate?");
	} else if (f->tool == FT_DBMATE && dirty) {
		err_set_kind("config");
		ret = error("%s has a 'dirty' column: it is golang-migrate's history table, not dbmate's",
			    f->table);
		hint("use --from golang-migrate");
	}
	strbuf_release(&missing);
	return ret;
}

/* Timestamps as ISO 8601 UTC; one without a time zone is read in the session's. */
#define ISO(col) "pg_catalog.to_char((" col ")::pg_catalog.timestamptz AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* One query per tool, all giving (version, label, applied_at, ok, extra). */
static const struct {
	const char *select, *order;
} queries[] = {
	[FT_ALEMBIC] = { "SELECT version_num::pg_catalog.text, NULL, NULL, true, NULL", "" },
	[FT_SQLX] = { "SELECT version::pg_catalog.text, description, " ISO("installed_on") ", "
		"success, pg_catalog.encode(checksum, 'hex')", "" },
	[FT_TYPEORM] = { "SELECT \"timestamp\"::pg_catalog.text, name, NULL, true, NULL", " ORDER BY id" },
	[FT_DBMATE] = { "SELECT version::pg_catalog.text, NULL, NULL, true, NULL", "" },
	[FT_GOLANG_MIGRATE] = { "SELECT version::pg_catalog.text, NULL, NULL, NOT dirty, NULL", "" },
	[FT_GOOSE] = { "SELECT version_id::pg_catalog.text, NULL, " ISO("tstamp") ", is_applied, NULL",
		" ORDER BY id" },
	[FT_FLYWAY] = { "SELECT version::pg_catalog.text, script, " ISO("installed_on") ", success, "
		"type::pg_catalog.text", " ORDER BY installed_rank" },
};

static const char *val(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int foreign_read(struct db *db, const char *table, const char *strata_table,
		 struct foreign *f)
{
	struct strbuf sql = STRBUF_INIT;
	struct foreign_raw *rows;
	struct pgerr e = { 0 };
	char oid[16];
	PGresult *r;
	int n;

	if (find_table(db, table ? table : tools[f->tool].table, strata_table, f, oid) ||
	    check_columns(db, f, oid))
		return -1;
	strbuf_addf(&sql, "%s FROM %s%s", queries[f->tool].select, f->table,
		    queries[f->tool].order);
	r = db_query(db, sql.buf, &e);
	strbuf_release(&sql);
	if (!r) {
		pgerr_report(&e, "cannot read the history table of the other tool");
		pgerr_release(&e);
		return -1;
	}
	n = PQntuples(r);
	rows = xcalloc(n ? (size_t)n : 1, sizeof(*rows));
	for (int i = 0; i < n; i++) {
		rows[i].version = val(r, i, 0);
		rows[i].label = val(r, i, 1);
		rows[i].applied_at = val(r, i, 2);
		rows[i].ok = !strcmp(PQgetvalue(r, i, 3), "t");
		rows[i].extra = val(r, i, 4);
	}
	foreign_decide(f, rows, (size_t)n);
	free(rows);
	PQclear(r);
	return 0;
}

void foreign_release(struct foreign *f)
{
	for (size_t i = 0; i < f->nr; i++)
		applied_release(&f->a[i]);
	free(f->a);
	free(f->table);
	free(f->through);
	free(f->alembic_head);
	problems_release(&f->problems);
	memset(f, 0, sizeof(*f));
}

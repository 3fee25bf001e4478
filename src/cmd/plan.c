/*
 * plan.c - what the pending migrations (or the files given) will lock,
 * before they run: per statement, the lock from the lock table
 * (lint/locks.h) on each relation, resolved through the catalog (an index
 * to its table, a foreign key to both tables), how big each relation is
 * now, and who holds or waits for a conflicting lock right now.
 *
 * Read-only: one REPEATABLE READ READ ONLY transaction, no migration lock,
 * so it can run next to production traffic and next to a running 'up'.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../lint/locks.h"
#include "../sql/parse.h"
#include "../core/runner.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <fcntl.h>

/* A session holding or waiting for a lock on a relation plan touches. */
struct blocker {
	int pid;
	char *who;		/* "app@10.0.0.5" */
	char *state;		/* "idle in transaction" */
	long long secs;		/* in that state */
	enum lock_mode mode;
	bool granted;
};

/* A relation a statement locks, as the catalog knows it now. */
struct rel {
	char *oid;
	char *qname;		/* "public.users" */
	long long rows;		/* pg_class.reltuples, -1 when never analyzed */
	long long bytes;	/* pg_total_relation_size */
	struct blocker *b;
	size_t nr_b, alloc_b;
};

/* One claim of the lock table, on one relation (or on none found). */
struct hit {
	const struct lock_claim *c;
	enum lock_work work;	/* the claim's, or less when the catalog says so */
	const char *why;
	long rel;		/* index in planner.rels, or -1 */
	bool is_new;		/* created earlier in what is planned */
};

struct pstmt {
	const struct stmt_locks *sl;
	int line;
	char *first;		/* the statement's first line */
	struct hit *h;
	size_t nr, alloc;
};

enum verdict { V_SAFE, V_BLOCKS_WRITES, V_BLOCKS_ALL, V_REWRITES };

struct pmig {
	const char *version, *name;	/* NULL for a file given */
	struct script s;
	struct lock_list l;
	struct pstmt *st;
	size_t nr;
	enum verdict v;
	long long v_rows, v_bytes;
	bool v_scans;
	size_t unknown;
	char *v_text;
};

struct planner {
	struct app *app;
	struct rel *rels;
	size_t nr_rels, alloc_rels;
	struct pmig *m;
	size_t nr_m, alloc_m;
	/* relations created by what is planned so far: "schema.name" or "name" */
	char **created;
	size_t nr_created, alloc_created;
};

static const char *const via_names[] = {
	"name", "index", "fk_targets", "fk_linked", "fk_referrers", "view_sources",
	"fk_constraint",
};
static const char *const verdict_levels[] = { "safe", "blocks_writes", "blocks_reads_writes", "rewrites" };

/* ---- reading the statements --------------------------------------------- */

static int add_script(struct pmig *m)
{
	struct parse_error e;

	if (locks_of_sql(m->s.text, m->s.len, &m->l, &e)) {
		err_set_kind("files");
		error("%s: syntax error: %s", m->s.path, e.msg);
		script_show_location(&m->s, e.off);
		free(e.msg);
		return -1;
	}
	m->st = xcalloc(m->l.nr ? m->l.nr : 1, sizeof(*m->st));
	m->nr = m->l.nr;
	for (size_t i = 0; i < m->l.nr; i++) {
		int col;
		m->st[i].sl = &m->l.s[i];
		script_position(&m->s, m->l.s[i].off, &m->st[i].line, &col, &m->st[i].first);
	}
	return 0;
}

static struct pmig *new_mig(struct planner *pl)
{
	struct pmig *m;

	ALLOC_GROW(pl->m, pl->nr_m + 1, pl->alloc_m);
	m = &pl->m[pl->nr_m++];
	memset(m, 0, sizeof(*m));
	return m;
}

/* The files named on the command line, relative to the current folder. */
static int read_files(struct planner *pl, char **files, size_t n)
{
	struct source dir = { 0 };

	dir.dir = ".";
	dir.dirfd = AT_FDCWD;
	dir.max_file_size = 256u << 20;
	for (size_t i = 0; i < n; i++) {
		struct pmig *m = new_mig(pl);
		if (script_read_file(&dir, files[i], &m->s)) {
			err_set_kind("files");
			return -1;
		}
		if (add_script(m))
			return -1;
	}
	return 0;
}

/* The migrations the history does not have yet, in version order. */
static int read_pending(struct planner *pl)
{
	struct app *app = pl->app;

	for (size_t i = 0; i < app->src.nr; i++) {
		struct migration *mg = &app->src.m[i];
		struct pmig *m;
		if (history_find(&app->hist, mg->version))
			continue;
		m = new_mig(pl);
		m->version = mg->version;
		m->name = mg->name;
		if (script_read(&app->src, mg, false, &m->s) || add_script(m))
			return -1;
	}
	return 0;
}

/* ---- the catalog -------------------------------------------------------- */

static void qualified(const struct lock_claim *c, struct strbuf *sb)
{
	if (c->schema) {
		strbuf_add_ident(sb, c->schema);
		strbuf_addch(sb, '.');
	}
	strbuf_add_ident(sb, c->name);
}

/* Index in pl->rels of relation 'oid', read from the catalog the first time. */
static long rel_of(struct planner *pl, const char *oid)
{
	const char *params[1] = { oid };
	struct pgerr e = { 0 };
	struct rel *r;
	PGresult *res;

	for (size_t i = 0; i < pl->nr_rels; i++)
		if (!strcmp(pl->rels[i].oid, oid))
			return (long)i;
	/*
	 * pg_total_relation_size() waits behind an ACCESS EXCLUSIVE lock held
	 * or queued by another session: then the size comes from relpages,
	 * which needs no lock, so that plan never queues behind a blocker.
	 */
	res = db_query_params(&pl->app->db,
		"SELECT n.nspname || '.' || c.relname, c.reltuples::bigint, "
		"CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'relation' "
		"  AND l.relation = c.oid AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid()) "
		"THEN (SELECT coalesce(sum(x.relpages), 0)::bigint FROM pg_catalog.pg_class x WHERE x.oid = c.oid "
		"  OR x.oid = c.reltoastrelid OR x.oid IN (SELECT indexrelid FROM pg_catalog.pg_index WHERE indrelid = c.oid)) "
		"  * current_setting('block_size')::bigint "
		"ELSE pg_catalog.pg_total_relation_size(c.oid) END "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.oid = $1::oid", 1, params, &e);
	if (!res) {
		pgerr_report(&e, "reading the size of a relation");
		pgerr_release(&e);
		return -2;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -1;
	}
	ALLOC_GROW(pl->rels, pl->nr_rels + 1, pl->alloc_rels);
	r = &pl->rels[pl->nr_rels++];
	memset(r, 0, sizeof(*r));
	r->oid = xstrdup(oid);
	r->qname = xstrdup(PQgetvalue(res, 0, 0));
	r->rows = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	r->bytes = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	return (long)pl->nr_rels - 1;
}

/* The catalog query that turns a name into the relations locked. */
static const char *via_query(enum lock_via via)
{
	switch (via) {
	case VIA_NAME:
		return "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)";
	case VIA_INDEX:
		return "SELECT i.indrelid FROM pg_catalog.pg_index i WHERE i.indexrelid = pg_catalog.to_regclass($1)";
	case VIA_FK_TARGETS:
		return "SELECT DISTINCT confrelid FROM pg_catalog.pg_constraint WHERE contype = 'f' "
		       "AND conrelid = pg_catalog.to_regclass($1) AND confrelid <> conrelid";
	case VIA_FK_REFERRERS:
		return "SELECT DISTINCT conrelid FROM pg_catalog.pg_constraint WHERE contype = 'f' "
		       "AND confrelid = pg_catalog.to_regclass($1) AND confrelid <> conrelid";
	case VIA_FK_LINKED:
		return "SELECT confrelid FROM pg_catalog.pg_constraint WHERE contype = 'f' "
		       "AND conrelid = pg_catalog.to_regclass($1) AND confrelid <> conrelid UNION "
		       "SELECT conrelid FROM pg_catalog.pg_constraint WHERE contype = 'f' "
		       "AND confrelid = pg_catalog.to_regclass($1) AND confrelid <> conrelid";
	case VIA_VIEW_SOURCES:
		/* the rewriter expands views in views: follow their rules down */
		return "WITH RECURSIVE src(oid) AS ("
		       "SELECT d.refobjid FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d "
		       "ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid "
		       "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		       "WHERE r.ev_class = pg_catalog.to_regclass($1) AND d.refobjid <> r.ev_class "
		       "UNION SELECT d.refobjid FROM src JOIN pg_catalog.pg_rewrite r ON r.ev_class = src.oid "
		       "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
		       "AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		       "AND d.refobjid <> r.ev_class) "
		       "SELECT DISTINCT s.oid FROM src s JOIN pg_catalog.pg_class c ON c.oid = s.oid "
		       "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')";
	case VIA_FK_CONSTRAINT:
		return "SELECT confrelid FROM pg_catalog.pg_constraint WHERE contype = 'f' "
		       "AND conrelid = pg_catalog.to_regclass($1) AND conname = $2 AND confrelid <> conrelid";
	}
	return NULL;
}

static bool was_created(const struct planner *pl, const char *qname)
{
	for (size_t i = 0; i < pl->nr_created; i++)
		if (!strcmp(pl->created[i], qname))
			return true;
	return false;
}

static void add_hit(struct pstmt *st, const struct lock_claim *c, long rel, bool is_new)
{
	ALLOC_GROW(st->h, st->nr + 1, st->alloc);
	st->h[st->nr].c = c;
	st->h[st->nr].work = c->work;
	st->h[st->nr].why = c->why;
	st->h[st->nr].rel = rel;
	st->h[st->nr].is_new = is_new;
	st->nr++;
}

/*
 * Does the type change of claim 'c' on relation 'qname' keep the data as
 * it is? The same type with a longer varchar or a wider numeric (same
 * scale), or a binary cast (pg_cast method 'b') to a type without typmod:
 * ATColumnChangeRequiresRewrite() then finds nothing to do per row.
 * 1 yes, 0 no (or not known), -1 after a server error.
 */
static int type_change_in_place(struct planner *pl, const char *qname,
				const struct lock_claim *c)
{
	const char *params[3] = { qname, c->column, c->new_type };
	struct pgerr e = { 0 };
	PGresult *res;
	int ret = 0;

	if (c->new_typmod == -2)
		return 0;
	res = db_query_params(&pl->app->db,
		"SELECT a.atttypid = t.oid, a.atttypmod, t.typname, "
		"EXISTS (SELECT 1 FROM pg_catalog.pg_cast k WHERE k.castsource = a.atttypid "
		"AND k.casttarget = t.oid AND k.castmethod = 'b') "
		"FROM pg_catalog.pg_attribute a, pg_catalog.pg_type t "
		"WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2 "
		"AND NOT a.attisdropped AND t.oid = pg_catalog.to_regtype($3)", 3, params, &e);
	if (!res) {
		pgerr_report(&e, "reading a column's type");
		pgerr_release(&e);
		return -1;
	}
	if (PQntuples(res) == 1) {
		bool same = !strcmp(PQgetvalue(res, 0, 0), "t");
		int old = atoi(PQgetvalue(res, 0, 1)), mod = c->new_typmod;
		const char *type = PQgetvalue(res, 0, 2);
		bool binary = !strcmp(PQgetvalue(res, 0, 3), "t");
		if (same && mod == old)
			ret = 1;	/* nothing changes */
		else if (same && !strcmp(type, "varchar"))
			ret = mod == -1 || (old >= 0 && mod > old);
		else if (same && !strcmp(type, "numeric"))
			ret = mod == -1 || (old >= 0 && mod > old &&
					    ((mod - 4) & 0xffff) == ((old - 4) & 0xffff));
		else if (!same)
			ret = binary && mod == -1;
	}
	PQclear(res);
	return ret;
}

/* Resolve one claim into hits; 0, or -1 after a server error. */
static int resolve_claim(struct planner *pl, struct pstmt *st, const struct lock_claim *c)
{
	struct strbuf name = STRBUF_INIT;
	const char *params[2];
	struct pgerr e = { 0 };
	PGresult *res;
	int found = 0;

	qualified(c, &name);
	params[0] = name.buf;
	params[1] = c->constraint ? c->constraint : "";
	res = db_query_params(&pl->app->db, via_query(c->via),
			      c->via == VIA_FK_CONSTRAINT ? 2 : 1, params, &e);
	if (!res) {
		pgerr_report(&e, "resolving a relation name");
		pgerr_release(&e);
		strbuf_release(&name);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		long r = rel_of(pl, PQgetvalue(res, i, 0));
		if (r == -2) {
			PQclear(res);
			strbuf_release(&name);
			return -1;
		}
		if (r >= 0)
			add_hit(st, c, r, false), found++;
		if (r >= 0 && c->new_type && c->work == WORK_REWRITE) {
			int same = type_change_in_place(pl, name.buf, c);
			if (same < 0) {
				PQclear(res);
				strbuf_release(&name);
				return -1;
			}
			if (same) {
				st->h[st->nr - 1].work = WORK_CATALOG;
				st->h[st->nr - 1].why = "the new type is binary-coercible: no rewrite";
			}
		}
	}
	PQclear(res);
	/* a name the catalog lacks: created earlier in the plan, or missing */
	if (!found && c->via == VIA_NAME)
		add_hit(st, c, -1, was_created(pl, name.buf));
	strbuf_release(&name);
	return 0;
}

static void note_created(struct planner *pl, const struct stmt_locks *sl)
{
	struct strbuf sb = STRBUF_INIT;
	struct lock_claim c = { 0 };

	if (!sl->created)
		return;
	c.schema = sl->created_schema;
	c.name = sl->created_name;
	qualified(&c, &sb);
	ALLOC_GROW(pl->created, pl->nr_created + 1, pl->alloc_created);
	pl->created[pl->nr_created++] = strbuf_detach(&sb, NULL);
}

/*
 * A SET search_path of the migration, run in plan's own transaction (it
 * only changes a setting, and ROLLBACK undoes it), so that the names after
 * it are found where the migration will find them. 0 or -1 (reported).
 */
static int follow_search_path(struct planner *pl, const struct pmig *m,
			      const struct stmt_locks *sl)
{
	char *sql = xstrndup(m->s.text + sl->off, sl->len ? sl->len : m->s.len - sl->off);
	struct pgerr e = { 0 };
	int ret = db_command(&pl->app->db, sql, &e);

	if (ret) {
		pgerr_report(&e, "following the migration's SET search_path");
		pgerr_release(&e);
	}
	free(sql);
	return ret ? -1 : 0;
}

static int resolve_all(struct planner *pl)
{
	for (size_t i = 0; i < pl->nr_m; i++) {
		struct pmig *m = &pl->m[i];
		for (size_t k = 0; k < m->nr; k++) {
			const struct stmt_locks *sl = m->st[k].sl;
			if (sl->sets_search_path && follow_search_path(pl, m, sl))
				return -1;
			for (size_t c = 0; c < sl->nr; c++)
				if (resolve_claim(pl, &m->st[k], &sl->claims[c]))
					return -1;
			note_created(pl, sl);
		}
	}
	return 0;
}

/* ---- who is in the way now ---------------------------------------------- */

static void add_blocker(struct rel *r, PGresult *res, int row)
{
	struct blocker *b;
	const char *user = PQgetvalue(res, row, 2), *client = PQgetvalue(res, row, 3);

	ALLOC_GROW(r->b, r->nr_b + 1, r->alloc_b);
	b = &r->b[r->nr_b++];
	b->pid = atoi(PQgetvalue(res, row, 1));
	b->who = xasprintf("%s@%s", user[0] ? user : "?", client[0] ? client : "local");
	b->state = xstrdup(PQgetvalue(res, row, 4));
	b->secs = strtoll(PQgetvalue(res, row, 5), NULL, 10);
	b->mode = lock_mode_from_pg(PQgetvalue(res, row, 6));
	b->granted = !strcmp(PQgetvalue(res, row, 7), "t");
}

/* Every other session's relation locks (held or awaited) on the relations
 * touched: pg_locks joined with pg_stat_activity. */
static int read_blockers(struct planner *pl)
{
	struct strbuf oids = STRBUF_INIT;
	const char *params[1];
	struct pgerr e = { 0 };
	PGresult *res;

	if (!pl->nr_rels)
		return 0;
	strbuf_addch(&oids, '{');
	for (size_t i = 0; i < pl->nr_rels; i++)
		strbuf_addf(&oids, "%s%s", i ? "," : "", pl->rels[i].oid);
	strbuf_addch(&oids, '}');
	params[0] = oids.buf;
	res = db_query_params(&pl->app->db,
		"SELECT l.relation::text, l.pid, coalesce(a.usename, ''), coalesce(host(a.client_addr), ''), "
		"coalesce(a.state, 'unknown'), "
		"coalesce(extract(epoch FROM now() - coalesce(a.state_change, a.xact_start, a.backend_start))::bigint, 0), "
		"l.mode, l.granted "
		"FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'relation' AND l.relation = ANY($1::oid[]) "
		"AND l.pid <> pg_catalog.pg_backend_pid() ORDER BY l.pid, l.relation", 1, params, &e);
	strbuf_release(&oids);
	if (!res) {
		pgerr_report(&e, "reading pg_locks");
		pgerr_release(&e);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++)
		for (size_t k = 0; k < pl->nr_rels; k++)
			if (!strcmp(pl->rels[k].oid, PQgetvalue(res, i, 0)))
				add_blocker(&pl->rels[k], res, i);
	PQclear(res);
	return 0;
}

/* "3 min", the way a person reads a duration. */
static void add_duration(struct strbuf *sb, long long s)
{
	if (s < 120)
		strbuf_addf(sb, "%lld s", s);
	else if (s < 7200)
		strbuf_addf(sb, "%lld min", s / 60);
	else
		strbuf_addf(sb, "%lld h", s / 3600);
}

/* "pid 4711 (app@10.0.0.5), idle in transaction for 3 min, holds AccessShareLock on public.users" */
static char *blocker_text(const struct blocker *b, const struct rel *r)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "pid %d (%s), %s for ", b->pid, b->who, b->state);
	add_duration(&sb, b->secs);
	strbuf_addf(&sb, ", %s %s on %s", b->granted ? "holds" : "waits for",
		    lock_mode_pg_name(b->mode), r->qname);
	return strbuf_detach(&sb, NULL);
}

/* ---- the verdict -------------------------------------------------------- */

static void add_size(struct strbuf *sb, long long bytes)
{
	if (bytes >= 1024LL * 1024 * 1024)
		strbuf_addf(sb, "%.1f GB", (double)bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024LL * 1024)
		strbuf_addf(sb, "%lld MB", bytes / (1024 * 1024));
	else
		strbuf_addf(sb, "%lld kB", (bytes + 1023) / 1024);
}

/*
 * The worst of the migration's statements on relations that exist now
 * (new ones have no traffic): rewrites > blocks reads and writes >
 * blocks writes > safe.
 */
static void judge(const struct planner *pl, struct pmig *m)
{
	struct strbuf sb = STRBUF_INIT;
	long long rows_w = 0, rows_all = 0, bytes = 0;
	bool scans_w = false, never_analyzed = false;
	bool *seen = xcalloc(pl->nr_rels + 1, sizeof(bool));

	m->v = V_SAFE;
	for (size_t k = 0; k < m->nr; k++) {
		const struct pstmt *st = &m->st[k];
		if (!st->sl->known)
			m->unknown++;
		for (size_t i = 0; i < st->nr; i++) {
			const struct hit *h = &st->h[i];
			const struct rel *r;
			long long rows;
			bool blocks_w;
			if (h->rel < 0)
				continue;
			r = &pl->rels[h->rel];
			rows = r->rows > 0 ? r->rows : 0;
			blocks_w = lock_conflicts(h->c->mode, LOCK_ROW_EXCLUSIVE);
			if (blocks_w && h->work >= WORK_SCAN && r->rows < 0)
				never_analyzed = true;
			if (h->work == WORK_REWRITE) {
				m->v = V_REWRITES;
				/* a table rewritten twice is counted once */
				if (!seen[h->rel])
					bytes += r->bytes;
				seen[h->rel] = true;
			}
			if (h->c->mode == LOCK_ACCESS_EXCLUSIVE) {
				if (m->v < V_BLOCKS_ALL)
					m->v = V_BLOCKS_ALL;
				if (h->work >= WORK_SCAN && rows >= rows_all)
					rows_all = rows, m->v_scans = true;
			} else if (blocks_w) {
				if (m->v < V_BLOCKS_WRITES)
					m->v = V_BLOCKS_WRITES;
				if (h->work >= WORK_SCAN && rows >= rows_w)
					rows_w = rows, scans_w = true;
			}
		}
	}
	switch (m->v) {
	case V_SAFE:
		strbuf_addstr(&sb, "safe: takes no lock that blocks reads or writes");
		break;
	case V_BLOCKS_WRITES:
		/* a catalog-only change holds its lock for a moment */
		if (scans_w)
			strbuf_addf(&sb, "blocks writes for ~%lld rows", rows_w);
		else
			strbuf_addstr(&sb, "blocks writes (catalog only: brief once granted)");
		m->v_rows = rows_w;
		break;
	case V_BLOCKS_ALL:
		if (m->v_scans)
			strbuf_addf(&sb, "blocks reads and writes for ~%lld rows", rows_all);
		else
			strbuf_addstr(&sb, "blocks reads and writes (catalog only: brief once granted)");
		m->v_rows = rows_all;
		break;
	case V_REWRITES:
		strbuf_addstr(&sb, "rewrites ");
		add_size(&sb, bytes);
		strbuf_addstr(&sb, " (blocks reads and writes)");
		m->v_bytes = bytes;
		break;
	}
	if (never_analyzed && m->v != V_SAFE)
		strbuf_addstr(&sb, "; row counts unknown for tables never analyzed");
	if (m->unknown)
		strbuf_addf(&sb, "; %zu statement%s of a kind the lock table does not know",
			    m->unknown, m->unknown == 1 ? "" : "s");
	m->v_text = strbuf_detach(&sb, NULL);
	free(seen);
}

/* ---- output ------------------------------------------------------------- */

static const char *mig_label(const struct pmig *m)
{
	return m->s.path;
}

static void json_hit(struct json *j, const struct planner *pl, const struct hit *h)
{
	const struct rel *r = h->rel >= 0 ? &pl->rels[h->rel] : NULL;
	struct strbuf w = STRBUF_INIT;

	qualified(h->c, &w);
	json_obj_begin(j);
	json_kstr(j, "relation", r ? r->qname : NULL);
	json_kstr(j, "written", w.buf);
	json_kstr(j, "via", via_names[h->c->via]);
	json_kbool(j, "maybe", h->c->maybe);
	json_kstr(j, "mode", lock_mode_name(h->c->mode));
	json_kstr(j, "pg_mode", lock_mode_pg_name(h->c->mode));
	json_kstr(j, "work", lock_work_name(h->work));
	json_kstr(j, "why", h->why);
	json_kbool(j, "exists", r != NULL);
	json_kbool(j, "new", h->is_new);
	if (r && r->rows >= 0)
		json_kint(j, "rows", r->rows);
	else
		json_kstr(j, "rows", NULL);
	if (r)
		json_kint(j, "bytes", r->bytes);
	else
		json_kstr(j, "bytes", NULL);
	json_key(j, "blockers");
	json_arr_begin(j);
	for (size_t i = 0; r && i < r->nr_b; i++) {
		const struct blocker *b = &r->b[i];
		char *text;
		if (!lock_conflicts(h->c->mode, b->mode))
			continue;
		text = blocker_text(b, r);
		json_obj_begin(j);
		json_kint(j, "pid", b->pid);
		json_kstr(j, "who", b->who);
		json_kstr(j, "state", b->state);
		json_kint(j, "seconds", b->secs);
		json_kstr(j, "mode", lock_mode_pg_name(b->mode));
		json_kbool(j, "granted", b->granted);
		json_kstr(j, "text", text);
		json_obj_end(j);
		free(text);
	}
	json_arr_end(j);
	json_obj_end(j);
	strbuf_release(&w);
}

static void json_mig(struct json *j, const struct planner *pl, const struct pmig *m)
{
	json_obj_begin(j);
	json_kstr(j, "version", m->version);
	json_kstr(j, "name", m->name);
	json_kstr(j, "file", m->s.path);
	json_key(j, "verdict");
	json_obj_begin(j);
	json_kstr(j, "level", verdict_levels[m->v]);
	json_kstr(j, "text", m->v_text);
	json_kint(j, "rows", m->v_rows);
	json_kint(j, "bytes", m->v_bytes);
	json_kint(j, "unknown_statements", (long long)m->unknown);
	json_obj_end(j);
	json_key(j, "statements");
	json_arr_begin(j);
	for (size_t k = 0; k < m->nr; k++) {
		const struct pstmt *st = &m->st[k];
		json_obj_begin(j);
		json_kint(j, "line", st->line);
		json_kstr(j, "first_line", st->first);
		json_kstr(j, "kind", st->sl->kind);
		json_kbool(j, "known", st->sl->known);
		json_key(j, "locks");
		json_arr_begin(j);
		for (size_t i = 0; i < st->nr; i++)
			json_hit(j, pl, &st->h[i]);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void print_json(const struct planner *pl)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "database", pl->app->ci.display);
	json_key(&j, "migrations");
	json_arr_begin(&j);
	for (size_t i = 0; i < pl->nr_m; i++)
		json_mig(&j, pl, &pl->m[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

static const char *verdict_color(enum verdict v)
{
	return v == V_SAFE ? c_green() : v == V_BLOCKS_WRITES ? c_yellow() : c_red();
}

/* One row of the table: the statement's columns only on its first row. */
static void print_row(const struct planner *pl, const struct pstmt *st, const struct hit *h,
		      bool first)
{
	const struct rel *r = h && h->rel >= 0 ? &pl->rels[h->rel] : NULL;
	struct strbuf on = STRBUF_INIT, size = STRBUF_INIT, rows = STRBUF_INIT;
	char line[16] = "";
	const char *lock = !st->sl->known ? "unknown" : h ? lock_mode_name(h->c->mode) : "none";

	if (first)
		snprintf(line, sizeof(line), "%d", st->line);
	if (h && r)
		strbuf_addstr(&on, r->qname);
	else if (h) {
		qualified(h->c, &on);
		strbuf_addstr(&on, h->is_new ? " (new)" : " (not found)");
	}
	if (r) {
		add_size(&size, r->bytes);
		if (r->rows >= 0)
			strbuf_addf(&rows, "%lld", r->rows);
		else
			strbuf_addstr(&rows, "?");
	}
	{
		struct strbuf row = STRBUF_INIT;
		strbuf_addf(&row, "  %-5s %-38.38s %-22s %-24s %-12s %10s %9s", line,
			    first ? st->first : "", lock, on.buf,
			    h ? lock_work_name(h->work) : "", rows.buf, size.buf);
		while (row.len && row.buf[row.len - 1] == ' ')
			strbuf_setlen(&row, row.len - 1);
		say("%s", row.buf);
		strbuf_release(&row);
	}
	for (size_t i = 0; r && i < r->nr_b; i++) {
		char *t;
		if (!lock_conflicts(h->c->mode, r->b[i].mode))
			continue;
		t = blocker_text(&r->b[i], r);
		say("        %sin the way now: %s%s", c_red(), t, c_reset());
		free(t);
	}
	strbuf_release(&on);
	strbuf_release(&size);
	strbuf_release(&rows);
}

static void print_text(const struct planner *pl)
{
	say("database: %s", pl->app->ci.display);
	if (!pl->nr_m)
		say("nothing pending");
	for (size_t i = 0; i < pl->nr_m; i++) {
		const struct pmig *m = &pl->m[i];
		say("%s", "");
		say("%s%s%s", c_bold(), mig_label(m), c_reset());
		say("%s  %-5s %-38s %-22s %-24s %-12s %10s %9s%s", c_bold(), "LINE", "STATEMENT",
		    "LOCK", "ON", "WORK", "ROWS", "SIZE", c_reset());
		for (size_t k = 0; k < m->nr; k++) {
			const struct pstmt *st = &m->st[k];
			if (!st->nr)
				print_row(pl, st, NULL, true);
			for (size_t h = 0; h < st->nr; h++)
				print_row(pl, st, &st->h[h], h == 0);
		}
		say("  verdict: %s%s%s", verdict_color(m->v), m->v_text, c_reset());
	}
}

static void planner_release(struct planner *pl)
{
	for (size_t i = 0; i < pl->nr_m; i++) {
		struct pmig *m = &pl->m[i];
		for (size_t k = 0; k < m->nr; k++) {
			free(m->st[k].first);
			free(m->st[k].h);
		}
		free(m->st);
		free(m->v_text);
		lock_list_release(&m->l);
		script_release(&m->s);
	}
	free(pl->m);
	for (size_t i = 0; i < pl->nr_rels; i++) {
		struct rel *r = &pl->rels[i];
		for (size_t k = 0; k < r->nr_b; k++) {
			free(r->b[k].who);
			free(r->b[k].state);
		}
		free(r->b);
		free(r->oid);
		free(r->qname);
	}
	free(pl->rels);
	for (size_t i = 0; i < pl->nr_created; i++)
		free(pl->created[i]);
	free(pl->created);
}

/* Connect, open the read-only snapshot, and gather everything. */
static int gather(struct planner *pl, char **files, size_t nr_files)
{
	struct app *app = pl->app;
	struct pgerr e = { 0 };

	app_connect_begin(app);
	if (!nr_files && app_load_source(app))
		return -1;
	if (nr_files && read_files(pl, files, nr_files))
		return -1;
	if (app_connect(app))
		return -1;
	/*
	 * Nothing plan asks takes a lock but the sizes, which are read without
	 * one when a session holds ACCESS EXCLUSIVE; the timeout is for the
	 * race where one takes it in between: plan fails rather than queue.
	 */
	if (db_command(&app->db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
		       "SET LOCAL lock_timeout = '5s'", &e)) {
		pgerr_report(&e, "starting a read-only transaction");
		pgerr_release(&e);
		return -1;
	}
	if (!nr_files && (app_read_history(app) || read_pending(pl)))
		return -1;
	if (resolve_all(pl) || read_blockers(pl))
		return -1;
	for (size_t i = 0; i < pl->nr_m; i++)
		judge(pl, &pl->m[i]);
	if (db_command(&app->db, "ROLLBACK", &e)) {
		pgerr_report(&e, "ending the read-only transaction");
		pgerr_release(&e);
		return -1;
	}
	return 0;
}

int cmd_plan(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	static const struct cmd_opt opts[] = { { NULL, 0, false, 0 } };
	struct planner pl = { 0 };
	char **files = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t nr_files = 0;
	const char *arg;
	int o, ret = EXIT_OK;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		if (o == -2) {
			free(files);
			return cmd_fail(app, EXIT_USAGE);
		}
		files[nr_files++] = (char *)arg;
	}
	pl.app = app;
	if (gather(&pl, files, nr_files))
		ret = cmd_fail(app, EXIT_FAIL);
	else if (out.json)
		print_json(&pl);
	else
		print_text(&pl);
	planner_release(&pl);
	free(files);
	return ret;
}

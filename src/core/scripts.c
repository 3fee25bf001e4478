#include "../compat.h"
#include "scripts.h"
#include "config.h"
#include "history.h"
#include "runner.h"
#include "source.h"
#include "../app.h"
#include "../db/conn.h"
#include "../sql/parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

/* Results strata's own statements produce before the script's (see runner.c). */
#define PREFIX_RESULTS 1
#define PREFIX_RESULTS_POOLER 4

/* Raised by the guard when another runner ran this script meanwhile. */
#define SQLSTATE_ALREADY_DONE "SA001"

static const char *kind_name(enum script_kind k)
{
	return k == KIND_SEED ? "seed" : "repeatable";
}

const char *script_label(const struct named_script *ns)
{
	static char buf[512];
	size_t n = strlen(ns->file);

	if (n > 4 && !strcmp(ns->file + n - 4, ".sql"))
		n -= 4;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, ns->file);
	return buf;
}

/* ---- the scripts table ------------------------------------------------ */

/*
 * "<history table>_scripts". A name that would pass PostgreSQL's 63 bytes
 * (and be cut silently, so that two long history names could share one
 * scripts table) keeps a shorter head of the history name and a hash of
 * all of it instead.
 */
static void table_name(const struct config *c, char name[64])
{
	size_t n = strlen(c->table);
	uint32_t h = 2166136261u;

	if (n + 8 <= 63) {
		snprintf(name, 64, "%s_scripts", c->table);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)c->table; *p; p++)
		h = (h ^ *p) * 16777619u;
	n = 63 - 8 - 9;
	while (n > 0 && ((unsigned char)c->table[n] & 0xc0) == 0x80)
		n--;	/* not inside a UTF-8 character */
	snprintf(name, 64, "%.*s_%08x_scripts", (int)n, c->table, (unsigned)h);
}

void scripts_qname(const struct config *c, struct strbuf *sb)
{
	char name[64];

	table_name(c, name);
	strbuf_add_ident(sb, c->schema);
	strbuf_addch(sb, '.');
	strbuf_add_ident(sb, name);
}

void scripts_create_sql(const struct config *c, struct strbuf *sb)
{
	if (strcmp(c->schema, "public")) {
		strbuf_addstr(sb, "CREATE SCHEMA IF NOT EXISTS ");
		strbuf_add_ident(sb, c->schema);
		strbuf_addstr(sb, ";\n");
	}
	strbuf_addstr(sb, "CREATE TABLE IF NOT EXISTS ");
	scripts_qname(c, sb);
	strbuf_addstr(sb,
		" (\n"
		"    kind text NOT NULL\n"
		"        CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['seed', 'repeatable'])),\n"
		"    name text NOT NULL,\n"
		"    checksum text NOT NULL,\n"
		"    applied_at timestamptz NOT NULL DEFAULT pg_catalog.now(),\n"
		"    duration_ms bigint,\n"
		"    runs integer NOT NULL DEFAULT 1,\n"
		"    applied_by text NOT NULL DEFAULT CURRENT_USER,\n"
		"    PRIMARY KEY (kind, name)\n"
		");\n");
}

static char *dupval(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

int scripts_read(struct db *db, const struct config *c, struct script_records *rec)
{
	struct strbuf sql = STRBUF_INIT, name = STRBUF_INIT;
	const char *params[1];
	struct pgerr e = { 0 };
	PGresult *r;

	memset(rec, 0, sizeof(*rec));
	scripts_qname(c, &name);
	params[0] = name.buf;
	r = db_query_params(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, params, &e);
	if (!r)
		goto fail;
	rec->exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!rec->exists) {
		strbuf_release(&name);
		return 0;
	}
	strbuf_addstr(&sql, "SELECT kind, name, checksum, "
		      "pg_catalog.to_char(pg_catalog.timezone('UTC', applied_at), "
		      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), duration_ms, runs FROM ");
	strbuf_addstr(&sql, name.buf);
	r = db_query(db, sql.buf, &e);
	strbuf_release(&sql);
	if (!r)
		goto fail;
	for (int i = 0; i < PQntuples(r); i++) {
		struct script_record *a;
		ALLOC_GROW(rec->a, rec->nr + 1, rec->alloc);
		a = &rec->a[rec->nr++];
		a->kind = dupval(r, i, 0);
		a->name = dupval(r, i, 1);
		a->checksum = dupval(r, i, 2);
		a->applied_at = dupval(r, i, 3);
		a->duration_ms = PQgetisnull(r, i, 4) ? -1 : atoll(PQgetvalue(r, i, 4));
		a->runs = atoi(PQgetvalue(r, i, 5));
	}
	PQclear(r);
	strbuf_release(&name);
	return 0;
fail:
	pgerr_report(&e, "cannot read the scripts table");
	if (e.sqlstate && !strcmp(e.sqlstate, "42703"))
		hint("%s does not look like strata's scripts table", name.buf);
	pgerr_release(&e);
	strbuf_release(&name);
	return -1;
}

void scripts_records_release(struct script_records *rec)
{
	for (size_t i = 0; i < rec->nr; i++) {
		free(rec->a[i].kind);
		free(rec->a[i].name);
		free(rec->a[i].checksum);
		free(rec->a[i].applied_at);
	}
	free(rec->a);
	memset(rec, 0, sizeof(*rec));
}

static const struct script_record *find_record(const struct script_records *rec,
					       enum script_kind kind, const char *name)
{
	for (size_t i = 0; rec && i < rec->nr; i++)
		if (!strcmp(rec->a[i].kind, kind_name(kind)) && !strcmp(rec->a[i].name, name))
			return &rec->a[i];
	return NULL;
}

/* ---- what to run ------------------------------------------------------ */

int script_plan_make(struct script_plan *sp, enum script_kind kind,
		     const struct source *dir, const struct script_records *rec,
		     const bool *pick, bool again)
{
	int bad = 0;

	memset(sp, 0, sizeof(*sp));
	sp->kind = kind;
	sp->dir = dir;
	sp->table_exists = rec && rec->exists;
	sp->jobs = xcalloc(dir->nr_scripts ? dir->nr_scripts : 1, sizeof(*sp->jobs));
	for (size_t i = 0; i < dir->nr_scripts; i++) {
		struct script_job *job;
		struct script s;
		if (pick && !pick[i])
			continue;
		job = &sp->jobs[sp->nr++];
		job->ns = &dir->scripts[i];
		if (script_read_file(dir, job->ns->file, &s)) {
			err_set_kind("files");
			bad = 1;
			script_release(&s);
			continue;
		}
		memcpy(job->checksum, s.checksum, sizeof(job->checksum));
		script_release(&s);
		job->rec = find_record(rec, kind, job->ns->name);
		job->state = !job->rec ? "pending" :
			     strcmp(job->rec->checksum, job->checksum) ? "changed" : "applied";
		job->run = again || strcmp(job->state, "applied");
		sp->nr_run += job->run;
	}
	return bad ? -1 : 0;
}

void script_plan_release(struct script_plan *sp)
{
	free(sp->jobs);
	memset(sp, 0, sizeof(*sp));
}

/*
 * Read and parse one script, and check that it can run in one
 * transaction with its record. 0, or -1 (reported, with file:line:col).
 */
static int load_checked(const struct script_plan *sp, const struct script_job *job,
			struct script *s, struct parsed *p)
{
	struct parse_error pe;
	const struct stmt *bad = NULL;

	memset(p, 0, sizeof(*p));
	if (script_read_file(sp->dir, job->ns->file, s)) {
		err_set_kind("files");
		return -1;
	}
	err_set_kind("files");	/* only an error() below sets it */
	if (sql_parse(s->text, s->len, p, &pe)) {
		error("%s: %s%s", s->path, pe.copy ? "" : "syntax error: ", pe.msg);
		script_show_location(s, pe.off);
		free(pe.msg);
		return -1;
	}
	for (size_t i = 0; i < p->nr && !bad; i++)
		if (p->stmts[i].cls != STMT_PLAIN)
			bad = &p->stmts[i];
	if (bad) {
		error("%s: %s in a %s: it runs in one transaction with its record", s->path,
		      bad->what, kind_name(sp->kind));
		script_show_location(s, bad->off);
		hint("remove %s from the file%s", bad->what, bad->cls == STMT_NO_TX ?
		     ", or make it a migration of its own" : "; strata opens and commits the transaction");
		return -1;
	}
	if (s->no_transaction) {
		error("%s: a %s always runs in one transaction with its record; '-- strata:no-transaction' does not apply",
		      s->path, kind_name(sp->kind));
		return -1;
	}
	return 0;
}

int script_check(const struct source *dir, const struct named_script *ns,
		 enum script_kind kind)
{
	struct script_plan sp = { 0 };
	struct script_job job = { 0 };
	struct script s;
	struct parsed p;
	int ret;

	sp.kind = kind;
	sp.dir = dir;
	job.ns = ns;
	ret = load_checked(&sp, &job, &s, &p);
	script_release(&s);
	parsed_release(&p);
	return ret;
}

int script_plan_check(struct script_plan *sp)
{
	int bad = 0;

	for (size_t i = 0; i < sp->nr; i++)
		if (sp->jobs[i].run && script_check(sp->dir, sp->jobs[i].ns, sp->kind))
			bad = 1;
	return bad ? -1 : 0;
}

/* ---- running ---------------------------------------------------------- */

static void dry_print(struct json *jsql, const char *sql)
{
	if (jsql) {
		json_str(jsql, sql);
		return;
	}
	fputs(sql, stdout);
	if (sql[0] && sql[strlen(sql) - 1] != '\n')
		fputc('\n', stdout);
}

/* 'name' as an SQL expression that no dollar quote can be broken by. */
static void add_hex_text(struct strbuf *sb, const char *name)
{
	strbuf_addstr(sb, "pg_catalog.convert_from(pg_catalog.decode('");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		strbuf_addf(sb, "%02x", *p);
	strbuf_addstr(sb, "', 'hex'), 'UTF8')");
}

/*
 * Behind a transaction pooler there is no session lock: the script's
 * transaction takes the transaction-scoped twin of the migration lock and
 * checks that nobody ran this script (as it is now) meanwhile; its
 * settings are made for the transaction.
 */
static void add_pooler_prefix(struct app *app, const struct script_plan *sp,
			      const struct script_job *job, bool again, struct strbuf *sb)
{
	struct config *c = &app->cfg;
	int k1, k2;

	history_lock_key(c, &k1, &k2);
	strbuf_addf(sb, "SELECT pg_catalog.set_config('lock_timeout', '%ldms', true);\n",
		    c->lock_wait_ms);
	strbuf_addf(sb, "DO $strata_guard$BEGIN\n"
		    "PERFORM pg_catalog.pg_advisory_xact_lock(%d, %d);\n", k1, k2);
	if (!again) {
		strbuf_addstr(sb, "IF EXISTS (SELECT 1 FROM ");
		scripts_qname(c, sb);
		strbuf_addf(sb, " WHERE kind OPERATOR(pg_catalog.=) '%s' AND name OPERATOR(pg_catalog.=) ",
			    kind_name(sp->kind));
		add_hex_text(sb, job->ns->name);
		strbuf_addf(sb, " AND checksum OPERATOR(pg_catalog.=) '%s') THEN\n"
			    "RAISE EXCEPTION 'this %s was run by another runner' USING ERRCODE = '%s';\n"
			    "END IF;\n", job->checksum, kind_name(sp->kind), SQLSTATE_ALREADY_DONE);
	}
	strbuf_addstr(sb, "END$strata_guard$;\n");
	strbuf_addf(sb, "SELECT pg_catalog.set_config('lock_timeout', '%ldms', true)",
		    c->lock_timeout_ms);
	if (app->db.server_version >= 140000)
		strbuf_addstr(sb, ", pg_catalog.set_config('client_connection_check_interval', '1s', true)");
	strbuf_addstr(sb, ";\n");
}

/* The record of a run: inserted the first time, updated after. */
static void add_record(struct app *app, const struct script_plan *sp,
		       const struct script_job *job, struct strbuf *sb)
{
	strbuf_addstr(sb, "INSERT INTO ");
	scripts_qname(&app->cfg, sb);
	strbuf_addf(sb, " AS r (kind, name, checksum, duration_ms) VALUES ('%s', ",
		    kind_name(sp->kind));
	strbuf_add_literal(sb, job->ns->name);
	strbuf_addf(sb, ", '%s', (EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() "
		    "OPERATOR(pg_catalog.-) pg_catalog.now()) OPERATOR(pg_catalog.*) 1000)::bigint)\n"
		    "ON CONFLICT (kind, name) DO UPDATE SET checksum = EXCLUDED.checksum, "
		    "applied_at = pg_catalog.now(), duration_ms = EXCLUDED.duration_ms, "
		    "applied_by = CURRENT_USER, runs = r.runs OPERATOR(pg_catalog.+) 1;\n",
		    job->checksum);
}

/*
 * The message of one script: BEGIN, (behind a pooler) the guard, the
 * script and its record, as one Query like a migration's; the COMMIT goes
 * alone once every statement succeeded. COPY data is cut out of the SQL
 * and fed through the COPY protocol; a dry run shows it inline.
 */
static void build_message(struct app *app, const struct script_plan *sp,
			  const struct script_job *job, bool again, bool dry_run,
			  const struct script *s, const struct parsed *p,
			  struct strbuf *sb, size_t *body, size_t *body_len)
{
	strbuf_addstr(sb, "BEGIN;\n");
	if (app->cfg.pooler)
		add_pooler_prefix(app, sp, job, again, sb);
	*body = sb->len;
	if (p->nr_copies && !dry_run)
		sql_strip_copy_data(p, s->text, s->len, sb);
	else
		strbuf_add(sb, s->text, s->len);
	*body_len = sb->len - *body;
	strbuf_addstr(sb, "\n;\n");
	add_record(app, sp, job, sb);
}

static int ensure_table(struct app *app, struct script_plan *sp, bool dry_run,
			struct json *jsql)
{
	struct strbuf sb = STRBUF_INIT;
	struct pgerr e = { 0 };
	bool failed = false;
	int k1, k2;

	if (sp->table_exists)
		return 0;
	history_lock_key(&app->cfg, &k1, &k2);
	strbuf_addf(&sb, "BEGIN;\nSELECT pg_catalog.pg_advisory_xact_lock(%d, %d);\n", k1, k2);
	scripts_create_sql(&app->cfg, &sb);
	strbuf_addstr(&sb, "COMMIT;\n");
	if (dry_run) {
		dry_print(jsql, sb.buf);
	} else {
		db_run(&app->db, sb.buf, &e, &failed, NULL, NULL, NULL);
		if (failed) {
			if (PQtransactionStatus(app->db.conn) == PQTRANS_INERROR)
				db_command(&app->db, "ROLLBACK", &e);
			pgerr_report(&e, "cannot create the scripts table");
		} else {
			sp->table_exists = true;
		}
	}
	pgerr_release(&e);
	strbuf_release(&sb);
	return failed ? -1 : 0;
}

struct progress {
	char label[600];
};

static const char *progress_label(int done, void *data)
{
	(void)done;
	return ((struct progress *)data)->label;
}

/*
 * Where a failed script went wrong: PostgreSQL's error position (mapped
 * back through the message and the cut-out COPY data), else the line of
 * COPY data the server names, else the start of the failing statement.
 */
static void report_failure(const char *what, const struct script *s, const struct parsed *p,
			   const struct pgerr *e, int idx, const struct strbuf *msg,
			   size_t body, size_t body_len)
{
	size_t off = 0;
	bool have_off = false;

	if (e->position > 0) {
		size_t b = sql_char_to_byte(msg->buf, msg->len, e->position);
		if (b >= body && b < body + body_len) {
			off = sql_unstrip_offset(p, b - body);
			have_off = true;
		}
	}
	if (idx >= (int)p->nr)
		idx = -1;
	if (!have_off && idx >= 0 &&
	    sql_copy_error_offset(s->text, p, (size_t)idx, e->context, &off))
		have_off = true;
	if (!have_off && idx >= 0) {
		off = p->stmts[idx].off;
		have_off = true;
	}
	if (idx >= 0)
		last_err.statement = idx + 1;
	if (retryable_error(e)) {
		last_err.retryable = true;
		err_set_kind("lock");
	}
	if (e->conn_lost)
		last_err.retryable = true;
	pgerr_report(e, what);
	if (have_off)
		script_show_location(s, off);
	if (e->context && out.verbosity > 0)
		note("context: %s", e->context);
}

/* COMMIT, or what to say when it did not work. 0 or -1. */
static int commit(struct app *app, const char *label)
{
	struct pgerr e = { 0 };
	bool failed;

	db_run(&app->db, "COMMIT;\nRESET ALL", &e, &failed, NULL, NULL, NULL);
	if (failed) {
		char *what = xasprintf("%s failed at COMMIT", label);
		pgerr_report(&e, what);
		free(what);
		if (e.conn_lost)
			note("the connection was lost as it committed: whether it did shows in the scripts table (and, for a repeatable, in 'strata status')");
		else
			note("rolled back: %s is not recorded", label);
	}
	pgerr_release(&e);
	return failed ? -1 : 0;
}

/*
 * Run one script: send its message, feed its COPY data, and COMMIT after
 * every statement succeeded. Lock timeouts and deadlocks are retried as
 * for migrations. 0 (done, or found done by another runner), or -1.
 */
static int run_job(struct app *app, struct script_plan *sp, struct script_job *job,
		   bool dry_run, struct json *jsql)
{
	/* run although unchanged (--again): the guard must not skip it */
	bool again = !strcmp(job->state, "applied");
	struct script s;
	struct parsed p;
	struct strbuf msg = STRBUF_INIT;
	struct progress pr;
	char *what = NULL;
	int ret = -1, prefix = app->cfg.pooler ? PREFIX_RESULTS_POOLER : PREFIX_RESULTS;
	size_t body, body_len;

	snprintf(pr.label, sizeof(pr.label), "%s %s",
		 sp->kind == KIND_SEED ? "seed" : "repeatable migration", script_label(job->ns));
	if (load_checked(sp, job, &s, &p))
		goto out;
	if (strcmp(s.checksum, job->checksum)) {
		warning("%s changed while strata ran; running it as it is now", s.path);
		memcpy(job->checksum, s.checksum, sizeof(job->checksum));
	}
	build_message(app, sp, job, again, dry_run, &s, &p, &msg, &body, &body_len);
	if (dry_run) {
		if (!jsql)
			printf("-- %s %s (one transaction)\n", sp->kind == KIND_SEED ?
			       "seed" : "apply", script_label(job->ns));
		dry_print(jsql, msg.buf);
		dry_print(jsql, "COMMIT;\nRESET ALL;\n");
		ret = 0;
		goto out;
	}
	what = xasprintf("%s failed", pr.label);
	for (int attempt = 0;; attempt++) {
		struct pgerr e = { 0 };
		bool failed;
		double start = now_ms();
		int done;

		db_set_copy_data(&app->db, s.text, p.copies, p.nr_copies);
		done = db_run(&app->db, msg.buf, &e, &failed, NULL, &pr, progress_label);
		if (!failed) {
			pgerr_release(&e);
			if (commit(app, pr.label))
				break;
			job->done = true;
			job->ms = now_ms() - start;
			sp->nr_done++;
			say("  %s%-4s%s %s %s(%.0f ms)%s", c_green(),
			    sp->kind == KIND_SEED ? "seed" : "up", c_reset(),
			    script_label(job->ns), c_dim(), job->ms, c_reset());
			ret = 0;
			break;
		}
		if (!e.conn_lost) {
			struct pgerr e2 = { 0 };
			db_command(&app->db, "ROLLBACK", &e2);
			pgerr_release(&e2);
		}
		if (e.sqlstate && !strcmp(e.sqlstate, SQLSTATE_ALREADY_DONE)) {
			/* it is as if it had been unchanged from the start */
			say("  %sskip%s %s %s(run meanwhile by another strata)%s", c_dim(), c_reset(),
			    script_label(job->ns), c_dim(), c_reset());
			job->run = false;
			job->state = "applied";
			sp->nr_run--;
			pgerr_release(&e);
			ret = 0;
			break;
		}
		if (done < prefix && e.sqlstate && !strcmp(e.sqlstate, "55P03")) {
			err_set_kind("lock");
			error("could not get the migration lock within %ld ms", app->cfg.lock_wait_ms);
			hint("another strata is migrating this database; raise --lock-wait to wait longer");
			pgerr_release(&e);
			break;
		}
		if (interrupted) {
			err_set_kind("interrupted");
			error("interrupted: %s rolled back", pr.label);
			pgerr_release(&e);
			break;
		}
		if (retryable_error(&e) && attempt < app->cfg.lock_retries && !e.conn_lost) {
			long wait = retry_backoff_ms(attempt);
			warning("%s: %s (SQLSTATE %s); retrying in %.1f s (attempt %d of %d)",
				pr.label, e.msg, e.sqlstate, wait / 1000.0, attempt + 2,
				app->cfg.lock_retries + 1);
			pgerr_release(&e);
			sleep_ms(wait);
			if (!interrupted)
				continue;
			err_set_kind("interrupted");
			error("interrupted while waiting to retry %s", pr.label);
			break;
		}
		report_failure(what, &s, &p, &e, done - prefix, &msg, body, body_len);
		if (e.conn_lost)
			note("nothing was committed: %s is not recorded, and it is safe to run 'strata %s' again",
			     pr.label, app->command);
		else
			note("rolled back: %s is not recorded", pr.label);
		pgerr_release(&e);
		break;
	}
out:
	free(what);
	strbuf_release(&msg);
	script_release(&s);
	parsed_release(&p);
	return ret;
}

int script_plan_run(struct app *app, struct script_plan *sp, bool dry_run,
		    struct json *jsql)
{
	if (!sp->nr_run)
		return 0;
	if (ensure_table(app, sp, dry_run, jsql))
		return -1;
	for (size_t i = 0; i < sp->nr; i++) {
		struct script_job *job = &sp->jobs[i];
		if (!job->run) {
			/* a seed left alone is worth a line; an unchanged repeatable is not */
			if (sp->kind == KIND_SEED && dry_run && !jsql)
				printf("-- skip seed %s (unchanged)\n", script_label(job->ns));
			else if (sp->kind == KIND_SEED && !dry_run)
				say("  %sskip%s %s %s(unchanged)%s", c_dim(), c_reset(),
				    script_label(job->ns), c_dim(), c_reset());
			continue;
		}
		if (interrupted) {
			err_set_kind("interrupted");
			return error("interrupted before %s %s", kind_name(sp->kind),
				     script_label(job->ns));
		}
		if (run_job(app, sp, job, dry_run, jsql))
			return -1;
	}
	return 0;
}

void script_plan_json(const struct script_plan *sp, struct json *j, bool only_run)
{
	json_arr_begin(j);
	for (size_t i = 0; i < sp->nr; i++) {
		const struct script_job *job = &sp->jobs[i];
		if (only_run && !job->run)
			continue;
		json_obj_begin(j);
		json_kstr(j, "name", job->ns->name);
		json_kstr(j, "file", source_path(sp->dir, job->ns->file));
		json_kstr(j, "state", job->state);
		if (!only_run)
			json_kbool(j, "run", job->run);
		if (job->done)
			json_kint(j, "duration_ms", (long long)(job->ms + 0.5));
		else
			json_kstr(j, "duration_ms", NULL);
		json_obj_end(j);
	}
	json_arr_end(j);
}

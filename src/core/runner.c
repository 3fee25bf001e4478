#include "../compat.h"
#include "runner.h"
#include "config.h"
#include "history.h"
#include "../app.h"
#include "../db/conn.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <time.h>

/*
 * Results strata's own statements produce before the script's first:
 * BEGIN; behind a pooler also a set_config() SELECT, the guard and a second
 * set_config() (without a pooler, the settings are the session's own, from
 * the connection's startup options).
 */
#define PREFIX_RESULTS 1
#define PREFIX_RESULTS_POOLER 4

/*
 * The history row of an applied migration is written by a prepared
 * statement: the server parses and plans the INSERT once per run instead
 * of once per migration. Not behind a pooler, where the next transaction
 * may get a session that never saw the PREPARE.
 */
#define RECORD_STMT "strata_record_applied"

/* Raised by the guard when another runner got there first. */
#define SQLSTATE_ALREADY_DONE "SA001"

const char *step_label(const struct migration *m)
{
	static char buf[512];
	snprintf(buf, sizeof(buf), "%s_%s", m->raw_version, m->name);
	return buf;
}

void step_release(struct step *st)
{
	script_release(&st->s);
	parsed_release(&st->p);
}

/* "file:line:col", the line and a caret under the column. */
static void show_location(const struct script *s, size_t off)
{
	int line, col;
	char *text;
	struct strbuf caret = STRBUF_INIT;

	script_position(s, off, &line, &col, &text);
	note("  --> %s:%d:%d", s->path, line, col);
	note("     |");
	note("%4d | %s", line, text);
	for (int i = 1; i < col; i++)
		strbuf_addch(&caret, text[i - 1 < (int)strlen(text) ? i - 1 : 0] == '\t' ? '\t' : ' ');
	note("     | %s%s^%s", caret.buf, c_red(), c_reset());
	if (!last_err.file) {
		last_err.file = xstrdup(s->path);
		last_err.line = line;
		last_err.column = col;
	}
	strbuf_release(&caret);
	free(text);
}

/* Read the script of 'st' into st->s; 0 or -1 (reported). */
static int load_text(struct app *app, struct step *st)
{
	struct migration *m = st->m;

	if (script_read(&app->src, m, st->down, &st->s)) {
		err_set_kind("files");
		return -1;
	}
	if (st->down && !st->s.text) {
		err_set_kind("irreversible");
		error("migration %s has no down script: it cannot be reverted",
		      step_label(m));
		hint("add %s, or leave this migration applied", m->layout == LAYOUT_FOLDER ?
		     "down.sql to its folder" : m->layout == LAYOUT_SECTIONS ?
		     "a '-- migrate:down' section" : "a matching .down.sql file");
		return -1;
	}
	return 0;
}

/* Parse st->s and decide how it runs; 0 or -1 (reported). */
static int classify_step(struct app *app, struct step *st)
{
	struct migration *m = st->m;
	struct parse_error pe;

	parsed_release(&st->p);
	if (sql_parse(st->s.text, st->s.len, &st->p, &pe)) {
		err_set_kind("files");
		error("%s: %s%s", st->s.path, pe.copy ? "" : "syntax error: ", pe.msg);
		show_location(&st->s, pe.off);
		free(pe.msg);
		return -1;
	}
	if (st->p.nr_tx_control) {
		st->mode = RUN_OWN_TX;
	} else if (st->p.nr_no_tx && (st->s.no_transaction ||
				      st->p.nr_no_tx == st->p.nr)) {
		st->mode = RUN_NO_TX;
	} else if (st->p.nr_no_tx) {
		const struct stmt *bad = NULL;
		for (size_t i = 0; i < st->p.nr && !bad; i++)
			if (st->p.stmts[i].cls == STMT_NO_TX)
				bad = &st->p.stmts[i];
		err_set_kind("files");
		error("%s: %s cannot run inside a transaction, and this file has other statements",
		      st->s.path, bad->what);
		show_location(&st->s, bad->off);
		hint("put '-- strata:no-transaction' on the first line to run the file statement by statement, outside a transaction, or move %s to a migration of its own",
		     bad->what);
		return -1;
	} else if (st->s.no_transaction) {
		st->mode = RUN_NO_TX;
	} else {
		st->mode = RUN_TX;
	}
	if (st->mode != RUN_TX && app->cfg.pooler) {
		err_set_kind("config");
		error("%s runs outside a transaction, which strata cannot make safe through a transaction pooler",
		      step_label(m));
		hint("run this migration with a direct connection to the server (a -d URL that does not go through PgBouncer, without --pooler)");
		return -1;
	}
	return 0;
}

int step_prepare(struct app *app, struct migration *m, bool down,
		 struct step *st)
{
	memset(st, 0, sizeof(*st));
	st->m = m;
	st->down = down;
	if (load_text(app, st) || classify_step(app, st))
		return -1;
	memcpy(st->checksum, st->s.checksum, sizeof(st->checksum));
	st->nr_stmts = st->p.nr;
	return 0;
}

void step_unload(struct step *st)
{
	script_release(&st->s);
	parsed_release(&st->p);
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

void step_to_plan(const struct step *st, struct plan_step *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->m = st->m;
	ps->down = st->down;
	ps->mode = (unsigned char)st->mode;
	ps->start_at = st->start_at;
	ps->resuming = st->resuming;
	for (size_t i = 0; i < sizeof(ps->sum); i++)
		ps->sum[i] = (unsigned char)(hexval(st->checksum[2 * i]) << 4 |
					     hexval(st->checksum[2 * i + 1]));
}

/* The working form of a plan step: its script not read yet. */
static void step_from_plan(const struct plan_step *ps, struct step *st)
{
	memset(st, 0, sizeof(*st));
	st->m = ps->m;
	st->down = ps->down;
	st->mode = (enum run_mode)ps->mode;
	st->start_at = ps->start_at;
	st->resuming = ps->resuming;
	for (size_t i = 0; i < sizeof(ps->sum); i++) {
		st->checksum[2 * i] = "0123456789abcdef"[ps->sum[i] >> 4];
		st->checksum[2 * i + 1] = "0123456789abcdef"[ps->sum[i] & 15];
	}
	st->checksum[2 * sizeof(ps->sum)] = '\0';
}

/*
 * Read the script again to run it: the bytes that run are the bytes whose
 * checksum is recorded. A transactional script unchanged since it was
 * checked needs no second parse (statement positions are found only if it
 * fails); one that changed meanwhile is checked again.
 */
static int step_load(struct app *app, struct step *st)
{
	enum run_mode mode = st->mode;

	if (st->s.text || st->p.nr)
		return 0;
	if (load_text(app, st))
		return -1;
	if (mode == RUN_TX && !strncmp(st->s.checksum, st->checksum, 2 * PLAN_SUM_BYTES) &&
	    !sql_may_have_copy(st->s.text, st->s.len))
		return 0;
	if (classify_step(app, st))
		return -1;
	if (!st->resuming && st->mode != mode)
		warning("%s changed while strata ran; running it as it is now", st->s.path);
	if (st->resuming && st->mode == RUN_TX)
		st->mode = RUN_NO_TX;	/* resuming: statement by statement */
	return 0;
}

/* ---- the SQL strata adds -------------------------------------------- */

static void add_guard(struct run *r, struct step *st, struct strbuf *sb)
{
	struct config *c = &r->app->cfg;
	int k1, k2;

	history_lock_key(c, &k1, &k2);
	/*
	 * The guard makes each migration transaction safe on its own, even
	 * without the session lock (behind a transaction pooler): it takes
	 * the transaction-scoped twin of the lock, then checks that nobody
	 * applied (or reverted) this migration meanwhile.
	 */
	strbuf_addf(sb, "DO $strata_guard$BEGIN\n"
		    "PERFORM pg_catalog.pg_advisory_xact_lock(%d, %d);\n"
		    "IF %sEXISTS (SELECT 1 FROM ", k1, k2, st->down ? "NOT " : "");
	history_qname(c, sb);
	strbuf_addf(sb, " WHERE version OPERATOR(pg_catalog.=) '%s'%s) THEN\n"
		    "RAISE EXCEPTION 'migration %s was %s by another runner' USING ERRCODE = '%s';\n"
		    "END IF;\nEND$strata_guard$;\n",
		    st->m->version,
		    st->down ? " AND state OPERATOR(pg_catalog.=) 'applied'" : "",
		    st->m->version, st->down ? "reverted" : "applied",
		    SQLSTATE_ALREADY_DONE);
}

static void add_timeout(struct strbuf *sb, const char *name, long ms, bool local)
{
	strbuf_addf(sb, "SELECT pg_catalog.set_config('%s', '%ldms', %s);\n",
		    name, ms, local ? "true" : "false");
}

static void add_duration(struct strbuf *sb)
{
	strbuf_addstr(sb, "(EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() "
		      "OPERATOR(pg_catalog.-) pg_catalog.now()) "
		      "OPERATOR(pg_catalog.*) 1000)::bigint");
}

static bool record_is_prepared(const struct run *r)
{
	return r->dry_run ? r->dry_prepared : r->app->db.record_prepared;
}

/* Use the prepared INSERT for this step? */
static bool record_prepares(const struct run *r, const struct step *st)
{
	return !st->down && !r->app->cfg.pooler && !r->no_prepare;
}

static void add_prepare(struct run *r, struct strbuf *sb)
{
	strbuf_addstr(sb, "PREPARE " RECORD_STMT " (text, text, text) AS INSERT INTO ");
	history_qname(&r->app->cfg, sb);
	strbuf_addstr(sb, " (version, name, checksum, duration_ms) VALUES ($1, $2, $3, ");
	add_duration(sb);
	strbuf_addstr(sb, ");\n");
}

static void add_record(struct run *r, struct step *st, struct strbuf *sb)
{
	struct config *c = &r->app->cfg;

	if (record_prepares(r, st)) {
		strbuf_addf(sb, "EXECUTE " RECORD_STMT "('%s', ", st->m->version);
		strbuf_add_literal(sb, st->m->name);
		strbuf_addf(sb, ", '%s');\n", st->s.checksum);
		return;
	}
	if (st->down) {
		strbuf_addstr(sb, "DELETE FROM ");
		history_qname(c, sb);
		strbuf_addf(sb, " WHERE version OPERATOR(pg_catalog.=) '%s';\n",
			    st->m->version);
		return;
	}
	strbuf_addstr(sb, "INSERT INTO ");
	history_qname(c, sb);
	strbuf_addf(sb, " (version, name, checksum, duration_ms) VALUES ('%s', ",
		    st->m->version);
	strbuf_add_literal(sb, st->m->name);
	strbuf_addf(sb, ", '%s', ", st->s.checksum);
	add_duration(sb);
	strbuf_addstr(sb, ");\n");
}

/*
 * The first message of a transactional migration. Returns the byte offset
 * at which the script starts inside it.
 *
 * With the session lock held (the default), nobody else can be migrating,
 * and the history was read after taking it: the script follows BEGIN
 * directly, strata's settings being the session's (startup options, which
 * RESET ALL restores). Behind a pooler there is no session lock, so the
 * guard serialises runners first, waiting up to --lock-wait, and the
 * settings are made for the transaction.
 */
static size_t build_tx_message(struct run *r, struct step *st, struct strbuf *sb)
{
	struct config *c = &r->app->cfg;
	bool check = r->app->db.server_version >= 140000 || r->dry_run;
	size_t body;

	/*
	 * Once per session, before the first migration's BEGIN; a prepared
	 * statement outlives a rollback, so a failed migration keeps it.
	 */
	r->preparing = record_prepares(r, st) && !record_is_prepared(r);
	if (r->preparing) {
		add_prepare(r, sb);
		if (r->dry_run)
			r->dry_prepared = true;
	}
	strbuf_addstr(sb, "BEGIN;\n");
	if (c->pooler) {
		strbuf_addf(sb, "SELECT pg_catalog.set_config('lock_timeout', '%ldms', true);\n",
			    c->lock_wait_ms);
		add_guard(r, st, sb);
		strbuf_addf(sb, "SELECT pg_catalog.set_config('lock_timeout', '%ldms', true)",
			    c->lock_timeout_ms);
		if (check)
			strbuf_addstr(sb, ", pg_catalog.set_config('client_connection_check_interval', '1s', true)");
		if (c->search_schema) {
			/* --schema: no session default behind a pooler */
			struct strbuf id = STRBUF_INIT;
			strbuf_add_ident(&id, c->search_schema);
			strbuf_addstr(sb, ", pg_catalog.set_config('search_path', ");
			strbuf_add_literal(sb, id.buf);
			strbuf_addstr(sb, ", true)");
			strbuf_release(&id);
		}
		strbuf_addstr(sb, ";\n");
	}
	body = sb->len;
	/* COPY data goes through the COPY protocol; a dry run shows it inline */
	if (st->p.nr_copies && !r->dry_run)
		sql_strip_copy_data(&st->p, st->s.text, st->s.len, sb);
	else
		strbuf_add(sb, st->s.text, st->s.len);
	r->body_len = sb->len - body;
	/*
	 * A SET in the script ends with the script: RESET ALL inside the
	 * transaction, so that neither the history row nor the COMMIT (sent
	 * with the next message) runs under, say, statement_timeout = 1.
	 */
	strbuf_addstr(sb, "\n;\nRESET ALL;\n");
	add_record(r, st, sb);
	return body;
}

/* ---- error reporting ------------------------------------------------ */

static void strata_hint(const struct pgerr *e, const struct step *st)
{
	const char *s = e->sqlstate;
	if (!s)
		return;
	if (!strcmp(s, "42P07") || !strcmp(s, "42710") || !strcmp(s, "42701") ||
	    !strcmp(s, "42P06") || !strcmp(s, "42723")) {
		hint("the database already has this object. If it was built by hand or by another tool, record the migrations it already has as applied with 'strata stamp %s' (or an earlier version), then run 'strata up'",
		     st->m->raw_version);
	} else if (!strcmp(s, "42501")) {
		if (e->msg && strstr(e->msg, "extension"))
			hint("CREATE EXTENSION needs a superuser, or for a trusted extension the CREATE privilege on the database (GRANT CREATE ON DATABASE ... TO the migrating role); or have a superuser create the extension once");
		else
			hint("the role strata connects as lacks a privilege this migration needs; grant it, or run migrations as the schema's owner");
	} else if (!strcmp(s, "55P03")) {
		hint("another session holds a conflicting lock; find it with: SELECT pid, state, query FROM pg_stat_activity WHERE pid = ANY (pg_blocking_pids(<strata pid>)); or raise --lock-timeout (now %ld ms) / --lock-retries",
		     0L);
	} else if (!strcmp(s, "25001")) {
		hint("this statement cannot run inside a transaction; put '-- strata:no-transaction' on the first line of the file");
	} else if (!strcmp(s, "55P04")) {
		hint("a new enum value cannot be used in the transaction that added it; move ALTER TYPE ... ADD VALUE into a migration of its own");
	}
}

static void report_failure(struct run *r, const struct step *st, const struct pgerr *e,
			   int stmt_index, size_t err_off, bool have_off)
{
	char *what = xasprintf("migration %s failed", step_label(st->m));
	(void)r;

	/* a bad row of COPY data: the server names its line in the data */
	if (!have_off && stmt_index >= 0 &&
	    sql_copy_error_offset(st->s.text, &st->p, (size_t)stmt_index, e->context, &err_off))
		have_off = true;
	if (!last_err.migration)
		last_err.migration = xstrdup(st->m->version);
	if (stmt_index >= 0 && (size_t)stmt_index < st->p.nr) {
		last_err.statement = stmt_index + 1;
		pgerr_report(e, what);
		show_location(&st->s, have_off ? err_off : st->p.stmts[stmt_index].off);
	} else {
		pgerr_report(e, what);
	}
	if (e->context && out.verbosity > 0)
		note("context: %s", e->context);
	strata_hint(e, st);
	free(what);
}

static bool retryable(const struct pgerr *e)
{
	return e->sqlstate && (!strcmp(e->sqlstate, "55P03") ||
			       !strcmp(e->sqlstate, "40P01") ||
			       !strcmp(e->sqlstate, "40001"));
}

static long backoff_ms(int attempt)
{
	/* exponential with full jitter, capped: 0.5 s, 1 s, 2 s ... 10 s */
	long cap = 500L << (attempt < 5 ? attempt : 5);
	if (cap > 10000)
		cap = 10000;
	return cap / 2 + (long)(rand() % (int)(cap / 2 + 1));
}

/* ---- progress callbacks --------------------------------------------- */

struct progress {
	struct step *st;
	int prefix;	/* strata's statements before the script's; -1: one at a time */
	int index;	/* with prefix -1: the statement running */
	char label[768];
};

static const char *progress_label(int done, void *data)
{
	struct progress *p = data;
	int i = p->index;
	/*
	 * A transactional migration goes out as one message, and the server
	 * sends its results only at the end: which statement runs is known
	 * only when statements go one by one.
	 */
	(void)done;
	if (p->prefix < 0 && i >= 0 && (size_t)i < p->st->p.nr) {
		int line, col;
		script_position(&p->st->s, p->st->p.stmts[i].off, &line, &col, NULL);
		snprintf(p->label, sizeof(p->label), "%s: statement %d at line %d",
			 step_label(p->st->m), i + 1, line);
	} else {
		snprintf(p->label, sizeof(p->label), "%s", step_label(p->st->m));
	}
	return p->label;
}

/* ---- dry run --------------------------------------------------------- */

static void dry_print(struct run *r, const char *sql)
{
	if (out.json) {
		json_str(r->jsql, sql);
		return;
	}
	fputs(sql, stdout);
	if (sql[0] && sql[strlen(sql) - 1] != '\n')
		fputc('\n', stdout);
}

/* ---- transactional --------------------------------------------------- */

static void record_done(struct run *r, const struct step *st, double ms, bool tx)
{
	r->nr_done++;
	if (r->j) {
		json_obj_begin(r->j);
		json_kstr(r->j, "version", st->m->version);
		json_kstr(r->j, "name", st->m->name);
		if (!r->dry_run)
			json_kint(r->j, "duration_ms", (long long)(ms + 0.5));
		json_kbool(r->j, "transaction", tx);
		json_obj_end(r->j);
	}
	if (r->dry_run)
		return;
	say("  %s%-4s%s %s %s(%.0f ms)%s", st->down ? c_yellow() : c_green(),
	    st->down ? "down" : "up", c_reset(), step_label(st->m), c_dim(), ms, c_reset());
}

static int finish_unknown_commit(struct run *r, const struct step *st)
{
	/*
	 * The connection died after COMMIT was sent: the server may or may
	 * not have committed. The history row commits with the work, so it
	 * tells which.
	 */
	struct app *app = r->app;
	struct history h;
	struct applied *a;
	bool present;

	warning("connection lost while committing %s; reconnecting to find out whether it committed",
		step_label(st->m));
	if (db_reconnect(&app->db))
		return error("could not reconnect: the outcome of %s is unknown; run 'strata status' to see it",
			     step_label(st->m));
	if (history_read(&app->db, &app->cfg, &h))
		return -1;
	a = history_find(&h, st->m->version);
	present = a != NULL;
	history_release(&h);
	err_set_kind("connection");
	last_err.retryable = true;
	if (present != st->down) {
		error("connection lost after %s committed; it is recorded as %s",
		      step_label(st->m), st->down ? "reverted" : "applied");
	} else {
		error("connection lost: %s was rolled back; it is safe to run 'strata %s' again",
		      step_label(st->m), app->command);
	}
	return -1;
}

/*
 * The COMMIT of a migration goes out at the head of the next migration's
 * message ("COMMIT; BEGIN; ..."), or alone after the last one:
 * one round trip per migration, and still a COMMIT sent only once strata
 * has seen every statement of its migration succeed. If strata dies with
 * the next message in flight, that one has no COMMIT and rolls back.
 */
static void commit_done(struct run *r)
{
	record_done(r, r->pending, r->pending_ms, true);
	r->pending = NULL;
}

static void commit_failed(struct run *r, const struct pgerr *e)
{
	struct step *prev = r->pending;

	r->pending = NULL;
	if (e->conn_lost) {
		finish_unknown_commit(r, prev);
		return;
	}
	/* a deferred constraint fails at COMMIT */
	report_failure(r, prev, e, -1, 0, false);
	note("rolled back: %s is not %s", step_label(prev->m),
	     prev->down ? "reverted" : "applied");
}

static int tx_finish(struct run *r);

int runner_flush(struct run *r)
{
	struct pgerr e = { 0 };
	bool failed;

	if (tx_finish(r))
		return -1;
	if (!r->pending)
		return 0;
	if (r->dry_run) {
		dry_print(r, "COMMIT;\n");
		r->pending = NULL;
		return 0;
	}
	db_run(&r->app->db, "COMMIT", &e, &failed, NULL, NULL, NULL);
	if (failed)
		commit_failed(r, &e);
	else
		commit_done(r);
	pgerr_release(&e);
	return failed ? -1 : 0;
}

/* Put the message of transactional step 'st' on the wire. */
static void tx_send(struct run *r, struct step *st)
{
	strbuf_reset(&r->msg);
	r->with_commit = r->pending != NULL;
	if (r->with_commit)
		strbuf_addstr(&r->msg, "COMMIT;\n");
	r->body = build_tx_message(r, st, &r->msg);
	r->inflight = st;
	db_set_copy_data(&r->app->db, st->s.text, st->p.copies, st->p.nr_copies);
	db_send(&r->app->db, r->msg.buf);
}

/*
 * Wait for the results of the migration in flight and settle it: its
 * COMMIT is then owed (r->pending), or it failed, was rolled back and
 * reported. Retries lock timeouts and deadlocks. 0 or -1.
 */
static int tx_finish(struct run *r)
{
	struct app *app = r->app;
	struct step *st = r->inflight;
	int attempt = 0, ret = -1;

	if (!st)
		return 0;
	for (;;) {
		struct pgerr e = { 0 };
		bool failed;
		int prepare_at = r->with_commit ? 1 : 0;
		int prefix = (app->cfg.pooler ? PREFIX_RESULTS_POOLER : PREFIX_RESULTS) +
			     prepare_at + (r->preparing ? 1 : 0);
		struct progress pr = { st, prefix, 0, "" };
		int done = db_collect(&app->db, &e, &failed, NULL, &pr, progress_label);

		if (r->preparing && done > prepare_at)
			app->db.record_prepared = true;
		r->preparing = false;

		if (r->with_commit) {
			r->with_commit = false;
			if (failed && done == 0) {
				/* the previous migration's COMMIT: this one never ran */
				commit_failed(r, &e);
				pgerr_release(&e);
				break;
			}
			commit_done(r);
		}
		if (!failed) {
			r->pending = st;
			r->pending_ms = now_ms() - app->db.sent_ms;
			pgerr_release(&e);
			ret = 0;
			break;
		}
		if (!e.conn_lost) {
			struct pgerr e2 = { 0 };
			db_command(&app->db, "ROLLBACK", &e2);
			pgerr_release(&e2);
		}
		if (record_prepares(r, st) && done >= prefix + (int)st->p.nr &&
		    e.sqlstate && !strcmp(e.sqlstate, "26000")) {
			/*
			 * The script ran DEALLOCATE or DISCARD ALL (this one, or a
			 * migration run statement by statement before it): the same
			 * migration again, with plain INSERTs from now on.
			 */
			verbose("%s: the prepared history INSERT is gone (%s); running it again without it",
				step_label(st->m), e.msg);
			app->db.record_prepared = false;
			r->no_prepare = true;
			pgerr_release(&e);
			tx_send(r, st);
			continue;
		}
		if (e.sqlstate && !strcmp(e.sqlstate, SQLSTATE_ALREADY_DONE)) {
			r->nr_skipped++;
			verbose("%s was %s by another runner", step_label(st->m),
				st->down ? "reverted" : "applied");
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
			error("interrupted: %s rolled back", step_label(st->m));
			pgerr_release(&e);
			break;
		}
		if (retryable(&e) && attempt < app->cfg.lock_retries && !e.conn_lost) {
			long wait = backoff_ms(attempt);
			attempt++;
			warning("%s: %s (SQLSTATE %s); retrying in %.1f s (attempt %d of %d)",
				step_label(st->m), e.msg, e.sqlstate, wait / 1000.0,
				attempt + 1, app->cfg.lock_retries + 1);
			pgerr_release(&e);
			sleep_ms(wait);
			if (interrupted) {
				err_set_kind("interrupted");
				error("interrupted while waiting to retry %s", step_label(st->m));
				break;
			}
			tx_send(r, st);
			continue;
		}
		{
			int idx = done - prefix;
			size_t off = 0;
			bool have_off = false;
			if (!st->p.nr && st->s.len) {
				/* where the statements are: needed only now */
				struct parse_error pe;
				if (sql_parse(st->s.text, st->s.len, &st->p, &pe))
					free(pe.msg);
			}
			if (e.position > 0) {
				size_t b = sql_char_to_byte(r->msg.buf, r->msg.len, e.position);
				if (b >= r->body && b < r->body + r->body_len) {
					off = sql_unstrip_offset(&st->p, b - r->body);
					have_off = true;
				}
			}
			if (idx >= (int)st->p.nr)
				idx = -1;
			if (retryable(&e)) {
				last_err.retryable = true;
				err_set_kind("lock");
			}
			if (e.conn_lost)
				last_err.retryable = true;
			report_failure(r, st, &e, idx < 0 ? -1 : idx, off, have_off);
			if (e.conn_lost)
				note("nothing was committed: the migration is not recorded, and it is safe to run 'strata %s' again",
				     app->command);
			else
				note("rolled back: %s is not %s", step_label(st->m),
				     st->down ? "reverted" : "applied");
		}
		pgerr_release(&e);
		break;
	}
	r->inflight = NULL;
	step_unload(st);
	return ret;
}

/*
 * A transactional migration goes out and strata returns at once: the
 * next migration's file is read while the server runs this one, and
 * tx_finish() collects the results before anything else is sent.
 */
static int run_tx(struct run *r, struct step *st)
{
	if (r->dry_run) {
		struct strbuf msg = STRBUF_INIT;
		if (r->pending)
			strbuf_addstr(&msg, "COMMIT;\n");
		build_tx_message(r, st, &msg);
		dry_print(r, msg.buf);
		strbuf_release(&msg);
		record_done(r, st, 0, true);
		r->pending = st;
		step_unload(st);
		return 0;
	}
	tx_send(r, st);
	return 0;
}

/* ---- statement by statement ---------------------------------------- */

static int book(struct run *r, const char *sql)
{
	struct pgerr e = { 0 };
	bool failed;

	if (r->dry_run) {
		dry_print(r, sql);
		return 0;
	}
	db_run(&r->app->db, sql, &e, &failed, NULL, NULL, NULL);
	if (failed) {
		pgerr_report(&e, "cannot update the history table");
		pgerr_release(&e);
		return -1;
	}
	return 0;
}

static void update_row(struct run *r, struct step *st, struct strbuf *sb,
		       const char *set)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, "UPDATE ");
	history_qname(&r->app->cfg, sb);
	strbuf_addf(sb, " SET %s WHERE version OPERATOR(pg_catalog.=) '%s';",
		    set, st->m->version);
}

/* The data block of statement 'i', if it is a COPY FROM STDIN. */
static const struct copy_data *copy_of(const struct step *st, size_t i)
{
	for (size_t k = 0; k < st->p.nr_copies; k++)
		if (st->p.copies[k].stmt == i)
			return &st->p.copies[k];
	return NULL;
}

/* Statement 'i' runs alone: the server gets its COPY data, if any. */
static void set_copy_data(struct app *app, const struct step *st, size_t i)
{
	const struct copy_data *c = copy_of(st, i);

	db_set_copy_data(&app->db, st->s.text, c, c ? 1 : 0);
}

/* A dry run shows COPY data after its statement, as psql reads it. */
static void add_copy_data(const struct step *st, size_t i, struct strbuf *sb)
{
	const struct copy_data *c = copy_of(st, i);

	if (!c)
		return;
	strbuf_addch(sb, '\n');
	strbuf_add(sb, st->s.text + c->off, c->len);
	strbuf_addstr(sb, "\\.");
}

/*
 * A CREATE INDEX CONCURRENTLY that fails leaves its index behind, INVALID;
 * run again, it would fail with "already exists". The INVALID index of
 * that name on that table, if there is one, in quoted schema.name form.
 */
static char *invalid_leftover(struct app *app, const char *stmt)
{
	char *index, *table, *found = NULL;
	const char *params[2];
	struct pgerr e = { 0 };
	PGresult *res;

	if (sql_index_target(stmt, &index, &table))
		return NULL;
	params[0] = index;
	params[1] = table;
	res = db_query_params(&app->db,
		"SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
		"OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname) "
		"FROM pg_catalog.pg_index i "
		"JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
		"WHERE NOT i.indisvalid AND c.relname OPERATOR(pg_catalog.=) $1 "
		"AND i.indrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($2)",
		2, params, &e);
	if (res && PQntuples(res) == 1)
		found = xstrdup(PQgetvalue(res, 0, 0));
	if (res)
		PQclear(res);
	pgerr_release(&e);
	free(index);
	free(table);
	return found;
}

/* Before resuming at a CREATE INDEX CONCURRENTLY: drop what its failure left. */
static int drop_invalid_leftover(struct run *r, const char *stmt)
{
	char *left = invalid_leftover(r->app, stmt);
	char *sql;
	int ret;

	if (!left)
		return 0;
	note("dropping the INVALID index %s that the failed run left, to build it again", left);
	sql = xasprintf("DROP INDEX CONCURRENTLY IF EXISTS %s", left);
	if (r->dry_run) {
		dry_print(r, sql);
		ret = 0;
	} else {
		struct pgerr e = { 0 };
		bool failed;
		db_run(&r->app->db, sql, &e, &failed, NULL, NULL, NULL);
		if (failed)
			pgerr_report(&e, "cannot drop the INVALID index left by the failed run");
		pgerr_release(&e);
		ret = failed ? -1 : 0;
	}
	free(sql);
	free(left);
	return ret;
}

static int run_stepwise(struct run *r, struct step *st)
{
	struct app *app = r->app;
	struct strbuf sb = STRBUF_INIT, set = STRBUF_INIT;
	double start = now_ms();
	int ret = -1;
	size_t i;

	/* write-ahead: the row says "stopped at statement k" until done */
	if (st->down) {
		update_row(r, st, &sb, "state = 'reverting', statements_done = 0, error = NULL");
	} else if (st->resuming) {
		update_row(r, st, &sb, "state = 'partial', error = NULL");
	} else {
		strbuf_addstr(&sb, "INSERT INTO ");
		history_qname(&app->cfg, &sb);
		strbuf_addf(&sb, " (version, name, checksum, state, statements_done) VALUES ('%s', ",
			    st->m->version);
		strbuf_add_literal(&sb, st->m->name);
		strbuf_addf(&sb, ", '%s', 'partial', 0);", st->s.checksum);
	}
	if (book(r, sb.buf))
		goto out;
	strbuf_reset(&sb);
	add_timeout(&sb, "lock_timeout", app->cfg.lock_timeout_ms, false);
	if (book(r, sb.buf))
		goto out;

	for (i = (size_t)st->start_at; i < st->p.nr; i++) {
		const struct stmt *s = &st->p.stmts[i];
		char *text = xstrndup(st->s.text + s->off, s->len);
		struct pgerr e = { 0 };
		struct progress pr = { st, -1, (int)i, "" };
		bool failed;

		if (r->dry_run) {
			strbuf_reset(&set);
			strbuf_addf(&set, "%s;", text);
			add_copy_data(st, i, &set);
			dry_print(r, set.buf);
			free(text);
			strbuf_reset(&set);
			strbuf_addf(&set, "statements_done = %zu", i + 1);
			update_row(r, st, &sb, set.buf);
			dry_print(r, sb.buf);
			continue;
		}
		if (st->resuming && i == (size_t)st->start_at && s->cls == STMT_NO_TX &&
		    drop_invalid_leftover(r, text)) {
			free(text);
			goto out;
		}
		set_copy_data(app, st, i);
		db_run(&app->db, text, &e, &failed, NULL, &pr, progress_label);
		if (failed && s->cls == STMT_NO_TX && !e.conn_lost) {
			char *left = invalid_leftover(app, text);
			if (left)
				note("the failed statement left the INVALID index %s behind; 'strata %s --resume' drops it before building it again",
				     left, st->down ? "down" : "up");
			free(left);
		}
		free(text);
		if (failed) {
			PGTransactionStatusType ts = PQtransactionStatus(app->db.conn);
			if (!e.conn_lost && (ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS)) {
				struct pgerr e2 = { 0 };
				db_command(&app->db, "ROLLBACK", &e2);
				pgerr_release(&e2);
			}
			if (st->mode == RUN_OWN_TX) {
				/* the file's own transaction rolled back with it */
				while (i > 0 && st->p.stmts[i].cls != STMT_TX_CONTROL)
					i--;
			}
			report_failure(r, st, &e, (int)(s - st->p.stmts),
				       0, false);
			if (!e.conn_lost) {
				struct strbuf msg = STRBUF_INIT;
				char *m = redact(e.msg ? e.msg : "");
				strbuf_addf(&msg, "error = ");
				strbuf_add_literal(&msg, m);
				free(m);
				strbuf_addstr(&msg, ", statements_done = ");
				strbuf_addf(&msg, "%zu", (size_t)(s - st->p.stmts));
				update_row(r, st, &sb, msg.buf);
				strbuf_release(&msg);
				book(r, sb.buf);
				book(r, "RESET ALL");
			}
			note("%s stopped at statement %zu of %zu; statements before it stay %s",
			     step_label(st->m), (size_t)(s - st->p.stmts) + 1, st->p.nr,
			     st->down ? "reverted" : "applied");
			hint("fix the cause, then run 'strata %s --resume' to continue from statement %zu, or record the outcome by hand with 'strata resolve %s applied' or 'strata resolve %s reverted'",
			     st->down ? "down" : "up", (size_t)(s - st->p.stmts) + 1,
			     st->m->raw_version, st->m->raw_version);
			err_set_kind("partial");
			pgerr_release(&e);
			goto out;
		}
		if (st->mode != RUN_OWN_TX ||
		    PQtransactionStatus(app->db.conn) == PQTRANS_IDLE) {
			strbuf_reset(&set);
			strbuf_addf(&set, "statements_done = %zu", i + 1);
			update_row(r, st, &sb, set.buf);
			if (book(r, sb.buf))
				goto out;
		}
		if (interrupted) {
			err_set_kind("interrupted");
			error("interrupted after statement %zu of %zu of %s", i + 1,
			      st->p.nr, step_label(st->m));
			hint("run 'strata %s --resume' to continue", st->down ? "down" : "up");
			goto out;
		}
	}
	if (!r->dry_run && PQtransactionStatus(app->db.conn) != PQTRANS_IDLE) {
		struct pgerr e2 = { 0 };
		db_command(&app->db, "ROLLBACK", &e2);
		pgerr_release(&e2);
		err_set_kind("sql");
		error("%s ends inside an open transaction (BEGIN without COMMIT); it was rolled back",
		      step_label(st->m));
		goto out;
	}
	strbuf_reset(&sb);
	if (st->down) {
		strbuf_addstr(&sb, "DELETE FROM ");
		history_qname(&app->cfg, &sb);
		strbuf_addf(&sb, " WHERE version OPERATOR(pg_catalog.=) '%s';", st->m->version);
	} else {
		strbuf_reset(&set);
		strbuf_addf(&set, "state = 'applied', statements_done = NULL, error = NULL, "
			    "checksum = '%s', applied_at = pg_catalog.now(), duration_ms = %.0f",
			    st->s.checksum, now_ms() - start);
		update_row(r, st, &sb, set.buf);
	}
	if (book(r, sb.buf) || book(r, "RESET ALL;"))
		goto out;
	record_done(r, st, now_ms() - start, false);
	ret = 0;
out:
	strbuf_release(&sb);
	strbuf_release(&set);
	return ret;
}

int runner_ensure_table(struct run *r)
{
	struct app *app = r->app;
	struct strbuf sb = STRBUF_INIT;
	int k1, k2, ret;

	if (app->hist.exists)
		return 0;
	history_lock_key(&app->cfg, &k1, &k2);
	strbuf_addf(&sb, "BEGIN;\nSELECT pg_catalog.pg_advisory_xact_lock(%d, %d);\n", k1, k2);
	history_create_sql(&app->cfg, &sb);
	strbuf_addstr(&sb, "COMMIT;\n");
	ret = book(r, sb.buf);
	if (!ret && !r->dry_run)
		app->hist.exists = true;
	strbuf_release(&sb);
	return ret;
}

int runner_step(struct run *r, const struct plan_step *ps)
{
	/*
	 * Three working steps in turn: the one in flight, the one before it
	 * (whose COMMIT rides in the message in flight) and this one.
	 */
	struct step *st = &r->work[r->turn++ % ARRAY_SIZE(r->work)];
	int ret;

	step_from_plan(ps, st);
	if (interrupted) {
		/* what ran before the signal is committed, then strata stops */
		if (runner_flush(r))
			return -1;
		err_set_kind("interrupted");
		return error("interrupted before %s", step_label(st->m));
	}
	/* read this script while the server still runs the one before */
	if (step_load(r->app, st) || tx_finish(r))
		return -1;
	if (st->mode != RUN_TX && runner_flush(r))
		return -1;
	if (r->dry_run && !out.json) {
		struct strbuf l = STRBUF_INIT;
		out_clean(&l, step_label(st->m), false);
		printf("-- %s %s (%s)\n", st->down ? "revert" : "apply", l.buf,
		       st->mode == RUN_TX ? "one transaction" :
		       st->mode == RUN_NO_TX ? "no transaction, statement by statement" :
		       "the file's own transactions, statement by statement");
		strbuf_release(&l);
	}
	if (st->mode == RUN_TX)
		return run_tx(r, st);	/* in flight; tx_finish() unloads it */
	ret = run_stepwise(r, st);
	step_unload(st);
	return ret;
}

/* ---- shared with the seeds and repeatables (scripts.c) ----------------- */

void script_show_location(const struct script *s, size_t off)
{
	show_location(s, off);
}

bool retryable_error(const struct pgerr *e)
{
	return retryable(e);
}

long retry_backoff_ms(int attempt)
{
	return backoff_ms(attempt);
}

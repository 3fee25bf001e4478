#include "compat.h"
#include "app.h"
#include "util/util.h"
#include "util/strbuf.h"
#include "util/out.h"

int exit_failure(void)
{
	if (interrupted == SIGINT)
		return 130;
	if (interrupted == SIGTERM)
		return 143;
	return EXIT_FAIL;
}

int app_load_source(struct app *app)
{
	if (app->have_src)
		return 0;
	if (source_load(&app->src, app->cfg.source_dir)) {
		source_release(&app->src);
		return -1;
	}
	app->have_src = true;
	return 0;
}

void app_connect_begin(struct app *app)
{
	if (app->connecting || app->connected)
		return;
	app->have_ci = true;	/* released by app_release, even half-filled */
	if (conninfo_resolve(&app->cfg, &app->ci)) {
		app->ci_failed = true;
		return;
	}
	db_connect_start(&app->db, &app->ci, app->cfg.wait_ms);
	app->connecting = true;
}

int app_connect(struct app *app)
{
	if (app->connected)
		return 0;
	app_connect_begin(app);
	if (app->ci_failed)
		return -1;
	app->connecting = false;
	app->connected = true;	/* db_close() is due either way */
	if (db_connect_finish(&app->db))
		return -1;
	if (app->db.options_refused && !app->cfg.pooler) {
		/* only poolers refuse them; a session lock would not be safe */
		warning("the server side refused startup options, as PgBouncer does: a connection pooler; strata runs as with --pooler");
		hint("say --pooler (or pooler = transaction) to make this explicit");
		app->cfg.pooler = true;
	}
	/* show where we really are, libpq's defaults resolved */
	{
		struct conninfo shown = { 0 };
		PGconn *c = app->db.conn;
		conninfo_set(&shown, "user", PQuser(c), true);
		if (conninfo_get(&app->ci, "password"))
			conninfo_set(&shown, "password", "x", true);
		conninfo_set(&shown, "host", PQhost(c), true);
		conninfo_set(&shown, "port", PQport(c), true);
		conninfo_set(&shown, "dbname", PQdb(c), true);
		conninfo_make_display(&shown);
		free(app->ci.display);
		app->ci.display = shown.display;
		shown.display = NULL;
		conninfo_release(&shown);
	}
	return 0;
}

static void report_holder(struct app *app, int k1, int k2)
{
	char a[16], b[16];
	const char *params[2] = { a, b };
	struct pgerr e = { 0 };
	PGresult *r;

	snprintf(a, sizeof(a), "%d", k1);
	snprintf(b, sizeof(b), "%d", k2);
	r = db_query_params(&app->db,
		"SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), "
		"coalesce(a.state, ''), "
		"coalesce(pg_catalog.to_char(pg_catalog.now() OPERATOR(pg_catalog.-) a.backend_start, 'HH24:MI:SS'), '') "
		"FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid "
		"WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted "
		"AND l.classid::pg_catalog.int4 OPERATOR(pg_catalog.=) $1::pg_catalog.int4 "
		"AND l.objid::pg_catalog.int4 OPERATOR(pg_catalog.=) $2::pg_catalog.int4 "
		"AND l.objsubid OPERATOR(pg_catalog.=) 2", 2, params, &e);
	if (!r) {
		pgerr_release(&e);
		return;
	}
	for (int i = 0; i < PQntuples(r); i++)
		detail("held by pid %s (%s from %s, %s, connected for %s)",
		       PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		       PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
	PQclear(r);
}

/*
 * A pooler or proxy shows in the server listening on another port than the
 * one strata connected to. Through PgBouncer in transaction mode a session
 * lock would stay on a pooled backend: say so, once.
 */
static void warn_if_pooled(struct app *app, PGresult *r)
{
	static bool said;
	const char *host = PQhost(app->db.conn), *port = PQport(app->db.conn);

	if (said || !host || host[0] == '/' || !port)
		return;
	if (PQgetisnull(r, 0, 1) || strcmp(PQgetvalue(r, 0, 1), port)) {
		/* NULL: strata came over TCP, the server sees a unix socket */
		warning("connected to port %s, but the server sees this session on %s%s: through a connection pooler?",
			port, PQgetisnull(r, 0, 1) ? "a unix socket" : "port ",
			PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1));
		hint("with PgBouncer in transaction pooling mode, run strata with --pooler (or pooler = transaction)");
		said = true;
	}
}

/*
 * strata's settings travel as startup options. PgBouncer refuses them
 * (db_connect_finish() notices), unless its ignore_startup_parameters
 * lists "options": then they vanish silently, and lock_timeout is not the
 * one strata asked for (app_lock() looks before it tries the lock). Either
 * way the session is pooled, and a session lock would not be safe: strata
 * switches to its pooler mode.
 */
static void settings_dropped(struct app *app, const char *lock_timeout)
{
	warning("the session does not carry strata's settings (lock_timeout is %s, not %ld ms): a connection pooler that ignores startup options? strata runs as with --pooler",
		lock_timeout, app->cfg.lock_timeout_ms);
	hint("say --pooler (or pooler = transaction) to make this explicit");
	app->cfg.pooler = true;
}

/*
 * The migration lock is a session-level advisory lock on the connection
 * that does the work, so it dies with strata (a killed process cannot
 * leave it behind). It is polled with pg_try_advisory_lock outside any
 * transaction: a waiter blocked in pg_advisory_lock would deadlock with
 * the holder's CREATE INDEX CONCURRENTLY, which waits for every open
 * transaction (flyway#1654; RELIABILITY.md E7/E8). Behind a transaction
 * pooler a session lock would stay on a pooled backend, so there each
 * migration's transaction takes the transaction-scoped lock instead (see
 * the guard in runner.c).
 */
int app_lock(struct app *app)
{
	int k1, k2;
	char sql[384];
	double start = now_ms();
	long sleep = 50;
	bool said = false;

	if (app->cfg.pooler || app->locked)
		return 0;
	history_lock_key(&app->cfg, &k1, &k2);
	/*
	 * The lock is only tried when the session carries strata's settings:
	 * through a pooler that dropped them it would land on a pooled server
	 * connection, and the unlock on another one.
	 */
	snprintf(sql, sizeof(sql), "SELECT CASE WHEN pg_catalog.current_setting('lock_timeout')::pg_catalog.interval "
		 "OPERATOR(pg_catalog.=) '%ld milliseconds'::pg_catalog.interval "
		 "THEN pg_catalog.pg_try_advisory_lock(%d, %d) END, "
		 "pg_catalog.inet_server_port(), pg_catalog.current_setting('lock_timeout')",
		 app->cfg.lock_timeout_ms, k1, k2);
	for (;;) {
		struct pgerr e = { 0 };
		PGresult *r = db_query(&app->db, sql, &e);
		bool got;
		if (!r) {
			pgerr_report(&e, "cannot take the migration lock");
			pgerr_release(&e);
			return -1;
		}
		got = !strcmp(PQgetvalue(r, 0, 0), "t");
		warn_if_pooled(app, r);
		if (PQgetisnull(r, 0, 0)) {
			settings_dropped(app, PQgetvalue(r, 0, 2));
			PQclear(r);
			return 0;
		}
		PQclear(r);
		if (got)
			break;
		if (interrupted) {
			err_set_kind("interrupted");
			return error("interrupted while waiting for the migration lock");
		}
		if (now_ms() - start >= (double)app->cfg.lock_wait_ms) {
			err_set_kind("lock");
			last_err.retryable = true;
			error("another strata holds the migration lock on %s.%s; gave up after %.1f s",
			      app->cfg.schema, app->cfg.table, (now_ms() - start) / 1000);
			report_holder(app, k1, k2);
			hint("wait for it to finish, or raise --lock-wait (now %ld ms)", app->cfg.lock_wait_ms);
			return -1;
		}
		if (!said) {
			say("waiting for the migration lock (another strata is migrating)...");
			said = true;
		}
		sleep_ms(sleep / 2 + rand() % (sleep / 2 + 1));
		if (sleep < 1000)
			sleep *= 2;
	}
	app->locked = true;
	return 0;
}

void app_unlock(struct app *app)
{
	int k1, k2;
	char sql[128];
	struct pgerr e = { 0 };
	PGresult *r;

	if (!app->locked || !db_ok(&app->db))
		return;
	history_lock_key(&app->cfg, &k1, &k2);
	if (PQtransactionStatus(app->db.conn) != PQTRANS_IDLE)
		db_command(&app->db, "ROLLBACK", &e);
	pgerr_release(&e);
	snprintf(sql, sizeof(sql), "SELECT pg_catalog.pg_advisory_unlock(%d, %d)", k1, k2);
	r = db_query(&app->db, sql, &e);
	if (!r || strcmp(PQgetvalue(r, 0, 0), "t"))
		warning("the migration lock was not held at unlock; it is released when strata disconnects");
	if (r)
		PQclear(r);
	pgerr_release(&e);
	app->locked = false;
}

int app_read_history(struct app *app)
{
	if (app->have_hist) {
		history_release(&app->hist);
		app->have_hist = false;
	}
	if (history_read(&app->db, &app->cfg, &app->hist))
		return -1;
	app->have_hist = true;
	for (size_t i = 0; i < app->hist.nr; i++)
		app->hist.a[i].matched =
			app->have_src && source_find(&app->src, app->hist.a[i].version) >= 0;
	return 0;
}

int app_open(struct app *app, bool dry_run)
{
	app_connect_begin(app);
	if (app_load_source(app) || app_connect(app) ||
	    (!dry_run && app_lock(app)) || app_read_history(app))
		return -1;
	return 0;
}

void app_release(struct app *app)
{
	app_unlock(app);
	if (app->connected || app->connecting)
		db_close(&app->db);
	if (app->have_hist)
		history_release(&app->hist);
	if (app->have_src)
		source_release(&app->src);
	if (app->have_ci)
		conninfo_release(&app->ci);
	config_release(&app->cfg);
}

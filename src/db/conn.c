#include "../compat.h"
#include "conn.h"
#include "../core/config.h"
#include "../sql/parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <poll.h>
#include <unistd.h>

volatile sig_atomic_t interrupted;
volatile sig_atomic_t scratch_server_pid;
static PGcancel *volatile active_cancel;

static void on_signal(int sig)
{
	char buf[256];
	if (interrupted) {
		/* a second signal: stop now; the server rolls back */
		if (scratch_server_pid > 0)	/* immediate shutdown; kill() is safe here */
			kill((pid_t)scratch_server_pid, SIGQUIT);
		_exit(128 + sig);
	}
	interrupted = sig;
	if (active_cancel)
		PQcancel(active_cancel, buf, sizeof(buf));
}

void signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool db_ok(const struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

static void notice_receiver(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	(void)arg;
	if (!msg)
		return;
	if (sev && (!strcmp(sev, "WARNING")))
		warning("server: %s", msg);
	else
		verbose("server %s: %s", sev ? sev : "NOTICE", msg);
}

static bool refused(const char *msg)
{
	return strstr(msg, "Connection refused") || strstr(msg, "No such file or directory") ||
	       strstr(msg, "the database system is starting up") ||
	       strstr(msg, "the database system is shutting down") ||
	       strstr(msg, "the database system is in recovery mode") ||
	       strstr(msg, "timeout expired") ||
	       strstr(msg, "could not translate host name");
}

static void connect_hint(const struct conninfo *ci, const char *msg)
{
	const char *host = conninfo_get(ci, "host"), *port = conninfo_get(ci, "port");
	if (!host)
		host = getenv("PGHOST");
	if (!port)
		port = getenv("PGPORT");
	if (strstr(msg, "Connection refused") || strstr(msg, "No such file")) {
		hint("is PostgreSQL running and accepting connections on %s%s%s? In a container entrypoint, use --wait to wait for it",
		     host ? host : "the default socket", port ? " port " : "", port ? port : "");
	} else if (strstr(msg, "password authentication failed") ||
		   strstr(msg, "no password supplied")) {
		hint("check the user and password of the database URL (from %s)", ci->source);
	} else if (strstr(msg, "does not exist") && strstr(msg, "database")) {
		hint("create the database first ('strata create'), or fix the database name in the URL (from %s)", ci->source);
	}
}

/* Remove "-c client_connection_check_interval=..." from the options. */
static bool drop_check_option(const struct conninfo *ci)
{
	for (int i = 0; i < ci->nr; i++) {
		char *o, *hit;
		if (strcmp(ci->keys[i], "options"))
			continue;
		o = ci->vals[i];
		hit = strstr(o, " -c client_connection_check_interval=1s");
		if (!hit)
			return false;
		*hit = '\0';
		return true;
	}
	return false;
}

/* Drop the startup options altogether. */
static bool drop_options(const struct conninfo *ci)
{
	for (int i = 0; i < ci->nr; i++) {
		if (strcmp(ci->keys[i], "options") || !ci->vals[i][0])
			continue;
		ci->vals[i][0] = '\0';
		return true;
	}
	return false;
}

void db_connect_start(struct db *db, const struct conninfo *ci, long wait_ms)
{
	memset(db, 0, sizeof(*db));
	db->ci = ci;
	db->wait_ms = wait_ms;
	db->start_ms = now_ms();
	db->conn = PQconnectStartParams((const char *const *)ci->keys,
					(const char *const *)ci->vals, 0);
	/*
	 * Send the startup packet now, so that the server builds the session
	 * while strata does other work; stop at the first wait for an answer.
	 */
	for (int i = 0; db->conn && PQstatus(db->conn) != CONNECTION_BAD && i < 4; i++) {
		struct pollfd p = { PQsocket(db->conn), POLLOUT, 0 };
		if (poll(&p, 1, 0) != 1 || PQconnectPoll(db->conn) != PGRES_POLLING_WRITING)
			break;
	}
}

/* Drive a started connection to its end (as PQconnectdb would). */
static void connect_poll(struct db *db)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	const char *t = conninfo_get(db->ci, "connect_timeout");
	double limit = (t ? atof(t) : 10) * 1000, start = now_ms();

	if (!db->conn || PQstatus(db->conn) == CONNECTION_BAD)
		return;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		struct pollfd p = { PQsocket(db->conn),
				    st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
		int r = poll(&p, 1, 250);
		if (r == 0) {
			if (interrupted || (limit > 0 && now_ms() - start > limit))
				break;
			continue;
		}
		st = PQconnectPoll(db->conn);
	}
}

int db_connect_finish(struct db *db)
{
	const struct conninfo *ci = db->ci;
	long wait_ms = db->wait_ms;
	double start = db->start_ms;
	int attempt = 0;
	char *last = NULL;

	connect_poll(db);
	for (;;) {
		const char *msg;
		if (!db->conn)
			db->conn = PQconnectdbParams((const char *const *)ci->keys,
						     (const char *const *)ci->vals, 0);
		if (PQstatus(db->conn) == CONNECTION_OK)
			break;
		msg = PQerrorMessage(db->conn);
		free(last);
		last = xstrdup(msg);
		PQfinish(db->conn);
		db->conn = NULL;
		if (strstr(last, "client_connection_check_interval") && drop_check_option(ci))
			continue;	/* a server before PostgreSQL 14 */
		if (strstr(last, "unsupported startup parameter") && drop_options(ci)) {
			db->options_refused = true;	/* PgBouncer */
			continue;
		}
		if (interrupted || !wait_ms || !refused(last) ||
		    now_ms() - start >= (double)wait_ms) {
			size_t n = strlen(last);
			while (n && (last[n - 1] == '\n' || last[n - 1] == ' '))
				last[--n] = '\0';
			err_set_kind("connection");
			last_err.retryable = refused(last);
			error("cannot connect to %s", ci->display);
			detail("%s", last);
			connect_hint(ci, last);
			if (wait_ms && refused(last))
				detail("gave up after waiting %.0f s", (now_ms() - start) / 1000);
			free(last);
			return -1;
		}
		if (attempt++ == 0 && out.tty && !out.json && out.verbosity >= 0)
			fprintf(stderr, "waiting for %s ...\n", ci->display);
		else
			verbose("still waiting for the server (%.0f s)", (now_ms() - start) / 1000);
		sleep_ms(attempt < 10 ? 200 : 1000);
	}
	free(last);
	PQsetnonblocking(db->conn, 0);
	PQsetNoticeReceiver(db->conn, notice_receiver, NULL);
	db->server_version = PQserverVersion(db->conn);
	db->cancel = PQgetCancel(db->conn);
	active_cancel = db->cancel;
	verbose("connected to %s (server %d)", ci->display, db->server_version);
	return 0;
}

int db_connect(struct db *db, const struct conninfo *ci, long wait_ms)
{
	db_connect_start(db, ci, wait_ms);
	return db_connect_finish(db);
}

void db_close(struct db *db)
{
	/* a scratch database's connection closing leaves the main one's */
	if (active_cancel == db->cancel)
		active_cancel = NULL;
	if (db->cancel)
		PQfreeCancel(db->cancel);
	if (db->conn)
		PQfinish(db->conn);
	db->cancel = NULL;
	db->conn = NULL;
	db->record_prepared = false;
}

int db_reconnect(struct db *db)
{
	const struct conninfo *ci = db->ci;
	long w = db->wait_ms;
	db_close(db);
	return db_connect(db, ci, w < 5000 ? 5000 : w);
}

void pgerr_release(struct pgerr *e)
{
	free(e->sqlstate);
	free(e->msg);
	free(e->detail);
	free(e->hint);
	free(e->context);
	memset(e, 0, sizeof(*e));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void fill_err(struct db *db, PGresult *res, struct pgerr *e)
{
	const char *pos;

	pgerr_release(e);
	if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) {
		e->sqlstate = dup_or_null(PQresultErrorField(res, PG_DIAG_SQLSTATE));
		e->msg = dup_or_null(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		e->detail = dup_or_null(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
		e->hint = dup_or_null(PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
		e->context = dup_or_null(PQresultErrorField(res, PG_DIAG_CONTEXT));
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		e->position = pos ? atoi(pos) : 0;
	} else {
		char *m = xstrdup(PQerrorMessage(db->conn));
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			m[--n] = '\0';
		e->msg = m;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		e->conn_lost = true;
		if (!e->msg || !*e->msg) {
			free(e->msg);
			e->msg = xstrdup("connection to the server was lost");
		}
	}
	if (e->sqlstate && (!strcmp(e->sqlstate, "57P01") ||
			    !strcmp(e->sqlstate, "57P02") ||
			    !strcmp(e->sqlstate, "57P03")))
		e->conn_lost = true;
}

int db_send(struct db *db, const char *sql)
{
	/* a signal cancels the query of the connection that sent last */
	active_cancel = db->cancel;
	db->sent_ms = now_ms();
	db->send_failed = !PQsendQuery(db->conn, sql);
	return db->send_failed ? -1 : 0;
}

void db_set_copy_data(struct db *db, const char *text,
		      const struct copy_data *c, size_t nr)
{
	db->copy_text = text;
	db->copies = c;
	db->nr_copies = nr;
	db->next_copy = 0;
}

/*
 * The server waits for the data of a COPY FROM STDIN: send the next block,
 * in pieces (a block can be a whole table), then end it. A COPY that has
 * no block (it was not found in the script) or a signal ends the COPY
 * with an error, which the server reports as the statement's failure.
 */
static void copy_in(struct db *db)
{
	const struct copy_data *c;
	const char *p;
	size_t left;

	if (db->next_copy >= db->nr_copies) {
		PQputCopyEnd(db->conn, "strata has no data for this COPY FROM STDIN");
		return;
	}
	c = &db->copies[db->next_copy++];
	p = db->copy_text + c->off;
	left = c->len;
	while (left && !interrupted) {
		int n = left > (1u << 20) ? 1 << 20 : (int)left;
		if (PQputCopyData(db->conn, p, n) != 1)
			break;
		p += n;
		left -= (size_t)n;
	}
	PQputCopyEnd(db->conn, interrupted ? "interrupted by a signal" : NULL);
}

int db_collect(struct db *db, struct pgerr *e, bool *failed, result_fn fn,
	       void *data, const char *(*progress)(int, void *))
{
	int done = 0, sock;
	double start = db->sent_ms;
	bool shown = false, cancel_sent = false;
	PGresult *res;

	*failed = false;
	if (db->send_failed) {
		db->send_failed = false;
		db_set_copy_data(db, NULL, NULL, 0);
		fill_err(db, NULL, e);
		*failed = true;
		return 0;
	}
	sock = PQsocket(db->conn);
	for (;;) {
		while (PQisBusy(db->conn)) {
			struct pollfd p = { sock, POLLIN, 0 };
			int r;
			if (interrupted && !cancel_sent) {
				char buf[256];
				PQcancel(db->cancel, buf, sizeof(buf));
				cancel_sent = true;
			}
			r = poll(&p, 1, 250);
			if (r > 0 && !PQconsumeInput(db->conn))
				break;
			if (out.tty && !out.json && out.verbosity >= 0 &&
			    now_ms() - start > 2000) {
				const char *label = progress ? progress(done, data) : NULL;
				struct strbuf l = STRBUF_INIT;
				out_clean(&l, label ? label : "running", false);
				fprintf(stderr, "\r\033[K  %s... %.0f s", l.buf,
					(now_ms() - start) / 1000);
				strbuf_release(&l);
				fflush(stderr);
				shown = true;
			}
		}
		res = PQgetResult(db->conn);
		if (!res)
			break;
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
			if (fn)
				fn(done, res, data);
			done++;
			break;
		case PGRES_COPY_IN:
			copy_in(db);
			break;
		case PGRES_COPY_OUT: {
			char *buf;
			while (PQgetCopyData(db->conn, &buf, 0) > 0)
				PQfreemem(buf);
			break;
		}
		default:
			if (!*failed) {
				fill_err(db, res, e);
				*failed = true;
			}
			break;
		}
		PQclear(res);
		if (PQstatus(db->conn) != CONNECTION_OK)
			break;
	}
	if (shown) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	if (!*failed && PQstatus(db->conn) != CONNECTION_OK) {
		fill_err(db, NULL, e);
		*failed = true;
	}
	db_set_copy_data(db, NULL, NULL, 0);
	return done;
}

int db_run(struct db *db, const char *sql, struct pgerr *e, bool *failed,
	   result_fn fn, void *data, const char *(*progress)(int, void *))
{
	db_send(db, sql);
	return db_collect(db, e, failed, fn, data, progress);
}

PGresult *db_query_params(struct db *db, const char *sql, int n,
			  const char *const *vals, struct pgerr *e)
{
	PGresult *res = PQexecParams(db->conn, sql, n, NULL, vals, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	fill_err(db, res, e);
	PQclear(res);
	return NULL;
}

PGresult *db_query_binary(struct db *db, const char *sql, struct pgerr *e)
{
	PGresult *res = PQexecParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 1);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	fill_err(db, res, e);
	PQclear(res);
	return NULL;
}

PGresult *db_query(struct db *db, const char *sql, struct pgerr *e)
{
	return db_query_params(db, sql, 0, NULL, e);
}

int db_command(struct db *db, const char *sql, struct pgerr *e)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		PQclear(res);
		return 0;
	}
	fill_err(db, res, e);
	PQclear(res);
	return -1;
}

void pgerr_report(const struct pgerr *e, const char *what)
{
	err_set_kind(e->conn_lost ? "connection" : "sql");
	if (e->sqlstate && !last_err.sqlstate)
		last_err.sqlstate = xstrdup(e->sqlstate);
	if (e->conn_lost)
		error("%s: connection lost: %s", what, e->msg ? e->msg : "");
	else
		error("%s: %s%s%s%s", what, e->msg ? e->msg : "",
		      e->sqlstate ? " (SQLSTATE " : "", e->sqlstate ? e->sqlstate : "",
		      e->sqlstate ? ")" : "");
	if (e->detail) {
		detail("%s", e->detail);
		if (!last_err.detail)
			last_err.detail = redact(e->detail);
	}
	if (e->hint) {
		hint("%s", e->hint);
		if (!last_err.hint)
			last_err.hint = redact(e->hint);
	}
}

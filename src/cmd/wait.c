/*
 * wait.c - wait until the server accepts connections: the first line of a
 * container entrypoint, before 'strata create' and 'strata up'.
 *
 * "Up" means what pg_isready means: the server answers a connection
 * attempt (libpq's PQping). A database that does not exist yet does not
 * make strata wait on (dbmate's 'wait' ignores it too): 'strata create'
 * is the next step. A server that answers but refuses strata's login is a
 * failure at once, since waiting would not change the password.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../db/maint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

struct wait_state {
	const char *label;	/* "host db port 5432" */
	double start, limit_ms;
	bool line_shown;
};

/* libpq's connect_timeout for one attempt: what is left, 2 to 10 s. */
static void set_attempt_timeout(struct conninfo *ci, const struct wait_state *w)
{
	double left = (w->limit_ms - (now_ms() - w->start)) / 1000;
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", left > 10 ? 10 : left < 2 ? 2 : (int)left);
	conninfo_set(ci, "connect_timeout", buf, true);
}

/* On a terminal, one line that counts the seconds. */
static void show_progress(struct wait_state *w)
{
	struct strbuf l = STRBUF_INIT;

	if (!out.tty || out.json || out.verbosity < 0)
		return;
	out_clean(&l, w->label, false);
	fprintf(stderr, "\r\033[Kwaiting for the server at %s... %.0f s", l.buf,
		(now_ms() - w->start) / 1000);
	fflush(stderr);
	strbuf_release(&l);
	w->line_shown = true;
}

static void clear_progress(struct wait_state *w)
{
	if (w->line_shown)
		fputs("\r\033[K", stderr);
	w->line_shown = false;
}

/* libpq's message of one real attempt, trailing newlines cut. */
static char *attempt_message(struct conninfo *ci, bool *ok)
{
	PGconn *c = PQconnectdbParams((const char *const *)ci->keys,
				      (const char *const *)ci->vals, 0);
	char *msg = xstrdup(PQerrorMessage(c));
	size_t n = strlen(msg);

	*ok = PQstatus(c) == CONNECTION_OK;
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	PQfinish(c);
	return msg;
}

/*
 * A server that answered the ping may be shutting down (or still starting)
 * by the time strata logs in: that is worth waiting for, as a refusal is not.
 */
static bool going_up_or_down(const char *msg)
{
	return strstr(msg, "the database system is") || strstr(msg, "Connection refused") ||
	       strstr(msg, "No such file or directory");
}

/*
 * Ping until the server answers or the time is up. 0 when it answers, or
 * -1 after error().
 */
static int wait_for_server(struct conninfo *ci, struct wait_state *w)
{
	char *msg;
	bool ok;

	for (int attempt = 0;; attempt++) {
		PGPing p;
		double left;
		long pause;

		set_attempt_timeout(ci, w);
		p = PQpingParams((const char *const *)ci->keys, (const char *const *)ci->vals, 0);
		if (p == PQPING_OK)
			return 0;
		if (p == PQPING_NO_ATTEMPT) {
			err_set_kind("config");
			return error("cannot connect to %s: invalid connection settings", ci->display);
		}
		if (interrupted) {
			clear_progress(w);
			err_set_kind("interrupted");
			return error("interrupted while waiting for the server at %s", w->label);
		}
		if (now_ms() - w->start >= w->limit_ms)
			break;
		show_progress(w);
		verbose("the server at %s does not accept connections yet (%.0f s)", w->label,
			(now_ms() - w->start) / 1000);
		/* every 200 ms for 5 s, then every second; never past the limit */
		pause = attempt < 25 ? 200 : 1000;
		left = w->limit_ms - (now_ms() - w->start);
		sleep_ms(left < pause ? (left > 0 ? (long)left : 0) : pause);
	}
	clear_progress(w);
	/* one more attempt, for libpq's reason (refused, no such host...) */
	conninfo_set(ci, "connect_timeout", "2", true);
	msg = attempt_message(ci, &ok);
	err_set_kind("connection");
	last_err.retryable = true;
	error("the server at %s did not accept connections within %.1f s", w->label,
	      (now_ms() - w->start) / 1000);
	if (*msg) {
		detail("%s", msg);
		if (!last_err.detail)
			last_err.detail = redact(msg);
	}
	hint("raise the time with --wait=DUR (now %.0f s), or check the host and port of the URL (from %s)",
	     w->limit_ms / 1000, ci->source);
	free(msg);
	return -1;
}

static void print_result(struct app *app, const struct wait_state *w, const char *name,
			 bool exists)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	double waited = now_ms() - w->start;

	if (!out.json) {
		say("the server at %s accepts connections (after %.1f s)", w->label, waited / 1000);
		if (!exists)
			note("database '%s' does not exist yet: 'strata create' makes it", name);
		return;
	}
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "wait");
	json_kstr(&j, "server", w->label);
	json_kstr(&j, "url", app->ci.display);
	json_kstr(&j, "database", name);
	json_kbool(&j, "database_exists", exists);
	json_kint(&j, "waited_ms", (long long)(waited + 0.5));
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_wait(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	struct wait_state w = { 0 };
	const char *arg;
	char *label = NULL, *name = NULL, *msg = NULL;
	bool ok = false;
	int o, ret = EXIT_FAIL;

	while ((o = opt_next(&it, NULL, &arg)) != -1) {
		if (o == -2)
			return cmd_fail(app, EXIT_USAGE);
		return cmd_fail(app, usage_error("wait", "unexpected argument '%s' (the time is --wait=DUR)", arg));
	}
	app->have_ci = true;
	if (conninfo_resolve_plain(&app->cfg, &app->ci))
		return cmd_fail(app, EXIT_FAIL);
	label = conninfo_server_label(&app->ci);
	name = conninfo_dbname(&app->ci);
	w.label = label;
	w.start = now_ms();
	w.limit_ms = (double)(app->cfg.wait_ms > 0 ? app->cfg.wait_ms : DEFAULT_WAIT_MS);
	for (;;) {
		if (wait_for_server(&app->ci, &w))
			goto out;
		clear_progress(&w);
		/* it answers: can strata log in, and is the database there? */
		free(msg);
		msg = attempt_message(&app->ci, &ok);
		if (ok || (strstr(msg, "database \"") && strstr(msg, "does not exist")))
			break;
		if (!going_up_or_down(msg) || now_ms() - w.start >= w.limit_ms) {
			err_set_kind("connection");
			error("the server at %s accepts connections, but not strata's to %s", label,
			      app->ci.display);
			detail("%s", msg);
			if (!last_err.detail)
				last_err.detail = redact(msg);
			hint("check the user and password of the database URL (from %s) and the server's pg_hba.conf",
			     app->ci.source);
			goto out;
		}
		sleep_ms(200);
	}
	print_result(app, &w, name, ok);
	ret = EXIT_OK;
out:
	free(label);
	free(name);
	free(msg);
	return ret == EXIT_OK ? ret : cmd_fail(app, ret);
}

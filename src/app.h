/*
 * app.h - the state one strata invocation carries between its parts:
 * settings, the migrations folder, the connection and the history.
 */
#ifndef STRATA_APP_H
#define STRATA_APP_H

#include "core/config.h"
#include "core/source.h"
#include "core/history.h"
#include "db/conn.h"

struct app {
	struct config cfg;
	struct conninfo ci;
	struct source src;
	struct history hist;
	struct db db;
	bool have_ci, have_src, connected, locked, have_hist;
	bool connecting, ci_failed;
	const char *command;	/* canonical name of the running command */
};

/* Each returns 0, or -1 after error(). */
int app_load_source(struct app *app);
/*
 * Start connecting without waiting, so that reading the folder overlaps
 * the server starting the session; app_connect() finishes (and reports).
 */
void app_connect_begin(struct app *app);
int app_connect(struct app *app);
/* Take the migration lock (session mode; a no-op behind a pooler). */
int app_lock(struct app *app);
void app_unlock(struct app *app);
int app_read_history(struct app *app);
/*
 * What every command that changes the database does first: read the
 * folder (while the connection starts), connect, take the lock unless
 * 'dry_run', read the history. 0 or -1 (reported).
 */
int app_open(struct app *app, bool dry_run);
void app_release(struct app *app);

/* Exit codes (DESIGN.md "Exit codes"). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_PENDING = 3,
};

/* Exit code for a failure: 130/143 after a signal, else 1. */
int exit_failure(void);

#endif

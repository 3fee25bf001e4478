/*
 * replay.h - running migrations in a scratch database (shadow.h) one at a
 * time, for the commands that compare schemas ('test', 'check').
 *
 * A script runs through the runner, exactly as 'up' or 'down' runs it
 * (one transaction with its history row, or statement by statement for a
 * file that cannot run in a transaction), and is committed before the
 * call returns, so the schema can be read right after.
 */
#ifndef STRATA_REPLAY_H
#define STRATA_REPLAY_H

#include <stdbool.h>

struct app;
struct shadow;
struct migration;

/*
 * Make the scratch database app's connection (app->db), with an empty
 * history, and create the history table in it. The caller closes it with
 * db_close(&app->db) before shadow_close(). 0, or -1 after error().
 */
int replay_connect(struct app *app, struct shadow *sh);

/*
 * Run the up (or down) script of 'm' and wait until it is committed; *ms
 * gets the time it took. Nothing is printed unless -v (a failure's hints
 * are for a real run): on failure *error gets "file:line:col: message"
 * (the caller frees it) and *in_tx tells whether the failure rolled the
 * whole script back. 0 or -1.
 */
int replay_script(struct app *app, struct migration *m, bool down,
		  double *ms, char **error, bool *in_tx);

#endif

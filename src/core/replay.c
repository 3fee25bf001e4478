/*
 * replay.c - migrations run one at a time in a scratch database (see
 * replay.h), through the runner that 'up' and 'down' use.
 */
#include "../compat.h"
#include "replay.h"
#include "runner.h"
#include "shadow.h"
#include "../app.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

int replay_connect(struct app *app, struct shadow *sh)
{
	struct run r = { 0 };
	int ret;

	app->connected = true;	/* db_close() is due either way */
	if (db_connect(&app->db, &sh->ci, app->cfg.wait_ms))
		return -1;
	/* the scratch database's history: none yet */
	if (app->have_hist)
		history_release(&app->hist);
	memset(&app->hist, 0, sizeof(app->hist));
	r.app = app;
	strbuf_init(&r.msg, 0);
	ret = runner_ensure_table(&r);
	strbuf_release(&r.msg);
	return ret;
}

/* "file:line:col: message" of the error just reported (last_err). */
static char *error_text(void)
{
	if (last_err.file && last_err.line)
		return xasprintf("%s:%d:%d: %s", last_err.file, last_err.line,
				 last_err.column, last_err.msg ? last_err.msg : "failed");
	return xstrdup(last_err.msg ? last_err.msg : "failed");
}

int replay_script(struct app *app, struct migration *m, bool down,
		  double *ms, char **error, bool *in_tx)
{
	struct step st;
	struct plan_step ps;
	struct run r = { 0 };
	double start = now_ms();
	int ret = 0;

	err_reset();
	*in_tx = true;
	/* the runner's "up NAME (12 ms)" lines and reports only with -v */
	if (out.verbosity < 1)
		out.mute = true;
	if (step_prepare(app, m, down, &st)) {
		out.mute = false;
		step_release(&st);
		*error = error_text();
		return -1;
	}
	*in_tx = st.mode == RUN_TX;
	step_to_plan(&st, &ps);
	step_release(&st);
	r.app = app;
	strbuf_init(&r.msg, 0);
	if (runner_step(&r, &ps))
		ret = -1;
	if (runner_flush(&r))
		ret = -1;
	out.mute = false;
	for (size_t i = 0; i < ARRAY_SIZE(r.work); i++)
		step_release(&r.work[i]);
	strbuf_release(&r.msg);
	*ms = now_ms() - start;
	if (ret)
		*error = error_text();
	return ret;
}

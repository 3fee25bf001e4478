/*
 * status.c - every migration and its state, from the files and the
 * history together. Read-only: takes no lock.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/version.h"
#include "../core/scripts.h"
#include "../core/checkpoint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

enum { O_EXIT_CODE = 1 };

static const struct cmd_opt opts[] = {
	{ "exit-code", 0, false, O_EXIT_CODE },
	{ NULL, 0, false, 0 },
};

struct row {
	const char *version, *norm, *name, *state, *applied_at, *error;
	const char *file;	/* relative to the folder */
	const char *checkpoint;	/* its file is gone, the checkpoint covers it */
	long long duration_ms;
	bool out_of_order, reversible, stamped;
	int statements_done;
};

static const char *state_color(const char *s)
{
	if (!strcmp(s, "applied"))
		return c_green();
	if (!strcmp(s, "pending"))
		return c_yellow();
	return c_red();
}

/*
 * The repeatable migrations against their records: applied, pending (never
 * run) or changed (will run again). 0 or -1 (reported).
 */
static int repeatables_status(struct app *app, struct script_records *rec,
			      struct script_plan *rp)
{
	if (!app->src.nr_scripts)
		return 0;
	if (scripts_read(&app->db, &app->cfg, rec))
		return -1;
	return script_plan_make(rp, KIND_REPEATABLE, &app->src, rec, NULL, false);
}

static void repeatables_json(struct app *app, const struct script_plan *rp, struct json *j)
{
	json_key(j, "repeatable");
	json_arr_begin(j);
	for (size_t i = 0; i < rp->nr; i++) {
		const struct script_job *job = &rp->jobs[i];
		json_obj_begin(j);
		json_kstr(j, "name", job->ns->name);
		json_kstr(j, "file", source_path(&app->src, job->ns->file));
		json_kstr(j, "state", job->state);
		json_kstr(j, "applied_at", job->rec ? job->rec->applied_at : NULL);
		if (job->rec && job->rec->duration_ms >= 0)
			json_kint(j, "duration_ms", job->rec->duration_ms);
		else
			json_kstr(j, "duration_ms", NULL);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void repeatables_table(const struct script_plan *rp)
{
	size_t wn = strlen("REPEATABLE");

	if (!rp->nr)
		return;
	for (size_t i = 0; i < rp->nr; i++)
		if (strlen(script_label(rp->jobs[i].ns)) > wn)
			wn = strlen(script_label(rp->jobs[i].ns));
	say("%s", "");
	say("%s%-10s %-*s  %-20s %8s%s", c_bold(), "STATE", (int)wn, "REPEATABLE",
	    "APPLIED (UTC)", "TOOK", c_reset());
	for (size_t i = 0; i < rp->nr; i++) {
		const struct script_job *job = &rp->jobs[i];
		char took[32] = "", at[32] = "";
		if (job->rec && job->rec->duration_ms >= 0)
			snprintf(took, sizeof(took), "%lld ms", job->rec->duration_ms);
		if (job->rec && job->rec->applied_at) {
			snprintf(at, sizeof(at), "%s", job->rec->applied_at);
			if (strlen(at) > 10)
				at[10] = ' ';
		}
		say("%s%-10s%s %-*s  %-20s %8s%s", state_color(job->state), job->state, c_reset(),
		    (int)wn, script_label(job->ns), at, took,
		    !strcmp(job->state, "changed") ? "  (file edited: 'up' runs it again)" :
		    !strcmp(job->state, "pending") ? "  (never run)" : "");
	}
}

int cmd_status(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	bool exit_code = false;
	struct row *rows = NULL;
	size_t nr = 0, alloc = 0, si = 0, hi = 0;
	size_t n_applied = 0, n_pending = 0, n_other = 0;
	const struct applied *head;
	struct script_records rec = { 0 };
	struct script_plan rp = { 0 };
	struct checkpoint cp = { 0 };
	int o, ret = EXIT_OK;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		if (o == -2)
			return cmd_fail(app, EXIT_USAGE);
		if (o == 0)
			return cmd_fail(app, usage_error("status", "unexpected argument '%s'", arg));
		if (o == O_EXIT_CODE)
			exit_code = true;
	}
	/* read and hash the files while the server starts the session */
	app_connect_begin(app);
	if (app_load_source(app) || checkpoint_load(&app->src, &cp) < 0)
		return cmd_fail(app, EXIT_FAIL);
	source_checksum_start(&app->src);
	if (app_connect(app) || app_read_history(app)) {
		checkpoint_release(&cp);
		return cmd_fail(app, EXIT_FAIL);
	}
	source_checksum_wait(&app->src);
	head = history_head(&app->hist);

	/* merge files and history, both in version order */
	while (si < app->src.nr || hi < app->hist.nr) {
		struct migration *m = si < app->src.nr ? &app->src.m[si] : NULL;
		struct applied *a = hi < app->hist.nr ? &app->hist.a[hi] : NULL;
		int c = !m ? 1 : !a ? -1 : version_cmp(m->version, a->version);
		struct row *r;
		char *sum;

		ALLOC_GROW(rows, nr + 1, alloc);
		r = &rows[nr++];
		memset(r, 0, sizeof(*r));
		r->duration_ms = -1;
		if (c <= 0) {
			r->version = m->raw_version;
			r->norm = m->version;
			r->name = m->name;
			r->file = m->up_file;
			r->reversible = m->down_file != NULL;
		}
		if (c < 0) {
			r->state = "pending";
			r->out_of_order = head && version_cmp(m->version, head->version) < 0;
			n_pending++;
			si++;
			continue;
		}
		r->applied_at = a->applied_at;
		r->duration_ms = a->duration_ms;
		r->stamped = a->stamped;
		r->error = a->error;
		r->statements_done = a->statements_done;
		if (c > 0) {
			r->version = r->norm = a->version;
			r->name = a->name;
			hi++;
			/* squashed: the file was deleted, as the checkpoint allows */
			if (checkpoint_covers(&cp, a->version) && !strcmp(a->state, "applied")) {
				r->state = "applied";
				r->checkpoint = cp.file;
				n_applied++;
				continue;
			}
			r->state = "missing";
			n_other++;
			continue;
		}
		si++, hi++;
		if (strcmp(a->state, "applied")) {
			r->state = a->state;
			n_other++;
			continue;
		}
		sum = app->src.sums[m - app->src.m];
		if (!sum[0]) {
			struct script s;	/* unreadable: say why */
			if (script_read(&app->src, m, false, &s) == 0)
				memcpy(sum, s.checksum, sizeof(s.checksum));
			script_release(&s);
		}
		if (!sum[0]) {
			r->state = "unreadable";
			n_other++;
			continue;
		}
		r->state = strcmp(sum, a->checksum) ? "changed" : "applied";
		if (!strcmp(r->state, "changed"))
			n_other++;
		else
			n_applied++;
	}

	if (repeatables_status(app, &rec, &rp)) {
		ret = cmd_fail(app, EXIT_FAIL);
		goto out;
	}
	if (out.json) {
		struct strbuf sb = STRBUF_INIT;
		struct json j;
		json_init(&j, &sb);
		json_obj_begin(&j);
		json_kstr(&j, "database", app->ci.display);
		{
			struct strbuf t = STRBUF_INIT;
			history_qname(&app->cfg, &t);
			json_kstr(&j, "table", t.buf);
			strbuf_release(&t);
		}
		json_kstr(&j, "current", head ? head->version : NULL);
		json_kint(&j, "applied", (long long)n_applied);
		json_kint(&j, "pending", (long long)n_pending);
		json_key(&j, "migrations");
		json_arr_begin(&j);
		for (size_t i = 0; i < nr; i++) {
			struct row *r = &rows[i];
			json_obj_begin(&j);
			json_kstr(&j, "version", r->norm);
			if (r->file)
				json_kstr(&j, "file_version", r->version);
			json_kstr(&j, "name", r->name);
			json_kstr(&j, "state", r->state);
			json_kbool(&j, "out_of_order", r->out_of_order);
			json_kstr(&j, "applied_at", r->applied_at);
			if (r->duration_ms >= 0)
				json_kint(&j, "duration_ms", r->duration_ms);
			else
				json_kstr(&j, "duration_ms", NULL);
			json_kbool(&j, "stamped", r->stamped);
			json_kstr(&j, "file", r->file ? source_path(&app->src, r->file) : NULL);
			json_kstr(&j, "checkpoint", r->checkpoint);
			json_kbool(&j, "reversible", r->reversible);
			if (strcmp(r->state, "partial") == 0 || strcmp(r->state, "reverting") == 0) {
				json_kint(&j, "statements_done", r->statements_done);
				json_kstr(&j, "error", r->error);
			}
			json_obj_end(&j);
		}
		json_arr_end(&j);
		repeatables_json(app, &rp, &j);
		json_obj_end(&j);
		out_json(&sb);
		strbuf_release(&sb);
	} else {
		size_t wv = 7, wn = 4;
		for (size_t i = 0; i < nr; i++) {
			if (strlen(rows[i].version) > wv)
				wv = strlen(rows[i].version);
			if (strlen(rows[i].name) > wn)
				wn = strlen(rows[i].name);
		}
		if (wn > 48)
			wn = 48;
		say("database: %s", app->ci.display);
		say("current:  %s", head ? head->version : "base");
		if (nr) {
			say("%s", "");
			say("%s%-10s %-*s  %-*s  %-20s %8s%s", c_bold(), "STATE", (int)wv, "VERSION",
			    (int)wn, "NAME", "APPLIED (UTC)", "TOOK", c_reset());
		}
		for (size_t i = 0; i < nr; i++) {
			struct row *r = &rows[i];
			char took[32] = "";
			char at[32] = "";
			struct strbuf extra = STRBUF_INIT;
			if (r->duration_ms >= 0)
				snprintf(took, sizeof(took), "%lld ms", r->duration_ms);
			if (r->applied_at) {
				snprintf(at, sizeof(at), "%s", r->applied_at);
				if (strlen(at) > 10)
					at[10] = ' ';
			}
			if (r->out_of_order)
				strbuf_addstr(&extra, "  (out of order)");
			if (r->stamped)
				strbuf_addstr(&extra, "  (stamped)");
			if (!strcmp(r->state, "partial") || !strcmp(r->state, "reverting"))
				strbuf_addf(&extra, "  (stopped after statement %d: %s)",
					    r->statements_done, r->error ? r->error : "interrupted");
			if (!strcmp(r->state, "changed"))
				strbuf_addstr(&extra, "  (file edited after it was applied)");
			if (!strcmp(r->state, "missing"))
				strbuf_addstr(&extra, "  (applied, file not found)");
			if (r->checkpoint)
				strbuf_addf(&extra, "  (in %s)", r->checkpoint);
			say("%s%-10s%s %-*s  %-*.*s  %-20s %8s%s", state_color(r->state), r->state,
			    c_reset(), (int)wv, r->version, (int)wn, (int)wn, r->name, at, took, extra.buf);
			strbuf_release(&extra);
		}
		repeatables_table(&rp);
		say("%s", "");
		if (n_other)
			say("%zu applied, %zu pending, %zu need attention", n_applied,
			    n_pending, n_other);
		else
			say("%zu applied, %zu pending", n_applied, n_pending);
		if (rp.nr)
			say("repeatable: %zu applied, %zu to run", rp.nr - rp.nr_run, rp.nr_run);
	}
	/* a repeatable that 'up' would run is work to do too */
	if (exit_code && (n_pending || n_other || rp.nr_run))
		ret = EXIT_PENDING;
out:
	checkpoint_release(&cp);
	script_plan_release(&rp);
	scripts_records_release(&rec);
	free(rows);
	return ret;
}

/*
 * stamp.c - record migrations as applied (or forget them) without running
 * them: for databases built by hand or by another tool.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/target.h"
#include "../core/version.h"
#include "../core/runner.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

enum { O_DRY_RUN = 1 };

static const struct cmd_opt opts[] = {
	{ "dry-run", 'n', false, O_DRY_RUN },
	{ NULL, 0, false, 0 },
};

int cmd_stamp(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *target_arg = NULL;
	bool dry_run = false;
	struct target t;
	struct strbuf sql = STRBUF_INIT, doc = STRBUF_INIT;
	struct json j;
	int o, added = 0, removed = 0;
	long limit = -1;
	struct pgerr e = { 0 };
	bool failed = false;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0:
			if (target_arg)
				return cmd_fail(app, usage_error("stamp", "one TARGET only"));
			target_arg = arg;
			break;
		case O_DRY_RUN: dry_run = true; break;
		}
	}
	if (!target_arg)
		return cmd_fail(app, usage_error("stamp", "stamp needs a TARGET (head, base, +N or a version)"));
	if (app_open(app, dry_run))
		return cmd_fail(app, EXIT_FAIL);
	if (target_parse(target_arg, &app->src, &app->hist, &t)) {
		err_set_kind("usage");
		return cmd_fail(app, EXIT_USAGE);
	}
	if (t.kind == TARGET_RELATIVE) {
		if (t.steps < 0) {
			target_release(&t);
			return cmd_fail(app, usage_error("stamp", "stamp takes head, base, +N or a version"));
		}
		limit = t.steps;
	}
	json_init(&j, &doc);
	if (out.json) {
		json_obj_begin(&j);
		json_kstr(&j, "command", "stamp");
		json_kbool(&j, "dry_run", dry_run);
		json_key(&j, "stamped");
		json_arr_begin(&j);
	}
	strbuf_addstr(&sql, "BEGIN;\n");
	if (!app->hist.exists) {
		int k1, k2;
		history_lock_key(&app->cfg, &k1, &k2);
		strbuf_addf(&sql, "SELECT pg_catalog.pg_advisory_xact_lock(%d, %d);\n", k1, k2);
		history_create_sql(&app->cfg, &sql);
	}
	/* forget what lies beyond the target */
	for (size_t i = 0; i < app->hist.nr; i++) {
		struct applied *a = &app->hist.a[i];
		if (t.kind == TARGET_BASE ||
		    (t.kind == TARGET_VERSION && version_cmp(a->version, t.version) > 0)) {
			strbuf_addstr(&sql, "DELETE FROM ");
			history_qname(&app->cfg, &sql);
			strbuf_addf(&sql, " WHERE version OPERATOR(pg_catalog.=) '%s';\n", a->version);
			say("  forget %s_%s", a->version, a->name);
			removed++;
		}
	}
	for (size_t i = 0; i < app->src.nr && t.kind != TARGET_BASE; i++) {
		struct migration *m = &app->src.m[i];
		struct script s;
		if (history_find(&app->hist, m->version))
			continue;
		if (t.kind == TARGET_VERSION && version_cmp(m->version, t.version) > 0)
			break;
		if (limit >= 0 && added >= limit)
			break;
		if (script_read(&app->src, m, false, &s)) {
			strbuf_release(&sql);
			target_release(&t);
			return cmd_fail(app, EXIT_FAIL);
		}
		history_stamp_sql(&app->cfg, &sql, m->version, m->name, s.checksum, NULL);
		script_release(&s);
		say("  stamp  %s", step_label(m));
		if (out.json) {
			json_obj_begin(&j);
			json_kstr(&j, "version", m->version);
			json_kstr(&j, "name", m->name);
			json_obj_end(&j);
		}
		added++;
	}
	strbuf_addstr(&sql, "COMMIT;\n");
	target_release(&t);
	if (dry_run) {
		if (!out.json)
			fputs(sql.buf, stdout);
	} else if (added || removed) {
		db_run(&app->db, sql.buf, &e, &failed, NULL, NULL, NULL);
		if (failed) {
			pgerr_report(&e, "cannot write the history table");
			pgerr_release(&e);
			strbuf_release(&sql);
			strbuf_release(&doc);
			return cmd_fail(app, EXIT_FAIL);
		}
		app_read_history(app);
	}
	strbuf_release(&sql);
	if (out.json) {
		json_arr_end(&j);
		json_kint(&j, "forgotten", removed);
		json_kstr(&j, "current", history_head(&app->hist) ? history_head(&app->hist)->version : "base");
		json_kbool(&j, "ok", true);
		json_obj_end(&j);
		out_json(&doc);
	} else if (!dry_run) {
		say("stamped %d, forgot %d; now at %s", added, removed,
		    history_head(&app->hist) ? history_head(&app->hist)->version : "base");
	}
	strbuf_release(&doc);
	return EXIT_OK;
}

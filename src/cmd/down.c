/*
 * down.c - revert applied migrations.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/plan.h"
#include "../core/schemafile.h"
#include "../core/target.h"
#include "../core/backup.h"
#include "../util/out.h"

#include <unistd.h>

enum { O_DRY_RUN = 1, O_ALL, O_RESUME, O_BACKUP };

static const struct cmd_opt opts[] = {
	{ "dry-run", 'n', false, O_DRY_RUN },
	{ "all", 0, false, O_ALL },
	{ "resume", 0, false, O_RESUME },
	{ "backup", 0, false, O_BACKUP },
	{ NULL, 0, false, 0 },
};

int cmd_down(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *target_arg = NULL, *resume_version;
	bool dry_run = false, resume = false, backup = false;
	struct target t;
	struct plan p;
	struct schema_file_choice dump;
	const char *schema_file;
	bool usage;
	int o, r;

	/* --dump[=FILE] / --no-dump: the schema file kept current */
	if (schema_file_take_options("down", &argc, argv, &dump))
		return cmd_fail(app, EXIT_USAGE);
	it.argc = argc;
	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0:
			if (target_arg)
				return cmd_fail(app, usage_error("down", "one TARGET only"));
			target_arg = arg;
			break;
		case O_DRY_RUN: dry_run = true; break;
		case O_ALL: target_arg = "base"; break;
		case O_RESUME: resume = true; break;
		case O_BACKUP: backup = true; break;
		}
	}
	schema_file = schema_file_for_run(app, &dump, &usage);
	if (usage)
		return cmd_fail(app, EXIT_USAGE);
	if (app_open(app, dry_run))
		return cmd_fail(app, EXIT_FAIL);
	if (target_arg && !strcmp(target_arg, "head")) {
		target_arg = NULL;
		t.kind = TARGET_RELATIVE;
	}
	if (!target_arg) {
		t.kind = TARGET_RELATIVE;
		t.steps = -1;
		t.version = NULL;
	} else if (target_parse(target_arg, &app->src, &app->hist, &t)) {
		err_set_kind("usage");
		return cmd_fail(app, EXIT_USAGE);
	}
	if (plan_check_blocked(app, resume, true, &resume_version)) {
		target_release(&t);
		return cmd_fail(app, last_err.kind && !strcmp(last_err.kind, "usage") ?
				EXIT_USAGE : EXIT_FAIL);
	}
	r = plan_down(app, &t, resume_version, &p);
	target_release(&t);
	if (r) {
		plan_release(&p);
		return cmd_fail(app, r == -2 ? EXIT_USAGE : EXIT_FAIL);
	}
	if (t.kind == TARGET_BASE && p.nr > 1 && isatty(STDIN_FILENO) &&
	    isatty(STDERR_FILENO) && !dry_run && !out.json)
		note("reverting all %zu applied migrations (down base)", p.nr);
	/* the one command that drops the whole schema: say how to keep it */
	if (t.kind == TARGET_BASE && p.nr && !backup && isatty(STDIN_FILENO) &&
	    isatty(STDERR_FILENO) && !dry_run && !out.json)
		hint("'strata down base --backup' takes a backup first (restore it with 'strata restore FILE --clean')");
	if (p.nr && backup && !dry_run && backup_before_change(app, &p.backup)) {
		plan_release(&p);
		return cmd_fail(app, EXIT_FAIL);
	}
	p.schema_file = schema_file;
	r = plan_run(app, &p, dry_run);
	plan_release(&p);
	return r;
}

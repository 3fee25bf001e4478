/*
 * redo.c - revert the last applied migration and apply it again: the
 * quick check that a migration being written goes both ways.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/plan.h"
#include "../core/schemafile.h"
#include "../core/target.h"
#include "../core/runner.h"
#include "../util/util.h"
#include "../util/out.h"

enum { O_DRY_RUN = 1 };

static const struct cmd_opt opts[] = {
	{ "dry-run", 'n', false, O_DRY_RUN },
	{ NULL, 0, false, 0 },
};

int cmd_redo(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *resume_version;
	bool dry_run = false;
	struct target t = { TARGET_RELATIVE, -1, NULL };
	struct plan p;
	struct schema_file_choice dump;
	const char *schema_file;
	bool usage;
	int o, r;

	/* --dump[=FILE] / --no-dump: the schema file kept current */
	if (schema_file_take_options("redo", &argc, argv, &dump))
		return cmd_fail(app, EXIT_USAGE);
	it.argc = argc;
	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("redo", "redo takes no TARGET"));
		case O_DRY_RUN: dry_run = true; break;
		}
	}
	schema_file = schema_file_for_run(app, &dump, &usage);
	if (usage)
		return cmd_fail(app, EXIT_USAGE);
	if (app_open(app, dry_run) ||
	    plan_check_blocked(app, false, true, &resume_version) ||
	    plan_check_changed(app))
		return cmd_fail(app, EXIT_FAIL);
	if (!history_head(&app->hist)) {
		err_set_kind("usage");
		error("nothing to redo: no migration is applied");
		return cmd_fail(app, EXIT_FAIL);
	}
	r = plan_down(app, &t, NULL, &p);
	if (r) {
		plan_release(&p);
		return cmd_fail(app, r == -2 ? EXIT_USAGE : EXIT_FAIL);
	}
	/* the same migration, forward again, in the same plan */
	if (!p.nr || plan_add(app, &p, p.steps[0].m, false, NULL)) {
		plan_release(&p);
		return cmd_fail(app, EXIT_FAIL);
	}
	p.redo = true;
	p.schema_file = schema_file;
	r = plan_run(app, &p, dry_run);
	plan_release(&p);
	return r;
}

/*
 * backup.c - a pg_dump backup of the database, before an operator does
 * something that cannot be undone.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/backup.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

enum { O_OUTPUT = 1 };

static const struct cmd_opt opts[] = {
	{ "output", 'o', true, O_OUTPUT },
	{ NULL, 0, false, 0 },
};

static void print_result(struct app *app, const struct backup *b)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	char size[32];

	if (!out.json) {
		human_size(size, sizeof(size), b->bytes);
		say("backup written to %s (%s, %.1f s)", b->path, size, b->ms / 1000);
		return;
	}
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "backup");
	json_kstr(&j, "database", PQdb(app->db.conn));
	json_kstr(&j, "url", app->ci.display);
	json_kstr(&j, "file", b->path);
	json_kint(&j, "bytes", b->bytes);
	json_kstr(&j, "pg_dump", b->tool);
	json_kstr(&j, "pg_dump_version", b->tool_version);
	json_kint(&j, "duration_ms", (long long)(b->ms + 0.5));
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_backup(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *output = NULL;
	struct backup b;
	int o;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("backup", "unexpected argument '%s' (the file is -o FILE)", arg));
		case O_OUTPUT:
			if (!*arg)
				return cmd_fail(app, usage_error("backup", "option '-o' needs a file name"));
			output = arg;
			break;
		}
	}
	if (app_connect(app))
		return cmd_fail(app, EXIT_FAIL);
	if (backup_write(app, output, &b)) {
		backup_release(&b);
		return cmd_fail(app, EXIT_FAIL);
	}
	print_result(app, &b);
	backup_release(&b);
	return EXIT_OK;
}

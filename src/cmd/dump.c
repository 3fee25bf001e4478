/*
 * dump.c - the database's schema as a deterministic SQL script, read from
 * the catalog (src/schema/): the same schema always gives the same bytes,
 * and the script rebuilds it in an empty database. Read-only: takes no
 * lock, creates nothing.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../schema/catalog.h"
#include "../core/schemafile.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

enum { O_OUTPUT = 1, O_WITH_HISTORY, O_PRIVILEGES };

static const struct cmd_opt opts[] = {
	{ "output", 'o', true, O_OUTPUT },
	{ "with-history", 0, false, O_WITH_HISTORY },
	{ "privileges", 0, false, O_PRIVILEGES },
	{ NULL, 0, false, 0 },
};

static void print_json(struct app *app, const struct schema_model *m,
		       const char *output, bool with_history, const struct strbuf *sql)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "dump");
	json_kstr(&j, "database", PQdb(app->db.conn));
	json_kstr(&j, "url", app->ci.display);
	json_kstr(&j, "file", output);
	json_kbool(&j, "with_history", with_history);
	json_kbool(&j, "privileges", m->privileges);
	json_key(&j, "objects");
	json_arr_begin(&j);
	for (size_t i = 0; i < m->nr; i++) {
		json_obj_begin(&j);
		json_kstr(&j, "kind", m->obj[i].kind);
		json_kstr(&j, "schema", m->obj[i].schema);
		json_kstr(&j, "name", m->obj[i].name);
		json_kstr(&j, "table", m->obj[i].table);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_kstr(&j, "sql", output ? NULL : sql->buf);
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_dump(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *output = NULL;
	bool with_history = false;
	struct schema_model m;
	struct strbuf sql = STRBUF_INIT;
	int o, ret = EXIT_OK;
	unsigned flags = 0;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("dump", "unexpected argument '%s' (the file is -o FILE)", arg));
		case O_OUTPUT:
			if (!*arg)
				return cmd_fail(app, usage_error("dump", "option '-o' needs a file name"));
			output = arg;
			break;
		case O_WITH_HISTORY: with_history = true; break;
		case O_PRIVILEGES:
			flags |= SCHEMA_PRIVILEGES;
			break;
		}
	}
	/* without -o, the config's schema_file; "-o -" is stdout */
	if (!output)
		output = app->cfg.schema_file;
	else if (!strcmp(output, "-"))
		output = NULL;
	if (app_connect(app) || schema_read_with(&app->db, &app->cfg, flags, &m))
		return cmd_fail(app, EXIT_FAIL);
	schema_to_sql(&m, &sql);
	/* the history after the schema: 'strata load' gives a database at head */
	if (with_history && history_dump_sql(&app->db, &app->cfg, &sql)) {
		ret = cmd_fail(app, EXIT_FAIL);
	} else if (output && write_file_atomically(output, &sql)) {
		ret = cmd_fail(app, EXIT_FAIL);
	} else if (out.json) {
		print_json(app, &m, output, with_history, &sql);
	} else if (output) {
		verbose("%zu objects", m.nr);
		say("schema written to %s (%zu objects)", output, m.nr);
	} else {
		fwrite(sql.buf, 1, sql.len, stdout);
	}
	strbuf_release(&sql);
	schema_model_release(&m);
	return ret;
}

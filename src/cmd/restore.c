/*
 * restore.c - load a pg_dump archive (a 'strata backup') into the
 * database, with pg_restore, all of it or nothing.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/pgtool.h"
#include "../db/maint.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_CLEAN = 1 };

static const struct cmd_opt opts[] = {
	{ "clean", 0, false, O_CLEAN },
	{ NULL, 0, false, 0 },
};

/*
 * Is 'path' an archive pg_restore reads (custom, tar or directory
 * format)? A plain SQL dump is psql's to load. 0, or -1 after error().
 */
static int check_archive(const char *path)
{
	char head[512] = { 0 };
	struct stat st;
	char *toc;
	int fd, ok;
	ssize_t n;

	if (stat(path, &st) || (!S_ISDIR(st.st_mode) &&
				(fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)) {
		err_set_kind("files");
		return error("cannot read '%s': %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		toc = xasprintf("%s/toc.dat", path);
		ok = !access(toc, R_OK);
		free(toc);
	} else {
		n = read(fd, head, sizeof(head));
		close(fd);
		ok = (n >= 5 && !memcmp(head, "PGDMP", 5)) ||
		     (n >= 262 && !memcmp(head + 257, "ustar", 5));
	}
	if (ok)
		return 0;
	err_set_kind("files");
	error("'%s' is not a pg_dump archive (custom, tar or directory format)", path);
	hint("a plain SQL dump is loaded with psql -f");
	return -1;
}

/*
 * What the database holds besides what every new database has: "3
 * relations, 1 function" (empty when nothing). Newly allocated, or NULL
 * after error().
 */
static char *user_objects(struct app *app)
{
	static const char sql[] =
		"WITH ns AS (SELECT oid, nspname FROM pg_catalog.pg_namespace "
		"  WHERE nspname NOT IN ('pg_catalog', 'information_schema') "
		"  AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%') "
		"SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace), "
		"  (SELECT count(*) FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace), "
		"  (SELECT count(*) FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace "
		"     WHERE t.typrelid = 0 AND t.typcategory <> 'A'), "
		"  (SELECT count(*) FROM ns WHERE nspname <> 'public'), "
		"  (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')";
	static const char *const what[] = { "relation", "function", "type", "schema", "extension" };
	struct pgerr e = { 0 };
	struct strbuf sb = STRBUF_INIT;
	PGresult *r = db_query(&app->db, sql, &e);

	if (!r) {
		pgerr_report(&e, "cannot look into the database");
		pgerr_release(&e);
		return NULL;
	}
	for (int i = 0; i < (int)ARRAY_SIZE(what); i++) {
		long n = atol(PQgetvalue(r, 0, i));
		if (n)
			strbuf_addf(&sb, "%s%ld %s%s", sb.len ? ", " : "", n, what[i], n > 1 ? "s" : "");
	}
	PQclear(r);
	return strbuf_detach(&sb, NULL);
}

/*
 * pg_restore in one transaction: a failure part-way leaves the database
 * as it was. The database goes as a conninfo string "dbname='...'" (no
 * secret in it), so that a name with '=' is not read as one.
 */
static int run_pg_restore(struct app *app, const char *file, bool clean)
{
	struct conninfo plain = { 0 }, ci = { 0 };
	struct pgtool t = { 0 };
	struct strbuf dbarg = STRBUF_INIT;
	const char *args[10];
	int n = 0, ret = -1;

	strbuf_addstr(&dbarg, "--dbname=dbname='");
	for (const char *c = PQdb(app->db.conn); *c; c++) {
		if (*c == '\'' || *c == '\\')
			strbuf_addch(&dbarg, '\\');
		strbuf_addch(&dbarg, *c);
	}
	strbuf_addch(&dbarg, '\'');
	args[n++] = "--no-password";
	args[n++] = "--single-transaction";
	args[n++] = "--exit-on-error";
	if (clean) {
		args[n++] = "--clean";
		args[n++] = "--if-exists";
	}
	if (out.verbosity >= 2)
		args[n++] = "--verbose";
	args[n++] = dbarg.buf;
	args[n++] = "--";
	args[n++] = file;
	args[n] = NULL;
	if (pgtool_find("pg_restore", app->db.server_version, &t) ||
	    conninfo_resolve_plain(&app->cfg, &plain))
		goto out;
	conninfo_copy_with_db(&plain, PQdb(app->db.conn), &ci);
	verbose("restoring with %s %s", t.path, t.version);
	if (pgtool_run(&t, args, &ci, -1)) {
		detail("pg_restore ran in one transaction: the database is as it was");
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&dbarg);
	pgtool_release(&t);
	conninfo_release(&plain);
	conninfo_release(&ci);
	return ret;
}

static void print_result(struct app *app, const char *file, bool clean, double ms)
{
	const struct applied *head = app->have_hist ? history_head(&app->hist) : NULL;
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	if (!out.json) {
		say("restored %s into '%s' (%.1f s); its history is at %s", file,
		    PQdb(app->db.conn), ms / 1000, head ? head->version : "base");
		return;
	}
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "restore");
	json_kstr(&j, "database", PQdb(app->db.conn));
	json_kstr(&j, "url", app->ci.display);
	json_kstr(&j, "file", file);
	json_kbool(&j, "clean", clean);
	json_kstr(&j, "current", head ? head->version : "base");
	json_kint(&j, "duration_ms", (long long)(ms + 0.5));
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

int cmd_restore(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *file = NULL;
	bool clean = false;
	char *objects;
	double start;
	int o;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0:
			if (file)
				return cmd_fail(app, usage_error("restore", "one FILE only"));
			file = arg;
			break;
		case O_CLEAN: clean = true; break;
		}
	}
	if (!file)
		return cmd_fail(app, usage_error("restore", "restore needs the FILE of a backup"));
	if (check_archive(file))
		return cmd_fail(app, EXIT_FAIL);
	/* the migration lock: no strata migrates while the schema is replaced */
	if (app_connect(app) || app_lock(app))
		return cmd_fail(app, EXIT_FAIL);
	objects = user_objects(app);
	if (!objects)
		return cmd_fail(app, EXIT_FAIL);
	if (*objects && !clean) {
		err_set_kind("refused");
		error("database '%s' is not empty (%s): refusing to restore over it",
		      PQdb(app->db.conn), objects);
		hint("--clean drops the objects the backup holds before creating them again (pg_restore --clean --if-exists), or restore into a new database ('strata create' with its URL)");
		free(objects);
		return cmd_fail(app, EXIT_FAIL);
	}
	free(objects);
	start = now_ms();
	if (run_pg_restore(app, file, clean))
		return cmd_fail(app, EXIT_FAIL);
	if (app_read_history(app))
		err_reset();	/* the restore worked; only the summary lacks */
	print_result(app, file, clean, now_ms() - start);
	return EXIT_OK;
}

/*
 * adopt.c - take over a database that another tool migrated: read that
 * tool's history table, match it to the migrations folder, and record
 * the same migrations in strata's history as stamped (as 'stamp' does,
 * with each file's checksum), in one transaction under the migration
 * lock. Any mismatch refuses the whole adoption, every one reported.
 * The other tool's table is only read.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/foreign.h"
#include "../core/version.h"
#include "../core/runner.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>
#include <nettle/sha2.h>

enum { O_FROM = 1, O_FROM_TABLE, O_DRY_RUN, O_FORCE };

static const struct cmd_opt opts[] = {
	{ "from", 0, true, O_FROM },
	{ "from-table", 0, true, O_FROM_TABLE },
	{ "dry-run", 'n', false, O_DRY_RUN },
	{ "force", 0, false, O_FORCE },
	{ NULL, 0, false, 0 },
};

/* What becomes of each migration of the folder. */
enum pick {
	P_NONE,		/* the tool never applied it, and nothing later: pending */
	P_ADOPT,	/* applied by the tool: recorded now */
	P_KEPT,		/* already in strata's history (--force): left as it is */
	P_GAP,		/* never applied, though later ones were: stays pending */
};

struct adoption {
	struct foreign f;
	unsigned char *pick;	/* enum pick, per migration of the folder */
	const struct foreign_applied **row;	/* the tool's row, or NULL */
	size_t nr_adopt;
	struct problems warnings;
	struct strbuf sql;
	size_t *cut;		/* where each statement of 'sql' ends */
	size_t nr_cut, alloc_cut;
};

static void add_sql_end(struct adoption *ad)
{
	ALLOC_GROW(ad->cut, ad->nr_cut + 1, ad->alloc_cut);
	ad->cut[ad->nr_cut++] = ad->sql.len;
}

/*
 * The Alembic revision a file holds: its first line is
 * "-- alembic: <revision>". NULL when it has none.
 */
static char *alembic_marker(const struct source *src, const struct migration *m)
{
	static const char mark[] = "-- alembic:";
	char buf[1024];
	ssize_t n;
	size_t i = 0, e;
	int fd = openat(src->dirfd, m->up_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3;
	if (strncmp(buf + i, mark, sizeof(mark) - 1))
		return NULL;
	i += sizeof(mark) - 1;
	while (buf[i] == ' ' || buf[i] == '\t')
		i++;
	for (e = i; buf[e] && !strchr(" \t\r\n", buf[e]); e++)
		;
	return e > i ? xstrndup(buf + i, e - i) : NULL;
}

/* Alembic keeps only its head: every file up to the one holding it is applied. */
static void find_alembic_head(struct app *app, struct adoption *ad)
{
	struct foreign *f = &ad->f;
	struct strbuf files = STRBUF_INIT;
	long found = -1;
	int count = 0;

	for (size_t i = 0; i < app->src.nr; i++) {
		char *rev = alembic_marker(&app->src, &app->src.m[i]);
		if (rev && !strcmp(rev, f->alembic_head)) {
			strbuf_addf(&files, "%s%s", count ? ", " : "",
				    source_path(&app->src, app->src.m[i].up_file));
			found = (long)i;
			count++;
		}
		free(rev);
	}
	if (count == 0)
		problems_add(&f->problems, "unknown_revision", NULL,
			     "%s is at revision %s, but no file in '%s' begins with '-- alembic: %s'",
			     f->table, f->alembic_head, app->cfg.source_dir, f->alembic_head);
	else if (count > 1)
		problems_add(&f->problems, "duplicate_revision", NULL,
			     "revision %s is named by %d files: %s", f->alembic_head, count, files.buf);
	else
		f->through = xstrdup(app->src.m[found].version);
	strbuf_release(&files);
}

static const char *row_label(const struct foreign_applied *a)
{
	return a->label ? a->label : "";
}

/*
 * Decide the fate of every file: adopted, kept (strata has it), pending
 * behind applied ones (a gap), or plainly pending; record every mismatch.
 */
static void match(struct app *app, struct adoption *ad, bool force)
{
	struct foreign *f = &ad->f;
	const char *tool = foreign_tool_title(f->tool);
	const char *top = NULL;

	if (app->hist.nr && !force)
		problems_add(&f->problems, "history_not_empty", NULL,
			     "strata's history %s.%s already has %zu row%s: adopted before, or strata has run here",
			     app->cfg.schema, app->cfg.table, app->hist.nr, app->hist.nr == 1 ? "" : "s");
	for (size_t k = 0; k < f->nr; k++) {
		const struct foreign_applied *a = &f->a[k];
		long i = source_find(&app->src, a->version);
		if (i < 0) {
			problems_add(&f->problems, "missing", a->version,
				     "version %s%s%s%s was applied by %s, but no file in '%s' has that version",
				     a->version, a->label ? " (" : "", row_label(a), a->label ? ")" : "",
				     tool, app->cfg.source_dir);
			continue;
		}
		ad->pick[i] = P_ADOPT;
		ad->row[i] = a;
	}
	if (f->alembic_head)
		find_alembic_head(app, ad);
	if (f->through) {
		if (f->through_needs_file && source_find(&app->src, f->through) < 0)
			problems_add(&f->problems, "missing", f->through,
				     "%s stands at version %s, but no file in '%s' has that version",
				     tool, f->through, app->cfg.source_dir);
		for (size_t i = 0; i < app->src.nr; i++)
			if (version_cmp(app->src.m[i].version, f->through) <= 0)
				ad->pick[i] = P_ADOPT;
	}
	for (size_t i = 0; i < app->src.nr; i++) {
		const char *v = app->src.m[i].version;
		if (history_find(&app->hist, v))
			ad->pick[i] = P_KEPT;
		if (ad->pick[i] != P_NONE)
			top = v;
	}
	if (app->hist.nr && (!top || version_cmp(app->hist.a[app->hist.nr - 1].version, top) > 0))
		top = app->hist.a[app->hist.nr - 1].version;
	for (size_t i = 0; i < app->src.nr; i++) {
		if (ad->pick[i] == P_ADOPT)
			ad->nr_adopt++;
		else if (ad->pick[i] == P_NONE && top && version_cmp(app->src.m[i].version, top) < 0)
			ad->pick[i] = P_GAP;
	}
}

/* Is the file what sqlx ran? sqlx keeps the SHA-384 of the file as it was. */
static void check_sqlx_checksum(struct adoption *ad, const struct migration *m,
				const struct script *s, const struct foreign_applied *a)
{
	struct sha384_ctx ctx;
	uint8_t d[SHA384_DIGEST_SIZE];
	char hex[2 * SHA384_DIGEST_SIZE + 1];

	if (!a || !a->checksum || m->layout == LAYOUT_SECTIONS)
		return;
	sha384_init(&ctx);
	sha384_update(&ctx, s->text_off + s->len, (const uint8_t *)s->buf);
	sha384_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	if (strcasecmp(hex, a->checksum)) {
		problems_add(&ad->warnings, "checksum", m->version,
			     "%s is not the script sqlx applied as version %s (its SHA-384 differs); it is adopted as the file is now",
			     s->path, m->version);
		warning("%s", ad->warnings.p[ad->warnings.nr - 1].message);
	}
}

/* The transaction that records the adopted files, as 'stamp' writes it. */
static int build_sql(struct app *app, struct adoption *ad)
{
	int k1, k2;

	history_lock_key(&app->cfg, &k1, &k2);
	strbuf_addstr(&ad->sql, "BEGIN;\n");
	add_sql_end(ad);
	strbuf_addf(&ad->sql, "SELECT pg_catalog.pg_advisory_xact_lock(%d, %d);\n", k1, k2);
	add_sql_end(ad);
	if (!app->hist.exists) {
		history_create_sql(&app->cfg, &ad->sql);
		add_sql_end(ad);
	}
	for (size_t i = 0; i < app->src.nr; i++) {
		struct migration *m = &app->src.m[i];
		const struct foreign_applied *a = ad->row[i];
		struct script s;
		if (ad->pick[i] != P_ADOPT)
			continue;
		if (script_read(&app->src, m, false, &s)) {
			script_release(&s);
			return -1;
		}
		if (ad->f.tool == FT_SQLX)
			check_sqlx_checksum(ad, m, &s, a);
		history_stamp_sql(&app->cfg, &ad->sql, m->version, m->name, s.checksum,
				  a ? a->applied_at : NULL);
		add_sql_end(ad);
		script_release(&s);
	}
	strbuf_addstr(&ad->sql, "COMMIT;\n");
	add_sql_end(ad);
	return 0;
}

static void say_plan(struct app *app, struct adoption *ad)
{
	const char *tool = foreign_tool_title(ad->f.tool);

	say("adopting %s's history from %s (%zu row%s)", tool, ad->f.table,
	    ad->f.nr_rows, ad->f.nr_rows == 1 ? "" : "s");
	for (size_t i = 0; i < app->src.nr; i++) {
		const struct migration *m = &app->src.m[i];
		if (ad->pick[i] == P_ADOPT)
			say("  adopt  %s", step_label(m));
		else if (ad->pick[i] == P_KEPT)
			say("  kept   %s (already in strata's history)", step_label(m));
		else if (ad->pick[i] == P_GAP)
			warning("%s was never applied by %s, though later versions were: it stays pending, out of order ('strata up --out-of-order' applies it)",
				step_label(m), tool);
	}
}

/* One hint per kind of problem: what to do about it. */
static void hint_problems(const struct adoption *ad)
{
	const struct problems *ps = &ad->f.problems;
	enum foreign_tool t = ad->f.tool;

	if (problems_have(ps, "history_not_empty"))
		hint("strata already keeps this database's history; --force adds only the versions it lacks");
	if (problems_have(ps, "missing"))
		hint("put each missing migration, converted to SQL, in the folder under its version (see 'Coming from ...' in the README)");
	if (problems_have(ps, "dirty"))
		hint("finish or undo that migration by hand, then 'migrate force VERSION' (the last version fully applied), and adopt again");
	if (problems_have(ps, "failed") && t == FT_FLYWAY)
		hint("fix the database by hand and run 'flyway repair' (it removes failed rows), then adopt again");
	if (problems_have(ps, "failed") && t == FT_SQLX)
		hint("fix the database by hand and delete the failed row from _sqlx_migrations, or run it again with sqlx, then adopt again");
	if (problems_have(ps, "unknown_revision") || problems_have(ps, "duplicate_revision"))
		hint("the file holding each Alembic revision's SQL begins with the line '-- alembic: REVISION'");
	if (problems_have(ps, "branches"))
		hint("merge them first: 'alembic merge heads' and 'alembic upgrade head'");
	if (problems_have(ps, "rows"))
		hint("golang-migrate keeps one row: leave only the row of the version it stands at");
	if (problems_have(ps, "bad_version"))
		hint("number the converted files with whole numbers and record them with 'strata stamp VERSION' instead");
}

static void json_problems(struct json *j, const char *key, const struct problems *ps)
{
	json_key(j, key);
	json_arr_begin(j);
	for (size_t i = 0; i < ps->nr; i++) {
		json_obj_begin(j);
		json_kstr(j, "kind", ps->p[i].kind);
		json_kstr(j, "version", ps->p[i].version);
		json_kstr(j, "message", ps->p[i].message);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_head(struct json *j, const struct adoption *ad, bool dry_run)
{
	json_obj_begin(j);
	json_kstr(j, "command", "adopt");
	json_kstr(j, "from", foreign_tool_name(ad->f.tool));
	json_kstr(j, "table", ad->f.table);
	json_kbool(j, "dry_run", dry_run);
}

static int report_problems(struct adoption *ad, bool dry_run)
{
	const struct problems *ps = &ad->f.problems;

	err_set_kind("mismatch");
	error("cannot adopt %s's history from %s: %zu problem%s; nothing was written",
	      foreign_tool_title(ad->f.tool), ad->f.table, ps->nr, ps->nr == 1 ? "" : "s");
	for (size_t i = 0; i < ps->nr; i++)
		note("  %s", ps->p[i].message);
	hint_problems(ad);
	if (out.json) {
		struct strbuf doc = STRBUF_INIT;
		struct json j;
		json_init(&j, &doc);
		json_head(&j, ad, dry_run);
		json_problems(&j, "problems", ps);
		json_kbool(&j, "ok", false);
		json_add_error(&j);
		json_obj_end(&j);
		out_json(&doc);
		strbuf_release(&doc);
	}
	return exit_failure();
}

static void json_done(struct app *app, struct adoption *ad, bool dry_run)
{
	struct strbuf doc = STRBUF_INIT;
	const struct applied *head = history_head(&app->hist);
	struct json j;

	json_init(&j, &doc);
	json_head(&j, ad, dry_run);
	json_key(&j, "adopted");
	json_arr_begin(&j);
	for (size_t i = 0; i < app->src.nr; i++) {
		if (ad->pick[i] != P_ADOPT)
			continue;
		json_obj_begin(&j);
		json_kstr(&j, "version", app->src.m[i].version);
		json_kstr(&j, "name", app->src.m[i].name);
		json_kstr(&j, "applied_at", ad->row[i] ? ad->row[i]->applied_at : NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	for (int pass = 0; pass < 2; pass++) {
		json_key(&j, pass ? "left_pending" : "kept");
		json_arr_begin(&j);
		for (size_t i = 0; i < app->src.nr; i++)
			if (ad->pick[i] == (pass ? P_GAP : P_KEPT))
				json_str(&j, app->src.m[i].version);
		json_arr_end(&j);
	}
	json_problems(&j, "warnings", &ad->warnings);
	if (dry_run) {
		json_key(&j, "sql");
		json_arr_begin(&j);
		for (size_t k = 0, from = 0; k < ad->nr_cut; from = ad->cut[k++])
			json_strn(&j, ad->sql.buf + from, ad->cut[k] - from);
		json_arr_end(&j);
	}
	json_kstr(&j, "current", head ? head->version : "base");
	json_kbool(&j, "ok", true);
	json_obj_end(&j);
	out_json(&doc);
	strbuf_release(&doc);
}

/* Send the transaction; strata's history is read again to report. */
static int write_history(struct app *app, struct adoption *ad)
{
	struct pgerr e = { 0 };
	bool failed = false;

	db_run(&app->db, ad->sql.buf, &e, &failed, NULL, NULL, NULL);
	if (failed) {
		pgerr_report(&e, "cannot write the history table");
		pgerr_release(&e);
		return -1;
	}
	return app_read_history(app);
}

static void adoption_release(struct adoption *ad)
{
	foreign_release(&ad->f);
	problems_release(&ad->warnings);
	strbuf_release(&ad->sql);
	free(ad->pick);
	free(ad->row);
	free(ad->cut);
}

static int parse_args(int argc, char **argv, const char **from, const char **table,
		      bool *dry_run, bool *force)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	int o;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return EXIT_USAGE;
		case 0: return usage_error("adopt", "unexpected argument '%s'", arg);
		case O_FROM: *from = arg; break;
		case O_FROM_TABLE: *table = arg; break;
		case O_DRY_RUN: *dry_run = true; break;
		case O_FORCE: *force = true; break;
		}
	}
	if (!*from)
		return usage_error("adopt", "adopt needs --from TOOL (%s)", foreign_tool_list());
	return 0;
}

int cmd_adopt(int argc, char **argv, struct app *app)
{
	const char *from = NULL, *table = NULL;
	bool dry_run = false, force = false;
	struct adoption ad = { .sql = STRBUF_INIT };
	struct strbuf strata_table = STRBUF_INIT;
	char *sch = NULL, *tbl = NULL;
	int ret;

	if ((ret = parse_args(argc, argv, &from, &table, &dry_run, &force)))
		return cmd_fail(app, ret);
	if (foreign_tool_parse(from, &ad.f.tool))
		return cmd_fail(app, usage_error("adopt", "unknown tool '%s' for --from (%s)",
						 from, foreign_tool_list()));
	if (table && parse_table_name(table, &sch, &tbl))
		return cmd_fail(app, usage_error("adopt", "invalid table name '%s' for --from-table (NAME or SCHEMA.NAME)", table));
	free(sch);
	free(tbl);
	if (app_open(app, dry_run))
		return cmd_fail(app, EXIT_FAIL);
	history_qname(&app->cfg, &strata_table);
	ret = foreign_read(&app->db, table, strata_table.buf, &ad.f);
	strbuf_release(&strata_table);
	if (ret) {
		adoption_release(&ad);
		return cmd_fail(app, EXIT_FAIL);
	}
	ad.pick = xcalloc(app->src.nr + 1, 1);
	ad.row = xcalloc(app->src.nr + 1, sizeof(*ad.row));
	match(app, &ad, force);
	if (ad.f.problems.nr) {
		ret = report_problems(&ad, dry_run);
		adoption_release(&ad);
		return ret;
	}
	say_plan(app, &ad);
	if ((ad.nr_adopt && build_sql(app, &ad)) ||
	    (!dry_run && ad.nr_adopt && write_history(app, &ad))) {
		adoption_release(&ad);
		return cmd_fail(app, EXIT_FAIL);
	}
	if (dry_run && !out.json)
		fputs(ad.sql.buf, stdout);
	if (!ad.nr_adopt)
		say("nothing to adopt: %s applied none of the files", foreign_tool_title(ad.f.tool));
	if (out.json) {
		json_done(app, &ad, dry_run);
	} else if (!dry_run) {
		const struct applied *head = history_head(&app->hist);
		say("adopted %zu migration%s from %s; now at %s", ad.nr_adopt,
		    ad.nr_adopt == 1 ? "" : "s", foreign_tool_title(ad.f.tool),
		    head ? head->version : "base");
	}
	adoption_release(&ad);
	return EXIT_OK;
}

/*
 * test.c - the rollback proof: in a scratch database (core/shadow.h), for
 * every migration, up, down, and up again, comparing the schema read from
 * the catalog at each step (src/schema/). The target is never changed.
 *
 * Migrations run through the runner, as 'up' and 'down' run them: one
 * transaction with the history row, or statement by statement for a file
 * that cannot run in a transaction, with the same directives and checks.
 * So what passes here is what the real run does, on the same server
 * version when the scratch database lives on the target's server.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/checkpoint.h"
#include "../core/replay.h"
#include "../core/runner.h"
#include "../core/shadow.h"
#include "../core/target.h"
#include "../schema/catalog.h"
#include "../schema/diff.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

enum { O_FROM = 1, O_TO, O_CHAIN, O_STRICT };

static const struct cmd_opt opts[] = {
	{ "from", 0, true, O_FROM },
	{ "to", 0, true, O_TO },
	{ "chain", 0, false, O_CHAIN },
	{ "strict", 0, false, O_STRICT },
	{ NULL, 0, false, 0 },
};

/* The proof of the folder's checkpoint (prove_checkpoint). */
struct cp_proof {
	char *file;		/* the folder's checkpoint, or NULL: none */
	const char *result;	/* "ok", "differs", "not_proved" */
	char *detail;		/* where the dumps differ, or why not proved */
};

/* What a migration proved, worst last (a result keeps its worst). */
enum verdict {
	V_OK,
	V_IRREVERSIBLE,		/* no down script: not tried */
	V_COLUMN_ORDER,		/* restored, but columns in another order */
	V_NOT_RESTORED,		/* down leaves another schema than before up */
	V_DOWN_FAILS,
	V_NOT_RERUNNABLE,	/* up after down fails, or builds another schema */
	V_UP_FAILS,
	V_NOT_TESTED,		/* an earlier failure left the database elsewhere */
};

static const char *const verdict_names[] = {
	"ok", "irreversible", "column order only", "down does not restore",
	"down fails", "up not re-runnable", "up fails", "not tested",
};

/* The same in --json. */
static const char *const verdict_ids[] = {
	"ok", "irreversible", "column_order", "not_restored",
	"down_fails", "not_rerunnable", "up_fails", "not_tested",
};

/* Does 'v' fail the run? Irreversible and column order only with --strict. */
static bool verdict_fails(enum verdict v, bool strict)
{
	if (v == V_IRREVERSIBLE || v == V_COLUMN_ORDER)
		return strict;
	return v != V_OK && v != V_NOT_TESTED;
}

struct result {
	const struct migration *m;	/* NULL: the chain */
	enum verdict v;
	struct schema_diff after_down;	/* before up → after down */
	struct schema_diff after_reup;	/* after up → after down and up again */
	char *error;	/* why a script failed: "file:line:col: message" */
	double up_ms, down_ms, reup_ms;
};

struct tester {
	struct app *app;
	struct result *res;
	size_t nr, alloc;
	size_t first, last;	/* the migrations tested: src.m[first..last] */
	bool chain, strict;
	double start_ms;
	struct schema_model cur;	/* after the last migration tested */
	bool have_cur;
};

static void worse(struct result *r, enum verdict v)
{
	if (v > r->v)
		r->v = v;
}

/* ---- reading the schema ------------------------------------------------ */

static int snapshot(struct app *app, struct schema_model *m)
{
	return schema_read_with(&app->db, &app->cfg, SCHEMA_COLUMNS, m);
}

/* What a diff says: ok, column order only, or 'bad' for anything more. */
static enum verdict judge(const struct schema_diff *d, enum verdict bad)
{
	if (!d->nr)
		return V_OK;
	return schema_diff_only_order(d) ? V_COLUMN_ORDER : bad;
}

/* ---- one migration at a time ------------------------------------------- */

static struct result *new_result(struct tester *t, const struct migration *m)
{
	struct result *r;

	ALLOC_GROW(t->res, t->nr + 1, t->alloc);
	r = &t->res[t->nr++];
	memset(r, 0, sizeof(*r));
	r->m = m;
	return r;
}

/*
 * The schema a migration leaves is the one the next starts from: kept,
 * it saves one catalog read per migration.
 */
static void keep_schema(struct tester *t, struct schema_model *m)
{
	t->cur = *m;
	t->have_cur = true;
}

/*
 * Up, down, up again for migration 'm', from the state the ones before
 * left. Returns 1 when the scratch database is no longer where the next
 * migration expects it (the rest cannot be tested), 0 to go on, -1 when
 * the schema could not be read (reported).
 */
static int test_one(struct tester *t, struct migration *m)
{
	struct app *app = t->app;
	struct result *r = new_result(t, m);
	struct schema_model s0, s1, s2, s3;
	bool in_tx;

	if (t->have_cur) {
		s0 = t->cur;
		t->have_cur = false;
	} else if (snapshot(app, &s0)) {
		return -1;
	}
	if (replay_script(app, m, false, &r->up_ms, &r->error, &in_tx)) {
		r->v = V_UP_FAILS;
		schema_model_release(&s0);
		return 1;
	}
	if (!m->down_file) {
		r->v = V_IRREVERSIBLE;
		schema_model_release(&s0);
		return 0;
	}
	if (snapshot(app, &s1)) {
		schema_model_release(&s0);
		return -1;
	}
	if (replay_script(app, m, true, &r->down_ms, &r->error, &in_tx)) {
		r->v = !strcmp(last_err.kind ? last_err.kind : "", "irreversible") ?
			V_IRREVERSIBLE : V_DOWN_FAILS;
		schema_model_release(&s0);
		/* a statement-by-statement down stopped half-way: stuck there */
		if (!in_tx) {
			schema_model_release(&s1);
			return 1;
		}
		keep_schema(t, &s1);	/* rolled back: still S1 */
		return 0;
	}
	if (snapshot(app, &s2)) {
		schema_model_release(&s0);
		schema_model_release(&s1);
		return -1;
	}
	schema_diff(&s0, &s2, &r->after_down);
	worse(r, judge(&r->after_down, V_NOT_RESTORED));
	schema_model_release(&s0);
	schema_model_release(&s2);
	if (replay_script(app, m, false, &r->reup_ms, &r->error, &in_tx)) {
		worse(r, V_NOT_RERUNNABLE);
		schema_model_release(&s1);
		return 1;
	}
	if (snapshot(app, &s3)) {
		schema_model_release(&s1);
		return -1;
	}
	schema_diff(&s1, &s3, &r->after_reup);
	worse(r, judge(&r->after_reup, V_NOT_RERUNNABLE));
	schema_model_release(&s1);
	keep_schema(t, &s3);
	return 0;
}

/* ---- the whole chain --------------------------------------------------- */

/*
 * Ups of migrations first..last (or downs, last to first). On a failure,
 * the chain's result gets 'v' and the error. 0 or -1.
 */
static int run_range(struct tester *t, struct result *r, bool down, enum verdict v,
		     double *ms)
{
	struct source *src = &t->app->src;
	bool in_tx;

	*ms = 0;
	for (size_t i = 0; i <= t->last - t->first; i++) {
		struct migration *m = &src->m[down ? t->last - i : t->first + i];
		double one;
		if (down && !m->down_file) {
			r->v = V_IRREVERSIBLE;
			r->error = xasprintf("%s has no down script: the chain stops there",
					     step_label(m));
			return -1;
		}
		if (replay_script(t->app, m, down, &one, &r->error, &in_tx)) {
			r->v = v;
			return -1;
		}
		*ms += one;
	}
	return 0;
}

/*
 * --chain: all ups, all downs back to where the range began, all ups
 * again: the schema after the downs must be the one before, and the
 * second ups must build what the first built.
 */
static int test_chain(struct tester *t)
{
	struct app *app = t->app;
	struct result *r = new_result(t, NULL);
	struct schema_model before, top, back, again;
	int ret = -1;

	if (snapshot(app, &before))
		return -1;
	if (run_range(t, r, false, V_UP_FAILS, &r->up_ms)) {
		schema_model_release(&before);
		return 0;
	}
	if (snapshot(app, &top))
		goto out1;
	if (run_range(t, r, true, V_DOWN_FAILS, &r->down_ms)) {
		ret = 0;
		goto out2;
	}
	if (snapshot(app, &back))
		goto out2;
	schema_diff(&before, &back, &r->after_down);
	worse(r, judge(&r->after_down, V_NOT_RESTORED));
	if (run_range(t, r, false, V_NOT_RERUNNABLE, &r->reup_ms)) {
		ret = 0;
		goto out3;
	}
	if (snapshot(app, &again))
		goto out3;
	schema_diff(&top, &again, &r->after_reup);
	worse(r, judge(&r->after_reup, V_NOT_RERUNNABLE));
	schema_model_release(&again);
	ret = 0;
out3:
	schema_model_release(&back);
out2:
	schema_model_release(&top);
out1:
	schema_model_release(&before);
	return ret;
}

/* ---- output ------------------------------------------------------------ */

static const char *result_label(const struct result *r)
{
	return r->m ? step_label(r->m) : "the chain (all ups, all downs, all ups)";
}

static void print_diff(const struct schema_diff *d, const char *stage)
{
	for (size_t i = 0; i < d->nr; i++) {
		say("  %s%s", stage, d->f[i].text);
		if (d->f[i].excerpt) {
			const char *p = d->f[i].excerpt;
			while (*p) {
				const char *nl = strchr(p, '\n');
				int n = nl ? (int)(nl - p) : (int)strlen(p);
				say("      %.*s", n, p);
				p += n + (nl != NULL);
			}
		}
	}
}

static void print_result(const struct result *r, bool strict)
{
	const char *color = r->v == V_OK ? c_green() :
			    verdict_fails(r->v, strict) ? c_red() : c_yellow();

	say("%s%-21s%s %s %s(%.0f ms)%s", color, verdict_names[r->v], c_reset(),
	    result_label(r), c_dim(), r->up_ms + r->down_ms + r->reup_ms, c_reset());
	if (r->error)
		say("  %s", r->error);
	if (r->v == V_IRREVERSIBLE && !r->error)
		say("  no down script: the down was not tried");
	print_diff(&r->after_down, r->m ? "after down: " : "after all downs: ");
	print_diff(&r->after_reup, r->m ? "after up again: " : "after all ups again: ");
}

/* "3 ok, 1 down does not restore" */
static void count_phrase(const struct tester *t, struct strbuf *sb)
{
	for (size_t v = 0; v < ARRAY_SIZE(verdict_names); v++) {
		size_t n = 0;
		for (size_t i = 0; i < t->nr; i++)
			n += t->res[i].v == v;
		if (n)
			strbuf_addf(sb, "%s%zu %s", sb->len ? ", " : "", n, verdict_names[v]);
	}
}

static double tested_ms(const struct result *r)
{
	return r->up_ms + r->down_ms + r->reup_ms;
}

static void print_summary(const struct tester *t)
{
	struct strbuf sb = STRBUF_INIT;
	size_t tested = 0;
	double ms = now_ms() - t->start_ms, run_ms = 0;

	for (size_t i = 0; i < t->nr; i++) {
		tested += t->res[i].v != V_NOT_TESTED;
		run_ms += tested_ms(&t->res[i]);
	}
	count_phrase(t, &sb);
	if (t->chain)
		say("chain of %zu migrations tested in %.1f s: %s", t->last - t->first + 1,
		    ms / 1000, sb.buf);
	else
		say("%zu migration%s tested in %.1f s (%.0f ms per migration, %.0f ms of it running scripts): %s",
		    tested, tested == 1 ? "" : "s", ms / 1000, tested ? ms / (double)tested : 0.0,
		    tested ? run_ms / (double)tested : 0.0, sb.buf);
	strbuf_release(&sb);
}

static void json_diff(struct json *j, const struct schema_diff *d, const char *stage)
{
	for (size_t i = 0; i < d->nr; i++) {
		json_obj_begin(j);
		json_kstr(j, "stage", stage);
		json_key(j, "finding");
		schema_finding_json(&d->f[i], j);
		json_obj_end(j);
	}
}

static void json_result(struct json *j, const struct result *r)
{
	json_obj_begin(j);
	json_kstr(j, "version", r->m ? r->m->version : NULL);
	json_kstr(j, "name", r->m ? r->m->name : "chain");
	json_kstr(j, "result", verdict_ids[r->v]);
	json_kstr(j, "error", r->error);
	json_kint(j, "up_ms", (long long)(r->up_ms + 0.5));
	json_kint(j, "down_ms", (long long)(r->down_ms + 0.5));
	json_kint(j, "up_again_ms", (long long)(r->reup_ms + 0.5));
	json_kint(j, "duration_ms", (long long)(tested_ms(r) + 0.5));
	json_key(j, "findings");
	json_arr_begin(j);
	json_diff(j, &r->after_down, "after down");
	json_diff(j, &r->after_reup, "after up again");
	json_arr_end(j);
	json_obj_end(j);
}

static void print_json(const struct tester *t, enum shadow_kind scratch,
		       const struct cp_proof *cpp, bool ok)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	size_t tested = 0;
	double ms = now_ms() - t->start_ms;

	for (size_t i = 0; i < t->nr; i++)
		tested += t->res[i].v != V_NOT_TESTED;
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kstr(&j, "command", "test");
	json_kstr(&j, "scratch", shadow_kind_name(scratch));
	json_kbool(&j, "chain", t->chain);
	json_kbool(&j, "strict", t->strict);
	json_kstr(&j, "from", t->app->src.nr ? t->app->src.m[t->first].version : NULL);
	json_kstr(&j, "to", t->app->src.nr ? t->app->src.m[t->last].version : NULL);
	json_key(&j, t->chain ? "chain" : "migrations");
	if (t->chain) {
		if (t->nr)
			json_result(&j, &t->res[0]);
		else
			json_null(&j);
	} else {
		json_arr_begin(&j);
		for (size_t i = 0; i < t->nr; i++)
			json_result(&j, &t->res[i]);
		json_arr_end(&j);
	}
	json_key(&j, "summary");
	json_obj_begin(&j);
	for (size_t v = 0; v < ARRAY_SIZE(verdict_names); v++) {
		long long n = 0;
		for (size_t i = 0; i < t->nr; i++)
			n += t->res[i].v == v;
		json_kint(&j, verdict_ids[v], n);
	}
	json_obj_end(&j);
	json_key(&j, "checkpoint");
	if (cpp->file) {
		json_obj_begin(&j);
		json_kstr(&j, "file", cpp->file);
		json_kstr(&j, "result", cpp->result);
		json_kstr(&j, "detail", cpp->detail);
		json_obj_end(&j);
	} else {
		json_null(&j);
	}
	json_kint(&j, "tested", (long long)tested);
	json_kint(&j, "duration_ms", (long long)(ms + 0.5));
	json_kint(&j, "ms_per_migration", tested && !t->chain ? (long long)(ms / (double)tested + 0.5) : 0);
	json_kbool(&j, "ok", ok);
	json_obj_end(&j);
	out_json(&sb);
	strbuf_release(&sb);
}

/* ---- the checkpoint ---------------------------------------------------- */

/*
 * The folder's checkpoint, proved as 'squash' proved it when it wrote it:
 * a database started from it (and the migrations after it) and one
 * migrated step by step must have the same schema. Not possible once the
 * files it covers are deleted. 0, or -1 after error().
 */
static int prove_checkpoint(struct app *app, struct cp_proof *p)
{
	struct checkpoint cp;
	struct strbuf text = STRBUF_INIT;
	int r = checkpoint_load(&app->src, &cp);

	if (r <= 0)
		return r;
	p->file = xstrdup(cp.file);
	for (size_t i = 0; i < cp.nr; i++) {
		if (source_find(&app->src, cp.covers[i].version) < 0) {
			p->result = "not_proved";
			p->detail = xasprintf("the file of migration %s, which it covers, is gone",
					      cp.covers[i].version);
			checkpoint_release(&cp);
			return 0;
		}
	}
	strbuf_add(&text, cp.s.text, cp.s.len);
	r = checkpoint_prove(app, cp.file, &text, &p->detail);
	strbuf_release(&text);
	checkpoint_release(&cp);
	if (r < 0)
		return -1;
	p->result = r ? "differs" : "ok";
	return 0;
}

static void print_checkpoint(const struct cp_proof *p)
{
	if (!p->file)
		return;
	if (!strcmp(p->result, "ok"))
		say("%sok%s                    checkpoint %s: from it and step by step, the same schema",
		    c_green(), c_reset(), p->file);
	else if (!strcmp(p->result, "differs"))
		say("%scheckpoint differs%s    %s: %s", c_red(), c_reset(), p->file, p->detail);
	else
		say("%snot proved%s            checkpoint %s: %s", c_yellow(), c_reset(), p->file,
		    p->detail);
}

/* ---- the command ------------------------------------------------------- */

/* --from/--to: a version of the folder (or a unique prefix); its index. */
static int find_version(struct app *app, const char *opt, const char *arg, size_t *index)
{
	struct history none = { 0 };
	struct target tg;
	long k;

	if (target_parse(arg, &app->src, &none, &tg))
		return usage_error("test", "option '%s': no migration '%s' in the folder", opt, arg);
	k = tg.kind == TARGET_VERSION ? source_find(&app->src, tg.version) : -1;
	target_release(&tg);
	if (k < 0)
		return usage_error("test", "option '%s' needs a version of the folder, not '%s'", opt, arg);
	*index = (size_t)k;
	return 0;
}

/* Apply the migrations before the range, then test it. 0 or -1. */
static int run_tests(struct tester *t)
{
	struct app *app = t->app;
	int ret = 0;

	for (size_t i = 0; i < t->first && !ret; i++) {
		double ms;
		char *err = NULL;
		bool in_tx;
		if (replay_script(app, &app->src.m[i], false, &ms, &err, &in_tx)) {
			err_reset();
			err_set_kind("sql");
			ret = error("cannot apply %s, before the tested range: %s",
				    step_label(&app->src.m[i]), err);
		}
		free(err);
	}
	if (ret)
		return -1;
	if (t->chain)
		return test_chain(t);
	for (size_t i = t->first; i <= t->last; i++) {
		int r1 = test_one(t, &app->src.m[i]);
		if (r1 < 0)
			return -1;
		if (r1 > 0) {
			for (size_t k = i + 1; k <= t->last; k++)
				new_result(t, &app->src.m[k])->v = V_NOT_TESTED;
			break;
		}
		if (interrupted) {
			err_set_kind("interrupted");
			return error("interrupted after %s", step_label(&app->src.m[i]));
		}
	}
	return 0;
}

static void tester_release(struct tester *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		schema_diff_release(&t->res[i].after_down);
		schema_diff_release(&t->res[i].after_reup);
		free(t->res[i].error);
	}
	free(t->res);
	if (t->have_cur)
		schema_model_release(&t->cur);
}

int cmd_test(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg, *from = NULL, *to = NULL;
	struct tester t = { 0 };
	struct cp_proof cpp = { 0 };
	struct shadow sh;
	enum shadow_kind scratch;
	bool failed = false;
	int o, ret;

	t.app = app;
	t.start_ms = now_ms();
	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0: return cmd_fail(app, usage_error("test", "unexpected argument '%s'", arg));
		case O_FROM: from = arg; break;
		case O_TO: to = arg; break;
		case O_CHAIN: t.chain = true; break;
		case O_STRICT: t.strict = true; break;
		}
	}
	if (app_load_source(app))
		return cmd_fail(app, EXIT_FAIL);
	if (!app->src.nr) {
		err_set_kind("files");
		error("no migrations in %s: nothing to test", app->cfg.source_dir);
		return cmd_fail(app, EXIT_FAIL);
	}
	t.last = app->src.nr - 1;
	if ((from && find_version(app, "--from", from, &t.first)) ||
	    (to && find_version(app, "--to", to, &t.last)))
		return cmd_fail(app, EXIT_USAGE);
	if (t.first > t.last)
		return cmd_fail(app, usage_error("test", "--from %s comes after --to %s", from, to));
	if (shadow_open(app, &sh))
		return cmd_fail(app, EXIT_FAIL);
	verbose("testing in %s", sh.ci.display);
	scratch = sh.kind;
	if (replay_connect(app, &sh) || run_tests(&t))
		failed = true;
	db_close(&app->db);
	app->connected = false;
	shadow_close(&sh);
	/* a checkpoint is proved over the whole folder, not a range */
	if (!failed && !from && !to && prove_checkpoint(app, &cpp))
		failed = true;
	if (failed) {
		tester_release(&t);
		free(cpp.file);
		free(cpp.detail);
		return cmd_fail(app, EXIT_FAIL);
	}
	ret = 0;
	for (size_t i = 0; i < t.nr; i++)
		ret |= verdict_fails(t.res[i].v, t.strict);
	if (cpp.file && !strcmp(cpp.result, "differs"))
		ret = 1;
	if (out.json) {
		print_json(&t, scratch, &cpp, !ret);
	} else {
		for (size_t i = 0; i < t.nr; i++)
			print_result(&t.res[i], t.strict);
		print_checkpoint(&cpp);
		print_summary(&t);
	}
	tester_release(&t);
	free(cpp.file);
	free(cpp.detail);
	return ret ? exit_failure() : EXIT_OK;
}

/*
 * checkpoint.c - squash checkpoints: found, read, applied to an empty
 * database, and proved against the step-by-step replay (checkpoint.h).
 */
#include "../compat.h"
#include "checkpoint.h"
#include "history.h"
#include "runner.h"
#include "schemafile.h"
#include "shadow.h"
#include "version.h"
#include "../app.h"
#include "../schema/catalog.h"
#include "../sql/parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAG_VERSION "-- strata:checkpoint "
#define TAG_COVERS "-- strata:covers "
/* The child strata finds the scratch database's URL here (never in argv). */
#define SCRATCH_URL_VAR "STRATA_SCRATCH_URL"

char *checkpoint_file_name(const char *raw_version)
{
	return xasprintf(CHECKPOINT_PREFIX "%s" CHECKPOINT_SUFFIX, raw_version);
}

void checkpoint_release(struct checkpoint *cp)
{
	for (size_t i = 0; i < cp->nr; i++) {
		free(cp->covers[i].version);
		free(cp->covers[i].checksum);
		free(cp->covers[i].name);
	}
	free(cp->covers);
	free(cp->file);
	free(cp->version);
	script_release(&cp->s);
	memset(cp, 0, sizeof(*cp));
}

bool checkpoint_covers(const struct checkpoint *cp, const char *version)
{
	size_t lo = 0, hi = cp->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = version_cmp(cp->covers[mid].version, version);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* One "-- strata:covers VERSION CHECKSUM NAME" line; -1 when malformed. */
static int parse_cover(struct checkpoint *cp, const char *line, size_t n)
{
	const char *v = line, *sp1 = memchr(v, ' ', n), *sp2;
	struct checkpoint_cover *c;

	if (!sp1 || sp1 == v)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line));
	if (!sp2 || sp2 - sp1 != 65 || sp2 + 1 >= line + n)
		return -1;
	for (const char *p = v; p < sp1; p++)
		if (*p < '0' || *p > '9')
			return -1;
	ALLOC_GROW(cp->covers, cp->nr + 1, cp->alloc);
	c = &cp->covers[cp->nr++];
	c->version = version_normalize(v, (size_t)(sp1 - v));
	c->checksum = xstrndup(sp1 + 1, 64);
	c->name = xstrndup(sp2 + 1, (size_t)(line + n - sp2 - 1));
	if (cp->nr > 1 && version_cmp(cp->covers[cp->nr - 2].version, c->version) >= 0)
		return -1;
	return 0;
}

/* Read the header lines of cp->s; -1 after error() when it is not one. */
static int parse_header(struct checkpoint *cp)
{
	const char *t = cp->s.text, *end = t + cp->s.len;
	int line = 0;

	while (t < end && !strncmp(t, "--", 2)) {
		const char *eol = memchr(t, '\n', (size_t)(end - t));
		size_t n = eol ? (size_t)(eol - t) : (size_t)(end - t);
		line++;
		if (n && t[n - 1] == '\r')
			n--;
		if (!strncmp(t, TAG_VERSION, strlen(TAG_VERSION)) && !cp->version) {
			cp->version = version_normalize(t + strlen(TAG_VERSION), n - strlen(TAG_VERSION));
		} else if (!strncmp(t, TAG_COVERS, strlen(TAG_COVERS)) &&
			   parse_cover(cp, t + strlen(TAG_COVERS), n - strlen(TAG_COVERS))) {
			err_set_kind("files");
			return error("%s:%d: not a '-- strata:covers VERSION CHECKSUM NAME' line in version order",
				     cp->s.path, line);
		}
		t = eol ? eol + 1 : end;
	}
	if (!cp->version || !cp->nr ||
	    version_cmp(cp->covers[cp->nr - 1].version, cp->version)) {
		err_set_kind("files");
		error("%s: not a strata checkpoint: its header must name the version and every version it covers, up to that one",
		      cp->s.path);
		hint("write it again with 'strata squash --to VERSION'");
		return -1;
	}
	return 0;
}

int checkpoint_load(const struct source *src, struct checkpoint *cp)
{
	memset(cp, 0, sizeof(*cp));
	/* source_load() noted the checkpoint files while it scanned the folder */
	if (!src->nr_checkpoints)
		return 0;
	if (src->nr_checkpoints > 1) {
		err_set_kind("files");
		error("two checkpoints in %s: '%s' and '%s'", src->dir, src->checkpoints[0],
		      src->checkpoints[1]);
		hint("a folder holds one checkpoint: keep the newer one");
		return -1;
	}
	cp->file = xstrdup(src->checkpoints[0]);
	if (script_read_file(src, cp->file, &cp->s) || parse_header(cp)) {
		err_set_kind("files");
		checkpoint_release(cp);
		return -1;
	}
	return 1;
}

int checkpoint_text(const struct source *src, size_t nr, const char *schema_sql,
		    struct strbuf *sb)
{
	const struct migration *last = &src->m[nr - 1];

	strbuf_addf(sb, "-- strata checkpoint: the schema at version %s (%s), written by\n"
		    "-- 'strata squash'. A database with no history applies it in one\n"
		    "-- transaction, then the migrations after it; any other database goes on\n"
		    "-- with the migration files. Do not edit: regenerate it.\n",
		    last->raw_version, last->name);
	strbuf_addf(sb, TAG_VERSION "%s\n", last->version);
	for (size_t i = 0; i < nr; i++) {
		struct script s;
		if (script_read(src, &src->m[i], false, &s)) {
			err_set_kind("files");
			return -1;
		}
		strbuf_addf(sb, TAG_COVERS "%s %s %s\n", src->m[i].version, s.checksum,
			    src->m[i].name);
		script_release(&s);
	}
	strbuf_addch(sb, '\n');
	strbuf_addstr(sb, schema_sql);
	return 0;
}

/* ---- applying it ------------------------------------------------------ */

/* A covered version neither applied nor on disk: the database is stranded. */
static int check_stranded(struct app *app, const struct checkpoint *cp)
{
	for (size_t i = 0; i < cp->nr; i++) {
		const struct checkpoint_cover *c = &cp->covers[i];
		if (history_find(&app->hist, c->version) || source_find(&app->src, c->version) >= 0)
			continue;
		err_set_kind("missing");
		error("the database is below checkpoint %s, and the file of migration %s_%s it needs is gone",
		      source_path(&app->src, cp->file), c->version, c->name);
		hint("restore the migration files the checkpoint covers (from version control) and run 'strata up'; or rebuild this database from empty, which starts from the checkpoint");
		return -1;
	}
	return 0;
}

/* The history table and a stamped row for every covered version. */
static void history_rows(struct app *app, const struct checkpoint *cp, struct strbuf *sb)
{
	history_create_sql(&app->cfg, sb);
	for (size_t i = 0; i < cp->nr; i++)
		history_stamp_sql(&app->cfg, sb, cp->covers[i].version, cp->covers[i].name,
				  cp->covers[i].checksum, NULL);
	strbuf_addstr(sb, "RESET check_function_bodies;\n");
}

/* What the database holds now, without reading it again. */
static void add_to_history(struct app *app, const struct checkpoint *cp)
{
	struct history *h = &app->hist;

	h->exists = true;
	for (size_t i = 0; i < cp->nr; i++) {
		struct applied *a;
		ALLOC_GROW(h->a, h->nr + 1, h->alloc);
		a = &h->a[h->nr++];
		memset(a, 0, sizeof(*a));
		a->version = xstrdup(cp->covers[i].version);
		a->name = xstrdup(cp->covers[i].name);
		a->checksum = xstrdup(cp->covers[i].checksum);
		a->state = xstrdup("applied");
		a->duration_ms = -1;
		a->stamped = true;
		a->matched = source_find(&app->src, a->version) >= 0;
	}
}

static int apply(struct app *app, struct checkpoint *cp, bool dry_run)
{
	struct strbuf after = STRBUF_INIT;
	struct parsed p = { 0 };
	struct parse_error pe;
	double ms = 0;
	int ret = 0;

	history_rows(app, cp, &after);
	if (sql_parse(cp->s.text, cp->s.len, &p, &pe)) {
		err_set_kind("files");
		error("%s: syntax error: %s", cp->s.path, pe.msg);
		script_show_location(&cp->s, pe.off);
		free(pe.msg);
		ret = -1;
	} else if (dry_run) {
		if (!out.json)
			printf("BEGIN;\n%s\n%sCOMMIT;\n", cp->s.text, after.buf);
	} else if (script_run_in_tx(app, &cp->s, &p, after.buf, &ms)) {
		ret = -1;
	} else {
		say("applied checkpoint %s (%zu migrations, up to %s) in %.0f ms",
		    cp->s.path, cp->nr, cp->version, ms);
	}
	parsed_release(&p);
	strbuf_release(&after);
	return ret;
}

int checkpoint_before_up(struct app *app, const char *target_version,
			 bool dry_run, const char **applied)
{
	static struct checkpoint cp;	/* its name outlives this call */
	int r;

	*applied = NULL;
	checkpoint_release(&cp);
	r = checkpoint_load(&app->src, &cp);
	if (r <= 0)
		return r;
	if (app->hist.nr || (target_version && version_cmp(target_version, cp.version) < 0))
		return check_stranded(app, &cp);
	if (apply(app, &cp, dry_run))
		return -1;
	add_to_history(app, &cp);
	*applied = cp.file;
	return 0;
}

/* ---- proving it ------------------------------------------------------- */

/* The scratch database as a conninfo string: key='value', quoted. */
static char *conninfo_string(const struct conninfo *ci)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < ci->nr; i++) {
		strbuf_addf(&sb, "%s%s='", i ? " " : "", ci->keys[i]);
		for (const char *v = ci->vals[i]; *v; v++) {
			if (*v == '\'' || *v == '\\')
				strbuf_addch(&sb, '\\');
			strbuf_addch(&sb, *v);
		}
		strbuf_addch(&sb, '\'');
	}
	return strbuf_detach(&sb, NULL);
}

int checkpoint_replay(struct app *app, const struct shadow *sh, const char *dir,
		      const char *target)
{
	const struct config *c = &app->cfg;
	const char *av[24];
	char *url = conninfo_string(&sh->ci);
	int n = 0, status;
	pid_t pid;

	av[n++] = "strata";
	av[n++] = "-q";
	av[n++] = "--no-color";
	if (c->config_path)
		av[n++] = "-c", av[n++] = c->config_path;
	if (c->env)
		av[n++] = "-e", av[n++] = c->env;
	if (c->opt_table)
		av[n++] = "--table", av[n++] = c->opt_table;
	av[n++] = "--url-env";
	av[n++] = SCRATCH_URL_VAR;
	av[n++] = "-s";
	av[n++] = dir;
	av[n++] = "up";
	if (target)
		av[n++] = target;
	av[n++] = "--no-dump";
	/* a scratch database: nothing to protect, lint is for real ones */
	av[n++] = "--force";
	av[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0)
			dup2(nul, STDOUT_FILENO);
		unsetenv("STRATA_FLEET_URL");
		setenv(SCRATCH_URL_VAR, url, 1);
		/* a temporary folder's checksums are worth no cache file */
		if (strcmp(dir, app->src.dir))
			setenv("STRATA_CACHE", "off", 1);
		execv("/proc/self/exe", (char **)av);
		dprintf(STDERR_FILENO, "error: cannot run /proc/self/exe: %s\n", strerror(errno));
		_exit(EXIT_FAIL);
	}
	free(url);
	if (pid < 0)
		return error("cannot start strata: %s", strerror(errno));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error("cannot wait for strata: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		err_set_kind("squash");
		return error("replaying the migrations of %s%s%s in a scratch database failed",
			     dir, target ? " up to " : "", target ? target : "");
	}
	return 0;
}

int checkpoint_dump_scratch(struct app *app, const struct shadow *sh,
			    struct strbuf *sb)
{
	struct db db = { 0 };
	struct schema_model m;
	int ret = 0;

	if (db_connect(&db, &sh->ci, app->cfg.wait_ms))
		return -1;
	if (schema_read(&db, &app->cfg, &m))
		ret = -1;
	else
		schema_to_sql(&m, sb);
	schema_model_release(&m);
	db_close(&db);
	return ret;
}

/*
 * A folder like the migrations folder, in a temporary directory: a
 * symbolic link to each entry but its checkpoint, and the checkpoint
 * 'name' holding 'text' (none when 'name' is NULL: the migrations
 * alone). *tmp gets its path (caller removes it).
 */
static int folder_with(struct app *app, const char *name, const struct strbuf *text,
		       char **tmp)
{
	const char *base = getenv("TMPDIR");
	char *dir = xasprintf("%s/strata-squash.XXXXXX", base && *base ? base : "/tmp");
	char *abs_src = realpath(app->src.dir, NULL);
	char *path;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	*tmp = NULL;
	if (!abs_src || !mkdtemp(dir)) {
		error("cannot make a temporary folder: %s", strerror(errno));
		free(abs_src);
		free(dir);
		return -1;
	}
	*tmp = dir;
	d = opendir(abs_src);
	while (d && (de = readdir(d))) {
		char *from, *to;
		if (de->d_name[0] == '.' || source_is_checkpoint_name(de->d_name))
			continue;
		from = xasprintf("%s/%s", abs_src, de->d_name);
		to = xasprintf("%s/%s", dir, de->d_name);
		if (symlink(from, to))
			ret = error("cannot link '%s': %s", to, strerror(errno));
		free(from);
		free(to);
	}
	if (d)
		closedir(d);
	else
		ret = error("cannot read '%s': %s", abs_src, strerror(errno));
	if (name) {
		path = xasprintf("%s/%s", dir, name);
		if (!ret && write_file_atomically(path, text))
			ret = -1;
		free(path);
	}
	free(abs_src);
	return ret;
}

/* Remove the temporary folder: its links and its one file. */
static void remove_folder(char *dir)
{
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *p;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	if (dir)
		rmdir(dir);
	free(dir);
}

/* The first line where 'a' and 'b' differ, for the report. */
static char *first_difference(const char *a, const char *b)
{
	int line = 1;
	const char *la = a, *lb = b;

	while (*a && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++, b++;
	}
	return xasprintf("line %d of the dumps: step by step '%.*s', from the checkpoint '%.*s'",
			 line, (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

int checkpoint_prove(struct app *app, const char *name, const struct strbuf *text,
		     char **difference)
{
	struct shadow step = { 0 }, fresh = { 0 };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	char *tmp = NULL, *plain = NULL;
	int ret = -1;

	*difference = NULL;
	/*
	 * Both sides from copies of the folder: the step-by-step one without
	 * any checkpoint (the folder may hold one, which an empty database
	 * would start from), the other with this one.
	 */
	if (folder_with(app, NULL, NULL, &plain) || folder_with(app, name, text, &tmp))
		goto out;
	verbose("proof: every migration step by step, and the checkpoint then the rest");
	if (shadow_open(app, &step) || checkpoint_replay(app, &step, plain, NULL) ||
	    checkpoint_dump_scratch(app, &step, &a))
		goto out;
	if (shadow_open(app, &fresh) || checkpoint_replay(app, &fresh, tmp, NULL) ||
	    checkpoint_dump_scratch(app, &fresh, &b))
		goto out;
	ret = 0;
	if (strcmp(a.buf, b.buf)) {
		*difference = first_difference(a.buf, b.buf);
		ret = 1;
	}
out:
	shadow_close(&fresh);
	shadow_close(&step);
	remove_folder(tmp);
	remove_folder(plain);
	strbuf_release(&a);
	strbuf_release(&b);
	return ret;
}

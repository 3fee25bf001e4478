/*
 * new.c - write the files of a new migration.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"
#include "../core/version.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/json.h"
#include "../util/out.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { O_SINGLE = 1, O_SEQ, O_MESSAGE };

static const struct cmd_opt opts[] = {
	{ "single", 0, false, O_SINGLE },
	{ "seq", 0, false, O_SEQ },
	{ "message", 'm', true, O_MESSAGE },
	{ NULL, 0, false, 0 },
};

/* "Add users!" -> "add_users" */
static char *clean_name(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			strbuf_addch(&sb, *p);
		else if (*p >= 'A' && *p <= 'Z')
			strbuf_addch(&sb, *p + 32);
		else if (*p >= 0x80)
			strbuf_addch(&sb, *p);
		else if (sb.len && sb.buf[sb.len - 1] != '_')
			strbuf_addch(&sb, '_');
	}
	while (sb.len && sb.buf[sb.len - 1] == '_')
		strbuf_setlen(&sb, sb.len - 1);
	return strbuf_detach(&sb, NULL);
}

/* add one to a decimal string */
static char *incr(const char *v)
{
	size_t n = strlen(v);
	char *r = xmalloc(n + 2);
	int carry = 1;
	r[n + 1] = '\0';
	for (size_t i = n; i > 0; i--) {
		int d = v[i - 1] - '0' + carry;
		carry = d / 10;
		r[i] = (char)('0' + d % 10);
	}
	r[0] = carry ? '1' : '0';
	if (r[0] == '0')
		memmove(r, r + 1, n + 1);
	return r;
}

/* mkdir -p */
static int mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	int ret = 0;

	for (char *s = p + 1; *s && !ret; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			ret = -1;
		*s = '/';
	}
	if (!ret && mkdir(p, 0755) && errno != EEXIST)
		ret = -1;
	free(p);
	return ret;
}

static int write_new(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t n = strlen(text);
	if (fd < 0)
		return error("cannot create '%s': %s", path, strerror(errno));
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return error("cannot write '%s': %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

int cmd_new(int argc, char **argv, struct app *app)
{
	struct opt_iter it = { argc, argv, 0, false };
	const char *arg;
	struct strbuf words = STRBUF_INIT;
	char *raw_name = NULL;
	bool single = false, seq = false;
	char *name, *version = NULL, *up = NULL, *down = NULL, *text;
	const char *dir = app->cfg.source_dir;
	int o, ret = EXIT_OK;
	struct strbuf sb = STRBUF_INIT;

	while ((o = opt_next(&it, opts, &arg)) != -1) {
		switch (o) {
		case -2: return cmd_fail(app, EXIT_USAGE);
		case 0:
		case O_MESSAGE:
			/* "strata new add users" is "add_users", like -m "add users" */
			if (words.len)
				strbuf_addch(&words, ' ');
			strbuf_addstr(&words, arg);
			break;
		case O_SINGLE: single = true; break;
		case O_SEQ: seq = true; break;
		}
	}
	if (!words.len)
		return cmd_fail(app, usage_error("new", "new needs a NAME"));
	raw_name = strbuf_detach(&words, NULL);
	name = clean_name(raw_name);
	if (!*name) {
		free(name);
		o = usage_error("new", "NAME '%s' has no letters or digits", raw_name);
		free(raw_name);
		return cmd_fail(app, o);
	}
	if (mkdir_p(dir)) {
		error("cannot create '%s': %s", dir, strerror(errno));
		free(name);
		free(raw_name);
		return cmd_fail(app, EXIT_FAIL);
	}
	if (source_load(&app->src, dir)) {
		source_release(&app->src);
		free(raw_name);
		free(name);
		return cmd_fail(app, EXIT_FAIL);
	}
	app->have_src = true;
	if (seq) {
		const char *last = app->src.nr ? app->src.m[app->src.nr - 1].version : "0";
		size_t width = app->src.nr ? strlen(app->src.m[app->src.nr - 1].raw_version) : 4;
		char *next = incr(last);
		for (size_t k = strlen(next); k < width; k++)
			strbuf_addch(&sb, '0');
		strbuf_addstr(&sb, next);
		free(next);
		version = strbuf_detach(&sb, NULL);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char buf[32];
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);
		version = xstrdup(buf);
		/* two in the same second, or a clock behind the folder */
		while (app->src.nr &&
		       version_cmp(version, app->src.m[app->src.nr - 1].version) <= 0) {
			char *n = incr(app->src.m[app->src.nr - 1].version);
			free(version);
			version = n;
		}
	}
	if (single) {
		up = xasprintf("%s/%s_%s.sql", dir, version, name);
	} else {
		up = xasprintf("%s/%s_%s.up.sql", dir, version, name);
		down = xasprintf("%s/%s_%s.down.sql", dir, version, name);
	}
	/*
	 * The template passes 'strata lint'. With strata's own lock_timeout
	 * off, it sets one, which require-lock-timeout asks for.
	 */
	text = xasprintf("-- %s\n-- Runs in one transaction with its history row. For statements that\n"
			 "-- cannot (CREATE INDEX CONCURRENTLY), put -- strata:no-transaction first.\n"
			 "-- 'strata lint' checks it for locks and rewrites before it runs.\n\n%s",
			 raw_name, app->cfg.lock_timeout_ms > 0 ? "" :
			 "SET LOCAL lock_timeout = '2s';\n\n");
	if (write_new(up, text))
		ret = EXIT_FAIL;
	free(text);
	if (!ret && down) {
		text = xasprintf("-- revert: %s\n\n", raw_name);
		if (write_new(down, text)) {
			unlink(up);
			ret = EXIT_FAIL;
		}
		free(text);
	}
	if (ret) {
		ret = cmd_fail(app, ret);
	} else if (out.json) {
		struct strbuf d = STRBUF_INIT;
		struct json j;
		json_init(&j, &d);
		json_obj_begin(&j);
		json_kstr(&j, "command", "new");
		json_kstr(&j, "version", version);
		json_kstr(&j, "name", name);
		json_key(&j, "files");
		json_arr_begin(&j);
		json_str(&j, up);
		if (down)
			json_str(&j, down);
		json_arr_end(&j);
		json_kbool(&j, "ok", true);
		json_obj_end(&j);
		out_json(&d);
		strbuf_release(&d);
	} else {
		say("created %s", up);
		if (down)
			say("created %s", down);
	}
	free(raw_name);
	free(name);
	free(version);
	free(up);
	free(down);
	return ret;
}

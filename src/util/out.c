#include "../compat.h"
#include "out.h"
#include "util.h"
#include "json.h"

#include <unistd.h>

struct output out;
struct err last_err;

static char **secrets;
static size_t nr_secrets, alloc_secrets;

void out_init(void)
{
	const char *nc = getenv("NO_COLOR");
	out.tty = isatty(STDERR_FILENO);
	out.color = isatty(STDOUT_FILENO) && !(nc && *nc) &&
		    !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
}

void err_reset(void)
{
	free(last_err.msg);
	free(last_err.kind);
	free(last_err.detail);
	free(last_err.hint);
	free(last_err.sqlstate);
	free(last_err.migration);
	free(last_err.file);
	memset(&last_err, 0, sizeof(last_err));
}

void err_set_kind(const char *kind)
{
	if (!last_err.kind)
		last_err.kind = xstrdup(kind);
}

static void add_secret(const char *s)
{
	if (!s || strlen(s) < 1)
		return;
	for (size_t i = 0; i < nr_secrets; i++)
		if (!strcmp(secrets[i], s))
			return;
	ALLOC_GROW(secrets, nr_secrets + 1, alloc_secrets);
	secrets[nr_secrets++] = xstrdup(s);
}

void secret_add(const char *s)
{
	struct strbuf enc = STRBUF_INIT;

	if (!s || !*s)
		return;
	add_secret(s);
	/* the same password as it appears percent-encoded inside a URL */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			strbuf_addch(&enc, *p);
		else
			strbuf_addf(&enc, "%%%02X", *p);
	}
	add_secret(enc.buf);
	strbuf_release(&enc);
}

char *redact(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, s);
	for (size_t i = 0; i < nr_secrets; i++) {
		const char *sec = secrets[i];
		size_t n = strlen(sec);
		char *hit;
		size_t from = 0;

		while ((hit = strstr(sb.buf + from, sec))) {
			struct strbuf t = STRBUF_INIT;
			size_t at = (size_t)(hit - sb.buf);
			strbuf_add(&t, sb.buf, at);
			strbuf_addstr(&t, "***");
			strbuf_addstr(&t, hit + n);
			strbuf_release(&sb);
			sb = t;
			from = at + 3;
		}
	}
	return strbuf_detach(&sb, NULL);
}

void out_clean(struct strbuf *sb, const char *s, bool keep_newlines)
{
	char *r = redact(s);
	for (const unsigned char *p = (const unsigned char *)r; *p; p++) {
		if ((*p < 0x20 && !(*p == '\n' && keep_newlines) &&
		     *p != '\t') || *p == 0x7f)
			strbuf_addf(sb, "\\x%02x", *p);
		else
			strbuf_addch(sb, *p);
	}
	free(r);
}

/*
 * Colour functions return a marker that cannot occur in UTF-8 text
 * (0xff 0x01 and a letter); vemit() turns markers into escape sequences
 * and shows every other control character escaped, so a hostile file name
 * or server message can never send its own escape sequence.
 */
#define COLOR(name, mark) \
	const char *name(void) { return out.color ? "\xff\x01" mark : ""; }
COLOR(c_bold, "b")
COLOR(c_dim, "d")
COLOR(c_red, "r")
COLOR(c_green, "g")
COLOR(c_yellow, "y")
COLOR(c_cyan, "c")
COLOR(c_reset, "0")

static const char *ansi(char mark)
{
	switch (mark) {
	case 'b': return "\033[1m";
	case 'd': return "\033[2m";
	case 'r': return "\033[31m";
	case 'g': return "\033[32m";
	case 'y': return "\033[33m";
	case 'c': return "\033[36m";
	case '0': return "\033[0m";
	}
	return NULL;
}

/* Format, redact, then make safe for a terminal (see the colour markers). */
static void vemit(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	struct strbuf raw = STRBUF_INIT, clean = STRBUF_INIT;
	char *r = NULL;
	const unsigned char *p;

	if (out.mute)
		return;
	strbuf_addstr(&raw, prefix);
	strbuf_vaddf(&raw, fmt, ap);
	if (nr_secrets)
		r = redact(raw.buf);
	p = (const unsigned char *)(r ? r : raw.buf);
	strbuf_grow(&clean, raw.len + 16);
	while (*p) {
		const unsigned char *run = p;
		const char *seq;
		/* copy the bytes that need nothing in one go */
		while (*p >= 0x20 && *p != 0x7f && *p != 0xff)
			p++;
		strbuf_add(&clean, run, (size_t)(p - run));
		if (!*p)
			break;
		if (p[0] == 0xff && p[1] == 0x01 && p[2] && (seq = ansi((char)p[2]))) {
			if (out.color)
				strbuf_addstr(&clean, seq);
			p += 3;
			continue;
		}
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			strbuf_addf(&clean, "\\x%02x", *p);
		else
			strbuf_addch(&clean, *p);
		p++;
	}
	free(r);
	strbuf_addch(&clean, '\n');
	fwrite(clean.buf, 1, clean.len, f);
	strbuf_release(&raw);
	strbuf_release(&clean);
}

void say(const char *fmt, ...)
{
	va_list ap;
	if (out.json || out.verbosity < 0)
		return;
	va_start(ap, fmt);
	vemit(stdout, "", fmt, ap);
	va_end(ap);
}

void say_always(const char *fmt, ...)
{
	va_list ap;
	if (out.json)
		return;
	va_start(ap, fmt);
	vemit(stdout, "", fmt, ap);
	va_end(ap);
}

void verbose(const char *fmt, ...)
{
	va_list ap;
	if (out.verbosity < 1)
		return;
	va_start(ap, fmt);
	vemit(stderr, "", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;
	char *prefix = xasprintf("%swarning:%s ", c_yellow(), c_reset());
	va_start(ap, fmt);
	vemit(stderr, prefix, fmt, ap);
	va_end(ap);
	free(prefix);
}

int error(const char *fmt, ...)
{
	va_list ap;
	char *prefix = xasprintf("%serror:%s ", c_red(), c_reset());

	if (!last_err.msg) {
		struct strbuf sb = STRBUF_INIT;
		va_start(ap, fmt);
		strbuf_vaddf(&sb, fmt, ap);
		va_end(ap);
		last_err.msg = redact(sb.buf);
		strbuf_release(&sb);
	}
	va_start(ap, fmt);
	vemit(stderr, prefix, fmt, ap);
	va_end(ap);
	free(prefix);
	return -1;
}

void detail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vemit(stderr, "detail: ", fmt, ap);
	va_end(ap);
}

void hint(const char *fmt, ...)
{
	va_list ap;
	char *prefix = xasprintf("%shint:%s ", c_cyan(), c_reset());
	va_start(ap, fmt);
	vemit(stderr, prefix, fmt, ap);
	va_end(ap);
	free(prefix);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vemit(stderr, "", fmt, ap);
	va_end(ap);
}

void json_add_error(struct json *j)
{
	json_key(j, "error");
	json_obj_begin(j);
	json_kstr(j, "message", last_err.msg ? last_err.msg : "failed");
	json_kstr(j, "kind", last_err.kind ? last_err.kind : "error");
	json_kstr(j, "sqlstate", last_err.sqlstate);
	json_kstr(j, "migration", last_err.migration);
	json_kstr(j, "file", last_err.file);
	if (last_err.line) {
		json_kint(j, "line", last_err.line);
		json_kint(j, "column", last_err.column);
	}
	if (last_err.statement)
		json_kint(j, "statement", last_err.statement);
	json_kstr(j, "detail", last_err.detail);
	json_kstr(j, "hint", last_err.hint);
	json_kbool(j, "retryable", last_err.retryable);
	json_obj_end(j);
}

void out_json(const struct strbuf *doc)
{
	char *r = redact(doc->buf);
	fputs(r, stdout);
	fputc('\n', stdout);
	free(r);
}

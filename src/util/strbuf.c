#include "../compat.h"
#include "strbuf.h"
#include "util.h"

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_slopbuf;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (len)
		*len = sb->len;
	if (!sb->alloc)
		strbuf_grow(sb, 0);
	p = sb->buf;
	strbuf_init(sb, 0);
	return p;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	bool fresh = !sb->alloc;
	size_t want = sb->len + extra + 1;

	if (want < sb->len) {
		fputs("strata: string too long\n", stderr);
		exit(1);
	}
	if (fresh)
		sb->buf = NULL;
	if (want > sb->alloc) {
		size_t a = sb->alloc ? sb->alloc : 64;
		while (a < want)
			a = a * 2 > a ? a * 2 : want;
		sb->buf = xrealloc(sb->buf, a);
		sb->alloc = a;
	}
	if (fresh)
		sb->buf[0] = '\0';
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->alloc)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
	strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

static bool ident_is_plain(const char *s)
{
	/*
	 * Lower-case letters, digits and underscores, not starting with a
	 * digit. Keywords are quoted too: a short list of the reserved ones
	 * likely to be used as table names is enough, since quoting an
	 * identifier that did not need it is always correct.
	 */
	static const char *const reserved[] = {
		"all", "analyse", "analyze", "and", "any", "array", "as",
		"asc", "check", "collate", "column", "constraint", "create",
		"default", "desc", "distinct", "do", "else", "end", "for",
		"foreign", "from", "grant", "group", "having", "in", "into",
		"limit", "not", "null", "offset", "on", "only", "or", "order",
		"primary", "references", "select", "table", "then", "to",
		"union", "unique", "user", "using", "when", "where", "with",
	};
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strcmp(s, reserved[i]))
			return false;
	return true;
}

void strbuf_add_ident(struct strbuf *sb, const char *s)
{
	if (ident_is_plain(s)) {
		strbuf_addstr(sb, s);
		return;
	}
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

void strbuf_add_literal(struct strbuf *sb, const char *s)
{
	/*
	 * A backslash means different things under standard_conforming_strings
	 * on and off; the E'' form means the same under both.
	 */
	bool esc = strchr(s, '\\') != NULL;

	if (esc)
		strbuf_addch(sb, 'E');
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'' || (esc && *s == '\\'))
			strbuf_addch(sb, *s);
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

/*
 * jsonread.c - a skipping reader: each call walks the text from the value
 * it is given, which is all a fleet needs from a child's small document.
 */
#include "../compat.h"
#include "jsonread.h"
#include "strbuf.h"

#define MAX_DEPTH 256

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void add_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addch(sb, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(sb, (int)(0xc0 | (cp >> 6)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, (int)(0xe0 | (cp >> 12)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addch(sb, (int)(0xf0 | (cp >> 18)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 12) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * The string at 'p' (its opening quote): returns the character after the
 * closing quote, or NULL when malformed. Appends the text to 'sb' when
 * given.
 */
static const char *read_string(const char *p, struct strbuf *sb)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;	/* NUL (the end) or a raw control */
		if (c != '\\') {
			if (sb)
				strbuf_addch(sb, c);
			p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			if (sb)
				strbuf_addch(sb, *p);
			break;
		case 'b': if (sb) strbuf_addch(sb, '\b'); break;
		case 'f': if (sb) strbuf_addch(sb, '\f'); break;
		case 'n': if (sb) strbuf_addch(sb, '\n'); break;
		case 'r': if (sb) strbuf_addch(sb, '\r'); break;
		case 't': if (sb) strbuf_addch(sb, '\t'); break;
		case 'u': {
			int hi = hex4(p + 1), lo;
			unsigned cp;
			if (hi < 0)
				return NULL;
			p += 4;
			cp = (unsigned)hi;
			/* a surrogate pair is one character */
			if (hi >= 0xd800 && hi < 0xdc00 && p[1] == '\\' && p[2] == 'u' &&
			    (lo = hex4(p + 3)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
				p += 6;
			} else if (hi >= 0xd800 && hi < 0xe000) {
				cp = 0xfffd;	/* a lone surrogate */
			}
			if (sb)
				add_utf8(sb, cp);
			break;
		}
		default:
			return NULL;
		}
		p++;
	}
}

static const char *skip_value(const char *p, int depth);

static const char *skip_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

/* An object or array at 'p': the character after its closing bracket. */
static const char *skip_container(const char *p, int depth)
{
	char close = *p == '{' ? '}' : ']';
	bool obj = *p == '{';

	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (!(p = read_string(p, NULL)))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = skip_value(ws(p), depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

/* The value at 'p': the character after it, or NULL when malformed. */
static const char *skip_value(const char *p, int depth)
{
	if (depth > MAX_DEPTH)
		return NULL;
	switch (*p) {
	case '{': case '[':
		return skip_container(p, depth);
	case '"':
		return read_string(p, NULL);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return skip_number(p);
	}
}

bool jsonr_valid(const char *s)
{
	const char *e = s ? skip_value(ws(s), 0) : NULL;

	return e && !*ws(e);
}

const char *jsonr_member(const char *obj, const char *key)
{
	struct strbuf name = STRBUF_INIT;
	const char *p;

	if (!obj || *(p = ws(obj)) != '{')
		return NULL;
	p = ws(p + 1);
	while (*p == '"') {
		strbuf_reset(&name);
		if (!(p = read_string(p, &name)))
			break;
		p = ws(p);
		if (*p++ != ':')
			break;
		p = ws(p);
		if (!strcmp(name.buf, key)) {
			strbuf_release(&name);
			return p;
		}
		if (!(p = skip_value(p, 1)))
			break;
		p = ws(p);
		if (*p != ',')
			break;
		p = ws(p + 1);
	}
	strbuf_release(&name);
	return NULL;
}

int jsonr_string(const char *v, struct strbuf *sb)
{
	struct strbuf tmp = STRBUF_INIT;

	if (!v || !read_string(ws(v), &tmp)) {
		strbuf_release(&tmp);
		return -1;
	}
	strbuf_add(sb, tmp.buf, tmp.len);
	strbuf_release(&tmp);
	return 0;
}

int jsonr_int(const char *v, long long *n)
{
	char *end;

	if (!v || !skip_number(ws(v)))
		return -1;
	*n = strtoll(ws(v), &end, 10);
	return 0;
}

bool jsonr_is_null(const char *v)
{
	return !v || !strncmp(ws(v), "null", 4);
}

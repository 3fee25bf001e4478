#include "../compat.h"
#include "json.h"
#include "util.h"

void json_init(struct json *j, struct strbuf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		strbuf_addch(j->out, ',');
	j->need_comma[j->depth] = true;
}

static void open(struct json *j, int c)
{
	sep(j);
	strbuf_addch(j->out, c);
	if (j->depth < 63)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, int c)
{
	if (j->depth > 0)
		j->depth--;
	strbuf_addch(j->out, c);
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

void json_escape(struct strbuf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			strbuf_addch(out, '\\');
			strbuf_addch(out, c);
			p++;
		} else if (c == '\n') {
			strbuf_addstr(out, "\\n"), p++;
		} else if (c == '\t') {
			strbuf_addstr(out, "\\t"), p++;
		} else if (c == '\r') {
			strbuf_addstr(out, "\\r"), p++;
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_addf(out, "\\u%04x", c), p++;
		} else if (c < 0x80) {
			strbuf_addch(out, c), p++;
		} else {
			size_t len = (c & 0xe0) == 0xc0 ? 2 :
				     (c & 0xf0) == 0xe0 ? 3 :
				     (c & 0xf8) == 0xf0 ? 4 : 0;
			if (len && (size_t)(end - p) >= len &&
			    utf8_valid((const char *)p, len)) {
				strbuf_add(out, p, len);
				p += len;
			} else {
				strbuf_addstr(out, "\\ufffd");
				p++;
			}
		}
	}
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	strbuf_addch(j->out, '"');
	json_escape(j->out, key, strlen(key));
	strbuf_addstr(j->out, "\":");
	j->after_key = true;
}

void json_strn(struct json *j, const char *s, size_t n)
{
	sep(j);
	strbuf_addch(j->out, '"');
	json_escape(j->out, s, n);
	strbuf_addch(j->out, '"');
}

void json_str(struct json *j, const char *s)
{
	if (!s)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

void json_int(struct json *j, long long v)
{
	sep(j);
	strbuf_addf(j->out, "%lld", v);
}

void json_num(struct json *j, double v)
{
	sep(j);
	strbuf_addf(j->out, "%.3f", v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	strbuf_addstr(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	strbuf_addstr(j->out, "null");
}

void json_raw(struct json *j, const char *encoded)
{
	sep(j);
	strbuf_addstr(j->out, encoded);
}

void json_kstr(struct json *j, const char *k, const char *s) { json_key(j, k); json_str(j, s); }
void json_kint(struct json *j, const char *k, long long v) { json_key(j, k); json_int(j, v); }
void json_knum(struct json *j, const char *k, double v) { json_key(j, k); json_num(j, v); }
void json_kbool(struct json *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }

/*
 * json.h - a small streaming JSON writer into a strbuf.
 *
 * Callers open and close objects and arrays; the writer inserts commas.
 * Strings are escaped per RFC 8259; invalid UTF-8 is replaced by U+FFFD so
 * the document is always valid.
 */
#ifndef STRATA_JSON_H
#define STRATA_JSON_H

#include <stdbool.h>
#include "strbuf.h"

struct json {
	struct strbuf *out;
	int depth;
	bool need_comma[64];
	bool after_key;
};

void json_init(struct json *j, struct strbuf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);	/* NULL writes null */
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, long long v);
void json_num(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Append an already encoded JSON value. */
void json_raw(struct json *j, const char *encoded);

/* key + value shorthands */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, long long v);
void json_knum(struct json *j, const char *key, double v);
void json_kbool(struct json *j, const char *key, bool v);

/* Append 's' JSON-escaped (without quotes). */
void json_escape(struct strbuf *out, const char *s, size_t n);

#endif

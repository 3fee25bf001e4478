/*
 * strbuf.h - a growable string, after git's strbuf.
 *
 * Invariant: 'buf' is never NULL and always NUL-terminated, so a strbuf can
 * be handed to any C string function. Initialise with STRBUF_INIT; release
 * with strbuf_release(), which leaves it ready for reuse.
 */
#ifndef STRATA_STRBUF_H
#define STRATA_STRBUF_H

#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* Hand the buffer to the caller (who frees it) and reset 'sb'. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append 's' as an SQL identifier: quoted only when it must be (fmtId). */
void strbuf_add_ident(struct strbuf *sb, const char *s);
/* Append 's' as a standard-conforming SQL string literal: 'it''s'. */
void strbuf_add_literal(struct strbuf *sb, const char *s);

#endif

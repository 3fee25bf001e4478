/*
 * util.h - allocation that never returns NULL, and small string helpers.
 *
 * xmalloc() and friends print "out of memory" and exit(1) on failure, so
 * callers never check for NULL (as git's wrapper.c and pg's fe_memutils.c).
 */
#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H

#include <stddef.h>
#include <stdbool.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow array 'p' of 'nr' used elements to hold at least 'want'. */
#define ALLOC_GROW(p, want, alloc)                                          \
	do {                                                                \
		if ((want) > (alloc)) {                                     \
			(alloc) = (alloc) ? (alloc) * 2 : 16;               \
			if ((alloc) < (want))                               \
				(alloc) = (want);                           \
			(p) = xrealloc((p), (alloc) * sizeof(*(p)));        \
		}                                                           \
	} while (0)

bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
/* true when the 'n' bytes at 's' are valid UTF-8 */
bool utf8_valid(const char *s, size_t n);

/*
 * Parse a duration: "10" (seconds), "500ms", "10s", "2min", "1h".
 * Returns 0 and stores milliseconds in *ms, or -1 on bad input.
 */
int parse_duration(const char *s, long *ms);

/* Make a rename into 'path' durable: fsync the folder that holds it. */
void fsync_parent_dir(const char *path);

/* Monotonic clock in milliseconds. */
double now_ms(void);

/* Sleep for 'ms' milliseconds (interrupted early by a signal). */
void sleep_ms(long ms);

#endif

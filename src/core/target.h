/*
 * target.h - what a command's TARGET means: "head", "base", "+N", "-N", a
 * version, or a unique prefix of one.
 */
#ifndef STRATA_TARGET_H
#define STRATA_TARGET_H

#include <stddef.h>

struct source;
struct history;

enum target_kind {
	TARGET_HEAD,
	TARGET_BASE,
	TARGET_RELATIVE,	/* +N or -N: 'steps' carries the sign */
	TARGET_VERSION,		/* 'version' is normalised */
};

struct target {
	enum target_kind kind;
	long steps;
	char *version;
};

/*
 * Resolve 'arg' against the files and the history. Returns 0, or -1 after
 * error() (a usage error: bad form, unknown or ambiguous version).
 */
int target_parse(const char *arg, const struct source *src,
		 const struct history *h, struct target *t);
void target_release(struct target *t);

#endif

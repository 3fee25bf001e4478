/*
 * version.h - migration versions: digits of any length, ordered as numbers.
 *
 * A version is kept as text, normalised: '-' separators removed and leading
 * zeros stripped ("2019-02-26-002946" -> "20190226002946", "0001" -> "1").
 * Two normalised versions compare as numbers by comparing length, then bytes,
 * so a 30-digit version needs no bigint.
 */
#ifndef STRATA_VERSION_H
#define STRATA_VERSION_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Normalise the 'n' bytes at 's' into a new string, or return NULL when
 * they are not a version (empty, a character other than digit or '-',
 * starting with '-').
 */
char *version_normalize(const char *s, size_t n);
int version_cmp(const char *a, const char *b);
/* true when 'prefix' (digits, '-' ignored) starts the raw digits of 'v' */
bool version_has_prefix(const char *raw_digits, const char *prefix);

#endif

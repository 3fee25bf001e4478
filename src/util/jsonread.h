/*
 * jsonread.h - reading the few values strata needs out of a JSON document
 * (another strata's --json output), without building a tree.
 *
 * A value is addressed by a pointer to its first character inside the
 * document; the document must stay alive while such pointers are used.
 */
#ifndef STRATA_JSONREAD_H
#define STRATA_JSONREAD_H

#include <stdbool.h>

struct strbuf;

/* Is 's' exactly one well-formed JSON value (whitespace around allowed)? */
bool jsonr_valid(const char *s);
/*
 * The value of member 'key' of the object at 'obj' (a document or a value
 * pointer), or NULL when 'obj' is not an object or has no such member.
 */
const char *jsonr_member(const char *obj, const char *key);
/* Append the string at 'v', unescaped, to 'sb'; -1 (nothing added) if 'v' is not a string. */
int jsonr_string(const char *v, struct strbuf *sb);
/* The number at 'v' as an integer in *n; -1 if 'v' is not a number. */
int jsonr_int(const char *v, long long *n);
/* Is the value at 'v' the literal null (or absent: 'v' NULL)? */
bool jsonr_is_null(const char *v);

#endif

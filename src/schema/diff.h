/*
 * diff.h - what differs between two schema models (catalog.h), object by
 * object, in words a reader can act on:
 *
 *   column public.users.avatar: type text → character varying(10)
 *   index public.users_email_idx on public.users: missing
 *   function public.f(integer): body changed
 *   column order of public.users: id, name, email → id, email, name
 *
 * One model is what is expected (the schema before an up, the schema the
 * migrations build), the other what is there. "missing": expected, not
 * there; "extra": there, not expected; "changed": both, with another
 * definition (the expected one first in every "A → B"). Pure: no I/O.
 */
#ifndef STRATA_SCHEMA_DIFF_H
#define STRATA_SCHEMA_DIFF_H

#include <stdbool.h>
#include <stddef.h>

struct schema_model;
struct json;

enum schema_change {
	SCHEMA_MISSING,
	SCHEMA_EXTRA,
	SCHEMA_CHANGED,
	SCHEMA_COLUMN_ORDER,	/* same columns, another order */
};

struct schema_finding {
	enum schema_change change;
	/* the object; for a column order, its table */
	char *kind, *schema, *name, *table;
	char *text;	/* the one-line description, object first */
	/*
	 * NULL, or the first differing lines of the two definitions, each
	 * line "- expected" or "+ found", '\n' after each.
	 */
	char *excerpt;
};

struct schema_diff {
	struct schema_finding *f;
	size_t nr, alloc;
};

/*
 * Compare 'expected' with 'found' and append the differences to 'd'
 * (which starts zeroed; the caller releases it). Neither model is
 * changed. A relation that is missing or extra is one finding: its
 * columns, indexes, constraints, triggers and owned sequences are not
 * listed again; a
 * table whose definition differs only in its columns is reported through
 * its columns alone.
 */
void schema_diff(const struct schema_model *expected,
		 const struct schema_model *found, struct schema_diff *d);
void schema_diff_release(struct schema_diff *d);

/* Does 'd' hold only column order findings (and at least one)? */
bool schema_diff_only_order(const struct schema_diff *d);

/* "missing", "extra", "changed", "column order" */
const char *schema_change_name(enum schema_change c);

/* Add the finding as a JSON object to 'j'. */
void schema_finding_json(const struct schema_finding *f, struct json *j);

#endif

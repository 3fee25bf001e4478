/*
 * dump.c - a schema model as an SQL script (see schema_to_sql in
 * catalog.h).
 */
#include "../compat.h"
#include "catalog.h"
#include "../util/strbuf.h"

/*
 * Function bodies are not checked while loading, as pg_dump does: a body
 * may name a table or function that comes later in the script.
 */
static const char header[] =
	"-- strata dump: the schema only (no data, no privileges)\n"
	"-- load into an empty database with: psql -1 -v ON_ERROR_STOP=1 -f FILE\n"
	"\n"
	"SET check_function_bodies = false;\n";

/*
 * With owners and grants (strata dump --privileges): the roles must exist
 * where it loads, and only a superuser may give objects to other roles.
 */
static const char header_privileges[] =
	"-- strata dump: the schema with owners and grants (no data)\n"
	"-- load as a superuser, where the roles exist, into an empty database with:\n"
	"-- psql -1 -v ON_ERROR_STOP=1 -f FILE\n"
	"\n"
	"SET check_function_bodies = false;\n";

/* "-- index public.users_email_idx on public.users" */
static void object_heading(const struct schema_object *o, struct strbuf *sb)
{
	strbuf_addf(sb, "-- %s ", o->kind);
	if (o->schema && strcmp(o->kind, "comment"))
		strbuf_addf(sb, "%s.", o->schema);
	strbuf_addstr(sb, o->name);
	if (o->table)
		strbuf_addf(sb, " on %s.%s", o->schema ? o->schema : "", o->table);
	strbuf_addch(sb, '\n');
}

/*
 * Comments and privileges are short statements that name their object
 * themselves: a heading each would double them, so each run of them gets
 * one heading ("-- comments", "-- privileges").
 */
static bool grouped(const struct schema_object *o)
{
	return !strcmp(o->kind, "comment") || !strcmp(o->kind, "privileges");
}

void schema_to_sql(const struct schema_model *m, struct strbuf *sb)
{
	strbuf_addstr(sb, m->privileges ? header_privileges : header);
	for (size_t i = 0; i < m->nr; i++) {
		const struct schema_object *o = &m->obj[i];
		bool first_of_group = grouped(o) &&
				      (i == 0 || strcmp(m->obj[i - 1].kind, o->kind));

		if (o->phase == 0)
			continue;	/* a column: in its table's definition */
		if (!grouped(o)) {
			strbuf_addch(sb, '\n');
			object_heading(o, sb);
		} else if (first_of_group) {
			strbuf_addf(sb, "\n-- %s\n", !strcmp(o->kind, "comment") ? "comments" : "privileges");
		}
		strbuf_addstr(sb, o->definition);
		strbuf_addch(sb, '\n');
	}
}

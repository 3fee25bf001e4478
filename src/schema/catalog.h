/*
 * catalog.h - the schema of a database as a plain C model, read from the
 * PostgreSQL catalog in one READ ONLY, REPEATABLE READ transaction.
 *
 * Every object has a stable identity (kind, schema, name and, for what
 * belongs to a table, the table) and a canonical definition: the SQL that
 * creates it, deparsed by the server itself (pg_get_indexdef,
 * pg_get_constraintdef, pg_get_viewdef, pg_get_functiondef, ...) with an
 * empty search_path, so that every name in it is schema-qualified. Two
 * models are compared object by object: sort both with
 * schema_object_identity_cmp(), walk them together, and compare the
 * definitions as strings.
 *
 * Left out: the system schemas, objects that belong to an extension (only
 * its CREATE EXTENSION is kept), strata's own history and scripts tables,
 * user mappings (their options hold passwords), owners and grants unless
 * asked for (SCHEMA_PRIVILEGES), and what the server makes by itself (partitions' copies of their
 * parent's indexes, constraints and triggers; the internal triggers of
 * foreign keys; INVALID indexes left by a failed CREATE INDEX CONCURRENTLY).
 */
#ifndef STRATA_SCHEMA_CATALOG_H
#define STRATA_SCHEMA_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

struct db;
struct config;
struct strbuf;

struct schema_object {
	char *kind;	/* "schema", "extension", "collation", "type",
			   "sequence", "function", "procedure", "foreign data
			   wrapper", "server", "table", "foreign table", "view",
			   "materialized view", "index", "statistics",
			   "constraint", "trigger", "policy", "rule", "comment",
			   "privileges", "event trigger",
			   "column" (phase 0: for comparing, never dumped) */
	char *schema;	/* NULL for schemas, extensions, wrappers, servers
			   and event triggers */
	char *name;	/* a function's name carries its argument types */
	char *table;	/* the table of an index, constraint, trigger,
			   policy, rule or column */
	char *definition;	/* SQL, ending with ";" */
	/*
	 * Where the object goes in a dump: 'phase' orders the groups
	 * (schemas first, comments last), 'depth' orders within one (a
	 * partition after its parent, a view after the views it reads).
	 */
	int phase, depth;
};

struct schema_model {
	struct schema_object *obj;
	size_t nr, alloc;
	bool privileges;	/* owners and grants were read (kind "privileges") */
};

/*
 * Read the schema of the database 'db' is connected to into 'm' (which
 * the caller releases), in dump order (schema_sort_for_dump). 'cfg' names
 * strata's own tables, which are left out. Needs PostgreSQL 13 or later.
 * Returns 0, or -1 after error().
 */
int schema_read(struct db *db, const struct config *cfg, struct schema_model *m);
/*
 * The same, with flags: SCHEMA_PRIVILEGES adds one "privileges" object
 * per owned object (ALTER ... OWNER TO, then the GRANTs and REVOKEs that
 * give its ACL) and per default-privileges entry, after the comments;
 * SCHEMA_COLUMNS a "column" object (phase 0) for each column of each
 * table: what comparing two models needs (schema/diff.h).
 */
enum schema_read_flags {
	SCHEMA_PRIVILEGES = 1 << 0,
	SCHEMA_COLUMNS = 1 << 1,
};
int schema_read_with(struct db *db, const struct config *cfg, unsigned flags,
		     struct schema_model *m);
void schema_model_release(struct schema_model *m);

/* Order: phase, depth, schema, name, table (bytewise, not by locale). */
void schema_sort_for_dump(struct schema_model *m);
int schema_dump_order_cmp(const struct schema_object *a,
			  const struct schema_object *b);

/* An edge of the dependency graph: m->obj[obj] needs m->obj[on] first. */
struct schema_dep {
	size_t obj, on;
};

/*
 * Sort the model into dump order (order.c): every object after the ones
 * it needs ('deps', indexes into m->obj as it is before the call), ties in
 * schema_dump_order_cmp's order. A loop is broken as pg_dump does when it
 * has no better repair: a warning names its objects and one dependency of
 * it is dropped. Returns the number of loops broken.
 */
size_t schema_sort_by_deps(struct schema_model *m, const struct schema_dep *deps,
			   size_t nr);

/* Finding a model's object by its identity (kind, schema, name, table). */
struct schema_index {
	const struct schema_model *m;
	size_t *by_identity;
};
void schema_index_init(struct schema_index *ix, const struct schema_model *m);
/* The index in m->obj of the object with key's identity, or SIZE_MAX. */
size_t schema_index_find(const struct schema_index *ix, const struct schema_object *key);
void schema_index_release(struct schema_index *ix);
/* Identity order, for comparing two models: kind, schema, name, table. */
int schema_object_identity_cmp(const struct schema_object *a,
			       const struct schema_object *b);

/*
 * Append the model as an SQL script that rebuilds it in an empty database
 * (psql -1 -f): a fixed header, then each object under a "-- KIND NAME"
 * line, in the model's order, without the phase 0 objects (columns: their
 * table's CREATE TABLE holds them). Nothing in it depends on the time or on the
 * server's version, so the same schema always gives the same bytes.
 */
void schema_to_sql(const struct schema_model *m, struct strbuf *sb);

#endif

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
 * and what the server makes by itself (partitions' copies of their
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
	char *kind;	/* "schema", "extension", "type", "sequence", "table",
			   "function", "procedure", "view", "materialized view",
			   "index", "constraint", "trigger", "comment",
			   "column" (phase 0: for comparing, never dumped) */
	char *schema;	/* NULL for schemas and extensions */
	char *name;	/* a function's name carries its argument types */
	char *table;	/* the table of an index, constraint, trigger, column */
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
};

/*
 * Read the schema of the database 'db' is connected to into 'm' (which
 * the caller releases), in dump order (schema_sort_for_dump). 'cfg' names
 * strata's own tables, which are left out. Needs PostgreSQL 13 or later.
 * Returns 0, or -1 after error().
 */
int schema_read(struct db *db, const struct config *cfg, struct schema_model *m);
/*
 * The same, and with 'columns' a "column" object (phase 0) for each column
 * of each table: what comparing two models needs (schema/diff.h).
 */
int schema_read_columns(struct db *db, const struct config *cfg,
			struct schema_model *m, bool columns);
void schema_model_release(struct schema_model *m);

/* Order: phase, depth, schema, name, table (bytewise, not by locale). */
void schema_sort_for_dump(struct schema_model *m);
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

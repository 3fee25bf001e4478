/*
 * locks.c - the lock table (see locks.h). Each rule below names the
 * PostgreSQL 15 source of its lock level: the ALTER TABLE "Notes", the
 * "Table-Level Locks" page, and AlterTableGetLockLevel() for the
 * subcommands. t0420-locks.sh runs each statement kind and reads
 * pg_locks, so a wrong row here fails a test.
 */
#include "../compat.h"
#include "locks.h"
#include "../sql/parse.h"
#include "../util/util.h"
#include "../util/strbuf.h"

#include <pg_query/pg_query.pb-c.h>

static const char *const mode_names[] = {
	"none", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE",
	"SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE",
	"EXCLUSIVE", "ACCESS EXCLUSIVE",
};

static const char *const pg_names[] = {
	"", "AccessShareLock", "RowShareLock", "RowExclusiveLock",
	"ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock",
	"ExclusiveLock", "AccessExclusiveLock",
};

/* The conflict table of "Table-Level Locks", one bit per mode. */
static const unsigned conflicts[] = {
	[LOCK_NONE] = 0,
	[LOCK_ACCESS_SHARE] = 1u << LOCK_ACCESS_EXCLUSIVE,
	[LOCK_ROW_SHARE] = 1u << LOCK_EXCLUSIVE | 1u << LOCK_ACCESS_EXCLUSIVE,
	[LOCK_ROW_EXCLUSIVE] = 1u << LOCK_SHARE | 1u << LOCK_SHARE_ROW_EXCLUSIVE |
		1u << LOCK_EXCLUSIVE | 1u << LOCK_ACCESS_EXCLUSIVE,
	[LOCK_SHARE_UPDATE_EXCLUSIVE] = 1u << LOCK_SHARE_UPDATE_EXCLUSIVE |
		1u << LOCK_SHARE | 1u << LOCK_SHARE_ROW_EXCLUSIVE |
		1u << LOCK_EXCLUSIVE | 1u << LOCK_ACCESS_EXCLUSIVE,
	[LOCK_SHARE] = 1u << LOCK_ROW_EXCLUSIVE | 1u << LOCK_SHARE_UPDATE_EXCLUSIVE |
		1u << LOCK_SHARE_ROW_EXCLUSIVE | 1u << LOCK_EXCLUSIVE |
		1u << LOCK_ACCESS_EXCLUSIVE,
	[LOCK_SHARE_ROW_EXCLUSIVE] = 1u << LOCK_ROW_EXCLUSIVE |
		1u << LOCK_SHARE_UPDATE_EXCLUSIVE | 1u << LOCK_SHARE |
		1u << LOCK_SHARE_ROW_EXCLUSIVE | 1u << LOCK_EXCLUSIVE |
		1u << LOCK_ACCESS_EXCLUSIVE,
	[LOCK_EXCLUSIVE] = 0x1feu & ~(1u << LOCK_ACCESS_SHARE),
	[LOCK_ACCESS_EXCLUSIVE] = 0x1feu,
};

const char *lock_mode_name(enum lock_mode m)
{
	return mode_names[m];
}

const char *lock_mode_pg_name(enum lock_mode m)
{
	return pg_names[m];
}

enum lock_mode lock_mode_from_pg(const char *s)
{
	for (size_t i = 1; i < ARRAY_SIZE(pg_names); i++)
		if (!strcmp(s, pg_names[i]))
			return (enum lock_mode)i;
	return LOCK_NONE;
}

bool lock_conflicts(enum lock_mode a, enum lock_mode b)
{
	return (conflicts[a] >> b) & 1u;
}

const char *lock_work_name(enum lock_work w)
{
	switch (w) {
	case WORK_CATALOG: return "catalog only";
	case WORK_ROWS: return "rows";
	case WORK_SCAN: return "scans";
	case WORK_REWRITE: return "rewrites";
	}
	return "?";
}

/* ---- building the answer ------------------------------------------------ */

static char *opt_dup(const char *s)
{
	return s && s[0] ? xstrdup(s) : NULL;
}

static void claim(struct stmt_locks *s, const PgQuery__RangeVar *rv,
		  enum lock_via via, enum lock_mode mode, enum lock_work work,
		  const char *why)
{
	struct lock_claim *c;

	if (!rv || !rv->relname || !rv->relname[0])
		return;
	ALLOC_GROW(s->claims, s->nr + 1, s->alloc);
	c = &s->claims[s->nr++];
	c->schema = opt_dup(rv->schemaname);
	c->name = xstrdup(rv->relname);
	c->via = via;
	c->constraint = NULL;
	c->column = c->new_type = NULL;
	c->new_typmod = -1;
	c->maybe = false;
	c->mode = mode;
	c->work = work;
	c->why = why;
}

/* The constraint name of the claim just made (VIA_FK_CONSTRAINT). */
static void set_constraint(struct stmt_locks *s, const char *name)
{
	if (s->nr && s->claims[s->nr - 1].via == VIA_FK_CONSTRAINT)
		s->claims[s->nr - 1].constraint = opt_dup(name);
}

/* A name given as a list of String nodes (DROP INDEX a.b, COMMENT ON ...). */
static void claim_names(struct stmt_locks *s, PgQuery__Node **names, size_t n,
			enum lock_via via, enum lock_mode mode,
			enum lock_work work, const char *why)
{
	PgQuery__RangeVar rv = PG_QUERY__RANGE_VAR__INIT;

	if (!n || n > 3)
		return;
	for (size_t i = 0; i < n; i++)
		if (names[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return;
	rv.relname = names[n - 1]->string->sval;
	rv.schemaname = n >= 2 ? names[n - 2]->string->sval : NULL;
	claim(s, &rv, via, mode, work, why);
}

static void created(struct stmt_locks *s, const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return;
	s->created = true;
	s->created_schema = opt_dup(rv->schemaname);
	s->created_name = xstrdup(rv->relname);
}

/* ---- relations a query reads -------------------------------------------- */

struct rv_walk {
	const PgQuery__RangeVar **rvs;
	size_t nr, alloc;
	/* the targets of INSERT / UPDATE / DELETE inside (WITH ... AS (DELETE ...)) */
	const PgQuery__RangeVar **writes;
	size_t nr_writes, alloc_writes;
	const char **ctes;
	size_t nr_ctes, alloc_ctes;
};

/*
 * Every RangeVar under message 'm', through the generic protobuf-c
 * descriptors: a query can name a relation in any clause (subqueries,
 * CTEs, joins), and a walk of every field misses none of them.
 */
static void walk_rangevars(const ProtobufCMessage *m, struct rv_walk *w)
{
	const ProtobufCMessageDescriptor *d;

	if (!m)
		return;
	d = m->descriptor;
	if (d == &pg_query__range_var__descriptor) {
		ALLOC_GROW(w->rvs, w->nr + 1, w->alloc);
		w->rvs[w->nr++] = (const PgQuery__RangeVar *)m;
		return;
	}
	if (d == &pg_query__insert_stmt__descriptor ||
	    d == &pg_query__update_stmt__descriptor ||
	    d == &pg_query__delete_stmt__descriptor) {
		/* 'relation' is the first field of all three */
		const PgQuery__RangeVar *t =
			d == &pg_query__insert_stmt__descriptor ? ((const PgQuery__InsertStmt *)m)->relation :
			d == &pg_query__update_stmt__descriptor ? ((const PgQuery__UpdateStmt *)m)->relation :
			((const PgQuery__DeleteStmt *)m)->relation;
		ALLOC_GROW(w->writes, w->nr_writes + 1, w->alloc_writes);
		w->writes[w->nr_writes++] = t;
	}
	if (d == &pg_query__common_table_expr__descriptor) {
		ALLOC_GROW(w->ctes, w->nr_ctes + 1, w->alloc_ctes);
		w->ctes[w->nr_ctes++] = ((const PgQuery__CommonTableExpr *)m)->ctename;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *at = (const char *)m + f->offset;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		/* a Node is a oneof: only its set member may be read */
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)at;
			for (size_t k = 0; k < n; k++)
				walk_rangevars(arr[k], w);
		} else {
			walk_rangevars(*(const ProtobufCMessage *const *)at, w);
		}
	}
}

static bool is_write(const struct rv_walk *w, const PgQuery__RangeVar *rv)
{
	for (size_t i = 0; i < w->nr_writes; i++)
		if (w->writes[i] == rv)
			return true;
	return false;
}

static bool is_cte(const struct rv_walk *w, const PgQuery__RangeVar *rv)
{
	if (rv->schemaname && rv->schemaname[0])
		return false;
	for (size_t i = 0; i < w->nr_ctes; i++)
		if (w->ctes[i] && !strcmp(w->ctes[i], rv->relname))
			return true;
	return false;
}

/*
 * The relations 'query' reads: ACCESS SHARE (ROW SHARE under FOR UPDATE
 * / FOR SHARE), except 'target', which the caller claims itself.
 */
static void claim_reads(struct stmt_locks *s, const ProtobufCMessage *query,
			const PgQuery__RangeVar *target, enum lock_mode mode,
			const char *why)
{
	struct rv_walk w = { 0 };

	walk_rangevars(query, &w);
	for (size_t i = 0; i < w.nr; i++) {
		if (w.rvs[i] == target || is_cte(&w, w.rvs[i]))
			continue;
		if (!is_write(&w, w.rvs[i])) {
			claim(s, w.rvs[i], VIA_NAME, mode, WORK_ROWS, why);
			/* a view is expanded, and what it reads is locked too */
			claim(s, w.rvs[i], VIA_VIEW_SOURCES, mode, WORK_ROWS,
			      "read through the view");
			continue;
		}
		/* a data-modifying WITH: rows written, foreign keys checked */
		claim(s, w.rvs[i], VIA_NAME, LOCK_ROW_EXCLUSIVE, WORK_ROWS,
		      "rows written (WITH ... INSERT/UPDATE/DELETE)");
		claim(s, w.rvs[i], VIA_FK_LINKED, LOCK_ROW_SHARE, WORK_ROWS,
		      "foreign key checks of the rows written, when there are any");
		s->claims[s->nr - 1].maybe = true;
	}
	free(w.rvs);
	free(w.ctes);
	free(w.writes);
}

/* ---- statement kinds ---------------------------------------------------- */

static bool constraint_is(const PgQuery__Node *n, PgQuery__ConstrType t)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
	       n->constraint->contype == t;
}

/* CREATE TABLE: a new relation, and SHARE ROW EXCLUSIVE on each table
 * its foreign keys reference (the FK triggers are added there). */
static void create_table(struct stmt_locks *s, const PgQuery__CreateStmt *c)
{
	s->kind = "CREATE TABLE";
	created(s, c->relation);
	for (size_t i = 0; i < c->n_constraints; i++)
		if (constraint_is(c->constraints[i], PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN))
			claim(s, c->constraints[i]->constraint->pktable, VIA_NAME,
			      LOCK_SHARE_ROW_EXCLUSIVE, WORK_CATALOG,
			      "foreign key: its triggers are added to the referenced table");
	for (size_t i = 0; i < c->n_table_elts; i++) {
		const PgQuery__Node *e = c->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    constraint_is(e, PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN))
			claim(s, e->constraint->pktable, VIA_NAME, LOCK_SHARE_ROW_EXCLUSIVE,
			      WORK_CATALOG, "foreign key: its triggers are added to the referenced table");
		if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		for (size_t k = 0; k < e->column_def->n_constraints; k++)
			if (constraint_is(e->column_def->constraints[k],
					  PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN))
				claim(s, e->column_def->constraints[k]->constraint->pktable,
				      VIA_NAME, LOCK_SHARE_ROW_EXCLUSIVE, WORK_CATALOG,
				      "foreign key: its triggers are added to the referenced table");
	}
	for (size_t i = 0; i < c->n_inh_relations; i++)
		if (c->inh_relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			claim(s, c->inh_relations[i]->range_var, VIA_NAME,
			      c->partbound ? LOCK_ACCESS_EXCLUSIVE : LOCK_SHARE_UPDATE_EXCLUSIVE,
			      WORK_CATALOG, c->partbound ? "PARTITION OF: the parent gains a partition" :
			      "INHERITS: the parent gains a child");
}

/* Functions whose value changes per row: a column default calling one is
 * evaluated for every existing row, which rewrites the table. */
static bool volatile_call(const PgQuery__Node *n)
{
	static const char *const names[] = {
		"random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4",
		"clock_timestamp", "timeofday", "nextval", "txid_current", "setseed",
	};
	const PgQuery__FuncCall *f;
	const char *name;

	while (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return false;
	f = n->func_call;
	if (!f->n_funcname || f->funcname[f->n_funcname - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	name = f->funcname[f->n_funcname - 1]->string->sval;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static bool serial_type(const PgQuery__TypeName *t)
{
	const char *name;

	if (!t || !t->n_names || t->names[t->n_names - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	name = t->names[t->n_names - 1]->string->sval;
	return !strcmp(name, "serial") || !strcmp(name, "bigserial") ||
	       !strcmp(name, "smallserial") || !strcmp(name, "serial4") ||
	       !strcmp(name, "serial8") || !strcmp(name, "serial2");
}

/* ADD COLUMN: catalog only (PG 11+), unless every row needs its own
 * value: a volatile default, serial, identity or a stored generated
 * column rewrite the table; a CHECK or NOT NULL makes it scan. */
static enum lock_work add_column_work(const PgQuery__ColumnDef *cd, const char **why)
{
	enum lock_work w = WORK_CATALOG;

	*why = "new column with no default or a constant one: catalog only (PG 11+)";
	if (volatile_call(cd->raw_default)) {
		*why = "volatile default: every row gets its own value";
		return WORK_REWRITE;
	}
	if (serial_type(cd->type_name)) {
		*why = "serial column: every row gets a nextval()";
		return WORK_REWRITE;
	}
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Node *c = cd->constraints[i];
		if (constraint_is(c, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT) &&
		    volatile_call(c->constraint->raw_expr)) {
			*why = "volatile default: every row gets its own value";
			return WORK_REWRITE;
		}
		if (constraint_is(c, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY)) {
			*why = "identity column: every row gets a value from its sequence";
			return WORK_REWRITE;
		}
		if (constraint_is(c, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED)) {
			*why = "stored generated column: computed for every row";
			return WORK_REWRITE;
		}
		if (constraint_is(c, PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) ||
		    constraint_is(c, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY) ||
		    constraint_is(c, PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE)) {
			*why = "new column with a constraint: every row is checked";
			w = WORK_SCAN;
		}
	}
	return w;
}

/* SET (...) / RESET (...): the autovacuum and fillfactor family need only
 * SHARE UPDATE EXCLUSIVE (AlterTableGetRelOptionsLockLevel), the rest
 * ACCESS EXCLUSIVE. */
static enum lock_mode reloptions_mode(const PgQuery__Node *def)
{
	static const char *const light[] = {
		"fillfactor", "autovacuum_enabled", "autovacuum_vacuum_threshold",
		"autovacuum_vacuum_scale_factor", "autovacuum_analyze_threshold",
		"autovacuum_analyze_scale_factor", "autovacuum_vacuum_cost_delay",
		"autovacuum_vacuum_cost_limit", "autovacuum_freeze_min_age",
		"autovacuum_freeze_max_age", "autovacuum_freeze_table_age",
		"autovacuum_multixact_freeze_min_age", "autovacuum_multixact_freeze_max_age",
		"autovacuum_multixact_freeze_table_age", "autovacuum_vacuum_insert_threshold",
		"autovacuum_vacuum_insert_scale_factor", "log_autovacuum_min_duration",
		"toast_tuple_target", "parallel_workers", "vacuum_index_cleanup",
		"vacuum_truncate",
	};
	const PgQuery__List *l;

	if (!def || def->node_case != PG_QUERY__NODE__NODE_LIST)
		return LOCK_ACCESS_EXCLUSIVE;
	l = def->list;
	for (size_t i = 0; i < l->n_items; i++) {
		const PgQuery__DefElem *e;
		bool found = false;
		if (l->items[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			return LOCK_ACCESS_EXCLUSIVE;
		e = l->items[i]->def_elem;
		if (e->defnamespace && e->defnamespace[0])
			return LOCK_ACCESS_EXCLUSIVE;
		for (size_t k = 0; k < ARRAY_SIZE(light); k++)
			if (!strcmp(e->defname, light[k]))
				found = true;
		if (!found)
			return LOCK_ACCESS_EXCLUSIVE;
	}
	return LOCK_SHARE_UPDATE_EXCLUSIVE;
}

struct at_rule {
	const char *kind;
	enum lock_mode mode;
	enum lock_work work;
	const char *why;
};

/* ADD CONSTRAINT: a foreign key takes SHARE ROW EXCLUSIVE on both tables
 * (PG 9.5+), the rest ACCESS EXCLUSIVE; validation scans unless NOT VALID. */
static void add_constraint(struct stmt_locks *s, const PgQuery__RangeVar *rel,
			   const PgQuery__Constraint *c, struct at_rule *r)
{
	bool not_valid = c->skip_validation;

	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		r->kind = "ALTER TABLE ADD FOREIGN KEY";
		r->mode = LOCK_SHARE_ROW_EXCLUSIVE;
		r->work = not_valid ? WORK_CATALOG : WORK_SCAN;
		r->why = not_valid ? "NOT VALID: existing rows are not checked" :
			 "every existing row is checked against the referenced table";
		claim(s, c->pktable, VIA_NAME, LOCK_SHARE_ROW_EXCLUSIVE,
		      not_valid ? WORK_CATALOG : WORK_SCAN,
		      "referenced by the new foreign key: its triggers are added here");
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		r->kind = "ALTER TABLE ADD CHECK";
		r->work = not_valid ? WORK_CATALOG : WORK_SCAN;
		r->why = not_valid ? "NOT VALID: existing rows are not checked" :
			 "every existing row is checked";
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		r->kind = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ?
			  "ALTER TABLE ADD PRIMARY KEY" :
			  c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ?
			  "ALTER TABLE ADD UNIQUE" : "ALTER TABLE ADD EXCLUDE";
		if (c->indexname && c->indexname[0]) {
			r->kind = "ALTER TABLE ADD CONSTRAINT USING INDEX";
			r->why = "USING INDEX: the index exists, catalog only";
		} else {
			r->work = WORK_SCAN;
			r->why = "builds its index from every row";
		}
		break;
	default:
		break;
	}
	(void)rel;
}

/* ALTER TABLE subcommand -> lock, work and why; kind "unknown" when the
 * table does not know it. The statement takes the strongest of them. */
static void alter_cmd(struct stmt_locks *s, const PgQuery__RangeVar *rel,
		      const PgQuery__AlterTableCmd *c, struct at_rule *r)
{
	const PgQuery__Node *def = c->def;

	r->kind = NULL;
	r->mode = LOCK_ACCESS_EXCLUSIVE;
	r->work = WORK_CATALOG;
	r->why = "catalog only";
	switch (c->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		r->kind = "ALTER TABLE ADD COLUMN";
		if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			r->work = add_column_work(def->column_def, &r->why);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		r->kind = "ALTER TABLE DROP COLUMN";
		r->why = "the column is only marked dropped";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		r->kind = "ALTER TABLE ALTER COLUMN TYPE";
		r->work = WORK_REWRITE;
		r->why = "rewrites the table (and its indexes) unless the new type is binary-coercible (varchar(n) to text or a longer varchar)";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		r->kind = def ? "ALTER TABLE ALTER COLUMN SET DEFAULT" : "ALTER TABLE ALTER COLUMN DROP DEFAULT";
		r->why = "applies to new rows only";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		r->kind = "ALTER TABLE ALTER COLUMN SET NOT NULL";
		r->work = WORK_SCAN;
		r->why = "every row is checked (skipped when a validated CHECK (col IS NOT NULL) exists, PG 12+)";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		r->kind = "ALTER TABLE ALTER COLUMN DROP NOT NULL";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
		r->kind = "ALTER TABLE ALTER COLUMN SET STATISTICS";
		r->mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage:
		r->kind = "ALTER TABLE ALTER COLUMN SET STORAGE";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		r->kind = "ALTER TABLE ADD CONSTRAINT";
		if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(s, rel, def->constraint, r);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
		r->kind = "ALTER TABLE VALIDATE CONSTRAINT";
		r->mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
		r->work = WORK_SCAN;
		r->why = "checks every row while reads and writes go on";
		/* a foreign key's check reads the referenced table too */
		claim(s, rel, VIA_FK_CONSTRAINT, LOCK_ROW_SHARE, WORK_SCAN,
		      "a foreign key being validated reads the table it references");
		set_constraint(s, c->name);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		r->kind = "ALTER TABLE DROP CONSTRAINT";
		/* a foreign key's triggers are dropped from the other table */
		claim(s, rel, VIA_FK_CONSTRAINT, LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG,
		      "a dropped foreign key's triggers go from the referenced table");
		set_constraint(s, c->name);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
		r->kind = c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions ?
			  "ALTER TABLE SET (storage parameters)" : "ALTER TABLE RESET (storage parameters)";
		r->mode = reloptions_mode(def);
		r->why = r->mode == LOCK_SHARE_UPDATE_EXCLUSIVE ?
			 "fillfactor / autovacuum parameters: SHARE UPDATE EXCLUSIVE" :
			 "other storage parameters: ACCESS EXCLUSIVE";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
		r->kind = "ALTER TABLE ENABLE/DISABLE TRIGGER";
		r->mode = LOCK_SHARE_ROW_EXCLUSIVE;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableRowSecurity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableRowSecurity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ForceRowSecurity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_NoForceRowSecurity:
		r->kind = "ALTER TABLE ENABLE/DISABLE ROW LEVEL SECURITY";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
		r->kind = "ALTER TABLE CLUSTER ON";
		r->mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ChangeOwner:
		r->kind = "ALTER TABLE OWNER TO";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
		r->kind = "ALTER TABLE SET TABLESPACE";
		r->work = WORK_REWRITE;
		r->why = "copies the table's files to the new tablespace";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
		r->kind = "ALTER TABLE SET LOGGED/UNLOGGED";
		r->work = WORK_REWRITE;
		r->why = "writes the table anew";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ReplicaIdentity:
		r->kind = "ALTER TABLE REPLICA IDENTITY";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
		r->kind = "ALTER TABLE ATTACH PARTITION";
		r->mode = LOCK_SHARE_UPDATE_EXCLUSIVE;
		r->why = "the parent: SHARE UPDATE EXCLUSIVE (PG 12+)";
		if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD)
			claim(s, def->partition_cmd->name, VIA_NAME, LOCK_ACCESS_EXCLUSIVE,
			      WORK_SCAN, "the partition: every row is checked against the bound (skipped when a CHECK implies it)");
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition: {
		bool conc = def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    def->partition_cmd->concurrent;
		r->kind = conc ? "ALTER TABLE DETACH PARTITION CONCURRENTLY" : "ALTER TABLE DETACH PARTITION";
		r->mode = conc ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE;
		r->why = conc ? "the parent: SHARE UPDATE EXCLUSIVE (PG 14+)" : "the parent";
		if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD)
			claim(s, def->partition_cmd->name, VIA_NAME,
			      conc ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE,
			      WORK_CATALOG, "the partition being detached");
		break;
	}
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
		r->kind = "ALTER TABLE ALTER COLUMN IDENTITY";
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropInherit:
		r->kind = "ALTER TABLE INHERIT/NO INHERIT";
		break;
	default:
		break;
	}
}

static int const_int(const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return n->a_const->ival ? n->a_const->ival->ival : 0;
	return -1;
}

/*
 * The typmod PostgreSQL stores for the two types whose length or
 * precision can grow without a rewrite: varchar(n) is n + 4, numeric(p, s)
 * is (p << 16 | s) + 4 (VARHDRSZ). -1: none given; -2: not known here.
 */
static int typmod_of(const char *type, PgQuery__Node **mods, size_t n)
{
	int a = n ? const_int(mods[0]) : -1, b = n > 1 ? const_int(mods[1]) : 0;

	if (!n)
		return -1;
	if (!strcmp(type, "varchar") && n == 1 && a > 0)
		return a + 4;
	if (!strcmp(type, "numeric") && n <= 2 && a > 0 && b >= 0)
		return (a << 16 | b) + 4;
	return -2;
}

/* The column and new type of an ALTER COLUMN TYPE, on the claim 'c'. */
static void note_new_type(struct lock_claim *c, const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__TypeName *t;
	struct strbuf sb = STRBUF_INIT;
	const char *last = NULL;

	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF ||
	    !(t = cmd->def->column_def->type_name) || !t->n_names || !cmd->name)
		return;
	for (size_t i = 0; i < t->n_names; i++) {
		if (t->names[i]->node_case != PG_QUERY__NODE__NODE_STRING) {
			strbuf_release(&sb);
			return;
		}
		last = t->names[i]->string->sval;
		if (i)
			strbuf_addch(&sb, '.');
		strbuf_add_ident(&sb, last);
	}
	if (t->n_array_bounds)
		strbuf_addstr(&sb, "[]");
	c->column = xstrdup(cmd->name);
	c->new_type = strbuf_detach(&sb, NULL);
	c->new_typmod = t->n_array_bounds ? -2 : typmod_of(last, t->typmods, t->n_typmods);
}

static void alter_table(struct stmt_locks *s, const PgQuery__AlterTableStmt *a)
{
	const PgQuery__AlterTableCmd *type_cmd = NULL;
	size_t rewrites = 0;
	enum lock_mode mode = LOCK_NONE;
	enum lock_work work = WORK_CATALOG;
	const char *kind = NULL, *why = NULL;

	if (a->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) {
		s->kind = "ALTER INDEX";
		s->known = false;
		return;
	}
	for (size_t i = 0; i < a->n_cmds; i++) {
		struct at_rule r;
		if (a->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		alter_cmd(s, a->relation, a->cmds[i]->alter_table_cmd, &r);
		if (!r.kind) {
			s->kind = "ALTER TABLE (unknown subcommand)";
			s->known = false;
			return;
		}
		if (!kind)
			kind = r.kind;
		else if (strcmp(kind, r.kind))
			kind = "ALTER TABLE (several subcommands)";
		if (r.mode > mode)
			mode = r.mode, why = r.why;
		if (r.work > work)
			work = r.work, why = r.why;
		if (r.work == WORK_REWRITE) {
			rewrites++;
			if (a->cmds[i]->alter_table_cmd->subtype ==
			    PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType)
				type_cmd = a->cmds[i]->alter_table_cmd;
		}
	}
	s->kind = kind ? kind : "ALTER TABLE";
	claim(s, a->relation, VIA_NAME, mode ? mode : LOCK_ACCESS_EXCLUSIVE, work,
	      why ? why : "catalog only");
	/* the one rewrite is a type change: the catalog may clear it */
	if (rewrites == 1 && type_cmd && a->n_cmds == 1 && s->nr)
		note_new_type(&s->claims[s->nr - 1], type_cmd);
}

static void drop_stmt(struct stmt_locks *s, const PgQuery__DropStmt *d)
{
	for (size_t i = 0; i < d->n_objects; i++) {
		const PgQuery__Node *o = d->objects[i];
		if (o->node_case != PG_QUERY__NODE__NODE_LIST)
			continue;
		switch (d->remove_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
			s->kind = d->concurrent ? "DROP INDEX CONCURRENTLY" : "DROP INDEX";
			claim_names(s, o->list->items, o->list->n_items, VIA_INDEX,
				    d->concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE,
				    WORK_CATALOG, d->concurrent ?
				    "the index's table: waits for transactions using the index" :
				    "the index's table");
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
			s->kind = "DROP TABLE";
			claim_names(s, o->list->items, o->list->n_items, VIA_NAME,
				    LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG, "the table dropped");
			claim_names(s, o->list->items, o->list->n_items, VIA_FK_TARGETS,
				    LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG,
				    "its foreign keys' triggers go from the referenced table");
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
			s->kind = "DROP VIEW";
			claim_names(s, o->list->items, o->list->n_items, VIA_NAME,
				    LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG, "the view dropped");
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
			s->kind = "DROP MATERIALIZED VIEW";
			claim_names(s, o->list->items, o->list->n_items, VIA_NAME,
				    LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG, "the view dropped");
			break;
		default:
			s->kind = "DROP (other object)";
			s->known = false;
			return;
		}
	}
}

static void index_stmt(struct stmt_locks *s, const PgQuery__IndexStmt *ix)
{
	s->kind = ix->concurrent ? "CREATE INDEX CONCURRENTLY" : "CREATE INDEX";
	claim(s, ix->relation, VIA_NAME,
	      ix->concurrent ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_SHARE, WORK_SCAN,
	      ix->concurrent ? "builds the index while writes go on (two scans)" :
	      "builds the index from every row; writes wait until it is done");
}

static bool has_option(PgQuery__Node **l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (l[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    l[i]->def_elem->defname && !strcmp(l[i]->def_elem->defname, name))
			return true;
	return false;
}

static void reindex_stmt(struct stmt_locks *s, const PgQuery__ReindexStmt *r)
{
	bool conc = has_option(r->params, r->n_params, "concurrently");

	if (r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX) {
		s->kind = conc ? "REINDEX INDEX CONCURRENTLY" : "REINDEX INDEX";
		claim(s, r->relation, VIA_INDEX,
		      conc ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_SHARE, WORK_SCAN,
		      conc ? "rebuilds the index while writes go on" :
		      "the index's table: writes wait while the index is rebuilt");
	} else if (r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE) {
		s->kind = conc ? "REINDEX TABLE CONCURRENTLY" : "REINDEX TABLE";
		claim(s, r->relation, VIA_NAME,
		      conc ? LOCK_SHARE_UPDATE_EXCLUSIVE : LOCK_SHARE, WORK_SCAN,
		      conc ? "rebuilds its indexes while writes go on" :
		      "writes wait while its indexes are rebuilt");
	} else {
		s->kind = "REINDEX SCHEMA/DATABASE/SYSTEM";
		s->known = false;
	}
}

static void vacuum_stmt(struct stmt_locks *s, const PgQuery__VacuumStmt *v)
{
	bool full = has_option(v->options, v->n_options, "full");

	if (!v->is_vacuumcmd)
		s->kind = "ANALYZE";
	else
		s->kind = full ? "VACUUM FULL" : "VACUUM";
	if (!v->n_rels) {
		s->known = false;	/* every table of the database */
		return;
	}
	for (size_t i = 0; i < v->n_rels; i++)
		if (v->rels[i]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION)
			claim(s, v->rels[i]->vacuum_relation->relation, VIA_NAME,
			      full ? LOCK_ACCESS_EXCLUSIVE : LOCK_SHARE_UPDATE_EXCLUSIVE,
			      full ? WORK_REWRITE : WORK_SCAN,
			      full ? "writes a new compacted copy of the table" :
			      v->is_vacuumcmd ? "reads the table while reads and writes go on" :
			      "samples the table while reads and writes go on");
}

static void lock_stmt(struct stmt_locks *s, const PgQuery__LockStmt *l)
{
	/* the grammar's numbers are the server's LOCKMODE, 1 to 8 */
	enum lock_mode m = l->mode >= 1 && l->mode <= 8 ? (enum lock_mode)l->mode :
			   LOCK_ACCESS_EXCLUSIVE;

	s->kind = "LOCK TABLE";
	for (size_t i = 0; i < l->n_relations; i++)
		if (l->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			claim(s, l->relations[i]->range_var, VIA_NAME, m, WORK_CATALOG,
			      "the mode asked for (ACCESS EXCLUSIVE when none is)");
}

static void comment_stmt(struct stmt_locks *s, const PgQuery__CommentStmt *c)
{
	const PgQuery__Node *o = c->object;

	s->kind = "COMMENT ON";
	switch (c->objtype) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		if (o && o->node_case == PG_QUERY__NODE__NODE_LIST)
			claim_names(s, o->list->items, o->list->n_items, VIA_NAME,
				    LOCK_SHARE_UPDATE_EXCLUSIVE, WORK_CATALOG, "catalog only");
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		/* table.column: the table is all but the last name */
		if (o && o->node_case == PG_QUERY__NODE__NODE_LIST && o->list->n_items >= 2)
			claim_names(s, o->list->items, o->list->n_items - 1, VIA_NAME,
				    LOCK_SHARE_UPDATE_EXCLUSIVE, WORK_CATALOG, "catalog only");
		break;
	default:
		break;	/* other objects: no relation lock */
	}
}

/*
 * INSERT, UPDATE, DELETE: ROW EXCLUSIVE on the table written. Foreign key
 * checks lock the rows they find FOR KEY SHARE, which is ROW SHARE on the
 * other table: the referenced tables for rows inserted or updated, the
 * referencing ones for rows deleted (NO ACTION / RESTRICT).
 */
static void dml(struct stmt_locks *s, const char *kind,
		const PgQuery__RangeVar *target, const ProtobufCMessage *whole,
		enum lock_via fk)
{
	s->kind = kind;
	claim(s, target, VIA_NAME, LOCK_ROW_EXCLUSIVE, WORK_ROWS, "rows written");
	claim(s, target, fk, LOCK_ROW_SHARE, WORK_ROWS,
	      "foreign key checks of the rows written, when there are any");
	if (s->nr && s->claims[s->nr - 1].via == fk)
		s->claims[s->nr - 1].maybe = true;
	claim_reads(s, whole, target, LOCK_ACCESS_SHARE, "read by the statement");
}

static void select_stmt(struct stmt_locks *s, const PgQuery__SelectStmt *sel)
{
	s->kind = sel->n_locking_clause ? "SELECT ... FOR UPDATE/SHARE" : "SELECT";
	claim_reads(s, &sel->base, NULL,
		    sel->n_locking_clause ? LOCK_ROW_SHARE : LOCK_ACCESS_SHARE,
		    sel->n_locking_clause ? "rows locked" : "read");
}

static void view_stmt(struct stmt_locks *s, const PgQuery__ViewStmt *v)
{
	s->kind = v->replace ? "CREATE OR REPLACE VIEW" : "CREATE VIEW";
	if (v->replace) {
		claim(s, v->view, VIA_NAME, LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG,
		      "an existing view is replaced");
	} else {
		created(s, v->view);
	}
	claim_reads(s, (const ProtobufCMessage *)v->query, NULL, LOCK_ACCESS_SHARE,
		    "read by the view's query when it is defined");
}

/* One statement of the table; anything not handled stays unknown. */
static void classify(const PgQuery__Node *n, struct stmt_locks *s)
{
	s->known = true;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		create_table(s, n->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter_table(s, n->alter_table_stmt);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		index_stmt(s, n->index_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		drop_stmt(s, n->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		reindex_stmt(s, n->reindex_stmt);
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		s->kind = "TRUNCATE";
		for (size_t i = 0; i < n->truncate_stmt->n_relations; i++)
			if (n->truncate_stmt->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				claim(s, n->truncate_stmt->relations[i]->range_var, VIA_NAME,
				      LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG,
				      "new empty files replace the table's");
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		s->kind = "CREATE TRIGGER";
		claim(s, n->create_trig_stmt->relation, VIA_NAME, LOCK_SHARE_ROW_EXCLUSIVE,
		      WORK_CATALOG, "catalog only");
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		view_stmt(s, n->view_stmt);
		break;
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT: {
		const PgQuery__RefreshMatViewStmt *r = n->refresh_mat_view_stmt;
		s->kind = r->concurrent ? "REFRESH MATERIALIZED VIEW CONCURRENTLY" :
			  "REFRESH MATERIALIZED VIEW";
		claim(s, r->relation, VIA_NAME,
		      r->concurrent ? LOCK_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE,
		      r->concurrent ? WORK_SCAN : WORK_REWRITE,
		      r->concurrent ? "runs its query and merges the changes; reads go on" :
		      "runs its query and replaces the contents");
		claim(s, r->relation, VIA_VIEW_SOURCES, LOCK_ACCESS_SHARE, WORK_SCAN,
		      "read by the view's query");
		break;
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		vacuum_stmt(s, n->vacuum_stmt);
		break;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		s->kind = "CLUSTER";
		if (!n->cluster_stmt->relation) {
			s->known = false;
			break;
		}
		claim(s, n->cluster_stmt->relation, VIA_NAME, LOCK_ACCESS_EXCLUSIVE,
		      WORK_REWRITE, "writes the table anew in index order");
		break;
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		lock_stmt(s, n->lock_stmt);
		break;
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		comment_stmt(s, n->comment_stmt);
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		dml(s, "INSERT", n->insert_stmt->relation, &n->insert_stmt->base,
		    VIA_FK_TARGETS);
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		dml(s, "UPDATE", n->update_stmt->relation, &n->update_stmt->base,
		    VIA_FK_TARGETS);
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		dml(s, "DELETE", n->delete_stmt->relation, &n->delete_stmt->base,
		    VIA_FK_REFERRERS);
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		if (n->select_stmt->into_clause) {
			s->known = false;
			s->kind = "SELECT INTO";
			break;
		}
		select_stmt(s, n->select_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		s->kind = "CREATE TYPE AS ENUM";
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		s->kind = "CREATE TYPE AS";
		break;
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		s->kind = n->alter_enum_stmt->old_val && n->alter_enum_stmt->old_val[0] ?
			  "ALTER TYPE RENAME VALUE" : "ALTER TYPE ADD VALUE";
		break;
	case PG_QUERY__NODE__NODE_GRANT_STMT:
		s->kind = n->grant_stmt->is_grant ? "GRANT" : "REVOKE";
		break;
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		s->kind = "CREATE POLICY";
		claim(s, n->create_policy_stmt->table, VIA_NAME, LOCK_ACCESS_EXCLUSIVE,
		      WORK_CATALOG, "catalog only");
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT: {
		const PgQuery__RenameStmt *r = n->rename_stmt;
		if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
		    r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
			s->kind = r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ?
				  "ALTER TABLE RENAME" : "ALTER TABLE RENAME COLUMN";
			claim(s, r->relation, VIA_NAME, LOCK_ACCESS_EXCLUSIVE,
			      WORK_CATALOG, "catalog only");
		} else if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
			s->kind = "ALTER TABLE RENAME CONSTRAINT";
			claim(s, r->relation, VIA_NAME, LOCK_ACCESS_EXCLUSIVE,
			      WORK_CATALOG, "catalog only");
		} else {
			s->kind = "RENAME (other object)";
			s->known = false;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT: {
		const PgQuery__AlterObjectSchemaStmt *a = n->alter_object_schema_stmt;
		s->kind = "ALTER TABLE SET SCHEMA";
		if (a->object_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			s->kind = "SET SCHEMA (other object)";
			s->known = false;
			break;
		}
		claim(s, a->relation, VIA_NAME, LOCK_ACCESS_EXCLUSIVE, WORK_CATALOG,
		      "catalog only");
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		s->kind = n->create_schema_stmt->n_schema_elts ? "CREATE SCHEMA (with objects)" :
			  "CREATE SCHEMA";
		s->known = !n->create_schema_stmt->n_schema_elts;
		break;
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		s->kind = "SET";
		s->sets_search_path = n->variable_set_stmt->name &&
				      !strcmp(n->variable_set_stmt->name, "search_path");
		break;
	default:
		s->kind = "unknown";
		s->known = false;
		break;
	}
	/* claims made before the unknown part are no answer either */
	for (size_t i = 0; !s->known && i < s->nr; i++) {
		free(s->claims[i].schema);
		free(s->claims[i].name);
		free(s->claims[i].constraint);
		free(s->claims[i].column);
		free(s->claims[i].new_type);
	}
	if (!s->known)
		s->nr = 0;
}

static void one_stmt(const void *stmt, size_t off, size_t len, void *data)
{
	struct lock_list *l = data;
	struct stmt_locks *s;

	ALLOC_GROW(l->s, l->nr + 1, l->alloc);
	s = &l->s[l->nr++];
	memset(s, 0, sizeof(*s));
	s->off = off;
	s->len = len;
	classify(stmt, s);
}

int locks_of_sql(const char *text, size_t len, struct lock_list *l,
		 struct parse_error *e)
{
	struct sql_tree t;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = sql_parse_tree(text, len, &t, e);
	for (size_t i = 0; !ret && i < t.nr; i++)
		one_stmt(t.stmts[i].node, t.stmts[i].off, t.stmts[i].len, l);
	sql_tree_release(&t);
	return ret;
}

void lock_list_release(struct lock_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		struct stmt_locks *s = &l->s[i];
		for (size_t k = 0; k < s->nr; k++) {
			free(s->claims[k].schema);
			free(s->claims[k].name);
			free(s->claims[k].constraint);
			free(s->claims[k].column);
			free(s->claims[k].new_type);
		}
		free(s->claims);
		free(s->created_schema);
		free(s->created_name);
	}
	free(l->s);
	memset(l, 0, sizeof(*l));
}

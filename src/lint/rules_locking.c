/*
 * rules_locking.c - locks held too long and tables rewritten.
 *
 * Every rule here is about what a statement does to a table that is in
 * use: an ACCESS EXCLUSIVE lock blocks reads and writes for as long as
 * the statement runs, and a rewrite or a full scan makes that as long as
 * the table is big. A table created earlier in the same file is empty and
 * invisible to others, so the rules leave it alone.
 */
#include "../compat.h"
#include "lint.h"

#include <strings.h>

/* ---- helpers ------------------------------------------------------------ */

/* The ALTER TABLE of the statement on a table that exists before, or NULL. */
static const PgQuery__AlterTableStmt *alter_existing(const struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = lint_node(c->stmt->node, ALTER_TABLE_STMT);

	if (!a || a->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    lint_created_earlier(c, a->relation))
		return NULL;
	return a;
}

/* The i-th command of 'a' when it is of 'type', else NULL. */
static const PgQuery__AlterTableCmd *cmd_of(const PgQuery__AlterTableStmt *a,
					    size_t i, PgQuery__AlterTableType type)
{
	const PgQuery__AlterTableCmd *cmd = lint_node(a->cmds[i], ALTER_TABLE_CMD);

	return cmd && cmd->subtype == type ? cmd : NULL;
}

/* The column of an ADD COLUMN command. */
static const PgQuery__ColumnDef *added_column(const PgQuery__AlterTableCmd *cmd)
{
	return cmd ? lint_node(cmd->def, COLUMN_DEF) : NULL;
}

/* The first constraint of kind 'type' on column 'col', or NULL. */
static const PgQuery__Constraint *col_constraint(const PgQuery__ColumnDef *col,
						 PgQuery__ConstrType type)
{
	for (size_t i = 0; col && i < col->n_constraints; i++) {
		const PgQuery__Constraint *k = lint_node(col->constraints[i], CONSTRAINT);
		if (k && k->contype == type)
			return k;
	}
	return NULL;
}

static int loc_of(const PgQuery__ColumnDef *col)
{
	return col ? col->location : -1;
}

/* Does the DefElem list hold an option named 'name' (not set to false)? */
static bool has_option(PgQuery__Node *const *opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__DefElem *d = lint_node(opts[i], DEF_ELEM);
		if (d && d->defname && !strcmp(d->defname, name)) {
			const PgQuery__String *s = lint_node(d->arg, STRING);
			const PgQuery__Boolean *b = lint_node(d->arg, BOOLEAN);
			if (b && !b->boolval)
				return false;
			if (s && (!strcasecmp(s->sval, "false") || !strcasecmp(s->sval, "off")))
				return false;
			return true;
		}
	}
	return false;
}

static bool is_name(const char *s, const char *const *names)
{
	for (; s && *names; names++)
		if (!strcmp(s, *names))
			return true;
	return false;
}

/* ---- changing-column-type ---------------------------------------------- */

/* A column type as written: base name and type modifiers. */
struct coltype {
	const char *name;	/* "varchar", "text", "numeric" */
	long mod[2];		/* -1 when absent */
};

static struct coltype coltype_of(const PgQuery__TypeName *t)
{
	struct coltype ct = { NULL, { -1, -1 } };

	if (!t || t->n_array_bounds)
		return ct;
	ct.name = lint_last_name(t->names, t->n_names);
	for (size_t i = 0; i < t->n_typmods && i < 2; i++)
		ct.mod[i] = lint_int(t->typmods[i]);
	if (ct.name && !strcmp(ct.name, "bpchar") && ct.mod[0] < 0)
		ct.mod[0] = 1;	/* char means char(1) */
	return ct;
}

/*
 * Can a column of type 'from' become 'to' without a rewrite? Only the
 * binary-coercible changes that keep every value valid: a longer varchar
 * or varbit, varchar to text (and back to unbounded varchar), numeric
 * with more precision and the same scale, cidr to inet, the same type.
 */
static bool coercible(struct coltype from, struct coltype to)
{
	static const char *const texts[] = { "varchar", "text", NULL };

	if (!from.name || !to.name)
		return false;
	if (is_name(from.name, texts) && !strcmp(to.name, "text"))
		return true;
	if (is_name(from.name, texts) && !strcmp(to.name, "varchar"))
		return to.mod[0] < 0 ||
		       (!strcmp(from.name, "varchar") && from.mod[0] >= 0 && to.mod[0] >= from.mod[0]);
	if (!strcmp(from.name, "cidr") && !strcmp(to.name, "inet"))
		return true;
	if (strcmp(from.name, to.name))
		return false;
	if (!strcmp(to.name, "numeric"))
		return to.mod[0] < 0 ||
		       (from.mod[0] >= 0 && to.mod[0] >= from.mod[0] &&
			(to.mod[1] < 0 ? 0 : to.mod[1]) == (from.mod[1] < 0 ? 0 : from.mod[1]));
	if (!strcmp(to.name, "varbit"))
		return to.mod[0] < 0 || (from.mod[0] >= 0 && to.mod[0] >= from.mod[0]);
	return from.mod[0] == to.mod[0] && from.mod[1] == to.mod[1];
}

static bool same_rel(const PgQuery__RangeVar *a, const PgQuery__RangeVar *b)
{
	return a && b && a->relname && b->relname && !strcmp(a->relname, b->relname);
}

/*
 * The type column 'name' of 'rel' has before statement c->index, when an
 * earlier statement of the file gave it one (ADD COLUMN, ALTER TYPE).
 */
static bool known_type(const struct lint_ctx *c, const PgQuery__RangeVar *rel,
		       const char *name, struct coltype *ct)
{
	bool found = false;

	for (size_t i = 0; i < c->index; i++) {
		const PgQuery__AlterTableStmt *a =
			lint_node(c->stmts[i].node, ALTER_TABLE_STMT);
		if (!a || !same_rel(a->relation, rel))
			continue;
		for (size_t k = 0; k < a->n_cmds; k++) {
			const PgQuery__AlterTableCmd *cmd = lint_node(a->cmds[k], ALTER_TABLE_CMD);
			const PgQuery__ColumnDef *col = cmd ? lint_node(cmd->def, COLUMN_DEF) : NULL;
			const char *cname;
			if (!col)
				continue;
			cname = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn ?
				col->colname : cmd->name;
			if ((cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn ||
			     cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType) &&
			    cname && !strcmp(cname, name)) {
				*ct = coltype_of(col->type_name);
				found = true;
			}
		}
	}
	return found;
}

static void check_column_type(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd =
			cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType);
		const PgQuery__ColumnDef *col = added_column(cmd);
		struct coltype from, to;
		if (!col)
			continue;
		to = coltype_of(col->type_name);
		if (known_type(c, a->relation, cmd->name, &from)) {
			if (!col->raw_default && coercible(from, to))
				continue;
			lint_report(c, col->type_name ? col->type_name->location : -1,
				    "changing column '%s' from %s to %s rewrites table '%s' under an ACCESS EXCLUSIVE lock",
				    cmd->name, from.name, to.name ? to.name : "?", a->relation->relname);
		} else {
			lint_report(c, col->type_name ? col->type_name->location : -1,
				    "changing the type of column '%s' rewrites table '%s' under an ACCESS EXCLUSIVE lock, unless the change is binary-coercible (a longer varchar, varchar to text, more numeric precision)",
				    cmd->name, a->relation->relname);
		}
	}
}

static const struct lint_rule changing_column_type = {
	"changing-column-type", LINT_ERROR,
	"ALTER COLUMN TYPE that rewrites the table",
	"Changing a column's type rewrites the whole table and rebuilds its "
	"indexes while holding an ACCESS EXCLUSIVE lock: no reads, no writes "
	"until it is done. Only binary-coercible changes skip the rewrite "
	"(varchar(n) to a longer varchar or to text, numeric(p,s) to a larger "
	"precision with the same scale, cidr to inet). strata knows the old "
	"type only when the same file set it; otherwise it reports the change "
	"and a -- strata:allow comment records why it is safe.",
	"-- add a new column, fill it in batches, switch the application, drop the old one\n"
	"ALTER TABLE users ADD COLUMN age_new bigint;\n"
	"UPDATE users SET age_new = age WHERE id BETWEEN 1 AND 10000; -- and so on\n"
	"ALTER TABLE users DROP COLUMN age; ALTER TABLE users RENAME COLUMN age_new TO age;",
	check_column_type,
};

/* ---- adding-field-with-default ---------------------------------------- */

/*
 * Functions a default may call and still be computed once for the whole
 * ALTER TABLE: stable or immutable. Anything else (random(), nextval(),
 * clock_timestamp(), gen_random_uuid(), a function of the project) may be
 * volatile, which makes PostgreSQL compute it per row: a rewrite.
 */
static const char *const stable_funcs[] = {
	"now", "transaction_timestamp", "statement_timestamp", "current_date",
	"current_setting", "lower", "upper", "length", "concat", "coalesce",
	"to_timestamp", "to_date", "to_char", "make_date", "make_interval",
	"date_trunc", "timezone", "jsonb_build_object", "json_build_object",
	"jsonb_build_array", "json_build_array", "array_fill", "to_jsonb",
	"int4", "int8", "numeric", "text", "md5", "btrim", "trim", "abs",
	NULL,
};

static bool volatile_call(const PgQuery__Node *n, void *arg)
{
	const PgQuery__FuncCall *f = lint_node(n, FUNC_CALL);
	const char *name = f ? lint_last_name(f->funcname, f->n_funcname) : NULL;

	if (!f || is_name(name, stable_funcs))
		return false;
	*(const PgQuery__FuncCall **)arg = f;
	return true;
}

/* Is the default NULL (written as such)? */
static bool null_default(const PgQuery__Node *e)
{
	const PgQuery__AConst *k = lint_node(e, A_CONST);
	const PgQuery__TypeCast *tc = lint_node(e, TYPE_CAST);

	if (tc)
		k = lint_node(tc->arg, A_CONST);
	return k && k->isnull;
}

static void check_field_default(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__ColumnDef *col =
			added_column(cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn));
		const PgQuery__Constraint *d = col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
		const PgQuery__FuncCall *f = NULL;
		if (!d || !d->raw_expr || null_default(d->raw_expr))
			continue;
		if (c->pg_version < 110000)
			lint_report(c, d->location,
				    "adding column '%s' with a default rewrites table '%s' before PostgreSQL 11",
				    col->colname, a->relation->relname);
		else if (lint_walk(d->raw_expr, volatile_call, &f))
			lint_report(c, f->location,
				    "the default of column '%s' calls %s(), which may be volatile: PostgreSQL computes it for every row, rewriting table '%s'",
				    col->colname, lint_last_name(f->funcname, f->n_funcname),
				    a->relation->relname);
	}
}

static const struct lint_rule adding_field_with_default = {
	"adding-field-with-default", LINT_ERROR,
	"ADD COLUMN with a volatile default (any default before PG 11)",
	"Since PostgreSQL 11, ADD COLUMN with a constant (or stable) default "
	"only records the default in the catalog. A volatile default such as "
	"random(), clock_timestamp(), gen_random_uuid() or nextval() must be "
	"computed for every row, so the table is rewritten under an ACCESS "
	"EXCLUSIVE lock; before PostgreSQL 11 every non-NULL default does that.",
	"ALTER TABLE users ADD COLUMN token uuid;\n"
	"ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();\n"
	"UPDATE users SET token = gen_random_uuid() WHERE token IS NULL AND id BETWEEN 1 AND 10000; -- in batches",
	check_field_default,
};

/* ---- adding-stored-generated-column ------------------------------------ */

static void check_generated(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__ColumnDef *col =
			added_column(cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn));
		const PgQuery__Constraint *g = col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED);
		if (g)
			lint_report(c, g->location,
				    "adding stored generated column '%s' rewrites table '%s' under an ACCESS EXCLUSIVE lock",
				    col->colname, a->relation->relname);
	}
}

static const struct lint_rule adding_stored_generated_column = {
	"adding-stored-generated-column", LINT_ERROR,
	"ADD COLUMN ... GENERATED ALWAYS AS (...) STORED on an existing table",
	"A stored generated column is computed and written for every existing "
	"row when it is added: the table is rewritten under an ACCESS "
	"EXCLUSIVE lock.",
	"-- a plain column kept current by a trigger, filled in batches\n"
	"ALTER TABLE orders ADD COLUMN total numeric;\n"
	"UPDATE orders SET total = price * qty WHERE id BETWEEN 1 AND 10000; -- and so on",
	check_generated,
};

/* ---- adding-serial-or-identity-column ---------------------------------- */

static const char *const serials[] = {
	"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8", NULL,
};

static void check_serial(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__ColumnDef *col =
			added_column(cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn));
		const char *type = col && col->type_name ?
			lint_last_name(col->type_name->names, col->type_name->n_names) : NULL;
		if (!col)
			continue;
		if (is_name(type, serials) ||
		    col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY))
			lint_report(c, loc_of(col),
				    "adding %s column '%s' fills every row from a sequence, rewriting table '%s' under an ACCESS EXCLUSIVE lock",
				    is_name(type, serials) ? type : "identity", col->colname,
				    a->relation->relname);
	}
}

static const struct lint_rule adding_serial_or_identity_column = {
	"adding-serial-or-identity-column", LINT_ERROR,
	"ADD COLUMN serial / GENERATED ... AS IDENTITY on an existing table",
	"A serial or identity column gets a value from a sequence for every "
	"existing row, a volatile default: the table is rewritten under an "
	"ACCESS EXCLUSIVE lock.",
	"ALTER TABLE events ADD COLUMN seq bigint;\n"
	"CREATE SEQUENCE events_seq_seq OWNED BY events.seq;\n"
	"ALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq_seq');\n"
	"UPDATE events SET seq = nextval('events_seq_seq') WHERE seq IS NULL AND id BETWEEN 1 AND 10000; -- in batches",
	check_serial,
};

/* ---- require-concurrent-index-creation --------------------------------- */

static void check_index_creation(struct lint_ctx *c)
{
	const PgQuery__IndexStmt *ix = lint_node(c->stmt->node, INDEX_STMT);

	if (ix && !ix->concurrent && !lint_created_earlier(c, ix->relation))
		lint_report(c, ix->relation ? ix->relation->location : -1,
			    "CREATE INDEX without CONCURRENTLY blocks writes to '%s' while the index builds",
			    ix->relation && ix->relation->relname ? ix->relation->relname : "?");
}

static const struct lint_rule require_concurrent_index_creation = {
	"require-concurrent-index-creation", LINT_ERROR,
	"CREATE INDEX on an existing table without CONCURRENTLY",
	"CREATE INDEX takes a SHARE lock on the table: inserts, updates and "
	"deletes wait until the whole index is built, minutes on a big table. "
	"CREATE INDEX CONCURRENTLY builds it while writes go on. It cannot run "
	"in a transaction block: put it in a migration of its own, or mark the "
	"file with -- strata:no-transaction.",
	"-- strata:no-transaction\n"
	"CREATE INDEX CONCURRENTLY users_email ON users (email);",
	check_index_creation,
};

/* ---- require-concurrent-index-deletion --------------------------------- */

static void check_index_deletion(struct lint_ctx *c)
{
	const PgQuery__DropStmt *d = lint_node(c->stmt->node, DROP_STMT);

	if (d && d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && !d->concurrent)
		lint_report(c, -1, "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table");
}

static const struct lint_rule require_concurrent_index_deletion = {
	"require-concurrent-index-deletion", LINT_ERROR,
	"DROP INDEX without CONCURRENTLY",
	"DROP INDEX takes an ACCESS EXCLUSIVE lock on the table the index "
	"belongs to; if a long query holds the table, the DROP waits and every "
	"query behind it waits too. DROP INDEX CONCURRENTLY waits for running "
	"transactions without blocking new ones. It cannot run in a "
	"transaction block.",
	"-- strata:no-transaction\n"
	"DROP INDEX CONCURRENTLY users_email;",
	check_index_deletion,
};

/* ---- require-concurrent-reindex ---------------------------------------- */

static void check_reindex(struct lint_ctx *c)
{
	const PgQuery__ReindexStmt *r = lint_node(c->stmt->node, REINDEX_STMT);

	if (!r || c->pg_version < 120000 ||
	    r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
	    has_option(r->params, r->n_params, "concurrently"))
		return;
	lint_report(c, -1, "REINDEX without CONCURRENTLY blocks writes (and reads that use the index) while it rebuilds");
}

static const struct lint_rule require_concurrent_reindex = {
	"require-concurrent-reindex", LINT_ERROR,
	"REINDEX without CONCURRENTLY (PostgreSQL 12 and later)",
	"REINDEX locks out writes to the table and takes an ACCESS EXCLUSIVE "
	"lock on the index being rebuilt. From PostgreSQL 12, REINDEX "
	"CONCURRENTLY rebuilds next to the old index and swaps them; it cannot "
	"run in a transaction block.",
	"-- strata:no-transaction\n"
	"REINDEX INDEX CONCURRENTLY users_email;",
	check_reindex,
};

/* ---- require-concurrent-partition-detach ------------------------------- */

static void check_detach(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && c->pg_version >= 140000 && i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd =
			cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition);
		const PgQuery__PartitionCmd *p = cmd ? lint_node(cmd->def, PARTITION_CMD) : NULL;
		if (p && !p->concurrent)
			lint_report(c, p->name ? p->name->location : -1,
				    "DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on '%s'",
				    a->relation->relname);
	}
}

static const struct lint_rule require_concurrent_partition_detach = {
	"require-concurrent-partition-detach", LINT_ERROR,
	"DETACH PARTITION without CONCURRENTLY (PostgreSQL 14 and later)",
	"Detaching a partition takes an ACCESS EXCLUSIVE lock on the parent "
	"table, so every query on any partition waits. From PostgreSQL 14, "
	"DETACH PARTITION ... CONCURRENTLY needs only SHARE UPDATE EXCLUSIVE; "
	"it cannot run in a transaction block.",
	"-- strata:no-transaction\n"
	"ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;",
	check_detach,
};

/* ---- constraint-missing-not-valid -------------------------------------- */

static void check_not_valid(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd =
			cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint);
		const PgQuery__Constraint *k = cmd ? lint_node(cmd->def, CONSTRAINT) : NULL;
		if (!k || k->skip_validation)
			continue;
		if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			lint_report(c, k->location,
				    "adding a foreign key without NOT VALID checks every row of '%s' while writes to both tables are blocked",
				    a->relation->relname);
		else if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			lint_report(c, k->location,
				    "adding a CHECK constraint without NOT VALID scans '%s' under an ACCESS EXCLUSIVE lock",
				    a->relation->relname);
	}
}

static const struct lint_rule constraint_missing_not_valid = {
	"constraint-missing-not-valid", LINT_ERROR,
	"FOREIGN KEY or CHECK added to an existing table without NOT VALID",
	"Adding a foreign key or a check constraint validates every existing "
	"row while holding a lock that blocks writes (ACCESS EXCLUSIVE for a "
	"check, SHARE ROW EXCLUSIVE on both tables for a foreign key). Added "
	"NOT VALID, the constraint applies to new rows at once; VALIDATE "
	"CONSTRAINT later checks the old rows under a lock that lets writes "
	"go on. Validate in a later migration (or a transaction of its own).",
	"ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
	"-- next migration:\n"
	"ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
	check_not_valid,
};

/* ---- disallowed-unique-constraint -------------------------------------- */

static bool unique_kind(const PgQuery__Constraint *k)
{
	return k && (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY);
}

static void check_unique(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd =
			cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint);
		const PgQuery__Constraint *k = cmd ? lint_node(cmd->def, CONSTRAINT) : NULL;
		const PgQuery__ColumnDef *col =
			added_column(cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn));
		if (!k && col) {
			k = col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE);
			if (!k)
				k = col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY);
		}
		if (unique_kind(k) && !(k->indexname && *k->indexname))
			lint_report(c, k->location,
				    "adding a %s constraint builds its index on '%s' under an ACCESS EXCLUSIVE lock",
				    k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
				    a->relation->relname);
	}
}

static const struct lint_rule disallowed_unique_constraint = {
	"disallowed-unique-constraint", LINT_ERROR,
	"UNIQUE or PRIMARY KEY added without USING INDEX",
	"Adding a UNIQUE or PRIMARY KEY constraint builds its index while "
	"holding an ACCESS EXCLUSIVE lock on the table. Build the unique index "
	"concurrently first, then attach it with USING INDEX, which only "
	"updates the catalog.",
	"-- strata:no-transaction\n"
	"CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
	"-- next migration:\n"
	"ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
	check_unique,
};

/* ---- adding-not-nullable-field ----------------------------------------- */

/* Is 'e' the check "col IS NOT NULL"? */
static bool is_not_null_check(const PgQuery__Node *e, const char *col)
{
	const PgQuery__NullTest *t = lint_node(e, NULL_TEST);
	const PgQuery__ColumnRef *r = t ? lint_node(t->arg, COLUMN_REF) : NULL;

	return r && t->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL &&
	       !strcmp(lint_last_name(r->fields, r->n_fields) ?
		       lint_last_name(r->fields, r->n_fields) : "", col);
}

/*
 * Did an earlier statement give 'rel' a validated CHECK (col IS NOT
 * NULL): added without NOT VALID, or added NOT VALID and validated since?
 */
static bool proven_not_null(const struct lint_ctx *c, const PgQuery__RangeVar *rel,
			    const char *col)
{
	const char *pending = NULL;

	for (size_t i = 0; i < c->index; i++) {
		const PgQuery__AlterTableStmt *a = lint_node(c->stmts[i].node, ALTER_TABLE_STMT);
		for (size_t k = 0; a && same_rel(a->relation, rel) && k < a->n_cmds; k++) {
			const PgQuery__AlterTableCmd *cmd = lint_node(a->cmds[k], ALTER_TABLE_CMD);
			const PgQuery__Constraint *ck = cmd ? lint_node(cmd->def, CONSTRAINT) : NULL;
			if (ck && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
			    ck->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
			    is_not_null_check(ck->raw_expr, col)) {
				if (!ck->skip_validation)
					return true;
				pending = ck->conname;
			}
			if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint &&
			    pending && cmd->name && !strcmp(cmd->name, pending))
				return true;
		}
	}
	return false;
}

static void check_set_not_null(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd =
			cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull);
		if (!cmd || !cmd->name)
			continue;
		if (c->pg_version >= 120000 && proven_not_null(c, a->relation, cmd->name))
			continue;
		lint_report(c, -1, c->pg_version >= 120000 ?
			    "SET NOT NULL on '%s.%s' scans the whole table under an ACCESS EXCLUSIVE lock; a validated CHECK (%s IS NOT NULL) lets it skip the scan" :
			    "SET NOT NULL on '%s.%s' scans the whole table under an ACCESS EXCLUSIVE lock (before PostgreSQL 12 even a CHECK (%s IS NOT NULL) does not avoid it)",
			    a->relation->relname, cmd->name, cmd->name);
	}
}

static const struct lint_rule adding_not_nullable_field = {
	"adding-not-nullable-field", LINT_ERROR,
	"SET NOT NULL without a validated CHECK (col IS NOT NULL)",
	"ALTER COLUMN ... SET NOT NULL reads every row to prove there is no "
	"NULL, holding an ACCESS EXCLUSIVE lock all along. From PostgreSQL 12 "
	"the scan is skipped when a validated CHECK (col IS NOT NULL) "
	"constraint already proves it: add that check NOT VALID, validate it "
	"(a lock that lets writes go on), then SET NOT NULL and drop the check.",
	"ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
	"-- next migration:\n"
	"ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n"
	"ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
	"ALTER TABLE users DROP CONSTRAINT users_email_nn;",
	check_set_not_null,
};

/* ---- adding-required-field --------------------------------------------- */

static void check_required(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__ColumnDef *col =
			added_column(cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn));
		const char *type = col && col->type_name ?
			lint_last_name(col->type_name->names, col->type_name->n_names) : NULL;
		const PgQuery__Constraint *d = col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
		if (!col || !(col->is_not_null ||
			      col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) ||
			      col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)))
			continue;
		if ((d && !null_default(d->raw_expr)) || is_name(type, serials) ||
		    col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY) ||
		    col_constraint(col, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED))
			continue;
		lint_report(c, loc_of(col),
			    "adding NOT NULL column '%s' without a default fails as soon as '%s' has a row",
			    col->colname, a->relation->relname);
	}
}

static const struct lint_rule adding_required_field = {
	"adding-required-field", LINT_ERROR,
	"ADD COLUMN ... NOT NULL without a DEFAULT",
	"Existing rows would get NULL in the new column, so PostgreSQL refuses "
	"the statement on any table with rows: the migration passes on an "
	"empty development database and fails in production. Give the column "
	"a constant default (catalog-only from PostgreSQL 11), or add it "
	"nullable, fill it, then make it NOT NULL.",
	"ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
	check_required,
};

/* ---- ban-concurrent-index-creation-in-transaction ---------------------- */

static void check_concurrent_in_tx(struct lint_ctx *c)
{
	const PgQuery__IndexStmt *ix = lint_node(c->stmt->node, INDEX_STMT);

	if (ix && ix->concurrent && c->in_transaction)
		lint_report(c, -1, "CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and this file runs in one");
}

static const struct lint_rule ban_concurrent_index_creation_in_transaction = {
	"ban-concurrent-index-creation-in-transaction", LINT_ERROR,
	"CREATE INDEX CONCURRENTLY in a file that runs in a transaction",
	"PostgreSQL refuses CREATE INDEX CONCURRENTLY inside a transaction "
	"block. strata runs a file outside a transaction when every statement "
	"needs it or when the file starts with -- strata:no-transaction; a "
	"file that mixes it with other statements would fail.",
	"-- strata:no-transaction\n"
	"CREATE INDEX CONCURRENTLY users_email ON users (email);",
	check_concurrent_in_tx,
};

/* ---- transaction-nesting ------------------------------------------------ */

static void check_tx_nesting(struct lint_ctx *c)
{
	const PgQuery__TransactionStmt *t = lint_node(c->stmt->node, TRANSACTION_STMT);

	if (!t)
		return;
	switch (t->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		lint_report(c, -1, "transaction control in a migration: strata then runs the file statement by statement and cannot record it atomically");
		break;
	default:
		break;
	}
}

static const struct lint_rule transaction_nesting = {
	"transaction-nesting", LINT_WARNING,
	"BEGIN, COMMIT or ROLLBACK written in a migration",
	"strata runs each migration in a transaction together with its "
	"history row, so that it is applied entirely or not at all. A file "
	"with its own BEGIN/COMMIT runs statement by statement instead: a "
	"failure after a COMMIT leaves the database half migrated. Leave the "
	"transaction to strata; split work that must commit separately into "
	"migrations of its own.",
	NULL,
	check_tx_nesting,
};

/* ---- ban-truncate-cascade ---------------------------------------------- */

static void check_truncate_cascade(struct lint_ctx *c)
{
	const PgQuery__TruncateStmt *t = lint_node(c->stmt->node, TRUNCATE_STMT);

	if (t && t->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		lint_report(c, -1, "TRUNCATE ... CASCADE also empties every table with a foreign key to these, and theirs");
}

static const struct lint_rule ban_truncate_cascade = {
	"ban-truncate-cascade", LINT_ERROR,
	"TRUNCATE ... CASCADE",
	"CASCADE truncates every table that references the named ones through "
	"a foreign key, recursively: tables nobody meant to empty, possibly "
	"added long after the migration was written. Name the tables.",
	"TRUNCATE orders, order_items;",
	check_truncate_cascade,
};

/* ---- prefer-repack ------------------------------------------------------ */

static void check_repack(struct lint_ctx *c)
{
	const PgQuery__VacuumStmt *v = lint_node(c->stmt->node, VACUUM_STMT);

	if (v && v->is_vacuumcmd && has_option(v->options, v->n_options, "full"))
		lint_report(c, -1, "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock");
	else if (lint_node(c->stmt->node, CLUSTER_STMT))
		lint_report(c, -1, "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock");
}

static const struct lint_rule prefer_repack = {
	"prefer-repack", LINT_ERROR,
	"VACUUM FULL or CLUSTER",
	"VACUUM FULL and CLUSTER write a new copy of the table and its indexes "
	"while holding an ACCESS EXCLUSIVE lock: the table is unusable for the "
	"whole time. The pg_repack extension does the same work online, "
	"outside the migration.",
	"-- outside the migration, with the pg_repack extension installed:\n"
	"-- pg_repack --table=public.events --dbname=app",
	check_repack,
};

/* ---- require-lock-timeout ----------------------------------------------- */

/* Statements that take a lock other sessions' queries queue behind. */
static bool takes_strong_lock(const PgQuery__Node *n)
{
	const PgQuery__IndexStmt *ix = lint_node(n, INDEX_STMT);

	if (ix)
		return !ix->concurrent;
	switch (n ? n->node_case : PG_QUERY__NODE__NODE__NOT_SET) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
	case PG_QUERY__NODE__NODE_DROP_STMT:
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
	case PG_QUERY__NODE__NODE_RENAME_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
		return true;
	default:
		return false;
	}
}

/* SET [LOCAL] lock_timeout to something other than 0? */
static bool sets_lock_timeout(const PgQuery__Node *n)
{
	const PgQuery__VariableSetStmt *v = lint_node(n, VARIABLE_SET_STMT);
	const PgQuery__AConst *k;

	if (!v || !v->name || strcmp(v->name, "lock_timeout") ||
	    v->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE || v->n_args != 1)
		return false;
	k = lint_node(v->args[0], A_CONST);
	if (k && k->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return k->ival->ival != 0;
	if (k && k->val_case == PG_QUERY__A__CONST__VAL_SVAL)
		return strtol(k->sval->sval, NULL, 10) != 0;
	return true;
}

static void check_lock_timeout(struct lint_ctx *c)
{
	if (c->strata_lock_timeout || !takes_strong_lock(c->stmt->node))
		return;
	for (size_t i = 0; i < c->index; i++)
		if (sets_lock_timeout(c->stmts[i].node) || takes_strong_lock(c->stmts[i].node))
			return;	/* set already, or reported at the first one */
	lint_report(c, -1, "this statement may wait for a lock with no limit, and every query on the table queues behind it: strata's lock_timeout is off");
}

static const struct lint_rule require_lock_timeout = {
	"require-lock-timeout", LINT_WARNING,
	"a locking statement with strata's lock_timeout disabled",
	"A statement waiting for a lock blocks every later query on the same "
	"table, so one long-running query behind a harmless ALTER TABLE can "
	"stop the application. strata sets lock_timeout for each migration "
	"(2s by default); with --lock-timeout 0 or lock_timeout = 0 it does "
	"not, and the file should set its own before the first locking "
	"statement.",
	"SET lock_timeout = '2s';\n"
	"ALTER TABLE users ADD COLUMN nickname text;",
	check_lock_timeout,
};

/* ---- adding-exclusion-constraint ---------------------------------------- */

static void check_exclusion(struct lint_ctx *c)
{
	const PgQuery__AlterTableStmt *a = alter_existing(c);

	for (size_t i = 0; a && i < a->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd =
			cmd_of(a, i, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint);
		const PgQuery__Constraint *k = cmd ? lint_node(cmd->def, CONSTRAINT) : NULL;
		if (k && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION)
			lint_report(c, k->location,
				    "adding an exclusion constraint builds its index and checks every row of '%s' under an ACCESS EXCLUSIVE lock",
				    a->relation->relname);
	}
}

static const struct lint_rule adding_exclusion_constraint = {
	"adding-exclusion-constraint", LINT_ERROR,
	"EXCLUDE constraint added to an existing table",
	"An exclusion constraint builds its index and checks every existing "
	"row while holding an ACCESS EXCLUSIVE lock, and there is no NOT VALID "
	"or USING INDEX way around it. Add it to tables when they are created, "
	"or in a maintenance window.",
	NULL,
	check_exclusion,
};

/* ---- ban-alter-domain-with-add-constraint ------------------------------- */

static void check_domain(struct lint_ctx *c)
{
	const PgQuery__AlterDomainStmt *d = lint_node(c->stmt->node, ALTER_DOMAIN_STMT);
	const PgQuery__Constraint *k = d ? lint_node(d->def, CONSTRAINT) : NULL;

	if (d && d->subtype && !strcmp(d->subtype, "C") && !(k && k->skip_validation))
		lint_report(c, k ? k->location : -1,
			    "ALTER DOMAIN ... ADD CONSTRAINT checks every column of the domain in every table, locking them");
}

static const struct lint_rule ban_alter_domain_with_add_constraint = {
	"ban-alter-domain-with-add-constraint", LINT_ERROR,
	"ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID",
	"Adding a constraint to a domain validates every value of every column "
	"of that type, in every table that uses it, holding locks on all of "
	"them. Add it NOT VALID, then VALIDATE CONSTRAINT separately.",
	"ALTER DOMAIN email ADD CONSTRAINT email_at CHECK (VALUE LIKE '%@%') NOT VALID;\n"
	"-- next migration:\n"
	"ALTER DOMAIN email VALIDATE CONSTRAINT email_at;",
	check_domain,
};

const struct lint_rule *const lint_rules_locking[] = {
	&adding_exclusion_constraint,
	&adding_field_with_default,
	&adding_not_nullable_field,
	&adding_required_field,
	&adding_serial_or_identity_column,
	&adding_stored_generated_column,
	&ban_alter_domain_with_add_constraint,
	&ban_concurrent_index_creation_in_transaction,
	&ban_truncate_cascade,
	&changing_column_type,
	&constraint_missing_not_valid,
	&disallowed_unique_constraint,
	&prefer_repack,
	&require_concurrent_index_creation,
	&require_concurrent_index_deletion,
	&require_concurrent_partition_detach,
	&require_concurrent_reindex,
	&require_lock_timeout,
	&transaction_nesting,
	NULL,
};

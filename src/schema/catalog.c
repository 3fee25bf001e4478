/*
 * catalog.c - read the schema of a database from pg_catalog into a
 * struct schema_model (see catalog.h).
 *
 * Each kind of object is one catalog query that returns the same seven
 * columns: kind, schema, name, table, phase, depth, definition. The server
 * builds the definition itself, with format('%I') for quoting and its own
 * deparsers for expressions, so that the text is exactly what PostgreSQL
 * would accept back. All queries go out as one message inside one READ
 * ONLY, REPEATABLE READ transaction: one round trip, one snapshot.
 *
 * Every catalog name is qualified with pg_catalog and every comparison uses
 * OPERATOR(pg_catalog.=), and the transaction runs with an empty
 * search_path, so neither a user's objects nor the session's settings can
 * change what is read or how names are printed.
 *
 * Versions: the queries use only catalog columns that PostgreSQL 13 to 17
 * all have (pg_trigger.tgparentid, new in 13, sets the floor), and filter
 * out what the newer ones add: multirange types and their constructors
 * (14+, internal dependencies of their range), the NOT NULL rows of
 * domains in pg_constraint (17, contype 'n', never selected). Columns that
 * only some versions have are read through to_jsonb(row) (MAYBE_COLUMN),
 * NULL where missing: an ICU collation's locale (collcollate before 15,
 * colliculocale in 15 and 16, colllocale in 17), a range's multirange
 * (14+), a statistics object's target (nullable from 17).
 *
 * Three more results (dep_object, dep_part, dep_edge: see "dependencies"
 * below) give the dependencies between the objects, which order.c turns
 * into the dump's order.
 */
#include "../compat.h"
#include "catalog.h"
#include "../core/config.h"
#include "../core/history.h"
#include "../core/scripts.h"
#include "../db/conn.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#define EQ " OPERATOR(pg_catalog.=) "
#define NE " OPERATOR(pg_catalog.<>) "
#define GT " OPERATOR(pg_catalog.>) "
#define PLUS " OPERATOR(pg_catalog.+) "
#define REGCLASS(cat) "'pg_catalog." cat "'::pg_catalog.regclass"

/* A schema of the user's: not pg_catalog, pg_toast, pg_temp_N, ... */
#define USER_NS(n) \
	"NOT (" n ".nspname OPERATOR(pg_catalog.~) '^pg_') AND " \
	n ".nspname" NE "'information_schema'"

/* Not a member of an extension (its CREATE EXTENSION brings it back). */
#define NOT_EXT(cat, oid) \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend ext WHERE ext.classid" EQ \
	REGCLASS(cat) " AND ext.objid" EQ oid " AND ext.deptype" EQ "'e')"

/*
 * Made by the server as part of another object (a range type's
 * constructor functions): that object brings it back.
 */
#define NOT_INTERNAL(cat, oid) \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend inr WHERE inr.classid" EQ \
	REGCLASS(cat) " AND inr.objid" EQ oid " AND inr.deptype" EQ "'i')"

/* Not strata's history table or its scripts table (@OWN@: their oids). */
#define NOT_OWN(oid) "NOT (" oid EQ "ANY (@OWN@))"

/*
 * " COLLATE s.c" when a column's collation is not its type's default
 * (a type that has none has collation 0: nothing to look up).
 */
#define COLLATE_CLAUSE(coll, typ) \
	"CASE WHEN " coll NE "0 THEN" \
	" COALESCE((SELECT pg_catalog.format(' COLLATE %I.%I', colln.nspname, coll.collname)" \
	" FROM pg_catalog.pg_collation coll JOIN pg_catalog.pg_namespace colln" \
	" ON colln.oid" EQ "coll.collnamespace WHERE coll.oid" EQ coll \
	" AND coll.oid" NE "(SELECT ct.typcollation FROM pg_catalog.pg_type ct" \
	" WHERE ct.oid" EQ typ ")), '') ELSE '' END"

/* A relation of the user's that strata dumps. */
#define DUMPED_REL(c, n) \
	USER_NS(n) " AND " NOT_OWN(c ".oid") " AND " NOT_EXT("pg_class", c ".oid")

static const char q_schemas[] =
	"SELECT 'schema', NULL, n.nspname, NULL, 1, 0,"
	" pg_catalog.format('CREATE SCHEMA %I;', n.nspname)"
	" FROM pg_catalog.pg_namespace n"
	" WHERE " USER_NS("n") " AND n.nspname" NE "'public'"
	" AND " NOT_EXT("pg_namespace", "n.oid");

/* plpgsql comes with every database; no version: that is noise. */
static const char q_extensions[] =
	"SELECT 'extension', NULL, x.extname, NULL, 2, 0,"
	" pg_catalog.format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I;', x.extname, n.nspname)"
	" FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid" EQ "x.extnamespace"
	" WHERE x.extname" NE "'plpgsql'";

/*
 * Types, depth ordered so that what a type can be built on comes first:
 * enums, then domains, ranges, composites.
 */
static const char q_enums[] =
	"SELECT 'type', n.nspname, t.typname, NULL, 3, 0,"
	" pg_catalog.format('CREATE TYPE %I.%I AS ENUM (%s);', n.nspname, t.typname,"
	"  (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)"
	"   FROM pg_catalog.pg_enum e WHERE e.enumtypid" EQ "t.oid))"
	" FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid" EQ "t.typnamespace"
	" WHERE t.typtype" EQ "'e' AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid");

/* A domain's NOT NULL is typnotnull (PostgreSQL 17 also lists it as contype 'n'). */
static const char q_domains[] =
	"SELECT 'type', n.nspname, t.typname, NULL, 3, 1,"
	" pg_catalog.format('CREATE DOMAIN %I.%I AS %s%s%s%s%s;', n.nspname, t.typname,"
	"  pg_catalog.format_type(t.typbasetype, t.typtypmod),"
	"  " COLLATE_CLAUSE("t.typcollation", "t.typbasetype") ","
	"  CASE WHEN t.typdefaultbin IS NOT NULL"
	"   THEN pg_catalog.format(' DEFAULT %s', pg_catalog.pg_get_expr(t.typdefaultbin, 0)) ELSE '' END,"
	"  CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END,"
	"  COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\n    CONSTRAINT %I %s',"
	"    dc.conname, pg_catalog.pg_get_constraintdef(dc.oid)), '' ORDER BY dc.conname)"
	"   FROM pg_catalog.pg_constraint dc WHERE dc.contypid" EQ "t.oid AND dc.contype" EQ "'c'), ''))"
	" FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid" EQ "t.typnamespace"
	" WHERE t.typtype" EQ "'d' AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid");

/* The multirange type (PostgreSQL 14+) comes with its range by itself. */
static const char q_ranges[] =
	"SELECT 'type', n.nspname, t.typname, NULL, 3, 2,"
	" pg_catalog.format(E'CREATE TYPE %I.%I AS RANGE (\\n    subtype = %s%s%s%s\\n);', n.nspname, t.typname,"
	"  pg_catalog.format_type(r.rngsubtype, NULL),"
	"  COALESCE((SELECT pg_catalog.format(E',\\n    subtype_opclass = %I.%I', ocn.nspname, oc.opcname)"
	"   FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_namespace ocn ON ocn.oid" EQ "oc.opcnamespace"
	"   WHERE oc.oid" EQ "r.rngsubopc AND NOT oc.opcdefault), ''),"
	"  COALESCE((SELECT pg_catalog.format(E',\\n    collation = %I.%I', rcn.nspname, rco.collname)"
	"   FROM pg_catalog.pg_collation rco JOIN pg_catalog.pg_namespace rcn ON rcn.oid" EQ "rco.collnamespace"
	"   WHERE rco.oid" EQ "r.rngcollation AND rco.oid" NE "(SELECT st.typcollation"
	"    FROM pg_catalog.pg_type st WHERE st.oid" EQ "r.rngsubtype)), ''),"
	"  CASE WHEN r.rngsubdiff::pg_catalog.oid" NE "0"
	"   THEN pg_catalog.format(E',\\n    subtype_diff = %s', r.rngsubdiff) ELSE '' END)"
	" FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid" EQ "t.typnamespace"
	" JOIN pg_catalog.pg_range r ON r.rngtypid" EQ "t.oid"
	" WHERE " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid");

/* Free-standing composite types only: a table's row type comes with it. */
static const char q_composites[] =
	"SELECT 'type', n.nspname, t.typname, NULL, 3, 3,"
	" pg_catalog.format(E'CREATE TYPE %I.%I AS (%s\\n);', n.nspname, t.typname,"
	"  COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\n    %I %s%s', a.attname,"
	"    pg_catalog.format_type(a.atttypid, a.atttypmod), " COLLATE_CLAUSE("a.attcollation", "a.atttypid") "),"
	"    ',' ORDER BY a.attnum)"
	"   FROM pg_catalog.pg_attribute a WHERE a.attrelid" EQ "t.typrelid AND a.attnum" GT "0"
	"   AND NOT a.attisdropped), ''))"
	" FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid" EQ "t.typnamespace"
	" JOIN pg_catalog.pg_class rc ON rc.oid" EQ "t.typrelid"
	" WHERE t.typtype" EQ "'c' AND rc.relkind" EQ "'c' AND " USER_NS("n")
	" AND " NOT_EXT("pg_type", "t.oid");

/* Identity sequences are part of their column (see q_tables). */
#define SEQ_OPTIONS(s) \
	"'START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s%s'"
#define SEQ_VALUES(s) \
	s ".seqstart, " s ".seqincrement, " s ".seqmin, " s ".seqmax, " s ".seqcache," \
	" CASE WHEN " s ".seqcycle THEN ' CYCLE' ELSE '' END"

static const char q_sequences[] =
	"SELECT 'sequence', n.nspname, c.relname, NULL, 4, 0,"
	" pg_catalog.format(E'CREATE SEQUENCE %I.%I AS %s\\n    %s;', n.nspname, c.relname,"
	"  pg_catalog.format_type(s.seqtypid, NULL),"
	"  pg_catalog.format(" SEQ_OPTIONS("s") ", " SEQ_VALUES("s") "))"
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" JOIN pg_catalog.pg_sequence s ON s.seqrelid" EQ "c.oid"
	" WHERE c.relkind" EQ "'S' AND " DUMPED_REL("c", "n")
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid" EQ REGCLASS("pg_class")
	"  AND d.objid" EQ "c.oid AND d.deptype" EQ "'i')";

/*
 * Functions come in three groups. Most go before the tables (a column
 * default or a generated column may call them); those whose signature or
 * SQL-standard body names a table (or its row type, or a sequence) go
 * after the tables; those that name a view, after the views. Other
 * function bodies are not checked on load (the dump says
 * check_function_bodies = false), so they may name what comes later.
 */
#define FUNCTION_USES(relkind_test) \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class dr ON dr.oid" EQ \
	" CASE WHEN d.refclassid" EQ REGCLASS("pg_class") " THEN d.refobjid" \
	"  ELSE (SELECT rt.typrelid FROM pg_catalog.pg_type rt WHERE d.refclassid" EQ REGCLASS("pg_type") \
	"   AND rt.oid" EQ "d.refobjid) END" \
	" WHERE d.classid" EQ REGCLASS("pg_proc") " AND d.objid" EQ "p.oid AND " relkind_test ")"

static const char q_functions[] =
	"SELECT CASE WHEN p.prokind" EQ "'p' THEN 'procedure' ELSE 'function' END, n.nspname,"
	" pg_catalog.format('%s(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)), NULL,"
	" CASE WHEN " FUNCTION_USES("(dr.relkind" EQ "'v' OR dr.relkind" EQ "'m')") " THEN 9"
	"  WHEN " FUNCTION_USES("dr.relkind" NE "'c'") " THEN 7 ELSE 5 END, 0,"
	" pg_catalog.format('%s;', pg_catalog.rtrim(pg_catalog.pg_get_functiondef(p.oid), E'\\n'))"
	" FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid" EQ "p.pronamespace"
	" WHERE (p.prokind" EQ "'f' OR p.prokind" EQ "'p') AND " USER_NS("n")
	" AND " NOT_EXT("pg_proc", "p.oid") " AND " NOT_INTERNAL("pg_proc", "p.oid");

/*
 * Tables: depth is the number of generations of parents (inheritance or
 * partitioning), so that a parent is always created before its children.
 * A partition takes its columns from its parent; an inheriting table lists
 * only its own (attislocal). Serial columns' sequences are re-attached
 * with OWNED BY right after the table.
 */
#define TABLE_COLUMNS COLUMN_LIST("''")
/*
 * The column list of a table, or of a foreign table with 'opts' its
 * columns' OPTIONS clauses (which go between the type and the collation).
 * A default cannot name a column, so it is deparsed without its table
 * (pg_get_expr(..., 0)): with the table, the server opens every table for
 * it, which was most of this query's time at 2 000 tables. A generated
 * column's expression names columns and keeps it.
 */
#define COLUMN_LIST(opts) \
	"COALESCE((SELECT pg_catalog.string_agg(E'\\n    ' OPERATOR(pg_catalog.||) " COLUMN_TEXT(opts) "," \
	"  ',' ORDER BY a.attnum)" \
	" FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef ad" \
	"  ON ad.adrelid" EQ "a.attrelid AND ad.adnum" EQ "a.attnum" \
	" WHERE a.attrelid" EQ "c.oid AND a.attnum" GT "0 AND NOT a.attisdropped AND a.attislocal), '')"

/*
 * One column's line in its table's CREATE TABLE (a: pg_attribute, ad: its
 * pg_attrdef, c: the table), also the definition of a "column" object
 * (q_columns): one expression, so the two can never disagree.
 */
#define COLUMN_TEXT(opts) \
	"pg_catalog.format('%I %s%s%s%s%s%s', a.attname," \
	"  pg_catalog.format_type(a.atttypid, a.atttypmod), " opts ", " COLLATE_CLAUSE("a.attcollation", "a.atttypid") "," \
	"  CASE WHEN a.attgenerated" EQ "'s' THEN pg_catalog.format(' GENERATED ALWAYS AS (%s) STORED'," \
	"    pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))" \
	"   WHEN ad.adbin IS NOT NULL THEN pg_catalog.format(' DEFAULT %s', pg_catalog.pg_get_expr(ad.adbin, 0))" \
	"   ELSE '' END," \
	"  CASE WHEN a.attidentity" NE "'' THEN (SELECT pg_catalog.format(' GENERATED %s AS IDENTITY (SEQUENCE NAME %I.%I %s)'," \
	"    CASE WHEN a.attidentity" EQ "'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, isn.nspname, isc.relname," \
	"    pg_catalog.format(" SEQ_OPTIONS("iseq") ", " SEQ_VALUES("iseq") "))" \
	"    FROM pg_catalog.pg_depend idep JOIN pg_catalog.pg_class isc ON isc.oid" EQ "idep.objid" \
	"    JOIN pg_catalog.pg_namespace isn ON isn.oid" EQ "isc.relnamespace" \
	"    JOIN pg_catalog.pg_sequence iseq ON iseq.seqrelid" EQ "isc.oid" \
	"    WHERE idep.classid" EQ REGCLASS("pg_class") " AND idep.refclassid" EQ REGCLASS("pg_class") \
	"    AND idep.refobjid" EQ "c.oid AND idep.refobjsubid" EQ "a.attnum AND idep.deptype" EQ "'i')" \
	"   ELSE '' END," \
	"  CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END)"

#define TABLE_PARENT \
	"(SELECT pg_catalog.format('%I.%I', pn.nspname, pc.relname) FROM pg_catalog.pg_inherits pi" \
	" JOIN pg_catalog.pg_class pc ON pc.oid" EQ "pi.inhparent" \
	" JOIN pg_catalog.pg_namespace pn ON pn.oid" EQ "pc.relnamespace WHERE pi.inhrelid" EQ "c.oid)"

#define TABLE_INHERITS \
	"COALESCE((SELECT pg_catalog.format(' INHERITS (%s)', ps.parents) FROM" \
	" (SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I', pn.nspname, pc.relname), ', '" \
	"   ORDER BY pi.inhseqno) AS parents FROM pg_catalog.pg_inherits pi" \
	"  JOIN pg_catalog.pg_class pc ON pc.oid" EQ "pi.inhparent" \
	"  JOIN pg_catalog.pg_namespace pn ON pn.oid" EQ "pc.relnamespace" \
	"  WHERE pi.inhrelid" EQ "c.oid) ps WHERE ps.parents IS NOT NULL), '')"

#define TABLE_PARTITION_BY \
	"CASE WHEN c.relkind" EQ "'p' THEN pg_catalog.format(' PARTITION BY %s'," \
	" pg_catalog.pg_get_partkeydef(c.oid)) ELSE '' END"

#define REL_OPTIONS \
	"CASE WHEN c.reloptions IS NOT NULL THEN pg_catalog.format(' WITH (%s)'," \
	" pg_catalog.array_to_string(c.reloptions, ', ')) ELSE '' END"

#define TABLE_OWNED_SEQUENCES \
	"COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\nALTER SEQUENCE %I.%I OWNED BY %I.%I.%I;'," \
	"  osn.nspname, osc.relname, n.nspname, c.relname, oa.attname), '' ORDER BY osn.nspname, osc.relname)" \
	" FROM pg_catalog.pg_depend od JOIN pg_catalog.pg_class osc ON osc.oid" EQ "od.objid" \
	" JOIN pg_catalog.pg_namespace osn ON osn.oid" EQ "osc.relnamespace" \
	" JOIN pg_catalog.pg_attribute oa ON oa.attrelid" EQ "od.refobjid AND oa.attnum" EQ "od.refobjsubid" \
	" WHERE od.classid" EQ REGCLASS("pg_class") " AND od.refclassid" EQ REGCLASS("pg_class") \
	" AND od.refobjid" EQ "c.oid AND od.deptype" EQ "'a' AND osc.relkind" EQ "'S'), '')"

/*
 * Row-level security is a property of the table (two flags of pg_class),
 * so it is part of the table's definition rather than an object of its
 * own: a diff then reports it on the table, and a policy (an object of
 * its own, after the tables) never has to wait for it.
 */
#define TABLE_RLS \
	"CASE WHEN c.relrowsecurity THEN pg_catalog.format(E'\\nALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY;'," \
	" n.nspname, c.relname) ELSE '' END," \
	" CASE WHEN c.relforcerowsecurity THEN pg_catalog.format(E'\\nALTER TABLE %I.%I FORCE ROW LEVEL SECURITY;'," \
	" n.nspname, c.relname) ELSE '' END"

#define IS_TABLE(c) "(" c ".relkind" EQ "'r' OR " c ".relkind" EQ "'p')"

static const char q_tables[] =
	"WITH RECURSIVE lineage(relid, depth) AS ("
	" SELECT c.oid, 0 FROM pg_catalog.pg_class c WHERE " IS_TABLE("c")
	"  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid" EQ "c.oid)"
	" UNION ALL"
	" SELECT i.inhrelid, l.depth" PLUS "1 FROM pg_catalog.pg_inherits i"
	"  JOIN lineage l ON i.inhparent" EQ "l.relid)"
	" SELECT 'table', n.nspname, c.relname, NULL, 6, ld.depth,"
	" pg_catalog.format('%s%s%s%s', CASE WHEN c.relispartition"
	"  THEN pg_catalog.format('CREATE %sTABLE %I.%I PARTITION OF %s %s%s;',"
	"   CASE WHEN c.relpersistence" EQ "'u' THEN 'UNLOGGED ' ELSE '' END, n.nspname, c.relname,"
	"   " TABLE_PARENT ", pg_catalog.pg_get_expr(c.relpartbound, c.oid), " TABLE_PARTITION_BY ")"
	"  ELSE pg_catalog.format(E'CREATE %sTABLE %I.%I (%s\\n)%s%s%s;',"
	"   CASE WHEN c.relpersistence" EQ "'u' THEN 'UNLOGGED ' ELSE '' END, n.nspname, c.relname,"
	"   " TABLE_COLUMNS ", " TABLE_INHERITS ", " TABLE_PARTITION_BY ", " REL_OPTIONS ") END,"
	"  " TABLE_OWNED_SEQUENCES ", " TABLE_RLS ")"
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	/* one pass over the lineage, not one per table: 2 000 tables made that 0.4 s */
	" LEFT JOIN (SELECT l.relid, pg_catalog.max(l.depth) AS depth FROM lineage l GROUP BY l.relid) ld"
	"  ON ld.relid" EQ "c.oid"
	" WHERE " IS_TABLE("c") " AND " DUMPED_REL("c", "n");

/*
 * Views: depth is the length of the longest chain of views a view reads
 * through (pg_rewrite's dependencies), so a view follows those it uses.
 * A materialized view is dumped WITH NO DATA: the dump is schema only.
 */
#define IS_VIEW(c) "(" c ".relkind" EQ "'v' OR " c ".relkind" EQ "'m')"

static const char q_views[] =
	"WITH RECURSIVE uses(viewid, refid) AS ("
	" SELECT DISTINCT rw.ev_class, d.refobjid FROM pg_catalog.pg_rewrite rw"
	"  JOIN pg_catalog.pg_depend d ON d.classid" EQ REGCLASS("pg_rewrite") " AND d.objid" EQ "rw.oid"
	"  AND d.refclassid" EQ REGCLASS("pg_class") " AND d.refobjid" NE "rw.ev_class"
	"  JOIN pg_catalog.pg_class rc ON rc.oid" EQ "d.refobjid WHERE " IS_VIEW("rc") "),"
	" chain(viewid, depth) AS ("
	" SELECT c.oid, 0 FROM pg_catalog.pg_class c WHERE " IS_VIEW("c")
	" UNION ALL"
	" SELECT u.viewid, ch.depth" PLUS "1 FROM uses u JOIN chain ch ON u.refid" EQ "ch.viewid)"
	" SELECT CASE WHEN c.relkind" EQ "'m' THEN 'materialized view' ELSE 'view' END,"
	" n.nspname, c.relname, NULL, 8, vd.depth,"
	" pg_catalog.format(E'CREATE %s %I.%I%s AS\\n%s%s;',"
	"  CASE WHEN c.relkind" EQ "'m' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, n.nspname, c.relname,"
	"  " REL_OPTIONS ", pg_catalog.rtrim(pg_catalog.pg_get_viewdef(c.oid), ';'),"
	"  CASE WHEN c.relkind" EQ "'m' THEN E'\\n  WITH NO DATA' ELSE '' END)"
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" LEFT JOIN (SELECT ch.viewid, pg_catalog.max(ch.depth) AS depth FROM chain ch GROUP BY ch.viewid) vd"
	"  ON vd.viewid" EQ "c.oid"
	" WHERE " IS_VIEW("c") " AND " DUMPED_REL("c", "n");

/*
 * Indexes that are not a constraint's own (those come with the
 * constraint). On a partitioned table the server prints ON ONLY, which
 * would leave the index invalid until each partition's is attached; the
 * dump creates it on the whole tree instead, and leaves out the
 * partitions' indexes, which that creates.
 */
static const char q_indexes[] =
	"SELECT 'index', n.nspname, ic.relname, tc.relname, 10, 0,"
	" pg_catalog.format('%s;', CASE WHEN tc.relkind" EQ "'p'"
	"  THEN pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ')"
	"  ELSE pg_catalog.pg_get_indexdef(i.indexrelid) END)"
	" FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid" EQ "i.indexrelid"
	" JOIN pg_catalog.pg_class tc ON tc.oid" EQ "i.indrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "tc.relnamespace"
	" WHERE i.indisvalid AND NOT ic.relispartition"
	" AND (" IS_TABLE("tc") " OR tc.relkind" EQ "'m') AND " DUMPED_REL("tc", "n")
	" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid" EQ "i.indexrelid"
	"  AND k.conrelid" EQ "i.indrelid AND (k.contype" EQ "'p' OR k.contype" EQ "'u' OR k.contype" EQ "'x'))";

/*
 * Table constraints, foreign keys last (they need the other tables'
 * unique keys). Left out: copies on partitions (conparentid) and
 * constraints a child only inherits (not conislocal), which the parent's
 * brings back; without ONLY, the parent's reaches its children again.
 */
static const char q_constraints[] =
	"SELECT 'constraint', n.nspname, k.conname, c.relname, 11,"
	" CASE WHEN k.contype" EQ "'f' THEN 1 ELSE 0 END,"
	" pg_catalog.format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s;', n.nspname, c.relname, k.conname,"
	"  pg_catalog.pg_get_constraintdef(k.oid))"
	" FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid" EQ "k.conrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" WHERE (k.contype" EQ "'p' OR k.contype" EQ "'u' OR k.contype" EQ "'f' OR k.contype" EQ "'c'"
	"  OR k.contype" EQ "'x') AND k.conparentid" EQ "0 AND k.conislocal"
	" AND (" IS_TABLE("c") " OR c.relkind" EQ "'f') AND " DUMPED_REL("c", "n");

/*
 * User triggers (not the internal ones of foreign keys, not partitions'
 * copies: tgparentid, PostgreSQL 13+), with their enabled state.
 */
static const char q_triggers[] =
	"SELECT 'trigger', n.nspname, t.tgname, c.relname, 12, 0,"
	" pg_catalog.format('%s;%s', pg_catalog.pg_get_triggerdef(t.oid, false),"
	"  CASE WHEN t.tgenabled" EQ "'D' THEN pg_catalog.format(E'\\nALTER TABLE %I.%I DISABLE TRIGGER %I;', n.nspname, c.relname, t.tgname)"
	"  WHEN t.tgenabled" EQ "'R' THEN pg_catalog.format(E'\\nALTER TABLE %I.%I ENABLE REPLICA TRIGGER %I;', n.nspname, c.relname, t.tgname)"
	"  WHEN t.tgenabled" EQ "'A' THEN pg_catalog.format(E'\\nALTER TABLE %I.%I ENABLE ALWAYS TRIGGER %I;', n.nspname, c.relname, t.tgname)"
	"  ELSE '' END)"
	" FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid" EQ "t.tgrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" WHERE NOT t.tgisinternal AND t.tgparentid" EQ "0 AND " DUMPED_REL("c", "n");

/* ---- row-level security, rules, statistics, collations, foreign data -- */

/*
 * " OPTIONS (key 'value', ...)" from an options array (key=value texts,
 * as pg_options_to_table reads them), in the order they were given; ''
 * when there are none.
 */
#define OPTIONS_CLAUSE(arr) \
	"COALESCE((SELECT pg_catalog.format(' OPTIONS (%s)', pg_catalog.string_agg(" \
	"  pg_catalog.format('%I %L', o.option_name, o.option_value), ', ' ORDER BY o.nr))" \
	" FROM pg_catalog.pg_options_to_table(" arr ") WITH ORDINALITY o(option_name, option_value, nr)" \
	" HAVING pg_catalog.count(*)" GT "0), '')"

/* A catalog row's column that not every version has, NULL when missing. */
#define MAYBE_COLUMN(row, col) \
	"(pg_catalog.to_jsonb(" row ") OPERATOR(pg_catalog.->>) '" col "')"

/*
 * User-defined collations, right after the extensions (a domain or a
 * column may use them). The ICU locale is colllocale in PostgreSQL 17,
 * colliculocale in 15 and 16, collcollate before; no version: noise.
 */
static const char q_collations[] =
	"SELECT 'collation', n.nspname, co.collname, NULL, 2, 1,"
	" pg_catalog.format('CREATE COLLATION %I.%I (provider = %s, %s%s);', n.nspname, co.collname,"
	"  CASE WHEN co.collprovider" EQ "'i' THEN 'icu' ELSE 'libc' END,"
	"  CASE WHEN co.collprovider" EQ "'i' THEN pg_catalog.format('locale = %L', COALESCE("
	"    " MAYBE_COLUMN("co", "colllocale") ", " MAYBE_COLUMN("co", "colliculocale") ", co.collcollate::pg_catalog.text))"
	"   ELSE pg_catalog.format('lc_collate = %L, lc_ctype = %L', co.collcollate, co.collctype) END,"
	"  CASE WHEN NOT co.collisdeterministic THEN ', deterministic = false' ELSE '' END)"
	" FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid" EQ "co.collnamespace"
	" WHERE " USER_NS("n") " AND " NOT_EXT("pg_collation", "co.oid");

/* The handler and validator of a foreign data wrapper, schema-qualified. */
#define FDW_FUNCTION(word, oid) \
	"COALESCE((SELECT pg_catalog.format(' " word " %I.%I', fpn.nspname, fp.proname)" \
	" FROM pg_catalog.pg_proc fp JOIN pg_catalog.pg_namespace fpn ON fpn.oid" EQ "fp.pronamespace" \
	" WHERE fp.oid" EQ oid "), '')"

/*
 * Foreign data wrappers (those an extension makes come with its CREATE
 * EXTENSION) and servers, after the functions (a handler) and before the
 * tables (a foreign table names its server). User mappings are left out:
 * their options hold passwords.
 */
static const char q_fdws[] =
	"SELECT 'foreign data wrapper', NULL, w.fdwname, NULL, 5, 1,"
	" pg_catalog.format('CREATE FOREIGN DATA WRAPPER %I%s%s%s;', w.fdwname,"
	"  " FDW_FUNCTION("HANDLER", "w.fdwhandler") ", " FDW_FUNCTION("VALIDATOR", "w.fdwvalidator") ","
	"  " OPTIONS_CLAUSE("w.fdwoptions") ")"
	" FROM pg_catalog.pg_foreign_data_wrapper w WHERE " NOT_EXT("pg_foreign_data_wrapper", "w.oid");

static const char q_servers[] =
	"SELECT 'server', NULL, s.srvname, NULL, 5, 2,"
	" pg_catalog.format('CREATE SERVER %I%s%s FOREIGN DATA WRAPPER %I%s;', s.srvname,"
	"  CASE WHEN s.srvtype IS NOT NULL THEN pg_catalog.format(' TYPE %L', s.srvtype) ELSE '' END,"
	"  CASE WHEN s.srvversion IS NOT NULL THEN pg_catalog.format(' VERSION %L', s.srvversion) ELSE '' END,"
	"  w.fdwname, " OPTIONS_CLAUSE("s.srvoptions") ")"
	" FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid" EQ "s.srvfdw"
	" WHERE " NOT_EXT("pg_foreign_server", "s.oid");

/*
 * Foreign tables, with the tables: columns as a table's (plus their
 * OPTIONS), the server and the table's OPTIONS. A foreign partition
 * follows its parent through the dependency sort.
 */
static const char q_foreign_tables[] =
	"SELECT 'foreign table', n.nspname, c.relname, NULL, 6, CASE WHEN c.relispartition THEN 1 ELSE 0 END,"
	" CASE WHEN c.relispartition"
	"  THEN pg_catalog.format(E'CREATE FOREIGN TABLE %I.%I PARTITION OF %s %s\\n    SERVER %I%s;',"
	"   n.nspname, c.relname, " TABLE_PARENT ", pg_catalog.pg_get_expr(c.relpartbound, c.oid),"
	"   fs.srvname, " OPTIONS_CLAUSE("ft.ftoptions") ")"
	"  ELSE pg_catalog.format(E'CREATE FOREIGN TABLE %I.%I (%s\\n)%s\\n    SERVER %I%s;', n.nspname, c.relname,"
	"   " COLUMN_LIST(OPTIONS_CLAUSE("a.attfdwoptions")) ", " TABLE_INHERITS ","
	"   fs.srvname, " OPTIONS_CLAUSE("ft.ftoptions") ") END"
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid" EQ "c.oid"
	" JOIN pg_catalog.pg_foreign_server fs ON fs.oid" EQ "ft.ftserver"
	" WHERE c.relkind" EQ "'f' AND " DUMPED_REL("c", "n");

/* Extended statistics, with the indexes; a set target follows. */
static const char q_statistics[] =
	"SELECT 'statistics', n.nspname, st.stxname, NULL, 10, 1,"
	" pg_catalog.format('%s;%s', pg_catalog.pg_get_statisticsobjdef(st.oid),"
	"  CASE WHEN " MAYBE_COLUMN("st", "stxstattarget") "::pg_catalog.int4" GT "-1"
	"   THEN pg_catalog.format(E'\\nALTER STATISTICS %I.%I SET STATISTICS %s;', n.nspname, st.stxname,"
	"    " MAYBE_COLUMN("st", "stxstattarget") ") ELSE '' END)"
	" FROM pg_catalog.pg_statistic_ext st JOIN pg_catalog.pg_namespace n ON n.oid" EQ "st.stxnamespace"
	" JOIN pg_catalog.pg_class c ON c.oid" EQ "st.stxrelid"
	" WHERE " USER_NS("n") " AND " NOT_EXT("pg_statistic_ext", "st.oid") " AND " NOT_OWN("c.oid");

/*
 * Policies, after the triggers (USING and WITH CHECK may read any table
 * or call any function). The roles as written: PUBLIC (oid 0) or names.
 */
static const char q_policies[] =
	"SELECT 'policy', n.nspname, pol.polname, c.relname, 12, 1,"
	" pg_catalog.format(E'CREATE POLICY %I ON %I.%I\\n    AS %s\\n    FOR %s\\n    TO %s%s%s;',"
	"  pol.polname, n.nspname, c.relname,"
	"  CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,"
	"  CASE WHEN pol.polcmd" EQ "'r' THEN 'SELECT' WHEN pol.polcmd" EQ "'a' THEN 'INSERT'"
	"   WHEN pol.polcmd" EQ "'w' THEN 'UPDATE' WHEN pol.polcmd" EQ "'d' THEN 'DELETE' ELSE 'ALL' END,"
	"  (SELECT pg_catalog.string_agg(CASE WHEN pr.r" EQ "0 THEN 'PUBLIC'"
	"    ELSE pg_catalog.format('%I', pg_catalog.pg_get_userbyid(pr.r)) END, ', ' ORDER BY pr.nr)"
	"   FROM pg_catalog.unnest(pol.polroles) WITH ORDINALITY pr(r, nr)),"
	"  CASE WHEN pol.polqual IS NOT NULL THEN pg_catalog.format(E'\\n    USING (%s)',"
	"   pg_catalog.pg_get_expr(pol.polqual, pol.polrelid)) ELSE '' END,"
	"  CASE WHEN pol.polwithcheck IS NOT NULL THEN pg_catalog.format(E'\\n    WITH CHECK (%s)',"
	"   pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid)) ELSE '' END)"
	" FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid" EQ "pol.polrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" WHERE " DUMPED_REL("c", "n");

/* Rules other than a view's own _RETURN (the view brings it back). */
static const char q_rules[] =
	"SELECT 'rule', n.nspname, r.rulename, c.relname, 12, 2,"
	" pg_catalog.format('%s%s', pg_catalog.pg_get_ruledef(r.oid),"
	"  CASE WHEN r.ev_enabled" EQ "'D' THEN pg_catalog.format(E'\\nALTER TABLE %I.%I DISABLE RULE %I;', n.nspname, c.relname, r.rulename)"
	"  WHEN r.ev_enabled" EQ "'R' THEN pg_catalog.format(E'\\nALTER TABLE %I.%I ENABLE REPLICA RULE %I;', n.nspname, c.relname, r.rulename)"
	"  WHEN r.ev_enabled" EQ "'A' THEN pg_catalog.format(E'\\nALTER TABLE %I.%I ENABLE ALWAYS RULE %I;', n.nspname, c.relname, r.rulename)"
	"  ELSE '' END)"
	" FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid" EQ "r.ev_class"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" WHERE r.rulename" NE "'_RETURN' AND " DUMPED_REL("c", "n");

/*
 * Event triggers go last, after the comments: created earlier, one would
 * fire on the rest of the script as it loads. So their comments are part
 * of them.
 */
static const char q_event_triggers[] =
	"SELECT 'event trigger', NULL, e.evtname, NULL, 14, 0,"
	" pg_catalog.format(E'CREATE EVENT TRIGGER %I ON %I%s\\n    EXECUTE FUNCTION %I.%I();%s%s', e.evtname, e.evtevent,"
	"  CASE WHEN e.evttags IS NOT NULL THEN pg_catalog.format(E'\\n    WHEN TAG IN (%s)',"
	"   (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(tg.t), ', ' ORDER BY tg.nr)"
	"    FROM pg_catalog.unnest(e.evttags) WITH ORDINALITY tg(t, nr))) ELSE '' END,"
	"  pn.nspname, p.proname,"
	"  CASE WHEN e.evtenabled" EQ "'D' THEN pg_catalog.format(E'\\nALTER EVENT TRIGGER %I DISABLE;', e.evtname)"
	"  WHEN e.evtenabled" EQ "'R' THEN pg_catalog.format(E'\\nALTER EVENT TRIGGER %I ENABLE REPLICA;', e.evtname)"
	"  WHEN e.evtenabled" EQ "'A' THEN pg_catalog.format(E'\\nALTER EVENT TRIGGER %I ENABLE ALWAYS;', e.evtname)"
	"  ELSE '' END,"
	"  COALESCE((SELECT pg_catalog.format(E'\\nCOMMENT ON EVENT TRIGGER %I IS %L;', e.evtname, d.description)"
	"   FROM pg_catalog.pg_description d WHERE d.classoid" EQ REGCLASS("pg_event_trigger")
	"   AND d.objoid" EQ "e.oid), ''))"
	" FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid" EQ "e.evtfoid"
	" JOIN pg_catalog.pg_namespace pn ON pn.oid" EQ "p.pronamespace"
	" WHERE " NOT_EXT("pg_event_trigger", "e.oid");

/*
 * Comments, on everything above that can carry one; the name of a comment
 * object is its target ("COLUMN public.users.email").
 */
#define COMMENT_SELECT(schema, target) \
	"SELECT 'comment', " schema ", " target ", NULL, 13, 0," \
	" pg_catalog.format('COMMENT ON %s IS %L;', " target ", d.description)"

#define REL_WORD(c) \
	"CASE WHEN " c ".relkind" EQ "'v' THEN 'VIEW' WHEN " c ".relkind" EQ "'m' THEN 'MATERIALIZED VIEW'" \
	" WHEN " c ".relkind" EQ "'S' THEN 'SEQUENCE' WHEN " c ".relkind" EQ "'i' OR " c ".relkind" EQ "'I'" \
	" THEN 'INDEX' WHEN " c ".relkind" EQ "'c' THEN 'TYPE' WHEN " c ".relkind" EQ "'f' THEN 'FOREIGN TABLE'" \
	" ELSE 'TABLE' END"

static const char q_comments_schemas[] =
	COMMENT_SELECT("n.nspname", "pg_catalog.format('SCHEMA %I', n.nspname)")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_namespace n"
	" ON d.classoid" EQ REGCLASS("pg_namespace") " AND d.objoid" EQ "n.oid"
	" WHERE " USER_NS("n") " AND n.nspname" NE "'public' AND " NOT_EXT("pg_namespace", "n.oid");

static const char q_comments_relations[] =
	COMMENT_SELECT("n.nspname",
		       "CASE WHEN d.objsubid" GT "0 THEN pg_catalog.format('COLUMN %I.%I.%I', n.nspname, c.relname,"
		       " (SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid" EQ "c.oid"
		       "  AND a.attnum" EQ "d.objsubid))"
		       " ELSE pg_catalog.format('%s %I.%I', " REL_WORD("c") ", n.nspname, c.relname) END")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c"
	" ON d.classoid" EQ REGCLASS("pg_class") " AND d.objoid" EQ "c.oid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" WHERE (" IS_TABLE("c") " OR " IS_VIEW("c") " OR c.relkind" EQ "'S' OR c.relkind" EQ "'f'"
	"  OR ((c.relkind" EQ "'i' OR c.relkind" EQ "'I') AND NOT c.relispartition)"
	"  OR (c.relkind" EQ "'c' AND d.objsubid" GT "0))"
	" AND " DUMPED_REL("c", "n");

static const char q_comments_types[] =
	COMMENT_SELECT("n.nspname",
		       "pg_catalog.format('%s %I.%I', CASE WHEN t.typtype" EQ "'d' THEN 'DOMAIN' ELSE 'TYPE' END,"
		       " n.nspname, t.typname)")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_type t"
	" ON d.classoid" EQ REGCLASS("pg_type") " AND d.objoid" EQ "t.oid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "t.typnamespace"
	" WHERE (t.typtype" EQ "'e' OR t.typtype" EQ "'d' OR t.typtype" EQ "'r'"
	"  OR (t.typtype" EQ "'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class tc"
	"   WHERE tc.oid" EQ "t.typrelid AND tc.relkind" EQ "'c')))"
	" AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid");

static const char q_comments_functions[] =
	COMMENT_SELECT("n.nspname",
		       "pg_catalog.format('%s %I.%I(%s)', CASE WHEN p.prokind" EQ "'p' THEN 'PROCEDURE'"
		       " ELSE 'FUNCTION' END, n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_proc p"
	" ON d.classoid" EQ REGCLASS("pg_proc") " AND d.objoid" EQ "p.oid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "p.pronamespace"
	" WHERE (p.prokind" EQ "'f' OR p.prokind" EQ "'p') AND " USER_NS("n")
	" AND " NOT_EXT("pg_proc", "p.oid") " AND " NOT_INTERNAL("pg_proc", "p.oid");

static const char q_comments_constraints[] =
	COMMENT_SELECT("n.nspname",
		       "CASE WHEN k.contypid" NE "0"
		       " THEN pg_catalog.format('CONSTRAINT %I ON DOMAIN %I.%I', k.conname, n.nspname,"
		       "  (SELECT t.typname FROM pg_catalog.pg_type t WHERE t.oid" EQ "k.contypid))"
		       " ELSE pg_catalog.format('CONSTRAINT %I ON %I.%I', k.conname, n.nspname,"
		       "  (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid" EQ "k.conrelid)) END")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_constraint k"
	" ON d.classoid" EQ REGCLASS("pg_constraint") " AND d.objoid" EQ "k.oid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "k.connamespace"
	" WHERE k.conparentid" EQ "0 AND " USER_NS("n") " AND " NOT_OWN("k.conrelid")
	" AND " NOT_EXT("pg_class", "k.conrelid") " AND " NOT_EXT("pg_type", "k.contypid");

static const char q_comments_triggers[] =
	COMMENT_SELECT("n.nspname", "pg_catalog.format('TRIGGER %I ON %I.%I', t.tgname, n.nspname, c.relname)")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_trigger t"
	" ON d.classoid" EQ REGCLASS("pg_trigger") " AND d.objoid" EQ "t.oid"
	" JOIN pg_catalog.pg_class c ON c.oid" EQ "t.tgrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" WHERE NOT t.tgisinternal AND t.tgparentid" EQ "0 AND " DUMPED_REL("c", "n");

/* Comments on the kinds of the section above (event triggers carry theirs). */
#define COMMENT_ON_TABLE_PART(cat, alias, word, name, rel) \
	COMMENT_SELECT("n.nspname", "pg_catalog.format('" word " %I ON %I.%I', " name ", n.nspname, c.relname)") \
	" FROM pg_catalog.pg_description d JOIN pg_catalog." cat " " alias \
	" ON d.classoid" EQ REGCLASS(cat) " AND d.objoid" EQ alias ".oid" \
	" JOIN pg_catalog.pg_class c ON c.oid" EQ rel \
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace WHERE " DUMPED_REL("c", "n")

static const char q_comments_policies[] =
	COMMENT_ON_TABLE_PART("pg_policy", "pol", "POLICY", "pol.polname", "pol.polrelid");

static const char q_comments_rules[] =
	COMMENT_ON_TABLE_PART("pg_rewrite", "r", "RULE", "r.rulename", "r.ev_class")
	" AND r.rulename" NE "'_RETURN'";

static const char q_comments_foreign[] =
	COMMENT_SELECT("NULL::pg_catalog.text", "pg_catalog.format('FOREIGN DATA WRAPPER %I', w.fdwname)")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_foreign_data_wrapper w"
	" ON d.classoid" EQ REGCLASS("pg_foreign_data_wrapper") " AND d.objoid" EQ "w.oid"
	" WHERE " NOT_EXT("pg_foreign_data_wrapper", "w.oid")
	" UNION ALL "
	COMMENT_SELECT("NULL::pg_catalog.text", "pg_catalog.format('SERVER %I', s.srvname)")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_foreign_server s"
	" ON d.classoid" EQ REGCLASS("pg_foreign_server") " AND d.objoid" EQ "s.oid"
	" WHERE " NOT_EXT("pg_foreign_server", "s.oid");

static const char q_comments_collations_statistics[] =
	COMMENT_SELECT("n.nspname", "pg_catalog.format('COLLATION %I.%I', n.nspname, co.collname)")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_collation co"
	" ON d.classoid" EQ REGCLASS("pg_collation") " AND d.objoid" EQ "co.oid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "co.collnamespace"
	" WHERE " USER_NS("n") " AND " NOT_EXT("pg_collation", "co.oid")
	" UNION ALL "
	COMMENT_SELECT("n.nspname", "pg_catalog.format('STATISTICS %I.%I', n.nspname, st.stxname)")
	" FROM pg_catalog.pg_description d JOIN pg_catalog.pg_statistic_ext st"
	" ON d.classoid" EQ REGCLASS("pg_statistic_ext") " AND d.objoid" EQ "st.oid"
	" JOIN pg_catalog.pg_namespace n ON n.oid" EQ "st.stxnamespace"
	" WHERE " USER_NS("n") " AND " NOT_EXT("pg_statistic_ext", "st.oid") " AND " NOT_OWN("st.stxrelid");

/* ---- owners and grants (strata dump --privileges) ----------------------- */

/* PUBLIC, or a role's name quoted. */
#define GRANTEE(oid) \
	"CASE WHEN " oid EQ "0 THEN 'PUBLIC' ELSE pg_catalog.format('%I', pg_catalog.pg_get_userbyid(" oid ")) END"

/* The rows of aclexplode(acl) as x(grantor, grantee, privilege_type, is_grantable, nr). */
#define ACL_ROWS(acl, x) \
	"pg_catalog.aclexplode(" acl ") WITH ORDINALITY " x "(grantor, grantee, privilege_type, is_grantable, nr)"

/* The entry x of one ACL is not in the ACL 'acl'. */
#define NOT_IN_ACL(x, acl) \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(" acl ") y WHERE y.grantor" EQ x ".grantor" \
	" AND y.grantee" EQ x ".grantee AND y.privilege_type" EQ x ".privilege_type" \
	" AND y.is_grantable" EQ x ".is_grantable)"

/*
 * A GRANT of entry x (by its grantor: as the owner, or in that role's
 * name when another role granted it) of an object whose owner is
 * 'owner'; 'on' is "ON TABLE app.t" or "(col) ON TABLE app.t".
 */
#define GRANT_OF(x, on, owner) \
	"pg_catalog.format(E'\\n%sGRANT %s %s TO %s%s;%s'," \
	" CASE WHEN " x ".grantor" NE owner " THEN pg_catalog.format('SET ROLE %I; ', pg_catalog.pg_get_userbyid(" x ".grantor)) ELSE '' END," \
	" " x ".privilege_type, " on ", " GRANTEE(x ".grantee") "," \
	" CASE WHEN " x ".is_grantable THEN ' WITH GRANT OPTION' ELSE '' END," \
	" CASE WHEN " x ".grantor" NE owner " THEN ' RESET ROLE;' ELSE '' END)"

/*
 * What turns an object's default ACL (acldefault) into its ACL: REVOKEs
 * of the default entries it lacks, then GRANTs of the entries the default
 * lacks, in the ACL's order, as pg_dump does; nothing for a NULL ACL (the
 * default). Reloaded, the ACL is the same array.
 */
#define ACL_CHANGES(acl, deftype, owner, on) \
	"CASE WHEN " acl " IS NULL THEN '' ELSE" \
	" COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\nREVOKE %s ON %s FROM %s;'," \
	"   df.privilege_type, " on ", " GRANTEE("df.grantee") "), '' ORDER BY df.nr)" \
	"  FROM " ACL_ROWS("pg_catalog.acldefault(" deftype ", " owner ")", "df") \
	"  WHERE " NOT_IN_ACL("df", acl) "), '')" \
	" OPERATOR(pg_catalog.||) COALESCE((SELECT pg_catalog.string_agg(" \
	GRANT_OF("cu", "pg_catalog.format('ON %s', " on ")", owner) ", '' ORDER BY cu.nr)" \
	"  FROM " ACL_ROWS(acl, "cu") \
	"  WHERE " NOT_IN_ACL("cu", "pg_catalog.acldefault(" deftype ", " owner ")") "), '') END"

#define CHAR(c) "'" c "'::pg_catalog.\"char\""

/*
 * One row per owned object: its owner, then its grants (and its columns'
 * grants). The group goes after the comments, schemas first (a grant by
 * a role other than the owner may need that role's USAGE on the schema);
 * an event trigger's after the event triggers, which come last. The
 * public schema, which every database has, is left out.
 */
static const char q_privileges[] =
	"WITH obj(sch, word, gword, target, owner, acl, deftype, relid, phase) AS ("
	" SELECT n.nspname::pg_catalog.text, 'SCHEMA', 'SCHEMA', pg_catalog.format('%I', n.nspname),"
	"  n.nspowner, n.nspacl, " CHAR("n") ", 0::pg_catalog.oid, 13"
	"  FROM pg_catalog.pg_namespace n"
	"  WHERE " USER_NS("n") " AND n.nspname" NE "'public' AND " NOT_EXT("pg_namespace", "n.oid")
	" UNION ALL SELECT n.nspname, CASE WHEN c.relkind" EQ "'v' THEN 'VIEW' WHEN c.relkind" EQ "'m'"
	"  THEN 'MATERIALIZED VIEW' WHEN c.relkind" EQ "'S' THEN 'SEQUENCE' WHEN c.relkind" EQ "'f'"
	"  THEN 'FOREIGN TABLE' ELSE 'TABLE' END,"
	"  CASE WHEN c.relkind" EQ "'S' THEN 'SEQUENCE' ELSE 'TABLE' END,"
	"  pg_catalog.format('%I.%I', n.nspname, c.relname), c.relowner, c.relacl,"
	"  CASE WHEN c.relkind" EQ "'S' THEN " CHAR("s") " ELSE " CHAR("r") " END, c.oid, 13"
	"  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	"  WHERE (" IS_TABLE("c") " OR " IS_VIEW("c") " OR c.relkind" EQ "'S' OR c.relkind" EQ "'f')"
	"  AND " DUMPED_REL("c", "n") " AND " NOT_INTERNAL("pg_class", "c.oid")
	" UNION ALL SELECT n.nspname, CASE WHEN p.prokind" EQ "'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,"
	"  CASE WHEN p.prokind" EQ "'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,"
	"  pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),"
	"  p.proowner, p.proacl, " CHAR("f") ", 0::pg_catalog.oid, 13"
	"  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid" EQ "p.pronamespace"
	"  WHERE (p.prokind" EQ "'f' OR p.prokind" EQ "'p') AND " USER_NS("n")
	"  AND " NOT_EXT("pg_proc", "p.oid") " AND " NOT_INTERNAL("pg_proc", "p.oid")
	" UNION ALL SELECT n.nspname, CASE WHEN t.typtype" EQ "'d' THEN 'DOMAIN' ELSE 'TYPE' END,"
	"  CASE WHEN t.typtype" EQ "'d' THEN 'DOMAIN' ELSE 'TYPE' END,"
	"  pg_catalog.format('%I.%I', n.nspname, t.typname), t.typowner, t.typacl, " CHAR("T") ", 0::pg_catalog.oid, 13"
	"  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid" EQ "t.typnamespace"
	"  WHERE (t.typtype" EQ "'e' OR t.typtype" EQ "'d' OR t.typtype" EQ "'r'"
	"   OR (t.typtype" EQ "'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class tc"
	"    WHERE tc.oid" EQ "t.typrelid AND tc.relkind" EQ "'c')))"
	"  AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid")
	" UNION ALL SELECT NULL, 'FOREIGN DATA WRAPPER', 'FOREIGN DATA WRAPPER', pg_catalog.format('%I', w.fdwname),"
	"  w.fdwowner, w.fdwacl, " CHAR("F") ", 0::pg_catalog.oid, 13"
	"  FROM pg_catalog.pg_foreign_data_wrapper w WHERE " NOT_EXT("pg_foreign_data_wrapper", "w.oid")
	" UNION ALL SELECT NULL, 'SERVER', 'FOREIGN SERVER', pg_catalog.format('%I', s.srvname),"
	"  s.srvowner, s.srvacl, " CHAR("S") ", 0::pg_catalog.oid, 13"
	"  FROM pg_catalog.pg_foreign_server s WHERE " NOT_EXT("pg_foreign_server", "s.oid")
	" UNION ALL SELECT n.nspname, 'COLLATION', NULL, pg_catalog.format('%I.%I', n.nspname, co.collname),"
	"  co.collowner, NULL, NULL, 0::pg_catalog.oid, 13"
	"  FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid" EQ "co.collnamespace"
	"  WHERE " USER_NS("n") " AND " NOT_EXT("pg_collation", "co.oid")
	" UNION ALL SELECT n.nspname, 'STATISTICS', NULL, pg_catalog.format('%I.%I', n.nspname, st.stxname),"
	"  st.stxowner, NULL, NULL, 0::pg_catalog.oid, 13"
	"  FROM pg_catalog.pg_statistic_ext st JOIN pg_catalog.pg_namespace n ON n.oid" EQ "st.stxnamespace"
	"  WHERE " USER_NS("n") " AND " NOT_EXT("pg_statistic_ext", "st.oid") " AND " NOT_OWN("st.stxrelid")
	" UNION ALL SELECT NULL, 'EVENT TRIGGER', NULL, pg_catalog.format('%I', e.evtname),"
	"  e.evtowner, NULL, NULL, 0::pg_catalog.oid, 14"
	"  FROM pg_catalog.pg_event_trigger e WHERE " NOT_EXT("pg_event_trigger", "e.oid") ")"
	" SELECT 'privileges', o.sch, pg_catalog.format('%s %s', o.word, o.target), NULL, o.phase,"
	" CASE WHEN o.word" EQ "'SCHEMA' THEN 1 ELSE 2 END,"
	" pg_catalog.format('ALTER %s %s OWNER TO %I;%s%s', o.word, o.target, pg_catalog.pg_get_userbyid(o.owner),"
	"  " ACL_CHANGES("o.acl", "o.deftype", "o.owner", "pg_catalog.format('%s %s', o.gword, o.target)") ","
	"  COALESCE((SELECT pg_catalog.string_agg("
	"    " GRANT_OF("ca", "pg_catalog.format('(%I) ON TABLE %s', a.attname, o.target)", "o.owner")
	"    , '' ORDER BY a.attnum, ca.nr)"
	"   FROM pg_catalog.pg_attribute a CROSS JOIN LATERAL " ACL_ROWS("a.attacl", "ca")
	"   WHERE a.attrelid" EQ "o.relid AND a.attnum" GT "0 AND NOT a.attisdropped), ''))"
	" FROM obj o";

/*
 * Default privileges (ALTER DEFAULT PRIVILEGES), after the grants. A
 * global entry is a change of the built-in default, so it is written as
 * REVOKEs and GRANTs from that default; an entry for one schema only adds
 * to it, so it is GRANTs alone.
 */
#define DEFACL_WORD \
	"CASE WHEN da.defaclobjtype" EQ "'r' THEN 'TABLES' WHEN da.defaclobjtype" EQ "'S' THEN 'SEQUENCES'" \
	" WHEN da.defaclobjtype" EQ "'f' THEN 'FUNCTIONS' WHEN da.defaclobjtype" EQ "'T' THEN 'TYPES'" \
	" ELSE 'SCHEMAS' END"
#define DEFACL_TYPE \
	"CASE WHEN da.defaclobjtype" EQ "'S' THEN " CHAR("s") " WHEN da.defaclobjtype" EQ "'n' THEN " CHAR("n") \
	" ELSE da.defaclobjtype END"
#define DEFACL_PREFIX \
	"pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I%s ', pg_catalog.pg_get_userbyid(da.defaclrole)," \
	" CASE WHEN n.nspname IS NOT NULL THEN pg_catalog.format(' IN SCHEMA %I', n.nspname) ELSE '' END)"

static const char q_default_privileges[] =
	"SELECT 'privileges', n.nspname, pg_catalog.format('DEFAULT PRIVILEGES FOR ROLE %s%s ON %s',"
	"  pg_catalog.pg_get_userbyid(da.defaclrole),"
	"  CASE WHEN n.nspname IS NOT NULL THEN pg_catalog.format(' IN SCHEMA %s', n.nspname) ELSE '' END, " DEFACL_WORD "),"
	" NULL, 13, 3,"
	" pg_catalog.ltrim(COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\n%sREVOKE %s ON %s FROM %s;',"
	"   " DEFACL_PREFIX ", df.privilege_type, " DEFACL_WORD ", " GRANTEE("df.grantee") "), '' ORDER BY df.nr)"
	"  FROM " ACL_ROWS("pg_catalog.acldefault(" DEFACL_TYPE ", da.defaclrole)", "df")
	"  WHERE n.nspname IS NULL AND " NOT_IN_ACL("df", "da.defaclacl") "), '')"
	" OPERATOR(pg_catalog.||) COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\n%sGRANT %s ON %s TO %s%s;',"
	"   " DEFACL_PREFIX ", cu.privilege_type, " DEFACL_WORD ", " GRANTEE("cu.grantee") ","
	"   CASE WHEN cu.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), '' ORDER BY cu.nr)"
	"  FROM " ACL_ROWS("da.defaclacl", "cu")
	"  WHERE n.nspname IS NOT NULL OR " NOT_IN_ACL("cu", "pg_catalog.acldefault(" DEFACL_TYPE ", da.defaclrole)") "), ''),"
	" E'\\n')"
	" FROM pg_catalog.pg_default_acl da LEFT JOIN pg_catalog.pg_namespace n ON n.oid" EQ "da.defaclnamespace";

/* ---- dependencies ------------------------------------------------------- */

/*
 * The dump's dependency graph (order.c) comes from three more results,
 * told apart by their first column's name (add_rows() takes only results
 * of seven columns, so it never sees them); catalog.c joins them:
 *
 * - dep_object: the catalog rows that are model objects, (classid, objid)
 *   with the identity the queries above give them;
 * - dep_part: what is part of another object, mapped to it: an array
 *   type to its element, a row type to its relation and a composite
 *   type's relation to its type, a column default to its table, a view's
 *   _RETURN rule to the view, a constraint's index to the constraint, a
 *   domain's constraint to the domain, a multirange to its range, and
 *   (first, 'e' before the others) any member of an extension to the
 *   extension. Two steps reach the object (an array of an extension's
 *   type: array, type, extension);
 * - dep_edge: pg_depend's normal and automatic dependencies (internal ones
 *   tie parts to their whole).
 *
 * Joined in SQL, the mapping took half a second at 2 000 tables (sorts of
 * text keys); in C it is a hash lookup per end.
 */
#define PART(cat, objid, tocat, toid) \
	"SELECT " REGCLASS(cat) "::pg_catalog.oid, " objid ", " REGCLASS(tocat) "::pg_catalog.oid, " toid ", 1"

static const char q_dep_objects[] =
	"SELECT " REGCLASS("pg_namespace") "::pg_catalog.oid AS dep_object, n.oid, 'schema', NULL, n.nspname, NULL"
	"  FROM pg_catalog.pg_namespace n WHERE " USER_NS("n")
	" UNION ALL SELECT " REGCLASS("pg_extension") ", x.oid, 'extension', NULL, x.extname, NULL"
	"  FROM pg_catalog.pg_extension x"
	" UNION ALL SELECT " REGCLASS("pg_type") ", t.oid, 'type', n.nspname, t.typname, NULL"
	"  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid" EQ "t.typnamespace"
	"  LEFT JOIN pg_catalog.pg_class tc ON tc.oid" EQ "t.typrelid"
	"  WHERE " USER_NS("n") " AND (t.typrelid" EQ "0 OR tc.relkind" EQ "'c')"
	" UNION ALL SELECT " REGCLASS("pg_class") ", c.oid,"
	"  CASE WHEN " IS_TABLE("c") " THEN 'table' WHEN c.relkind" EQ "'v' THEN 'view'"
	"   WHEN c.relkind" EQ "'m' THEN 'materialized view' WHEN c.relkind" EQ "'S' THEN 'sequence'"
	"   WHEN c.relkind" EQ "'f' THEN 'foreign table' ELSE 'index' END,"
	"  n.nspname, c.relname, tc.relname"
	"  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	"  LEFT JOIN pg_catalog.pg_index i ON i.indexrelid" EQ "c.oid"
	"  LEFT JOIN pg_catalog.pg_class tc ON tc.oid" EQ "i.indrelid"
	"  WHERE " USER_NS("n") " AND c.relkind" NE "'c' AND c.relkind" NE "'t'"
	" UNION ALL SELECT " REGCLASS("pg_proc") ", p.oid,"
	"  CASE WHEN p.prokind" EQ "'p' THEN 'procedure' ELSE 'function' END, n.nspname,"
	"  pg_catalog.format('%s(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)), NULL"
	"  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid" EQ "p.pronamespace"
	"  WHERE " USER_NS("n")
	" UNION ALL SELECT " REGCLASS("pg_constraint") ", k.oid, 'constraint', n.nspname, k.conname, c.relname"
	"  FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid" EQ "k.conrelid"
	"  JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace WHERE " USER_NS("n")
	" UNION ALL SELECT " REGCLASS("pg_trigger") ", tg.oid, 'trigger', n.nspname, tg.tgname, c.relname"
	"  FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_class c ON c.oid" EQ "tg.tgrelid"
	"  JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace WHERE " USER_NS("n")
	"  AND NOT tg.tgisinternal"
	" UNION ALL SELECT " REGCLASS("pg_rewrite") ", r.oid, 'rule', n.nspname, r.rulename, c.relname"
	"  FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid" EQ "r.ev_class"
	"  JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	"  WHERE " USER_NS("n") " AND r.rulename" NE "'_RETURN'"
	" UNION ALL SELECT " REGCLASS("pg_policy") ", pol.oid, 'policy', n.nspname, pol.polname, c.relname"
	"  FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid" EQ "pol.polrelid"
	"  JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace WHERE " USER_NS("n")
	" UNION ALL SELECT " REGCLASS("pg_collation") ", co.oid, 'collation', n.nspname, co.collname, NULL"
	"  FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid" EQ "co.collnamespace"
	"  WHERE " USER_NS("n")
	" UNION ALL SELECT " REGCLASS("pg_statistic_ext") ", st.oid, 'statistics', n.nspname, st.stxname, NULL"
	"  FROM pg_catalog.pg_statistic_ext st JOIN pg_catalog.pg_namespace n ON n.oid" EQ "st.stxnamespace"
	"  WHERE " USER_NS("n")
	" UNION ALL SELECT " REGCLASS("pg_event_trigger") ", e.oid, 'event trigger', NULL, e.evtname, NULL"
	"  FROM pg_catalog.pg_event_trigger e"
	" UNION ALL SELECT " REGCLASS("pg_foreign_data_wrapper") ", w.oid, 'foreign data wrapper', NULL, w.fdwname, NULL"
	"  FROM pg_catalog.pg_foreign_data_wrapper w"
	" UNION ALL SELECT " REGCLASS("pg_foreign_server") ", s.oid, 'server', NULL, s.srvname, NULL"
	"  FROM pg_catalog.pg_foreign_server s";

static const char q_dep_parts[] =
	"SELECT ex.classid AS dep_part, ex.objid, ex.refclassid, ex.refobjid, 0"
	"  FROM pg_catalog.pg_depend ex WHERE ex.deptype" EQ "'e'"
	" UNION ALL " PART("pg_type", "t.oid", "pg_type", "t.typelem")
	"  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type et ON et.oid" EQ "t.typelem"
	"  WHERE et.typarray" EQ "t.oid"
	" UNION ALL " PART("pg_type", "t.oid", "pg_class", "t.typrelid")
	"  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_class tc ON tc.oid" EQ "t.typrelid"
	"  WHERE tc.relkind" NE "'c'"
	" UNION ALL " PART("pg_class", "tc.oid", "pg_type", "tc.reltype")
	"  FROM pg_catalog.pg_class tc WHERE tc.relkind" EQ "'c'"
	" UNION ALL " PART("pg_attrdef", "ad.oid", "pg_class", "ad.adrelid") " FROM pg_catalog.pg_attrdef ad"
	" UNION ALL " PART("pg_rewrite", "r.oid", "pg_class", "r.ev_class")
	"  FROM pg_catalog.pg_rewrite r WHERE r.rulename" EQ "'_RETURN'"
	" UNION ALL " PART("pg_class", "k.conindid", "pg_constraint", "k.oid")
	"  FROM pg_catalog.pg_constraint k WHERE k.conindid" NE "0"
	"  AND (k.contype" EQ "'p' OR k.contype" EQ "'u' OR k.contype" EQ "'x')"
	" UNION ALL " PART("pg_constraint", "k.oid", "pg_type", "k.contypid")
	"  FROM pg_catalog.pg_constraint k WHERE k.contypid" NE "0"
	" UNION ALL " PART("pg_type", MAYBE_COLUMN("rg", "rngmultitypid") "::pg_catalog.oid", "pg_type", "rg.rngtypid")
	"  FROM pg_catalog.pg_range rg WHERE " MAYBE_COLUMN("rg", "rngmultitypid") " IS NOT NULL";

static const char q_dep_edges[] =
	"SELECT d.classid AS dep_edge, d.objid, d.refclassid, d.refobjid, d.deptype"
	" FROM pg_catalog.pg_depend d WHERE d.deptype" EQ "'n' OR d.deptype" EQ "'a'";

/*
 * Columns of tables, one object each, for comparing two models column by
 * column (src/schema/diff.c), read only when asked (SCHEMA_COLUMNS);
 * phase 0: never written by schema_to_sql(),
 * the table's CREATE TABLE already holds them. The definition is the
 * column's line in that CREATE TABLE (TABLE_COLUMNS), without the indent
 * and the comma, so that diff.c can take a table's column lines out of
 * its definition; depth is the column's position among the table's live
 * columns (what SELECT * and COPY see). Only a table's own columns
 * (attislocal), as in its CREATE TABLE.
 */
static const char q_columns[] =
	"SELECT 'column', n.nspname, a.attname, c.relname, 0,"
	" (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute la WHERE la.attrelid" EQ "c.oid"
	"  AND la.attnum" GT "0 AND NOT la.attisdropped AND la.attnum OPERATOR(pg_catalog.<=) a.attnum)::pg_catalog.int4,"
	" " COLUMN_TEXT("''")
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
	" JOIN pg_catalog.pg_attribute a ON a.attrelid" EQ "c.oid"
	" LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid" EQ "a.attrelid AND ad.adnum" EQ "a.attnum"
	" WHERE a.attnum" GT "0 AND NOT a.attisdropped AND a.attislocal"
	" AND " IS_TABLE("c") " AND " DUMPED_REL("c", "n");

static const char *const queries[] = {
	q_schemas, q_extensions, q_enums, q_domains, q_ranges, q_composites,
	q_sequences, q_functions, q_tables, q_views, q_indexes, q_constraints,
	q_triggers, q_comments_schemas, q_comments_relations, q_comments_types,
	q_comments_functions, q_comments_constraints, q_comments_triggers,
	q_collations, q_fdws, q_servers, q_foreign_tables, q_statistics,
	q_policies, q_rules, q_event_triggers, q_comments_policies,
	q_comments_rules, q_comments_foreign, q_comments_collations_statistics,
	q_dep_objects, q_dep_parts, q_dep_edges,
};

/* ---- reading ----------------------------------------------------------- */

/*
 * The oids of strata's own tables as an SQL array, without the missing
 * ones (a 0 or NULL in it would match, or void, every comparison).
 */
static void own_tables_sql(const struct config *cfg, struct strbuf *sb)
{
	struct strbuf name = STRBUF_INIT;

	strbuf_addstr(sb, "ARRAY(SELECT own.o::pg_catalog.oid FROM (VALUES (pg_catalog.to_regclass(");
	history_qname(cfg, &name);
	strbuf_add_literal(sb, name.buf);
	strbuf_addstr(sb, ")), (pg_catalog.to_regclass(");
	strbuf_reset(&name);
	scripts_qname(cfg, &name);
	strbuf_add_literal(sb, name.buf);
	strbuf_addstr(sb, "))) AS own(o) WHERE own.o IS NOT NULL)");
	strbuf_release(&name);
}

/* Append 'q' to 'sb' with every "@OWN@" replaced by 'own'. */
static void add_query(struct strbuf *sb, const char *q, const char *own)
{
	const char *at;

	while ((at = strstr(q, "@OWN@"))) {
		strbuf_add(sb, q, (size_t)(at - q));
		strbuf_addstr(sb, own);
		q = at + strlen("@OWN@");
	}
	strbuf_addstr(sb, q);
	strbuf_addstr(sb, ";\n");
}

static char *value_or_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

/* Each catalog query's rows become objects; other results have no rows. */
static void add_rows(int index, PGresult *res, void *data)
{
	struct schema_model *m = data;

	(void)index;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 7)
		return;
	for (int r = 0; r < PQntuples(res); r++) {
		struct schema_object *o;

		ALLOC_GROW(m->obj, m->nr + 1, m->alloc);
		o = &m->obj[m->nr++];
		o->kind = value_or_null(res, r, 0);
		o->schema = value_or_null(res, r, 1);
		o->name = value_or_null(res, r, 2);
		o->table = value_or_null(res, r, 3);
		o->phase = atoi(PQgetvalue(res, r, 4));
		o->depth = PQgetisnull(res, r, 5) ? 0 : atoi(PQgetvalue(res, r, 5));
		o->definition = value_or_null(res, r, 6);
		if (!o->definition)
			o->definition = xstrdup("");
	}
}

/* What schema_read() collects: the objects, and the dependency results. */
struct reading {
	struct schema_model *m;
	PGresult *dep_objects, *dep_parts, *dep_edges;
};

/* The dependency results are kept (db_run() clears each result). */
static void add_result(int index, PGresult *res, void *data)
{
	struct reading *r = data;
	PGresult **keep = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQnfields(res) > 0) {
		const char *first = PQfname(res, 0);
		if (!strcmp(first, "dep_object"))
			keep = &r->dep_objects;
		else if (!strcmp(first, "dep_part"))
			keep = &r->dep_parts;
		else if (!strcmp(first, "dep_edge"))
			keep = &r->dep_edges;
	}
	if (keep && !*keep)
		*keep = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
	else if (!keep)
		add_rows(index, res, r->m);
}

static void reading_release(struct reading *r)
{
	PQclear(r->dep_objects);
	PQclear(r->dep_parts);
	PQclear(r->dep_edges);
}

/*
 * A hash map from a catalog row, (classid, objid) as one 64-bit key, to a
 * number; open addressing, linear probing. Key 0 marks a free slot (no
 * catalog has oid 0).
 */
struct oidmap {
	uint64_t *key, *val;
	size_t cap, nr;
};

static uint64_t oid_key(PGresult *res, int row, int col)
{
	return (uint64_t)strtoul(PQgetvalue(res, row, col), NULL, 10) << 32 |
	       (uint64_t)strtoul(PQgetvalue(res, row, col + 1), NULL, 10);
}

static size_t oidmap_slot(const struct oidmap *h, uint64_t k)
{
	size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (h->cap - 1);

	while (h->key[i] && h->key[i] != k)
		i = (i + 1) & (h->cap - 1);
	return i;
}

static void oidmap_init(struct oidmap *h, size_t expect)
{
	h->cap = 64;
	while (h->cap < 2 * expect + 2)
		h->cap *= 2;
	h->key = xcalloc(h->cap, sizeof(*h->key));
	h->val = xcalloc(h->cap, sizeof(*h->val));
	h->nr = 0;
}

/* Add k -> v unless k is there already (the first one wins). */
static void oidmap_add(struct oidmap *h, uint64_t k, uint64_t v)
{
	size_t i = oidmap_slot(h, k);

	if (h->key[i] || !k)
		return;
	h->key[i] = k;
	h->val[i] = v;
	h->nr++;
}

static bool oidmap_get(const struct oidmap *h, uint64_t k, uint64_t *v)
{
	size_t i = oidmap_slot(h, k);

	if (!h->key[i])
		return false;
	*v = h->val[i];
	return true;
}

static void oidmap_release(struct oidmap *h)
{
	free(h->key);
	free(h->val);
}

/* dep_object rows -> the index of their model object (when dumped). */
static void map_objects(struct oidmap *objects, const struct schema_model *m, PGresult *res)
{
	struct schema_index ix;
	int rows = PQntuples(res);

	schema_index_init(&ix, m);
	oidmap_init(objects, (size_t)rows);
	for (int r = 0; r < rows; r++) {
		struct schema_object key = { 0 };
		size_t at;

		key.kind = PQgetvalue(res, r, 2);
		key.schema = PQgetisnull(res, r, 3) ? NULL : PQgetvalue(res, r, 3);
		key.name = PQgetvalue(res, r, 4);
		key.table = PQgetisnull(res, r, 5) ? NULL : PQgetvalue(res, r, 5);
		at = schema_index_find(&ix, &key);
		if (at != SIZE_MAX)
			oidmap_add(objects, oid_key(res, r, 0), at);
	}
	schema_index_release(&ix);
}

/* dep_part rows -> their whole; an extension's membership first. */
static void map_parts(struct oidmap *parts, PGresult *res)
{
	int rows = PQntuples(res);

	oidmap_init(parts, (size_t)rows);
	for (int pass = 0; pass < 2; pass++) {
		for (int r = 0; r < rows; r++) {
			bool membership = !strcmp(PQgetvalue(res, r, 4), "0");
			if (membership == (pass == 0))
				oidmap_add(parts, oid_key(res, r, 0), oid_key(res, r, 2));
		}
	}
}

/* The model object a catalog row is, or is part of; SIZE_MAX if none. */
static size_t resolve(const struct oidmap *objects, const struct oidmap *parts, uint64_t k)
{
	uint64_t v;

	for (int step = 0; step < 3 && oidmap_get(parts, k, &v); step++)
		k = v;
	return oidmap_get(objects, k, &v) ? (size_t)v : SIZE_MAX;
}

/*
 * Put the model in dump order: the edges whose two ends are objects of
 * the model (the others name what is not dumped: the system's objects,
 * strata's tables), then the sort of order.c. A sequence's automatic
 * dependency on the column that owns it is left out: the table's
 * definition says OWNED BY, after the default that uses the sequence.
 */
static void sort_by_dependencies(struct schema_model *m, struct reading *r)
{
	struct oidmap objects, parts;
	struct schema_dep *deps = NULL;
	size_t nr = 0, alloc = 0;
	int rows;

	if (!r->dep_objects || !r->dep_parts || !r->dep_edges) {
		schema_sort_for_dump(m);
		return;
	}
	map_objects(&objects, m, r->dep_objects);
	map_parts(&parts, r->dep_parts);
	rows = PQntuples(r->dep_edges);
	for (int i = 0; i < rows; i++) {
		size_t a = resolve(&objects, &parts, oid_key(r->dep_edges, i, 0));
		size_t b = resolve(&objects, &parts, oid_key(r->dep_edges, i, 2));
		if (a == SIZE_MAX || b == SIZE_MAX || a == b)
			continue;
		if (!strcmp(PQgetvalue(r->dep_edges, i, 4), "a") &&
		    !strcmp(m->obj[a].kind, "sequence") && !strcmp(m->obj[b].kind, "table"))
			continue;
		ALLOC_GROW(deps, nr + 1, alloc);
		deps[nr].obj = a;
		deps[nr++].on = b;
	}
	oidmap_release(&objects);
	oidmap_release(&parts);
	verbose("%zu objects, %zu dependencies between them", m->nr, nr);
	schema_sort_by_deps(m, deps, nr);
	free(deps);
}

int schema_read(struct db *db, const struct config *cfg, struct schema_model *m)
{
	return schema_read_with(db, cfg, 0, m);
}

int schema_read_with(struct db *db, const struct config *cfg, unsigned flags,
		     struct schema_model *m)
{
	struct reading reading = { m, NULL, NULL, NULL };
	struct strbuf sql = STRBUF_INIT, own = STRBUF_INIT;
	struct pgerr e = { 0 };
	bool failed = false;

	memset(m, 0, sizeof(*m));
	if (db->server_version < 130000) {
		return error("reading the schema needs PostgreSQL 13 or later; the server is %d.%d",
			     db->server_version / 10000, db->server_version % 10000 / 100);
	}
	own_tables_sql(cfg, &own);
	strbuf_addstr(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\n"
		      "SELECT pg_catalog.set_config('search_path', '', true);\n");
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		add_query(&sql, queries[i], own.buf);
	if (flags & SCHEMA_COLUMNS)
		add_query(&sql, q_columns, own.buf);
	if (flags & SCHEMA_PRIVILEGES) {
		add_query(&sql, q_privileges, own.buf);
		add_query(&sql, q_default_privileges, own.buf);
	}
	strbuf_addstr(&sql, "COMMIT;\n");
	verbose("reading the catalog (%zu queries, one round trip)",
		sizeof(queries) / sizeof(queries[0]) + (flags & SCHEMA_PRIVILEGES ? 2 : 0) +
		(flags & SCHEMA_COLUMNS ? 1 : 0));
	db_run(db, sql.buf, &e, &failed, add_result, &reading, NULL);
	strbuf_release(&sql);
	strbuf_release(&own);
	if (failed) {
		struct pgerr e2 = { 0 };
		bool lost = e.conn_lost;
		pgerr_report(&e, "cannot read the catalog");
		pgerr_release(&e);
		/* a failed statement leaves the transaction open, aborted */
		if (!lost)
			db_command(db, "ROLLBACK", &e2);
		pgerr_release(&e2);
		schema_model_release(m);
		reading_release(&reading);
		return -1;
	}
	sort_by_dependencies(m, &reading);
	reading_release(&reading);
	m->privileges = (flags & SCHEMA_PRIVILEGES) != 0;
	return 0;
}

void schema_model_release(struct schema_model *m)
{
	for (size_t i = 0; i < m->nr; i++) {
		struct schema_object *o = &m->obj[i];
		free(o->kind);
		free(o->schema);
		free(o->name);
		free(o->table);
		free(o->definition);
	}
	free(m->obj);
	memset(m, 0, sizeof(*m));
}

/* ---- order ------------------------------------------------------------- */

/* NULL sorts first; bytewise, so the order never depends on a locale. */
static int nullable_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int schema_dump_order_cmp(const struct schema_object *a,
			  const struct schema_object *b)
{
	int c;

	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	if ((c = nullable_cmp(a->schema, b->schema)))
		return c;
	if ((c = nullable_cmp(a->name, b->name)))
		return c;
	if ((c = nullable_cmp(a->table, b->table)))
		return c;
	return nullable_cmp(a->kind, b->kind);
}

static int dump_order_cmp(const void *pa, const void *pb)
{
	return schema_dump_order_cmp(pa, pb);
}

void schema_sort_for_dump(struct schema_model *m)
{
	if (m->nr)
		qsort(m->obj, m->nr, sizeof(*m->obj), dump_order_cmp);
}

int schema_object_identity_cmp(const struct schema_object *a,
			       const struct schema_object *b)
{
	int c;

	if ((c = nullable_cmp(a->kind, b->kind)))
		return c;
	if ((c = nullable_cmp(a->schema, b->schema)))
		return c;
	if ((c = nullable_cmp(a->name, b->name)))
		return c;
	return nullable_cmp(a->table, b->table);
}

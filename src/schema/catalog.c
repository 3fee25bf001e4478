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
 * domains in pg_constraint (17, contype 'n', never selected).
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

/* " COLLATE s.c" when a column's collation is not its type's default. */
#define COLLATE_CLAUSE(coll, typ) \
	"COALESCE((SELECT pg_catalog.format(' COLLATE %I.%I', colln.nspname, coll.collname)" \
	" FROM pg_catalog.pg_collation coll JOIN pg_catalog.pg_namespace colln" \
	" ON colln.oid" EQ "coll.collnamespace WHERE coll.oid" EQ coll \
	" AND coll.oid" NE "(SELECT ct.typcollation FROM pg_catalog.pg_type ct" \
	" WHERE ct.oid" EQ typ ")), '')"

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
#define TABLE_COLUMNS \
	"COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\n    %I %s%s%s%s%s', a.attname," \
	"  pg_catalog.format_type(a.atttypid, a.atttypmod), " COLLATE_CLAUSE("a.attcollation", "a.atttypid") "," \
	"  CASE WHEN a.attgenerated" EQ "'s' THEN pg_catalog.format(' GENERATED ALWAYS AS (%s) STORED'," \
	"    pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))" \
	"   WHEN ad.adbin IS NOT NULL THEN pg_catalog.format(' DEFAULT %s', pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))" \
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
	"  CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END), ',' ORDER BY a.attnum)" \
	" FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef ad" \
	"  ON ad.adrelid" EQ "a.attrelid AND ad.adnum" EQ "a.attnum" \
	" WHERE a.attrelid" EQ "c.oid AND a.attnum" GT "0 AND NOT a.attisdropped AND a.attislocal), '')"

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

#define IS_TABLE(c) "(" c ".relkind" EQ "'r' OR " c ".relkind" EQ "'p')"

static const char q_tables[] =
	"WITH RECURSIVE lineage(relid, depth) AS ("
	" SELECT c.oid, 0 FROM pg_catalog.pg_class c WHERE " IS_TABLE("c")
	"  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid" EQ "c.oid)"
	" UNION ALL"
	" SELECT i.inhrelid, l.depth" PLUS "1 FROM pg_catalog.pg_inherits i"
	"  JOIN lineage l ON i.inhparent" EQ "l.relid)"
	" SELECT 'table', n.nspname, c.relname, NULL, 6,"
	" (SELECT pg_catalog.max(l.depth) FROM lineage l WHERE l.relid" EQ "c.oid),"
	" pg_catalog.format('%s%s', CASE WHEN c.relispartition"
	"  THEN pg_catalog.format('CREATE %sTABLE %I.%I PARTITION OF %s %s%s;',"
	"   CASE WHEN c.relpersistence" EQ "'u' THEN 'UNLOGGED ' ELSE '' END, n.nspname, c.relname,"
	"   " TABLE_PARENT ", pg_catalog.pg_get_expr(c.relpartbound, c.oid), " TABLE_PARTITION_BY ")"
	"  ELSE pg_catalog.format(E'CREATE %sTABLE %I.%I (%s\\n)%s%s%s;',"
	"   CASE WHEN c.relpersistence" EQ "'u' THEN 'UNLOGGED ' ELSE '' END, n.nspname, c.relname,"
	"   " TABLE_COLUMNS ", " TABLE_INHERITS ", " TABLE_PARTITION_BY ", " REL_OPTIONS ") END,"
	"  " TABLE_OWNED_SEQUENCES ")"
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
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
	" n.nspname, c.relname, NULL, 8,"
	" (SELECT pg_catalog.max(ch.depth) FROM chain ch WHERE ch.viewid" EQ "c.oid),"
	" pg_catalog.format(E'CREATE %s %I.%I%s AS\\n%s%s;',"
	"  CASE WHEN c.relkind" EQ "'m' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, n.nspname, c.relname,"
	"  " REL_OPTIONS ", pg_catalog.rtrim(pg_catalog.pg_get_viewdef(c.oid), ';'),"
	"  CASE WHEN c.relkind" EQ "'m' THEN E'\\n  WITH NO DATA' ELSE '' END)"
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid" EQ "c.relnamespace"
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
	" AND " IS_TABLE("c") " AND " DUMPED_REL("c", "n");

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
	" THEN 'INDEX' WHEN " c ".relkind" EQ "'c' THEN 'TYPE' ELSE 'TABLE' END"

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
	" WHERE (" IS_TABLE("c") " OR " IS_VIEW("c") " OR c.relkind" EQ "'S'"
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

/*
 * Columns of tables, one object each, for comparing two models column by
 * column (src/schema/diff.c), read only when asked (schema_read_columns);
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
	" pg_catalog.format('%I %s%s%s%s%s', a.attname,"
	"  pg_catalog.format_type(a.atttypid, a.atttypmod), " COLLATE_CLAUSE("a.attcollation", "a.atttypid") ","
	"  CASE WHEN a.attgenerated" EQ "'s' THEN pg_catalog.format(' GENERATED ALWAYS AS (%s) STORED',"
	"    pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))"
	"   WHEN ad.adbin IS NOT NULL THEN pg_catalog.format(' DEFAULT %s', pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))"
	"   ELSE '' END,"
	"  CASE WHEN a.attidentity" NE "'' THEN (SELECT pg_catalog.format(' GENERATED %s AS IDENTITY (SEQUENCE NAME %I.%I %s)',"
	"    CASE WHEN a.attidentity" EQ "'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, isn.nspname, isc.relname,"
	"    pg_catalog.format(" SEQ_OPTIONS("iseq") ", " SEQ_VALUES("iseq") "))"
	"    FROM pg_catalog.pg_depend idep JOIN pg_catalog.pg_class isc ON isc.oid" EQ "idep.objid"
	"    JOIN pg_catalog.pg_namespace isn ON isn.oid" EQ "isc.relnamespace"
	"    JOIN pg_catalog.pg_sequence iseq ON iseq.seqrelid" EQ "isc.oid"
	"    WHERE idep.classid" EQ REGCLASS("pg_class") " AND idep.refclassid" EQ REGCLASS("pg_class")
	"    AND idep.refobjid" EQ "c.oid AND idep.refobjsubid" EQ "a.attnum AND idep.deptype" EQ "'i')"
	"   ELSE '' END,"
	"  CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END)"
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

int schema_read(struct db *db, const struct config *cfg, struct schema_model *m)
{
	return schema_read_columns(db, cfg, m, false);
}

int schema_read_columns(struct db *db, const struct config *cfg,
			struct schema_model *m, bool columns)
{
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
	if (columns)
		add_query(&sql, q_columns, own.buf);
	strbuf_addstr(&sql, "COMMIT;\n");
	verbose("reading the catalog (%zu queries, one round trip)",
		sizeof(queries) / sizeof(queries[0]));
	db_run(db, sql.buf, &e, &failed, add_rows, m, NULL);
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
		return -1;
	}
	schema_sort_for_dump(m);
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

static int dump_order_cmp(const void *pa, const void *pb)
{
	const struct schema_object *a = pa, *b = pb;
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

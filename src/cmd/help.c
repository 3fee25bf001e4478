/*
 * help.c - "strata help [COMMAND]" and every command's --help.
 * Keep in step with docs/strata.1 and the README.
 */
#include "../compat.h"
#include "../cmd.h"
#include "../app.h"

struct help_entry {
	const char *name;
	const char *summary;
	const char *usage;
};

static const struct help_entry helps[] = {
	{ "new", "write a new migration",
	  "usage: strata new NAME... [--single] [--seq]\n"
	  "       strata revision -m NAME     strata add NAME\n\n"
	  "Writes <UTC yyyymmddHHMMSS>_<name>.up.sql and .down.sql in the migrations\n"
	  "folder (created if missing). NAME is lower-cased; spaces become '_'.\n\n"
	  "  --single    one up-only file <version>_<name>.sql\n"
	  "  --seq       the next sequential number, in the width the folder uses\n"
	  "              (0001_a.sql exists: 0002_<name>...)\n" },
	{ "up", "apply pending migrations",
	  "usage: strata up [TARGET] [--dry-run] [--out-of-order] [--resume] [--backup]\n"
	  "                 [--force] [--dump[=FILE] | --no-dump]\n"
	  "aliases: upgrade, run\n\n"
	  "Applies pending migrations in version order up to TARGET: head (the\n"
	  "default), +N (the next N), or a version (or a unique prefix of one).\n"
	  "Each migration runs in one transaction with its history row, unless it\n"
	  "cannot (CREATE INDEX CONCURRENTLY...; see '-- strata:no-transaction').\n"
	  "Then, when the database reached head, the repeatable migrations\n"
	  "(R__NAME.sql, repeatable/NAME.sql) never run or changed since they ran,\n"
	  "in name order, each in one transaction with its record.\n"
	  "A script may hold COPY ... FROM stdin data ending with a line '\\.'.\n"
	  "A database with no history starts from the folder's checkpoint, if any\n"
	  "(see 'strata help squash').\n"
	  "Before anything runs, the pending migrations are linted ('strata help\n"
	  "lint'): an error-level finding stops 'up' (exit 1, nothing applied)\n"
	  "unless --force; config lint = warn prints them and goes on, lint = off\n"
	  "skips the check.\n\n"
	  "  --dry-run       print the SQL that would run, strata's own included\n"
	  "  --out-of-order  also apply pending migrations older than the newest\n"
	  "                  applied one (config: out_of_order = allow)\n"
	  "  --resume        continue a migration that stopped part-way (partial)\n"
	  "                  from the statement where it stopped\n"
	  "  --backup        write a backup first (see 'strata help backup'), when\n"
	  "                  anything is to be applied\n"	  "  --force         apply although lint finds errors (they are printed)\n"
	  "  --dump[=FILE]   after changing the database, rewrite FILE (default:\n"
	  "                  the config's schema_file) with 'strata dump'\n"
	  "  --no-dump       leave the schema file alone this time\n" },
	{ "down", "revert applied migrations",
	  "usage: strata down [TARGET] [--dry-run] [--all] [--resume] [--backup]\n"
	  "                   [--dump[=FILE] | --no-dump]\n"
	  "aliases: downgrade, revert\n\n"
	  "Reverts the last applied migration by default. TARGET: -N (N steps),\n"
	  "a version (revert all after it; that one stays applied), or base\n"
	  "(revert all; --all means the same).\n\n"
	  "  --dry-run   print the SQL that would run\n"
	  "  --resume    continue a down that stopped part-way (reverting)\n"
	  "  --backup    write a backup first (see 'strata help backup')\n"
	  "  --dump[=FILE]   after changing the database, rewrite FILE (default:\n"
	  "                  the config's schema_file) with 'strata dump'\n"
	  "  --no-dump       leave the schema file alone this time\n" },
	{ "redo", "revert the last migration and apply it again",
	  "usage: strata redo [--dry-run] [--dump[=FILE] | --no-dump]\n\n"
	  "  --dump[=FILE]   after changing the database, rewrite FILE (default:\n"
	  "                  the config's schema_file) with 'strata dump'\n"
	  "  --no-dump       leave the schema file alone this time\n" },
	{ "seed", "run the seeds folder's SQL files on a database at head",
	  "usage: strata seed [NAME...] [--dry-run] [--force] [--again]\n\n"
	  "Runs the .sql files of the seeds folder (development or test data) in\n"
	  "name order, each in one transaction with its record in the scripts\n"
	  "table beside the history table. A seed that already ran, unchanged, is\n"
	  "skipped; one whose file changed runs again. The database must be at\n"
	  "head: every migration applied, none stopped part-way, no repeatable\n"
	  "migration waiting to run.\n\n"
	  "The folder: 'seeds = DIR' in [strata] or [env.NAME] of strata.ini,\n"
	  "else 'seeds' beside the migrations folder.\n\n"
	  "  NAME        run only these seeds (file name, with or without .sql)\n"
	  "  --dry-run   print the SQL that would run, strata's own included\n"
	  "  --force     seed even when the database is not at head\n"
	  "  --again     run seeds again even when unchanged\n" },
	{ "status", "show every migration and its state",
	  "usage: strata status [--exit-code]\n"
	  "aliases: info, show\n\n"
	  "States: applied (when, how long), pending, changed (the file's checksum\n"
	  "differs from the applied one), missing (applied, file gone), partial or\n"
	  "reverting (a no-transaction migration stopped part-way). A pending\n"
	  "migration older than the newest applied one is marked out of order.\n"
	  "Repeatable migrations are listed apart: applied, pending (never run) or\n"
	  "changed (the next 'up' runs it again).\n\n"
	  "  --exit-code   exit 3 when anything is not applied and clean, or a\n"
	  "                repeatable migration would run\n\n"
	  "Checksums of unchanged files are kept in ~/.cache/strata (like git's\n"
	  "index); STRATA_CACHE=off turns that off.\n" },
	{ "plan", "what the pending migrations will lock, on which tables, how big",
	  "usage: strata plan [FILE...]\n\n"
	  "For the pending migrations (or the FILEs given), against the connected\n"
	  "database: each statement (file:line, first line), the lock it takes and\n"
	  "on which table (an index resolved to its table, a foreign key to both\n"
	  "tables, names through search_path as the migration sees them), whether\n"
	  "it rewrites or scans the table or only changes the catalog, the table's\n"
	  "size now (rows from reltuples, bytes from pg_total_relation_size), and\n"
	  "every session holding or waiting for a conflicting lock right now (pid,\n"
	  "user@client, state and for how long, the lock).\n\n"
	  "Each migration gets a verdict: safe, blocks writes for ~N rows, blocks\n"
	  "reads and writes, or rewrites N MB. A statement of a kind the lock table\n"
	  "does not know is shown as unknown, never guessed.\n\n"
	  "Read-only: one REPEATABLE READ READ ONLY transaction, no migration lock.\n"
	  "The lock table is in the README, section 'Plan: what a migration will\n"
	  "lock'.\n" },
	{ "current", "print the latest applied version",
	  "usage: strata current\n\nPrints the latest applied version, or 'base' when none is;\n"
	  "with -v also its name and when it was applied.\n" },
	{ "history", "list applied migrations in order",
	  "usage: strata history [-v]\n\n"
	  "The applied migrations, oldest first, with when and how long; -v adds\n"
	  "each migration's SQL (from its file).\n" },
	{ "dump", "print the database's schema as SQL, from the catalog",
	  "usage: strata dump [-o FILE] [--with-history] [--privileges]\n\n"
	  "Reads the schema from the catalog (one read-only transaction) and\n"
	  "prints it as SQL that rebuilds it in an empty database (psql -1 -f):\n"
	  "schemas, extensions, collations, types, sequences, functions, foreign\n"
	  "data wrappers and servers, tables (with row-level security) and\n"
	  "foreign tables, views, indexes, statistics, constraints, triggers,\n"
	  "policies, rules, comments and event triggers, each under a\n"
	  "'-- KIND NAME' line, each after the objects it depends on (pg_depend);\n"
	  "a dependency loop is reported and broken. The output is the same\n"
	  "bytes for the same schema: no timestamps, no server version. Left out:\n"
	  "data, user mappings (passwords), owners and grants unless asked for,\n"
	  "objects an extension owns (its CREATE EXTENSION stays), strata's\n"
	  "history and scripts tables. Needs PostgreSQL 13 or later.\n\n"
	  "  --privileges        add owners (ALTER ... OWNER TO), grants from the\n"
	  "                      ACLs and default privileges; the script then loads\n"
	  "                      as a superuser where the roles exist\n"
	  "  -o, --output FILE   write to FILE (all or nothing: a temporary file\n"
	  "                      renamed over it) instead of stdout; without -o,\n"
	  "                      the config's schema_file when set; -o - is stdout\n"
	  "  --with-history      append the history table as strata creates it and\n"
	  "                      its rows (INSERTs in version order), so that\n"
	  "                      'strata load' gives a database at the same version\n" },
	{ "test", "prove that every down undoes its up, in a scratch database",
	  "usage: strata test [--from VERSION] [--to VERSION] [--chain] [--strict]\n\n"
	  "In a scratch database (see --shadow; the target is never changed), for\n"
	  "each migration of the folder, after applying those before it: reads\n"
	  "the schema, runs up, reads it, runs down, and compares with the schema\n"
	  "before up; then runs up again and compares with the first up. Scripts\n"
	  "run as 'up' and 'down' run them (transactions, no-transaction files).\n"
	  "One line per migration: ok, irreversible (no down script), column\n"
	  "order only (down restores every column, in another order), down does\n"
	  "not restore, down fails, up not re-runnable, up fails (the migrations\n"
	  "after it are not tested); the differences object by object below it.\n"
	  "Exit 1 when a down fails, does not restore, or an up fails or cannot\n"
	  "run again; irreversible and column order only fail with --strict.\n\n"
	  "  --from VERSION   first migration to test (those before are applied)\n"
	  "  --to VERSION     last migration to test\n"
	  "  --chain          instead: all ups, all downs (must give the schema\n"
	  "                   before), all ups again (must give the same schema)\n"
	  "  --strict         irreversible and column order only fail too\n\n"
	  "A checkpoint in the folder (see 'strata help squash') is proved as well\n"
	  "when the whole folder is tested: started from it, and step by step,\n"
	  "the schema must be the same (exit 1 when not).\n" },
	{ "check", "compare the database with what its migrations make (drift)",
	  "usage: strata check [--against FILE]\n\n"
	  "Replays the applied migrations (by the history table, with the\n"
	  "repeatable migrations the database ran) in a scratch database (see\n"
	  "--shadow), reads both schemas from the catalog and lists every\n"
	  "difference, object by object: missing (the migrations make it, the\n"
	  "database lacks it), extra (the other way), changed (with what), column\n"
	  "order. strata's own tables are left out. The database is only read.\n"
	  "Exit 1 when they differ.\n\n"
	  "  --against FILE   compare with a schema file (a 'strata dump') loaded\n"
	  "                   into the scratch database instead; no migrations\n"
	  "                   folder needed\n" },
	{ "stamp", "record migrations as applied without running them",
	  "usage: strata stamp TARGET [--dry-run]\n\n"
	  "Records every migration up to TARGET (head, a version, +N) as applied,\n"
	  "without running it: for a database built by hand or by another tool.\n"
	  "'strata stamp base' forgets all of them (the schema is left alone);\n"
	  "a version lower than the current one forgets those after it.\n\n"
	  "  --dry-run   print the SQL that would record it\n" },
	{ "adopt", "take over a database another migration tool migrated",
	  "usage: strata adopt --from TOOL [--from-table [SCHEMA.]NAME] [--dry-run] [--force]\n\n"
	  "Reads the history table of TOOL (alembic, sqlx, typeorm, dbmate,\n"
	  "golang-migrate, goose, flyway), matches it to the migrations folder by\n"
	  "version, and records the same migrations in strata's history as stamped\n"
	  "(with each file's checksum), in one transaction under the migration lock.\n"
	  "The other tool's table is only read. Any mismatch refuses the whole\n"
	  "adoption and writes nothing, every problem listed: a version applied\n"
	  "with no file, a failed (sqlx, Flyway) or dirty (golang-migrate) row, a\n"
	  "Flyway version that is not a whole number (7.0 is 7; 1.1 is refused),\n"
	  "an Alembic revision no file holds. A file the tool never applied, though\n"
	  "later ones were, is reported and stays pending (out of order).\n\n"
	  "Alembic keeps only its head revision: the file holding it begins with\n"
	  "the line '-- alembic: REVISION'; it and every file before it are adopted.\n"
	  "golang-migrate keeps only its last version: every file up to it is\n"
	  "adopted; so are the files up to a Flyway baseline.\n\n"
	  "  --from TOOL           the tool whose history to adopt\n"
	  "  --from-table NAME     its table, when not the tool's default\n"
	  "                        (unqualified: found through search_path)\n"
	  "  --dry-run             print the SQL that would record it\n"
	  "  --force               adopt although strata's history has rows: add only\n"
	  "                        the versions it lacks; its own rows stay as they are\n" },
	{ "validate", "check the files and the checksums of applied migrations",
	  "usage: strata validate [--offline]\n\n"
	  "Checks that every file is readable, well named and parses (migrations,\n"
	  "repeatable migrations, and the seeds when their folder exists), and,\n"
	  "when a database is reachable, that applied migrations are unchanged.\n"
	  "Exit 1 on any problem.\n\n"
	  "  --offline   check the files only; do not connect\n" },
	{ "lint", "find what would lock or rewrite tables, before it runs",
	  "usage: strata lint [FILE...] [--all] [--pg-version N]\n"
	  "                   [--format text|json|github|sarif]\n"
	  "       strata lint --rules | --explain RULE\n\n"
	  "Reads migrations with PostgreSQL's own parser and reports statements that\n"
	  "would hurt a live database: locks that block reads or writes for long,\n"
	  "table rewrites, constraints checked under a heavy lock (see 'strata lint\n"
	  "--rules'). Lints the FILEs named, else the pending migrations (this needs\n"
	  "the database for the history), or every migration with --all. Down\n"
	  "scripts are linted too. Findings read like a compiler's:\n"
	  "  path:line:col: error: message [rule-id]\n"
	  "A statement is allowed to break a rule by a comment on the line before it\n"
	  "or on its first line, with the reason (required):\n"
	  "  -- strata:allow require-concurrent-index-creation table has 40 rows\n"
	  "strata.ini [lint]: disable = ID, ...; error = / warning = / info = ID, ...\n"
	  "change severities. Exit 1 when an error-level finding remains.\n\n"
	  "  --all              every migration, not only the pending ones\n"
	  "  --pg-version N     the target PostgreSQL (15, 9.6, 150000); default: the\n"
	  "                     connected server's, else 15\n"
	  "  --format FMT       text (default), json (as --json), github (workflow\n"
	  "                     annotations), sarif (SARIF 2.1.0)\n"
	  "  --rules            list the rules\n"
	  "  --explain RULE     why a rule exists and the safe way to do it\n" },
	{ "resolve", "settle a migration that stopped part-way",
	  "usage: strata resolve VERSION applied|reverted\n\n"
	  "A no-transaction migration that failed or was interrupted part-way is\n"
	  "recorded as partial (or reverting, for down), and strata refuses to go\n"
	  "on until it is settled. After finishing its work by hand:\n"
	  "  applied    record it as fully applied\n"
	  "  reverted   forget it (none of it is in the database)\n"
	  "Or fix the file and run 'strata up --resume'.\n" },
	{ "create", "create the database the URL names",
	  "usage: strata create [--if-not-exists]\n\n"
	  "Creates the database named in the URL, connected to the server's\n"
	  "'postgres' database (or 'template1' when there is none). The role needs\n"
	  "the CREATEDB privilege. An existing database is an error (exit 1).\n\n"
	  "  --if-not-exists   an existing database is fine (exit 0)\n" },
	{ "drop", "drop the database the URL names",
	  "usage: strata drop [--if-exists] [--force]\n\n"
	  "Drops the database named in the URL and everything in it, connected to\n"
	  "the server's 'postgres' database (or 'template1'). On a terminal it asks\n"
	  "you to type the database's name; without a terminal it refuses unless\n"
	  "--force is given. It never drops postgres, template0 or template1.\n"
	  "A missing database is an error (exit 1).\n\n"
	  "  --if-exists   a missing database is fine (exit 0)\n"
	  "  -f, --force   do not ask\n" },
	{ "wait", "wait until the server accepts connections",
	  "usage: strata wait [--wait=DUR]\n\n"
	  "Waits until the server in the URL accepts connections, up to --wait\n"
	  "(default 30s), for container entrypoints. Up means what pg_isready\n"
	  "means: the server answers. A database that does not exist yet is fine\n"
	  "(exit 0; 'strata create' makes it); a server that refuses strata's\n"
	  "login (password, pg_hba.conf) fails at once. Exit 1 when the time is up.\n" },
	{ "backup", "write a pg_dump backup of the database",
	  "usage: strata backup [-o FILE]\n\n"
	  "Writes a pg_dump custom-format (-Fc) backup, with the pg_dump of the\n"
	  "server's major version, to <dbname>-<UTC yyyymmddTHHMMSSZ>.dump in the\n"
	  "'backups' folder of the config (default: the working directory), and\n"
	  "prints its path. It is written as FILE.partial and renamed when\n"
	  "complete; a failed backup leaves nothing. The password goes to pg_dump\n"
	  "in its environment, never on its command line. STRATA_PG_BINDIR names\n"
	  "the folder of pg_dump when the search does not find the right one.\n\n"
	  "  -o, --output FILE   write FILE instead (replaced when complete)\n" },
	{ "restore", "restore a backup into the database",
	  "usage: strata restore FILE [--clean]\n\n"
	  "Loads FILE (a pg_dump archive, e.g. from 'strata backup') into the\n"
	  "database with pg_restore in one transaction: on failure the database\n"
	  "is left as it was. Refuses a database that is not empty.\n\n"
	  "  --clean   restore over a database that is not empty: drop the\n"
	  "            objects the backup holds first (pg_restore --clean --if-exists)\n" },
	{ "dev", "run a throwaway PostgreSQL until Ctrl-C",
	  "usage: strata dev [--print-env | --check-shadow]\n\n"
	  "Starts a scratch PostgreSQL cluster in a temporary directory ($TMPDIR\n"
	  "or /tmp, strata-shadow.XXXXXX) with the server programs found on the\n"
	  "machine: unix socket in that directory only, no TCP, fsync off. Creates\n"
	  "a database named as the target's (when a URL is configured), else\n"
	  "'dev', prints its URL on stdout and keeps running. Ctrl-C or SIGTERM\n"
	  "is the normal way to stop: the cluster and its directory are removed\n"
	  "and strata exits 0 (130/143 only when the signal came while starting).\n"
	  "As root the server runs as the 'postgres' user (else 'nobody').\n"
	  "A 'kill -9' of strata cannot clean up: the directory's owner.pid names\n"
	  "the dead strata, and the next scratch cluster start removes it.\n\n"
	  "  --print-env      print DATABASE_URL='...' instead, for eval\n"
	  "  --check-shadow   open and remove the scratch database other commands\n"
	  "                   get for the target, and say which kind it was: the\n"
	  "                   --shadow URL (must be empty), a strata_shadow_<hex>\n"
	  "                   database on the target's server (role with CREATEDB),\n"
	  "                   or a scratch cluster\n" },
	{ "load", "load a schema file into an empty database, in one transaction",
	  "usage: strata load [FILE]\n\n"
	  "Loads FILE (default: the config's schema_file) into the database in\n"
	  "one transaction, through libpq: the file is parsed first, so a syntax\n"
	  "error is reported as file:line:column before anything runs, and a\n"
	  "server error points at its line; either way nothing stays. Meant for\n"
	  "strata's own dumps (hand-edited ones too): 'strata dump --with-history'\n"
	  "then 'strata load' gives a database at the same version in one step.\n"
	  "Refuses a database that holds any table, view or sequence outside the\n"
	  "system schemas (the same rule as a scratch database), and a file with\n"
	  "a statement that cannot run in a transaction (CREATE INDEX\n"
	  "CONCURRENTLY, BEGIN/COMMIT). Takes the migration lock.\n" },
	{ "squash", "write a checkpoint: the schema at VERSION, for new databases",
	  "usage: strata squash --to VERSION\n\n"
	  "Replays the migrations up to VERSION in a scratch database (see\n"
	  "--shadow), dumps it, and writes checkpoint_<VERSION>.pgsql into the\n"
	  "migrations folder: a header naming VERSION and, for each migration it\n"
	  "covers, its version, the checksum of its up script and its name; then\n"
	  "the schema. Before writing, it proves it: from empty, the checkpoint\n"
	  "then the later migrations, and every migration step by step, in two\n"
	  "scratch databases, must dump the same text; otherwise nothing is written.\n\n"
	  "'up' on a database with no history applies the checkpoint in one\n"
	  "transaction (the schema and a stamped history row per covered version),\n"
	  "then the later migrations. A database with a history goes on with the\n"
	  "files. Once the covered files are deleted, databases at or past VERSION\n"
	  "go on; one below it is refused by 'up', naming the checkpoint; 'down'\n"
	  "cannot revert a migration whose file is gone. A new squash replaces the\n"
	  "old checkpoint and needs every file it covers.\n\n"
	  "  --to VERSION   the last migration the checkpoint covers\n" },
	{ "help", "show help for a command",
	  "usage: strata help [COMMAND]\n" },
};

static const char global_help[] =
	"Global options (before or after the command):\n"
	"  -d, --database URL     postgres://user:pass@host:port/db or 'key=value ...'\n"
	"      --url-env NAME     read the URL from environment variable NAME\n"
	"  -e, --env NAME         use [env.NAME] of the config file\n"
	"  -c, --config FILE      config file (default: strata.ini if present)\n"
	"      --env-file FILE    read variables from FILE (default: .env if present)\n"
	"  -s, --source DIR       migrations folder (default: migrations)\n"
	"      --table [S.]NAME   history table (default: public.strata_migrations)\n"
	"      --lock-timeout DUR give up a statement waiting for a lock after DUR\n"
	"                         (default 2s; 0 = wait forever), then retry\n"
	"      --lock-retries N   retries of a migration after a lock timeout or\n"
	"                         deadlock (default 5)\n"
	"      --lock-wait DUR    wait up to DUR for another strata (default 5min)\n"
	"      --wait[=DUR]       wait for the server to accept connections (30s)\n"
	"      --pooler           connecting through PgBouncer in transaction mode\n"
	"      --all-envs         run up/down/redo/status/validate/current/stamp on\n"
	"                         every [env.NAME] of the config (a fleet)\n"
	"      --targets FILE     the same on the databases in FILE, one a line:\n"
	"                         URL, 'key=value ...' or env NAME; # comments\n"
	"  -j, --jobs N           fleet: N databases or schemas at once (default 1)\n"
	"      --fail-fast        fleet: start no more after the first failure\n"
	"      --schema NAME      run in schema NAME: search_path NAME, history\n"
	"                         NAME.strata_migrations (created by up if missing)\n"
	"      --all-schemas      a fleet of the schemas the config lists with\n"
	"                         schemas = a,b,c or schemas_query = SELECT ...\n"
	"      --shadow URL       an empty database strata may use as scratch space\n"
	"                         (default: one it creates; see 'strata help dev')\n"
	"      --json             print one JSON document on stdout\n"
	"  -q, --quiet            print only errors\n"
	"  -v, --verbose          say more (-vv: more still)\n"
	"      --no-color         no colour (also NO_COLOR=1)\n"
	"  -V, --version          print the version\n"
	"DUR: seconds (10) or with a unit: 500ms, 10s, 2min, 1h.\n";

void cmd_usage(const char *cmd, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	if (cmd) {
		for (size_t i = 0; i < ARRAY_SIZE(helps); i++) {
			if (!strcmp(helps[i].name, cmd)) {
				fprintf(f, "strata %s - %s\n\n%s\n%s", helps[i].name,
					helps[i].summary, helps[i].usage, global_help);
				return;
			}
		}
	}
	fputs("usage: strata [OPTIONS] COMMAND [ARGS]\n\n"
	      "strata applies, reverts and inspects plain-SQL migrations on PostgreSQL.\n\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(helps); i++)
		fprintf(f, "  %-10s %s\n", helps[i].name, helps[i].summary);
	fprintf(f, "\n%s\nExit status: 0 ok, 1 failure, 2 usage error, 3 status --exit-code\n"
		"found work to do, 130/143 interrupted (SIGINT/SIGTERM) after rollback.\n"
		"Run 'strata help COMMAND' for a command's options; see also strata(1).\n",
		global_help);
}

int cmd_help(int argc, char **argv, struct app *app)
{
	(void)app;
	if (argc < 2) {
		cmd_usage(NULL, false);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(helps); i++) {
		if (!strcmp(helps[i].name, argv[1])) {
			cmd_usage(argv[1], false);
			return EXIT_OK;
		}
	}
	/* aliases */
	{
		static const char *const alias[][2] = {
			{ "add", "new" }, { "revision", "new" }, { "upgrade", "up" },
			{ "run", "up" }, { "downgrade", "down" }, { "revert", "down" },
			{ "info", "status" }, { "show", "status" },
		};
		for (size_t i = 0; i < ARRAY_SIZE(alias); i++)
			if (!strcmp(alias[i][0], argv[1])) {
				cmd_usage(alias[i][1], false);
				return EXIT_OK;
			}
	}
	return usage_error(NULL, "no command '%s'", argv[1]);
}

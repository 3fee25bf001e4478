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
	  "usage: strata up [TARGET] [--dry-run] [--out-of-order] [--resume]\n"
	  "aliases: upgrade, run\n\n"
	  "Applies pending migrations in version order up to TARGET: head (the\n"
	  "default), +N (the next N), or a version (or a unique prefix of one).\n"
	  "Each migration runs in one transaction with its history row, unless it\n"
	  "cannot (CREATE INDEX CONCURRENTLY...; see '-- strata:no-transaction').\n\n"
	  "  --dry-run       print the SQL that would run, strata's own included\n"
	  "  --out-of-order  also apply pending migrations older than the newest\n"
	  "                  applied one (config: out_of_order = allow)\n"
	  "  --resume        continue a migration that stopped part-way (partial)\n"
	  "                  from the statement where it stopped\n" },
	{ "down", "revert applied migrations",
	  "usage: strata down [TARGET] [--dry-run] [--all] [--resume]\n"
	  "aliases: downgrade, revert\n\n"
	  "Reverts the last applied migration by default. TARGET: -N (N steps),\n"
	  "a version (revert all after it; that one stays applied), or base\n"
	  "(revert all; --all means the same).\n\n"
	  "  --dry-run   print the SQL that would run\n"
	  "  --resume    continue a down that stopped part-way (reverting)\n" },
	{ "redo", "revert the last migration and apply it again",
	  "usage: strata redo [--dry-run]\n" },
	{ "status", "show every migration and its state",
	  "usage: strata status [--exit-code]\n"
	  "aliases: info, show\n\n"
	  "States: applied (when, how long), pending, changed (the file's checksum\n"
	  "differs from the applied one), missing (applied, file gone), partial or\n"
	  "reverting (a no-transaction migration stopped part-way). A pending\n"
	  "migration older than the newest applied one is marked out of order.\n\n"
	  "  --exit-code   exit 3 when anything is not applied and clean\n\n"
	  "Checksums of unchanged files are kept in ~/.cache/strata (like git's\n"
	  "index); STRATA_CACHE=off turns that off.\n" },
	{ "current", "print the latest applied version",
	  "usage: strata current\n\nPrints the latest applied version, or 'base' when none is;\n"
	  "with -v also its name and when it was applied.\n" },
	{ "history", "list applied migrations in order",
	  "usage: strata history [-v]\n\n"
	  "The applied migrations, oldest first, with when and how long; -v adds\n"
	  "each migration's SQL (from its file).\n" },
	{ "stamp", "record migrations as applied without running them",
	  "usage: strata stamp TARGET [--dry-run]\n\n"
	  "Records every migration up to TARGET (head, a version, +N) as applied,\n"
	  "without running it: for a database built by hand or by another tool.\n"
	  "'strata stamp base' forgets all of them (the schema is left alone);\n"
	  "a version lower than the current one forgets those after it.\n\n"
	  "  --dry-run   print the SQL that would record it\n" },
	{ "validate", "check the files and the checksums of applied migrations",
	  "usage: strata validate [--offline]\n\n"
	  "Checks that every file is readable, well named and parses, and, when\n"
	  "a database is reachable, that applied migrations are unchanged.\n"
	  "Exit 1 on any problem.\n\n"
	  "  --offline   check the files only; do not connect\n" },
	{ "resolve", "settle a migration that stopped part-way",
	  "usage: strata resolve VERSION applied|reverted\n\n"
	  "A no-transaction migration that failed or was interrupted part-way is\n"
	  "recorded as partial (or reverting, for down), and strata refuses to go\n"
	  "on until it is settled. After finishing its work by hand:\n"
	  "  applied    record it as fully applied\n"
	  "  reverted   forget it (none of it is in the database)\n"
	  "Or fix the file and run 'strata up --resume'.\n" },
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

/*
 * pgtool.h - PostgreSQL's own client programs (pg_dump, pg_restore): the
 * one that fits the server, and running it without showing the password.
 *
 * pg_dump refuses a server newer than itself, and a dump made by a newer
 * pg_dump may not load into an older server, so strata looks for the
 * program whose major version is the server's. The connection goes to the
 * program through its environment (PGHOST, PGPASSWORD, ...), never its
 * command line, which every user of the machine can read in /proc.
 */
#ifndef STRATA_PGTOOL_H
#define STRATA_PGTOOL_H

struct conninfo;

struct pgtool {
	char *name;	/* "pg_dump" */
	char *path;	/* /usr/lib/postgresql/15/bin/pg_dump */
	char *version;	/* "15.20" */
	int major;	/* 15 (906 for 9.6) */
};

/*
 * Find program 'name' for a server of version 'server_version' (as
 * PQserverVersion gives it: 150004): the same major version, else the
 * nearest newer one, which can still read the server. Looked for in
 * STRATA_PG_BINDIR alone when it is set; else in `pg_config --bindir`,
 * /usr/lib/postgresql/N/bin (Debian), /usr/pgsql-N/bin (RHEL),
 * /usr/local/pgsql/bin and PATH. 0, or -1 after error() listing what was
 * found.
 */
int pgtool_find(const char *name, int server_version, struct pgtool *t);
void pgtool_release(struct pgtool *t);

/*
 * Run the program with 'args' (after argv[0], NULL-terminated), connected
 * to 'ci' through the environment. Its stdout goes to 'out_fd' (/dev/null
 * when -1), stdin is /dev/null, and each line it writes on stderr is shown
 * through note() (secrets redacted); the last one is kept as the detail
 * of the --json error. SIGINT/SIGTERM received by strata are passed on.
 * Returns 0 when it exited 0, or -1 after error().
 */
int pgtool_run(const struct pgtool *t, const char *const *args,
	       const struct conninfo *ci, int out_fd);

#endif

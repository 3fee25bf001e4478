/*
 * maint.h - the server around the database: which database a URL names,
 * how to name the server in a message, and the maintenance database that
 * 'create' and 'drop' connect to (a database cannot create or drop itself).
 */
#ifndef STRATA_MAINT_H
#define STRATA_MAINT_H

#include <stdbool.h>

struct config;
struct conninfo;
struct db;
struct pgerr;

/*
 * conninfo_resolve() without strata's own session settings (lock_timeout,
 * client_connection_check_interval in 'options'): for other programs
 * (pg_dump) and for probing a server of any version. 0, or -1 after error().
 */
int conninfo_resolve_plain(const struct config *c, struct conninfo *ci);

/*
 * The database 'ci' names, with libpq's defaults applied (PGDATABASE,
 * then the user name, as libpq does). Newly allocated.
 */
char *conninfo_dbname(const struct conninfo *ci);
/*
 * The server as a message names it: "host db.example port 5432", or
 * "the unix socket in /run/postgresql port 5432". Newly allocated.
 */
char *conninfo_server_label(const struct conninfo *ci);
/* Fill 'to' (empty) with a copy of 'from' whose dbname is 'dbname'. */
void conninfo_copy_with_db(const struct conninfo *from, const char *dbname,
			   struct conninfo *to);

/*
 * Check that 'name' can be a database name (not empty, at most 63 bytes:
 * longer names would be cut by the server). 0, or -1 after error().
 */
int dbname_check(const char *name);

/*
 * Connect to the maintenance database of the server 'ci' points at:
 * 'postgres', or 'template1' when the server has no 'postgres' (as dbmate
 * and createdb do). 'mci' (empty on entry) receives its conninfo and must
 * outlive the connection. 0, or -1 after error().
 */
int db_connect_maintenance(struct db *db, const struct conninfo *ci,
			   long wait_ms, struct conninfo *mci);

/* Does database 'name' exist? 1, 0, or -1 after error(). */
int database_exists(struct db *db, const char *name);

/*
 * Report a failed CREATE/DROP DATABASE with a hint for the usual causes
 * (no CREATEDB privilege, not the owner, other sessions connected).
 */
void report_database_error(struct db *db, const struct pgerr *e,
			   const char *what, const char *name);

#endif

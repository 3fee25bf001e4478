/*
 * shadow.h - scratch databases: an empty database strata may fill and
 * throw away (to replay migrations, compare schemas, try a down script)
 * without touching the target.
 *
 * Where it comes from, in this order:
 *   1. --shadow URL, or 'shadow = URL' in strata.ini: used as it is, after
 *      checking that it holds no relation; strata never drops anything in
 *      it and refuses one that is not empty.
 *   2. a database strata_shadow_<random hex> created on the target's server
 *      (from template0) when the role may create databases; dropped by
 *      shadow_close().
 *   3. a throwaway PostgreSQL cluster strata starts itself, with the
 *      server programs of the target's major version, in a temporary
 *      directory (unix socket only, fsync off); stopped and removed by
 *      shadow_close(), by an exit on an error path and after SIGINT or
 *      SIGTERM. A 'kill -9' of strata cannot clean up: the directory names
 *      its owner (owner.pid) and the next cluster start removes clusters
 *      whose owner is gone.
 */
#ifndef STRATA_SHADOW_H
#define STRATA_SHADOW_H

#include <stdbool.h>
#include "config.h"

struct app;
struct shadow_owned;

enum shadow_kind {
	SHADOW_NONE = 0,
	SHADOW_URL,		/* given by the user, used as it is */
	SHADOW_DATABASE,	/* created on the target's server */
	SHADOW_CLUSTER,		/* a local cluster strata started */
};

struct shadow {
	enum shadow_kind kind;
	struct conninfo ci;	/* connect here; ci.display has no password */
	char *dbname;		/* the scratch database's name */
	int server_version;	/* of the server holding it (150004) */
	char *dir;		/* SHADOW_CLUSTER: its temporary directory */
	char *url;		/* SHADOW_CLUSTER: postgresql:// URL for others */
	struct shadow_owned *owned;	/* what shadow_close() removes */
};

/*
 * Give 'sh' an empty scratch database for the target of 'app' (by the
 * order above), checked by connecting to it. 0, or -1 after error() with
 * nothing left behind.
 */
int shadow_open(struct app *app, struct shadow *sh);

/*
 * Always the third kind: start a local cluster with the server programs
 * of major version 'server_version' (0: whichever is found) and create
 * database 'dbname' in it. 0, or -1 after error().
 */
int shadow_open_cluster(struct shadow *sh, int server_version, const char *dbname);

/* Is the scratch server still running? (Always true but for a cluster.) */
bool shadow_alive(const struct shadow *sh);

/* Remove what shadow_open() created and release 'sh'. Safe to repeat. */
void shadow_close(struct shadow *sh);

struct db;
/*
 * The emptiness rule of a scratch database (and of 'strata load'): how
 * many relations the database holds outside the system schemas, and the
 * first of them by name in *example (caller frees; NULL when none).
 * 0, or -1 after error().
 */
int db_count_relations(struct db *db, long long *count, char **example);

/* "url", "database", "cluster". */
const char *shadow_kind_name(enum shadow_kind kind);

#endif

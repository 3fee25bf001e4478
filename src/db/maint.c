#include "../compat.h"
#include "maint.h"
#include "conn.h"
#include "../core/config.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <pwd.h>
#include <unistd.h>

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

int conninfo_resolve_plain(const struct config *c, struct conninfo *ci)
{
	/* behind a pooler strata sends no startup options: the same here */
	struct config plain = *c;

	plain.pooler = true;
	return conninfo_resolve(&plain, ci);
}

char *conninfo_dbname(const struct conninfo *ci)
{
	const char *v;
	struct passwd *pw;

	if ((v = nonempty(conninfo_get(ci, "dbname"))) || (v = nonempty(getenv("PGDATABASE"))) ||
	    (v = nonempty(conninfo_get(ci, "user"))) || (v = nonempty(getenv("PGUSER"))))
		return xstrdup(v);
	pw = getpwuid(geteuid());
	return xstrdup(pw && pw->pw_name ? pw->pw_name : "");
}

char *conninfo_server_label(const struct conninfo *ci)
{
	const char *host, *port;

	if (!(host = nonempty(conninfo_get(ci, "host"))) &&
	    !(host = nonempty(conninfo_get(ci, "hostaddr"))) &&
	    !(host = nonempty(getenv("PGHOST"))))
		host = nonempty(getenv("PGHOSTADDR"));
	if (!(port = nonempty(conninfo_get(ci, "port"))) && !(port = nonempty(getenv("PGPORT"))))
		port = "5432";
	if (!host)
		return xasprintf("the default unix socket port %s", port);
	if (host[0] == '/')
		return xasprintf("the unix socket in %s port %s", host, port);
	return xasprintf("host %s port %s", host, port);
}

void conninfo_copy_with_db(const struct conninfo *from, const char *dbname,
			   struct conninfo *to)
{
	memset(to, 0, sizeof(*to));
	for (int i = 0; i < from->nr; i++)
		conninfo_set(to, from->keys[i], from->vals[i], true);
	conninfo_set(to, "dbname", dbname, true);
	to->source = xstrdup(from->source ? from->source : "");
	conninfo_make_display(to);
}

int dbname_check(const char *name)
{
	if (!*name) {
		err_set_kind("config");
		return error("the database URL names no database");
	}
	if (strlen(name) > 63) {
		err_set_kind("config");
		return error("database name '%s' is %zu bytes long; PostgreSQL names are at most 63 bytes",
			     name, strlen(name));
	}
	return 0;
}

/*
 * Does the server have a database 'postgres'? Only a server that answers
 * "does not exist" says no; any other failure is left to the real
 * connection, which waits (--wait) and reports it.
 */
static bool has_postgres_db(const struct conninfo *mci)
{
	PGconn *c = PQconnectdbParams((const char *const *)mci->keys,
				      (const char *const *)mci->vals, 0);
	bool missing = PQstatus(c) != CONNECTION_OK &&
		       strstr(PQerrorMessage(c), "\"postgres\" does not exist");

	PQfinish(c);
	return !missing;
}

int db_connect_maintenance(struct db *db, const struct conninfo *ci,
			   long wait_ms, struct conninfo *mci)
{
	conninfo_copy_with_db(ci, "postgres", mci);
	if (!has_postgres_db(mci)) {
		verbose("the server has no database 'postgres'; using template1");
		conninfo_release(mci);
		conninfo_copy_with_db(ci, "template1", mci);
	}
	return db_connect(db, mci, wait_ms);
}

int database_exists(struct db *db, const char *name)
{
	struct pgerr e = { 0 };
	PGresult *r = db_query_params(db,
		"SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1",
		1, &name, &e);
	int n;

	if (!r) {
		pgerr_report(&e, "cannot read the list of databases");
		pgerr_release(&e);
		return -1;
	}
	n = PQntuples(r);
	PQclear(r);
	return n > 0;
}

void report_database_error(struct db *db, const struct pgerr *e,
			   const char *what, const char *name)
{
	const char *state = e->sqlstate ? e->sqlstate : "";
	const char *user = PQuser(db->conn);
	bool creating = str_starts(what, "cannot create");

	pgerr_report(e, what);
	if (!strcmp(state, "42501") && creating)
		hint("role '%s' needs the CREATEDB privilege (a superuser can grant it: ALTER ROLE %s CREATEDB), or an administrator can create the database for you",
		     user, user);
	else if (!strcmp(state, "42501"))
		hint("only the owner of database '%s' (or a superuser) can drop it; role '%s' is neither",
		     name, user);
	else if (!strcmp(state, "55006") && creating)
		hint("CREATE DATABASE copies template1, which another session is using; try again when it has disconnected");
	else if (!strcmp(state, "55006"))
		hint("close the sessions connected to '%s' first (see pg_stat_activity WHERE datname = '%s'), then drop again",
		     name, name);
}

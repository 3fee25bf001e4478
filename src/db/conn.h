/*
 * conn.h - the one connection a strata run uses, over libpq.
 *
 * One connection carries the migration lock, the bookkeeping and the work,
 * so that if strata dies, the server drops all three together. Queries go
 * out asynchronously so that a signal can cancel them on the server and a
 * long statement can show a live elapsed-time line.
 */
#ifndef STRATA_CONN_H
#define STRATA_CONN_H

#include <stdbool.h>
#include <signal.h>
#include <libpq-fe.h>

struct conninfo;
struct copy_data;

struct db {
	PGconn *conn;
	PGcancel *cancel;
	const struct conninfo *ci;
	int server_version;
	long wait_ms;
	double start_ms;
	bool options_refused;	/* startup options refused: a pooler */
	double sent_ms;		/* when the query being collected went out */
	bool send_failed;	/* ... or did not: db_collect() reports it */
	/* the runner's history INSERT is prepared in this session */
	bool record_prepared;
	/* the data of the COPY FROM STDIN statements of the next query */
	const char *copy_text;
	const struct copy_data *copies;
	size_t nr_copies, next_copy;
};

/* The signal that asked strata to stop (SIGINT/SIGTERM), or 0. */
extern volatile sig_atomic_t interrupted;
/*
 * The postmaster of a scratch cluster strata started (core/shadow.h), or
 * 0: a second signal ends strata at once, and can only stop that server.
 */
extern volatile sig_atomic_t scratch_server_pid;
void signals_install(void);

/*
 * Connect, retrying until 'wait_ms' has passed when the server does not
 * accept connections yet. Returns 0, or -1 after error() with a hint.
 */
int db_connect(struct db *db, const struct conninfo *ci, long wait_ms);
/*
 * The same in two halves, so that strata can read the migrations folder
 * while the server starts the session: start never fails (errors are
 * reported by finish).
 */
void db_connect_start(struct db *db, const struct conninfo *ci, long wait_ms);
int db_connect_finish(struct db *db);
void db_close(struct db *db);
/* Drop the connection and connect again (after a lost connection). */
int db_reconnect(struct db *db);
bool db_ok(const struct db *db);

/* An error reported by the server, or by libpq for a lost connection. */
struct pgerr {
	char *sqlstate, *msg, *detail, *hint, *context;
	int position;		/* 1-based character position, 0 if none */
	bool conn_lost;
};
void pgerr_release(struct pgerr *e);

/*
 * Called for each result of a multi-statement query, in order: index
 * counts the results so far (0-based). Return non-zero to stop reading.
 */
typedef void (*result_fn)(int index, PGresult *res, void *data);

/*
 * Send 'sql' (one or more statements) as one Query message and wait for
 * all its results, showing a live elapsed-time line on a terminal after
 * two seconds (with 'label' from 'progress', when set).
 * Returns the number of statements that completed; *failed is set and 'e'
 * filled when one failed. A pending signal cancels the query on the server.
 */
int db_run(struct db *db, const char *sql, struct pgerr *e, bool *failed,
	   result_fn fn, void *data, const char *(*progress)(int done, void *data));
/*
 * db_run() in two halves, so that strata can read the next migration while
 * the server runs this one: db_send() puts the query on the wire (a
 * failure is reported by the db_collect() that must follow, always).
 */
int db_send(struct db *db, const char *sql);
int db_collect(struct db *db, struct pgerr *e, bool *failed, result_fn fn,
	       void *data, const char *(*progress)(int done, void *data));

/*
 * The data for the COPY ... FROM STDIN statements of the next query (the
 * blocks of 'text' that 'c' names), fed to the server in order as each
 * COPY asks for its data. Good for one db_run() or db_send()+db_collect().
 */
void db_set_copy_data(struct db *db, const char *text,
		      const struct copy_data *c, size_t nr);

/* Run a command or query; on failure fill 'e' and return NULL/-1. */
PGresult *db_query(struct db *db, const char *sql, struct pgerr *e);
int db_command(struct db *db, const char *sql, struct pgerr *e);
/* db_query with every column of the result in binary format. */
PGresult *db_query_binary(struct db *db, const char *sql, struct pgerr *e);
/* db_query with parameters ($1...), all text. */
PGresult *db_query_params(struct db *db, const char *sql, int n,
			  const char *const *vals, struct pgerr *e);

/* Report a server error as error()+detail+hint, with 'what' as context. */
void pgerr_report(const struct pgerr *e, const char *what);

#endif

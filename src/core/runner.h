/*
 * runner.h - applying and reverting migrations against the database.
 *
 * A transactional migration goes out as two messages: the first holds
 * BEGIN, strata's guard, the whole script and the history row; the second
 * is COMMIT alone, sent only after every statement of the first succeeded,
 * so a killed strata never leaves the server committing work it did not
 * see. A migration that cannot run in a transaction runs statement by
 * statement, with its progress written to the history before and after
 * each one.
 */
#ifndef STRATA_RUNNER_H
#define STRATA_RUNNER_H

#include <stdbool.h>
#include "source.h"
#include "../util/strbuf.h"
#include "../sql/parse.h"

struct app;
struct json;

enum run_mode {
	RUN_TX,		/* one transaction with the history row */
	RUN_NO_TX,	/* statement by statement, outside a transaction */
	RUN_OWN_TX,	/* the file's own BEGIN/COMMIT, statement by statement */
};

#define PLAN_SUM_BYTES 8

/*
 * One step of a plan, as small as it can be: a plan holds every step at
 * once (10 000 of them for a fresh database), and the script is read
 * again when the step runs.
 */
struct plan_step {
	struct migration *m;
	/*
	 * The first 8 bytes of the SHA-256 of the script as checked: enough
	 * to notice a file edited while strata runs (the history gets the
	 * whole checksum of what actually ran), at 24 bytes less a step.
	 */
	unsigned char sum[PLAN_SUM_BYTES];
	int start_at;		/* first statement to run (resume) */
	unsigned char mode;	/* enum run_mode */
	bool down;
	bool resuming;		/* its history row says partial/reverting */
};

/* One migration script ready to run: read, parsed and classified. */
struct step {
	struct migration *m;
	bool down;
	struct script s;
	struct parsed p;
	enum run_mode mode;
	int start_at;		/* first statement to run (resume) */
	bool resuming;		/* its history row says partial/reverting */
	char checksum[65];	/* of the script as checked */
	size_t nr_stmts;
};

struct run {
	struct app *app;
	bool dry_run;
	struct json *j;		/* --json: the array of done steps */
	struct json *jsql;	/* --json --dry-run: the statements */
	int nr_done;
	int nr_skipped;		/* found done by another runner */
	struct step work[3];	/* see runner_step() */
	unsigned turn;
	struct step *pending;	/* ran, its COMMIT not sent yet */
	double pending_ms;
	/* the transactional migration whose message is on the wire */
	struct step *inflight;
	struct strbuf msg;	/* that message */
	size_t body;		/* where its script starts in msg */
	size_t body_len;	/* and its length there (COPY data cut out) */
	bool with_commit;	/* msg starts with the COMMIT of 'pending' */
	bool preparing;		/* msg prepares the history INSERT (after the COMMIT) */
	bool dry_prepared;	/* a dry run has shown that PREPARE */
	bool no_prepare;	/* a migration dropped it: plain INSERTs from now on */
};

/*
 * Read and parse the script of 'm' into 'st', and decide how it runs.
 * Every problem is reported with file:line:column; returns 0 or -1.
 */
int step_prepare(struct app *app, struct migration *m, bool down,
		 struct step *st);
void step_release(struct step *st);
/* Free the text and the parse of a checked step (it is read again to run). */
void step_unload(struct step *st);
/* The compact form of a checked step, for a plan. */
void step_to_plan(const struct step *st, struct plan_step *ps);

/* Create the history table if it is missing (no-op in dry-run). */
int runner_ensure_table(struct run *r);

/* Send the COMMIT still owed to the last migration; 0 or -1 (reported). */
int runner_flush(struct run *r);

/* Run one step of a plan. 0, or -1 after the error was reported. */
int runner_step(struct run *r, const struct plan_step *ps);

struct pgerr;
/* A lock timeout, deadlock or serialization failure: worth a retry. */
bool retryable_error(const struct pgerr *e);
/* How long to wait before retry number 'attempt' (0-based), with jitter. */
long retry_backoff_ms(int attempt);

/* Show "file:line:col", the line and a caret under the column (stderr). */
void script_show_location(const struct script *s, size_t off);

/* Label used in messages: "20250101000000_create_users". */
const char *step_label(const struct migration *m);

#endif

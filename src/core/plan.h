/*
 * plan.h - what up, down and redo will do, decided from the files and the
 * history before anything runs, and the loop that runs it.
 */
#ifndef STRATA_PLAN_H
#define STRATA_PLAN_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct target;
struct migration;
struct script_plan;

struct plan {
	struct plan_step *steps;
	size_t nr;
	bool down;
	bool redo;	/* down one, then up the same one */
	size_t cap;	/* most steps it can have */
	char *from;	/* version before ("base" when none) */
	/* 'up' to head: the repeatable migrations, run after the steps */
	struct script_plan *rep;
	char *backup;	/* --backup: the file written before the run */
	struct sumcache *cache;	/* while plan_up() checks the files */
	/* the schema file to rewrite after the run (schemafile.h), or NULL */
	const char *schema_file;
	/* 'up': the checkpoint applied before the steps (checkpoint.h), or NULL */
	const char *checkpoint;
};

/*
 * Refuse when a migration stopped part-way (partial / reverting), unless
 * 'resume' asks to continue it: then *resume_version is set. 0 or -1.
 */
int plan_check_blocked(struct app *app, bool resume, bool down,
		       const char **resume_version);
/* Refuse when an applied migration's file changed. 0 or -1. */
int plan_check_changed(struct app *app);

/* Pending migrations up to 't'; 0, -1 (failure) or -2 (usage). */
int plan_up(struct app *app, const struct target *t, bool out_of_order,
	    const char *resume_version, struct plan *p);
/*
 * Check the script of 'm' (up, or down) and add it as the next step of
 * 'p' (at most p->cap steps); 0, or -1 after reporting what is wrong.
 */
int plan_add(struct app *app, struct plan *p, struct migration *m, bool down,
	     const char *resume_version);
/* Applied migrations to revert for 't', newest first. */
int plan_down(struct app *app, const struct target *t,
	      const char *resume_version, struct plan *p);

/*
 * Run a plan: create the history table if needed, then every step in
 * order, printing progress and (with --json) the document. Returns the
 * exit code.
 */
int plan_run(struct app *app, struct plan *p, bool dry_run);
void plan_release(struct plan *p);

#endif

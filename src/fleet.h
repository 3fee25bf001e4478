/*
 * fleet.h - one command over many databases or many schemas.
 *
 * A fleet is a list of targets: the [env.*] sections of the config
 * (--all-envs), the lines of a file (--targets FILE: URLs or environment
 * names), or the schemas of one database (--all-schemas, with
 * schemas = a,b,c or schemas_query = SELECT ... in the config). strata
 * runs itself once per target, at most -j N at a time, and prints a
 * summary (or, with --json, one document holding each target's own).
 */
#ifndef STRATA_FLEET_H
#define STRATA_FLEET_H

#include <stdbool.h>

struct app;

/*
 * Take one of the fleet's global options (--all-envs, --targets,
 * -j/--jobs, --fail-fast, --schema, --all-schemas; 'name' is the long
 * name). Returns 0, or 2 after a usage error was reported.
 */
int fleet_option(struct app *app, const char *name, const char *val);

/*
 * Keep the command line as it was given, for the children: 'argv' (a
 * copy of the pointers, argc of them) and, for each element, the long
 * name of the global option it belongs to, or NULL (the command and its
 * own arguments). The fleet owns both arrays from now on.
 */
void fleet_keep_argv(int argc, char **argv, const char **owner);

/* Does this invocation run as a fleet (or misuse a fleet's option)? */
bool fleet_wanted(const struct app *app);

/*
 * Run app->command once per target and report. Returns the exit code:
 * 0, 1 when any target failed (or was not started after --fail-fast),
 * 2 on a usage error, 3 when every target succeeded and one exited 3
 * (status --exit-code), 130/143 after a signal.
 */
int fleet_run(struct app *app);

/* Free what fleet_keep_argv() and fleet_option() kept. */
void fleet_release(void);

#endif

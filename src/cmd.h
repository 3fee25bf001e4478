/*
 * cmd.h - the commands (one file each in cmd/) and what they share.
 */
#ifndef STRATA_CMD_H
#define STRATA_CMD_H

#include <stdbool.h>

struct app;

int cmd_new(int argc, char **argv, struct app *app);
int cmd_up(int argc, char **argv, struct app *app);
int cmd_down(int argc, char **argv, struct app *app);
int cmd_redo(int argc, char **argv, struct app *app);
int cmd_seed(int argc, char **argv, struct app *app);
int cmd_status(int argc, char **argv, struct app *app);
int cmd_plan(int argc, char **argv, struct app *app);
int cmd_current(int argc, char **argv, struct app *app);
int cmd_history(int argc, char **argv, struct app *app);
int cmd_dump(int argc, char **argv, struct app *app);
int cmd_test(int argc, char **argv, struct app *app);
int cmd_check(int argc, char **argv, struct app *app);
int cmd_stamp(int argc, char **argv, struct app *app);
int cmd_adopt(int argc, char **argv, struct app *app);
int cmd_validate(int argc, char **argv, struct app *app);
int cmd_lint(int argc, char **argv, struct app *app);
int cmd_resolve(int argc, char **argv, struct app *app);
int cmd_create(int argc, char **argv, struct app *app);
int cmd_drop(int argc, char **argv, struct app *app);
int cmd_wait(int argc, char **argv, struct app *app);
int cmd_backup(int argc, char **argv, struct app *app);
int cmd_restore(int argc, char **argv, struct app *app);
int cmd_dev(int argc, char **argv, struct app *app);
int cmd_load(int argc, char **argv, struct app *app);
int cmd_squash(int argc, char **argv, struct app *app);
int cmd_help(int argc, char **argv, struct app *app);

/* A command's own options. */
struct cmd_opt {
	const char *name;	/* long name without "--" */
	char short_name;	/* 0 when none */
	bool has_arg;
	int id;			/* > 0 */
};

struct opt_iter {
	int argc;
	char **argv;
	int i;
	bool only_args;		/* after "--" */
};

/*
 * Next option of argv[1..]: returns its id (and its argument in *arg), 0
 * for a positional argument (in *arg), -1 at the end, or -2 after a usage
 * error was reported. "-2" and "+3" are positional (relative targets).
 */
int opt_next(struct opt_iter *it, const struct cmd_opt *opts, const char **arg);

/* Print usage of 'cmd' to stdout (help) or stderr (usage error). */
void cmd_usage(const char *cmd, bool to_stderr);
/* Report a usage error for 'cmd' and return 2. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the --json document of a failed command (error object only). */
void json_error_doc(const char *command);
/* Finish a failed command: the --json error document, then 'code'. */
int cmd_fail(struct app *app, int code);

#endif

/*
 * out.h - everything strata prints goes through here.
 *
 * Two guarantees hold for every byte written: a registered secret (a
 * password) is replaced by "***", and control characters that arrive from
 * outside (file names, server messages) are shown escaped, so a hostile
 * name cannot drive the terminal. Normal output goes to stdout; errors,
 * warnings, hints and -v chatter go to stderr.
 */
#ifndef STRATA_OUT_H
#define STRATA_OUT_H

#include <stdbool.h>
#include "strbuf.h"

struct output {
	int verbosity;	/* -1 quiet, 0 normal, 1 verbose, 2 debug */
	bool json;	/* --json: stdout is one JSON document */
	bool color;	/* colour escapes allowed on stdout and stderr */
	bool tty;	/* stderr is a terminal (for progress lines) */
	bool mute;	/* print nothing (work whose errors are reported later) */
};
extern struct output out;

/*
 * The error of a failed command, reported as the "error" object of --json
 * output. error() fills 'msg' the first time; callers add the rest.
 */
struct err {
	char *msg;
	char *kind;	/* usage, config, files, connection, lock, sql, ... */
	char *detail;
	char *hint;
	char *sqlstate;
	char *migration;
	char *file;
	int line, column;
	int statement;	/* 1-based index in its file, 0 when unknown */
	bool retryable;
};
extern struct err last_err;

void out_init(void);
void err_reset(void);
void err_set_kind(const char *kind);

/* Register a secret that must never be printed (also its URL-encoding). */
void secret_add(const char *s);
/* Copy of 's' with every registered secret replaced by "***". */
char *redact(const char *s);

/* Colour escapes, or "" when colour is off. */
const char *c_bold(void);
const char *c_dim(void);
const char *c_red(void);
const char *c_green(void);
const char *c_yellow(void);
const char *c_cyan(void);
const char *c_reset(void);

/* stdout, unless --json or -q; redacted and escaped */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* stdout even under -q (not under --json) */
void say_always(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* stderr when -v */
void verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "error: ...", records it in last_err (first wins), returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Raw line to stderr (redacted, escaped), for source excerpts. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct json;
/* Add key "error" with last_err as its object to 'j'. */
void json_add_error(struct json *j);

/* Write a finished JSON document (plus newline) to stdout. */
void out_json(const struct strbuf *doc);

/* Append 's' with control characters shown as \xNN, secrets redacted. */
void out_clean(struct strbuf *sb, const char *s, bool keep_newlines);

#endif

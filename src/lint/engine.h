/*
 * engine.h - running the lint rules over scripts, and what comes out.
 *
 * lint.h is what a rule sees; this is what a command sees: a linter
 * collects the findings of every script it is given, with the project's
 * [lint] settings and the -- strata:allow comments applied, and prints
 * them in one of four formats.
 */
#ifndef STRATA_LINT_ENGINE_H
#define STRATA_LINT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include "lint.h"

struct script;
struct config;
struct strbuf;

#define LINT_SEVERITY_OFF (-1)	/* a rule disabled by strata.ini */

struct lint_finding {
	const struct lint_rule *rule;
	enum lint_severity severity;
	char *path;
	int line, col;		/* 1-based; col in characters */
	char *message;
	char *source;		/* the line it is on, for the caret display */
	size_t file_no, off, seq;	/* which script, where in it: for sorting */
};

struct linter {
	int pg_version;		/* PG_VERSION_NUM style */
	bool strata_lock_timeout;	/* strata sets lock_timeout itself */
	int *severity;		/* per rule (lint_rule_at order), or OFF */
	struct lint_finding *f;
	size_t nr, alloc;
	size_t nr_files, nr_stmts;
};

void linter_init(struct linter *l, int pg_version, bool strata_lock_timeout);
/*
 * Apply the [lint] settings of 'c' (disable, error, warning, info).
 * Returns 0, or -1 after error() naming the setting and the unknown rule.
 */
int linter_configure(struct linter *l, const struct config *c);
/*
 * Lint one script (up or down). A script that does not parse becomes a
 * syntax-error finding. Findings are kept in file order.
 */
void lint_script(struct linter *l, const struct script *s, bool down);
/* Lint SQL text held in memory as if it were the file 'path'. */
void lint_text(struct linter *l, const char *path, const char *text,
	       size_t len, bool no_transaction, bool down);
/*
 * Read and lint the up script (when 'up') and the down script (when
 * 'down' and there is one) of migration 'm'. Returns 0, or -1 when a
 * script cannot be read (reported with error()).
 */
struct source;
struct migration;
int lint_migration(struct linter *l, const struct source *src,
		   const struct migration *m, bool up, bool down);
void linter_release(struct linter *l);
/*
 * 16 hex digits that change when anything that decides the findings of a
 * given file changes: strata's version, the rules and their severities,
 * the server version, whether strata sets lock_timeout. The checksum
 * cache keeps it for files that had no finding under it (core/sumcache.h).
 */
void linter_fingerprint(const struct linter *l, char fp[17]);
/* Sort the findings by file, then place in the file. */
void linter_sort(struct linter *l);
/* How many findings of severity 'sev' there are. */
size_t linter_count(const struct linter *l, enum lint_severity sev);

/* Every rule, engine's own first, in a stable order. */
size_t lint_rule_count(void);
const struct lint_rule *lint_rule_at(size_t i);
/* The rule named 'id', or NULL. */
const struct lint_rule *lint_rule_find(const char *id);
const char *lint_severity_name(int sev);

/*
 * The findings as text, like a compiler: "path:line:col: error: message
 * [rule]", the source line, a caret. Colour per out.color.
 */
void lint_format_text(const struct linter *l, struct strbuf *sb);
/* GitHub workflow commands: ::error file=...,line=...,col=...,title=...::msg */
void lint_format_github(const struct linter *l, struct strbuf *sb);
/* SARIF 2.1.0, one document. */
void lint_format_sarif(const struct linter *l, struct strbuf *sb);
struct json;
/* "findings": [...] and the counts, into an open JSON object. */
void lint_format_json(const struct linter *l, struct json *j);
/* A rule's explanation and safe alternative, for --explain. */
void lint_format_rule(const struct lint_rule *r, struct strbuf *sb);

/*
 * Parse "--pg-version" input: "15", "9.6", "150000". Returns the
 * PG_VERSION_NUM form, or -1.
 */
int lint_parse_pg_version(const char *s);

#endif

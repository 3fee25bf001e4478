/*
 * config.h - settings from flags, environment, .env and strata.ini, and the
 * database to connect to.
 *
 * Precedence, highest first: command-line flags, the process environment,
 * the .env file (which never overrides a variable already set), the config
 * file (the [env.NAME] chosen with -e over [strata]), built-in defaults.
 */
#ifndef STRATA_CONFIG_H
#define STRATA_CONFIG_H

#include <stdbool.h>

#define DEFAULT_LOCK_TIMEOUT_MS 2000L
#define DEFAULT_LOCK_WAIT_MS 300000L
#define DEFAULT_LOCK_RETRIES 5
#define DEFAULT_WAIT_MS 30000L

struct conninfo {
	/* keyword/value pairs for PQconnectdbParams, NULL-terminated */
	char **keys;
	char **vals;
	int nr, alloc;
	char *display;	/* the URL as shown to users, password as *** */
	char *source;	/* where it came from: "-d", "DATABASE_URL", ... */
};

struct config {
	/* as given on the command line (NULL when absent) */
	char *opt_url, *opt_url_env, *opt_env, *opt_config, *opt_env_file;
	char *opt_source, *opt_table;
	long opt_lock_timeout, opt_lock_wait, opt_wait;	/* -1 = unset */
	int opt_lock_retries;				/* -1 = unset */
	int opt_out_of_order;				/* -1 unset, 0, 1 */
	int opt_pooler;					/* -1 unset, 0, 1 */

	/* resolved */
	char *config_path;	/* the config file read, or NULL */
	char *env;		/* environment name, or NULL */
	char *source_dir;
	char *seeds_dir;	/* seeds = DIR, or "seeds" beside source_dir */
	char *schema;		/* history table schema */
	char *table;		/* history table name */
	long lock_timeout_ms, lock_wait_ms, wait_ms;
	int lock_retries;
	bool out_of_order;
	bool pooler;
	char *url_env;
	char *cfg_url;		/* url = ... from the config file */
	char *backups_dir;	/* backups = DIR, or NULL */
	char *schema_file;	/* schema_file = FILE ('dump'), or NULL */
	bool schema_file_inherited;	/* from [strata], under -e NAME */
	char **env_names;	/* [env.*] sections seen, for messages */
	int nr_env_names;

	/* schema-per-tenant (see fleet.h) */
	char *opt_schema;	/* --schema NAME, as given */
	char *search_schema;	/* the schema migrations run in (search_path) */
	char *schemas;		/* schemas = a,b,c */
	char *schemas_query;	/* schemas_query = SELECT ... */

	/* scratch databases (see core/shadow.h) */
	char *opt_shadow;	/* --shadow URL, as given */
	char *shadow_url;	/* shadow = URL from the config file */

	/* strata lint (lint/engine.h): [lint] lists of rule ids, as written */
	enum lint_gate { LINT_GATE_ERROR, LINT_GATE_WARN, LINT_GATE_OFF } lint_gate;
	char *lint_disable, *lint_error, *lint_warning, *lint_info;
};

void config_init(struct config *c);
/*
 * Read .env and the config file, and resolve every setting. Returns 0, or
 * -1 after error() (a usage error when *usage is set).
 */
int config_resolve(struct config *c, bool *usage);
void config_release(struct config *c);

/*
 * Work out the database to connect to, by the precedence above.
 * Returns 0, or -1 after error().
 */
int conninfo_resolve(const struct config *c, struct conninfo *ci);
/* Register the password in a URL or conninfo string, printing nothing. */
void conninfo_note_secrets(const char *s);
/* Parse a postgres:// URL or a "key=value ..." string into 'ci'. */
int conninfo_parse(const char *s, struct conninfo *ci);
void conninfo_set(struct conninfo *ci, const char *key, const char *val,
		  bool overwrite);
const char *conninfo_get(const struct conninfo *ci, const char *key);
void conninfo_release(struct conninfo *ci);
/* Build ci->display from its keywords (password shown as ***). */
void conninfo_make_display(struct conninfo *ci);

/* Parse a .env file into the environment (never overriding). */
int dotenv_load(const char *path, bool must_exist);

/* Split "schema.name" (quotes allowed) into its parts; -1 when invalid. */
int parse_table_name(const char *s, char **schema, char **table);
/* One schema name (quotes allowed, else lower-cased); -1 when invalid. */
int parse_schema_name(const char *s, char **schema);

#endif

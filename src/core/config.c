#include "../compat.h"
#include "config.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <ini.h>
#include <sys/stat.h>
#include <unistd.h>

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->opt_lock_timeout = c->opt_lock_wait = c->opt_wait = -1;
	c->opt_lock_retries = c->opt_out_of_order = c->opt_pooler = -1;
}

void config_release(struct config *c)
{
	free(c->opt_url);
	free(c->opt_url_env);
	free(c->opt_env);
	free(c->opt_config);
	free(c->opt_env_file);
	free(c->opt_source);
	free(c->opt_table);
	free(c->config_path);
	free(c->env);
	free(c->source_dir);
	free(c->seeds_dir);
	free(c->schema);
	free(c->table);
	free(c->url_env);
	free(c->cfg_url);
	free(c->backups_dir);
	free(c->schema_file);
	free(c->opt_schema);
	free(c->search_schema);
	free(c->schemas);
	free(c->schemas_query);
	free(c->opt_shadow);
	free(c->shadow_url);
	free(c->lint_disable);
	free(c->lint_error);
	free(c->lint_warning);
	free(c->lint_info);
	for (int i = 0; i < c->nr_env_names; i++)
		free(c->env_names[i]);
	free(c->env_names);
	memset(c, 0, sizeof(*c));
}

/* ---- .env ------------------------------------------------------------ */

int dotenv_load(const char *path, bool must_exist)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, ret = 0;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		err_set_kind("config");
		return error("cannot read '%s': %s", path, strerror(errno));
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *p = line, *key, *eq;
		struct strbuf val = STRBUF_INIT;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strncmp(p, "export ", 7))
			p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		key = p;
		eq = strchr(p, '=');
		if (!eq) {
			err_set_kind("config");
			ret = error("%s:%d: expected KEY=VALUE", path, lineno);
			break;
		}
		{
			char *k = eq;
			while (k > key && (k[-1] == ' ' || k[-1] == '\t'))
				k--;
			*k = '\0';
		}
		for (char *k = key; *k; k++)
			if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
			      (*k >= '0' && *k <= '9' && k != key) || *k == '_' ||
			      *k == '.')) {
				err_set_kind("config");
				ret = error("%s:%d:%d: invalid variable name '%s'",
					    path, lineno, (int)(k - line) + 1, key);
				goto out;
			}
		p = eq + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (*p && *p != q) {
				if (q == '"' && *p == '\\' && p[1]) {
					p++;
					strbuf_addch(&val, *p == 'n' ? '\n' :
						     *p == 't' ? '\t' : *p);
				} else {
					strbuf_addch(&val, *p);
				}
				p++;
			}
			if (*p != q) {
				strbuf_release(&val);
				err_set_kind("config");
				ret = error("%s:%d: unterminated quoted value", path, lineno);
				break;
			}
		} else {
			char *e = p;
			/* an unquoted value ends at " #" (a comment) */
			while (*e && !((*e == '#') && e > p && (e[-1] == ' ' || e[-1] == '\t')))
				e++;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			strbuf_add(&val, p, (size_t)(e - p));
		}
		if (strcasestr(key, "PASSWORD"))
			secret_add(val.buf);
		setenv(key, val.buf, 0);
		strbuf_release(&val);
	}
out:
	free(line);
	fclose(f);
	return ret;
}

/* ---- strata.ini -------------------------------------------------------- */

struct ini_state {
	struct config *c;
	const char *want_env;	/* section to read besides [strata] */
	bool found_env;
	char *vals[2][32];	/* [0] = [strata], [1] = [env.NAME] */
	bool bad;
	char *bad_key;
	char *bad_section;
};

static const char *const ini_keys[] = {
	"migrations", "table", "url", "url_env", "lock_timeout", "lock_wait",
	"lock_retries", "out_of_order", "pooler", "wait", "env_file",
	"seeds", "schema_file", "lint", "desired", "backups",
	"schemas", "schemas_query", "shadow",
};
_Static_assert(ARRAY_SIZE(ini_keys) <= 32, "struct ini_state holds 32 values per section");

/*
 * [lint]: which rules are off, and severities changed. The rule ids are
 * checked by the lint engine, which knows them.
 */
static int lint_setting(struct ini_state *st, const char *name, const char *value)
{
	struct config *c = st->c;
	char **to = !strcmp(name, "disable") ? &c->lint_disable :
		    !strcmp(name, "error") ? &c->lint_error :
		    !strcmp(name, "warning") ? &c->lint_warning :
		    !strcmp(name, "info") ? &c->lint_info : NULL;

	if (!to) {
		st->bad = true;
		st->bad_key = xasprintf("lint.%s", name);
		return 0;
	}
	free(*to);
	*to = xstrdup(value);
	return 1;
}

static int ini_cb(void *user, const char *section, const char *name,
		       const char *value)
{
	struct ini_state *st = user;
	int which;
	size_t k;

	if (!strcmp(section, "strata")) {
		which = 0;
	} else if (str_starts(section, "env.") && section[4]) {
		struct config *c = st->c;
		bool seen = false;
		for (int i = 0; i < c->nr_env_names; i++)
			if (!strcmp(c->env_names[i], section + 4))
				seen = true;
		if (!seen) {
			c->env_names = xrealloc(c->env_names,
				sizeof(char *) * (size_t)(c->nr_env_names + 1));
			c->env_names[c->nr_env_names++] = xstrdup(section + 4);
		}
		if (!st->want_env || strcmp(section + 4, st->want_env))
			return 1;
		st->found_env = true;
		which = 1;
	} else if (!strcmp(section, "lint")) {
		return name ? lint_setting(st, name, value) : 1;
	} else if (str_starts(section, "seed")) {
		return 1;	/* read by other commands */
	} else {
		st->bad = true;
		st->bad_section = xstrdup(section);
		return 0;
	}
	if (!name)
		return 1;
	if (!strcmp(name, "source") || !strcmp(name, "dir"))
		name = "migrations";
	for (k = 0; k < ARRAY_SIZE(ini_keys); k++)
		if (!strcmp(name, ini_keys[k]))
			break;
	if (k == ARRAY_SIZE(ini_keys)) {
		st->bad = true;
		st->bad_key = xasprintf("%s.%s", section, name);
		return 0;
	}
	free(st->vals[which][k]);
	st->vals[which][k] = xstrdup(value);
	return 1;
}

static const char *ini_val(struct ini_state *st, const char *key)
{
	for (size_t k = 0; k < ARRAY_SIZE(ini_keys); k++)
		if (!strcmp(ini_keys[k], key))
			return st->vals[1][k] ? st->vals[1][k] : st->vals[0][k];
	return NULL;
}

/* Does the chosen [env.NAME] set 'key' itself? */
static bool env_has(struct ini_state *st, const char *key)
{
	for (size_t k = 0; k < ARRAY_SIZE(ini_keys); k++)
		if (!strcmp(ini_keys[k], key))
			return st->vals[1][k] != NULL;
	return false;
}

static int dur_setting(const char *what, const char *v, long *out_ms)
{
	if (parse_duration(v, out_ms)) {
		err_set_kind("config");
		return error("%s: invalid duration '%s'", what, v);
	}
	return 0;
}

int parse_table_name(const char *s, char **schema, char **table)
{
	/* name | schema.name | "Quoted"."Name" */
	char *parts[2] = { NULL, NULL };
	int np = 0;
	const char *p = s;

	while (*p && np < 2) {
		struct strbuf sb = STRBUF_INIT;
		if (*p == '"') {
			p++;
			while (*p && !(*p == '"' && p[1] != '"')) {
				if (*p == '"')
					p++;
				strbuf_addch(&sb, *p++);
			}
			if (*p != '"') {
				strbuf_release(&sb);
				goto bad;
			}
			p++;
		} else {
			while (*p && *p != '.') {
				char ch = *p++;
				if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				      (ch >= '0' && ch <= '9') || ch == '_' || ch == '$' ||
				      (unsigned char)ch >= 0x80)) {
					strbuf_release(&sb);
					goto bad;
				}
				strbuf_addch(&sb, ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
			}
		}
		if (!sb.len || sb.len > 63) {
			strbuf_release(&sb);
			goto bad;
		}
		parts[np++] = strbuf_detach(&sb, NULL);
		if (*p == '.')
			p++;
		else
			break;
	}
	if (*p || !np)
		goto bad;
	if (np == 1) {
		*schema = xstrdup("public");
		*table = parts[0];
	} else {
		*schema = parts[0];
		*table = parts[1];
	}
	return 0;
bad:
	free(parts[0]);
	free(parts[1]);
	return -1;
}

int parse_schema_name(const char *s, char **schema)
{
	/* "NAME.x" is a valid table name exactly when NAME is one schema */
	char *probe = xasprintf("%s.x", s), *table = NULL;
	int ret = parse_table_name(probe, schema, &table);

	free(probe);
	free(table);
	return ret;
}

int config_resolve(struct config *c, bool *usage)
{
	struct ini_state st = { 0 };
	const char *env_file = c->opt_env_file;
	const char *v;
	int ret = 0;

	*usage = false;
	/* .env first: it may hold STRATA settings and database variables */
	if (env_file) {
		if (dotenv_load(env_file, true))
			return -1;
	} else if (dotenv_load(".env", false)) {
		return -1;
	}

	if (c->opt_config) {
		c->config_path = xstrdup(c->opt_config);
	} else if (access("strata.ini", F_OK) == 0) {
		c->config_path = xstrdup("strata.ini");
	}
	st.c = c;
	st.want_env = c->opt_env;
	if (c->config_path) {
		int r = ini_parse(c->config_path, ini_cb, &st);
		if (r < 0) {
			err_set_kind("config");
			ret = error("cannot read config file '%s': %s",
				    c->config_path, strerror(errno));
			goto out;
		}
		if (r > 0) {
			err_set_kind("config");
			if (st.bad_key)
				ret = error("%s:%d: unknown setting '%s'",
					    c->config_path, r, st.bad_key);
			else if (st.bad_section)
				ret = error("%s:%d: unknown section [%s]",
					    c->config_path, r, st.bad_section);
			else
				ret = error("%s:%d: syntax error",
					    c->config_path, r);
			if (st.bad_key && str_starts(st.bad_key, "lint."))
				hint("[lint] settings: disable, error, warning, info (lists of rule ids)");
			else if (st.bad_key)
				hint("settings: migrations, seeds, table, url, url_env, lock_timeout, lock_wait, lock_retries, out_of_order, pooler, wait, env_file");
			goto out;
		}
	}
	if (c->opt_env && !st.found_env) {
		struct strbuf names = STRBUF_INIT;
		for (int i = 0; i < c->nr_env_names; i++)
			strbuf_addf(&names, "%s%s", i ? ", " : "", c->env_names[i]);
		err_set_kind("usage");
		*usage = true;
		ret = error("no environment '%s' in %s", c->opt_env,
			    c->config_path ? c->config_path : "(no strata.ini found)");
		if (names.len)
			hint("environments defined: %s", names.buf);
		strbuf_release(&names);
		goto out;
	}
	c->env = c->opt_env ? xstrdup(c->opt_env) : NULL;

	/* an env_file named in the config is read too (never overriding) */
	if (!env_file && (v = ini_val(&st, "env_file")) && dotenv_load(v, true)) {
		ret = -1;
		goto out;
	}

	v = c->opt_source ? c->opt_source : ini_val(&st, "migrations");
	c->source_dir = xstrdup(v ? v : "migrations");

	/* seeds: the folder named, else "seeds" beside the migrations folder */
	if ((v = ini_val(&st, "seeds"))) {
		c->seeds_dir = xstrdup(v);
	} else {
		size_t n = strlen(c->source_dir);
		while (n > 1 && c->source_dir[n - 1] == '/')
			n--;
		while (n > 0 && c->source_dir[n - 1] != '/')
			n--;
		c->seeds_dir = n ? xasprintf("%.*sseeds", (int)n, c->source_dir) : xstrdup("seeds");
	}

	v = c->opt_table ? c->opt_table : ini_val(&st, "table");
	if (parse_table_name(v ? v : "strata_migrations", &c->schema, &c->table)) {
		err_set_kind("usage");
		*usage = !!c->opt_table;
		ret = error("invalid history table name '%s'", v);
		hint("use NAME or SCHEMA.NAME, at most 63 bytes each; quote with \"...\" for other characters");
		goto out;
	}

	/*
	 * Schema-per-tenant. --schema NAME: the migrations run with
	 * search_path = NAME, and the history table lives in NAME too unless
	 * --table (or table) names a schema of its own. The lists of schemas
	 * are run by the fleet (fleet.c).
	 */
	if ((v = ini_val(&st, "schemas")))
		c->schemas = xstrdup(v);
	if ((v = ini_val(&st, "schemas_query")))
		c->schemas_query = xstrdup(v);
	if (c->opt_schema) {
		const char *t = c->opt_table ? c->opt_table : ini_val(&st, "table");
		bool quoted = false, qualified = false;
		if (parse_schema_name(c->opt_schema, &c->search_schema)) {
			err_set_kind("usage");
			*usage = true;
			ret = error("invalid schema name '%s'", c->opt_schema);
			hint("use a name of at most 63 bytes; quote with \"...\" for other characters");
			goto out;
		}
		for (; t && *t; t++) {
			if (*t == '"')
				quoted = !quoted;
			else if (*t == '.' && !quoted)
				qualified = true;
		}
		if (!qualified) {
			free(c->schema);
			c->schema = xstrdup(c->search_schema);
		}
	}

	c->lock_timeout_ms = DEFAULT_LOCK_TIMEOUT_MS;
	if (c->opt_lock_timeout >= 0)
		c->lock_timeout_ms = c->opt_lock_timeout;
	else if ((v = ini_val(&st, "lock_timeout")) &&
		 (ret = dur_setting("lock_timeout", v, &c->lock_timeout_ms)))
		goto out;

	c->lock_wait_ms = DEFAULT_LOCK_WAIT_MS;
	if (c->opt_lock_wait >= 0)
		c->lock_wait_ms = c->opt_lock_wait;
	else if ((v = ini_val(&st, "lock_wait")) &&
		 (ret = dur_setting("lock_wait", v, &c->lock_wait_ms)))
		goto out;

	c->wait_ms = 0;
	if (c->opt_wait >= 0)
		c->wait_ms = c->opt_wait;
	else if ((v = ini_val(&st, "wait")) &&
		 (ret = dur_setting("wait", v, &c->wait_ms)))
		goto out;

	c->lock_retries = DEFAULT_LOCK_RETRIES;
	if (c->opt_lock_retries >= 0) {
		c->lock_retries = c->opt_lock_retries;
	} else if ((v = ini_val(&st, "lock_retries"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 0 || n > 100) {
			err_set_kind("config");
			ret = error("lock_retries: expected a number from 0 to 100, got '%s'", v);
			goto out;
		}
		c->lock_retries = (int)n;
	}

	if (c->opt_out_of_order >= 0) {
		c->out_of_order = c->opt_out_of_order;
	} else if ((v = ini_val(&st, "out_of_order"))) {
		if (!strcmp(v, "allow") || !strcmp(v, "true"))
			c->out_of_order = true;
		else if (!strcmp(v, "refuse") || !strcmp(v, "false"))
			c->out_of_order = false;
		else {
			err_set_kind("config");
			ret = error("out_of_order: expected 'allow' or 'refuse', got '%s'", v);
			goto out;
		}
	}

	if (c->opt_pooler >= 0) {
		c->pooler = c->opt_pooler;
	} else if ((v = ini_val(&st, "pooler"))) {
		if (!strcmp(v, "transaction"))
			c->pooler = true;
		else if (!strcmp(v, "none") || !strcmp(v, "session"))
			c->pooler = false;
		else {
			err_set_kind("config");
			ret = error("pooler: expected 'transaction', 'session' or 'none', got '%s'", v);
			goto out;
		}
	}

	v = c->opt_url_env ? c->opt_url_env : ini_val(&st, "url_env");
	/* an environment's own url beats a url_env inherited from [strata] */
	if (!c->opt_url_env && env_has(&st, "url") && !env_has(&st, "url_env"))
		v = NULL;
	c->url_env = v ? xstrdup(v) : NULL;
	v = ini_val(&st, "url");
	c->cfg_url = v ? xstrdup(v) : NULL;
	/* where 'strata backup' and --backup write (NULL: the working directory) */
	v = ini_val(&st, "backups");
	c->backups_dir = v && *v ? xstrdup(v) : NULL;
	/* where 'strata dump' writes without -o (NULL: stdout) */
	v = ini_val(&st, "schema_file");
	c->schema_file = v && *v ? xstrdup(v) : NULL;
	/* 'up' keeps only an environment's own file current (schemafile.h) */
	c->schema_file_inherited = c->schema_file && c->env && !env_has(&st, "schema_file");
	/* what 'up' does with lint findings (lint/engine.h) */
	if ((v = ini_val(&st, "lint"))) {
		if (!strcmp(v, "error"))
			c->lint_gate = LINT_GATE_ERROR;
		else if (!strcmp(v, "warn"))
			c->lint_gate = LINT_GATE_WARN;
		else if (!strcmp(v, "off"))
			c->lint_gate = LINT_GATE_OFF;
		else {
			err_set_kind("config");
			ret = error("%s: lint: expected 'error', 'warn' or 'off', got '%s'",
				    c->config_path, v);
			goto out;
		}
	}
	if (c->cfg_url)	/* a URL in a file in the repository: never print it */
		conninfo_note_secrets(c->cfg_url);
	/* the scratch database (core/shadow.h); --shadow wins */
	v = ini_val(&st, "shadow");
	free(c->shadow_url);
	c->shadow_url = v && *v ? xstrdup(v) : NULL;
	if (c->shadow_url)
		conninfo_note_secrets(c->shadow_url);
out:
	for (int w = 0; w < 2; w++)
		for (size_t k = 0; k < ARRAY_SIZE(st.vals[0]); k++)
			free(st.vals[w][k]);
	free(st.bad_key);
	free(st.bad_section);
	return ret;
}

/* ---- connection info ------------------------------------------------- */

void conninfo_set(struct conninfo *ci, const char *key, const char *val,
		  bool overwrite)
{
	for (int i = 0; i < ci->nr; i++) {
		if (!strcmp(ci->keys[i], key)) {
			if (overwrite) {
				free(ci->vals[i]);
				ci->vals[i] = xstrdup(val);
			}
			return;
		}
	}
	if (ci->nr + 2 > ci->alloc) {
		ci->alloc = ci->alloc ? ci->alloc * 2 : 16;
		ci->keys = xrealloc(ci->keys, sizeof(char *) * (size_t)ci->alloc);
		ci->vals = xrealloc(ci->vals, sizeof(char *) * (size_t)ci->alloc);
	}
	ci->keys[ci->nr] = xstrdup(key);
	ci->vals[ci->nr] = xstrdup(val);
	ci->nr++;
	ci->keys[ci->nr] = NULL;
	ci->vals[ci->nr] = NULL;
	if (!strcmp(key, "password"))
		secret_add(val);
}

const char *conninfo_get(const struct conninfo *ci, const char *key)
{
	for (int i = 0; i < ci->nr; i++)
		if (!strcmp(ci->keys[i], key))
			return ci->vals[i];
	return NULL;
}

void conninfo_release(struct conninfo *ci)
{
	for (int i = 0; i < ci->nr; i++) {
		free(ci->keys[i]);
		free(ci->vals[i]);
	}
	free(ci->keys);
	free(ci->vals);
	free(ci->display);
	free(ci->source);
	memset(ci, 0, sizeof(*ci));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decode 'n' bytes; NULL on a bad escape. */
static char *pct_decode(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;
			if (i + 2 >= n) {
				strbuf_release(&sb);
				return NULL;
			}
			h = hexval((unsigned char)s[i + 1]);
			l = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
			if (h < 0 || l < 0) {
				strbuf_release(&sb);
				return NULL;
			}
			strbuf_addch(&sb, h * 16 + l);
			i += 2;
		} else {
			strbuf_addch(&sb, s[i]);
		}
	}
	return strbuf_detach(&sb, NULL);
}

/*
 * Our own parser, so that a malformed URL is never handed to libpq, whose
 * error messages quote it, password included.
 */
static int parse_url(const char *url, struct conninfo *ci)
{
	const char *p = strstr(url, "://") + 3;
	const char *at, *slash, *q, *hostend;
	char *tmp;

	q = strchr(p, '?');
	slash = strchr(p, '/');
	if (q && slash && slash > q)
		slash = NULL;
	hostend = slash ? slash : q ? q : p + strlen(p);
	at = NULL;
	for (const char *s = p; s < hostend; s++)
		if (*s == '@')
			at = s;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			tmp = pct_decode(colon + 1, (size_t)(at - colon - 1));
			if (!tmp)
				goto bad;
			conninfo_set(ci, "password", tmp, true);
			free(tmp);
		}
		tmp = pct_decode(p, (size_t)((colon ? colon : at) - p));
		if (!tmp)
			goto bad;
		if (*tmp)
			conninfo_set(ci, "user", tmp, true);
		free(tmp);
		p = at + 1;
	}
	if (hostend > p) {
		/* host[:port][,host[:port]...]; IPv6 in brackets */
		struct strbuf hosts = STRBUF_INIT, ports = STRBUF_INIT;
		bool any_port = false;
		const char *s = p;
		while (s < hostend) {
			const char *e = s, *hs, *he, *ps = NULL, *pe = NULL;
			if (*s == '[') {
				const char *rb = memchr(s, ']', (size_t)(hostend - s));
				if (!rb) {
					strbuf_release(&hosts), strbuf_release(&ports);
					goto bad;
				}
				hs = s + 1, he = rb;
				e = rb + 1;
			} else {
				hs = s;
				while (e < hostend && *e != ':' && *e != ',')
					e++;
				he = e;
			}
			if (e < hostend && *e == ':') {
				ps = e + 1;
				pe = ps;
				while (pe < hostend && *pe != ',')
					pe++;
				for (const char *d = ps; d < pe; d++)
					if (*d < '0' || *d > '9') {
						strbuf_release(&hosts), strbuf_release(&ports);
						goto bad;
					}
				e = pe;
				any_port = true;
			}
			if (e < hostend && *e != ',') {
				strbuf_release(&hosts), strbuf_release(&ports);
				goto bad;
			}
			tmp = pct_decode(hs, (size_t)(he - hs));
			if (!tmp) {
				strbuf_release(&hosts), strbuf_release(&ports);
				goto bad;
			}
			strbuf_addf(&hosts, "%s%s", hosts.len || s != p ? "," : "", tmp);
			free(tmp);
			if (s != p)
				strbuf_addch(&ports, ',');
			if (ps)
				strbuf_add(&ports, ps, (size_t)(pe - ps));
			s = e < hostend ? e + 1 : e;
		}
		if (hosts.len && strspn(hosts.buf, ",") != hosts.len)
			conninfo_set(ci, "host", hosts.buf, true);
		if (any_port)
			conninfo_set(ci, "port", ports.buf, true);
		strbuf_release(&hosts);
		strbuf_release(&ports);
	}
	if (slash) {
		const char *de = q ? q : slash + strlen(slash);
		if (de > slash + 1) {
			tmp = pct_decode(slash + 1, (size_t)(de - slash - 1));
			if (!tmp)
				goto bad;
			conninfo_set(ci, "dbname", tmp, true);
			free(tmp);
		}
	}
	if (q) {
		const char *s = q + 1;
		while (*s) {
			const char *amp = strchr(s, '&'), *eq;
			const char *e = amp ? amp : s + strlen(s);
			char *k, *v;
			eq = memchr(s, '=', (size_t)(e - s));
			if (!eq)
				goto bad;
			k = pct_decode(s, (size_t)(eq - s));
			v = pct_decode(eq + 1, (size_t)(e - eq - 1));
			if (!k || !v) {
				free(k), free(v);
				goto bad;
			}
			if (!strcmp(k, "password"))
				secret_add(v);
			conninfo_set(ci, k, v, true);
			free(k), free(v);
			s = amp ? amp + 1 : e;
		}
	}
	return 0;
bad:
	return -1;
}

/* "host=a port=5432 password='x y'" */
static int parse_keywords(const char *s, struct conninfo *ci)
{
	const char *p = s;
	while (*p) {
		struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		while (*p && *p != '=' && *p != ' ' && *p != '\t')
			strbuf_addch(&k, *p++);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=' || !k.len) {
			strbuf_release(&k), strbuf_release(&v);
			return -1;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\'') {
			p++;
			while (*p && *p != '\'') {
				if (*p == '\\' && p[1])
					p++;
				strbuf_addch(&v, *p++);
			}
			if (*p != '\'') {
				strbuf_release(&k), strbuf_release(&v);
				return -1;
			}
			p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
				if (*p == '\\' && p[1])
					p++;
				strbuf_addch(&v, *p++);
			}
		}
		if (!strcmp(k.buf, "password"))
			secret_add(v.buf);
		conninfo_set(ci, k.buf, v.buf, true);
		strbuf_release(&k), strbuf_release(&v);
	}
	return 0;
}

void conninfo_note_secrets(const char *s)
{
	const char *pw = strstr(s, "password=");
	if (pw) {
		const char *e = pw + 9;
		size_t n = strcspn(e, " &'\t");
		char *t = xstrndup(e, n);
		secret_add(t);
		free(t);
	}
	if (str_starts(s, "postgres://") || str_starts(s, "postgresql://")) {
		const char *p = strstr(s, "://") + 3;
		const char *end = p + strcspn(p, "/?");
		const char *at = NULL;
		for (const char *x = p; x < end; x++)
			if (*x == '@')
				at = x;
		if (at) {
			const char *colon = memchr(p, ':', (size_t)(at - p));
			if (colon) {
				char *raw = xstrndup(colon + 1, (size_t)(at - colon - 1));
				secret_add(raw);
				free(raw);
			}
		}
	} else if (strchr(s, '@') && strchr(s, ':')) {
		/* almost a URL ("postgresql:/u:pw@h/db"): user:password@ */
		const char *at = strrchr(s, '@'), *from = s, *colon = NULL;
		for (const char *x = s; x < at; x++)
			if (*x == '/')
				from = x + 1;
		for (const char *x = from; x < at; x++)
			if (*x == ':') {
				colon = x;
				break;
			}
		if (colon && at > colon + 1) {
			char *raw = xstrndup(colon + 1, (size_t)(at - colon - 1));
			secret_add(raw);
			free(raw);
		}
	}
}

int conninfo_parse(const char *s, struct conninfo *ci)
{
	/* register anything that looks like a password before any message */
	conninfo_note_secrets(s);
	if (str_starts(s, "postgres://") || str_starts(s, "postgresql://")) {
		if (parse_url(s, ci))
			return error("invalid database URL");
		return 0;
	}
	if (strchr(s, '=')) {
		if (parse_keywords(s, ci))
			return error("invalid connection string");
		return 0;
	}
	if (strstr(s, ":/") || strchr(s, '@')) {
		/* almost a URL: never let it become a database name */
		return error("invalid database URL: expected postgres://user:password@host:port/dbname");
	}
	conninfo_set(ci, "dbname", s, true);
	return 0;
}

void conninfo_make_display(struct conninfo *ci)
{
	struct strbuf sb = STRBUF_INIT;
	const char *user = conninfo_get(ci, "user"),
		   *host = conninfo_get(ci, "host"),
		   *port = conninfo_get(ci, "port"),
		   *db = conninfo_get(ci, "dbname");
	bool first = true;

	strbuf_addstr(&sb, "postgres://");
	if (user)
		strbuf_addstr(&sb, user);
	if (conninfo_get(ci, "password"))
		strbuf_addstr(&sb, ":***");
	if (user || conninfo_get(ci, "password"))
		strbuf_addch(&sb, '@');
	if (host && host[0] != '/')
		strbuf_addstr(&sb, host);
	if (port)
		strbuf_addf(&sb, ":%s", port);
	strbuf_addch(&sb, '/');
	if (db)
		strbuf_addstr(&sb, db);
	if (host && host[0] == '/') {
		strbuf_addf(&sb, "?host=%s", host);
		first = false;
	}
	for (int i = 0; i < ci->nr; i++) {
		const char *k = ci->keys[i];
		if (!strcmp(k, "user") || !strcmp(k, "password") ||
		    !strcmp(k, "host") || !strcmp(k, "port") ||
		    !strcmp(k, "dbname") || !strcmp(k, "fallback_application_name") ||
		    !strcmp(k, "options") ||
		    str_starts(k, "keepalives") || !strcmp(k, "connect_timeout") ||
		    !strcmp(k, "tcp_user_timeout"))
			continue;
		strbuf_addf(&sb, "%c%s=%s", first ? '?' : '&', k, ci->vals[i]);
		first = false;
	}
	free(ci->display);
	ci->display = strbuf_detach(&sb, NULL);
}

static const char *getenv_nonempty(const char *n)
{
	const char *v = getenv(n);
	return v && *v ? v : NULL;
}

int conninfo_resolve(const struct config *c, struct conninfo *ci)
{
	const char *v;

	memset(ci, 0, sizeof(*ci));
	if (c->opt_url) {
		ci->source = xstrdup("-d");
		if (conninfo_parse(c->opt_url, ci))
			goto bad;
	} else if (c->url_env) {
		v = getenv_nonempty(c->url_env);
		if (!v) {
			err_set_kind("config");
			error("environment variable '%s' (named by %s) is not set",
			      c->url_env, c->opt_url_env ? "--url-env" : "url_env");
			return -1;
		}
		ci->source = xstrdup(c->url_env);
		if (conninfo_parse(v, ci))
			goto bad;
	} else if (c->env && c->cfg_url) {
		ci->source = xasprintf("[env.%s] url", c->env);
		if (conninfo_parse(c->cfg_url, ci))
			goto bad;
	} else if ((v = getenv_nonempty("DATABASE_URL"))) {
		ci->source = xstrdup("DATABASE_URL");
		if (conninfo_parse(v, ci))
			goto bad;
	} else if (getenv_nonempty("DB_HOST") || getenv_nonempty("DB_NAME") ||
		   getenv_nonempty("DB_DATABASE")) {
		ci->source = xstrdup("DB_* variables");
		if ((v = getenv_nonempty("DB_HOST")))
			conninfo_set(ci, "host", v, true);
		if ((v = getenv_nonempty("DB_PORT")))
			conninfo_set(ci, "port", v, true);
		if ((v = getenv_nonempty("DB_USER")) || (v = getenv_nonempty("DB_USERNAME")))
			conninfo_set(ci, "user", v, true);
		if ((v = getenv_nonempty("DB_PASSWORD")))
			conninfo_set(ci, "password", v, true);
		if ((v = getenv_nonempty("DB_NAME")) || (v = getenv_nonempty("DB_DATABASE")))
			conninfo_set(ci, "dbname", v, true);
	} else if (c->cfg_url) {
		ci->source = xstrdup("strata.ini url");
		if (conninfo_parse(c->cfg_url, ci))
			goto bad;
	} else {
		ci->source = xstrdup("libpq defaults (PGHOST, PGDATABASE, ...)");
	}
	/* libpq's environment defaults still apply to what is not set */
	if ((v = getenv_nonempty("PGPASSWORD")))
		secret_add(v);
	/*
	 * strata's own settings travel with the session's startup packet, so
	 * that RESET ALL after each migration restores them and no statement
	 * per migration is spent on them. PgBouncer refuses startup options:
	 * behind a pooler they are set in each transaction instead.
	 */
	if (!c->pooler) {
		const char *prev = conninfo_get(ci, "options");
		char *opts;
		if (!prev)
			prev = getenv("PGOPTIONS");
		opts = xasprintf("%s%s-c lock_timeout=%ldms -c client_connection_check_interval=1s",
				 prev ? prev : "", prev && *prev ? " " : "", c->lock_timeout_ms);
		if (c->search_schema) {
			/* --schema: the session's default, so RESET ALL keeps it */
			struct strbuf o = STRBUF_INIT, id = STRBUF_INIT;
			strbuf_addf(&o, "%s -c search_path=", opts);
			strbuf_add_ident(&id, c->search_schema);
			for (const char *s = id.buf; *s; s++) {
				if (*s == ' ' || *s == '\\')
					strbuf_addch(&o, '\\');
				strbuf_addch(&o, *s);
			}
			free(opts);
			opts = strbuf_detach(&o, NULL);
			strbuf_release(&id);
		}
		conninfo_set(ci, "options", opts, true);
		free(opts);
	}
	conninfo_set(ci, "fallback_application_name", "strata", false);
	conninfo_set(ci, "connect_timeout", "10", false);
	conninfo_set(ci, "keepalives", "1", false);
	conninfo_set(ci, "keepalives_idle", "30", false);
	conninfo_set(ci, "keepalives_interval", "10", false);
	conninfo_set(ci, "keepalives_count", "3", false);
	conninfo_make_display(ci);
	return 0;
bad:
	err_set_kind("config");
	detail("from %s", ci->source);
	return -1;
}

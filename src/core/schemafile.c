/*
 * schemafile.c - the schema file kept current, the history rows of a
 * dump, and the atomic write (see schemafile.h).
 */
#include "../compat.h"
#include "schemafile.h"
#include "config.h"
#include "history.h"
#include "../app.h"
#include "../cmd.h"
#include "../schema/catalog.h"
#include "../db/conn.h"
#include "../sql/parse.h"
#include "runner.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* What fleet.c hands a child whose target is a URL (see fleet.h). */
#define FLEET_URL_VAR "STRATA_FLEET_URL"

int schema_file_take_options(const char *cmd, int *argc, char **argv,
			     struct schema_file_choice *ch)
{
	int out_i = 1;
	bool only_args = false;

	memset(ch, 0, sizeof(*ch));
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (only_args || strncmp(a, "--", 2)) {
			argv[out_i++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = true;
			argv[out_i++] = argv[i];
		} else if (!strcmp(a, "--no-dump")) {
			ch->no_dump = true;
		} else if (!strcmp(a, "--dump")) {
			ch->dump = true;
		} else if (str_starts(a, "--dump=")) {
			if (!a[7])
				return usage_error(cmd, "option '--dump=' needs a file name");
			ch->dump = true;
			ch->file = a + 7;
		} else {
			argv[out_i++] = argv[i];
		}
	}
	argv[out_i] = NULL;
	*argc = out_i;
	if (ch->dump && ch->no_dump)
		return usage_error(cmd, "--dump and --no-dump contradict each other");
	return 0;
}

const char *schema_file_for_run(const struct app *app,
				const struct schema_file_choice *ch, bool *usage)
{
	const struct config *c = &app->cfg;
	/* a fleet of URLs or of schemas: one [strata] file, many databases */
	bool shared = getenv(FLEET_URL_VAR) || c->opt_schema;
	const char *configured = c->schema_file;

	*usage = false;
	if (ch->no_dump)
		return NULL;
	if (ch->file)
		return ch->file;
	if (c->schema_file_inherited || shared)
		configured = NULL;
	if (ch->dump && !configured) {
		*usage = true;
		err_set_kind("usage");
		error("--dump: no file to write; give --dump=FILE, or schema_file = FILE in %s",
		      c->env ? "the environment's [env] section" : "strata.ini");
		return NULL;
	}
	return configured;
}

int write_file_atomically(const char *path, const struct strbuf *text)
{
	char *partial = xasprintf("%s.partial", path);
	size_t done = 0;
	int fd, ret = -1;

	fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_set_kind("files");
		error("cannot create '%s': %s", partial, strerror(errno));
		free(partial);
		return -1;
	}
	while (done < text->len) {
		ssize_t n = write(fd, text->buf + done, text->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		done += (size_t)n;
	}
	if (done < text->len || fsync(fd)) {
		err_set_kind("files");
		error("cannot write '%s': %s", partial, strerror(errno));
		close(fd);
	} else if (close(fd)) {
		err_set_kind("files");
		error("cannot write '%s': %s", partial, strerror(errno));
	} else if (rename(partial, path)) {
		err_set_kind("files");
		error("cannot rename '%s' to '%s': %s", partial, path, strerror(errno));
	} else {
		fsync_parent_dir(path);
		ret = 0;
	}
	if (ret)
		unlink(partial);
	free(partial);
	return ret;
}

/*
 * The rows in version order (numeric: normalised versions have no
 * leading zeros), applied_at in UTC to the microsecond, so that the same
 * history always gives the same text and loads back unchanged.
 */
static const char history_rows_sql[] =
	"SELECT version, name, checksum, state, statements_done, error, "
	"pg_catalog.to_char(pg_catalog.timezone('UTC', applied_at), "
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), duration_ms, stamped FROM ";

/* One value of a row: NULL, a literal, or (for numbers) as it is. */
static void add_value(struct strbuf *sb, PGresult *r, int row, int col, bool quote)
{
	if (col)
		strbuf_addstr(sb, ", ");
	if (PQgetisnull(r, row, col))
		strbuf_addstr(sb, "NULL");
	else if (PQftype(r, col) == 16)	/* bool: 't' / 'f' */
		strbuf_addstr(sb, PQgetvalue(r, row, col)[0] == 't' ? "true" : "false");
	else if (quote)
		strbuf_add_literal(sb, PQgetvalue(r, row, col));
	else
		strbuf_addstr(sb, PQgetvalue(r, row, col));
}

int history_dump_sql(struct db *db, const struct config *c, struct strbuf *sb)
{
	struct strbuf sql = STRBUF_INIT, qname = STRBUF_INIT;
	struct pgerr e = { 0 };
	struct history h;
	PGresult *r;

	/* the table missing (nothing applied yet): an empty history */
	if (history_read_light(db, c, &h))
		return -1;
	history_qname(c, &qname);
	strbuf_addstr(sb, "\n-- strata history: ");
	strbuf_addstr(sb, qname.buf);
	strbuf_addch(sb, '\n');
	history_create_sql(c, sb);
	if (h.exists) {
		strbuf_addstr(&sql, history_rows_sql);
		strbuf_addstr(&sql, qname.buf);
		strbuf_addstr(&sql, " ORDER BY pg_catalog.length(version), version");
		r = db_query(db, sql.buf, &e);
		if (!r) {
			pgerr_report(&e, "cannot read the history table");
			pgerr_release(&e);
			strbuf_release(&sql);
			strbuf_release(&qname);
			history_release(&h);
			return -1;
		}
		for (int i = 0; i < PQntuples(r); i++) {
			strbuf_addstr(sb, "INSERT INTO ");
			strbuf_addstr(sb, qname.buf);
			strbuf_addstr(sb, " (version, name, checksum, state, statements_done, error, applied_at, duration_ms, stamped) VALUES (");
			for (int col = 0; col < 9; col++)
				add_value(sb, r, i, col, col != 4 && col != 7);
			strbuf_addstr(sb, ");\n");
		}
		PQclear(r);
	}
	strbuf_release(&sql);
	strbuf_release(&qname);
	history_release(&h);
	return 0;
}

int schema_dump_text(struct app *app, bool with_history, struct strbuf *sql,
		     size_t *nr_objects)
{
	struct schema_model m;

	if (schema_read(&app->db, &app->cfg, &m))
		return -1;
	schema_to_sql(&m, sql);
	*nr_objects = m.nr;
	schema_model_release(&m);
	if (with_history && history_dump_sql(&app->db, &app->cfg, sql))
		return -1;
	return 0;
}

int schema_file_refresh(struct app *app, const char *path, bool changed)
{
	struct strbuf sql = STRBUF_INIT;
	struct stat st;
	size_t nr;
	int ret = 1;

	if (!changed && !stat(path, &st))
		return 0;
	if (schema_dump_text(app, false, &sql, &nr) || write_file_atomically(path, &sql)) {
		note("the database change stands; write the file again with 'strata dump -o %s'", path);
		ret = -1;
	} else {
		say("schema written to %s (%zu objects)", path, nr);
	}
	strbuf_release(&sql);
	return ret;
}

/* Where a failed statement is in the file: the server's position, else its start. */
static void show_failure(const struct script *s, const struct parsed *p,
			 const struct pgerr *e, const struct strbuf *msg, size_t body,
			 int done, const char *what)
{
	int idx = done - 1;	/* BEGIN is the first result */
	size_t off;

	if (idx < 0 || (size_t)idx >= p->nr) {
		pgerr_report(e, what);
		return;
	}
	last_err.statement = idx + 1;
	off = p->stmts[idx].off;
	if (e->position > 0) {
		size_t b = sql_char_to_byte(msg->buf, msg->len, e->position);
		if (b >= body)
			off = sql_unstrip_offset(p, b - body);
	} else {
		sql_copy_error_offset(s->text, p, (size_t)idx, e->context, &off);
	}
	pgerr_report(e, what);
	script_show_location(s, off);
}

/*
 * BEGIN, the whole file and 'after' as one message, COMMIT only after
 * every statement succeeded (a killed strata leaves nothing half-loaded).
 */
int script_run_in_tx(struct app *app, const struct script *s,
		     const struct parsed *p, const char *after, double *ms)
{
	struct strbuf msg = STRBUF_INIT;
	struct pgerr e = { 0 };
	bool failed = false;
	size_t body;
	int done, ret = 0;
	double start = now_ms();
	char *what = xasprintf("loading %s failed", s->path);

	strbuf_addstr(&msg, "BEGIN;\n");
	body = msg.len;
	sql_strip_copy_data(p, s->text, s->len, &msg);
	/* strata's own statements after the file's last one, ended or not */
	strbuf_addstr(&msg, "\n;\n");
	if (after)
		strbuf_addstr(&msg, after);
	if (p->nr_copies)
		db_set_copy_data(&app->db, s->text, p->copies, p->nr_copies);
	done = db_run(&app->db, msg.buf, &e, &failed, NULL, NULL, NULL);
	if (!failed && db_command(&app->db, "COMMIT", &e)) {
		failed = true;
		done = -1;
	}
	if (failed) {
		struct pgerr e2 = { 0 };
		if (!e.conn_lost)
			db_command(&app->db, "ROLLBACK", &e2);
		pgerr_release(&e2);
		if (interrupted) {
			err_set_kind("interrupted");
			error("interrupted: %s was rolled back", s->path);
		} else {
			err_set_kind("sql");
			show_failure(s, p, &e, &msg, body, done, what);
			note("rolled back: nothing of %s was loaded", s->path);
		}
		ret = -1;
	}
	*ms = now_ms() - start;
	pgerr_release(&e);
	strbuf_release(&msg);
	free(what);
	return ret;
}


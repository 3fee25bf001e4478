/*
 * backup.h - a pg_dump backup of the database strata is connected to,
 * written so that a file with the final name is always a complete one.
 */
#ifndef STRATA_BACKUP_H
#define STRATA_BACKUP_H

struct app;

struct backup {
	char *path;		/* the backup written */
	char *tool;		/* the pg_dump that wrote it */
	char *tool_version;
	long long bytes;
	double ms;
};

/*
 * Write a pg_dump custom-format (-Fc) backup of the database app is
 * connected to, into 'path', or when NULL into
 * <dbname>-<UTC yyyymmddTHHMMSSZ>.dump in the folder 'backups =' names
 * (created when missing; default: the working directory). The dump goes
 * to <path>.partial (mode 0600) and is renamed to 'path' once pg_dump has
 * succeeded and the file is on disk; on failure nothing is left.
 * 0, or -1 after error().
 */
int backup_write(struct app *app, const char *path, struct backup *b);
void backup_release(struct backup *b);

/*
 * For 'up --backup' and 'down --backup': the backup, and one line that
 * says where it is. 0 (*path set, the caller frees it), or -1 after error().
 */
int backup_before_change(struct app *app, char **path);

/* "12.3 KiB" */
void human_size(char *buf, size_t n, long long bytes);

#endif

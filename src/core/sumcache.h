/*
 * sumcache.h - checksums of migration files that have not changed, kept
 * between runs, as git's index keeps the hashes of unchanged files.
 *
 * `status` must tell an applied migration whose file was edited from one
 * that was not, which means the checksum of every applied file: for 1 000
 * migrations, 4 000 system calls and as many hashes on every run. A file
 * whose device, inode, size, mtime and ctime are those recorded with its
 * checksum has the same bytes (ctime cannot be set back by a user, and a
 * file changed within a second of the record is never trusted), so one
 * stat() replaces open, read, close and the hash.
 *
 * With the checksum goes, when known, how the up script runs (one
 * transaction, or statement by statement): what `up` learns by parsing
 * the file. An unchanged file that parsed before parses again, so `up`
 * checks every pending file with one stat() too, and reads each one only
 * when it runs it (where the bytes are hashed again: a file changed
 * behind the cache's back is noticed then and checked from scratch).
 *
 * The cache lives in $XDG_CACHE_HOME/strata (or ~/.cache/strata), one file
 * per migrations folder; STRATA_CACHE=off turns it off. It is only ever a
 * shortcut: a missing, unreadable, foreign or damaged cache file means the
 * files are read, and a cache that cannot be written is not an error.
 */
#ifndef STRATA_SUMCACHE_H
#define STRATA_SUMCACHE_H

#include <stdbool.h>
#include <sys/stat.h>

struct sumcache;

/* The cache of folder 'dir' (NULL when caching is off or impossible). */
struct sumcache *sumcache_open(const char *dir);
#define SUMCACHE_MODE_UNKNOWN (-1)

/* What the cache knows of one file whose bytes have not changed. */
struct sum_info {
	char sum[65];	/* SHA-256 of its up script */
	int mode;	/* how that script runs (enum run_mode), or SUMCACHE_MODE_UNKNOWN */
	/*
	 * The fingerprint of a lint configuration (lint/engine.h) under which
	 * the up script had no finding at all, or "" when none is known.
	 */
	char lint[17];
};

/* What is recorded for 'file' if 'st' still matches it. */
bool sumcache_get(struct sumcache *c, const char *file, const struct stat *st,
		  struct sum_info *info);
/*
 * Record what is known of 'file' as it is now ('st'). For the same bytes
 * as recorded, an unknown mode or an empty lint fingerprint keeps what
 * was recorded before.
 */
void sumcache_put(struct sumcache *c, const char *file, const struct stat *st,
		  const struct sum_info *info);
/*
 * Write the cache back if anything new was recorded, and free it.
 * 'saw_all': the caller looked up every file of the folder, so entries
 * it did not find unchanged are of files gone or edited, and are dropped;
 * otherwise they are kept for the callers that look them up.
 */
void sumcache_close(struct sumcache *c, bool saw_all);

#endif

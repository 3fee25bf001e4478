/*
 * arena.h - many small strings that live as long as their owner, packed
 * into a few large blocks and freed at once.
 *
 * A folder of 10 000 migrations holds five names each; one malloc() per
 * name would cost more in allocator headers and scattered pages than the
 * names themselves. Strings never move once made, so pointers into an
 * arena stay valid until arena_release().
 */
#ifndef STRATA_ARENA_H
#define STRATA_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	char *next;		/* free space in the head block */
	size_t left;
};

#define ARENA_INIT { NULL, NULL, 0 }

/* A copy of the 'n' bytes at 's', NUL-terminated. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* 'n' bytes of uninitialised room (for strings built in place). */
char *arena_alloc(struct arena *a, size_t n);
void arena_release(struct arena *a);

#endif

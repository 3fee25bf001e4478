#include "../compat.h"
#include "arena.h"
#include "util.h"

/* Below glibc's mmap threshold, so blocks come from the heap. */
#define ARENA_BLOCK 32704

struct arena_block {
	struct arena_block *prev;
	char data[];
};

char *arena_alloc(struct arena *a, size_t n)
{
	char *p;

	if (n > a->left) {
		size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		struct arena_block *b = xmalloc(sizeof(*b) + size);
		b->prev = a->head;
		a->head = b;
		a->next = b->data;
		a->left = size;
	}
	p = a->next;
	a->next += n;
	a->left -= n;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_release(struct arena *a)
{
	while (a->head) {
		struct arena_block *b = a->head;
		a->head = b->prev;
		free(b);
	}
	a->next = NULL;
	a->left = 0;
}

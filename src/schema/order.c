/*
 * order.c - the dump's order: every object after the objects it depends
 * on (pg_depend, read by catalog.c as edges between the model's objects),
 * and otherwise the fixed order of schema_dump_order_cmp (phase, depth,
 * schema, name).
 *
 * The approach is Kahn's topological sort with a priority queue: of the
 * objects whose dependencies are all written, the next one written is the
 * first in the fixed order. So when no edge goes against the fixed order
 * (most schemas), the result is exactly the fixed order, and an edge that
 * does (a domain whose CHECK calls a function, a default that calls a
 * function returning another table's rows) only moves the objects it must.
 * The result depends on the model and its edges, never on the order in
 * which the server returned them.
 *
 * A loop (each object of it waits for the next) cannot be written in any
 * order. Loops that the dump already takes apart never reach here: foreign
 * keys, indexes and triggers are objects of their own after the tables,
 * and function bodies are not checked on load. For what is left the sort
 * does what pg_dump does when it has no better repair: it says so (a
 * warning naming the objects of the loop) and drops one dependency of the
 * loop, the one of the loop's first object in the fixed order, so that the
 * dump is still complete and deterministic.
 */
#include "../compat.h"
#include "catalog.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

/* The graph as adjacency lists, both ways, over indexes into m->obj. */
struct graph {
	size_t n;
	size_t *rank;		/* position in the fixed order */
	size_t *waiting;	/* unwritten dependencies per object */
	size_t **users, *users_nr, *users_alloc;	/* who depends on i */
	size_t **needs, *needs_nr, *needs_alloc;	/* what i depends on */
	bool *written;
};

/* ---- the priority queue: a binary min-heap of objects by rank ------- */

struct heap {
	size_t *item, nr;
	const size_t *rank;
};

static void heap_push(struct heap *h, size_t v)
{
	size_t i = h->nr++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->rank[h->item[parent]] <= h->rank[v])
			break;
		h->item[i] = h->item[parent];
		i = parent;
	}
	h->item[i] = v;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->item[0], last = h->item[--h->nr], i = 0;

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->nr)
			break;
		if (child + 1 < h->nr && h->rank[h->item[child + 1]] < h->rank[h->item[child]])
			child++;
		if (h->rank[last] <= h->rank[h->item[child]])
			break;
		h->item[i] = h->item[child];
		i = child;
	}
	if (h->nr)
		h->item[i] = last;
	return top;
}

/* ---- the graph ---------------------------------------------------------- */

static int rank_cmp(const void *pa, const void *pb, void *objects)
{
	const struct schema_object *obj = objects;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = schema_dump_order_cmp(&obj[a], &obj[b]);

	/* equal objects keep their index order: the result stays total */
	return c ? c : (a > b) - (a < b);
}

/* rank[i]: where object i goes in the fixed order */
static void rank_objects(const struct schema_model *m, size_t *rank)
{
	size_t *by_order = xmalloc((m->nr ? m->nr : 1) * sizeof(*by_order));

	for (size_t i = 0; i < m->nr; i++)
		by_order[i] = i;
	qsort_r(by_order, m->nr, sizeof(*by_order), rank_cmp, m->obj);
	for (size_t i = 0; i < m->nr; i++)
		rank[by_order[i]] = i;
	free(by_order);
}

static void list_add(size_t **list, size_t *nr, size_t *alloc, size_t v)
{
	ALLOC_GROW(*list, *nr + 1, *alloc);
	(*list)[(*nr)++] = v;
}

static void graph_init(struct graph *g, const struct schema_model *m,
		       const struct schema_dep *deps, size_t nr)
{
	size_t n = m->nr ? m->nr : 1;

	g->n = m->nr;
	g->rank = xmalloc(n * sizeof(*g->rank));
	g->waiting = xcalloc(n, sizeof(*g->waiting));
	g->users = xcalloc(n, sizeof(*g->users));
	g->users_nr = xcalloc(n, sizeof(size_t));
	g->users_alloc = xcalloc(n, sizeof(size_t));
	g->needs = xcalloc(n, sizeof(*g->needs));
	g->needs_nr = xcalloc(n, sizeof(size_t));
	g->needs_alloc = xcalloc(n, sizeof(size_t));
	g->written = xcalloc(n, sizeof(*g->written));
	rank_objects(m, g->rank);
	for (size_t i = 0; i < nr; i++) {
		size_t a = deps[i].obj, b = deps[i].on;
		/* an object's parts that depend on each other are one object */
		if (a == b || a >= m->nr || b >= m->nr)
			continue;
		list_add(&g->users[b], &g->users_nr[b], &g->users_alloc[b], a);
		list_add(&g->needs[a], &g->needs_nr[a], &g->needs_alloc[a], b);
		g->waiting[a]++;
	}
}

static void graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->users[i]);
		free(g->needs[i]);
	}
	free(g->rank);
	free(g->waiting);
	free(g->users);
	free(g->users_nr);
	free(g->users_alloc);
	free(g->needs);
	free(g->needs_nr);
	free(g->needs_alloc);
	free(g->written);
}

/* "table app.t" or "index app.i on app.t", for the loop warning */
static void describe(const struct schema_object *o, struct strbuf *sb)
{
	strbuf_addf(sb, "%s ", o->kind);
	if (o->schema && strcmp(o->kind, "comment"))
		strbuf_addf(sb, "%s.", o->schema);
	strbuf_addstr(sb, o->name);
	if (o->table)
		strbuf_addf(sb, " on %s.%s", o->schema ? o->schema : "", o->table);
}

/* The first unwritten dependency of v in the fixed order. */
static size_t first_unwritten_need(const struct graph *g, size_t v)
{
	size_t best = SIZE_MAX;

	for (size_t k = 0; k < g->needs_nr[v]; k++) {
		size_t w = g->needs[v][k];
		if (w != SIZE_MAX && !g->written[w] && (best == SIZE_MAX || g->rank[w] < g->rank[best]))
			best = w;
	}
	return best;
}

/*
 * Every object left waits for another one left, so walking from 'start'
 * along unwritten dependencies must come back to an object already on
 * the walk: that part of the walk is a loop. Warn with its objects, and
 * drop the dependency of its first object (in the fixed order) on the
 * next one of the loop. Returns that object when it no longer waits,
 * else SIZE_MAX (the sort gets stuck again and breaks the next loop).
 */
static size_t break_loop(struct graph *g, const struct schema_model *m, size_t start)
{
	size_t *walk = xmalloc((g->n + 1) * sizeof(*walk)), len = 0, from = 0;
	size_t *pos = xmalloc(g->n * sizeof(*pos));
	struct strbuf sb = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	size_t v = start, first, next, ret = SIZE_MAX;

	for (size_t i = 0; i < g->n; i++)
		pos[i] = SIZE_MAX;
	while (pos[v] == SIZE_MAX) {
		size_t need;

		pos[v] = len;
		walk[len++] = v;
		/* (every object left waits for one left: never SIZE_MAX) */
		need = first_unwritten_need(g, v);
		if (need == SIZE_MAX)
			break;
		v = need;
	}
	from = pos[v];
	first = walk[from];
	for (size_t k = from; k < len; k++) {
		if (g->rank[walk[k]] < g->rank[first])
			first = walk[k];
		if (k > from)
			strbuf_addstr(&sb, " -> ");
		describe(&m->obj[walk[k]], &sb);
	}
	strbuf_addstr(&sb, " -> ");
	describe(&m->obj[walk[from]], &sb);
	next = pos[first] + 1 < len ? walk[pos[first] + 1] : walk[from];
	describe(&m->obj[first], &a);
	describe(&m->obj[next], &b);
	warning("dependency loop, the dump may not load as it is: %s; %s is written before %s",
		sb.buf, a.buf, b.buf);
	strbuf_release(&a);
	strbuf_release(&b);
	/* drop every edge first -> next (there may be duplicates) */
	for (size_t k = 0; k < g->needs_nr[first]; k++) {
		if (g->needs[first][k] == next) {
			g->needs[first][k] = SIZE_MAX;	/* dropped */
			g->waiting[first]--;
		}
	}
	for (size_t k = 0; k < g->users_nr[next]; k++)
		if (g->users[next][k] == first)
			g->users[next][k] = SIZE_MAX;
	/* a walk that met no loop (it cannot) still ends: its object goes */
	if (next == first)
		g->waiting[first] = 0;
	if (!g->waiting[first])
		ret = first;
	strbuf_release(&sb);
	free(pos);
	free(walk);
	return ret;
}

/* The first unwritten object in the fixed order (one exists). */
static size_t first_unwritten(const struct graph *g)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < g->n; i++)
		if (!g->written[i] && (best == SIZE_MAX || g->rank[i] < g->rank[best]))
			best = i;
	return best;
}

/* Kahn's sort; order[] receives the object indexes in dump order. */
static size_t topological_order(struct graph *g, const struct schema_model *m, size_t *order)
{
	struct heap h = { xmalloc((g->n ? g->n : 1) * sizeof(size_t)), 0, g->rank };
	size_t done = 0, loops = 0;

	for (size_t i = 0; i < g->n; i++)
		if (!g->waiting[i])
			heap_push(&h, i);
	while (done < g->n) {
		size_t v;

		if (!h.nr) {
			size_t freed = break_loop(g, m, first_unwritten(g));
			loops++;
			if (freed != SIZE_MAX)
				heap_push(&h, freed);
			continue;
		}
		v = heap_pop(&h);
		g->written[v] = true;
		order[done++] = v;
		for (size_t k = 0; k < g->users_nr[v]; k++) {
			size_t u = g->users[v][k];
			if (u != SIZE_MAX && !--g->waiting[u])
				heap_push(&h, u);
		}
	}
	free(h.item);
	return loops;
}

size_t schema_sort_by_deps(struct schema_model *m, const struct schema_dep *deps, size_t nr)
{
	struct graph g;
	size_t *order, loops;
	struct schema_object *sorted;

	if (!m->nr)
		return 0;
	graph_init(&g, m, deps, nr);
	order = xmalloc(m->nr * sizeof(*order));
	loops = topological_order(&g, m, order);
	sorted = xmalloc(m->nr * sizeof(*sorted));
	for (size_t i = 0; i < m->nr; i++)
		sorted[i] = m->obj[order[i]];
	memcpy(m->obj, sorted, m->nr * sizeof(*sorted));
	free(sorted);
	free(order);
	graph_release(&g);
	return loops;
}

/* ---- naming the ends of an edge ----------------------------------------- */

static int identity_index_cmp(const void *pa, const void *pb, void *objects)
{
	const struct schema_object *obj = objects;

	return schema_object_identity_cmp(&obj[*(const size_t *)pa], &obj[*(const size_t *)pb]);
}

void schema_index_init(struct schema_index *ix, const struct schema_model *m)
{
	ix->m = m;
	ix->by_identity = xmalloc((m->nr ? m->nr : 1) * sizeof(size_t));
	for (size_t i = 0; i < m->nr; i++)
		ix->by_identity[i] = i;
	qsort_r(ix->by_identity, m->nr, sizeof(size_t), identity_index_cmp, m->obj);
}

size_t schema_index_find(const struct schema_index *ix, const struct schema_object *key)
{
	size_t lo = 0, hi = ix->m->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = schema_object_identity_cmp(&ix->m->obj[ix->by_identity[mid]], key);
		if (!c)
			return ix->by_identity[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

void schema_index_release(struct schema_index *ix)
{
	free(ix->by_identity);
	ix->by_identity = NULL;
}

#include "../compat.h"
#include "target.h"
#include "source.h"
#include "history.h"
#include "version.h"
#include "../util/util.h"
#include "../util/strbuf.h"
#include "../util/out.h"

void target_release(struct target *t)
{
	free(t->version);
	t->version = NULL;
}

int target_parse(const char *arg, const struct source *src,
		 const struct history *h, struct target *t)
{
	char *norm;
	const char *match = NULL;
	size_t nmatch = 0;
	struct strbuf cands = STRBUF_INIT;

	memset(t, 0, sizeof(*t));
	if (!arg || !strcmp(arg, "head")) {
		t->kind = TARGET_HEAD;
		return 0;
	}
	if (!strcmp(arg, "base")) {
		t->kind = TARGET_BASE;
		return 0;
	}
	if (arg[0] == '+' || arg[0] == '-') {
		char *end;
		long n;
		errno = 0;
		n = strtol(arg + 1, &end, 10);
		if (!arg[1] || *end || errno || n <= 0 || arg[1] < '0' || arg[1] > '9')
			return error("invalid target '%s': relative steps are +N or -N with N > 0", arg);
		t->kind = TARGET_RELATIVE;
		t->steps = arg[0] == '-' ? -n : n;
		return 0;
	}
	norm = version_normalize(arg, strlen(arg));
	if (!norm)
		return error("invalid target '%s': expected head, base, +N, -N or a version", arg);
	/* an exact version first */
	if (source_find(src, norm) >= 0 || (h && history_find(h, norm))) {
		t->kind = TARGET_VERSION;
		t->version = norm;
		return 0;
	}
	free(norm);
	/* then a unique prefix of the versions as written */
	for (size_t i = 0; i < src->nr; i++) {
		if (version_has_prefix(src->m[i].raw_version, arg)) {
			if (nmatch < 5)
				strbuf_addf(&cands, "%s%s", nmatch ? ", " : "", src->m[i].raw_version);
			match = src->m[i].version;
			nmatch++;
		}
	}
	for (size_t i = 0; h && i < h->nr; i++) {
		if (source_find(src, h->a[i].version) >= 0)
			continue;
		if (version_has_prefix(h->a[i].version, arg)) {
			if (nmatch < 5)
				strbuf_addf(&cands, "%s%s", nmatch ? ", " : "", h->a[i].version);
			match = h->a[i].version;
			nmatch++;
		}
	}
	if (nmatch == 1) {
		t->kind = TARGET_VERSION;
		t->version = xstrdup(match);
		strbuf_release(&cands);
		return 0;
	}
	if (nmatch > 1) {
		error("version prefix '%s' is ambiguous: %s%s", arg, cands.buf,
		      nmatch > 5 ? ", ..." : "");
		strbuf_release(&cands);
		return -1;
	}
	strbuf_release(&cands);
	return error("no migration has version '%s'", arg);
}

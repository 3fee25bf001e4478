#include "../compat.h"
#include "version.h"
#include "../util/util.h"

char *version_normalize(const char *s, size_t n)
{
	char *v = xmalloc(n + 2);
	size_t k = 0;
	bool digit = false;

	/* '-' only between digits: 2019-02-26-002946 */
	if (!n || s[0] == '-' || s[n - 1] == '-')
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			digit = true;
			if (k == 0 && s[i] == '0')
				continue;
			v[k++] = s[i];
		} else if (s[i] != '-') {
			goto bad;
		}
	}
	if (!digit)
		goto bad;
	if (!k)
		v[k++] = '0';
	v[k] = '\0';
	return v;
bad:
	free(v);
	return NULL;
}

int version_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

bool version_has_prefix(const char *raw, const char *prefix)
{
	const char *p = prefix, *r = raw;

	while (*p) {
		if (*p == '-') {
			p++;
			continue;
		}
		while (*r == '-')
			r++;
		if (*r != *p)
			return false;
		r++, p++;
	}
	return true;
}

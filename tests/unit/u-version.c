/* Versions: normalisation, numeric order of any length, prefixes. */
#include "unit.h"
#include "core/version.h"

static void normalize(void **state)
{
	(void)state;
	struct { const char *in, *out; } ok[] = {
		{ "1", "1" }, { "0001", "1" }, { "0", "0" }, { "000", "0" },
		{ "2019-02-26-002946", "20190226002946" },
		{ "1733759000000", "1733759000000" },
		{ "123456789012345678901234567890", "123456789012345678901234567890" },
	};
	const char *bad[] = { "", "-1", "1-", "1a", "a1", "--", "1.2", "1 2" };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *v = version_normalize(ok[i].in, strlen(ok[i].in));
		assert_non_null(v);
		assert_string_equal(v, ok[i].out);
		free(v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_null(version_normalize(bad[i], strlen(bad[i])));
}

static void order(void **state)
{
	(void)state;
	assert_true(version_cmp("2", "10") < 0);
	assert_true(version_cmp("10", "2") > 0);
	assert_int_equal(version_cmp("20250101", "20250101"), 0);
	/* 30 digits: no bigint overflow */
	assert_true(version_cmp("99999999999999999999999999999",
				"100000000000000000000000000000") < 0);
	assert_true(version_cmp("1733759000000", "20250123000001") < 0);
}

static void prefix(void **state)
{
	(void)state;
	assert_true(version_has_prefix("2019-02-26-002946", "20190226"));
	assert_true(version_has_prefix("2019-02-26-002946", "2019-02"));
	assert_true(version_has_prefix("0001", "00"));
	assert_false(version_has_prefix("0001", "1"));
	assert_false(version_has_prefix("2025", "20251"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalize),
		cmocka_unit_test(order),
		cmocka_unit_test(prefix),
	};
	return RUN_TESTS(tests);
}

/* Reading a child's --json document: validity, members, strings, numbers. */
#include "unit.h"
#include "util/jsonread.h"
#include "util/strbuf.h"
#include "util/json.h"

static void valid(void **state)
{
	(void)state;
	assert_true(jsonr_valid("{}"));
	assert_true(jsonr_valid(" {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {}} \n"));
	assert_true(jsonr_valid("\"\\u00e9\\ud83d\\ude00\""));
	assert_false(jsonr_valid(""));
	assert_false(jsonr_valid("{"));
	assert_false(jsonr_valid("{\"a\" 1}"));
	assert_false(jsonr_valid("{\"a\": 1,}"));
	assert_false(jsonr_valid("[01]"));
	assert_false(jsonr_valid("{} {}"));		/* two documents */
	assert_false(jsonr_valid("\"raw\tcontrol\""));
	assert_false(jsonr_valid("tru"));
	assert_false(jsonr_valid(NULL));
}

static void members(void **state)
{
	const char *doc = "{\"command\": \"up\", \"nested\": {\"from\": \"x\"}, \"from\": \"base\","
			  " \"n\": 42, \"none\": null, \"error\": {\"message\": \"a \\\"b\\\"\\nc\"}}";
	struct strbuf sb = STRBUF_INIT;
	long long n = 0;
	(void)state;

	/* a key of a nested object is not a member of the outer one */
	assert_int_equal(jsonr_string(jsonr_member(doc, "from"), &sb), 0);
	assert_string_equal(sb.buf, "base");
	strbuf_reset(&sb);
	assert_int_equal(jsonr_string(jsonr_member(jsonr_member(doc, "error"), "message"), &sb), 0);
	assert_string_equal(sb.buf, "a \"b\"\nc");
	assert_int_equal(jsonr_int(jsonr_member(doc, "n"), &n), 0);
	assert_int_equal(n, 42);
	assert_true(jsonr_is_null(jsonr_member(doc, "none")));
	assert_true(jsonr_is_null(jsonr_member(doc, "absent")));
	assert_null(jsonr_member(doc, "absent"));
	assert_null(jsonr_member("[1]", "a"));
	/* not a string: nothing added */
	strbuf_reset(&sb);
	assert_int_equal(jsonr_string(jsonr_member(doc, "n"), &sb), -1);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
}

/* What strata's own writer escapes, the reader gives back. */
static void round_trip(void **state)
{
	const char *text = "tab\there \"quoted\" back\\slash \x01 caf\xc3\xa9 \xf0\x9f\x98\x80";
	struct strbuf doc = STRBUF_INIT, back = STRBUF_INIT;
	struct json j;
	(void)state;

	json_init(&j, &doc);
	json_obj_begin(&j);
	json_kstr(&j, "message", text);
	json_obj_end(&j);
	assert_true(jsonr_valid(doc.buf));
	assert_int_equal(jsonr_string(jsonr_member(doc.buf, "message"), &back), 0);
	assert_string_equal(back.buf, text);
	strbuf_release(&doc);
	strbuf_release(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid),
		cmocka_unit_test(members),
		cmocka_unit_test(round_trip),
	};
	return RUN_TESTS(tests);
}

/*
 * tests/unit/test_smtp.c: pins the SMTP reply parser of backend/smtp.c
 * (multi-line replies classified on the last line, codes of exactly three
 * digits, enhanced codes kept only when their class matches, long lines
 * cut and flagged, 421 seen on any line) and the verification-cache key
 * and value of backend/memcache.c that the filter shares (DESIGN §7).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

static int feed(struct smtp_reply *r, const char *line)
{
	char why[200];

	return smtp_reply_line(r, line, strlen(line), why, sizeof(why));
}

static void test_reply_multiline_classified_on_last_line(void **state)
{
	struct smtp_reply r;

	(void)state;
	smtp_reply_init(&r);
	assert_int_equal(feed(&r, "550-5.1.1 The email account that you tried to reach does not exist."), 0);
	assert_int_equal(r.code, 0);
	assert_int_equal(feed(&r, "550-5.1.1 Please try"), 0);
	assert_int_equal(feed(&r, "550 5.1.1 user unknown"), 1);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.dsn, "5.1.1");
	assert_int_equal(r.lines, 3);
	assert_string_equal(r.text.data, "5.1.1 The email account that you tried to reach does not exist.\n"
					 "5.1.1 Please try\n5.1.1 user unknown");
	assert_false(r.saw_421);
	smtp_reply_free(&r);
}

static void test_reply_code_must_be_three_digits(void **state)
{
	struct smtp_reply r;

	(void)state;
	smtp_reply_init(&r);
	assert_int_equal(feed(&r, "25 ok"), -1);
	smtp_reply_reset(&r);
	assert_int_equal(feed(&r, "2500 ok"), -1);
	smtp_reply_reset(&r);
	assert_int_equal(feed(&r, "HELLO THERE"), -1);
	smtp_reply_reset(&r);
	assert_int_equal(feed(&r, "650 no such class"), -1);
	smtp_reply_reset(&r);
	assert_int_equal(feed(&r, "250"), 1);
	assert_int_equal(r.code, 250);
	assert_string_equal(r.dsn, "");
	smtp_reply_free(&r);
}

static void test_reply_enhanced_code_only_when_class_matches(void **state)
{
	struct smtp_reply r;

	(void)state;
	smtp_reply_init(&r);
	assert_int_equal(feed(&r, "550 2.1.5 odd"), 1);
	assert_string_equal(r.dsn, "");
	smtp_reply_reset(&r);
	assert_int_equal(feed(&r, "452 4.5.3 Too many recipients"), 1);
	assert_string_equal(r.dsn, "4.5.3");
	smtp_reply_reset(&r);
	assert_int_equal(feed(&r, "250 2.1.5x not a code"), 1);
	assert_string_equal(r.dsn, "");
	smtp_reply_reset(&r);
	assert_int_equal(feed(&r, "250 2.1.500 Ok"), 1);
	assert_string_equal(r.dsn, "2.1.500");
	smtp_reply_free(&r);
}

static void test_reply_long_line_cut_and_flagged(void **state)
{
	struct smtp_reply r;
	char line[5005];

	(void)state;
	memcpy(line, "250 ", 4);
	memset(line + 4, 'x', 5000);
	line[5004] = '\0';
	smtp_reply_init(&r);
	assert_int_equal(feed(&r, line), 1);
	assert_int_equal(r.code, 250);
	assert_true(r.truncated);
	assert_int_equal(r.text.len, SMTP_LINE_MAX - 4);
	smtp_reply_free(&r);
}

static void test_reply_421_on_any_line(void **state)
{
	struct smtp_reply r;

	(void)state;
	smtp_reply_init(&r);
	assert_int_equal(feed(&r, "421-4.7.0 closing"), 0);
	assert_int_equal(feed(&r, "250 ok"), 1);
	assert_true(r.saw_421);
	smtp_reply_free(&r);
}

static void test_state_names_round_trip(void **state)
{
	(void)state;
	for (int s = CA_VALID; s <= CA_ERROR; s++) {
		const char *n = ca_state_name((enum ca_state)s);
		assert_int_equal(ca_state_parse(n, strlen(n)), s);
	}
	assert_string_equal(ca_state_name(CA_ACCEPT_ALL), "accept-all");
	assert_int_equal(ca_state_parse("valid ", 6), -1);
}

static void test_schema_key_lowercases_and_escapes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	mc_schema_key("", "ca:", 'r', "John Doe%1@Example.ORG", 22, &b);
	assert_string_equal(b.data, "ca:r:john%20doe%251@example.org");
	buf_reset(&b);
	mc_schema_key("md:", "ca:", 'd', "Example.org", 11, &b);
	assert_string_equal(b.data, "ca:d:example.org");
	buf_free(&b);
}

static void test_schema_key_long_becomes_sha1(void **state)
{
	struct buf b;
	char addr[300];

	(void)state;
	memset(addr, 'a', 280);
	memcpy(addr + 280, "@example.org", 13);
	buf_init(&b);
	mc_schema_key("", "ca:", 'r', addr, strlen(addr), &b);
	/* sha1("ca:r:" + 280 'a' + "@example.org"), from sha1sum(1) */
	assert_string_equal(b.data, "ca:h:8995e6324aee74bb12602465c6a830c52fd15d04");
	buf_free(&b);
}

static void test_schema_value_round_trips(void **state)
{
	struct buf b;
	struct mc_schema s;

	(void)state;
	buf_init(&b);
	mc_schema_value("invalid", 550, "5.1.1", 1764000000, "mx1.example.org", "User unknown\nin table\x1b[2J", 25,
			&b);
	assert_string_equal(b.data, "invalid 550 5.1.1 1764000000 mx1.example.org User unknown in table\\x1b[2J");
	assert_true(mc_schema_parse(b.data, b.len, &s));
	assert_string_equal(s.state, "invalid");
	assert_int_equal(s.code, 550);
	assert_int_equal(s.when, 1764000000);
	buf_reset(&b);
	mc_schema_value("accept-all", 250, "", 1, NULL, NULL, 0, &b);
	assert_string_equal(b.data, "accept-all 250 - 1 - -");
	buf_free(&b);
	assert_int_equal(mc_exptime(604800, 1000), 604800);
	assert_int_equal(mc_exptime(2592001, 1000), 2593001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_multiline_classified_on_last_line),
		cmocka_unit_test(test_reply_code_must_be_three_digits),
		cmocka_unit_test(test_reply_enhanced_code_only_when_class_matches),
		cmocka_unit_test(test_reply_long_line_cut_and_flagged),
		cmocka_unit_test(test_reply_421_on_any_line),
		cmocka_unit_test(test_state_names_round_trip),
		cmocka_unit_test(test_schema_key_lowercases_and_escapes),
		cmocka_unit_test(test_schema_key_long_becomes_sha1),
		cmocka_unit_test(test_schema_value_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/unit/test_digits.c: pins backend/digits.c against values computed
 * independently: the first 500 Fibonacci numbers (F1 = F2 = 1; past 2^64,
 * so digits come from decimal strings), their F1 and F2 tests, the
 * continuity-correction rule, the incomplete gamma function, Nigrini's
 * conformity bands, and the RFC 2047 subject lengths the Benford plugin
 * counts (mime_decode_header + utf8_codepoints).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

/* F1..F500 as decimal strings, by schoolbook addition. */
static char **fibonacci(size_t n)
{
	char **v = xcalloc(n, sizeof(char *));
	char a[200] = "1", b[200] = "1", c[200];

	for (size_t i = 0; i < n; i++) {
		v[i] = xstrdup(i == 0 ? a : b);
		if (i == 0)
			continue;
		/* c = a + b, right-aligned */
		size_t la = strlen(a), lb = strlen(b), lc = (la > lb ? la : lb) + 1;
		int carry = 0;
		c[lc] = '\0';
		for (size_t k = 0; k < lc; k++) {
			int da = k < la ? a[la - 1 - k] - '0' : 0, db = k < lb ? b[lb - 1 - k] - '0' : 0;
			int s = da + db + carry;
			c[lc - 1 - k] = (char)('0' + s % 10);
			carry = s / 10;
		}
		char *p = c;
		while (p[0] == '0' && p[1] != '\0')
			p++;
		strcpy(a, b);
		strcpy(b, p);
	}
	return v;
}

static struct digits *fib_digits(bool keep)
{
	char **v = fibonacci(500);
	struct digits *d = digits_new(keep);

	for (size_t i = 0; i < 500; i++) {
		assert_int_equal(digits_add_dec(d, v[i], strlen(v[i])), DIGITS_OK);
		free(v[i]);
	}
	free(v);
	return d;
}

static void test_fibonacci_strings_are_right(void **st)
{
	(void)st;
	char **v = fibonacci(500);
	assert_string_equal(v[0], "1");
	assert_string_equal(v[1], "1");
	assert_string_equal(v[9], "55");
	assert_string_equal(v[99], "354224848179261915075");
	assert_int_equal(strlen(v[499]), 105);
	for (size_t i = 0; i < 500; i++)
		free(v[i]);
	free(v);
}

static void test_f1_fibonacci_counts_and_statistics(void **st)
{
	(void)st;
	struct digits *d = fib_digits(false);
	struct digit_result r;
	static const int want[9] = { 151, 88, 63, 47, 40, 33, 29, 27, 22 };

	assert_int_equal(digits_result(d, DT_F1, &r), 0);
	assert_int_equal(r.n, 500);
	assert_int_equal(r.nbins, 9);
	for (int i = 0; i < 9; i++) {
		char label[2] = { (char)('1' + i), '\0' };
		assert_string_equal(r.bins[i].label, label);
		assert_int_equal((int)r.bins[i].count, want[i]);
	}
	assert_true(r.has_chi2);
	assert_int_equal(r.df, 8);
	assert_float_equal(r.chi2, 0.173719, 5e-6);
	assert_float_equal(r.mad, 0.00126790, 5e-8);
	assert_float_equal(r.ks, 0.001940, 5e-6);
	assert_float_equal(r.ks_crit, 1.36 / sqrt(500), 1e-9);
	assert_float_equal(r.chi2_crit, 15.5073, 1e-4);
	assert_true(r.p > 0.9999 && r.p < 1.0);
	assert_string_equal(r.conformity, "close conformity");
	/* expected counts: 500 * log10(2) for digit 1 */
	assert_float_equal(r.bins[0].expected, 150.51499783, 1e-6);
	assert_float_equal(r.bins[0].ep, 0.30103, 1e-5);
	digits_result_free(&r);
	digits_free(d);
}

static void test_z_without_correction_when_half_over_n_exceeds_diff(void **st)
{
	(void)st;
	struct digits *d = fib_digits(false);
	struct digit_result r;

	assert_int_equal(digits_result(d, DT_F1, &r), 0);
	/* |0.302 - 0.30103| = 0.00097 < 1/(2*500) = 0.001: no correction */
	assert_float_equal(r.bins[0].z, 0.0473, 5e-5);
	assert_false(r.bins[0].flagged);
	digits_result_free(&r);
	digits_free(d);
}

static void test_z_with_correction_when_diff_is_larger(void **st)
{
	(void)st;
	double z;
	bool flagged;

	/* 200 of 500 where 0.30103 expected: (0.4 - 0.30103 - 0.001) / sqrt(ep(1-ep)/n) */
	digits_bin_z(200, 500, 0.30103, &z, &flagged);
	assert_float_equal(z, (0.4 - 0.30103 - 0.001) / sqrt(0.30103 * 0.69897 / 500), 1e-9);
	assert_float_equal(z, 4.7758, 1e-3);
	assert_true(flagged);
}

static void test_f2_fibonacci_over_ten(void **st)
{
	(void)st;
	struct digits *d = fib_digits(false);
	struct digit_result r;

	assert_int_equal(digits_result(d, DT_F2, &r), 0);
	assert_int_equal(r.n, 494);
	assert_int_equal(r.nbins, 90);
	assert_string_equal(r.bins[0].label, "10");
	assert_string_equal(r.bins[89].label, "99");
	assert_int_equal(r.df, 89);
	assert_float_equal(r.chi2, 5.399652, 5e-6);
	assert_float_equal(r.mad, 0.00081474, 5e-8);
	assert_float_equal(r.chi2_crit, 112.0220, 1e-3);
	assert_string_equal(r.conformity, "close conformity");
	digits_result_free(&r);
	digits_free(d);
}

static void test_other_tests_use_their_own_n(void **st)
{
	(void)st;
	struct digits *d = fib_digits(true);
	struct digit_result r;

	assert_int_equal(digits_result(d, DT_SD, &r), 0);
	assert_int_equal(r.n, 494);
	assert_int_equal(r.nbins, 10);
	assert_float_equal(r.bins[0].ep, 0.11968, 1e-5); /* Nigrini table 5.1 */
	digits_result_free(&r);
	assert_int_equal(digits_result(d, DT_F3, &r), 0);
	assert_int_equal(r.n, 489); /* F12 = 144 is the first with three digits */
	assert_int_equal(r.nbins, 900);
	digits_result_free(&r);
	assert_int_equal(digits_result(d, DT_L2, &r), 0);
	assert_int_equal(r.n, 484); /* F17 = 1597 is the first with four digits */
	assert_string_equal(r.bins[5].label, "05");
	assert_float_equal(r.bins[5].ep, 0.01, 1e-12);
	digits_result_free(&r);
	assert_int_equal(digits_result(d, DT_DUP, &r), 0);
	assert_int_equal(r.n, 500);
	assert_int_equal(r.distinct, 499); /* 1 twice */
	assert_string_equal(r.bins[0].label, "1");
	assert_int_equal((int)r.bins[0].count, 2);
	/* the top 20; ties in count by value */
	assert_int_equal(r.nbins, DIGITS_DUP_TOP);
	assert_string_equal(r.bins[1].label, "2");
	assert_string_equal(r.bins[19].label, "10946"); /* F21 */
	assert_int_equal((int)r.bins[19].count, 1);
	digits_result_free(&r);
	assert_int_equal(digits_result(d, DT_SECOND_ORDER, &r), 0);
	assert_int_equal(r.n, 498); /* 499 differences, the zero one dropped */
	assert_null(r.conformity);
	digits_result_free(&r);
	digits_free(d);
}

static void test_summation_and_second_order_small(void **st)
{
	(void)st;
	struct digits *d = digits_new(true);

	/* 10, 10, 20, 45: summation bins 10 -> 20, 20 -> 20, 45 -> 45 of 85 */
	digits_add_u64(d, 10);
	digits_add_u64(d, 10);
	digits_add_u64(d, 20);
	digits_add_u64(d, 45);
	struct digit_result r;
	assert_int_equal(digits_result(d, DT_SUMMATION, &r), 0);
	assert_int_equal(r.n, 4);
	assert_float_equal(r.total, 85, 1e-9);
	assert_float_equal(r.bins[0].sum, 20, 1e-9);
	assert_float_equal(r.bins[35].sum, 45, 1e-9);
	assert_float_equal(r.bins[35].ap, 45.0 / 85, 1e-9);
	assert_float_equal(r.bins[0].expected, 85.0 / 90, 1e-9);
	assert_false(r.has_chi2);
	digits_result_free(&r);
	/* sorted 10 10 20 45: differences 0 (dropped), 10, 25 */
	assert_int_equal(digits_result(d, DT_SECOND_ORDER, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal((int)r.bins[0].count, 1);  /* 10 */
	assert_int_equal((int)r.bins[15].count, 1); /* 25 */
	digits_result_free(&r);
	digits_free(d);
}

static void test_values_refused_with_reasons(void **st)
{
	(void)st;
	struct digits *d = digits_new(false);

	digits_set_min(d, 10);
	assert_int_equal(digits_add_dec(d, "abc", 3), DIGITS_NAN);
	assert_int_equal(digits_add_dec(d, "", 0), DIGITS_NAN);
	assert_int_equal(digits_add_dec(d, "1e5", 3), DIGITS_NAN);
	assert_int_equal(digits_add_dec(d, "0", 1), DIGITS_ZERO);
	assert_int_equal(digits_add_dec(d, "0.000", 5), DIGITS_ZERO);
	assert_int_equal(digits_add_dec(d, "-12", 3), DIGITS_NEGATIVE);
	assert_int_equal(digits_add_dec(d, "9.99", 4), DIGITS_BELOW_MIN);
	assert_int_equal(digits_add_dec(d, " 10\n", 4), DIGITS_OK);
	assert_int_equal(digits_add_dec(d, "0.0456", 6), DIGITS_BELOW_MIN);
	assert_int_equal(digits_count(d), 1);
	digits_free(d);
	/* decimals: digits are the significant ones */
	d = digits_new(false);
	assert_int_equal(digits_add_dec(d, "0.0456", 6), DIGITS_OK);
	assert_int_equal(digits_add_dec(d, "1123.5", 6), DIGITS_OK);
	/* below 1000: not in L2 (its last two digits are its first ones) */
	assert_int_equal(digits_add_dec(d, "45", 2), DIGITS_OK);
	assert_int_equal(digits_add_dec(d, "123", 3), DIGITS_OK);
	struct digit_result r;
	digits_result(d, DT_F1, &r);
	assert_int_equal((int)r.bins[3].count, 2); /* 0.0456 and 45 */
	assert_int_equal((int)r.bins[0].count, 2); /* 1123.5 and 123 */
	digits_result_free(&r);
	digits_result(d, DT_L2, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal((int)r.bins[23].count, 1);
	digits_result_free(&r);
	digits_free(d);
}

static void test_incomplete_gamma_known_values(void **st)
{
	(void)st;
	/* Q(1, x) = exp(-x); chi-square upper tails from tables */
	assert_float_equal(digits_gammq(1, 2), exp(-2), 1e-12);
	assert_float_equal(digits_gammq(1, 0.1), exp(-0.1), 1e-12);
	assert_float_equal(digits_chi2_p(15.5073, 8), 0.05, 1e-5);
	assert_float_equal(digits_chi2_p(3.841459, 1), 0.05, 1e-6);
	assert_float_equal(digits_chi2_p(112.022, 89), 0.05, 1e-5);
	assert_float_equal(digits_chi2_crit(899, 0.05), 969.865, 0.01); /* Nigrini: 969.9 */
	assert_float_equal(digits_chi2_p(0, 5), 1, 1e-12);
}

static void test_conformity_bounds_inclusive(void **st)
{
	(void)st;
	assert_string_equal(digits_conformity(DT_F1, 0.006), "close conformity");
	assert_string_equal(digits_conformity(DT_F1, 0.0061), "acceptable conformity");
	assert_string_equal(digits_conformity(DT_F1, 0.015), "marginally acceptable conformity");
	assert_string_equal(digits_conformity(DT_F1, 0.0151), "nonconformity");
	assert_string_equal(digits_conformity(DT_SD, 0.010), "acceptable conformity");
	assert_string_equal(digits_conformity(DT_F2, 0.0022), "marginally acceptable conformity");
	assert_string_equal(digits_conformity(DT_F3, 0.00037), "acceptable conformity");
	assert_string_equal(digits_conformity(DT_F3, 0.00051), "nonconformity");
	assert_null(digits_conformity(DT_L2, 0.001));
}

static void test_mantissa_of_geometric_sequence(void **st)
{
	(void)st;
	struct digits *d = digits_new(false);
	struct digits_mantissa m;

	/* 2^k, k = 0..59: mantissas k*log10(2) mod 1 are equidistributed */
	char b[400];
	for (int k = 0; k < 60; k++) {
		snprintf(b, sizeof(b), "%.0Lf", powl(2.0L, k));
		assert_int_equal(digits_add_dec(d, b, strlen(b)), DIGITS_OK);
	}
	digits_mantissa(d, &m);
	assert_int_equal(m.n, 60);
	assert_true(fabs(m.mean - 0.5) < 0.05);
	assert_true(fabs(m.var - 1.0 / 12) < 0.01);
	assert_true(m.arc_p > 0.05);
	digits_free(d);
	/* all the same mantissa: arc length 1, p tiny, variance 0 */
	d = digits_new(false);
	for (int i = 0; i < 100; i++)
		digits_add_dec(d, "300", 3);
	digits_mantissa(d, &m);
	assert_float_equal(m.mean, log10(3), 1e-12);
	assert_float_equal(m.var, 0, 1e-12);
	assert_float_equal(m.arc_l2, 1, 1e-9);
	assert_true(m.arc_p < 1e-40);
	/* distortion factor: 30 collapsed against EM ~ 39.09 */
	assert_int_equal(m.df_n, 100);
	assert_float_equal(m.df, (30 - 90.0 / (100 * (pow(10, 0.01) - 1))) / (90.0 / (100 * (pow(10, 0.01) - 1))) * 100,
			   1e-6);
	digits_free(d);
}

/* The distortion factor takes the values >= 10 only: 5 is left out
 * (reference values computed independently). */
static void test_distortion_factor_values_from_ten(void **st)
{
	(void)st;
	struct digits *d = digits_new(false);
	struct digits_mantissa m;

	digits_add_u64(d, 5);
	digits_add_u64(d, 10);
	digits_add_u64(d, 20);
	digits_add_u64(d, 50);
	digits_mantissa(d, &m);
	assert_int_equal(m.n, 4);
	assert_int_equal(m.df_n, 3);
	assert_float_equal(m.df, 2.6164168917, 1e-8); /* AM 26.6667, EM 25.98675 */
	assert_float_equal(m.df_z, 0.0710030081, 1e-8);
	digits_free(d);
	/* nothing >= 10: no distortion factor at all */
	d = digits_new(false);
	digits_add_u64(d, 3);
	digits_mantissa(d, &m);
	assert_int_equal(m.df_n, 0);
	assert_float_equal(m.df, 0, 0);
	digits_free(d);
}

/* The chart's band is where digits_bin_z does not flag a bin. */
static void test_band_matches_the_flag(void **st)
{
	(void)st;
	double lo, hi, z;
	bool flagged;
	double ep = log10(2), n = 500;

	digits_band(ep, n, &lo, &hi);
	assert_float_equal(lo, 0.2598226666, 1e-9);
	assert_float_equal(hi, 0.3422373248, 1e-9);
	digits_bin_z((hi + 0.001) * n, n, ep, &z, &flagged);
	assert_true(flagged);
	digits_bin_z((hi - 0.001) * n, n, ep, &z, &flagged);
	assert_false(flagged);
	digits_bin_z((lo - 0.001) * n, n, ep, &z, &flagged);
	assert_true(flagged);
	digits_bin_z((lo + 0.001) * n, n, ep, &z, &flagged);
	assert_false(flagged);
}

static size_t subject_len(const char *raw)
{
	struct buf b;

	buf_init(&b);
	mime_decode_header(raw, strlen(raw), &b);
	size_t n = utf8_codepoints(b.data, b.len);
	buf_free(&b);
	return n;
}

static void test_rfc2047_subject_lengths(void **st)
{
	(void)st;
	/* RFC 2047 section 8, folded, through the mail reader's unfolding */
	const char *msg = "From: a@example.org\r\n"
			  "Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
			  "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\r\n"
			  "\r\nbody\r\n";
	struct buf raw, dec;
	buf_init(&raw);
	buf_init(&dec);
	assert_true(mail_header(msg, strlen(msg), "Subject", &raw));
	mime_decode_header(raw.data, raw.len, &dec);
	assert_string_equal(dec.data, "If you can read this you understand the example.");
	assert_int_equal(utf8_codepoints(dec.data, dec.len), 48);
	buf_free(&raw);
	buf_free(&dec);
	assert_int_equal(subject_len("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?="), 5);
	assert_int_equal(subject_len("Re: =?UTF-8?B?w6Q=?= end"), 9);
	buf_init(&dec);
	const char *two = "=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=";
	mime_decode_header(two, strlen(two), &dec);
	assert_string_equal(dec.data, "a b");
	buf_free(&dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fibonacci_strings_are_right),
		cmocka_unit_test(test_f1_fibonacci_counts_and_statistics),
		cmocka_unit_test(test_z_without_correction_when_half_over_n_exceeds_diff),
		cmocka_unit_test(test_z_with_correction_when_diff_is_larger),
		cmocka_unit_test(test_f2_fibonacci_over_ten),
		cmocka_unit_test(test_other_tests_use_their_own_n),
		cmocka_unit_test(test_summation_and_second_order_small),
		cmocka_unit_test(test_values_refused_with_reasons),
		cmocka_unit_test(test_incomplete_gamma_known_values),
		cmocka_unit_test(test_conformity_bounds_inclusive),
		cmocka_unit_test(test_mantissa_of_geometric_sequence),
		cmocka_unit_test(test_distortion_factor_values_from_ten),
		cmocka_unit_test(test_band_matches_the_flag),
		cmocka_unit_test(test_rfc2047_subject_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

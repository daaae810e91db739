/*
 * tests/unit/test_util.c: pins the small shared helpers of backend/util.c
 * that the plugins lean on: config lists split into words, and the
 * counter behind every "top N" (mailq's domains, the doctor's offenders):
 * counts per key, keys with any bytes, order most first then by key, and
 * growth past its first table.
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

static void test_words_split_on_blanks_and_commas(void **state)
{
	(void)state;
	char **w;
	assert_int_equal(util_words(" a.example,b.example\tc ,, d ", &w), 4);
	assert_string_equal(w[0], "a.example");
	assert_string_equal(w[1], "b.example");
	assert_string_equal(w[2], "c");
	assert_string_equal(w[3], "d");
	assert_null(w[4]);
	util_words_free(w);
	assert_int_equal(util_words("", &w), 0);
	assert_null(w[0]);
	util_words_free(w);
	assert_int_equal(util_words(NULL, &w), 0);
	util_words_free(w);
}

static void test_counter_counts_and_sorts(void **state)
{
	(void)state;
	struct counter c = { 0 };
	const char *keys[] = { "b", "a", "c", "b", "a", "b", "z" };
	for (size_t i = 0; i < 7; i++)
		counter_add(&c, keys[i], strlen(keys[i]));
	counter_add(&c, "x\0y", 3); /* any bytes */
	assert_int_equal(c.n, 5);
	const struct count_slot **s = counter_sorted(&c);
	assert_non_null(s);
	assert_string_equal(s[0]->key, "b");
	assert_int_equal(s[0]->n, 3);
	assert_string_equal(s[1]->key, "a");
	assert_int_equal(s[1]->n, 2);
	/* ties by key: "c" < "x\0y" < "z" */
	assert_string_equal(s[2]->key, "c");
	assert_int_equal(s[3]->klen, 3);
	assert_memory_equal(s[3]->key, "x\0y", 3);
	assert_string_equal(s[4]->key, "z");
	free(s);
	counter_free(&c);
	assert_null(counter_sorted(&c));
}

static void test_counter_grows(void **state)
{
	(void)state;
	struct counter c = { 0 };
	char k[32];
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 5000; i++) {
			int n = snprintf(k, sizeof(k), "key%d", i);
			counter_add(&c, k, (size_t)n);
		}
	counter_add(&c, "key42", 5);
	assert_int_equal(c.n, 5000);
	const struct count_slot **s = counter_sorted(&c);
	assert_string_equal(s[0]->key, "key42");
	assert_int_equal(s[0]->n, 4);
	assert_int_equal(s[1]->n, 3);
	assert_int_equal(s[4999]->n, 3);
	free(s);
	counter_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_split_on_blanks_and_commas),
		cmocka_unit_test(test_counter_counts_and_sorts),
		cmocka_unit_test(test_counter_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the list widget's and the pager's models, over a view of
 * generated rows (no terminal needed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/ui.h"

struct model {
	size_t n;
	char text[64];
};

static const struct column mcols[] = {
	{ "name", "Name", COL_TEXT, 0, 0 },
	{ "size", "Size", COL_INT, 8, 0 },
};

static const struct column *m_cols(void *s, int *n)
{
	(void)s;
	*n = 2;
	return mcols;
}

static size_t m_count(void *s)
{
	return ((struct model *)s)->n;
}

/* Row i: name "user<i>", size (i * 7) % 10. */
static void m_row(void *s, size_t i, struct cell *cells)
{
	struct model *m = s;
	int len = snprintf(m->text, sizeof(m->text), "user%zu", i);

	cells[0] = cell_bytes(m->text, (size_t)len);
	cells[1] = cell_num((long long)((i * 7) % 10));
}

static const struct view mview = { .columns = m_cols, .row_count = m_count, .row = m_row };

static void test_list_without_filter_has_no_index(void **state)
{
	struct model m = { .n = 1000000 };
	struct list l;

	(void)state;
	list_init(&l, &mview, &m);
	assert_null(l.index);
	assert_int_equal(l.shown, 1000000);
	list_goto(&l, 999999, 20);
	assert_int_equal(l.cursor, 999999);
	assert_int_equal(l.top, 999999 - 19);
	list_free(&l);
}

static void test_list_filter_is_case_insensitive_and_keeps_row(void **state)
{
	struct model m = { .n = 200 };
	struct list l;

	(void)state;
	list_init(&l, &mview, &m);
	list_goto(&l, 150, 10);
	list_set_filter(&l, "USER15");
	/* user15, user150..user159 */
	assert_int_equal(l.shown, 11);
	assert_int_equal(list_row(&l, l.cursor), 150);
	list_set_filter(&l, "");
	assert_null(l.index);
	assert_int_equal(l.shown, 200);
	list_free(&l);
}

static void test_list_filter_matches_number_cells(void **state)
{
	struct model m = { .n = 20 };
	struct list l;

	(void)state;
	list_init(&l, &mview, &m);
	list_set_filter(&l, "9"); /* user9, user19, and rows of size 9: i=7,17 */
	assert_int_equal(l.shown, 4);
	list_free(&l);
}

static void test_list_sort_numeric_and_reverse(void **state)
{
	struct model m = { .n = 10 };
	struct list l;

	(void)state;
	list_init(&l, &mview, &m);
	/* sizes by row: 0 7 4 1 8 5 2 9 6 3 */
	list_set_sort(&l, 1, false);
	assert_int_equal(list_row(&l, 0), 0);
	assert_int_equal(list_row(&l, 1), 3);
	assert_int_equal(list_row(&l, 9), 7);
	list_set_sort(&l, 1, true);
	assert_int_equal(list_row(&l, 0), 7);
	assert_int_equal(list_row(&l, 9), 0);
	list_free(&l);
}

static void test_list_sort_text_is_stable(void **state)
{
	struct model m = { .n = 12 };
	struct list l;

	(void)state;
	list_init(&l, &mview, &m);
	list_set_sort(&l, 0, false);
	/* user0, user1, user10, user11, user2, ... */
	assert_int_equal(list_row(&l, 0), 0);
	assert_int_equal(list_row(&l, 1), 1);
	assert_int_equal(list_row(&l, 2), 10);
	assert_int_equal(list_row(&l, 3), 11);
	assert_int_equal(list_row(&l, 4), 2);
	list_set_sort(&l, 0, true);
	assert_int_equal(list_row(&l, 0), 9);
	list_set_sort(&l, -1, false);
	assert_null(l.index);
	list_free(&l);
}

static void test_list_find_wraps(void **state)
{
	struct model m = { .n = 100 };
	struct list l;

	(void)state;
	list_init(&l, &mview, &m);
	list_goto(&l, 50, 10);
	assert_true(list_find(&l, "user4", 1, 10)); /* wraps to user4 */
	assert_int_equal(l.cursor, 4);
	assert_true(list_find(&l, "user4", 1, 10));
	assert_int_equal(l.cursor, 40);
	assert_true(list_find(&l, "user4", -1, 10));
	assert_int_equal(l.cursor, 4);
	assert_false(list_find(&l, "nobody", 1, 10));
	list_free(&l);
}

static void test_list_move_clamps(void **state)
{
	struct model m = { .n = 5 };
	struct list l;

	(void)state;
	list_init(&l, &mview, &m);
	list_move(&l, -3, 3);
	assert_int_equal(l.cursor, 0);
	list_move(&l, 100, 3);
	assert_int_equal(l.cursor, 4);
	assert_int_equal(l.top, 2);
	m.n = 2;
	list_refresh(&l);
	assert_int_equal(l.cursor, 1);
	list_free(&l);
}

/* A view wider than the console draws (40 columns; the screen shows 32):
 * row() fills every cell it has, and the list must have room for them. */
#define WIDE 40
static struct column wide_columns[WIDE];

static const struct column *w_cols(void *s, int *n)
{
	(void)s;
	*n = WIDE;
	return wide_columns;
}

static size_t w_count(void *s)
{
	(void)s;
	return 3;
}

/* Rows 0..2: numbers in every column but the last, whose text is "hay"
 * except on row 1 ("needle"). */
static void w_row(void *s, size_t i, struct cell *cells)
{
	(void)s;
	for (int c = 0; c < WIDE - 1; c++)
		cells[c] = cell_num(1000 + c);
	cells[WIDE - 1] = cell_str(i == 1 ? "needle" : "hay");
}

static const struct view wview = { .columns = w_cols, .row_count = w_count, .row = w_row };

static void test_list_view_wider_than_screen(void **state)
{
	struct list l;

	(void)state;
	for (int c = 0; c < WIDE; c++)
		wide_columns[c] = (struct column){ "c", "C", c == WIDE - 1 ? COL_TEXT : COL_INT, 4, 0 };
	list_init(&l, &wview, NULL);
	assert_int_equal(l.ncells, WIDE);
	assert_int_equal(list_cells(&l, 1)[WIDE - 1].len, 6);
	list_set_filter(&l, "NEEDLE");
	assert_int_equal(l.shown, 1);
	assert_int_equal(list_row(&l, 0), 1);
	list_set_filter(&l, NULL);
	list_set_sort(&l, WIDE - 1, true);
	assert_int_equal(l.shown, 3);
	assert_int_equal(list_row(&l, 0), 1);
	list_free(&l);
}

static void test_pager_sanitises_and_expands_tabs(void **state)
{
	struct pager p;
	const char text[] = "a\tb\n\x1b[2Jx\r\nlast";

	(void)state;
	pager_init(&p, "t\x1b", text, sizeof(text) - 1);
	assert_int_equal(p.nlines, 3);
	assert_string_equal(p.lines[0], "a       b");
	assert_string_equal(p.lines[1], "\\x1b[2Jx");
	assert_string_equal(p.lines[2], "last");
	assert_string_equal(p.title, "t\\x1b");
	pager_free(&p);
}

static void test_pager_scroll_and_find(void **state)
{
	struct pager p;
	struct buf b;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 100; i++)
		buf_addf(&b, "line %d\n", i);
	pager_init(&p, "t", b.data, b.len);
	assert_int_equal(p.nlines, 100);
	pager_scroll(&p, 1000, 10);
	assert_int_equal(p.top, 90);
	pager_scroll(&p, -1000, 10);
	assert_int_equal(p.top, 0);
	assert_true(pager_find(&p, "LINE 42", 1, 10));
	assert_int_equal(p.top, 42);
	assert_false(pager_find(&p, "nope", 1, 10));
	pager_free(&p);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_without_filter_has_no_index),
		cmocka_unit_test(test_list_filter_is_case_insensitive_and_keeps_row),
		cmocka_unit_test(test_list_filter_matches_number_cells),
		cmocka_unit_test(test_list_sort_numeric_and_reverse),
		cmocka_unit_test(test_list_sort_text_is_stable),
		cmocka_unit_test(test_list_find_wraps),
		cmocka_unit_test(test_list_move_clamps),
		cmocka_unit_test(test_list_view_wider_than_screen),
		cmocka_unit_test(test_pager_sanitises_and_expands_tabs),
		cmocka_unit_test(test_pager_scroll_and_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * ui/list.c: the list widget's model, apart from drawing: an index of the
 * rows that pass the filter, in sort order, over a view that yields rows on
 * demand. With no filter and no sort there is no index at all, so a list
 * of a million rows opens at once.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui.h"

void list_init(struct list *l, const struct view *view, void *state)
{
	memset(l, 0, sizeof(*l));
	l->view = view;
	l->state = state;
	l->sort_col = -1;
	l->shown = view->row_count(state);
	/* A view's columns are fixed for the life of its state: row() writes
	 * that many cells, so the buffer is sized once, here. */
	view->columns(state, &l->ncells);
	if (l->ncells < 0)
		l->ncells = 0;
	l->cells = xcalloc((size_t)l->ncells + 1, sizeof(*l->cells));
}

void list_free(struct list *l)
{
	free(l->index);
	free(l->filter);
	free(l->search);
	free(l->cells);
	memset(l, 0, sizeof(*l));
}

size_t list_row(const struct list *l, size_t pos)
{
	return l->index != NULL ? l->index[pos] : pos;
}

const struct cell *list_cells(const struct list *l, size_t row)
{
	memset(l->cells, 0, ((size_t)l->ncells + 1) * sizeof(*l->cells));
	l->view->row(l->state, row, l->cells);
	return l->cells;
}

/* Case-insensitive (ASCII) search of needle in hay[0..len). */
static bool contains(const char *hay, size_t len, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	/* Look for the first byte in either case before comparing the rest:
	 * a filter over a million rows runs this for every row it keeps. */
	unsigned char lo = (unsigned char)needle[0], up = lo;
	if (lo >= 'A' && lo <= 'Z')
		lo = (unsigned char)(lo + 32);
	else if (lo >= 'a' && lo <= 'z')
		up = (unsigned char)(lo - 32);
	for (size_t i = 0; i + nlen <= len; i++) {
		unsigned char c = (unsigned char)hay[i];
		if ((c == lo || c == up) && strncasecmp(hay + i + 1, needle + 1, nlen - 1) == 0)
			return true;
	}
	return false;
}

bool list_row_matches(const struct list *l, size_t row, const char *pattern)
{
	size_t plen = strlen(pattern);
	char num[32];
	const struct cell *cells = list_cells(l, row);

	for (int i = 0; i < l->ncells; i++) {
		if (cells[i].text != NULL) {
			if (contains(cells[i].text, cells[i].len, pattern, plen))
				return true;
		} else if (!cells[i].null) {
			int n = snprintf(num, sizeof(num), "%lld", cells[i].num);
			if (contains(num, (size_t)n, pattern, plen))
				return true;
		}
	}
	return false;
}

struct sort_key {
	size_t row;
	char *text;
	double num;
};

static bool sort_desc_flag;

static int cmp_text(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	if (c == 0)
		c = x->row < y->row ? -1 : x->row > y->row;
	return sort_desc_flag ? -c : c;
}

static int cmp_num(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c = x->num < y->num ? -1 : x->num > y->num;

	if (c == 0)
		c = x->row < y->row ? -1 : x->row > y->row;
	return sort_desc_flag ? -c : c;
}

/* Rebuilds the index from scratch: filter, then sort. */
static void rebuild(struct list *l)
{
	size_t total = l->view->row_count(l->state);
	int ncols;
	const struct column *cols = l->view->columns(l->state, &ncols);

	free(l->index);
	l->index = NULL;
	if (l->filter == NULL && l->sort_col < 0) {
		l->shown = total;
		return;
	}
	l->index = xcalloc(total + 1, sizeof(size_t));
	l->shown = 0;
	for (size_t r = 0; r < total; r++)
		if (l->filter == NULL || list_row_matches(l, r, l->filter))
			l->index[l->shown++] = r;
	if (l->sort_col >= 0 && l->sort_col < ncols && l->sort_col < l->ncells && l->shown > 1) {
		struct sort_key *keys = xcalloc(l->shown, sizeof(*keys));
		bool numeric = cols[l->sort_col].type != COL_TEXT;

		for (size_t i = 0; i < l->shown; i++) {
			const struct cell *c = &list_cells(l, l->index[i])[l->sort_col];
			keys[i].row = l->index[i];
			keys[i].num = c->null ? -1 : cols[l->sort_col].type == COL_REAL ? c->real : (double)c->num;
			if (!numeric)
				keys[i].text = c->text != NULL ? xstrndup(c->text, c->len) : xstrdup("");
		}
		sort_desc_flag = l->sort_desc;
		util_sort(keys, l->shown, sizeof(*keys), numeric ? cmp_num : cmp_text);
		for (size_t i = 0; i < l->shown; i++) {
			l->index[i] = keys[i].row;
			free(keys[i].text);
		}
		free(keys);
	}
}

static void clamp(struct list *l)
{
	if (l->shown == 0) {
		l->cursor = l->top = 0;
		return;
	}
	if (l->cursor >= l->shown)
		l->cursor = l->shown - 1;
	if (l->top > l->cursor)
		l->top = l->cursor;
}

void list_refresh(struct list *l)
{
	rebuild(l);
	clamp(l);
}

void list_set_filter(struct list *l, const char *pattern)
{
	size_t keep = l->shown > 0 ? list_row(l, l->cursor) : 0;

	char *old = l->filter;
	l->filter = pattern != NULL && pattern[0] != '\0' ? xstrdup(pattern) : NULL;
	if (old != NULL && l->filter != NULL && l->index != NULL && strcasestr(l->filter, old) != NULL) {
		/* Typing on narrows what is shown: only those rows can match. */
		size_t n = 0;
		for (size_t i = 0; i < l->shown; i++)
			if (list_row_matches(l, l->index[i], l->filter))
				l->index[n++] = l->index[i];
		l->shown = n;
	} else {
		rebuild(l);
	}
	free(old);
	/* Stay on the same row when it still passes. */
	l->cursor = 0;
	for (size_t i = 0; i < l->shown; i++) {
		if (list_row(l, i) == keep) {
			l->cursor = i;
			break;
		}
	}
	l->top = 0;
	clamp(l);
}

void list_set_sort(struct list *l, int col, bool desc)
{
	l->sort_col = col;
	l->sort_desc = desc;
	rebuild(l);
	l->cursor = l->top = 0;
}

void list_goto(struct list *l, size_t pos, int height)
{
	if (l->shown == 0)
		return;
	l->cursor = pos < l->shown ? pos : l->shown - 1;
	if (height < 1)
		height = 1;
	if (l->cursor < l->top)
		l->top = l->cursor;
	else if (l->cursor >= l->top + (size_t)height)
		l->top = l->cursor - (size_t)height + 1;
}

void list_move(struct list *l, long delta, int height)
{
	if (l->shown == 0)
		return;
	size_t pos;
	if (delta < 0)
		pos = (size_t)-delta > l->cursor ? 0 : l->cursor - (size_t)-delta;
	else
		pos = l->cursor + (size_t)delta;
	list_goto(l, pos, height);
}

bool list_find(struct list *l, const char *pattern, int dir, int height)
{
	if (l->shown == 0 || pattern == NULL || pattern[0] == '\0')
		return false;
	for (size_t k = 1; k <= l->shown; k++) {
		size_t pos = dir > 0 ? (l->cursor + k) % l->shown : (l->cursor + l->shown - k % l->shown) % l->shown;

		if (list_row_matches(l, list_row(l, pos), pattern)) {
			list_goto(l, pos, height);
			return true;
		}
	}
	return false;
}

/*
 * ui/keys.c: every key binding of the console in one table, which is also
 * what the '?' help shows (as a list, filterable like any other).
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define CTRL(c) ((c) & 0x1f)

struct key_code {
	enum key_scope scope;
	int key;
	bool fkey;
	enum action action;
};

/* What the help shows: one line per action and scope. */
const struct key_binding key_table[] = {
	{ SCOPE_GLOBAL, "1 .. 9", ACT_TAB_N, "go to tab N" },
	{ SCOPE_GLOBAL, "Tab, Shift-Tab", ACT_TAB_NEXT, "next / previous tab" },
	{ SCOPE_GLOBAL, ":", ACT_PROMPT, "run a batch command (its output opens in the pager)" },
	{ SCOPE_GLOBAL, "?", ACT_HELP, "this help" },
	{ SCOPE_GLOBAL, "Ctrl-L", ACT_REDRAW, "redraw the screen" },
	{ SCOPE_GLOBAL, "r", ACT_REOPEN, "reload the tab" },
	{ SCOPE_GLOBAL, "q", ACT_QUIT, "back; quit from a tab" },
	{ SCOPE_LIST, "j, k, Down, Up", ACT_DOWN, "next / previous row" },
	{ SCOPE_LIST, "PgDn, PgUp, Space", ACT_PGDN, "next / previous page" },
	{ SCOPE_LIST, "g, G, Home, End", ACT_TOP, "first / last row" },
	{ SCOPE_LIST, "/", ACT_FILTER, "filter rows as you type (Enter keeps, Esc clears)" },
	{ SCOPE_LIST, "n, N", ACT_NEXT_MATCH, "next / previous row matching the last filter word" },
	{ SCOPE_LIST, "s, S", ACT_SORT, "sort by the next column / reverse the order" },
	{ SCOPE_LIST, "Enter", ACT_ENTER, "details of the row" },
	{ SCOPE_PAGER, "j, k, Down, Up", ACT_DOWN, "scroll a line" },
	{ SCOPE_PAGER, "PgDn, PgUp, Space, b", ACT_PGDN, "scroll a page" },
	{ SCOPE_PAGER, "g, G", ACT_TOP, "top / bottom" },
	{ SCOPE_PAGER, "Left, Right", ACT_LEFT, "scroll sideways" },
	{ SCOPE_PAGER, "/, n, N", ACT_SEARCH, "search, next, previous" },
	{ SCOPE_PAGER, "q, Esc", ACT_QUIT, "close the pager" },
	{ SCOPE_PROMPT, "Enter", ACT_ENTER, "run" },
	{ SCOPE_PROMPT, "Esc, Ctrl-C", ACT_CANCEL, "cancel" },
	{ SCOPE_PROMPT, "Up, Down", ACT_UP, "history" },
	{ SCOPE_PROMPT, "y", ACT_ENTER, "yes, to a question before a change (any other key cancels)" },
	{ SCOPE_GLOBAL, NULL, ACT_NONE, NULL },
};

/* What each key does; several keys may share one help line above. */
static const struct key_code codes[] = {
	{ SCOPE_GLOBAL, '\t', false, ACT_TAB_NEXT },
	{ SCOPE_GLOBAL, KEY_BTAB, true, ACT_TAB_PREV },
	{ SCOPE_GLOBAL, ':', false, ACT_PROMPT },
	{ SCOPE_GLOBAL, '?', false, ACT_HELP },
	{ SCOPE_GLOBAL, CTRL('l'), false, ACT_REDRAW },
	{ SCOPE_GLOBAL, 'r', false, ACT_REOPEN },
	{ SCOPE_GLOBAL, 'q', false, ACT_QUIT },
	{ SCOPE_LIST, 'j', false, ACT_DOWN },
	{ SCOPE_LIST, KEY_DOWN, true, ACT_DOWN },
	{ SCOPE_LIST, 'k', false, ACT_UP },
	{ SCOPE_LIST, KEY_UP, true, ACT_UP },
	{ SCOPE_LIST, KEY_NPAGE, true, ACT_PGDN },
	{ SCOPE_LIST, ' ', false, ACT_PGDN },
	{ SCOPE_LIST, CTRL('f'), false, ACT_PGDN },
	{ SCOPE_LIST, KEY_PPAGE, true, ACT_PGUP },
	{ SCOPE_LIST, CTRL('b'), false, ACT_PGUP },
	{ SCOPE_LIST, 'g', false, ACT_TOP },
	{ SCOPE_LIST, KEY_HOME, true, ACT_TOP },
	{ SCOPE_LIST, 'G', false, ACT_BOTTOM },
	{ SCOPE_LIST, KEY_END, true, ACT_BOTTOM },
	{ SCOPE_LIST, '/', false, ACT_FILTER },
	{ SCOPE_LIST, 'n', false, ACT_NEXT_MATCH },
	{ SCOPE_LIST, 'N', false, ACT_PREV_MATCH },
	{ SCOPE_LIST, 's', false, ACT_SORT },
	{ SCOPE_LIST, 'S', false, ACT_SORT_REVERSE },
	{ SCOPE_LIST, '\n', false, ACT_ENTER },
	{ SCOPE_LIST, '\r', false, ACT_ENTER },
	{ SCOPE_LIST, KEY_ENTER, true, ACT_ENTER },
	{ SCOPE_PAGER, 'j', false, ACT_DOWN },
	{ SCOPE_PAGER, KEY_DOWN, true, ACT_DOWN },
	{ SCOPE_PAGER, '\n', false, ACT_DOWN },
	{ SCOPE_PAGER, 'k', false, ACT_UP },
	{ SCOPE_PAGER, KEY_UP, true, ACT_UP },
	{ SCOPE_PAGER, KEY_NPAGE, true, ACT_PGDN },
	{ SCOPE_PAGER, ' ', false, ACT_PGDN },
	{ SCOPE_PAGER, CTRL('f'), false, ACT_PGDN },
	{ SCOPE_PAGER, KEY_PPAGE, true, ACT_PGUP },
	{ SCOPE_PAGER, 'b', false, ACT_PGUP },
	{ SCOPE_PAGER, CTRL('b'), false, ACT_PGUP },
	{ SCOPE_PAGER, 'g', false, ACT_TOP },
	{ SCOPE_PAGER, KEY_HOME, true, ACT_TOP },
	{ SCOPE_PAGER, 'G', false, ACT_BOTTOM },
	{ SCOPE_PAGER, KEY_END, true, ACT_BOTTOM },
	{ SCOPE_PAGER, KEY_LEFT, true, ACT_LEFT },
	{ SCOPE_PAGER, KEY_RIGHT, true, ACT_RIGHT },
	{ SCOPE_PAGER, '/', false, ACT_SEARCH },
	{ SCOPE_PAGER, 'n', false, ACT_NEXT_MATCH },
	{ SCOPE_PAGER, 'N', false, ACT_PREV_MATCH },
	{ SCOPE_PAGER, 'q', false, ACT_QUIT },
	{ SCOPE_PAGER, 27, false, ACT_QUIT },
	{ SCOPE_PROMPT, '\n', false, ACT_ENTER },
	{ SCOPE_PROMPT, '\r', false, ACT_ENTER },
	{ SCOPE_PROMPT, KEY_ENTER, true, ACT_ENTER },
	{ SCOPE_PROMPT, 27, false, ACT_CANCEL },
	{ SCOPE_PROMPT, CTRL('c'), false, ACT_CANCEL },
	{ SCOPE_PROMPT, CTRL('g'), false, ACT_CANCEL },
	{ SCOPE_PROMPT, KEY_UP, true, ACT_UP },
	{ SCOPE_PROMPT, KEY_DOWN, true, ACT_DOWN },
};

enum action keys_lookup(enum key_scope scope, int key, bool fkey)
{
	if (scope != SCOPE_PROMPT && !fkey && key >= '1' && key <= '9')
		return ACT_TAB_N;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].scope == scope && codes[i].key == key && codes[i].fkey == fkey)
			return codes[i].action;
	/* List and pager keys fall back to the global ones. */
	if (scope == SCOPE_LIST || scope == SCOPE_PAGER)
		for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (codes[i].scope == SCOPE_GLOBAL && codes[i].key == key && codes[i].fkey == fkey)
				return codes[i].action;
	return ACT_NONE;
}

const char *keys_scope_name(enum key_scope scope)
{
	switch (scope) {
	case SCOPE_GLOBAL:
		return "everywhere";
	case SCOPE_LIST:
		return "lists";
	case SCOPE_PAGER:
		return "pager";
	case SCOPE_PROMPT:
		return "prompts";
	}
	return "";
}

/* ---- the help list: the key table above, then each tab's own keys ---- */

struct help_row {
	const char *keys, *where, *help;
};

struct help_state {
	struct help_row *rows;
	size_t n;
};

static const struct column help_columns[] = {
	{ "keys", "Keys", COL_TEXT, 22, 0 },
	{ "where", "Where", COL_TEXT, 12, 0 },
	{ "action", "Action", COL_TEXT, 0, 0 },
};

static int help_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct help_state *h = xcalloc(1, sizeof(*h));
	size_t cap = 64;

	(void)ctx;
	(void)err;
	(void)errlen;
	h->rows = xcalloc(cap, sizeof(*h->rows));
	for (const struct key_binding *k = key_table; k->names != NULL; k++)
		h->rows[h->n++] = (struct help_row){ k->names, keys_scope_name(k->scope), k->help };
	for (const struct plugin *const *p = plugins; *p != NULL; p++) {
		if ((*p)->view == NULL || (*p)->view->keys == NULL)
			continue;
		for (const struct key_help *k = (*p)->view->keys; k->keys != NULL; k++) {
			if (h->n == cap) {
				cap *= 2;
				h->rows = xrealloc(h->rows, cap * sizeof(*h->rows));
			}
			h->rows[h->n++] = (struct help_row){ k->keys, (*p)->title, k->help };
		}
	}
	*state = h;
	return 0;
}

static const struct column *help_cols(void *state, int *ncols)
{
	(void)state;
	*ncols = 3;
	return help_columns;
}

static size_t help_count(void *state)
{
	return ((struct help_state *)state)->n;
}

static void help_row(void *state, size_t i, struct cell *cells)
{
	const struct help_row *r = &((struct help_state *)state)->rows[i];

	cells[0] = cell_role(cell_str(r->keys), ROLE_HEAD);
	cells[1] = cell_role(cell_str(r->where), ROLE_DIM);
	cells[2] = cell_str(r->help);
}

static const char *help_header(void *state)
{
	(void)state;
	return "Keys of the console (q closes; / filters).  Batch commands: ':help', 'mailops --help'.";
}

static void help_close(void *state)
{
	struct help_state *h = state;

	free(h->rows);
	free(h);
}

const struct view keys_help_view = {
	.open = help_open,
	.columns = help_cols,
	.row_count = help_count,
	.row = help_row,
	.header = help_header,
	.close = help_close,
};

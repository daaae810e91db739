/*
 * ui/keys.c: every key binding of the console in one table. Each line of
 * the table is a line of the '?' help (shown as a list, filterable like any
 * other) and carries the codes keys_lookup() dispatches: a key that acts is
 * a key the help names. Plugins' own keys are their views' (struct key_help).
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define CTRL(c) ((c) & 0x1f)
/* The table's codes: K a character, F an ncurses function key (KEY_*). */
#define K(c, a) { (c), false, (a) }
#define F(c, a) { (c), true, (a) }

const struct key_binding key_table[] = {
	{ SCOPE_GLOBAL, "1 .. 9", "go to tab N",
	  { K('1', ACT_TAB_N), K('2', ACT_TAB_N), K('3', ACT_TAB_N), K('4', ACT_TAB_N), K('5', ACT_TAB_N),
	    K('6', ACT_TAB_N), K('7', ACT_TAB_N), K('8', ACT_TAB_N), K('9', ACT_TAB_N) } },
	{ SCOPE_GLOBAL, "Tab, Shift-Tab", "next / previous tab", { K('\t', ACT_TAB_NEXT), F(KEY_BTAB, ACT_TAB_PREV) } },
	{ SCOPE_GLOBAL, ":", "run a batch command (its output opens in the pager)", { K(':', ACT_PROMPT) } },
	{ SCOPE_GLOBAL, "?", "this help", { K('?', ACT_HELP) } },
	{ SCOPE_GLOBAL, "Ctrl-L", "redraw the screen", { K(CTRL('l'), ACT_REDRAW) } },
	{ SCOPE_GLOBAL, "r", "reload the tab", { K('r', ACT_REOPEN) } },
	{ SCOPE_GLOBAL, "q", "back; quit from a tab", { K('q', ACT_QUIT) } },
	/* SIGINT, not a key: the terminal turns Ctrl-C into the signal (tui.c). */
	{ SCOPE_GLOBAL, "Ctrl-C", "cancel the prompt or question, or stop a running : command; else quit (130)", { { 0 } } },
	{ SCOPE_LIST, "j, k, Down, Up", "next / previous row",
	  { K('j', ACT_DOWN), F(KEY_DOWN, ACT_DOWN), K('k', ACT_UP), F(KEY_UP, ACT_UP) } },
	{ SCOPE_LIST, "Left, Right", "previous / next bar of a chart (row of a list)",
	  { F(KEY_LEFT, ACT_UP), F(KEY_RIGHT, ACT_DOWN) } },
	{ SCOPE_LIST, "PgDn, Space, Ctrl-F", "next page",
	  { F(KEY_NPAGE, ACT_PGDN), K(' ', ACT_PGDN), K(CTRL('f'), ACT_PGDN) } },
	{ SCOPE_LIST, "PgUp, Ctrl-B", "previous page", { F(KEY_PPAGE, ACT_PGUP), K(CTRL('b'), ACT_PGUP) } },
	{ SCOPE_LIST, "g, G, Home, End", "first / last row",
	  { K('g', ACT_TOP), F(KEY_HOME, ACT_TOP), K('G', ACT_BOTTOM), F(KEY_END, ACT_BOTTOM) } },
	{ SCOPE_LIST, "/", "filter rows as you type (Enter keeps, Esc clears)", { K('/', ACT_FILTER) } },
	{ SCOPE_LIST, "n, N", "next / previous row matching the last filter word",
	  { K('n', ACT_NEXT_MATCH), K('N', ACT_PREV_MATCH) } },
	{ SCOPE_LIST, "s, S", "sort by the next column / reverse the order",
	  { K('s', ACT_SORT), K('S', ACT_SORT_REVERSE) } },
	{ SCOPE_LIST, "Enter", "details of the row",
	  { K('\r', ACT_ENTER), K('\n', ACT_ENTER), F(KEY_ENTER, ACT_ENTER) } },
	{ SCOPE_PAGER, "j, k, Down, Up, Enter", "scroll a line (Enter: down)",
	  { K('j', ACT_DOWN), F(KEY_DOWN, ACT_DOWN), K('\r', ACT_DOWN), K('\n', ACT_DOWN), F(KEY_ENTER, ACT_DOWN),
	    K('k', ACT_UP), F(KEY_UP, ACT_UP) } },
	{ SCOPE_PAGER, "PgDn, Space, Ctrl-F", "scroll a page down",
	  { F(KEY_NPAGE, ACT_PGDN), K(' ', ACT_PGDN), K(CTRL('f'), ACT_PGDN) } },
	{ SCOPE_PAGER, "PgUp, b, Ctrl-B", "scroll a page up",
	  { F(KEY_PPAGE, ACT_PGUP), K('b', ACT_PGUP), K(CTRL('b'), ACT_PGUP) } },
	{ SCOPE_PAGER, "g, G, Home, End", "top / bottom",
	  { K('g', ACT_TOP), F(KEY_HOME, ACT_TOP), K('G', ACT_BOTTOM), F(KEY_END, ACT_BOTTOM) } },
	{ SCOPE_PAGER, "Left, Right", "scroll sideways", { F(KEY_LEFT, ACT_LEFT), F(KEY_RIGHT, ACT_RIGHT) } },
	{ SCOPE_PAGER, "/, n, N", "search, next, previous",
	  { K('/', ACT_SEARCH), K('n', ACT_NEXT_MATCH), K('N', ACT_PREV_MATCH) } },
	{ SCOPE_PAGER, "q, Esc", "close the pager", { K('q', ACT_QUIT), K(27, ACT_QUIT) } },
	{ SCOPE_PROMPT, "Enter", "run (keep the filter, search)",
	  { K('\r', ACT_ENTER), K('\n', ACT_ENTER), F(KEY_ENTER, ACT_ENTER) } },
	{ SCOPE_PROMPT, "Esc, Ctrl-C, Ctrl-G", "cancel (Backspace on an empty line too)",
	  { K(27, ACT_CANCEL), K(CTRL('c'), ACT_CANCEL), K(CTRL('g'), ACT_CANCEL) } },
	{ SCOPE_PROMPT, "Up, Down", "history of the : prompt", { F(KEY_UP, ACT_UP), F(KEY_DOWN, ACT_DOWN) } },
	{ SCOPE_PROMPT, "Left, Right, Home, End", "move the cursor",
	  { F(KEY_LEFT, ACT_LEFT), F(KEY_RIGHT, ACT_RIGHT), F(KEY_HOME, ACT_TOP), F(KEY_END, ACT_BOTTOM) } },
	{ SCOPE_PROMPT, "Backspace, Delete", "erase before / at the cursor",
	  { F(KEY_BACKSPACE, ACT_ERASE_BACK), K(127, ACT_ERASE_BACK), K(8, ACT_ERASE_BACK),
	    F(KEY_DC, ACT_ERASE_FWD) } },
	{ SCOPE_PROMPT, "Ctrl-U", "erase the line", { K(CTRL('u'), ACT_ERASE_LINE) } },
	{ SCOPE_QUESTION, "y, Y", "yes, to a question before a change (any other key, Ctrl-C too, says no)",
	  { K('y', ACT_YES), K('Y', ACT_YES) } },
	{ SCOPE_GLOBAL, NULL, NULL, { { 0 } } },
};

static enum action lookup_in(enum key_scope scope, int key, bool fkey)
{
	for (const struct key_binding *k = key_table; k->names != NULL; k++) {
		if (k->scope != scope)
			continue;
		for (const struct key_code *c = k->codes; c < k->codes + KEY_CODES_MAX && c->action != ACT_NONE; c++)
			if (c->key == key && c->fkey == fkey)
				return c->action;
	}
	return ACT_NONE;
}

enum action keys_lookup(enum key_scope scope, int key, bool fkey)
{
	enum action a = lookup_in(scope, key, fkey);

	/* List and pager keys fall back to the global ones. */
	if (a == ACT_NONE && (scope == SCOPE_LIST || scope == SCOPE_PAGER))
		a = lookup_in(SCOPE_GLOBAL, key, fkey);
	return a;
}

const char *keys_name(int key, bool fkey, char *buf, size_t len)
{
	static const struct {
		int key;
		const char *name;
	} fkeys[] = {
		{ KEY_DOWN, "Down" }, { KEY_UP, "Up" }, { KEY_LEFT, "Left" }, { KEY_RIGHT, "Right" },
		{ KEY_NPAGE, "PgDn" }, { KEY_PPAGE, "PgUp" }, { KEY_HOME, "Home" }, { KEY_END, "End" },
		{ KEY_BTAB, "Shift-Tab" }, { KEY_ENTER, "Enter" }, { KEY_BACKSPACE, "Backspace" }, { KEY_DC, "Delete" },
	};
	const char *name = NULL;

	if (fkey) {
		for (size_t i = 0; i < sizeof(fkeys) / sizeof(fkeys[0]); i++)
			if (fkeys[i].key == key)
				name = fkeys[i].name;
		if (name == NULL) {
			snprintf(buf, len, "key %#o", (unsigned)key);
			return buf;
		}
	} else if (key == '\t') {
		name = "Tab";
	} else if (key == '\r' || key == '\n') {
		name = "Enter";
	} else if (key == 27) {
		name = "Esc";
	} else if (key == ' ') {
		name = "Space";
	} else if (key == 127 || key == 8) {
		name = "Backspace";
	} else if (key > 0 && key < 0x20) {
		snprintf(buf, len, "Ctrl-%c", 'A' + key - 1);
		return buf;
	} else if (key > 0x20 && key < 0x7f) {
		snprintf(buf, len, "%c", key);
		return buf;
	} else {
		snprintf(buf, len, "U+%04X", (unsigned)key);
		return buf;
	}
	snprintf(buf, len, "%s", name);
	return buf;
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
	case SCOPE_QUESTION:
		return "questions";
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
	{ "keys", "Keys", COL_TEXT, KEY_NAMES_MAX, 0 },
	{ "where", "Where", COL_TEXT, 12, 0 },
	{ "action", "Action", COL_TEXT, 0, 0 },
};

static void help_add(struct help_state *h, size_t *cap, const char *keys, const char *where, const char *help)
{
	if (h->n == *cap) {
		*cap = *cap > 0 ? *cap * 2 : 64;
		h->rows = xrealloc(h->rows, *cap * sizeof(*h->rows));
	}
	h->rows[h->n++] = (struct help_row){ keys, where, help };
}

static int help_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct help_state *h = xcalloc(1, sizeof(*h));
	size_t cap = 0;

	(void)ctx;
	(void)err;
	(void)errlen;
	for (const struct key_binding *k = key_table; k->names != NULL; k++)
		help_add(h, &cap, k->names, keys_scope_name(k->scope), k->help);
	for (const struct plugin *const *p = plugins; *p != NULL; p++) {
		if ((*p)->view == NULL || (*p)->view->keys == NULL)
			continue;
		for (const struct key_help *k = (*p)->view->keys; k->keys != NULL; k++)
			help_add(h, &cap, k->keys, (*p)->title, k->help);
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

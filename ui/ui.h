/*
 * ui/ui.h: the one public header of ui/, the two faces of mailops.
 *
 * cli.c parses a command line (argv or the console's ':' prompt: one parser),
 * prints help, and implements the ctx and the writers plugins emit rows to.
 * tui.c owns the screen; list.c, pager.c and keys.c are its widgets. Only
 * ui/ includes ncurses; the widgets' logic is kept apart from drawing so it
 * can be tested without a terminal.
 */
#ifndef MAILOPS_UI_H
#define MAILOPS_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../backend/backend.h"
#include "../plugins/plugin.h"

#define CLI_MAX_OPTS 32

/* ---- cli.c ---- */

/* One parsed command line. */
struct cli_line {
	const char *config_path;  /* -c FILE */
	enum out_format format;
	const char *format_name;  /* -o as given (FORMAT_OTHER: a plugin's own) */
	bool format_set;
	bool no_color;
	int verbose;
	bool help;                /* --help / -h / the word "help" */
	bool version;
	const struct plugin *plugin;  /* NULL: no plugin word */
	const struct command *cmd;    /* NULL with plugin set only for help */
	int argc;                     /* positional arguments of the verb */
	char **argv;                  /* owned by the line (pointers into the input) */
	const char *optval[CLI_MAX_OPTS]; /* by index of cmd->opts; "" for flags */
};

/*
 * Parses argv[0..argc) (argv[0] is the first word, not the program name).
 * Global options are taken from anywhere on the line. Returns 0, or
 * EXIT_USAGE with a one-line message naming the nearest valid word in err.
 */
int cli_parse(struct cli_line *line, int argc, char **argv, char *err, size_t errlen);
void cli_line_free(struct cli_line *line);

/* Splits a prompt line into words (shell-like quotes and backslashes);
 * returns a NULL-ended malloc'd vector (free with cli_words_free) or NULL
 * with err set on an unclosed quote. */
char **cli_split(const char *s, int *argc, char *err, size_t errlen);
void cli_words_free(char **words);

/* Help texts: whole program, one plugin, one verb. */
void cli_help(FILE *f, const struct plugin *p, const struct command *c);

/*
 * Runs a parsed line (help, version or a verb) with its output to out and
 * its errors to errout. cfg and loop belong to the caller. In the console,
 * console is true (ctx_console()). Returns the exit code.
 */
int cli_run(const struct cli_line *line, struct config *cfg, struct loop *loop, FILE *out, FILE *errout,
	    bool console);

/* The whole batch face: argv of main (without the program name). */
int cli_main(int argc, char **argv);

/* The context a verb runs in; also used by the console for its views. */
struct ctx {
	struct config *cfg;
	struct loop *loop;
	enum out_format format;
	const char *format_name; /* NULL: the name of format */
	bool console;
	bool verbose;
	FILE *out;
	FILE *errout;
	const struct command *cmd;
	const char *const *optval;
	/* writer state */
	const struct column *cols;
	int ncols;
	long rows;
	struct buf pending;  /* text writer: rows held back to size the columns */
	size_t *widths;
	int held;
	bool streaming;
	FILE *spooled; /* the real output while out_spool() is on */
};

/* Writers (used by cli.c and tested on their own). */
void writer_begin(struct ctx *ctx, const struct column *cols, int ncols);
void writer_row(struct ctx *ctx, const struct cell *cells);
/* Text: the rows held for their widths go out now (a verb's own line
 * follows the row it belongs to); the rest stream at those widths. */
void writer_flush(struct ctx *ctx);
void writer_end(struct ctx *ctx);
/* Display width of UTF-8 text (wcwidth; invalid bytes count 1). */
size_t ui_width(const char *s, size_t len);

/* ---- tui.c ---- */

/* Opens the console; returns the exit code when it closes. */
int tui_main(struct config *cfg, bool no_color);
/* What the ctx of a view or a ':' command reaches in the console (no-ops
 * when no console is open). Texts are untrusted; sanitised here. */
void tui_pager(const char *title, const char *text, size_t len);
void tui_message(const char *text, bool error);
void tui_progress(const char *text);
void tui_dirty(void);
void tui_push_view(const struct view *view, void *state);
void tui_pop_view(void);
void tui_select_row(size_t row);
void tui_confirm(const char *question, void (*yes)(void *arg), void *arg);
void tui_ask(const char *label, void (*done)(void *arg, const char *text), void *arg);
bool tui_shown_row(size_t pos, size_t *row);
bool tui_show_tab(const char *plugin, const char *filter);
size_t tui_shown_count(void);

/* The attributes a cell role is drawn with (colour or monochrome), as attr_t. */
unsigned long tui_role_attr(enum role role);

/* ---- chart.c: the histogram widget (struct chart, plugins/plugin.h) ---- */

/* True when a chart fits in width x height; else the console shows the list. */
bool chart_fits(int width, int height);
/* Draws c in the rectangle y, x, h rows, w columns; bar sel selected ((size_t)-1: none). */
void chart_draw(const struct chart *c, size_t sel, int y, int x, int h, int w);

/* ---- keys.c: the key table, which both dispatches keys and writes the '?' help ---- */

enum key_scope { SCOPE_GLOBAL, SCOPE_LIST, SCOPE_PAGER, SCOPE_PROMPT, SCOPE_QUESTION };

enum action {
	ACT_NONE,
	ACT_QUIT, ACT_TAB_NEXT, ACT_TAB_PREV, ACT_TAB_N, ACT_PROMPT, ACT_HELP, ACT_REDRAW, ACT_REOPEN,
	ACT_DOWN, ACT_UP, ACT_PGDN, ACT_PGUP, ACT_TOP, ACT_BOTTOM, ACT_LEFT, ACT_RIGHT,
	ACT_FILTER, ACT_NEXT_MATCH, ACT_PREV_MATCH, ACT_SORT, ACT_SORT_REVERSE, ACT_ENTER,
	ACT_SEARCH, ACT_CANCEL, ACT_YES, ACT_ERASE_BACK, ACT_ERASE_FWD, ACT_ERASE_LINE,
};

#define KEY_CODES_MAX 10
#define KEY_NAMES_MAX 22 /* the help's Keys column: longer names would be cut */

struct key_code {
	int key;   /* a codepoint, or an ncurses KEY_* code when fkey */
	bool fkey;
	enum action action;
};

/* One line of the help, and the keys it names: keys_lookup() reads the
 * codes, the help shows names and help, so a key cannot act unlisted. */
struct key_binding {
	enum key_scope scope;
	const char *names; /* as shown in help: "j, k, Down, Up" */
	const char *help;
	struct key_code codes[KEY_CODES_MAX]; /* up to the first ACT_NONE; none for Ctrl-C (a signal) */
};

extern const struct key_binding key_table[]; /* ends with names NULL */
/* The action of key (a codepoint, or an ncurses KEY_* code when fkey) in
 * scope; lists and the pager fall back to the global keys. */
enum action keys_lookup(enum key_scope scope, int key, bool fkey);
/* How the help writes a key: "j", "Space", "Ctrl-F", "PgDn", "Shift-Tab". */
const char *keys_name(int key, bool fkey, char *buf, size_t len);
/* The help list: a view over the key table (and each plugin's own keys). */
extern const struct view keys_help_view;
const char *keys_scope_name(enum key_scope scope);

/* ---- list.c: the list widget's model (no drawing) ---- */

/*
 * A window over a view's rows: the filter keeps an index of matching rows,
 * the sort reorders that index; nothing is copied until asked for. The
 * cursor and the top row are positions in the (filtered, sorted) index.
 */
struct list {
	const struct view *view;
	void *state;
	size_t *index;     /* NULL: identity over all rows */
	size_t shown;      /* rows in the index (or row_count when index NULL) */
	size_t cursor;
	size_t top;
	int sort_col;      /* -1: model order */
	bool sort_desc;
	char *filter;      /* NULL: no filter */
	char *search;      /* last '/' pattern, for n/N */
	struct cell *cells; /* room for every column of the view, for row() */
	int ncells;
};

void list_init(struct list *l, const struct view *view, void *state);
void list_free(struct list *l);
/* Row number in the model of position pos (< l->shown). */
size_t list_row(const struct list *l, size_t pos);
/* The cells of model row (the view's row() into the list's own buffer,
 * which has room for all of the view's columns, however many the screen
 * shows). Valid until the next call on l. */
const struct cell *list_cells(const struct list *l, size_t row);
/* Re-reads row_count (after poll() said the rows changed), keeping the filter and sort. */
void list_refresh(struct list *l);
/* Keeps rows whose cells contain pattern (case-insensitive); "" or NULL clears. */
void list_set_filter(struct list *l, const char *pattern);
/* Sorts by column col (-1 = model order), numeric for number columns. */
void list_set_sort(struct list *l, int col, bool desc);
/* Moves the cursor by delta rows (clamped) keeping it within height rows of top. */
void list_move(struct list *l, long delta, int height);
void list_goto(struct list *l, size_t pos, int height);
/* Next (dir 1) / previous (-1) row after the cursor matching pattern; true if found. */
bool list_find(struct list *l, const char *pattern, int dir, int height);
/* True when any cell of model row contains pattern (ASCII case-insensitive). */
bool list_row_matches(const struct list *l, size_t row, const char *pattern);

/* ---- pager.c: the pager's model (no drawing) ---- */

struct pager {
	char *title;
	char **lines;   /* sanitised (SAN_LINE after expanding TABs) */
	size_t nlines;
	size_t top;
	size_t left;    /* horizontal scroll, in columns */
	char *search;
};

void pager_init(struct pager *p, const char *title, const char *text, size_t len);
/* New text, the title, scroll position and search kept (a detail that
 * follows its row). */
void pager_set_text(struct pager *p, const char *text, size_t len);
void pager_free(struct pager *p);
void pager_scroll(struct pager *p, long delta, int height);
bool pager_find(struct pager *p, const char *pattern, int dir, int height);

#endif

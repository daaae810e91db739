/*
 * plugins/plugin.h: the contract between the two faces (ui/) and the
 * features (plugins/).
 *
 * A plugin is a batch word with verbs (struct command) and, optionally, a
 * console screen (struct view). Both emit the same rows: a command writes
 * them through out_*() to the batch writers (text/tsv/csv/json) or, from the
 * console's ':' prompt, to a pager; a view hands them to the console's list
 * widget on demand. Rows are cells (bytes plus a style role), never curses
 * calls: plugins do not include ncurses, and plugins never include each
 * other. The ctx_*() and out_*() functions are implemented by ui/.
 */
#ifndef MAILOPS_PLUGIN_H
#define MAILOPS_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "../backend/backend.h"

struct ctx;

/* ---- rows ---- */

/* How a cell is drawn in the console (colour, or bold/dim in monochrome). */
enum role { ROLE_NORMAL, ROLE_OK, ROLE_WARN, ROLE_FAIL, ROLE_DIM, ROLE_HEAD };

/*
 * COL_INT and COL_BOOL print cell.num (JSON numbers / true/false);
 * COL_TIME prints cell.num (unix time) as ISO 8601 UTC; COL_REAL prints
 * cell.real with column.decimals places (0: six significant digits), a
 * JSON number. COL_TEXT prints the bytes of cell.text, sanitised for the
 * output format.
 *
 * A COL_INT or COL_REAL cell may also carry text: a word for people in
 * place of a value that is a code, such as "never" for a TTL of -1. The
 * text format prints the word (sanitised); tsv, csv and JSON print the
 * number, so scripts keep the documented value.
 */
enum col_type { COL_TEXT, COL_INT, COL_TIME, COL_BOOL, COL_REAL };

struct column {
	const char *name;  /* snake_case: tsv/csv header, JSON key, docs/cli.md */
	const char *title; /* console heading */
	enum col_type type;
	int width;         /* preferred console width; 0 = takes what is left */
	int decimals;      /* COL_REAL: digits after the point; 0 = %.6g */
};

struct cell {
	const char *text; /* untrusted bytes (not NUL-terminated necessarily); NULL = empty;
			   * on a number cell: the text format's word for it, or NULL */
	size_t len;       /* bytes of text; ignored when text is NULL */
	long long num;    /* value of COL_INT/COL_TIME/COL_BOOL cells */
	double real;      /* value of COL_REAL cells */
	bool null;        /* no value: empty in text/tsv/csv, null in JSON */
	enum role role;
};

/* Convenience constructors. */
struct cell cell_str(const char *s);                /* NUL-terminated text */
struct cell cell_bytes(const char *s, size_t len);
struct cell cell_num(long long n);
struct cell cell_real(double v);
/* A COL_REAL cell's text: "%.*f" or "%.6g" (buf of 64 bytes). */
void cell_real_text(const struct column *col, double v, char *buf, size_t len);
struct cell cell_role(struct cell c, enum role role);

/* ---- batch verbs ---- */

/* An option of a verb: "--name" (and "-x" when short is set). */
struct opt {
	const char *name; /* "--prefix" */
	char short_name;  /* 'j' for -j, or 0 */
	const char *arg;  /* metavar ("P"), or NULL for a flag */
	const char *help;
};

/*
 * A verb. The parser (ui/cli.c: the same for argv and the ':' prompt)
 * removes global options, checks the verb's options against opts and the
 * number of positional arguments against min_args/max_args (-1 = no upper
 * limit), and calls run with the positional arguments only; options are read
 * with ctx_opt()/ctx_flag(). run returns the exit code (DESIGN §5) and
 * reports errors with ctx_error().
 */
struct command {
	const char *name;
	const char *usage; /* arguments after "mailops PLUGIN VERB" */
	const char *help;  /* one line */
	const struct opt *opts; /* {NULL} ended, or NULL */
	int min_args, max_args;
	int (*run)(struct ctx *ctx, int argc, char **argv);
};

/* ---- console views ---- */

/* Results of view.key(). */
enum { VIEW_UNUSED = 0, VIEW_USED = 1, VIEW_DIRTY = 2 };

struct key_help {
	const char *keys; /* "w" */
	const char *help; /* "who reaches the selected target" */
};

/*
 * A chart: what view.chart fills for the console's chart widget
 * (ui/chart.c), which draws it instead of the list: a bar per bin with its
 * expected value marked and a band around it, the selected bar
 * highlighted with its info line under the chart, and a side panel of
 * lines (statistics) beside it, or below on a narrow screen.
 *
 * Contract: bin i is the view's row i, so row_count must equal nbins
 * while a chart is shown; the list's cursor selects the bar (j/k, Up/Down,
 * Left/Right, g/G move it), Enter calls activate(i) (or detail(i)), and
 * key() gets sel = i as for a list. chart returns false to have the list
 * drawn instead (nothing to chart yet); the console also draws the list
 * when the screen is too small for a chart. Texts are untrusted; the
 * pointers stay valid until the next call on state. Batch mode never calls
 * it: a verb prints its own text chart.
 */
struct chart_bin {
	const char *label;  /* under the bar ("1", "10", "00") */
	const char *info;   /* one line shown when the bar is selected, or NULL */
	double observed;    /* bar height */
	double expected;    /* marker; < 0: none */
	double lo, hi;      /* band around expected (e.g. +-1.96 sigma); hi <= lo: none */
	bool flagged;       /* drawn in the warn role */
};
struct chart {
	const char *title;            /* the line above the chart (NULL: view.header) */
	const struct chart_bin *bins;
	size_t nbins;
	const char *const *side;      /* the side panel's lines */
	size_t nside;
};

/*
 * A console screen: a model that yields rows on demand, so that a list of a
 * million rows costs nothing until shown. Call order: open, then any of
 * columns/row_count/row/header/key/detail/poll, then close. The console
 * calls these only from the loop, never concurrently.
 */
struct view {
	/* Called when the tab is first shown. Returns 0 and sets *state, or an
	 * exit code with err filled (shown in the tab; open is retried on 'r'). */
	int (*open)(struct ctx *ctx, void **state, char *err, size_t errlen);
	/* The list's columns, fixed for the life of state. */
	const struct column *(*columns)(void *state, int *ncols);
	size_t (*row_count)(void *state);
	/* Fills cells[0..ncols) for row i (< row_count). Texts stay valid until
	 * the next row() call on this state. */
	void (*row)(void *state, size_t i, struct cell *cells);
	/* One line above the list (path, counts, state), or NULL. Untrusted. */
	const char *(*header)(void *state);
	/* A key the list did not use (codepoint); sel = selected row or
	 * (size_t)-1 when the list is empty. Returns VIEW_* flags. */
	int (*key)(void *state, struct ctx *ctx, int key, size_t sel);
	/* The detail of row i for the pager (Enter): malloc'd text, or NULL. */
	char *(*detail)(void *state, size_t i);
	/* The detail changes with its row (a running check): the open pager
	 * asks again when poll says the rows changed. Left false where asking
	 * costs (a message read again from its mailbox) and nothing changes. */
	bool detail_live;
	/* Enter on row i, when set (detail is then not used): the view acts
	 * itself (opens a list with ctx_push_view, folds a tree node, jumps
	 * with ctx_pop_view + ctx_select_row). Returns VIEW_* flags. May be NULL. */
	int (*activate)(void *state, struct ctx *ctx, size_t i);
	/* Called on every loop pass; returns true when the rows changed. May be NULL. */
	bool (*poll)(void *state);
	void (*close)(void *state);
	const struct key_help *keys; /* the view's own keys, {NULL} ended, or NULL */
	/* A histogram in place of the list, or NULL (see struct chart). */
	bool (*chart)(void *state, struct chart *c);
};

/* ---- plugins ---- */

struct plugin {
	const char *name;         /* batch word: "aliases" */
	const char *title;        /* tab title: "Aliases" */
	const char *default_verb; /* used when no verb is given, or NULL */
	const char *summary;      /* one line for --help and the help screen */
	const struct command *commands; /* {NULL} ended */
	const struct view *view;  /* console screen; NULL = not built yet */
	bool batch_only;          /* no tab in the console (e.g. "config") */
	/* Output formats of the plugin's own beyond text/tsv/csv/json
	 * ("arfparse"), NULL ended, or NULL. `-o NAME` with such a name reaches
	 * the verb as FORMAT_OTHER (ctx_format_name() tells which); the verb
	 * rejects it with EXIT_USAGE if it does not write that format. Any other
	 * unknown name is a usage error of the parser, for every plugin. */
	const char *const *formats;
};

/* plugins/registry.c: the order is the tab order; NULL ended. */
extern const struct plugin *const plugins[];
const struct plugin *plugin_find(const char *name);
const struct command *plugin_command(const struct plugin *p, const char *verb);

/* Shared by verbs that are not built yet: "not implemented", exit 70. */
int plugin_not_implemented(struct ctx *ctx, int argc, char **argv);

/* ---- the context a verb or view runs in (implemented by ui/) ---- */

/* FORMAT_OTHER: a plugin's own format (struct plugin.formats), by name in
 * ctx_format_name(); rows given to out_begin/out_row with it are written as text. */
enum out_format { FORMAT_TEXT, FORMAT_TSV, FORMAT_CSV, FORMAT_JSON, FORMAT_OTHER };

const struct config *ctx_config(struct ctx *ctx);
struct loop *ctx_loop(struct ctx *ctx);
enum out_format ctx_format(struct ctx *ctx);
/* The -o name as given ("text", ..., or a plugin's own such as "arfparse"). */
const char *ctx_format_name(struct ctx *ctx);
bool ctx_console(struct ctx *ctx);  /* run from the console */
bool ctx_verbose(struct ctx *ctx);
/* Value of a verb's option ("--prefix"), "" for a given flag, NULL if absent. */
const char *ctx_opt(struct ctx *ctx, const char *name);
bool ctx_flag(struct ctx *ctx, const char *name);
/* Prints "mailops: <message>" (sanitised) to stderr, or to the console's
 * status line, and returns code. */
int ctx_error(struct ctx *ctx, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ctx_warn(struct ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Progress of long work ("reading 40%"), shown in the status line; NULL clears. */
void ctx_progress(struct ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens the console's pager on text (untrusted; sanitised there). No-op in batch. */
void ctx_pager(struct ctx *ctx, const char *title, const char *text, size_t len);
/* Marks the console for a redraw at the end of this loop pass. */
void ctx_dirty(struct ctx *ctx);
/*
 * Opens a list over the current screen for view, whose state the caller
 * has already opened. The console owns state from then on: it calls
 * view->close when the list is closed (q, or ctx_pop_view). In batch mode
 * view->close is called at once.
 */
void ctx_push_view(struct ctx *ctx, const struct view *view, void *state);
/* Closes the list on top if it was opened by ctx_push_view. */
void ctx_pop_view(struct ctx *ctx);
/* Moves the cursor of the list on top to model row i, clearing a filter
 * that hides it. */
void ctx_select_row(struct ctx *ctx, size_t i);
/*
 * Asks question in the status line; yes(arg) runs only if the user
 * answers y (anything else cancels, and says so). The question must say
 * what will change (counts, servers). Console only; in batch mode
 * destructive verbs take --yes instead.
 */
void ctx_confirm(struct ctx *ctx, const char *question, void (*yes)(void *arg), void *arg);
/*
 * Asks for a line of text in the status line, after label ("Address: ");
 * done(arg, text) runs with what was typed when Enter is pressed (Esc or
 * Ctrl-C cancel: done is not called). Console only.
 */
void ctx_ask(struct ctx *ctx, const char *label, void (*done)(void *arg, const char *text), void *arg);
/*
 * Shows the tab of plugin (its batch word), opening it if need be, with
 * the list's filter set to filter (NULL or "": no filter). Overlays are
 * closed first. Console only; false when there is no such tab.
 */
bool ctx_show_tab(struct ctx *ctx, const char *plugin, const char *filter);
/* The rows the list on top shows now (after its filter), as model rows:
 * what "act on what you see" (flush the filtered keys) acts on. */
size_t ctx_shown_count(struct ctx *ctx);
bool ctx_shown_row(struct ctx *ctx, size_t pos, size_t *row);

/* Output of a verb: out_begin once, out_row per row, out_end. */
void out_begin(struct ctx *ctx, const struct column *cols, int ncols);
void out_row(struct ctx *ctx, const struct cell *cells);
/* A verb's own text form (used when ctx_format() is FORMAT_TEXT): a line of
 * untrusted bytes, written sanitised (SAN_TEXT) with a newline added. */
void out_line(struct ctx *ctx, const char *text, size_t len);
/*
 * While on, what a verb writes goes to a temporary file, copied out when
 * it is turned off: for verbs that must keep reading a socket at full
 * speed (a stalled metadump reader stalls memcached) whatever the reader of
 * our output does. No-op in the console, whose output is in memory.
 */
void out_spool(struct ctx *ctx, bool on);
/* Bytes written unchanged (--raw, where a byte-exact format is promised). */
void out_raw(struct ctx *ctx, const void *bytes, size_t len);
void out_end(struct ctx *ctx);

#endif

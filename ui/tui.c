/*
 * ui/tui.c: the console. It owns the screen: the tab bar, the tab's list or
 * message, overlays (the '?' help list, the pager), the status line and the
 * prompts. Everything runs from the one event loop: stdin, signals, timers
 * and the plugins' sockets; handlers change state and mark the screen dirty,
 * and the screen is drawn once at the end of the pass.
 *
 * The terminal is restored on every way out: q, SIGINT/SIGTERM/SIGHUP, a
 * fatal error (the x*alloc hook) and the signals that dump core (SIGSEGV,
 * SIGQUIT, ...). Ctrl-C (SIGINT) first cancels an open prompt or question.
 */
#include <curses.h>
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "ui.h"

#define MAX_TABS 16
#define MAX_OVERLAYS 8
#define MAX_COLS 32
#define INPUT_MAX 512
#define HISTORY_MAX 64
#define STATUS_MS 6000

enum { PAIR_OK = 1, PAIR_WARN, PAIR_FAIL, PAIR_HEAD, PAIR_BAR, PAIR_SEL, PAIR_ERR };

struct tab {
	const struct plugin *plugin;
	void *state;
	bool opened;
	int open_rc;
	char err[512];
	struct list list;
};

struct overlay {
	bool is_pager;
	struct pager pager;
	const struct view *view; /* a list overlay: the help */
	void *state;
	struct list list;
	/* A pager showing a row's detail follows the row: when its list
	 * changes, the detail is asked again and the pager takes the new
	 * text (a running callahead's dialogue as it goes). */
	const struct view *src_view;
	void *src_state;
	size_t src_row;
	char *src_text;
};

enum prompt_kind { PROMPT_NONE, PROMPT_CMD, PROMPT_FILTER, PROMPT_SEARCH, PROMPT_CONFIRM, PROMPT_ASK };

struct tui {
	struct config *cfg;
	struct loop *loop;
	struct ctx ctx;
	SCREEN *screen;
	bool color;
	struct tab tabs[MAX_TABS];
	int ntabs;
	int cur;
	struct overlay overlays[MAX_OVERLAYS];
	int noverlays;
	enum prompt_kind prompt;
	wchar_t input[INPUT_MAX];
	int ilen, icur;
	char *filter_before; /* the filter to restore when a '/' prompt is cancelled */
	char question[512];  /* PROMPT_CONFIRM: what is asked, and what a 'y' runs */
	void (*confirm_yes)(void *arg);
	void *confirm_arg;
	char ask_label[64]; /* PROMPT_ASK: a view's question, and where the answer goes */
	void (*ask_done)(void *arg, const char *text);
	void *ask_arg;
	char *history[HISTORY_MAX];
	int nhist, hpos;
	char status[512];
	bool status_error;
	int64_t status_until;
	char progress[256];
	bool dirty;
	bool quit;
	int exit_code;
	struct event *redraw_ev;
	struct loop_watch *stdin_watch;
	struct loop_timer *tick;
};

static struct tui *T;
static bool curses_on;

/* ---- terminal safety ---- */

static void restore_terminal(void)
{
	if (curses_on) {
		curses_on = false;
		endwin();
	}
}

static void forget_terminal(void)
{
	curses_on = false;
}

/* Signals whose default action dumps core: the terminal is restored before
 * it happens (SIGQUIT is also what Ctrl-\ sends). */
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGQUIT, SIGILL, SIGTRAP, SIGSYS };

static void crash_handler(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- drawing helpers ---- */

static attr_t role_attr(enum role role)
{
	if (T->color) {
		switch (role) {
		case ROLE_OK:
			return COLOR_PAIR(PAIR_OK);
		case ROLE_WARN:
			return COLOR_PAIR(PAIR_WARN) | A_BOLD;
		case ROLE_FAIL:
			return COLOR_PAIR(PAIR_FAIL) | A_BOLD;
		case ROLE_DIM:
			return A_DIM;
		case ROLE_HEAD:
			return COLOR_PAIR(PAIR_HEAD) | A_BOLD;
		case ROLE_NORMAL:
			return A_NORMAL;
		}
	}
	switch (role) {
	case ROLE_WARN:
		return A_BOLD;
	case ROLE_FAIL:
		return A_BOLD | A_UNDERLINE;
	case ROLE_DIM:
		return A_DIM;
	case ROLE_HEAD:
		return A_BOLD;
	default:
		return A_NORMAL;
	}
}

unsigned long tui_role_attr(enum role role)
{
	return role_attr(role);
}

/*
 * Draws UTF-8 text (already safe) at y,x in at most w columns, padding with
 * blanks to w when pad is set, with "…" when cut. Returns columns used.
 */
static int draw_text(int y, int x, int w, const char *s, size_t len, attr_t attr, bool pad)
{
	wchar_t out[1024];
	int n = 0, used = 0;
	mbstate_t st;

	if (w <= 0)
		return 0;
	memset(&st, 0, sizeof(st));
	while (len > 0 && n < 1023) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, len, &st);

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			wc = L'?';
			k = 1;
		}
		int cw = wcwidth(wc);
		if (cw < 0)
			cw = 1, wc = L'?';
		if (used + cw > w || (used + cw == w && len > k)) {
			/* No room for this one and the rest: end with an ellipsis. */
			if (used < w) {
				out[n++] = L'\x2026';
				used++;
			}
			break;
		}
		out[n++] = wc;
		used += cw;
		s += k;
		len -= k;
	}
	attron(attr);
	mvaddnwstr(y, x, out, n);
	if (pad)
		for (int i = used; i < w; i++)
			addch(' ');
	attroff(attr);
	return pad ? w : used;
}

static int draw_str(int y, int x, int w, const char *s, attr_t attr, bool pad)
{
	return draw_text(y, x, w, s, strlen(s), attr, pad);
}

/* Draws untrusted bytes: sanitised first. */
static int draw_untrusted(int y, int x, int w, const char *s, size_t len, attr_t attr, bool pad)
{
	if (sanitize_is_clean(s, len, SAN_LINE))
		return draw_text(y, x, w, s, len, attr, pad);
	char *safe = sanitize_dup(s, len, SAN_LINE);
	int r = draw_str(y, x, w, safe, attr, pad);
	free(safe);
	return r;
}

/* ---- status and messages ---- */

static void set_status(bool error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_status(bool error, const char *fmt, ...)
{
	va_list ap;
	char raw[512];

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	char *safe = sanitize_dup(raw, strlen(raw), SAN_LINE);
	snprintf(T->status, sizeof(T->status), "%s", safe);
	free(safe);
	T->status_error = error;
	T->status_until = util_now_ms() + STATUS_MS;
	tui_dirty();
}

void tui_message(const char *text, bool error)
{
	if (T != NULL)
		set_status(error, "%s", text);
}

void tui_progress(const char *text)
{
	if (T == NULL)
		return;
	if (text == NULL)
		T->progress[0] = '\0';
	else {
		char *safe = sanitize_dup(text, strlen(text), SAN_LINE);
		snprintf(T->progress, sizeof(T->progress), "%s", safe);
		free(safe);
	}
	tui_dirty();
}

static void redraw_cb(evutil_socket_t fd, short what, void *arg);

void tui_dirty(void)
{
	if (T == NULL || T->dirty)
		return;
	T->dirty = true;
	/* Drawn once, after the handlers of this pass have run. */
	event_active(T->redraw_ev, EV_TIMEOUT, 0);
}

/* ---- screens ---- */

static struct overlay *top_overlay(void)
{
	return T->noverlays > 0 ? &T->overlays[T->noverlays - 1] : NULL;
}

static void overlay_pop(void)
{
	struct overlay *o = top_overlay();

	if (o == NULL)
		return;
	if (o->is_pager) {
		pager_free(&o->pager);
		free(o->src_text);
	} else {
		/* a pager that follows one of its rows stops following */
		for (int i = 0; i < T->noverlays; i++)
			if (T->overlays[i].src_state == o->state)
				T->overlays[i].src_view = NULL;
		list_free(&o->list);
		o->view->close(o->state);
	}
	T->noverlays--;
	tui_dirty();
}

/* The list of (view, state) changed: the details open on its rows again. */
static void details_follow(const struct view *view, void *state)
{
	for (int i = 0; i < T->noverlays; i++) {
		struct overlay *o = &T->overlays[i];
		if (!o->is_pager || o->src_view != view || o->src_state != state)
			continue;
		if (o->src_row >= view->row_count(state)) {
			o->src_view = NULL; /* the row is gone: the pager keeps its text */
			continue;
		}
		char *text = view->detail(state, o->src_row);
		if (text == NULL || strcmp(text, o->src_text) == 0) {
			free(text);
			continue;
		}
		pager_set_text(&o->pager, text, strlen(text));
		free(o->src_text);
		o->src_text = text;
	}
}

void tui_pager(const char *title, const char *text, size_t len)
{
	if (T == NULL)
		return;
	if (T->noverlays == MAX_OVERLAYS)
		overlay_pop();
	struct overlay *o = &T->overlays[T->noverlays++];
	memset(o, 0, sizeof(*o));
	o->is_pager = true;
	pager_init(&o->pager, title, text, len);
	tui_dirty();
}

void tui_push_view(const struct view *view, void *state)
{
	if (T == NULL) {
		view->close(state);
		return;
	}
	if (T->noverlays == MAX_OVERLAYS)
		overlay_pop();
	struct overlay *o = &T->overlays[T->noverlays++];
	memset(o, 0, sizeof(*o));
	o->view = view;
	o->state = state;
	list_init(&o->list, view, state);
	tui_dirty();
}

void tui_pop_view(void)
{
	struct overlay *o = T != NULL ? top_overlay() : NULL;

	if (o != NULL && !o->is_pager && o->view != &keys_help_view)
		overlay_pop();
}

static struct list *current_list(void);
static int body_height(void);

void tui_select_row(size_t row)
{
	struct list *l = T != NULL ? current_list() : NULL;

	if (l == NULL || row >= l->view->row_count(l->state))
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t pos = 0; pos < l->shown; pos++) {
			if (list_row(l, pos) == row) {
				list_goto(l, pos, body_height());
				tui_dirty();
				return;
			}
		}
		/* Hidden by the filter: show everything again. */
		list_set_filter(l, NULL);
	}
}

static void open_help(void)
{
	char err[256];
	void *state;

	if (T->noverlays == MAX_OVERLAYS)
		overlay_pop();
	if (keys_help_view.open(&T->ctx, &state, err, sizeof(err)) != 0)
		return;
	struct overlay *o = &T->overlays[T->noverlays++];
	memset(o, 0, sizeof(*o));
	o->view = &keys_help_view;
	o->state = state;
	list_init(&o->list, o->view, state);
	tui_dirty();
}

static void tab_open(struct tab *t)
{
	t->opened = true;
	t->err[0] = '\0';
	if (t->plugin->view == NULL)
		return;
	t->open_rc = t->plugin->view->open(&T->ctx, &t->state, t->err, sizeof(t->err));
	if (t->open_rc == 0)
		list_init(&t->list, t->plugin->view, t->state);
}

static void tab_close(struct tab *t)
{
	if (t->opened && t->plugin->view != NULL && t->open_rc == 0) {
		list_free(&t->list);
		t->plugin->view->close(t->state);
	}
	t->opened = false;
	t->state = NULL;
}

static void select_tab(int i)
{
	if (i < 0 || i >= T->ntabs)
		return;
	while (T->noverlays > 0)
		overlay_pop();
	T->cur = i;
	if (!T->tabs[i].opened)
		tab_open(&T->tabs[i]);
	tui_dirty();
}

bool tui_show_tab(const char *plugin, const char *filter)
{
	if (T == NULL)
		return false;
	for (int i = 0; i < T->ntabs; i++) {
		if (strcmp(T->tabs[i].plugin->name, plugin) != 0)
			continue;
		select_tab(i);
		struct tab *t = &T->tabs[i];
		if (t->plugin->view != NULL && t->opened && t->open_rc == 0)
			list_set_filter(&t->list, filter != NULL && filter[0] != '\0' ? filter : NULL);
		tui_dirty();
		return true;
	}
	return false;
}

/* The list on top, if the top screen is a list. */
static struct list *current_list(void)
{
	struct overlay *o = top_overlay();

	if (o != NULL)
		return o->is_pager ? NULL : &o->list;
	struct tab *t = &T->tabs[T->cur];
	if (t->plugin->view != NULL && t->opened && t->open_rc == 0)
		return &t->list;
	return NULL;
}

static int body_height(void)
{
	/* tab bar, header, column heads, status line */
	return LINES - 4 > 1 ? LINES - 4 : 1;
}

/* ---- drawing ---- */

static void draw_tabbar(void)
{
	int x = 0;

	move(0, 0);
	attron(T->color ? COLOR_PAIR(PAIR_BAR) : A_REVERSE);
	for (int i = 0; i < COLS; i++)
		addch(' ');
	attroff(T->color ? COLOR_PAIR(PAIR_BAR) : A_REVERSE);
	for (int i = 0; i < T->ntabs && x < COLS; i++) {
		char label[64];
		bool sel = i == T->cur;
		attr_t a = sel ? (T->color ? COLOR_PAIR(PAIR_SEL) | A_BOLD : A_BOLD) : (T->color ? COLOR_PAIR(PAIR_BAR) : A_REVERSE);

		snprintf(label, sizeof(label), " %d %s ", i + 1, T->tabs[i].plugin->title);
		x += draw_str(0, x, COLS - x, label, a, false);
	}
	const char *name = " mailops ";
	int w = (int)strlen(name);
	if (x + w < COLS)
		draw_str(0, COLS - w, w, name, T->color ? COLOR_PAIR(PAIR_BAR) | A_BOLD : A_REVERSE | A_BOLD, false);
}

/* Column widths for the screen width: fixed ones as asked, flexible ones share the rest. */
static void layout(const struct column *cols, int ncols, int *w)
{
	int fixed = 0, flex = 0, avail = COLS - 1;

	for (int i = 0; i < ncols; i++) {
		if (cols[i].width > 0)
			fixed += cols[i].width + 1;
		else
			flex++;
	}
	int rest = avail - fixed;
	for (int i = 0; i < ncols; i++) {
		if (cols[i].width > 0)
			w[i] = cols[i].width;
		else
			w[i] = flex > 0 && rest > flex * 2 ? (rest - flex) / flex : 8;
	}
}

static void draw_list(struct list *l, const char *header)
{
	int ncols;
	const struct column *cols = l->view->columns(l->state, &ncols);
	int w[MAX_COLS];
	int h = body_height();
	char num[64];

	/* The screen shows at most MAX_COLS columns; the row buffer (the
	 * list's) has room for all of them. */
	if (ncols > MAX_COLS)
		ncols = MAX_COLS;
	layout(cols, ncols, w);
	if (header != NULL)
		draw_untrusted(1, 0, COLS, header, strlen(header), A_BOLD, true);
	/* Column heads, with the sort marker. */
	int x = 0;
	move(2, 0);
	clrtoeol();
	for (int i = 0; i < ncols && x < COLS; i++) {
		char head[96];

		snprintf(head, sizeof(head), "%s%s", cols[i].title,
			 l->sort_col == i ? (l->sort_desc ? " v" : " ^") : "");
		x += draw_str(2, x, COLS - x < w[i] ? COLS - x : w[i], head, A_UNDERLINE | A_BOLD, true) + 1;
	}
	/* Rows. */
	for (int r = 0; r < h; r++) {
		size_t pos = l->top + (size_t)r;
		int y = 3 + r;

		move(y, 0);
		clrtoeol();
		if (pos >= l->shown)
			continue;
		bool sel = pos == l->cursor;
		const struct cell *cells = list_cells(l, list_row(l, pos));
		x = 0;
		for (int i = 0; i < ncols && x < COLS; i++) {
			const struct cell *c = &cells[i];
			attr_t a = role_attr(c->role) | (sel ? A_REVERSE : 0);
			int cw = COLS - x < w[i] ? COLS - x : w[i];
			const char *s = "";
			size_t len = 0;

			if (c->null) {
				s = "-";
				len = 1;
			} else if (cols[i].type == COL_TEXT || (cols[i].type == COL_INT && c->text != NULL)) {
				/* text, or a number's word for people ("never") */
				s = c->text != NULL ? c->text : "";
				len = c->text != NULL ? c->len : 0;
			} else if (cols[i].type == COL_TIME) {
				util_iso8601(c->num, num);
				s = num;
				len = strlen(num);
			} else if (cols[i].type == COL_REAL) {
				char rt[64];
				cell_real_text(&cols[i], c->real, rt, sizeof(rt));
				len = (size_t)snprintf(num, sizeof(num), "%*s", cw, rt);
				s = num;
			} else if (cols[i].type == COL_BOOL) {
				s = c->num ? "yes" : "no";
				len = strlen(s);
			} else {
				len = (size_t)snprintf(num, sizeof(num), "%*lld", cw, c->num);
				s = num;
			}
			x += draw_untrusted(y, x, cw, s, len, a, true);
			if (x < COLS) {
				attron(sel ? A_REVERSE : A_NORMAL);
				addch(' ');
				attroff(A_REVERSE);
				x++;
			}
		}
		if (sel && x < COLS) {
			attron(A_REVERSE);
			for (; x < COLS; x++)
				addch(' ');
			attroff(A_REVERSE);
		}
	}
}

static void draw_message(const char *lines[], int n)
{
	for (int y = 1; y < LINES - 1; y++) {
		move(y, 0);
		clrtoeol();
	}
	for (int i = 0; i < n && 3 + i < LINES - 1; i++)
		draw_untrusted(3 + i, 2, COLS - 4, lines[i], strlen(lines[i]), i == 0 ? A_BOLD : A_NORMAL, false);
}

static void draw_tab(struct tab *t)
{
	if (t->plugin->view == NULL) {
		char a[160], b[160], c[160];

		snprintf(a, sizeof(a), "%s is not built yet in this version of mailops.", t->plugin->title);
		snprintf(b, sizeof(b), "It will: %s.", t->plugin->summary);
		snprintf(c, sizeof(c), "Its batch verbs answer 'not implemented' (exit 70): mailops %s --help",
			 t->plugin->name);
		const char *lines[] = { a, "", b, c, "", "? shows the keys, : runs a batch command, q quits." };
		draw_message(lines, 6);
		return;
	}
	if (t->open_rc != 0) {
		char a[600];

		snprintf(a, sizeof(a), "%s cannot be shown: %s", t->plugin->title, t->err);
		const char *lines[] = { a, "", "Press r to try again, : to run a batch command." };
		draw_message(lines, 3);
		return;
	}
	const char *header = t->plugin->view->header != NULL ? t->plugin->view->header(t->state) : NULL;
	struct chart c;
	/* A histogram instead of the list (plugin.h: struct chart), when it fits. */
	if (t->plugin->view->chart != NULL && chart_fits(COLS, LINES - 2) && t->plugin->view->chart(t->state, &c)) {
		if (c.title == NULL)
			c.title = header;
		chart_draw(&c, t->list.shown > 0 ? list_row(&t->list, t->list.cursor) : (size_t)-1, 1, 0, LINES - 2, COLS);
		return;
	}
	draw_list(&t->list, header);
}

static void draw_pager(struct pager *p)
{
	int h = LINES - 2;

	draw_untrusted(1, 0, COLS, p->title, strlen(p->title), A_REVERSE | A_BOLD, true);
	for (int r = 0; r < h - 1; r++) {
		size_t i = p->top + (size_t)r;
		int y = 2 + r;

		move(y, 0);
		clrtoeol();
		if (i >= p->nlines)
			continue;
		const char *s = p->lines[i];
		/* Horizontal scroll: skip p->left columns (the lines are safe UTF-8). */
		size_t skip = p->left;
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		while (skip > 0 && *s != '\0') {
			wchar_t wc;
			size_t k = mbrtowc(&wc, s, strlen(s), &st);
			if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
				k = 1;
			s += k;
			skip--;
		}
		draw_str(y, 0, COLS, s, A_NORMAL, false);
	}
}

/* Columns a character of the prompt's input takes. */
static int input_width(wchar_t wc)
{
	int cw = wcwidth(wc);

	/* As draw_text counts it: combining marks take none, unprintables one. */
	return cw >= 0 ? cw : 1;
}

static void draw_status(void)
{
	int y = LINES - 1;

	move(y, 0);
	clrtoeol();
	if (T->prompt == PROMPT_CONFIRM) {
		attr_t a = T->color ? COLOR_PAIR(PAIR_WARN) | A_BOLD : A_BOLD | A_REVERSE;
		char q[600];
		snprintf(q, sizeof(q), "%s [y/N]", T->question);
		draw_untrusted(y, 0, COLS, q, strlen(q), a, true);
		curs_set(0);
		return;
	}
	if (T->prompt != PROMPT_NONE) {
		const char *lead = T->prompt == PROMPT_CMD ? ":" : T->prompt == PROMPT_ASK ? T->ask_label : "/";
		int lw = (int)ui_width(lead, strlen(lead));
		int avail = COLS - lw; /* columns after the lead */
		int cursor_col = 0, skipped = 0, first = 0, x = lw;

		draw_str(y, 0, lw, lead, A_BOLD, false);
		for (int i = 0; i < T->icur; i++)
			cursor_col += input_width(T->input[i]);
		/* Long input: show the window around the cursor. The text before it
		 * is cut at a character and marked with an ellipsis, the cursor
		 * kept a column before the edge. */
		if (cursor_col > avail - 2) {
			while (first < T->icur && cursor_col - skipped + 1 > avail - 2)
				skipped += input_width(T->input[first++]);
			draw_str(y, lw, 1, "\xe2\x80\xa6", A_DIM, false);
			x = lw + 1;
		}
		char buf[INPUT_MAX * 4 + 8];
		wchar_t tmp[INPUT_MAX + 1];
		wmemcpy(tmp, T->input + first, (size_t)(T->ilen - first));
		tmp[T->ilen - first] = L'\0';
		size_t n = wcstombs(buf, tmp, sizeof(buf) - 1);
		if (n == (size_t)-1)
			n = 0;
		buf[n] = '\0';
		draw_untrusted(y, x, COLS - x, buf, n, A_NORMAL, false);
		move(y, x + cursor_col - skipped);
		curs_set(1);
		return;
	}
	curs_set(0);
	if (T->progress[0] != '\0') {
		draw_str(y, 0, COLS, T->progress, A_BOLD, true);
		return;
	}
	if (T->status[0] != '\0' && util_now_ms() < T->status_until) {
		attr_t a = T->status_error ? (T->color ? COLOR_PAIR(PAIR_ERR) | A_BOLD : A_BOLD) : A_NORMAL;
		draw_str(y, 0, COLS, T->status, a, true);
		return;
	}
	T->status[0] = '\0';
	/* Where we are: position in the list or pager, and the filter. */
	char where[256] = "";
	struct overlay *o = top_overlay();
	struct list *l = current_list();
	if (o != NULL && o->is_pager) {
		snprintf(where, sizeof(where), "line %zu/%zu", o->pager.nlines != 0 ? o->pager.top + 1 : 0,
			 o->pager.nlines);
	} else if (l != NULL) {
		size_t total = l->view->row_count(l->state);
		if (l->filter != NULL) {
			char *f = sanitize_dup(l->filter, strlen(l->filter), SAN_LINE);
			snprintf(where, sizeof(where), "%zu/%zu of %zu  filter: %s", l->shown ? l->cursor + 1 : 0,
				 l->shown, total, f);
			free(f);
		} else {
			snprintf(where, sizeof(where), "%zu/%zu", l->shown ? l->cursor + 1 : 0, l->shown);
		}
	}
	const char *hint = "?:help  ::command  q:quit";
	int hw = (int)strlen(hint);
	draw_str(y, 0, COLS, where, A_DIM, true);
	if ((int)strlen(where) + hw + 2 < COLS)
		draw_str(y, COLS - hw, hw, hint, A_DIM, false);
}

static void draw(void)
{
	if (LINES < 5 || COLS < 20) {
		erase();
		mvaddstr(0, 0, "Terminal too small");
		refresh();
		return;
	}
	draw_tabbar();
	struct overlay *o = top_overlay();
	if (o != NULL && o->is_pager) {
		draw_pager(&o->pager);
	} else if (o != NULL) {
		move(1, 0);
		clrtoeol();
		draw_list(&o->list, o->view->header != NULL ? o->view->header(o->state) : NULL);
	} else {
		move(1, 0);
		clrtoeol();
		draw_tab(&T->tabs[T->cur]);
	}
	draw_status();
	refresh();
}

static void redraw_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	T->dirty = false;
	for (int i = 0; i < T->ntabs; i++) {
		struct tab *t = &T->tabs[i];
		if (t->opened && t->open_rc == 0 && t->plugin->view != NULL && t->plugin->view->poll != NULL &&
		    t->plugin->view->poll(t->state)) {
			list_refresh(&t->list);
			details_follow(t->plugin->view, t->state);
		}
	}
	for (int i = 0; i < T->noverlays; i++) {
		struct overlay *o = &T->overlays[i];
		if (!o->is_pager && o->view->poll != NULL && o->view->poll(o->state)) {
			list_refresh(&o->list);
			details_follow(o->view, o->state);
		}
	}
	draw();
}

/* ---- the ':' prompt runs a batch command into the pager ---- */

/*
 * A verb from the prompt runs in a child process (backend/child.c: a
 * process group of its own), with its output and its messages going to
 * unlinked temporary files, so the console keeps answering while it works
 * (a callahead to a hanging server, a listing of a million keys): the verbs
 * run as in batch mode, on loops of their own, never touching the screen.
 * When the child ends, the output opens in the pager. Esc or Ctrl-C stop
 * it (SIGTERM to its group).
 */
struct job {
	struct loop_child *child;
	FILE *out, *err;
	struct cli_line *line; /* what the child runs */
	char text[INPUT_MAX * 4];
};
static struct job J;

static char *slurp(FILE *f, size_t *len)
{
	struct buf b;
	char tmp[65536];
	size_t n;

	buf_init(&b);
	fflush(f);
	rewind(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	*len = b.len;
	return b.len > 0 ? buf_take(&b) : (buf_free(&b), xstrdup(""));
}

/* The child: batch mode on its own loops, never the screen nor the
 * keyboard; it ends with _exit, leaving the terminal alone. */
static int job_main(void *arg, int fd)
{
	struct config *cfg = T->cfg;

	(void)arg;
	(void)fd; /* it writes nothing there: its end is what matters */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGWINCH, SIG_IGN);
	T = NULL;
	util_set_fatal_hook(NULL);
	int code = cli_run(J.line, cfg, NULL, J.out, J.err, false);
	fflush(J.out);
	fflush(J.err);
	return code;
}

static void job_data(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
}

static void job_files_close(void)
{
	if (J.out != NULL)
		fclose(J.out);
	if (J.err != NULL)
		fclose(J.err);
	J.out = J.err = NULL;
}

static void job_end(void *arg, int status)
{
	(void)arg;
	J.child = NULL;
	tui_progress(NULL);
	int rc = status < 0 ? EXIT_SOFTWARE : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	size_t outlen, errlen;
	char *out = slurp(J.out, &outlen), *errs = slurp(J.err, &errlen);
	job_files_close();
	size_t first = strcspn(errs, "\n");
	if (status >= 0 && WIFSIGNALED(status)) {
		set_status(true, ":%s stopped", J.text);
	} else {
		/* What it said on stderr goes to the status line, and to the
		 * pager too when it said more than one line. */
		if (errlen > first + 1) {
			out = xrealloc(out, outlen + errlen + 1);
			memcpy(out + outlen, errs, errlen);
			outlen += errlen;
			out[outlen] = '\0';
		}
		if (outlen > 0) {
			char title[sizeof(J.text) + 32];
			snprintf(title, sizeof(title), ":%s%s", J.text, rc != 0 ? "  (failed)" : "");
			tui_pager(title, out, outlen);
		}
		if (rc != 0)
			set_status(true, "exit %d%s%.*s", rc, first > 0 ? ": " : "", (int)first, errs);
		else if (first > 0)
			set_status(false, "%.*s", (int)first, errs);
	}
	free(out);
	free(errs);
	tui_dirty();
}

/* Esc or Ctrl-C while a command runs: stop it. */
static bool job_cancel(void)
{
	if (J.child == NULL)
		return false;
	loop_child_signal(J.child, SIGTERM);
	return true;
}

static void run_command(const char *text)
{
	char err[512];
	int argc;

	if (J.child != NULL) {
		set_status(true, ":%s is still running (Esc stops it)", J.text);
		return;
	}
	char **words = cli_split(text, &argc, err, sizeof(err));
	if (words == NULL) {
		set_status(true, "%s", err);
		return;
	}
	if (argc == 0) {
		cli_words_free(words);
		return;
	}
	struct cli_line line;
	int rc = cli_parse(&line, argc, words, err, sizeof(err));
	if (rc != 0 || (line.plugin == NULL && !line.help && !line.version)) {
		set_status(true, "%s", rc != 0 ? err : "usage: PLUGIN [VERB] [ARGS], e.g. ':help' or ':aliases show root'");
		cli_line_free(&line);
		cli_words_free(words);
		return;
	}
	J.out = tmpfile();
	J.err = tmpfile();
	J.line = &line;
	if (J.out == NULL || J.err == NULL) {
		set_status(true, "cannot run: %s", strerror(errno));
	} else {
		J.child = loop_child_start(T->loop, job_main, NULL, job_data, job_end, NULL, err, sizeof(err));
		if (J.child == NULL)
			set_status(true, "cannot run: %s", err);
	}
	J.line = NULL;
	cli_line_free(&line);
	cli_words_free(words);
	if (J.child == NULL) {
		job_files_close();
		return;
	}
	snprintf(J.text, sizeof(J.text), "%s", text);
	char msg[sizeof(J.text) + 40];
	snprintf(msg, sizeof(msg), "running :%s ... (Esc stops it)", text);
	tui_progress(msg);
	tui_dirty();
}

/* ---- prompts ---- */

static char *input_utf8(void)
{
	wchar_t tmp[INPUT_MAX + 1];
	char *s = xmalloc(INPUT_MAX * MB_CUR_MAX + 1);

	wmemcpy(tmp, T->input, (size_t)T->ilen);
	tmp[T->ilen] = L'\0';
	size_t n = wcstombs(s, tmp, INPUT_MAX * MB_CUR_MAX);
	s[n == (size_t)-1 ? 0 : n] = '\0';
	return s;
}

static void prompt_open(enum prompt_kind kind)
{
	T->prompt = kind;
	T->ilen = T->icur = 0;
	T->hpos = T->nhist;
	if (kind == PROMPT_FILTER) {
		struct list *l = current_list();
		free(T->filter_before);
		T->filter_before = l != NULL && l->filter != NULL ? xstrdup(l->filter) : NULL;
	}
	tui_dirty();
}

static void prompt_changed(void)
{
	if (T->prompt != PROMPT_FILTER)
		return;
	struct list *l = current_list();
	if (l == NULL)
		return;
	char *s = input_utf8();
	list_set_filter(l, s);
	free(s);
}

void tui_confirm(const char *question, void (*yes)(void *arg), void *arg)
{
	if (T == NULL)
		return;
	snprintf(T->question, sizeof(T->question), "%s", question);
	T->confirm_yes = yes;
	T->confirm_arg = arg;
	T->prompt = PROMPT_CONFIRM;
	tui_dirty();
}

void tui_ask(const char *label, void (*done)(void *arg, const char *text), void *arg)
{
	if (T == NULL)
		return;
	snprintf(T->ask_label, sizeof(T->ask_label), "%s", label);
	T->ask_done = done;
	T->ask_arg = arg;
	prompt_open(PROMPT_ASK);
}

bool tui_shown_row(size_t pos, size_t *row)
{
	struct list *l = T != NULL ? current_list() : NULL;

	if (l == NULL || pos >= l->shown)
		return false;
	*row = list_row(l, pos);
	return true;
}

size_t tui_shown_count(void)
{
	struct list *l = T != NULL ? current_list() : NULL;

	return l != NULL ? l->shown : 0;
}

static void prompt_key(int key, bool fkey)
{
	if (T->prompt == PROMPT_CONFIRM) {
		/* Only y says yes; anything else (Esc, n, Enter, Ctrl-C) says no. */
		void (*yes)(void *) = T->confirm_yes;
		void *arg = T->confirm_arg;
		T->prompt = PROMPT_NONE;
		T->confirm_yes = NULL;
		if (keys_lookup(SCOPE_QUESTION, key, fkey) == ACT_YES && yes != NULL)
			yes(arg);
		else
			set_status(false, "cancelled: nothing changed");
		tui_dirty();
		return;
	}
	enum action a = keys_lookup(SCOPE_PROMPT, key, fkey);

	switch (a) {
	case ACT_CANCEL:
		if (T->prompt == PROMPT_FILTER) {
			struct list *l = current_list();
			if (l != NULL)
				list_set_filter(l, T->filter_before);
		}
		T->prompt = PROMPT_NONE;
		break;
	case ACT_ENTER: {
		enum prompt_kind kind = T->prompt;
		char *s = input_utf8();

		T->prompt = PROMPT_NONE;
		if (kind == PROMPT_CMD && s[0] != '\0') {
			if (T->nhist == HISTORY_MAX) {
				free(T->history[0]);
				memmove(T->history, T->history + 1, (HISTORY_MAX - 1) * sizeof(char *));
				T->nhist--;
			}
			T->history[T->nhist++] = xstrdup(s);
			run_command(s);
		} else if (kind == PROMPT_FILTER) {
			struct list *l = current_list();
			if (l != NULL) {
				free(l->search);
				l->search = s[0] != '\0' ? xstrdup(s) : NULL;
				if (l->shown == 0 && s[0] != '\0')
					set_status(true, "no row matches '%s'", s);
			}
		} else if (kind == PROMPT_ASK) {
			void (*done)(void *, const char *) = T->ask_done;
			T->ask_done = NULL;
			if (done != NULL)
				done(T->ask_arg, s);
		} else if (kind == PROMPT_SEARCH) {
			struct overlay *o = top_overlay();
			if (o != NULL && o->is_pager && s[0] != '\0') {
				free(o->pager.search);
				o->pager.search = xstrdup(s);
				if (!pager_find(&o->pager, s, 1, LINES - 3))
					set_status(true, "not found: %s", s);
			}
		}
		free(s);
		break;
	}
	case ACT_UP:
	case ACT_DOWN: {
		/* History: the ':' prompt only. */
		int h = T->hpos + (a == ACT_UP ? -1 : 1);
		if (T->prompt != PROMPT_CMD || h < 0 || h > T->nhist)
			break;
		T->hpos = h;
		T->ilen = 0;
		if (h < T->nhist) {
			size_t n = mbstowcs(T->input, T->history[h], INPUT_MAX - 1);
			T->ilen = n == (size_t)-1 ? 0 : (int)n;
		}
		T->icur = T->ilen;
		break;
	}
	case ACT_LEFT:
		if (T->icur > 0)
			T->icur--;
		break;
	case ACT_RIGHT:
		if (T->icur < T->ilen)
			T->icur++;
		break;
	case ACT_TOP:
		T->icur = 0;
		break;
	case ACT_BOTTOM:
		T->icur = T->ilen;
		break;
	case ACT_ERASE_BACK:
		if (T->icur > 0) {
			wmemmove(T->input + T->icur - 1, T->input + T->icur, (size_t)(T->ilen - T->icur));
			T->icur--;
			T->ilen--;
			prompt_changed();
		} else if (T->ilen == 0) {
			/* Backspace on an empty line closes the prompt. */
			prompt_key(27, false);
			return;
		}
		break;
	case ACT_ERASE_FWD:
		if (T->icur < T->ilen) {
			wmemmove(T->input + T->icur, T->input + T->icur + 1, (size_t)(T->ilen - T->icur - 1));
			T->ilen--;
			prompt_changed();
		}
		break;
	case ACT_ERASE_LINE:
		T->ilen = T->icur = 0;
		prompt_changed();
		break;
	default:
		/* Any other printable character is text. */
		if (!fkey && key >= 0x20 && key != 0x7f && !(key >= 0x80 && key < 0xa0) && T->ilen < INPUT_MAX - 1 &&
		    iswprint((wint_t)key)) {
			wmemmove(T->input + T->icur + 1, T->input + T->icur, (size_t)(T->ilen - T->icur));
			T->input[T->icur++] = (wchar_t)key;
			T->ilen++;
			prompt_changed();
		}
		break;
	}
	tui_dirty();
}

/* ---- keys ---- */

static void list_key(struct list *l, enum action a, int key, bool fkey)
{
	int h = body_height();
	int ncols;

	switch (a) {
	case ACT_DOWN:
		list_move(l, 1, h);
		break;
	case ACT_UP:
		list_move(l, -1, h);
		break;
	case ACT_PGDN:
		list_move(l, h, h);
		l->top = l->cursor >= (size_t)h - 1 && l->top + (size_t)h <= l->cursor ? l->cursor - (size_t)h + 1 : l->top;
		break;
	case ACT_PGUP:
		list_move(l, -(long)h, h);
		break;
	case ACT_TOP:
		list_goto(l, 0, h);
		break;
	case ACT_BOTTOM:
		list_goto(l, l->shown > 0 ? l->shown - 1 : 0, h);
		break;
	case ACT_FILTER:
		prompt_open(PROMPT_FILTER);
		break;
	case ACT_NEXT_MATCH:
	case ACT_PREV_MATCH:
		if (l->search == NULL)
			set_status(true, "no filter word yet: / to type one");
		else if (!list_find(l, l->search, a == ACT_NEXT_MATCH ? 1 : -1, h))
			set_status(true, "no row matches");
		break;
	case ACT_SORT:
		/* Only through the columns the screen shows. */
		l->view->columns(l->state, &ncols);
		if (ncols > MAX_COLS)
			ncols = MAX_COLS;
		list_set_sort(l, l->sort_col + 1 < ncols ? l->sort_col + 1 : -1, l->sort_desc);
		break;
	case ACT_SORT_REVERSE:
		list_set_sort(l, l->sort_col < 0 ? 0 : l->sort_col, !l->sort_desc);
		break;
	case ACT_ENTER:
		if (l->shown > 0 && l->view->activate != NULL) {
			int depth = T->noverlays;
			int r = l->view->activate(l->state, &T->ctx, list_row(l, l->cursor));
			/* The view may have opened or closed a list: l is stale then. */
			if (depth == T->noverlays && (r & VIEW_DIRTY))
				list_refresh(l);
		} else if (l->shown > 0 && l->view->detail != NULL) {
			size_t row = list_row(l, l->cursor);
			const struct view *view = l->view;
			void *state = l->state;
			char *text = view->detail(state, row);
			if (text != NULL) {
				int depth = T->noverlays;
				tui_pager("details", text, strlen(text));
				struct overlay *o = top_overlay();
				if (T->noverlays == depth + 1 && view->detail_live && view->poll != NULL) {
					o->src_view = view;
					o->src_state = state;
					o->src_row = row;
					o->src_text = text;
				} else {
					free(text); /* nothing to follow (or the list made room for it) */
				}
			}
		}
		break;
	default:
		if (l->view->key != NULL && !fkey) {
			size_t sel = l->shown > 0 ? list_row(l, l->cursor) : (size_t)-1;
			int depth = T->noverlays;
			int r = l->view->key(l->state, &T->ctx, key, sel);
			if (depth == T->noverlays && (r & VIEW_DIRTY))
				list_refresh(l);
		}
		break;
	}
	tui_dirty();
}

static void pager_key(struct pager *p, enum action a)
{
	int h = LINES - 3;

	switch (a) {
	case ACT_DOWN:
		pager_scroll(p, 1, h);
		break;
	case ACT_UP:
		pager_scroll(p, -1, h);
		break;
	case ACT_PGDN:
		pager_scroll(p, h, h);
		break;
	case ACT_PGUP:
		pager_scroll(p, -(long)h, h);
		break;
	case ACT_TOP:
		p->top = 0;
		break;
	case ACT_BOTTOM:
		pager_scroll(p, (long)p->nlines, h);
		break;
	case ACT_LEFT:
		p->left = p->left >= 8 ? p->left - 8 : 0;
		break;
	case ACT_RIGHT:
		p->left += 8;
		break;
	case ACT_SEARCH:
		prompt_open(PROMPT_SEARCH);
		break;
	case ACT_NEXT_MATCH:
	case ACT_PREV_MATCH:
		if (p->search != NULL && !pager_find(p, p->search, a == ACT_NEXT_MATCH ? 1 : -1, h))
			set_status(true, "not found");
		break;
	default:
		break;
	}
	tui_dirty();
}

static void handle_key(int key, bool fkey)
{
	if (fkey && key == KEY_RESIZE) {
		tui_dirty();
		return;
	}
	if (T->prompt != PROMPT_NONE) {
		prompt_key(key, fkey);
		return;
	}
	if (!fkey && key == 27 && job_cancel())
		return;
	struct overlay *o = top_overlay();
	bool pager = o != NULL && o->is_pager;
	enum action a = keys_lookup(pager ? SCOPE_PAGER : SCOPE_LIST, key, fkey);

	switch (a) {
	case ACT_QUIT:
		if (o != NULL)
			overlay_pop();
		else
			T->quit = true;
		return;
	case ACT_TAB_N:
		select_tab(key - '1');
		return;
	case ACT_TAB_NEXT:
		select_tab((T->cur + 1) % T->ntabs);
		return;
	case ACT_TAB_PREV:
		select_tab((T->cur + T->ntabs - 1) % T->ntabs);
		return;
	case ACT_PROMPT:
		prompt_open(PROMPT_CMD);
		return;
	case ACT_HELP:
		open_help();
		return;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		tui_dirty();
		return;
	case ACT_REOPEN:
		if (o == NULL) {
			struct tab *t = &T->tabs[T->cur];
			tab_close(t);
			tab_open(t);
			set_status(false, "%s reloaded", t->plugin->title);
			return;
		}
		break;
	default:
		break;
	}
	if (pager) {
		pager_key(&o->pager, a);
		return;
	}
	struct list *l = current_list();
	if (l != NULL)
		list_key(l, a, key, fkey);
}

static void stdin_cb(int fd, int what, void *arg)
{
	wint_t wc;
	int r;

	(void)fd;
	(void)what;
	(void)arg;
	while ((r = get_wch(&wc)) != ERR) {
		handle_key((int)wc, r == KEY_CODE_YES);
		if (T->quit)
			break;
	}
	if (T->quit)
		loop_break(T->loop);
}

static void resize_now(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	tui_dirty();
}

static void signal_cb(int sig, void *arg)
{
	(void)arg;
	if (sig == SIGWINCH) {
		resize_now();
		return;
	}
	if (sig == SIGINT && T->prompt != PROMPT_NONE) {
		prompt_key(27, false);
		return;
	}
	if (sig == SIGINT && job_cancel())
		return;
	/* SIGINT 130, SIGHUP 129, SIGTERM 143: as a shell reports a death by the signal. */
	T->quit = true;
	T->exit_code = 128 + sig;
	loop_break(T->loop);
}

static void tick_cb(void *arg)
{
	(void)arg;
	/* Expire status messages, and let views poll for changed data. */
	tui_dirty();
}

static void init_colors(bool no_color)
{
	const char *nc = getenv("NO_COLOR");

	T->color = !no_color && (nc == NULL || nc[0] == '\0') && has_colors();
	if (!T->color)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_OK, COLOR_GREEN, -1);
	init_pair(PAIR_WARN, COLOR_YELLOW, -1);
	init_pair(PAIR_FAIL, COLOR_RED, -1);
	init_pair(PAIR_HEAD, COLOR_CYAN, -1);
	init_pair(PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_SEL, COLOR_WHITE, COLOR_BLUE);
	init_pair(PAIR_ERR, COLOR_RED, -1);
}

int tui_main(struct config *cfg, bool no_color)
{
	struct tui tui;
	char err[256];

	memset(&tui, 0, sizeof(tui));
	T = &tui;
	tui.cfg = cfg;
	tui.loop = loop_new(err, sizeof(err));
	if (tui.loop == NULL) {
		fprintf(stderr, "mailops: %s\n", err);
		T = NULL;
		return EXIT_SOFTWARE;
	}
	tui.ctx = (struct ctx){ .cfg = cfg, .loop = tui.loop, .format = FORMAT_TEXT, .console = true };
	buf_init(&tui.ctx.pending);
	for (const struct plugin *const *p = plugins; *p != NULL && tui.ntabs < MAX_TABS; p++)
		if (!(*p)->batch_only)
			tui.tabs[tui.ntabs++].plugin = *p;

	tui.screen = newterm(NULL, stdout, stdin);
	if (tui.screen == NULL) {
		fprintf(stderr, "mailops: cannot use the terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
		loop_free(tui.loop);
		T = NULL;
		return EXIT_UNAVAILABLE;
	}
	curses_on = true;
	util_set_fatal_hook(restore_terminal);
	atexit(restore_terminal);
	/* A child the console forks (a ':' command, a tab's reader) must never
	 * restore the terminal under the console, whatever way it ends. */
	pthread_atfork(NULL, NULL, forget_terminal);
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		signal(crash_signals[i], crash_handler);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	init_colors(no_color);

	tui.redraw_ev = event_new(loop_base(tui.loop), -1, 0, redraw_cb, NULL);
	tui.stdin_watch = loop_watch_add(tui.loop, STDIN_FILENO, LOOP_READ, stdin_cb, NULL);
	loop_signal(tui.loop, SIGWINCH, signal_cb, NULL);
	loop_signal(tui.loop, SIGINT, signal_cb, NULL);
	loop_signal(tui.loop, SIGTERM, signal_cb, NULL);
	loop_signal(tui.loop, SIGHUP, signal_cb, NULL);
	tui.tick = loop_timer_add(tui.loop, 1000, true, tick_cb, NULL);

	select_tab(0);
	draw();
	tui.dirty = false;
	/* Keys typed before the loop started are already waiting. */
	stdin_cb(STDIN_FILENO, LOOP_READ, NULL);
	if (!tui.quit)
		loop_run(tui.loop);

	if (J.child != NULL) {
		/* A ':' command still running goes with the console. */
		loop_child_kill(J.child);
		J.child = NULL;
		job_files_close();
	}
	while (tui.noverlays > 0)
		overlay_pop();
	for (int i = 0; i < tui.ntabs; i++)
		tab_close(&tui.tabs[i]);
	restore_terminal();
	delscreen(tui.screen);
	loop_timer_del(tui.tick);
	loop_watch_del(tui.stdin_watch);
	event_free(tui.redraw_ev);
	loop_free(tui.loop);
	for (int i = 0; i < tui.nhist; i++)
		free(tui.history[i]);
	free(tui.filter_before);
	buf_free(&tui.ctx.pending);
	util_set_fatal_hook(NULL);
	T = NULL;
	return tui.exit_code;
}

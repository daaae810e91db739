/*
 * ui/chart.c: the histogram widget. Draws a struct chart (plugins/plugin.h)
 * in a rectangle of the screen: vertical bars in eighth blocks, the
 * expected value of each bin as a line across its bar, the band around it
 * (lo..hi) dotted, a y axis with three ticks, the bin labels (thinned when
 * they do not fit), the selected bar highlighted with its info line under
 * the chart, and the side panel of statistics to the right (or below, on
 * a narrow screen). When the bins do not fit at two columns each, a window
 * of them around the selection is shown. Every text is untrusted and
 * sanitised here.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"

bool chart_fits(int width, int height)
{
	return width >= 40 && height >= 10;
}

/* Untrusted text at y,x in at most w columns. */
static void put(int y, int x, int w, const char *s, attr_t attr)
{
	if (s == NULL || w <= 0)
		return;
	char *safe = sanitize_dup(s, strlen(s), SAN_LINE);
	const char *p = safe;
	size_t left = strlen(safe);
	mbstate_t st;
	int used = 0;

	memset(&st, 0, sizeof(st));
	attron(attr);
	move(y, x);
	while (left > 0) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, left, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			break;
		int cw = wcwidth(wc);
		if (cw < 0)
			cw = 1;
		if (used + cw > w)
			break;
		addnstr(p, (int)n);
		used += cw;
		p += n;
		left -= n;
	}
	attroff(attr);
	free(safe);
}

void chart_draw(const struct chart *c, size_t sel, int y, int x, int h, int w)
{
	static const char *const eighths[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	int sidew = 0, below = 0;

	for (int r = 0; r < h; r++) {
		move(y + r, x);
		clrtoeol();
	}
	put(y, x, w, c->title, tui_role_attr(ROLE_HEAD));
	if (c->nside > 0 && w >= 100) {
		sidew = w * 2 / 5 < 56 ? w * 2 / 5 : 56;
	} else if (c->nside > 0) {
		below = (int)c->nside < h / 3 ? (int)c->nside : h / 3;
	}
	/* rows: title, plot, axis, labels, info, [side below] */
	int ph = h - 4 - below;
	int top = y + 1, ylab = 7;
	int pw = w - sidew - (sidew ? 2 : 0) - ylab;
	if (ph < 2 || pw < 4 || c->nbins == 0) {
		put(top, x, w, c->nbins == 0 ? "(no bins)" : "(too small for a chart)", tui_role_attr(ROLE_DIM));
		return;
	}
	double max = 0;
	for (size_t i = 0; i < c->nbins; i++) {
		const struct chart_bin *b = &c->bins[i];
		max = b->observed > max ? b->observed : max;
		max = b->expected > max ? b->expected : max;
		max = b->hi > b->lo && b->hi > max ? b->hi : max;
	}
	if (max <= 0)
		max = 1;
	max *= 1.05;
	/* bar width, and the window of bins shown */
	int bw = pw / (int)c->nbins;
	size_t first = 0, nvis = c->nbins;
	if (bw < 2) {
		bw = 2;
		nvis = (size_t)(pw / bw);
		if (sel != (size_t)-1 && sel >= nvis / 2)
			first = sel - nvis / 2;
		if (first + nvis > c->nbins)
			first = c->nbins - nvis;
	}
	if (bw > 12)
		bw = 12;
	int gap = bw >= 3, barw = bw - gap;
	/* y axis */
	char tick[32];
	for (int k = 0; k <= 2; k++) {
		int row = top + ph - 1 - (ph - 1) * k / 2;
		snprintf(tick, sizeof(tick), "%6.3g", max * k / 2);
		put(row, x, ylab - 1, tick, tui_role_attr(ROLE_DIM));
	}
	int x0 = x + ylab;
	for (int r = 0; r < ph; r++)
		mvaddstr(top + r, x0 - 1, "│");
	move(top + ph, x0 - 1);
	addstr("└");
	for (int k = 0; k < (int)nvis * bw && k < pw; k++)
		addstr("─");
	/* labels: every step-th so that they fit */
	size_t lablen = 1;
	for (size_t i = first; i < first + nvis; i++)
		if (c->bins[i].label != NULL && strlen(c->bins[i].label) > lablen)
			lablen = strlen(c->bins[i].label);
	size_t step = (lablen + 1 + (size_t)bw - 1) / (size_t)bw;
	if (step == 0)
		step = 1;
	for (size_t i = first; i < first + nvis; i++) {
		const struct chart_bin *b = &c->bins[i];
		int bx = x0 + (int)(i - first) * bw;
		bool selected = i == sel;
		attr_t a = selected ? tui_role_attr(ROLE_HEAD) | A_REVERSE
				    : b->flagged ? tui_role_attr(ROLE_WARN) : tui_role_attr(ROLE_OK);
		long eh = (long)(b->observed / max * ph * 8 + 0.5);
		for (int r = 0; r < ph; r++) {
			long fill = eh - (long)r * 8;
			fill = fill < 0 ? 0 : fill > 8 ? 8 : fill;
			attron(a);
			for (int k = 0; k < barw; k++)
				mvaddstr(top + ph - 1 - r, bx + k, eighths[fill]);
			attroff(a);
		}
		/* the band, then the expected value, over the bar */
		if (b->hi > b->lo) {
			int rl = (int)(b->lo / max * ph), rh = (int)(b->hi / max * ph);
			rl = rl < 0 ? 0 : rl >= ph ? ph - 1 : rl;
			rh = rh < 0 ? 0 : rh >= ph ? ph - 1 : rh;
			attron(tui_role_attr(ROLE_DIM));
			for (int k = 0; k < barw; k++) {
				if (b->lo > 0)
					mvaddstr(top + ph - 1 - rl, bx + k, "┈");
				mvaddstr(top + ph - 1 - rh, bx + k, "┈");
			}
			attroff(tui_role_attr(ROLE_DIM));
		}
		if (b->expected >= 0) {
			int re = (int)(b->expected / max * ph);
			re = re < 0 ? 0 : re >= ph ? ph - 1 : re;
			attron(A_BOLD);
			for (int k = 0; k < barw; k++)
				mvaddstr(top + ph - 1 - re, bx + k, "━");
			attroff(A_BOLD);
		}
		if ((i - first) % step == 0 || selected)
			put(top + ph + 1, bx, (int)lablen + 1 > bw * (int)step ? bw * (int)step : (int)lablen + 1, b->label,
			    selected ? A_REVERSE : A_NORMAL);
	}
	if (sel < c->nbins)
		put(top + ph + 2, x, w - sidew, c->bins[sel].info, A_BOLD);
	if (first > 0 || first + nvis < c->nbins) {
		snprintf(tick, sizeof(tick), "bins %zu-%zu of %zu", first + 1, first + nvis, c->nbins);
		put(top + ph + 2, x + w - sidew - 24 > x ? x + w - sidew - 24 : x, 24, tick, tui_role_attr(ROLE_DIM));
	}
	/* the side panel */
	for (size_t i = 0; i < c->nside; i++) {
		if (sidew > 0 && (int)i < ph + 2)
			put(top + (int)i, x + w - sidew, sidew, c->side[i], i == 0 ? A_BOLD : A_NORMAL);
		else if (sidew == 0 && (int)i < below)
			put(top + ph + 3 + (int)i, x, w, c->side[i], A_NORMAL);
	}
}

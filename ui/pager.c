/*
 * ui/pager.c: the pager's model, apart from drawing: text split into
 * sanitised lines (TABs expanded), a scroll position and a search.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui.h"

static void add_line(struct pager *p, size_t *cap, const char *s, size_t len)
{
	struct buf expanded, safe;
	size_t col = 0;

	buf_init(&expanded);
	buf_init(&safe);
	buf_grow(&expanded, len);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\t') {
			do
				buf_addc(&expanded, ' ');
			while (++col % 8 != 0);
		} else {
			buf_addc(&expanded, s[i]);
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				col++;
		}
	}
	if (expanded.len > 0 && expanded.data[expanded.len - 1] == '\r')
		expanded.len--;
	sanitize_buf(&safe, expanded.data != NULL ? expanded.data : "", expanded.len, SAN_LINE);
	buf_grow(&safe, 0);
	if (p->nlines == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 64;
		p->lines = xrealloc(p->lines, *cap * sizeof(char *));
	}
	p->lines[p->nlines++] = buf_take(&safe);
	buf_free(&expanded);
}

void pager_init(struct pager *p, const char *title, const char *text, size_t len)
{
	size_t cap = 0;

	memset(p, 0, sizeof(*p));
	p->title = sanitize_dup(title, strlen(title), SAN_LINE);
	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - text) : len;

		add_line(p, &cap, text, n);
		if (nl == NULL)
			break;
		text += n + 1;
		len -= n + 1;
	}
}

void pager_set_text(struct pager *p, const char *text, size_t len)
{
	struct pager old = *p;

	pager_init(p, "", text, len);
	free(p->title);
	p->title = old.title;
	p->search = old.search;
	p->left = old.left;
	/* where the reader was, unless the text got shorter than that */
	p->top = old.top < p->nlines ? old.top : p->nlines > 0 ? p->nlines - 1 : 0;
	for (size_t i = 0; i < old.nlines; i++)
		free(old.lines[i]);
	free(old.lines);
}

void pager_free(struct pager *p)
{
	for (size_t i = 0; i < p->nlines; i++)
		free(p->lines[i]);
	free(p->lines);
	free(p->title);
	free(p->search);
	memset(p, 0, sizeof(*p));
}

void pager_scroll(struct pager *p, long delta, int height)
{
	size_t max = p->nlines > (size_t)height ? p->nlines - (size_t)height : 0;

	if (delta < 0)
		p->top = (size_t)-delta > p->top ? 0 : p->top - (size_t)-delta;
	else
		p->top += (size_t)delta;
	if (p->top > max)
		p->top = max;
}

bool pager_find(struct pager *p, const char *pattern, int dir, int height)
{
	size_t plen = strlen(pattern);

	if (p->nlines == 0 || plen == 0)
		return false;
	for (size_t k = 1; k <= p->nlines; k++) {
		size_t i = dir > 0 ? (p->top + k) % p->nlines : (p->top + p->nlines - k % p->nlines) % p->nlines;
		const char *s = p->lines[i];

		for (; *s != '\0'; s++) {
			if (strncasecmp(s, pattern, plen) == 0) {
				p->top = i;
				pager_scroll(p, 0, height);
				return true;
			}
		}
	}
	return false;
}

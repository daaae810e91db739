/*
 * ui/writer.c: the batch writers (text, tsv, csv, json) that every verb's
 * rows go through, and the display-width helper they share with the console.
 * Every format is safe for a terminal (DESIGN §5): text cells are sanitised
 * before they are written, JSON is written with ASCII escapes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"

/* The text writer holds this many rows back to size its columns, then streams. */
#define TEXT_HOLD 1000

size_t ui_width(const char *s, size_t len)
{
	mbstate_t st;
	size_t w = 0;

	memset(&st, 0, sizeof(st));
	while (len > 0) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x80) {
			w += c >= 0x20 && c != 0x7f;
			s++;
			len--;
			continue;
		}
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, len, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof(st));
			w++;
			s++;
			len--;
			continue;
		}
		int cw = wcwidth(wc);
		w += cw > 0 ? (size_t)cw : 0;
		s += n;
		len -= n;
	}
	return w;
}

static bool is_num(const struct column *c)
{
	return c->type == COL_INT || c->type == COL_REAL;
}

/* The text form of a cell, appended to b (sanitised for mode). */
static void cell_text(struct buf *b, const struct column *col, const struct cell *c, enum san_mode mode,
		      bool people)
{
	char tmp[32];

	if (c->null) {
		if (people)
			buf_addc(b, '-');
		return;
	}
	/* A number's word for people ("never" for a TTL of -1): text only. */
	if (people && is_num(col) && c->text != NULL) {
		sanitize_buf(b, c->text, c->len, mode);
		return;
	}
	switch (col->type) {
	case COL_INT:
		buf_addf(b, "%lld", c->num);
		break;
	case COL_REAL: {
		char r[64];
		cell_real_text(col, c->real, r, sizeof(r));
		buf_adds(b, r);
		break;
	}
	case COL_TIME:
		util_iso8601(c->num, tmp);
		buf_adds(b, tmp);
		break;
	case COL_BOOL:
		buf_adds(b, c->num ? (people ? "yes" : "true") : (people ? "no" : "false"));
		break;
	case COL_TEXT:
		if (c->text != NULL)
			sanitize_buf(b, c->text, c->len, mode);
		break;
	}
}

static void text_flush_row(struct ctx *ctx, const char *cells)
{
	struct buf line;

	buf_init(&line);
	for (int i = 0; i < ctx->ncols; i++) {
		size_t len = strlen(cells);
		size_t w = ui_width(cells, len);
		bool last = i == ctx->ncols - 1;
		size_t pad = w < ctx->widths[i] ? ctx->widths[i] - w : 0;

		if (is_num(&ctx->cols[i]) && !last)
			for (size_t k = 0; k < pad; k++)
				buf_addc(&line, ' ');
		buf_add(&line, cells, len);
		if (!last) {
			if (!is_num(&ctx->cols[i]))
				for (size_t k = 0; k < pad; k++)
					buf_addc(&line, ' ');
			buf_adds(&line, "  ");
		}
		cells += len + 1;
	}
	/* Trailing blanks of empty last cells help nobody. */
	while (line.len > 0 && line.data[line.len - 1] == ' ')
		line.len--;
	buf_addc(&line, '\n');
	fwrite(line.data, 1, line.len, ctx->out);
	buf_free(&line);
}

static void text_release(struct ctx *ctx)
{
	const char *p = ctx->pending.data;

	for (int r = 0; r < ctx->held; r++) {
		text_flush_row(ctx, p);
		for (int i = 0; i < ctx->ncols; i++)
			p += strlen(p) + 1;
	}
	buf_reset(&ctx->pending);
	ctx->held = 0;
	ctx->streaming = true;
}

static void csv_field(struct buf *b, const char *s, size_t len)
{
	if (strpbrk(s, ",\"") == NULL && (len == 0 || (s[0] != ' ' && s[len - 1] != ' '))) {
		buf_add(b, s, len);
		return;
	}
	buf_addc(b, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			buf_addc(b, '"');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

void writer_begin(struct ctx *ctx, const struct column *cols, int ncols)
{
	struct buf line;

	if (ctx->cols != NULL)
		writer_end(ctx);
	ctx->cols = cols;
	ctx->ncols = ncols;
	ctx->rows = 0;
	ctx->held = 0;
	ctx->streaming = false;
	buf_reset(&ctx->pending);
	free(ctx->widths);
	ctx->widths = xcalloc((size_t)ncols, sizeof(size_t));
	buf_init(&line);
	if (ctx->format == FORMAT_OTHER)
		ctx->format = FORMAT_TEXT; /* a plugin's own format is the verb's to write; rows are text */
	switch (ctx->format) {
	case FORMAT_OTHER:
	case FORMAT_TEXT:
		for (int i = 0; i < ncols; i++) {
			size_t n = strlen(cols[i].name);

			for (size_t k = 0; k < n; k++)
				buf_addc(&ctx->pending, (char)(cols[i].name[k] >= 'a' && cols[i].name[k] <= 'z' ? cols[i].name[k] - 32 : cols[i].name[k]));
			buf_addc(&ctx->pending, '\0');
			ctx->widths[i] = n;
		}
		ctx->held = 1;
		break;
	case FORMAT_TSV:
	case FORMAT_CSV:
		for (int i = 0; i < ncols; i++) {
			if (i > 0)
				buf_addc(&line, ctx->format == FORMAT_TSV ? '\t' : ',');
			buf_adds(&line, cols[i].name);
		}
		buf_adds(&line, ctx->format == FORMAT_CSV ? "\r\n" : "\n");
		fwrite(line.data, 1, line.len, ctx->out);
		break;
	case FORMAT_JSON:
		break;
	}
	buf_free(&line);
}

static void json_row(struct ctx *ctx, const struct cell *cells)
{
	json_t *o = json_object();
	struct buf b;
	char tmp[32];

	buf_init(&b);
	for (int i = 0; i < ctx->ncols; i++) {
		const struct column *col = &ctx->cols[i];
		const struct cell *c = &cells[i];
		json_t *v;

		if (c->null) {
			v = json_null();
		} else {
			switch (col->type) {
			case COL_INT:
				v = json_integer(c->num);
				break;
			case COL_REAL:
				v = c->real == c->real ? json_real(c->real) : json_null(); /* NaN: null */
				break;
			case COL_TIME:
				util_iso8601(c->num, tmp);
				v = json_string(tmp);
				break;
			case COL_BOOL:
				v = json_boolean(c->num);
				break;
			default:
				buf_reset(&b);
				buf_grow(&b, 0);
				if (c->text != NULL)
					sanitize_buf(&b, c->text, c->len, SAN_UTF8);
				v = json_stringn(b.data, b.len);
				break;
			}
		}
		json_object_set_new(o, col->name, v != NULL ? v : json_null());
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		fputs(s, ctx->out);
		fputc('\n', ctx->out);
		free(s);
	}
	json_decref(o);
	buf_free(&b);
}

void writer_row(struct ctx *ctx, const struct cell *cells)
{
	struct buf line;

	if (ctx->cols == NULL)
		return;
	ctx->rows++;
	if (ctx->format == FORMAT_JSON) {
		json_row(ctx, cells);
		return;
	}
	buf_init(&line);
	if (ctx->format == FORMAT_TEXT) {
		for (int i = 0; i < ctx->ncols; i++) {
			size_t start = line.len;

			cell_text(&line, &ctx->cols[i], &cells[i], SAN_LINE, true);
			size_t w = ui_width(line.data + start, line.len - start);
			if (!ctx->streaming && w > ctx->widths[i])
				ctx->widths[i] = w;
			buf_addc(&line, '\0');
		}
		if (ctx->streaming) {
			text_flush_row(ctx, line.data);
		} else {
			buf_add(&ctx->pending, line.data, line.len);
			if (++ctx->held > TEXT_HOLD)
				text_release(ctx);
		}
		buf_free(&line);
		return;
	}
	struct buf field;
	buf_init(&field);
	for (int i = 0; i < ctx->ncols; i++) {
		if (i > 0)
			buf_addc(&line, ctx->format == FORMAT_TSV ? '\t' : ',');
		buf_reset(&field);
		buf_grow(&field, 0);
		cell_text(&field, &ctx->cols[i], &cells[i], SAN_FIELD, false);
		if (ctx->format == FORMAT_CSV)
			csv_field(&line, field.data, field.len);
		else
			buf_add(&line, field.data, field.len);
	}
	buf_adds(&line, ctx->format == FORMAT_CSV ? "\r\n" : "\n");
	fwrite(line.data, 1, line.len, ctx->out);
	buf_free(&field);
	buf_free(&line);
}

void writer_flush(struct ctx *ctx)
{
	if (ctx->cols != NULL && ctx->format == FORMAT_TEXT && ctx->held > 0 && ctx->rows > 0)
		text_release(ctx);
}

void writer_end(struct ctx *ctx)
{
	if (ctx->cols == NULL)
		return;
	if (ctx->format == FORMAT_TEXT && ctx->held > 0)
		text_release(ctx);
	ctx->cols = NULL;
	ctx->ncols = 0;
	free(ctx->widths);
	ctx->widths = NULL;
}

/*
 * plugins/benford.c: Benford digit analysis of numbers drawn from mail:
 * subject lengths and body sizes from mailboxes, size= and nrcpts= from
 * sendmail/Postfix/Exim logs (plain or gzip'd), or numbers on standard
 * input. The batch verb prints a chart and the statistics (or one row per
 * bin, then stat rows, in tsv/csv/json) and can write the chart as SVG;
 * the console tab scans in a child process and shows the histogram as
 * rows with a bar cell, with drill-down to the messages or log lines of a
 * bin. The statistics are backend/digits.c's (docs/benford.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin.h"

/* ---- what is read ---- */

/* M_NUMBER: what standard input alone gives (not an option, not cycled) */
enum metric { M_DEFAULT = -1, M_SUBJECT, M_BODY, M_SIZE, M_NRCPTS, M_COUNT, M_NUMBER = M_COUNT };
static const char *const metric_names[] = { "subject-length", "body-size", "size", "nrcpts", "number" };

enum reason {
	R_NO_SUBJECT, R_EMPTY_SUBJECT, R_UNREADABLE, R_NO_FIELD, R_DUP_QID, R_NAN, R_ZERO, R_NEGATIVE, R_BELOW_MIN,
	R_COUNT
};
static const char *const reason_names[] = { "no_subject",	  "empty_subject", "unreadable",
					    "no_field",		  "duplicate_queue_id", "not_a_number",
					    "zero",		  "negative",	     "below_min" };
static const char *const reason_words[] = { "no subject",	  "empty subject", "unreadable message",
					    "arrival line without the field", "queue id seen before",
					    "not a number",	  "zero",	     "negative",
					    "below --min" };

static bool is_log_metric(enum metric m)
{
	return m == M_SIZE || m == M_NRCPTS;
}

static int metric_parse(const char *s)
{
	for (int i = 0; i < M_COUNT; i++)
		if (strcmp(s, metric_names[i]) == 0)
			return i;
	return -1;
}

/* A directory, a file whose first line starts "From ", or a .eml file. */
static bool looks_like_mailbox(const char *path)
{
	struct stat st;
	char b[5];

	if (stat(path, &st) != 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return true;
	if (!S_ISREG(st.st_mode))
		return false; /* a FIFO or device: never open it here (the console would wait) */
	size_t n = strlen(path);
	if (n > 4 && strcasecmp(path + n - 4, ".eml") == 0)
		return true;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t k = read(fd, b, sizeof(b));
	close(fd);
	return k == 5 && memcmp(b, "From ", 5) == 0;
}

/* Where a value came from, for drill-down: the source and the message's
 * offset (mailboxes) or the line number (logs, standard input). */
typedef void (*scan_value_fn)(void *arg, uint64_t v, const char *source, int64_t where);

struct scan {
	enum metric metric;
	struct digits *d;
	size_t skipped[R_COUNT];
	size_t items;        /* messages or lines read */
	size_t other_lines;  /* log lines that are not arrivals */
	size_t arrivals;     /* log arrival lines */
	struct maillog_ids *ids;
	const char *source;  /* the log being read */
	scan_value_fn on_value;
	void *arg;
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	struct buf raw, dec;
};

static void scan_take(struct scan *s, int k, uint64_t v, const char *source, int64_t where)
{
	switch (k) {
	case DIGITS_OK:
		if (s->on_value != NULL)
			s->on_value(s->arg, v, source, where);
		break;
	case DIGITS_NAN: s->skipped[R_NAN]++; break;
	case DIGITS_ZERO: s->skipped[R_ZERO]++; break;
	case DIGITS_NEGATIVE: s->skipped[R_NEGATIVE]++; break;
	default: s->skipped[R_BELOW_MIN]++; break;
	}
}

static int scan_message(void *arg, const struct mbox_msg *m)
{
	struct scan *s = arg;
	uint64_t v;

	s->items++;
	if (m->data == NULL) {
		s->skipped[R_UNREADABLE]++;
		return 0;
	}
	if (s->metric == M_BODY) {
		v = m->len - mail_body_offset(m->data, m->len);
	} else {
		if (!mail_header(m->data, m->len, "Subject", &s->raw)) {
			s->skipped[R_NO_SUBJECT]++;
			return 0;
		}
		/* plain ASCII (most subjects): one byte a code point, no decoder */
		bool ascii = true;
		for (size_t i = 0; i < s->raw.len && ascii; i++) {
			unsigned char c = (unsigned char)s->raw.data[i];
			ascii = c < 0x80 && !(c == '=' && i + 1 < s->raw.len && s->raw.data[i + 1] == '?');
		}
		if (ascii) {
			v = s->raw.len;
		} else {
			mime_decode_header(s->raw.data, s->raw.len, &s->dec);
			v = utf8_codepoints(s->dec.data, s->dec.len);
		}
		if (v == 0) {
			s->skipped[R_EMPTY_SUBJECT]++;
			return 0;
		}
	}
	scan_take(s, digits_add_u64(s->d, v), v, m->source, m->offset);
	return 0;
}

static int scan_log_line(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct scan *s = arg;
	struct maillog_rec r;

	s->items++;
	if (!maillog_parse(line, len, &r)) {
		s->other_lines++;
		return 0;
	}
	s->arrivals++;
	long long v = s->metric == M_NRCPTS ? r.nrcpts : r.size;
	if (v < 0) {
		s->skipped[R_NO_FIELD]++;
		return 0;
	}
	if (!maillog_ids_add(s->ids, r.mta, r.qid, r.qid_len)) {
		s->skipped[R_DUP_QID]++;
		return 0;
	}
	scan_take(s, digits_add_u64(s->d, (uint64_t)v), (uint64_t)v, s->source, (int64_t)lineno);
	return 0;
}

static int scan_number_line(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct scan *s = arg;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return 0; /* blank lines are not numbers, nor values */
	s->items++;
	/* the value itself is not reported: standard input has no drill-down */
	scan_take(s, digits_add_dec(s->d, line, len), 0, "-", (int64_t)lineno);
	return 0;
}

/* Standard input, line by line (it may be a pipe: no mapping). */
static int scan_stdin(struct scan *s)
{
	FILE *f = stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t no = 0;

	while ((n = getline(&line, &cap, f)) >= 0)
		scan_number_line(s, line, (size_t)n, ++no);
	free(line);
	return 0;
}

static void scan_init(struct scan *s, enum metric metric, bool keep)
{
	memset(s, 0, sizeof(*s));
	s->metric = metric;
	s->d = digits_new(keep);
	s->ids = maillog_ids_new();
	buf_init(&s->raw);
	buf_init(&s->dec);
}

static void scan_free(struct scan *s)
{
	digits_free(s->d);
	maillog_ids_free(s->ids);
	buf_free(&s->raw);
	buf_free(&s->dec);
}

/*
 * Reads every source by the metric: mailboxes through backend/mailbox.c,
 * logs through backend/maillog.c, "-" as numbers. Returns 0 or an exit
 * code with err filled: 66 (a source missing), 65 (corrupt gzip; a log
 * with no sendmail/Postfix/Exim arrival line; standard input with nothing
 * but non-numbers).
 */
static int scan_run(struct scan *s, char *const *sources, int n, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		const char *src = sources[i];
		int rc;
		if (strcmp(src, "-") == 0) {
			size_t before = s->skipped[R_NAN], had = digits_count(s->d);
			rc = scan_stdin(s);
			if (rc == 0 && digits_count(s->d) == had && s->skipped[R_NAN] > before)
				return errf(err, errlen, EXIT_DATAERR, "standard input: no number on any line");
		} else if (access(src, R_OK) != 0) {
			return errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", src,
				    strerror(errno));
		} else if (is_log_metric(s->metric)) {
			size_t before = s->arrivals;
			s->source = src;
			rc = maillog_read(src, scan_log_line, s, err, errlen);
			if (rc == 0 && s->arrivals == before)
				return errf(err, errlen, EXIT_DATAERR,
					    "%s: no sendmail, Postfix or Exim arrival line (is it a mail log?)", src);
		} else {
			const char *one[1] = { src };
			struct mbox_opts o = { .recursive = true, .progress = s->progress, .arg = s->arg };
			rc = mailbox_read(one, 1, &o, scan_message, s, err, errlen);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- the output rows ---- */

/*
 * One column set for both kinds of rows (docs/cli.md): a bin row fills
 * test..flagged (value: the bin's sum for summation); a stat row fills
 * test, kind, stat, and count (an integer statistic), value (a real one)
 * or label (a word). Unused cells are null.
 */
static const struct column columns[] = {
	{ "test", "Test", COL_TEXT, 12, 0 },   { "kind", "Kind", COL_TEXT, 4, 0 },
	{ "bin", "Bin", COL_TEXT, 5, 0 },      { "count", "Count", COL_INT, 8, 0 },
	{ "expected", "Expected", COL_REAL, 10, 0 }, { "ap", "AP", COL_REAL, 8, 0 },
	{ "ep", "EP", COL_REAL, 8, 0 },	       { "diff", "Diff", COL_REAL, 9, 0 },
	{ "z", "Z", COL_REAL, 7, 0 },	       { "flagged", "Flag", COL_BOOL, 4, 0 },
	{ "stat", "Stat", COL_TEXT, 18, 0 },   { "value", "Value", COL_REAL, 10, 0 },
	{ "label", "Label", COL_TEXT, 0, 0 },
};
enum { C_TEST, C_KIND, C_BIN, C_COUNT, C_EXPECTED, C_AP, C_EP, C_DIFF, C_Z, C_FLAGGED, C_STAT, C_VALUE, C_LABEL, NCOLS };

static void null_cells(struct cell *c)
{
	for (int i = 0; i < NCOLS; i++)
		c[i] = (struct cell){ .null = true };
}

static void stat_row(struct ctx *ctx, const char *test, const char *stat, int type, long long n, double v,
		     const char *label)
{
	struct cell c[NCOLS];

	null_cells(c);
	c[C_TEST] = cell_str(test);
	c[C_KIND] = cell_str("stat");
	c[C_STAT] = cell_str(stat);
	if (type == 'n')
		c[C_COUNT] = cell_num(n);
	else if (type == 'r')
		c[C_VALUE] = cell_real(v);
	else
		c[C_LABEL] = cell_str(label);
	out_row(ctx, c);
}

static void result_rows(struct ctx *ctx, const struct digit_result *r)
{
	const char *t = digits_test_name(r->test);
	struct cell c[NCOLS];

	for (size_t i = 0; i < r->nbins; i++) {
		const struct digit_bin *b = &r->bins[i];
		null_cells(c);
		c[C_TEST] = cell_str(t);
		c[C_KIND] = cell_str("bin");
		c[C_BIN] = cell_str(b->label);
		c[C_COUNT] = cell_num((long long)b->count);
		c[C_AP] = cell_real(b->ap);
		if (r->test != DT_DUP) {
			c[C_EXPECTED] = cell_real(b->expected);
			c[C_EP] = cell_real(b->ep);
			c[C_DIFF] = cell_real(b->diff);
		}
		if (b->has_z) {
			c[C_Z] = cell_real(b->z);
			c[C_FLAGGED] = (struct cell){ .num = b->flagged };
		}
		if (r->test == DT_SUMMATION)
			c[C_VALUE] = cell_real(b->sum);
		out_row(ctx, c);
	}
	stat_row(ctx, t, "n", 'n', (long long)r->n, 0, NULL);
	if (r->has_chi2) {
		stat_row(ctx, t, "chi2", 'r', 0, r->chi2, NULL);
		stat_row(ctx, t, "df", 'n', r->df, 0, NULL);
		stat_row(ctx, t, "chi2_crit", 'r', 0, r->chi2_crit, NULL);
		stat_row(ctx, t, "p", 'r', 0, r->p, NULL);
		stat_row(ctx, t, "ks", 'r', 0, r->ks, NULL);
		stat_row(ctx, t, "ks_crit", 'r', 0, r->ks_crit, NULL);
	}
	if (r->test != DT_DUP && r->n > 0)
		stat_row(ctx, t, "mad", 'r', 0, r->mad, NULL);
	if (r->conformity != NULL)
		stat_row(ctx, t, "conformity", 't', 0, 0, r->conformity);
	if (r->test == DT_SUMMATION)
		stat_row(ctx, t, "total", 'r', 0, r->total, NULL);
	if (r->test == DT_DUP)
		stat_row(ctx, t, "distinct", 'n', (long long)r->distinct, 0, NULL);
}

static void mantissa_rows(struct ctx *ctx, const struct digits_mantissa *m)
{
	stat_row(ctx, "mantissa", "n", 'n', (long long)m->n, 0, NULL);
	if (m->n == 0)
		return;
	stat_row(ctx, "mantissa", "mean", 'r', 0, m->mean, NULL);
	stat_row(ctx, "mantissa", "variance", 'r', 0, m->var, NULL);
	stat_row(ctx, "mantissa", "arc_l2", 'r', 0, m->arc_l2, NULL);
	stat_row(ctx, "mantissa", "arc_p", 'r', 0, m->arc_p, NULL);
	stat_row(ctx, "mantissa", "distortion_n", 'n', (long long)m->df_n, 0, NULL);
	if (m->df_n == 0)
		return;
	stat_row(ctx, "mantissa", "distortion_pct", 'r', 0, m->df, NULL);
	stat_row(ctx, "mantissa", "distortion_z", 'r', 0, m->df_z, NULL);
}

static void input_rows(struct ctx *ctx, const struct scan *s, int small_n)
{
	stat_row(ctx, "input", "metric", 't', 0, 0, metric_names[s->metric]);
	stat_row(ctx, "input", "read", 'n', (long long)s->items, 0, NULL);
	stat_row(ctx, "input", "values", 'n', (long long)digits_count(s->d), 0, NULL);
	if (is_log_metric(s->metric))
		stat_row(ctx, "input", "other_lines", 'n', (long long)s->other_lines, 0, NULL);
	for (int i = 0; i < R_COUNT; i++)
		if (s->skipped[i] > 0) {
			char name[64];
			snprintf(name, sizeof(name), "skipped_%s", reason_names[i]);
			stat_row(ctx, "input", name, 'n', (long long)s->skipped[i], 0, NULL);
		}
	stat_row(ctx, "input", "small_n", 'n', small_n, 0, NULL);
}

/* ---- the text chart ---- */

/* The user's locale, before main() made LC_CTYPE UTF-8 for widths. */
static bool user_utf8(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (int i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL && v[0] != '\0')
			return strcasestr(v, "UTF-8") != NULL || strcasestr(v, "utf8") != NULL;
	}
	return false;
}

/* A bar of width cells for value (of scale per cell), with the expected
 * marker at expected; UTF-8 eighth blocks or ASCII '#'/'|'. */
static void bar(struct buf *b, double value, double expected, double scale, int width, bool utf8)
{
	static const char *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	double cells = scale > 0 ? value / scale : 0;
	int full = (int)cells, part = (int)((cells - full) * 8);
	int mark = scale > 0 ? (int)(expected / scale) : -1;

	if (full > width)
		full = width, part = 0;
	for (int i = 0; i < width + 1; i++) {
		if (i == mark && !(i < full)) {
			buf_adds(b, "|");
			continue;
		}
		if (i < full)
			buf_adds(b, utf8 ? (i == mark ? "▓" : "█") : (i == mark ? "+" : "#"));
		else if (i == full && part > 0)
			buf_adds(b, utf8 ? eighths[part] : "#");
		else if (i >= full && i > mark)
			break;
		else
			buf_addc(b, ' ');
	}
}

static const char *const test_titles[] = { "first digit (F1)", "second digit (SD)", "first two digits (F2)",
					    "first three digits (F3)", "last two digits (L2)", "summation",
					    "second-order (F2 of the sorted differences)", "number duplication" };

static void text_result(struct ctx *ctx, const struct digit_result *r, int small_n, bool utf8)
{
	struct buf b;
	double max = 0;

	buf_init(&b);
	buf_addf(&b, "Benford %s: N = %zu", test_titles[r->test], r->n);
	if (r->test == DT_SUMMATION)
		buf_addf(&b, ", total %.0f", r->total);
	if (r->test == DT_DUP)
		buf_addf(&b, ", %zu distinct values", r->distinct);
	out_line(ctx, b.data, b.len);
	buf_reset(&b);
	for (size_t i = 0; i < r->nbins; i++) {
		double a = r->bins[i].ap, e = r->bins[i].ep;
		max = a > max ? a : max;
		max = e > max ? e : max;
	}
	const int width = 40;
	if (r->test == DT_DUP)
		buf_addf(&b, "%-16s %8s %8s", "value", "count", "share");
	else
		buf_addf(&b, "%4s %8s %10s %8s %8s %9s %7s  %s", "bin", r->test == DT_SUMMATION ? "n" : "count",
			 r->test == DT_SUMMATION ? "exp.sum" : "expected", "ap", "ep", "diff", "z",
			 utf8 ? "observed █, expected |" : "observed #, expected |");
	out_line(ctx, b.data, b.len);
	for (size_t i = 0; i < r->nbins; i++) {
		const struct digit_bin *x = &r->bins[i];
		buf_reset(&b);
		if (r->test == DT_DUP) {
			buf_addf(&b, "%-16s %8.0f %8.4f", x->label, x->count, x->ap);
		} else {
			buf_addf(&b, "%4s %8.0f %10.2f %8.5f %8.5f %+9.5f ", x->label, x->count, x->expected, x->ap, x->ep,
				 x->diff);
			if (x->has_z)
				buf_addf(&b, "%6.2f%c ", x->z, x->flagged ? '*' : ' ');
			else
				buf_addf(&b, "%6s  ", "-");
			bar(&b, x->ap, x->ep, max / width, width, utf8);
		}
		out_line(ctx, b.data, b.len);
	}
	buf_reset(&b);
	if (r->has_chi2) {
		buf_addf(&b, "chi-square %.4f, df %d, 0.05 critical %.3f, p %.4g: %s", r->chi2, r->df, r->chi2_crit, r->p,
			 r->chi2 > r->chi2_crit ? "differs from Benford" : "no significant difference");
		out_line(ctx, b.data, b.len);
		buf_reset(&b);
		buf_addf(&b, "KS D %.5f, 0.05 critical %.5f: %s", r->ks, r->ks_crit,
			 r->ks > r->ks_crit ? "differs" : "no significant difference");
		out_line(ctx, b.data, b.len);
		buf_reset(&b);
	}
	if (r->test != DT_DUP && r->n > 0) {
		buf_addf(&b, "MAD %.6f%s%s", r->mad, r->conformity != NULL ? ": " : "",
			 r->conformity != NULL ? r->conformity : " (no conformity bands for this test)");
		out_line(ctx, b.data, b.len);
		buf_reset(&b);
	}
	bool flagged = false;
	for (size_t i = 0; i < r->nbins; i++)
		flagged |= r->bins[i].flagged;
	if (flagged)
		out_line(ctx, "* z > 1.96: the bin differs at the 0.05 level", 45);
	if (r->n < (size_t)small_n && r->test != DT_DUP) {
		buf_addf(&b, "note: N = %zu is below %d ([benford] small_n): expect wide random differences", r->n,
			 small_n);
		out_line(ctx, b.data, b.len);
	}
	out_line(ctx, "", 0);
	buf_free(&b);
}

static void text_input(struct ctx *ctx, const struct scan *s, const struct digits_mantissa *m, bool mantissa)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "%s: %zu values from %zu %s", metric_names[s->metric], digits_count(s->d), s->items,
		 is_log_metric(s->metric) ? "lines" : s->metric == M_SUBJECT || s->metric == M_BODY ? "messages" : "lines");
	bool any = false;
	for (int i = 0; i < R_COUNT; i++)
		if (s->skipped[i] > 0) {
			buf_addf(&b, "%s%zu %s", any ? ", " : "; skipped: ", s->skipped[i], reason_words[i]);
			any = true;
		}
	out_line(ctx, b.data, b.len);
	if (mantissa && m->n > 0) {
		buf_reset(&b);
		buf_addf(&b, "mantissa mean %.4f (0.5), variance %.4f (0.0833); arc test L2 %.6f, p %.4g; ", m->mean, m->var,
			 m->arc_l2, m->arc_p);
		if (m->df_n > 0)
			buf_addf(&b, "distortion factor %+.2f%% (z %.2f, %zu values >= 10)", m->df, m->df_z, m->df_n);
		else
			buf_adds(&b, "distortion factor: no value >= 10");
		out_line(ctx, b.data, b.len);
	}
	out_line(ctx, "", 0);
	buf_free(&b);
}

/* ---- SVG ---- */

static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

/* The chart as a standalone SVG: one panel per test (all of them with
 * --test all), each with axes, one bar per bin (observed), the expected
 * curve, and the band outside which a bin is flagged (digits_band). */
enum { SVG_W = 900, SVG_H = 420 };

static void svg_panel(FILE *f, const struct digit_result *r, const char *metric, int panel)
{
	const double W = SVG_W, H = SVG_H, L = 60, R = 20, B = 50;
	const double T = 40 + (double)panel * H;
	double pw = W - L - R, ph = H - T - B, max = 0;
	size_t nb = r->nbins;
	for (size_t i = 0; i < nb; i++) {
		const struct digit_bin *b = &r->bins[i];
		double lo, hi;
		digits_band(b->ep, (double)r->n, &lo, &hi);
		max = b->ap > max ? b->ap : max;
		max = hi > max ? hi : max;
	}
	if (max <= 0)
		max = 1;
	max *= 1.1;
	double bw = nb ? pw / (double)nb : pw;
	fprintf(f, "<g class=\"panel\">\n");
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"14\">Benford %s: ", L, T - 20, test_titles[r->test]);
	svg_text(f, metric);
	fprintf(f, ", N = %zu", r->n);
	if (r->has_chi2)
		fprintf(f, ", chi2 %.3f (crit %.3f), MAD %.5f%s%s", r->chi2, r->chi2_crit, r->mad,
			r->conformity ? ": " : "", r->conformity ? r->conformity : "");
	fputs("</text>\n", f);
	/* axes and y ticks */
	fprintf(f, "<g class=\"axes\" stroke=\"black\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
		L, T, L, T + ph, L, T + ph, L + pw, T + ph);
	for (int k = 0; k <= 4; k++) {
		double v = max * k / 4, y = T + ph - ph * k / 4;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", L - 4, y + 4, v);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", L + pw / 2, H - 10,
		r->test == DT_DUP ? "value" : "digits");
	fprintf(f, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">proportion</text>\n",
		T + ph / 2, T + ph / 2);
	/* bars */
	fputs("<g class=\"bars\" fill=\"#4a7ebb\">\n", f);
	for (size_t i = 0; i < nb; i++) {
		const struct digit_bin *b = &r->bins[i];
		double h = ph * b->ap / max, x = L + bw * (double)i;
		fprintf(f, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"%s><title>%s: %.0f (%.4f)</title></rect>\n",
			x + bw * 0.1, T + ph - h, bw * 0.8, h, b->flagged ? " fill=\"#c0392b\"" : "", b->label, b->count,
			b->ap);
		if (nb <= 30 || (i % (nb / 10 ? nb / 10 : 1)) == 0)
			fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", x + bw / 2, T + ph + 14,
				b->label);
	}
	fputs("</g>\n", f);
	if (r->test != DT_DUP && nb > 0) {
		const char *names[3] = { "expected", "upper", "lower" };
		for (int k = 0; k < 3; k++) {
			fprintf(f, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"", names[k],
				k == 0 ? "black" : "#888", k == 0 ? "2" : "1", k == 0 ? "" : " stroke-dasharray=\"4 3\"");
			for (size_t i = 0; i < nb; i++) {
				const struct digit_bin *b = &r->bins[i];
				double lo, hi;
				digits_band(b->ep, (double)r->n, &lo, &hi);
				double v = k == 0 ? b->ep : k == 1 ? hi : lo;
				if (v < 0)
					v = 0;
				fprintf(f, "%s%.2f,%.2f", i ? " " : "", L + bw * ((double)i + 0.5), T + ph - ph * v / max);
			}
			fputs("\"/>\n", f);
		}
	}
	fputs("</g>\n", f);
}

static FILE *svg_begin(const char *path, const char *metric, int panels, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "font-family=\"sans-serif\" font-size=\"11\">\n",
		SVG_W, SVG_H * panels, SVG_W, SVG_H * panels);
	fputs("<title>Benford digit tests of ", f);
	svg_text(f, metric);
	fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", f);
	return f;
}

static int svg_end(FILE *f, const char *path, char *err, size_t errlen)
{
	fputs("</svg>\n", f);
	if (fclose(f) != 0)
		return errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
	return 0;
}

/* ---- the verb ---- */

struct run_opts {
	enum metric metric;
	int test; /* a DT_*, or -1 for all */
	double min;
};

static int parse_opts(struct ctx *ctx, struct run_opts *o)
{
	const char *m = ctx_opt(ctx, "--metric"), *t = ctx_opt(ctx, "--test"), *mn = ctx_opt(ctx, "--min");

	o->metric = M_DEFAULT;
	o->test = DT_F1;
	o->min = 0;
	if (m != NULL && (int)(o->metric = metric_parse(m)) < 0)
		return ctx_error(ctx, EXIT_USAGE, "--metric %s: one of subject-length, body-size, size, nrcpts", m);
	if (t != NULL) {
		if (strcmp(t, "all") == 0)
			o->test = -1;
		else if ((o->test = digits_test_parse(t)) < 0)
			return ctx_error(ctx, EXIT_USAGE,
					 "--test %s: one of f1, sd, f2, f3, l2, summation, second-order, dup, all", t);
	}
	if (mn != NULL) {
		char *end;
		o->min = strtod(mn, &end);
		if (end == mn || *end != '\0' || o->min < 0)
			return ctx_error(ctx, EXIT_USAGE, "--min %s: a number >= 0", mn);
	}
	return 0;
}

static int run_sources(struct ctx *ctx, int argc, char **argv)
{
	struct run_opts o;
	int rc = parse_opts(ctx, &o);
	const struct config *cfg = ctx_config(ctx);
	int small_n = cfg->benford.small_n;

	if (rc != 0)
		return rc;
	if (o.metric == M_DEFAULT) {
		const char *first = NULL;
		for (int i = 0; i < argc && first == NULL; i++)
			if (strcmp(argv[i], "-") != 0)
				first = argv[i];
		o.metric = first == NULL ? M_NUMBER : looks_like_mailbox(first) ? M_SUBJECT : M_SIZE;
	}
	struct scan s;
	char err[1024] = "";
	bool keep = o.test < 0 || o.test == DT_SECOND_ORDER || o.test == DT_DUP;
	scan_init(&s, o.metric, keep);
	digits_set_min(s.d, o.min);
	rc = scan_run(&s, argv, argc, err, sizeof(err));
	if (rc != 0) {
		scan_free(&s);
		return ctx_error(ctx, rc, "%s", err);
	}
	int first = o.test < 0 ? 0 : o.test, last = o.test < 0 ? DT_COUNT - 1 : o.test;
	struct digits_mantissa mant;
	digits_mantissa(s.d, &mant);
	bool text = ctx_format(ctx) == FORMAT_TEXT, utf8 = user_utf8();
	if (text) {
		text_input(ctx, &s, &mant, true);
	} else {
		out_begin(ctx, columns, NCOLS);
		input_rows(ctx, &s, small_n);
	}
	const char *svg = ctx_opt(ctx, "--svg");
	FILE *sf = NULL;
	int panels = 0;
	if (svg != NULL && rc == 0) {
		sf = svg_begin(svg, metric_names[o.metric], last - first + 1, err, sizeof(err));
		if (sf == NULL)
			rc = errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT;
	}
	for (int t = first; t <= last; t++) {
		struct digit_result r;
		if (digits_result(s.d, (enum digit_test)t, &r) != 0)
			continue;
		if (text)
			text_result(ctx, &r, small_n, utf8);
		else
			result_rows(ctx, &r);
		if (sf != NULL)
			svg_panel(sf, &r, metric_names[o.metric], panels++);
		digits_result_free(&r);
	}
	if (sf != NULL && svg_end(sf, svg, err, sizeof(err)) != 0 && rc == 0)
		rc = EXIT_NOINPUT;
	if (!text) {
		mantissa_rows(ctx, &mant);
		out_end(ctx);
	}
	scan_free(&s);
	if (rc != 0)
		return ctx_error(ctx, rc, "%s", err);
	return EXIT_OK;
}

/* ---- the console tab ---- */

/*
 * The scan runs in a child process that writes one line per event to a
 * pipe the loop watches, so the console never waits on a mailbox:
 *   S path          the values that follow come from this source
 *   V value where   a value taken (where: message offset or line number)
 *   P done total    bytes read so far (mailboxes)
 *   K reason count  values skipped, at the end
 *   I items         messages or lines read, at the end
 *   E code text     the scan failed
 * The histogram is drawn by ui/chart.c (view.chart) with the statistics
 * beside it; where the screen is too small for it, the same bins are list
 * rows with a bar cell, and the statistics sit in the header line.
 */
struct rec {
	uint32_t src;
	int64_t where;
	uint64_t v;
};

struct bview {
	struct ctx *ctx;
	char **sources;
	size_t nsources, cur;
	char *typed;          /* a path given with 'o' */
	int metric;           /* M_DEFAULT: by the source's kind */
	enum metric used;     /* what the last scan read */
	int test;
	int page;             /* F2/F3: a decade of bins at a time */
	/* the scan: a child reading the source (backend/child.c) */
	struct loop_child *child;
	struct buf in;
	bool scanning;
	uint64_t done, total;
	int scan_rc;
	char err[512];
	struct digits *d;
	size_t skipped[R_COUNT], items;
	struct rec *recs;
	size_t nrecs, cap;
	char **rsrc;
	size_t nrsrc;
	bool changed;
	/* what the list shows */
	struct digit_result r;
	bool have_r;
	struct buf head;
	char cell[8][128];
	struct buf bar;
	struct buf stat[8];
	size_t nstat;
	/* the chart */
	struct chart_bin *cbins;
	char (*cinfo)[160];
	const char *side[12];
};

static const int view_tests[] = { DT_F1, DT_SD, DT_F2, DT_F3, DT_L2, DT_SUMMATION, DT_SECOND_ORDER, DT_DUP };
enum { NVIEW_TESTS = 8 };

/* Numbers as text here, so the statistics rows below the bins stay blank. */
static const struct column view_columns[] = {
	{ "bin", "Bin", COL_TEXT, 6, 0 },	{ "count", "Count", COL_INT, 8, 0 },
	{ "expected", "Expected", COL_TEXT, 9, 0 }, { "ap", "AP", COL_TEXT, 7, 0 },
	{ "ep", "EP", COL_TEXT, 7, 0 },	{ "z", "Z", COL_TEXT, 6, 0 },
	{ "bar", "Observed (bar) against expected (|)", COL_TEXT, 0, 0 },
};
enum { NVCOLS = 7 };

static const char *bview_source(const struct bview *v)
{
	if (v->typed != NULL)
		return v->typed;
	return v->nsources > 0 ? v->sources[v->cur % v->nsources] : NULL;
}

static void scan_stop(struct bview *v)
{
	loop_child_kill(v->child);
	v->child = NULL;
	v->scanning = false;
}

static void reset_data(struct bview *v)
{
	digits_free(v->d);
	v->d = digits_new(true);
	memset(v->skipped, 0, sizeof(v->skipped));
	v->items = 0;
	v->nrecs = 0;
	for (size_t i = 0; i < v->nrsrc; i++)
		free(v->rsrc[i]);
	v->nrsrc = 0;
	if (v->have_r)
		digits_result_free(&v->r);
	v->have_r = false;
	v->err[0] = '\0';
	v->scan_rc = 0;
	v->done = v->total = 0;
}

static void compute(struct bview *v)
{
	if (v->have_r)
		digits_result_free(&v->r);
	v->have_r = digits_result(v->d, (enum digit_test)v->test, &v->r) == 0;
	v->changed = true;
}

/* In the child: events to the pipe. */
static FILE *child_out;
static const char *child_src;

static void child_value(void *arg, uint64_t val, const char *source, int64_t where)
{
	(void)arg;
	if (source != child_src) {
		child_src = source;
		fprintf(child_out, "S %s\n", source);
	}
	fprintf(child_out, "V %llu %lld\n", (unsigned long long)val, (long long)where);
	/* a slow source: what has come so far, at least every 200 ms */
	static int64_t last;
	int64_t now = util_now_ms();
	if (now - last >= 200) {
		fflush(child_out);
		last = now;
	}
}

static void child_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	fprintf(child_out, "P %llu %llu\n", (unsigned long long)done, (unsigned long long)total);
	fflush(child_out);
}

static void bview_line(struct bview *v, char *line)
{
	char *end;

	switch (line[0]) {
	case 'S':
		v->rsrc = xrealloc(v->rsrc, (v->nrsrc + 1) * sizeof(char *));
		v->rsrc[v->nrsrc++] = xstrdup(line + 2);
		break;
	case 'V': {
		unsigned long long val = strtoull(line + 2, &end, 10);
		long long where = strtoll(end, NULL, 10);
		if (v->nrsrc == 0)
			break;
		digits_add_u64(v->d, val);
		if (v->nrecs == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 4096;
			v->recs = xrealloc(v->recs, v->cap * sizeof(*v->recs));
		}
		v->recs[v->nrecs++] = (struct rec){ (uint32_t)(v->nrsrc - 1), where, val };
		break;
	}
	case 'P':
		v->done = strtoull(line + 2, &end, 10);
		v->total = strtoull(end, NULL, 10);
		break;
	case 'K': {
		long k = strtol(line + 2, &end, 10);
		if (k >= 0 && k < R_COUNT)
			v->skipped[k] = (size_t)strtoull(end, NULL, 10);
		break;
	}
	case 'I':
		v->items = (size_t)strtoull(line + 2, NULL, 10);
		break;
	case 'E':
		v->scan_rc = (int)strtol(line + 2, &end, 10);
		snprintf(v->err, sizeof(v->err), "%s", *end == ' ' ? end + 1 : end);
		break;
	}
}

static void bview_data(void *arg, const char *chunk, size_t k)
{
	struct bview *v = arg;

	buf_add(&v->in, chunk, k);
	size_t i = 0;
	for (;;) {
		char *nl = memchr(v->in.data + i, '\n', v->in.len - i);
		if (nl == NULL)
			break;
		*nl = '\0';
		bview_line(v, v->in.data + i);
		i = (size_t)(nl - v->in.data) + 1;
	}
	memmove(v->in.data, v->in.data + i, v->in.len - i);
	v->in.len -= i;
	v->in.data[v->in.len] = '\0';
	if (v->total > 0)
		ctx_progress(v->ctx, "benford: reading %s %llu%%", bview_source(v),
			     (unsigned long long)(v->done * 100 / v->total));
	else
		ctx_progress(v->ctx, "benford: reading %s, %zu values", bview_source(v), v->nrecs);
	v->changed = true;
	ctx_dirty(v->ctx);
}

/* the end of the reading child */
static void bview_end(void *arg, int status)
{
	struct bview *v = arg;

	(void)status;
	v->child = NULL;
	v->scanning = false;
	ctx_progress(v->ctx, NULL);
	if (v->scan_rc != 0)
		ctx_error(v->ctx, v->scan_rc, "%s", v->err);
	compute(v);
	ctx_dirty(v->ctx);
}

/* The child: reads the source and writes its values as lines. */
static int bview_child(void *arg, int fd)
{
	struct bview *v = arg;
	const char *src = bview_source(v);

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	child_out = fdopen(fd, "w");
	if (child_out == NULL)
		return 70;
	setvbuf(child_out, NULL, _IOFBF, 1 << 16);
	struct scan s;
	char err[512] = "";
	char *srcs[1] = { (char *)src };
	scan_init(&s, v->used, false);
	s.on_value = child_value;
	s.progress = child_progress;
	int rc = scan_run(&s, srcs, 1, err, sizeof(err));
	if (rc != 0)
		fprintf(child_out, "E %d %s\n", rc, err);
	for (int i = 0; i < R_COUNT; i++)
		if (s.skipped[i] > 0)
			fprintf(child_out, "K %d %zu\n", i, s.skipped[i]);
	fprintf(child_out, "I %zu\n", s.items);
	fflush(child_out);
	return 0;
}

static void scan_start(struct bview *v)
{
	const char *src = bview_source(v);

	scan_stop(v);
	reset_data(v);
	v->page = 0;
	if (src == NULL) {
		compute(v);
		return;
	}
	v->used = v->metric != M_DEFAULT ? (enum metric)v->metric : looks_like_mailbox(src) ? M_SUBJECT : M_SIZE;
	v->child = loop_child_start(ctx_loop(v->ctx), bview_child, v, bview_data, bview_end, v, v->err, sizeof(v->err));
	if (v->child == NULL)
		return;
	v->scanning = true;
	compute(v);
}

static int bview_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct bview *v = xcalloc(1, sizeof(*v));

	(void)err;
	(void)errlen;
	v->ctx = ctx;
	v->metric = M_DEFAULT;
	v->test = DT_F1;
	buf_init(&v->in);
	buf_init(&v->bar);
	buf_init(&v->head);
	for (int i = 0; i < 8; i++)
		buf_init(&v->stat[i]);
	v->nsources = util_words(ctx_config(ctx)->benford.sources, &v->sources);
	*state = v;
	scan_start(v);
	return 0;
}

static const struct column *bview_columns(void *state, int *n)
{
	(void)state;
	*n = NVCOLS;
	return view_columns;
}

/* F2 and F3 show a decade of bins at a time (] and [ turn the page). */
static size_t page_size(const struct bview *v)
{
	return v->test == DT_F2 || v->test == DT_SUMMATION || v->test == DT_SECOND_ORDER ? 10 : v->test == DT_F3 ? 100 : 0;
}

static size_t pages(const struct bview *v)
{
	size_t ps = page_size(v);
	return ps && v->have_r ? (v->r.nbins + ps - 1) / ps : 1;
}

static void build_stats(struct bview *v)
{
	const struct digit_result *r = &v->r;
	int small_n = ctx_config(v->ctx)->benford.small_n;

	v->nstat = 0;
	for (int i = 0; i < 8; i++)
		buf_reset(&v->stat[i]);
	buf_addf(&v->stat[v->nstat++], "N %zu of %zu read (%s)", r->n, v->items, metric_names[v->used]);
	if (r->has_chi2) {
		buf_addf(&v->stat[v->nstat++], "chi-square %.4f, df %d, crit %.3f", r->chi2, r->df, r->chi2_crit);
		buf_addf(&v->stat[v->nstat++], "p %.4g", r->p);
		buf_addf(&v->stat[v->nstat++], "KS D %.5f, crit %.5f", r->ks, r->ks_crit);
	}
	if (r->test != DT_DUP && r->n > 0)
		buf_addf(&v->stat[v->nstat++], "MAD %.6f: %s", r->mad,
			 r->conformity != NULL ? r->conformity : "no conformity bands");
	struct buf *sk = &v->stat[v->nstat];
	for (int i = 0; i < R_COUNT; i++)
		if (v->skipped[i] > 0)
			buf_addf(sk, "%s%zu %s", sk->len ? ", " : "skipped: ", v->skipped[i], reason_words[i]);
	if (sk->len > 0)
		v->nstat++;
	if (r->n < (size_t)small_n && r->test != DT_DUP)
		buf_addf(&v->stat[v->nstat++], "note: N below %d ([benford] small_n)", small_n);
}

static size_t bview_count(void *state)
{
	struct bview *v = state;

	if (!v->have_r || v->r.n == 0)
		return 0;
	size_t ps = page_size(v), nb = v->r.nbins;
	return ps ? (nb - (size_t)v->page * ps < ps ? nb - (size_t)v->page * ps : ps) : nb;
}

static const struct digit_bin *shown_bin(struct bview *v, size_t i)
{
	size_t ps = page_size(v), nb = v->r.nbins;
	size_t shown = ps ? (nb - (size_t)v->page * ps < ps ? nb - (size_t)v->page * ps : ps) : nb;

	return i < shown ? &v->r.bins[(size_t)v->page * ps + i] : NULL;
}

static void bview_row(void *state, size_t i, struct cell *cells)
{
	struct bview *v = state;
	const struct digit_bin *b = shown_bin(v, i);

	for (int k = 0; k < NVCOLS; k++)
		cells[k] = (struct cell){ .null = true };
	if (b == NULL)
		return;
	double max = 0;
	for (size_t k = 0; k < v->r.nbins; k++) {
		max = v->r.bins[k].ap > max ? v->r.bins[k].ap : max;
		max = v->r.bins[k].ep > max ? v->r.bins[k].ep : max;
	}
	for (int k = 2; k < 6; k++)
		cells[k] = cell_str("");
	cells[0] = cell_str(b->label);
	cells[1] = cell_num((long long)b->count);
	snprintf(v->cell[3], sizeof(v->cell[3]), "%7.4f", b->ap);
	cells[3] = cell_str(v->cell[3]);
	if (v->r.test != DT_DUP) {
		snprintf(v->cell[2], sizeof(v->cell[2]), "%9.1f", b->expected);
		snprintf(v->cell[4], sizeof(v->cell[4]), "%7.4f", b->ep);
		cells[2] = cell_str(v->cell[2]);
		cells[4] = cell_str(v->cell[4]);
	}
	if (b->has_z) {
		snprintf(v->cell[5], sizeof(v->cell[5]), "%6.2f", b->z);
		cells[5] = cell_role(cell_str(v->cell[5]), b->flagged ? ROLE_WARN : ROLE_NORMAL);
	}
	buf_reset(&v->bar);
	bar(&v->bar, v->r.test == DT_SUMMATION ? b->ap : b->ap, v->r.test == DT_DUP ? -1 : b->ep, max / 48, 48, true);
	cells[6] = cell_role(cell_bytes(v->bar.data, v->bar.len), b->flagged ? ROLE_WARN : ROLE_OK);
}

static const char *bview_header(void *state)
{
	struct bview *v = state;
	const char *src = bview_source(v);
	struct buf *h = &v->head;

	buf_reset(h);
	if (src == NULL) {
		buf_adds(h, "No source: set [benford] sources in mailops.conf (mailboxes or logs, comma/space list), "
			    "or press o to type a path");
		return h->data;
	}
	buf_addf(h, "%s  %s  %s", src, metric_names[v->used], test_titles[v->test]);
	if (pages(v) > 1)
		buf_addf(h, "  page %d/%zu (] [)", v->page + 1, pages(v));
	if (v->scanning) {
		buf_addf(h, "  reading... %zu values", v->nrecs);
	} else if (v->scan_rc != 0) {
		buf_addf(h, "  error: %s", v->err);
	} else if (v->have_r) {
		buf_addf(h, "  N %zu", v->r.n);
		if (v->r.has_chi2)
			buf_addf(h, "  chi2 %.2f/%.2f  MAD %.5f%s%s", v->r.chi2, v->r.chi2_crit, v->r.mad,
				 v->r.conformity ? " " : "", v->r.conformity ? v->r.conformity : "");
		if (v->r.n == 0)
			buf_adds(h, "  (no values)");
	}
	return h->data;
}

/* The histogram for ui/chart.c: the page's bins, observed against
 * expected with the band outside which a bin is flagged, and the
 * statistics beside them. */
static bool bview_chart(void *state, struct chart *c)
{
	struct bview *v = state;
	size_t n = bview_count(v);

	if (n == 0)
		return false;
	v->cbins = xrealloc(v->cbins, n * sizeof(*v->cbins));
	v->cinfo = xrealloc(v->cinfo, n * sizeof(*v->cinfo));
	for (size_t i = 0; i < n; i++) {
		const struct digit_bin *b = shown_bin(v, i);
		struct chart_bin *cb = &v->cbins[i];
		double lo, hi;
		digits_band(b->ep, (double)v->r.n, &lo, &hi);
		cb->label = b->label;
		cb->observed = b->ap;
		cb->expected = v->r.test == DT_DUP ? -1 : b->ep;
		cb->lo = lo;
		cb->hi = v->r.test == DT_DUP || v->r.test == DT_SUMMATION ? cb->lo : hi;
		cb->flagged = b->flagged;
		if (v->r.test == DT_DUP)
			snprintf(v->cinfo[i], sizeof(v->cinfo[i]), "value %s: %.0f times (%.4f of %zu)", b->label, b->count,
				 b->ap, v->r.n);
		else if (v->r.test == DT_SUMMATION)
			snprintf(v->cinfo[i], sizeof(v->cinfo[i]), "bin %s: %.0f values summing to %.0f, %.4f of the total (expected %.4f)",
				 b->label, b->count, b->sum, b->ap, b->ep);
		else
			snprintf(v->cinfo[i], sizeof(v->cinfo[i]), "bin %s: %.0f of %zu, AP %.4f, EP %.4f, expected %.1f, z %.2f%s",
				 b->label, b->count, v->r.n, b->ap, b->ep, b->expected, b->z, b->flagged ? " (flagged)" : "");
		cb->info = v->cinfo[i];
	}
	build_stats(v);
	for (size_t i = 0; i < v->nstat; i++)
		v->side[i] = v->stat[i].data;
	v->side[v->nstat] = "";
	v->side[v->nstat + 1] = "Enter: the bin's messages or lines";
	v->side[v->nstat + 2] = "m metric  t test  c source  o open";
	v->side[v->nstat + 3] = pages(v) > 1 ? "] [ next / previous decade" : "";
	c->title = NULL;
	c->bins = v->cbins;
	c->nbins = n;
	c->side = v->side;
	c->nside = v->nstat + 4;
	return true;
}

static void bview_typed(void *arg, const char *text)
{
	struct bview *v = arg;

	if (text[0] == '\0')
		return;
	free(v->typed);
	v->typed = xstrdup(text);
	scan_start(v);
	ctx_dirty(v->ctx);
}

static int bview_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct bview *v = state;

	(void)sel;
	switch (key) {
	case 'm':
		v->metric = v->metric == M_DEFAULT ? (int)((v->used + 1) % M_COUNT) : (v->metric + 1) % M_COUNT;
		scan_start(v);
		return VIEW_DIRTY;
	case 't': {
		int k = 0;
		while (k < NVIEW_TESTS && view_tests[k] != v->test)
			k++;
		v->test = view_tests[(k + 1) % NVIEW_TESTS];
		v->page = 0;
		compute(v);
		return VIEW_DIRTY;
	}
	case 'c':
		if (v->nsources == 0)
			return VIEW_USED;
		free(v->typed);
		v->typed = NULL;
		v->cur = (v->cur + 1) % v->nsources;
		v->metric = M_DEFAULT;
		scan_start(v);
		return VIEW_DIRTY;
	case 'o':
		ctx_ask(ctx, "Source: ", bview_typed, v);
		return VIEW_USED;
	case ']':
	case '[':
		if (pages(v) <= 1)
			return VIEW_USED;
		v->page = (int)(((size_t)v->page + (key == ']' ? 1 : pages(v) - 1)) % pages(v));
		v->changed = true;
		ctx_select_row(ctx, 0);
		return VIEW_DIRTY;
	}
	return VIEW_UNUSED;
}

/* ---- drill-down: the messages or lines of a bin ---- */

struct drill {
	struct bview *v; /* not owned: the drill list closes before the tab */
	char **src;      /* copies of the sources */
	size_t nsrc;
	struct rec *recs;
	size_t n;
	bool log;
	char title[128];
	char cell[3][64];
};

static const struct column drill_columns[] = {
	{ "value", "Value", COL_INT, 10, 0 },
	{ "where", "Offset/line", COL_INT, 12, 0 },
	{ "source", "Source", COL_TEXT, 0, 0 },
};

/* Does value v fall in bin b of test t? */
static bool in_bin(int t, const struct digit_bin *b, uint64_t v)
{
	char s[24];
	int n = snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	int bin = (int)b->value;

	switch (t) {
	case DT_F1: return s[0] - '0' == bin;
	case DT_SD: return n >= 2 && s[1] - '0' == bin;
	case DT_F2:
	case DT_SUMMATION: return n >= 2 && (s[0] - '0') * 10 + s[1] - '0' == bin;
	case DT_F3: return n >= 3 && (s[0] - '0') * 100 + (s[1] - '0') * 10 + s[2] - '0' == bin;
	case DT_L2: return n >= 4 && (s[n - 2] - '0') * 10 + s[n - 1] - '0' == bin;
	case DT_DUP: return (double)v == b->value;
	default: return false;
	}
}

static const struct column *drill_cols(void *state, int *n)
{
	(void)state;
	*n = 3;
	return drill_columns;
}

static size_t drill_count(void *state)
{
	return ((struct drill *)state)->n;
}

static void drill_row(void *state, size_t i, struct cell *cells)
{
	struct drill *d = state;
	const struct rec *r = &d->recs[i];

	cells[0] = cell_num((long long)r->v);
	cells[1] = cell_num(r->where);
	cells[2] = cell_str(d->src[r->src]);
}

static const char *drill_header(void *state)
{
	return ((struct drill *)state)->title;
}

/* Enter on a message or line: it again, from its source, in the pager. */
static int drill_activate(void *state, struct ctx *ctx, size_t i)
{
	struct drill *d = state;
	const struct rec *r = &d->recs[i];
	struct buf b;
	char err[512] = "", title[600];
	int rc;

	buf_init(&b);
	if (d->log)
		rc = maillog_get_line(d->src[r->src], (uint64_t)r->where, &b, err, sizeof(err));
	else
		rc = mailbox_get(d->src[r->src], r->where, &b, err, sizeof(err));
	if (rc != 0) {
		ctx_error(ctx, rc, "%s", err);
	} else {
		snprintf(title, sizeof(title), "%s %s %lld", d->src[r->src], d->log ? "line" : "at offset",
			 (long long)r->where);
		ctx_pager(ctx, title, b.data, b.len);
	}
	buf_free(&b);
	return VIEW_USED;
}

static void drill_close(void *state)
{
	struct drill *d = state;

	for (size_t i = 0; i < d->nsrc; i++)
		free(d->src[i]);
	free(d->src);
	free(d->recs);
	free(d);
}

static const struct view drill_view = {
	.columns = drill_cols,
	.row_count = drill_count,
	.row = drill_row,
	.header = drill_header,
	.activate = drill_activate,
	.close = drill_close,
};

static int bview_activate(void *state, struct ctx *ctx, size_t i)
{
	struct bview *v = state;
	const struct digit_bin *b = v->have_r ? shown_bin(v, i) : NULL;

	if (b == NULL || v->scanning)
		return VIEW_USED;
	if (v->test == DT_SECOND_ORDER) {
		ctx_error(ctx, EXIT_USAGE, "second-order bins hold differences between values, not messages: no list");
		return VIEW_USED;
	}
	struct drill *d = xcalloc(1, sizeof(*d));
	d->log = is_log_metric(v->used);
	d->nsrc = v->nrsrc;
	d->src = xcalloc(v->nrsrc ? v->nrsrc : 1, sizeof(char *));
	for (size_t k = 0; k < v->nrsrc; k++)
		d->src[k] = xstrdup(v->rsrc[k]);
	for (size_t k = 0; k < v->nrecs; k++)
		if (in_bin(v->test, b, v->recs[k].v)) {
			d->recs = xrealloc(d->recs, (d->n + 1) * sizeof(*d->recs));
			d->recs[d->n++] = v->recs[k];
		}
	snprintf(d->title, sizeof(d->title), "%s bin %s: %zu %s (Enter opens one)", digits_test_name(v->test), b->label,
		 d->n, d->log ? "log lines" : "messages");
	ctx_push_view(ctx, &drill_view, d);
	return VIEW_DIRTY;
}

static bool bview_poll(void *state)
{
	struct bview *v = state;
	bool c = v->changed;

	v->changed = false;
	return c;
}

static void bview_close(void *state)
{
	struct bview *v = state;

	scan_stop(v);
	reset_data(v);
	digits_free(v->d);
	free(v->recs);
	free(v->rsrc);
	util_words_free(v->sources);
	free(v->typed);
	free(v->cbins);
	free(v->cinfo);
	buf_free(&v->in);
	buf_free(&v->bar);
	buf_free(&v->head);
	for (int i = 0; i < 8; i++)
		buf_free(&v->stat[i]);
	free(v);
}

static const struct key_help bview_keys[] = {
	{ "m", "next metric (subject-length, body-size, size, nrcpts): reads again" },
	{ "t", "next test (f1, sd, f2, f3, l2, summation, second-order, dup)" },
	{ "c", "next source of [benford] sources" },
	{ "o", "type a source (mailbox, Maildir, log, .gz log)" },
	{ "] [", "next / previous decade of bins (F2, F3, summation, second-order)" },
	{ "Enter", "the messages or log lines of the bin (Enter again opens one)" },
	{ NULL, NULL },
};

static const struct view benford_view = {
	.open = bview_open,
	.columns = bview_columns,
	.row_count = bview_count,
	.row = bview_row,
	.header = bview_header,
	.key = bview_key,
	.activate = bview_activate,
	.poll = bview_poll,
	.close = bview_close,
	.keys = bview_keys,
	.chart = bview_chart,
};

/* ---- the table ---- */

static const struct opt run_opts[] = {
	{ "--metric", 0, "M", "subject-length, body-size (mailboxes), size, nrcpts (logs)" },
	{ "--test", 0, "T", "f1, sd, f2, f3, l2, summation, second-order, dup or all (default f1)" },
	{ "--min", 0, "N", "ignore values below N" },
	{ "--svg", 0, "FILE", "also write the chart as SVG" },
	{ NULL, 0, NULL, NULL },
};

/* None given: [benford] sources. */
static int cmd_run(struct ctx *ctx, int argc, char **argv)
{
	if (argc > 0)
		return run_sources(ctx, argc, argv);
	char **src;
	int n = (int)util_words(ctx_config(ctx)->benford.sources, &src);
	int rc = n > 0 ? run_sources(ctx, n, src)
		       : ctx_error(ctx, EXIT_USAGE, "no source given, and [benford] sources is empty");
	util_words_free(src);
	return rc;
}

static const struct command commands[] = {
	{ "run", "[--metric M] [--test T] [--min N] [--svg FILE] [SOURCE... | -]", "digit histogram and conformity statistics",
	  run_opts, 0, -1, cmd_run },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_benford = {
	.name = "benford",
	.title = "Benford",
	.default_verb = "run",
	.summary = "Benford digit histograms of mail numbers, with conformity statistics",
	.commands = commands,
	.view = &benford_view,
};

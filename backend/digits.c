/*
 * backend/digits.c: Benford statistics (docs/benford.md states every
 * formula, threshold and its source). Pure: no I/O, no globals.
 *
 * Values come in as decimal strings (or 64-bit integers, formatted first),
 * so numbers of any size work: the digits are read from the string, and
 * the mantissa (log10 of the value, modulo 1) from its first 18
 * significant digits in long double. Bin counts are kept as they arrive;
 * the values themselves (8 bytes each, as doubles) only when a test needs
 * them all (second-order, number duplication).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

struct digits {
	bool keep;
	double min;
	size_t n, n10, n100, n1000; /* values used; of them >= 10; >= 100; >= 1000 */
	size_t f1[10], sd[10], f2[100], f3[1000], l2[100];
	long double sum[100];       /* summation test: values per F2 bin */
	long double total10;        /* sum of the values >= 10 */
	long double msum, msum2;    /* mantissa: sum, sum of squares */
	long double arc_x, arc_y;   /* mantissa arc: sum of cos, sin 2 pi m */
	long double collapsed;      /* distortion factor: sum of 10^(1+m), values >= 10 */
	double *v;                  /* the values, when kept */
	size_t nv, cap;
	size_t *small, nsmall;      /* tallies of integers below SMALL_MAX, not yet folded in */
};

struct digits *digits_new(bool keep_values)
{
	struct digits *d = xcalloc(1, sizeof(*d));

	d->keep = keep_values;
	return d;
}

void digits_set_min(struct digits *d, double min)
{
	d->min = min;
}

void digits_free(struct digits *d)
{
	if (d == NULL)
		return;
	free(d->v);
	free(d->small);
	free(d);
}

size_t digits_count(const struct digits *d)
{
	return d->n + d->nsmall;
}

/*
 * A decimal number: optional spaces, digits, an optional fraction. Fills
 * the significant digits (leading zeros gone, up to sigcap kept), their
 * total count, the exponent of the first one, and the last two digits of
 * the integer part.
 */
struct dec {
	char sig[20];
	size_t nsig;     /* significant digits kept in sig */
	int exp10;       /* value = 0.d1d2... * 10^(exp10 + 1) */
	int last2;       /* integer part mod 100 */
	bool neg;
	bool zero;
};

static int parse_dec(const char *s, size_t len, struct dec *x)
{
	size_t i = 0, e = len;

	memset(x, 0, sizeof(*x));
	while (i < e && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
		e--;
	if (i < e && (s[i] == '-' || s[i] == '+')) {
		x->neg = s[i] == '-';
		i++;
	}
	size_t ib = i;
	while (i < e && s[i] >= '0' && s[i] <= '9')
		i++;
	size_t ie = i, fb = i, fe = i;
	if (i < e && s[i] == '.') {
		fb = ++i;
		while (i < e && s[i] >= '0' && s[i] <= '9')
			i++;
		fe = i;
	}
	if (i != e || (ie == ib && fe == fb))
		return -1;
	if (ie - ib >= 1)
		x->last2 = s[ie - 1] - '0';
	if (ie - ib >= 2)
		x->last2 += 10 * (s[ie - 2] - '0');
	/* the first non-zero digit */
	size_t k = ib;
	while (k < ie && s[k] == '0')
		k++;
	if (k < ie) {
		x->exp10 = (int)(ie - k) - 1;
	} else {
		k = fb;
		while (k < fe && s[k] == '0')
			k++;
		if (k == fe) {
			x->zero = true;
			return 0;
		}
		x->exp10 = -(int)(k - fb) - 1;
	}
	for (; k < fe && x->nsig < sizeof(x->sig); k++) {
		if (s[k] == '.')
			continue;
		x->sig[x->nsig++] = s[k];
	}
	return 0;
}

static int sigd(const struct dec *x, size_t i)
{
	return i < x->nsig ? x->sig[i] - '0' : 0;
}

/* The value as a double: its significand times a power of ten. */
static double scale10(long double m, int e)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
				      1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19 };
	if (e >= 0 && e < 20)
		return (double)(m * p10[e]);
	return (double)(m * powl(10.0L, e));
}

/* Counts a parsed value `times` times (the math done once). */
static void add_parsed(struct digits *d, const struct dec *x, long double m, double val, size_t times)
{
	long double lg = log10l(m); /* in [0, 1) */
	long double t = (long double)times;

	if (lg >= 1) /* 9.99...9 rounded up */
		lg = nextafterl(1.0L, 0.0L);
	int a = sigd(x, 0), b = sigd(x, 1), c = sigd(x, 2);
	d->n += times;
	d->f1[a] += times;
	d->msum += lg * t;
	d->msum2 += lg * lg * t;
	double ang = 2 * M_PI * (double)lg;
	d->arc_x += cos(ang) * t;
	d->arc_y += sin(ang) * t;
	if (x->exp10 >= 1) {
		d->n10 += times;
		d->collapsed += m * 10 * t; /* 10^(1 + lg) */
		d->sd[b] += times;
		d->f2[a * 10 + b] += times;
		d->sum[a * 10 + b] += val * t;
		d->total10 += val * t;
	}
	if (x->exp10 >= 2) {
		d->n100 += times;
		d->f3[a * 100 + b * 10 + c] += times;
	}
	/* Below 1000 the last two digits are (or overlap) the first ones,
	 * which follow Benford, not the uniform law the test expects. */
	if (x->exp10 >= 3) {
		d->n1000 += times;
		d->l2[x->last2] += times;
	}
	if (d->keep) {
		if (d->nv + times > d->cap) {
			/* grow by half: the values are most of the memory */
			size_t want = d->nv + times, cap = d->cap ? d->cap : 1024;
			while (cap < want)
				cap += cap / 2;
			d->cap = cap;
			d->v = xrealloc(d->v, cap * sizeof(double));
		}
		for (size_t i = 0; i < times; i++)
			d->v[d->nv++] = val;
	}
}

static long double dec_significand(const struct dec *x)
{
	long double m = 0;

	for (size_t i = x->nsig; i-- > 0;)
		m = m / 10 + (x->sig[i] - '0');
	return m;
}

int digits_add_dec(struct digits *d, const char *s, size_t len)
{
	struct dec x;

	if (parse_dec(s, len, &x) != 0)
		return DIGITS_NAN;
	if (x.zero)
		return DIGITS_ZERO;
	if (x.neg)
		return DIGITS_NEGATIVE;
	long double m = dec_significand(&x);
	double val = scale10(m, x.exp10);
	if (val < d->min)
		return DIGITS_BELOW_MIN;
	add_parsed(d, &x, m, val, 1);
	return DIGITS_OK;
}

/* Small integers (subject lengths, recipient counts) are tallied and
 * folded in when a result is asked for: the math once per distinct value. */
#define SMALL_MAX 65536

static void fold_small(struct digits *d)
{
	if (d->small == NULL)
		return;
	for (size_t v = 1; v < SMALL_MAX; v++) {
		if (d->small[v] == 0)
			continue;
		char b[8];
		int n = snprintf(b, sizeof(b), "%zu", v);
		struct dec x;
		parse_dec(b, (size_t)n, &x);
		long double m = dec_significand(&x);
		add_parsed(d, &x, m, (double)v, d->small[v]);
		d->small[v] = 0;
	}
}

int digits_add_u64(struct digits *d, uint64_t v)
{
	char b[24];
	size_t i = sizeof(b);

	if (v > 0 && v < SMALL_MAX && (double)v >= d->min) {
		if (d->small == NULL)
			d->small = xcalloc(SMALL_MAX, sizeof(*d->small));
		d->small[v]++;
		d->nsmall++;
		return DIGITS_OK;
	}
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return digits_add_dec(d, b + i, sizeof(b) - i);
}

/* ---- statistics ---- */

/*
 * The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x):
 * the series for P when x < a + 1, else the continued fraction for Q by
 * the modified Lentz method (Numerical Recipes, 2nd ed., section 6.2).
 */
double digits_gammq(double a, double x)
{
	if (x <= 0 || a <= 0)
		return 1.0;
	double gln = lgamma(a);
	if (x < a + 1) {
		double ap = a, sum = 1.0 / a, del = sum;
		for (int n = 0; n < 10000; n++) {
			ap += 1;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * 1e-15)
				break;
		}
		double p = sum * exp(-x + a * log(x) - gln);
		return p > 1 ? 0 : 1 - p;
	}
	const double tiny = 1e-300;
	double b = x + 1 - a, c = 1 / tiny, dd = 1 / b, h = dd;
	for (int i = 1; i < 10000; i++) {
		double an = -i * (i - a);
		b += 2;
		dd = an * dd + b;
		if (fabs(dd) < tiny)
			dd = tiny;
		c = b + an / c;
		if (fabs(c) < tiny)
			c = tiny;
		dd = 1 / dd;
		double del = dd * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return exp(-x + a * log(x) - gln) * h;
}

double digits_chi2_p(double chi2, int df)
{
	return digits_gammq(df / 2.0, chi2 / 2.0);
}

/* The chi-square value whose upper tail is alpha, by bisection on p. */
double digits_chi2_crit(int df, double alpha)
{
	double lo = 0, hi = df + 20 * sqrt(2.0 * df) + 20;

	for (int i = 0; i < 64; i++) {
		double mid = (lo + hi) / 2;
		if (digits_chi2_p(mid, df) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static const char *const test_names[] = { "f1", "sd", "f2", "f3", "l2", "summation", "second-order", "dup" };

const char *digits_test_name(enum digit_test t)
{
	return (unsigned)t < DT_COUNT ? test_names[t] : "?";
}

int digits_test_parse(const char *s)
{
	for (int t = 0; t < DT_COUNT; t++)
		if (strcmp(s, test_names[t]) == 0)
			return t;
	return -1;
}

/* Nigrini (2012), table 7.1: close / acceptable / marginal; above: nonconformity. */
const char *digits_conformity(enum digit_test t, double mad)
{
	static const double bounds[4][3] = {
		{ 0.006, 0.012, 0.015 },
		{ 0.008, 0.010, 0.012 },
		{ 0.0012, 0.0018, 0.0022 },
		{ 0.00036, 0.00044, 0.00050 },
	};
	static const char *const labels[] = { "close conformity", "acceptable conformity", "marginally acceptable conformity" };
	int row = t == DT_F1 ? 0 : t == DT_SD ? 1 : t == DT_F2 ? 2 : t == DT_F3 ? 3 : -1;

	if (row < 0)
		return NULL;
	for (int i = 0; i < 3; i++)
		if (mad <= bounds[row][i])
			return labels[i];
	return "nonconformity";
}

/* Expected proportion of bin b of test t. */
static double expected_p(enum digit_test t, int b)
{
	switch (t) {
	case DT_F1:
	case DT_F2:
	case DT_F3:
	case DT_SECOND_ORDER:
		return log10(1 + 1.0 / b);
	case DT_SD: {
		double p = 0;
		for (int k = 1; k <= 9; k++)
			p += log10(1 + 1.0 / (10 * k + b));
		return p;
	}
	case DT_L2:
		return 0.01;
	case DT_SUMMATION:
		return 1.0 / 90;
	default:
		return 0;
	}
}

void digits_bin_z(double count, double n, double ep, double *z, bool *flagged)
{
	double ap = count / n, diff = fabs(ap - ep), cc = 1 / (2 * n);
	double num = cc < diff ? diff - cc : diff;

	*z = num / sqrt(ep * (1 - ep) / n);
	*flagged = *z > 1.96;
}

void digits_band(double ep, double n, double *lo, double *hi)
{
	double w = n > 0 ? 1.96 * sqrt(ep * (1 - ep) / n) + 1 / (2 * n) : 0;

	*lo = ep - w;
	*hi = ep + w;
}

static void fill_bins(struct digit_result *r, enum digit_test t, const size_t *counts, int first, int nb, size_t n)
{
	double cum_a = 0, cum_e = 0;

	r->nbins = (size_t)nb;
	r->bins = xcalloc((size_t)nb, sizeof(*r->bins));
	r->n = n;
	r->has_chi2 = n > 0;
	r->df = nb - 1;
	r->chi2_crit = digits_chi2_crit(r->df, 0.05);
	for (int i = 0; i < nb; i++) {
		struct digit_bin *b = &r->bins[i];
		int bin = first + i;
		b->value = bin;
		if (t == DT_L2)
			snprintf(b->label, sizeof(b->label), "%02d", bin);
		else
			snprintf(b->label, sizeof(b->label), "%d", bin);
		b->count = (double)counts[bin];
		b->ep = expected_p(t, bin);
		b->expected = b->ep * (double)n;
		if (n == 0)
			continue;
		b->ap = b->count / (double)n;
		b->diff = b->ap - b->ep;
		b->has_z = true;
		digits_bin_z(b->count, (double)n, b->ep, &b->z, &b->flagged);
		r->chi2 += (b->count - b->expected) * (b->count - b->expected) / b->expected;
		r->mad += fabs(b->diff);
		cum_a += b->ap;
		cum_e += b->ep;
		if (fabs(cum_a - cum_e) > r->ks)
			r->ks = fabs(cum_a - cum_e);
	}
	if (n == 0)
		return;
	r->mad /= nb;
	r->p = digits_chi2_p(r->chi2, r->df);
	r->ks_crit = 1.36 / sqrt((double)n);
	r->conformity = digits_conformity(t, r->mad);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The first two significant digits (10..99) of x > 0. */
static int first_two(double x)
{
	int e = (int)floor(log10(x));
	double y = x / pow(10, e - 1);
	int k = (int)floor(y + 1e-9);

	if (k >= 100)
		k /= 10;
	if (k < 10)
		k = 10;
	return k;
}

struct dup_entry {
	double v;
	size_t count;
};

static int cmp_dup(const void *a, const void *b)
{
	const struct dup_entry *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->v < y->v ? -1 : x->v > y->v;
}

int digits_result(struct digits *d, enum digit_test t, struct digit_result *r)
{
	fold_small(d);
	d->nsmall = 0;
	memset(r, 0, sizeof(*r));
	r->test = t;
	switch (t) {
	case DT_F1:
		fill_bins(r, t, d->f1, 1, 9, d->n);
		return 0;
	case DT_SD:
		fill_bins(r, t, d->sd, 0, 10, d->n10);
		return 0;
	case DT_F2:
		fill_bins(r, t, d->f2, 10, 90, d->n10);
		return 0;
	case DT_F3:
		fill_bins(r, t, d->f3, 100, 900, d->n100);
		return 0;
	case DT_L2:
		fill_bins(r, t, d->l2, 0, 100, d->n1000);
		return 0;
	case DT_SUMMATION: {
		r->n = d->n10;
		r->nbins = 90;
		r->total = (double)d->total10;
		r->bins = xcalloc(90, sizeof(*r->bins));
		for (int i = 0; i < 90; i++) {
			struct digit_bin *b = &r->bins[i];
			b->value = 10 + i;
			snprintf(b->label, sizeof(b->label), "%d", 10 + i);
			b->count = (double)d->f2[10 + i];
			b->sum = (double)d->sum[10 + i];
			b->ep = 1.0 / 90;
			b->expected = r->total / 90;
			if (r->total > 0) {
				b->ap = b->sum / r->total;
				b->diff = b->ap - b->ep;
				r->mad += fabs(b->diff);
			}
		}
		r->mad /= 90;
		return 0;
	}
	case DT_SECOND_ORDER: {
		if (!d->keep)
			return -1;
		size_t counts[100] = { 0 }, n = 0;
		/* sorted in place: no test depends on the order of arrival */
		double *s = d->v;
		util_sort(s, d->nv, sizeof(double), cmp_double);
		for (size_t i = 1; i < d->nv; i++) {
			double diff = s[i] - s[i - 1];
			if (diff <= 0)
				continue;
			counts[first_two(diff)]++;
			n++;
		}
		fill_bins(r, t, counts, 10, 90, n);
		r->conformity = NULL; /* Nigrini gives no MAD bands for it */
		return 0;
	}
	case DT_DUP: {
		if (!d->keep)
			return -1;
		double *s = d->v;
		size_t ne = 0, ntop = 0;
		struct dup_entry top[DIGITS_DUP_TOP];
		util_sort(s, d->nv, sizeof(double), cmp_double);
		/* runs of equal values; the most frequent kept in top[] (sorted) */
		for (size_t i = 0; i < d->nv;) {
			size_t j = i;
			while (j < d->nv && s[j] == s[i])
				j++;
			struct dup_entry x = { s[i], j - i };
			ne++;
			i = j;
			if (ntop == DIGITS_DUP_TOP && cmp_dup(&x, &top[ntop - 1]) >= 0)
				continue;
			size_t k = ntop < DIGITS_DUP_TOP ? ntop++ : ntop - 1;
			while (k > 0 && cmp_dup(&x, &top[k - 1]) < 0) {
				top[k] = top[k - 1];
				k--;
			}
			top[k] = x;
		}
		struct dup_entry *e = top;
		r->n = d->nv;
		r->distinct = ne;
		r->nbins = ntop;
		r->bins = xcalloc(r->nbins ? r->nbins : 1, sizeof(*r->bins));
		for (size_t i = 0; i < r->nbins; i++) {
			struct digit_bin *b = &r->bins[i];
			b->value = e[i].v;
			snprintf(b->label, sizeof(b->label), "%.15g", e[i].v);
			b->count = (double)e[i].count;
			b->ap = d->nv ? b->count / (double)d->nv : 0;
		}
		return 0;
	}
	default:
		return -1;
	}
}

void digits_result_free(struct digit_result *r)
{
	free(r->bins);
	r->bins = NULL;
	r->nbins = 0;
}

void digits_mantissa(struct digits *d, struct digits_mantissa *m)
{
	fold_small(d);
	d->nsmall = 0;
	memset(m, 0, sizeof(*m));
	m->n = d->n;
	if (d->n == 0)
		return;
	long double n = (long double)d->n;
	m->mean = (double)(d->msum / n);
	m->var = (double)(d->msum2 / n - (d->msum / n) * (d->msum / n));
	m->arc_x = (double)(d->arc_x / n);
	m->arc_y = (double)(d->arc_y / n);
	m->arc_l2 = m->arc_x * m->arc_x + m->arc_y * m->arc_y;
	m->arc_p = exp(-m->arc_l2 * (double)d->n);
	/* Distortion factor (Nigrini 1996): the values >= 10 collapsed to
	 * [10, 100); a value below 10 has one of nine mantissas only. */
	m->df_n = d->n10;
	if (d->n10 == 0)
		return;
	double n10 = (double)d->n10;
	double am = (double)(d->collapsed / (long double)d->n10);
	double em = 90.0 / (n10 * (pow(10.0, 1.0 / n10) - 1));
	m->df = (am - em) / em * 100;
	m->df_z = m->df / (63.825 / sqrt(n10));
}

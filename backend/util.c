/*
 * backend/util.c: allocation that cannot fail quietly, growable buffers and
 * the few string and time helpers every part needs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"

static void (*fatal_hook)(void);

void util_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

void util_fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook != NULL)
		fatal_hook();
	fputs("mailops: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SOFTWARE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		util_fatal("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);

	if (p == NULL)
		util_fatal("out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n != 0 ? n : 1);
	if (p == NULL)
		util_fatal("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_take(&b);
}

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	size_t cap = b->cap != 0 ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *buf_take(struct buf *b)
{
	char *p = b->data != NULL ? b->data : xstrdup("");

	buf_init(b);
	return p;
}

int errf(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen != 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int util_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[65];

	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int sub = prev + (a[i - 1] != b[j - 1]);
			int del = row[j] + 1;
			int ins = row[j - 1] + 1;

			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

void util_iso8601(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld", t);
}

int64_t util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t util_words(const char *list, char ***out)
{
	size_t n = 0, cap = 4;
	char **v = xmalloc(cap * sizeof(*v));

	while (list != NULL && *list != '\0') {
		list += strspn(list, " \t,");
		size_t k = strcspn(list, " \t,");
		if (k == 0)
			break;
		if (n + 2 > cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = xstrndup(list, k);
		list += k;
	}
	v[n] = NULL;
	*out = v;
	return n;
}

void util_words_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static void counter_grow(struct counter *c)
{
	size_t cap = c->cap ? c->cap * 2 : 64;
	struct count_slot *slot = xcalloc(cap, sizeof(*slot));

	for (size_t i = 0; i < c->cap; i++) {
		if (c->slot[i].key == NULL)
			continue;
		size_t j = (size_t)fnv1a(c->slot[i].key, c->slot[i].klen) & (cap - 1);
		while (slot[j].key != NULL)
			j = (j + 1) & (cap - 1);
		slot[j] = c->slot[i];
	}
	free(c->slot);
	c->slot = slot;
	c->cap = cap;
}

void counter_add(struct counter *c, const char *key, size_t klen)
{
	if ((c->n + 1) * 2 > c->cap)
		counter_grow(c);
	size_t i = (size_t)fnv1a(key, klen) & (c->cap - 1);
	for (; c->slot[i].key != NULL; i = (i + 1) & (c->cap - 1)) {
		if (c->slot[i].klen == klen && memcmp(c->slot[i].key, key, klen) == 0) {
			c->slot[i].n++;
			return;
		}
	}
	c->slot[i] = (struct count_slot){ .key = xstrndup(key, klen), .klen = klen, .n = 1 };
	c->n++;
}

static int count_cmp(const void *a, const void *b)
{
	const struct count_slot *x = *(const struct count_slot *const *)a, *y = *(const struct count_slot *const *)b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	size_t k = x->klen < y->klen ? x->klen : y->klen;
	int d = memcmp(x->key, y->key, k);
	return d != 0 ? d : (x->klen > y->klen) - (x->klen < y->klen);
}

const struct count_slot **counter_sorted(const struct counter *c)
{
	if (c->n == 0)
		return NULL;
	const struct count_slot **v = xmalloc(c->n * sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slot[i].key != NULL)
			v[k++] = &c->slot[i];
	util_sort(v, k, sizeof(*v), count_cmp);
	return v;
}

void counter_free(struct counter *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slot[i].key);
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

void util_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/*
 * backend/maillog.c: MTA log lines. What a message's arrival says about
 * its size and recipients: sendmail's "from=" line (size=, nrcpts=),
 * Postfix qmgr's (size=, nrcpt=), Exim's "<=" line (S=); the queue id
 * each belongs to, so a message logged again (Postfix logs qmgr's line on
 * each delivery attempt) is counted once; and the reading of plain or
 * gzip-compressed (rotated) log files, the latter through zlib.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "backend.h"

static const char *mem_find(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	if (k == 0 || n < k)
		return NULL;
	for (const char *q = p; (q = memchr(q, needle[0], (size_t)(p + n - q))) != NULL; q++) {
		if ((size_t)(p + n - q) < k)
			return NULL;
		if (memcmp(q, needle, k) == 0)
			return q;
	}
	return NULL;
}

/* The number after key ("size=") in [p, p+n), where key starts the text or
 * follows a space or comma; -1 when absent or not a number. */
static long long field_num(const char *p, size_t n, const char *key)
{
	size_t kl = strlen(key);

	for (const char *q = p; q < p + n;) {
		const char *f = mem_find(q, (size_t)(p + n - q), key);
		if (f == NULL)
			return -1;
		if (f == p || f[-1] == ' ' || f[-1] == ',') {
			const char *v = f + kl, *e = p + n;
			long long x = 0;
			if (v >= e || *v < '0' || *v > '9')
				return -1;
			for (; v < e && *v >= '0' && *v <= '9'; v++) {
				if (x > (LLONG_MAX - 9) / 10)
					return -1;
				x = x * 10 + (*v - '0');
			}
			return x;
		}
		q = f + kl;
	}
	return -1;
}

static bool qid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* After the syslog tag "prog[pid]: ", the queue id up to ": "; the rest
 * must start with "from=". */
static bool tagged_from(const char *tag_end, const char *e, struct maillog_rec *r)
{
	const char *p = tag_end;

	if (e - p < 2 || p[0] != ':' || p[1] != ' ')
		return false;
	p += 2;
	const char *q = p;
	while (q < e && qid_char(*q))
		q++;
	if (q == p || q - p > 32 || e - q < 7 || memcmp(q, ": from=", 7) != 0)
		return false;
	r->qid = p;
	r->qid_len = (size_t)(q - p);
	return true;
}

/* "prog[digits]" ending at ']'; returns the end, or NULL. */
static const char *tag_pid(const char *p, const char *e)
{
	if (p >= e || *p != '[')
		return NULL;
	p++;
	const char *d = p;
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p > d && p < e && *p == ']' ? p + 1 : NULL;
}

static bool parse_sendmail(const char *s, size_t n, struct maillog_rec *r)
{
	static const char *const tags[] = { " sendmail[", " sm-mta[" };

	for (size_t i = 0; i < 2; i++) {
		const char *t = mem_find(s, n, tags[i]);
		if (t == NULL)
			continue;
		const char *te = tag_pid(t + strlen(tags[i]) - 1, s + n);
		if (te == NULL || !tagged_from(te, s + n, r))
			continue;
		const char *rest = r->qid + r->qid_len;
		size_t rn = (size_t)(s + n - rest);
		r->mta = MAILLOG_SENDMAIL;
		r->size = field_num(rest, rn, "size=");
		r->nrcpts = field_num(rest, rn, "nrcpts=");
		return true;
	}
	return false;
}

static bool parse_postfix(const char *s, size_t n, struct maillog_rec *r)
{
	/* postfix/qmgr[pid] or a second instance's postfix-out/qmgr[pid] */
	for (const char *q = s; q < s + n;) {
		const char *t = mem_find(q, (size_t)(s + n - q), "/qmgr[");
		if (t == NULL)
			return false;
		const char *b = t;
		while (b > s && b[-1] != ' ')
			b--;
		q = t + 6;
		if (t - b < 7 || memcmp(b, "postfix", 7) != 0)
			continue;
		const char *te = tag_pid(t + 5, s + n);
		if (te == NULL || !tagged_from(te, s + n, r))
			continue;
		const char *rest = r->qid + r->qid_len;
		size_t rn = (size_t)(s + n - rest);
		r->mta = MAILLOG_POSTFIX;
		r->size = field_num(rest, rn, "size=");
		r->nrcpts = field_num(rest, rn, "nrcpt=");
		return true;
	}
	return false;
}

/* An Exim message id: 6-6-2 (before 4.97) or 6-11-4 base-62 characters. */
static bool exim_id(const char *p, size_t n)
{
	size_t a = 0, b, c;

	while (a < n && qid_char(p[a]))
		a++;
	if (a != 6 || a >= n || p[a] != '-')
		return false;
	b = a + 1;
	while (b < n && qid_char(p[b]))
		b++;
	if ((b - a - 1 != 6 && b - a - 1 != 11) || b >= n || p[b] != '-')
		return false;
	c = b + 1;
	while (c < n && qid_char(p[c]))
		c++;
	return c == n && (c - b - 1 == 2 || c - b - 1 == 4);
}

static bool parse_exim(const char *s, size_t n, struct maillog_rec *r)
{
	const char *arrow = mem_find(s, n, " <= ");

	if (arrow == NULL)
		return false;
	const char *b = arrow;
	while (b > s && b[-1] != ' ')
		b--;
	if (!exim_id(b, (size_t)(arrow - b)))
		return false;
	r->mta = MAILLOG_EXIM;
	r->qid = b;
	r->qid_len = (size_t)(arrow - b);
	r->size = field_num(arrow, (size_t)(s + n - arrow), "S=");
	r->nrcpts = -1;
	return true;
}

bool maillog_parse(const char *line, size_t len, struct maillog_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->size = r->nrcpts = -1;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (parse_postfix(line, len, r) || parse_sendmail(line, len, r) || parse_exim(line, len, r))
		return true;
	memset(r, 0, sizeof(*r));
	r->size = r->nrcpts = -1;
	return false;
}

const char *maillog_mta_name(enum maillog_mta m)
{
	switch (m) {
	case MAILLOG_SENDMAIL: return "sendmail";
	case MAILLOG_POSTFIX: return "postfix";
	case MAILLOG_EXIM: return "exim";
	default: return "other";
	}
}

/* ---- queue ids seen: an open-addressing hash set of "mta:qid" ---- */

struct maillog_ids {
	char **slot;
	size_t cap, n;
};

struct maillog_ids *maillog_ids_new(void)
{
	struct maillog_ids *s = xcalloc(1, sizeof(*s));

	s->cap = 1024;
	s->slot = xcalloc(s->cap, sizeof(char *));
	return s;
}

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static bool ids_put(struct maillog_ids *s, char *key, size_t kl)
{
	size_t i = (size_t)fnv(key, kl) & (s->cap - 1);

	while (s->slot[i] != NULL) {
		if (strcmp(s->slot[i], key) == 0)
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = key;
	s->n++;
	return true;
}

bool maillog_ids_add(struct maillog_ids *s, enum maillog_mta mta, const char *qid, size_t len)
{
	if (len > 64)
		len = 64;
	char *key = xmalloc(len + 3);
	key[0] = (char)('0' + (int)mta);
	key[1] = ':';
	memcpy(key + 2, qid, len);
	key[len + 2] = '\0';
	if ((s->n + 1) * 2 > s->cap) {
		struct maillog_ids big = { xcalloc(s->cap * 2, sizeof(char *)), s->cap * 2, 0 };
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i] != NULL)
				ids_put(&big, s->slot[i], strlen(s->slot[i]));
		free(s->slot);
		*s = big;
	}
	if (!ids_put(s, key, len + 2)) {
		free(key);
		return false;
	}
	return true;
}

void maillog_ids_free(struct maillog_ids *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s);
}

/* ---- reading ---- */

/* gzip or not: the magic of a regular file; the name of a FIFO (whose
 * bytes cannot be peeked at). */
static bool is_gzip(int fd, const char *path)
{
	struct stat st;
	unsigned char m[2];
	size_t n = strlen(path);

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return pread(fd, m, 2, 0) == 2 && m[0] == 0x1f && m[1] == 0x8b;
	return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

/*
 * Plain files are read with read(), so a log that grows or a FIFO hands
 * over its lines as they come; gzip files through zlib's gzread (which
 * fills its whole buffer before it returns).
 */
int maillog_read(const char *path, maillog_line_fn cb, void *arg, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", path, strerror(errno));
	gzFile gz = NULL;
	if (is_gzip(fd, path)) {
		gz = gzdopen(fd, "rb"); /* gzclose closes fd */
		if (gz == NULL) {
			close(fd);
			return errf(err, errlen, EXIT_NOINPUT, "%s: %s", path, strerror(errno));
		}
		gzbuffer(gz, 1 << 17);
	}
	struct buf line;
	char chunk[65536];
	uint64_t lineno = 0;
	int stop = 0, rc = 0;
	ssize_t k = 0;

	buf_init(&line);
	for (;;) {
		k = gz != NULL ? gzread(gz, chunk, sizeof(chunk)) : read(fd, chunk, sizeof(chunk));
		if (k < 0 && gz == NULL && errno == EINTR)
			continue;
		if (stop != 0 || k <= 0)
			break;
		size_t i = 0, n = (size_t)k;
		while (i < n && stop == 0) {
			const char *nl = memchr(chunk + i, '\n', n - i);
			size_t e = nl != NULL ? (size_t)(nl - chunk) + 1 : n;
			if (nl == NULL) {
				buf_add(&line, chunk + i, e - i);
			} else if (line.len > 0) {
				buf_add(&line, chunk + i, e - i);
				stop = cb(arg, line.data, line.len, ++lineno);
				buf_reset(&line);
			} else {
				stop = cb(arg, chunk + i, e - i, ++lineno);
			}
			i = e;
		}
	}
	int zerr = Z_OK;
	const char *why = gz != NULL ? gzerror(gz, &zerr) : NULL;
	/* a gzip stream cut short reads as data, then Z_BUF_ERROR */
	if (stop == 0 && (k < 0 || (zerr != Z_OK && zerr != Z_STREAM_END))) {
		rc = errf(err, errlen, k < 0 && gz == NULL ? EXIT_NOINPUT : EXIT_DATAERR, "%s: %s", path,
			  gz == NULL || zerr == Z_ERRNO ? strerror(errno) : why != NULL ? why : "read error");
	} else if (stop == 0 && line.len > 0) {
		cb(arg, line.data, line.len, ++lineno);
	}
	buf_free(&line);
	if (gz != NULL)
		gzclose(gz);
	else
		close(fd);
	return rc;
}

struct get_line {
	uint64_t want;
	struct buf *out;
};

static int get_line_cb(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct get_line *g = arg;

	if (lineno != g->want)
		return 0;
	buf_add(g->out, line, len);
	return 1;
}

int maillog_get_line(const char *path, uint64_t lineno, struct buf *out, char *err, size_t errlen)
{
	struct get_line g = { lineno, out };

	buf_reset(out);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return maillog_read(path, get_line_cb, &g, err, errlen);
}

/*
 * backend/maillog.c: MTA log lines. What a message's arrival says about
 * its size and recipients: sendmail's "from=" line (size=, nrcpts=),
 * Postfix qmgr's (size=, nrcpt=), Exim's "<=" line (S=); the queue id
 * each belongs to, so a message logged again (Postfix logs qmgr's line on
 * each delivery attempt) is counted once; and the reading of plain or
 * gzip-compressed (rotated) log files, the latter through zlib.
 *
 * For the doctor: the syslog stamp of a line (RFC 3164, RFC 3339,
 * journalctl short-iso) as unix time, and what a sendmail or Postfix line
 * says went wrong: a session lost, timed out or reset, a rejection, a
 * deferral or a bounce, with the client, stage, code, a reason short
 * enough to group by, and the recipient's domain. The wordings are
 * sendmail's (srvrsmtp.c, collect.c, deliver.c, util.c's sfgets) and
 * Postfix's (smtpd, postscreen, cleanup, smtp and its kin) as they log
 * them; Exim's lines are not events.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
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
		/* a field of its own: not text inside an address (from=<"a,size=7"@x>) */
		int depth = 0;
		bool quoted = false;
		for (const char *c = p; c < f; c++) {
			if (*c == '"')
				quoted = !quoted;
			else if (!quoted && *c == '<' && c[1] != '=' && c[1] != ' ')
				depth++; /* an address opens; not Exim's "<=" arrow */
			else if (!quoted && *c == '>' && depth > 0)
				depth--;
		}
		if ((f == p || f[-1] == ' ' || f[-1] == ',') && depth == 0 && !quoted) {
			const char *v = f + kl, *e = p + n;
			long long x = 0;
			if (v >= e || *v < '0' || *v > '9')
				return -1;
			for (; v < e && *v >= '0' && *v <= '9'; v++) {
				if (x > (LLONG_MAX - 9) / 10)
					return -1;
				x = x * 10 + (*v - '0');
			}
			/* a number and nothing glued to it (not 12.5, 1e308, 0x1F) */
			if (v < e && *v != ',' && *v != ' ' && *v != ';' && *v != '\r')
				return -1;
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
	/* postfix/qmgr[pid] or a second instance's postfix-out/qmgr[pid]: the
	 * syslog tag, near the start (the search and the walks back stay
	 * bounded on a long line made of "/qmgr[") */
	size_t head = n < 512 ? n : 512;
	for (const char *q = s; q < s + head;) {
		const char *t = mem_find(q, (size_t)(s + head - q), "/qmgr[");
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
enum { LINE_CAP = 1 << 20 };

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
			/* a line is kept up to LINE_CAP bytes, the rest dropped: a
			 * gzip bomb of zeros is one endless line, not gigabytes */
			size_t room = line.len < LINE_CAP ? LINE_CAP - line.len : 0;
			if (nl == NULL) {
				buf_add(&line, chunk + i, e - i < room ? e - i : room);
			} else if (line.len > 0) {
				buf_add(&line, chunk + i, e - i < room ? e - i : room);
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
	/* zlib names the stream "<fd:N>: ": the path is said already */
	if (why != NULL && strncmp(why, "<fd:", 4) == 0 && strstr(why, ">: ") != NULL)
		why = strstr(why, ">: ") + 3;
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

/* The stamp of the first stamped line at or after line start q (looking
 * at most 64 KB ahead), or -1. */
static int64_t first_stamp(const char *p, size_t len, size_t q, int64_t now)
{
	for (size_t end = q + 65536; q < len && q < end;) {
		const char *e = memchr(p + q, '\n', len - q);
		size_t ll = e != NULL ? (size_t)(e - (p + q)) : len - q;
		int64_t t = maillog_time(p + q, ll, now);
		if (t >= 0 || e == NULL)
			return t;
		q += ll + 1;
	}
	return -1;
}

int maillog_read_since(const char *path, int64_t from, int64_t now, maillog_line_fn cb, void *arg, char *err,
		       size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", path, strerror(errno));
	bool plain = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 2 && !is_gzip(fd, path);
	const char *p = MAP_FAILED;
	size_t len = plain ? (size_t)st.st_size : 0;
	if (plain)
		p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return maillog_read(path, cb, arg, err, errlen);
	/* syslog writes in time order: bisect for a line start before which
	 * every stamp is older than from */
	size_t lo = 0, hi = len;
	while (hi - lo > 4096) {
		size_t mid = lo + (hi - lo) / 2;
		const char *nl = memchr(p + mid, '\n', len - mid);
		if (nl == NULL)
			break;
		size_t ls = (size_t)(nl - p) + 1;
		int64_t t = first_stamp(p, len, ls, now);
		if (t >= 0 && t < from)
			lo = ls;
		else
			hi = mid;
	}
	for (size_t q = lo; q < len;) {
		const char *e = memchr(p + q, '\n', len - q);
		size_t ll = e != NULL ? (size_t)(e - (p + q)) + 1 : len - q;
		if (cb(arg, p + q, ll, 0) != 0)
			break;
		q += ll;
	}
	munmap((void *)p, len);
	return 0;
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

/* ---- stamps: RFC 3164, RFC 3339, journalctl short-iso ---- */

static bool digits_at(const char *p, const char *e, int n, int *out)
{
	int x = 0;

	if (e - p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		x = x * 10 + (p[i] - '0');
	}
	*out = x;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t local_time(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t;
}

/*
 * mktime() re-reads the zone each call (glibc stats /etc/localtime when TZ
 * is unset), which was most of the time spent on a large log; log lines
 * come in order, so the start of the last hour asked for is kept (per
 * thread, and per TZ, which tests change). Within an hour the offset is
 * the same but at a DST change, where the wall time is ambiguous anyway.
 */
static int64_t local_time_cached(int y, int mon, int d, int h, int mi, int s)
{
	static _Thread_local struct {
		bool ok;
		int y, mon, d, h;
		int64_t t;
		char tz[64];
	} c;
	const char *tz = getenv("TZ");

	if (tz == NULL)
		tz = "";
	if (!(c.ok && c.y == y && c.mon == mon && c.d == d && c.h == h && strcmp(c.tz, tz) == 0)) {
		int64_t t = local_time(y, mon, d, h, 0, 0);
		if (t < 0 || strlen(tz) >= sizeof(c.tz))
			return local_time(y, mon, d, h, mi, s);
		c.ok = true;
		c.y = y;
		c.mon = mon;
		c.d = d;
		c.h = h;
		c.t = t;
		strcpy(c.tz, tz);
	}
	return c.t + mi * 60 + s;
}

static bool hms_at(const char *p, const char *e, int *h, int *mi, int *s)
{
	return e - p >= 8 && digits_at(p, e, 2, h) && p[2] == ':' && digits_at(p + 3, e, 2, mi) && p[5] == ':' &&
	       digits_at(p + 6, e, 2, s) && *h < 24 && *mi < 60 && *s <= 60;
}

/* "Dec  3 13:47:22" (local time, no year); *end after it. */
static int64_t stamp_3164(const char *p, const char *e, int64_t now, const char **end)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int mon = 0, d, h, mi, s;

	if (e - p < 14)
		return -1;
	for (int i = 0; i < 12 && mon == 0; i++)
		if (memcmp(p, months + 3 * i, 3) == 0)
			mon = i + 1;
	if (mon == 0 || p[3] != ' ')
		return -1;
	p += 4;
	if (*p == ' ')
		p++;
	if (digits_at(p, e, 2, &d))
		p += 2;
	else if (digits_at(p, e, 1, &d))
		p += 1;
	else
		return -1;
	if (d < 1 || d > 31 || p >= e || *p != ' ' || !hms_at(p + 1, e, &h, &mi, &s))
		return -1;
	*end = p + 9;
	/* the latest such time not more than a day after now */
	time_t lim = (time_t)(now + 86400);
	struct tm lt;
	if (localtime_r(&lim, &lt) == NULL)
		return -1;
	int64_t t = local_time_cached(lt.tm_year + 1900, mon, d, h, mi, s);
	if (t > (int64_t)lim)
		t = local_time_cached(lt.tm_year + 1900 - 1, mon, d, h, mi, s);
	return t;
}

/* "2026-12-03T13:47:22[.frac](Z|+01:00|+0100)"; without an offset (Exim's
 * "2026-12-03 13:47:22") the time is local. */
static int64_t stamp_3339(const char *p, const char *e, const char **end)
{
	int y, mon, d, h, mi, s;

	if (!digits_at(p, e, 4, &y) || e - p < 19 || p[4] != '-' || !digits_at(p + 5, e, 2, &mon) || p[7] != '-' ||
	    !digits_at(p + 8, e, 2, &d) || (p[10] != 'T' && p[10] != ' ') || !hms_at(p + 11, e, &h, &mi, &s))
		return -1;
	if (mon < 1 || mon > 12 || d < 1 || d > 31)
		return -1;
	const char *q = p + 19;
	if (q < e && (*q == '.' || *q == ',')) {
		q++;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < e && (*q == 'Z' || *q == 'z')) {
		*end = q + 1;
		return days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
	}
	if (q < e && (*q == '+' || *q == '-')) {
		int oh, om;
		const char *o = q + 1;
		if (!digits_at(o, e, 2, &oh))
			return -1;
		o += 2;
		if (o < e && *o == ':')
			o++;
		if (!digits_at(o, e, 2, &om) || oh > 23 || om > 59)
			return -1;
		*end = o + 2;
		int64_t off = (oh * 60 + om) * 60;
		return days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s - (*q == '+' ? off : -off);
	}
	*end = q;
	return local_time(y, mon, d, h, mi, s);
}

/* The stamp at p (after an optional "<pri>"); *end after it. */
static int64_t stamp_at(const char *p, const char *e, int64_t now, const char **end)
{
	if (p < e && *p == '<') {
		const char *q = p + 1;
		while (q < e && q - p < 5 && *q >= '0' && *q <= '9')
			q++;
		if (q < e && *q == '>' && q > p + 1)
			p = q + 1;
	}
	if (p < e && *p >= '0' && *p <= '9')
		return stamp_3339(p, e, end);
	return stamp_3164(p, e, now, end);
}

int64_t maillog_time(const char *line, size_t len, int64_t now)
{
	const char *end;

	return stamp_at(line, line + len, now, &end);
}

/* ---- events: what the doctor counts ---- */

const char *maillog_kind_name(enum maillog_kind k)
{
	switch (k) {
	case ML_LOST: return "lost";
	case ML_TIMEOUT: return "timeout";
	case ML_RESET: return "reset";
	case ML_REJECT: return "reject";
	case ML_DEFER: return "defer";
	case ML_BOUNCE: return "bounce";
	default: return "none";
	}
}

static bool starts(const char *p, const char *e, const char *s)
{
	size_t k = strlen(s);

	return (size_t)(e - p) >= k && memcmp(p, s, k) == 0;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static const char *find(const char *p, const char *e, const char *s)
{
	return p < e ? mem_find(p, (size_t)(e - p), s) : NULL;
}

static void set(const char **f, size_t *fl, const char *p, const char *e)
{
	*f = p;
	*fl = (size_t)(e - p);
}

/*
 * A stage as a lower-case name when it is an SMTP command or phase the
 * MTAs name ("RCPT" -> "rcpt"): these point to static strings, which
 * outlive the line; anything else points into the line as written.
 */
static void set_stage(struct maillog_event *ev, const char *p, const char *e)
{
	static const char *const known[] = {
		"connect", "helo", "ehlo", "starttls", "auth", "mail", "rcpt", "data",
		"bdat", "end-of-message", "rset", "noop", "vrfy", "expn", "etrn", "help",
		"quit", "unknown", "startup", "xclient", "xforward", "header", "body",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t k = strlen(known[i]);
		if ((size_t)(e - p) != k)
			continue;
		size_t j = 0;
		while (j < k && lower(p[j]) == known[i][j])
			j++;
		if (j == k) {
			ev->stage = known[i];
			ev->stage_len = k;
			return;
		}
	}
	if (e > p)
		set(&ev->stage, &ev->stage_len, p, e);
}

static void set_stage_s(struct maillog_event *ev, const char *name)
{
	set_stage(ev, name, name + strlen(name));
}

static void set_reason(struct maillog_event *ev, const char *p, const char *e)
{
	while (p < e && *p == ' ')
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > p)
		set(&ev->reason, &ev->reason_len, p, e);
}

/* The domain of "<user@domain>" or "user@domain" starting at p. */
static void set_domain(struct maillog_event *ev, const char *p, const char *e)
{
	const char *q = p, *at = NULL;

	if (q < e && *q == '<')
		q++;
	for (; q < e && *q != '>' && *q != ',' && *q != ' '; q++)
		if (*q == '@')
			at = q;
	if (at != NULL && q > at + 1)
		set(&ev->domain, &ev->domain_len, at + 1, q);
}

/* "name[ip]" or "name[ip]:port" (Postfix); "unknown" is no name. */
static const char *pf_namaddr(const char *p, const char *e, struct maillog_event *ev)
{
	const char *b = p;

	while (b < e && *b != '[' && *b != ' ' && *b != ';')
		b++;
	if (b >= e || *b != '[')
		return NULL;
	const char *c = memchr(b, ']', (size_t)(e - b));
	if (c == NULL || c == b + 1)
		return NULL;
	if (b > p && !(b - p == 7 && memcmp(p, "unknown", 7) == 0))
		set(&ev->client, &ev->client_len, p, b);
	set(&ev->ip, &ev->ip_len, b + 1, c);
	c++;
	if (e - c >= 2 && c[0] == ':' && c[1] >= '0' && c[1] <= '9')
		for (c++; c < e && *c >= '0' && *c <= '9';)
			c++;
	return c;
}

/*
 * sendmail's client: "name [ip]", "[ip]", "name [ip] (may be forged)",
 * "ident@name [ip]", "[IPv6:2001:db8::1]", or a bare name.
 */
static void sm_client(const char *p, const char *e, struct maillog_event *ev)
{
	while (p < e && *p == ' ')
		p++;
	while (e > p && e[-1] == ' ')
		e--;
	if (e > p && e[-1] == ')') {
		const char *o = e - 1;
		while (o > p && *o != '(')
			o--;
		if (*o == '(')
			for (e = o; e > p && e[-1] == ' ';)
				e--;
	}
	const char *b = memchr(p, '[', (size_t)(e - p));
	const char *ne = b != NULL ? b : e;
	if (b != NULL) {
		const char *c = memchr(b, ']', (size_t)(e - b));
		const char *ip = b + 1;
		if (c != NULL && starts(ip, c, "IPv6:"))
			ip += 5;
		if (c != NULL && c > ip)
			set(&ev->ip, &ev->ip_len, ip, c);
	}
	while (ne > p && ne[-1] == ' ')
		ne--;
	const char *at = ne > p ? memchr(p, '@', (size_t)(ne - p)) : NULL;
	if (at != NULL)
		p = at + 1;
	if (ne > p && ne[-1] == '.')
		ne--;
	if (ne > p && memchr(p, ' ', (size_t)(ne - p)) == NULL)
		set(&ev->client, &ev->client_len, p, ne);
}

/* The value of "key" (at p, or after ", " or ": ") up to ", " or the end. */
static const char *field(const char *p, const char *e, const char *key, const char **ve)
{
	size_t kl = strlen(key);

	for (const char *q = p; q < e;) {
		const char *f = find(q, e, key);
		if (f == NULL)
			return NULL;
		if (f == p || (f - p >= 2 && f[-1] == ' ' && (f[-2] == ',' || f[-2] == ':'))) {
			const char *v = f + kl, *c = find(v, e, ", ");
			*ve = c != NULL ? c : e;
			return v;
		}
		q = f + kl;
	}
	return NULL;
}

/* Cuts a trailing " [ip]" or ", [ip]" off a reason (Postfix's "cannot
 * find your hostname, [192.0.2.7]", sendmail's "IP name lookup failed
 * [192.0.2.7]"), so reasons group. */
static const char *cut_addr_tail(const char *p, const char *e)
{
	if (e - p < 3 || e[-1] != ']')
		return e;
	const char *b = e - 1;
	while (b > p && *b != '[' && *b != ' ')
		b--;
	if (*b != '[' || b == p || b[-1] != ' ')
		return e;
	b--;
	if (b > p && b[-1] == ',')
		b--;
	return b > p ? b : e;
}

/* After "CODE " or at a bare DSN: skips "5.1.1 " and a leading
 * "<address>: " (Postfix) or "<address>... " (sendmail). */
static const char *skip_dsn_addr(const char *p, const char *e)
{
	if (e - p >= 6 && (*p == '2' || *p == '4' || *p == '5') && p[1] == '.') {
		const char *q = p + 2;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if (q < e && *q == '.') {
			q++;
			while (q < e && *q >= '0' && *q <= '9')
				q++;
			if (q < e && *q == ' ')
				p = q + 1;
		}
	}
	if (p < e && *p == '<') {
		const char *c = memchr(p, '>', (size_t)(e - p));
		if (c != NULL && starts(c + 1, e, ": "))
			return c + 3;
		if (c != NULL && starts(c + 1, e, "... "))
			return c + 5;
	} else if (starts(p, e, ": ")) {
		return p + 2;
	} else {
		const char *d = find(p, e, "... ");
		if (d != NULL && memchr(p, ' ', (size_t)(d - p)) == NULL && memchr(p, '@', (size_t)(d - p)) != NULL)
			return d + 4;
	}
	return p;
}

static int reply_code(const char *p, const char *e, const char **after)
{
	int c;

	if (!digits_at(p, e, 3, &c) || (p[0] != '4' && p[0] != '5') || (e - p > 3 && p[3] != ' '))
		return 0;
	*after = p + (e - p > 3 ? 4 : 3);
	return c;
}

/* ---- sendmail ---- */

static bool sm_delivery(const char *m, const char *e, struct maillog_event *ev)
{
	const char *ve, *to = field(m, e, "to=", &ve);
	const char *se, *stat = field(m, e, "stat=", &se);

	if (to == NULL || stat == NULL)
		return false;
	/* stat= is the last field; its text may hold ", " */
	se = e;
	const char *de, *dsn = field(m, e, "dsn=", &de);
	if (starts(stat, se, "Deferred")) {
		ev->kind = ML_DEFER;
		const char *r = stat + 8;
		set_reason(ev, starts(r, se, ": ") ? r + 2 : stat, se);
	} else if (dsn != NULL && *dsn == '5') {
		ev->kind = ML_BOUNCE;
		set_reason(ev, stat, se);
	} else {
		return false;
	}
	set_domain(ev, to, ve);
	const char *re, *relay = field(m, e, "relay=", &re);
	if (relay != NULL)
		sm_client(relay, re, ev);
	return true;
}

static bool sm_reject(const char *m, const char *e, struct maillog_event *ev)
{
	const char *ve, *rej = field(m, e, "reject=", &ve);
	const char *after;

	if (rej == NULL)
		return false;
	ev->kind = ML_REJECT;
	ev->code = reply_code(rej, e, &after);
	const char *r = ev->code != 0 ? after : rej;
	r = skip_dsn_addr(r, e);
	/* the sender's address in the middle would split the group */
	if (starts(r, e, "Domain of sender address ")) {
		ev->reason = find(r, e, "does not resolve") != NULL ? "Domain of sender address does not resolve"
								     : "Domain of sender address does not exist";
		ev->reason_len = strlen(ev->reason);
	} else {
		set_reason(ev, r, cut_addr_tail(r, e));
	}
	const char *re, *relay = field(m, e, "relay=", &re);
	if (relay != NULL)
		sm_client(relay, re, ev);
	const char *rs, *rul = field(m, e, "ruleset=", &rs);
	const char *ae, *arg1 = field(m, e, "arg1=", &ae);
	if (rul != NULL && starts(rul, rs, "check_rcpt") && arg1 != NULL)
		set_domain(ev, arg1, ae);
	const char *te, *to = field(m, e, "to=", &te);
	if (ev->domain == NULL && to != NULL)
		set_domain(ev, to, te);
	if (rul != NULL && starts(rul, rs, "check_rcpt"))
		set_stage_s(ev, "rcpt");
	else if (rul != NULL && starts(rul, rs, "check_mail"))
		set_stage_s(ev, "mail");
	else if (rul != NULL && starts(rul, rs, "check_relay"))
		set_stage_s(ev, "connect");
	return true;
}

static bool sm_event(const char *m, const char *e, struct maillog_event *ev)
{
	const char *q;

	if (starts(m, e, "lost input channel from ")) {
		const char *c = m + 24, *to = find(c, e, " to "), *af = find(c, e, " after ");
		ev->kind = ML_LOST;
		sm_client(c, to != NULL ? to : af != NULL ? af : e, ev);
		if (af != NULL)
			set_stage(ev, af + 7, e);
		return true;
	}
	if (starts(m, e, "timeout waiting for input from ")) {
		const char *c = m + 31, *du = find(c, e, " during ");
		ev->kind = ML_TIMEOUT;
		sm_client(c, du != NULL ? du : e, ev);
		if (du != NULL && starts(du + 8, e, "message collect"))
			set_stage_s(ev, "data");
		else if (du != NULL)
			set_stage(ev, du + 8, e);
		if (ev->client_len == 5 && memcmp(ev->client, "local", 5) == 0) {
			ev->client = NULL;
			ev->client_len = 0;
		}
		return true;
	}
	if (starts(m, e, "collect: premature EOM: ")) {
		const char *r = m + 24;
		if (starts(r, e, "Connection reset by ")) {
			ev->kind = ML_RESET;
			set_reason(ev, r, r + 16);
			/* strerror's "by peer" when sendmail knows no host */
			if (!starts(r + 20, e, "peer"))
				sm_client(r + 20, e, ev);
		} else if (starts(r, e, "Connection timed out with ")) {
			ev->kind = ML_TIMEOUT;
			set_reason(ev, r, r + 20);
			sm_client(r + 26, e, ev);
		} else {
			/* "unexpected close": the next line names the client */
			return false;
		}
		set_stage_s(ev, "data");
		return true;
	}
	if (starts(m, e, "collect: unexpected close on connection from ")) {
		const char *c = m + 45, *s = find(c, e, ", sender=");
		ev->kind = ML_LOST;
		sm_client(c, s != NULL ? s : e, ev);
		set_stage_s(ev, "data");
		return true;
	}
	if (starts(m, e, "rejecting commands from ") && (q = find(m, e, " due to ")) != NULL) {
		ev->kind = ML_REJECT;
		sm_client(m + 24, q, ev);
		const char *a = find(q, e, " after ");
		set_reason(ev, q + 8, a != NULL ? a : e);
		set_stage_s(ev, "connect");
		return true;
	}
	if (sm_delivery(m, e, ev))
		return true;
	return sm_reject(m, e, ev);
}

/* ---- Postfix ---- */

/* "to=<a@b>, relay=..., dsn=4.4.1, status=deferred (reason)" */
static bool pf_delivery(const char *m, const char *e, struct maillog_event *ev)
{
	const char *ve, *to = field(m, e, "to=", &ve);
	const char *se, *st = field(m, e, "status=", &se);

	if (to == NULL || st == NULL)
		return false;
	if (starts(st, e, "deferred"))
		ev->kind = ML_DEFER;
	else if (starts(st, e, "bounced"))
		ev->kind = ML_BOUNCE;
	else
		return false;
	set_domain(ev, to, ve);
	const char *re, *relay = field(m, e, "relay=", &re);
	if (relay != NULL && !starts(relay, re, "none")) {
		if (pf_namaddr(relay, re, ev) == NULL)
			set(&ev->client, &ev->client_len, relay, re);
	}
	const char *o = memchr(st, '(', (size_t)(e - st));
	if (o == NULL)
		return true;
	const char *r = o + 1, *re2 = e;
	if (re2 > r && re2[-1] == ')')
		re2--;
	if (starts(r, re2, "delivery temporarily suspended: "))
		r += 32;
	if (starts(r, re2, "connect to ")) {
		struct maillog_event h = { 0 };
		const char *c = pf_namaddr(r + 11, re2, &h);
		if (c != NULL && starts(c, re2, ": ")) {
			ev->client = h.client;
			ev->client_len = h.client_len;
			ev->ip = h.ip;
			ev->ip_len = h.ip_len;
			r = c + 2;
			/* before Postfix 2.3: "Connection refused (port 25)" */
			const char *pt = find(r, re2, " (port ");
			if (pt != NULL && re2[-1] == ')')
				re2 = pt;
		}
	}
	set_reason(ev, r, re2);
	return true;
}

/*
 * "reject: RCPT from host[ip]: 550 5.1.1 <u@d>: Recipient address
 * rejected: ...; from=<x@y> to=<u@d> proto=ESMTP helo=<h>", its
 * milter-reject and postscreen kin, and cleanup's "reject: header ...
 * from host[ip]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 text".
 */
static bool pf_reject(const char *m, const char *e, struct maillog_event *ev)
{
	const char *p;

	if (starts(m, e, "reject: "))
		p = m + 8;
	else if (starts(m, e, "milter-reject: "))
		p = m + 15;
	else
		return false;
	const char *fr = find(p, e, "; from=");
	if (starts(p, e, "header ") || starts(p, e, "body ")) {
		if (fr == NULL)
			return false;
		const char *f = NULL;
		for (const char *q = p; (q = find(q, fr, " from ")) != NULL; q += 6)
			f = q;
		if (f == NULL)
			return false;
		ev->kind = ML_REJECT;
		set_stage(ev, p, p + (*p == 'h' ? 6 : 4));
		pf_namaddr(f + 6, fr, ev);
		const char *te = find(fr, e, " to=<");
		if (te != NULL)
			set_domain(ev, te + 4, e);
		const char *h = find(fr, e, " helo=<"), *c = h != NULL ? find(h, e, ">: ") : find(fr, e, ": ");
		if (c != NULL) {
			const char *r = skip_dsn_addr(c + (*c == '>' ? 3 : 2), e);
			set_reason(ev, r, e);
		}
		return true;
	}
	const char *sp = memchr(p, ' ', (size_t)(e - p));
	if (sp == NULL || !starts(sp, e, " from "))
		return false;
	const char *after = pf_namaddr(sp + 6, e, ev);
	if (after == NULL)
		return false;
	ev->kind = ML_REJECT;
	set_stage(ev, p, sp);
	if (!starts(after, e, ": "))
		return true;
	const char *r = after + 2, *re = fr;
	if (re == NULL)
		re = find(r, e, "; proto=");
	if (re == NULL)
		re = e;
	ev->code = reply_code(r, re, &r);
	r = skip_dsn_addr(r, re);
	set_reason(ev, r, cut_addr_tail(r, re));
	const char *te = fr != NULL ? find(fr, e, " to=<") : NULL;
	if (te != NULL)
		set_domain(ev, te + 4, e);
	return true;
}

/* "lost connection after DATA (3 bytes) from host[ip]", "timeout after ..." */
static bool pf_session(const char *m, const char *e, struct maillog_event *ev)
{
	const char *p;

	if (starts(m, e, "lost connection after ")) {
		ev->kind = ML_LOST;
		p = m + 22;
	} else if (starts(m, e, "timeout after ")) {
		ev->kind = ML_TIMEOUT;
		p = m + 14;
	} else if (starts(m, e, "COMMAND TIME LIMIT from ")) {
		/* postscreen: "COMMAND TIME LIMIT from [ip]:port after RCPT" */
		const char *a = pf_namaddr(m + 24, e, ev);
		if (a == NULL || !starts(a, e, " after "))
			return false;
		ev->kind = ML_TIMEOUT;
		set_stage(ev, a + 7, e);
		return true;
	} else if (starts(m, e, "HANGUP after ")) {
		/* postscreen: "HANGUP after 0.5 from [ip]:port in tests after SMTP handshake" */
		const char *f = find(m, e, " from ");
		const char *a = f != NULL ? pf_namaddr(f + 6, e, ev) : NULL;
		if (a == NULL)
			return false;
		ev->kind = ML_LOST;
		if (starts(a, e, " in "))
			set_stage(ev, a + 4, e);
		return true;
	} else {
		return false;
	}
	const char *f = find(p, e, " from ");
	if (f == NULL) {
		ev->kind = ML_NONE;
		return false;
	}
	const char *se = f;
	if (se > p && se[-1] == ')') {
		const char *o = se;
		while (o > p && *o != '(')
			o--;
		if (*o == '(' && o > p && o[-1] == ' ')
			se = o - 1;
	}
	set_stage(ev, p, se);
	pf_namaddr(f + 6, e, ev);
	return true;
}

/* "Connection reset by peer" in any other shape: "SSL_accept error from
 * host[ip]: Connection reset by peer", "warning: read: Connection reset by
 * peer"; the client is the first "host[ip]" after " from " or " to ". */
static bool pf_reset(const char *m, const char *e, struct maillog_event *ev)
{
	const char *r = find(m, e, "Connection reset by peer");

	if (r == NULL)
		return false;
	ev->kind = ML_RESET;
	set_reason(ev, r, r + 24);
	const char *f = find(m, r, " from ");
	if (f == NULL)
		f = find(m, r, " to ");
	if (f != NULL)
		pf_namaddr(f + (f[1] == 'f' ? 6 : 4), r, ev);
	if (starts(m, e, "SSL_accept error"))
		set_stage_s(ev, "starttls");
	return true;
}

static bool pf_event(const char *m, const char *e, struct maillog_event *ev)
{
	return pf_session(m, e, ev) || pf_reject(m, e, ev) || pf_delivery(m, e, ev) || pf_reset(m, e, ev);
}

/* ---- the line ---- */

static bool is_sendmail(const char *p, const char *e)
{
	return starts(p, e, "sendmail") || starts(p, e, "sm-");
}

static bool is_postfix(const char *p, const char *e)
{
	return starts(p, e, "postfix") && memchr(p, '/', (size_t)(e - p)) != NULL;
}

/* A queue id and ": " at p: sendmail's 14+ alphanumerics, Postfix's hex
 * or long ids (all with a digit, unlike "collect: " or "warning: "), or
 * NOQUEUE. Returns what follows, or p. */
static const char *skip_qid(const char *p, const char *e)
{
	const char *q = p;
	bool digit = false;

	for (; q < e && qid_char(*q); q++)
		digit |= *q >= '0' && *q <= '9';
	if ((digit || (q - p == 7 && memcmp(p, "NOQUEUE", 7) == 0)) && q - p >= 5 && q - p <= 32 &&
	    starts(q, e, ": "))
		return q + 2;
	return p;
}

bool maillog_classify(const char *line, size_t len, int64_t now, struct maillog_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	const char *e = line + len, *p = line;
	ev->when = stamp_at(line, e, now, &p);
	if (ev->when < 0)
		p = line;
	/* "host prog[pid]: " or, without a stamp, possibly "prog[pid]: " */
	const char *tag = NULL, *te = NULL;
	for (int tok = 0; tok < 2 && p < e && tag == NULL; tok++) {
		while (p < e && *p == ' ')
			p++;
		const char *t = p;
		while (p < e && *p != ' ')
			p++;
		if (p - t >= 2 && p[-1] == ':' && p < e) {
			tag = t;
			te = p - 1;
		}
	}
	if (tag == NULL)
		return false;
	const char *pe = memchr(tag, '[', (size_t)(te - tag));
	if (pe == NULL)
		pe = te;
	const char *m = te + 1;
	while (m < e && *m == ' ')
		m++;
	/* Solaris: "[ID 801593 mail.info] " */
	if (starts(m, e, "[ID ")) {
		const char *c = memchr(m, ']', (size_t)(e - m));
		if (c != NULL)
			for (m = c + 1; m < e && *m == ' ';)
				m++;
	}
	bool ok = false;
	if (is_sendmail(tag, pe)) {
		ev->mta = MAILLOG_SENDMAIL;
		ok = sm_event(skip_qid(m, e), e, ev);
	} else if (is_postfix(tag, pe)) {
		ev->mta = MAILLOG_POSTFIX;
		ok = pf_event(skip_qid(m, e), e, ev);
	}
	if (!ok || ev->kind == ML_NONE) {
		int64_t when = ev->when;
		memset(ev, 0, sizeof(*ev));
		ev->when = when;
		return false;
	}
	return true;
}

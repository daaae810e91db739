/*
 * backend/feedback.c: feedback-loop reports in a message: RFC 5965 ARF
 * (with the fields of RFC 6591 authentication failure, RFC 6692 source
 * ports and DMARC failure reports, RFC 7489), found as a
 * message/feedback-report part at any depth of the MIME tree (GMime does
 * the MIME and the transfer decoding), and the formats that came before or
 * beside it: Microsoft's legacy JMRP mails, Amazon SES complaints as JSON
 * (jansson), Exim's text-only DMARC failure reports and Apple Mail's
 * unsubscribe notices. Also the table of known feedback-loop senders.
 *
 * Every report field is kept in the report's order and spelling; the
 * normalised values (dates in UTC, a clean Source-IP, the lower-cased type,
 * the lists of recipients and domains) are computed from them. Nothing
 * here prints; a message that cannot be read at all gets an error text.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backend.h"

/* ---- the fields a report may carry ---- */

struct known_field {
	const char *name;
	bool multi; /* may appear more than once */
};

static const struct known_field known_fields[] = {
	/* RFC 5965 */
	{ "Feedback-Type", false },
	{ "User-Agent", false },
	{ "Version", false },
	{ "Original-Envelope-Id", false },
	{ "Original-Mail-From", false },
	{ "Arrival-Date", false },
	{ "Reporting-MTA", false },
	{ "Source-IP", false },
	{ "Incidents", false },
	{ "Authentication-Results", true },
	{ "Original-Rcpt-To", true },
	{ "Reported-Domain", true },
	{ "Reported-URI", true },
	/* historic (drafts) */
	{ "Received-Date", false },
	{ "Removal-Recipient", true },
	/* RFC 6591 */
	{ "Auth-Failure", false },
	{ "Delivery-Result", false },
	{ "DKIM-ADSP-DNS", false },
	{ "DKIM-Canonicalized-Body", false },
	{ "DKIM-Canonicalized-Header", false },
	{ "DKIM-Domain", false },
	{ "DKIM-Identity", false },
	{ "DKIM-Selector", false },
	{ "DKIM-Selector-DNS", false },
	{ "SPF-DNS", false },
	/* RFC 6692 */
	{ "Source-Port", false },
	/* RFC 7489 (DMARC failure reports) */
	{ "Identity-Alignment", false },
	{ NULL, false },
};

static const struct known_field *known_field(const char *name)
{
	for (const struct known_field *k = known_fields; k->name != NULL; k++)
		if (strcasecmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* IANA's Feedback Report Type Values. */
bool fb_type_registered(const char *t)
{
	static const char *const reg[] = { "abuse", "auth-failure", "fraud", "not-spam", "other", "virus", NULL };

	for (int i = 0; reg[i] != NULL; i++)
		if (strcmp(t, reg[i]) == 0)
			return true;
	return false;
}

/* ---- headers: unfolded, in order ---- */

static void fields_add(struct fb_field **v, size_t *n, const char *name, size_t nl, const char *val, size_t vl)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct fb_field){ .name = xstrndup(name, nl), .value = xstrndup(val, vl) };
	(*n)++;
}

static void fields_free(struct fb_field *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static bool name_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ':';
}

/*
 * The header fields of p[0..len): unfolded (a line starting with a blank
 * continues the one before), CRs dropped, values trimmed. With
 * stop_at_blank, an empty line ends them (a message's header); else empty
 * lines are skipped (a report part). Lines that are no field are counted in
 * *junk. Returns the offset where it stopped.
 */
static size_t parse_fields(const char *p, size_t len, bool stop_at_blank, struct fb_field **v, size_t *n, size_t *junk)
{
	struct buf val;
	size_t i = 0;
	const char *name = NULL;
	size_t nl = 0;

	buf_init(&val);
	while (i < len) {
		const char *lf = memchr(p + i, '\n', len - i);
		size_t e = lf != NULL ? (size_t)(lf - p) : len;
		size_t next = lf != NULL ? e + 1 : len;
		size_t le = e;
		while (le > i && p[le - 1] == '\r')
			le--;
		if (le == i) {
			if (name != NULL) {
				fields_add(v, n, name, nl, val.data, val.len);
				name = NULL;
			}
			i = next;
			if (stop_at_blank)
				break;
			continue;
		}
		if ((p[i] == ' ' || p[i] == '\t') && name != NULL) {
			buf_add(&val, p + i, le - i);
			i = next;
			continue;
		}
		if (name != NULL) {
			fields_add(v, n, name, nl, val.data, val.len);
			name = NULL;
		}
		size_t k = i;
		while (k < le && name_char((unsigned char)p[k]))
			k++;
		size_t ne = k;
		while (k < le && (p[k] == ' ' || p[k] == '\t'))
			k++; /* obsolete "Name :" */
		if (ne > i && k < le && p[k] == ':') {
			name = p + i;
			nl = ne - i;
			k++;
			buf_reset(&val);
			buf_add(&val, p + k, le - k);
		} else if (junk != NULL) {
			(*junk)++;
		}
		i = next;
	}
	if (name != NULL)
		fields_add(v, n, name, nl, val.data, val.len);
	/* trim */
	for (size_t f = 0; f < *n; f++) {
		char *s = (*v)[f].value, *b = s;
		while (*b == ' ' || *b == '\t')
			b++;
		size_t l = strlen(b);
		while (l > 0 && (b[l - 1] == ' ' || b[l - 1] == '\t'))
			l--;
		memmove(s, b, l);
		s[l] = '\0';
	}
	buf_free(&val);
	return i;
}

static const char *field_get(const struct fb_field *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i].name, name) == 0)
			return v[i].value;
	return NULL;
}

const char *fb_get(const struct fb_report *r, const char *name)
{
	return field_get(r->fields, r->nfields, name);
}

/* ---- dates ---- */

static int month_of(const char *s)
{
	static const char *const m[] = { "jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec" };
	for (int i = 0; i < 12; i++)
		if (strncasecmp(s, m[i], 3) == 0)
			return i;
	return -1;
}

/* Minutes east of UTC of a zone name (RFC 5322 §4.3 obsolete zones;
 * military letters mean nothing and count as -0000); false if unknown. */
static bool zone_of(const char *z, size_t len, int *min)
{
	static const struct {
		const char *name;
		int min;
	} zones[] = {
		{ "UT", 0 },	     { "UTC", 0 },	{ "GMT", 0 },	   { "Z", 0 },	       { "EST", -5 * 60 },
		{ "EDT", -4 * 60 }, { "CST", -6 * 60 }, { "CDT", -5 * 60 }, { "MST", -7 * 60 }, { "MDT", -6 * 60 },
		{ "PST", -8 * 60 }, { "PDT", -7 * 60 },
	};
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strlen(zones[i].name) == len && strncasecmp(z, zones[i].name, len) == 0) {
			*min = zones[i].min;
			return true;
		}
	if (len == 1 && isalpha((unsigned char)z[0])) {
		*min = 0;
		return true;
	}
	return false;
}

static int64_t utc_time(int y, int mon, int d, int h, int mi, int s, int zone_min)
{
	struct tm tm = { 0 };

	if (y < 1900 || y > 9999 || mon < 0 || mon > 11 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    s < 0 || s > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) - (int64_t)zone_min * 60;
}

/*
 * An RFC 5322 date (day name optional, 2- and 3-digit years, seconds
 * optional, numeric or obsolete zones, comments after it) or an ISO 8601
 * one ("2016-11-25T01:49:01.000Z"), as a unix time; -1 when it is none.
 */
/* At most max digits at *p as an int (advancing *p), or -1 when there are
 * none or more: a field of a date is never longer, and an int stays one. */
static int date_num(const char **p, int max)
{
	int v = 0, k = 0;

	for (; isdigit((unsigned char)(*p)[k]); k++) {
		if (k == max)
			return -1;
		v = v * 10 + ((*p)[k] - '0');
	}
	if (k == 0)
		return -1;
	*p += k;
	return v;
}

/* A date's fields in range, its zone a real one (at most 23:59), and the
 * result within years 1970 to 9999 (what the outputs can write). */
static int64_t date_checked(int y, int mon, int d, int h, int mi, int sec, int zm)
{
	if (y < 1 || y > 9999 || mon < 0 || mon > 11 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 60 || zm < -(23 * 60 + 59) || zm > 23 * 60 + 59)
		return -1;
	int64_t t = utc_time(y, mon, d, h, mi, sec, zm);
	return t >= 0 && t <= 253402300799 ? t : -1;
}

int64_t fb_parse_date(const char *s)
{
	int y, mon, d, h, mi, sec = 0, n = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	/* ISO 8601 (sscanf is slow, and most dates start with a day name, which it cannot) */
	if (!isalpha((unsigned char)*p) &&
	    sscanf(p, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mon, &d, &h, &mi, &sec, &n) == 6) {
		p += n;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		int zm = 0;
		if (*p == '+' || *p == '-') {
			int zh = 0, zmm = 0;
			if (sscanf(p + 1, "%2d:%2d", &zh, &zmm) >= 1 || sscanf(p + 1, "%2d%2d", &zh, &zmm) >= 1) {
				if (zmm > 59)
					return -1;
				zm = (zh * 60 + zmm) * (*p == '-' ? -1 : 1);
			}
		}
		return date_checked(y, mon - 1, d, h, mi, sec, zm);
	}
	/* day name */
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	if ((d = date_num(&p, 2)) < 0)
		return -1;
	while (*p == ' ' || *p == '\t' || *p == '-')
		p++;
	mon = month_of(p);
	if (mon < 0)
		return -1;
	while (isalpha((unsigned char)*p))
		p++;
	while (*p == ' ' || *p == '\t' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	const char *ys = p;
	if ((y = date_num(&p, 4)) < 0)
		return -1;
	if (p - ys == 2)
		y += y < 50 ? 2000 : 1900;
	else if (p - ys == 3)
		y += 1900;
	while (*p == ' ' || *p == '\t')
		p++;
	n = 0;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && p[2] == ':' &&
	    isdigit((unsigned char)p[3]) && isdigit((unsigned char)p[4])) {
		/* "hh:mm", what the sscanf below would read, without its cost */
		h = (p[0] - '0') * 10 + (p[1] - '0');
		mi = (p[3] - '0') * 10 + (p[4] - '0');
		n = 5;
	} else if (sscanf(p, "%2d:%2d%n", &h, &mi, &n) != 2) {
		return -1;
	}
	p += n;
	if (*p == ':') {
		p++;
		if ((sec = date_num(&p, 2)) < 0)
			return -1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	int zm = 0;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
		int v = 0, k = 0;
		for (p++; isdigit((unsigned char)p[k]) && k < 4; k++)
			v = v * 10 + (p[k] - '0');
		if (k != 4 || v % 100 > 59)
			return -1;
		zm = (v / 100 * 60 + v % 100) * (p[-1] == '-' ? -1 : 1);
	} else if (isalpha((unsigned char)*p)) {
		size_t zl = 0;
		while (isalpha((unsigned char)p[zl]))
			zl++;
		if (!zone_of(p, zl, &zm))
			zm = 0; /* unknown zone: -0000, as RFC 5322 says */
	}
	return date_checked(y, mon, d, h, mi, sec, zm);
}

/* ---- addresses, IPs ---- */

/*
 * Source-IP as a bare address: comments "( ... )" and "[ ]" removed,
 * trimmed. True when what is left is an IPv4 or IPv6 address; else out
 * holds the trimmed text, comments removed.
 */
bool fb_clean_ip(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	int depth = 0;

	if (outlen == 0)
		return false;
	for (const char *p = in; *p != '\0'; p++) {
		if (*p == '\\' && depth > 0 && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '(') {
			depth++;
			continue;
		}
		if (*p == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (depth > 0 || *p == '[' || *p == ']')
			continue;
		if (o + 1 < outlen)
			out[o++] = *p;
	}
	out[o] = '\0';
	/* trim */
	size_t b = 0;
	while (out[b] == ' ' || out[b] == '\t')
		b++;
	memmove(out, out + b, o - b + 1);
	o -= b;
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		out[--o] = '\0';
	if (strncasecmp(out, "IPv6:", 5) == 0)
		memmove(out, out + 5, o - 5 + 1);
	unsigned char a[16];
	return inet_pton(AF_INET, out, a) == 1 || inet_pton(AF_INET6, out, a) == 1;
}

/* The addr-spec of an address field ("Name <a@b>" -> "a@b"), malloc'd;
 * NULL for an empty one. */
static char *addr_spec(const char *v)
{
	if (v == NULL)
		return NULL;
	const char *lt = strrchr(v, '<');
	const char *s = v;
	size_t l;
	if (lt != NULL && strchr(lt, '>') != NULL) {
		s = lt + 1;
		l = (size_t)(strchr(lt, '>') - s);
	} else {
		/* bare: the word with an '@' in it (a display name may come first) */
		const char *w = s;
		for (;;) {
			while (*w == ' ' || *w == '\t')
				w++;
			size_t wl = strcspn(w, " \t(,;");
			if (wl == 0 || memchr(w, '@', wl) != NULL || w[wl] == '\0' || w[wl] == ',' || w[wl] == ';') {
				if (wl > 0 && memchr(w, '@', wl) != NULL)
					s = w;
				break;
			}
			w += wl;
			if (*w == '(')
				break;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		l = strcspn(s, " \t(,;");
	}
	if (l == 0)
		return NULL;
	return xstrndup(s, l);
}

/* A complaining address that names nobody: redacted or hashed by the reporter. */
bool fb_address_redacted(const char *a)
{
	if (a == NULL || *a == '\0')
		return true;
	const char *at = strrchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0')
		return true;
	/* the words reporters put in place of an address */
	static const char *const words[] = { "redacted", "hashed", "anonymi", "anonymou", "removed", "xxxxx", NULL };
	for (int i = 0; words[i] != NULL; i++)
		if (strcasestr(a, words[i]) != NULL)
			return true;
	size_t ll = (size_t)(at - a), hex = 0, masked = 0;
	for (const char *p = a; p < at; p++) {
		hex += isxdigit((unsigned char)*p) != 0;
		masked += *p == '*' || *p == 'x' || *p == 'X' || *p == '#';
	}
	/* every byte masked, or a digest's worth of hex (MD5 and up) */
	return masked == ll || (hex == ll && ll >= 32);
}

/* The first IP in a Received field: "[192.0.2.1]", "(192.0.2.1)" or "(IPv6:...)". */
static char *received_ip(const char *v)
{
	for (const char *p = v; *p != '\0'; p++) {
		if (*p != '[' && *p != '(')
			continue;
		char close = *p == '[' ? ']' : ')';
		const char *s = p + 1;
		/* "(helo [1.2.3.4])" and "(host [ip])": take the next bracket */
		const char *e = s;
		while (*e != '\0' && *e != close && *e != '[' && *e != ' ')
			e++;
		if (*e != close)
			continue;
		char tmp[80];
		size_t l = (size_t)(e - s);
		if (l == 0 || l >= sizeof(tmp))
			continue;
		memcpy(tmp, s, l);
		tmp[l] = '\0';
		const char *ip = strncasecmp(tmp, "IPv6:", 5) == 0 ? tmp + 5 : tmp;
		unsigned char a[16];
		if (inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1)
			return xstrdup(ip);
	}
	return NULL;
}

/* ---- known feedback-loop senders ---- */

struct fb_reporter_ent {
	char *pattern;  /* "addr@dom", "@domain" (and its subdomains) or "ua:Prefix" */
	char *provider;
};

struct fb_reporters {
	struct fb_reporter_ent *v;
	size_t n;
};

static const char *const builtin_reporters[][2] = {
	{ "scomp@aol.net", "AOL" },
	{ "@aol.net", "AOL" },
	{ "feedback@arf.mail.yahoo.com", "Yahoo" },
	{ "ua:Yahoo!-Mail-Feedback", "Yahoo" },
	{ "staff@hotmail.com", "Microsoft JMRP" },
	{ "@jmrp.microsoft.com", "Microsoft JMRP" },
	{ "complaints@email-abuse.amazonses.com", "Amazon SES" },
	{ "no-reply@sns.amazonaws.com", "Amazon SES" },
	{ "@returnpath.net", "Return Path" },
	{ "@feedback.terra.com", "Terra (Return Path)" },
	{ "@rackspacefbl.sendlabs.com", "Rackspace (Return Path)" },
	{ "ua:ReturnPathFBL", "Return Path" },
	{ "@abusix.com", "Abusix" },
	{ "@abusix.org", "Abusix" },
	{ "ua:abusix", "Abusix" },
	{ "dmarc-noreply@linkedin.com", "LinkedIn" },
	{ "@163.com", "Netease" },
	{ "@126.com", "Netease" },
	{ "ua:NtesDmarcReporter", "Netease" },
	{ "@icloud.com", "Apple" },
	{ "ua:OpenDMARC-Filter", "OpenDMARC" },
	{ "@comcast.net", "Comcast" },
	{ "@fbl.cox.net", "Cox" },
	{ "@fbl.mail.ru", "Mail.ru" },
	{ "@fbl.yandex.ru", "Yandex" },
};

static void reporters_add(struct fb_reporters *t, const char *pat, size_t pl, const char *prov, size_t vl)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n].pattern = xstrndup(pat, pl);
	t->v[t->n].provider = xstrndup(prov, vl);
	t->n++;
}

struct fb_reporters *fb_reporters_load(const char *path, char *err, size_t errlen)
{
	struct fb_reporters *t = xcalloc(1, sizeof(*t));

	/* The file's lines first: they win over the built-in ones. */
	if (path != NULL && *path != '\0') {
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			errf(err, errlen, errno == EACCES ? EXIT_NOPERM : EXIT_NOINPUT, "%s: %s", path, strerror(errno));
			fb_reporters_free(t);
			return NULL;
		}
		char *line = NULL;
		size_t cap = 0;
		ssize_t k;
		unsigned lineno = 0;
		while ((k = getline(&line, &cap, f)) >= 0) {
			lineno++;
			char *p = line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '#' || *p == '\n' || *p == '\0')
				continue;
			size_t pl = strcspn(p, " \t\n");
			char *q = p + pl;
			while (*q == ' ' || *q == '\t')
				q++;
			size_t vl = strcspn(q, "\n");
			while (vl > 0 && (q[vl - 1] == ' ' || q[vl - 1] == '\t' || q[vl - 1] == '\r'))
				vl--;
			if (vl == 0) {
				errf(err, errlen, EXIT_CONFIG, "%s:%u: a sender and a provider name are needed", path,
				     lineno);
				free(line);
				fclose(f);
				fb_reporters_free(t);
				return NULL;
			}
			reporters_add(t, p, pl, q, vl);
		}
		free(line);
		fclose(f);
	}
	for (size_t i = 0; i < sizeof(builtin_reporters) / sizeof(builtin_reporters[0]); i++)
		reporters_add(t, builtin_reporters[i][0], strlen(builtin_reporters[i][0]), builtin_reporters[i][1],
			      strlen(builtin_reporters[i][1]));
	return t;
}

void fb_reporters_free(struct fb_reporters *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].pattern);
		free(t->v[i].provider);
	}
	free(t->v);
	free(t);
}

const char *fb_provider(const struct fb_reporters *t, const char *addr, const char *user_agent)
{
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const char *pat = t->v[i].pattern;
		if (strncmp(pat, "ua:", 3) == 0) {
			if (user_agent != NULL && strncasecmp(user_agent, pat + 3, strlen(pat + 3)) == 0)
				return t->v[i].provider;
			continue;
		}
		if (addr == NULL)
			continue;
		if (pat[0] == '@') {
			const char *at = strrchr(addr, '@');
			if (at == NULL)
				continue;
			const char *dom = at + 1, *pd = pat + 1;
			size_t dl = strlen(dom), pl = strlen(pd);
			if (strcasecmp(dom, pd) == 0 ||
			    (dl > pl && dom[dl - pl - 1] == '.' && strcasecmp(dom + dl - pl, pd) == 0))
				return t->v[i].provider;
		} else if (strcasecmp(addr, pat) == 0) {
			return t->v[i].provider;
		}
	}
	return NULL;
}

/* ---- building reports ---- */

static void strv_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void problem(struct fb_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct fb_report *r, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r->problems = xrealloc(r->problems, (r->nproblems + 1) * sizeof(char *));
	r->problems[r->nproblems++] = buf_take(&b);
}

static struct fb_report *new_report(struct fb_message *m, const char *variant)
{
	m->reports = xrealloc(m->reports, (m->n + 1) * sizeof(*m->reports));
	struct fb_report *r = &m->reports[m->n++];
	memset(r, 0, sizeof(*r));
	r->variant = variant;
	r->arrival = -1;
	r->orig_date = -1;
	return r;
}

/* The length of the encoded-word at p ("=?cs?B?text?="), or 0. */
static size_t encoded_word(const char *p)
{
	if (p[0] != '=' || p[1] != '?')
		return 0;
	const char *q = strchr(p + 2, '?');
	if (q == NULL || q == p + 2 || strchr("BbQq", q[1]) == NULL || q[1] == '\0' || q[2] != '?')
		return 0;
	for (const char *t = q + 3; *t != '\0'; t++) {
		if (*t == ' ' || *t == '\t')
			return 0;
		if (t[0] == '?' && t[1] == '=')
			return (size_t)(t + 2 - p);
	}
	return 0;
}

/*
 * A header value decoded to UTF-8. Each encoded-word is decoded on its
 * own (the blanks between two of them dropped, RFC 2047 §6.2): a stateful
 * charset such as ISO-2022-JP must not run on from one word into the next.
 */
static char *decoded(const char *v)
{
	struct buf b, part;

	if (v == NULL)
		return NULL;
	buf_init(&b);
	buf_init(&part);
	const char *p = v, *text = v;
	bool after_word = false;
	while (*p != '\0') {
		size_t wl = encoded_word(p);
		if (wl == 0) {
			p++;
			continue;
		}
		/* the text before it: dropped when only blanks between two words */
		size_t tl = (size_t)(p - text);
		if (tl > 0 && !(after_word && strspn(text, " \t") >= tl)) {
			mime_decode_header(text, tl, &part);
			buf_add(&b, part.data, part.len);
		}
		mime_decode_header(p, wl, &part);
		buf_add(&b, part.data, part.len);
		p += wl;
		text = p;
		after_word = true;
	}
	if (*text != '\0') {
		mime_decode_header(text, strlen(text), &part);
		buf_add(&b, part.data, part.len);
	}
	buf_free(&part);
	buf_add(&b, "", 0); /* allocated and NUL-terminated even when empty */
	return buf_take(&b);
}

/*
 * The original message or its headers: what the list and show need of it.
 * The orig_* fields come from its header alone; the copy of it all is kept
 * for show only (FB_WANT_BODY).
 */
static void set_original(struct fb_report *r, const char *p, size_t len, unsigned flags)
{
	struct fb_field *h = NULL;
	size_t n = 0;

	size_t body = parse_fields(p, len, true, &h, &n, NULL);
	if (flags & FB_WANT_BODY) {
		free(r->original);
		r->original = xstrndup(p, len);
		r->original_len = len;
		r->orig_header_len = body;
	}
	r->orig_from = decoded(field_get(h, n, "From"));
	r->orig_from_addr = addr_spec(field_get(h, n, "From"));
	r->orig_to = decoded(field_get(h, n, "To"));
	const char *subj = field_get(h, n, "Subject");
	r->orig_subject = decoded(subj);
	r->orig_subject_raw = subj != NULL ? xstrdup(subj) : NULL;
	const char *mid = field_get(h, n, "Message-ID");
	r->orig_message_id = mid != NULL ? xstrdup(mid) : NULL;
	const char *date = field_get(h, n, "Date");
	r->orig_date = date != NULL ? fb_parse_date(date) : -1;
	const char *rcv = field_get(h, n, "Received");
	r->orig_received_ip = rcv != NULL ? received_ip(rcv) : NULL;
	/* The Subject line as it stands, folds included. */
	for (size_t i = 0; i < body;) {
		const char *lf = memchr(p + i, '\n', body - i);
		size_t e = lf != NULL ? (size_t)(lf - p) + 1 : body;
		if (e - i > 8 && strncasecmp(p + i, "Subject:", 8) == 0) {
			size_t end = e;
			while (end < body && (p[end] == ' ' || p[end] == '\t')) {
				lf = memchr(p + end, '\n', body - end);
				end = lf != NULL ? (size_t)(lf - p) + 1 : body;
			}
			struct buf b;
			buf_init(&b);
			for (size_t k = i; k < end; k++)
				if (p[k] != '\r')
					buf_addc(&b, p[k]);
			while (b.len > 0 && b.data[b.len - 1] == '\n')
				b.data[--b.len] = '\0';
			buf_add(&b, "", 0); /* allocated and NUL-terminated even when empty */
			r->orig_subject_line = buf_take(&b);
			break;
		}
		i = e;
	}
	fields_free(h, n);
}

/* Normalised values from the fields of an ARF (or a variant's made-up fields). */
static void normalise(struct fb_report *r)
{
	/* multiplicity: single-valued fields repeated are kept and flagged */
	for (size_t i = 0; i < r->nfields; i++) {
		const struct known_field *k = known_field(r->fields[i].name);
		if (k == NULL)
			continue;
		r->fields[i].flags |= FB_KNOWN;
		if (k->multi)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(r->fields[j].name, r->fields[i].name) == 0) {
				if (!(r->fields[i].flags & FB_MALFORMED))
					problem(r, "%s given more than once", k->name);
				r->fields[i].flags |= FB_MALFORMED;
				r->fields[j].flags |= FB_MALFORMED;
				break;
			}
		}
	}
	const char *t = fb_get(r, "Feedback-Type");
	if (t != NULL) {
		r->feedback_type = xstrdup(t);
		/* "abuse (spam)": a comment or trailing words are not the type */
		r->feedback_type[strcspn(r->feedback_type, " \t(;")] = '\0';
		for (char *p = r->feedback_type; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	} else {
		r->feedback_type = xstrdup("");
		problem(r, "no Feedback-Type");
	}
	r->type_registered = fb_type_registered(r->feedback_type);
	const char *a = fb_get(r, "Arrival-Date");
	r->arrival_field = "Arrival-Date";
	if (a == NULL) {
		a = fb_get(r, "Received-Date");
		r->arrival_field = "Received-Date";
	}
	if (a == NULL) {
		r->arrival_field = NULL;
	} else {
		r->arrival = fb_parse_date(a);
		if (r->arrival < 0)
			problem(r, "%s is not a date", r->arrival_field);
	}
	const char *ip = fb_get(r, "Source-IP");
	if (ip != NULL) {
		char clean[256];
		r->source_ip_ok = fb_clean_ip(ip, clean, sizeof(clean));
		r->source_ip = xstrdup(r->source_ip_ok ? clean : ip);
		if (!r->source_ip_ok)
			problem(r, "Source-IP is not an IP address");
	}
	const char *mf = fb_get(r, "Original-Mail-From");
	if (mf != NULL)
		r->mail_from = addr_spec(mf);
	const char *af = fb_get(r, "Auth-Failure");
	if (af != NULL) {
		r->auth_failure = xstrdup(af);
		r->auth_failure[strcspn(r->auth_failure, " \t(;")] = '\0';
		for (char *p = r->auth_failure; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	for (size_t i = 0; i < r->nfields; i++) {
		const char *n = r->fields[i].name, *v = r->fields[i].value;
		if (strcasecmp(n, "Original-Rcpt-To") == 0 || strcasecmp(n, "Removal-Recipient") == 0) {
			char *s = addr_spec(v);
			if (s != NULL) {
				bool dup = false;
				for (size_t k = 0; k < r->nrcpts && !dup; k++)
					dup = strcasecmp(r->rcpts[k], s) == 0;
				if (!dup)
					strv_add(&r->rcpts, &r->nrcpts, s);
				free(s);
			}
		} else if (strcasecmp(n, "Reported-Domain") == 0 && *v != '\0') {
			strv_add(&r->domains, &r->ndomains, v);
		}
	}
}

static void add_field(struct fb_report *r, const char *name, const char *value)
{
	if (value != NULL)
		fields_add(&r->fields, &r->nfields, name, strlen(name), value, strlen(value));
}

/* ---- GMime ---- */

/* A part's content, transfer encoding undone (a message part: as written). */
static void part_bytes(GMimeObject *o, struct buf *out)
{
	GMimeStream *s = g_mime_stream_mem_new();

	buf_reset(out);
	if (GMIME_IS_PART(o)) {
		GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(o));
		if (dw != NULL)
			g_mime_data_wrapper_write_to_stream(dw, s);
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if (m != NULL)
			g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, s);
	} else {
		g_mime_object_write_to_stream(o, NULL, s);
	}
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	if (a != NULL && a->len > 0)
		buf_add(out, a->data, a->len);
	buf_add(out, "", 0); /* allocated and NUL-terminated even when empty */
	g_object_unref(s);
}

/* Text of a text part in UTF-8 (charset converted by GMime). */
static char *part_text(GMimeObject *o)
{
	if (GMIME_IS_TEXT_PART(o)) {
		char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
		if (t != NULL) {
			char *r = xstrdup(t);
			g_free(t);
			return r;
		}
	}
	struct buf b;
	buf_init(&b);
	part_bytes(o, &b);
	return buf_take(&b);
}

static bool type_is(GMimeObject *o, const char *type, const char *sub)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	return ct != NULL && g_mime_content_type_is_type(ct, type, sub);
}

static bool is_original_type(GMimeObject *o)
{
	return type_is(o, "message", "rfc822") || type_is(o, "message", "global") ||
	       type_is(o, "text", "rfc822-headers") || type_is(o, "text", "rfc822-header") ||
	       type_is(o, "message", "rfc822-headers") || type_is(o, "message", "global-headers");
}

/* The first text/plain at or below o (multipart/alternative), or NULL. */
static GMimeObject *first_text(GMimeObject *o)
{
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
			GMimeObject *t = first_text(g_mime_multipart_get_part(mp, i));
			if (t != NULL)
				return t;
		}
		return NULL;
	}
	return GMIME_IS_PART(o) && type_is(o, "text", "plain") ? o : NULL;
}

/*
 * The bytes of an attached original, as part_bytes() gives them. Without
 * FB_WANT_BODY only their header counts, and for a message part that is
 * GMime's header (the very bytes part_bytes() starts with) and the blank
 * line after it: the body, often most of a report, is never serialised.
 */
static void original_bytes(GMimeObject *o, unsigned flags, struct buf *out)
{
	if ((flags & FB_WANT_BODY) || !GMIME_IS_MESSAGE_PART(o)) {
		part_bytes(o, out);
		return;
	}
	GMimeMessage *msg = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
	if (msg == NULL) {
		part_bytes(o, out);
		return;
	}
	char *h = g_mime_object_get_headers(GMIME_OBJECT(msg), NULL);
	size_t hl = h != NULL ? strlen(h) : 0;
	if (hl > 0 && h[hl - 1] != '\n') {
		/* not the header part_bytes() would end with a blank line: take it all */
		g_free(h);
		part_bytes(o, out);
		return;
	}
	buf_reset(out);
	buf_add(out, h != NULL ? h : "", hl);
	buf_adds(out, g_mime_format_options_get_newline(NULL));
	buf_add(out, "", 0); /* allocated and NUL-terminated even when empty */
	g_free(h);
}

static bool is_original(GMimeObject *o)
{
	return is_original_type(o) || (type_is(o, "message", "*") && !type_is(o, "message", "feedback-report"));
}

/* The first part of mp after fi that holds the original, or NULL. */
static GMimeObject *original_after(GMimeMultipart *mp, int fi)
{
	int n = mp != NULL ? g_mime_multipart_get_count(mp) : 0;

	for (int i = fi + 1; i < n; i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		if (is_original(o))
			return o;
	}
	return NULL;
}

/* A report from part fi of mp (NULL: the report alone), its original orig. */
static void arf_report(struct fb_message *m, GMimeMultipart *mp, int fi, GMimeObject *fpart, GMimeObject *orig,
		       unsigned flags)
{
	struct fb_report *r = new_report(m, "arf");
	struct buf b;
	size_t junk = 0;

	buf_init(&b);
	part_bytes(fpart, &b);
	r->report_text = xstrndup(b.data, b.len);
	parse_fields(b.data, b.len, false, &r->fields, &r->nfields, &junk);
	if (junk > 0)
		problem(r, "%zu line%s of the report part %s no field", junk, junk == 1 ? "" : "s",
			junk == 1 ? "is" : "are");
	normalise(r);
	for (int i = 0; i < fi && (flags & FB_WANT_BODY) && r->human == NULL; i++) {
		GMimeObject *t = first_text(g_mime_multipart_get_part(mp, i));
		if (t != NULL)
			r->human = part_text(t);
	}
	if (orig != NULL) {
		original_bytes(orig, flags, &b);
		set_original(r, b.data, b.len, flags);
	} else {
		problem(r, "no original message attached");
	}
	buf_free(&b);
}

static bool looks_like_report(const char *p, size_t len)
{
	struct fb_field *f = NULL;
	size_t n = 0;

	parse_fields(p, len, false, &f, &n, NULL);
	bool yes = field_get(f, n, "Feedback-Type") != NULL;
	fields_free(f, n);
	return yes;
}

/* Every message/feedback-report part at or below o; returns how many reports were made. */
static void walk(struct fb_message *m, GMimeObject *o, int depth, unsigned flags)
{
	if (depth > 32 || !GMIME_IS_MULTIPART(o))
		return;
	GMimeMultipart *mp = GMIME_MULTIPART(o);
	int n = g_mime_multipart_get_count(mp);
	size_t before = m->n;
	/* each report's original: the first after it, found walking back
	 * once (a message of many report parts stays linear) */
	GMimeObject **orig = xcalloc((size_t)n + 1, sizeof(*orig));
	for (int i = n - 2; i >= 0; i--) {
		GMimeObject *next = g_mime_multipart_get_part(mp, i + 1);
		orig[i] = is_original(next) ? next : orig[i + 1];
	}
	for (int i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		if (type_is(c, "message", "feedback-report"))
			arf_report(m, mp, i, c, orig[i], flags);
		else if (GMIME_IS_MULTIPART(c))
			walk(m, c, depth + 1, flags);
	}
	free(orig);
	/* report-type=feedback-report with the machine part mistyped */
	if (m->n == before && type_is(o, "multipart", "report")) {
		const char *rt = g_mime_object_get_content_type_parameter(o, "report-type");
		if (rt != NULL && strcasecmp(rt, "feedback-report") == 0) {
			struct buf b;
			buf_init(&b);
			for (int i = 1; i < n; i++) {
				GMimeObject *c = g_mime_multipart_get_part(mp, i);
				if (!GMIME_IS_PART(c))
					continue;
				part_bytes(c, &b);
				if (looks_like_report(b.data, b.len)) {
					arf_report(m, mp, i, c, original_after(mp, i), flags);
					char *mt = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(c));
					problem(&m->reports[m->n - 1], "the report part is typed %s", mt != NULL ? mt : "?");
					g_free(mt);
					break;
				}
			}
			buf_free(&b);
		}
	}
}

struct head_index;
static void own_header(struct fb_message *m, const char *data, size_t len, const struct head_index *h);

/* Reports inside attached messages (message/rfc822 at any depth). */
static void walk_attached(struct fb_message *m, GMimeObject *o, int depth, unsigned flags)
{
	if (depth > 8)
		return;
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *in = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		GMimeObject *top = in != NULL ? g_mime_message_get_mime_part(in) : NULL;
		if (top != NULL) {
			size_t before = m->n;
			walk(m, top, depth + 1, flags);
			if (m->n == before)
				walk_attached(m, top, depth + 1, flags);
			else if (before == 0) {
				/* the report's own header is the attached message's */
				struct buf b;
				buf_init(&b);
				part_bytes(o, &b);
				own_header(m, b.data, b.len, NULL);
				buf_free(&b);
			}
		}
		return;
	}
	if (!GMIME_IS_MULTIPART(o))
		return;
	GMimeMultipart *mp = GMIME_MULTIPART(o);
	for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
		walk_attached(m, g_mime_multipart_get_part(mp, i), depth + 1, flags);
}

/* ---- variants ---- */

/* First message/rfc822 below o. */
static GMimeObject *first_message(GMimeObject *o, int depth)
{
	if (depth > 32)
		return NULL;
	if (GMIME_IS_MESSAGE_PART(o) || is_original_type(o))
		return o;
	if (!GMIME_IS_MULTIPART(o))
		return NULL;
	GMimeMultipart *mp = GMIME_MULTIPART(o);
	for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
		GMimeObject *r = first_message(g_mime_multipart_get_part(mp, i), depth + 1);
		if (r != NULL)
			return r;
	}
	return NULL;
}

/* Microsoft's JMRP before it sent ARF: the complained-of message attached,
 * the recipient in X-HmXmrOriginalRecipient, the source in the Subject. */
static bool try_jmrp(struct fb_message *m, GMimeObject *top, unsigned flags)
{
	bool from_ms = m->reporter != NULL && strcasecmp(m->reporter, "staff@hotmail.com") == 0;
	bool subj = m->subject != NULL && strncasecmp(m->subject, "complaint about message from ", 29) == 0;
	GMimeObject *orig = first_message(top, 0);
	struct buf b;

	if (orig == NULL || (!from_ms && !subj))
		return false;
	buf_init(&b);
	original_bytes(orig, flags, &b);
	struct fb_field *h = NULL;
	size_t n = 0;
	parse_fields(b.data, b.len, true, &h, &n, NULL);
	const char *rcpt = field_get(h, n, "X-HmXmrOriginalRecipient");
	if (rcpt == NULL && !from_ms) {
		fields_free(h, n);
		buf_free(&b);
		return false;
	}
	struct fb_report *r = new_report(m, "jmrp");
	add_field(r, "Feedback-Type", "abuse");
	add_field(r, "User-Agent", "Microsoft JMRP (legacy)");
	if (subj) {
		const char *ip = m->subject + 29;
		while (*ip == ' ')
			ip++;
		add_field(r, "Source-IP", ip);
	}
	const char *rf = field_get(h, n, "Return-Path");
	if (rf != NULL)
		add_field(r, "Original-Mail-From", rf);
	if (rcpt != NULL)
		add_field(r, "Original-Rcpt-To", rcpt);
	const char *rd = field_get(h, n, "X-OriginalArrivalTime");
	(void)rd;
	if (m->date >= 0) {
		char d[32];
		util_iso8601(m->date, d);
		add_field(r, "Arrival-Date", d);
	}
	normalise(r);
	set_original(r, b.data, b.len, flags);
	GMimeObject *t = first_text(top);
	if ((flags & FB_WANT_BODY) && t != NULL && t != orig)
		r->human = part_text(t);
	fields_free(h, n);
	buf_free(&b);
	return true;
}

static const char *json_str(json_t *o, const char *path)
{
	char key[64];
	json_t *cur = o;

	while (cur != NULL && *path != '\0') {
		size_t l = strcspn(path, ".");
		if (l >= sizeof(key))
			return NULL;
		memcpy(key, path, l);
		key[l] = '\0';
		cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		path += l;
		if (*path == '.')
			path++;
	}
	return json_is_string(cur) ? json_string_value(cur) : NULL;
}

/* Amazon SES's complaint notification: a JSON document in a text body (an
 * SNS e-mail), its lines broken wherever the mailer broke them. */
static bool try_ses(struct fb_message *m, GMimeObject *top, unsigned flags)
{
	GMimeObject *t = first_text(top);
	if (t == NULL)
		return false;
	char *text = part_text(t);
	char *brace = strstr(text, "{\"notificationType\"");
	if (brace == NULL)
		brace = strchr(text, '{');
	if (brace == NULL || strstr(brace, "\"Complaint\"") == NULL) {
		free(text);
		return false;
	}
	/* join the lines */
	struct buf j;
	buf_init(&j);
	for (char *p = brace; *p; p++)
		if (*p != '\n' && *p != '\r')
			buf_addc(&j, *p);
	json_error_t je;
	json_t *doc = json_loadb(j.data, j.len, JSON_DISABLE_EOF_CHECK, &je);
	buf_free(&j);
	if (doc == NULL || !json_is_object(doc) || json_str(doc, "notificationType") == NULL ||
	    strcmp(json_str(doc, "notificationType"), "Complaint") != 0) {
		json_decref(doc);
		free(text);
		return false;
	}
	struct fb_report *r = new_report(m, "ses-json");
	const char *ft = json_str(doc, "complaint.complaintFeedbackType");
	add_field(r, "Feedback-Type", ft != NULL ? ft : "abuse");
	add_field(r, "User-Agent", json_str(doc, "complaint.userAgent"));
	add_field(r, "Arrival-Date", json_str(doc, "complaint.arrivalDate"));
	if (json_str(doc, "complaint.arrivalDate") == NULL)
		add_field(r, "Arrival-Date", json_str(doc, "complaint.timestamp"));
	add_field(r, "Source-IP", json_str(doc, "mail.sourceIp"));
	add_field(r, "Original-Mail-From", json_str(doc, "mail.source"));
	add_field(r, "Original-Envelope-Id", json_str(doc, "mail.messageId"));
	add_field(r, "Feedback-Id", json_str(doc, "complaint.feedbackId"));
	json_t *rc = json_object_get(json_object_get(doc, "complaint"), "complainedRecipients");
	size_t i;
	json_t *e;
	json_array_foreach(rc, i, e)
	{
		add_field(r, "Original-Rcpt-To", json_str(e, "emailAddress"));
	}
	normalise(r);
	/* the original's headers, as SES carries them */
	struct buf h;
	buf_init(&h);
	json_t *hs = json_object_get(json_object_get(doc, "mail"), "headers");
	json_array_foreach(hs, i, e)
	{
		const char *n = json_str(e, "name"), *v = json_str(e, "value");
		if (n != NULL && v != NULL)
			buf_addf(&h, "%s: %s\n", n, v);
	}
	if (h.len == 0) {
		const char *s = json_str(doc, "mail.commonHeaders.subject");
		if (s != NULL)
			buf_addf(&h, "Subject: %s\n", s);
	}
	if (h.len > 0)
		set_original(r, h.data, h.len, flags);
	if (r->orig_message_id == NULL && json_str(doc, "mail.messageId") != NULL)
		r->orig_message_id = xstrdup(json_str(doc, "mail.messageId"));
	buf_free(&h);
	if (flags & FB_WANT_BODY)
		r->human = text;
	else
		free(text);
	json_decref(doc);
	return true;
}

/* The value after "label:" on a line of text, trimmed, malloc'd. */
static char *text_value(const char *text, const char *label)
{
	size_t ll = strlen(label);
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *s = p;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncasecmp(s, label, ll) == 0 && s[ll] == ':') {
			s += ll + 1;
			while (*s == ' ' || *s == '\t')
				s++;
			size_t l = strcspn(s, "\r\n");
			while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
				l--;
			return xstrndup(s, l);
		}
	}
	return NULL;
}

/* Exim's DMARC "forensic" report: text only, "Key: value" lines, then the
 * headers received pasted after a line of dashes. */
static bool try_exim(struct fb_message *m, GMimeObject *top, unsigned flags)
{
	GMimeObject *t = first_text(top);
	if (t == NULL)
		return false;
	char *text = part_text(t);
	if (strstr(text, "failed the published DMARC policy") == NULL) {
		free(text);
		return false;
	}
	struct fb_report *r = new_report(m, "exim-text");
	add_field(r, "Feedback-Type", "auth-failure");
	add_field(r, "Auth-Failure", "dmarc");
	char *v;
	if ((v = text_value(text, "Sender IP Address")) != NULL) {
		add_field(r, "Source-IP", v);
		free(v);
	}
	if ((v = text_value(text, "Received date")) != NULL) {
		add_field(r, "Arrival-Date", v);
		free(v);
	}
	if ((v = text_value(text, "Sender Domain")) != NULL) {
		add_field(r, "Reported-Domain", v);
		free(v);
	}
	if ((v = text_value(text, "DMARC Results")) != NULL) {
		add_field(r, "Delivery-Result", v);
		free(v);
	}
	normalise(r);
	const char *hdr = strstr(text, "------ This is a copy of the headers");
	if (hdr != NULL) {
		hdr = strchr(hdr, '\n');
		if (hdr != NULL) {
			hdr++;
			while (*hdr == '\n' || *hdr == '\r')
				hdr++;
			set_original(r, hdr, strlen(hdr), flags);
			struct fb_field *h = NULL;
			size_t n = 0;
			parse_fields(hdr, strlen(hdr), true, &h, &n, NULL);
			const char *rcv = field_get(h, n, "Received");
			if (rcv != NULL) {
				/* envelope sender and recipient, as Exim's Received says them */
				const char *ef = strstr(rcv, "envelope-from <");
				if (ef != NULL) {
					char *s = addr_spec(ef + 14);
					free(r->mail_from);
					r->mail_from = s;
				}
				const char *fo = strstr(rcv, " for ");
				if (fo != NULL) {
					char *s = addr_spec(fo + 5);
					if (s != NULL) {
						strv_add(&r->rcpts, &r->nrcpts, s);
						free(s);
					}
				}
			}
			fields_free(h, n);
		}
	}
	if (flags & FB_WANT_BODY)
		r->human = text;
	else
		free(text);
	return true;
}

/* Apple Mail's "unsubscribe" mail: X-Apple-Unsubscribe: true. */
static bool try_apple(struct fb_message *m, const char *data, size_t len, GMimeObject *top, unsigned flags)
{
	struct buf b;
	bool yes;

	buf_init(&b);
	yes = mail_header(data, len, "X-Apple-Unsubscribe", &b) && strncasecmp(b.data, "true", 4) == 0;
	buf_free(&b);
	if (!yes)
		return false;
	struct fb_report *r = new_report(m, "apple-unsubscribe");
	add_field(r, "Feedback-Type", "opt-out");
	add_field(r, "User-Agent", "Apple Mail");
	add_field(r, "Removal-Recipient", m->reporter);
	if (m->date >= 0) {
		char d[32];
		util_iso8601(m->date, d);
		add_field(r, "Arrival-Date", d);
	}
	normalise(r);
	GMimeObject *t = first_text(top);
	if (t != NULL) {
		char *text = part_text(t);
		/* 'unsubscribe from the message "Subject".' (curly quotes) */
		const char *q = strstr(text, "\xe2\x80\x9c");
		const char *e = q != NULL ? strstr(q + 3, "\xe2\x80\x9d") : NULL;
		if (e != NULL) {
			struct buf h;
			buf_init(&h);
			buf_adds(&h, "Subject: ");
			buf_add(&h, q + 3, (size_t)(e - q - 3));
			buf_addc(&h, '\n');
			set_original(r, h.data, h.len, flags);
			buf_free(&h);
		}
		if (flags & FB_WANT_BODY)
			r->human = text;
		else
			free(text);
	}
	return true;
}

/* ---- a message ---- */

/*
 * Where the fields a message's own header is asked for start and end
 * (continuation lines included), found in one walk of the header: every
 * message of a mailbox comes here, most of them no report, and a walk per
 * field was most of the time they cost. A field is the first line that
 * mail_header() would take; mail_header() on [at, end) gives its value.
 */
enum { H_FROM, H_RETURN_PATH, H_SUBJECT, H_MESSAGE_ID, H_DATE, H_CONTENT_TYPE, H_APPLE, NH };

static const char *const head_names[NH] = {
	"From", "Return-Path", "Subject", "Message-ID", "Date", "Content-Type", "X-Apple-Unsubscribe",
};

enum { HEADER_MAX = 2 << 20 };

struct head_index {
	size_t body; /* mail_body_offset() */
	size_t at[NH], end[NH];
	bool found[NH];
};

static void head_index(const char *p, size_t len, struct head_index *h)
{
	size_t nl[NH];
	int open = -1; /* the field whose continuation lines are being walked */

	memset(h, 0, sizeof(*h));
	for (int k = 0; k < NH; k++)
		nl[k] = strlen(head_names[k]);
	h->body = len;
	for (size_t i = 0; i < len;) {
		const char *lf = memchr(p + i, '\n', len - i);
		size_t e = lf != NULL ? (size_t)(lf - p) + 1 : len;
		size_t ll = lf != NULL ? e - i - 1 : len - i;
		if (lf != NULL && (ll == 0 || (ll == 1 && p[i] == '\r'))) {
			h->body = e;
			break;
		}
		if (open >= 0 && (p[i] == ' ' || p[i] == '\t')) {
			h->end[open] = e;
			i = e;
			continue;
		}
		open = -1;
		for (int k = 0; k < NH; k++) {
			if (!h->found[k] && e - i > nl[k] && p[i + nl[k]] == ':' &&
			    (p[i] | 0x20) == (head_names[k][0] | 0x20) &&
			    strncasecmp(p + i, head_names[k], nl[k]) == 0) {
				h->found[k] = true;
				h->at[k] = i;
				h->end[k] = e;
				open = k;
				break;
			}
		}
		i = e;
	}
	/* a header without a blank line after it ends with the data */
	for (int k = 0; k < NH; k++)
		if (h->found[k] && h->end[k] > h->body)
			h->end[k] = h->body;
}

static bool head_get(const char *p, const struct head_index *h, int k, struct buf *out)
{
	if (!h->found[k]) {
		buf_reset(out);
		return false;
	}
	return mail_header(p + h->at[k], h->end[k] - h->at[k], head_names[k], out);
}

/* The report's own From, Return-Path, Subject, Message-ID, Date, reporter. */
static void own_header(struct fb_message *m, const char *data, size_t len, const struct head_index *h)
{
	struct head_index mine;
	struct buf b;

	if (h == NULL) {
		head_index(data, len, &mine);
		h = &mine;
	}
	free(m->from);
	free(m->return_path);
	free(m->subject_raw);
	free(m->subject);
	free(m->message_id);
	free(m->reporter);
	m->from = m->return_path = m->subject_raw = m->subject = m->message_id = m->reporter = NULL;
	m->date = -1;
	buf_init(&b);
	if (head_get(data, h, H_FROM, &b))
		m->from = decoded(b.data);
	if (head_get(data, h, H_RETURN_PATH, &b))
		m->return_path = xstrdup(b.data);
	if (head_get(data, h, H_SUBJECT, &b)) {
		m->subject_raw = xstrdup(b.data);
		m->subject = decoded(b.data);
	}
	if (head_get(data, h, H_MESSAGE_ID, &b))
		m->message_id = xstrdup(b.data);
	if (head_get(data, h, H_DATE, &b))
		m->date = fb_parse_date(b.data);
	buf_free(&b);
	m->reporter = addr_spec(m->from);
	if (m->reporter == NULL && m->return_path != NULL)
		m->reporter = addr_spec(m->return_path);
}

/* "feedback-report" in any case: one memchr pass over the '-'s. */
static bool find_feedback_report(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while ((p = memchr(p, '-', (size_t)(end - p))) != NULL) {
		if (p - data >= 8 && end - p >= 7 && strncasecmp(p - 8, "feedback-report", 15) == 0)
			return true;
		p++;
	}
	return false;
}

/*
 * Whether the message can hold a report at all, before GMime is asked:
 * ARF always names "feedback-report" in a Content-Type (never encoded);
 * the variants have their own marks. Most mail in a mailbox is no report,
 * and this keeps reading a big mailbox near the speed of a text search.
 * Conservative: a false yes costs time, never a report.
 */
static bool maybe_report(const struct fb_message *m, const char *data, size_t len, const struct head_index *h)
{
	if (find_feedback_report(data, len))
		return true;
	if (m->reporter != NULL && strcasecmp(m->reporter, "staff@hotmail.com") == 0)
		return true;
	if (m->subject != NULL && strncasecmp(m->subject, "complaint about message from", 28) == 0)
		return true;
	/* SES: the JSON starts the body (or a part near its start); found by
	 * its 'T', rarer in text than the first letters and quicker than memmem */
	size_t head = len - h->body < 16384 ? len - h->body : 16384;
	const char *b = data + h->body, *be = b + head;
	for (const char *t = head >= 16 ? b + 12 : be; t < be && (t = memchr(t, 'T', (size_t)(be - t))) != NULL; t++)
		if (be - t >= 4 && memcmp(t - 12, "notificationType", 16) == 0)
			return true;
	struct buf v;
	buf_init(&v);
	/* Exim's text-only DMARC reports are multipart/report without a report-type */
	bool yes = (head_get(data, h, H_CONTENT_TYPE, &v) && strcasestr(v.data, "report") != NULL) || h->found[H_APPLE];
	buf_free(&v);
	return yes;
}

/*
 * One GMime parser a thread, re-aimed at each message: a parser carries
 * its scan buffers (some 4 KB), and making and freeing one a message cost
 * more than a small report's parse. The stream reads the message in place
 * through an array of the thread's own (GByteArray's fields are public),
 * not through a copy: GMime only reads it, and the stream does not own
 * it. Both go when the thread ends.
 */
struct parse_state {
	GMimeParser *parser;
	GByteArray *bytes;
};

static pthread_key_t parse_key;
static pthread_once_t parse_once = PTHREAD_ONCE_INIT;

static void parse_state_free(void *arg)
{
	struct parse_state *ps = arg;

	g_object_unref(ps->parser); /* and the last stream it read */
	g_byte_array_unref(ps->bytes);
	free(ps);
}

static void parse_key_make(void)
{
	pthread_key_create(&parse_key, parse_state_free);
}

static GMimeMessage *parse_message(const char *data, size_t len)
{
	pthread_once(&parse_once, parse_key_make);
	if (len > G_MAXUINT)
		return NULL;
	struct parse_state *ps = pthread_getspecific(parse_key);
	if (ps == NULL) {
		ps = xcalloc(1, sizeof(*ps));
		ps->parser = g_mime_parser_new();
		ps->bytes = g_byte_array_new();
		pthread_setspecific(parse_key, ps);
	}
	ps->bytes->data = (guint8 *)data;
	ps->bytes->len = (guint)len;
	GMimeStream *s = g_mime_stream_mem_new_with_byte_array(ps->bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
	g_mime_parser_init_with_stream(ps->parser, s);
	g_object_unref(s);
	return g_mime_parser_construct_message(ps->parser, NULL);
}

/* After the message is freed: the array forgets the caller's bytes. */
static void parse_message_done(void)
{
	struct parse_state *ps = pthread_getspecific(parse_key);

	if (ps == NULL)
		return;
	ps->bytes->data = NULL;
	ps->bytes->len = 0;
}

int feedback_parse(const char *data, size_t len, const struct fb_reporters *t, struct fb_message *m)
{
	return feedback_parse_opts(data, len, t, FB_WANT_BODY, m);
}

int feedback_parse_opts(const char *data, size_t len, const struct fb_reporters *t, unsigned flags,
			struct fb_message *m)
{
	memset(m, 0, sizeof(*m));
	m->date = -1;
	if (data == NULL) {
		m->error = xstrdup("no data");
		return -1;
	}
	mime_init();
	struct head_index h;
	head_index(data, len, &h);
	own_header(m, data, len, &h);
	if (m->reporter == NULL && h.body == 0) {
		m->error = xstrdup("no header");
		return -1;
	}
	if (!maybe_report(m, data, len, &h))
		return 0;
	/* A header of megabytes is no report's, and GMime would take some
	 * forty times its size to read it: an error, not a parse. */
	if (h.body > HEADER_MAX) {
		m->error = xasprintf("a header of %zu bytes: too big to be a report's (the limit is %d MB)", h.body,
				     HEADER_MAX >> 20);
		return -1;
	}

	/* GMime drops a NUL and the line end after it, joining the next
	 * header to the one it ends: NULs become spaces, in a copy. */
	char *clean = NULL;
	if (memchr(data, '\0', len) != NULL) {
		clean = xmalloc(len);
		for (size_t i = 0; i < len; i++)
			clean[i] = data[i] != '\0' ? data[i] : ' ';
		data = clean;
	}
	GMimeMessage *msg = parse_message(data, len);
	if (msg == NULL) {
		parse_message_done();
		free(clean);
		m->error = xstrdup("not a MIME message");
		return -1;
	}
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	if (top != NULL) {
		if (type_is(top, "message", "feedback-report"))
			arf_report(m, NULL, 0, top, NULL, flags); /* the report alone, no multipart around it */
		walk(m, top, 0, flags);
		/* a report forwarded as an attachment: the messages attached */
		if (m->n == 0)
			walk_attached(m, top, 0, flags);
		if (m->n == 0 && !try_apple(m, data, len, top, flags) && !try_jmrp(m, top, flags) &&
		    !try_ses(m, top, flags))
			try_exim(m, top, flags);
	}
	g_object_unref(msg);
	parse_message_done();
	free(clean);
	/* The provider: by the reporter's address, else by a report's User-Agent. */
	const char *ua = m->n > 0 ? fb_get(&m->reports[0], "User-Agent") : NULL;
	const char *prov = fb_provider(t, m->reporter, NULL);
	if (prov == NULL && m->return_path != NULL) {
		char *rp = addr_spec(m->return_path);
		prov = fb_provider(t, rp, NULL);
		free(rp);
	}
	if (prov == NULL)
		prov = fb_provider(t, NULL, ua);
	m->provider = prov != NULL ? xstrdup(prov) : NULL;
	return 0;
}

static void report_free(struct fb_report *r)
{
	fields_free(r->fields, r->nfields);
	free(r->report_text);
	free(r->human);
	free(r->original);
	free(r->feedback_type);
	free(r->source_ip);
	free(r->mail_from);
	free(r->auth_failure);
	strv_free(r->rcpts, r->nrcpts);
	strv_free(r->domains, r->ndomains);
	strv_free(r->problems, r->nproblems);
	free(r->orig_from);
	free(r->orig_from_addr);
	free(r->orig_to);
	free(r->orig_subject);
	free(r->orig_subject_raw);
	free(r->orig_subject_line);
	free(r->orig_message_id);
	free(r->orig_received_ip);
}

void feedback_free(struct fb_message *m)
{
	for (size_t i = 0; i < m->n; i++)
		report_free(&m->reports[i]);
	free(m->reports);
	free(m->from);
	free(m->return_path);
	free(m->subject_raw);
	free(m->subject);
	free(m->message_id);
	free(m->reporter);
	free(m->provider);
	free(m->error);
	memset(m, 0, sizeof(*m));
}

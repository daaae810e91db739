/*
 * backend/memcache.c: the memcached pool as the mail filter sees it, and
 * the texts memcached answers with. Owns: parsing [cache] servers, where a
 * key lives (Cache::Memcached's CRC buckets with its rehash chain, or
 * Cache::Memcached::Fast's ketama continuum), the lines of `lru_crawler
 * metadump`, `stats` and meta replies, URL decoding of dumped keys, and the
 * verification cache's value line (DESIGN §7). No sockets here: those are
 * in mcclient.c.
 */
#include <ctype.h>
#include <errno.h>
#include <libhashkit-1.0/hashkit.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <openssl/evp.h>

#include "backend.h"

/* ---- the pool ---- */

static void server_free(struct mc_server *s)
{
	free(s->spec);
	free(s->host);
	free(s->port);
	free(s->path);
}

void mc_pool_free(struct mc_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		server_free(&p->servers[i]);
	free(p->servers);
	free(p->buckets);
	free(p->points);
	free(p->ns);
	memset(p, 0, sizeof(*p));
}

static bool all_digits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* "host:port[:weight]", "[v6]:port[:weight]", "host" or "/socket/path[:weight]". */
static int parse_server(const char *spec, size_t len, struct mc_server *s, char *err, size_t errlen)
{
	char *t = xstrndup(spec, len);
	char *port = NULL, *weight = NULL;

	memset(s, 0, sizeof(*s));
	s->spec = xstrdup(t);
	s->weight = 1;
	if (t[0] == '/') {
		char *c = strrchr(t, ':');
		if (c != NULL && all_digits(c + 1)) {
			*c = '\0';
			weight = c + 1;
		}
		s->path = xstrdup(t);
	} else {
		char *rest;
		if (t[0] == '[') {
			char *close = strchr(t, ']');
			if (close == NULL || close == t + 1 || (close[1] != '\0' && close[1] != ':'))
				goto bad;
			*close = '\0';
			s->host = xstrdup(t + 1);
			rest = close[1] == ':' ? close + 2 : NULL;
		} else {
			char *c = strchr(t, ':');
			if (c != NULL)
				*c = '\0';
			if (t[0] == '\0')
				goto bad;
			s->host = xstrdup(t);
			rest = c != NULL ? c + 1 : NULL;
		}
		if (rest != NULL) {
			port = rest;
			char *c = strchr(rest, ':');
			if (c != NULL) {
				*c = '\0';
				weight = c + 1;
			}
			if (!all_digits(port) || atoi(port) < 1 || atoi(port) > 65535)
				goto bad;
		}
		s->port = xstrdup(port != NULL ? port : "11211");
	}
	if (weight != NULL) {
		if (!all_digits(weight) || atoi(weight) < 1 || atoi(weight) > 1000)
			goto bad;
		s->weight = atoi(weight);
	}
	free(t);
	return 0;
bad:
	free(t);
	errf(err, errlen, EXIT_CONFIG, "[cache] servers: '%s' is not host:port[:weight] or a socket path", s->spec);
	server_free(s);
	return EXIT_CONFIG;
}

/* Cache::Memcached's _hashfunc: (crc32 >> 16) & 0x7fff, through libhashkit. */
uint32_t mc_hash_crc(const char *key, size_t len)
{
	return libhashkit_digest(key, len, HASHKIT_HASH_CRC);
}

static int point_cmp(const void *a, const void *b)
{
	const struct mc_point *x = a, *y = b;

	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	/* Equal points: the server added first wins, as Fast inserts after. */
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Cache::Memcached::Fast's continuum (0.14 and later, ketama_points > 0):
 * a server gets points*weight + 0.5 points; each is the CRC-32 of
 * host "\0" port followed by the previous point as 4 little-endian bytes
 * (0 for the first). Equal points keep the order servers were added in.
 */
static void ketama_build(struct mc_pool *p, int points)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < p->n; i++)
		total += (size_t)(points * (double)p->servers[i].weight + 0.5);
	p->points = xcalloc(total + 1, sizeof(*p->points));
	for (size_t i = 0; i < p->n; i++) {
		const struct mc_server *s = &p->servers[i];
		const char *host = s->path != NULL ? s->path : s->host;
		const char *port = s->path != NULL ? "" : s->port;
		uLong base = crc32(0L, Z_NULL, 0);
		size_t count = (size_t)(points * (double)s->weight + 0.5);

		base = crc32(base, (const Bytef *)host, (uInt)strlen(host));
		base = crc32(base, (const Bytef *)"", 1);
		base = crc32(base, (const Bytef *)port, (uInt)strlen(port));
		uint32_t point = 0;
		for (size_t j = 0; j < count; j++) {
			unsigned char b[4] = { (unsigned char)point, (unsigned char)(point >> 8),
					       (unsigned char)(point >> 16), (unsigned char)(point >> 24) };
			point = (uint32_t)crc32(base, b, 4);
			p->points[k].point = point;
			p->points[k].index = (uint32_t)i;
			p->points[k].order = (uint32_t)k;
			k++;
		}
	}
	p->npoints = k;
	util_sort(p->points, p->npoints, sizeof(*p->points), point_cmp);
}

int mc_pool_init(struct mc_pool *p, const char *servers, enum cache_hash hash, int ketama_points, const char *ns,
		 char *err, size_t errlen)
{
	const char *list = servers != NULL && servers[0] != '\0' ? servers : "127.0.0.1:11211";

	memset(p, 0, sizeof(*p));
	p->hash = hash;
	p->ns = xstrdup(ns != NULL ? ns : "");
	for (const char *s = list; *s != '\0';) {
		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		size_t len = strcspn(s, ", \t");
		if (len == 0)
			break;
		p->servers = xrealloc(p->servers, (p->n + 1) * sizeof(*p->servers));
		if (parse_server(s, len, &p->servers[p->n], err, errlen) != 0) {
			mc_pool_free(p);
			return EXIT_CONFIG;
		}
		p->n++;
		s += len;
	}
	if (p->n == 0) {
		mc_pool_free(p);
		return errf(err, errlen, EXIT_CONFIG, "[cache] servers: no server");
	}
	/* Cache::Memcached: a weight-N server is N buckets, in list order. */
	for (size_t i = 0; i < p->n; i++)
		p->nbuckets += (size_t)p->servers[i].weight;
	p->buckets = xcalloc(p->nbuckets, sizeof(*p->buckets));
	for (size_t i = 0, b = 0; i < p->n; i++)
		for (int w = 0; w < p->servers[i].weight; w++)
			p->buckets[b++] = (uint32_t)i;
	if (hash == CACHE_HASH_KETAMA)
		ketama_build(p, ketama_points);
	return 0;
}

static size_t ketama_find(const struct mc_pool *p, uint32_t point)
{
	size_t lo = 0, hi = p->npoints;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->points[mid].point < point)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == p->npoints ? 0 : lo; /* past the last point: wrap around */
}

size_t mc_pool_server(const struct mc_pool *p, const char *key, size_t len)
{
	if (p->n == 1)
		return 0; /* both clients skip hashing for one server */
	if (p->hash == CACHE_HASH_KETAMA) {
		uint32_t point = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)key, (uInt)len);
		return p->points[ketama_find(p, point)].index;
	}
	return p->buckets[mc_hash_crc(key, len) % p->nbuckets];
}

size_t mc_pool_chain(const struct mc_pool *p, const char *key, size_t len, size_t *out, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	out[n++] = mc_pool_server(p, key, len);
	if (p->hash == CACHE_HASH_KETAMA || p->n == 1)
		return n; /* Fast does not rehash: a dead server's keys are just missed */
	/*
	 * Cache::Memcached's get_sock: while the server of hv is down,
	 * hv += _hashfunc(tries . key), for tries 1..19. The servers in the
	 * order they would be tried, each once.
	 */
	uint32_t hv = mc_hash_crc(key, len);
	char *buf = xmalloc(len + 16);
	for (int tries = 1; tries < 20 && n < max; tries++) {
		int l = snprintf(buf, 16, "%d", tries);
		memcpy(buf + l, key, len);
		hv += mc_hash_crc(buf, (size_t)l + len);
		size_t s = p->buckets[hv % p->nbuckets];
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen = seen || out[i] == s;
		if (!seen)
			out[n++] = s;
	}
	free(buf);
	return n;
}

const char *mc_server_name(const struct mc_server *s)
{
	return s->spec;
}

/* ---- what memcached says ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void mc_url_decode(const char *s, size_t len, struct buf *out)
{
	buf_reset(out);
	buf_grow(out, len);
	/* Most keys have no escape: one copy. */
	if (memchr(s, '%', len) == NULL) {
		buf_add(out, s, len);
		buf_grow(out, 0);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < len && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			buf_addc(out, (char)(h * 16 + l));
			i += 2;
		} else {
			buf_addc(out, s[i]);
		}
	}
	buf_grow(out, 0);
}

static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	char tmp[32];
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	long long v = strtoll(tmp, &end, 10);
	if (*end != '\0' || errno != 0)
		return false;
	*out = v;
	return true;
}

/* A decimal, optionally negative, exactly n bytes; no copy (dumps are long). */
static bool fast_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	size_t i = 0;

	if (n > 0 && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == n || n - i > 18)
		return parse_i64(s, n, out);
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

int mc_metadump_line(const char *line, size_t len, struct mc_meta *m, struct buf *key)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if ((len == 3 && memcmp(line, "END", 3) == 0))
		return 0;
	memset(m, 0, sizeof(*m));
	m->exp = -1;
	m->la = -1;
	m->cls = -1;
	m->flags = -1;
	bool have_key = false;
	for (size_t i = 0; i < len;) {
		while (i < len && line[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && line[i] != ' ')
			i++;
		const char *f = line + start;
		size_t fl = i - start;
		const char *eq = memchr(f, '=', fl);
		if (fl == 0)
			continue;
		if (eq == NULL) {
			/* A bare word: "OK" from some versions, or something newer. */
			continue;
		}
		size_t nl = (size_t)(eq - f);
		const char *v = eq + 1;
		size_t vl = fl - nl - 1;
		int64_t n;
		if (nl == 3 && memcmp(f, "key", 3) == 0) {
			mc_url_decode(v, vl, key);
			have_key = true;
		} else if (nl == 3 && memcmp(f, "exp", 3) == 0 && fast_i64(v, vl, &n)) {
			m->exp = n;
		} else if (nl == 2 && memcmp(f, "la", 2) == 0 && fast_i64(v, vl, &n)) {
			m->la = n;
		} else if (nl == 3 && memcmp(f, "cas", 3) == 0 && fast_i64(v, vl, &n)) {
			m->cas = (uint64_t)n;
		} else if (nl == 5 && memcmp(f, "fetch", 5) == 0) {
			m->fetched = vl == 3 && memcmp(v, "yes", 3) == 0;
		} else if (nl == 3 && memcmp(f, "cls", 3) == 0 && fast_i64(v, vl, &n)) {
			m->cls = (int)n;
		} else if (nl == 4 && memcmp(f, "size", 4) == 0 && fast_i64(v, vl, &n)) {
			m->size = n;
		} else if (nl == 5 && memcmp(f, "flags", 5) == 0 && fast_i64(v, vl, &n)) {
			m->flags = n;
		}
		/* Other fields (newer versions add some) are skipped. */
	}
	if (!have_key)
		return len == 0 || (len == 2 && memcmp(line, "OK", 2) == 0) ? 2 : -1;
	m->key = key->data;
	m->klen = key->len;
	return 1;
}

int mc_stat_line(const char *line, size_t len, const char **name, size_t *nlen, const char **val, size_t *vlen)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len == 3 && memcmp(line, "END", 3) == 0)
		return 0;
	if (len < 6 || memcmp(line, "STAT ", 5) != 0)
		return -1;
	const char *n = line + 5;
	const char *sp = memchr(n, ' ', len - 5);
	if (sp == NULL)
		return -1;
	*name = n;
	*nlen = (size_t)(sp - n);
	*val = sp + 1;
	*vlen = len - (size_t)(sp + 1 - line);
	return 1;
}

/* ---- the verification cache's value (DESIGN §7) ---- */

bool mc_schema_parse(const char *v, size_t len, struct mc_schema *s)
{
	const char *f[6];
	size_t fl[6];
	size_t i = 0;
	int nf = 0;

	memset(s, 0, sizeof(*s));
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	while (nf < 6 && i < len) {
		while (i < len && v[i] == ' ')
			i++;
		size_t start = i;
		if (nf == 5)
			i = len; /* the text: the rest of the line */
		else
			while (i < len && v[i] != ' ')
				i++;
		f[nf] = v + start;
		fl[nf] = i - start;
		nf++;
	}
	if (nf < 5)
		return false;
	static const char *const states[] = { "valid", "invalid", "accept-all", "refused" };
	bool known = false;
	for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		known = known || (fl[0] == strlen(states[k]) && memcmp(f[0], states[k], fl[0]) == 0);
	if (!known || fl[0] >= sizeof(s->state))
		return false;
	memcpy(s->state, f[0], fl[0]);
	int64_t n;
	if (fl[1] == 3 && parse_i64(f[1], 3, &n) && n >= 200 && n <= 599)
		s->code = (int)n;
	else if (!(fl[1] == 1 && f[1][0] == '-'))
		return false;
	if (!(fl[2] == 1 && f[2][0] == '-') && fl[2] < sizeof(s->dsn))
		memcpy(s->dsn, f[2], fl[2]);
	if (!parse_i64(f[3], fl[3], &s->when))
		return false;
	if (!(fl[4] == 1 && f[4][0] == '-')) {
		s->host = f[4];
		s->hostlen = fl[4];
	}
	if (nf == 6 && !(fl[5] == 1 && f[5][0] == '-')) {
		s->text = f[5];
		s->textlen = fl[5];
	}
	return true;
}

void mc_schema_key(const char *ns, const char *prefix, char kind, const char *s, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t start = out->len;

	buf_adds(out, prefix);
	buf_addc(out, kind);
	buf_addc(out, ':');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if (c <= 0x20 || c == 0x7f || c == '%') {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		} else {
			buf_addc(out, (char)c);
		}
	}
	if (strlen(ns) + out->len - start <= 250)
		return;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_Digest(out->data + start, out->len - start, md, &mdlen, EVP_sha1(), NULL);
	out->len = start;
	out->data[start] = '\0';
	buf_adds(out, prefix);
	buf_adds(out, "h:");
	for (unsigned i = 0; i < mdlen; i++)
		buf_addf(out, "%02x", md[i]);
}

static void schema_field(struct buf *out, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		buf_addc(out, '-');
		return;
	}
	for (; *s != '\0'; s++)
		buf_addc(out, (unsigned char)*s <= 0x20 || *s == 0x7f ? '_' : *s);
}

void mc_schema_value(const char *state, int code, const char *dsn, long long when, const char *host, const char *text,
		     size_t textlen, struct buf *out)
{
	schema_field(out, state);
	if (code > 0)
		buf_addf(out, " %03d ", code);
	else
		buf_adds(out, " - ");
	schema_field(out, dsn);
	buf_addf(out, " %lld ", when);
	schema_field(out, host);
	buf_addc(out, ' ');
	/* One line: a multi-line reply's lines joined by a blank, controls escaped. */
	size_t mark = out->len;
	for (size_t i = 0; i < textlen;) {
		size_t n = 0;
		while (i + n < textlen && text[i + n] != '\n' && text[i + n] != '\r' && text[i + n] != '\t')
			n++;
		sanitize_buf(out, text + i, n, SAN_LINE);
		i += n;
		if (i < textlen) {
			buf_addc(out, ' ');
			i++;
		}
	}
	if (out->len == mark)
		buf_addc(out, '-');
}

long long mc_exptime(long ttl, long long now)
{
	if (ttl <= 0)
		return 0;
	return ttl > 2592000 ? now + ttl : ttl;
}

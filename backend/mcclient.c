/*
 * backend/mcclient.c: talking to one memcached server without blocking.
 * A connection is a libevent bufferevent on the loop, with a queue of
 * requests answered in order (the text and meta protocols reply in
 * order); each request parses its own reply from the input buffer as bytes
 * arrive. Connect and read timeouts, a refused connection, EOF or a
 * garbled reply fail every queued request with a reason, and the
 * connection stays failed: the caller marks the server DOWN.
 *
 * Names that are not numeric addresses are resolved with c-ares through
 * the loop when a channel is given, so nothing here waits.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "backend.h"

enum req_kind { RQ_STATS, RQ_DUMP, RQ_MG, RQ_MD, RQ_FLUSH, RQ_SET };

struct mc_req {
	enum req_kind kind;
	struct mc_req *next;
	void *arg;
	mc_done_fn done;
	mc_stat_fn stat;
	mc_meta_fn meta;
	mc_mg_fn mg;
	/* RQ_MD: the counts, and how many commands went out */
	size_t md_sent, md_notfound, md_errors;
	struct buf key; /* scratch for metadump keys */
	bool dump_started;
	bool dump_hash; /* asked for the hash-table walk; may fall back to "all" */
	int dump_busy;  /* times the crawler said BUSY (another client's crawl) */
};

/* memcached runs one crawl at a time and answers BUSY to a second one
 * (another console, the doctor, its own LRU crawler): ask again, every
 * DUMP_BUSY_MS, up to DUMP_BUSY_TRIES times. */
#define DUMP_BUSY_MS 100
#define DUMP_BUSY_TRIES 300

struct mc_conn {
	struct loop *loop;
	struct bufferevent *bev;
	char *name;
	bool connected, failed;
	char why[256];
	int read_ms;
	struct mc_req *head, *tail;
	int busy; /* >0 while a callback runs: freeing is deferred */
	bool free_pending;
	struct timeval read_tv;
	struct resolve *resolving; /* a c-ares question in flight, or NULL */
	struct loop_timer *retry;  /* a metadump asked again after BUSY */
};

static void req_free(struct mc_req *r)
{
	buf_free(&r->key);
	free(r);
}

static void conn_fail(struct mc_conn *c, int status, const char *why)
{
	if (!c->failed) {
		c->failed = true;
		snprintf(c->why, sizeof(c->why), "%s", why);
	}
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->busy++;
	while (c->head != NULL) {
		struct mc_req *r = c->head;
		c->head = r->next;
		if (r->done != NULL)
			r->done(r->arg, status, c->why);
		req_free(r);
	}
	c->tail = NULL;
	c->busy--;
}

bool mc_conn_failed(const struct mc_conn *c, const char **why)
{
	if (why != NULL)
		*why = c->why;
	return c->failed;
}

const char *mc_conn_name(const struct mc_conn *c)
{
	return c->name;
}

/* A line from the input, without CRLF; NULL when none is complete. */
static char *take_line(struct evbuffer *in, size_t *len)
{
	return evbuffer_readln(in, len, EVBUFFER_EOL_CRLF);
}

static bool starts(const char *s, size_t n, const char *p)
{
	size_t pl = strlen(p);
	return n >= pl && memcmp(s, p, pl) == 0;
}

/* Replies that end any request: the server says the command failed. */
static bool is_error_line(const char *l, size_t n)
{
	return (n == 5 && memcmp(l, "ERROR", 5) == 0) || starts(l, n, "ERROR ") || starts(l, n, "CLIENT_ERROR") ||
	       starts(l, n, "SERVER_ERROR") || starts(l, n, "BUSY");
}

/* 1 done, 0 need more bytes, -1 the connection is unusable (why set). */
static int parse_stats(struct mc_req *r, struct evbuffer *in, char *why, size_t whylen)
{
	size_t n;
	char *l;

	while ((l = take_line(in, &n)) != NULL) {
		const char *name, *val;
		size_t nl, vl;
		int k = mc_stat_line(l, n, &name, &nl, &val, &vl);
		if (k == 0) {
			free(l);
			return 1;
		}
		if (k < 0) {
			snprintf(why, whylen, "unexpected reply to stats: %.80s", l);
			free(l);
			return -1;
		}
		if (r->stat != NULL)
			r->stat(r->arg, name, nl, val, vl);
		free(l);
	}
	return 0;
}

static int parse_dump(struct mc_req *r, struct evbuffer *in, char *why, size_t whylen)
{
	/* Read to the end at full speed: a metadump reader that stalls stalls
	 * the server's other clients (1.6.18). Lines end in LF, END in CRLF.
	 * All complete lines of the buffer at once, drained once: a million
	 * keys must not cost a million allocations. */
	size_t have = evbuffer_get_length(in);
	if (have == 0)
		return 0;
	const char *p = (const char *)evbuffer_pullup(in, (ssize_t)have);
	size_t off = 0;
	int rc = 0;

	while (off < have) {
		const char *nl = memchr(p + off, '\n', have - off);
		if (nl == NULL) {
			/* A dump line is a key (250 bytes, escaped: 750) and a few fields. */
			if (have - off > 65536) {
				snprintf(why, whylen, "garbled metadump: a line of more than 64 KB");
				evbuffer_drain(in, off);
				return -1;
			}
			break;
		}
		size_t n = (size_t)(nl - (p + off));
		const char *l = p + off;
		off += n + 1;
		if (n > 0 && l[n - 1] == '\r')
			n--;
		struct mc_meta m;
		if (!r->dump_started && starts(l, n, "BUSY") && r->dump_busy < DUMP_BUSY_TRIES) {
			r->dump_busy++;
			rc = 3;
			break;
		}
		if (!r->dump_started && is_error_line(l, n)) {
			snprintf(why, whylen, "lru_crawler metadump refused: %.*s", (int)(n > 120 ? 120 : n), l);
			/* the server is fine; only this request failed, or only
			 * its hash walk (before 1.6.9): ask again for the LRUs */
			rc = r->dump_hash && r->next == NULL ? 2 : -2;
			break;
		}
		r->dump_started = true;
		int k = mc_metadump_line(l, n, &m, &r->key);
		if (k == 0) {
			rc = 1;
			break;
		}
		if (k == 1 && r->meta != NULL)
			r->meta(r->arg, &m);
	}
	evbuffer_drain(in, off);
	return rc;
}

/* The return flags of a meta reply: "s12 t-1 f2 l5 h0 c7". */
static void mg_flags(const char *p, size_t n, struct mc_mg *g)
{
	for (size_t i = 0; i < n;) {
		while (i < n && p[i] == ' ')
			i++;
		size_t s = i;
		while (i < n && p[i] != ' ')
			i++;
		if (i - s < 2)
			continue;
		char f = p[s];
		char tmp[32];
		size_t tl = i - s - 1 < sizeof(tmp) - 1 ? i - s - 1 : sizeof(tmp) - 1;
		memcpy(tmp, p + s + 1, tl);
		tmp[tl] = '\0';
		long long v = strtoll(tmp, NULL, 10);
		switch (f) {
		case 's': g->size = v; break;
		case 't': g->ttl = v; break;
		case 'f': g->flags = v; break;
		case 'l': g->idle = v; break;
		case 'h': g->hit_before = (int)v; break;
		case 'c': g->cas = (uint64_t)v; break;
		default: break;
		}
	}
}

static int parse_mg(struct mc_req *r, struct evbuffer *in, char *why, size_t whylen)
{
	size_t n;
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &n, EVBUFFER_EOL_CRLF);
	struct mc_mg g;

	if (eol.pos < 0)
		return 0;
	size_t linelen = (size_t)eol.pos;
	char *line = xmalloc(linelen + 1);
	evbuffer_copyout(in, line, linelen);
	line[linelen] = '\0';
	memset(&g, 0, sizeof(g));
	g.ttl = -2;
	g.idle = -1;
	g.hit_before = -1;
	g.flags = -1;
	if (starts(line, linelen, "EN")) {
		evbuffer_drain(in, linelen + n);
		free(line);
		if (r->mg != NULL)
			r->mg(r->arg, &g);
		return 1;
	}
	if (starts(line, linelen, "HD")) {
		g.hit = true;
		mg_flags(line + 2, linelen - 2, &g);
		evbuffer_drain(in, linelen + n);
		free(line);
		if (r->mg != NULL)
			r->mg(r->arg, &g);
		return 1;
	}
	if (starts(line, linelen, "VA ")) {
		char *end;
		long long vlen = strtoll(line + 3, &end, 10);
		/* memcached's largest item is 1 GB (-I); a bigger claim is garbage. */
		if (vlen < 0 || vlen > (1LL << 30) || end == line + 3) {
			snprintf(why, whylen, "garbled reply to mg: %.80s", line);
			free(line);
			return -1;
		}
		/* The value and its CRLF must be in too. */
		if (evbuffer_get_length(in) < linelen + n + (size_t)vlen + 2) {
			free(line);
			return 0;
		}
		g.hit = true;
		mg_flags(end, linelen - (size_t)(end - line), &g);
		evbuffer_drain(in, linelen + n);
		char *value = xmalloc((size_t)vlen + 1);
		evbuffer_remove(in, value, (size_t)vlen);
		value[vlen] = '\0';
		evbuffer_drain(in, 2);
		g.value = value;
		g.vlen = (size_t)vlen;
		free(line);
		if (r->mg != NULL)
			r->mg(r->arg, &g);
		free(value);
		return 1;
	}
	if (is_error_line(line, linelen)) {
		/* This command failed; the connection is still in step. */
		evbuffer_drain(in, linelen + n);
		snprintf(why, whylen, "mg refused: %.120s", line);
		free(line);
		return -2;
	}
	snprintf(why, whylen, "unexpected reply to mg: %.80s", line);
	free(line);
	return -1;
}

/* md KEY q ... mn: quiet deletes answer only when they fail; MN ends it. */
static int parse_md(struct mc_req *r, struct evbuffer *in, char *why, size_t whylen)
{
	size_t n;
	char *l;

	while ((l = take_line(in, &n)) != NULL) {
		if (n == 2 && memcmp(l, "MN", 2) == 0) {
			free(l);
			return 1;
		}
		if (n == 2 && memcmp(l, "NF", 2) == 0)
			r->md_notfound++;
		else if (starts(l, n, "HD"))
			; /* not quiet after all: counted as deleted */
		else if (starts(l, n, "EX") || starts(l, n, "NS") || is_error_line(l, n))
			r->md_errors++;
		else {
			snprintf(why, whylen, "unexpected reply to md: %.80s", l);
			free(l);
			return -1;
		}
		free(l);
	}
	return 0;
}

static int parse_flush(struct mc_req *r, struct evbuffer *in, char *why, size_t whylen)
{
	size_t n;
	char *l = take_line(in, &n);

	(void)r;
	if (l == NULL)
		return 0;
	int rc = n == 2 && memcmp(l, "OK", 2) == 0 ? 1 : -2;
	if (rc != 1)
		snprintf(why, whylen, "flush_all refused: %.120s", l);
	free(l);
	return rc;
}

/* set: STORED, or the server says why not (the connection stays in step). */
static int parse_set(struct mc_req *r, struct evbuffer *in, char *why, size_t whylen)
{
	size_t n;
	char *l = take_line(in, &n);

	(void)r;
	if (l == NULL)
		return 0;
	int rc = n == 6 && memcmp(l, "STORED", 6) == 0 ? 1 : -2;
	if (rc != 1)
		snprintf(why, whylen, "set refused: %.120s", l);
	free(l);
	return rc;
}

static void arm_read_timeout(struct mc_conn *c)
{
	if (c->bev == NULL || !c->connected)
		return;
	/* A read timeout only while a reply is awaited: an idle connection is fine. */
	bufferevent_set_timeouts(c->bev, c->head != NULL ? &c->read_tv : NULL, &c->read_tv);
}

/* The crawler was busy: the same metadump again. */
static void dump_retry(void *arg)
{
	struct mc_conn *c = arg;
	static const char hash[] = "lru_crawler metadump hash\r\n", all[] = "lru_crawler metadump all\r\n";

	loop_timer_del(c->retry);
	c->retry = NULL;
	if (c->failed || c->head == NULL || c->head->kind != RQ_DUMP)
		return;
	if (c->head->dump_hash)
		bufferevent_write(c->bev, hash, sizeof(hash) - 1);
	else
		bufferevent_write(c->bev, all, sizeof(all) - 1);
	arm_read_timeout(c);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct mc_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char why[256];

	c->busy++;
	while (c->head != NULL && !c->failed) {
		struct mc_req *r = c->head;
		int rc;

		why[0] = '\0';
		switch (r->kind) {
		case RQ_STATS: rc = parse_stats(r, in, why, sizeof(why)); break;
		case RQ_DUMP: rc = parse_dump(r, in, why, sizeof(why)); break;
		case RQ_MG: rc = parse_mg(r, in, why, sizeof(why)); break;
		case RQ_MD: rc = parse_md(r, in, why, sizeof(why)); break;
		case RQ_SET: rc = parse_set(r, in, why, sizeof(why)); break;
		default: rc = parse_flush(r, in, why, sizeof(why)); break;
		}
		if (rc == 0)
			break;
		if (rc == 3) {
			/* well within the read timeout, which runs meanwhile */
			int ms = c->read_ms / 2 < DUMP_BUSY_MS ? c->read_ms / 2 : DUMP_BUSY_MS;
			if (c->retry == NULL)
				c->retry = loop_timer_add(c->loop, (unsigned)(ms > 0 ? ms : 1), false, dump_retry, c);
			break;
		}
		if (rc == 2) {
			static const char all[] = "lru_crawler metadump all\r\n";
			r->dump_hash = false;
			bufferevent_write(c->bev, all, sizeof(all) - 1);
			continue;
		}
		if (rc == -1) {
			conn_fail(c, MC_PROTO, why);
			break;
		}
		c->head = r->next;
		if (c->head == NULL)
			c->tail = NULL;
		if (r->done != NULL) {
			if (r->kind == RQ_MD && rc == 1) {
				char counts[96];
				snprintf(counts, sizeof(counts), "%zu %zu %zu",
					 r->md_sent - r->md_notfound - r->md_errors, r->md_notfound, r->md_errors);
				r->done(r->arg, MC_OK, counts);
			} else {
				r->done(r->arg, rc == 1 ? MC_OK : MC_REFUSED, why);
			}
		}
		req_free(r);
		if (c->free_pending)
			break;
	}
	c->busy--;
	if (c->free_pending && c->busy == 0) {
		mc_conn_free(c);
		return;
	}
	arm_read_timeout(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct mc_conn *c = arg;
	char why[256];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = true;
		arm_read_timeout(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "%s: %s", c->name, c->connected ? "no reply in time" : "connect timed out");
	else if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "%s: connection closed by the server", c->name);
	else {
		int e = EVUTIL_SOCKET_ERROR();
		snprintf(why, sizeof(why), "%s: %s", c->name, e != 0 ? evutil_socket_error_to_string(e) : "connection failed");
	}
	c->busy++;
	conn_fail(c, (what & BEV_EVENT_TIMEOUT) ? MC_TIMEOUT : MC_DOWN, why);
	c->busy--;
	if (c->free_pending && c->busy == 0)
		mc_conn_free(c);
}

static void connect_addr(struct mc_conn *c, const struct sockaddr *sa, socklen_t len)
{
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)sa, (int)len) != 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s: %s", c->name, strerror(errno));
		conn_fail(c, MC_DOWN, why);
	}
}

struct resolve {
	struct mc_conn *c; /* NULL once the connection is gone */
	char *port;
};

static void resolved(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct resolve *rs = arg;
	struct mc_conn *c = rs->c;

	(void)timeouts;
	if (c != NULL)
		c->resolving = NULL;
	if (c == NULL || c->free_pending) {
		/* The connection went away meanwhile. */
	} else if (status != ARES_SUCCESS || res == NULL || res->nodes == NULL) {
		char why[256];
		snprintf(why, sizeof(why), "%s: %s", c->name, ares_strerror(status));
		conn_fail(c, MC_DOWN, why);
	} else {
		connect_addr(c, res->nodes->ai_addr, res->nodes->ai_addrlen);
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	free(rs->port);
	free(rs);
}

struct mc_conn *mc_conn_new(struct loop *l, const struct mc_server *s, int connect_ms, int read_ms,
			    struct ares_channeldata *dns)
{
	struct mc_conn *c = xcalloc(1, sizeof(*c));
	struct timeval ctv = { .tv_sec = connect_ms / 1000, .tv_usec = (connect_ms % 1000) * 1000 };

	c->loop = l;
	c->name = xstrdup(s->spec);
	c->read_ms = read_ms;
	c->read_tv.tv_sec = read_ms / 1000;
	c->read_tv.tv_usec = (read_ms % 1000) * 1000;
	c->bev = bufferevent_socket_new(loop_base(l), -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		conn_fail(c, MC_DOWN, "cannot create a socket");
		return c;
	}
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	/* A write timeout covers the connect. */
	bufferevent_set_timeouts(c->bev, NULL, &ctv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (s->path != NULL) {
		struct sockaddr_un sun;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(s->path) >= sizeof(sun.sun_path)) {
			conn_fail(c, MC_DOWN, "socket path too long");
			return c;
		}
		memcpy(sun.sun_path, s->path, strlen(s->path));
		connect_addr(c, (struct sockaddr *)&sun, sizeof(sun));
		return c;
	}
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	char *hp = strchr(s->host, ':') != NULL ? xasprintf("[%s]:%s", s->host, s->port)
						  : xasprintf("%s:%s", s->host, s->port);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(hp, (struct sockaddr *)&ss, &sl) == 0) {
		free(hp);
		connect_addr(c, (struct sockaddr *)&ss, (socklen_t)sl);
		return c;
	}
	free(hp);
	if (strcmp(s->host, "localhost") == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(s->port)) };
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		connect_addr(c, (struct sockaddr *)&sin, sizeof(sin));
		return c;
	}
	if (dns == NULL) {
		char why[256];
		snprintf(why, sizeof(why), "%s: a host name needs DNS ([dns] servers)", c->name);
		conn_fail(c, MC_DOWN, why);
		return c;
	}
	struct ares_addrinfo_hints hints;
	struct resolve *rs = xcalloc(1, sizeof(*rs));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rs->c = c;
	rs->port = xstrdup(s->port);
	c->resolving = rs;
	ares_getaddrinfo(dns, s->host, s->port, &hints, resolved, rs);
	return c;
}

void mc_conn_free(struct mc_conn *c)
{
	if (c == NULL)
		return;
	if (c->busy > 0) {
		c->free_pending = true;
		return;
	}
	if (c->resolving != NULL)
		c->resolving->c = NULL; /* it will answer into the void */
	if (c->retry != NULL)
		loop_timer_del(c->retry);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	while (c->head != NULL) {
		struct mc_req *r = c->head;
		c->head = r->next;
		req_free(r);
	}
	free(c->name);
	free(c);
}

static struct mc_req *enqueue(struct mc_conn *c, enum req_kind kind, const void *cmd, size_t len, mc_done_fn done,
			      void *arg)
{
	struct mc_req *r = xcalloc(1, sizeof(*r));

	r->kind = kind;
	r->done = done;
	r->arg = arg;
	buf_init(&r->key);
	if (c->failed) {
		/* Answer at once, but from the loop's point of view later is
		 * not needed: the caller is ready for a synchronous failure. */
		if (done != NULL)
			done(arg, MC_DOWN, c->why);
		req_free(r);
		return NULL;
	}
	if (c->tail != NULL)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	bufferevent_write(c->bev, cmd, len);
	arm_read_timeout(c);
	return r;
}

void mc_stats(struct mc_conn *c, const char *sub, mc_stat_fn row, mc_done_fn done, void *arg)
{
	char cmd[64];
	int n = snprintf(cmd, sizeof(cmd), "stats%s%s\r\n", sub != NULL && sub[0] ? " " : "", sub != NULL ? sub : "");
	struct mc_req *r = enqueue(c, RQ_STATS, cmd, (size_t)n, done, arg);

	if (r != NULL)
		r->stat = row;
}

/* The hash-table walk (memcached 1.6.9 and later) sees every item once;
 * the LRU walk of "all" misses items that the LRU maintainer moves while a
 * reader is slow, so it is only the fallback for older servers. */
void mc_metadump(struct mc_conn *c, mc_meta_fn item, mc_done_fn done, void *arg)
{
	static const char cmd[] = "lru_crawler metadump hash\r\n";
	struct mc_req *r = enqueue(c, RQ_DUMP, cmd, sizeof(cmd) - 1, done, arg);

	if (r != NULL) {
		r->meta = item;
		r->dump_hash = true;
	}
}

void mc_mget(struct mc_conn *c, const char *key, size_t klen, const char *flags, mc_mg_fn res, mc_done_fn done,
	     void *arg)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "mg ");
	buf_add(&b, key, klen);
	buf_addc(&b, ' ');
	buf_adds(&b, flags);
	buf_adds(&b, "\r\n");
	struct mc_req *r = enqueue(c, RQ_MG, b.data, b.len, done, arg);
	if (r != NULL)
		r->mg = res;
	buf_free(&b);
}

void mc_mdel(struct mc_conn *c, const char *const *keys, const size_t *klens, size_t n, mc_done_fn done, void *arg)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		buf_adds(&b, "md ");
		buf_add(&b, keys[i], klens[i]);
		buf_adds(&b, " q\r\n");
	}
	buf_adds(&b, "mn\r\n");
	struct mc_req *r = enqueue(c, RQ_MD, b.data, b.len, done, arg);
	if (r != NULL)
		r->md_sent = n;
	buf_free(&b);
}

void mc_set(struct mc_conn *c, const char *key, size_t klen, const char *val, size_t vlen, unsigned flags,
	    long long exptime, mc_done_fn done, void *arg)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "set ");
	buf_add(&b, key, klen);
	buf_addf(&b, " %u %lld %zu\r\n", flags, exptime, vlen);
	buf_add(&b, val, vlen);
	buf_adds(&b, "\r\n");
	enqueue(c, RQ_SET, b.data, b.len, done, arg);
	buf_free(&b);
}

void mc_flush_all(struct mc_conn *c, mc_done_fn done, void *arg)
{
	static const char cmd[] = "flush_all\r\n";

	enqueue(c, RQ_FLUSH, cmd, sizeof(cmd) - 1, done, arg);
}

bool mc_key_ok(const char *key, size_t len)
{
	if (len == 0 || len > 250)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)key[i] <= 0x20 || key[i] == 0x7f)
			return false;
	return true;
}

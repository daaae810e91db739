/*
 * plugins/callahead.c: test recipient verification as the mail filter does
 * it. For each address, in order: the local alias maps and users (for
 * [aliases] local_domains), the verification cache (DESIGN §7), then an
 * SMTP probe (MAIL FROM / RCPT TO, never DATA) of the server a route, the
 * configuration or the domain's MX names; the answer is cached as the
 * filter would cache it.
 *
 * One engine runs every check on one event loop: DNS through c-ares,
 * sessions through backend/smtp.c, the cache through backend/mcclient.c.
 * At most -j checks are between their start and their answer, at most
 * per_server sessions go to one address, and recipients for the same
 * server share a session. The batch verb runs it on a loop of its own;
 * the Callahead tab on the console's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"

/* ---- one check ---- */

enum src { SRC_NONE, SRC_ALIAS, SRC_USER, SRC_CACHE, SRC_PROBE };
static const char *const src_names[] = { "", "alias", "user", "cache", "probe" };

enum phase { PH_NEW, PH_CACHE, PH_DNS, PH_SMTP, PH_DONE };

struct engine;

struct check {
	struct engine *e;
	char *addr;   /* as given */
	char *domain; /* lower-cased */
	char *local;
	enum phase phase;
	bool started;
	/* the answer */
	enum ca_state state;
	enum src source;
	int code;
	char dsn[16];
	struct buf text;
	char server[340]; /* "host [ip]" for people */
	char host[256];   /* the host name, for the cache entry */
	int64_t t0, ms;
	long long cache_age, cache_ttl; /* -2: not from the cache */
	struct buf transcript;
	/* the cache look-up: r: and d: entries */
	int cache_wait;
	bool rhit, dhit;
	struct buf rval, dval;
	long long rttl, dttl;
	/* the probe */
	struct dns_query *dq;
	bool via_host; /* a configured server or a route, not the domain's MX */
	struct dns_target t[DNS_MAX_TARGETS];
	size_t nt, ti;
	char why[512];
	int why_code;
	char why_dsn[16];
	bool refused;
	struct loop_timer *deadline;
	struct check *wnext; /* waiting for a session slot */
	struct sess_ctx *in; /* the session it was given to, while it is there */
	bool retried_421;
	bool no_cache;
};

enum { SESSION_QUEUE = 4 };

/* An address:port we talk to, with its sessions. */
struct sess_ctx;
struct server {
	char key[96];
	struct sess_ctx **s;
	size_t ns;
	struct check *wait, *wait_tail;
	struct server *next;
};

struct sess_ctx {
	struct engine *e;
	struct server *srv;
	struct smtp_sess *sess;
	struct dns_target t;
	struct check **left;
	size_t nleft;
};

struct engine {
	struct ctx *ctx;
	const struct config *cfg;
	struct loop *loop;
	bool own_loop;
	struct ares_channeldata *dns;
	char dns_err[256];
	struct smtp_opts so;
	char helo[256], from[320];
	bool no_cache, console;
	int jobs, per_server;
	struct check **c;
	size_t n, cap;
	size_t next, active, done;
	struct server *servers;
	size_t nsess;
	/* cache */
	struct mc_pool pool;
	bool cache_ok;
	struct mc_conn **mc;
	int64_t *dead_until; /* a server that failed: passed over until then (ms), as Cache::Memcached does */
	int cache_ops;
	bool cache_warned;
	/* aliases */
	char *db, *text;
	struct alias_map textmap;
	bool text_loaded;
	/* routes */
	struct ca_routes *routes;
	/* what to do when a check ends */
	void (*on_done)(struct engine *e, struct check *c);
	void *arg;
};

static void check_done(struct check *c);
static void start_smtp(struct check *c);

static bool domain_listed(const char *domain, const char *list)
{
	size_t dl = strlen(domain);

	for (const char *p = list; *p != '\0';) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ", \t");
		if (n == dl && strncasecmp(p, domain, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static void set_answer(struct check *c, enum ca_state st, enum src src, int code, const char *dsn, const char *text,
		       size_t tl)
{
	c->state = st;
	c->source = src;
	c->code = code;
	snprintf(c->dsn, sizeof(c->dsn), "%s", dsn != NULL ? dsn : "");
	buf_reset(&c->text);
	/* The DSN has a column of its own: not again at the start of the text. */
	size_t dl = strlen(c->dsn);
	if (text != NULL && dl > 0 && tl > dl && memcmp(text, c->dsn, dl) == 0 && text[dl] == ' ') {
		text += dl + 1;
		tl -= dl + 1;
	}
	if (text != NULL)
		buf_add(&c->text, text, tl);
}

/* ---- the cache ---- */

static struct mc_conn *cache_conn(struct engine *e, size_t i)
{
	const struct config *cfg = e->cfg;

	if (e->mc[i] == NULL || mc_conn_failed(e->mc[i], NULL)) {
		mc_conn_free(e->mc[i]);
		e->mc[i] = mc_conn_new(e->loop, &e->pool.servers[i], cfg->cache.connect_timeout_ms,
				       cfg->cache.read_timeout_ms, e->dns);
	}
	return e->mc[i];
}

static void cache_key(struct engine *e, char kind, const char *s, struct buf *out)
{
	buf_reset(out);
	mc_schema_key(e->pool.ns, e->cfg->cache.prefix, kind, s, strlen(s), out);
}

/* A server whose request failed (down, timeout, garbage) is passed over
 * for 20 s, as Cache::Memcached marks a host dead. */
static void mark_dead(struct engine *e, size_t srv, int status)
{
	if (status == MC_DOWN || status == MC_TIMEOUT || status == MC_PROTO)
		e->dead_until[srv] = util_now_ms() + 20000;
}

/* The wire key (namespace first) and the server Cache::Memcached uses for
 * it now: its own, or while that one is dead the next live one of its
 * rehash chain (where the filter then reads and writes it). */
static size_t wire_key(struct engine *e, const struct buf *key, struct buf *wire)
{
	size_t chain[20];
	size_t n = mc_pool_chain(&e->pool, key->data, key->len, chain, 20);
	int64_t now = util_now_ms();

	buf_reset(wire);
	buf_adds(wire, e->pool.ns);
	buf_add(wire, key->data, key->len);
	for (size_t i = 0; i < n; i++)
		if (e->dead_until[chain[i]] <= now)
			return chain[i];
	return n > 0 ? chain[0] : mc_pool_server(&e->pool, key->data, key->len);
}

static void cache_warn(struct engine *e, const char *why)
{
	if (!e->cache_warned)
		ctx_warn(e->ctx, "verification cache unavailable (%s): checking without it", why);
	e->cache_warned = true;
}

struct cget {
	struct check *c;
	bool domain;
	size_t srv;  /* asked */
	int tries;   /* servers asked so far */
};

static void after_cache(struct check *c);

static void cache_got(void *arg, const struct mc_mg *g)
{
	struct cget *q = arg;
	struct check *c = q->c;

	if (g->hit && g->value != NULL) {
		struct buf *v = q->domain ? &c->dval : &c->rval;
		buf_reset(v);
		buf_add(v, g->value, g->vlen);
		if (q->domain) {
			c->dhit = true;
			c->dttl = g->ttl;
		} else {
			c->rhit = true;
			c->rttl = g->ttl;
		}
	}
}

static void cache_ask(struct cget *q);

static void cache_get_done(void *arg, int status, const char *why)
{
	struct cget *q = arg;
	struct check *c = q->c;

	if (status != MC_OK && status != MC_REFUSED) {
		mark_dead(c->e, q->srv, status);
		/* the next server of the key's rehash chain, as the filter would */
		size_t before = q->srv;
		if (q->tries < 20) {
			cache_ask(q);
			if (q->srv != before)
				return;
			q->srv = before;
		}
		cache_warn(c->e, why);
	}
	free(q);
	if (--c->cache_wait == 0)
		after_cache(c);
}

static void cache_lookup(struct check *c)
{
	c->phase = PH_CACHE;
	c->cache_wait = 2;
	for (int d = 0; d < 2; d++) {
		struct cget *q = xcalloc(1, sizeof(*q));
		q->c = c;
		q->domain = d;
		q->srv = (size_t)-1;
		cache_ask(q);
	}
}

/* Asks the key's live server (q->srv set to it); when that is the server
 * already asked, asks nothing and leaves q->srv as it was. */
static void cache_ask(struct cget *q)
{
	struct check *c = q->c;
	struct engine *e = c->e;
	struct buf k, w;

	buf_init(&k);
	buf_init(&w);
	cache_key(e, q->domain ? 'd' : 'r', q->domain ? c->domain : c->addr, &k);
	size_t srv = wire_key(e, &k, &w);
	if (srv != q->srv) {
		q->srv = srv;
		q->tries++;
		mc_mget(cache_conn(e, srv), w.data, w.len, "v t", cache_got, cache_get_done, q);
	}
	buf_free(&k);
	buf_free(&w);
}

static bool from_cache(struct check *c, const struct buf *v, long long ttl, bool domain)
{
	struct mc_schema sc;

	if (!mc_schema_parse(v->data, v->len, &sc))
		return false;
	const char *text = sc.text != NULL ? sc.text : "";
	size_t tl = sc.text != NULL ? sc.textlen : 0;
	if (!domain && strcmp(sc.state, "valid") == 0)
		set_answer(c, CA_VALID, SRC_CACHE, sc.code, sc.dsn, text, tl);
	else if (!domain && strcmp(sc.state, "invalid") == 0)
		set_answer(c, CA_INVALID, SRC_CACHE, sc.code, sc.dsn, text, tl);
	else if (domain && strcmp(sc.state, "accept-all") == 0)
		set_answer(c, CA_ACCEPT_ALL, SRC_CACHE, sc.code, sc.dsn, text, tl);
	else if (domain && strcmp(sc.state, "refused") == 0) {
		/* The filter does not probe a domain that refuses its probes. */
		struct buf t;
		buf_init(&t);
		buf_adds(&t, "the domain refuses our probes: ");
		buf_add(&t, text, tl);
		set_answer(c, CA_TEMPFAIL, SRC_CACHE, sc.code, sc.dsn, t.data, t.len);
		buf_free(&t);
	} else
		return false;
	snprintf(c->server, sizeof(c->server), "%.*s", (int)(sc.host != NULL ? sc.hostlen : 0),
		 sc.host != NULL ? sc.host : "");
	c->cache_age = (long long)time(NULL) - sc.when;
	c->cache_ttl = ttl;
	return true;
}

static void after_cache(struct check *c)
{
	if (c->phase == PH_DONE)
		return;
	if ((c->rhit && from_cache(c, &c->rval, c->rttl, false)) || (c->dhit && from_cache(c, &c->dval, c->dttl, true))) {
		check_done(c);
		return;
	}
	start_smtp(c);
}

static void cache_set_done(void *arg, int status, const char *why)
{
	struct engine *e = arg;

	if (status != MC_OK)
		cache_warn(e, why);
	e->cache_ops--;
}

/* What the filter would store for this answer (DESIGN §7). */
static void cache_store(struct check *c)
{
	struct engine *e = c->e;
	const struct config *cfg = e->cfg;
	char kind = 'r';
	const char *state = NULL;
	long ttl = 0;

	if (c->state == CA_VALID) {
		state = "valid";
		ttl = cfg->callahead.valid_ttl;
	} else if (c->state == CA_INVALID) {
		state = "invalid";
		ttl = cfg->callahead.invalid_ttl;
	} else if (c->state == CA_ACCEPT_ALL) {
		state = "accept-all";
		ttl = cfg->callahead.accept_all_ttl;
		kind = 'd';
	} else if (c->state == CA_SENDER_REFUSED || (c->state == CA_TEMPFAIL && c->refused)) {
		state = "refused";
		ttl = cfg->callahead.refused_ttl;
		kind = 'd';
	}
	if (state == NULL)
		return; /* tempfails never overwrite what is cached */
	struct buf k, w, v;
	buf_init(&k);
	buf_init(&w);
	buf_init(&v);
	cache_key(e, kind, kind == 'd' ? c->domain : c->addr, &k);
	size_t srv = wire_key(e, &k, &w);
	long long now = (long long)time(NULL);
	mc_schema_value(state, c->code, c->dsn, now, c->host, c->text.data, c->text.len, &v);
	e->cache_ops++;
	mc_set(cache_conn(e, srv), w.data, w.len, v.data, v.len, 0, mc_exptime(ttl, now), cache_set_done, e);
	buf_free(&k);
	buf_free(&w);
	buf_free(&v);
}

/* ---- aliases first ---- */

static bool file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* 1 answered (valid or a tempfail), 0 go on. */
static int local_lookup(struct check *c)
{
	struct engine *e = c->e;
	const struct config *cfg = e->cfg;
	int wait = e->console ? 0 : cfg->aliases.lock_wait_ms;
	char err[512];
	char *val = NULL;
	size_t vlen = 0;
	int code = 0;

	if (!domain_listed(c->domain, cfg->aliases.local_domains))
		return 0;
	int found = aliasdb_get(e->db, wait, c->local, strlen(c->local), &val, &vlen, &code, err, sizeof(err));
	if (found < 0 && code == EXIT_NOINPUT) {
		found = 0;
		if (!e->text_loaded && file_exists(e->text))
			e->text_loaded = aliastext_load(e->text, false, &e->textmap, err, sizeof(err)) == 0;
		const struct alias_ent *a =
			e->text_loaded ? aliasmap_lookup(&e->textmap, c->local, strlen(c->local)) : NULL;
		if (a != NULL) {
			val = xstrndup(aliasmap_val(&e->textmap, a), a->vlen);
			vlen = a->vlen;
			found = 1;
		}
	} else if (found < 0) {
		if (code == EXIT_TEMPFAIL) {
			set_answer(c, CA_TEMPFAIL, SRC_ALIAS, 0, "", err, strlen(err));
			return 1;
		}
		ctx_warn(e->ctx, "%s", err);
		found = 0;
	}
	/* The extra maps (virtual_alias_maps, virtusertable) map whole addresses. */
	for (const char *p = cfg->aliases.maps; found == 0 && *p != '\0';) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ", \t");
		if (n == 0)
			break;
		char *item = xstrndup(p, n);
		p += n;
		char *path = strchr(item, ':') != NULL && item[0] != '/' ? strchr(item, ':') + 1 : item;
		size_t pl = strlen(path);
		char *file = pl > 3 && strcmp(path + pl - 3, ".db") == 0 ? xstrdup(path) : xasprintf("%s.db", path);
		found = aliasdb_get(file, wait, c->addr, strlen(c->addr), &val, &vlen, &code, err, sizeof(err));
		if (found == 0) {
			/* the domain's catch-all, as virtusertable and virtual(5) have it */
			char *at = xasprintf("@%s", c->domain);
			found = aliasdb_get(file, wait, at, strlen(at), &val, &vlen, &code, err, sizeof(err));
			free(at);
		}
		if (found < 0)
			found = 0;
		free(file);
		free(item);
	}
	if (found > 0) {
		struct buf t;
		buf_init(&t);
		buf_adds(&t, "alias of ");
		buf_add(&t, val, vlen);
		set_answer(c, CA_VALID, SRC_ALIAS, 0, "", t.data, t.len);
		buf_free(&t);
		free(val);
		snprintf(c->server, sizeof(c->server), "local");
		return 1;
	}
	free(val);
	if (getpwnam(c->local) != NULL) {
		set_answer(c, CA_VALID, SRC_USER, 0, "", "local user", 10);
		snprintf(c->server, sizeof(c->server), "local");
		return 1;
	}
	return 0;
}

/* ---- where to connect ---- */

static void dns_answer(void *arg, const struct dns_mx_result *r)
{
	struct check *c = arg;

	c->dq = NULL;
	if (c->phase == PH_DONE)
		return;
	if (c->via_host && (r->status == DNS_NXDOMAIN || r->status == DNS_NOADDR)) {
		/* About the configured server's name, not the recipient's domain. */
		set_answer(c, CA_ERROR, SRC_PROBE, 0, "", r->why, strlen(r->why));
		check_done(c);
		return;
	}
	switch (r->status) {
	case DNS_NXDOMAIN:
		set_answer(c, CA_NO_DOMAIN, SRC_PROBE, 0, "", "no such domain (NXDOMAIN)", 25);
		check_done(c);
		return;
	case DNS_NULLMX:
		set_answer(c, CA_NO_MAIL, SRC_PROBE, 0, "", "the domain accepts no mail (null MX)", 36);
		check_done(c);
		return;
	case DNS_NOADDR:
		set_answer(c, CA_NO_MAIL, SRC_PROBE, 0, "", "no MX and no address for the domain", 35);
		check_done(c);
		return;
	case DNS_NONE:
		set_answer(c, CA_ERROR, SRC_PROBE, 0, "", r->why, strlen(r->why));
		check_done(c);
		return;
	case DNS_FAIL:
		set_answer(c, CA_TEMPFAIL, SRC_PROBE, 0, "", r->why, strlen(r->why));
		check_done(c);
		return;
	case DNS_OK:
		break;
	}
	c->nt = r->n;
	memcpy(c->t, r->targets, r->n * sizeof(r->targets[0]));
	c->ti = 0;
	c->phase = PH_SMTP;
	if (c->nt == 0) {
		set_answer(c, CA_TEMPFAIL, SRC_PROBE, 0, "", "no address to try", 17);
		check_done(c);
		return;
	}
	start_smtp(c);
}

static void deadline_hit(void *arg)
{
	struct check *c = arg;
	char t[96];

	int n = snprintf(t, sizeof(t), "no answer within probe_timeout (%d s)", c->e->cfg->callahead.probe_timeout);
	set_answer(c, CA_TEMPFAIL, SRC_PROBE, 0, "", t, (size_t)n);
	check_done(c);
}

/* ---- sessions ---- */

static struct server *server_for(struct engine *e, const struct dns_target *t)
{
	char key[96];

	snprintf(key, sizeof(key), "%s/%u", t->ip, (unsigned)(t->sa.ss_family == AF_INET6
								      ? ntohs(((const struct sockaddr_in6 *)&t->sa)->sin6_port)
								      : ntohs(((const struct sockaddr_in *)&t->sa)->sin_port)));
	for (struct server *s = e->servers; s != NULL; s = s->next)
		if (strcmp(s->key, key) == 0)
			return s;
	struct server *s = xcalloc(1, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->next = e->servers;
	e->servers = s;
	return s;
}

static void on_answer(void *arg, void *tag, const struct smtp_answer *a)
{
	struct sess_ctx *sc = arg;
	struct check *c = tag;

	c->in = NULL;
	if (c->phase == PH_DONE)
		return;
	set_answer(c, a->state, SRC_PROBE, a->code, a->dsn, a->text, a->textlen);
	snprintf(c->server, sizeof(c->server), "%s [%s]", sc->t.host, sc->t.ip);
	snprintf(c->host, sizeof(c->host), "%s", sc->t.host);
	if (a->transcript != NULL) {
		buf_reset(&c->transcript);
		buf_add(&c->transcript, a->transcript, a->transcript_len);
	}
	check_done(c);
}

static void on_left(void *arg, void *tag)
{
	struct sess_ctx *sc = arg;

	sc->left = xrealloc(sc->left, (sc->nleft + 1) * sizeof(*sc->left));
	sc->left[sc->nleft++] = tag;
}

static void server_pump(struct engine *e, struct server *srv);

static void on_end(void *arg, const struct smtp_end *end)
{
	struct sess_ctx *sc = arg;
	struct engine *e = sc->e;
	struct server *srv = sc->srv;

	for (size_t i = 0; i < srv->ns; i++)
		if (srv->s[i] == sc) {
			srv->s[i] = srv->s[--srv->ns];
			break;
		}
	e->nsess--;
	for (size_t i = 0; i < sc->nleft; i++) {
		struct check *c = sc->left[i];
		c->in = NULL;
		if (c->phase == PH_DONE)
			continue;
		if (end->transcript != NULL) {
			buf_reset(&c->transcript);
			buf_add(&c->transcript, end->transcript, end->transcript_len);
		}
		if (end->failed && end->code == 421 && !c->retried_421) {
			/* The server closed on us (a limit, a restart): once more in
			 * a new session before the next MX. */
			c->retried_421 = true;
			snprintf(c->why, sizeof(c->why), "%s", end->why);
			c->why_code = end->code;
			snprintf(c->why_dsn, sizeof(c->why_dsn), "%s", end->dsn != NULL ? end->dsn : "");
		} else if (end->failed) {
			/* This server could not answer: the next MX. */
			snprintf(c->why, sizeof(c->why), "%s", end->why);
			c->why_code = end->code;
			snprintf(c->why_dsn, sizeof(c->why_dsn), "%s", end->dsn != NULL ? end->dsn : "");
			c->refused = end->refused;
			snprintf(c->server, sizeof(c->server), "%s [%s]", sc->t.host, sc->t.ip);
			snprintf(c->host, sizeof(c->host), "%s", sc->t.host);
			c->ti++;
		}
		/* else the session stopped taking recipients: another one */
		start_smtp(c);
	}
	free(sc->left);
	free(sc);
	server_pump(e, srv);
}

static struct sess_ctx *new_session(struct engine *e, struct server *srv, const struct dns_target *t)
{
	struct sess_ctx *sc = xcalloc(1, sizeof(*sc));

	sc->e = e;
	sc->srv = srv;
	sc->t = *t;
	srv->s = xrealloc(srv->s, (srv->ns + 1) * sizeof(*srv->s));
	srv->s[srv->ns++] = sc;
	e->nsess++;
	sc->sess = smtp_sess_new(e->loop, (const struct sockaddr *)&t->sa, t->salen, t->host, &e->so, on_answer, on_left,
				 on_end, sc);
	return sc;
}

/* Gives waiting checks to sessions of srv, opening new ones up to per_server. */
static void server_pump(struct engine *e, struct server *srv)
{
	while (srv->wait != NULL) {
		struct check *c = srv->wait;
		struct sess_ctx *use = NULL;
		size_t least = (size_t)-1;
		for (size_t i = 0; i < srv->ns; i++) {
			size_t p = smtp_sess_pending(srv->s[i]->sess);
			if (smtp_sess_accepting(srv->s[i]->sess) && p < least) {
				use = srv->s[i];
				least = p;
			}
		}
		/* Another session when each has a few recipients waiting and the
		 * limit allows: one pipelining session takes many at once. */
		if ((use == NULL || least >= SESSION_QUEUE) && srv->ns < (size_t)e->per_server)
			use = new_session(e, srv, &c->t[c->ti]);
		if (use == NULL)
			return;
		srv->wait = c->wnext;
		if (srv->wait == NULL)
			srv->wait_tail = NULL;
		c->wnext = NULL;
		if (c->phase == PH_DONE)
			continue;
		if (smtp_sess_rcpt(use->sess, c->addr, c)) {
			c->in = use;
		} else {
			/* it stopped taking recipients meanwhile: queue again */
			c->wnext = srv->wait;
			srv->wait = c;
			if (srv->wait_tail == NULL)
				srv->wait_tail = c;
			if (srv->ns >= (size_t)e->per_server)
				return;
		}
	}
	/* Nothing waits: sessions with nothing to do say QUIT. */
	for (size_t i = 0; i < srv->ns; i++)
		if (smtp_sess_pending(srv->s[i]->sess) == 0 && e->next >= e->n)
			smtp_sess_close(srv->s[i]->sess);
}

static void start_smtp(struct check *c)
{
	struct engine *e = c->e;

	if (c->phase == PH_DONE)
		return;
	if (c->phase != PH_SMTP) {
		/* Where to go: --server / [callahead] server, a route, else MX. */
		const char *srv = ctx_opt(e->ctx, "--server");
		if (srv == NULL || srv[0] == '\0')
			srv = e->cfg->callahead.server[0] != '\0' ? e->cfg->callahead.server : routes_find(e->routes, c->domain);
		c->phase = PH_DNS;
		if (e->dns == NULL) {
			set_answer(c, CA_TEMPFAIL, SRC_PROBE, 0, "", e->dns_err, strlen(e->dns_err));
			check_done(c);
			return;
		}
		c->via_host = srv != NULL;
		if (srv != NULL) {
			char host[256];
			int port = hostport_split(srv, e->cfg->callahead.mx_port, host, sizeof(host));
			c->dq = dns_host(e->loop, e->dns, host, port, dns_answer, c);
		} else {
			c->dq = dns_mx(e->loop, e->dns, c->domain, e->cfg->callahead.mx_port, e->cfg->callahead.allow_private,
				       dns_answer, c);
		}
		return;
	}
	if (c->ti >= c->nt) {
		/* Every address tried: the last reason. */
		set_answer(c, CA_TEMPFAIL, SRC_PROBE, c->why_code, c->why_dsn, c->why, strlen(c->why));
		check_done(c);
		return;
	}
	struct server *srv = server_for(e, &c->t[c->ti]);
	if (srv->wait_tail != NULL)
		srv->wait_tail->wnext = c;
	else
		srv->wait = c;
	srv->wait_tail = c;
	server_pump(e, srv);
}

/* ---- the engine ---- */

static void engine_pump(struct engine *e);

static void check_start(struct check *c)
{
	struct engine *e = c->e;

	c->started = true;
	c->t0 = util_now_ms();
	e->active++;
	const char *at = strrchr(c->addr, '@');
	if (at == NULL || at == c->addr || at[1] == '\0' || strlen(c->addr) > 320 ||
	    strpbrk(c->addr, " \t\r\n<>") != NULL) {
		set_answer(c, CA_ERROR, SRC_NONE, 0, "", "not an address (local@domain)", 29);
		check_done(c);
		return;
	}
	c->local = xstrndup(c->addr, (size_t)(at - c->addr));
	c->domain = xstrdup(at + 1);
	for (char *p = c->domain; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (local_lookup(c)) {
		check_done(c);
		return;
	}
	c->deadline = loop_timer_add(e->loop, (unsigned)e->cfg->callahead.probe_timeout * 1000u, false, deadline_hit, c);
	if (e->cache_ok && !c->no_cache)
		cache_lookup(c);
	else
		start_smtp(c);
}

static void check_done(struct check *c)
{
	struct engine *e = c->e;

	if (c->phase == PH_DONE)
		return;
	c->phase = PH_DONE;
	c->ms = util_now_ms() - c->t0;
	if (c->dq != NULL) {
		dns_cancel(c->dq);
		c->dq = NULL;
	}
	if (c->deadline != NULL) {
		loop_timer_del(c->deadline);
		c->deadline = NULL;
	}
	if (c->source == SRC_PROBE && e->cache_ok && !c->no_cache)
		cache_store(c);
	e->active--;
	e->done++;
	if (e->on_done != NULL)
		e->on_done(e, c);
	engine_pump(e);
}

static void engine_pump(struct engine *e)
{
	while (e->next < e->n && e->active < (size_t)e->jobs)
		check_start(e->c[e->next++]);
	if (e->next >= e->n)
		for (struct server *s = e->servers; s != NULL; s = s->next)
			for (size_t i = 0; i < s->ns; i++)
				if (smtp_sess_pending(s->s[i]->sess) == 0)
					smtp_sess_close(s->s[i]->sess);
}

static struct check *engine_add(struct engine *e, const char *addr)
{
	struct check *c = xcalloc(1, sizeof(*c));

	c->e = e;
	c->addr = xstrdup(addr);
	c->no_cache = e->no_cache;
	c->cache_age = c->cache_ttl = -2;
	buf_init(&c->text);
	buf_init(&c->transcript);
	buf_init(&c->rval);
	buf_init(&c->dval);
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->c = xrealloc(e->c, e->cap * sizeof(*e->c));
	}
	e->c[e->n++] = c;
	return c;
}

static int engine_init(struct engine *e, struct ctx *ctx, struct loop *loop)
{
	const struct config *cfg = ctx_config(ctx);
	char err[512];

	memset(e, 0, sizeof(*e));
	e->ctx = ctx;
	e->cfg = cfg;
	e->console = ctx_console(ctx) && loop != NULL;
	if (loop == NULL) {
		e->loop = loop_new(err, sizeof(err));
		if (e->loop == NULL)
			return ctx_error(ctx, EXIT_SOFTWARE, "%s", err);
		e->own_loop = true;
	} else {
		e->loop = loop;
	}
	e->dns = loop_dns(e->loop, cfg->dns.servers, cfg->dns.timeout_ms, cfg->dns.tries, e->dns_err,
			  sizeof(e->dns_err));
	const char *helo = ctx_opt(ctx, "--helo");
	if (helo == NULL || helo[0] == '\0')
		helo = cfg->callahead.helo;
	if (helo[0] == '\0') {
		if (gethostname(e->helo, sizeof(e->helo) - 1) != 0 || e->helo[0] == '\0')
			snprintf(e->helo, sizeof(e->helo), "localhost");
	} else {
		snprintf(e->helo, sizeof(e->helo), "%s", helo);
	}
	const char *from = ctx_opt(ctx, "--from");
	if (from == NULL)
		from = cfg->callahead.from;
	/* "<>" and "<a@b>" as well as "a@b". */
	size_t fl = strlen(from);
	if (fl >= 2 && from[0] == '<' && from[fl - 1] == '>')
		snprintf(e->from, sizeof(e->from), "%.*s", (int)(fl - 2), from + 1);
	else
		snprintf(e->from, sizeof(e->from), "%s", from);
	e->so = (struct smtp_opts){
		.helo = e->helo,
		.from = e->from,
		.starttls = cfg->callahead.starttls,
		.connect_ms = cfg->callahead.connect_timeout * 1000,
		.reply_ms = cfg->callahead.reply_timeout * 1000,
		.quit_ms = cfg->callahead.quit_timeout * 1000,
		.accept_all_probe = cfg->callahead.accept_all_probe || ctx_flag(ctx, "--accept-all-probe"),
		.transcript = true,
	};
	e->no_cache = ctx_flag(ctx, "--no-cache");
	e->jobs = cfg->callahead.concurrency;
	const char *j = ctx_opt(ctx, "--jobs");
	if (j != NULL) {
		char *end;
		long v = strtol(j, &end, 10);
		if (*end != '\0' || v < 1 || v > 10000)
			return ctx_error(ctx, EXIT_USAGE, "-j %s: a number from 1 to 10000", j);
		e->jobs = (int)v;
	}
	e->per_server = cfg->callahead.per_server > 0 ? cfg->callahead.per_server : 1;
	if (mc_pool_init(&e->pool, cfg->cache.servers, cfg->cache.hash, cfg->cache.ketama_points, cfg->cache.namespace_,
			 err, sizeof(err)) == 0) {
		e->cache_ok = true;
		e->mc = xcalloc(e->pool.n, sizeof(*e->mc));
		e->dead_until = xcalloc(e->pool.n, sizeof(*e->dead_until));
	} else {
		ctx_warn(ctx, "%s", err);
	}
	e->db = cfg->aliases.db[0] != '\0' ? xstrdup(cfg->aliases.db)
					    : aliasdb_discover("/etc/mail/sendmail.cf", "/etc/postfix/main.cf");
	if (cfg->aliases.text[0] != '\0') {
		e->text = xstrdup(cfg->aliases.text);
	} else {
		size_t n = strlen(e->db);
		e->text = n > 3 && strcmp(e->db + n - 3, ".db") == 0 ? xstrndup(e->db, n - 3) : xasprintf("%s.txt", e->db);
	}
	aliasmap_init(&e->textmap);
	char rerr[512];
	e->routes = routes_load(cfg->callahead.routes, rerr, sizeof(rerr));
	if (e->routes == NULL)
		ctx_warn(e->ctx, "%s", rerr);
	return 0;
}

static bool engine_busy(const struct engine *e)
{
	return e->done < e->n || e->nsess > 0 || e->cache_ops > 0;
}

static void engine_free(struct engine *e)
{
	for (struct server *s = e->servers, *n; s != NULL; s = n) {
		n = s->next;
		for (size_t i = 0; i < s->ns; i++) {
			smtp_sess_abort(s->s[i]->sess);
			free(s->s[i]->left);
			free(s->s[i]);
		}
		free(s->s);
		free(s);
	}
	for (size_t i = 0; i < e->n; i++) {
		struct check *c = e->c[i];
		if (c->dq != NULL)
			dns_cancel(c->dq);
		loop_timer_del(c->deadline);
		free(c->addr);
		free(c->domain);
		free(c->local);
		buf_free(&c->text);
		buf_free(&c->transcript);
		buf_free(&c->rval);
		buf_free(&c->dval);
		free(c);
	}
	free(e->c);
	if (e->mc != NULL)
		for (size_t i = 0; i < e->pool.n; i++)
			mc_conn_free(e->mc[i]);
	free(e->mc);
	free(e->dead_until);
	if (e->cache_ok)
		mc_pool_free(&e->pool);
	routes_free(e->routes);
	aliasmap_free(&e->textmap);
	free(e->db);
	free(e->text);
	if (e->own_loop)
		loop_free(e->loop);
}

/* ---- batch: check ---- */

static const struct column check_columns[] = {
	{ "address", "Address", COL_TEXT, 28, 0 },
	{ "state", "State", COL_TEXT, 14, 0 },
	{ "code", "Code", COL_INT, 4, 0 },
	{ "dsn", "DSN", COL_TEXT, 7, 0 },
	{ "server", "Server", COL_TEXT, 26, 0 },
	{ "source", "Source", COL_TEXT, 6, 0 },
	{ "elapsed_ms", "ms", COL_INT, 6, 0 },
	{ "text", "Text", COL_TEXT, 0, 0 },
	{ "cache_age_s", "Age", COL_INT, 6, 0 },
	{ "cache_ttl_s", "TTL", COL_INT, 7, 0 },
	{ "transcript", "Transcript", COL_TEXT, 0, 0 },
};
enum { NCOLS_BASE = 10, NCOLS_TRANSCRIPT = 11 };

static enum role state_role(enum ca_state s)
{
	switch (s) {
	case CA_VALID:
	case CA_ACCEPT_ALL: return ROLE_OK;
	case CA_INVALID:
	case CA_NO_DOMAIN:
	case CA_NO_MAIL: return ROLE_FAIL;
	default: return ROLE_WARN;
	}
}

static void check_cells(const struct check *c, struct cell *cells)
{
	cells[0] = cell_str(c->addr);
	cells[1] = cell_role(cell_str(ca_state_name(c->state)), state_role(c->state));
	cells[2] = cell_num(c->code);
	cells[2].null = c->code == 0;
	cells[3] = cell_str(c->dsn);
	cells[3].null = c->dsn[0] == '\0';
	cells[4] = cell_str(c->server);
	cells[4].null = c->server[0] == '\0';
	cells[5] = cell_str(src_names[c->source]);
	cells[5].null = c->source == SRC_NONE;
	cells[6] = cell_num(c->ms);
	cells[7] = cell_bytes(c->text.data, c->text.len);
	cells[8] = cell_num(c->cache_age);
	cells[8].null = c->cache_age == -2;
	cells[9] = cell_num(c->cache_ttl);
	cells[9].null = c->cache_ttl == -2;
	if (c->cache_ttl == -1) {
		cells[9].text = "never"; /* text form only; tsv/json keep -1 */
		cells[9].len = 5;
	}
	cells[10] = cell_bytes(c->transcript.data, c->transcript.len);
	cells[10].null = c->transcript.len == 0;
}

struct batch {
	size_t emitted;
	bool transcript;
	int ninvalid, nother;
};

/* Rows in the order given, each as soon as it and those before it are done. */
static void batch_done(struct engine *e, struct check *c)
{
	struct batch *b = e->arg;

	(void)c;
	while (b->emitted < e->n && e->c[b->emitted]->phase == PH_DONE) {
		struct check *d = e->c[b->emitted++];
		struct cell cells[NCOLS_TRANSCRIPT];
		check_cells(d, cells);
		out_row(e->ctx, cells);
		if (b->transcript && ctx_format(e->ctx) == FORMAT_TEXT) {
			for (size_t i = 0; i < d->transcript.len;) {
				size_t n = strcspn(d->transcript.data + i, "\n");
				out_line(e->ctx, d->transcript.data + i, n);
				i += n + 1;
			}
		}
		if (d->state == CA_INVALID || d->state == CA_NO_DOMAIN || d->state == CA_NO_MAIL)
			b->ninvalid++;
		else if (d->state != CA_VALID && d->state != CA_ACCEPT_ALL)
			b->nother++;
	}
}

static int cmd_check(struct ctx *ctx, int argc, char **argv)
{
	struct engine e;
	struct batch b = { 0 };
	int rc = engine_init(&e, ctx, NULL);

	if (rc != 0)
		return rc;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			char *line = NULL;
			size_t cap = 0;
			ssize_t n;
			while ((n = getline(&line, &cap, stdin)) > 0) {
				while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
					line[--n] = '\0';
				char *p = line;
				while (*p == ' ' || *p == '\t')
					p++;
				if (*p != '\0' && *p != '#')
					engine_add(&e, p);
			}
			free(line);
		} else {
			engine_add(&e, argv[i]);
		}
	}
	if (e.n == 0) {
		engine_free(&e);
		return ctx_error(ctx, EXIT_USAGE, "no address to check");
	}
	b.transcript = ctx_flag(ctx, "--transcript");
	e.so.transcript = b.transcript;
	e.arg = &b;
	e.on_done = batch_done;
	/* With --transcript the text form is the row, then its dialogue. */
	out_begin(ctx, check_columns,
		  b.transcript && ctx_format(ctx) != FORMAT_TEXT ? NCOLS_TRANSCRIPT : NCOLS_BASE);
	if (b.transcript && ctx_format(ctx) == FORMAT_TEXT)
		out_spool(ctx, false);
	engine_pump(&e);
	while (engine_busy(&e))
		loop_once(e.loop, true);
	out_end(ctx);
	engine_free(&e);
	return b.ninvalid > 0 ? EXIT_NEGATIVE : b.nother > 0 ? EXIT_TEMPFAIL : EXIT_OK;
}

/* ---- batch: mx ---- */

static const struct column mx_columns[] = {
	{ "pref", "Pref", COL_INT, 5, 0 },
	{ "host", "Host", COL_TEXT, 28, 0 },
	{ "addresses", "Addresses", COL_TEXT, 30, 0 },
	{ "try", "Try", COL_TEXT, 6, 0 },
	{ "skipped", "Skipped", COL_TEXT, 0, 0 },
	{ "lookup_ms", "ms", COL_INT, 5, 0 },
	{ "status", "Status", COL_TEXT, 12, 0 },
};

struct mxrun {
	struct ctx *ctx;
	bool done;
	int rc;
};

static void mx_answer(void *arg, const struct dns_mx_result *r)
{
	struct mxrun *m = arg;
	struct ctx *ctx = m->ctx;

	m->done = true;
	switch (r->status) {
	case DNS_NXDOMAIN: m->rc = ctx_error(ctx, EXIT_NEGATIVE, "no such domain (NXDOMAIN)"); return;
	case DNS_NULLMX: m->rc = ctx_error(ctx, EXIT_NEGATIVE, "the domain accepts no mail (null MX)"); return;
	case DNS_NOADDR: m->rc = ctx_error(ctx, EXIT_NEGATIVE, "no MX and no address for the domain"); return;
	case DNS_FAIL: m->rc = ctx_error(ctx, EXIT_TEMPFAIL, "%s", r->why); return;
	default: break;
	}
	out_begin(ctx, mx_columns, 7);
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct dns_host *h = &r->hosts[i];
		char try[64] = "";
		size_t tl = 0;
		for (size_t k = 0; k < r->n; k++)
			if (strcmp(r->targets[k].host, h->host) == 0 && tl < sizeof(try) - 4)
				tl += (size_t)snprintf(try + tl, sizeof(try) - tl, "%s%zu", tl ? " " : "", k + 1);
		struct cell cells[7] = {
			cell_num(h->pref),
			cell_str(h->host),
			cell_str(h->addrs),
			cell_str(try),
			cell_str(h->skipped),
			cell_num(h->ms),
			cell_str(h->status == 0 ? "ok" : "lookup failed"),
		};
		cells[0].null = h->pref < 0;
		cells[3].null = try[0] == '\0';
		cells[4].null = h->skipped[0] == '\0';
		out_row(ctx, cells);
	}
	out_end(ctx);
	if (r->status == DNS_NONE)
		m->rc = ctx_error(ctx, EXIT_UNAVAILABLE, "%s", r->why);
	else
		m->rc = EXIT_OK;
}

static int cmd_mx(struct ctx *ctx, int argc, char **argv)
{
	const struct config *cfg = ctx_config(ctx);
	char err[512];
	struct mxrun m = { ctx, false, 0 };

	(void)argc;
	struct loop *l = loop_new(err, sizeof(err));
	if (l == NULL)
		return ctx_error(ctx, EXIT_SOFTWARE, "%s", err);
	struct ares_channeldata *dns = loop_dns(l, cfg->dns.servers, cfg->dns.timeout_ms, cfg->dns.tries, err, sizeof(err));
	if (dns == NULL) {
		loop_free(l);
		return ctx_error(ctx, EXIT_CONFIG, "%s", err);
	}
	dns_mx(l, dns, argv[0], cfg->callahead.mx_port, cfg->callahead.allow_private, mx_answer, &m);
	while (!m.done)
		loop_once(l, true);
	loop_free(l);
	return m.rc;
}

/* ---- the Callahead tab ---- */

/*
 * Checks typed in the console run on the console's own loop: each is a row
 * (newest first) that shows its step and time while it runs and its
 * answer when it ends. Nothing here waits: DNS, SMTP and the cache answer
 * through callbacks, so a hanging server holds only its own row.
 */
struct caview {
	struct ctx *ctx;
	struct engine e;
	bool ok;
	char err[512];
	struct loop_timer *tick;
	char header[512];
	char cell_ms[32];
	char cell_state[64];
	struct buf scratch;
	struct check *del; /* the row whose cache entry a 'x' question is about */
	size_t del_srv;    /* the server its delete went to */
	unsigned gen, seen; /* rows added or answered / as the list last saw them */
};

/* The batch columns without the cache's (Enter shows them), the text
 * last, where it has the width left. */
static const struct column view_columns[] = {
	{ "address", "Address", COL_TEXT, 26, 0 },
	{ "state", "State", COL_TEXT, 13, 0 },
	{ "code", "Code", COL_INT, 4, 0 },
	{ "dsn", "DSN", COL_TEXT, 7, 0 },
	{ "server", "Server", COL_TEXT, 24, 0 },
	{ "source", "Source", COL_TEXT, 6, 0 },
	{ "elapsed_ms", "ms", COL_INT, 6, 0 },
	{ "text", "Text", COL_TEXT, 0, 0 },
};
enum { NCOLS_VIEW = 8 };

static const char *const phase_names[] = { "queued", "cache", "dns", "smtp", "" };

static void caview_done(struct engine *e, struct check *c)
{
	struct caview *v = e->arg;

	(void)c;
	v->gen++;
	ctx_dirty(v->ctx);
}

static void caview_tick(void *arg)
{
	struct caview *v = arg;

	if (v->e.done < v->e.n)
		ctx_dirty(v->ctx);
}

static int caview_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct caview *v = xcalloc(1, sizeof(*v));

	v->ctx = ctx;
	buf_init(&v->scratch);
	if (engine_init(&v->e, ctx, ctx_loop(ctx)) != 0) {
		errf(err, errlen, EXIT_CONFIG, "the callahead engine could not start");
		buf_free(&v->scratch);
		free(v);
		return EXIT_CONFIG;
	}
	v->e.arg = v;
	v->e.on_done = caview_done;
	v->tick = loop_timer_add(ctx_loop(ctx), 250, true, caview_tick, v);
	*state = v;
	return 0;
}

static const struct column *caview_columns(void *state, int *n)
{
	(void)state;
	*n = NCOLS_VIEW;
	return view_columns;
}

static size_t caview_count(void *state)
{
	struct caview *v = state;

	return v->e.n;
}

static struct check *caview_check(struct caview *v, size_t i)
{
	return i < v->e.n ? v->e.c[v->e.n - 1 - i] : NULL;
}

static void caview_row(void *state, size_t i, struct cell *cells)
{
	struct caview *v = state;
	struct check *c = caview_check(v, i);

	struct cell b[NCOLS_TRANSCRIPT];
	check_cells(c, b);
	memcpy(cells, b, NCOLS_VIEW * sizeof(*cells));
	if (c->phase != PH_DONE) {
		/* Still running: the step it is at, and the time so far. */
		snprintf(v->cell_state, sizeof(v->cell_state), "%s...", c->started ? phase_names[c->phase] : "queued");
		cells[1] = cell_role(cell_str(v->cell_state), ROLE_DIM);
		cells[6] = cell_num(c->started ? util_now_ms() - c->t0 : 0);
		cells[7] = cell_str(c->phase == PH_SMTP && c->ti < c->nt ? c->t[c->ti].host : "");
		cells[5].null = true;
	}
}

static const char *caview_header(void *state)
{
	struct caview *v = state;
	const struct config *cfg = v->e.cfg;
	size_t running = v->e.n - v->e.done, valid = 0, invalid = 0, other = 0;

	for (size_t i = 0; i < v->e.n; i++) {
		const struct check *c = v->e.c[i];
		if (c->phase != PH_DONE)
			continue;
		if (c->state == CA_VALID || c->state == CA_ACCEPT_ALL)
			valid++;
		else if (c->state == CA_INVALID || c->state == CA_NO_DOMAIN || c->state == CA_NO_MAIL)
			invalid++;
		else
			other++;
	}
	snprintf(v->header, sizeof(v->header), "%zu checks, %zu running: %zu valid, %zu invalid, %zu other  server: %s  cache: %s",
		 v->e.n, running, valid, invalid, other,
		 cfg->callahead.server[0] != '\0' ? cfg->callahead.server : "MX of the domain",
		 v->e.cache_ok ? (cfg->cache.servers[0] != '\0' ? cfg->cache.servers : "127.0.0.1:11211") : "off");
	if (v->e.n == 0)
		snprintf(v->header + strlen(v->header), sizeof(v->header) - strlen(v->header),
			 "  -- press a to check an address");
	return v->header;
}

static void caview_add(struct caview *v, const char *text, bool no_cache)
{
	for (const char *p = text; *p != '\0';) {
		while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t')
			p++;
		size_t n = strcspn(p, " ,;\t");
		if (n == 0)
			break;
		char *a = xstrndup(p, n);
		p += n;
		struct check *c = engine_add(&v->e, a);
		c->no_cache = c->no_cache || no_cache;
		free(a);
	}
	v->gen++;
	engine_pump(&v->e);
	ctx_select_row(v->ctx, 0);
	ctx_dirty(v->ctx);
}

static void caview_asked(void *arg, const char *text)
{
	struct caview *v = arg;

	if (text[0] == '\0')
		return;
	caview_add(v, text, false);
	/* Stay in the prompt: pasted lines each become a check; Esc leaves. */
	ctx_ask(v->ctx, "Address (Esc ends): ", caview_asked, v);
}

static void del_done(void *arg, int status, const char *why)
{
	struct caview *v = arg;

	if (status != MC_OK) {
		mark_dead(&v->e, v->del_srv, status);
		ctx_error(v->ctx, EXIT_TEMPFAIL, "cache delete failed: %s (x again asks the next server of its chain)", why);
	}
	else if (strncmp(why, "1 ", 2) == 0)
		ctx_warn(v->ctx, "cache entry deleted");
	else
		ctx_warn(v->ctx, "no cache entry to delete (it was gone)");
	ctx_dirty(v->ctx);
}

/* The entry the row's answer is (or would be) cached under. */
static char entry_kind(const struct check *c)
{
	return c->state == CA_ACCEPT_ALL || (c->source == SRC_CACHE && c->state == CA_TEMPFAIL) ? 'd' : 'r';
}

static void caview_del_yes(void *arg)
{
	struct caview *v = arg;
	struct check *c = v->del;
	struct buf k, w;

	if (c == NULL)
		return;
	buf_init(&k);
	buf_init(&w);
	char kind = entry_kind(c);
	cache_key(&v->e, kind, kind == 'd' ? c->domain : c->addr, &k);
	size_t srv = wire_key(&v->e, &k, &w);
	const char *keys[1] = { w.data };
	size_t lens[1] = { w.len };
	v->del_srv = srv;
	mc_mdel(cache_conn(&v->e, srv), keys, lens, 1, del_done, v);
	syslog(LOG_MAIL | LOG_NOTICE, "mailops: callahead: deleted the cache entry %s", k.data);
	buf_free(&k);
	buf_free(&w);
}

static int caview_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct caview *v = state;
	struct check *c = sel != (size_t)-1 ? caview_check(v, sel) : NULL;

	if (key == 'a') {
		ctx_ask(ctx, "Address (Esc ends): ", caview_asked, v);
		return VIEW_USED;
	}
	if (key == 'c' && c != NULL) {
		caview_add(v, c->addr, true);
		return VIEW_DIRTY;
	}
	if (key == 'R' && c != NULL) {
		caview_add(v, c->addr, false);
		return VIEW_DIRTY;
	}
	if (key == 'x' && c != NULL) {
		if (!v->e.cache_ok || c->domain == NULL) {
			ctx_error(ctx, EXIT_USAGE, "no cache entry for this row");
			return VIEW_USED;
		}
		struct buf k, w;
		char q[600];
		buf_init(&k);
		buf_init(&w);
		char kind = entry_kind(c);
		cache_key(&v->e, kind, kind == 'd' ? c->domain : c->addr, &k);
		size_t srv = wire_key(&v->e, &k, &w);
		snprintf(q, sizeof(q), "Delete the cache entry %s from %s?", k.data, mc_server_name(&v->e.pool.servers[srv]));
		v->del = c;
		ctx_confirm(ctx, q, caview_del_yes, v);
		buf_free(&k);
		buf_free(&w);
		return VIEW_USED;
	}
	return VIEW_UNUSED;
}

static char *caview_detail(void *state, size_t i)
{
	struct caview *v = state;
	struct check *c = caview_check(v, i);
	struct buf *b = &v->scratch;

	buf_reset(b);
	buf_addf(b, "address:  %s\n", c->addr);
	if (c->phase != PH_DONE) {
		buf_addf(b, "state:    running (%s, %lld ms so far)\n", phase_names[c->phase],
			 (long long)(c->started ? util_now_ms() - c->t0 : 0));
	} else {
		buf_addf(b, "state:    %s\nsource:   %s\n", ca_state_name(c->state), src_names[c->source]);
		if (c->code != 0)
			buf_addf(b, "reply:    %d %s\n", c->code, c->dsn);
		buf_addf(b, "server:   %s\nelapsed:  %lld ms\n", c->server, (long long)c->ms);
		buf_adds(b, "text:     ");
		buf_add(b, c->text.data, c->text.len);
		buf_addc(b, '\n');
		if (c->source == SRC_CACHE)
			buf_addf(b, "cached:   %lld s ago, TTL left %lld s\n", c->cache_age, c->cache_ttl);
	}
	for (size_t k = 0; k < c->nt; k++)
		buf_addf(b, "%s MX %zu: %s [%s]%s\n", k == 0 ? "\n" : "", k + 1, c->t[k].host, c->t[k].ip,
			 k == c->ti && c->phase == PH_SMTP ? "  <- now" : "");
	size_t tl = 0;
	const char *t = c->in != NULL ? smtp_sess_transcript(c->in->sess, &tl) : NULL;
	if (t == NULL) {
		t = c->transcript.data;
		tl = c->transcript.len;
	}
	if (tl > 0) {
		buf_adds(b, "\nSMTP dialogue (-> sent, <- received, ~ under TLS):\n");
		buf_add(b, t, tl);
	}
	return xstrdup(b->data);
}

static bool caview_poll(void *state)
{
	struct caview *v = state;
	bool changed = v->gen != v->seen;

	v->seen = v->gen;
	return changed;
}

static void caview_close(void *state)
{
	struct caview *v = state;

	loop_timer_del(v->tick);
	engine_free(&v->e);
	buf_free(&v->scratch);
	free(v);
}

static const struct key_help caview_keys[] = {
	{ "a", "check addresses (several per line; each Enter adds, Esc ends)" },
	{ "c", "check the selected address again, bypassing the cache" },
	{ "R", "check the selected address again" },
	{ "x", "delete the selected address's cache entry (asks first)" },
	{ "Enter", "the check's steps, MX walk and SMTP dialogue" },
	{ NULL, NULL },
};

static const struct view callahead_view = {
	.open = caview_open,
	.columns = caview_columns,
	.row_count = caview_count,
	.row = caview_row,
	.header = caview_header,
	.key = caview_key,
	.detail = caview_detail,
	.detail_live = true,
	.poll = caview_poll,
	.close = caview_close,
	.keys = caview_keys,
};

/* ---- the table ---- */

static const struct opt check_opts[] = {
	{ "--server", 0, "HOST[:PORT]", "ask this server instead of the MX" },
	{ "--from", 0, "ADDR", "envelope sender of the probe" },
	{ "--helo", 0, "NAME", "EHLO name" },
	{ "--no-cache", 0, NULL, "neither read nor write the cache" },
	{ "--accept-all-probe", 0, NULL, "also probe a random address to detect accept-all" },
	{ "--jobs", 'j', "N", "probes in parallel" },
	{ "--transcript", 0, NULL, "print the SMTP dialogue" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "check", "[OPTIONS] ADDR... | -", "ask the mail server whether recipients exist", check_opts, 1, -1,
	  cmd_check },
	{ "mx", "DOMAIN", "the mail exchangers a probe would use", NULL, 1, 1, cmd_mx },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_callahead = {
	.name = "callahead",
	.title = "Callahead",
	.default_verb = "check",
	.summary = "ask a mail server whether a recipient exists (SMTP callahead)",
	.commands = commands,
	.view = &callahead_view,
};

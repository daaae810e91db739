/*
 * plugins/cache.c: the memcached verification cache a mail filter fills
 * with recipient-verification results (DESIGN §7): stats, list, get,
 * locate, delete, flush, and the Cache tab.
 *
 * Every verb works on the whole pool through backend/mcclient.c, driving
 * one connection per server (and one more per server for metadumps) from
 * an event loop; a server that is down or slow is marked DOWN and the
 * others answer. Keys are given and shown without the namespace, which is
 * added on the wire. Destructive verbs print what they would do unless
 * --yes, and log what they did to syslog (LOG_MAIL).
 */
#include <ares.h>
#include <arpa/inet.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "plugin.h"

/* ---- a session with the pool ---- */

struct sess;

struct srv {
	struct sess *s;
	size_t i;
	struct mc_conn *cmd;  /* stats, mg, md, flush_all */
	struct mc_conn *dump; /* lru_crawler metadump: alone on its connection */
	bool down, refused;
	char why[300];
	struct alias_map st, settings, slabs, items; /* stats replies: name -> value */
	int64_t time;         /* the server's clock (stats "time"), 0 = unknown */
	int64_t time_at_ms;   /* our clock when it was read */
	/* list / flush */
	struct alias_map keys; /* flush: matching keys (wire form) -> size */
	int64_t bytes;
	size_t deleted, gone, errors;
	size_t sent;          /* flush: keys[0..sent) handed to md batches */
	/* list: schema rows waiting for their value, in the order asked */
	struct prow *q;
	size_t qhead, qlen, qcap;
	/* get / locate / del */
	struct mc_mg got;
	char *value;
	bool asked;
};

struct sess {
	struct ctx *ctx;
	const struct config *cfg;
	struct loop *loop;
	struct mc_pool pool;
	struct srv *srv;
	int pending;
	struct ares_channeldata *dns;
	/* list */
	const char *prefix, *glob;
	size_t rows;
	struct buf key;
	/* list, flush: dumped keys the text protocol cannot carry (not sent) */
	size_t unsendable;
	/* flush --yes: delete while the dump still streams */
	bool eager;
};

static bool needs_dns(const struct mc_pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct mc_server *m = &p->servers[i];
		unsigned char a[16];
		if (m->path != NULL || strcmp(m->host, "localhost") == 0)
			continue;
		if (inet_pton(AF_INET, m->host, a) != 1 && inet_pton(AF_INET6, m->host, a) != 1)
			return true;
	}
	return false;
}

static int sess_open(struct ctx *ctx, struct sess *s)
{
	char err[512];
	const struct config *cfg = ctx_config(ctx);

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->cfg = cfg;
	buf_init(&s->key);
	if (mc_pool_init(&s->pool, cfg->cache.servers, cfg->cache.hash, cfg->cache.ketama_points, cfg->cache.namespace_,
			 err, sizeof(err)) != 0)
		return ctx_error(ctx, EXIT_CONFIG, "%s", err);
	/* A loop of our own: verbs also run from the console's prompt, inside
	 * the console's loop, which cannot be re-entered. */
	s->loop = loop_new(err, sizeof(err));
	if (s->loop == NULL) {
		mc_pool_free(&s->pool);
		return ctx_error(ctx, EXIT_SOFTWARE, "%s", err);
	}
	if (needs_dns(&s->pool)) {
		s->dns = loop_dns(s->loop, cfg->dns.servers, cfg->dns.timeout_ms, cfg->dns.tries, err, sizeof(err));
		if (s->dns == NULL)
			ctx_warn(ctx, "%s", err);
	}
	s->srv = xcalloc(s->pool.n, sizeof(*s->srv));
	for (size_t i = 0; i < s->pool.n; i++) {
		s->srv[i].s = s;
		s->srv[i].i = i;
		aliasmap_init(&s->srv[i].st);
		aliasmap_init(&s->srv[i].settings);
		aliasmap_init(&s->srv[i].slabs);
		aliasmap_init(&s->srv[i].items);
		aliasmap_init(&s->srv[i].keys);
	}
	return 0;
}

static void sess_close(struct sess *s)
{
	for (size_t i = 0; i < s->pool.n; i++) {
		struct srv *v = &s->srv[i];
		mc_conn_free(v->cmd);
		mc_conn_free(v->dump);
		aliasmap_free(&v->st);
		aliasmap_free(&v->settings);
		aliasmap_free(&v->slabs);
		aliasmap_free(&v->items);
		aliasmap_free(&v->keys);
		free(v->q);
		free(v->value);
	}
	free(s->srv);
	mc_pool_free(&s->pool);
	loop_free(s->loop);
	buf_free(&s->key);
}

static struct mc_conn *cmd_conn(struct srv *v)
{
	const struct config *cfg = v->s->cfg;

	if (v->cmd == NULL)
		v->cmd = mc_conn_new(v->s->loop, &v->s->pool.servers[v->i], cfg->cache.connect_timeout_ms,
				     cfg->cache.read_timeout_ms, v->s->dns);
	return v->cmd;
}

static struct mc_conn *dump_conn(struct srv *v)
{
	const struct config *cfg = v->s->cfg;

	if (v->dump == NULL)
		v->dump = mc_conn_new(v->s->loop, &v->s->pool.servers[v->i], cfg->cache.connect_timeout_ms,
				      cfg->cache.read_timeout_ms, v->s->dns);
	return v->dump;
}

static void sess_wait(struct sess *s)
{
	while (s->pending > 0)
		loop_once(s->loop, true);
}

/* A request of server v ended. */
static void srv_done(void *arg, int status, const char *why)
{
	struct srv *v = arg;

	v->s->pending--;
	if (status == MC_REFUSED) {
		v->refused = true;
		if (v->why[0] == '\0')
			snprintf(v->why, sizeof(v->why), "%s: %s", v->s->pool.servers[v->i].spec, why);
	} else if (status != MC_OK && !v->down) {
		v->down = true;
		snprintf(v->why, sizeof(v->why), "%s", why);
	}
}

static void stat_into(struct alias_map *m, const char *n, size_t nl, const char *val, size_t vl)
{
	aliasmap_put(m, n, nl, val, vl, 0);
}

static void st_row(void *arg, const char *n, size_t nl, const char *val, size_t vl)
{
	struct srv *v = arg;

	stat_into(&v->st, n, nl, val, vl);
	if (nl == 4 && memcmp(n, "time", 4) == 0) {
		v->time = strtoll(val, NULL, 10);
		v->time_at_ms = util_now_ms();
	}
}

static void settings_row(void *arg, const char *n, size_t nl, const char *val, size_t vl)
{
	stat_into(&((struct srv *)arg)->settings, n, nl, val, vl);
}

static void slabs_row(void *arg, const char *n, size_t nl, const char *val, size_t vl)
{
	stat_into(&((struct srv *)arg)->slabs, n, nl, val, vl);
}

static void items_row(void *arg, const char *n, size_t nl, const char *val, size_t vl)
{
	stat_into(&((struct srv *)arg)->items, n, nl, val, vl);
}

static void ask_stats(struct srv *v, const char *sub, mc_stat_fn row)
{
	v->s->pending++;
	mc_stats(cmd_conn(v), sub, row, srv_done, v);
}

/* A stat as a number (-1 when absent), and as text (NULL when absent). */
static const char *stat_str(struct alias_map *m, const char *name)
{
	const struct alias_ent *e = aliasmap_get(m, name, strlen(name));
	return e != NULL ? aliasmap_val(m, e) : NULL;
}

static long long stat_num(struct alias_map *m, const char *name)
{
	const char *v = stat_str(m, name);
	return v != NULL ? strtoll(v, NULL, 10) : -1;
}

/* The server's clock now, from the "time" it reported. */
static int64_t server_now(const struct srv *v)
{
	if (v->time == 0)
		return (int64_t)time(NULL);
	return v->time + (util_now_ms() - v->time_at_ms) / 1000;
}

/* After a pool operation: 0, 75 (some servers did not answer: warned), 69 (none did). */
static int pool_result(struct sess *s)
{
	size_t down = 0;

	for (size_t i = 0; i < s->pool.n; i++) {
		struct srv *v = &s->srv[i];
		if (v->down) {
			down++;
			ctx_warn(s->ctx, "%s is DOWN: %s", s->pool.servers[i].spec, v->why);
		} else if (v->refused) {
			ctx_warn(s->ctx, "%s", v->why);
		}
	}
	if (down == s->pool.n)
		return ctx_error(s->ctx, EXIT_UNAVAILABLE, "no memcached server answered");
	for (size_t i = 0; i < s->pool.n; i++)
		if (s->srv[i].refused)
			down++;
	return down > 0 ? EXIT_TEMPFAIL : EXIT_OK;
}

/* The wire key: the namespace, then the key. NULL (with an error) when
 * memcached could not carry it. */
static char *wire_key(struct sess *s, const char *key, size_t *len)
{
	char *w = xasprintf("%s%s", s->pool.ns, key);

	*len = strlen(w);
	if (!mc_key_ok(w, *len)) {
		ctx_error(s->ctx, EXIT_USAGE, "'%s': not a memcached key (1 to 250 bytes, no blanks or control bytes)", key);
		free(w);
		return NULL;
	}
	return w;
}

static void log_action(struct ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_action(struct ctx *ctx, const char *fmt, ...)
{
	struct passwd *pw = getpwuid(getuid());
	struct buf b;
	va_list ap;

	(void)ctx;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	openlog("mailops", LOG_PID, LOG_MAIL);
	syslog(LOG_NOTICE, "%s (by %s)", b.data, pw != NULL ? pw->pw_name : "?");
	closelog();
	buf_free(&b);
}

/* ---- values: Cache::Memcached's flags ---- */

enum { F_STORABLE = 1, F_COMPRESS = 2 };

/* The value as a person reads it: gunzipped (flag 2), hex when Storable
 * (flag 1). *enc says which. malloc'd. */
static char *decode_value(const char *v, size_t len, int64_t flags, const char **enc, size_t *outlen)
{
	struct buf b;

	buf_init(&b);
	*enc = "raw";
	if (flags > 0 && (flags & F_COMPRESS)) {
		z_stream z;
		unsigned char chunk[16384];
		int rc;

		memset(&z, 0, sizeof(z));
		/* 15+32: gzip (Cache::Memcached) or zlib (Cache::Memcached::Fast's deflate). */
		if (inflateInit2(&z, 15 + 32) == Z_OK) {
			z.next_in = (Bytef *)v;
			z.avail_in = (uInt)len;
			do {
				z.next_out = chunk;
				z.avail_out = sizeof(chunk);
				rc = inflate(&z, Z_NO_FLUSH);
				buf_add(&b, chunk, sizeof(chunk) - z.avail_out);
			} while (rc == Z_OK && b.len < 64 * 1024 * 1024);
			inflateEnd(&z);
			if (rc == Z_STREAM_END) {
				*enc = "gzip";
				v = b.data;
				len = b.len;
			} else {
				*enc = "gzip (corrupt)";
				buf_reset(&b);
			}
		}
	}
	if (flags > 0 && (flags & F_STORABLE)) {
		struct buf h;
		buf_init(&h);
		for (size_t i = 0; i < len && i < 4096; i++)
			buf_addf(&h, "%02x", (unsigned char)v[i]);
		if (len > 4096)
			buf_adds(&h, "...");
		*enc = strcmp(*enc, "gzip") == 0 ? "gzip+storable" : "storable";
		buf_free(&b);
		*outlen = h.len;
		return buf_take(&h);
	}
	char *out = xmalloc(len + 1);
	memcpy(out, v, len);
	out[len] = '\0';
	*outlen = len;
	buf_free(&b);
	return out;
}

/* Is key (without the namespace) a verification entry: <prefix>r: or <prefix>d:? */
static bool schema_key(const struct config *cfg, const char *k, size_t len)
{
	size_t pl = strlen(cfg->cache.prefix);

	/* r: recipient, d: domain, h: a key too long for memcached, hashed (DESIGN §7) */
	return len > pl + 2 && memcmp(k, cfg->cache.prefix, pl) == 0 && (k[pl] == 'r' || k[pl] == 'd' || k[pl] == 'h') &&
	       k[pl + 1] == ':';
}

/* A ttl_s cell: seconds, or -1 for never, which the text format words. */
static struct cell ttl_cell(long long ttl)
{
	struct cell c = cell_num(ttl);

	if (ttl == -1) {
		c.text = "never";
		c.len = 5;
	}
	return c;
}

/* Why a dumped key is not sent back in mg/md: the metadump URL-encodes
 * keys, so it shows keys stored over the binary protocol that a text
 * command line cannot carry (a blank, a control byte, CR LF). */
#define UNSENDABLE "memcached's text protocol cannot carry (a blank or control byte: stored over the binary protocol?)"

/* ---- stats ---- */

static const struct column stats_columns[] = {
	{ "server", "Server", COL_TEXT, 22, 0 },
	{ "state", "State", COL_TEXT, 5, 0 },
	{ "version", "Version", COL_TEXT, 7, 0 },
	{ "uptime_s", "Uptime", COL_INT, 8, 0 },
	{ "curr_items", "Items", COL_INT, 9, 0 },
	{ "bytes", "Bytes", COL_INT, 10, 0 },
	{ "limit_maxbytes", "Limit", COL_INT, 10, 0 },
	{ "fill_pct", "Fill%", COL_REAL, 6, 1 },
	{ "hit_pct", "Hit%", COL_REAL, 6, 1 },
	{ "get_hits", "Hits", COL_INT, 9, 0 },
	{ "get_misses", "Misses", COL_INT, 9, 0 },
	{ "evictions", "Evicted", COL_INT, 8, 0 },
	{ "reclaimed", "Reclaimed", COL_INT, 9, 0 },
	{ "expired_unfetched", "ExpUnf", COL_INT, 8, 0 },
	{ "evicted_unfetched", "EvUnf", COL_INT, 8, 0 },
	{ "curr_connections", "Conns", COL_INT, 6, 0 },
	{ "warning", "Warning", COL_TEXT, 0, 0 },
};
#define NSTATS ((int)(sizeof(stats_columns) / sizeof(stats_columns[0])))

static const struct column slab_columns[] = {
	{ "server", "Server", COL_TEXT, 22, 0 },
	{ "class", "#", COL_INT, 3, 0 },
	{ "chunk_size", "Item_Size", COL_INT, 9, 0 },
	{ "max_age_s", "Max_age", COL_INT, 8, 0 },
	{ "pages", "Pages", COL_INT, 6, 0 },
	{ "count", "Count", COL_INT, 9, 0 },
	{ "full", "Full?", COL_BOOL, 5, 0 },
	{ "evicted", "Evicted", COL_INT, 8, 0 },
	{ "evict_time_s", "Evict_Time", COL_INT, 10, 0 },
	{ "oom", "OOM", COL_INT, 5, 0 },
};

/* What a server's settings keep from working, in words (or ""). */
static void settings_warning(struct srv *v, struct buf *w)
{
	const char *crawler = stat_str(&v->settings, "lru_crawler");
	const char *dump = stat_str(&v->settings, "dump_enabled");
	const char *flush = stat_str(&v->settings, "flush_enabled");
	const char *ver = stat_str(&v->st, "version");

	buf_reset(w);
	if (ver != NULL && strncmp(ver, "1.6", 3) < 0 && strncmp(ver, "1.", 2) == 0)
		buf_adds(w, "memcached before 1.6: no meta commands (get/locate/del need them); ");
	if (crawler != NULL && strcmp(crawler, "yes") != 0)
		buf_adds(w, "lru_crawler is off: no key listing; ");
	if (dump != NULL && strcmp(dump, "yes") != 0)
		buf_adds(w, "metadump disabled (-X): no key listing; ");
	if (flush != NULL && strcmp(flush, "yes") != 0)
		buf_adds(w, "flush_all disabled (-F); ");
	if (w->len >= 2)
		w->len -= 2;
	buf_grow(w, 0);
}

static int cmd_stats(struct ctx *ctx, int argc, char **argv)
{
	struct sess s;
	bool slabs = ctx_flag(ctx, "--slabs");
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = sess_open(ctx, &s)) != 0)
		return rc;
	for (size_t i = 0; i < s.pool.n; i++) {
		ask_stats(&s.srv[i], "", st_row);
		ask_stats(&s.srv[i], "settings", settings_row);
		if (slabs) {
			ask_stats(&s.srv[i], "slabs", slabs_row);
			ask_stats(&s.srv[i], "items", items_row);
		}
	}
	sess_wait(&s);
	if (slabs) {
		out_begin(ctx, slab_columns, 10);
		for (size_t i = 0; i < s.pool.n; i++) {
			struct srv *v = &s.srv[i];
			if (v->down)
				continue;
			for (int cls = 1; cls <= 64; cls++) {
				char name[64];
				snprintf(name, sizeof(name), "%d:chunk_size", cls);
				long long chunk = stat_num(&v->slabs, name);
				if (chunk < 0)
					continue;
#define SLAB(field) (snprintf(name, sizeof(name), "%d:" field, cls), stat_num(&v->slabs, name))
#define ITEM(field) (snprintf(name, sizeof(name), "items:%d:" field, cls), stat_num(&v->items, name))
				long long pages = SLAB("total_pages"), free_chunks = SLAB("free_chunks");
				long long count = ITEM("number"), age = ITEM("age"), evicted = ITEM("evicted");
				long long evtime = ITEM("evicted_time"), oom = ITEM("outofmemory");
#undef SLAB
#undef ITEM
				struct cell c[10] = {
					cell_str(s.pool.servers[i].spec), cell_num(cls), cell_num(chunk),
					cell_num(age < 0 ? 0 : age), cell_num(pages), cell_num(count < 0 ? 0 : count),
					cell_num(free_chunks == 0 && pages > 0), cell_num(evicted < 0 ? 0 : evicted),
					cell_num(evtime < 0 ? 0 : evtime), cell_num(oom < 0 ? 0 : oom),
				};
				out_row(ctx, c);
			}
		}
		out_end(ctx);
	} else {
		long long tot[NSTATS];
		struct buf w;
		buf_init(&w);
		memset(tot, 0, sizeof(tot));
		out_begin(ctx, stats_columns, NSTATS);
		static const char *const nums[] = { NULL, NULL, NULL, "uptime", "curr_items", "bytes", "limit_maxbytes",
						    NULL, NULL, "get_hits", "get_misses", "evictions", "reclaimed",
						    "expired_unfetched", "evicted_unfetched", "curr_connections", NULL };
		for (size_t i = 0; i < s.pool.n; i++) {
			struct srv *v = &s.srv[i];
			struct cell c[NSTATS];
			memset(c, 0, sizeof(c));
			c[0] = cell_str(s.pool.servers[i].spec);
			c[1] = cell_role(cell_str(v->down ? "DOWN" : "up"), v->down ? ROLE_FAIL : ROLE_OK);
			c[2] = cell_str(stat_str(&v->st, "version"));
			c[2].null = v->down;
			for (int k = 3; k < NSTATS - 1; k++) {
				if (nums[k] == NULL)
					continue;
				long long n = stat_num(&v->st, nums[k]);
				c[k] = cell_num(n);
				c[k].null = v->down || n < 0;
				if (n > 0 && k != 3)
					tot[k] += n;
			}
			long long hits = stat_num(&v->st, "get_hits"), misses = stat_num(&v->st, "get_misses");
			long long bytes = stat_num(&v->st, "bytes"), limit = stat_num(&v->st, "limit_maxbytes");
			c[7] = cell_real(limit > 0 ? 100.0 * (double)bytes / (double)limit : 0);
			c[7].null = v->down || limit <= 0;
			c[8] = cell_real(hits + misses > 0 ? 100.0 * (double)hits / (double)(hits + misses) : 0);
			c[8].null = v->down || hits + misses <= 0;
			if (v->down) {
				c[NSTATS - 1] = cell_role(cell_str(v->why), ROLE_FAIL);
			} else {
				settings_warning(v, &w);
				c[NSTATS - 1] = cell_role(cell_str(w.len > 0 ? w.data : NULL), ROLE_WARN);
				c[NSTATS - 1].null = w.len == 0;
			}
			out_row(ctx, c);
			buf_reset(&w);
		}
		if (s.pool.n > 1) {
			struct cell c[NSTATS];
			size_t up = 0;
			memset(c, 0, sizeof(c));
			for (size_t i = 0; i < s.pool.n; i++)
				up += !s.srv[i].down;
			char state[32];
			snprintf(state, sizeof(state), "%zu/%zu", up, s.pool.n);
			c[0] = cell_role(cell_str("(pool)"), ROLE_HEAD);
			c[1] = cell_str(state);
			c[2].null = c[3].null = true;
			for (int k = 4; k < NSTATS - 1; k++)
				c[k] = cell_num(tot[k]);
			c[15].null = false;
			c[7] = cell_real(tot[6] > 0 ? 100.0 * (double)tot[5] / (double)tot[6] : 0);
			c[7].null = tot[6] <= 0;
			c[8] = cell_real(tot[9] + tot[10] > 0 ? 100.0 * (double)tot[9] / (double)(tot[9] + tot[10]) : 0);
			c[8].null = tot[9] + tot[10] <= 0;
			c[NSTATS - 1].null = true;
			out_row(ctx, c);
		}
		out_end(ctx);
		buf_free(&w);
	}
	rc = pool_result(&s);
	sess_close(&s);
	return rc;
}

/* ---- list ---- */

static const struct column list_columns[] = {
	{ "key", "Key", COL_TEXT, 36, 0 },
	{ "server", "Server", COL_TEXT, 20, 0 },
	{ "ttl_s", "TTL", COL_INT, 8, 0 },
	{ "size", "Size", COL_INT, 6, 0 },
	{ "idle_s", "Idle", COL_INT, 7, 0 },
	{ "fetched", "Fetched", COL_BOOL, 7, 0 },
	{ "slab_class", "Cls", COL_INT, 3, 0 },
	{ "state", "State", COL_TEXT, 10, 0 },
	{ "code", "Code", COL_INT, 4, 0 },
	{ "age_s", "Age", COL_INT, 8, 0 },
};
#define NLIST 10

/* A row waiting for its value (schema keys). */
struct prow {
	char *key;
	size_t klen;
	struct mc_meta m;
};

static void list_emit(struct srv *v, const char *key, size_t klen, const struct mc_meta *m, const char *val,
		      size_t vlen)
{
	struct sess *s = v->s;
	struct mc_schema sc;
	bool have = val != NULL && mc_schema_parse(val, vlen, &sc);
	int64_t now = server_now(v);
	struct cell c[NLIST] = {
		cell_bytes(key, klen),
		cell_str(s->pool.servers[v->i].spec),
		ttl_cell(m->exp < 0 ? -1 : m->exp - now),
		cell_num(m->size),
		cell_num(m->la < 0 ? 0 : now - m->la),
		cell_num(m->fetched),
		cell_num(m->cls),
		cell_str(have ? sc.state : NULL),
		cell_num(have ? sc.code : 0),
		cell_num(have ? now - sc.when : 0),
	};
	if (m->exp >= 0 && m->exp - now < 0)
		c[2] = cell_num(0);
	c[4].null = m->la < 0;
	c[6].null = m->cls < 0;
	c[7].null = !have;
	c[8].null = !have || sc.code == 0;
	c[9].null = !have;
	if (have)
		c[7] = cell_role(c[7], strcmp(sc.state, "valid") == 0 || strcmp(sc.state, "accept-all") == 0 ? ROLE_OK
													       : ROLE_FAIL);
	out_row(s->ctx, c);
	s->rows++;
}

static void list_value(void *arg, const struct mc_mg *g)
{
	struct srv *v = arg;

	if (v->qlen == 0)
		return;
	struct prow *r = &v->q[v->qhead];
	const char *enc;
	size_t dl = 0;
	char *dec = g->hit ? decode_value(g->value, g->vlen, g->flags, &enc, &dl) : NULL;
	/* Gone since the dump (expired, deleted): not listed. */
	if (g->hit)
		list_emit(v, r->key, r->klen, &r->m, dec, dl);
	free(dec);
	free(r->key);
	v->qhead++;
	v->qlen--;
	if (v->qlen == 0)
		v->qhead = 0;
}

/* An mg of the listing ended: without an answer (refused, connection
 * lost), its row is dropped so the next answers meet their own rows. */
static void list_value_done(void *arg, int status, const char *why)
{
	struct srv *v = arg;

	if (status != MC_OK && v->qlen > 0) {
		free(v->q[v->qhead].key);
		v->qhead++;
		if (--v->qlen == 0)
			v->qhead = 0;
	}
	srv_done(arg, status, why);
}

/* True when key (without the namespace) is asked for; strips the namespace. */
static bool key_wanted(struct sess *s, const char *wire, size_t wlen, const char **key, size_t *klen)
{
	size_t nl = strlen(s->pool.ns);

	if (wlen < nl || memcmp(wire, s->pool.ns, nl) != 0)
		return false; /* another application's key */
	*key = wire + nl;
	*klen = wlen - nl;
	if (s->prefix != NULL && (*klen < strlen(s->prefix) || memcmp(*key, s->prefix, strlen(s->prefix)) != 0))
		return false;
	if (s->glob != NULL) {
		buf_reset(&s->key);
		buf_add(&s->key, *key, *klen);
		buf_grow(&s->key, 0);
		if (fnmatch(s->glob, s->key.data, 0) != 0)
			return false;
	}
	return true;
}

static void list_item(void *arg, const struct mc_meta *m)
{
	struct srv *v = arg;
	struct sess *s = v->s;
	const char *key;
	size_t klen;

	if (!key_wanted(s, m->key, m->klen, &key, &klen))
		return;
	if (!schema_key(s->cfg, key, klen) || mc_conn_failed(cmd_conn(v), NULL)) {
		list_emit(v, key, klen, m, NULL, 0);
		return;
	}
	/* An mg line that split in two would shift every answer after it
	 * onto the wrong row: such a key is listed without its value. */
	if (!mc_key_ok(m->key, m->klen)) {
		s->unsendable++;
		list_emit(v, key, klen, m, NULL, 0);
		return;
	}
	/* The value says state/code/age: ask for it, pipelined; the row
	 * waits for the answer (which comes in order). */
	if (v->qhead + v->qlen == v->qcap) {
		if (v->qhead > 0) {
			memmove(v->q, v->q + v->qhead, v->qlen * sizeof(*v->q));
			v->qhead = 0;
		} else {
			v->qcap = v->qcap != 0 ? v->qcap * 2 : 1024;
			v->q = xrealloc(v->q, v->qcap * sizeof(*v->q));
		}
	}
	struct prow *r = &v->q[v->qhead + v->qlen++];
	r->key = xstrndup(key, klen);
	r->klen = klen;
	r->m = *m;
	r->m.key = NULL;
	s->pending++;
	mc_mget(cmd_conn(v), m->key, m->klen, "v f u", list_value, list_value_done, v);
}

/* After the server's clock: the dump. */
static void list_start(void *arg, int status, const char *why)
{
	struct srv *v = arg;

	srv_done(arg, status, why);
	if (status != MC_OK)
		return;
	v->s->pending++;
	mc_metadump(dump_conn(v), list_item, srv_done, v);
}

static int cmd_list(struct ctx *ctx, int argc, char **argv)
{
	struct sess s;
	int rc;

	(void)argc;
	(void)argv;
	if (ctx_opt(ctx, "--prefix") != NULL && ctx_opt(ctx, "--match") != NULL)
		return ctx_error(ctx, EXIT_USAGE, "--prefix and --match: one or the other");
	if ((rc = sess_open(ctx, &s)) != 0)
		return rc;
	s.prefix = ctx_opt(ctx, "--prefix");
	s.glob = ctx_opt(ctx, "--match");
	/* The dump is read at full speed whatever reads our output. */
	out_spool(ctx, true);
	out_begin(ctx, list_columns, NLIST);
	for (size_t i = 0; i < s.pool.n; i++) {
		s.pending++;
		mc_stats(cmd_conn(&s.srv[i]), "", st_row, list_start, &s.srv[i]);
	}
	sess_wait(&s);
	out_end(ctx);
	out_spool(ctx, false);
	if (s.unsendable > 0)
		ctx_warn(ctx, "%zu key%s that %s: listed without %s value%s", s.unsendable, s.unsendable == 1 ? "" : "s",
			 UNSENDABLE, s.unsendable == 1 ? "its" : "their", s.unsendable == 1 ? "" : "s");
	rc = pool_result(&s);
	sess_close(&s);
	return rc;
}

/* ---- get, locate ---- */

static void got_value(void *arg, const struct mc_mg *g)
{
	struct srv *v = arg;

	v->got = *g;
	v->got.value = NULL;
	free(v->value);
	v->value = NULL;
	if (g->hit && g->value != NULL) {
		v->value = xmalloc(g->vlen + 1);
		memcpy(v->value, g->value, g->vlen);
		v->value[g->vlen] = '\0';
		v->got.vlen = g->vlen;
	}
}

/* mg the wire key on every server of the pool. */
static void ask_everywhere(struct sess *s, const char *wire, size_t wlen, const char *flags)
{
	for (size_t i = 0; i < s->pool.n; i++) {
		struct srv *v = &s->srv[i];
		memset(&v->got, 0, sizeof(v->got));
		v->asked = true;
		s->pending++;
		mc_mget(cmd_conn(v), wire, wlen, flags, got_value, srv_done, v);
	}
	sess_wait(s);
}

static const struct column get_columns[] = {
	{ "key", "Key", COL_TEXT, 30, 0 },
	{ "server", "Server", COL_TEXT, 20, 0 },
	{ "role", "Role", COL_TEXT, 9, 0 },
	{ "flags", "Flags", COL_INT, 5, 0 },
	{ "size", "Size", COL_INT, 6, 0 },
	{ "ttl_s", "TTL", COL_INT, 8, 0 },
	{ "idle_s", "Idle", COL_INT, 7, 0 },
	{ "fetched", "Fetched", COL_BOOL, 7, 0 },
	{ "cas", "CAS", COL_INT, 8, 0 },
	{ "encoding", "Enc", COL_TEXT, 8, 0 },
	{ "value", "Value", COL_TEXT, 0, 0 },
	{ "state", "State", COL_TEXT, 10, 0 },
	{ "code", "Code", COL_INT, 4, 0 },
	{ "dsn", "DSN", COL_TEXT, 6, 0 },
	{ "answered", "Answered", COL_TIME, 20, 0 },
	{ "age_s", "Age", COL_INT, 8, 0 },
	{ "host", "Host", COL_TEXT, 20, 0 },
	{ "text", "Text", COL_TEXT, 0, 0 },
};
#define NGET 18

static int cmd_get(struct ctx *ctx, int argc, char **argv)
{
	struct sess s;
	size_t wlen;
	int rc;

	(void)argc;
	if ((rc = sess_open(ctx, &s)) != 0)
		return rc;
	char *wire = wire_key(&s, argv[0], &wlen);
	if (wire == NULL) {
		sess_close(&s);
		return EXIT_USAGE;
	}
	ask_everywhere(&s, wire, wlen, "s t f l h c v u");
	size_t primary = mc_pool_server(&s.pool, argv[0], strlen(argv[0]));
	size_t found = 0;
	bool on_primary = s.srv[primary].got.hit;
	if (ctx_format(ctx) != FORMAT_TEXT)
		out_begin(ctx, get_columns, NGET);
	/* The primary first: that is where the filter reads. */
	for (size_t k = 0; k < s.pool.n; k++) {
		size_t i = k == 0 ? primary : (k <= primary ? k - 1 : k);
		struct srv *v = &s.srv[i];
		if (!v->got.hit)
			continue;
		found++;
		const char *enc;
		size_t dl;
		char *dec = decode_value(v->value != NULL ? v->value : "", v->got.vlen, v->got.flags, &enc, &dl);
		struct mc_schema sc;
		bool have = strcmp(enc, "raw") == 0 || strcmp(enc, "gzip") == 0 ? mc_schema_parse(dec, dl, &sc) : false;
		int64_t now = (int64_t)time(NULL);
		const char *role = i == primary ? "primary" : "elsewhere";
		if (ctx_format(ctx) == FORMAT_TEXT) {
			struct buf b;
			buf_init(&b);
			buf_addf(&b, "key:      %s\n", argv[0]);
			buf_addf(&b, "server:   %s (%s)\n", s.pool.servers[i].spec, role);
			buf_addf(&b, "flags:    %lld (%s)   size: %lld   ttl: %s", (long long)v->got.flags, enc,
				 (long long)v->got.size, v->got.ttl < 0 ? "never" : "");
			if (v->got.ttl >= 0)
				buf_addf(&b, "%lld s", (long long)v->got.ttl);
			buf_addf(&b, "   idle: %lld s   fetched before: %s   cas: %llu\n", (long long)v->got.idle,
				 v->got.hit_before > 0 ? "yes" : "no", (unsigned long long)v->got.cas);
			buf_adds(&b, "value:    ");
			buf_add(&b, dec, dl);
			if (have) {
				char iso[32];
				util_iso8601(sc.when, iso);
				buf_addf(&b, "\nstate:    %s   code: %d   dsn: %s   answered: %s (%lld s ago)", sc.state,
					 sc.code, sc.dsn[0] ? sc.dsn : "-", iso, (long long)(now - sc.when));
				buf_adds(&b, "\nhost:     ");
				buf_add(&b, sc.host != NULL ? sc.host : "-", sc.host != NULL ? sc.hostlen : 1);
				buf_adds(&b, "\ntext:     ");
				buf_add(&b, sc.text != NULL ? sc.text : "-", sc.text != NULL ? sc.textlen : 1);
			}
			for (char *p = b.data, *nl; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
				nl = strchr(p, '\n');
				out_line(ctx, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
			}
			if (k + 1 < s.pool.n)
				out_line(ctx, "", 0);
			buf_free(&b);
		} else {
			struct cell c[NGET] = {
				cell_str(argv[0]),
				cell_str(s.pool.servers[i].spec),
				cell_str(role),
				cell_num(v->got.flags),
				cell_num(v->got.size),
				ttl_cell(v->got.ttl),
				cell_num(v->got.idle),
				cell_num(v->got.hit_before > 0),
				cell_num((long long)v->got.cas),
				cell_str(enc),
				cell_bytes(dec, dl),
				cell_str(have ? sc.state : NULL),
				cell_num(have ? sc.code : 0),
				cell_str(have && sc.dsn[0] ? sc.dsn : NULL),
				cell_num(have ? sc.when : 0),
				cell_num(have ? now - sc.when : 0),
				cell_bytes(have ? sc.host : NULL, have ? sc.hostlen : 0),
				cell_bytes(have ? sc.text : NULL, have ? sc.textlen : 0),
			};
			for (int f = 11; f < NGET; f++)
				c[f].null = !have;
			c[12].null = !have || sc.code == 0;
			c[13].null = !have || sc.dsn[0] == '\0';
			c[16].null = !have || sc.host == NULL;
			c[17].null = !have || sc.text == NULL;
			out_row(ctx, c);
		}
		free(dec);
	}
	if (ctx_format(ctx) != FORMAT_TEXT)
		out_end(ctx);
	free(wire);
	rc = pool_result(&s);
	if (rc == EXIT_OK || rc == EXIT_TEMPFAIL) {
		if (found == 0)
			rc = ctx_error(ctx, rc == EXIT_OK ? EXIT_NEGATIVE : rc, "%s: not in the cache", argv[0]);
		else if (!on_primary && !s.srv[primary].down)
			ctx_warn(ctx, "%s is not on %s, where the filter looks for it first (a copy written while that "
				      "server was down?)",
				 argv[0], s.pool.servers[primary].spec);
	}
	sess_close(&s);
	return rc;
}

static const struct column locate_columns[] = {
	{ "server", "Server", COL_TEXT, 22, 0 },
	{ "role", "Role", COL_TEXT, 10, 0 },
	{ "present", "Present", COL_BOOL, 7, 0 },
	{ "ttl_s", "TTL", COL_INT, 8, 0 },
	{ "size", "Size", COL_INT, 6, 0 },
	{ "state", "State", COL_TEXT, 5, 0 },
};

static int cmd_locate(struct ctx *ctx, int argc, char **argv)
{
	struct sess s;
	size_t wlen, chain[64];
	int rc;

	(void)argc;
	if ((rc = sess_open(ctx, &s)) != 0)
		return rc;
	char *wire = wire_key(&s, argv[0], &wlen);
	if (wire == NULL) {
		sess_close(&s);
		return EXIT_USAGE;
	}
	ask_everywhere(&s, wire, wlen, "s t u");
	size_t n = mc_pool_chain(&s.pool, argv[0], strlen(argv[0]), chain, 64);
	bool *listed = xcalloc(s.pool.n, sizeof(bool));
	size_t found = 0;
	out_begin(ctx, locate_columns, 6);
	for (size_t k = 0; k < n + s.pool.n; k++) {
		size_t i = k < n ? chain[k] : k - n;
		char role[32];
		if (listed[i])
			continue;
		listed[i] = true;
		if (k == 0)
			snprintf(role, sizeof(role), "primary");
		else if (k < n)
			snprintf(role, sizeof(role), "rehash %zu", k);
		else
			snprintf(role, sizeof(role), "other");
		struct srv *v = &s.srv[i];
		found += v->got.hit;
		struct cell c[6] = {
			cell_str(s.pool.servers[i].spec), cell_str(role), cell_num(v->got.hit),
			ttl_cell(v->got.ttl),        cell_num(v->got.size),
			cell_role(cell_str(v->down ? "DOWN" : "up"), v->down ? ROLE_FAIL : ROLE_OK),
		};
		c[2].null = v->down;
		c[3].null = c[4].null = !v->got.hit;
		if (v->got.hit)
			c[2] = cell_role(c[2], ROLE_OK);
		out_row(ctx, c);
	}
	out_end(ctx);
	free(listed);
	free(wire);
	rc = pool_result(&s);
	if (rc == EXIT_OK && found == 0)
		rc = EXIT_NEGATIVE;
	sess_close(&s);
	return rc;
}

/* ---- del ---- */

static const struct column del_columns[] = {
	{ "key", "Key", COL_TEXT, 36, 0 },
	{ "server", "Server", COL_TEXT, 22, 0 },
	{ "result", "Result", COL_TEXT, 0, 0 },
};

struct del_one {
	struct srv *v;
	int status;
	char counts[96];
};

static void del_done(void *arg, int status, const char *why)
{
	struct del_one *d = arg;

	d->status = status;
	snprintf(d->counts, sizeof(d->counts), "%s", why != NULL ? why : "");
	srv_done(d->v, status, why);
}

static int cmd_del(struct ctx *ctx, int argc, char **argv)
{
	struct sess s;
	bool dry = ctx_flag(ctx, "--dry-run"), yes = ctx_flag(ctx, "--yes") && !dry;
	size_t copies = 0, deleted = 0;
	int rc;

	if ((rc = sess_open(ctx, &s)) != 0)
		return rc;
	/* every key checked before anything is written or deleted */
	for (int a = 0; a < argc; a++) {
		size_t wlen;
		char *wire = wire_key(&s, argv[a], &wlen);
		if (wire == NULL) {
			sess_close(&s);
			return EXIT_USAGE;
		}
		free(wire);
	}
	out_begin(ctx, del_columns, 3);
	for (int a = 0; a < argc; a++) {
		size_t wlen, before = copies;
		char *wire = wire_key(&s, argv[a], &wlen);
		/* Every copy: the primary, copies a rehash put elsewhere, strays. */
		ask_everywhere(&s, wire, wlen, "s u");
		for (size_t i = 0; i < s.pool.n; i++) {
			struct srv *v = &s.srv[i];
			if (!v->got.hit)
				continue;
			copies++;
			const char *result = yes ? NULL : "would delete";
			struct del_one d = { .v = v };
			if (yes) {
				const char *k = wire;
				s.pending++;
				mc_mdel(cmd_conn(v), &k, &wlen, 1, del_done, &d);
				sess_wait(&s);
				unsigned long dn = 0, nf = 0, er = 0;
				if (d.status == MC_OK)
					sscanf(d.counts, "%lu %lu %lu", &dn, &nf, &er);
				result = d.status != MC_OK ? "error" : dn > 0 ? "deleted" : nf > 0 ? "already gone" : "error";
				deleted += dn;
			}
			struct cell c[3] = { cell_str(argv[a]), cell_str(s.pool.servers[i].spec), cell_str(result) };
			out_row(ctx, c);
		}
		if (copies == before) {
			/* a key asked for and not there: a row that says so */
			struct cell c[3] = { cell_str(argv[a]), { .null = true }, cell_str("not found") };
			out_row(ctx, c);
		}
		free(wire);
	}
	out_end(ctx);
	if (yes && deleted > 0)
		log_action(ctx, "cache del: %zu cop%s of %d key%s deleted", deleted, deleted == 1 ? "y" : "ies", argc,
			   argc == 1 ? "" : "s");
	rc = pool_result(&s);
	sess_close(&s);
	if (rc == EXIT_UNAVAILABLE)
		return rc;
	/* refused without --yes whether or not every server answered: say so */
	if (!yes && !dry && copies > 0)
		return ctx_error(ctx, EXIT_NEGATIVE, "%zu cop%s found%s; nothing deleted without --yes", copies,
				 copies == 1 ? "y" : "ies", rc != EXIT_OK ? " on the servers that answered" : "");
	if (copies == 0 && rc == EXIT_OK)
		return ctx_error(ctx, EXIT_NEGATIVE, "not in the cache: nothing to delete");
	return rc;
}

/* ---- flush ---- */

static const struct column flush_columns[] = {
	{ "server", "Server", COL_TEXT, 22, 0 },
	{ "keys", "Keys", COL_INT, 9, 0 },
	{ "bytes", "Bytes", COL_INT, 11, 0 },
	{ "deleted", "Deleted", COL_INT, 9, 0 },
	{ "gone", "Gone", COL_INT, 6, 0 },
	{ "errors", "Errors", COL_INT, 6, 0 },
	{ "result", "Result", COL_TEXT, 0, 0 },
};

enum { MD_BATCH = 10000 }; /* keys per md batch: one round trip each */

static void flush_send(struct srv *v, size_t max);

static void flush_item(void *arg, const struct mc_meta *m)
{
	struct srv *v = arg;
	const char *key;
	size_t klen;

	if (!key_wanted(v->s, m->key, m->klen, &key, &klen))
		return;
	/* One md line that split in two would throw the batch's count off
	 * and could delete a key nobody chose. */
	if (!mc_key_ok(m->key, m->klen)) {
		v->s->unsendable++;
		return;
	}
	aliasmap_add(&v->keys, m->key, m->klen, "", 0, 0);
	v->bytes += m->size;
	if (v->s->eager && v->keys.n - v->sent >= MD_BATCH)
		flush_send(v, MD_BATCH);
}

struct md_batch {
	struct srv *v;
};

static void flush_md_done(void *arg, int status, const char *why)
{
	struct srv *v = arg;
	unsigned long dn = 0, nf = 0, er = 0;

	if (status == MC_OK && sscanf(why, "%lu %lu %lu", &dn, &nf, &er) == 3) {
		v->deleted += dn;
		v->gone += nf;
		v->errors += er;
	}
	srv_done(v, status, why);
}

static void flushall_done(void *arg, int status, const char *why)
{
	struct srv *v = arg;

	if (status == MC_OK)
		v->deleted = 1;
	srv_done(v, status, why);
}

/* Pipelined quiet deletes of the keys not sent yet (at most max), one
 * round trip per batch. */
static void flush_send(struct srv *v, size_t max)
{
	const char **keys = xcalloc(MD_BATCH, sizeof(char *));
	size_t *lens = xcalloc(MD_BATCH, sizeof(size_t));

	while (v->sent < v->keys.n && max > 0) {
		size_t n = v->keys.n - v->sent;
		if (n > MD_BATCH)
			n = MD_BATCH;
		if (n > max)
			n = max;
		for (size_t k = 0; k < n; k++) {
			const struct alias_ent *e = &v->keys.ents[v->sent + k];
			keys[k] = aliasmap_key(&v->keys, e);
			lens[k] = e->klen;
		}
		v->s->pending++;
		mc_mdel(cmd_conn(v), keys, lens, n, flush_md_done, v);
		v->sent += n;
		max -= n;
	}
	free(keys);
	free(lens);
}

static int cmd_flush(struct ctx *ctx, int argc, char **argv)
{
	struct sess s;
	const char *prefix = ctx_opt(ctx, "--prefix"), *glob = ctx_opt(ctx, "--match");
	bool all = ctx_flag(ctx, "--all");
	bool dry = ctx_flag(ctx, "--dry-run"), yes = ctx_flag(ctx, "--yes") && !dry;
	int rc;

	(void)argc;
	(void)argv;
	if ((prefix != NULL) + (glob != NULL) + all != 1)
		return ctx_error(ctx, EXIT_USAGE, "flush needs exactly one of --prefix P, --match GLOB or --all");
	if ((prefix != NULL && *prefix == '\0') || (glob != NULL && *glob == '\0'))
		return ctx_error(ctx, EXIT_USAGE, "an empty %s selects every key: say --all if that is meant",
				 prefix != NULL ? "--prefix" : "--match");
	if ((rc = sess_open(ctx, &s)) != 0)
		return rc;
	/* Without a namespace, --all is memcached's own flush_all; with one,
	 * only the namespace's keys go (other applications share the servers). */
	bool flushall = all && s.pool.ns[0] == '\0';
	s.prefix = prefix;
	s.glob = glob;
	/* With --yes, the deletes go out while the dump still streams (on
	 * their own connection): the flush costs about the dump. */
	s.eager = yes && !flushall;
	if (!flushall) {
		for (size_t i = 0; i < s.pool.n; i++) {
			s.pending++;
			mc_metadump(dump_conn(&s.srv[i]), flush_item, srv_done, &s.srv[i]);
		}
		sess_wait(&s);
		if (s.unsendable > 0)
			ctx_warn(ctx, "%zu matching key%s that %s: left alone, not counted", s.unsendable,
				 s.unsendable == 1 ? "" : "s", UNSENDABLE);
	} else {
		for (size_t i = 0; i < s.pool.n; i++)
			ask_stats(&s.srv[i], "", st_row);
		sess_wait(&s);
	}
	size_t total = 0, deleted = 0;
	int64_t bytes = 0;
	for (size_t i = 0; i < s.pool.n; i++) {
		total += flushall ? (size_t)(stat_num(&s.srv[i].st, "curr_items") > 0 ? stat_num(&s.srv[i].st, "curr_items") : 0)
				  : s.srv[i].keys.n;
		bytes += flushall ? (stat_num(&s.srv[i].st, "bytes") > 0 ? stat_num(&s.srv[i].st, "bytes") : 0)
				  : s.srv[i].bytes;
	}
	if (yes) {
		for (size_t i = 0; i < s.pool.n; i++) {
			struct srv *v = &s.srv[i];
			if (v->down || v->refused)
				continue;
			if (flushall) {
				s.pending++;
				mc_flush_all(cmd_conn(v), flushall_done, v);
				continue;
			}
			flush_send(v, (size_t)-1);
		}
		sess_wait(&s);
	}
	out_begin(ctx, flush_columns, 7);
	for (size_t i = 0; i < s.pool.n; i++) {
		struct srv *v = &s.srv[i];
		size_t keys = flushall ? (size_t)(stat_num(&v->st, "curr_items") > 0 ? stat_num(&v->st, "curr_items") : 0)
				       : v->keys.n;
		int64_t b = flushall ? stat_num(&v->st, "bytes") : v->bytes;
		const char *result = v->down ? "DOWN" : v->refused ? "refused" : !yes ? (dry ? "dry run" : "would delete")
							: flushall ? (v->deleted ? "flush_all done" : "flush_all failed")
								   : "deleted";
		struct cell c[7] = {
			cell_str(s.pool.servers[i].spec),
			cell_num((long long)keys),
			cell_num(b < 0 ? 0 : b),
			cell_num((long long)(flushall ? 0 : v->deleted)),
			cell_num((long long)v->gone),
			cell_num((long long)v->errors),
			cell_role(cell_str(result), v->down || v->refused ? ROLE_FAIL : yes ? ROLE_OK : ROLE_WARN),
		};
		c[3].null = c[4].null = c[5].null = !yes || flushall || v->down;
		c[1].null = c[2].null = v->down;
		out_row(ctx, c);
		deleted += flushall ? 0 : v->deleted;
	}
	out_end(ctx);
	const char *what = prefix != NULL ? "--prefix" : glob != NULL ? "--match" : "--all";
	const char *arg = prefix != NULL ? prefix : glob != NULL ? glob : "";
	if (yes)
		log_action(ctx, "cache flush %s %s: %s %zu keys on %zu servers", what, arg,
			   flushall ? "flush_all of" : "deleted", flushall ? total : deleted, s.pool.n);
	rc = pool_result(&s);
	sess_close(&s);
	if (rc == EXIT_UNAVAILABLE)
		return rc;
	/* refused without --yes whether or not every server answered: say so */
	if (!yes && !dry) {
		ctx_error(ctx, EXIT_NEGATIVE, "%zu keys (%lld bytes) would go%s; nothing deleted without --yes", total,
			  (long long)bytes, rc != EXIT_OK ? " on the servers that answered" : "");
		return EXIT_NEGATIVE;
	}
	return rc;
}

/* ---- the Cache tab ---- */

/*
 * The pool's keys, read with a metadump of every server through the
 * console's own loop (rows appear as they arrive; keys answer meanwhile),
 * schema values fetched with pipelined mg as they come, and the pool's
 * stats refreshed every few seconds for the header's rates. Nothing here
 * waits: every reply is a callback.
 */
enum { CV_REFRESH_MS = 5000 };

struct cvrow {
	uint32_t koff, klen; /* in cv->keys */
	uint16_t srv;
	bool fetched, have, deleted;
	bool deleting;   /* in an md batch not answered yet */
	bool unsendable; /* a key the text protocol cannot carry: never sent */
	int16_t cls;
	int code;
	int64_t exp, la, size, when;
	char state[16];
};

struct cvsrv {
	struct cview *cv;
	size_t i;
	struct mc_conn *cmd, *dump;
	bool down, refused, dumping;
	char why[300];
	struct alias_map st;
	int64_t time, time_at;
	long long prev_hits, prev_misses, prev_evictions;
	int64_t prev_at;
	double get_rate, evict_rate;
	uint32_t *q; /* rows waiting for their value, in order */
	size_t qhead, qlen, qcap;
};

struct cview {
	struct ctx *ctx;
	const struct config *cfg;
	struct mc_pool pool;
	struct ares_channeldata *dns; /* the console loop's, for host names; NULL when none is needed */
	bool pool_ok;
	char err[512];
	struct cvsrv *srv;
	struct cvrow *rows;
	size_t n, cap;
	struct buf keys;
	struct buf keyscratch;
	size_t dumps;
	int64_t started;
	struct loop_timer *refresh;
	unsigned gen, seen;
	char header[1024];
	char cell[64];
	struct buf valbuf;
	/* d: the servers holding a copy of the selected key, asked before
	 * the question; then the row and those servers while it is asked */
	bool finding;
	size_t del_row;
	bool *del_on;
	/* flush of what is shown */
	uint32_t *flush_rows;
	size_t nflush;
	/* listed keys the text protocol cannot carry: no value asked */
	size_t unsendable;
};

static struct mc_conn *cv_cmd(struct cvsrv *v)
{
	const struct config *cfg = v->cv->cfg;

	if (v->cmd == NULL || mc_conn_failed(v->cmd, NULL)) {
		/* A DOWN server is tried again at the next refresh. */
		mc_conn_free(v->cmd);
		v->cmd = mc_conn_new(ctx_loop(v->cv->ctx), &v->cv->pool.servers[v->i], cfg->cache.connect_timeout_ms,
				     cfg->cache.read_timeout_ms, v->cv->dns);
	}
	return v->cmd;
}

static int64_t cv_now(const struct cvsrv *v)
{
	return v->time != 0 ? v->time + (util_now_ms() - v->time_at) / 1000 : (int64_t)time(NULL);
}

static void cv_header(struct cview *cv)
{
	size_t up = 0;
	long long items = 0, hits = 0, misses = 0, bytes = 0, limit = 0;
	double gets = 0, evicts = 0;
	char down[400] = "";

	if (!cv->pool_ok) {
		snprintf(cv->header, sizeof(cv->header), "%s", cv->err);
		return;
	}
	for (size_t i = 0; i < cv->pool.n; i++) {
		struct cvsrv *v = &cv->srv[i];
		if (v->down) {
			if (down[0] == '\0')
				snprintf(down, sizeof(down), ", DOWN: %s", v->why);
			continue;
		}
		up++;
		items += stat_num(&v->st, "curr_items") > 0 ? stat_num(&v->st, "curr_items") : 0;
		hits += stat_num(&v->st, "get_hits") > 0 ? stat_num(&v->st, "get_hits") : 0;
		misses += stat_num(&v->st, "get_misses") > 0 ? stat_num(&v->st, "get_misses") : 0;
		bytes += stat_num(&v->st, "bytes") > 0 ? stat_num(&v->st, "bytes") : 0;
		limit += stat_num(&v->st, "limit_maxbytes") > 0 ? stat_num(&v->st, "limit_maxbytes") : 0;
		gets += v->get_rate;
		evicts += v->evict_rate;
	}
	char hit[32] = "-";
	if (hits + misses > 0)
		snprintf(hit, sizeof(hit), "%.1f%%", 100.0 * (double)hits / (double)(hits + misses));
	char listing[96] = "";
	if (cv->dumps > 0)
		snprintf(listing, sizeof(listing), "  listing... %zu keys", cv->n);
	/* What is wrong first: it must fit in 80 columns. */
	snprintf(cv->header, sizeof(cv->header),
		 "%zu server%s, %zu up%s  %lld items  hit %s  fill %.1f%%  %.0f gets/s  %.0f evictions/s%s",
		 cv->pool.n, cv->pool.n == 1 ? "" : "s", up, down, items, hit,
		 limit > 0 ? 100.0 * (double)bytes / (double)limit : 0.0, gets, evicts, listing);
}

static void cv_changed(struct cview *cv)
{
	cv->gen++;
	cv_header(cv);
	ctx_dirty(cv->ctx);
}

static void cv_stat_row(void *arg, const char *n, size_t nl, const char *val, size_t vl)
{
	struct cvsrv *v = arg;

	stat_into(&v->st, n, nl, val, vl);
	if (nl == 4 && memcmp(n, "time", 4) == 0) {
		v->time = strtoll(val, NULL, 10);
		v->time_at = util_now_ms();
	}
}

static void cv_stats_done(void *arg, int status, const char *why)
{
	struct cvsrv *v = arg;

	if (status != MC_OK && status != MC_REFUSED) {
		v->down = true;
		snprintf(v->why, sizeof(v->why), "%s", why);
	} else {
		v->down = false;
		/* Rates from the difference since the last refresh. */
		int64_t now = util_now_ms();
		long long h = stat_num(&v->st, "get_hits"), m = stat_num(&v->st, "get_misses");
		long long e = stat_num(&v->st, "evictions");
		if (v->prev_at > 0 && now > v->prev_at) {
			double dt = (double)(now - v->prev_at) / 1000.0;
			v->get_rate = (double)(h + m - v->prev_hits - v->prev_misses) / dt;
			v->evict_rate = (double)(e - v->prev_evictions) / dt;
		}
		v->prev_hits = h;
		v->prev_misses = m;
		v->prev_evictions = e;
		v->prev_at = now;
	}
	cv_changed(v->cv);
}

static void cv_refresh(void *arg)
{
	struct cview *cv = arg;

	for (size_t i = 0; i < cv->pool.n; i++)
		mc_stats(cv_cmd(&cv->srv[i]), "", cv_stat_row, cv_stats_done, &cv->srv[i]);
}

static void cv_value(void *arg, const struct mc_mg *g)
{
	struct cvsrv *v = arg;

	if (v->qlen == 0)
		return;
	struct cvrow *r = &v->cv->rows[v->q[v->qhead]];
	v->qhead++;
	if (--v->qlen == 0)
		v->qhead = 0;
	if (!g->hit)
		return;
	const char *enc;
	size_t dl;
	char *dec = decode_value(g->value, g->vlen, g->flags, &enc, &dl);
	struct mc_schema sc;
	if (mc_schema_parse(dec, dl, &sc)) {
		r->have = true;
		snprintf(r->state, sizeof(r->state), "%s", sc.state);
		r->code = sc.code;
		r->when = sc.when;
	}
	free(dec);
	v->cv->gen++;
	ctx_dirty(v->cv->ctx);
}

static void cv_value_done(void *arg, int status, const char *why)
{
	struct cvsrv *v = arg;

	(void)why;
	/* No answer came (the connection failed): the row it was for waits no
	 * more, so the next answers meet their own rows. */
	if (status != MC_OK && v->qlen > 0) {
		v->qhead++;
		if (--v->qlen == 0)
			v->qhead = 0;
	}
}

static void cv_item(void *arg, const struct mc_meta *m)
{
	struct cvsrv *v = arg;
	struct cview *cv = v->cv;
	size_t nl = strlen(cv->pool.ns);

	if (m->klen < nl || memcmp(m->key, cv->pool.ns, nl) != 0)
		return;
	if (cv->n == cv->cap) {
		cv->cap = cv->cap != 0 ? cv->cap * 2 : 4096;
		cv->rows = xrealloc(cv->rows, cv->cap * sizeof(*cv->rows));
	}
	struct cvrow *r = &cv->rows[cv->n];
	memset(r, 0, sizeof(*r));
	r->koff = (uint32_t)cv->keys.len;
	r->klen = (uint32_t)(m->klen - nl);
	buf_add(&cv->keys, m->key + nl, m->klen - nl);
	r->srv = (uint16_t)v->i;
	r->fetched = m->fetched;
	r->cls = (int16_t)m->cls;
	r->exp = m->exp;
	r->la = m->la;
	r->size = m->size;
	r->unsendable = !mc_key_ok(m->key, m->klen);
	if (r->unsendable) {
		cv->unsendable++;
	} else if (schema_key(cv->cfg, m->key + nl, m->klen - nl)) {
		if (v->qhead + v->qlen == v->qcap) {
			v->qcap = v->qcap != 0 ? v->qcap * 2 : 1024;
			v->q = xrealloc(v->q, v->qcap * sizeof(*v->q));
		}
		v->q[v->qhead + v->qlen++] = (uint32_t)cv->n;
		mc_mget(cv_cmd(v), m->key, m->klen, "v f u", cv_value, cv_value_done, v);
	}
	cv->n++;
	/* Marked dirty per reply chunk, drawn once per loop pass. */
	cv->gen++;
	ctx_dirty(cv->ctx);
}

static void cv_dump_done(void *arg, int status, const char *why)
{
	struct cvsrv *v = arg;

	v->dumping = false;
	v->cv->dumps--;
	if (status == MC_REFUSED) {
		v->refused = true;
		snprintf(v->why, sizeof(v->why), "%s", why);
		ctx_warn(v->cv->ctx, "%s: %s", v->cv->pool.servers[v->i].spec, why);
	} else if (status != MC_OK) {
		v->down = true;
		snprintf(v->why, sizeof(v->why), "%s", why);
	}
	if (v->cv->dumps == 0) {
		ctx_progress(v->cv->ctx, NULL);
		if (v->cv->unsendable > 0)
			ctx_warn(v->cv->ctx, "%zu key%s that %s: listed without value, never deleted", v->cv->unsendable,
				 v->cv->unsendable == 1 ? "" : "s", UNSENDABLE);
	}
	cv_changed(v->cv);
	/* Not freed here: this callback runs inside the connection (it frees
	 * itself after); the next listing replaces it. */
}

static void cv_time_then_dump(void *arg, int status, const char *why)
{
	struct cvsrv *v = arg;

	cv_stats_done(arg, status, why);
	if (status != MC_OK) {
		if (--v->cv->dumps == 0)
			ctx_progress(v->cv->ctx, NULL);
		cv_changed(v->cv);
		return;
	}
	const struct config *cfg = v->cv->cfg;
	mc_conn_free(v->dump);
	v->dump = mc_conn_new(ctx_loop(v->cv->ctx), &v->cv->pool.servers[v->i], cfg->cache.connect_timeout_ms,
			      cfg->cache.read_timeout_ms, v->cv->dns);
	v->dumping = true;
	mc_metadump(v->dump, cv_item, cv_dump_done, v);
}

static int cview_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct cview *cv = xcalloc(1, sizeof(*cv));
	const struct config *cfg = ctx_config(ctx);

	(void)err;
	(void)errlen;
	cv->ctx = ctx;
	cv->cfg = cfg;
	buf_init(&cv->keys);
	buf_init(&cv->keyscratch);
	buf_init(&cv->valbuf);
	cv->pool_ok = mc_pool_init(&cv->pool, cfg->cache.servers, cfg->cache.hash, cfg->cache.ketama_points,
				   cfg->cache.namespace_, cv->err, sizeof(cv->err)) == 0;
	*state = cv;
	if (!cv->pool_ok) {
		cv_header(cv);
		return 0;
	}
	/* Host names resolve through the console's loop, as sess_open does
	 * through its own: the channel is the loop's, freed with it. */
	if (needs_dns(&cv->pool)) {
		char dnserr[512];
		cv->dns = loop_dns(ctx_loop(ctx), cfg->dns.servers, cfg->dns.timeout_ms, cfg->dns.tries, dnserr,
				   sizeof(dnserr));
		if (cv->dns == NULL)
			ctx_warn(ctx, "%s", dnserr);
	}
	cv->srv = xcalloc(cv->pool.n, sizeof(*cv->srv));
	cv->started = util_now_ms();
	for (size_t i = 0; i < cv->pool.n; i++) {
		struct cvsrv *v = &cv->srv[i];
		v->cv = cv;
		v->i = i;
		aliasmap_init(&v->st);
		cv->dumps++;
		mc_stats(cv_cmd(v), "", cv_stat_row, cv_time_then_dump, v);
	}
	ctx_progress(ctx, "reading the pool's keys");
	cv->refresh = loop_timer_add(ctx_loop(ctx), CV_REFRESH_MS, true, cv_refresh, cv);
	cv_header(cv);
	return 0;
}

static const struct column *cview_columns(void *state, int *n)
{
	(void)state;
	*n = NLIST;
	return list_columns;
}

static size_t cview_count(void *state)
{
	return ((struct cview *)state)->n;
}

static void cview_row(void *state, size_t i, struct cell *c)
{
	struct cview *cv = state;
	struct cvrow *r = &cv->rows[i];
	struct cvsrv *v = &cv->srv[r->srv];
	int64_t now = cv_now(v);

	c[0] = cell_bytes(cv->keys.data + r->koff, r->klen);
	if (r->deleted)
		c[0] = cell_role(c[0], ROLE_DIM);
	c[1] = cell_role(cell_str(cv->pool.servers[r->srv].spec), v->down ? ROLE_FAIL : ROLE_NORMAL);
	c[2] = ttl_cell(r->exp < 0 ? -1 : r->exp - now < 0 ? 0 : r->exp - now);
	c[3] = cell_num(r->size);
	c[4] = cell_num(r->la < 0 ? 0 : now - r->la);
	c[4].null = r->la < 0;
	c[5] = cell_num(r->fetched);
	c[6] = cell_num(r->cls);
	c[6].null = r->cls < 0;
	c[7] = cell_str(r->deleted ? "deleted" : r->have ? r->state : NULL);
	c[7].null = !r->have && !r->deleted;
	if (r->have && !r->deleted)
		c[7] = cell_role(c[7], strcmp(r->state, "valid") == 0 || strcmp(r->state, "accept-all") == 0 ? ROLE_OK
													  : ROLE_FAIL);
	c[8] = cell_num(r->code);
	c[8].null = !r->have || r->code == 0;
	c[9] = cell_num(r->have ? now - r->when : 0);
	c[9].null = !r->have;
}

static const char *cview_header(void *state)
{
	struct cview *cv = state;

	/* Made when drawn (once per loop pass): the listing's count stays
	 * current without a header per dumped key. */
	cv_header(cv);
	return cv->header;
}

static bool cview_poll(void *state)
{
	struct cview *cv = state;

	if (cv->gen == cv->seen)
		return false;
	cv->seen = cv->gen;
	return true;
}

/* Enter: the value, asked of the row's server, into the pager. */
struct cv_get {
	struct cview *cv;
	char *key;
	char *server;
};

static void cv_got(void *arg, const struct mc_mg *g)
{
	struct cv_get *q = arg;
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "key:      %s\nserver:   %s\n", q->key, q->server);
	if (!g->hit) {
		buf_adds(&b, "\nNot there any more (expired, evicted or deleted since the listing).\n");
	} else {
		const char *enc;
		size_t dl;
		char *dec = decode_value(g->value, g->vlen, g->flags, &enc, &dl);
		struct mc_schema sc;
		buf_addf(&b, "flags:    %lld (%s)\nsize:     %lld\nttl:      ", (long long)g->flags, enc, (long long)g->size);
		if (g->ttl < 0)
			buf_adds(&b, "never expires\n");
		else
			buf_addf(&b, "%lld s\n", (long long)g->ttl);
		buf_addf(&b, "idle:     %lld s\nfetched:  %s\ncas:      %llu\n\nvalue:\n", (long long)g->idle,
			 g->hit_before > 0 ? "yes" : "no", (unsigned long long)g->cas);
		buf_add(&b, dec, dl);
		if (mc_schema_parse(dec, dl, &sc)) {
			char iso[32];
			util_iso8601(sc.when, iso);
			buf_addf(&b, "\n\nstate:    %s\ncode:     %d\ndsn:      %s\nanswered: %s (%lld s ago)\nhost:     ",
				 sc.state, sc.code, sc.dsn[0] ? sc.dsn : "-", iso, (long long)(time(NULL) - sc.when));
			buf_add(&b, sc.host != NULL ? sc.host : "-", sc.host != NULL ? sc.hostlen : 1);
			buf_adds(&b, "\ntext:     ");
			buf_add(&b, sc.text != NULL ? sc.text : "-", sc.text != NULL ? sc.textlen : 1);
		}
		buf_addc(&b, '\n');
		free(dec);
	}
	ctx_pager(q->cv->ctx, q->key, b.data, b.len);
	buf_free(&b);
}

static void cv_get_done(void *arg, int status, const char *why)
{
	struct cv_get *q = arg;

	if (status != MC_OK)
		ctx_error(q->cv->ctx, EXIT_UNAVAILABLE, "%s: %s", q->server, why);
	free(q->key);
	free(q->server);
	free(q);
}

static char *wire_of(struct cview *cv, const struct cvrow *r, size_t *len)
{
	char *w = xmalloc(strlen(cv->pool.ns) + r->klen + 1);

	memcpy(w, cv->pool.ns, strlen(cv->pool.ns));
	memcpy(w + strlen(cv->pool.ns), cv->keys.data + r->koff, r->klen);
	*len = strlen(cv->pool.ns) + r->klen;
	w[*len] = '\0';
	return w;
}

static int cview_activate(void *state, struct ctx *ctx, size_t i)
{
	struct cview *cv = state;
	struct cvrow *r = &cv->rows[i];
	struct cv_get *q;
	size_t wl;

	if (r->unsendable) {
		ctx_error(ctx, EXIT_USAGE, "%.*s: a key that %s", (int)(r->klen > 200 ? 200 : r->klen),
			  cv->keys.data + r->koff, UNSENDABLE);
		return VIEW_USED;
	}
	q = xcalloc(1, sizeof(*q));
	char *w = wire_of(cv, r, &wl);
	q->cv = cv;
	q->key = xstrndup(cv->keys.data + r->koff, r->klen);
	q->server = xstrdup(cv->pool.servers[r->srv].spec);
	mc_mget(cv_cmd(&cv->srv[r->srv]), w, wl, "s t f l h c v u", cv_got, cv_get_done, q);
	free(w);
	return VIEW_USED;
}

/*
 * d and F delete with md batches. A row is greyed ("deleted") when the
 * batch that deletes it answers without error (deleted, or already gone),
 * not when it is sent: a server that fails leaves its rows as they were,
 * and the status line counts the errors.
 */
struct cv_del {
	struct cview *cv;
	int pending; /* batches not answered, +1 while they are being sent */
	size_t deleted, gone, errors;
	char *what;
};

/* One md batch: its keys, and the rows that show them (maybe none). */
struct cv_md {
	struct cv_del *d;
	size_t nkeys;
	uint32_t *rows;
	size_t n;
};

static void cv_del_release(struct cv_del *d)
{
	struct cview *cv = d->cv;

	if (--d->pending > 0)
		return;
	log_action(cv->ctx, "cache (console): %s: %zu deleted, %zu already gone, %zu errors", d->what, d->deleted,
		   d->gone, d->errors);
	ctx_error(cv->ctx, d->errors > 0 ? EXIT_TEMPFAIL : EXIT_OK, "%s: %zu deleted, %zu already gone, %zu errors",
		  d->what, d->deleted, d->gone, d->errors);
	cv_changed(cv);
	free(d->what);
	free(d);
}

static void cv_md_done(void *arg, int status, const char *why)
{
	struct cv_md *md = arg;
	struct cv_del *d = md->d;
	struct cview *cv = d->cv;
	unsigned long dn = 0, nf = 0, er = 0;
	bool ok = status == MC_OK && sscanf(why, "%lu %lu %lu", &dn, &nf, &er) == 3;

	if (ok) {
		d->deleted += dn;
		d->gone += nf;
		d->errors += er;
	} else {
		/* Not answered: none of its keys is known to be gone. */
		d->errors += md->nkeys;
	}
	/* Quiet deletes report failures by count, not by key: a batch with
	 * an error leaves all its rows as they were. */
	for (size_t k = 0; k < md->n; k++) {
		struct cvrow *r = &cv->rows[md->rows[k]];
		r->deleting = false;
		if (ok && er == 0)
			r->deleted = true;
	}
	free(md->rows);
	free(md);
	cv_changed(cv);
	cv_del_release(d);
}

/* One md batch of nkeys keys to server s; rows (n of them) go grey when
 * it answers. Takes rows. */
static void cv_md_send(struct cv_del *d, size_t s, const char *const *keys, const size_t *lens, size_t nkeys,
		       uint32_t *rows, size_t n)
{
	struct cv_md *md = xcalloc(1, sizeof(*md));

	md->d = d;
	md->nkeys = nkeys;
	md->rows = rows;
	md->n = n;
	for (size_t k = 0; k < n; k++)
		d->cv->rows[rows[k]].deleting = true;
	d->pending++;
	mc_mdel(cv_cmd(&d->cv->srv[s]), keys, lens, nkeys, cv_md_done, md);
}

/* d, answered y: the key on the servers the question named. */
static void cv_del_yes(void *arg)
{
	struct cview *cv = arg;
	struct cvrow *r = &cv->rows[cv->del_row];
	struct cv_del *d = xcalloc(1, sizeof(*d));
	uint32_t **rows = xcalloc(cv->pool.n, sizeof(*rows));
	size_t *nrows = xcalloc(cv->pool.n, sizeof(*nrows));
	size_t wl;
	char *w = wire_of(cv, r, &wl);
	const char *k = w;

	d->cv = cv;
	d->what = xasprintf("delete %.*s", (int)r->klen, cv->keys.data + r->koff);
	d->pending = 1;
	/* Every row showing this key on a server that is asked. */
	for (size_t i = 0; i < cv->n; i++) {
		const struct cvrow *o = &cv->rows[i];
		if (!cv->del_on[o->srv] || o->deleted || o->klen != r->klen ||
		    memcmp(cv->keys.data + o->koff, cv->keys.data + r->koff, r->klen) != 0)
			continue;
		rows[o->srv] = xrealloc(rows[o->srv], (nrows[o->srv] + 1) * sizeof(uint32_t));
		rows[o->srv][nrows[o->srv]++] = (uint32_t)i;
	}
	for (size_t i = 0; i < cv->pool.n; i++) {
		if (cv->del_on[i])
			cv_md_send(d, i, &k, &wl, 1, rows[i], nrows[i]);
		else
			free(rows[i]);
	}
	free(rows);
	free(nrows);
	free(w);
	cv_del_release(d);
}

/*
 * d asks first where the key is: its row's server and any copy elsewhere
 * (Cache::Memcached's rehash writes to the next server while one is
 * down), one mg per server. The question then names those servers, and
 * only they get the delete.
 */
struct cv_find;

struct cv_probe {
	struct cv_find *f;
	size_t i;
};

struct cv_find {
	struct cview *cv;
	size_t row;
	int pending;
	bool *on, *down;
	struct cv_probe *probe;
};

static void cv_find_ask(struct cv_find *f)
{
	struct cview *cv = f->cv;
	const struct cvrow *r = &cv->rows[f->row];
	int kl = (int)(r->klen > 200 ? 200 : r->klen);
	const char *key = cv->keys.data + r->koff;
	struct buf on, down;
	char q[768];

	buf_init(&on);
	buf_init(&down);
	for (size_t i = 0; i < cv->pool.n; i++) {
		struct buf *b = f->on[i] ? &on : f->down[i] ? &down : NULL;
		if (b == NULL)
			continue;
		if (b->len > 0)
			buf_adds(b, ", ");
		buf_adds(b, cv->pool.servers[i].spec);
	}
	const char *downs = down.len > 0 ? down.data : "";
	cv->finding = false;
	if (on.len == 0) {
		ctx_error(cv->ctx, down.len > 0 ? EXIT_TEMPFAIL : EXIT_NEGATIVE,
			  "%.*s: on no server any more (expired, evicted or deleted)%s%.200s", kl, key,
			  down.len > 0 ? "; no answer from " : "", downs);
	} else {
		free(cv->del_on);
		cv->del_on = f->on;
		f->on = NULL;
		cv->del_row = f->row;
		snprintf(q, sizeof(q), "Delete %.*s from %.300s%s%.150s%s?", kl, key, on.data,
			 down.len > 0 ? " (no answer from " : "", downs, down.len > 0 ? ")" : "");
		ctx_confirm(cv->ctx, q, cv_del_yes, cv);
	}
	buf_free(&on);
	buf_free(&down);
	free(f->on);
	free(f->down);
	free(f->probe);
	free(f);
}

static void cv_find_got(void *arg, const struct mc_mg *g)
{
	struct cv_probe *p = arg;

	if (g->hit)
		p->f->on[p->i] = true;
}

static void cv_find_done(void *arg, int status, const char *why)
{
	struct cv_probe *p = arg;
	struct cv_find *f = p->f;

	(void)why;
	if (status != MC_OK)
		f->down[p->i] = true;
	if (--f->pending == 0)
		cv_find_ask(f);
}

static void cv_find_start(struct cview *cv, size_t row)
{
	struct cv_find *f = xcalloc(1, sizeof(*f));
	size_t wl;
	char *w = wire_of(cv, &cv->rows[row], &wl);

	f->cv = cv;
	f->row = row;
	f->on = xcalloc(cv->pool.n, sizeof(bool));
	f->down = xcalloc(cv->pool.n, sizeof(bool));
	f->probe = xcalloc(cv->pool.n, sizeof(*f->probe));
	cv->finding = true;
	/* +1 while sending: a server that fails at once answers inside mc_mget. */
	f->pending = 1;
	for (size_t i = 0; i < cv->pool.n; i++) {
		f->probe[i].f = f;
		f->probe[i].i = i;
		f->pending++;
		mc_mget(cv_cmd(&cv->srv[i]), w, wl, "s u", cv_find_got, cv_find_done, &f->probe[i]);
	}
	free(w);
	if (--f->pending == 0)
		cv_find_ask(f);
}

/* F, answered y: every key the list showed (its filter applied). */
static void cv_flush_yes(void *arg)
{
	struct cview *cv = arg;
	struct cv_del *d = xcalloc(1, sizeof(*d));

	d->cv = cv;
	d->what = xasprintf("flush of %zu shown keys", cv->nflush);
	d->pending = 1;
	for (size_t s = 0; s < cv->pool.n; s++) {
		const char **keys = NULL;
		size_t *lens = NULL, n = 0;
		uint32_t *rows = NULL;
		for (size_t k = 0; k < cv->nflush; k++) {
			struct cvrow *r = &cv->rows[cv->flush_rows[k]];
			if (r->srv != s || r->deleted || r->deleting)
				continue;
			keys = xrealloc(keys, (n + 1) * sizeof(*keys));
			lens = xrealloc(lens, (n + 1) * sizeof(*lens));
			rows = xrealloc(rows, (n + 1) * sizeof(*rows));
			keys[n] = wire_of(cv, r, &lens[n]);
			rows[n] = cv->flush_rows[k];
			n++;
		}
		for (size_t off = 0; off < n; off += MD_BATCH) {
			size_t nb = n - off < MD_BATCH ? n - off : MD_BATCH;
			uint32_t *br = xmalloc(nb * sizeof(*br));
			memcpy(br, rows + off, nb * sizeof(*br));
			cv_md_send(d, s, keys + off, lens + off, nb, br, nb);
		}
		for (size_t k = 0; k < n; k++)
			free((char *)keys[k]);
		free(keys);
		free(lens);
		free(rows);
	}
	free(cv->flush_rows);
	cv->flush_rows = NULL;
	cv_del_release(d);
	cv_changed(cv);
}

/* i: the pool's stats and rates. */
static void cv_stats_text(struct cview *cv, struct ctx *ctx)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "%-24s %-5s %-8s %10s %12s %7s %7s %10s %8s %8s\n", "SERVER", "STATE", "VERSION", "ITEMS", "BYTES",
		 "FILL%", "HIT%", "EVICTIONS", "GETS/S", "EVICT/S");
	for (size_t i = 0; i < cv->pool.n; i++) {
		struct cvsrv *v = &cv->srv[i];
		long long hits = stat_num(&v->st, "get_hits"), misses = stat_num(&v->st, "get_misses");
		long long bytes = stat_num(&v->st, "bytes"), limit = stat_num(&v->st, "limit_maxbytes");
		if (v->down) {
			buf_addf(&b, "%-24s %-5s %s\n", cv->pool.servers[i].spec, "DOWN", v->why);
			continue;
		}
		buf_addf(&b, "%-24s %-5s %-8s %10lld %12lld %7.1f %7.1f %10lld %8.0f %8.0f\n", cv->pool.servers[i].spec,
			 "up", stat_str(&v->st, "version") ? stat_str(&v->st, "version") : "-",
			 stat_num(&v->st, "curr_items"), bytes, limit > 0 ? 100.0 * (double)bytes / (double)limit : 0.0,
			 hits + misses > 0 ? 100.0 * (double)hits / (double)(hits + misses) : 0.0,
			 stat_num(&v->st, "evictions"), v->get_rate, v->evict_rate);
	}
	buf_adds(&b, "\nRates are over the last refresh (every 5 s). Slab classes: :cache stats --slabs\n");
	ctx_pager(ctx, "cache stats", b.data, b.len);
	buf_free(&b);
}

static int cview_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct cview *cv = state;
	char q[512];

	if (!cv->pool_ok)
		return VIEW_UNUSED;
	if (key == 'd' && sel != (size_t)-1) {
		struct cvrow *r = &cv->rows[sel];
		if (r->unsendable) {
			ctx_error(ctx, EXIT_USAGE, "%.*s: a key that %s", (int)(r->klen > 200 ? 200 : r->klen),
				  cv->keys.data + r->koff, UNSENDABLE);
			return VIEW_USED;
		}
		/* The question comes when every server has said whether it
		 * holds the key; a second d meanwhile is the same question. */
		if (!cv->finding)
			cv_find_start(cv, sel);
		return VIEW_USED;
	}
	if (key == 'F') {
		size_t shown = ctx_shown_count(ctx), servers = 0, unsendable = 0;
		int64_t bytes = 0;
		bool *on = xcalloc(cv->pool.n, sizeof(bool));
		free(cv->flush_rows);
		cv->flush_rows = xcalloc(shown + 1, sizeof(uint32_t));
		cv->nflush = 0;
		for (size_t p = 0; p < shown; p++) {
			size_t row;
			if (!ctx_shown_row(ctx, p, &row) || cv->rows[row].deleted || cv->rows[row].deleting)
				continue;
			if (cv->rows[row].unsendable) {
				unsendable++;
				continue;
			}
			cv->flush_rows[cv->nflush++] = (uint32_t)row;
			bytes += cv->rows[row].size;
			if (!on[cv->rows[row].srv]) {
				on[cv->rows[row].srv] = true;
				servers++;
			}
		}
		free(on);
		if (cv->nflush == 0) {
			ctx_error(ctx, EXIT_NEGATIVE, "no key shown%s: nothing to flush",
				  unsendable > 0 ? " that memcached's text protocol can carry" : "");
			return VIEW_USED;
		}
		char skip[96] = "";
		if (unsendable > 0)
			snprintf(skip, sizeof(skip), " (%zu more that the text protocol cannot carry stay)", unsendable);
		snprintf(q, sizeof(q), "Delete the %zu keys shown (%lld bytes) on %zu server%s%s?", cv->nflush,
			 (long long)bytes, servers, servers == 1 ? "" : "s", skip);
		ctx_confirm(ctx, q, cv_flush_yes, cv);
		return VIEW_USED;
	}
	if (key == 'i') {
		/* (s sorts, in every list) */
		cv_stats_text(cv, ctx);
		return VIEW_USED;
	}
	return VIEW_UNUSED;
}

static void cview_close(void *state)
{
	struct cview *cv = state;

	loop_timer_del(cv->refresh);
	for (size_t i = 0; cv->srv != NULL && i < cv->pool.n; i++) {
		mc_conn_free(cv->srv[i].cmd);
		mc_conn_free(cv->srv[i].dump);
		aliasmap_free(&cv->srv[i].st);
		free(cv->srv[i].q);
	}
	ctx_progress(cv->ctx, NULL);
	free(cv->srv);
	free(cv->rows);
	free(cv->flush_rows);
	free(cv->del_on);
	buf_free(&cv->keys);
	buf_free(&cv->keyscratch);
	buf_free(&cv->valbuf);
	mc_pool_free(&cv->pool);
	free(cv);
}

static const struct key_help cview_keys[] = {
	{ "Enter", "the value of the key (from its server)" },
	{ "d", "delete the key from the servers that hold it (asks first, naming them)" },
	{ "F", "delete every key shown: filter with / first (asks first)" },
	{ "i", "the pool's stats and rates (s sorts, as in every list)" },
	{ NULL, NULL },
};

static const struct view cache_view = {
	.open = cview_open,
	.columns = cview_columns,
	.row_count = cview_count,
	.row = cview_row,
	.header = cview_header,
	.key = cview_key,
	.activate = cview_activate,
	.poll = cview_poll,
	.close = cview_close,
	.keys = cview_keys,
};

/* ---- the plugin ---- */

static const struct opt stats_opts[] = {
	{ "--slabs", 0, NULL, "the slab classes of each server, as memcached-tool display" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt list_opts[] = {
	{ "--prefix", 0, "P", "only keys starting with P" },
	{ "--match", 0, "GLOB", "only keys matching GLOB" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt del_opts[] = {
	{ "--dry-run", 0, NULL, "only print what would be deleted" },
	{ "--yes", 0, NULL, "really delete" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt flush_opts[] = {
	{ "--prefix", 0, "P", "keys starting with P" },
	{ "--match", 0, "GLOB", "keys matching GLOB" },
	{ "--all", 0, NULL, "every key of the namespace" },
	{ "--dry-run", 0, NULL, "only print what would be deleted" },
	{ "--yes", 0, NULL, "really delete" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "stats", "[--slabs]", "per-server statistics of the pool", stats_opts, 0, 0, cmd_stats },
	{ "list", "[--prefix P|--match GLOB]", "list cached verification results", list_opts, 0, 0, cmd_list },
	{ "get", "KEY", "show one entry", NULL, 1, 1, cmd_get },
	{ "locate", "KEY", "which server of the pool holds KEY", NULL, 1, 1, cmd_locate },
	{ "del", "KEY...", "delete entries", del_opts, 1, -1, cmd_del },
	{ "flush", "(--prefix P|--match GLOB|--all) [--dry-run] [--yes]", "delete many entries", flush_opts, 0, 0,
	  cmd_flush },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_cache = {
	.name = "cache",
	.title = "Cache",
	.default_verb = "stats",
	.summary = "inspect and flush the memcached recipient-verification cache",
	.commands = commands,
	.view = &cache_view,
};

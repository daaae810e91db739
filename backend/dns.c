/*
 * backend/dns.c: where mail for a domain goes. An MX look-up and the
 * address look-ups of its hosts, as an MTA does them, through the loop's
 * c-ares channel; nothing here waits. Also single questions (A, AAAA, MX,
 * TXT) with their status and time, for the doctor's resolver and DNSBL
 * checks, and DNSBL names.
 *
 * A query owns its result until the caller's callback has returned. c-ares
 * keeps calling back for look-ups in flight even after dns_cancel (there is
 * no per-query cancel in 1.18), so a cancelled query stays allocated, with
 * its callbacks ignored, until the last of them has come back.
 */
#include <ares.h>
#include <ares_nameser.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

/*
 * A domain may list many MX hosts (a TCP answer holds thousands); an MTA
 * uses the first few. Beyond this many, the rest are not looked up, so a
 * hostile zone cannot make one query start hundreds of look-ups.
 */
#define MAX_MX_HOSTS 32

enum query_kind { Q_MX, Q_HOST, Q_LOOKUP };

/* One address look-up: an MX host, the domain itself, or a route's host. */
struct lookup {
	struct dns_query *q;
	size_t idx; /* its entry in q->res.hosts */
	int64_t t0;
	struct sockaddr_storage *addrs; /* IPv6 first, then IPv4 */
	size_t naddrs;
};

struct dns_query {
	struct loop *loop;
	struct ares_channeldata *ch;
	dns_mx_fn cb;		 /* Q_MX, Q_HOST */
	dns_answer_fn answer_cb; /* Q_LOOKUP */
	void *arg;
	enum query_kind kind;
	enum dns_qtype qtype; /* Q_LOOKUP */
	char *name;	      /* the domain, or the host without brackets */
	int port;
	bool allow_private;
	bool in_api;		  /* inside dns_mx/dns_host: the caller cannot take a result yet */
	bool cancelled;		  /* nobody wants the result; free once c-ares is done with us */
	bool destroyed;		  /* the channel was destroyed under a look-up */
	bool done;		  /* res is final */
	bool delivering;	  /* cb is running */
	int busy;		  /* our own code is still using q further up the stack */
	int outstanding;	  /* c-ares callbacks still to come */
	struct loop_timer *later; /* delivers a result reached before dns_mx returned */
	int64_t t0;
	struct lookup *lk; /* one per res.hosts entry */
	struct dns_mx_result res;
	struct dns_answer ans; /* Q_LOOKUP */
};

static void query_free(struct dns_query *q)
{
	for (size_t i = 0; i < q->ans.n; i++)
		free(q->ans.items[i]);
	free(q->ans.items);
	for (size_t i = 0; i < q->res.nhosts; i++)
		free(q->lk[i].addrs);
	free(q->lk);
	free(q->res.hosts);
	free(q->name);
	free(q);
}

static void finish(struct dns_query *q, enum dns_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void finish(struct dns_query *q, enum dns_status st, const char *fmt, ...)
{
	va_list ap;

	q->res.status = st;
	va_start(ap, fmt);
	vsnprintf(q->res.why, sizeof(q->res.why), fmt, ap);
	va_end(ap);
	q->done = true;
}

/* Appends s to the list in dst when it fits whole: a cut address would mislead. */
static void list_add(char *dst, size_t size, const char *sep, const char *s)
{
	size_t len = strlen(dst), need = strlen(s) + (len > 0 ? strlen(sep) : 0);

	if (len + need >= size)
		return;
	snprintf(dst + len, size - len, "%s%s", len > 0 ? sep : "", s);
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static unsigned sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void sa_ntop(const struct sockaddr_storage *ss, char *out, size_t size)
{
	const void *a = ss->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
						  : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, out, (socklen_t)size) == NULL)
		snprintf(out, size, "?");
}

static bool sa_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) ==
	       0;
}

/*
 * Whether a host's look-up failed in a way that makes the whole query
 * DNS_FAIL. For an MX host NXDOMAIN, NODATA and a name c-ares cannot even
 * send are answers (another MX host may do); the rest may go away if tried
 * later. A configured host has no other host to fall back on: anything but
 * "not found" and "no address" is a failure to report as such.
 */
static bool failed(const struct dns_query *q, int status)
{
	if (status == ARES_SUCCESS || status == ARES_ENODATA || status == ARES_ENOTFOUND)
		return false;
	return q->kind == Q_HOST || status != ARES_EBADNAME;
}

/* ---- the result ---- */

/*
 * Every look-up is in: the targets in MX order (each host's IPv6, then
 * IPv4), the port on each, private addresses left out and noted, and the
 * status that explains an empty list.
 */
static void assemble(struct dns_query *q)
{
	struct dns_mx_result *r = &q->res;
	char skipped[256] = "";
	const char *failhost = NULL;
	int failstatus = 0;
	size_t nskipped = 0;

	for (size_t i = 0; i < r->nhosts; i++) {
		struct dns_host *h = &r->hosts[i];
		struct lookup *lk = &q->lk[i];

		if (failed(q, h->status) && failhost == NULL) {
			failhost = h->host;
			failstatus = h->status;
		}
		for (size_t j = 0; j < lk->naddrs; j++) {
			struct sockaddr_storage *ss = &lk->addrs[j];
			const char *why;
			char ip[64], note[128];
			bool dup = false;

			set_port(ss, q->port);
			sa_ntop(ss, ip, sizeof(ip));
			list_add(h->addrs, sizeof(h->addrs), " ", ip);
			if (q->kind == Q_MX && !q->allow_private && dns_addr_private((struct sockaddr *)ss, &why)) {
				snprintf(note, sizeof(note), "%s (%s)", ip, why);
				list_add(h->skipped, sizeof(h->skipped), ", ", note);
				list_add(skipped, sizeof(skipped), ", ", note);
				nskipped++;
				continue;
			}
			/* Two MX names for one machine: trying it twice teaches nothing. */
			for (size_t k = 0; k < r->n && !dup; k++)
				dup = sa_same_addr(&r->targets[k].sa, ss);
			if (dup || r->n == DNS_MAX_TARGETS)
				continue;
			struct dns_target *t = &r->targets[r->n++];
			snprintf(t->host, sizeof(t->host), "%s", h->host);
			t->pref = h->pref;
			snprintf(t->ip, sizeof(t->ip), "%s", ip);
			memcpy(&t->sa, ss, sizeof(*ss));
			t->salen = sa_len(ss);
		}
	}
	q->done = true;
	if (r->n > 0)
		r->status = DNS_OK;
	else if (failhost != NULL)
		finish(q, DNS_FAIL, "%s: %s", failhost, ares_strerror(failstatus));
	else if (nskipped > 0)
		finish(q, DNS_NONE, "every address is skipped: %s", skipped);
	else if (q->kind == Q_HOST && r->nhosts == 1 && r->hosts[0].status == ARES_ENOTFOUND)
		finish(q, DNS_NXDOMAIN, "%s: %s", q->name, ares_strerror(ARES_ENOTFOUND));
	else if (q->kind == Q_HOST)
		finish(q, DNS_NOADDR, "%s: no address", q->name);
	else if (r->implicit)
		finish(q, DNS_NOADDR, "%s: no MX and no address", q->name);
	else
		finish(q, DNS_NOADDR, "%s: no MX host has an address", q->name);
}

/* The status of a single question, as a word the doctor shows. */
static const char *status_name(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return "ok";
	case ARES_ENOTFOUND:
		return "nxdomain";
	case ARES_ENODATA:
		return "nodata";
	case ARES_ESERVFAIL:
		return "servfail";
	case ARES_EREFUSED:
	case ARES_ECONNREFUSED:
		return "refused";
	case ARES_ETIMEOUT:
		return "timeout";
	default:
		return "error";
	}
}

/* A single question's answer is final (its items, if any, already kept). */
static void answer_status(struct dns_query *q, int status)
{
	q->ans.status = status;
	q->ans.status_name = status_name(status);
	q->ans.ms = util_now_ms() - q->t0;
	q->done = true;
}

static void deliver(struct dns_query *q)
{
	q->res.total_ms = util_now_ms() - q->t0;
	q->delivering = true;
	if (q->kind == Q_LOOKUP)
		q->answer_cb(q->arg, &q->ans);
	else
		q->cb(q->arg, &q->res);
	query_free(q);
}

static void deliver_later(void *arg)
{
	struct dns_query *q = arg;

	loop_timer_del(q->later);
	q->later = NULL;
	deliver(q);
}

/*
 * Our code is done with q for now (every entry point ends here): free it
 * when cancelled and c-ares is done with it, or hand a final result over,
 * through the loop when the caller is still inside dns_mx/dns_host.
 */
static void settle(struct dns_query *q)
{
	if (q->busy > 0 || q->outstanding > 0)
		return;
	if (q->cancelled) {
		query_free(q);
		return;
	}
	if (!q->done) {
		if (q->kind == Q_LOOKUP)
			answer_status(q, ARES_EDESTRUCTION);
		else if (q->destroyed)
			finish(q, DNS_FAIL, "%s: the DNS resolver was shut down", q->name);
		else
			assemble(q);
	}
	if (q->in_api) {
		if (q->later == NULL)
			q->later = loop_timer_add(q->loop, 0, false, deliver_later, q);
		return;
	}
	deliver(q);
}

/* ---- address look-ups ---- */

/* Keeps IPv6 before IPv4: the order in which an MTA with both tries them. */
static void keep_addrs(struct lookup *lk, const struct ares_addrinfo *ai)
{
	static const int order[] = { AF_INET6, AF_INET };
	size_t n = 0;

	for (const struct ares_addrinfo_node *a = ai->nodes; a != NULL; a = a->ai_next)
		n++;
	lk->addrs = xcalloc(n, sizeof(*lk->addrs));
	for (size_t f = 0; f < sizeof(order) / sizeof(order[0]); f++) {
		for (const struct ares_addrinfo_node *a = ai->nodes; a != NULL; a = a->ai_next) {
			struct sockaddr_storage ss;
			bool dup = false;

			if (a->ai_family != order[f] || a->ai_addr == NULL || (size_t)a->ai_addrlen > sizeof(ss))
				continue;
			memset(&ss, 0, sizeof(ss));
			memcpy(&ss, a->ai_addr, (size_t)a->ai_addrlen);
			for (size_t k = 0; k < lk->naddrs && !dup; k++)
				dup = sa_same_addr(&lk->addrs[k], &ss);
			if (!dup)
				lk->addrs[lk->naddrs++] = ss;
		}
	}
}

static void addr_answered(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct lookup *lk = arg;
	struct dns_query *q = lk->q;

	(void)timeouts;
	q->outstanding--;
	q->busy++;
	if (!q->cancelled) {
		struct dns_host *h = &q->res.hosts[lk->idx];

		h->ms = util_now_ms() - lk->t0;
		h->status = status;
		if (status == ARES_EDESTRUCTION)
			q->destroyed = true;
		if (status == ARES_SUCCESS && ai != NULL)
			keep_addrs(lk, ai);
		if (status == ARES_SUCCESS && lk->naddrs == 0)
			h->status = ARES_ENODATA;
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	q->busy--;
	settle(q);
}

/*
 * Room for n hosts. Allocated once, before the first look-up starts: the
 * look-ups' callbacks hold pointers into it.
 */
static void hosts_alloc(struct dns_query *q, size_t n)
{
	q->res.hosts = xcalloc(n, sizeof(*q->res.hosts));
	q->lk = xcalloc(n, sizeof(*q->lk));
	q->res.nhosts = n;
	for (size_t i = 0; i < n; i++) {
		q->lk[i].q = q;
		q->lk[i].idx = i;
		q->res.hosts[i].status = ARES_SUCCESS;
	}
}

/*
 * Starts the AAAA and A look-ups of host i. An MX host or a mail domain is
 * a full name: with the root's dot added c-ares neither tries the search
 * domains of resolv.conf on it nor /etc/hosts, as an MTA does not.
 */
static void lookup_start(struct dns_query *q, size_t i, const char *name, int pref, bool absolute)
{
	struct dns_host *h = &q->res.hosts[i];
	struct ares_addrinfo_hints hints;
	size_t len = strlen(name);
	char *fq = absolute && (len == 0 || name[len - 1] != '.') ? xasprintf("%s.", name) : xstrdup(name);

	snprintf(h->host, sizeof(h->host), "%s", name);
	h->pref = pref;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* keep_addrs orders the families; c-ares' sort would connect() a UDP socket per address to rank them. */
	hints.ai_flags = ARES_AI_NOSORT;
	q->lk[i].t0 = util_now_ms();
	q->outstanding++;
	ares_getaddrinfo(q->ch, fq, NULL, &hints, addr_answered, &q->lk[i]);
	free(fq);
}

/* ---- the MX look-up ---- */

struct mx {
	const char *host;
	int pref;
	uint32_t shuffle;
};

static int mx_cmp(const void *a, const void *b)
{
	const struct mx *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return x->shuffle < y->shuffle ? -1 : x->shuffle > y->shuffle;
}

/* Host names compare without case and without the root's dot. */
static bool same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static bool null_host(const char *h)
{
	return h[0] == '\0' || strcmp(h, ".") == 0;
}

static void mx_hosts(struct dns_query *q, const struct ares_mx_reply *reply)
{
	struct mx *mx;
	size_t n = 0, kept = 0;

	for (const struct ares_mx_reply *m = reply; m != NULL; m = m->next)
		n++;
	mx = xcalloc(n, sizeof(*mx));
	n = 0;
	for (const struct ares_mx_reply *m = reply; m != NULL; m = m->next) {
		/* RFC 7505 forbids a null MX beside others; "." is nowhere to go. */
		if (null_host(m->host))
			continue;
		mx[n].host = m->host;
		mx[n].pref = m->priority;
		/* RFC 5321 5.1: equal preferences in random order, spreading the load. */
		mx[n].shuffle = arc4random();
		n++;
	}
	if (n == 0) {
		free(mx);
		finish(q, DNS_NULLMX, "%s: null MX (RFC 7505): accepts no mail", q->name);
		return;
	}
	util_sort(mx, n, sizeof(*mx), mx_cmp);
	/* A name listed twice keeps its best preference. */
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t k = 0; k < kept && !dup; k++)
			dup = same_host(mx[k].host, mx[i].host);
		if (!dup && kept < MAX_MX_HOSTS)
			mx[kept++] = mx[i];
	}
	hosts_alloc(q, kept);
	for (size_t i = 0; i < kept; i++)
		lookup_start(q, i, mx[i].host, mx[i].pref, true);
	free(mx);
}

static void mx_answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	struct ares_mx_reply *reply = NULL;

	(void)timeouts;
	q->outstanding--;
	q->busy++;
	if (q->cancelled) {
		/* Only waiting for this to come back. */
	} else if (status == ARES_EDESTRUCTION) {
		q->destroyed = true;
	} else {
		q->res.mx_ms = util_now_ms() - q->t0;
		/* An answer without MX records (a bare CNAME, say) is NODATA too. */
		if (status == ARES_SUCCESS)
			status = ares_parse_mx_reply(abuf, alen, &reply);
		if (status == ARES_SUCCESS) {
			mx_hosts(q, reply);
		} else if (status == ARES_ENODATA) {
			/* RFC 5321 5.1: no MX, the domain itself is the host. */
			q->res.implicit = true;
			hosts_alloc(q, 1);
			lookup_start(q, 0, q->name, -1, true);
		} else if (status == ARES_ENOTFOUND) {
			finish(q, DNS_NXDOMAIN, "%s: %s", q->name, ares_strerror(status));
		} else {
			finish(q, DNS_FAIL, "MX %s: %s", q->name, ares_strerror(status));
		}
		if (reply != NULL)
			ares_free_data(reply);
	}
	q->busy--;
	settle(q);
}

static struct dns_query *query_new(struct loop *l, struct ares_channeldata *ch, enum query_kind kind, const char *name,
				   int port, dns_mx_fn cb, void *arg)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));

	q->loop = l;
	q->ch = ch;
	q->kind = kind;
	q->name = xstrdup(name);
	q->port = port;
	q->cb = cb;
	q->arg = arg;
	q->t0 = util_now_ms();
	q->in_api = true;
	q->busy = 1;
	return q;
}

/* The end of dns_mx/dns_host: a result already final waits for the loop. */
static struct dns_query *query_started(struct dns_query *q)
{
	q->busy--;
	settle(q);
	q->in_api = false;
	return q;
}

struct dns_query *dns_mx(struct loop *l, struct ares_channeldata *ch, const char *domain, int port, bool allow_private,
			 dns_mx_fn cb, void *arg)
{
	struct dns_query *q = query_new(l, ch, Q_MX, domain, port, cb, arg);

	q->allow_private = allow_private;
	if (ch == NULL) {
		finish(q, DNS_FAIL, "%s: no DNS resolver", domain);
	} else {
		q->outstanding++;
		ares_query(ch, domain, C_IN, T_MX, mx_answered, q);
	}
	return query_started(q);
}

/* A numeric IPv4 or IPv6 address (with %scope), so that no look-up goes out for it. */
static bool numeric_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *scope;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return true;
	}
	if (strchr(s, ':') == NULL || strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	scope = strchr(buf, '%');
	if (scope != NULL)
		*scope++ = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return false;
	sin6->sin6_family = AF_INET6;
	if (scope != NULL) {
		char *end;
		unsigned long id = strtoul(scope, &end, 10);

		sin6->sin6_scope_id = *scope != '\0' && *end == '\0' ? (uint32_t)id : if_nametoindex(scope);
		if (sin6->sin6_scope_id == 0)
			return false;
	}
	return true;
}

struct dns_query *dns_host(struct loop *l, struct ares_channeldata *ch, const char *host, int port, dns_mx_fn cb,
			   void *arg)
{
	size_t len = strlen(host);
	char *bare = len >= 2 && host[0] == '[' && host[len - 1] == ']' ? xstrndup(host + 1, len - 2) : xstrdup(host);
	struct dns_query *q = query_new(l, ch, Q_HOST, bare, port, cb, arg);
	struct sockaddr_storage ss;

	free(bare);
	if (numeric_addr(q->name, &ss)) {
		hosts_alloc(q, 1);
		snprintf(q->res.hosts[0].host, sizeof(q->res.hosts[0].host), "%s", q->name);
		q->res.hosts[0].pref = -1;
		q->lk[0].addrs = xcalloc(1, sizeof(ss));
		q->lk[0].addrs[0] = ss;
		q->lk[0].naddrs = 1;
	} else if (ch == NULL) {
		finish(q, DNS_FAIL, "%s: no DNS resolver", q->name);
	} else {
		/* A configured name resolves as the system would: search domains, /etc/hosts. */
		hosts_alloc(q, 1);
		lookup_start(q, 0, q->name, -1, false);
	}
	return query_started(q);
}

/* ---- single questions ---- */

static void answer_add(struct dns_answer *a, char *item)
{
	a->items = xrealloc(a->items, (a->n + 1) * sizeof(*a->items));
	a->items[a->n++] = item;
}

static int parse_addrs(struct dns_answer *a, int family, const unsigned char *abuf, int alen)
{
	struct hostent *he = NULL;
	int rc = family == AF_INET ? ares_parse_a_reply(abuf, alen, &he, NULL, NULL)
				   : ares_parse_aaaa_reply(abuf, alen, &he, NULL, NULL);

	if (rc != ARES_SUCCESS)
		return rc;
	for (char **p = he->h_addr_list; p != NULL && *p != NULL; p++) {
		char ip[INET6_ADDRSTRLEN];

		if (inet_ntop(family, *p, ip, sizeof(ip)) != NULL)
			answer_add(a, xstrdup(ip));
	}
	ares_free_hostent(he);
	return a->n > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

static int parse_mx(struct dns_answer *a, const unsigned char *abuf, int alen)
{
	struct ares_mx_reply *reply = NULL;
	int rc = ares_parse_mx_reply(abuf, alen, &reply);

	if (rc != ARES_SUCCESS)
		return rc;
	for (const struct ares_mx_reply *m = reply; m != NULL; m = m->next)
		answer_add(a, xasprintf("%u %s", m->priority, null_host(m->host) ? "." : m->host));
	ares_free_data(reply);
	return a->n > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/*
 * A TXT record is one or more strings that mean one text (RFC 7208 3.3
 * joins them without a separator); c-ares lists the strings, marking the
 * first of each record.
 */
static int parse_txt(struct dns_answer *a, const unsigned char *abuf, int alen)
{
	struct ares_txt_ext *reply = NULL;
	struct buf b;
	bool open = false;
	int rc = ares_parse_txt_reply_ext(abuf, alen, &reply);

	if (rc != ARES_SUCCESS)
		return rc;
	buf_init(&b);
	for (const struct ares_txt_ext *t = reply; t != NULL; t = t->next) {
		if (t->record_start && open) {
			answer_add(a, xstrdup(b.data));
			buf_reset(&b);
		}
		open = true;
		buf_add(&b, t->txt, t->length);
	}
	if (open)
		answer_add(a, xstrdup(b.data != NULL ? b.data : ""));
	buf_free(&b);
	ares_free_data(reply);
	return a->n > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

static void lookup_answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;

	(void)timeouts;
	q->outstanding--;
	q->busy++;
	if (!q->cancelled) {
		if (status == ARES_EDESTRUCTION)
			q->destroyed = true;
		if (status == ARES_SUCCESS) {
			switch (q->qtype) {
			case DNS_Q_A:
				status = parse_addrs(&q->ans, AF_INET, abuf, alen);
				break;
			case DNS_Q_AAAA:
				status = parse_addrs(&q->ans, AF_INET6, abuf, alen);
				break;
			case DNS_Q_MX:
				status = parse_mx(&q->ans, abuf, alen);
				break;
			case DNS_Q_TXT:
				status = parse_txt(&q->ans, abuf, alen);
				break;
			}
		}
		answer_status(q, status);
	}
	q->busy--;
	settle(q);
}

struct dns_query *dns_lookup(struct loop *l, struct ares_channeldata *ch, const char *name, enum dns_qtype t,
			     dns_answer_fn cb, void *arg)
{
	static const int types[] = { [DNS_Q_A] = T_A, [DNS_Q_AAAA] = T_AAAA, [DNS_Q_MX] = T_MX, [DNS_Q_TXT] = T_TXT };
	struct dns_query *q = query_new(l, ch, Q_LOOKUP, name != NULL ? name : "", 0, NULL, arg);

	q->answer_cb = cb;
	q->qtype = t;
	if (ch == NULL || (unsigned)t >= sizeof(types) / sizeof(types[0])) {
		answer_status(q, ARES_ENOTINITIALIZED);
	} else {
		q->outstanding++;
		ares_query(ch, q->name, C_IN, types[t], lookup_answered, q);
	}
	return query_started(q);
}

/* ---- DNSBL names ---- */

bool dns_dnsbl_name(const char *ip, const char *zone, char *out, size_t outlen)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	char rev[64 + 1] = "";
	size_t o = 0;
	int n;

	if (ip == NULL || out == NULL || outlen == 0)
		return false;
	out[0] = '\0';
	if (zone == NULL)
		zone = "";
	if (zone[0] == '.')
		zone++;
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(rev, sizeof(rev), "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		/* ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: lists know it as a.b.c.d. */
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			snprintf(rev, sizeof(rev), "%u.%u.%u.%u", a[15], a[14], a[13], a[12]);
		} else {
			for (int i = 15; i >= 0; i--) {
				rev[o++] = hex[a[i] & 0xf];
				rev[o++] = '.';
				rev[o++] = hex[a[i] >> 4];
				rev[o++] = i > 0 ? '.' : '\0';
			}
		}
	} else {
		return false;
	}
	n = snprintf(out, outlen, "%s%s%s", rev, zone[0] != '\0' ? "." : "", zone);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return false;
	}
	return true;
}

void dns_cancel(struct dns_query *q)
{
	if (q == NULL || q->delivering)
		return;
	if (q->later != NULL) {
		loop_timer_del(q->later);
		query_free(q);
		return;
	}
	q->cancelled = true;
	settle(q);
}

/* ---- addresses we must not be sent to ---- */

struct net4 {
	uint32_t net; /* host byte order */
	unsigned bits;
	const char *why;
};

static const struct net4 nets4[] = {
	{ 0x7f000000, 8, "loopback" },        /* 127.0.0.0/8 */
	{ 0x0a000000, 8, "private" },         /* 10.0.0.0/8 */
	{ 0xac100000, 12, "private" },        /* 172.16.0.0/12 */
	{ 0xc0a80000, 16, "private" },        /* 192.168.0.0/16 */
	{ 0xa9fe0000, 16, "link-local" },     /* 169.254.0.0/16 */
	{ 0x64400000, 10, "shared (CGNAT)" }, /* 100.64.0.0/10 */
	{ 0x00000000, 8, "reserved" },        /* 0.0.0.0/8: "this network" */
	{ 0xe0000000, 4, "reserved" },        /* 224.0.0.0/4: multicast */
	{ 0xf0000000, 4, "reserved" },        /* 240.0.0.0/4, with 255.255.255.255 */
	{ 0xc0000200, 24, "reserved" },       /* 192.0.2.0/24: TEST-NET-1 */
	{ 0xc6336400, 24, "reserved" },       /* 198.51.100.0/24: TEST-NET-2 */
	{ 0xcb007100, 24, "reserved" },       /* 203.0.113.0/24: TEST-NET-3 */
};

struct net6 {
	unsigned char net[16];
	unsigned bits;
	const char *why;
};

static const struct net6 nets6[] = {
	{ { [15] = 1 }, 128, "loopback" },          /* ::1 */
	{ { 0 }, 128, "reserved" },                 /* :: */
	{ { 0xfc }, 7, "private" },                 /* fc00::/7: unique local */
	{ { 0xfe, 0x80 }, 10, "link-local" },       /* fe80::/10 */
	{ { 0xff }, 8, "reserved" },                /* ff00::/8: multicast */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, "reserved" }, /* 2001:db8::/32: documentation */
};

static bool prefix_match(const unsigned char *a, const unsigned char *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* This host's addresses: read once, as they rarely change while we run. */
struct own_addr {
	int family;
	unsigned char a[16];
};
static struct own_addr own[64];
static size_t nown;
static bool own_read;

static void own_load(void)
{
	struct ifaddrs *ifa;

	own_read = true;
	if (getifaddrs(&ifa) != 0)
		return;
	for (struct ifaddrs *i = ifa; i != NULL && nown < sizeof(own) / sizeof(own[0]); i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			own[nown].family = AF_INET;
			memcpy(own[nown++].a, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			own[nown].family = AF_INET6;
			memcpy(own[nown++].a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		}
	}
	freeifaddrs(ifa);
}

static bool ours(int family, const unsigned char *a)
{
	if (!own_read)
		own_load();
	for (size_t i = 0; i < nown; i++)
		if (own[i].family == family && memcmp(own[i].a, a, family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

static const char *class4(const unsigned char *a)
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

	for (size_t i = 0; i < sizeof(nets4) / sizeof(nets4[0]); i++)
		if (((v ^ nets4[i].net) & (0xffffffffu << (32 - nets4[i].bits))) == 0)
			return nets4[i].why;
	return ours(AF_INET, a) ? "our own" : NULL;
}

bool dns_addr_private(const struct sockaddr *sa, const char **why)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	const char *w = NULL;

	if (sa->sa_family == AF_INET) {
		w = class4((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
	} else if (sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		/* ::ffff:a.b.c.d reaches a.b.c.d. */
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			w = class4(a + 12);
		} else {
			for (size_t i = 0; i < sizeof(nets6) / sizeof(nets6[0]) && w == NULL; i++)
				if (prefix_match(a, nets6[i].net, nets6[i].bits))
					w = nets6[i].why;
			if (w == NULL && ours(AF_INET6, a))
				w = "our own";
		}
	}
	if (why != NULL)
		*why = w != NULL ? w : "";
	return w != NULL;
}

/*
 * backend/loop.c: the one event loop. libevent drives stdin, sockets,
 * timers and signals; c-ares is wired in the documented way for someone
 * else's loop: ARES_OPT_SOCK_STATE_CB tells which sockets to watch, their
 * events call ares_process_fd(), and a timer armed from ares_timeout() lets
 * retries and timeouts fire when no socket is active.
 *
 * The loop may own several channels: the default one (loop_dns) and one
 * per resolver asked on its own (loop_dns_server). Each has its own
 * sockets and its own timer, so one channel's retries never wait on
 * another's.
 *
 * Ownership: the loop owns every timer, watch, signal handler and c-ares
 * channel it hands out; loop_free() frees those still alive (the pending
 * queries of every channel are called back with ARES_EDESTRUCTION first).
 * A one-shot timer stays valid after it fires (it is merely not pending)
 * until loop_timer_del(); a callback may delete its own timer or watch.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

struct loop_timer {
	struct loop *loop;
	struct event *ev;
	void (*cb)(void *arg);
	void *arg;
	void (*release)(void *arg); /* for arg, when the loop goes first */
	struct loop_timer *next, *prev;
};

struct loop_watch {
	struct loop *loop;
	struct event *ev;
	void (*cb)(int fd, int what, void *arg);
	void *arg;
	struct loop_watch *next, *prev;
};

struct loop_sig {
	struct event *ev;
	void (*cb)(int sig, void *arg);
	void *arg;
	struct loop_sig *next;
};

/* One c-ares socket and the event that watches it. */
struct dns_sock {
	ares_socket_t fd;
	struct event *ev;
	struct dns_sock *next;
};

/* A c-ares channel with the sockets the loop watches for it and the timer
 * that lets its retries and timeouts fire. */
struct dns_chan {
	struct loop *loop;
	ares_channel ch;
	char *server; /* the one server it asks (loop_dns_server); NULL: the default channel */
	struct dns_sock *socks;
	struct event *timer;
	struct dns_chan *next;
};

struct loop {
	struct event_base *base;
	struct loop_timer *timers;
	struct loop_watch *watches;
	struct loop_sig *sigs;
	struct dns_chan *chans;
};

static int ares_users;

struct loop *loop_new(char *err, size_t errlen)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->base = event_base_new();
	if (l->base == NULL) {
		free(l);
		errf(err, errlen, EXIT_SOFTWARE, "cannot create the event loop");
		return NULL;
	}
	return l;
}

static void dns_sock_free(struct dns_sock *s)
{
	event_free(s->ev);
	free(s);
}

static void dns_library_release(void)
{
	if (--ares_users == 0)
		ares_library_cleanup();
}

/*
 * Destroys a channel: its pending queries' callbacks run now, with
 * ARES_EDESTRUCTION; the sockets they close come back through
 * dns_state_cb. c's socket list and timer stay valid until then.
 */
static void dns_chan_free(struct dns_chan *c)
{
	if (c->ch != NULL) {
		ares_destroy(c->ch);
		c->ch = NULL;
		dns_library_release();
	}
	while (c->socks != NULL) {
		struct dns_sock *s = c->socks;
		c->socks = s->next;
		dns_sock_free(s);
	}
	if (c->timer != NULL)
		event_free(c->timer);
	free(c->server);
	free(c);
}

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	/* Unlinked one at a time: a callback run by ares_destroy may still
	 * look a channel up (or add one), and must not find a freed one. */
	while (l->chans != NULL) {
		struct dns_chan *c = l->chans;
		l->chans = c->next;
		dns_chan_free(c);
	}
	while (l->timers != NULL) {
		void (*release)(void *) = l->timers->release;
		void *arg = l->timers->arg;
		loop_timer_del(l->timers);
		if (release != NULL)
			release(arg);
	}
	while (l->watches != NULL)
		loop_watch_del(l->watches);
	while (l->sigs != NULL) {
		struct loop_sig *s = l->sigs;
		l->sigs = s->next;
		event_free(s->ev);
		free(s);
	}
	event_base_free(l->base);
	free(l);
}

struct event_base *loop_base(struct loop *l)
{
	return l->base;
}

int loop_run(struct loop *l)
{
	return event_base_dispatch(l->base) < 0 ? -1 : 0;
}

int loop_once(struct loop *l, bool block)
{
	return event_base_loop(l->base, block ? EVLOOP_ONCE : EVLOOP_NONBLOCK) < 0 ? -1 : 0;
}

void loop_break(struct loop *l)
{
	event_base_loopbreak(l->base);
}

/* ---- timers ---- */

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer *t = arg;

	(void)fd;
	(void)what;
	t->cb(t->arg);
}

struct loop_timer *loop_timer_add(struct loop *l, unsigned ms, bool repeat, void (*cb)(void *arg), void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	t->loop = l;
	t->cb = cb;
	t->arg = arg;
	t->ev = event_new(l->base, -1, repeat ? EV_PERSIST : 0, timer_cb, t);
	if (t->ev == NULL)
		util_fatal("cannot create a timer");
	event_add(t->ev, &tv);
	t->next = l->timers;
	if (l->timers != NULL)
		l->timers->prev = t;
	l->timers = t;
	return t;
}

void loop_timer_release(struct loop_timer *t, void (*release)(void *arg))
{
	t->release = release;
}

void loop_timer_del(struct loop_timer *t)
{
	if (t == NULL)
		return;
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		t->loop->timers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	event_free(t->ev);
	free(t);
}

/* ---- watches ---- */

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_watch *w = arg;

	w->cb((int)fd, ((what & EV_READ) ? LOOP_READ : 0) | ((what & EV_WRITE) ? LOOP_WRITE : 0), w->arg);
}

struct loop_watch *loop_watch_add(struct loop *l, int fd, int what, void (*cb)(int fd, int what, void *arg), void *arg)
{
	struct loop_watch *w = xcalloc(1, sizeof(*w));
	short ev = EV_PERSIST | ((what & LOOP_READ) ? EV_READ : 0) | ((what & LOOP_WRITE) ? EV_WRITE : 0);

	w->loop = l;
	w->cb = cb;
	w->arg = arg;
	w->ev = event_new(l->base, fd, ev, watch_cb, w);
	if (w->ev == NULL)
		util_fatal("cannot watch fd %d", fd);
	event_add(w->ev, NULL);
	w->next = l->watches;
	if (l->watches != NULL)
		l->watches->prev = w;
	l->watches = w;
	return w;
}

void loop_watch_del(struct loop_watch *w)
{
	if (w == NULL)
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		w->loop->watches = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	event_free(w->ev);
	free(w);
}

/* ---- signals ---- */

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct loop_sig *s = arg;

	(void)what;
	s->cb((int)sig, s->arg);
}

int loop_signal(struct loop *l, int sig, void (*cb)(int sig, void *arg), void *arg)
{
	struct loop_sig *s = xcalloc(1, sizeof(*s));

	s->cb = cb;
	s->arg = arg;
	s->ev = evsignal_new(l->base, sig, signal_cb, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0) {
		if (s->ev != NULL)
			event_free(s->ev);
		free(s);
		return -1;
	}
	s->next = l->sigs;
	l->sigs = s;
	return 0;
}

/* ---- c-ares ---- */

static void dns_arm_timer(struct dns_chan *c)
{
	struct timeval max = { .tv_sec = 60 }, tv, *t;

	if (c->ch == NULL)
		return;
	if (c->socks == NULL) {
		/* Nothing in flight: no timer needed. */
		event_del(c->timer);
		return;
	}
	t = ares_timeout(c->ch, &max, &tv);
	event_add(c->timer, t);
}

static void dns_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_chan *c = arg;

	ares_process_fd(c->ch, (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	dns_arm_timer(c);
}

static void dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_chan *c = arg;

	(void)fd;
	(void)what;
	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_arm_timer(c);
}

static void dns_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_chan *c = data;
	struct dns_sock **pp = &c->socks, *s;

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->fd == fd)
			break;
	s = *pp;
	if (!readable && !writable) {
		if (s != NULL) {
			*pp = s->next;
			dns_sock_free(s);
		}
		return;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		s->next = c->socks;
		c->socks = s;
		/* The query that opened it gets its deadline after this callback
		 * returns; look at ares_timeout() again very soon. */
		struct timeval soon = { .tv_sec = 0, .tv_usec = 10000 };
		event_add(c->timer, &soon);
	} else {
		event_free(s->ev);
	}
	s->ev = event_new(c->loop->base, (evutil_socket_t)fd,
			  EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0), dns_sock_cb, c);
	event_add(s->ev, NULL);
}

/*
 * A new channel asking servers ("" or NULL: /etc/resolv.conf), linked into
 * l; NULL with err filled when c-ares cannot start or servers is not a
 * server list.
 */
static struct dns_chan *dns_chan_new(struct loop *l, const char *servers, bool own, int timeout_ms, int tries,
				     char *err, size_t errlen)
{
	struct ares_options opts;
	struct dns_chan *c;
	int rc, mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

	if (ares_users++ == 0 && (rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		ares_users--;
		errf(err, errlen, EXIT_SOFTWARE, "c-ares: %s", ares_strerror(rc));
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->loop = l;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_state_cb;
	opts.sock_state_cb_data = c;
	opts.timeout = timeout_ms;
	opts.tries = tries;
	if (own) {
		/* A resolver asked on its own is asked what it says: its first
		 * SERVFAIL or REFUSED is the answer, not a reason to ask it
		 * again (c-ares would, up to tries times). */
		opts.flags = ARES_FLAG_NOCHECKRESP;
		mask |= ARES_OPT_FLAGS;
	}
	rc = ares_init_options(&c->ch, &opts, mask);
	if (rc == ARES_SUCCESS && servers != NULL && servers[0] != '\0')
		rc = ares_set_servers_ports_csv(c->ch, servers);
	if (rc != ARES_SUCCESS) {
		errf(err, errlen, EXIT_CONFIG, "DNS servers '%s': %s", servers != NULL ? servers : "",
		     ares_strerror(rc));
		if (c->ch != NULL)
			ares_destroy(c->ch);
		free(c);
		dns_library_release();
		return NULL;
	}
	c->timer = evtimer_new(l->base, dns_timer_cb, c);
	if (c->timer == NULL)
		util_fatal("cannot create a timer");
	if (own)
		c->server = xstrdup(servers);
	c->next = l->chans;
	l->chans = c;
	return c;
}

struct ares_channeldata *loop_dns(struct loop *l, const char *servers, int timeout_ms, int tries, char *err,
				  size_t errlen)
{
	struct dns_chan *c;

	for (c = l->chans; c != NULL; c = c->next)
		if (c->server == NULL)
			return c->ch;
	c = dns_chan_new(l, servers, false, timeout_ms, tries, err, errlen);
	return c != NULL ? c->ch : NULL;
}

struct ares_channeldata *loop_dns_server(struct loop *l, const char *server, int timeout_ms, int tries, char *err,
					 size_t errlen)
{
	struct dns_chan *c;

	/* "" would mean resolv.conf's servers, which is loop_dns's job. */
	if (server == NULL || server[0] == '\0') {
		errf(err, errlen, EXIT_CONFIG, "DNS server: none given");
		return NULL;
	}
	for (c = l->chans; c != NULL; c = c->next)
		if (c->server != NULL && strcmp(c->server, server) == 0)
			return c->ch;
	/* One server: a list would make the answer nobody's in particular. */
	if (strchr(server, ',') != NULL) {
		errf(err, errlen, EXIT_CONFIG, "DNS server '%s': one server only", server);
		return NULL;
	}
	c = dns_chan_new(l, server, true, timeout_ms, tries, err, errlen);
	return c != NULL ? c->ch : NULL;
}

size_t loop_dns_servers(struct ares_channeldata *ch, char ***out)
{
	struct ares_addr_port_node *nodes = NULL;
	char **v;
	size_t n = 0, i = 0;

	*out = NULL;
	if (ch == NULL || ares_get_servers_ports(ch, &nodes) != ARES_SUCCESS)
		return 0;
	for (const struct ares_addr_port_node *s = nodes; s != NULL; s = s->next)
		n++;
	if (n == 0) {
		ares_free_data(nodes);
		return 0;
	}
	v = xcalloc(n, sizeof(*v));
	for (const struct ares_addr_port_node *s = nodes; s != NULL; s = s->next) {
		char ip[INET6_ADDRSTRLEN];
		/* 0 is the channel's default port, and we never change that from 53. */
		int port = s->udp_port != 0 ? s->udp_port : 53;

		if (inet_ntop(s->family, &s->addr, ip, sizeof(ip)) == NULL)
			snprintf(ip, sizeof(ip), "?");
		v[i++] = s->family == AF_INET6 ? xasprintf("[%s]:%d", ip, port) : xasprintf("%s:%d", ip, port);
	}
	ares_free_data(nodes);
	*out = v;
	return i;
}

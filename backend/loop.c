/*
 * backend/loop.c: the one event loop. libevent drives stdin, sockets,
 * timers and signals; c-ares is wired in the documented way for someone
 * else's loop: ARES_OPT_SOCK_STATE_CB tells which sockets to watch, their
 * events call ares_process_fd(), and a timer armed from ares_timeout() lets
 * retries and timeouts fire when no socket is active.
 *
 * Ownership: the loop owns every timer, watch and signal handler it hands
 * out; loop_free() frees those still alive. A one-shot timer stays valid
 * after it fires (it is merely not pending) until loop_timer_del(); a
 * callback may delete its own timer or watch.
 */
#include <ares.h>
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

struct loop_timer {
	struct loop *loop;
	struct event *ev;
	void (*cb)(void *arg);
	void *arg;
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

struct loop {
	struct event_base *base;
	struct loop_timer *timers;
	struct loop_watch *watches;
	struct loop_sig *sigs;
	ares_channel dns;
	struct dns_sock *dns_socks;
	struct event *dns_timer;
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

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (l->dns != NULL) {
		/* Pending queries' callbacks run now, with ARES_EDESTRUCTION;
		 * the sockets they close come back through sock_state_cb. */
		ares_destroy(l->dns);
		l->dns = NULL;
		if (--ares_users == 0)
			ares_library_cleanup();
	}
	while (l->dns_socks != NULL) {
		struct dns_sock *s = l->dns_socks;
		l->dns_socks = s->next;
		dns_sock_free(s);
	}
	if (l->dns_timer != NULL)
		event_free(l->dns_timer);
	while (l->timers != NULL)
		loop_timer_del(l->timers);
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

static void dns_arm_timer(struct loop *l)
{
	struct timeval max = { .tv_sec = 60 }, tv, *t;

	if (l->dns == NULL)
		return;
	t = ares_timeout(l->dns, &max, &tv);
	if (l->dns_socks == NULL) {
		/* Nothing in flight: no timer needed. */
		event_del(l->dns_timer);
		return;
	}
	event_add(l->dns_timer, t);
}

static void dns_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	ares_process_fd(l->dns, (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
			(what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	dns_arm_timer(l);
}

static void dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;

	(void)fd;
	(void)what;
	ares_process_fd(l->dns, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_arm_timer(l);
}

static void dns_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct loop *l = data;
	struct dns_sock **pp = &l->dns_socks, *s;

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
		s->next = l->dns_socks;
		l->dns_socks = s;
		/* The query that opened it gets its deadline after this callback
		 * returns; look at ares_timeout() again very soon. */
		struct timeval soon = { .tv_sec = 0, .tv_usec = 10000 };
		event_add(l->dns_timer, &soon);
	} else {
		event_free(s->ev);
	}
	s->ev = event_new(l->base, (evutil_socket_t)fd,
			  EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0), dns_sock_cb, l);
	event_add(s->ev, NULL);
}

struct ares_channeldata *loop_dns(struct loop *l, const char *servers, int timeout_ms, int tries, char *err,
				  size_t errlen)
{
	struct ares_options opts;
	int rc;

	if (l->dns != NULL)
		return l->dns;
	if (ares_users++ == 0 && (rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		ares_users--;
		errf(err, errlen, EXIT_SOFTWARE, "c-ares: %s", ares_strerror(rc));
		return NULL;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = dns_state_cb;
	opts.sock_state_cb_data = l;
	opts.timeout = timeout_ms;
	opts.tries = tries;
	rc = ares_init_options(&l->dns, &opts, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc == ARES_SUCCESS && servers != NULL && servers[0] != '\0')
		rc = ares_set_servers_ports_csv(l->dns, servers);
	if (rc != ARES_SUCCESS) {
		errf(err, errlen, EXIT_CONFIG, "DNS servers '%s': %s", servers != NULL ? servers : "", ares_strerror(rc));
		if (l->dns != NULL)
			ares_destroy(l->dns);
		l->dns = NULL;
		if (--ares_users == 0)
			ares_library_cleanup();
		return NULL;
	}
	l->dns_timer = evtimer_new(l->base, dns_timer_cb, l);
	return l->dns;
}

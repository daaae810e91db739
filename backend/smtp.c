/*
 * backend/smtp.c: SMTP replies, and a recipient-verification session that
 * never blocks: banner, EHLO (HELO when EHLO is refused), STARTTLS through
 * libevent's OpenSSL filter, then MAIL FROM / RCPT TO / RSET for each
 * recipient given, pipelined when the server offers PIPELINING, and QUIT.
 * Never DATA.
 *
 * A session answers recipients one by one through its answer callback; when
 * it ends (QUIT, or a failure: connect, timeout, reset, garbage, 421) the
 * recipients it did not answer are handed back, so the caller can try the
 * next MX or another session. Every reply is checked; the transcript keeps
 * the dialogue with the time of each line when asked for.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* ---- states ---- */

static const char *const state_names[] = {
	"valid",   "invalid",	    "no-domain",      "no-mail",      "accept-all",
	"tempfail", "rate-limited", "sender-refused", "tls-required", "error",
};

const char *ca_state_name(enum ca_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "error";
}

int ca_state_parse(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strlen(state_names[i]) == len && memcmp(state_names[i], name, len) == 0)
			return (int)i;
	return -1;
}

/* ---- replies ---- */

void smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text);
}

void smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->dsn[0] = '\0';
	buf_reset(&r->text);
	r->lines = 0;
	r->truncated = false;
	r->saw_421 = false;
}

void smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "X.YYY.ZZZ" (RFC 3463) at the start of t, its length, or 0. */
static size_t dsn_len(const char *t, size_t n)
{
	size_t i = 0, k;

	if (n < 5 || !is_digit(t[0]) || t[1] != '.')
		return 0;
	i = 2;
	for (k = 0; i < n && is_digit(t[i]) && k < 3; i++, k++)
		;
	if (k == 0 || i >= n || t[i] != '.')
		return 0;
	i++;
	for (k = 0; i < n && is_digit(t[i]) && k < 3; i++, k++)
		;
	if (k == 0 || (i < n && t[i] != ' ' && t[i] != '\t'))
		return 0;
	return i;
}

int smtp_reply_line(struct smtp_reply *r, const char *line, size_t len, char *why, size_t whylen)
{
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
	    (len > 3 && line[3] != ' ' && line[3] != '-')) {
		errf(why, whylen, -1, "not an SMTP reply: \"%.*s\"", (int)(len < 60 ? len : 60), line);
		return -1;
	}
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (line[0] < '2' || line[0] > '5') {
		errf(why, whylen, -1, "not an SMTP reply code: %d", code);
		return -1;
	}
	if (code == 421)
		r->saw_421 = true;
	const char *t = len > 4 ? line + 4 : "";
	size_t tl = len > 4 ? len - 4 : 0;
	if (len > SMTP_LINE_MAX) {
		tl = SMTP_LINE_MAX - 4;
		r->truncated = true;
	}
	/* A long multi-line reply is kept whole up to a bound a peer cannot push. */
	if (r->text.len < 64 * 1024) {
		if (r->lines > 0)
			buf_addc(&r->text, '\n');
		buf_add(&r->text, t, tl);
	} else {
		r->truncated = true;
	}
	r->lines++;
	if (len > 3 && line[3] == '-')
		return 0;
	/* The last line decides. */
	r->code = code;
	size_t d = dsn_len(t, tl);
	r->dsn[0] = '\0';
	if (d > 0 && d < sizeof(r->dsn) && t[0] == line[0]) {
		memcpy(r->dsn, t, d);
		r->dsn[d] = '\0';
	}
	return 1;
}

/* ---- the session ---- */

enum cmd { C_BANNER, C_EHLO, C_HELO, C_STARTTLS, C_MAIL, C_RCPT, C_PMAIL, C_PROBE, C_RSET, C_QUIT };

static const char *const cmd_names[] = { "banner",    "EHLO",		 "HELO", "STARTTLS", "MAIL FROM", "RCPT TO",
					 "MAIL FROM (probe)", "RCPT TO (probe)", "RSET", "QUIT" };

struct rcpt {
	char *addr;
	void *tag;
	bool answered;
	bool mail_ok;
	/* the RCPT's own reply, kept while the accept-all probe is out */
	int code;
	char dsn[16];
	struct buf text;
	bool got_2xx;
	bool probing; /* the accept-all probe's transaction has started */
	struct rcpt *next;
};

struct pend {
	enum cmd cmd;
	struct rcpt *r;
};

enum phase { P_CONNECT, P_GREETING, P_READY, P_QUIT, P_DONE };

struct smtp_sess {
	struct loop *loop;
	struct bufferevent *bev;
	SSL *ssl;
	char *host;
	struct smtp_opts o;
	char *helo, *from;
	smtp_answer_fn answer;
	smtp_left_fn left;
	smtp_end_fn end;
	void *arg;
	enum phase phase;
	bool tls, pipelining, starttls_offered, closing, accepting, ehlo_done;
	int rejects;
	int64_t t0;
	/* recipients not started, and those with commands out */
	struct rcpt *todo, *todo_tail;
	struct rcpt *active; /* started, not freed: answered ones are freed when their last reply is in */
	struct pend *q;      /* commands sent, awaiting replies, in order */
	size_t qhead, qlen, qcap;
	struct smtp_reply reply;
	struct buf transcript;
	struct buf ehlo;     /* keywords */
	char tlsinfo[512];
	int64_t connect_ms, banner_ms, ehlo_ms; /* when each was done, -1 not yet */
	struct buf banner;   /* the banner's text */
	struct event *quit_timer;
	/* the end */
	bool failed, refused;
	int end_code;
	char end_dsn[16];
	char why[512];
	bool in_cb;          /* a callback of ours runs: finishing waits */
	struct event *finish_ev; /* finishing deferred to the loop */
};

static SSL_CTX *tls_ctx;

static int64_t since(const struct smtp_sess *s)
{
	return util_now_ms() - s->t0;
}

static void note(struct smtp_sess *s, const char *dir, const char *line, size_t len)
{
	if (!s->o.transcript || s->transcript.len > 256 * 1024)
		return;
	buf_addf(&s->transcript, "[%5lld ms] %s ", (long long)since(s), dir);
	buf_add(&s->transcript, line, len);
	buf_addc(&s->transcript, '\n');
}

static void rcpt_free(struct rcpt *r)
{
	free(r->addr);
	buf_free(&r->text);
	free(r);
}

static void q_push(struct smtp_sess *s, enum cmd c, struct rcpt *r)
{
	if (s->qhead + s->qlen == s->qcap) {
		if (s->qhead > 0) {
			memmove(s->q, s->q + s->qhead, s->qlen * sizeof(*s->q));
			s->qhead = 0;
		} else {
			s->qcap = s->qcap ? s->qcap * 2 : 16;
			s->q = xrealloc(s->q, s->qcap * sizeof(*s->q));
		}
	}
	s->q[s->qhead + s->qlen++] = (struct pend){ c, r };
}

static void arm_timeout(struct smtp_sess *s)
{
	if (s->bev == NULL)
		return;
	int ms = s->phase == P_QUIT ? s->o.quit_ms : s->o.reply_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	bool waiting = s->qlen > 0;
	bufferevent_set_timeouts(s->bev, waiting ? &tv : NULL, &tv);
}

static void send_cmd(struct smtp_sess *s, enum cmd c, struct rcpt *r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void send_cmd(struct smtp_sess *s, enum cmd c, struct rcpt *r, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	note(s, s->tls ? "~>" : "->", b.data, b.len);
	buf_adds(&b, "\r\n");
	q_push(s, c, r);
	if (s->bev != NULL)
		bufferevent_write(s->bev, b.data, b.len);
	buf_free(&b);
	arm_timeout(s);
}

static void finish(struct smtp_sess *s);

/* The session is over: no QUIT (a socket error, or QUIT's own end). */
static void close_now(struct smtp_sess *s)
{
	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
		s->ssl = NULL;
	}
	s->phase = P_DONE;
	finish(s);
}

static void fail(struct smtp_sess *s, int code, bool refused, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct smtp_sess *s, int code, bool refused, const char *fmt, ...)
{
	va_list ap;

	if (!s->failed) {
		s->failed = true;
		s->refused = refused;
		s->end_code = code;
		/* fail() with a code runs while that reply is the current one */
		snprintf(s->end_dsn, sizeof(s->end_dsn), "%s", code != 0 ? s->reply.dsn : "");
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
	}
	s->accepting = false;
}

static void quit_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	close_now(arg);
}

/* QUIT, and a bounded wait for its 221; then the end. */
static void send_quit(struct smtp_sess *s)
{
	if (s->phase == P_QUIT || s->phase == P_DONE)
		return;
	s->phase = P_QUIT;
	s->accepting = false;
	s->qlen = 0; /* replies still owed are not waited for */
	send_cmd(s, C_QUIT, NULL, "QUIT");
	struct timeval tv = { s->o.quit_ms / 1000, (s->o.quit_ms % 1000) * 1000 };
	s->quit_timer = evtimer_new(loop_base(s->loop), quit_expired, s);
	evtimer_add(s->quit_timer, &tv);
}

static void answer(struct smtp_sess *s, struct rcpt *r, enum ca_state st, int code, const char *dsn, const char *text,
		   size_t tl)
{
	if (r->answered)
		return;
	r->answered = true;
	struct smtp_answer a = {
		.state = st,
		.code = code,
		.dsn = dsn != NULL ? dsn : "",
		.text = text != NULL ? text : "",
		.textlen = text != NULL ? tl : 0,
		.transcript = s->o.transcript ? s->transcript.data : NULL,
		.transcript_len = s->transcript.len,
		.ms = since(s),
	};
	s->in_cb = true;
	s->answer(s->arg, r->tag, &a);
	s->in_cb = false;
}

static void rand_local(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	i += (size_t)snprintf(out, n, "nx-");
	for (; i + 1 < n && i < 15; i++)
		out[i] = hex[arc4random_uniform(16)];
	out[i] = '\0';
}

/* The probe's random address: same domain, a local part no one has. */
static void probe_addr(const char *rcpt, char *out, size_t n)
{
	char l[32];
	const char *at = strrchr(rcpt, '@');

	rand_local(l, sizeof(l));
	snprintf(out, n, "%s%s", l, at != NULL ? at : "");
}

/* Sends what can be sent now: every queued transaction when the server
 * pipelines (a window at a time), else the next command. */
static void pump(struct smtp_sess *s)
{
	if (s->phase != P_READY || s->bev == NULL)
		return;
	while (s->todo != NULL) {
		if (s->pipelining ? s->qlen >= 64 : s->qlen > 0)
			return;
		if (s->rejects >= s->o.max_rejects) {
			/* Postfix slows down after 10 rejections and drops us at 21. */
			s->accepting = false;
			break;
		}
		struct rcpt *r = s->todo;
		s->todo = r->next;
		if (s->todo == NULL)
			s->todo_tail = NULL;
		r->next = s->active;
		s->active = r;
		send_cmd(s, C_MAIL, r, "MAIL FROM:<%s>", s->from);
		if (!s->pipelining)
			return; /* RCPT goes after MAIL's reply */
		send_cmd(s, C_RCPT, r, "RCPT TO:<%s>", r->addr);
		send_cmd(s, C_RSET, r, "RSET");
		if (s->o.accept_all_probe) {
			/* A transaction of its own: RSET, then a local part no one has. */
			char p[300];
			probe_addr(r->addr, p, sizeof(p));
			send_cmd(s, C_PMAIL, r, "MAIL FROM:<%s>", s->from);
			send_cmd(s, C_PROBE, r, "RCPT TO:<%s>", p);
			send_cmd(s, C_RSET, r, "RSET");
		}
	}
	if (s->rejects >= s->o.max_rejects)
		s->accepting = false;
	if (s->qlen == 0 && (s->closing || !s->accepting))
		send_quit(s);
}

static void ready(struct smtp_sess *s)
{
	s->phase = P_READY;
	pump(s);
}

static void parse_ehlo(struct smtp_sess *s)
{
	const char *p = s->reply.text.data;
	size_t n = s->reply.text.len;
	bool first = true;

	buf_reset(&s->ehlo);
	s->pipelining = false;
	s->starttls_offered = false;
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		if (!first) {
			size_t k = i;
			while (k < e && p[k] != ' ')
				k++;
			if (k - i == 10 && strncasecmp(p + i, "PIPELINING", 10) == 0)
				s->pipelining = true;
			if (k - i == 8 && strncasecmp(p + i, "STARTTLS", 8) == 0)
				s->starttls_offered = true;
			if (s->ehlo.len > 0)
				buf_addc(&s->ehlo, ' ');
			buf_add(&s->ehlo, p + i, k - i);
		}
		first = false;
		i = e + 1;
	}
}

static void tls_describe(struct smtp_sess *s)
{
	char subj[200] = "-", iss[200] = "-";
	X509 *cert = SSL_get_peer_certificate(s->ssl);

	if (cert != NULL) {
		X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
		X509_NAME_oneline(X509_get_issuer_name(cert), iss, sizeof(iss));
		X509_free(cert);
	}
	snprintf(s->tlsinfo, sizeof(s->tlsinfo), "%s %s, subject %s, issuer %s (not verified)", SSL_get_version(s->ssl),
		 SSL_get_cipher_name(s->ssl), subj, iss);
	note(s, "==", s->tlsinfo, strlen(s->tlsinfo));
}

static void read_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);

static void start_tls(struct smtp_sess *s)
{
	if (tls_ctx == NULL) {
		tls_ctx = SSL_CTX_new(TLS_client_method());
		if (tls_ctx == NULL) {
			fail(s, 0, false, "cannot start TLS: %s", ERR_reason_error_string(ERR_get_error()));
			close_now(s);
			return;
		}
		/* Shown, not verified: a callahead asks, it does not deliver. */
		SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
	}
	s->ssl = SSL_new(tls_ctx);
	if (s->host != NULL && strchr(s->host, ':') == NULL && strspn(s->host, "0123456789.") != strlen(s->host))
		SSL_set_tlsext_host_name(s->ssl, s->host);
	struct bufferevent *tb = bufferevent_openssl_filter_new(loop_base(s->loop), s->bev, s->ssl,
							       BUFFEREVENT_SSL_CONNECTING,
							       BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (tb == NULL) {
		SSL_free(s->ssl);
		s->ssl = NULL;
		fail(s, 0, false, "cannot start TLS");
		close_now(s);
		return;
	}
	s->bev = tb;
	bufferevent_setcb(tb, read_cb, NULL, event_cb, s);
	bufferevent_enable(tb, EV_READ | EV_WRITE);
	struct timeval tv = { s->o.reply_ms / 1000, (s->o.reply_ms % 1000) * 1000 };
	bufferevent_set_timeouts(tb, &tv, &tv);
}

static bool is2(int c)
{
	return c >= 200 && c < 300;
}

static void on_reply(struct smtp_sess *s, struct pend p)
{
	const struct smtp_reply *rp = &s->reply;
	int code = rp->code;
	struct rcpt *r = p.r;

	switch (p.cmd) {
	case C_BANNER:
		s->banner_ms = since(s);
		buf_reset(&s->banner);
		buf_add(&s->banner, rp->text.data, rp->text.len);
		if (code == 220) {
			s->phase = P_GREETING;
			send_cmd(s, C_EHLO, NULL, "EHLO %s", s->helo);
		} else {
			fail(s, code, code >= 500, "banner: %d %.*s", code, (int)rp->text.len, rp->text.data);
			send_quit(s);
		}
		break;
	case C_EHLO:
		if (is2(code)) {
			if (s->ehlo_ms < 0)
				s->ehlo_ms = since(s);
			parse_ehlo(s);
			if (!s->tls && s->o.starttls != STARTTLS_OFF && s->starttls_offered) {
				send_cmd(s, C_STARTTLS, NULL, "STARTTLS");
			} else if (!s->tls && s->o.starttls == STARTTLS_REQUIRED) {
				fail(s, 0, false, "STARTTLS not offered (starttls = required)");
				send_quit(s);
			} else {
				ready(s);
			}
		} else if (code >= 500) {
			send_cmd(s, C_HELO, NULL, "HELO %s", s->helo);
		} else {
			fail(s, code, false, "EHLO: %d %.*s", code, (int)rp->text.len, rp->text.data);
			send_quit(s);
		}
		break;
	case C_HELO:
		if (is2(code)) {
			buf_reset(&s->ehlo);
			s->pipelining = false;
			if (s->o.starttls == STARTTLS_REQUIRED) {
				fail(s, 0, false, "STARTTLS not offered (HELO only; starttls = required)");
				send_quit(s);
			} else {
				ready(s);
			}
		} else {
			fail(s, code, code >= 500, "HELO: %d %.*s", code, (int)rp->text.len, rp->text.data);
			send_quit(s);
		}
		break;
	case C_STARTTLS:
		if (code == 220) {
			start_tls(s);
		} else if (s->o.starttls == STARTTLS_REQUIRED) {
			fail(s, code, false, "STARTTLS refused: %d %.*s", code, (int)rp->text.len, rp->text.data);
			send_quit(s);
		} else {
			ready(s);
		}
		break;
	case C_MAIL:
		if (is2(code)) {
			r->mail_ok = true;
			if (!s->pipelining)
				send_cmd(s, C_RCPT, r, "RCPT TO:<%s>", r->addr);
		} else if (code >= 500) {
			/* The server refuses our sender: every recipient would get the same. */
			enum ca_state st = code == 530 ? CA_TLS_REQUIRED : CA_SENDER_REFUSED;
			answer(s, r, st, code, rp->dsn, rp->text.data, rp->text.len);
			for (struct rcpt *o = s->todo; o != NULL; o = o->next)
				answer(s, o, st, code, rp->dsn, rp->text.data, rp->text.len);
			for (struct rcpt *o = s->active; o != NULL; o = o->next)
				answer(s, o, st, code, rp->dsn, rp->text.data, rp->text.len);
			s->accepting = false;
			send_quit(s);
		} else {
			answer(s, r, CA_TEMPFAIL, code, rp->dsn, rp->text.data, rp->text.len);
			if (!s->pipelining)
				send_cmd(s, C_RSET, r, "RSET");
		}
		break;
	case C_RCPT:
		if (r->answered || !r->mail_ok)
			break;
		if (is2(code) && s->o.accept_all_probe) {
			r->got_2xx = true;
			r->code = code;
			snprintf(r->dsn, sizeof(r->dsn), "%s", rp->dsn);
			buf_reset(&r->text);
			buf_add(&r->text, rp->text.data, rp->text.len);
			if (!s->pipelining)
				send_cmd(s, C_RSET, r, "RSET"); /* then the probe's transaction */
			break;
		}
		if (is2(code)) {
			answer(s, r, CA_VALID, code, rp->dsn, rp->text.data, rp->text.len);
		} else if (code >= 500) {
			s->rejects++;
			answer(s, r, CA_INVALID, code, rp->dsn, rp->text.data, rp->text.len);
		} else if (code == 452) {
			answer(s, r, CA_RATE_LIMITED, code, rp->dsn, rp->text.data, rp->text.len);
		} else if (code >= 400) {
			answer(s, r, CA_TEMPFAIL, code, rp->dsn, rp->text.data, rp->text.len);
		} else {
			answer(s, r, CA_ERROR, code, rp->dsn, rp->text.data, rp->text.len);
		}
		if (!s->pipelining)
			send_cmd(s, C_RSET, r, "RSET");
		break;
	case C_PMAIL:
		if (r->answered || !r->got_2xx)
			break;
		if (!is2(code)) {
			/* The probe could not be made: the recipient's own answer stands. */
			answer(s, r, CA_VALID, r->code, r->dsn, r->text.data, r->text.len);
			if (!s->pipelining)
				send_cmd(s, C_RSET, r, "RSET");
		} else if (!s->pipelining) {
			char pa[300];
			probe_addr(r->addr, pa, sizeof(pa));
			send_cmd(s, C_PROBE, r, "RCPT TO:<%s>", pa);
		}
		break;
	case C_PROBE:
		if (r->answered || !r->got_2xx)
			break;
		if (code >= 500)
			s->rejects++;
		answer(s, r, is2(code) ? CA_ACCEPT_ALL : CA_VALID, r->code, r->dsn, r->text.data, r->text.len);
		if (!s->pipelining)
			send_cmd(s, C_RSET, r, "RSET");
		break;
	case C_RSET:
		if (!is2(code)) {
			fail(s, code, false, "RSET: %d %.*s", code, (int)rp->text.len, rp->text.data);
			send_quit(s);
		} else if (!s->pipelining && r != NULL && r->got_2xx && !r->answered && !r->probing) {
			r->probing = true;
			send_cmd(s, C_PMAIL, r, "MAIL FROM:<%s>", s->from);
		}
		break;
	case C_QUIT:
		close_now(s);
		return;
	}
	pump(s);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_sess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char why[200];

	while (s->phase != P_DONE) {
		size_t n;
		char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > 64 * 1024) {
				fail(s, 0, false, "a reply line of more than 64 KB");
				close_now(s);
			}
			return;
		}
		note(s, s->tls ? "<~" : "<-", line, n > SMTP_LINE_MAX ? SMTP_LINE_MAX : n);
		if (s->qlen == 0 && s->phase != P_QUIT) {
			fail(s, 0, false, "a reply nobody asked for: \"%.60s\"", line);
			free(line);
			close_now(s);
			return;
		}
		int k = smtp_reply_line(&s->reply, line, n, why, sizeof(why));
		free(line);
		if (k < 0) {
			fail(s, 0, false, "%s", why);
			close_now(s);
			return;
		}
		if (k == 0)
			continue;
		if (s->phase == P_QUIT) {
			close_now(s);
			return;
		}
		struct pend p = s->q[s->qhead];
		s->qhead++;
		s->qlen--;
		if (s->reply.saw_421) {
			fail(s, 421, false, "%s: %d %.*s", cmd_names[p.cmd], s->reply.code, (int)s->reply.text.len,
			     s->reply.text.data);
			close_now(s);
			return;
		}
		arm_timeout(s);
		on_reply(s, p);
		smtp_reply_reset(&s->reply);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_sess *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (s->phase == P_CONNECT) {
			s->connect_ms = since(s);
			note(s, "==", "connected", 9);
			s->phase = P_GREETING;
			q_push(s, C_BANNER, NULL);
			arm_timeout(s);
		} else {
			/* TLS is up: EHLO again, as RFC 3207 says. */
			s->tls = true;
			tls_describe(s);
			send_cmd(s, C_EHLO, NULL, "EHLO %s", s->helo);
		}
		return;
	}
	if (s->phase == P_QUIT) {
		close_now(s);
		return;
	}
	const char *step = s->qlen > 0 ? cmd_names[s->q[s->qhead].cmd] : s->phase == P_CONNECT ? "connect" : "idle";
	if (what & BEV_EVENT_TIMEOUT) {
		if (s->phase == P_CONNECT)
			fail(s, 0, false, "connect timed out after %d ms", s->o.connect_ms);
		else
			fail(s, 0, false, "no reply to %s in %d ms", step, s->o.reply_ms);
	} else if (what & BEV_EVENT_EOF) {
		fail(s, 0, false, "connection closed by the server at %s", step);
	} else {
		int e = EVUTIL_SOCKET_ERROR();
		unsigned long te = s->ssl != NULL ? ERR_get_error() : 0;
		if (te != 0)
			fail(s, 0, false, "TLS at %s: %s", step, ERR_reason_error_string(te));
		else
			fail(s, 0, false, "%s: %s", step, e != 0 ? evutil_socket_error_to_string(e) : "connection failed");
	}
	note(s, "==", s->why, strlen(s->why));
	close_now(s);
}

struct smtp_sess *smtp_sess_new(struct loop *l, const struct sockaddr *sa, unsigned salen, const char *host,
				const struct smtp_opts *o, smtp_answer_fn ans, smtp_left_fn left, smtp_end_fn end,
				void *arg)
{
	struct smtp_sess *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	s->o = *o;
	if (s->o.max_rejects <= 0)
		s->o.max_rejects = 8;
	if (s->o.connect_ms <= 0)
		s->o.connect_ms = 30000;
	if (s->o.reply_ms <= 0)
		s->o.reply_ms = 30000;
	if (s->o.quit_ms <= 0)
		s->o.quit_ms = 5000;
	s->helo = xstrdup(o->helo != NULL && o->helo[0] ? o->helo : "localhost");
	s->from = xstrdup(o->from != NULL ? o->from : "");
	s->host = xstrdup(host != NULL ? host : "");
	s->answer = ans;
	s->left = left;
	s->end = end;
	s->arg = arg;
	s->accepting = true;
	s->t0 = util_now_ms();
	s->connect_ms = s->banner_ms = s->ehlo_ms = -1;
	buf_init(&s->banner);
	smtp_reply_init(&s->reply);
	buf_init(&s->transcript);
	buf_init(&s->ehlo);
	s->bev = bufferevent_socket_new(loop_base(l), -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(s->bev, read_cb, NULL, event_cb, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	struct timeval tv = { s->o.connect_ms / 1000, (s->o.connect_ms % 1000) * 1000 };
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	if (o->transcript) {
		char ip[64] = "?";
		char port[16] = "?";
		getnameinfo(sa, salen, ip, sizeof(ip), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
		buf_addf(&s->transcript, "[%5d ms] == connecting to %s [%s]:%s\n", 0, s->host, ip, port);
	}
	if (bufferevent_socket_connect(s->bev, sa, (int)salen) != 0) {
		/* Reported from the loop, as every other failure. */
		int e = EVUTIL_SOCKET_ERROR();
		fail(s, 0, false, "connect: %s", e != 0 ? evutil_socket_error_to_string(e) : "failed");
		bufferevent_free(s->bev);
		s->bev = NULL;
		s->phase = P_DONE;
		s->quit_timer = evtimer_new(loop_base(l), quit_expired, s);
		struct timeval now = { 0, 0 };
		evtimer_add(s->quit_timer, &now);
	}
	return s;
}

bool smtp_sess_rcpt(struct smtp_sess *s, const char *rcpt, void *tag)
{
	if (!s->accepting || s->closing || s->phase == P_QUIT || s->phase == P_DONE)
		return false;
	struct rcpt *r = xcalloc(1, sizeof(*r));
	r->addr = xstrdup(rcpt);
	r->tag = tag;
	buf_init(&r->text);
	if (s->todo_tail != NULL)
		s->todo_tail->next = r;
	else
		s->todo = r;
	s->todo_tail = r;
	pump(s);
	return true;
}

void smtp_sess_close(struct smtp_sess *s)
{
	s->closing = true;
	pump(s);
}

size_t smtp_sess_pending(const struct smtp_sess *s)
{
	size_t n = 0;

	for (const struct rcpt *r = s->todo; r != NULL; r = r->next)
		n++;
	for (const struct rcpt *r = s->active; r != NULL; r = r->next)
		n += !r->answered;
	return n;
}

const char *smtp_sess_transcript(const struct smtp_sess *s, size_t *len)
{
	*len = s->transcript.len;
	return s->o.transcript ? s->transcript.data : NULL;
}

bool smtp_sess_accepting(const struct smtp_sess *s)
{
	return s->accepting && !s->closing && s->phase != P_QUIT && s->phase != P_DONE &&
	       s->rejects < s->o.max_rejects;
}

static void sess_free(struct smtp_sess *s)
{
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	if (s->quit_timer != NULL)
		event_free(s->quit_timer);
	if (s->finish_ev != NULL)
		event_free(s->finish_ev);
	for (struct rcpt *r = s->todo, *n; r != NULL; r = n) {
		n = r->next;
		rcpt_free(r);
	}
	for (struct rcpt *r = s->active, *n; r != NULL; r = n) {
		n = r->next;
		rcpt_free(r);
	}
	free(s->q);
	smtp_reply_free(&s->reply);
	buf_free(&s->transcript);
	buf_free(&s->ehlo);
	buf_free(&s->banner);
	free(s->helo);
	free(s->from);
	free(s->host);
	free(s);
}

static void finish_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg);
}

static void finish(struct smtp_sess *s)
{
	if (s->in_cb) {
		/* An answer callback is on the stack: end from the loop. */
		if (s->finish_ev == NULL) {
			struct timeval now = { 0, 0 };
			s->finish_ev = evtimer_new(loop_base(s->loop), finish_later, s);
			evtimer_add(s->finish_ev, &now);
		}
		return;
	}
	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	s->phase = P_DONE;
	s->in_cb = true;
	for (struct rcpt *r = s->active; r != NULL; r = r->next)
		if (!r->answered)
			s->left(s->arg, r->tag);
	for (struct rcpt *r = s->todo; r != NULL; r = r->next)
		s->left(s->arg, r->tag);
	struct smtp_end e = {
		.failed = s->failed,
		.refused = s->refused,
		.code = s->end_code,
		.dsn = s->end_dsn,
		.why = s->failed ? s->why : NULL,
		.transcript = s->o.transcript ? s->transcript.data : NULL,
		.transcript_len = s->transcript.len,
		.tls = s->tlsinfo[0] ? s->tlsinfo : NULL,
		.ehlo = s->ehlo.len > 0 ? s->ehlo.data : NULL,
		.ms = since(s),
		.connect_ms = s->connect_ms,
		.banner_ms = s->banner_ms,
		.ehlo_ms = s->ehlo_ms,
		.banner = s->banner_ms >= 0 ? s->banner.data : NULL,
		.banner_len = s->banner.len,
	};
	s->end(s->arg, &e);
	sess_free(s);
}

void smtp_sess_abort(struct smtp_sess *s)
{
	if (s != NULL)
		sess_free(s);
}

void smtp_sess_progress(const struct smtp_sess *s, struct smtp_progress *p)
{
	p->connect_ms = s->connect_ms;
	p->banner_ms = s->banner_ms;
	p->ehlo_ms = s->ehlo_ms;
	p->banner = s->banner_ms >= 0 ? s->banner.data : NULL;
	p->banner_len = s->banner.len;
	p->waiting = s->qlen > 0		  ? cmd_names[s->q[s->qhead].cmd]
		     : s->phase == P_CONNECT	  ? "connect"
		     : s->ssl != NULL && !s->tls ? "TLS handshake"
						  : "next command";
	p->ehlo = s->ehlo.len > 0 ? s->ehlo.data : NULL;
	p->ms = since(s);
}

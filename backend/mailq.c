/*
 * backend/mailq.c: the mail queue as the MTAs list it: Postfix's
 * `postqueue -j` (one JSON object per message, through jansson) and the
 * text of `mailq` (sendmail's, or Postfix's imitation of it). What the
 * doctor wants of it: messages by queue, the oldest arrival, the
 * deferred recipients by domain and the most frequent delay reason.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* ---- counting strings: an open-addressing hash of key -> n ---- */

/* ---- the summary being built ---- */

enum queue { Q_INCOMING, Q_ACTIVE, Q_DEFERRED, Q_HOLD };

struct acc {
	struct mailq_summary *s;
	struct counter domains, reasons;
};

static void acc_message(struct acc *a, enum queue q, int64_t arrival)
{
	struct mailq_summary *s = a->s;

	s->total++;
	switch (q) {
	case Q_ACTIVE: s->active++; break;
	case Q_DEFERRED: s->deferred++; break;
	case Q_HOLD: s->hold++; break;
	default: s->incoming++; break;
	}
	if (arrival >= 0 && (s->oldest < 0 || arrival < s->oldest))
		s->oldest = arrival;
}

/* One recipient: its reason counts; a deferred one counts for its domain. */
static void acc_rcpt(struct acc *a, bool deferred, const char *addr, size_t al, const char *why, size_t wl)
{
	if (why != NULL && wl > 0)
		counter_add(&a->reasons, why, wl);
	if (!deferred || addr == NULL)
		return;
	while (al > 0 && (addr[al - 1] == '>' || addr[al - 1] == ' '))
		al--;
	const char *at = NULL;
	for (size_t i = 0; i < al; i++)
		if (addr[i] == '@')
			at = addr + i;
	if (at == NULL || at + 1 >= addr + al)
		return;
	size_t dl = (size_t)(addr + al - at - 1);
	char *d = xstrndup(at + 1, dl);
	for (size_t i = 0; i < dl; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	counter_add(&a->domains, d, dl);
	free(d);
}

static void acc_init(struct acc *a, struct mailq_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->oldest = -1;
	memset(a, 0, sizeof(*a));
	a->s = s;
}

static void acc_finish(struct acc *a)
{
	struct mailq_summary *s = a->s;
	const struct count_slot **d = counter_sorted(&a->domains), **r = counter_sorted(&a->reasons);

	if (d != NULL) {
		s->domains = xcalloc(a->domains.n, sizeof(*s->domains));
		for (size_t i = 0; i < a->domains.n; i++)
			s->domains[s->ndomains++] = (struct mailq_domain){ .domain = xstrdup(d[i]->key), .n = d[i]->n };
	}
	if (r != NULL)
		s->top_reason = xstrdup(r[0]->key);
	free(d);
	free(r);
	counter_free(&a->domains);
	counter_free(&a->reasons);
}

static int acc_fail(struct acc *a, char *err, size_t errlen, const char *what, size_t lineno, const char *why)
{
	counter_free(&a->domains);
	counter_free(&a->reasons);
	mailq_summary_free(a->s);
	return errf(err, errlen, EXIT_DATAERR, "%s: line %zu: %s", what, lineno, why);
}

void mailq_summary_free(struct mailq_summary *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ndomains; i++)
		free(s->domains[i].domain);
	free(s->domains);
	free(s->top_reason);
	memset(s, 0, sizeof(*s));
	s->oldest = -1;
}

/* ---- postqueue -j ---- */

static enum queue queue_named(const char *q)
{
	if (strcmp(q, "active") == 0)
		return Q_ACTIVE;
	if (strcmp(q, "deferred") == 0)
		return Q_DEFERRED;
	if (strcmp(q, "hold") == 0)
		return Q_HOLD;
	return Q_INCOMING; /* incoming, maildrop */
}

/*
 * {"queue_name": "deferred", "queue_id": "4F3A21C0A2B", "arrival_time":
 * 1764756000, "message_size": 1234, "forced_expire": false, "sender":
 * "a@b", "recipients": [{"address": "c@d", "delay_reason": "..."}]}
 * An empty queue is no output at all.
 */
int mailq_parse_json(const char *text, size_t len, struct mailq_summary *s, char *err, size_t errlen)
{
	struct acc a;
	size_t lineno = 0;

	acc_init(&a, s);
	for (size_t off = 0; off < len;) {
		const char *l = text + off, *nl = memchr(l, '\n', len - off);
		size_t ll = nl != NULL ? (size_t)(nl - l) : len - off;
		off += ll + (nl != NULL);
		lineno++;
		size_t b = 0;
		while (b < ll && (l[b] == ' ' || l[b] == '\t' || l[b] == '\r'))
			b++;
		if (b == ll)
			continue;
		json_error_t je;
		json_t *o = json_loadb(l, ll, 0, &je);
		if (o == NULL)
			return acc_fail(&a, err, errlen, "postqueue -j", lineno, je.text);
		json_t *qn = json_object_get(o, "queue_name"), *rc = json_object_get(o, "recipients");
		json_t *at = json_object_get(o, "arrival_time");
		if (!json_is_object(o) || !json_is_string(qn) || !json_is_array(rc) ||
		    !json_is_string(json_object_get(o, "queue_id"))) {
			json_decref(o);
			return acc_fail(&a, err, errlen, "postqueue -j", lineno, "not a queue entry");
		}
		enum queue q = queue_named(json_string_value(qn));
		acc_message(&a, q, json_is_integer(at) ? (int64_t)json_integer_value(at) : -1);
		size_t i;
		json_t *r;
		json_array_foreach(rc, i, r)
		{
			json_t *ad = json_object_get(r, "address"), *why = json_object_get(r, "delay_reason");
			acc_rcpt(&a, q == Q_DEFERRED, json_is_string(ad) ? json_string_value(ad) : NULL,
				 json_is_string(ad) ? json_string_length(ad) : 0,
				 json_is_string(why) ? json_string_value(why) : NULL,
				 json_is_string(why) ? json_string_length(why) : 0);
		}
		json_decref(o);
	}
	acc_finish(&a);
	return 0;
}

/* ---- mailq text ---- */

struct rcpt {
	char *addr, *why;
};

/* The message being read: its entry line, reasons and recipients. */
struct msg {
	bool open, postfix, quarantine;
	char flag;
	int64_t arrival;
	char *why; /* the reason in force for the next recipients */
	struct rcpt *r;
	size_t nr, cap;
};

static void msg_flush(struct acc *a, struct msg *m)
{
	if (!m->open)
		return;
	bool any_why = false;
	for (size_t i = 0; i < m->nr; i++)
		any_why |= m->r[i].why != NULL;
	any_why |= m->why != NULL;
	enum queue q;
	if (m->postfix)
		q = m->flag == '*' ? Q_ACTIVE : m->flag == '!' ? Q_HOLD : any_why ? Q_DEFERRED : Q_INCOMING;
	else
		q = m->quarantine ? Q_HOLD : any_why ? Q_DEFERRED : m->flag == '*' ? Q_ACTIVE : Q_INCOMING;
	acc_message(a, q, m->arrival);
	for (size_t i = 0; i < m->nr; i++) {
		const char *w = m->r[i].why;
		acc_rcpt(a, q == Q_DEFERRED, m->r[i].addr, strlen(m->r[i].addr), w, w != NULL ? strlen(w) : 0);
		free(m->r[i].addr);
		free(m->r[i].why);
	}
	free(m->why);
	free(m->r);
	memset(m, 0, sizeof(*m));
}

static const char *skip_sp(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *token_end(const char *p, const char *e)
{
	while (p < e && *p != ' ' && *p != '\t')
		p++;
	return p;
}

static bool has(const char *p, const char *e, const char *s)
{
	size_t k = strlen(s);

	if ((size_t)(e - p) < k)
		return false;
	for (const char *q = p; q + k <= e; q++)
		if (memcmp(q, s, k) == 0)
			return true;
	return false;
}

static bool begins(const char *p, const char *e, const char *s)
{
	size_t k = strlen(s);

	return (size_t)(e - p) >= k && memcmp(p, s, k) == 0;
}

/* sendmail's "/var/spool/mqueue is empty" */
static bool spool_empty(const char *p, const char *e)
{
	return e - p > 10 && *p == '/' && memcmp(e - 9, " is empty", 9) == 0 && token_end(p, e) == e - 9;
}

/*
 * An entry line: "QID[flag] size Www Mmm dd HH:MM[:SS] sender" (sendmail:
 * HH:MM and "<sender>"; Postfix: HH:MM:SS, '*' active, '!' hold).
 */
static bool entry_line(const char *p, const char *e, int64_t now, struct msg *m)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	const char *q = token_end(p, e);

	if (q == p || q - p > 40)
		return false;
	char flag = ' ';
	const char *qe = q;
	if (qe[-1] == '*' || qe[-1] == '!' || qe[-1] == '#' || qe[-1] == '-' || qe[-1] == '?')
		flag = *--qe;
	if (qe == p)
		return false;
	for (const char *c = p; c < qe; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
			return false;
	const char *s = skip_sp(q, e), *se = token_end(s, e);
	if (se == s)
		return false;
	for (const char *c = s; c < se; c++)
		if (*c < '0' || *c > '9')
			return false;
	const char *w = skip_sp(se, e);
	bool day = false;
	for (int i = 0; i < 7 && !day; i++)
		day = e - w > 4 && memcmp(w, days + 3 * i, 3) == 0 && w[3] == ' ';
	if (!day)
		return false;
	/* "Mmm dd HH:MM[:SS]" for maillog_time, which places it in a year */
	const char *mo = w + 4, *d = skip_sp(mo + 3, e), *de = token_end(d, e);
	const char *t = skip_sp(de, e), *te = token_end(t, e);
	if (e - mo < 3 || de == d || de - d > 2 || (te - t != 5 && te - t != 8))
		return false;
	char stamp[32];
	int n = snprintf(stamp, sizeof(stamp), "%.3s %2.*s %.*s%s", mo, (int)(de - d), d, (int)(te - t), t,
			 te - t == 5 ? ":00" : "");
	int64_t when = maillog_time(stamp, (size_t)n, now);
	if (when < 0)
		return false;
	m->open = true;
	m->flag = flag;
	m->postfix = te - t == 8;
	m->arrival = when;
	return true;
}

/* "(reason)", after sendmail's body type ("8BITMIME   (...)"); NULL if not. */
static char *reason_line(const char *p, const char *e)
{
	static const char *const bodytypes[] = { "7BIT", "8BITMIME", "BINARYMIME" };

	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(bodytypes[i]);
		if ((size_t)(e - p) > k && memcmp(p, bodytypes[i], k) == 0 && (p[k] == ' ' || p[k] == '\t'))
			p = skip_sp(p + k, e);
	}
	if (e - p < 2 || *p != '(' || e[-1] != ')')
		return NULL;
	/* a reason is a line of text: kept to 1000 bytes (it is copied for
	 * each recipient after it) */
	size_t n = (size_t)(e - p - 2);
	return xstrndup(p + 1, n < 1000 ? n : 1000);
}

static void msg_rcpt(struct msg *m, const char *p, const char *e)
{
	const char *q = token_end(p, e);

	if (q > p && *p == '<')
		p++;
	if (q > p && q[-1] == '>')
		q--;
	if (m->nr == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 4;
		m->r = xrealloc(m->r, m->cap * sizeof(*m->r));
	}
	m->r[m->nr].addr = xstrndup(p, (size_t)(q - p));
	m->r[m->nr++].why = m->why != NULL ? xstrdup(m->why) : NULL;
}

int mailq_parse_text(const char *text, size_t len, int64_t now, struct mailq_summary *s, char *err, size_t errlen)
{
	struct acc a;
	struct msg m = { 0 };
	size_t lineno = 0;
	bool known = false;

	acc_init(&a, s);
	for (size_t off = 0; off < len;) {
		const char *l = text + off, *nl = memchr(l, '\n', len - off);
		size_t ll = nl != NULL ? (size_t)(nl - l) : len - off;
		off += ll + (nl != NULL);
		lineno++;
		const char *e = l + ll;
		while (e > l && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		const char *p = skip_sp(l, e);
		if (p == e)
			continue;
		bool indented = p > l;
		struct msg next = { 0 };
		char *why;
		if (begins(p, e, "Mail queue is empty") || spool_empty(p, e) ||
		    begins(p, e, "Total requests:") || begins(p, e, "MSP Queue status") ||
		    begins(p, e, "MTA Queue status") || begins(p, e, "-Queue ID-") || begins(p, e, "----Queue ID") ||
		    begins(p, e, "-----Q-ID-----") || (begins(p, e, "-- ") && has(p, e, " Kbytes in ")) ||
		    (e[-1] == ')' && (has(p, e, " request)") || has(p, e, " requests)")))) {
			/* headers, totals, the empty queue */
			msg_flush(&a, &m);
			known = true;
		} else if (!indented && *p != '(' && entry_line(p, e, now, &next)) {
			msg_flush(&a, &m);
			m = next;
			known = true;
		} else if (m.open && (why = reason_line(p, e)) != NULL) {
			free(m.why);
			m.why = why;
			/* Postfix: this recipient has none, the one before had one */
			if (strcmp(why, "reason unavailable") == 0) {
				free(m.why);
				m.why = NULL;
			}
		} else if (m.open && indented && begins(p, e, "QUARANTINE:")) {
			m.quarantine = true;
		} else if (m.open && indented) {
			msg_rcpt(&m, p, e);
		} else {
			msg_flush(&a, &m);
			return acc_fail(&a, err, errlen, "mailq", lineno, "not mailq output");
		}
	}
	msg_flush(&a, &m);
	if (!known)
		return acc_fail(&a, err, errlen, "mailq", lineno, "no mailq output");
	acc_finish(&a);
	return 0;
}

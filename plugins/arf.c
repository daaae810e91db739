/*
 * plugins/arf.c: feedback-loop reports (RFC 5965 ARF and the variants
 * backend/feedback.c knows) found in mailboxes: list, summary,
 * complainers, show, and the ARF tab.
 *
 * Messages come from backend/mailbox.c one at a time; each is parsed on its
 * own, so a message that cannot be read is an error row and the reading
 * goes on. The batch commands parse on worker threads (one a core) and
 * take the results in the mailbox's order: the output is the same. Exit
 * codes: 66 when a mailbox given is missing or unreadable, 65 when
 * messages were found and every one of them failed, else 0 (error rows
 * alone do not change it).
 *
 * The tab reads `[arf] mailboxes` in a child process that streams rows
 * back through a pipe watched by the loop: the console never waits for a
 * big mailbox, and the list fills as rows arrive.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"

/* ---- rows of `arf list` (and of the tab) ---- */

enum {
	C_N,
	C_DATE,
	C_REPORTER,
	C_PROVIDER,
	C_TYPE,
	C_VARIANT,
	C_SOURCE_IP,
	C_MAIL_FROM,
	C_RECIPIENT,
	C_RECIPIENTS,
	C_DOMAIN,
	C_SUBJECT,
	C_ERROR,
	NCOLS
};

static const struct column list_columns[NCOLS] = {
	{ "n", "N", COL_INT, 4, 0 },
	{ "date", "Date", COL_TIME, 20, 0 },
	{ "reporter", "Reporter", COL_TEXT, 24, 0 },
	{ "provider", "Provider", COL_TEXT, 12, 0 },
	{ "type", "Type", COL_TEXT, 12, 0 },
	{ "variant", "Variant", COL_TEXT, 9, 0 },
	{ "source_ip", "Source IP", COL_TEXT, 15, 0 },
	{ "original_mail_from", "Mail From", COL_TEXT, 24, 0 },
	{ "recipient", "Recipient", COL_TEXT, 24, 0 },
	{ "recipients", "Rcpts", COL_INT, 5, 0 },
	{ "reported_domain", "Domain", COL_TEXT, 16, 0 },
	{ "subject", "Subject", COL_TEXT, 0, 0 },
	{ "error", "Error", COL_TEXT, 0, 0 },
};

/* One row: numbers, and texts (NULL = empty) per text column. */
struct arow {
	long long n, date, nrcpt;
	char *s[NCOLS];
	char *source;
	long long offset;
	char *auth; /* Auth-Failure (not a column: the tab's counts use it) */
};

static void arow_free(struct arow *r)
{
	for (int i = 0; i < NCOLS; i++)
		free(r->s[i]);
	free(r->source);
	free(r->auth);
}

static char *dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static long long report_date(const struct fb_message *fm, const struct fb_report *r)
{
	return r != NULL && r->arrival >= 0 ? r->arrival : fm != NULL ? fm->date : -1;
}

/* The row of report r of message fm (rcpt: which recipient, for --per-recipient). */
static void arow_fill(struct arow *a, const struct mbox_msg *mm, const struct fb_message *fm, const struct fb_report *r,
		      size_t rcpt)
{
	memset(a, 0, sizeof(*a));
	a->n = (long long)mm->n;
	a->source = xstrdup(mm->source);
	a->offset = mm->offset;
	a->date = report_date(fm, r);
	if (fm == NULL || fm->error != NULL || mm->error != NULL) {
		a->s[C_VARIANT] = xstrdup("error");
		a->s[C_ERROR] = xstrdup(mm->error != NULL ? mm->error : fm != NULL && fm->error ? fm->error : "unreadable");
		return;
	}
	a->s[C_REPORTER] = dup_or_null(fm->reporter);
	a->s[C_PROVIDER] = dup_or_null(fm->provider);
	if (r == NULL) {
		a->s[C_VARIANT] = xstrdup(mm->truncated ? "error" : "none");
		a->s[C_SUBJECT] = dup_or_null(fm->subject);
		a->s[C_ERROR] = xstrdup(mm->truncated ? "message truncated: no report found in what is there"
						      : "not a feedback report");
		return;
	}
	a->s[C_TYPE] = dup_or_null(r->feedback_type);
	a->s[C_VARIANT] = xstrdup(r->variant);
	a->s[C_SOURCE_IP] = dup_or_null(r->source_ip);
	a->s[C_MAIL_FROM] = dup_or_null(r->mail_from);
	a->nrcpt = (long long)r->nrcpts;
	a->s[C_RECIPIENT] = r->nrcpts > rcpt ? xstrdup(r->rcpts[rcpt]) : NULL;
	a->s[C_DOMAIN] = r->ndomains > 0 ? xstrdup(r->domains[0]) : NULL;
	a->s[C_SUBJECT] = dup_or_null(r->orig_subject);
	a->auth = dup_or_null(r->auth_failure);
	if (mm->truncated)
		a->s[C_ERROR] = xstrdup("message truncated");
}

static void arow_cells(const struct arow *a, struct cell *c)
{
	for (int i = 0; i < NCOLS; i++)
		c[i] = a->s[i] != NULL ? cell_str(a->s[i]) : (struct cell){ .null = true };
	c[C_N] = cell_num(a->n);
	c[C_DATE] = a->date >= 0 ? cell_num(a->date) : (struct cell){ .null = true };
	c[C_RECIPIENTS] = cell_num(a->nrcpt);
	if (a->s[C_ERROR] != NULL)
		c[C_ERROR].role = ROLE_FAIL;
	if (a->s[C_TYPE] != NULL && !fb_type_registered(a->s[C_TYPE]))
		c[C_TYPE].role = ROLE_WARN;
}

/* ---- reading the mailboxes ---- */

struct scan;
/* Called for each message: fm is NULL when mm could not be read. */
typedef int (*scan_fn)(struct scan *s, const struct mbox_msg *mm, const struct fb_message *fm);

struct scan {
	struct ctx *ctx; /* NULL in the tab's child */
	struct fb_reporters *reps;
	scan_fn each;
	void *arg;
	unsigned parse; /* feedback_parse_opts()'s flags: FB_WANT_BODY for show alone (the rest print no bodies) */
	size_t messages, failed, reports;
	size_t stop_at; /* show: stop after message n (0 = never) */
};

static void scan_progress(void *arg, uint64_t done, uint64_t total)
{
	struct scan *s = arg;

	if (s->ctx == NULL)
		return;
	if (total > 0 && done < total)
		ctx_progress(s->ctx, "reading %llu%% (%zu messages)", (unsigned long long)(done * 100 / total),
			     s->messages);
	else
		ctx_progress(s->ctx, NULL);
}

/* A message read (fm NULL when it could not be) and parsed (prc:
 * feedback_parse()'s return): counted, then handed to s->each. */
static int scan_emit(struct scan *s, const struct mbox_msg *mm, struct fb_message *fm, int prc)
{
	int rc;

	s->messages++;
	if (fm == NULL) {
		s->failed++;
		rc = s->each(s, mm, NULL);
	} else {
		if (prc != 0 || (fm->n == 0 && mm->truncated))
			s->failed++;
		s->reports += fm->n;
		rc = s->each(s, mm, fm);
	}
	if (rc == 0 && s->stop_at != 0 && mm->n >= s->stop_at)
		rc = 1;
	return rc;
}

static int scan_one(void *arg, const struct mbox_msg *mm)
{
	struct scan *s = arg;
	struct fb_message fm;
	int rc;

	if (mm->error == NULL && mm->data != NULL && mm->len == 0)
		return 0; /* an empty file: no message at all */
	if (mm->error != NULL || mm->data == NULL)
		return scan_emit(s, mm, NULL, 0);
	int prc = feedback_parse_opts(mm->data, mm->len, s->reps, s->parse, &fm);
	rc = scan_emit(s, mm, &fm, prc);
	feedback_free(&fm);
	return rc;
}

/*
 * ---- parsing on the other cores ----
 *
 * Parsing (GMime's above all) is nearly all the time a big mailbox takes,
 * and each message is parsed on its own: worker threads parse batches of
 * messages while this thread reads the mailbox and hands the results to
 * s->each in the mailbox's order, so the output is the same as read one by
 * one. A batch holds copies of its messages (the reader's pointers are
 * good during its callback only); at most PIPE_RING batches are in flight,
 * so memory stays bounded by PIPE_RING times the larger of PIPE_BYTES and
 * the largest message.
 */
enum { PIPE_RING = 8, PIPE_MSGS = 256, PIPE_BYTES = 1 << 19, PIPE_THREADS = 4 };

struct pipe_job {
	struct mbox_msg mm;
	size_t data, source, from, error; /* offsets in the batch's bytes; SIZE_MAX for NULL */
	struct fb_message fm;
	int prc;
	bool parse; /* false: an unreadable message, fm unused */
};

struct pipe_batch {
	struct pipe_job *jobs;
	size_t n, cap;
	struct buf bytes;
	bool done; /* parsed; guarded by the pipe's lock */
};

struct pipe {
	struct scan *s;
	pthread_t th[PIPE_THREADS];
	int nth;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct pipe_batch ring[PIPE_RING];
	/* batches numbered in order: [emit, queued) are with the workers,
	 * queued % PIPE_RING is the one being filled; next is the next to parse */
	size_t emit, queued, next;
	bool quit;
	int stop; /* s->each's non-zero return: nothing more is emitted */
};

static void pipe_parse(const struct scan *s, struct pipe_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct pipe_job *j = &b->jobs[i];
		if (j->parse)
			j->prc = feedback_parse_opts(j->mm.data, j->mm.len, s->reps, s->parse, &j->fm);
	}
}

static void *pipe_worker(void *arg)
{
	struct pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->next == p->queued)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->next == p->queued)
			break; /* quit, and nothing left */
		struct pipe_batch *b = &p->ring[p->next++ % PIPE_RING];
		pthread_mutex_unlock(&p->mu);
		pipe_parse(p->s, b);
		pthread_mutex_lock(&p->mu);
		b->done = true;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static const char *pipe_ptr(const struct pipe_batch *b, size_t off)
{
	return off == SIZE_MAX ? NULL : b->bytes.data + off;
}

static size_t pipe_copy(struct pipe_batch *b, const char *p, size_t len)
{
	if (p == NULL)
		return SIZE_MAX;
	size_t off = b->bytes.len;
	buf_add(&b->bytes, p, len);
	buf_addc(&b->bytes, '\0'); /* the C strings among them need it; the data does not mind */
	return off;
}

/* The oldest batch, once parsed: its messages to s->each, in order. */
static void pipe_emit_one(struct pipe *p)
{
	struct pipe_batch *b = &p->ring[p->emit % PIPE_RING];

	pthread_mutex_lock(&p->mu);
	while (!b->done)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < b->n; i++) {
		struct pipe_job *j = &b->jobs[i];
		if (p->stop == 0)
			p->stop = scan_emit(p->s, &j->mm, j->parse ? &j->fm : NULL, j->prc);
		if (j->parse)
			feedback_free(&j->fm);
	}
	b->n = 0;
	b->done = false;
	buf_reset(&b->bytes);
	p->emit++;
}

/* The batch being filled to the workers; waits for room for the next. */
static void pipe_send(struct pipe *p)
{
	struct pipe_batch *b = &p->ring[p->queued % PIPE_RING];

	if (b->n == 0)
		return;
	/* the copies are final now: point the messages at them */
	for (size_t i = 0; i < b->n; i++) {
		struct pipe_job *j = &b->jobs[i];
		j->mm.data = pipe_ptr(b, j->data);
		j->mm.source = pipe_ptr(b, j->source);
		j->mm.from_line = pipe_ptr(b, j->from);
		j->mm.error = pipe_ptr(b, j->error);
	}
	pthread_mutex_lock(&p->mu);
	p->queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	while (p->queued - p->emit >= PIPE_RING)
		pipe_emit_one(p);
}

static int pipe_one(void *arg, const struct mbox_msg *mm)
{
	struct pipe *p = arg;
	struct pipe_batch *b = &p->ring[p->queued % PIPE_RING];

	if (mm->error == NULL && mm->data != NULL && mm->len == 0)
		return 0; /* an empty file: no message at all */
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->jobs = xrealloc(b->jobs, b->cap * sizeof(*b->jobs));
	}
	struct pipe_job *j = &b->jobs[b->n++];
	memset(j, 0, sizeof(*j));
	j->mm = *mm;
	j->parse = mm->error == NULL && mm->data != NULL;
	j->data = pipe_copy(b, j->parse ? mm->data : NULL, mm->len);
	j->source = pipe_copy(b, mm->source, mm->source != NULL ? strlen(mm->source) : 0);
	j->from = pipe_copy(b, mm->from_line, mm->from_len);
	j->error = pipe_copy(b, mm->error, mm->error != NULL ? strlen(mm->error) : 0);
	if (b->n >= PIPE_MSGS || b->bytes.len >= PIPE_BYTES)
		pipe_send(p);
	/* what is parsed already goes out now: the output streams */
	pthread_mutex_lock(&p->mu);
	bool ready = p->emit < p->queued && p->ring[p->emit % PIPE_RING].done;
	pthread_mutex_unlock(&p->mu);
	if (ready)
		pipe_emit_one(p);
	return p->stop;
}

/* How many threads to parse on: 0 to parse here, one message after the other. */
static int pipe_threads(void)
{
	cpu_set_t set;
	long n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 2 ? 0 : n > PIPE_THREADS ? PIPE_THREADS : (int)n;
}

/* mailbox_read() with s->each called as by scan_one, the parsing on nth threads. */
static int pipe_read(struct scan *s, int nth, char **argv, int argc, struct mbox_opts *o, char *err, size_t errlen)
{
	struct pipe p = { .s = s };
	int rc;

	mime_init(); /* once, before any thread needs it */
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (int i = 0; i < PIPE_RING; i++)
		buf_init(&p.ring[i].bytes);
	for (int i = 0; i < nth; i++)
		if (pthread_create(&p.th[p.nth], NULL, pipe_worker, &p) == 0)
			p.nth++;
	if (p.nth == 0) {
		rc = mailbox_read((const char *const *)argv, (size_t)argc, o, scan_one, s, err, errlen);
	} else {
		rc = mailbox_read((const char *const *)argv, (size_t)argc, o, pipe_one, &p, err, errlen);
		pipe_send(&p);
		while (p.emit < p.queued)
			pipe_emit_one(&p);
		pthread_mutex_lock(&p.mu);
		p.quit = true;
		pthread_cond_broadcast(&p.work);
		pthread_mutex_unlock(&p.mu);
		for (int i = 0; i < p.nth; i++)
			pthread_join(p.th[i], NULL);
	}
	for (int i = 0; i < PIPE_RING; i++) {
		free(p.ring[i].jobs);
		buf_free(&p.ring[i].bytes);
	}
	pthread_cond_destroy(&p.done);
	pthread_cond_destroy(&p.work);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

static int reporters_open(struct ctx *ctx, struct fb_reporters **t)
{
	char err[512];

	*t = fb_reporters_load(ctx_config(ctx)->arf.reporters, err, sizeof(err));
	if (*t == NULL)
		return ctx_error(ctx, EXIT_CONFIG, "[arf] reporters: %s", err);
	return 0;
}

/* Reads the mailboxes through s->each; the exit code per the file's comment. */
static int scan_run(struct scan *s, int argc, char **argv)
{
	struct mbox_opts o = { .progress = scan_progress, .arg = s };
	char err[512];
	int rc;

	if ((rc = reporters_open(s->ctx, &s->reps)) != 0)
		return rc;
	/* none given: [arf] mailboxes */
	char **boxes = NULL;
	if (argc == 0) {
		argc = (int)util_words(ctx_config(s->ctx)->arf.mailboxes, &boxes);
		argv = boxes;
	}
	rc = pipe_read(s, pipe_threads(), argv, argc, &o, err, sizeof(err));
	util_words_free(boxes);
	ctx_progress(s->ctx, NULL);
	fb_reporters_free(s->reps);
	s->reps = NULL;
	if (rc != 0)
		return ctx_error(s->ctx, rc, "%s", err);
	if (s->messages > 0 && s->failed == s->messages)
		return ctx_error(s->ctx, EXIT_DATAERR, "no message could be read (%zu failed)", s->failed);
	if (s->failed > 0)
		ctx_warn(s->ctx, "%zu of %zu messages could not be read", s->failed, s->messages);
	return EXIT_OK;
}

/* A mailbox given, or [arf] mailboxes to read. */
static int no_mailbox(struct ctx *ctx, int argc)
{
	char **boxes;

	if (argc > 0)
		return 0;
	size_t n = util_words(ctx_config(ctx)->arf.mailboxes, &boxes);
	util_words_free(boxes);
	return n > 0 ? 0 : ctx_error(ctx, EXIT_USAGE, "no mailbox given, and [arf] mailboxes is empty");
}

static int need_mailbox(struct ctx *ctx, int argc)
{
	int rc = no_mailbox(ctx, argc);

	if (rc != 0)
		return rc;
	if (ctx_format(ctx) == FORMAT_OTHER)
		return ctx_error(ctx, EXIT_USAGE, "-o %s: only 'arf list' has that format", ctx_format_name(ctx));
	return 0;
}

/* ---- list ---- */

struct list_arg {
	bool per_rcpt, all, arfparse;
};

/* arfparse's block: X-Idx, X-Subject, the report's own lines, the original's Subject. */
static void arfparse_block(struct ctx *ctx, const struct mbox_msg *mm, const struct fb_message *fm,
			   const struct fb_report *r)
{
	static const char *const names[] = { "Feedback-Type", "User-Agent",   "Version",       "Original-Envelope-ID",
					     "Original-Mail-From", "Arrival-Date", "Received-Date", "Reporting-MTA",
					     "Source-IP",     "Incidents",    NULL };
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "X-Idx: %zu", mm->n);
	out_line(ctx, b.data, b.len);
	buf_reset(&b);
	buf_addf(&b, "X-Subject: %s", fm->subject_raw != NULL ? fm->subject_raw : "");
	out_line(ctx, b.data, b.len);
	for (size_t i = 0; i < r->nfields; i++) {
		for (int k = 0; names[k] != NULL; k++) {
			if (strcasecmp(r->fields[i].name, names[k]) == 0) {
				buf_reset(&b);
				buf_addf(&b, "%s: %s", r->fields[i].name, r->fields[i].value);
				out_line(ctx, b.data, b.len);
				break;
			}
		}
	}
	/* the Subject line complete: each of its physical lines */
	for (const char *l = r->orig_subject_line; l != NULL && *l != '\0';) {
		size_t ll = strcspn(l, "\n");
		out_line(ctx, l, ll);
		l += ll;
		if (*l == '\n')
			l++;
	}
	out_line(ctx, "", 0);
	buf_free(&b);
}

static int list_each(struct scan *s, const struct mbox_msg *mm, const struct fb_message *fm)
{
	struct list_arg *la = s->arg;
	struct arow a;
	struct cell c[NCOLS];

	if (fm == NULL || fm->error != NULL || (fm->n == 0 && mm->truncated)) {
		if (la->arfparse)
			return 0;
		arow_fill(&a, mm, fm, NULL, 0);
		arow_cells(&a, c);
		out_row(s->ctx, c);
		arow_free(&a);
		return 0;
	}
	if (fm->n == 0 && la->all && !la->arfparse) {
		arow_fill(&a, mm, fm, NULL, 0);
		arow_cells(&a, c);
		out_row(s->ctx, c);
		arow_free(&a);
	}
	for (size_t i = 0; i < fm->n; i++) {
		const struct fb_report *r = &fm->reports[i];
		if (la->arfparse) {
			arfparse_block(s->ctx, mm, fm, r);
			continue;
		}
		size_t nr = la->per_rcpt && r->nrcpts > 1 ? r->nrcpts : 1;
		for (size_t k = 0; k < nr; k++) {
			arow_fill(&a, mm, fm, r, k);
			arow_cells(&a, c);
			out_row(s->ctx, c);
			arow_free(&a);
		}
	}
	return 0;
}

static int cmd_list(struct ctx *ctx, int argc, char **argv)
{
	struct list_arg la = { .per_rcpt = ctx_flag(ctx, "--per-recipient"), .all = ctx_flag(ctx, "--all") };
	struct scan s = { .ctx = ctx, .each = list_each, .arg = &la };
	int rc = no_mailbox(ctx, argc);

	if (rc != 0)
		return rc;
	if (ctx_format(ctx) == FORMAT_OTHER) {
		if (strcmp(ctx_format_name(ctx), "arfparse") != 0)
			return ctx_error(ctx, EXIT_USAGE, "-o %s: 'arf list' knows the format arfparse",
					 ctx_format_name(ctx));
		la.arfparse = true;
	} else {
		out_begin(ctx, list_columns, NCOLS);
	}
	rc = scan_run(&s, argc, argv);
	if (!la.arfparse)
		out_end(ctx);
	return rc;
}

/* ---- summary ---- */

static const char *const by_names[] = { "type", "source-ip", "net", "reporter", "domain", "day", "auth-failure", NULL };

struct group {
	char *key;
	long long count, first, last;
	char **types; /* complainers: the feedback types seen for it */
	size_t ntypes;
};

/* Groups by key, found through a hash of the keys (open addressing on
 * indexes into v): a mailbox of many distinct values stays linear. */
struct groups {
	struct group *v;
	size_t n, cap;
	size_t *slot, nslot; /* index + 1 into v; 0 is empty */
	int by;
};

static size_t key_hash(const char *k)
{
	size_t h = 1469598103934665603u;

	for (; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211u;
	return h;
}

static void groups_rehash(struct groups *g)
{
	free(g->slot);
	g->nslot = g->nslot ? g->nslot * 2 : 256;
	g->slot = xcalloc(g->nslot, sizeof(*g->slot));
	for (size_t i = 0; i < g->n; i++) {
		size_t h = key_hash(g->v[i].key) & (g->nslot - 1);
		while (g->slot[h] != 0)
			h = (h + 1) & (g->nslot - 1);
		g->slot[h] = i + 1;
	}
}

static struct group *group_add(struct groups *g, const char *key, long long date)
{
	if (key == NULL || *key == '\0')
		key = "-";
	if (2 * (g->n + 1) > g->nslot)
		groups_rehash(g);
	size_t h = key_hash(key) & (g->nslot - 1);
	for (; g->slot[h] != 0; h = (h + 1) & (g->nslot - 1)) {
		struct group *x = &g->v[g->slot[h] - 1];
		if (strcmp(x->key, key) == 0) {
			x->count++;
			if (date >= 0 && (x->first < 0 || date < x->first))
				x->first = date;
			if (date > x->last)
				x->last = date;
			return x;
		}
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	g->v[g->n] = (struct group){ .key = xstrdup(key), .count = 1, .first = date, .last = date };
	g->slot[h] = ++g->n;
	return &g->v[g->n - 1];
}

static void groups_free(struct groups *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].key);
		for (size_t k = 0; k < g->v[i].ntypes; k++)
			free(g->v[i].types[k]);
		free(g->v[i].types);
	}
	free(g->v);
	free(g->slot);
	memset(g, 0, sizeof(*g));
}

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The /24 (IPv4) or /64 (IPv6) of an address, or NULL. */
static char *net_of(const char *ip)
{
	unsigned char a[16];
	char out[INET6_ADDRSTRLEN + 8];

	if (ip == NULL)
		return NULL;
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, sizeof(out), "%u.%u.%u.0/24", a[0], a[1], a[2]);
		return xstrdup(out);
	}
	if (inet_pton(AF_INET6, ip, a) == 1) {
		memset(a + 8, 0, 8);
		char t[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, a, t, sizeof(t));
		snprintf(out, sizeof(out), "%s/64", t);
		return xstrdup(out);
	}
	return NULL;
}

/* Adds report r to the groups by g->by (a report may count under several domains). */
static void group_report(struct groups *g, const struct fb_message *fm, const struct fb_report *r)
{
	long long d = report_date(fm, r);
	char day[32];

	switch (g->by) {
	case 0:
		group_add(g, r->feedback_type, d);
		break;
	case 1:
		group_add(g, r->source_ip, d);
		break;
	case 2: {
		char *n = net_of(r->source_ip_ok ? r->source_ip : NULL);
		group_add(g, n, d);
		free(n);
		break;
	}
	case 3:
		group_add(g, fm->reporter, d);
		break;
	case 4:
		if (r->ndomains == 0)
			group_add(g, NULL, d);
		for (size_t i = 0; i < r->ndomains; i++)
			group_add(g, r->domains[i], d);
		break;
	case 5:
		if (d >= 0) {
			util_iso8601(d, day);
			day[10] = '\0';
			group_add(g, day, d);
		} else {
			group_add(g, NULL, d);
		}
		break;
	case 6:
		if (strcmp(r->feedback_type, "auth-failure") == 0)
			group_add(g, r->auth_failure, d);
		break;
	}
}

static int by_index(const char *w)
{
	if (w == NULL)
		return 0;
	for (int i = 0; by_names[i] != NULL; i++)
		if (strcmp(w, by_names[i]) == 0)
			return i;
	if (strcmp(w, "source_ip") == 0)
		return 1;
	if (strcmp(w, "auth_failure") == 0)
		return 6;
	return -1;
}

static const struct column summary_columns[] = {
	{ "by", "By", COL_TEXT, 12, 0 },
	{ "value", "Value", COL_TEXT, 0, 0 },
	{ "reports", "Reports", COL_INT, 7, 0 },
	{ "first_date", "First", COL_TIME, 20, 0 },
	{ "last_date", "Last", COL_TIME, 20, 0 },
};

static int summary_each(struct scan *s, const struct mbox_msg *mm, const struct fb_message *fm)
{
	(void)mm;
	if (fm == NULL)
		return 0;
	for (size_t i = 0; i < fm->n; i++)
		group_report(s->arg, fm, &fm->reports[i]);
	return 0;
}

static void summary_cells(const struct groups *g, size_t i, struct cell *c)
{
	const struct group *x = &g->v[i];

	c[0] = cell_str(by_names[g->by]);
	c[1] = cell_str(x->key);
	c[2] = cell_num(x->count);
	c[3] = x->first >= 0 ? cell_num(x->first) : (struct cell){ .null = true };
	c[4] = x->last >= 0 ? cell_num(x->last) : (struct cell){ .null = true };
}

static int cmd_summary(struct ctx *ctx, int argc, char **argv)
{
	struct groups g = { 0 };
	struct scan s = { .ctx = ctx, .each = summary_each, .arg = &g };
	int rc;

	if ((rc = need_mailbox(ctx, argc)) != 0)
		return rc;
	g.by = by_index(ctx_opt(ctx, "--by"));
	if (g.by < 0)
		return ctx_error(ctx, EXIT_USAGE, "--by %s: one of type, source-ip, net, reporter, domain, day, auth-failure",
				 ctx_opt(ctx, "--by"));
	rc = scan_run(&s, argc, argv);
	if (rc == 0 || s.messages > s.failed) {
		util_sort(g.v, g.n, sizeof(*g.v), group_cmp);
		out_begin(ctx, summary_columns, 5);
		for (size_t i = 0; i < g.n; i++) {
			struct cell c[5];
			summary_cells(&g, i, c);
			out_row(ctx, c);
		}
		out_end(ctx);
	}
	groups_free(&g);
	return rc;
}

/* ---- complainers ---- */

static const struct column complainer_columns[] = {
	{ "address", "Address", COL_TEXT, 0, 0 },
	{ "reports", "Reports", COL_INT, 7, 0 },
	{ "first_date", "First", COL_TIME, 20, 0 },
	{ "last_date", "Last", COL_TIME, 20, 0 },
	{ "types", "Types", COL_TEXT, 0, 0 },
};

struct compl {
	struct groups g;   /* key: lower-cased address */
	size_t skipped;
};

static int complainers_each(struct scan *s, const struct mbox_msg *mm, const struct fb_message *fm)
{
	struct compl *c = s->arg;

	(void)mm;
	if (fm == NULL)
		return 0;
	for (size_t i = 0; i < fm->n; i++) {
		const struct fb_report *r = &fm->reports[i];
		if (strcmp(r->feedback_type, "not-spam") == 0)
			continue;
		for (size_t k = 0; k < r->nrcpts; k++) {
			if (fb_address_redacted(r->rcpts[k])) {
				c->skipped++;
				continue;
			}
			char *a = xstrdup(r->rcpts[k]);
			for (char *p = a; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			struct group *x = group_add(&c->g, a, report_date(fm, r));
			bool known = false;
			for (size_t t = 0; t < x->ntypes && !known; t++)
				known = strcmp(x->types[t], r->feedback_type) == 0;
			if (!known) {
				x->types = xrealloc(x->types, (x->ntypes + 1) * sizeof(*x->types));
				x->types[x->ntypes++] = xstrdup(r->feedback_type);
			}
			free(a);
		}
	}
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->key, ((const struct group *)b)->key);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_complainers(struct ctx *ctx, int argc, char **argv)
{
	struct compl c = { 0 };
	struct scan s = { .ctx = ctx, .each = complainers_each, .arg = &c };
	int rc;

	if ((rc = need_mailbox(ctx, argc)) != 0)
		return rc;
	rc = scan_run(&s, argc, argv);
	if (rc == 0 || s.messages > s.failed) {
		util_sort(c.g.v, c.g.n, sizeof(*c.g.v), key_cmp);
		out_begin(ctx, complainer_columns, 5);
		struct buf t;
		buf_init(&t);
		for (size_t i = 0; i < c.g.n; i++) {
			const struct group *x = &c.g.v[i];
			buf_reset(&t);
			util_sort(x->types, x->ntypes, sizeof(*x->types), str_cmp);
			for (size_t k = 0; k < x->ntypes; k++) {
				if (t.len > 0)
					buf_addc(&t, ',');
				buf_adds(&t, x->types[k]);
			}
			struct cell cl[5] = { cell_str(x->key), cell_num(x->count),
					      x->first >= 0 ? cell_num(x->first) : (struct cell){ .null = true },
					      x->last >= 0 ? cell_num(x->last) : (struct cell){ .null = true },
					      cell_bytes(t.data, t.len) };
			out_row(ctx, cl);
		}
		buf_free(&t);
		out_end(ctx);
		if (c.skipped > 0)
			ctx_warn(ctx, "%zu redacted or hashed recipients left out", c.skipped);
	}
	groups_free(&c.g);
	return rc;
}

/* ---- show ---- */

/* Everything about message mm as lines "section", "name", "value" (text: a readable layout). */
struct show_out {
	struct ctx *ctx;  /* batch: rows or lines to ctx; NULL: into text */
	struct buf *text;
	bool text_form;
	int report;
	int headings; /* written so far: a blank line before all but the first */
};

static const struct column show_columns[] = {
	{ "report", "Report", COL_INT, 3, 0 },
	{ "section", "Section", COL_TEXT, 10, 0 },
	{ "name", "Name", COL_TEXT, 24, 0 },
	{ "value", "Value", COL_TEXT, 0, 0 },
};

static void show_kv(struct show_out *o, const char *section, const char *name, const char *value, size_t vlen)
{
	if (value == NULL)
		return;
	if (!o->text_form) {
		struct cell c[4] = { cell_num(o->report), cell_str(section), cell_str(name), cell_bytes(value, vlen) };
		out_row(o->ctx, c);
		return;
	}
	struct buf b;
	buf_init(&b);
	buf_addf(&b, "%-22s ", name);
	buf_add(&b, value, vlen);
	if (o->ctx != NULL)
		out_line(o->ctx, b.data, b.len);
	else {
		buf_add(o->text, b.data, b.len);
		buf_addc(o->text, '\n');
	}
	buf_free(&b);
}

static void show_s(struct show_out *o, const char *section, const char *name, const char *value)
{
	if (value != NULL)
		show_kv(o, section, name, value, strlen(value));
}

static void show_heading(struct show_out *o, const char *h)
{
	if (!o->text_form)
		return;
	char *l = xasprintf("== %s ==", h);
	bool gap = o->headings++ > 0;
	if (o->ctx != NULL) {
		if (gap)
			out_line(o->ctx, "", 0);
		out_line(o->ctx, l, strlen(l));
	} else {
		if (gap)
			buf_addc(o->text, '\n');
		buf_adds(o->text, l);
		buf_addc(o->text, '\n');
	}
	free(l);
}

/* A block of text, line by line (text form), or one value. */
static void show_block(struct show_out *o, const char *section, const char *p, size_t len)
{
	if (p == NULL)
		return;
	if (!o->text_form) {
		show_kv(o, section, section, p, len);
		return;
	}
	for (size_t i = 0; i < len;) {
		const char *lf = memchr(p + i, '\n', len - i);
		size_t e = lf != NULL ? (size_t)(lf - p) : len;
		size_t le = e > i && p[e - 1] == '\r' ? e - 1 : e;
		if (o->ctx != NULL)
			out_line(o->ctx, p + i, le - i);
		else {
			buf_add(o->text, p + i, le - i);
			buf_addc(o->text, '\n');
		}
		i = lf != NULL ? e + 1 : len;
	}
}

static void show_time(struct show_out *o, const char *section, const char *name, long long t, const char *suffix)
{
	char iso[32], v[96];

	if (t < 0)
		return;
	util_iso8601(t, iso);
	snprintf(v, sizeof(v), "%s%s", iso, suffix != NULL ? suffix : "");
	show_s(o, section, name, v);
}

static void show_message(struct show_out *o, const struct mbox_msg *mm, const struct fb_message *fm)
{
	char num[64];
	struct buf b;

	buf_init(&b);
	o->report = 0;
	show_heading(o, "Message");
	snprintf(num, sizeof(num), "%zu", mm->n);
	show_s(o, "message", "n", num);
	show_s(o, "message", "source", mm->source);
	snprintf(num, sizeof(num), "%lld", (long long)mm->offset);
	show_s(o, "message", "offset", num);
	if (mm->truncated)
		show_s(o, "message", "problem", "the mailbox ends inside this message (truncated)");
	if (mm->error != NULL || fm == NULL || fm->error != NULL) {
		show_s(o, "message", "error", mm->error != NULL ? mm->error : fm != NULL && fm->error ? fm->error : "?");
	} else {
		show_s(o, "message", "from", fm->from);
		show_s(o, "message", "return_path", fm->return_path);
		show_s(o, "message", "reporter", fm->reporter);
		show_s(o, "message", "provider", fm->provider);
		show_s(o, "message", "subject", fm->subject);
		show_s(o, "message", "message_id", fm->message_id);
		show_time(o, "message", "date", fm->date, NULL);
		snprintf(num, sizeof(num), "%zu", fm->n);
		show_s(o, "message", "reports", num);
	}
	for (size_t i = 0; fm != NULL && i < fm->n; i++) {
		const struct fb_report *r = &fm->reports[i];
		o->report = (int)i + 1;
		snprintf(num, sizeof(num), "Report %zu of %zu (%s)", i + 1, fm->n, r->variant);
		show_heading(o, num);
		show_s(o, "report", "variant", r->variant);
		show_s(o, "report", "type", r->feedback_type);
		if (!r->type_registered)
			show_s(o, "report", "type_note", "not a type IANA registered: kept as given");
		show_time(o, "report", "arrival",
			  r->arrival, r->arrival_field != NULL && strcmp(r->arrival_field, "Received-Date") == 0
					      ? " (from Received-Date, standing in for Arrival-Date)"
					      : NULL);
		if (r->source_ip != NULL) {
			buf_reset(&b);
			buf_addf(&b, "%s%s", r->source_ip, r->source_ip_ok ? "" : " (not an IP address: kept as given)");
			show_s(o, "report", "source_ip", b.data);
		}
		show_s(o, "report", "original_mail_from", r->mail_from);
		for (size_t k = 0; k < r->nrcpts; k++)
			show_s(o, "report", "recipient", r->rcpts[k]);
		for (size_t k = 0; k < r->ndomains; k++)
			show_s(o, "report", "reported_domain", r->domains[k]);
		show_s(o, "report", "auth_failure", r->auth_failure);
		for (size_t k = 0; k < r->nproblems; k++)
			show_s(o, "report", "problem", r->problems[k]);
		show_heading(o, "Fields");
		for (size_t k = 0; k < r->nfields; k++) {
			const struct fb_field *f = &r->fields[k];
			buf_reset(&b);
			buf_adds(&b, f->value);
			if (!(f->flags & FB_KNOWN))
				buf_adds(&b, "   [unknown field]");
			if (f->flags & FB_MALFORMED)
				buf_adds(&b, "   [malformed: given more than once]");
			char *nm = xasprintf("%s:", f->name);
			if (o->text_form)
				show_kv(o, "field", nm, b.data, b.len);
			else
				show_s(o,
				       f->flags & FB_MALFORMED ? "malformed_field"
				       : f->flags & FB_KNOWN	 ? "field"
								 : "unknown_field",
				       f->name, f->value);
			free(nm);
		}
		show_heading(o, "Original");
		show_s(o, "original", "from", r->orig_from);
		show_s(o, "original", "from_address", r->orig_from_addr);
		show_s(o, "original", "to", r->orig_to);
		show_s(o, "original", "subject", r->orig_subject);
		show_s(o, "original", "message_id", r->orig_message_id);
		show_time(o, "original", "date", r->orig_date, NULL);
		show_s(o, "original", "received_ip", r->orig_received_ip);
		if (r->human != NULL) {
			show_heading(o, "Human-readable part");
			show_block(o, "human", r->human, strlen(r->human));
		}
		if (r->original != NULL) {
			show_heading(o, "Original headers");
			show_block(o, "original_headers", r->original, r->orig_header_len);
			if (r->original_len > r->orig_header_len) {
				show_heading(o, "Original body");
				show_block(o, "original_body", r->original + r->orig_header_len,
					   r->original_len - r->orig_header_len);
			}
		}
	}
	o->report = 0;
	if (mm->data != NULL) {
		show_heading(o, "Raw source");
		show_block(o, "raw", mm->data, mm->len);
	}
	buf_free(&b);
}

struct show_arg {
	size_t n;
	bool found;
	struct show_out o;
};

static int show_each(struct scan *s, const struct mbox_msg *mm, const struct fb_message *fm)
{
	struct show_arg *sa = s->arg;

	if (mm->n != sa->n)
		return 0;
	sa->found = true;
	show_message(&sa->o, mm, fm);
	return 1;
}

static int cmd_show(struct ctx *ctx, int argc, char **argv)
{
	struct show_arg sa = { 0 };
	struct scan s = { .ctx = ctx, .each = show_each, .arg = &sa, .parse = FB_WANT_BODY };
	char *end;
	int rc;

	if ((rc = need_mailbox(ctx, argc - 1)) != 0)
		return rc;
	long long n = strtoll(argv[0], &end, 10);
	if (*end != '\0' || n < 1)
		return ctx_error(ctx, EXIT_USAGE, "'%s': N is a message number from 'arf list' (1, 2, ...)", argv[0]);
	sa.n = (size_t)n;
	s.stop_at = sa.n;
	sa.o.ctx = ctx;
	sa.o.text_form = ctx_format(ctx) == FORMAT_TEXT;
	if (!sa.o.text_form)
		out_begin(ctx, show_columns, 4);
	rc = scan_run(&s, argc - 1, argv + 1);
	if (!sa.o.text_form)
		out_end(ctx);
	if (rc == 0 && !sa.found)
		return ctx_error(ctx, EXIT_NEGATIVE, "no message %lld: the mailboxes hold %zu", n, s.messages);
	return rc;
}

/* ---- the tab ---- */

/*
 * The child reads the mailboxes and writes each row as NF fields, each
 * "<length>:<bytes>"; the numbers as decimal text. A field "P" row is
 * progress (messages read, bytes done, bytes total).
 */
#define NF (NCOLS + 3) /* fields of a P or E row (the first after the kind carries the text); R rows have NCOLS + 7 */

struct aview {
	struct ctx *ctx;
	char **boxes;
	size_t nboxes;
	struct arow *rows;
	size_t n, cap;
	size_t *shown; /* rows passing the type filter */
	size_t nshown;
	char **types; /* types seen, for t */
	size_t ntypes;
	int type_filter; /* -1: all */
	/* the other structured filters (i, d, p, D); NULL / -1 = off */
	char *ip_filter;       /* an address or a CIDR */
	char *domain_filter;   /* reported domain or the sender's, with subdomains */
	char *reporter_filter; /* part of the reporter's address or the provider's name */
	long long date_from, date_to; /* [from, to) unix times */
	struct loop_child *child; /* the reader (backend/child.c) */
	struct buf in;
	bool loading, changed;
	long long messages;
	unsigned long long done, total;
	char header[512];
	char errtext[256];
};

static void wr_field(struct buf *b, const char *s, size_t len)
{
	buf_addf(b, "%zu:", len);
	buf_add(b, s, len);
}

static void wr_str(struct buf *b, const char *s)
{
	wr_field(b, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static void wr_num(struct buf *b, long long v)
{
	char t[32];
	snprintf(t, sizeof(t), "%lld", v);
	wr_str(b, t);
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

struct child {
	int fd;
	struct buf out;
	unsigned long long done, total;
	long long messages;
};

static void child_row(struct child *c, const struct arow *a)
{
	wr_str(&c->out, "R");
	for (int i = 0; i < NCOLS; i++)
		wr_str(&c->out, a->s[i]);
	wr_num(&c->out, a->n);
	wr_num(&c->out, a->date);
	wr_num(&c->out, a->nrcpt);
	wr_str(&c->out, a->source);
	wr_num(&c->out, a->offset);
	wr_str(&c->out, a->auth);
}

static void child_flush(struct child *c)
{
	if (c->out.len > 0 && !write_all(c->fd, c->out.data, c->out.len))
		_exit(1);
	buf_reset(&c->out);
}

static int child_each(struct scan *s, const struct mbox_msg *mm, const struct fb_message *fm)
{
	struct child *c = s->arg;
	struct arow a;

	c->messages++;
	if (fm == NULL || fm->error != NULL || (fm->n == 0 && mm->truncated)) {
		arow_fill(&a, mm, fm, NULL, 0);
		child_row(c, &a);
		arow_free(&a);
	}
	for (size_t i = 0; fm != NULL && i < fm->n; i++) {
		arow_fill(&a, mm, fm, &fm->reports[i], 0);
		child_row(c, &a);
		arow_free(&a);
	}
	if (c->out.len > 16384)
		child_flush(c);
	return 0;
}

static void child_progress(void *arg, uint64_t done, uint64_t total)
{
	struct scan *s = arg;
	struct child *c = s->arg;
	char t[96];

	snprintf(t, sizeof(t), "%lld %llu %llu", c->messages, (unsigned long long)done, (unsigned long long)total);
	wr_str(&c->out, "P");
	for (int i = 0; i < NF - 1; i++)
		wr_str(&c->out, i == 0 ? t : NULL);
	child_flush(c);
}

static int child_main(int fd, const struct config *cfg, char **boxes, size_t n)
{
	struct child c = { .fd = fd };
	struct scan s = { .each = child_each, .arg = &c };
	struct mbox_opts o = { .progress = child_progress, .arg = &s };
	char err[512];

	buf_init(&c.out);
	s.reps = fb_reporters_load(cfg->arf.reporters, err, sizeof(err));
	int rc = s.reps == NULL ? EXIT_CONFIG : mailbox_read((const char *const *)boxes, n, &o, scan_one, &s, err, sizeof(err));
	if (rc != 0) {
		wr_str(&c.out, "E");
		for (int i = 0; i < NF - 1; i++)
			wr_str(&c.out, i == 0 ? err : NULL);
	}
	child_flush(&c);
	return 0;
}

/* One field at *pos of b: false when it is not all there yet. */
static bool rd_field(const struct buf *b, size_t *pos, const char **s, size_t *len)
{
	size_t i = *pos, v = 0;

	while (i < b->len && b->data[i] >= '0' && b->data[i] <= '9') {
		v = v * 10 + (size_t)(b->data[i] - '0');
		i++;
	}
	if (i >= b->len || b->data[i] != ':' || b->len - i - 1 < v)
		return false;
	*s = b->data + i + 1;
	*len = v;
	*pos = i + 1 + v;
	return true;
}

/* Is ip inside spec ("192.0.2.0/24", "2001:db8::/32" or one address)? */
static bool ip_in(const char *ip, const char *spec)
{
	unsigned char a[16], n[16];
	char net[64];
	int af = strchr(spec, ':') != NULL ? AF_INET6 : AF_INET, len = af == AF_INET ? 4 : 16;

	if (ip == NULL)
		return false;
	snprintf(net, sizeof(net), "%s", spec);
	char *slash = strchr(net, '/');
	int bits = len * 8;
	if (slash != NULL) {
		*slash = '\0';
		bits = atoi(slash + 1);
		if (bits < 0 || bits > len * 8)
			return false;
	}
	if (inet_pton(af, net, n) != 1 || inet_pton(af, ip, a) != 1)
		return false;
	for (int i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((a[i] & mask) != (n[i] & mask))
			return false;
	}
	return true;
}

/* Is the domain of s (an address or a domain) d or below it? */
static bool domain_in(const char *s, const char *d)
{
	if (s == NULL)
		return false;
	const char *at = strrchr(s, '@');
	const char *dom = at != NULL ? at + 1 : s;
	size_t dl = strlen(dom), fl = strlen(d);
	return strcasecmp(dom, d) == 0 || (dl > fl && dom[dl - fl - 1] == '.' && strcasecmp(dom + dl - fl, d) == 0);
}

static bool av_shows(const struct aview *v, const struct arow *a)
{
	const char *t = a->s[C_TYPE];

	if (v->type_filter >= 0 && (t == NULL || strcmp(t, v->types[v->type_filter]) != 0))
		return false;
	if (v->ip_filter != NULL && !ip_in(a->s[C_SOURCE_IP], v->ip_filter))
		return false;
	if (v->domain_filter != NULL && !domain_in(a->s[C_DOMAIN], v->domain_filter) &&
	    !domain_in(a->s[C_MAIL_FROM], v->domain_filter))
		return false;
	if (v->reporter_filter != NULL &&
	    (a->s[C_REPORTER] == NULL || strcasestr(a->s[C_REPORTER], v->reporter_filter) == NULL) &&
	    (a->s[C_PROVIDER] == NULL || strcasestr(a->s[C_PROVIDER], v->reporter_filter) == NULL))
		return false;
	if (v->date_from >= 0 && (a->date < 0 || a->date < v->date_from || a->date >= v->date_to))
		return false;
	return true;
}

static void av_refilter(struct aview *v)
{
	free(v->shown);
	v->shown = xmalloc((v->n + 1) * sizeof(size_t));
	v->nshown = 0;
	for (size_t i = 0; i < v->n; i++)
		if (av_shows(v, &v->rows[i]))
			v->shown[v->nshown++] = i;
}

static void av_add(struct aview *v, struct arow *a)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->rows = xrealloc(v->rows, v->cap * sizeof(*v->rows));
	}
	v->rows[v->n++] = *a;
	const char *t = a->s[C_TYPE];
	if (t != NULL) {
		bool seen = false;
		for (size_t i = 0; i < v->ntypes && !seen; i++)
			seen = strcmp(v->types[i], t) == 0;
		if (!seen) {
			v->types = xrealloc(v->types, (v->ntypes + 1) * sizeof(char *));
			v->types[v->ntypes++] = xstrdup(t);
		}
	}
}

static void av_parse(struct aview *v)
{
	size_t pos = 0;

	for (;;) {
		const char *f[NCOLS + 7];
		size_t l[NCOLS + 7];
		size_t p = pos;
		if (!rd_field(&v->in, &p, &f[0], &l[0]))
			break;
		int want = l[0] == 1 && f[0][0] == 'R' ? NCOLS + 7 : NF;
		int k;
		for (k = 1; k < want; k++)
			if (!rd_field(&v->in, &p, &f[k], &l[k]))
				break;
		if (k < want)
			break;
		pos = p;
		if (l[0] != 1)
			continue;
		if (f[0][0] == 'R') {
			struct arow a;
			memset(&a, 0, sizeof(a));
			for (int i = 0; i < NCOLS; i++)
				a.s[i] = l[1 + i] > 0 ? xstrndup(f[1 + i], l[1 + i]) : NULL;
			char *t;
			a.n = strtoll(t = xstrndup(f[NCOLS + 1], l[NCOLS + 1]), NULL, 10);
			free(t);
			a.date = strtoll(t = xstrndup(f[NCOLS + 2], l[NCOLS + 2]), NULL, 10);
			free(t);
			a.nrcpt = strtoll(t = xstrndup(f[NCOLS + 3], l[NCOLS + 3]), NULL, 10);
			free(t);
			a.source = xstrndup(f[NCOLS + 4], l[NCOLS + 4]);
			a.offset = strtoll(t = xstrndup(f[NCOLS + 5], l[NCOLS + 5]), NULL, 10);
			free(t);
			a.auth = l[NCOLS + 6] > 0 ? xstrndup(f[NCOLS + 6], l[NCOLS + 6]) : NULL;
			av_add(v, &a);
			v->changed = true;
		} else if (f[0][0] == 'P') {
			char *t = xstrndup(f[1], l[1]);
			sscanf(t, "%lld %llu %llu", &v->messages, &v->done, &v->total);
			free(t);
			v->changed = true;
		} else if (f[0][0] == 'E') {
			snprintf(v->errtext, sizeof(v->errtext), "%.*s", (int)(l[1] > 200 ? 200 : l[1]), f[1]);
			ctx_error(v->ctx, EXIT_NOINPUT, "ARF: %s", v->errtext);
			v->changed = true;
		}
	}
	if (pos > 0) {
		memmove(v->in.data, v->in.data + pos, v->in.len - pos);
		v->in.len -= pos;
	}
}

static void av_stop(struct aview *v)
{
	loop_child_kill(v->child);
	v->child = NULL;
	v->loading = false;
	ctx_progress(v->ctx, NULL);
}

static void av_data(void *arg, const char *p, size_t n)
{
	struct aview *v = arg;

	buf_add(&v->in, p, n);
	av_parse(v);
	av_refilter(v);
	if (v->total > 0)
		ctx_progress(v->ctx, "ARF: reading %llu%% (%lld messages)", v->done * 100 / v->total, v->messages);
	ctx_dirty(v->ctx);
}

/* the reader is done */
static void av_end(void *arg, int status)
{
	struct aview *v = arg;

	(void)status;
	v->child = NULL;
	av_parse(v);
	av_stop(v);
	av_refilter(v);
	v->changed = true;
	ctx_dirty(v->ctx);
}

static int av_child(void *arg, int fd)
{
	struct aview *v = arg;
	return child_main(fd, ctx_config(v->ctx), v->boxes, v->nboxes);
}

static void av_start(struct aview *v)
{
	for (size_t i = 0; i < v->n; i++)
		arow_free(&v->rows[i]);
	v->n = 0;
	v->nshown = 0;
	v->messages = 0;
	v->errtext[0] = '\0';
	buf_reset(&v->in);
	v->child = loop_child_start(ctx_loop(v->ctx), av_child, v, av_data, av_end, v, v->errtext, sizeof(v->errtext));
	if (v->child == NULL)
		return;
	v->loading = true;
	ctx_progress(v->ctx, "ARF: reading the mailboxes");
}

static int av_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	const struct config *cfg = ctx_config(ctx);
	char **boxes;
	size_t n = util_words(cfg->arf.mailboxes, &boxes);

	if (n == 0) {
		util_words_free(boxes);
		return errf(err, errlen, EXIT_CONFIG,
			    "No mailboxes to read. Set them in the config, e.g.\n  [arf]\n  mailboxes = /var/mail/fbl, "
			    "/srv/mail/abuse/Maildir\nthen press r. Batch: mailops arf list MAILBOX...");
	}
	struct aview *v = xcalloc(1, sizeof(*v));
	v->ctx = ctx;
	v->boxes = boxes;
	v->nboxes = n;
	v->type_filter = -1;
	v->date_from = v->date_to = -1;
	buf_init(&v->in);
	av_start(v);
	*state = v;
	return 0;
}

static const struct column *av_columns(void *state, int *n)
{
	(void)state;
	*n = NCOLS;
	return list_columns;
}

static size_t av_count(void *state)
{
	return ((struct aview *)state)->nshown;
}

static void av_row(void *state, size_t i, struct cell *cells)
{
	struct aview *v = state;

	arow_cells(&v->rows[v->shown[i]], cells);
}

static const char *av_header(void *state)
{
	struct aview *v = state;
	size_t reports = 0, errors = 0;

	for (size_t i = 0; i < v->n; i++) {
		if (v->rows[i].s[C_VARIANT] != NULL && strcmp(v->rows[i].s[C_VARIANT], "error") == 0)
			errors++;
		else
			reports++;
	}
	snprintf(v->header, sizeof(v->header), "%s%zu reports, %zu errors in %lld messages%s  type: %s  [%s%s]",
		 v->loading ? "reading... " : "", reports, errors, v->messages,
		 v->loading && v->total > 0 ? "" : "", v->type_filter < 0 ? "all" : v->types[v->type_filter],
		 v->boxes[0], v->nboxes > 1 ? ", ..." : "");
	size_t hl = strlen(v->header);
	if (v->ip_filter != NULL)
		snprintf(v->header + hl, sizeof(v->header) - hl, "  ip: %.60s", v->ip_filter);
	hl = strlen(v->header);
	if (v->domain_filter != NULL)
		snprintf(v->header + hl, sizeof(v->header) - hl, "  domain: %.60s", v->domain_filter);
	hl = strlen(v->header);
	if (v->reporter_filter != NULL)
		snprintf(v->header + hl, sizeof(v->header) - hl, "  reporter: %.60s", v->reporter_filter);
	hl = strlen(v->header);
	if (v->date_from >= 0) {
		char f[32], t[32];
		util_iso8601(v->date_from, f);
		util_iso8601(v->date_to - 1, t);
		f[10] = t[10] = '\0';
		snprintf(v->header + hl, sizeof(v->header) - hl, "  dates: %s..%s", f, t);
	}
	if (v->errtext[0] != '\0')
		snprintf(v->header + strlen(v->header), sizeof(v->header) - strlen(v->header), "  error: %s",
			 v->errtext);
	return v->header;
}

static char *av_detail(void *state, size_t i)
{
	struct aview *v = state;
	const struct arow *a = &v->rows[v->shown[i]];
	struct buf raw, text;
	char err[512];
	struct fb_message fm;

	buf_init(&raw);
	buf_init(&text);
	if (mailbox_get(a->source, a->offset, &raw, err, sizeof(err)) != 0) {
		buf_free(&raw);
		return xasprintf("%s\n", err);
	}
	struct fb_reporters *t = fb_reporters_load(ctx_config(v->ctx)->arf.reporters, err, sizeof(err));
	struct mbox_msg mm = { .n = (size_t)a->n, .source = a->source, .offset = a->offset, .data = raw.data,
			       .len = raw.len };
	feedback_parse(raw.data, raw.len, t, &fm);
	struct show_out o = { .ctx = NULL, .text = &text, .text_form = true };
	show_message(&o, &mm, &fm);
	feedback_free(&fm);
	fb_reporters_free(t);
	buf_free(&raw);
	return buf_take(&text);
}

/* ---- the summary screen (g) ---- */

struct sview {
	struct groups g;
	struct aview *av;
};

static void sv_build(struct sview *s)
{
	struct aview *v = s->av;
	int by = s->g.by;

	groups_free(&s->g);
	s->g.by = by;
	for (size_t k = 0; k < v->nshown; k++) {
		const struct arow *a = &v->rows[v->shown[k]];
		if (a->s[C_VARIANT] != NULL && strcmp(a->s[C_VARIANT], "error") == 0)
			continue;
		char day[32];
		const char *key = NULL;
		char *tmp = NULL;
		switch (by) {
		case 0: key = a->s[C_TYPE]; break;
		case 1: key = a->s[C_SOURCE_IP]; break;
		case 2: key = tmp = net_of(a->s[C_SOURCE_IP]); break;
		case 3: key = a->s[C_REPORTER]; break;
		case 4: key = a->s[C_DOMAIN]; break;
		case 5:
			if (a->date >= 0) {
				util_iso8601(a->date, day);
				day[10] = '\0';
				key = day;
			}
			break;
		default:
			/* auth-failure: only auth-failure reports count */
			if (a->s[C_TYPE] == NULL || strcmp(a->s[C_TYPE], "auth-failure") != 0) {
				free(tmp);
				continue;
			}
			key = a->auth;
			break;
		}
		group_add(&s->g, key, a->date);
		free(tmp);
	}
	util_sort(s->g.v, s->g.n, sizeof(*s->g.v), group_cmp);
}

static const struct column *sv_columns(void *state, int *n)
{
	(void)state;
	*n = 5;
	return summary_columns;
}

static size_t sv_count(void *state)
{
	return ((struct sview *)state)->g.n;
}

static void sv_row(void *state, size_t i, struct cell *c)
{
	struct sview *s = state;

	summary_cells(&s->g, i, c);
}

static const char *sv_header(void *state)
{
	(void)state;
	return "Reports grouped (of the rows the ARF tab shows). b: next grouping";
}

static int sv_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct sview *s = state;

	(void)ctx;
	(void)sel;
	if (key != 'b')
		return VIEW_UNUSED;
	s->g.by = (s->g.by + 1) % 7;
	sv_build(s);
	return VIEW_USED | VIEW_DIRTY;
}

static void sv_close(void *state)
{
	struct sview *s = state;

	groups_free(&s->g);
	free(s);
}

static const struct key_help sv_keys[] = {
	{ "b", "group by the next field: type, source-ip, net, reporter, domain, day, auth-failure" },
	{ NULL, NULL },
};

static const struct view summary_view = {
	.columns = sv_columns,
	.row_count = sv_count,
	.row = sv_row,
	.header = sv_header,
	.key = sv_key,
	.close = sv_close,
	.keys = sv_keys,
};

static void set_filter(struct aview *v, char **f, const char *text)
{
	free(*f);
	*f = NULL;
	while (*text == ' ')
		text++;
	if (*text != '\0') {
		*f = xstrdup(text);
		(*f)[strcspn(*f, " ")] = '\0';
	}
	av_refilter(v);
	v->changed = true;
	ctx_dirty(v->ctx);
}

static void ask_ip(void *arg, const char *text)
{
	struct aview *v = arg;
	set_filter(v, &v->ip_filter, text);
	if (v->ip_filter != NULL) {
		char net[64];
		snprintf(net, sizeof(net), "%s", v->ip_filter);
		net[strcspn(net, "/")] = '\0';
		unsigned char a[16];
		if (inet_pton(AF_INET, net, a) != 1 && inet_pton(AF_INET6, net, a) != 1) {
			ctx_error(v->ctx, EXIT_USAGE, "'%s': not an address or a CIDR (192.0.2.0/24, 2001:db8::/32)",
				  v->ip_filter);
			set_filter(v, &v->ip_filter, "");
		}
	}
}

static void ask_domain(void *arg, const char *text)
{
	struct aview *v = arg;
	set_filter(v, &v->domain_filter, text);
}

static void ask_reporter(void *arg, const char *text)
{
	struct aview *v = arg;
	set_filter(v, &v->reporter_filter, text);
}

/* "YYYY-MM-DD[..YYYY-MM-DD]": from the first day's start to the last day's end. */
static void ask_dates(void *arg, const char *text)
{
	struct aview *v = arg;
	int y1, m1, d1, y2, m2, d2, n = 0;

	v->date_from = v->date_to = -1;
	while (*text == ' ')
		text++;
	if (*text != '\0') {
		int k = sscanf(text, "%4d-%2d-%2d%n..%4d-%2d-%2d", &y1, &m1, &d1, &n, &y2, &m2, &d2);
		if (k == 3 || k == 6) {
			struct tm a = { .tm_year = y1 - 1900, .tm_mon = m1 - 1, .tm_mday = d1 };
			struct tm b = { .tm_year = (k == 6 ? y2 : y1) - 1900, .tm_mon = (k == 6 ? m2 : m1) - 1,
					.tm_mday = (k == 6 ? d2 : d1) + 1 };
			v->date_from = (long long)timegm(&a);
			v->date_to = (long long)timegm(&b);
		} else {
			ctx_error(v->ctx, EXIT_USAGE, "dates: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD");
		}
	}
	av_refilter(v);
	v->changed = true;
	ctx_dirty(v->ctx);
}

static int av_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct aview *v = state;

	if (key == 'i') {
		ctx_ask(ctx, "Source IP or CIDR (empty: all): ", ask_ip, v);
		return VIEW_USED;
	}
	if (key == 'd') {
		ctx_ask(ctx, "Domain, reported or sender's (empty: all): ", ask_domain, v);
		return VIEW_USED;
	}
	if (key == 'p') {
		ctx_ask(ctx, "Reporter or provider (empty: all): ", ask_reporter, v);
		return VIEW_USED;
	}
	if (key == 'D') {
		ctx_ask(ctx, "Dates YYYY-MM-DD[..YYYY-MM-DD] (empty: all): ", ask_dates, v);
		return VIEW_USED;
	}
	if (key == 'x') {
		v->type_filter = -1;
		free(v->ip_filter);
		free(v->domain_filter);
		free(v->reporter_filter);
		v->ip_filter = v->domain_filter = v->reporter_filter = NULL;
		v->date_from = v->date_to = -1;
		av_refilter(v);
		return VIEW_USED | VIEW_DIRTY;
	}

	(void)sel;
	if (key == 't') {
		v->type_filter = v->type_filter + 1 >= (int)v->ntypes ? -1 : v->type_filter + 1;
		av_refilter(v);
		return VIEW_USED | VIEW_DIRTY;
	}
	if (key == 'c') {
		struct sview *s = xcalloc(1, sizeof(*s));
		s->av = v;
		sv_build(s);
		ctx_push_view(ctx, &summary_view, s);
		return VIEW_USED | VIEW_DIRTY;
	}
	return VIEW_UNUSED;
}

static bool av_poll(void *state)
{
	struct aview *v = state;
	bool c = v->changed;

	v->changed = false;
	return c;
}

static void av_close(void *state)
{
	struct aview *v = state;

	av_stop(v);
	for (size_t i = 0; i < v->n; i++)
		arow_free(&v->rows[i]);
	free(v->rows);
	free(v->shown);
	for (size_t i = 0; i < v->ntypes; i++)
		free(v->types[i]);
	free(v->types);
	free(v->ip_filter);
	free(v->domain_filter);
	free(v->reporter_filter);
	util_words_free(v->boxes);
	buf_free(&v->in);
	free(v);
}

static const struct key_help av_keys[] = {
	{ "Enter", "the report in full: fields (unknown ones marked), human part, original, raw source" },
	{ "t", "show one feedback type only; again for the next type, then all" },
	{ "c", "the reports shown, counted by type; b there for source IP, /24, reporter, domain, day, auth-failure" },
	{ "i", "only reports from a source IP or CIDR (192.0.2.0/24, 2001:db8::/32)" },
	{ "d", "only reports about a domain (reported, or the sender's; subdomains too)" },
	{ "p", "only reports from a reporter or provider (part of the address or name)" },
	{ "D", "only reports dated in a range: YYYY-MM-DD[..YYYY-MM-DD] (UTC)" },
	{ "x", "clear the type, IP, domain, reporter and date filters" },
	{ NULL, NULL },
};

static const struct view arf_view = {
	.open = av_open,
	.columns = av_columns,
	.row_count = av_count,
	.row = av_row,
	.header = av_header,
	.key = av_key,
	.detail = av_detail,
	.poll = av_poll,
	.close = av_close,
	.keys = av_keys,
};

/* ---- the plugin ---- */

static const struct opt list_opts[] = {
	{ "--per-recipient", 0, NULL, "one row per complaining recipient" },
	{ "--all", 0, NULL, "also a row for each message that is not a report" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt summary_opts[] = {
	{ "--by", 0, "FIELD", "type (default), source-ip, net, reporter, domain, day or auth-failure" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "list", "[--per-recipient] [--all] [MAILBOX...]", "one row per feedback report", list_opts, 0, -1, cmd_list },
	{ "summary", "[--by FIELD] [MAILBOX...]", "reports counted by a field", summary_opts, 0, -1, cmd_summary },
	{ "complainers", "[MAILBOX...]", "the complaining addresses, for suppression lists", NULL, 0, -1,
	  cmd_complainers },
	{ "show", "N [MAILBOX...]", "message N (as in list) in full", NULL, 1, -1, cmd_show },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

static const char *const arf_formats[] = { "arfparse", NULL };

const struct plugin plugin_arf = {
	.name = "arf",
	.title = "ARF",
	.default_verb = "list",
	.summary = "read feedback-loop (ARF) reports from mailboxes",
	.commands = commands,
	.view = &arf_view,
	.formats = arf_formats,
};

/*
 * plugins/doctor.c: what is wrong, in one screen and in seconds: the
 * `doctor` verb and the Overview tab.
 *
 * A run starts every check at once in one loop under one deadline: the
 * network checks (cache servers, the callahead server, resolvers and
 * domains, DNSBL zones) as requests of the loop, the ones that may block
 * (the alias db, the mail log, the queue command, the ARF mailboxes) in
 * child processes whose rows come back through a pipe. When the deadline
 * fires, whatever has not answered is ended and says how far it got, so a
 * hanging server costs the deadline and no more. Each check adds rows:
 * check, target, status (OK, WARN, FAIL, UNKNOWN; SKIP when it is not
 * configured), the measured value, the detail, and what to do; a row may
 * name the tab that explains it, which Enter in the Overview opens.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"

enum dstatus { DS_OK, DS_WARN, DS_FAIL, DS_UNKNOWN, DS_SKIP };

static const char *const status_names[] = { "OK", "WARN", "FAIL", "UNKNOWN", "SKIP" };

/* The checks, in the order their rows are shown. */
enum { CK_ALIASES, CK_CACHE, CK_CALLAHEAD, CK_DNS, CK_LOG, CK_QUEUE, CK_DNSBL, CK_ARF, NCHECKS };

static const char *const check_names[NCHECKS] = { "aliases", "cache", "callahead", "dns",
						  "log",     "queue", "dnsbl",     "arf" };

/* Thresholds of the rows (docs/cli.md and docs/mailops.1, doctor). */
#define LOG_WARN 3        /* lost connections, timeouts or resets in the window */
#define LOG_FAIL 30
#define DEFER_WARN 10
#define DEFER_FAIL 100
#define TEMPREJ_WARN 10   /* 4xx answers to clients: our own trouble (DNS, milter) */
#define QUEUE_WARN 50
#define QUEUE_FAIL 1000
#define QUEUE_AGE_WARN (4 * 3600)
#define QUEUE_AGE_FAIL (3 * 86400)
#define CACHE_FILL_WARN 95
#define CACHE_SAMPLE 2000 /* schema entries whose values are read for the stale check */

struct drow {
	int check, order;
	size_t seq;
	enum dstatus status;
	char *target, *value, *detail, *advice;
	char *jump_tab, *jump_filter; /* the tab that explains it, or NULL */
};

struct drun;

/* One check of a run. */
struct chk {
	struct drun *r;
	int idx;
	bool running;
	int fd;                     /* in a child: where rows go; -1 in the parent */
	struct loop_child *child;
	struct buf in;              /* a child's rows, not parsed yet */
	void *state;                /* an async check's own */
	void (*abort)(struct chk *c); /* the deadline: report how far it got, free state */
};

/*
 * What the last run saw of each cache server, kept by whoever runs the
 * checks again (the Overview, --watch), so rates are of now, not
 * averages since memcached started.
 */
struct mc_seen {
	char *spec;
	long long time, evictions, hits, misses;
	long long own_hits, own_misses; /* our own reads after that stats */
};
struct dhist {
	struct mc_seen *s;
	size_t n;
};

static void dhist_free(struct dhist *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->s[i].spec);
	free(h->s);
	h->s = NULL;
	h->n = 0;
}

static struct mc_seen *dhist_get(struct dhist *h, const char *spec)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->s[i].spec, spec) == 0)
			return &h->s[i];
	h->s = xrealloc(h->s, (h->n + 1) * sizeof(*h->s));
	h->s[h->n] = (struct mc_seen){ .spec = xstrdup(spec), .time = -1 };
	return &h->s[h->n++];
}

struct drun {
	const struct config *cfg;
	struct dhist *hist;         /* the last run's cache stats, or NULL */
	struct loop *loop;
	int since;                  /* minutes of log */
	unsigned only;              /* bit per check; 0 = all */
	bool deep;                  /* also dump the cache's keys (light refreshes skip it) */
	int64_t t0, deadline_ms;
	int64_t started;            /* unix time */
	struct drow *rows;
	size_t n, cap, seq;
	struct chk chk[NCHECKS];
	int pending;
	struct loop_timer *deadline, *kick;
	bool done;
	void (*on_done)(void *arg);
	void (*on_row)(void *arg);
	void *arg;
	struct ares_channeldata *dns;
	char dnserr[256];
};

/* ---- rows ---- */

static char *vfmt(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vfmt(const char *fmt, va_list ap)
{
	struct buf b;
	buf_init(&b);
	buf_vaddf(&b, fmt, ap);
	return buf_take(&b);
}

static void row_free(struct drow *w)
{
	free(w->target);
	free(w->value);
	free(w->detail);
	free(w->advice);
	free(w->jump_tab);
	free(w->jump_filter);
}

static void run_add(struct drun *r, struct drow *w)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->rows = xrealloc(r->rows, r->cap * sizeof(*r->rows));
	}
	w->seq = r->seq++;
	r->rows[r->n++] = *w;
	if (r->on_row != NULL)
		r->on_row(r->arg);
}

/* A child's row on the pipe: fields joined by TAB, '\\', TAB and LF escaped. */
static void put_field(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_adds(b, "\\0");
		return;
	}
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_adds(b, "\\\\");
		else if (*s == '\t')
			buf_adds(b, "\\t");
		else if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

/* Appends a row of check c: in a child it goes down the pipe. */
static void emitv(struct chk *c, int order, enum dstatus st, const char *target, const char *value, const char *detail,
		  const char *advice, const char *tab, const char *filter)
{
	if (c->fd >= 0) {
		struct buf b;
		buf_init(&b);
		buf_addf(&b, "%d\t%d\t", order, (int)st);
		const char *f[] = { target, value, detail, advice, tab, filter };
		for (size_t i = 0; i < 6; i++) {
			put_field(&b, f[i]);
			buf_addc(&b, i == 5 ? '\n' : '\t');
		}
		child_write_all(c->fd, b.data, b.len);
		buf_free(&b);
		return;
	}
	struct drow w = {
		.check = c->idx,
		.order = order,
		.status = st,
		.target = xstrdup(target != NULL ? target : ""),
		.value = value != NULL ? xstrdup(value) : NULL,
		.detail = detail != NULL ? xstrdup(detail) : NULL,
		.advice = advice != NULL ? xstrdup(advice) : NULL,
		.jump_tab = tab != NULL ? xstrdup(tab) : NULL,
		.jump_filter = filter != NULL ? xstrdup(filter) : NULL,
	};
	run_add(c->r, &w);
}

/* A row whose value and detail are formatted ("" for none); advice plain. */
static void emit(struct chk *c, int order, enum dstatus st, const char *target, const char *advice, const char *tab,
		 const char *filter, const char *value_fmt, ...) __attribute__((format(printf, 8, 9)));
static void emit(struct chk *c, int order, enum dstatus st, const char *target, const char *advice, const char *tab,
		 const char *filter, const char *value_fmt, ...)
{
	va_list ap;
	va_start(ap, value_fmt);
	char *all = vfmt(value_fmt, ap);
	va_end(ap);
	/* value and detail are split at the first "|" */
	char *bar = strchr(all, '|');
	if (bar != NULL)
		*bar++ = '\0';
	emitv(c, order, st, target, all[0] != '\0' ? all : NULL, bar != NULL && bar[0] != '\0' ? bar : NULL, advice,
	      tab, filter);
	free(all);
}

static char *get_field(char **p)
{
	struct buf b;
	char *s = *p;

	buf_init(&b);
	if (s[0] == '\\' && s[1] == '0' && (s[2] == '\t' || s[2] == '\0')) {
		*p = s[2] == '\t' ? s + 3 : s + 2;
		return NULL;
	}
	for (; *s != '\0' && *s != '\t'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			buf_addc(&b, *s == 't' ? '\t' : *s == 'n' ? '\n' : *s);
		} else {
			buf_addc(&b, *s);
		}
	}
	*p = *s == '\t' ? s + 1 : s;
	return buf_take(&b);
}

static void child_rows(struct chk *c)
{
	size_t pos = 0;
	char *nl;

	if (c->in.len == 0)
		return;
	while ((nl = memchr(c->in.data + pos, '\n', c->in.len - pos)) != NULL) {
		*nl = '\0';
		char *p = c->in.data + pos;
		struct drow w = { .check = c->idx };
		char *end;
		w.order = (int)strtol(p, &end, 10);
		if (*end == '\t') {
			int st = (int)strtol(end + 1, &end, 10);
			w.status = st >= DS_OK && st <= DS_SKIP ? (enum dstatus)st : DS_UNKNOWN;
			if (*end == '\t') {
				p = end + 1;
				w.target = get_field(&p);
				if (w.target == NULL)
					w.target = xstrdup("");
				w.value = get_field(&p);
				w.detail = get_field(&p);
				w.advice = get_field(&p);
				w.jump_tab = get_field(&p);
				w.jump_filter = get_field(&p);
				run_add(c->r, &w);
			}
		}
		pos = (size_t)(nl - c->in.data) + 1;
	}
	if (pos > 0) {
		memmove(c->in.data, c->in.data + pos, c->in.len - pos);
		c->in.len -= pos;
		c->in.data[c->in.len] = '\0';
	}
}

/* ---- the run ---- */

static void run_finish(struct drun *r);

static void check_done(struct chk *c)
{
	if (!c->running)
		return;
	c->running = false;
	c->abort = NULL;
	if (--c->r->pending == 0)
		run_finish(c->r);
}

static int64_t remaining_ms(const struct drun *r)
{
	int64_t left = r->deadline_ms - (util_now_ms() - r->t0);
	return left < 1 ? 1 : left;
}

static int min_ms(int64_t a, int64_t b)
{
	int64_t m = a < b ? a : b;
	return m < 1 ? 1 : m > 86400000 ? 86400000 : (int)m;
}

static void human_age(int64_t s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, len, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(out, len, "%lldm", (long long)(s / 60));
	else if (s < 172800)
		snprintf(out, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(out, len, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

/* ---- checks in a child ---- */

static void child_data(void *arg, const char *p, size_t n)
{
	struct chk *c = arg;
	buf_add(&c->in, p, n);
	child_rows(c);
}

static void child_end(void *arg, int status)
{
	struct chk *c = arg;

	c->child = NULL;
	child_rows(c);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char why[96];
		if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
			snprintf(why, sizeof(why), "a file it read shrank meanwhile (a copytruncate rotation?): run it again");
		else if (status != -1 && WIFSIGNALED(status))
			snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
		else if (status != -1 && WIFEXITED(status))
			snprintf(why, sizeof(why), "exit %d", WEXITSTATUS(status));
		else
			snprintf(why, sizeof(why), "lost");
		emit(c, 99, DS_UNKNOWN, check_names[c->idx], "run it alone with -v: mailops doctor --only CHECK", NULL, NULL,
		     "the check failed|%s", why);
	}
	check_done(c);
}

static void child_abort(struct chk *c)
{
	loop_child_kill(c->child);
	c->child = NULL;
	child_rows(c);
	emit(c, 99, DS_UNKNOWN, check_names[c->idx],
	     "a check that reads files or runs a command took too long: run it alone", NULL,
	     NULL, "not finished within the deadline|%d s", (int)(c->r->deadline_ms / 1000));
}

static int child_trampoline(void *arg, int fd);

static void start_in_child(struct chk *c)
{
	char err[256];

	c->fd = -1;
	c->abort = child_abort;
	c->child = loop_child_start(c->r->loop, child_trampoline, c, child_data, child_end, c, err, sizeof(err));
	if (c->child == NULL) {
		emit(c, 0, DS_UNKNOWN, "", NULL, NULL, NULL, "could not start|%s", err);
		check_done(c);
	}
}

/* -- aliases -- */

static char *alias_db_path(const struct config *cfg)
{
	if (cfg->aliases.db != NULL && cfg->aliases.db[0] != '\0')
		return xstrdup(cfg->aliases.db);
	return aliasdb_discover("/etc/mail/sendmail.cf", "/etc/postfix/main.cf");
}

static char *alias_text_path(const struct config *cfg, const char *db)
{
	if (cfg->aliases.text != NULL && cfg->aliases.text[0] != '\0')
		return xstrdup(cfg->aliases.text);
	size_t n = strlen(db);
	if (n > 3 && strcmp(db + n - 3, ".db") == 0)
		return xstrndup(db, n - 3);
	return NULL;
}

static void check_aliases(struct chk *c)
{
	const struct config *cfg = c->r->cfg;
	char *db = alias_db_path(cfg);
	char *text = alias_text_path(cfg, db);
	struct alias_map m;
	char err[512];
	struct stat st;
	bool have_text = text != NULL && stat(text, &st) == 0;

	aliasmap_init(&m);
	int rc = aliasdb_snapshot(db, cfg->aliases.lock_wait_ms < 2000 ? cfg->aliases.lock_wait_ms : 2000, &m, err,
				  sizeof(err));
	if (rc == EXIT_NOINPUT && !have_text) {
		emit(c, 0, DS_SKIP, db, "set [aliases] db", "aliases", NULL, "no alias database|%s", err);
		goto done;
	}
	if (rc == EXIT_NOINPUT) {
		emit(c, 0, DS_FAIL, db, "build it: newaliases (sendmail) or postalias TEXT (Postfix)", "aliases", NULL,
		     "missing|%s; its text file %s exists", err, text);
		goto done;
	}
	if (rc == EXIT_TEMPFAIL) {
		emit(c, 0, DS_WARN, db, "a rebuild holds the lock: look again in a minute", "aliases", NULL, "locked|%s",
		     err);
		goto done;
	}
	if (rc != 0) {
		emit(c, 0, DS_FAIL, db, "rebuild it from the text file: newaliases (sendmail) or postalias (Postfix)",
		     "aliases", NULL, "unreadable|%s", err);
		goto done;
	}
	bool postfix = aliasmap_is_postfix(&m);
	size_t names = 0;
	for (size_t i = 0; i < m.n; i++)
		if (!aliasmap_is_meta(aliasmap_key(&m, &m.ents[i]), m.ents[i].klen))
			names++;
	if (!m.has_at)
		emit(c, 0, DS_WARN, db, "rebuild it: a build that was interrupted (or is running) leaves no @ record",
		     "aliases", NULL, "%zu aliases, no @ record|Berkeley DB %s; incomplete build", names, m.type);
	else
		emit(c, 0, DS_OK, db, NULL, "aliases", NULL, "%zu aliases|Berkeley DB %s, @ record present, %s keys", names,
		     m.type, postfix ? "Postfix (postalias)" : "sendmail (NUL-terminated)");
	if (!have_text)
		goto done;
	int64_t tm = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (tm <= m.mtime_ns) {
		emit(c, 1, DS_OK, text, NULL, "aliases", NULL, "db is newer|the db was built after the text's last change");
		goto done;
	}
	char age[32];
	human_age((tm - m.mtime_ns) / 1000000000, age, sizeof(age));
	struct alias_map t;
	aliasmap_init(&t);
	if (aliastext_load(text, postfix, &t, err, sizeof(err)) != 0) {
		emit(c, 1, DS_WARN, text, "run newaliases", "aliases", NULL, "changed %s after the db|%s", age, err);
		goto done;
	}
	size_t missing = 0;
	struct buf list;
	buf_init(&list);
	char *first = NULL;
	for (size_t i = 0; i < t.n; i++) {
		const struct alias_ent *e = &t.ents[i];
		const char *k = aliasmap_key(&t, e);
		if (aliasmap_lookup(&m, k, e->klen) != NULL)
			continue;
		if (missing < 5) {
			buf_adds(&list, missing ? ", " : "");
			buf_add(&list, k, e->klen);
			if (first == NULL)
				first = xstrndup(k, e->klen);
		}
		missing++;
	}
	if (missing > 0) {
		emit(c, 1, DS_FAIL, text,
		     "run newaliases (or postalias): mail to these names is rejected, and callaheads cache the rejection "
		     "(flush them with mailops cache del)",
		     "aliases", first, "%zu aliases not in the db|changed %s after the db was built; not in the db: %s%s",
		     missing, age, list.data, missing > 5 ? ", ..." : "");
	} else {
		emit(c, 1, DS_WARN, text, "run newaliases (or postalias) so the db says what the file says", "aliases",
		     NULL, "changed %s after the db|every name of the file is in the db; values may differ", age);
	}
	buf_free(&list);
	free(first);
	aliasmap_free(&t);
done:
	aliasmap_free(&m);
	free(db);
	free(text);
}

/* -- the mail log -- */

/* "a 8, b 3, c 1": the max most frequent keys of c into b; the first
 * one's key into first (when given). */
/* A key from a log line into b, a NUL as a space (the row's fields are C
 * strings: a NUL, common in logs after an unclean shutdown, would cut it). */
static void add_key(struct buf *b, const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_addc(b, k[i] != '\0' ? k[i] : ' ');
}

static void tally_top(const struct counter *c, size_t max, struct buf *b, struct buf *first)
{
	const struct count_slot **t = counter_sorted(c);

	for (size_t i = 0; i < c->n && i < max; i++) {
		if (i > 0)
			buf_adds(b, ", ");
		add_key(b, t[i]->key, t[i]->klen);
		buf_addf(b, " %zu", t[i]->n);
	}
	if (first != NULL && c->n > 0)
		add_key(first, t[0]->key, t[0]->klen);
	free(t);
}

struct logscan {
	int64_t now, from;
	int64_t last_when;  /* the last stamp seen: the time of unstamped lines after it */
	size_t lines;
	long long n[ML_BOUNCE + 1];
	long long tempreject, after_rcpt;
	struct counter clients[ML_BOUNCE + 1]; /* lost/timeout/reset: client; reject: reason; defer: domain */
	struct counter stages;                 /* lost: stage */
	struct counter reasons;                /* defer: reason */
};

static int log_line(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct logscan *s = arg;
	struct maillog_event ev;

	(void)lineno;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	bool hit = maillog_classify(line, len, s->now, &ev);
	if (ev.when >= 0)
		s->last_when = ev.when;
	else
		ev.when = s->last_when; /* a continuation, or a line of no MTA */
	if (ev.when >= 0 && ev.when < s->from)
		return 0;
	s->lines++;
	if (!hit || ev.kind <= ML_NONE || ev.kind > ML_BOUNCE)
		return 0;
	s->n[ev.kind]++;
	struct buf k;
	buf_init(&k);
	switch (ev.kind) {
	case ML_LOST:
	case ML_TIMEOUT:
	case ML_RESET:
		if (ev.client != NULL)
			buf_add(&k, ev.client, ev.client_len);
		if (ev.ip != NULL) {
			buf_adds(&k, k.len ? " [" : "[");
			buf_add(&k, ev.ip, ev.ip_len);
			buf_addc(&k, ']');
		}
		if (k.len == 0)
			buf_adds(&k, "unknown");
		if (ev.stage != NULL) {
			char st[32];
			size_t sl = ev.stage_len < sizeof(st) - 1 ? ev.stage_len : sizeof(st) - 1;
			for (size_t i = 0; i < sl; i++)
				st[i] = (char)(ev.stage[i] >= 'A' && ev.stage[i] <= 'Z' ? ev.stage[i] + 32 : ev.stage[i]);
			st[sl] = '\0';
			if (ev.kind == ML_LOST) {
				char key[48];
				snprintf(key, sizeof(key), "after %s", st);
				counter_add(&s->stages, key, strlen(key));
				if (strcmp(st, "rcpt") == 0)
					s->after_rcpt++;
			}
		}
		break;
	case ML_REJECT:
		if (ev.code >= 400 && ev.code < 500)
			s->tempreject++;
		if (ev.code > 0)
			buf_addf(&k, "%d ", ev.code);
		if (ev.reason != NULL)
			buf_add(&k, ev.reason, ev.reason_len < 80 ? ev.reason_len : 80);
		break;
	case ML_DEFER:
	case ML_BOUNCE:
		if (ev.domain != NULL) {
			for (size_t i = 0; i < ev.domain_len; i++) {
				char ch = ev.domain[i];
				buf_addc(&k, (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
			}
		} else {
			buf_adds(&k, "unknown");
		}
		if (ev.kind == ML_DEFER && ev.reason != NULL)
			counter_add(&s->reasons, ev.reason, ev.reason_len < 80 ? ev.reason_len : 80);
		break;
	default:
		break;
	}
	if (k.len > 0)
		counter_add(&s->clients[ev.kind], k.data, k.len);
	buf_free(&k);
	return 0;
}

static int log_scan_journal(struct logscan *s, int since, char *err, size_t errlen)
{
	char cmd[256];
	FILE *e = tmpfile(); /* its complaints (no permission), apart from the lines */
	if (e == NULL)
		return errf(err, errlen, EXIT_SOFTWARE, "tmpfile: %s", strerror(errno));
	snprintf(cmd, sizeof(cmd),
		 "journalctl --no-pager -q -o short-iso --since '-%dmin' SYSLOG_FACILITY=2 2>/dev/fd/%d", since,
		 fileno(e));
	FILE *f = popen(cmd, "r");
	if (f == NULL) {
		fclose(e);
		return errf(err, errlen, EXIT_UNAVAILABLE, "journalctl: %s", strerror(errno));
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t k;
	while ((k = getline(&line, &cap, f)) > 0)
		log_line(s, line, (size_t)k, 0);
	free(line);
	int st = pclose(f);
	char msg[300] = "";
	rewind(e);
	if (fgets(msg, sizeof(msg), e) != NULL)
		msg[strcspn(msg, "\n")] = '\0';
	fclose(e);
	if (st != 0)
		return errf(err, errlen, EXIT_UNAVAILABLE, "journalctl failed (exit %d)%s%s",
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1, msg[0] ? ": " : "", msg);
	if (s->lines == 0 && (strstr(msg, "permission") != NULL || strstr(msg, "No journal files") != NULL))
		return errf(err, errlen, EXIT_NOPERM, "journalctl: %s", msg);
	return 0;
}

static bool have_program(const char *name, char *path, size_t len)
{
	const char *dirs = getenv("PATH");
	char *copy = xstrdup(dirs != NULL ? dirs : "/usr/bin:/bin");
	char *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d != NULL && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/%s", d, name);
		found = access(path, X_OK) == 0;
	}
	free(copy);
	if (!found) {
		snprintf(path, len, "/usr/sbin/%s", name);
		found = access(path, X_OK) == 0;
	}
	return found;
}

static enum dstatus count_status(long long n, long long warn, long long fail)
{
	return n >= fail ? DS_FAIL : n >= warn ? DS_WARN : DS_OK;
}

static void check_log(struct chk *c)
{
	const struct config *cfg = c->r->cfg;
	struct logscan s;
	char err[512], src[600];
	int rc;

	memset(&s, 0, sizeof(s));
	s.now = (int64_t)time(NULL);
	s.from = s.now - (int64_t)c->r->since * 60;
	s.last_when = -1;
	const char *path = cfg->doctor.log != NULL && cfg->doctor.log[0] != '\0' ? cfg->doctor.log : NULL;
	struct stat st;
	if (path == NULL && stat("/var/log/mail.log", &st) == 0)
		path = "/var/log/mail.log";
	if (path != NULL) {
		snprintf(src, sizeof(src), "%s", path);
		rc = maillog_read_since(path, s.from, s.now, log_line, &s, err, sizeof(err));
	} else {
		char jc[512];
		if (!have_program("journalctl", jc, sizeof(jc))) {
			emit(c, 0, DS_SKIP, "/var/log/mail.log", "set [doctor] log", NULL, NULL,
			     "no mail log|no /var/log/mail.log and no journalctl");
			goto done;
		}
		snprintf(src, sizeof(src), "journal (mail facility)");
		rc = log_scan_journal(&s, c->r->since, err, sizeof(err));
	}
	if (rc != 0) {
		emit(c, 0, DS_UNKNOWN, src,
		     rc == EXIT_NOPERM ? "run as a member of the group that may read the log (adm on Debian)" : "set [doctor] log",
		     NULL, NULL, "unreadable|%s", err);
		goto done;
	}
	emit(c, 0, DS_OK, src, NULL, NULL, NULL, "%zu lines in %d min|lost %lld, timeouts %lld, resets %lld, rejections %lld, deferrals %lld, bounces %lld",
	     s.lines, c->r->since, s.n[ML_LOST], s.n[ML_TIMEOUT], s.n[ML_RESET], s.n[ML_REJECT], s.n[ML_DEFER],
	     s.n[ML_BOUNCE]);
	static const struct {
		int kind;
		const char *what, *advice;
	} conn[] = {
		{ ML_LOST, "lost connections",
		  "clients hang up while we answer; after RCPT that is recipient verification too slow for them: "
		  "look at the dns and callahead rows (slow DNS for one domain makes whole sessions time out)" },
		{ ML_TIMEOUT, "timeouts", "clients or servers stop answering: look at the dns rows and at the network" },
		{ ML_RESET, "resets", "connections reset: a firewall, a load balancer or an overloaded peer" },
	};
	for (size_t i = 0; i < sizeof(conn) / sizeof(conn[0]); i++) {
		int k = conn[i].kind;
		struct buf top, st2;
		buf_init(&top);
		buf_init(&st2);
		tally_top(&s.clients[k], 3, &top, NULL);
		if (k == ML_LOST)
			tally_top(&s.stages, 3, &st2, NULL);
		enum dstatus ds = count_status(s.n[k], LOG_WARN, LOG_FAIL);
		emit(c, 1 + (int)i, ds, conn[i].what, ds == DS_OK ? NULL : conn[i].advice, NULL, NULL, "%lld|%s%s%s%s",
		     s.n[k], st2.len ? st2.data : "", st2.len && top.len ? "; " : "", top.len ? "top: " : "",
		     top.data != NULL ? top.data : "");
		buf_free(&top);
		buf_free(&st2);
	}
	{
		struct buf top;
		buf_init(&top);
		tally_top(&s.clients[ML_REJECT], 3, &top, NULL);
		enum dstatus ds = s.tempreject >= TEMPREJ_WARN ? DS_WARN : DS_OK;
		emit(c, 4, ds, "rejections",
		     ds == DS_OK ? NULL
				 : "4xx answers are our own trouble (DNS of senders' domains, a milter, a full disk): read "
				   "the top reasons",
		     NULL, NULL, "%lld (4xx %lld)|%s%s", s.n[ML_REJECT], s.tempreject, top.len ? "top: " : "",
		     top.data != NULL ? top.data : "");
		buf_free(&top);
	}
	{
		struct buf top, why;
		buf_init(&top);
		buf_init(&why);
		tally_top(&s.clients[ML_DEFER], 3, &top, NULL);
		tally_top(&s.reasons, 1, &why, NULL);
		enum dstatus ds = count_status(s.n[ML_DEFER], DEFER_WARN, DEFER_FAIL);
		emit(c, 5, ds, "deferrals", ds == DS_OK ? NULL : "read the reason; `mailops doctor --only queue` shows what waits",
		     NULL, NULL, "%lld (bounced %lld)|%s%s%s%s", s.n[ML_DEFER], s.n[ML_BOUNCE], top.len ? "top: " : "",
		     top.data != NULL ? top.data : "", why.len ? "; most said: " : "", why.data != NULL ? why.data : "");
		buf_free(&top);
		buf_free(&why);
	}
done:
	for (int i = 0; i <= ML_BOUNCE; i++)
		counter_free(&s.clients[i]);
	counter_free(&s.stages);
	counter_free(&s.reasons);
}

/* -- the queue -- */

/* Runs prog with one argument (or none): its standard output into out,
 * its standard error (warnings Postfix prints beside the JSON) apart into
 * errs. The wait status, or -1. */
static int run_capture(const char *prog, const char *arg, struct buf *out, struct buf *errs)
{
	char cmd[700];
	FILE *e = tmpfile();
	if (e == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s'%s%s 2>/dev/fd/%d", prog, arg != NULL ? " " : "", arg != NULL ? arg : "",
		 fileno(e));
	FILE *f = popen(cmd, "r");
	if (f == NULL) {
		fclose(e);
		return -1;
	}
	char b[65536];
	size_t k;
	while ((k = fread(b, 1, sizeof(b), f)) > 0)
		buf_add(out, b, k);
	int st = pclose(f);
	rewind(e);
	while ((k = fread(b, 1, sizeof(b), e)) > 0)
		buf_add(errs, b, k);
	fclose(e);
	return st;
}

static void check_queue(struct chk *c)
{
	char prog[512], err[512];
	struct buf out, errs;
	struct mailq_summary q;
	int rc, st;
	const char *what;

	memset(&q, 0, sizeof(q));
	buf_init(&out);
	buf_init(&errs);
	if (have_program("postqueue", prog, sizeof(prog))) {
		what = "postqueue -j";
		st = run_capture(prog, "-j", &out, &errs);
		if (st != 0) {
			const struct buf *why = errs.len > 0 ? &errs : &out;
			emit(c, 0, DS_FAIL, what, "the queue cannot be read: is Postfix running? (postfix status)", NULL,
			     NULL, "failed (exit %d)|%.*s", st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1,
			     (int)(why->len > 300 ? 300 : why->len), why->data != NULL ? why->data : "");
			goto done;
		}
		rc = mailq_parse_json(out.data != NULL ? out.data : "", out.len, &q, err, sizeof(err));
	} else if (have_program("mailq", prog, sizeof(prog))) {
		what = "mailq";
		st = run_capture(prog, NULL, &out, &errs);
		rc = mailq_parse_text(out.data != NULL ? out.data : "", out.len, (int64_t)time(NULL), &q, err,
				      sizeof(err));
		if (rc != 0 && st != 0) {
			const struct buf *why = errs.len > 0 ? &errs : &out;
			emit(c, 0, DS_FAIL, what, "the queue cannot be read", NULL, NULL, "failed (exit %d)|%.*s",
			     st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, (int)(why->len > 300 ? 300 : why->len),
			     why->data != NULL ? why->data : "");
			goto done;
		}
	} else {
		emit(c, 0, DS_SKIP, "queue", "put postqueue or mailq in PATH", NULL, NULL,
		     "no queue command|neither postqueue nor mailq found");
		goto done;
	}
	if (rc != 0) {
		emit(c, 0, DS_UNKNOWN, what, NULL, NULL, NULL, "unreadable output|%s", err);
		goto done;
	}
	int64_t age = q.oldest >= 0 ? (int64_t)time(NULL) - q.oldest : 0;
	char agetxt[32];
	human_age(age, agetxt, sizeof(agetxt));
	enum dstatus ds = DS_OK;
	if (q.deferred >= QUEUE_FAIL || (q.total > 0 && age >= QUEUE_AGE_FAIL))
		ds = DS_FAIL;
	else if (q.deferred >= QUEUE_WARN || (q.total > 0 && age >= QUEUE_AGE_WARN))
		ds = DS_WARN;
	struct buf d;
	buf_init(&d);
	buf_addf(&d, "active %zu, deferred %zu, hold %zu", q.active, q.deferred, q.hold);
	for (size_t i = 0; i < q.ndomains && i < 3; i++)
		buf_addf(&d, "%s%s %zu", i == 0 ? "; deferred for: " : ", ", q.domains[i].domain, q.domains[i].n);
	if (q.top_reason != NULL)
		buf_addf(&d, "; most said: %.200s", q.top_reason);
	if (q.total == 0)
		emit(c, 0, ds, what, NULL, NULL, NULL, "empty|%s", d.data);
	else
		emit(c, 0, ds, what,
		     ds == DS_OK ? NULL : "read the delay reason; a destination that is down keeps mail until its queue lifetime",
		     NULL, NULL, "%zu message%s, oldest %s|%s", q.total, q.total == 1 ? "" : "s", agetxt, d.data);
	buf_free(&d);
done:
	mailq_summary_free(&q);
	buf_free(&out);
	buf_free(&errs);
}

/* -- ARF reports of the last day -- */

struct arfscan {
	const struct fb_reporters *rep;
	int64_t from;
	size_t messages, reports, abuse;
	struct counter types, reporters, ips;
};

static int arf_msg(void *arg, const struct mbox_msg *m)
{
	struct arfscan *a = arg;
	struct fb_message fm;

	a->messages++;
	if (m->data == NULL)
		return 0;
	memset(&fm, 0, sizeof(fm));
	if (feedback_parse_opts(m->data, m->len, a->rep, 0, &fm) == 0) {
		for (size_t i = 0; i < fm.n; i++) {
			const struct fb_report *r = &fm.reports[i];
			int64_t when = r->arrival >= 0 ? r->arrival : fm.date;
			if (when < a->from)
				continue;
			a->reports++;
			const char *t = r->feedback_type != NULL && r->feedback_type[0] ? r->feedback_type : "unknown";
			if (strcmp(t, "abuse") == 0 || strcmp(t, "fraud") == 0 || strcmp(t, "virus") == 0)
				a->abuse++;
			counter_add(&a->types, t, strlen(t));
			const char *who = fm.provider != NULL ? fm.provider : fm.reporter != NULL ? fm.reporter : "unknown";
			counter_add(&a->reporters, who, strlen(who));
			if (r->source_ip != NULL && r->source_ip[0] != '\0')
				counter_add(&a->ips, r->source_ip, strlen(r->source_ip));
		}
	}
	feedback_free(&fm);
	return 0;
}

static void check_arf(struct chk *c)
{
	const struct config *cfg = c->r->cfg;
	char **boxes = NULL;
	size_t nb = util_words(cfg->arf.mailboxes, &boxes);
	char err[512];
	struct arfscan a;

	memset(&a, 0, sizeof(a));
	if (nb == 0) {
		emit(c, 0, DS_SKIP, "mailboxes", "set [arf] mailboxes", "arf", NULL,
		     "not configured|[arf] mailboxes is empty");
		goto done;
	}
	struct fb_reporters *rep = fb_reporters_load(cfg->arf.reporters, err, sizeof(err));
	a.rep = rep;
	a.from = (int64_t)time(NULL) - 86400;
	mime_init();
	int rc = mailbox_read((const char *const *)boxes, nb, NULL, arf_msg, &a, err, sizeof(err));
	fb_reporters_free(rep);
	struct buf target;
	buf_init(&target);
	for (size_t i = 0; i < nb; i++)
		buf_addf(&target, "%s%s", i ? " " : "", boxes[i]);
	if (rc != 0) {
		emit(c, 0, DS_UNKNOWN, target.data, "check [arf] mailboxes", "arf", NULL, "unreadable|%s", err);
		buf_free(&target);
		goto done;
	}
	struct buf types, reps, ips, topip;
	buf_init(&types);
	buf_init(&reps);
	buf_init(&ips);
	buf_init(&topip);
	tally_top(&a.types, 5, &types, NULL);
	tally_top(&a.reporters, 3, &reps, NULL);
	tally_top(&a.ips, 3, &ips, &topip);
	emit(c, 0, a.abuse > 0 ? DS_WARN : DS_OK, target.data,
	     a.abuse > 0 ? "complaints about mail from us: look at the source IPs and who sent it; "
			   "`mailops arf complainers` gives the suppression list"
			 : NULL,
	     "arf", topip.len ? topip.data : NULL, "%zu report%s in 24 h|%s%s%s%s%s%s%s%zu messages read", a.reports, a.reports == 1 ? "" : "s",
	     types.len ? "types: " : "", types.data != NULL ? types.data : "", reps.len ? "; reporters: " : "",
	     reps.data != NULL ? reps.data : "", ips.len ? "; top sources: " : "", ips.data != NULL ? ips.data : "",
	     types.len || reps.len || ips.len ? "; " : "", a.messages);
	buf_free(&types);
	buf_free(&reps);
	buf_free(&ips);
	buf_free(&topip);
	buf_free(&target);
done:
	util_words_free(boxes);
	counter_free(&a.types);
	counter_free(&a.reporters);
	counter_free(&a.ips);
}

static int child_trampoline(void *arg, int fd)
{
	struct chk *c = arg;

	c->fd = fd;
	switch (c->idx) {
	case CK_ALIASES:
		check_aliases(c);
		break;
	case CK_LOG:
		check_log(c);
		break;
	case CK_QUEUE:
		check_queue(c);
		break;
	case CK_ARF:
		check_arf(c);
		break;
	default:
		break;
	}
	close(fd);
	return 0;
}

/* ---- checks in the loop ---- */

/* -- cache -- */

struct csrv {
	struct ccheck *cc;
	size_t i;
	struct mc_conn *cmd, *dump;
	bool answered, down;
	char why[256];
	int64_t t0, ms;
	long long items, bytes, limit, hits, misses, evictions, uptime, time;
	long long own_hits, own_misses; /* the gets of the stale check itself */
	bool dumped, dump_failed;       /* its key dump: ended, or refused/failed */
	char dump_why[200];
	char version[64];
};

struct ccheck {
	struct chk *c;
	struct mc_pool pool;
	struct csrv *srv;
	int pending;
	/* the prefix: keys seen in the dumps, and a sample of recipient entries read */
	size_t keys, rkeys, dkeys, asked, sampled, stale, invalid;
	char *pfx;         /* namespace + prefix, as on the wire */
};

static void cc_free(struct ccheck *cc)
{
	for (size_t i = 0; i < cc->pool.n; i++) {
		mc_conn_free(cc->srv[i].cmd);
		mc_conn_free(cc->srv[i].dump);
	}
	free(cc->srv);
	mc_pool_free(&cc->pool);
	free(cc->pfx);
	free(cc);
}

static void cc_report(struct ccheck *cc, bool cut)
{
	struct chk *c = cc->c;
	const struct config *cfg = c->r->cfg;
	size_t up = 0;

	for (size_t i = 0; i < cc->pool.n; i++) {
		struct csrv *v = &cc->srv[i];
		const char *name = cc->pool.servers[i].spec;
		if (!v->answered) {
			emit(c, (int)i, DS_FAIL, name, "memcached does not answer in time: is it overloaded or swapping?",
			     "cache", NULL, "no answer|nothing within the deadline");
			continue;
		}
		if (v->down) {
			emit(c, (int)i, DS_FAIL, name,
			     "start memcached; meanwhile the filter's keys go to the other servers (Cache::Memcached "
			     "rehashes) and every recipient is verified again",
			     "cache", NULL, "down|%s", v->why);
			continue;
		}
		up++;
		double fill = v->limit > 0 ? 100.0 * (double)v->bytes / (double)v->limit : 0;
		double hit = v->hits + v->misses > 0 ? 100.0 * (double)v->hits / (double)(v->hits + v->misses) : 0;
		double evh = v->uptime > 0 ? (double)v->evictions * 3600.0 / (double)v->uptime : 0;
		/* since the last run, when there was one (the tab, --watch) */
		char now_rate[96] = "";
		bool evicting = v->evictions > 0;
		if (c->r->hist != NULL && v->time > 0) {
			struct mc_seen *p = dhist_get(c->r->hist, name);
			long long dt = v->time - p->time;
			if (p->time > 0 && dt > 0 && v->evictions >= p->evictions) {
				/* less the reads the last run made itself */
				long long dh = v->hits - p->hits - p->own_hits, dm = v->misses - p->misses - p->own_misses;
				double ev = (double)(v->evictions - p->evictions) / (double)dt;
				evicting = v->evictions > p->evictions;
				if (dh + dm > 0 && dh >= 0 && dm >= 0)
					snprintf(now_rate, sizeof(now_rate), "; last %llds: %.1f evictions/s, hit %.0f%%", dt,
						 ev, 100.0 * (double)dh / (double)(dh + dm));
				else
					snprintf(now_rate, sizeof(now_rate), "; last %llds: %.1f evictions/s, no gets", dt,
						 ev);
			}
			p->time = v->time;
			p->evictions = v->evictions;
			p->hits = v->hits;
			p->misses = v->misses;
			p->own_hits = v->own_hits;
			p->own_misses = v->own_misses;
		}
		enum dstatus ds = DS_OK;
		const char *advice = NULL;
		if (fill >= CACHE_FILL_WARN && evicting) {
			ds = DS_WARN;
			advice = "memcached is full and evicts entries: give it more memory (-m)";
		} else if (v->ms > cfg->doctor.slow_ms) {
			ds = DS_WARN;
			advice = "memcached answers slowly: is the host overloaded or swapping?";
		}
		char upt[32], hits[32];
		human_age(v->uptime, upt, sizeof(upt));
		if (v->hits + v->misses > 0)
			snprintf(hits, sizeof(hits), "hit %.0f%%", hit);
		else
			snprintf(hits, sizeof(hits), "no gets yet");
		emit(c, (int)i, ds, name, advice, "cache", NULL,
		     "up %lld ms, fill %.0f%%, %s|memcached %s, up %s, %lld items, %lld evictions (%.1f/h)%s",
		     (long long)v->ms, fill, hits, v->version, upt, v->items, v->evictions, evh, now_rate);
	}
	if (up == 0 || !c->r->deep)
		return;
	const char *pfx = cfg->cache.prefix != NULL ? cfg->cache.prefix : "";
	char filter[300];
	snprintf(filter, sizeof(filter), "%sr:", pfx);
	/* which servers' keys were counted */
	size_t asked = 0, counted = 0;
	struct buf notc;
	buf_init(&notc);
	for (size_t i = 0; i < cc->pool.n; i++) {
		struct csrv *v = &cc->srv[i];
		if (!v->answered || v->down)
			continue;
		asked++;
		if (v->dumped && !v->dump_failed)
			counted++;
		else
			buf_addf(&notc, "%s%s: %s", notc.len ? "; " : "", cc->pool.servers[i].spec,
				 v->dump_failed ? v->dump_why : "the dump did not end within the deadline");
	}
	if (counted == 0) {
		emit(c, 100, DS_UNKNOWN, pfx,
		     "the keys could not be listed: is lru_crawler on (memcached -o lru_crawler), metadump allowed "
		     "(no -X)? mailops cache stats checks the settings",
		     "cache", pfx, "not counted|%s", notc.data != NULL ? notc.data : "");
		buf_free(&notc);
		return;
	}
	char part[600] = "";
	if (counted < asked)
		snprintf(part, sizeof(part), " (counted on %zu of %zu servers; not on %s)", counted, asked, notc.data);
	buf_free(&notc);
	if (cc->keys == 0) {
		emit(c, 100, counted < asked ? DS_UNKNOWN : DS_WARN, pfx,
		     "the filter writes nothing under this prefix: compare [cache] prefix and namespace with the filter's",
		     "cache", pfx, "no entries|%s%s", cut ? "(counted until the deadline)" : "", part);
		return;
	}
	emit(c, 100, DS_OK, pfx, NULL, "cache", pfx, "%zu entries|recipients %zu, domains %zu%s%s", cc->keys, cc->rkeys,
	     cc->dkeys, cut ? " (counted until the deadline)" : "", part);
	if (cc->stale > 0) {
		char cmd[700];
		snprintf(cmd, sizeof(cmd),
			 "these should have expired: the filter writes invalid entries with a TTL longer than [callahead] "
			 "invalid_ttl; review them in the Cache tab, or flush: mailops cache flush --prefix %s --yes",
			 filter);
		emit(c, 101, DS_WARN, filter, cmd, "cache", filter,
		     "%zu invalid entries older than their TTL|of %zu recipient entries read (%zu invalid); TTL %ld s",
		     cc->stale, cc->sampled, cc->invalid, cfg->callahead.invalid_ttl);
	} else {
		emit(c, 101, DS_OK, filter, NULL, "cache", filter,
		     "no stale invalid entries|of %zu recipient entries read (%zu invalid)", cc->sampled, cc->invalid);
	}
}

static void cc_abort(struct chk *c)
{
	struct ccheck *cc = c->state;
	cc_report(cc, true);
	cc_free(cc);
	c->state = NULL;
}

static void cc_step_done(struct ccheck *cc)
{
	if (--cc->pending > 0)
		return;
	struct chk *c = cc->c;
	cc_report(cc, false);
	cc_free(cc);
	c->state = NULL;
	check_done(c);
}

static void cc_stat(void *arg, const char *n, size_t nl, const char *val, size_t vl)
{
	struct csrv *v = arg;
	char name[64];
	char value[64];

	if (nl >= sizeof(name) || vl >= sizeof(value))
		return;
	memcpy(name, n, nl);
	name[nl] = '\0';
	memcpy(value, val, vl);
	value[vl] = '\0';
	long long x = strtoll(value, NULL, 10);
	if (strcmp(name, "curr_items") == 0)
		v->items = x;
	else if (strcmp(name, "bytes") == 0)
		v->bytes = x;
	else if (strcmp(name, "limit_maxbytes") == 0)
		v->limit = x;
	else if (strcmp(name, "get_hits") == 0)
		v->hits = x;
	else if (strcmp(name, "get_misses") == 0)
		v->misses = x;
	else if (strcmp(name, "evictions") == 0)
		v->evictions = x;
	else if (strcmp(name, "uptime") == 0)
		v->uptime = x;
	else if (strcmp(name, "time") == 0)
		v->time = x;
	else if (strcmp(name, "version") == 0)
		snprintf(v->version, sizeof(v->version), "%s", value);
}

static void cc_value(void *arg, const struct mc_mg *g)
{
	struct csrv *v = arg;
	struct ccheck *cc = v->cc;
	struct mc_schema sc;

	if (g->hit)
		v->own_hits++;
	else
		v->own_misses++;
	if (!g->hit || g->value == NULL || !mc_schema_parse(g->value, g->vlen, &sc))
		return;
	cc->sampled++;
	if (strcmp(sc.state, "invalid") != 0)
		return;
	cc->invalid++;
	int64_t now = v->time > 0 ? v->time : (int64_t)time(NULL);
	if (sc.when > 0 && now - sc.when > cc->c->r->cfg->callahead.invalid_ttl)
		cc->stale++;
}

static void cc_value_done(void *arg, int status, const char *why)
{
	struct csrv *v = arg;
	(void)status;
	(void)why;
	cc_step_done(v->cc);
}

static void cc_item(void *arg, const struct mc_meta *m)
{
	struct csrv *v = arg;
	struct ccheck *cc = v->cc;
	size_t pl = strlen(cc->pfx);

	if (m->klen < pl || memcmp(m->key, cc->pfx, pl) != 0)
		return;
	cc->keys++;
	const char *rest = m->key + pl;
	size_t rl = m->klen - pl;
	if (rl >= 2 && rest[1] == ':' && rest[0] == 'd')
		cc->dkeys++;
	if (rl >= 2 && rest[1] == ':' && (rest[0] == 'r' || rest[0] == 'h')) {
		cc->rkeys++;
		if (cc->asked < CACHE_SAMPLE && mc_key_ok(m->key, m->klen)) {
			cc->asked++;
			cc->pending++;
			mc_mget(v->cmd, m->key, m->klen, "v t u", cc_value, cc_value_done, v);
		}
	}
}

static void cc_dump_done(void *arg, int status, const char *why)
{
	struct csrv *v = arg;

	v->dumped = true;
	if (status != MC_OK) {
		v->dump_failed = true;
		snprintf(v->dump_why, sizeof(v->dump_why), "%s", why != NULL ? why : "failed");
	}
	cc_step_done(v->cc);
}

static void cc_stats_done(void *arg, int status, const char *why)
{
	struct csrv *v = arg;
	struct ccheck *cc = v->cc;

	v->answered = true;
	v->ms = util_now_ms() - v->t0;
	if (status != MC_OK && status != MC_REFUSED) {
		v->down = true;
		snprintf(v->why, sizeof(v->why), "%s", why != NULL ? why : "no answer");
	} else if (cc->c->r->deep) {
		/* Count the prefix's keys: the server's own listing. */
		struct drun *r = cc->c->r;
		v->dump = mc_conn_new(r->loop, &cc->pool.servers[v->i], min_ms(remaining_ms(r), 5000),
				      min_ms(remaining_ms(r), 5000), r->dns);
		cc->pending++;
		mc_metadump(v->dump, cc_item, cc_dump_done, v);
	}
	cc_step_done(cc);
}

static void start_cache(struct chk *c)
{
	struct drun *r = c->r;
	const struct config *cfg = r->cfg;
	struct ccheck *cc = xcalloc(1, sizeof(*cc));
	char err[512];

	cc->c = c;
	if (mc_pool_init(&cc->pool, cfg->cache.servers, cfg->cache.hash, cfg->cache.ketama_points,
			 cfg->cache.namespace_, err, sizeof(err)) != 0) {
		emit(c, 0, DS_UNKNOWN, cfg->cache.servers, "fix [cache] servers", "cache", NULL, "bad config|%s", err);
		free(cc);
		check_done(c);
		return;
	}
	cc->pfx = xasprintf("%s%s", cfg->cache.namespace_ != NULL ? cfg->cache.namespace_ : "",
			    cfg->cache.prefix != NULL ? cfg->cache.prefix : "");
	cc->srv = xcalloc(cc->pool.n, sizeof(*cc->srv));
	c->state = cc;
	c->abort = cc_abort;
	cc->pending = 1; /* held until every stats request is out */
	for (size_t i = 0; i < cc->pool.n; i++) {
		struct csrv *v = &cc->srv[i];
		v->cc = cc;
		v->i = i;
		v->t0 = util_now_ms();
		v->cmd = mc_conn_new(r->loop, &cc->pool.servers[i], min_ms(remaining_ms(r), cfg->cache.connect_timeout_ms),
				     min_ms(remaining_ms(r), cfg->cache.read_timeout_ms), r->dns);
		cc->pending++;
		mc_stats(v->cmd, "", cc_stat, cc_stats_done, v);
	}
	cc_step_done(cc);
}

/* -- callahead: the server the filter asks, and a probe of probe_address -- */

struct pcheck {
	struct chk *c;
	char *addr;     /* the probe address */
	char *server;   /* as configured, or the domain whose MX is used */
	char target[400];
	struct dns_query *q;
	struct smtp_sess *s;
	bool answered;
	enum ca_state state;
	int code;
	char text[300];
	int64_t ms;
};

static void pc_free(struct pcheck *p)
{
	if (p->q != NULL)
		dns_cancel(p->q);
	if (p->s != NULL)
		smtp_sess_abort(p->s);
	free(p->addr);
	free(p->server);
	free(p);
}

static void one_line(const char *s, size_t len, char *out, size_t outlen)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 1 < outlen; i++)
		out[k++] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
	out[k] = '\0';
}

static void pc_probe_row(struct pcheck *p)
{
	struct chk *c = p->c;
	if (!p->answered)
		return;
	enum dstatus ds = p->state == CA_VALID || p->state == CA_ACCEPT_ALL ? DS_OK
			  : p->state == CA_INVALID || p->state == CA_NO_DOMAIN || p->state == CA_NO_MAIL ? DS_FAIL
													   : DS_WARN;
	emit(c, 1, ds, p->addr,
	     ds == DS_OK	 ? NULL
	     : ds == DS_FAIL ? "the server rejects an address that must exist: every callahead to it says invalid; "
			       "check its recipient maps (and the alias db)"
			     : "the server does not give a definitive answer: callaheads to it tempfail",
	     "callahead", p->addr, "%s %d in %lld ms|%s", ca_state_name(p->state), p->code, (long long)p->ms, p->text);
}

static void pc_answer(void *arg, void *tag, const struct smtp_answer *a)
{
	struct pcheck *p = arg;
	(void)tag;
	p->answered = true;
	p->state = a->state;
	p->code = a->code;
	p->ms = a->ms;
	one_line(a->text != NULL ? a->text : "", a->textlen, p->text, sizeof(p->text));
}

static void pc_left(void *arg, void *tag)
{
	(void)arg;
	(void)tag;
}

static void pc_end(void *arg, const struct smtp_end *e)
{
	struct pcheck *p = arg;
	struct chk *c = p->c;
	char banner[300] = "", t[80];
	const int slow = c->r->cfg->doctor.slow_ms;

	p->s = NULL; /* freed by smtp.c after this returns */
	if (e->banner != NULL)
		one_line(e->banner, e->banner_len, banner, sizeof(banner));
	struct buf v;
	buf_init(&v);
	if (e->connect_ms >= 0)
		buf_addf(&v, "connect %lld ms", (long long)e->connect_ms);
	if (e->banner_ms >= 0)
		buf_addf(&v, ", banner %lld ms", (long long)e->banner_ms);
	if (e->ehlo_ms >= 0)
		buf_addf(&v, ", EHLO %lld ms", (long long)e->ehlo_ms);
	snprintf(t, sizeof(t), "%s", v.len ? v.data : "no connection");
	if (e->failed && !p->answered) {
		emit(c, 0, DS_FAIL, p->target,
		     e->refused ? "the server refuses our probes: callaheads to it cannot verify anything"
				: "the server does not answer: callaheads to it tempfail and the filter defers mail",
		     "callahead", p->addr, "%s|%s%s%s", t, e->why != NULL ? e->why : "failed", banner[0] ? "; banner: " : "",
		     banner);
	} else {
		bool slowpoke = e->banner_ms > slow || (e->connect_ms > slow);
		emit(c, 0, slowpoke ? DS_WARN : DS_OK, p->target,
		     slowpoke ? "the server is slow to greet: callaheads wait for it, and clients may hang up" : NULL,
		     "callahead", p->addr, "%s|banner: %s; EHLO: %s", t, banner, e->ehlo != NULL ? e->ehlo : "-");
	}
	pc_probe_row(p);
	free(v.data);
	pc_free(p);
	c->state = NULL;
	check_done(c);
}

static void pc_abort(struct chk *c)
{
	struct pcheck *p = c->state;
	char t[300] = "", banner[300] = "";

	if (p->s != NULL) {
		struct smtp_progress g;
		smtp_sess_progress(p->s, &g);
		if (g.banner != NULL)
			one_line(g.banner, g.banner_len, banner, sizeof(banner));
		struct buf v;
		buf_init(&v);
		if (g.connect_ms >= 0)
			buf_addf(&v, "connect %lld ms", (long long)g.connect_ms);
		if (g.banner_ms >= 0)
			buf_addf(&v, ", banner %lld ms", (long long)g.banner_ms);
		if (g.ehlo_ms >= 0)
			buf_addf(&v, ", EHLO %lld ms", (long long)g.ehlo_ms);
		snprintf(t, sizeof(t), "%s", v.len ? v.data : "no connection");
		emit(c, 0, DS_FAIL, p->target,
		     "the server hangs: callaheads to it wait their whole timeout and clients give up (lost connections "
		     "after RCPT)",
		     "callahead", p->addr, "%s, then no reply|waiting for the %s%s for %lld ms%s%s", t, g.waiting,
		     strcmp(g.waiting, "TLS handshake") == 0 || strcmp(g.waiting, "next command") == 0 ||
				     strcmp(g.waiting, "connect") == 0
			     ? ""
			     : " reply",
		     (long long)(g.ms - (g.ehlo_ms >= 0 ? g.ehlo_ms : g.banner_ms >= 0 ? g.banner_ms : 0)),
		     banner[0] ? "; banner: " : "", banner);
		buf_free(&v);
		pc_probe_row(p);
	} else {
		emit(c, 0, DS_FAIL, p->target, "the server's name does not resolve in time: look at the dns rows",
		     "callahead", p->addr, "no address|DNS did not answer within the deadline");
	}
	pc_free(p);
	c->state = NULL;
}

static void pc_resolved(void *arg, const struct dns_mx_result *res)
{
	struct pcheck *p = arg;
	struct chk *c = p->c;
	struct drun *r = c->r;
	const struct config *cfg = r->cfg;

	p->q = NULL;
	if (res->status != DNS_OK || res->n == 0) {
		emit(c, 0, DS_FAIL, p->server, "check the name in [callahead] server (or the domain's MX)", "callahead",
		     p->addr, "no address|%s", res->why[0] ? res->why : "not found");
		pc_free(p);
		c->state = NULL;
		check_done(c);
		return;
	}
	const struct dns_target *t = &res->targets[0];
	char port[16];
	int pn = ntohs(t->sa.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&t->sa)->sin6_port
						   : ((const struct sockaddr_in *)&t->sa)->sin_port);
	snprintf(port, sizeof(port), "%d", pn);
	if (strcmp(t->host, t->ip) == 0)
		snprintf(p->target, sizeof(p->target), "[%s]:%s", t->ip, port);
	else
		snprintf(p->target, sizeof(p->target), "%s [%s]:%s", t->host, t->ip, port);
	char helo[256];
	if (cfg->callahead.helo != NULL && cfg->callahead.helo[0] != '\0')
		snprintf(helo, sizeof(helo), "%s", cfg->callahead.helo);
	else if (gethostname(helo, sizeof(helo)) != 0)
		snprintf(helo, sizeof(helo), "localhost");
	const char *from = cfg->callahead.from != NULL ? cfg->callahead.from : "";
	char fromb[512];
	size_t fl = strlen(from);
	if (fl >= 2 && from[0] == '<' && from[fl - 1] == '>')
		snprintf(fromb, sizeof(fromb), "%.*s", (int)(fl - 2), from + 1);
	else
		snprintf(fromb, sizeof(fromb), "%s", from);
	int64_t left = remaining_ms(r);
	struct smtp_opts o = {
		.helo = helo,
		.from = fromb,
		.starttls = cfg->callahead.starttls,
		.connect_ms = min_ms(left, (int64_t)cfg->callahead.connect_timeout * 1000),
		.reply_ms = min_ms(left, (int64_t)cfg->callahead.reply_timeout * 1000),
		.quit_ms = min_ms(left, (int64_t)cfg->callahead.quit_timeout * 1000),
		.transcript = false,
	};
	p->s = smtp_sess_new(r->loop, (const struct sockaddr *)&t->sa, t->salen, t->host, &o, pc_answer, pc_left, pc_end,
			     p);
	if (p->s == NULL) {
		emit(c, 0, DS_UNKNOWN, p->target, NULL, "callahead", p->addr, "could not start a session|");
		pc_free(p);
		c->state = NULL;
		check_done(c);
		return;
	}
	smtp_sess_rcpt(p->s, p->addr, NULL);
	smtp_sess_close(p->s);
}

static char *first_local_domain(const struct config *cfg)
{
	char **w = NULL;
	char *d = NULL;
	if (util_words(cfg->aliases.local_domains, &w) > 0)
		d = xstrdup(w[0]);
	util_words_free(w);
	return d;
}

static void start_callahead(struct chk *c)
{
	struct drun *r = c->r;
	const struct config *cfg = r->cfg;
	struct pcheck *p = xcalloc(1, sizeof(*p));

	p->c = c;
	if (cfg->doctor.probe_address != NULL && cfg->doctor.probe_address[0] != '\0') {
		p->addr = xstrdup(cfg->doctor.probe_address);
	} else {
		char *d = first_local_domain(cfg);
		if (d == NULL) {
			emit(c, 0, DS_SKIP, "probe", "set [doctor] probe_address or [aliases] local_domains", "callahead",
			     NULL, "not configured|no probe address and no local domain");
			free(p);
			check_done(c);
			return;
		}
		p->addr = xasprintf("postmaster@%s", d);
		free(d);
	}
	c->state = p;
	c->abort = pc_abort;
	const char *at = strrchr(p->addr, '@');
	const char *domain = at != NULL ? at + 1 : p->addr;
	/* Where a callahead for the domain goes: [callahead] server, a route, else MX. */
	char err[512];
	struct ca_routes *routes = routes_load(cfg->callahead.routes, err, sizeof(err));
	if (routes == NULL)
		emit(c, 2, DS_WARN, cfg->callahead.routes,
		     "fix [callahead] routes: meanwhile callaheads go to each domain's MX instead", "callahead", NULL,
		     "unreadable|%s", err);
	const char *srv = cfg->callahead.server != NULL && cfg->callahead.server[0] != '\0' ? cfg->callahead.server
											    : routes_find(routes, domain);
	if (srv != NULL) {
		char host[300];
		int port = hostport_split(srv, cfg->callahead.mx_port, host, sizeof(host));
		p->server = xstrdup(srv);
		snprintf(p->target, sizeof(p->target), "%s", srv);
		p->q = dns_host(r->loop, r->dns, host, port, pc_resolved, p);
	} else {
		/* our own server: private and loopback addresses are fine here */
		p->server = xstrdup(domain);
		snprintf(p->target, sizeof(p->target), "MX of %s", p->server);
		p->q = dns_mx(r->loop, r->dns, p->server, cfg->callahead.mx_port, true, pc_resolved, p);
	}
	routes_free(routes);
}

/* -- DNS: each resolver, and the domains -- */

/* A resolver, asked up to three of the domains: judged on its best
 * answer, so one domain with slow name servers does not make it look
 * broken (that domain's own row says so). */
struct rgroup {
	char *target;
	int order, left;
	bool emitted, answered;
	int64_t best_ms, t0;
	const char *best_status;
	char best_name[256];
	struct buf others;   /* "slow.test: timeout" of the names that failed */
};

struct dq {
	struct dcheck *dc;
	int order;
	char *target;
	bool resolver, done;
	struct rgroup *g;    /* resolver questions: their resolver */
	const char *name;    /* ... and the name asked */
	struct dns_query *q;
	int64_t t0;
};

struct dcheck {
	struct chk *c;
	struct dq *q;
	size_t n;
	int pending;
	char **domains;
	size_t ndomains;
	size_t nlocal; /* the first nlocal domains are ours */
	struct rgroup *groups;
	size_t ngroups;
};

static void dc_free(struct dcheck *dc)
{
	for (size_t i = 0; i < dc->n; i++) {
		if (dc->q[i].q != NULL)
			dns_cancel(dc->q[i].q);
		free(dc->q[i].target);
	}
	free(dc->q);
	for (size_t i = 0; i < dc->ngroups; i++) {
		free(dc->groups[i].target);
		buf_free(&dc->groups[i].others);
	}
	free(dc->groups);
	util_words_free(dc->domains);
	free(dc);
}

static void dc_one_done(struct dcheck *dc)
{
	if (--dc->pending > 0)
		return;
	struct chk *c = dc->c;
	dc_free(dc);
	c->state = NULL;
	check_done(c);
}

static void rgroup_emit(struct chk *c, struct rgroup *g)
{
	const int slow = c->r->cfg->doctor.slow_ms;

	g->emitted = true;
	if (!g->answered) {
		emit(c, g->order, DS_FAIL, g->target,
		     "the resolver does not answer: fix it or take it out of resolv.conf ([dns] servers)", NULL, NULL,
		     "no answer|%s", g->others.len ? g->others.data : "nothing within the deadline");
		return;
	}
	enum dstatus ds = g->best_ms > slow ? DS_WARN : DS_OK;
	emit(c, g->order, ds, g->target, ds == DS_WARN ? "the resolver is slow: every lookup of the MTA waits for it" : NULL,
	     NULL, NULL, "%s in %lld ms|asked %s%s%s%s", g->best_status, (long long)g->best_ms, g->best_name,
	     g->others.len ? "; no answer for " : "", g->others.data != NULL ? g->others.data : "",
	     g->others.len ? " (see those domains' rows: their name servers, or this resolver)" : "");
}

static void dc_resolver(void *arg, const struct dns_answer *a)
{
	struct dq *q = arg;
	struct rgroup *g = q->g;

	q->q = NULL;
	q->done = true;
	bool answered = a->status == ARES_SUCCESS || a->status == ARES_ENOTFOUND || a->status == ARES_ENODATA;
	if (answered && (!g->answered || a->ms < g->best_ms)) {
		g->answered = true;
		g->best_ms = a->ms;
		g->best_status = a->status_name;
		snprintf(g->best_name, sizeof(g->best_name), "%s", q->name);
	} else if (!answered) {
		buf_addf(&g->others, "%s%s (%s)", g->others.len ? ", " : "", q->name, a->status_name);
	}
	if (--g->left == 0)
		rgroup_emit(q->dc->c, g);
	dc_one_done(q->dc);
}

static void dc_domain(void *arg, const struct dns_mx_result *res)
{
	struct dq *q = arg;
	struct dcheck *dc = q->dc;
	struct chk *c = dc->c;
	const int slow = c->r->cfg->doctor.slow_ms;
	char filter[300];

	q->q = NULL;
	q->done = true;
	snprintf(filter, sizeof(filter), "%s", q->target);
	enum dstatus ds;
	const char *advice = NULL;
	switch (res->status) {
	case DNS_OK:
	case DNS_NONE:
		ds = res->total_ms > slow ? DS_WARN : DS_OK;
		if (ds == DS_WARN)
			advice = "slow answers for this domain make SMTP sessions time out (lost connections after RCPT): "
				 "look at its name servers, or cache it locally";
		emit(c, q->order, ds, q->target, advice, "callahead", filter, "MX %lld ms, total %lld ms|%s%zu address%s%s%s",
		     (long long)res->mx_ms, (long long)res->total_ms, res->implicit ? "no MX (implicit), " : "",
		     res->n, res->n == 1 ? "" : "es", res->n > 0 ? ", first " : "",
		     res->n > 0 ? res->targets[0].host : "");
		break;
	case DNS_NULLMX:
		emit(c, q->order, DS_WARN, q->target, "the domain takes no mail (null MX)", "callahead", filter,
		     "null MX in %lld ms|MX 0 .", (long long)res->total_ms);
		break;
	case DNS_NXDOMAIN:
		emit(c, q->order, q->order - 100 < (int)dc->nlocal ? DS_FAIL : DS_WARN, q->target,
		     q->order - 100 < (int)dc->nlocal ? "one of our domains does not exist in DNS: mail to it bounces"
						      : "the domain does not exist in DNS",
		     "callahead", filter,
		     "NXDOMAIN in %lld ms|%s", (long long)res->total_ms, res->why);
		break;
	case DNS_NOADDR:
		emit(c, q->order, DS_FAIL, q->target, "mail to it cannot be delivered: no MX and no address",
		     "callahead", filter, "no address in %lld ms|%s", (long long)res->total_ms, res->why);
		break;
	default:
		emit(c, q->order, DS_FAIL, q->target,
		     "lookups fail: mail to it is deferred, and callaheads tempfail; ask its name servers directly",
		     "callahead", filter, "failed in %lld ms|%s", (long long)res->total_ms, res->why);
		break;
	}
	dc_one_done(dc);
}

static void dc_abort(struct chk *c)
{
	struct dcheck *dc = c->state;
	for (size_t i = 0; i < dc->n; i++) {
		struct dq *q = &dc->q[i];
		if (q->resolver && !q->done && !q->g->emitted)
			buf_addf(&q->g->others, "%s%s (no answer within the deadline)", q->g->others.len ? ", " : "",
				 q->name);
	}
	for (size_t i = 0; i < dc->ngroups; i++)
		if (!dc->groups[i].emitted)
			rgroup_emit(c, &dc->groups[i]);
	for (size_t i = 0; i < dc->n; i++) {
		struct dq *q = &dc->q[i];
		if (q->done || q->resolver)
			continue;
		emit(c, q->order, DS_FAIL, q->target,
		     q->resolver ? "the resolver does not answer: fix it or take it out of resolv.conf"
				 : "lookups for this domain hang: SMTP sessions that need it time out (lost connections "
				   "after RCPT)",
		     "callahead", q->resolver ? NULL : q->target, "no answer|nothing within %lld ms",
		     (long long)(util_now_ms() - q->t0));
	}
	dc_free(dc);
	c->state = NULL;
}

static bool has_word(char **v, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], w) == 0)
			return true;
	return false;
}

static void start_dns(struct chk *c)
{
	struct drun *r = c->r;
	const struct config *cfg = r->cfg;
	struct dcheck *dc = xcalloc(1, sizeof(*dc));
	char **servers = NULL;
	size_t ns = 0;

	dc->c = c;
	if (r->dns == NULL) {
		emit(c, 0, DS_UNKNOWN, "resolver", "check [dns] servers and /etc/resolv.conf", NULL, NULL,
		     "no resolver|%s", r->dnserr);
		free(dc);
		check_done(c);
		return;
	}
	/* ours first, then the ones users complain about */
	char **a = NULL, **b = NULL;
	size_t na = util_words(cfg->aliases.local_domains, &a), nb = util_words(cfg->doctor.domains, &b);
	dc->domains = xcalloc(na + nb + 1, sizeof(char *));
	for (size_t i = 0; i < na; i++)
		if (!has_word(dc->domains, dc->ndomains, a[i]))
			dc->domains[dc->ndomains++] = xstrdup(a[i]);
	dc->nlocal = dc->ndomains;
	for (size_t i = 0; i < nb; i++)
		if (!has_word(dc->domains, dc->ndomains, b[i]))
			dc->domains[dc->ndomains++] = xstrdup(b[i]);
	util_words_free(a);
	util_words_free(b);
	ns = loop_dns_servers(r->dns, &servers);
	/* each resolver: the MX of up to three domains, ours first */
	size_t nnames = dc->ndomains > 3 ? 3 : dc->ndomains > 0 ? dc->ndomains : 1;
	dc->q = xcalloc(ns * nnames + dc->ndomains + 1, sizeof(*dc->q));
	dc->groups = xcalloc(ns + 1, sizeof(*dc->groups));
	c->state = dc;
	c->abort = dc_abort;
	dc->pending = 1;
	char err[256];
	for (size_t i = 0; i < ns; i++) {
		struct rgroup *g = &dc->groups[dc->ngroups++];
		g->order = (int)i;
		g->target = xasprintf("resolver %s", servers[i]);
		g->t0 = util_now_ms();
		buf_init(&g->others);
		struct ares_channeldata *ch =
			loop_dns_server(r->loop, servers[i], cfg->dns.timeout_ms, cfg->dns.tries, err, sizeof(err));
		if (ch == NULL) {
			g->emitted = true;
			emit(c, g->order, DS_UNKNOWN, g->target, NULL, NULL, NULL, "could not ask|%s", err);
			continue;
		}
		for (size_t k = 0; k < nnames; k++) {
			struct dq *q = &dc->q[dc->n++];
			q->dc = dc;
			q->order = g->order;
			q->resolver = true;
			q->g = g;
			q->name = dc->ndomains > 0 ? dc->domains[k] : "localhost";
			q->t0 = g->t0;
			g->left++;
			dc->pending++;
			q->q = dns_lookup(r->loop, ch, q->name, DNS_Q_MX, dc_resolver, q);
		}
	}
	for (size_t i = 0; i < ns; i++)
		free(servers[i]);
	free(servers);
	for (size_t i = 0; i < dc->ndomains; i++) {
		struct dq *q = &dc->q[dc->n++];
		q->dc = dc;
		q->order = 100 + (int)i;
		q->target = xstrdup(dc->domains[i]);
		q->t0 = util_now_ms();
		dc->pending++;
		q->q = dns_mx(r->loop, r->dns, dc->domains[i], 25, true, dc_domain, q);
	}
	dc_one_done(dc);
}

/* -- DNSBL -- */

struct bq {
	struct bcheck *bc;
	int order;
	char *ip, *zone, *name;
	struct dns_query *q;
	bool done;
	char code[64];
};

struct bcheck {
	struct chk *c;
	struct bq *q;
	size_t n;
	int pending;
};

static void bc_free(struct bcheck *bc)
{
	for (size_t i = 0; i < bc->n; i++) {
		if (bc->q[i].q != NULL)
			dns_cancel(bc->q[i].q);
		free(bc->q[i].ip);
		free(bc->q[i].zone);
		free(bc->q[i].name);
	}
	free(bc->q);
	free(bc);
}

static void bc_one_done(struct bcheck *bc)
{
	if (--bc->pending > 0)
		return;
	struct chk *c = bc->c;
	bc_free(bc);
	c->state = NULL;
	check_done(c);
}

static char *bq_target(const struct bq *q)
{
	return xasprintf("%s in %s", q->ip, q->zone);
}

static void bc_txt(void *arg, const struct dns_answer *a)
{
	struct bq *q = arg;
	char *t = bq_target(q);

	q->q = NULL;
	q->done = true;
	emit(q->bc->c, q->order, DS_FAIL, t,
	     "we are listed: mail from this address is refused by the zone's users; find the cause (the ARF and log "
	     "rows), then ask the zone for removal",
	     NULL, NULL, "listed (%s)|%s", q->code, a->n > 0 ? a->items[0] : "no TXT reason");
	free(t);
	bc_one_done(q->bc);
}

static void bc_a(void *arg, const struct dns_answer *a)
{
	struct bq *q = arg;
	struct chk *c = q->bc->c;
	char *t = bq_target(q);

	q->q = NULL;
	if (a->status == ARES_ENOTFOUND || a->status == ARES_ENODATA) {
		q->done = true;
		emit(c, q->order, DS_OK, t, NULL, NULL, NULL, "not listed|asked %s in %lld ms", q->name, (long long)a->ms);
	} else if (a->status != ARES_SUCCESS) {
		q->done = true;
		emit(c, q->order, DS_UNKNOWN, t, "the zone cannot be asked: look at the resolver rows", NULL, NULL,
		     "%s in %lld ms|asked %s", a->status_name, (long long)a->ms, q->name);
	} else {
		snprintf(q->code, sizeof(q->code), "%s", a->n > 0 ? a->items[0] : "?");
		if (strncmp(q->code, "127.255.255.", 12) == 0 || strncmp(q->code, "127.", 4) != 0) {
			q->done = true;
			emit(c, q->order, DS_UNKNOWN, t,
			     "the zone refuses to answer this resolver (public or over quota): ask it through your own "
			     "resolver",
			     NULL, NULL, "refused (%s)|asked %s", q->code, q->name);
		} else {
			free(t);
			q->q = dns_lookup(c->r->loop, c->r->dns, q->name, DNS_Q_TXT, bc_txt, q);
			return;
		}
	}
	free(t);
	bc_one_done(q->bc);
}

static void bc_abort(struct chk *c)
{
	struct bcheck *bc = c->state;
	for (size_t i = 0; i < bc->n; i++) {
		struct bq *q = &bc->q[i];
		if (q->done)
			continue;
		char *t = bq_target(q);
		if (q->code[0] != '\0')
			emit(c, q->order, DS_FAIL, t, "we are listed: find the cause, then ask the zone for removal", NULL,
			     NULL, "listed (%s)|no TXT reason within the deadline", q->code);
		else
			emit(c, q->order, DS_UNKNOWN, t, "the zone does not answer: look at the resolver rows", NULL, NULL,
			     "no answer|nothing within the deadline");
		free(t);
	}
	bc_free(bc);
	c->state = NULL;
}

static void start_dnsbl(struct chk *c)
{
	struct drun *r = c->r;
	const struct config *cfg = r->cfg;
	char **ips = NULL, **zones = NULL;
	size_t ni = util_words(cfg->doctor.our_ips, &ips), nz = util_words(cfg->doctor.dnsbl, &zones);

	if (ni == 0 || nz == 0 || r->dns == NULL) {
		emit(c, 0, r->dns == NULL && ni > 0 && nz > 0 ? DS_UNKNOWN : DS_SKIP, "reputation",
		     "set [doctor] our_ips and dnsbl", NULL, NULL, "%s|%s", r->dns == NULL ? "no resolver" : "not configured",
		     r->dns == NULL ? r->dnserr : ni == 0 ? "[doctor] our_ips is empty" : "[doctor] dnsbl is empty");
		util_words_free(ips);
		util_words_free(zones);
		check_done(c);
		return;
	}
	struct bcheck *bc = xcalloc(1, sizeof(*bc));
	bc->c = c;
	bc->q = xcalloc(ni * nz, sizeof(*bc->q));
	c->state = bc;
	c->abort = bc_abort;
	bc->pending = 1;
	for (size_t i = 0; i < ni; i++) {
		for (size_t z = 0; z < nz; z++) {
			struct bq *q = &bc->q[bc->n++];
			char name[400];
			q->bc = bc;
			q->order = (int)(i * nz + z);
			q->ip = xstrdup(ips[i]);
			q->zone = xstrdup(zones[z]);
			if (!dns_dnsbl_name(ips[i], zones[z], name, sizeof(name))) {
				q->done = true;
				char *t = bq_target(q);
				emit(c, q->order, DS_UNKNOWN, t, "fix [doctor] our_ips", NULL, NULL,
				     "not an address|%s", ips[i]);
				free(t);
				continue;
			}
			q->name = xstrdup(name);
			bc->pending++;
			q->q = dns_lookup(r->loop, r->dns, name, DNS_Q_A, bc_a, q);
		}
	}
	util_words_free(ips);
	util_words_free(zones);
	bc_one_done(bc);
}

/* ---- the run, again ---- */

static int row_cmp(const void *a, const void *b)
{
	const struct drow *x = a, *y = b;
	if (x->check != y->check)
		return x->check - y->check;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void run_finish(struct drun *r)
{
	if (r->done)
		return;
	r->done = true;
	if (r->deadline != NULL)
		loop_timer_del(r->deadline);
	r->deadline = NULL;
	util_sort(r->rows, r->n, sizeof(*r->rows), row_cmp);
	if (r->on_done != NULL)
		r->on_done(r->arg);
}

static void run_deadline(void *arg)
{
	struct drun *r = arg;

	for (int i = 0; i < NCHECKS; i++) {
		struct chk *c = &r->chk[i];
		if (!c->running)
			continue;
		if (c->abort != NULL)
			c->abort(c);
		c->running = false;
		r->pending--;
	}
	run_finish(r);
}

static void run_kick(void *arg)
{
	struct drun *r = arg;

	loop_timer_del(r->kick);
	r->kick = NULL;
	r->pending++; /* held while starting */
	for (int i = 0; i < NCHECKS; i++) {
		struct chk *c = &r->chk[i];
		if (r->only != 0 && !(r->only & (1u << i)))
			continue;
		if (i == CK_ARF && !r->deep)
			continue; /* a light refresh: the last deep run's rows stand */
		c->running = true;
		r->pending++;
		switch (i) {
		case CK_ALIASES:
		case CK_LOG:
		case CK_QUEUE:
		case CK_ARF:
			start_in_child(c);
			break;
		case CK_CACHE:
			start_cache(c);
			break;
		case CK_CALLAHEAD:
			start_callahead(c);
			break;
		case CK_DNS:
			start_dns(c);
			break;
		case CK_DNSBL:
			start_dnsbl(c);
			break;
		}
	}
	if (--r->pending == 0)
		run_finish(r);
}

/* Starts a run on l; on_done(arg) once every check has answered or the
 * deadline has passed; on_row(arg) at each row (may be NULL). */
static struct drun *run_start(const struct config *cfg, struct dhist *hist, struct loop *l, int since, unsigned only,
			      bool deep, void (*on_done)(void *arg), void (*on_row)(void *arg), void *arg)
{
	struct drun *r = xcalloc(1, sizeof(*r));

	r->hist = hist;
	r->deep = deep;
	r->cfg = cfg;
	r->loop = l;
	r->since = since;
	r->only = only;
	r->on_done = on_done;
	r->on_row = on_row;
	r->arg = arg;
	r->t0 = util_now_ms();
	r->started = (int64_t)time(NULL);
	r->deadline_ms = (int64_t)cfg->doctor.deadline * 1000;
	r->dns = loop_dns(l, cfg->dns.servers, cfg->dns.timeout_ms, cfg->dns.tries, r->dnserr, sizeof(r->dnserr));
	for (int i = 0; i < NCHECKS; i++) {
		r->chk[i].r = r;
		r->chk[i].idx = i;
		r->chk[i].fd = -1;
		buf_init(&r->chk[i].in);
	}
	r->deadline = loop_timer_add(l, (unsigned)r->deadline_ms, false, run_deadline, r);
	/* the checks start from the loop: a caller's callbacks never run
	 * inside run_start */
	r->kick = loop_timer_add(l, 0, false, run_kick, r);
	return r;
}

/* Ends a run at once (nothing is reported) and frees it. */
static void run_free(struct drun *r)
{
	if (r == NULL)
		return;
	r->on_done = NULL;
	r->on_row = NULL;
	if (!r->done) {
		for (int i = 0; i < NCHECKS; i++) {
			struct chk *c = &r->chk[i];
			if (!c->running)
				continue;
			c->running = false;
			if (c->child != NULL)
				loop_child_kill(c->child);
			c->child = NULL;
			if (c->abort != NULL && c->abort != child_abort)
				c->abort(c); /* frees its state (rows go to r, freed below) */
		}
	}
	if (r->deadline != NULL)
		loop_timer_del(r->deadline);
	if (r->kick != NULL)
		loop_timer_del(r->kick);
	for (int i = 0; i < NCHECKS; i++)
		buf_free(&r->chk[i].in);
	for (size_t i = 0; i < r->n; i++)
		row_free(&r->rows[i]);
	free(r->rows);
	free(r);
}

static int run_exit(const struct drun *r)
{
	bool warn = false, fail = false, unknown = false;
	for (size_t i = 0; i < r->n; i++) {
		warn |= r->rows[i].status == DS_WARN;
		fail |= r->rows[i].status == DS_FAIL;
		unknown |= r->rows[i].status == DS_UNKNOWN;
	}
	return fail ? 2 : unknown ? 3 : warn ? 1 : 0;
}

static enum role status_role(enum dstatus s)
{
	switch (s) {
	case DS_OK:
		return ROLE_OK;
	case DS_WARN:
		return ROLE_WARN;
	case DS_FAIL:
		return ROLE_FAIL;
	case DS_UNKNOWN:
		return ROLE_WARN;
	default:
		return ROLE_DIM;
	}
}

static const struct column columns[] = {
	{ "check", "CHECK", COL_TEXT, 9, 0 },   { "target", "TARGET", COL_TEXT, 28, 0 },
	{ "status", "STATUS", COL_TEXT, 7, 0 }, { "value", "VALUE", COL_TEXT, 30, 0 },
	{ "detail", "DETAIL", COL_TEXT, 0, 0 }, { "advice", "ADVICE", COL_TEXT, 0, 0 },
};
#define NCOLS ((int)(sizeof(columns) / sizeof(columns[0])))

static void row_cells(const struct drow *w, struct cell *c)
{
	c[0] = cell_str(check_names[w->check]);
	c[1] = cell_str(w->target);
	c[2] = cell_role(cell_str(status_names[w->status]), status_role(w->status));
	c[3] = cell_str(w->value);
	c[3].null = w->value == NULL;
	c[4] = cell_str(w->detail);
	c[4].null = w->detail == NULL;
	c[5] = cell_str(w->advice);
	c[5].null = w->advice == NULL;
	if (w->status == DS_SKIP)
		for (int i = 0; i < NCOLS; i++)
			c[i] = cell_role(c[i], ROLE_DIM);
}

/* ---- batch ---- */

static int parse_only(struct ctx *ctx, int argc, char **argv, unsigned *only)
{
	char **w = NULL;
	size_t n = util_words(ctx_opt(ctx, "--only"), &w);
	*only = 0;
	for (int a = -1; a < argc; a++) {
		size_t k = a < 0 ? n : 1;
		for (size_t j = 0; j < k; j++) {
			const char *name = a < 0 ? w[j] : argv[a];
			int i;
			for (i = 0; i < NCHECKS; i++)
				if (strcmp(check_names[i], name) == 0)
					break;
			if (i == NCHECKS) {
				int rc = ctx_error(ctx, EXIT_USAGE,
						   "no check '%s' (aliases, cache, callahead, dns, log, queue, dnsbl, arf)",
						   name);
				util_words_free(w);
				return rc;
			}
			*only |= 1u << i;
		}
	}
	util_words_free(w);
	return 0;
}

static void batch_done(void *arg)
{
	loop_break(arg);
}

static volatile sig_atomic_t stop_watch;

static void on_int(int sig)
{
	stop_watch = sig;
}

/* SIGINT/SIGTERM while a pass runs: the loop wakes and ends at once (a
 * handler of our own would wait for the next event, a deadline away),
 * and the run's children, in process groups of their own that the
 * terminal's ^C does not reach, are ended with it. */
static void watch_sig(int sig, void *arg)
{
	stop_watch = sig;
	loop_break(arg);
}

static int cmd_run(struct ctx *ctx, int argc, char **argv)
{
	const struct config *cfg = ctx_config(ctx);
	unsigned only;
	int since = cfg->doctor.since, watch = 0;
	char err[256];
	const char *o;

	int rc = parse_only(ctx, argc, argv, &only);
	if (rc != 0)
		return rc;
	if ((o = ctx_opt(ctx, "--since")) != NULL) {
		char *e;
		long v = strtol(o, &e, 10);
		if (*e != '\0' || v < 1 || v > 525600) {
			return ctx_error(ctx, EXIT_USAGE, "--since: minutes from 1 to 525600, not '%s'", o);
		}
		since = (int)v;
	}
	if ((o = ctx_opt(ctx, "--watch")) != NULL) {
		char *e;
		long v = strtol(o, &e, 10);
		if (*e != '\0' || v < 1 || v > 86400) {
			return ctx_error(ctx, EXIT_USAGE, "--watch: seconds from 1 to 86400, not '%s'", o);
		}
		if (ctx_console(ctx)) {
			return ctx_error(ctx, EXIT_USAGE,
					 "--watch is for batch mode: the Overview tab refreshes itself");
		}
		watch = (int)v;
	}
	int code = 3;
	bool finished = false;
	struct dhist hist = { 0 }; /* --watch: rates since the last pass */
	struct sigaction sa, old_int, old_term;
	if (watch > 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_int;
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
	}
	stop_watch = 0;
	for (int pass = 0;; pass++) {
		/* A loop of our own: the verb also runs from the console's prompt. */
		struct loop *l = loop_new(err, sizeof(err));
		if (l == NULL) {
			ctx_error(ctx, EXIT_SOFTWARE, "%s", err);
			code = 3;
			break;
		}
		/* (from the console's prompt too: such a verb runs in a child
		 * of its own, which the console ends with SIGTERM) */
		loop_signal(l, SIGINT, watch_sig, l);
		loop_signal(l, SIGTERM, watch_sig, l);
		struct drun *r = run_start(cfg, &hist, l, since, only, true, batch_done, NULL, l);
		while (!r->done && !stop_watch)
			loop_once(l, true);
		if (r->done) {
			if (watch > 0) {
				char iso[32];
				util_iso8601(r->started, iso);
				if (ctx_format(ctx) == FORMAT_TEXT) {
					char line[96];
					int k = snprintf(line, sizeof(line), "-- %s (%lld ms)", iso,
							 (long long)(util_now_ms() - r->t0));
					if (pass > 0)
						out_line(ctx, "", 0);
					out_line(ctx, line, (size_t)k);
				}
			}
			out_begin(ctx, columns, NCOLS);
			for (size_t i = 0; i < r->n; i++) {
				struct cell cells[NCOLS];
				row_cells(&r->rows[i], cells);
				out_row(ctx, cells);
			}
			out_end(ctx);
			fflush(stdout);
			code = run_exit(r);
			finished = true;
		}
		run_free(r);
		loop_free(l);
		if (watch == 0 || stop_watch)
			break;
		for (int t = 0; t < watch * 10 && !stop_watch; t++) {
			struct timespec ts = { 0, 100000000 };
			nanosleep(&ts, NULL);
		}
		if (stop_watch)
			break;
	}
	if (watch > 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	dhist_free(&hist);
	/* interrupted before any table: as a shell reports a death by the signal */
	if (stop_watch && !finished)
		return 128 + (int)stop_watch;
	return code;
}

/* ---- the Overview tab ---- */

/* The tab checks again every OV_REFRESH_MS; the cache's key dump (a
 * walk over every item of every server) only every OV_DEEP_MS, the rows
 * it gave carried over in between. */
#define OV_REFRESH_MS 10000
#define OV_DEEP_MS (5 * 60 * 1000)

struct oview {
	struct ctx *ctx;
	const struct config *cfg;
	struct drun *shown;   /* the last finished run (or the first, while it runs) */
	struct drun *next;    /* a run in flight that will replace it */
	struct loop_timer *timer;
	bool changed;
	char header[512];
	int64_t deep_ms;      /* when the last deep run started */
	bool want_deep;
	struct dhist hist;    /* cache stats of the last run: rates of now */
};

static void ov_done(void *arg);

static void ov_row(void *arg)
{
	struct oview *v = arg;
	v->changed = true;
	ctx_dirty(v->ctx);
}

static void ov_start(struct oview *v)
{
	if (v->next != NULL || (v->shown != NULL && !v->shown->done))
		return;
	bool deep = v->shown == NULL || v->want_deep || util_now_ms() - v->deep_ms >= OV_DEEP_MS;
	if (deep) {
		v->deep_ms = util_now_ms();
		v->want_deep = false;
	}
	struct drun *r = run_start(v->cfg, &v->hist, ctx_loop(v->ctx), v->cfg->doctor.since, 0, deep, ov_done,
				   v->shown == NULL ? ov_row : NULL, v);
	if (v->shown == NULL)
		v->shown = r;
	else
		v->next = r;
	v->changed = true;
	ctx_dirty(v->ctx);
}

static void ov_done(void *arg)
{
	struct oview *v = arg;

	/* Called from inside the run's own callbacks: the run that just
	 * finished is freed later, not here. */
	if (v->next != NULL && v->next->done) {
		struct drun *old = v->shown, *r = v->next;
		if (!r->deep) {
			/* the key counts and the ARF rows of the last deep run
			 * stand (the key counts while a server is up) */
			bool cache_up = false;
			for (size_t i = 0; i < r->n; i++)
				if (r->rows[i].check == CK_CACHE && r->rows[i].order < 100 &&
				    (r->rows[i].status == DS_OK || r->rows[i].status == DS_WARN))
					cache_up = true;
			for (size_t i = 0; i < old->n; i++) {
				struct drow *w = &old->rows[i];
				if (!(w->check == CK_ARF || (w->check == CK_CACHE && w->order >= 100 && cache_up)))
					continue;
				run_add(r, w);
				memset(w, 0, sizeof(*w));
			}
			util_sort(r->rows, r->n, sizeof(*r->rows), row_cmp);
		}
		v->shown = r;
		v->next = NULL;
		run_free(old);
	}
	v->changed = true;
	ctx_dirty(v->ctx);
}

static void ov_tick(void *arg)
{
	struct oview *v = arg;
	if (v->next == NULL && v->shown != NULL && v->shown->done)
		ov_start(v);
}

static int ov_open(struct ctx *ctx, void **state, char *err, size_t errlen)
{
	struct oview *v = xcalloc(1, sizeof(*v));

	(void)err;
	(void)errlen;
	v->ctx = ctx;
	v->cfg = ctx_config(ctx);
	ov_start(v);
	v->timer = loop_timer_add(ctx_loop(ctx), OV_REFRESH_MS, true, ov_tick, v);
	*state = v;
	return 0;
}

static const struct column *ov_columns(void *state, int *n)
{
	(void)state;
	*n = NCOLS;
	return columns;
}

static size_t ov_count(void *state)
{
	struct oview *v = state;
	return v->shown != NULL ? v->shown->n : 0;
}

static void ov_cells(void *state, size_t i, struct cell *c)
{
	struct oview *v = state;
	row_cells(&v->shown->rows[i], c);
}

static const char *ov_header(void *state)
{
	struct oview *v = state;
	struct drun *r = v->shown;
	size_t n[5] = { 0 };

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		n[r->rows[i].status]++;
	char when[32];
	util_iso8601(r->started, when);
	if (!r->done)
		snprintf(v->header, sizeof(v->header), "checking... %zu rows so far (deadline %d s)", r->n,
			 v->cfg->doctor.deadline);
	else
		snprintf(v->header, sizeof(v->header), "%zu FAIL, %zu WARN, %zu UNKNOWN, %zu OK  checked %s%s  Enter: the tab that explains a row",
			 n[DS_FAIL], n[DS_WARN], n[DS_UNKNOWN], n[DS_OK], when + 11, v->next != NULL ? "  (checking again)" : "");
	return v->header;
}

static bool ov_poll(void *state)
{
	struct oview *v = state;
	bool c = v->changed;
	v->changed = false;
	return c;
}

static char *row_text(const struct drow *w)
{
	struct buf b;
	buf_init(&b);
	buf_addf(&b, "check:   %s\ntarget:  %s\nstatus:  %s\nvalue:   %s\ndetail:  %s\nadvice:  %s\n",
		 check_names[w->check], w->target, status_names[w->status], w->value != NULL ? w->value : "",
		 w->detail != NULL ? w->detail : "", w->advice != NULL ? w->advice : "");
	return buf_take(&b);
}

static char *ov_detail(void *state, size_t i)
{
	struct oview *v = state;
	if (v->shown == NULL || i >= v->shown->n)
		return NULL;
	return row_text(&v->shown->rows[i]);
}

static int ov_activate(void *state, struct ctx *ctx, size_t i)
{
	struct oview *v = state;
	if (v->shown == NULL || i >= v->shown->n)
		return VIEW_UNUSED;
	const struct drow *w = &v->shown->rows[i];
	if (w->jump_tab != NULL && ctx_show_tab(ctx, w->jump_tab, w->jump_filter))
		return VIEW_DIRTY;
	char *t = row_text(w);
	ctx_pager(ctx, w->target, t, strlen(t));
	free(t);
	return VIEW_DIRTY;
}

static int ov_key(void *state, struct ctx *ctx, int key, size_t sel)
{
	struct oview *v = state;
	if (key == 'd' && v->shown != NULL && sel < v->shown->n) {
		char *t = row_text(&v->shown->rows[sel]);
		ctx_pager(ctx, v->shown->rows[sel].target, t, strlen(t));
		free(t);
		return VIEW_USED | VIEW_DIRTY;
	}
	if (key == 'c') {
		v->want_deep = true;
		ov_start(v);
		return VIEW_USED | VIEW_DIRTY;
	}
	return VIEW_UNUSED;
}

static void ov_close(void *state)
{
	struct oview *v = state;
	loop_timer_del(v->timer);
	run_free(v->next);
	run_free(v->shown);
	dhist_free(&v->hist);
	free(v);
}

static const struct key_help ov_keys[] = {
	{ "Enter", "the tab that explains the row (a cache row: the Cache tab, filtered)" },
	{ "d", "the whole row, with its advice" },
	{ "c", "check again now (the tab checks every 10 s by itself)" },
	{ NULL, NULL },
};

static const struct view overview = {
	.open = ov_open,
	.columns = ov_columns,
	.row_count = ov_count,
	.row = ov_cells,
	.header = ov_header,
	.key = ov_key,
	.detail = ov_detail,
	.detail_live = true,
	.activate = ov_activate,
	.poll = ov_poll,
	.close = ov_close,
	.keys = ov_keys,
};

static const struct opt run_opts[] = {
	{ "--since", 0, "MINUTES", "minutes of mail log to read ([doctor] since)" },
	{ "--only", 0, "CHECK", "only these checks (a list: aliases,cache,callahead,dns,log,queue,dnsbl,arf)" },
	{ "--watch", 0, "N", "run again every N seconds until interrupted" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "run", "[--since MIN] [--only CHECK...] [--watch N] [CHECK...]",
	  "check everything at once under one deadline; exit 0 OK, 1 WARN, 2 FAIL, 3 UNKNOWN", run_opts, 0, -1,
	  cmd_run },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_doctor = {
	.name = "doctor",
	.title = "Overview",
	.default_verb = "run",
	.summary = "what is wrong now: aliases, cache, callahead, DNS, log, queue, DNSBL, ARF in one table",
	.commands = commands,
	.view = &overview,
};

/*
 * backend/backend.h: the one public header of backend/.
 *
 * Backends are data sources and protocols. They know nothing of ncurses or
 * of plugins: they return a status and fill a caller's error text, and never
 * print. Grouped by the file that implements each part.
 */
#ifndef MAILOPS_BACKEND_H
#define MAILOPS_BACKEND_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MAILOPS_VERSION "0.1.0"

/* Exit codes (sysexits.h values; DESIGN §5). */
enum {
	EXIT_OK = 0,
	EXIT_NEGATIVE = 1,
	EXIT_USAGE = 64,
	EXIT_DATAERR = 65,
	EXIT_NOINPUT = 66,
	EXIT_UNAVAILABLE = 69,
	EXIT_SOFTWARE = 70,
	EXIT_TEMPFAIL = 75,
	EXIT_NOPERM = 77,
	EXIT_CONFIG = 78,
};

/* ---- util.c: allocation, growable buffers, small string helpers ---- */

/*
 * The x*alloc helpers never return NULL: on out-of-memory they call the hook
 * set with util_set_fatal_hook() (the console uses it to restore the
 * terminal), print "mailops: out of memory" and exit 70.
 */
void util_set_fatal_hook(void (*hook)(void));
void util_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; always NUL-terminated after any append. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the data over to the caller (free() it) and resets the buffer. */
char *buf_take(struct buf *b);

/* Copies an error text into err[errlen] (may be NULL/0); returns code. */
int errf(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Levenshtein distance, capped; used to suggest the nearest valid word. */
int util_distance(const char *a, const char *b);

/* Formats a unix time as ISO 8601 UTC ("2026-11-25T10:00:00Z") into out[21]. */
void util_iso8601(long long t, char out[32]);

/* Monotonic milliseconds. */
int64_t util_now_ms(void);

/* ---- sanitize.c: any untrusted byte string to terminal-safe text ---- */

/*
 * Every text that came from mail, a database or a server goes through one of
 * these before a terminal can see it. Valid, printable UTF-8 passes as is.
 * ESC, the other C0 controls, DEL, C1 controls (U+0080..U+009F), and the
 * Unicode controls that reorder or hide text (bidi overrides and isolates,
 * line/paragraph separators, zero-width joiners are allowed) are written as
 * "\xNN" per byte; each byte of an invalid UTF-8 sequence likewise.
 *
 * Modes add to that:
 *   SAN_TEXT   TAB passes (praliases-style text output).
 *   SAN_FIELD  TAB, CR and LF become "\t", "\r", "\n" (tsv/csv fields).
 *   SAN_UTF8   only invalid UTF-8 is escaped; controls pass (for JSON,
 *              whose encoder escapes controls itself).
 *   SAN_LINE   like SAN_TEXT but also TAB is escaped (single-line console
 *              cells, where a TAB would break the column layout).
 */
enum san_mode { SAN_TEXT, SAN_FIELD, SAN_UTF8, SAN_LINE };

/* Appends the safe form of src[0..len) to b. */
void sanitize_buf(struct buf *b, const char *src, size_t len, enum san_mode mode);
/* Returns a malloc'd NUL-terminated safe copy. */
char *sanitize_dup(const char *src, size_t len, enum san_mode mode);
/* True when src[0..len) would pass through mode unchanged. */
bool sanitize_is_clean(const char *src, size_t len, enum san_mode mode);

/* ---- config.c: the INI config (DESIGN §6) ---- */

enum cache_hash { CACHE_HASH_CRC, CACHE_HASH_KETAMA };
enum starttls_mode { STARTTLS_OFF, STARTTLS_OPPORTUNISTIC, STARTTLS_REQUIRED };

struct config {
	char *path; /* the file read, or NULL when only defaults apply */
	struct {
		char *db;             /* empty = discover (sendmail.cf, main.cf) */
		char *text;           /* empty = the db path without .db */
		char *local_domains;  /* comma/space list */
		int lock_wait_ms;     /* 10000 */
		char *maps;           /* extra alias-like maps (class:path list) */
	} aliases;
	struct {
		char *servers;        /* Cache::Memcached order, host:port[:weight] or socket path */
		char *namespace_;     /* "namespace" in the file */
		char *prefix;         /* "ca:" */
		enum cache_hash hash; /* crc */
		int connect_timeout_ms; /* 500 */
		int read_timeout_ms;    /* 500 */
	} cache;
	struct {
		char *server;         /* empty = MX of the domain */
		char *routes;         /* file of "domain [host]:port" lines */
		int mx_port;          /* 25 */
		bool allow_private;   /* no */
		char *from;           /* "<>" */
		char *helo;           /* empty = this host's name */
		enum starttls_mode starttls; /* off */
		int connect_timeout;  /* seconds: 30 */
		int reply_timeout;    /* 30 */
		int probe_timeout;    /* 120 */
		int quit_timeout;     /* 5 */
		long valid_ttl;       /* 604800 */
		long invalid_ttl;     /* 90000 */
		long accept_all_ttl;  /* 604800 */
		long refused_ttl;     /* 10800 */
		int concurrency;      /* 32 */
		int per_server;       /* 4 */
		bool accept_all_probe; /* no */
	} callahead;
	struct {
		char *servers;        /* ip[:port] list; empty = /etc/resolv.conf */
		int timeout_ms;       /* 2000 */
		int tries;            /* 2 */
	} dns;
	struct {
		char *mailboxes;
		char *reporters;
	} arf;
	struct {
		char *sources;
		int small_n;          /* 1000 */
	} benford;
	struct {
		char *probe_address;
		char *domains;
		char *log;            /* empty = /var/log/mail.log, else the journal */
		int since;            /* minutes: 60 */
		int slow_ms;          /* 1000 */
		int deadline;         /* seconds: 15 */
		char *dnsbl;
		char *our_ips;
	} doctor;
};

/* One key of the config: the table config.c checks against and the man page lists. */
struct config_key {
	const char *section;
	const char *name;
	const char *type;  /* "string", "int", "bool", "enum" */
	const char *def;   /* default as written in the file */
	const char *help;
	/* How config.c stores it: */
	int kind;          /* private to config.c */
	size_t offset;     /* of the field in struct config */
	long long min, max; /* range of numbers */
};
/* The table of every key, {NULL} ended. */
extern const struct config_key config_keys[];

/* Fills cfg with the defaults. */
void config_defaults(struct config *cfg);
/*
 * Loads path over the defaults; path NULL searches $MAILOPS_CONFIG,
 * ~/.config/mailops/mailops.conf, /etc/mailops.conf (a missing file in the
 * search is fine; an explicit one that is missing is an error). Returns 0,
 * or EXIT_CONFIG with err = "FILE:LINE: what" (or "FILE: why").
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Parses an INI text (name = the file name used in messages). */
int config_load_string(struct config *cfg, const char *text, const char *name, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The value of section.name in cfg as it would be written in the file
 * (malloc'd), or NULL for an unknown key. */
char *config_value(const struct config *cfg, const char *section, const char *name);

/* ---- loop.c: the one event loop (libevent) with c-ares wired in ---- */

struct loop;
struct loop_timer;
struct loop_watch;
struct event_base;
struct ares_channeldata;

enum { LOOP_READ = 1, LOOP_WRITE = 2 };

struct loop *loop_new(char *err, size_t errlen);
void loop_free(struct loop *l);
struct event_base *loop_base(struct loop *l);
/* Runs until loop_break() or until nothing is pending; returns 0 or -1. */
int loop_run(struct loop *l);
/* Runs one pass (blocking until at least one event when block is true). */
int loop_once(struct loop *l, bool block);
void loop_break(struct loop *l);

/* A one-shot or repeating timer; the callback may delete its own timer. */
struct loop_timer *loop_timer_add(struct loop *l, unsigned ms, bool repeat, void (*cb)(void *arg), void *arg);
void loop_timer_del(struct loop_timer *t);

/* Watches fd for LOOP_READ/LOOP_WRITE (persistent until deleted). */
struct loop_watch *loop_watch_add(struct loop *l, int fd, int what, void (*cb)(int fd, int what, void *arg), void *arg);
void loop_watch_del(struct loop_watch *w);

/* Signals through the loop (never async-signal context); cb runs in the loop. */
int loop_signal(struct loop *l, int sig, void (*cb)(int sig, void *arg), void *arg);

/*
 * The c-ares channel of the loop, created on first use from servers
 * ("ip[:port],..." or "" for /etc/resolv.conf), timeout_ms and tries, with
 * its sockets driven by the loop through ARES_OPT_SOCK_STATE_CB. Returns
 * NULL and fills err when c-ares cannot start.
 */
struct ares_channeldata *loop_dns(struct loop *l, const char *servers, int timeout_ms, int tries, char *err,
				  size_t errlen);

#endif

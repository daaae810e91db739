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
#include <sys/socket.h>

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

/* The words of a config list ("a, b c"): malloc'd strings in a malloc'd,
 * NULL-ended array (util_words_free); the count. */
size_t util_words(const char *list, char ***out);
/* qsort, but nothing to do (and no NULL base passed on) below two items. */
void util_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void util_words_free(char **v);

/* A count per key (any bytes), for "top N" tables: zero-initialise, add,
 * then read it sorted. */
struct count_slot {
	char *key;   /* a NUL-terminated copy */
	size_t klen;
	size_t n;
};
struct counter {
	struct count_slot *slot; /* open addressing; key NULL = free */
	size_t cap, n;
};
void counter_add(struct counter *c, const char *key, size_t klen);
/* The n keys counted, most first, ties by key: a malloc'd array of
 * pointers into c (free the array only); NULL when there are none. */
const struct count_slot **counter_sorted(const struct counter *c);
void counter_free(struct counter *c);

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
 *   SAN_UTF8   only invalid UTF-8 and DEL are escaped; the other controls
 *              pass (for JSON, whose encoder escapes them itself).
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
		int ketama_points;    /* 150: Cache::Memcached::Fast's ketama_points */
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

/* ---- aliasdb.c: alias maps (sendmail/Postfix aliases.db, text aliases) ---- */

/*
 * An alias map in memory: every record's key and value in one blob, in the
 * order of the source (cursor order for a db, file order for text), found
 * by key through a hash index built on first lookup. Keys and values are
 * the stored bytes with exactly one trailing NUL stripped when present.
 */
struct alias_ent {
	uint32_t koff, klen; /* key: blob + koff, klen bytes */
	uint32_t voff, vlen; /* value */
	uint32_t line;       /* text maps: line of the key (1-based); db: 0 */
	bool nul;            /* db maps: the key was stored with its NUL */
};

struct alias_problem {
	uint32_t line;
	bool duplicate; /* a repeated name (kept or dropped per the rules), not a rejected line */
	char *key;      /* for a duplicate, the name repeated; else NULL */
	char *msg;      /* the MTA's own wording */
};

struct alias_map {
	char *blob;
	size_t bloblen, blobcap;
	struct alias_ent *ents;
	size_t n, cap;
	uint32_t *index;     /* open-addressing hash of entry numbers + 1; NULL until needed */
	size_t index_size;
	/* db maps */
	char *path;
	char type[8];        /* "hash", "btree", "text" */
	bool has_at;         /* the "@" record a complete newaliases/postalias build writes */
	bool nul_terminated; /* at least one key was stored with its NUL */
	bool mixed_nul;      /* some keys with NUL, some without */
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	/* text maps: rejected lines and duplicates, in file order */
	struct alias_problem *problems;
	size_t nproblems;
};

void aliasmap_init(struct alias_map *m);
void aliasmap_free(struct alias_map *m);
/* Appends a record (bytes copied). */
void aliasmap_add(struct alias_map *m, const char *k, size_t klen, const char *v, size_t vlen, uint32_t line);
/* Adds, or replaces the value of the record with the same key in place. */
void aliasmap_put(struct alias_map *m, const char *k, size_t klen, const char *v, size_t vlen, uint32_t line);
/* A db record (nul: stored with its trailing NUL, now stripped). */
void aliasmap_add_db(struct alias_map *m, const char *k, size_t klen, const char *v, size_t vlen, bool nul);
/* After the last aliasmap_add_db: where a key was stored both with and
 * without its NUL, look-ups find the record with it. */
void aliasmap_db_done(struct alias_map *m);
/* Entry by exact key bytes, or NULL (later duplicates win, as in a db). */
const struct alias_ent *aliasmap_get(struct alias_map *m, const char *k, size_t klen);
/* As sendmail looks up a local name: ASCII lower-cased. */
const struct alias_ent *aliasmap_lookup(struct alias_map *m, const char *name, size_t len);
/* True for the records a plain listing hides: "@" and "YP_*". */
bool aliasmap_is_meta(const char *k, size_t klen);
/* Postfix's layout: postalias marks its dbs with YP_LAST_MODIFIED (and a
 * db whose keys have no NUL is not sendmail's). */
bool aliasmap_is_postfix(struct alias_map *m);
static inline const char *aliasmap_key(const struct alias_map *m, const struct alias_ent *e)
{
	return m->blob + e->koff;
}
static inline const char *aliasmap_val(const struct alias_map *m, const struct alias_ent *e)
{
	return m->blob + e->voff;
}

/*
 * Reads a Berkeley DB alias map (hash or btree, opened DB_UNKNOWN and
 * DB_RDONLY with no environment) under a shared flock taken on a separate
 * read-only descriptor, retried for lock_wait_ms and released as soon as the
 * snapshot is taken. libdb itself runs in a child process that streams the
 * records back, so a corrupt file that crashes libdb, loops in its pages or
 * stops answering is an error here, not a crash or a hang. Returns 0, or an
 * exit code with err filled: EXIT_TEMPFAIL when a rebuild holds the lock,
 * EXIT_NOPERM (naming the group that can read it), EXIT_NOINPUT,
 * EXIT_DATAERR for a corrupt or foreign file.
 */
int aliasdb_snapshot(const char *path, int lock_wait_ms, struct alias_map *m, char *err, size_t errlen);
/* A record of a scan: key and value with one trailing NUL stripped (nul
 * says there was one). Returning non-zero stops the scan. */
typedef int (*aliasdb_cb)(void *arg, const char *k, size_t klen, const char *v, size_t vlen, bool nul);
/* The same read, streamed: cb is called for each record under the lock (it
 * must not wait on anything). cb returning non-zero stops the scan. */
int aliasdb_scan(const char *path, int lock_wait_ms, aliasdb_cb cb, void *arg, struct alias_map *info, char *err,
		 size_t errlen);
/*
 * The same read in steps, for the console: open takes the lock and opens
 * the db (filling info's identity and type), each step hands at most max
 * records to cb and sets *done after the last (info's has_at and NUL flags
 * are final then), close releases the lock. A step waits at most wait_ms
 * for records to arrive (the console passes 0 and comes back on its next
 * pass). Steps are meant to follow each other within one loop pass or a
 * few, never across a wait for the user. open and step return 0 or an exit
 * code with err filled.
 */
struct aliasdb_reader;
int aliasdb_reader_open(const char *path, int lock_wait_ms, struct alias_map *info, struct aliasdb_reader **r,
			char *err, size_t errlen);
int aliasdb_reader_step(struct aliasdb_reader *r, size_t max, int wait_ms, aliasdb_cb cb, void *arg, bool *done,
			char *err, size_t errlen);
void aliasdb_reader_close(struct aliasdb_reader *r);
/* The same, for a caller that returns to a user between steps: the child
 * spools the whole read into memory of its own and releases the lock when
 * it is done, whatever the caller does meanwhile. */
int aliasdb_reader_open_spooled(const char *path, int lock_wait_ms, struct alias_map *info,
				struct aliasdb_reader **r, char *err, size_t errlen);
/* EXIT_NOPERM with err naming the owner or group that may read path. */
int aliasdb_perm_error(const char *path, char *err, size_t errlen);
/*
 * One look-up as sendmail does it: the name ASCII lower-cased, tried with
 * and without a trailing NUL. Returns 1 and a malloc'd *val, 0 when there
 * is no such key, or -1 with *code (an exit code) and err set.
 */
int aliasdb_get(const char *path, int lock_wait_ms, const char *name, size_t len, char **val, size_t *vlen,
		int *code, char *err, size_t errlen);
/*
 * The alias db the MTA uses, when none is configured: the first
 * "O AliasFile=" of /etc/mail/sendmail.cf (class: prefixes and -N flags
 * dropped), else the first hash:/btree: map of Postfix's alias_maps in
 * /etc/postfix/main.cf (its last definition, continuation lines joined),
 * else /etc/aliases; with ".db" added. The roots are
 * parameters so tests can point them elsewhere. malloc'd.
 */
char *aliasdb_discover(const char *sendmail_cf, const char *postfix_main_cf);
/* True when the file at m->path is no longer the one the snapshot was taken from. */
bool aliasdb_changed(const struct alias_map *m);
/* Whether path is a Berkeley DB file (hash or btree: its magic number). */
bool aliasdb_is_db(const char *path);
/*
 * Writes m to db_path the way Debian sendmail's newaliases does (hash,
 * NUL-terminated keys and values, "@" last) or, with postfix, as postalias
 * does; into a temporary file in the same directory renamed over db_path
 * while an exclusive flock is held on the old file (waited for up to
 * lock_wait_ms, then EXIT_TEMPFAIL), keeping its owner and mode; synced to
 * disk before and after the rename. Returns 0 or an exit code with err
 * filled.
 */
int aliasdb_build(const struct alias_map *m, const char *db_path, bool postfix, int lock_wait_ms, char *err,
		  size_t errlen);

/*
 * Parses a text aliases file with sendmail's rules (postfix = false: '#'
 * lines swallow the indented lines after them, continuation lines keep
 * their leading whitespace, backslash-newline is removed, keys are
 * lower-cased, the last duplicate wins) or Postfix's (the first duplicate
 * wins, values normalised to "a, b"). Rejected lines and duplicates go to
 * m->problems. aliastext_load returns 0 or an exit code.
 */
void aliastext_parse(const char *text, size_t len, bool postfix, struct alias_map *m);
int aliastext_load(const char *path, bool postfix, struct alias_map *m, char *err, size_t errlen);

/* ---- aliasexp.c: expansion, reverse look-up and checks over alias maps ---- */

enum alias_kind {
	AK_ALIAS,   /* a name found in the map: its targets follow, one level deeper */
	AK_USER,    /* a local user (getpwnam) */
	AK_INCLUDE, /* :include:FILE; its targets follow */
	AK_PROGRAM, /* |program */
	AK_FILE,    /* /file */
	AK_REMOTE,  /* user@domain not in local_domains */
	AK_ERROR,   /* error:CODE TEXT */
	AK_UNKNOWN, /* a local name that is neither an alias nor a user */
};

/* What is wrong with a node, if anything (the note says it in words). */
enum alias_fault {
	AF_NONE,
	AF_LOOP,      /* "aliasing/forwarding loop broken" */
	AF_DEPTH,     /* more than ALIAS_MAX_DEPTH aliases deep */
	AF_UNKNOWN,   /* a local name that is neither an alias nor a user */
	AF_INCLUDE,   /* an include file that cannot be read */
	AF_PROGRAM,   /* |program that is not executable */
};

struct alias_node {
	int depth;             /* 0 = the address asked for */
	enum alias_kind kind;
	char *addr;            /* the target as written */
	char *note;            /* why it is flagged, or what goes with it (owner-X), or NULL */
	enum alias_fault fault;
	bool duplicate;        /* already delivered to earlier in the tree */
};

struct alias_tree {
	struct alias_node *nodes;
	size_t n, cap;
};

/* Where names are looked up: the alias map first, then the extra maps. */
struct alias_env {
	struct alias_map *map;
	struct alias_map **extra; /* virtual_alias_maps, virtusertable; may be NULL */
	size_t nextra;
	const char *local_domains; /* comma/space separated; "user@<local>" is local */
	/* getpwnam() answers by name ("y"/"n"), so a check of a million
	 * aliases asks once per distinct name (NSS sources such as LDAP or
	 * sssd need not enumerate). Zero-initialise; alias_env_free()
	 * releases it. */
	struct alias_map *users;
};

void alias_env_free(struct alias_env *env);

/* sendmail's limit: "loop broken (11 aliases deep; 10 max)". */
#define ALIAS_MAX_DEPTH 10

const char *alias_kind_name(enum alias_kind k);
/* "loop", "too-deep", "unknown-user", "missing-include", "program", or NULL for AF_NONE. */
const char *alias_fault_name(enum alias_fault f);
/* True when every leaf of the tree can be delivered to (no fault, no error: target). */
bool alias_tree_deliverable(const struct alias_tree *t);
/* Splits a value into its targets (commas outside quotes and angle brackets). */
size_t alias_split(const char *v, size_t len, char ***targets);
void alias_targets_free(char **t, size_t n);
/* The expansion tree of addr, depth first, as sendmail -bv would walk it. */
void alias_expand(const struct alias_env *env, const char *addr, struct alias_tree *out);
void alias_tree_free(struct alias_tree *t);

/* Reverse look-up: every alias that reaches target, with the path. */
struct alias_who {
	char *alias;  /* the alias name */
	char *path;   /* "alias -> ... -> target" */
	int depth;    /* 1 = lists target itself */
};
size_t alias_who(const struct alias_env *env, const char *target, struct alias_who **out);
/* The reverse index alias_who builds, kept for repeated questions (the
 * console): 16 bytes per target, built once per snapshot. */
struct alias_rindex;
struct alias_rindex *alias_rindex_build(const struct alias_env *env);
void alias_rindex_free(struct alias_rindex *ix);
size_t alias_who_indexed(const struct alias_env *env, const struct alias_rindex *ix, const char *target,
			 struct alias_who **out);
void alias_who_free(struct alias_who *w, size_t n);

/* ---- memcache.c: the memcached pool, key placement, memcached's texts ---- */

struct mc_server {
	char *spec;   /* as configured: "10.0.0.1:11211:2", "/run/memcached.sock" */
	char *host;   /* NULL for a socket */
	char *port;
	char *path;   /* unix socket, or NULL */
	int weight;
};

struct mc_point {
	uint32_t point, index, order;
};

struct mc_pool {
	struct mc_server *servers; /* in the filter's order */
	size_t n;
	enum cache_hash hash;
	uint32_t *buckets;         /* Cache::Memcached: a server per bucket, weight-N servers N times */
	size_t nbuckets;
	struct mc_point *points;   /* Cache::Memcached::Fast: the ketama continuum, sorted */
	size_t npoints;
	char *ns;                  /* the namespace: on the wire, not hashed */
};

/* Parses [cache] servers ("" = 127.0.0.1:11211). 0 or EXIT_CONFIG with err. */
int mc_pool_init(struct mc_pool *p, const char *servers, enum cache_hash hash, int ketama_points, const char *ns,
		 char *err, size_t errlen);
void mc_pool_free(struct mc_pool *p);
/* Cache::Memcached's _hashfunc: (crc32 >> 16) & 0x7fff (libhashkit's CRC). */
uint32_t mc_hash_crc(const char *key, size_t len);
/* The server a client writes key (without the namespace) to. */
size_t mc_pool_server(const struct mc_pool *p, const char *key, size_t len);
/* That server, then the others Cache::Memcached's rehash tries while
 * servers are down, each once, in order; at most max. The count. */
size_t mc_pool_chain(const struct mc_pool *p, const char *key, size_t len, size_t *out, size_t max);
const char *mc_server_name(const struct mc_server *s);

/* %XX decoded (metadump keys). */
void mc_url_decode(const char *s, size_t len, struct buf *out);

/* One item of `lru_crawler metadump`. exp and la are the server's clock. */
struct mc_meta {
	const char *key; /* decoded, in the key buffer given */
	size_t klen;
	int64_t exp;     /* -1: never expires */
	int64_t la;      /* last access */
	uint64_t cas;
	bool fetched;
	int cls;         /* slab class */
	int64_t size;
	int64_t flags;   /* -1 when the server does not say */
};
/* 1 an item, 0 the END, 2 a line to ignore ("OK", empty), -1 garbled. */
int mc_metadump_line(const char *line, size_t len, struct mc_meta *m, struct buf *key);
/* "STAT name value": 1, 0 at END, -1 otherwise. */
int mc_stat_line(const char *line, size_t len, const char **name, size_t *nlen, const char **val, size_t *vlen);

/* The value of a verification entry: "<state> <code> <dsn> <time> <host> <text>". */
struct mc_schema {
	char state[16];  /* valid, invalid, accept-all, refused */
	int code;        /* 0 for "-" */
	char dsn[16];    /* "" for "-" */
	int64_t when;    /* unix time of the answer */
	const char *host, *text; /* into the value; NULL for "-" */
	size_t hostlen, textlen;
};
bool mc_schema_parse(const char *v, size_t len, struct mc_schema *s);
/*
 * The key of a verification entry, without the namespace: prefix, kind
 * ('r' recipient, 'd' domain), ':', then s lower-cased with bytes <= 0x20,
 * 0x7f and '%' as %XX; when that with the namespace would pass memcached's
 * 250 bytes, prefix "h:" and the hex SHA-1 of the long key instead.
 */
void mc_schema_key(const char *ns, const char *prefix, char kind, const char *s, size_t len, struct buf *out);
/* The value line: "<state> <code> <dsn> <time> <host> <text>", '-' for an
 * empty field, the text made one safe line. */
void mc_schema_value(const char *state, int code, const char *dsn, long long when, const char *host, const char *text,
		     size_t textlen, struct buf *out);
/* memcached's exptime for a TTL: as is up to 30 days, else an absolute time. */
long long mc_exptime(long ttl, long long now);

/* ---- mcclient.c: one memcached server, over the loop, never blocking ---- */

/* Results of a request. */
enum { MC_OK = 0, MC_DOWN, MC_TIMEOUT, MC_PROTO, MC_REFUSED };

/* A request ended: status MC_OK, or why it did not (the server is DOWN
 * for MC_DOWN/MC_TIMEOUT/MC_PROTO; MC_REFUSED: only this command failed).
 * For mc_mdel, why is "deleted notfound errors" on MC_OK. */
typedef void (*mc_done_fn)(void *arg, int status, const char *why);
typedef void (*mc_stat_fn)(void *arg, const char *name, size_t nlen, const char *val, size_t vlen);
typedef void (*mc_meta_fn)(void *arg, const struct mc_meta *m);

/* A meta get's answer: hit, and what the flags asked for returned. */
struct mc_mg {
	bool hit;
	int64_t size, ttl, flags, idle; /* ttl -1: never; -2 / -1: not asked */
	int hit_before;                 /* -1 not asked */
	uint64_t cas;
	const char *value;              /* with v; valid during the callback */
	size_t vlen;
};
typedef void (*mc_mg_fn)(void *arg, const struct mc_mg *g);

struct mc_conn;
struct loop;
struct ares_channeldata;
/*
 * Connects to s through the loop (dns, may be NULL, resolves host names).
 * Requests may be queued at once; they go out when connected and are
 * answered in order. Every request's done is called exactly once, also
 * when the connection fails (then with the reason, and the connection
 * stays failed). Callbacks may queue more requests, and may free c.
 */
struct mc_conn *mc_conn_new(struct loop *l, const struct mc_server *s, int connect_ms, int read_ms,
			    struct ares_channeldata *dns);
void mc_conn_free(struct mc_conn *c);
bool mc_conn_failed(const struct mc_conn *c, const char **why);
const char *mc_conn_name(const struct mc_conn *c);
/* stats, "stats settings", "stats slabs", "stats items". */
void mc_stats(struct mc_conn *c, const char *sub, mc_stat_fn row, mc_done_fn done, void *arg);
/* lru_crawler metadump hash (all, on servers before 1.6.9): item for every
 * key, at the speed the server sends. Alone on its connection (memcached
 * refuses pipelining it). */
void mc_metadump(struct mc_conn *c, mc_meta_fn item, mc_done_fn done, void *arg);
/* mg KEY FLAGS (key as on the wire, namespace included). */
void mc_mget(struct mc_conn *c, const char *key, size_t klen, const char *flags, mc_mg_fn res, mc_done_fn done,
	     void *arg);
/* md KEY q for each key, then mn: one round trip for the batch. */
void mc_mdel(struct mc_conn *c, const char *const *keys, const size_t *klens, size_t n, mc_done_fn done, void *arg);
void mc_flush_all(struct mc_conn *c, mc_done_fn done, void *arg);
/* set KEY FLAGS EXPTIME: exptime as memcached takes it (seconds up to 30
 * days, else a unix time; 0 never expires). */
void mc_set(struct mc_conn *c, const char *key, size_t klen, const char *val, size_t vlen, unsigned flags,
	    long long exptime, mc_done_fn done, void *arg);
/* A key memcached's text protocol can carry: 1..250 bytes, no blank or control byte. */
bool mc_key_ok(const char *key, size_t len);

/* ---- mailbox.c: messages from mbox, Maildir, MH, .eml and stdin ---- */

/* One message, as mailbox_read hands it over. */
struct mbox_msg {
	size_t n;              /* 1-based position across all the sources given */
	const char *source;    /* the file it is in ("-" for standard input) */
	int64_t offset;        /* of its "From " line in an mbox; 0 for a file of its own */
	const char *from_line; /* the mbox "From " line (without its LF), or NULL */
	size_t from_len;
	const char *data;      /* header and body, ">From " unquoted, bare CRs made LF */
	size_t len;
	bool truncated;        /* the file ended inside it (in the header, or before its Content-Length) */
	const char *error;     /* set when it could not be read at all (data is NULL then) */
};
/* Called for each message in order; data is valid during the call only.
 * A non-zero return stops the reading. */
typedef int (*mbox_fn)(void *arg, const struct mbox_msg *m);
struct mbox_opts {
	bool recursive;        /* Maildir++ subfolders and Maildirs below a Maildir */
	/* every 16 MB read, and at the end; total is 0 when unknown (directories, stdin) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};
/*
 * Reads the sources in order: an mbox file (a file whose first line is
 * "From "; split at "From " lines after a blank line, or where a
 * Content-Length lands on one), a single message file, a Maildir (cur/
 * then new/, names sorted, never tmp/), an MH or plain directory (its files
 * in numeric/name order), or "-" (standard input, spooled to an unlinked
 * temporary file). Files are mapped, and the pages read are given back
 * every 16 MB: memory is bounded by the largest message. A file of a
 * directory that cannot be read is a message with error set, and the
 * reading goes on. Returns 0, or an exit code with err
 * filled when a source given cannot be read at all (EXIT_NOINPUT,
 * EXIT_NOPERM).
 */
int mailbox_read(const char *const *sources, size_t n, const struct mbox_opts *o, mbox_fn cb, void *arg, char *err,
		 size_t errlen);
/* The message at (source, offset) again, into out (for display). */
int mailbox_get(const char *source, int64_t offset, struct buf *out, char *err, size_t errlen);
/* The offset of the body: after the first empty line (LF or CRLF), or len. */
size_t mail_body_offset(const char *p, size_t len);
/* The first header called name (any case), unfolded, into out; false when absent. */
bool mail_header(const char *p, size_t len, const char *name, struct buf *out);

/* ---- mime.c: GMime's start, RFC 2047 decoding ---- */

/* g_mime_init(), once; every user of GMime calls it first. */
void mime_init(void);
/* A header value (unfolded) decoded from RFC 2047 to UTF-8, into out. */
void mime_decode_header(const char *raw, size_t len, struct buf *out);
/* Unicode code points of UTF-8 text (an invalid byte counts as one). */
size_t utf8_codepoints(const char *s, size_t len);

/* ---- feedback.c: feedback-loop reports (RFC 5965 ARF, 6591, 6692, DMARC failure) ---- */

/* A field of a report, as the report spelt it, unfolded and trimmed. */
enum { FB_KNOWN = 1, FB_MALFORMED = 2 };
struct fb_field {
	char *name;
	char *value;
	unsigned flags; /* FB_KNOWN: a registered field; FB_MALFORMED: single-valued, repeated */
};

/* One report. Variants other than "arf" carry what they said as made-up
 * fields with the ARF names, so every report reads the same way. */
struct fb_report {
	const char *variant;      /* "arf", "jmrp", "ses-json", "exim-text", "apple-unsubscribe" */
	struct fb_field *fields;  /* in the report's order, unknown ones too */
	size_t nfields;
	char *report_text;        /* arf: the machine-readable part, transfer-decoded */
	char *human;              /* the human-readable part in UTF-8, or NULL */
	char *original;           /* the original message or its headers, or NULL */
	size_t original_len, orig_header_len;
	/* normalised */
	char *feedback_type;      /* lower-cased; "" when missing */
	bool type_registered;     /* an IANA-registered type */
	int64_t arrival;          /* unix time, -1 when none or unreadable */
	const char *arrival_field; /* "Arrival-Date" or "Received-Date" (the stand-in), or NULL */
	char *source_ip;          /* the address, comments stripped; raw when not an IP */
	bool source_ip_ok;        /* source_ip is an IP address */
	char *mail_from;          /* Original-Mail-From's address, or NULL */
	char *auth_failure;       /* lower-cased, or NULL */
	char **rcpts;             /* Original-Rcpt-To (and Removal-Recipient), addresses, no duplicates */
	size_t nrcpts;
	char **domains;           /* Reported-Domain */
	size_t ndomains;
	char **problems;          /* what was malformed, in words */
	size_t nproblems;
	/* the original message */
	char *orig_from, *orig_to, *orig_subject; /* RFC 2047-decoded to UTF-8 */
	char *orig_from_addr;     /* the From's address */
	char *orig_subject_raw;   /* as written, unfolded */
	char *orig_subject_line;  /* "Subject: ..." with its folds */
	char *orig_message_id;
	int64_t orig_date;        /* -1 when none */
	char *orig_received_ip;   /* from the topmost Received */
};

/* A message and the reports in it (none: not a report). */
struct fb_message {
	struct fb_report *reports;
	size_t n;
	char *from;               /* the report's own From (decoded), Return-Path, Subject */
	char *return_path;
	char *subject_raw, *subject;
	char *message_id;
	int64_t date;
	char *reporter;           /* the From address (else Return-Path's) */
	char *provider;           /* from the table of known senders, or NULL */
	char *error;              /* set when the message could not be read at all */
};

/* The known feedback-loop senders: built in, and a file of lines
 * "PATTERN PROVIDER NAME" (PATTERN: an address, "@domain" for the domain
 * and its subdomains, or "ua:PREFIX" for a User-Agent) whose lines win.
 * path NULL or "": the built-in table. NULL with err set on error. */
struct fb_reporters;
struct fb_reporters *fb_reporters_load(const char *path, char *err, size_t errlen);
void fb_reporters_free(struct fb_reporters *t);
const char *fb_provider(const struct fb_reporters *t, const char *addr, const char *user_agent);
/*
 * Parses one message (as mailbox_read hands it over). Returns 0 (m->n
 * reports, maybe 0), or -1 with m->error set when it could not be read at
 * all. Free m with feedback_free either way. t may be NULL.
 */
int feedback_parse(const char *data, size_t len, const struct fb_reporters *t, struct fb_message *m);
/*
 * feedback_parse() with a choice of what is kept; feedback_parse() is this
 * with FB_WANT_BODY. Without it each report's human, original,
 * original_len and orig_header_len are left NULL and 0, and an attached
 * original message is read for its header only: the rest (every field,
 * the normalised values, report_text, problems and the orig_* fields from
 * the original's header) is the same as with it. For readers of many
 * messages that print no bodies (arf list, summary, complainers, doctor).
 */
enum { FB_WANT_BODY = 1 };
int feedback_parse_opts(const char *data, size_t len, const struct fb_reporters *t, unsigned flags,
			struct fb_message *m);
void feedback_free(struct fb_message *m);
/* The first value of a field (any case), or NULL. */
const char *fb_get(const struct fb_report *r, const char *name);
/* RFC 5322 (obsolete zones, 2-digit years) or ISO 8601 date: unix time, or -1. */
int64_t fb_parse_date(const char *s);
/* Source-IP without comments or brackets into out; true when it is an IP address. */
bool fb_clean_ip(const char *in, char *out, size_t outlen);
bool fb_type_registered(const char *type);
/* A complaining address that names nobody (redacted, masked, a hash). */
bool fb_address_redacted(const char *addr);

/* ---- dns.c: where mail for a domain goes (c-ares, through the loop) ---- */

enum dns_status {
	DNS_OK,       /* targets found */
	DNS_NXDOMAIN, /* the domain does not exist */
	DNS_NULLMX,   /* "MX 0 ." (RFC 7505): the domain accepts no mail */
	DNS_NOADDR,   /* no MX, and no A/AAAA either: nowhere to deliver */
	DNS_NONE,     /* addresses exist, but every one was skipped (private, ours) */
	DNS_FAIL,     /* SERVFAIL, timeout, refused: try later */
};

#define DNS_MAX_TARGETS 5

/* One address to try, in order. */
struct dns_target {
	char host[256];  /* the MX host (or the domain itself, implicit MX) */
	int pref;        /* MX preference; -1 for an implicit MX or a route */
	char ip[64];     /* numeric, for people */
	struct sockaddr_storage sa;
	unsigned salen;
};

/* An MX host as found, for `callahead mx` (also the skipped ones). */
struct dns_host {
	char host[256];
	int pref;
	int status;      /* ARES_SUCCESS or the c-ares error of its address lookup */
	char addrs[256]; /* "192.0.2.1 2001:db8::1" */
	char skipped[256]; /* addresses left out, with why: "127.0.0.1 (loopback)" */
	int64_t ms;      /* its address lookup */
};

struct dns_mx_result {
	enum dns_status status;
	char why[256];        /* for DNS_FAIL and DNS_NONE: what went wrong */
	bool implicit;        /* no MX record: the domain's own addresses */
	struct dns_target targets[DNS_MAX_TARGETS];
	size_t n;
	struct dns_host *hosts; /* every MX host, in preference order */
	size_t nhosts;
	int64_t mx_ms;        /* the MX query */
	int64_t total_ms;
};

typedef void (*dns_mx_fn)(void *arg, const struct dns_mx_result *r);
struct loop;
struct ares_channeldata;
struct dns_query;
/*
 * The addresses mail for domain goes to, as an MTA walks them: MX records
 * by preference (equal preferences shuffled), each host's AAAA and A
 * records, at most DNS_MAX_TARGETS addresses with port set on each; no MX
 * -> the domain's own A/AAAA; NXDOMAIN, null MX and SERVFAIL/timeouts as
 * statuses. Loopback, private, link-local, reserved and this host's own
 * addresses are skipped unless allow_private. cb is called exactly once,
 * from the loop (never from inside dns_mx); the result is valid during
 * the call. dns_cancel before then: cb is not called.
 *
 * ch is l's channel (loop_dns); NULL means no resolver: DNS_FAIL "no DNS
 * resolver". l is needed because c-ares answers some look-ups before the
 * call returns (numeric hosts, /etc/hosts, malformed names): such results
 * wait for a 0 ms timer of l. If l is freed while a look-up is in flight,
 * cb runs from loop_free() with DNS_FAIL; a result still waiting for that
 * timer is lost with the loop. Cancel pending queries before loop_free().
 */
struct dns_query *dns_mx(struct loop *l, struct ares_channeldata *ch, const char *domain, int port, bool allow_private,
			 dns_mx_fn cb, void *arg);
/* A host's own addresses, no MX look-up (a configured server or a route):
 * host may be numeric, [bracketed] or a name; nothing is skipped. A
 * numeric host needs no DNS (ch may be NULL). A name not found is
 * DNS_NXDOMAIN, a name without addresses DNS_NOADDR. */
struct dns_query *dns_host(struct loop *l, struct ares_channeldata *ch, const char *host, int port, dns_mx_fn cb,
			   void *arg);
/* Stops a query whose cb has not run yet; q is invalid afterwards. */
void dns_cancel(struct dns_query *q);

/* One question and its answer, for checks that time resolvers (doctor). */
enum dns_qtype { DNS_Q_A, DNS_Q_AAAA, DNS_Q_MX, DNS_Q_TXT };
struct dns_answer {
	int status;             /* ARES_SUCCESS, ARES_ENOTFOUND, ARES_ENODATA, ARES_ESERVFAIL, ARES_ETIMEOUT, ... */
	const char *status_name; /* "ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "error" */
	char **items;           /* A/AAAA: addresses; MX: "10 mx.example.org"; TXT: each record's strings joined */
	size_t n;
	int64_t ms;             /* from the question to the answer */
};
typedef void (*dns_answer_fn)(void *arg, const struct dns_answer *a);
/* Asks ch one question; cb exactly once from the loop (never from inside
 * dns_lookup), the answer valid during the call; dns_cancel before then. */
struct dns_query *dns_lookup(struct loop *l, struct ares_channeldata *ch, const char *name, enum dns_qtype t,
			     dns_answer_fn cb, void *arg);
/* The DNSBL name of ip in zone: "4.3.2.1.zone" (IPv6: 32 nibbles). False
 * when ip is not an address. */
bool dns_dnsbl_name(const char *ip, const char *zone, char *out, size_t outlen);

/* True for addresses an MX found through DNS must not send us to. why: "loopback", ... */
bool dns_addr_private(const struct sockaddr *sa, const char **why);

/* ---- smtp.c: SMTP replies, and a probe session that never blocks ---- */

#define SMTP_LINE_MAX 2048

/* A reply, possibly multi-line, classified on its last line. */
struct smtp_reply {
	int code;        /* three digits; 0 while incomplete */
	char dsn[16];    /* enhanced status code of the last line, kept only when its class is the code's */
	struct buf text; /* the lines' texts after "NNN-" / "NNN ", joined by '\n', bytes as sent */
	int lines;
	bool truncated;  /* a line was longer than SMTP_LINE_MAX: cut there */
	bool saw_421;    /* a line had code 421: the server is closing */
};
void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_reset(struct smtp_reply *r);
void smtp_reply_free(struct smtp_reply *r);
/* Feeds one line without its line end (CRLF or LF): 1 the reply is
 * complete, 0 more lines follow, -1 not an SMTP reply (why filled). */
int smtp_reply_line(struct smtp_reply *r, const char *line, size_t len, char *why, size_t whylen);

/* What a recipient check came to (DESIGN §7). */
enum ca_state {
	CA_VALID,
	CA_INVALID,
	CA_NO_DOMAIN,
	CA_NO_MAIL,
	CA_ACCEPT_ALL,
	CA_TEMPFAIL,
	CA_RATE_LIMITED,
	CA_SENDER_REFUSED,
	CA_TLS_REQUIRED,
	CA_ERROR,
};
const char *ca_state_name(enum ca_state s);
/* From a state name; -1 when unknown. */
int ca_state_parse(const char *name, size_t len);

struct smtp_opts {
	const char *helo;     /* EHLO name */
	const char *from;     /* envelope sender without <>; "" = the null sender */
	enum starttls_mode starttls;
	int connect_ms, reply_ms, quit_ms;
	bool accept_all_probe;
	int max_rejects;      /* no new transaction after this many 5xx RCPTs (0 = 8) */
	bool transcript;      /* keep the dialogue */
};

/* The answer for one recipient. */
struct smtp_answer {
	enum ca_state state;
	int code;
	const char *dsn;      /* "" when none */
	const char *text;     /* the reply's text (raw bytes; may hold '\n') */
	size_t textlen;
	const char *transcript; /* the session's dialogue so far, or NULL */
	size_t transcript_len;
	int64_t ms;           /* from the session's start */
};

/* Why a session ended without answering every recipient given. */
struct smtp_end {
	bool failed;          /* connect, banner, EHLO, TLS, timeout, reset, garbage, 421 */
	bool refused;         /* the server refused us with a 5xx (banner, EHLO/HELO) */
	int code;             /* the reply that ended it, 0 for none */
	const char *dsn;      /* its enhanced status code, "" for none */
	const char *why;
	const char *transcript;
	size_t transcript_len;
	const char *tls;      /* "TLSv1.3 TLS_AES_256_GCM_SHA384, subject ..., issuer ..." or NULL */
	const char *ehlo;     /* the EHLO keywords, space separated, or NULL */
	int64_t ms;
	int64_t connect_ms, banner_ms, ehlo_ms; /* from the start to each; -1 when it did not happen */
	const char *banner;   /* the banner's text (raw), or NULL */
	size_t banner_len;
};

struct smtp_sess;
/* tag: the caller's, per recipient. */
typedef void (*smtp_answer_fn)(void *arg, void *tag, const struct smtp_answer *a);
/* The session is over; every recipient not answered is handed back
 * through left(arg, tag) before end is called. The session is freed
 * after end returns. */
typedef void (*smtp_left_fn)(void *arg, void *tag);
typedef void (*smtp_end_fn)(void *arg, const struct smtp_end *e);
/*
 * Connects to sa and speaks: banner, EHLO (HELO if EHLO gets 5xx),
 * STARTTLS per opts, then for each recipient given with smtp_sess_rcpt:
 * MAIL FROM, RCPT TO (and a random local part when accept_all_probe and
 * the first got 2xx), RSET; pipelined when the server offers PIPELINING.
 * QUIT when smtp_sess_close was called and nothing is left, after
 * max_rejects rejections, or on errors (never after a socket error).
 * host names the server in the transcript and the answers.
 */
struct smtp_sess *smtp_sess_new(struct loop *l, const struct sockaddr *sa, unsigned salen, const char *host,
				const struct smtp_opts *o, smtp_answer_fn answer, smtp_left_fn left, smtp_end_fn end,
				void *arg);
/* Queues a recipient; false when the session takes no more (ending). */
bool smtp_sess_rcpt(struct smtp_sess *s, const char *rcpt, void *tag);
/* No more recipients: QUIT once the queue is answered. */
void smtp_sess_close(struct smtp_sess *s);
/* Ends at once (no QUIT); left and end are not called. */
void smtp_sess_abort(struct smtp_sess *s);
/* Recipients queued and not answered yet. */
size_t smtp_sess_pending(const struct smtp_sess *s);
/* The dialogue so far (when opts.transcript), for a live view; NULL if none. */
const char *smtp_sess_transcript(const struct smtp_sess *s, size_t *len);
bool smtp_sess_accepting(const struct smtp_sess *s);
/* How far a session got, for a report made before it ends (a deadline). */
struct smtp_progress {
	int64_t connect_ms, banner_ms, ehlo_ms; /* -1: not yet */
	const char *banner;   /* raw, or NULL */
	size_t banner_len;
	const char *ehlo;     /* keywords, or NULL */
	const char *waiting;  /* what it waits for: "connect", "banner", "EHLO", "RCPT TO", ... */
	int64_t ms;           /* since the start */
};
void smtp_sess_progress(const struct smtp_sess *s, struct smtp_progress *p);

/* ---- digits.c: Benford statistics (docs/benford.md) ---- */

/*
 * An accumulator of positive numbers, fed as decimal strings (any size:
 * "123", "0.045", a 105-digit Fibonacci number) or 64-bit integers. Counts
 * per bin are kept as values arrive; the values themselves (8 bytes each)
 * only with keep_values, for the tests that need them all (second-order,
 * dup). Each test then reports the bins and statistics over the N it used:
 * F1 all values, SD/F2/L2/summation values >= 10, F3 values >= 100.
 */
enum digit_test {
	DT_F1, DT_SD, DT_F2, DT_F3, DT_L2, DT_SUMMATION, DT_SECOND_ORDER, DT_DUP, DT_COUNT
};
/* digits_add_*: what became of a value. */
enum { DIGITS_OK, DIGITS_NAN, DIGITS_ZERO, DIGITS_NEGATIVE, DIGITS_BELOW_MIN };
#define DIGITS_DUP_TOP 20 /* the dup test's rows: the most frequent values */

struct digits;
struct digits *digits_new(bool keep_values);
/* Values below min are refused (DIGITS_BELOW_MIN); 0 = no minimum. */
void digits_set_min(struct digits *d, double min);
/* A decimal number (digits, optional fraction; spaces around it ignored). */
int digits_add_dec(struct digits *d, const char *s, size_t len);
int digits_add_u64(struct digits *d, uint64_t v);
size_t digits_count(const struct digits *d); /* values taken */
void digits_free(struct digits *d);

struct digit_bin {
	char label[24];  /* "1", "10", "00" (L2), or the value (dup) */
	double value;    /* the bin as a number (dup: the value) */
	double count;    /* values in the bin */
	double expected; /* expected count (summation: expected sum, total/90) */
	double ap, ep, diff; /* actual, expected proportion; ap - ep */
	double sum;      /* summation: the sum of the bin's values */
	double z;        /* with the continuity correction 1/(2N) only when it is smaller than |ap - ep| */
	bool has_z, flagged; /* flagged: z > 1.96 */
};
struct digit_result {
	enum digit_test test;
	size_t n;          /* the values this test used */
	size_t nbins;
	struct digit_bin *bins;
	bool has_chi2;     /* false for summation, dup, and when n is 0 */
	double chi2, chi2_crit, p; /* chi2_crit: 0.05 upper tail at df */
	int df;
	double ks, ks_crit; /* max |cumulative ap - ep|; 1.36/sqrt(n) */
	double mad;
	const char *conformity; /* Nigrini's label for F1/SD/F2/F3, else NULL */
	double total;      /* summation: the sum of the values >= 10 */
	size_t distinct;   /* dup: distinct values */
};
/* Fills r (free with digits_result_free); -1 when the test needs kept values. */
int digits_result(struct digits *d, enum digit_test t, struct digit_result *r);
void digits_result_free(struct digit_result *r);

struct digits_mantissa {
	size_t n;
	double mean, var;          /* expected 0.5 and 1/12 */
	double arc_x, arc_y, arc_l2, arc_p; /* mantissa arc test (Alexander 2009) */
	size_t df_n;               /* values >= 10: the distortion factor's N */
	double df, df_z;           /* distortion factor, percent, and its Z (0 when df_n is 0) */
};
void digits_mantissa(struct digits *d, struct digits_mantissa *m);

const char *digits_test_name(enum digit_test t);
int digits_test_parse(const char *s); /* -1 when unknown */
const char *digits_conformity(enum digit_test t, double mad);
/* Z and flag of one bin (count of n, expected proportion ep). */
void digits_bin_z(double count, double n, double ep, double *z, bool *flagged);
/* The band around ep in which a bin of n values is not flagged:
 * ep -+ (1.96 sqrt(ep (1 - ep) / n) + 1/(2n)), the continuity correction
 * included as in digits_bin_z (charts draw it). */
void digits_band(double ep, double n, double *lo, double *hi);
/* Regularized upper incomplete gamma Q(a, x); chi-square upper tail; its inverse. */
double digits_gammq(double a, double x);
double digits_chi2_p(double chi2, int df);
double digits_chi2_crit(int df, double alpha);

/* ---- maillog.c: sendmail, Postfix and Exim log lines; plain or gzip'd logs ---- */

enum maillog_mta { MAILLOG_OTHER, MAILLOG_SENDMAIL, MAILLOG_POSTFIX, MAILLOG_EXIM };
/* What an arrival line says: sendmail's "QID: from=..., size=N, ...,
 * nrcpts=N", Postfix qmgr's "QID: from=<...>, size=N, nrcpt=N", Exim's
 * "QID <= sender ... S=N". */
struct maillog_rec {
	enum maillog_mta mta;
	const char *qid;   /* into the line */
	size_t qid_len;
	long long size;    /* -1 when absent */
	long long nrcpts;  /* -1 when absent (always for Exim) */
};
/* True when line is one of those arrival lines (r filled). */
bool maillog_parse(const char *line, size_t len, struct maillog_rec *r);
const char *maillog_mta_name(enum maillog_mta m);

/* Queue ids seen (per MTA): add returns false for one seen before. */
struct maillog_ids;
struct maillog_ids *maillog_ids_new(void);
bool maillog_ids_add(struct maillog_ids *s, enum maillog_mta mta, const char *qid, size_t len);
void maillog_ids_free(struct maillog_ids *s);

/*
 * Reads a log file, plain or gzip-compressed (zlib), calling cb
 * for each line (with its LF, if any; numbered from 1). A non-zero return
 * from cb stops the reading (not an error). Returns 0, EXIT_NOINPUT /
 * EXIT_NOPERM when the file cannot be opened, EXIT_DATAERR on a corrupt
 * gzip stream (err filled).
 */
typedef int (*maillog_line_fn)(void *arg, const char *line, size_t len, uint64_t lineno);
int maillog_read(const char *path, maillog_line_fn cb, void *arg, char *err, size_t errlen);
/*
 * The same, from the first line of a plain log whose stamp may be at or
 * after from (the file is mapped and bisected on its stamps, syslog's time
 * order; a log of a day costs the window asked, not the day). Lines
 * before that point are not given; lines after it are, whatever their
 * stamp, for the caller to judge. lineno is 0 (the count from the top is
 * not known). A gzip'd or unmappable file is read whole, as maillog_read.
 */
int maillog_read_since(const char *path, int64_t from, int64_t now, maillog_line_fn cb, void *arg, char *err,
		       size_t errlen);
/* Line lineno of path again, into out (empty when there is none). */
int maillog_get_line(const char *path, uint64_t lineno, struct buf *out, char *err, size_t errlen);

/*
 * An event the doctor counts: a line of sendmail's or Postfix's that says
 * a session was lost, timed out or reset, a command was rejected, or a
 * delivery was deferred. Pointers are into the line, or to static text
 * (a stage made lower case, a reason worded one way so that it groups).
 * Postfix's "unknown[ip]" gives client NULL (the address groups it).
 * code is 0 where the line has no reply code (milter, deferrals).
 */
enum maillog_kind {
	ML_NONE,
	ML_LOST,      /* sendmail "lost input channel ... after rcpt"; Postfix "lost connection after RCPT" */
	ML_TIMEOUT,   /* sendmail "timeout waiting for input"; Postfix "timeout after DATA" */
	ML_RESET,     /* "Connection reset by peer" and the like */
	ML_REJECT,    /* a 4xx/5xx answer to a client: sendmail "reject=", Postfix "NOQUEUE: reject:" */
	ML_DEFER,     /* a delivery deferred: sendmail "stat=Deferred", Postfix "status=deferred" */
	ML_BOUNCE,    /* a delivery that failed for good: "dsn=5.x.x, stat=..." / "status=bounced" */
};
struct maillog_event {
	enum maillog_mta mta;
	enum maillog_kind kind;
	int64_t when;           /* unix time of the syslog stamp, -1 when unreadable */
	const char *client;     /* the client's name (or the remote host of a deferral), or NULL */
	size_t client_len;
	const char *ip;         /* its address, without brackets, or NULL */
	size_t ip_len;
	const char *stage;      /* "rcpt", "data", "connect", ... as the MTA said it, or NULL */
	size_t stage_len;
	int code;               /* the reply code of a rejection (550), 0 when none */
	const char *reason;     /* a short reason: "User unknown", "Relay access denied",
				 * "Connection timed out"; NULL when none */
	size_t reason_len;
	const char *domain;     /* the recipient's domain (deferrals, rejections), or NULL */
	size_t domain_len;
};
/*
 * Classifies a log line (syslog "Dec  3 13:47:22 host prog[pid]: ...",
 * RFC 3339 "2026-12-03T13:47:22.123+00:00 host ...", or journalctl
 * short-iso). now places a stamp without a year: the latest such time not
 * more than a day after now. True when the line is one of the events
 * above (ev filled), false otherwise (ev->kind = ML_NONE, ev->when still set).
 */
bool maillog_classify(const char *line, size_t len, int64_t now, struct maillog_event *ev);
const char *maillog_kind_name(enum maillog_kind k); /* "lost", "timeout", ... */
/* The unix time of a line's syslog stamp (as above), or -1. */
int64_t maillog_time(const char *line, size_t len, int64_t now);

/* ---- mailq.c: the mail queue, from `postqueue -j` or `mailq` ---- */

struct mailq_domain {
	char *domain;
	size_t n;               /* recipients waiting for it */
};
struct mailq_summary {
	size_t total;           /* messages */
	size_t active, deferred, hold, incoming; /* by queue (Postfix); sendmail: deferred = those with a reason */
	int64_t oldest;         /* arrival time of the oldest message, -1 when empty */
	struct mailq_domain *domains; /* deferred recipients by domain, most first */
	size_t ndomains;
	char *top_reason;       /* the most frequent delay reason, or NULL */
};
void mailq_summary_free(struct mailq_summary *s);
/* Postfix's `postqueue -j`: one JSON object per line (jansson). 0 or
 * EXIT_DATAERR with err filled. */
int mailq_parse_json(const char *text, size_t len, struct mailq_summary *s, char *err, size_t errlen);
/* The text of `mailq` (sendmail's or Postfix's): "Mail queue is empty",
 * entries, and the totals line. now dates sendmail's stamps that lack a
 * year. 0 or EXIT_DATAERR. */
int mailq_parse_text(const char *text, size_t len, int64_t now, struct mailq_summary *s, char *err, size_t errlen);

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
/* release(arg) runs if the loop is freed while t is still there: a timer
 * that owns its argument (it would free it when done) frees it then. */
void loop_timer_release(struct loop_timer *t, void (*release)(void *arg));

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

/*
 * A channel of its own that asks only server ("ip[:port]"), to tell
 * whether that resolver answers (doctor); kept by the loop (one per
 * distinct server) and freed with it. NULL with err on failure.
 */
struct ares_channeldata *loop_dns_server(struct loop *l, const char *server, int timeout_ms, int tries, char *err,
					 size_t errlen);
/* The servers a channel asks, "ip:port" each, malloc'd array of malloc'd
 * strings; the count. */
size_t loop_dns_servers(struct ares_channeldata *ch, char ***out);

/* ---- child.c: blocking work in a child process, read through the loop ---- */

struct loop_child;
/* Runs in the child with the pipe's write end; returns its exit status.
 * Its standard descriptors are /dev/null; it ends with _exit. */
typedef int (*child_main_fn)(void *arg, int fd);
/* Bytes as the child writes them (called any number of times). */
typedef void (*child_data_fn)(void *arg, const char *p, size_t n);
/* Once, after the child closed its end, with its wait status (or -1). c
 * is freed by then. */
typedef void (*child_end_fn)(void *arg, int status);
/* Forks fn(fnarg, fd); NULL with err when it cannot. */
struct loop_child *loop_child_start(struct loop *l, child_main_fn fn, void *fnarg, child_data_fn data,
				    child_end_fn end, void *arg, char *err, size_t errlen);
/* Kills the child and what it started (its process group, SIGKILL) and
 * reaps it: data and end are not called again. */
void loop_child_kill(struct loop_child *c);
/* Sends sig to the child's process group (SIGTERM: a polite stop); end is
 * called as usual when it has gone. */
void loop_child_signal(struct loop_child *c, int sig);
/* write() until done; false on error. */
bool child_write_all(int fd, const void *p, size_t n);

/* ---- route.c: callahead routes, host:port ---- */

/* [callahead] routes: "domain [host]:port" lines (mailertable's
 * "smtp:[host]" too); '#' comments. An empty path is an empty table;
 * NULL with err when the file cannot be read. */
struct ca_routes;
struct ca_routes *routes_load(const char *path, char *err, size_t errlen);
/* The route for domain: the exact name, else the nearest ".parent" entry; NULL. */
const char *routes_find(const struct ca_routes *t, const char *domain);
void routes_free(struct ca_routes *t);
/* "host", "host:port", "[host]:port", a bare IPv6 address: host into
 * host[hl], the port (defport when none or out of range). */
int hostport_split(const char *spec, int defport, char *host, size_t hl);

#endif

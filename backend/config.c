/*
 * backend/config.c: the INI config (DESIGN §6), read with inih.
 *
 * Owns config_keys[]: every key with its type, default and help (what
 * `mailops config show`, docs/mailops.conf.5 and docs/examples/mailops.conf
 * follow), where it lives in struct config and which values it takes.
 * Defaults are applied by parsing config_keys[].def with the same code as a
 * file, so a default cannot disagree with what a file may say.
 *
 * Every error names the file and the line: unknown sections and keys (with
 * the nearest valid name), bad values, syntax errors inih finds itself, and
 * lines too long for the line buffer (which inih would split silently).
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

/* The line buffer inih gets; a line may hold this minus "\r\n\0". */
enum { CONFIG_MAX_LINE = 4096, CONFIG_MAX_TEXT = CONFIG_MAX_LINE - 3 };
/* A config file is a few kilobytes; more means a wrong path (a log, /dev/zero). */
enum { CONFIG_MAX_FILE = 1024 * 1024 };
/* Values quoted in messages are cut here so the reason still fits. */
enum { QUOTE_MAX = 64 };

/* config_key.kind: how a key is stored, decided by the C type of its field. */
enum key_kind { K_STR, K_INT, K_LONG, K_BOOL, K_HASH, K_TLS };

#define OFF(f)    offsetof(struct config, f)
#define TEN_YEARS (10LL * 365 * 86400)

const struct config_key config_keys[] = {
	{"aliases", "db", "string", "",
	 "alias database; empty = the one sendmail.cf or main.cf names, else /etc/aliases.db",
	 K_STR, OFF(aliases.db), 0, 0},
	{"aliases", "text", "string", "", "text aliases file; empty = the db path without .db",
	 K_STR, OFF(aliases.text), 0, 0},
	{"aliases", "local_domains", "string", "", "domains whose addresses are looked up in the aliases (list)",
	 K_STR, OFF(aliases.local_domains), 0, 0},
	{"aliases", "lock_wait_ms", "int", "10000", "how long to wait for a locked alias database before a tempfail",
	 K_INT, OFF(aliases.lock_wait_ms), 0, 3600000},
	{"aliases", "maps", "string", "",
	 "other alias-like maps to browse, class:path list (virtual_alias_maps, virtusertable)",
	 K_STR, OFF(aliases.maps), 0, 0},

	{"cache", "servers", "string", "",
	 "memcached servers in Cache::Memcached order: host:port[:weight] or a socket path (list)",
	 K_STR, OFF(cache.servers), 0, 0},
	{"cache", "namespace", "string", "", "namespace the mail filter's Cache::Memcached puts before every key",
	 K_STR, OFF(cache.namespace_), 0, 0},
	{"cache", "prefix", "string", "ca:", "prefix of verification entries, after the namespace",
	 K_STR, OFF(cache.prefix), 0, 0},
	{"cache", "hash", "enum", "crc", "server selection: crc (Cache::Memcached) or ketama (Cache::Memcached::Fast)",
	 K_HASH, OFF(cache.hash), 0, 0},
	{"cache", "ketama_points", "int", "150", "points per server on the ketama continuum (Cache::Memcached::Fast's ketama_points)",
	 K_INT, OFF(cache.ketama_points), 1, 100000},
	{"cache", "connect_timeout_ms", "int", "500", "milliseconds to connect to a memcached server",
	 K_INT, OFF(cache.connect_timeout_ms), 1, 600000},
	{"cache", "read_timeout_ms", "int", "500", "milliseconds to wait for a memcached reply",
	 K_INT, OFF(cache.read_timeout_ms), 1, 600000},

	{"callahead", "server", "string", "", "host[:port] to probe; empty = the MX of the recipient's domain",
	 K_STR, OFF(callahead.server), 0, 0},
	{"callahead", "routes", "string", "", "file of 'domain [host]:port' lines, like mailertable",
	 K_STR, OFF(callahead.routes), 0, 0},
	{"callahead", "mx_port", "int", "25", "SMTP port of hosts found through MX",
	 K_INT, OFF(callahead.mx_port), 1, 65535},
	{"callahead", "allow_private", "bool", "no",
	 "probe our own, loopback and reserved addresses found through MX",
	 K_BOOL, OFF(callahead.allow_private), 0, 0},
	{"callahead", "from", "string", "<>", "envelope sender (MAIL FROM) of probes",
	 K_STR, OFF(callahead.from), 0, 0},
	{"callahead", "helo", "string", "", "EHLO name; empty = this host's name",
	 K_STR, OFF(callahead.helo), 0, 0},
	{"callahead", "starttls", "enum", "off", "off, opportunistic or required",
	 K_TLS, OFF(callahead.starttls), 0, 0},
	{"callahead", "connect_timeout", "int", "30", "seconds to connect",
	 K_INT, OFF(callahead.connect_timeout), 1, 3600},
	{"callahead", "reply_timeout", "int", "30", "seconds to wait for each reply",
	 K_INT, OFF(callahead.reply_timeout), 1, 3600},
	{"callahead", "probe_timeout", "int", "120", "seconds a whole probe may take",
	 K_INT, OFF(callahead.probe_timeout), 1, 3600},
	{"callahead", "quit_timeout", "int", "5", "seconds to wait for the reply to QUIT",
	 K_INT, OFF(callahead.quit_timeout), 1, 3600},
	{"callahead", "valid_ttl", "int", "604800", "seconds a valid recipient stays cached (7 days)",
	 K_LONG, OFF(callahead.valid_ttl), 0, TEN_YEARS},
	{"callahead", "invalid_ttl", "int", "90000", "seconds an invalid recipient stays cached (25 hours)",
	 K_LONG, OFF(callahead.invalid_ttl), 0, TEN_YEARS},
	{"callahead", "accept_all_ttl", "int", "604800", "seconds an accept-all domain stays cached (7 days)",
	 K_LONG, OFF(callahead.accept_all_ttl), 0, TEN_YEARS},
	{"callahead", "refused_ttl", "int", "10800", "seconds a domain refusing probes stays cached (3 hours)",
	 K_LONG, OFF(callahead.refused_ttl), 0, TEN_YEARS},
	{"callahead", "concurrency", "int", "32", "probes running at once",
	 K_INT, OFF(callahead.concurrency), 1, 1024},
	{"callahead", "per_server", "int", "4", "probes running at once against one server",
	 K_INT, OFF(callahead.per_server), 1, 256},
	{"callahead", "accept_all_probe", "bool", "no", "also probe a random recipient to find accept-all servers",
	 K_BOOL, OFF(callahead.accept_all_probe), 0, 0},

	{"dns", "servers", "string", "", "resolvers, ip[:port] list; empty = /etc/resolv.conf",
	 K_STR, OFF(dns.servers), 0, 0},
	{"dns", "timeout_ms", "int", "2000", "milliseconds per try",
	 K_INT, OFF(dns.timeout_ms), 1, 600000},
	{"dns", "tries", "int", "2", "tries per resolver",
	 K_INT, OFF(dns.tries), 1, 10},

	{"arf", "mailboxes", "string", "", "mailboxes with feedback reports, read when none is given (list)",
	 K_STR, OFF(arf.mailboxes), 0, 0},
	{"arf", "reporters", "string", "", "file of known feedback-loop senders",
	 K_STR, OFF(arf.reporters), 0, 0},

	{"benford", "sources", "string", "", "sources to analyse when none is given (list)",
	 K_STR, OFF(benford.sources), 0, 0},
	{"benford", "small_n", "int", "1000", "fewer numbers than this are flagged as too small a sample",
	 K_INT, OFF(benford.small_n), 1, 1000000000},

	{"doctor", "probe_address", "string", "", "recipient to call ahead; empty = postmaster@ the first local domain",
	 K_STR, OFF(doctor.probe_address), 0, 0},
	{"doctor", "domains", "string", "", "domains users complain about, checked beside local_domains (list)",
	 K_STR, OFF(doctor.domains), 0, 0},
	{"doctor", "log", "string", "", "mail log; empty = /var/log/mail.log, else the journal's mail facility",
	 K_STR, OFF(doctor.log), 0, 0},
	{"doctor", "since", "int", "60", "minutes of log to read",
	 K_INT, OFF(doctor.since), 1, 525600},
	{"doctor", "slow_ms", "int", "1000", "milliseconds above which an answer counts as slow",
	 K_INT, OFF(doctor.slow_ms), 1, 3600000},
	{"doctor", "deadline", "int", "15", "seconds all checks and probes together may take",
	 K_INT, OFF(doctor.deadline), 1, 3600},
	{"doctor", "dnsbl", "string", "", "DNSBL zones to look our_ips up in (list; empty = skip)",
	 K_STR, OFF(doctor.dnsbl), 0, 0},
	{"doctor", "our_ips", "string", "", "our sending IP addresses (list)",
	 K_STR, OFF(doctor.our_ips), 0, 0},

	{NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0},
};

/* Enum spellings, indexed by the enum value. */
static const char *const hash_names[] = {"crc", "ketama", NULL};
static const char *const tls_names[] = {"off", "opportunistic", "required", NULL};

static const char *const bool_true[] = {"yes", "true", "on", "1", NULL};
static const char *const bool_false[] = {"no", "false", "off", "0", NULL};

static const struct config_key *find_key(const char *section, const char *name)
{
	for (const struct config_key *k = config_keys; k->section != NULL; k++)
		if (strcmp(k->section, section) == 0 && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static bool known_section(const char *section)
{
	for (int i = 0; config_keys[i].section != NULL; i++)
		if (strcmp(config_keys[i].section, section) == 0)
			return true;
	return false;
}

/* Index of s in a NULL-ended word list, ignoring case; -1 if absent. */
static int word_index(const char *const *words, const char *s)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strcasecmp(words[i], s) == 0)
			return i;
	return -1;
}

/* "a, b or c" from a NULL-ended list, for messages. */
static void word_list(char *out, size_t outlen, const char *const *words)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; words[i] != NULL && used < outlen; i++) {
		const char *sep = i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ";
		int n = snprintf(out + used, outlen - used, "%s%s", sep, words[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/*
 * Text from the file as shown in a message: cut so that a 4000-byte server
 * list does not push the reason out of the caller's err[]. The UI sanitizes
 * err before a terminal sees it.
 */
static void cut(char *out, size_t outlen, const char *v)
{
	if (strlen(v) <= QUOTE_MAX)
		snprintf(out, outlen, "%s", v);
	else
		snprintf(out, outlen, "%.*s...", QUOTE_MAX, v);
}

static void quote(char *out, size_t outlen, const char *v)
{
	char c[QUOTE_MAX + 4];

	cut(c, sizeof(c), v);
	snprintf(out, outlen, "'%s'", c);
}

/* Parses a decimal integer the way a person writes one: no 0x, no units. */
static bool parse_number(const char *v, long long *out, bool *overflow)
{
	const char *p = v;
	char *end;

	*overflow = false;
	if (*p == '-' || *p == '+')
		p++;
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	*out = strtoll(v, &end, 10);
	*overflow = errno == ERANGE;
	return true;
}

/*
 * Stores the text v into key k of cfg. Returns true, or false with the
 * reason (without file, line or key) in why.
 */
static bool set_value(struct config *cfg, const struct config_key *k, const char *v, char *why, size_t whylen)
{
	void *p = (char *)cfg + k->offset;
	char q[QUOTE_MAX + 8], words[64];
	long long n;
	bool overflow;
	int w;

	switch ((enum key_kind)k->kind) {
	case K_STR:
		free(*(char **)p);
		*(char **)p = xstrdup(v);
		return true;
	case K_INT:
	case K_LONG:
		quote(q, sizeof(q), v);
		if (!parse_number(v, &n, &overflow)) {
			snprintf(why, whylen, "%s is not a number", q);
			return false;
		}
		if (overflow || n < k->min || n > k->max) {
			snprintf(why, whylen, "%s must be between %lld and %lld", q, k->min, k->max);
			return false;
		}
		if (k->kind == K_INT)
			*(int *)p = (int)n;
		else
			*(long *)p = (long)n;
		return true;
	case K_BOOL:
		if (word_index(bool_true, v) >= 0) {
			*(bool *)p = true;
			return true;
		}
		if (word_index(bool_false, v) >= 0) {
			*(bool *)p = false;
			return true;
		}
		quote(q, sizeof(q), v);
		snprintf(why, whylen, "%s is not a boolean (yes/no, true/false, on/off, 1/0)", q);
		return false;
	case K_HASH:
		if ((w = word_index(hash_names, v)) >= 0) {
			*(enum cache_hash *)p = (enum cache_hash)w;
			return true;
		}
		word_list(words, sizeof(words), hash_names);
		break;
	case K_TLS:
		if ((w = word_index(tls_names, v)) >= 0) {
			*(enum starttls_mode *)p = (enum starttls_mode)w;
			return true;
		}
		word_list(words, sizeof(words), tls_names);
		break;
	}
	quote(q, sizeof(q), v);
	snprintf(why, whylen, "%s is not %s", q, words);
	return false;
}

/*
 * Overwrites every field without freeing: cfg may be uninitialized. To
 * reuse a loaded config, config_free() it first. Every string field is
 * malloc'd afterwards, so config_free() can free them all.
 */
void config_defaults(struct config *cfg)
{
	char why[256];

	memset(cfg, 0, sizeof(*cfg));
	for (const struct config_key *k = config_keys; k->section != NULL; k++)
		if (!set_value(cfg, k, k->def, why, sizeof(why)))
			util_fatal("config default of [%s] %s: %s", k->section, k->name, why);
}

/* Safe to call twice: everything freed is reset to NULL. */
void config_free(struct config *cfg)
{
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		if (k->kind == K_STR) {
			char **sp = (char **)((char *)cfg + k->offset);

			free(*sp);
			*sp = NULL;
		}
	}
	free(cfg->path);
	cfg->path = NULL;
}

/* Spelled as config_keys[].def spells it, so `config show` can compare. */
char *config_value(const struct config *cfg, const char *section, const char *name)
{
	const struct config_key *k = find_key(section, name);
	const void *p;
	unsigned w;

	if (k == NULL)
		return NULL;
	p = (const char *)cfg + k->offset;
	switch ((enum key_kind)k->kind) {
	case K_STR:
		return xstrdup(*(char *const *)p != NULL ? *(char *const *)p : "");
	case K_INT:
		return xasprintf("%d", *(const int *)p);
	case K_LONG:
		return xasprintf("%ld", *(const long *)p);
	case K_BOOL:
		return xstrdup(*(const bool *)p ? "yes" : "no");
	case K_HASH:
		w = (unsigned)*(const enum cache_hash *)p;
		return xstrdup(w < 2 ? hash_names[w] : "?");
	case K_TLS:
		w = (unsigned)*(const enum starttls_mode *)p;
		return xstrdup(w < 3 ? tls_names[w] : "?");
	}
	return NULL;
}

/* ---- parsing ---- */

/*
 * State shared by the line reader and the handler. inih's own line count
 * is not passed to handlers (Debian builds it without INI_HANDLER_LINENO),
 * so the reader counts lines: one reader call is one line, exactly as inih
 * counts them, because no line is ever longer than the buffer.
 */
struct parse {
	struct config *cfg;
	const char *next;      /* unread text */
	int line;              /* the line inih is working on */
	int err_line;          /* line of the first error we found; 0 = none */
	char why[512];         /* its reason */
};

static void parse_fail(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records only the first error: that is the one inih's return value names. */
static void parse_fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err_line != 0)
		return;
	ps->err_line = ps->line;
	va_start(ap, fmt);
	vsnprintf(ps->why, sizeof(ps->why), fmt, ap);
	va_end(ap);
}

static const char *nearest(const char *typed, const char *section);

/*
 * A section header ("[name]", as inih reads it) names a known section: an
 * unknown one is an error at its own line, even with no key under it.
 */
static void section_line(struct parse *ps, const char *line)
{
	const char *p = line, *end;
	char name[QUOTE_MAX + 4];

	if (ps->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[' || (end = strchr(p + 1, ']')) == NULL)
		return;
	size_t n = (size_t)(end - p - 1);
	char *sec = xstrndup(p + 1, n);
	if (!known_section(sec)) {
		const char *near = nearest(sec, NULL);
		cut(name, sizeof(name), sec);
		if (near != NULL)
			parse_fail(ps, "unknown section [%s]; did you mean [%s]?", name, near);
		else
			parse_fail(ps, "unknown section [%s]", name);
	}
	free(sec);
}

/*
 * fgets() over the text. A line too long for inih's buffer would come back
 * in pieces, the rest parsed as lines of their own; it is reported and
 * replaced by an empty line instead.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *s = ps->next, *nl;
	size_t len, text;

	if (*s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	len = nl != NULL ? (size_t)(nl - s) + 1 : strlen(s);
	ps->next = s + len;
	ps->line++;
	text = len;
	if (text > 0 && s[text - 1] == '\n')
		text--;
	if (text > 0 && s[text - 1] == '\r')
		text--;
	if (text > CONFIG_MAX_TEXT || len >= (size_t)num) {
		parse_fail(ps, "line longer than %d bytes", CONFIG_MAX_TEXT);
		len = 0;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	section_line(ps, str);
	return str;
}

/* The nearest name for a suggestion: distance <= 2 and shorter than the typo. */
static const char *nearest(const char *typed, const char *section)
{
	const char *best = NULL;
	int bestd = 3, limit = (int)strlen(typed);

	for (int i = 0; config_keys[i].section != NULL; i++) {
		const char *cand = section != NULL ? config_keys[i].name : config_keys[i].section;
		int d;

		if (section != NULL && strcmp(config_keys[i].section, section) != 0)
			continue;
		d = util_distance(typed, cand);
		if (d < bestd && d < limit) {
			bestd = d;
			best = cand;
		}
	}
	return best;
}

/* The section holding a key of this name, when exactly one does. */
static const char *only_section_of(const char *name)
{
	const char *found = NULL;

	for (int i = 0; config_keys[i].section != NULL; i++) {
		if (strcmp(config_keys[i].name, name) != 0)
			continue;
		if (found != NULL && strcmp(found, config_keys[i].section) != 0)
			return NULL;
		found = config_keys[i].section;
	}
	return found;
}

static void unknown_key(struct parse *ps, const char *section, const char *name)
{
	char qn[QUOTE_MAX + 8];
	const char *near;

	/* (an unknown section failed at its own line, before any key) */
	quote(qn, sizeof(qn), name);
	near = nearest(name, section);
	if (near != NULL) {
		parse_fail(ps, "unknown key %s in [%s]; did you mean '%s'?", qn, section, near);
		return;
	}
	/* The right key in the wrong section, e.g. timeout_ms under [cache]. */
	near = only_section_of(name);
	if (near != NULL)
		parse_fail(ps, "unknown key %s in [%s]; it belongs in [%s]", qn, section, near);
	else
		parse_fail(ps, "unknown key %s in [%s]", qn, section);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	char why[256], qn[QUOTE_MAX + 8];
	const struct config_key *k;
	const char *home;

	/* After the first error the config is going to be rejected anyway. */
	if (ps->err_line != 0)
		return 1;
	if (section[0] == '\0') {
		quote(qn, sizeof(qn), name);
		home = only_section_of(name);
		if (home != NULL)
			parse_fail(ps, "key %s is outside any section; it belongs in [%s]", qn, home);
		else
			parse_fail(ps, "key %s is outside any section", qn);
		return 0;
	}
	k = find_key(section, name);
	if (k == NULL) {
		unknown_key(ps, section, name);
		return 0;
	}
	/* "k =;v" reads as ";v" but "k = ;v" as empty: refuse the ambiguity
	 * rather than keep a value that means something else once re-spaced. */
	if (value[0] == ';') {
		parse_fail(ps, "[%s] %s: a value may not start with ';' (after a blank it starts a comment)",
			   section, name);
		return 0;
	}
	if (!set_value(ps->cfg, k, value, why, sizeof(why))) {
		parse_fail(ps, "[%s] %s: %s", section, name, why);
		return 0;
	}
	return 1;
}

/* Writable copies: inih declares these char *. */
static char start_comments[] = ";#";
static char inline_comments[] = ";";

/*
 * Debian's inih reads its options at run time. Set them all on every parse
 * so nothing else in the process can change how a config reads: long
 * server lists fit, ';' after a blank starts a comment, and there are no
 * Python-style continuation lines (with them an indented "key = value"
 * would silently become part of the previous value).
 */
static void parser_setup(void)
{
	ini_max_line = CONFIG_MAX_LINE;
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = inline_comments;
	ini_start_comment_prefixes = start_comments;
	ini_allow_bom = true;
	ini_allow_no_value = false;
	ini_stop_on_first_error = false;
}

/* Loading adds to what cfg holds: call config_defaults() first. */
int config_load_string(struct config *cfg, const char *text, const char *name, char *err, size_t errlen)
{
	struct parse ps = {.cfg = cfg, .next = text};
	int rc;

	parser_setup();
	rc = ini_parse_stream(read_line, &ps, handler, &ps);
	if (rc == 0 && ps.err_line == 0)
		return 0;
	if (rc < 0)
		return errf(err, errlen, EXIT_CONFIG, "%s: cannot parse (inih error %d)", name, rc);
	/* inih returns the first failing line; a lower one than ours is its own. */
	if (rc > 0 && (ps.err_line == 0 || rc < ps.err_line))
		return errf(err, errlen, EXIT_CONFIG, "%s:%d: syntax error", name, rc);
	return errf(err, errlen, EXIT_CONFIG, "%s:%d: %s", name, ps.err_line, ps.why);
}

/*
 * Reads path whole. Returns NULL with errno set (EFBIG when too large) and,
 * for a NUL byte, sets *nul_line: inih would stop reading at it.
 */
static char *read_file(const char *path, int *nul_line)
{
	struct buf b;
	char chunk[8192];
	size_t n;
	FILE *f;
	int saved;

	*nul_line = 0;
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > CONFIG_MAX_FILE) {
			errno = EFBIG;
			goto fail;
		}
		buf_add(&b, chunk, n);
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	if (b.len > 0 && memchr(b.data, '\0', b.len) != NULL) {
		const char *z = memchr(b.data, '\0', b.len);

		*nul_line = 1;
		for (const char *p = b.data; p < z; p++)
			*nul_line += *p == '\n';
	}
	return buf_take(&b);
fail:
	saved = errno;
	fclose(f);
	buf_free(&b);
	errno = saved;
	return NULL;
}

/*
 * Loads one file over cfg. When skip_missing, a file that does not exist
 * returns -1 (the search goes on); anything else unreadable is an error,
 * as a config the user wrote but we cannot read should not be ignored.
 */
static int load_file(struct config *cfg, const char *path, bool skip_missing, char *err, size_t errlen)
{
	int nul_line, rc;
	char *text;

	text = read_file(path, &nul_line);
	if (text == NULL) {
		if (skip_missing && (errno == ENOENT || errno == ENOTDIR))
			return -1;
		if (errno == EFBIG)
			return errf(err, errlen, EXIT_CONFIG, "%s: cannot read: larger than %d bytes", path,
				    CONFIG_MAX_FILE);
		return errf(err, errlen, EXIT_CONFIG, "%s: cannot read: %s", path, strerror(errno));
	}
	free(cfg->path);
	cfg->path = xstrdup(path);
	if (nul_line != 0)
		rc = errf(err, errlen, EXIT_CONFIG, "%s:%d: NUL byte in the line", path, nul_line);
	else
		rc = config_load_string(cfg, text, path, err, errlen);
	free(text);
	return rc;
}

/* Loading adds to what cfg holds: call config_defaults() first. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	const char *env = getenv("MAILOPS_CONFIG");
	const char *home = getenv("HOME");
	int rc;

	if (path != NULL)
		return load_file(cfg, path, false, err, errlen);
	if (env != NULL && env[0] != '\0')
		return load_file(cfg, env, false, err, errlen);
	if (home != NULL && home[0] != '\0') {
		char *p = xasprintf("%s/.config/mailops/mailops.conf", home);

		rc = load_file(cfg, p, true, err, errlen);
		free(p);
		if (rc >= 0)
			return rc;
	}
	rc = load_file(cfg, "/etc/mailops.conf", true, err, errlen);
	return rc >= 0 ? rc : 0;
}

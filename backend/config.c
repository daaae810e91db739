/*
 * backend/config.c: the INI config (DESIGN §6), read with inih. One table
 * lists every key: its type, where it lives in struct config, its default
 * and range. Loading checks each key against it, so unknown keys and bad
 * values are errors naming the file and the line.
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

enum ktype { K_STR, K_INT, K_LONG, K_BOOL, K_HASH, K_TLS };

#define OFF(f) offsetof(struct config, f)
#define TEN_YEARS (10LL * 366 * 86400)

const struct config_key config_keys[] = {
	{ "aliases", "db", "string", "",
	  "alias database; empty = discovered from sendmail.cf or main.cf, else /etc/aliases.db",
	  K_STR, OFF(aliases.db), 0, 0 },
	{ "aliases", "text", "string", "",
	  "text aliases file; empty = the db path without .db",
	  K_STR, OFF(aliases.text), 0, 0 },
	{ "aliases", "local_domains", "string", "",
	  "domains whose addresses are looked up in the aliases",
	  K_STR, OFF(aliases.local_domains), 0, 0 },
	{ "aliases", "lock_wait_ms", "int", "10000",
	  "how long to wait for a rebuild's lock before a tempfail",
	  K_INT, OFF(aliases.lock_wait_ms), 0, 3600000 },
	{ "aliases", "maps", "string", "",
	  "other alias-like maps (class:path, comma separated): virtual_alias_maps, virtusertable",
	  K_STR, OFF(aliases.maps), 0, 0 },
	{ "cache", "servers", "string", "",
	  "memcached pool in Cache::Memcached order: host:port[:weight] or a socket path",
	  K_STR, OFF(cache.servers), 0, 0 },
	{ "cache", "namespace", "string", "",
	  "key namespace of the filter",
	  K_STR, OFF(cache.namespace_), 0, 0 },
	{ "cache", "prefix", "string", "ca:",
	  "key prefix of verification entries",
	  K_STR, OFF(cache.prefix), 0, 0 },
	{ "cache", "hash", "enum", "crc",
	  "key placement: crc (Cache::Memcached) or ketama",
	  K_HASH, OFF(cache.hash), 0, 0 },
	{ "cache", "connect_timeout_ms", "int", "500",
	  "connect timeout",
	  K_INT, OFF(cache.connect_timeout_ms), 1, 600000 },
	{ "cache", "read_timeout_ms", "int", "500",
	  "read timeout",
	  K_INT, OFF(cache.read_timeout_ms), 1, 600000 },
	{ "callahead", "server", "string", "",
	  "ask this server (host[:port]); empty = the MX of the domain",
	  K_STR, OFF(callahead.server), 0, 0 },
	{ "callahead", "routes", "string", "",
	  "file of 'domain [host]:port' lines (like mailertable)",
	  K_STR, OFF(callahead.routes), 0, 0 },
	{ "callahead", "mx_port", "int", "25",
	  "SMTP port of MX hosts",
	  K_INT, OFF(callahead.mx_port), 1, 65535 },
	{ "callahead", "allow_private", "bool", "no",
	  "probe loopback, private and reserved addresses found through MX",
	  K_BOOL, OFF(callahead.allow_private), 0, 0 },
	{ "callahead", "from", "string", "<>",
	  "envelope sender of probes",
	  K_STR, OFF(callahead.from), 0, 0 },
	{ "callahead", "helo", "string", "",
	  "EHLO name; empty = this host's name",
	  K_STR, OFF(callahead.helo), 0, 0 },
	{ "callahead", "starttls", "enum", "off",
	  "off, opportunistic or required",
	  K_TLS, OFF(callahead.starttls), 0, 0 },
	{ "callahead", "connect_timeout", "int", "30",
	  "seconds",
	  K_INT, OFF(callahead.connect_timeout), 1, 3600 },
	{ "callahead", "reply_timeout", "int", "30",
	  "seconds per reply",
	  K_INT, OFF(callahead.reply_timeout), 1, 3600 },
	{ "callahead", "probe_timeout", "int", "120",
	  "seconds per probe",
	  K_INT, OFF(callahead.probe_timeout), 1, 3600 },
	{ "callahead", "quit_timeout", "int", "5",
	  "seconds to wait after QUIT",
	  K_INT, OFF(callahead.quit_timeout), 1, 3600 },
	{ "callahead", "valid_ttl", "int", "604800",
	  "seconds a valid answer is cached",
	  K_LONG, OFF(callahead.valid_ttl), 0, TEN_YEARS },
	{ "callahead", "invalid_ttl", "int", "90000",
	  "seconds an invalid answer is cached",
	  K_LONG, OFF(callahead.invalid_ttl), 0, TEN_YEARS },
	{ "callahead", "accept_all_ttl", "int", "604800",
	  "seconds an accept-all domain is cached",
	  K_LONG, OFF(callahead.accept_all_ttl), 0, TEN_YEARS },
	{ "callahead", "refused_ttl", "int", "10800",
	  "seconds a refusing domain is cached",
	  K_LONG, OFF(callahead.refused_ttl), 0, TEN_YEARS },
	{ "callahead", "concurrency", "int", "32",
	  "probes at once",
	  K_INT, OFF(callahead.concurrency), 1, 1024 },
	{ "callahead", "per_server", "int", "4",
	  "probes at once per server",
	  K_INT, OFF(callahead.per_server), 1, 256 },
	{ "callahead", "accept_all_probe", "bool", "no",
	  "also probe a random address to detect accept-all servers",
	  K_BOOL, OFF(callahead.accept_all_probe), 0, 0 },
	{ "dns", "servers", "string", "",
	  "ip[:port] list; empty = /etc/resolv.conf",
	  K_STR, OFF(dns.servers), 0, 0 },
	{ "dns", "timeout_ms", "int", "2000",
	  "per try",
	  K_INT, OFF(dns.timeout_ms), 1, 600000 },
	{ "dns", "tries", "int", "2",
	  "tries per server",
	  K_INT, OFF(dns.tries), 1, 10 },
	{ "arf", "mailboxes", "string", "",
	  "mailboxes holding feedback reports",
	  K_STR, OFF(arf.mailboxes), 0, 0 },
	{ "arf", "reporters", "string", "",
	  "file of known feedback-loop senders",
	  K_STR, OFF(arf.reporters), 0, 0 },
	{ "benford", "sources", "string", "",
	  "default sources (mailboxes, logs)",
	  K_STR, OFF(benford.sources), 0, 0 },
	{ "benford", "small_n", "int", "1000",
	  "below this many numbers the statistics are marked unreliable",
	  K_INT, OFF(benford.small_n), 1, 1000000000 },
	{ "doctor", "probe_address", "string", "",
	  "a recipient to callahead",
	  K_STR, OFF(doctor.probe_address), 0, 0 },
	{ "doctor", "domains", "string", "",
	  "domains whose MX to check",
	  K_STR, OFF(doctor.domains), 0, 0 },
	{ "doctor", "log", "string", "",
	  "mail log; empty = /var/log/mail.log, else the journal",
	  K_STR, OFF(doctor.log), 0, 0 },
	{ "doctor", "since", "int", "60",
	  "minutes of log to read",
	  K_INT, OFF(doctor.since), 1, 525600 },
	{ "doctor", "slow_ms", "int", "1000",
	  "answers slower than this warn",
	  K_INT, OFF(doctor.slow_ms), 1, 600000 },
	{ "doctor", "deadline", "int", "15",
	  "seconds for all checks",
	  K_INT, OFF(doctor.deadline), 1, 3600 },
	{ "doctor", "dnsbl", "string", "",
	  "DNSBL zones to look our addresses up in",
	  K_STR, OFF(doctor.dnsbl), 0, 0 },
	{ "doctor", "our_ips", "string", "",
	  "our sending addresses",
	  K_STR, OFF(doctor.our_ips), 0, 0 },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0 },
};

static void *field(struct config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->offset;
}

static const struct config_key *find_key(const char *section, const char *name)
{
	for (const struct config_key *k = config_keys; k->section != NULL; k++)
		if (strcmp(k->section, section) == 0 && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static bool known_section(const char *section)
{
	for (const struct config_key *k = config_keys; k->section != NULL; k++)
		if (strcmp(k->section, section) == 0)
			return true;
	return false;
}

/* Sets one key from text; returns NULL or a static reason. */
static const char *set_value(struct config *cfg, const struct config_key *k, const char *v, char *why, size_t whylen)
{
	void *p = field(cfg, k);
	char *end;
	long long n;

	switch ((enum ktype)k->kind) {
	case K_STR:
		free(*(char **)p);
		*(char **)p = xstrdup(v);
		return NULL;
	case K_INT:
	case K_LONG:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (v[0] == '\0' || *end != '\0' || errno != 0) {
			snprintf(why, whylen, "'%s' is not a number", v);
			return why;
		}
		if (n < k->min || n > k->max) {
			snprintf(why, whylen, "%lld must be between %lld and %lld", n, k->min, k->max);
			return why;
		}
		if (k->kind == K_INT)
			*(int *)p = (int)n;
		else
			*(long *)p = (long)n;
		return NULL;
	case K_BOOL:
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
			*(bool *)p = true;
		else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
			*(bool *)p = false;
		else {
			snprintf(why, whylen, "'%s' is not yes or no", v);
			return why;
		}
		return NULL;
	case K_HASH:
		if (!strcasecmp(v, "crc"))
			*(enum cache_hash *)p = CACHE_HASH_CRC;
		else if (!strcasecmp(v, "ketama"))
			*(enum cache_hash *)p = CACHE_HASH_KETAMA;
		else {
			snprintf(why, whylen, "'%s' is not crc or ketama", v);
			return why;
		}
		return NULL;
	case K_TLS:
		if (!strcasecmp(v, "off"))
			*(enum starttls_mode *)p = STARTTLS_OFF;
		else if (!strcasecmp(v, "opportunistic"))
			*(enum starttls_mode *)p = STARTTLS_OPPORTUNISTIC;
		else if (!strcasecmp(v, "required"))
			*(enum starttls_mode *)p = STARTTLS_REQUIRED;
		else {
			snprintf(why, whylen, "'%s' is not off, opportunistic or required", v);
			return why;
		}
		return NULL;
	}
	return "bad type";
}

void config_defaults(struct config *cfg)
{
	char why[160];

	memset(cfg, 0, sizeof(*cfg));
	for (const struct config_key *k = config_keys; k->section != NULL; k++)
		if (set_value(cfg, k, k->def, why, sizeof(why)) != NULL)
			util_fatal("config default of %s.%s: %s", k->section, k->name, why);
}

void config_free(struct config *cfg)
{
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		if (k->kind == K_STR) {
			free(*(char **)field(cfg, k));
			*(char **)field(cfg, k) = NULL;
		}
	}
	free(cfg->path);
	cfg->path = NULL;
}

char *config_value(const struct config *cfg, const char *section, const char *name)
{
	const struct config_key *k = find_key(section, name);
	const void *p;

	if (k == NULL)
		return NULL;
	p = (const char *)cfg + k->offset;
	switch ((enum ktype)k->kind) {
	case K_STR:
		return xstrdup(*(char *const *)p != NULL ? *(char *const *)p : "");
	case K_INT:
		return xasprintf("%d", *(const int *)p);
	case K_LONG:
		return xasprintf("%ld", *(const long *)p);
	case K_BOOL:
		return xstrdup(*(const bool *)p ? "yes" : "no");
	case K_HASH:
		return xstrdup(*(const enum cache_hash *)p == CACHE_HASH_KETAMA ? "ketama" : "crc");
	case K_TLS:
		switch (*(const enum starttls_mode *)p) {
		case STARTTLS_OPPORTUNISTIC:
			return xstrdup("opportunistic");
		case STARTTLS_REQUIRED:
			return xstrdup("required");
		default:
			return xstrdup("off");
		}
	}
	return NULL;
}

/* What the inih handler needs: the config, and the first error's reason. */
struct parse {
	struct config *cfg;
	char why[512];
	bool failed;
};

/* The nearest key of section (or of any section) to name, for the message. */
static const char *nearest_key(const char *section, const char *name)
{
	const char *best = NULL;
	int bestd = 3;

	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		if (section[0] != '\0' && strcmp(k->section, section) != 0)
			continue;
		int d = util_distance(name, k->name);
		if (d < bestd) {
			bestd = d;
			best = k->name;
		}
	}
	return best;
}

static const char *nearest_section(const char *section)
{
	const char *best = NULL;
	int bestd = 3;

	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		int d = util_distance(section, k->section);
		if (d < bestd) {
			bestd = d;
			best = k->section;
		}
	}
	return best;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	const struct config_key *k;
	char why[256];

	/* inih calls on after an error; the first one is the one reported. */
	if (ps->failed)
		return 0;
	if (section[0] == '\0') {
		snprintf(ps->why, sizeof(ps->why), "key '%s' outside any [section]", name);
		goto fail;
	}
	if (!known_section(section)) {
		const char *near = nearest_section(section);
		snprintf(ps->why, sizeof(ps->why), "unknown section [%s]%s%s%s", section, near ? "; did you mean [" : "",
			 near ? near : "", near ? "]?" : "");
		goto fail;
	}
	k = find_key(section, name);
	if (k == NULL) {
		const char *near = nearest_key(section, name);
		snprintf(ps->why, sizeof(ps->why), "unknown key '%s' in [%s]%s%s%s", name, section,
			 near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
		goto fail;
	}
	if (set_value(ps->cfg, k, value, why, sizeof(why)) != NULL) {
		snprintf(ps->why, sizeof(ps->why), "[%s] %s: %s", section, name, why);
		goto fail;
	}
	return 1;
fail:
	ps->failed = true;
	return 0;
}

static int report(struct parse *ps, int rc, const char *name, char *err, size_t errlen)
{
	if (rc == 0)
		return 0;
	if (rc == -2)
		util_fatal("out of memory");
	if (ps->failed)
		return errf(err, errlen, EXIT_CONFIG, "%s:%d: %s", name, rc, ps->why);
	return errf(err, errlen, EXIT_CONFIG, "%s:%d: syntax error", name, rc);
}

static void parser_setup(void)
{
	/* Debian's inih keeps these at run time: long server lists, ';' comments
	 * after values, and no Python-style continuation lines (they would hide
	 * a missing '=' on the next line). */
	ini_max_line = 4096;
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
}

int config_load_string(struct config *cfg, const char *text, const char *name, char *err, size_t errlen)
{
	struct parse ps = { .cfg = cfg };

	parser_setup();
	return report(&ps, ini_parse_string(text, handler, &ps), name, err, errlen);
}

static int load_file(struct config *cfg, const char *path, bool must, char *err, size_t errlen)
{
	struct parse ps = { .cfg = cfg };
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		if (!must && errno == ENOENT)
			return -1;
		return errf(err, errlen, EXIT_CONFIG, "%s: cannot read: %s", path, strerror(errno));
	}
	parser_setup();
	int rc = report(&ps, ini_parse_file(f, handler, &ps), path, err, errlen);
	fclose(f);
	if (rc == 0) {
		free(cfg->path);
		cfg->path = xstrdup(path);
	}
	return rc;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	const char *env = getenv("MAILOPS_CONFIG");
	const char *home = getenv("HOME");
	int rc;

	if (path != NULL)
		return load_file(cfg, path, true, err, errlen);
	if (env != NULL && env[0] != '\0')
		return load_file(cfg, env, true, err, errlen);
	if (home != NULL && home[0] != '\0') {
		char *p = xasprintf("%s/.config/mailops/mailops.conf", home);
		rc = load_file(cfg, p, false, err, errlen);
		free(p);
		if (rc >= 0)
			return rc;
	}
	rc = load_file(cfg, "/etc/mailops.conf", false, err, errlen);
	return rc >= 0 ? rc : 0;
}

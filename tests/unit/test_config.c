/*
 * tests/unit/test_config.c: pins backend/config.c: the documented defaults,
 * that every key of config_keys[] reads back what it writes and lands in its
 * own field, the exact error texts (file, line, reason, suggestion), the
 * file search order, and that the shipped example and man page cover every
 * key. Run from the project root (docs/ is read relative to it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../backend/backend.h"

/* Loads text over fresh defaults; the caller frees cfg. */
static int load(struct config *cfg, const char *text, char *err, size_t errlen)
{
	config_defaults(cfg);
	err[0] = '\0';
	return config_load_string(cfg, text, "t.conf", err, errlen);
}

/* Loads text that must fail, and checks the whole message. */
static void expect_error(const char *text, const char *want)
{
	struct config cfg;
	char err[512];

	assert_int_equal(load(&cfg, text, err, sizeof(err)), EXIT_CONFIG);
	assert_string_equal(err, want);
	config_free(&cfg);
}

static void expect_ok(struct config *cfg, const char *text)
{
	char err[512];
	int rc = load(cfg, text, err, sizeof(err));

	if (rc != 0)
		fail_msg("unexpected error: %s", err);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_take(&b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Every key, as config_value() writes it, equal in a and b. */
static void assert_same_config(const struct config *a, const struct config *b)
{
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		char *va = config_value(a, k->section, k->name);
		char *vb = config_value(b, k->section, k->name);

		assert_non_null(va);
		assert_non_null(vb);
		if (strcmp(va, vb) != 0)
			fail_msg("[%s] %s: '%s' != '%s'", k->section, k->name, va, vb);
		free(va);
		free(vb);
	}
}

static void test_config_defaults_match_documented_values(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_null(c.path);
	assert_string_equal(c.aliases.db, "");
	assert_string_equal(c.aliases.text, "");
	assert_string_equal(c.aliases.local_domains, "");
	assert_int_equal(c.aliases.lock_wait_ms, 10000);
	assert_string_equal(c.aliases.maps, "");
	assert_string_equal(c.cache.servers, "");
	assert_string_equal(c.cache.namespace_, "");
	assert_string_equal(c.cache.prefix, "ca:");
	assert_int_equal(c.cache.hash, CACHE_HASH_CRC);
	assert_int_equal(c.cache.ketama_points, 150);
	assert_int_equal(c.cache.connect_timeout_ms, 500);
	assert_int_equal(c.cache.read_timeout_ms, 500);
	assert_string_equal(c.callahead.server, "");
	assert_string_equal(c.callahead.routes, "");
	assert_int_equal(c.callahead.mx_port, 25);
	assert_false(c.callahead.allow_private);
	assert_string_equal(c.callahead.from, "<>");
	assert_string_equal(c.callahead.helo, "");
	assert_int_equal(c.callahead.starttls, STARTTLS_OFF);
	assert_int_equal(c.callahead.connect_timeout, 30);
	assert_int_equal(c.callahead.reply_timeout, 30);
	assert_int_equal(c.callahead.probe_timeout, 120);
	assert_int_equal(c.callahead.quit_timeout, 5);
	assert_int_equal(c.callahead.valid_ttl, 604800);
	assert_int_equal(c.callahead.invalid_ttl, 90000);
	assert_int_equal(c.callahead.accept_all_ttl, 604800);
	assert_int_equal(c.callahead.refused_ttl, 10800);
	assert_int_equal(c.callahead.concurrency, 32);
	assert_int_equal(c.callahead.per_server, 4);
	assert_false(c.callahead.accept_all_probe);
	assert_string_equal(c.dns.servers, "");
	assert_int_equal(c.dns.timeout_ms, 2000);
	assert_int_equal(c.dns.tries, 2);
	assert_string_equal(c.arf.mailboxes, "");
	assert_string_equal(c.arf.reporters, "");
	assert_string_equal(c.benford.sources, "");
	assert_int_equal(c.benford.small_n, 1000);
	assert_string_equal(c.doctor.probe_address, "");
	assert_string_equal(c.doctor.domains, "");
	assert_string_equal(c.doctor.log, "");
	assert_int_equal(c.doctor.since, 60);
	assert_int_equal(c.doctor.slow_ms, 1000);
	assert_int_equal(c.doctor.deadline, 15);
	assert_string_equal(c.doctor.dnsbl, "");
	assert_string_equal(c.doctor.our_ips, "");
	config_free(&c);
}

static void test_config_table_lists_every_key_once_with_help(void **state)
{
	static const char *const types[] = {"string", "int", "bool", "enum"};
	int n = 0;

	(void)state;
	for (const struct config_key *k = config_keys; k->section != NULL; k++, n++) {
		bool typed = false;

		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			typed |= strcmp(k->type, types[t]) == 0;
		assert_true(typed);
		assert_non_null(k->def);
		assert_true(k->help != NULL && k->help[0] != '\0');
		for (const struct config_key *o = config_keys; o != k; o++)
			assert_false(strcmp(o->section, k->section) == 0 && strcmp(o->name, k->name) == 0);
	}
	/* DESIGN §6 (5 aliases, 6 cache, 18 callahead, 3 dns, 2 arf, 2 benford, 8
	 * doctor) and [cache] ketama_points, which ketama placement needs. */
	assert_int_equal(n, 45);
}

/* config_value() spells each default exactly as config_keys[].def. */
static void test_config_value_spells_defaults_as_the_table(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		char *v = config_value(&c, k->section, k->name);

		assert_non_null(v);
		assert_string_equal(v, k->def);
		free(v);
	}
	assert_null(config_value(&c, "aliases", "nope"));
	assert_null(config_value(&c, "nope", "db"));
	config_free(&c);
}

/* "key = <def>" for every key loads cleanly and changes nothing. */
static void test_config_every_default_round_trips_through_a_file(void **state)
{
	struct config def, c;
	const char *section = "";
	struct buf b;

	(void)state;
	buf_init(&b);
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		if (strcmp(section, k->section) != 0)
			buf_addf(&b, "[%s]\n", k->section);
		section = k->section;
		buf_addf(&b, "%s = %s\n", k->name, k->def);
	}
	config_defaults(&def);
	expect_ok(&c, b.data);
	assert_same_config(&c, &def);
	config_free(&def);
	config_free(&c);
	buf_free(&b);
}

/* Distinct values for every key: a key wired to a wrong field shows here. */
static void test_config_every_key_lands_in_its_own_field(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "[aliases]\n"
		      "db = /a/db\ntext = /a/text\nlocal_domains = a.example b.example\n"
		      "lock_wait_ms = 101\nmaps = hash:/a/maps\n"
		      "[cache]\n"
		      "servers = h1:1 h2:2:3\nnamespace = ns:\nprefix = p:\nhash = ketama\n"
		      "connect_timeout_ms = 102\nread_timeout_ms = 103\n"
		      "[callahead]\n"
		      "server = mx.example:2525\nroutes = /a/routes\nmx_port = 104\nallow_private = yes\n"
		      "from = <probe@example.org>\nhelo = helo.example\nstarttls = required\n"
		      "connect_timeout = 105\nreply_timeout = 106\nprobe_timeout = 107\nquit_timeout = 108\n"
		      "valid_ttl = 109\ninvalid_ttl = 110\naccept_all_ttl = 111\nrefused_ttl = 112\n"
		      "concurrency = 113\nper_server = 114\naccept_all_probe = no\n"
		      "[dns]\nservers = 127.0.0.1:5353\ntimeout_ms = 115\ntries = 9\n"
		      "[arf]\nmailboxes = /a/mbox\nreporters = /a/reporters\n"
		      "[benford]\nsources = /a/src\nsmall_n = 116\n"
		      "[doctor]\nprobe_address = postmaster@example.org\ndomains = example.org\nlog = /a/log\n"
		      "since = 117\nslow_ms = 118\ndeadline = 119\ndnsbl = zen.example\nour_ips = 192.0.2.1\n");
	assert_string_equal(c.aliases.db, "/a/db");
	assert_string_equal(c.aliases.text, "/a/text");
	assert_string_equal(c.aliases.local_domains, "a.example b.example");
	assert_int_equal(c.aliases.lock_wait_ms, 101);
	assert_string_equal(c.aliases.maps, "hash:/a/maps");
	assert_string_equal(c.cache.servers, "h1:1 h2:2:3");
	assert_string_equal(c.cache.namespace_, "ns:");
	assert_string_equal(c.cache.prefix, "p:");
	assert_int_equal(c.cache.hash, CACHE_HASH_KETAMA);
	assert_int_equal(c.cache.connect_timeout_ms, 102);
	assert_int_equal(c.cache.read_timeout_ms, 103);
	assert_string_equal(c.callahead.server, "mx.example:2525");
	assert_string_equal(c.callahead.routes, "/a/routes");
	assert_int_equal(c.callahead.mx_port, 104);
	assert_true(c.callahead.allow_private);
	assert_string_equal(c.callahead.from, "<probe@example.org>");
	assert_string_equal(c.callahead.helo, "helo.example");
	assert_int_equal(c.callahead.starttls, STARTTLS_REQUIRED);
	assert_int_equal(c.callahead.connect_timeout, 105);
	assert_int_equal(c.callahead.reply_timeout, 106);
	assert_int_equal(c.callahead.probe_timeout, 107);
	assert_int_equal(c.callahead.quit_timeout, 108);
	assert_int_equal(c.callahead.valid_ttl, 109);
	assert_int_equal(c.callahead.invalid_ttl, 110);
	assert_int_equal(c.callahead.accept_all_ttl, 111);
	assert_int_equal(c.callahead.refused_ttl, 112);
	assert_int_equal(c.callahead.concurrency, 113);
	assert_int_equal(c.callahead.per_server, 114);
	assert_false(c.callahead.accept_all_probe);
	assert_string_equal(c.dns.servers, "127.0.0.1:5353");
	assert_int_equal(c.dns.timeout_ms, 115);
	assert_int_equal(c.dns.tries, 9);
	assert_string_equal(c.arf.mailboxes, "/a/mbox");
	assert_string_equal(c.arf.reporters, "/a/reporters");
	assert_string_equal(c.benford.sources, "/a/src");
	assert_int_equal(c.benford.small_n, 116);
	assert_string_equal(c.doctor.probe_address, "postmaster@example.org");
	assert_string_equal(c.doctor.domains, "example.org");
	assert_string_equal(c.doctor.log, "/a/log");
	assert_int_equal(c.doctor.since, 117);
	assert_int_equal(c.doctor.slow_ms, 118);
	assert_int_equal(c.doctor.deadline, 119);
	assert_string_equal(c.doctor.dnsbl, "zen.example");
	assert_string_equal(c.doctor.our_ips, "192.0.2.1");
	config_free(&c);

	/* The other bool and enum values, the other way round. */
	expect_ok(&c, "[callahead]\nallow_private = no\naccept_all_probe = yes\nstarttls = opportunistic\n");
	assert_false(c.callahead.allow_private);
	assert_true(c.callahead.accept_all_probe);
	assert_int_equal(c.callahead.starttls, STARTTLS_OPPORTUNISTIC);
	config_free(&c);
}

static void test_config_bool_accepts_every_spelling_in_any_case(void **state)
{
	static const char *const yes[] = {"yes", "YES", "true", "True", "on", "ON", "1"};
	static const char *const no[] = {"no", "No", "false", "FALSE", "off", "Off", "0"};
	struct config c;
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "[callahead]\naccept_all_probe = %s\n", yes[i]);
		expect_ok(&c, text);
		assert_true(c.callahead.accept_all_probe);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text), "[callahead]\naccept_all_probe = yes\naccept_all_probe = %s\n", no[i]);
		expect_ok(&c, text);
		assert_false(c.callahead.accept_all_probe);
		config_free(&c);
	}
}

static void test_config_numbers_accept_the_whole_range(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "[aliases]\nlock_wait_ms = 0\n[callahead]\nmx_port = 65535\nvalid_ttl = 315360000\n"
		      "refused_ttl = 0\n[benford]\nsmall_n = 1000000000\n[dns]\ntries = 1\n");
	assert_int_equal(c.aliases.lock_wait_ms, 0);
	assert_int_equal(c.callahead.mx_port, 65535);
	assert_int_equal(c.callahead.valid_ttl, 315360000L);
	assert_int_equal(c.callahead.refused_ttl, 0);
	assert_int_equal(c.benford.small_n, 1000000000);
	assert_int_equal(c.dns.tries, 1);
	config_free(&c);
	expect_ok(&c, "[cache]\nhash = KETAMA\n[callahead]\nstarttls = Required\n");
	assert_int_equal(c.cache.hash, CACHE_HASH_KETAMA);
	assert_int_equal(c.callahead.starttls, STARTTLS_REQUIRED);
	config_free(&c);
}

/* Whitespace, both comment styles, blank lines, CRLF and a BOM. */
static void test_config_reads_comments_blank_lines_and_crlf(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "\xef\xbb\xbf# mailops\r\n; the cache\r\n\r\n[cache]\r\n"
		      "  servers   =   10.0.0.1:11211 10.0.0.2:11211:2   ; two servers\r\n"
		      "\tprefix = ca#1:\r\n"
		      "namespace=x;y\r\n");
	assert_string_equal(c.cache.servers, "10.0.0.1:11211 10.0.0.2:11211:2");
	/* '#' only starts a comment at the start of a line. */
	assert_string_equal(c.cache.prefix, "ca#1:");
	/* ';' starts one only after a blank. */
	assert_string_equal(c.cache.namespace_, "x;y");
	config_free(&c);
}

/* Found by fuzz_config: "db =;x" read as ";x", but shown as "db = ;x" it
 * reads as empty. A value starting with ';' is refused, with its line. */
static void test_config_value_starting_with_semicolon_is_refused(void **state)
{
	(void)state;
	expect_error("[aliases]\ndb =;ket\n",
		     "t.conf:2: [aliases] db: a value may not start with ';' (after a blank it starts a comment)");
	expect_error("\xef\xbb\xbf[cache]\n\nprefix=;\n",
		     "t.conf:3: [cache] prefix: a value may not start with ';' (after a blank it starts a comment)");
}

static void test_config_duplicate_key_last_wins(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "[cache]\nprefix = one:\nservers = a\n[dns]\ntries = 3\n[cache]\nprefix = two:\n");
	assert_string_equal(c.cache.prefix, "two:");
	assert_string_equal(c.cache.servers, "a");
	assert_int_equal(c.dns.tries, 3);
	config_free(&c);
}

static void test_config_empty_value_clears_a_string(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "[callahead]\nfrom =\n");
	assert_string_equal(c.callahead.from, "");
	config_free(&c);
}

static void test_config_unknown_key_names_line_and_suggests_nearest(void **state)
{
	(void)state;
	expect_error("[aliases]\ndb = /etc/aliases.db\n\nlock_wiat_ms = 5\n",
		     "t.conf:4: unknown key 'lock_wiat_ms' in [aliases]; did you mean 'lock_wait_ms'?");
	expect_error("[cache]\nserver = 127.0.0.1\n",
		     "t.conf:2: unknown key 'server' in [cache]; did you mean 'servers'?");
	expect_error("[aliases]\ncolour = blue\n", "t.conf:2: unknown key 'colour' in [aliases]");
	/* A name two edits from a short key is no suggestion: "x" is not "db". */
	expect_error("[aliases]\nx = 1\n", "t.conf:2: unknown key 'x' in [aliases]");
}

static void test_config_key_of_another_section_says_where_it_belongs(void **state)
{
	(void)state;
	expect_error("[cache]\nmx_port = 25\n", "t.conf:2: unknown key 'mx_port' in [cache]; it belongs in [callahead]");
}

static void test_config_unknown_section_is_an_error(void **state)
{
	(void)state;
	/* the error is at the section's own line */
	expect_error("[cache]\nprefix = ca:\n[cahce]\nservers = a\n", "t.conf:3: unknown section [cahce]; did you mean [cache]?");
	expect_error("[frobnicate]\nx = 1\n", "t.conf:1: unknown section [frobnicate]");
	/* Section names are case-sensitive, like key names. */
	expect_error("[Cache]\nservers = a\n", "t.conf:1: unknown section [Cache]; did you mean [cache]?");
	/* with no key under it, too */
	expect_error("[cache]\nprefix = ca:\n[bogus]\n", "t.conf:3: unknown section [bogus]");
	expect_error("  [bogus] ; a comment\n", "t.conf:1: unknown section [bogus]");
}

static void test_config_key_outside_a_section_is_an_error(void **state)
{
	(void)state;
	expect_error("\n; top\nlock_wait_ms = 5\n[aliases]\n",
		     "t.conf:3: key 'lock_wait_ms' is outside any section; it belongs in [aliases]");
	expect_error("servers = a\n", "t.conf:1: key 'servers' is outside any section");
}

static void test_config_bad_number_is_an_error(void **state)
{
	(void)state;
	expect_error("[aliases]\nlock_wait_ms = abc\n", "t.conf:2: [aliases] lock_wait_ms: 'abc' is not a number");
	expect_error("[aliases]\nlock_wait_ms = 10s\n", "t.conf:2: [aliases] lock_wait_ms: '10s' is not a number");
	expect_error("[aliases]\nlock_wait_ms = 0x10\n", "t.conf:2: [aliases] lock_wait_ms: '0x10' is not a number");
	expect_error("[aliases]\nlock_wait_ms =\n", "t.conf:2: [aliases] lock_wait_ms: '' is not a number");
	expect_error("[dns]\ntries = 1 2\n", "t.conf:2: [dns] tries: '1 2' is not a number");
}

static void test_config_number_out_of_range_is_an_error(void **state)
{
	(void)state;
	expect_error("[aliases]\nlock_wait_ms = 3600001\n",
		     "t.conf:2: [aliases] lock_wait_ms: '3600001' must be between 0 and 3600000");
	expect_error("[aliases]\nlock_wait_ms = -1\n",
		     "t.conf:2: [aliases] lock_wait_ms: '-1' must be between 0 and 3600000");
	expect_error("[callahead]\nmx_port = 0\n", "t.conf:2: [callahead] mx_port: '0' must be between 1 and 65535");
	expect_error("[callahead]\nmx_port = 65536\n",
		     "t.conf:2: [callahead] mx_port: '65536' must be between 1 and 65535");
	expect_error("[callahead]\nconnect_timeout = 0\n",
		     "t.conf:2: [callahead] connect_timeout: '0' must be between 1 and 3600");
	expect_error("[callahead]\nvalid_ttl = 315360001\n",
		     "t.conf:2: [callahead] valid_ttl: '315360001' must be between 0 and 315360000");
	expect_error("[callahead]\nconcurrency = 1025\n",
		     "t.conf:2: [callahead] concurrency: '1025' must be between 1 and 1024");
	expect_error("[callahead]\nper_server = 257\n",
		     "t.conf:2: [callahead] per_server: '257' must be between 1 and 256");
	expect_error("[dns]\ntries = 11\n", "t.conf:2: [dns] tries: '11' must be between 1 and 10");
	expect_error("[benford]\nsmall_n = 0\n", "t.conf:2: [benford] small_n: '0' must be between 1 and 1000000000");
	/* Past long long: still a range error, not a wrapped number. */
	expect_error("[callahead]\nvalid_ttl = 99999999999999999999999\n",
		     "t.conf:2: [callahead] valid_ttl: '99999999999999999999999' must be between 0 and 315360000");
}

static void test_config_bad_bool_is_an_error(void **state)
{
	(void)state;
	expect_error("[callahead]\nallow_private = maybe\n",
		     "t.conf:2: [callahead] allow_private: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)");
	expect_error("[callahead]\naccept_all_probe = 2\n",
		     "t.conf:2: [callahead] accept_all_probe: '2' is not a boolean (yes/no, true/false, on/off, 1/0)");
}

static void test_config_bad_enum_is_an_error(void **state)
{
	(void)state;
	expect_error("[cache]\nhash = md5\n", "t.conf:2: [cache] hash: 'md5' is not crc or ketama");
	expect_error("[callahead]\nstarttls = always\n",
		     "t.conf:2: [callahead] starttls: 'always' is not off, opportunistic or required");
}

static void test_config_syntax_errors_found_by_inih_name_the_line(void **state)
{
	(void)state;
	expect_error("[aliases]\ndb = x\nno equals sign here\n", "t.conf:3: syntax error");
	expect_error("[aliases\ndb = x\n", "t.conf:1: syntax error");
	/* Indented lines are lines of their own, not continuations. */
	expect_error("[aliases]\ndb = x\n    continued\n", "t.conf:3: syntax error");
}

/* Only the first error is reported, whoever found it. */
static void test_config_reports_the_first_error_only(void **state)
{
	(void)state;
	expect_error("[aliases]\nlock_wait_ms = x\nbogus line\n",
		     "t.conf:2: [aliases] lock_wait_ms: 'x' is not a number");
	expect_error("[aliases]\nbogus line\nlock_wait_ms = x\n", "t.conf:2: syntax error");
	expect_error("[aliases]\nnope = 1\n[cache]\nhash = md5\n",
		     "t.conf:2: unknown key 'nope' in [aliases]");
}

static void test_config_long_servers_value_survives(void **state)
{
	struct config c;
	struct buf text, want;

	(void)state;
	buf_init(&text);
	buf_init(&want);
	while (want.len < 1000)
		buf_addf(&want, "%s10.1.%zu.%zu:11211:%zu", want.len ? " " : "", want.len / 250, want.len % 250,
			 want.len % 7 + 1);
	buf_addf(&text, "[cache]\nservers = %s\nprefix = after:\n", want.data);
	expect_ok(&c, text.data);
	assert_true(strlen(c.cache.servers) >= 1000);
	assert_string_equal(c.cache.servers, want.data);
	assert_string_equal(c.cache.prefix, "after:");
	config_free(&c);
	buf_free(&text);
	buf_free(&want);
}

/* At the limit a line is read whole; past it, an error instead of a cut value. */
static void test_config_line_too_long_is_an_error_not_a_cut(void **state)
{
	struct config c;
	struct buf text;
	char *value;

	(void)state;
	/* "servers = " is 10 bytes: the line is exactly 4093. */
	value = xmalloc(4084);
	memset(value, 'a', 4083);
	value[4083] = '\0';
	buf_init(&text);
	buf_addf(&text, "[cache]\nservers = %s\r\n", value);
	expect_ok(&c, text.data);
	assert_int_equal(strlen(c.cache.servers), 4083);
	config_free(&c);
	buf_reset(&text);
	buf_addf(&text, "[cache]\n\nservers = %sa\nprefix = x\n", value);
	expect_error(text.data, "t.conf:3: line longer than 4093 bytes");
	/* The lines after a long one keep their numbers. */
	buf_reset(&text);
	buf_addf(&text, "[cache]\n; %s%s\nbogus\n", value, value);
	expect_error(text.data, "t.conf:2: line longer than 4093 bytes");
	buf_reset(&text);
	buf_addf(&text, "[cache]\n[aliases]\nbogus\n; %s%s\n", value, value);
	expect_error(text.data, "t.conf:3: syntax error");
	buf_free(&text);
	free(value);
}

/* A long bad value is cut in the message so the reason stays readable. */
static void test_config_message_cuts_a_long_value(void **state)
{
	struct config c;
	struct buf text;
	char err[512];

	(void)state;
	buf_init(&text);
	buf_adds(&text, "[dns]\ntimeout_ms = ");
	for (int i = 0; i < 300; i++)
		buf_addc(&text, 'z');
	buf_addc(&text, '\n');
	assert_int_equal(load(&c, text.data, err, sizeof(err)), EXIT_CONFIG);
	assert_string_equal(err, "t.conf:2: [dns] timeout_ms: "
				 "'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' is not a number");
	config_free(&c);
	/* A short err[] gets a cut, terminated message. */
	config_defaults(&c);
	assert_int_equal(config_load_string(&c, text.data, "t.conf", err, 12), EXIT_CONFIG);
	assert_string_equal(err, "t.conf:2: [");
	config_free(&c);
	buf_free(&text);
}

static void test_config_free_twice_is_harmless(void **state)
{
	struct config c;

	(void)state;
	expect_ok(&c, "[cache]\nservers = a\n");
	config_free(&c);
	assert_null(c.cache.servers);
	config_free(&c);
}

/* ---- files ---- */

static char tmpdir[64];

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc;

	(void)state;
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void test_config_load_explicit_file_sets_path(void **state)
{
	struct config c;
	char err[512];
	char *p = tmp_path("explicit.conf");

	(void)state;
	write_file(p, "[dns]\ntries = 4\n");
	config_defaults(&c);
	assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
	assert_string_equal(c.path, p);
	assert_int_equal(c.dns.tries, 4);
	config_free(&c);
	free(p);
}

static void test_config_load_explicit_missing_file_is_78(void **state)
{
	struct config c;
	char err[512], want[600];
	char *p = tmp_path("missing.conf");

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, p, err, sizeof(err)), EXIT_CONFIG);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", p);
	assert_string_equal(err, want);
	config_free(&c);
	/* A directory cannot be read either. */
	config_defaults(&c);
	assert_int_equal(config_load(&c, tmpdir, err, sizeof(err)), EXIT_CONFIG);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err, want);
	config_free(&c);
	free(p);
}

static void test_config_load_error_names_the_file(void **state)
{
	struct config c;
	char err[512], want[600];
	char *p = tmp_path("bad.conf");

	(void)state;
	write_file(p, "[dns]\n\ntries = many\n");
	config_defaults(&c);
	assert_int_equal(config_load(&c, p, err, sizeof(err)), EXIT_CONFIG);
	snprintf(want, sizeof(want), "%s:3: [dns] tries: 'many' is not a number", p);
	assert_string_equal(err, want);
	config_free(&c);
	free(p);
}

/* inih would stop at a NUL and ignore the rest of the file silently. */
static void test_config_load_rejects_a_nul_byte(void **state)
{
	struct config c;
	char err[512], want[600];
	char *p = tmp_path("nul.conf");
	FILE *f = fopen(p, "w");

	(void)state;
	assert_non_null(f);
	fwrite("[dns]\ntries = 3\nx\0y = 1\n", 1, 24, f);
	fclose(f);
	config_defaults(&c);
	assert_int_equal(config_load(&c, p, err, sizeof(err)), EXIT_CONFIG);
	snprintf(want, sizeof(want), "%s:3: NUL byte in the line", p);
	assert_string_equal(err, want);
	config_free(&c);
	free(p);
}

/* Saves and restores an environment variable around a test. */
struct saved_env {
	const char *name;
	char *value;
};

static struct saved_env env_save(const char *name)
{
	const char *v = getenv(name);
	struct saved_env s = {name, v != NULL ? xstrdup(v) : NULL};

	return s;
}

static void env_restore(struct saved_env *s)
{
	if (s->value != NULL)
		setenv(s->name, s->value, 1);
	else
		unsetenv(s->name);
	free(s->value);
}

static void test_config_load_uses_mailops_config_when_no_path(void **state)
{
	struct saved_env se = env_save("MAILOPS_CONFIG"), sh = env_save("HOME");
	struct config c;
	char err[512], want[600];
	char *p = tmp_path("env.conf");
	char *missing = tmp_path("env-missing.conf");

	(void)state;
	write_file(p, "[cache]\nprefix = env:\n");
	setenv("MAILOPS_CONFIG", p, 1);
	/* A HOME config must lose against $MAILOPS_CONFIG. */
	setenv("HOME", tmpdir, 1);
	config_defaults(&c);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.path, p);
	assert_string_equal(c.cache.prefix, "env:");
	config_free(&c);
	/* Named by the user, so it must exist. */
	setenv("MAILOPS_CONFIG", missing, 1);
	config_defaults(&c);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), EXIT_CONFIG);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", missing);
	assert_string_equal(err, want);
	config_free(&c);
	/* -c wins over the environment. */
	config_defaults(&c);
	write_file(missing, "[cache]\nprefix = dash-c:\n");
	setenv("MAILOPS_CONFIG", p, 1);
	assert_int_equal(config_load(&c, missing, err, sizeof(err)), 0);
	assert_string_equal(c.cache.prefix, "dash-c:");
	config_free(&c);
	env_restore(&se);
	env_restore(&sh);
	free(p);
	free(missing);
}

static void test_config_load_searches_home_then_falls_back_to_defaults(void **state)
{
	struct saved_env se = env_save("MAILOPS_CONFIG"), sh = env_save("HOME");
	struct config c;
	char err[512];
	char *home = tmp_path("home");
	char *dir = tmp_path("home/.config/mailops");
	char *file = tmp_path("home/.config/mailops/mailops.conf");
	char *cmd = xasprintf("mkdir -p '%s'", dir);

	(void)state;
	assert_int_equal(system(cmd), 0);
	write_file(file, "[doctor]\nsince = 5\n");
	/* An empty $MAILOPS_CONFIG counts as unset. */
	setenv("MAILOPS_CONFIG", "", 1);
	setenv("HOME", home, 1);
	config_defaults(&c);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.path, file);
	assert_int_equal(c.doctor.since, 5);
	config_free(&c);
	/* No file in HOME: /etc/mailops.conf, or the defaults when that is missing too. */
	unlink(file);
	unsetenv("MAILOPS_CONFIG");
	config_defaults(&c);
	if (access("/etc/mailops.conf", F_OK) != 0) {
		struct config def;

		assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
		assert_null(c.path);
		config_defaults(&def);
		assert_same_config(&c, &def);
		config_free(&def);
	}
	config_free(&c);
	env_restore(&se);
	env_restore(&sh);
	free(home);
	free(dir);
	free(file);
	free(cmd);
}

/* ---- the shipped docs follow the table ---- */

static void test_config_example_file_loads_with_every_key_at_its_default(void **state)
{
	struct config c, def;
	char err[512];
	char *text = slurp("docs/examples/mailops.conf");

	(void)state;
	config_defaults(&c);
	if (config_load(&c, "docs/examples/mailops.conf", err, sizeof(err)) != 0)
		fail_msg("%s", err);
	config_defaults(&def);
	assert_same_config(&c, &def);
	/* Every key is written out under its section, not only defaulted. */
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		char *head = xasprintf("\n[%s]\n", k->section);
		char *line = xasprintf("\n%s =", k->name);
		const char *start = strstr(text, head), *end, *at;

		if (start == NULL)
			fail_msg("no [%s] in the example", k->section);
		start += strlen(head) - 1;
		end = strstr(start, "\n[");
		at = strstr(start, line);
		if (at == NULL || (end != NULL && at > end))
			fail_msg("[%s] %s missing from the example", k->section, k->name);
		free(head);
		free(line);
	}
	config_free(&c);
	config_free(&def);
	free(text);
}

static void test_config_man_page_documents_every_key_and_default(void **state)
{
	char *man = slurp("docs/mailops.conf.5");

	(void)state;
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		char *sec = xasprintf(".SS [%s]\n", k->section);
		char *head = xasprintf("\n\\fB%s\\fR (", k->name);
		char *def = k->def[0] != '\0' ? xasprintf("default \\fB%s\\fR)\n", k->def) : xstrdup("default empty)\n");
		const char *s = strstr(man, sec), *h, *nl;

		if (s == NULL)
			fail_msg("no section %s in the man page", sec);
		h = strstr(s, head);
		if (h == NULL) {
			fail_msg("[%s] %s missing from the man page", k->section, k->name);
			break; /* not reached: keeps gcc -O1 from reading through NULL */
		}
		nl = strchr(h + 1, '\n');
		if (nl == NULL || strstr(h, def) == NULL || strstr(h, def) > nl)
			fail_msg("[%s] %s: man page default is not '%s'", k->section, k->name, k->def);
		free(sec);
		free(head);
		free(def);
	}
	free(man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults_match_documented_values),
		cmocka_unit_test(test_config_table_lists_every_key_once_with_help),
		cmocka_unit_test(test_config_value_spells_defaults_as_the_table),
		cmocka_unit_test(test_config_every_default_round_trips_through_a_file),
		cmocka_unit_test(test_config_every_key_lands_in_its_own_field),
		cmocka_unit_test(test_config_bool_accepts_every_spelling_in_any_case),
		cmocka_unit_test(test_config_numbers_accept_the_whole_range),
		cmocka_unit_test(test_config_reads_comments_blank_lines_and_crlf),
		cmocka_unit_test(test_config_value_starting_with_semicolon_is_refused),
		cmocka_unit_test(test_config_duplicate_key_last_wins),
		cmocka_unit_test(test_config_empty_value_clears_a_string),
		cmocka_unit_test(test_config_unknown_key_names_line_and_suggests_nearest),
		cmocka_unit_test(test_config_key_of_another_section_says_where_it_belongs),
		cmocka_unit_test(test_config_unknown_section_is_an_error),
		cmocka_unit_test(test_config_key_outside_a_section_is_an_error),
		cmocka_unit_test(test_config_bad_number_is_an_error),
		cmocka_unit_test(test_config_number_out_of_range_is_an_error),
		cmocka_unit_test(test_config_bad_bool_is_an_error),
		cmocka_unit_test(test_config_bad_enum_is_an_error),
		cmocka_unit_test(test_config_syntax_errors_found_by_inih_name_the_line),
		cmocka_unit_test(test_config_reports_the_first_error_only),
		cmocka_unit_test(test_config_long_servers_value_survives),
		cmocka_unit_test(test_config_line_too_long_is_an_error_not_a_cut),
		cmocka_unit_test(test_config_message_cuts_a_long_value),
		cmocka_unit_test(test_config_free_twice_is_harmless),
		cmocka_unit_test_setup_teardown(test_config_load_explicit_file_sets_path, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_config_load_explicit_missing_file_is_78, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_config_load_error_names_the_file, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_config_load_rejects_a_nul_byte, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_config_load_uses_mailops_config_when_no_path, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_config_load_searches_home_then_falls_back_to_defaults, setup_tmp,
						teardown_tmp),
		cmocka_unit_test(test_config_example_file_loads_with_every_key_at_its_default),
		cmocka_unit_test(test_config_man_page_documents_every_key_and_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

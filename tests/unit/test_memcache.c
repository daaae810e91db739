/*
 * tests/unit/test_memcache.c: pins backend/memcache.c: metadump lines as
 * memcached 1.6.18 prints them and as newer versions do (extra fields, a
 * leading OK), URL-decoded keys, stats lines, the verification value line,
 * [cache] servers parsing, which dumped keys the text protocol cannot carry
 * (mc_key_ok), and Cache::Memcached's placement (values checked
 * against the Perl module; the pool-level agreement is in
 * tests/e2e/batch_cache.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

/* Recorded from memcached 1.6.18: "lru_crawler metadump all". */
static void test_metadump_line_1_6_18(void **state)
{
	struct mc_meta m;
	struct buf key;
	const char *line =
		"key=mimedefang%3Aca%3Ar%3Aa%2520b%40example.org exp=1796195712 la=1796192112 cas=1 fetch=no cls=2 size=97";

	(void)state;
	buf_init(&key);
	assert_int_equal(mc_metadump_line(line, strlen(line), &m, &key), 1);
	assert_int_equal(m.klen, strlen("mimedefang:ca:r:a%20b@example.org"));
	assert_memory_equal(m.key, "mimedefang:ca:r:a%20b@example.org", m.klen);
	assert_int_equal(m.exp, 1796195712);
	assert_int_equal(m.la, 1796192112);
	assert_int_equal(m.cas, 1);
	assert_false(m.fetched);
	assert_int_equal(m.cls, 2);
	assert_int_equal(m.size, 97);
	assert_int_equal(m.flags, -1);
	buf_free(&key);
}

static void test_metadump_line_never_expires_utf8_and_control_bytes(void **state)
{
	struct mc_meta m;
	struct buf key;
	const char *a = "key=k%C3%A9y exp=-1 la=1796192120 cas=3 fetch=yes cls=1 size=64\n";
	const char *b = "key=sp%01x exp=-1 la=1 cas=4 fetch=no cls=1 size=64";

	(void)state;
	buf_init(&key);
	assert_int_equal(mc_metadump_line(a, strlen(a), &m, &key), 1);
	assert_memory_equal(m.key, "k\xc3\xa9y", 4);
	assert_int_equal(m.exp, -1);
	assert_true(m.fetched);
	assert_int_equal(mc_metadump_line(b, strlen(b), &m, &key), 1);
	assert_int_equal(m.klen, 4);
	assert_memory_equal(m.key, "sp\x01x", 4);
	buf_free(&key);
}

/* Newer versions add fields (flags=...) and may print OK first. */
static void test_metadump_line_newer_fields_and_ok(void **state)
{
	struct mc_meta m;
	struct buf key;
	const char *a = "key=foo exp=-1 la=1700000000 cas=2 fetch=no cls=1 size=63 flags=2 extra=zzz";

	(void)state;
	buf_init(&key);
	assert_int_equal(mc_metadump_line(a, strlen(a), &m, &key), 1);
	assert_int_equal(m.flags, 2);
	assert_int_equal(m.size, 63);
	assert_int_equal(mc_metadump_line("OK", 2, &m, &key), 2);
	assert_int_equal(mc_metadump_line("OK\r\n", 4, &m, &key), 2);
	assert_int_equal(mc_metadump_line("", 0, &m, &key), 2);
	assert_int_equal(mc_metadump_line("END\r\n", 5, &m, &key), 0);
	assert_int_equal(mc_metadump_line("exp=1 la=2", 10, &m, &key), -1);
	buf_free(&key);
}

static void test_url_decode_keeps_bad_escapes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	mc_url_decode("a%2", 3, &b);
	assert_string_equal(b.data, "a%2");
	mc_url_decode("%zz%41", 6, &b);
	assert_string_equal(b.data, "%zzA");
	mc_url_decode("%00x", 4, &b);
	assert_int_equal(b.len, 2);
	assert_int_equal(b.data[0], 0);
	buf_free(&b);
}

static void test_stat_line(void **state)
{
	const char *n, *v;
	size_t nl, vl;

	(void)state;
	assert_int_equal(mc_stat_line("STAT curr_items 42\r\n", 20, &n, &nl, &v, &vl), 1);
	assert_int_equal(nl, 10);
	assert_memory_equal(n, "curr_items", 10);
	assert_int_equal(vl, 2);
	assert_memory_equal(v, "42", 2);
	assert_int_equal(mc_stat_line("STAT items:1:number 5", 21, &n, &nl, &v, &vl), 1);
	assert_memory_equal(n, "items:1:number", nl);
	assert_int_equal(mc_stat_line("END", 3, &n, &nl, &v, &vl), 0);
	assert_int_equal(mc_stat_line("ERROR", 5, &n, &nl, &v, &vl), -1);
}

static void test_schema_value_line(void **state)
{
	struct mc_schema s;
	const char *v = "valid 250 2.1.5 1764000000 mx1.example.org Ok, recipient exists";

	(void)state;
	assert_true(mc_schema_parse(v, strlen(v), &s));
	assert_string_equal(s.state, "valid");
	assert_int_equal(s.code, 250);
	assert_string_equal(s.dsn, "2.1.5");
	assert_int_equal(s.when, 1764000000);
	assert_memory_equal(s.host, "mx1.example.org", s.hostlen);
	assert_int_equal(s.textlen, strlen("Ok, recipient exists"));
	v = "accept-all - - 1764000000 - -";
	assert_true(mc_schema_parse(v, strlen(v), &s));
	assert_int_equal(s.code, 0);
	assert_string_equal(s.dsn, "");
	assert_null(s.host);
	assert_null(s.text);
	v = "tempfail 451 4.3.0 1764000000 mx -"; /* not a cached state */
	assert_false(mc_schema_parse(v, strlen(v), &s));
	v = "valid 25 2.1.5 1764000000 mx -";
	assert_false(mc_schema_parse(v, strlen(v), &s));
	v = "valid 250 2.1.5 notatime mx -";
	assert_false(mc_schema_parse(v, strlen(v), &s));
	assert_false(mc_schema_parse("valid", 5, &s));
}

static void test_pool_parses_servers(void **state)
{
	struct mc_pool p;
	char err[256];

	(void)state;
	assert_int_equal(mc_pool_init(&p, "10.0.0.1:11211, 10.0.0.2:11212:3 /run/mc.sock:2 [::1]:11213 cache3", CACHE_HASH_CRC,
				      150, "ns:", err, sizeof(err)),
			 0);
	assert_int_equal(p.n, 5);
	assert_string_equal(p.servers[0].host, "10.0.0.1");
	assert_string_equal(p.servers[0].port, "11211");
	assert_int_equal(p.servers[1].weight, 3);
	assert_string_equal(p.servers[2].path, "/run/mc.sock");
	assert_int_equal(p.servers[2].weight, 2);
	assert_string_equal(p.servers[3].host, "::1");
	assert_string_equal(p.servers[3].port, "11213");
	assert_string_equal(p.servers[4].port, "11211");
	assert_int_equal(p.nbuckets, 1 + 3 + 2 + 1 + 1);
	assert_string_equal(p.ns, "ns:");
	mc_pool_free(&p);
	assert_int_equal(mc_pool_init(&p, "", CACHE_HASH_CRC, 150, "", err, sizeof(err)), 0);
	assert_string_equal(p.servers[0].spec, "127.0.0.1:11211");
	mc_pool_free(&p);
	assert_int_equal(mc_pool_init(&p, "10.0.0.1:x", CACHE_HASH_CRC, 150, "", err, sizeof(err)), EXIT_CONFIG);
	assert_non_null(strstr(err, "'10.0.0.1:x'"));
	assert_int_equal(mc_pool_init(&p, "10.0.0.1:11211:0", CACHE_HASH_CRC, 150, "", err, sizeof(err)), EXIT_CONFIG);
	assert_int_equal(mc_pool_init(&p, "[::1", CACHE_HASH_CRC, 150, "", err, sizeof(err)), EXIT_CONFIG);
}

/*
 * Cache::Memcached 1.30, servers ["a:1", ["b:2", 2], "c:3"]:
 * perl -MCache::Memcached -e 'print Cache::Memcached::_hashfunc("hello")'
 * gives 13840; the buckets a b b c; "hello" -> 13840 % 4 = 0 -> a.
 */
static void test_crc_placement_as_cache_memcached(void **state)
{
	struct mc_pool p;
	char err[256];
	size_t chain[8];

	(void)state;
	assert_int_equal(mc_hash_crc("hello", 5), 13840);
	assert_int_equal(mc_pool_init(&p, "a:1 b:2:2 c:3", CACHE_HASH_CRC, 150, "", err, sizeof(err)), 0);
	assert_int_equal(mc_pool_server(&p, "hello", 5), 0);
	/* The rehash chain starts at the primary and names each server once. */
	size_t n = mc_pool_chain(&p, "hello", 5, chain, 8);
	assert_true(n >= 2 && n <= 3);
	assert_int_equal(chain[0], 0);
	for (size_t i = 1; i < n; i++)
		assert_true(chain[i] != 0 && chain[i] < 3);
	mc_pool_free(&p);
	/* One server: no hashing at all. */
	assert_int_equal(mc_pool_init(&p, "a:1", CACHE_HASH_KETAMA, 150, "", err, sizeof(err)), 0);
	assert_int_equal(mc_pool_server(&p, "anything", 8), 0);
	mc_pool_free(&p);
}

static void test_ketama_continuum_weights(void **state)
{
	struct mc_pool p;
	char err[256];
	size_t count[3] = { 0, 0, 0 };
	char key[32];

	(void)state;
	assert_int_equal(mc_pool_init(&p, "127.0.0.1:1 127.0.0.1:2:2 127.0.0.1:3", CACHE_HASH_KETAMA, 150, "", err,
				      sizeof(err)),
			 0);
	assert_int_equal(p.npoints, 150 + 300 + 150);
	for (size_t i = 1; i < p.npoints; i++)
		assert_true(p.points[i - 1].point <= p.points[i].point);
	for (int i = 0; i < 40000; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);
		count[mc_pool_server(&p, key, (size_t)n)]++;
	}
	/* The weight-2 server takes about half. */
	assert_true(count[1] > 16000 && count[1] < 24000);
	assert_true(count[0] > 6000 && count[2] > 6000);
	/* No rehash with ketama: the chain is the primary alone. */
	size_t chain[4];
	assert_int_equal(mc_pool_chain(&p, "k1", 2, chain, 4), 1);
	mc_pool_free(&p);
}

/* A metadump shows keys stored over the binary protocol URL-encoded; the
 * decoded bytes are what list and flush would send back in mg/md, so
 * mc_key_ok must refuse those a text command line cannot carry. */
static void test_dumped_keys_the_text_protocol_cannot_carry(void **state)
{
	static const struct {
		const char *line;
		bool ok;
	} cases[] = {
		{ "key=md%3Aca%3Ar%3Aa%40example.org exp=-1 la=1 cas=1 fetch=no cls=1 size=64", true },
		{ "key=k%C3%A9y exp=-1 la=1 cas=1 fetch=no cls=1 size=64", true },
		{ "key=ca%3Ar%3Asp%20ace exp=-1 la=1 cas=1 fetch=no cls=1 size=64", false },
		{ "key=ca%3Ar%3Anew%0Aline exp=-1 la=1 cas=1 fetch=no cls=1 size=64", false },
		{ "key=a%0D%0Amn exp=-1 la=1 cas=1 fetch=no cls=1 size=64", false },
		{ "key=tab%09 exp=-1 la=1 cas=1 fetch=no cls=1 size=64", false },
		{ "key=del%7F exp=-1 la=1 cas=1 fetch=no cls=1 size=64", false },
	};
	struct mc_meta m;
	struct buf key;
	char long_key[252];

	(void)state;
	buf_init(&key);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mc_metadump_line(cases[i].line, strlen(cases[i].line), &m, &key), 1);
		if (mc_key_ok(m.key, m.klen) != cases[i].ok)
			fail_msg("%s: mc_key_ok should be %s", cases[i].line, cases[i].ok ? "true" : "false");
	}
	buf_free(&key);
	memset(long_key, 'k', sizeof(long_key));
	assert_true(mc_key_ok(long_key, 250));
	assert_false(mc_key_ok(long_key, 251));
	assert_false(mc_key_ok(long_key, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadump_line_1_6_18),
		cmocka_unit_test(test_metadump_line_never_expires_utf8_and_control_bytes),
		cmocka_unit_test(test_metadump_line_newer_fields_and_ok),
		cmocka_unit_test(test_url_decode_keeps_bad_escapes),
		cmocka_unit_test(test_stat_line),
		cmocka_unit_test(test_schema_value_line),
		cmocka_unit_test(test_pool_parses_servers),
		cmocka_unit_test(test_crc_placement_as_cache_memcached),
		cmocka_unit_test(test_ketama_continuum_weights),
		cmocka_unit_test(test_dumped_keys_the_text_protocol_cannot_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

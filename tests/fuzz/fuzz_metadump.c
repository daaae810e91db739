/*
 * tests/fuzz/fuzz_metadump.c: libFuzzer harness for the memcached texts of
 * backend/memcache.c: metadump lines, stats lines, the verification value
 * line, and [cache] servers. Any bytes: no crash, no leak, and results
 * that hold together (a decoded key is never longer than its line, a
 * parsed value's state is one of the cached states).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf key;
	struct mc_meta m;
	struct mc_schema sc;
	const char *n, *v;
	size_t nl, vl;

	buf_init(&key);
	/* Line by line, as a dump arrives. */
	for (size_t off = 0; off < size;) {
		const char *nlp = memchr(s + off, '\n', size - off);
		size_t len = nlp != NULL ? (size_t)(nlp - (s + off)) + 1 : size - off;
		int k = mc_metadump_line(s + off, len, &m, &key);
		if (k == 1 && (m.klen > len || m.key != key.data))
			abort();
		if (mc_stat_line(s + off, len, &n, &nl, &v, &vl) == 1 &&
		    (n < s + off || v + vl > s + off + len || nl + vl > len))
			abort();
		if (mc_schema_parse(s + off, len, &sc)) {
			if (strcmp(sc.state, "valid") && strcmp(sc.state, "invalid") && strcmp(sc.state, "accept-all") &&
			    strcmp(sc.state, "refused"))
				abort();
			if (sc.code != 0 && (sc.code < 200 || sc.code > 599))
				abort();
		}
		off += len;
	}
	buf_free(&key);
	/* The same bytes as a server list. */
	if (size < 4096) {
		char *list = malloc(size + 1);
		struct mc_pool p;
		char err[256];
		memcpy(list, data, size);
		list[size] = '\0';
		if (mc_pool_init(&p, list, size % 2 ? CACHE_HASH_KETAMA : CACHE_HASH_CRC, 10, "", err, sizeof(err)) == 0) {
			size_t chain[32];
			if (p.n == 0 || mc_pool_server(&p, list, size) >= p.n)
				abort();
			size_t c = mc_pool_chain(&p, list, size, chain, 32);
			for (size_t i = 0; i < c; i++)
				if (chain[i] >= p.n)
					abort();
			mc_pool_free(&p);
		}
		free(list);
	}
	return 0;
}

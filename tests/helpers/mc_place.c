/*
 * tests/helpers/mc_place.c: where mailops places keys, for the tests that
 * compare with what Cache::Memcached and Cache::Memcached::Fast did.
 *
 *   mc_place SERVERS crc|ketama POINTS KEY...
 *
 * Prints "key<TAB>server<TAB>chain" per key (chain: the servers the CRC
 * rehash would try, comma separated).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

int main(int argc, char **argv)
{
	struct mc_pool p;
	char err[256];

	if (argc < 5) {
		fprintf(stderr, "usage: mc_place SERVERS crc|ketama POINTS KEY...\n");
		return 64;
	}
	if (mc_pool_init(&p, argv[1], strcmp(argv[2], "ketama") == 0 ? CACHE_HASH_KETAMA : CACHE_HASH_CRC,
			 atoi(argv[3]), "", err, sizeof(err)) != 0) {
		fprintf(stderr, "mc_place: %s\n", err);
		return 78;
	}
	for (int i = 4; i < argc; i++) {
		size_t chain[32];
		size_t n = mc_pool_chain(&p, argv[i], strlen(argv[i]), chain, 32);
		printf("%s\t%s\t", argv[i], p.servers[mc_pool_server(&p, argv[i], strlen(argv[i]))].spec);
		for (size_t k = 0; k < n; k++)
			printf("%s%s", k ? "," : "", p.servers[chain[k]].spec);
		printf("\n");
	}
	mc_pool_free(&p);
	return 0;
}

/*
 * tests/helpers/corrupt.c: damages a copy of a file the way disks and
 * careless copies do, reproducibly from a seed: random bytes flipped,
 * a run zeroed, the file cut short, or one page scribbled over.
 *
 *   corrupt IN OUT SEED
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	FILE *f;
	unsigned char *b;
	long n;

	if (argc != 4) {
		fprintf(stderr, "usage: corrupt IN OUT SEED\n");
		return 64;
	}
	rng = strtoull(argv[3], NULL, 10) * 2654435761u + 88172645463325252ull;
	f = fopen(argv[1], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 8192) {
		fprintf(stderr, "corrupt: %s: cannot read (or smaller than two pages)\n", argv[1]);
		return 66;
	}
	rewind(f);
	b = malloc((size_t)n);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
		return 66;
	fclose(f);
	switch (next() % 4) {
	case 0: /* flip a few bytes anywhere after the metadata page */
		for (int i = 0, k = 1 + (int)(next() % 20); i < k; i++)
			b[4096 + next() % (uint64_t)(n - 4096)] = (unsigned char)next();
		break;
	case 1: { /* zero a run */
		long at = 4096 + (long)(next() % (uint64_t)(n - 4096)), len = 1 + (long)(next() % 4096);
		memset(b + at, 0, (size_t)(at + len > n ? n - at : len));
		break;
	}
	case 2: /* cut short */
		n = 4096 + (long)(next() % (uint64_t)(n - 4096));
		break;
	default: { /* scribble over one page */
		long page = 1 + (long)(next() % (uint64_t)(n / 4096 - 1));
		for (int i = 0; i < 30; i++)
			b[page * 4096 + (long)(next() % 4096)] = (unsigned char)next();
		break;
	}
	}
	f = fopen(argv[2], "wb");
	if (f == NULL || fwrite(b, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0)
		return 73;
	free(b);
	return 0;
}

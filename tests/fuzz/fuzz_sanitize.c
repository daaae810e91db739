/*
 * tests/fuzz/fuzz_sanitize.c: libFuzzer harness for backend/sanitize.c.
 *
 * Runs every mode over the input and abort()s when an output could steer a
 * terminal or is not what the contract promises: it must be well-formed
 * UTF-8 (checked here by a decoder independent of sanitize.c's), carry no
 * control the mode hides, come out unchanged when sanitized again, be
 * reported clean, and equal the input exactly when the input was clean.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Generic decode, then reject what RFC 3629 forbids. */
static size_t check_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	uint32_t v;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		v = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		v = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static bool check_hidden(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0xfeff;
}

static void check_output(const char *out, size_t len, enum san_mode mode)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t i = 0, n;
	uint32_t cp = 0;

	if (out[len] != '\0')
		abort();
	while (i < len) {
		n = check_decode(s + i, len - i, &cp);
		if (n == 0)
			abort();
		if ((mode != SAN_UTF8 || cp == 0x7f) && check_hidden(cp) && !(cp == '\t' && mode == SAN_TEXT))
			abort();
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum san_mode modes[] = {SAN_TEXT, SAN_FIELD, SAN_UTF8, SAN_LINE};
	const char *in = (const char *)data;
	struct buf out, again;
	char *dup;
	bool same;

	buf_init(&out);
	buf_init(&again);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		buf_reset(&out);
		buf_reset(&again);
		sanitize_buf(&out, in, size, modes[m]);
		check_output(out.data, out.len, modes[m]);
		if (out.len > 4 * size)
			abort();
		same = out.len == size && (size == 0 || memcmp(out.data, in, size) == 0);
		if (sanitize_is_clean(in, size, modes[m]) != same)
			abort();
		if (!sanitize_is_clean(out.data, out.len, modes[m]))
			abort();
		sanitize_buf(&again, out.data, out.len, modes[m]);
		if (again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
			abort();
		dup = sanitize_dup(in, size, modes[m]);
		if (memcmp(dup, out.data, out.len + 1) != 0)
			abort();
		free(dup);
	}
	buf_free(&out);
	buf_free(&again);
	return 0;
}

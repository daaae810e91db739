/*
 * backend/mime.c: what the mail readers share of GMime: its one-time
 * start, and RFC 2047 header decoding to UTF-8 (encoded-words in any
 * charset GMime knows, B and Q, adjacent words joined; raw 8-bit text
 * taken as UTF-8 or converted from Latin-1 by GMime's rules). Plain ASCII
 * needs no decoder call.
 */
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

void mime_init(void)
{
	static bool done;

	if (!done) {
		g_mime_init();
		done = true;
	}
}

static bool plain_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || (s[i] == '=' && i + 1 < len && s[i + 1] == '?'))
			return false;
	return true;
}

void mime_decode_header(const char *raw, size_t len, struct buf *out)
{
	buf_reset(out);
	if (plain_ascii(raw, len)) {
		buf_add(out, raw, len);
		return;
	}
	mime_init();
	/* GMime wants a C string: a NUL inside a header ends it there. */
	char *s = xstrndup(raw, len);
	char *d = g_mime_utils_header_decode_text(NULL, s);
	if (d != NULL) {
		buf_adds(out, d);
		g_free(d);
	} else {
		buf_adds(out, s);
	}
	free(s);
}

size_t utf8_codepoints(const char *s, size_t len)
{
	size_t n = 0;

	/* Every byte that does not continue a sequence starts a character
	 * (an invalid byte counts as one, as a decoder's replacement would). */
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

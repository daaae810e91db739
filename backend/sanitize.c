/*
 * backend/sanitize.c: turns any untrusted byte string (alias values, mail
 * headers, server replies) into text a terminal cannot be steered by.
 *
 * The input is decoded strictly as UTF-8 (RFC 3629). What a terminal would
 * act on rather than print is written as "\xNN" per byte: C0 controls, DEL,
 * C1 controls, the Unicode marks that reorder or hide text, and each byte
 * that is not part of a well-formed sequence. Backslash itself is left alone
 * so that text output stays byte-identical to praliases; the escapes are
 * therefore for a human to read, not to be decoded back.
 *
 * This runs over every row of a million-alias map, so a clean string costs
 * one scan, mostly eight bytes at a time, and one append.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"

#define SAN_ONES  UINT64_C(0x0101010101010101)
#define SAN_HIGHS UINT64_C(0x8080808080808080)

/*
 * Length of the leading run of printable ASCII (0x20..0x7e). A word with no
 * byte below 0x20 and none at or above 0x7f is skipped whole; the two tests
 * may misreport a byte above a flagged one (borrow or carry), but only when
 * some byte in the word is flagged already, so the verdict for the word is
 * exact and the byte loop finds the position.
 */
static size_t ascii_run(const unsigned char *s, size_t len)
{
	size_t i = 0;
	uint64_t w;

	while (len - i >= sizeof(w)) {
		memcpy(&w, s + i, sizeof(w));
		if ((((w - SAN_ONES * 0x20) & ~w) | (w + SAN_ONES) | w) & SAN_HIGHS)
			break;
		i += sizeof(w);
	}
	while (i < len && (unsigned)(s[i] - 0x20) < 0x5f)
		i++;
	return i;
}

/*
 * Decodes one well-formed sequence at s (RFC 3629, Unicode table 3-7):
 * returns its length and sets *cp, or returns 0 when the first byte does not
 * start one (stray continuation, C0/C1/F5..FF lead, overlong, surrogate,
 * beyond U+10FFFF, or cut short). The caller escapes just that first byte
 * and retries at the next, so a valid character right after a broken one
 * survives.
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned c = s[0];
	unsigned lo = 0x80, hi = 0xbf; /* the range allowed for the second byte */
	uint32_t v;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates U+D800..U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	v = v << 6 | (s[1] & 0x3f);
	for (size_t k = 2; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	*cp = v;
	return n;
}

/* An ASCII control (or DEL) that mode lets through. */
static bool ctl_passes(unsigned c, enum san_mode mode)
{
	if (mode == SAN_UTF8)
		return c != 0x7f; /* JSON escapes the others; jansson writes DEL as it is */
	return c == '\t' && mode == SAN_TEXT;
}

/*
 * Code points above ASCII that a terminal acts on, or that make displayed
 * text differ from the bytes: C1 controls (U+009B is CSI on many
 * terminals even when UTF-8 encoded), bidi embeddings, overrides, isolates
 * and marks (a "Trojan Source" address reads differently from what it is),
 * line and paragraph separators, and the BOM / zero-width no-break space.
 * Zero-width joiners stay: emoji sequences need them and they reorder
 * nothing.
 */
static bool cp_is_hidden_control(uint32_t cp)
{
	if (cp < 0x00a0)
		return true; /* only reached for U+0080..U+009F */
	if (cp < 0x061c)
		return false;
	switch (cp) {
	case 0x061c: /* ARABIC LETTER MARK */
	case 0x200e: /* LRM */
	case 0x200f: /* RLM */
	case 0x2028: /* LINE SEPARATOR */
	case 0x2029: /* PARAGRAPH SEPARATOR */
	case 0xfeff: /* BOM, ZWNBSP */
		return true;
	}
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Offset of the first sequence in s[0..len) that mode does not pass, or len
 * when there is none; *badlen gets that sequence's length (1 for a byte that
 * is not valid UTF-8, so decoding resumes at the next byte).
 */
static size_t san_scan(const unsigned char *s, size_t len, enum san_mode mode, size_t *badlen)
{
	size_t i = 0, n;
	uint32_t cp;

	for (;;) {
		i += ascii_run(s + i, len - i);
		if (i == len)
			return len;
		if (s[i] < 0x80) {
			if (!ctl_passes(s[i], mode)) {
				*badlen = 1;
				return i;
			}
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			*badlen = 1;
			return i;
		}
		if (mode != SAN_UTF8 && cp_is_hidden_control(cp)) {
			*badlen = n;
			return i;
		}
		i += n;
	}
}

/* Writes the n bytes at s (n <= 4) in their escaped form. */
static void san_escape(struct buf *b, const unsigned char *s, size_t n, enum san_mode mode)
{
	static const char hex[] = "0123456789abcdef";
	char out[16];
	size_t k;

	/* tsv/csv readers expect the C letters; a bare "\x09" would look odd. */
	if (mode == SAN_FIELD && n == 1) {
		const char *letter = NULL;

		switch (s[0]) {
		case '\t':
			letter = "\\t";
			break;
		case '\r':
			letter = "\\r";
			break;
		case '\n':
			letter = "\\n";
			break;
		}
		if (letter != NULL) {
			buf_add(b, letter, 2);
			return;
		}
	}
	for (k = 0; k < n; k++) {
		out[4 * k] = '\\';
		out[4 * k + 1] = 'x';
		out[4 * k + 2] = hex[s[k] >> 4];
		out[4 * k + 3] = hex[s[k] & 0x0f];
	}
	buf_add(b, out, 4 * n);
}

void sanitize_buf(struct buf *b, const char *src, size_t len, enum san_mode mode)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t off, bad = 0;

	/* src may be NULL when len is 0; still leave b NUL-terminated. */
	if (len == 0) {
		buf_add(b, "", 0);
		return;
	}
	for (;;) {
		off = san_scan(s, len, mode, &bad);
		buf_add(b, s, off);
		if (off == len)
			return;
		san_escape(b, s + off, bad, mode);
		s += off + bad;
		len -= off + bad;
	}
}

char *sanitize_dup(const char *src, size_t len, enum san_mode mode)
{
	struct buf b;

	buf_init(&b);
	sanitize_buf(&b, src, len, mode);
	return buf_take(&b);
}

bool sanitize_is_clean(const char *src, size_t len, enum san_mode mode)
{
	size_t bad;

	if (len == 0)
		return true;
	return san_scan((const unsigned char *)src, len, mode, &bad) == len;
}

/*
 * tests/unit/test_sanitize.c: pins what backend/sanitize.c lets through to a
 * terminal: exact escapes for known escape-sequence attacks and malformed
 * UTF-8, the per-mode rules, and, over 200k generated strings, agreement
 * with a slow reference model plus the invariants every output must keep.
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

static const enum san_mode all_modes[] = {SAN_TEXT, SAN_FIELD, SAN_UTF8, SAN_LINE};
static const char *const mode_names[] = {"SAN_TEXT", "SAN_FIELD", "SAN_UTF8", "SAN_LINE"};

/* The code points above ASCII the contract hides, besides C1. */
static const uint32_t hidden_cps[] = {
    0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c,
    0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff,
};

/*
 * Sanitizes in[0..len) and checks the exact result, that the result is
 * clean in the same mode, and that is_clean(in) says whether in survived.
 */
static void expect_n(const char *in, size_t len, enum san_mode mode, const char *want)
{
	struct buf b;

	buf_init(&b);
	sanitize_buf(&b, in, len, mode);
	assert_non_null(b.data);
	assert_string_equal(b.data, want);
	assert_int_equal(b.len, strlen(want));
	assert_true(sanitize_is_clean(b.data, b.len, mode));
	assert_int_equal(sanitize_is_clean(in, len, mode), b.len == len && memcmp(b.data, in, len) == 0);
	buf_free(&b);
}

static void expect(const char *in, enum san_mode mode, const char *want)
{
	expect_n(in, strlen(in), mode, want);
}

static void expect_all_modes(const char *in, const char *want)
{
	for (size_t m = 0; m < sizeof(all_modes) / sizeof(all_modes[0]); m++)
		expect(in, all_modes[m], want);
}

/* The escaping modes, in which no control may reach the terminal. */
static void expect_escaping_modes(const char *in, const char *want)
{
	expect(in, SAN_TEXT, want);
	expect(in, SAN_LINE, want);
	expect(in, SAN_FIELD, want);
}

/* Encodes v in exactly n bytes, overlong or out of range if asked to. */
static size_t encode_n(uint32_t v, size_t n, unsigned char *out)
{
	static const unsigned char lead[] = {0, 0x00, 0xc0, 0xe0, 0xf0};

	for (size_t k = n - 1; k > 0; k--) {
		out[k] = (unsigned char)(0x80 | (v & 0x3f));
		v >>= 6;
	}
	out[0] = (unsigned char)(lead[n] | v);
	return n;
}

static size_t encode(uint32_t cp, unsigned char *out)
{
	return encode_n(cp, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, out);
}

/*
 * The reference model. It decodes the generic way and then rejects what
 * RFC 3629 forbids, a different method from sanitize.c's per-lead-byte
 * ranges, and goes one byte or character at a time.
 */
static size_t ref_decode(const unsigned char *s, size_t len, uint32_t *cp)
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

static bool ref_is_hidden(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return true;
	for (size_t k = 0; k < sizeof(hidden_cps) / sizeof(hidden_cps[0]); k++)
		if (cp == hidden_cps[k])
			return true;
	return false;
}

/* By hand rather than buf_addf: the random test calls this millions of times. */
static void ref_hex(struct buf *b, unsigned char c)
{
	char out[4] = {'\\', 'x', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};

	buf_add(b, out, sizeof(out));
}

static void ref_sanitize(struct buf *b, const unsigned char *s, size_t len, enum san_mode mode)
{
	size_t i = 0, n;
	uint32_t cp = 0;

	buf_add(b, "", 0);
	while (i < len) {
		n = ref_decode(s + i, len - i, &cp);
		if (n == 0) {
			ref_hex(b, s[i]);
			i++;
			continue;
		}
		if ((mode == SAN_UTF8 && cp != 0x7f) || !ref_is_hidden(cp) || (cp == '\t' && mode == SAN_TEXT)) {
			buf_add(b, s + i, n);
		} else if (mode == SAN_FIELD && cp == '\t') {
			buf_adds(b, "\\t");
		} else if (mode == SAN_FIELD && cp == '\r') {
			buf_adds(b, "\\r");
		} else if (mode == SAN_FIELD && cp == '\n') {
			buf_adds(b, "\\n");
		} else {
			for (size_t k = 0; k < n; k++)
				ref_hex(b, s[i + k]);
		}
		i += n;
	}
}

/* True when s[0..len) is well-formed UTF-8 with no control the mode hides. */
static bool ref_output_ok(const char *out, size_t len, enum san_mode mode)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t i = 0, n;
	uint32_t cp = 0;

	while (i < len) {
		n = ref_decode(s + i, len - i, &cp);
		if (n == 0)
			return false;
		if ((mode != SAN_UTF8 || cp == 0x7f) && ref_is_hidden(cp) && !(cp == '\t' && mode == SAN_TEXT))
			return false;
		i += n;
	}
	return true;
}

/* Bytes that steer a terminal, in the output of an escaping mode. */
static void assert_no_terminal_controls(const char *out, size_t len, enum san_mode mode)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		assert_int_not_equal(c, 0x1b);
		assert_int_not_equal(c, 0x9b);
		assert_int_not_equal(c, 0x7f);
		if (c < 0x20)
			assert_true(c == '\t' && mode == SAN_TEXT);
	}
}

static void test_sanitize_passes_printable_ascii_unchanged(void **state)
{
	char all[0x7f - 0x20 + 1];

	(void)state;
	for (int c = 0x20; c < 0x7f; c++)
		all[c - 0x20] = (char)c;
	all[sizeof(all) - 1] = '\0';
	expect_all_modes(all, all);
	expect_all_modes("user123:alice, bob@example.org", "user123:alice, bob@example.org");
}

static void test_sanitize_keeps_backslash_unescaped(void **state)
{
	(void)state;
	/* praliases prints "\alice" as is; so must the text output. */
	expect_all_modes("\\alice", "\\alice");
	expect_all_modes("postmaster: \\root, |\"/usr/bin/x\"", "postmaster: \\root, |\"/usr/bin/x\"");
	expect_all_modes("\\x1b", "\\x1b");
}

static void test_sanitize_passes_valid_utf8_unchanged(void **state)
{
	static const char *const ok[] = {
	    "日本語のエイリアス",
	    "\xf0\x9f\x98\x80 grin",							/* U+1F600 */
	    "e\xcc\x81t\xcc\x88",							/* e + U+0301, t + U+0308 */
	    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", /* family, ZWJ */
	    "\xc2\xa0nbsp \xc3\xa9t\xc3\xa9",	 /* U+00A0 is the first after C1 */
	    "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",	 /* Arabic, strong RTL letters only */
	    "\xdf\xbf \xe0\xa0\x80",		 /* U+07FF, U+0800 */
	    "\xed\x9f\xbf \xee\x80\x80",	 /* U+D7FF, U+E000 around surrogates */
	    "\xef\xbf\xbd \xef\xbf\xbf",	 /* U+FFFD, U+FFFF */
	    "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", /* U+10000, U+10FFFF */
	    "\xe2\x80\xa7 \xe2\x80\xaf",	 /* U+2027, U+202F around the bidi block */
	};

	(void)state;
	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
		expect_all_modes(ok[k], ok[k]);
}

static void test_sanitize_escapes_csi_clear_screen(void **state)
{
	(void)state;
	expect_escaping_modes("\x1b[2J", "\\x1b[2J");
	expect_escaping_modes("before\x1b[2J\x1b[Hafter", "before\\x1b[2J\\x1b[Hafter");
	expect_escaping_modes("red\x1b[31m!\x1b[0m", "red\\x1b[31m!\\x1b[0m");
}

static void test_sanitize_escapes_osc52_clipboard_write_bel(void **state)
{
	(void)state;
	expect_escaping_modes("x\x1b]52;c;Y3VybCBldmlsfHNo\x07y", "x\\x1b]52;c;Y3VybCBldmlsfHNo\\x07y");
}

static void test_sanitize_escapes_osc52_clipboard_write_st(void **state)
{
	(void)state;
	expect_escaping_modes("\x1b]52;c;Y3VybA==\x1b\\", "\\x1b]52;c;Y3VybA==\\x1b\\");
}

static void test_sanitize_escapes_osc0_title_set(void **state)
{
	(void)state;
	expect_escaping_modes("\x1b]0;you have been pwned\x07", "\\x1b]0;you have been pwned\\x07");
}

static void test_sanitize_escapes_raw_8bit_csi(void **state)
{
	(void)state;
	/* 0x9b alone is not UTF-8; an 8-bit terminal reads it as CSI: home, erase. */
	expect_all_modes("x\x9bH\x9bJy", "x\\x9bH\\x9bJy");
	expect_all_modes("\x9d"
			 "0;t\x9c",
			 "\\x9d0;t\\x9c"); /* 8-bit OSC ... ST */
}

static void test_sanitize_escapes_c1_encoded_as_utf8(void **state)
{
	(void)state;
	expect_escaping_modes("\xc2\x9bH\xc2\x9bJ", "\\xc2\\x9bH\\xc2\\x9bJ");
	expect_escaping_modes("\xc2\x80|\xc2\x9f", "\\xc2\\x80|\\xc2\\x9f");
	expect("\xc2\x9bH\xc2\x9bJ", SAN_UTF8, "\xc2\x9bH\xc2\x9bJ");
}

static void test_sanitize_escapes_del(void **state)
{
	(void)state;
	expect_escaping_modes("x\x7fy", "x\\x7fy");
}

static void test_sanitize_escapes_nul_inside_counted_string(void **state)
{
	(void)state;
	expect_n("ab\0cd", 5, SAN_TEXT, "ab\\x00cd");
	expect_n("\0", 1, SAN_FIELD, "\\x00");
}

static void test_sanitize_escapes_every_c0_control(void **state)
{
	char in[2], want[8];

	(void)state;
	for (int c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		in[1] = '\0';
		snprintf(want, sizeof(want), "\\x%02x", c);
		expect_n(in, 1, SAN_LINE, want);
		expect_n(in, 1, SAN_TEXT, c == '\t' ? "\t" : want);
		if (c != '\t' && c != '\r' && c != '\n')
			expect_n(in, 1, SAN_FIELD, want);
	}
}

static void test_sanitize_escapes_bidi_override(void **state)
{
	(void)state;
	/* "Trojan source": reads as "payexe.html"; must show what it is. */
	expect_escaping_modes("pay\xe2\x80\xaelmth.exe", "pay\\xe2\\x80\\xaelmth.exe");
	expect("pay\xe2\x80\xaelmth.exe", SAN_UTF8, "pay\xe2\x80\xaelmth.exe");
}

static void test_sanitize_escapes_each_hidden_unicode_control(void **state)
{
	unsigned char in[8];
	char want[32];
	size_t n;

	(void)state;
	for (size_t k = 0; k < sizeof(hidden_cps) / sizeof(hidden_cps[0]); k++) {
		n = encode(hidden_cps[k], in);
		want[0] = '\0';
		for (size_t j = 0; j < n; j++)
			snprintf(want + 4 * j, sizeof(want) - 4 * j, "\\x%02x", in[j]);
		expect_n((const char *)in, n, SAN_TEXT, want);
		expect_n((const char *)in, n, SAN_LINE, want);
		expect_n((const char *)in, n, SAN_FIELD, want);
		in[n] = '\0';
		expect_n((const char *)in, n, SAN_UTF8, (const char *)in);
	}
	expect_escaping_modes("\xef\xbb\xbfroot", "\\xef\\xbb\\xbfroot"); /* BOM */
}

static void test_sanitize_escapes_overlong_encodings(void **state)
{
	(void)state;
	expect_all_modes("\xc0\xaf", "\\xc0\\xaf"); /* '/' in 2 bytes */
	expect_all_modes("\xc1\xbf", "\\xc1\\xbf");
	expect_all_modes("\xc0\x80", "\\xc0\\x80"); /* "modified UTF-8" NUL */
	expect_all_modes("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	expect_all_modes("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf"); /* U+07FF in 3 bytes */
	expect_all_modes("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
	expect_all_modes("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"); /* U+FFFF in 4 bytes */
	expect_all_modes("\xc0\x9b", "\\xc0\\x9b");		      /* CSI smuggled overlong */
}

static void test_sanitize_escapes_utf8_surrogates(void **state)
{
	(void)state;
	expect_all_modes("\xed\xa0\x80", "\\xed\\xa0\\x80");
	expect_all_modes("\xed\xbf\xbf", "\\xed\\xbf\\xbf");
	/* CESU-8 pair for U+1F600 */
	expect_all_modes("\xed\xa0\xbd\xed\xb8\x80", "\\xed\\xa0\\xbd\\xed\\xb8\\x80");
}

static void test_sanitize_escapes_code_points_above_10ffff(void **state)
{
	(void)state;
	expect_all_modes("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	expect_all_modes("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	expect_all_modes("\xf7\xbf\xbf\xbf", "\\xf7\\xbf\\xbf\\xbf");
	expect_all_modes("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
	expect_all_modes("\xfe\xff", "\\xfe\\xff");
}

static void test_sanitize_escapes_stray_continuation_bytes(void **state)
{
	(void)state;
	expect_all_modes("x\x80y\xbfz", "x\\x80y\\xbfz");
	expect_all_modes("\xa9\xc3\xa9", "\\xa9\xc3\xa9");
}

static void test_sanitize_escapes_truncated_char_at_end(void **state)
{
	(void)state;
	expect_all_modes("abc\xe2\x82", "abc\\xe2\\x82");
	expect_all_modes("x\xf0\x9f\x98", "x\\xf0\\x9f\\x98");
	expect_all_modes("\xc3", "\\xc3");
	expect_all_modes("ok\xf4", "ok\\xf4");
}

static void test_sanitize_resyncs_after_broken_sequence(void **state)
{
	(void)state;
	/* A bad lead byte must not swallow the valid character after it. */
	expect_all_modes("\xe2\xe2\x82\xac", "\\xe2\xe2\x82\xac");
	expect_all_modes("\xf0\x9fZ", "\\xf0\\x9fZ");
	expect_all_modes("\xe2\x82\xc3\xa9", "\\xe2\\x82\xc3\xa9");
	expect_escaping_modes("\xc3\x1b[2J", "\\xc3\\x1b[2J");
	expect("\xc3\x1b[2J", SAN_UTF8, "\\xc3\x1b[2J");
}

static void test_sanitize_text_passes_tab_escapes_newline(void **state)
{
	(void)state;
	expect("a\tb\nc\rd", SAN_TEXT, "a\tb\\x0ac\\x0dd");
	assert_true(sanitize_is_clean("a\tb", 3, SAN_TEXT));
	assert_false(sanitize_is_clean("a\nb", 3, SAN_TEXT));
}

static void test_sanitize_line_escapes_tab(void **state)
{
	(void)state;
	expect("a\tb\nc", SAN_LINE, "a\\x09b\\x0ac");
	assert_false(sanitize_is_clean("a\tb", 3, SAN_LINE));
}

static void test_sanitize_field_writes_tab_cr_lf_as_letters(void **state)
{
	(void)state;
	expect("a\tb\r\nc\x1b[0m\x0b", SAN_FIELD, "a\\tb\\r\\nc\\x1b[0m\\x0b");
}

static void test_sanitize_utf8_mode_passes_controls_escapes_invalid(void **state)
{
	static const char ctl[] = "\x1b[2J\t\r\n\x07\xc2\x9b\xe2\x80\xae\xef\xbb\xbf";
	struct buf b;

	(void)state;
	expect(ctl, SAN_UTF8, ctl);
	/* DEL is the one control JSON's encoder would write as it is */
	expect("x\x7fy", SAN_UTF8, "x\\x7fy");
	expect("x\xffy\xed\xa0\x80z\xc0\xaf", SAN_UTF8, "x\\xffy\\xed\\xa0\\x80z\\xc0\\xaf");
	/* NUL is a valid code point: it passes, and the length says so. */
	buf_init(&b);
	sanitize_buf(&b, "a\0b", 3, SAN_UTF8);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	assert_true(sanitize_is_clean("a\0b", 3, SAN_UTF8));
	buf_free(&b);
}

static void test_sanitize_attack_output_has_no_terminal_controls(void **state)
{
	static const char *const attacks[] = {
	    "\x1b[2J\x1b[H",
	    "\x1b]52;c;cm0gLXJmIH4=\x07",
	    "\x1b]52;c;cm0gLXJmIH4=\x1b\\",
	    "\x1b]0;title\x07",
	    "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\",
	    "\x1bP+q544e\x1b\\", /* DCS XTGETTCAP */
	    ("\x9b"
	     "6n\x9d"
	     "0;x\x9c\x90q\x9c"), /* 8-bit CSI, OSC, DCS */
	    ("\xc2\x9b"
	     "6n\xc2\x9d"
	     "0;x\xc2\x9c"),		      /* the same as UTF-8 C1 */
	    "\xc0\x9bJ\xe0\x80\x9bJ\xc0\x9b", /* overlong C1/ESC */
	    "\xc1\x9b\xf0\x80\x80\x9b",
	    "a\x7f\x08\x08\x08hidden\rshown\n",
	    "\x1b",
	    "\x9b",
	    "\xc2",
	};
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t k = 0; k < sizeof(attacks) / sizeof(attacks[0]); k++) {
		for (size_t m = 0; m < sizeof(all_modes) / sizeof(all_modes[0]); m++) {
			if (all_modes[m] == SAN_UTF8)
				continue;
			buf_reset(&b);
			sanitize_buf(&b, attacks[k], strlen(attacks[k]), all_modes[m]);
			assert_no_terminal_controls(b.data, b.len, all_modes[m]);
		}
	}
	buf_free(&b);
}

/*
 * A bad byte at every offset of runs long enough to take the
 * eight-bytes-at-a-time path, with the boundary values on both sides.
 */
static void test_sanitize_finds_bad_byte_at_every_offset(void **state)
{
	static const unsigned char bad[] = {0x00, 0x1b, 0x1f, 0x7f, 0x80, 0x9b, 0xc2, 0xff};
	static const unsigned char good[] = {0x20, 0x7e, '\\', 'a'};
	char in[41], want[64];

	(void)state;
	for (size_t len = 1; len < sizeof(in); len++) {
		for (size_t p = 0; p < len; p++) {
			for (size_t k = 0; k < sizeof(bad); k++) {
				memset(in, 'x', len);
				in[p] = (char)bad[k];
				memcpy(want, in, p);
				snprintf(want + p, sizeof(want) - p, "\\x%02x%.*s", bad[k], (int)(len - p - 1),
					 in + p + 1);
				expect_n(in, len, SAN_LINE, want);
			}
			for (size_t k = 0; k < sizeof(good); k++) {
				memset(in, 'x', len);
				in[p] = (char)good[k];
				in[len] = '\0';
				expect_n(in, len, SAN_LINE, in);
			}
		}
	}
}

static void test_sanitize_appends_to_existing_buffer(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "alias=");
	sanitize_buf(&b, "\x1b[2J", 4, SAN_TEXT);
	sanitize_buf(&b, "ok", 2, SAN_TEXT);
	assert_string_equal(b.data, "alias=\\x1b[2Jok");
	assert_int_equal(b.len, strlen("alias=\\x1b[2Jok"));
	buf_free(&b);
}

static void test_sanitize_empty_input_gives_empty_string(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	for (size_t m = 0; m < sizeof(all_modes) / sizeof(all_modes[0]); m++) {
		s = sanitize_dup(NULL, 0, all_modes[m]);
		assert_string_equal(s, "");
		free(s);
		assert_true(sanitize_is_clean(NULL, 0, all_modes[m]));
		buf_init(&b);
		sanitize_buf(&b, NULL, 0, all_modes[m]);
		assert_non_null(b.data);
		assert_string_equal(b.data, "");
		buf_free(&b);
	}
}

static void test_sanitize_dup_returns_owned_nul_terminated_copy(void **state)
{
	char src[] = "mailer-daemon:\x1b]0;x\x07 root";
	char *s;

	(void)state;
	s = sanitize_dup(src, strlen(src), SAN_TEXT);
	src[0] = 'X';
	assert_string_equal(s, "mailer-daemon:\\x1b]0;x\\x07 root");
	free(s);
}

/* xorshift64: fixed seed, so a failure names an iteration that replays. */
static uint64_t rnd(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*st = x;
	return x;
}

/*
 * Random bytes alone almost never form a valid 3- or 4-byte character, so
 * the generator mixes them with printable runs, terminal bytes and encoded
 * code points: valid ones, hidden controls, surrogates, overlongs and values
 * past U+10FFFF, sometimes cut short.
 */
static size_t gen_input(uint64_t *st, unsigned char *out, size_t cap)
{
	static const unsigned char term[] = {0x1b, 0x07, 0x9b, 0x9c, 0x9d, 0x7f, 0x00, '\t', '\r', '\n', '\\'};
	size_t want = rnd(st) % (cap - 8), n = 0, k;
	uint32_t cp;
	unsigned char tmp[4];

	while (n < want) {
		uint64_t r = rnd(st);

		switch (r % 10) {
		case 0:
		case 1:
		case 2:
			out[n++] = (unsigned char)(r >> 8);
			break;
		case 3:
		case 4:
			for (k = (r >> 8) % 12; k > 0 && n < want; k--)
				out[n++] = (unsigned char)(0x20 + (rnd(st) % 0x5f));
			break;
		case 5:
			out[n++] = term[(r >> 8) % sizeof(term)];
			break;
		default:
			switch ((r >> 8) % 8) {
			case 0:
				cp = (uint32_t)((r >> 16) % 0x110000);
				break;
			case 1:
				cp = (uint32_t)(0x80 + (r >> 16) % 0x20);
				break;
			case 2:
				cp = hidden_cps[(r >> 16) % (sizeof(hidden_cps) / sizeof(hidden_cps[0]))];
				break;
			case 3:
				cp = (uint32_t)(0xd800 + (r >> 16) % 0x800);
				break;
			case 4:
				cp = (uint32_t)(0x110000 + (r >> 16) % 0xf0000);
				break;
			case 5:
				cp = (uint32_t)((r >> 16) % 0x800);
				break;
			default:
				cp = (uint32_t)(0xa0 + (r >> 16) % 0x2000);
				break;
			}
			k = encode(cp, tmp);
			if ((r >> 40) % 6 == 0 && k < 4)
				k = encode_n(cp, k + 1, tmp); /* overlong */
			if ((r >> 48) % 8 == 0 && k > 1)
				k = 1 + (r >> 52) % (k - 1); /* cut short */
			memcpy(out + n, tmp, k);
			n += k;
			break;
		}
	}
	return n;
}

static void report_input(size_t iter, enum san_mode mode, const unsigned char *in, size_t len)
{
	print_error("iteration %zu, %s, input:", iter, mode_names[mode]);
	for (size_t i = 0; i < len; i++)
		print_error(" %02x", in[i]);
	print_error("\n");
}

static void test_sanitize_random_bytes_keep_invariants(void **state)
{
	uint64_t st = UINT64_C(0x9e3779b97f4a7c15);
	unsigned char in[80];
	struct buf out, ref, again;
	size_t len;

	(void)state;
	buf_init(&out);
	buf_init(&ref);
	buf_init(&again);
	for (size_t iter = 0; iter < 200000; iter++) {
		len = gen_input(&st, in, sizeof(in));
		for (size_t m = 0; m < sizeof(all_modes) / sizeof(all_modes[0]); m++) {
			enum san_mode mode = all_modes[m];
			bool same, ok;

			buf_reset(&out);
			buf_reset(&ref);
			buf_reset(&again);
			sanitize_buf(&out, (const char *)in, len, mode);
			ref_sanitize(&ref, in, len, mode);
			sanitize_buf(&again, out.data, out.len, mode);
			same = out.len == len && memcmp(out.data, in, len) == 0;
			ok = out.len == ref.len && memcmp(out.data, ref.data, out.len) == 0 &&
			     ref_output_ok(out.data, out.len, mode) && again.len == out.len &&
			     memcmp(again.data, out.data, out.len) == 0 && sanitize_is_clean(out.data, out.len, mode) &&
			     sanitize_is_clean((const char *)in, len, mode) == same && out.len <= 4 * len;
			if (ok && mode != SAN_UTF8) {
				for (size_t i = 0; i < out.len; i++) {
					unsigned char c = (unsigned char)out.data[i];

					if (c == 0x1b || c == 0x7f || (c < 0x20 && !(c == '\t' && mode == SAN_TEXT)))
						ok = false;
				}
			}
			if (!ok) {
				report_input(iter, mode, in, len);
				print_error("got %s\nref %s\n", out.data, ref.data);
				fail();
			}
		}
	}
	buf_free(&out);
	buf_free(&ref);
	buf_free(&again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sanitize_passes_printable_ascii_unchanged),
	    cmocka_unit_test(test_sanitize_keeps_backslash_unescaped),
	    cmocka_unit_test(test_sanitize_passes_valid_utf8_unchanged),
	    cmocka_unit_test(test_sanitize_escapes_csi_clear_screen),
	    cmocka_unit_test(test_sanitize_escapes_osc52_clipboard_write_bel),
	    cmocka_unit_test(test_sanitize_escapes_osc52_clipboard_write_st),
	    cmocka_unit_test(test_sanitize_escapes_osc0_title_set),
	    cmocka_unit_test(test_sanitize_escapes_raw_8bit_csi),
	    cmocka_unit_test(test_sanitize_escapes_c1_encoded_as_utf8),
	    cmocka_unit_test(test_sanitize_escapes_del),
	    cmocka_unit_test(test_sanitize_escapes_nul_inside_counted_string),
	    cmocka_unit_test(test_sanitize_escapes_every_c0_control),
	    cmocka_unit_test(test_sanitize_escapes_bidi_override),
	    cmocka_unit_test(test_sanitize_escapes_each_hidden_unicode_control),
	    cmocka_unit_test(test_sanitize_escapes_overlong_encodings),
	    cmocka_unit_test(test_sanitize_escapes_utf8_surrogates),
	    cmocka_unit_test(test_sanitize_escapes_code_points_above_10ffff),
	    cmocka_unit_test(test_sanitize_escapes_stray_continuation_bytes),
	    cmocka_unit_test(test_sanitize_escapes_truncated_char_at_end),
	    cmocka_unit_test(test_sanitize_resyncs_after_broken_sequence),
	    cmocka_unit_test(test_sanitize_text_passes_tab_escapes_newline),
	    cmocka_unit_test(test_sanitize_line_escapes_tab),
	    cmocka_unit_test(test_sanitize_field_writes_tab_cr_lf_as_letters),
	    cmocka_unit_test(test_sanitize_utf8_mode_passes_controls_escapes_invalid),
	    cmocka_unit_test(test_sanitize_attack_output_has_no_terminal_controls),
	    cmocka_unit_test(test_sanitize_finds_bad_byte_at_every_offset),
	    cmocka_unit_test(test_sanitize_appends_to_existing_buffer),
	    cmocka_unit_test(test_sanitize_empty_input_gives_empty_string),
	    cmocka_unit_test(test_sanitize_dup_returns_owned_nul_terminated_copy),
	    cmocka_unit_test(test_sanitize_random_bytes_keep_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

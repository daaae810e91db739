/*
 * tests/fuzz/fuzz_subject.c: libFuzzer harness for what the Benford
 * subject-length metric runs on every message: the header scan and
 * unfolding (mail_header, mail_body_offset) and RFC 2047 decoding
 * (mime_decode_header), then utf8_codepoints. Any bytes: no crash, no
 * leak, and results that hold together (the body offset within the
 * message, an unfolded value never longer than the header, the code
 * point count never more than the decoded bytes).
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
	const char *p = (const char *)data;
	struct buf raw, dec;

	buf_init(&raw);
	buf_init(&dec);
	size_t body = mail_body_offset(p, size);
	if (body > size)
		abort();
	if (mail_header(p, size, "Subject", &raw)) {
		if (raw.len > body)
			abort();
		/* unfolded: no line break survives */
		if (memchr(raw.data, '\n', raw.len) != NULL)
			abort();
		mime_decode_header(raw.data, raw.len, &dec);
		size_t n = utf8_codepoints(dec.data, dec.len);
		if (n > dec.len)
			abort();
	}
	/* the whole input as a header value too (encoded words anywhere) */
	if (size < 8192) {
		mime_decode_header(p, size, &dec);
		if (utf8_codepoints(dec.data, dec.len) > dec.len)
			abort();
	}
	buf_free(&raw);
	buf_free(&dec);
	return 0;
}

/*
 * tests/fuzz/fuzz_smtpreply.c: libFuzzer harness for the SMTP reply parser
 * of backend/smtp.c and the verification-cache key and value builders of
 * backend/memcache.c, which take text from servers and addresses from
 * users. Any bytes, split into lines at LF (a CR before it dropped, as the
 * session does): no crash, no leak, and results that hold together (a code
 * of three digits in 200..599, a DSN whose class is the code's, a key that
 * memcached can carry, a value that parses back).
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
	struct smtp_reply r;
	char why[200];

	smtp_reply_init(&r);
	for (size_t off = 0; off < size;) {
		const char *nl = memchr(s + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (s + off)) : size - off;
		size_t n = len > 0 && s[off + len - 1] == '\r' ? len - 1 : len;
		int k = smtp_reply_line(&r, s + off, n, why, sizeof(why));
		if (k == 1) {
			if (r.code < 200 || r.code > 599)
				abort();
			if (r.dsn[0] != '\0' && r.dsn[0] != (char)('0' + r.code / 100))
				abort();
			if (r.lines < 1 || r.text.len > 64 * 1024 + SMTP_LINE_MAX)
				abort();
		}
		if (k != 0)
			smtp_reply_reset(&r);
		off += len + 1;
	}
	smtp_reply_free(&r);

	/* The same bytes as an address and as a reply text for the cache. */
	struct buf k, v;
	struct mc_schema sc;
	buf_init(&k);
	buf_init(&v);
	mc_schema_key("ns:", "ca:", 'r', s, size, &k);
	if (strlen("ns:") + k.len > 250 || !mc_key_ok(k.data, k.len))
		abort();
	mc_schema_value("invalid", 550, "5.1.1", 1764000000, "mx.example.org", s, size, &v);
	if (memchr(v.data, '\n', v.len) != NULL || memchr(v.data, '\r', v.len) != NULL)
		abort();
	if (!mc_schema_parse(v.data, v.len, &sc) || strcmp(sc.state, "invalid") != 0 || sc.code != 550)
		abort();
	buf_free(&k);
	buf_free(&v);
	return 0;
}

/*
 * tests/fuzz/fuzz_maillog.c: libFuzzer harness for backend/maillog.c's
 * log-line parser (sendmail, Postfix qmgr, Exim arrival lines) and the
 * queue-id set, and backend/digits.c's number parser on the same bytes.
 * Any bytes: no crash, no leak, and results that hold together (a queue
 * id inside its line, a second add of the same id refused, fields either
 * absent (-1) or non-negative).
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
	struct maillog_ids *ids = maillog_ids_new();
	struct digits *d = digits_new(true);

	for (size_t off = 0; off < size;) {
		const char *nl = memchr(s + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (s + off)) + 1 : size - off;
		struct maillog_rec r;
		if (maillog_parse(s + off, len, &r)) {
			if (r.qid < s + off || r.qid + r.qid_len > s + off + len || r.qid_len == 0)
				abort();
			if (r.size < -1 || r.nrcpts < -1)
				abort();
			if (r.mta != MAILLOG_SENDMAIL && r.mta != MAILLOG_POSTFIX && r.mta != MAILLOG_EXIM)
				abort();
			bool first = maillog_ids_add(ids, r.mta, r.qid, r.qid_len);
			if (first && maillog_ids_add(ids, r.mta, r.qid, r.qid_len))
				abort();
		}
		int k = digits_add_dec(d, s + off, len);
		if (k < DIGITS_OK || k > DIGITS_BELOW_MIN)
			abort();
		off += len;
	}
	struct digit_result r;
	for (int t = 0; t < DT_COUNT; t++) {
		if (digits_result(d, (enum digit_test)t, &r) == 0) {
			if (r.n > digits_count(d) + 1)
				abort();
			digits_result_free(&r);
		}
	}
	digits_free(d);
	maillog_ids_free(ids);
	return 0;
}

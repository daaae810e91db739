/*
 * tests/fuzz/fuzz_maillog.c: libFuzzer harness for backend/maillog.c's
 * log-line parser (sendmail, Postfix qmgr, Exim arrival lines), its event
 * classifier and stamp reader, the queue-id set, backend/mailq.c's
 * `postqueue -j` and `mailq` readers, and backend/digits.c's number
 * parser on the same bytes. Any bytes: no crash, no leak, and results
 * that hold together (a queue id and every event field inside its line or
 * a static name, a second add of the same id refused, fields either
 * absent (-1) or non-negative, a queue summary whose parts add up).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A field of an event: absent, or inside the line (stages and a few
 * normalised reasons are static strings, which is as good). */
static void within(const char *f, size_t n, const char *line, size_t len)
{
	if (f == NULL) {
		if (n != 0)
			abort();
		return;
	}
	if (n == 0 || n > len + 64)
		abort();
	if (f >= line && f + n > line + len)
		abort();
}

static void check_summary(const struct mailq_summary *q)
{
	if (q->active + q->deferred + q->hold + q->incoming != q->total)
		abort();
	if (q->total == 0 && q->oldest != -1)
		abort();
	for (size_t i = 0; i < q->ndomains; i++) {
		if (q->domains[i].n == 0 || q->domains[i].domain[0] == '\0')
			abort();
		if (i > 0 && q->domains[i - 1].n < q->domains[i].n)
			abort();
	}
}

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
		struct maillog_event ev;
		const char *l = s + off;
		if (maillog_classify(l, len, 1796306400, &ev)) {
			if (ev.kind < ML_LOST || ev.kind > ML_BOUNCE || strcmp(maillog_kind_name(ev.kind), "none") == 0)
				abort();
			if (ev.mta != MAILLOG_SENDMAIL && ev.mta != MAILLOG_POSTFIX)
				abort();
			if (ev.code != 0 && (ev.code < 400 || ev.code > 599))
				abort();
			within(ev.client, ev.client_len, l, len);
			within(ev.ip, ev.ip_len, l, len);
			within(ev.stage, ev.stage_len, l, len);
			within(ev.reason, ev.reason_len, l, len);
			within(ev.domain, ev.domain_len, l, len);
		} else if (ev.kind != ML_NONE || ev.client != NULL || ev.reason != NULL) {
			abort();
		}
		if (ev.when != maillog_time(l, len, 1796306400))
			abort();
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

	/* the whole input as a queue listing, both ways */
	struct mailq_summary q;
	int rc = mailq_parse_json(s, size, &q, NULL, 0);
	if (rc != 0 && rc != EXIT_DATAERR)
		abort();
	if (rc != 0 && (q.total != 0 || q.domains != NULL || q.top_reason != NULL))
		abort();
	check_summary(&q);
	mailq_summary_free(&q);
	rc = mailq_parse_text(s, size, 1796306400, &q, NULL, 0);
	if (rc != 0 && rc != EXIT_DATAERR)
		abort();
	check_summary(&q);
	mailq_summary_free(&q);
	return 0;
}

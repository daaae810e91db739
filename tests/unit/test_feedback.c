/*
 * tests/unit/test_feedback.c: pins backend/feedback.c on reports built
 * here: dates (obsolete zones, 2-digit years, ISO 8601, garbage),
 * Source-IP comments and brackets, field parsing (lower-case names,
 * folding, unknown fields in order, multiplicity: list fields kept, a
 * single-valued field repeated kept and flagged), Received-Date standing
 * in for Arrival-Date, report-type parameters in any case and quoting,
 * base64 report parts, two reports in a message, the variants, the
 * provider table, redacted addresses, the message's own header fields
 * (the first of each, folded ones joined, none from the body), and the
 * light parse (no FB_WANT_BODY) against the full one on the shared corpus.
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
#include <unistd.h>

#include "../../backend/backend.h"

static void test_dates_with_obsolete_zones(void **state)
{
	(void)state;
	/* 2005-03-08T18:00:00Z */
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 14:00:00 EDT"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 13:00:00 EST"), 1110304800);
	assert_int_equal(fb_parse_date("8 Mar 2005 10:00:00 PST"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 11:00:00 PDT"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 12:00:00 CST"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 11:00 MST"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 18:00:00 GMT"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 18:00:00 UT"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 08 Mar 05 18:00:00 +0000"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 19:30:00 +0130"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 14:00:00 -0400 (EDT)"), 1110304800);
	/* military zones mean nothing: -0000 */
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 18:00:00 Z"), 1110304800);
	assert_int_equal(fb_parse_date("8 Mar 99 00:00:00 +0000"), 920851200);
	assert_int_equal(fb_parse_date("2005-03-08T18:00:00.000Z"), 1110304800);
	assert_int_equal(fb_parse_date("2005-03-08T20:00:00+02:00"), 1110304800);
	assert_int_equal(fb_parse_date("not a date"), -1);
	assert_int_equal(fb_parse_date("Tue, 8 Foo 2005 18:00:00 +0000"), -1);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 25:00:00 +0000"), -1);
	assert_int_equal(fb_parse_date(""), -1);
	/* fields too long for what they are, not wrapped into a date */
	assert_int_equal(fb_parse_date("17 Jul 4294969304 01:26:44 +0000"), -1);
	assert_int_equal(fb_parse_date("17 Jul 2008 01:26:4294967340 +0000"), -1);
	assert_int_equal(fb_parse_date("123 Jul 2008 01:26:44 +0000"), -1);
	/* zones that are none: minutes past 59, more than 23:59 */
	assert_int_equal(fb_parse_date("17 Jul 2008 01:26:44 +9999"), -1);
	assert_int_equal(fb_parse_date("17 Jul 2008 01:26:44 +2400"), -1);
	/* past what the outputs can write */
	assert_int_equal(fb_parse_date("31 Dec 9999 23:59:59 -2359"), -1);
	assert_int_equal(fb_parse_date("17 Jul 2008 01:26:44 -2359"), 1216258004 + 23 * 3600 + 59 * 60);
	/* one-digit hours and three-digit minutes read as sscanf reads them */
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 9:00:00 -0900"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 18:000 +0000"), 1110304800);
	assert_int_equal(fb_parse_date("Tue, 8 Mar 2005 1x:00:00 +0000"), -1);
}

static void test_source_ip_comments(void **state)
{
	char out[128];

	(void)state;
	assert_true(fb_clean_ip("148.163.85.135 (sainay.interpublication.org)", out, sizeof(out)));
	assert_string_equal(out, "148.163.85.135");
	assert_true(fb_clean_ip(" (a (nested) comment) [192.0.2.1] ", out, sizeof(out)));
	assert_string_equal(out, "192.0.2.1");
	assert_true(fb_clean_ip("IPv6:2001:db8::1", out, sizeof(out)));
	assert_string_equal(out, "2001:db8::1");
	assert_false(fb_clean_ip("mx.example.net (no address)", out, sizeof(out)));
	assert_string_equal(out, "mx.example.net");
	assert_false(fb_clean_ip("192.0.2.300", out, sizeof(out)));
	assert_false(fb_clean_ip("", out, sizeof(out)));
}

static const char report_head[] = "From: FBL <fbl@isp.example>\n"
				  "Subject: report\n"
				  "Date: Mon, 1 Feb 2021 10:00:00 +0000\n"
				  "MIME-Version: 1.0\n";

static void parse(const char *body, struct fb_message *m)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, report_head);
	buf_adds(&b, body);
	assert_int_equal(feedback_parse(b.data, b.len, NULL, m), 0);
	buf_free(&b);
}

static void test_fields_multiplicity_and_case(void **state)
{
	struct fb_message m;

	(void)state;
	parse("Content-Type: MULTIPART/REPORT; Boundary=\"x\";\n"
	      "\tREPORT-TYPE=\"Feedback-Report\"\n\n"
	      "--x\nContent-Type: text/plain\n\nhuman\n"
	      "--x\nContent-Type: message/feedback-report\n\n"
	      "feedback-type: Abuse\n"
	      "user-agent: T/1\n"
	      "version: 1\n"
	      "original-rcpt-to: <a@example.org>\n"
	      "Original-Rcpt-To: b@example.org\n"
	      "ORIGINAL-RCPT-TO: <A@example.org>\n"
	      "Reported-Domain: one.example\n"
	      "Reported-Domain: two.example\n"
	      "X-Made-Up: first\n"
	      "Authentication-Results: mx.example;\n"
	      "  spf=fail\n"
	      "Source-IP: 192.0.2.1\n"
	      "Source-IP: 192.0.2.2\n"
	      "X-Made-Up: second\n"
	      "Received-Date: Mon, 1 Feb 2021 05:00:00 EST\n"
	      "\n--x\nContent-Type: text/rfc822-headers\n\nSubject: =?UTF-8?Q?caf=C3=A9?=\nFrom: x@y.example\n\n--x--\n",
	      &m);
	assert_int_equal(m.n, 1);
	struct fb_report *r = &m.reports[0];
	assert_string_equal(r->variant, "arf");
	assert_string_equal(r->feedback_type, "abuse");
	assert_true(r->type_registered);
	/* list fields: every value, duplicates (any case) once */
	assert_int_equal(r->nrcpts, 2);
	assert_string_equal(r->rcpts[0], "a@example.org");
	assert_string_equal(r->rcpts[1], "b@example.org");
	assert_int_equal(r->ndomains, 2);
	assert_string_equal(r->domains[1], "two.example");
	/* single-valued, repeated: both kept, both flagged, the first used */
	size_t flagged = 0, unknown = 0;
	for (size_t i = 0; i < r->nfields; i++) {
		if (strcmp(r->fields[i].name, "Source-IP") == 0)
			flagged += (r->fields[i].flags & FB_MALFORMED) != 0;
		if (strcmp(r->fields[i].name, "X-Made-Up") == 0) {
			assert_false(r->fields[i].flags & FB_KNOWN);
			assert_string_equal(r->fields[i].value, unknown == 0 ? "first" : "second");
			unknown++;
		}
	}
	assert_int_equal(flagged, 2);
	assert_int_equal(unknown, 2);
	assert_string_equal(r->source_ip, "192.0.2.1");
	assert_true(r->nproblems >= 1);
	/* folded value unfolded; names any case */
	assert_string_equal(fb_get(r, "authentication-results"), "mx.example;  spf=fail");
	/* Received-Date stands in, and says so */
	assert_string_equal(r->arrival_field, "Received-Date");
	assert_int_equal(r->arrival, 1612173600);
	assert_string_equal(r->human, "human");
	assert_string_equal(r->orig_subject, "café");
	assert_string_equal(r->orig_from_addr, "x@y.example");
	feedback_free(&m);
}

static void test_base64_part_and_unregistered_type(void **state)
{
	struct fb_message m;

	(void)state;
	/* "Feedback-Type: opt-out\r\nSource-IP: 203.0.113.5 (x)\r\nArrival-Date: 1 Feb 2021 10:00:00 +0000" */
	parse("Content-Type: multipart/mixed; boundary=q\n\n"
	      "--q\nContent-Type: message/feedback-report\nContent-Transfer-Encoding: base64\n\n"
	      "RmVlZGJhY2stVHlwZTogb3B0LW91dA0KU291cmNlLUlQOiAyMDMuMC4xMTMuNSAoeCkNCkFycml2\n"
	      "YWwtRGF0ZTogMSBGZWIgMjAyMSAxMDowMDowMCArMDAwMA==\n"
	      "--q--\n",
	      &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.reports[0].feedback_type, "opt-out");
	assert_false(m.reports[0].type_registered);
	assert_string_equal(m.reports[0].source_ip, "203.0.113.5");
	assert_true(m.reports[0].source_ip_ok);
	assert_string_equal(m.reports[0].arrival_field, "Arrival-Date");
	assert_int_equal(m.reports[0].arrival, 1612173600);
	assert_null(m.reports[0].original);
	feedback_free(&m);
}

static void test_non_ip_source_kept_raw(void **state)
{
	struct fb_message m;

	(void)state;
	parse("Content-Type: multipart/report; report-type=feedback-report; boundary=q\n\n"
	      "--q\nContent-Type: message/feedback-report\n\n"
	      "Feedback-Type: abuse\nSource-IP: unknown (mx.example)\n\n--q--\n",
	      &m);
	assert_int_equal(m.n, 1);
	assert_false(m.reports[0].source_ip_ok);
	assert_string_equal(m.reports[0].source_ip, "unknown (mx.example)");
	feedback_free(&m);
}

static void test_own_header_fields_first_and_folded(void **state)
{
	/* the first From wins, a folded Subject is joined, a "Date:" in the
	 * body is no header, and a field name is matched in any case */
	static const char msg[] = "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
				  "from: First <first@example.org>\n"
				  "Subject: a folded\n"
				  "\tsubject line\n"
				  "From: Second <second@example.org>\n"
				  "DATE: Mon, 1 Feb 2021 10:00:00 +0000\n"
				  "Message-ID: <id@example.org>\n"
				  "\n"
				  "Date: Tue, 2 Feb 2021 10:00:00 +0000\n"
				  "Subject: not this one\n";
	struct fb_message m;

	(void)state;
	assert_int_equal(feedback_parse(msg, sizeof(msg) - 1, NULL, &m), 0);
	assert_int_equal(m.n, 0);
	assert_string_equal(m.reporter, "first@example.org");
	assert_string_equal(m.subject, "a folded\tsubject line");
	assert_string_equal(m.message_id, "<id@example.org>");
	assert_int_equal(m.date, 1612173600);
	assert_null(m.return_path);
	feedback_free(&m);

	/* a header with no blank line after it, its last field unended */
	static const char cut[] = "Subject: only a header\nReturn-Path: <rp@example.net>";
	assert_int_equal(feedback_parse(cut, sizeof(cut) - 1, NULL, &m), 0);
	assert_string_equal(m.subject, "only a header");
	assert_string_equal(m.return_path, "<rp@example.net>");
	assert_string_equal(m.reporter, "rp@example.net");
	feedback_free(&m);

	/* SES found by its JSON past the first 12 bytes of the body, and
	 * "report" in the header's own Content-Type, both after a long header */
	static const char ses[] = "From: no-reply@sns.amazonaws.com\nSubject: x\n\n"
				  "{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":"
				  "[{\"emailAddress\":\"r@example.com\"}]},\"mail\":{\"source\":\"s@example.org\"}}\n";
	assert_int_equal(feedback_parse(ses, sizeof(ses) - 1, NULL, &m), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.reports[0].variant, "ses-json");
	feedback_free(&m);
}

static void test_two_reports_and_not_a_report(void **state)
{
	struct fb_message m;

	(void)state;
	parse("Content-Type: multipart/mixed; boundary=o\n\n"
	      "--o\nContent-Type: multipart/report; report-type=feedback-report; boundary=a\n\n"
	      "--a\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n\n--a--\n"
	      "--o\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\n\n"
	      "--b\nContent-Type: message/feedback-report\n\nFeedback-Type: virus\n\n--b--\n"
	      "--o--\n",
	      &m);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.reports[0].feedback_type, "abuse");
	assert_string_equal(m.reports[1].feedback_type, "virus");
	feedback_free(&m);

	parse("Content-Type: text/plain\n\nJust mail.\n", &m);
	assert_int_equal(m.n, 0);
	assert_null(m.error);
	feedback_free(&m);

	assert_int_equal(feedback_parse("", 0, NULL, &m), -1);
	assert_non_null(m.error);
	feedback_free(&m);
}

static void test_variants(void **state)
{
	struct fb_message m;

	(void)state;
	parse("Content-Type: text/plain\n\n"
	      "{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":[{\"emailAddress\":\"c@x.exa\n"
	      "mple\"}],\"timestamp\":\"2016-11-25T01:49:01.000Z\",\"complaintFeedbackType\":\"abuse\"},\"mail\":{\"sourc\n"
	      "e\":\"s@y.example\",\"sourceIp\":\"192.0.2.9\",\"messageId\":\"m1\"}}\n",
	      &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.reports[0].variant, "ses-json");
	assert_string_equal(m.reports[0].rcpts[0], "c@x.example");
	assert_string_equal(m.reports[0].mail_from, "s@y.example");
	assert_string_equal(m.reports[0].source_ip, "192.0.2.9");
	assert_int_equal(m.reports[0].arrival, 1480038541);
	feedback_free(&m);

	struct buf b;
	buf_init(&b);
	buf_adds(&b, "From: staff@hotmail.com\nSubject: complaint about message from 192.0.2.7\n"
		     "Content-Type: multipart/mixed; boundary=j\n\n--j\nContent-Type: message/rfc822\n\n"
		     "X-HmXmrOriginalRecipient: u@example.com\nFrom: s@example.net\nSubject: hi\n\nbody\n--j--\n");
	assert_int_equal(feedback_parse(b.data, b.len, NULL, &m), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.reports[0].variant, "jmrp");
	assert_string_equal(m.reports[0].source_ip, "192.0.2.7");
	assert_string_equal(m.reports[0].rcpts[0], "u@example.com");
	feedback_free(&m);

	buf_reset(&b);
	buf_adds(&b, "From: me@icloud.com\nX-Apple-Unsubscribe: true\nSubject: unsubscribe\n\n"
		     "Apple Mail sent this email to unsubscribe from the message \xe2\x80\x9cNews\xe2\x80\x9d.\n");
	assert_int_equal(feedback_parse(b.data, b.len, NULL, &m), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.reports[0].variant, "apple-unsubscribe");
	assert_string_equal(m.reports[0].feedback_type, "opt-out");
	assert_string_equal(m.reports[0].orig_subject, "News");
	feedback_free(&m);
	buf_free(&b);
}

static void test_provider_table(void **state)
{
	char path[] = "/tmp/mailops-rep.XXXXXX";
	char err[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	const char *text = "# mine\nfbl@mine.example Mine\n@aol.net AOL via file\nua:Gen Generator Co\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct fb_reporters *t = fb_reporters_load(path, err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(fb_provider(t, "fbl@mine.example", NULL), "Mine");
	/* the file wins over the built-in entry */
	assert_string_equal(fb_provider(t, "scomp@aol.net", NULL), "AOL via file");
	assert_string_equal(fb_provider(t, "x@sub.aol.net", NULL), "AOL via file");
	assert_null(fb_provider(t, "x@notaol.net", NULL));
	assert_string_equal(fb_provider(t, NULL, "Generator/2"), "Generator Co");
	assert_string_equal(fb_provider(t, "complaints@email-abuse.amazonses.com", NULL), "Amazon SES");
	assert_string_equal(fb_provider(t, "feedback@arf.mail.yahoo.com", NULL), "Yahoo");
	assert_string_equal(fb_provider(t, "staff@hotmail.com", NULL), "Microsoft JMRP");
	assert_string_equal(fb_provider(t, NULL, "ReturnPathFBL/1.0"), "Return Path");
	fb_reporters_free(t);
	unlink(path);
	assert_null(fb_reporters_load("/nonexistent/reporters", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/reporters"));
}

static void test_redacted_addresses(void **state)
{
	(void)state;
	assert_true(fb_address_redacted("redacted@example.net"));
	assert_true(fb_address_redacted("hashed@example.com"));
	assert_true(fb_address_redacted("xxxxxx@example.com"));
	assert_true(fb_address_redacted("****@example.com"));
	assert_true(fb_address_redacted("0123456789abcdef0123456789abcdef@example.com"));
	assert_true(fb_address_redacted("redacted"));
	assert_true(fb_address_redacted(""));
	assert_false(fb_address_redacted("jane@example.com"));
	assert_false(fb_address_redacted("deadbeef@example.com"));
}

/* Both NULL, or the same text. */
static void assert_same(const char *full, const char *light)
{
	if (full == NULL || light == NULL)
		assert_ptr_equal(full, light);
	else
		assert_string_equal(full, light);
}

static void assert_same_strv(char **full, size_t nfull, char **light, size_t nlight)
{
	assert_int_equal(nfull, nlight);
	for (size_t i = 0; i < nfull; i++)
		assert_string_equal(full[i], light[i]);
}

struct light_vs_full {
	const struct fb_reporters *t;
	size_t messages, reports, originals, humans;
};

static int compare_light_with_full(void *arg, const struct mbox_msg *mm)
{
	struct light_vs_full *c = arg;
	struct fb_message full, light;

	assert_null(mm->error);
	c->messages++;
	int frc = feedback_parse(mm->data, mm->len, c->t, &full);
	int lrc = feedback_parse_opts(mm->data, mm->len, c->t, 0, &light);
	assert_int_equal(frc, lrc);
	assert_same(full.error, light.error);
	assert_same(full.from, light.from);
	assert_same(full.return_path, light.return_path);
	assert_same(full.subject_raw, light.subject_raw);
	assert_same(full.subject, light.subject);
	assert_same(full.message_id, light.message_id);
	assert_int_equal(full.date, light.date);
	assert_same(full.reporter, light.reporter);
	assert_same(full.provider, light.provider);
	assert_int_equal(full.n, light.n);
	c->reports += full.n;
	for (size_t i = 0; i < full.n; i++) {
		const struct fb_report *f = &full.reports[i], *l = &light.reports[i];
		assert_string_equal(f->variant, l->variant);
		assert_int_equal(f->nfields, l->nfields);
		for (size_t k = 0; k < f->nfields; k++) {
			assert_string_equal(f->fields[k].name, l->fields[k].name);
			assert_string_equal(f->fields[k].value, l->fields[k].value);
			assert_int_equal(f->fields[k].flags, l->fields[k].flags);
		}
		assert_same(f->report_text, l->report_text);
		assert_same(f->feedback_type, l->feedback_type);
		assert_int_equal(f->type_registered, l->type_registered);
		assert_int_equal(f->arrival, l->arrival);
		assert_same(f->arrival_field, l->arrival_field);
		assert_same(f->source_ip, l->source_ip);
		assert_int_equal(f->source_ip_ok, l->source_ip_ok);
		assert_same(f->mail_from, l->mail_from);
		assert_same(f->auth_failure, l->auth_failure);
		assert_same_strv(f->rcpts, f->nrcpts, l->rcpts, l->nrcpts);
		assert_same_strv(f->domains, f->ndomains, l->domains, l->ndomains);
		assert_same_strv(f->problems, f->nproblems, l->problems, l->nproblems);
		assert_same(f->orig_from, l->orig_from);
		assert_same(f->orig_to, l->orig_to);
		assert_same(f->orig_subject, l->orig_subject);
		assert_same(f->orig_from_addr, l->orig_from_addr);
		assert_same(f->orig_subject_raw, l->orig_subject_raw);
		assert_same(f->orig_subject_line, l->orig_subject_line);
		assert_same(f->orig_message_id, l->orig_message_id);
		assert_int_equal(f->orig_date, l->orig_date);
		assert_same(f->orig_received_ip, l->orig_received_ip);
		/* what the light form leaves out */
		assert_null(l->original);
		assert_int_equal(l->original_len, 0);
		assert_int_equal(l->orig_header_len, 0);
		assert_null(l->human);
		c->originals += f->original != NULL;
		c->humans += f->human != NULL;
	}
	feedback_free(&full);
	feedback_free(&light);
	return 0;
}

/* Every message of the ARF corpus (the copy in tests/data, else the
 * shared one): the light parse (no FB_WANT_BODY) gives what the full one
 * gives, bodies apart. */
static void test_light_parse_same_fields_as_full(void **state)
{
	const char *root = getenv("ROOT");
	char *path = xasprintf("%s/tests/data/arf/corpus/all.mbox", root != NULL ? root : ".");
	if (access(path, R_OK) != 0) {
		free(path);
		path = xasprintf("%s/../shared/corpus/arf/all.mbox", root != NULL ? root : ".");
	}
	const char *sources[] = { path };
	struct mbox_opts o = { 0 };
	struct light_vs_full c = { 0 };
	char err[512] = "";

	(void)state;
	struct fb_reporters *t = fb_reporters_load(NULL, err, sizeof(err));
	assert_non_null(t);
	c.t = t;
	int rc = mailbox_read(sources, 1, &o, compare_light_with_full, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: %s", path, err);
	/* the corpus: 43 messages, 42 reports; the full parse keeps bodies */
	assert_int_equal(c.messages, 43);
	assert_int_equal(c.reports, 42);
	assert_true(c.originals > 30);
	assert_true(c.humans > 30);
	fb_reporters_free(t);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates_with_obsolete_zones),
		cmocka_unit_test(test_source_ip_comments),
		cmocka_unit_test(test_fields_multiplicity_and_case),
		cmocka_unit_test(test_base64_part_and_unregistered_type),
		cmocka_unit_test(test_non_ip_source_kept_raw),
		cmocka_unit_test(test_own_header_fields_first_and_folded),
		cmocka_unit_test(test_two_reports_and_not_a_report),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_provider_table),
		cmocka_unit_test(test_redacted_addresses),
		cmocka_unit_test(test_light_parse_same_fields_as_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

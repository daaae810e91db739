/*
 * tests/unit/test_maillog.c: pins backend/maillog.c on log lines as the
 * MTAs write them: sendmail's from= line (size=, nrcpts=), Postfix qmgr's
 * (size=, nrcpt=), Exim's <= line (S=, old and 4.97 message ids), lines
 * that look alike but are not arrivals, queue ids counted once, and
 * reading plain and gzip-compressed files (a corrupt one is an error).
 * And the doctor's events: every wording of sendmail's and Postfix's for a
 * lost, timed-out or reset session, a rejection, a deferral or a bounce,
 * with its client, address, stage, code, reason and domain; lines that
 * are not events; the stamps of syslog, RFC 3339 and journalctl short-iso
 * (a year for RFC 3164's); hostile bytes; the fixture logs in
 * tests/data/maillog counted by kind.
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
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../../backend/backend.h"

static const char *SENDMAIL =
	"Nov 25 10:00:01 mx1 sendmail[21934]: 4APA01xK021934: from=<alice@example.org>, size=1076, class=0, "
	"nrcpts=2, msgid=<20261125100001.4APA01xK021934@mx1.example.net>, proto=ESMTP, daemon=MTA, "
	"relay=mail.example.org [192.0.2.10]\n";
static const char *SENDMAIL_TO =
	"Nov 25 10:00:02 mx1 sendmail[21935]: 4APA01xK021934: to=<bob@example.net>, delay=00:00:01, "
	"xdelay=00:00:01, mailer=local, pri=31076, dsn=2.0.0, stat=Sent\n";
static const char *POSTFIX =
	"Nov 25 10:01:07 mx2 postfix/qmgr[1211]: 4F3A21C0A2B: from=<news@lists.example.com>, size=598, nrcpt=1 "
	"(queue active)";
static const char *POSTFIX_SMTPD =
	"Nov 25 10:01:07 mx2 postfix/smtpd[1300]: 4F3A21C0A2B: client=mail.example.com[198.51.100.7]";
static const char *POSTFIX_REMOVED = "Nov 25 10:01:08 mx2 postfix/qmgr[1211]: 4F3A21C0A2B: removed";
static const char *EXIM =
	"2026-11-25 10:02:13 1tFabc-000123-AB <= carol@example.org H=mail.example.org [192.0.2.44] P=esmtps "
	"X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=no S=2291 id=abc123@example.org\n";
static const char *EXIM_NEWID = "2026-11-25 10:02:14 1tFabd-00000000124-ABCD <= dave@example.org U=dave P=local S=77";
static const char *EXIM_DELIVERY = "2026-11-25 10:02:14 1tFabc-000123-AB => bob <bob@example.net> R=localuser T=local_delivery";

static void test_sendmail_from_line(void **st)
{
	(void)st;
	struct maillog_rec r;

	assert_true(maillog_parse(SENDMAIL, strlen(SENDMAIL), &r));
	assert_int_equal(r.mta, MAILLOG_SENDMAIL);
	assert_int_equal(r.size, 1076);
	assert_int_equal(r.nrcpts, 2);
	assert_int_equal(r.qid_len, 14);
	assert_memory_equal(r.qid, "4APA01xK021934", 14);
	assert_false(maillog_parse(SENDMAIL_TO, strlen(SENDMAIL_TO), &r));
	assert_int_equal(r.size, -1);
	const char *smmta = "Nov 25 10:00:01 mx1 sm-mta[77]: 4APA01xL021999: from=<>, size=31, class=0, nrcpts=1, "
			    "proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]";
	assert_true(maillog_parse(smmta, strlen(smmta), &r));
	assert_int_equal(r.size, 31);
	assert_int_equal(r.nrcpts, 1);
}

static void test_postfix_qmgr_line(void **st)
{
	(void)st;
	struct maillog_rec r;

	assert_true(maillog_parse(POSTFIX, strlen(POSTFIX), &r));
	assert_int_equal(r.mta, MAILLOG_POSTFIX);
	assert_int_equal(r.size, 598);
	assert_int_equal(r.nrcpts, 1);
	assert_int_equal(r.qid_len, 11);
	assert_memory_equal(r.qid, "4F3A21C0A2B", 11);
	assert_false(maillog_parse(POSTFIX_SMTPD, strlen(POSTFIX_SMTPD), &r));
	assert_false(maillog_parse(POSTFIX_REMOVED, strlen(POSTFIX_REMOVED), &r));
	/* a second instance, ISO timestamps, long queue ids */
	const char *out = "2026-11-25T10:01:07.123456+00:00 mx2 postfix-out/qmgr[99]: 4X5Ts21Kz9z9sJ2: "
			  "from=<a@example.org>, size=123456, nrcpt=40 (queue active)";
	assert_true(maillog_parse(out, strlen(out), &r));
	assert_int_equal(r.size, 123456);
	assert_int_equal(r.nrcpts, 40);
	assert_int_equal(r.qid_len, 15);
	/* not Postfix: another program's /qmgr */
	const char *fake = "Nov 25 10:01:07 mx2 other/qmgr[1]: ABC: from=<a@b>, size=5";
	assert_false(maillog_parse(fake, strlen(fake), &r));
}

static void test_exim_arrival_line(void **st)
{
	(void)st;
	struct maillog_rec r;

	assert_true(maillog_parse(EXIM, strlen(EXIM), &r));
	assert_int_equal(r.mta, MAILLOG_EXIM);
	assert_int_equal(r.size, 2291);
	assert_int_equal(r.nrcpts, -1);
	assert_memory_equal(r.qid, "1tFabc-000123-AB", 16);
	assert_true(maillog_parse(EXIM_NEWID, strlen(EXIM_NEWID), &r));
	assert_int_equal(r.size, 77);
	assert_int_equal(r.qid_len, 23);
	assert_false(maillog_parse(EXIM_DELIVERY, strlen(EXIM_DELIVERY), &r));
	/* "<=" after something that is not a message id */
	const char *junk = "2026-11-25 10:02:13 hello <= x S=5";
	assert_false(maillog_parse(junk, strlen(junk), &r));
}

static void test_size_field_needs_a_boundary(void **st)
{
	(void)st;
	struct maillog_rec r;
	/* "msize=" is not "size="; the real one comes later */
	const char *l = "Nov 25 10:01:07 mx2 postfix/qmgr[1211]: 4F3A21C0A2C: from=<msize=9@x>, size=700, nrcpt=3";

	assert_true(maillog_parse(l, strlen(l), &r));
	assert_int_equal(r.size, 700);
	const char *nosize = "Nov 25 10:01:07 mx2 postfix/qmgr[1211]: 4F3A21C0A2D: from=<a@x>, size=, nrcpt=3";
	assert_true(maillog_parse(nosize, strlen(nosize), &r));
	assert_int_equal(r.size, -1);
}

static void test_queue_id_counted_once(void **st)
{
	(void)st;
	struct maillog_ids *ids = maillog_ids_new();

	assert_true(maillog_ids_add(ids, MAILLOG_POSTFIX, "4F3A21C0A2B", 11));
	assert_false(maillog_ids_add(ids, MAILLOG_POSTFIX, "4F3A21C0A2B", 11));
	/* the same text from another MTA is another message */
	assert_true(maillog_ids_add(ids, MAILLOG_SENDMAIL, "4F3A21C0A2B", 11));
	/* many ids: the set grows and still remembers */
	char b[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(b, sizeof(b), "Q%06d", i);
		assert_true(maillog_ids_add(ids, MAILLOG_EXIM, b, strlen(b)));
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(b, sizeof(b), "Q%06d", i);
		assert_false(maillog_ids_add(ids, MAILLOG_EXIM, b, strlen(b)));
	}
	maillog_ids_free(ids);
}

struct lines {
	size_t n;
	long long sizes;
	uint64_t last;
};

static int count_line(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct lines *l = arg;
	struct maillog_rec r;

	l->n++;
	l->last = lineno;
	if (maillog_parse(line, len, &r) && r.size > 0)
		l->sizes += r.size;
	return 0;
}

static void write_logs(const char *plain, const char *gzpath)
{
	FILE *f = fopen(plain, "w");
	gzFile g = gzopen(gzpath, "wb");

	assert_non_null(f);
	assert_non_null(g);
	const char *all[] = { SENDMAIL, SENDMAIL_TO, POSTFIX, "\n", POSTFIX_REMOVED, "\n", EXIM };
	for (size_t i = 0; i < 7; i++) {
		fputs(all[i], f);
		gzputs(g, all[i]);
	}
	fclose(f);
	gzclose(g);
}

static void test_read_plain_and_gzip(void **st)
{
	(void)st;
	char dir[] = "/tmp/test_maillog.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *plain = xasprintf("%s/mail.log", dir), *gz = xasprintf("%s/mail.log.2.gz", dir);
	write_logs(plain, gz);
	char err[256] = "";

	struct lines a = { 0 }, b = { 0 };
	assert_int_equal(maillog_read(plain, count_line, &a, err, sizeof(err)), 0);
	assert_int_equal(maillog_read(gz, count_line, &b, err, sizeof(err)), 0);
	assert_int_equal(a.n, 5);
	assert_int_equal(a.sizes, 1076 + 598 + 2291);
	assert_int_equal(b.n, a.n);
	assert_int_equal(b.sizes, a.sizes);
	assert_int_equal(b.last, 5);

	struct buf line;
	buf_init(&line);
	assert_int_equal(maillog_get_line(gz, 3, &line, err, sizeof(err)), 0);
	assert_memory_equal(line.data, POSTFIX, strlen(POSTFIX));

	/* missing: 66; corrupt gzip: 65 */
	char *missing = xasprintf("%s/nope.log", dir);
	assert_int_equal(maillog_read(missing, count_line, &a, err, sizeof(err)), EXIT_NOINPUT);
	assert_non_null(strstr(err, "nope.log"));
	FILE *f = fopen(gz, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fclose(f);
	assert_int_equal(truncate(gz, sz / 2), 0);
	struct lines c = { 0 };
	assert_int_equal(maillog_read(gz, count_line, &c, err, sizeof(err)), EXIT_DATAERR);

	unlink(plain);
	unlink(gz);
	rmdir(dir);
	buf_free(&line);
	free(plain);
	free(gz);
	free(missing);
}

/* ---- reading from a time on ---- */

struct since_lines {
	size_t n, first_minute, bad;
	int64_t now;
};

static int since_line(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct since_lines *s = arg;
	int64_t t = maillog_time(line, len, s->now);
	if (s->n == 0)
		s->first_minute = (size_t)((s->now - t) / 60);
	if (lineno != 0 || len == 0 || line[len - 1] != '\n')
		s->bad++;
	s->n++;
	return 0;
}

/* 6000 lines, one a minute over 100 hours before now (ISO stamps): from
 * now - 60 min on, the bisection starts within a few KB before the window
 * and never after its first line. */
static void test_read_since_bisects_to_the_window(void **st)
{
	(void)st;
	char dir[] = "/tmp/test_maillog.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *plain = xasprintf("%s/mail.log", dir), *gz = xasprintf("%s/mail.log.gz", dir);
	int64_t now = 1796306400;
	FILE *f = fopen(plain, "w");
	gzFile g = gzopen(gz, "wb");
	assert_non_null(f);
	assert_non_null(g);
	for (int m = 6000; m >= 1; m--) {
		char stamp[32], line[200];
		util_iso8601(now - m * 60, stamp);
		snprintf(line, sizeof(line), "%s mx postfix/smtpd[1]: lost connection after RCPT from c%d[192.0.2.1]\n", stamp, m);
		fputs(line, f);
		gzputs(g, line);
	}
	fclose(f);
	gzclose(g);
	char err[256] = "";
	struct since_lines a = { .now = now }, b = { .now = now };
	assert_int_equal(maillog_read_since(plain, now - 3600, now, since_line, &a, err, sizeof(err)), 0);
	/* the window's 60 lines, and fewer than a 4 KB step of older ones */
	assert_true(a.n >= 60 && a.n < 60 + 4096 / 60);
	assert_true(a.first_minute >= 60);
	assert_int_equal(a.bad, 0);
	/* gzip: read whole, with line numbers */
	assert_int_equal(maillog_read_since(gz, now - 3600, now, since_line, &b, err, sizeof(err)), 0);
	assert_int_equal(b.n, 6000);
	assert_int_equal(maillog_read_since("/nonexistent/mail.log", 0, now, since_line, &b, err, sizeof(err)),
			 EXIT_NOINPUT);
	unlink(plain);
	unlink(gz);
	rmdir(dir);
	free(plain);
	free(gz);
}

/* ---- events ---- */

#define NOW_DEC3 1796306400 /* 2026-12-03 14:00:00 UTC */

/* The slice (p, n) is want (NULL: absent). */
static void slice_is(const char *p, size_t n, const char *want)
{
	if (want == NULL) {
		if (p != NULL)
			fail_msg("expected no value, got \"%.*s\"", (int)n, p);
		return;
	}
	if (p == NULL)
		fail_msg("expected \"%s\", got none", want);
	char got[1024];
	snprintf(got, sizeof(got), "%.*s", (int)n, p);
	assert_string_equal(got, want);
}

struct want {
	enum maillog_mta mta;
	enum maillog_kind kind;
	const char *client, *ip, *stage;
	int code;
	const char *reason, *domain;
};

static void classify_is(const char *line, struct want w)
{
	struct maillog_event ev;

	if (!maillog_classify(line, strlen(line), NOW_DEC3, &ev))
		fail_msg("not classified: %s", line);
	print_message("%s\n", line);
	assert_int_equal(ev.mta, w.mta);
	assert_string_equal(maillog_kind_name(ev.kind), maillog_kind_name(w.kind));
	slice_is(ev.client, ev.client_len, w.client);
	slice_is(ev.ip, ev.ip_len, w.ip);
	slice_is(ev.stage, ev.stage_len, w.stage);
	assert_int_equal(ev.code, w.code);
	slice_is(ev.reason, ev.reason_len, w.reason);
	slice_is(ev.domain, ev.domain_len, w.domain);
	assert_true(ev.when > 0);
}

static void use_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_sendmail_lost_input_channel(void **st)
{
	(void)st;
	use_utc();
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: lost input channel from host.example.org "
		    "[192.0.2.7] to MTA after rcpt",
		    (struct want){ MAILLOG_SENDMAIL, ML_LOST, "host.example.org", "192.0.2.7", "rcpt", 0, NULL, NULL });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012346: lost input channel from [203.0.113.9] to mta "
		    "after mail",
		    (struct want){ MAILLOG_SENDMAIL, ML_LOST, NULL, "203.0.113.9", "mail", 0, NULL, NULL });
	/* no queue id; (may be forged) */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[124]: lost input channel from dyn-44.isp.example.com "
		    "[198.51.100.44] (may be forged) to MTA after data",
		    (struct want){ MAILLOG_SENDMAIL, ML_LOST, "dyn-44.isp.example.com", "198.51.100.44", "data", 0,
				   NULL, NULL });
	/* sendmail's own name, IPv6, an ident */
	classify_is("Dec  3 13:47:22 mx1 sendmail[125]: wB3Dl1x1012347: lost input channel from "
		    "root@relay.example.com [IPv6:2001:db8::25] to MTA-v6 after quit",
		    (struct want){ MAILLOG_SENDMAIL, ML_LOST, "relay.example.com", "2001:db8::25", "quit", 0, NULL,
				   NULL });
	/* the daemon's process title as the tag */
	classify_is("Dec  3 13:47:22 mx1 sm-acceptingconnections[126]: wB3Dl1x1012348: lost input channel from "
		    "[192.0.2.8] to MTA after startup",
		    (struct want){ MAILLOG_SENDMAIL, ML_LOST, NULL, "192.0.2.8", "startup", 0, NULL, NULL });
	/* collect's "unexpected close" names the client; "premature EOM" before it does not */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[127]: wB3Dl1x1012349: collect: unexpected close on connection "
		    "from host.example.org [192.0.2.7], sender=<x@example.org>",
		    (struct want){ MAILLOG_SENDMAIL, ML_LOST, "host.example.org", "192.0.2.7", "data", 0, NULL, NULL });
	/* and without a queue id */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[127]: collect: unexpected close on connection from [192.0.2.3], "
		    "sender=<x@example.org>",
		    (struct want){ MAILLOG_SENDMAIL, ML_LOST, NULL, "192.0.2.3", "data", 0, NULL, NULL });
	struct maillog_event ev;
	const char *eom = "Dec  3 13:47:22 mx1 sm-mta[127]: wB3Dl1x1012349: collect: premature EOM: unexpected close";
	assert_false(maillog_classify(eom, strlen(eom), NOW_DEC3, &ev));
}

static void test_sendmail_timeout_and_reset(void **st)
{
	(void)st;
	use_utc();
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: timeout waiting for input from "
		    "host.example.org [192.0.2.7] during server cmd read",
		    (struct want){ MAILLOG_SENDMAIL, ML_TIMEOUT, "host.example.org", "192.0.2.7", "server cmd read", 0,
				   NULL, NULL });
	/* the client side: a remote MX that did not greet */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: timeout waiting for input from "
		    "mx.slow.example.com. during client greeting",
		    (struct want){ MAILLOG_SENDMAIL, ML_TIMEOUT, "mx.slow.example.com", NULL, "client greeting", 0,
				   NULL, NULL });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: timeout waiting for input from "
		    "[192.0.2.7] during message collect",
		    (struct want){ MAILLOG_SENDMAIL, ML_TIMEOUT, NULL, "192.0.2.7", "data", 0, NULL, NULL });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: collect: premature EOM: Connection reset by "
		    "host.example.org [192.0.2.7]",
		    (struct want){ MAILLOG_SENDMAIL, ML_RESET, "host.example.org", "192.0.2.7", "data", 0,
				   "Connection reset", NULL });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: collect: premature EOM: Connection reset by "
		    "[192.0.2.9]",
		    (struct want){ MAILLOG_SENDMAIL, ML_RESET, NULL, "192.0.2.9", "data", 0, "Connection reset", NULL });
	/* Solaris' message id before the text */
	classify_is("Dec  3 13:47:22 mx1 sendmail[123]: [ID 801593 mail.warning] wB3Dl1x1012345: collect: "
		    "premature EOM: Connection reset by peer",
		    (struct want){ MAILLOG_SENDMAIL, ML_RESET, NULL, NULL, "data", 0, "Connection reset", NULL });
}

static void test_sendmail_rejections(void **st)
{
	(void)st;
	use_utc();
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: ruleset=check_rcpt, arg1=<u@example.net>, "
		    "relay=host.example.org [192.0.2.7], reject=550 5.1.1 <u@example.net>... User unknown",
		    (struct want){ MAILLOG_SENDMAIL, ML_REJECT, "host.example.org", "192.0.2.7", "rcpt", 550,
				   "User unknown", "example.net" });
	/* the sender's address in the reason is dropped so that reasons group */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: ruleset=check_rcpt, arg1=<pm@Example.NET>, "
		    "relay=[203.0.113.9], reject=553 5.1.8 <pm@Example.NET>... Domain of sender address x@nx.test "
		    "does not exist",
		    (struct want){ MAILLOG_SENDMAIL, ML_REJECT, NULL, "203.0.113.9", "rcpt", 553,
				   "Domain of sender address does not exist", "Example.NET" });
	/* check_mail: arg1 is the sender, so no recipient domain */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: ruleset=check_mail, arg1=<y@unres.test>, "
		    "relay=dyn-44.isp.example.com [198.51.100.44] (may be forged), reject=451 4.1.8 Domain of "
		    "sender address y@unres.test does not resolve",
		    (struct want){ MAILLOG_SENDMAIL, ML_REJECT, "dyn-44.isp.example.com", "198.51.100.44", "mail", 451,
				   "Domain of sender address does not resolve", NULL });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: ruleset=check_rcpt, arg1=<f@else.test>, "
		    "relay=[203.0.113.9], reject=550 5.7.1 <f@else.test>... Relaying denied. IP name lookup failed "
		    "[203.0.113.9]",
		    (struct want){ MAILLOG_SENDMAIL, ML_REJECT, NULL, "203.0.113.9", "rcpt", 550,
				   "Relaying denied. IP name lookup failed", "else.test" });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: ruleset=check_relay, arg1=dyn-44.isp.example.com, "
		    "arg2=198.51.100.44, relay=dyn-44.isp.example.com [198.51.100.44], reject=421 4.3.2 Connection "
		    "rate limit exceeded.",
		    (struct want){ MAILLOG_SENDMAIL, ML_REJECT, "dyn-44.isp.example.com", "198.51.100.44", "connect",
				   421, "Connection rate limit exceeded.", NULL });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: Milter: to=<eve@example.net>, reject=550 "
		    "5.7.1 Command rejected",
		    (struct want){ MAILLOG_SENDMAIL, ML_REJECT, NULL, NULL, NULL, 550, "Command rejected",
				   "example.net" });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: rejecting commands from host.example.org "
		    "[192.0.2.7] due to pre-greeting traffic after 2 seconds",
		    (struct want){ MAILLOG_SENDMAIL, ML_REJECT, "host.example.org", "192.0.2.7", "connect", 0,
				   "pre-greeting traffic", NULL });
}

static void test_sendmail_deferral_and_bounce(void **st)
{
	(void)st;
	use_utc();
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: to=<a@b.example>, delay=00:05:00, "
		    "xdelay=00:01:15, mailer=esmtp, pri=120499, relay=mx.b.example. [192.0.2.77], dsn=4.0.0, "
		    "stat=Deferred: Connection timed out with mx.b.example.",
		    (struct want){ MAILLOG_SENDMAIL, ML_DEFER, "mx.b.example", "192.0.2.77", NULL, 0,
				   "Connection timed out with mx.b.example.", "b.example" });
	/* two recipients, a ctladdr, no address for the relay */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: to=<a@b.example>,<c@d.example>, "
		    "ctladdr=<www@mx1> (33/33), delay=1+17:52:54, xdelay=00:00:42, mailer=esmtp, pri=22620571, "
		    "relay=b.example., dsn=4.0.0, stat=Deferred: 421 4.7.0 Try again later",
		    (struct want){ MAILLOG_SENDMAIL, ML_DEFER, "b.example", NULL, NULL, 0,
				   "421 4.7.0 Try again later", "b.example" });
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: to=<gone@example.com>, delay=00:00:02, "
		    "xdelay=00:00:02, mailer=esmtp, pri=30000, relay=mx.example.com. [198.51.100.25], dsn=5.1.1, "
		    "stat=User unknown",
		    (struct want){ MAILLOG_SENDMAIL, ML_BOUNCE, "mx.example.com", "198.51.100.25", NULL, 0,
				   "User unknown", "example.com" });
	/* a local delivery that failed for good */
	classify_is("Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: to=nobody, delay=00:00:00, mailer=local, "
		    "pri=30000, dsn=5.1.1, stat=User unknown",
		    (struct want){ MAILLOG_SENDMAIL, ML_BOUNCE, NULL, NULL, NULL, 0, "User unknown", NULL });
}

static void test_postfix_lost_and_timeout(void **st)
{
	(void)st;
	use_utc();
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: lost connection after RCPT from host.example.org[192.0.2.7]",
		    (struct want){ MAILLOG_POSTFIX, ML_LOST, "host.example.org", "192.0.2.7", "rcpt", 0, NULL, NULL });
	/* "unknown" is no name: the address stands for the client */
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: lost connection after CONNECT from unknown[203.0.113.9]",
		    (struct want){ MAILLOG_POSTFIX, ML_LOST, NULL, "203.0.113.9", "connect", 0, NULL, NULL });
	const char *stages[] = { "EHLO", "ehlo", "STARTTLS", "starttls", "END-OF-MESSAGE", "end-of-message",
				 "AUTH", "auth", "UNKNOWN", "unknown", "BDAT", "bdat" };
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i += 2) {
		char l[256];
		snprintf(l, sizeof(l), "Dec  3 13:47:22 mx2 postfix/smtpd[1]: lost connection after %s from h.test[192.0.2.1]",
			 stages[i]);
		classify_is(l, (struct want){ MAILLOG_POSTFIX, ML_LOST, "h.test", "192.0.2.1", stages[i + 1], 0, NULL,
					      NULL });
	}
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: lost connection after DATA (0 bytes) from unknown[192.0.2.8]",
		    (struct want){ MAILLOG_POSTFIX, ML_LOST, NULL, "192.0.2.8", "data", 0, NULL, NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: timeout after DATA (3 bytes) from host.example.org[192.0.2.7]",
		    (struct want){ MAILLOG_POSTFIX, ML_TIMEOUT, "host.example.org", "192.0.2.7", "data", 0, NULL, NULL });
	/* a second instance and a submission service; IPv6; smtpd_client_port_logging */
	classify_is("Dec  3 13:47:22 mx2 postfix-in/submission/smtpd[1]: timeout after END-OF-MESSAGE from "
		    "laptop.example.org[2001:db8::42]:50312",
		    (struct want){ MAILLOG_POSTFIX, ML_TIMEOUT, "laptop.example.org", "2001:db8::42", "end-of-message",
				   0, NULL, NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/postscreen[9]: HANGUP after 0.52 from [203.0.113.51]:51230 in tests "
		    "after SMTP handshake",
		    (struct want){ MAILLOG_POSTFIX, ML_LOST, NULL, "203.0.113.51", "tests after SMTP handshake", 0,
				   NULL, NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/postscreen[9]: COMMAND TIME LIMIT from [203.0.113.52]:4711 after RCPT",
		    (struct want){ MAILLOG_POSTFIX, ML_TIMEOUT, NULL, "203.0.113.52", "rcpt", 0, NULL, NULL });
}

static void test_postfix_resets(void **st)
{
	(void)st;
	use_utc();
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: SSL_accept error from unknown[203.0.113.9]: Connection "
		    "reset by peer",
		    (struct want){ MAILLOG_POSTFIX, ML_RESET, NULL, "203.0.113.9", "starttls", 0,
				   "Connection reset by peer", NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: SSL_accept error from host.example.org[192.0.2.7]: "
		    "Connection reset by peer",
		    (struct want){ MAILLOG_POSTFIX, ML_RESET, "host.example.org", "192.0.2.7", "starttls", 0,
				   "Connection reset by peer", NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/postscreen[9]: warning: read: Connection reset by peer",
		    (struct want){ MAILLOG_POSTFIX, ML_RESET, NULL, NULL, NULL, 0, "Connection reset by peer", NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: warning: read: Connection reset by peer",
		    (struct want){ MAILLOG_POSTFIX, ML_RESET, NULL, NULL, NULL, 0, "Connection reset by peer", NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtp[2]: SSL_connect error to mx.b.example[192.0.2.77]:25: "
		    "Connection reset by peer",
		    (struct want){ MAILLOG_POSTFIX, ML_RESET, "mx.b.example", "192.0.2.77", NULL, 0,
				   "Connection reset by peer", NULL });
}

static void test_postfix_rejections(void **st)
{
	(void)st;
	use_utc();
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: NOQUEUE: reject: RCPT from host.example.org[192.0.2.7]: "
		    "550 5.1.1 <u@example.net>: Recipient address rejected: User unknown in local recipient table; "
		    "from=<x@y.test> to=<u@example.net> proto=ESMTP helo=<h.test>",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, "host.example.org", "192.0.2.7", "rcpt", 550,
				   "Recipient address rejected: User unknown in local recipient table", "example.net" });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 "
		    "5.7.1 <f@else.test>: Relay access denied; from=<x@y.test> to=<f@else.test> proto=SMTP "
		    "helo=<198.51.100.17>",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, NULL, "203.0.113.9", "rcpt", 554, "Relay access denied",
				   "else.test" });
	/* the client's address at the end of the reason would split the group */
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: NOQUEUE: reject: RCPT from dsl.example.com[192.0.2.99]: "
		    "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.99]; from=<a@dsl.test> "
		    "to=<bob@example.net> proto=ESMTP helo=<dsl-9>",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, "dsl.example.com", "192.0.2.99", "rcpt", 450,
				   "Client host rejected: cannot find your hostname", "example.net" });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: 4F3A21C0A2B: reject: RCPT from h.test[192.0.2.5]: 450 "
		    "4.1.8 <s@nx.test>: Sender address rejected: Domain not found; from=<s@nx.test> to=<b@example.net> "
		    "proto=ESMTP helo=<h.test>",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, "h.test", "192.0.2.5", "rcpt", 450,
				   "Sender address rejected: Domain not found", "example.net" });
	/* no recipient yet: cut at "; proto=" */
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: NOQUEUE: reject: EHLO from s.example.com[192.0.2.6]: 504 "
		    "5.5.2 <User>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<User>",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, "s.example.com", "192.0.2.6", "ehlo", 504,
				   "Helo command rejected: need fully-qualified hostname", NULL });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtpd[1]: NOQUEUE: reject: CONNECT from unknown[192.0.2.4]: 554 "
		    "5.7.1 <unknown[192.0.2.4]>: Client host rejected: Access denied; proto=SMTP",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, NULL, "192.0.2.4", "connect", 554,
				   "Client host rejected: Access denied", NULL });
	/* postscreen: a port after the address, commas between the fields */
	classify_is("2026-12-03T13:42:40.123456+00:00 mx2 postfix/postscreen[1100]: NOQUEUE: reject: RCPT from "
		    "[203.0.113.50]:40321: 550 5.7.1 Service unavailable; client [203.0.113.50] blocked using "
		    "zen.spamhaus.org; from=<x@bulk.test>, to=<bob@example.net>, proto=ESMTP, helo=<bulk.test>",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, NULL, "203.0.113.50", "rcpt", 550,
				   "Service unavailable; client [203.0.113.50] blocked using zen.spamhaus.org",
				   "example.net" });
	classify_is("Dec  3 13:47:22 mx2 postfix/cleanup[3]: 9D3E51C0A41: milter-reject: END-OF-MESSAGE from "
		    "mail.example.com[198.51.100.7]: 5.7.1 Rejected by spam filter; from=<n@l.example.com> "
		    "to=<bob@example.net> proto=ESMTP helo=<mail.example.com>",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, "mail.example.com", "198.51.100.7", "end-of-message", 0,
				   "Rejected by spam filter", "example.net" });
	classify_is("Dec  3 13:47:22 mx2 postfix/cleanup[3]: 9D3E51C0A41: reject: header Subject: You won a prize "
		    "from mail.example.com[198.51.100.7]; from=<n@l.example.com> to=<bob@example.net> proto=ESMTP "
		    "helo=<mail.example.com>: 5.7.1 message content rejected",
		    (struct want){ MAILLOG_POSTFIX, ML_REJECT, "mail.example.com", "198.51.100.7", "header", 0,
				   "message content rejected", "example.net" });
}

static void test_postfix_deferral_and_bounce(void **st)
{
	(void)st;
	use_utc();
	/* "connect to HOST[IP]:25: " becomes the client and the address */
	classify_is("Dec  3 13:47:22 mx2 postfix/smtp[1]: 7A1B31C0A3C: to=<a@b.example>, relay=none, delay=301, "
		    "delays=300/0.01/0.5/0, dsn=4.4.1, status=deferred (connect to mx.b.example[192.0.2.77]:25: "
		    "Connection refused)",
		    (struct want){ MAILLOG_POSTFIX, ML_DEFER, "mx.b.example", "192.0.2.77", NULL, 0, "Connection refused",
				   "b.example" });
	classify_is("Dec  3 13:47:22 mx2 postfix/error[1]: 7A1B31C0A3D: to=<d@b.example>, relay=none, delay=302, "
		    "delays=302/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to "
		    "mx.b.example[192.0.2.77]:25: Connection timed out)",
		    (struct want){ MAILLOG_POSTFIX, ML_DEFER, "mx.b.example", "192.0.2.77", NULL, 0,
				   "Connection timed out", "b.example" });
	/* before Postfix 2.3: no port after the address, "(port N)" after the text */
	classify_is("Dec  3 13:47:22 mx2 postfix/smtp[1]: 4B15324914C: to=<admin@example.net>, relay=none, "
		    "delay=0.61, delays=0.35/0.26/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]: "
		    "Connection refused (port 10024))",
		    (struct want){ MAILLOG_POSTFIX, ML_DEFER, "127.0.0.1", "127.0.0.1", NULL, 0, "Connection refused",
				   "example.net" });
	/* the remote's words stay as they are; the relay is the host */
	classify_is("Dec  3 13:47:22 mx2 postfix/smtp[1]: 7A1B31C0A3E: to=<grey@list.example.com>, "
		    "relay=mx.list.example.com[198.51.100.60]:25, delay=2.1, delays=0.1/0/0.5/1.5, dsn=4.7.1, "
		    "status=deferred (host mx.list.example.com[198.51.100.60] said: 450 4.7.1 Greylisted (in reply "
		    "to RCPT TO command))",
		    (struct want){ MAILLOG_POSTFIX, ML_DEFER, "mx.list.example.com", "198.51.100.60", NULL, 0,
				   "host mx.list.example.com[198.51.100.60] said: 450 4.7.1 Greylisted (in reply to "
				   "RCPT TO command)",
				   "list.example.com" });
	classify_is("Dec  3 13:47:22 mx2 postfix/smtp[1]: 7A1B31C0A3F: to=<gone@example.com>, "
		    "orig_to=<old@example.net>, relay=mx.example.com[198.51.100.25]:25, delay=1.2, "
		    "delays=0.1/0/0.4/0.7, dsn=5.1.1, status=bounced (host mx.example.com[198.51.100.25] said: 550 "
		    "5.1.1 <gone@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command))",
		    (struct want){ MAILLOG_POSTFIX, ML_BOUNCE, "mx.example.com", "198.51.100.25", NULL, 0,
				   "host mx.example.com[198.51.100.25] said: 550 5.1.1 <gone@example.com>: Recipient "
				   "address rejected: User unknown (in reply to RCPT TO command)",
				   "example.com" });
	classify_is("Dec  3 13:47:22 mx2 postfix/local[1]: 7A1B31C0A40: to=<nobody@mx2.example.net>, relay=local, "
		    "delay=0.02, delays=0.01/0/0/0.01, dsn=5.1.1, status=bounced (unknown user: \"nobody\")",
		    (struct want){ MAILLOG_POSTFIX, ML_BOUNCE, "local", NULL, NULL, 0, "unknown user: \"nobody\"",
				   "mx2.example.net" });
}

static void not_event(const char *line)
{
	struct maillog_event ev;

	if (maillog_classify(line, strlen(line), NOW_DEC3, &ev))
		fail_msg("classified as %s: %s", maillog_kind_name(ev.kind), line);
	assert_int_equal(ev.kind, ML_NONE);
	assert_null(ev.client);
	assert_null(ev.reason);
}

static void test_non_events(void **st)
{
	(void)st;
	use_utc();
	not_event(SENDMAIL);
	not_event(SENDMAIL_TO);
	not_event(POSTFIX);
	not_event(POSTFIX_SMTPD);
	not_event(POSTFIX_REMOVED);
	not_event(EXIM);
	not_event("Dec  3 13:47:22 mx2 postfix/smtpd[1]: connect from unknown[203.0.113.9]");
	not_event("Dec  3 13:47:22 mx2 postfix/smtpd[1]: disconnect from unknown[203.0.113.9] ehlo=1 mail=1 rcpt=0/2 "
		  "commands=2/4");
	not_event("Dec  3 13:47:22 mx2 postfix/smtp[1]: connect to mx.b.example[192.0.2.77]:25: Connection refused");
	not_event("Dec  3 13:47:22 mx2 postfix/smtp[1]: 4F3A21C0A2B: to=<a@b.example>, relay=mx.b.example[192.0.2.77]:25, "
		  "delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1234)");
	not_event("Dec  3 13:47:22 mx1 sm-mta[1]: wB3Dl1x1012345: [203.0.113.9] did not issue MAIL/EXPN/VRFY/ETRN "
		  "during connection to MTA");
	not_event("Dec  3 13:47:22 mx1 sm-mta[1]: STARTTLS=server, relay=mail.example.org [192.0.2.10], "
		  "version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256");
	/* the wording, but not from an MTA we know */
	not_event("Dec  3 13:47:22 mx1 other[1]: lost connection after RCPT from h.test[192.0.2.1]");
	not_event("Dec  3 13:47:22 mx1 sshd[1]: Connection reset by peer");
	not_event("");
	not_event("\n");
	/* not an event, but the stamp is still read */
	struct maillog_event ev;
	const char *c = "Dec  3 13:47:22 mx2 postfix/smtpd[1]: connect from unknown[203.0.113.9]";
	assert_false(maillog_classify(c, strlen(c), NOW_DEC3, &ev));
	assert_int_equal(ev.when, 1796305642);
}

static void test_kind_names(void **st)
{
	(void)st;
	assert_string_equal(maillog_kind_name(ML_NONE), "none");
	assert_string_equal(maillog_kind_name(ML_LOST), "lost");
	assert_string_equal(maillog_kind_name(ML_TIMEOUT), "timeout");
	assert_string_equal(maillog_kind_name(ML_RESET), "reset");
	assert_string_equal(maillog_kind_name(ML_REJECT), "reject");
	assert_string_equal(maillog_kind_name(ML_DEFER), "defer");
	assert_string_equal(maillog_kind_name(ML_BOUNCE), "bounce");
	assert_string_equal(maillog_kind_name((enum maillog_kind)99), "none");
}

static int64_t t_of(const char *s, int64_t now)
{
	return maillog_time(s, strlen(s), now);
}

static void test_stamps(void **st)
{
	(void)st;
	use_utc();
	/* RFC 3164: local time (UTC here), the year from now */
	assert_int_equal(t_of("Dec  3 13:47:22 mx1 sm-mta[1]: x", NOW_DEC3), 1796305642);
	assert_int_equal(t_of("Dec 03 13:47:22 mx1 sm-mta[1]: x", NOW_DEC3), 1796305642);
	assert_int_equal(t_of("Dec 3 13:47:22 mx1 sm-mta[1]: x", NOW_DEC3), 1796305642);
	/* up to a day after now is still this year; more is last year */
	assert_int_equal(t_of("Dec  4 13:47:22 h p: x", NOW_DEC3), 1796305642 + 86400);
	assert_int_equal(t_of("Dec  5 13:47:22 h p: x", NOW_DEC3), 1796305642 + 86400 * 2 - 365 * 86400);
	/* the turn of the year: Dec 31 read on Jan 1 is last year's */
	assert_int_equal(t_of("Dec 31 23:59:59 h p: x", 1798761630), 1798761599);
	/* and Jan 1 read late on Dec 31 is next year's */
	assert_int_equal(t_of("Jan  1 00:00:10 h p: x", 1798761599 - 10), 1798761610);
	/* RFC 3339, any offset */
	assert_int_equal(t_of("2026-12-03T13:47:22.123456+01:00 mx1 postfix/smtpd[1]: x", 0), 1796302042);
	assert_int_equal(t_of("2026-12-03T13:47:22Z mx1 postfix/smtpd[1]: x", 0), 1796305642);
	assert_int_equal(t_of("2026-12-03T13:47:22-05:00 mx1 postfix/smtpd[1]: x", 0), 1796323642);
	assert_int_equal(t_of("2026-12-03T13:47:22.5+00:00 h p: x", 0), 1796305642);
	/* journalctl -o short-iso */
	assert_int_equal(t_of("2026-12-03T13:47:22+0000 mx1 postfix/smtpd[1]: x", 0), 1796305642);
	assert_int_equal(t_of("2026-12-03T14:47:22+0100 mx1 postfix/smtpd[1]: x", 0), 1796305642);
	assert_int_equal(t_of("2024-02-29T12:00:00Z", 0), 1709208000);
	/* a priority in front */
	assert_int_equal(t_of("<22>Dec  3 13:47:22 mx1 sm-mta[1]: x", NOW_DEC3), 1796305642);
	/* not stamps */
	assert_int_equal(t_of("", NOW_DEC3), -1);
	assert_int_equal(t_of("Foo  3 13:47:22 h p: x", NOW_DEC3), -1);
	assert_int_equal(t_of("Dec 32 13:47:22 h p: x", NOW_DEC3), -1);
	assert_int_equal(t_of("Dec  3 25:47:22 h p: x", NOW_DEC3), -1);
	assert_int_equal(t_of("Dec  3 13:47", NOW_DEC3), -1);
	assert_int_equal(t_of("2026-13-03T13:47:22Z", 0), -1);
	assert_int_equal(t_of("2026-12-03T13:47:22+1", 0), -1);
	assert_int_equal(t_of("2026-12-03X13:47:22Z", 0), -1);
	assert_int_equal(t_of("hello", 0), -1);
}

static void test_stamp_3164_in_local_time(void **st)
{
	(void)st;
	/* US Eastern without tzdata: 13:47:22 EST is 18:47:22 UTC */
	setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
	tzset();
	assert_int_equal(t_of("Dec  3 13:47:22 mx1 sm-mta[1]: x", NOW_DEC3), 1796323642);
	/* RFC 3339 carries its own offset: the zone does not matter */
	assert_int_equal(t_of("2026-12-03T13:47:22+00:00 h p: x", 0), 1796305642);
	/* summer: EDT, four hours */
	assert_int_equal(t_of("Jul  1 12:00:00 h p: x", NOW_DEC3), 1782907200 + 4 * 3600);
	use_utc();
}

/* Each prefix of line, in a buffer of exactly that size (so that ASan sees
 * any read past it), with a stamp or without. */
static void every_prefix(const char *line)
{
	size_t n = strlen(line);
	struct maillog_event ev;

	for (size_t k = 0; k <= n; k++) {
		char *b = xmalloc(k ? k : 1);
		memcpy(b, line, k);
		if (maillog_classify(b, k, NOW_DEC3, &ev)) {
			assert_true(ev.kind != ML_NONE);
			const char *ptrs[] = { ev.client, ev.ip, ev.domain };
			size_t lens[] = { ev.client_len, ev.ip_len, ev.domain_len };
			for (int i = 0; i < 3; i++)
				if (ptrs[i] != NULL)
					assert_true(ptrs[i] >= b && ptrs[i] + lens[i] <= b + k);
		}
		maillog_time(b, k, NOW_DEC3);
		free(b);
	}
}

static void test_hostile_bytes(void **st)
{
	(void)st;
	use_utc();
	const char *lines[] = {
		"Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: lost input channel from host.example.org [192.0.2.7] "
		"(may be forged) to MTA after rcpt",
		"Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: ruleset=check_rcpt, arg1=<u@example.net>, "
		"relay=host.example.org [192.0.2.7], reject=550 5.1.1 <u@example.net>... User unknown",
		"Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: to=<a@b.example>, delay=00:05:00, mailer=esmtp, "
		"relay=mx.b.example. [192.0.2.77], dsn=4.0.0, stat=Deferred: Connection timed out with mx.b.example.",
		"2026-12-03T13:47:22.123+01:00 mx2 postfix/smtpd[1]: NOQUEUE: reject: RCPT from h.test[192.0.2.7]: 550 "
		"5.1.1 <u@d.test>: Recipient address rejected: User unknown; from=<x@y> to=<u@d.test> proto=ESMTP "
		"helo=<h>",
		"Dec  3 13:47:22 mx2 postfix/smtp[1]: 7A1B31C0A3C: to=<a@b.example>, relay=none, delay=301, dsn=4.4.1, "
		"status=deferred (delivery temporarily suspended: connect to mx.b.example[192.0.2.77]:25: Connection "
		"refused (port 25))",
		"Dec  3 13:47:22 mx2 postfix/cleanup[3]: 9D3E51C0A41: reject: header Subject: x from m.test[192.0.2.1]; "
		"from=<n@l> to=<b@e> proto=ESMTP helo=<m>: 5.7.1 message content rejected",
		"Dec  3 13:47:22 mx2 postfix/smtpd[1]: lost connection after DATA (0 bytes) from unknown[192.0.2.8]:25",
		"Dec  3 13:47:22 mx2 postfix/postscreen[9]: HANGUP after 0.52 from [203.0.113.51]:51230 in tests",
		"Dec  3 13:47:22 mx1 sm-mta[123]: wB3Dl1x1012345: collect: premature EOM: Connection reset by [1.2.3.4]",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		every_prefix(lines[i]);

	/* NUL and ESC inside: the length rules, not the NUL */
	struct maillog_event ev;
	const char nul[] = "Dec  3 13:47:22 mx2 postfix/smtpd[1]: lost connection after RCPT from h\0x[192.0.2.1]";
	maillog_classify(nul, sizeof(nul) - 1, NOW_DEC3, &ev);
	const char esc[] = "Dec  3 13:47:22 mx2 postfix/smtpd[1]: lost connection after RCPT from \033[31mh[192.0.2.1]";
	assert_true(maillog_classify(esc, sizeof(esc) - 1, NOW_DEC3, &ev));
	assert_int_equal(ev.kind, ML_LOST);
	const char odd[] = "Dec  3 13:47:22 mx2 postfix/smtpd[1]: reject: [[[ from [: ]]]; from=< to=<";
	maillog_classify(odd, sizeof(odd) - 1, NOW_DEC3, &ev);
	const char odd2[] = "Dec  3 13:47:22 mx1 sm-mta[1]: x: to=<, stat=Deferred";
	assert_true(maillog_classify(odd2, sizeof(odd2) - 1, NOW_DEC3, &ev));
	assert_null(ev.domain);

	/* a 1 MB line of each shape */
	size_t big = 1 << 20;
	char *b = xmalloc(big);
	const char *heads[] = { "Dec  3 13:47:22 mx2 postfix/smtpd[1]: NOQUEUE: reject: RCPT from ",
				"Dec  3 13:47:22 mx1 sm-mta[1]: wB3Dl1x1012345: lost input channel from ",
				"Dec  3 13:47:22 mx1 sm-mta[1]: wB3Dl1x1012345: to=<",
				"2026-12-03T13:47:22.",
				"" };
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		for (int fill = 0; fill < 3; fill++) {
			memset(b, fill == 0 ? 'a' : fill == 1 ? '[' : '9', big);
			memcpy(b, heads[h], strlen(heads[h]));
			maillog_classify(b, big, NOW_DEC3, &ev);
			maillog_time(b, big, NOW_DEC3);
		}
	}
	/* random bytes */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % 200);
		char *r = xmalloc(n ? n : 1);
		size_t k = 0;
		const char *seed = lines[(size_t)i % (sizeof(lines) / sizeof(lines[0]))];
		for (; k < n; k++)
			r[k] = rand() % 4 == 0 ? (char)rand() : seed[k % strlen(seed)];
		maillog_classify(r, n, NOW_DEC3, &ev);
		free(r);
	}
	free(b);
}

struct tally {
	size_t kind[ML_BOUNCE + 1];
	size_t events, undated;
};

static int tally_line(void *arg, const char *line, size_t len, uint64_t lineno)
{
	struct tally *t = arg;
	struct maillog_event ev;

	(void)lineno;
	if (maillog_classify(line, len, NOW_DEC3, &ev)) {
		t->kind[ev.kind]++;
		t->events++;
	}
	if (ev.when < 0)
		t->undated++;
	return 0;
}

static char *data_path(const char *name)
{
	const char *root = getenv("ROOT");

	return xasprintf("%s/tests/data/maillog/%s", root != NULL ? root : ".", name);
}

static void test_fixture_logs_by_kind(void **st)
{
	(void)st;
	use_utc();
	char err[256] = "";
	char *sm = data_path("sendmail.log"), *pf = data_path("postfix.log");
	struct tally a = { 0 }, b = { 0 };

	assert_int_equal(maillog_read(sm, tally_line, &a, err, sizeof(err)), 0);
	assert_int_equal(a.kind[ML_LOST], 5);
	assert_int_equal(a.kind[ML_TIMEOUT], 2);
	assert_int_equal(a.kind[ML_RESET], 1);
	assert_int_equal(a.kind[ML_REJECT], 6);
	assert_int_equal(a.kind[ML_DEFER], 2);
	assert_int_equal(a.kind[ML_BOUNCE], 1);
	assert_int_equal(a.events, 17);
	assert_int_equal(a.undated, 0);

	assert_int_equal(maillog_read(pf, tally_line, &b, err, sizeof(err)), 0);
	assert_int_equal(b.kind[ML_LOST], 6);
	assert_int_equal(b.kind[ML_TIMEOUT], 1);
	assert_int_equal(b.kind[ML_RESET], 1);
	assert_int_equal(b.kind[ML_REJECT], 5);
	assert_int_equal(b.kind[ML_DEFER], 3);
	assert_int_equal(b.kind[ML_BOUNCE], 1);
	assert_int_equal(b.events, 17);
	assert_int_equal(b.undated, 0);
	free(sm);
	free(pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sendmail_from_line),
		cmocka_unit_test(test_postfix_qmgr_line),
		cmocka_unit_test(test_exim_arrival_line),
		cmocka_unit_test(test_size_field_needs_a_boundary),
		cmocka_unit_test(test_queue_id_counted_once),
		cmocka_unit_test(test_read_plain_and_gzip),
		cmocka_unit_test(test_sendmail_lost_input_channel),
		cmocka_unit_test(test_sendmail_timeout_and_reset),
		cmocka_unit_test(test_sendmail_rejections),
		cmocka_unit_test(test_sendmail_deferral_and_bounce),
		cmocka_unit_test(test_postfix_lost_and_timeout),
		cmocka_unit_test(test_postfix_resets),
		cmocka_unit_test(test_postfix_rejections),
		cmocka_unit_test(test_postfix_deferral_and_bounce),
		cmocka_unit_test(test_non_events),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_stamps),
		cmocka_unit_test(test_stamp_3164_in_local_time),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_fixture_logs_by_kind),
		cmocka_unit_test(test_read_since_bisects_to_the_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

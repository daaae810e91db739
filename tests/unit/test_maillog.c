/*
 * tests/unit/test_maillog.c: pins backend/maillog.c on log lines as the
 * MTAs write them: sendmail's from= line (size=, nrcpts=), Postfix qmgr's
 * (size=, nrcpt=), Exim's <= line (S=, old and 4.97 message ids), lines
 * that look alike but are not arrivals, queue ids counted once, and
 * reading plain and gzip-compressed files (a corrupt one is an error).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sendmail_from_line),
		cmocka_unit_test(test_postfix_qmgr_line),
		cmocka_unit_test(test_exim_arrival_line),
		cmocka_unit_test(test_size_field_needs_a_boundary),
		cmocka_unit_test(test_queue_id_counted_once),
		cmocka_unit_test(test_read_plain_and_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

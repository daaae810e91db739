/*
 * tests/unit/test_mailq.c: pins backend/mailq.c on queue listings as the
 * MTAs print them: Postfix's `postqueue -j` (messages in every queue,
 * reasons per recipient, an empty queue printing nothing, garbage an
 * error), sendmail's `mailq` (Debian's MSP/MTA halves, locked and
 * quarantined entries, a body type before the reason), Postfix's `mailq`
 * (active '*', hold '!', reasons that change between recipients, long
 * queue ids) and the empty queues of each; what the summary makes of them:
 * counts by queue, the oldest arrival, deferred recipients by domain
 * (lower-cased, most first, ties by name) and the most frequent reason.
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

#include "../../backend/backend.h"

#define NOW_DEC3 1796306400 /* Thu 2026-12-03 14:00:00 UTC */
#define HOUR 3600
#define DAY 86400

static void use_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static void domain_is(const struct mailq_summary *s, size_t i, const char *name, size_t n)
{
	assert_true(i < s->ndomains);
	assert_string_equal(s->domains[i].domain, name);
	assert_int_equal(s->domains[i].n, n);
}

static const char *JSON =
	"{\"queue_name\": \"deferred\", \"queue_id\": \"7A1B31C0A3C\", \"arrival_time\": 1796202000, "
	"\"message_size\": 5678, \"forced_expire\": false, \"sender\": \"\", \"recipients\": ["
	"{\"address\": \"a@b.example\", \"delay_reason\": \"connect to mx.b.example[192.0.2.77]:25: Connection "
	"refused\"}, "
	"{\"address\": \"c@B.Example\", \"delay_reason\": \"connect to mx.b.example[192.0.2.77]:25: Connection "
	"refused\"}]}\n"
	"{\"queue_name\": \"deferred\", \"queue_id\": \"7A1B31C0A3E\", \"arrival_time\": 1796288400, "
	"\"message_size\": 1200, \"forced_expire\": false, \"sender\": \"list@list.example.com\", \"recipients\": ["
	"{\"address\": \"grey@list.example.com\", \"delay_reason\": \"host mx.list.example.com[198.51.100.60] "
	"said: 450 4.7.1 Greylisted (in reply to RCPT TO command)\"}, "
	"{\"address\": \"z@a.example\", \"delay_reason\": \"host mx.a.example[198.51.100.61] said: 421 4.7.0 Try "
	"again later (in reply to MAIL FROM command)\"}]}\n"
	"{\"queue_name\": \"active\", \"queue_id\": \"4F3A21C0A2B\", \"arrival_time\": 1796306000, "
	"\"message_size\": 1234, \"forced_expire\": false, \"sender\": \"sender@example.org\", \"recipients\": ["
	"{\"address\": \"rcpt@example.net\"}]}\n"
	"{\"queue_name\": \"hold\", \"queue_id\": \"9D3E51C0A41\", \"arrival_time\": 1796295600, "
	"\"message_size\": 777, \"forced_expire\": false, \"sender\": \"someone@example.org\", \"recipients\": ["
	"{\"address\": \"x@held.example\"}]}\n"
	"{\"queue_name\": \"incoming\", \"queue_id\": \"AB12C1C0A42\", \"arrival_time\": 1796306340, "
	"\"message_size\": 100, \"sender\": \"new@example.org\", \"recipients\": [{\"address\": \"y@example.net\"}]}\n"
	"{\"queue_name\": \"maildrop\", \"queue_id\": \"CD34E1C0A43\", \"arrival_time\": 1796306350, "
	"\"message_size\": 90, \"sender\": \"www-data\", \"recipients\": [{\"address\": \"root\"}]}\n";

static void test_json_counts_queues_domains_and_reasons(void **st)
{
	(void)st;
	struct mailq_summary s;
	char err[256] = "";

	assert_int_equal(mailq_parse_json(JSON, strlen(JSON), &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 6);
	assert_int_equal(s.deferred, 2);
	assert_int_equal(s.active, 1);
	assert_int_equal(s.hold, 1);
	assert_int_equal(s.incoming, 2); /* incoming and maildrop */
	assert_int_equal(s.oldest, 1796202000);
	/* lower-cased; most first; ties by name; only deferred messages */
	assert_int_equal(s.ndomains, 3);
	domain_is(&s, 0, "b.example", 2);
	domain_is(&s, 1, "a.example", 1);
	domain_is(&s, 2, "list.example.com", 1);
	assert_string_equal(s.top_reason, "connect to mx.b.example[192.0.2.77]:25: Connection refused");
	mailq_summary_free(&s);
	assert_null(s.domains);
	assert_null(s.top_reason);
	assert_int_equal(s.oldest, -1);
	mailq_summary_free(&s); /* twice is harmless */
}

static void test_json_empty_queue_prints_nothing(void **st)
{
	(void)st;
	struct mailq_summary s;
	char err[256] = "";

	assert_int_equal(mailq_parse_json("", 0, &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 0);
	assert_int_equal(s.oldest, -1);
	assert_int_equal(s.ndomains, 0);
	assert_null(s.domains);
	assert_null(s.top_reason);
	mailq_summary_free(&s);
	assert_int_equal(mailq_parse_json("\n\n", 2, &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 0);
	mailq_summary_free(&s);
}

static void json_fails(const char *text, const char *want_in_err)
{
	struct mailq_summary s;
	char err[256] = "";

	assert_int_equal(mailq_parse_json(text, strlen(text), &s, err, sizeof(err)), EXIT_DATAERR);
	if (strstr(err, want_in_err) == NULL)
		fail_msg("\"%s\" not in \"%s\"", want_in_err, err);
	assert_int_equal(s.total, 0);
	assert_null(s.domains);
	assert_null(s.top_reason);
	mailq_summary_free(&s);
}

static void test_json_garbage_is_a_data_error(void **st)
{
	(void)st;
	json_fails("Mail queue is empty\n", "line 1");
	json_fails("postqueue: fatal: Queue report unavailable - mail system is down\n", "line 1");
	/* a good line, then one cut short: the partial summary is dropped */
	char two[4096];
	const char *nl = strchr(JSON, '\n');
	snprintf(two, sizeof(two), "%.*s%.40s\n", (int)(nl - JSON + 1), JSON, JSON);
	json_fails(two, "line 2");
	json_fails("[1, 2, 3]\n", "not a queue entry");
	json_fails("{\"queue_name\": \"deferred\", \"queue_id\": \"X\"}\n", "not a queue entry");
	json_fails("{\"queue_name\": 7, \"queue_id\": \"X\", \"recipients\": []}\n", "not a queue entry");
	const char nul[] = "{\"queue_name\": \"deferred\"\0, \"queue_id\": \"X\", \"recipients\": []}\n";
	struct mailq_summary s;
	assert_int_equal(mailq_parse_json(nul, sizeof(nul) - 1, &s, NULL, 0), EXIT_DATAERR);
	mailq_summary_free(&s);
}

static void test_json_odd_recipients_are_skipped(void **st)
{
	(void)st;
	const char *j = "{\"queue_name\": \"deferred\", \"queue_id\": \"X1\", \"arrival_time\": \"soon\", "
			"\"recipients\": [7, {\"address\": 8}, {\"address\": \"@\"}, {\"address\": \"u@\"}, "
			"{\"address\": \"u@ok.example\", \"delay_reason\": \"\"}]}\n";
	struct mailq_summary s;
	char err[256];

	assert_int_equal(mailq_parse_json(j, strlen(j), &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 1);
	assert_int_equal(s.deferred, 1);
	assert_int_equal(s.oldest, -1);
	assert_int_equal(s.ndomains, 1);
	domain_is(&s, 0, "ok.example", 1);
	assert_null(s.top_reason);
	mailq_summary_free(&s);
}

static const char *SENDMAIL_MAILQ = "MSP Queue status...\n"
				    "/var/spool/mqueue-client is empty\n"
				    "\t\tTotal requests: 0\n"
				    "MTA Queue status...\n"
				    "\t\t/var/spool/mqueue (4 requests)\n"
				    "-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\n"
				    "wB2A00x1012345     1076 Wed Dec  2 10:00 <alice@example.org>\n"
				    "                 (Deferred: Connection timed out with mx.remote.example.com.)\n"
				    "\t\t\t\t\t <carol@Remote.Example.com>\n"
				    "\t\t\t\t\t <dave@remote.example.com>\n"
				    "wB3C00x1012346*     598 Thu Dec  3 12:00 <news@lists.example.com>\n"
				    "\t\t\t\t\t <bob@example.net>\n"
				    "wB3B00x1012347     2291 Thu Dec  3 11:00 <MAILER-DAEMON>\n"
				    "      8BITMIME   (Deferred: 450 4.2.0 <eve@other.example>... Mailbox busy)\n"
				    "\t\t\t\t\t <eve@other.example>\n"
				    "wB3B30x1012348       77 Thu Dec  3 11:30 <root@mx1.example.net>\n"
				    "     QUARANTINE: held for review\n"
				    "\t\t\t\t\t <frank@other.example>\n"
				    "\t\tTotal requests: 4\n";

static void test_sendmail_mailq(void **st)
{
	(void)st;
	use_utc();
	struct mailq_summary s;
	char err[256] = "";

	assert_int_equal(mailq_parse_text(SENDMAIL_MAILQ, strlen(SENDMAIL_MAILQ), NOW_DEC3, &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 4);
	/* sendmail: deferred are those with a reason; locked is active; quarantined is held */
	assert_int_equal(s.deferred, 2);
	assert_int_equal(s.active, 1);
	assert_int_equal(s.hold, 1);
	assert_int_equal(s.incoming, 0);
	assert_int_equal(s.oldest, NOW_DEC3 - DAY - 4 * HOUR); /* Wed Dec 2 10:00 */
	assert_int_equal(s.ndomains, 2);
	domain_is(&s, 0, "remote.example.com", 2);
	domain_is(&s, 1, "other.example", 1);
	assert_string_equal(s.top_reason, "Deferred: Connection timed out with mx.remote.example.com.");
	mailq_summary_free(&s);
}

static const char *POSTFIX_MAILQ =
	"-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
	"4F3A21C0A2B*    1234 Thu Dec  3 10:00:00  sender@example.org\n"
	"                                         rcpt@example.net\n"
	"\n"
	"7A1B31C0A3C     5678 Wed Dec  2 09:00:00  MAILER-DAEMON\n"
	"                 (connect to mx.b.example[192.0.2.77]:25: Connection refused)\n"
	"                                         a@b.example\n"
	"                                         c@B.example\n"
	"(host mx.list.example.com[198.51.100.60] said: 450 4.7.1 <grey@list.example.com>: Recipient address "
	"rejected: Greylisted (in reply to RCPT TO command))\n"
	"                                         grey@list.example.com\n"
	"                                                       (reason unavailable)\n"
	"                                         n@none.example\n"
	"\n"
	"9D3E51C0A41!     777 Thu Dec  3 11:00:00  someone@example.org\n"
	"                                         x@held.example\n"
	"\n"
	"AB12C1C0A42      100 Thu Dec  3 13:59:00  new@example.org\n"
	"                                         y@example.net\n"
	"\n"
	"-- 7 Kbytes in 4 Requests.\n";

static void test_postfix_mailq(void **st)
{
	(void)st;
	use_utc();
	struct mailq_summary s;
	char err[256] = "";

	assert_int_equal(mailq_parse_text(POSTFIX_MAILQ, strlen(POSTFIX_MAILQ), NOW_DEC3, &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 4);
	assert_int_equal(s.active, 1);
	assert_int_equal(s.hold, 1);
	assert_int_equal(s.deferred, 1);
	assert_int_equal(s.incoming, 1);
	assert_int_equal(s.oldest, NOW_DEC3 - DAY - 5 * HOUR); /* Wed Dec 2 09:00:00 */
	/* every recipient of the deferred message, with a reason or without */
	assert_int_equal(s.ndomains, 3);
	domain_is(&s, 0, "b.example", 2);
	domain_is(&s, 1, "list.example.com", 1);
	domain_is(&s, 2, "none.example", 1);
	assert_string_equal(s.top_reason, "connect to mx.b.example[192.0.2.77]:25: Connection refused");
	mailq_summary_free(&s);

	/* long queue ids, the other header */
	const char *lq = "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
			 "4X5Ts21Kz9z9sJ2*     1234 Thu Dec  3 10:00:00 sender@example.org\n"
			 "                                                rcpt@example.net\n"
			 "\n"
			 "-- 1 Kbytes in 1 Request.\n";
	assert_int_equal(mailq_parse_text(lq, strlen(lq), NOW_DEC3, &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 1);
	assert_int_equal(s.active, 1);
	assert_int_equal(s.oldest, NOW_DEC3 - 4 * HOUR);
	assert_int_equal(s.ndomains, 0);
	mailq_summary_free(&s);
}

/* A reason of megabytes is kept to 1000 bytes: it is copied for every
 * recipient after it (a hostile queue listing took gigabytes). */
static void test_text_long_reason_is_cut(void **state)
{
	struct mailq_summary s;
	char err[256];
	struct buf t;

	(void)state;
	buf_init(&t);
	buf_adds(&t, "-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\n"
		     "wB2A00x1012345     1076 Wed Dec  2 10:00 <alice@example.org>\n                 (Deferred: ");
	for (int i = 0; i < 100000; i++)
		buf_addc(&t, 'x');
	buf_adds(&t, ")\n");
	for (int i = 0; i < 3000; i++)
		buf_addf(&t, "\t\t\t\t\t <r%d@remote.example.com>\n", i);
	assert_int_equal(mailq_parse_text(t.data, t.len, NOW_DEC3, &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 1);
	assert_int_equal(s.deferred, 1);
	assert_int_equal(strlen(s.top_reason), 1000);
	mailq_summary_free(&s);
	buf_free(&t);
}

static void empty_text(const char *text)
{
	struct mailq_summary s;
	char err[256] = "";

	if (mailq_parse_text(text, strlen(text), NOW_DEC3, &s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	assert_int_equal(s.total, 0);
	assert_int_equal(s.oldest, -1);
	assert_null(s.domains);
	assert_null(s.top_reason);
	mailq_summary_free(&s);
}

static void test_empty_queues(void **st)
{
	(void)st;
	empty_text("Mail queue is empty\n");
	empty_text("/var/spool/mqueue is empty\n\t\tTotal requests: 0\n");
	empty_text("MSP Queue status...\n/var/spool/mqueue-client is empty\n\t\tTotal requests: 0\n"
		   "MTA Queue status...\n/var/spool/mqueue is empty\n\t\tTotal requests: 0\n");
	empty_text("Mail queue is empty"); /* no final newline */
}

static void text_fails(const char *text, size_t len, const char *want_in_err)
{
	struct mailq_summary s;
	char err[256] = "";

	assert_int_equal(mailq_parse_text(text, len, NOW_DEC3, &s, err, sizeof(err)), EXIT_DATAERR);
	if (strstr(err, want_in_err) == NULL)
		fail_msg("\"%s\" not in \"%s\"", want_in_err, err);
	assert_int_equal(s.total, 0);
	assert_null(s.domains);
	mailq_summary_free(&s);
}

static void test_text_garbage_is_a_data_error(void **st)
{
	(void)st;
	use_utc();
	text_fails("", 0, "no mailq output");
	text_fails("\n\n", 2, "no mailq output");
	text_fails("hello world\n", 12, "line 1");
	text_fails("postqueue: fatal: Queue report unavailable - mail system is down\n", 65, "line 1");
	/* a good entry, then nonsense at the margin */
	char b[2048];
	snprintf(b, sizeof(b), "%.*snonsense here\n", (int)(strstr(POSTFIX_MAILQ, "\n\n") - POSTFIX_MAILQ + 2),
		 POSTFIX_MAILQ);
	text_fails(b, strlen(b), "line 5");
	/* JSON is not mailq's text */
	const char *nl = strchr(JSON, '\n');
	text_fails(JSON, (size_t)(nl - JSON + 1), "line 1");
	/* an entry with a month that is none */
	const char *badmon = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
			     "4F3A21C0A2B*    1234 Thu Foo  3 10:00:00  sender@example.org\n";
	text_fails(badmon, strlen(badmon), "line 2");
}

static void test_text_hostile_bytes(void **st)
{
	(void)st;
	use_utc();
	struct mailq_summary s;
	/* every prefix, in a buffer of its own size */
	const char *texts[] = { SENDMAIL_MAILQ, POSTFIX_MAILQ };
	for (size_t t = 0; t < 2; t++) {
		size_t n = strlen(texts[t]);
		for (size_t k = 0; k <= n; k++) {
			char *b = xmalloc(k ? k : 1);
			memcpy(b, texts[t], k);
			int rc = mailq_parse_text(b, k, NOW_DEC3, &s, NULL, 0);
			assert_true(rc == 0 || rc == EXIT_DATAERR);
			mailq_summary_free(&s);
			free(b);
		}
	}
	const char nul[] = "Mail queue\0 is empty\n";
	assert_int_equal(mailq_parse_text(nul, sizeof(nul) - 1, NOW_DEC3, &s, NULL, 0), EXIT_DATAERR);
	mailq_summary_free(&s);
	/* a 1 MB recipient line */
	size_t big = 1 << 20;
	char *b = xmalloc(big);
	const char *head = "7A1B31C0A3C     5678 Wed Dec  2 09:00:00  MAILER-DAEMON\n(x)\n ";
	memset(b, 'a', big);
	memcpy(b, head, strlen(head));
	b[big - 5] = '@';
	assert_int_equal(mailq_parse_text(b, big, NOW_DEC3, &s, NULL, 0), 0);
	assert_int_equal(s.deferred, 1);
	assert_int_equal(s.ndomains, 1);
	assert_int_equal(strlen(s.domains[0].domain), 4);
	mailq_summary_free(&s);
	free(b);
}

static void test_many_domains(void **st)
{
	(void)st;
	struct buf j;
	buf_init(&j);
	/* 3000 domains, domain k holding k % 7 + 1 recipients */
	for (int k = 0; k < 3000; k++) {
		buf_addf(&j, "{\"queue_name\": \"deferred\", \"queue_id\": \"Q%d\", \"arrival_time\": %d, \"recipients\": [",
			 k, 1796000000 + k);
		for (int r = 0; r <= k % 7; r++)
			buf_addf(&j, "%s{\"address\": \"u%d@D%04d.example\", \"delay_reason\": \"r%d\"}", r ? ", " : "", r,
				 k, k % 3);
		buf_adds(&j, "]}\n");
	}
	struct mailq_summary s;
	char err[256];
	assert_int_equal(mailq_parse_json(j.data, j.len, &s, err, sizeof(err)), 0);
	assert_int_equal(s.total, 3000);
	assert_int_equal(s.oldest, 1796000000);
	assert_int_equal(s.ndomains, 3000);
	/* 7 recipients: k = 6, 13, ...; the first by name is d0006 */
	domain_is(&s, 0, "d0006.example", 7);
	domain_is(&s, 1, "d0013.example", 7);
	for (size_t i = 1; i < s.ndomains; i++)
		assert_true(s.domains[i - 1].n > s.domains[i].n ||
			    (s.domains[i - 1].n == s.domains[i].n &&
			     strcmp(s.domains[i - 1].domain, s.domains[i].domain) < 0));
	mailq_summary_free(&s);
	buf_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_counts_queues_domains_and_reasons),
		cmocka_unit_test(test_json_empty_queue_prints_nothing),
		cmocka_unit_test(test_json_garbage_is_a_data_error),
		cmocka_unit_test(test_json_odd_recipients_are_skipped),
		cmocka_unit_test(test_sendmail_mailq),
		cmocka_unit_test(test_postfix_mailq),
		cmocka_unit_test(test_empty_queues),
		cmocka_unit_test(test_text_garbage_is_a_data_error),
		cmocka_unit_test(test_text_hostile_bytes),
		cmocka_unit_test(test_many_domains),
		cmocka_unit_test(test_text_long_reason_is_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

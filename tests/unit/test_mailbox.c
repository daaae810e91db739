/*
 * tests/unit/test_mailbox.c: pins backend/mailbox.c on mailboxes built
 * here: mbox splitting (From_ lines after a blank line, mboxrd and mboxo
 * quoting undone, a Content-Length that keeps an unquoted "From " in a
 * body, a message cut short, From lines at every offset of the 16-byte
 * search), CRLF and bare-CR line ends, Maildir order
 * (cur/ then new/, never tmp/), MH numeric order, single files, reopening
 * a message by its offset, and header unfolding.
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
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../backend/backend.h"

struct got {
	size_t n;
	char *data[16];
	size_t len[16];
	int64_t offset[16];
	bool truncated[16];
	bool error[16];
	char *source[16];
};

static int collect(void *arg, const struct mbox_msg *m)
{
	struct got *g = arg;

	if (g->n < 16) {
		g->data[g->n] = m->data != NULL ? xstrndup(m->data, m->len) : NULL;
		g->len[g->n] = m->len;
		g->offset[g->n] = m->offset;
		g->truncated[g->n] = m->truncated;
		g->error[g->n] = m->error != NULL;
		g->source[g->n] = xstrdup(m->source);
	}
	assert_int_equal(m->n, g->n + 1);
	g->n++;
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n && i < 16; i++) {
		free(g->data[i]);
		free(g->source[i]);
	}
}

static char dir[64];

static char *write_file(const char *name, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(text, 1, len, f);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mailops-mbox.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static void read_all(const char *path, struct got *g)
{
	char err[256];
	const char *src[1] = { path };

	memset(g, 0, sizeof(*g));
	assert_int_equal(mailbox_read(src, 1, NULL, collect, g, err, sizeof(err)), 0);
}

static void test_mbox_split_and_unquote(void **state)
{
	static const char mbox[] = "From a@b Thu Jan  1 00:00:00 2026\n"
				   "Subject: one\n\nbody one\n>From here, quoted (mboxo)\n>>From deeper (mboxrd)\n\n"
				   "From c@d Thu Jan  1 00:00:01 2026\n"
				   "Subject: two\n\nline\nFrom inside without a blank line before: not a split\n\n"
				   "From e@f Thu Jan  1 00:00:02 2026\n"
				   "Subject: three\n\nlast\n";
	struct got g;

	(void)state;
	char *path = write_file("a.mbox", mbox, sizeof(mbox) - 1);
	read_all(path, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.data[0], "Subject: one\n\nbody one\nFrom here, quoted (mboxo)\n>From deeper (mboxrd)\n");
	assert_string_equal(g.data[1], "Subject: two\n\nline\nFrom inside without a blank line before: not a split\n");
	assert_string_equal(g.data[2], "Subject: three\n\nlast\n");
	assert_int_equal(g.offset[0], 0);
	assert_false(g.truncated[2]);
	/* reopened by offset, the same bytes */
	struct buf b;
	char err[256];
	buf_init(&b);
	assert_int_equal(mailbox_get(path, g.offset[1], &b, err, sizeof(err)), 0);
	assert_string_equal(b.data, g.data[1]);
	assert_int_equal(mailbox_get(path, 5, &b, err, sizeof(err)), EXIT_DATAERR);
	buf_free(&b);
	got_free(&g);
	free(path);
}

static void test_mbox_from_lines_at_every_offset(void **state)
{
	/* The search for From lines looks at 16 bytes at a time: quoted and
	 * unquoted From lines, and "x>From " in mid-line, at every offset
	 * of a block and at the very end of the file. */
	struct buf mbox, want;
	struct got g;

	(void)state;
	buf_init(&mbox);
	buf_init(&want);
	for (int k = 0; k < 40; k++) {
		buf_reset(&mbox);
		buf_addf(&mbox, "From a@b Thu Jan  1 00:00:00 2026\nSubject: one\n\n%.*s\n>From q\nx>From m\n\n", k,
			 "0123456789012345678901234567890123456789");
		buf_addf(&mbox, "From c@d Thu Jan  1 00:00:01 2026\nSubject: two\n\n%.*sx>From m\n\n", k,
			 "0123456789012345678901234567890123456789");
		buf_addf(&mbox, "From e@f Thu Jan  1 00:00:02 2026\nSubject: three\n\n%.*s\n>From", k,
			 "0123456789012345678901234567890123456789");
		char *path = write_file("k.mbox", mbox.data, mbox.len);
		read_all(path, &g);
		assert_int_equal(g.n, 3);
		buf_reset(&want);
		buf_addf(&want, "Subject: one\n\n%.*s\nFrom q\nx>From m\n", k, "0123456789012345678901234567890123456789");
		assert_string_equal(g.data[0], want.data);
		buf_reset(&want);
		buf_addf(&want, "Subject: two\n\n%.*sx>From m\n", k, "0123456789012345678901234567890123456789");
		assert_string_equal(g.data[1], want.data);
		buf_reset(&want);
		buf_addf(&want, "Subject: three\n\n%.*s\n>From", k, "0123456789012345678901234567890123456789");
		assert_string_equal(g.data[2], want.data);
		got_free(&g);
		free(path);
	}
	buf_free(&mbox);
	buf_free(&want);
}

static void test_mbox_content_length_keeps_unquoted_from(void **state)
{
	static const char mbox[] = "From a@b Thu Jan  1 00:00:00 2026\n"
				   "Content-Length: 26\n\nline\n\nFrom the body itself\n\n"
				   "From c@d Thu Jan  1 00:00:01 2026\nSubject: next\n\nx\n";
	struct got g;

	(void)state;
	char *path = write_file("cl.mbox", mbox, sizeof(mbox) - 1);
	read_all(path, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.data[0], "Content-Length: 26\n\nline\n\nFrom the body itself\n");
	got_free(&g);
	free(path);
}

static void test_mbox_truncated_and_crlf(void **state)
{
	static const char mbox[] = "From a@b Thu Jan  1 00:00:00 2026\r\nSubject: crlf\r\n\r\nbody\r\n\r\n"
				   "From c@d Thu Jan  1 00:00:01 2026\r\nSubject: cut in the hea";
	struct got g;

	(void)state;
	char *path = write_file("t.mbox", mbox, sizeof(mbox) - 1);
	read_all(path, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.data[0], "Subject: crlf\r\n\r\nbody\r\n");
	assert_false(g.truncated[0]);
	assert_true(g.truncated[1]);
	got_free(&g);
	free(path);
}

static void test_single_file_bare_cr(void **state)
{
	static const char eml[] = "Subject: old mac\rFrom: x@y\r\rbody\r";
	struct got g;
	struct buf h;

	(void)state;
	char *path = write_file("m.eml", eml, sizeof(eml) - 1);
	read_all(path, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.data[0], "Subject: old mac\nFrom: x@y\n\nbody\n");
	buf_init(&h);
	assert_true(mail_header(g.data[0], g.len[0], "from", &h));
	assert_string_equal(h.data, "x@y");
	buf_free(&h);
	got_free(&g);
	free(path);
}

static void test_maildir_order_and_mh(void **state)
{
	struct got g;
	char *p;

	(void)state;
	char *md = xasprintf("%s/Maildir", dir);
	for (const char *sub = "cur\0new\0tmp\0"; *sub; sub += strlen(sub) + 1) {
		p = xasprintf("%s/%s", md, sub);
		mkdir(md, 0755);
		mkdir(p, 0755);
		free(p);
	}
	free(write_file("Maildir/new/2", "Subject: new\n\nn\n", 16));
	free(write_file("Maildir/cur/1:2,S", "Subject: cur\n\nc\n", 16));
	free(write_file("Maildir/tmp/9", "Subject: tmp\n\nt\n", 16));
	read_all(md, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.data[0], "Subject: cur\n\nc\n");
	assert_string_equal(g.data[1], "Subject: new\n\nn\n");
	got_free(&g);
	free(md);

	char *mh = xasprintf("%s/mh", dir);
	mkdir(mh, 0755);
	free(write_file("mh/10", "Subject: ten\n\n", 14));
	free(write_file("mh/9", "Subject: nine\n\n", 15));
	free(write_file("mh/.mh_sequences", "cur: 9\n", 7));
	read_all(mh, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.data[0], "Subject: nine\n\n");
	assert_string_equal(g.data[1], "Subject: ten\n\n");
	got_free(&g);
	free(mh);
}

static void test_header_unfolding(void **state)
{
	static const char msg[] = "X-A: 1\r\nSubject: =?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=\r\n\tc\r\nTo: z\r\n\r\nSubject: not me\r\n";
	struct buf h;

	(void)state;
	buf_init(&h);
	assert_true(mail_header(msg, sizeof(msg) - 1, "subject", &h));
	assert_string_equal(h.data, "=?UTF-8?Q?a?= =?UTF-8?Q?b?=\tc");
	assert_false(mail_header(msg, sizeof(msg) - 1, "Cc", &h));
	assert_int_equal(mail_body_offset(msg, sizeof(msg) - 1), strstr(msg, "\r\n\r\n") - msg + 4);
	buf_free(&h);
}

static void test_missing_source(void **state)
{
	char err[256];
	struct got g = { 0 };
	const char *src[1] = { "/nonexistent/mbox" };

	(void)state;
	assert_int_equal(mailbox_read(src, 1, NULL, collect, &g, err, sizeof(err)), EXIT_NOINPUT);
	assert_non_null(strstr(err, "/nonexistent/mbox"));
}

/* A callback that cuts the mailbox short while it is being read (another
 * program rewriting it): the pages past the new end are gone. */
static const char *cut_path;

static int collect_then_cut(void *arg, const struct mbox_msg *m)
{
	struct got *g = arg;

	collect(arg, m);
	if (g->n == 1)
		assert_int_equal(truncate(cut_path, 100), 0);
	return 0;
}

static void test_mbox_shrinking_under_the_reader(void **state)
{
	struct buf b;
	struct got g = { 0 };
	char err[256];

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 4; i++) {
		buf_addf(&b, "From a@b Mon Jan  1 00:00:00 2024\nSubject: m%d\n\n", i);
		for (int k = 0; k < 400; k++)
			buf_adds(&b, "a body line long enough to fill a few pages of the mapping\n");
		buf_adds(&b, "\n");
	}
	char *path = write_file("shrinks.mbox", b.data, b.len);
	const char *src[1] = { path };
	cut_path = path;
	struct sigaction before, now;
	sigaction(SIGBUS, NULL, &before);
	/* no SIGBUS: the first message read, then an error naming the file */
	assert_int_equal(mailbox_read(src, 1, NULL, collect_then_cut, &g, err, sizeof(err)), EXIT_DATAERR);
	assert_true(g.n >= 1 && g.n < 4);
	assert_non_null(strstr(g.data[0], "Subject: m0"));
	assert_non_null(strstr(err, "shrank while it was read"));
	assert_non_null(strstr(err, "shrinks.mbox"));
	/* and a SIGBUS elsewhere is not swallowed: the handler before is back */
	sigaction(SIGBUS, NULL, &now);
	assert_true(now.sa_handler == before.sa_handler);
	got_free(&g);
	buf_free(&b);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbox_split_and_unquote),
		cmocka_unit_test(test_mbox_from_lines_at_every_offset),
		cmocka_unit_test(test_mbox_content_length_keeps_unquoted_from),
		cmocka_unit_test(test_mbox_truncated_and_crlf),
		cmocka_unit_test(test_single_file_bare_cr),
		cmocka_unit_test(test_maildir_order_and_mh),
		cmocka_unit_test(test_header_unfolding),
		cmocka_unit_test(test_missing_source),
		cmocka_unit_test(test_mbox_shrinking_under_the_reader),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

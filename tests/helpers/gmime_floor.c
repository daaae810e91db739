/*
 * tests/helpers/gmime_floor.c: the floor for listing ARF reports with
 * GMime: the time GMime alone takes to build and free the message tree of
 * every report in a mailbox, on one core, with nothing else done. The
 * mailbox is read and each message parsed as mailops does (not timed) to
 * know which are reports; then GMime parses each of those again, timed.
 * The benchmark sets this beside mailops' listing and the grep.
 *
 *   gmime_floor MAILBOX
 * prints: reports N gmime_ms MS
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../backend/backend.h"

struct floor {
	GMimeParser *parser;
	GByteArray *bytes; /* aimed at each message in turn */
	unsigned long reports;
	double ns;
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int each(void *arg, const struct mbox_msg *mm)
{
	struct floor *f = arg;
	struct fb_message fm;

	if (mm->error != NULL || mm->data == NULL)
		return 0;
	feedback_parse_opts(mm->data, mm->len, NULL, 0, &fm);
	bool report = fm.n > 0;
	feedback_free(&fm);
	if (!report)
		return 0;
	f->reports++;
	double t0 = now_ns();
	/* the message read in place, as mailops reads it */
	GByteArray *a = f->bytes;
	a->data = (guint8 *)mm->data;
	a->len = (guint)mm->len;
	GMimeStream *s = g_mime_stream_mem_new_with_byte_array(a);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
	g_mime_parser_init_with_stream(f->parser, s);
	g_object_unref(s);
	GMimeMessage *m = g_mime_parser_construct_message(f->parser, NULL);
	if (m != NULL)
		g_object_unref(m);
	f->ns += now_ns() - t0;
	a->data = NULL; /* the array forgets the mailbox's bytes */
	a->len = 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct floor f = { 0 };
	struct mbox_opts o = { 0 };
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: gmime_floor MAILBOX\n");
		return 64;
	}
	mime_init();
	f.parser = g_mime_parser_new();
	f.bytes = g_byte_array_new();
	const char *src[] = { argv[1] };
	int rc = mailbox_read(src, 1, &o, each, &f, err, sizeof(err));
	g_object_unref(f.parser); /* and the last stream, which uses the array */
	g_byte_array_unref(f.bytes);
	if (rc != 0) {
		fprintf(stderr, "gmime_floor: %s\n", err);
		return rc;
	}
	printf("reports %lu gmime_ms %.0f\n", f.reports, f.ns / 1e6);
	return 0;
}

/*
 * tests/fuzz/fuzz_feedback.c: libFuzzer harness for the ARF reader: the
 * bytes as a mailbox (split by backend/mailbox.c, each message parsed by
 * backend/feedback.c), as one message, and as a date and a Source-IP. Any
 * bytes: no crash, no leak, and results that hold together (a report's
 * counts match its arrays, a clean Source-IP is never longer than what it
 * came from, a parsed date is a date, the light parse (no FB_WANT_BODY)
 * finds the same reports as the full one and keeps no bodies).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../backend/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct fb_message *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct fb_report *r = &m->reports[i];
		if (r->feedback_type == NULL || r->variant == NULL)
			abort();
		if ((r->nrcpts > 0) != (r->rcpts != NULL) || (r->ndomains > 0) != (r->domains != NULL))
			abort();
		for (size_t k = 0; k < r->nfields; k++)
			if (r->fields[k].name == NULL || r->fields[k].value == NULL || r->fields[k].name[0] == '\0')
				abort();
		if (r->original != NULL && r->orig_header_len > r->original_len)
			abort();
	}
}

static bool same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static void check_light(const struct fb_message *full, const struct fb_message *light)
{
	if (full->n != light->n || !same(full->error, light->error))
		abort();
	for (size_t i = 0; i < full->n; i++) {
		const struct fb_report *f = &full->reports[i], *l = &light->reports[i];
		if (l->original != NULL || l->human != NULL || l->nfields != f->nfields || l->nproblems != f->nproblems)
			abort();
		if (!same(f->feedback_type, l->feedback_type) || !same(f->source_ip, l->source_ip) ||
		    !same(f->orig_subject_line, l->orig_subject_line) || !same(f->orig_from, l->orig_from) ||
		    !same(f->orig_message_id, l->orig_message_id) || !same(f->orig_received_ip, l->orig_received_ip))
			abort();
	}
}

static int each(void *arg, const struct mbox_msg *mm)
{
	struct fb_message m;

	(void)arg;
	if (mm->data == NULL)
		return 0;
	feedback_parse(mm->data, mm->len, NULL, &m);
	check(&m);
	feedback_free(&m);
	return 0;
}

static char path[64];

static void cleanup(void)
{
	if (path[0] != '\0')
		unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct fb_message m;

	if (size > 1 << 20)
		return 0;
	if (path[0] == '\0') {
		strcpy(path, "/tmp/mailops-fuzz-feedback.XXXXXX");
		int fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(cleanup);
	}
	/* as a mailbox */
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	const char *src[1] = { path };
	mailbox_read(src, 1, NULL, each, NULL, err, sizeof(err));
	/* as one message, full and light */
	struct fb_message l;
	feedback_parse((const char *)data, size, NULL, &m);
	check(&m);
	feedback_parse_opts((const char *)data, size, NULL, 0, &l);
	check(&l);
	check_light(&m, &l);
	feedback_free(&l);
	feedback_free(&m);
	/* as a field value */
	char *s = xstrndup((const char *)data, size > 256 ? 256 : size);
	char ip[300];
	fb_clean_ip(s, ip, sizeof(ip));
	if (strlen(ip) > strlen(s))
		abort();
	int64_t t = fb_parse_date(s);
	if (t < -1)
		abort();
	fb_address_redacted(s);
	free(s);
	return 0;
}

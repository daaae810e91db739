/*
 * tests/fuzz/fuzz_feedback.c: libFuzzer harness for the ARF reader: the
 * bytes as a mailbox (split by backend/mailbox.c, each message parsed by
 * backend/feedback.c), as one message, and as a date and a Source-IP. Any
 * bytes: no crash, no leak, and results that hold together (a report's
 * counts match its arrays, a clean Source-IP is never longer than what it
 * came from, a parsed date is a date).
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
	/* as one message */
	feedback_parse((const char *)data, size, NULL, &m);
	check(&m);
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

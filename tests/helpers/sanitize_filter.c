/*
 * tests/helpers/sanitize_filter.c: stdin to stdout through sanitize_buf
 * (SAN_TEXT, line by line), the way every text output of mailops goes. Used
 * by the benchmark against `cat -v`, the tool a postmaster would reach for.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../backend/backend.h"

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct buf out;

	buf_init(&out);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		size_t len = (size_t)n;

		if (line[len - 1] == '\n')
			len--;
		sanitize_buf(&out, line, len, SAN_TEXT);
		buf_addc(&out, '\n');
		if (out.len > 1 << 16) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(out.data != NULL ? out.data : "", 1, out.len, stdout);
	buf_free(&out);
	free(line);
	return 0;
}

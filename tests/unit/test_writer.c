/* Unit tests of the batch writers: columns, escaping, JSON typing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/ui.h"

static const struct column cols[] = {
	{ "name", "Name", COL_TEXT, 0, 0 },
	{ "count", "Count", COL_INT, 0, 0 },
	{ "seen", "Seen", COL_TIME, 0, 0 },
	{ "ok", "OK", COL_BOOL, 0, 0 },
};

/* Writes rows of (name, count) through format; returns the malloc'd output. */
static char *write_rows(enum out_format fmt, const char *const *names, const size_t *lens, int n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct ctx ctx = { .format = fmt, .out = f };

	buf_init(&ctx.pending);
	writer_begin(&ctx, cols, 4);
	for (int i = 0; i < n; i++) {
		struct cell cells[4] = {
			cell_bytes(names[i], lens != NULL ? lens[i] : strlen(names[i])),
			cell_num(i * 1000),
			cell_num(1764000000),
			cell_num(i % 2),
		};
		if (i == 2)
			cells[1].null = true;
		writer_row(&ctx, cells);
	}
	writer_end(&ctx);
	buf_free(&ctx.pending);
	fclose(f);
	return text;
}

static void test_writer_text_aligns_columns(void **state)
{
	const char *names[] = { "a", "longer name", "x" };
	char *out = write_rows(FORMAT_TEXT, names, NULL, 3);

	(void)state;
	assert_string_equal(out, "NAME         COUNT  SEEN                  OK\n"
				 "a                0  2025-11-24T16:00:00Z  no\n"
				 "longer name   1000  2025-11-24T16:00:00Z  yes\n"
				 "x                -  2025-11-24T16:00:00Z  no\n");
	free(out);
}

static void test_writer_text_width_counts_wide_chars(void **state)
{
	const char *names[] = { "\xe6\xbc\xa2\xe5\xad\x97", "abcd" }; /* two CJK chars: 4 columns */
	char *out = write_rows(FORMAT_TEXT, names, NULL, 2);

	(void)state;
	assert_non_null(strstr(out, "\xe6\xbc\xa2\xe5\xad\x97      0"));
	assert_non_null(strstr(out, "abcd   1000"));
	free(out);
}

static void test_writer_tsv_escapes_tab_and_newline(void **state)
{
	const char *names[] = { "a\tb\nc\rd\x1b[2J" };
	char *out = write_rows(FORMAT_TSV, names, NULL, 1);

	(void)state;
	assert_string_equal(out, "name\tcount\tseen\tok\na\\tb\\nc\\rd\\x1b[2J\t0\t2025-11-24T16:00:00Z\tfalse\n");
	free(out);
}

static void test_writer_csv_quotes_per_rfc4180(void **state)
{
	const char *names[] = { "say \"hi\", then go", " padded" };
	char *out = write_rows(FORMAT_CSV, names, NULL, 2);

	(void)state;
	assert_string_equal(out, "name,count,seen,ok\r\n"
				 "\"say \"\"hi\"\", then go\",0,2025-11-24T16:00:00Z,false\r\n"
				 "\" padded\",1000,2025-11-24T16:00:00Z,true\r\n");
	free(out);
}

static void test_writer_json_types_and_escapes(void **state)
{
	const char *names[] = { "e\xcc\x81", "\x1b]52;c;eA==\x07", "bad\xff" };
	size_t lens[] = { 3, 12, 4 };
	char *out = write_rows(FORMAT_JSON, names, lens, 3);
	json_error_t jerr;

	(void)state;
	/* Nothing raw: ESC, BEL and non-ASCII are all \u escapes. */
	for (const char *p = out; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	assert_null(memchr(out, 0x1b, strlen(out)));
	char *line2 = strchr(out, '\n') + 1;
	json_t *o = json_loadb(line2, (size_t)(strchr(line2, '\n') - line2), 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "\x1b]52;c;eA==\x07");
	assert_int_equal(json_integer_value(json_object_get(o, "count")), 1000);
	assert_string_equal(json_string_value(json_object_get(o, "seen")), "2025-11-24T16:00:00Z");
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	char *line3 = strchr(line2, '\n') + 1;
	o = json_loads(line3, JSON_DISABLE_EOF_CHECK, &jerr);
	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "count")));
	assert_string_equal(json_string_value(json_object_get(o, "name")), "bad\\xff");
	json_decref(o);
	free(out);
}

static void test_writer_text_streams_after_hold(void **state)
{
	enum { N = 2500 };
	const char **names = calloc(N, sizeof(char *));
	char *out;
	size_t lines = 0;

	(void)state;
	for (int i = 0; i < N; i++)
		names[i] = i == N - 1 ? "a name longer than any before it" : "n";
	out = write_rows(FORMAT_TEXT, names, NULL, N);
	for (const char *p = out; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, N + 1);
	/* The late long cell is written whole, past the width fixed earlier. */
	assert_non_null(strstr(out, "a name longer than any before it"));
	free(out);
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_text_aligns_columns),
		cmocka_unit_test(test_writer_text_width_counts_wide_chars),
		cmocka_unit_test(test_writer_tsv_escapes_tab_and_newline),
		cmocka_unit_test(test_writer_csv_quotes_per_rfc4180),
		cmocka_unit_test(test_writer_json_types_and_escapes),
		cmocka_unit_test(test_writer_text_streams_after_hold),
	};
	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

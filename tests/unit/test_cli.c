/* Unit tests of the one command-line parser (argv and the ':' prompt). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../ui/ui.h"

static char **words; /* of the last parse; freed by the next one */

static int parse(struct cli_line *line, const char *text, char *err, size_t errlen)
{
	int argc;

	cli_words_free(words);
	words = cli_split(text, &argc, err, errlen);
	assert_non_null(words);
	return cli_parse(line, argc, words, err, errlen);
}

static void test_cli_global_options_anywhere(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "cache list -o json --prefix r: -c /x.conf", err, sizeof(err)), 0);
	assert_string_equal(line.plugin->name, "cache");
	assert_string_equal(line.cmd->name, "list");
	assert_int_equal(line.format, FORMAT_JSON);
	assert_string_equal(line.config_path, "/x.conf");
	assert_string_equal(line.optval[0], "r:");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "-o tsv cache --output=csv list", err, sizeof(err)), 0);
	assert_int_equal(line.format, FORMAT_CSV);
	cli_line_free(&line);
}

static void test_cli_default_verb_takes_argument(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "callahead user@example.org other@example.org", err, sizeof(err)), 0);
	assert_string_equal(line.cmd->name, "check");
	assert_int_equal(line.argc, 2);
	assert_string_equal(line.argv[0], "user@example.org");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "callahead -j 4 a@b.c", err, sizeof(err)), 0);
	assert_string_equal(line.cmd->name, "check");
	assert_string_equal(line.optval[5], "4");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "callahead -j8 a@b.c", err, sizeof(err)), 0);
	assert_string_equal(line.optval[5], "8");
	cli_line_free(&line);
}

static void test_cli_unknown_command_names_nearest(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "chache stats", err, sizeof(err)), EXIT_USAGE);
	assert_string_equal(err, "unknown command 'chache'; did you mean 'cache'?");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "zzzzzzzzzz", err, sizeof(err)), EXIT_USAGE);
	assert_non_null(strstr(err, "did you mean '"));
	cli_line_free(&line);
}

static void test_cli_unknown_option_names_nearest(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "cache flush --dryrun --all", err, sizeof(err)), EXIT_USAGE);
	assert_string_equal(err, "unknown option for 'cache flush' '--dryrun'; did you mean '--dry-run'?");
	cli_line_free(&line);
}

static void test_cli_flag_with_value_rejected(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "cache flush --all=yes", err, sizeof(err)), EXIT_USAGE);
	assert_string_equal(err, "option '--all' takes no value");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "cache list --prefix", err, sizeof(err)), EXIT_USAGE);
	assert_string_equal(err, "option '--prefix' needs a value (P)");
	cli_line_free(&line);
}

static void test_cli_double_dash_ends_options(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "aliases show -- -weird", err, sizeof(err)), 0);
	assert_int_equal(line.argc, 1);
	assert_string_equal(line.argv[0], "-weird");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "benford -", err, sizeof(err)), 0);
	assert_string_equal(line.argv[0], "-");
	cli_line_free(&line);
}

static void test_cli_help_forms(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "help", err, sizeof(err)), 0);
	assert_true(line.help);
	assert_null(line.plugin);
	cli_line_free(&line);
	assert_int_equal(parse(&line, "help aliases", err, sizeof(err)), 0);
	assert_string_equal(line.plugin->name, "aliases");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "aliases expand --help", err, sizeof(err)), 0);
	assert_true(line.help);
	assert_string_equal(line.cmd->name, "expand");
	cli_line_free(&line);
}

static void test_cli_argument_count_checked(void **state)
{
	struct cli_line line;
	char err[256];

	(void)state;
	assert_int_equal(parse(&line, "aliases build", err, sizeof(err)), EXIT_USAGE);
	assert_string_equal(err, "usage: mailops aliases build TEXT [DB]");
	cli_line_free(&line);
	assert_int_equal(parse(&line, "aliases build a b c", err, sizeof(err)), EXIT_USAGE);
	cli_line_free(&line);
}

static void test_cli_split_quotes(void **state)
{
	char err[64];
	int argc;
	char **w;

	(void)state;
	w = cli_split("  aliases show 'a b'  \"c \\\"d\\\"\" e\\ f ''", &argc, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(argc, 6);
	assert_string_equal(w[2], "a b");
	assert_string_equal(w[3], "c \"d\"");
	assert_string_equal(w[4], "e f");
	assert_string_equal(w[5], "");
	assert_null(w[6]);
	cli_words_free(w);
	assert_null(cli_split("show 'open", &argc, err, sizeof(err)));
	assert_string_equal(err, "unclosed quote");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_global_options_anywhere),
		cmocka_unit_test(test_cli_default_verb_takes_argument),
		cmocka_unit_test(test_cli_unknown_command_names_nearest),
		cmocka_unit_test(test_cli_unknown_option_names_nearest),
		cmocka_unit_test(test_cli_flag_with_value_rejected),
		cmocka_unit_test(test_cli_double_dash_ends_options),
		cmocka_unit_test(test_cli_help_forms),
		cmocka_unit_test(test_cli_argument_count_checked),
		cmocka_unit_test(test_cli_split_quotes),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	cli_words_free(words);
	return rc;
}

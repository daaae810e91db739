/* Unit tests of the key table: what keys_lookup() dispatches is what the
 * '?' help names, and the keys that used to act unlisted act from it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "../../ui/ui.h"

#define CTRL(c) ((c)&0x1f)

/* True when names ("j, k, Down" or "1 .. 9") lists the key called name. */
static bool names_list(const char *names, const char *name)
{
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", names);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char lo, hi;
		if (sscanf(tok, "%c .. %c", &lo, &hi) == 2 && strlen(name) == 1 && name[0] >= lo && name[0] <= hi)
			return true;
		if (strcmp(tok, name) == 0)
			return true;
	}
	return false;
}

static void test_every_dispatched_key_is_named_in_its_help_line(void **state)
{
	int checked = 0;

	(void)state;
	for (const struct key_binding *k = key_table; k->names != NULL; k++) {
		assert_non_null(k->help);
		if (strlen(k->names) > KEY_NAMES_MAX)
			fail_msg("'%s' is cut in the help's Keys column (%d wide)", k->names, KEY_NAMES_MAX);
		for (int i = 0; i < KEY_CODES_MAX && k->codes[i].action != ACT_NONE; i++) {
			char name[32];

			keys_name(k->codes[i].key, k->codes[i].fkey, name, sizeof(name));
			if (!names_list(k->names, name))
				fail_msg("%s: '%s' dispatches %s but its help line names only '%s'",
					 keys_scope_name(k->scope), name, name, k->names);
			checked++;
		}
	}
	assert_true(checked > 50);
}

static void test_no_key_has_two_actions_in_one_scope(void **state)
{
	(void)state;
	for (const struct key_binding *a = key_table; a->names != NULL; a++)
		for (int i = 0; i < KEY_CODES_MAX && a->codes[i].action != ACT_NONE; i++)
			for (const struct key_binding *b = key_table; b->names != NULL; b++)
				for (int j = 0; j < KEY_CODES_MAX && b->codes[j].action != ACT_NONE; j++) {
					const struct key_code *x = &a->codes[i], *y = &b->codes[j];
					if (x != y && a->scope == b->scope && x->key == y->key && x->fkey == y->fkey)
						fail_msg("key %d bound twice in %s ('%s', '%s')", x->key,
							 keys_scope_name(a->scope), a->names, b->names);
				}
}

static void test_keys_named_in_help_now_act(void **state)
{
	(void)state;
	/* Ctrl-F/Ctrl-B page in lists and the pager. */
	assert_int_equal(keys_lookup(SCOPE_LIST, CTRL('f'), false), ACT_PGDN);
	assert_int_equal(keys_lookup(SCOPE_LIST, CTRL('b'), false), ACT_PGUP);
	assert_int_equal(keys_lookup(SCOPE_PAGER, CTRL('f'), false), ACT_PGDN);
	/* Enter scrolls the pager, as CR (the console runs with nonl()) too. */
	assert_int_equal(keys_lookup(SCOPE_PAGER, '\r', false), ACT_DOWN);
	assert_int_equal(keys_lookup(SCOPE_PAGER, '\n', false), ACT_DOWN);
	assert_int_equal(keys_lookup(SCOPE_PROMPT, CTRL('g'), false), ACT_CANCEL);
	assert_int_equal(keys_lookup(SCOPE_PROMPT, CTRL('u'), false), ACT_ERASE_LINE);
	assert_int_equal(keys_lookup(SCOPE_PROMPT, KEY_BACKSPACE, true), ACT_ERASE_BACK);
}

static void test_scopes_and_fallback(void **state)
{
	(void)state;
	assert_int_equal(keys_lookup(SCOPE_LIST, '5', false), ACT_TAB_N);
	assert_int_equal(keys_lookup(SCOPE_PAGER, 'r', false), ACT_REOPEN);
	assert_int_equal(keys_lookup(SCOPE_LIST, 'g', false), ACT_TOP);
	/* Prompts take digits and letters as text: no global fallback there. */
	assert_int_equal(keys_lookup(SCOPE_PROMPT, '5', false), ACT_NONE);
	assert_int_equal(keys_lookup(SCOPE_PROMPT, 'q', false), ACT_NONE);
	assert_int_equal(keys_lookup(SCOPE_PROMPT, 'y', false), ACT_NONE);
	assert_int_equal(keys_lookup(SCOPE_QUESTION, 'y', false), ACT_YES);
	assert_int_equal(keys_lookup(SCOPE_QUESTION, 'n', false), ACT_NONE);
	assert_int_equal(keys_lookup(SCOPE_QUESTION, 27, false), ACT_NONE);
}

static void test_key_names(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(keys_name(CTRL('f'), false, b, sizeof(b)), "Ctrl-F");
	assert_string_equal(keys_name(' ', false, b, sizeof(b)), "Space");
	assert_string_equal(keys_name(27, false, b, sizeof(b)), "Esc");
	assert_string_equal(keys_name('\r', false, b, sizeof(b)), "Enter");
	assert_string_equal(keys_name(KEY_NPAGE, true, b, sizeof(b)), "PgDn");
	assert_string_equal(keys_name(KEY_BTAB, true, b, sizeof(b)), "Shift-Tab");
	assert_string_equal(keys_name('G', false, b, sizeof(b)), "G");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_dispatched_key_is_named_in_its_help_line),
	    cmocka_unit_test(test_no_key_has_two_actions_in_one_scope),
	    cmocka_unit_test(test_keys_named_in_help_now_act),
	    cmocka_unit_test(test_scopes_and_fallback),
	    cmocka_unit_test(test_key_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

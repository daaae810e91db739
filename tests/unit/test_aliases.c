/*
 * tests/unit/test_aliases.c: pins backend/aliastext.c (sendmail's and
 * Postfix's text rules), the in-memory map (later records win, look-ups
 * fold case), backend/aliasexp.c (expansion as sendmail -bv walks it,
 * reverse look-up) and aliasdb_discover() on its own config files. The
 * behaviour against the real tools is in tests/e2e/batch_aliases*.sh.
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

#include "../../backend/backend.h"

static void parse(struct alias_map *m, const char *text, bool postfix)
{
	aliasmap_init(m);
	aliastext_parse(text, strlen(text), postfix, m);
}

/* The value of key, NUL-terminated (the blob keeps one after each), or NULL. */
static const char *val(struct alias_map *m, const char *key)
{
	const struct alias_ent *e = aliasmap_get(m, key, strlen(key));

	return e != NULL ? aliasmap_val(m, e) : NULL;
}

static void test_aliastext_continuation_keeps_leading_whitespace(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "staff: alice, bob,\n\tcarol,\n  dave\nnext: x\n", false);
	assert_int_equal(m.n, 2);
	assert_string_equal(val(&m, "staff"), "alice, bob,\tcarol,  dave");
	assert_int_equal(aliasmap_get(&m, "staff", 5)->line, 1);
	assert_int_equal(aliasmap_get(&m, "next", 4)->line, 4);
	aliasmap_free(&m);
}

static void test_aliastext_backslash_newline_removed_entirely(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "a: one\\\ntwo\nb: x\n", false);
	assert_string_equal(val(&m, "a"), "onetwo");
	/* Line numbers still count the physical lines. */
	assert_int_equal(aliasmap_get(&m, "b", 1)->line, 3);
	aliasmap_free(&m);
}

static void test_aliastext_comment_swallows_indented_lines(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "a: x\n# comment\n  not: a continuation of a\nb: y\n", false);
	assert_string_equal(val(&m, "a"), "x");
	assert_string_equal(val(&m, "b"), "y");
	assert_int_equal(m.n, 2);
	assert_int_equal(m.nproblems, 0);
	aliasmap_free(&m);
}

static void test_aliastext_keys_lowercased_values_kept(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "UPPER: Bob\n\"John.Doe\": john\n\"quoted local\": alice\n", false);
	assert_string_equal(val(&m, "upper"), "Bob");
	/* Quotes go where the local part does not need them. */
	assert_string_equal(val(&m, "john.doe"), "john");
	assert_string_equal(val(&m, "\"quoted local\""), "alice");
	aliasmap_free(&m);
}

static void test_aliastext_last_duplicate_wins_and_is_reported(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "dup: first\nother: x\ndup: second\n", false);
	assert_int_equal(m.n, 2);
	assert_string_equal(val(&m, "dup"), "second");
	/* Replaced in place: the entry keeps its position (cursor order is the db's business). */
	assert_int_equal(m.ents[0].klen, 3);
	assert_memory_equal(aliasmap_key(&m, &m.ents[0]), "dup", 3);
	assert_memory_equal(aliasmap_val(&m, &m.ents[0]), "second", 6);
	assert_int_equal(m.ents[0].line, 3);
	assert_memory_equal(aliasmap_key(&m, &m.ents[1]), "other", 5);
	assert_int_equal(m.nproblems, 1);
	assert_true(m.problems[0].duplicate);
	assert_int_equal(m.problems[0].line, 3);
	assert_string_equal(m.problems[0].msg, "dup... Warning: duplicate alias name dup");
	aliasmap_free(&m);
}

static void test_aliastext_bad_lines_reported_with_sendmail_wording(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "ok: x\ncolonless alice\nempty:\nuser@host: y\n", false);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.nproblems, 3);
	assert_int_equal(m.problems[0].line, 2);
	assert_string_equal(m.problems[0].msg, "missing colon");
	assert_int_equal(m.problems[1].line, 3);
	assert_string_equal(m.problems[1].msg, "empty:... missing value for alias");
	assert_int_equal(m.problems[2].line, 4);
	assert_string_equal(m.problems[2].msg, "user@host: y... cannot alias non-local names");
	aliasmap_free(&m);
}

static void test_aliastext_leading_space_first_line_rejected(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "  a: x\nb: y\n", false);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.nproblems, 1);
	assert_string_equal(m.problems[0].msg, "Non-continuation line starts with space");
	aliasmap_free(&m);
}

static void test_aliastext_crlf_keeps_cr_as_sendmail_does(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "a: x\r\n", false);
	assert_string_equal(val(&m, "a"), "x\r");
	aliasmap_free(&m);
}

static void test_aliastext_postfix_first_duplicate_wins(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "dup: first\ndup: second\n", true);
	assert_string_equal(val(&m, "dup"), "first");
	assert_int_equal(m.nproblems, 1);
	assert_string_equal(m.problems[0].msg, "duplicate entry: \"dup\"");
	aliasmap_free(&m);
}

/* What postalias -s printed for these lines (Postfix 3.7). */
static void test_aliastext_postfix_values_as_postalias_writes_them(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m,
	      "a1: alice, bob,\n"
	      "a2: alice (Alice Doe), bob\n"
	      "a3: alice , , bob\n"
	      "a5: User Name <u@x.org>\n"
	      "a6: \"a\\\"b\" c\n"
	      "a7: x\\,y\n"
	      "a8: [1.2.3.4] alice@[10.0.0.1]\n"
	      "A10 : alice\n"
	      "\"a 11\" : bob\n"
	      "a\\12: carol\n"
	      "a13: \"|prog \\\"x\\\"\", \"/f\"\n"
	      "a15: alice\tbob\n"
	      "b2: <a@b> c\n"
	      "b9: a <b> <c>\n"
	      "b10: x@[1.2.3.4]y\n"
	      "b13: a@ b\n"
	      "bs: \\alice\n  spaced  :   alice  ,   bob   \n"
	      "staff: alice,  bob,\n\tcarol\n"
	      "inc: :include:/etc/x.inc\n"
	      "err: error:5.1.1:550 User unknown here\n",
	      true);
	assert_string_equal(val(&m, "a1"), "alice, bob, ");
	assert_string_equal(val(&m, "a2"), "alice (Alice Doe), bob");
	assert_string_equal(val(&m, "a3"), "alice, , bob");
	assert_string_equal(val(&m, "a5"), "User Name <u@x.org>");
	assert_string_equal(val(&m, "a6"), "\"a\\\"b\" c");
	assert_string_equal(val(&m, "a7"), "\"x,y\"");
	assert_string_equal(val(&m, "a8"), "[1.2.3.4] alice@[10.0.0.1]");
	assert_string_equal(val(&m, "a10"), "alice");
	assert_string_equal(val(&m, "a 11"), "bob");
	assert_string_equal(val(&m, "a12"), "carol");
	assert_string_equal(val(&m, "a13"), "\"|prog \\\"x\\\"\", \"/f\"");
	assert_string_equal(val(&m, "a15"), "alice bob");
	assert_string_equal(val(&m, "b2"), "<a@b>c");
	assert_string_equal(val(&m, "b9"), "a <b> <c>");
	assert_string_equal(val(&m, "b10"), "x@[1.2.3.4] y");
	assert_string_equal(val(&m, "b13"), "a@b");
	assert_string_equal(val(&m, "bs"), "alice spaced:alice, bob");
	assert_string_equal(val(&m, "staff"), "alice, bob, carol");
	assert_string_equal(val(&m, "inc"), ":include:/etc/x.inc");
	assert_string_equal(val(&m, "err"), "error:5.1.1:550 User unknown here");
	assert_int_equal(m.nproblems, 0);
	aliasmap_free(&m);
}

static void test_aliastext_postfix_comments_anywhere_and_pairs_needed(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "a: x,\n  # a comment between continuations\n  y\nnocolon\nempty:\n", true);
	assert_string_equal(val(&m, "a"), "x, y");
	assert_int_equal(m.nproblems, 2);
	assert_int_equal(m.problems[0].line, 4);
	assert_string_equal(m.problems[0].msg, "need name:value pair");
	assert_int_equal(m.problems[1].line, 5);
	aliasmap_free(&m);
}

static void test_aliastext_sendmail_line_limits(void **state)
{
	struct alias_map m;
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "x: ");
	for (int i = 0; i < 8187; i++)
		buf_addc(&b, 'a'); /* 8190 bytes: the most sendmail reads */
	buf_adds(&b, "\ny: ");
	for (int i = 0; i < 8188; i++)
		buf_addc(&b, 'a');
	buf_adds(&b, "\nok: root\n\n  after: a blank line\nlast: root\n");
	parse(&m, b.data, false);
	assert_non_null(val(&m, "x"));
	assert_null(val(&m, "y"));
	assert_string_equal(val(&m, "ok"), "root");
	assert_string_equal(val(&m, "last"), "root");
	assert_int_equal(m.nproblems, 2);
	assert_int_equal(m.problems[0].line, 2);
	assert_string_equal(m.problems[0].msg, "alias line too long");
	assert_int_equal(m.problems[1].line, 5);
	assert_string_equal(m.problems[1].msg, "Non-continuation line starts with space");
	aliasmap_free(&m);
	buf_free(&b);
}

static void test_aliastext_nul_loses_the_line_and_the_next(void **state)
{
	struct alias_map m;
	const char text[] = "a: x\nnul: a\0b\nlost: y\nkept: z\n";

	(void)state;
	aliasmap_init(&m);
	aliastext_parse(text, sizeof(text) - 1, false, &m);
	assert_string_equal(val(&m, "a"), "x");
	assert_null(val(&m, "nul"));
	assert_null(val(&m, "lost"));
	assert_string_equal(val(&m, "kept"), "z");
	assert_int_equal(m.nproblems, 1);
	assert_int_equal(m.problems[0].line, 2);
	aliasmap_free(&m);
}

/* What postalias 3.7 said and stored. */
static void test_aliastext_postfix_rejects_as_postalias(void **state)
{
	struct alias_map m;

	(void)state;
	parse(&m, "  first: indented\nA@B: c\nok: root\nq: \"x\r\n y\"\n", true);
	assert_int_equal(m.nproblems, 2);
	assert_int_equal(m.problems[0].line, 1);
	assert_string_equal(m.problems[0].msg, "logical line must not start with whitespace: \"  first: indented\"");
	assert_int_equal(m.problems[1].line, 2);
	assert_string_equal(m.problems[1].msg, "name must be local");
	assert_string_equal(val(&m, "q"), "\"x  y\"");
	assert_int_equal(m.n, 2);
	aliasmap_free(&m);
}

static void test_aliasmap_lookup_folds_ascii_case_and_index_grows(void **state)
{
	struct alias_map m;
	char k[32], v[32];

	(void)state;
	aliasmap_init(&m);
	aliasmap_add(&m, "root", 4, "alice", 5, 0);
	assert_non_null(aliasmap_lookup(&m, "ROOT", 4));
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "user%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		aliasmap_add(&m, k, strlen(k), v, strlen(v), 0);
	}
	assert_string_equal(val(&m, "user4999"), "v4999");
	assert_string_equal(val(&m, "root"), "alice");
	assert_null(aliasmap_get(&m, "user5000", 8));
	/* A later record with the same key wins, as a db put does. */
	aliasmap_add(&m, "root", 4, "bob", 3, 0);
	assert_string_equal(val(&m, "root"), "bob");
	assert_true(aliasmap_is_meta("@", 1));
	assert_true(aliasmap_is_meta("YP_LAST_MODIFIED", 16));
	assert_false(aliasmap_is_meta("@x", 2));
	aliasmap_free(&m);
}

static void test_alias_split_respects_quotes_and_brackets(void **state)
{
	char **t;
	size_t n;
	const char *v = " a , \"|prog a, b\",<x,y@z>,, b ";

	(void)state;
	n = alias_split(v, strlen(v), &t);
	assert_int_equal(n, 4);
	assert_string_equal(t[0], "a");
	assert_string_equal(t[1], "\"|prog a, b\"");
	assert_string_equal(t[2], "<x,y@z>");
	assert_string_equal(t[3], "b");
	alias_targets_free(t, n);
}

/* ---- expansion ---- */

static void env_of(struct alias_env *env, struct alias_map *m, const char *text)
{
	parse(m, text, false);
	memset(env, 0, sizeof(*env));
	env->map = m;
	env->local_domains = "example.org, mail.example.org";
}

static const struct alias_node *node(const struct alias_tree *t, const char *addr)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->nodes[i].addr, addr) == 0)
			return &t->nodes[i];
	fail_msg("no node %s", addr);
	return NULL;
}

static void test_alias_expand_detects_loop(void **state)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_tree t = { 0 };

	(void)state;
	env_of(&env, &m, "a: b\nb: c\nc: a\n");
	alias_expand(&env, "a", &t);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.nodes[3].depth, 3);
	assert_int_equal(t.nodes[3].fault, AF_LOOP);
	assert_string_equal(t.nodes[3].note, "aliasing/forwarding loop broken");
	assert_false(alias_tree_deliverable(&t));
	alias_tree_free(&t);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_expand_self_reference_is_the_mailbox(void **state)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_tree t = { 0 };

	(void)state;
	env_of(&env, &m, "root: root, daemon\n");
	alias_expand(&env, "root", &t);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.nodes[1].kind, AK_USER);
	assert_int_equal(t.nodes[1].fault, AF_NONE);
	assert_true(alias_tree_deliverable(&t));
	alias_tree_free(&t);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_expand_depth_limit_is_sendmails(void **state)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_tree t = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b);
	for (int i = 1; i <= 11; i++)
		buf_addf(&b, "d%d: d%d\n", i, i + 1);
	buf_adds(&b, "d12: nobody\n");
	env_of(&env, &m, b.data);
	/* d3 .. d12 are ten aliases: nobody is reached. */
	alias_expand(&env, "d3", &t);
	assert_true(alias_tree_deliverable(&t));
	assert_int_equal(t.nodes[t.n - 1].kind, AK_USER);
	alias_tree_free(&t);
	alias_expand(&env, "d2", &t);
	assert_int_equal(t.nodes[t.n - 1].fault, AF_DEPTH);
	assert_string_equal(t.nodes[t.n - 1].note, "aliasing/forwarding loop broken (11 aliases deep; 10 max)");
	alias_tree_free(&t);
	buf_free(&b);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_expand_classifies_targets(void **state)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_tree t = { 0 };

	(void)state;
	env_of(&env, &m,
	       "all: \"|/bin/true -x\", |/nonexistent/prog, /var/mail/box, someone@example.net, "
	       "root@Example.ORG, error:5.1.1:550 gone, \\daemon, nosuchuserhere, bin, BIN\n"
	       "root: daemon\nowner-all: root\n");
	alias_expand(&env, "all", &t);
	assert_int_equal(node(&t, "all")->kind, AK_ALIAS);
	assert_string_equal(node(&t, "all")->note, "errors to owner-all: root");
	assert_int_equal(node(&t, "|/bin/true -x")->kind, AK_PROGRAM);
	assert_int_equal(node(&t, "|/bin/true -x")->fault, AF_NONE);
	assert_int_equal(node(&t, "|/nonexistent/prog")->fault, AF_PROGRAM);
	assert_int_equal(node(&t, "/var/mail/box")->kind, AK_FILE);
	assert_int_equal(node(&t, "someone@example.net")->kind, AK_REMOTE);
	/* A local domain: the local part is looked up. */
	assert_int_equal(node(&t, "root@Example.ORG")->kind, AK_ALIAS);
	assert_int_equal(node(&t, "error:5.1.1:550 gone")->kind, AK_ERROR);
	/* A backslash stops aliasing: the user itself. */
	assert_int_equal(node(&t, "\\daemon")->kind, AK_USER);
	assert_int_equal(node(&t, "nosuchuserhere")->fault, AF_UNKNOWN);
	assert_true(node(&t, "BIN")->duplicate);
	assert_false(node(&t, "bin")->duplicate);
	assert_false(alias_tree_deliverable(&t));
	alias_tree_free(&t);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_expand_reads_include_files(void **state)
{
	char path[] = "/tmp/mailops-inc.XXXXXX";
	int fd = mkstemp(path);
	struct alias_map m;
	struct alias_env env;
	struct alias_tree t = { 0 };
	char *text;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "# members\ndaemon, bin\nnobody\n", 29), 29);
	close(fd);
	text = xasprintf("list: :include:%s\nbad: :include:%s.missing\n", path, path);
	env_of(&env, &m, text);
	alias_expand(&env, "list", &t);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.nodes[1].kind, AK_INCLUDE);
	assert_int_equal(node(&t, "nobody")->depth, 2);
	assert_true(alias_tree_deliverable(&t));
	alias_tree_free(&t);
	alias_expand(&env, "bad", &t);
	assert_int_equal(t.nodes[1].fault, AF_INCLUDE);
	assert_non_null(strstr(t.nodes[1].note, "Cannot open "));
	alias_tree_free(&t);
	unlink(path);
	free(text);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_expand_consults_extra_maps(void **state)
{
	struct alias_map m, virt;
	struct alias_map *extra[1] = { &virt };
	struct alias_env env;
	struct alias_tree t = { 0 };

	(void)state;
	env_of(&env, &m, "root: sales\n");
	parse(&virt, "sales: daemon, bin\n", false);
	env.extra = extra;
	env.nextra = 1;
	alias_expand(&env, "root", &t);
	assert_int_equal(node(&t, "sales")->kind, AK_ALIAS);
	assert_int_equal(t.n, 4);
	alias_tree_free(&t);
	aliasmap_free(&virt);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_who_finds_transitive_paths(void **state)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_who *w;
	size_t n;

	(void)state;
	env_of(&env, &m, "a: b, x\nb: c\nc: Target@example.org\nd: target\nloop1: loop2\nloop2: loop1, c\n");
	n = alias_who(&env, "target", &w);
	assert_int_equal(n, 6);
	/* Breadth first: the direct ones first. */
	assert_int_equal(w[0].depth, 1);
	bool saw_a = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(w[i].alias, "a") == 0) {
			saw_a = true;
			assert_int_equal(w[i].depth, 3);
			assert_string_equal(w[i].path, "a -> b -> c -> target");
		}
	assert_true(saw_a);
	alias_who_free(w, n);
	n = alias_who(&env, "nobody-at-all", &w);
	assert_int_equal(n, 0);
	alias_who_free(w, n);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_expand_expands_a_list_once(void **state)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_tree t = { 0 };
	struct buf b;

	(void)state;
	/* Each level names the next four times: 4^8 paths, 9 distinct lists. */
	buf_init(&b);
	for (int i = 0; i < 8; i++)
		buf_addf(&b, "l%d: l%d, l%d, l%d, l%d\n", i, i + 1, i + 1, i + 1, i + 1);
	buf_adds(&b, "l8: root\nroot: daemon\n");
	env_of(&env, &m, b.data);
	alias_expand(&env, "l0", &t);
	assert_true(t.n < 64);
	size_t dups = 0;
	for (size_t i = 0; i < t.n; i++)
		dups += t.nodes[i].duplicate;
	assert_int_equal(dups, 24); /* three repeats at each of eight levels */
	assert_true(alias_tree_deliverable(&t));
	alias_tree_free(&t);
	alias_env_free(&env);
	aliasmap_free(&m);
	buf_free(&b);
}

static void test_alias_who_backslash_is_the_mailbox_not_the_alias(void **state)
{
	struct alias_map m;
	struct alias_env env;
	struct alias_who *w;
	size_t n;

	(void)state;
	env_of(&env, &m, "a: \\b\nb: target\nc: b\n");
	n = alias_who(&env, "target", &w);
	/* c reaches target through the alias b; a delivers to the mailbox b. */
	assert_int_equal(n, 2);
	assert_string_equal(w[0].alias, "b");
	assert_string_equal(w[1].alias, "c");
	alias_who_free(w, n);
	n = alias_who(&env, "b", &w);
	assert_int_equal(n, 2); /* a (the mailbox) and c (the alias) */
	alias_who_free(w, n);
	alias_env_free(&env);
	aliasmap_free(&m);
}

static void test_alias_who_follows_nested_and_bracketed_includes(void **state)
{
	char dir[] = "/tmp/mailops-inc.XXXXXX";
	char path[64], text[256];
	struct alias_map m;
	struct alias_env env;
	struct alias_who *w;
	size_t n;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 1; i <= 5; i++) {
		snprintf(path, sizeof(path), "%s/i%d", dir, i);
		f = fopen(path, "w");
		if (i < 5)
			fprintf(f, ":include:%s/i%d\n", dir, i + 1);
		else
			fprintf(f, "deep\n:include:%s/i1\n", dir); /* and a cycle back */
		fclose(f);
	}
	snprintf(text, sizeof(text), "x: :include:%s/i1\ny: <:include:%s/i3>\n", dir, dir);
	env_of(&env, &m, text);
	n = alias_who(&env, "deep", &w);
	assert_int_equal(n, 2);
	assert_string_equal(w[0].alias, "x");
	assert_string_equal(w[1].alias, "y");
	alias_who_free(w, n);
	alias_env_free(&env);
	aliasmap_free(&m);
	for (int i = 1; i <= 5; i++) {
		snprintf(path, sizeof(path), "%s/i%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- discovery ---- */

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/mailops-cf.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_aliasdb_discover_main_cf_last_definition_and_continuation_lines(void **state)
{
	/* Postfix: the last alias_maps wins; an indented line continues the one before. */
	char *mc = write_tmp("alias_maps = hash:/etc/first\nmyhostname = x\nalias_maps =\n"
			     "    ldap:/etc/postfix/ldap.cf,\n# a comment inside\n\thash:/etc/postfix/last\n"
			     "mydestination = $myhostname\n");
	char *mc2 = write_tmp("alias_maps = hash:/etc/one\nalias_maps_other = hash:/etc/no\n");
	char *p;

	(void)state;
	p = aliasdb_discover("/nonexistent/sendmail.cf", mc);
	assert_string_equal(p, "/etc/postfix/last.db");
	free(p);
	p = aliasdb_discover("/nonexistent/sendmail.cf", mc2);
	assert_string_equal(p, "/etc/one.db");
	free(p);
	unlink(mc);
	unlink(mc2);
	free(mc);
	free(mc2);
}

static void test_aliasdb_discover_reads_sendmail_cf_then_main_cf(void **state)
{
	char *cf = write_tmp("# sendmail.cf\nO AliasWait=10\nO AliasFile=hash:-N /etc/mail/aliases,nis:mail.aliases\n");
	char *cf2 = write_tmp("O AliasFile=nis:mail.aliases, /srv/aliases\n");
	char *mc = write_tmp("myhostname = x\nalias_maps = ldap:/etc/x.cf, hash:/etc/postfix/aliases\n");
	char *p;

	(void)state;
	p = aliasdb_discover(cf, mc);
	assert_string_equal(p, "/etc/mail/aliases.db");
	free(p);
	p = aliasdb_discover(cf2, mc);
	assert_string_equal(p, "/srv/aliases.db");
	free(p);
	p = aliasdb_discover("/nonexistent/sendmail.cf", mc);
	assert_string_equal(p, "/etc/postfix/aliases.db");
	free(p);
	p = aliasdb_discover("/nonexistent/sendmail.cf", "/nonexistent/main.cf");
	assert_string_equal(p, "/etc/aliases.db");
	free(p);
	unlink(cf);
	unlink(cf2);
	unlink(mc);
	free(cf);
	free(cf2);
	free(mc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aliastext_continuation_keeps_leading_whitespace),
		cmocka_unit_test(test_aliastext_backslash_newline_removed_entirely),
		cmocka_unit_test(test_aliastext_comment_swallows_indented_lines),
		cmocka_unit_test(test_aliastext_keys_lowercased_values_kept),
		cmocka_unit_test(test_aliastext_last_duplicate_wins_and_is_reported),
		cmocka_unit_test(test_aliastext_bad_lines_reported_with_sendmail_wording),
		cmocka_unit_test(test_aliastext_leading_space_first_line_rejected),
		cmocka_unit_test(test_aliastext_crlf_keeps_cr_as_sendmail_does),
		cmocka_unit_test(test_aliastext_postfix_first_duplicate_wins),
		cmocka_unit_test(test_aliastext_postfix_values_as_postalias_writes_them),
		cmocka_unit_test(test_aliastext_postfix_comments_anywhere_and_pairs_needed),
		cmocka_unit_test(test_aliastext_sendmail_line_limits),
		cmocka_unit_test(test_aliastext_nul_loses_the_line_and_the_next),
		cmocka_unit_test(test_aliastext_postfix_rejects_as_postalias),
		cmocka_unit_test(test_aliasmap_lookup_folds_ascii_case_and_index_grows),
		cmocka_unit_test(test_alias_split_respects_quotes_and_brackets),
		cmocka_unit_test(test_alias_expand_detects_loop),
		cmocka_unit_test(test_alias_expand_self_reference_is_the_mailbox),
		cmocka_unit_test(test_alias_expand_depth_limit_is_sendmails),
		cmocka_unit_test(test_alias_expand_classifies_targets),
		cmocka_unit_test(test_alias_expand_reads_include_files),
		cmocka_unit_test(test_alias_expand_consults_extra_maps),
		cmocka_unit_test(test_alias_who_finds_transitive_paths),
		cmocka_unit_test(test_alias_expand_expands_a_list_once),
		cmocka_unit_test(test_alias_who_backslash_is_the_mailbox_not_the_alias),
		cmocka_unit_test(test_alias_who_follows_nested_and_bracketed_includes),
		cmocka_unit_test(test_aliasdb_discover_reads_sendmail_cf_then_main_cf),
		cmocka_unit_test(test_aliasdb_discover_main_cf_last_definition_and_continuation_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

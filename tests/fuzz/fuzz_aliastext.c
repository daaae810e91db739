/*
 * tests/fuzz/fuzz_aliastext.c: libFuzzer harness for backend/aliastext.c
 * (both rule sets) and the expansion walker over what it parsed.
 *
 * Any text must parse without a crash or a leak, and the map must hold
 * together: keys non-empty with no ASCII upper case, each found again by
 * look-up with its own value, line numbers within the text, and the
 * expansion of every key bounded by sendmail's depth limit.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct alias_map *m, uint32_t lines)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct alias_ent *e = &m->ents[i];
		const char *k = aliasmap_key(m, e);

		if (e->klen == 0 || e->line == 0 || e->line > lines)
			abort();
		for (size_t j = 0; j < e->klen; j++)
			if (k[j] >= 'A' && k[j] <= 'Z')
				abort();
		const struct alias_ent *f = aliasmap_get(m, k, e->klen);
		if (f != e)
			abort();
	}
	for (size_t i = 0; i < m->nproblems; i++)
		if (m->problems[i].line == 0 || m->problems[i].line > lines || m->problems[i].msg == NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	for (int postfix = 0; postfix <= 1; postfix++) {
		struct alias_map m;
		struct alias_env env;

		aliasmap_init(&m);
		aliastext_parse((const char *)data, size, postfix, &m);
		check(&m, lines);
		memset(&env, 0, sizeof(env));
		env.map = &m;
		env.local_domains = "example.org";
		for (size_t i = 0; i < m.n && i < 8; i++) {
			struct alias_tree t = { 0 };
			char *name = xstrndup(aliasmap_key(&m, &m.ents[i]), m.ents[i].klen);

			alias_expand(&env, name, &t);
			for (size_t k = 0; k < t.n; k++)
				if (t.nodes[k].depth > ALIAS_MAX_DEPTH + 1)
					abort();
			alias_tree_free(&t);
			free(name);
		}
		alias_env_free(&env);
		aliasmap_free(&m);
	}
	return 0;
}

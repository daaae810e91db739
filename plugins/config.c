/*
 * plugins/config.c: "mailops config": the configuration in effect, key by
 * key, with its default and where it came from (like postconf). Batch only.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static const struct column columns[] = {
	{ "section", "Section", COL_TEXT, 10, 0 },
	{ "key", "Key", COL_TEXT, 18, 0 },
	{ "value", "Value", COL_TEXT, 0, 0 },
	{ "default", "Default", COL_TEXT, 0, 0 },
	{ "changed", "Changed", COL_BOOL, 7, 0 },
};

static const struct opt show_opts[] = {
	{ "--changed", 'n', NULL, "only keys whose value differs from the default (postconf -n)" },
	{ NULL, 0, NULL, NULL },
};

/* True when want names k's section or k itself (SECTION.KEY). */
static bool key_wanted(const struct config_key *k, const char *want)
{
	size_t n = strlen(k->section);

	return strncmp(want, k->section, n) == 0 &&
	       (want[n] == '\0' || (want[n] == '.' && strcmp(want + n + 1, k->name) == 0));
}

static int config_show(struct ctx *ctx, int argc, char **argv)
{
	const struct config *cfg = ctx_config(ctx);
	bool only_changed = ctx_flag(ctx, "--changed");
	const char *want = argc > 0 ? argv[0] : NULL;
	/* An unknown name is a usage error before any output: no header line
	 * on stdout for a script to mistake for an (empty) answer. */
	if (want != NULL) {
		const struct config_key *k = config_keys;
		while (k->section != NULL && !key_wanted(k, want))
			k++;
		if (k->section == NULL)
			return ctx_error(ctx, EXIT_USAGE, "no such config section or key: %s", want);
	}
	out_begin(ctx, columns, 5);
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		if (want != NULL && !key_wanted(k, want))
			continue;
		char *v = config_value(cfg, k->section, k->name);
		bool changed = v != NULL && strcmp(v, k->def) != 0;
		if (!only_changed || changed) {
			struct cell cells[5] = {
				cell_str(k->section), cell_str(k->name), cell_str(v != NULL ? v : ""),
				cell_str(k->def), cell_num(changed),
			};
			if (changed)
				cells[2].role = ROLE_HEAD;
			out_row(ctx, cells);
		}
		free(v);
	}
	out_end(ctx);
	return EXIT_OK;
}

static const struct command commands[] = {
	{ "show", "[SECTION | SECTION.KEY]", "the configuration in effect, with defaults", show_opts, 0, 1,
	  config_show },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_config = {
	.name = "config",
	.title = "Config",
	.default_verb = "show",
	.summary = "the configuration in effect, key by key (like postconf)",
	.commands = commands,
	.batch_only = true,
};

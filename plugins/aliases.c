/*
 * plugins/aliases.c: the alias database (sendmail/Postfix aliases.db, the
 * text aliases file): list, look up, expand, reverse look-up, check, build.
 * Not built yet: every verb reports "not implemented" and the tab says so.
 */
#include "plugin.h"

static const struct opt list_opts[] = {
	{ "--all", 0, NULL, "also show the @ and YP_* records" },
	{ "--raw", 0, NULL, "print the stored bytes unchanged" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt build_opts[] = {
	{ "--postfix", 0, NULL, "write postalias's layout" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "list", "[GLOB]", "list aliases (praliases-style key:value)", list_opts, 0, 1, plugin_not_implemented },
	{ "show", "NAME", "look up one alias as the MTA does", NULL, 1, 1, plugin_not_implemented },
	{ "expand", "ADDR", "the expansion tree of an address", NULL, 1, 1, plugin_not_implemented },
	{ "who", "TARGET", "every alias that reaches TARGET", NULL, 1, 1, plugin_not_implemented },
	{ "check", "", "loops, dangling targets, db vs text differences", NULL, 0, 0, plugin_not_implemented },
	{ "build", "TEXT [DB]", "compile a text aliases file into a db", build_opts, 1, 2, plugin_not_implemented },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_aliases = {
	.name = "aliases",
	.title = "Aliases",
	.default_verb = "list",
	.summary = "browse, expand, reverse-look-up and check the alias database",
	.commands = commands,
	.view = NULL,
};

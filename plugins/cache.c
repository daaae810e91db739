/*
 * plugins/cache.c: the memcached verification cache a mail filter fills
 * with recipient-verification results: stats, list, get, locate, delete,
 * flush. Not built yet: every verb reports "not implemented".
 */
#include "plugin.h"

static const struct opt list_opts[] = {
	{ "--prefix", 0, "P", "only keys starting with P" },
	{ "--match", 0, "GLOB", "only keys matching GLOB" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt del_opts[] = {
	{ "--dry-run", 0, NULL, "only print what would be deleted" },
	{ "--yes", 0, NULL, "really delete" },
	{ NULL, 0, NULL, NULL },
};

static const struct opt flush_opts[] = {
	{ "--prefix", 0, "P", "keys starting with P" },
	{ "--match", 0, "GLOB", "keys matching GLOB" },
	{ "--all", 0, NULL, "every key of the namespace" },
	{ "--dry-run", 0, NULL, "only print what would be deleted" },
	{ "--yes", 0, NULL, "really delete" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "stats", "", "per-server statistics of the pool", NULL, 0, 0, plugin_not_implemented },
	{ "list", "[--prefix P|--match GLOB]", "list cached verification results", list_opts, 0, 0,
	  plugin_not_implemented },
	{ "get", "KEY", "show one entry", NULL, 1, 1, plugin_not_implemented },
	{ "locate", "KEY", "which server of the pool holds KEY", NULL, 1, 1, plugin_not_implemented },
	{ "del", "KEY...", "delete entries", del_opts, 1, -1, plugin_not_implemented },
	{ "flush", "(--prefix P|--match GLOB|--all) [--dry-run] [--yes]", "delete many entries", flush_opts, 0, 0,
	  plugin_not_implemented },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_cache = {
	.name = "cache",
	.title = "Cache",
	.default_verb = "stats",
	.summary = "inspect and flush the memcached recipient-verification cache",
	.commands = commands,
	.view = NULL,
};

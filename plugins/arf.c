/*
 * plugins/arf.c: feedback-loop reports (RFC 5965 ARF) found in mailboxes:
 * list, summary, complainers, show. Not built yet.
 */
#include "plugin.h"

static const struct opt summary_opts[] = {
	{ "--by", 0, "FIELD", "group by this field" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "list", "MAILBOX...", "one row per feedback report", NULL, 0, -1, plugin_not_implemented },
	{ "summary", "[--by FIELD] MAILBOX...", "reports counted by a field", summary_opts, 0, -1,
	  plugin_not_implemented },
	{ "complainers", "MAILBOX...", "the complaining addresses", NULL, 0, -1, plugin_not_implemented },
	{ "show", "N MAILBOX...", "one report in full", NULL, 1, -1, plugin_not_implemented },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_arf = {
	.name = "arf",
	.title = "ARF",
	.default_verb = "list",
	.summary = "read feedback-loop (ARF) reports from mailboxes",
	.commands = commands,
	.view = NULL,
};

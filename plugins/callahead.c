/*
 * plugins/callahead.c: test recipient verification over SMTP (MAIL FROM /
 * RCPT TO, never DATA), local aliases first, results cached as the filter
 * caches them. Not built yet: every verb reports "not implemented".
 */
#include "plugin.h"

static const struct opt check_opts[] = {
	{ "--server", 0, "HOST[:PORT]", "ask this server instead of the MX" },
	{ "--from", 0, "ADDR", "envelope sender of the probe" },
	{ "--helo", 0, "NAME", "EHLO name" },
	{ "--no-cache", 0, NULL, "neither read nor write the cache" },
	{ "--accept-all-probe", 0, NULL, "also probe a random address to detect accept-all" },
	{ "--jobs", 'j', "N", "probes in parallel" },
	{ "--transcript", 0, NULL, "print the SMTP dialogue" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "check", "[OPTIONS] ADDR... | -", "ask the mail server whether recipients exist", check_opts, 1, -1,
	  plugin_not_implemented },
	{ "mx", "DOMAIN", "the mail exchangers a probe would use", NULL, 1, 1, plugin_not_implemented },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_callahead = {
	.name = "callahead",
	.title = "Callahead",
	.default_verb = "check",
	.summary = "ask a mail server whether a recipient exists (SMTP callahead)",
	.commands = commands,
	.view = NULL,
};

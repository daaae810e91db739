/*
 * plugins/benford.c: Benford digit analysis of numbers drawn from mail
 * (subject lengths, message sizes, log size= fields). Not built yet.
 */
#include "plugin.h"

static const struct opt run_opts[] = {
	{ "--metric", 0, "M", "which number to draw from each message or line" },
	{ "--test", 0, "T", "first, second or first-two digits" },
	{ "--svg", 0, "FILE", "also write the histogram as SVG" },
	{ NULL, 0, NULL, NULL },
};

static const struct command commands[] = {
	{ "run", "[--metric M] [--test T] [--svg FILE] SOURCE... | -", "digit histogram and conformity statistics",
	  run_opts, 1, -1, plugin_not_implemented },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct plugin plugin_benford = {
	.name = "benford",
	.title = "Benford",
	.default_verb = "run",
	.summary = "Benford digit histograms of mail numbers, with conformity statistics",
	.commands = commands,
	.view = NULL,
};

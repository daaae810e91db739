/*
 * plugins/registry.c: the list of plugins (its order is the tab order),
 * lookups by word, and the small helpers every plugin shares.
 */
#include <stdio.h>
#include <string.h>

#include "plugin.h"

extern const struct plugin plugin_doctor;
extern const struct plugin plugin_aliases;
extern const struct plugin plugin_cache;
extern const struct plugin plugin_callahead;
extern const struct plugin plugin_arf;
extern const struct plugin plugin_benford;
extern const struct plugin plugin_config;

const struct plugin *const plugins[] = {
	&plugin_doctor, &plugin_aliases, &plugin_cache, &plugin_callahead, &plugin_arf, &plugin_benford, &plugin_config, NULL,
};

const struct plugin *plugin_find(const char *name)
{
	for (const struct plugin *const *p = plugins; *p != NULL; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

const struct command *plugin_command(const struct plugin *p, const char *verb)
{
	for (const struct command *c = p->commands; c->name != NULL; c++)
		if (strcmp(c->name, verb) == 0)
			return c;
	return NULL;
}

int plugin_not_implemented(struct ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ctx_error(ctx, EXIT_SOFTWARE, "not implemented");
}

struct cell cell_str(const char *s)
{
	return (struct cell){ .text = s, .len = s != NULL ? strlen(s) : 0 };
}

struct cell cell_bytes(const char *s, size_t len)
{
	return (struct cell){ .text = s, .len = len };
}

struct cell cell_num(long long n)
{
	return (struct cell){ .num = n };
}

struct cell cell_real(double v)
{
	return (struct cell){ .real = v };
}

void cell_real_text(const struct column *col, double v, char *buf, size_t len)
{
	if (col->decimals > 0)
		snprintf(buf, len, "%.*f", col->decimals, v);
	else
		snprintf(buf, len, "%.6g", v);
}

struct cell cell_role(struct cell c, enum role role)
{
	c.role = role;
	return c;
}

/*
 * ui/cli.c: the batch face. One parser for argv and the console's ':'
 * prompt, the help texts, the ctx verbs run in, and dispatch.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui.h"

/* ---- parsing ---- */

static const char *const global_words[] = {
	"-c", "--config", "-o", "--output", "--no-color", "-v", "--verbose", "-h", "--help", "--version", NULL,
};

static const char *const format_names[] = { "text", "tsv", "csv", "json", NULL };

/* The nearest of words (NULL ended) to w; with close, only if it is near enough to be a typo. */
static const char *nearest_word(const char *w, const char *const *words, bool close)
{
	const char *best = NULL;
	int bestd = 99;

	for (; *words != NULL; words++) {
		int d = util_distance(w, *words);

		if (d < bestd) {
			bestd = d;
			best = *words;
		}
	}
	size_t len = strlen(w);
	int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	return !close || bestd <= limit ? best : NULL;
}

/* An error names the nearest valid word, however far. */
static const char *nearest(const char *w, const char *const *words)
{
	return nearest_word(w, words, false);
}

static int usage_error(char *err, size_t errlen, const char *what, const char *w, const char *near)
{
	char *safe = sanitize_dup(w, strlen(w), SAN_LINE);

	if (near != NULL)
		errf(err, errlen, EXIT_USAGE, "%s '%s'; did you mean '%s'?", what, safe, near);
	else
		errf(err, errlen, EXIT_USAGE, "%s '%s'; see 'mailops --help'", what, safe);
	free(safe);
	return EXIT_USAGE;
}

static int parse_format(const char *s, enum out_format *f)
{
	for (int i = 0; format_names[i] != NULL; i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*f = (enum out_format)i;
			return 0;
		}
	}
	return -1;
}

/* Returns 1 if argv[*i] was a global option (consuming its value), 0 if not, or an exit code. */
static int take_global(struct cli_line *line, int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char *a = argv[*i];
	const char *val = NULL;
	size_t n;

	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		line->help = true;
		return 1;
	}
	if (strcmp(a, "--version") == 0) {
		line->version = true;
		return 1;
	}
	if (strcmp(a, "--no-color") == 0) {
		line->no_color = true;
		return 1;
	}
	if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
		line->verbose++;
		return 1;
	}
	int opt = 0;
	if (strncmp(a, "-c", 2) == 0 && strncmp(a, "--", 2) != 0)
		opt = 'c', val = a[2] != '\0' ? a + 2 : NULL;
	else if (strncmp(a, "-o", 2) == 0 && strncmp(a, "--", 2) != 0)
		opt = 'o', val = a[2] != '\0' ? a + 2 : NULL;
	else if (strncmp(a, "--config", n = strlen("--config")) == 0 && (a[n] == '\0' || a[n] == '='))
		opt = 'c', val = a[n] == '=' ? a + n + 1 : NULL;
	else if (strncmp(a, "--output", n = strlen("--output")) == 0 && (a[n] == '\0' || a[n] == '='))
		opt = 'o', val = a[n] == '=' ? a + n + 1 : NULL;
	if (opt == 0)
		return 0;
	if (val == NULL) {
		if (*i + 1 >= argc)
			return errf(err, errlen, EXIT_USAGE, "option '%s' needs a value", opt == 'c' ? "-c" : "-o");
		val = argv[++*i];
	}
	if (opt == 'c') {
		line->config_path = val;
	} else {
		/* A name that is no writer's may be a plugin's own format (struct
		 * plugin.formats): checked once the plugin is known. */
		if (parse_format(val, &line->format) != 0)
			line->format = FORMAT_OTHER;
		line->format_name = val;
		line->format_set = true;
	}
	return 1;
}

static int opt_index(const struct command *c, const char *name, size_t namelen, char short_name)
{
	if (c->opts == NULL)
		return -1;
	for (int i = 0; c->opts[i].name != NULL && i < CLI_MAX_OPTS; i++) {
		if (short_name != 0 ? c->opts[i].short_name == short_name
				    : strlen(c->opts[i].name) == namelen && strncmp(c->opts[i].name, name, namelen) == 0)
			return i;
	}
	return -1;
}

static int unknown_option(const struct cli_line *line, const char *a, char *err, size_t errlen)
{
	const char *words[CLI_MAX_OPTS + 16];
	int n = 0;
	char what[128];

	for (int i = 0; global_words[i] != NULL; i++)
		words[n++] = global_words[i];
	if (line->cmd != NULL && line->cmd->opts != NULL)
		for (int i = 0; line->cmd->opts[i].name != NULL && n < CLI_MAX_OPTS + 15; i++)
			words[n++] = line->cmd->opts[i].name;
	words[n] = NULL;
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
	if (line->cmd != NULL)
		snprintf(what, sizeof(what), "unknown option for '%s %s'", line->plugin->name, line->cmd->name);
	else
		snprintf(what, sizeof(what), "unknown option");
	return usage_error(err, errlen, what, name, nearest(name, words));
}

/* Takes a verb option at argv[*i]; returns 0 or an exit code. */
static int take_verb_opt(struct cli_line *line, int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char *a = argv[*i];
	const char *val = NULL;
	int k;

	if (a[1] == '-') {
		size_t n = strcspn(a, "=");

		k = opt_index(line->cmd, a, n, 0);
		if (k < 0)
			return unknown_option(line, a, err, errlen);
		if (a[n] == '=')
			val = a + n + 1;
	} else {
		k = opt_index(line->cmd, NULL, 0, a[1]);
		if (k < 0 || (a[2] != '\0' && line->cmd->opts[k].arg == NULL))
			return unknown_option(line, a, err, errlen);
		if (a[2] != '\0')
			val = a + 2;
	}
	const struct opt *o = &line->cmd->opts[k];
	if (o->arg == NULL) {
		if (val != NULL)
			return errf(err, errlen, EXIT_USAGE, "option '%s' takes no value", o->name);
		line->optval[k] = "";
		return 0;
	}
	if (val == NULL) {
		if (*i + 1 >= argc)
			return errf(err, errlen, EXIT_USAGE, "option '%s' needs a value (%s)", o->name, o->arg);
		val = argv[++*i];
	}
	/* twice with two values: which one was meant is not ours to guess
	 * (a flush by the wrong prefix deletes the wrong keys) */
	if (line->optval[k] != NULL && strcmp(line->optval[k], val) != 0) {
		char *x = sanitize_dup(line->optval[k], strlen(line->optval[k]), SAN_LINE);
		char *y = sanitize_dup(val, strlen(val), SAN_LINE);
		errf(err, errlen, EXIT_USAGE, "option '%s' given twice ('%s', then '%s'): give it once", o->name, x, y);
		free(x);
		free(y);
		return EXIT_USAGE;
	}
	line->optval[k] = val;
	return 0;
}

static const char *const *plugin_words(const char **buf, size_t max)
{
	size_t n = 0;

	for (const struct plugin *const *p = plugins; *p != NULL && n + 2 < max; p++)
		buf[n++] = (*p)->name;
	buf[n++] = "help";
	buf[n] = NULL;
	return buf;
}

static const char *const *verb_words(const struct plugin *p, const char **buf, size_t max)
{
	size_t n = 0;

	for (const struct command *c = p->commands; c->name != NULL && n + 1 < max; c++)
		buf[n++] = c->name;
	buf[n] = NULL;
	return buf;
}

int cli_parse(struct cli_line *line, int argc, char **argv, char *err, size_t errlen)
{
	const char *words[64];
	bool dashdash = false;
	int rc;

	memset(line, 0, sizeof(*line));
	line->argv = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1] != '\0') {
			rc = take_global(line, argc, argv, &i, err, errlen);
			if (rc == 1)
				continue;
			if (rc != 0)
				return rc;
			if (line->cmd == NULL) {
				/* Verb options before the verb are only known once it is. */
				if (line->plugin == NULL || line->help)
					return unknown_option(line, a, err, errlen);
				const struct command *c = line->plugin->default_verb != NULL
								  ? plugin_command(line->plugin, line->plugin->default_verb)
								  : NULL;
				if (c == NULL)
					return unknown_option(line, a, err, errlen);
				line->cmd = c;
			}
			rc = take_verb_opt(line, argc, argv, &i, err, errlen);
			if (rc != 0)
				return rc;
			continue;
		}
		if (line->plugin == NULL && !line->help) {
			if (strcmp(a, "help") == 0) {
				line->help = true;
				continue;
			}
			line->plugin = plugin_find(a);
			if (line->plugin == NULL)
				return usage_error(err, errlen, "unknown command", a, nearest(a, plugin_words(words, 64)));
			continue;
		}
		if (line->plugin == NULL && line->help) {
			/* "help PLUGIN [VERB]" ("help help": the general help) */
			if (strcmp(a, "help") == 0)
				continue;
			line->plugin = plugin_find(a);
			if (line->plugin == NULL)
				return usage_error(err, errlen, "unknown command", a, nearest(a, plugin_words(words, 64)));
			continue;
		}
		if (line->help && line->cmd != NULL) {
			char *safe = sanitize_dup(a, strlen(a), SAN_LINE);
			errf(err, errlen, EXIT_USAGE, "'%s': help takes a plugin and a verb at most", safe);
			free(safe);
			return EXIT_USAGE;
		}
		if (line->cmd == NULL && line->argc == 0) {
			const struct command *c = plugin_command(line->plugin, a);

			if (c != NULL) {
				line->cmd = c;
				continue;
			}
			if (line->plugin->default_verb == NULL || line->help)
				return usage_error(err, errlen, "unknown verb", a,
						   nearest(a, verb_words(line->plugin, words, 64)));
			line->cmd = plugin_command(line->plugin, line->plugin->default_verb);
			/* A word near a verb (the default one too: 'arf lst') is more
			 * likely a typo than an argument, unless it names a file. */
			const char *near = nearest_word(a, verb_words(line->plugin, words, 64), true);
			if (near != NULL && strlen(a) >= 2 && strchr(a, '@') == NULL && strchr(a, '.') == NULL &&
			    strchr(a, '/') == NULL && access(a, F_OK) != 0)
				return usage_error(err, errlen, "unknown verb", a, near);
		}
		line->argv[line->argc++] = argv[i];
	}
	if (line->format == FORMAT_OTHER) {
		bool known = false;
		for (const char *const *f = line->plugin != NULL ? line->plugin->formats : NULL; f != NULL && *f != NULL;
		     f++)
			known = known || strcmp(*f, line->format_name) == 0;
		if (!known)
			return usage_error(err, errlen, "unknown output format", line->format_name,
					   nearest(line->format_name, format_names));
	}
	if (line->help || line->version)
		return 0;
	if (line->plugin != NULL && line->cmd == NULL) {
		if (line->plugin->default_verb == NULL)
			return errf(err, errlen, EXIT_USAGE, "'%s' needs a verb; see 'mailops %s --help'",
				    line->plugin->name, line->plugin->name);
		line->cmd = plugin_command(line->plugin, line->plugin->default_verb);
	}
	if (line->cmd != NULL) {
		const struct command *c = line->cmd;

		if (line->argc < c->min_args || (c->max_args >= 0 && line->argc > c->max_args))
			return errf(err, errlen, EXIT_USAGE, "usage: mailops %s %s %s", line->plugin->name, c->name,
				    c->usage);
	}
	return 0;
}

void cli_line_free(struct cli_line *line)
{
	free(line->argv);
	line->argv = NULL;
}

char **cli_split(const char *s, int *argc, char *err, size_t errlen)
{
	size_t cap = 8, n = 0;
	char **v = xcalloc(cap, sizeof(char *));
	struct buf w;

	buf_init(&w);
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		char quote = 0;
		buf_reset(&w);
		buf_grow(&w, 0);
		for (; *s != '\0'; s++) {
			if (quote != 0) {
				if (*s == quote)
					quote = 0;
				else if (*s == '\\' && quote == '"' && s[1] != '\0')
					buf_addc(&w, *++s);
				else
					buf_addc(&w, *s);
			} else if (*s == '\'' || *s == '"') {
				quote = *s;
			} else if (*s == '\\' && s[1] != '\0') {
				buf_addc(&w, *++s);
			} else if (*s == ' ' || *s == '\t') {
				break;
			} else {
				buf_addc(&w, *s);
			}
		}
		if (quote != 0) {
			buf_free(&w);
			v[n] = NULL;
			cli_words_free(v);
			errf(err, errlen, EXIT_USAGE, "unclosed quote");
			return NULL;
		}
		if (n + 2 > cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof(char *));
		}
		v[n++] = xstrndup(w.data, w.len);
	}
	buf_free(&w);
	v[n] = NULL;
	*argc = (int)n;
	return v;
}

void cli_words_free(char **words)
{
	if (words == NULL)
		return;
	for (char **w = words; *w != NULL; w++)
		free(*w);
	free(words);
}

/* ---- help ---- */

static void help_verb(FILE *f, const struct plugin *p, const struct command *c, bool full)
{
	char head[160];

	snprintf(head, sizeof(head), "%s %s", c->name, c->usage);
	fprintf(f, "  %-44s %s%s\n", head, c->help,
		p->default_verb != NULL && strcmp(p->default_verb, c->name) == 0 ? " (default)" : "");
	if (!full || c->opts == NULL)
		return;
	for (const struct opt *o = c->opts; o->name != NULL; o++) {
		char name[96];

		if (o->short_name != 0)
			snprintf(name, sizeof(name), "-%c, %s%s%s", o->short_name, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(name, sizeof(name), "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "      %-40s %s\n", name, o->help);
	}
}

static void help_globals(FILE *f)
{
	fputs("Global options (anywhere on the line):\n"
	      "  -c, --config FILE   config file (else $MAILOPS_CONFIG, ~/.config/mailops/mailops.conf,\n"
	      "                      /etc/mailops.conf)\n"
	      "  -o, --output FORMAT text, tsv, csv or json (one object a line)\n"
	      "  --no-color          no colours in the console (NO_COLOR is honoured too)\n"
	      "  -v, --verbose       more detail\n"
	      "  -h, --help          this help; 'mailops PLUGIN --help' for one plugin\n"
	      "  --version           print the version\n",
	      f);
}

void cli_help(FILE *f, const struct plugin *p, const struct command *c)
{
	if (p == NULL) {
		fputs("mailops: a console for postmasters\n\n"
		      "Usage: mailops [GLOBAL]                       open the console\n"
		      "       mailops [GLOBAL] PLUGIN [VERB] [ARGS]  run one command (batch mode)\n\n"
		      "Plugins:\n",
		      f);
		for (const struct plugin *const *pp = plugins; *pp != NULL; pp++)
			if (!(*pp)->batch_only)
				fprintf(f, "  %-12s %s\n", (*pp)->name, (*pp)->summary);
		fputs("\nOther commands:\n", f);
		for (const struct plugin *const *pp = plugins; *pp != NULL; pp++)
			if ((*pp)->batch_only)
				fprintf(f, "  %-12s %s\n", (*pp)->name, (*pp)->summary);
		fprintf(f, "  %-12s %s\n", "help", "this help; 'help PLUGIN' for one plugin");
		fputc('\n', f);
		help_globals(f);
		fputs("\nExit codes: 0 done, 1 negative answer (not found, invalid, destructive verb\n"
		      "without --yes), 64 usage, 65 bad input data, 66 input missing, 69 service\n"
		      "unavailable, 70 internal error, 75 temporary failure (timeout, db locked),\n"
		      "77 permission denied, 78 configuration error.\n"
		      "doctor: 0 OK, 1 WARN, 2 FAIL, 3 UNKNOWN.\n"
		      "\nSee mailops(1), mailops.conf(5) and docs/cli.md for the columns of each command.\n",
		      f);
		return;
	}
	if (c == NULL) {
		fprintf(f, "mailops %s: %s\n\nUsage: mailops [GLOBAL] %s %s [ARGS]\n\nVerbs:\n", p->name, p->summary,
			p->name, p->default_verb != NULL ? "[VERB]" : "VERB");
		for (const struct command *cc = p->commands; cc->name != NULL; cc++)
			help_verb(f, p, cc, true);
		if (p->default_verb != NULL)
			fprintf(f, "\nWithout a verb, '%s' is used.\n", p->default_verb);
		return;
	}
	fprintf(f, "Usage: mailops [GLOBAL] %s %s %s\n\n", p->name, c->name, c->usage);
	help_verb(f, p, c, true);
}

/* ---- ctx: what a verb runs in ---- */

const struct config *ctx_config(struct ctx *ctx)
{
	return ctx->cfg;
}

struct loop *ctx_loop(struct ctx *ctx)
{
	return ctx->loop;
}

enum out_format ctx_format(struct ctx *ctx)
{
	return ctx->format;
}

const char *ctx_format_name(struct ctx *ctx)
{
	return ctx->format_name != NULL ? ctx->format_name : format_names[ctx->format == FORMAT_OTHER ? 0 : ctx->format];
}

bool ctx_console(struct ctx *ctx)
{
	return ctx->console;
}

bool ctx_verbose(struct ctx *ctx)
{
	return ctx->verbose;
}

const char *ctx_opt(struct ctx *ctx, const char *name)
{
	if (ctx->cmd == NULL || ctx->cmd->opts == NULL || ctx->optval == NULL)
		return NULL;
	int k = opt_index(ctx->cmd, name, strlen(name), 0);
	return k >= 0 ? ctx->optval[k] : NULL;
}

bool ctx_flag(struct ctx *ctx, const char *name)
{
	return ctx_opt(ctx, name) != NULL;
}

static void ctx_vmessage(struct ctx *ctx, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void ctx_vmessage(struct ctx *ctx, const char *prefix, const char *fmt, va_list ap)
{
	struct buf raw, safe;

	buf_init(&raw);
	buf_init(&safe);
	buf_vaddf(&raw, fmt, ap);
	sanitize_buf(&safe, raw.data, raw.len, SAN_LINE);
	buf_grow(&safe, 0);
	if (ctx->errout == NULL && ctx->console) {
		/* A view's error: the console's status line. */
		buf_reset(&raw);
		buf_addf(&raw, "%s%s", prefix, safe.data);
		tui_message(raw.data, true);
	} else {
		fprintf(ctx->errout != NULL ? ctx->errout : stderr, "mailops: %s%s\n", prefix, safe.data);
	}
	buf_free(&raw);
	buf_free(&safe);
}

int ctx_error(struct ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctx_vmessage(ctx, "", fmt, ap);
	va_end(ap);
	return code;
}

void ctx_warn(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctx_vmessage(ctx, "warning: ", fmt, ap);
	va_end(ap);
}

void ctx_progress(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->console) {
		if (fmt == NULL) {
			tui_progress(NULL);
			return;
		}
		struct buf b;
		buf_init(&b);
		va_start(ap, fmt);
		buf_vaddf(&b, fmt, ap);
		va_end(ap);
		tui_progress(b.data);
		buf_free(&b);
		return;
	}
	/* Batch mode shows progress only when asked for (-v) and on a terminal. */
	if (fmt == NULL || !ctx->verbose || !isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	ctx_vmessage(ctx, "", fmt, ap);
	va_end(ap);
}

void ctx_pager(struct ctx *ctx, const char *title, const char *text, size_t len)
{
	if (ctx->console)
		tui_pager(title, text, len);
}

void ctx_dirty(struct ctx *ctx)
{
	if (ctx->console)
		tui_dirty();
}

void ctx_push_view(struct ctx *ctx, const struct view *view, void *state)
{
	if (ctx->console)
		tui_push_view(view, state);
	else
		view->close(state);
}

void ctx_pop_view(struct ctx *ctx)
{
	if (ctx->console)
		tui_pop_view();
}

void ctx_select_row(struct ctx *ctx, size_t i)
{
	if (ctx->console)
		tui_select_row(i);
}

void ctx_confirm(struct ctx *ctx, const char *question, void (*yes)(void *arg), void *arg)
{
	if (ctx->console)
		tui_confirm(question, yes, arg);
}

void ctx_ask(struct ctx *ctx, const char *label, void (*done)(void *arg, const char *text), void *arg)
{
	if (ctx->console)
		tui_ask(label, done, arg);
}

bool ctx_show_tab(struct ctx *ctx, const char *plugin, const char *filter)
{
	return ctx->console && tui_show_tab(plugin, filter);
}

size_t ctx_shown_count(struct ctx *ctx)
{
	return ctx->console ? tui_shown_count() : 0;
}

bool ctx_shown_row(struct ctx *ctx, size_t pos, size_t *row)
{
	return ctx->console && tui_shown_row(pos, row);
}

void out_spool(struct ctx *ctx, bool on)
{
	if (ctx->console)
		return;
	if (on && ctx->spooled == NULL) {
		FILE *tmp = tmpfile();
		if (tmp == NULL)
			return; /* then straight out, as without a spool */
		fflush(ctx->out);
		ctx->spooled = ctx->out;
		ctx->out = tmp;
	} else if (!on && ctx->spooled != NULL) {
		char chunk[65536];
		size_t n;
		FILE *tmp = ctx->out;
		fflush(tmp);
		rewind(tmp);
		ctx->out = ctx->spooled;
		ctx->spooled = NULL;
		while ((n = fread(chunk, 1, sizeof(chunk), tmp)) > 0)
			fwrite(chunk, 1, n, ctx->out);
		fclose(tmp);
	}
}

void out_begin(struct ctx *ctx, const struct column *cols, int ncols)
{
	writer_begin(ctx, cols, ncols);
}

void out_row(struct ctx *ctx, const struct cell *cells)
{
	writer_row(ctx, cells);
}

void out_line(struct ctx *ctx, const char *text, size_t len)
{
	struct buf b;

	writer_flush(ctx);
	buf_init(&b);
	sanitize_buf(&b, text, len, SAN_TEXT);
	buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, ctx->out);
	buf_free(&b);
}

void out_raw(struct ctx *ctx, const void *bytes, size_t len)
{
	writer_flush(ctx);
	fwrite(bytes, 1, len, ctx->out);
}

void out_end(struct ctx *ctx)
{
	writer_end(ctx);
}

/* ---- running ---- */

int cli_run(const struct cli_line *line, struct config *cfg, struct loop *loop, FILE *out, FILE *errout,
	    bool console)
{
	if (line->version) {
		fprintf(out, "mailops %s\n", MAILOPS_VERSION);
		return EXIT_OK;
	}
	if (line->help || line->cmd == NULL) {
		cli_help(out, line->plugin, line->help ? line->cmd : NULL);
		return EXIT_OK;
	}
	struct ctx ctx = {
		.cfg = cfg,
		.loop = loop,
		.format = line->format,
		.format_name = line->format_name,
		.console = console,
		.verbose = line->verbose > 0,
		.out = out,
		.errout = errout,
		.cmd = line->cmd,
		.optval = line->optval,
	};
	buf_init(&ctx.pending);
	int rc = line->cmd->run(&ctx, line->argc, line->argv);
	if (ctx.cols != NULL)
		writer_end(&ctx);
	buf_free(&ctx.pending);
	free(ctx.widths);
	fflush(out);
	return rc;
}

int cli_main(int argc, char **argv)
{
	struct cli_line line;
	struct config cfg;
	char err[512];
	int rc;

	rc = cli_parse(&line, argc, argv, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailops: %s\n", err);
		cli_line_free(&line);
		return rc;
	}
	if (line.help || line.version) {
		rc = cli_run(&line, NULL, NULL, stdout, stderr, false);
		cli_line_free(&line);
		return rc;
	}
	config_defaults(&cfg);
	rc = config_load(&cfg, line.config_path, err, sizeof(err));
	if (rc != 0) {
		char *safe = sanitize_dup(err, strlen(err), SAN_LINE);
		fprintf(stderr, "mailops: %s\n", safe);
		free(safe);
		config_free(&cfg);
		cli_line_free(&line);
		return rc;
	}
	if (line.plugin == NULL) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fputs("mailops: the console needs a terminal; for batch mode see 'mailops --help'\n", stderr);
			rc = EXIT_USAGE;
		} else {
			rc = tui_main(&cfg, line.no_color);
		}
		config_free(&cfg);
		cli_line_free(&line);
		return rc;
	}
	struct loop *loop = loop_new(err, sizeof(err));
	if (loop == NULL) {
		fprintf(stderr, "mailops: %s\n", err);
		rc = EXIT_SOFTWARE;
	} else {
		rc = cli_run(&line, &cfg, loop, stdout, stderr, false);
		loop_free(loop);
	}
	if (fflush(stdout) != 0 && errno != EPIPE) {
		fprintf(stderr, "mailops: write error: %s\n", strerror(errno));
		if (rc == 0)
			rc = EXIT_SOFTWARE;
	}
	config_free(&cfg);
	cli_line_free(&line);
	return rc;
}

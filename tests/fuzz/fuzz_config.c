/*
 * tests/fuzz/fuzz_config.c: libFuzzer harness for backend/config.c.
 *
 * Any text must load or fail cleanly: no crash, no leak, and on failure a
 * message that names the file and is NUL-terminated inside err[]. A config
 * that loaded, written back out key by key with config_value(), must load
 * again to the same values: what `mailops config show` prints is a config.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every key as "key = value" under its section, as the table orders them. */
static char *write_config(const struct config *cfg)
{
	const char *section = "";
	struct buf b;

	buf_init(&b);
	for (const struct config_key *k = config_keys; k->section != NULL; k++) {
		char *v = config_value(cfg, k->section, k->name);

		if (v == NULL)
			abort();
		if (strcmp(section, k->section) != 0)
			buf_addf(&b, "[%s]\n", k->section);
		section = k->section;
		buf_addf(&b, "%s = %s\n", k->name, v);
		free(v);
	}
	return buf_take(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, again;
	char err[256];
	char *text = malloc(size + 1);
	char *out;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&cfg);
	memset(err, 'x', sizeof(err));
	int rc = config_load_string(&cfg, text, "fuzz.conf", err, sizeof(err));
	if (rc != 0) {
		if (rc != EXIT_CONFIG || memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "fuzz.conf:", 10) != 0)
			abort();
	} else {
		out = write_config(&cfg);
		config_defaults(&again);
		if (config_load_string(&again, out, "again.conf", err, sizeof(err)) != 0) {
			/* "k=v" at the length limit no longer fits as "k = v". */
			if (strstr(err, ": line longer than ") == NULL)
				abort();
		} else {
			for (const struct config_key *k = config_keys; k->section != NULL; k++) {
				char *a = config_value(&cfg, k->section, k->name);
				char *b = config_value(&again, k->section, k->name);

				if (strcmp(a, b) != 0)
					abort();
				free(a);
				free(b);
			}
		}
		config_free(&again);
		free(out);
	}
	config_free(&cfg);
	free(text);
	return 0;
}

/*
 * backend/route.c: where a callahead for a domain goes when it is not the
 * domain's MX: [callahead] routes, a file of "domain [host]:port" lines as
 * sendmail's mailertable or milter-ahead's call-ahead-db writes them, and
 * the "host:port" / "[host]:port" notation of servers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

struct ca_routes {
	char **dom, **host;
	size_t n;
};

struct ca_routes *routes_load(const char *path, char *err, size_t errlen)
{
	struct ca_routes *t = xcalloc(1, sizeof(*t));
	FILE *f;
	char line[1024];

	if (path == NULL || path[0] == '\0')
		return t;
	if ((f = fopen(path, "r")) == NULL) {
		errf(err, errlen, EXIT_NOINPUT, "routes %s: %s", path, strerror(errno));
		free(t);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *dom, *host;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		dom = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			continue;
		*p++ = '\0';
		while (isspace((unsigned char)*p))
			p++;
		host = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		*p = '\0';
		/* mailertable's "smtp:[host]" and "esmtp:host" name the mailer first. */
		char *colon = strchr(host, ':');
		if (colon != NULL && host[0] != '[' && colon[1] != '\0' && !isdigit((unsigned char)colon[1]))
			host = colon + 1;
		if (host[0] == '\0')
			continue;
		t->dom = xrealloc(t->dom, (t->n + 1) * sizeof(char *));
		t->host = xrealloc(t->host, (t->n + 1) * sizeof(char *));
		t->dom[t->n] = xstrdup(dom);
		t->host[t->n] = xstrdup(host);
		t->n++;
	}
	fclose(f);
	return t;
}

const char *routes_find(const struct ca_routes *t, const char *domain)
{
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->dom[i], domain) == 0)
			return t->host[i];
	for (const char *d = strchr(domain, '.'); d != NULL; d = strchr(d + 1, '.'))
		for (size_t i = 0; i < t->n; i++)
			if (strcasecmp(t->dom[i], d) == 0)
				return t->host[i];
	return NULL;
}

void routes_free(struct ca_routes *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->dom[i]);
		free(t->host[i]);
	}
	free(t->dom);
	free(t->host);
	free(t);
}

int hostport_split(const char *spec, int defport, char *host, size_t hl)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL)
			close = spec + strlen(spec);
		snprintf(host, hl, "%.*s", (int)(close - spec - 1), spec + 1);
		colon = *close == ']' && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(spec, ':');
		if (colon != NULL && strchr(spec, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		snprintf(host, hl, "%.*s", (int)(colon != NULL ? (size_t)(colon - spec) : strlen(spec)), spec);
	}
	if (colon != NULL && colon[1] != '\0') {
		int p = atoi(colon + 1);
		return p > 0 && p < 65536 ? p : defport;
	}
	return defport;
}

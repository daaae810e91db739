/*
 * tests/helpers/dns_lookup.c: single questions (dns_lookup) on one loop,
 * each to the channel of a server of its own (loop_dns_server) or to the
 * loop's default channel (loop_dns), all in flight at once, as the doctor
 * asks them.
 *
 *   dns_lookup [--default SERVERS] [--cancel] [--stop-after MS] [--servers]
 *              TIMEOUT_MS TRIES SERVER NAME TYPE [SERVER NAME TYPE]...
 *
 * SERVER is "ip[:port]" (a channel of its own, one per distinct string) or
 * "default" (loop_dns with --default's SERVERS, "" = /etc/resolv.conf) or
 * "none" (no channel: the NULL case). TYPE is A, AAAA, MX or TXT. One line
 * per answer as it comes:
 *
 *   server<TAB>name<TAB>type<TAB>status<TAB>ms[<TAB>item]...
 *
 * --cancel starts a twin of every question and cancels it at once; its
 * callback running is an error. --stop-after MS leaves the loop after MS ms
 * and frees it: answers still missing come from loop_free(). --servers
 * prints "servers<TAB>server<TAB>ip:port,..." per channel (loop_dns_servers).
 * Last, "channels<TAB>N": how many distinct channels the questions used.
 * Exit 70 when a callback runs inside dns_lookup, twice, or never; 78 when
 * a server is refused; 0 otherwise.
 *
 *   dns_lookup --dnsbl ZONE IP...
 *
 * prints "ip<TAB>name" from dns_dnsbl_name, "ip<TAB>-" when it says no.
 */
#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../backend/backend.h"

struct job {
	const char *server, *name, *type;
	struct ares_channeldata *ch;
	bool answered;
};

static struct loop *L;
static int pending;
static bool starting;
static int errors;

static void answered(void *arg, const struct dns_answer *a)
{
	struct job *j = arg;

	if (starting) {
		fprintf(stderr, "dns_lookup: %s %s: callback ran inside dns_lookup\n", j->name, j->type);
		errors++;
	}
	if (j->answered) {
		fprintf(stderr, "dns_lookup: %s %s answered twice\n", j->name, j->type);
		errors++;
		return;
	}
	j->answered = true;
	printf("%s\t%s\t%s\t%s\t%lld", j->server, j->name, j->type, a->status_name, (long long)a->ms);
	for (size_t i = 0; i < a->n; i++)
		printf("\t%s", a->items[i]);
	printf("\n");
	fflush(stdout);
	if (--pending == 0)
		loop_break(L);
}

static void twin_answered(void *arg, const struct dns_answer *a)
{
	struct job *j = arg;

	(void)a;
	fprintf(stderr, "dns_lookup: cancelled %s %s called back\n", j->name, j->type);
	errors++;
}

static void stop(void *arg)
{
	(void)arg;
	loop_break(L);
}

static bool qtype(const char *s, enum dns_qtype *t)
{
	static const struct {
		const char *name;
		enum dns_qtype t;
	} types[] = { { "A", DNS_Q_A }, { "AAAA", DNS_Q_AAAA }, { "MX", DNS_Q_MX }, { "TXT", DNS_Q_TXT } };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0) {
			*t = types[i].t;
			return true;
		}
	return false;
}

static int dnsbl(int argc, char **argv)
{
	for (int i = 3; i < argc; i++) {
		char name[300];

		if (dns_dnsbl_name(argv[i], argv[2], name, sizeof(name)))
			printf("%s\t%s\n", argv[i], name);
		else
			printf("%s\t-\n", argv[i]);
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: dns_lookup [--default SERVERS] [--cancel] [--stop-after MS] [--servers] TIMEOUT_MS "
			"TRIES SERVER NAME TYPE...\n       dns_lookup --dnsbl ZONE IP...\n");
	return 64;
}

static void print_servers(const char *label, struct ares_channeldata *ch)
{
	char **v;
	size_t n = loop_dns_servers(ch, &v);

	printf("servers\t%s\t", label);
	for (size_t i = 0; i < n; i++) {
		printf("%s%s", i > 0 ? "," : "", v[i]);
		free(v[i]);
	}
	printf("\n");
	free(v);
}

int main(int argc, char **argv)
{
	const char *defservers = "";
	bool cancel = false, servers = false;
	int stop_after = -1, i = 1, timeout_ms, tries, rc = 0;
	struct ares_channeldata **seen;
	struct job *jobs;
	size_t njobs, nseen = 0;
	char err[256];

	if (argc >= 3 && strcmp(argv[1], "--dnsbl") == 0)
		return dnsbl(argc, argv);
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--default") == 0 && i + 1 < argc)
			defservers = argv[++i];
		else if (strcmp(argv[i], "--cancel") == 0)
			cancel = true;
		else if (strcmp(argv[i], "--servers") == 0)
			servers = true;
		else if (strcmp(argv[i], "--stop-after") == 0 && i + 1 < argc)
			stop_after = atoi(argv[++i]);
		else
			return usage();
	}
	if (argc - i < 5 || (argc - i - 2) % 3 != 0)
		return usage();
	timeout_ms = atoi(argv[i]);
	tries = atoi(argv[i + 1]);
	i += 2;
	njobs = (size_t)(argc - i) / 3;
	jobs = calloc(njobs, sizeof(*jobs));
	seen = calloc(njobs, sizeof(*seen));
	L = loop_new(err, sizeof(err));
	if (jobs == NULL || seen == NULL || L == NULL) {
		fprintf(stderr, "dns_lookup: %s\n", L == NULL ? err : "out of memory");
		return 70;
	}
	/* Every channel first: a refused server is a configuration error before any question goes out. */
	for (size_t k = 0; k < njobs; k++) {
		struct job *j = &jobs[k];
		bool dup = false;

		j->server = argv[i + 3 * (int)k];
		j->name = argv[i + 3 * (int)k + 1];
		j->type = argv[i + 3 * (int)k + 2];
		if (strcmp(j->server, "none") == 0)
			continue;
		if (strcmp(j->server, "default") == 0)
			j->ch = loop_dns(L, defservers, timeout_ms, tries, err, sizeof(err));
		else
			j->ch = loop_dns_server(L, j->server, timeout_ms, tries, err, sizeof(err));
		if (j->ch == NULL) {
			fprintf(stderr, "dns_lookup: %s\n", err);
			rc = 78;
			goto out;
		}
		for (size_t s = 0; s < nseen && !dup; s++)
			dup = seen[s] == j->ch;
		if (!dup) {
			seen[nseen++] = j->ch;
			if (servers)
				print_servers(j->server, j->ch);
		}
	}
	starting = true;
	for (size_t k = 0; k < njobs; k++) {
		struct job *j = &jobs[k];
		enum dns_qtype t;

		if (!qtype(j->type, &t)) {
			fprintf(stderr, "dns_lookup: %s: not A, AAAA, MX or TXT\n", j->type);
			rc = 64;
			goto out;
		}
		if (cancel)
			dns_cancel(dns_lookup(L, j->ch, j->name, t, twin_answered, j));
		pending++;
		dns_lookup(L, j->ch, j->name, t, answered, j);
	}
	starting = false;
	if (stop_after >= 0)
		loop_timer_add(L, (unsigned)stop_after, false, stop, NULL);
	if (pending > 0)
		loop_run(L);
out:
	/* Answers still missing come from here (ARES_EDESTRUCTION). */
	loop_free(L);
	if (rc == 0) {
		printf("channels\t%zu\n", nseen);
		for (size_t k = 0; k < njobs; k++)
			if (!jobs[k].answered) {
				fprintf(stderr, "dns_lookup: %s %s never answered\n", jobs[k].name, jobs[k].type);
				errors++;
			}
	}
	free(jobs);
	free(seen);
	if (rc == 0 && errors > 0)
		rc = 70;
	return rc;
}

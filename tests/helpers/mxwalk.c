/*
 * tests/helpers/mxwalk.c: dns_mx (or dns_host) for several names at once on
 * one loop, as the callahead plugin walks them, printing what each came to.
 *
 *   mxwalk SERVERS TIMEOUT_MS TRIES PORT ALLOW_PRIVATE [--host] [--cancel-after MS]
 *          [--stop-after MS] NAME...
 *
 * SERVERS as [dns] servers ("" = /etc/resolv.conf; "none" = no channel at
 * all, the no-resolver case). One line per name as it completes:
 *
 *   name<TAB>status<TAB>implicit<TAB>targets[<TAB>why]
 *
 * status is ok/nxdomain/nullmx/noaddr/none/fail; targets "host/ip:port"
 * (IPv6 as host/[ip]:port) separated by spaces; why follows for
 * fail/none/noaddr. Every MX host goes to stderr:
 * "name<TAB>host<TAB>pref<TAB>status<TAB>ms<TAB>addrs<TAB>skipped".
 *
 * --cancel-after MS starts a second query per name and cancels it MS ms
 * later (0: at once); its callback running after that is an error.
 * --stop-after MS leaves the loop after MS ms and frees it: the answers
 * still missing then come from loop_free(). The helper fails (exit 70)
 * when a callback runs from inside dns_mx/dns_host, twice, or never.
 * Exit 0 otherwise.
 *
 *   mxwalk --classify ADDR...
 *
 * prints "addr<TAB>why" per address from dns_addr_private ("public" when
 * it is not skipped).
 */
#include <ares.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backend/backend.h"

struct job {
	const char *name;
	struct dns_query *q;
	bool answered;
	/* the twin cancelled later */
	struct dns_query *twin;
	bool twin_answered, twin_cancelled;
	struct loop_timer *cancel_timer;
};

static struct loop *L;
static int pending;
static bool starting;
static int errors;

static const char *status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_NULLMX:
		return "nullmx";
	case DNS_NOADDR:
		return "noaddr";
	case DNS_NONE:
		return "none";
	case DNS_FAIL:
		return "fail";
	}
	return "?";
}

static void check_async(const char *what, const char *name)
{
	if (starting) {
		fprintf(stderr, "mxwalk: %s: callback for %s ran inside the call\n", what, name);
		errors++;
	}
}

static void answered(void *arg, const struct dns_mx_result *r)
{
	struct job *j = arg;

	check_async("answer", j->name);
	if (j->answered) {
		fprintf(stderr, "mxwalk: %s answered twice\n", j->name);
		errors++;
		return;
	}
	j->answered = true;
	j->q = NULL;
	printf("%s\t%s\t%d\t", j->name, status_name(r->status), r->implicit ? 1 : 0);
	for (size_t i = 0; i < r->n; i++) {
		const struct dns_target *t = &r->targets[i];
		int port = t->sa.ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)&t->sa)->sin6_port)
						       : ntohs(((const struct sockaddr_in *)&t->sa)->sin_port);
		printf(strchr(t->ip, ':') != NULL ? "%s%s/[%s]:%d" : "%s%s/%s:%d", i > 0 ? " " : "", t->host, t->ip,
		       port);
	}
	if (r->status == DNS_FAIL || r->status == DNS_NONE || r->status == DNS_NOADDR)
		printf("\t%s", r->why);
	printf("\n");
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct dns_host *h = &r->hosts[i];
		fprintf(stderr, "%s\t%s\t%d\t%s\t%lld\t%s\t%s\n", j->name, h->host, h->pref,
			h->status == ARES_SUCCESS ? "ok" : ares_strerror(h->status), (long long)h->ms, h->addrs,
			h->skipped);
	}
	fflush(stdout);
	if (--pending == 0)
		loop_break(L);
}

static void twin_answered(void *arg, const struct dns_mx_result *r)
{
	struct job *j = arg;

	(void)r;
	check_async("twin", j->name);
	if (j->twin_cancelled || j->twin_answered) {
		fprintf(stderr, "mxwalk: %s: callback after cancel or twice\n", j->name);
		errors++;
		return;
	}
	j->twin_answered = true;
	j->twin = NULL;
	if (--pending == 0)
		loop_break(L);
}

static void stop(void *arg)
{
	(void)arg;
	fprintf(stderr, "mxwalk: stopping with %d pending\n", pending);
	loop_break(L);
}

static void cancel_twin(void *arg)
{
	struct job *j = arg;

	loop_timer_del(j->cancel_timer);
	j->cancel_timer = NULL;
	if (j->twin == NULL)
		return; /* it answered first */
	dns_cancel(j->twin);
	j->twin = NULL;
	j->twin_cancelled = true;
	if (--pending == 0)
		loop_break(L);
}

static int classify(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
		const struct sockaddr *sa;
		const char *why;

		if (inet_pton(AF_INET, argv[i], &sin.sin_addr) == 1) {
			sa = (const struct sockaddr *)&sin;
		} else if (inet_pton(AF_INET6, argv[i], &sin6.sin6_addr) == 1) {
			sa = (const struct sockaddr *)&sin6;
		} else {
			fprintf(stderr, "mxwalk: not an address: %s\n", argv[i]);
			return 64;
		}
		printf("%s\t%s\n", argv[i], dns_addr_private(sa, &why) ? why : "public");
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[256];
	struct ares_channeldata *ch = NULL;
	struct job *jobs;
	bool host = false;
	int cancel_after = -1, stop_after = -1, first = 6, port, allow;

	if (argc >= 2 && strcmp(argv[1], "--classify") == 0)
		return classify(argc, argv);
	if (argc < 7) {
		fprintf(stderr,
			"usage: mxwalk SERVERS TIMEOUT_MS TRIES PORT ALLOW_PRIVATE [--host] [--cancel-after MS]\n"
			"              [--stop-after MS] NAME...\n"
			"       mxwalk --classify ADDR...\n");
		return 64;
	}
	port = atoi(argv[4]);
	allow = atoi(argv[5]);
	for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
		if (strcmp(argv[first], "--host") == 0) {
			host = true;
		} else if (strcmp(argv[first], "--cancel-after") == 0 && first + 1 < argc) {
			cancel_after = atoi(argv[++first]);
		} else if (strcmp(argv[first], "--stop-after") == 0 && first + 1 < argc) {
			stop_after = atoi(argv[++first]);
		} else {
			fprintf(stderr, "mxwalk: unknown option %s\n", argv[first]);
			return 64;
		}
	}
	L = loop_new(err, sizeof(err));
	if (L == NULL) {
		fprintf(stderr, "mxwalk: %s\n", err);
		return 70;
	}
	if (strcmp(argv[1], "none") != 0) {
		ch = loop_dns(L, argv[1], atoi(argv[2]), atoi(argv[3]), err, sizeof(err));
		if (ch == NULL) {
			fprintf(stderr, "mxwalk: %s\n", err);
			loop_free(L);
			return 78;
		}
	}
	jobs = calloc((size_t)argc, sizeof(*jobs));
	for (int i = first; i < argc; i++) {
		struct job *j = &jobs[i];

		j->name = argv[i];
		pending++;
		starting = true;
		j->q = host ? dns_host(L, ch, j->name, port, answered, j)
			    : dns_mx(L, ch, j->name, port, allow != 0, answered, j);
		starting = false;
		if (cancel_after < 0)
			continue;
		pending++;
		starting = true;
		j->twin = host ? dns_host(L, ch, j->name, port, twin_answered, j)
			       : dns_mx(L, ch, j->name, port, allow != 0, twin_answered, j);
		starting = false;
		if (cancel_after == 0)
			cancel_twin(j);
		else
			j->cancel_timer = loop_timer_add(L, (unsigned)cancel_after, false, cancel_twin, j);
	}
	if (stop_after >= 0)
		loop_timer_add(L, (unsigned)stop_after, false, stop, NULL);
	if (pending > 0)
		loop_run(L);
	/* Cancelled queries still waiting on c-ares are freed by the channel's
	 * destruction; queries not cancelled answer from here. */
	loop_free(L);
	for (int i = first; i < argc; i++)
		if (!jobs[i].answered) {
			fprintf(stderr, "mxwalk: %s never answered\n", jobs[i].name);
			errors++;
		}
	free(jobs);
	return errors > 0 ? 70 : 0;
}

/*
 * tests/helpers/dns_probe.c: MX look-ups through the loop's c-ares channel,
 * all at once, while a 20 ms timer ticks on the same loop. The tests use it
 * to show that c-ares is driven by the loop (answers arrive through
 * ARES_OPT_SOCK_STATE_CB events) and that a slow answer blocks nothing: the
 * fast names answer at once and the timer keeps ticking meanwhile.
 *
 *   dns_probe SERVERS TIMEOUT_MS TRIES NAME...
 *
 * Prints one line per name as it completes, "name<TAB>status<TAB>ms<TAB>mx
 * list", then "ticks<TAB>N<TAB>ms" for the whole run.
 */
#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../backend/backend.h"

static struct loop *L;
static int pending;
static long ticks;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long t0;

struct q {
	const char *name;
};

static void tick(void *arg)
{
	(void)arg;
	ticks++;
}

static void answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct q *q = arg;
	struct ares_mx_reply *mx = NULL;
	char list[1024] = "";
	size_t o = 0;

	(void)timeouts;
	if (status == ARES_SUCCESS && ares_parse_mx_reply(abuf, alen, &mx) == ARES_SUCCESS) {
		for (struct ares_mx_reply *m = mx; m != NULL && o < sizeof(list) - 1; m = m->next)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u:%s", o ? "," : "", m->priority,
					      m->host[0] ? m->host : ".");
		ares_free_data(mx);
	}
	printf("%s\t%s\t%lld\t%s\n", q->name, status == ARES_SUCCESS ? "ok" : ares_strerror(status),
	       now_ms() - t0, list);
	fflush(stdout);
	if (--pending == 0)
		loop_break(L);
}

int main(int argc, char **argv)
{
	char err[256];
	struct ares_channeldata *ch;
	struct q *qs;

	if (argc < 5) {
		fprintf(stderr, "usage: dns_probe SERVERS TIMEOUT_MS TRIES NAME...\n");
		return 64;
	}
	L = loop_new(err, sizeof(err));
	if (L == NULL) {
		fprintf(stderr, "dns_probe: %s\n", err);
		return 70;
	}
	ch = loop_dns(L, argv[1], atoi(argv[2]), atoi(argv[3]), err, sizeof(err));
	if (ch == NULL) {
		fprintf(stderr, "dns_probe: %s\n", err);
		loop_free(L);
		return 78;
	}
	t0 = now_ms();
	qs = calloc((size_t)argc, sizeof(*qs));
	for (int i = 4; i < argc; i++) {
		qs[i].name = argv[i];
		pending++;
		ares_query(ch, argv[i], 1 /* C_IN */, 15 /* T_MX */, answered, &qs[i]);
	}
	loop_timer_add(L, 20, true, tick, NULL);
	if (pending > 0)
		loop_run(L);
	printf("ticks\t%ld\t%lld\n", ticks, now_ms() - t0);
	loop_free(L);
	free(qs);
	return 0;
}

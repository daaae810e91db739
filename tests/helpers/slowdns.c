/*
 * tests/helpers/slowdns.c: a UDP DNS forwarder on 127.0.0.1 that answers
 * late for one name. dnsmasq has no delay option, and "slow DNS answers for
 * one domain" is the incident the console must survive without blocking.
 *
 *   slowdns LISTEN_PORT UPSTREAM_PORT SLOW_NAME DELAY_MS
 *
 * LISTEN_PORT 0 picks a free port; the port is printed on stdout. Queries
 * for SLOW_NAME or any name ending in it are held DELAY_MS before they go
 * upstream; others go at once. Replies go back unchanged (same ID and
 * question). One thread, one poll loop; stops on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAXQ = 256, PKT = 4096 };

struct pending {
	bool used, sent;
	long long due_ms;
	struct sockaddr_in client;
	unsigned char pkt[PKT];
	ssize_t len;
	int up; /* socket connected to the upstream, once sent */
};

static struct pending q[MAXQ];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The question name as "a.b.c" (lower case), from byte 12 of the packet. */
static void qname(const unsigned char *p, ssize_t len, char *out, size_t outlen)
{
	size_t o = 0;
	ssize_t i = 12;

	while (i < len && p[i] != 0 && o + 1 < outlen) {
		unsigned n = p[i++];
		if (n > 63)
			break;
		if (o > 0 && o + 1 < outlen)
			out[o++] = '.';
		for (unsigned j = 0; j < n && i < len && o + 1 < outlen; j++, i++) {
			unsigned char c = p[i];
			out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
	}
	out[o] = '\0';
}

static bool is_slow(const char *name, const char *slow)
{
	size_t n = strlen(name), s = strlen(slow);

	if (n < s || strcasecmp(name + n - s, slow) != 0)
		return false;
	return n == s || name[n - s - 1] == '.';
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, up = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	long delay;
	int ls;

	if (argc != 5) {
		fprintf(stderr, "usage: slowdns LISTEN_PORT UPSTREAM_PORT SLOW_NAME DELAY_MS\n");
		return 64;
	}
	delay = strtol(argv[4], NULL, 10);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	up.sin_port = htons((unsigned short)atoi(argv[2]));
	ls = socket(AF_INET, SOCK_DGRAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
		perror("slowdns: bind");
		return 69;
	}
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);

	for (;;) {
		struct pollfd fds[MAXQ + 1];
		int idx[MAXQ + 1], nf = 0, timeout = 1000;
		long long t = now_ms();

		/* Send what is due. */
		for (int i = 0; i < MAXQ; i++) {
			if (!q[i].used || q[i].sent)
				continue;
			if (q[i].due_ms <= t) {
				q[i].up = socket(AF_INET, SOCK_DGRAM, 0);
				if (q[i].up < 0 || connect(q[i].up, (struct sockaddr *)&up, sizeof(up)) != 0 ||
				    send(q[i].up, q[i].pkt, (size_t)q[i].len, 0) < 0) {
					if (q[i].up >= 0)
						close(q[i].up);
					q[i].used = false;
					continue;
				}
				q[i].sent = true;
				q[i].due_ms = t + 10000; /* give up on the upstream after 10 s */
			} else if (q[i].due_ms - t < timeout) {
				timeout = (int)(q[i].due_ms - t);
			}
		}
		fds[nf].fd = ls;
		fds[nf].events = POLLIN;
		idx[nf++] = -1;
		for (int i = 0; i < MAXQ; i++) {
			if (!q[i].used || !q[i].sent)
				continue;
			if (q[i].due_ms <= t) { /* upstream never answered */
				close(q[i].up);
				q[i].used = false;
				continue;
			}
			fds[nf].fd = q[i].up;
			fds[nf].events = POLLIN;
			idx[nf++] = i;
		}
		if (poll(fds, (nfds_t)nf, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("slowdns: poll");
			return 70;
		}
		for (int k = 0; k < nf; k++) {
			if (!(fds[k].revents & POLLIN))
				continue;
			if (idx[k] < 0) {
				struct sockaddr_in from;
				socklen_t flen = sizeof(from);
				unsigned char pkt[PKT];
				ssize_t n = recvfrom(ls, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &flen);
				char name[256];
				int slot = -1;

				if (n < 12)
					continue;
				for (int i = 0; i < MAXQ; i++)
					if (!q[i].used) {
						slot = i;
						break;
					}
				if (slot < 0)
					continue; /* full: drop, as a loaded server would */
				qname(pkt, n, name, sizeof(name));
				q[slot].used = true;
				q[slot].sent = false;
				q[slot].client = from;
				memcpy(q[slot].pkt, pkt, (size_t)n);
				q[slot].len = n;
				q[slot].due_ms = now_ms() + (is_slow(name, argv[3]) ? delay : 0);
			} else {
				struct pending *p = &q[idx[k]];
				unsigned char pkt[PKT];
				ssize_t n = recv(p->up, pkt, sizeof(pkt), 0);

				if (n > 0)
					sendto(ls, pkt, (size_t)n, 0, (struct sockaddr *)&p->client, sizeof(p->client));
				close(p->up);
				p->used = false;
			}
		}
	}
}

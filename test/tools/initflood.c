/* initflood — an attacker on the network between hosts, for
 * test_remote_faults.sh: sends a QUIC server a bounded flood of real
 * client Initials (each a fresh ClientHello under a fresh connection ID,
 * so each would open a connection of its own), from forged source
 * addresses that nobody answers at. The Initials are made by src/quic.c
 * itself (a client endpoint that connects to a capture socket of this
 * process), so this tool holds no QUIC code of its own; each captured
 * Initial is then sent from a forged address (IP_TRANSPARENT), and the
 * client's connection dropped.
 *
 *   initflood KEY TARGET SRC NADDRS COUNT RATE
 * KEY: a host key (the client's certificate; never checked, the
 * handshake never gets that far). TARGET: ADDRESS:PORT of the server.
 * SRC: the first forged IPv4 address; the Initials come from SRC,
 * SRC+1, ... SRC+NADDRS-1 in turn. COUNT Initials in all, RATE a second.
 * Prints "sent N Initials from K addresses in T ms". Exit 0, or 1 with a
 * line saying what failed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hostkey.h"
#include "hosts.h"
#include "quic.h"

static int die(const char *what)
{
	fprintf(stderr, "initflood: %s: %s\n", what, strerror(errno));
	return 1;
}

/* The next Initial of ep's client, caught on cap. */
static ssize_t make_initial(struct quic_ep *ep, const struct host *h, int cap,
			    uint8_t *buf, size_t size)
{
	struct quic_conn *c;
	if (quic_connect(ep, h, &c) < 0)
		return -1;
	struct pollfd p = { .fd = cap, .events = POLLIN };
	ssize_t n = -1;
	if (poll(&p, 1, 1000) == 1)
		n = recv(cap, buf, size, 0);
	quic_conn_close(c);
	/* Its CONNECTION_CLOSE, and anything else it sent: not sent on. */
	uint8_t junk[2048];
	while (recv(cap, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	return n;
}

/* One datagram to target from a forged address. */
static int send_forged(struct in_addr src, uint16_t port,
		       const struct sockaddr *target, socklen_t tlen,
		       const uint8_t *buf, size_t n)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	if (s < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = src,
				  .sin_port = htons(port) };
	int r = setsockopt(s, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
	if (r == 0)
		r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	if (r == 0 && sendto(s, buf, n, 0, target, tlen) != (ssize_t)n)
		r = -1;
	close(s);
	return r;
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: initflood KEY TARGET SRC NADDRS COUNT "
				"RATE\n");
		return 2;
	}
	struct sockaddr_storage target;
	socklen_t tlen;
	struct in_addr src;
	unsigned naddrs = (unsigned)atoi(argv[4]), count = (unsigned)atoi(argv[5]),
		 rate = (unsigned)atoi(argv[6]);
	if (hosts_parse_addr(argv[2], &target, &tlen) < 0 ||
	    inet_pton(AF_INET, argv[3], &src) != 1 || !naddrs || !rate ||
	    count > 100000) {
		fprintf(stderr, "initflood: bad arguments\n");
		return 2;
	}
	/* The capture socket stands for the server: the client endpoint's
	 * hosts file places it there. */
	int cap = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in ca = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t calen = sizeof(ca);
	if (cap < 0 || bind(cap, (struct sockaddr *)&ca, sizeof(ca)) < 0 ||
	    getsockname(cap, (struct sockaddr *)&ca, &calen) < 0)
		return die("capture socket");
	struct error e = { "" };
	uint8_t key[HOST_KEY_SIZE];
	char text[256], keytext[HOST_KEY_TEXT_SIZE];
	if (hostkey_fingerprint(argv[1], key, &e) < 0) {
		fprintf(stderr, "initflood: %s\n", e.msg);
		return 1;
	}
	hosts_format_key(key, keytext);
	int tl = snprintf(text, sizeof(text), "server 127.0.0.1:%u %s\n",
			  ntohs(ca.sin_port), keytext);
	struct hosts hosts;
	if (hosts_parse(text, (size_t)tl, &hosts, &e) < 0) {
		fprintf(stderr, "initflood: %s\n", e.msg);
		return 1;
	}
	struct quic_opts o = { .key_path = argv[1], .hosts = &hosts };
	struct sockaddr_in *b = (struct sockaddr_in *)&o.bind;
	b->sin_family = AF_INET;
	b->sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* any port */
	o.bindlen = sizeof(*b);
	struct quic_ep *ep;
	if (quic_open(&o, &ep, &e) < 0) {
		fprintf(stderr, "initflood: %s\n", e.msg);
		return 1;
	}
	const struct host *h = hosts_by_name(&hosts, "server");
	uint64_t t0 = now_ms();
	unsigned sent = 0;
	for (unsigned i = 0; i < count; i++) {
		uint8_t buf[2048];
		ssize_t n = make_initial(ep, h, cap, buf, sizeof(buf));
		if (n <= 0)
			return die("an Initial from quic.c");
		struct in_addr a = { htonl(ntohl(src.s_addr) + i % naddrs) };
		if (send_forged(a, (uint16_t)(20000 + i % 40000),
				(struct sockaddr *)&target, tlen, buf,
				(size_t)n) < 0)
			return die("send from a forged address");
		sent++;
		/* Paced: i+1 Initials by (i+1)/rate s. */
		uint64_t due = t0 + (uint64_t)(i + 1) * 1000 / rate, t = now_ms();
		if (due > t)
			usleep((useconds_t)(due - t) * 1000);
	}
	printf("sent %u Initials from %u addresses in %llu ms\n", sent,
	       naddrs < count ? naddrs : count,
	       (unsigned long long)(now_ms() - t0));
	quic_close(ep);
	hosts_free(&hosts);
	close(cap);
	return 0;
}

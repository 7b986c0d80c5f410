/* tcpbench — the baselines of links across hosts in `make bench`
 * (tools/bench-remote, docs/BENCH.md section 8): plain TCP, and TCP with
 * TLS 1.3 through GnuTLS, both ends, run in the two namespaces that the
 * QUIC figures cross. The same work as quicpeer's bench modes and
 * fkbench: a ping-pong of one size, a stream of 4096-byte messages.
 *
 *   tcpbench serve [--tls KEY] BIND
 *       serves one connection at a time, until SIGTERM. A connection
 *       starts with a header (mode, size, count); 'e': echoes count
 *       messages of size bytes, the first byte turned into 'o'; 's':
 *       reads count * size bytes, then answers the count (8 bytes).
 *   tcpbench rtt [--tls KEY] PEER SIZE ROUNDS WARMUP
 *       WARMUP untimed round trips, then ROUNDS timed ones (from the send
 *       to the whole echo read), each echo checked. Prints "rtt SIZE
 *       ROUNDS MEDIAN_NS P10_NS P90_NS", then "cpu USER_NS SYS_NS", this
 *       process's CPU time a timed round trip.
 *   tcpbench stream [--tls KEY] PEER SIZE COUNT
 *       after the connection (and handshake), COUNT messages of SIZE
 *       bytes, one send (one TLS record) each, then the answer; timed
 *       from the first send to the answer, which must be COUNT. Prints
 *       "stream COUNT BYTES NS".
 * With --tls, both ends present a self-signed certificate of their host
 * key (src/hostkey.c, as quic.c does), with the AEADs quic.c allows, and
 * print "tls VERSION CIPHER" on stderr. The handshake is never timed.
 * TCP_NODELAY on both ends: QUIC sends a datagram at once too. Every
 * read and write has a 30 s timeout. Exit 0, 1 with the reason, 2 usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "hostkey.h"
#include "hosts.h"

#define ME "tcpbench"
#define MSG_MAX 65536
#define IO_TIMEOUT_S 30
/* The AEADs quic.c's handshake may choose, so that both encrypt alike. */
#define PRIORITY                                                          \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"         \
	"+AES-256-GCM:+CHACHA20-POLY1305"

struct hdr {
	char mode;
	uint32_t size;
	uint64_t count;
} __attribute__((packed));

/* One connection: a socket, and a TLS session over it or none. */
struct conn {
	int fd;
	gnutls_session_t tls;
};

static struct hostkey hk;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int die(const char *what, const char *why)
{
	fprintf(stderr, ME ": %s: %s\n", what, why);
	return 1;
}

/* Mutual, and the handshake is not what is measured: a peer must show a
 * certificate of a host key, whichever. */
static int verify(gnutls_session_t s)
{
	uint8_t fp[HOST_KEY_SIZE], inst[HOSTKEY_INSTANCE_SIZE];
	size_t ilen = sizeof(inst);
	return hostkey_peer(s, fp, inst, &ilen) == 0 ? 0 : -1;
}

static int send_all(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = c->tls ? gnutls_record_send(c->tls, p, len)
				   : send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (c->tls ? n == GNUTLS_E_AGAIN ||
						 n == GNUTLS_E_INTERRUPTED
				      : errno == EINTR))
			continue;
		if (n <= 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Up to len bytes (at least one), or -EIO at an error or end of file. */
static ssize_t recv_some(struct conn *c, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = c->tls ? gnutls_record_recv(c->tls, buf, len)
				   : recv(c->fd, buf, len, 0);
		if (n < 0 && (c->tls ? n == GNUTLS_E_AGAIN ||
						 n == GNUTLS_E_INTERRUPTED
				      : errno == EINTR))
			continue;
		return n > 0 ? n : -EIO;
	}
}

static int recv_all(struct conn *c, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = recv_some(c, p, len);
		if (n < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sock_opts(int fd)
{
	int one = 1;
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
			       setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
					  sizeof(tv)) ||
			       setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
					  sizeof(tv))
		       ? -errno
		       : 0;
}

/* The TLS session over c->fd, handshaken, when --tls was given. */
static int tls_start(struct conn *c, bool server)
{
	if (!hk.cred)
		return 0;
	if (gnutls_init(&c->tls, server ? GNUTLS_SERVER : GNUTLS_CLIENT) < 0 ||
	    gnutls_priority_set_direct(c->tls, PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, hk.cred) < 0)
		return die("TLS", "session set-up"), -EPROTO;
	if (server)
		gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUIRE);
	gnutls_transport_set_int(c->tls, c->fd);
	int r;
	do
		r = gnutls_handshake(c->tls);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0)
		return die("TLS handshake", gnutls_strerror(r)), -EPROTO;
	fprintf(stderr, "tls %s %s\n",
		gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls)),
		gnutls_cipher_get_name(gnutls_cipher_get(c->tls)));
	return 0;
}

static void conn_end(struct conn *c)
{
	if (c->tls) {
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
	}
	close(c->fd);
	c->tls = NULL;
}

static int parse(const char *s, struct sockaddr_in *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (hosts_parse_addr(s, &ss, &len) < 0 || ss.ss_family != AF_INET)
		return -EINVAL;
	memcpy(a, &ss, sizeof(*a));
	return 0;
}

/* --- the server ---------------------------------------------------------- */

static int serve_one(struct conn *c)
{
	static char buf[MSG_MAX];
	struct hdr h;
	if (sock_opts(c->fd) < 0 || tls_start(c, true) < 0 ||
	    recv_all(c, &h, sizeof(h)) < 0 || h.size < 1 || h.size > MSG_MAX)
		return -EPROTO;
	if (h.mode == 'e') {
		for (uint64_t i = 0; i < h.count; i++) {
			if (recv_all(c, buf, h.size) < 0)
				return -EIO;
			buf[0] = 'o';
			if (send_all(c, buf, h.size) < 0)
				return -EIO;
		}
		return 0;
	}
	uint64_t left = h.count * h.size;
	while (left) {
		ssize_t n = recv_some(c, buf, left < MSG_MAX ? left : MSG_MAX);
		if (n < 0)
			return (int)n;
		left -= (uint64_t)n;
	}
	return send_all(c, &h.count, sizeof(h.count));
}

static int serve(const char *bind_to)
{
	struct sockaddr_in a;
	int one = 1;
	if (parse(bind_to, &a) < 0)
		return die(bind_to, "not an address:port");
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4))
		return die(bind_to, strerror(errno));
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct conn c = { .fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC) };
		if (c.fd < 0)
			continue; /* EINTR: stop is set */
		if (serve_one(&c) < 0)
			fprintf(stderr, ME ": a connection failed\n");
		conn_end(&c);
	}
	close(ls);
	return 0;
}

/* --- the client ---------------------------------------------------------- */

static int dial(struct conn *c, const char *peer, char mode, uint32_t size,
		uint64_t count)
{
	struct sockaddr_in a;
	if (parse(peer, &a) < 0)
		return die(peer, "not an address:port");
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || sock_opts(c->fd) < 0 ||
	    connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return die(peer, strerror(errno));
	if (tls_start(c, false) < 0)
		return 1;
	struct hdr h = { mode, size, count };
	return send_all(c, &h, sizeof(h)) < 0 ? die(peer, "header") : 0;
}

static int rtt(const char *peer, long size, long rounds, long warmup)
{
	static char buf[MSG_MAX], got[MSG_MAX];
	struct conn c = { -1, NULL };
	uint64_t *t = calloc((size_t)rounds, sizeof(*t));
	if (!t || size > MSG_MAX ||
	    dial(&c, peer, 'e', (uint32_t)size, (uint64_t)(rounds + warmup)))
		return 1;
	uint64_t u0 = 0, s0 = 0, u1, s1;
	for (long i = -warmup; i < rounds; i++) {
		if (i == 0)
			bench_cpu(&u0, &s0);
		memset(buf, 'a' + (int)((i + warmup) % 26), (size_t)size);
		buf[0] = 'i';
		uint64_t t0 = bench_now();
		if (send_all(&c, buf, (size_t)size) < 0 ||
		    recv_all(&c, got, (size_t)size) < 0)
			return die(peer, "round trip failed");
		uint64_t t1 = bench_now();
		buf[0] = 'o';
		if (memcmp(got, buf, (size_t)size) != 0)
			return die(peer, "wrong echo");
		if (i >= 0)
			t[i] = t1 - t0;
	}
	bench_cpu(&u1, &s1);
	uint64_t p10 = bench_pct(t, (size_t)rounds, 10);
	uint64_t p90 = bench_pct(t, (size_t)rounds, 90);
	printf("rtt %ld %ld %llu %llu %llu\n", size, rounds,
	       (unsigned long long)bench_pct(t, (size_t)rounds, 50),
	       (unsigned long long)p10, (unsigned long long)p90);
	printf("cpu %llu %llu\n", (unsigned long long)((u1 - u0) / (uint64_t)rounds),
	       (unsigned long long)((s1 - s0) / (uint64_t)rounds));
	conn_end(&c);
	free(t);
	return 0;
}

static int stream(const char *peer, long size, long count)
{
	static char buf[MSG_MAX];
	struct conn c = { -1, NULL };
	uint64_t n;
	if (size > MSG_MAX || dial(&c, peer, 's', (uint32_t)size, (uint64_t)count))
		return 1;
	memset(buf, 'x', (size_t)size);
	uint64_t t0 = bench_now();
	for (long i = 0; i < count; i++)
		if (send_all(&c, buf, (size_t)size) < 0)
			return die(peer, "send failed");
	if (recv_all(&c, &n, sizeof(n)) < 0)
		return die(peer, "no answer");
	uint64_t t1 = bench_now();
	if (n != (uint64_t)count)
		return die(peer, "the server counted another number");
	printf("stream %ld %llu %llu\n", count,
	       (unsigned long long)count * (unsigned long long)size,
	       (unsigned long long)(t1 - t0));
	conn_end(&c);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: " ME " serve [--tls KEY] BIND\n"
			"       " ME " rtt [--tls KEY] PEER SIZE ROUNDS WARMUP\n"
			"       " ME " stream [--tls KEY] PEER SIZE COUNT\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return usage();
	const char *cmd = argv[1];
	argv += 2;
	argc -= 2;
	if (argc >= 2 && !strcmp(argv[0], "--tls")) {
		struct error e = { { 0 } };
		if (hostkey_open(&hk, argv[1], verify, &e) < 0)
			return die(argv[1], e.msg);
		argv += 2;
		argc -= 2;
	}
	int r;
	if (!strcmp(cmd, "serve") && argc == 1)
		r = serve(argv[0]);
	else if (!strcmp(cmd, "rtt") && argc == 4)
		r = rtt(argv[0], bench_number(argv[1], 1),
			bench_number(argv[2], 1), bench_number(argv[3], 0));
	else if (!strcmp(cmd, "stream") && argc == 3)
		r = stream(argv[0], bench_number(argv[1], 1),
			   bench_number(argv[2], 1));
	else
		r = usage();
	hostkey_close(&hk);
	return r;
}

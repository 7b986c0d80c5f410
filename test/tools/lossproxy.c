/* lossproxy — a UDP relay that makes the network unreliable, for
 * test_quic.sh (this kernel has no netem). Packets to LISTEN go on to
 * TARGET from a socket of its own; the answers go back to whoever sent
 * last to LISTEN. Each packet, each way, is dropped, duplicated or held
 * back behind the next one (reordered), with the given percentages, from
 * a seeded generator so that a run can be repeated. A held packet waits at
 * most 5 ms, and one at a time each way: the disorder is bounded.
 *
 *   lossproxy LISTEN TARGET LOSS% DUP% REORDER% SEED
 *
 * On SIGTERM it prints "lossproxy: passed P dropped D duplicated U
 * reordered R" on stderr and exits 0.
 *
 * On SIGUSR1 it replays, to TARGET from its own socket as if the client
 * sent them again, two packets it relayed that way: the client's first
 * QUIC Initial, and the latest 1-RTT (short header) packet of at least
 * 1000 bytes, one that carries a link's data; then prints "lossproxy:
 * replayed the first Initial (N bytes) and a 1-RTT packet (M bytes)", for
 * test_remote_faults.sh. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOLD_MS 5

static volatile sig_atomic_t stop, replay;
static unsigned long passed, dropped, duplicated, reordered;
static unsigned long long rng;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	replay = 1;
}

/* What SIGUSR1 replays, kept as the client's packets go by. */
static unsigned char first_initial[65536], latest_data[65536];
static size_t first_initial_len, latest_data_len;

static void keep(const unsigned char *p, size_t n)
{
	/* QUIC v1: a long header with type Initial is 0b1100xxxx; a short
	 * header's first bit is 0. */
	if (!first_initial_len && n >= 1200 && (p[0] & 0xf0) == 0xc0) {
		memcpy(first_initial, p, n);
		first_initial_len = n;
	} else if (n >= 1000 && !(p[0] & 0x80)) {
		memcpy(latest_data, p, n);
		latest_data_len = n;
	}
}

static unsigned pct(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % 100);
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char ip[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

struct way {
	int in, out; /* read from in, send from out to to */
	struct sockaddr_in to;
	int have_to;
	unsigned char held[65536];
	ssize_t held_len; /* 0: none */
	long held_since;
};

static void emit(struct way *w, const unsigned char *p, size_t n)
{
	if (w->have_to)
		(void)sendto(w->out, p, n, 0, (struct sockaddr *)&w->to,
			     sizeof(w->to));
}

static void release(struct way *w)
{
	if (w->held_len > 0) {
		emit(w, w->held, (size_t)w->held_len);
		w->held_len = 0;
	}
}

static void relay(struct way *w, const unsigned char *p, size_t n,
		  unsigned loss, unsigned dup, unsigned reorder)
{
	if (pct() < loss) {
		dropped++;
		return;
	}
	passed++;
	if (w->held_len == 0 && pct() < reorder) {
		reordered++;
		memcpy(w->held, p, n);
		w->held_len = (ssize_t)n;
		w->held_since = now_ms();
		return;
	}
	emit(w, p, n);
	if (pct() < dup) {
		duplicated++;
		emit(w, p, n);
	}
	release(w); /* the held one goes after this one: reordered */
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: lossproxy LISTEN TARGET LOSS%% DUP%% "
				"REORDER%% SEED\n");
		return 2;
	}
	struct sockaddr_in listen_at, target;
	if (parse_addr(argv[1], &listen_at) < 0 ||
	    parse_addr(argv[2], &target) < 0) {
		fprintf(stderr, "lossproxy: bad address\n");
		return 2;
	}
	unsigned loss = (unsigned)atoi(argv[3]), dup = (unsigned)atoi(argv[4]),
		 reorder = (unsigned)atoi(argv[5]);
	rng = strtoull(argv[6], NULL, 10);
	int front = socket(AF_INET, SOCK_DGRAM, 0);
	int back = socket(AF_INET, SOCK_DGRAM, 0);
	if (front < 0 || back < 0 ||
	    bind(front, (struct sockaddr *)&listen_at, sizeof(listen_at)) < 0) {
		fprintf(stderr, "lossproxy: bind %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sigaction su = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &su, NULL);
	static struct way up, down; /* up: client to target */
	up.in = front;
	up.out = back;
	up.to = target;
	up.have_to = 1;
	down.in = back;
	down.out = front;
	unsigned char buf[65536];
	while (!stop) {
		struct pollfd p[2] = {{front, POLLIN, 0}, {back, POLLIN, 0}};
		int r = poll(p, 2, 1);
		long now = now_ms();
		if (replay) {
			replay = 0;
			if (first_initial_len)
				emit(&up, first_initial, first_initial_len);
			if (latest_data_len)
				emit(&up, latest_data, latest_data_len);
			fprintf(stderr,
				"lossproxy: replayed the first Initial (%zu "
				"bytes) and a 1-RTT packet (%zu bytes)\n",
				first_initial_len, latest_data_len);
		}
		if (up.held_len && now - up.held_since >= HOLD_MS)
			release(&up);
		if (down.held_len && now - down.held_since >= HOLD_MS)
			release(&down);
		if (r <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			struct way *w = i == 0 ? &up : &down;
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(w->in, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);
			if (n <= 0)
				continue;
			if (i == 0) { /* answers go back to the latest client */
				down.to = from;
				down.have_to = 1;
				keep(buf, (size_t)n);
			}
			relay(w, buf, (size_t)n, loss, dup, reorder);
		}
	}
	fprintf(stderr,
		"lossproxy: passed %lu dropped %lu duplicated %lu reordered "
		"%lu\n",
		passed, dropped, duplicated, reordered);
	return 0;
}

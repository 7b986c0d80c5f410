/* quicpeer — drives src/quic.c for test_quic.sh: one endpoint, in its own
 * event loop (epoll, as fakeosd's), that serves (echoes every datagram back
 * on its link) or connects (opens links, sends numbered datagrams, checks
 * that each echo comes back byte-exact, in order, exactly once).
 *
 *   quicpeer keygen KEY            writes a key, prints its sha256:HEX
 *   quicpeer fingerprint KEY       prints the key's sha256:HEX
 *   quicpeer serve KEY HOSTS BIND [opts]
 *   quicpeer connect KEY HOSTS BIND PEER [opts]
 * opts: --idle MS --handshake MS --links N --count M --sizes A,B,..
 *       --window W (datagrams in flight a link) --linger (keep the links
 *       open once checked, until they close) --deadline S
 * Bench modes, for tools/bench-remote (one link, one size):
 *   connect --bench rtt --warmup W: a ping-pong (window 1); the first W
 *       round trips untimed, then count-W timed from quic_link_send to the
 *       echo's callback, each echo checked as ever. Prints "rtt SIZE
 *       ROUNDS MEDIAN_NS P10_NS P90_NS" and "cpu USER_NS SYS_NS", this
 *       process's CPU time a timed round trip.
 *   serve --sink: swallows every datagram of more than one byte, counting
 *       them; answers a 1-byte datagram with the count since the last one
 *       (8 bytes, host order) — a marker that, the link being in order,
 *       says all before it arrived.
 *   connect --bench stream: against --sink: one marker (the handshake is
 *       done once its answer is back; the clock starts), count datagrams
 *       as fast as the link takes them, a marker; the clock stops at its
 *       answer, which must be the count. Prints "stream COUNT BYTES NS".
 *
 * Prints one line an event: "conn NAME", "conn-closed NAME STATUS ENAME",
 * "link-closed ID STATUS ENAME", "done links=N datagrams=M"; "ready" once
 * the socket is bound, and "fds before=N after=M" (its descriptors before
 * quic_open and after quic_close) at the end; serve prints "stats
 * conns=C links=L" on SIGUSR1. Exit: 0 all checked, 1 a check or a
 * send failed (the line says which), 2 usage or set-up, 3 deadline. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "hostkey.h"
#include "log.h"
#include "quic.h"

#define MARKER "FAKEOS-SECRET-PAYLOAD:"
#define SIZES_MAX 16
#define LINKS_MAX 1000

struct pending { /* an echo the link had no room for yet */
	struct pending *next;
	size_t len;
	uint8_t data[];
};

struct plink {
	struct quic_link *l;
	unsigned id;
	unsigned sent, got;
	struct pending *head, *tail; /* serve: echoes waiting for room */
	bool closed;
};

enum bench { BENCH_NONE, BENCH_RTT, BENCH_STREAM };

static struct {
	bool serve, linger, sink;
	enum bench bench;
	unsigned warmup;
	uint64_t *t; /* rtt: each round's send time, then its duration */
	uint64_t t0, t1; /* stream: after the first marker's answer, the last */
	uint64_t cpu_u, cpu_s; /* rtt: CPU time at the first timed round */
	int phase; /* stream: 0 first marker out, 1 datagrams, 2 last marker */
	unsigned links, count, window, nsizes;
	size_t sizes[SIZES_MAX];
	struct plink *pl;
	unsigned open_links, done_links, closed_links;
	int failed;
	bool conn_gone;
	struct quic_ep *ep;
} g;

static const char *ename(int status)
{
	const char *n = status ? strerrorname_np(-status) : "OK";
	return n ? n : "?";
}

static size_t size_of(unsigned seq)
{
	return g.sizes[seq % g.nsizes];
}

/* The seq-th datagram of link id: its marker, numbers and a pattern, so
 * that a byte out of place, a reorder or a duplicate shows. */
static void make(unsigned id, unsigned seq, uint8_t *buf, size_t len)
{
	if (g.bench) { /* as cheap as the baselines' (tcpbench, fkbench) */
		memset(buf, 'a' + (int)(seq % 26), len);
		return;
	}
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(id * 131 + seq * 7 + k * 13 + (k >> 8));
	if (len >= 64)
		snprintf((char *)buf, 40, MARKER "%u:%u:", id, seq);
}

static void fill(struct plink *p)
{
	uint8_t buf[QUIC_DGRAM_MAX + 1];
	while (p->l && !p->closed && p->sent < g.count &&
	       p->sent - p->got < g.window) {
		size_t len = size_of(p->sent);
		make(p->id, p->sent, buf, len);
		if (g.t)
			g.t[p->sent] = now_ns();
		int r = quic_link_send(p->l, buf, len);
		if (r == -EAGAIN)
			return; /* on_room */
		if (r < 0) {
			printf("send link=%u len=%zu: %s\n", p->id, len,
			       strerror(-r));
			g.failed = 1;
			return;
		}
		p->sent++;
	}
}

/* bench stream: the datagrams as fast as the link takes them, then the
 * marker. A datagram is sent whole or not at all (-EAGAIN: on_room). */
static void stream_fill(struct plink *p)
{
	static uint8_t buf[QUIC_DGRAM_MAX];
	size_t len = g.sizes[0];
	while (p->l && g.phase == 1) {
		make(p->id, p->sent, buf, len);
		int r = p->sent < g.count ? quic_link_send(p->l, buf, len)
					  : quic_link_send(p->l, "m", 1);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			printf("send link=%u: %s\n", p->id, strerror(-r));
			g.failed = 1;
			return;
		}
		if (p->sent < g.count)
			p->sent++;
		else
			g.phase = 2;
	}
}

/* bench stream: the answer to a marker. */
static void stream_answer(struct plink *p, const void *buf, size_t len)
{
	uint64_t n;
	if (len != sizeof(n) || g.phase == 1) {
		printf("bench: unexpected datagram of %zu bytes\n", len);
		g.failed = 1;
		return;
	}
	memcpy(&n, buf, sizeof(n));
	if (g.phase == 0) {
		g.t0 = now_ns();
		g.phase = 1;
		stream_fill(p);
		return;
	}
	g.t1 = now_ns();
	if (n != g.count) {
		printf("bench: the sink counted %llu of %u\n",
		       (unsigned long long)n, g.count);
		g.failed = 1;
		return;
	}
	p->got = g.count;
	g.done_links++;
}

/* serve --sink: count, or answer a marker with the count. */
static void sink(struct plink *p, size_t len)
{
	if (len > 1) {
		p->got++;
		return;
	}
	uint64_t n = p->got;
	p->got = 0;
	if (quic_link_send(p->l, &n, sizeof(n)) < 0) {
		printf("sink link=%u: no room for the answer\n", p->id);
		g.failed = 1;
	}
}

static void flush_echoes(struct plink *p)
{
	while (p->head) {
		int r = quic_link_send(p->l, p->head->data, p->head->len);
		if (r == -EAGAIN)
			return;
		struct pending *d = p->head;
		p->head = d->next;
		free(d);
		if (r < 0) {
			printf("echo link=%u: %s\n", p->id, strerror(-r));
			break;
		}
	}
	p->tail = NULL;
	quic_link_hold(p->l, false);
}

static void drop_echoes(struct plink *p)
{
	while (p->head) {
		struct pending *d = p->head;
		p->head = d->next;
		free(d);
	}
	p->tail = NULL;
}

static void on_conn(void *arg, struct quic_conn *c, const struct host *h)
{
	(void)arg;
	(void)c;
	printf("conn %s\n", h->name);
}

static void on_conn_close(void *arg, struct quic_conn *c, int status)
{
	(void)arg;
	const struct host *h = quic_conn_host(c);
	printf("conn-closed %s %d %s\n", h ? h->name : "?", status,
	       ename(status));
	g.conn_gone = !g.serve;
}

static void on_link(void *arg, struct quic_link *l)
{
	(void)arg;
	struct plink *p = xcalloc(1, sizeof(*p));
	p->l = l;
	p->id = g.open_links++;
	quic_link_set_arg(l, p);
}

static void on_data(void *arg, struct quic_link *l, const void *buf,
		    size_t len)
{
	(void)arg;
	struct plink *p = quic_link_arg(l);
	if (g.sink) {
		sink(p, len);
		return;
	}
	if (g.bench == BENCH_STREAM) {
		stream_answer(p, buf, len);
		return;
	}
	if (g.serve) {
		int r = p->head ? -EAGAIN : quic_link_send(l, buf, len);
		if (r == -EAGAIN) {
			/* Keep it, and stop the peer until there is room:
			 * what quic_link_hold is for. */
			struct pending *d = xmalloc(sizeof(*d) + len);
			d->next = NULL;
			d->len = len;
			memcpy(d->data, buf, len);
			if (p->tail)
				p->tail->next = d;
			else
				p->head = d;
			p->tail = d;
			quic_link_hold(l, true);
		} else if (r < 0) {
			printf("echo link=%u: %s\n", p->id, strerror(-r));
		}
		return;
	}
	uint8_t want[QUIC_DGRAM_MAX];
	if (p->got >= g.count) {
		printf("extra link=%u len=%zu\n", p->id, len);
		g.failed = 1;
		return;
	}
	size_t wlen = size_of(p->got);
	make(p->id, p->got, want, wlen);
	if (len != wlen || memcmp(buf, want, len) != 0) {
		printf("mismatch link=%u seq=%u len=%zu want=%zu\n", p->id,
		       p->got, len, wlen);
		g.failed = 1;
		return;
	}
	if (g.t)
		g.t[p->got] = now_ns() - g.t[p->got];
	if (g.t && p->got + 1 == g.warmup)
		bench_cpu(&g.cpu_u, &g.cpu_s);
	if (++p->got == g.count)
		g.done_links++;
	fill(p);
}

static void on_room(void *arg, struct quic_link *l)
{
	(void)arg;
	struct plink *p = quic_link_arg(l);
	if (g.serve)
		flush_echoes(p);
	else if (g.bench == BENCH_STREAM)
		stream_fill(p);
	else
		fill(p);
}

static void on_link_close(void *arg, struct quic_link *l, int status)
{
	(void)arg;
	struct plink *p = quic_link_arg(l);
	printf("link-closed %u %d %s\n", p->id, status, ename(status));
	p->closed = true;
	p->l = NULL;
	g.closed_links++;
	drop_echoes(p);
	if (g.serve)
		free(p);
}

static int parse_sizes(char *s)
{
	g.nsizes = 0;
	for (char *save = NULL, *t = strtok_r(s, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (g.nsizes == SIZES_MAX)
			return -1;
		g.sizes[g.nsizes++] = strtoul(t, NULL, 10);
	}
	return g.nsizes ? 0 : -1;
}

static void bench_print(void)
{
	if (g.bench == BENCH_STREAM) {
		printf("stream %u %llu %llu\n", g.count,
		       (unsigned long long)g.count * g.sizes[0],
		       (unsigned long long)(g.t1 - g.t0));
	} else if (g.bench == BENCH_RTT) {
		uint64_t *t = g.t + g.warmup, u, sy;
		size_t n = g.count - g.warmup;
		bench_cpu(&u, &sy);
		uint64_t p10 = bench_pct(t, n, 10), p90 = bench_pct(t, n, 90);
		printf("rtt %zu %zu %llu %llu %llu\n", g.sizes[0], n,
		       (unsigned long long)bench_pct(t, n, 50),
		       (unsigned long long)p10, (unsigned long long)p90);
		printf("cpu %llu %llu\n",
		       (unsigned long long)((u - g.cpu_u) / n),
		       (unsigned long long)((sy - g.cpu_s) / n));
	}
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int usage(void)
{
	fprintf(stderr, "usage: quicpeer keygen|fingerprint KEY\n"
			"       quicpeer serve KEY HOSTS BIND [opts]\n"
			"       quicpeer connect KEY HOSTS BIND PEER [opts]\n"
			"bench: serve ... --sink; connect ... --bench "
			"rtt|stream [--warmup W]\n");
	return 2;
}

/* One turn of the loop: waits for the socket, a signal or the module's
 * timer (at most until deadline), and hands each to the module. Returns
 * 0, or the signal that asks to stop. */
static int turn(int epfd, int sfd, uint64_t deadline)
{
	uint64_t now = now_ns();
	uint64_t next = quic_next_timeout_ns(g.ep);
	if (next > deadline)
		next = deadline;
	int ms = next <= now ? 0 : (int)((next - now) / 1000000) + 1;
	struct epoll_event evs[4];
	int n = epoll_wait(epfd, evs, 4, ms);
	int stop = 0;
	for (int i = 0; i < n; i++) {
		if (evs[i].data.fd != sfd)
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGUSR1) {
			unsigned conns, links;
			quic_counts(g.ep, &conns, &links);
			printf("stats conns=%u links=%u\n", conns, links);
		} else {
			stop = (int)si.ssi_signo;
		}
	}
	for (int i = 0; i < n; i++)
		if (evs[i].data.fd == quic_fd(g.ep))
			quic_on_readable(g.ep);
	if (quic_next_timeout_ns(g.ep) <= now_ns())
		quic_on_timer(g.ep);
	return stop;
}

static int run(int epfd, int sfd, uint64_t deadline)
{
	for (;;) {
		if (now_ns() >= deadline) {
			printf("deadline\n");
			return 3;
		}
		if (turn(epfd, sfd, deadline))
			return 0;
		if (g.failed)
			return 1;
		if (g.serve)
			continue;
		if (g.conn_gone)
			return g.linger && g.closed_links == g.links ? 0 : 1;
		if (g.linger ? g.closed_links == g.links
			     : g.done_links == g.links)
			return 0;
	}
}

/* Closes the client's links in order and waits (2 s at most) for the
 * peer to have them all, so that it sees status 0, not a reset. */
static void close_links(int epfd, int sfd)
{
	for (unsigned i = 0; i < g.links; i++)
		if (g.pl[i].l)
			quic_link_close(g.pl[i].l);
	uint64_t until = now_ns() + 2000000000ull;
	while (now_ns() < until) {
		unsigned conns, links;
		quic_counts(g.ep, &conns, &links);
		if (!links || turn(epfd, sfd, until))
			break;
	}
}

int main(int argc, char **argv)
{
	log_init("quicpeer");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return usage();
	struct error e = {{0}};
	uint8_t key[HOST_KEY_SIZE];
	char text[HOST_KEY_TEXT_SIZE];
	if (!strcmp(argv[1], "keygen") || !strcmp(argv[1], "fingerprint")) {
		int r = !strcmp(argv[1], "keygen")
				? hostkey_generate(argv[2], key, &e)
				: hostkey_fingerprint(argv[2], key, &e);
		if (r < 0) {
			fprintf(stderr, "quicpeer: %s\n", e.msg);
			return 2;
		}
		hosts_format_key(key, text);
		printf("%s\n", text);
		return 0;
	}
	g.serve = !strcmp(argv[1], "serve");
	int fixed = g.serve ? 5 : 6;
	if ((!g.serve && strcmp(argv[1], "connect")) || argc < fixed)
		return usage();
	struct quic_opts o = {
		.key_path = argv[2],
		.cb = {on_conn, on_conn_close, on_link, on_data, on_room,
		       on_link_close},
	};
	g.links = 1;
	g.count = 1;
	g.window = 32;
	g.nsizes = 1;
	g.sizes[0] = 64;
	unsigned deadline_s = 60;
	for (int i = fixed; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--linger") || !strcmp(a, "--sink")) {
			*(a[2] == 'l' ? &g.linger : &g.sink) = true;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--idle"))
			o.idle_ms = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--handshake"))
			o.handshake_ms = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--links"))
			g.links = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--count"))
			g.count = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--window"))
			g.window = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--bench") && !strcmp(v, "rtt"))
			g.bench = BENCH_RTT;
		else if (!strcmp(a, "--bench") && !strcmp(v, "stream"))
			g.bench = BENCH_STREAM;
		else if (!strcmp(a, "--warmup"))
			g.warmup = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--deadline"))
			deadline_s = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--sizes")) {
			char buf[256];
			snprintf(buf, sizeof(buf), "%s", v);
			if (parse_sizes(buf) < 0)
				return usage();
		} else
			return usage();
	}
	if (g.links == 0 || g.links > LINKS_MAX || g.window == 0)
		return usage();
	if (g.bench && (g.serve || g.links != 1 || g.nsizes != 1 ||
			g.warmup >= g.count))
		return usage();
	if (g.bench == BENCH_RTT) {
		g.window = 1;
		g.t = xcalloc(g.count, sizeof(*g.t));
	}
	struct hosts hosts;
	if (hosts_load(argv[3], &hosts, &e) < 0) {
		fprintf(stderr, "quicpeer: %s\n", e.msg);
		return 2;
	}
	if (hosts_parse_addr(argv[4], &o.bind, &o.bindlen) < 0) {
		fprintf(stderr, "quicpeer: bad address %s\n", argv[4]);
		return 2;
	}
	o.hosts = &hosts;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	int fds_before = count_fds();
	if (sfd < 0 || quic_open(&o, &g.ep, &e) < 0) {
		fprintf(stderr, "quicpeer: %s\n", sfd < 0 ? "signalfd" : e.msg);
		return 2;
	}
	printf("ready\n");
	if (!g.serve) {
		const struct host *h = hosts_by_name(&hosts, argv[5]);
		struct quic_conn *c;
		if (!h || quic_connect(g.ep, h, &c) < 0) {
			fprintf(stderr, "quicpeer: cannot connect to %s\n",
				argv[5]);
			return 2;
		}
		g.pl = xcalloc(g.links, sizeof(*g.pl));
		for (unsigned i = 0; i < g.links; i++) {
			g.pl[i].id = i;
			if (quic_link_open(c, &g.pl[i].l) < 0)
				return 2;
			quic_link_set_arg(g.pl[i].l, &g.pl[i]);
		}
		if (g.bench == BENCH_STREAM &&
		    quic_link_send(g.pl[0].l, "m", 1) < 0)
			return 2;
		for (unsigned i = 0; i < g.links && !g.failed && !g.bench; i++)
			fill(&g.pl[i]);
		if (g.bench == BENCH_RTT)
			fill(&g.pl[0]);
	}
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = quic_fd(g.ep)};
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, quic_fd(g.ep), &ev) < 0)
		return 2;
	ev.data.fd = sfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev) < 0)
		return 2;
	int rc = g.failed ? 1
			  : run(epfd, sfd, now_ns() + deadline_s * 1000000000ull);
	if (!g.serve && rc == 0 && !g.linger) {
		printf("done links=%u datagrams=%llu\n", g.links,
		       (unsigned long long)g.links * g.count);
		bench_print();
		close_links(epfd, sfd);
	}
	quic_close(g.ep);
	close(epfd);
	/* Everything quic_open made is gone again: the signalfd, the only
	 * other descriptor, was open before and is still. */
	printf("fds before=%d after=%d\n", fds_before, count_fds());
	hosts_free(&hosts);
	free(g.pl);
	free(g.t);
	close(sfd);
	return rc;
}

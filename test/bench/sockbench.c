/* sockbench — the baselines for fakeOS links: two ordinary, unjailed
 * processes (this one and a fork of it) talking over a socket with plain
 * blocking send and recv.
 *
 *   sockbench rtt ROUNDS WARMUP SIZE...
 *       ping-pong over an AF_UNIX SOCK_SEQPACKET socketpair. For each
 *       SIZE: WARMUP untimed rounds, then ROUNDS timed ones. The echo side
 *       changes the first byte from 'i' to 'o' and the pinger checks every
 *       reply. Prints per SIZE: "rtt SIZE ROUNDS MEDIAN_NS P10_NS P90_NS
 *       SHARED": SHARED is the share (percent) of every 64th round after
 *       which the echo process was last seen on the pinger's CPU
 *       (/proc/PID/stat, untimed). The scheduler tends to keep a blocking
 *       ping-pong on one CPU (the pipe and socket wake-ups are "sync").
 *
 *   sockbench rtt-apart ROUNDS WARMUP SIZE...
 *       the same, but each process is pinned to a CPU of its own (the
 *       first two it may use) and receives with MSG_DONTWAIT in a loop,
 *       never sleeping: what two jailed programs do, each in fk_wait's
 *       polling window on its own CPU. A reference, not a baseline: it
 *       prices the crossing between CPUs that a fakeOS round trip pays and
 *       a blocking one on one CPU does not (docs/BENCH.md, section 2).
 *       Exits 3 when fewer than two CPUs are allowed.
 *
 *   sockbench stream unix|tcp|pipe COUNT
 *       COUNT datagrams of 4096 bytes one way, over a SOCK_SEQPACKET
 *       socketpair, a TCP connection on 127.0.0.1 (a stream, read back
 *       in 4096-byte records with MSG_WAITALL), or a pipe in packet mode
 *       (O_DIRECT: each write of at most PIPE_BUF bytes is read back whole,
 *       as one datagram; "go" comes back on a second pipe). The receiver
 *       starts its clock, sends the sender one byte ("go"), and stops the
 *       clock when it has the COUNT-th datagram; it checks each one's
 *       sequence stamp. Prints "stream COUNT BYTES NS" from the receiver.
 *       The pipe is a reference, not a baseline: it is what a fakeOS
 *       link is made of, used without a ring (docs/BENCH.md, section 3).
 *
 * Socket and pipe buffers are the kernel's defaults, as for a fakeOS link
 * (the broker makes links with a plain socketpair). Exit 0, or 1 on a
 * failure, which is named on stderr. */
#define _GNU_SOURCE /* pipe2, O_DIRECT */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static unsigned char buf[BENCH_MSG];

static void send_all(int fd, const void *p, size_t n)
{
	ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
	if (r != (ssize_t)n)
		err(1, "send (%zd of %zu bytes)", r, n);
}

/* The pipe reference uses one descriptor per direction, and read/write. */
static int pipe_mode;
static int go_rd = -1, go_wr = -1;

static void put(int fd, const void *p, size_t n)
{
	if (!pipe_mode) {
		send_all(fd, p, n);
		return;
	}
	ssize_t r = write(fd, p, n);
	if (r != (ssize_t)n)
		err(1, "write (%zd of %zu bytes)", r, n);
}

/* rtt-apart: receive by polling, never sleeping. */
static int poll_mode;

static ssize_t get(int fd, void *p, size_t n)
{
	ssize_t r;
	do
		r = recv(fd, p, n, poll_mode ? MSG_DONTWAIT : 0);
	while (r < 0 && poll_mode && errno == EAGAIN);
	return r;
}

/* rtt-apart: the first two CPUs this process may run on. */
static void two_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		err(1, "sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	if (n < 2)
		errx(3, "rtt-apart needs two CPUs; this process may use one");
}

static void pin(int c)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(c, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		err(1, "sched_setaffinity(CPU %d)", c);
}

/* The CPU pid last ran on: field 39 of /proc/PID/stat, read through fd. */
static int last_cpu(int fd)
{
	char st[1024];
	ssize_t n = pread(fd, st, sizeof(st) - 1, 0);
	if (n <= 0)
		err(1, "reading the echo process's stat");
	st[n] = '\0';
	const char *p = strrchr(st, ')'); /* the name may hold spaces */
	int field = 2, cpu = -1;
	for (; p && *p; p++)
		if (*p == ' ' && ++field == 39) {
			cpu = atoi(p + 1);
			break;
		}
	if (cpu < 0)
		errx(1, "no CPU field in the echo process's stat");
	return cpu;
}

/* The child: answer every ping until the other end closes. */
static void echo(int fd)
{
	for (;;) {
		ssize_t n = get(fd, buf, sizeof(buf));
		if (n == 0)
			_exit(0);
		if (n < 0)
			err(1, "echo: recv");
		buf[0] = 'o';
		send_all(fd, buf, (size_t)n);
	}
}

static void reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		errx(1, "the other process failed");
}

static int rtt(long rounds, long warmup, int nsizes, char **sizes)
{
	static unsigned char want[BENCH_MSG];
	int sv[2], cpu[2];
	if (poll_mode)
		two_cpus(cpu);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		err(1, "socketpair");
	pid_t pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		close(sv[0]);
		if (poll_mode)
			pin(cpu[1]);
		echo(sv[1]);
	}
	close(sv[1]);
	if (poll_mode)
		pin(cpu[0]);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (stat_fd < 0)
		err(1, "%s", path);
	uint64_t *t = calloc((size_t)rounds, sizeof(*t));
	if (!t)
		err(1, "calloc");
	for (int s = 0; s < nsizes; s++) {
		long size = bench_number(sizes[s], 1);
		if (size > BENCH_MSG)
			errx(2, "bad size %s (at most %d)", sizes[s],
			     BENCH_MSG);
		long sampled = 0, shared = 0;
		for (long i = -warmup; i < rounds; i++) {
			memset(want, 'a' + (int)((i + warmup) % 26),
			       (size_t)size);
			want[0] = 'i';
			uint64_t t0 = bench_now();
			send_all(sv[0], want, (size_t)size);
			ssize_t n = get(sv[0], buf, sizeof(buf));
			uint64_t t1 = bench_now();
			want[0] = 'o';
			if (n != size || memcmp(buf, want, (size_t)size) != 0)
				errx(1, "rtt: round %ld: wrong reply", i);
			if (i < 0)
				continue;
			t[i] = t1 - t0;
			if (i % 64 == 0) {
				sampled++;
				shared += last_cpu(stat_fd) == sched_getcpu();
			}
		}
		uint64_t p10 = bench_pct(t, (size_t)rounds, 10);
		uint64_t p90 = bench_pct(t, (size_t)rounds, 90);
		printf("rtt %ld %ld %llu %llu %llu %ld\n", size, rounds,
		       (unsigned long long)bench_pct(t, (size_t)rounds, 50),
		       (unsigned long long)p10, (unsigned long long)p90,
		       shared * 100 / sampled);
	}
	close(stat_fd);
	close(sv[0]);
	reap(pid);
	free(t);
	return 0;
}

/* The sender: waits for "go", then COUNT stamped datagrams. */
static void source(int fd, long count)
{
	char go;
	if (pipe_mode ? read(go_rd, &go, 1) != 1 : recv(fd, &go, 1, 0) != 1)
		err(1, "source: waiting for go");
	memset(buf, 'x', sizeof(buf));
	for (long i = 0; i < count; i++) {
		bench_stamp(buf, sizeof(buf), (uint64_t)i);
		put(fd, buf, sizeof(buf));
	}
	/* Stay until the receiver has everything and closes. */
	if (pipe_mode)
		while (read(go_rd, &go, 1) > 0)
			;
	else
		while (recv(fd, &go, 1, 0) > 0)
			;
	_exit(0);
}

static int stream(const char *kind, long count)
{
	int fd, peer;
	int tcp = strcmp(kind, "tcp") == 0;
	if (tcp) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr =
						 htonl(INADDR_LOOPBACK) };
		socklen_t alen = sizeof(a);
		int l = socket(AF_INET, SOCK_STREAM, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(l, 1) < 0 ||
		    getsockname(l, (struct sockaddr *)&a, &alen) < 0)
			err(1, "tcp: listening on 127.0.0.1");
		peer = socket(AF_INET, SOCK_STREAM, 0);
		if (peer < 0 ||
		    connect(peer, (struct sockaddr *)&a, sizeof(a)) < 0)
			err(1, "tcp: connect");
		fd = accept(l, NULL, NULL);
		if (fd < 0)
			err(1, "tcp: accept");
		close(l);
	} else if (strcmp(kind, "unix") == 0) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
			err(1, "socketpair");
		fd = sv[0];
		peer = sv[1];
	} else if (strcmp(kind, "pipe") == 0) {
		int data[2], go[2];
		if (pipe2(data, O_DIRECT | O_CLOEXEC) < 0 ||
		    pipe2(go, O_CLOEXEC) < 0)
			err(1, "pipe2 (O_DIRECT)");
		pipe_mode = 1;
		fd = data[0];
		peer = data[1];
		go_rd = go[0];
		go_wr = go[1];
	} else {
		errx(1, "stream: unix, tcp or pipe, not %s", kind);
	}
	pid_t pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		close(fd);
		if (pipe_mode)
			close(go_wr);
		source(peer, count);
	}
	close(peer);
	if (pipe_mode)
		close(go_rd);

	uint64_t t0 = bench_now();
	put(pipe_mode ? go_wr : fd, "g", 1);
	long got = 0;
	for (; got < count; got++) {
		ssize_t n = pipe_mode ? read(fd, buf, sizeof(buf))
				      : recv(fd, buf, sizeof(buf),
					     tcp ? MSG_WAITALL : 0);
		if (n <= 0)
			break;
		if (!bench_stamp_ok(buf, (size_t)n, sizeof(buf), (uint64_t)got))
			errx(1, "stream %s: datagram %ld is wrong or missing",
			     kind, got);
	}
	uint64_t t1 = bench_now();
	if (got != count)
		errx(1, "stream %s: got %ld of %ld datagrams", kind, got,
		     count);
	close(fd);
	if (pipe_mode)
		close(go_wr);
	reap(pid);
	printf("stream %ld %llu %llu\n", got,
	       (unsigned long long)got * sizeof(buf),
	       (unsigned long long)(t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	poll_mode = argc >= 5 && strcmp(argv[1], "rtt-apart") == 0;
	if (argc >= 5 && (poll_mode || strcmp(argv[1], "rtt") == 0))
		return rtt(bench_number(argv[2], 1), bench_number(argv[3], 0),
			   argc - 4, argv + 4);
	if (argc == 4 && strcmp(argv[1], "stream") == 0)
		return stream(argv[2], bench_number(argv[3], 1));
	fprintf(stderr, "usage: sockbench rtt|rtt-apart ROUNDS WARMUP SIZE...\n"
			"       sockbench stream unix|tcp|pipe COUNT\n");
	return 2;
}

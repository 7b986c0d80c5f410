/* taskrun — an experiment, not a row of `make bench`: what a link's data
 * path costs in the ring's own machinery, measured by running it with the
 * ring set up three ways between unjailed processes.
 *
 *   taskrun coop|defer|pbuf rtt ROUNDS SIZE [apart]
 *       ping-pong between this process and a fork of it over two pipes in
 *       packet mode (O_DIRECT), as a fakeOS link is made: each side reads
 *       its pipe with one READ_MULTISHOT into 64 provided pages and writes
 *       the other with IORING_OP_WRITE. 500 untimed rounds, then ROUNDS
 *       timed ones; prints "taskrun MODE rtt SIZE MEDIAN_NS". Both sides
 *       wait in io_uring_enter; with "apart" each is pinned to a CPU of its
 *       own and polls (io_uring_enter with GETEVENTS in a loop) instead, as
 *       fk_wait does there.
 *   taskrun coop|defer|pbuf stream COUNT
 *       COUNT datagrams of 4096 bytes one way, up to 16 writes in flight;
 *       prints "taskrun MODE stream GB_PER_S".
 *
 * coop: IORING_SETUP_COOP_TASKRUN, pages handed back by PROVIDE_BUFFERS
 * (the ring fakeOS gave a program before version 3 of the protocol).
 * defer: IORING_SETUP_DEFER_TASKRUN with SINGLE_ISSUER, which completes a
 * read in the waiting task's own io_uring_enter instead of through generic
 * task work. pbuf: defer, with the pages in a buffer ring
 * (IORING_REGISTER_PBUF_RING) that a page goes back to by a store instead
 * of a PROVIDE_BUFFERS SQE and its CQE: the ring fakeOS gives a program
 * now (docs/BENCH.md, section 2). Unrestricted rings, unjailed processes:
 * this prices the ring's paths and nothing else. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Linux 6.7; liburing 2.3's headers predate it. */
#define OP_READ_MULTISHOT 49

enum { PAGE = 4096, PAGES = 64, WARMUP = 500, IN_FLIGHT = 16 };
enum { UD_READ = 1, UD_PROVIDE, UD_WRITE };

static char pages[PAGES][PAGE];
static char out[PAGE];
static struct io_uring ring;
static int polling;
static const char *const modes[] = { "coop", "defer", "pbuf" };
static struct io_uring_buf_ring *br; /* pbuf: the pages' buffer ring */

static void die(const char *what, int err)
{
	fprintf(stderr, "taskrun: %s: %s\n", what, strerror(err));
	exit(1);
}

static struct io_uring_sqe *sqe(void)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);
	if (!s) {
		int r = io_uring_submit(&ring);
		if (r < 0)
			die("io_uring_submit", -r);
		s = io_uring_get_sqe(&ring);
	}
	if (!s)
		die("io_uring_get_sqe", EBUSY);
	return s;
}

static void provide(int page)
{
	if (br) {
		io_uring_buf_ring_add(br, pages[page], PAGE, (unsigned short)page,
				      io_uring_buf_ring_mask(PAGES), 0);
		io_uring_buf_ring_advance(br, 1);
		return;
	}
	struct io_uring_sqe *s = sqe();
	io_uring_prep_provide_buffers(s, pages[page], PAGE, 1, 1, page);
	s->user_data = UD_PROVIDE;
}

static void arm_read(int fd)
{
	struct io_uring_sqe *s = sqe();
	io_uring_prep_rw(OP_READ_MULTISHOT, s, fd, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = 1;
	s->user_data = UD_READ;
}

static void write_to(int fd, int len)
{
	struct io_uring_sqe *s = sqe();
	io_uring_prep_write(s, fd, out, (unsigned)len, 0);
	s->user_data = UD_WRITE;
}

static void setup(int defer, int pbuf)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE |
		  (defer ? IORING_SETUP_SINGLE_ISSUER |
				   IORING_SETUP_DEFER_TASKRUN
			 : IORING_SETUP_COOP_TASKRUN);
	p.cq_entries = 512;
	int r = io_uring_queue_init_params(64, &ring, &p);
	if (r < 0)
		die("io_uring_setup", -r);
	if (pbuf) {
		static _Alignas(4096) struct io_uring_buf bufs[PAGES];
		br = (struct io_uring_buf_ring *)bufs;
		io_uring_buf_ring_init(br);
		struct io_uring_buf_reg reg = {
			.ring_addr = (unsigned long)br,
			.ring_entries = PAGES,
			.bgid = 1,
		};
		if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0)
			die("IORING_REGISTER_PBUF_RING", -r);
	}
	for (int i = 0; i < PAGES; i++)
		provide(i);
	if ((r = io_uring_submit(&ring)) < 0)
		die("io_uring_submit", -r);
}

/* Waits for the next datagram on rfd and returns its page; counts the
 * writes that completed on the way in *writes. */
static int next_datagram(int rfd, int *writes)
{
	for (;;) {
		struct io_uring_cqe *c;
		int r = polling ? io_uring_submit_and_get_events(&ring)
				: io_uring_submit_and_wait(&ring, 1);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
			die("io_uring_enter", -r);
		while (io_uring_peek_cqe(&ring, &c) == 0) {
			unsigned long long ud = c->user_data;
			int res = c->res;
			unsigned flags = c->flags;
			io_uring_cqe_seen(&ring, c);
			if (ud == UD_WRITE) {
				if (res < 0)
					die("write", -res);
				(*writes)++;
			} else if (ud == UD_PROVIDE && res < 0) {
				die("PROVIDE_BUFFERS", -res);
			} else if (ud == UD_READ) {
				if (!(flags & IORING_CQE_F_MORE))
					arm_read(rfd);
				if (res == -ENOBUFS)
					continue;
				if (res <= 0)
					die("read", res ? -res : EPIPE);
				return (int)(flags >> IORING_CQE_BUFFER_SHIFT);
			}
		}
	}
}

static void pin(int nth)
{
	cpu_set_t allowed, one;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		die("sched_getaffinity", errno);
	CPU_ZERO(&one);
	for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &allowed) && seen++ == nth) {
			CPU_SET(cpu, &one);
			if (sched_setaffinity(0, sizeof(one), &one) < 0)
				die("sched_setaffinity", errno);
			return;
		}
	fprintf(stderr, "taskrun: apart needs two CPUs\n");
	exit(3);
}

static void reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "taskrun: the other side failed\n");
		exit(1);
	}
}

static int rtt(int mode, int rounds, int size, int apart)
{
	int ab[2], ba[2], writes = 0;
	if (pipe2(ab, O_DIRECT) < 0 || pipe2(ba, O_DIRECT) < 0)
		die("pipe2", errno);
	polling = apart;
	pid_t pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		if (apart)
			pin(1);
		setup(mode != 0, mode == 2);
		arm_read(ab[0]);
		for (int i = 0; i < WARMUP + rounds; i++) {
			int page = next_datagram(ab[0], &writes);
			memcpy(out, pages[page], (size_t)size);
			out[0] = 'o';
			provide(page);
			write_to(ba[1], size);
		}
		int r = io_uring_submit(&ring);
		_exit(r < 0);
	}
	if (apart)
		pin(0);
	setup(mode != 0, mode == 2);
	arm_read(ba[0]);
	uint64_t *t = calloc((size_t)rounds, sizeof(*t));
	if (!t)
		die("calloc", ENOMEM);
	for (int i = 0; i < WARMUP + rounds; i++) {
		memset(out, 'i', (size_t)size);
		uint64_t t0 = bench_now();
		write_to(ab[1], size);
		int page = next_datagram(ba[0], &writes);
		uint64_t dt = bench_now() - t0;
		if (pages[page][0] != 'o' ||
		    memcmp(pages[page] + 1, out + 1, (size_t)size - 1)) {
			fprintf(stderr, "taskrun: round %d: wrong reply\n", i);
			exit(1);
		}
		provide(page);
		if (i >= WARMUP)
			t[i - WARMUP] = dt;
	}
	reap(pid);
	printf("taskrun %s rtt %d %llu\n", modes[mode], size,
	       (unsigned long long)bench_pct(t, (size_t)rounds, 50));
	free(t);
	return 0;
}

static int stream(int mode, int count)
{
	int p[2], writes = 0;
	if (pipe2(p, O_DIRECT) < 0)
		die("pipe2", errno);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		setup(mode != 0, mode == 2);
		arm_read(p[0]);
		for (int i = 0; i < count; i++)
			provide(next_datagram(p[0], &writes));
		_exit(0);
	}
	setup(mode != 0, mode == 2);
	memset(out, 'x', sizeof(out));
	uint64_t t0 = bench_now();
	int sent = 0, done = 0;
	while (done < count) {
		while (sent - done < IN_FLIGHT && sent < count) {
			write_to(p[1], PAGE);
			sent++;
		}
		int r = io_uring_submit_and_wait(&ring, 1);
		if (r < 0 && r != -EINTR)
			die("io_uring_enter", -r);
		struct io_uring_cqe *c;
		while (io_uring_peek_cqe(&ring, &c) == 0) {
			if (c->user_data == UD_WRITE) {
				if (c->res != PAGE)
					die("write", c->res < 0 ? -c->res : EIO);
				done++;
			}
			io_uring_cqe_seen(&ring, c);
		}
	}
	reap(pid);
	double secs = (double)(bench_now() - t0) / 1e9;
	printf("taskrun %s stream %.3f\n", modes[mode],
	       (double)count * PAGE / secs / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	int mode = -1;
	for (int i = 0; argc >= 4 && i < 3; i++)
		if (!strcmp(argv[1], modes[i]))
			mode = i;
	if (mode >= 0) {
		int n = (int)bench_number(argv[3], 1);
		if (!strcmp(argv[2], "rtt") && argc >= 5) {
			int size = (int)bench_number(argv[4], 2);
			if (size <= PAGE)
				return rtt(mode, n, size,
					   argc > 5 && !strcmp(argv[5], "apart"));
		}
		if (!strcmp(argv[2], "stream"))
			return stream(mode, n);
	}
	fprintf(stderr, "usage: taskrun coop|defer|pbuf rtt ROUNDS SIZE [apart]\n"
			"       taskrun coop|defer|pbuf stream COUNT\n");
	return 2;
}

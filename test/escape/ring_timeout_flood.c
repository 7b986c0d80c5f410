/* Queues IORING_OP_TIMEOUTs of an hour each on the program's own ring, in
 * batches of a full submission queue, until the kernel refuses one, or up
 * to MAX (argument 1; 4 million by default) or 10 s: each costs the kernel
 * an io_kiocb and its timer data, none of it in the program's address
 * space, so RLIMIT_AS (--memory) does not see it. Then it holds them for
 * 3 s. A program that is still running after that made the kernel hold
 * about as much memory as it printed, past any limit: an escape. The jail
 * must stop it at its memory limit instead (a cgroup that counts kernel
 * memory kills it). */
#include "escape.h"
#include <time.h>

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	ring_map(&ring);
	long max = arg_num(argc, argv, 1, 4000000);
	if (max <= 0 || max > 4000000)
		max = 4000000;
	/* The kernel reads the timespec when it takes each SQE. */
	static struct __kernel_timespec hour = { 3600, 0 };
	unsigned batch = *ring.sq.kring_entries;
	uint64_t queued = 0, end = now_ms() + 10000;
	int refused = 0;
	trying("IORING_OP_TIMEOUTs of an hour, as many as the ring takes");
	while (queued < (uint64_t)max && !refused && now_ms() < end) {
		for (unsigned i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = ring_sqe(&ring);
			io_uring_prep_timeout(sqe, &hour, 0, 0);
			sqe->flags |= IOSQE_FIXED_FILE;
			sqe->user_data = queued + i;
		}
		int r = io_uring_submit(&ring);
		if (r < 0)
			refused = r;
		else
			queued += (unsigned)r;
		/* A refusal can also come as a completion (-ENOMEM). */
		struct io_uring_cqe *cqe;
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			if (cqe->res < 0 && cqe->res != -ETIME)
				refused = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		/* A partial submit leaves SQEs queued: take them next time. */
		if (r >= 0 && (unsigned)r < batch)
			refused = refused ? refused : -EAGAIN;
	}
	printf("queued: %llu timeouts (%s)\n", (unsigned long long)queued,
	       refused ? strerror(-refused) : "no refusal");
	fflush(stdout);
	/* Hold them: a program the jail let keep them runs on. */
	for (int i = 0; i < 30; i++)
		(void)ring_wait(&ring, NULL, 100);
	if (refused) {
		printf("refused: IORING_OP_TIMEOUT flood: %s after %llu\n",
		       strerror(-refused), (unsigned long long)queued);
		return REFUSED;
	}
	printf("ESCAPED: the kernel holds %llu timeouts for the program, "
	       "which runs on\n",
	       (unsigned long long)queued);
	return ESCAPED;
}

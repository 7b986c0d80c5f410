/* ring.c — see ring.h.
 *
 * io_uring operations do not pass through seccomp: a ring that could open
 * files or sockets would undo the filter (this is why Docker's default
 * profile dropped io_uring in 2023). So the program's ring is created here,
 * disabled, and restricted before it is enabled:
 *   - SQE opcodes: only send and receive on a link, timeouts, and handing
 *     the kernel receive pages (PROVIDE_BUFFERS). No OPENAT, SOCKET,
 *     CONNECT, ACCEPT, MSG_RING, URING_CMD, SENDMSG, READ, WRITE...
 *   - every SQE must carry IOSQE_FIXED_FILE, so an operation can only name
 *     a slot of the file table, never a raw descriptor;
 *   - register opcodes: FILES_UPDATE alone, which is how the broker puts a
 *     link into a slot (the program cannot call io_uring_register at all).
 * Restrictions can be registered only once and only while the ring is
 * disabled, so nobody can loosen them afterwards. */
#include "ring.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "proto.h"

const unsigned char ring_allowed_ops[] = {
	IORING_OP_SEND, /* fk_send */
	IORING_OP_RECV, /* data and control messages, multishot */
	IORING_OP_TIMEOUT, /* fk_timer only: fk_wait's timeout is EXT_ARG */
	IORING_OP_ASYNC_CANCEL, /* fk_close of a timer, by its user_data */
	IORING_OP_PROVIDE_BUFFERS, /* pages the kernel receives into */
};
const unsigned ring_n_allowed_ops = sizeof(ring_allowed_ops);

static int uring_register(int fd, unsigned op, const void *arg, unsigned n)
{
	return (int)syscall(__NR_io_uring_register, fd, op, arg, n);
}

/* SQ and CQ sizes: a program has at most PROTO_SLOTS links, each with one
 * multishot receive, and its own sends and timers; the CQ is larger so a
 * burst of arrivals does not overflow it. */
enum { SQ_ENTRIES = 64, CQ_ENTRIES = 512 };

int ring_create(struct ring *r, struct error *e)
{
	memset(&r->params, 0, sizeof(r->params));
	/* SUBMIT_ALL: one bad SQE fails alone instead of wedging the queue.
	 * COOP_TASKRUN: a single-threaded program needs no interrupts to
	 * run completions; they run when it enters the kernel anyway. */
	r->params.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_CQSIZE |
			  IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
	r->params.cq_entries = CQ_ENTRIES;
	r->fd = (int)syscall(__NR_io_uring_setup, SQ_ENTRIES, &r->params);
	if (r->fd < 0)
		return error_sys(e, errno, "io_uring_setup");
	/* close-on-exec: the broker's copy must not reach a later child;
	 * the jail passes the program its own on purpose. */
	(void)fcntl(r->fd, F_SETFD, FD_CLOEXEC);

	int files[PROTO_SLOTS];
	for (unsigned i = 0; i < PROTO_SLOTS; i++)
		files[i] = -1;
	if (uring_register(r->fd, IORING_REGISTER_FILES, files, PROTO_SLOTS) < 0)
		goto fail;

	struct io_uring_restriction res[16];
	unsigned n = 0;
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < ring_n_allowed_ops; i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = ring_allowed_ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = PROTO_RING_SQE_FLAGS;
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_REGISTER_OP;
	res[n++].register_op = IORING_REGISTER_FILES_UPDATE;
	/* liburing 2.3 (Debian 12) lacks io_uring_register_restrictions and
	 * io_uring_enable_rings in its shared library: the raw calls. */
	if (uring_register(r->fd, IORING_REGISTER_RESTRICTIONS, res, n) < 0)
		goto fail;
	if (uring_register(r->fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
		goto fail;
	return 0;
fail:;
	int err = errno;
	close(r->fd);
	r->fd = -1;
	return error_sys(e, err, "io_uring_register (restricting the ring)");
}

int ring_install(int ring_fd, unsigned slot, int fd, struct error *e)
{
	struct io_uring_files_update up = {
		.offset = slot,
		.fds = (uint64_t)(uintptr_t)&fd,
	};
	if (slot >= PROTO_SLOTS)
		return error_set(e, EINVAL, "ring slot %u out of range", slot);
	if (uring_register(ring_fd, IORING_REGISTER_FILES_UPDATE, &up, 1) != 1)
		return error_sys(e, errno, "io_uring_register(FILES_UPDATE)");
	return 0;
}

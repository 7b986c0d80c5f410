/* ring.c — see ring.h.
 *
 * io_uring operations do not pass through seccomp: a ring that could open
 * files or sockets would undo the filter (this is why Docker's default
 * profile dropped io_uring in 2023). So the program's ring is created here,
 * disabled, and restricted before it is enabled:
 *   - SQE opcodes: only send and receive on the control link, write and
 *     read on a link, timeouts, and handing the kernel receive pages
 *     (PROVIDE_BUFFERS). No OPENAT, SOCKET, CONNECT, ACCEPT, MSG_RING,
 *     URING_CMD, SENDMSG, SPLICE...
 *   - every SQE must carry IOSQE_FIXED_FILE, so an operation can only name
 *     a slot of the file table, never a raw descriptor;
 *   - register opcodes: FILES_UPDATE alone, which is how the broker puts a
 *     link into a slot (the program cannot call io_uring_register at all).
 * Restrictions can be registered only once and only while the ring is
 * disabled, so nobody can loosen them afterwards. */
#include "ring.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "proto.h"

/* Besides the one read opcode a link uses (ring_link_read). */
static const unsigned char allowed_ops[] = {
	IORING_OP_SEND, /* messages to the broker, on the control link */
	IORING_OP_RECV, /* messages from the broker, multishot */
	IORING_OP_WRITE, /* fk_send: a datagram into a link's pipe */
	IORING_OP_TIMEOUT, /* fk_timer only: fk_wait's timeout is EXT_ARG */
	IORING_OP_ASYNC_CANCEL, /* fk_close of a timer or a link's read */
	IORING_OP_PROVIDE_BUFFERS, /* pages the kernel receives into */
};

static int uring_register(int fd, unsigned op, const void *arg, unsigned n)
{
	return (int)syscall(__NR_io_uring_register, fd, op, arg, n);
}

/* READ_MULTISHOT where this kernel has it (asked once per process, of the
 * first ring), else READ. The environment can force READ, so the suite
 * tests that path on a kernel that has both. */
static unsigned link_read_op(int ring_fd)
{
	static unsigned op;
	if (op)
		return op;
	op = IORING_OP_READ;
	const char *force = secure_getenv("FAKEOS_LINK_READ");
	if (force && strcmp(force, "single") == 0)
		return op;
	enum { OPS = 256 };
	union {
		struct io_uring_probe p;
		unsigned char bytes[sizeof(struct io_uring_probe) +
				    OPS * sizeof(struct io_uring_probe_op)];
	} probe;
	memset(&probe, 0, sizeof(probe));
	if (uring_register(ring_fd, IORING_REGISTER_PROBE, &probe, OPS) == 0 &&
	    probe.p.last_op >= PROTO_OP_READ_MULTISHOT &&
	    probe.p.ops[PROTO_OP_READ_MULTISHOT].flags & IO_URING_OP_SUPPORTED)
		op = PROTO_OP_READ_MULTISHOT;
	return op;
}

int ring_allowed(unsigned op, unsigned link_read)
{
	if (op == link_read)
		return 1;
	for (size_t i = 0; i < sizeof(allowed_ops); i++)
		if (allowed_ops[i] == op)
			return 1;
	return 0;
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

	int files[PROTO_FILES];
	for (unsigned i = 0; i < PROTO_FILES; i++)
		files[i] = -1;
	if (uring_register(r->fd, IORING_REGISTER_FILES, files, PROTO_FILES) < 0)
		goto fail;

	r->link_read = link_read_op(r->fd);
	struct io_uring_restriction res[16];
	unsigned n = 0;
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < sizeof(allowed_ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = allowed_ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = (uint8_t)r->link_read;
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

int ring_install(int ring_fd, unsigned file, int fd, struct error *e)
{
	struct io_uring_files_update up = {
		.offset = file,
		.fds = (uint64_t)(uintptr_t)&fd,
	};
	if (file >= PROTO_FILES)
		return error_set(e, EINVAL, "ring file %u out of range", file);
	if (uring_register(ring_fd, IORING_REGISTER_FILES_UPDATE, &up, 1) != 1)
		return error_sys(e, errno, "io_uring_register(FILES_UPDATE)");
	return 0;
}

int ring_install_link(int ring_fd, unsigned slot, int rx, int tx,
		      struct error *e)
{
	if (slot == PROTO_CONTROL_SLOT || slot >= PROTO_SLOTS)
		return error_set(e, EINVAL, "link slot %u out of range", slot);
	if (ring_install(ring_fd, slot, rx, e) < 0)
		return -1;
	if (ring_install(ring_fd, PROTO_TX_FILE(slot), tx, e) < 0) {
		struct error ignored;
		(void)ring_install(ring_fd, slot, -1, &ignored);
		return -1;
	}
	return 0;
}

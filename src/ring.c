/* ring.c — see ring.h.
 *
 * io_uring operations do not pass through seccomp: a ring that could open
 * files or sockets would undo the filter (this is why Docker's default
 * profile dropped io_uring in 2023). So the program's ring is created here,
 * disabled, and restricted before it is enabled:
 *   - SQE opcodes: only send and receive on the control link, write and
 *     read on a link, timeouts and cancelling them. No OPENAT, SOCKET,
 *     CONNECT, ACCEPT, MSG_RING, URING_CMD, SENDMSG, SPLICE, and no
 *     PROVIDE_BUFFERS: receive pages go back to the kernel through buffer
 *     rings registered here (ring_recv_pages), except on a kernel before
 *     6.4, where PROVIDE_BUFFERS is the only way and is allowed;
 *   - every SQE must carry IOSQE_FIXED_FILE, so an operation can only name
 *     a slot of the file table, never a raw descriptor;
 *   - register opcodes: FILES_UPDATE alone, which is how the broker puts
 *     the control link into file 0 before the exec (the program cannot call
 *     io_uring_register at all). After the exec the ring takes no
 *     registration from anyone: it is SINGLE_ISSUER, its submitter is the
 *     program, and links arrive by the broker's MSG_RING (ring_install).
 * Restrictions can be registered only once and only while the ring is
 * disabled, so nobody can loosen them afterwards. */
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"

/* Besides the one read opcode a link uses (link_read_op), and
 * PROVIDE_BUFFERS where the receive pages need it (ring_recv_pages). */
static const unsigned char allowed_ops[] = {
	IORING_OP_SEND, /* messages to the broker, on the control link */
	IORING_OP_RECV, /* messages from the broker, multishot */
	IORING_OP_WRITE, /* fk_send: a datagram into a link's pipe */
	IORING_OP_TIMEOUT, /* fk_timer only: fk_wait's timeout is EXT_ARG */
	IORING_OP_ASYNC_CANCEL, /* fk_close of a timer or a link's read */
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

/* The program's two groups of receive pages become buffer rings, which
 * the kernel allocates (IOU_PBUF_RING_MMAP) and the program maps from its
 * ring descriptor: a page goes back by a store to shared memory instead of
 * a PROVIDE_BUFFERS SQE, its kmalloc'd list entry and its CQE, which took
 * 12-15% off a round trip on one CPU and about 20% on two in taskrun
 * (docs/BENCH.md, section 2). They start empty; the program fills them.
 * A kernel before 6.4 refuses the flag (EINVAL): then the program uses
 * PROVIDE_BUFFERS, as does every ring when FAKEOS_RECV_PAGES=provide is in
 * the environment, so the suite tests that path too. The rings take a
 * page each, which the kernel charges, like the ring's own memory, to the
 * user's RLIMIT_MEMLOCK unless the broker has CAP_IPC_LOCK: where that is
 * used up (ENOMEM), this program gets PROVIDE_BUFFERS too, and runs. */
static unsigned ring_recv_pages(int ring_fd, struct error *e)
{
	static bool warned;
	const char *force = secure_getenv("FAKEOS_RECV_PAGES");
	if (force && strcmp(force, "provide") == 0)
		return PROTO_RECV_PROVIDE;
	static const struct {
		uint16_t group, pages;
	} groups[] = {
		{ PROTO_GROUP_DATA, PROTO_DATA_PAGES },
		{ PROTO_GROUP_CONTROL, PROTO_CONTROL_PAGES },
	};
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		struct io_uring_buf_reg reg;
		memset(&reg, 0, sizeof(reg));
		reg.ring_entries = groups[i].pages;
		reg.bgid = groups[i].group;
		reg.pad = PROTO_PBUF_RING_MMAP; /* "flags" in 6.4's headers */
		if (uring_register(ring_fd, IORING_REGISTER_PBUF_RING, &reg,
				   1) == 0)
			continue;
		int err = errno;
		if (err == EINVAL && i == 0)
			return PROTO_RECV_PROVIDE;
		if (err != ENOMEM) {
			error_sys(e, err, "io_uring_register (a buffer ring)");
			return 0;
		}
		/* The ring stays disabled and unrestricted until
		 * ring_create is done, so it can give back what it got. */
		for (size_t j = 0; j < i; j++) {
			memset(&reg, 0, sizeof(reg));
			reg.bgid = groups[j].group;
			(void)uring_register(ring_fd,
					     IORING_UNREGISTER_PBUF_RING, &reg, 1);
		}
		if (!warned)
			log_warn("io_uring: no memory for a program's buffer "
				 "rings (the user's RLIMIT_MEMLOCK is used up by "
				 "rings); it and any other such program hand "
				 "receive pages back by PROVIDE_BUFFERS, which "
				 "is slower");
		warned = true;
		return PROTO_RECV_PROVIDE;
	}
	return PROTO_RECV_RING;
}

/* SQ and CQ sizes: a program has at most PROTO_SLOTS links, each with one
 * multishot receive, and its own sends and timers; the CQ is larger so a
 * burst of arrivals does not overflow it. */
enum { SQ_ENTRIES = 64, CQ_ENTRIES = 512 };

int ring_create(struct ring *r, struct error *e)
{
	/* SUBMIT_ALL: one bad SQE fails alone instead of wedging the queue.
	 * DEFER_TASKRUN (with SINGLE_ISSUER, which it needs): a receive that
	 * a peer's write makes ready completes inside the program's own
	 * io_uring_enter, not through the generic task-work path, which
	 * took 2-10% off a link's round trip here (docs/BENCH.md, 2). The
	 * ring's one submitter is the program's task, which enables the ring
	 * just before its exec (ring_enable); from then on only MSG_RING can
	 * put a link into it (ring_install). A kernel without DEFER_TASKRUN
	 * (before 6.1) gets COOP_TASKRUN: no interrupts to run completions,
	 * which run when the program enters the kernel anyway. */
	static const unsigned modes[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
	};
	r->fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(modes) && r->fd < 0; i++) {
		memset(&r->params, 0, sizeof(r->params));
		r->params.flags = IORING_SETUP_R_DISABLED |
				  IORING_SETUP_CQSIZE |
				  IORING_SETUP_SUBMIT_ALL | modes[i];
		r->params.cq_entries = CQ_ENTRIES;
		r->fd = (int)syscall(__NR_io_uring_setup, SQ_ENTRIES,
				     &r->params);
		if (r->fd < 0 && errno != EINVAL)
			break;
	}
	if (r->fd < 0 && errno == ENOMEM)
		return error_sys(e, errno, "io_uring_setup (the kernel charges a "
					   "ring to the user's RLIMIT_MEMLOCK "
					   "unless the broker has CAP_IPC_LOCK)");
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
	r->recv_pages = ring_recv_pages(r->fd, e);
	if (!r->recv_pages) {
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	struct io_uring_restriction res[16];
	unsigned n = 0;
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < sizeof(allowed_ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = allowed_ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = (uint8_t)r->link_read;
	if (r->recv_pages == PROTO_RECV_PROVIDE) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = IORING_OP_PROVIDE_BUFFERS;
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
	return 0;
fail:;
	int err = errno;
	close(r->fd);
	r->fd = -1;
	return error_sys(e, err, "io_uring_register (restricting the ring)");
}

int ring_enable(int ring_fd)
{
	return uring_register(ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0
		       ? -errno
		       : 0;
}

/* The broker's own ring, for MSG_RING: one file (the one being sent), and
 * the two dead ends that stand for an empty file (see ring_install). */
static struct {
	bool ready;
	struct io_uring ring;
	int dead_rx, dead_tx;
	uint64_t seq;
} src = { .dead_rx = -1, .dead_tx = -1 };

static int src_init(struct error *e)
{
	if (src.ready)
		return 0;
	int r = io_uring_queue_init(4, &src.ring, 0);
	if (r < 0)
		return error_sys(e, -r, "io_uring_setup (the broker's ring)");
	if ((r = io_uring_register_files_sparse(&src.ring, 1)) < 0) {
		io_uring_queue_exit(&src.ring);
		return error_sys(e, -r, "io_uring_register (the broker's ring)");
	}
	/* A read end whose write end is closed reads end of file; a write
	 * end whose read end is closed fails with EPIPE (the program ignores
	 * SIGPIPE, jail.c): what a link reports once its peer has gone. */
	int a[2], b[2];
	if (pipe2(a, O_CLOEXEC) < 0) {
		io_uring_queue_exit(&src.ring);
		return error_sys(e, errno, "pipe2 (dead ends)");
	}
	if (pipe2(b, O_CLOEXEC) < 0) {
		int err = errno;
		close(a[0]);
		close(a[1]);
		io_uring_queue_exit(&src.ring);
		return error_sys(e, err, "pipe2 (dead ends)");
	}
	close(a[1]);
	close(b[0]);
	src.dead_rx = a[0];
	src.dead_tx = b[1];
	src.ready = true;
	return 0;
}

void ring_release(void)
{
	if (!src.ready)
		return;
	io_uring_queue_exit(&src.ring);
	close(src.dead_rx);
	close(src.dead_tx);
	src.dead_rx = src.dead_tx = -1;
	src.ready = false;
}

/* How long the broker waits for a program's task to take a file: the
 * install runs as task work there, at its next return from the kernel or
 * to user space, so only a task that is not scheduled at all is slow. */
enum { MSG_RING_WAIT_MS = 5000 };

/* What the wait for an install does every MSG_RING_SLICE_MS (ring.h). */
static void (*wait_hook)(void *arg);
static void *wait_hook_arg;
enum { MSG_RING_SLICE_MS = 10 };

void ring_set_wait_hook(void (*fn)(void *arg), void *arg)
{
	wait_hook = fn;
	wait_hook_arg = arg;
}

/* Sends fd into file of the ring of another task with MSG_RING
 * (IORING_MSG_SEND_FD), and waits until it is there. src is ready. */
static int msg_install(int ring_fd, unsigned file, int fd, struct error *e)
{
	int r = io_uring_register_files_update(&src.ring, 0, &fd, 1);
	if (r < 0)
		return error_sys(e, -r, "io_uring_register(FILES_UPDATE) of "
					"the broker's ring");
	struct io_uring_sqe *sqe = io_uring_get_sqe(&src.ring);
	if (!sqe)
		return error_set(e, EBUSY, "the broker's ring is full");
	uint64_t seq = ++src.seq;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_MSG_RING;
	sqe->fd = ring_fd;
	sqe->addr = IORING_MSG_SEND_FD;
	sqe->addr3 = 0; /* file 0 of the broker's ring */
	sqe->file_index = file + 1; /* 1-based; 0 would mean "not fixed" */
	sqe->msg_ring_flags = IORING_MSG_RING_CQE_SKIP;
	sqe->user_data = seq;
	/* Waited for in slices, the hook run between them: a program the
	 * broker traces and that is stopped (a host's SIGSTOP, then
	 * SIGCONT) runs again only once the broker resumes it, which it
	 * must do while it waits here for that program's task. */
	struct __kernel_timespec ts = {
		.tv_sec = 0,
		.tv_nsec = MSG_RING_SLICE_MS * 1000000L,
	};
	if ((r = io_uring_submit(&src.ring)) < 0)
		return error_sys(e, -r, "io_uring_enter (the broker's ring)");
	/* A completion of an earlier install that timed out may come first:
	 * it is passed over, and each wait is bounded again. */
	int res;
	for (unsigned waited = 0;;) {
		struct io_uring_cqe *cqe;
		r = io_uring_wait_cqe_timeout(&src.ring, &cqe, &ts);
		if (r == -EINTR)
			continue;
		if (r == -ETIME && (waited += MSG_RING_SLICE_MS) <
					   MSG_RING_WAIT_MS) {
			if (wait_hook)
				wait_hook(wait_hook_arg);
			continue;
		}
		if (r < 0) {
			res = r == -ETIME ? -ETIMEDOUT : r;
			break;
		}
		uint64_t ud = cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(&src.ring, cqe);
		if (ud == seq)
			break;
	}
	int none = -1;
	(void)io_uring_register_files_update(&src.ring, 0, &none, 1);
	if (res < 0)
		return error_sys(e, -res, "MSG_RING (putting a file into a "
					  "program's ring)");
	return 0;
}

int ring_install(int ring_fd, unsigned file, int fd, struct error *e)
{
	struct io_uring_files_update up = {
		.offset = file,
		.fds = (uint64_t)(uintptr_t)&fd,
	};
	if (file >= PROTO_FILES)
		return error_set(e, EINVAL, "ring file %u out of range", file);
	if (uring_register(ring_fd, IORING_REGISTER_FILES_UPDATE, &up, 1) == 1)
		return 0;
	/* EEXIST: a SINGLE_ISSUER ring that its program has enabled takes
	 * registrations from that program's task only (and the program can
	 * make none). MSG_RING can replace a file but not remove one, so an
	 * empty file becomes a dead end: the link reads end of file and
	 * its sends fail with EPIPE, as when its peer has gone. */
	if (errno != EEXIST)
		return error_sys(e, errno, "io_uring_register(FILES_UPDATE)");
	if (src_init(e) < 0)
		return -1;
	if (fd < 0)
		fd = file >= PROTO_SLOTS ? src.dead_tx : src.dead_rx;
	log_debug("io_uring: %s file %u of a program's ring with MSG_RING",
		  fd == src.dead_rx || fd == src.dead_tx ? "ending" : "filling",
		  file);
	return msg_install(ring_fd, file, fd, e);
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

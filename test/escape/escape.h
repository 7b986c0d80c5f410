/* escape.h — shared by the hostile programs in test/escape/. Each program
 * makes one escape attempt. If the attempt returns at all, the program
 * prints what it got and exits: ESCAPED (99) when the kernel, the ring or
 * the broker did what was asked, REFUSED (0) with the error when it did
 * not. A program killed by the jail prints nothing after its "trying" line.
 *
 * Three kinds of attempt share the helpers below:
 *   - a raw system call (outcome: "refused: WHAT: <strerror>");
 *   - an SQE on the program's own io_uring, the one the broker made and
 *     restricted (ring_outcome: "refused: WHAT: <strerror of -res>");
 *   - a forged message to the broker on the control link, ring slot 0
 *     (ctl_forge: the broker must kill the program, so it never returns).
 * Arguments the test passes (host paths, pids, ports) are read with arg();
 * a program ignores arguments it does not use, such as the test's tag. */
#ifndef FAKEOS_ESCAPE_H
#define FAKEOS_ESCAPE_H

/* liburing.h needs cpu_set_t: include this header first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto.h"

#define ESCAPED 99
#define REFUSED 0
#define SETUP_FAILED 2 /* the attempt could not even be prepared */

static inline void trying(const char *what)
{
	printf("trying: %s\n", what);
	fflush(stdout);
}

/* For calls whose success is a non-negative return. */
static inline int outcome(const char *what, long r)
{
	if (r < 0) {
		printf("refused: %s: %s\n", what, strerror(errno));
		return REFUSED;
	}
	printf("ESCAPED: %s returned %ld\n", what, r);
	return ESCAPED;
}

/* argv[i], or dflt when the test gave fewer arguments. */
static inline const char *arg(int argc, char **argv, int i, const char *dflt)
{
	return i < argc ? argv[i] : dflt;
}

static inline long arg_num(int argc, char **argv, int i, long dflt)
{
	return i < argc ? strtol(argv[i], NULL, 0) : dflt;
}

static inline _Noreturn void setup_failed(const char *what, int err)
{
	printf("setup failed: %s: %s\n", what, strerror(err));
	exit(SETUP_FAILED);
}

/* --- the program's own ring ---------------------------------------------- */

/* Maps the ring the broker made (fd 3) from the geometry in the boot page
 * (fd 4), as libfakeos does: the only two file mappings the filter allows.
 * liburing 2.3's io_uring_queue_mmap leaves the SQ index array and the
 * features to io_uring_queue_init, which a program cannot call. */
static inline void ring_map(struct io_uring *ring)
{
	const struct proto_boot *b = mmap(NULL, PROTO_PAGE, PROT_READ,
					  MAP_PRIVATE, PROTO_BOOT_FD, 0);
	if (b == MAP_FAILED)
		setup_failed("mmap(boot page)", errno);
	struct io_uring_params p = b->params;
	munmap((void *)b, PROTO_PAGE);
	memset(ring, 0, sizeof(*ring));
	int r = io_uring_queue_mmap(PROTO_RING_FD, &p, ring);
	if (r < 0)
		setup_failed("io_uring_queue_mmap", -r);
	ring->features = p.features;
	for (unsigned i = 0; i < *ring->sq.kring_entries; i++)
		ring->sq.array[i] = i;
}

/* A zeroed SQE. */
static inline struct io_uring_sqe *ring_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe)
		setup_failed("io_uring_get_sqe", EBUSY);
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

/* Submits what is queued and waits up to ms for one completion, which it
 * consumes. Returns the CQE's res; -ETIME if none came. */
static inline int ring_wait(struct io_uring *ring, uint64_t *user_data, long ms)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	int r = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, NULL);
	if (r < 0 && r != -ETIME)
		setup_failed("io_uring_enter", -r);
	if (io_uring_peek_cqe(ring, &cqe) != 0)
		return -ETIME;
	int res = cqe->res;
	if (user_data)
		*user_data = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* The completion of the one SQE just prepared, as the attempt's outcome. A
 * completion that never comes (2 s) is not a refusal: it is reported as an
 * escape, since the ring accepted the operation. */
static inline int ring_outcome(struct io_uring *ring, const char *what)
{
	int res = ring_wait(ring, NULL, 2000);
	printf("cqe: %s: res=%d\n", what, res);
	if (res < 0 && res != -ETIME) {
		printf("refused: %s: %s\n", what, strerror(-res));
		return REFUSED;
	}
	printf("ESCAPED: %s %s\n", what,
	       res == -ETIME ? "was accepted and is pending" : "completed");
	return ESCAPED;
}

/* --- the control link (ring slot 0) ------------------------------------- */

/* Sends one datagram to the broker with a SEND on the control slot, as
 * libfakeos does, and returns the SEND's result. */
static inline int ctl_send(struct io_uring *ring, const void *buf, size_t len)
{
	struct io_uring_sqe *sqe = ring_sqe(ring);
	io_uring_prep_send(sqe, PROTO_CONTROL_SLOT, buf, len, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	return ring_wait(ring, NULL, 2000);
}

/* What a program does after a message the broker must kill it for: wait.
 * The broker kills asynchronously; if the program is still alive after
 * 3 s, the broker accepted the message, which is an escape. Replies that
 * arrive meanwhile are printed (type and handle). */
static inline _Noreturn void ctl_await_kill(struct io_uring *ring,
					    const char *what)
{
	static union {
		struct proto_hdr h;
		unsigned char bytes[PROTO_PAGE];
	} reply;
	struct io_uring_sqe *sqe = ring_sqe(ring);
	io_uring_prep_recv(sqe, PROTO_CONTROL_SLOT, &reply, sizeof(reply), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	for (int i = 0; i < 30; i++) {
		int res = ring_wait(ring, NULL, 100);
		if (res == -ETIME)
			continue;
		if (res >= (int)sizeof(reply.h))
			printf("reply: type %u handle %d\n", reply.h.type,
			       reply.h.handle);
		else
			printf("reply: res=%d\n", res);
		fflush(stdout);
		sqe = ring_sqe(ring);
		io_uring_prep_recv(sqe, PROTO_CONTROL_SLOT, &reply,
				   sizeof(reply), 0);
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	printf("ESCAPED: the broker accepted %s and the program runs on\n",
	       what);
	exit(ESCAPED);
}

/* The whole attempt for a forged control message: send it, then wait to
 * be killed. A SEND the kernel refuses is reported as a refusal. */
static inline int ctl_forge(const char *what, const void *msg, size_t len)
{
	struct io_uring ring;
	ring_map(&ring);
	trying(what);
	int res = ctl_send(&ring, msg, len);
	if (res < 0) {
		printf("refused: %s: %s\n", what, strerror(-res));
		return REFUSED;
	}
	ctl_await_kill(&ring, what);
}

/* A request with its header filled in, ready to be spoilt. */
static inline void ctl_hdr(void *msg, enum proto_type type, size_t len,
			   int32_t handle)
{
	memset(msg, 0, len);
	proto_hdr_init(msg, type, (uint32_t)len, handle);
}

/* Has the kernel write a message into the program's own code: code is a
 * function's first CODE_BYTES bytes, arm() prepares the receive SQE that
 * is to put the message there, and the message is the broker's reply to a
 * harmless SUBSCRIBE of channel. W^X holds only if the kernel's copy
 * respects the page's protection (EFAULT) as the program's own stores do:
 * a result >= 0, or code that changed, is an escape. */
enum { CODE_BYTES = 64 };
static inline int recv_into_code(struct io_uring *ring, const char *channel,
				 const void *code,
				 void (*arm)(struct io_uring_sqe *sqe),
				 const char *what)
{
	static struct proto_name m;
	unsigned char before[CODE_BYTES];
	memcpy(before, code, sizeof(before));
	ctl_hdr(&m, PROTO_SUBSCRIBE, sizeof(m), 1);
	snprintf(m.name, sizeof(m.name), "%s", channel);
	if (ctl_send(ring, &m, sizeof(m)) != (int)sizeof(m))
		setup_failed("SEND SUBSCRIBE", EIO);
	arm(ring_sqe(ring));
	trying(what);
	int res = ring_wait(ring, NULL, 2000);
	printf("cqe: %s: res=%d\n", what, res);
	if (memcmp(before, code, sizeof(before)) != 0 || res >= 0) {
		printf("ESCAPED: the kernel wrote into code\n");
		return ESCAPED;
	}
	printf("refused: %s: %s\n", what, strerror(-res));
	return REFUSED;
}

#endif

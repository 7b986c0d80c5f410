/* ring.h — a program's io_uring, made by the broker before the exec: set up
 * disabled, given a file table, restricted to the operations the fakeOS API
 * needs, then enabled. The program inherits it at PROTO_RING_FD and can
 * never make another (seccomp forbids io_uring_setup). Links reach it as
 * entries in its file table, which only the broker writes. */
#ifndef FAKEOS_RING_H
#define FAKEOS_RING_H

#include <linux/io_uring.h>

#include "util.h"

struct ring {
	int fd; /* the broker's descriptor for the ring */
	struct io_uring_params params; /* for the program's boot page */
};

/* Creates a restricted ring with PROTO_SLOTS empty file slots. */
int ring_create(struct ring *r, struct error *e);

/* Puts fd into the ring's file table at slot, replacing what was there;
 * fd -1 empties the slot. The ring holds its own reference: the caller may
 * close fd afterwards. */
int ring_install(int ring_fd, unsigned slot, int fd, struct error *e);

/* The opcodes a program's ring accepts, for tests and docs. */
extern const unsigned char ring_allowed_ops[];
extern const unsigned ring_n_allowed_ops;

#endif

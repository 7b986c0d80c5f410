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
	unsigned link_read; /* the read opcode it allows (boot page) */
	unsigned recv_pages; /* PROTO_RECV_RING or _PROVIDE (boot page) */
	struct io_uring_params params; /* for the program's boot page */
};

/* Creates a restricted ring with PROTO_FILES empty files, still disabled:
 * the program's task enables it (ring_enable) just before its exec, and
 * so becomes the ring's one submitter (SINGLE_ISSUER). */
int ring_create(struct ring *r, struct error *e);

/* IORING_REGISTER_ENABLE_RINGS, in the task that will submit to the ring.
 * Returns 0 or -errno. */
int ring_enable(int ring_fd);

/* Puts fd into the ring's file table at index file, replacing what was
 * there; fd -1 empties it. Before the program enables its ring, or on a
 * ring without SINGLE_ISSUER, that is FILES_UPDATE; after, it is MSG_RING
 * from a ring of the caller's own, which waits until the program's task
 * has taken the file, and "empty" means a dead end (reads end of file,
 * writes fail with EPIPE). The ring holds its own reference: the caller
 * may close fd afterwards. Returns 0, or -1 with e set. */
int ring_install(int ring_fd, unsigned file, int fd, struct error *e);

/* Puts a link into slot (1..PROTO_SLOTS-1): rx, the read end it receives
 * from, at file slot, and tx, the write end it sends into, at
 * PROTO_TX_FILE(slot); -1 and -1 empty both. All or nothing. */
int ring_install_link(int ring_fd, unsigned slot, int rx, int tx,
		      struct error *e);

/* A function that ring_install's wait runs every few milliseconds while
 * a program's task has not taken its file: the broker's service of its
 * traced programs' stops (broker_crash.c), one of which may be what keeps
 * that task from running. */
void ring_set_wait_hook(void (*fn)(void *arg), void *arg);

/* Closes what ring_install made for MSG_RING (the caller's own ring and
 * the two dead ends), if it made them. */
void ring_release(void);

#endif

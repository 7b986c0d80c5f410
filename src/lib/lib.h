/* lib.h — libfakeos's insides: the handle table, the send and receive
 * pages, and the ring plumbing that fakeos.c (the calls), queue.c (what
 * goes into the ring) and event.c (what comes out of it) share. Nothing
 * here is part of the API; include/fakeos.h is.
 *
 * One rule shapes everything: a CQE names what it belongs to by handle
 * (user_data carries the handle value, see lib_ud), and handle values are
 * not reused while the broker or the kernel may still mention them. So a
 * completion or a message for something already closed is recognised as
 * stale and dropped, and its receive page goes back to the kernel. */
#ifndef FAKEOS_LIB_H
#define FAKEOS_LIB_H

#include <liburing.h>
#include <stdint.h>

#include "fakeos.h"
#include "proto.h"

enum {
	LIB_HANDLES = 2048, /* live handles at once: a parent may have as
			       many children as a tree holds programs */
	LIB_SEND_PAGES = 64, /* pages for outgoing datagrams and requests */
	LIB_CONTROL_RESERVE = 8, /* ... of which data may not take the last */
	LIB_LINK_QUEUE = 32, /* datagrams one link may have unsent */
	LIB_NOTES = 2 * LIB_HANDLES + PROTO_SLOTS, /* small CLOSE/KILL
						      messages; see queue.c */
	LIB_DATA_PAGES = PROTO_DATA_PAGES, /* receive pages for links */
	LIB_CONTROL_PAGES = PROTO_CONTROL_PAGES, /* ... for the control link */
	LIB_RECV_PAGES = LIB_DATA_PAGES + LIB_CONTROL_PAGES,
};

/* Buffer groups: links and the control link receive into separate pools,
 * so a flood on a link cannot starve the broker's messages. */
enum { LIB_GROUP_DATA = PROTO_GROUP_DATA, LIB_GROUP_CONTROL = PROTO_GROUP_CONTROL };

/* How many receive pages a group has (buffer ids 0 .. that - 1). */
static inline unsigned lib_group_pages(unsigned group)
{
	return group == LIB_GROUP_DATA ? LIB_DATA_PAGES : LIB_CONTROL_PAGES;
}

/* Sends on one socket must not overlap: io_uring retries blocked sends in
 * no particular order, so two in flight can arrive swapped (seen here:
 * nearly every message out of order under back-pressure). One batch per
 * link is in flight at a time; when the ring allows IOSQE_IO_LINK, the
 * batch is a chain the kernel runs in order, otherwise one datagram. */
#if defined(PROTO_RING_SQE_FLAGS) && (PROTO_RING_SQE_FLAGS & IOSQE_IO_LINK)
#define LIB_CHAIN 16
#else
#define LIB_CHAIN 1
#endif

/* What a CQE is the completion of (the low byte of user_data). */
enum lib_op {
	LIB_OP_RECV = 1, /* receive: the control link's multishot RECV, or
			    a link's READ (multishot where the kernel can) */
	LIB_OP_SEND, /* one datagram (SEND or WRITE); bits 8..23: the
			send buffer */
	LIB_OP_TIMER, /* a timer's TIMEOUT */
	LIB_OP_UNTIMER, /* ASYNC_CANCEL of a closed timer's TIMEOUT */
	LIB_OP_PROVIDE, /* receive pages handed to the kernel, where the
			   boot page says PROTO_RECV_PROVIDE */
	LIB_OP_UNRECV, /* ASYNC_CANCEL of a torn-down link's READ */
};

/* user_data: the handle (0: the control link) in the high half, the send
 * buffer in bits 8..23, the operation in the low byte. */
static inline uint64_t lib_ud(enum lib_op op, fk_handle h, unsigned buf)
{
	return (uint64_t)(uint32_t)h << 32 | (uint64_t)(buf & 0xffff) << 8 |
	       (uint64_t)op;
}

enum lib_kind { LIB_FREE, LIB_LINK, LIB_SERVE, LIB_SUB, LIB_CHILD, LIB_TIMER };

/* A FIFO of send buffers for one socket. */
struct lib_sendq {
	uint16_t head, tail; /* buffer index + 1; 0: empty */
	uint16_t queued; /* waiting in the library */
	uint16_t inflight; /* SENDs in the kernel: one batch */
};

struct lib_entry {
	fk_handle handle; /* the current handle, or the last one if free */
	uint8_t kind; /* enum lib_kind */
	uint8_t open; /* the broker said OPENED (links: slot is valid) */
	uint8_t dead; /* closed by the program: no more events; the
			 entry lives on only until its teardown is done */
	uint8_t parked; /* link: receive ended for want of pages */
	uint8_t reading; /* link: its READ is in the kernel */
	uint8_t in_work; /* on the work list */
	uint8_t killed; /* child: KILL sent */
	uint8_t armed; /* timer: its TIMEOUT is in the kernel */
	uint8_t want_room; /* link: fk_send said -EAGAIN */
	/* A link to another host (lib_link_remote) ends in two parts that
	 * arrive on two sockets in either order: the broker's LINK_ENDED
	 * and the pipe's end of file after the last datagram. Its
	 * FK_EV_CLOSED waits for both (event.c, link_end). */
	uint8_t eof; /* link: its pipe ended; LINK_ENDED is awaited */
	uint8_t ended; /* link: LINK_ENDED came, with end_status */
	int32_t end_status;
	uint32_t slot; /* link: its ring slot */
	struct lib_sendq q; /* link: datagrams to send */
	uint64_t deadline, period; /* timer, ns on CLOCK_MONOTONIC */
	struct __kernel_timespec ts; /* timer: read when submitted */
};

/* A send buffer: a page (index < LIB_SEND_PAGES) or a note. */
struct lib_sbuf {
	fk_handle owner; /* the link, or 0: the control link */
	uint16_t next; /* FIFO link, index + 1 */
	uint16_t len;
};

struct lib_state {
	int ready;
	struct io_uring ring;
	unsigned link_read; /* the boot page's: the opcode a link reads with */
	unsigned recv_mode; /* the boot page's recv_pages: PROTO_RECV_RING or _PROVIDE */
	int spin; /* fk_wait may poll before it sleeps: the boot page's cpus != 1 */
	uint16_t version; /* the protocol version spoken with the broker: the
			     newest both know (the boot page's
			     broker_version, 3 when it says none) */
	unsigned spin_skip; /* waits left that sleep at once (event.c) */
	unsigned spin_backoff; /* how many the last poll in vain set */
	struct fk_boot boot;
	char url[PROTO_URL_SIZE];
	/* Who is at the other end of the link in each slot, as the broker's
	 * OPENED or INCOMING said (version 5; url "" before): fk_peer. */
	struct fk_peer peers[PROTO_SLOTS];

	struct lib_entry e[LIB_HANDLES];
	unsigned cursor; /* where the search for a free entry starts */
	fk_handle slot_owner[PROTO_SLOTS]; /* the link in each slot; 0 */

	unsigned char *send_pages;
	struct lib_sbuf sb[LIB_SEND_PAGES + LIB_NOTES];
	uint16_t free_pages[LIB_SEND_PAGES];
	unsigned nfree_pages;
	uint16_t free_notes[LIB_NOTES];
	unsigned nfree_notes;
	struct lib_sendq control; /* requests to the broker */

	unsigned char *recv_pages; /* LIB_DATA_PAGES, then the control's */
	/* Each group's buffer ring, mapped from the ring descriptor; NULL
	 * where the boot page says PROTO_RECV_PROVIDE. */
	struct io_uring_buf_ring *buf_ring[2];
	uint8_t held[LIB_RECV_PAGES]; /* out of the kernel's pool */
	unsigned avail[2]; /* pages in each group's pool (or on the way) */
	uint8_t control_parked; /* the control receive waits for pages */

	uint16_t work[LIB_HANDLES]; /* entries with something to do */
	unsigned nwork;
	uint8_t want_pages; /* a send was refused: no page was free */
	uint8_t wake; /* room has come back for a refused send */
};

extern struct lib_state lib;

/* Ends the program with status 134 after "libfakeos: <message>" on
 * stderr: for a broker that breaks the protocol or a ring that refuses
 * what the library was promised. Nothing sensible can follow either. */
_Noreturn void lib_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* --- handles (queue.c) --- */
struct lib_entry *lib_entry_new(enum lib_kind kind);
void lib_entry_free(struct lib_entry *e);
/* The entry a handle names while the program may use it, or NULL. */
struct lib_entry *lib_live(fk_handle h);
/* The same, also while a closed entry is being torn down. */
struct lib_entry *lib_find(fk_handle h);
/* Puts e on the work list that lib_flush goes through. */
void lib_work(struct lib_entry *e);

/* --- the ring (queue.c) --- */
/* A zeroed SQE with op's user_data and IOSQE_FIXED_FILE (the ring refuses
 * any SQE without it). Submits first when the SQ is full. */
struct io_uring_sqe *lib_sqe(enum lib_op op, fk_handle h, unsigned buf);
/* Submits queued SQEs; with wait, runs completions too. */
void lib_submit(void);
/* Turns queued work into SQEs: send batches, re-armed receives, CLOSEs
 * of torn-down links. Makes no system call unless the SQ fills. */
void lib_flush(void);

/* --- sending (queue.c) --- */
/* A send page for data (keeping LIB_CONTROL_RESERVE back), or a zeroed
 * one for a request; -EAGAIN when none is free. */
int lib_page_get(int for_data);
void *lib_sbuf_ptr(unsigned buf);
/* Queues buf (len bytes) on q for owner's socket. */
void lib_enqueue(struct lib_sendq *q, fk_handle owner, unsigned buf,
		 size_t len);
/* Frees every buffer still waiting in q. */
void lib_drop_queue(struct lib_sendq *q);
void lib_sbuf_put(unsigned buf);
/* A CLOSE (or KILL) for the broker, queued in order with the requests.
 * Never fails: see LIB_NOTES. */
void lib_note(enum proto_type type, fk_handle h, unsigned slot);
/* A link is over: what it had queued is dropped, the broker is told to
 * free its slot, and the entry is freed. */
void lib_link_teardown(struct lib_entry *e);

/* --- receiving (queue.c) --- */
void lib_recv_arm(fk_handle h, unsigned slot);
void *lib_page_ptr(unsigned page);
/* Hands a receive page back to the kernel's pool. */
void lib_page_give(unsigned page);

/* --- timers (queue.c) --- */
/* Queues e's TIMEOUT for e->deadline. */
void lib_timer_arm(struct lib_entry *e);
/* Queues the removal of e's TIMEOUT; its completion then ends e. */
void lib_timer_remove(struct lib_entry *e);

/* Whether the open link e ends with a LINK_ENDED before its end of
 * file: a link to another host, from a broker of version 6. */
static inline int lib_link_remote(const struct lib_entry *e)
{
	return lib.version >= 6 && lib.peers[e->slot].host[0];
}

/* --- completions (event.c) --- */
/* Handles one completion; stores at most one event in *ev. */
int lib_dispatch(const struct io_uring_cqe *cqe, struct fk_event *ev);

#endif

/* queue.c — what libfakeos puts into the ring: the handle table, send
 * buffers and their per-socket queues, receive pages, and lib_flush, which
 * turns all queued work into SQEs just before fk_wait enters the kernel.
 * See lib.h. */
#include "lib/lib.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct lib_state lib;

_Noreturn void lib_fatal(const char *fmt, ...)
{
	va_list ap;
	fflush(NULL);
	dprintf(STDERR_FILENO, "libfakeos: ");
	va_start(ap, fmt);
	vdprintf(STDERR_FILENO, fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "\n");
	_exit(134);
}

/* --- handles ------------------------------------------------------------- */

/* An index is reused with the next handle value in its series (index + 1,
 * then + LIB_HANDLES each time, back to index + 1 before INT32_MAX would
 * be passed), so a handle value comes back only after 2^31 / LIB_HANDLES
 * = 1048576 (about a million) reuses of one index: long after anything
 * that could still mention the old one. */
struct lib_entry *lib_entry_new(enum lib_kind kind)
{
	for (unsigned n = 0; n < LIB_HANDLES; n++) {
		unsigned i = (lib.cursor + n) % LIB_HANDLES;
		struct lib_entry *e = &lib.e[i];
		if (e->kind != LIB_FREE)
			continue;
		fk_handle h = e->handle;
		uint8_t in_work = e->in_work; /* still listed: see lib_flush */
		if (h == 0 || h > INT32_MAX - LIB_HANDLES)
			h = (fk_handle)i + 1;
		else
			h += LIB_HANDLES;
		memset(e, 0, sizeof(*e));
		e->handle = h;
		e->kind = (uint8_t)kind;
		e->in_work = in_work;
		lib.cursor = i + 1;
		return e;
	}
	return NULL;
}

void lib_entry_free(struct lib_entry *e)
{
	fk_handle h = e->handle;
	uint8_t in_work = e->in_work;
	memset(e, 0, sizeof(*e));
	e->handle = h;
	e->kind = LIB_FREE;
	e->in_work = in_work; /* lib_flush drops it from the list */
}

struct lib_entry *lib_find(fk_handle h)
{
	if (h <= 0)
		return NULL;
	struct lib_entry *e = &lib.e[(unsigned)(h - 1) % LIB_HANDLES];
	return e->handle == h && e->kind != LIB_FREE ? e : NULL;
}

struct lib_entry *lib_live(fk_handle h)
{
	struct lib_entry *e = lib_find(h);
	return e && !e->dead ? e : NULL;
}

void lib_work(struct lib_entry *e)
{
	if (e->in_work)
		return;
	e->in_work = 1;
	lib.work[lib.nwork++] = (uint16_t)(e - lib.e);
}

/* --- the ring ------------------------------------------------------------ */

void lib_submit(void)
{
	int r = io_uring_submit(&lib.ring);
	if (r < 0)
		lib_fatal("io_uring_enter: %s", strerror(-r));
}

struct io_uring_sqe *lib_sqe(enum lib_op op, fk_handle h, unsigned buf)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&lib.ring);
	if (!sqe) {
		lib_submit();
		sqe = io_uring_get_sqe(&lib.ring);
		if (!sqe)
			lib_fatal("the submission queue stays full");
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->user_data = lib_ud(op, h, buf);
	return sqe;
}

/* The prep helpers rewrite flags, so the required FIXED_FILE is added
 * after them. */
static void sqe_fixed(struct io_uring_sqe *sqe)
{
	sqe->flags |= IOSQE_FIXED_FILE;
}

/* --- send buffers ---------------------------------------------------------- */

/* Buffers 0..LIB_SEND_PAGES-1 are pages; the rest are notes, just big
 * enough for a CLOSE or a KILL. Notes let fk_close and the library's own
 * clean-up never fail for want of a page: each handle needs at most one
 * CLOSE and one KILL, each slot one CLOSE, and a CLOSE or KILL is sent
 * before its handle's index can be reused. */
static struct proto_close notes[LIB_NOTES];

void *lib_sbuf_ptr(unsigned buf)
{
	if (buf < LIB_SEND_PAGES)
		return lib.send_pages + (size_t)buf * PROTO_PAGE;
	return &notes[buf - LIB_SEND_PAGES];
}

int lib_page_get(int for_data)
{
	if (lib.nfree_pages <= (for_data ? LIB_CONTROL_RESERVE : 0)) {
		lib.want_pages = 1;
		return -EAGAIN;
	}
	unsigned buf = lib.free_pages[--lib.nfree_pages];
	/* The broker kills a program whose message has a byte of padding
	 * or a reserved field that is not zero. */
	if (!for_data)
		memset(lib_sbuf_ptr(buf), 0, PROTO_PAGE);
	return (int)buf;
}

void lib_sbuf_put(unsigned buf)
{
	if (buf < LIB_SEND_PAGES) {
		lib.free_pages[lib.nfree_pages++] = (uint16_t)buf;
		if (lib.want_pages) {
			lib.want_pages = 0;
			lib.wake = 1;
		}
	} else {
		lib.free_notes[lib.nfree_notes++] = (uint16_t)buf;
	}
}

void lib_enqueue(struct lib_sendq *q, fk_handle owner, unsigned buf,
		 size_t len)
{
	struct lib_sbuf *b = &lib.sb[buf];
	b->owner = owner;
	b->len = (uint16_t)len;
	b->next = 0;
	if (q->tail)
		lib.sb[q->tail - 1].next = (uint16_t)(buf + 1);
	else
		q->head = (uint16_t)(buf + 1);
	q->tail = (uint16_t)(buf + 1);
	q->queued++;
}

static unsigned dequeue(struct lib_sendq *q)
{
	unsigned buf = q->head - 1u;
	q->head = lib.sb[buf].next;
	if (!q->head)
		q->tail = 0;
	q->queued--;
	return buf;
}

void lib_drop_queue(struct lib_sendq *q)
{
	while (q->queued)
		lib_sbuf_put(dequeue(q));
}

void lib_note(enum proto_type type, fk_handle h, unsigned slot)
{
	if (!lib.nfree_notes)
		lib_fatal("the broker is not reading its control link");
	unsigned buf = lib.free_notes[--lib.nfree_notes];
	struct proto_close *m = lib_sbuf_ptr(buf);
	size_t len = type == PROTO_CLOSE ? sizeof(*m) : sizeof(m->hdr);
	memset(m, 0, sizeof(*m));
	proto_hdr_init(&m->hdr, type, (uint32_t)len, h);
	m->hdr.version = lib.version;
	m->slot = slot;
	lib_enqueue(&lib.control, 0, buf, len);
}

/* Starts q's next batch on slot, unless one is in flight. */
static void send_batch(struct lib_sendq *q, unsigned slot, fk_handle h)
{
	if (!q->queued || q->inflight)
		return;
	unsigned n = q->queued < LIB_CHAIN ? q->queued : LIB_CHAIN;
	/* A chain must not be cut by a submission in its middle. */
	if (io_uring_sq_space_left(&lib.ring) < n)
		lib_submit();
	for (unsigned i = 0; i < n; i++) {
		unsigned buf = dequeue(q);
		struct io_uring_sqe *sqe = lib_sqe(LIB_OP_SEND, h, buf);
		if (h) /* a link: into its pipe (proto.h) */
			io_uring_prep_write(sqe, PROTO_TX_FILE((int)slot),
					    lib_sbuf_ptr(buf), lib.sb[buf].len,
					    0);
		else
			io_uring_prep_send(sqe, (int)slot, lib_sbuf_ptr(buf),
					   lib.sb[buf].len, MSG_NOSIGNAL);
		sqe_fixed(sqe);
		if (i + 1 < n)
			sqe->flags |= IOSQE_IO_LINK;
	}
	q->inflight = (uint16_t)n;
}

void lib_link_teardown(struct lib_entry *e)
{
	lib_drop_queue(&e->q);
	/* The READ would go on taking what the peer writes into pages
	 * nobody wants, and its hold on the pipe would keep the peer's
	 * writes from failing: it goes now, not when the peer closes. Its
	 * last completion names a handle that is gone (on_link_recv). */
	if (e->reading) {
		struct io_uring_sqe *sqe = lib_sqe(LIB_OP_UNRECV, e->handle, 0);
		io_uring_prep_cancel64(sqe, lib_ud(LIB_OP_RECV, e->handle, 0),
				       0);
		sqe_fixed(sqe);
		e->reading = 0;
	}
	if (e->open) {
		lib.slot_owner[e->slot] = 0;
		lib_note(PROTO_CLOSE, e->handle, e->slot);
	}
	lib_entry_free(e);
}

/* --- receive pages ------------------------------------------------------- */

static unsigned page_group(unsigned page)
{
	return page < LIB_DATA_PAGES ? LIB_GROUP_DATA : LIB_GROUP_CONTROL;
}

void *lib_page_ptr(unsigned page)
{
	return lib.recv_pages + (size_t)page * PROTO_PAGE;
}

/* The last PROVIDE queued, while it is the newest SQE and not yet
 * submitted: pages released in order (the kernel hands them out in the
 * order they were provided) join it instead of taking an SQE and a CQE
 * each. */
static struct io_uring_sqe *last_provide;
static unsigned last_provide_tail;

static int provide_joins(unsigned group, unsigned bid)
{
	struct io_uring_sqe *sqe = last_provide;
	struct io_uring_sq *sq = &lib.ring.sq;
	if (!sqe || sq->sqe_tail != last_provide_tail ||
	    sq->sqe_head == sq->sqe_tail || sqe->buf_group != group ||
	    sqe->off + (unsigned)sqe->fd != bid)
		return 0;
	sqe->fd++; /* PROVIDE_BUFFERS counts its buffers in fd */
	return 1;
}

void lib_page_give(unsigned page)
{
	unsigned group = page_group(page);
	unsigned bid = group == LIB_GROUP_DATA ? page : page - LIB_DATA_PAGES;
	lib.held[page] = 0;
	lib.avail[group]++;
	struct io_uring_buf_ring *br = lib.buf_ring[group];
	if (br) {
		/* The ring has room for every page of its group, and the
		 * kernel sees the page once the tail moves past it. */
		io_uring_buf_ring_add(br, lib_page_ptr(page), PROTO_PAGE,
				      (unsigned short)bid,
				      io_uring_buf_ring_mask(lib_group_pages(group)),
				      0);
		io_uring_buf_ring_advance(br, 1);
		return;
	}
	if (provide_joins(group, bid))
		return;
	struct io_uring_sqe *sqe = lib_sqe(LIB_OP_PROVIDE, 0, 0);
	io_uring_prep_provide_buffers(sqe, lib_page_ptr(page), PROTO_PAGE, 1,
				      (int)group, (int)bid);
	sqe_fixed(sqe);
	last_provide = sqe;
	last_provide_tail = lib.ring.sq.sqe_tail;
}

void lib_recv_arm(fk_handle h, unsigned slot)
{
	struct io_uring_sqe *sqe = lib_sqe(LIB_OP_RECV, h, 0);
	if (!h) {
		/* MSG_TRUNC: a message longer than the page is reported
		 * with its real length instead of being cut short. */
		io_uring_prep_recv_multishot(sqe, (int)slot, NULL, 0,
					     MSG_TRUNC);
	} else if (lib.link_read == PROTO_OP_READ_MULTISHOT) {
		/* Length 0: each read is one page from the group, and one
		 * packet of the pipe, so one datagram. */
		io_uring_prep_rw(PROTO_OP_READ_MULTISHOT, sqe, (int)slot,
				 NULL, 0, 0);
		lib_find(h)->reading = 1;
	} else {
		io_uring_prep_rw(IORING_OP_READ, sqe, (int)slot, NULL,
				 PROTO_PAGE, (uint64_t)-1);
		lib_find(h)->reading = 1;
	}
	sqe_fixed(sqe);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = h ? LIB_GROUP_DATA : LIB_GROUP_CONTROL;
}

/* --- timers ---------------------------------------------------------------- */

/* At an absolute time, so a periodic timer does not drift by the time it
 * takes to handle each expiry. The kernel reads ts when it takes the SQE;
 * the entry stays allocated (armed) until the TIMEOUT completes. */
void lib_timer_arm(struct lib_entry *e)
{
	e->ts.tv_sec = (long long)(e->deadline / 1000000000);
	e->ts.tv_nsec = (long long)(e->deadline % 1000000000);
	struct io_uring_sqe *sqe = lib_sqe(LIB_OP_TIMER, e->handle, 0);
	io_uring_prep_timeout(sqe, &e->ts, 0, IORING_TIMEOUT_ABS);
	sqe_fixed(sqe);
	e->armed = 1;
}

/* ASYNC_CANCEL by user_data, not TIMEOUT_REMOVE: the kernel refuses a
 * TIMEOUT_REMOVE that carries IOSQE_FIXED_FILE (-EINVAL), and the ring
 * requires that flag on every SQE; a cancel by user_data takes it. */
void lib_timer_remove(struct lib_entry *e)
{
	struct io_uring_sqe *sqe = lib_sqe(LIB_OP_UNTIMER, e->handle, 0);
	io_uring_prep_cancel64(sqe, lib_ud(LIB_OP_TIMER, e->handle, 0), 0);
	sqe_fixed(sqe);
}

/* --- the work list -------------------------------------------------------- */

/* One entry's pending work; returns whether it must stay on the list. */
static int entry_work(struct lib_entry *e)
{
	if (e->kind != LIB_LINK || !e->open)
		return 0;
	if (e->parked && lib.avail[LIB_GROUP_DATA]) {
		e->parked = 0;
		lib_recv_arm(e->handle, e->slot);
	}
	send_batch(&e->q, e->slot, e->handle);
	/* A closed link goes once what was sent before fk_close is out. */
	if (e->dead && !e->q.queued && !e->q.inflight) {
		lib_link_teardown(e);
		return 0;
	}
	return e->parked;
}

void lib_flush(void)
{
	unsigned keep = 0;
	for (unsigned i = 0; i < lib.nwork; i++) {
		struct lib_entry *e = &lib.e[lib.work[i]];
		if (entry_work(e))
			lib.work[keep++] = lib.work[i];
		else
			e->in_work = 0;
	}
	lib.nwork = keep;
	if (lib.control_parked && lib.avail[LIB_GROUP_CONTROL]) {
		lib.control_parked = 0;
		lib_recv_arm(0, PROTO_CONTROL_SLOT);
	}
	send_batch(&lib.control, PROTO_CONTROL_SLOT, 0);
}

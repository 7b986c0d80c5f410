/* fakeos.c — the calls of include/fakeos.h that a program makes: start,
 * memory, time, and every request. Requests only queue work (a datagram,
 * a control message, an SQE); fk_wait (event.c) submits it all in the
 * system call it waits in. fakeos(3) says what each call costs. */
#include "lib/lib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* The API's limits are the protocol's. */
_Static_assert(FK_PAGE_SIZE == PROTO_PAGE, "a datagram is a page");
_Static_assert(FK_NAME_MAX + 1 == PROTO_NAME_SIZE, "names");
_Static_assert(FK_SPAWN_ARGC_MAX == PROTO_ARGC_MAX, "spawn arguments");
_Static_assert(FK_SPAWN_ARGS_MAX == PROTO_ARGS_SIZE, "spawn argument bytes");
_Static_assert(FK_BROADCAST_MAX == PROTO_BROADCAST_MAX, "broadcast bytes");
_Static_assert(FK_LINK_WAIT_MS == PROTO_LINK_WAIT_MS &&
		       FK_LINK_WAIT_NS == PROTO_LINK_WAIT_MS * 1000000ULL,
	       "link wait");
_Static_assert(FK_URL_MAX + 1 == PROTO_URL_SIZE, "URLs");
_Static_assert(sizeof(((struct fk_peer *)0)->host) == PROTO_HOST_SIZE,
	       "hosts");

/* --- starting -------------------------------------------------------------- */

/* The boot page: checked, copied, unmapped. What fk_boot returns lives in
 * the library's own memory for the program's life. */
static int read_boot(struct io_uring_params *params)
{
	const struct proto_boot *b = mmap(NULL, PROTO_PAGE, PROT_READ,
					  MAP_PRIVATE, PROTO_BOOT_FD, 0);
	if (b == MAP_FAILED)
		return -EBADF;
	int r = 0;
	if (b->magic != PROTO_BOOT_MAGIC)
		r = -EBADF;
	else if (b->version != PROTO_BOOT_VERSION ||
		 b->ring_fd != PROTO_RING_FD ||
		 b->slots != PROTO_SLOTS ||
		 b->control_slot != PROTO_CONTROL_SLOT ||
		 (b->link_read != PROTO_OP_READ_MULTISHOT &&
		  b->link_read != IORING_OP_READ) ||
		 (b->recv_pages != PROTO_RECV_RING &&
		  b->recv_pages != PROTO_RECV_PROVIDE) ||
		 !memchr(b->url, '\0', sizeof(b->url)))
		r = -EPROTO;
	if (r == 0) {
		memcpy(lib.url, b->url, sizeof(lib.url));
		lib.boot.url = lib.url;
		lib.boot.id = b->id;
		lib.boot.parent = b->parent;
		lib.link_read = b->link_read;
		lib.recv_mode = b->recv_pages;
		lib.spin = b->cpus != 1;
		/* A broker that does not say speaks 3 only; one newer than
		 * this library speaks this library's version too. */
		lib.version = b->broker_version < PROTO_VERSION_MIN
				      ? PROTO_VERSION_MIN
			      : b->broker_version > PROTO_VERSION
				      ? PROTO_VERSION
				      : (uint16_t)b->broker_version;
		*params = b->params;
	}
	munmap((void *)b, PROTO_PAGE);
	return r;
}

/* The ring the broker made: the program maps it and never creates one. */
static int map_ring(const struct io_uring_params *boot_params)
{
	struct io_uring_params p = *boot_params;
	/* fk_wait's timeout rides on io_uring_enter (EXT_ARG, 5.11), and a
	 * completion must never be dropped when the CQ is full (NODROP).
	 * Without SINGLE_MMAP liburing would map the CQ at its own offset,
	 * which the filter forbids: the program would be killed, not told. */
	if (!(p.features & IORING_FEAT_SINGLE_MMAP) ||
	    !(p.features & IORING_FEAT_EXT_ARG) ||
	    !(p.features & IORING_FEAT_NODROP))
		return -ENOSYS;
	if (p.sq_entries < LIB_CHAIN || p.flags & IORING_SETUP_SQPOLL ||
	    p.flags & IORING_SETUP_SQE128 || p.flags & IORING_SETUP_CQE32)
		return -EPROTO;
	int r = io_uring_queue_mmap(PROTO_RING_FD, &p, &lib.ring);
	if (r < 0)
		return r == -ENODEV || r == -EINVAL ? -EBADF : r;
	/* liburing 2.3 leaves both to io_uring_queue_init, which we cannot
	 * call: without the features its waits with a timeout would submit
	 * a TIMEOUT of their own (refused: no FIXED_FILE), and without the
	 * identity index array every submission would reuse SQE 0. */
	lib.ring.features = p.features;
	for (unsigned i = 0; i < *lib.ring.sq.kring_entries; i++)
		lib.ring.sq.array[i] = i;
	return 0;
}

/* Datagrams and requests reach the kernel in fk_wait. A program that
 * ends right after sending (return from main, exit(), or fk_exit) still
 * sends them, as far as its peers have room. The ring completes a send
 * that had to wait (a full pipe, or its lock held by the reader) only
 * inside the program's own io_uring_enter (DEFER_TASKRUN), and exit would
 * cancel it: so this enters until every send is done, or until a wait of
 * EXIT_WAIT_NS brings nothing, which means no peer is making room, or
 * for 256 rounds at most. */
#define EXIT_WAIT_NS 1000000
static int sending(void)
{
	if (lib.control.queued || lib.control.inflight)
		return 1;
	for (unsigned i = 0; i < LIB_HANDLES; i++)
		if (lib.e[i].kind == LIB_LINK &&
		    (lib.e[i].q.queued || lib.e[i].q.inflight))
			return 1;
	return 0;
}

static void flush_at_exit(void)
{
	struct fk_event ev;
	/* Pages and timers queued for the kernel are nobody's business
	 * now: only datagrams and messages to the broker are worth a
	 * system call. */
	/* Bounded: a peer that keeps sending to a program that is leaving
	 * must not keep it here. */
	for (int round = 0; round < 256 && sending(); round++) {
		lib_flush();
		struct io_uring_cqe *cqe;
		if (io_uring_submit_and_get_events(&lib.ring) < 0)
			return;
		if (!io_uring_cq_ready(&lib.ring)) {
			struct __kernel_timespec ts = { .tv_nsec = EXIT_WAIT_NS };
			int r = io_uring_submit_and_wait_timeout(&lib.ring, &cqe,
								 1, &ts, NULL);
			if (r < 0 && r != -EINTR)
				return;
			if (!io_uring_cq_ready(&lib.ring))
				return;
		}
		/* Completions free the links' next batches; events are
		 * nobody's now, and their pages need not go back. */
		while (io_uring_peek_batch_cqe(&lib.ring, &cqe, 1) == 1) {
			struct io_uring_cqe c = *cqe;
			io_uring_cqe_seen(&lib.ring, cqe);
			memset(&ev, 0, sizeof(ev));
			(void)lib_dispatch(&c, &ev);
		}
	}
}

/* Every receive page goes to the kernel. With buffer rings (the broker
 * registered them, empty) each group's ring is mapped from the ring
 * descriptor and filled; the mapping stays for the program's life. Else
 * one PROVIDE_BUFFERS SQE per group, submitted with the first fk_wait. */
static int give_all_pages(void)
{
	static const unsigned groups[] = { LIB_GROUP_DATA, LIB_GROUP_CONTROL };
	for (unsigned i = 0; i < 2; i++) {
		/* The data pages come first, then the control link's. */
		unsigned g = groups[i], n = lib_group_pages(g);
		unsigned first = g == LIB_GROUP_DATA ? 0 : LIB_DATA_PAGES;
		if (lib.recv_mode == PROTO_RECV_PROVIDE) {
			struct io_uring_sqe *sqe = lib_sqe(LIB_OP_PROVIDE, 0, 0);
			io_uring_prep_provide_buffers(sqe, lib_page_ptr(first),
						      PROTO_PAGE, (int)n, (int)g,
						      0);
			sqe->flags |= IOSQE_FIXED_FILE;
			continue;
		}
		if (!lib.buf_ring[g]) {
			void *m = mmap(NULL, PROTO_PAGE, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_POPULATE, PROTO_RING_FD,
				       (off_t)PROTO_RECV_RING_OFF(g));
			if (m == MAP_FAILED)
				return -EBADF;
			lib.buf_ring[g] = m;
		}
		struct io_uring_buf_ring *br = lib.buf_ring[g];
		/* The kernel's ring starts zeroed; an earlier fk_init that
		 * failed later may have filled it already. */
		if (br->tail != 0)
			continue;
		for (unsigned bid = 0; bid < n; bid++)
			io_uring_buf_ring_add(br, lib_page_ptr(first + bid),
					      PROTO_PAGE, (unsigned short)bid,
					      io_uring_buf_ring_mask(n),
					      (int)bid);
		io_uring_buf_ring_advance(br, (int)n);
	}
	return 0;
}

int fk_init(void)
{
	struct io_uring_params params;
	if (lib.ready)
		return 0;
	int r = read_boot(&params);
	if (r < 0)
		return r;
	if (!lib.recv_pages) /* kept if an earlier attempt failed later */
		lib.recv_pages = fk_page_alloc(LIB_RECV_PAGES);
	if (!lib.send_pages)
		lib.send_pages = fk_page_alloc(LIB_SEND_PAGES);
	if (!lib.recv_pages || !lib.send_pages)
		return -ENOMEM;
	if ((r = map_ring(&params)) < 0)
		return r;

	for (unsigned i = 0; i < LIB_SEND_PAGES; i++)
		lib.free_pages[lib.nfree_pages++] =
			(uint16_t)(LIB_SEND_PAGES - 1 - i);
	for (unsigned i = 0; i < LIB_NOTES; i++)
		lib.free_notes[lib.nfree_notes++] =
			(uint16_t)(LIB_SEND_PAGES + LIB_NOTES - 1 - i);

	if ((r = give_all_pages()) < 0)
		return r;
	lib.avail[LIB_GROUP_DATA] = LIB_DATA_PAGES;
	lib.avail[LIB_GROUP_CONTROL] = LIB_CONTROL_PAGES;
	/* Armed now, submitted with the first fk_wait. */
	lib_recv_arm(0, PROTO_CONTROL_SLOT);

	(void)atexit(flush_at_exit);
	lib.ready = 1;
	return 0;
}

const struct fk_boot *fk_boot(void)
{
	return lib.ready ? &lib.boot : NULL;
}

_Noreturn void fk_exit(int code)
{
	exit(code); /* atexit: flush_at_exit; stdio; then exit_group */
}

/* --- memory ---------------------------------------------------------------- */

void *fk_page_alloc(size_t n)
{
	if (n == 0 || n > SIZE_MAX / FK_PAGE_SIZE)
		return NULL;
	void *p = mmap(NULL, n * FK_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int fk_page_free(void *pages, size_t n)
{
	if (!pages || (uintptr_t)pages % FK_PAGE_SIZE || n == 0 ||
	    n > SIZE_MAX / FK_PAGE_SIZE)
		return -EINVAL;
	return munmap(pages, n * FK_PAGE_SIZE) < 0 ? -EINVAL : 0;
}

/* --- time ---------------------------------------------------------------- */

uint64_t fk_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

fk_handle fk_timer(uint64_t after, uint64_t period)
{
	if (!lib.ready)
		return -EBADF;
	struct lib_entry *e = lib_entry_new(LIB_TIMER);
	if (!e)
		return -EMFILE;
	uint64_t now = fk_now();
	/* Far enough to mean never, near enough for a timespec. */
	const uint64_t far = (uint64_t)INT64_MAX / 2;
	e->deadline = after < far - now ? now + after : far;
	e->period = period;
	e->open = 1;
	lib_timer_arm(e);
	return e->handle;
}

/* --- requests to the broker ------------------------------------------------ */

/* A control page for a request of type that opens something of kind:
 * the page (filled in by the caller) and the new entry, or -errno. */
static int request(enum lib_kind kind, struct lib_entry **ep)
{
	int buf = lib_page_get(0);
	if (buf < 0)
		return buf;
	if (kind != LIB_FREE) {
		*ep = lib_entry_new(kind);
		if (!*ep) {
			lib_sbuf_put((unsigned)buf);
			return -EMFILE;
		}
	}
	return buf;
}

static fk_handle named(enum proto_type type, enum lib_kind kind,
		       const char *name)
{
	struct lib_entry *e;
	if (!lib.ready)
		return -EBADF;
	if (!name || !proto_name_ok(name))
		return -EINVAL;
	int buf = request(kind, &e);
	if (buf < 0)
		return buf;
	struct proto_name *m = lib_sbuf_ptr((unsigned)buf);
	proto_hdr_init(&m->hdr, type, sizeof(*m), e->handle);
	m->hdr.version = lib.version;
	/* proto_name_ok: at most 63 bytes, so it fits; the rest is 0. */
	memcpy(m->name, name, strlen(name) + 1);
	lib_enqueue(&lib.control, 0, (unsigned)buf, sizeof(*m));
	return e->handle;
}

fk_handle fk_link(const char *name)
{
	return named(PROTO_LINK, LIB_LINK, name);
}

fk_handle fk_serve(const char *name)
{
	return named(PROTO_SERVE, LIB_SERVE, name);
}

fk_handle fk_subscribe(const char *channel)
{
	return named(PROTO_SUBSCRIBE, LIB_SUB, channel);
}

int fk_broadcast(const char *channel, const void *buf, size_t len)
{
	if (!lib.ready)
		return -EBADF;
	if (!channel || !proto_name_ok(channel) || (!buf && len))
		return -EINVAL;
	if (len > PROTO_BROADCAST_MAX)
		return -EMSGSIZE;
	int b = request(LIB_FREE, NULL);
	if (b < 0)
		return b;
	struct proto_broadcast *m = lib_sbuf_ptr((unsigned)b);
	size_t n = sizeof(*m) + len;
	proto_hdr_init(&m->hdr, PROTO_BROADCAST, (uint32_t)n, 0);
	m->hdr.version = lib.version;
	memcpy(m->channel, channel, strlen(channel) + 1); /* proto_name_ok */
	if (len)
		memcpy(m->data, buf, len);
	lib_enqueue(&lib.control, 0, (unsigned)b, n);
	return 0;
}

fk_handle fk_spawn(const char *url, char *const argv[])
{
	struct lib_entry *e;
	if (!lib.ready)
		return -EBADF;
	if (!url || !*url)
		return -EINVAL;
	size_t url_len = strlen(url);
	if (url_len >= PROTO_URL_SIZE)
		return -ENAMETOOLONG;
	size_t bytes = 0;
	unsigned argc = 0;
	for (unsigned i = 1; argv && argv[0] && argv[i]; i++, argc++) {
		if (argc == PROTO_ARGC_MAX)
			return -E2BIG;
		bytes += strlen(argv[i]) + 1;
		if (bytes > PROTO_ARGS_SIZE)
			return -E2BIG;
	}
	int buf = request(LIB_CHILD, &e);
	if (buf < 0)
		return buf;
	struct proto_spawn *m = lib_sbuf_ptr((unsigned)buf);
	proto_hdr_init(&m->hdr, PROTO_SPAWN, sizeof(*m), e->handle);
	m->hdr.version = lib.version;
	m->argc = argc;
	m->args_len = (uint32_t)bytes;
	memcpy(m->url, url, url_len);
	char *p = m->args;
	for (unsigned i = 1; i <= argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(p, argv[i], n);
		p += n;
	}
	lib_enqueue(&lib.control, 0, (unsigned)buf, sizeof(*m));
	return e->handle;
}

int fk_kill(fk_handle child)
{
	if (!lib.ready)
		return -EBADF;
	struct lib_entry *e = lib_live(child);
	if (!e)
		return -EBADF;
	if (e->kind != LIB_CHILD)
		return -EINVAL;
	/* At once, even before its OPENED: a child still being fetched is
	 * never started, and its EXITED says 137, "killed before it
	 * started" (broker.c, finish_job). */
	if (!e->killed)
		lib_note(PROTO_KILL, child, 0);
	e->killed = 1;
	return 0;
}

/* --- links ------------------------------------------------------------------- */

int fk_send(fk_handle link, const void *buf, size_t len)
{
	if (!lib.ready)
		return -EBADF;
	struct lib_entry *e = lib_live(link);
	if (!e)
		return -EBADF;
	if (e->kind != LIB_LINK || !buf || len == 0)
		return -EINVAL;
	if (len > FK_PAGE_SIZE)
		return -EMSGSIZE;
	if (!e->open)
		return -ENOTCONN;
	if (e->q.queued + e->q.inflight >= LIB_LINK_QUEUE) {
		e->want_room = 1;
		return -EAGAIN;
	}
	int b = lib_page_get(1);
	if (b < 0)
		return b;
	memcpy(lib_sbuf_ptr((unsigned)b), buf, len);
	lib_enqueue(&e->q, link, (unsigned)b, len);
	lib_work(e);
	return 0;
}

int fk_peer(fk_handle link, struct fk_peer *out)
{
	if (!lib.ready)
		return -EBADF;
	struct lib_entry *e = lib_live(link);
	if (!e)
		return -EBADF;
	if (e->kind != LIB_LINK || !out)
		return -EINVAL;
	if (!e->open)
		return -ENOTCONN;
	/* Every version-5 OPENED and INCOMING of a link names a URL. */
	if (!lib.peers[e->slot].url[0])
		return -EPROTONOSUPPORT;
	*out = lib.peers[e->slot];
	return 0;
}

/* --- handles ------------------------------------------------------------------- */

int fk_close(fk_handle h)
{
	if (!lib.ready)
		return -EBADF;
	struct lib_entry *e = lib_live(h);
	if (!e)
		return -EBADF;
	switch (e->kind) {
	case LIB_LINK:
		if (e->open) {
			/* Gone for the program now; for the peer once what
			 * fk_send accepted before has gone out. */
			e->dead = 1;
			lib_work(e);
			return 0;
		}
		break;
	case LIB_TIMER:
		/* Freed at once, and its TIMEOUT cancelled, so the kernel
		 * holds nothing for it either; the cancelled completion
		 * names a handle that is gone, and on_timer drops it. */
		if (e->armed)
			lib_timer_remove(e);
		lib_entry_free(e);
		return 0;
	}
	/* A link still being opened, a name, a subscription, a child. */
	lib_note(PROTO_CLOSE, h, 0);
	lib_entry_free(e);
	return 0;
}

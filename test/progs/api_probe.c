/* api_probe — exercises one fakeOS API path per run, for
 * test/integration/test_api.sh. Prints what it observed, one fact a line,
 * and exits 0 only when every observation matched the documented
 * behaviour (1 otherwise, with the reason).
 *
 *   api_probe link-unserved NAME       fk_link to a name nobody serves
 *   api_probe send-sizes               a link to itself: 1, 4096, 4097 bytes
 *   api_probe send-before-open         fk_send on a link not yet open
 *   api_probe oversized-peer           a peer that writes more than a page
 *   api_probe peer-exits               a child that serves, sends 5, exits
 *   api_probe peer-exits-from URL      the same with URL as the child (an
 *                                      api_probe of another build)
 *   api_probe peer                     (the child of peer-exits)
 *   api_probe sender-sees-close        a child that stops reading and exits
 *                                      while this program still sends
 *   api_probe reader-exits             (the child of sender-sees-close)
 *   api_probe spawn URL STATUS         spawns URL, expects its exit STATUS
 *   api_probe spawn-limits             fk_spawn's URL and argument limits
 *   api_probe count-args ...           exits with its argument count
 *   api_probe kill-before-start URL    fk_kill of a child still being fetched
 *   api_probe kill-not-child           fk_kill of handles that are no child
 *   api_probe orphans N                spawns N children that never end,
 *                                      then exits 5 once stdin has a line
 *   api_probe hang                     waits for ever
 *   api_probe serve-hold NAME          serves NAME, keeps every link
 *   api_probe link-name NAME           links to NAME once and says how it
 *                                      went: "link NAME: open", or
 *                                      "link NAME: closed, status S"
 *   api_probe link-to-stopped NAME     links to a serve-hold child that
 *                                      the test stops, then lets go on
 *   api_probe wait-timeout MS          fk_wait with nothing pending
 *   api_probe serve-twice NAME         a second fk_serve of a taken name
 *   api_probe bad-handles              calls on handles that do not exist
 *   api_probe pages                    fk_page_alloc and fk_page_free
 *   api_probe page-use-after-free      touches a page after freeing it
 *   api_probe broadcast-limits         fk_broadcast's size and name limits
 *   api_probe table-full               every request call with 2048 handles
 *   api_probe timer-close              closed timers free their handles
 *   api_probe queue-full               every request call with no send page
 *   api_probe init-fails ERRNO         fk_init outside fakeOS: -ERRNO, and
 *                                      every call -EBADF after it
 *   api_probe boot                     prints the boot information, and
 *                                      the boot page's cpus field */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakeos.h"

#define HOUR_NS (3600ULL * 1000000000ULL)

static int fail(const char *what, long got)
{
	printf("FAIL: %s (got %ld)\n", what, got);
	return 1;
}

/* Waits for one event of the given type (others are printed and kept
 * out of the way), up to timeout_ms. */
static int wait_for(unsigned type, struct fk_event *out, int64_t timeout_ms)
{
	uint64_t end = fk_now() + (uint64_t)timeout_ms * 1000000;
	for (;;) {
		uint64_t now = fk_now();
		if (now >= end)
			return -ETIMEDOUT;
		int n = fk_wait(out, 1, (int64_t)(end - now));
		if (n < 0)
			return n;
		if (n == 0)
			continue;
		if (out->type == type)
			return 0;
		printf("event: type %u handle %d status %d\n", out->type,
		       out->handle, out->status);
		fk_release(out);
	}
}

static int link_unserved(const char *name)
{
	uint64_t t0 = fk_now();
	fk_handle l = fk_link(name);
	if (l <= 0)
		return fail("fk_link returns a handle", l);
	struct fk_event ev;
	int r = wait_for(FK_EV_CLOSED, &ev, 10000);
	if (r < 0)
		return fail("FK_EV_CLOSED arrives", r);
	uint64_t ms = (fk_now() - t0) / 1000000;
	printf("closed: status %d after %llu ms\n", ev.status,
	       (unsigned long long)ms);
	if (ev.handle != l)
		return fail("the event names the link", ev.handle);
	if (ev.status != -ECONNREFUSED)
		return fail("status is -ECONNREFUSED", ev.status);
	if (ms + 50 < FK_LINK_WAIT_MS)
		return fail("the broker waited FK_LINK_WAIT_MS", (long)ms);
	if (fk_send(l, "x", 1) != -EBADF)
		return fail("the handle is gone", 0);
	printf("PASS\n");
	return 0;
}

/* Serves name, links to it, and returns both ends. With early, also
 * what an fk_send said on the client end before it was open. */
static int self_link(const char *name, fk_handle *client, fk_handle *server,
		     int *early)
{
	struct fk_event ev;
	fk_handle srv = fk_serve(name);
	if (srv <= 0 || wait_for(FK_EV_OPEN, &ev, 5000) < 0 || ev.handle != srv)
		return fail("serving self", srv);
	*client = fk_link(name);
	if (*client <= 0)
		return fail("fk_link self", *client);
	if (early)
		*early = fk_send(*client, "x", 1);
	int got_open = 0, got_in = 0;
	while (!got_open || !got_in) {
		if (fk_wait(&ev, 1, 5000000000LL) != 1)
			return fail("link events", 0);
		if (ev.type == FK_EV_OPEN && ev.handle == *client)
			got_open = 1;
		else if (ev.type == FK_EV_INCOMING && ev.source == srv) {
			got_in = 1;
			*server = ev.handle;
		}
	}
	return 0;
}

static int send_sizes(void)
{
	fk_handle c = 0, s = 0;
	struct fk_event ev;
	if (self_link("self", &c, &s, NULL))
		return 1;
	static unsigned char big[FK_PAGE_SIZE + 1];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	int r = fk_send(c, big, FK_PAGE_SIZE + 1);
	printf("send 4097: %d\n", r);
	if (r != -EMSGSIZE)
		return fail("4097 bytes is -EMSGSIZE", r);
	r = fk_send(c, big, 0);
	printf("send 0: %d\n", r);
	if (r != -EINVAL)
		return fail("0 bytes is -EINVAL", r);
	size_t sizes[] = { 1, 64, FK_PAGE_SIZE };
	for (size_t i = 0; i < 3; i++)
		if ((r = fk_send(c, big, sizes[i])) != 0)
			return fail("fk_send", r);
	for (size_t i = 0; i < 3; i++) {
		if (wait_for(FK_EV_DATA, &ev, 5000) < 0 || ev.handle != s)
			return fail("datagram arrives on the server end", 0);
		printf("received %u bytes\n", ev.len);
		if (ev.len != sizes[i] || memcmp(ev.data, big, ev.len) != 0)
			return fail("datagram intact and in order", ev.len);
		fk_release(&ev);
	}
	printf("PASS\n");
	return 0;
}

static int send_before_open(void)
{
	struct fk_event ev;
	fk_handle c = 0, s = 0;
	int early = 0;
	if (self_link("early", &c, &s, &early))
		return 1;
	printf("send before open: %d\n", early);
	if (early != -ENOTCONN)
		return fail("a link not yet open is -ENOTCONN", early);
	fk_handle t = fk_timer(HOUR_NS, 0);
	int not_link = fk_send(t, "x", 1), no_buf = fk_send(c, NULL, 1);
	printf("send on a timer: %d, from NULL: %d\n", not_link, no_buf);
	if (not_link != -EINVAL || no_buf != -EINVAL)
		return fail("-EINVAL: not a link, or no bytes", 0);
	int r = fk_send(c, "after", 5);
	printf("send once open: %d\n", r);
	if (r != 0)
		return fail("an open link takes the datagram", r);
	if (wait_for(FK_EV_DATA, &ev, 5000) < 0 || ev.handle != s ||
	    ev.len != 5 || memcmp(ev.data, "after", 5) != 0)
		return fail("the datagram sent once open arrives", ev.len);
	fk_release(&ev);
	printf("PASS\n");
	return 0;
}

/* libfakeos never sends more than a page, so this mode plays a peer that
 * bypasses it: one SEND of 5000 bytes, written by hand into the library's
 * own ring with liburing's io_uring_get_sqe (linked into every program),
 * so that the library's view of the ring stays whole. */
struct io_uring;
struct io_uring_sqe *io_uring_get_sqe(struct io_uring *ring);
/* libfakeos's state (src/lib/lib.h): `int ready`, then its struct
 * io_uring at offset 8, whose first four members are pointers into the
 * ring (head, tail, mask, entries). */
extern unsigned char lib[];
struct raw_sqe { /* struct io_uring_sqe of the kernel's UAPI */
	uint8_t opcode, flags;
	uint16_t ioprio;
	int32_t fd;
	uint64_t off, addr;
	uint32_t len, msg_flags;
	uint64_t user_data;
	uint16_t buf_index, personality;
	int32_t file_index;
	uint64_t addr3, pad;
};
_Static_assert(sizeof(struct raw_sqe) == 64, "an SQE is 64 bytes");

static int oversized_peer(void)
{
	fk_handle c = 0, s = 0;
	if (self_link("big", &c, &s, NULL))
		return 1;
	struct io_uring *ring = (struct io_uring *)(lib + 8);
	unsigned *const *sq = (unsigned *const *)ring;
	if (*sq[3] != 64)
		return fail("libfakeos's ring found (64 SQ entries)", *sq[3]);
	static unsigned char big[5000];
	memset(big, 'o', sizeof(big));
	struct raw_sqe *sqe = (struct raw_sqe *)io_uring_get_sqe(ring);
	if (!sqe)
		return fail("an SQE", 0);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = 23; /* IORING_OP_WRITE */
	sqe->flags = 1; /* IOSQE_FIXED_FILE */
	/* The client end: this program's first link is in slot 1, the
	 * lowest free one (docs/PROTOCOL.md 8.1), and it sends into file
	 * PROTO_TX_FILE(1). */
	sqe->fd = 64 + 1; /* PROTO_TX_FILE(1) */
	sqe->addr = (uint64_t)(uintptr_t)big;
	sqe->len = sizeof(big);
	/* A receive (LIB_OP_RECV, 1) for a handle that never lived: the
	 * library drops its completion as stale (src/lib/lib.h). */
	sqe->user_data = (uint64_t)INT32_MAX << 32 | 1;
	/* The pipe cuts the write into packets of at most a page: the
	 * server end gets two whole datagrams, and the link stays up. */
	size_t got[2] = { 0, 0 };
	unsigned n = 0;
	struct fk_event ev;
	while (n < 2) {
		if (wait_for(FK_EV_DATA, &ev, 5000) < 0)
			return fail("two datagrams", (long)n);
		if (ev.handle == s) {
			const unsigned char *d = ev.data;
			for (uint32_t k = 0; k < ev.len; k++)
				if (d[k] != 'o')
					return fail("the bytes as sent", k);
			got[n++] = ev.len;
			printf("server got %u bytes\n", ev.len);
		}
		fk_release(&ev);
	}
	if (got[0] != 4096 || got[1] != sizeof(big) - 4096)
		return fail("4096 then the rest", (long)got[1]);
	if (fk_send(s, "x", 1) != 0 || wait_for(FK_EV_DATA, &ev, 5000) < 0 ||
	    ev.handle != c || ev.len != 1)
		return fail("the link still works both ways", 0);
	fk_release(&ev);
	printf("PASS\n");
	return 0;
}

static int peer(void)
{
	struct fk_event ev;
	fk_handle srv = fk_serve("midstream");
	if (srv <= 0)
		return 2;
	for (;;) {
		if (fk_wait(&ev, 1, -1) != 1)
			return 3;
		if (ev.type == FK_EV_INCOMING)
			break;
	}
	for (int i = 0; i < 5; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "part %d", i);
		if (fk_send(ev.handle, msg, (size_t)n) != 0)
			return 4;
	}
	/* Leave with the datagrams queued: exit sends what fk_send took. */
	fk_exit(7);
}

static int peer_exits(const char *child_url)
{
	struct fk_event ev;
	char *args[] = { (char *)child_url, "peer", NULL };
	fk_handle child = fk_spawn(child_url, args);
	if (child <= 0)
		return fail("fk_spawn", child);
	fk_handle l = fk_link("midstream");
	if (l <= 0)
		return fail("fk_link", l);
	int parts = 0, closed = 0, exited = 0;
	uint64_t child_id = 0, server_id = 0;
	while (!closed || !exited) {
		if (fk_wait(&ev, 1, 10000000000LL) != 1)
			return fail("events before the timeout", parts);
		switch (ev.type) {
		case FK_EV_OPEN:
			if (ev.handle == child)
				child_id = ev.peer;
			if (ev.handle == l)
				server_id = ev.peer;
			break;
		case FK_EV_DATA:
			printf("data: %.*s\n", (int)ev.len, (const char *)ev.data);
			parts++;
			fk_release(&ev);
			break;
		case FK_EV_CLOSED:
			printf("closed: status %d after %d parts\n", ev.status,
			       parts);
			if (ev.handle != l || ev.status != 0)
				return fail("orderly close of the link",
					    ev.status);
			closed = 1;
			break;
		case FK_EV_EXIT:
			printf("child exit: %d\n", ev.status);
			if (ev.status != 7)
				return fail("child status 7", ev.status);
			exited = 1;
			fk_release(&ev);
			break;
		default:
			break;
		}
	}
	if (parts != 5)
		return fail("all 5 datagrams before the close", parts);
	printf("child id %llu, server id %llu\n", (unsigned long long)child_id,
	       (unsigned long long)server_id);
	if (!child_id || child_id != server_id || child_id == fk_boot()->id)
		return fail("the link's peer is the child", (long)server_id);
	printf("PASS\n");
	return 0;
}

/* Reads 10 datagrams, then stops reading for 300 ms while its peer keeps
 * sending, and exits (7) with the peer's datagrams still unread. */
static int reader_exits(void)
{
	struct fk_event ev;
	fk_handle srv = fk_serve("early-exit");
	if (srv <= 0)
		return 2;
	int got = 0;
	while (got < 10) {
		if (fk_wait(&ev, 1, -1) != 1)
			return 3;
		if (ev.type == FK_EV_DATA)
			got++;
		fk_release(&ev);
	}
	uint64_t until = fk_now() + 300000000;
	while (fk_now() < until)
		;
	return 7;
}

static int sender_sees_close(const char *self_url)
{
	struct fk_event ev;
	char *args[] = { (char *)self_url, "reader-exits", NULL };
	fk_handle child = fk_spawn(self_url, args);
	fk_handle l = fk_link("early-exit");
	if (child <= 0 || l <= 0)
		return fail("fk_spawn and fk_link", child <= 0 ? child : l);
	static char chunk[1024];
	long sent = 0, refused = 0;
	int open = 0, closed = 0, exited = 0, after = 0;
	uint64_t end = fk_now() + 20000000000ULL;
	while (!closed || !exited) {
		if (fk_now() >= end)
			return fail("CLOSED and EXIT within 20 s", sent);
		/* Keeps the link full: the reader stops and then leaves. */
		while (open && !closed) {
			int r = fk_send(l, chunk, sizeof(chunk));
			if (r == -EAGAIN) {
				refused++;
				break;
			}
			if (r != 0)
				return fail("fk_send while the link is open", r);
			sent++;
		}
		int n = fk_wait(&ev, 1, 100000000);
		if (n < 0)
			return fail("fk_wait", n);
		if (n == 0)
			continue;
		if (ev.type == FK_EV_OPEN && ev.handle == l) {
			open = 1;
		} else if (ev.type == FK_EV_CLOSED && ev.handle == l) {
			printf("closed: status %d after %ld sent, %ld refused "
			       "with -EAGAIN\n",
			       ev.status, sent, refused);
			/* End of file, or the reset of a socket closed with
			 * data unread: both are the peer going away. */
			if (ev.status != 0 && ev.status != -ECONNRESET)
				return fail("status 0 or -ECONNRESET", ev.status);
			closed = 1;
			after = fk_send(l, chunk, sizeof(chunk));
			printf("send after the close: %d\n", after);
		} else if (ev.type == FK_EV_EXIT && ev.handle == child) {
			printf("child exit: %d\n", ev.status);
			exited = 1;
			if (ev.status != 7)
				return fail("child status 7", ev.status);
		}
		fk_release(&ev);
	}
	if (refused == 0 || sent <= 10)
		return fail("the link was full when the reader left", refused);
	if (after != -EBADF)
		return fail("a closed link's handle is gone (-EBADF)", after);
	printf("PASS\n");
	return 0;
}

static int spawn(const char *url, int want)
{
	struct fk_event ev;
	char *args[] = { (char *)url, NULL };
	fk_handle child = fk_spawn(url, args);
	if (child <= 0)
		return fail("fk_spawn returns a handle", child);
	if (wait_for(FK_EV_EXIT, &ev, 30000) < 0)
		return fail("FK_EV_EXIT arrives", 0);
	printf("exit: status %d reason: %.*s\n", ev.status, (int)ev.len,
	       ev.data ? (const char *)ev.data : "");
	fk_release(&ev);
	if (ev.handle != child || ev.status != want)
		return fail("the expected status", ev.status);
	printf("PASS\n");
	return 0;
}

static int count_args(int argc, char **argv)
{
	size_t bytes = 0;
	for (int i = 1; i < argc; i++)
		bytes += strlen(argv[i]) + 1;
	printf("count-args: %d arguments, %zu bytes\n", argc - 1, bytes);
	return argc - 1;
}

/* Waits for the child's FK_EV_EXIT and prints it. */
static int child_exit(fk_handle child, struct fk_event *ev)
{
	for (;;) {
		if (wait_for(FK_EV_EXIT, ev, 30000) < 0)
			return fail("FK_EV_EXIT arrives", child);
		if (ev->handle != child) {
			fk_release(ev);
			continue;
		}
		printf("exit: status %d reason: %.*s\n", ev->status,
		       (int)ev->len, ev->data ? (const char *)ev->data : "");
		return 0;
	}
}

static int spawn_limits(const char *self_url)
{
	struct fk_event ev;
	static char url[FK_PAGE_SIZE];
	char *none[] = { "ignored", NULL };
	memset(url, 'u', 1024); /* 1024 bytes: one too many */
	int toolong = fk_spawn(url, none), null = fk_spawn(NULL, none),
	    empty = fk_spawn("", none);
	printf("url of 1024 bytes: %d, NULL: %d, empty: %d\n", toolong, null,
	       empty);
	if (toolong != -ENAMETOOLONG || null != -EINVAL || empty != -EINVAL)
		return fail("-ENAMETOOLONG and -EINVAL", 0);

	/* 65 arguments of 2 bytes each: too many, though few bytes. */
	char *many[FK_SPAWN_ARGC_MAX + 3];
	many[0] = (char *)self_url;
	for (int i = 1; i <= FK_SPAWN_ARGC_MAX + 1; i++)
		many[i] = "a";
	many[FK_SPAWN_ARGC_MAX + 2] = NULL;
	int count = fk_spawn(self_url, many);

	/* Exactly 64 arguments and 2048 bytes with their NULs, the first
	 * being the child's mode; then the last one byte longer. */
	static char bytes[FK_SPAWN_ARGS_MAX + 64];
	char *args[FK_SPAWN_ARGC_MAX + 2];
	args[0] = (char *)self_url;
	args[1] = "count-args";
	size_t used = strlen(args[1]) + 1;
	char *p = bytes;
	for (int i = 2; i <= FK_SPAWN_ARGC_MAX; i++) {
		size_t len = i < FK_SPAWN_ARGC_MAX ? 31
						   : FK_SPAWN_ARGS_MAX - used - 1;
		memset(p, 'b', len);
		p[len] = '\0';
		args[i] = p;
		p += len + 1;
		used += len + 1;
	}
	args[FK_SPAWN_ARGC_MAX + 1] = NULL;
	char *last = args[FK_SPAWN_ARGC_MAX];
	char longer[FK_SPAWN_ARGS_MAX];
	snprintf(longer, sizeof(longer), "%s+", last);
	args[FK_SPAWN_ARGC_MAX] = longer;
	int size = fk_spawn(self_url, args);
	args[FK_SPAWN_ARGC_MAX] = last;
	printf("65 arguments: %d; 64 arguments of 2049 bytes: %d\n", count,
	       size);
	if (count != -E2BIG || size != -E2BIG)
		return fail("-E2BIG", count != -E2BIG ? count : size);

	printf("64 arguments of %zu bytes\n", used);
	fk_handle child = fk_spawn(self_url, args);
	if (child <= 0)
		return fail("64 arguments of 2048 bytes are taken", child);
	if (child_exit(child, &ev))
		return 1;
	fk_release(&ev);
	if (ev.status != FK_SPAWN_ARGC_MAX)
		return fail("the child saw all 64", ev.status);

	/* 1023 bytes is the longest URL the call takes; nothing serves it,
	 * so the broker answers that it could not be fetched. */
	url[1023] = '\0';
	child = fk_spawn(url, none);
	if (child <= 0)
		return fail("a URL of 1023 bytes is taken", child);
	if (child_exit(child, &ev))
		return 1;
	fk_release(&ev);
	if (ev.status != 127)
		return fail("127: could not fetch", ev.status);
	printf("PASS\n");
	return 0;
}

static int kill_before_start(const char *url)
{
	struct fk_event ev;
	char *args[] = { (char *)url, NULL };
	fk_handle child = fk_spawn(url, args);
	if (child <= 0)
		return fail("fk_spawn", child);
	int r1 = fk_kill(child), r2 = fk_kill(child);
	printf("kill: %d, again: %d\n", r1, r2);
	if (r1 != 0 || r2 != 0)
		return fail("killing twice is harmless", r1 ? r1 : r2);
	uint64_t t0 = fk_now();
	for (;;) {
		int n = fk_wait(&ev, 1, 60000000000LL);
		if (n != 1)
			return fail("FK_EV_EXIT arrives", n);
		if (ev.type == FK_EV_OPEN && ev.handle == child)
			return fail("a killed child never starts", 0);
		if (ev.type == FK_EV_EXIT && ev.handle == child)
			break;
		fk_release(&ev);
	}
	printf("exit after %llu ms: status %d reason: %.*s\n",
	       (unsigned long long)((fk_now() - t0) / 1000000), ev.status,
	       (int)ev.len, ev.data ? (const char *)ev.data : "");
	int status = ev.status;
	fk_release(&ev);
	if (status != 137)
		return fail("status 137", status);
	printf("PASS\n");
	return 0;
}

static int kill_not_child(void)
{
	fk_handle t = fk_timer(HOUR_NS, 0), s = fk_serve("not-a-child"),
		  sub = fk_subscribe("not-a-child"), l = fk_link("not-a-child");
	if (t <= 0 || s <= 0 || sub <= 0 || l <= 0)
		return fail("handles of four kinds", 0);
	int rt = fk_kill(t), rs = fk_kill(s), rsub = fk_kill(sub),
	    rl = fk_kill(l);
	printf("kill of a timer %d, a served name %d, a subscription %d, a "
	       "link %d\n",
	       rt, rs, rsub, rl);
	if (rt != -EINVAL || rs != -EINVAL || rsub != -EINVAL || rl != -EINVAL)
		return fail("-EINVAL: not a child", 0);
	printf("PASS\n");
	return 0;
}

/* Children that never end, and a parent that leaves them running. */
static int hang(void)
{
	struct fk_event ev;
	for (;;)
		if (fk_wait(&ev, 1, -1) < 0)
			return 1;
}

static int orphans(const char *self_url, int n)
{
	struct fk_event ev;
	char *args[] = { (char *)self_url, "hang", NULL };
	for (int i = 0; i < n; i++)
		if (fk_spawn(self_url, args) <= 0)
			return fail("fk_spawn", i);
	for (int started = 0; started < n;) {
		if (fk_wait(&ev, 1, 10000000000LL) != 1)
			return fail("every child starts", started);
		if (ev.type == FK_EV_OPEN)
			started++;
		else if (ev.type == FK_EV_EXIT)
			return fail("no child ends", ev.status);
		fk_release(&ev);
	}
	printf("orphans: %d children running\n", n);
	fflush(stdout);
	/* The test looks at the processes, then sends a line. */
	char c;
	if (read(0, &c, 1) != 1)
		return fail("a line on stdin", 0);
	return 5;
}

/* Serves name and takes every link it is given, for ever. */
static int serve_hold(const char *name)
{
	struct fk_event ev;
	if (fk_serve(name) <= 0)
		return fail("fk_serve", 0);
	for (;;) {
		if (fk_wait(&ev, 1, -1) < 0)
			return 1;
		if (ev.type == FK_EV_OPEN)
			printf("serving %s\n", name);
		if (ev.type == FK_EV_INCOMING)
			printf("link %d in\n", ev.handle);
		fflush(stdout);
		fk_release(&ev);
	}
}

/* Links to name; the link's OPEN or CLOSED event, within 30 s. */
static int link_once(const char *name, struct fk_event *ev)
{
	fk_handle l = fk_link(name);
	if (l <= 0)
		return fail("fk_link", l);
	uint64_t end = fk_now() + 30000000000ULL;
	while (fk_now() < end) {
		if (fk_wait(ev, 1, (int64_t)(end - fk_now())) != 1)
			continue;
		if (ev->handle == l &&
		    (ev->type == FK_EV_OPEN || ev->type == FK_EV_CLOSED))
			return 0;
		fk_release(ev);
	}
	return fail("an answer to fk_link within 30 s", 0);
}

static int link_name(const char *name)
{
	struct fk_event ev;
	if (link_once(name, &ev))
		return 1;
	if (ev.type == FK_EV_OPEN)
		printf("link %s: open\n", name);
	else
		printf("link %s: closed, status %d\n", name, ev.status);
	return 0;
}

/* Reads one line from stdin (the console); 0, or -1 at its end. */
static int read_line(void)
{
	char c;
	do
		if (read(0, &c, 1) != 1)
			return -1;
	while (c != '\n');
	return 0;
}

/* A server the host has stopped (SIGSTOP) cannot take the files of a new
 * link, which the broker hands it with MSG_RING: the broker gives up
 * after its 5 s and the client's link fails with -EIO. The test stops the
 * child between the first line on stdin and the second, and lets it go
 * on before the third; a link after that works again. */
static int link_to_stopped(const char *self_url, const char *name)
{
	struct fk_event ev;
	char *args[] = { (char *)self_url, "serve-hold", (char *)name, NULL };
	fk_handle child = fk_spawn(self_url, args);
	if (child <= 0)
		return fail("fk_spawn", child);
	if (link_once(name, &ev) || ev.type != FK_EV_OPEN)
		return fail("a link to the running server", ev.status);
	printf("linked to the running server\n");
	fflush(stdout);
	if (read_line() < 0) /* the test stops the server */
		return fail("a line on stdin", 0);
	uint64_t t0 = fk_now();
	if (link_once(name, &ev))
		return 1;
	uint64_t ms = (fk_now() - t0) / 1000000;
	printf("link to the stopped server: %s, status %d after %llu ms\n",
	       ev.type == FK_EV_OPEN ? "open" : "closed", ev.status,
	       (unsigned long long)ms);
	fflush(stdout);
	if (ev.type != FK_EV_CLOSED || ev.status != -EIO)
		return fail("CLOSED with -EIO", ev.status);
	if (ms < 4500)
		return fail("the broker waited its 5 s", (long)ms);
	if (read_line() < 0) /* the test lets it go on */
		return fail("a second line on stdin", 0);
	if (link_once(name, &ev) || ev.type != FK_EV_OPEN)
		return fail("a link once the server runs again", ev.status);
	printf("linked again once the server runs\n");
	fk_kill(child);
	if (wait_for(FK_EV_EXIT, &ev, 10000) < 0 || ev.handle != child)
		return fail("the server's exit", 0);
	fk_release(&ev);
	printf("PASS\n");
	return 0;
}

static int wait_timeout(long ms)
{
	struct fk_event ev;
	uint64_t t0 = fk_now();
	int n = fk_wait(&ev, 1, ms * 1000000);
	uint64_t us = (fk_now() - t0) / 1000;
	printf("fk_wait: %d after %llu us\n", n, (unsigned long long)us);
	if (n != 0)
		return fail("nothing pending returns 0", n);
	if (us < (uint64_t)ms * 1000)
		return fail("it waited the whole timeout", (long)us);
	n = fk_wait(&ev, 1, 0);
	if (n != 0)
		return fail("a poll returns 0", n);
	printf("PASS\n");
	return 0;
}

static int serve_twice(const char *name)
{
	struct fk_event ev;
	fk_handle a = fk_serve(name), b = fk_serve(name);
	if (a <= 0 || b <= 0)
		return fail("handles", a);
	int opened = 0, refused = 0;
	while (!opened || !refused) {
		if (fk_wait(&ev, 1, 5000000000LL) != 1)
			return fail("both answers", 0);
		if (ev.type == FK_EV_OPEN && ev.handle == a)
			opened = 1;
		if (ev.type == FK_EV_CLOSED && ev.handle == b) {
			printf("second serve: status %d\n", ev.status);
			if (ev.status != -EADDRINUSE)
				return fail("-EADDRINUSE", ev.status);
			refused = 1;
		}
	}
	printf("PASS\n");
	return 0;
}

static int bad_handles(void)
{
	int r1 = fk_send(12345, "x", 1), r2 = fk_close(12345),
	    r3 = fk_kill(12345), r4 = fk_close(0), r5 = fk_link("bad name");
	printf("send %d close %d kill %d close0 %d badname %d\n", r1, r2, r3,
	       r4, r5);
	if (r1 != -EBADF || r2 != -EBADF || r3 != -EBADF || r4 != -EBADF ||
	    r5 != -EINVAL)
		return fail("-EBADF for dead handles, -EINVAL for bad names", 0);
	printf("PASS\n");
	return 0;
}

static int zeroed(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int pages(void)
{
	const size_t n = 4, bytes = n * FK_PAGE_SIZE;
	unsigned char *p = fk_page_alloc(n);
	if (!p || (uintptr_t)p % FK_PAGE_SIZE)
		return fail("4 aligned pages", (long)(uintptr_t)p);
	printf("alloc: %s\n", zeroed(p, bytes) ? "zeroed" : "NOT zeroed");
	if (!zeroed(p, bytes))
		return fail("new pages are zeroed", 0);
	memset(p, 0xa5, bytes);
	int r = fk_page_free(p, n);
	printf("free: %d\n", r);
	if (r != 0)
		return fail("fk_page_free", r);
	/* The same size again: the kernel hands back the range just freed,
	 * which held 0xa5 a moment ago. */
	unsigned char *q = fk_page_alloc(n);
	if (!q)
		return fail("pages again", 0);
	printf("again: %s address, %s\n", q == p ? "the same" : "another",
	       zeroed(q, bytes) ? "zeroed" : "NOT zeroed");
	if (!zeroed(q, bytes))
		return fail("pages allocated again are zeroed", 0);
	int e_null = fk_page_free(NULL, 1), e_odd = fk_page_free(q + 1, 1),
	    e_none = fk_page_free(q, 0);
	void *none = fk_page_alloc(0),
	     *wraps = fk_page_alloc(SIZE_MAX / FK_PAGE_SIZE + 1),
	     *over = fk_page_alloc((size_t)1 << 20); /* 4 GiB, over --memory */
	printf("free NULL %d, unaligned %d, 0 pages %d; alloc 0 %s, "
	       "overflowing %s, over the limit %s\n",
	       e_null, e_odd, e_none, none ? "non-NULL" : "NULL",
	       wraps ? "non-NULL" : "NULL", over ? "non-NULL" : "NULL");
	if (e_null != -EINVAL || e_odd != -EINVAL || e_none != -EINVAL ||
	    none || wraps || over)
		return fail("-EINVAL and NULL", 0);
	if ((r = fk_page_free(q, n)) != 0)
		return fail("fk_page_free", r);
	printf("PASS\n");
	return 0;
}

/* Killed by SIGSEGV if fk_page_free really unmapped the page. */
static int page_use_after_free(void)
{
	volatile unsigned char *p = fk_page_alloc(1);
	if (!p)
		return fail("a page", 0);
	p[0] = 1;
	int r = fk_page_free((void *)p, 1);
	printf("freed: %d; touching the page\n", r);
	fflush(stdout);
	p[0] = 2;
	printf("FAIL: a freed page is still mapped\n");
	return 1;
}

static int broadcast_limits(void)
{
	struct fk_event ev;
	static unsigned char big[FK_BROADCAST_MAX + 1];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 13);
	char longname[FK_NAME_MAX + 2];
	memset(longname, 'c', FK_NAME_MAX + 1);
	longname[FK_NAME_MAX + 1] = '\0';
	fk_handle sub = fk_subscribe("limits");
	if (sub <= 0 || wait_for(FK_EV_OPEN, &ev, 5000) < 0 || ev.handle != sub)
		return fail("subscribing", sub);
	int toolong = fk_broadcast("limits", big, FK_BROADCAST_MAX + 1),
	    badname = fk_broadcast("no way", big, 1),
	    noname = fk_broadcast(NULL, big, 1),
	    longer = fk_broadcast(longname, big, 1),
	    nobuf = fk_broadcast("limits", NULL, 1);
	printf("broadcast of 4001 bytes: %d; channel \"no way\": %d, NULL: %d, "
	       "64 bytes: %d; NULL data: %d\n",
	       toolong, badname, noname, longer, nobuf);
	if (toolong != -EMSGSIZE || badname != -EINVAL || noname != -EINVAL ||
	    longer != -EINVAL || nobuf != -EINVAL)
		return fail("-EMSGSIZE and -EINVAL", 0);
	int full = fk_broadcast("limits", big, FK_BROADCAST_MAX),
	    empty = fk_broadcast("limits", NULL, 0);
	if (full != 0 || empty != 0)
		return fail("4000 and 0 bytes are taken", full ? full : empty);
	static const uint32_t want[] = { FK_BROADCAST_MAX, 0 };
	for (int i = 0; i < 2; i++) {
		if (wait_for(FK_EV_DATA, &ev, 5000) < 0 || ev.handle != sub)
			return fail("the subscriber hears its own broadcast", i);
		printf("delivered %u bytes, %d dropped\n", ev.len, ev.status);
		if (ev.len != want[i] || ev.status != 0 ||
		    memcmp(ev.data, big, ev.len) != 0)
			return fail("delivered whole, in order", ev.len);
		fk_release(&ev);
	}
	printf("PASS\n");
	return 0;
}

/* Every request call with the library's 2048 handles taken by timers. */
static int table_full(const char *self_url)
{
	struct fk_event ev;
	char *args[] = { (char *)self_url, NULL };
	fk_handle first = 0, t;
	long timers = 0;
	while ((t = fk_timer(HOUR_NS, 0)) > 0) {
		if (!first)
			first = t;
		timers++;
	}
	int serve = fk_serve("full"), sub = fk_subscribe("full"),
	    link = fk_link("full"), spawn = fk_spawn(self_url, args);
	printf("%ld timers, then timer %d, serve %d, subscribe %d, link %d, "
	       "spawn %d\n",
	       timers, t, serve, sub, link, spawn);
	if (t != -EMFILE || serve != -EMFILE || sub != -EMFILE ||
	    link != -EMFILE || spawn != -EMFILE)
		return fail("-EMFILE from every call that makes a handle", 0);
	/* Closing one frees its handle at once. */
	int closed = fk_close(first);
	serve = fk_serve("full");
	printf("close %d, then serve %d\n", closed, serve);
	if (closed != 0 || serve <= 0 || wait_for(FK_EV_OPEN, &ev, 5000) < 0 ||
	    ev.handle != serve)
		return fail("a freed handle serves", serve);
	printf("PASS\n");
	return 0;
}

/* Closed timers report nothing and give their handles back at once:
 * every one of the 2048, twice over, with no fk_wait between. */
static int timer_close(void)
{
	struct fk_event ev;
	fk_handle once = fk_timer(20000000, 0), tick = fk_timer(5000000, 5000000);
	int r1 = fk_close(once), r2 = fk_close(tick), r3 = fk_close(once);
	printf("close one-shot %d, periodic %d, again %d\n", r1, r2, r3);
	if (r1 != 0 || r2 != 0 || r3 != -EBADF)
		return fail("fk_close of timers", r1 ? r1 : r2 ? r2 : r3);
	static fk_handle t[2048];
	for (int round = 0; round < 2; round++) {
		int made = 0;
		while (made < 2048 && (t[made] = fk_timer(HOUR_NS, 0)) > 0)
			made++;
		printf("round %d: %d timers\n", round + 1, made);
		if (made != 2048)
			return fail("2048 timers", t[made]);
		for (int i = 0; i < made; i++)
			if ((r1 = fk_close(t[i])) != 0)
				return fail("fk_close", r1);
	}
	int n = fk_wait(&ev, 1, 100000000);
	printf("events in 100 ms: %d\n", n);
	if (n != 0)
		return fail("closed timers never fire", ev.type);
	printf("PASS\n");
	return 0;
}

/* Every request call with every send page queued for the broker. */
static int queue_full(const char *self_url)
{
	struct fk_event ev;
	char *args[] = { (char *)self_url, NULL };
	fk_handle srv = fk_serve("queue");
	if (srv <= 0 || wait_for(FK_EV_OPEN, &ev, 5000) < 0 || ev.handle != srv)
		return fail("serving", srv);
	int queued = 0, r;
	while ((r = fk_broadcast("queue", "x", 1)) == 0)
		queued++;
	int link = fk_link("queue"), serve = fk_serve("queue2"),
	    sub = fk_subscribe("queue"), spawn = fk_spawn(self_url, args);
	printf("queued %d broadcasts, then broadcast %d, link %d, serve %d, "
	       "subscribe %d, spawn %d\n",
	       queued, r, link, serve, sub, spawn);
	if (r != -EAGAIN || link != -EAGAIN || serve != -EAGAIN ||
	    sub != -EAGAIN || spawn != -EAGAIN)
		return fail("-EAGAIN from every request", 0);
	/* Closing needs no page: it never fails for want of one. */
	int closed = fk_close(srv);
	printf("close: %d\n", closed);
	if (closed != 0)
		return fail("fk_close with no page free", closed);
	if (wait_for(FK_EV_ROOM, &ev, 5000) < 0)
		return fail("FK_EV_ROOM once pages come back", 0);
	link = fk_link("queue");
	printf("room: handle %d; then link %d\n", ev.handle, link);
	if (ev.handle != 0 || link <= 0)
		return fail("handle 0, and the request is taken", link);
	printf("PASS\n");
	return 0;
}

/* Outside fakeOS: the test gives fd 3 and fd 4 (or closes them). */
static int init_fails(const char *want_name)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = { { "EBADF", EBADF }, { "EPROTO", EPROTO },
		     { "ENOSYS", ENOSYS } };
	int want = 0;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (!strcmp(want_name, errs[i].name))
			want = errs[i].err;
	if (!want)
		return fail("a known errno name", 0);
	int r = fk_init();
	printf("fk_init: %d (%s)\n", r, strerror(-r));
	if (r != -want)
		return fail(want_name, r);
	struct fk_event ev;
	int calls[] = { fk_link("x"), fk_serve("x"), fk_subscribe("x"),
			fk_broadcast("x", "", 0), fk_spawn("x", NULL),
			fk_kill(1), fk_send(1, "x", 1), fk_close(1),
			fk_timer(1, 0), fk_wait(&ev, 1, 0) };
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i] != -EBADF)
			return fail("every call is -EBADF", (long)i);
	printf("every call: -EBADF\n");
	void *page = fk_page_alloc(1);
	if (fk_boot() != NULL || !page || fk_page_free(page, 1) != 0 ||
	    fk_now() == 0)
		return fail("no boot page; memory and the clock work", 0);
	printf("PASS\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "init-fails") && argc > 2)
		return init_fails(argv[2]);
	int r = fk_init();
	if (r < 0) {
		printf("FAIL: fk_init: %s\n", strerror(-r));
		return 1;
	}
	const char *self = fk_boot()->url;
	if (!strcmp(cmd, "link-unserved") && argc > 2)
		return link_unserved(argv[2]);
	if (!strcmp(cmd, "send-sizes"))
		return send_sizes();
	if (!strcmp(cmd, "peer"))
		return peer();
	if (!strcmp(cmd, "peer-exits-from") && argc > 2)
		return peer_exits(argv[2]);
	if (!strcmp(cmd, "peer-exits"))
		return peer_exits(self);
	if (!strcmp(cmd, "send-before-open"))
		return send_before_open();
	if (!strcmp(cmd, "oversized-peer"))
		return oversized_peer();
	if (!strcmp(cmd, "reader-exits"))
		return reader_exits();
	if (!strcmp(cmd, "sender-sees-close"))
		return sender_sees_close(self);
	if (!strcmp(cmd, "spawn-limits"))
		return spawn_limits(self);
	if (!strcmp(cmd, "count-args"))
		return count_args(argc, argv);
	if (!strcmp(cmd, "kill-before-start") && argc > 2)
		return kill_before_start(argv[2]);
	if (!strcmp(cmd, "kill-not-child"))
		return kill_not_child();
	if (!strcmp(cmd, "orphans") && argc > 2)
		return orphans(self, atoi(argv[2]));
	if (!strcmp(cmd, "hang"))
		return hang();
	if (!strcmp(cmd, "link-name") && argc > 2)
		return link_name(argv[2]);
	if (!strcmp(cmd, "serve-hold") && argc > 2)
		return serve_hold(argv[2]);
	if (!strcmp(cmd, "link-to-stopped") && argc > 2)
		return link_to_stopped(self, argv[2]);
	if (!strcmp(cmd, "pages"))
		return pages();
	if (!strcmp(cmd, "page-use-after-free"))
		return page_use_after_free();
	if (!strcmp(cmd, "broadcast-limits"))
		return broadcast_limits();
	if (!strcmp(cmd, "table-full"))
		return table_full(self);
	if (!strcmp(cmd, "timer-close"))
		return timer_close();
	if (!strcmp(cmd, "queue-full"))
		return queue_full(self);
	if (!strcmp(cmd, "spawn") && argc > 3)
		return spawn(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "wait-timeout") && argc > 2)
		return wait_timeout(atol(argv[2]));
	if (!strcmp(cmd, "serve-twice") && argc > 2)
		return serve_twice(argv[2]);
	if (!strcmp(cmd, "bad-handles"))
		return bad_handles();
	if (!strcmp(cmd, "boot")) {
		const struct fk_boot *b = fk_boot();
		printf("url %s\nid %llu\nparent %llu\n", b->url,
		       (unsigned long long)b->id,
		       (unsigned long long)b->parent);
		/* Not in struct fk_boot: the library's own (it decides
		 * whether fk_wait polls), so read from the page itself, at
		 * its offset in docs/PROTOCOL.md 2.2. The descriptor stays
		 * open after fk_init. */
		const unsigned char *page =
			mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 4, 0);
		if (page == MAP_FAILED)
			return fail("mapping the boot page again", errno);
		uint32_t cpus;
		memcpy(&cpus, page + 1224, sizeof(cpus));
		printf("cpus %u\n", cpus);
		uint32_t flags; /* params.flags, as io_uring_setup left them */
		memcpy(&flags, page + 88, sizeof(flags));
		printf("ring flags 0x%x\n", flags);
		uint32_t recv; /* recv_pages: 1 PROVIDE_BUFFERS, 2 rings */
		memcpy(&recv, page + 28, sizeof(recv));
		printf("recv pages %u\n", recv);
		return 0;
	}
	printf("usage: api_probe COMMAND ...\n");
	return 2;
}

/* fakeos.h — the whole interface of a fakeOS program.
 *
 * A jailed program can do four things through the kernel: map pages of
 * memory, read the clock and wait for timers, exchange page-sized datagrams
 * on links over its io_uring, and exit. Everything else — starting another
 * program, finding a service, broadcasting — is a message to the broker,
 * the privileged parent that handed the program its ring. (The jail also
 * lets a plain C program's library start, print to its console, read
 * randomness and sleep: see policy/default.policy. This API needs none of
 * that.) docs/API.md argues for every call below and compares the set with
 * Zircon, CloudABI, WASI, Plan 9 and Solo5; fakeos(3) is the manual.
 *
 * The model, in one paragraph. Every call that asks for something returns a
 * handle at once and never blocks. What happens later — a link connects, a
 * datagram arrives, a timer fires, a child exits, a peer goes away — is an
 * event, and fk_wait() is the one place a program blocks: one io_uring_enter
 * for data, link state, timers and child exits alike. Received data is not
 * copied out of a stream: the kernel writes each datagram into a page the
 * library supplied, and the event points at it until fk_release().
 *
 * Conventions. Calls return a handle (> 0) or 0 on success and a negative
 * errno on failure; nothing sets errno. The one call that returns a
 * pointer, fk_page_alloc, returns NULL instead, as malloc does. Handles
 * are small positive integers, unique in the process while they live, and
 * are never file descriptors. Times are in nanoseconds. -EMFILE means
 * this program's own handle table is full; -EDQUOT, that the broker
 * refused because a quota is reached. The library is single-threaded, as
 * fakeOS programs are. The header compiles as C11 and as C++11. */
#ifndef FAKEOS_H
#define FAKEOS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* fk_exit does not return: C11 says so with _Noreturn, C++11 with an
 * attribute, and g++ knows no _Noreturn. */
#if defined(__cplusplus)
#define FK_NORETURN [[noreturn]]
#else
#define FK_NORETURN _Noreturn
#endif

/* The page: the unit of memory and the largest datagram. */
#define FK_PAGE_SIZE 4096
/* Service and channel names: 1-63 bytes of [A-Za-z0-9._-]. */
#define FK_NAME_MAX 63
/* A broadcast carries at most this many bytes (a page less its header). */
#define FK_BROADCAST_MAX 4000
/* fk_spawn: at most this many arguments, and this many bytes of them. */
#define FK_SPAWN_ARGC_MAX 64
#define FK_SPAWN_ARGS_MAX 2048
/* A URL: at most this many bytes, without its NUL. */
#define FK_URL_MAX 1023

typedef int32_t fk_handle;

/* --- starting --------------------------------------------------------- */

/* What the broker tells a program about itself. It arrives in the boot
 * page, never in argv or the environment. Arguments stay in argv. (There
 * is no key: a program proves nothing itself; the broker tells each
 * service who calls it, see fk_peer. docs/API.md, section 8.1.) */
struct fk_boot {
	const char *url; /* the URL this program was started from */
	uint64_t id; /* this program's id, unique within its broker */
	uint64_t parent; /* the id of the program that spawned it; 0: none */
};

/* Maps the boot page and the ring the broker prepared. Call it once,
 * before anything else here. -EBADF: not started by fakeOS; -EPROTO: a
 * boot page of another version; -ENOSYS: a kernel without what the ring
 * needs; -ENOMEM: no memory for the library's pages (576 KiB). */
int fk_init(void);
/* The boot information; valid after fk_init, for the program's life. */
const struct fk_boot *fk_boot(void);

/* --- memory ------------------------------------------------------------- */

/* n zeroed pages, readable and writable, never executable. NULL when the
 * memory limit is reached or n is 0 (a pointer has no room for -errno,
 * and an error pointer would pass every `if (!p)`). */
void *fk_page_alloc(size_t n);
/* Returns n pages from fk_page_alloc. 0 or -EINVAL. */
int fk_page_free(void *pages, size_t n);

/* --- time --------------------------------------------------------------- */

/* Monotonic nanoseconds since an arbitrary point. Read from the vDSO: no
 * system call. */
uint64_t fk_now(void);
/* A timer. It first fires after `after` ns, then every `period` ns (0: once).
 * Each expiry is an FK_EV_TIMER event; a one-shot timer's handle is gone
 * with its event. fk_close() stops it. -EMFILE: too many handles. */
fk_handle fk_timer(uint64_t after, uint64_t period);

/* --- links -------------------------------------------------------------- */

/* The request calls below (fk_link, fk_serve, fk_subscribe, fk_spawn)
 * return a handle at once, or -EINVAL for a bad name or URL, -EMFILE when
 * the library's handle table is full, -EAGAIN when too many messages to the
 * broker are queued (fk_wait sends them). */

/* Opens a link to the service registered under name. Asynchronous:
 * FK_EV_OPEN when connected, or FK_EV_CLOSED with -ECONNREFUSED when no one
 * serves the name (after waiting up to FK_LINK_WAIT_NS for it to appear,
 * so a client may start before its server) or the server has no free
 * slot, -EDQUOT when a link quota refuses it, -EAGAIN when too many of
 * this program's requests are waiting already. */
fk_handle fk_link(const char *name);
#define FK_LINK_WAIT_NS 2000000000ULL
/* The same in ms, as headers before protocol 5 had it. */
#define FK_LINK_WAIT_MS 2000
/* Serves name: FK_EV_OPEN once registered (FK_EV_CLOSED with -EADDRINUSE if
 * it is taken, -EDQUOT past the served-names quota), then an FK_EV_INCOMING for each client, whose handle is the
 * new link, whose peer is the client's program id, and whose status is how
 * many links the client's party (the client and the programs it, or its
 * ancestor outside this server's line, spawned) now holds to this program,
 * this one included: a server that wants no hoarding closes the link when
 * that is more than it allows one party. fk_peer() says who the client
 * is. fk_close() withdraws the name; open links stay. */
fk_handle fk_serve(const char *name);

/* Who is at the other end of an open link, as the broker knows it: it
 * started that program, so none of this is the peer's own word. */
struct fk_peer {
	uint64_t id; /* its program id (fk_boot()->id there) */
	uint32_t uid; /* its account: the uid that launched its tree (ran
			 fakeos-run, or asked fakeosd, or owns the service) */
	uint32_t reserved;
	uint8_t sha256[32]; /* of its program's bytes, as fetched and
			       verified */
	char host[64]; /* "" for a program of this host; for a link to
			  another host, that host's name in the hosts file:
			  a filter on uid must also require host[0] == 0,
			  or say which host. */
	char url[FK_URL_MAX + 1]; /* the URL it was started from */
};
/* Fills *out for a link that is open (after its FK_EV_OPEN or
 * FK_EV_INCOMING), until it is closed: both sides learn who the other is.
 * -EBADF: not a live handle; -EINVAL: not a link; -ENOTCONN: not open
 * yet; -EPROTONOSUPPORT: the broker speaks a protocol older than 5 and
 * did not say. */
int fk_peer(fk_handle link, struct fk_peer *out);
/* Sends one datagram of 1..FK_PAGE_SIZE bytes on a link. The bytes are
 * copied before this returns; they leave with the next fk_wait. Delivery is
 * whole, in order and reliable, or the link ends with FK_EV_CLOSED.
 * -EMSGSIZE: too long; -EAGAIN: the link is full (its peer is not reading)
 * — an FK_EV_ROOM event says when to try again; -ENOTCONN: not open yet;
 * -EBADF: not a live handle; -EINVAL: not a link, or no bytes. */
int fk_send(fk_handle link, const void *buf, size_t len);

/* --- broadcast ---------------------------------------------------------- */

/* Subscribes to a channel: FK_EV_OPEN, then an FK_EV_DATA for every
 * broadcast on it by any program of this broker (including this one).
 * FK_EV_CLOSED with -EEXIST: already subscribed to it; -EDQUOT: 16
 * subscriptions. */
fk_handle fk_subscribe(const char *channel);
/* Sends one message of 0..FK_BROADCAST_MAX bytes to every subscriber.
 * Best effort, like a UDP broadcast: a subscriber too slow to keep up loses
 * messages, and its next FK_EV_DATA says how many (fk_event.status). Each
 * copy is charged to the sender (20000 a second); a broadcast past that is
 * dropped for every subscriber, and the sender is not told.
 * -EINVAL: bad channel name; -EMSGSIZE: too long; -EAGAIN: too many
 * messages to the broker are queued (fk_wait sends them). */
int fk_broadcast(const char *channel, const void *buf, size_t len);

/* --- programs ------------------------------------------------------------ */

/* Starts the program at url in its own jail, fetched through the same
 * cache, with argv (argv[0] is ignored: the child sees its URL there). A
 * url without a scheme is resolved against this program's own URL, as a
 * browser resolves a relative link. -ENAMETOOLONG: url longer than 1023
 * bytes; -E2BIG: more than FK_SPAWN_ARGC_MAX arguments or
 * FK_SPAWN_ARGS_MAX bytes of them.
 * FK_EV_OPEN when it runs; FK_EV_EXIT when it ends, with the status
 * fakeos-run(1) would give, and the reason in the event's data when it
 * could not start (127: could not fetch, 126: could not run). */
fk_handle fk_spawn(const char *url, char *const argv[]);
/* Kills a child (and every program it started) and keeps its handle
 * until its FK_EV_EXIT, with status 137 (or what it ended with first).
 * fk_close() of a child kills it too, and forgets it: no event. -EBADF:
 * not a live handle; -EINVAL: not a child. */
int fk_kill(fk_handle child);

/* --- handles and events ------------------------------------------------- */

/* Ends what a handle names: a link (the peer sees FK_EV_CLOSED), a timer,
 * a served name, a subscription, or a child (killed). The handle is gone
 * at once; no event for it follows, whatever it names: the one rule of
 * fk_close. To learn how a child ended, fk_kill it. -EBADF: not a live
 * handle. */
int fk_close(fk_handle h);

enum fk_event_type {
	FK_EV_OPEN = 1, /* a link connected, a name is served, a subscription
			   is active, a child started */
	FK_EV_CLOSED, /* a link, service or subscription ended; status: 0 for
			 an orderly close, else -errno (-EDQUOT: a quota
			 refused it). The handle is gone. An open link to
			 another host (fk_peer's host not "") says why it
			 ended, after every datagram that came before:
			 0 the peer closed it; -ETIMEDOUT its host went
			 silent (docs/API.md 10.4 gives the bound);
			 -ESTALE its host restarted; -ECONNRESET its
			 daemon stopped; -ECONNABORTED this host's daemon
			 stopped (protocol 6; 0 from older brokers). */
	FK_EV_INCOMING, /* a client linked to a served name: handle is the new
			   link, source the fk_serve handle, status the
			   links its party holds to this program (>= 1; 0
			   from a broker older than protocol 4); peer the
			   client's id, and fk_peer() the rest of who it
			   is */
	FK_EV_DATA, /* a datagram on a link or a broadcast on a
		       subscription: data and len; fk_release() it */
	FK_EV_TIMER, /* a timer expired; status: expirations (>= 1) */
	FK_EV_EXIT, /* a child ended; status: its exit code, or 128+N if
		       killed by signal N, or 126/127 if it never started
		       (data says why; fk_release() it). The handle is gone. */
	FK_EV_ROOM, /* a link that refused fk_send with -EAGAIN has room
		       again (handle 0: any link; the library's own send
		       pages had run out) */
};

struct fk_event {
	uint32_t type; /* enum fk_event_type */
	fk_handle handle; /* what the event is about */
	fk_handle source; /* FK_EV_INCOMING: the fk_serve handle; else 0 */
	int32_t status; /* see the event types */
	uint64_t peer; /* FK_EV_OPEN of a link: the server's program id;
			  of a child: the child's id (its fk_boot()->id);
			  FK_EV_INCOMING: the client's id; else 0 */
	uint32_t len; /* bytes at data */
	const void *data; /* in a received page; valid until fk_release */
	uint32_t page; /* internal: the page to hand back */
};

/* Waits for events: returns how many were stored in ev (1..max), 0 when
 * the timeout (ns; 0 polls, -1 waits for ever) passed first, or -errno.
 * Submits everything queued since the last call in the same system call
 * that waits: fk_wait is the only call that enters the kernel (besides
 * fk_page_alloc, fk_page_free and fk_exit). A send's own completion can
 * end a wait, so a ping-pong round costs the sender two io_uring_enter
 * calls and the peer one or two. */
int fk_wait(struct fk_event *ev, unsigned max, int64_t timeout);
/* Hands the page behind an FK_EV_DATA or FK_EV_EXIT event back for
 * reuse. Until then the kernel cannot fill it again; a program that keeps
 * every page stops receiving (its peers see back-pressure). */
void fk_release(struct fk_event *ev);

/* --- ending -------------------------------------------------------------- */

/* Ends the program with status code. Its links close, its names are
 * withdrawn, and its children are killed. */
FK_NORETURN void fk_exit(int code);

#ifdef __cplusplus
}
#endif
#endif

/* quic.h — host-to-host links over QUIC (ngtcp2 with GnuTLS). An endpoint
 * owns one non-blocking UDP socket, driven from the caller's event loop; it
 * holds connections to peer hosts, authenticated both ways by pinned host
 * keys (hosts.h), and on each connection links: one bidirectional stream
 * per link, carrying whole datagrams of 1..QUIC_DGRAM_MAX bytes, in order.
 * Only quic.c includes ngtcp2: its 1.0 API will need a port, and no ngtcp2
 * or GnuTLS type appears here; keys and certificates are hostkey.c's, the
 * stream's framing qframe.c's. The wire is docs/PROTOCOL.md, "Host to
 * host (draft)". */
#ifndef FAKEOS_QUIC_H
#define FAKEOS_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hosts.h"
#include "util.h"

#define QUIC_DGRAM_MAX 4096 /* a page: fk_send's limit */
#define QUIC_ALPN "fakeos-link/1"
/* What one link may have queued and not yet acknowledged by the peer
 * before quic_link_send says -EAGAIN. */
#define QUIC_LINK_SNDBUF (64 * 1024)
#define QUIC_IDLE_MS_DEFAULT 10000
#define QUIC_HANDSHAKE_MS_DEFAULT 5000

struct quic_ep;
struct quic_conn;
struct quic_link;

/* Why a link or a connection ended: the status of on_link_close and
 * on_conn_close, 0 or a negative errno (the same value FK_EV_CLOSED will
 * carry to a program):
 *   0             the peer closed the link in order, after its last datagram
 *   -ECONNRESET   the peer host closed the connection or reset the link
 *                 (its daemon stopped)
 *   -EHOSTUNREACH no handshake within the handshake timeout
 *   -ETIMEDOUT    the peer went silent for the idle timeout
 *   -ESTALE       the peer host restarted: a new connection from the same
 *                 host key came with a new instance nonce
 *   -EACCES       the handshake was refused: a key that is not the pinned
 *                 one, on either side (logged, naming the host)
 *   -EPROTO       the peer broke the link's framing (a length of 0 or over
 *                 QUIC_DGRAM_MAX)
 *   -ECONNABORTED this side closed the connection (quic_conn_close) */

/* The caller's side. Callbacks run from quic_on_readable and quic_on_timer
 * (and on_conn_close for a failed quic_connect from quic_connect itself
 * never: it reports later, from the loop). Inside a callback the caller
 * may send, open and close; the work is done when the callback returns. */
struct quic_cbs {
	/* A connection's handshake is done and the peer host proven: h is
	 * its hosts entry. For quic_connect's connection and for accepted
	 * ones alike. */
	void (*on_conn)(void *arg, struct quic_conn *c, const struct host *h);
	/* The connection ended; every link on it was closed first, with the
	 * same status. c is freed when this returns. */
	void (*on_conn_close)(void *arg, struct quic_conn *c, int status);
	/* The peer opened a link. quic_link_set_arg to attach the caller's
	 * state; its first datagram follows. */
	void (*on_link)(void *arg, struct quic_link *l);
	/* One whole datagram, in order; buf is valid during the call. */
	void (*on_data)(void *arg, struct quic_link *l, const void *buf,
			size_t len);
	/* A link whose quic_link_send said -EAGAIN has room again. */
	void (*on_room)(void *arg, struct quic_link *l);
	/* The link ended (status as above); l is gone when this returns. */
	void (*on_link_close)(void *arg, struct quic_link *l, int status);
};

struct quic_opts {
	const char *key_path; /* this host's private key (hostkey_generate, hostkey.h) */
	const struct hosts *hosts; /* known peers; kept by the caller */
	struct sockaddr_storage bind; /* the endpoint's UDP address */
	socklen_t bindlen;
	unsigned idle_ms; /* 0: QUIC_IDLE_MS_DEFAULT */
	unsigned handshake_ms; /* 0: QUIC_HANDSHAKE_MS_DEFAULT */
	struct quic_cbs cb;
	void *arg; /* the callbacks' first argument */
};

/* Loads the key, makes this run's certificate (with a fresh instance
 * nonce) and binds the socket. */
int quic_open(const struct quic_opts *o, struct quic_ep **out,
	      struct error *e);
/* Closes every connection (the peers see -ECONNRESET), without callbacks,
 * and frees everything, the socket too. */
void quic_close(struct quic_ep *ep);

/* The socket to watch for EPOLLIN (level-triggered). */
int quic_fd(const struct quic_ep *ep);
/* When quic_on_timer is next due, in CLOCK_MONOTONIC ns (now_ns()), or
 * UINT64_MAX when nothing is. Ask again after each call into quic_. */
uint64_t quic_next_timeout_ns(const struct quic_ep *ep);
/* Reads what the socket holds (at most a bounded batch: the fd stays
 * readable if more is left) and handles it. */
void quic_on_readable(struct quic_ep *ep);
/* Handles every timer that is due (retransmission, idle, keep-alive). */
void quic_on_timer(struct quic_ep *ep);

/* Begins a connection to h (an entry of the endpoint's hosts): on_conn
 * when the handshake is done, or on_conn_close with the reason. Links may
 * be opened at once; their datagrams go when the handshake is done. */
int quic_connect(struct quic_ep *ep, const struct host *h,
		 struct quic_conn **out);
/* Ends a connection: the peer sees -ECONNRESET, this side's links
 * -ECONNABORTED (each reported, then on_conn_close). */
void quic_conn_close(struct quic_conn *c);
const struct host *quic_conn_host(const struct quic_conn *c);
void quic_conn_set_arg(struct quic_conn *c, void *arg);
void *quic_conn_arg(const struct quic_conn *c);

/* Opens a link on c. -ENOMEM, -ENOTCONN when c is closing. */
int quic_link_open(struct quic_conn *c, struct quic_link **out);
/* Queues one datagram. -EMSGSIZE: len is 0 or over QUIC_DGRAM_MAX;
 * -EAGAIN: the link's send buffer is full (on_room says when to retry);
 * -ENOTCONN: the link is closing. */
int quic_link_send(struct quic_link *l, const void *buf, size_t len);
/* Sends queued between quic_defer and quic_flush go out together at
 * quic_flush: a caller that queues many datagrams at once (fakeosd
 * draining a program's pipe) fills whole packets and sends them in one
 * batch, where each quic_link_send alone goes out at once, in packets of
 * its own. Inside a callback, sends wait for its end anyway. */
void quic_defer(struct quic_ep *ep);
void quic_flush(struct quic_ep *ep);
/* Closes the link in order: what was queued is still delivered, then the
 * peer sees status 0. No callback for l after this. */
void quic_link_close(struct quic_link *l);
/* Holds (true) or resumes (false) what the peer may send on l: while held,
 * the link's flow-control window is not extended, so the peer stops after
 * at most one window (the stream window) more. For a receiver that cannot
 * deliver. */
void quic_link_hold(struct quic_link *l, bool hold);
struct quic_conn *quic_link_conn(const struct quic_link *l);
void quic_link_set_arg(struct quic_link *l, void *arg);
void *quic_link_arg(const struct quic_link *l);

/* For tests and status: live connections and links. */
void quic_counts(const struct quic_ep *ep, unsigned *conns, unsigned *links);

#endif

/* quic_guard.h — what a QUIC endpoint (quic.c) lets a new client's first
 * Initial cost it. An Initial is a UDP packet: its source address may be
 * forged, and a captured one may be sent again from anywhere. Each one
 * accepted holds a half-open connection (a TLS session, ngtcp2's state,
 * the server's first flight sent again) until the handshake completes or
 * its timeout (5 s) passes; without a bound, a flood from no real host
 * would fill the endpoint's connections and shut real hosts out.
 *
 * The bound: while fewer than QUIC_HALFOPEN_RETRY handshakes are half
 * open, an Initial opens one at once (no round trip more for the usual
 * case); from there on, an Initial without a valid token is answered
 * with a stateless Retry (RFC 9000 8.1.2), which costs this host no
 * state, and only a client that received it at its address and sent
 * the token back opens a connection. A forged source never sees the
 * token, so forged Initials hold at most QUIC_HALFOPEN_RETRY
 * connections; a real address holds at most QUIC_HALFOPEN_PER_ADDR half
 * open at once. No ngtcp2 here: quic.c asks and acts. */
#ifndef FAKEOS_QUIC_GUARD_H
#define FAKEOS_QUIC_GUARD_H

#include <stdbool.h>
#include <sys/socket.h>

#define QUIC_HALFOPEN_RETRY 16
#define QUIC_HALFOPEN_PER_ADDR 4
/* How long a Retry token is good for: a round trip, with room. */
#define QUIC_RETRY_TOKEN_MS 3000

struct quic_guard {
	unsigned halfopen; /* server connections not yet through the handshake */
	unsigned peak; /* of halfopen, this episode */
	bool validating; /* this episode's Retry was logged */
	unsigned long retries; /* Initials answered with Retry, this episode */
	unsigned long unfinished; /* half-open ones that timed out, ditto */
};

enum quic_admit {
	QUIC_ADMIT_ACCEPT, /* open a connection */
	QUIC_ADMIT_RETRY, /* answer with a Retry, keep nothing */
	QUIC_ADMIT_DROP, /* drop the packet */
};

/* A new Initial: validated says it carried a valid Retry token (its
 * source address is real); same_addr is how many half-open connections
 * its source address (IP, any port) holds already. */
enum quic_admit quic_guard_admit(struct quic_guard *g, bool validated,
				 unsigned same_addr);
/* A half-open connection was made... */
void quic_guard_opened(struct quic_guard *g);
/* ...and is half-open no more: completed, or ended (timed_out: its
 * handshake timeout passed). Logs the first timeout of an episode, and
 * the episode's tally when none is half-open any more. */
void quic_guard_closed(struct quic_guard *g, bool timed_out,
		       const char *who);
/* Whether two addresses are one host's: the same IP, whatever the port. */
bool quic_guard_same_ip(const struct sockaddr *a, const struct sockaddr *b);

#endif

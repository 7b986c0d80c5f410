/* qframe.h — a link's byte stream on the wire (docs/PROTOCOL.md, "Host to
 * host"): whole datagrams, each a 2-byte big-endian length (1..
 * QFRAME_DGRAM_MAX) and its bytes. The sending half queues them in chunks
 * that never move (a QUIC stack keeps pointers into sent data until it is
 * acknowledged); the receiving half splits the stream back. No QUIC here:
 * quic.c drives both. */
#ifndef FAKEOS_QFRAME_H
#define FAKEOS_QFRAME_H

#include <stddef.h>
#include <stdint.h>

#define QFRAME_DGRAM_MAX 4096
#define QFRAME_CHUNK 16384

struct qframe_chunk;

struct qframe_tx {
	struct qframe_chunk *head, *tail, *cur;
	uint64_t acked; /* stream offset the peer has acknowledged */
	uint64_t sent; /* handed to the wire */
	uint64_t queued; /* queued in all */
};

struct qframe_vec {
	uint8_t *base;
	size_t len;
};

/* Queues one datagram (1..QFRAME_DGRAM_MAX bytes: the caller checks). */
void qframe_put(struct qframe_tx *t, const void *buf, size_t len);
/* The peer acknowledged everything before off: frees what it can. */
void qframe_acked(struct qframe_tx *t, uint64_t off);
/* Up to max vectors of the unsent bytes, from t->sent on; *total their
 * sum. */
size_t qframe_unsent(struct qframe_tx *t, struct qframe_vec *v, size_t max,
		     size_t *total);
void qframe_tx_free(struct qframe_tx *t);

struct qframe_rx {
	uint8_t hdr[2];
	size_t hdr_have, want, have;
	uint8_t *buf; /* a datagram split across pieces */
};

/* Feeds n bytes of the stream: each whole datagram goes to deliver, in
 * order. -EPROTO at a length of 0 or over QFRAME_DGRAM_MAX: nothing is
 * delivered after it, in this call or any later one. */
int qframe_parse(struct qframe_rx *r, const uint8_t *p, size_t n,
		 void (*deliver)(void *arg, const uint8_t *p, size_t n),
		 void *arg);
/* Whether a datagram was begun and not finished: a stream that ends here
 * was cut short. */
int qframe_partial(const struct qframe_rx *r);
void qframe_rx_free(struct qframe_rx *r);

#endif

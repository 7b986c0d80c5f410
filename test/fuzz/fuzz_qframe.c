/* fuzz_qframe.c — qframe_parse (src/qframe.c), which splits the byte
 * stream of every link from another host back into datagrams: the bytes
 * are the peer daemon's, decrypted but otherwise as it chose them.
 *
 * The first 8 bytes of an input choose where the stream is cut into the
 * pieces QUIC hands over; the rest is the stream. The invariants:
 *   - fed in pieces, the stream gives the same datagrams, and the same
 *     refusal at the same point, as fed whole;
 *   - each datagram is 1..QFRAME_DGRAM_MAX bytes and is exactly its bytes
 *     in the stream, and a refusal comes at a length of 0 or over the
 *     most, with nothing after it, in that call or a later one;
 *   - qframe_partial says whether a datagram was begun and not finished;
 *   - the sending half gives back, byte for byte, the stream prefix those
 *     datagrams came from, acknowledged at the fuzzer's points. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "qframe.h"

/* The most a run can deliver: every datagram takes at least 3 bytes. */
#define MAX_DGRAMS (4096 / 3 + 1)

struct seen {
	const uint8_t *stream; /* the whole stream, to find each one in */
	size_t at; /* stream offset of the next datagram's header */
	size_t count;
	size_t len[MAX_DGRAMS];
	size_t off[MAX_DGRAMS]; /* stream offset of each one's bytes */
	size_t stream_len;
};

static void deliver(void *arg, const uint8_t *p, size_t n)
{
	struct seen *s = arg;
	FUZZ_ASSERT(n >= 1 && n <= QFRAME_DGRAM_MAX, "a datagram of %zu", n);
	FUZZ_ASSERT(s->count < MAX_DGRAMS, "more datagrams than bytes");
	FUZZ_ASSERT(s->at + 2 + n <= s->stream_len, "past the stream");
	size_t want = (size_t)s->stream[s->at] << 8 | s->stream[s->at + 1];
	FUZZ_ASSERT(want == n, "length %zu, header says %zu", n, want);
	FUZZ_ASSERT(memcmp(p, s->stream + s->at + 2, n) == 0,
		    "datagram %zu is not its bytes", s->count);
	s->len[s->count] = n;
	s->off[s->count] = s->at + 2;
	s->count++;
	s->at += 2 + n;
}

/* A small generator seeded from the input: piece sizes and ack points. */
static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8 || size > 8 + 4096)
		return 0;
	uint64_t x;
	memcpy(&x, data, 8);
	x |= 1;
	const uint8_t *stream = data + 8;
	size_t n = size - 8;

	/* Whole. */
	static struct seen whole, pieces;
	memset(&whole, 0, sizeof(whole));
	whole.stream = stream;
	whole.stream_len = n;
	struct qframe_rx r1 = { 0 };
	int rc1 = qframe_parse(&r1, stream, n, deliver, &whole);
	FUZZ_ASSERT(rc1 == 0 || rc1 == -EPROTO, "returned %d", rc1);

	/* In pieces of 1..300 bytes; after a refusal, the rest still goes
	 * in, and must be refused with nothing delivered. */
	memset(&pieces, 0, sizeof(pieces));
	pieces.stream = stream;
	pieces.stream_len = n;
	struct qframe_rx r2 = { 0 };
	int rc2 = 0;
	for (size_t at = 0; at < n;) {
		size_t k = 1 + next(&x) % 300;
		if (k > n - at)
			k = n - at;
		size_t before = pieces.count;
		int rc = qframe_parse(&r2, stream + at, k, deliver, &pieces);
		if (rc2 < 0)
			FUZZ_ASSERT(rc == -EPROTO && pieces.count == before,
				    "a refused stream went on");
		else
			rc2 = rc;
		at += k;
	}
	FUZZ_ASSERT(rc1 == rc2, "whole %d, in pieces %d", rc1, rc2);
	FUZZ_ASSERT(whole.count == pieces.count, "whole %zu, in pieces %zu",
		    whole.count, pieces.count);
	if (rc1 < 0) {
		/* Refused at the header after the last datagram. */
		FUZZ_ASSERT(whole.at + 2 <= n, "refused with no header");
		size_t bad = (size_t)stream[whole.at] << 8 |
			     stream[whole.at + 1];
		FUZZ_ASSERT(bad == 0 || bad > QFRAME_DGRAM_MAX,
			    "refused a length of %zu", bad);
		FUZZ_ASSERT(qframe_parse(&r1, stream, n, deliver, &whole) ==
					    -EPROTO,
			    "a refused stream took more");
	} else {
		FUZZ_ASSERT(qframe_partial(&r1) == (whole.at < n),
			    "partial %d with %zu of %zu bytes in datagrams",
			    qframe_partial(&r1), whole.at, n);
		FUZZ_ASSERT(qframe_partial(&r2) == qframe_partial(&r1),
			    "partial differs in pieces");
	}
	qframe_rx_free(&r1);
	qframe_rx_free(&r2);

	/* The sending half: the datagrams again, read out in vectors and
	 * acknowledged at random points, are the stream's prefix. */
	struct qframe_tx t = { 0 };
	for (size_t i = 0; i < whole.count; i++)
		qframe_put(&t, stream + whole.off[i], whole.len[i]);
	FUZZ_ASSERT(t.queued == whole.at, "queued %llu of %zu",
		    (unsigned long long)t.queued, whole.at);
	while (t.sent < t.queued) {
		struct qframe_vec v[4];
		size_t total;
		size_t nv = qframe_unsent(&t, v, 1 + next(&x) % 4, &total);
		FUZZ_ASSERT(nv > 0 && total > 0, "nothing unsent at %llu",
			    (unsigned long long)t.sent);
		size_t take = 1 + next(&x) % total;
		for (size_t i = 0; i < nv && take > 0; i++) {
			size_t m = v[i].len < take ? v[i].len : take;
			FUZZ_ASSERT(memcmp(v[i].base, stream + t.sent, m) == 0,
				    "sent bytes at %llu differ",
				    (unsigned long long)t.sent);
			t.sent += m;
			take -= m;
		}
		if (next(&x) % 2)
			qframe_acked(&t, t.acked + next(&x) % (t.sent - t.acked + 1));
	}
	qframe_acked(&t, t.sent);
	FUZZ_ASSERT(!t.head && !t.tail, "acknowledged chunks kept");
	qframe_tx_free(&t);
	return 0;
}

/* qframe.c — see qframe.h. */
#include "qframe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct qframe_chunk {
	struct qframe_chunk *next;
	uint64_t off; /* stream offset of data[0] */
	size_t len;
	uint8_t data[QFRAME_CHUNK];
};

static void append(struct qframe_tx *t, const uint8_t *p, size_t n)
{
	while (n > 0) {
		struct qframe_chunk *k = t->tail;
		if (!k || k->len == QFRAME_CHUNK) {
			k = xmalloc(sizeof(*k));
			k->next = NULL;
			k->off = t->queued;
			k->len = 0;
			if (t->tail)
				t->tail->next = k;
			else
				t->head = k;
			t->tail = k;
		}
		size_t take = QFRAME_CHUNK - k->len < n ? QFRAME_CHUNK - k->len
							: n;
		memcpy(k->data + k->len, p, take);
		k->len += take;
		t->queued += take;
		p += take;
		n -= take;
	}
}

void qframe_put(struct qframe_tx *t, const void *buf, size_t len)
{
	const uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	append(t, hdr, 2);
	append(t, buf, len);
}

void qframe_acked(struct qframe_tx *t, uint64_t off)
{
	/* Acknowledgement comes in order, from the stream's start. */
	if (off > t->acked)
		t->acked = off;
	while (t->head && t->head->off + t->head->len <= t->acked) {
		struct qframe_chunk *k = t->head;
		t->head = k->next;
		if (t->cur == k)
			t->cur = NULL;
		free(k);
	}
	if (!t->head)
		t->tail = NULL;
}

size_t qframe_unsent(struct qframe_tx *t, struct qframe_vec *v, size_t max,
		     size_t *total)
{
	struct qframe_chunk *k = t->cur ? t->cur : t->head;
	while (k && t->sent >= k->off + k->len)
		k = k->next;
	t->cur = k;
	size_t n = 0;
	*total = 0;
	for (uint64_t at = t->sent; k && n < max; k = k->next) {
		v[n].base = k->data + (at - k->off);
		v[n].len = (size_t)(k->off + k->len - at);
		*total += v[n].len;
		at = k->off + k->len;
		n++;
	}
	return n;
}

void qframe_tx_free(struct qframe_tx *t)
{
	while (t->head) {
		struct qframe_chunk *k = t->head;
		t->head = k->next;
		free(k);
	}
	t->tail = t->cur = NULL;
}

int qframe_parse(struct qframe_rx *r, const uint8_t *p, size_t n,
		 void (*deliver)(void *arg, const uint8_t *p, size_t n),
		 void *arg)
{
	/* A stream refused stays refused: its next bytes are no datagram's. */
	if (r->hdr_have == 2 && (r->want == 0 || r->want > QFRAME_DGRAM_MAX))
		return -EPROTO;
	while (n > 0) {
		if (r->hdr_have < 2) {
			r->hdr[r->hdr_have++] = *p++;
			n--;
			if (r->hdr_have < 2)
				continue;
			r->want = (size_t)r->hdr[0] << 8 | r->hdr[1];
			r->have = 0;
			if (r->want == 0 || r->want > QFRAME_DGRAM_MAX)
				return -EPROTO;
			continue;
		}
		if (r->have == 0 && n >= r->want) {
			/* The common case: whole in this piece, no copy. */
			size_t w = r->want;
			r->hdr_have = 0;
			deliver(arg, p, w);
			p += w;
			n -= w;
			continue;
		}
		if (!r->buf)
			r->buf = xmalloc(QFRAME_DGRAM_MAX);
		size_t take = r->want - r->have < n ? r->want - r->have : n;
		memcpy(r->buf + r->have, p, take);
		r->have += take;
		p += take;
		n -= take;
		if (r->have == r->want) {
			r->hdr_have = 0;
			r->have = 0;
			deliver(arg, r->buf, r->want);
		}
	}
	return 0;
}

int qframe_partial(const struct qframe_rx *r)
{
	return r->hdr_have != 0;
}

void qframe_rx_free(struct qframe_rx *r)
{
	free(r->buf);
	r->buf = NULL;
}

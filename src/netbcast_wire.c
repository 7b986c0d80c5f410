/* netbcast_wire.c — see netbcast.h: the packet of a broadcast across
 * hosts, and the replay window. No I/O, no crypto, no broker: a hostile
 * peer's bytes reach nb_parse first, and the fuzzer drives it alone. */
#include "netbcast.h"

#include <errno.h>
#include <string.h>

_Static_assert(NB_HEADER_SIZE == 144, "the header of docs/PROTOCOL.md");
_Static_assert(NB_PACKET_MAX <= 65507, "a packet fits one UDP datagram");
_Static_assert(NB_WINDOW == 64, "the window is one uint64_t");

/* NB_MAGIC's four bytes, without its NUL. */
static const uint8_t MAGIC[4] = { 'F', 'K', 'B', '1' };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Offsets of the fields (docs/PROTOCOL.md). */
enum {
	O_MAGIC = 0,
	O_VERSION = 4,
	O_FLAGS = 5,
	O_LEN = 6,
	O_KEY = 8,
	O_INSTANCE = O_KEY + NB_KEY_SIZE,
	O_SEQ = O_INSTANCE + NB_INSTANCE_SIZE,
	O_TIME = O_SEQ + 8,
	O_UID = O_TIME + 8,
	O_CHAN_SEQ = O_UID + 4,
	O_CHANNEL = O_CHAN_SEQ + 4,
	O_DATA = O_CHANNEL + PROTO_NAME_SIZE,
};
_Static_assert(O_DATA == NB_HEADER_SIZE, "offsets add up");

#define FAIL(s)                  \
	do {                     \
		*why = (s);      \
		return -EBADMSG; \
	} while (0)

int nb_parse(const void *buf, size_t n, struct nb_packet *p,
	     const char **why)
{
	const uint8_t *b = buf;
	if (n < NB_HEADER_SIZE + NB_SIG_SIZE)
		FAIL("shorter than a header and a signature");
	if (memcmp(b + O_MAGIC, MAGIC, sizeof(MAGIC)) != 0)
		FAIL("not a fakeOS broadcast (magic)");
	if (b[O_VERSION] != NB_VERSION)
		FAIL("unknown version");
	if (b[O_FLAGS] & ~NB_FLAG_ENCRYPTED)
		FAIL("unknown flags");
	bool enc = b[O_FLAGS] & NB_FLAG_ENCRYPTED;
	size_t len = (size_t)get(b + O_LEN, 2);
	if (len > NB_PAYLOAD_MAX + (enc ? NB_TAG_SIZE : 0))
		FAIL("payload longer than a broadcast");
	if (enc && len < NB_TAG_SIZE)
		FAIL("encrypted payload shorter than its tag");
	if (n != NB_HEADER_SIZE + len + NB_SIG_SIZE)
		FAIL("length does not match the datagram");
	/* The channel as the broker checks a program's: a name, NUL-ended
	 * and NUL-padded, so that one channel has one spelling. */
	const char *ch = (const char *)b + O_CHANNEL;
	const char *nul = memchr(ch, '\0', PROTO_NAME_SIZE);
	if (!nul)
		FAIL("channel not terminated");
	for (const char *q = nul; q < ch + PROTO_NAME_SIZE; q++)
		if (*q)
			FAIL("bytes after the channel's end");
	if (!proto_name_ok(ch))
		FAIL("bad channel name");
	p->seq = get(b + O_SEQ, 8);
	if (p->seq == 0)
		FAIL("sequence number 0");
	memset(p->channel, 0, sizeof(p->channel));
	memcpy(p->channel, ch, (size_t)(nul - ch));
	p->encrypted = enc;
	p->key = b + O_KEY;
	p->instance = b + O_INSTANCE;
	p->time_ms = get(b + O_TIME, 8);
	p->uid = (uint32_t)get(b + O_UID, 4);
	p->chan_seq = (uint32_t)get(b + O_CHAN_SEQ, 4);
	p->data = b + O_DATA;
	p->len = len;
	p->signed_part = b;
	p->signed_len = NB_HEADER_SIZE + len;
	p->sig = b + NB_HEADER_SIZE + len;
	return 0;
}

int nb_build(const struct nb_packet *p, uint8_t *out, size_t *len)
{
	size_t max = NB_PAYLOAD_MAX + (p->encrypted ? NB_TAG_SIZE : 0);
	if (p->len > max || (p->encrypted && p->len < NB_TAG_SIZE) ||
	    !proto_name_ok(p->channel) || p->seq == 0)
		return -EINVAL;
	memset(out, 0, NB_HEADER_SIZE);
	memcpy(out + O_MAGIC, MAGIC, sizeof(MAGIC));
	out[O_VERSION] = NB_VERSION;
	out[O_FLAGS] = p->encrypted ? NB_FLAG_ENCRYPTED : 0;
	put16(out + O_LEN, (uint16_t)p->len);
	memcpy(out + O_KEY, p->key, NB_KEY_SIZE);
	memcpy(out + O_INSTANCE, p->instance, NB_INSTANCE_SIZE);
	put64(out + O_SEQ, p->seq);
	put64(out + O_TIME, p->time_ms);
	put32(out + O_UID, p->uid);
	put32(out + O_CHAN_SEQ, p->chan_seq);
	memcpy(out + O_CHANNEL, p->channel, strlen(p->channel));
	if (p->data && p->len)
		memcpy(out + O_DATA, p->data, p->len);
	else if (p->len)
		memset(out + O_DATA, 0, p->len);
	*len = NB_HEADER_SIZE + p->len;
	return 0;
}

/* ---- replay ------------------------------------------------------------- */

static int slot_of(const struct nb_replay *r, const uint8_t *id)
{
	for (int i = 0; i < NB_INSTANCES; i++)
		if (r->in[i].used &&
		    memcmp(r->in[i].id, id, NB_INSTANCE_SIZE) == 0)
			return i;
	return -1;
}

/* A slot a new instance may take: an unused one, else one not heard
 * from in twice the skew, whose every packet is stale by now, so that
 * forgetting its window lets no replay in. */
static int free_slot(const struct nb_replay *r, uint64_t now_ms)
{
	int best = -1;
	for (int i = 0; i < NB_INSTANCES; i++) {
		const struct nb_instance *s = &r->in[i];
		if (!s->used)
			return i;
		if (s->last_ms + 2 * NB_SKEW_MS < now_ms &&
		    (best < 0 || s->last_ms < r->in[best].last_ms))
			best = i;
	}
	return best;
}

enum nb_verdict nb_replay_check(const struct nb_replay *r,
				const struct nb_packet *p, uint64_t now_ms,
				uint64_t start_ms)
{
	/* Packets stamped before this daemon started are refused: a
	 * restarted receiver keeps no windows, and nobody subscribed
	 * here could have been waiting for them. */
	if (p->time_ms < start_ms || p->time_ms + NB_SKEW_MS < now_ms)
		return NB_STALE;
	if (p->time_ms > now_ms + NB_SKEW_MS)
		return NB_FUTURE;
	int i = slot_of(r, p->instance);
	if (i < 0)
		return free_slot(r, now_ms) < 0 ? NB_BUSY : NB_FRESH;
	const struct nb_instance *s = &r->in[i];
	if (p->seq > s->top)
		return NB_FRESH;
	uint64_t back = s->top - p->seq;
	if (back >= NB_WINDOW || (s->bits >> back) & 1)
		return NB_REPLAYED;
	return NB_FRESH;
}

unsigned nb_replay_accept(struct nb_replay *r, const struct nb_packet *p,
			  uint64_t now_ms, bool *fresh_instance)
{
	int i = slot_of(r, p->instance);
	*fresh_instance = i < 0;
	if (i < 0) {
		/* nb_replay_check found a slot; the same one now. */
		i = free_slot(r, now_ms);
		if (i < 0)
			i = 0;
		r->in[i] = (struct nb_instance){ .used = true };
		memcpy(r->in[i].id, p->instance, NB_INSTANCE_SIZE);
	}
	struct nb_instance *s = &r->in[i];
	if (p->seq > s->top) {
		uint64_t shift = p->seq - s->top;
		s->bits = shift >= NB_WINDOW ? 0 : s->bits << shift;
		s->bits |= 1;
		s->top = p->seq;
	} else {
		s->bits |= 1ULL << (s->top - p->seq);
	}
	if (p->time_ms > s->last_ms)
		s->last_ms = p->time_ms;
	return (unsigned)i;
}

const char *nb_verdict_name(enum nb_verdict v)
{
	switch (v) {
	case NB_FRESH:
		return "fresh";
	case NB_STALE:
		return "stale (sent over 30 s ago, or before this daemon "
		       "started)";
	case NB_FUTURE:
		return "stamped over 30 s ahead of this host's clock";
	case NB_REPLAYED:
		return "replayed (its sequence number was seen)";
	case NB_BUSY:
		return "a new run of a sender with every slot in recent use";
	}
	return "?";
}

/* fuzz_netbcast.c — nb_parse (src/netbcast_wire.c), which reads every
 * datagram that reaches fakeosd's broadcast socket from anyone on the LAN,
 * before the sender's key or signature is known.
 *
 * Each input is one datagram. Besides "no crash, no read past size", an
 * accepted packet must have one encoding: built again from what was
 * parsed, it is the same bytes (so a signature covers exactly what the
 * receiver acts on), and its fields lie inside the datagram. Then the
 * replay window takes it once and refuses it the second time. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "netbcast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nb_packet p;
	const char *why = NULL;
	int r = nb_parse(data, size, &p, &why);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG && why && *why, "refusal %d", r);
		return 0;
	}
	FUZZ_ASSERT(size == NB_HEADER_SIZE + p.len + NB_SIG_SIZE,
		    "size %zu, payload %zu", size, p.len);
	FUZZ_ASSERT(p.encrypted ? p.len >= NB_TAG_SIZE &&
					  p.len <= NB_PAYLOAD_MAX + NB_TAG_SIZE
				: p.len <= NB_PAYLOAD_MAX,
		    "payload %zu", p.len);
	FUZZ_ASSERT(p.signed_part == data &&
			    p.signed_len == NB_HEADER_SIZE + p.len &&
			    p.sig == data + p.signed_len,
		    "signed part");
	FUZZ_ASSERT(proto_name_ok(p.channel), "channel");
	static uint8_t again[NB_PACKET_MAX];
	size_t n;
	FUZZ_ASSERT(nb_build(&p, again, &n) == 0, "nb_build refused it");
	FUZZ_ASSERT(n == p.signed_len && memcmp(again, data, n) == 0,
		    "a second encoding of one packet");
	struct nb_replay rp = { 0 };
	uint64_t now = p.time_ms > UINT64_MAX - NB_SKEW_MS ? p.time_ms
							    : p.time_ms + 1;
	bool fresh;
	if (nb_replay_check(&rp, &p, now, 0) == NB_FRESH) {
		(void)nb_replay_accept(&rp, &p, now, &fresh);
		FUZZ_ASSERT(fresh, "a first packet opened no instance");
		FUZZ_ASSERT(nb_replay_check(&rp, &p, now, 0) == NB_REPLAYED,
			    "taken twice");
	}
	return 0;
}

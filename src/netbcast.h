/* netbcast.h — broadcast across hosts: fakeosd carries a program's
 * broadcast on a channel the operator made network-wide (fakeosd.conf's
 * `broadcast`) to the other hosts of the LAN in one UDP datagram to a
 * multicast group or broadcast address (`broadcast-to`), signed with this
 * host's key; it hands a datagram from a pinned host, fresh and not seen
 * before, to this host's subscribers through the broker's own fan-out.
 * Best effort, as a local broadcast is. netbcast_wire.c owns the packet
 * format and the replay window (pure, what the unit tests and the fuzzer
 * drive); netbcast.c the socket, the keys and the daemon's side.
 * docs/PROTOCOL.md ("Broadcast across hosts") is the wire, SECURITY.md
 * the threat model. */
#ifndef FAKEOS_NETBCAST_H
#define FAKEOS_NETBCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "util.h"

/* --- the packet (netbcast_wire.c) --------------------------------------- */

#define NB_MAGIC "FKB1"
#define NB_VERSION 1
#define NB_KEY_SIZE 32 /* a raw Ed25519 public key */
#define NB_SIG_SIZE 64 /* an Ed25519 signature */
#define NB_INSTANCE_SIZE 16
#define NB_TAG_SIZE 16 /* AES-256-GCM's, after an encrypted payload */
#define NB_FLAG_ENCRYPTED 1 /* the payload is AES-256-GCM ciphertext */
/* magic 4, version 1, flags 1, length 2, key 32, instance 16, seq 8,
 * time 8, uid 4, channel seq 4, channel 64 */
#define NB_HEADER_SIZE (4 + 1 + 1 + 2 + NB_KEY_SIZE + NB_INSTANCE_SIZE + 8 + \
			8 + 4 + 4 + PROTO_NAME_SIZE)
#define NB_PAYLOAD_MAX PROTO_BROADCAST_MAX /* a broadcast's bytes */
#define NB_PACKET_MAX (NB_HEADER_SIZE + NB_PAYLOAD_MAX + NB_TAG_SIZE + \
		       NB_SIG_SIZE)

/* A packet, as parsed: pointers into the datagram. */
struct nb_packet {
	const uint8_t *key; /* NB_KEY_SIZE: who claims to have sent it */
	const uint8_t *instance; /* NB_INSTANCE_SIZE: the sender's run */
	uint64_t seq; /* per instance, from 1 */
	uint64_t time_ms; /* the sender's clock, ms since the epoch */
	uint32_t uid; /* the sending program's account */
	uint32_t chan_seq; /* per instance and (uid, channel), from 1 */
	char channel[PROTO_NAME_SIZE]; /* NUL-terminated, checked */
	bool encrypted; /* data is the ciphertext and its tag */
	const uint8_t *data; /* the payload field as on the wire */
	size_t len; /* its bytes: the broadcast's, and NB_TAG_SIZE when
		       encrypted */
	const uint8_t *signed_part; /* what the signature covers */
	size_t signed_len;
	const uint8_t *sig; /* NB_SIG_SIZE */
};

/* Checks a datagram of n bytes from the network, which may be anything:
 * 0 and *p filled, or -EBADMSG with *why saying what is wrong. Says
 * nothing of who sent it: the signature is checked by the caller. */
int nb_parse(const void *buf, size_t n, struct nb_packet *p,
	     const char **why);
/* Writes the header and payload of a packet into out (NB_PACKET_MAX
 * bytes) and returns the bytes to sign; the signature goes right after
 * them. p's signed_part, signed_len and sig are not read; data NULL
 * leaves the payload's len bytes for the caller to fill (the ciphertext,
 * whose associated data is the header). -EINVAL for a bad channel or a
 * payload longer than nb_parse takes. */
int nb_build(const struct nb_packet *p, uint8_t *out, size_t *len);

/* Replay: each sender has a few instances (its runs) it was heard from
 * lately, each with the highest sequence number seen and a window of the
 * NB_WINDOW below it. A packet is fresh when its time is within NB_SKEW_MS
 * of this host's clock, not before this daemon started, and its sequence
 * number was not seen in its instance. */
#define NB_INSTANCES 4
#define NB_WINDOW 64
#define NB_SKEW_MS 30000ULL

struct nb_instance {
	uint8_t id[NB_INSTANCE_SIZE];
	bool used;
	uint64_t top; /* highest sequence accepted */
	uint64_t bits; /* bit i: top - i accepted */
	uint64_t last_ms; /* time of the newest packet accepted */
};

struct nb_replay {
	struct nb_instance in[NB_INSTANCES];
};

enum nb_verdict {
	NB_FRESH = 0,
	NB_STALE, /* its time is too old, or before this daemon started */
	NB_FUTURE, /* its time is too far ahead */
	NB_REPLAYED, /* seen already, or below its instance's window */
	NB_BUSY, /* a new instance, and every slot is in recent use */
};

/* Whether p would be accepted now (now_ms, start_ms: this host's clock
 * and when this daemon started); changes nothing. Cheap: call it before
 * checking the signature, and nb_replay_accept after. */
enum nb_verdict nb_replay_check(const struct nb_replay *r,
				const struct nb_packet *p, uint64_t now_ms,
				uint64_t start_ms);
/* Records p as seen; p must have been checked just before. Returns its
 * instance's slot (0..NB_INSTANCES-1) and sets *fresh_instance when the
 * slot was given to p's instance now (its earlier use is forgotten). */
unsigned nb_replay_accept(struct nb_replay *r, const struct nb_packet *p,
			  uint64_t now_ms, bool *fresh_instance);
const char *nb_verdict_name(enum nb_verdict v);

/* --- fakeosd's side (netbcast.c) ----------------------------------------- */

struct broker;
struct netbcast;

struct netbcast_opts {
	const char *to; /* ADDRESS:PORT: a multicast group or a broadcast
			   address; bound on this port */
	const char *key_path; /* this host's key (made by remote.c) */
	const char *hosts_path; /* the pinned hosts */
	const char *secret_path; /* the LAN's shared broadcast secret, which
				    encrypts payloads; NULL: they go in clear,
				    signed only */
	/* Whether channel is network-wide, by the newest settings. */
	bool (*network_wide)(void *arg, const char *channel);
	void *arg;
	unsigned delivery_rate, delivery_burst; /* what one sending host's
						   broadcasts may cost here,
						   as a program's may */
};

/* Opens the socket, loads the key and the hosts, and hooks into the
 * broker's broadcasts. */
int netbcast_open(struct broker *b, const struct netbcast_opts *o,
		  struct netbcast **out, struct error *e);
void netbcast_close(struct netbcast *n);

#endif

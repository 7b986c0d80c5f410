/* netbcast.c — see netbcast.h: fakeosd's side of broadcast across hosts.
 *
 * Trust: every datagram on the socket may come from anyone on the LAN. It
 * is parsed (nb_parse), its key must be pinned in the hosts file, its
 * time fresh and its sequence number unseen (nb_replay_check, cheap, so a
 * flood of replays costs no signature check), and only then is its
 * Ed25519 signature checked. Each refusal is logged, at most RLOG_BURST
 * lines of a kind per RLOG_WINDOW_MS, the rest counted, so a flood does
 * not flood the journal. An accepted broadcast goes to this host's
 * subscribers through the broker's own fan-out (broadcast_fanout), which
 * never calls net_send: nothing received is sent on (no loops). GnuTLS
 * only; no ngtcp2 here. */
#include "netbcast.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "broker.h"
#include "broker_int.h"
#include "hash.h"
#include "hostkey.h"
#include "hosts.h"
#include "log.h"

#define RLOG_BURST 5
#define RLOG_WINDOW_MS 10000ULL
#define SEND_CHANNELS 64 /* (uid, channel) counters kept by a sender */
#define PEER_CHANNELS 16 /* (uid, channel) counters per peer instance */
#define READS_PER_WAKE 64 /* datagrams read before the loop runs on */
#define RCVBUF (4 << 20) /* a burst of 1000 full broadcasts waits here */

/* The DER SubjectPublicKeyInfo of an Ed25519 key is this and the key:
 * the hosts file pins its SHA-256 (hostkey.h), so a packet carries the
 * raw key and the receiver hashes this to look it up. */
static const uint8_t ED25519_SPKI[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
					  0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

enum rlog_kind { RL_MALFORMED, RL_UNKNOWN, RL_REFUSED, RL_BADSIG, RL_SEND,
		 RL_KINDS };

struct rlog {
	uint64_t since_ms;
	unsigned n, suppressed;
};

/* The losses a (uid, channel) had: its last channel sequence number. */
struct chan_seen {
	uint32_t uid, last;
	char channel[PROTO_NAME_SIZE];
};

struct peer {
	gnutls_pubkey_t pub; /* imported at its first packet */
	struct nb_replay replay;
	struct chan_seen chans[NB_INSTANCES][PEER_CHANNELS];
	unsigned next_chan[NB_INSTANCES];
	struct bucket deliveries; /* its broadcasts' cost here */
	bool bucket_set;
};

struct netbcast {
	struct broker *b;
	struct netbcast_opts o;
	int fd;
	struct broker_watch *w;
	struct sockaddr_in to;
	struct hosts hosts;
	struct peer *peers; /* hosts.n, by index in hosts.v */
	struct hostkey hk;
	gnutls_privkey_t pk;
	uint8_t pub[NB_KEY_SIZE];
	uint8_t instance[NB_INSTANCE_SIZE];
	gnutls_datum_t secret; /* broadcast-secret's bytes; size 0: none */
	gnutls_aead_cipher_hd_t seal; /* this run's payload key */
	uint64_t seq;
	uint64_t start_ms;
	struct chan_seen sent[SEND_CHANNELS];
	unsigned next_sent;
	struct rlog rl[RL_KINDS];
	uint8_t buf[NB_PACKET_MAX + 1];
	uint8_t plain[NB_PAYLOAD_MAX];
};

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A refusal, logged unless RLOG_BURST of its kind were in this window;
 * the count of those left out comes with the first line after it. */
static void rlog(struct netbcast *nb, enum rlog_kind k, const char *fmt, ...)
	PRINTF(3, 4);
static void rlog(struct netbcast *nb, enum rlog_kind k, const char *fmt, ...)
{
	struct rlog *l = &nb->rl[k];
	uint64_t now = now_ns() / 1000000;
	if (now - l->since_ms >= RLOG_WINDOW_MS) {
		if (l->suppressed)
			log_warn("broadcast across hosts: %u more refusals "
				 "of the kind below were not logged in %llu s",
				 l->suppressed,
				 (unsigned long long)RLOG_WINDOW_MS / 1000);
		l->since_ms = now;
		l->n = l->suppressed = 0;
	}
	if (l->n >= RLOG_BURST) {
		l->suppressed++;
		return;
	}
	l->n++;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("broadcast across hosts: %s", msg);
}

static void key_fingerprint(const uint8_t key[NB_KEY_SIZE],
			    uint8_t fp[HOST_KEY_SIZE])
{
	uint8_t der[sizeof(ED25519_SPKI) + NB_KEY_SIZE];
	memcpy(der, ED25519_SPKI, sizeof(ED25519_SPKI));
	memcpy(der + sizeof(ED25519_SPKI), key, NB_KEY_SIZE);
	hash_buf(der, sizeof(der), fp);
}

/* The counter of (uid, channel) in a table of n, made (over the oldest
 * made) when missing: *made says so. */
static struct chan_seen *chan_find(struct chan_seen *t, unsigned n,
				   unsigned *next, uint32_t uid,
				   const char *channel, bool *made)
{
	for (unsigned i = 0; i < n; i++)
		if (t[i].channel[0] && t[i].uid == uid &&
		    strcmp(t[i].channel, channel) == 0) {
			*made = false;
			return &t[i];
		}
	struct chan_seen *c = &t[*next % n];
	*next = (*next + 1) % n;
	memset(c, 0, sizeof(*c));
	c->uid = uid;
	snprintf(c->channel, sizeof(c->channel), "%s", channel);
	*made = true;
	return c;
}

/* --- payload encryption ---------------------------------------------------- */

/* The payload key of one run of one sender: HKDF-SHA256 of the LAN's
 * secret, for that key and instance. Each run's key is its own, and its
 * sequence numbers never repeat, so a (key, nonce) pair is never used
 * twice, whatever the other hosts send. */
static int payload_key(const gnutls_datum_t *secret,
		       const uint8_t key[NB_KEY_SIZE],
		       const uint8_t instance[NB_INSTANCE_SIZE],
		       gnutls_aead_cipher_hd_t *out)
{
	static const char salt[] = "fakeos broadcast across hosts v1";
	uint8_t prk[32], k[32], info[NB_KEY_SIZE + NB_INSTANCE_SIZE];
	memcpy(info, key, NB_KEY_SIZE);
	memcpy(info + NB_KEY_SIZE, instance, NB_INSTANCE_SIZE);
	*out = NULL;
	gnutls_datum_t s = { (unsigned char *)salt, sizeof(salt) - 1 },
		       p = { prk, sizeof(prk) }, i = { info, sizeof(info) },
		       kd = { k, sizeof(k) };
	int g = gnutls_hkdf_extract(GNUTLS_MAC_SHA256, secret, &s, prk);
	if (g == 0)
		g = gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &p, &i, k, sizeof(k));
	if (g == 0)
		g = gnutls_aead_cipher_init(out, GNUTLS_CIPHER_AES_256_GCM, &kd);
	gnutls_memset(prk, 0, sizeof(prk));
	gnutls_memset(k, 0, sizeof(k));
	return g < 0 ? -EINVAL : 0;
}

/* The GCM nonce: the packet's sequence number, unique in its run. */
static void nonce_of(uint64_t seq, uint8_t nonce[12])
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* --- sending -------------------------------------------------------------- */

static bool net_wide(void *arg, const char *channel)
{
	struct netbcast *nb = arg;
	return nb->o.network_wide(nb->o.arg, channel);
}

/* A program's broadcast on a network-wide channel: one signed datagram.
 * Its channel's sequence number advances even when it is not sent (its
 * sender's quota dropped it, or the socket was full), so that the other
 * hosts' subscribers count it as lost. */
static void net_send(void *arg, uint64_t scope,
		     const struct proto_broadcast *m, bool paid)
{
	struct netbcast *nb = arg;
	bool made;
	struct chan_seen *c = chan_find(nb->sent, SEND_CHANNELS,
					&nb->next_sent, (uint32_t)scope,
					m->channel, &made);
	c->last++;
	if (!paid)
		return;
	size_t plen = m->hdr.len - sizeof(*m);
	bool enc = nb->secret.size > 0;
	struct nb_packet p = {
		.key = nb->pub, .instance = nb->instance, .seq = ++nb->seq,
		.time_ms = wall_ms(), .uid = (uint32_t)scope,
		.chan_seq = c->last, .encrypted = enc,
		.data = enc ? NULL : m->data,
		.len = plen + (enc ? NB_TAG_SIZE : 0),
	};
	memcpy(p.channel, m->channel, sizeof(p.channel));
	size_t len;
	if (nb_build(&p, nb->buf, &len) < 0)
		return; /* proto_check let no such broadcast in */
	if (enc) {
		/* Encrypt, then sign: a receiver checks who sent it before
		 * it decrypts anything. The header is the associated data. */
		uint8_t nonce[12];
		size_t clen = plen + NB_TAG_SIZE;
		nonce_of(p.seq, nonce);
		if (gnutls_aead_cipher_encrypt(nb->seal, nonce, sizeof(nonce),
					       nb->buf, NB_HEADER_SIZE,
					       NB_TAG_SIZE, m->data, plen,
					       nb->buf + NB_HEADER_SIZE,
					       &clen) < 0 ||
		    clen != plen + NB_TAG_SIZE) {
			rlog(nb, RL_SEND, "encrypting on %s: failed (lost)",
			     m->channel);
			return;
		}
	}
	gnutls_datum_t data = { nb->buf, (unsigned)len }, sig = { NULL, 0 };
	int g = gnutls_privkey_sign_data2(nb->pk, GNUTLS_SIGN_EDDSA_ED25519,
					  0, &data, &sig);
	if (g < 0 || sig.size != NB_SIG_SIZE) {
		rlog(nb, RL_SEND, "signing: %s", gnutls_strerror(g));
		gnutls_free(sig.data);
		return;
	}
	memcpy(nb->buf + len, sig.data, NB_SIG_SIZE);
	gnutls_free(sig.data);
	ssize_t n = sendto(nb->fd, nb->buf, len + NB_SIG_SIZE, MSG_DONTWAIT,
			   (struct sockaddr *)&nb->to, sizeof(nb->to));
	if (n < 0)
		rlog(nb, RL_SEND, "sending on %s: %s (lost)", m->channel,
		     strerror(errno));
}

/* --- receiving ------------------------------------------------------------ */

static bool signature_ok(struct peer *pr, const struct nb_packet *p)
{
	if (!pr->pub) {
		gnutls_datum_t x = { (unsigned char *)p->key, NB_KEY_SIZE };
		if (gnutls_pubkey_init(&pr->pub) < 0)
			return false;
		if (gnutls_pubkey_import_ecc_raw(pr->pub,
						 GNUTLS_ECC_CURVE_ED25519, &x,
						 NULL) < 0) {
			gnutls_pubkey_deinit(pr->pub);
			pr->pub = NULL;
			return false;
		}
	}
	gnutls_datum_t data = { (unsigned char *)p->signed_part,
				(unsigned)p->signed_len };
	gnutls_datum_t sig = { (unsigned char *)p->sig, NB_SIG_SIZE };
	return gnutls_pubkey_verify_data2(pr->pub, GNUTLS_SIGN_EDDSA_ED25519,
					  0, &data, &sig) >= 0;
}

/* Hands an accepted broadcast to this host's subscribers of its channel
 * in its account, as a local one is handed, charged to the sending
 * host's bucket. lost: what the network lost of its channel before it. */
static void deliver(struct netbcast *nb, struct peer *pr,
		    const struct nb_packet *p, const uint8_t *data, size_t dlen,
		    uint32_t lost)
{
	struct broker *b = nb->b;
	unsigned n;
	(void)registry_subscribers(&b->reg, p->uid, p->channel, &n);
	if (!n)
		return;
	if (!pr->bucket_set) {
		pr->deliveries = (struct bucket){ nb->o.delivery_burst,
						  now_ns() };
		pr->bucket_set = true;
	}
	bool paid = bucket_take(&pr->deliveries, nb->o.delivery_rate,
				nb->o.delivery_burst, n);
	size_t len = sizeof(struct proto_broadcast) + dlen;
	struct proto_broadcast *m = xcalloc(1, len);
	m->hdr.version = PROTO_VERSION;
	m->hdr.type = PROTO_BROADCAST;
	m->hdr.len = (uint32_t)len;
	memcpy(m->channel, p->channel, sizeof(m->channel));
	memcpy(m->data, data, dlen);
	(void)broadcast_fanout(b, p->uid, m, paid, lost);
	free(m);
}

static void on_packet(struct netbcast *nb, size_t n,
		      const struct sockaddr_in *from)
{
	char addr[64];
	hosts_format_addr((const struct sockaddr *)from, addr, sizeof(addr));
	struct nb_packet p;
	const char *why;
	if (nb_parse(nb->buf, n, &p, &why) < 0) {
		rlog(nb, RL_MALFORMED, "from %s: malformed: %s: refused", addr,
		     why);
		return;
	}
	if (memcmp(p.key, nb->pub, NB_KEY_SIZE) == 0)
		return; /* our own, looped back by a broadcast address */
	uint8_t fp[HOST_KEY_SIZE];
	key_fingerprint(p.key, fp);
	const struct host *h = hosts_by_key(&nb->hosts, fp);
	if (!h) {
		char key[HOST_KEY_TEXT_SIZE];
		hosts_format_key(fp, key);
		rlog(nb, RL_UNKNOWN, "from %s: key %s is not in the hosts "
				     "file: refused",
		     addr, key);
		return;
	}
	struct peer *pr = &nb->peers[h - nb->hosts.v];
	uint64_t now = wall_ms();
	enum nb_verdict v = nb_replay_check(&pr->replay, &p, now,
					    nb->start_ms);
	if (v != NB_FRESH) {
		rlog(nb, RL_REFUSED, "from host %s (%s): sequence %llu on %s: "
				     "%s: refused",
		     h->name, addr, (unsigned long long)p.seq, p.channel,
		     nb_verdict_name(v));
		return;
	}
	if (!signature_ok(pr, &p)) {
		rlog(nb, RL_BADSIG, "from %s: host %s's key with a bad "
				    "signature: refused",
		     addr, h->name);
		return;
	}
	/* Signed by a pinned host: now, and only now, its payload. */
	const uint8_t *data = p.data;
	size_t dlen = p.len;
	if (p.encrypted != (nb->secret.size > 0)) {
		rlog(nb, RL_BADSIG, "from host %s (%s): %s: refused", h->name,
		     addr,
		     p.encrypted ? "encrypted, and this host has no "
				   "broadcast-secret"
				 : "sent in clear, and this host has a "
				   "broadcast-secret");
		return;
	}
	if (p.encrypted) {
		gnutls_aead_cipher_hd_t open_ = NULL;
		uint8_t nonce[12];
		size_t plen = p.len - NB_TAG_SIZE;
		nonce_of(p.seq, nonce);
		int ok = payload_key(&nb->secret, p.key, p.instance, &open_) ==
			 0;
		if (ok) {
			ok = gnutls_aead_cipher_decrypt(
				     open_, nonce, sizeof(nonce), p.signed_part,
				     NB_HEADER_SIZE, NB_TAG_SIZE, p.data, p.len,
				     nb->plain, &plen) == 0 &&
			     plen == p.len - NB_TAG_SIZE;
			gnutls_aead_cipher_deinit(open_);
		}
		if (!ok) {
			rlog(nb, RL_BADSIG, "from host %s (%s): cannot decrypt "
					    "(another broadcast-secret?): "
					    "refused",
			     h->name, addr);
			return;
		}
		data = nb->plain;
		dlen = plen;
	}
	bool fresh_instance, made;
	unsigned slot = nb_replay_accept(&pr->replay, &p, now,
					 &fresh_instance);
	if (fresh_instance) {
		memset(pr->chans[slot], 0, sizeof(pr->chans[slot]));
		log_info("broadcast across hosts: host %s (%s) heard from "
			 "(a new run of it)",
			 h->name, addr);
	}
	struct chan_seen *c = chan_find(pr->chans[slot], PEER_CHANNELS,
					&pr->next_chan[slot], p.uid, p.channel,
					&made);
	/* Broadcasts of this channel the sender numbered and this host
	 * never got: lost on the wire, or dropped by the sender. The first
	 * heard of a channel says nothing of what came before it. */
	uint32_t lost = !made && p.chan_seq > c->last ? p.chan_seq - c->last - 1
						      : 0;
	/* A number a little behind is a packet the network reordered (it
	 * was counted lost when the later one came, and is delivered
	 * anyway); one far behind, a sender that forgot the channel's count
	 * (SEND_CHANNELS): counting starts again from it. */
	if (made || p.chan_seq > c->last || c->last - p.chan_seq > NB_WINDOW)
		c->last = p.chan_seq;
	if (!nb->o.network_wide(nb->o.arg, p.channel)) {
		log_debug("broadcast across hosts: from host %s on %s: not a "
			  "network-wide channel here: ignored",
			  h->name, p.channel);
		return;
	}
	deliver(nb, pr, &p, data, dlen, lost);
}

static void on_readable(void *arg, uint32_t events)
{
	struct netbcast *nb = arg;
	(void)events;
	for (int i = 0; i < READS_PER_WAKE; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(nb->fd, nb->buf, sizeof(nb->buf),
				     MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return; /* EAGAIN: read out; anything else, next time */
		if ((size_t)n > NB_PACKET_MAX) {
			char addr[64];
			hosts_format_addr((struct sockaddr *)&from, addr,
					  sizeof(addr));
			rlog(nb, RL_MALFORMED, "from %s: a datagram of %zd "
					       "bytes: refused",
			     addr, n);
			continue;
		}
		on_packet(nb, (size_t)n, &from);
	}
}

/* --- opening ---------------------------------------------------------------- */

static int open_socket(struct netbcast *nb, struct error *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (hosts_parse_addr(nb->o.to, &ss, &len) < 0 ||
	    ss.ss_family != AF_INET)
		return error_set(e, EINVAL, "broadcast-to: %s is not an IPv4 "
					    "ADDRESS:PORT",
				 nb->o.to);
	memcpy(&nb->to, &ss, sizeof(nb->to));
	nb->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (nb->fd < 0)
		return error_sys(e, errno, "broadcast-to: socket");
	int one = 1, ttl = 1, zero = 0, rcv = RCVBUF;
	bool multicast = IN_MULTICAST(ntohl(nb->to.sin_addr.s_addr));
	/* Another listener on the port (a second daemon's socket in a test,
	 * a capture) does not keep this one from binding. */
	if (setsockopt(nb->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return error_sys(e, errno, "broadcast-to: SO_REUSEADDR");
	if (setsockopt(nb->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		       sizeof(rcv)) < 0)
		(void)setsockopt(nb->fd, SOL_SOCKET, SO_RCVBUF, &rcv,
				 sizeof(rcv));
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = nb->to.sin_port,
				   .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (bind(nb->fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		return error_sys(e, errno, "broadcast-to: bind port %u",
				 (unsigned)ntohs(nb->to.sin_port));
	if (multicast) {
		/* On the LAN only (TTL 1), and not back to this host: what
		 * this host sends it has delivered itself. */
		struct ip_mreq mr = { .imr_multiaddr = nb->to.sin_addr,
				      .imr_interface.s_addr =
					      htonl(INADDR_ANY) };
		if (setsockopt(nb->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) < 0 ||
		    setsockopt(nb->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
			       sizeof(ttl)) < 0 ||
		    setsockopt(nb->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
			       sizeof(zero)) < 0)
			return error_sys(e, errno, "broadcast-to: joining %s",
					 nb->o.to);
	} else if (setsockopt(nb->fd, SOL_SOCKET, SO_BROADCAST, &one,
			      sizeof(one)) < 0) {
		return error_sys(e, errno, "broadcast-to: SO_BROADCAST");
	}
	return 0;
}

static int open_key(struct netbcast *nb, struct error *e)
{
	int r = hostkey_open(&nb->hk, nb->o.key_path, NULL, e);
	if (r < 0)
		return r;
	/* The instance nonce is the QUIC certificate's kind: fresh at each
	 * start. */
	memcpy(nb->instance, nb->hk.instance, NB_INSTANCE_SIZE);
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t x = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	int g = gnutls_privkey_init(&nb->pk);
	if (g == 0)
		g = gnutls_privkey_import_x509(nb->pk, nb->hk.key, 0);
	if (g == 0)
		g = gnutls_pubkey_init(&pub);
	if (g == 0)
		g = gnutls_pubkey_import_privkey(pub, nb->pk, 0, 0);
	if (g == 0)
		g = gnutls_pubkey_export_ecc_raw(pub, &curve, &x, NULL);
	if (g == 0 && (curve != GNUTLS_ECC_CURVE_ED25519 ||
		       x.size != NB_KEY_SIZE))
		g = GNUTLS_E_UNKNOWN_PK_ALGORITHM;
	if (g == 0)
		memcpy(nb->pub, x.data, NB_KEY_SIZE);
	gnutls_free(x.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (g < 0)
		return error_set(e, EINVAL, "%s: not an Ed25519 host key: %s",
				 nb->o.key_path, gnutls_strerror(g));
	return 0;
}

/* The LAN's broadcast secret: at least 32 bytes (of randomness, which
 * fakeosd.conf(5) says how to make), in a file only root may read. */
static int open_secret(struct netbcast *nb, struct error *e)
{
	int r = hostkey_read_private(nb->o.secret_path, &nb->secret, e);
	if (r < 0)
		return r;
	if (nb->secret.size < 32)
		return error_set(e, EINVAL, "broadcast-secret: %s: %u bytes, "
					    "fewer than 32",
				 nb->o.secret_path, nb->secret.size);
	if (payload_key(&nb->secret, nb->pub, nb->instance, &nb->seal) < 0)
		return error_set(e, EINVAL, "broadcast-secret: %s: no "
					    "AES-256-GCM key from it",
				 nb->o.secret_path);
	return 0;
}

int netbcast_open(struct broker *b, const struct netbcast_opts *o,
		  struct netbcast **out, struct error *e)
{
	struct netbcast *nb = xcalloc(1, sizeof(*nb));
	nb->b = b;
	nb->o = *o;
	nb->fd = -1;
	nb->start_ms = wall_ms();
	int r = open_key(nb, e);
	if (r == 0)
		r = hosts_load(o->hosts_path, &nb->hosts, e);
	if (r == 0 && o->secret_path)
		r = open_secret(nb, e);
	if (r == 0)
		r = open_socket(nb, e);
	if (r == 0)
		nb->peers = xcalloc(nb->hosts.n + 1, sizeof(*nb->peers));
	if (r == 0 && (r = broker_watch(b, nb->fd, EPOLLIN, on_readable, nb,
					&nb->w)) < 0)
		error_sys(e, -r, "epoll");
	if (r < 0) {
		netbcast_close(nb);
		return r;
	}
	b->net_wide = net_wide;
	b->net_send = net_send;
	b->net_arg = nb;
	uint8_t fp[HOST_KEY_SIZE];
	char key[HOST_KEY_TEXT_SIZE];
	key_fingerprint(nb->pub, fp);
	hosts_format_key(fp, key);
	if (nb->secret.size)
		log_info("broadcast across hosts on %s, signed with %s, "
			 "payloads encrypted with %s's secret",
			 o->to, key, o->secret_path);
	else
		log_warn("broadcast across hosts on %s, signed with %s: "
			 "payloads in clear, with no broadcast-secret",
			 o->to, key);
	*out = nb;
	return 0;
}

void netbcast_close(struct netbcast *nb)
{
	if (!nb)
		return;
	if (nb->b->net_arg == nb) {
		nb->b->net_wide = NULL;
		nb->b->net_send = NULL;
		nb->b->net_arg = NULL;
	}
	if (nb->w)
		broker_unwatch(nb->b, nb->fd, nb->w);
	if (nb->fd >= 0)
		close(nb->fd);
	for (size_t i = 0; nb->peers && i < nb->hosts.n; i++)
		if (nb->peers[i].pub)
			gnutls_pubkey_deinit(nb->peers[i].pub);
	free(nb->peers);
	if (nb->pk)
		gnutls_privkey_deinit(nb->pk);
	if (nb->seal)
		gnutls_aead_cipher_deinit(nb->seal);
	if (nb->secret.data) {
		gnutls_memset(nb->secret.data, 0, nb->secret.size);
		free(nb->secret.data);
	}
	hostkey_close(&nb->hk);
	hosts_free(&nb->hosts);
	free(nb);
}

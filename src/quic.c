/* quic.c — host-to-host links over QUIC: the one file that includes ngtcp2
 * (0.12, before its 1.0 API); the host key and certificate are hostkey.c's
 * (GnuTLS), the stream's framing qframe.c's. See quic.h for the contract and
 * docs/PROTOCOL.md, "Host to host (draft)", for the wire.
 *
 * Shape: ngtcp2 calls back into this file while it reads a packet or a
 * timer fires; those callbacks only record (a datagram is the exception:
 * it is handed to the caller at once, and the caller's calls from there
 * only queue). Everything else — the caller's on_conn, closes, freeing,
 * writing packets — happens in settle(), after ngtcp2 has returned, so
 * that nothing is freed under ngtcp2's feet. */
#include "quic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "hostkey.h"
#include "log.h"
#include "qframe.h"
#include "quic_guard.h"
#include "udpbatch.h"

_Static_assert(QUIC_DGRAM_MAX == QFRAME_DGRAM_MAX, "one datagram size");

#define CID_LEN 18
#define CIDS_MAX 16 /* ngtcp2 issues at most 8 at once */
#define PKT_MAX 1500
#define READ_BATCH 256 /* packets per quic_on_readable */
#define WRITE_BATCH 256 /* packets per connection per settle */
#define CONNS_MAX 256
#define STREAMS_MAX 1024 /* links a peer may have open on one connection */
#define STREAM_WINDOW (256 * 1024)
#define CONN_WINDOW (4 * 1024 * 1024)
/* Application error codes (RESET_STREAM, CONNECTION_CLOSE). */
#define APP_SHUTDOWN 0 /* the host closes the connection */
#define APP_PROTO 1 /* a link's framing was broken */
#define APP_CLOSED 2 /* the link was closed after the peer's own close */

/* Only what the handshake may use: TLS 1.3, the AEADs ngtcp2's GnuTLS
 * backend implements, no middlebox compatibility mode (RFC 9001 8.4). */
#define PRIORITY                                                          \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"         \
	"+AES-256-GCM:+CHACHA20-POLY1305:%DISABLE_TLS13_COMPAT_MODE"

struct quic_link {
	struct quic_link *next, *prev;
	struct quic_conn *c;
	int64_t sid; /* -1: not opened on the wire yet */
	void *arg;
	bool user; /* the caller holds it: callbacks fire */
	bool close_req; /* FIN after what is queued */
	bool fin_sent, stream_gone, want_room, room, held, peer_fin;
	bool reported; /* its close went to the caller (or it needs none) */
	int status; /* the close to report, once stream_gone or failed */
	bool failed;
	unsigned skip; /* write round in which ngtcp2 refused it */
	struct qframe_tx tx;
	struct qframe_rx rx;
	uint64_t unextended; /* consumed while held */
};

struct quic_conn {
	struct quic_conn *next, *prev;
	struct quic_ep *ep;
	ngtcp2_conn *conn;
	gnutls_session_t tls;
	ngtcp2_crypto_conn_ref ref;
	const struct host *host; /* known at connect; proven at verify */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	ngtcp2_cid odcid; /* a server's: the client's first DCID */
	ngtcp2_cid cids[CIDS_MAX];
	size_t ncids;
	bool server, ready, announced, user, dirty, dying, send_close;
	bool refused; /* our key check said no */
	bool halfopen; /* a server's, until its handshake is done (guard) */
	int status;
	unsigned round;
	uint8_t instance[HOSTKEY_INSTANCE_SIZE];
	size_t instance_len;
	void *arg;
	struct quic_link *links, *links_tail;
};

struct quic_ep {
	int fd;
	struct sockaddr_storage local;
	socklen_t locallen;
	struct hostkey hk; /* this host's key, certificate and credentials */
	const struct hosts *hosts;
	struct quic_cbs cb;
	void *arg;
	unsigned idle_ms, handshake_ms;
	struct quic_conn *conns;
	unsigned nconns;
	bool busy; /* inside quic_on_*: settle runs at the end */
	bool deferred; /* between quic_defer and quic_flush: the same */
	struct udp_batch *out; /* conn_write's packets, sent together */
	struct quic_guard guard; /* the bound on half-open handshakes */
	uint8_t retry_secret[32]; /* this run's key of Retry tokens */
};

static void settle(struct quic_ep *ep);

static void host_label(const struct quic_conn *c, char *out, size_t size)
{
	char addr[80];
	hosts_format_addr((const struct sockaddr *)&c->peer, addr, sizeof(addr));
	if (c->host)
		snprintf(out, size, "host %s (%s)", c->host->name, addr);
	else
		snprintf(out, size, "%s", addr);
}

/* --- the handshake's key check ------------------------------------------- */

/* GnuTLS calls this with the peer's certificate, on both sides. The
 * certificate's signature and issuer mean nothing here: the peer is the
 * key, pinned in the hosts file, and TLS 1.3's CertificateVerify (checked
 * by GnuTLS whatever this returns) proves it holds the private half. */
static int verify_peer(gnutls_session_t s)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
	struct quic_conn *c = ref->user_data;
	char who[160];
	uint8_t fp[HOST_KEY_SIZE];
	size_t slen = sizeof(c->instance);
	int ok = hostkey_peer(s, fp, c->instance, &slen) == 0;
	c->instance_len = slen;
	c->refused = true;
	host_label(c, who, sizeof(who));
	if (!ok) {
		log_warn("%s: no usable certificate: refused", who);
		return -1;
	}
	const struct host *h = hostkey_pinned(
		c->ep->hosts, c->server ? NULL : c->host, fp,
		(const struct sockaddr *)&c->peer, c->peerlen, who);
	if (!h)
		return -1;
	c->host = h;
	c->refused = false;
	return 0;
}

/* --- connections: creation and the ngtcp2 callbacks ---------------------- */

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct quic_conn *)ref->user_data)->conn;
}

static void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	hostkey_random(dest, len);
}

static void cid_add(struct quic_conn *c, const ngtcp2_cid *cid)
{
	if (c->ncids < CIDS_MAX)
		c->cids[c->ncids++] = *cid;
}

static int new_cid_cb(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token,
		      size_t cidlen, void *ud)
{
	(void)conn;
	hostkey_random(cid->data, cidlen);
	cid->datalen = cidlen;
	hostkey_random(token, NGTCP2_STATELESS_RESET_TOKENLEN);
	cid_add(ud, cid);
	return 0;
}

static int remove_cid_cb(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *ud)
{
	(void)conn;
	struct quic_conn *c = ud;
	for (size_t i = 0; i < c->ncids; i++)
		if (ngtcp2_cid_eq(&c->cids[i], cid)) {
			c->cids[i] = c->cids[--c->ncids];
			break;
		}
	return 0;
}

static int handshake_done_cb(ngtcp2_conn *conn, void *ud)
{
	(void)conn;
	struct quic_conn *c = ud;
	c->ready = true;
	c->dirty = true;
	if (c->halfopen) {
		c->halfopen = false;
		quic_guard_closed(&c->ep->guard, false, NULL);
	}
	return 0;
}

static int reset_cb(ngtcp2_conn *conn, const ngtcp2_pkt_stateless_reset *sr,
		    void *ud)
{
	(void)conn;
	(void)sr;
	struct quic_conn *c = ud;
	if (!c->dying) {
		c->dying = true;
		c->status = -ECONNRESET;
	}
	return 0;
}

static int more_streams_cb(ngtcp2_conn *conn, uint64_t max, void *ud)
{
	(void)conn;
	(void)max;
	((struct quic_conn *)ud)->dirty = true;
	return 0;
}

static int more_stream_data_cb(ngtcp2_conn *conn, int64_t sid, uint64_t max,
			       void *ud, void *sud)
{
	(void)conn;
	(void)sid;
	(void)max;
	(void)sud;
	((struct quic_conn *)ud)->dirty = true;
	return 0;
}

static struct quic_link *link_new(struct quic_conn *c, int64_t sid)
{
	struct quic_link *l = xcalloc(1, sizeof(*l));
	l->c = c;
	l->sid = sid;
	l->user = true;
	l->prev = c->links_tail;
	if (c->links_tail)
		c->links_tail->next = l;
	else
		c->links = l;
	c->links_tail = l;
	return l;
}

static void link_unlist(struct quic_conn *c, struct quic_link *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		c->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		c->links_tail = l->prev;
	l->next = l->prev = NULL;
}

static void link_free(struct quic_conn *c, struct quic_link *l)
{
	link_unlist(c, l);
	qframe_tx_free(&l->tx);
	qframe_rx_free(&l->rx);
	free(l);
}

/* A close for the caller, reported by settle. The first reason stands. */
static void link_fail(struct quic_link *l, int status)
{
	if (!l->failed) {
		l->failed = true;
		l->status = status;
	}
	l->c->dirty = true;
}

static int stream_open_cb(ngtcp2_conn *conn, int64_t sid, void *ud)
{
	struct quic_conn *c = ud;
	if (ngtcp2_conn_is_local_stream(conn, sid))
		return 0;
	struct quic_link *l = link_new(c, sid);
	if (ngtcp2_conn_set_stream_user_data(conn, sid, l) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	/* Told now, before the datagrams that follow in this packet. */
	if (c->ep->cb.on_link)
		c->ep->cb.on_link(c->ep->arg, l);
	return 0;
}

static void deliver(void *arg, const uint8_t *p, size_t n)
{
	struct quic_link *l = arg;
	struct quic_ep *ep = l->c->ep;
	if (l->user && !l->failed && ep->cb.on_data)
		ep->cb.on_data(ep->arg, l, p, n);
}

static int recv_data_cb(ngtcp2_conn *conn, uint32_t flags, int64_t sid,
			uint64_t off, const uint8_t *data, size_t len, void *ud,
			void *sud)
{
	(void)off;
	(void)ud;
	struct quic_link *l = sud;
	if (!l)
		return 0;
	if (!l->failed && qframe_parse(&l->rx, data, len, deliver, l) < 0)
		link_fail(l, -EPROTO);
	if (flags & NGTCP2_STREAM_DATA_FLAG_FIN) {
		l->peer_fin = true;
		/* A datagram cut short by the end of the stream. */
		if (qframe_partial(&l->rx))
			link_fail(l, -EPROTO);
		else
			link_fail(l, 0);
	}
	if (l->held) {
		l->unextended += len;
	} else {
		ngtcp2_conn_extend_max_stream_offset(conn, sid, len);
		ngtcp2_conn_extend_max_offset(conn, len);
	}
	return 0;
}

static int acked_cb(ngtcp2_conn *conn, int64_t sid, uint64_t off,
		    uint64_t len, void *ud, void *sud)
{
	(void)conn;
	(void)sid;
	(void)ud;
	struct quic_link *l = sud;
	if (!l)
		return 0;
	qframe_acked(&l->tx, off + len);
	if (l->want_room && l->tx.queued - l->tx.acked <= QUIC_LINK_SNDBUF / 2) {
		l->want_room = false;
		l->room = true;
		l->c->dirty = true;
	}
	return 0;
}

static int stream_reset_cb(ngtcp2_conn *conn, int64_t sid, uint64_t size,
			   uint64_t code, void *ud, void *sud)
{
	(void)conn;
	(void)sid;
	(void)size;
	(void)ud;
	struct quic_link *l = sud;
	if (l && !l->peer_fin)
		link_fail(l, code == APP_PROTO ? -EPROTO : -ECONNRESET);
	return 0;
}

static int stream_close_cb(ngtcp2_conn *conn, uint32_t flags, int64_t sid,
			   uint64_t code, void *ud, void *sud)
{
	struct quic_conn *c = ud;
	struct quic_link *l = sud;
	if (!ngtcp2_conn_is_local_stream(conn, sid))
		/* The peer may open another in its place. */
		ngtcp2_conn_extend_max_streams_bidi(conn, 1);
	if (!l)
		return 0;
	if ((flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) &&
	    code == APP_PROTO)
		link_fail(l, -EPROTO);
	else
		link_fail(l, l->peer_fin ? 0 : -ECONNRESET);
	l->stream_gone = true;
	l->sid = -1;
	c->dirty = true;
	return 0;
}

static const ngtcp2_callbacks callbacks_base = {
	.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
	.handshake_completed = handshake_done_cb,
	.encrypt = ngtcp2_crypto_encrypt_cb,
	.decrypt = ngtcp2_crypto_decrypt_cb,
	.hp_mask = ngtcp2_crypto_hp_mask_cb,
	.recv_stream_data = recv_data_cb,
	.acked_stream_data_offset = acked_cb,
	.stream_open = stream_open_cb,
	.stream_close = stream_close_cb,
	.recv_stateless_reset = reset_cb,
	.extend_max_local_streams_bidi = more_streams_cb,
	.rand = rand_cb,
	.get_new_connection_id = new_cid_cb,
	.remove_connection_id = remove_cid_cb,
	.update_key = ngtcp2_crypto_update_key_cb,
	.stream_reset = stream_reset_cb,
	.extend_max_stream_data = more_stream_data_cb,
	.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
	.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
	.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
	.version_negotiation = ngtcp2_crypto_version_negotiation_cb,
};

static void conn_settings(const struct quic_ep *ep, ngtcp2_settings *s,
			  ngtcp2_transport_params *p)
{
	ngtcp2_settings_default(s);
	s->initial_ts = now_ns();
	s->handshake_timeout = (uint64_t)ep->handshake_ms * NGTCP2_MILLISECONDS;
	s->max_window = 4 * CONN_WINDOW;
	/* No auto-tuning of a stream's window (0): ngtcp2 0.12.1 queues a
	 * MAX_STREAM_DATA frame that did not fit in the packet but counts
	 * its credit only once it fits (fixed upstream after 0.12, commit
	 * 2da36d2f). With auto-tuning the grown window's credit was then
	 * advertised and never counted, and the peer, using it, had its
	 * connection closed with FLOW_CONTROL: 3 runs in 65 of
	 * test_quic.sh's lossy test. Without it the credit is counted at the
	 * next packet, long before a peer that may have QUIC_LINK_SNDBUF
	 * unacknowledged can reach it: 0 runs in 60. A link's sender stops
	 * at QUIC_LINK_SNDBUF, a quarter of STREAM_WINDOW; bench section 8's
	 * stream measured 304 MB/s for QUIC alone and 255 for programs
	 * without auto-tuning, 366 and 227 with it, 332 and 217 with a
	 * 1 MiB window: within this machine's noise (its runs of one figure
	 * spread from 259 to 414). */
	s->max_stream_window = 0;
	/* BBR, not ngtcp2's default Cubic: Cubic takes a random loss for
	 * congestion and halves its window each time; at 1% loss across the
	 * veth, BBR kept about twice the throughput (make bench section 8,
	 * docs/BENCH.md), and the same without loss. */
	s->cc_algo = NGTCP2_CC_ALGO_BBR;
	ngtcp2_transport_params_default(p);
	p->initial_max_stream_data_bidi_local = STREAM_WINDOW;
	p->initial_max_stream_data_bidi_remote = STREAM_WINDOW;
	p->initial_max_data = CONN_WINDOW;
	p->initial_max_streams_bidi = STREAMS_MAX;
	p->initial_max_streams_uni = 0;
	p->max_idle_timeout = (uint64_t)ep->idle_ms * NGTCP2_MILLISECONDS;
}

static struct quic_conn *conn_alloc(struct quic_ep *ep,
				    const struct sockaddr *peer,
				    socklen_t peerlen)
{
	struct quic_conn *c = xcalloc(1, sizeof(*c));
	c->ep = ep;
	memcpy(&c->peer, peer, peerlen);
	c->peerlen = peerlen;
	c->ref.get_conn = get_conn;
	c->ref.user_data = c;
	return c;
}

static void conn_list(struct quic_conn *c)
{
	struct quic_ep *ep = c->ep;
	c->next = ep->conns;
	if (ep->conns)
		ep->conns->prev = c;
	ep->conns = c;
	ep->nconns++;
}

/* The TLS half: GnuTLS session, certificate both ways, ALPN, key check. */
static int conn_tls(struct quic_conn *c)
{
	unsigned flags = c->server ? GNUTLS_SERVER : GNUTLS_CLIENT;
	if (gnutls_init(&c->tls, flags | GNUTLS_NO_END_OF_EARLY_DATA) < 0)
		return -ENOMEM;
	int r = c->server ? ngtcp2_crypto_gnutls_configure_server_session(c->tls)
			  : ngtcp2_crypto_gnutls_configure_client_session(c->tls);
	const gnutls_datum_t alpn = {(unsigned char *)QUIC_ALPN,
				     sizeof(QUIC_ALPN) - 1};
	if (r != 0 || gnutls_priority_set_direct(c->tls, PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
				   c->ep->hk.cred) < 0 ||
	    gnutls_alpn_set_protocols(c->tls, &alpn, 1,
				      GNUTLS_ALPN_MANDATORY) < 0)
		return -EINVAL;
	/* Mutual: a client without a certificate is refused. */
	if (c->server)
		gnutls_certificate_server_set_request(c->tls,
						      GNUTLS_CERT_REQUIRE);
	gnutls_session_set_ptr(c->tls, &c->ref);
	ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
	ngtcp2_conn_set_keep_alive_timeout(
		c->conn, (uint64_t)c->ep->idle_ms / 3 * NGTCP2_MILLISECONDS);
	return 0;
}

static void conn_free(struct quic_conn *c)
{
	struct quic_ep *ep = c->ep;
	while (c->links)
		link_free(c, c->links);
	/* Every connection is listed from its creation (conn_list). */
	if (c->prev)
		c->prev->next = c->next;
	else
		ep->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->conn)
		ngtcp2_conn_del(c->conn);
	if (c->tls)
		gnutls_deinit(c->tls);
	if (c->halfopen)
		quic_guard_closed(&ep->guard, false, NULL);
	ep->nconns--;
	free(c);
}

static ngtcp2_path conn_path(struct quic_conn *c)
{
	ngtcp2_path p = {
		.local = {(struct sockaddr *)&c->ep->local, c->ep->locallen},
		.remote = {(struct sockaddr *)&c->peer, c->peerlen},
	};
	return p;
}

int quic_connect(struct quic_ep *ep, const struct host *h,
		 struct quic_conn **out)
{
	if (ep->nconns >= CONNS_MAX)
		return -EMFILE;
	struct quic_conn *c = conn_alloc(ep, (const struct sockaddr *)&h->addr,
					 h->addrlen);
	c->host = h;
	c->user = true;
	ngtcp2_cid dcid, scid;
	dcid.datalen = scid.datalen = CID_LEN;
	hostkey_random(dcid.data, CID_LEN);
	hostkey_random(scid.data, CID_LEN);
	cid_add(c, &scid);
	ngtcp2_settings s;
	ngtcp2_transport_params p;
	conn_settings(ep, &s, &p);
	ngtcp2_callbacks cb = callbacks_base;
	cb.client_initial = ngtcp2_crypto_client_initial_cb;
	cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
	ngtcp2_path path = conn_path(c);
	conn_list(c);
	if (ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &path,
				   NGTCP2_PROTO_VER_V1, &cb, &s, &p, NULL,
				   c) != 0 ||
	    conn_tls(c) < 0) {
		conn_free(c);
		return -ENOMEM;
	}
	c->dirty = true;
	*out = c;
	settle(ep);
	return 0;
}

static void send_pkt(struct quic_ep *ep, const ngtcp2_path *path,
		     const uint8_t *buf, size_t n);

/* A stateless Retry (quic_guard.h): a token that only the address the
 * Initial came from receives, sealed with this run's secret; nothing is
 * kept. */
static void send_retry(struct quic_ep *ep, const ngtcp2_pkt_hd *hd,
		       const struct sockaddr *from, socklen_t fromlen)
{
	uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN], buf[PKT_MAX];
	ngtcp2_cid scid;
	scid.datalen = CID_LEN;
	hostkey_random(scid.data, CID_LEN);
	ngtcp2_ssize tl = ngtcp2_crypto_generate_retry_token(
		token, ep->retry_secret, sizeof(ep->retry_secret), hd->version,
		from, fromlen, &scid, &hd->dcid, now_ns());
	if (tl < 0)
		return;
	ngtcp2_ssize n = ngtcp2_crypto_write_retry(buf, sizeof(buf),
						   hd->version, &hd->scid,
						   &scid, &hd->dcid, token,
						   (size_t)tl);
	ngtcp2_path path = {
		.remote = {(struct sockaddr *)from, fromlen},
	};
	if (n > 0)
		send_pkt(ep, &path, buf, (size_t)n);
}

static unsigned halfopen_from(const struct quic_ep *ep,
			      const struct sockaddr *from)
{
	unsigned n = 0;
	for (const struct quic_conn *c = ep->conns; c; c = c->next)
		n += c->halfopen &&
		     quic_guard_same_ip((const struct sockaddr *)&c->peer, from);
	return n;
}

/* A client's first Initial: a new connection, if there is room and the
 * guard lets it (quic_guard.h: past a number half-open, the client
 * proves its address with a Retry token first). Who the client is, the
 * handshake decides (verify_peer). */
static struct quic_conn *conn_accept(struct quic_ep *ep, const uint8_t *pkt,
				     size_t len, const struct sockaddr *from,
				     socklen_t fromlen)
{
	ngtcp2_pkt_hd hd;
	if (ep->nconns >= CONNS_MAX || ngtcp2_accept(&hd, pkt, len) != 0)
		return NULL;
	/* Its first DCID: the token says it, if the Initial followed our
	 * Retry. We issue no other token: any other is dropped. */
	ngtcp2_cid odcid = hd.dcid;
	bool validated = hd.token.len > 0;
	if (validated &&
	    (hd.token.base[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY ||
	     ngtcp2_crypto_verify_retry_token(
		     &odcid, hd.token.base, hd.token.len, ep->retry_secret,
		     sizeof(ep->retry_secret), hd.version, from, fromlen,
		     &hd.dcid, QUIC_RETRY_TOKEN_MS * NGTCP2_MILLISECONDS,
		     now_ns()) != 0))
		return NULL;
	switch (quic_guard_admit(&ep->guard, validated,
				 halfopen_from(ep, from))) {
	case QUIC_ADMIT_RETRY:
		send_retry(ep, &hd, from, fromlen);
		return NULL;
	case QUIC_ADMIT_DROP:
		return NULL;
	case QUIC_ADMIT_ACCEPT:
		break;
	}
	struct quic_conn *c = conn_alloc(ep, from, fromlen);
	c->server = true;
	c->odcid = hd.dcid;
	ngtcp2_cid scid;
	scid.datalen = CID_LEN;
	hostkey_random(scid.data, CID_LEN);
	cid_add(c, &scid);
	ngtcp2_settings s;
	ngtcp2_transport_params p;
	conn_settings(ep, &s, &p);
	p.original_dcid = odcid;
	if (validated) {
		/* RFC 9000 7.3: the client checks both. */
		p.retry_scid = hd.dcid;
		p.retry_scid_present = 1;
		s.token = hd.token;
	}
	ngtcp2_callbacks cb = callbacks_base;
	cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	ngtcp2_path path = conn_path(c);
	conn_list(c);
	c->halfopen = true;
	quic_guard_opened(&ep->guard);
	if (ngtcp2_conn_server_new(&c->conn, &hd.scid, &scid, &path, hd.version,
				   &cb, &s, &p, NULL, c) != 0 ||
	    conn_tls(c) < 0) {
		conn_free(c);
		return NULL;
	}
	return c;
}

static struct quic_conn *conn_find(struct quic_ep *ep, const uint8_t *dcid,
				   size_t len)
{
	for (struct quic_conn *c = ep->conns; c; c = c->next) {
		if (c->server && c->odcid.datalen == len &&
		    memcmp(c->odcid.data, dcid, len) == 0)
			return c;
		for (size_t i = 0; i < c->ncids; i++)
			if (c->cids[i].datalen == len &&
			    memcmp(c->cids[i].data, dcid, len) == 0)
				return c;
	}
	return NULL;
}

/* --- failing, writing, settling ------------------------------------------ */

static void conn_fail(struct quic_conn *c, int status, bool send_close)
{
	if (c->dying)
		return;
	c->dying = true;
	c->status = status;
	c->send_close = send_close;
	c->dirty = true;
}

/* What the peer's CONNECTION_CLOSE means for our links. */
static void conn_peer_closed(struct quic_conn *c)
{
	ngtcp2_connection_close_error ce;
	ngtcp2_conn_get_connection_close_error(c->conn, &ce);
	int status = -ECONNRESET;
	/* 0x100-0x1ff: a TLS alert (RFC 9001 4.8): the handshake was
	 * refused over there. */
	if (ce.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT &&
	    (ce.error_code & ~0xffULL) == 0x100) {
		char who[160];
		host_label(c, who, sizeof(who));
		log_warn("%s refused the handshake (TLS alert %u)", who,
			 (unsigned)(ce.error_code & 0xff));
		status = -EACCES;
	}
	conn_fail(c, status, false);
}

static void send_pkt(struct quic_ep *ep, const ngtcp2_path *path,
		     const uint8_t *buf, size_t n)
{
	ssize_t w;
	do
		w = sendto(ep->fd, buf, n, 0, path->remote.addr,
			   path->remote.addrlen);
	while (w < 0 && errno == EINTR);
	/* A full socket buffer loses the packet as the network would;
	 * QUIC's recovery sends it again. */
}

static void conn_write_close(struct quic_conn *c)
{
	if (!c->conn || ngtcp2_conn_is_in_closing_period(c->conn) ||
	    ngtcp2_conn_is_in_draining_period(c->conn))
		return;
	ngtcp2_connection_close_error ce;
	if (c->refused)
		ngtcp2_connection_close_error_set_transport_error_tls_alert(
			&ce, ngtcp2_conn_get_tls_alert(c->conn), NULL, 0);
	else
		ngtcp2_connection_close_error_set_application_error(
			&ce, APP_SHUTDOWN, NULL, 0);
	uint8_t buf[PKT_MAX];
	ngtcp2_path_storage ps;
	ngtcp2_path_storage_zero(&ps);
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n = ngtcp2_conn_write_connection_close(
		c->conn, &ps.path, &pi, buf, sizeof(buf), &ce, now_ns());
	if (n > 0)
		send_pkt(c->ep, &ps.path, buf, (size_t)n);
}

static bool link_has_output(const struct quic_link *l, unsigned round)
{
	return l->sid >= 0 && l->skip != round &&
	       (l->tx.sent < l->tx.queued || (l->close_req && !l->fin_sent));
}

/* Up to max vectors of l's unsent bytes. */
static size_t link_vecs(struct quic_link *l, ngtcp2_vec *v, size_t max,
			size_t *total)
{
	struct qframe_vec q[16];
	size_t n = qframe_unsent(&l->tx, q, max < 16 ? max : 16, total);
	for (size_t i = 0; i < n; i++) {
		v[i].base = q[i].base;
		v[i].len = q[i].len;
	}
	return n;
}

/* The link at the front of the list with something to send; moved to the
 * back, so that links take turns. */
static struct quic_link *next_output(struct quic_conn *c)
{
	for (struct quic_link *l = c->links; l; l = l->next)
		if (link_has_output(l, c->round)) {
			link_unlist(c, l);
			l->prev = c->links_tail;
			if (c->links_tail)
				c->links_tail->next = l;
			else
				c->links = l;
			c->links_tail = l;
			return l;
		}
	return NULL;
}

static int conn_write(struct quic_conn *c)
{
	struct udp_batch *out = c->ep->out;
	ngtcp2_path_storage ps;
	ngtcp2_path_storage_zero(&ps);
	ngtcp2_pkt_info pi;
	uint64_t ts = now_ns();
	c->round++;
	int pkts = 0;
	out->fd = c->ep->fd;
	while (pkts < WRITE_BATCH) {
		size_t room;
		uint8_t *buf = udp_batch_next(out, &room);
		struct quic_link *l = next_output(c);
		ngtcp2_vec v[8];
		size_t nv = 0, total = 0;
		uint32_t flags = 0;
		int64_t sid = -1;
		if (l) {
			nv = link_vecs(l, v, 8, &total);
			sid = l->sid;
			flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
			if (l->close_req && l->tx.sent + total == l->tx.queued)
				flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		}
		ngtcp2_ssize done = -1;
		ngtcp2_ssize n = ngtcp2_conn_writev_stream(c->conn, &ps.path,
							   &pi, buf, room, &done,
							   flags, sid, v, nv,
							   ts);
		if (l && done >= 0) {
			l->tx.sent += (uint64_t)done;
			if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) &&
			    (size_t)done == total)
				l->fin_sent = true;
		}
		if (n == NGTCP2_ERR_WRITE_MORE)
			continue;
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED ||
		    n == NGTCP2_ERR_STREAM_SHUT_WR ||
		    n == NGTCP2_ERR_STREAM_NOT_FOUND) {
			/* Flow control or a closing stream: try the others,
			 * this one again next round. */
			if (l)
				l->skip = c->round;
			continue;
		}
		if (n < 0) {
			udp_batch_flush(out);
			return (int)n;
		}
		if (n == 0 && out->count) {
			/* Perhaps only no room after the batch's first,
			 * short, packet: again with a whole one. */
			udp_batch_flush(out);
			continue;
		}
		if (n == 0)
			break;
		udp_batch_add(out, (size_t)n, ps.path.remote.addr,
			      ps.path.remote.addrlen);
		pkts++;
	}
	udp_batch_flush(out);
	if (pkts == WRITE_BATCH)
		c->dirty = true; /* more to send: quic_next_timeout_ns says now */
	ngtcp2_conn_update_pkt_tx_time(c->conn, ts);
	return 0;
}

/* Recognises a restart: the peer host's other connections that carry
 * another instance nonce belong to its previous run. */
static void conn_announce(struct quic_conn *c)
{
	struct quic_ep *ep = c->ep;
	c->announced = true;
	for (struct quic_conn *o = ep->conns; o; o = o->next) {
		if (o == c || o->host != c->host || o->dying || !o->ready ||
		    (o->instance_len == c->instance_len &&
		     memcmp(o->instance, c->instance, c->instance_len) == 0))
			continue;
		char who[160];
		host_label(o, who, sizeof(who));
		log_warn("%s restarted: the links of its previous run end", who);
		conn_fail(o, -ESTALE, true);
	}
	c->user = true;
	if (ep->cb.on_conn)
		ep->cb.on_conn(ep->arg, c, c->host);
}

static void conn_die(struct quic_conn *c)
{
	struct quic_ep *ep = c->ep;
	if (c->send_close)
		conn_write_close(c);
	if (c->status == -EACCES && c->refused) {
		/* Logged by verify_peer. */
	} else if (c->halfopen && c->status == -EHOSTUNREACH) {
		/* Not "no route": a client's Initial that never went on. */
		char who[160];
		host_label(c, who, sizeof(who));
		c->halfopen = false;
		quic_guard_closed(&ep->guard, true, who);
	} else if (c->status != -ECONNABORTED && c->status != -EACCES) {
		char who[160];
		host_label(c, who, sizeof(who));
		log_info("%s: connection ended: %s", who, strerror(-c->status));
	}
	for (struct quic_link *l = c->links; l; l = l->next)
		if (l->user && ep->cb.on_link_close) {
			l->user = false;
			ep->cb.on_link_close(ep->arg, l, c->status);
		}
	if (c->user && ep->cb.on_conn_close)
		ep->cb.on_conn_close(ep->arg, c, c->status);
	conn_free(c);
}

/* One connection's pending work; false when it is gone. */
static bool conn_settle(struct quic_conn *c)
{
	struct quic_ep *ep = c->ep;
	c->dirty = false;
	if (c->dying) {
		conn_die(c);
		return false;
	}
	if (c->ready && !c->announced)
		conn_announce(c);
	for (struct quic_link *l = c->links, *next; l; l = next) {
		next = l->next;
		if (c->ready && l->sid < 0 && !l->stream_gone) {
			int64_t sid;
			if (ngtcp2_conn_open_bidi_stream(c->conn, &sid, l) == 0)
				l->sid = sid;
		}
		if (l->failed && l->user) {
			l->user = false;
			if (ep->cb.on_link_close)
				ep->cb.on_link_close(ep->arg, l, l->status);
			/* The caller is told; the stream ends too. */
			if (l->sid >= 0 && !l->stream_gone)
				ngtcp2_conn_shutdown_stream(
					c->conn, l->sid,
					l->status == -EPROTO ? APP_PROTO
							     : APP_CLOSED);
		}
		if (l->room && l->user) {
			l->room = false;
			if (ep->cb.on_room)
				ep->cb.on_room(ep->arg, l);
		}
		/* Gone from the wire and from the caller: free. */
		if (!l->user && l->stream_gone)
			link_free(c, l);
	}
	if (c->dying) {
		conn_die(c);
		return false;
	}
	int r = conn_write(c);
	if (r < 0) {
		conn_fail(c, -ECONNRESET, true);
		conn_die(c);
		return false;
	}
	return true;
}

/* Runs the work callbacks left, a bounded number of rounds: a callback
 * may give another connection work. What is left makes
 * quic_next_timeout_ns say "now". */
static void settle(struct quic_ep *ep)
{
	if (ep->busy || ep->deferred)
		return;
	ep->busy = true;
	for (int round = 0; round < 8; round++) {
		bool any = false;
		for (struct quic_conn *c = ep->conns, *next; c; c = next) {
			/* conn_free unlists a freed connection from c->ep,
			 * which is ep: the analyzer cannot tell. */
			next = c->next; /* NOLINT(clang-analyzer-unix.Malloc) */
			if (!c->dirty)
				continue;
			any = true;
			(void)conn_settle(c);
		}
		if (!any)
			break;
	}
	ep->busy = false;
}

/* --- the endpoint ---------------------------------------------------------- */

int quic_open(const struct quic_opts *o, struct quic_ep **out,
	      struct error *e)
{
	struct quic_ep *ep = xcalloc(1, sizeof(*ep));
	ep->fd = -1;
	ep->out = xcalloc(1, sizeof(*ep->out));
	ep->hosts = o->hosts;
	ep->cb = o->cb;
	ep->arg = o->arg;
	ep->idle_ms = o->idle_ms ? o->idle_ms : QUIC_IDLE_MS_DEFAULT;
	ep->handshake_ms =
		o->handshake_ms ? o->handshake_ms : QUIC_HANDSHAKE_MS_DEFAULT;
	hostkey_random(ep->retry_secret, sizeof(ep->retry_secret));
	int r = hostkey_open(&ep->hk, o->key_path, verify_peer, e);
	if (r < 0)
		goto fail;
	const struct sockaddr *sa = (const struct sockaddr *)&o->bind;
	ep->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (ep->fd < 0) {
		r = error_sys(e, errno, "socket");
		goto fail;
	}
	/* Room for a burst of 100 links' packets between two loop turns. */
	int size = 4 * 1024 * 1024;
	(void)setsockopt(ep->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(ep->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	udp_gro_enable(ep->fd);
	char addr[80];
	hosts_format_addr(sa, addr, sizeof(addr));
	if (bind(ep->fd, sa, o->bindlen) < 0) {
		r = error_sys(e, errno, "bind %s", addr);
		goto fail;
	}
	ep->locallen = sizeof(ep->local);
	if (getsockname(ep->fd, (struct sockaddr *)&ep->local, &ep->locallen) <
	    0) {
		r = error_sys(e, errno, "getsockname");
		goto fail;
	}
	*out = ep;
	return 0;
fail:
	quic_close(ep);
	return r;
}

void quic_close(struct quic_ep *ep)
{
	if (!ep)
		return;
	while (ep->conns) {
		struct quic_conn *c = ep->conns;
		conn_write_close(c);
		conn_free(c);
	}
	if (ep->fd >= 0)
		close(ep->fd);
	hostkey_close(&ep->hk);
	free(ep->out);
	free(ep);
}

int quic_fd(const struct quic_ep *ep)
{
	return ep->fd;
}

uint64_t quic_next_timeout_ns(const struct quic_ep *ep)
{
	uint64_t t = UINT64_MAX;
	for (const struct quic_conn *c = ep->conns; c; c = c->next) {
		if (c->dirty)
			return 0;
		uint64_t x = ngtcp2_conn_get_expiry(c->conn);
		if (x < t)
			t = x;
	}
	return t;
}

static void conn_read(struct quic_conn *c, const uint8_t *pkt, size_t n,
		      const struct sockaddr *from, socklen_t fromlen)
{
	ngtcp2_path path = conn_path(c);
	path.remote.addr = (struct sockaddr *)from;
	path.remote.addrlen = fromlen;
	ngtcp2_pkt_info pi = {0};
	int r = ngtcp2_conn_read_pkt(c->conn, &path, &pi, pkt, n, now_ns());
	c->dirty = true;
	if (r == 0)
		return;
	if (r == NGTCP2_ERR_DRAINING)
		conn_peer_closed(c);
	else if (r == NGTCP2_ERR_DROP_CONN)
		conn_fail(c, -ECONNRESET, false);
	else if (r == NGTCP2_ERR_CRYPTO) {
		/* Our key check, or the peer's certificate unusable. */
		c->refused = true;
		conn_fail(c, -EACCES, true);
	} else if (r != NGTCP2_ERR_DISCARD_PKT) {
		char who[160];
		host_label(c, who, sizeof(who));
		log_warn("%s: QUIC refused a packet (%s): connection closed",
			 who, ngtcp2_strerror(r));
		conn_fail(c, -ECONNRESET, true);
	}
}

/* One packet from the socket. */
static void ep_packet(struct quic_ep *ep, uint8_t *pkt, size_t n,
		      const struct sockaddr *from, socklen_t fromlen)
{
	ngtcp2_version_cid vc;
	if (ngtcp2_pkt_decode_version_cid(&vc, pkt, n, CID_LEN) != 0)
		return; /* not QUIC v1 as we speak it: dropped */
	struct quic_conn *c = conn_find(ep, vc.dcid, vc.dcidlen);
	if (!c)
		c = conn_accept(ep, pkt, n, from, fromlen);
	if (c && !c->dying)
		conn_read(c, pkt, n, from, fromlen);
}

void quic_on_readable(struct quic_ep *ep)
{
	uint8_t buf[65536];
	ep->busy = true;
	for (int i = 0; i < READ_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen;
		size_t seg;
		ssize_t n = udp_recv(ep->fd, buf, sizeof(buf), &from, &fromlen,
				     &seg);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Packets that arrived together (UDP_GRO): seg bytes each,
		 * the last perhaps fewer. */
		for (size_t off = 0; off < (size_t)n; off += seg)
			ep_packet(ep, buf + off,
				  (size_t)n - off < seg ? (size_t)n - off : seg,
				  (struct sockaddr *)&from, fromlen);
	}
	ep->busy = false;
	settle(ep);
}

void quic_on_timer(struct quic_ep *ep)
{
	uint64_t now = now_ns();
	ep->busy = true;
	for (struct quic_conn *c = ep->conns; c; c = c->next) {
		if (c->dying || ngtcp2_conn_get_expiry(c->conn) > now)
			continue;
		c->dirty = true;
		int r = ngtcp2_conn_handle_expiry(c->conn, now);
		if (r == NGTCP2_ERR_IDLE_CLOSE)
			/* Silent, as RFC 9000 10.1 says: the peer is gone. */
			conn_fail(c, c->ready ? -ETIMEDOUT : -EHOSTUNREACH,
				  false);
		else if (r == NGTCP2_ERR_HANDSHAKE_TIMEOUT)
			conn_fail(c, -EHOSTUNREACH, false);
		else if (r != 0)
			conn_fail(c, -ECONNRESET, true);
	}
	ep->busy = false;
	settle(ep);
}

/* --- the caller's calls ------------------------------------------------ */

void quic_conn_close(struct quic_conn *c)
{
	conn_fail(c, -ECONNABORTED, true);
	settle(c->ep);
}

const struct host *quic_conn_host(const struct quic_conn *c)
{
	return c->host;
}

void quic_conn_set_arg(struct quic_conn *c, void *arg)
{
	c->arg = arg;
}

void *quic_conn_arg(const struct quic_conn *c)
{
	return c->arg;
}

int quic_link_open(struct quic_conn *c, struct quic_link **out)
{
	if (c->dying)
		return -ENOTCONN;
	*out = link_new(c, -1);
	c->dirty = true;
	settle(c->ep);
	return 0;
}

int quic_link_send(struct quic_link *l, const void *buf, size_t len)
{
	if (len == 0 || len > QUIC_DGRAM_MAX)
		return -EMSGSIZE;
	if (!l->user || l->close_req || l->failed || l->c->dying)
		return -ENOTCONN;
	if (l->tx.queued - l->tx.acked + 2 + len > QUIC_LINK_SNDBUF) {
		l->want_room = true;
		return -EAGAIN;
	}
	qframe_put(&l->tx, buf, len);
	l->c->dirty = true;
	settle(l->c->ep);
	return 0;
}

void quic_defer(struct quic_ep *ep)
{
	ep->deferred = true;
}

void quic_flush(struct quic_ep *ep)
{
	ep->deferred = false;
	settle(ep);
}

void quic_link_close(struct quic_link *l)
{
	l->user = false;
	l->close_req = true;
	l->c->dirty = true;
	/* Closed before it was opened on the wire, with nothing to say:
	 * nothing goes on the wire. */
	if (l->sid < 0 && !l->stream_gone && l->tx.queued == 0)
		l->stream_gone = true;
	/* The peer has already ended it: end ours, no FIN to wait for. */
	if (l->failed && l->sid >= 0 && !l->stream_gone)
		ngtcp2_conn_shutdown_stream(l->c->conn, l->sid, APP_CLOSED);
	settle(l->c->ep);
}

void quic_link_hold(struct quic_link *l, bool hold)
{
	l->held = hold;
	if (!hold && l->unextended && l->sid >= 0) {
		ngtcp2_conn_extend_max_stream_offset(l->c->conn, l->sid,
						     l->unextended);
		ngtcp2_conn_extend_max_offset(l->c->conn, l->unextended);
		l->unextended = 0;
		l->c->dirty = true;
		settle(l->c->ep);
	}
}

struct quic_conn *quic_link_conn(const struct quic_link *l)
{
	return l->c;
}

void quic_link_set_arg(struct quic_link *l, void *arg)
{
	l->arg = arg;
}

void *quic_link_arg(const struct quic_link *l)
{
	return l->arg;
}

void quic_counts(const struct quic_ep *ep, unsigned *conns, unsigned *links)
{
	*conns = *links = 0;
	for (const struct quic_conn *c = ep->conns; c; c = c->next) {
		(*conns)++;
		for (const struct quic_link *l = c->links; l; l = l->next)
			(*links)++;
	}
}

/* remote.c — links across hosts (remote.h): fakeosd's relay between a
 * program's link pipes and a QUIC link to the other host's fakeosd.
 *
 * Shape: the transport may call back into this file from any call into it
 * (quic.h), so a callback never frees a link: it marks it dead, and reap()
 * frees dead links at the end of each entry from the loop. */
#include "remote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "broker_int.h"
#include "dgq.h"
#include "hash.h"
#include "hostkey.h"
#include "log.h"
#include "quic.h"
#include "resolver.h"

/* The first datagram of a link each way (docs/PROTOCOL.md, "Links across
 * hosts"): the caller's asks for name and says who calls; the server's
 * answers with a status and says who serves. Integers big-endian,
 * strings NUL-terminated and NUL-padded. */
#define HELLO_MAGIC "FKRL"
#define ANSWER_MAGIC "FKRA"
#define HELLO_VERSION 1

struct hello {
	char magic[4];
	uint8_t version;
	uint8_t reserved[3]; /* 0 */
	int32_t status; /* the answer's: 0 linked, or -errno; hello: 0 */
	uint32_t uid; /* the account of the caller (or server) */
	uint8_t sha256[32]; /* of its program's bytes */
	char name[PROTO_NAME_SIZE]; /* the name asked for */
	char host[PROTO_HOST_SIZE]; /* the sender's word for its own host:
				       never believed (see on_hello) */
	char url[PROTO_URL_SIZE];
};
_Static_assert(sizeof(struct hello) == 1200, "the wire's layout");

/* What this host accepts from one other host, all the accounts it claims
 * together (remote_limits): one per pinned host that linked, kept until
 * remote_close (the hosts file bounds them). */
struct rpeer {
	struct rpeer *next;
	unsigned links; /* links from it open here */
	struct bucket rate; /* its new links */
	bool warned_cap, warned_prog, warned_rate; /* this episode's
						      refusal was logged */
	unsigned long refused; /* by the rate, this episode */
	char host[HOST_NAME_MAX_LEN + 1];
};

struct rlink {
	struct rlink *next;
	struct remote *r;
	struct rpeer *from; /* server, once open: counted in its links */
	struct quic_link *ql; /* NULL once the transport ended it */
	bool client; /* this host asked */
	bool open; /* the answer came (client) or went (server) */
	bool dead; /* reap frees it */
	uint64_t prog_id; /* the program at this end: client, the asking
			     one; server, the serving one once open */
	uint32_t slot; /* its link's slot in that program, once open */
	uint64_t id; /* the slot's mark (struct slot's remote), once open */
	int status; /* why it ended, for LINK_ENDED: quic.h's statuses */
	int32_t handle;
	char name[PROTO_NAME_SIZE];
	char host[HOST_NAME_MAX_LEN + 1]; /* the peer host, as pinned */
	int rd, wr; /* what the program sends; what it receives */
	struct broker_watch *w_rd, *w_wr;
	uint8_t *pend; /* one datagram the link refused (-EAGAIN) */
	size_t pend_len;
	/* Datagrams for the program's pipe that had no room: the QUIC link
	 * is held meanwhile, so at most one stream window more arrives. */
	struct dgq q;
};

struct rconn {
	struct rconn *next;
	struct quic_conn *c;
	const struct host *h;
};

struct remote {
	struct broker *b;
	struct quic_ep *ep;
	struct hosts hosts;
	struct resolver *res; /* where names not served here are */
	char self[HOST_NAME_MAX_LEN + 1]; /* this host's name in hosts, or "" */
	struct broker_watch *w_ep, *w_res;
	struct rlink *links;
	struct rconn *conns; /* the ones this host opened, to reuse */
	uint64_t next_id; /* the last rlink id given */
	struct rpeer *peers;
	struct remote_limits lim;
	bool (*exported)(void *arg, const char *name);
	void *arg;
};

static void pack_hello(struct hello *m, const char *magic, int32_t status,
		       uint32_t uid, const uint8_t sha256[32],
		       const char *name, const char *host, const char *url)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->magic, magic, 4);
	m->version = HELLO_VERSION;
	m->status = (int32_t)htonl((uint32_t)status);
	m->uid = htonl(uid);
	if (sha256)
		memcpy(m->sha256, sha256, 32);
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->host, sizeof(m->host), "%s", host);
	snprintf(m->url, sizeof(m->url), "%s", url ? url : "");
}

/* 0 if buf is a well-formed hello with magic; its strings terminated. */
static int unpack_hello(const void *buf, size_t len, const char *magic,
			struct hello *m)
{
	if (len != sizeof(*m))
		return -EPROTO;
	memcpy(m, buf, sizeof(*m));
	if (memcmp(m->magic, magic, 4) != 0 || m->version != HELLO_VERSION ||
	    !memchr(m->name, 0, sizeof(m->name)) || !m->name[0] ||
	    !memchr(m->host, 0, sizeof(m->host)) ||
	    !memchr(m->url, 0, sizeof(m->url)))
		return -EPROTO;
	m->status = (int32_t)ntohl((uint32_t)m->status);
	m->uid = ntohl(m->uid);
	return 0;
}

/* --- a link's local end ---------------------------------------------------- */

static void on_rd(void *arg, uint32_t events);
static void on_wr(void *arg, uint32_t events);
static void reap(struct remote *r);

static void rl_kill(struct rlink *l)
{
	if (l->ql) {
		quic_link_close(l->ql);
		l->ql = NULL;
	}
	l->dead = true;
}

/* Version 6 (docs/PROTOCOL.md 6.6): the program hears why its link ended
 * before the end of file that follows, which alone cannot say whether
 * the peer closed, went silent or restarted. Not when the program closed
 * the link first: its CLOSE freed the slot, which may hold another link
 * by now, so the slot must still carry this link's mark. */
static void rl_tell_end(struct rlink *l)
{
	if (!l->open || l->wr < 0)
		return;
	struct prog *p = prog_find(l->r->b, l->prog_id);
	if (p && p->running && p->slots[l->slot].remote == l->id)
		send_link_ended(p, l->slot, l->status);
}

static void rl_free(struct rlink *l)
{
	struct broker *b = l->r->b;
	rl_tell_end(l);
	if (l->from)
		l->from->links--;
	if (l->w_rd)
		broker_unwatch(b, l->rd, l->w_rd);
	if (l->w_wr)
		broker_unwatch(b, l->wr, l->w_wr);
	if (l->rd >= 0)
		close(l->rd);
	if (l->wr >= 0)
		close(l->wr);
	dgq_clear(&l->q);
	free(l->pend);
	free(l);
}

static void reap(struct remote *r)
{
	for (struct rlink **pp = &r->links; *pp;) {
		struct rlink *l = *pp;
		if (!l->dead) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		rl_free(l);
	}
}

static struct rlink *rl_new(struct remote *r, struct quic_link *ql)
{
	struct rlink *l = xcalloc(1, sizeof(*l));
	l->r = r;
	l->ql = ql;
	l->rd = l->wr = -1;
	l->next = r->links;
	r->links = l;
	quic_link_set_arg(ql, l);
	return l;
}

/* The local end is made, in p's slot s: relay from now on. */
static void rl_start(struct rlink *l, struct prog *p, int s, const int fds[2])
{
	l->rd = fds[0];
	l->wr = fds[1];
	l->open = true;
	l->prog_id = p->id;
	l->slot = (uint32_t)s;
	l->id = ++l->r->next_id;
	p->slots[s].remote = l->id;
	if (broker_watch(l->r->b, l->rd, EPOLLIN, on_rd, l, &l->w_rd) < 0)
		rl_kill(l);
}

/* What the program sent, to the peer, until the pipe is empty or the
 * link is full (then the pipe waits: on_room resumes). Bounded, so one
 * busy link cannot hold the loop. */
static void on_rd(void *arg, uint32_t events)
{
	(void)events;
	struct rlink *l = arg;
	struct remote *r = l->r;
	uint8_t buf[QUIC_DGRAM_MAX];
	/* What this turn reads goes out together: whole packets, one send
	 * (docs/BENCH.md, section 8). */
	quic_defer(r->ep);
	for (int i = 0; i < 64 && !l->dead && l->ql && !l->pend; i++) {
		ssize_t n = read(l->rd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* The program closed the link or ended: the peer
			 * sees an orderly close after what was sent. */
			rl_kill(l);
			break;
		}
		int s = quic_link_send(l->ql, buf, (size_t)n);
		if (s == -EAGAIN) {
			l->pend = xmalloc((size_t)n);
			memcpy(l->pend, buf, (size_t)n);
			l->pend_len = (size_t)n;
			broker_unwatch(r->b, l->rd, l->w_rd);
			l->w_rd = NULL;
		} else if (s < 0) {
			/* The transport is closing the link, and says no
			 * more about it once rl_kill closes it. */
			l->status = -ECONNRESET;
			rl_kill(l);
		}
	}
	quic_flush(r->ep);
	reap(r);
}

static void wr_flush(struct rlink *l)
{
	int s = dgq_flush(&l->q, l->wr);
	if (s == 0)
		return;
	if (s < 0) {
		rl_kill(l);
		return;
	}
	if (l->w_wr) {
		broker_unwatch(l->r->b, l->wr, l->w_wr);
		l->w_wr = NULL;
	}
	if (l->ql)
		quic_link_hold(l->ql, false);
	else
		l->dead = true; /* the peer's end came, all delivered */
}

static void on_wr(void *arg, uint32_t events)
{
	(void)events;
	struct rlink *l = arg;
	wr_flush(l);
	reap(l->r);
}

/* A datagram from the peer, to the program. */
static void deliver(struct rlink *l, const void *buf, size_t len)
{
	if (dgq_empty(&l->q)) {
		int s = dgq_write(l->wr, buf, len);
		if (s == 1)
			return;
		if (s < 0) {
			rl_kill(l);
			return;
		}
	}
	dgq_push(&l->q, buf, len);
	if (!l->w_wr) {
		/* The program is not reading: hold the peer. */
		quic_link_hold(l->ql, true);
		if (broker_watch(l->r->b, l->wr, EPOLLOUT, on_wr, l,
				 &l->w_wr) < 0)
			rl_kill(l);
	}
}

/* --- the link's header ------------------------------------------------------ */

static void answer(struct rlink *l, int status, const struct prog *server)
{
	struct hello m;
	pack_hello(&m, ANSWER_MAGIC, status,
		   server ? (uint32_t)server->t->scope : 0,
		   server ? server->sha256 : NULL, l->name, l->r->self,
		   server ? server->url : NULL);
	(void)quic_link_send(l->ql, &m, sizeof(m));
	if (status < 0)
		rl_kill(l);
}

/* The party that a remote caller links for, as a server's slots count it
 * (links_per_peer): one account of one host, whatever program of it
 * calls, as a local program and its spawns are one party. Derived, not
 * kept: a hash of the pinned host name and the uid, with the top bit set
 * so that it is never a local program's id (those count up from 1). */
static uint64_t remote_party(const char *host, uint32_t uid)
{
	struct hash_ctx h;
	uint8_t d[HASH_SIZE];
	uint64_t party;
	hash_init(&h);
	hash_update(&h, host, strlen(host) + 1);
	hash_update(&h, &uid, sizeof(uid));
	hash_final(&h, d);
	memcpy(&party, d, sizeof(party));
	return party | 1ULL << 63;
}

/* The pinned host's entry of what it holds here, made at its first link. */
static struct rpeer *peer_of(struct remote *r, const char *host)
{
	for (struct rpeer *p = r->peers; p; p = p->next)
		if (strcmp(p->host, host) == 0)
			return p;
	struct rpeer *p = xcalloc(1, sizeof(*p));
	snprintf(p->host, sizeof(p->host), "%s", host);
	p->next = r->peers;
	r->peers = p;
	return p;
}

/* Host p's links open to one serving program. */
static unsigned peer_prog_links(const struct remote *r,
				const struct rpeer *p, uint64_t prog_id)
{
	unsigned n = 0;
	for (const struct rlink *l = r->links; l; l = l->next)
		n += l->from == p && l->prog_id == prog_id && !l->dead;
	return n;
}

/* Whether one more link from host p may open: the bounds of a host, not
 * of an account, since a hostile host claims whatever uid it likes (each
 * a party of its own to a served program). Every hello takes a token,
 * refused ones too, so churning refused links is bounded as well. Each
 * refusal is logged once an episode, which ends at the next link let in:
 * the log stays bounded by the rate. */
static int peer_admit(struct remote *r, struct rpeer *p, const char *name,
		      uint64_t prog_id)
{
	if (!bucket_take(&p->rate, r->lim.rate, r->lim.burst, 1)) {
		if (!p->warned_rate)
			log_warn("host %s: refused a link to %s: over %u new "
				 "links a second (burst %u) from one host",
				 p->host, name, r->lim.rate, r->lim.burst);
		p->warned_rate = true;
		p->refused++;
		return -EAGAIN;
	}
	if (p->links >= r->lim.links) {
		if (!p->warned_cap)
			log_warn("host %s: refused a link to %s: quota of %u "
				 "links from one host reached",
				 p->host, name, r->lim.links);
		p->warned_cap = true;
		return -EDQUOT;
	}
	if (peer_prog_links(r, p, prog_id) >= r->lim.prog_links) {
		if (!p->warned_prog)
			log_warn("host %s: refused a link to %s: quota of %u "
				 "links to one program from one host reached",
				 p->host, name, r->lim.prog_links);
		p->warned_prog = true;
		return -EDQUOT;
	}
	if (p->refused)
		log_info("host %s: %lu links were refused by the rate limit",
			 p->host, p->refused);
	p->warned_cap = p->warned_prog = p->warned_rate = false;
	p->refused = 0;
	return 0;
}

/* The server's side: a caller's hello. The name is looked up among the
 * names this host exports, and nowhere else: an unexported name is
 * refused exactly as one nobody serves. Who calls is the hello's uid,
 * URL and sha256 — the calling host vouches for them — at the host the
 * connection's pinned key proved, never the hello's host field. */
static void on_hello(struct rlink *l, const void *buf, size_t len)
{
	struct remote *r = l->r;
	struct hello m;
	const struct host *h = quic_conn_host(quic_link_conn(l->ql));
	snprintf(l->host, sizeof(l->host), "%s", h ? h->name : "?");
	if (unpack_hello(buf, len, HELLO_MAGIC, &m) < 0) {
		log_warn("host %s: a link without a valid header: refused",
			 l->host);
		answer(l, -EPROTO, NULL);
		return;
	}
	snprintf(l->name, sizeof(l->name), "%s", m.name);
	if (m.host[0] && strcmp(m.host, l->host) != 0)
		log_warn("host %s calls itself %s in a link to %s: ignored, "
			 "its key says %s",
			 l->host, m.host, m.name, l->host);
	struct reg_entry *svc =
		r->exported(r->arg, m.name)
			? registry_service(&r->b->reg, BROKER_SCOPE_PUBLISHED,
					   m.name)
			: NULL;
	if (!svc) {
		log_info("host %s: link to %s refused: not exported here",
			 l->host, m.name);
		answer(l, -ECONNREFUSED, NULL);
		return;
	}
	struct prog *server = prog_of(svc->owner);
	struct rpeer *from = peer_of(r, l->host);
	int s = peer_admit(r, from, m.name, server->id);
	if (s < 0) {
		answer(l, s, NULL);
		return;
	}
	int fds[2];
	uint64_t party = remote_party(l->host, m.uid);
	s = link_to_broker(server, m.name, party, fds);
	if (s < 0) {
		answer(l, s, NULL);
		return;
	}
	l->from = from;
	from->links++;
	struct proto_peer who;
	memset(&who, 0, sizeof(who));
	who.uid = m.uid;
	memcpy(who.sha256, m.sha256, sizeof(who.sha256));
	snprintf(who.host, sizeof(who.host), "%s", l->host);
	snprintf(who.url, sizeof(who.url), "%s", m.url);
	answer(l, 0, server);
	rl_start(l, server, s, fds);
	log_debug("link %u@%s (%s) -> %s (%s): slot %d", (unsigned)m.uid,
		  l->host, m.url, server->url, m.name, s);
	send_opened_who(server, PROTO_INCOMING, svc->handle, (uint32_t)s,
			&who, 0, party_links(server, party));
}

/* The caller's side: the server host's answer. */
static void on_answer(struct rlink *l, const void *buf, size_t len)
{
	struct remote *r = l->r;
	struct prog *p = prog_find(r->b, l->prog_id);
	struct hello m;
	int status = unpack_hello(buf, len, ANSWER_MAGIC, &m) < 0 ? -EPROTO
								   : m.status;
	if (status > 0 || status < -4095)
		status = -EPROTO;
	if (!p || !p->running) {
		rl_kill(l);
		return;
	}
	int fds[2];
	int s = status < 0 ? status : link_to_broker(p, l->name, 0, fds);
	if (s < 0) {
		if (s != -ECONNREFUSED)
			log_info("%s: link to %s on host %s: %s", p->url,
				 l->name, l->host, strerror(-s));
		send_closed(p, l->handle, s);
		rl_kill(l);
		return;
	}
	struct proto_peer who;
	memset(&who, 0, sizeof(who));
	who.uid = m.uid;
	memcpy(who.sha256, m.sha256, sizeof(who.sha256));
	snprintf(who.host, sizeof(who.host), "%s", l->host);
	snprintf(who.url, sizeof(who.url), "%s", m.url);
	rl_start(l, p, s, fds);
	send_opened_who(p, PROTO_OPENED, l->handle, (uint32_t)s, &who, 0, 0);
}

/* --- the transport's callbacks --------------------------------------------- */

static void cb_conn(void *arg, struct quic_conn *c, const struct host *h)
{
	(void)arg;
	(void)c;
	log_debug("host %s: connected", h->name);
}

static void cb_conn_close(void *arg, struct quic_conn *c, int status)
{
	struct remote *r = arg;
	for (struct rconn **pp = &r->conns; *pp; pp = &(*pp)->next)
		if ((*pp)->c == c) {
			struct rconn *k = *pp;
			log_info("host %s: connection ended: %s", k->h->name,
				 status ? strerror(-status) : "closed");
			*pp = k->next;
			free(k);
			return;
		}
}

static void cb_link(void *arg, struct quic_link *ql)
{
	(void)rl_new(arg, ql);
}

static void cb_data(void *arg, struct quic_link *ql, const void *buf,
		    size_t len)
{
	(void)arg;
	struct rlink *l = quic_link_arg(ql);
	if (!l || l->dead)
		return;
	if (l->open)
		deliver(l, buf, len);
	else if (l->client)
		on_answer(l, buf, len);
	else
		on_hello(l, buf, len);
}

static void cb_room(void *arg, struct quic_link *ql)
{
	struct remote *r = arg;
	struct rlink *l = quic_link_arg(ql);
	if (!l || l->dead || !l->pend)
		return;
	if (quic_link_send(l->ql, l->pend, l->pend_len) == -EAGAIN)
		return;
	free(l->pend);
	l->pend = NULL;
	/* Level-triggered: the loop reads the pipe on its next turn. */
	if (broker_watch(r->b, l->rd, EPOLLIN, on_rd, l, &l->w_rd) < 0)
		rl_kill(l);
}

/* The link ended at the transport: status as quic.h says. A program
 * whose link was open hears it in LINK_ENDED, then sees end of file,
 * once what came is delivered (rl_free); one still waiting for it hears
 * the status in CLOSED. */
static void cb_link_close(void *arg, struct quic_link *ql, int status)
{
	struct remote *r = arg;
	struct rlink *l = quic_link_arg(ql);
	if (!l)
		return;
	l->ql = NULL;
	l->status = status;
	if (!l->open && l->client) {
		struct prog *p = prog_find(r->b, l->prog_id);
		if (p && p->running)
			send_closed(p, l->handle, status);
		log_info("link to %s on host %s failed: %s", l->name, l->host,
			 strerror(-status));
	} else if (l->open && status != 0) {
		log_info("link %s with host %s ended: %s (status %d)", l->name,
			 l->host, strerror(-status), status);
	}
	if (dgq_empty(&l->q))
		l->dead = true;
}

/* --- the broker's hook ------------------------------------------------------ */

static struct quic_conn *conn_to(struct remote *r, const struct host *h)
{
	for (struct rconn *k = r->conns; k; k = k->next)
		if (k->h == h)
			return k->c;
	struct quic_conn *c;
	if (quic_connect(r->ep, h, &c) < 0)
		return NULL;
	struct rconn *k = xcalloc(1, sizeof(*k));
	k->c = c;
	k->h = h;
	k->next = r->conns;
	r->conns = k;
	return c;
}

static bool remote_link(void *arg, struct prog *p, int32_t handle,
			const char *name)
{
	struct remote *r = arg;
	struct resolver_result where;
	if (resolver_lookup(r->res, name, &where) < 0)
		return false;
	/* The resolver answers only with pinned hosts (resolver.h); the
	 * connection goes to the pinned entry, its address and key. A name
	 * this host exports is answered as this host: not a remote one. */
	const struct host *h = hosts_by_name(&r->hosts, where.host);
	if (!h || strcmp(h->name, r->self) == 0)
		return false;
	struct quic_conn *c = conn_to(r, h);
	struct quic_link *ql = NULL;
	if (!c || quic_link_open(c, &ql) < 0) {
		send_closed(p, handle, -EHOSTUNREACH);
		return true;
	}
	struct rlink *l = rl_new(r, ql);
	l->client = true;
	l->prog_id = p->id;
	l->handle = handle;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->host, sizeof(l->host), "%s", h->name);
	struct hello m;
	pack_hello(&m, HELLO_MAGIC, 0, (uint32_t)p->t->scope, p->sha256, name,
		   r->self, p->url);
	if (quic_link_send(ql, &m, sizeof(m)) < 0) {
		send_closed(p, handle, -EHOSTUNREACH);
		rl_kill(l);
	}
	reap(r);
	return true;
}

/* --- the endpoint ------------------------------------------------------------ */

static void on_ep(void *arg, uint32_t events)
{
	(void)events;
	struct remote *r = arg;
	quic_on_readable(r->ep);
	reap(r);
}

static void on_res(void *arg, uint32_t events)
{
	(void)events;
	struct remote *r = arg;
	resolver_on_readable(r->res);
}

/* ms from now until ns (CLOCK_MONOTONIC), 0 if due, -1 for UINT64_MAX. */
static int ms_until(uint64_t ns, uint64_t now)
{
	if (ns == UINT64_MAX)
		return -1;
	return ns <= now ? 0 : (int)((ns - now) / 1000000 + 1);
}

int remote_tick(struct remote *r)
{
	if (!r)
		return -1;
	uint64_t now = now_ns(), next = quic_next_timeout_ns(r->ep);
	if (next <= now) {
		quic_on_timer(r->ep);
		reap(r);
		next = quic_next_timeout_ns(r->ep);
		now = now_ns();
	}
	uint64_t rnext = resolver_next_timeout_ns(r->res);
	if (rnext <= now) {
		resolver_on_timer(r->res);
		rnext = resolver_next_timeout_ns(r->res);
		now = now_ns();
	}
	int a = ms_until(next, now), b = ms_until(rnext, now);
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

int remote_export(struct remote *r, const char *name)
{
	int ret = resolver_register(r->res, name);
	if (ret == -EINVAL && !r->self[0])
		log_warn("%s not exported: this host's key is not in its hosts "
			 "file, so peers could not reach it", name);
	else if (ret == 0)
		log_info("exported %s to other hosts", name);
	return ret == -EEXIST ? 0 : ret;
}

void remote_withdraw(struct remote *r, bool (*keep)(void *, const char *),
		     void *arg)
{
	const char *name;
	for (size_t i = 0; (name = resolver_export(r->res, i));) {
		if (keep(arg, name)) {
			i++;
			continue;
		}
		log_info("withdrew %s from other hosts", name);
		(void)resolver_unregister(r->res, name);
	}
}

/* This host's key: made at first start, only root may read it. */
static int host_key(const char *path, uint8_t fp[HOST_KEY_SIZE],
		    struct error *e)
{
	struct stat st;
	if (stat(path, &st) < 0 && errno == ENOENT) {
		int r = hostkey_generate(path, fp, e);
		if (r == 0) {
			char text[HOST_KEY_TEXT_SIZE];
			hosts_format_key(fp, text);
			log_info("made this host's key %s: %s", path, text);
		}
		return r;
	}
	return hostkey_fingerprint(path, fp, e);
}

int remote_open(struct broker *b, const struct remote_opts *o,
		struct remote **out, struct error *e)
{
	struct remote *r = xcalloc(1, sizeof(*r));
	r->b = b;
	r->exported = o->exported;
	r->arg = o->arg;
	remote_set_limits(r, &o->limits);
	uint8_t fp[HOST_KEY_SIZE];
	struct quic_opts q = {
		.key_path = o->key_path, .hosts = &r->hosts,
		.idle_ms = o->idle_ms,
		.handshake_ms = o->handshake_ms,
		.cb = { .on_conn = cb_conn, .on_conn_close = cb_conn_close,
			.on_link = cb_link, .on_data = cb_data,
			.on_room = cb_room, .on_link_close = cb_link_close },
		.arg = r,
	};
	int ret = host_key(o->key_path, fp, e);
	if (ret == 0)
		ret = hosts_load(o->hosts_path, &r->hosts, e);
	const struct host *self = ret == 0 ? hosts_by_key(&r->hosts, fp) : NULL;
	if (self)
		snprintf(r->self, sizeof(r->self), "%s", self->name);
	if (ret == 0) {
		struct resolver_opts ro = o->resolver;
		ro.hosts = &r->hosts;
		ro.self = self;
		ret = resolver_open(&ro, &r->res, e);
	}
	if (ret == 0 && resolver_fd(r->res) >= 0 &&
	    (ret = broker_watch(b, resolver_fd(r->res), EPOLLIN, on_res, r,
				&r->w_res)) < 0)
		error_sys(e, -ret, "epoll");
	if (ret == 0 && hosts_parse_addr(o->listen, &q.bind, &q.bindlen) < 0)
		ret = error_set(e, EINVAL, "listen: %s is not ADDRESS:PORT",
				o->listen);
	if (ret == 0)
		ret = quic_open(&q, &r->ep, e);
	if (ret == 0 && (ret = broker_watch(b, quic_fd(r->ep), EPOLLIN, on_ep,
					   r, &r->w_ep)) < 0)
		error_sys(e, -ret, "epoll");
	if (ret < 0) {
		remote_close(r);
		return ret;
	}
	b->remote_link = remote_link;
	b->remote_arg = r;
	log_info("links to other hosts on %s, as host %s", o->listen,
		 r->self[0] ? r->self : "(not in the hosts file)");
	*out = r;
	return 0;
}

void remote_stop(struct remote *r)
{
	if (!r)
		return;
	/* Each close reports every link of its connection (cb_link_close
	 * clears their ql), so each connection is closed once. */
	for (struct rlink *l = r->links; l; l = l->next)
		if (l->ql)
			quic_conn_close(quic_link_conn(l->ql));
	reap(r);
}

void remote_close(struct remote *r)
{
	if (!r)
		return;
	if (r->b->remote_arg == r) {
		r->b->remote_link = NULL;
		r->b->remote_arg = NULL;
	}
	for (struct rlink *l = r->links; l; l = l->next) {
		if (l->ql)
			l->status = -ECONNABORTED;
		l->dead = true;
	}
	reap(r);
	if (r->w_ep)
		broker_unwatch(r->b, quic_fd(r->ep), r->w_ep);
	quic_close(r->ep);
	while (r->peers) {
		struct rpeer *p = r->peers;
		r->peers = p->next;
		free(p);
	}
	while (r->conns) {
		struct rconn *k = r->conns;
		r->conns = k->next;
		free(k);
	}
	if (r->w_res)
		broker_unwatch(r->b, resolver_fd(r->res), r->w_res);
	resolver_close(r->res);
	hosts_free(&r->hosts);
	free(r);
}

void remote_set_limits(struct remote *r, const struct remote_limits *lim)
{
	if (!r)
		return;
	r->lim = *lim;
	if (!r->lim.links)
		r->lim.links = REMOTE_HOST_LINKS;
	if (!r->lim.prog_links)
		r->lim.prog_links = REMOTE_HOST_PROG_LINKS;
	if (!r->lim.rate)
		r->lim.rate = REMOTE_HOST_RATE;
	if (!r->lim.burst)
		r->lim.burst = REMOTE_HOST_BURST;
}

void remote_counts(const struct remote *r, unsigned *links, unsigned *conns)
{
	*links = *conns = 0;
	if (r)
		quic_counts(r->ep, conns, links);
}

/* broker_ctl.c — a program's control link (broker_int.h): every request
 * it sends is checked (proto_check), charged to its rate limit and served
 * here: links to named services (made of two pipes whose ends go straight
 * into the two programs' rings), names served, subscriptions and
 * broadcasts, spawns and kills of its children, and closes. The broker
 * serves each program a bounded batch of work at a time. */
#include "broker_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"

/* --- links ----------------------------------------------------------------- */

/* A free data slot of p other than `taken`, within p's link quota
 * (counting `taken` as used), or -1. */
static int free_slot(struct prog *p, int taken)
{
	if (p->nlinks + (taken > 0) >= p->t->o->quotas.links)
		return -1;
	for (int s = 1; s < PROTO_SLOTS; s++)
		if (!p->slots[s].used && s != taken)
			return s;
	return -1;
}

/* Closes what pipe2() made of fds, if anything. */
static void close_pair(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Ends one side of a link: both its pipe ends leave p's ring. The ring
 * held the only write end of the peer's receiving pipe, so the peer reads
 * end of file once what was written before is read; its sends fail with
 * EPIPE once p's read of the other pipe is gone too (libfakeos cancels it
 * when it closes the link, and the kernel when p exits). */
void slot_close(struct prog *p, int s)
{
	struct slot *sl = &p->slots[s];
	if (!sl->used)
		return;
	if (p->running && p->ring >= 0) {
		struct error e;
		if (ring_install_link(p->ring, (unsigned)s, -1, -1, &e) < 0)
			log_debug("%s: %s", p->url, e.msg);
	}
	sl->used = false;
	sl->peer = sl->party = sl->remote = 0;
	p->nlinks--;
}

/* Connects client (which asked with handle) to the server of a name: two
 * pipes in packet mode, one per direction (proto.h, PROTO_FILES), their
 * ends in the two rings and nowhere else: the broker keeps no copy. Data
 * then flows between the two programs directly. Pipes, not a
 * SOCK_SEQPACKET pair: a datagram through a pipe costs a copy into a page
 * the pipe keeps, through a socket an skb allocated and accounted each
 * time, which made a link slower than a raw socketpair (docs/BENCH.md,
 * section 3). */
/* The party a client links for, as a server's slots count it: the
 * highest of the client and its ancestors that is neither the server nor
 * one of the server's ancestors. A program and everything it spawned are
 * one party to a server outside them, so the helpers a client spawns from
 * its own origin share its links_per_peer, while two programs their
 * common parent spawned are two parties, and a parent linking to its own
 * child is a party of one. */
static uint64_t link_party(const struct prog *client,
			   const struct prog *server)
{
	const struct prog *party = client;
	for (const struct prog *a = client; a; a = a->parent) {
		for (const struct prog *s = server; s; s = s->parent)
			if (s == a)
				return party->id;
		party = a;
	}
	return party->id;
}

/* Open links of server's that party holds. */
unsigned party_links(const struct prog *server, uint64_t party)
{
	unsigned n = 0;
	for (int s = 1; s < PROTO_SLOTS; s++)
		n += server->slots[s].used && server->slots[s].party == party;
	return n;
}

/* A server whose slots are all taken refuses every new client. Says so
 * once per server, naming who holds the slots, party by party, largest
 * first: those are the programs to look at, not the server. */
static void slots_full(struct prog *server, const struct prog *client,
		       const char *name)
{
	if (server->warned & Q_SLOTS_FULL)
		return;
	server->warned |= Q_SLOTS_FULL;
	struct held {
		uint64_t party;
		unsigned n;
	} held[PROTO_SLOTS];
	unsigned nparties = 0;
	memset(held, 0, sizeof(held));
	for (int s = 1; s < PROTO_SLOTS; s++) {
		if (!server->slots[s].used)
			continue;
		unsigned i = 0;
		while (i < nparties && held[i].party != server->slots[s].party)
			i++;
		if (i == nparties)
			held[nparties++].party = server->slots[s].party;
		held[i].n++;
	}
	char list[768] = "";
	size_t used = 0;
	for (unsigned k = 0; k < nparties && k < 4; k++) {
		unsigned best = k;
		for (unsigned i = k + 1; i < nparties; i++)
			if (held[i].n > held[best].n)
				best = i;
		struct held t = held[k];
		held[k] = held[best];
		held[best] = t;
		struct prog *p = prog_find(server->b, held[k].party);
		int w = snprintf(list + used, sizeof(list) - used,
				 "%s%s (id %llu) and its spawns: %u", k ? "; " : "",
				 p ? p->url : "?",
				 (unsigned long long)held[k].party, held[k].n);
		if (w < 0 || (size_t)w >= sizeof(list) - used)
			break;
		used += (size_t)w;
	}
	log_warn("link slots full: %s held by %s%s (%u links in all); %s "
		 "(id %llu) refused a link to %s (id %llu)",
		 name, list, nparties > 4 ? "; and others" : "",
		 server->nlinks, client->url, (unsigned long long)client->id,
		 server->url, (unsigned long long)server->id);
}

/* The smaller buffer of a link's two pipes, in bytes. The kernel gives
 * pipes of 64 KiB (16 datagrams) unless the user that owns them, when it is
 * not privileged, is past fs.pipe-user-pages-soft: then 2 pages. A link
 * still works so, with less in flight; the operator hears of it once. */
static int pipe_bytes(struct broker *b, int up, int down)
{
	int a = fcntl(up, F_GETPIPE_SZ), z = fcntl(down, F_GETPIPE_SZ);
	int n = a < z ? a : z;
	if (n > 0 && n < 16 * PROTO_PAGE && !b->small_pipes_told) {
		b->small_pipes_told = true;
		log_warn("links now get pipes of %d bytes, not 65536: this user "
			 "is past fs.pipe-user-pages-soft; they work, with %d "
			 "datagrams in flight each way instead of 16",
			 n, n / PROTO_PAGE);
	}
	return n;
}

enum account_what { ACCOUNT_PROGRAMS, ACCOUNT_LINKS, ACCOUNT_SERVICES };

/* fakeosd: is p's account at its quota of what? Says so once per
 * program, naming the account. */
static bool account_full(struct prog *p, enum account_what what)
{
	static const char *const names[] = {
		[ACCOUNT_PROGRAMS] = "programs of this account",
		[ACCOUNT_LINKS] = "link ends held by this account",
		[ACCOUNT_SERVICES] = "names served by this account",
	};
	const struct broker_account *a = p->t->account;
	if (!a)
		return false;
	struct broker_account used;
	broker_account_usage(p->b, a, &used);
	unsigned have = what == ACCOUNT_PROGRAMS ? used.programs
			: what == ACCOUNT_LINKS	 ? used.links
						 : used.services;
	unsigned max = what == ACCOUNT_PROGRAMS ? a->programs
		       : what == ACCOUNT_LINKS	? a->links
						: a->services;
	if (have < max)
		return false;
	if (!(p->warned & Q_ACCOUNT)) {
		p->warned |= Q_ACCOUNT;
		log_warn("%s: refused: quota of %u %s (uid %u) reached", p->url,
			 max, names[what], (unsigned)a->uid);
	}
	return true;
}

static void link_make(struct prog *client, int32_t handle,
		      const struct reg_entry *svc)
{
	struct prog *server = prog_of(svc->owner);
	const char *name = reg_entry_name(svc);
	/* Both ends count: a link holds one end in each program. */
	if (account_full(client, ACCOUNT_LINKS) ||
	    (server->t->account != client->t->account &&
	     account_full(server, ACCOUNT_LINKS))) {
		send_closed(client, handle, quota_errno(client));
		return;
	}
	unsigned per_peer = client->t->o->quotas.links_per_peer;
	uint64_t party = link_party(client, server);
	if (party_links(server, party) >= per_peer) {
		if (!(client->warned & Q_PEER)) {
			client->warned |= Q_PEER;
			struct prog *pp = prog_find(client->b, party);
			log_warn("%s: refused: quota of %u links to one program "
				 "(%s) reached by %s (id %llu) and the "
				 "programs it spawned",
				 client->url, per_peer, server->url,
				 pp ? pp->url : "?",
				 (unsigned long long)party);
		}
		send_closed(client, handle, quota_errno(client));
		return;
	}
	int cs = free_slot(client, 0);
	if (cs < 0) {
		quota_refused(client, Q_LINKS, "links per program",
			      client->t->o->quotas.links);
		send_closed(client, handle, quota_errno(client));
		return;
	}
	/* A program may link to itself: two slots of its own. */
	int ss = free_slot(server, client == server ? cs : 0);
	if (ss < 0) {
		if (client == server) {
			quota_refused(client, Q_LINKS, "links per program",
				      client->t->o->quotas.links);
		} else {
			slots_full(server, client, name);
		}
		send_closed(client, handle,
			    client == server ? quota_errno(client)
					     : -ECONNREFUSED);
		return;
	}
	/* O_DIRECT: packet mode, where each write of at most PIPE_BUF
	 * (a page) is one datagram, read back whole by one read. */
	int up[2] = { -1, -1 }, down[2] = { -1, -1 }; /* client -> server, back */
	if (pipe2(up, O_DIRECT | O_CLOEXEC) < 0 ||
	    pipe2(down, O_DIRECT | O_CLOEXEC) < 0) {
		int err = errno;
		log_warn("%s: link to %s: pipe2: %s", client->url, name,
			 strerror(err));
		close_pair(up);
		send_closed(client, handle, -err);
		return;
	}
	int bytes = pipe_bytes(client->b, up[1], down[1]);
	struct error e;
	int bad = ring_install_link(client->ring, (unsigned)cs, down[0], up[1],
				    &e) < 0;
	if (!bad && ring_install_link(server->ring, (unsigned)ss, up[0],
				      down[1], &e) < 0) {
		struct error ignored;
		(void)ring_install_link(client->ring, (unsigned)cs, -1, -1,
					&ignored);
		bad = 1;
	}
	close_pair(up);
	close_pair(down);
	if (bad) {
		log_warn("%s: link to %s: %s", client->url, name, e.msg);
		send_closed(client, handle, -EIO);
		return;
	}
	/* A link to itself holds two of the program's slots, both its own
	 * party's: 8 such links are the 16 of the per-party quota. */
	client->slots[cs] = (struct slot){ true, server->id,
					   client == server ? party : 0, "",
					   0 };
	server->slots[ss] = (struct slot){ true, client->id, party, "", 0 };
	snprintf(client->slots[cs].name, sizeof(client->slots[cs].name), "%s",
		 name);
	snprintf(server->slots[ss].name, sizeof(server->slots[ss].name), "%s",
		 name);
	client->nlinks++;
	server->nlinks++;
	log_debug("link %s -> %s (%s): slots %d and %d, pipes of %d bytes",
		  client->url, server->url, name, cs, ss, bytes);
	send_opened(client, PROTO_OPENED, handle, (uint32_t)cs, server,
		    server->id, 0);
	/* The server sees how many of its links this client's party holds,
	 * so it can refuse a party that hoards (a program and the helpers
	 * it spawned), not only a single client. */
	send_opened(server, PROTO_INCOMING, svc->handle, (uint32_t)ss, client,
		    client->id, party_links(server, party));
}

/* A link of p's whose other end is the broker's own (remote.c relays it
 * to another host): a free slot of p's, within its quotas, gets two pipes
 * like link_make's, p's ends in its ring; the broker keeps fds[0], what p
 * sends, and fds[1], what p receives, both non-blocking. Returns the slot,
 * or a negative errno for p's FK_EV_CLOSED (or the remote caller's).
 * party: 0 for p's own link, or the party of the remote caller that p
 * serves, held to links_per_peer as a local party is (remote_party). */
int link_to_broker(struct prog *p, const char *name, uint64_t party,
		   int fds[2])
{
	if (!p->running || p->ring < 0)
		return -ECONNREFUSED;
	if (account_full(p, ACCOUNT_LINKS))
		return quota_errno(p);
	unsigned per_peer = p->t->o->quotas.links_per_peer;
	if (party && party_links(p, party) >= per_peer) {
		if (!(p->warned & Q_PEER)) {
			p->warned |= Q_PEER;
			log_warn("%s: refused a link to %s: quota of %u links "
				 "to one program reached by one account of "
				 "another host",
				 p->url, name, per_peer);
		}
		/* The remote caller's program hears it: -EDQUOT, whatever
		 * version p speaks. */
		return -EDQUOT;
	}
	int s = free_slot(p, 0);
	if (s < 0) {
		quota_refused(p, Q_LINKS, "links per program",
			      p->t->o->quotas.links);
		return quota_errno(p);
	}
	int up[2] = { -1, -1 }, down[2] = { -1, -1 };
	/* The broker's ends do not block, p's do (as link_make's). Packet
	 * mode is the writer's: F_SETFL cannot set O_DIRECT on a pipe, but
	 * a read end without it still reads one datagram at a time. */
	if (pipe2(up, O_DIRECT | O_CLOEXEC) < 0 ||
	    pipe2(down, O_DIRECT | O_CLOEXEC | O_NONBLOCK) < 0) {
		int err = errno;
		close_pair(up);
		return -err;
	}
	struct error e;
	if (fcntl(up[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(down[0], F_SETFL, 0) < 0 ||
	    ring_install_link(p->ring, (unsigned)s, down[0], up[1], &e) < 0) {
		log_warn("%s: link to %s: cannot install it", p->url, name);
		close_pair(up);
		close_pair(down);
		return -EIO;
	}
	close(down[0]);
	close(up[1]);
	fds[0] = up[0];
	fds[1] = down[1];
	p->slots[s] = (struct slot){ true, 0, party, "", 0 };
	snprintf(p->slots[s].name, sizeof(p->slots[s].name), "%s", name);
	p->nlinks++;
	return s;
}

/* --- requests from a program --------------------------------------------------------- */

static struct prog *find_child(struct prog *p, int32_t h)
{
	struct tree *t = p->t;
	for (struct prog *c = t->progs; c; c = c->next)
		if (c->parent == p && c->parent_handle == h && c->running)
			return c;
	return NULL;
}

static bool handle_live(struct prog *p, int32_t h)
{
	return registry_find(&p->reg, h) || spawn_find(p, h) ||
	       find_child(p, h);
}

static void on_link(struct broker *b, struct prog *p, const struct proto_name *m)
{
	struct tree *t = p->t;
	/* The system's names first (the HTTP gateway): a program serving
	 * one must never see the links meant for it. */
	if (broker_system_name(m->name)) {
		if (!b->own_link ||
		    !b->own_link(b->own_arg, p, m->hdr.handle, m->name))
			send_closed(p, m->hdr.handle, -ECONNREFUSED);
		return;
	}
	/* Its own account's names, then those the operator's services
	 * publish to every account. */
	struct reg_entry *svc = registry_service(&b->reg, t->scope, m->name);
	if (!svc)
		svc = registry_service(&b->reg, BROKER_SCOPE_PUBLISHED,
				       m->name);
	if (svc) {
		link_make(p, m->hdr.handle, svc);
		return;
	}
	/* Served on another host (remote.c), if fakeosd links hosts. */
	if (b->remote_link && b->remote_link(b->remote_arg, p, m->hdr.handle,
					     m->name))
		return;
	if (prog_pending(p) >= t->o->quotas.pending) {
		quota_refused(p, Q_PENDING, "requests waiting per program",
			      t->o->quotas.pending);
		send_closed(p, m->hdr.handle, -EAGAIN);
		return;
	}
	/* Nobody serves it yet: wait a while for it to appear, so a client
	 * may start before its server without polling. Waiting clients are
	 * linked in the order they asked. */
	int err;
	(void)registry_add(&b->reg, REG_WAITER, t->scope, m->name, &p->reg,
			   m->hdr.handle,
			   now_ns() + (uint64_t)PROTO_LINK_WAIT_MS * 1000000,
			   &err);
}

bool broker_system_name(const char *name)
{
	return strncmp(name, BROKER_SYSTEM_PREFIX,
		       strlen(BROKER_SYSTEM_PREFIX)) == 0;
}

/* Whether the tree publishes name (only a fakeosd service's can). */
static bool published(const struct tree *t, const char *name)
{
	for (unsigned i = 0; i < t->npublish; i++)
		if (strcmp(t->publish[i], name) == 0)
			return true;
	return false;
}

static void on_serve(struct broker *b, struct prog *p, const struct proto_name *m)
{
	struct tree *t = p->t;
	bool pub = published(t, m->name);
	uint64_t scope = pub ? BROKER_SCOPE_PUBLISHED : t->scope;
	if (broker_system_name(m->name) ||
	    registry_service(&b->reg, scope, m->name)) {
		send_closed(p, m->hdr.handle, -EADDRINUSE);
		return;
	}
	if (p->reg.count[REG_SERVICE] >= t->o->quotas.services) {
		quota_refused(p, Q_SERVICES, "served names per program",
			      t->o->quotas.services);
		send_closed(p, m->hdr.handle, quota_errno(p));
		return;
	}
	if (account_full(p, ACCOUNT_SERVICES)) {
		send_closed(p, m->hdr.handle, quota_errno(p));
		return;
	}
	int err;
	struct reg_entry *s = registry_add(&b->reg, REG_SERVICE, scope, m->name,
					   &p->reg, m->hdr.handle, 0, &err);
	send_opened(p, PROTO_OPENED, m->hdr.handle, 0, NULL, 0, 0);
	if (pub)
		log_info("%s serves %s host-wide", p->url, m->name);
	/* Clients that were waiting for this name get their links now: of
	 * its own account, or of every account for a published name. */
	struct reg_entry *w;
	while ((w = pub ? registry_first_waiter_any(&b->reg, m->name)
			: registry_first_waiter(&b->reg, t->scope, m->name))) {
		struct prog *client = prog_of(w->owner);
		int32_t handle = w->handle;
		registry_remove(&b->reg, w);
		link_make(client, handle, s);
	}
}

static void on_subscribe(struct broker *b, struct prog *p,
			 const struct proto_name *m)
{
	struct tree *t = p->t;
	if (p->reg.count[REG_SUBSCRIBER] >= t->o->quotas.subscriptions) {
		quota_refused(p, Q_SUBS, "subscriptions per program",
			      t->o->quotas.subscriptions);
		send_closed(p, m->hdr.handle, quota_errno(p));
		return;
	}
	int err;
	if (!registry_add(&b->reg, REG_SUBSCRIBER, t->scope, m->name, &p->reg,
			  m->hdr.handle, 0, &err)) {
		send_closed(p, m->hdr.handle, err); /* -EEXIST */
		return;
	}
	send_opened(p, PROTO_OPENED, m->hdr.handle, 0, NULL, 0, 0);
}

unsigned broadcast_fanout(struct broker *b, uint64_t scope,
			  const struct proto_broadcast *m, bool paid,
			  uint32_t lost)
{
	unsigned n;
	const struct reg_list *subs = registry_subscribers(&b->reg, scope,
							   m->channel, &n);
	if (!subs)
		return 0;
	size_t len = m->hdr.len;
	struct proto_broadcast *d = paid ? xmalloc(len) : NULL;
	if (d) {
		memcpy(d, m, len);
		d->hdr.type = PROTO_DELIVER;
	}
	for (struct reg_node *node = reg_list_first(subs); node;
	     node = reg_list_next(subs, node)) {
		struct reg_entry *s = reg_container(node, struct reg_entry,
						    by_name);
		struct prog *to = prog_of(s->owner);
		if (!to->running)
			continue;
		s->dropped += lost;
		if (!d) {
			s->dropped++;
			continue;
		}
		d->hdr.version = to->version;
		d->hdr.handle = s->handle;
		d->dropped = s->dropped;
		if (!to->out_head && ctl_try(to, d, len))
			s->dropped = 0;
		else
			s->dropped++;
	}
	free(d);
	return n;
}

/* Fans a broadcast out to every subscriber's control link, and returns
 * what that cost the broker in sends. Best effort: a subscriber whose link
 * is full loses the message, and the next one it gets says how many it
 * lost; the broker never holds broadcasts itself. Each delivery is charged
 * to the sender (quotas.delivery_rate): a broadcast its bucket cannot pay
 * for is dropped whole, counted as lost by every subscriber, and costs
 * the broker no send. So a sender's cost to the broker is bounded however
 * many programs subscribe, and a sender is never killed for what others
 * chose to subscribe to. On a channel the operator made network-wide
 * (fakeosd.conf's broadcast), the send to the network is one delivery
 * more, and an unpaid broadcast is lost on the other hosts too. */
static unsigned on_broadcast(struct broker *b, struct prog *p,
			     const struct proto_broadcast *m)
{
	struct tree *t = p->t;
	const struct broker_quotas *q = &t->o->quotas;
	unsigned n;
	(void)registry_subscribers(&b->reg, t->scope, m->channel, &n);
	bool net = b->net_wide && b->net_wide(b->net_arg, m->channel);
	unsigned cost = n + (net ? 1 : 0);
	if (!cost)
		return 0;
	bool paid = bucket_take(&p->deliveries, q->delivery_rate,
				q->delivery_burst, cost);
	if (!paid && !(p->warned & Q_DELIVERIES)) {
		p->warned |= Q_DELIVERIES;
		log_warn("%s: broadcasts dropped: quota of %u deliveries a "
			 "second reached (%u subscribers to %s%s)",
			 p->url, q->delivery_rate, n, m->channel,
			 net ? ", and the network" : "");
	}
	(void)broadcast_fanout(b, t->scope, m, paid, 0);
	if (net)
		b->net_send(b->net_arg, t->scope, m, paid);
	return paid ? cost : 0;
}

static void on_spawn(struct prog *p, const struct proto_spawn *m)
{
	struct tree *t = p->t;
	unsigned starting = spawn_starting(t);
	if (t->alive + starting >= t->o->quotas.programs) {
		quota_refused(p, Q_PROGRAMS, "programs per tree",
			      t->o->quotas.programs);
		send_exited(p, m->hdr.handle, EXIT_CANNOT_RUN, SPAWN_QUOTA);
		return;
	}
	if (account_full(p, ACCOUNT_PROGRAMS)) {
		send_exited(p, m->hdr.handle, EXIT_CANNOT_RUN, SPAWN_QUOTA);
		return;
	}
	if (prog_pending(p) >= t->o->quotas.pending) {
		quota_refused(p, Q_PENDING, "requests waiting per program",
			      t->o->quotas.pending);
		send_exited(p, m->hdr.handle, EXIT_CANNOT_RUN, SPAWN_QUOTA);
		return;
	}
	spawn_start(p, m->hdr.handle, m);
}

static void on_close(struct broker *b, struct prog *p, const struct proto_close *m)
{
	int32_t h = m->hdr.handle;
	if (m->slot != 0) {
		slot_close(p, (int)m->slot);
		return;
	}
	struct reg_entry *e = registry_find(&p->reg, h);
	if (e) {
		registry_remove(&b->reg, e);
		return;
	}
	struct job *j = spawn_find(p, h);
	if (j) {
		spawn_cancel(j);
		return;
	}
	struct prog *c = find_child(p, h);
	if (c) {
		c->parent_handle = 0; /* closed: no EXITED for it */
		prog_end(c);
	}
	/* Anything else was already gone: closing is idempotent. */
}

static void on_kill(struct prog *p, int32_t h)
{
	struct prog *c = find_child(p, h);
	if (c) {
		prog_end(c);
		return;
	}
	/* Still being fetched: it will not start, its worker stops now, and
	 * its parent hears the same status as for a child killed running. */
	struct job *j = spawn_find(p, h);
	if (j) {
		spawn_cancel(j);
		send_exited(p, h, 128 + SIGKILL, SPAWN_KILLED);
	}
}

/* One request: checked, then served. Returns what it cost the broker, in
 * sends: 1, or 1 and a broadcast's deliveries. */
static unsigned on_request(struct broker *b, struct prog *p, const void *buf,
			   size_t n)
{
	struct tree *t = p->t;
	const char *why;
	if (proto_check(buf, n, 1, &why) < 0) {
		prog_kill(p, "malformed control message: %s", why);
		return 1;
	}
	if (!bucket_take(&p->msgs, t->o->quotas.rate, t->o->quotas.burst, 1)) {
		prog_kill(p, "control message flood (over %u a second)",
			  t->o->quotas.rate);
		return 1;
	}
	const struct proto_hdr *h = buf;
	if (!p->spoke) {
		p->spoke = true;
		p->version = h->version;
		if (p->version < PROTO_VERSION)
			log_debug("%s: speaks protocol version %u", p->url,
				  p->version);
	} else if (h->version != p->version) {
		prog_kill(p, "malformed control message: protocol version %u "
			     "after %u",
			  h->version, p->version);
		return 1;
	}
	bool opens = h->type == PROTO_LINK || h->type == PROTO_SERVE ||
		     h->type == PROTO_SUBSCRIBE || h->type == PROTO_SPAWN;
	if (opens && handle_live(p, h->handle)) {
		prog_kill(p, "control message reuses live handle %d",
			  h->handle);
		return 1;
	}
	switch (h->type) {
	case PROTO_LINK:
		on_link(b, p, buf);
		break;
	case PROTO_SERVE:
		on_serve(b, p, buf);
		break;
	case PROTO_SUBSCRIBE:
		on_subscribe(b, p, buf);
		break;
	case PROTO_BROADCAST:
		return 1 + on_broadcast(b, p, buf);
	case PROTO_SPAWN:
		on_spawn(p, buf);
		break;
	case PROTO_KILL:
		on_kill(p, h->handle);
		break;
	case PROTO_CLOSE:
		on_close(b, p, buf);
		break;
	}
	return 1;
}

/* How much one program's control link may cost the broker per wake-up,
 * in sends (a request is one, a broadcast one more per delivery). The
 * loop serves every ready program in turn, so a request waits behind at
 * most one batch of each other busy program: with the defaults, 64
 * sends each (docs/SECURITY.md, "Broadcast cost is charged by fan-out"). */
#define CONTROL_BATCH 64

void ctl_on_readable(struct prog *p, uint32_t events)
{
	struct broker *b = p->b;
	if (events & EPOLLOUT)
		ctl_flush(p);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
		return;
	union {
		struct proto_hdr h;
		unsigned char bytes[PROTO_PAGE];
	} msg;
	for (unsigned cost = 0;
	     cost < CONTROL_BATCH && p->running && !p->dying;) {
		ssize_t n = recv(p->ctl, &msg, sizeof(msg),
				 MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				broker_ep_del(b, p->ctl);
			return;
		}
		if (n == 0) {
			/* On a SOCK_SEQPACKET socket 0 is either the end (the
			 * program is exiting: its ring, and so its end, is
			 * gone) or an empty datagram, which is malformed. */
			if (events & (EPOLLHUP | EPOLLRDHUP)) {
				broker_ep_del(b, p->ctl);
				return;
			}
			prog_kill(p, "malformed control message: shorter than "
				     "a header (0 bytes)");
			return;
		}
		if ((size_t)n > sizeof(msg)) {
			prog_kill(p, "oversized control message (%zd bytes, "
				     "at most %d)",
				  n, PROTO_PAGE);
			return;
		}
		cost += on_request(b, p, &msg, (size_t)n);
	}
}

/* Link requests whose name never appeared fail; returns the time until
 * the next deadline in ms, or -1 when nothing waits. */
int ctl_expire_waiters(struct broker *b)
{
	uint64_t now = now_ns();
	struct reg_entry *w;
	while ((w = registry_expired(&b->reg, now))) {
		struct prog *from = prog_of(w->owner);
		int32_t handle = w->handle;
		registry_remove(&b->reg, w);
		send_closed(from, handle, -ECONNREFUSED);
	}
	uint64_t next = registry_next_deadline(&b->reg);
	if (next == UINT64_MAX)
		return -1;
	return (int)((next - now) / 1000000 + 1);
}


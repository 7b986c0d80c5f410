/* broker.c — see broker.h.
 *
 * One event loop (epoll) serves everything the broker waits for: each
 * program's control link, console pipes, seccomp notifications and exit
 * (a pidfd); spawn workers; signals to the launcher (a signalfd); and the
 * wall-clock limit. Deadlines of requests that wait (a link to a name not
 * yet served) set the loop's timeout.
 *
 * Trust: the broker is privileged and every program is hostile. A control
 * message is checked field by field (proto_check) before anything reads
 * it; a program that sends a malformed or oversized message, reuses a live
 * handle, floods, or stops reading its replies is killed with the reason in
 * the log, and nothing it did reaches another program except through the
 * links and broadcasts the API grants. Quotas bound what each may hold. */
#include "broker.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup.h"
#include "log.h"
#include "policy.h"
#include "proto.h"
#include "relay.h"
#include "registry.h"
#include "ring.h"
#include "url.h"

#define CGROUP_PIDS_MAX 16 /* the program and io_uring's workers */

enum watch_kind {
	W_CONTROL, W_RELAY_FROM, W_RELAY_TO, W_NOTIFY, W_PIDFD, W_WORKER,
	W_SIGNAL, W_TIMER,
};

struct watch {
	enum watch_kind kind;
	void *ptr; /* struct prog, struct relay or struct job */
};

/* A message the program has not read yet: kept, in order, up to the
 * quota; a program that lets them pile up is killed. */
struct queued {
	struct queued *next;
	size_t len;
	unsigned char buf[];
};

/* One end of a link, as the broker sees it in a program's ring. */
struct slot {
	bool used; /* a link is in it */
	uint64_t peer; /* the program at the other end */
	uint64_t party; /* ... and the party it links for (link_party) */
};

/* A token bucket: `rate` a second, up to `burst` saved. */
struct bucket {
	double tokens;
	uint64_t at;
};

struct prog {
	struct broker *b;
	struct prog *next; /* all programs, in start order */
	uint64_t id;
	struct prog *parent;
	int32_t parent_handle; /* the parent's handle for us; 0: none */
	char *url;
	char *home; /* its origin or directory: where it may spawn from */
	bool running; /* not yet reaped */
	bool dying; /* killed by the broker; reason logged */
	bool quiet; /* ended on request (a parent, the tree ending): no log */
	int status; /* the exit status fakeos-run(1) would give */

	struct jail_proc proc;
	int ring; /* the broker's descriptor of the program's ring */
	int ctl; /* the broker's end of the control link */
	struct queued *out_head, *out_tail;
	unsigned out_count;
	bool ctl_waiting; /* EPOLLOUT registered */
	struct relay out, err, in;
	struct slot slots[PROTO_SLOTS];
	unsigned nlinks;
	unsigned njobs; /* spawn workers charged to it, until reaped */
	struct reg_owner reg; /* its names, waiting links, subscriptions */
	struct bucket msgs; /* control messages: past it, killed */
	struct bucket deliveries; /* broadcast deliveries: past it, dropped */

	/* The protocol version it speaks: its first message's, and every
	 * later one's; PROTO_VERSION_MIN until it has said. */
	uint16_t version;
	bool spoke;

	bool forbidden; /* killed for a forbidden call ... */
	int forbidden_nr; /* ... this one (any int: -1 is a number too) */
	unsigned warned; /* quotas already reported for this program */
	struct watch w_ctl, w_out_from, w_out_to, w_err_from, w_err_to,
		w_in_from, w_in_to, w_notify, w_pidfd;
};

/* A spawn in progress: a worker process fetches and verifies the program
 * so that a slow server never stalls the broker's loop. */
struct job {
	struct job *next;
	struct prog *parent; /* who hears the result; NULL once nobody does */
	struct prog *owner; /* who it is charged to, until its worker is
			       reaped (a cancelled fetch still runs until
			       then); NULL once that program is gone */
	int32_t handle;
	bool running; /* a worker is fetching it; else it waits its turn */
	bool cancelled; /* closed, killed or orphaned: its worker is being
			   killed and its result will be discarded */
	char *url;
	char *confine; /* the prefix that allowed url: every redirect hop of
			  its fetch must stay within it too */
	uint32_t argc; /* argv[1..argc]; argv[0] is set when it starts */
	char **argv;
	pid_t pid;
	int sock;
	struct watch w;
};

/* What a worker sends back, with the memfd attached on success. */
struct job_result {
	int32_t err; /* 0, or -errno */
	int32_t kind; /* enum program_fail */
	uint64_t size;
	uint8_t sha256[32];
	char msg[512];
};

struct broker {
	const struct broker_opts *o;
	struct program_loader *loader;
	int ep;
	int sigfd, timerfd;
	struct watch w_signal, w_timer;
	struct prog *progs;
	struct prog *top;
	unsigned alive;
	uint64_t next_id;
	struct registry reg;
	struct job *jobs; /* running first is not promised: see job_next */
	unsigned workers; /* spawn workers running (jobs with running) */
	struct cgroup_base cgroup; /* dirfd -1: rlimits only */
	int home_netns, shared_netns; /* -1: every program gets a new one */
	/* -1: every program's child builds its own empty root */
	int home_mntns, shared_mntns;
	int stop_signal;
	bool wall_expired;
	bool small_pipes_told; /* the warning of pipe_bytes() is given once */
};

/* --- small things ------------------------------------------------------- */

static int ep_set(struct broker *b, int op, int fd, uint32_t events,
		  struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(b->ep, op, fd, &ev) < 0 ? -errno : 0;
}

static void ep_del(struct broker *b, int fd)
{
	if (fd >= 0)
		(void)epoll_ctl(b->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void watch_init(struct watch *w, enum watch_kind kind, void *ptr)
{
	w->kind = kind;
	w->ptr = ptr;
}

/* sigabbrev_np is glibc's; the launcher is built with musl (Makefile). */
static const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP",	 [SIGINT] = "SIGINT",
		[SIGQUIT] = "SIGQUIT",	 [SIGILL] = "SIGILL",
		[SIGTRAP] = "SIGTRAP",	 [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS",	 [SIGFPE] = "SIGFPE",
		[SIGKILL] = "SIGKILL",	 [SIGUSR1] = "SIGUSR1",
		[SIGSEGV] = "SIGSEGV",	 [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE",	 [SIGALRM] = "SIGALRM",
		[SIGTERM] = "SIGTERM",	 [SIGSTKFLT] = "SIGSTKFLT",
		[SIGCHLD] = "SIGCHLD",	 [SIGCONT] = "SIGCONT",
		[SIGSTOP] = "SIGSTOP",	 [SIGTSTP] = "SIGTSTP",
		[SIGTTIN] = "SIGTTIN",	 [SIGTTOU] = "SIGTTOU",
		[SIGURG] = "SIGURG",	 [SIGXCPU] = "SIGXCPU",
		[SIGXFSZ] = "SIGXFSZ",	 [SIGVTALRM] = "SIGVTALRM",
		[SIGPROF] = "SIGPROF",	 [SIGWINCH] = "SIGWINCH",
		[SIGIO] = "SIGIO",	 [SIGPWR] = "SIGPWR",
		[SIGSYS] = "SIGSYS",
	};
	static char buf[32];
	if (sig > 0 && (size_t)sig < ARRAY_SIZE(names) && names[sig])
		return names[sig];
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

static void kill_prog(struct prog *p, const char *fmt, ...) PRINTF(2, 3);

enum quota_bit { Q_PROGRAMS = 1, Q_LINKS = 2, Q_PEER = 4, Q_SERVICES = 8,
		 Q_SUBS = 16, Q_PENDING = 32, Q_SLOTS_FULL = 64,
		 Q_DELIVERIES = 128 };

static struct prog *prog_of(const struct reg_owner *o)
{
	return reg_container(o, struct prog, reg);
}

/* Takes n tokens from a bucket that refills at rate a second up to burst;
 * false, taking none, when it holds fewer. A cost above burst is charged
 * as burst, so it is paid once the bucket is full. */
static bool bucket_take(struct bucket *k, unsigned rate, unsigned burst,
			unsigned n)
{
	uint64_t now = now_ns();
	k->tokens += (double)(now - k->at) * rate / 1e9;
	if (k->tokens > burst)
		k->tokens = burst;
	k->at = now;
	if (n > burst)
		n = burst;
	if (k->tokens < n)
		return false;
	k->tokens -= n;
	return true;
}

/* What a program hears when a spawn fails: FK_EV_EXIT's reason is one of
 * these, never words taken from a response or from a network error. A
 * reason travels back into the program, which can carry it out again in
 * the URL of its next spawn: quoting "not an ELF: starts with ..." or
 * "HTTP 403" or "connection refused" would make spawn a probe of whatever
 * the fetch reached. The operator's log keeps the whole story. */
static const char *const SPAWN_BAD_URL = "invalid URL";
static const char *const SPAWN_OUTSIDE = "refused: outside the program's origin";
static const char *const SPAWN_QUOTA = "refused: quota reached";
static const char *const SPAWN_CANNOT_FETCH = "cannot fetch";
static const char *const SPAWN_NOT_RUNNABLE = "not a runnable program";
static const char *const SPAWN_CANNOT_START = "cannot start";
static const char *const SPAWN_KILLED = "killed before it started";

/* Says once per program and quota that a request was refused, naming the
 * quota: a bomb that keeps trying does not flood the log. */
static void quota_refused(struct prog *p, enum quota_bit bit,
			  const char *what, unsigned limit)
{
	if (p->warned & bit)
		return;
	p->warned |= bit;
	log_warn("%s: refused: quota of %u %s reached", p->url, limit, what);
}

/* --- control messages to a program --------------------------------------- */

static void ctl_want_out(struct prog *p, bool on)
{
	if (p->ctl < 0 || p->ctl_waiting == on)
		return;
	p->ctl_waiting = on;
	(void)ep_set(p->b, EPOLL_CTL_MOD, p->ctl,
		     EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0), &p->w_ctl);
}

static bool ctl_try(struct prog *p, const void *buf, size_t len)
{
	ssize_t n;
	do
		n = send(p->ctl, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

/* Sends a message the program must not lose; queues it while the link is
 * full. A program that does not read its replies cannot make the broker
 * hold memory for ever: past the quota it is killed. */
static void ctl_send(struct prog *p, const void *buf, size_t len)
{
	if (!p->running || p->ctl < 0)
		return;
	if (!p->out_head && ctl_try(p, buf, len))
		return;
	if (errno != EAGAIN && errno != ENOBUFS && p->out_head == NULL) {
		/* The program's end is gone: its exit is on the way. */
		return;
	}
	if (p->out_count >= p->b->o->quotas.queued) {
		kill_prog(p, "control link full: the program does not read "
			     "its replies (%u queued)",
			  p->out_count);
		return;
	}
	struct queued *q = xmalloc(sizeof(*q) + len);
	q->next = NULL;
	q->len = len;
	memcpy(q->buf, buf, len);
	if (p->out_tail)
		p->out_tail->next = q;
	else
		p->out_head = q;
	p->out_tail = q;
	p->out_count++;
	ctl_want_out(p, true);
}

static void ctl_flush(struct prog *p)
{
	while (p->out_head && ctl_try(p, p->out_head->buf, p->out_head->len)) {
		struct queued *q = p->out_head;
		p->out_head = q->next;
		if (!p->out_head)
			p->out_tail = NULL;
		p->out_count--;
		free(q);
	}
	ctl_want_out(p, p->out_head != NULL);
}

static void send_opened(struct prog *p, enum proto_type type, int32_t handle,
			uint32_t slot, uint64_t peer, uint32_t party_links)
{
	struct proto_opened m;
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, type, sizeof(m), handle);
	m.hdr.version = p->version;
	m.slot = slot;
	m.peer = peer;
	/* Version 3 has no such field: zero there. */
	if (p->version >= 4)
		m.party_links = party_links;
	ctl_send(p, &m, sizeof(m));
}

static void send_closed(struct prog *p, int32_t handle, int err)
{
	struct proto_status m;
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_CLOSED, sizeof(m), handle);
	m.hdr.version = p->version;
	m.status = err;
	ctl_send(p, &m, sizeof(m));
}

static void send_exited(struct prog *p, int32_t handle, int status,
			const char *reason)
{
	struct proto_exited m;
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_EXITED, sizeof(m), handle);
	m.hdr.version = p->version;
	m.status = status;
	/* Cut to fit: the start of a reason says the most. */
	if (reason)
		memcpy(m.reason, reason,
		       strnlen(reason, sizeof(m.reason) - 1));
	ctl_send(p, &m, sizeof(m));
}

/* --- links ----------------------------------------------------------------- */

/* A free data slot of p other than `taken`, within p's link quota
 * (counting `taken` as used), or -1. */
static int free_slot(struct prog *p, int taken)
{
	if (p->nlinks + (taken > 0) >= p->b->o->quotas.links)
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
static void slot_close(struct prog *p, int s)
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
	sl->peer = sl->party = 0;
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
static unsigned party_links(const struct prog *server, uint64_t party)
{
	unsigned n = 0;
	for (int s = 1; s < PROTO_SLOTS; s++)
		n += server->slots[s].used && server->slots[s].party == party;
	return n;
}

static struct prog *find_prog(struct broker *b, uint64_t id)
{
	for (struct prog *p = b->progs; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
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
		struct prog *p = find_prog(server->b, held[k].party);
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

static void link_make(struct prog *client, int32_t handle,
		      const struct reg_entry *svc)
{
	struct prog *server = prog_of(svc->owner);
	const char *name = reg_entry_name(svc);
	unsigned per_peer = client->b->o->quotas.links_per_peer;
	uint64_t party = link_party(client, server);
	if (party_links(server, party) >= per_peer) {
		if (!(client->warned & Q_PEER)) {
			client->warned |= Q_PEER;
			struct prog *pp = find_prog(client->b, party);
			log_warn("%s: refused: quota of %u links to one program "
				 "(%s) reached by %s (id %llu) and the "
				 "programs it spawned",
				 client->url, per_peer, server->url,
				 pp ? pp->url : "?",
				 (unsigned long long)party);
		}
		send_closed(client, handle, -EMFILE);
		return;
	}
	int cs = free_slot(client, 0);
	if (cs < 0) {
		quota_refused(client, Q_LINKS, "links per program",
			      client->b->o->quotas.links);
		send_closed(client, handle, -EMFILE);
		return;
	}
	/* A program may link to itself: two slots of its own. */
	int ss = free_slot(server, client == server ? cs : 0);
	if (ss < 0) {
		if (client == server) {
			quota_refused(client, Q_LINKS, "links per program",
				      client->b->o->quotas.links);
		} else {
			slots_full(server, client, name);
		}
		send_closed(client, handle,
			    client == server ? -EMFILE : -ECONNREFUSED);
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
					   client == server ? party : 0 };
	server->slots[ss] = (struct slot){ true, client->id, party };
	client->nlinks++;
	server->nlinks++;
	log_debug("link %s -> %s (%s): slots %d and %d, pipes of %d bytes",
		  client->url, server->url, name, cs, ss, bytes);
	send_opened(client, PROTO_OPENED, handle, (uint32_t)cs, server->id, 0);
	/* The server sees how many of its links this client's party holds,
	 * so it can refuse a party that hoards (a program and the helpers
	 * it spawned), not only a single client. */
	send_opened(server, PROTO_INCOMING, svc->handle, (uint32_t)ss,
		    client->id, party_links(server, party));
}

/* --- exits ------------------------------------------------------------------ */

static void kill_prog(struct prog *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	if (!p->running)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!p->dying)
		log_error("%s: killed: %s", p->url, why);
	p->dying = true;
	(void)syscall(SYS_pidfd_send_signal, p->proc.pidfd, SIGKILL, NULL, 0);
}

/* Kills without a message: the program's parent asked, or its tree ends. */
static void end_prog(struct prog *p)
{
	if (!p->running)
		return;
	p->quiet = true;
	(void)syscall(SYS_pidfd_send_signal, p->proc.pidfd, SIGKILL, NULL, 0);
}

/* How a program ended, as fakeos-run(1) documents it, with one line on
 * stderr whenever it did not simply exit. */
static int exit_status(struct prog *p, const siginfo_t *st,
		       const struct rusage *ru)
{
	struct broker *b = p->b;
	if (st->si_code == CLD_EXITED)
		return st->si_status;
	int sig = st->si_status;
	if (p->forbidden) {
		const char *name = policy_syscall_name(p->forbidden_nr);
		log_error("%s: killed: forbidden system call %s (%d)", p->url,
			  name ? name : "unknown", p->forbidden_nr);
		return 128 + SIGSYS;
	}
	if (sig == SIGSYS) {
		/* Only the filter's bad-architecture action kills with
		 * SIGSYS directly: the call came through another ABI. */
		log_error("%s: killed: forbidden system call through another "
			  "ABI (i386 int 0x80 or x32)",
			  p->url);
		return 128 + SIGSYS;
	}
	if (p == b->top && b->stop_signal)
		return 128 + b->stop_signal;
	if (p == b->top && b->wall_expired) {
		log_error("%s: killed: wall-clock limit of %.3g s exceeded",
			  p->url, (double)b->o->wall_ms / 1000.0);
		return 128 + sig;
	}
	if (p->dying || p->quiet)
		return 128 + sig; /* logged already, or asked for */
	uint64_t cpu = (uint64_t)ru->ru_utime.tv_sec +
		       (uint64_t)ru->ru_stime.tv_sec;
	uint64_t limit = b->o->limits.cpu_seconds;
	if ((sig == SIGKILL || sig == SIGXCPU) && limit && cpu + 1 >= limit) {
		log_error("%s: killed: CPU time limit of %llu s exceeded",
			  p->url, (unsigned long long)limit);
		return 128 + sig;
	}
	log_error("%s: killed by %s%s", p->url, signal_name(sig),
		  st->si_code == CLD_DUMPED ? " (no core: cores are disabled)"
					    : "");
	return 128 + sig;
}

static void job_cancel(struct broker *b, struct job *j);

/* Everything p asked for and still holds goes: its names, its waiting
 * links and its subscriptions, and its spawns still being fetched, whose
 * workers are killed now rather than left to finish for nobody. */
static void drop_requests(struct broker *b, struct prog *p)
{
	registry_drop_owner(&b->reg, &p->reg);
	for (struct job *j = b->jobs, *next; j; j = next) {
		next = j->next; /* a queued job is freed by its cancel */
		if (j->owner == p)
			j->owner = NULL; /* nobody to charge any more */
		if (j->parent == p)
			job_cancel(b, j);
	}
}

/* The program is gone: its links end (peers see end of file), its names
 * and subscriptions are withdrawn, its children are killed, and its parent
 * hears how it ended. */
static void prog_reap(struct prog *p)
{
	struct broker *b = p->b;
	siginfo_t st;
	struct rusage ru;
	memset(&st, 0, sizeof(st));
	memset(&ru, 0, sizeof(ru));
	/* The raw waitid takes a rusage: CPU time tells whether RLIMIT_CPU
	 * is what killed it. */
	if (syscall(SYS_waitid, P_PIDFD, p->proc.pidfd, &st, WEXITED, &ru) <
	    0) {
		if (errno == EINTR)
			return;
		st.si_code = CLD_KILLED;
		st.si_status = SIGKILL;
	}
	p->running = false;
	b->alive--;
	/* The kernel's OOM killer in the program's cgroup sent the SIGKILL:
	 * its memory, kernel memory included, reached the group's limit. */
	if (st.si_code == CLD_KILLED && st.si_status == SIGKILL && !p->dying &&
	    cgroup_oom_kills(&b->cgroup, p->id) > 0) {
		uint64_t limit = cgroup_memory_limit(b->o->limits.memory);
		log_error("%s: killed: memory limit of %llu MiB reached in its "
			  "cgroup v%d group (--memory %llu MiB and %llu MiB of "
			  "headroom; kernel memory counted)",
			  p->url, (unsigned long long)(limit >> 20),
			  b->cgroup.version,
			  (unsigned long long)(b->o->limits.memory >> 20),
			  (unsigned long long)((limit - b->o->limits.memory) >>
					       20));
		p->dying = true;
	}
	p->status = exit_status(p, &st, &ru);
	log_debug("%s: ended with status %d", p->url, p->status);
	/* RLIMIT_AS refuses allocations; the program only sees ENOMEM.
	 * When its peak resident size came near the limit, say so: that is
	 * most likely why it failed. */
	uint64_t mem = b->o->limits.memory;
	if (mem && (uint64_t)ru.ru_maxrss * 1024 >= mem / 10 * 9)
		log_warn("%s: reached its memory limit (--memory %llu MiB; "
			 "peak resident %llu MiB)",
			 p->url, (unsigned long long)(mem >> 20),
			 (unsigned long long)ru.ru_maxrss >> 10);

	ep_del(b, p->proc.pidfd);
	close(p->proc.pidfd);
	p->proc.pidfd = -1;
	if (p->proc.notify_fd >= 0) {
		ep_del(b, p->proc.notify_fd);
		close(p->proc.notify_fd);
		p->proc.notify_fd = -1;
	}
	for (int s = 1; s < PROTO_SLOTS; s++)
		slot_close(p, s);
	close(p->ring);
	p->ring = -1;
	ep_del(b, p->ctl);
	close(p->ctl);
	p->ctl = -1;
	while (p->out_head) {
		struct queued *q = p->out_head;
		p->out_head = q->next;
		free(q);
	}
	p->out_tail = NULL;
	relay_close(&p->in);
	cgroup_remove(&b->cgroup, p->id);
	drop_requests(b, p);
	for (struct prog *c = b->progs; c; c = c->next)
		if (c->parent == p) {
			c->parent_handle = 0;
			end_prog(c);
		}
	if (p->parent && p->parent_handle)
		send_exited(p->parent, p->parent_handle, p->status, NULL);
	if (p == b->top)
		for (struct prog *c = b->progs; c; c = c->next)
			end_prog(c);
}

/* --- starting a program ------------------------------------------------------ */

/* The number of CPUs in the broker's affinity mask, which each program
 * inherits; a mask too large for the first set is retried in a larger one.
 * A failure of sched_getaffinity itself (not seen) returns 0, which the
 * boot page reads as "not said". */
static unsigned affinity_cpus(void)
{
	for (size_t n = CPU_SETSIZE; n <= 65536; n *= 2) {
		cpu_set_t *set = CPU_ALLOC(n);
		if (!set)
			return 0;
		size_t size = CPU_ALLOC_SIZE(n);
		int r = sched_getaffinity(0, size, set);
		unsigned count = r == 0 ? (unsigned)CPU_COUNT_S(size, set) : 0;
		int err = errno;
		CPU_FREE(set);
		if (r == 0 || err != EINVAL)
			return count;
	}
	return 0;
}

static int make_boot_page(struct prog *p, const struct ring *r, int *out,
			  struct error *e)
{
	/* On the stack: from the heap, musl's allocator would map and unmap
	 * a fresh page for it at every launch. */
	union {
		struct proto_boot b;
		unsigned char page[PROTO_PAGE];
	} u;
	_Static_assert(sizeof(struct proto_boot) <= PROTO_PAGE,
		       "the boot page is one page");
	memset(&u, 0, sizeof(u));
	struct proto_boot *boot = &u.b;
	boot->magic = PROTO_BOOT_MAGIC;
	boot->version = PROTO_BOOT_VERSION;
	boot->broker_version = PROTO_VERSION;
	boot->ring_fd = PROTO_RING_FD;
	boot->slots = PROTO_SLOTS;
	boot->control_slot = PROTO_CONTROL_SLOT;
	boot->link_read = r->link_read;
	boot->recv_pages = r->recv_pages;
	boot->cpus = affinity_cpus();
	boot->id = p->id;
	boot->parent = p->parent ? p->parent->id : 0;
	boot->params = r->params;
	snprintf(boot->url, sizeof(boot->url), "%s", p->url);
	/* The credential: random, known to the broker and the program. */
	if (getrandom(boot->key, sizeof(boot->key), 0) != sizeof(boot->key)) {
		int err = errno;
		explicit_bzero(&u, sizeof(u));
		return error_sys(e, err, "getrandom");
	}
	int fd = memfd_create("fakeos:boot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r2 = fd < 0 ? error_sys(e, errno, "memfd_create(boot page)") : 0;
	if (r2 == 0 && write_full(fd, boot, PROTO_PAGE) < 0)
		r2 = error_sys(e, errno, "writing the boot page");
	/* Sealed: the program maps it, and nobody can change it after. */
	if (r2 == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
						      F_SEAL_WRITE |
						      F_SEAL_SEAL) < 0)
		r2 = error_sys(e, errno, "sealing the boot page");
	explicit_bzero(&u, sizeof(u));
	if (r2 < 0) {
		if (fd >= 0)
			close(fd);
		return r2;
	}
	*out = fd;
	return 0;
}

static int make_pipe(int fds[2], struct error *e)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_sys(e, errno, "pipe");
	return 0;
}

/* Starts a verified program in its jail, with its ring (fd 3), its boot
 * page (fd 4), its control link in ring slot 0, and its console. */
static int prog_start(struct broker *b, struct prog *p, int exec_fd,
		      char *const *argv, bool with_stdin, struct error *e)
{
	struct ring ring = { .fd = -1 };
	int sv[2] = { -1, -1 }, in[2] = { -1, -1 }, out[2] = { -1, -1 },
	    err[2] = { -1, -1 }, boot = -1;
	int r;

	if ((r = ring_create(&ring, e)) < 0)
		return r;
	if (!p->parent)
		log_debug("io_uring: links read with %s",
			  ring.link_read == PROTO_OP_READ_MULTISHOT
				  ? "READ_MULTISHOT"
				  : "READ (no READ_MULTISHOT in this kernel, or "
				    "FAKEOS_LINK_READ=single)");
	if (!p->parent)
		log_debug("io_uring: receive pages go back %s",
			  ring.recv_pages == PROTO_RECV_RING
				  ? "through buffer rings"
				  : "by PROVIDE_BUFFERS (no buffer rings the "
				    "program can map in this kernel, no memory "
				    "for them, or FAKEOS_RECV_PAGES=provide)");
	if (!p->parent)
		log_debug("io_uring: completions run %s",
			  ring.params.flags & IORING_SETUP_DEFER_TASKRUN
				  ? "in the program's own wait (DEFER_TASKRUN)"
				  : "as task work (COOP_TASKRUN; no "
				    "DEFER_TASKRUN in this kernel)");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = error_sys(e, errno, "socketpair");
		goto fail;
	}
	/* Broadcasts wait in the control link's buffer, and only there: the
	 * buffer's size is the quota of undelivered broadcast bytes. */
	int sndbuf = (int)b->o->quotas.broadcast_bytes;
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if ((r = ring_install(ring.fd, PROTO_CONTROL_SLOT, sv[1], e)) < 0)
		goto fail;
	close(sv[1]);
	sv[1] = -1;
	if ((r = make_boot_page(p, &ring, &boot, e)) < 0)
		goto fail;
	if ((r = make_pipe(in, e)) < 0 || (r = make_pipe(out, e)) < 0 ||
	    (r = make_pipe(err, e)) < 0)
		goto fail;
	if (!with_stdin) {
		close(in[1]);
		in[1] = -1;
	}

	/* A memory cgroup, where this host lets us make one (v2, else v1):
	 * it counts what RLIMIT_AS cannot (kernel memory: the ring's waiting
	 * requests), and v2's pids.max bounds the io_uring worker threads
	 * the kernel may start for the ring. */
	struct cgroup_join cg = { -1, -1 };
	if (b->cgroup.dirfd >= 0 &&
	    (r = cgroup_create(&b->cgroup, p->id, b->o->limits.memory,
			       CGROUP_PIDS_MAX, &cg, e)) < 0)
		goto fail;

	struct jail_config jc = {
		.exec_fd = exec_fd,
		.argv = argv,
		.filter = b->o->filter,
		.limits = b->o->limits,
		.console = { in[0], out[1], err[1] },
		.pass_fds = { ring.fd, boot },
		.n_pass = 2,
		.enable_ring = true,
		.cgroup_fd = cg.clone_fd,
		.cgroup_procs_fd = cg.procs_fd,
		.netns_fd = b->shared_netns,
		.home_netns_fd = b->home_netns,
		.mntns_fd = b->shared_mntns,
		.home_mntns_fd = b->home_mntns,
		.hostname = "fakeos",
	};
	r = jail_spawn(&jc, &p->proc, e);
	cgroup_join_close(&cg);
	if (r < 0) {
		cgroup_remove(&b->cgroup, p->id);
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(boot);

	p->running = true;
	b->alive++;
	p->ring = ring.fd;
	p->ctl = sv[0];
	(void)fcntl(p->ctl, F_SETFL, O_NONBLOCK);
	watch_init(&p->w_ctl, W_CONTROL, p);
	watch_init(&p->w_notify, W_NOTIFY, p);
	watch_init(&p->w_pidfd, W_PIDFD, p);
	watch_init(&p->w_out_from, W_RELAY_FROM, &p->out);
	watch_init(&p->w_out_to, W_RELAY_TO, &p->out);
	watch_init(&p->w_err_from, W_RELAY_FROM, &p->err);
	watch_init(&p->w_err_to, W_RELAY_TO, &p->err);
	watch_init(&p->w_in_from, W_RELAY_FROM, &p->in);
	watch_init(&p->w_in_to, W_RELAY_TO, &p->in);
	relay_init(&p->out, b->ep, out[0], true, STDOUT_FILENO, false,
		   &p->w_out_from, &p->w_out_to);
	relay_init(&p->err, b->ep, err[0], true, STDERR_FILENO, false,
		   &p->w_err_from, &p->w_err_to);
	/* A program's output is shown, not obeyed, wherever it goes: a
	 * terminal can sit behind a pipe or a file (relay_sanitize). */
	p->out.sanitize = !b->o->raw_console;
	p->err.sanitize = !b->o->raw_console;
	if (in[1] >= 0 && fcntl(STDIN_FILENO, F_GETFD) >= 0)
		relay_init(&p->in, b->ep, STDIN_FILENO, false, in[1], true,
			   &p->w_in_from, &p->w_in_to);
	else if (in[1] >= 0)
		close(in[1]);
	if ((r = ep_set(b, EPOLL_CTL_ADD, p->ctl, EPOLLIN | EPOLLRDHUP,
			&p->w_ctl)) < 0 ||
	    (r = ep_set(b, EPOLL_CTL_ADD, p->proc.notify_fd, EPOLLIN,
			&p->w_notify)) < 0 ||
	    (r = ep_set(b, EPOLL_CTL_ADD, p->proc.pidfd, EPOLLIN,
			&p->w_pidfd)) < 0)
		log_fatal("epoll_ctl: %s", strerror(-r));
	return 0;

fail:
	for (int *fd = (int[]){ ring.fd, sv[0], sv[1], in[0], in[1], out[0],
				out[1], err[0], err[1], boot, -2 };
	     *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	return r;
}

static struct prog *prog_new(struct broker *b, struct prog *parent,
			     int32_t handle, const char *url)
{
	struct prog *p = xcalloc(1, sizeof(*p));
	p->b = b;
	p->id = b->next_id++;
	p->parent = parent;
	p->parent_handle = handle;
	p->url = xstrdup(url);
	struct url u;
	struct error e;
	p->home = url_parse(url, &u, &e) == 0 ? url_home(&u) : NULL;
	if (p->home)
		url_free(&u);
	p->ring = p->ctl = -1;
	p->proc.pidfd = p->proc.notify_fd = -1;
	p->out.from = p->out.to = p->err.from = p->err.to = -1;
	p->in.from = p->in.to = -1;
	reg_owner_init(&p->reg);
	p->version = PROTO_VERSION_MIN;
	p->msgs = (struct bucket){ b->o->quotas.burst, now_ns() };
	p->deliveries = (struct bucket){ b->o->quotas.delivery_burst,
					 p->msgs.at };
	/* Appended, so the top program stays first. */
	struct prog **tail = &b->progs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	return p;
}

static void prog_free(struct prog *p)
{
	free(p->home);
	free(p->url);
	free(p);
}

/* --- spawning -------------------------------------------------------------------- */

/* In a forked worker: fetch and verify, then hand the sealed memfd back.
 * The broker's loop never waits on the network. */
static NORETURN void job_worker(struct broker *b, struct job *j, int sock)
{
	struct job_result res;
	struct program prog = { .fd = -1 };
	enum program_fail kind = PROGRAM_FAIL_FETCH;
	struct error e = { "" };

	memset(&res, 0, sizeof(res));
	/* Signals the launcher handles stay the launcher's. */
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (j->confine)
		program_loader_confine(b->loader, j->confine);
	res.err = program_load(b->loader, j->url, &prog, &kind, &e);
	res.kind = (int32_t)kind;
	if (res.err < 0) {
		snprintf(res.msg, sizeof(res.msg), "%s", e.msg);
	} else {
		res.size = prog.size;
		memcpy(res.sha256, prog.sha256, sizeof(res.sha256));
	}
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { &res, sizeof(res) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (res.err == 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.space;
		mh.msg_controllen = sizeof(ctl.space);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &prog.fd, sizeof(int));
	}
	_exit(sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? 1 : 0);
}

/* Resolves a spawn URL against the parent's, as a browser resolves a
 * link: "echo" next to http://h/dir/app is http://h/dir/echo. A URL with a
 * scheme stands alone. */
static char *resolve_url(const char *base, const char *url)
{
	if (strstr(url, "://"))
		return xstrdup(url);
	const char *hash = strchr(base, '#');
	size_t blen = hash ? (size_t)(hash - base) : strlen(base);
	const char *scheme_end = strstr(base, "://");
	const char *path = scheme_end ? memchr(scheme_end + 3, '/',
					       blen - (size_t)(scheme_end + 3 -
							       base))
				      : NULL;
	if (url[0] == '/' && path)
		return xasprintf("%.*s%s", (int)(path - base), base, url);
	const char *slash = NULL;
	for (const char *c = base; c < base + blen; c++)
		if (*c == '/')
			slash = c;
	if (!slash || (path && slash < path))
		return xasprintf("%.*s/%s", (int)blen, base, url);
	return xasprintf("%.*s%s", (int)(slash + 1 - base), base, url);
}

static void job_free(struct job *j)
{
	/* argv[0] is filled only if the child started: free by count. */
	if (j->argv)
		for (uint32_t i = 0; i <= j->argc; i++)
			free(j->argv[i]);
	free(j->argv);
	free(j->url);
	free(j->confine);
	free(j);
}

/* A program may spawn only from where it came from: its own origin for
 * http(s), its own directory for file://, or a prefix the operator gave
 * with --spawn-from. Otherwise any program could make the privileged
 * launcher open host files (an oracle on what exists, and a read of what
 * root can read) or connect to any address the host can reach (SSRF).
 * Returns the prefix that allows url, or NULL. */
static const char *spawn_prefix(struct broker *b, struct prog *parent,
				const struct url *u)
{
	if (parent->home && url_within(parent->home, u))
		return parent->home;
	for (unsigned i = 0; i < b->o->n_spawn_from; i++)
		if (url_within(b->o->spawn_from[i], u))
			return b->o->spawn_from[i];
	return NULL;
}

static unsigned pending(const struct prog *p)
{
	return p->reg.count[REG_WAITER] + p->njobs;
}

static void job_unlink(struct broker *b, struct job *j)
{
	for (struct job **pp = &b->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
}

/* Starts j's worker: a fork of the broker in a process group of its own,
 * so that a cancel kills it and the download helper it runs (fetch.c)
 * together. Both sides set the group, so neither order of the fork's
 * return can leave a window in which a kill misses the worker. */
static int job_fork(struct broker *b, struct job *j)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		return -err;
	}
	if (pid == 0) {
		(void)setpgid(0, 0);
		close(sv[0]);
		job_worker(b, j, sv[1]);
	}
	(void)setpgid(pid, pid);
	close(sv[1]);
	j->pid = pid;
	j->sock = sv[0];
	j->running = true;
	b->workers++;
	watch_init(&j->w, W_WORKER, j);
	(void)ep_set(b, EPOLL_CTL_ADD, j->sock, EPOLLIN, &j->w);
	return 0;
}

/* Reaps a worker and everything left in its process group. The worker
 * has answered, or died: whatever else runs in its group (a download
 * helper it could not wait for because it was killed) is killed now. The
 * broker is a child subreaper (setup), so such a helper became the
 * broker's child when its worker died, and is reaped here, not left as a
 * zombie for init. The group cannot be reused before this: its leader is
 * not reaped until after the kill, and the group lives while a member
 * does. */
static void job_reap(pid_t pid)
{
	siginfo_t si;
	(void)kill(-pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	while (waitid(P_PGID, (id_t)pid, &si, WEXITED) == 0 || errno == EINTR)
		;
}

/* Starts waiting jobs, oldest first, while fewer than the quota of
 * workers run. */
static void job_run_queued(struct broker *b)
{
	for (struct job *j = b->jobs, *next; j; j = next) {
		next = j->next;
		if (b->workers >= b->o->quotas.fetches)
			return;
		if (j->running || j->cancelled)
			continue;
		int r = job_fork(b, j);
		if (r == 0) {
			log_debug("%s: spawning %s", j->parent->url, j->url);
			continue;
		}
		log_warn("%s: spawn %s: cannot start a fetch worker: %s",
			 j->parent->url, j->url, strerror(-r));
		send_exited(j->parent, j->handle, EXIT_CANNOT_RUN,
			    SPAWN_CANNOT_START);
		j->owner->njobs--;
		job_unlink(b, j);
		job_free(j);
	}
}

/* Nobody wants j's result any more. A job still waiting its turn goes at
 * once; a running one's worker and its download helper are killed now,
 * and the job stays (charged to its owner, still counted among the
 * tree's workers) until the worker is reaped: what bounds fetches is what
 * actually runs. */
static void job_cancel(struct broker *b, struct job *j)
{
	if (j->cancelled)
		return;
	j->cancelled = true;
	j->parent = NULL;
	if (!j->running) {
		if (j->owner)
			j->owner->njobs--;
		job_unlink(b, j);
		job_free(j);
		return;
	}
	(void)kill(-j->pid, SIGKILL);
}

static void start_job(struct broker *b, struct prog *parent, int32_t handle,
		      const struct proto_spawn *m)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->parent = parent;
	j->handle = handle;
	j->url = resolve_url(parent->url, m->url);

	struct url u;
	struct error e = { "" };
	if (url_parse(j->url, &u, &e) < 0) {
		log_warn("%s: spawn failed: %s; URL %s", parent->url, e.msg,
			 j->url);
		send_exited(parent, handle, EXIT_CANNOT_FETCH, SPAWN_BAD_URL);
		job_free(j);
		return;
	}
	const char *prefix = spawn_prefix(b, parent, &u);
	if (!prefix) {
		log_warn("%s: spawn refused: %s is outside %s (fakeos-run "
			 "--spawn-from can allow it)",
			 parent->url, u.base,
			 parent->home ? parent->home : "its origin");
		send_exited(parent, handle, EXIT_CANNOT_FETCH, SPAWN_OUTSIDE);
		url_free(&u);
		job_free(j);
		return;
	}
	j->confine = xstrdup(prefix);
	url_free(&u);
	j->argv = xcalloc(m->argc + 2, sizeof(char *));
	j->argc = m->argc;
	const char *a = m->args;
	for (uint32_t i = 0; i < m->argc; i++) {
		j->argv[i + 1] = xstrdup(a);
		a += strlen(a) + 1;
	}
	j->pid = -1;
	j->sock = -1;
	j->owner = parent;
	parent->njobs++;
	/* Appended: jobs wait for a worker in the order they were asked. */
	struct job **tail = &b->jobs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = j;
	job_run_queued(b);
}

static void finish_job(struct broker *b, struct job *j)
{
	struct job_result res;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { &res, sizeof(res) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.space,
		.msg_controllen = sizeof(ctl.space),
	};
	int memfd = -1;
	memset(&res, 0, sizeof(res));
	ssize_t n = recvmsg(j->sock, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&memfd, CMSG_DATA(cm), sizeof(int));
	if (n != (ssize_t)sizeof(res) || (res.err == 0 && memfd < 0)) {
		res.err = -EIO;
		res.kind = PROGRAM_FAIL_RUN;
		snprintf(res.msg, sizeof(res.msg), "the fetch worker failed");
	}
	res.msg[sizeof(res.msg) - 1] = '\0';
	ep_del(b, j->sock);
	close(j->sock);
	job_reap(j->pid);
	job_unlink(b, j);
	b->workers--;
	if (j->owner)
		j->owner->njobs--;

	struct prog *parent = j->parent;
	if (j->cancelled || !parent || !parent->running) {
		/* Nobody wants this child. */
	} else if (res.err < 0) {
		/* The reason first: a long URL must not cut it off the line. */
		log_warn("%s: spawn failed: %s; URL %s", parent->url, res.msg,
			 j->url);
		bool run = res.kind == PROGRAM_FAIL_RUN;
		send_exited(parent, j->handle,
			    run ? EXIT_CANNOT_RUN : EXIT_CANNOT_FETCH,
			    run ? SPAWN_NOT_RUNNABLE : SPAWN_CANNOT_FETCH);
	} else {
		struct error e = { "" };
		struct prog *c = prog_new(b, parent, j->handle, j->url);
		j->argv[0] = xstrdup(c->url);
		if (prog_start(b, c, memfd, j->argv, false, &e) < 0) {
			log_error("%s: %s", c->url, e.msg);
			send_exited(parent, j->handle, EXIT_CANNOT_RUN,
				    SPAWN_CANNOT_START);
			c->parent_handle = 0;
		} else {
			log_info("%s: spawned %s (id %llu)", parent->url, c->url,
				 (unsigned long long)c->id);
			send_opened(parent, PROTO_OPENED, j->handle, 0, c->id, 0);
		}
	}
	if (memfd >= 0)
		close(memfd);
	job_free(j);
	job_run_queued(b);
}

/* --- requests from a program --------------------------------------------------------- */

static struct prog *find_child(struct broker *b, struct prog *p, int32_t h)
{
	for (struct prog *c = b->progs; c; c = c->next)
		if (c->parent == p && c->parent_handle == h && c->running)
			return c;
	return NULL;
}

/* p's spawn under handle h that is still being fetched, or NULL. */
static struct job *find_job(struct broker *b, struct prog *p, int32_t h)
{
	for (struct job *j = b->jobs; j; j = j->next)
		if (j->parent == p && j->handle == h)
			return j;
	return NULL;
}

static bool handle_live(struct broker *b, struct prog *p, int32_t h)
{
	return registry_find(&p->reg, h) || find_job(b, p, h) ||
	       find_child(b, p, h);
}

static void on_link(struct broker *b, struct prog *p, const struct proto_name *m)
{
	struct reg_entry *svc = registry_service(&b->reg, 0, m->name);
	if (svc) {
		link_make(p, m->hdr.handle, svc);
		return;
	}
	if (pending(p) >= b->o->quotas.pending) {
		quota_refused(p, Q_PENDING, "requests waiting per program",
			      b->o->quotas.pending);
		send_closed(p, m->hdr.handle, -EAGAIN);
		return;
	}
	/* Nobody serves it yet: wait a while for it to appear, so a client
	 * may start before its server without polling. Waiting clients are
	 * linked in the order they asked. */
	int err;
	(void)registry_add(&b->reg, REG_WAITER, 0, m->name, &p->reg,
			   m->hdr.handle,
			   now_ns() + (uint64_t)PROTO_LINK_WAIT_MS * 1000000,
			   &err);
}

static void on_serve(struct broker *b, struct prog *p, const struct proto_name *m)
{
	if (registry_service(&b->reg, 0, m->name)) {
		send_closed(p, m->hdr.handle, -EADDRINUSE);
		return;
	}
	if (p->reg.count[REG_SERVICE] >= b->o->quotas.services) {
		quota_refused(p, Q_SERVICES, "served names per program",
			      b->o->quotas.services);
		send_closed(p, m->hdr.handle, -EMFILE);
		return;
	}
	int err;
	struct reg_entry *s = registry_add(&b->reg, REG_SERVICE, 0, m->name,
					   &p->reg, m->hdr.handle, 0, &err);
	send_opened(p, PROTO_OPENED, m->hdr.handle, 0, 0, 0);
	/* Clients that were waiting for this name get their links now. */
	struct reg_entry *w;
	while ((w = registry_first_waiter(&b->reg, 0, m->name))) {
		struct prog *client = prog_of(w->owner);
		int32_t handle = w->handle;
		registry_remove(&b->reg, w);
		link_make(client, handle, s);
	}
}

static void on_subscribe(struct broker *b, struct prog *p,
			 const struct proto_name *m)
{
	if (p->reg.count[REG_SUBSCRIBER] >= b->o->quotas.subscriptions) {
		quota_refused(p, Q_SUBS, "subscriptions per program",
			      b->o->quotas.subscriptions);
		send_closed(p, m->hdr.handle, -EMFILE);
		return;
	}
	int err;
	if (!registry_add(&b->reg, REG_SUBSCRIBER, 0, m->name, &p->reg,
			  m->hdr.handle, 0, &err)) {
		send_closed(p, m->hdr.handle, err); /* -EEXIST */
		return;
	}
	send_opened(p, PROTO_OPENED, m->hdr.handle, 0, 0, 0);
}

/* Fans a broadcast out to every subscriber's control link, and returns
 * what that cost the broker in sends. Best effort: a subscriber whose link
 * is full loses the message, and the next one it gets says how many it
 * lost; the broker never holds broadcasts itself. Each delivery is charged
 * to the sender (quotas.delivery_rate): a broadcast its bucket cannot pay
 * for is dropped whole, counted as lost by every subscriber, and costs
 * the broker no send. So a sender's cost to the broker is bounded however
 * many programs subscribe, and a sender is never killed for what others
 * chose to subscribe to. */
static unsigned on_broadcast(struct broker *b, struct prog *p,
			     const struct proto_broadcast *m)
{
	const struct broker_quotas *q = &b->o->quotas;
	unsigned n;
	const struct reg_list *subs = registry_subscribers(&b->reg, 0,
							   m->channel, &n);
	if (!subs)
		return 0;
	bool paid = bucket_take(&p->deliveries, q->delivery_rate,
				q->delivery_burst, n);
	if (!paid && !(p->warned & Q_DELIVERIES)) {
		p->warned |= Q_DELIVERIES;
		log_warn("%s: broadcasts dropped: quota of %u deliveries a "
			 "second reached (%u subscribers to %s)",
			 p->url, q->delivery_rate, n, m->channel);
	}
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
	return paid ? n : 0;
}

static void on_spawn(struct broker *b, struct prog *p, const struct proto_spawn *m)
{
	unsigned starting = 0;
	for (struct job *j = b->jobs; j; j = j->next)
		starting += !j->cancelled;
	if (b->alive + starting >= b->o->quotas.programs) {
		quota_refused(p, Q_PROGRAMS, "programs per tree",
			      b->o->quotas.programs);
		send_exited(p, m->hdr.handle, EXIT_CANNOT_RUN, SPAWN_QUOTA);
		return;
	}
	if (pending(p) >= b->o->quotas.pending) {
		quota_refused(p, Q_PENDING, "requests waiting per program",
			      b->o->quotas.pending);
		send_exited(p, m->hdr.handle, EXIT_CANNOT_RUN, SPAWN_QUOTA);
		return;
	}
	start_job(b, p, m->hdr.handle, m);
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
	struct job *j = find_job(b, p, h);
	if (j) {
		job_cancel(b, j);
		return;
	}
	struct prog *c = find_child(b, p, h);
	if (c) {
		c->parent_handle = 0; /* closed: no EXITED for it */
		end_prog(c);
	}
	/* Anything else was already gone: closing is idempotent. */
}

static void on_kill(struct broker *b, struct prog *p, int32_t h)
{
	struct prog *c = find_child(b, p, h);
	if (c) {
		end_prog(c);
		return;
	}
	/* Still being fetched: it will not start, its worker stops now, and
	 * its parent hears the same status as for a child killed running. */
	struct job *j = find_job(b, p, h);
	if (j) {
		job_cancel(b, j);
		send_exited(p, h, 128 + SIGKILL, SPAWN_KILLED);
	}
}

/* One request: checked, then served. Returns what it cost the broker, in
 * sends: 1, or 1 and a broadcast's deliveries. */
static unsigned on_request(struct broker *b, struct prog *p, const void *buf,
			   size_t n)
{
	const char *why;
	if (proto_check(buf, n, 1, &why) < 0) {
		kill_prog(p, "malformed control message: %s", why);
		return 1;
	}
	if (!bucket_take(&p->msgs, b->o->quotas.rate, b->o->quotas.burst, 1)) {
		kill_prog(p, "control message flood (over %u a second)",
			  b->o->quotas.rate);
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
		kill_prog(p, "malformed control message: protocol version %u "
			     "after %u",
			  h->version, p->version);
		return 1;
	}
	bool opens = h->type == PROTO_LINK || h->type == PROTO_SERVE ||
		     h->type == PROTO_SUBSCRIBE || h->type == PROTO_SPAWN;
	if (opens && handle_live(b, p, h->handle)) {
		kill_prog(p, "control message reuses live handle %d",
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
		on_spawn(b, p, buf);
		break;
	case PROTO_KILL:
		on_kill(b, p, h->handle);
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

static void on_control(struct broker *b, struct prog *p, uint32_t events)
{
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
				ep_del(b, p->ctl);
			return;
		}
		if (n == 0) {
			/* On a SOCK_SEQPACKET socket 0 is either the end (the
			 * program is exiting: its ring, and so its end, is
			 * gone) or an empty datagram, which is malformed. */
			if (events & (EPOLLHUP | EPOLLRDHUP)) {
				ep_del(b, p->ctl);
				return;
			}
			kill_prog(p, "malformed control message: shorter than "
				     "a header (0 bytes)");
			return;
		}
		if ((size_t)n > sizeof(msg)) {
			kill_prog(p, "oversized control message (%zd bytes, "
				     "at most %d)",
				  n, PROTO_PAGE);
			return;
		}
		cost += on_request(b, p, &msg, (size_t)n);
	}
}

/* --- the loop ------------------------------------------------------------------------- */

/* A forbidden system call: the task is blocked in the kernel until we
 * answer. We never answer; we note which call it was and kill the program,
 * so the call never runs and the user learns its name. */
static void on_notify(struct broker *b, struct prog *p, uint32_t events)
{
	if (!(events & EPOLLIN)) {
		/* Hang-up alone: the filter has no task left; a receive
		 * now would block for ever. */
		ep_del(b, p->proc.notify_fd);
		return;
	}
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		sizes.seccomp_notif = sizeof(struct seccomp_notif);
	size_t sz = sizes.seccomp_notif > sizeof(struct seccomp_notif)
			    ? sizes.seccomp_notif
			    : sizeof(struct seccomp_notif);
	cleanup_free struct seccomp_notif *req = xcalloc(1, sz);
	if (ioctl(p->proc.notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		if (errno != ENOENT && errno != EINTR)
			ep_del(b, p->proc.notify_fd);
		return;
	}
	if (!p->forbidden) {
		p->forbidden = true;
		p->forbidden_nr = req->data.nr;
	}
	p->dying = true; /* exit_status names the call */
	(void)syscall(SYS_pidfd_send_signal, p->proc.pidfd, SIGKILL, NULL, 0);
}

static void on_signal(struct broker *b)
{
	struct signalfd_siginfo si;
	while (read(b->sigfd, &si, sizeof(si)) == sizeof(si)) {
		/* Programs are pid 1 of their namespaces and ignore signals
		 * they have no handler for (and they can install none), so
		 * an interrupt is passed on the only way that works. */
		if (!b->stop_signal)
			b->stop_signal = (int)si.ssi_signo;
		for (struct prog *p = b->progs; p; p = p->next)
			end_prog(p);
	}
}

static void on_timer(struct broker *b)
{
	uint64_t ticks;
	if (read(b->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
		b->wall_expired = true;
		for (struct prog *p = b->progs; p; p = p->next)
			end_prog(p);
	}
}

/* Link requests whose name never appeared fail; returns the time until
 * the next deadline in ms, or -1 when nothing waits. */
static int expire_waiters(struct broker *b)
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

static void dispatch(struct broker *b, struct watch *w, uint32_t events)
{
	switch (w->kind) {
	case W_CONTROL:
		on_control(b, w->ptr, events);
		break;
	case W_RELAY_FROM:
	case W_RELAY_TO:
		relay_pump(w->ptr);
		break;
	case W_NOTIFY:
		on_notify(b, w->ptr, events);
		break;
	case W_PIDFD:
		prog_reap(w->ptr);
		break;
	case W_WORKER:
		finish_job(b, w->ptr);
		break;
	case W_SIGNAL:
		on_signal(b);
		break;
	case W_TIMER:
		on_timer(b);
		break;
	}
}

static bool consoles_drained(struct broker *b)
{
	for (struct prog *p = b->progs; p; p = p->next)
		if (!relay_done(&p->out) || !relay_done(&p->err))
			return false;
	return true;
}

/* Runs until every program has ended and its output is drained. The
 * stdin relay does not keep the loop alive. */
static void loop(struct broker *b)
{
	struct epoll_event evs[64];
	while (b->alive > 0 || b->jobs || !consoles_drained(b)) {
		bool pending = false;
		for (struct prog *p = b->progs; p; p = p->next)
			if (relay_unpolled(&p->in)) {
				relay_pump(&p->in);
				pending |= relay_unpolled(&p->in);
			}
		int timeout = pending ? 0 : expire_waiters(b);
		int n = epoll_wait(b->ep, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			log_fatal("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			dispatch(b, evs[i].data.ptr, evs[i].events);
	}
}

static int setup(struct broker *b)
{
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->ep < 0)
		return -errno;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	b->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (b->sigfd < 0)
		return -errno;
	/* A fetch worker killed while its download helper runs leaves the
	 * helper to us rather than to init, and job_reap reaps it. Nothing
	 * else below the broker can be orphaned: programs cannot fork. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return -errno;
	/* Writing to a console whose reader has gone must give EPIPE, not
	 * kill the broker and orphan the programs' exit statuses. */
	signal(SIGPIPE, SIG_IGN);
	watch_init(&b->w_signal, W_SIGNAL, NULL);
	int r = ep_set(b, EPOLL_CTL_ADD, b->sigfd, EPOLLIN, &b->w_signal);
	if (r < 0)
		return r;

	/* Every program costs the broker a handful of descriptors (ring,
	 * control link, pidfd, listener, console pipes, link copies). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	char msg[2400];
	if (cgroup_probe(&b->cgroup, msg, sizeof(msg)) == 0)
		log_info("%s", msg);
	else
		log_info("cgroup: not used (%s); limits are rlimits only, and "
			 "nothing bounds the kernel memory a program makes the "
			 "kernel hold (docs/SECURITY.md)",
			 msg);

	if (!b->o->wall_ms)
		return 0;
	b->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->timerfd < 0)
		return -errno;
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(b->o->wall_ms / 1000),
			      .tv_nsec = (long)(b->o->wall_ms % 1000) * 1000000 },
	};
	if (timerfd_settime(b->timerfd, 0, &its, NULL) < 0)
		return -errno;
	watch_init(&b->w_timer, W_TIMER, NULL);
	return ep_set(b, EPOLL_CTL_ADD, b->timerfd, EPOLLIN, &b->w_timer);
}

/* Every program after the top one joins the top one's network namespace,
 * which is just as empty: no program can make a socket or an interface.
 * Entering it and coming back needs CAP_SYS_ADMIN over the launcher's own
 * namespace, so an unprivileged broker gives each program a new one. */
static void share_netns(struct broker *b)
{
	char path[64];
	if (b->shared_netns >= 0)
		return; /* the host-wide one (jail_shared_netns) */
	if (!jail_own_ns_is_ours("net")) {
		log_debug("each spawned program gets its own network "
			  "namespace: the launcher's is not its user "
			  "namespace's");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)b->top->proc.pid);
	b->home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	b->shared_netns = open(path, O_RDONLY | O_CLOEXEC);
	if (b->home_netns >= 0 && b->shared_netns >= 0 &&
	    setns(b->shared_netns, CLONE_NEWNET) == 0) {
		if (setns(b->home_netns, CLONE_NEWNET) < 0)
			log_fatal("cannot return to the launcher's network "
				  "namespace: %s",
				  strerror(errno));
		log_debug("spawned programs share one empty network namespace");
		return;
	}
	log_debug("each spawned program gets its own network namespace");
	if (b->home_netns >= 0)
		close(b->home_netns);
	if (b->shared_netns >= 0)
		close(b->shared_netns);
	b->home_netns = b->shared_netns = -1;
}

/* Descriptors this process has open: the soak test compares the count
 * before the first program and after the last (-v). Reading /proc/self/fd
 * costs tens of microseconds a launch, so it is only counted for -v. */
static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

void broker_default_quotas(struct broker_quotas *q)
{
	q->programs = 1024;
	q->links = PROTO_SLOTS - 1;
	q->links_per_peer = 16;
	q->services = 16;
	q->subscriptions = 16;
	q->pending = 16;
	q->queued = 256;
	q->rate = 20000;
	q->burst = 2048;
	q->delivery_rate = 20000;
	q->delivery_burst = 2048;
	q->fetches = 16;
	q->broadcast_bytes = 256 * 1024;
}

int broker_run(const struct broker_opts *o, const char *url,
	       char *const *argv)
{
	struct broker b = { .o = o, .ep = -1, .sigfd = -1, .timerfd = -1,
			    .next_id = 1, .cgroup = { .dirfd = -1 },
			    .home_netns = -1, .shared_netns = -1,
			    .home_mntns = -1, .shared_mntns = -1 };
	struct error e = { "" };
	struct program prog = { .fd = -1 };
	enum program_fail kind = PROGRAM_FAIL_FETCH;
	int code;

	registry_init(&b.reg);
	int r = program_loader_open(&o->program, &b.loader, &e);
	if (r == 0)
		r = program_load(b.loader, url, &prog, &kind, &e);
	if (r < 0) {
		log_error("%s: %s", url, e.msg);
		program_loader_close(b.loader);
		return kind == PROGRAM_FAIL_RUN ? EXIT_CANNOT_RUN
						: EXIT_CANNOT_FETCH;
	}
	log_info("%s: %llu bytes, sha256 %02x%02x%02x%02x…, from %s", prog.url,
		 (unsigned long long)prog.size, prog.sha256[0], prog.sha256[1],
		 prog.sha256[2], prog.sha256[3], prog.source);

	/* argv[0] is the URL the program was started from. */
	size_t argc = 0;
	while (argv[argc])
		argc++;
	cleanup_free char **pargv = xcalloc(argc + 2, sizeof(char *));
	pargv[0] = prog.url;
	for (size_t i = 1; i < argc; i++)
		pargv[i] = argv[i];

	int fds_before = log_level >= LOG_VERBOSE ? count_fds() : -1;
	if ((r = setup(&b)) < 0) {
		log_error("%s: event loop setup: %s", url, strerror(-r));
		code = EXIT_LAUNCHER;
		goto out;
	}
	/* A root broker puts every program, the top one included, into the
	 * host's shared empty network namespace. */
	int nfd;
	struct error ne = { "" };
	if (jail_shared_netns(&nfd, &ne) == 0) {
		b.shared_netns = nfd;
		b.home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (b.home_netns < 0) {
			close(b.shared_netns);
			b.shared_netns = -1;
		}
	} else if (ne.msg[0]) {
		log_debug("no shared network namespace: %s", ne.msg);
	}
	struct error me = { "" };
	if (jail_shared_mntns(&nfd, &me) == 0) {
		b.shared_mntns = nfd;
		b.home_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	} else if (me.msg[0]) {
		log_debug("no shared empty root: %s", me.msg);
	}
	b.top = prog_new(&b, NULL, 0, prog.url);
	if (prog_start(&b, b.top, prog.fd, pargv, o->stdin_relay, &e) < 0) {
		log_error("%s: %s", url, e.msg);
		code = EXIT_CANNOT_RUN;
		goto out;
	}
	program_free(&prog);
	share_netns(&b);
	loop(&b);
	code = b.top->status;
out:
	while (b.jobs) {
		struct job *j = b.jobs;
		b.jobs = j->next;
		if (j->running) {
			job_reap(j->pid);
			close(j->sock);
		}
		job_free(j);
	}
	registry_fini(&b.reg);
	while (b.progs) {
		struct prog *p = b.progs;
		b.progs = p->next;
		relay_close(&p->out);
		relay_close(&p->err);
		relay_close(&p->in);
		prog_free(p);
	}
	for (int *fd = (int[]){ b.sigfd, b.timerfd, b.ep, b.home_netns,
				b.shared_netns, b.home_mntns, b.shared_mntns,
				-2 };
	     *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	cgroup_base_close(&b.cgroup);
	ring_release();
	program_free(&prog);
	program_loader_close(b.loader);
	if (b.top && log_level >= LOG_VERBOSE)
		log_info("broker: %llu programs run; %d descriptors open at "
			 "the end, %d before the first",
			 (unsigned long long)(b.next_id - 1), count_fds(),
			 fds_before);
	return code;
}

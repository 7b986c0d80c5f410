/* broker_prog.c — a program's life in the broker (broker_int.h): starting
 * it in its jail with its ring, boot page, control link and console;
 * sending it the broker's messages; killing it; and reaping it, which
 * ends its links, withdraws its names, kills its children and tells its
 * parent how it ended. */
#include "broker_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "log.h"
#include "policy.h"
#include "url.h"

struct prog *prog_of(const struct reg_owner *o)
{
	return reg_container(o, struct prog, reg);
}

/* Takes n tokens from a bucket that refills at rate a second up to burst;
 * false, taking none, when it holds fewer. A cost above burst is charged
 * as burst, so it is paid once the bucket is full. */
bool bucket_take(struct bucket *k, unsigned rate, unsigned burst,
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

/* Says once per program and quota that a request was refused, naming the
 * quota: a bomb that keeps trying does not flood the log. */
void quota_refused(struct prog *p, enum quota_bit bit,
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
	(void)broker_ep_set(p->b, EPOLL_CTL_MOD, p->ctl,
		     EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0), &p->w_ctl);
}

bool ctl_try(struct prog *p, const void *buf, size_t len)
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
	if (p->out_count >= p->t->o->quotas.queued) {
		prog_kill(p, "control link full: the program does not read "
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

void ctl_flush(struct prog *p)
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

void send_opened(struct prog *p, enum proto_type type, int32_t handle,
			uint32_t slot, const struct prog *peer,
			uint64_t peer_id, uint32_t party_links)
{
	/* Who the peer is, from what the broker knows of it: the account
	 * of its tree (a tree's registry scope is its account's uid), the
	 * URL and the bytes it was started from. */
	struct proto_peer who;
	memset(&who, 0, sizeof(who));
	if (peer) {
		who.uid = (uint32_t)peer->t->scope;
		memcpy(who.sha256, peer->sha256, sizeof(who.sha256));
		memcpy(who.url, peer->url,
		       strnlen(peer->url, sizeof(who.url) - 1));
	}
	send_opened_who(p, type, handle, slot, &who, peer_id, party_links);
}

void send_opened_who(struct prog *p, enum proto_type type, int32_t handle,
		     uint32_t slot, const struct proto_peer *who,
		     uint64_t peer_id, uint32_t party_links)
{
	struct proto_linked m;
	memset(&m, 0, sizeof(m));
	/* Version 4's body is version 5's first part; 3 and 4 stop there. */
	size_t len = p->version >= 5 ? sizeof(m) : sizeof(m.o);
	proto_hdr_init(&m.o.hdr, type, (uint32_t)len, handle);
	m.o.hdr.version = p->version;
	m.o.slot = slot;
	m.o.peer = peer_id;
	/* Version 3 has no such field: zero there. */
	if (p->version >= 4)
		m.o.party_links = party_links;
	if (p->version >= 5)
		m.who = *who;
	ctl_send(p, &m, len);
}

/* A refusal by a quota: -EDQUOT from version 5; before, -EMFILE, which
 * also meant "the library's handle table is full" (docs/API.md 2). */
int quota_errno(const struct prog *p)
{
	return p->version >= 5 ? -EDQUOT : -EMFILE;
}

void send_closed(struct prog *p, int32_t handle, int err)
{
	struct proto_status m;
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_CLOSED, sizeof(m), handle);
	m.hdr.version = p->version;
	m.status = err;
	ctl_send(p, &m, sizeof(m));
}

void send_exited(struct prog *p, int32_t handle, int status,
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

void send_link_ended(struct prog *p, uint32_t slot, int status)
{
	/* A program of version 5 or older would take an unknown message
	 * for a broken broker and end: it keeps seeing end of file alone. */
	if (p->version < 6)
		return;
	struct proto_ended m;
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_LINK_ENDED, sizeof(m), 0);
	m.hdr.version = p->version;
	m.slot = slot;
	m.status = status;
	ctl_send(p, &m, sizeof(m));
}

/* --- exits ------------------------------------------------------------------ */

void prog_kill(struct prog *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	if (!p->running)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!p->dying) {
		log_error("%s: killed: %s", p->url, why);
		snprintf(p->reason, sizeof(p->reason), "killed: %.240s", why);
	}
	p->dying = true;
	(void)syscall(SYS_pidfd_send_signal, p->proc.pidfd, SIGKILL, NULL, 0);
}

/* Kills without a message: the program's parent asked, or its tree ends. */
void prog_end(struct prog *p)
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
	struct tree *t = p->t;
	if (st->si_code == CLD_EXITED)
		return st->si_status;
	int sig = st->si_status;
	if (p->forbidden) {
		const char *name = policy_syscall_name(p->forbidden_nr);
		log_error("%s: killed: forbidden system call %s (%d)", p->url,
			  name ? name : "unknown", p->forbidden_nr);
		if (!p->crashed)
			snprintf(p->reason, sizeof(p->reason),
				 "forbidden system call %s (%d)",
				 name ? name : "unknown", p->forbidden_nr);
		return 128 + SIGSYS;
	}
	/* Stopped at a fatal signal, reported (broker_crash.c), then
	 * killed: its status is the signal's, as if it had died of it. */
	if (p->crash_sig) {
		log_error("%s: killed by %s", p->url,
			  signal_name(p->crash_sig));
		return 128 + p->crash_sig;
	}
	if (sig == SIGSYS) {
		/* Only the filter's bad-architecture action kills with
		 * SIGSYS directly: the call came through another ABI. */
		log_error("%s: killed: forbidden system call through another "
			  "ABI (i386 int 0x80 or x32)",
			  p->url);
		return 128 + SIGSYS;
	}
	if (p == t->top && t->stop_signal)
		return 128 + t->stop_signal;
	if (p == t->top && t->wall_expired) {
		log_error("%s: killed: wall-clock limit of %.3g s exceeded",
			  p->url, (double)t->o->wall_ms / 1000.0);
		snprintf(p->reason, sizeof(p->reason),
			 "wall-clock limit of %.3g s exceeded",
			 (double)t->o->wall_ms / 1000.0);
		return 128 + sig;
	}
	if (p->dying || p->quiet)
		return 128 + sig; /* logged already, or asked for */
	uint64_t cpu = (uint64_t)ru->ru_utime.tv_sec +
		       (uint64_t)ru->ru_stime.tv_sec;
	uint64_t limit = t->o->limits.cpu_seconds;
	if ((sig == SIGKILL || sig == SIGXCPU) && limit && cpu + 1 >= limit) {
		log_error("%s: killed: CPU time limit of %llu s exceeded",
			  p->url, (unsigned long long)limit);
		char why[96];
		snprintf(why, sizeof(why), "CPU time limit of %llu s exceeded",
			 (unsigned long long)limit);
		crash_limit(p, why);
		return 128 + sig;
	}
	log_error("%s: killed by %s%s", p->url, signal_name(sig),
		  st->si_code == CLD_DUMPED ? " (no core: cores are disabled)"
					    : "");
	return 128 + sig;
}


/* Everything p asked for and still holds goes: its names, its waiting
 * links and its subscriptions, and its spawns still being fetched, whose
 * workers are killed now rather than left to finish for nobody. */
static void drop_requests(struct broker *b, struct prog *p)
{
	struct tree *t = p->t;
	registry_drop_owner(&b->reg, &p->reg);
	for (struct job *j = t->jobs, *next; j; j = next) {
		next = j->next; /* a queued job is freed by its cancel */
		if (j->owner == p)
			j->owner = NULL; /* nobody to charge any more */
		if (j->parent == p)
			spawn_cancel(j);
	}
}

/* The program is gone: its links end (peers see end of file), its names
 * and subscriptions are withdrawn, its children are killed, and its parent
 * hears how it ended. */
void prog_reap(struct prog *p)
{
	struct broker *b = p->b;
	struct tree *t = p->t;
	siginfo_t st;
	struct rusage ru;
	memset(&st, 0, sizeof(st));
	memset(&ru, 0, sizeof(ru));
	/* The raw waitid takes a rusage: CPU time tells whether RLIMIT_CPU
	 * is what killed it. */
	p->reaped_ns = now_ns();
	if (syscall(SYS_waitid, P_PIDFD, p->proc.pidfd, &st, WEXITED, &ru) <
	    0) {
		if (errno == EINTR)
			return;
		st.si_code = CLD_KILLED;
		st.si_status = SIGKILL;
	}
	p->running = false;
	t->alive--;
	/* The kernel's OOM killer in the program's cgroup sent the SIGKILL:
	 * its memory, kernel memory included, reached the group's limit. */
	if (st.si_code == CLD_KILLED && st.si_status == SIGKILL && !p->dying &&
	    cgroup_oom_kills(&b->cgroup, p->cg_id) > 0) {
		uint64_t limit = cgroup_memory_limit(t->o->limits.memory);
		log_error("%s: killed: memory limit of %llu MiB reached in its "
			  "cgroup v%d group (--memory %llu MiB and %llu MiB of "
			  "headroom; kernel memory counted)",
			  p->url, (unsigned long long)(limit >> 20),
			  b->cgroup.version,
			  (unsigned long long)(t->o->limits.memory >> 20),
			  (unsigned long long)((limit - t->o->limits.memory) >>
					       20));
		char why[96];
		snprintf(why, sizeof(why), "memory limit of %llu MiB reached",
			 (unsigned long long)(limit >> 20));
		crash_limit(p, why);
		p->dying = true;
	}
	p->status = exit_status(p, &st, &ru);
	log_debug("%s: ended with status %d", p->url, p->status);
	/* RLIMIT_AS refuses allocations; the program only sees ENOMEM.
	 * When its peak resident size came near the limit, say so: that is
	 * most likely why it failed. */
	uint64_t mem = t->o->limits.memory;
	if (mem && (uint64_t)ru.ru_maxrss * 1024 >= mem / 10 * 9)
		log_warn("%s: reached its memory limit (--memory %llu MiB; "
			 "peak resident %llu MiB)",
			 p->url, (unsigned long long)(mem >> 20),
			 (unsigned long long)ru.ru_maxrss >> 10);

	broker_ep_del(b, p->proc.pidfd);
	close(p->proc.pidfd);
	p->proc.pidfd = -1;
	if (p->proc.notify_fd >= 0) {
		broker_ep_del(b, p->proc.notify_fd);
		close(p->proc.notify_fd);
		p->proc.notify_fd = -1;
	}
	for (int s = 1; s < PROTO_SLOTS; s++)
		slot_close(p, s);
	close(p->ring);
	p->ring = -1;
	broker_ep_del(b, p->ctl);
	close(p->ctl);
	p->ctl = -1;
	while (p->out_head) {
		struct queued *q = p->out_head;
		p->out_head = q->next;
		free(q);
	}
	p->out_tail = NULL;
	relay_close(&p->in);
	cgroup_remove(&b->cgroup, p->cg_id);
	drop_requests(b, p);
	for (struct prog *c = t->progs; c; c = c->next)
		if (c->parent == p) {
			c->parent_handle = 0;
			prog_end(c);
		}
	/* The reason of a started child is version 4's: a version-3 parent
	 * read one only for 126 and 127 (docs/API.md, section 8.3). */
	if (p->parent && p->parent_handle)
		send_exited(p->parent, p->parent_handle, p->status,
			    p->parent->version >= 4 && p->reason[0] ? p->reason
								     : NULL);
	if (p == t->top)
		for (struct prog *c = t->progs; c; c = c->next)
			prog_end(c);
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
	/* boot->key stays zero (proto.h): the broker vouches for a
	 * program to its peers itself (struct proto_peer). */
	int fd = memfd_create("fakeos:boot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r2 = fd < 0 ? error_sys(e, errno, "memfd_create(boot page)") : 0;
	if (r2 == 0 && write_full(fd, boot, PROTO_PAGE) < 0)
		r2 = error_sys(e, errno, "writing the boot page");
	/* Sealed: the program maps it, and nobody can change it after. */
	if (r2 == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
						      F_SEAL_WRITE |
						      F_SEAL_SEAL) < 0)
		r2 = error_sys(e, errno, "sealing the boot page");
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
int prog_start(struct prog *p, int exec_fd,
		      char *const *argv, bool with_stdin, struct error *e)
{
	struct broker *b = p->b;
	struct tree *t = p->t;
	struct ring ring = { .fd = -1 };
	int sv[2] = { -1, -1 }, in[2] = { -1, -1 }, out[2] = { -1, -1 },
	    err[2] = { -1, -1 }, boot = -1;
	int r;

	/* A warm jail when the pool has one that fits: its ring, cgroup
	 * and namespaces are made already (broker_pool.c). */
	struct warm_slot ws;
	bool warm = pool_take(b, t->o->limits.memory, &ws);
	p->cg_id = p->id;
	if (warm) {
		/* The jail's ring is the program's; ws keeps naming it until
		 * the launch (which must not send it: the jail has it) and
		 * this function closes it on failure, not ws. */
		ring = ws.w.ring;
		p->cg_id = ws.cg_id;
	} else if ((r = ring_create(&ring, e)) < 0) {
		return r;
	}
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
	int sndbuf = (int)t->o->quotas.broadcast_bytes;
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
	if (!warm && b->cgroup.dirfd >= 0 &&
	    (r = cgroup_create(&b->cgroup, p->cg_id, t->o->limits.memory,
			       CGROUP_PIDS_MAX, &cg, e)) < 0)
		goto fail;

	struct jail_config jc = {
		.exec_fd = exec_fd,
		.argv = argv,
		.filter = t->o->filter,
		.limits = t->o->limits,
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
		/* Traced from its exec on, for crash reports. */
		.trace = true,
	};
	if (warm) {
		r = jail_warm_launch(&ws.w, &jc, &p->proc, e);
		ws.w.ring.fd = -1;
		jail_warm_discard(&ws.w);
		if (r == -EAGAIN) {
			/* The jail had died before it got the program, and
			 * nothing ran: the same ring, a new group, cold. */
			log_debug("%s: warm jail gone: %s; launching cold",
				  p->url, e->msg);
			pool_drop(b, &ws);
			p->cg_id = p->id;
			warm = false;
			if (b->cgroup.dirfd >= 0 &&
			    (r = cgroup_create(&b->cgroup, p->cg_id,
					       t->o->limits.memory,
					       CGROUP_PIDS_MAX, &cg, e)) < 0)
				goto fail;
			jc.cgroup_fd = cg.clone_fd;
			jc.cgroup_procs_fd = cg.procs_fd;
		}
	}
	if (!warm)
		r = jail_spawn(&jc, &p->proc, e);
	cgroup_join_close(&cg);
	if (r < 0) {
		cgroup_remove(&b->cgroup, p->cg_id);
		ws.cg = false; /* removed just now */
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(boot);
	p->launched_ns = now_ns();
	if (warm)
		log_debug("%s: launched in a warm jail", p->url);

	p->running = true;
	p->traced = p->proc.traced;
	p->exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, 0);
	size_t argc = 0;
	while (argv[argc])
		argc++;
	p->argv = xcalloc(argc + 1, sizeof(char *));
	for (size_t i = 0; i < argc; i++)
		p->argv[i] = xstrdup(argv[i]);
	t->alive++;
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
	relay_init(&p->out, b->ep, out[0], true, t->console_out, false,
		   &p->w_out_from, &p->w_out_to);
	relay_init(&p->err, b->ep, err[0], true, t->console_err, false,
		   &p->w_err_from, &p->w_err_to);
	/* A program's output is shown, not obeyed, wherever it goes: a
	 * terminal can sit behind a pipe or a file (relay_sanitize). */
	p->out.sanitize = !t->o->raw_console;
	p->err.sanitize = !t->o->raw_console;
	if (in[1] >= 0 && fcntl(t->console_in, F_GETFD) >= 0)
		relay_init(&p->in, b->ep, t->console_in, false, in[1], true,
			   &p->w_in_from, &p->w_in_to);
	else if (in[1] >= 0)
		close(in[1]);
	if ((r = broker_ep_set(b, EPOLL_CTL_ADD, p->ctl, EPOLLIN | EPOLLRDHUP,
			&p->w_ctl)) < 0 ||
	    (r = broker_ep_set(b, EPOLL_CTL_ADD, p->proc.notify_fd, EPOLLIN,
			&p->w_notify)) < 0 ||
	    (r = broker_ep_set(b, EPOLL_CTL_ADD, p->proc.pidfd, EPOLLIN,
			&p->w_pidfd)) < 0)
		log_fatal("epoll_ctl: %s", strerror(-r));
	return 0;

fail:
	if (warm) {
		ws.w.ring.fd = -1; /* ring.fd, closed below */
		pool_drop(b, &ws);
	}
	for (int *fd = (int[]){ ring.fd, sv[0], sv[1], in[0], in[1], out[0],
				out[1], err[0], err[1], boot, -2 };
	     *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	return r;
}

struct prog *prog_new(struct tree *t, struct prog *parent,
			     int32_t handle, const char *url)
{
	struct prog *p = xcalloc(1, sizeof(*p));
	struct broker *b = t->b;
	p->b = b;
	p->t = t;
	p->id = b->next_id++;
	p->parent = parent;
	p->parent_handle = handle;
	p->url = xstrdup(url);
	p->started_ns = now_ns();
	struct url u;
	struct error e;
	p->home = url_parse(url, &u, &e) == 0 ? url_home(&u) : NULL;
	if (p->home)
		url_free(&u);
	p->ring = p->ctl = p->exec_fd = -1;
	p->proc.pidfd = p->proc.notify_fd = -1;
	p->out.from = p->out.to = p->err.from = p->err.to = -1;
	p->in.from = p->in.to = -1;
	reg_owner_init(&p->reg);
	p->version = PROTO_VERSION_MIN;
	p->msgs = (struct bucket){ t->o->quotas.burst, now_ns() };
	p->deliveries = (struct bucket){ t->o->quotas.delivery_burst,
					 p->msgs.at };
	p->signal_stops = (struct bucket){ 1000, p->msgs.at };
	/* Appended, so the top program stays first. */
	struct prog **tail = &t->progs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	return p;
}

void prog_free(struct prog *p)
{
	if (p->exec_fd >= 0)
		close(p->exec_fd);
	for (size_t i = 0; p->argv && p->argv[i]; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->home);
	free(p->url);
	free(p);
}

/* A forbidden system call: the task is blocked in the kernel until we
 * answer. We never answer; we note which call it was and kill the program,
 * so the call never runs and the user learns its name. */
void prog_on_notify(struct prog *p, uint32_t events)
{
	struct broker *b = p->b;
	if (!(events & EPOLLIN)) {
		/* Hang-up alone: the filter has no task left; a receive
		 * now would block for ever. */
		broker_ep_del(b, p->proc.notify_fd);
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
			broker_ep_del(b, p->proc.notify_fd);
		return;
	}
	if (!p->forbidden) {
		p->forbidden = true;
		p->forbidden_nr = req->data.nr;
		/* Traced: a report first; the stop kills it. */
		if (crash_forbidden(p, req->id,
				    (const uint64_t *)req->data.args)) {
			p->dying = true;
			return;
		}
	}
	p->dying = true; /* exit_status names the call */
	(void)syscall(SYS_pidfd_send_signal, p->proc.pidfd, SIGKILL, NULL, 0);
}


struct prog *prog_find(struct broker *b, uint64_t id)
{
	for (struct tree *t = b->trees; t; t = t->next)
		for (struct prog *p = t->progs; p; p = p->next)
			if (p->id == id)
				return p;
	return NULL;
}

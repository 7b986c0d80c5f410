/* broker.c — see broker.h and broker_int.h.
 *
 * One event loop (epoll) serves everything the broker waits for: each
 * program's control link, console pipes, seccomp notifications and exit
 * (a pidfd); spawn workers; signals (a signalfd); each tree's wall-clock
 * limit; and, in fakeosd, the daemon's own sockets (broker_watch).
 * Deadlines of requests that wait (a link to a name not yet served) set
 * the loop's timeout.
 *
 * Trust: the broker is privileged and every program is hostile. A control
 * message is checked field by field (proto_check) before anything reads
 * it; a program that sends a malformed or oversized message, reuses a live
 * handle, floods, or stops reading its replies is killed with the reason in
 * the log, and nothing it did reaches another program except through the
 * links and broadcasts the API grants. Quotas bound what each may hold. */
#include "broker_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "log.h"

int broker_ep_set(struct broker *b, int op, int fd, uint32_t events,
		  struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(b->ep, op, fd, &ev) < 0 ? -errno : 0;
}

void broker_ep_del(struct broker *b, int fd)
{
	if (fd >= 0)
		(void)epoll_ctl(b->ep, EPOLL_CTL_DEL, fd, NULL);
}

void watch_init(struct watch *w, enum watch_kind kind, void *ptr)
{
	w->kind = kind;
	w->ptr = ptr;
	w->fn = NULL;
}

/* --- trees -------------------------------------------------------------------------- */

/* Ends every program of t: a signal to the launcher, the wall clock, or
 * fakeosd ending a client's run. Programs are pid 1 of their namespaces
 * and ignore signals they have no handler for (and they can install
 * none), so an interrupt is passed on the only way that works. */
void broker_tree_stop(struct tree *t, int sig)
{
	if (!t->stop_signal)
		t->stop_signal = sig;
	for (struct prog *p = t->progs; p; p = p->next)
		prog_end(p);
	/* And what is still being fetched will not start. */
	for (struct job *j = t->jobs, *next; j; j = next) {
		next = j->next;
		spawn_cancel(j);
	}
}

static void on_signal(struct broker *b)
{
	struct signalfd_siginfo si;
	while (read(b->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			/* A traced program stopped (broker_crash.c); exits
			 * are the pidfds' and the workers' own. */
			broker_crash_on_sigchld(b);
			continue;
		}
		if (b->on_signal) {
			b->on_signal(b, (int)si.ssi_signo, b->on_signal_arg);
			continue;
		}
		for (struct tree *t = b->trees; t; t = t->next)
			broker_tree_stop(t, (int)si.ssi_signo);
	}
}

static void on_timer(struct tree *t)
{
	uint64_t ticks;
	if (!t)
		return; /* a timer watch always names its tree */
	if (read(t->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
		t->wall_expired = true;
		for (struct prog *p = t->progs; p; p = p->next)
			prog_end(p);
	}
}

/* Every program of t reaped, every spawn's worker gone, every console
 * drained. The stdin relay does not keep a tree alive. */
bool broker_tree_done(const struct tree *t)
{
	if (t->alive > 0 || t->jobs)
		return false;
	for (const struct prog *p = t->progs; p; p = p->next)
		if (!relay_done(&p->out) || !relay_done(&p->err))
			return false;
	return true;
}

int broker_tree_status(const struct tree *t)
{
	if (t->top)
		return t->top->status;
	if (t->fail_status)
		return t->fail_status;
	/* Stopped while its top program was still being fetched. */
	return t->stop_signal ? 128 + t->stop_signal : EXIT_LAUNCHER;
}

void broker_tree_times(const struct tree *t, uint64_t *launched,
		       uint64_t *reaped)
{
	*launched = t->top ? t->top->launched_ns : 0;
	*reaped = t->top ? t->top->reaped_ns : 0;
}

void broker_tree_account(struct tree *t, const struct broker_account *a)
{
	t->account = a;
}

void broker_account_usage(struct broker *b, const struct broker_account *a,
			  struct broker_account *used)
{
	memset(used, 0, sizeof(*used));
	used->uid = a->uid;
	for (const struct tree *t = b->trees; t; t = t->next) {
		if (t->account != a)
			continue;
		used->programs += t->alive + spawn_starting(t);
		for (const struct prog *p = t->progs; p; p = p->next) {
			if (!p->running)
				continue;
			used->links += p->nlinks;
			used->services += p->reg.count[REG_SERVICE];
		}
	}
}

unsigned broker_tree_alive(const struct tree *t)
{
	return t->alive;
}

void broker_tree_log_to_console(struct tree *t, int level)
{
	t->log_to_console = true;
	t->log_level = level;
}

void broker_tree_client(struct tree *t, uid_t uid, gid_t gid,
			const gid_t *groups, int ngroups)
{
	t->as_client = true;
	t->uid = uid;
	t->gid = gid;
	t->ngroups = ngroups < (int)ARRAY_SIZE(t->groups)
			     ? ngroups
			     : (int)ARRAY_SIZE(t->groups);
	if (t->ngroups > 0)
		memcpy(t->groups, groups,
		       (size_t)t->ngroups * sizeof(t->groups[0]));
}

void broker_tree_publish(struct tree *t, const char *const *names,
			 unsigned n)
{
	t->publish = names;
	t->npublish = n;
}

void broker_tree_each_prog(const struct tree *t,
			   void (*fn)(const struct broker_prog_info *i,
				      void *arg),
			   void *arg)
{
	for (const struct prog *p = t->progs; p; p = p->next) {
		if (!p->running)
			continue;
		struct broker_prog_info i = {
			.id = p->id, .url = p->url, .pid = p->proc.pid,
			.started_ns = p->started_ns,
			.sha256 = p->has_sha256 ? p->sha256 : NULL,
		};
		fn(&i, arg);
	}
}

void broker_each_name(struct broker *b, uint64_t scope,
		      void (*fn)(const char *name, void *arg), void *arg)
{
	registry_each_service(&b->reg, scope, fn, arg);
}

struct tree *broker_tree_new(struct broker *b, const struct broker_opts *o,
			     uint64_t scope, const int console[3],
			     struct error *e)
{
	struct tree *t = xcalloc(1, sizeof(*t));
	t->b = b;
	t->o = o;
	t->scope = scope;
	t->timerfd = -1;
	t->console_in = console[0];
	t->console_out = console[1];
	t->console_err = console[2];
	if (o->wall_ms) {
		t->timerfd = timerfd_create(CLOCK_MONOTONIC,
					    TFD_CLOEXEC | TFD_NONBLOCK);
		struct itimerspec its = {
			.it_value = { .tv_sec = (time_t)(o->wall_ms / 1000),
				      .tv_nsec = (long)(o->wall_ms % 1000) *
						 1000000 },
		};
		watch_init(&t->w_timer, W_TIMER, t);
		int r = t->timerfd < 0 ? -errno : 0;
		if (r == 0 && timerfd_settime(t->timerfd, 0, &its, NULL) < 0)
			r = -errno;
		if (r == 0)
			r = broker_ep_set(b, EPOLL_CTL_ADD, t->timerfd, EPOLLIN,
					  &t->w_timer);
		if (r < 0) {
			if (t->timerfd >= 0)
				close(t->timerfd);
			free(t);
			error_sys(e, -r, "the wall-clock timer");
			return NULL;
		}
	}
	t->next = b->trees;
	b->trees = t;
	return t;
}

int broker_tree_start(struct tree *t, const struct program *prog,
		      char *const *argv, struct error *e)
{
	/* argv[0] is the URL the program was started from. */
	size_t argc = 0;
	while (argv[argc])
		argc++;
	cleanup_free char **pargv = xcalloc(argc + 2, sizeof(char *));
	pargv[0] = prog->url;
	for (size_t i = 1; i < argc; i++)
		pargv[i] = argv[i];
	t->top = prog_new(t, NULL, 0, prog->url);
	t->top->has_sha256 = true;
	memcpy(t->top->sha256, prog->sha256, sizeof(t->top->sha256));
	int r = prog_start(t->top, prog->fd, pargv, t->o->stdin_relay, e);
	if (r < 0)
		return r;
	broker_share_netns(t->b, t->top);
	return 0;
}

/* Frees a tree whose programs have all ended (broker_tree_done), or that
 * never started one. */
void broker_tree_free(struct tree *t)
{
	struct broker *b = t->b;
	spawn_reap_all(t);
	for (struct prog *p = t->progs; p; p = p->next)
		registry_drop_owner(&b->reg, &p->reg);
	while (t->progs) {
		struct prog *p = t->progs;
		t->progs = p->next;
		relay_close(&p->out);
		relay_close(&p->err);
		relay_close(&p->in);
		prog_free(p);
	}
	if (t->timerfd >= 0) {
		broker_ep_del(b, t->timerfd);
		close(t->timerfd);
	}
	for (struct tree **pp = &b->trees; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	free(t);
}

/* --- the loop ------------------------------------------------------------------------- */

/* The tree an event concerns, if the loop can tell. */
static struct tree *tree_of(const struct watch *w)
{
	switch (w->kind) {
	case W_CONTROL:
	case W_NOTIFY:
	case W_PIDFD:
		return ((struct prog *)w->ptr)->t;
	case W_WORKER:
		return ((struct job *)w->ptr)->t;
	case W_TIMER:
		return w->ptr;
	default:
		return NULL;
	}
}

static void dispatch(struct broker *b, struct watch *w, uint32_t events)
{
	/* What the broker says about a fakeosd client's tree, the client
	 * reads on its stderr, as fakeos-run alone would have printed it. */
	struct tree *t = tree_of(w);
	bool sink = t && t->log_to_console;
	if (sink)
		log_set_sink(t->console_err, t->log_level);
	switch (w->kind) {
	case W_CONTROL:
		ctl_on_readable(w->ptr, events);
		break;
	case W_RELAY_FROM:
		relay_pump(w->ptr);
		break;
	case W_RELAY_TO:
		relay_room(w->ptr);
		break;
	case W_NOTIFY:
		prog_on_notify(w->ptr, events);
		break;
	case W_PIDFD:
		prog_reap(w->ptr);
		break;
	case W_WORKER:
		spawn_finish(w->ptr);
		break;
	case W_SIGNAL:
		on_signal(b);
		break;
	case W_TIMER:
		on_timer(w->ptr);
		break;
	case W_EXTERNAL:
		w->fn(w->ptr, events);
		break;
	case W_MAKER:
		maker_answered(b);
		break;
	case W_GONE:
		break;
	}
	if (sink)
		log_set_sink(-1, 0);
}

static void free_gone(struct broker *b)
{
	while (b->gone) {
		struct watch *w = b->gone;
		b->gone = w->ptr;
		free(w);
	}
}

int broker_poll(struct broker *b, int timeout_ms)
{
	struct epoll_event evs[64];
	bool pending = false;
	for (struct tree *t = b->trees; t; t = t->next)
		for (struct prog *p = t->progs; p; p = p->next)
			if (relay_unpolled(&p->in)) {
				relay_pump(&p->in);
				pending |= relay_unpolled(&p->in);
			}
	int timeout = pending ? 0 : ctl_expire_waiters(b);
	/* A pool short of a jail is refilled now, not at the next event. */
	if (pool_short(b))
		timeout = 0;
	if (timeout < 0 || (timeout_ms >= 0 && timeout_ms < timeout))
		timeout = timeout_ms;
	int n = epoll_wait(b->ep, evs, ARRAY_SIZE(evs), timeout);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		dispatch(b, evs[i].data.ptr, evs[i].events);
	free_gone(b);
	/* One warm jail a turn at most: the pool refills between events. */
	pool_fill_one(b);
	return n;
}

int broker_watch(struct broker *b, int fd, uint32_t events,
		 void (*fn)(void *arg, uint32_t events), void *arg,
		 struct broker_watch **out)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	w->kind = W_EXTERNAL;
	w->ptr = arg;
	w->fn = fn;
	int r = broker_ep_set(b, EPOLL_CTL_ADD, fd, events, w);
	if (r < 0) {
		free(w);
		return r;
	}
	*out = (struct broker_watch *)w;
	return 0;
}

/* A callback may unwatch a descriptor whose event is still waiting later
 * in this turn's batch (fakeosd's HTTP gateway does, from inside curl):
 * the watch is kept, inert, until the batch is done. */
void broker_unwatch(struct broker *b, int fd, struct broker_watch *w)
{
	struct watch *x = (struct watch *)w;
	broker_ep_del(b, fd);
	x->kind = W_GONE;
	x->ptr = b->gone;
	b->gone = x;
}

void broker_on_signal(struct broker *b,
		      void (*fn)(struct broker *b, int sig, void *arg),
		      void *arg)
{
	b->on_signal = fn;
	b->on_signal_arg = arg;
}

/* --- the broker ---------------------------------------------------------------------- */

/* ring_install's wait, every few ms: the stops of traced programs. */
static void serve_stops(void *arg)
{
	broker_crash_on_sigchld(arg);
}

static int setup(struct broker *b)
{
	ring_set_wait_hook(serve_stops, b);
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->ep < 0)
		return -errno;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	/* Programs are traced: their ptrace stops are told by SIGCHLD. */
	sigaddset(&set, SIGCHLD);
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
	int r = broker_ep_set(b, EPOLL_CTL_ADD, b->sigfd, EPOLLIN, &b->w_signal);
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

	return 0;
}

/* Every program after the top one joins the top one's network namespace,
 * which is just as empty: no program can make a socket or an interface.
 * Entering it and coming back needs CAP_SYS_ADMIN over the launcher's own
 * namespace, so an unprivileged broker gives each program a new one. */
void broker_share_netns(struct broker *b, const struct prog *top)
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
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)top->proc.pid);
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


int broker_open(const struct program_opts *program, struct broker **out,
		struct error *e)
{
	struct broker *b = xcalloc(1, sizeof(*b));
	b->program = program;
	b->ep = b->sigfd = -1;
	b->next_id = 1;
	b->cgroup.dirfd = -1;
	b->home_netns = b->shared_netns = -1;
	b->home_mntns = b->shared_mntns = -1;
	b->maker_pidfd = b->maker_sock = -1;
	b->crash.timerfd = b->crash.sender_pidfd = -1;
	b->crash.rate_max = CRASH_RATE_MAX;
	b->crash.rate_window_s = CRASH_RATE_WINDOW_S;
	registry_init(&b->reg);
	int r = program_loader_open(program, &b->loader, e);
	if (r == 0 && (r = setup(b)) < 0)
		error_sys(e, -r, "event loop setup");
	if (r < 0) {
		broker_close(b);
		return r;
	}
	/* A root broker puts every program, the top one included, into the
	 * host's shared empty network namespace. */
	int nfd;
	struct error ne = { "" };
	if (jail_shared_netns(&nfd, &ne) == 0) {
		b->shared_netns = nfd;
		b->home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (b->home_netns < 0) {
			close(b->shared_netns);
			b->shared_netns = -1;
		}
	} else if (ne.msg[0]) {
		log_debug("no shared network namespace: %s", ne.msg);
	}
	struct error me = { "" };
	if (jail_shared_mntns(&nfd, &me) == 0) {
		b->shared_mntns = nfd;
		b->home_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	} else if (me.msg[0]) {
		log_debug("no shared empty root: %s", me.msg);
	}
	*out = b;
	return 0;
}

void broker_set_cache_max(struct broker *b, uint64_t max)
{
	program_loader_set_cache_max(b->loader, max);
	if (b->fresh_loader)
		program_loader_set_cache_max(b->fresh_loader, max);
}

struct program_loader *broker_loader(struct broker *b)
{
	return b->loader;
}

void broker_close(struct broker *b)
{
	if (!b)
		return;
	/* broker_tree_free unlinks the tree before it frees it. */
	while (b->trees)
		broker_tree_free(b->trees); /* NOLINT(clang-analyzer-unix.Malloc) */
	maker_stop(b);
	broker_crash_close(b);
	pool_drain(b);
	free(b->pool);
	registry_fini(&b->reg);
	free_gone(b);
	for (int *fd = (int[]){ b->sigfd, b->ep, b->home_netns,
				b->shared_netns, b->home_mntns, b->shared_mntns,
				-2 };
	     *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	cgroup_base_close(&b->cgroup);
	ring_release();
	program_loader_close(b->loader);
	program_loader_close(b->fresh_loader);
	free(b);
}

int broker_run(const struct broker_opts *o, const char *url,
	       char *const *argv)
{
	struct broker *b = NULL;
	struct error e = { "" };
	struct program prog = { .fd = -1 };
	enum program_fail kind = PROGRAM_FAIL_FETCH;
	int code;

	int fds_before = log_level >= LOG_VERBOSE ? count_fds() : -1;
	/* The top program is loaded before the broker blocks the signals it
	 * reads from a signalfd: Ctrl-C during a download ends fakeos-run
	 * at once, as it always did. */
	struct program_loader *l = NULL;
	int r = program_loader_open(&o->program, &l, &e);
	if (r == 0)
		r = program_load(l, url, &prog, &kind, &e);
	program_loader_close(l);
	if (r < 0) {
		log_error("%s: %s", url, e.msg);
		return kind == PROGRAM_FAIL_RUN ? EXIT_CANNOT_RUN
						: EXIT_CANNOT_FETCH;
	}
	if (broker_open(&o->program, &b, &e) < 0) {
		log_error("%s: %s", url, e.msg);
		program_free(&prog);
		return EXIT_LAUNCHER;
	}
	if (o->crash_url &&
	    broker_set_crash(b, o->crash_url, o->crash_dir, &e) < 0) {
		log_error("crash reports: %s", e.msg);
		program_free(&prog);
		broker_close(b);
		return EXIT_LAUNCHER;
	}
	log_info("%s: %llu bytes, sha256 %02x%02x%02x%02x…, from %s", prog.url,
		 (unsigned long long)prog.size, prog.sha256[0], prog.sha256[1],
		 prog.sha256[2], prog.sha256[3], prog.source);

	struct tree *t = broker_tree_new(b, o, (uint64_t)getuid(),
					 (int[]){ STDIN_FILENO, STDOUT_FILENO,
						  STDERR_FILENO },
					 &e);
	if (!t || broker_tree_start(t, &prog, argv, &e) < 0) {
		log_error("%s: %s", url, e.msg);
		code = t ? EXIT_CANNOT_RUN : EXIT_LAUNCHER;
		goto out;
	}
	program_free(&prog);
	while (!broker_tree_done(t))
		if ((r = broker_poll(b, -1)) < 0)
			log_fatal("epoll_wait: %s", strerror(-r));
	code = broker_tree_status(t);
out:
	program_free(&prog);
	uint64_t run = b->next_id - 1;
	broker_close(b);
	if (log_level >= LOG_VERBOSE)
		log_info("broker: %llu programs run; %d descriptors open at "
			 "the end, %d before the first",
			 (unsigned long long)run, count_fds(), fds_before);
	return code;
}

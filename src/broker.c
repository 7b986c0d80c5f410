/* broker.c — see broker.h.
 *
 * One event loop (epoll) serves everything the launcher waits for: console
 * traffic in both directions, seccomp notifications, the program's exit
 * (a pidfd), signals to the launcher (a signalfd) and the wall-clock limit
 * (a timerfd). Nothing here blocks except writes to the launcher's own
 * stdout and stderr, which is the back-pressure a console should have. */
#include "broker.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "log.h"
#include "policy.h"

struct watch;

/* One direction of console traffic: the program's stdout or stderr to the
 * launcher's, or the launcher's stdin to the program's. */
struct relay {
	int from, to;
	bool own_from; /* from is our pipe end: non-blocking, ours to close */
	bool own_to;
	bool from_polled; /* registered with epoll (regular files cannot be) */
	bool to_waiting; /* EPOLLOUT registered on `to` */
	bool eof; /* from reached end of file */
	struct watch *wfrom; /* the epoll cookie of `from` */
	bool to_dead; /* the reader went away: drain and discard */
	size_t off, len;
	char buf[65536];
};

enum watch_kind { W_RELAY_FROM, W_RELAY_TO, W_NOTIFY, W_PIDFD, W_SIGNAL,
		  W_TIMER };

struct watch {
	enum watch_kind kind;
	struct relay *relay;
};

struct session {
	const struct broker_opts *o;
	const char *url;
	int ep;
	struct jail_proc proc;
	struct relay out, err, in;
	struct watch w_out_from, w_err_from, w_in_from, w_out_to, w_err_to,
		w_in_to, w_notify, w_pidfd, w_signal, w_timer;
	int sigfd, timerfd;
	bool exited;
	siginfo_t status;
	struct rusage usage;
	int forbidden_nr; /* -1, or the call we killed the program for */
	uint32_t forbidden_arch;
	int stop_signal; /* a signal to the launcher that ended the run */
	bool wall_expired;
};

static int ep_add(struct session *s, int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void ep_del(struct session *s, int fd)
{
	(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void relay_init(struct session *s, struct relay *r, int from,
		       bool own_from, int to, bool own_to, struct watch *wf,
		       struct watch *wt)
{
	memset(r, 0, offsetof(struct relay, buf));
	r->from = from;
	r->to = to;
	r->own_from = own_from;
	r->own_to = own_to;
	wf->kind = W_RELAY_FROM;
	wf->relay = r;
	r->wfrom = wf;
	wt->kind = W_RELAY_TO;
	wt->relay = r;
	if (own_from)
		(void)fcntl(from, F_SETFL, O_NONBLOCK);
	if (own_to)
		(void)fcntl(to, F_SETFL, O_NONBLOCK);
	/* epoll refuses regular files and /dev/null (EPERM): such a source
	 * is always ready, and relay_pump_all polls it by hand. */
	r->from_polled = ep_add(s, from, EPOLLIN, wf) == 0;
}

static void relay_close(struct session *s, struct relay *r)
{
	if (r->from_polled)
		ep_del(s, r->from);
	if (r->to_waiting)
		ep_del(s, r->to);
	r->from_polled = r->to_waiting = false;
	if (r->own_from && r->from >= 0)
		close(r->from);
	if (r->own_to && r->to >= 0)
		close(r->to);
	r->from = r->to = -1;
}

static bool relay_done(const struct relay *r)
{
	return r->from < 0 || (r->eof && r->len == 0);
}

static void ep_mod(struct session *s, int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	(void)epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &ev);
}

/* The destination is full: watch it for room, and stop watching the source
 * meanwhile, or a level-triggered source would spin the loop. */
static void relay_wait_for_room(struct session *s, struct relay *r,
				struct watch *wt)
{
	if (r->to_waiting || ep_add(s, r->to, EPOLLOUT, wt) < 0)
		return;
	r->to_waiting = true;
	if (r->from_polled)
		ep_mod(s, r->from, 0, r->wfrom);
}

static void relay_room_again(struct session *s, struct relay *r)
{
	if (!r->to_waiting)
		return;
	ep_del(s, r->to);
	r->to_waiting = false;
	if (r->from_polled)
		ep_mod(s, r->from, EPOLLIN, r->wfrom);
}

/* Moves what is available, without blocking on our own pipe ends. A read
 * from an inherited descriptor happens only after epoll said it is ready,
 * and once per call, because we must not make the user's terminal
 * non-blocking behind the shell's back. */
static void relay_pump(struct session *s, struct relay *r, struct watch *wt)
{
	for (int rounds = 0; rounds < 16 && r->from >= 0; rounds++) {
		if (r->len == 0 && !r->eof) {
			ssize_t n = read(r->from, r->buf, sizeof(r->buf));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				r->eof = true;
			} else {
				r->off = 0;
				r->len = (size_t)n;
			}
		}
		while (r->len > 0) {
			if (r->to_dead) {
				r->len = 0;
				break;
			}
			ssize_t n = write(r->to, r->buf + r->off, r->len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				relay_wait_for_room(s, r, wt);
				return;
			}
			if (n < 0) {
				/* EPIPE and friends: nobody reads any more. */
				r->to_dead = true;
				r->len = 0;
				break;
			}
			r->off += (size_t)n;
			r->len -= (size_t)n;
		}
		relay_room_again(s, r);
		if (r->eof) {
			relay_close(s, r);
			return;
		}
		if (!r->own_from)
			break;
	}
}

static struct watch *relay_to_watch(struct session *s, struct relay *r)
{
	return r == &s->out ? &s->w_out_to : r == &s->err ? &s->w_err_to
							  : &s->w_in_to;
}

/* Sources epoll cannot watch (a regular file on stdin) are pumped here,
 * each loop, while there is room to put what they give. */
static bool relay_pump_unpolled(struct session *s)
{
	bool pending = false;
	struct relay *all[] = { &s->in, &s->out, &s->err };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		struct relay *r = all[i];
		if (r->from >= 0 && !r->from_polled && !r->to_waiting) {
			relay_pump(s, r, relay_to_watch(s, r));
			pending |= r->from >= 0 && !r->to_waiting;
		}
	}
	return pending;
}

static void kill_program(struct session *s)
{
	if (!s->exited)
		(void)syscall(SYS_pidfd_send_signal, s->proc.pidfd, SIGKILL,
			      NULL, 0);
}

/* A forbidden system call: the task is blocked in the kernel until we
 * answer. We never answer; we note which call it was and kill the program,
 * so the call never runs and the user learns its name. */
static void handle_notify(struct session *s)
{
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		sizes.seccomp_notif = sizeof(struct seccomp_notif);
	size_t sz = sizes.seccomp_notif > sizeof(struct seccomp_notif)
			    ? sizes.seccomp_notif
			    : sizeof(struct seccomp_notif);
	cleanup_free struct seccomp_notif *req = xcalloc(1, sz);
	if (ioctl(s->proc.notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		if (errno != ENOENT && errno != EINTR) {
			log_debug("seccomp notification: %s", strerror(errno));
			ep_del(s, s->proc.notify_fd);
		}
		return;
	}
	if (s->forbidden_nr < 0) {
		s->forbidden_nr = req->data.nr;
		s->forbidden_arch = req->data.arch;
	}
	kill_program(s);
}

static void handle_exit(struct session *s)
{
	memset(&s->status, 0, sizeof(s->status));
	/* The raw waitid takes a rusage: the program's CPU time tells us
	 * whether RLIMIT_CPU is what killed it. */
	if (syscall(SYS_waitid, P_PIDFD, s->proc.pidfd, &s->status, WEXITED,
		    &s->usage) < 0) {
		if (errno == EINTR)
			return;
		log_error("%s: waitid: %s", s->url, strerror(errno));
		s->status.si_code = CLD_KILLED;
		s->status.si_status = SIGKILL;
	}
	s->exited = true;
	ep_del(s, s->proc.pidfd);
}

static void handle_signal(struct session *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		/* The program is pid 1 of its namespace and ignores every
		 * signal it has no handler for (and it can install none), so
		 * an interrupt is passed on the only way that works. */
		if (!s->stop_signal)
			s->stop_signal = (int)si.ssi_signo;
		kill_program(s);
	}
}

static void handle_timer(struct session *s)
{
	uint64_t ticks;
	if (read(s->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
		s->wall_expired = true;
		kill_program(s);
	}
}

static int setup_signals(struct session *s)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		return -errno;
	/* Writing to a console whose reader has gone must give EPIPE, not
	 * kill the launcher and orphan the program's exit status. */
	signal(SIGPIPE, SIG_IGN);
	s->w_signal.kind = W_SIGNAL;
	return ep_add(s, s->sigfd, EPOLLIN, &s->w_signal);
}

static int setup_timer(struct session *s)
{
	s->timerfd = -1;
	if (!s->o->wall_ms)
		return 0;
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timerfd < 0)
		return -errno;
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(s->o->wall_ms / 1000),
			      .tv_nsec = (long)(s->o->wall_ms % 1000) * 1000000 },
	};
	if (timerfd_settime(s->timerfd, 0, &its, NULL) < 0)
		return -errno;
	s->w_timer.kind = W_TIMER;
	return ep_add(s, s->timerfd, EPOLLIN, &s->w_timer);
}

static const char *signal_name(int sig)
{
	const char *abbrev = sigabbrev_np(sig);
	static char buf[32];
	snprintf(buf, sizeof(buf), "SIG%s", abbrev ? abbrev : "?");
	return buf;
}

/* Turns how the program ended into the launcher's exit code, with one line
 * on stderr whenever the program did not simply exit. */
static int exit_code(struct session *s)
{
	const siginfo_t *st = &s->status;
	if (st->si_code == CLD_EXITED)
		return st->si_status;

	int sig = st->si_status;
	if (s->forbidden_nr >= 0) {
		const char *name = policy_syscall_name(s->forbidden_nr);
		log_error("%s: killed: forbidden system call %s (%d)", s->url,
			  name ? name : "unknown", s->forbidden_nr);
		return 128 + SIGSYS;
	}
	if (sig == SIGSYS) {
		/* Only the filter's bad-architecture action kills with SIGSYS
		 * directly: the call came through another ABI. */
		log_error("%s: killed: forbidden system call through another "
			  "ABI (i386 int 0x80 or x32)",
			  s->url);
		return 128 + SIGSYS;
	}
	if (s->stop_signal)
		return 128 + s->stop_signal;
	if (s->wall_expired) {
		log_error("%s: killed: wall-clock limit of %.3g s exceeded",
			  s->url, (double)s->o->wall_ms / 1000.0);
		return 128 + sig;
	}
	uint64_t cpu = (uint64_t)s->usage.ru_utime.tv_sec +
		       (uint64_t)s->usage.ru_stime.tv_sec;
	if ((sig == SIGKILL || sig == SIGXCPU) && s->o->limits.cpu_seconds &&
	    cpu + 1 >= s->o->limits.cpu_seconds) {
		log_error("%s: killed: CPU time limit of %llu s exceeded",
			  s->url, (unsigned long long)s->o->limits.cpu_seconds);
		return 128 + sig;
	}
	log_error("%s: killed by %s%s", s->url, signal_name(sig),
		  st->si_code == CLD_DUMPED ? " (no core: cores are disabled)"
					    : "");
	return 128 + sig;
}

static void dispatch(struct session *s, struct watch *w, uint32_t events)
{
	switch (w->kind) {
	case W_RELAY_FROM:
	case W_RELAY_TO:
		relay_pump(s, w->relay, relay_to_watch(s, w->relay));
		break;
	case W_NOTIFY:
		/* Hang-up alone means the filter has no task left; a receive
		 * now would block for ever. */
		if (events & EPOLLIN)
			handle_notify(s);
		else
			ep_del(s, s->proc.notify_fd);
		break;
	case W_PIDFD:
		handle_exit(s);
		break;
	case W_SIGNAL:
		handle_signal(s);
		break;
	case W_TIMER:
		handle_timer(s);
		break;
	}
}

static int make_pipe(int fds[2], struct error *e)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_sys(e, errno, "pipe");
	return 0;
}

/* The console: three pipes the launcher relays. The program never holds
 * the user's terminal, so TIOCSTI-class attacks have nothing to aim at. */
static int start(struct session *s, const struct program *prog,
		 char *const *argv, struct error *e)
{
	int in[2], out[2], err[2];
	int r = make_pipe(in, e);
	if (r < 0)
		return r;
	if ((r = make_pipe(out, e)) < 0 || (r = make_pipe(err, e)) < 0)
		return r;
	if (!s->o->stdin_relay) {
		close(in[1]);
		in[1] = -1;
	}

	struct jail_config jc = {
		.exec_fd = prog->fd,
		.argv = argv,
		.filter = s->o->filter,
		.limits = s->o->limits,
		.console = { in[0], out[1], err[1] },
		.cgroup_fd = -1,
		.hostname = "fakeos",
	};
	r = jail_spawn(&jc, &s->proc, e);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (r < 0) {
		if (in[1] >= 0)
			close(in[1]);
		close(out[0]);
		close(err[0]);
		return r;
	}

	relay_init(s, &s->out, out[0], true, STDOUT_FILENO, false,
		   &s->w_out_from, &s->w_out_to);
	relay_init(s, &s->err, err[0], true, STDERR_FILENO, false,
		   &s->w_err_from, &s->w_err_to);
	if (in[1] >= 0 && fcntl(STDIN_FILENO, F_GETFD) >= 0)
		relay_init(s, &s->in, STDIN_FILENO, false, in[1], true,
			   &s->w_in_from, &s->w_in_to);
	else {
		if (in[1] >= 0)
			close(in[1]);
		s->in.from = s->in.to = -1;
	}

	s->w_notify.kind = W_NOTIFY;
	s->w_pidfd.kind = W_PIDFD;
	if ((r = ep_add(s, s->proc.notify_fd, EPOLLIN, &s->w_notify)) < 0 ||
	    (r = ep_add(s, s->proc.pidfd, EPOLLIN, &s->w_pidfd)) < 0)
		return error_sys(e, -r, "epoll");
	return 0;
}

/* Runs until the program has exited and its output is drained. The stdin
 * relay does not keep the loop alive: a program that exits without reading
 * its input is done. */
static void loop(struct session *s)
{
	struct epoll_event evs[16];
	while (!s->exited || !relay_done(&s->out) || !relay_done(&s->err)) {
		bool pending = relay_pump_unpolled(s);
		int n = epoll_wait(s->ep, evs, ARRAY_SIZE(evs),
				   pending ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			log_fatal("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			dispatch(s, evs[i].data.ptr, evs[i].events);
	}
}

int broker_run(const struct broker_opts *o, const char *url,
	       char *const *argv)
{
	struct error e = { "" };
	struct program_loader *loader = NULL;
	struct program prog = { .fd = -1 };
	enum program_fail kind = PROGRAM_FAIL_FETCH;
	int code;

	int r = program_loader_open(&o->program, &loader, &e);
	if (r == 0)
		r = program_load(loader, url, &prog, &kind, &e);
	if (r < 0) {
		log_error("%s: %s", url, e.msg);
		program_loader_close(loader);
		return kind == PROGRAM_FAIL_RUN ? EXIT_CANNOT_RUN
						: EXIT_CANNOT_FETCH;
	}
	log_info("%s: %llu bytes, sha256 %02x%02x%02x%02x…, from %s",
		 prog.url, (unsigned long long)prog.size, prog.sha256[0],
		 prog.sha256[1], prog.sha256[2], prog.sha256[3], prog.source);

	/* argv[0] is the URL the program was started from. */
	size_t argc = 0;
	while (argv[argc])
		argc++;
	cleanup_free char **pargv = xcalloc(argc + 2, sizeof(char *));
	pargv[0] = prog.url;
	for (size_t i = 1; i < argc; i++)
		pargv[i] = argv[i];

	struct session s = { .o = o, .url = prog.url, .forbidden_nr = -1,
			     .sigfd = -1, .timerfd = -1 };
	s.in.from = s.in.to = s.out.from = s.out.to = s.err.from = s.err.to = -1;
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0 || setup_signals(&s) < 0 || setup_timer(&s) < 0) {
		log_error("%s: event loop setup: %s", url, strerror(errno));
		code = EXIT_LAUNCHER;
		goto out;
	}
	r = start(&s, &prog, pargv, &e);
	if (r < 0) {
		log_error("%s: %s", url, e.msg);
		code = EXIT_CANNOT_RUN;
		goto out;
	}
	loop(&s);
	relay_close(&s, &s.in);
	code = exit_code(&s);
	close(s.proc.pidfd);
	close(s.proc.notify_fd);
out:
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.timerfd >= 0)
		close(s.timerfd);
	if (s.ep >= 0)
		close(s.ep);
	program_free(&prog);
	program_loader_close(loader);
	return code;
}

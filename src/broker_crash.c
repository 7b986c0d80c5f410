/* broker_crash.c — crash reports in the broker (broker_int.h, crash.h):
 * the ptrace stops of its programs, the report of one that crashed, its
 * reason for the parent and the user, and the sender worker that takes
 * spooled reports to the operator's crash URL.
 *
 * Every program is traced from its exec on (jail.c seizes it while the
 * exec waits in its seccomp notification, so no instruction of it runs
 * untraced). A stop is reported by SIGCHLD, read from the broker's
 * signalfd; waitid with WSTOPPED alone never reaps, so the pidfd watch
 * still sees every exit, and workers' exits are not taken from them.
 * A stop for a signal that is no crash (SIGPIPE, which the program
 * ignores) is resumed with it at once; past a budget of them the program
 * is no longer traced, so it cannot make the broker work for it. */
#include "broker_int.h"

#include <fcntl.h>
#include <poll.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "crash_report.h"
#include "crash_spool.h"
#include "elf.h"
#include "hash.h"
#include "log.h"
#include "policy.h"

#define SIGNAL_STOPS_RATE 100 /* non-crash signal stops a second ... */
#define SIGNAL_STOPS_BURST 1000 /* ... and in a burst, before untracing */
#define BACKOFF_MIN_S 2
#define BACKOFF_MAX_S 300
#define SENDER_WAIT_MS 5000 /* standalone: how long the end waits */

static struct prog *prog_by_pid(struct broker *b, pid_t pid)
{
	for (struct tree *t = b->trees; t; t = t->next)
		for (struct prog *p = t->progs; p; p = p->next)
			if (p->running && p->proc.pid == pid)
				return p;
	return NULL;
}

/* The load base of a static-pie: where its program headers are, less
 * their offset in the file (auxv's AT_PHDR). 0 for ET_EXEC. */
static uint64_t load_base(pid_t pid, const uint8_t *img, size_t len)
{
	if (!elf_is_pie(img, len))
		return 0;
	char path[64];
	uint64_t aux[2 * 64];
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, aux, sizeof(aux));
	close(fd);
	uint64_t phoff;
	memcpy(&phoff, img + 32, sizeof(phoff)); /* e_phoff */
	for (ssize_t i = 0; i + 1 < n / 8; i += 2)
		if (aux[i] == 3 /* AT_PHDR */)
			return aux[i + 1] - phoff;
	return 0;
}

struct image {
	const uint8_t *p;
	void *map; /* p, as mmap gave it, for munmap */
	size_t len;
};

static struct image map_image(int fd)
{
	struct stat st;
	struct image im = { NULL, NULL, 0 };
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0)
		return im;
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
		       0);
	if (p == MAP_FAILED)
		return im;
	im.p = p;
	im.map = p;
	im.len = (size_t)st.st_size;
	return im;
}

/* Fills in what the broker knows, symbolises the frames, and writes
 * the reason; the report's text goes to the spool when
 * a crash URL is set and the crash loop limit allows. */
static void report(struct prog *p, struct crash_info *ci)
{
	struct broker *b = p->b;
	struct crash_report *r = xcalloc(1, sizeof(*r));
	char sha[HASH_HEX_SIZE], bid[2 * 64 + 1] = "";
	uint8_t idbytes[64];
	struct image im = map_image(p->exec_fd);
	if (!p->has_sha256 && im.p) {
		hash_buf(im.p, im.len, p->sha256);
		p->has_sha256 = true;
	}
	if (p->has_sha256)
		hash_hex(p->sha256, sha);
	if (im.p) {
		size_t n = elf_build_id(im.p, im.len, idbytes, sizeof(idbytes));
		hex_encode(idbytes, n, bid);
		uint64_t base = load_base(p->proc.pid, im.p, im.len);
		for (unsigned i = 0; i < ci->nframes; i++)
			if (ci->frames[i] >= base &&
			    elf_symbolize(im.p, im.len, ci->frames[i] - base,
					  r->sym[i], sizeof(r->sym[i]),
					  &r->sym_off[i]) < 0)
				r->sym[i][0] = '\0';
		munmap(im.map, im.len);
	}
	r->time = now_unix();
	r->url = p->url;
	r->sha256 = p->has_sha256 ? sha : NULL;
	r->build_id = bid[0] ? bid : NULL;
	r->argv = p->argv;
	r->uid = (uint32_t)p->t->uid;
	r->id = p->id;
	r->ci = ci;
	r->syscall_name = ci->syscall_nr >= 0
				  ? policy_syscall_name(ci->syscall_nr)
				  : NULL;
	for (int s = 1; s < PROTO_SLOTS && r->nlinks < CRASH_MAX_LINKS; s++) {
		if (!p->slots[s].used)
			continue;
		struct prog *peer = prog_find(b, p->slots[s].peer);
		r->links[r->nlinks++] = (struct crash_link){
			(uint32_t)s, p->slots[s].peer,
			peer ? peer->url : NULL, p->slots[s].name
		};
	}
	const char *served[16];
	const struct reg_node *n;
	for (n = reg_list_first(&p->reg.entries);
	     n && r->nservices < ARRAY_SIZE(served);
	     n = reg_list_next(&p->reg.entries, n)) {
		const struct reg_entry *e =
			reg_container(n, struct reg_entry, by_owner);
		if (e->kind == REG_SERVICE)
			served[r->nservices++] = reg_entry_name(e);
	}
	r->services = served;
	crash_report_reason(r, p->reason, sizeof(p->reason));
	r->reason = p->reason;
	p->crashed = true;

	/* The summary: the reason, then the top frames. */
	log_error("%s: crashed: %s", p->url, p->reason);
	for (unsigned i = 1; i < ci->nframes && i < 6; i++) {
		if (r->sym[i][0])
			log_error("%s:   #%u %s+0x%llx", p->url, i, r->sym[i],
				  (unsigned long long)r->sym_off[i]);
		else
			log_error("%s:   #%u 0x%llx", p->url, i,
				  (unsigned long long)ci->frames[i]);
	}

	struct broker_crash *bc = &b->crash;
	uint8_t key[HASH_SIZE];
	char keysrc[PROTO_URL_SIZE + HASH_HEX_SIZE + 2];
	snprintf(keysrc, sizeof(keysrc), "%s %s", p->url,
		 p->has_sha256 ? sha : "");
	hash_buf(keysrc, strlen(keysrc), key);
	if (bc->url && !crash_rate_take(bc->rate, key, r->time, bc->rate_max,
					bc->rate_window_s, &r->suppressed)) {
		log_warn("%s: crash report not made: more than %u in %u s "
			 "(counted in the next)",
			 p->url, bc->rate_max, bc->rate_window_s);
	} else if (bc->url) {
		char *json = xmalloc(CRASH_MAX_BYTES);
		int len = crash_report_json(r, json, CRASH_MAX_BYTES);
		uint32_t id;
		struct error e = { "" };
		if (len < 0)
			log_error("%s: crash report too large", p->url);
		else if (crash_spool_add(bc->dir, p->t->uid, json, (size_t)len,
					 &id, &e) < 0)
			log_error("%s: crash report not kept: %s", p->url,
				  e.msg);
		else {
			log_info("%s: crash report %u kept in %s for %s",
				 p->url, id, bc->dir, bc->url);
			broker_crash_send(b);
		}
		explicit_bzero(json, CRASH_MAX_BYTES);
		free(json);
	}
	free(r);
}

/* A report without a stop: a limit ended the program (the kernel's
 * SIGKILL leaves nothing to read), and reason says which. */
void crash_limit(struct prog *p, const char *reason)
{
	struct crash_info ci;
	memset(&ci, 0, sizeof(ci));
	ci.syscall_nr = -1;
	ci.sig = SIGKILL;
	report(p, &ci);
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
}

static void kill_now(struct prog *p)
{
	(void)syscall(SYS_pidfd_send_signal, p->proc.pidfd, SIGKILL, NULL, 0);
}

/* One ptrace stop of p, as waitid reported it. */
static void on_stop(struct prog *p, const siginfo_t *w)
{
	pid_t pid = p->proc.pid;
	int status = w->si_status;
	if (status >> 8 == PTRACE_EVENT_STOP) {
		if (p->crash_syscall) {
			/* The forbidden call, interrupted (crash_forbidden) */
			struct crash_info *ci = xcalloc(1, sizeof(*ci));
			ci->syscall_nr = p->forbidden_nr;
			memcpy(ci->syscall_args, p->forbidden_args,
			       sizeof(ci->syscall_args));
			ci->sig = 0;
			(void)crash_collect(pid, NULL, ci);
			report(p, ci);
			free(ci);
			p->crash_syscall = false;
			kill_now(p);
			return;
		}
		if ((status & 0x7f) != SIGTRAP) {
			/* A group stop (the host sent SIGSTOP): the program
			 * stays stopped, as it would untraced, until a
			 * SIGCONT wakes it (PTRACE_LISTEN); PTRACE_CONT
			 * would undo the host's stop. */
			(void)ptrace(PTRACE_LISTEN, pid, NULL, NULL);
			return;
		}
		/* An interrupt's stop that is not ours, or the re-trap
		 * after a listen that SIGCONT ended. */
		(void)ptrace(PTRACE_CONT, pid, NULL, NULL);
		return;
	}
	int sig = status & 0x7f;
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0)
		return; /* killed meanwhile */
	if (!crash_signal(sig) || p->dying || p->quiet) {
		if (!bucket_take(&p->signal_stops, SIGNAL_STOPS_RATE,
				 SIGNAL_STOPS_BURST, 1)) {
			log_warn("%s: too many signals: no longer traced (no "
				 "crash report)",
				 p->url);
			/* ptrace(2) takes the signal as its data pointer. */
			(void)ptrace(PTRACE_DETACH, pid, NULL,
				     /* NOLINTNEXTLINE(performance-no-int-to-ptr) */
				     (void *)(uintptr_t)sig);
			p->traced = false;
			return;
		}
		/* ptrace(2) takes the signal as its data pointer. */
		(void)ptrace(PTRACE_CONT, pid, NULL,
			     /* NOLINTNEXTLINE(performance-no-int-to-ptr) */
			     (void *)(uintptr_t)sig);
		return;
	}
	struct crash_info *ci = xcalloc(1, sizeof(*ci));
	ci->syscall_nr = -1;
	(void)crash_collect(pid, &si, ci);
	/* Killed, not resumed with the signal: a program is pid 1 of its
	 * namespace, where a traced fault that is delivered could be
	 * ignored and fault again for ever. Its status names the signal. */
	p->crash_sig = sig;
	report(p, ci);
	free(ci);
	kill_now(p);
}

void broker_crash_on_sigchld(struct broker *b)
{
	/* Bounded: each stopped child is reported once per stop. */
	for (int i = 0; i < 4096; i++) {
		siginfo_t w;
		memset(&w, 0, sizeof(w));
		if (waitid(P_ALL, 0, &w, WSTOPPED | WNOHANG) < 0 ||
		    w.si_pid == 0)
			return;
		if (w.si_code != CLD_TRAPPED)
			continue;
		struct prog *p = prog_by_pid(b, w.si_pid);
		if (!p || !p->traced)
			continue;
		/* The signalfd's event belongs to no tree: a fakeosd
		 * client's summary goes to its own stderr, as dispatch()
		 * does for the tree's other events. */
		bool sink = p->t->log_to_console;
		if (sink)
			log_set_sink(p->t->console_err, p->t->log_level);
		on_stop(p, &w);
		if (sink)
			log_set_sink(-1, 0);
	}
}

/* A forbidden call waits in its notification: stop the program there
 * (PTRACE_INTERRUPT) to read its registers, then kill it. The interrupt
 * ends that notification's wait, and were the call resumed it would come
 * back under a new id; so the id is checked to be live before, and the
 * report is made from the stop, never from the notification again. */
bool crash_forbidden(struct prog *p, uint64_t notif_id,
		     const uint64_t args[6])
{
	if (!p->traced || p->crash_syscall)
		return false;
	if (ioctl(p->proc.notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID,
		  &notif_id) < 0)
		return false;
	if (ptrace(PTRACE_INTERRUPT, p->proc.pid, NULL, NULL) < 0)
		return false;
	memcpy(p->forbidden_args, args, sizeof(p->forbidden_args));
	p->crash_syscall = true;
	return true;
}

/* --- the sender ------------------------------------------------------------ */

static void sender_start(struct broker *b);

static void on_timer(void *arg, uint32_t events)
{
	struct broker *b = arg;
	struct broker_crash *bc = &b->crash;
	uint64_t ticks;
	(void)events;
	if (read(bc->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks))
		sender_start(b);
}

static void arm_retry(struct broker *b)
{
	struct broker_crash *bc = &b->crash;
	bc->backoff_s = bc->backoff_s ? bc->backoff_s * 2 : BACKOFF_MIN_S;
	if (bc->backoff_s > BACKOFF_MAX_S)
		bc->backoff_s = BACKOFF_MAX_S;
	if (bc->timerfd < 0) {
		bc->timerfd = timerfd_create(CLOCK_MONOTONIC,
					     TFD_CLOEXEC | TFD_NONBLOCK);
		if (bc->timerfd < 0 ||
		    broker_watch(b, bc->timerfd, EPOLLIN, on_timer, b,
				 &bc->timer_w) < 0) {
			log_warn("crash reports: no retry timer: %s",
				 strerror(errno));
			return;
		}
	}
	struct itimerspec its = { .it_value = { (time_t)bc->backoff_s, 0 } };
	(void)timerfd_settime(bc->timerfd, 0, &its, NULL);
	log_info("crash reports: collector %s unreachable; next try in %u s",
		 bc->url, bc->backoff_s);
}

static void sender_reaped(struct broker *b, int code)
{
	struct broker_crash *bc = &b->crash;
	broker_unwatch(b, bc->sender_pidfd, bc->sender_w);
	close(bc->sender_pidfd);
	bc->sender_pidfd = -1;
	bc->sender_pid = 0;
	if (code == 0) {
		bc->backoff_s = 0;
		if (bc->again)
			sender_start(b);
		return;
	}
	arm_retry(b);
}

static void on_sender(void *arg, uint32_t events)
{
	struct broker *b = arg;
	siginfo_t si;
	(void)events;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)b->crash.sender_pidfd, &si,
		   WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	sender_reaped(b, si.si_code == CLD_EXITED ? si.si_status : 1);
}

static void sender_start(struct broker *b)
{
	struct broker_crash *bc = &b->crash;
	bc->again = false;
	if (!bc->url || !crash_spool_pending(bc->dir))
		return;
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("crash reports: fork: %s", strerror(errno));
		arm_retry(b);
		return;
	}
	if (pid == 0) {
		/* The worker: nothing of the broker's loop is its own. */
		sigset_t none;
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(crash_spool_send_all(bc->dir, bc->url) == 0 ? 0 : 1);
	}
	bc->sender_pid = pid;
	bc->sender_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (bc->sender_pidfd < 0 ||
	    broker_watch(b, bc->sender_pidfd, EPOLLIN, on_sender, b,
			 &bc->sender_w) < 0)
		log_fatal("crash reports: watching the sender: %s",
			  strerror(errno));
}

void broker_crash_send(struct broker *b)
{
	struct broker_crash *bc = &b->crash;
	if (bc->sender_pid) {
		bc->again = true; /* after this run, another */
		return;
	}
	if (bc->timerfd >= 0) {
		/* A new report tries at once, whatever the back-off. */
		struct itimerspec off = { 0 };
		(void)timerfd_settime(bc->timerfd, 0, &off, NULL);
	}
	sender_start(b);
}

void broker_set_crash_limit(struct broker *b, unsigned max,
			    unsigned window_s)
{
	b->crash.rate_max = max;
	b->crash.rate_window_s = window_s;
}

int broker_set_crash(struct broker *b, const char *url, const char *dir,
		     struct error *e)
{
	struct broker_crash *bc = &b->crash;
	if (!url) {
		/* fakeosd's reload took the key away: crashes are logged,
		 * no report is kept, and no retry is made. */
		free(bc->url);
		bc->url = NULL;
		return 0;
	}
	int r = crash_spool_prepare(dir, e);
	if (r < 0)
		return r;
	if (bc->url && bc->dir && strcmp(bc->url, url) == 0 &&
	    strcmp(bc->dir, dir) == 0)
		return 0; /* a reload that changed nothing here */
	free(bc->url);
	free(bc->dir);
	bc->backoff_s = 0;
	bc->url = xstrdup(url);
	bc->dir = xstrdup(dir);
	/* What an earlier run could not send goes now. */
	broker_crash_send(b);
	return 0;
}

void broker_crash_close(struct broker *b)
{
	struct broker_crash *bc = &b->crash;
	if (bc->sender_pid) {
		/* Standalone: the last report may still be on its way. */
		struct pollfd pf = { bc->sender_pidfd, POLLIN, 0 };
		if (poll(&pf, 1, SENDER_WAIT_MS) <= 0)
			(void)syscall(SYS_pidfd_send_signal, bc->sender_pidfd,
				      SIGKILL, NULL, 0);
		siginfo_t si;
		(void)waitid(P_PIDFD, (id_t)bc->sender_pidfd, &si, WEXITED);
		broker_unwatch(b, bc->sender_pidfd, bc->sender_w);
		close(bc->sender_pidfd);
	}
	if (bc->timerfd >= 0) {
		broker_unwatch(b, bc->timerfd, bc->timer_w);
		close(bc->timerfd);
	}
	free(bc->url);
	free(bc->dir);
	memset(bc, 0, sizeof(*bc));
	bc->timerfd = bc->sender_pidfd = -1;
}

/* broker_spawn.c — spawns (broker_int.h): a program's request to start
 * another by URL. A program fresh in the cache is loaded in the loop
 * (load_fresh: nothing there can wait). Anything else goes to a worker, a
 * fork of the broker in a process group of its own, which fetches and
 * verifies the program through the cache (program.h) and hands back a
 * sealed memfd, so the broker's loop never waits on the network. A tree runs at most quotas.fetches workers at once, and more
 * spawns wait in order; a spawn closed or killed while it is fetched has
 * its worker and download helper killed at once. What the program hears
 * of a failure is one of a fixed set of reasons. */
#include "broker_int.h"

#include <grp.h>
#include <signal.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "log.h"
#include "url.h"

/* What a worker sends back, with the memfd attached on success. */
struct job_result {
	int32_t err; /* 0, or -errno */
	int32_t kind; /* enum program_fail */
	uint64_t size;
	uint8_t sha256[32];
	char msg[512];
};

/* What a program hears when a spawn fails: FK_EV_EXIT's reason is one of
 * these, never words taken from a response or from a network error. A
 * reason travels back into the program, which can carry it out again in
 * the URL of its next spawn: quoting "not an ELF: starts with ..." or
 * "HTTP 403" or "connection refused" would make spawn a probe of whatever
 * the fetch reached. The operator's log keeps the whole story. */
const char *const SPAWN_BAD_URL = "invalid URL";
const char *const SPAWN_OUTSIDE = "refused: outside the program's origin";
const char *const SPAWN_QUOTA = "refused: quota reached";
const char *const SPAWN_CANNOT_FETCH = "cannot fetch";
const char *const SPAWN_NOT_RUNNABLE = "not a runnable program";
const char *const SPAWN_CANNOT_START = "cannot start";
const char *const SPAWN_KILLED = "killed before it started";


/* --- spawning -------------------------------------------------------------------- */

/* In a forked worker: fetch and verify, then hand the sealed memfd back.
 * The broker's loop never waits on the network. */
static NORETURN void job_worker(struct job *j, int sock)
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
		program_loader_confine(j->t->b->loader, j->confine);
	/* fakeosd opens a client's file:// programs as the client: this
	 * worker is a throwaway fork, and only a file:// load drops to the
	 * client's credentials (an http(s) load writes the system cache,
	 * which is the daemon's). */
	const struct tree *t = j->t;
	if (t->as_client && strncasecmp(j->url, "file:", 5) == 0 &&
	    (setgroups((size_t)t->ngroups, t->groups) < 0 ||
	     setresgid(t->gid, t->gid, t->gid) < 0 ||
	     setresuid(t->uid, t->uid, t->uid) < 0)) {
		res.err = -errno;
		res.kind = PROGRAM_FAIL_FETCH;
		snprintf(res.msg, sizeof(res.msg),
			 "cannot take the client's credentials: %s",
			 strerror(errno));
		goto send;
	}
	res.err = program_load(j->t->b->loader, j->url, &prog, &kind, &e);
	res.kind = (int32_t)kind;
	if (res.err < 0) {
		snprintf(res.msg, sizeof(res.msg), "%s", e.msg);
	} else {
		res.size = prog.size;
		memcpy(res.sha256, prog.sha256, sizeof(res.sha256));
	}
send:
	_exit(send_with_fds(sock, &res, sizeof(res), &prog.fd,
			    res.err == 0 ? 1 : 0) < 0
		      ? 1
		      : 0);
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
static const char *spawn_prefix(struct prog *parent,
				const struct url *u)
{
	const struct broker_opts *o = parent->t->o;
	if (parent->home && url_within(parent->home, u))
		return parent->home;
	for (unsigned i = 0; i < o->n_spawn_from; i++)
		if (url_within(o->spawn_from[i], u))
			return o->spawn_from[i];
	return NULL;
}

unsigned prog_pending(const struct prog *p)
{
	return p->reg.count[REG_WAITER] + p->njobs;
}

static void job_unlink(struct job *j)
{
	struct tree *t = j->t;
	for (struct job **pp = &t->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
}

/* Starts j's worker: a fork of the broker in a process group of its own,
 * so that a cancel kills it and the download helper it runs (fetch.c)
 * together. Both sides set the group, so neither order of the fork's
 * return can leave a window in which a kill misses the worker. */
static int job_fork(struct job *j)
{
	struct tree *t = j->t;
	struct broker *b = t->b;
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
		job_worker(j, sv[1]);
	}
	(void)setpgid(pid, pid);
	close(sv[1]);
	j->pid = pid;
	j->sock = sv[0];
	j->running = true;
	t->workers++;
	watch_init(&j->w, W_WORKER, j);
	(void)broker_ep_set(b, EPOLL_CTL_ADD, j->sock, EPOLLIN, &j->w);
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
static void job_run_queued(struct tree *t)
{
	for (struct job *j = t->jobs, *next; j; j = next) {
		next = j->next;
		if (t->workers >= t->o->quotas.fetches)
			return;
		if (j->running || j->cancelled)
			continue;
		int r = job_fork(j);
		if (r == 0) {
			if (j->parent)
				log_debug("%s: spawning %s", j->parent->url,
					  j->url);
			continue;
		}
		if (j->top) {
			log_error("%s: cannot start a fetch worker: %s", j->url,
				  strerror(-r));
			t->fail_status = EXIT_LAUNCHER;
		} else {
			log_warn("%s: spawn %s: cannot start a fetch worker: "
				 "%s",
				 j->parent->url, j->url, strerror(-r));
			send_exited(j->parent, j->handle, EXIT_CANNOT_RUN,
				    SPAWN_CANNOT_START);
			j->owner->njobs--;
		}
		job_unlink(j);
		job_free(j);
	}
}

/* Nobody wants j's result any more. A job still waiting its turn goes at
 * once; a running one's worker and its download helper are killed now,
 * and the job stays (charged to its owner, still counted among the
 * tree's workers) until the worker is reaped: what bounds fetches is what
 * actually runs. */
void spawn_cancel(struct job *j)
{
	if (j->cancelled)
		return;
	j->cancelled = true;
	j->parent = NULL;
	if (!j->running) {
		if (j->owner)
			j->owner->njobs--;
		job_unlink(j);
		job_free(j);
		return;
	}
	(void)kill(-j->pid, SIGKILL);
}

/* Loads url in the loop when the cache holds a fresh copy: that cannot
 * wait on a lock or the network, and a worker's fork is most of what a
 * launch of a cached program would cost. confine, when not NULL, is the
 * prefix url must stay in, held by the loader as a worker's is. Returns
 * 0 with prog filled, or -errno: then the worker's way is taken, which
 * says what failed as a standalone run would (a file:// URL always goes
 * that way, opened with the client's credentials). */
static int load_fresh(struct tree *t, const char *url, const char *confine,
		      struct program *prog)
{
	struct broker *b = t->b;
	enum program_fail kind;
	struct error e = { "" };
	if (t->o->program.refresh || t->o->program.offline)
		return -EAGAIN;
	/* Made on first use: a launch that never needs it does not pay. */
	if (!b->fresh_loader) {
		struct program_opts fresh = *b->program;
		fresh.fresh_only = true;
		int r = program_loader_open(&fresh, &b->fresh_loader, &e);
		if (r < 0)
			return r;
	}
	program_loader_confine(b->fresh_loader, confine);
	return program_load(b->fresh_loader, url, prog, &kind, &e);
}

/* Starts j's program, a spawn of j->parent, from its sealed memfd, and
 * tells the parent it runs or why it does not. */
static void start_child(struct job *j, int memfd, const uint8_t *sha256)
{
	struct error e = { "" };
	struct prog *parent = j->parent;
	struct prog *c = prog_new(j->t, parent, j->handle, j->url);
	c->has_sha256 = true;
	memcpy(c->sha256, sha256, sizeof(c->sha256));
	j->argv[0] = xstrdup(c->url);
	if (prog_start(c, memfd, j->argv, false, &e) < 0) {
		log_error("%s: %s", c->url, e.msg);
		send_exited(parent, j->handle, EXIT_CANNOT_RUN,
			    SPAWN_CANNOT_START);
		c->parent_handle = 0;
	} else {
		log_info("%s: spawned %s (id %llu)", parent->url, c->url,
			 (unsigned long long)c->id);
		send_opened(parent, PROTO_OPENED, j->handle, 0, NULL, c->id, 0);
	}
}

void spawn_start(struct prog *parent, int32_t handle,
		      const struct proto_spawn *m)
{
	struct tree *t = parent->t;
	struct job *j = xcalloc(1, sizeof(*j));
	j->t = t;
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
	const char *prefix = spawn_prefix(parent, &u);
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
	struct program prog = { .fd = -1 };
	if (load_fresh(t, j->url, prefix, &prog) == 0) {
		start_child(j, prog.fd, prog.sha256);
		program_free(&prog);
		job_free(j);
		return;
	}
	j->owner = parent;
	parent->njobs++;
	/* Appended: jobs wait for a worker in the order they were asked. */
	struct job **tail = &t->jobs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = j;
	job_run_queued(t);
}

/* fakeosd: starts the tree's top program from its sealed memfd. */
static void start_top(struct tree *t, const char *url, int memfd,
		      uint64_t size, const uint8_t *sha256, char **argv)
{
	struct error e = { "" };
	/* The URL a program sees is the one without its fragment. */
	char *bare = xasprintf("%.*s", (int)strcspn(url, "#"), url);
	t->top = prog_new(t, NULL, 0, bare);
	free(bare);
	t->top->has_sha256 = true;
	memcpy(t->top->sha256, sha256, sizeof(t->top->sha256));
	free(argv[0]);
	argv[0] = xstrdup(t->top->url);
	log_info("%s: %llu bytes, sha256 %02x%02x%02x%02x…", t->top->url,
		 (unsigned long long)size, sha256[0], sha256[1], sha256[2],
		 sha256[3]);
	if (prog_start(t->top, memfd, argv, t->o->stdin_relay, &e) < 0) {
		log_error("%s: %s", t->top->url, e.msg);
		t->fail_status = EXIT_CANNOT_RUN;
		t->top->status = EXIT_CANNOT_RUN;
		return;
	}
	broker_share_netns(t->b, t->top);
}

/* fakeosd: the tree's top program has been fetched, or not. */
static void finish_top(struct job *j, const struct job_result *res, int memfd)
{
	struct tree *t = j->t;
	if (t->stop_signal) {
		/* The client went, or asked to stop, while it was fetched. */
		t->fail_status = 128 + t->stop_signal;
		return;
	}
	if (res->err < 0) {
		log_error("%s: %s", j->url, res->msg);
		t->fail_status = res->kind == PROGRAM_FAIL_RUN
					 ? EXIT_CANNOT_RUN
					 : EXIT_CANNOT_FETCH;
		return;
	}
	start_top(t, j->url, memfd, res->size, res->sha256, j->argv);
}

int broker_tree_fetch(struct tree *t, const char *url, char *const *argv,
		      struct error *e)
{
	struct url u;
	if (url_parse(url, &u, e) < 0)
		return -EINVAL;
	url_free(&u);
	/* A program fresh in the cache needs no worker (load_fresh). */
	struct program prog = { .fd = -1 };
	if (load_fresh(t, url, NULL, &prog) == 0) {
		uint32_t argc = 0;
		while (argv[argc + 1])
			argc++;
		char **args = xcalloc(argc + 2, sizeof(char *));
		args[0] = xstrdup(url);
		for (uint32_t i = 0; i < argc; i++)
			args[i + 1] = xstrdup(argv[i + 1]);
		start_top(t, url, prog.fd, prog.size, prog.sha256, args);
		for (uint32_t i = 0; i <= argc; i++)
			free(args[i]);
		free(args);
		program_free(&prog);
		return 0;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	j->t = t;
	j->top = true;
	j->url = xstrdup(url);
	uint32_t argc = 0;
	while (argv[argc + 1])
		argc++;
	j->argc = argc;
	j->argv = xcalloc(argc + 2, sizeof(char *));
	for (uint32_t i = 0; i < argc; i++)
		j->argv[i + 1] = xstrdup(argv[i + 1]);
	j->pid = -1;
	j->sock = -1;
	struct job **tail = &t->jobs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = j;
	job_run_queued(t);
	return 0;
}

void spawn_finish(struct job *j)
{
	struct tree *t = j->t;
	struct broker *b = t->b;
	struct job_result res;
	int memfd;
	memset(&res, 0, sizeof(res));
	ssize_t n = recv_with_fds(j->sock, &res, sizeof(res), &memfd, 1);
	if (n != (ssize_t)sizeof(res) || (res.err == 0 && memfd < 0)) {
		res.err = -EIO;
		res.kind = PROGRAM_FAIL_RUN;
		snprintf(res.msg, sizeof(res.msg), "the fetch worker failed");
	}
	res.msg[sizeof(res.msg) - 1] = '\0';
	broker_ep_del(b, j->sock);
	close(j->sock);
	job_reap(j->pid);
	job_unlink(j);
	t->workers--;
	if (j->owner)
		j->owner->njobs--;

	struct prog *parent = j->parent;
	if (j->top && !j->cancelled) {
		finish_top(j, &res, memfd);
	} else if (j->cancelled || !parent || !parent->running) {
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
		start_child(j, memfd, res.sha256);
	}
	if (memfd >= 0)
		close(memfd);
	job_free(j);
	job_run_queued(t);
}

/* p's spawn under handle h that is still being fetched, or NULL. */
struct job *spawn_find(struct prog *p, int32_t h)
{
	struct tree *t = p->t;
	for (struct job *j = t->jobs; j; j = j->next)
		if (j->parent == p && j->handle == h)
			return j;
	return NULL;
}


/* Spawns that will become programs: not cancelled. */
unsigned spawn_starting(const struct tree *t)
{
	unsigned n = 0;
	for (const struct job *j = t->jobs; j; j = j->next)
		n += !j->cancelled;
	return n;
}

/* The tree is over: whatever its workers still do, nobody will use. */
void spawn_reap_all(struct tree *t)
{
	while (t->jobs) {
		struct job *j = t->jobs;
		t->jobs = j->next;
		if (j->running) {
			job_reap(j->pid);
			close(j->sock);
			t->workers--;
		}
		job_free(j);
	}
}

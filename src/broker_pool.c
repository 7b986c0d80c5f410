/* broker_pool.c — warm jails for the broker (broker_int.h, jail.h): a pool
 * of jails prepared ahead, each with its namespaces, cgroup, ring and
 * dropped privileges, waiting for one program. fakeosd keeps one; a
 * standalone fakeos-run has none (its one launch would pay for preparing
 * the jail anyway). A launch takes a jail whose cgroup fits the program's
 * memory limit.
 *
 * The jails are made by the maker, a fork of the broker that does nothing
 * else, one at a time as the broker asks. Making one costs most of a
 * millisecond of system calls that cannot be made to wait (clone3 with
 * six namespaces, a cgroup's mkdir and, on cgroup v1, the write that
 * moves the child into it, which waits for an RCU grace period); in the
 * broker's loop that time sat between a launch and the program's exit,
 * and between every two launches of a burst. The maker clones each jail
 * as its sibling (CLONE_PARENT), so the jail is the broker's child, reaped
 * by pidfd as any program; it hands the jail's pidfd and sync socket over
 * with SCM_RIGHTS, and the broker takes the ring itself with pidfd_getfd
 * (the kernel refuses io_uring descriptors in SCM_RIGHTS). Where the
 * maker cannot run, or dies, the loop makes the jails itself, one a
 * turn, as before. */
#include "broker_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* The broker's request: one jail, with this cgroup id and memory. */
struct maker_req {
	uint64_t cg_id;
	uint64_t memory;
};

/* The maker's answer; on success with [pidfd, sync] attached, and the
 * ring's descriptor number in the maker, open until its next request. */
struct maker_rep {
	int32_t err; /* 0, or -errno */
	int32_t pid;
	uint64_t cg_id;
	uint64_t memory;
	uint8_t cg; /* a cgroup was made */
	uint8_t fatal; /* this host cannot make warm jails: stop asking */
	uint8_t pad[6];
	struct ring ring;
	char msg[512]; /* struct error's */
};

/* Makes one warm jail with its cgroup. clone_parent: in the maker. */
static int pool_make(struct broker *b, uint64_t cg_id, uint64_t memory,
		     bool clone_parent, struct warm_slot *ws, bool *fatal,
		     struct error *e)
{
	struct cgroup_join cg = { -1, -1 };
	memset(ws, 0, sizeof(*ws));
	ws->w.pid = -1;
	ws->w.pidfd = -1;
	ws->w.sync = -1;
	ws->w.ring.fd = -1;
	ws->cg_id = cg_id;
	*fatal = false;
	if (b->cgroup.dirfd >= 0) {
		int r = cgroup_create(&b->cgroup, cg_id, memory,
				      CGROUP_PIDS_MAX, &cg, e);
		if (r < 0) {
			*fatal = true;
			return r;
		}
		ws->cg = true;
	}
	struct jail_shape shape = {
		.netns_fd = b->shared_netns,
		.home_netns_fd = b->home_netns,
		.mntns_fd = b->shared_mntns,
		.home_mntns_fd = b->home_mntns,
		.hostname = "fakeos",
		.cgroup_fd = cg.clone_fd,
		.cgroup_procs_fd = cg.procs_fd,
		.ring = true,
		.clone_parent = clone_parent,
	};
	int r = jail_warm_prepare(&shape, &ws->w, e);
	cgroup_join_close(&cg);
	if (r < 0) {
		if (ws->cg)
			cgroup_remove(&b->cgroup, cg_id);
		ws->cg = false;
		*fatal = true;
	}
	return r;
}

/* --- the maker ------------------------------------------------------------------ */

/* Closes every descriptor but the ones the maker uses: it must hold no
 * end of a program's pipes or a client's socket, whose EOF the broker
 * waits for. */
static void maker_close_others(const struct broker *b, int sock)
{
	int keep[] = { b->cgroup.dirfd, b->home_netns, b->shared_netns,
		       b->home_mntns, b->shared_mntns, sock };
	int n = (int)ARRAY_SIZE(keep);
	/* Sorted, so the gaps between them can be closed by range. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	int from = 3;
	for (int i = 0; i < n; i++) {
		if (keep[i] < from)
			continue;
		if (keep[i] > from)
			(void)syscall(SYS_close_range, from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	(void)syscall(SYS_close_range, from, ~0U, 0);
}

static NORETURN void maker_main(struct broker *b, int sock, pid_t broker)
{
	/* It dies with the broker, and it may already be too late. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != broker)
		_exit(0);
	maker_close_others(b, sock);
	int ring = -1;
	for (;;) {
		struct maker_req req;
		ssize_t n = recv(sock, &req, sizeof(req), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(req))
			_exit(0); /* the broker is gone, or closed us */
		/* The broker has taken the last jail's ring by now. */
		if (ring >= 0)
			close(steal_fd(&ring));
		struct maker_rep rep;
		struct warm_slot ws;
		struct error e = { "" };
		bool fatal;
		memset(&rep, 0, sizeof(rep));
		rep.cg_id = req.cg_id;
		rep.memory = req.memory;
		rep.err = pool_make(b, req.cg_id, req.memory, true, &ws,
				    &fatal, &e);
		rep.fatal = fatal;
		int fds[2] = { ws.w.pidfd, ws.w.sync };
		if (rep.err == 0) {
			rep.pid = ws.w.pid;
			rep.cg = ws.cg;
			rep.ring = ws.w.ring;
			ring = ws.w.ring.fd;
		} else {
			snprintf(rep.msg, sizeof(rep.msg), "%s", e.msg);
		}
		if (send_with_fds(sock, &rep, sizeof(rep), fds,
				  rep.err == 0 ? 2 : 0) < 0)
			_exit(0);
		/* The jail is the broker's now: our copies go, and a jail
		 * whose answer never arrived dies of its closed sync. */
		if (rep.err == 0) {
			close(ws.w.pidfd);
			close(ws.w.sync);
		}
	}
}

/* Starts the maker; on failure the loop makes jails itself. */
static void maker_start(struct broker *b)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("warm jails: made in the loop: socketpair: %s",
			 strerror(errno));
		return;
	}
	pid_t self = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("warm jails: made in the loop: fork: %s",
			 strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		maker_main(b, sv[1], self);
	}
	close(sv[1]);
	b->maker_pid = pid;
	b->maker_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	b->maker_sock = sv[0];
	b->maker_busy = false;
	watch_init(&b->w_maker, W_MAKER, NULL);
	if (b->maker_pidfd < 0 ||
	    broker_ep_set(b, EPOLL_CTL_ADD, b->maker_sock, EPOLLIN,
			  &b->w_maker) < 0) {
		log_warn("warm jails: made in the loop: %s", strerror(errno));
		maker_stop(b);
	}
}

void maker_stop(struct broker *b)
{
	if (b->maker_pid <= 0)
		return;
	if (b->maker_sock >= 0) {
		broker_ep_del(b, b->maker_sock);
		close(steal_fd(&b->maker_sock));
	}
	if (b->maker_pidfd >= 0)
		close(steal_fd(&b->maker_pidfd));
	(void)kill(b->maker_pid, SIGKILL);
	while (waitpid(b->maker_pid, NULL, 0) < 0 && errno == EINTR)
		;
	b->maker_pid = 0;
	b->maker_busy = false;
}

/* The maker has answered, or died. */
void maker_answered(struct broker *b)
{
	struct maker_rep rep;
	int fds[2];
	ssize_t n = recv_with_fds(b->maker_sock, &rep, sizeof(rep), fds, 2);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	b->maker_busy = false;
	if (n != (ssize_t)sizeof(rep) || (rep.err == 0 && fds[0] < 0)) {
		log_warn("warm jails: their maker %s; made in the loop from "
			 "now on", n == 0 ? "died" : "failed");
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		maker_stop(b);
		return;
	}
	if (rep.err < 0) {
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		/* A host where a warm jail cannot be made launches cold;
		 * it says so once and stops trying. */
		log_warn("warm jails: not used: %s", rep.msg);
		if (rep.fatal)
			b->pool_size = b->pool_n;
		return;
	}
	struct warm_slot ws = {
		.w = { .pid = rep.pid, .pidfd = fds[0], .sync = fds[1],
		       .ring = rep.ring },
		.cg_id = rep.cg_id,
		.cg = rep.cg,
	};
	ws.w.ring.fd = (int)syscall(SYS_pidfd_getfd, b->maker_pidfd,
				    rep.ring.fd, 0);
	if (ws.w.ring.fd < 0) {
		log_warn("warm jails: taking a jail's ring from the maker: "
			 "%s; made in the loop from now on", strerror(errno));
		pool_drop(b, &ws);
		maker_stop(b);
		return;
	}
	/* Asked for before a change of the pool (broker_set_pool), or
	 * not wanted any more: not used. */
	if (rep.memory != b->pool_memory || b->pool_n >= b->pool_size) {
		pool_drop(b, &ws);
		return;
	}
	b->pool[b->pool_n++] = ws;
}

/* --- the pool -------------------------------------------------------------------- */

void broker_set_pool(struct broker *b, unsigned size, uint64_t memory)
{
	pool_drain(b);
	free(b->pool);
	b->pool = size ? xcalloc(size, sizeof(*b->pool)) : NULL;
	b->pool_size = size;
	b->pool_n = 0;
	b->pool_memory = memory;
	if (size && b->maker_pid <= 0)
		maker_start(b);
	else if (!size)
		maker_stop(b);
}

bool pool_short(const struct broker *b)
{
	return b->pool_n < b->pool_size && !b->maker_busy;
}

/* Asks the maker for one jail, or makes one here, if the pool is short
 * of one. */
void pool_fill_one(struct broker *b)
{
	if (!pool_short(b))
		return;
	uint64_t cg_id = b->next_id++;
	if (b->maker_pid > 0) {
		struct maker_req req = { cg_id, b->pool_memory };
		if (send(b->maker_sock, &req, sizeof(req), MSG_NOSIGNAL) ==
		    (ssize_t)sizeof(req)) {
			b->maker_busy = true;
			return;
		}
		log_warn("warm jails: their maker does not listen: %s; made "
			 "in the loop from now on", strerror(errno));
		maker_stop(b);
	}
	struct warm_slot *ws = &b->pool[b->pool_n];
	struct error e = { "" };
	bool fatal;
	if (pool_make(b, cg_id, b->pool_memory, false, ws, &fatal, &e) < 0) {
		/* A host where a warm jail cannot be made launches cold;
		 * it says so once and stops trying. */
		log_warn("warm jails: not used: %s", e.msg);
		b->pool_size = b->pool_n;
		return;
	}
	b->pool_n++;
}

bool pool_take(struct broker *b, uint64_t memory, struct warm_slot *out)
{
	if (b->pool_n == 0)
		return false;
	/* A jail's cgroup was made with the pool's memory limit: another
	 * limit launches cold. */
	if (b->cgroup.dirfd >= 0 && memory != b->pool_memory)
		return false;
	/* The oldest is the readiest. */
	*out = b->pool[0];
	memmove(&b->pool[0], &b->pool[1],
		(b->pool_n - 1) * sizeof(b->pool[0]));
	b->pool_n--;
	return true;
}

void pool_drop(struct broker *b, struct warm_slot *ws)
{
	jail_warm_discard(&ws->w);
	if (ws->cg)
		cgroup_remove(&b->cgroup, ws->cg_id);
	ws->cg = false;
}

void pool_drain(struct broker *b)
{
	while (b->pool_n > 0)
		pool_drop(b, &b->pool[--b->pool_n]);
}

/* daemon.c — see daemon.h.
 *
 * Trust: every client is hostile, and so is every program. A client is
 * identified by SO_PEERCRED, read once when it connects; nothing it sends
 * names a user. Its first message must be a well-formed RUN (dproto_check)
 * with exactly its three console descriptors attached; anything else ends
 * the connection with the reason on the client's stderr and in the log,
 * and touches nothing else. Its programs see only its own account's names
 * (the registry scope is its uid), and a file:// program is opened with
 * its credentials, so the daemon reads nothing for a user that the user
 * could not read itself. */
#include "daemon_int.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "config.h"
#include "dproto.h"
#include "log.h"
#include "hosts.h"
#include "netbcast.h"
#include "httpgw.h"
#include "notify.h"
#include "remote.h"
#include "services.h"
#include "url.h"

static void client_free(struct client *c)
{
	struct daemon *d = c->d;
	if (c->t)
		broker_tree_free(c->t);
	if (c->w)
		broker_unwatch(d->b, c->sock, c->w);
	close(c->sock);
	for (int i = 0; i < 3; i++)
		if (c->console[i] >= 0)
			close(c->console[i]);
	for (struct client **pp = &d->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

/* Says why a client is refused, on its stderr when it gave one, and in
 * the daemon's log; then the connection ends. */
static void client_refuse(struct client *c, const char *fmt, ...) PRINTF(2, 3);
static void client_refuse(struct client *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("client pid %d uid %u: refused: %s", (int)c->cred.pid,
		 (unsigned)c->cred.uid, why);
	if (c->console[2] >= 0)
		dprintf(c->console[2], "fakeos-run: fakeosd refused the run: "
				       "%s\n",
			why);
	c->done = true;
	if (c->t)
		broker_tree_stop(c->t, SIGKILL);
}

static void send_exit(struct client *c, int status)
{
	struct dproto_exit m;
	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_EXIT, sizeof(m));
	m.status = status;
	/* A client that is gone, or does not read, loses its status; the
	 * socket is non-blocking and this never waits. */
	(void)send(c->sock, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* -vv: where a run's time went in the daemon, from its RUN to its EXIT:
 * to the launch (its console, account, load and jail), the program's own
 * life, and from its reaping to the report. make bench reads these. */
static void log_run_times(const struct client *c)
{
	uint64_t launched, reaped, now = now_ns();
	if (log_level < LOG_DEBUG || !c->t)
		return;
	broker_tree_times(c->t, &launched, &reaped);
	if (!launched || !reaped || launched < c->run_ns || reaped < launched)
		return;
	log_debug("uid %u (pid %d): run times: %llu us to launch, %llu us "
		  "running, %llu us to report",
		  (unsigned)c->cred.uid, (int)c->cred.pid,
		  (unsigned long long)(launched - c->run_ns) / 1000,
		  (unsigned long long)(reaped - launched) / 1000,
		  (unsigned long long)(now - reaped) / 1000);
}

static void account_set(struct account *a, const struct config_quota *q)
{
	a->a.programs = q->programs;
	a->a.links = q->links;
	a->a.services = q->services;
	a->memory = q->memory;
}

/* uid's account, made on its first run (or service). */
static struct account *account_of(struct daemon *d, uid_t uid)
{
	for (struct account *a = d->accounts; a; a = a->next)
		if (a->a.uid == uid)
			return a;
	struct account *a = xcalloc(1, sizeof(*a));
	a->a.uid = uid;
	account_set(a, config_account_quota(d->cfg, uid));
	a->next = d->accounts;
	d->accounts = a;
	return a;
}

static const struct broker_account *service_account(void *arg, uid_t uid)
{
	return &account_of(arg, uid)->a;
}

/* The options of a client's run: the daemon's, with what the client may
 * choose (the limits, narrower only where its account bounds them). */
static int run_options(struct client *c, const struct dproto_run *m,
		       const struct account *acct)
{
	struct daemon *d = c->d;
	c->o = d->o->defaults;
	c->o.program.cache_max = d->cfg->cache_max;
	c->o.spawn_from = (const char *const *)d->cfg->spawn_from.v;
	c->o.n_spawn_from = d->cfg->spawn_from.n;
	c->o.stdin_relay = m->flags & DPROTO_RUN_STDIN;
	c->o.raw_console = m->flags & DPROTO_RUN_RAW_CONSOLE;
	c->o.program.offline = m->flags & DPROTO_RUN_OFFLINE;
	c->o.program.refresh = m->flags & DPROTO_RUN_REFRESH;
	struct broker_account used;
	broker_account_usage(d->b, &acct->a, &used);
	if (used.programs >= acct->a.programs) {
		/* A well-formed run this account may not have now: the
		 * client hears why, and exits as for a spawn refused by a
		 * quota. */
		log_info("uid %u (pid %d): refused: quota of %u programs",
			 (unsigned)acct->a.uid, (int)c->cred.pid,
			 acct->a.programs);
		dprintf(c->console[2], "fakeos-run: %s: refused: quota of %u "
				       "programs of this account (uid %u) "
				       "reached\n",
			m->strings, acct->a.programs, (unsigned)acct->a.uid);
		send_exit(c, EXIT_CANNOT_RUN);
		c->done = true;
		return -EMFILE;
	}
	c->o.limits.memory = m->memory;
	if (acct->memory && (m->memory == 0 || m->memory > acct->memory)) {
		/* fakeos-run always sends its --memory, 256 MiB when the user
		 * said nothing: the account's bound lowers it, and says so. */
		dprintf(c->console[2],
			"fakeos-run: warning: --memory %llu MiB is more than "
			"this host lets uid %u's programs have: %llu MiB\n",
			(unsigned long long)(m->memory >> 20),
			(unsigned)acct->a.uid,
			(unsigned long long)(acct->memory >> 20));
		c->o.limits.memory = acct->memory;
	}
	c->o.limits.cpu_seconds = m->cpu_seconds;
	c->o.wall_ms = m->wall_ms;
	if (m->max_programs && m->max_programs < c->o.quotas.programs)
		c->o.quotas.programs = m->max_programs;
	return 0;
}

/* The client's supplementary groups, for opening its file:// programs. */
static int client_groups(uid_t uid, gid_t gid, gid_t *groups, int max)
{
	struct passwd *pw = getpwuid(uid);
	int n = max;
	if (!pw || getgrouplist(pw->pw_name, gid, groups, &n) < 0) {
		/* No name for the uid, or more groups than we keep: the
		 * primary group alone, which grants no more. */
		groups[0] = gid;
		return 1;
	}
	return n;
}

/* The run's console: three pipes, whose far ends go to the client in a
 * CONSOLE message; the daemon keeps the stdin read end and the stdout and
 * stderr write ends, non-blocking, so that a client that stops reading
 * (or whose terminal stops) can hold up only its own run, never the
 * daemon. The client's own descriptors never reach the daemon. */
static int open_console(struct client *c)
{
	int in[2], out[2] = { -1, -1 }, err[2] = { -1, -1 };
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0) {
		int e = errno;
		for (int *fd = (int[]){ in[0], in[1], out[0], out[1], err[0],
					err[1], -2 };
		     *fd != -2; fd++)
			if (*fd >= 0)
				close(*fd);
		return -e;
	}
	/* The daemon's ends never block its loop, whatever the client
	 * does with its own. */
	(void)fcntl(in[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(out[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(err[1], F_SETFL, O_NONBLOCK);
	struct dproto_console m;
	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_CONSOLE, sizeof(m));
	int theirs[3] = { in[1], out[0], err[0] };
	/* The client's socket is non-blocking: this never waits. */
	ssize_t n = send_with_fds(c->sock, &m, sizeof(m), theirs, 3);
	int e = errno;
	close(in[1]);
	close(out[0]);
	close(err[0]);
	c->console[0] = in[0];
	c->console[1] = out[1];
	c->console[2] = err[1];
	return n == (ssize_t)sizeof(m) ? 0 : -(n < 0 ? e : EIO);
}

static void on_run(struct client *c, const struct dproto_run *m,
		   const int *fds, int nfds)
{
	(void)fds;
	if (nfds != 0) {
		client_refuse(c, "a run takes no descriptors (got %d): the "
				 "daemon makes the run's console",
			      nfds);
		return;
	}
	c->run_ns = now_ns();
	int r = open_console(c);
	if (r < 0) {
		client_refuse(c, "the run's console: %s", strerror(-r));
		return;
	}
	char *argv[DPROTO_ARGC_MAX + 2];
	dproto_run_argv(m, argv);
	struct account *acct = account_of(c->d, c->cred.uid);
	if (run_options(c, m, acct) < 0)
		return;
	struct error e = { "" };
	c->t = broker_tree_new(c->d->b, &c->o, (uint64_t)c->cred.uid,
			       c->console, &e);
	if (!c->t) {
		client_refuse(c, "%s", e.msg);
		return;
	}
	broker_tree_log_to_console(c->t, m->log_level);
	broker_tree_account(c->t, &acct->a);
	gid_t groups[64];
	int n = client_groups(c->cred.uid, c->cred.gid, groups,
			      (int)ARRAY_SIZE(groups));
	broker_tree_client(c->t, c->cred.uid, c->cred.gid, groups, n);
	log_info("uid %u (pid %d) runs %s", (unsigned)c->cred.uid,
		 (int)c->cred.pid, argv[0]);
	if (broker_tree_fetch(c->t, argv[0], argv, &e) < 0) {
		/* The URL did not parse: fakeos-run's 127, its message. */
		dprintf(c->console[2], "fakeos-run: %s: %s\n", argv[0], e.msg);
		send_exit(c, EXIT_CANNOT_FETCH);
		c->done = true;
	}
}

/* Says once that the client is gone (exited, killed). */
static void note_hung_up(struct client *c)
{
	if (!c->gone)
		log_info("client pid %d uid %u hung up", (int)c->cred.pid,
			 (unsigned)c->cred.uid);
	c->gone = true;
}

/* Whether the client has hung up, asked without waiting: as on_client
 * reads it (closed, or shut for writing with nothing left to read). */
static bool client_hung_up(const struct client *c)
{
	struct pollfd p = { .fd = c->sock, .events = POLLIN | POLLRDHUP };
	char b;
	if (poll(&p, 1, 0) <= 0)
		return false;
	return (p.revents & (POLLHUP | POLLERR)) ||
	       ((p.revents & POLLRDHUP) &&
		recv(c->sock, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0);
}

static void on_client(void *arg, uint32_t events)
{
	struct client *c = arg;
	union {
		struct dproto_hdr h;
		struct dproto_run run;
		unsigned char bytes[DPROTO_MAX];
	} *msg = xmalloc(sizeof(*msg));
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	int fds[4] = { -1, -1, -1, -1 }, nfds = 0;
	struct iovec iov = { msg, sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.space,
			     .msg_controllen = sizeof(ctl.space) };
	ssize_t n = recvmsg(c->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm;
	     cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0;
			     i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) &&
			     nfds < 4;
			     i++)
				memcpy(&fds[nfds++],
				       CMSG_DATA(cm) + i * sizeof(int),
				       sizeof(int));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		goto out;
	if (n <= 0 || (events & (EPOLLHUP | EPOLLERR)) ||
	    (n == 0 && (events & EPOLLRDHUP))) {
		/* The client is gone (exited, killed): so are its programs,
		 * which nobody would see any more. */
		note_hung_up(c);
		broker_unwatch(c->d->b, c->sock, c->w);
		c->w = NULL;
		if (c->t)
			broker_tree_stop(c->t, SIGKILL);
		else
			c->done = true;
		goto out;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		client_refuse(c, "a message longer than %d bytes, or more "
				 "descriptors than a run's three",
			      DPROTO_MAX);
		goto out;
	}
	const char *why;
	if (dproto_check(msg, (size_t)n, 1, &why) < 0) {
		client_refuse(c, "malformed message: %s", why);
		goto out;
	}
	if (msg->h.type == DPROTO_RUN) {
		if (c->t || c->console[0] >= 0) {
			client_refuse(c, "a second run on one connection");
			goto out;
		}
		on_run(c, &msg->run, fds, nfds);
	} else if (msg->h.type == DPROTO_LIST || msg->h.type == DPROTO_CTL ||
		   msg->h.type == DPROTO_CRASH) {
		if (nfds || c->t || c->console[0] >= 0)
			client_refuse(c, "a control request with descriptors, "
					 "or after a run");
		else
			daemon_control(c, &msg->h);
	} else if (nfds) {
		client_refuse(c, "descriptors attached to a signal");
	} else if (!c->t) {
		client_refuse(c, "a signal before any run");
	} else {
		const struct dproto_signal *s = (const void *)msg;
		broker_tree_stop(c->t, s->sig);
	}
out:
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(msg);
}

static void on_listen(void *arg, uint32_t events)
{
	struct daemon *d = arg;
	(void)events;
	int fd = accept4(d->listen_fd, NULL, NULL,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept: %s", strerror(errno));
		return;
	}
	struct client *c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->sock = fd;
	c->console[0] = c->console[1] = c->console[2] = -1;
	socklen_t len = sizeof(c->cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0 ||
	    len != sizeof(c->cred)) {
		log_warn("accept: SO_PEERCRED: %s", strerror(errno));
		close(fd);
		free(c);
		return;
	}
	c->next = d->clients;
	d->clients = c;
	int r = broker_watch(d->b, fd, EPOLLIN | EPOLLRDHUP, on_client, c,
			     &c->w);
	if (r < 0) {
		log_warn("accept: epoll: %s", strerror(-r));
		client_free(c);
	}
}

/* Runs that are over: their status goes to their clients, and what they
 * held is freed. */
static void reap_clients(struct daemon *d)
{
	for (struct client *c = d->clients, *next; c; c = next) {
		next = c->next;
		/* A run's programs are freed only once every one of them has
		 * been reaped, whatever ended it. */
		bool over = c->t ? broker_tree_done(c->t) : c->done || c->gone;
		if (!over)
			continue;
		/* A run can end before its client's hang-up is read: killing
		 * the client ends the stdin it copied, and a program that
		 * exits at end of file ends its tree first. The client is
		 * gone all the same, and the log says so. */
		if (c->t && !c->done && !c->gone && client_hung_up(c))
			note_hung_up(c);
		if (c->t && !c->done && !c->gone) {
			send_exit(c, broker_tree_status(c->t));
			log_run_times(c);
		}
		client_free(c);
	}
}

static void on_signal(struct broker *b, int sig, void *arg)
{
	struct daemon *d = arg;
	(void)b;
	if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
		log_info("%s: stopping", sig == SIGTERM	  ? "SIGTERM"
					 : sig == SIGINT ? "SIGINT"
							 : "SIGQUIT");
		daemon_stop(d);
	}
	if (sig == SIGHUP) {
		/* Only root (or fakeosd's own uid, which is root's) can send
		 * it a signal. A configuration that does not load leaves the
		 * one in force, and says why. */
		(void)notify_reloading();
		struct error e = { "" };
		if (daemon_reload(d, &e) < 0)
			log_error("SIGHUP: the settings in force stay: %s",
				  e.msg);
		else
			log_info("SIGHUP: settings read again from %s",
				 d->o->config_dir);
		(void)notify_ready_again();
	}
}

/* The settings' crash-url, for every run and service of the broker:
 * never a client's (fakeos-run refuses --crash-url with a daemon). */
static void apply_crash_url(struct daemon *d)
{
	struct error e = { "" };
	broker_set_crash_limit(d->b, d->cfg->crash_reports,
			       (unsigned)(d->cfg->crash_window_ms / 1000));
	if (broker_set_crash(d->b, d->cfg->crash_url, d->o->spool_dir, &e) < 0)
		log_error("crash reports: %s: none are kept", e.msg);
	else if (d->cfg->crash_url)
		log_info("crash reports go to %s (spool %s)",
			 d->cfg->crash_url, d->o->spool_dir);
}

static void register_exports(struct daemon *d);

static struct remote_limits remote_limits_of(const struct config *c)
{
	return (struct remote_limits){ .links = c->host_links,
				       .prog_links = c->host_prog_links,
				       .rate = c->host_link_rate,
				       .burst = c->host_link_burst };
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Links and broadcast across hosts are set up once, at start: a reload
 * that changes their settings says that it takes none of them, rather
 * than seeming to. The files they name (hosts, names, the broadcast
 * secret) are read at start too; the list of network-wide channels
 * (broadcast) follows each reload. */
static void warn_start_only(const struct config *was, const struct config *c)
{
	const char *changed[10];
	unsigned n = 0;
	if (!same_text(was->listen, c->listen))
		changed[n++] = "listen";
	if (!same_text(was->host_key, c->host_key))
		changed[n++] = "host-key";
	if (!same_text(was->hosts, c->hosts))
		changed[n++] = "hosts";
	if (!same_text(was->names, c->names))
		changed[n++] = "names";
	if (was->resolver != c->resolver)
		changed[n++] = "resolver";
	if (!same_text(was->etcd_url, c->etcd_url))
		changed[n++] = "etcd";
	if (was->link_idle_ms != c->link_idle_ms)
		changed[n++] = "link-idle-timeout";
	if (was->link_handshake_ms != c->link_handshake_ms)
		changed[n++] = "link-handshake-timeout";
	if (!same_text(was->broadcast_to, c->broadcast_to))
		changed[n++] = "broadcast-to";
	if (!same_text(was->broadcast_secret, c->broadcast_secret))
		changed[n++] = "broadcast-secret";
	for (unsigned i = 0; i < n; i++)
		log_warn("reload: %s changed: it takes effect when fakeosd "
			 "restarts", changed[i]);
}

int daemon_reload(struct daemon *d, struct error *e)
{
	struct loaded *l = xcalloc(1, sizeof(*l));
	config_init(&l->cfg);
	int r = config_load(d->o->config_dir, d->o->config_owner, &l->cfg, e);
	if (r < 0) {
		config_free(&l->cfg);
		free(l);
		return r;
	}
	for (unsigned i = 0; i < l->cfg.warnings.n; i++)
		log_warn("%s", l->cfg.warnings.v[i]);
	if (d->cfg)
		warn_start_only(d->cfg, &l->cfg);
	l->next = d->loaded;
	d->loaded = l;
	d->cfg = &l->cfg;
	/* The broker's own loads (spawns) keep the cache's bound, and the
	 * pool takes its new size; a pool of another size starts afresh. */
	if (d->b) {
		broker_set_cache_max(d->b, d->cfg->cache_max);
		if (d->cfg->pool != d->pool) {
			broker_set_pool(d->b, d->cfg->pool,
					d->o->defaults.limits.memory);
			d->pool = d->cfg->pool;
		}
	}
	/* So do other hosts: a lower bound refuses the next link. */
	if (d->remote) {
		struct remote_limits lim = remote_limits_of(d->cfg);
		remote_set_limits(d->remote, &lim);
	}
	/* Accounts take their new quotas at once: a lower one refuses
	 * what comes next, and ends nothing that runs. */
	for (struct account *a = d->accounts; a; a = a->next)
		account_set(a, config_account_quota(d->cfg, a->a.uid));
	/* Services start with the broker (daemon_open), then follow each
	 * reload: new ones start, changed ones restart, removed ones stop. */
	if (d->b)
		apply_crash_url(d);
	if (d->services && !d->stopping)
		services_sync(d->services, d->cfg);
	register_exports(d);
	return 0;
}

/* systemd's STATUS=, when it changed. */
static void tell_status(struct daemon *d)
{
	unsigned runs, programs;
	daemon_counts(d, &runs, &programs);
	if (runs == d->last_runs && programs == d->last_programs)
		return;
	d->last_runs = runs;
	d->last_programs = programs;
	(void)notify_status("%s%u runs, %u programs",
			    d->stopping ? "stopping: " : "", runs, programs);
}

void daemon_stop(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	(void)notify_stopping();
	d->stop_deadline_ns = now_ns() + d->cfg->grace_ms * 1000000;
	if (d->w_listen) {
		broker_unwatch(d->b, d->listen_fd, d->w_listen);
		d->w_listen = NULL;
	}
	/* Links to other hosts first: their peers must learn that this
	 * daemon stopped, not that its programs closed. */
	remote_stop(d->remote);
	for (struct client *c = d->clients; c; c = c->next)
		if (c->t)
			broker_tree_stop(c->t, SIGTERM);
	services_stop_all(d->services, SIGTERM);
}

/* Whether a service exports name to other hosts: it publishes it and
 * says `export = yes`. The newest configuration decides. */
static bool exported(void *arg, const char *name)
{
	const struct daemon *d = arg;
	for (unsigned i = 0; i < d->cfg->nservices; i++) {
		const struct config_service *s = &d->cfg->services[i];
		for (unsigned j = 0; s->export && j < s->publish.n; j++)
			if (strcmp(s->publish.v[j], name) == 0)
				return true;
	}
	return false;
}

/* Every name a service exports goes to the resolver: at start, and at
 * each reload, which also withdraws the names no longer exported. */
static void register_exports(struct daemon *d)
{
	if (!d->remote)
		return;
	remote_withdraw(d->remote, exported, d);
	for (unsigned i = 0; i < d->cfg->nservices; i++) {
		const struct config_service *s = &d->cfg->services[i];
		for (unsigned j = 0; s->export && j < s->publish.n; j++) {
			int r = remote_export(d->remote, s->publish.v[j]);
			if (r < 0 && r != -EINVAL)
				log_error("%s: export %s: %s", s->path,
					  s->publish.v[j], strerror(-r));
		}
	}
}

static int open_remote(struct daemon *d, struct error *e)
{
	const struct config *c = d->cfg;
	if (!c->listen)
		return 0;
	struct remote_opts ro = {
		.listen = c->listen,
		.key_path = c->host_key ? c->host_key : CONFIG_HOST_KEY,
		.hosts_path = c->hosts ? c->hosts : HOSTS_FILE,
		.resolver = {
			.backend = c->resolver == CONFIG_RESOLVER_ETCD ?
					   RESOLVER_ETCD :
					   RESOLVER_STATIC,
			.names_path = c->names,
			.config_dir = d->o->config_dir,
			.owner = d->o->config_owner,
			.etcd_url = c->etcd_url,
		},
		.idle_ms = (unsigned)c->link_idle_ms,
		.handshake_ms = (unsigned)c->link_handshake_ms,
		.limits = remote_limits_of(c),
		.exported = exported,
		.arg = d,
	};
	int r = remote_open(d->b, &ro, &d->remote, e);
	if (r == 0)
		register_exports(d);
	return r;
}

/* Whether the operator made channel network-wide: the newest settings
 * decide, so a reload takes a channel off the network at once. */
static bool network_wide(void *arg, const char *channel)
{
	const struct daemon *d = arg;
	for (unsigned i = 0; i < d->cfg->broadcast.n; i++)
		if (strcmp(d->cfg->broadcast.v[i], channel) == 0)
			return true;
	return false;
}

/* Broadcast across hosts signs with the host key that links use, which
 * fakeosd makes at first start when `listen` is set: so it needs it. The
 * address is read at start only. */
static int open_netbcast(struct daemon *d, struct error *e)
{
	const struct config *c = d->cfg;
	if (!c->broadcast_to)
		return 0;
	if (!c->listen)
		return error_set(e, EINVAL, "broadcast-to needs listen (and "
					    "its host key and hosts file)");
	struct netbcast_opts no = {
		.to = c->broadcast_to,
		.key_path = c->host_key ? c->host_key : CONFIG_HOST_KEY,
		.hosts_path = c->hosts ? c->hosts : HOSTS_FILE,
		.secret_path = c->broadcast_secret,
		.network_wide = network_wide,
		.arg = d,
		.delivery_rate = d->o->defaults.quotas.delivery_rate,
		.delivery_burst = d->o->defaults.quotas.delivery_burst,
	};
	return netbcast_open(d->b, &no, &d->netbcast, e);
}

/* The HTTP gateway's settings for uid: read from the newest settings at
 * each request, so a reload applies to the next one. */
static void http_policy(void *arg, uid_t uid, struct httpgw_policy *out)
{
	const struct daemon *d = arg;
	const struct config_quota *q = config_account_quota(d->cfg, uid);
	out->allow = q->http_allow.v;
	out->nallow = q->http_allow.n;
	out->requests = q->http_requests;
	out->body_max = d->cfg->http_body_max;
	out->time_limit_ms = d->cfg->http_time_limit_ms;
}

int daemon_open(const struct daemon_opts *o, struct daemon **out,
		struct error *e)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	d->o = o;
	d->listen_fd = -1;
	int r = daemon_reload(d, e);
	if (r < 0) {
		free(d);
		return r;
	}
	r = broker_open(&o->program, &d->b, e);
	if (r < 0) {
		daemon_close(d);
		return r;
	}
	/* Jails prepared ahead, for runs with the default memory limit. */
	broker_set_pool(d->b, d->cfg->pool, o->defaults.limits.memory);
	d->pool = d->cfg->pool;
	broker_set_cache_max(d->b, d->cfg->cache_max);
	apply_crash_url(d);
	broker_on_signal(d->b, on_signal, d);
	d->services = services_new(&(struct services_env){
		.b = d->b, .defaults = &o->defaults,
		.account = service_account, .arg = d });

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(o->socket_path) >= sizeof(sa.sun_path)) {
		r = error_set(e, ENAMETOOLONG, "socket path %s is too long",
			      o->socket_path);
		goto fail;
	}
	memcpy(sa.sun_path, o->socket_path, strlen(o->socket_path) + 1);
	d->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
					       SOCK_NONBLOCK,
			      0);
	if (d->listen_fd < 0) {
		r = error_sys(e, errno, "socket");
		goto fail;
	}
	/* A socket file is replaced only when nothing answers on it: a
	 * second fakeosd must not steal the first one's clients. */
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa,
				  sizeof(sa)) == 0) {
		close(probe);
		r = error_set(e, EADDRINUSE, "%s: another fakeosd answers "
					     "there",
			      o->socket_path);
		goto fail;
	}
	if (probe >= 0)
		close(probe);
	struct stat st;
	if (lstat(o->socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			r = error_set(e, EEXIST, "%s exists and is not a "
						 "socket",
				      o->socket_path);
			goto fail;
		}
		(void)unlink(o->socket_path);
	}
	mode_t old = umask(0);
	r = bind(d->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = error_sys(e, errno, "bind %s", o->socket_path);
		goto fail;
	}
	/* Every local user may connect: each is its own account. */
	if (chmod(o->socket_path, 0666) < 0 || listen(d->listen_fd, 128) < 0) {
		r = error_sys(e, errno, "listen on %s", o->socket_path);
		goto fail;
	}
	r = broker_watch(d->b, d->listen_fd, EPOLLIN, on_listen, d,
			 &d->w_listen);
	if (r < 0) {
		error_sys(e, -r, "epoll");
		goto fail;
	}
	r = open_remote(d, e);
	if (r == 0)
		r = open_netbcast(d, e);
	if (r == 0)
		r = httpgw_open(d->b, &(struct httpgw_opts){
				.policy = http_policy, .arg = d },
				&d->httpgw, e);
	if (r < 0)
		goto fail;
	services_sync(d->services, d->cfg);
	*out = d;
	return 0;
fail:
	daemon_close(d);
	return r;
}

int daemon_serve(struct daemon *d)
{
	uint64_t usec = 0;
	if (notify_watchdog_usec(&usec) == 0 && usec) {
		/* Pinged at half the interval, as sd_watchdog_enabled(3)
		 * advises. */
		d->watchdog_ns = usec * 1000 / 2;
		d->watchdog_next_ns = now_ns();
	}
	(void)notify_ready("0 runs, 0 programs");
	for (;;) {
		reap_clients(d);
		/* A service waiting out its back-off costs a timeout, not a
		 * wake-up. */
		int timeout = services_tick(d->services);
		tell_status(d);
		if (d->stopping && !d->clients && services_idle(d->services))
			return 0;
		if (d->watchdog_ns) {
			uint64_t now = now_ns();
			if (now >= d->watchdog_next_ns) {
				(void)notify_watchdog();
				d->watchdog_next_ns = now + d->watchdog_ns;
			}
			int left = (int)((d->watchdog_next_ns - now) /
					 1000000) +
				   1;
			if (timeout < 0 || left < timeout)
				timeout = left;
		}
		if (d->stopping && !d->killed_all) {
			uint64_t now = now_ns();
			if (now >= d->stop_deadline_ns) {
				log_warn("runs still going after the grace "
					 "period of %llu ms: killed",
					 (unsigned long long)d->cfg->grace_ms);
				for (struct client *c = d->clients; c;
				     c = c->next)
					if (c->t)
						broker_tree_stop(c->t, SIGKILL);
				services_stop_all(d->services, SIGKILL);
				d->killed_all = true;
			} else {
				int left = (int)((d->stop_deadline_ns - now) /
						 1000000) +
					   1;
				if (timeout < 0 || left < timeout)
					timeout = left;
			}
		}
		int rt = remote_tick(d->remote);
		if (rt >= 0 && (timeout < 0 || rt < timeout))
			timeout = rt;
		int r = broker_poll(d->b, timeout);
		if (r < 0)
			return r;
	}
}

void daemon_counts(const struct daemon *d, unsigned *runs,
		   unsigned *programs)
{
	*runs = *programs = 0;
	/* client_free unlinks a client before it frees it. */
	for (const struct client *c = d->clients; c; c = c->next)
		if (c->t) { /* NOLINT(clang-analyzer-unix.Malloc) */
			(*runs)++;
			*programs += broker_tree_alive(c->t);
		}
}

void daemon_close(struct daemon *d)
{
	if (!d)
		return;
	while (d->clients)
		client_free(d->clients);
	services_free(d->services);
	netbcast_close(d->netbcast);
	httpgw_close(d->httpgw);
	remote_close(d->remote);
	if (d->w_listen)
		broker_unwatch(d->b, d->listen_fd, d->w_listen);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		(void)unlink(d->o->socket_path);
	}
	if (d->b)
		broker_close(d->b);
	while (d->accounts) {
		struct account *a = d->accounts;
		d->accounts = a->next;
		free(a);
	}
	while (d->loaded) {
		struct loaded *l = d->loaded;
		d->loaded = l->next;
		config_free(&l->cfg);
		free(l);
	}
	free(d);
}

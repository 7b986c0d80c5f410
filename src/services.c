/* services.c — see services.h.
 *
 * Trust: a service's settings are root's (config_load refuses anything
 * else); its programs are as hostile as any. Their output reaches the
 * journal only as lines of text with the service's name before each and
 * every control byte shown as '?', so a program can neither forge a line
 * of another service (or of the daemon) nor send the journal's reader's
 * terminal a sequence. Its tree is in its account's scope and charged to
 * its account's quotas; file:// programs are opened as its account. */
#include "services.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"

#define LINE_MAX_BYTES 1024 /* a longer line is logged in pieces */

enum svc_state { S_STOPPED, S_WAITING, S_RUNNING };

struct service;

/* One of a service's output pipes, read by the daemon. */
struct stream {
	struct service *svc;
	int rd, wr; /* the daemon reads rd; the tree's console is wr */
	struct broker_watch *w;
	char prio; /* the journal priority of its lines */
	size_t len;
	char buf[LINE_MAX_BYTES];
};

struct service {
	struct services *s;
	struct service *next;
	const struct config_service *cfg;
	struct broker_opts o;
	struct tree *t;
	int null_fd; /* its stdin: /dev/null */
	struct stream out, err;
	enum svc_state state;
	bool removed; /* gone from the settings: freed once its tree is */
	bool restart_now; /* changed or restarted: start again at once */
	bool held; /* stopped by fakeosctl: not restarted */
	unsigned restarts;
	bool has_status;
	int last_status;
	uint64_t started_ns, due_ns;
	uint64_t delay_ms; /* the next back-off */
};

struct services {
	struct services_env env;
	const struct config *cfg;
	struct service *list;
	bool stopping;
};

/* --- output ------------------------------------------------------------------------ */

static void emit(struct stream *st, const char *text, size_t n)
{
	char line[LINE_MAX_BYTES + PROTO_NAME_SIZE + 16];
	int k = snprintf(line, sizeof(line), "<%c>svc %s: ", st->prio,
			 st->svc->cfg->name);
	for (size_t i = 0; i < n && (size_t)k < sizeof(line) - 1; i++) {
		unsigned char c = (unsigned char)text[i];
		line[k++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
	}
	line[k++] = '\n';
	/* One write per line, so lines of services never interleave. */
	(void)!write(STDERR_FILENO, line, (size_t)k);
}

/* Logs every whole line read so far; at the end, or when the buffer is
 * full, what is left as well. */
static void stream_flush(struct stream *st, bool all)
{
	size_t start = 0;
	for (size_t i = 0; i < st->len; i++)
		if (st->buf[i] == '\n') {
			emit(st, st->buf + start, i - start);
			start = i + 1;
		}
	if (start < st->len && (all || (start == 0 && st->len == sizeof(st->buf)))) {
		emit(st, st->buf + start, st->len - start);
		start = st->len;
	}
	memmove(st->buf, st->buf + start, st->len - start);
	st->len -= start;
}

static void stream_read(struct stream *st)
{
	for (int i = 0; i < 64; i++) { /* bounded: other events wait too */
		ssize_t n = read(st->rd, st->buf + st->len,
				 sizeof(st->buf) - st->len);
		if (n <= 0)
			return;
		st->len += (size_t)n;
		stream_flush(st, false);
	}
}

static void on_stream(void *arg, uint32_t events)
{
	(void)events;
	stream_read(arg);
}

static int stream_open(struct services *s, struct service *v,
		       struct stream *st, char prio)
{
	int p[2];
	st->svc = v;
	st->prio = prio;
	st->rd = st->wr = -1;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	st->rd = p[0];
	st->wr = p[1];
	return broker_watch(s->env.b, st->rd, EPOLLIN, on_stream, st, &st->w);
}

static void stream_close(struct services *s, struct stream *st)
{
	if (st->rd >= 0) {
		stream_read(st);
		stream_flush(st, true);
		if (st->w)
			broker_unwatch(s->env.b, st->rd, st->w);
		close(st->rd);
	}
	if (st->wr >= 0)
		close(st->wr);
}

/* --- one service ----------------------------------------------------------------- */

static void svc_free(struct service *v)
{
	struct services *s = v->s;
	stream_close(s, &v->out);
	stream_close(s, &v->err);
	if (v->null_fd >= 0)
		close(v->null_fd);
	for (struct service **pp = &s->list; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	free(v);
}

static struct service *svc_new(struct services *s,
			       const struct config_service *c)
{
	struct service *v = xcalloc(1, sizeof(*v));
	v->s = s;
	v->cfg = c;
	v->delay_ms = c->restart_delay_ms;
	v->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	v->next = s->list;
	s->list = v;
	int r = v->null_fd < 0 ? -errno : 0;
	if (r == 0)
		r = stream_open(s, v, &v->out, '6');
	else
		v->out.rd = v->out.wr = -1;
	if (r == 0)
		r = stream_open(s, v, &v->err, '4');
	else
		v->err.rd = v->err.wr = -1;
	if (r < 0) {
		log_error("service %s: its console: %s", c->name, strerror(-r));
		svc_free(v);
		return NULL;
	}
	return v;
}

static void svc_start(struct service *v)
{
	struct services *s = v->s;
	const struct config_service *c = v->cfg;
	const struct broker_account *acct = s->env.account(s->env.arg,
							   c->account);
	v->state = S_STOPPED;
	v->restart_now = false;
	struct broker_account used;
	broker_account_usage(s->env.b, acct, &used);
	if (used.programs >= acct->programs) {
		log_error("service %s: not started: quota of %u programs of "
			  "uid %u reached",
			  c->name, acct->programs, (unsigned)c->account);
		return;
	}
	v->o = *s->env.defaults;
	v->o.program.cache_max = s->cfg->cache_max;
	v->o.spawn_from = (const char *const *)s->cfg->spawn_from.v;
	v->o.n_spawn_from = s->cfg->spawn_from.n;
	v->o.stdin_relay = false;
	v->o.limits.memory = c->memory;
	v->o.limits.cpu_seconds = c->cpu_seconds;
	v->o.wall_ms = c->time_limit_ms;
	struct error e = { "" };
	v->t = broker_tree_new(s->env.b, &v->o, (uint64_t)c->account,
			       (int[]){ v->null_fd, v->out.wr, v->err.wr }, &e);
	if (!v->t) {
		log_error("service %s: not started: %s", c->name, e.msg);
		return;
	}
	broker_tree_account(v->t, acct);
	/* Its file:// program is read as its account could read it. */
	struct passwd *pw = getpwuid(c->account);
	gid_t gid = pw ? pw->pw_gid : (gid_t)c->account;
	broker_tree_client(v->t, c->account, gid, &gid, 1);
	broker_tree_publish(v->t, (const char *const *)c->publish.v,
			    c->publish.n);
	char **argv = xcalloc(c->args.n + 2, sizeof(char *));
	argv[0] = c->url;
	for (unsigned i = 0; i < c->args.n; i++)
		argv[i + 1] = c->args.v[i];
	if (broker_tree_fetch(v->t, c->url, argv, &e) < 0)
		log_error("service %s: %s: %s", c->name, c->url, e.msg);
	free(argv);
	v->state = S_RUNNING;
	v->started_ns = now_ns();
	log_info("service %s started (uid %u): %s", c->name,
		 (unsigned)c->account, c->url);
}

/* Its tree ended with status: what comes next. */
static void svc_ended(struct service *v, int status, uint64_t now)
{
	const struct config_service *c = v->cfg;
	uint64_t ran_ms = (now - v->started_ns) / 1000000;
	v->has_status = true;
	v->last_status = status;
	v->state = S_STOPPED;
	if (v->s->stopping || v->held) {
		log_info("service %s stopped (status %d)", c->name, status);
		return;
	}
	if (v->restart_now) {
		log_info("service %s ended (status %d): starting it again",
			 c->name, status);
		svc_start(v);
		return;
	}
	bool again = c->restart == CONFIG_RESTART_ALWAYS ||
		     (c->restart == CONFIG_RESTART_ON_FAILURE && status != 0);
	if (!again) {
		log_warn("service %s exited with status %d after %llu ms; "
			 "restart=%s: not restarted",
			 c->name, status, (unsigned long long)ran_ms,
			 config_restart_name(c->restart));
		return;
	}
	/* A run that lasted long enough was not part of a crash loop: the
	 * back-off starts over. */
	uint64_t reset = c->restart_delay_max_ms < SERVICES_RESET_MS
				 ? c->restart_delay_max_ms
				 : SERVICES_RESET_MS;
	if (ran_ms >= reset)
		v->delay_ms = c->restart_delay_ms;
	uint64_t delay = v->delay_ms;
	v->delay_ms = delay * 2 > c->restart_delay_max_ms
			      ? c->restart_delay_max_ms
			      : delay * 2;
	v->due_ns = now + delay * 1000000;
	v->state = S_WAITING;
	log_warn("service %s exited with status %d after %llu ms; next "
		 "restart in %llu ms",
		 c->name, status, (unsigned long long)ran_ms,
		 (unsigned long long)delay);
}

/* Ends its programs; services_tick sees the tree done. */
static void svc_stop(struct service *v)
{
	if (v->t)
		broker_tree_stop(v->t, SIGTERM);
	else if (v->state == S_WAITING)
		v->state = S_STOPPED;
}

/* --- all of them ---------------------------------------------------------------- */

struct services *services_new(const struct services_env *env)
{
	struct services *s = xcalloc(1, sizeof(*s));
	s->env = *env;
	return s;
}

void services_free(struct services *s)
{
	if (!s)
		return;
	while (s->list) {
		if (s->list->t)
			broker_tree_free(s->list->t);
		svc_free(s->list);
	}
	free(s);
}

static bool list_eq(const struct config_list *a, const struct config_list *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static bool same(const struct config_service *a, const struct config_service *b)
{
	return strcmp(a->url, b->url) == 0 && list_eq(&a->args, &b->args) &&
	       a->account == b->account && a->memory == b->memory &&
	       a->cpu_seconds == b->cpu_seconds &&
	       a->time_limit_ms == b->time_limit_ms &&
	       list_eq(&a->publish, &b->publish) && a->restart == b->restart &&
	       a->restart_delay_ms == b->restart_delay_ms &&
	       a->restart_delay_max_ms == b->restart_delay_max_ms;
}

static struct service *find(const struct services *s, const char *name)
{
	for (struct service *v = s->list; v; v = v->next)
		if (strcmp(v->cfg->name, name) == 0)
			return v;
	return NULL;
}

void services_sync(struct services *s, const struct config *cfg)
{
	s->cfg = cfg;
	for (struct service *v = s->list, *next; v; v = next) {
		next = v->next;
		const struct config_service *c = NULL;
		for (unsigned i = 0; i < cfg->nservices && !c; i++)
			if (strcmp(cfg->services[i].name, v->cfg->name) == 0)
				c = &cfg->services[i];
		if (!c) {
			log_info("service %s: removed from the settings: "
				 "stopped",
				 v->cfg->name);
			v->removed = true;
			svc_stop(v);
			if (!v->t)
				svc_free(v);
			continue;
		}
		bool changed = !same(c, v->cfg) || v->removed;
		v->cfg = c;
		v->removed = false;
		v->held = false;
		if (changed) {
			v->delay_ms = c->restart_delay_ms;
			v->restarts = 0;
		}
		if (v->t && changed) {
			log_info("service %s: its settings changed: "
				 "restarted",
				 c->name);
			v->restart_now = true;
			svc_stop(v);
		} else if (!v->t && (changed || v->state == S_STOPPED)) {
			svc_start(v);
		}
	}
	for (unsigned i = 0; i < cfg->nservices; i++) {
		if (find(s, cfg->services[i].name))
			continue;
		struct service *v = svc_new(s, &cfg->services[i]);
		if (v)
			svc_start(v);
	}
}

int services_tick(struct services *s)
{
	uint64_t now = now_ns(), next = UINT64_MAX;
	for (struct service *v = s->list, *n; v; v = n) {
		n = v->next;
		if (v->t && broker_tree_done(v->t)) {
			int status = broker_tree_status(v->t);
			broker_tree_free(v->t);
			v->t = NULL;
			/* What it wrote last is logged before its end. */
			stream_read(&v->out);
			stream_read(&v->err);
			if (v->removed) {
				svc_free(v);
				continue;
			}
			svc_ended(v, status, now);
		}
		if (v->state == S_WAITING && !s->stopping) {
			if (now >= v->due_ns) {
				v->restarts++;
				svc_start(v);
			} else if (v->due_ns < next) {
				next = v->due_ns;
			}
		}
	}
	if (next == UINT64_MAX)
		return -1;
	return (int)((next - now) / 1000000) + 1;
}

void services_stop_all(struct services *s, int sig)
{
	s->stopping = true;
	for (struct service *v = s->list; v; v = v->next) {
		if (v->t)
			broker_tree_stop(v->t, sig);
		else if (v->state == S_WAITING)
			v->state = S_STOPPED;
	}
}

bool services_idle(const struct services *s)
{
	for (const struct service *v = s->list; v; v = v->next)
		if (v->t)
			return false;
	return true;
}

int services_ctl(struct services *s, const char *op, const char *name,
		 char *msg, size_t len)
{
	struct service *v = find(s, name);
	if (!v || v->removed) {
		snprintf(msg, len, "no service %s", name);
		return -ENOENT;
	}
	if (s->stopping) {
		snprintf(msg, len, "fakeosd is stopping");
		return -ESHUTDOWN;
	}
	bool start = strcmp(op, "start") == 0;
	bool restart = strcmp(op, "restart") == 0;
	if (strcmp(op, "stop") == 0) {
		v->held = true;
		svc_stop(v);
		snprintf(msg, len, "service %s stopped", name);
		log_info("service %s: stopped by root (fakeosctl)", name);
		return 0;
	}
	if (!start && !restart) {
		snprintf(msg, len, "unknown operation %s", op);
		return -EINVAL;
	}
	v->held = false;
	v->delay_ms = v->cfg->restart_delay_ms;
	log_info("service %s: %s by root (fakeosctl)", name,
		 start ? "started" : "restarted");
	if (v->t && start) {
		snprintf(msg, len, "service %s is running already", name);
	} else if (v->t) {
		v->restart_now = true;
		svc_stop(v);
		snprintf(msg, len, "service %s restarted", name);
	} else {
		svc_start(v);
		snprintf(msg, len, "service %s %s", name,
			 v->t ? "started" : "did not start (see the log)");
	}
	return 0;
}

void services_list(const struct services *s,
		   void (*line)(const char *text, void *arg), void *arg)
{
	uint64_t now = now_ns();
	for (const struct service *v = s->list; v; v = v->next) {
		char last[16] = "-", next[32] = "-", text[256];
		if (v->has_status)
			snprintf(last, sizeof(last), "%d", v->last_status);
		if (v->state == S_WAITING && v->due_ns > now)
			snprintf(next, sizeof(next), "%llums",
				 (unsigned long long)(v->due_ns - now) /
					 1000000);
		const char *state = v->t ? (v->restart_now || v->held ||
					    v->removed || s->stopping)
						   ? "stopping"
						   : "running"
				    : v->state == S_WAITING ? "waiting"
							    : "stopped";
		snprintf(text, sizeof(text), "%-16s %-8s %8u %6s %s",
			 v->cfg->name, state, v->restarts, last, next);
		line(text, arg);
	}
}

void services_each_tree(const struct services *s,
			void (*fn)(const struct tree *t, uid_t uid,
				   void *arg),
			void *arg)
{
	for (const struct service *v = s->list; v; v = v->next)
		if (v->t)
			fn(v->t, v->cfg->account, arg);
}

/* daemon_ctl.c — fakeosctl's requests to fakeosd (dproto.h, LIST, CTL and
 * CRASH).
 *
 * Trust: the caller is its SO_PEERCRED uid, nothing it says. Root may
 * see everything and start, stop and restart services, and have the
 * settings read again (as SIGHUP would). Any other uid sees only its own
 * account's programs, names and crash reports (and the names published
 * to everyone), and the services' table (names and states, which the
 * operator's settings make public); every CTL from it is refused, named
 * in the log,
 * and changes nothing. What a listing shows of a program (its URL) is
 * made printable before it leaves, so a program's URL cannot send the
 * reader's terminal a sequence. */
#include "daemon_int.h"

#include <stdio.h>
#include <string.h>

#include "crash_spool.h"
#include "log.h"
#include "services.h"

#define CHUNK 8192 /* text per LIST_REPLY: whole lines */

struct listing {
	struct client *c;
	char text[CHUNK];
	size_t len;
	bool failed; /* the client does not read: the rest is dropped */
};

static void send_chunk(struct listing *l, bool last)
{
	/* The reply's fixed part, then the text, in one aligned buffer. */
	union {
		struct dproto_list_reply r;
		char bytes[sizeof(struct dproto_list_reply) + CHUNK];
	} m;
	memset(&m.r, 0, sizeof(m.r));
	memcpy(m.bytes + sizeof(m.r), l->text, l->len);
	uint32_t n = (uint32_t)(sizeof(m.r) + l->len);
	dproto_hdr_init(&m.r.hdr, DPROTO_LIST_REPLY, n);
	m.r.last = last;
	m.r.text_len = (uint32_t)l->len;
	l->len = 0;
	if (l->failed)
		return;
	/* Non-blocking: a caller that does not read loses its listing and
	 * never stalls the daemon. */
	if (send(l->c->sock, &m, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		l->failed = true;
}

/* Adds one line, every control byte shown as '?'. */
static void add_line(const char *line, void *arg)
{
	struct listing *l = arg;
	size_t n = strnlen(line, CHUNK - 1);
	if (l->len + n + 1 > sizeof(l->text))
		send_chunk(l, false);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];
		l->text[l->len++] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	l->text[l->len++] = '\n';
}

/* The program's resident memory, from /proc/PID/status: "1234 kB". */
static void rss_of(pid_t pid, char *out, size_t size)
{
	char path[64], line[256];
	snprintf(out, size, "-");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			char *end;
			unsigned long kb = strtoul(line + 6, &end, 10);
			if (end != line + 6)
				snprintf(out, size, "%lukB", kb);
			break;
		}
	}
	(void)fclose(f);
}

struct prog_walk {
	struct listing *l;
	uid_t uid;
	uint64_t now;
};

static void prog_line(const struct broker_prog_info *i, void *arg)
{
	struct prog_walk *w = arg;
	char sha[16] = "-", rss[32], line[DPROTO_URL_MAX + 256];
	if (i->sha256)
		snprintf(sha, sizeof(sha), "%02x%02x%02x%02x%02x%02x",
			 i->sha256[0], i->sha256[1], i->sha256[2],
			 i->sha256[3], i->sha256[4], i->sha256[5]);
	rss_of(i->pid, rss, sizeof(rss));
	snprintf(line, sizeof(line), "%-6llu %-7u %-12s %-8s %7llus %10s %s",
		 (unsigned long long)i->id, (unsigned)w->uid, sha, "running",
		 (unsigned long long)((w->now - i->started_ns) / 1000000000),
		 rss, i->url);
	add_line(line, w->l);
}

static void tree_lines(const struct tree *t, uid_t uid, void *arg)
{
	struct prog_walk *w = arg;
	struct client *caller = w->l->c;
	if (caller->cred.uid != 0 && caller->cred.uid != uid)
		return;
	w->uid = uid;
	broker_tree_each_prog(t, prog_line, w);
}

static void list_programs(struct listing *l)
{
	struct daemon *d = l->c->d;
	struct prog_walk w = { l, 0, now_ns() };
	add_line("ID     ACCOUNT SHA256       STATE     UPTIME     MEMORY URL",
		 l);
	for (struct client *c = d->clients; c; c = c->next)
		if (c->t)
			tree_lines(c->t, c->cred.uid, &w);
	services_each_tree(d->services, tree_lines, &w);
}

struct name_walk {
	struct listing *l;
	const char *where;
};

static void name_line(const char *name, void *arg)
{
	struct name_walk *w = arg;
	char line[PROTO_NAME_SIZE + 64];
	snprintf(line, sizeof(line), "%-32s %s", name, w->where);
	add_line(line, w->l);
}

static void list_names(struct listing *l)
{
	char own[48];
	snprintf(own, sizeof(own), "uid %u", (unsigned)l->c->cred.uid);
	add_line("NAME                             SCOPE", l);
	broker_each_name(l->c->d->b, (uint64_t)l->c->cred.uid, name_line,
			 &(struct name_walk){ l, own });
	broker_each_name(l->c->d->b, BROKER_SCOPE_PUBLISHED, name_line,
			 &(struct name_walk){ l, "published" });
}

/* Crash reports: root's listing has every account's, another uid's only
 * its own (crash_spool_list filters by the name's uid). */
static uid_t crash_viewer(const struct client *c)
{
	return c->cred.uid == 0 ? (uid_t)-1 : c->cred.uid;
}

static void list_crashes(struct listing *l)
{
	crash_spool_list(l->c->d->o->spool_dir, crash_viewer(l->c), add_line,
			 l);
}

struct crash_show {
	struct client *c;
	bool failed;
};

static void send_crash_reply(struct client *c, int status, const char *text,
			     size_t n, bool last, bool *failed)
{
	union {
		struct dproto_crash_reply r;
		char bytes[sizeof(struct dproto_crash_reply) +
			   CRASH_SHOW_CHUNK];
	} m;
	memset(&m.r, 0, sizeof(m.r));
	/* A report is ASCII (its writer escapes the rest); whatever else a
	 * file in the spool held is shown as '?'. */
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];
		m.bytes[sizeof(m.r) + i] =
			(char)((ch < 0x20 && ch != '\n') || ch > 0x7e ? '?'
								      : ch);
	}
	uint32_t len = (uint32_t)(sizeof(m.r) + n);
	dproto_hdr_init(&m.r.hdr, DPROTO_CRASH_REPLY, len);
	m.r.status = status;
	m.r.last = last;
	m.r.text_len = (uint32_t)n;
	if (*failed)
		return;
	/* Non-blocking, as a listing: a caller that does not read loses the
	 * rest of the report. */
	if (send(c->sock, &m, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		*failed = true;
}

static void crash_piece(const char *s, size_t n, void *arg)
{
	struct crash_show *w = arg;
	send_crash_reply(w->c, 0, s, n, false, &w->failed);
}

static void on_crash(struct client *c, const struct dproto_crash *m)
{
	struct crash_show w = { c, false };
	int r = crash_spool_show(c->d->o->spool_dir, m->id, crash_viewer(c),
				 crash_piece, &w);
	send_crash_reply(c, r < 0 ? -ENOENT : 0, "", 0, true, &w.failed);
}

static void send_ctl_reply(struct client *c, int status, const char *msg)
{
	struct dproto_ctl_reply r;
	memset(&r, 0, sizeof(r));
	dproto_hdr_init(&r.hdr, DPROTO_CTL_REPLY, sizeof(r));
	r.status = status;
	size_t n = strnlen(msg, sizeof(r.msg) - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)msg[i];
		r.msg[i] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	(void)send(c->sock, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static const char *const op_names[] = {
	[DPROTO_CTL_START] = "start", [DPROTO_CTL_STOP] = "stop",
	[DPROTO_CTL_RESTART] = "restart", [DPROTO_CTL_RELOAD] = "reload",
};

static void on_ctl(struct client *c, const struct dproto_ctl *m)
{
	struct daemon *d = c->d;
	const char *op = op_names[m->op];
	char msg[DPROTO_MSG_SIZE];
	if (c->cred.uid != 0) {
		/* The settings and the services are root's (issue 16, 7). */
		log_warn("client pid %d uid %u: refused: %s (only root)",
			 (int)c->cred.pid, (unsigned)c->cred.uid, op);
		snprintf(msg, sizeof(msg), "only root may %s %s", op,
			 m->op == DPROTO_CTL_RELOAD ? "the settings"
						   : "services");
		send_ctl_reply(c, -EPERM, msg);
		return;
	}
	int r;
	if (m->op == DPROTO_CTL_RELOAD) {
		struct error e = { "" };
		r = daemon_reload(d, &e);
		/* Cut to the reply's 256 bytes; the log has it whole. */
		if (r < 0)
			snprintf(msg, sizeof(msg), "the settings in force "
						   "stay: %.200s",
				 e.msg);
		else
			snprintf(msg, sizeof(msg), "settings read again from "
						   "%.200s",
				 d->o->config_dir);
		if (r < 0)
			log_error("fakeosctl reload: the settings in force "
				  "stay: %s", e.msg);
		else
			log_info("fakeosctl reload: %s", msg);
	} else {
		r = services_ctl(d->services, op, m->name, msg, sizeof(msg));
	}
	send_ctl_reply(c, r, msg);
}

void daemon_control(struct client *c, const struct dproto_hdr *m)
{
	c->done = true; /* one request, one answer, then the connection ends */
	if (m->type == DPROTO_CTL) {
		on_ctl(c, (const struct dproto_ctl *)(const void *)m);
		return;
	}
	if (m->type == DPROTO_CRASH) {
		on_crash(c, (const struct dproto_crash *)(const void *)m);
		return;
	}
	const struct dproto_list *q = (const void *)m;
	struct listing *l = xcalloc(1, sizeof(*l));
	l->c = c;
	if (q->what == DPROTO_LIST_PROGRAMS)
		list_programs(l);
	else if (q->what == DPROTO_LIST_NAMES)
		list_names(l);
	else if (q->what == DPROTO_LIST_CRASHES)
		list_crashes(l);
	else {
		add_line("NAME             STATE    RESTARTS   LAST NEXT", l);
		services_list(c->d->services, add_line, l);
	}
	send_chunk(l, true);
	free(l);
}

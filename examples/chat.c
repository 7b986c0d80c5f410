/* chat — a broadcast chat among three programs. One binary, two roles:
 *
 *   chat                  spawns three members and reports how they ended
 *   chat member NAME      one participant
 *
 * Each member subscribes to the channel "chat", tells the driver it is
 * listening (over a link to the name "chat-hub"), and when the driver says
 * "go" broadcasts one line. It then waits until it has seen all three
 * lines, its own included. The handshake is there because a broadcast
 * reaches only those already subscribed: without it, a member that
 * starts late would miss an early line. Exit 0 only if every member saw
 * every line. */
#include <errno.h>
#include <fakeos.h>
#include <stdio.h>
#include <string.h>

#define ME "chat"
#define CHANNEL "chat"
#define HUB "chat-hub"
#define MEMBERS 3
#define LIMIT_NS (20 * 1000000000LL)

static const char *names[MEMBERS] = { "ada", "bob", "cyd" };

static int fail(const char *who, const char *what, int err)
{
	fprintf(stderr, ME " %s: %s: %s\n", who, what, strerror(-err));
	return 1;
}

/* fk_wait with the role's overall deadline. */
static int wait_some(struct fk_event *ev, unsigned max, uint64_t end,
		     const char *who)
{
	uint64_t now = fk_now();
	int n = now < end ? fk_wait(ev, max, (int64_t)(end - now)) : 0;
	if (n < 0)
		return fail(who, "fk_wait", n), -1;
	if (n == 0 && fk_now() >= end) {
		fprintf(stderr, ME " %s: gave up after 20 s\n", who);
		return -1;
	}
	return n;
}

static int member(const char *name)
{
	uint64_t end = fk_now() + LIMIT_NS;
	fk_handle sub = fk_subscribe(CHANNEL), hub = 0;
	if (sub < 0)
		return fail(name, "fk_subscribe", sub);
	char line[128];
	int len = snprintf(line, sizeof(line), "%s: hello from %s", name, name);
	unsigned seen = 0; /* bit i: names[i]'s line arrived */

	while (seen != (1u << MEMBERS) - 1) {
		struct fk_event ev[8];
		int n = wait_some(ev, 8, end, name);
		if (n < 0)
			return 1;
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			int r = 0;
			if (e->type == FK_EV_OPEN && e->handle == sub) {
				/* Listening now: tell the driver. */
				hub = fk_link(HUB);
				r = hub < 0 ? hub : 0;
			} else if (e->type == FK_EV_OPEN && e->handle == hub) {
				r = fk_send(hub, "ready", 5);
			} else if (e->type == FK_EV_DATA && e->handle == hub) {
				if (e->len == 2 && !memcmp(e->data, "go", 2))
					r = fk_broadcast(CHANNEL, line, (size_t)len);
			} else if (e->type == FK_EV_DATA && e->handle == sub) {
				if (e->status)
					fprintf(stderr, ME " %s: %d lines lost\n",
						name, e->status);
				for (int k = 0; k < MEMBERS; k++) {
					size_t nl = strlen(names[k]);
					if (e->len > nl && !memcmp(e->data, names[k], nl) &&
					    ((const char *)e->data)[nl] == ':')
						seen |= 1u << k;
				}
				printf(ME " %s: heard \"%.*s\"\n", name, (int)e->len,
				       (const char *)e->data);
			} else if (e->type == FK_EV_CLOSED) {
				r = e->status ? e->status : -EPIPE;
			}
			fk_release(e);
			if (r < 0)
				return fail(name, "chatting", r);
		}
	}
	printf(ME " %s: heard all %d lines\n", name, MEMBERS);
	return 0;
}

static int driver(void)
{
	const char *url = fk_boot()->url;
	uint64_t end = fk_now() + LIMIT_NS;
	fk_handle hub = fk_serve(HUB), kids[MEMBERS], links[MEMBERS];
	int ready = 0, left = MEMBERS, ok = 1, nlinks = 0;
	if (hub < 0)
		return fail("driver", "fk_serve", hub);
	for (int i = 0; i < MEMBERS; i++) {
		char *const args[] = { "", "member", (char *)names[i], NULL };
		if ((kids[i] = fk_spawn(url, args)) < 0)
			return fail("driver", "fk_spawn", kids[i]);
	}
	while (left > 0) {
		struct fk_event ev[8];
		int n = wait_some(ev, 8, end, "driver");
		if (n < 0)
			return 1;
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->type == FK_EV_INCOMING && nlinks < MEMBERS) {
				links[nlinks++] = e->handle;
			} else if (e->type == FK_EV_DATA && ++ready == MEMBERS) {
				/* Everyone listens: let them talk. */
				for (int k = 0; k < nlinks; k++)
					if (fk_send(links[k], "go", 2) < 0)
						ok = 0;
			} else if (e->type == FK_EV_EXIT) {
				for (int k = 0; k < MEMBERS; k++)
					if (kids[k] == e->handle) {
						printf(ME ": %s exited with %d\n", names[k],
						       e->status);
						ok &= e->status == 0;
					}
				left--;
			}
			fk_release(e);
		}
	}
	printf(ME ": %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0)
		return fail("", "fk_init", r);
	if (argc == 3 && !strcmp(argv[1], "member"))
		return member(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: " ME " | " ME " member NAME\n");
		return 1;
	}
	return driver();
}

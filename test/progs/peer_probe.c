/* peer_probe — who is calling (fk_peer), for test/integration/test_api.sh
 * and test_peer.sh. Prints what it observed, one fact a line, and exits 0
 * only when every observation matched the documented behaviour.
 *
 *   peer_probe ask NAME            links to NAME; prints its own id, who
 *                                  the server is, and the server's answer:
 *                                  "ask NAME: welcome" or "ask NAME:
 *                                  refused, status S"
 *   peer_probe tree GATE FILTER CLIENT...
 *                                  spawns GATE (examples/gate) serving
 *                                  "gate" with FILTER, then each CLIENT
 *                                  with "ask gate", one after the other,
 *                                  then kills the gate
 *   peer_probe calls               fk_peer's errors, and both ends of a
 *                                  link to itself */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fakeos.h"

#define WAIT_NS 30000000000LL

static int fail(const char *what, long got)
{
	printf("FAIL: %s (got %ld)\n", what, got);
	return 1;
}

/* The next event for handle h (any type), within 30 s. */
static int next_for(fk_handle h, struct fk_event *ev)
{
	uint64_t end = fk_now() + (uint64_t)WAIT_NS;
	while (fk_now() < end) {
		if (fk_wait(ev, 1, (int64_t)(end - fk_now())) != 1)
			continue;
		if (ev->handle == h)
			return 0;
		fk_release(ev);
	}
	return fail("an event within 30 s for handle", h);
}

static int ask(const char *name)
{
	struct fk_event ev;
	struct fk_peer p;
	printf("ask: I am id %llu\n", (unsigned long long)fk_boot()->id);
	fk_handle l = fk_link(name);
	if (l <= 0 || next_for(l, &ev))
		return fail("fk_link", l);
	if (ev.type != FK_EV_OPEN)
		return fail("the link opens", ev.status);
	int r = fk_peer(l, &p);
	if (r < 0)
		return fail("fk_peer of the server", r);
	/* The client learns who serves the name the same way. */
	printf("ask: server id %llu url %s\n", (unsigned long long)p.id, p.url);
	if (p.id != ev.peer)
		return fail("fk_peer's id is the event's peer", (long)p.id);
	if (next_for(l, &ev))
		return 1;
	if (ev.type == FK_EV_DATA)
		printf("ask %s: %.*s\n", name, (int)ev.len,
		       (const char *)ev.data);
	else if (ev.type == FK_EV_CLOSED)
		printf("ask %s: refused, status %d\n", name, ev.status);
	else
		return fail("data or a close", (long)ev.type);
	fk_release(&ev);
	printf("PASS\n");
	return 0;
}

static int exit_of(fk_handle child)
{
	struct fk_event ev;
	for (;;) {
		if (next_for(child, &ev))
			return -1;
		int type = (int)ev.type, status = ev.status;
		fk_release(&ev);
		if (type == FK_EV_EXIT)
			return status;
	}
}

static int tree(const char *gate, const char *filter, int n,
		char **clients)
{
	char *gargs[] = { (char *)gate, "gate", (char *)filter, NULL };
	fk_handle g = fk_spawn(gate, gargs);
	if (g <= 0)
		return fail("spawning the gate", g);
	for (int i = 0; i < n; i++) {
		char *cargs[] = { clients[i], "ask", "gate", NULL };
		fk_handle c = fk_spawn(clients[i], cargs);
		int status = c > 0 ? exit_of(c) : c;
		printf("tree: client %d exit %d\n", i + 1, status);
		if (status != 0)
			return fail("the client's exit", status);
	}
	fk_kill(g);
	if (exit_of(g) != 137)
		return fail("the gate killed", 0);
	printf("PASS\n");
	return 0;
}

static int calls(void)
{
	struct fk_peer p;
	struct fk_event ev;
	int r;
	if ((r = fk_peer(12345, &p)) != -EBADF)
		return fail("fk_peer of no handle: -EBADF", r);
	fk_handle t = fk_timer(3600000000000ULL, 0);
	if ((r = fk_peer(t, &p)) != -EINVAL)
		return fail("fk_peer of a timer: -EINVAL", r);
	fk_handle s = fk_serve("self");
	if (s <= 0 || next_for(s, &ev) || ev.type != FK_EV_OPEN)
		return fail("serving self", s);
	if ((r = fk_peer(s, &p)) != -EINVAL)
		return fail("fk_peer of a served name: -EINVAL", r);
	fk_handle l = fk_link("self");
	if ((r = fk_peer(l, &p)) != -ENOTCONN)
		return fail("fk_peer before FK_EV_OPEN: -ENOTCONN", r);
	fk_handle in = 0;
	int opened = 0;
	while (!opened || !in) {
		if (fk_wait(&ev, 1, WAIT_NS) != 1)
			return fail("the link's events", 0);
		if (ev.type == FK_EV_OPEN && ev.handle == l)
			opened = 1;
		if (ev.type == FK_EV_INCOMING)
			in = ev.handle;
	}
	/* Both ends of a link to itself name this program. */
	fk_handle ends[2] = { l, in };
	for (int i = 0; i < 2; i++) {
		memset(&p, 0xff, sizeof(p));
		if ((r = fk_peer(ends[i], &p)) < 0)
			return fail("fk_peer of an open link", r);
		printf("end %d: id %llu url %s host '%s'\n", i,
		       (unsigned long long)p.id, p.url, p.host);
		if (p.id != fk_boot()->id || strcmp(p.url, fk_boot()->url) ||
		    p.host[0] || p.reserved)
			return fail("itself, on this host", (long)p.id);
	}
	fk_close(l);
	if ((r = fk_peer(l, &p)) != -EBADF)
		return fail("fk_peer of a closed link: -EBADF", r);
	printf("PASS\n");
	return 0;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0) {
		printf("FAIL: fk_init: %s\n", strerror(-r));
		return 1;
	}
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "ask") && argc == 3)
		return ask(argv[2]);
	if (!strcmp(cmd, "tree") && argc >= 4)
		return tree(argv[2], argv[3], argc - 4, argv + 4);
	if (!strcmp(cmd, "calls"))
		return calls();
	printf("FAIL: usage\n");
	return 2;
}

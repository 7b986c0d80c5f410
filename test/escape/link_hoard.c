/* One client and the helpers it spawns from its own origin each open as
 * many links to a server as the broker allows, to take all of the server's
 * 63 link slots: every other client would then be refused. A program and
 * everything it spawned must count as one client (one party) to the
 * server, so the hoard stops at the per-client quota and another party
 * still gets a link.
 *
 *   link_hoard PARTIES HELPERS [LIMIT]
 *
 * The top program spawns a server (serving "svc") and PARTIES attackers;
 * each attacker spawns HELPERS copies of itself, and every attacker and
 * helper links to "svc" until the broker refuses, then reports how many
 * it holds on the top's "report" name. When all have reported, the top
 * links to "svc" itself, a party of its own. Prints "hoard: N links held,
 * M refused" and then "another party's link: ok" (exit 0) or "another
 * party's link: refused: <error>" (exit 1); the test says which of the
 * two its PARTIES and HELPERS must give. The server prints "server: a
 * party holds N links" each time FK_EV_INCOMING's count (the links the
 * client's party holds, as the broker counts them) reaches a new high;
 * with LIMIT it closes every link whose party holds more, and says so:
 * a server's own defence against a hoarding party. */
#include "escape.h"

#include <fakeos.h>

#define LIMIT_NS (20 * 1000000000LL)

static char *self;

static int next_event(struct fk_event *e)
{
	int n = fk_wait(e, 1, LIMIT_NS);
	if (n <= 0) {
		printf("fk_wait: %s\n", n ? strerror(-n) : "timed out");
		exit(SETUP_FAILED);
	}
	return 0;
}

static int server(long limit)
{
	fk_handle srv = fk_serve("svc");
	int most = 0;
	long closed = 0;
	if (srv < 0)
		return SETUP_FAILED;
	for (;;) {
		struct fk_event e;
		if (fk_wait(&e, 1, -1) < 0)
			return SETUP_FAILED;
		if (e.type == FK_EV_INCOMING && e.status > most) {
			most = e.status;
			printf("server: a party holds %d links\n", most);
		}
		if (e.type == FK_EV_INCOMING && limit && e.status > limit) {
			(void)fk_close(e.handle);
			printf("server: closed link %ld of a party over %ld\n",
			       ++closed, limit);
		}
		fflush(stdout);
		fk_release(&e);
	}
}

/* Links to "svc" until refused; reports the count; holds. */
static int hoarder(long helpers)
{
	char *helper_argv[] = { self, "helper", "0", NULL };
	for (long i = 0; i < helpers; i++)
		if (fk_spawn(self, helper_argv) < 0)
			return SETUP_FAILED;
	long held = 0, refused = 0;
	fk_handle pending = fk_link("svc");
	while (pending > 0) {
		struct fk_event e;
		next_event(&e);
		if (e.handle != pending) {
			fk_release(&e);
			continue;
		}
		if (e.type == FK_EV_OPEN) {
			held++;
			pending = fk_link("svc");
		} else if (e.type == FK_EV_CLOSED) {
			refused++;
			pending = 0;
		}
		fk_release(&e);
	}
	fk_handle rep = fk_link("report");
	char msg[32];
	int len = snprintf(msg, sizeof(msg), "%ld %ld", held, refused);
	/* Holds every link until the tree ends with the top. */
	for (;;) {
		struct fk_event e;
		if (fk_wait(&e, 1, -1) < 0)
			return SETUP_FAILED;
		if (e.handle == rep && e.type == FK_EV_OPEN)
			(void)fk_send(rep, msg, (size_t)len);
		fk_release(&e);
	}
}

int main(int argc, char **argv)
{
	if (fk_init() < 0)
		return SETUP_FAILED;
	self = argv[0];
	const char *mode = arg(argc, argv, 1, "");
	if (strcmp(mode, "server") == 0)
		return server(strtol(arg(argc, argv, 2, "0"), NULL, 10));
	if (strcmp(mode, "attacker") == 0 || strcmp(mode, "helper") == 0)
		return hoarder(strtol(arg(argc, argv, 2, "0"), NULL, 10));

	long parties = strtol(mode, NULL, 10);
	const char *helpers = arg(argc, argv, 2, "4");
	trying("fill a server's link slots from one client and its helpers");
	fk_handle rep = fk_serve("report");
	char *server_argv[] = { self, "server", (char *)arg(argc, argv, 3, "0"),
				NULL };
	char *attacker_argv[] = { self, "attacker", (char *)helpers, NULL };
	if (rep < 0 || fk_spawn(self, server_argv) < 0)
		return SETUP_FAILED;
	for (long i = 0; i < parties; i++)
		if (fk_spawn(self, attacker_argv) < 0)
			return SETUP_FAILED;
	long expect = parties * (1 + strtol(helpers, NULL, 10));
	long reports = 0, held = 0, refused = 0;
	while (reports < expect) {
		struct fk_event e;
		next_event(&e);
		if (e.type == FK_EV_DATA) {
			long h = 0, r = 0;
			char buf[32];
			snprintf(buf, sizeof(buf), "%.*s", (int)e.len,
				 (const char *)e.data);
			if (sscanf(buf, "%ld %ld", &h, &r) == 2) {
				held += h;
				refused += r;
				reports++;
			}
		}
		fk_release(&e);
	}
	printf("hoard: %ld links held, %ld refused\n", held, refused);
	fflush(stdout);
	fk_handle mine = fk_link("svc");
	for (;;) {
		struct fk_event e;
		next_event(&e);
		if (e.handle != mine) {
			fk_release(&e);
			continue;
		}
		int ok = e.type == FK_EV_OPEN;
		int status = e.status;
		fk_release(&e);
		if (ok)
			printf("another party's link: ok\n");
		else
			printf("another party's link: refused: %s\n",
			       strerror(-status));
		fflush(stdout);
		fk_exit(ok ? 0 : 1);
	}
}

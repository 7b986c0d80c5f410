/* echo_server — serves a name and sends every datagram back on the link
 * it came from, unchanged.
 *
 *   echo_server [NAME [CLIENTS]]
 *
 * NAME defaults to "echo". After CLIENTS clients (default 1) have linked
 * and gone, it exits 0; with CLIENTS 0 it serves until killed. Exit 1 on
 * any failure, with the reason on stderr.
 *
 * Back-pressure: when a client does not read its echoes, fk_send says
 * -EAGAIN. The server then keeps the datagram's page instead of copying
 * it anywhere; with its pages held, it stops receiving, and the client in
 * turn feels the link fill up. Nothing is lost and nothing grows. */
#include <errno.h>
#include <fakeos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ME "echo_server"
#define HELD_MAX 128 /* more than the library's receive pages */

static int fail(const char *what, int err)
{
	fprintf(stderr, ME ": %s: %s\n", what, strerror(-err));
	return 1;
}

/* Datagrams not yet echoed, oldest first. */
static struct fk_event held[HELD_MAX];
static unsigned nheld;
static unsigned long echoed;

/* Echoes what it can, in order; stops at the first link that is full. */
static int echo_held(void)
{
	unsigned done = 0;
	for (; done < nheld; done++) {
		struct fk_event *e = &held[done];
		int r = fk_send(e->handle, e->data, e->len);
		if (r == -EAGAIN)
			break;
		if (r < 0 && r != -EBADF) /* -EBADF: the client went */
			return fail("fk_send", r);
		if (r == 0)
			echoed++;
		fk_release(e);
	}
	memmove(held, held + done, (nheld - done) * sizeof(held[0]));
	nheld -= done;
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "echo";
	long clients = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
	int r;

	if ((r = fk_init()) < 0)
		return fail("fk_init", r);
	fk_handle srv = fk_serve(name);
	if (srv < 0)
		return fail("fk_serve", srv);

	long came = 0, gone = 0;
	while (clients == 0 || gone < clients) {
		struct fk_event ev[16];
		int n = fk_wait(ev, 16, -1);
		if (n < 0)
			return fail("fk_wait", n);
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			switch (e->type) {
			case FK_EV_OPEN:
				printf(ME ": serving \"%s\"\n", name);
				fflush(stdout);
				break;
			case FK_EV_CLOSED:
				if (e->handle == srv)
					return fail("serving", e->status);
				gone++;
				break;
			case FK_EV_INCOMING:
				came++;
				break;
			case FK_EV_DATA:
				if (nheld == HELD_MAX)
					return fail("holding", -ENOBUFS);
				held[nheld++] = *e;
				break;
			}
		}
		/* Also after a wait that returned 0: room came back. */
		if ((r = echo_held()) != 0)
			return r;
	}
	printf(ME ": %ld clients, %lu datagrams echoed\n", came, echoed);
	return 0;
}

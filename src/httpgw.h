/* httpgw.h — fakeosd's HTTP gateway: the one way a program reaches data
 * on the network. A program's fk_link(FK_HTTP_NAME) gets a link whose
 * other end is fakeosd itself (the broker's own_link hook, before any
 * program's name); on it the program sends one request (GET or PUT of a
 * URL, include/fakeos_http.h) and receives the answer. The daemon does
 * the HTTP with libcurl's multi interface in its own loop, never waiting
 * on the network, and holds every URL — the request's and each redirect
 * hop's — to the calling account's allow-list (fakeosd.conf http-allow).
 * Programs never get a socket. docs/API.md 13 argues for it,
 * docs/PROTOCOL.md 19 gives the bytes, docs/SECURITY.md the threats. */
#ifndef FAKEOS_HTTPGW_H
#define FAKEOS_HTTPGW_H

#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct broker;
struct httpgw;

/* At most this many redirects are followed; a request's URL and each
 * hop's are checked against the allow-list before they are asked. */
#define HTTPGW_REDIRECTS_MAX 5
/* Requests under way at once on this host, every account together. */
#define HTTPGW_REQUESTS_MAX 256

/* What uid's programs may do, asked at each check (a reload applies to
 * the next one): pointers good until the daemon's loop turns. */
struct httpgw_policy {
	char *const *allow; /* URL prefixes; none: every URL is refused */
	unsigned nallow;
	unsigned requests; /* at once, for the account */
	uint64_t body_max; /* bytes of a body, either way */
	uint64_t time_limit_ms; /* from the link to the answer's end */
};

struct httpgw_opts {
	void (*policy)(void *arg, uid_t uid, struct httpgw_policy *out);
	void *arg;
};

/* Hooks b's links to FK_HTTP_NAME; curl's sockets and timers are watched
 * in b's loop. */
int httpgw_open(struct broker *b, const struct httpgw_opts *o,
		struct httpgw **out, struct error *e);
/* Every request ends at once (the programs see their links close). */
void httpgw_close(struct httpgw *g);
/* Requests under way, and bytes held for programs that have not read
 * them: for tests and status. */
void httpgw_counts(const struct httpgw *g, unsigned *requests,
		   uint64_t *held);

#endif

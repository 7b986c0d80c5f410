/* quic_guard.c — the bound on half-open QUIC handshakes (quic_guard.h). */
#include "quic_guard.h"

#include <netinet/in.h>
#include <string.h>

#include "log.h"

enum quic_admit quic_guard_admit(struct quic_guard *g, bool validated,
				 unsigned same_addr)
{
	if (!validated && g->halfopen >= QUIC_HALFOPEN_RETRY) {
		if (!g->validating)
			log_warn("%u handshakes half-open: new clients must "
				 "prove their address (QUIC Retry) until none "
				 "is",
				 g->halfopen);
		g->validating = true;
		g->retries++;
		return QUIC_ADMIT_RETRY;
	}
	/* A real address, but one host's share: it cannot crowd out the
	 * rest with handshakes it never completes. */
	if (same_addr >= QUIC_HALFOPEN_PER_ADDR)
		return QUIC_ADMIT_DROP;
	return QUIC_ADMIT_ACCEPT;
}

void quic_guard_opened(struct quic_guard *g)
{
	if (++g->halfopen > g->peak)
		g->peak = g->halfopen;
}

void quic_guard_closed(struct quic_guard *g, bool timed_out, const char *who)
{
	g->halfopen--;
	if (timed_out && !g->unfinished++)
		log_warn("%s: handshake not completed within the handshake "
			 "timeout: dropped (a forged or replayed Initial, or "
			 "a client that went away); more this episode are "
			 "counted, not logged",
			 who);
	if (g->halfopen || (!g->unfinished && !g->validating)) {
		if (!g->halfopen)
			g->peak = 0;
		return;
	}
	log_warn("half-open handshakes back to 0: %lu timed out, %lu "
		 "Initials answered with Retry, at most %u half-open",
		 g->unfinished, g->retries, g->peak);
	g->unfinished = g->retries = 0;
	g->peak = 0;
	g->validating = false;
}

bool quic_guard_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)
			       ->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)
			       ->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)
				       ->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)
				       ->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

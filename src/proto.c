/* proto.c — see proto.h. Compiled into the broker (glibc) and into
 * libfakeos (musl), so it uses nothing but the C language. */
#include "proto.h"

#include <errno.h>
#include <string.h>

_Static_assert(sizeof(struct proto_hdr) == 16, "header is 16 bytes");
_Static_assert(sizeof(struct proto_spawn) <= PROTO_PAGE, "spawn fits a page");
_Static_assert(sizeof(struct proto_broadcast) + PROTO_BROADCAST_MAX ==
		       PROTO_PAGE,
	       "a broadcast fills at most a page");
_Static_assert(sizeof(struct proto_exited) <= PROTO_PAGE, "exited fits");
_Static_assert(sizeof(struct proto_ended) == 24,
	       "version 6's LINK_ENDED: docs/PROTOCOL.md 6.6");
_Static_assert(sizeof(struct proto_boot) <= PROTO_PAGE, "boot page fits");
_Static_assert(sizeof(struct proto_peer) == 1128 &&
		       sizeof(struct proto_linked) == 1160,
	       "version 5's OPENED and INCOMING: docs/PROTOCOL.md 6.1");
/* docs/PROTOCOL.md 2.2: cpus went where version 2 had zeros. */
_Static_assert(offsetof(struct proto_boot, url) == 200 &&
		       offsetof(struct proto_boot, cpus) == 1224 &&
		       offsetof(struct proto_boot, broker_version) == 1228 &&
		       sizeof(struct proto_boot) == 1232,
	       "the boot page's layout");

void proto_hdr_init(struct proto_hdr *h, enum proto_type type, uint32_t len,
		    int32_t handle)
{
	h->version = PROTO_VERSION;
	h->type = (uint16_t)type;
	h->len = len;
	h->handle = handle;
	h->reserved = 0;
}

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int proto_name_ok(const char *s)
{
	size_t i;
	for (i = 0; i < PROTO_NAME_SIZE && s[i]; i++)
		if (!name_char_ok(s[i]))
			return 0;
	return i > 0 && i < PROTO_NAME_SIZE;
}

/* A fixed string field: terminated inside the field, and zero after the
 * terminator, so two equal strings are equal bytes and nothing hides in
 * the padding. */
static int field_ok(const char *f, size_t size, size_t *len)
{
	const char *nul = memchr(f, '\0', size);
	if (!nul)
		return 0;
	for (const char *p = nul; p < f + size; p++)
		if (*p)
			return 0;
	if (len)
		*len = (size_t)(nul - f);
	return 1;
}

static int zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

#define FAIL(reason)                                                           \
	do {                                                                   \
		*why = (reason);                                               \
		return -EPROTO;                                                \
	} while (0)

static int check_spawn(const struct proto_spawn *m, const char **why)
{
	size_t url_len;
	if (!field_ok(m->url, sizeof(m->url), &url_len) || url_len == 0)
		FAIL("spawn: url is not a terminated string");
	if (m->argc > PROTO_ARGC_MAX)
		FAIL("spawn: too many arguments");
	if (m->args_len > sizeof(m->args))
		FAIL("spawn: args_len larger than the field");
	/* argc strings, each NUL-terminated, exactly filling args_len. */
	uint32_t count = 0;
	for (uint32_t i = 0; i < m->args_len; i++)
		if (m->args[i] == '\0')
			count++;
	if (count != m->argc ||
	    (m->args_len > 0 && m->args[m->args_len - 1] != '\0'))
		FAIL("spawn: args do not hold argc terminated strings");
	if (!zero(m->args + m->args_len, sizeof(m->args) - m->args_len))
		FAIL("spawn: bytes after args_len are not zero");
	return 0;
}

static int check_broadcast(const struct proto_broadcast *m, size_t n,
			   int from_program, const char **why)
{
	if (!field_ok(m->channel, sizeof(m->channel), NULL) ||
	    !proto_name_ok(m->channel))
		FAIL("broadcast: bad channel name");
	if (!zero(m->reserved, sizeof(m->reserved)))
		FAIL("broadcast: reserved field is not zero");
	if (from_program && m->dropped != 0)
		FAIL("broadcast: dropped is not zero");
	if (n - sizeof(*m) > PROTO_BROADCAST_MAX)
		FAIL("broadcast: payload too long");
	return 0;
}

/* Version 5's OPENED and INCOMING: a link's peer has a URL; anything
 * else has no peer, and all its bytes are zero. */
static int check_peer(const struct proto_linked *m, const char **why)
{
	const struct proto_peer *w = &m->who;
	if (m->o.slot == 0) {
		if (!zero(w, sizeof(*w)))
			FAIL("a peer for what is no link");
		return 0;
	}
	if (w->reserved != 0)
		FAIL("reserved field is not zero");
	size_t url_len;
	if (!field_ok(w->host, sizeof(w->host), NULL) ||
	    !field_ok(w->url, sizeof(w->url), &url_len) || url_len == 0)
		FAIL("peer: host or URL is not a terminated string");
	return 0;
}

int proto_check(const void *buf, size_t n, int from_program, const char **why)
{
	struct proto_hdr h;
	size_t want = 0; /* exact length for fixed-size types */

	*why = "ok";
	if (n < sizeof(h)) {
		*why = "shorter than a header";
		return -EMSGSIZE;
	}
	if (n > PROTO_PAGE) {
		*why = "longer than a page";
		return -EMSGSIZE;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.version < PROTO_VERSION_MIN || h.version > PROTO_VERSION)
		FAIL("unknown protocol version");
	if (h.len != n) {
		*why = "header length differs from the datagram's";
		return -EMSGSIZE;
	}
	if (h.reserved != 0)
		FAIL("reserved header field is not zero");

	int request = h.type >= PROTO_LINK && h.type <= PROTO_REQUEST_LAST;
	int event = h.type >= PROTO_OPENED && h.type <= PROTO_EVENT_LAST;
	if (!request && !event)
		FAIL("unknown message type");
	if (h.type == PROTO_LINK_ENDED && h.version < 6)
		FAIL("unknown message type");
	if (from_program && !request)
		FAIL("an event type sent by a program");
	if (!from_program && !event)
		FAIL("a request type sent by the broker");
	/* Every message names a handle, except a broadcast and the end of
	 * a link (which goes by its slot). */
	if (h.type == PROTO_BROADCAST || h.type == PROTO_LINK_ENDED
		    ? h.handle != 0
		    : h.handle <= 0)
		FAIL("handle out of range");

	switch (h.type) {
	case PROTO_LINK:
	case PROTO_SERVE:
	case PROTO_SUBSCRIBE:
		want = sizeof(struct proto_name);
		break;
	case PROTO_SPAWN:
		want = sizeof(struct proto_spawn);
		break;
	case PROTO_KILL:
		want = sizeof(struct proto_hdr);
		break;
	case PROTO_CLOSE:
		want = sizeof(struct proto_close);
		break;
	case PROTO_OPENED:
	case PROTO_INCOMING:
		want = h.version >= 5 ? sizeof(struct proto_linked)
				      : sizeof(struct proto_opened);
		break;
	case PROTO_CLOSED:
		want = sizeof(struct proto_status);
		break;
	case PROTO_EXITED:
		want = sizeof(struct proto_exited);
		break;
	case PROTO_LINK_ENDED:
		want = sizeof(struct proto_ended);
		break;
	case PROTO_BROADCAST:
	case PROTO_DELIVER:
		if (n < sizeof(struct proto_broadcast)) {
			*why = "broadcast shorter than its header";
			return -EMSGSIZE;
		}
		return check_broadcast(buf, n, from_program, why);
	}
	if (n != want) {
		*why = "wrong length for its type";
		return -EMSGSIZE;
	}

	switch (h.type) {
	case PROTO_LINK:
	case PROTO_SERVE:
	case PROTO_SUBSCRIBE: {
		const struct proto_name *m = buf;
		if (!field_ok(m->name, sizeof(m->name), NULL) ||
		    !proto_name_ok(m->name))
			FAIL("bad name: 1-63 bytes of [A-Za-z0-9._-]");
		return 0;
	}
	case PROTO_SPAWN:
		return check_spawn(buf, why);
	case PROTO_CLOSE: {
		const struct proto_close *m = buf;
		if (m->reserved != 0)
			FAIL("reserved field is not zero");
		if (m->slot >= PROTO_SLOTS)
			FAIL("slot out of range");
		return 0;
	}
	case PROTO_OPENED:
	case PROTO_INCOMING: {
		const struct proto_opened *m = buf;
		if (m->party_links != 0 &&
		    (h.type != PROTO_INCOMING || h.version < 4))
			FAIL("reserved field is not zero");
		/* OPENED for a link, and INCOMING, name a data slot; OPENED
		 * for anything else names none (0). */
		if (m->slot >= PROTO_SLOTS ||
		    (h.type == PROTO_INCOMING &&
		     m->slot == PROTO_CONTROL_SLOT))
			FAIL("slot out of range");
		/* The new link is one of them, and a server has 63. */
		if (h.type == PROTO_INCOMING && h.version >= 4 &&
		    (m->party_links == 0 || m->party_links >= PROTO_SLOTS))
			FAIL("party_links out of range");
		return h.version >= 5 ? check_peer(buf, why) : 0;
	}
	case PROTO_CLOSED: {
		const struct proto_status *m = buf;
		if (m->reserved != 0 || m->status > 0 || m->status < -4095)
			FAIL("bad status");
		return 0;
	}
	case PROTO_LINK_ENDED: {
		const struct proto_ended *m = buf;
		if (m->slot == PROTO_CONTROL_SLOT || m->slot >= PROTO_SLOTS)
			FAIL("slot out of range");
		if (m->status > 0 || m->status < -4095)
			FAIL("bad status");
		return 0;
	}
	case PROTO_EXITED: {
		const struct proto_exited *m = buf;
		if (m->reserved != 0 || m->status < 0 || m->status > 255)
			FAIL("bad exit status");
		if (!field_ok(m->reason, sizeof(m->reason), NULL))
			FAIL("reason is not a terminated string");
		return 0;
	}
	}
	return 0;
}

/* fuzz_proto.c — proto_check (src/proto.c), the check every control
 * datagram passes before the broker or libfakeos reads a field of it.
 *
 * Each input is one datagram, checked in both directions. Besides "no
 * crash, no read past n", an accepted message must really have the layout
 * its type promises, checked here again field by field the simple way: a
 * broker that trusts proto_check reads strings with strlen and copies
 * arguments by walking NULs, so a string not terminated inside its field
 * would be a read out of bounds in the broker, not here. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

/* The string in a fixed field: terminated inside it, zero after. */
static size_t field_len(const char *f, size_t size)
{
	const char *nul = memchr(f, '\0', size);
	FUZZ_ASSERT(nul != NULL, "accepted field of %zu bytes not terminated",
		    size);
	for (const char *p = nul; p < f + size; p++)
		FUZZ_ASSERT(*p == '\0',
			    "accepted field has bytes after its NUL");
	return (size_t)(nul - f);
}

static void name_ok(const char *f)
{
	size_t n = field_len(f, PROTO_NAME_SIZE);
	FUZZ_ASSERT(n >= 1 && n < PROTO_NAME_SIZE, "name of %zu bytes", n);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
				   "RSTUVWXYZ0123456789._-",
				   f[i]) != NULL,
			    "name byte 0x%02x", (unsigned char)f[i]);
	FUZZ_ASSERT(proto_name_ok(f), "proto_name_ok disagrees");
}

/* What the broker does with an accepted SPAWN: walk argc strings. */
static void spawn_ok(const struct proto_spawn *m)
{
	FUZZ_ASSERT(field_len(m->url, sizeof(m->url)) > 0, "empty url");
	FUZZ_ASSERT(m->argc <= PROTO_ARGC_MAX, "argc %u", m->argc);
	FUZZ_ASSERT(m->args_len <= sizeof(m->args), "args_len %u", m->args_len);
	size_t off = 0;
	for (uint32_t i = 0; i < m->argc; i++) {
		FUZZ_ASSERT(off < m->args_len,
			    "argument %u starts past args_len", i);
		const char *nul =
			memchr(m->args + off, '\0', m->args_len - off);
		FUZZ_ASSERT(nul != NULL,
			    "argument %u not terminated within args_len", i);
		off = (size_t)(nul - m->args) + 1;
	}
	FUZZ_ASSERT(off == m->args_len, "args_len %u, strings end at %zu",
		    m->args_len, off);
	for (size_t i = off; i < sizeof(m->args); i++)
		FUZZ_ASSERT(m->args[i] == '\0', "byte after args_len");
}

static void accepted_ok(const void *buf, size_t n, int from_program)
{
	struct proto_hdr h;
	FUZZ_ASSERT(n >= sizeof(h) && n <= PROTO_PAGE, "accepted %zu bytes", n);
	memcpy(&h, buf, sizeof(h));
	FUZZ_ASSERT(h.version >= PROTO_VERSION_MIN &&
			    h.version <= PROTO_VERSION && h.len == n &&
			    h.reserved == 0,
		    "header version %u len %u reserved %u", h.version, h.len,
		    h.reserved);
	if (from_program)
		FUZZ_ASSERT(h.type >= PROTO_LINK &&
				    h.type <= PROTO_REQUEST_LAST,
			    "program sent type %u", h.type);
	else
		FUZZ_ASSERT(h.type >= PROTO_OPENED &&
				    h.type <= PROTO_EVENT_LAST,
			    "broker sent type %u", h.type);
	FUZZ_ASSERT(h.type == PROTO_BROADCAST || h.type == PROTO_LINK_ENDED
			    ? h.handle == 0
			    : h.handle > 0,
		    "type %u handle %d", h.type, h.handle);

	switch (h.type) {
	case PROTO_LINK:
	case PROTO_SERVE:
	case PROTO_SUBSCRIBE:
		FUZZ_ASSERT(n == sizeof(struct proto_name), "name len %zu", n);
		name_ok(((const struct proto_name *)buf)->name);
		break;
	case PROTO_SPAWN:
		FUZZ_ASSERT(n == sizeof(struct proto_spawn), "spawn len %zu",
			    n);
		spawn_ok(buf);
		break;
	case PROTO_KILL:
		FUZZ_ASSERT(n == sizeof(struct proto_hdr), "kill len %zu", n);
		break;
	case PROTO_CLOSE: {
		const struct proto_close *m = buf;
		FUZZ_ASSERT(n == sizeof(*m), "close len %zu", n);
		FUZZ_ASSERT(m->slot < PROTO_SLOTS && m->reserved == 0,
			    "close slot %u", m->slot);
		break;
	}
	case PROTO_OPENED:
	case PROTO_INCOMING: {
		const struct proto_opened *m = buf;
		/* Version 5 appends the peer (struct proto_linked). */
		FUZZ_ASSERT(n == (h.version >= 5 ? sizeof(struct proto_linked)
						 : sizeof(*m)),
			    "opened len %zu of version %u", n, h.version);
		FUZZ_ASSERT(m->slot < PROTO_SLOTS, "opened slot %u", m->slot);
		if (h.type == PROTO_INCOMING && h.version >= 4)
			FUZZ_ASSERT(m->party_links >= 1 &&
					    m->party_links < PROTO_SLOTS,
				    "party_links %u", m->party_links);
		else
			FUZZ_ASSERT(m->party_links == 0,
				    "party_links %u in a type %u of version %u",
				    m->party_links, h.type, h.version);
		if (h.type == PROTO_INCOMING)
			FUZZ_ASSERT(m->slot != PROTO_CONTROL_SLOT,
				    "incoming link on the control slot");
		if (h.version >= 5) {
			const struct proto_peer *w =
				&((const struct proto_linked *)buf)->who;
			FUZZ_ASSERT(m->slot == 0 || (w->url[0] &&
				    memchr(w->url, 0, sizeof(w->url)) &&
				    memchr(w->host, 0, sizeof(w->host))),
				    "a link's peer without a terminated URL");
		}
		break;
	}
	case PROTO_CLOSED: {
		const struct proto_status *m = buf;
		FUZZ_ASSERT(n == sizeof(*m), "closed len %zu", n);
		FUZZ_ASSERT(m->status <= 0 && m->status >= -4095, "status %d",
			    m->status);
		break;
	}
	case PROTO_LINK_ENDED: {
		const struct proto_ended *m = buf;
		FUZZ_ASSERT(n == sizeof(*m) && h.version >= 6,
			    "ended len %zu of version %u", n, h.version);
		FUZZ_ASSERT(m->slot != PROTO_CONTROL_SLOT &&
				    m->slot < PROTO_SLOTS,
			    "ended slot %u", m->slot);
		FUZZ_ASSERT(m->status <= 0 && m->status >= -4095, "status %d",
			    m->status);
		break;
	}
	case PROTO_EXITED: {
		const struct proto_exited *m = buf;
		FUZZ_ASSERT(n == sizeof(*m), "exited len %zu", n);
		FUZZ_ASSERT(m->status >= 0 && m->status <= 255, "status %d",
			    m->status);
		field_len(m->reason, sizeof(m->reason));
		break;
	}
	case PROTO_BROADCAST:
	case PROTO_DELIVER: {
		const struct proto_broadcast *m = buf;
		FUZZ_ASSERT(n >= sizeof(*m) &&
				    n - sizeof(*m) <= PROTO_BROADCAST_MAX,
			    "broadcast len %zu", n);
		name_ok(m->channel);
		if (from_program)
			FUZZ_ASSERT(m->dropped == 0, "dropped %u", m->dropped);
		break;
	}
	default:
		FUZZ_ASSERT(0, "accepted unknown type %u", h.type);
	}
}

static int check(const void *buf, size_t n, int from_program)
{
	const char *why = NULL;
	int r = proto_check(buf, n, from_program, &why);
	FUZZ_ASSERT(r == 0 || r == -EPROTO || r == -EMSGSIZE, "returned %d", r);
	FUZZ_ASSERT(why != NULL && strnlen(why, 256) < 256,
		    "no reason, or not a short string");
	/* Pure: the same bytes get the same answer. */
	const char *why2 = NULL;
	FUZZ_ASSERT(proto_check(buf, n, from_program, &why2) == r &&
			    why2 == why,
		    "second check differs");
	if (r == 0)
		accepted_ok(buf, n, from_program);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int from_program = check(data, size, 1);
	int from_broker = check(data, size, 0);
	/* Requests and events are disjoint: no datagram is legal both ways. */
	FUZZ_ASSERT(from_program != 0 || from_broker != 0,
		    "accepted in both directions");
	return 0;
}

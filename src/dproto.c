/* dproto.c — see dproto.h. */
#include "dproto.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define FAIL(what)                                                             \
	do {                                                                   \
		*why = (what);                                                 \
		return -EPROTO;                                                \
	} while (0)

void dproto_hdr_init(struct dproto_hdr *h, enum dproto_type type,
		     uint32_t len)
{
	h->version = DPROTO_VERSION;
	h->type = (uint16_t)type;
	h->len = len;
}

static int check_run(const struct dproto_run *m, size_t n, const char **why)
{
	if (m->flags & ~DPROTO_RUN_FLAGS)
		FAIL("run: unknown flags");
	if (m->log_level < -1 || m->log_level > 2)
		FAIL("run: log level out of range");
	if (m->reserved != 0)
		FAIL("run: reserved field is not zero");
	if (m->argc > DPROTO_ARGC_MAX)
		FAIL("run: too many arguments");
	if (m->strings_len != n - sizeof(*m))
		FAIL("run: strings_len differs from the datagram's");
	/* The URL and argc arguments, each ending in a NUL, and nothing
	 * after the last. */
	size_t off = 0;
	for (uint32_t i = 0; i <= m->argc; i++) {
		const char *s = m->strings + off;
		const char *nul = memchr(s, '\0', m->strings_len - off);
		if (!nul)
			FAIL("run: strings do not hold a URL and argc "
			     "terminated arguments");
		size_t len = (size_t)(nul - s);
		if (i == 0 && (len == 0 || len > DPROTO_URL_MAX))
			FAIL("run: URL empty or longer than 4096 bytes");
		off += len + 1;
	}
	if (off != m->strings_len)
		FAIL("run: bytes after the last argument");
	return 0;
}

int dproto_check(const void *buf, size_t n, int from_client, const char **why)
{
	struct dproto_hdr h;
	*why = "ok";
	if (n < sizeof(h)) {
		*why = "shorter than a header";
		return -EMSGSIZE;
	}
	if (n > DPROTO_MAX) {
		*why = "longer than 64 KiB";
		return -EMSGSIZE;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.version != DPROTO_VERSION)
		FAIL("unknown protocol version");
	if (h.len != n) {
		*why = "header length differs from the datagram's";
		return -EMSGSIZE;
	}
	switch (h.type) {
	case DPROTO_RUN: {
		if (!from_client)
			FAIL("a client's message type sent by the daemon");
		if (n < sizeof(struct dproto_run)) {
			*why = "run shorter than its fields";
			return -EMSGSIZE;
		}
		struct dproto_run m;
		memcpy(&m, buf, sizeof(m));
		/* The strings follow the fixed part; check them in place. */
		const struct dproto_run *full = buf;
		if (m.strings_len != n - sizeof(m))
			FAIL("run: strings_len differs from the datagram's");
		return check_run(full, n, why);
	}
	case DPROTO_SIGNAL: {
		if (!from_client)
			FAIL("a client's message type sent by the daemon");
		struct dproto_signal m;
		if (n != sizeof(m)) {
			*why = "wrong length for its type";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.reserved != 0)
			FAIL("signal: reserved field is not zero");
		if (m.sig != SIGINT && m.sig != SIGTERM && m.sig != SIGHUP &&
		    m.sig != SIGQUIT)
			FAIL("signal: not SIGINT, SIGTERM, SIGHUP or SIGQUIT");
		return 0;
	}
	case DPROTO_EXIT: {
		if (from_client)
			FAIL("a daemon's message type sent by a client");
		struct dproto_exit m;
		if (n != sizeof(m)) {
			*why = "wrong length for its type";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.reserved != 0 || m.status < 0 || m.status > 255)
			FAIL("exit: bad status");
		return 0;
	}
	}
	FAIL("unknown message type");
}

unsigned dproto_run_argv(const struct dproto_run *m, char **argv)
{
	size_t off = 0;
	unsigned i;
	for (i = 0; i <= m->argc; i++) {
		argv[i] = (char *)m->strings + off;
		off += strlen(argv[i]) + 1;
	}
	argv[i] = NULL;
	return i;
}

/* dproto.c — see dproto.h. */
#include "dproto.h"

#include <errno.h>

#include "proto.h"

_Static_assert(DPROTO_NAME_SIZE == PROTO_NAME_SIZE,
	       "a service's name is a name of fakeos(3)");
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

/* A fixed string field: NUL inside it, zero after the NUL, so nothing
 * hides in the padding. */
static int field_ok(const char *f, size_t size, size_t *len)
{
	const char *nul = memchr(f, '\0', size);
	if (!nul)
		return 0;
	*len = (size_t)(nul - f);
	for (size_t i = *len; i < size; i++)
		if (f[i])
			return 0;
	return 1;
}

/* Text a terminal may be shown: printable bytes (UTF-8 included), and
 * newlines where allowed. */
static int text_ok(const char *s, size_t n, int newlines)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && !(newlines && c == '\n')) || c == 0x7f)
			return 0;
	}
	return 1;
}

static int check_ctl(const struct dproto_ctl *m, const char **why)
{
	size_t len;
	if (m->reserved != 0)
		FAIL("ctl: reserved field is not zero");
	if (m->op < DPROTO_CTL_START || m->op > DPROTO_CTL_RELOAD)
		FAIL("ctl: unknown operation");
	if (!field_ok(m->name, sizeof(m->name), &len))
		FAIL("ctl: name not terminated, or bytes after it");
	if (m->op == DPROTO_CTL_RELOAD ? len != 0 : !proto_name_ok(m->name))
		FAIL("ctl: not a service name (none for reload)");
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
	case DPROTO_LIST: {
		if (!from_client)
			FAIL("a client's message type sent by the daemon");
		struct dproto_list m;
		if (n != sizeof(m)) {
			*why = "wrong length for its type";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.reserved != 0)
			FAIL("list: reserved field is not zero");
		if (m.what < DPROTO_LIST_PROGRAMS ||
		    m.what > DPROTO_LIST_CRASHES)
			FAIL("list: unknown listing");
		return 0;
	}
	case DPROTO_CTL: {
		if (!from_client)
			FAIL("a client's message type sent by the daemon");
		struct dproto_ctl m;
		if (n != sizeof(m)) {
			*why = "wrong length for its type";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		return check_ctl(&m, why);
	}
	case DPROTO_CRASH: {
		if (!from_client)
			FAIL("a client's message type sent by the daemon");
		struct dproto_crash m;
		if (n != sizeof(m)) {
			*why = "wrong length for its type";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.reserved != 0)
			FAIL("crash: reserved field is not zero");
		if (m.id == 0)
			FAIL("crash: id 0 names no report");
		return 0;
	}
	case DPROTO_CRASH_REPLY: {
		if (from_client)
			FAIL("a daemon's message type sent by a client");
		struct dproto_crash_reply m;
		if (n < sizeof(m)) {
			*why = "crash reply shorter than its fields";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.reserved != 0 || m.status > 0 || m.status < -4095)
			FAIL("crash reply: bad status or reserved field");
		if (m.last > 1)
			FAIL("crash reply: last is neither 0 nor 1");
		if (m.text_len != n - sizeof(m))
			FAIL("crash reply: text_len differs from the "
			     "datagram's");
		if (m.status < 0 && (m.text_len || !m.last))
			FAIL("crash reply: an error with text, or not last");
		const unsigned char *t = (const unsigned char *)buf + sizeof(m);
		for (uint32_t i = 0; i < m.text_len; i++)
			if ((t[i] < 0x20 && t[i] != '\n') || t[i] > 0x7e)
				FAIL("crash reply: text is not printable "
				     "ASCII");
		return 0;
	}
	case DPROTO_LIST_REPLY: {
		if (from_client)
			FAIL("a daemon's message type sent by a client");
		struct dproto_list_reply m;
		if (n < sizeof(m)) {
			*why = "list reply shorter than its fields";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.last > 1)
			FAIL("list reply: last is neither 0 nor 1");
		if (m.text_len != n - sizeof(m))
			FAIL("list reply: text_len differs from the datagram's");
		const char *text = (const char *)buf + sizeof(m);
		if (!text_ok(text, m.text_len, 1) ||
		    (m.text_len && text[m.text_len - 1] != '\n'))
			FAIL("list reply: text is not whole printable lines");
		return 0;
	}
	case DPROTO_CTL_REPLY: {
		if (from_client)
			FAIL("a daemon's message type sent by a client");
		struct dproto_ctl_reply m;
		size_t len;
		if (n != sizeof(m)) {
			*why = "wrong length for its type";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.reserved != 0 || m.status > 0 || m.status < -4095)
			FAIL("ctl reply: bad status");
		if (!field_ok(m.msg, sizeof(m.msg), &len) ||
		    !text_ok(m.msg, len, 0))
			FAIL("ctl reply: message not printable text ending in "
			     "a NUL");
		return 0;
	}
	case DPROTO_CONSOLE: {
		if (from_client)
			FAIL("a daemon's message type sent by a client");
		struct dproto_console m;
		if (n != sizeof(m)) {
			*why = "wrong length for its type";
			return -EMSGSIZE;
		}
		memcpy(&m, buf, sizeof(m));
		if (m.reserved[0] != 0 || m.reserved[1] != 0)
			FAIL("console: reserved field is not zero");
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

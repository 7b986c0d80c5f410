/* fuzz_dproto.c — dproto_check (src/dproto.c), the decoder fakeosd runs on
 * every datagram a local client sends, and dproto_run_argv on what it
 * accepts.
 *
 * An input is one datagram, checked in both directions. What an accepted
 * datagram must satisfy is what daemon.c relies on: a known type for the
 * direction, the exact length, and for a RUN a URL of 1 to 4096 bytes and
 * exactly argc more strings, all inside the datagram; a CTL's name and a
 * reply's text end inside their fields. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "dproto.h"
#include "fuzz.h"

static void run_ok(const struct dproto_run *m, size_t n)
{
	static char *argv[DPROTO_ARGC_MAX + 2];
	FUZZ_ASSERT(m->argc <= DPROTO_ARGC_MAX, "argc %u", m->argc);
	FUZZ_ASSERT(m->strings_len == n - sizeof(*m), "strings_len %u",
		    m->strings_len);
	unsigned k = dproto_run_argv(m, argv);
	FUZZ_ASSERT(k == m->argc + 1, "argv of %u for argc %u", k, m->argc);
	FUZZ_ASSERT(argv[k] == NULL, "argv not NULL-ended");
	size_t url = strlen(argv[0]);
	FUZZ_ASSERT(url >= 1 && url <= DPROTO_URL_MAX, "URL of %zu bytes", url);
	const char *end = (const char *)m + n;
	for (unsigned i = 0; i < k; i++)
		FUZZ_ASSERT(argv[i] + strlen(argv[i]) < end,
			    "string %u runs past the datagram", i);
}

static int check(const uint8_t *data, size_t size, int from_client)
{
	/* An aligned copy, as the daemon's receive buffer is. */
	static union {
		struct dproto_run run;
		unsigned char b[DPROTO_MAX + 64];
	} buf;
	if (size > sizeof(buf.b))
		size = sizeof(buf.b);
	memcpy(buf.b, data, size);
	const char *why = NULL;
	int r = dproto_check(buf.b, size, from_client, &why);
	FUZZ_ASSERT(why != NULL, "no reason");
	if (r < 0) {
		FUZZ_ASSERT(r == -EPROTO || r == -EMSGSIZE, "returned %d", r);
		return r;
	}
	struct dproto_hdr h;
	memcpy(&h, buf.b, sizeof(h));
	FUZZ_ASSERT(h.version == DPROTO_VERSION && h.len == size,
		    "header version %u len %u", h.version, h.len);
	if (h.type == DPROTO_RUN) {
		FUZZ_ASSERT(from_client, "a run from the daemon");
		run_ok(&buf.run, size);
	} else if (h.type == DPROTO_SIGNAL) {
		FUZZ_ASSERT(from_client, "a signal from the daemon");
		FUZZ_ASSERT(size == sizeof(struct dproto_signal), "signal len");
	} else if (h.type == DPROTO_LIST || h.type == DPROTO_CTL) {
		FUZZ_ASSERT(from_client, "a request from the daemon");
		FUZZ_ASSERT(size == (h.type == DPROTO_LIST
					     ? sizeof(struct dproto_list)
					     : sizeof(struct dproto_ctl)),
			    "request len");
		if (h.type == DPROTO_CTL) {
			const struct dproto_ctl *c = (const void *)buf.b;
			FUZZ_ASSERT(memchr(c->name, 0, sizeof(c->name)),
				    "a name without its NUL");
		}
	} else if (h.type == DPROTO_LIST_REPLY) {
		FUZZ_ASSERT(!from_client, "a reply from a client");
		const struct dproto_list_reply *lr = (const void *)buf.b;
		FUZZ_ASSERT(lr->text_len == size - sizeof(*lr), "text_len");
		FUZZ_ASSERT(!memchr(lr->text, 0, lr->text_len), "a NUL in text");
	} else if (h.type == DPROTO_CTL_REPLY) {
		FUZZ_ASSERT(!from_client, "a reply from a client");
		const struct dproto_ctl_reply *cr = (const void *)buf.b;
		FUZZ_ASSERT(memchr(cr->msg, 0, sizeof(cr->msg)),
			    "a message without its NUL");
	} else if (h.type == DPROTO_CRASH) {
		FUZZ_ASSERT(from_client, "a request from the daemon");
		const struct dproto_crash *k = (const void *)buf.b;
		FUZZ_ASSERT(size == sizeof(*k) && k->id != 0 && !k->reserved,
			    "crash request");
	} else if (h.type == DPROTO_CRASH_REPLY) {
		/* What fakeosctl prints: printable ASCII and newlines. */
		FUZZ_ASSERT(!from_client, "a reply from a client");
		const struct dproto_crash_reply *kr = (const void *)buf.b;
		FUZZ_ASSERT(kr->text_len == size - sizeof(*kr), "text_len");
		FUZZ_ASSERT(kr->status <= 0 && (kr->status == 0 ||
						(kr->last && !kr->text_len)),
			    "an error with text");
		for (uint32_t i = 0; i < kr->text_len; i++) {
			unsigned char c = (unsigned char)kr->text[i];
			FUZZ_ASSERT(c == '\n' || (c >= 0x20 && c < 0x7f),
				    "byte 0x%02x in a report", c);
		}
	} else {
		FUZZ_ASSERT((h.type == DPROTO_EXIT ||
			     h.type == DPROTO_CONSOLE) &&
				    !from_client,
			    "type %u accepted", h.type);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int from_client = check(data, size, 1);
	int from_daemon = check(data, size, 0);
	FUZZ_ASSERT(from_client != 0 || from_daemon != 0,
		    "accepted in both directions");
	return 0;
}

/* relay.c — see relay.h. */
#include "relay.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

/* Reads go here first; only bytes that cannot be written at once are kept
 * per relay, so a thousand quiet programs cost no buffers. */
enum { CHUNK = 65536 };
static char scratch[CHUNK];

static int ep_ctl(struct relay *r, int op, int fd, uint32_t events,
		  void *cookie)
{
	struct epoll_event ev = { .events = events, .data.ptr = cookie };
	return epoll_ctl(r->ep, op, fd, &ev) < 0 ? -errno : 0;
}

void relay_init(struct relay *r, int ep, int from, bool own_from, int to,
		bool own_to, void *cookie_from, void *cookie_to)
{
	memset(r, 0, sizeof(*r));
	r->ep = ep;
	r->from = from;
	r->to = to;
	r->own_from = own_from;
	r->own_to = own_to;
	r->cookie_from = cookie_from;
	r->cookie_to = cookie_to;
	if (own_from)
		(void)fcntl(from, F_SETFL, O_NONBLOCK);
	if (own_to)
		(void)fcntl(to, F_SETFL, O_NONBLOCK);
	/* epoll refuses regular files and /dev/null (EPERM): such a source is
	 * always ready, and the broker pumps it by hand. */
	r->from_polled = ep_ctl(r, EPOLL_CTL_ADD, from, EPOLLIN, cookie_from) ==
			 0;
}

void relay_close(struct relay *r)
{
	if (r->from >= 0 && r->from_polled)
		(void)ep_ctl(r, EPOLL_CTL_DEL, r->from, 0, NULL);
	if (r->to >= 0 && r->to_waiting)
		(void)ep_ctl(r, EPOLL_CTL_DEL, r->to, 0, NULL);
	r->from_polled = r->to_waiting = false;
	if (r->own_from && r->from >= 0)
		close(r->from);
	if (r->own_to && r->to >= 0)
		close(r->to);
	r->from = r->to = -1;
	free(r->pending);
	r->pending = NULL;
	r->len = 0;
}

bool relay_done(const struct relay *r)
{
	return r->from < 0 || (r->eof && r->len == 0);
}

bool relay_unpolled(const struct relay *r)
{
	return r->from >= 0 && !r->from_polled && !r->to_waiting;
}

/* The destination is full: watch it for room, and stop watching the source
 * meanwhile, or a level-triggered source would spin the loop. */
static void wait_for_room(struct relay *r)
{
	if (r->to_waiting ||
	    ep_ctl(r, EPOLL_CTL_ADD, r->to, EPOLLOUT, r->cookie_to) < 0)
		return;
	r->to_waiting = true;
	if (r->from_polled)
		(void)ep_ctl(r, EPOLL_CTL_MOD, r->from, 0, r->cookie_from);
}

static void room_again(struct relay *r)
{
	if (!r->to_waiting)
		return;
	(void)ep_ctl(r, EPOLL_CTL_DEL, r->to, 0, NULL);
	r->to_waiting = false;
	if (r->from_polled)
		(void)ep_ctl(r, EPOLL_CTL_MOD, r->from, EPOLLIN, r->cookie_from);
}

/* Code points that change how the text after them is laid out, up to the
 * end of the line or paragraph, or hide it, while showing nothing
 * themselves: a program could make its own text read differently from its
 * bytes, and reach the launcher's message or the shell's prompt printed
 * after it on the same line (Trojan Source, CVE-2021-42574). The bidi
 * controls (UAX #9), the deprecated format controls that switch symmetric
 * swapping, Arabic shaping and digit shapes, and the interlinear
 * annotation characters. Zero-width spaces and joiners, soft hyphens, BOMs
 * and tags pass: they change nothing beyond their neighbours, and scripts
 * (ZWNJ in Persian) and emoji (ZWJ sequences) need them. */
static bool show_as_code(uint32_t cp)
{
	return cp == 0x061c || /* ALM */
	       cp == 0x200e || cp == 0x200f || /* LRM, RLM */
	       (cp >= 0x202a && cp <= 0x202e) || /* LRE RLE PDF LRO RLO */
	       (cp >= 0x2066 && cp <= 0x2069) || /* LRI RLI FSI PDI */
	       (cp >= 0x206a && cp <= 0x206f) || /* ISS ASS IAFS AAFS NADS NODS */
	       (cp >= 0xfff9 && cp <= 0xfffb); /* annotation anchor .. end */
}

/* Whether c can follow the bytes held: a continuation byte, and for the
 * second byte the narrower ranges of RFC 3629 that keep out overlong
 * forms (which a lenient decoder would read as ESC or U+202E), surrogates
 * and code points past U+10FFFF. */
static bool utf8_continues(const struct relay *r, unsigned char c)
{
	if (r->utf8_have == 1) {
		switch (r->utf8[0]) {
		case 0xe0:
			return c >= 0xa0 && c <= 0xbf;
		case 0xed:
			return c >= 0x80 && c <= 0x9f;
		case 0xf0:
			return c >= 0x90 && c <= 0xbf;
		case 0xf4:
			return c >= 0x80 && c <= 0x8f;
		}
	}
	return c >= 0x80 && c <= 0xbf;
}

/* The held character is whole: writes it, or what it is shown as. */
static size_t show_utf8(struct relay *r, char *out)
{
	size_t n = r->utf8_len;
	uint32_t cp = r->utf8[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (r->utf8[i] & 0x3f);
	r->utf8_have = r->utf8_len = 0;
	if (cp <= 0x9f) {
		/* U+0080..U+009F: a C1 control, as its 7-bit equivalent. */
		out[0] = '^';
		out[1] = (char)(cp - 0x40);
		return 2;
	}
	if (show_as_code(cp))
		return (size_t)sprintf(out, "<U+%04X>", (unsigned)cp);
	memcpy(out, r->utf8, n);
	return n;
}

/* One byte that starts no held character. */
static size_t show_byte(struct relay *r, unsigned char c, char *out)
{
	/* Printable ASCII, and the controls that only move the cursor on
	 * the line, pass as they are. */
	if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c == '\r' ||
	    c == '\b') {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x20 || c == 0x7f) {
		out[0] = '^';
		out[1] = (char)(c ^ 0x40);
		return 2;
	}
	if (c >= 0x80 && c <= 0x9f) {
		/* An 8-bit C1 control, alone: a terminal in 8-bit mode would
		 * obey it. */
		out[0] = '^';
		out[1] = (char)(c - 0x40);
		return 2;
	}
	if (c >= 0xc2 && c <= 0xf4) {
		/* A UTF-8 lead byte: held until the character is whole,
		 * since only the whole says whether it may pass. */
		r->utf8[0] = c;
		r->utf8_have = 1;
		r->utf8_len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		return 0;
	}
	/* A stray continuation byte, or one that is never UTF-8: shown as
	 * what it is not, text. */
	out[0] = '?';
	return 1;
}

size_t relay_sanitize(struct relay *r, const char *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (r->utf8_len) {
			if (utf8_continues(r, c)) {
				r->utf8[r->utf8_have++] = c;
				if (r->utf8_have == r->utf8_len)
					o += show_utf8(r, out + o);
				continue;
			}
			/* Cut short: what was held is no character. */
			o += relay_sanitize_end(r, out + o);
		}
		o += show_byte(r, c, out + o);
	}
	return o;
}

size_t relay_sanitize_end(struct relay *r, char *out)
{
	if (!r->utf8_len)
		return 0;
	r->utf8_have = r->utf8_len = 0;
	out[0] = '?';
	return 1;
}

/* Writes buf[0..len) and returns true, or keeps what would block in
 * r->pending and returns false. buf may be r->pending itself. */
static bool put(struct relay *r, const char *buf, size_t len)
{
	bool own = buf == r->pending;
	while (len > 0 && !r->to_dead) {
		ssize_t n = write(r->to, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			char *keep = xmalloc(len);
			memcpy(keep, buf, len);
			if (own)
				free(r->pending);
			r->pending = keep;
			r->len = len;
			wait_for_room(r);
			return false;
		}
		if (n < 0)
			r->to_dead = true; /* EPIPE and friends: no reader */
		else {
			buf += n;
			len -= (size_t)n;
		}
	}
	if (own) {
		free(r->pending);
		r->pending = NULL;
		r->len = 0;
	}
	return true;
}

/* Moves what is available. A read from an inherited descriptor happens
 * only after epoll said it is ready, and once per call, because it is not
 * ours to make non-blocking. */
void relay_pump(struct relay *r)
{
	if (r->from < 0)
		return;
	if (r->len > 0 && !put(r, r->pending, r->len))
		return;
	room_again(r);
	for (int rounds = 0; rounds < 16 && !r->eof; rounds++) {
		ssize_t n = read(r->from, scratch, sizeof(scratch));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			r->eof = true;
			/* The output ends inside a character. */
			char cut[1];
			size_t m = r->sanitize ? relay_sanitize_end(r, cut) : 0;
			if (m && !put(r, cut, m))
				return;
			break;
		}
		if (r->sanitize) {
			static char shown[RELAY_SHOWN_MAX(CHUNK)];
			size_t m = relay_sanitize(r, scratch, (size_t)n, shown);
			if (!put(r, shown, m))
				return;
		} else if (!put(r, scratch, (size_t)n)) {
			return;
		}
		if (!r->own_from)
			return;
	}
	if (r->eof && r->len == 0)
		relay_close(r);
}

void relay_room(struct relay *r)
{
	if (r->from < 0)
		return;
	if (r->len > 0 && !put(r, r->pending, r->len))
		return;
	room_again(r);
	/* An inherited source may be empty now, and a read of it would
	 * wait, and the whole loop with it, until its writer writes: it is
	 * read when epoll says so (room_again watches it again). */
	if (r->own_from || !r->from_polled)
		relay_pump(r);
	else if (r->eof && r->len == 0)
		relay_close(r);
}

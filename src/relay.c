/* relay.c — see relay.h. */
#include "relay.h"

#include <fcntl.h>
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

size_t relay_sanitize(struct relay *r, const char *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (r->utf8_need) {
			if (c >= 0x80 && c <= 0xbf) {
				r->utf8_need--;
				if (r->utf8_lead == 0xc2 && c <= 0x9f) {
					/* U+0080..U+009F: a C1 control. */
					out[o++] = '^';
					out[o++] = (char)(c - 0x40);
					r->utf8_lead = 0;
					continue;
				}
				if (r->utf8_lead == 0xc2) {
					out[o++] = (char)0xc2;
					r->utf8_lead = 0;
				}
				out[o++] = (char)c;
				continue;
			}
			/* A truncated sequence: what was held was no C1. */
			if (r->utf8_lead == 0xc2)
				out[o++] = (char)0xc2;
			r->utf8_need = 0;
			r->utf8_lead = 0;
		}
		/* Printable ASCII, and the controls that only move the
		 * cursor on the line, pass as they are. */
		if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ||
		    c == '\r' || c == '\b') {
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			out[o++] = '^';
			out[o++] = (char)(c ^ 0x40);
		} else if (c >= 0xc2 && c <= 0xf4) {
			/* A UTF-8 lead byte. 0xc2 is held back until the next
			 * byte says whether it starts a C1 control. */
			r->utf8_need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
			if (c == 0xc2)
				r->utf8_lead = 0xc2;
			else
				out[o++] = (char)c;
		} else if (c >= 0x80 && c <= 0x9f) {
			/* An 8-bit C1 control, alone: a terminal in 8-bit
			 * mode would obey it. */
			out[o++] = '^';
			out[o++] = (char)(c - 0x40);
		} else {
			/* Stray continuation or invalid byte: harmless, but
			 * shown as what it is not: text. */
			out[o++] = '?';
		}
	}
	return o;
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
			break;
		}
		if (r->sanitize) {
			static char shown[4 * CHUNK];
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

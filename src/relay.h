/* relay.h — one direction of a program's console: the program's stdout or
 * stderr pipe to the launcher's own descriptor, or the launcher's stdin to
 * the program's stdin pipe. The program never holds the user's terminal;
 * the broker copies bytes between the two, driven by epoll. */
#ifndef FAKEOS_RELAY_H
#define FAKEOS_RELAY_H

#include "util.h"

struct relay {
	int ep; /* the broker's epoll */
	int from, to;
	bool own_from, own_to; /* our pipe ends: non-blocking, ours to close */
	bool from_polled; /* registered with epoll (regular files cannot be) */
	bool to_waiting; /* waiting for room in `to` (EPOLLOUT) */
	bool eof; /* `from` reached end of file */
	bool to_dead; /* the reader went away: drain and discard */
	void *cookie_from, *cookie_to; /* epoll data for each side */
	char *pending; /* bytes read but not yet written; NULL when none */
	size_t len;
	/* Output to a terminal: control sequences are shown, not obeyed
	 * (relay_sanitize); and the UTF-8 state that spans reads. */
	bool sanitize;
	unsigned char utf8_need; /* continuation bytes still expected */
	unsigned char utf8_lead; /* the lead byte, when it was 0xc2 */
};

/* Rewrites len bytes for a terminal into out (at least 4*len bytes):
 * printable text, UTF-8, tab, newline, carriage return and backspace pass;
 * every other C0 control, DEL and every C1 control (as one byte or as UTF-8
 * U+0080..U+009F) is shown in caret form ("^[", "^?", "^[[" for CSI...).
 * A program's output then cannot make the terminal do anything but print:
 * no escape sequence reaches it, so none can query the terminal into typing
 * an answer into the user's input (answerback, DECRQSS, title reports: the
 * class of CVE-2003-0063 and CVE-2022-45872), set its title, or remap its
 * keys. Returns the bytes written to out. */
size_t relay_sanitize(struct relay *r, const char *in, size_t len, char *out);

/* Starts relaying from -> to and registers `from` with ep. own_* says the
 * descriptor is a pipe end of ours (made non-blocking, closed by
 * relay_close); the others are the launcher's inherited descriptors, which
 * are never made non-blocking behind the shell's back. */
void relay_init(struct relay *r, int ep, int from, bool own_from, int to,
		bool own_to, void *cookie_from, void *cookie_to);
/* Moves what is available now. Call when either side's cookie fires, and
 * for sources epoll cannot watch (relay_unpolled), whenever convenient. */
void relay_pump(struct relay *r);
/* True when the source is at end of file and everything was written. */
bool relay_done(const struct relay *r);
/* True for a live source epoll cannot watch (a regular file on stdin),
 * which the broker must pump by hand. */
bool relay_unpolled(const struct relay *r);
void relay_close(struct relay *r);

#endif

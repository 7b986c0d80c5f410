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
	/* Program output: shown, not obeyed (relay_sanitize), unless the
	 * user asked for --raw-console; and the UTF-8 character that a read
	 * cut short, held until its last byte says what it is. */
	bool sanitize;
	unsigned char utf8[4];
	unsigned char utf8_have, utf8_len; /* bytes held, bytes it needs */
};

/* The room relay_sanitize needs for len bytes: a character held from the
 * last call can come out as eight bytes ("<U+202E>") for its last byte. */
#define RELAY_SHOWN_MAX(len) (4 * (len) + 8)

/* Rewrites len bytes of a program's output into out (RELAY_SHOWN_MAX(len)
 * bytes) so that a terminal can only print them, wherever they end up: a
 * terminal can sit behind a pipe or a file (`| tee log`, `cat log`).
 * Printable ASCII, valid UTF-8, tab, newline, carriage return and
 * backspace pass byte for byte. Shown in caret form instead: every other
 * C0 control, DEL, and every C1 control, as one byte or as UTF-8
 * U+0080..U+009F ("^[" for ESC, so "^[[31m"; "^[" for CSI 0x9b). No escape
 * sequence reaches the terminal, so none can query it into typing an
 * answer into the user's input (answerback, DECRQSS, title reports: the
 * class of CVE-2003-0063 and CVE-2022-45872), write the clipboard (OSC
 * 52), set the title, move the cursor over earlier lines or remap keys.
 * Shown as "<U+XXXX>": the Unicode bidi controls and the other format
 * controls whose effect lasts past themselves (relay.c, show_as_code), so
 * that no program's text is displayed in another order than its bytes,
 * nor reorders the launcher's messages or the prompt after it on the same
 * line (Trojan Source, CVE-2021-42574). A byte that is not part of valid
 * UTF-8 (RFC 3629: no overlong forms, no surrogates) is shown as '?'.
 * A character cut across two calls is held in r until it is whole. */
size_t relay_sanitize(struct relay *r, const char *in, size_t len, char *out);
/* At the end of the output: a character still held was cut short, and
 * comes out as '?' (at most 1 byte into out). */
size_t relay_sanitize_end(struct relay *r, char *out);

/* Starts relaying from -> to and registers `from` with ep. own_* says the
 * descriptor is a pipe end of ours (made non-blocking, closed by
 * relay_close); the others are the launcher's inherited descriptors, which
 * are never made non-blocking behind the shell's back. */
void relay_init(struct relay *r, int ep, int from, bool own_from, int to,
		bool own_to, void *cookie_from, void *cookie_to);
/* Moves what is available now. Call when the source's cookie fires, and
 * for sources epoll cannot watch (relay_unpolled), whenever convenient;
 * when the destination's fires, call relay_room. */
void relay_pump(struct relay *r);

/* The destination has room again (epoll said so): what was held is
 * written, and the source is read again at once only if a read of it
 * cannot block. */
void relay_room(struct relay *r);
/* True when the source is at end of file and everything was written. */
bool relay_done(const struct relay *r);
/* True for a live source epoll cannot watch (a regular file on stdin),
 * which the broker must pump by hand. */
bool relay_unpolled(const struct relay *r);
void relay_close(struct relay *r);

#endif

/* shell_words.h — how fakeos-shell cuts a command line into words: the
 * line a user types at its prompt, and SSH_ORIGINAL_COMMAND, the command
 * an `ssh user@host URL ARGS` sends, which is untrusted bytes from the
 * network (test/fuzz/fuzz_shell_words.c fuzzes it).
 *
 * The rule (fakeos-shell(1), QUOTING), which no shell ever sees:
 *   - words are separated by spaces and tabs;
 *   - '...' takes every byte up to the next ' literally;
 *   - "..." the same up to the next ", except that \" and \\ stand for
 *     " and \;
 *   - outside quotes a backslash takes the next byte literally;
 *   - quotes join with what touches them: a'b c'd is one word, "ab cd";
 *     '' is an empty word;
 *   - nothing else is special: no variables, globs, ~, ;, |, &, <, >,
 *     $( ), comments. `ls; id` is the two words "ls;" and "id".
 * A line with a control byte other than the tab (a newline, an escape,
 * DEL, NUL) is refused whole, as is an open quote or a backslash at the
 * end: there is no continuation line. At most SHELL_WORDS_MAX words and
 * SHELL_LINE_MAX bytes. */
#ifndef FAKEOS_SHELL_WORDS_H
#define FAKEOS_SHELL_WORDS_H

#include <stddef.h>

#include "util.h"

#define SHELL_LINE_MAX (64 * 1024) /* DPROTO_MAX: no run carries more */
#define SHELL_WORDS_MAX 1025 /* the URL and DPROTO_ARGC_MAX arguments */

struct shell_words {
	char **v; /* n words, then NULL; v[0..n) point into one block */
	size_t n;
};

/* Splits s[0..len) by the rule above. Returns 0 with *w filled (n may be
 * 0: a blank line), or -EINVAL (an open quote, a trailing backslash, a
 * control byte) or -E2BIG (too long, too many words) with e saying which
 * and where, and *w empty. Pure: reads s[0..len) only, which need not be
 * NUL-terminated. Free with shell_words_free. */
int shell_split(const char *s, size_t len, struct shell_words *w,
		struct error *e);
void shell_words_free(struct shell_words *w);

#endif

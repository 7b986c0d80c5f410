/* shell_words.c — see shell_words.h. */
#include "shell_words.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void shell_words_free(struct shell_words *w)
{
	if (w->v)
		free(w->v[0]); /* the block every word is in; NULL if none */
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

int shell_split(const char *s, size_t len, struct shell_words *w,
		struct error *e)
{
	w->v = NULL;
	w->n = 0;
	if (len > SHELL_LINE_MAX)
		return error_set(e, E2BIG, "the command is longer than %d "
					   "bytes", SHELL_LINE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return error_set(e, EINVAL, "control byte 0x%02x at "
					 "byte %zu of the command: refused "
					 "(type text; there is no "
					 "continuation line)", c, i + 1);
	}
	/* Each word is at most as long as the line, with a NUL after it:
	 * 2 * len + 1 bytes hold them all. Word starts are offsets until the
	 * block stops moving. */
	char *out = xmalloc(2 * len + 1);
	size_t *start = xmalloc((len / 2 + 2) * sizeof(*start));
	size_t o = 0, n = 0, i = 0;
	int r = 0;
	for (;;) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == SHELL_WORDS_MAX) {
			r = error_set(e, E2BIG, "more than %d words",
				      SHELL_WORDS_MAX);
			goto out;
		}
		start[n++] = o;
		char quote = 0;
		size_t opened = 0;
		for (; i < len && (quote || (s[i] != ' ' && s[i] != '\t'));
		     i++) {
			char c = s[i];
			if (quote && c == quote) {
				quote = 0;
				continue;
			}
			if (!quote && (c == '\'' || c == '"')) {
				quote = c;
				opened = i;
				continue;
			}
			/* A backslash escapes anything outside quotes, only "
			 * and itself inside "...", nothing inside '...'. */
			if (c == '\\' && quote != '\'' &&
			    (!quote || (i + 1 < len && (s[i + 1] == '"' ||
							s[i + 1] == '\\')))) {
				if (++i == len) {
					r = error_set(e, EINVAL,
						      "a backslash ends the "
						      "command");
					goto out;
				}
				c = s[i];
			}
			out[o++] = c;
		}
		if (quote) {
			r = error_set(e, EINVAL, "the %s quote at byte %zu is "
					 "not closed",
				      quote == '"' ? "double" : "single",
				      opened + 1);
			goto out;
		}
		out[o++] = '\0';
	}
	w->v = xcalloc(n + 1, sizeof(*w->v));
	for (size_t k = 0; k < n; k++)
		w->v[k] = out + start[k];
	w->n = n;
	if (n)
		out = NULL; /* w->v[0] owns the block */
out:
	free(out);
	free(start);
	return r;
}

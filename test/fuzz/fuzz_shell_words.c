/* fuzz_shell_words.c — shell_split (src/shell_words.c), which cuts
 * SSH_ORIGINAL_COMMAND, bytes from the network, into a program's words,
 * and shell_resolve on the first word.
 *
 * Invariants: an accepted line has no control byte but tabs; it gives at
 * most SHELL_WORDS_MAX words, NULL-terminated, none holding a control
 * byte, and their bytes together are no more than the line's; splitting
 * is deterministic. A refused one leaves nothing behind and says why. The
 * first word resolves (against a fixed path, with no file present) to a
 * URL, or is refused with a printable reason. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "shell_path.h"
#include "shell_words.h"

static bool nothing_exists(const char *url, void *arg)
{
	(void)url;
	(void)arg;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct shell_words w, again;
	struct error e = { "" };
	int r = shell_split(s, size, &w, &e);
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL || r == -E2BIG, "r = %d", r);
		FUZZ_ASSERT(w.v == NULL && w.n == 0, "words left");
		FUZZ_ASSERT(e.msg[0] != '\0', "no reason");
		return 0;
	}
	for (size_t i = 0; i < size; i++)
		FUZZ_ASSERT(data[i] == '\t' || (data[i] >= 0x20 &&
						data[i] != 0x7f),
			    "control byte 0x%02x accepted", data[i]);
	FUZZ_ASSERT(w.n <= SHELL_WORDS_MAX, "%zu words", w.n);
	FUZZ_ASSERT(w.n == 0 || w.v[w.n] == NULL, "not NULL-terminated");
	size_t bytes = 0;
	for (size_t i = 0; i < w.n; i++) {
		size_t n = strlen(w.v[i]);
		bytes += n;
		for (size_t k = 0; k < n; k++)
			FUZZ_ASSERT((unsigned char)w.v[i][k] >= 0x20 ||
					    w.v[i][k] == '\t',
				    "control byte in word %zu", i);
	}
	FUZZ_ASSERT(bytes <= size, "%zu bytes of words from %zu", bytes, size);
	FUZZ_ASSERT(shell_split(s, size, &again, &e) == 0 &&
			    again.n == w.n,
		    "not deterministic");
	for (size_t i = 0; i < w.n; i++)
		FUZZ_ASSERT(strcmp(w.v[i], again.v[i]) == 0, "word %zu", i);
	shell_words_free(&again);

	if (w.n) {
		struct config_list path = { NULL, 0 };
		config_list_push(&path, xstrdup("file:///nonexistent/"));
		config_list_push(&path, xstrdup("https://h/bin/"));
		char *url = NULL;
		r = shell_resolve(&path, w.v[0], nothing_exists, NULL, &url,
				  &e);
		if (r == 0) {
			FUZZ_ASSERT(url && strstr(url, "://"), "no URL");
			if (!strstr(w.v[0], "://"))
				FUZZ_ASSERT(strncmp(url, "https://h/bin/", 14) ==
						    0 &&
					    !strchr(url + 14, '/'),
					    "a name went elsewhere: %s", url);
		} else {
			FUZZ_ASSERT(!url, "a URL on failure");
			for (const char *p = e.msg; *p; p++)
				FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f,
					    "unprintable reason");
		}
		free(url);
		config_list_free(&path);
	}
	shell_words_free(&w);
	return 0;
}

/* fuzz.h — what every libFuzzer harness in test/fuzz/ shares: the entry
 * point's prototype and an assertion that stays on whatever the build
 * flags (assert() would vanish under NDEBUG). A failed invariant aborts,
 * which libFuzzer reports as a crash and saves as a reproducer. */
#ifndef FAKEOS_FUZZ_H
#define FAKEOS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"%s:%d: invariant failed: %s: ", __FILE__,     \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* s, in a buffer of cap bytes, is terminated and printable ASCII: what
 * a message or a URL must be before it is quoted to a terminal or sent. */
static inline void fuzz_printable(const char *s, size_t cap, const char *what)
{
	size_t n = strnlen(s, cap);
	FUZZ_ASSERT(n < cap, "%s not terminated", what);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(s[i] >= 0x20 && s[i] < 0x7f,
			    "%s has byte 0x%02x at %zu", what,
			    (unsigned char)s[i], i);
}

#endif

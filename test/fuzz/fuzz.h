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

#endif

/* fuzz_elf_sym.c — elf_build_id, elf_symbolize and elf_is_pie
 * (src/elf_sym.c), which read the crashed program's own ELF for its crash
 * report. That file is whatever its author wrote: elf_check accepted its
 * program headers, but its section headers, symbol and string tables and
 * notes are read only here.
 *
 * Input: 8 bytes, the address to symbolise (little-endian), then the
 * file. Besides reading nothing outside the file (it is copied to a
 * buffer of its exact size, so ASan sees the first byte past it), what
 * comes back must be what elf.h promises: a build-id no longer than the
 * room given; a symbol name that is non-empty, terminated within its
 * buffer and printable without spaces (it goes into a terminal line and
 * a JSON string), and an offset no larger than the address. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "fuzz.h"

static void check_name(const char *name, size_t cap)
{
	size_t n = strnlen(name, cap);
	FUZZ_ASSERT(n > 0 && n < cap, "name length %zu of %zu", n, cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(name[i] > 0x20 && name[i] < 0x7f,
			    "name has byte 0x%02x at %zu",
			    (unsigned char)name[i], i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t addr;
	if (size < sizeof(addr))
		return 0;
	memcpy(&addr, data, sizeof(addr));
	size_t len = size - sizeof(addr);
	/* malloc(0) may be NULL; the parsers take (NULL, 0) as no file. */
	uint8_t *buf = malloc(len ? len : 1);
	FUZZ_ASSERT(buf, "malloc %zu", len);
	memcpy(buf, data + sizeof(addr), len);

	(void)elf_is_pie(buf, len);

	uint8_t id[64];
	memset(id, 0xa5, sizeof(id));
	/* Room for 20 bytes (a SHA-1 build-id) of 64: nothing past it. */
	size_t n = elf_build_id(buf, len, id, 20);
	FUZZ_ASSERT(n <= 20, "build-id of %zu bytes in 20", n);
	for (size_t i = 20; i < sizeof(id); i++)
		FUZZ_ASSERT(id[i] == 0xa5, "build-id wrote byte %zu", i);

	char name[64];
	uint64_t off = UINT64_MAX;
	memset(name, 0x5a, sizeof(name));
	int r = elf_symbolize(buf, len, addr, name, 32, &off);
	FUZZ_ASSERT(r == 0 || r == -ENOENT, "returned %d", r);
	for (size_t i = 32; i < sizeof(name); i++)
		FUZZ_ASSERT(name[i] == 0x5a, "name wrote byte %zu", i);
	if (r == 0) {
		check_name(name, 32);
		FUZZ_ASSERT(off <= addr, "offset %llu above address %llu",
			    (unsigned long long)off, (unsigned long long)addr);
	}
	/* No room at all: refused, never written. */
	name[0] = 'x';
	FUZZ_ASSERT(elf_symbolize(buf, len, addr, name, 0, &off) == -ENOENT,
		    "symbolised into no room");
	FUZZ_ASSERT(name[0] == 'x', "wrote into no room");
	free(buf);
	return 0;
}

/* fuzz_elf.c — elf_check (src/elf.c), which decides whether fetched bytes
 * are a program fakeOS will exec.
 *
 * Besides reading nothing outside the buffer, an accepted buffer must be
 * what elf.h promises, checked here again the plain way: a 64-bit
 * little-endian x86-64 ELF, ET_EXEC or ET_DYN, program headers inside the
 * file, no interpreter, no DT_NEEDED, a PT_LOAD, every PT_LOAD inside the
 * file and not both writable and executable, no executable stack, and the
 * entry point inside a PT_LOAD. A refusal's message must be printable: it
 * quotes bytes of the file (a script's #! line, an interpreter path). */
#include <errno.h>
#include <linux/elf.h>
#include <string.h>

#include "elf.h"
#include "fuzz.h"

static void accepted_ok(const uint8_t *buf, size_t len)
{
	Elf64_Ehdr h;
	FUZZ_ASSERT(len >= sizeof(h), "accepted %zu bytes", len);
	memcpy(&h, buf, sizeof(h));
	FUZZ_ASSERT(memcmp(h.e_ident, ELFMAG, SELFMAG) == 0, "magic");
	FUZZ_ASSERT(h.e_ident[EI_CLASS] == ELFCLASS64 &&
			    h.e_ident[EI_DATA] == ELFDATA2LSB &&
			    h.e_machine == EM_X86_64,
		    "class %u data %u machine %u", h.e_ident[EI_CLASS],
		    h.e_ident[EI_DATA], h.e_machine);
	FUZZ_ASSERT(h.e_type == ET_EXEC || h.e_type == ET_DYN, "type %u",
		    h.e_type);
	FUZZ_ASSERT(h.e_phentsize == sizeof(Elf64_Phdr) && h.e_phnum > 0,
		    "phentsize %u phnum %u", h.e_phentsize, h.e_phnum);
	FUZZ_ASSERT(h.e_phoff <= len &&
			    (uint64_t)h.e_phnum * sizeof(Elf64_Phdr) <=
				    len - h.e_phoff,
		    "program headers outside the file");

	unsigned loads = 0;
	bool entry = false;
	for (unsigned i = 0; i < h.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, buf + h.e_phoff + i * sizeof(ph), sizeof(ph));
		FUZZ_ASSERT(ph.p_type != PT_INTERP, "accepted an interpreter");
		if (ph.p_type == PT_GNU_STACK)
			FUZZ_ASSERT(!(ph.p_flags & PF_X), "executable stack");
		if (ph.p_type == PT_DYNAMIC && ph.p_offset <= len &&
		    ph.p_filesz <= len - ph.p_offset) {
			for (uint64_t o = 0;
			     o + sizeof(Elf64_Dyn) <= ph.p_filesz;
			     o += sizeof(Elf64_Dyn)) {
				Elf64_Dyn d;
				memcpy(&d, buf + ph.p_offset + o, sizeof(d));
				if (d.d_tag == DT_NULL)
					break;
				FUZZ_ASSERT(d.d_tag != DT_NEEDED,
					    "accepted DT_NEEDED");
			}
		}
		if (ph.p_type != PT_LOAD)
			continue;
		loads++;
		FUZZ_ASSERT(ph.p_offset <= len &&
				    ph.p_filesz <= len - ph.p_offset,
			    "segment %u outside the file", i);
		FUZZ_ASSERT(ph.p_filesz <= ph.p_memsz, "segment %u sizes", i);
		FUZZ_ASSERT((ph.p_flags & (PF_W | PF_X)) != (PF_W | PF_X),
			    "segment %u is W+X", i);
		if (h.e_entry >= ph.p_vaddr &&
		    h.e_entry - ph.p_vaddr < ph.p_memsz)
			entry = true;
	}
	FUZZ_ASSERT(loads > 0, "no PT_LOAD");
	FUZZ_ASSERT(entry, "entry outside every PT_LOAD");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error e = { "" };
	int r = elf_check(data, size, &e);
	if (r == 0) {
		accepted_ok(data, size);
		return 0;
	}
	FUZZ_ASSERT(r == -ENOEXEC, "returned %d", r);
	size_t n = strnlen(e.msg, sizeof(e.msg));
	FUZZ_ASSERT(n > 0 && n < sizeof(e.msg), "message length %zu", n);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(e.msg[i] >= 0x20 && e.msg[i] < 0x7f,
			    "message has byte 0x%02x at %zu",
			    (unsigned char)e.msg[i], i);
	return 0;
}

/* elf.c — see elf.h. Every offset and size in the header is untrusted: each
 * is checked against len with arithmetic that cannot overflow before any
 * byte it names is read. */
#include "elf.h"

/* <linux/elf.h>, not <elf.h>: with -Isrc, <elf.h> would find this module's
 * own header. */
#include <linux/elf.h>
#include <string.h>

#include "url.h"

/* The kernel refuses program header tables larger than a page (see
 * load_elf_phdrs in fs/binfmt_elf.c); anything larger is not a program
 * the kernel would run, whatever else it is. */
#define ELF_PHDR_TABLE_MAX 4096

static const struct {
	uint16_t machine;
	const char *name;
} elf_machines[] = {
	{ EM_386, "i386" },
	{ EM_ARM, "32-bit ARM" },
	{ EM_AARCH64, "AArch64" },
	{ EM_RISCV, "RISC-V" },
	{ EM_PPC, "PowerPC" },
	{ EM_PPC64, "PowerPC64" },
	{ EM_S390, "s390" },
	{ EM_MIPS, "MIPS" },
	{ EM_SPARCV9, "SPARC64" },
	{ EM_IA_64, "IA-64" },
	{ 258 /* EM_LOONGARCH */, "LoongArch" },
};

static const char *elf_machine_name(uint16_t m)
{
	for (size_t i = 0; i < ARRAY_SIZE(elf_machines); i++)
		if (elf_machines[i].machine == m)
			return elf_machines[i].name;
	return "another machine";
}

/* True when [off, off+size) lies within [0, len). */
static bool elf_in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* Not an ELF at all: say what it looks like, as that is what the user
 * needs to fix (a script, an HTML error page served with status 200). */
static int elf_not_elf(const uint8_t *buf, size_t len, struct error *e)
{
	if (len == 0)
		return error_set(e, ENOEXEC, "not an ELF program: the file is "
					     "empty");
	if (len >= 2 && buf[0] == '#' && buf[1] == '!') {
		size_t n = 2;
		while (n < len && n < 80 && buf[n] != '\n')
			n++;
		char line[64];
		url_sanitize((const char *)buf, n, line, sizeof(line));
		return error_set(e, ENOEXEC, "not an ELF program: a script "
					     "(%s)", line);
	}
	size_t i = 0;
	while (i < len && i < 64 && strchr(" \t\r\n", buf[i]))
		i++;
	if (i < len && buf[i] == '<')
		return error_set(e, ENOEXEC, "not an ELF program: looks like "
					     "HTML or XML");
	return error_set(e, ENOEXEC, "not an ELF program (no ELF magic "
				     "number)");
}

static int elf_check_ident(const uint8_t *buf, size_t len, struct error *e)
{
	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return elf_not_elf(buf, len, e);
	if (len < EI_NIDENT)
		return error_set(e, ENOEXEC, "truncated ELF: %zu bytes, the "
					     "header needs %zu", len,
				 sizeof(Elf64_Ehdr));
	if (buf[EI_CLASS] == ELFCLASS32)
		return error_set(e, ENOEXEC, "a 32-bit ELF program; only "
					     "64-bit x86-64 programs run");
	if (buf[EI_CLASS] != ELFCLASS64)
		return error_set(e, ENOEXEC, "bad ELF header: unknown class "
					     "%u", buf[EI_CLASS]);
	if (buf[EI_DATA] == ELFDATA2MSB)
		return error_set(e, ENOEXEC, "a big-endian ELF program; only "
					     "x86-64 programs run");
	if (buf[EI_DATA] != ELFDATA2LSB)
		return error_set(e, ENOEXEC, "bad ELF header: unknown data "
					     "encoding %u", buf[EI_DATA]);
	if (buf[EI_VERSION] != EV_CURRENT)
		return error_set(e, ENOEXEC, "bad ELF header: unknown version "
					     "%u", buf[EI_VERSION]);
	if (len < sizeof(Elf64_Ehdr))
		return error_set(e, ENOEXEC, "truncated ELF: %zu bytes, the "
					     "header needs %zu", len,
				 sizeof(Elf64_Ehdr));
	return 0;
}

static int elf_check_header(const Elf64_Ehdr *h, size_t len, struct error *e)
{
	if (h->e_machine != EM_X86_64)
		return error_set(e, ENOEXEC, "an ELF program for %s (machine "
					     "%u), not x86-64",
				 elf_machine_name(h->e_machine),
				 h->e_machine);
	switch (h->e_type) {
	case ET_EXEC:
	case ET_DYN:
		break;
	case ET_REL:
		return error_set(e, ENOEXEC, "an ELF object file (ET_REL), "
					     "not a linked program");
	case ET_CORE:
		return error_set(e, ENOEXEC, "an ELF core dump, not a "
					     "program");
	default:
		return error_set(e, ENOEXEC, "bad ELF header: unknown type "
					     "%u", h->e_type);
	}
	if (h->e_version != EV_CURRENT)
		return error_set(e, ENOEXEC, "bad ELF header: version %u",
				 h->e_version);
	if (h->e_ehsize != sizeof(Elf64_Ehdr))
		return error_set(e, ENOEXEC, "bad ELF header: header size %u, "
					     "expected %zu", h->e_ehsize,
				 sizeof(Elf64_Ehdr));
	if (h->e_phentsize != sizeof(Elf64_Phdr))
		return error_set(e, ENOEXEC, "bad ELF header: program header "
					     "size %u, expected %zu",
				 h->e_phentsize, sizeof(Elf64_Phdr));
	if (h->e_phnum == 0)
		return error_set(e, ENOEXEC, "bad ELF header: no program "
					     "headers");
	uint64_t table = (uint64_t)h->e_phnum * sizeof(Elf64_Phdr);
	if (table > ELF_PHDR_TABLE_MAX)
		return error_set(e, ENOEXEC, "bad ELF header: %u program "
					     "headers, at most %zu allowed",
				 h->e_phnum,
				 ELF_PHDR_TABLE_MAX / sizeof(Elf64_Phdr));
	if (!elf_in_file(h->e_phoff, table, len))
		return error_set(e, ENOEXEC, "truncated ELF: program headers "
					     "at offset %llu (%llu bytes) end "
					     "past the end of the file "
					     "(%zu bytes)",
				 (unsigned long long)h->e_phoff,
				 (unsigned long long)table, len);
	return 0;
}

/* A dynamic program: quote its interpreter, which is what the user will
 * recognise ("/lib64/ld-linux-x86-64.so.2"). */
static int elf_dynamic(const uint8_t *buf, size_t len, const Elf64_Phdr *ph,
		       struct error *e)
{
	char interp[80];

	if (!elf_in_file(ph->p_offset, ph->p_filesz, len) ||
	    ph->p_filesz == 0)
		return error_set(e, ENOEXEC, "dynamically linked (with an "
					     "unreadable interpreter path); "
					     "only static programs run");
	const char *s = (const char *)buf + ph->p_offset;
	size_t n = strnlen(s, (size_t)ph->p_filesz);
	url_sanitize(s, n, interp, sizeof(interp));
	return error_set(e, ENOEXEC, "dynamically linked (interpreter %s); "
				     "only static programs run", interp);
}

/* A PT_DYNAMIC with DT_NEEDED: a shared library or a program that needs
 * one, which nothing in the jail could supply. */
static bool elf_needs_libraries(const uint8_t *buf, size_t len,
				const Elf64_Phdr *ph)
{
	if (!elf_in_file(ph->p_offset, ph->p_filesz, len))
		return false;
	uint64_t n = ph->p_filesz / sizeof(Elf64_Dyn);
	for (uint64_t i = 0; i < n; i++) {
		Elf64_Dyn d;
		memcpy(&d, buf + ph->p_offset + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_NEEDED)
			return true;
	}
	return false;
}

int elf_check(const uint8_t *buf, size_t len, struct error *e)
{
	Elf64_Ehdr h;
	int r;

	r = elf_check_ident(buf, len, e);
	if (r < 0)
		return r;
	/* memcpy, not a cast: buf need not be aligned. */
	memcpy(&h, buf, sizeof(h));
	r = elf_check_header(&h, len, e);
	if (r < 0)
		return r;

	unsigned loads = 0;
	bool entry_mapped = false;
	bool needs_libraries = false;
	for (unsigned i = 0; i < h.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, buf + h.e_phoff + (uint64_t)i * sizeof(ph),
		       sizeof(ph));
		switch (ph.p_type) {
		case PT_INTERP:
			return elf_dynamic(buf, len, &ph, e);
		case PT_DYNAMIC:
			needs_libraries |= elf_needs_libraries(buf, len, &ph);
			break;
		case PT_LOAD:
			loads++;
			if (ph.p_filesz > ph.p_memsz)
				return error_set(e, ENOEXEC,
						 "bad ELF segment %u: file "
						 "size larger than memory "
						 "size", i);
			if (ph.p_vaddr > UINT64_MAX - ph.p_memsz)
				return error_set(e, ENOEXEC,
						 "bad ELF segment %u: address "
						 "range wraps around", i);
			if (!elf_in_file(ph.p_offset, ph.p_filesz, len))
				return error_set(
					e, ENOEXEC,
					"truncated ELF: loadable segment %u "
					"(offset %llu, %llu bytes) extends "
					"past the end of the file (%zu bytes)",
					i, (unsigned long long)ph.p_offset,
					(unsigned long long)ph.p_filesz, len);
			/* The kernel maps segments itself, where seccomp's
			 * W^X rule on mmap cannot see: a writable and
			 * executable segment would be JIT memory at start. */
			if ((ph.p_flags & (PF_W | PF_X)) == (PF_W | PF_X))
				return error_set(e, ENOEXEC,
						 "ELF segment %u is writable "
						 "and executable; fakeOS runs "
						 "no W+X memory",
						 i);
			if (h.e_entry >= ph.p_vaddr &&
			    h.e_entry - ph.p_vaddr < ph.p_memsz)
				entry_mapped = true;
			break;
		case PT_GNU_STACK:
			if (ph.p_flags & PF_X)
				return error_set(e, ENOEXEC,
						 "the ELF asks for an executable "
						 "stack; fakeOS runs no W+X "
						 "memory");
			break;
		default:
			break;
		}
	}
	if (needs_libraries)
		return error_set(e, ENOEXEC, "dynamically linked (needs shared "
					     "libraries); only static programs "
					     "run");
	if (loads == 0)
		return error_set(e, ENOEXEC, "bad ELF: no loadable segments");
	if (!entry_mapped)
		return error_set(e, ENOEXEC, "bad ELF header: entry point "
					     "0x%llx is outside every loadable "
					     "segment",
				 (unsigned long long)h.e_entry);
	return 0;
}

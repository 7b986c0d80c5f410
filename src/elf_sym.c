/* elf_sym.c — the build-id and symbols a crash report names (elf.h). The
 * ELF is the crashed program's, which anyone may have written: each table
 * is bounds-checked before a byte of it is read, and the walk over
 * symbols is bounded by the table's own (checked) size. */
#include "elf.h"

#include <linux/elf.h>
#include <string.h>

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static const Elf64_Ehdr *ehdr_of(const uint8_t *buf, size_t len)
{
	if (len < sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0 ||
	    buf[EI_CLASS] != ELFCLASS64 || buf[EI_DATA] != ELFDATA2LSB)
		return NULL;
	return (const Elf64_Ehdr *)(const void *)buf;
}

bool elf_is_pie(const uint8_t *buf, size_t len)
{
	const Elf64_Ehdr *h = ehdr_of(buf, len);
	return h && h->e_type == ET_DYN;
}

/* Notes are 4-aligned: name and descriptor each padded to 4 bytes. */
static size_t note_build_id(const uint8_t *p, uint64_t size, uint8_t *out,
			    size_t cap)
{
	uint64_t at = 0;
	while (size - at >= 12) {
		uint32_t nsz, dsz, type;
		memcpy(&nsz, p + at, 4);
		memcpy(&dsz, p + at + 4, 4);
		memcpy(&type, p + at + 8, 4);
		uint64_t npad = ((uint64_t)nsz + 3) & ~3ULL;
		uint64_t dpad = ((uint64_t)dsz + 3) & ~3ULL;
		if (npad > size - at - 12 || dpad > size - at - 12 - npad)
			return 0;
		const uint8_t *name = p + at + 12;
		if (type == NT_GNU_BUILD_ID && nsz == 4 &&
		    memcmp(name, "GNU", 4) == 0) {
			size_t n = dsz < cap ? dsz : cap;
			memcpy(out, name + npad, n);
			return n;
		}
		at += 12 + npad + dpad;
	}
	return 0;
}

size_t elf_build_id(const uint8_t *buf, size_t len, uint8_t *out, size_t cap)
{
	const Elf64_Ehdr *h = ehdr_of(buf, len);
	if (!h || h->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr),
		     len))
		return 0;
	for (unsigned i = 0; i < h->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, buf + h->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE || !in_file(ph.p_offset, ph.p_filesz,
						     len))
			continue;
		size_t n = note_build_id(buf + ph.p_offset, ph.p_filesz, out,
					 cap);
		if (n)
			return n;
	}
	return 0;
}

static bool section(const uint8_t *buf, size_t len, const Elf64_Ehdr *h,
		    unsigned i, Elf64_Shdr *out)
{
	if (i >= h->e_shnum)
		return false;
	memcpy(out, buf + h->e_shoff + (uint64_t)i * sizeof(*out),
	       sizeof(*out));
	return out->sh_type == SHT_NOBITS ||
	       in_file(out->sh_offset, out->sh_size, len);
}

/* Copies a symbol's name, stopping at its NUL, the table's end or cap,
 * with anything unprintable as '?': it goes into a terminal line and a
 * JSON string. */
static void copy_name(const uint8_t *str, uint64_t size, uint64_t at,
		      char *name, size_t cap)
{
	size_t n = 0;
	while (at < size && str[at] && n + 1 < cap) {
		uint8_t c = str[at++];
		name[n++] = (char)(c > 0x20 && c < 0x7f ? c : '?');
	}
	name[n] = '\0';
}

int elf_symbolize(const uint8_t *buf, size_t len, uint64_t addr, char *name,
		  size_t cap, uint64_t *off)
{
	const Elf64_Ehdr *h = ehdr_of(buf, len);
	if (!h || cap == 0 || h->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(h->e_shoff, (uint64_t)h->e_shnum * sizeof(Elf64_Shdr),
		     len))
		return -ENOENT;
	/* .symtab first (a static program's, unless stripped); .dynsym is
	 * all a stripped static-pie may have left. */
	static const uint32_t kinds[] = { SHT_SYMTAB, SHT_DYNSYM };
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (unsigned i = 0; i < h->e_shnum; i++) {
			Elf64_Shdr sh, strh;
			if (!section(buf, len, h, i, &sh) ||
			    sh.sh_type != kinds[k] ||
			    sh.sh_entsize != sizeof(Elf64_Sym) ||
			    !section(buf, len, h, sh.sh_link, &strh) ||
			    strh.sh_type != SHT_STRTAB)
				continue;
			const Elf64_Sym *best = NULL;
			Elf64_Sym sym;
			uint64_t count = sh.sh_size / sizeof(Elf64_Sym);
			uint64_t best_at = 0;
			for (uint64_t s = 0; s < count; s++) {
				memcpy(&sym, buf + sh.sh_offset +
						     s * sizeof(sym),
				       sizeof(sym));
				if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC ||
				    sym.st_value > addr ||
				    addr - sym.st_value >=
					    (sym.st_size ? sym.st_size : 1))
					continue;
				best = (const Elf64_Sym *)(const void *)(
					buf + sh.sh_offset + s * sizeof(sym));
				best_at = sym.st_value;
				break;
			}
			if (!best)
				continue;
			memcpy(&sym, best, sizeof(sym));
			copy_name(buf + strh.sh_offset, strh.sh_size,
				  sym.st_name, name, cap);
			if (!name[0])
				continue;
			*off = addr - best_at;
			return 0;
		}
	}
	return -ENOENT;
}

/* elf_fixture.h — a minimal static x86-64 ELF built in memory, for the
 * unit tests that need a program elf_check accepts (test_elf, test_program).
 * It is not meant to run: only to be well-formed. */
#ifndef FAKEOS_TEST_ELF_FIXTURE_H
#define FAKEOS_TEST_ELF_FIXTURE_H

#include <linux/elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BASE 0x400000ULL

struct img {
	uint8_t b[1024] __attribute__((aligned(16)));
	size_t len;
};

static inline Elf64_Ehdr *eh(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}

static inline Elf64_Phdr *ph(struct img *m, int i)
{
	return (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr) +
			      (size_t)i * sizeof(Elf64_Phdr));
}

/* A minimal static executable: a header, nph program headers (the first
 * a PT_LOAD covering the whole file), entry inside it. */
static inline void make_exec(struct img *m, int nph)
{
	memset(m, 0, sizeof(*m));
	m->len = 512;
	Elf64_Ehdr *h = eh(m);
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = BASE + 0x100;
	h->e_phoff = sizeof(Elf64_Ehdr);
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = (uint16_t)nph;
	Elf64_Phdr *p = ph(m, 0);
	p->p_type = PT_LOAD;
	p->p_flags = PF_R | PF_X;
	p->p_offset = 0;
	p->p_vaddr = BASE;
	p->p_filesz = m->len;
	p->p_memsz = m->len;
	p->p_align = 0x1000;
	for (int i = 1; i < nph; i++)
		ph(m, i)->p_type = PT_NOTE;
}

#endif

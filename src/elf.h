/* elf.h — deciding whether a buffer is a program fakeOS can run: a static
 * x86-64 ELF executable. The jail has no file system, so a dynamic loader
 * or script interpreter could never be found; refusing them here gives a
 * clear message instead of an exec failure inside the jail. */
#ifndef FAKEOS_ELF_H
#define FAKEOS_ELF_H

#include "util.h"

/* Accepts only a 64-bit little-endian x86-64 ELF that is ET_EXEC, or ET_DYN
 * without PT_INTERP (static-pie), with a sane header, program headers that
 * lie inside the buffer, at least one PT_LOAD, every PT_LOAD's file bytes
 * inside the buffer, and an entry point inside a PT_LOAD.
 * Returns 0, or -ENOEXEC with e naming the reason ("not an ELF program: a
 * script (#!/bin/sh)", "an ELF for AArch64, not x86-64", "dynamically
 * linked (interpreter /lib64/ld-linux-x86-64.so.2)", "truncated ELF: ...").
 * A pure function of its arguments: it reads only buf[0..len). */
int elf_check(const uint8_t *buf, size_t len, struct error *e);

/* --- what a crash report reads from the program (elf_sym.c) -------------
 * The bytes are the program's own, so untrusted: every offset is checked
 * as elf_check does, and a malformed table reads as absent. Pure. */

/* The GNU build-id note's bytes (at most cap), from PT_NOTE segments;
 * returns their number, 0 when there is none. */
size_t elf_build_id(const uint8_t *buf, size_t len, uint8_t *out, size_t cap);

/* The function symbol of .symtab (or .dynsym) that holds addr, an address
 * in the file's own layout (subtract a static-pie's load base first):
 * its name, cut to fit cap and cleaned of control characters, and addr's
 * offset into it. -ENOENT: no symbol table, or no symbol there. */
int elf_symbolize(const uint8_t *buf, size_t len, uint64_t addr, char *name,
		  size_t cap, uint64_t *off);

/* The ELF type's load base rule: true for ET_DYN (static-pie), whose
 * addresses move by the base the kernel chose. */
bool elf_is_pie(const uint8_t *buf, size_t len);

#endif

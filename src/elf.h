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

#endif

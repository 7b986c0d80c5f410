/* glibc_abi.c — the one glibc entry point that Debian's static archives
 * need and musl lacks. Linked into the musl-built fakeos-run only (see the
 * Makefile); a glibc build has its own.
 *
 * libseccomp.a, libcap.a and libnettle.a are compiled against glibc with
 * _FORTIFY_SOURCE, so their fprintf calls became __fprintf_chk. musl
 * provides every other symbol the linked members use (the link fails on
 * any that is missing, so a new one cannot slip in). Of ours, only
 * nettle's CPU-feature report (NETTLE_FAT_VERBOSE) reaches this in
 * fakeos-run; libseccomp's is in its pseudo-code printer, which only
 * fakeos-policy (a glibc program) calls. */
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* glibc's flag asks for its extra %n checks; plain vfprintf is what the
 * call meant. */
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	(void)flag;
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

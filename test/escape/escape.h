/* escape.h — shared by the hostile programs in test/escape/. Each program
 * makes one escape attempt with a raw system call. If the call returns at
 * all, the program prints what it got and exits: ESCAPED (99) when the
 * kernel did what was asked, REFUSED (0) with the errno when it did not. A
 * program killed by the jail prints nothing after its "trying" line. */
#ifndef FAKEOS_ESCAPE_H
#define FAKEOS_ESCAPE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ESCAPED 99
#define REFUSED 0

static inline void trying(const char *what)
{
	printf("trying: %s\n", what);
	fflush(stdout);
}

/* For calls whose success is a non-negative return. */
static inline int outcome(const char *what, long r)
{
	if (r < 0) {
		printf("refused: %s: %s\n", what, strerror(errno));
		return REFUSED;
	}
	printf("ESCAPED: %s returned %ld\n", what, r);
	return ESCAPED;
}

#endif

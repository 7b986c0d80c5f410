/* broker.h — the privileged parent of a tree of jailed programs: it starts
 * them (program.c, then jail.c), relays their consoles, names and kills a
 * program that makes a forbidden system call, and turns the way the top
 * program ended into the launcher's exit code. */
#ifndef FAKEOS_BROKER_H
#define FAKEOS_BROKER_H

#include <linux/filter.h>

#include "jail.h"
#include "program.h"
#include "util.h"

/* The launcher's exit codes, as documented in fakeos-run(1). A program's
 * own status passes through unchanged; 128+N means killed by signal N. */
enum {
	EXIT_LAUNCHER = 125, /* usage, a bad policy, an internal error */
	EXIT_CANNOT_RUN = 126, /* not a static x86-64 ELF, jail setup failed */
	EXIT_CANNOT_FETCH = 127, /* network, HTTP, cap, hash, offline miss */
};

struct broker_opts {
	struct program_opts program;
	struct jail_limits limits;
	const struct sock_fprog *filter;
	bool stdin_relay; /* false: the program's stdin is at end of file */
	uint64_t wall_ms; /* kill the program after this long, 0 for never */
};

/* Runs url with argv (argv[0] is replaced by the URL) and returns the
 * launcher's exit code. Every failure is reported on stderr before it
 * returns: "fakeos-run: URL: what failed". */
int broker_run(const struct broker_opts *o, const char *url,
	       char *const *argv);

#endif

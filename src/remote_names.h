/* remote_names.h — where a name nobody on this host serves is served: the
 * one question remote.c asks (remote_lookup), and for now its smallest
 * answer, a static table read from a names file (fakeosd.conf's `names`,
 * default /etc/fakeos/names):
 *   NAME HOST
 * one a line, NAME a link name, HOST a name of the hosts file (hosts.h);
 * blank lines and '#' lines skipped. The resolver (issue 18, section 3:
 * the static file with ports and keys, and etcd) replaces what is behind
 * this interface; remote.c sees only remote_lookup. */
#ifndef FAKEOS_REMOTE_NAMES_H
#define FAKEOS_REMOTE_NAMES_H

#include "util.h"

#define NAMES_MAX 4096

struct names;

/* Reads path; a missing file is an empty table (no name is remote). */
int names_load(const char *path, struct names **out, struct error *e);
void names_free(struct names *n);
/* The host that serves name, or NULL: a program reaches no host that the
 * table does not give. */
const char *remote_lookup(const struct names *n, const char *name);

#endif

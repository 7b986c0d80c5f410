/* builtin_filter.h — policy/default.policy as fakeos-run and fakeosd run
 * it: compiled at build time (src/default_filter.S) and linked into those
 * two programs only. */
#ifndef FAKEOS_BUILTIN_FILTER_H
#define FAKEOS_BUILTIN_FILTER_H

#include <linux/filter.h>

/* Points prog at the built-in filter (nothing to free). */
void builtin_filter(struct sock_fprog *prog);

#endif

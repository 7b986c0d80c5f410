/* builtin_filter.c — see builtin_filter.h. */
#include "builtin_filter.h"

#include <stdint.h>

#include "log.h"

/* policy/default.policy, compiled at build time (src/default_filter.S). */
extern const struct sock_filter default_filter[];
extern const struct sock_filter default_filter_end[];

void builtin_filter(struct sock_fprog *prog)
{
	/* Two symbols, not one array: subtracting their addresses as
	 * pointers would be undefined (cppcheck comparePointers). */
	prog->len = (unsigned short)(((uintptr_t)default_filter_end -
				      (uintptr_t)default_filter) /
				     sizeof(struct sock_filter));
	prog->filter = (struct sock_filter *)default_filter;
	if (prog->len == 0)
		log_fatal("the built-in filter is empty: a broken build");
}

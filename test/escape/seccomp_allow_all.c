/* Installing a filter of its own that allows everything. Filters stack and
 * the strictest answer wins, so this cannot loosen the jail's; the call is
 * refused anyway, and so is a new listener that could answer its own
 * notifications. */
#include "escape.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
int main(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };
	trying("seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER, allow all)");
	return outcome("seccomp",
		       syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
}

/* The older spelling: prctl(PR_SET_SECCOMP) with an allow-all filter. */
#include "escape.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
int main(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };
	trying("prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, allow all)");
	return outcome("prctl", syscall(SYS_prctl, PR_SET_SECCOMP,
					SECCOMP_MODE_FILTER, &prog, 0, 0));
}

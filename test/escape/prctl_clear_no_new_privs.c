/* Clearing no_new_privs (the kernel never allows it; the filter refuses
 * the call first). */
#include "escape.h"
#include <sys/prctl.h>
int main(void)
{
	trying("prctl(PR_SET_NO_NEW_PRIVS, 0)");
	return outcome("prctl",
		       syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

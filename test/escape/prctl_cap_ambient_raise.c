/* Raising an ambient capability, which would survive an exec. */
#include "escape.h"
#include <linux/capability.h>
#include <sys/prctl.h>
int main(void)
{
	trying("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN)");
	return outcome("prctl",
		       syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
			       CAP_SYS_ADMIN, 0, 0));
}

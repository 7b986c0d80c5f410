/* READ_IMPLIES_EXEC: every readable mapping made after it is executable,
 * W^X undone without one PROT_EXEC. */
#include "escape.h"
#include <sys/personality.h>
int main(void)
{
	trying("personality(READ_IMPLIES_EXEC)");
	return outcome("personality",
		       syscall(SYS_personality, READ_IMPLIES_EXEC));
}

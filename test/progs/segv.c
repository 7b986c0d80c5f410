/* Dies of SIGSEGV: writes to an unmapped low address. */
#include <stdint.h>
int main(void)
{
	volatile uintptr_t addr = 16;
	*(volatile int *)addr = 1;
	return 0;
}

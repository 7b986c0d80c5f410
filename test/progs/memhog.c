/* Allocates and touches memory 1 MiB at a time until malloc fails, then
 * reports how much it got and exits 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
	size_t got = 0;
	for (;;) {
		char *p = malloc(1 << 20);
		if (!p)
			break;
		memset(p, 1, 1 << 20);
		got++;
	}
	printf("allocated %zu MiB before malloc failed\n", got);
	return 3;
}

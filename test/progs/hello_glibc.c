/* A plain static program built with glibc (gcc -static): its start-up
 * makes calls musl's does not (brk, set_robust_list, rseq, prlimit64,
 * readlink, getrandom, newfstatat); none may get it killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
	char *big = malloc(1 << 20); /* mmap'd by malloc */
	char *small = malloc(100); /* from brk */
	if (!big || !small)
		return 2;
	memset(big, 1, 1 << 20);
	strcpy(small, "glibc");
	printf("hello from %s: %s (%d args)\n", small, argv[0], argc);
	free(big);
	free(small);
	return 0;
}

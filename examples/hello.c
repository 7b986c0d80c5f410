/* hello — the smallest fakeOS program: it computes and prints, which is
 * all a plain static program may do in the jail. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from fakeOS: %s\n", argv[0]);
	for (int i = 1; i < argc; i++)
		printf("  arg %d: %s\n", i, argv[i]);
	return 0;
}

/* Prints its environment, one variable a line, then "environ: N". */
#include <stdio.h>
extern char **environ;
int main(void)
{
	int n = 0;
	for (char **e = environ; *e; e++, n++)
		printf("%s\n", *e);
	printf("environ: %d\n", n);
	return 0;
}

/* Prints "ready", then sleeps for argv[1] seconds (default 30) with
 * clock_nanosleep, which the policy allows. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	struct timespec ts = { argc > 1 ? atoi(argv[1]) : 30, 0 };
	printf("ready\n");
	fflush(stdout);
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) != 0)
		;
	printf("woke\n");
	return 0;
}

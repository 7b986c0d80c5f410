/* Copies stdin to stdout, then reports the byte count on stderr. */
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	char buf[4096];
	long total = 0;
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		if (write(1, buf, (size_t)n) != n)
			return 1;
		total += n;
	}
	fprintf(stderr, "cat: %ld bytes\n", total);
	return n < 0 ? 1 : 0;
}

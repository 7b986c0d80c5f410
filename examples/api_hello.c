/* api_hello — the smallest program that uses the fakeOS API: it starts
 * the library and prints what the broker told it about itself. Exit 0. */
#include <fakeos.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0) {
		fprintf(stderr, "api_hello: fk_init: %s\n", strerror(-r));
		return 1;
	}
	const struct fk_boot *b = fk_boot();
	printf("api_hello: url %s\n", b->url);
	printf("api_hello: id %llu, parent %llu\n", (unsigned long long)b->id,
	       (unsigned long long)b->parent);
	for (int i = 1; i < argc; i++)
		printf("api_hello: arg %d: %s\n", i, argv[i]);
	return 0;
}

/* Subscribes to one channel twice. Each subscription used to cost the
 * broker one more send of every broadcast on the channel, so a program
 * could multiply the cost of others' broadcasts by its subscription quota.
 * The second must be refused with -EEXIST, and the first keep working. */
#include "escape.h"

#include <fakeos.h>

static struct fk_event wait_for(fk_handle h)
{
	for (;;) {
		struct fk_event e;
		if (fk_wait(&e, 1, 5000000000LL) <= 0) {
			printf("no answer\n");
			exit(SETUP_FAILED);
		}
		if (e.handle == h)
			return e;
		fk_release(&e);
	}
}

int main(void)
{
	if (fk_init() < 0)
		return SETUP_FAILED;
	trying("subscribe to one channel twice");
	fk_handle first = fk_subscribe("chat");
	struct fk_event e = wait_for(first);
	if (e.type != FK_EV_OPEN)
		return SETUP_FAILED;
	fk_handle second = fk_subscribe("chat");
	e = wait_for(second);
	if (e.type == FK_EV_OPEN) {
		printf("ESCAPED: a second subscription to one channel\n");
		return ESCAPED;
	}
	printf("refused: second subscription: %s\n", strerror(-e.status));
	/* The first still delivers. */
	if (fk_broadcast("chat", "hello", 5) < 0)
		return SETUP_FAILED;
	e = wait_for(first);
	if (e.type != FK_EV_DATA || e.len != 5)
		return SETUP_FAILED;
	printf("first subscription delivers: ok\n");
	return REFUSED;
}

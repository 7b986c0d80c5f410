/* dgq.c — see dgq.h. */
#include "dgq.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct dgram {
	struct dgram *next;
	size_t len;
	uint8_t data[];
};

int dgq_write(int fd, const void *buf, size_t len)
{
	ssize_t n;
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	return n < 0 ? -errno : -EIO;
}

void dgq_push(struct dgq *q, const void *buf, size_t len)
{
	struct dgram *d = xmalloc(sizeof(*d) + len);
	d->next = NULL;
	d->len = len;
	memcpy(d->data, buf, len);
	if (q->tail)
		q->tail->next = d;
	else
		q->head = d;
	q->tail = d;
	q->bytes += len;
}

static void pop(struct dgq *q)
{
	struct dgram *d = q->head;
	q->head = d->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= d->len;
	free(d);
}

int dgq_flush(struct dgq *q, int fd)
{
	while (q->head) {
		int s = dgq_write(fd, q->head->data, q->head->len);
		if (s <= 0)
			return s;
		pop(q);
	}
	return 1;
}

void dgq_clear(struct dgq *q)
{
	while (q->head)
		pop(q);
}

/* dgq.h — a queue of datagrams bound for a program's link pipe (a
 * packet-mode pipe, which takes a datagram whole or not at all), for the
 * daemon's ends of links it serves itself: remote.c (links across hosts)
 * and httpgw.c (the HTTP gateway). What the pipe has no room for waits
 * here, in order, until the pipe has. */
#ifndef FAKEOS_DGQ_H
#define FAKEOS_DGQ_H

#include <stdbool.h>
#include <stddef.h>

struct dgram;

struct dgq {
	struct dgram *head, *tail;
	size_t bytes; /* held in the queue */
};

/* Writes one datagram to the pipe fd: 1 written, 0 no room, -errno the
 * program's end is gone (-EIO for a short write, which a packet-mode pipe
 * never makes of a page). */
int dgq_write(int fd, const void *buf, size_t len);
/* Appends a copy of buf. */
void dgq_push(struct dgq *q, const void *buf, size_t len);
/* Writes queued datagrams to fd, oldest first, while it has room: 1 the
 * queue is empty, 0 the pipe is full, -errno as dgq_write (the queue
 * keeps what was not written). */
int dgq_flush(struct dgq *q, int fd);
/* Drops every queued datagram. */
void dgq_clear(struct dgq *q);

static inline bool dgq_empty(const struct dgq *q)
{
	return !q->head;
}

#endif

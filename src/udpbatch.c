/* udpbatch.c — see udpbatch.h. */
#include "udpbatch.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h; older libc headers lack it */
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

uint8_t *udp_batch_next(struct udp_batch *b, size_t *room)
{
	*room = b->count ? b->seg : UDP_BATCH_PKT;
	return b->buf + b->len;
}

static ssize_t send_one(struct udp_batch *b, const uint8_t *p, size_t n)
{
	ssize_t w;
	do
		w = sendto(b->fd, p, n, 0, b->to, b->tolen);
	while (w < 0 && errno == EINTR);
	return w;
}

void udp_batch_flush(struct udp_batch *b)
{
	if (!b->count)
		return;
	if (b->count > 1 && !b->no_gso) {
		struct iovec iov = { b->buf, b->len };
		union {
			char buf[CMSG_SPACE(sizeof(uint16_t))];
			struct cmsghdr align;
		} u;
		memset(&u, 0, sizeof(u));
		struct msghdr m = {
			.msg_name = (void *)b->to,
			.msg_namelen = b->tolen,
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = u.buf,
			.msg_controllen = sizeof(u.buf),
		};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		uint16_t seg = (uint16_t)b->seg;
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
		ssize_t w;
		do
			w = sendmsg(b->fd, &m, 0);
		while (w < 0 && errno == EINTR);
		/* A kernel or device without it says so at once; a full
		 * buffer (EAGAIN, ENOBUFS) is loss like any other. */
		if (w >= 0 || (errno != EIO && errno != EINVAL &&
			       errno != EOPNOTSUPP)) {
			b->len = b->count = 0;
			return;
		}
		b->no_gso = true;
	}
	for (size_t off = 0; off < b->len; off += b->seg)
		send_one(b, b->buf + off,
			 b->len - off < b->seg ? b->len - off : b->seg);
	b->len = b->count = 0;
}

void udp_batch_add(struct udp_batch *b, size_t n, const struct sockaddr *to,
		   socklen_t tolen)
{
	if (b->count &&
	    (tolen != b->tolen || memcmp(to, b->to, tolen) != 0)) {
		/* Another address: the packet at the end goes on its own. */
		uint8_t pkt[UDP_BATCH_PKT];
		memcpy(pkt, b->buf + b->len, n);
		udp_batch_flush(b);
		memcpy(b->buf, pkt, n);
	}
	if (!b->count)
		b->seg = n;
	b->to = to;
	b->tolen = tolen;
	b->len += n;
	b->count++;
	if (n < b->seg || b->count == UDP_BATCH_MAX)
		udp_batch_flush(b);
}

void udp_gro_enable(int fd)
{
	int one = 1;
	(void)setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
}

/* buf is written by recvmsg, through the iovec. */
ssize_t udp_recv(int fd,
		 uint8_t *buf, /* NOLINT(readability-non-const-parameter) */
		 size_t size, struct sockaddr_storage *from,
		 socklen_t *fromlen, size_t *seg)
{
	struct iovec iov = { buf, size };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {
		.msg_name = from,
		.msg_namelen = sizeof(*from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	ssize_t n = recvmsg(fd, &m, 0);
	if (n < 0)
		return n;
	*fromlen = m.msg_namelen;
	*seg = (size_t)n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm;
	     cm = CMSG_NXTHDR(&m, cm)) {
		int gso;
		if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != UDP_GRO)
			continue;
		memcpy(&gso, CMSG_DATA(cm), sizeof(gso));
		if (gso > 0 && (size_t)gso < *seg)
			*seg = (size_t)gso;
	}
	return n;
}

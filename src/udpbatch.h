/* udpbatch.h — packets to one address gathered into one send: the kernel's
 * UDP segmentation offload (UDP_SEGMENT, Linux 4.18), which cuts the
 * buffer into the packets again, on the wire or as late as the device
 * allows (a veth hands them on whole). One system call and one route
 * lookup for up to UDP_BATCH_MAX packets, where quic.c made one each: the
 * most of a QUIC stream's cost (docs/BENCH.md, section 8). And the
 * other way, the receive offload. No ngtcp2 here: quic.c fills the buffer
 * and reads the packets. */
#ifndef FAKEOS_UDPBATCH_H
#define FAKEOS_UDPBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_BATCH_MAX 32 /* packets a send; the kernel allows 64 */
#define UDP_BATCH_PKT 1500 /* the largest packet */

struct udp_batch {
	int fd;
	bool no_gso; /* the kernel refused it once: one send a packet */
	const struct sockaddr *to;
	socklen_t tolen;
	size_t len; /* bytes gathered */
	size_t seg; /* the first packet's size: every other's but the last */
	unsigned count;
	uint8_t buf[UDP_BATCH_MAX * UDP_BATCH_PKT];
};

/* Where the next packet goes, and *room, the most it may hold: a packet
 * after the first is at most the first's size (the kernel cuts the buffer
 * at that size; only the last piece may be shorter). */
uint8_t *udp_batch_next(struct udp_batch *b, size_t *room);
/* Takes the n bytes written at udp_batch_next's place, for to (which must
 * stay valid until the send); sends the batch when it is full, when this
 * packet is shorter than the first (only the last may be), or when to is
 * another address. */
void udp_batch_add(struct udp_batch *b, size_t n, const struct sockaddr *to,
		   socklen_t tolen);
/* Sends what is gathered. A full socket buffer loses the packets as the
 * network would (QUIC sends them again). */
void udp_batch_flush(struct udp_batch *b);

/* Asks the kernel to hand the packets of one sender that arrive together
 * as one buffer (UDP_GRO, Linux 5.0), as TCP's receive offload does: one
 * receive for many. Without it, one packet a receive as before. */
void udp_gro_enable(int fd);
/* One receive, as recvfrom: up to size bytes into buf, the sender in
 * *from; *seg is the size of each packet in buf (only the last may be
 * shorter), n itself for one packet. */
ssize_t udp_recv(int fd, uint8_t *buf, size_t size,
		 struct sockaddr_storage *from, socklen_t *fromlen,
		 size_t *seg);

#endif

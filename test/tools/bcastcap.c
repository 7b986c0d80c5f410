/* bcastcap — an attacker on the LAN of test_netbcast.sh: it records a
 * broadcast that fakeosd sent across hosts, and sends it again, as it was
 * or with one byte changed. Plain sockets; it knows of the packet only
 * where its sequence number and signature lie (docs/PROTOCOL.md).
 *
 *   bcastcap capture GROUP:PORT FILE FROM SECONDS
 *       joins the group (or listens for broadcasts on PORT) and writes to
 *       FILE the first datagram from the IPv4 address FROM; exits 1 when
 *       none comes within SECONDS
 *   bcastcap send GROUP:PORT FILE COUNT
 *       sends FILE's bytes COUNT times, as one datagram each
 *   bcastcap tamper GROUP:PORT FILE
 *       sends FILE's bytes with the last byte of the payload flipped (the
 *       byte before the 64-byte signature) and the sequence number moved
 *       on by 64 (its low byte at offset 63), so that it is not refused
 *       as a replay before its signature is checked */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX 65536

static int addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int capture(const struct sockaddr_in *to, const char *file,
		   const char *from, int seconds)
{
	struct in_addr want;
	if (inet_pton(AF_INET, from, &want) != 1) {
		fprintf(stderr, "bcastcap: %s is not an IPv4 address\n", from);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = to->sin_port };
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		perror("bcastcap: bind");
		return 2;
	}
	if (IN_MULTICAST(ntohl(to->sin_addr.s_addr))) {
		struct ip_mreq mr = { .imr_multiaddr = to->sin_addr };
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) < 0) {
			perror("bcastcap: IP_ADD_MEMBERSHIP");
			return 2;
		}
	}
	printf("capturing\n");
	fflush(stdout);
	static char buf[MAX];
	time_t end = time(NULL) + seconds;
	while (time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 200) != 1)
			continue;
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&src, &sl);
		if (n <= 0 || src.sin_addr.s_addr != want.s_addr)
			continue;
		FILE *f = fopen(file, "w");
		if (!f || fwrite(buf, 1, (size_t)n, f) != (size_t)n ||
		    fclose(f) != 0) {
			perror(file);
			return 2;
		}
		printf("captured %zd bytes\n", n);
		return 0;
	}
	printf("nothing from %s in %d s\n", from, seconds);
	return 1;
}

static int send_file(const struct sockaddr_in *to, const char *file,
		     int count, int tamper)
{
	static char buf[MAX];
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		return 2;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (tamper) {
		if (n <= 64) {
			fprintf(stderr, "bcastcap: too short to tamper with\n");
			return 2;
		}
		buf[n - 65] ^= 1;
		buf[63] ^= 0x40;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, ttl = 1;
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	for (int i = 0; i < count; i++)
		if (sendto(fd, buf, n, 0, (const struct sockaddr *)to,
			   sizeof(*to)) != (ssize_t)n) {
			perror("bcastcap: sendto");
			return 2;
		}
	printf("sent %zu bytes %d times%s\n", n, count,
	       tamper ? ", tampered with" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to;
	if (argc >= 4 && addr(argv[2], &to) == 0) {
		if (argc == 6 && !strcmp(argv[1], "capture"))
			return capture(&to, argv[3], argv[4], atoi(argv[5]));
		if (argc == 5 && !strcmp(argv[1], "send"))
			return send_file(&to, argv[3], atoi(argv[4]), 0);
		if (argc == 4 && !strcmp(argv[1], "tamper"))
			return send_file(&to, argv[3], 1, 1);
	}
	fprintf(stderr, "usage: bcastcap capture|send|tamper GROUP:PORT ...\n");
	return 2;
}

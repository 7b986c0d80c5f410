/* http — GETs or PUTs one URL through fakeosd's HTTP gateway, the way a
 * program reaches data on the network without a socket
 * (include/fakeos_http.h; docs/API.md 13).
 *
 *   http get URL [WAIT_MS]   the body to stdout; WAIT_MS: wait that long
 *                            before reading it (the gateway holds the
 *                            origin meanwhile: nothing piles up)
 *   http put URL             stdin is the body
 *
 * On stderr, one line: "http: HTTP 200, 4097 bytes" or why it failed.
 * Exit 0: a 2xx answer, whole; 1: another HTTP status; 2: the gateway
 * refused (its reason is shown); 3: the body was cut; 4: a local error.
 * Run it under fakeosd with fakeos-run --raw-console for binary bodies. */
#include <errno.h>
#include <fakeos.h>
#include <fakeos_http.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ME "http"
#define PUT_MAX (64u << 20)
#define WAIT_NS (120 * 1000000000ULL) /* the gateway's limit is shorter */

static int fail(const char *what, int err)
{
	fprintf(stderr, ME ": %s: %s\n", what, strerror(-err));
	return 4;
}

/* stdin, whole. */
static uint8_t *read_all(size_t *len)
{
	size_t cap = 1 << 16;
	uint8_t *buf = malloc(cap);
	*len = 0;
	for (;;) {
		if (!buf)
			return NULL;
		ssize_t n = read(0, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? (free(buf), NULL) : buf;
		*len += (size_t)n;
		if (*len == cap) {
			if (cap >= PUT_MAX) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "get") != 0 &&
			 strcmp(argv[1], "put") != 0)) {
		fprintf(stderr, "usage: " ME " get URL [WAIT_MS] | " ME
				" put URL <BODY\n");
		return 4;
	}
	int put = strcmp(argv[1], "put") == 0;
	const char *url = argv[2];
	uint64_t wait_ns = argc > 3 ? strtoull(argv[3], NULL, 10) * 1000000ULL
				    : 0;
	if (strlen(url) > FK_HTTP_URL_MAX)
		return fail("URL", -ENAMETOOLONG);
	size_t body_len = 0, sent = 0;
	uint8_t *body = put ? read_all(&body_len) : NULL;
	if (put && !body)
		return fail("reading stdin", -EIO);

	int r = fk_init();
	if (r < 0)
		return fail("fk_init", r);
	fk_handle link = fk_link(FK_HTTP_NAME);
	if (link < 0)
		return fail("fk_link", link);

	int open = 0, asked = 0, status = 0, end = 0, exit_code = 4;
	uint64_t got = 0;
	for (;;) {
		if (open && !asked) {
			uint8_t req[FK_PAGE_SIZE];
			size_t n = fk_http_request_pack(
				req, put ? FK_HTTP_PUT : FK_HTTP_GET, body_len, url);
			if ((r = fk_send(link, req, n)) < 0)
				return fail("sending the request", r);
			asked = 1;
		}
		/* The body, as the link takes it: -EAGAIN waits for ROOM. */
		while (open && asked && sent < body_len) {
			size_t k = body_len - sent < FK_PAGE_SIZE ? body_len - sent
								  : FK_PAGE_SIZE;
			r = fk_send(link, body + sent, k);
			if (r == -EAGAIN)
				break;
			if (r < 0)
				break; /* the gateway refused: its STATUS says why */
			sent += k;
		}
		struct fk_event ev[16];
		int n = fk_wait(ev, 16, WAIT_NS);
		if (n < 0)
			return fail("fk_wait", n);
		if (n == 0) {
			fprintf(stderr, ME ": no answer\n");
			return 4;
		}
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->handle != link)
				continue;
			if (e->type == FK_EV_OPEN) {
				open = 1;
			} else if (e->type == FK_EV_CLOSED) {
				if (!end)
					fprintf(stderr, ME ": the link closed before "
						"the answer's end (%s)\n",
						strerror(-e->status));
				return end ? exit_code : 4;
			} else if (e->type == FK_EV_DATA && e->len > 0) {
				const uint8_t *d = e->data;
				if (d[0] == FK_HTTP_STATUS &&
				    e->len > sizeof(struct fk_http_status)) {
					struct fk_http_status s;
					memcpy(&s, d, sizeof(s));
					status = s.status;
					if (wait_ns) {
						/* A slow reader: the gateway
						 * holds the origin meanwhile. */
						struct timespec ts = {
							(time_t)(wait_ns / 1000000000ULL),
							(long)(wait_ns % 1000000000ULL)
						};
						nanosleep(&ts, NULL);
					}
					if (status < 0)
						fprintf(stderr, ME ": refused: %s (%.*s)\n",
							strerror(-status),
							(int)(e->len - sizeof(s)),
							(const char *)d + sizeof(s));
				} else if (d[0] == FK_HTTP_BODY) {
					fwrite(d + 1, 1, e->len - 1, stdout);
					got += e->len - 1;
				} else if (d[0] == FK_HTTP_END &&
					   e->len > sizeof(struct fk_http_end)) {
					struct fk_http_end en;
					memcpy(&en, d, sizeof(en));
					end = 1;
					fflush(stdout);
					if (status < 0) {
						exit_code = 2;
					} else if (en.status < 0) {
						fprintf(stderr, ME ": HTTP %d, cut after "
							"%llu bytes: %.*s\n", status,
							(unsigned long long)got,
							(int)(e->len - sizeof(en)),
							(const char *)d + sizeof(en));
						exit_code = 3;
					} else {
						fprintf(stderr, ME ": HTTP %d, %llu "
							"bytes\n", status,
							(unsigned long long)got);
						exit_code = status >= 200 &&
								    status <= 299 ?
							    0 :
							    1;
					}
				}
				fk_release(e);
			}
		}
	}
}

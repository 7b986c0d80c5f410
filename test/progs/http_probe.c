/* http_probe — what a hostile or careless program can do to fakeosd's
 * HTTP gateway, for test/integration/test_httpgw.sh. Prints what it saw,
 * one fact a line.
 *
 *   http_probe raw HEX     links to FK_HTTP_NAME, sends the datagram HEX
 *                          (any bytes: a malformed request) and prints the
 *                          answer: "status S REASON", "body N", "end S
 *                          REASON", "closed S"; exits at the close
 *   http_probe serve NAME  fk_serve(NAME): "serve NAME: open" or "serve
 *                          NAME: closed, status S" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeos.h"
#include "fakeos_http.h"

#define WAIT_NS (30 * 1000000000LL)

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;
	if (n > cap || n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned b;
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (uint8_t)b;
	}
	return (int)n;
}

static int raw(const char *hex)
{
	uint8_t req[FK_PAGE_SIZE];
	int len = unhex(hex, req, sizeof(req));
	if (len < 0) {
		printf("FAIL: bad hex\n");
		return 1;
	}
	fk_handle l = fk_link(FK_HTTP_NAME);
	if (l <= 0) {
		printf("FAIL: fk_link %d\n", l);
		return 1;
	}
	for (;;) {
		struct fk_event ev;
		int n = fk_wait(&ev, 1, WAIT_NS);
		if (n <= 0) {
			printf("FAIL: no event for 30 s\n");
			return 1;
		}
		if (ev.handle != l)
			continue;
		if (ev.type == FK_EV_OPEN) {
			int r = fk_send(l, req, (size_t)len);
			if (r < 0)
				printf("send %d\n", r);
		} else if (ev.type == FK_EV_CLOSED) {
			printf("closed %d\n", ev.status);
			return 0;
		} else if (ev.type == FK_EV_DATA) {
			const uint8_t *d = ev.data;
			if (d[0] == FK_HTTP_STATUS && ev.len > 16)
				printf("status %d %.*s\n",
				       ((const struct fk_http_status *)d)->status,
				       (int)ev.len - 16, (const char *)d + 16);
			else if (d[0] == FK_HTTP_END && ev.len > 16)
				printf("end %d %.*s\n",
				       ((const struct fk_http_end *)d)->status,
				       (int)ev.len - 16, (const char *)d + 16);
			else
				printf("body %u\n", ev.len - 1);
			fk_release(&ev);
		}
		fflush(stdout);
	}
}

static int serve(const char *name)
{
	fk_handle s = fk_serve(name);
	if (s <= 0) {
		printf("FAIL: fk_serve %d\n", s);
		return 1;
	}
	struct fk_event ev;
	while (fk_wait(&ev, 1, WAIT_NS) == 1) {
		if (ev.handle != s)
			continue;
		if (ev.type == FK_EV_OPEN)
			printf("serve %s: open\n", name);
		else if (ev.type == FK_EV_CLOSED)
			printf("serve %s: closed, status %d\n", name, ev.status);
		else
			continue;
		return 0;
	}
	printf("FAIL: no answer to fk_serve\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (fk_init() < 0) {
		printf("FAIL: fk_init\n");
		return 1;
	}
	if (argc > 2 && strcmp(argv[1], "raw") == 0)
		return raw(argv[2]);
	if (argc > 2 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	fprintf(stderr, "usage: http_probe raw HEX | serve NAME\n");
	return 2;
}

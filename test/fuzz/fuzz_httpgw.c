/* fuzz_httpgw.c — the HTTP gateway's request parser and URL spelling
 * (src/httpgw_wire.c): what a hostile program sends fakeosd as the first
 * datagram of a link to fakeos.http.
 *
 * The input is the datagram. What an accepted request must satisfy is
 * what the gateway relies on before it asks anything: a method of two, a
 * GET without a length, a URL of http or https, printable ASCII (it goes
 * into an HTTP request line and messages), spelled the one way (it
 * normalizes to itself), with no dot segment or encoded separator in its
 * path. A refusal must say why in a printable, terminated message, and
 * fit the STATUS datagram. */
#include <string.h>

#include "fuzz.h"
#include "httpgw_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FK_PAGE_SIZE)
		return 0;
	struct httpgw_req r;
	struct error e;
	memset(&e, 0, sizeof(e));
	int ret = httpgw_parse_request(data, size, &r, &e);
	uint8_t out[FK_PAGE_SIZE];
	if (ret < 0) {
		FUZZ_ASSERT(r.url == NULL, "a refused request kept a URL");
		FUZZ_ASSERT(e.msg[0], "a refusal without a reason");
		fuzz_printable(e.msg, sizeof(e.msg), "the reason");
		size_t n = httpgw_pack_status(out, ret, -1, e.msg);
		FUZZ_ASSERT(n <= FK_PAGE_SIZE && out[n - 1] == '\0',
			    "a STATUS of %zu bytes", n);
		return 0;
	}
	FUZZ_ASSERT(r.method == FK_HTTP_GET || r.method == FK_HTTP_PUT,
		    "method %d", r.method);
	FUZZ_ASSERT(r.method == FK_HTTP_PUT || r.length == 0,
		    "a GET with a length");
	fuzz_printable(r.url, FK_PAGE_SIZE + 16, "the URL");
	FUZZ_ASSERT(strncmp(r.url, "http://", 7) == 0 ||
			    strncmp(r.url, "https://", 8) == 0,
		    "scheme of %s", r.url);
	const char *path = strchr(strstr(r.url, "://") + 3, '/');
	FUZZ_ASSERT(path, "no path in %s", r.url);
	size_t plen = strcspn(path, "?");
	for (const char *s = path; s < path + plen; s++)
		FUZZ_ASSERT(*s != '\\' &&
				    !(s[0] == '/' && s[1] == '.' &&
				      (s[2] == '/' || s + 2 >= path + plen ||
				       (s[2] == '.' &&
					(s[3] == '/' || s + 3 >= path + plen)))),
			    "a path a server could read otherwise: %s", r.url);
	char *again = NULL;
	FUZZ_ASSERT(httpgw_normalize(r.url, &again, &e) == 0,
		    "%s does not parse again: %s", r.url, e.msg);
	FUZZ_ASSERT(strcmp(again, r.url) == 0, "%s spelled again as %s",
		    r.url, again);
	char *allow[] = { "http://127.0.0.1/pub/", "https://h:8443/a" };
	const char *hit = httpgw_allowed(allow, 2, r.url);
	FUZZ_ASSERT(!hit || hit == allow[0] || hit == allow[1], "a stray hit");
	free(again);
	free(r.url);
	return 0;
}

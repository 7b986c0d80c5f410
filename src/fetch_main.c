/* fetch_main.c — fakeos-fetch, the download helper fakeos-run runs when a
 * program must come from the network (see fetch.h). Not for users:
 *
 *   fakeos-fetch URL MAX_SIZE TIMEOUT_MS PROGRESS ETAG LAST_MODIFIED CACERT
 *                LOG_LEVEL WITHIN
 *
 * (with the body fd at 3 and the reply fd at 4; WITHIN is fetch_opts's
 * within, the prefix every redirect hop of a spawn's fetch must stay in).
 *
 * Empty strings stand for absent values. It writes the body to fd 3, then
 * one struct fetch_reply to fd 4, and exits 0; any other exit means the
 * reply was not written.
 *
 *   fakeos-fetch --post URL MAX_SIZE TIMEOUT_MS CACERT LOG_LEVEL
 *
 * POSTs the bytes of fd 3 (a crash report, crash_spool.c) and writes the
 * same reply to fd 4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fetch.h"
#include "log.h"

int main(int argc, char **argv)
{
	/* Nothing but the console, the body and the reply fd is ours to
	 * hold; fakeos-run's spawn leaves the closing to us (fetch.c). */
	if (syscall(SYS_close_range, FETCH_REPLY_FD + 1, ~0U, 0) < 0) {
		perror("fakeos-fetch: close_range");
		return 2;
	}
	log_init("fakeos-run");
	if (argc == 7 && strcmp(argv[1], "--post") == 0) {
		struct fetch_opts po = {
			.max_size = strtoull(argv[3], NULL, 10),
			.timeout_ms = strtoull(argv[4], NULL, 10),
			.cacert = argv[5][0] ? argv[5] : NULL,
		};
		log_level = (int)strtol(argv[6], NULL, 10);
		struct fetch_reply prep = { 0 };
		struct error pe = { "" };
		prep.ret = fetch_curl_post(argv[2], &po, FETCH_BODY_FD,
					   &prep.result, &pe);
		snprintf(prep.msg, sizeof(prep.msg), "%s", pe.msg);
		return write_full(FETCH_REPLY_FD, &prep, sizeof(prep)) < 0 ? 1
									    : 0;
	}
	if (argc != 10) {
		fprintf(stderr, "fakeos-fetch: run by fakeos-run, not by hand\n");
		return 2;
	}
	struct fetch_opts o = {
		.max_size = strtoull(argv[2], NULL, 10),
		.timeout_ms = strtoull(argv[3], NULL, 10),
		.progress = argv[4][0] == '1',
		.cacert = argv[7][0] ? argv[7] : NULL,
		.within = argv[9][0] ? argv[9] : NULL,
	};
	struct fetch_validators v = {
		.etag = argv[5][0] ? argv[5] : NULL,
		.last_modified = argv[6][0] ? argv[6] : NULL,
	};
	log_level = (int)strtol(argv[8], NULL, 10); /* fakeos-run's "%d" */
	struct fetch_reply rep = { 0 };
	struct error e = { "" };
	rep.ret = fetch_curl_get(argv[1], &o, &v, FETCH_BODY_FD, &rep.result,
				 &e);
	snprintf(rep.msg, sizeof(rep.msg), "%s", e.msg);
	return write_full(FETCH_REPLY_FD, &rep, sizeof(rep)) < 0 ? 1 : 0;
}

/* crash_spool.h — where crash reports wait and what sends them. A spool
 * is a directory (root's, 0700, for fakeosd; the user's own for a
 * standalone fakeos-run) of ID.UID.json files still to send, and sent/
 * for those the collector took. The sender is a worker process, so a slow
 * or absent collector never stalls the broker; it POSTs through the
 * fakeos-fetch helper (fetch_post), and what it could not send stays for
 * the next try, which the broker schedules with back-off. */
#ifndef FAKEOS_CRASH_SPOOL_H
#define FAKEOS_CRASH_SPOOL_H

#include <sys/types.h>

#include "util.h"

#define CRASH_SPOOL_MAX 256 /* pending reports kept; more are dropped */
#define CRASH_SENT_KEEP 64 /* sent reports kept for fakeosctl */
#define CRASH_RATE_MAX 5 /* reports per program (URL and sha256) ... */
#define CRASH_RATE_WINDOW_S 60 /* ... in this many seconds, by default */
#define CRASH_RATE_SLOTS 64

/* A standalone fakeos-run's spool: $XDG_STATE_HOME/fakeos/crash, else
 * $HOME/.local/state/fakeos/crash; root's /var/spool/fakeos/run-crash
 * (fakeosd's is CRASH_DAEMON_DIR, sent to its own URL). */
#define CRASH_DAEMON_DIR "/var/spool/fakeos/crash"
int crash_default_dir(char **out, struct error *e);

/* Makes dir (and dir/sent), 0700, owned by us; refuses one that exists
 * and is another's or open to others. */
int crash_spool_prepare(const char *dir, struct error *e);

/* Writes a report as DIR/ID.UID.json (written aside, then renamed, so a
 * sender never reads half of one); *id is its new number. */
int crash_spool_add(const char *dir, uid_t uid, const char *json,
		    size_t len, uint32_t *id, struct error *e);

/* True when dir holds reports to send. */
bool crash_spool_pending(const char *dir);

/* Sends every pending report, oldest first, moving each the collector
 * took (2xx) into sent/, and stops at the first it did not take. What the
 * sender worker runs. 0: all sent; -EAGAIN: some remain. */
int crash_spool_send_all(const char *dir, const char *url);

/* One line per report: "ID ACCOUNT STATE TIME REASON URL"; only uid's
 * unless uid is (uid_t)-1. */
void crash_spool_list(const char *dir, uid_t uid,
		      void (*line)(const char *s, void *arg), void *arg);
/* The report's JSON, as the file holds it, in pieces of at most
 * CRASH_SHOW_CHUNK bytes; -ENOENT when there is none that uid may see
 * (another account's report is answered as a missing one); all of uid's
 * unless uid is (uid_t)-1. */
#define CRASH_SHOW_CHUNK 8192
int crash_spool_show(const char *dir, uint32_t id, uid_t uid,
		     void (*chunk)(const char *s, size_t n, void *arg),
		     void *arg);

/* The crash-loop limit: at most max reports of one program (key: a hash
 * of its URL and sha256) per window of window_s seconds. true: report
 * it, with *suppressed the reports it dropped since the last; false: drop
 * it. */
struct crash_rate {
	uint8_t key[32];
	int64_t window; /* start, unix seconds */
	unsigned count, suppressed;
};
bool crash_rate_take(struct crash_rate tab[CRASH_RATE_SLOTS],
		     const uint8_t key[32], int64_t now, unsigned max,
		     int64_t window_s, unsigned *suppressed);

#endif

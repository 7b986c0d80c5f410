/* crash_report.h — a crash report as JSON (docs/CRASH.md) and as the one
 * summary line the user sees. The broker fills struct crash_report from
 * what it knows of the program and what crash.c collected; nothing in it
 * comes from the program's word but the bytes it was running (symbols,
 * build-id), its stack and its registers, all escaped on the way out. */
#ifndef FAKEOS_CRASH_REPORT_H
#define FAKEOS_CRASH_REPORT_H

#include "crash.h"
#include "util.h"

#define CRASH_FORMAT "fakeos-crash-1"
#define CRASH_MAX_LINKS 64

struct crash_link {
	uint32_t slot;
	uint64_t peer; /* the program at the other end */
	const char *peer_url; /* NULL: gone */
	const char *name; /* the service name it was made for */
};

struct crash_report {
	int64_t time; /* unix seconds */
	const char *url;
	const char *sha256; /* 64 hex digits, or NULL */
	const char *build_id; /* hex, or NULL */
	char *const *argv; /* NULL-terminated */
	uint32_t uid; /* the account */
	uint64_t id; /* the program's id */
	const char *reason; /* the one line: "SIGSEGV at 0x10 in f" */
	const char *syscall_name; /* the forbidden call's name, or NULL */
	unsigned suppressed; /* reports of this program dropped by the
				rate limit since the last one sent */
	const struct crash_info *ci;
	/* frames[i] symbolised: "" when no symbol holds it */
	char sym[CRASH_MAX_FRAMES][CRASH_SYM_MAX];
	uint64_t sym_off[CRASH_MAX_FRAMES];
	struct crash_link links[CRASH_MAX_LINKS];
	unsigned nlinks;
	const char *const *services; /* names it served */
	unsigned nservices;
};

/* A bounded JSON writer: past cap it stops writing and says so. */
struct json {
	char *buf;
	size_t cap, len;
	bool full;
};
void json_raw(struct json *j, const char *s);
/* A JSON string of n bytes: quotes, backslashes, control bytes and every
 * byte above 0x7e escaped as \u00XX, so any input gives valid JSON. */
void json_str(struct json *j, const char *s, size_t n);
void json_fmt(struct json *j, const char *fmt, ...) PRINTF(2, 3);

/* The report into buf (cap bytes, NUL-terminated). Returns its length, or
 * -ENOSPC when it did not fit. */
int crash_report_json(const struct crash_report *r, char *buf, size_t cap);

/* The reason line: "SIGSEGV (SEGV_MAPERR) at 0x10 in crash_here+0x4",
 * "forbidden system call socket (41) in main+0x1c". */
void crash_report_reason(const struct crash_report *r, char *out,
			 size_t cap);

#endif

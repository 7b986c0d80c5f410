/* dproto.h — the messages between fakeos-run and fakeosd on the daemon's
 * socket (/run/fakeos/fakeosd.sock, SOCK_SEQPACKET). One definition for
 * both sides; docs/PROTOCOL.md, section 14, is the prose version.
 *
 * A client sends one RUN and then any number of SIGNALs; the daemon
 * answers with a CONSOLE, three pipe ends attached (SCM_RIGHTS), which the
 * client copies to and from its own stdin, stdout and stderr, and with one
 * EXIT when the run is over, and closes. Everything the daemon has to say
 * about the run goes to the run's stderr pipe, as fakeos-run alone would
 * print it. The daemon learns who the client is from SO_PEERCRED, never
 * from a message: no field below names a user.
 *
 * Every message is one datagram: a 8-byte header, then its type's fields.
 * Little-endian, reserved fields zero, strings NUL-terminated; the daemon
 * checks all of it (dproto_check) and drops a client that sends anything
 * else, with the reason in its log and on the client's stderr. */
#ifndef FAKEOS_DPROTO_H
#define FAKEOS_DPROTO_H

#include <stddef.h>
#include <stdint.h>

#define DPROTO_VERSION 1
#define DPROTO_MAX (64 * 1024) /* the largest datagram either side sends */
#define DPROTO_URL_MAX 4096 /* URL_MAX */
#define DPROTO_ARGC_MAX 1024

enum dproto_type {
	DPROTO_RUN = 1, /* client: run a program */
	DPROTO_SIGNAL = 2, /* client: end the run as signal N would */
	DPROTO_LIST = 3, /* fakeosctl: list programs, services or names */
	DPROTO_CTL = 4, /* fakeosctl: start, stop, restart, reload */
	DPROTO_CRASH = 5, /* fakeosctl: one crash report */
	DPROTO_EXIT = 64, /* daemon: the run is over */
	DPROTO_LIST_REPLY = 65, /* daemon: lines of a listing */
	DPROTO_CTL_REPLY = 66, /* daemon: what a CTL did */
	DPROTO_CONSOLE = 67, /* daemon: the run's console, three pipe ends */
	DPROTO_CRASH_REPLY = 68, /* daemon: a crash report, in pieces */
};

struct dproto_hdr {
	uint16_t version; /* DPROTO_VERSION */
	uint16_t type;
	uint32_t len; /* the whole datagram */
};

/* RUN flags. */
#define DPROTO_RUN_STDIN 0x1u /* relay stdin (else the program reads EOF) */
#define DPROTO_RUN_RAW_CONSOLE 0x2u /* --raw-console */
#define DPROTO_RUN_OFFLINE 0x4u /* --offline */
#define DPROTO_RUN_REFRESH 0x8u /* --refresh */
#define DPROTO_RUN_FLAGS 0xfu

struct dproto_run {
	struct dproto_hdr hdr;
	uint32_t flags;
	int32_t log_level; /* -1 (-q) to 2 (-vv): what reaches the stderr */
	uint64_t memory; /* --memory in bytes; 0: none */
	uint64_t cpu_seconds; /* --cpu; 0: none */
	uint64_t wall_ms; /* --time-limit; 0: none */
	uint32_t max_programs; /* --max-programs; 0: the daemon's */
	uint32_t argc; /* arguments after the URL */
	uint32_t strings_len; /* bytes in strings[] */
	uint32_t reserved;
	/* The URL, then argc arguments, each NUL-terminated. */
	char strings[];
};

struct dproto_signal {
	struct dproto_hdr hdr;
	int32_t sig; /* SIGINT, SIGTERM, SIGHUP or SIGQUIT */
	uint32_t reserved;
};

/* CONSOLE: the run is accepted, and these travel with it (SCM_RIGHTS):
 * the write end of the pipe the programs read as stdin, and the read
 * ends of the pipes their stdout and stderr (and the daemon's messages
 * about the run) go to. The client copies between them and its own
 * console. The daemon's ends of those pipes are its own, non-blocking:
 * a client that stops reading, or whose terminal stops, holds up its own
 * run and nothing else. */
struct dproto_console {
	struct dproto_hdr hdr;
	uint32_t reserved[2];
};

struct dproto_exit {
	struct dproto_hdr hdr;
	int32_t status; /* as fakeos-run(1) exits: 0-255 */
	uint32_t reserved;
};

/* The control extension (fakeosctl). A connection that sends LIST or CTL
 * as its first message sends nothing else; the daemon answers and
 * closes. The daemon decides what the caller may see and do from its
 * SO_PEERCRED uid: root anything, another uid only listings of its own
 * account's programs and names. */
enum dproto_list_what {
	DPROTO_LIST_PROGRAMS = 1,
	DPROTO_LIST_SERVICES = 2,
	DPROTO_LIST_NAMES = 3,
	DPROTO_LIST_CRASHES = 4, /* the crash reports spooled and sent */
};

struct dproto_list {
	struct dproto_hdr hdr;
	uint32_t what; /* enum dproto_list_what */
	uint32_t reserved;
};

/* One datagram of a listing: text, whole lines each ending in '\n', no
 * NUL and no other control byte but the newline; `last` on the final one
 * (which may be empty). */
struct dproto_list_reply {
	struct dproto_hdr hdr;
	uint32_t last; /* 0 or 1 */
	uint32_t text_len; /* bytes in text[] */
	char text[];
};

enum dproto_ctl_op {
	DPROTO_CTL_START = 1,
	DPROTO_CTL_STOP = 2,
	DPROTO_CTL_RESTART = 3,
	DPROTO_CTL_RELOAD = 4, /* read /etc/fakeos again, as SIGHUP; no name */
};

#define DPROTO_NAME_SIZE 64 /* PROTO_NAME_SIZE: a service's name */

struct dproto_ctl {
	struct dproto_hdr hdr;
	uint32_t op; /* enum dproto_ctl_op */
	uint32_t reserved;
	/* The service: a name as fakeos(3) allows, zero after its NUL;
	 * all zero for RELOAD. */
	char name[DPROTO_NAME_SIZE];
};

#define DPROTO_MSG_SIZE 256

struct dproto_ctl_reply {
	struct dproto_hdr hdr;
	int32_t status; /* 0, or a negative errno: -EPERM for a non-root
			   caller, -ENOENT for no such service */
	uint32_t reserved;
	/* What happened, for fakeosctl to print: printable text, zero
	 * after its NUL. */
	char msg[DPROTO_MSG_SIZE];
};

/* CRASH: one crash report by its id (fakeosctl crash ID). Root may read
 * any; another uid only its own account's, and another's is answered
 * exactly as a missing one (-ENOENT), so ids say nothing of others. */
struct dproto_crash {
	struct dproto_hdr hdr;
	uint32_t id; /* 1 or more */
	uint32_t reserved;
};

/* The report's JSON (docs/CRASH.md), as it lies in the spool, in pieces:
 * concatenated they are the file. Text is printable ASCII and newlines
 * only (a report escapes every other byte). status < 0: no report (then
 * no text, and last is 1). */
struct dproto_crash_reply {
	struct dproto_hdr hdr;
	int32_t status; /* 0, or -ENOENT */
	uint32_t last; /* 0 or 1 */
	uint32_t text_len; /* bytes in text[] */
	uint32_t reserved;
	char text[];
};

/* Checks a datagram of n bytes: version, length, type for the direction,
 * reserved fields, flags, the strings' count and termination, the URL's
 * length, signal numbers, the status range; a listing's kind and text;
 * a control's operation, name and padding; a crash report's id; a
 * reply's status and text. Returns 0, or -EPROTO /
 * -EMSGSIZE with *why a static reason. Pure: it reads buf[0..n) only,
 * so it can be fuzzed (test/fuzz/fuzz_dproto.c). */
int dproto_check(const void *buf, size_t n, int from_client,
		 const char **why);

/* The URL and the arguments of a checked RUN: argv[0] is the URL, argv
 * has argc+1 entries and a NULL after them; the strings point into m.
 * Returns argc+1. argv must have room for DPROTO_ARGC_MAX + 2. */
unsigned dproto_run_argv(const struct dproto_run *m, char **argv);

void dproto_hdr_init(struct dproto_hdr *h, enum dproto_type type,
		     uint32_t len);

#endif

/* proto.h — the messages between a program (libfakeos) and its broker, and
 * the boot page. One definition, compiled into both sides: the broker with
 * glibc, libfakeos with musl. docs/PROTOCOL.md is the prose version.
 *
 * Every control message is one SOCK_SEQPACKET datagram of at most a page:
 * a 16-byte header, then a fixed layout for its type. All integers are
 * little-endian (the native order of the one architecture fakeOS runs on),
 * all reserved fields and padding are zero, and every string lives in a
 * fixed-size field, NUL-terminated and NUL-padded. A receiver checks all of
 * that (proto_check); the broker kills a program that sends anything else. */
#ifndef FAKEOS_PROTO_H
#define FAKEOS_PROTO_H

#include <linux/io_uring.h>
#include <stddef.h>
#include <stdint.h>

/* 2: links are pipes, and the boot page says how to read them.
 * 3: receive pages go back to the kernel through buffer rings that the
 *    broker registers (the boot page's recv_pages), not PROVIDE_BUFFERS.
 * 4: INCOMING says how many links the client's party holds to the server
 *    (party_links); the boot page says which versions the broker speaks.
 * 5: OPENED and INCOMING say who is at the other end of a link (struct
 *    proto_linked: account, host, URL, sha256), and a quota's refusal is
 *    -EDQUOT, no longer -EMFILE; the boot page's key is zero.
 * 6: LINK_ENDED says why an open link to another host ended, before its
 *    pipe's end of file (docs/PROTOCOL.md, section 6.6).
 *
 * A program speaks the newest version both it and its broker know, and
 * says which in every message's header; the broker answers it in the
 * same version (docs/PROTOCOL.md, section 12). Programs are static and
 * cached for a long time, so a broker keeps speaking every version from
 * PROTO_VERSION_MIN on. The boot page's layout has its own number: it
 * has only grown, into bytes older libraries never read. */
#define PROTO_VERSION 6
#define PROTO_VERSION_MIN 3
#define PROTO_BOOT_VERSION 3
#define PROTO_PAGE 4096
#define PROTO_NAME_SIZE 64 /* FK_NAME_MAX + 1 */
#define PROTO_URL_SIZE 1024
#define PROTO_ARGS_SIZE 2048 /* FK_SPAWN_ARGS_MAX */
#define PROTO_ARGC_MAX 64
#define PROTO_REASON_SIZE 256
#define PROTO_HOST_SIZE 64
#define PROTO_BROADCAST_MAX (PROTO_PAGE - 16 - PROTO_NAME_SIZE - 16)

/* Descriptors and ring slots every program starts with. */
#define PROTO_RING_FD 3 /* the program's io_uring */
#define PROTO_BOOT_FD 4 /* the boot page, a sealed memfd */
#define PROTO_CONTROL_SLOT 0 /* the control link, in the ring's file table */
#define PROTO_SLOTS 64 /* link slots: the control link and 63 links */
/* The ring's file table holds two files per slot. The control link is one
 * SOCK_SEQPACKET socket, file 0. A link is two pipes in packet mode
 * (O_DIRECT), one per direction: a link in slot s receives from file s
 * (a read end) and sends into file PROTO_TX_FILE(s) (a write end). */
#define PROTO_FILES (2 * PROTO_SLOTS)
#define PROTO_TX_FILE(slot) (PROTO_SLOTS + (slot))
/* IORING_OP_READ_MULTISHOT, Linux 6.7; Debian 12's kernel headers (6.1)
 * predate it, so the number is spelled out. */
#define PROTO_OP_READ_MULTISHOT 49
/* How long the broker holds a LINK to a name nobody serves yet before it
 * answers CLOSED with -ECONNREFUSED (FK_LINK_WAIT_MS in fakeos.h). */
#define PROTO_LINK_WAIT_MS 2000

/* The program's receive pages: two buffer groups, one for the links'
 * datagrams and one for the broker's messages. Their sizes are powers of
 * two, as a buffer ring needs. */
#define PROTO_GROUP_DATA 0
#define PROTO_GROUP_CONTROL 1
#define PROTO_DATA_PAGES 64
#define PROTO_CONTROL_PAGES 16
/* How the program hands receive pages to the kernel (the boot page's
 * recv_pages). PROTO_RECV_RING: the broker registered a buffer ring for
 * each group (IORING_REGISTER_PBUF_RING with IOU_PBUF_RING_MMAP, Linux
 * 6.4), empty; the program maps group g's ring from its ring descriptor at
 * PROTO_RECV_RING_OFF(g) and gives a page back by writing an entry and
 * moving the ring's tail, with no SQE and no CQE. PROTO_RECV_PROVIDE: an
 * older kernel; the program sends PROVIDE_BUFFERS SQEs, which only then
 * the ring allows. Debian 12's headers (6.1) predate the ring offsets. */
#define PROTO_RECV_PROVIDE 1
#define PROTO_RECV_RING 2
#define PROTO_PBUF_RING_MMAP 1 /* IOU_PBUF_RING_MMAP */
#define PROTO_RECV_RING_OFF(group) (0x80000000ULL | ((uint64_t)(group) << 16))

/* The SQE flags a program's ring accepts (ring.c registers them; every SQE
 * must also carry IOSQE_FIXED_FILE). IO_LINK lets libfakeos hand the
 * kernel a run of datagrams for one link that it sends strictly in order:
 * two unlinked sends to one socket may be retried in either order when the
 * first waits for room. It only orders SQEs; each is still checked against
 * the allowed opcodes. */
#define PROTO_RING_SQE_FLAGS \
	(IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT | IOSQE_IO_LINK)

enum proto_type {
	/* program -> broker: requests. hdr.handle is the program's handle
	 * for what is asked, chosen by the program. */
	PROTO_LINK = 1, /* struct proto_name: the service */
	PROTO_SERVE, /* struct proto_name: the name to serve */
	PROTO_SUBSCRIBE, /* struct proto_name: the channel */
	PROTO_BROADCAST, /* struct proto_broadcast (handle 0) */
	PROTO_SPAWN, /* struct proto_spawn */
	PROTO_KILL, /* no body: hdr.handle is the child */
	PROTO_CLOSE, /* struct proto_close: an open link by its slot, or
			what hdr.handle names (a link still being opened,
			a service, a subscription, a child) when slot is 0.
			Links go by slot because the broker never learns
			the handles a program picks for incoming links. */
	PROTO_REQUEST_LAST = PROTO_CLOSE,

	/* broker -> program: events. hdr.handle is the program's handle. */
	PROTO_OPENED = 64, /* struct proto_opened; version 5: struct
			      proto_linked */
	PROTO_INCOMING, /* as OPENED: hdr.handle is the serve handle,
			   body.slot the new link's slot */
	PROTO_CLOSED, /* struct proto_status */
	PROTO_EXITED, /* struct proto_exited */
	PROTO_DELIVER, /* struct proto_broadcast: hdr.handle is the
			  subscription, body.dropped the losses */
	PROTO_LINK_ENDED, /* version 6: struct proto_ended, handle 0 */
	PROTO_EVENT_LAST = PROTO_LINK_ENDED,
};

struct proto_hdr {
	uint16_t version; /* PROTO_VERSION */
	uint16_t type; /* enum proto_type */
	uint32_t len; /* the whole datagram, header included */
	int32_t handle;
	uint32_t reserved; /* 0 */
};

struct proto_name {
	struct proto_hdr hdr;
	char name[PROTO_NAME_SIZE];
};

struct proto_spawn {
	struct proto_hdr hdr;
	uint32_t argc; /* strings in args */
	uint32_t args_len; /* bytes used in args, each string NUL-ended */
	char url[PROTO_URL_SIZE];
	char args[PROTO_ARGS_SIZE]; /* argv[1..], NUL-separated */
};

struct proto_broadcast {
	struct proto_hdr hdr;
	char channel[PROTO_NAME_SIZE];
	uint32_t dropped; /* DELIVER: messages this subscriber lost before
			     this one; BROADCAST: 0 */
	uint32_t reserved[3];
	uint8_t data[]; /* hdr.len - sizeof(struct proto_broadcast) bytes */
};

struct proto_close {
	struct proto_hdr hdr;
	uint32_t slot; /* an open link's slot, or 0 */
	uint32_t reserved;
};

struct proto_opened {
	struct proto_hdr hdr;
	uint32_t slot; /* links: the ring file-table slot; else 0 */
	uint32_t party_links; /* INCOMING, version 4: the links the client's
				 party (the client, or its ancestor that the
				 server does not descend from, with all that
				 ancestor spawned) holds to this server, this
				 one included; else 0 */
	uint64_t peer; /* links: the peer program's id; children: the
			  child's id; else 0 */
};

/* Version 5: who is at the other end of a link, as the broker knows it
 * (it started that program), never as the program says. */
struct proto_peer {
	uint32_t uid; /* its account: the uid whose launch (fakeos-run, or a
			 fakeosd client or service) started its tree */
	uint32_t reserved; /* 0 */
	uint8_t sha256[32]; /* of the program's bytes, as verified */
	char host[PROTO_HOST_SIZE]; /* "": this host. Reserved for remote
				       links; a service that filters on
				       uid checks it too. */
	char url[PROTO_URL_SIZE]; /* the URL it was started from */
};

/* OPENED and INCOMING in version 5: the version-4 body, then the peer.
 * For an OPENED of anything but a link (a served name, a subscription, a
 * child: slot 0), who is all zero. */
struct proto_linked {
	struct proto_opened o;
	struct proto_peer who;
};

struct proto_status {
	struct proto_hdr hdr;
	int32_t status; /* 0, or -errno */
	uint32_t reserved;
};

/* Version 6: why the open link in slot ended, when its other end is on
 * another host (its proto_peer.host is not ""), where end of file alone
 * cannot say. The broker sends it before it closes the link's pipe, and
 * never after the program's CLOSE of that slot; handle 0, because the
 * broker never learns the handles a program picks for incoming links.
 * The program reports the status once it has read the pipe to its end
 * (docs/PROTOCOL.md, section 6.6). */
struct proto_ended {
	struct proto_hdr hdr;
	uint32_t slot; /* 1 .. PROTO_SLOTS - 1 */
	int32_t status; /* 0, or -errno (quic.h's list) */
};

struct proto_exited {
	struct proto_hdr hdr;
	int32_t status; /* as fakeos-run(1) would exit */
	uint32_t reserved;
	char reason[PROTO_REASON_SIZE]; /* why it never started, or "" */
};

/* The boot page: a sealed memfd at PROTO_BOOT_FD that the program maps
 * read-only. The ring's geometry has to reach the program before it can
 * receive any message, so it travels here, and the rest of what the
 * program must know about itself travels with it. */
#define PROTO_BOOT_MAGIC 0x746f6f426b4f6b46ULL /* "FkOkBoot" */
struct proto_boot {
	uint64_t magic;
	uint32_t version; /* PROTO_BOOT_VERSION: the layout */
	uint32_t ring_fd; /* PROTO_RING_FD */
	uint32_t slots; /* PROTO_SLOTS */
	uint32_t control_slot; /* PROTO_CONTROL_SLOT */
	/* The one opcode the ring allows for reading a link:
	 * PROTO_OP_READ_MULTISHOT, or IORING_OP_READ (one datagram per
	 * SQE) on a kernel without it. */
	uint32_t link_read;
	uint32_t recv_pages; /* PROTO_RECV_RING or PROTO_RECV_PROVIDE */
	uint64_t id;
	uint64_t parent;
	/* Up to version 4, 32 random bytes meant as the program's
	 * credential, which nothing ever checked. From version 5 the broker
	 * writes zeros: a service learns who calls it from the broker
	 * (struct proto_peer), not from a secret the caller could pass on
	 * (docs/API.md, section 8.1). The bytes stay, so the layout does. */
	uint8_t key[32];
	struct io_uring_params params; /* as io_uring_setup filled them */
	char url[PROTO_URL_SIZE];
	/* Added within version 2, where the bytes after url were zero (and
	 * unchecked), so programs built before it start as they did: how many
	 * CPUs the program may run on (its affinity mask, inherited from the
	 * broker) when it started; 0 from a broker that does not say.
	 * libfakeos polls in fk_wait unless this is 1: on one CPU a poll
	 * holds the CPU its peer needs to answer. */
	uint32_t cpus;
	/* Added in version 4, in bytes that were zero before: the newest
	 * protocol version the broker speaks (it speaks every one from
	 * PROTO_VERSION_MIN on); 0 from a broker that speaks only 3. */
	uint32_t broker_version;
};

/* Checks a received datagram of n bytes against its type's layout: a
 * version from PROTO_VERSION_MIN to PROTO_VERSION (the receiver checks
 * that it is the one agreed), the exact length, zero reserved fields, terminated strings,
 * names from [A-Za-z0-9._-], handles in range, spawn arguments that add
 * up. from_program selects which types are legal. Returns 0 or -EPROTO
 * (-EMSGSIZE for a bad length), and points *why at a static reason for
 * the log. Pure: it reads buf[0..n) only, so it can be fuzzed. */
int proto_check(const void *buf, size_t n, int from_program,
		const char **why);

/* True when s is a valid service or channel name (1..63 bytes of
 * [A-Za-z0-9._-]). */
int proto_name_ok(const char *s);

/* Fills a header, of version PROTO_VERSION: a sender that agreed on an
 * older one sets hdr.version after. */
void proto_hdr_init(struct proto_hdr *h, enum proto_type type, uint32_t len,
		    int32_t handle);

#endif

/* event.c — what comes out of the ring: fk_wait, fk_release, and the
 * handling of each completion and of each message from the broker. Every
 * completion yields at most one event, so fk_wait can stop at max and
 * leave the rest in the CQ for the next call. See lib.h. */
#include "lib/lib.h"

#include <errno.h>
#include <string.h>

/* --- receive pages -------------------------------------------------------- */

/* The page a receive completion filled, taken out of the pool's count;
 * -1 if it carries none. */
static int take_page(const struct io_uring_cqe *cqe, unsigned group)
{
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return -1;
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (bid >= lib_group_pages(group))
		lib_fatal("the kernel filled an unknown buffer %u", bid);
	unsigned page = group == LIB_GROUP_DATA ? bid : LIB_DATA_PAGES + bid;
	if (lib.held[page])
		lib_fatal("the kernel filled buffer %u twice", bid);
	lib.held[page] = 1;
	lib.avail[group]--;
	return (int)page;
}

static int event(struct fk_event *ev, enum fk_event_type type, fk_handle h,
		 int32_t status)
{
	ev->type = type;
	ev->handle = h;
	ev->status = status;
	return 1;
}

static int32_t clamp(uint64_t v)
{
	return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* --- messages from the broker --------------------------------------------- */

/* Keeps who is at the other end of the link in slot (version 5; older
 * brokers do not say, and fk_peer answers -EPROTONOSUPPORT). */
static void keep_peer(const struct proto_opened *m, unsigned slot)
{
	struct fk_peer *p = &lib.peers[slot];
	memset(p, 0, sizeof(*p));
	p->id = m->peer;
	if (m->hdr.version < 5)
		return;
	const struct proto_peer *w = &((const struct proto_linked *)m)->who;
	p->uid = w->uid;
	memcpy(p->sha256, w->sha256, sizeof(p->sha256));
	memcpy(p->host, w->host, sizeof(p->host));
	memcpy(p->url, w->url, sizeof(p->url));
}

static int on_opened(const struct proto_opened *m, struct fk_event *ev)
{
	fk_handle h = m->hdr.handle;
	struct lib_entry *e = lib_live(h);
	if (!e) {
		/* Closed while it was being opened: the broker learnt of the
		 * close too late and made the link anyway. */
		if (m->slot)
			lib_note(PROTO_CLOSE, h, m->slot);
		return 0;
	}
	if (e->open || e->kind == LIB_TIMER)
		lib_fatal("OPENED for handle %d, which is not being opened", h);
	if (e->kind == LIB_LINK) {
		if (!m->slot || lib.slot_owner[m->slot])
			lib_fatal("OPENED gives link %d slot %u, not free", h,
				  m->slot);
		e->slot = m->slot;
		lib.slot_owner[m->slot] = h;
		keep_peer(m, m->slot);
		lib_recv_arm(h, m->slot);
	} else if (m->slot) {
		lib_fatal("OPENED gives handle %d a slot but it is no link", h);
	}
	e->open = 1;
	ev->peer = m->peer;
	return event(ev, FK_EV_OPEN, h, 0);
}

static int on_incoming(const struct proto_opened *m, struct fk_event *ev)
{
	fk_handle serve = m->hdr.handle;
	if (lib.slot_owner[m->slot])
		lib_fatal("INCOMING on slot %u, which is taken", m->slot);
	struct lib_entry *s = lib_live(serve);
	if (s && s->kind != LIB_SERVE)
		lib_fatal("INCOMING for handle %d, which serves nothing", serve);
	/* For a name no longer served, or with no handle left to give it,
	 * the link is refused: its client sees it close. */
	struct lib_entry *e = s ? lib_entry_new(LIB_LINK) : NULL;
	if (!e) {
		lib_note(PROTO_CLOSE, serve, m->slot);
		return 0;
	}
	e->open = 1;
	e->slot = m->slot;
	lib.slot_owner[m->slot] = e->handle;
	keep_peer(m, m->slot);
	lib_recv_arm(e->handle, m->slot);
	ev->source = serve;
	ev->peer = m->peer;
	/* 0 from a broker that speaks version 3. */
	return event(ev, FK_EV_INCOMING, e->handle, (int)m->party_links);
}

static int on_closed(const struct proto_status *m, struct fk_event *ev)
{
	fk_handle h = m->hdr.handle;
	struct lib_entry *e = lib_live(h);
	if (!e)
		return 0;
	/* An open link ends by end of file, never by CLOSED: its slot is
	 * ours until we send CLOSE, so the broker cannot have reused it. */
	if (e->kind == LIB_TIMER || (e->kind == LIB_LINK && e->open))
		lib_fatal("CLOSED for handle %d, which is not being opened", h);
	lib_entry_free(e);
	return event(ev, FK_EV_CLOSED, h, m->status);
}

/* The end of a link to another host: CLOSED with the broker's status
 * once both LINK_ENDED and the end of file are in. The broker sends
 * LINK_ENDED before it closes the pipe, so the second part is on its way
 * when the first arrives: every datagram that came is read before the
 * end is reported, and nothing waits for a part that will not come. */
static int link_end(struct lib_entry *e, struct fk_event *ev)
{
	if (!e->eof || !e->ended)
		return 0;
	fk_handle h = e->handle;
	int32_t status = e->end_status;
	lib_link_teardown(e);
	return event(ev, FK_EV_CLOSED, h, status);
}

static int on_link_ended(const struct proto_ended *m, struct fk_event *ev)
{
	struct lib_entry *e = lib_live(lib.slot_owner[m->slot]);
	/* Nobody's, or closed: the program closed it first (its CLOSE and
	 * this crossed), and the broker reuses a slot only after that
	 * CLOSE, so this is that link's news, and none. */
	if (!e || e->kind != LIB_LINK || !e->open || e->ended)
		return 0;
	e->ended = 1;
	e->end_status = m->status;
	return link_end(e, ev);
}

static int on_exited(const struct proto_exited *m, unsigned page,
		     struct fk_event *ev)
{
	fk_handle h = m->hdr.handle;
	struct lib_entry *e = lib_live(h);
	if (!e)
		return 0; /* closed: its end is no news */
	if (e->kind != LIB_CHILD)
		lib_fatal("EXITED for handle %d, which is no child", h);
	lib_entry_free(e);
	if (m->reason[0]) {
		ev->data = m->reason;
		ev->len = (uint32_t)strlen(m->reason);
		ev->page = page + 1;
	}
	return event(ev, FK_EV_EXIT, h, m->status);
}

static int on_deliver(const struct proto_broadcast *m, size_t n,
		      unsigned page, struct fk_event *ev)
{
	fk_handle h = m->hdr.handle;
	struct lib_entry *e = lib_live(h);
	if (!e)
		return 0; /* unsubscribed since */
	if (e->kind != LIB_SUB)
		lib_fatal("DELIVER for handle %d, which is no subscription", h);
	ev->data = m->data;
	ev->len = (uint32_t)(n - sizeof(*m));
	ev->page = page + 1;
	return event(ev, FK_EV_DATA, h, clamp(m->dropped));
}

/* One message in page; the page goes back unless the event holds it. */
static int on_message(unsigned page, size_t n, struct fk_event *ev)
{
	const void *buf = lib_page_ptr(page);
	const char *why;
	int r = 0;
	if (proto_check(buf, n, 0, &why) < 0)
		lib_fatal("bad message from the broker: %s", why);
	if (((const struct proto_hdr *)buf)->version != lib.version)
		lib_fatal("bad message from the broker: protocol version %u, "
			  "not %u",
			  ((const struct proto_hdr *)buf)->version, lib.version);
	switch (((const struct proto_hdr *)buf)->type) {
	case PROTO_OPENED:
		r = on_opened(buf, ev);
		break;
	case PROTO_INCOMING:
		r = on_incoming(buf, ev);
		break;
	case PROTO_CLOSED:
		r = on_closed(buf, ev);
		break;
	case PROTO_EXITED:
		r = on_exited(buf, page, ev);
		break;
	case PROTO_DELIVER:
		r = on_deliver(buf, n, page, ev);
		break;
	case PROTO_LINK_ENDED:
		r = on_link_ended(buf, ev);
		break;
	}
	if (!r || !ev->page)
		lib_page_give(page);
	return r;
}

/* --- completions ------------------------------------------------------------ */

static int on_control_recv(const struct io_uring_cqe *cqe, struct fk_event *ev)
{
	int page = take_page(cqe, LIB_GROUP_CONTROL);
	int r = 0;
	if (page >= 0) {
		if (cqe->res > 0)
			r = on_message((unsigned)page, (size_t)cqe->res, ev);
		else
			lib_page_give((unsigned)page);
	}
	if (cqe->flags & IORING_CQE_F_MORE)
		return r;
	if (cqe->res == -ENOBUFS)
		lib.control_parked = 1; /* lib_flush re-arms it */
	else if (cqe->res > 0)
		lib_recv_arm(0, PROTO_CONTROL_SLOT);
	else if (cqe->res == 0)
		lib_fatal("the broker closed the control link");
	else
		lib_fatal("receiving from the broker: %s", strerror(-cqe->res));
	return r;
}

static int on_link_recv(const struct io_uring_cqe *cqe, fk_handle h,
			struct fk_event *ev)
{
	int page = take_page(cqe, LIB_GROUP_DATA);
	struct lib_entry *e = lib_find(h);
	int r = 0;
	if (!e || e->kind != LIB_LINK) {
		/* A read that outlived its link (cancelled at teardown,
		 * or it took a datagram first): only its page matters. */
		if (page >= 0)
			lib_page_give((unsigned)page);
		return 0;
	}
	/* A read takes at most a page, and a pipe in packet mode gives it
	 * one datagram: a peer that writes more than a page at once (only
	 * one that bypasses libfakeos can) arrives as several. */
	int res = cqe->res;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		e->reading = 0;
	if (page >= 0) {
		if (res > 0 && !e->dead) {
			ev->data = lib_page_ptr((unsigned)page);
			ev->len = (uint32_t)res;
			ev->page = (uint32_t)page + 1;
			r = event(ev, FK_EV_DATA, h, 0);
		} else {
			lib_page_give((unsigned)page);
		}
	}
	if (cqe->flags & IORING_CQE_F_MORE && res >= 0)
		return r;
	if (res == -ENOBUFS) {
		/* No page left: the data waits in the pipe, the peer
		 * feels back-pressure, and lib_flush re-arms the receive
		 * once a page comes back. */
		e->parked = 1;
		lib_work(e);
		return r;
	}
	if (res > 0) {
		lib_recv_arm(h, e->slot);
		return r;
	}
	/* End of file (the peer closed or exited) or an error. A link to
	 * another host reports the broker's reason for it. */
	if (res == 0 && !e->dead && lib_link_remote(e)) {
		e->eof = 1;
		return link_end(e, ev);
	}
	if (!e->dead)
		r = event(ev, FK_EV_CLOSED, h, res);
	lib_link_teardown(e);
	return r;
}

static int on_send(const struct io_uring_cqe *cqe, fk_handle h, unsigned buf,
		   struct fk_event *ev)
{
	if (buf >= LIB_SEND_PAGES + LIB_NOTES)
		lib_fatal("send completion for unknown buffer %u", buf);
	int ok = cqe->res == (int)lib.sb[buf].len;
	lib_sbuf_put(buf);
	if (h == 0) {
		lib.control.inflight--;
		if (!ok)
			lib_fatal("sending to the broker: %s",
				  cqe->res < 0 ? strerror(-cqe->res)
					       : "short send");
		return 0;
	}
	struct lib_entry *e = lib_find(h);
	if (!e || e->kind != LIB_LINK)
		return 0; /* a link torn down since */
	e->q.inflight--;
	if (ok) {
		if (!e->q.inflight && (e->q.queued || e->dead))
			lib_work(e);
		/* Wake a refused sender once half the queue is free, not
		 * for every datagram that leaves. */
		if (e->want_room &&
		    e->q.queued + e->q.inflight <= LIB_LINK_QUEUE / 2) {
			e->want_room = 0;
			return event(ev, FK_EV_ROOM, h, 0);
		}
		return 0;
	}
	/* A datagram did not go: the link is over. EPIPE means the peer
	 * closed first, which is the orderly end its receive reports. A
	 * link to another host reports it from the receive side only, once
	 * every datagram that came is read and the broker said why. */
	if (lib_link_remote(e) && !e->dead) {
		lib_drop_queue(&e->q);
		return 0;
	}
	int r = 0;
	if (!e->dead)
		r = event(ev, FK_EV_CLOSED, h,
			  cqe->res == -EPIPE ? 0 : cqe->res < 0 ? cqe->res : -EIO);
	lib_link_teardown(e);
	return r;
}

static int on_timer(const struct io_uring_cqe *cqe, fk_handle h,
		    struct fk_event *ev)
{
	struct lib_entry *e = lib_find(h);
	if (!e)
		return 0; /* closed by fk_close: a stale expiry */
	if (e->kind != LIB_TIMER || !e->armed)
		lib_fatal("timer completion for handle %d, not armed", h);
	e->armed = 0;
	if (cqe->res != -ETIME)
		lib_fatal("timer %d: %s", h, strerror(-cqe->res));
	if (!e->period) {
		lib_entry_free(e);
		return event(ev, FK_EV_TIMER, h, 1);
	}
	/* Periods that passed while the program was busy are reported, not
	 * replayed; the next expiry stays on the original grid. */
	uint64_t now = fk_now(), n = 1;
	if (now > e->deadline)
		n += (now - e->deadline) / e->period;
	e->deadline += n * e->period;
	lib_timer_arm(e);
	return event(ev, FK_EV_TIMER, h, clamp(n));
}

int lib_dispatch(const struct io_uring_cqe *cqe, struct fk_event *ev)
{
	fk_handle h = (fk_handle)(uint32_t)(cqe->user_data >> 32);
	unsigned buf = (unsigned)(cqe->user_data >> 8) & 0xffff;
	switch ((enum lib_op)(cqe->user_data & 0xff)) {
	case LIB_OP_RECV:
		return h ? on_link_recv(cqe, h, ev) : on_control_recv(cqe, ev);
	case LIB_OP_SEND:
		return on_send(cqe, h, buf, ev);
	case LIB_OP_TIMER:
		return on_timer(cqe, h, ev);
	case LIB_OP_UNTIMER:
		/* 0: cancelled; -ENOENT or -EALREADY: it had fired already.
		 * Anything else means the kernel kept the timer. */
		if (cqe->res < 0 && cqe->res != -ENOENT &&
		    cqe->res != -EALREADY)
			lib_fatal("cancelling a closed timer: %s",
				  strerror(-cqe->res));
		return 0;
	case LIB_OP_UNRECV:
		/* 0: cancelled; -ENOENT or -EALREADY: it had ended. Either
		 * way nothing more is owed to the link, which is gone. */
		return 0;
	case LIB_OP_PROVIDE:
		if (cqe->res < 0)
			lib_fatal("handing receive pages to the kernel: %s",
				  strerror(-cqe->res));
		return 0;
	}
	lib_fatal("completion with unknown user_data %#llx",
		  (unsigned long long)cqe->user_data);
}

/* --- waiting -------------------------------------------------------------- */

/* Handles completions until max events are stored or the CQ is empty. */
static unsigned reap(struct fk_event *ev, unsigned max)
{
	unsigned n = 0;
	struct io_uring_cqe *cqe;
	while (n < max && io_uring_peek_batch_cqe(&lib.ring, &cqe, 1) == 1) {
		struct io_uring_cqe c = *cqe;
		io_uring_cqe_seen(&lib.ring, cqe);
		memset(&ev[n], 0, sizeof(ev[n]));
		n += (unsigned)lib_dispatch(&c, &ev[n]);
	}
	return n;
}

/* How long fk_wait polls before it sleeps. A sleeping program is woken by
 * the kernel's task work and a reschedule, often on another CPU: tens of
 * microseconds on a virtual machine, and the whole of a round trip's cost
 * there. A peer that answers within this window is seen without sleeping;
 * one that does not costs at most this much CPU per wait.
 *
 * Polling only pays while the peer runs on another CPU meanwhile. A
 * program that may run on one CPU only (lib.spin 0) never polls. Where
 * programs outnumber CPUs, a poll holds a CPU that a peer is waiting for,
 * and a round trip took about 46 us where sleeping at once took 8; so a
 * poll that runs out its window without a completion makes the next
 * polls skip (1, then 2, 4, ... up to LIB_SPIN_SKIP_MAX waits sleep at
 * once between tries), and one that is answered while it polls ends the
 * back-off. docs/API.md, section 3.12. */
#define LIB_SPIN_NS 20000
#define LIB_SPIN_SKIP_MAX 256

enum spin_result {
	SPIN_READY_AT_ONCE, /* a completion was there at the first look */
	SPIN_ANSWERED, /* one came while it polled */
	SPIN_DEADLINE, /* the caller's deadline came first */
	SPIN_IN_VAIN, /* the whole window passed without one */
	SPIN_SKIPPED, /* it did not poll: one CPU, or backing off */
};

/* Polls for up to LIB_SPIN_NS (and not past deadline): each io_uring_enter
 * with GETEVENTS runs the task work that completes receives, and submits
 * what is queued. Returns an enum spin_result, or -errno. */
static int spin(int64_t timeout, uint64_t deadline)
{
	uint64_t end = fk_now() + LIB_SPIN_NS;
	int capped = timeout > 0 && deadline < end;
	if (capped)
		end = deadline;
	for (int first = 1;; first = 0) {
		int r = io_uring_submit_and_get_events(&lib.ring);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
			return r;
		if (io_uring_cq_ready(&lib.ring))
			return first ? SPIN_READY_AT_ONCE : SPIN_ANSWERED;
		if (fk_now() >= end)
			return capped ? SPIN_DEADLINE : SPIN_IN_VAIN;
	}
}

/* Whether this wait polls first, and what its poll teaches the next ones. */
static int poll_then(int64_t timeout, uint64_t deadline)
{
	if (!lib.spin)
		return SPIN_SKIPPED;
	if (lib.spin_skip) {
		lib.spin_skip--;
		return SPIN_SKIPPED;
	}
	int s = spin(timeout, deadline);
	if (s == SPIN_ANSWERED) {
		lib.spin_backoff = 0;
	} else if (s == SPIN_IN_VAIN) {
		unsigned b = lib.spin_backoff;
		lib.spin_backoff = b == 0 ? 1 :
				   b >= LIB_SPIN_SKIP_MAX ? LIB_SPIN_SKIP_MAX :
							    2 * b;
		lib.spin_skip = lib.spin_backoff;
	}
	return s;
}

/* Submits what is queued and waits for a completion until deadline
 * (timeout < 0: for ever; 0: does not wait), polling first (poll_then). */
static int enter(int64_t timeout, uint64_t deadline)
{
	struct io_uring_cqe *cqe;
	if (timeout == 0)
		return io_uring_submit_and_get_events(&lib.ring);
	int s = poll_then(timeout, deadline);
	if (s < 0)
		return s;
	if (s == SPIN_READY_AT_ONCE || s == SPIN_ANSWERED)
		return 0;
	if (timeout < 0)
		return io_uring_submit_and_wait_timeout(&lib.ring, &cqe, 1,
							NULL, NULL);
	uint64_t now = fk_now(), left = now < deadline ? deadline - now : 0;
	struct __kernel_timespec ts = {
		.tv_sec = (long long)(left / 1000000000),
		.tv_nsec = (long long)(left % 1000000000),
	};
	return io_uring_submit_and_wait_timeout(&lib.ring, &cqe, 1, &ts, NULL);
}

int fk_wait(struct fk_event *ev, unsigned max, int64_t timeout)
{
	if (!lib.ready)
		return -EBADF;
	if (!ev || !max)
		return -EINVAL;
	uint64_t deadline = timeout > 0 ? fk_now() + (uint64_t)timeout : 0;
	for (;;) {
		int entered = 0, r = 0;
		lib_flush();
		if (io_uring_cq_ready(&lib.ring) || lib.wake) {
			/* Something to report already: no waiting, but what
			 * is queued goes now, so that a program that always
			 * finds events ready still gets its sends out. */
			if (io_uring_sq_ready(&lib.ring)) {
				r = io_uring_submit_and_get_events(&lib.ring);
				entered = 1;
			}
		} else {
			r = enter(timeout, deadline);
			entered = 1;
		}
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN &&
		    r != -EBUSY)
			return r;
		/* What handling completions queues (re-armed receives, the
		 * next sends, CLOSEs) goes with the next call. */
		unsigned n = reap(ev, max);
		if (n < max && lib.wake) {
			/* The library's send pages ran out and came back: any
			 * refused fk_send can be tried again. */
			lib.wake = 0;
			memset(&ev[n], 0, sizeof(ev[n]));
			n += (unsigned)event(&ev[n], FK_EV_ROOM, 0, 0);
		}
		if (n)
			return (int)n;
		if (entered && (timeout == 0 ||
				(timeout > 0 && fk_now() >= deadline)))
			return 0;
	}
}

void fk_release(struct fk_event *ev)
{
	if (!lib.ready || !ev || !ev->page)
		return;
	unsigned page = ev->page - 1;
	ev->page = 0;
	ev->data = NULL;
	ev->len = 0;
	if (page < LIB_RECV_PAGES && lib.held[page])
		lib_page_give(page);
}

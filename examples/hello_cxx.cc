// hello_cxx — the fakeOS API from C++, built with fakeos-c++: C++17
// without its runtime (no exceptions, RTTI, new or standard library; see
// tools/fakeos-cc). It serves a name, links to itself, and sends a ping
// that comes back as an event; handles are closed by destructors, and
// the peer is named by fk_peer. Exit 0 when the ping arrived.
#include <fakeos.h>
#include <stdio.h>
#include <string.h>

namespace {

// A handle that is closed when it goes out of scope.
class Handle {
public:
	explicit Handle(fk_handle h) : h_(h) {}
	~Handle()
	{
		if (h_ > 0)
			fk_close(h_);
	}
	Handle(const Handle &) = delete;
	Handle &operator=(const Handle &) = delete;
	fk_handle get() const { return h_; }
	bool ok() const { return h_ > 0; }

private:
	fk_handle h_;
};

constexpr int64_t kSecond = 1000000000LL;

// Waits (at most 5 s) for the first event that pred accepts.
template <typename Pred> bool wait_for(fk_event &ev, Pred pred)
{
	uint64_t end = fk_now() + 5 * kSecond;
	while (fk_now() < end) {
		if (fk_wait(&ev, 1, 5 * kSecond) != 1)
			continue;
		if (pred(ev))
			return true;
		fk_release(&ev);
	}
	return false;
}

int fail(const char *what, int r)
{
	printf("hello_cxx: %s: %s\n", what, strerror(-r));
	return 1;
}

} // namespace

int main()
{
	int r = fk_init();
	if (r < 0)
		return fail("fk_init", r);
	Handle srv(fk_serve("hello-cxx"));
	fk_event ev;
	if (!srv.ok() || !wait_for(ev, [&](const fk_event &e) {
		    return e.handle == srv.get();
	    }) || ev.type != FK_EV_OPEN)
		return fail("fk_serve", srv.get());
	Handle link(fk_link("hello-cxx"));
	// Two events, in either order: the client end opens, and the server
	// end arrives. fk_send waits for the first.
	bool open = false;
	fk_handle in = 0;
	if (!wait_for(ev, [&](const fk_event &e) {
		    open = open || (e.handle == link.get() &&
				    e.type == FK_EV_OPEN);
		    if (e.type == FK_EV_INCOMING)
			    in = e.handle;
		    return open && in;
	    }))
		return fail("the link did not open", -ETIMEDOUT);
	Handle server_end(in);
	if ((r = fk_send(link.get(), "ping", 4)) < 0)
		return fail("fk_send", r);
	if (!wait_for(ev, [&](const fk_event &e) {
		    return e.handle == in && e.type == FK_EV_DATA;
	    }))
		return fail("no ping", -ETIMEDOUT);
	// As with stat(2), the struct is named with its tag: the function
	// of the same name hides the bare name in C++.
	struct fk_peer who;
	if ((r = fk_peer(in, &who)) < 0)
		return fail("fk_peer", r);
	printf("hello_cxx: got %.*s from id %llu, %s\n", (int)ev.len,
	       static_cast<const char *>(ev.data),
	       static_cast<unsigned long long>(who.id), who.url);
	fk_release(&ev);
	return 0;
}

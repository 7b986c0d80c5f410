/* curl_loop.c — see curl_loop.h. */
#include "curl_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

static int on_socket(CURL *h, curl_socket_t s, int what, void *arg,
		     void *sp)
{
	(void)h;
	(void)sp;
	struct curl_loop *l = arg;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	struct epoll_event ev = {
		.events = (what & CURL_POLL_IN ? EPOLLIN : 0U) |
			  (what & CURL_POLL_OUT ? EPOLLOUT : 0U),
		.data.fd = s,
	};
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
		epoll_ctl(l->epfd, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

static int on_timer(CURLM *m, long ms, void *arg)
{
	(void)m;
	struct curl_loop *l = arg;
	l->due = ms < 0 ? UINT64_MAX : now_ns() + (uint64_t)ms * 1000000ULL;
	return 0;
}

int curl_loop_open(struct curl_loop *l, const char *what, struct error *e)
{
	*l = (struct curl_loop){ .epfd = -1, .due = UINT64_MAX };
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_set(e, EIO, "%s: curl_global_init failed", what);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return error_sys(e, errno, "%s: epoll_create1", what);
	l->m = curl_multi_init();
	if (!l->m)
		return error_set(e, ENOMEM, "%s: curl_multi_init failed", what);
	curl_multi_setopt(l->m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(l->m, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->m, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(l->m, CURLMOPT_TIMERDATA, l);
	return 0;
}

void curl_loop_close(struct curl_loop *l)
{
	if (l->m)
		curl_multi_cleanup(l->m);
	if (l->epfd >= 0)
		close(l->epfd);
	l->m = NULL;
	l->epfd = -1;
}

void curl_loop_on_readable(struct curl_loop *l)
{
	struct epoll_event ev[16];
	int running;
	int n = epoll_wait(l->epfd, ev, ARRAY_SIZE(ev), 0);
	for (int i = 0; i < n; i++) {
		int f = 0;
		if (ev[i].events & EPOLLIN)
			f |= CURL_CSELECT_IN;
		if (ev[i].events & EPOLLOUT)
			f |= CURL_CSELECT_OUT;
		if (ev[i].events & (EPOLLERR | EPOLLHUP))
			f |= CURL_CSELECT_ERR;
		curl_multi_socket_action(l->m, ev[i].data.fd, f, &running);
	}
}

void curl_loop_on_timer(struct curl_loop *l)
{
	int running;
	if (l->due <= now_ns()) {
		l->due = UINT64_MAX;
		curl_multi_socket_action(l->m, CURL_SOCKET_TIMEOUT, 0,
					 &running);
	}
}

void curl_loop_finished(struct curl_loop *l,
			void (*fn)(void *arg, void *priv, CURLcode cc),
			void *arg)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(l->m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		void *priv = NULL;
		CURLcode cc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&priv);
		fn(arg, priv, cc);
	}
}

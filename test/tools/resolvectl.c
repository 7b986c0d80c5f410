/* resolvectl — one resolver (src/resolver.h) in an epoll loop like
 * fakeosd's, for test_resolver.sh:
 *
 *   resolvectl --hosts FILE [--backend static|etcd] [--config-dir DIR]
 *              [--etcd URL] [--prefix P] [--ttl S] [--self HOST]
 *              [--register NAME]... [--lookup NAME [--wait MS]]
 *              [--watch] [--for MS]
 *
 * --self names this "host" (an entry of FILE: its address and key are
 * what --register puts in the registry). --watch prints each change as
 * it comes, "up NAME HOST ADDRESS:PORT sha256:HEX" or "down NAME", until
 * SIGTERM or --for MS; --lookup prints "NAME HOST ADDRESS:PORT sha256:HEX"
 * once the name is known (waiting up to --wait MS), or "unknown NAME".
 * Exit status: 0, 1 for an unknown name, 2 for a usage or open error.
 * SIGTERM closes the resolver (revoking an etcd lease); SIGKILL is how a
 * test makes a host die. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "hosts.h"
#include "log.h"
#include "resolver.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig UNUSED)
{
	stop = 1;
}

static void print(const char *what, const struct resolver_result *x)
{
	char addr[64], key[HOST_KEY_TEXT_SIZE];
	hosts_format_addr((const struct sockaddr *)&x->addr, addr, sizeof(addr));
	hosts_format_key(x->key, key);
	printf("%s%s%s %s %s %s\n", what, *what ? " " : "", x->name, x->host,
	       addr, key);
	fflush(stdout);
}

static void on_change(void *arg, const char *name,
		      const struct resolver_result *x)
{
	if (!*(bool *)arg)
		return;
	if (x) {
		print("up", x);
	} else {
		printf("down %s\n", name);
		fflush(stdout);
	}
}

NORETURN static void usage(void)
{
	fprintf(stderr, "usage: resolvectl --hosts FILE [--backend static|etcd] "
			"[--config-dir DIR] [--etcd URL] [--prefix P] [--ttl S] "
			"[--self HOST] [--register NAME]... [--lookup NAME "
			"[--wait MS]] [--watch] [--for MS]\n");
	exit(2);
}

/* Runs r's loop until deadline (now_ns() terms) or a signal, or, with
 * name, until name is known. */
static void run(struct resolver *r, uint64_t deadline, const char *name)
{
	struct resolver_result x;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int fd = resolver_fd(r);
	if (ep < 0)
		log_fatal("epoll_create1: %s", strerror(errno));
	if (fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			log_fatal("epoll_ctl: %s", strerror(errno));
	}
	while (!stop && !(name && resolver_lookup(r, name, &x) == 0)) {
		uint64_t now = now_ns();
		if (now >= deadline)
			break;
		uint64_t due = resolver_next_timeout_ns(r);
		if (due > deadline)
			due = deadline;
		/* At most 100 ms, so that a signal is seen soon. */
		uint64_t ms = due > now ? (due - now + 999999) / 1000000 : 0;
		struct epoll_event ev;
		int n = epoll_wait(ep, &ev, 1, (int)(ms > 100 ? 100 : ms));
		if (n < 0 && errno != EINTR)
			log_fatal("epoll_wait: %s", strerror(errno));
		if (n > 0)
			resolver_on_readable(r);
		if (resolver_next_timeout_ns(r) <= now_ns())
			resolver_on_timer(r);
	}
	close(ep);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hosts", required_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, 'b' },
		{ "config-dir", required_argument, NULL, 'c' },
		{ "etcd", required_argument, NULL, 'e' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "ttl", required_argument, NULL, 't' },
		{ "self", required_argument, NULL, 's' },
		{ "register", required_argument, NULL, 'r' },
		{ "lookup", required_argument, NULL, 'l' },
		{ "wait", required_argument, NULL, 'w' },
		{ "watch", no_argument, NULL, 'W' },
		{ "for", required_argument, NULL, 'f' },
		{ 0 },
	};
	struct resolver_opts o = { .owner = getuid() };
	const char *hosts_path = NULL, *self = NULL, *lookup = NULL;
	const char *reg[RESOLVER_EXPORTS_MAX];
	unsigned nreg = 0;
	uint64_t wait_ms = 0, for_ms = 0;
	bool watching = false;
	int c;

	log_init("resolvectl");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h': hosts_path = optarg; break;
		case 'b':
			if (strcmp(optarg, "static") == 0)
				o.backend = RESOLVER_STATIC;
			else if (strcmp(optarg, "etcd") == 0)
				o.backend = RESOLVER_ETCD;
			else
				usage();
			break;
		case 'c': o.config_dir = optarg; break;
		case 'e': o.etcd_url = optarg; break;
		case 'p': o.prefix = optarg; break;
		case 't': o.ttl_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': self = optarg; break;
		case 'r':
			if (nreg == ARRAY_SIZE(reg))
				usage();
			reg[nreg++] = optarg;
			break;
		case 'l': lookup = optarg; break;
		case 'w': wait_ms = strtoull(optarg, NULL, 10); break;
		case 'W': watching = true; break;
		case 'f': for_ms = strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!hosts_path || optind != argc || (!lookup && !watching))
		usage();

	struct hosts hosts;
	struct error e = { "" };
	if (hosts_load(hosts_path, &hosts, &e) < 0) {
		log_error("%s", e.msg);
		return 2;
	}
	if (self) {
		o.self = hosts_by_name(&hosts, self);
		if (!o.self) {
			log_error("--self %s: no such host in %s", self,
				  hosts_path);
			hosts_free(&hosts);
			return 2;
		}
	}
	o.hosts = &hosts;
	o.on_change = on_change;
	o.arg = &watching;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	struct resolver *r;
	if (resolver_open(&o, &r, &e) < 0) {
		log_error("%s", e.msg);
		hosts_free(&hosts);
		return 2;
	}
	int status = 0;
	for (unsigned i = 0; i < nreg && status == 0; i++) {
		int ret = resolver_register(r, reg[i]);
		if (ret < 0) {
			log_error("--register %s: %s", reg[i], strerror(-ret));
			status = 2;
		}
	}
	if (lookup && status == 0) {
		struct resolver_result x;
		run(r, now_ns() + wait_ms * 1000000, lookup);
		if (resolver_lookup(r, lookup, &x) == 0) {
			print("", &x);
		} else {
			printf("unknown %s\n", lookup);
			status = 1;
		}
		fflush(stdout);
	}
	if (watching && status == 0)
		run(r, for_ms ? now_ns() + for_ms * 1000000 : UINT64_MAX, NULL);
	resolver_close(r);
	hosts_free(&hosts);
	return status;
}

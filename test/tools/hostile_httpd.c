/* hostile_httpd — an HTTP origin that misbehaves on purpose, on 127.0.0.1,
 * for the fetch tests nginx cannot stage (test/integration/test_fetch.sh).
 *
 *   hostile_httpd [-a ADDRESS] PORTFILE MODE [FILE]
 *
 * Listens on an ephemeral port of 127.0.0.1 (or of ADDRESS, another
 * loopback address), writes the port number to PORTFILE, and answers every
 * connection according to MODE until killed:
 *   slowloris      sends the status line, then one header byte a second
 *   long-length    claims Content-Length: 1000000, sends FILE, closes
 *   short-length   claims the first half of FILE's length, sends all of it
 *   garbage        answers with bytes that are not HTTP
 *   endless-header sends header lines for ever, as fast as it can
 *   silent         accepts and never says anything
 *   endless-body   a 200 without a length whose body never ends, sent as
 *                  fast as it is taken (the HTTP gateway's test)
 *   log            a 200 with "ok", after writing the request line to
 *                  stdout: an origin whose output says whether anything
 *                  ever reached it
 * Each connection is served by a child process, so a slow one never blocks
 * the next. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			_exit(0); /* the client went away */
		p += n;
		len -= (size_t)n;
	}
}

static void puts_fd(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* Reads the request head into buf, so the client sees its request
 * consumed. */
static void read_request(int fd, char *buf, size_t size)
{
	size_t have = 0;
	buf[0] = '\0';
	while (have < size - 1) {
		ssize_t n = read(fd, buf + have, size - 1 - have);
		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return;
	}
}

static char *load(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		exit(2);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size) {
		perror(path);
		exit(2);
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void serve(int fd, const char *mode, const char *body, size_t len)
{
	char head[256], req[4096];
	read_request(fd, req, sizeof(req));
	if (!strcmp(mode, "slowloris")) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\n");
		for (;;) {
			put(fd, "X", 1);
			sleep(1);
		}
	} else if (!strcmp(mode, "long-length")) {
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n"
			 "Connection: close\r\n\r\n");
		puts_fd(fd, head);
		put(fd, body, len);
	} else if (!strcmp(mode, "short-length")) {
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 len / 2);
		puts_fd(fd, head);
		put(fd, body, len);
	} else if (!strcmp(mode, "garbage")) {
		puts_fd(fd, "\x7f\x45\x4c\x46 this is not HTTP at all\r\n\r\n");
	} else if (!strcmp(mode, "endless-header")) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\n");
		for (;;)
			puts_fd(fd, "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	} else if (!strcmp(mode, "silent")) {
		pause();
	} else if (!strcmp(mode, "endless-body")) {
		static char chunk[65536];
		memset(chunk, 'x', sizeof(chunk));
		puts_fd(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
		for (;;)
			put(fd, chunk, sizeof(chunk));
	} else if (!strcmp(mode, "log")) {
		printf("%.*s\n", (int)strcspn(req, "\r\n"), req);
		fflush(stdout);
		puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			    "Connection: close\r\n\r\nok\n");
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (argc > 2 && !strcmp(argv[1], "-a")) {
		if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) {
			fprintf(stderr, "hostile_httpd: not an address: %s\n",
				argv[2]);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: hostile_httpd [-a ADDRESS] PORTFILE "
				"MODE [FILE]\n");
		return 2;
	}
	size_t len = 0;
	char *body = argc > 3 ? load(argv[3], &len) : "";
	signal(SIGCHLD, SIG_IGN); /* children reap themselves */
	signal(SIGPIPE, SIG_IGN);

	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t alen = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s, 64) < 0 || getsockname(s, (struct sockaddr *)&a, &alen) < 0) {
		perror("hostile_httpd: listen");
		return 1;
	}
	FILE *pf = fopen(argv[1], "w");
	if (!pf || fprintf(pf, "%d\n", ntohs(a.sin_port)) < 0 || fclose(pf)) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("hostile_httpd: accept");
			return 1;
		}
		pid_t pid = fork();
		if (pid == 0) {
			/* Ends with the server: a silent or slow child must
			 * not outlive the test that stopped it. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(0);
			close(s);
			serve(c, argv[2], body, len);
		}
		close(c);
	}
}

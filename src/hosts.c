/* hosts.c — the known-hosts file: parse, look up, format. See hosts.h. */
#include "hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hosts_parse_addr(const char *s, struct sockaddr_storage *out,
		     socklen_t *len)
{
	char host[64];
	const char *colon;
	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	/* The port: 1..65535, digits only (strtoul would take "+1", " 1"). */
	const char *p = colon + 1;
	unsigned long port = 0;
	if (!*p || strlen(p) > 5)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)out;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return 0;
}

void hosts_format_addr(const struct sockaddr *sa, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(a->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		snprintf(out, size, "(family %d)", sa->sa_family);
	}
}

void hosts_format_key(const uint8_t key[HOST_KEY_SIZE],
		      char out[HOST_KEY_TEXT_SIZE])
{
	memcpy(out, "sha256:", 8); /* with its NUL, for an empty key */
	hex_encode(key, HOST_KEY_SIZE, out + 7);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > HOST_NAME_MAX_LEN)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* One line, already split off and NUL-terminated; h is filled. */
static int parse_line(char *line, struct host *h, const char **why)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t", &save);
	char *addr = strtok_r(NULL, " \t", &save);
	char *key = strtok_r(NULL, " \t", &save);
	if (!name || !addr || !key || strtok_r(NULL, " \t", &save)) {
		*why = "expected NAME ADDRESS:PORT sha256:HEX";
		return -EINVAL;
	}
	if (!valid_name(name)) {
		*why = "bad host name (1-63 of a-z 0-9 . -)";
		return -EINVAL;
	}
	if (hosts_parse_addr(addr, &h->addr, &h->addrlen) < 0) {
		*why = "bad address (IPv4:PORT or [IPv6]:PORT)";
		return -EINVAL;
	}
	if (strncmp(key, "sha256:", 7) != 0 ||
	    strlen(key + 7) != 2 * HOST_KEY_SIZE ||
	    hex_decode(key + 7, h->key, HOST_KEY_SIZE) < 0) {
		*why = "bad key (sha256: and 64 hex digits)";
		return -EINVAL;
	}
	snprintf(h->name, sizeof(h->name), "%s", name);
	return 0;
}

int hosts_parse(const char *text, size_t len, struct hosts *out,
		struct error *e)
{
	out->v = NULL;
	out->n = 0;
	out->path = NULL;
	size_t cap = 0, lineno = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		char line[512];
		const char *why = NULL;
		if (n >= sizeof(line) || memchr(p, '\0', n)) {
			why = n >= sizeof(line) ? "line too long" : "NUL byte";
			goto bad;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		size_t skip = strspn(line, " \t\r");
		if (line[skip] == '\0' || line[skip] == '#')
			continue;
		line[strcspn(line, "\r")] = '\0';
		if (out->n == HOSTS_MAX) {
			why = "too many hosts";
			goto bad;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct host *v = realloc(out->v, cap * sizeof(*v));
			if (!v) {
				hosts_free(out);
				return error_set(e, ENOMEM, "out of memory");
			}
			out->v = v;
		}
		struct host *h = &out->v[out->n];
		memset(h, 0, sizeof(*h));
		if (parse_line(line + skip, h, &why) < 0)
			goto bad;
		if (hosts_by_name(out, h->name)) {
			why = "host name listed twice";
			goto bad;
		}
		/* One key, one host: a key is the identity the peer proves,
		 * and two names for it would make the name a guess. */
		if (hosts_by_key(out, h->key)) {
			why = "key listed twice";
			goto bad;
		}
		out->n++;
		continue;
bad:
		hosts_free(out);
		return error_set(e, EINVAL, "line %zu: %s", lineno, why);
	}
	return 0;
}

int hosts_load(const char *path, struct hosts *out, struct error *e)
{
	out->v = NULL;
	out->n = 0;
	out->path = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(e, errno, "%s", path);
	char *buf = xmalloc(HOSTS_FILE_MAX + 1);
	size_t len = 0;
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, HOSTS_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = error_sys(e, errno, "%s", path);
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HOSTS_FILE_MAX) {
			r = error_set(e, EFBIG, "%s: larger than %d bytes",
				      path, HOSTS_FILE_MAX);
			break;
		}
	}
	close(fd);
	if (r == 0) {
		r = hosts_parse(buf, len, out, e);
		if (r < 0)
			error_prefix(e, "%s: ", path);
		else
			out->path = xstrdup(path);
	}
	free(buf);
	return r;
}

void hosts_free(struct hosts *h)
{
	free(h->v);
	free(h->path);
	h->v = NULL;
	h->n = 0;
	h->path = NULL;
}

const char *hosts_path(const struct hosts *h)
{
	return h->path ? h->path : HOSTS_FILE;
}

const struct host *hosts_by_name(const struct hosts *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->v[i].name, name) == 0)
			return &h->v[i];
	return NULL;
}

const struct host *hosts_by_key(const struct hosts *h,
				const uint8_t key[HOST_KEY_SIZE])
{
	for (size_t i = 0; i < h->n; i++)
		if (memcmp(h->v[i].key, key, HOST_KEY_SIZE) == 0)
			return &h->v[i];
	return NULL;
}

const struct host *hosts_by_addr(const struct hosts *h,
				 const struct sockaddr *sa, socklen_t len)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].addrlen == len &&
		    memcmp(&h->v[i].addr, sa, len) == 0)
			return &h->v[i];
	return NULL;
}

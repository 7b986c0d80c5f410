/* resolver.c — see resolver.h: the table every backend fills, the static
 * backend (the names file) and the format of an etcd entry. The registry
 * itself is resolver_etcd.c. */
#include "resolver_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

void *resolver_grow(void *a, size_t n, size_t size)
{
	char *b = xcalloc(n + 1, size);
	if (n)
		memcpy(b, a, n * size);
	free(a);
	return b;
}

/* ---- the names file ------------------------------------------------------ */

void resolver_names_free(struct resolver_names *n)
{
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

/* One line of a names file; on an error msg says why. */
static int names_line(char *line, const struct hosts *hosts,
		      const struct resolver_names *seen,
		      struct resolver_name *out, char *msg, size_t msize)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t", &save);
	char *host = strtok_r(NULL, " \t", &save);
	if (!name || !host || strtok_r(NULL, " \t", &save)) {
		snprintf(msg, msize, "expected NAME HOST");
		return -EINVAL;
	}
	if (!proto_name_ok(name)) {
		snprintf(msg, msize, "'%.63s' is not a valid name (1 to 63 of "
			 "A-Z a-z 0-9 . _ -)", name);
		return -EINVAL;
	}
	for (size_t i = 0; i < seen->n; i++) {
		if (strcmp(seen->v[i].name, name) == 0) {
			snprintf(msg, msize, "'%s' is listed twice", name);
			return -EINVAL;
		}
	}
	out->host = hosts_by_name(hosts, host);
	if (!out->host) {
		snprintf(msg, msize, "no host '%.63s' in %s", host,
			 hosts_path(hosts));
		return -EINVAL;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	return 0;
}

int resolver_names_parse(const char *path, const char *text, size_t len,
			 const struct hosts *hosts, struct resolver_names *out,
			 struct error *e)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	out->v = NULL;
	out->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256], msg[PATH_MAX + 128];
		lineno++;
		if (n >= sizeof(line) || memchr(p, '\0', n)) {
			snprintf(msg, sizeof(msg), "%s",
				 n >= sizeof(line) ? "line too long" :
						     "NUL byte");
			goto bad;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl != NULL);
		line[strcspn(line, "\r")] = '\0';
		size_t skip = strspn(line, " \t");
		if (line[skip] == '\0' || line[skip] == '#')
			continue;
		for (size_t i = skip; line[i]; i++) {
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
				snprintf(msg, sizeof(msg), "control character");
				goto bad;
			}
		}
		if (out->n == RESOLVER_NAMES_MAX) {
			snprintf(msg, sizeof(msg), "too many names");
			goto bad;
		}
		struct resolver_name x;
		if (names_line(line + skip, hosts, out, &x, msg,
			       sizeof(msg)) < 0)
			goto bad;
		out->v = resolver_grow(out->v, out->n, sizeof(*out->v));
		out->v[out->n++] = x;
		continue;
bad:
		resolver_names_free(out);
		return error_set(e, EINVAL, "%s:%u: %s", path, lineno, msg);
	}
	return 0;
}

/* ---- etcd entries -------------------------------------------------------- */

void resolver_entry_format(const struct host *self, char *out, size_t size)
{
	char addr[64], key[HOST_KEY_TEXT_SIZE];
	hosts_format_addr((const struct sockaddr *)&self->addr, addr,
			  sizeof(addr));
	hosts_format_key(self->key, key);
	snprintf(out, size, "%s %s %s", self->name, addr, key);
}

int resolver_entry_parse(const char *prefix, const char *key, size_t klen,
			 const char *value, size_t vlen,
			 const struct hosts *hosts,
			 struct resolver_result *out, struct error *e)
{
	size_t plen = strlen(prefix);
	char k[PROTO_NAME_SIZE + HOST_NAME_MAX_LEN + 2];

	if (klen < plen || memcmp(key, prefix, plen) != 0 ||
	    klen - plen >= sizeof(k) || memchr(key, '\0', klen))
		return error_set(e, EINVAL, "not a key of the form %sNAME/HOST",
				 prefix);
	memcpy(k, key + plen, klen - plen);
	k[klen - plen] = '\0';
	char *slash = strchr(k, '/');
	if (!slash)
		return error_set(e, EINVAL, "not a key of the form %sNAME/HOST",
				 prefix);
	*slash = '\0';
	if (!proto_name_ok(k))
		return error_set(e, EINVAL, "not a valid service name");

	/* The value is one line of a hosts file, parsed by the same code. */
	struct hosts said = { 0 };
	struct error ve;
	if (memchr(value, '\n', vlen) ||
	    hosts_parse(value, vlen, &said, &ve) < 0 || said.n != 1) {
		hosts_free(&said);
		return error_set(e, EINVAL, "value is not 'HOST ADDRESS:PORT "
				 "sha256:HEX'");
	}
	const struct host *h = &said.v[0];
	char kt[HOST_KEY_TEXT_SIZE];
	hosts_format_key(h->key, kt);
	int r = 0;
	if (strcmp(h->name, slash + 1) != 0) {
		r = error_set(e, EINVAL, "the value names host %s, the key %s",
			      h->name, slash + 1);
	} else {
		/* The registry is not trusted with keys: only a host pinned
		 * with this very key may serve a name. */
		const struct host *pin = hosts_by_name(hosts, h->name);
		if (!pin)
			r = error_set(e, EPERM, "host %s (%s) is not in %s",
				      h->name, kt, hosts_path(hosts));
		else if (memcmp(pin->key, h->key, HOST_KEY_SIZE) != 0)
			r = error_set(e, EPERM, "key %s is not the key pinned "
				      "for host %s in %s", kt, h->name,
				      hosts_path(hosts));
	}
	if (r == 0) {
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%.63s", k);
		snprintf(out->host, sizeof(out->host), "%s", h->name);
		out->addr = h->addr;
		out->addrlen = h->addrlen;
		memcpy(out->key, h->key, HOST_KEY_SIZE);
	}
	hosts_free(&said);
	return r;
}

/* ---- the table ----------------------------------------------------------- */

/* The answer for name: of the hosts that serve it, the first by name, so
 * that every daemon that sees the same entries gives the same answer. */
static const struct resolver_result *find(const struct resolver *r,
					  const char *name)
{
	const struct resolver_result *best = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0 &&
		    (!best || strcmp(r->v[i].host, best->host) < 0))
			best = &r->v[i];
	return best;
}

static bool same(const struct resolver_result *a,
		 const struct resolver_result *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a->host, b->host) == 0 && a->addrlen == b->addrlen &&
	       memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/* Runs op on the table and tells on_change if name's answer changed. */
static void changing(struct resolver *r, const char *name,
		     void (*op)(struct resolver *, const void *, const void *),
		     const void *a, const void *b)
{
	char n[PROTO_NAME_SIZE];
	const struct resolver_result *f = find(r, name);
	struct resolver_result before;
	bool had = f != NULL;

	snprintf(n, sizeof(n), "%s", name);
	if (had)
		before = *f;
	op(r, a, b);
	f = find(r, n);
	if (!same(had ? &before : NULL, f) && r->on_change) {
		struct resolver_result now;
		if (f)
			now = *f;
		r->on_change(r->arg, n, f ? &now : NULL);
	}
}

static struct resolver_result *slot(struct resolver *r, const char *name,
				    const char *host)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0 &&
		    strcmp(r->v[i].host, host) == 0)
			return &r->v[i];
	return NULL;
}

static void op_set(struct resolver *r, const void *a, const void *b UNUSED)
{
	const struct resolver_result *x = a;
	struct resolver_result *s = slot(r, x->name, x->host);
	if (s) {
		*s = *x;
		return;
	}
	/* A registry that floods us costs a bounded table. */
	if (r->n >= RESOLVER_NAMES_MAX) {
		log_warn("resolver: more than %d entries: %s on %s ignored",
			 RESOLVER_NAMES_MAX, x->name, x->host);
		return;
	}
	r->v = resolver_grow(r->v, r->n, sizeof(*r->v));
	r->v[r->n++] = *x;
}

static void op_del(struct resolver *r, const void *a, const void *b)
{
	struct resolver_result *s = slot(r, a, b);
	if (s)
		*s = r->v[--r->n];
}

void resolver_table_set(struct resolver *r, const struct resolver_result *x)
{
	changing(r, x->name, op_set, x, NULL);
}

void resolver_table_del(struct resolver *r, const char *name,
			const char *host)
{
	changing(r, name, op_del, name, host);
}

void resolver_table_replace(struct resolver *r,
			    const struct resolver_result *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		resolver_table_set(r, &v[i]);
	for (size_t i = r->n; i-- > 0;) {
		bool keep = false;
		for (size_t j = 0; j < n && !keep; j++)
			keep = strcmp(v[j].name, r->v[i].name) == 0 &&
			       strcmp(v[j].host, r->v[i].host) == 0;
		if (!keep) {
			struct resolver_result gone = r->v[i];
			resolver_table_del(r, gone.name, gone.host);
		}
	}
}

/* ---- the interface ------------------------------------------------------- */

static int open_static(struct resolver *r, const struct resolver_opts *o,
		       struct error *e)
{
	cleanup_free char *text = NULL;
	cleanup_free char *split = NULL;
	size_t len = 0;
	const char *dir = o->config_dir ? o->config_dir : CONFIG_DIR;
	const char *base = RESOLVER_NAMES_FILE;
	if (o->names_path) {
		/* config_read_file checks the directory, then the file in
		 * it: "names" alone is in the current directory. */
		split = xstrdup(o->names_path);
		char *slash = strrchr(split, '/');
		if (!slash) {
			dir = ".";
			base = split;
		} else {
			*slash = '\0';
			dir = slash == split ? "/" : split;
			base = slash + 1;
		}
	}
	int ret = config_read_file(dir, base, o->owner, &text, &len, e);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	cleanup_free char *path = o->names_path ? xstrdup(o->names_path) :
						  xasprintf("%s/%s", dir, base);
	struct resolver_names names;
	ret = resolver_names_parse(path, text, len, &r->hosts, &names, e);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < names.n; i++) {
		const struct host *h = names.v[i].host;
		struct resolver_result x = { .addr = h->addr,
					     .addrlen = h->addrlen };
		snprintf(x.name, sizeof(x.name), "%s", names.v[i].name);
		snprintf(x.host, sizeof(x.host), "%s", h->name);
		memcpy(x.key, h->key, HOST_KEY_SIZE);
		op_set(r, &x, NULL);
	}
	resolver_names_free(&names);
	return 0;
}

int resolver_open(const struct resolver_opts *o, struct resolver **out,
		  struct error *e)
{
	struct resolver *r = xcalloc(1, sizeof(*r));
	int ret;

	*out = NULL;
	r->backend = o->backend;
	r->on_change = o->on_change;
	r->arg = o->arg;
	if (o->hosts && o->hosts->n) {
		r->hosts.v = xcalloc(o->hosts->n, sizeof(*r->hosts.v));
		memcpy(r->hosts.v, o->hosts->v,
		       o->hosts->n * sizeof(*r->hosts.v));
		r->hosts.n = o->hosts->n;
	}
	if (o->hosts && o->hosts->path)
		r->hosts.path = xstrdup(o->hosts->path);
	if (o->self) {
		r->self = *o->self;
		r->have_self = true;
	}
	switch (o->backend) {
	case RESOLVER_STATIC:
		ret = open_static(r, o, e);
		break;
	case RESOLVER_ETCD:
		ret = etcd_open(r, o, e);
		break;
	default:
		ret = error_set(e, EINVAL, "resolver: unknown backend %d",
				o->backend);
	}
	if (ret < 0) {
		resolver_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

void resolver_close(struct resolver *r)
{
	if (!r)
		return;
	if (r->etcd)
		etcd_close(r);
	hosts_free(&r->hosts);
	free(r->v);
	free(r->exports);
	free(r);
}

int resolver_lookup(const struct resolver *r, const char *name,
		    struct resolver_result *out)
{
	const struct resolver_result *f = find(r, name);
	if (!f)
		return -ENOENT;
	*out = *f;
	return 0;
}

static ssize_t export_index(const struct resolver *r, const char *name)
{
	for (size_t i = 0; i < r->nexports; i++)
		if (strcmp(r->exports[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

bool resolver_exported(const struct resolver *r, const char *name)
{
	return export_index(r, name) >= 0;
}

int resolver_register(struct resolver *r, const char *name)
{
	if (!proto_name_ok(name) || !r->have_self)
		return -EINVAL;
	if (resolver_exported(r, name))
		return -EEXIST;
	if (r->nexports >= RESOLVER_EXPORTS_MAX)
		return -ENOSPC;
	r->exports = resolver_grow(r->exports, r->nexports, sizeof(*r->exports));
	snprintf(r->exports[r->nexports++], PROTO_NAME_SIZE, "%s", name);
	if (r->backend == RESOLVER_ETCD)
		etcd_register(r, name);
	return 0;
}

int resolver_unregister(struct resolver *r, const char *name)
{
	ssize_t i = export_index(r, name);
	if (i < 0)
		return -ENOENT;
	memmove(&r->exports[i], &r->exports[i + 1],
		(r->nexports - (size_t)i - 1) * sizeof(*r->exports));
	r->nexports--;
	if (r->backend == RESOLVER_ETCD)
		etcd_unregister(r, name);
	return 0;
}

const char *resolver_export(const struct resolver *r, size_t i)
{
	return i < r->nexports ? r->exports[i] : NULL;
}

int resolver_fd(const struct resolver *r)
{
	return r->backend == RESOLVER_ETCD ? etcd_fd(r) : -1;
}

uint64_t resolver_next_timeout_ns(const struct resolver *r)
{
	return r->backend == RESOLVER_ETCD ? etcd_next_timeout_ns(r) :
					     UINT64_MAX;
}

void resolver_on_readable(struct resolver *r)
{
	if (r->backend == RESOLVER_ETCD)
		etcd_on_readable(r);
}

void resolver_on_timer(struct resolver *r)
{
	if (r->backend == RESOLVER_ETCD)
		etcd_on_timer(r);
}

/* cli_cache.c — see cli_cache.h. */
#include "cli_cache.h"

#include <string.h>
#include <time.h>

#include "cache_store.h"
#include "log.h"

/* Opens the cache for a command; *c is NULL (and 0 returned) when it does
 * not exist, which the commands treat as empty. */
static int cli_cache_open(const char *dir, struct cache **c, struct error *e)
{
	*c = NULL;
	int r = cache_open(dir, false, c, e);
	return r == -ENOENT ? 0 : r;
}

static int cli_cache_flush(FILE *out, const char *what, struct error *e)
{
	if (fflush(out) != 0)
		return error_sys(e, errno, "writing the %s", what);
	return 0;
}

static void cli_cache_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "@%lld", (long long)t);
}

/* One listed entry, kept for sorting. */
struct cli_cache_row {
	struct cache_entry en;
	bool used_known;
	int64_t used;
};

struct cli_cache_rows {
	struct cli_cache_row *v;
	size_t n, cap;
};

static int cli_cache_collect(const struct cache_item *it, void *arg)
{
	struct cli_cache_rows *s = arg;

	if (!it->en) {
		log_warn("%s (cache --verify removes it)", it->problem);
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct cli_cache_row *n = realloc(s->v, cap * sizeof(*s->v));
		if (!n)
			return -ENOMEM;
		s->v = n;
		s->cap = cap;
	}
	struct cli_cache_row *row = &s->v[s->n++];
	row->en = *it->en;
	row->used_known = it->used_known;
	row->used = it->used;
	return 0;
}

static int cli_cache_cmp_url(const void *a, const void *b)
{
	const struct cli_cache_row *x = a, *y = b;
	return strcmp(x->en.url, y->en.url);
}

int cli_cache_list(const char *dir, FILE *out, struct error *e)
{
	struct cli_cache_rows s = { 0 };
	struct cache *c;
	int r = cli_cache_open(dir, &c, e);
	if (r < 0 || !c)
		return r;
	r = cache_each_entry(c, cli_cache_collect, &s, e);
	cache_close(c);
	if (r == 0 && s.n > 1)
		qsort(s.v, s.n, sizeof(*s.v), cli_cache_cmp_url);
	for (size_t i = 0; r == 0 && i < s.n; i++) {
		const struct cli_cache_row *row = &s.v[i];
		char hex[HASH_HEX_SIZE], fetched[32], expires[32], used[32];

		hash_hex(row->en.object, hex);
		cli_cache_time(row->en.fetched, fetched);
		cli_cache_time(row->en.expires, expires);
		if (row->used_known)
			cli_cache_time(row->used, used);
		else
			snprintf(used, sizeof(used), "never");
		fprintf(out, "%s sha256=%s size=%llu fetched=%s expires=%s "
			     "used=%s\n",
			row->en.url, hex, (unsigned long long)row->en.size,
			fetched, expires, used);
	}
	if (r == 0)
		r = cli_cache_flush(out, "cache list", e);
	free(s.v);
	return r;
}

static void cli_cache_finding(const struct cache_finding *f, void *arg)
{
	FILE *out = arg;
	const char *done = f->removed ? "removed" : "could not remove it";

	switch (f->problem) {
	case CACHE_NOT_AN_OBJECT:
		fprintf(out, "%s: not a cache object; %s\n", f->path, done);
		break;
	case CACHE_UNREADABLE:
		fprintf(out, "%s: cannot read: %s\n", f->path, f->detail);
		break;
	case CACHE_CORRUPT:
		fprintf(out, "%s: corrupt (its bytes hash to %s); %s\n",
			f->path, f->detail, done);
		break;
	case CACHE_BAD_ENTRY:
		fprintf(out, "%s: %s; %s\n", f->path, f->detail, done);
		break;
	case CACHE_DANGLING:
		fprintf(out, "%s: its object is gone; entry %s\n", f->detail,
			f->removed ? "removed" : "could not be removed");
		break;
	}
}

int cli_cache_verify(const char *dir, FILE *out, unsigned *bad,
		     struct error *e)
{
	struct cache_verify_counts n = { 0 };
	struct cache *c;

	*bad = 0;
	int r = cli_cache_open(dir, &c, e);
	if (r < 0)
		return r;
	if (c) {
		r = cache_verify(c, cli_cache_finding, out, &n, e);
		cache_close(c);
	}
	*bad = n.bad;
	if (r < 0)
		return r;
	if (n.bad)
		fprintf(out, "verified %u objects and %u entries: %u bad, "
			     "removed\n",
			n.objects, n.entries, n.bad);
	else
		fprintf(out, "verified %u objects and %u entries: all good\n",
			n.objects, n.entries);
	return cli_cache_flush(out, "verify report", e);
}

int cli_cache_clear(const char *dir, FILE *out, struct error *e)
{
	unsigned objects = 0, entries = 0;
	struct cache *c;

	int r = cli_cache_open(dir, &c, e);
	if (r < 0)
		return r;
	if (c) {
		r = cache_clear(c, &objects, &entries, e);
		cache_close(c);
		if (r < 0)
			return r;
	}
	fprintf(out, "removed %u objects and %u entries\n", objects, entries);
	return cli_cache_flush(out, "clear report", e);
}

int cli_cache_run(enum cli_cache_cmd cmd, const char *dir)
{
	struct error e = { "" };
	cleanup_free char *def = NULL;
	unsigned bad = 0;
	int r;

	if (!dir) {
		r = cache_default_dir(&def, &e);
		if (r < 0) {
			log_error("cache: %s", e.msg);
			return r;
		}
		dir = def;
	}
	switch (cmd) {
	case CLI_CACHE_LIST:
		r = cli_cache_list(dir, stdout, &e);
		break;
	case CLI_CACHE_VERIFY:
		r = cli_cache_verify(dir, stdout, &bad, &e);
		break;
	default:
		r = cli_cache_clear(dir, stdout, &e);
		break;
	}
	if (fflush(stdout) != 0 && r >= 0)
		r = error_sys(&e, errno, "stdout");
	if (r < 0) {
		log_error("%s: %s", dir, e.msg);
		return r;
	}
	/* --cache-verify exits 1 when it found (and removed) something bad. */
	return bad > 0 ? 1 : 0;
}

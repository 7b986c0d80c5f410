/* fuzz_config.c — config_parse_text (src/config.c): fakeosd.conf and a
 * services.d file, as fakeosd reads them once their owner and mode have
 * passed.
 *
 * An input is "MAIN" or "MAIN\0SERVICE": MAIN is parsed as fakeosd.conf,
 * then SERVICE (MAIN itself when there is no NUL) as
 * services.d/fuzz.conf into the same configuration, so a service meets
 * the accounts the main file set. What is accepted must be what the
 * daemon relies on without checking again: every number in its range,
 * every list bounded and terminated, every name valid, every URL one that
 * url_parse takes, a service's arguments within what one spawn carries.
 * Every refusal names the file and is printable: it goes to the journal
 * and the terminal. */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "url.h"

static int resolve(const char *name, uid_t *uid)
{
	if (strcmp(name, "root") == 0)
		*uid = 0;
	else if (strcmp(name, "alice") == 0)
		*uid = 1000;
	else
		return -ENOENT;
	return 0;
}

static void list_ok(const struct config_list *l, unsigned max,
		    const char *what)
{
	FUZZ_ASSERT(l->n <= max, "%s: %u entries", what, l->n);
	FUZZ_ASSERT(l->n == 0 || l->v != NULL, "%s: no array", what);
	if (l->v)
		FUZZ_ASSERT(l->v[l->n] == NULL, "%s: not terminated", what);
}

static void url_ok(const char *s, bool prefix)
{
	struct url u;
	struct error e;
	FUZZ_ASSERT(url_parse(s, &u, &e) == 0, "accepted URL does not parse: %s",
		    e.msg);
	FUZZ_ASSERT(!prefix || !u.pinned, "pinned prefix accepted");
	url_free(&u);
}

static void quota_ok(const struct config_quota *q)
{
	FUZZ_ASSERT(q->programs >= 1 && q->programs <= 100000, "programs %u",
		    q->programs);
	FUZZ_ASSERT(q->memory == 0 || q->memory >= (1ULL << 20), "memory %llu",
		    (unsigned long long)q->memory);
	FUZZ_ASSERT(q->links <= 1000000, "links %u", q->links);
	FUZZ_ASSERT(q->services <= 100000, "services %u", q->services);
}

static void main_ok(const struct config *c)
{
	FUZZ_ASSERT(c->pool <= CONFIG_POOL_MAX, "pool %u", c->pool);
	FUZZ_ASSERT(c->cache_max >= (1ULL << 20), "cache-max %llu",
		    (unsigned long long)c->cache_max);
	FUZZ_ASSERT(c->grace_ms <= 600000, "grace %llu",
		    (unsigned long long)c->grace_ms);
	list_ok(&c->spawn_from, CONFIG_SPAWN_FROM_MAX, "spawn-from");
	for (unsigned i = 0; i < c->spawn_from.n; i++)
		url_ok(c->spawn_from.v[i], true);
	quota_ok(&c->account_defaults);
	FUZZ_ASSERT(c->naccounts <= CONFIG_ACCOUNTS_MAX, "%u accounts",
		    c->naccounts);
	for (unsigned i = 0; i < c->naccounts; i++) {
		const struct config_account *a = &c->accounts[i];
		FUZZ_ASSERT(a->uid != (uid_t)-1, "uid -1 accepted");
		quota_ok(&a->quota);
		FUZZ_ASSERT(config_account_quota(c, a->uid) == &a->quota,
			    "uid %u has two sections", (unsigned)a->uid);
	}
}

static void service_ok(const struct config_service *s)
{
	FUZZ_ASSERT(strcmp(s->name, "fuzz") == 0, "name '%s'", s->name);
	FUZZ_ASSERT(s->url != NULL, "no url");
	url_ok(s->url, false);
	FUZZ_ASSERT(s->account != (uid_t)-1, "uid -1 accepted");
	list_ok(&s->args, CONFIG_ARGC_MAX, "args");
	size_t bytes = 0;
	for (unsigned i = 0; i < s->args.n; i++)
		bytes += strlen(s->args.v[i]) + 1;
	FUZZ_ASSERT(bytes <= CONFIG_ARGS_MAX, "%zu bytes of args", bytes);
	list_ok(&s->publish, CONFIG_PUBLISH_MAX, "publish");
	for (unsigned i = 0; i < s->publish.n; i++) {
		FUZZ_ASSERT(proto_name_ok(s->publish.v[i]), "bad name published");
		for (unsigned j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(s->publish.v[i], s->publish.v[j]),
				    "name published twice");
	}
	FUZZ_ASSERT(s->memory == 0 || s->memory >= (1ULL << 20), "memory %llu",
		    (unsigned long long)s->memory);
	FUZZ_ASSERT(s->restart <= CONFIG_RESTART_ALWAYS, "restart %d",
		    s->restart);
	FUZZ_ASSERT(s->restart_delay_ms >= 100 &&
			    s->restart_delay_ms <= s->restart_delay_max_ms,
		    "restart delays %llu..%llu",
		    (unsigned long long)s->restart_delay_ms,
		    (unsigned long long)s->restart_delay_max_ms);
}

static void refused_ok(int r, const struct error *e, const char *path)
{
	FUZZ_ASSERT(r < 0, "returned %d", r);
	fuzz_printable(e->msg, sizeof(e->msg), "message");
	FUZZ_ASSERT(strncmp(e->msg, path, strlen(path)) == 0 &&
			    e->msg[strlen(path)] == ':',
		    "message does not name %s: '%s'", path, e->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(data, '\0', size);
	size_t main_len = nul ? (size_t)(nul - text) : size;
	const char *svc = nul ? nul + 1 : text;
	size_t svc_len = nul ? size - main_len - 1 : size;
	struct config c;
	struct error e = { "" };

	config_init(&c);
	int r = config_parse_text("fakeosd.conf", text, main_len,
				  CONFIG_KIND_MAIN, resolve, &c, &e);
	if (r == 0) {
		main_ok(&c);
	} else {
		refused_ok(r, &e, "fakeosd.conf");
		/* What a failed parse left is freed, and the service meets
		 * the defaults. */
		config_free(&c);
		config_init(&c);
	}

	memset(&e, 0, sizeof(e));
	r = config_parse_text("services.d/fuzz.conf", svc, svc_len,
			      CONFIG_KIND_SERVICE, resolve, &c, &e);
	if (r == 0) {
		FUZZ_ASSERT(c.nservices == 1, "%u services", c.nservices);
		const struct config_service *s = &c.services[0];
		service_ok(s);
		FUZZ_ASSERT(s->memory ==
					config_account_quota(&c, s->account)
						->memory ||
				    memmem(svc, svc_len, "memory", 6) != NULL,
			    "memory neither set nor the account's");
	} else {
		refused_ok(r, &e, "services.d/fuzz.conf");
		FUZZ_ASSERT(c.nservices == 0, "a refused service was added");
	}
	config_free(&c);
	return 0;
}

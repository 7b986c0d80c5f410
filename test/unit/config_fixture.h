/* config_fixture.h — what the configuration's unit tests share
 * (test_config.c, test_config_load.c, test_config_crash.c,
 * test_config_resolver.c): a struct config parsed from text with a user
 * database of its own, and the checks of what a parse gives or refuses. */
#ifndef FAKEOS_CONFIG_FIXTURE_H
#define FAKEOS_CONFIG_FIXTURE_H

#include <check.h>
#include <string.h>

#include "config.h"

/* fakeosd.conf's main keys and an account section's, in their order, as
 * an unknown key's message lists them: one list, so that a new key
 * changes one line. */
#define MAIN_KEYS                                                           \
	"pool, cache-max, spawn-from, grace, crash-url, crash-reports, "   \
	"crash-window, resolver, etcd, listen, host-key, hosts, names, "   \
	"link-idle-timeout, link-handshake-timeout, "                      \
	"host-links, host-links-per-program, host-link-rate, "             \
	"host-link-burst, broadcast, broadcast-to, broadcast-secret, "     \
	"http-body-max, http-time-limit"
#define ACCOUNT_KEYS "programs, memory, links, services, http-allow, http-requests"

#define PIN "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* A user database of three: what the text tests resolve names with. */
static inline int fake_resolve(const char *name, uid_t *uid)
{
	static const struct {
		const char *name;
		uid_t uid;
	} users[] = { { "root", 0 },	   { "alice", 1000 },
		      { "bob", 1001 },	   { "builder", 1500 },
		      { "dbuser", 1600 } };
	for (size_t i = 0; i < ARRAY_SIZE(users); i++) {
		if (strcmp(users[i].name, name) == 0) {
			*uid = users[i].uid;
			return 0;
		}
	}
	return -ENOENT;
}

static struct config c;
static struct error err;

static inline void setup_text(void)
{
	config_init(&c);
	memset(&err, 0, sizeof(err));
}

static inline void teardown_text(void)
{
	config_free(&c);
}

static inline int parse(const char *path, enum config_kind kind, const char *text)
{
	memset(&err, 0, sizeof(err));
	return config_parse_text(path, text, strlen(text), kind, fake_resolve,
				 &c, &err);
}

static inline void main_ok(const char *text)
{
	int r = parse("fakeosd.conf", CONFIG_KIND_MAIN, text);
	ck_assert_msg(r == 0, "'%s' refused: %s", text, err.msg);
}

static inline const struct config_service *service_ok(const char *path,
					       const char *text)
{
	unsigned n = c.nservices;
	int r = parse(path, CONFIG_KIND_SERVICE, text);
	ck_assert_msg(r == 0, "'%s' refused: %s", text, err.msg);
	ck_assert_uint_eq(c.nservices, n + 1);
	return &c.services[n];
}

/* Parses text that must fail, and checks the whole message. */
static inline void fails(const char *path, enum config_kind kind, const char *text,
		  const char *msg)
{
	unsigned n = c.nservices;
	int r = parse(path, kind, text);
	ck_assert_msg(r < 0, "'%s' accepted", text);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_uint_eq(c.nservices, n);
}

#define MAIN_FAILS(text, msg) fails("fakeosd.conf", CONFIG_KIND_MAIN, text, msg)
#define SERVICE_FAILS(text, msg)                                              \
	fails("services.d/web.conf", CONFIG_KIND_SERVICE, text, msg)
#define SVC "url = http://h/p\naccount = alice\n"

#endif

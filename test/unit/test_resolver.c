/* Unit tests for the resolver's formats (src/resolver.c): the names file
 * (NAME HOST, errors naming file and line), an etcd entry (key PREFIX
 * NAME/HOST, value a hosts line) and the rule that only a pinned host
 * with its pinned key may serve a name; and the static backend's table,
 * read through resolver_open from a names file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "resolver.h"

#define K1 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define K2 "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define K3 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define HOSTS "alpha 10.0.0.1:4433 " K1 "\nbeta 10.0.0.2:4433 " K2 "\n"
#define P "/fakeos/names/"

static struct hosts hosts;
static struct error err;

static void setup(void)
{
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(hosts_parse(HOSTS, strlen(HOSTS), &hosts, &err), 0);
}

static void teardown(void)
{
	hosts_free(&hosts);
}

static int names(const char *text, struct resolver_names *n)
{
	memset(&err, 0, sizeof(err));
	return resolver_names_parse("/etc/fakeos/names", text, strlen(text),
				    &hosts, n, &err);
}

static void names_refused(const char *text, const char *msg)
{
	struct resolver_names n;
	ck_assert_int_eq(names(text, &n), -EINVAL);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_uint_eq(n.n, 0);
	ck_assert_ptr_null(n.v);
}

static int entry(const char *key, const char *value,
		 struct resolver_result *x)
{
	memset(&err, 0, sizeof(err));
	return resolver_entry_parse(P, key, strlen(key), value, strlen(value),
				    &hosts, x, &err);
}

START_TEST(test_names_file_maps_names_to_pinned_hosts)
{
	struct resolver_names n;
	ck_assert_int_eq(names("# name  host\n\ndb alpha\r\n"
			       "  web.v2\tbeta  \n",
			       &n),
			 0);
	ck_assert_uint_eq(n.n, 2);
	ck_assert_str_eq(n.v[0].name, "db");
	ck_assert_str_eq(n.v[0].host->name, "alpha");
	ck_assert_str_eq(n.v[1].name, "web.v2");
	ck_assert_str_eq(n.v[1].host->name, "beta");
	resolver_names_free(&n);
}
END_TEST

START_TEST(test_names_file_errors_name_the_file_and_line)
{
	names_refused("db alpha\n\nweb gamma\n",
		      "/etc/fakeos/names:3: no host 'gamma' in "
		      "/etc/fakeos/hosts");
	names_refused("db alpha\ndb beta\n",
		      "/etc/fakeos/names:2: 'db' is listed twice");
	names_refused("db\n", "/etc/fakeos/names:1: expected NAME HOST");
	names_refused("db alpha extra\n",
		      "/etc/fakeos/names:1: expected NAME HOST");
	names_refused("# ok\na/b alpha\n",
		      "/etc/fakeos/names:2: 'a/b' is not a valid name (1 to 63 "
		      "of A-Z a-z 0-9 . _ -)");
	names_refused("db\x1b[2J alpha\n",
		      "/etc/fakeos/names:1: control character");
	struct resolver_names n;
	ck_assert_int_eq(resolver_names_parse("f", "db alpha\0x", 10, &hosts,
					      &n, &err),
			 -EINVAL);
	ck_assert_str_eq(err.msg, "f:1: NUL byte");
}
END_TEST

START_TEST(test_entry_of_a_pinned_host_is_accepted_with_its_address)
{
	struct resolver_result x;
	ck_assert_int_eq(entry(P "db/beta", "beta 192.168.1.9:5000 " K2, &x),
			 0);
	ck_assert_str_eq(x.name, "db");
	ck_assert_str_eq(x.host, "beta");
	char a[64], k[HOST_KEY_TEXT_SIZE];
	hosts_format_addr((struct sockaddr *)&x.addr, a, sizeof(a));
	hosts_format_key(x.key, k);
	ck_assert_str_eq(a, "192.168.1.9:5000");
	ck_assert_str_eq(k, K2);
}
END_TEST

START_TEST(test_entry_with_an_unpinned_key_or_host_is_refused)
{
	struct resolver_result x;
	/* A known host with another key: the registry would be
	 * introducing a key. */
	ck_assert_int_eq(entry(P "db/beta", "beta 10.0.0.2:4433 " K3, &x),
			 -EPERM);
	ck_assert_str_eq(err.msg, "key " K3 " is not the key pinned for host "
				  "beta in /etc/fakeos/hosts");
	/* Another pinned host's key under a new name is no better. */
	ck_assert_int_eq(entry(P "db/mallory", "mallory 10.6.6.6:1 " K1, &x),
			 -EPERM);
	ck_assert_str_eq(err.msg, "host mallory (" K1 ") is not in "
				  "/etc/fakeos/hosts");
	ck_assert_int_eq(entry(P "db/beta", "alpha 10.0.0.1:4433 " K1, &x),
			 -EINVAL);
	ck_assert_str_eq(err.msg, "the value names host alpha, the key beta");
}
END_TEST

/* A hosts file loaded from a path other than /etc/fakeos/hosts (the
 * hosts setting) is the one the messages name. */
START_TEST(test_refusals_name_the_hosts_file_that_was_read)
{
	struct resolver_result x;
	struct resolver_names n;
	hosts.path = strdup("/srv/fakeos/hosts");
	ck_assert_int_eq(entry(P "db/mallory", "mallory 10.6.6.6:1 " K1, &x),
			 -EPERM);
	ck_assert_str_eq(err.msg, "host mallory (" K1 ") is not in "
				  "/srv/fakeos/hosts");
	ck_assert_int_eq(entry(P "db/beta", "beta 10.0.0.2:4433 " K3, &x),
			 -EPERM);
	ck_assert_str_eq(err.msg, "key " K3 " is not the key pinned for host "
				  "beta in /srv/fakeos/hosts");
	ck_assert_int_eq(names("db gamma\n", &n), -EINVAL);
	ck_assert_str_eq(err.msg, "/etc/fakeos/names:1: no host 'gamma' in "
				  "/srv/fakeos/hosts");
}
END_TEST

START_TEST(test_malformed_entries_are_refused)
{
	struct resolver_result x;
	ck_assert_int_eq(entry("/other/db/beta", "beta 10.0.0.2:1 " K2, &x),
			 -EINVAL);
	ck_assert_int_eq(entry(P "db", "beta 10.0.0.2:1 " K2, &x), -EINVAL);
	ck_assert_int_eq(entry(P "a b/beta", "beta 10.0.0.2:1 " K2, &x),
			 -EINVAL);
	ck_assert_int_eq(entry(P "db/beta", "beta 10.0.0.2:1", &x), -EINVAL);
	ck_assert_int_eq(entry(P "db/beta",
			       "beta 10.0.0.2:1 " K2 "\nalpha 10.0.0.1:1 " K1,
			       &x),
			 -EINVAL);
	ck_assert_int_eq(entry(P "db/beta", "", &x), -EINVAL);
}
END_TEST

START_TEST(test_entry_format_is_what_entry_parse_reads)
{
	char v[256];
	struct resolver_result x;
	resolver_entry_format(&hosts.v[0], v, sizeof(v));
	ck_assert_str_eq(v, "alpha 10.0.0.1:4433 " K1);
	ck_assert_int_eq(entry(P "db/alpha", v, &x), 0);
	ck_assert_str_eq(x.host, "alpha");
}
END_TEST

static int changes;
static void on_change(void *arg UNUSED, const char *name UNUSED,
		      const struct resolver_result *r UNUSED)
{
	changes++;
}

START_TEST(test_static_backend_answers_from_the_names_file)
{
	char dir[] = "/tmp/test_resolver.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
	char *path = NULL;
	ck_assert_int_gt(asprintf(&path, "%s/names", dir), 0);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("db beta\n", f);
	fclose(f);
	chmod(path, 0644);

	struct resolver_opts o = { .backend = RESOLVER_STATIC,
				   .hosts = &hosts, .config_dir = dir,
				   .owner = getuid(), .on_change = on_change,
				   .self = &hosts.v[0] };
	struct resolver *r;
	struct resolver_result x;
	ck_assert_int_eq(resolver_open(&o, &r, &err), 0);
	ck_assert_int_eq(resolver_lookup(r, "db", &x), 0);
	ck_assert_str_eq(x.host, "beta");
	ck_assert_int_eq(resolver_lookup(r, "web", &x), -ENOENT);
	ck_assert_int_eq(resolver_fd(r), -1);
	ck_assert_uint_eq(resolver_next_timeout_ns(r), UINT64_MAX);
	ck_assert_int_eq(resolver_register(r, "web"), 0);
	ck_assert_int_eq(resolver_register(r, "web"), -EEXIST);
	ck_assert_int_eq(resolver_register(r, "a/b"), -EINVAL);
	ck_assert_int_eq(changes, 0);
	resolver_close(r);

	/* A bad line stops the open, naming the file and line. */
	f = fopen(path, "w");
	fputs("db beta\nweb nowhere\n", f);
	fclose(f);
	ck_assert_int_eq(resolver_open(&o, &r, &err), -EINVAL);
	char *want = NULL;
	ck_assert_int_gt(asprintf(&want, "%s:2: no host 'nowhere' in "
				  "/etc/fakeos/hosts", path), 0);
	ck_assert_str_eq(err.msg, want);
	/* One that others may write is not read at all. */
	chmod(path, 0666);
	ck_assert_int_eq(resolver_open(&o, &r, &err), -EPERM);
	unlink(path);
	/* No names file: no names, no error. */
	ck_assert_int_eq(resolver_open(&o, &r, &err), 0);
	ck_assert_int_eq(resolver_lookup(r, "db", &x), -ENOENT);
	resolver_close(r);
	rmdir(dir);
	free(path);
	free(want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resolver");
	TCase *t = tcase_create("formats");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_names_file_maps_names_to_pinned_hosts);
	tcase_add_test(t, test_names_file_errors_name_the_file_and_line);
	tcase_add_test(t, test_entry_of_a_pinned_host_is_accepted_with_its_address);
	tcase_add_test(t, test_entry_with_an_unpinned_key_or_host_is_refused);
	tcase_add_test(t, test_refusals_name_the_hosts_file_that_was_read);
	tcase_add_test(t, test_malformed_entries_are_refused);
	tcase_add_test(t, test_entry_format_is_what_entry_parse_reads);
	tcase_add_test(t, test_static_backend_answers_from_the_names_file);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for the broker's registry (src/registry.c): the list type,
 * services, waiters in order and by deadline, subscriptions and their
 * duplicates, scopes, handles, and dropping an owner's entries. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "registry.h"

static struct registry r;
static struct reg_owner a, b, c;

static void setup(void)
{
	registry_init(&r);
	reg_owner_init(&a);
	reg_owner_init(&b);
	reg_owner_init(&c);
}

static void teardown(void)
{
	registry_fini(&r);
	ck_assert_uint_eq(r.names, 0);
}

static struct reg_entry *add(enum reg_kind k, uint64_t scope, const char *n,
			     struct reg_owner *o, int32_t h, uint64_t dl)
{
	int err = 0;
	struct reg_entry *e = registry_add(&r, k, scope, n, o, h, dl, &err);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(err, 0);
	return e;
}

START_TEST(test_list_removal_is_idempotent_and_order_is_kept)
{
	struct reg_list l;
	struct reg_node n[3];
	reg_list_init(&l);
	ck_assert(reg_list_empty(&l));
	ck_assert_ptr_null(reg_list_first(&l));
	for (int i = 0; i < 3; i++)
		reg_list_append(&l, &n[i]);
	ck_assert_ptr_eq(reg_list_first(&l), &n[0]);
	ck_assert_ptr_eq(reg_list_next(&l, &n[0]), &n[1]);
	ck_assert_ptr_null(reg_list_next(&l, &n[2]));
	reg_node_remove(&n[1]);
	reg_node_remove(&n[1]);
	ck_assert_ptr_eq(reg_list_next(&l, &n[0]), &n[2]);
	reg_node_remove(&n[0]);
	reg_node_remove(&n[2]);
	ck_assert(reg_list_empty(&l));
}
END_TEST

START_TEST(test_a_name_is_served_once_and_found_by_name_and_handle)
{
	struct reg_entry *e = add(REG_SERVICE, 0, "db", &a, 5, 0);
	ck_assert_ptr_eq(registry_service(&r, 0, "db"), e);
	ck_assert_ptr_null(registry_service(&r, 0, "dc"));
	ck_assert_str_eq(reg_entry_name(e), "db");
	int err = 0;
	ck_assert_ptr_null(registry_add(&r, REG_SERVICE, 0, "db", &b, 1, 0,
					&err));
	ck_assert_int_eq(err, -EADDRINUSE);
	ck_assert_ptr_eq(registry_find(&a, 5), e);
	ck_assert_ptr_null(registry_find(&a, 6));
	ck_assert_ptr_null(registry_find(&b, 1));
	ck_assert_uint_eq(a.count[REG_SERVICE], 1);
	ck_assert_uint_eq(b.count[REG_SERVICE], 0);
	registry_remove(&r, e);
	ck_assert_ptr_null(registry_service(&r, 0, "db"));
	ck_assert_uint_eq(a.count[REG_SERVICE], 0);
	ck_assert_uint_eq(r.names, 0);
}
END_TEST

START_TEST(test_scopes_do_not_see_each_others_names)
{
	add(REG_SERVICE, 1, "db", &a, 1, 0);
	ck_assert_ptr_null(registry_service(&r, 2, "db"));
	/* The same name in another scope is another name. */
	struct reg_entry *e = add(REG_SERVICE, 2, "db", &b, 1, 0);
	ck_assert_ptr_eq(registry_service(&r, 2, "db"), e);
	ck_assert_ptr_eq(registry_service(&r, 1, "db")->owner, &a);
	unsigned n;
	add(REG_SUBSCRIBER, 1, "news", &a, 2, 0);
	ck_assert_ptr_null(registry_subscribers(&r, 2, "news", &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(registry_first_waiter(&r, 2, "news"));
}
END_TEST

START_TEST(test_waiters_come_out_in_the_order_they_asked)
{
	add(REG_WAITER, 0, "svc", &b, 1, 100);
	add(REG_WAITER, 0, "svc", &a, 1, 200);
	add(REG_WAITER, 0, "other", &c, 1, 300);
	add(REG_WAITER, 0, "svc", &c, 2, 400);
	struct reg_owner *order[] = { &b, &a, &c };
	for (int i = 0; i < 3; i++) {
		struct reg_entry *w = registry_first_waiter(&r, 0, "svc");
		ck_assert_ptr_nonnull(w);
		ck_assert_ptr_eq(w->owner, order[i]);
		registry_remove(&r, w);
	}
	ck_assert_ptr_null(registry_first_waiter(&r, 0, "svc"));
	ck_assert_ptr_nonnull(registry_first_waiter(&r, 0, "other"));
}
END_TEST

START_TEST(test_waiters_expire_by_deadline_and_say_the_next_one)
{
	ck_assert_uint_eq(registry_next_deadline(&r), UINT64_MAX);
	add(REG_WAITER, 0, "x", &a, 1, 100);
	add(REG_WAITER, 0, "y", &b, 1, 200);
	add(REG_WAITER, 0, "x", &c, 1, 300);
	ck_assert_uint_eq(registry_next_deadline(&r), 100);
	ck_assert_ptr_null(registry_expired(&r, 99));
	unsigned expired = 0;
	struct reg_entry *w;
	while ((w = registry_expired(&r, 250))) {
		registry_remove(&r, w);
		expired++;
	}
	ck_assert_uint_eq(expired, 2);
	ck_assert_uint_eq(registry_next_deadline(&r), 300);
	/* A waiter that was served before its deadline no longer expires. */
	registry_remove(&r, registry_first_waiter(&r, 0, "x"));
	ck_assert_ptr_null(registry_expired(&r, 1000));
	ck_assert_uint_eq(registry_next_deadline(&r), UINT64_MAX);
}
END_TEST

START_TEST(test_a_second_subscription_to_one_channel_is_eexist)
{
	add(REG_SUBSCRIBER, 0, "news", &a, 1, 0);
	int err = 0;
	ck_assert_ptr_null(registry_add(&r, REG_SUBSCRIBER, 0, "news", &a, 2,
					0, &err));
	ck_assert_int_eq(err, -EEXIST);
	ck_assert_uint_eq(a.count[REG_SUBSCRIBER], 1);
	/* Another channel, or another owner, is fine. */
	add(REG_SUBSCRIBER, 0, "weather", &a, 2, 0);
	add(REG_SUBSCRIBER, 0, "news", &b, 1, 0);
	unsigned n;
	const struct reg_list *l = registry_subscribers(&r, 0, "news", &n);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(n, 2);
	unsigned walked = 0;
	for (struct reg_node *x = reg_list_first(l); x;
	     x = reg_list_next(l, x))
		walked++;
	ck_assert_uint_eq(walked, 2);
	/* Unsubscribed, it may subscribe again. */
	registry_remove(&r, registry_find(&a, 1));
	add(REG_SUBSCRIBER, 0, "news", &a, 3, 0);
}
END_TEST

START_TEST(test_dropping_an_owner_removes_all_it_had_and_nothing_else)
{
	add(REG_SERVICE, 0, "db", &a, 1, 0);
	add(REG_WAITER, 0, "cache", &a, 2, 10);
	add(REG_SUBSCRIBER, 0, "news", &a, 3, 0);
	add(REG_SUBSCRIBER, 0, "news", &b, 1, 0);
	add(REG_WAITER, 0, "cache", &b, 2, 20);
	registry_drop_owner(&r, &a);
	ck_assert(reg_list_empty(&a.entries));
	for (int k = 0; k < REG_KINDS; k++)
		ck_assert_uint_eq(a.count[k], 0);
	ck_assert_ptr_null(registry_service(&r, 0, "db"));
	ck_assert_ptr_eq(registry_first_waiter(&r, 0, "cache")->owner, &b);
	unsigned n;
	ck_assert_ptr_nonnull(registry_subscribers(&r, 0, "news", &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(registry_next_deadline(&r), 20);
	/* "db" is gone; "cache" and "news" remain. */
	ck_assert_uint_eq(r.names, 2);
}
END_TEST

START_TEST(test_many_names_share_buckets_and_are_all_found)
{
	char name[16];
	static struct reg_owner many[64];
	for (int i = 0; i < 64; i++)
		reg_owner_init(&many[i]);
	for (int i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "svc%d", i);
		add(REG_SERVICE, (uint64_t)(i % 3), name, &many[i % 64], i, 0);
	}
	ck_assert_uint_eq(r.names, 4096);
	for (int i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "svc%d", i);
		struct reg_entry *e =
			registry_service(&r, (uint64_t)(i % 3), name);
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->handle, i);
		ck_assert_ptr_null(
			registry_service(&r, (uint64_t)(i % 3) + 1, name));
	}
	for (int i = 0; i < 64; i++)
		registry_drop_owner(&r, &many[i]);
	ck_assert_uint_eq(r.names, 0);
}
END_TEST

START_TEST(test_fini_frees_names_with_several_kinds_of_entry)
{
	/* One name with a service, waiters and subscribers: fini must not
	 * read the name after its last entry freed it (ASan would say). */
	add(REG_SERVICE, 0, "x", &a, 1, 0);
	add(REG_WAITER, 0, "x", &b, 1, 5);
	add(REG_SUBSCRIBER, 0, "x", &c, 1, 0);
	add(REG_SUBSCRIBER, 0, "x", &b, 2, 0);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_list_removal_is_idempotent_and_order_is_kept);
	tcase_add_test(tc,
		       test_a_name_is_served_once_and_found_by_name_and_handle);
	tcase_add_test(tc, test_scopes_do_not_see_each_others_names);
	tcase_add_test(tc, test_waiters_come_out_in_the_order_they_asked);
	tcase_add_test(tc,
		       test_waiters_expire_by_deadline_and_say_the_next_one);
	tcase_add_test(tc, test_a_second_subscription_to_one_channel_is_eexist);
	tcase_add_test(tc,
		       test_dropping_an_owner_removes_all_it_had_and_nothing_else);
	tcase_add_test(tc, test_many_names_share_buckets_and_are_all_found);
	tcase_add_test(tc, test_fini_frees_names_with_several_kinds_of_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

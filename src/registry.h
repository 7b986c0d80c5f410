/* registry.h — what a broker's programs have asked to be known by: the
 * names they serve, the link requests waiting for a name nobody serves
 * yet, and their channel subscriptions. Every entry belongs to one owner
 * (a program) under the handle the owner chose, so an owner's entries are
 * found by handle and dropped in one call when it ends; and every entry is
 * found by its name, in a hashed table, so a link or a broadcast costs the
 * broker the entries it concerns and never a walk of everyone's.
 *
 * Names live in scopes: a scope is an opaque number the broker chooses
 * (one per account in fakeosd, 0 in a standalone tree); a name in one
 * scope is invisible from every other.
 *
 * One list type, reg_list, serves every list here: a circular doubly
 * linked list with a sentinel, so removal is O(1) and never walks. */
#ifndef FAKEOS_REGISTRY_H
#define FAKEOS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct reg_node {
	struct reg_node *prev, *next;
};

/* The sentinel of a list; empty when it points at itself. */
struct reg_list {
	struct reg_node head;
};

void reg_list_init(struct reg_list *l);
bool reg_list_empty(const struct reg_list *l);
void reg_list_append(struct reg_list *l, struct reg_node *n);
/* Unlinks n from whatever list holds it; n then points at itself, so a
 * second removal is harmless. */
void reg_node_remove(struct reg_node *n);
/* The first node, or NULL when empty. */
struct reg_node *reg_list_first(const struct reg_list *l);
/* The node after n in l, or NULL at the end. */
struct reg_node *reg_list_next(const struct reg_list *l,
			       const struct reg_node *n);

#define reg_container(ptr, type, member)                                      \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

enum reg_kind { REG_SERVICE, REG_WAITER, REG_SUBSCRIBER, REG_KINDS };

/* Whoever owns entries: embedded in the broker's struct prog. */
struct reg_owner {
	struct reg_list entries;
	unsigned count[REG_KINDS];
};

struct reg_name;

struct reg_entry {
	struct reg_node by_name; /* in its name's service slot, waiters or
				    subscribers */
	struct reg_node by_owner; /* in its owner's entries */
	struct reg_node by_deadline; /* waiters: in the registry's FIFO */
	enum reg_kind kind;
	struct reg_name *name;
	struct reg_owner *owner;
	int32_t handle;
	uint64_t deadline_ns; /* waiters: when the request fails */
	uint32_t dropped; /* subscribers: broadcasts lost since the last
			     one delivered */
};

#define REG_BUCKETS 256

struct registry {
	struct reg_list buckets[REG_BUCKETS]; /* of struct reg_name */
	/* Waiters in the order they asked. Every wait is equally long, so
	 * this is also deadline order and expiry pops from the front. */
	struct reg_list waiters;
	unsigned names; /* distinct (scope, name) keys in use */
};

void registry_init(struct registry *r);
/* Frees every entry and name; owners must not be used afterwards. */
void registry_fini(struct registry *r);
void reg_owner_init(struct reg_owner *o);

/* The entry serving name in scope, or NULL. */
struct reg_entry *registry_service(struct registry *r, uint64_t scope,
				   const char *name);

/* Adds an entry of kind for owner under handle. Returns it, or NULL with
 * *err set: -EADDRINUSE for a service whose name is served already,
 * -EEXIST for a second subscription of one owner to one channel (it
 * would only double what the broker sends it for the same broadcast).
 * A waiter gets deadline_ns; the others ignore it. */
struct reg_entry *registry_add(struct registry *r, enum reg_kind kind,
			       uint64_t scope, const char *name,
			       struct reg_owner *owner, int32_t handle,
			       uint64_t deadline_ns, int *err);

/* The owner's entry under handle, or NULL. */
struct reg_entry *registry_find(const struct reg_owner *o, int32_t handle);

/* Unlinks and frees e; its name goes when nothing else uses it. */
void registry_remove(struct registry *r, struct reg_entry *e);

/* Removes every entry of o. */
void registry_drop_owner(struct registry *r, struct reg_owner *o);

/* The oldest waiter for name in scope, or NULL. */
struct reg_entry *registry_first_waiter(struct registry *r, uint64_t scope,
					const char *name);

/* The oldest waiter for name in any scope, or NULL: a walk of every
 * waiter, done only when a service publishes a name host-wide (fakeosd's
 * services, which root configures), never for a program's own request. */
struct reg_entry *registry_first_waiter_any(struct registry *r,
					    const char *name);

/* fn(name) for each name served in scope: fakeosctl's listing, a walk of
 * the whole table. */
void registry_each_service(struct registry *r, uint64_t scope,
			   void (*fn)(const char *name, void *arg), void *arg);

/* The oldest waiter of all whose deadline is at or before now, or NULL. */
struct reg_entry *registry_expired(struct registry *r, uint64_t now);
/* The earliest waiter's deadline, or UINT64_MAX when none waits. */
uint64_t registry_next_deadline(const struct registry *r);

/* The subscribers of channel in scope, as a list of reg_entry.by_name
 * (NULL when there are none), and how many there are. */
const struct reg_list *registry_subscribers(struct registry *r,
					    uint64_t scope,
					    const char *channel,
					    unsigned *count);

/* The name an entry is about. */
const char *reg_entry_name(const struct reg_entry *e);

#endif

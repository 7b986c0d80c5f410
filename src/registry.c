/* registry.c — see registry.h. */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* --- the list ------------------------------------------------------------ */

void reg_list_init(struct reg_list *l)
{
	l->head.prev = l->head.next = &l->head;
}

bool reg_list_empty(const struct reg_list *l)
{
	return l->head.next == &l->head;
}

void reg_list_append(struct reg_list *l, struct reg_node *n)
{
	n->prev = l->head.prev;
	n->next = &l->head;
	l->head.prev->next = n;
	l->head.prev = n;
}

void reg_node_remove(struct reg_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

struct reg_node *reg_list_first(const struct reg_list *l)
{
	return reg_list_empty(l) ? NULL : l->head.next;
}

struct reg_node *reg_list_next(const struct reg_list *l,
			       const struct reg_node *n)
{
	return n->next == &l->head ? NULL : n->next;
}

/* --- names ----------------------------------------------------------------- */

/* One (scope, name) key in use, with everything that names it. */
struct reg_name {
	struct reg_node node; /* in its bucket */
	uint64_t scope;
	char name[PROTO_NAME_SIZE];
	struct reg_list service; /* at most one entry */
	struct reg_list waiters; /* in the order they asked */
	struct reg_list subscribers;
	unsigned nsubs;
};

/* FNV-1a over the scope and the name: names are short, and a program
 * that picks colliding names only slows its own lookups by a bucket's
 * length, which the per-program quotas bound. */
static unsigned bucket_of(uint64_t scope, const char *name)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 8; i++) {
		h ^= (uint8_t)(scope >> (8 * i));
		h *= 16777619u;
	}
	for (const char *c = name; *c; c++) {
		h ^= (uint8_t)*c;
		h *= 16777619u;
	}
	return h % REG_BUCKETS;
}

static struct reg_name *name_find(struct registry *r, uint64_t scope,
				  const char *name)
{
	struct reg_list *b = &r->buckets[bucket_of(scope, name)];
	for (struct reg_node *n = reg_list_first(b); n;
	     n = reg_list_next(b, n)) {
		struct reg_name *k = reg_container(n, struct reg_name, node);
		if (k->scope == scope && strcmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

static struct reg_name *name_get(struct registry *r, uint64_t scope,
				 const char *name)
{
	struct reg_name *k = name_find(r, scope, name);
	if (k)
		return k;
	k = xcalloc(1, sizeof(*k));
	k->scope = scope;
	/* Names reach here checked (proto_check): at most 63 bytes. */
	strncpy(k->name, name, sizeof(k->name) - 1);
	reg_list_init(&k->service);
	reg_list_init(&k->waiters);
	reg_list_init(&k->subscribers);
	reg_list_append(&r->buckets[bucket_of(scope, name)], &k->node);
	r->names++;
	return k;
}

static void name_put(struct registry *r, struct reg_name *k)
{
	if (!reg_list_empty(&k->service) || !reg_list_empty(&k->waiters) ||
	    !reg_list_empty(&k->subscribers))
		return;
	reg_node_remove(&k->node);
	r->names--;
	free(k);
}

/* --- the registry ------------------------------------------------------------- */

void registry_init(struct registry *r)
{
	for (unsigned i = 0; i < REG_BUCKETS; i++)
		reg_list_init(&r->buckets[i]);
	reg_list_init(&r->waiters);
	r->names = 0;
}

void reg_owner_init(struct reg_owner *o)
{
	reg_list_init(&o->entries);
	memset(o->count, 0, sizeof(o->count));
}

struct reg_entry *registry_service(struct registry *r, uint64_t scope,
				   const char *name)
{
	struct reg_name *k = name_find(r, scope, name);
	struct reg_node *n = k ? reg_list_first(&k->service) : NULL;
	return n ? reg_container(n, struct reg_entry, by_name) : NULL;
}

struct reg_entry *registry_find(const struct reg_owner *o, int32_t handle)
{
	for (struct reg_node *n = reg_list_first(&o->entries); n;
	     n = reg_list_next(&o->entries, n)) {
		struct reg_entry *e = reg_container(n, struct reg_entry,
						    by_owner);
		if (e->handle == handle)
			return e;
	}
	return NULL;
}

struct reg_entry *registry_add(struct registry *r, enum reg_kind kind,
			       uint64_t scope, const char *name,
			       struct reg_owner *owner, int32_t handle,
			       uint64_t deadline_ns, int *err)
{
	struct reg_name *k = name_get(r, scope, name);
	struct reg_list *list = kind == REG_SERVICE ? &k->service
				: kind == REG_WAITER ? &k->waiters
						     : &k->subscribers;
	if (kind == REG_SERVICE && !reg_list_empty(list)) {
		*err = -EADDRINUSE;
		return NULL;
	}
	if (kind == REG_SUBSCRIBER)
		for (struct reg_node *n = reg_list_first(list); n;
		     n = reg_list_next(list, n))
			if (reg_container(n, struct reg_entry, by_name)
				    ->owner == owner) {
				*err = -EEXIST;
				return NULL;
			}
	struct reg_entry *e = xcalloc(1, sizeof(*e));
	e->kind = kind;
	e->name = k;
	e->owner = owner;
	e->handle = handle;
	reg_list_append(list, &e->by_name);
	reg_list_append(&owner->entries, &e->by_owner);
	e->by_deadline.prev = e->by_deadline.next = &e->by_deadline;
	if (kind == REG_WAITER) {
		e->deadline_ns = deadline_ns;
		reg_list_append(&r->waiters, &e->by_deadline);
	}
	if (kind == REG_SUBSCRIBER)
		k->nsubs++;
	owner->count[kind]++;
	return e;
}

void registry_remove(struct registry *r, struct reg_entry *e)
{
	struct reg_name *k = e->name;
	reg_node_remove(&e->by_name);
	reg_node_remove(&e->by_owner);
	reg_node_remove(&e->by_deadline);
	if (e->kind == REG_SUBSCRIBER)
		k->nsubs--;
	e->owner->count[e->kind]--;
	free(e);
	name_put(r, k);
}

void registry_drop_owner(struct registry *r, struct reg_owner *o)
{
	/* The next entry is taken before this one is freed. */
	struct reg_node *end = &o->entries.head;
	for (struct reg_node *n = end->next, *next; n != end; n = next) {
		next = n->next;
		registry_remove(r, reg_container(n, struct reg_entry,
						 by_owner));
	}
}

void registry_fini(struct registry *r)
{
	/* Everything goes at once: no list is kept consistent on the way,
	 * since no owner may be used afterwards (registry.h). */
	for (unsigned i = 0; i < REG_BUCKETS; i++) {
		struct reg_node *end = &r->buckets[i].head;
		for (struct reg_node *n = end->next, *next; n != end; n = next) {
			next = n->next;
			struct reg_name *k = reg_container(n, struct reg_name,
							   node);
			struct reg_list *lists[] = { &k->service, &k->waiters,
						     &k->subscribers };
			for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
				struct reg_node *lend = &lists[l]->head;
				for (struct reg_node *m = lend->next, *mnext;
				     m != lend; m = mnext) {
					mnext = m->next;
					free(reg_container(m, struct reg_entry,
							   by_name));
				}
			}
			free(k);
		}
		reg_list_init(&r->buckets[i]);
	}
	reg_list_init(&r->waiters);
	r->names = 0;
}

struct reg_entry *registry_first_waiter(struct registry *r, uint64_t scope,
					const char *name)
{
	struct reg_name *k = name_find(r, scope, name);
	struct reg_node *n = k ? reg_list_first(&k->waiters) : NULL;
	return n ? reg_container(n, struct reg_entry, by_name) : NULL;
}

struct reg_entry *registry_first_waiter_any(struct registry *r,
					    const char *name)
{
	for (struct reg_node *n = reg_list_first(&r->waiters); n;
	     n = reg_list_next(&r->waiters, n)) {
		struct reg_entry *e = reg_container(n, struct reg_entry,
						    by_deadline);
		if (strcmp(e->name->name, name) == 0)
			return e;
	}
	return NULL;
}

void registry_each_service(struct registry *r, uint64_t scope,
			   void (*fn)(const char *name, void *arg), void *arg)
{
	for (unsigned i = 0; i < REG_BUCKETS; i++)
		for (struct reg_node *n = reg_list_first(&r->buckets[i]); n;
		     n = reg_list_next(&r->buckets[i], n)) {
			struct reg_name *k = reg_container(n, struct reg_name,
							   node);
			if (k->scope == scope && !reg_list_empty(&k->service))
				fn(k->name, arg);
		}
}

struct reg_entry *registry_expired(struct registry *r, uint64_t now)
{
	struct reg_node *n = reg_list_first(&r->waiters);
	if (!n)
		return NULL;
	struct reg_entry *e = reg_container(n, struct reg_entry, by_deadline);
	return e->deadline_ns <= now ? e : NULL;
}

uint64_t registry_next_deadline(const struct registry *r)
{
	struct reg_node *n = reg_list_first(&r->waiters);
	return n ? reg_container(n, struct reg_entry, by_deadline)->deadline_ns
		 : UINT64_MAX;
}

const struct reg_list *registry_subscribers(struct registry *r,
					    uint64_t scope,
					    const char *channel,
					    unsigned *count)
{
	struct reg_name *k = name_find(r, scope, channel);
	*count = k ? k->nsubs : 0;
	return k && k->nsubs ? &k->subscribers : NULL;
}

const char *reg_entry_name(const struct reg_entry *e)
{
	return e->name->name;
}

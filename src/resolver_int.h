/* resolver_int.h — what resolver.c (the table, the static backend, the
 * entry format) and resolver_etcd.c (the registry) share. */
#ifndef FAKEOS_RESOLVER_INT_H
#define FAKEOS_RESOLVER_INT_H

#include "resolver.h"

struct etcd;

struct resolver {
	enum resolver_backend backend;
	struct hosts hosts; /* our own copy */
	struct host self;
	bool have_self;
	/* Every (name, host) known: the names file's lines, or the etcd
	 * entries that passed resolver_entry_parse. */
	struct resolver_result *v;
	size_t n;
	char (*exports)[PROTO_NAME_SIZE];
	size_t nexports;
	resolver_change_fn *on_change;
	void *arg;
	struct etcd *etcd;
};

/* Adds or replaces the entry of (x->name, x->host); drops one. Each
 * calls on_change when what resolver_lookup answers for the name
 * changes. */
void resolver_table_set(struct resolver *r, const struct resolver_result *x);
void resolver_table_del(struct resolver *r, const char *name,
			const char *host);
/* Makes the table exactly v[0..n) (etcd's whole prefix after a range):
 * new entries first, then the missing dropped, so that a name that moved
 * is reported once, moved. */
void resolver_table_replace(struct resolver *r,
			    const struct resolver_result *v, size_t n);

/* a with room for one more of size bytes (n now), zeroed. */
void *resolver_grow(void *a, size_t n, size_t size);

int etcd_open(struct resolver *r, const struct resolver_opts *o,
	      struct error *e);
void etcd_close(struct resolver *r);
void etcd_register(struct resolver *r, const char *name);
void etcd_unregister(struct resolver *r, const char *name);
/* Whether name is among the names this host exports. */
bool resolver_exported(const struct resolver *r, const char *name);
int etcd_fd(const struct resolver *r);
uint64_t etcd_next_timeout_ns(const struct resolver *r);
void etcd_on_readable(struct resolver *r);
void etcd_on_timer(struct resolver *r);

#endif

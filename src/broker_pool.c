/* broker_pool.c — warm jails for the broker (broker_int.h, jail.h): a pool
 * of jails prepared ahead, each with its namespaces, cgroup, ring and
 * dropped privileges, waiting for one program. fakeosd keeps one; a
 * standalone fakeos-run has none (its one launch would pay for preparing
 * the jail anyway). A launch takes a jail whose cgroup fits the program's
 * memory limit, and the loop makes a new one after each poll, one at a
 * time, so a burst of launches uses the pool and refills it in the
 * background. */
#include "broker_int.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

void broker_set_pool(struct broker *b, unsigned size, uint64_t memory)
{
	pool_drain(b);
	free(b->pool);
	b->pool = size ? xcalloc(size, sizeof(*b->pool)) : NULL;
	b->pool_size = size;
	b->pool_n = 0;
	b->pool_memory = memory;
}

/* Prepares one jail, if the pool is short of one. */
void pool_fill_one(struct broker *b)
{
	if (b->pool_n >= b->pool_size)
		return;
	struct warm_slot *ws = &b->pool[b->pool_n];
	struct error e = { "" };
	struct cgroup_join cg = { -1, -1 };
	memset(ws, 0, sizeof(*ws));
	ws->w.pid = -1;
	ws->cg_id = b->next_id++;
	if (b->cgroup.dirfd >= 0) {
		if (cgroup_create(&b->cgroup, ws->cg_id, b->pool_memory,
				  CGROUP_PIDS_MAX, &cg, &e) < 0) {
			log_warn("warm jail: %s", e.msg);
			b->pool_size = b->pool_n; /* no more tries */
			return;
		}
		ws->cg = true;
	}
	struct jail_shape shape = {
		.netns_fd = b->shared_netns,
		.home_netns_fd = b->home_netns,
		.mntns_fd = b->shared_mntns,
		.home_mntns_fd = b->home_mntns,
		.hostname = "fakeos",
		.cgroup_fd = cg.clone_fd,
		.cgroup_procs_fd = cg.procs_fd,
		.ring = true,
	};
	int r = jail_warm_prepare(&shape, &ws->w, &e);
	cgroup_join_close(&cg);
	if (r < 0) {
		if (ws->cg)
			cgroup_remove(&b->cgroup, ws->cg_id);
		/* A host where a warm jail cannot be made launches cold;
		 * it says so once and stops trying. */
		log_warn("warm jails: not used: %s", e.msg);
		b->pool_size = b->pool_n;
		return;
	}
	b->pool_n++;
}

bool pool_take(struct broker *b, uint64_t memory, struct warm_slot *out)
{
	if (b->pool_n == 0)
		return false;
	/* A jail's cgroup was made with the pool's memory limit: another
	 * limit launches cold. */
	if (b->cgroup.dirfd >= 0 && memory != b->pool_memory)
		return false;
	/* The oldest is the readiest. */
	*out = b->pool[0];
	memmove(&b->pool[0], &b->pool[1],
		(b->pool_n - 1) * sizeof(b->pool[0]));
	b->pool_n--;
	return true;
}

void pool_drop(struct broker *b, struct warm_slot *ws)
{
	jail_warm_discard(&ws->w);
	if (ws->cg)
		cgroup_remove(&b->cgroup, ws->cg_id);
	ws->cg = false;
}

void pool_drain(struct broker *b)
{
	while (b->pool_n > 0)
		pool_drop(b, &b->pool[--b->pool_n]);
}

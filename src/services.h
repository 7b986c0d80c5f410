/* services.h — fakeosd's supervised services: each services.d/NAME.conf
 * (config.h) is run as a broker tree of its own, in its account's scope
 * and under its account's quotas, with stdin at end of file and its
 * stdout and stderr read by the daemon and logged line by line with the
 * service's name ("<6>svc db: hello"). A service that ends is started
 * again by its restart policy after a back-off that doubles with each
 * consecutive restart, from restart-delay up to restart-delay-max, and
 * goes back to restart-delay once a run lasted SERVICES_RESET_MS (or
 * restart-delay-max, if that is less). Waiting costs nothing: the
 * daemon's loop sleeps until the earliest restart (services_tick). */
#ifndef FAKEOS_SERVICES_H
#define FAKEOS_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "broker.h"
#include "config.h"

#define SERVICES_RESET_MS 10000ULL

struct services;

/* What a service's tree needs from the daemon: the broker, the options
 * of a run, and the account of a uid (its quotas, kept by the daemon). */
struct services_env {
	struct broker *b;
	const struct broker_opts *defaults;
	const struct broker_account *(*account)(void *arg, uid_t uid);
	void *arg;
};

struct services *services_new(const struct services_env *env);
/* Every tree must be done (services_idle): the daemon stops them first. */
void services_free(struct services *s);

/* Makes the services those of cfg (which must outlive them): starts each
 * one not running, restarts each whose settings changed, stops each one
 * cfg no longer has. Start-up and every reload. */
void services_sync(struct services *s, const struct config *cfg);

/* Frees the trees that ended and decides their restart; starts what is
 * due. Returns the milliseconds until the next restart is due, or -1. */
int services_tick(struct services *s);

/* The daemon stops: every service's programs end with sig, and none
 * starts again. */
void services_stop_all(struct services *s, int sig);
/* No service has a tree left. */
bool services_idle(const struct services *s);

/* fakeosctl start|stop|restart NAME (root only: the caller checks).
 * Returns 0 or -ENOENT / -EINVAL, with msg saying what happened. */
int services_ctl(struct services *s, const char *op, const char *name,
		 char *msg, size_t len);

/* One line per service: "NAME STATE RESTARTS LAST NEXT" (fakeosctl
 * services). */
void services_list(const struct services *s,
		   void (*line)(const char *text, void *arg), void *arg);

/* Each service's tree that runs, with its account's uid. */
void services_each_tree(const struct services *s,
			void (*fn)(const struct tree *t, uid_t uid,
				   void *arg),
			void *arg);

#endif

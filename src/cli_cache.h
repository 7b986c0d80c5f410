/* cli_cache.h — fakeos-run's cache commands, --cache-list, --cache-verify
 * and --cache-clear: the words a person reads (man/fakeos-run.1), over the
 * walks cache_store.h offers. */
#ifndef FAKEOS_CLI_CACHE_H
#define FAKEOS_CLI_CACHE_H

#include <stdio.h>

#include "util.h"

/* Each takes the cache directory and writes its report to out. A cache
 * that does not exist is empty, and is not created. */

/* One line per entry, sorted by URL:
 *   URL sha256=HEX size=N fetched=TIME expires=TIME used=TIME
 * TIME is ISO 8601 UTC ("2025-01-31T12:00:00Z"); used is "never" when the
 * object is missing. A malformed entry is a warning on stderr. */
int cli_cache_list(const char *dir, FILE *out, struct error *e);
/* cache_verify, a line for each thing it found and removed, then a
 * summary. *bad receives the number of corrupt objects, strays and
 * malformed entries: the exit status says whether it is 0. */
int cli_cache_verify(const char *dir, FILE *out, unsigned *bad,
		     struct error *e);
/* cache_clear, then one line saying what it removed. */
int cli_cache_clear(const char *dir, FILE *out, struct error *e);

enum cli_cache_cmd { CLI_CACHE_LIST, CLI_CACHE_VERIFY, CLI_CACHE_CLEAR };
/* Runs cmd on dir (NULL: cache_default_dir) with its report on stdout.
 * Returns 0; 1 when --cache-verify found (and removed) something bad; or
 * -errno when it failed, having printed the one message that says why. */
int cli_cache_run(enum cli_cache_cmd cmd, const char *dir);

#endif

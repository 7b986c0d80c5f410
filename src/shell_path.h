/* shell_path.h — fakeos-shell's search path: base URLs that turn a bare
 * name into a program's URL, as PATH turns a command name into a file.
 *
 * The operator sets each account's path in /etc/fakeos/shell.conf, a
 * file only root may change (config_read_file's checks), one line per
 * account, words as shell_words.h cuts them:
 *     ACCOUNT BASE...    a user name, or * for every account without a
 *                        line of its own; no BASE: no path
 * The user may replace it for a session (the `path` built-in).
 *
 * Resolution (fakeos-shell(1), SEARCH PATH): a word with "://" is a URL
 * and is taken as it is. A name ([A-Za-z0-9_+][A-Za-z0-9._+-]*, so never
 * "." or ".." or a path) is tried against the bases in order: a file://
 * base matches when BASE/NAME is a regular file this user can read (what
 * the daemon's fetch will open, with the user's credentials); an http(s)
 * base always matches and ends the search. Whether a server has a
 * program is only learnt by fetching it, and a name must mean the same
 * program whether or not a server answers this minute: a network base is
 * never skipped, so an outage cannot turn `hello` into another origin's
 * hello, fed with the user's input. Anything else (/bin/sh, ./x, `ls;`)
 * is refused. */
#ifndef FAKEOS_SHELL_PATH_H
#define FAKEOS_SHELL_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

#define SHELL_CONF "shell.conf"
#define SHELL_PATH_MAX 16 /* bases in a path */
#define SHELL_NAME_MAX 255 /* a name's bytes */

/* Is w a name the path may resolve? */
bool shell_name_ok(const char *w);

/* Checks base as a URL prefix (url_parse: http, https or file, no
 * #sha256= pin) and appends it to p with a '/' at its end. -EINVAL, or
 * -E2BIG past SHELL_PATH_MAX, with e saying why. */
int shell_path_add(struct config_list *p, const char *base, struct error *e);

/* Parses shell.conf's text[0..len) (path names it in messages) and
 * fills *out with user's bases: its own line, else the '*' line, else
 * none. Every line is checked, whoever it is for: a mistake anywhere is
 * the operator's to see at once. Pure: the fuzzer can call it. */
int shell_conf_parse(const char *path, const char *text, size_t len,
		     const char *user, struct config_list *out,
		     struct error *e);

/* Reads DIR/shell.conf (config_read_file: owned by owner, not writable
 * by anyone else) for user. No file: an empty path, and 0. */
int shell_conf_load(const char *dir, uid_t owner, const char *user,
		    struct config_list *out, struct error *e);

/* Does the program at url exist for this user? (a file:// base). */
typedef bool shell_exists_fn(const char *url, void *arg);
/* The real test: url's file is a regular file the caller may read. */
bool shell_file_readable(const char *url, void *arg);

/* Resolves word (the command's first word) through path. Returns 0
 * with *url (a new string), or with e saying why: -ENOENT for a name
 * that resolves nowhere, -EPERM for a word that is neither a URL nor a
 * name, -EINVAL for a malformed URL. */
int shell_resolve(const struct config_list *path, const char *word,
		  shell_exists_fn *exists, void *arg, char **url,
		  struct error *e);

#endif

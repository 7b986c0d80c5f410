/* config_load.c — see config.h: where fakeosd's settings are read from,
 * and the rule that only root may have written them (issue 16, section
 * 7). The path is walked from / one directory at a time and every file
 * is checked on the descriptor it is then read from; config.c parses
 * what passes. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "url.h"

/* Why a file is refused: the rule, said in every such message. */
#define REASON "fakeosd reads only files that only root can change"

/* The permission rule. above: a directory on the way to DIR, which may
 * also be root's, and may be writable by others if it is sticky (/tmp):
 * then no one else can rename or remove what is in it. A POSIX ACL that
 * lets another user write shows as group write in the mode (its mask). */
static int check_owner_mode(const char *path, const struct stat *st,
			    uid_t owner, bool above, struct error *e)
{
	mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);
	char want[32] = "root";

	if (owner != 0)
		snprintf(want, sizeof(want), "uid %u", (unsigned)owner);
	if (st->st_uid != owner && !(above && st->st_uid == 0))
		return error_set(e, EPERM, "%s is owned by uid %u, not %s: %s",
				 path, (unsigned)st->st_uid, want, REASON);
	if (w && !(above && S_ISDIR(st->st_mode) &&
		   (st->st_mode & S_ISVTX)))
		return error_set(e, EPERM, "%s is writable by %s (mode %04o): "
				 "%s", path,
				 w == (S_IWGRP | S_IWOTH) ? "group and others" :
				 w == S_IWGRP		   ? "group" :
							     "others",
				 (unsigned)(st->st_mode & 07777), REASON);
	return 0;
}

/* Opens name in dirfd without following a link, and checks what it opened
 * (not what the name points to a moment later). */
static int open_checked(int dirfd, const char *name, const char *path,
			int flags, uid_t owner, bool above, int *out,
			struct stat *st, struct error *e)
{
	/* O_NONBLOCK: a FIFO must not hang the daemon before the check. */
	cleanup_fd int fd = openat(dirfd, name, flags | O_RDONLY | O_NOFOLLOW |
						O_CLOEXEC | O_NOCTTY |
						O_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		struct stat lst;
		if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(lst.st_mode))
			return error_set(e, EPERM,
					 "%s is a symbolic link: %s", path,
					 REASON);
		return error_sys(e, err, "%s", path);
	}
	if (fstat(fd, st) < 0)
		return error_sys(e, errno, "%s: fstat", path);
	int r = check_owner_mode(path, st, owner, above, e);
	if (r < 0)
		return r;
	*out = steal_fd(&fd);
	return 0;
}

/* Opens DIR, walking from / one component at a time, each opened without
 * following links and checked: DIR itself strictly, those above it as
 * check_owner_mode says. */
static int open_dir(const char *dir, uid_t owner, int *out, struct error *e)
{
	char abs[PATH_MAX], shown[PATH_MAX] = "";
	size_t o = 0;
	struct stat st = { .st_mode = 0 };

	size_t n = 0;
	if (dir[0] != '/') {
		if (!getcwd(abs, sizeof(abs)))
			return error_sys(e, errno, "getcwd");
		n = strlen(abs);
	}
	if ((size_t)snprintf(abs + n, sizeof(abs) - n, "/%s", dir) >=
	    sizeof(abs) - n)
		return error_set(e, ENAMETOOLONG, "%s: path too long", dir);
	cleanup_fd int fd = -1;
	int r = open_checked(AT_FDCWD, "/", "/", O_DIRECTORY, owner,
			     strspn(abs, "/.") < strlen(abs), &fd, &st, e);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *c = strtok_r(abs, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return error_set(e, EINVAL, "%s: '..' in the path",
					 dir);
		o += (size_t)snprintf(shown + o, sizeof(shown) - o, "/%s", c);
		/* The rest of the path, if any component other than "."
		 * follows, makes this one a directory above DIR. */
		bool above = save && strspn(save, "/.") < strlen(save);
		int next = -1;
		r = open_checked(fd, c, shown, O_DIRECTORY, owner, above,
				 &next, &st, e);
		if (r < 0)
			return r;
		close(fd);
		fd = next;
	}
	*out = steal_fd(&fd);
	return 0;
}

/* Reads one file of the configuration whole, checked. */
static int read_checked(int dirfd, const char *name, const char *path,
			uid_t owner, char **text, size_t *len, struct error *e)
{
	cleanup_fd int fd = -1;
	struct stat st = { .st_mode = 0 };
	int r = open_checked(dirfd, name, path, 0, owner, false, &fd, &st, e);
	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return error_set(e, EINVAL, "%s is not a regular file", path);
	if (st.st_size > CONFIG_FILE_MAX)
		return error_set(e, EFBIG, "%s: larger than %d bytes", path,
				 CONFIG_FILE_MAX);
	*len = (size_t)st.st_size;
	cleanup_free char *t = xmalloc(*len + 1);
	r = read_full(fd, t, *len);
	if (r < 0)
		return error_sys(e, r, "%s: read", path);
	t[*len] = '\0';
	*text = steal_pointer(&t);
	return 0;
}

/* Reads one file of the configuration, checked, and parses it. */
static int load_file(int dirfd, const char *name, const char *path,
		     enum config_kind kind, uid_t owner, struct config *c,
		     struct error *e)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	int r = read_checked(dirfd, name, path, owner, &text, &len, e);
	if (r < 0)
		return r;
	return config_parse_text(path, text, len, kind, NULL, c, e);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in services.d, sorted, so services load in a fixed order. */
static int list_dir(int dfd, const char *path, struct config_list *names,
		    struct error *e)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return error_sys(e, errno, "%s", path);
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		return error_sys(e, err, "%s", path);
	}
	const struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (names->n >= CONFIG_ENTRIES_MAX) {
			closedir(d);
			return error_set(e, E2BIG, "%s: more than %d entries",
					 path, CONFIG_ENTRIES_MAX);
		}
		config_list_push(names, xstrdup(de->d_name));
		errno = 0;
	}
	int err = errno;
	closedir(d);
	if (err)
		return error_sys(e, err, "%s", path);
	if (names->n)
		qsort(names->v, names->n, sizeof(*names->v), compare_names);
	return 0;
}

static int load_services(int dirfd, const char *dir, uid_t owner,
			 struct config *c, struct error *e)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, CONFIG_SERVICES);
	cleanup_fd int sfd = -1;
	struct stat st = { .st_mode = 0 };
	struct stat lst;

	/* No services.d: no services. Told apart from a dangling link,
	 * which open_checked refuses. */
	if (fstatat(dirfd, CONFIG_SERVICES, &lst, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		return 0;
	int r = open_checked(dirfd, CONFIG_SERVICES, path, O_DIRECTORY, owner,
			     false, &sfd, &st, e);
	if (r < 0)
		return r;
	struct config_list names = { NULL, 0 };
	r = list_dir(sfd, path, &names, e);
	for (unsigned i = 0; r == 0 && i < names.n; i++) {
		const char *n = names.v[i];
		size_t len = strlen(n);
		/* The name as messages show it: a file name may hold any
		 * byte but '/' and NUL, and control bytes must not reach a
		 * terminal or the journal. The file is opened by n. */
		char *raw = xasprintf("%s/%s", path, n);
		char file[PATH_MAX];
		url_sanitize(raw, strlen(raw), file, sizeof(file));
		free(raw);
		if (len > 5 && strcmp(n + len - 5, ".conf") == 0)
			r = load_file(sfd, n, file, CONFIG_KIND_SERVICE, owner,
				      c, e);
		else
			config_list_push(&c->warnings,
				  xasprintf("%s: ignored: only NAME.conf "
					    "files are read",
					    file));
	}
	config_list_free(&names);
	return r;
}

static int load(const char *dir, uid_t owner, struct config *c,
		struct error *e)
{
	/* Messages name files as DIR/NAME, with DIR as the caller gave it. */
	cleanup_free char *d = xstrdup(dir);
	for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
		d[n - 1] = '\0';
	cleanup_fd int dirfd = -1;
	int r = open_dir(dir, owner, &dirfd, e);
	if (r < 0)
		return r;
	cleanup_free char *main_path =
		xasprintf("%s%s%s", d, strcmp(d, "/") ? "/" : "", CONFIG_MAIN);
	r = load_file(dirfd, CONFIG_MAIN, main_path, CONFIG_KIND_MAIN, owner,
		      c, e);
	if (r < 0)
		return r;
	return load_services(dirfd, strcmp(d, "/") ? d : "", owner, c, e);
}

int config_load(const char *dir, uid_t owner, struct config *out,
		struct error *e)
{
	config_init(out);
	int r = load(dir, owner, out, e);
	if (r < 0) {
		config_free(out);
		config_init(out);
	}
	return r;
}

int config_read_file(const char *dir, const char *name, uid_t owner,
		     char **text, size_t *len, struct error *e)
{
	*text = NULL;
	*len = 0;
	cleanup_fd int dirfd = -1;
	int r = open_dir(dir, owner, &dirfd, e);
	if (r < 0)
		return r;
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	struct stat lst;
	if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		return error_set(e, ENOENT, "%s: no such file", path);
	return read_checked(dirfd, name, path, owner, text, len, e);
}

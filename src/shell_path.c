/* shell_path.c — see shell_path.h. */
#include "shell_path.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell_words.h"
#include "url.h"

bool shell_name_ok(const char *w)
{
	size_t n = strlen(w);
	if (n == 0 || n > SHELL_NAME_MAX || w[0] == '.' || w[0] == '-')
		return false;
	return strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._+-") == n;
}

int shell_path_add(struct config_list *p, const char *base, struct error *e)
{
	char shown[128];
	url_sanitize(base, strlen(base), shown, sizeof(shown));
	if (p->n >= SHELL_PATH_MAX)
		return error_set(e, E2BIG, "more than %d bases in the path",
				 SHELL_PATH_MAX);
	struct url u;
	struct error ue = { "" };
	if (!strstr(base, "://") || url_parse(base, &u, &ue) < 0)
		return error_set(e, EINVAL, "'%s' is not a base URL%s%s",
				 shown, ue.msg[0] ? ": " : "", ue.msg);
	if (u.pinned) {
		url_free(&u);
		return error_set(e, EINVAL, "'%s' has a #sha256= pin, but a "
					    "base stands for many programs",
				 shown);
	}
	/* u.base: the scheme in lower case, which resolution reads. */
	size_t n = strlen(u.base);
	config_list_push(p, xasprintf("%s%s", u.base,
				      n && u.base[n - 1] == '/' ? "" : "/"));
	url_free(&u);
	return 0;
}

int shell_conf_parse(const char *path, const char *text, size_t len,
		     const char *user, struct config_list *out,
		     struct error *e)
{
	struct config_list mine = { NULL, 0 }, any = { NULL, 0 };
	bool have_mine = false, have_any = false;
	unsigned line = 0;
	int r = 0;
	config_list_free(out);
	for (size_t i = 0; i < len && r == 0;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		const char *s = text + i;
		i += n + 1;
		line++;
		size_t lead = 0;
		while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
			lead++;
		if (lead == n || s[lead] == '#')
			continue;
		struct shell_words w;
		struct error we = { "" };
		if (shell_split(s, n, &w, &we) < 0) {
			r = error_set(e, EINVAL, "%s:%u: %s", path, line,
				      we.msg);
			break;
		}
		const char *who = w.v[0];
		bool is_any = strcmp(who, "*") == 0;
		bool is_mine = !is_any && user && strcmp(who, user) == 0;
		if (!is_any && !shell_name_ok(who))
			r = error_set(e, EINVAL, "%s:%u: not an account name "
					 "or '*'", path, line);
		else if ((is_any && have_any) ||
			 (is_mine && have_mine))
			r = error_set(e, EINVAL, "%s:%u: a second line for "
					 "'%s'", path, line, who);
		struct config_list bases = { NULL, 0 };
		for (size_t k = 1; r == 0 && k < w.n; k++) {
			struct error be = { "" };
			if (shell_path_add(&bases, w.v[k], &be) < 0)
				r = error_set(e, EINVAL, "%s:%u: %s", path,
					      line, be.msg);
		}
		if (r == 0 && is_any) {
			have_any = true;
			any = bases;
		} else if (r == 0 && is_mine) {
			have_mine = true;
			mine = bases;
		} else {
			config_list_free(&bases);
		}
		shell_words_free(&w);
	}
	if (r == 0) {
		*out = have_mine ? mine : any;
		if (have_mine)
			config_list_free(&any);
		else
			config_list_free(&mine);
		return 0;
	}
	config_list_free(&mine);
	config_list_free(&any);
	return r;
}

int shell_conf_load(const char *dir, uid_t owner, const char *user,
		    struct config_list *out, struct error *e)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	cleanup_free char *path = xasprintf("%s/%s", dir, SHELL_CONF);
	int r = config_read_file(dir, SHELL_CONF, owner, &text, &len, e);
	if (r == -ENOENT) {
		config_list_free(out);
		return 0;
	}
	if (r < 0)
		return r;
	return shell_conf_parse(path, text, len, user, out, e);
}

bool shell_file_readable(const char *url, void *arg)
{
	(void)arg;
	struct url u;
	struct error e;
	if (url_parse(url, &u, &e) < 0)
		return false;
	bool ok = false;
	if (u.path) {
		/* Opened, not access()ed: what the fetch will do. */
		int fd = open(u.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
					      O_NOCTTY);
		struct stat st;
		ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
		if (fd >= 0)
			close(fd);
	}
	url_free(&u);
	return ok;
}

int shell_resolve(const struct config_list *path, const char *word,
		  shell_exists_fn *exists, void *arg, char **url,
		  struct error *e)
{
	char shown[128];
	url_sanitize(word, strlen(word), shown, sizeof(shown));
	*url = NULL;
	if (strstr(word, "://")) {
		struct url u;
		struct error ue = { "" };
		if (url_parse(word, &u, &ue) < 0)
			return error_set(e, EINVAL, "%s", ue.msg);
		url_free(&u);
		*url = xstrdup(word);
		return 0;
	}
	if (!shell_name_ok(word))
		return error_set(e, EPERM, "%s: refused: not a URL or a "
					   "program name (fakeos-shell runs "
					   "programs by URL, and nothing on "
					   "this host)",
				 shown);
	if (path->n == 0)
		return error_set(e, ENOENT, "%s: not found: the search path "
					    "is empty (give a URL, or set one "
					    "with 'path BASE...')",
				 shown);
	for (unsigned i = 0; i < path->n; i++) {
		char *cand = xasprintf("%s%s", path->v[i], word);
		if (strncmp(cand, "file:", 5) != 0 || exists(cand, arg)) {
			*url = cand;
			return 0;
		}
		free(cand);
	}
	return error_set(e, ENOENT, "%s: not found in the search path (%u "
				    "base%s; 'path' shows them)",
			 shown, path->n, path->n == 1 ? "" : "s");
}

/* shell_edit.c — fakeos-shell's prompt (shell.h): libedit's line editing,
 * a history kept in ~/.fakeos_history (SHELL_HISTORY_MAX lines, saved
 * after every line so that a dropped connection loses nothing), Tab
 * completion, the status of each program, and the signals of a terminal
 * session:
 *   - SIGINT (Ctrl-C) at the prompt abandons the line; while a program
 *     runs, client_run takes it and the daemon ends the program (the
 *     status then says SIGINT). The session goes on either way.
 *   - SIGWINCH: libedit (EL_SIGNAL) reads the new size at the prompt;
 *     a resize while a program ran is read before the next prompt.
 *   - SIGQUIT and SIGTSTP at the prompt are ignored: there is no core to
 *     dump and no job control.
 * Completion offers, for the first word, the built-ins and the names of
 * the search path's file:// directories; and for any word the URLs this
 * account has run (its history) and is running (fakeosd's LIST). The
 * system cache is root's alone (0700), so it is not read. */
#include <dirent.h>
#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "dproto.h"
#include "log.h"
#include "shell.h"
#include "shell_words.h"
#include "url.h"

#define CANDIDATES_MAX 4096 /* completions gathered at most */
#define DIR_ENTRIES_MAX 1024 /* names read from one file:// base */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const char *prompt(EditLine *el)
{
	(void)el;
	return "fakeos> ";
}

/* ---- completion ---------------------------------------------------------- */

struct candidates {
	char **v;
	size_t n, cap;
	const char *prefix;
	size_t plen;
};

static void add(struct candidates *c, const char *s)
{
	if (strncmp(s, c->prefix, c->plen) != 0 || c->n >= CANDIDATES_MAX)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], s) == 0)
			return;
	if (!c->v || c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		char **v = realloc(c->v, c->cap * sizeof(*v));
		if (!v)
			return;
		c->v = v;
	}
	c->v[c->n++] = xstrdup(s);
}

/* Every word of a history line that is a URL. */
static void add_urls_of(struct candidates *c, const char *line)
{
	struct shell_words w;
	struct error e;
	if (shell_split(line, strlen(line), &w, &e) < 0)
		return;
	for (size_t i = 0; i < w.n; i++)
		if (strstr(w.v[i], "://"))
			add(c, w.v[i]);
	shell_words_free(&w);
}

/* A line of fakeosd's program listing: the URL is its last column. */
static void add_listed(const char *line, void *arg)
{
	const char *url = strrchr(line, ' ');
	if (url && strstr(url + 1, "://"))
		add(arg, url + 1);
}

static void add_dir_names(struct candidates *c, const char *base)
{
	const char *dir = url_file_prefix_dir(base);
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return;
	const struct dirent *de;
	for (unsigned k = 0; k < DIR_ENTRIES_MAX && (de = readdir(d)); k++)
		if ((de->d_type == DT_REG || de->d_type == DT_LNK ||
		     de->d_type == DT_UNKNOWN) &&
		    shell_name_ok(de->d_name))
			add(c, de->d_name);
	closedir(d);
}

static void gather(struct shell *sh, History *hist, bool first,
		   struct candidates *c)
{
	HistEvent ev;
	if (first) {
		static const char *const builtins[] = { "exit", "help",
							"path" };
		for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
			add(c, builtins[i]);
		for (unsigned i = 0; i < sh->path.n; i++)
			add_dir_names(c, sh->path.v[i]);
	}
	for (int r = history(hist, &ev, H_FIRST); r != -1;
	     r = history(hist, &ev, H_NEXT))
		add_urls_of(c, ev.str);
	struct error e;
	int sock = client_connect(sh->socket, &e);
	if (sock >= 0) {
		(void)client_list(sock, DPROTO_LIST_PROGRAMS, add_listed, c);
		close(sock);
	}
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned char complete(EditLine *el, int ch)
{
	(void)ch;
	struct shell *sh = NULL;
	el_get(el, EL_CLIENTDATA, &sh);
	History *hist = sh ? sh->history : NULL;
	const LineInfo *li = el_line(el);
	const char *start = li->cursor;
	while (start > li->buffer && start[-1] != ' ' && start[-1] != '\t')
		start--;
	bool first = true;
	for (const char *p = li->buffer; p < start; p++)
		if (*p != ' ' && *p != '\t')
			first = false;
	if (!sh || !hist)
		return CC_ERROR;
	char *prefix = xmalloc((size_t)(li->cursor - start) + 1);
	memcpy(prefix, start, (size_t)(li->cursor - start));
	prefix[li->cursor - start] = '\0';
	struct candidates c = { .prefix = prefix, .plen = strlen(prefix) };
	gather(sh, hist, first, &c);
	unsigned char ret = CC_REFRESH;
	if (c.n == 0) {
		ret = CC_ERROR;
	} else if (c.n == 1) {
		if (el_insertstr(el, c.v[0] + c.plen) < 0 ||
		    el_insertstr(el, " ") < 0)
			ret = CC_ERROR;
	} else {
		/* The longest common prefix; with nothing to add, the list. */
		size_t common = strlen(c.v[0]);
		for (size_t i = 1; i < c.n; i++) {
			size_t k = 0;
			while (k < common && c.v[i][k] == c.v[0][k])
				k++;
			common = k;
		}
		if (common > c.plen) {
			/* el_insertstr takes a string: cut the first there. */
			char keep = c.v[0][common];
			c.v[0][common] = '\0';
			if (el_insertstr(el, c.v[0] + c.plen) < 0)
				ret = CC_ERROR;
			c.v[0][common] = keep;
		} else {
			qsort(c.v, c.n, sizeof(*c.v), compare);
			fputc('\n', stdout);
			for (size_t i = 0; i < c.n; i++)
				printf("%s\n", c.v[i]);
			(void)fflush(stdout);
			ret = CC_REDISPLAY;
		}
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i]);
	free(c.v);
	free(prefix);
	return ret;
}

/* ---- the loop ------------------------------------------------------------ */

static void set_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the read at the prompt returns, and the line is
	 * abandoned. */
	sa.sa_handler = on_interrupt;
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGQUIT, &sa, NULL);
	(void)sigaction(SIGTSTP, &sa, NULL);
}

int shell_interactive(struct shell *sh)
{
	cleanup_free char *file = xasprintf("%s/%s", sh->home, SHELL_HISTORY);
	HistEvent ev;
	History *hist = history_init();
	EditLine *el = el_init("fakeos-shell", stdin, stdout, stderr);
	if (!hist || !el) {
		log_error("cannot set up line editing (libedit)");
		return EXIT_LAUNCHER;
	}
	history(hist, &ev, H_SETSIZE, SHELL_HISTORY_MAX);
	history(hist, &ev, H_SETUNIQUE, 1);
	/* None yet is no error: the first line makes it. */
	(void)history(hist, &ev, H_LOAD, file);
	set_signals();
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_SIGNAL, 1);
	el_set(el, EL_PROMPT, prompt);
	el_set(el, EL_HIST, history, hist);
	sh->history = hist;
	el_set(el, EL_CLIENTDATA, sh);
	el_set(el, EL_ADDFN, "fakeos-complete",
	       "complete a URL, a name or a built-in", complete);
	el_set(el, EL_BIND, "^I", "fakeos-complete", NULL);
	printf("fakeOS shell: run programs by URL or by name; 'help' says "
	       "how.\n");
	(void)fflush(stdout);
	for (;;) {
		int count = 0;
		interrupted = 0;
		const char *got = el_gets(el, &count);
		if (!got && count < 0 && (errno == EINTR || interrupted)) {
			/* Ctrl-C at the prompt: a new, empty line. */
			fputc('\n', stdout);
			(void)fflush(stdout);
			continue;
		}
		if (!got || count <= 0) {
			/* Ctrl-D, or the connection went away. */
			fputc('\n', stdout);
			break;
		}
		cleanup_free char *line = xstrdup(got);
		line[strcspn(line, "\n")] = '\0';
		if (line[strspn(line, " \t")] != '\0') {
			history(hist, &ev, H_ENTER, line);
			if (history(hist, &ev, H_SAVE, file) < 0)
				log_warn("%s: history not saved", file);
		}
		bool quit, ran;
		int code = shell_command(sh, line, &quit, &ran);
		if (quit)
			break;
		if (ran) {
			char st[64];
			shell_status_text(code, st, sizeof(st));
			fprintf(stderr, "%s\n", st);
		}
		/* The terminal may have been resized while a program ran:
		 * libedit heard SIGWINCH only at its prompt. */
		el_resize(el);
	}
	el_end(el);
	history_end(hist);
	return sh->last;
}

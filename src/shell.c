/* shell.c — fakeos-shell, the login helper sshd runs for fakeOS users
 * (ForceCommand, etc/sshd/fakeos.conf.in; fakeos-shell(1)). It runs
 * programs by URL through fakeosd, as the logged-in uid, and nothing
 * else:
 *   - with a command (`ssh host URL ARGS`, in SSH_ORIGINAL_COMMAND) it
 *     runs that one program with the session's stdin, stdout and stderr
 *     and exits with its status, as fakeos-run would;
 *   - with a terminal and no command (`ssh -t host`) it prompts, with
 *     line editing, history and completion (shell_edit.c).
 * The command is cut into words by shell_words.h; no shell ever sees it.
 * Runs go through client.c, the code fakeos-run uses as fakeosd's client.
 *
 * Exit status: the program's, as fakeos-run(1) gives it; 125 fakeos-shell
 * itself failed (a malformed command, fakeosd unreachable, bad settings);
 * 126 refused: the command is neither a URL nor a program name (a host
 * command, a path, an sftp or scp server); 127 a name the search path
 * does not resolve. */
#include "shell.h"

#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "daemon.h"
#include "log.h"
#include "shell_words.h"
#include "url.h"

static const char usage_text[] =
	"Usage: fakeos-shell [--config-dir DIR] [--socket PATH]\n"
	"sshd's ForceCommand for fakeOS users (fakeos-shell(1)): runs the\n"
	"program at the URL in $SSH_ORIGINAL_COMMAND, or prompts for URLs on\n"
	"a terminal. Nothing but fakeOS programs can be run through it.\n";

static const char help_text[] =
	"Run a program by its URL, or by a name the search path resolves:\n"
	"  URL [ARG...]            https://origin/bin/hello world\n"
	"  NAME [ARG...]           hello world: the first base that has it\n"
	"  -n, --no-stdin, --raw-console, --offline, --refresh before the\n"
	"  program: as fakeos-run's options.\n"
	"Words: blanks separate; '...' and \"...\" quote; \\ escapes one byte.\n"
	"Nothing else is special: no variables, globs, pipes or redirections.\n"
	"Built-ins:\n"
	"  path                    show the search path\n"
	"  path BASE...            set it for this session\n"
	"  path --reset            back to the operator's\n"
	"  help                    this text\n"
	"  exit [N]                end the session\n"
	"Ctrl-C ends the running program; Ctrl-D at the prompt ends the "
	"session.\n";

void shell_status_text(int code, char *out, size_t size)
{
	int sig = code - 128;
	const char *abbrev = sig > 0 && sig < 65 ? sigabbrev_np(sig) : NULL;
	if (abbrev)
		snprintf(out, size, "[killed by SIG%s]", abbrev);
	else if (code == EXIT_LAUNCHER || code == EXIT_CANNOT_RUN ||
		 code == EXIT_CANNOT_FETCH)
		snprintf(out, size, "[exit %d: %s]", code,
			 code == EXIT_CANNOT_FETCH	 ? "not fetched" :
			 code == EXIT_CANNOT_RUN ? "not run" :
						   "failed");
	else
		snprintf(out, size, "[exit %d]", code);
}

static void show_path(const struct shell *sh)
{
	if (sh->path.n == 0)
		printf("(the search path is empty: give URLs)\n");
	for (unsigned i = 0; i < sh->path.n; i++)
		printf("%s\n", sh->path.v[i]);
	(void)fflush(stdout);
}

static int builtin_path(struct shell *sh, char *const *argv, size_t argc)
{
	if (argc == 1) {
		show_path(sh);
		return 0;
	}
	struct config_list p = { NULL, 0 };
	struct error e = { "" };
	if (argc == 2 && strcmp(argv[1], "--reset") == 0) {
		for (unsigned i = 0; i < sh->conf_path.n; i++)
			config_list_push(&p, xstrdup(sh->conf_path.v[i]));
	} else {
		for (size_t i = 1; i < argc; i++) {
			if (shell_path_add(&p, argv[i], &e) < 0) {
				config_list_free(&p);
				log_error("path: %s; the path stays as it was",
					  e.msg);
				return EXIT_LAUNCHER;
			}
		}
	}
	config_list_free(&sh->path);
	sh->path = p;
	return 0;
}

/* Runs argv[0] (after its options), resolved, through the daemon. */
static int run_program(struct shell *sh, char **argv, size_t argc)
{
	struct broker_opts o = {
		/* fakeos-run's defaults: its memory (the daemon's account
		 * default is the same), stdin relayed. */
		.limits = { .memory = CONFIG_DEFAULT_MEMORY },
		.stdin_relay = true,
	};
	size_t i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (!strcmp(a, "-n") || !strcmp(a, "--no-stdin")) {
			o.stdin_relay = false;
		} else if (!strcmp(a, "--raw-console")) {
			o.raw_console = true;
		} else if (!strcmp(a, "--offline")) {
			o.program.offline = true;
		} else if (!strcmp(a, "--refresh")) {
			o.program.refresh = true;
		} else {
			char shown[64];
			url_sanitize(a, strlen(a), shown, sizeof(shown));
			log_error("%s: unknown option ('help' lists them)",
				  shown);
			return EXIT_LAUNCHER;
		}
	}
	if (i == argc) {
		log_error("no program given: a URL, or a name ('help')");
		return EXIT_LAUNCHER;
	}
	struct error e = { "" };
	cleanup_free char *url = NULL;
	int r = shell_resolve(&sh->path, argv[i], shell_file_readable, NULL,
			      &url, &e);
	if (r < 0) {
		log_error("%s", e.msg);
		return r == -ENOENT ? SHELL_EXIT_NOT_FOUND :
		       r == -EPERM  ? SHELL_EXIT_REFUSED :
				      EXIT_LAUNCHER;
	}
	int sock = client_connect(sh->socket, &e);
	if (sock == -ENOENT)
		error_set(&e, ENOENT, "fakeosd is not running (no socket at "
				      "%s)", sh->socket);
	if (sock < 0) {
		log_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	/* client_run takes SIGINT, SIGTERM, SIGHUP and SIGQUIT on a
	 * signalfd while the program runs, and passes them to the daemon:
	 * Ctrl-C ends the program. The prompt takes them back after. */
	sigset_t saved;
	sigprocmask(SIG_SETMASK, NULL, &saved);
	char *old = argv[i];
	argv[i] = url; /* the program's argv[0] is its URL */
	int code = client_run(sock, &o, url, argv + i);
	argv[i] = old;
	close(sock);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return code;
}

int shell_command(struct shell *sh, const char *line, bool *quit,
		  bool *ran)
{
	struct shell_words w;
	struct error e = { "" };
	*quit = false;
	*ran = false;
	if (shell_split(line, strlen(line), &w, &e) < 0) {
		log_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	int code = 0;
	if (w.n == 0) {
		code = sh->last;
	} else if (strcmp(w.v[0], "exit") == 0) {
		*quit = true;
		code = sh->last;
		char *end = NULL;
		long n = w.n == 2 ? strtol(w.v[1], &end, 10) : 0;
		if (w.n > 2 || (w.n == 2 && (*end || n < 0 || n > 255))) {
			log_error("exit: takes one number from 0 to 255");
			*quit = false;
			code = EXIT_LAUNCHER;
		} else if (w.n == 2) {
			code = (int)n;
		}
	} else if (strcmp(w.v[0], "help") == 0) {
		fputs(help_text, stdout);
		(void)fflush(stdout);
	} else if (strcmp(w.v[0], "path") == 0) {
		code = builtin_path(sh, w.v, w.n);
	} else {
		*ran = true;
		code = run_program(sh, w.v, w.n);
	}
	shell_words_free(&w);
	sh->last = code;
	return code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct shell sh = { .socket = client_socket_path() };
	const char *config_dir = CONFIG_DIR;
	int c;

	log_init("fakeos-shell");
	/* Files it writes (the history) are the user's alone. */
	umask(077);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_dir = optarg;
			break;
		case 's':
			sh.socket = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("fakeos-shell %s\n", FAKEOS_VERSION);
			return 0;
		default:
			return EXIT_LAUNCHER;
		}
	}
	if (optind != argc) {
		log_error("takes no arguments: the command comes in "
			  "$SSH_ORIGINAL_COMMAND");
		return EXIT_LAUNCHER;
	}
	struct passwd *pw = getpwuid(getuid());
	if (!pw) {
		log_error("uid %u has no name in the user database",
			  (unsigned)getuid());
		return EXIT_LAUNCHER;
	}
	sh.user = xstrdup(pw->pw_name);
	sh.home = xstrdup(pw->pw_dir);
	struct error e = { "" };
	if (shell_conf_load(config_dir, 0, sh.user, &sh.conf_path, &e) < 0) {
		log_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	for (unsigned i = 0; i < sh.conf_path.n; i++)
		config_list_push(&sh.path, xstrdup(sh.conf_path.v[i]));

	const char *cmd = getenv("SSH_ORIGINAL_COMMAND");
	int code;
	if (cmd) {
		bool quit, ran;
		code = shell_command(&sh, cmd, &quit, &ran);
	} else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		code = shell_interactive(&sh);
	} else {
		log_error("no command and no terminal: give one "
			  "(ssh HOST URL ARGS), or ask for a terminal "
			  "(ssh -t HOST)");
		code = EXIT_LAUNCHER;
	}
	config_list_free(&sh.path);
	config_list_free(&sh.conf_path);
	free(sh.user);
	free(sh.home);
	return code;
}

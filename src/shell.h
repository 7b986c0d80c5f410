/* shell.h — fakeos-shell's parts: the command (shell.c) and the prompt
 * (shell_edit.c, the one file that links libedit). */
#ifndef FAKEOS_SHELL_H
#define FAKEOS_SHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "broker.h"
#include "shell_path.h"

/* fakeos-shell's own exit codes, beside fakeos-run's 125 (EXIT_LAUNCHER:
 * a malformed command, fakeosd unreachable, bad settings). */
enum {
	SHELL_EXIT_REFUSED = 126, /* neither a URL nor a name: /bin/sh, scp */
	SHELL_EXIT_NOT_FOUND = 127, /* a name the search path does not know */
};

#define SHELL_HISTORY ".fakeos_history" /* in the user's home */
#define SHELL_HISTORY_MAX 500 /* lines kept */

struct shell {
	const char *socket; /* fakeosd's */
	char *user, *home;
	struct config_list conf_path; /* the operator's, shell.conf */
	struct config_list path; /* this session's */
	int last; /* the last command's status */
	void *history; /* the prompt's (libedit's History), for completion */
};

/* Runs one command line: a built-in, or a program. Returns its status;
 * *quit when it was `exit`, *ran when a program was asked for (its status
 * is worth showing). */
int shell_command(struct shell *sh, const char *line, bool *quit,
		  bool *ran);

/* "[exit 3]", "[killed by SIGSEGV]". */
void shell_status_text(int code, char *out, size_t size);

/* The prompt, until exit or end of input; returns the last status. */
int shell_interactive(struct shell *sh);

#endif

/* Terminal escape sequences on stdout that make the terminal answer: the
 * launcher relays the console to the user's terminal, and a terminal
 * "types" its answers to queries (device attributes, cursor position,
 * DECRQSS, window title reports) into its own input, where the user's
 * shell reads them after the program ends. The same class as TIOCSTI
 * (CVE-2003-0063 for xterm's title report, CVE-2022-45872 for iTerm2's
 * DECRQSS), with no system call at all. */
#include "escape.h"
int main(void)
{
	trying("terminal queries on stdout");
	/* Set the title to a command line, then ask for it back; ask for
	 * the device attributes, the cursor position and a DECRQSS. */
	fputs("\033]2;echo INJECTED-BY-TITLE\007"
	      "\033[21t"
	      "\033[c"
	      "\033[6n"
	      "\033P$q\"p\033\\",
	      stdout);
	fflush(stdout);
	printf("\nsent: queries\n");
	return REFUSED;
}

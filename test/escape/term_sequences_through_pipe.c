/* Terminal escape sequences on stdout and stderr when neither is a
 * terminal: `fakeos-run URL | tee log` or `fakeos-run URL 2>&1 | less -R`
 * still ends at the user's terminal, which the launcher cannot see behind
 * the pipe. Sent here: an OSC 52 clipboard write (the next paste runs a
 * command), a title change, CSI sequences that clear the screen, colour
 * text and erase the line above (to hide what was printed before), and the
 * same CSI and OSC as 8-bit C1 controls, alone and as UTF-8. */
#include "escape.h"

static const char payload[] =
	"\033]52;c;ZWNobyBJTkpFQ1RFRAo=\007" /* clipboard: "echo INJECTED" */
	"\033]0;INJECTED title\033\\" /* the window title, ST-terminated */
	"\033[2J\033[H" /* clear the screen, cursor home */
	"\033[31mred\033[0m" /* colour */
	"\033[1A\033[2K" /* up one line and erase it */
	"\x9b" "6n" /* 8-bit CSI: a cursor position query */
	"\xc2\x9d" "52;c;ZWNobyBJTkpFQ1RFRAo=\007"; /* U+009D: OSC */

int main(void)
{
	trying("terminal sequences through a pipe");
	fputs(payload, stdout);
	fflush(stdout);
	fputs(payload, stderr);
	printf("\nsent: sequences\n");
	return REFUSED;
}

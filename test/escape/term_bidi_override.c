/* Trojan Source (CVE-2021-42574) on the console: Unicode bidi controls
 * make a terminal that implements the bidi algorithm show text in another
 * order than its bytes, and an embedding left open reorders what follows on
 * the same line, which need not be the program's own text: the launcher's
 * message, the shell's prompt. Sent here: every bidi control (the
 * embeddings, overrides and isolates, their terminators, and the marks),
 * the deprecated format controls that switch shaping and mirroring for
 * what follows, and the interlinear annotation characters that hide text;
 * U+202E once more cut across two writes, so that the launcher reads its
 * bytes apart. */
#include <time.h>

#include "escape.h"

static const char payload[] =
	"\xe2\x80\xaa" "LRE \xe2\x80\xab" "RLE \xe2\x80\xac" "PDF "
	"\xe2\x80\xad" "LRO \xe2\x80\xae" "RLO "
	"\xe2\x81\xa6" "LRI \xe2\x81\xa7" "RLI \xe2\x81\xa8" "FSI "
	"\xe2\x81\xa9" "PDI "
	"\xe2\x80\x8e" "LRM \xe2\x80\x8f" "RLM \xd8\x9c" "ALM "
	"\xe2\x81\xaa" "ISS \xe2\x81\xaf" "NODS "
	"\xef\xbf\xb9" "IAA \xef\xbf\xba" "IAS \xef\xbf\xbb" "IAT\n"
	/* The classic: what is shown as a comment is code, and back. */
	"access = \"user\xe2\x80\xae \xe2\x81\xa6// admin\xe2\x81\xa9 "
	"\xe2\x81\xa6\"\n";

int main(void)
{
	trying("bidi controls on the console");
	fputs(payload, stdout);
	fflush(stdout);
	fputs(payload, stderr);
	/* U+202E in two writes, 50 ms apart, left open at the line's end. */
	write(1, "split \xe2", 7);
	nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	write(1, "\x80\xae", 2);
	printf("\nsent: bidi\n");
	return REFUSED;
}

/* policy_default.c — policy/default.policy, built into the binary, so a
 * launch reads no policy file and nobody can swap the file under it.
 * The Makefile rebuilds this object when the policy changes. */
#include "policy.h"

/* .incbin takes the path from the directory the compiler runs in: the
 * repository root. A NUL follows the text so it is also a C string. */
__asm__("	.section .rodata.fakeos_default_policy, \"a\"\n"
	"	.type policy_default_text, @object\n"
	"policy_default_text:\n"
	"	.incbin \"policy/default.policy\"\n"
	"policy_default_end:\n"
	"	.byte 0\n"
	"	.size policy_default_text, . - policy_default_text\n"
	"	.previous\n");

/* Hidden: the symbols are local to this object, so PIE code reaches them
 * directly rather than through the GOT. */
extern const char policy_default_text[] __attribute__((visibility("hidden")));
extern const char policy_default_end[] __attribute__((visibility("hidden")));

int policy_load_default(struct policy **out, struct error *e)
{
	/* Two symbols, not one array: subtracting their addresses as
	 * pointers would be undefined (cppcheck comparePointers). */
	size_t len = (size_t)((uintptr_t)policy_default_end -
			      (uintptr_t)policy_default_text);
	return policy_parse(policy_default_text, len, "default.policy", out, e);
}

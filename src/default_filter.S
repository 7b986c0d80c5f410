/* default_filter.S — the seccomp filter of policy/default.policy, compiled
 * at build time by `fakeos-policy --emit` (with the launcher's two rules)
 * and embedded here, so that a launch with the default policy does no
 * policy work at all: compiling it takes libseccomp about 15 ms. Only
 * fakeos-run links this; --policy FILE still compiles at launch. */
	.section .rodata
	.balign 8
	.globl default_filter
	.hidden default_filter
	.type default_filter, @object
default_filter:
	.incbin FILTER_PATH
	.globl default_filter_end
	.hidden default_filter_end
default_filter_end:
	.section .note.GNU-stack,"",@progbits

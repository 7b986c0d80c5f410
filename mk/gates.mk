# gates.mk — the build gates `make check` runs besides the tests. Each
# prints one summary line and fails on any finding.
#
#   make clang-build   the tree compiled again with clang, warnings as
#                      errors: the launcher, fakeos-policy and the unit
#                      tests built and linked with the Makefile's own flags
#                      (in build/clang); libfakeos, the examples, the test,
#                      escape and bench programs checked against musl's
#                      headers as musl-gcc compiles them, and the other
#                      host programs against glibc's (syntax only: clang
#                      is not their compiler, it only has to agree)
#   make lint          cppcheck and clang-tidy (.clang-tidy): tools/lint
#   make memcheck      valgrind memcheck over the launcher and its fetch
#                      helper: tools/memcheck

.PHONY: clang-build lint memcheck

CLANG_B := build/clang
CLANG_UNIT = $(UNIT_SRCS:test/unit/%.c=$(CLANG_B)/test/%)
# musl-gcc's include path, for clang: musl's headers and build/musl-include
# (the kernel and liburing headers) instead of glibc's; clang's own stay.
CLANG_MUSL_FLAGS = -std=gnu11 $(WARN) -O2 -fstack-protector-strong \
		   -nostdlibinc -isystem /usr/include/x86_64-linux-musl \
		   -isystem $(MUSL_INC) -Iinclude -iquote src
# Programs built with fakeos-cc (musl).
CLANG_PROG_SRCS = $(EXAMPLE_SRCS) $(filter-out %_glibc.c,$(PROG_SRCS)) \
	$(patsubst build/bench/%,test/bench/%.c,$(BENCH_FAKEOS))
# The handle escapes (name_to_handle_at.c, open_by_handle_at.c) give
# struct file_handle room for its handle bytes by putting it in a struct
# before a buffer: GNU C that gcc, their compiler, takes silently.
CLANG_ESCAPE_FLAGS := -Wno-gnu-variable-sized-type-not-at-end
# Host programs built with gcc -Wall -Wextra -Werror (glibc test programs,
# the bench baselines from bench.mk's lists), and with $(WARN) (test/tools).
CLANG_PLAIN_SRCS = $(filter %_glibc.c,$(PROG_SRCS)) \
	$(patsubst build/bench/%,test/bench/%.c,$(BENCH_HOST) $(BENCH_STATIC))
CLANG_TOOL_SRCS = $(wildcard test/tools/*.c)
CLANG_FILES = $(HOST_SRCS) src/main.c src/run/glibc_abi.c \
	tools/fakeos-policy.c $(UNIT_SRCS) \
	$(LIB_SRCS) $(CLANG_PROG_SRCS) $(ESCAPE_SRCS) $(CLANG_PLAIN_SRCS) \
	$(CLANG_TOOL_SRCS)

clang-build: all
	@$(MAKE) --no-print-directory -s -j$$(nproc) CC=clang B=$(CLANG_B) RUN_MUSL=0 \
		$(CLANG_B)/fakeos-run $(CLANG_B)/fakeos-policy $(CLANG_UNIT)
	@clang $(CLANG_MUSL_FLAGS) -fsyntax-only $(LIB_SRCS) $(CLANG_PROG_SRCS)
	@clang -std=gnu11 $(WARN) -O2 -nostdlibinc \
		-isystem /usr/include/x86_64-linux-musl -isystem $(RUN_INC) \
		-isystem $(MUSL_INC) \
		-D_GNU_SOURCE -DFAKEOS_VERSION='"$(VERSION)"' -Iinclude \
		-iquote src -fsyntax-only $(RUN_SRCS)
	@printf '%s\n' $(ESCAPE_SRCS) | xargs -P $$(nproc) -n 16 \
		clang $(CLANG_MUSL_FLAGS) $(CLANG_ESCAPE_FLAGS) \
		-iquote test/escape -fsyntax-only
	$(if $(CLANG_PLAIN_SRCS),@clang -std=gnu11 -Wall -Wextra -Werror -O2 \
		-fsyntax-only $(CLANG_PLAIN_SRCS))
	$(if $(CLANG_TOOL_SRCS),@clang -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE \
		-iquote src -fsyntax-only $(CLANG_TOOL_SRCS))
	@echo "clang-build: $(words $(CLANG_FILES)) files warning-free with" \
		"$$(clang --version | sed -n '1s/.*version \([0-9.]*\).*/clang \1/p')" \
		"and -Werror"

lint: all
	@tools/lint

# valgrind cannot follow fakeos-run as shipped, a static-pie musl binary:
# it cannot replace a static malloc (no heap, no leaks are seen). The gate
# runs the same objects linked dynamically, as fakeos-policy and
# fakeos-fetch are; build/valgrind/ is beside build/fakeos-fetch, so this
# fakeos-run finds its helper as the shipped one does.
MEMCHECK_RUN := build/valgrind/fakeos-run
$(MEMCHECK_RUN): build/src/main.o build/src/default_filter.o build/libhost.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

memcheck: all $(MEMCHECK_RUN)
	@FAKEOS_RUN=$(MEMCHECK_RUN) tools/memcheck

CHECK_EXTRA += clang-build lint memcheck

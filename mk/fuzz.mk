# fuzz.mk — libFuzzer harnesses for the parsers that face untrusted bytes
# (test/fuzz/fuzz_<name>.c), built with clang under ASan and UBSan in
# build/fuzz. Each harness links only the modules it exercises, compiled
# with coverage for the fuzzer.
#
#   make fuzz          each target for FUZZ_SECONDS (default 120 s)
#   make fuzz-smoke    every target for FUZZ_SMOKE_SECONDS in total (30 s),
#                      after replaying test/fuzz/regress/; part of make check
#   make fuzz-seeds    regenerates the seed corpora in test/fuzz/corpus/
#   make fuzz-merge    adds what build/fuzz/corpus found that covers new
#                      ground to test/fuzz/corpus/ (libFuzzer -merge=1)
#
# New inputs go to build/fuzz/corpus/<name>; the committed corpus is only
# read. A crash is saved in build/fuzz/artifacts/<name>/; once fixed, copy
# it to test/fuzz/regress/<name>/ so every fuzz-smoke replays it.

FUZZ_CC := clang
FUZZ_DIR := build/fuzz
FUZZ_TARGETS := proto dproto policy url cache elf elf_sym headers config \
	shell_words netbcast httpgw qframe
FUZZ_SECONDS ?= 120
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=gnu11 $(WARN) -g -O1 -fno-omit-frame-pointer \
	      $(FUZZ_SAN) -D_GNU_SOURCE -DFAKEOS_VERSION='"$(VERSION)"' \
	      -iquote src -iquote test/fuzz -Iinclude -MMD -MP

# The modules each harness needs, and the libraries they need.
FUZZ_MODS_proto := proto
FUZZ_MODS_dproto := dproto proto
FUZZ_MODS_netbcast := netbcast_wire proto
FUZZ_MODS_qframe := qframe util log
FUZZ_MODS_policy := policy policy_parse policy_expand policy_bpf util log
FUZZ_LIBS_policy := -lseccomp
FUZZ_MODS_url := url hash util log
FUZZ_LIBS_url := -lnettle
FUZZ_MODS_httpgw := httpgw_wire url hash util log
FUZZ_LIBS_httpgw := -lnettle
FUZZ_MODS_cache := cache_entry url hash util log
FUZZ_LIBS_cache := -lnettle
FUZZ_MODS_elf := elf url hash util log
FUZZ_LIBS_elf := -lnettle
FUZZ_MODS_elf_sym := elf_sym
FUZZ_MODS_headers := fetch util log
FUZZ_MODS_config := config hosts proto url hash util log
FUZZ_LIBS_config := -lnettle
# shell_path's config_read_file (config_load) is never called: it comes
# with config.o's object.
FUZZ_MODS_shell_words := shell_words shell_path config config_load hosts proto url \
			 hash util log
FUZZ_LIBS_shell_words := -lnettle

FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-seeds fuzz-merge

$(FUZZ_DIR)/obj/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

define FUZZ_RULE
$(FUZZ_DIR)/fuzz_$(1): test/fuzz/fuzz_$(1).c test/fuzz/fuzz.h \
		$(FUZZ_MODS_$(1):%=$(FUZZ_DIR)/obj/%.o) | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ \
		$$(filter %.c %.o,$$^) $(FUZZ_LIBS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_RULE,$(t))))

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@tools/run-fuzz --each $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	@tools/run-fuzz --total $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-merge: $(FUZZ_BINS)
	@tools/run-fuzz --merge $(FUZZ_TARGETS)

# The seeds are written by a small program that uses the real message
# layouts (proto.h) and the ELF fixture of the unit tests.
$(FUZZ_DIR)/make_seeds: test/fuzz/make_seeds.c src/proto.c src/proto.h \
		src/dproto.c src/dproto.h src/netbcast_wire.c src/netbcast.h src/qframe.h \
		test/unit/elf_fixture.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O1 -D_GNU_SOURCE -iquote src \
		-iquote test/unit -o $@ $(filter %.c,$^)

fuzz-seeds: $(FUZZ_DIR)/make_seeds
	$(FUZZ_DIR)/make_seeds test/fuzz/corpus policy/default.policy
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz-seeds: $$t: $$(ls test/fuzz/corpus/$$t | wc -l) seeds"; \
	done

CHECK_EXTRA += fuzz-smoke

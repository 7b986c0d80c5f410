# bench.mk — the programs behind `make bench` (tools/bench runs them).
#   build/bench/launch     host: times commands from fork to exit
#   build/bench/sockbench  host: socketpair and TCP baselines
#   build/bench/fkbench    fakeOS: link round trip, streaming, spawning
# docs/BENCH.md says what each figure is and how it is measured.

BENCH_HOST := build/bench/launch build/bench/sockbench
BENCH_FAKEOS := build/bench/fkbench

.PHONY: bench-progs
bench-progs: $(BENCH_HOST) $(BENCH_FAKEOS)
bench: bench-progs

build/bench/%: test/bench/%.c test/bench/bench.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(BENCH_FAKEOS): build/bench/%: test/bench/%.c test/bench/bench.h \
		 build/libfakeos.a include/fakeos.h tools/fakeos-cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	tools/fakeos-cc -o $@ $<

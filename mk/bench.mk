# bench.mk — the programs behind `make bench` (tools/bench runs them).
#   build/bench/launch     host: times commands from fork to exit
#   build/bench/nsfloor    host, static: clone3 into namespaces + exec, the
#                          kernel's floor under any such jail
#   build/bench/sockbench  host: socketpair and TCP baselines
#   build/bench/fkbench    fakeOS: link round trip, streaming, spawning
#   build/bench/warmbench  host, libhost.a: plain exec, a cold jail_spawn
#                          and a warm jail's launch, side by side, and what
#                          an idle warm jail costs (docs/BENCH.md, "Warm
#                          jails"); not in tools/bench's table yet
#   build/bench/taskrun    host: an experiment, not in the table: a link's
#                          data path on a COOP_TASKRUN ring and on a
#                          DEFER_TASKRUN one
#   build/bench/tcpbench   host, libhost.a: plain TCP and TLS 1.3 (GnuTLS)
#                          between two namespaces, the baselines of links
#                          across hosts (tools/bench-remote), beside
#                          build/tools/quicpeer's bench modes and lossproxy
# docs/BENCH.md says what each figure is and how it is measured.

# The project's warnings (WARN, from the Makefile) for every bench program.
BENCH_CFLAGS = -std=gnu11 -O2 $(WARN)
BENCH_HOST := build/bench/launch build/bench/sockbench
BENCH_STATIC := build/bench/nsfloor
BENCH_FAKEOS := build/bench/fkbench
BENCH_URING := build/bench/taskrun
BENCH_JAIL := build/bench/warmbench build/bench/tcpbench

.PHONY: bench-progs
bench-progs: $(BENCH_HOST) $(BENCH_STATIC) $(BENCH_FAKEOS) $(BENCH_URING) \
	     $(BENCH_JAIL) build/tools/quicpeer build/tools/lossproxy
bench: bench-progs

$(BENCH_HOST): build/bench/%: test/bench/%.c test/bench/bench.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_URING): build/bench/%: test/bench/%.c test/bench/bench.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -luring

# Static, so that the floor pays for no dynamic loading.
$(BENCH_STATIC): build/bench/%: test/bench/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -static -o $@ $<

$(BENCH_FAKEOS): build/bench/%: test/bench/%.c test/bench/bench.h \
		 build/libfakeos.a include/fakeos.h tools/fakeos-cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	tools/fakeos-cc $(filter-out -Wall -Wextra -Werror,$(WARN)) -o $@ $<

# warmbench drives src/jail.h itself, as the broker does; tcpbench uses
# src/hostkey.h for its TLS: the launcher's own flags and library.
$(BENCH_JAIL): build/bench/%: test/bench/%.c test/bench/bench.h \
	       test/tools/jailrig.h build/libhost.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $< build/libhost.a \
		$(LDFLAGS) $(LDLIBS)

# fakeOS — build, test, benchmark and install.
#
#   make            build the launcher, tools, SDK and examples
#   make run        build, serve the examples on 127.0.0.1, run one twice
#   make check      the whole test suite (unit, sanitizers, integration,
#                   escape tests, fuzz smoke)
#   make bench      launch and datagram figures beside their baselines
#   make install    PREFIX=/usr/local, DESTDIR honoured; the systemd unit
#                   goes to UNITDIR (PREFIX/lib/systemd/system)
#
# Missing Debian packages are installed by tools/install-deps.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
# fakeosd reads /etc/fakeos whatever the prefix (config.h, CONFIG_DIR).
SYSCONFDIR ?= /etc
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
# systemd's system unit path holds /usr/local/lib/systemd/system and
# /usr/lib/systemd/system (`systemd-analyze unit-paths`): PREFIX=/usr/local
# and PREFIX=/usr both land where systemctl finds the unit. Any other
# PREFIX needs UNITDIR=/etc/systemd/system, or `systemctl link`. Not
# derived from LIBDIR, which may be lib64 or elsewhere.
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=

VERSION := 0.1.0
CC := gcc
MUSL_CC := musl-gcc
# The kernel's UAPI headers and liburing's, for musl-gcc (see the SDK below).
MUSL_INC := build/musl-include

# SAN=1 builds everything under AddressSanitizer and UBSan in build/san.
ifeq ($(SAN),1)
B := build/san
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
       -fno-sanitize-recover=all
LDOPT := -fsanitize=address,undefined
else
B := build
OPT := -O2 -g -D_FORTIFY_SOURCE=2
LDOPT :=
endif

# The launcher is privileged software: hardened flags, PIE, full RELRO.
WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla
CFLAGS := -std=gnu11 $(WARN) $(OPT) -fstack-protector-strong -fPIE \
          -D_GNU_SOURCE -DFAKEOS_VERSION='"$(VERSION)"' -iquote src -Iinclude \
          -MMD -MP
LDFLAGS := $(LDOPT) -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# fakeos-run never loads libcurl: on a cache miss it runs fakeos-fetch,
# which dlopens it (about 11 ms here). fakeos-run itself is a static PIE
# built with musl (see "the launcher" below); under SAN=1, and with
# RUN_MUSL=0, it is a dynamic glibc program like the other two.
LDLIBS := -lseccomp -lcap -luring -lnettle -ldl
# fakeosd talks to systemd through libsystemd (src/notify.c). --as-needed
# keeps it out of every program that does not call notify_*, and
# fakeos-run's static build never compiles notify.c (RUN_SRCS).
LDLIBS += -lsystemd
# Host-to-host links (src/quic.c, the one file that includes them): QUIC
# from ngtcp2 0.12 with its GnuTLS crypto backend. --as-needed again keeps
# them out of every program that does not link quic.o, and fakeos-run's
# static build never compiles quic.c (RUN_SRCS).
QUIC_PKGS := libngtcp2 libngtcp2_crypto_gnutls gnutls
LDLIBS += $(shell pkg-config --libs $(QUIC_PKGS))
# The resolver's etcd backend (src/resolver_etcd.c) talks to etcd's JSON
# gateway with libcurl's multi interface, in fakeosd's own loop, so it
# links libcurl (fakeos-fetch dlopens it instead: src/fetch_curl.c).
# --as-needed keeps it out of every program that does not link it.
LDLIBS += -lcurl
ifeq ($(SAN),1)
RUN_MUSL := 0
endif
RUN_MUSL ?= 1
CHECK_LIBS := -lcheck_pic -lsubunit -lm -lrt -pthread

HOST_SRCS := $(filter-out src/main.c src/fetch_main.c src/fakeosd.c src/fakeosctl.c \
	     src/shell.c src/shell_edit.c,$(wildcard src/*.c))
HOST_OBJS := $(HOST_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(wildcard test/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(B)/test/%)
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLES := $(EXAMPLE_SRCS:examples/%.c=build/examples/%)
# C++ examples, built with tools/fakeos-c++ (C++ without its runtime).
EXAMPLE_CXX_SRCS := $(wildcard examples/*.cc)
EXAMPLES += $(EXAMPLE_CXX_SRCS:examples/%.cc=build/examples/%)
ESCAPE_SRCS := $(wildcard test/escape/*.c)
ESCAPES := $(ESCAPE_SRCS:test/escape/%.c=build/escape/%)
# Well-behaved helper programs for the integration tests; *_glibc.c ones are
# built with glibc (gcc -static) to show both libcs start in the jail.
PROG_SRCS := $(wildcard test/progs/*.c)
TEST_PROGS := $(PROG_SRCS:test/progs/%.c=build/progs/%)

PROGS := $(B)/fakeos-run $(B)/fakeos-policy $(B)/fakeos-fetch $(B)/fakeosd \
	 $(B)/fakeosctl $(B)/fakeos-shell

DEPS_STAMP := build/.deps-ok

.PHONY: all deps run check unit unit-san integration integration-san bench \
        install clean \
        examples escapes test-progs
.DELETE_ON_ERROR:

all: $(PROGS) build/libfakeos.a examples escapes test-progs

# --- dependencies -----------------------------------------------------------
# Checked once per build tree; rm build/.deps-ok to check again.
$(DEPS_STAMP): tools/install-deps
	@mkdir -p $(@D)
	@tools/install-deps --check 2>/dev/null || tools/install-deps
	@touch $@
deps: $(DEPS_STAMP)

# --- the launcher -----------------------------------------------------------
$(B)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The default policy is compiled into the launcher (src/policy_default.c
# includes it with .incbin), so a launch reads no policy file.
$(B)/src/policy_default.o: policy/default.policy

$(B)/libhost.a: $(HOST_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The default policy's filter is compiled at build time, with the same
# compiler a --policy FILE goes through, and embedded in fakeos-run; a
# policy that does not compile stops the build here.
$(B)/default.filter: policy/default.policy $(B)/fakeos-policy
	$(B)/fakeos-policy --emit policy/default.policy >$@

$(B)/src/default_filter.o: src/default_filter.S $(B)/default.filter
	@mkdir -p $(@D)
	$(CC) -c -DFILTER_PATH='"$(B)/default.filter"' -o $@ $<

# fakeos-run is built with musl, as a static PIE with full RELRO. A
# launch is mostly start-up, and glibc's costs about 0.45 ms here: it reads
# the CPU's features and caches with some 60 CPUID instructions, and each
# traps to the hypervisor (about 5 us on this kind of VM); musl reads none.
# That is a tenth of bwrap's whole launch (docs/BENCH.md, section 1).
# libseccomp, libcap, nettle and liburing (the broker's own small ring)
# come from Debian's static archives, as liburing does for fakeOS
# programs; they were compiled against glibc, and
# src/run/glibc_abi.c supplies the one glibc-only symbol they use. musl
# has no _FORTIFY_SOURCE: the launcher keeps the stack protector, PIE and
# RELRO, and its code is fortified in every other build (the fetch helper,
# fakeos-policy, the unit tests) and run under ASan and UBSan in
# integration-san (docs/SECURITY.md, "Gates that keep this true").
MUSL_LIBDIR := /usr/lib/x86_64-linux-musl
RUN_INC := build/musl-run-include
# The daemon's own modules are not the launcher's: daemon.c, services.c,
# links and broadcast across hosts and the HTTP gateway (quic.c ...
# curl_loop.c), and notify.c, which needs libsystemd (left out like
# fetch_curl.c).
RUN_SRCS := src/main.c $(filter-out src/fetch_curl.c src/daemon.c src/services.c \
	    src/daemon_ctl.c src/shell_words.c src/shell_path.c src/quic.c \
	    src/resolver.c src/resolver_etcd.c \
	    src/hostkey.c src/qframe.c src/remote.c src/udpbatch.c src/quic_guard.c src/dgq.c \
	    src/netbcast.c src/netbcast_wire.c \
	    src/httpgw.c src/httpgw_wire.c src/curl_loop.c \
	    src/notify.c src/config.c src/config_load.c,$(HOST_SRCS)) \
	    src/run/glibc_abi.c
# The filter object is only .incbin'd bytes: no libc in it, so it is the
# glibc build's own.
RUN_OBJS := $(RUN_SRCS:%.c=build/run/%.o) build/src/default_filter.o
# The kernel's headers come from $(MUSL_INC), as for libfakeos; $(RUN_INC)
# adds the three libraries' own.
RUN_CFLAGS := -std=gnu11 $(WARN) -O2 -g -fstack-protector-strong -fPIE \
	      -D_GNU_SOURCE -DFAKEOS_VERSION='"$(VERSION)"' -isystem $(RUN_INC) \
	      -isystem $(MUSL_INC) -iquote src -Iinclude -MMD -MP
# Found when linking (deps may be installed by then), never by -l: the
# search path would reach glibc's own libc.
RUN_ARCHIVES = $(foreach l,seccomp cap nettle uring,$(shell $(CC) \
	       -print-file-name=lib$(l).a))
# musl-gcc's spec file always links Scrt1.o (a dynamic PIE); a static PIE
# needs musl's self-relocating rcrt1.o and no interpreter.
RUN_LINK = $(MUSL_CC) -static-pie -nostartfiles -nodefaultlibs \
	   -Wl,--no-dynamic-linker -Wl,-z,relro,-z,now \
	   $(MUSL_LIBDIR)/rcrt1.o $(MUSL_LIBDIR)/crti.o \
	   $(shell $(CC) -print-file-name=crtbeginS.o) \
	   $(RUN_OBJS) $(RUN_ARCHIVES) $(MUSL_LIBDIR)/libc.a \
	   $(shell $(CC) -print-libgcc-file-name) \
	   $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIBDIR)/crtn.o

$(RUN_INC)/.ok: | $(DEPS_STAMP)
	@mkdir -p $(@D)/sys
	ln -sfn /usr/include/seccomp.h $(@D)/seccomp.h
	ln -sfn /usr/include/seccomp-syscalls.h $(@D)/seccomp-syscalls.h
	ln -sfn /usr/include/sys/capability.h $(@D)/sys/capability.h
	ln -sfn /usr/include/nettle $(@D)/nettle
	@touch $@

build/run/%.o: %.c $(RUN_INC)/.ok $(MUSL_INC)/.ok
	@mkdir -p $(@D)
	$(MUSL_CC) $(RUN_CFLAGS) -c -o $@ $<

ifeq ($(RUN_MUSL),1)
$(B)/fakeos-run: $(RUN_OBJS)
	$(RUN_LINK) -o $@
else
$(B)/fakeos-run: $(B)/src/main.o $(B)/src/default_filter.o $(B)/libhost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
endif

# The download helper fakeos-run runs on a cache miss (src/fetch.h).
$(B)/fakeos-fetch: $(B)/src/fetch_main.o $(B)/libhost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/fakeos-policy: $(B)/tools/fakeos-policy.o $(B)/libhost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The host's broker (src/daemon.h): a long-lived glibc program, where
# fakeos-run is a static musl one because its start-up is a launch's cost.
$(B)/fakeosd: $(B)/src/fakeosd.o $(B)/src/default_filter.o $(B)/libhost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# fakeosd's control tool: a glibc program like fakeosd.
$(B)/fakeosctl: $(B)/src/fakeosctl.o $(B)/libhost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The login helper sshd runs for fakeOS users (src/shell.h): a glibc
# client of fakeosd like fakeosctl, and the one program that links libedit
# (its prompt, src/shell_edit.c).
$(B)/fakeos-shell: $(B)/src/shell.o $(B)/src/shell_edit.o $(B)/libhost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ledit

# --- the SDK: libfakeos ------------------------------------------------------
# The program-side library is built with musl, against Debian's static
# liburing. musl-gcc searches no glibc headers, so the kernel's UAPI headers
# and liburing's reach it only through build/musl-include, a directory of
# symbolic links to exactly those.
LIB_CFLAGS := -std=gnu11 $(WARN) -O2 -fstack-protector-strong \
              -isystem $(MUSL_INC) -Iinclude -iquote src -MMD -MP
LIB_SRCS := $(wildcard src/lib/*.c) src/proto.c
LIB_OBJS := $(LIB_SRCS:%.c=build/lib/%.o)

$(MUSL_INC)/.ok: | $(DEPS_STAMP)
	@mkdir -p $(@D)
	ln -sfn /usr/include/linux $(@D)/linux
	ln -sfn /usr/include/x86_64-linux-gnu/asm $(@D)/asm
	ln -sfn /usr/include/asm-generic $(@D)/asm-generic
	ln -sfn /usr/include/liburing.h $(@D)/liburing.h
	ln -sfn /usr/include/liburing $(@D)/liburing
	@touch $@

build/lib/%.o: %.c $(MUSL_INC)/.ok
	@mkdir -p $(@D)
	$(MUSL_CC) $(LIB_CFLAGS) -c -o $@ $<

build/libfakeos.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# --- static programs --------------------------------------------------------
# Examples are built the way a user builds a program: with tools/fakeos-cc
# (hello.c uses no fk_ call, so nothing of libfakeos is linked into it).
# Escape tests are plain static musl programs.
examples: $(EXAMPLES) build/check/fakeos-h-cxx
build/examples/%: examples/%.c build/libfakeos.a include/fakeos.h \
		  tools/fakeos-cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	tools/fakeos-cc -o $@ $<
build/examples/%: examples/%.cc build/libfakeos.a include/fakeos.h \
		  tools/fakeos-cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	tools/fakeos-c++ -o $@ $<
# The header is C11 and C++11 (fakeos.h's FK_NORETURN): checked here by
# the strictest g++ that a C++ user's build could be.
build/check/fakeos-h-cxx: include/fakeos.h include/fakeos_http.h
	@mkdir -p $(@D)
	printf '#include <fakeos.h>\n#include <fakeos_http.h>\n' | g++ -std=c++11 -Wall -Wextra -pedantic \
		-Werror -Iinclude -x c++ -fsyntax-only -
	@touch $@

# Escape programs are built like a user's program, with two more include
# paths: the kernel and liburing headers (to drive their ring by hand) and
# src/ (for the wire format, to forge broker messages).
escapes: $(ESCAPES)
build/escape/%: test/escape/%.c $(wildcard test/escape/*.h) \
		build/libfakeos.a tools/fakeos-cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	tools/fakeos-cc -isystem $(MUSL_INC) -iquote src -iquote test/escape \
		-o $@ $<

test-progs: $(TEST_PROGS) build/tools/hostile_httpd build/tools/dclient \
	    $(B)/tools/warmjail $(B)/tools/quicpeer build/tools/lossproxy \
	    $(B)/tools/resolvectl build/tools/bcastcap $(B)/tools/initflood
# A host program: an attacker on the LAN that records a broadcast across
# hosts and sends it again, for test_netbcast.sh.
build/tools/bcastcap: test/tools/bcastcap.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -o $@ $<

# A host program: an HTTP origin that misbehaves, for the fetch tests.
build/tools/hostile_httpd: test/tools/hostile_httpd.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -o $@ $<

# A host program: a client of fakeosd that sends what fakeos-run never
# would, for test_daemon.sh.
build/tools/dclient: test/tools/dclient.c src/dproto.c src/dproto.h src/proto.c \
		     | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -iquote src -o $@ \
		$(filter %.c,$^)

# A host program: drives warm jails (src/jail.h) without a broker, for
# test_warm.sh, until the broker launches through them.
$(B)/tools/warmjail: test/tools/warmjail.c test/tools/jailrig.h \
		      $(B)/libhost.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libhost.a $(LDLIBS)

# A host program: one QUIC endpoint (src/quic.h) that serves or connects
# and checks what comes back, for test_quic.sh.
$(B)/tools/quicpeer: test/tools/quicpeer.c $(B)/libhost.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libhost.a $(LDLIBS)

# A host program: an attacker that floods a QUIC server with real
# Initials (made by src/quic.c) from forged addresses, for
# test_remote_faults.sh.
$(B)/tools/initflood: test/tools/initflood.c $(B)/libhost.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libhost.a $(LDLIBS)

# A host program: one resolver (src/resolver.h) in an epoll loop like
# fakeosd's, that registers names and prints lookups and changes, for
# test_resolver.sh.
$(B)/tools/resolvectl: test/tools/resolvectl.c $(B)/libhost.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libhost.a $(LDLIBS)

# A host program: a UDP relay that drops, reorders and duplicates, for
# test_quic.sh (this kernel has no netem).
build/tools/lossproxy: test/tools/lossproxy.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -o $@ $<

build/progs/%_glibc: test/progs/%_glibc.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
build/progs/%: test/progs/%.c build/libfakeos.a tools/fakeos-cc | $(DEPS_STAMP)
	@mkdir -p $(@D)
	tools/fakeos-cc -o $@ $<

# GnuTLS's headers need p11-kit's; quic.c, hostkey.c, remote.c and
# netbcast.c include them.
$(B)/src/quic.o $(B)/src/hostkey.o $(B)/src/remote.o $(B)/src/netbcast.o: CFLAGS += $(shell pkg-config --cflags $(QUIC_PKGS))
# --- tests ------------------------------------------------------------------
$(B)/test/%: test/unit/%.c $(B)/libhost.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ \
		$(filter %.c %.a,$^) \
		$(LDLIBS) $(CHECK_LIBS)

# test_program fetches through fakeos-fetch, found next to the tests.
unit: $(UNIT_BINS) $(B)/fakeos-fetch
	@UNIT_LABEL=$(if $(filter 1,$(SAN)),unit-san,unit) tools/run-unit \
		$(UNIT_BINS)

unit-san:
	@$(MAKE) --no-print-directory SAN=1 unit

integration: all
	@test/integration/run-all

# The integration suite again, with the launcher and fakeosd built under
# ASan and UBSan; each test's daemon must exit 0 at its SIGTERM, so a leak
# LeakSanitizer finds there fails the test (test/lib/daemon.sh). The files
# of links and broadcast across hosts run in integration only: about half
# of its time (2.5 of 5 minutes here), and test_quic.sh and
# test_resolver.sh run no fakeosd at all. Their parsers of what other
# hosts send are fuzzed sanitized (fuzz_qframe, fuzz_netbcast;
# mk/fuzz.mk). The gateway's file, whose daemon faces hostile programs
# and origins, runs in both.
INTEGRATION_ONCE := test_quic.sh test_resolver.sh test_remote.sh \
	test_remote_close.sh test_remote_faults.sh test_netbcast.sh
integration-san: all
	@$(MAKE) --no-print-directory SAN=1 build/san/fakeos-run build/san/fakeosd
	@FAKEOS_RUN=$(CURDIR)/build/san/fakeos-run \
		FAKEOS_DAEMON=$(CURDIR)/build/san/fakeosd INTEGRATION_LABEL=integration-san \
		INTEGRATION_ONCE="$(INTEGRATION_ONCE)" test/integration/run-all

# Areas add their own checks to CHECK_EXTRA in mk/*.mk (fuzzing, lint and
# memcheck gates, ...). `make check` runs every part even when one fails,
# then fails if any did.
check: all
	@failed=""; \
	for t in unit unit-san integration integration-san $(CHECK_EXTRA); do \
		echo "==== make $$t"; \
		$(MAKE) --no-print-directory $$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "check: FAILED:$$failed"; exit 1; fi; \
	echo "check: every part passed"

# --- the demo ---------------------------------------------------------------
run: all
	@tools/run-demo

bench: all
	@tools/bench

# --- install ----------------------------------------------------------------
# fakeos-run finds fakeos-fetch beside itself, in ../lib/fakeos, and last in
# $(LIBDIR)/fakeos as configured here (src/fetch.c), so that an install
# with its own LIBDIR works. The stamp holds that directory: a build with
# another LIBDIR (`make install LIBDIR=...`) rebuilds fetch.o.
HELPER_DIR = $(LIBDIR)/fakeos
$(B)/src/fetch.o: CFLAGS += -DFAKEOS_HELPER_DIR='"$(HELPER_DIR)"'
$(B)/src/fetch.o: $(B)/helper-dir
build/run/src/fetch.o: RUN_CFLAGS += -DFAKEOS_HELPER_DIR='"$(HELPER_DIR)"'
build/run/src/fetch.o: $(B)/helper-dir
$(B)/helper-dir: FORCE
	@mkdir -p $(@D)
	@echo '$(HELPER_DIR)' | cmp -s - $@ || echo '$(HELPER_DIR)' >$@
.PHONY: FORCE

install: $(PROGS) build/libfakeos.a
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/fakeos \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0755 $(B)/fakeos-run $(B)/fakeos-policy $(B)/fakeosctl \
		$(B)/fakeos-shell $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(B)/fakeosd $(DESTDIR)$(SBINDIR)/
	@# fakeosd's settings: root's, and never over an operator's own.
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/fakeos
	test -e $(DESTDIR)$(SYSCONFDIR)/fakeos/fakeosd.conf || \
		install -m 0644 etc/fakeosd.conf $(DESTDIR)$(SYSCONFDIR)/fakeos/
	install -d $(DESTDIR)$(HELPER_DIR)
	install -m 0755 $(B)/fakeos-fetch $(DESTDIR)$(HELPER_DIR)/
	sed -e 's|^installed_includedir=$$|installed_includedir="$(INCLUDEDIR)"|' \
	    -e 's|^installed_libdir=$$|installed_libdir="$(LIBDIR)"|' \
	    tools/fakeos-cc >$(DESTDIR)$(BINDIR)/fakeos-cc
	chmod 0755 $(DESTDIR)$(BINDIR)/fakeos-cc
	ln -sf fakeos-cc $(DESTDIR)$(BINDIR)/fakeos-c++
	install -m 0644 include/fakeos.h include/fakeos_http.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 build/libfakeos.a $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    fakeos.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/fakeos.pc
	install -m 0644 man/fakeos.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 0644 policy/default.policy $(DESTDIR)$(DATADIR)/fakeos/
	install -m 0644 man/fakeos-run.1 man/fakeos-policy.1 \
		man/fakeos-shell.1 $(DESTDIR)$(MANDIR)/man1/
	@# sshd's drop-in for `Match Group fakeos` (fakeos-shell(1)): sshd
	@# reads it at its next reload; never over an operator's own.
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d
	test -e $(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d/fakeos.conf || { \
		sed -e 's|@BINDIR@|$(BINDIR)|g' etc/sshd/fakeos.conf.in \
		    >$(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d/fakeos.conf && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d/fakeos.conf; }
	install -m 0644 man/fakeos-policy.5 man/fakeosd.conf.5 \
		$(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0644 man/fakeosd.8 man/fakeosctl.8 $(DESTDIR)$(MANDIR)/man8/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' systemd/fakeosd.service.in \
	    >$(DESTDIR)$(UNITDIR)/fakeosd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/fakeosd.service

clean:
	rm -rf build

# Areas of the build owned by their own fragments (fuzzing, gates, bench).
include $(wildcard mk/*.mk)

-include $(shell find build -name '*.d' 2>/dev/null)

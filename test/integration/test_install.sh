#!/bin/bash
# test_install.sh — `make install` into a staging DESTDIR, from the current
# build (nothing is rebuilt), then the installed tree used the way a user
# uses it: fakeos-run on file:// and http:// URLs (the second through the
# installed fakeos-fetch), the SDK (fakeos-cc, pkg-config, fakeos.h,
# libfakeos.a) building a program that the installed fakeos-run runs, and
# every documented file in its place.
# shellcheck disable=SC2034 # CODE, OUT and ERR are read by testlib
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/httpd.sh"

PREFIX=/usr/local
DEST=$WORK/dest
P=$DEST$PREFIX

# The install, made once for the whole file by the first test that needs
# it. The build's products are named old (-o): make installs them as they
# are and never rebuilds, and the build lock keeps a concurrent build from
# rewriting them while they are copied.
install_tree() {
	[ -e "$WORK/installed" ] && return 0
	local f
	for f in build/fakeos-run build/fakeos-policy build/fakeos-fetch \
		build/libfakeos.a; do
		[ -e "$TOP/$f" ] || fail "$f is not built: run make first"
	done
	run flock /tmp/fakeos-build.lock make -C "$TOP" --no-print-directory \
		-o build/fakeos-run -o build/fakeos-policy -o build/fakeos-fetch \
		-o build/fakeosd -o build/fakeosctl -o build/fakeos-shell \
		-o build/libfakeos.a install DESTDIR="$DEST" PREFIX="$PREFIX"
	expect_code 0
	assert_not_contains "$OUT" "gcc" "make install's output (nothing is compiled)"
	touch "$WORK/installed"
}

# A program that uses the API: fk_init, a timer, fk_wait.
write_api_program() {
	cat >"$WORK/tick.c" <<-'EOF'
		#include <fakeos.h>
		#include <stdio.h>
		int main(int argc, char **argv)
		{
			struct fk_event ev;
			if (fk_init() < 0 || fk_timer(1000000, 0) < 0)
				return 1;
			if (fk_wait(&ev, 1, 1000000000) != 1 || ev.type != FK_EV_TIMER)
				return 2;
			printf("tick from %s (%d args, program %llu)\n", argv[0],
			       argc, (unsigned long long)fk_boot()->id);
			return 0;
		}
	EOF
}

test_install_puts_every_file_in_place() {
	install_tree
	local f
	for f in bin/fakeos-run bin/fakeos-policy bin/fakeos-cc bin/fakeos-c++ \
		lib/fakeos/fakeos-fetch; do
		[ -x "$P/$f" ] || fail "$P/$f is not installed executable"
	done
	for f in include/fakeos.h lib/libfakeos.a lib/pkgconfig/fakeos.pc \
		share/fakeos/default.policy share/man/man1/fakeos-run.1 \
		share/man/man1/fakeos-policy.1 share/man/man3/fakeos.3 \
		share/man/man5/fakeos-policy.5; do
		assert_file "$P/$f"
	done
	cmp -s "$P/include/fakeos.h" "$TOP/include/fakeos.h" ||
		fail "the installed fakeos.h differs from include/fakeos.h"
	cmp -s "$P/bin/fakeos-run" "$TOP/build/fakeos-run" ||
		fail "the installed fakeos-run is not the build's"
	# The man pages are well-formed and say what they are.
	run man -l "$P/share/man/man1/fakeos-run.1"
	expect_code 0
	assert_contains "$OUT" "fakeos-run - fetch a program from a URL" "man fakeos-run"
	# The pkg-config file has its fields filled in, and nothing of
	# DESTDIR (a staging directory) leaks into it.
	local pc
	pc=$(cat "$P/lib/pkgconfig/fakeos.pc")
	! grep -E '@[A-Z]+@' <<<"$pc" || fail "fakeos.pc has fields left unfilled"
	assert_not_contains "$pc" "$DEST" "fakeos.pc"
	assert_contains "$pc" "libdir=$PREFIX/lib" "fakeos.pc"
	assert_contains "$pc" "Version: $(sed -n 's/^VERSION := //p' "$TOP/Makefile")" "fakeos.pc"
}

test_installed_fakeos_run_runs_a_file_url() {
	install_tree
	run "$P/bin/fakeos-run" -n -C "$WORK/cache" "file://$EXAMPLES/hello" hi
	expect_code 0
	assert_eq "$OUT" "hello from fakeOS: file://$EXAMPLES/hello
  arg 1: hi" stdout
	run "$P/bin/fakeos-policy" --check "$P/share/fakeos/default.policy"
	expect_code 0
	assert_contains "$OUT" "ok: 20 allowed" "fakeos-policy --check"
}

test_installed_fakeos_run_fetches_through_the_installed_helper() {
	install_tree
	mkdir -p "$WORK/www"
	cp "$EXAMPLES/hello" "$WORK/www/"
	httpd_start "$WORK/www" >/dev/null || fail "nginx did not start"
	run "$P/bin/fakeos-run" -n -vv -C "$WORK/cache-http" "$HTTPD_URL/hello" net
	expect_code 0
	assert_eq "$OUT" "hello from fakeOS: $HTTPD_URL/hello
  arg 1: net" stdout
	assert_contains "$ERR" "with $P/bin/../lib/fakeos/fakeos-fetch" "-vv (the helper used)"
	assert_eq "$(httpd_requests)" 1 "requests nginx saw"
}

test_installed_fakeos_run_finds_the_helper_in_the_configured_libdir() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
	command -v unshare >/dev/null || skip "no unshare(1)"
	[ -d "$PREFIX/lib" ] || skip "no $PREFIX/lib to mount over"
	install_tree
	# The launcher alone, where neither of the places relative to it
	# holds the helper: only the directory configured at build time,
	# $PREFIX/lib/fakeos, can.
	mkdir -p "$WORK/alone/bin" "$WORK/www"
	cp "$P/bin/fakeos-run" "$WORK/alone/bin/"
	cp "$EXAMPLES/hello" "$WORK/www/"
	httpd_start "$WORK/www" >/dev/null || fail "nginx did not start"
	local url=$HTTPD_URL/hello
	if [ ! -e "$PREFIX/lib/fakeos/fakeos-fetch" ]; then
		run "$WORK/alone/bin/fakeos-run" -n -C "$WORK/cache-alone" "$url"
		expect_code 127
		assert_contains "$ERR" "fakeos-fetch, which downloads programs, is in none of $WORK/alone/bin, $WORK/alone/bin/.., $WORK/alone/bin/../lib/fakeos, $PREFIX/lib/fakeos: reinstall fakeOS" \
			"stderr"
	fi
	# Now with the staged lib/ over the real one, in a mount namespace
	# of its own (private: nothing reaches the host). A fresh /run/fakeos
	# there keeps the host's shared namespaces, and their lock, out of it.
	run timeout 60 unshare -m sh -c "mount --bind '$P/lib' '$PREFIX/lib' &&
		mount -t tmpfs -o mode=0700 fakeos-test /run/fakeos &&
		exec '$WORK/alone/bin/fakeos-run' -n -vv -C '$WORK/cache-alone' '$url' x"
	expect_code 0
	assert_contains "$OUT" "hello from fakeOS: $url" stdout
	assert_contains "$ERR" "with $PREFIX/lib/fakeos/fakeos-fetch" "-vv (the helper used)"
	assert_eq "$(httpd_requests)" 1 "requests nginx saw"
}

test_installed_fakeos_cc_builds_a_program_that_runs() {
	command -v musl-gcc >/dev/null || skip "no musl-gcc"
	install_tree
	write_api_program
	# Found from its own place, PREFIX/bin/../include and ../lib, with no
	# FAKEOS_SDK: -H names each header it includes, the linker's -t
	# each file it links.
	run env -u FAKEOS_SDK "$P/bin/fakeos-cc" -H -Wl,-t -o "$WORK/tick" \
		"$WORK/tick.c"
	expect_code 0
	assert_contains "$ERR" ". $P/bin/../include/fakeos.h" "the header used (-H)"
	assert_contains "$OUT$ERR" "$P/bin/../lib/libfakeos.a" "the library linked (-t)"
	assert_not_contains "$OUT$ERR" "$TOP/build/libfakeos.a" "the library linked (-t)"
	run "$P/bin/fakeos-run" -n "file://$WORK/tick" a
	expect_code 0
	assert_eq "$OUT" "tick from file://$WORK/tick (2 args, program 1)" stdout
}

test_installed_fakeos_cc_knows_a_configured_includedir_and_libdir() {
	command -v musl-gcc >/dev/null || skip "no musl-gcc"
	write_api_program
	# A real install (no DESTDIR) whose header and library are not in
	# PREFIX/include and PREFIX/lib: only the directories given to make
	# install, which it writes into the script, can lead fakeos-cc there.
	local pfx=$WORK/pfx
	run flock /tmp/fakeos-build.lock make -C "$TOP" --no-print-directory \
		-o build/fakeos-run -o build/fakeos-policy -o build/fakeos-fetch \
		-o build/fakeosd -o build/fakeosctl -o build/fakeos-shell \
		-o build/libfakeos.a install PREFIX="$pfx" \
		INCLUDEDIR="$pfx/sdk/include" LIBDIR="$pfx/sdk/lib64"
	expect_code 0
	assert_not_contains "$OUT" "gcc" "make install's output (nothing is compiled)"
	[ ! -e "$pfx/include" ] && [ ! -e "$pfx/lib/libfakeos.a" ] ||
		fail "the install put the SDK in PREFIX/include or PREFIX/lib"
	assert_contains "$(cat "$pfx/bin/fakeos-cc")" "installed_libdir=\"$pfx/sdk/lib64\"" \
		"the installed fakeos-cc"
	run env -u FAKEOS_SDK "$pfx/bin/fakeos-cc" -H -Wl,-t -o "$WORK/tick-cfg" \
		"$WORK/tick.c"
	expect_code 0
	assert_contains "$ERR" ". $pfx/sdk/include/fakeos.h" "the header used (-H)"
	assert_contains "$OUT$ERR" "$pfx/sdk/lib64/libfakeos.a" "the library linked (-t)"
	run "$pfx/bin/fakeos-run" -n "file://$WORK/tick-cfg" b
	expect_code 0
	assert_eq "$OUT" "tick from file://$WORK/tick-cfg (2 args, program 1)" stdout
	# Without them (the script as the source tree has it), the same
	# layout is an error that names where it looked.
	cp "$TOP/tools/fakeos-cc" "$pfx/bin/fakeos-cc-plain"
	run env -u FAKEOS_SDK "$pfx/bin/fakeos-cc-plain" -o "$WORK/tick-no" "$WORK/tick.c"
	expect_code 2
	assert_contains "$ERR" "fakeos-cc: $pfx/bin/../include/fakeos.h not found (set FAKEOS_SDK)" stderr
}

test_installed_pkg_config_file_builds_a_program_that_runs() {
	command -v musl-gcc >/dev/null || skip "no musl-gcc"
	command -v pkg-config >/dev/null || skip "no pkg-config"
	install_tree
	write_api_program
	# The .pc file names the installed paths; a staged install moves
	# them under DESTDIR. (PKG_CONFIG_SYSROOT_DIR would also move the
	# system's liburing.a there, which a staging DESTDIR does not hold.)
	local flags
	flags=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" PKG_CONFIG_LIBDIR="$P/lib/pkgconfig" \
		pkg-config --define-variable=includedir="$P/include" \
		--define-variable=libdir="$P/lib" --cflags --libs fakeos) ||
		fail "pkg-config does not know fakeos"
	assert_contains "$flags" "-I$P/include" "pkg-config --cflags"
	assert_contains "$flags" "$P/lib/libfakeos.a" "pkg-config --libs"
	# shellcheck disable=SC2086 # the flags are words
	run musl-gcc -static -o "$WORK/tick-pc" "$WORK/tick.c" $flags
	expect_code 0
	run "$P/bin/fakeos-run" -n "file://$WORK/tick-pc"
	expect_code 0
	assert_eq "$OUT" "tick from file://$WORK/tick-pc (1 args, program 1)" stdout
}

run_tests

#!/bin/bash
# test_units.sh — fakeosd's systemd unit, as `make install` writes it.
#
# PID 1 on the test machines is not systemd, so the unit is never started
# here. What is checked: that make install puts it where systemd looks,
# with the install's paths; that `systemd-analyze verify` finds nothing to
# say about its syntax and directives (this checks the unit, not the
# daemon: ExecStart= must name an executable file, so a stand-in is
# mounted at that path in a private mount namespace); its exposure by
# `systemd-analyze security --offline=true`, printed and held at or below
# EXPOSURE_MAX (docs/SECURITY.md, "The fakeosd unit"); and that its
# capability bounding set is what a launch needs: the same broker code
# (fakeos-run's, as root) runs, enters the shared namespaces and names a
# forbidden call under exactly that set with no_new_privs, and loses
# something without each one of them.
# shellcheck disable=SC2034 # CODE, OUT and ERR are read by testlib
. "$(dirname "$0")/../lib/testlib.sh"

EXPOSURE_MAX=6.5
DEST=$WORK/dest
UNIT=$DEST/usr/local/lib/systemd/system/fakeosd.service

# make install into a staging DESTDIR, once for the file, from the current
# build (nothing is rebuilt; see test_install.sh).
install_units() { # [PREFIX]
	local prefix=${1:-/usr/local} dest=$DEST${1:+-$(basename "$1")}
	[ -e "$dest.done" ] && return 0
	local f
	for f in build/fakeos-run build/fakeos-policy build/fakeos-fetch \
		build/libfakeos.a; do
		[ -e "$TOP/$f" ] || fail "$f is not built: run make first"
	done
	run flock /tmp/fakeos-build.lock make -C "$TOP" --no-print-directory \
		-o build/fakeos-run -o build/fakeos-policy -o build/fakeos-fetch \
		-o build/fakeosd -o build/fakeosctl -o build/libfakeos.a install \
		DESTDIR="$dest" \
		PREFIX="$prefix"
	expect_code 0
	touch "$dest.done"
}

need_systemd_analyze() {
	command -v systemd-analyze >/dev/null ||
		skip "no systemd-analyze (Debian package systemd: tools/install-deps)"
}

# The unit's CapabilityBoundingSet=, as setpriv(1) names capabilities:
# "sys_admin sys_chroot ...".
unit_caps() {
	sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' |
		sed 's/cap_//g'
}

test_make_install_puts_the_unit_where_systemd_looks() {
	need_systemd_analyze
	install_units
	assert_file "$UNIT"
	assert_file "$DEST/usr/local/share/man/man8/fakeosd.8"
	local text
	text=$(cat "$UNIT")
	assert_contains "$text" $'\nExecStart=/usr/local/sbin/fakeosd\n' "the /usr/local unit"
	! grep -E '@[A-Z]+@' "$UNIT" || fail "the unit has fields left unfilled"
	assert_not_contains "$text" "$DEST" "the unit (DESTDIR leaked)"
	# PREFIX=/usr: the unit goes to /usr/lib/systemd/system and runs
	# /usr/sbin/fakeosd.
	install_units /usr
	local usr_unit=$DEST-usr/usr/lib/systemd/system/fakeosd.service
	assert_file "$usr_unit"
	assert_contains "$(cat "$usr_unit")" $'\nExecStart=/usr/sbin/fakeosd\n' "the /usr unit"
	# Both directories are on systemd's own unit path.
	run systemd-analyze unit-paths
	expect_code 0
	assert_contains "$OUT"$'\n' $'\n/usr/local/lib/systemd/system\n' "systemd-analyze unit-paths"
	assert_contains "$OUT"$'\n' $'\n/usr/lib/systemd/system\n' "systemd-analyze unit-paths"
}

test_systemd_analyze_verify_prints_nothing_for_the_unit() {
	need_systemd_analyze
	[ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
	command -v unshare >/dev/null || skip "no unshare(1)"
	[ -d /usr/local/sbin ] || skip "no /usr/local/sbin to mount a stand-in on"
	install_units
	# verify checks that ExecStart= names an executable: a stand-in
	# fakeosd, on a tmpfs over /usr/local/sbin in a mount namespace of
	# its own (nothing reaches the host). MANPATH lets it find the
	# installed fakeosd(8) that Documentation= names.
	printf '#!/bin/sh\nexit 0\n' >"$WORK/fakeosd"
	chmod 755 "$WORK/fakeosd"
	run timeout 60 unshare -m sh -c "mount -t tmpfs -o mode=0755 stand-in /usr/local/sbin &&
		cp '$WORK/fakeosd' /usr/local/sbin/fakeosd &&
		MANPATH='$DEST/usr/local/share/man' exec systemd-analyze verify '$UNIT'"
	echo "    systemd-analyze verify: exit $CODE, ${#OUT} bytes out, ${#ERR} bytes err"
	expect_code 0
	assert_eq "$OUT$ERR" "" "systemd-analyze verify's output"
	# It does speak up: the same unit with a misspelt directive and no
	# executable.
	sed 's/^KillMode=/KilMode=/; s|^ExecStart=.*|ExecStart=/nonexistent/fakeosd|' \
		"$UNIT" >"$WORK/broken.service"
	run env MANPATH="$DEST/usr/local/share/man" systemd-analyze verify "$WORK/broken.service"
	assert_contains "$ERR" "Unknown key 'KilMode' in section [Service]" "verify of a broken unit"
	assert_contains "$ERR" "/nonexistent/fakeosd is not executable" "verify of a broken unit"
}

test_unit_exposure_is_at_most_the_documented_level() {
	need_systemd_analyze
	install_units
	run systemd-analyze security --offline=true "$UNIT"
	expect_code 0
	local line level
	line=$(grep 'Overall exposure level' <<<"$OUT")
	[ -n "$line" ] || fail "no exposure line from systemd-analyze security"
	echo "    $line"
	level=$(sed -n 's/.*fakeosd.service: \([0-9.]*\) .*/\1/p' <<<"$line")
	[ -n "$level" ] || fail "no level in '$line'"
	awk -v l="$level" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(l <= m) }' ||
		fail "exposure $level is above $EXPOSURE_MAX"
	# The protections the unit claims are the ones systemd sees.
	local d
	for d in 'NoNewPrivileges=' 'ProtectSystem=' 'ProtectHome=' 'PrivateTmp=' \
		'ProtectProc=' 'ProcSubset=' 'SystemCallArchitectures=' \
		'CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)' \
		'CapabilityBoundingSet=~CAP_KILL' 'DeviceAllow=' 'PrivateMounts='; do
		grep -qF "✓ $d" <<<"$OUT" || fail "systemd-analyze security does not see $d"
	done
}

# A launch under exactly the unit's bounding set, with no_new_privs: the
# program runs, the broker enters both shared namespaces (no fallback,
# which -vv would name), and a forbidden call is still a named kill.
test_unit_capabilities_are_enough_for_a_launch() {
	[ "$(id -u)" -eq 0 ] || skip "the unit runs fakeosd as root"
	command -v setpriv >/dev/null || skip "no setpriv(1)"
	install_units
	local caps set=""
	caps=$(unit_caps)
	[ -n "$caps" ] || fail "no CapabilityBoundingSet= in the unit"
	for c in $caps; do set="$set,+$c"; done
	run setpriv --no-new-privs --bounding-set "-all$set" -- \
		"$RUN" -n -vv -C "$WORK/cache" "file://$EXAMPLES/hello" x
	expect_code 0
	assert_contains "$OUT" "hello from fakeOS" stdout
	assert_not_contains "$ERR" "not entering" "-vv (shared network namespace)"
	assert_not_contains "$ERR" "not cloning" "-vv (shared mount namespace)"
	assert_not_contains "$ERR" "no shared" "-vv (shared namespaces)"
	run setpriv --no-new-privs --bounding-set "-all$set" -- \
		"$RUN" -n -C "$WORK/cache" "file://$ESCAPES/mprotect_exec"
	expect_code 159
	assert_contains "$ERR" "killed: forbidden system call mprotect (10)" stderr
}

# Each capability of the set, taken away, costs the launch something: it
# fails, or the broker falls back from a shared namespace.
test_each_unit_capability_is_needed() {
	[ "$(id -u)" -eq 0 ] || skip "the unit runs fakeosd as root"
	command -v setpriv >/dev/null || skip "no setpriv(1)"
	install_units
	local caps drop c set
	caps=$(unit_caps)
	[ "$(wc -w <<<"$caps")" -ge 1 ] || fail "no CapabilityBoundingSet= in the unit"
	for drop in $caps; do
		set=""
		for c in $caps; do [ "$c" = "$drop" ] || set="$set,+$c"; done
		run setpriv --no-new-privs --bounding-set "-all$set" -- \
			"$RUN" -n -vv -C "$WORK/cache" "file://$EXAMPLES/hello" x
		echo "    without $drop: exit $CODE," \
			"$(grep -m1 -E "not entering|not cloning|no shared|jail:" <<<"$ERR")"
		if [ "$CODE" = 0 ] && ! grep -qE "not entering|not cloning|no shared" <<<"$ERR"; then
			fail "a launch without $drop lost nothing: it is not needed"
		fi
	done
}

run_tests

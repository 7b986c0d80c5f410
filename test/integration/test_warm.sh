#!/bin/bash
# Warm jails (src/jail.h, jail_warm_*): a program launched in a jail that
# was prepared ahead must be exactly what a cold launch (jail_spawn) makes
# of it, a warm jail must hold nothing while it waits and die with its
# parent, and a malformed launch must fail without running anything and
# leave no jail to reuse. Driven by build/tools/warmjail
# (test/tools/warmjail.c), which calls the API as the broker will.
. "$(dirname "$0")/../lib/testlib.sh"

W=$TOP/build/tools/warmjail
PROGS=$TOP/build/progs

[ "$(id -u)" = 0 ] || { echo "test_warm.sh: needs root"; exit 1; }
[ -x "$W" ] || { echo "test_warm.sh: build $W first (make)"; exit 1; }

# both ARG... — runs `warmjail cold ARG...` then `warmjail warm ARG...`;
# COLD and WARM hold each one's exit code, stdout and stderr.
both() {
	run "$W" cold "$@"
	COLD="exit $CODE
$OUT
$ERR"
	run "$W" warm "$@"
	WARM="exit $CODE
$OUT
$ERR"
}

test_warm_program_sees_the_same_jail_as_a_cold_one() {
	run "$W" state cold "$PROGS/spin"
	expect_code 137
	local cold=$ERR
	run "$W" state warm "$PROGS/spin"
	expect_code 137
	assert_eq "$ERR" "$cold" "the program's state, warm vs cold"
	# And that state is the jail's, not two equal mistakes.
	assert_contains "$ERR" "NoNewPrivs:	1"
	assert_contains "$ERR" "CapEff:	0000000000000000"
	assert_contains "$ERR" "CapBnd:	0000000000000000"
	assert_contains "$ERR" "Seccomp:	2"
	assert_contains "$ERR" "filter: "
	assert_contains "$ERR" "the only one"
	assert_contains "$ERR" "ns user: own"
	assert_contains "$ERR" "ns pid: own"
	assert_contains "$ERR" "ns mnt: own"
	assert_contains "$ERR" "ns net: shared"
	assert_contains "$ERR" "root entries: 0"
	assert_contains "$ERR" "hostname: fakeos"
	assert_contains "$ERR" "own session: yes"
	assert_contains "$ERR" "limit Max address space         268435456"
	assert_contains "$ERR" "limit Max open files            5"
	assert_contains "$ERR" "fd 3: anon_inode:[io_uring]"
	assert_not_contains "$ERR" "fd 4:"
	assert_not_contains "$ERR" "fd 8:" "the program's memfd, after exec"
}

test_warm_exit_codes_match_cold() {
	local code
	for code in 0 3 42 125; do
		both "$PROGS/exit_with" "$code"
		assert_eq "$WARM" "$COLD" "exit_with $code"
		assert_contains "$WARM" "exit $code"
	done
	both "$PROGS/segv"
	assert_eq "$WARM" "$COLD" "segv"
	assert_contains "$WARM" "exit 139"
}

test_warm_console_argv_and_environment_match_cold() {
	both "$EXAMPLES/hello" one "two words"
	assert_eq "$WARM" "$COLD"
	assert_eq "$WARM" "exit 0
hello from fakeOS: $EXAMPLES/hello
  arg 1: one
  arg 2: two words
"
	both "$PROGS/env_dump"
	assert_eq "$WARM" "$COLD"
	assert_contains "$WARM" "environ: 0"
}

# Hostile programs that need no broker: each forbidden call is named the
# same way, and the program killed, through both paths.
test_warm_forbidden_calls_are_named_as_cold() {
	local p
	for p in fork_process vfork_process execve_shell mount_tmpfs \
		 unshare_namespaces setns open_file socket_inet memfd_create \
		 ptrace_traceme chroot pivot_root; do
		both "$ESCAPES/$p" warm-test
		assert_eq "$WARM" "$COLD" "$p"
		assert_contains "$WARM" "exit 137" "$p"
		assert_contains "$WARM" "killed: forbidden system call" "$p"
		assert_not_contains "$WARM" "ESCAPED" "$p"
	done
}

# The layers below seccomp (Landlock, the read-only root, securebits), as
# test_jail.sh probes them, answer the same.
test_warm_jail_layers_below_seccomp_match_cold() {
	cat "$TOP/policy/default.policy" - >"$WORK/probe.policy" <<-EOF
		openat: allow
		mkdirat: allow
		socket: allow
		connect: allow
		bind: allow
		close: allow
		prctl: allow
	EOF
	local probes=(open-root mkdir-root connect:1 bind:8999 securebits)
	run "$W" --policy "$WORK/probe.policy" cold "$PROGS/jail_probe" "${probes[@]}"
	expect_code 0
	local cold=$OUT
	run "$W" --policy "$WORK/probe.policy" warm "$PROGS/jail_probe" "${probes[@]}"
	expect_code 0
	assert_eq "$OUT" "$cold"
	assert_contains "$OUT" "mkdir /x: "
	assert_not_contains "$OUT" "mkdir /x: ok"
	assert_contains "$OUT" "securebits: 0x"
}

# While it waits a warm jail is already unprivileged, and holds its sync
# socket (fd 9) and its ring (fd 3): none of the broker's descriptors.
test_idle_warm_jail_holds_two_descriptors_and_no_privilege() {
	run "$W" idle
	expect_code 0
	local fds
	fds=$(grep '^fd ' <<<"$ERR")
	assert_eq "$fds" "fd 3: anon_inode:[io_uring]
fd 9: socket: cloexec"
	assert_contains "$ERR" "Uid:	65534	65534	65534	65534"
	assert_contains "$ERR" "CapPrm:	0000000000000000"
	assert_contains "$ERR" "CapBnd:	0000000000000000"
	assert_contains "$ERR" "NoNewPrivs:	1"
}

test_warm_jail_dies_with_its_parent() {
	run timeout 20 "$W" parent-dies
	expect_code 0
	assert_eq "$OUT" "gone"
}

# A launch message the API cannot make, forged on the jail's socket: the
# jail refuses it naming what was wrong, runs nothing (exit_with would
# print "ran"), is gone, and a second launch is refused.
test_malformed_launch_fails_cleanly_and_the_jail_is_not_reused() {
	local kind what
	for kind in nofds:"descriptor count" short:header magic:header \
		    count:"descriptor count" argv:"argv count" \
		    dirfd:"a directory descriptor"; do
		what=${kind#*:}
		kind=${kind%%:*}
		run timeout 20 "$W" bad "$kind" "$PROGS/exit_with" 7
		expect_code 0
		assert_contains "$OUT" "launch: jail: launch message: $what" "$kind"
		assert_not_contains "$OUT" "ran" "$kind"
		assert_contains "$OUT" "jail: gone" "$kind"
		assert_contains "$OUT" "again: jail: this warm jail was used already" "$kind"
	done
}

# What the API refuses before sending: a ring that is not the jail's own.
# And a jail that ran one program refuses a second.
test_warm_launch_misuse_is_refused_and_the_jail_is_used_once() {
	run timeout 20 "$W" bad ring "$PROGS/exit_with" 7
	expect_code 0
	assert_contains "$OUT" "launch: jail: a warm jail's ring must be the program's first passed descriptor"
	assert_contains "$OUT" "jail: gone"
	assert_contains "$OUT" "again: jail: this warm jail was used already"
	run timeout 20 "$W" bad reuse "$PROGS/exit_with" 7
	expect_code 0
	assert_eq "$OUT" "first launch: exit 7
jail: gone
again: jail: this warm jail was used already"
}

run_tests

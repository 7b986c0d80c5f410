#!/bin/bash
# The hostile programs in test/escape/, each run under the real launcher.
# Each must be contained the expected way: killed with the forbidden call
# named (exit 159), or refused with an errno it reports (exit 0); a program
# that prints ESCAPED or exits 99 got through. The escape summary line is
# what a CI log reader can trust: every attempt, and how many were held.
. "$(dirname "$0")/../lib/testlib.sh"

ATTEMPTED=0
CONTAINED=0

# expect_killed PROGRAM SYSCALL — the jail killed it at that call.
expect_killed() {
	run "$RUN" -n "file://$ESCAPES/$1"
	expect_code 159
	assert_contains "$ERR" "killed: forbidden system call $2 ("
	assert_not_contains "$OUT" "ESCAPED"
}

# expect_refused PROGRAM ERRNO-TEXT — the call returned that error.
expect_refused() {
	run "$RUN" -n "file://$ESCAPES/$1"
	expect_code 0
	assert_contains "$OUT" "refused: $2"
	assert_not_contains "$OUT" "ESCAPED"
}

test_opening_a_host_file_is_killed() { expect_killed open_file open; }
test_openat_of_a_host_file_is_killed() { expect_killed openat_file openat; }
test_creating_a_socket_is_killed() { expect_killed socket_inet socket; }
test_forking_is_killed() { expect_killed fork_process fork; }
test_executable_mapping_is_killed() { expect_killed exec_mapping mmap; }
test_mprotect_to_executable_is_killed() { expect_killed mprotect_exec mprotect; }
test_ptrace_is_killed() { expect_killed ptrace_parent ptrace; }
test_tiocsti_is_answered_enotty() { expect_refused tiocsti "ioctl: Not a tty"; }

test_every_escape_program_has_a_test() {
	local p
	for p in "$TOP"/test/escape/*.c; do
		p=$(basename "$p" .c)
		grep -q "expect_[a-z]* $p " "$0" || fail "no test runs $p"
	done
}

run_tests | tee "$WORK/results"
ATTEMPTED=$(grep -c '^[A-Z]* test_.*_\(killed\|enotty\)$' "$WORK/results")
CONTAINED=$(grep -c '^PASS test_.*_\(killed\|enotty\)$' "$WORK/results")
echo "escape tests: $ATTEMPTED attempted, $CONTAINED contained"
grep -q '^FAIL' "$WORK/results" && exit 1
exit 0

# testlib.sh — a small harness for the integration tests (bash).
#
# A test file defines functions named test_*; `run_tests` runs each one in a
# subshell, in the order they appear, and prints PASS/FAIL lines and a
# closing "N passed, N failed, N skipped" line that test/integration/run-all
# adds up. A test fails on the first assertion that does not hold, with a
# message saying what was expected and what happened.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${FAKEOS_RUN:-$TOP/build/fakeos-run}
EXAMPLES=$TOP/build/examples
ESCAPES=$TOP/build/escape
WORK=$(mktemp -d /tmp/fakeos-test.XXXXXX)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# run CMD... — runs a command, capturing OUT, ERR and CODE. Never fails.
run() {
	local o="$WORK/.out" e="$WORK/.err"
	CODE=0
	"$@" >"$o" 2>"$e" </dev/null || CODE=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
}

fail() {
	echo "    $*" >&2
	if [ -n "${OUT:-}${ERR:-}" ]; then
		echo "    exit: ${CODE:-?}" >&2
		printf '    stdout: %s\n' "${OUT:0:600}" >&2
		printf '    stderr: %s\n' "${ERR:0:600}" >&2
	fi
	exit 1
}

# FAKEOS_NO_SKIP=1 (set by .ci/run, whose deps script installs every tool
# a test may need) turns a skip into a failure: in CI an attempt that did
# not run must not quietly drop out of the counts.
skip() {
	if [ "${FAKEOS_NO_SKIP:-0}" = 1 ]; then
		echo "    skipped, which FAKEOS_NO_SKIP=1 forbids: $*" >&2
		exit 1
	fi
	echo "    skipped: $*" >&2
	exit 77
}

expect_code() {
	[ "$CODE" = "$1" ] || fail "expected exit $1, got $CODE"
}

assert_eq() { # actual expected [what]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_contains() { # haystack needle [what]
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2'" ;;
	esac
}

assert_not_contains() { # haystack needle [what]
	case "$1" in
	*"$2"*) fail "${3:-output} contains '$2'" ;;
	*) ;;
	esac
}

assert_file() { [ -e "$1" ] || fail "expected file $1"; }
assert_no_file() { [ ! -e "$1" ] || fail "unexpected file $1"; }

# FAKEOS_TESTS="test_a test_b" runs only those (test_daemon.sh runs some of
# another file's tests again, through fakeosd).
run_tests() {
	local t pass=0 failed=0 skipped=0 rc
	for t in $(sed -n 's/^\(test_[A-Za-z0-9_]*\)() *{.*/\1/p' "$0"); do
		if [ -n "${FAKEOS_TESTS:-}" ]; then
			case " $FAKEOS_TESTS " in *" $t "*) ;; *) continue ;; esac
		fi
		( "$t" )
		rc=$?
		case $rc in
		0) pass=$((pass + 1)); echo "PASS $t" ;;
		77) skipped=$((skipped + 1)); echo "SKIP $t" ;;
		*) failed=$((failed + 1)); echo "FAIL $t" ;;
		esac
	done
	echo "$(basename "$0"): $pass passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

# Waits up to 5 s (250 looks, 20 ms apart) for FILE to contain TEXT; true
# once it does. For output a program writes while the test goes on.
wait_for_text() { # FILE TEXT
	local i
	for i in $(seq 1 250); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

# True when the running kernel is at least MAJOR.MINOR.
kernel_at_least() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	minor=${minor%%[!0-9]*}
	[ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# True when the kernel has IORING_OP_READ_MULTISHOT (Linux 6.7), which links
# read with where it exists (src/ring.c).
kernel_has_read_multishot() { kernel_at_least 6 7; }

# True when the kernel allocates buffer rings a program can map
# (IOU_PBUF_RING_MMAP, Linux 6.4), which receive pages go back through
# where it exists (src/ring.c).
kernel_has_buffer_rings() { kernel_at_least 6 4; }

# pid_ended PID — whether PID has ended: gone, or a zombie not yet reaped. A
# test's own background job stays a zombie until bash reaps it, which
# took 1.5 to 2 s here, so "/proc/PID exists" is no sign of life. It does
# not reap it: a later `wait PID` still gets its status.
pid_ended() {
	local st
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}

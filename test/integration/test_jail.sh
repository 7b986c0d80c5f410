#!/bin/bash
# The jail, seen from outside: what the running program is (namespaces,
# credentials, capabilities, seccomp, descriptors), how it ends (exit codes,
# signals, limits), and what it gets (argv, environment, console). Programs
# come from file:// URLs here; fetching is test_fetch.sh's subject.
. "$(dirname "$0")/../lib/testlib.sh"

PROGS=$TOP/build/progs
url() { echo "file://$PROGS/$1"; }

# Starts `fakeos-run sleeper` in the background, waits for "ready", and
# sets LPID (the launcher) and CPID (the jailed program, its only child).
start_sleeper() {
	local fifo
	fifo=$(mktemp "$WORK/sleeper.XXXXXX")
	"$RUN" -n "$@" "$(url sleeper)" 30 >"$fifo" 2>"$fifo.err" &
	LPID=$!
	for _ in $(seq 1 100); do
		grep -q ready "$fifo" 2>/dev/null && break
		sleep 0.05
	done
	grep -q ready "$fifo" || fail "sleeper did not start: $(cat "$fifo.err")"
	CPID=$(pgrep -P "$LPID" | head -n 1)
	[ -n "$CPID" ] || fail "no child of the launcher"
}

stop_sleeper() {
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
}

# probe PROBE... — runs jail_probe (test/progs/jail_probe.c) under the
# default policy plus the calls it makes, so that each answer it prints is
# the kernel's, from the layers below seccomp; sets ABI to the Landlock ABI
# that -v reports, besides OUT, ERR and CODE (the probe's lines only: -v
# goes to stderr).
probe() {
	cat "$TOP/policy/default.policy" - >"$WORK/probe.policy" <<-EOF
		# jail_probe's own calls (test_jail.sh)
		openat: allow
		mkdirat: allow
		socket: allow
		connect: allow
		bind: allow
		close: allow
		prctl: allow
	EOF
	run "$RUN" -n -v --policy "$WORK/probe.policy" "$(url jail_probe)" "$@"
	ABI=$(sed -n 's/^fakeos-run: landlock: ABI \([0-9]*\)$/\1/p' <<<"$ERR")
	[ -n "$ABI" ] || fail "-v named no Landlock ABI"
}

# limit_of LIMITS NAME — "SOFT HARD" of "Max NAME" in a /proc/PID/limits.
limit_of() {
	sed -n "s/^Max $2  *\([^ ]*\)  *\([^ ]*\).*/\1 \2/p" <<<"$1"
}

# stat_fields PID — the session id and tty_nr of /proc/PID/stat (fields 6
# and 7, counted after the command name, which may hold spaces).
stat_fields() {
	sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f4,5
}

# The shared empty network namespace of root launches (src/jail.h).
JAIL_NETNS=/run/fakeos/netns

test_program_exit_status_passes_through() {
	run "$RUN" -n "$(url exit_with)" 42
	expect_code 42
	run "$RUN" -n "$(url exit_with)" 0
	expect_code 0
}

test_argv_is_url_then_arguments() {
	run "$RUN" -n "file://$EXAMPLES/hello" one "two words"
	expect_code 0
	assert_eq "$OUT" "hello from fakeOS: file://$EXAMPLES/hello
  arg 1: one
  arg 2: two words"
}

test_environment_is_empty() {
	run env SECRET=leak "$RUN" -n "$(url env_dump)"
	expect_code 0
	assert_eq "$OUT" "environ: 0"
}

# Binary output is the case for --raw-console: by default control bytes
# are shown, not passed (the next two tests).
test_stdin_is_relayed_and_output_kept_apart() {
	local CODE=0
	head -c 300000 /dev/urandom >"$WORK/in"
	"$RUN" --raw-console "$(url cat)" <"$WORK/in" >"$WORK/out" \
		2>"$WORK/err" || CODE=$?
	expect_code 0
	cmp -s "$WORK/in" "$WORK/out" || fail "stdout differs from stdin"
	assert_eq "$(cat "$WORK/err")" "cat: 300000 bytes"
}

# Text survives the default byte for byte, through a pipe into a file:
# tabs, carriage returns, and UTF-8 in several scripts (right-to-left
# Hebrew, a zero-width non-joiner, an emoji), 300 KB so that reads cut
# characters apart.
test_text_output_passes_a_pipe_byte_for_byte() {
	local i
	for i in $(seq 1 2000); do
		printf 'line %d\tcaf\xc3\xa9 \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd9\x85\xe2\x80\x8c\xd9\x8a \xc2\xa9\r\n' \
			"$i"
		printf '%0120d\n' "$i"
	done >"$WORK/in"
	"$RUN" "$(url cat)" <"$WORK/in" 2>"$WORK/err" | cat >"$WORK/out"
	CODE=${PIPESTATUS[0]}
	expect_code 0
	cmp -s "$WORK/in" "$WORK/out" || fail "stdout differs from stdin"
}

# Binary by default: every control byte is shown, so the file holds UTF-8
# text with no ESC in it, and not the program's bytes.
test_binary_output_is_shown_not_passed_by_default() {
	head -c 65536 /dev/urandom >"$WORK/in"
	"$RUN" "$(url cat)" <"$WORK/in" >"$WORK/out" 2>"$WORK/err"
	CODE=$?
	expect_code 0
	! cmp -s "$WORK/in" "$WORK/out" || fail "binary passed unchanged"
	! LC_ALL=C grep -q $'\x1b' "$WORK/out" || fail "an ESC passed"
	iconv -f UTF-8 -t UTF-8 "$WORK/out" >/dev/null 2>&1 ||
		fail "the output is not UTF-8 text"
	assert_eq "$(cat "$WORK/err")" "cat: 65536 bytes"
}

test_no_stdin_gives_end_of_file() {
	run "$RUN" -n "$(url cat)"
	expect_code 0
	assert_eq "$ERR" "cat: 0 bytes"
}

test_glibc_static_program_starts_unchanged() {
	run "$RUN" -n "$(url hello_glibc)" x
	expect_code 0
	assert_eq "$OUT" "hello from glibc: $(url hello_glibc) (2 args)"
}

test_forbidden_call_is_named_and_exit_is_159() {
	run "$RUN" -n "file://$ESCAPES/openat_file"
	expect_code 159
	assert_contains "$ERR" "file://$ESCAPES/openat_file: killed: forbidden system call openat (257)"
	assert_not_contains "$OUT" "ESCAPED"
}

test_signal_death_is_128_plus_signal() {
	run "$RUN" -n "$(url segv)"
	expect_code 139
	assert_contains "$ERR" "killed by SIGSEGV"
}

test_cpu_limit_kills_and_is_named() {
	run timeout 20 "$RUN" -n --cpu 1 "$(url spin)"
	expect_code 137
	assert_contains "$ERR" "CPU time limit of 1 s exceeded"
}

test_wall_clock_limit_kills_and_is_named() {
	run timeout 20 "$RUN" -n --time-limit 0.3 "$(url sleeper)" 30
	expect_code 137
	assert_contains "$ERR" "wall-clock limit of 0.3 s exceeded"
}

test_memory_limit_makes_allocation_fail() {
	run "$RUN" -n --memory 64M "$(url memhog)"
	expect_code 3
	local got
	got=$(echo "$OUT" | sed -n 's/allocated \([0-9]*\) MiB.*/\1/p')
	[ -n "$got" ] && [ "$got" -lt 64 ] && [ "$got" -gt 32 ] ||
		fail "expected 32..63 MiB under a 64M limit, got '$got'"
}

test_program_runs_in_fresh_namespaces() {
	start_sleeper
	local ns
	for ns in user pid mnt net ipc uts cgroup; do
		[ "$(readlink /proc/$CPID/ns/$ns)" != "$(readlink /proc/$$/ns/$ns)" ] ||
			{ stop_sleeper; fail "program shares the $ns namespace"; }
	done
	# Its own pid namespace: it is pid 1 there.
	local nspid
	nspid=$(awk '/^NSpid:/ {print $NF}' /proc/$CPID/status)
	stop_sleeper
	assert_eq "$nspid" "1" "pid inside the namespace"
}

test_program_has_no_capabilities_and_no_new_privs() {
	start_sleeper
	local status
	status=$(cat /proc/$CPID/status)
	stop_sleeper
	local f
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_contains "$status" "$f:	0000000000000000" "$f"
	done
	assert_contains "$status" "NoNewPrivs:	1"
	assert_contains "$status" "Seccomp:	2"
}

test_root_launch_runs_program_as_nobody() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	start_sleeper
	local uid gid
	uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$CPID/status)
	gid=$(awk '/^Gid:/ {print $2, $3, $4, $5}' /proc/$CPID/status)
	stop_sleeper
	assert_eq "$uid" "65534 65534 65534 65534" "uids"
	assert_eq "$gid" "65534 65534 65534 65534" "gids"
}

test_program_holds_only_the_documented_descriptors() {
	start_sleeper
	local fds links
	fds=$(ls /proc/$CPID/fd | sort -n | tr '\n' ' ')
	links=$(for f in $(ls /proc/$CPID/fd | sort -n); do
		readlink "/proc/$CPID/fd/$f"; done)
	stop_sleeper
	# The console (three pipes), the ring (3) and the boot page (4); no
	# terminal, no socket, no host file or directory (CVE-2024-21626).
	assert_eq "$fds" "0 1 2 3 4 " "descriptors"
	local expect
	expect=$(printf 'pipe\npipe\npipe\nanon_inode:[io_uring]\n/memfd:fakeos:boot (deleted)')
	assert_eq "$(echo "$links" | sed 's/^pipe:.*/pipe/')" "$expect" "what they are"
}

test_program_has_empty_root_and_no_terminal() {
	start_sleeper
	local root tty
	root=$(ls -A /proc/$CPID/root/ 2>&1)
	tty=$(awk '{print $7}' /proc/$CPID/stat)
	stop_sleeper
	assert_eq "$root" "" "root directory listing"
	assert_eq "$tty" "0" "controlling terminal"
}

test_root_is_read_only() {
	start_sleeper
	local mounts
	mounts=$(cut -d' ' -f5,6 /proc/$CPID/mountinfo)
	stop_sleeper
	# One mount, the root, read-only (and nothing on it can be run).
	assert_eq "$mounts" "/ ro,nosuid,nodev,noexec,relatime" "the jail's mounts"
	# Seen from inside, with a filter that lets mkdir through: the kernel
	# checks the mount (EROFS) before permissions and before Landlock's
	# hook, so this answer is the read-only root's own.
	probe mkdir-root
	expect_code 0
	assert_eq "$OUT" "mkdir /x: EROFS" "mkdir in the root"
}

test_landlock_denies_reading_the_root_that_seccomp_allows() {
	# The root is an empty directory of mode 0555: without Landlock,
	# opening it to read succeeds.
	probe open-root
	expect_code 0
	if [ "$ABI" -ge 1 ]; then
		assert_eq "$OUT" "open /: EACCES" "open under Landlock ABI $ABI"
	else
		assert_eq "$OUT" "open /: ok" "open with no Landlock"
	fi
}

test_landlock_denies_tcp_connect_and_bind_that_seccomp_allows() {
	# Without Landlock's network rights (ABI 4), the empty network
	# namespace answers instead: no route (its loopback is down), and a
	# bind to the wildcard address that works.
	local port=$((20000 + RANDOM % 30000))
	probe "connect:$port" "bind:$((port + 1))"
	expect_code 0
	if [ "$ABI" -ge 4 ]; then
		assert_eq "$OUT" "connect: EACCES
bind: EACCES" "TCP under Landlock ABI $ABI"
	else
		assert_eq "$OUT" "connect: ENETUNREACH
bind: ok" "TCP under Landlock ABI $ABI (no network rights)"
	fi
}

test_securebits_are_locked() {
	# What drop_privileges sets: NOROOT and its lock, the locks on
	# NO_SETUID_FIXUP and KEEP_CAPS (both off), NO_CAP_AMBIENT_RAISE
	# and its lock.
	local want
	want=$(printf '%#x' $(((1 << 0) | (1 << 1) | (1 << 3) | (1 << 5) |
		(1 << 6) | (1 << 7))))
	probe securebits
	expect_code 0
	assert_eq "$OUT" "securebits: $want" "prctl(PR_GET_SECUREBITS)"
}

test_core_dumps_and_the_other_documented_limits_are_zero() {
	start_sleeper
	local limits
	limits=$(cat /proc/$CPID/limits)
	stop_sleeper
	local name
	for name in "core file size" "file size" "locked memory" \
		"file locks" "msgqueue size" "nice priority" \
		"realtime priority"; do
		assert_eq "$(limit_of "$limits" "$name")" "0 0" "Max $name"
	done
	# The five descriptors it holds, plus one.
	assert_eq "$(limit_of "$limits" "open files")" "6 6" "Max open files"
	assert_eq "$(limit_of "$limits" "address space")" \
		"268435456 268435456" "Max address space (the default 256M)"
}

test_program_has_own_session_and_no_terminal_under_a_pty() {
	command -v script >/dev/null || skip "no script(1)"
	# script(1) gives the launcher a real controlling terminal; the
	# program must still be in a session of its own, without one.
	local out=$WORK/pty.out pidf=$WORK/pty.pid spid
	script -qec "echo \$\$ >'$pidf'; exec '$RUN' -n '$(url sleeper)' 30" \
		/dev/null >"$out" 2>&1 </dev/null &
	spid=$!
	for _ in $(seq 1 100); do
		grep -q ready "$out" 2>/dev/null && break
		sleep 0.05
	done
	grep -q ready "$out" || { kill "$spid"; fail "sleeper did not start: $(cat "$out")"; }
	LPID=$(cat "$pidf")
	CPID=$(pgrep -P "$LPID" | head -n 1)
	local lstat cstat
	lstat=$(stat_fields "$LPID")
	cstat=$(stat_fields "$CPID")
	kill "$LPID"
	wait "$spid"
	# Fields 6 and 7 of /proc/PID/stat: session id, controlling tty.
	local lsid ltty csid ctty
	read -r lsid ltty <<<"$lstat"
	read -r csid ctty <<<"$cstat"
	[ "$ltty" != 0 ] || fail "the launcher has no terminal: the test proves nothing"
	assert_eq "$csid" "$CPID" "the program's session (host view)"
	assert_eq "$ctty" "0" "the program's controlling terminal"
	[ "$csid" != "$lsid" ] || fail "the program is in the launcher's session"
}

test_root_launches_share_one_empty_network_namespace() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (others get a namespace each)"
	start_sleeper
	local l1=$LPID c1=$CPID
	start_sleeper
	local net1 net2 shared dev
	net1=$(readlink /proc/$c1/ns/net)
	net2=$(readlink /proc/$CPID/ns/net)
	shared="net:[$(stat -L -c %i "$JAIL_NETNS")]"
	# Interfaces: the lines of net/dev after its two header lines.
	dev=$(tail -n +3 /proc/$c1/net/dev | cut -d: -f1 | tr -d ' ')
	stop_sleeper
	kill "$l1"
	wait "$l1" 2>/dev/null
	assert_eq "$net1" "$net2" "the two programs' network namespaces"
	assert_eq "$net1" "$shared" "the namespace at $JAIL_NETNS"
	[ "$net1" != "$(readlink /proc/$$/ns/net)" ] ||
		fail "the programs share the host's network namespace"
	assert_eq "$dev" "lo" "interfaces in the shared namespace"
	if command -v nsenter >/dev/null && command -v ip >/dev/null; then
		assert_contains "$(nsenter --net="$JAIL_NETNS" ip -o link)" \
			"lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN" "its loopback"
	fi
}

test_jail_setup_failure_exits_126_naming_the_step() {
	command -v unshare >/dev/null || skip "no unshare(1)"
	# A user namespace whose own limit on nested user namespaces is 0:
	# the jail's clone3 cannot make one. The launcher runs there as an
	# ordinary user (uid 1000, holding the namespace's capabilities only
	# to set the limit), so the same command without the limit works.
	local ns=(unshare --user --map-user=1000 --map-group=1000 --keep-caps)
	local hello="file://$EXAMPLES/hello"
	run "${ns[@]}" sh -c "exec '$RUN' -n '$hello' hi"
	expect_code 0
	assert_contains "$OUT" "arg 1: hi" "the same launch without the limit"
	run "${ns[@]}" sh -c "echo 0 >/proc/sys/user/max_user_namespaces &&
		exec '$RUN' -n '$hello' hi"
	expect_code 126
	assert_eq "$OUT" "" "stdout (the program must not run)"
	assert_contains "$ERR" "$hello: jail: clone3 (new namespaces): No space left on device"
}

test_sigterm_to_launcher_kills_program_and_exits_143() {
	start_sleeper
	kill -TERM "$LPID"
	local CODE=0
	wait "$LPID" || CODE=$?
	expect_code 143
	sleep 0.1
	[ ! -e /proc/$CPID ] || fail "program $CPID still alive"
}

test_launcher_death_kills_program() {
	start_sleeper
	kill -KILL "$LPID"
	wait "$LPID" 2>/dev/null
	for _ in $(seq 1 50); do
		[ -e /proc/$CPID ] || return 0
		sleep 0.05
	done
	fail "program $CPID outlived its launcher"
}

test_malformed_policy_stops_launch_naming_line() {
	printf 'read: arg0 == 0\nopn: allow\n' >"$WORK/bad.policy"
	run "$RUN" -n --policy "$WORK/bad.policy" "$(url exit_with)" 0
	expect_code 126
	assert_contains "$ERR" "bad.policy:2"
	assert_contains "$ERR" "opn"
}

test_policy_tool_rejects_a_bad_policy_with_exit_1_naming_the_line() {
	local tool=$TOP/build/fakeos-policy f=$WORK/bad.policy mode
	# Each bad line sits after good ones and a blank line, so the line
	# number counts from the file's start.
	printf 'read: arg0 == 0\n\nopn: allow\n' >"$f"
	for mode in "" --check --list --pfc --bpf; do
		run "$tool" ${mode:+"$mode"} "$f"
		expect_code 1
		assert_eq "$OUT" "" "stdout of ${mode:-the default mode}"
		assert_eq "$ERR" "fakeos-policy: $f:3: unknown system call 'opn'" \
			"stderr of ${mode:-the default mode}"
	done
	run "$tool" --eval "$f" read 0
	expect_code 1
	assert_eq "$ERR" "fakeos-policy: $f:3: unknown system call 'opn'" "--eval"
	printf 'mmap: allow\n# a comment\nread: arg7 == 0\n' >"$f"
	run "$tool" --check "$f"
	expect_code 1
	assert_eq "$ERR" "fakeos-policy: $f:3: arg7: no such argument (a system call has arg0 to arg5)"
	printf 'mmap: allow\nread: allow\n\nmmap: allow\n' >"$f"
	run "$tool" --check "$f"
	expect_code 1
	assert_eq "$ERR" "fakeos-policy: $f:4: 'mmap' listed twice (first on line 1)"
	# The same tool accepts a good file, and refuses a missing one.
	printf 'mmap: allow\nread: allow\n' >"$f"
	run "$tool" --check "$f"
	expect_code 0
	assert_contains "$OUT" "$f: ok: 2 allowed, 0 answered with an errno" "--check"
	run "$tool" --check "$WORK/no-such.policy"
	expect_code 1
	assert_contains "$ERR" "$WORK/no-such.policy: No such file or directory"
}

test_custom_policy_is_enforced() {
	# The default policy minus writev: musl's printf uses writev.
	grep -v '^writev' "$TOP/policy/default.policy" >"$WORK/nowritev.policy"
	run "$RUN" -n --policy "$WORK/nowritev.policy" "file://$EXAMPLES/hello"
	expect_code 159
	assert_contains "$ERR" "forbidden system call writev (20)"
}

test_verbose_names_landlock_abi() {
	run "$RUN" -n -v "$(url exit_with)" 0
	expect_code 0
	assert_contains "$ERR" "landlock: ABI"
}

test_usage_errors_exit_125() {
	run "$RUN"
	expect_code 125
	assert_contains "$ERR" "no URL given"
	run "$RUN" --memory lots "$(url exit_with)"
	expect_code 125
	assert_contains "$ERR" "--memory: not a size"
	run "$RUN" --no-such-option
	expect_code 125
}

test_unprivileged_user_can_launch() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to become another user"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	# The build tree may not be readable by nobody; give it copies.
	local d="$WORK/unpriv"
	mkdir -p "$d"
	cp "$RUN" "$PROGS/exit_with" "$EXAMPLES/hello" "$d/"
	chmod -R a+rX "$d"
	run su nobody -s /bin/sh -c "'$d/fakeos-run' -n 'file://$d/hello' hi"
	expect_code 0
	assert_contains "$OUT" "arg 1: hi"
	run su nobody -s /bin/sh -c "'$d/fakeos-run' -n 'file://$d/exit_with' 9"
	expect_code 9
}

test_tiocsti_under_a_real_pty_injects_nothing() {
	command -v script >/dev/null || skip "no script(1)"
	# script gives the launcher a real terminal; the program's console is
	# still pipes, so TIOCSTI has no terminal to push characters into. Had
	# it worked, the injected line would be read back as typed input.
	run script -qec "'$RUN' 'file://$ESCAPES/tiocsti'; echo launcher-exit=\$?" /dev/null
	assert_contains "$OUT" "refused: ioctl: Not a tty"
	assert_contains "$OUT" "launcher-exit=0"
	assert_not_contains "$OUT" "INJECTED-BY-TIOCSTI" "terminal transcript"
}

# Root of a user namespace (a rootless container): nobody is not mapped
# there and the host's shared namespaces are not its to enter, so the
# program runs as that root (unprivileged outside) and the namespaces are
# made per launch or inside the container. A spawned tree works too.
test_root_of_a_user_namespace_can_launch_and_spawn() {
	command -v unshare >/dev/null || skip "no unshare(1)"
	local tree="$TOP/build/examples/spawn_tree"
	run unshare -Ur "$RUN" -n "file://$TOP/build/examples/hello" hi
	expect_code 0
	assert_contains "$OUT" "hello from fakeOS"
	run unshare -Ur timeout 60 "$RUN" -n "file://$tree" 2 3
	expect_code 0
	assert_contains "$OUT" "13 programs in a tree of depth 2, fanout 3; missing URL, kill and close as expected: PASS"
	# With a /run of its own: it makes its shared namespaces there.
	run unshare -Urmn sh -c "mount -t tmpfs none /run &&
		timeout 60 '$RUN' -n 'file://$tree' 2 3 && ls /run/fakeos"
	expect_code 0
	assert_contains "$OUT" "13 programs in a tree of depth 2, fanout 3; missing URL, kill and close as expected: PASS"
	assert_contains "$OUT" "mntns"
	assert_contains "$OUT" "netns"
}

# The shipped launcher (not $RUN, which integration-san swaps for its own
# glibc build) is a static PIE: no interpreter, position-independent, and
# full RELRO. nettle's CPU report is the one path into src/run/glibc_abi.c,
# the glibc entry point musl lacks; it must print, not vanish or crash.
test_shipped_launcher_is_a_static_pie_and_its_glibc_shim_prints() {
	local bin=$TOP/build/fakeos-run
	run readelf -lW "$bin"
	expect_code 0
	assert_contains "$OUT" "Elf file type is DYN" "a PIE"
	assert_not_contains "$OUT" "INTERP" "an interpreter"
	assert_contains "$OUT" "GNU_RELRO" "RELRO"
	run readelf -dW "$bin"
	assert_contains "$OUT" "BIND_NOW" "full RELRO (now)"
	assert_not_contains "$OUT" "NEEDED" "a shared library"
	NETTLE_FAT_VERBOSE=1 run "$bin" --version
	expect_code 0
	assert_contains "$OUT" "fakeos-run "
	assert_contains "$ERR" "libnettle: fat library initialization"
}

run_tests

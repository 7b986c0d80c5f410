#!/bin/bash
# The fakeOS API (include/fakeos.h) inside the real jail: the examples, and
# each call's error paths through test/progs/api_probe. Programs are served
# by a real nginx on 127.0.0.1 where fetching matters (spawn by URL).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/httpd.sh"

PROBE="file://$TOP/build/progs/api_probe"
ex() { echo "file://$EXAMPLES/$1"; }

probe() {
	run timeout 60 "$RUN" -n "$PROBE" "$@"
	expect_code 0
	assert_contains "$OUT" "PASS"
}

test_example_api_hello_sees_its_boot_page() {
	run "$RUN" -n "$(ex api_hello)" arg1
	expect_code 0
	assert_contains "$OUT" "api_hello: id 1, parent 0"
	assert_contains "$OUT" "api_hello: arg 1: arg1"
}

# include/fakeos.h is C++ too: the strictest g++ a user could build with
# takes it (g++ knows no _Noreturn; the header says FK_NORETURN).
test_fakeos_h_compiles_as_cxx11_with_pedantic_warnings_as_errors() {
	command -v g++ >/dev/null || skip "g++ is not installed"
	printf '#include <fakeos.h>\nint main() { fk_exit(fk_init() < 0); }\n' \
		>"$WORK/h.cc"
	run g++ -std=c++11 -Wall -Wextra -pedantic -Werror -I"$TOP/include" \
		-fsyntax-only "$WORK/h.cc"
	expect_code 0
	assert_eq "$ERR" "" "g++'s messages"
}

# A C++ program (classes, templates, lambdas, destructors) built with
# fakeos-c++, static with musl and no C++ runtime, runs in the jail.
test_example_hello_cxx_runs_and_names_its_peer() {
	file "$EXAMPLES/hello_cxx" | grep -q 'statically linked' ||
		fail "hello_cxx is not static: $(file "$EXAMPLES/hello_cxx")"
	run "$RUN" -n "$(ex hello_cxx)"
	expect_code 0
	assert_eq "$OUT" "hello_cxx: got ping from id 1, $(ex hello_cxx)" "output"
}

# fakeos-c++ builds a user's C++ file; what needs the C++ runtime (here
# new) does not link, and says so, rather than linking glibc's libstdc++.
test_fakeos_cxx_builds_cxx_without_its_runtime() {
	command -v g++ >/dev/null || skip "g++ is not installed"
	cat >"$WORK/t.cc" <<-'EOF'
		#include <fakeos.h>
		#include <stdio.h>
		template <int N> struct Sq { static constexpr int v = N * N; };
		int main() { printf("sq %d\n", Sq<7>::v); return fk_init() < 0; }
	EOF
	run "$TOP/tools/fakeos-c++" -o "$WORK/t" "$WORK/t.cc"
	expect_code 0
	run "$RUN" -n "file://$WORK/t"
	expect_code 0
	assert_eq "$OUT" "sq 49" "output"
	printf '#include <stdio.h>\nint main() { printf("%%p", (void *)new int(3)); }\n' \
		>"$WORK/n.cc"
	run "$TOP/tools/fakeos-c++" -o "$WORK/n" "$WORK/n.cc"
	[ "$CODE" -ne 0 ] || fail "a program that uses new linked"
	assert_contains "$ERR" "undefined reference to \`operator new"
}

# The ring is SINGLE_ISSUER with DEFER_TASKRUN (0x30c8 with R_DISABLED,
# CQSIZE and SUBMIT_ALL; docs/PROTOCOL.md 3.1): the program's task enabled
# it and is its one submitter, so the broker can no longer register files
# into it and puts links in with MSG_RING. A link that works both ways and
# then ends shows both paths: filling two files at each end, and ending
# them with dead ends when the client closes.
test_ring_defers_task_work_and_links_arrive_by_msg_ring() {
	run "$RUN" -n "$PROBE" boot
	expect_code 0
	# R_DISABLED|CQSIZE|SUBMIT_ALL with SINGLE_ISSUER|DEFER_TASKRUN, or
	# with COOP_TASKRUN before Linux 6.1, which has no DEFER_TASKRUN
	if ! kernel_at_least 6 1; then
		assert_contains "$OUT" "ring flags 0x1c8"
		return 0
	fi
	assert_contains "$OUT" "ring flags 0x30c8"
	run "$RUN" -vv -n "$(ex echo_demo)"
	expect_code 0
	assert_contains "$ERR" "io_uring: completions run in the program's own wait (DEFER_TASKRUN)"
	assert_contains "$ERR" "io_uring: filling file 1 of a program's ring with MSG_RING"
	assert_contains "$ERR" "io_uring: filling file 65 of a program's ring with MSG_RING"
	assert_contains "$ERR" "io_uring: ending file 1 of a program's ring with MSG_RING"
}

# Receive pages go back to the kernel through buffer rings the broker
# registers (Linux 6.4), or by PROVIDE_BUFFERS on an older kernel, or when
# FAKEOS_RECV_PAGES=provide forces that path, as here: links, the control
# link, broadcasts and back-pressure must work the same on both.
test_receive_pages_go_back_through_buffer_rings_or_provide_buffers() {
	run "$RUN" -vv -n "$PROBE" boot
	expect_code 0
	if kernel_has_buffer_rings; then
		assert_contains "$OUT" "recv pages 2"
		assert_contains "$ERR" "io_uring: receive pages go back through buffer rings"
	else
		assert_contains "$OUT" "recv pages 1"
	fi
	run env FAKEOS_RECV_PAGES=provide "$RUN" -vv -n "$PROBE" boot
	expect_code 0
	assert_contains "$OUT" "recv pages 1"
	assert_contains "$ERR" "receive pages go back by PROVIDE_BUFFERS"
	local mode
	for mode in peer-exits sender-sees-close oversized-peer; do
		run timeout 60 env FAKEOS_RECV_PAGES=provide "$RUN" -n "$PROBE" "$mode"
		expect_code 0
		assert_contains "$OUT" "PASS"
	done
	run timeout 60 env FAKEOS_RECV_PAGES=provide "$RUN" -n "$(ex pingpong)" 300 4096
	expect_code 0
	assert_contains "$OUT" "pong exited 0, ping exited 0: PASS"
	run timeout 60 env FAKEOS_RECV_PAGES=provide "$RUN" -n "$(ex chat)"
	expect_code 0
	assert_contains "$OUT" "chat: PASS"
}

# The boot page's cpus field (docs/PROTOCOL.md 2.2) is the launcher's
# affinity count, as nproc(1) counts it; taskset(1) narrows it.
test_boot_page_counts_the_cpus_a_program_may_run_on() {
	run "$RUN" -n "$PROBE" boot
	expect_code 0
	assert_contains "$OUT" "cpus $(nproc)"
	run taskset -c 0 "$RUN" -n "$PROBE" boot
	expect_code 0
	assert_contains "$OUT" "cpus 1"
	if [ "$(nproc)" -ge 2 ]; then
		run taskset -c 0,1 "$RUN" -n "$PROBE" boot
		expect_code 0
		assert_contains "$OUT" "cpus 2"
	fi
}

# On one CPU fk_wait does not poll before it sleeps (docs/API.md 3.12), so
# every wait that is not answered at once sleeps and is woken: the links,
# the control link and child exits must all still arrive, with either
# link read opcode.
test_examples_run_on_one_cpu_where_fk_wait_sleeps_at_once() {
	local mode size
	for mode in multishot single; do
		for size in 64 4096; do
			run timeout 60 env FAKEOS_LINK_READ=$mode taskset -c 0 \
				"$RUN" -n "$(ex pingpong)" 300 $size
			expect_code 0
			assert_contains "$OUT" "pong exited 0, ping exited 0: PASS"
		done
		run timeout 60 env FAKEOS_LINK_READ=$mode taskset -c 0 \
			"$RUN" -n "$(ex echo_demo)" 300
		expect_code 0
		assert_contains "$OUT" "echo_demo: PASS"
	done
}

# More programs than CPUs: three ping-pongs at once, six programs polling
# and backing off (docs/API.md 3.12), each of them checking every reply.
test_three_pingpongs_at_once_all_pass() {
	local i pids=()
	for i in 1 2 3; do
		timeout 60 "$RUN" -n "$(ex pingpong)" 2000 4096 >"$WORK/pp$i" 2>&1 &
		pids+=($!)
	done
	for i in 1 2 3; do
		wait "${pids[$((i - 1))]}" || fail "ping-pong $i: exit $?: $(cat "$WORK/pp$i")"
		assert_contains "$(cat "$WORK/pp$i")" "pong exited 0, ping exited 0: PASS"
	done
}

test_example_echo_client_finds_server_by_name() {
	run timeout 60 "$RUN" -n "$(ex echo_demo)" 300
	expect_code 0
	assert_contains "$OUT" "echo_demo: echo_client exited with 0"
	assert_contains "$OUT" "echo_demo: echo_server exited with 0"
	assert_contains "$OUT" "echo_demo: PASS"
}

test_example_pingpong_64_and_4096_bytes() {
	local size
	for size in 64 4096; do
		run timeout 60 "$RUN" -n "$(ex pingpong)" 500 $size
		expect_code 0
		assert_contains "$OUT" "500 rounds of $size bytes"
		assert_contains "$OUT" "pong exited 0, ping exited 0: PASS"
	done
}

test_example_spawn_tree_collects_every_exit() {
	run timeout 60 "$RUN" -n "$(ex spawn_tree)" 2 3
	expect_code 0
	assert_contains "$OUT" "13 programs in a tree of depth 2, fanout 3"
	assert_contains "$OUT" "PASS"
	# Children killed or closed on request are not reported as crashes.
	assert_not_contains "$ERR" "killed by SIGKILL"
}

test_example_timer_ticks_and_times_out() {
	run timeout 60 "$RUN" -n "$(ex timer)"
	expect_code 0
	assert_contains "$OUT" "timer: 10 ticks of 20 ms"
	assert_contains "$OUT" "timer: PASS"
}

test_example_chat_broadcasts_among_three() {
	run timeout 60 "$RUN" -n "$(ex chat)"
	expect_code 0
	assert_contains "$OUT" "chat: PASS"
}

test_link_to_unserved_name_fails_after_the_wait() {
	probe link-unserved nobody-serves-this
	assert_contains "$OUT" "closed: status -111"
}

test_send_larger_than_a_page_is_emsgsize() {
	probe send-sizes
	assert_contains "$OUT" "send 4097: -90"
	assert_contains "$OUT" "received 4096 bytes"
}

# Kernels before 6.7 have no READ_MULTISHOT, and links read with one READ
# per datagram: the same exchanges, and the same ends, on that path.
test_links_work_with_single_shot_reads() {
	local mode
	for mode in peer-exits sender-sees-close oversized-peer; do
		run timeout 60 env FAKEOS_LINK_READ=single "$RUN" -n -vv "$PROBE" "$mode"
		expect_code 0
		assert_contains "$OUT" "PASS"
		assert_contains "$ERR" "links read with READ (no READ_MULTISHOT"
	done
	run timeout 60 env FAKEOS_LINK_READ=single "$RUN" -n "$(ex pingpong)" 300 4096
	expect_code 0
	assert_contains "$OUT" "pong exited 0, ping exited 0: PASS"
	kernel_has_read_multishot || return 0
	run timeout 60 "$RUN" -n -vv "$(ex pingpong)" 10 64
	expect_code 0
	assert_contains "$ERR" "links read with READ_MULTISHOT"
}

test_peer_exiting_midstream_delivers_then_closes() {
	probe peer-exits
	assert_contains "$OUT" "closed: status 0 after 5 parts"
	assert_contains "$OUT" "child id 2, server id 2"
	assert_contains "$OUT" "child exit: 7"
}

test_send_on_a_link_not_yet_open_is_enotconn() {
	probe send-before-open
	assert_contains "$OUT" "send before open: -107"
	assert_contains "$OUT" "send on a timer: -22, from NULL: -22"
	assert_contains "$OUT" "send once open: 0"
}

# Only a peer that bypasses libfakeos can write more than a page at once;
# the link's pipe delivers it as page-sized datagrams, each whole.
test_peer_writing_more_than_a_page_arrives_as_page_sized_datagrams() {
	probe oversized-peer
	expect_code 0
	assert_contains "$OUT" "server got 4096 bytes
server got 904 bytes"
	assert_contains "$OUT" "PASS"
}

test_sender_sees_the_close_when_its_reader_exits_midstream() {
	local t0=$SECONDS
	probe sender-sees-close
	# The reader left with the link full (-EAGAIN), and nothing hung.
	assert_contains "$OUT" "refused with -EAGAIN"
	assert_contains "$OUT" "send after the close: -9"
	assert_contains "$OUT" "child exit: 7"
	[ $((SECONDS - t0)) -le 10 ] || fail "took $((SECONDS - t0)) s"
}

test_top_exiting_ends_its_running_children_at_once() {
	local lpid kids c i t0 ms
	mkfifo "$WORK/stdin"
	"$RUN" "$PROBE" orphans 3 <"$WORK/stdin" >"$WORK/orphans.out" \
		2>"$WORK/orphans.err" &
	lpid=$!
	exec 7>"$WORK/stdin"
	wait_for_text "$WORK/orphans.out" "children running" || true
	OUT=$(cat "$WORK/orphans.out") ERR=$(cat "$WORK/orphans.err")
	assert_contains "$OUT" "orphans: 3 children running"
	kids=$(pgrep -P "$lpid")
	assert_eq "$(echo "$kids" | wc -w)" 4 "programs under the launcher"
	t0=$(date +%s%N)
	echo go >&7
	exec 7>&-
	for i in $(seq 1 250); do
		pid_ended "$lpid" && break
		sleep 0.02
	done
	if ! pid_ended "$lpid"; then
		kill -KILL "$lpid"
		fail "the launcher still runs 5 s after its top program exited"
	fi
	ms=$((($(date +%s%N) - t0) / 1000000))
	CODE=0
	wait "$lpid" || CODE=$?
	OUT=$(cat "$WORK/orphans.out") ERR=$(cat "$WORK/orphans.err")
	expect_code 5
	[ "$ms" -lt 3000 ] || fail "the launcher took $ms ms to return"
	for c in $kids; do
		[ ! -e "/proc/$c" ] || fail "program $c outlived the launcher"
	done
	# Ended because the tree ended: not reported as crashes.
	assert_not_contains "$ERR" "killed by SIGKILL"
}

# The broker hands a program a new link's files with MSG_RING, which the
# program's own task takes. A server the host has stopped (SIGSTOP) takes
# nothing: the broker waits its 5 s (MSG_RING_WAIT_MS, src/ring.c), the
# client's link fails with -EIO and the operator is told why. Once the
# server runs again, a new link to it works, whatever the stale install
# left in its ring (docs/SECURITY.md, "Why MSG_RING").
test_link_to_a_server_the_host_stopped_fails_after_the_wait_then_works() {
	local lpid srv p
	mkfifo "$WORK/stdin"
	"$RUN" -vv "$PROBE" link-to-stopped stalled <"$WORK/stdin" \
		>"$WORK/stall.out" 2>"$WORK/stall.err" &
	lpid=$!
	exec 7>"$WORK/stdin"
	wait_for_text "$WORK/stall.out" "linked to the running server" || true
	for p in $(pgrep -P "$lpid"); do
		grep -q serve-hold "/proc/$p/cmdline" 2>/dev/null && srv=$p
	done
	if [ -z "$srv" ]; then
		exec 7>&-
		kill -KILL "$lpid"
		fail "no serve-hold program under the launcher"
	fi
	kill -STOP "$srv"
	echo stopped >&7
	# The broker gives up after 5 s: wait up to twice that.
	wait_for_text "$WORK/stall.out" "link to the stopped server" ||
		wait_for_text "$WORK/stall.out" "link to the stopped server" || true
	kill -CONT "$srv"
	echo running >&7
	exec 7>&-
	CODE=0
	timeout 30 tail --pid="$lpid" -f /dev/null || kill -KILL "$lpid"
	wait "$lpid" || CODE=$?
	OUT=$(cat "$WORK/stall.out") ERR=$(cat "$WORK/stall.err")
	expect_code 0
	assert_contains "$OUT" "link to the stopped server: closed, status -5 after"
	assert_contains "$OUT" "linked again once the server runs"
	assert_contains "$OUT" "PASS"
	assert_contains "$ERR" "link to stalled: MSG_RING (putting a file into a program's ring): "
	[ "$(grep -c "link to stalled: MSG_RING" <<<"$ERR")" -eq 1 ] ||
		fail "not exactly one link timed out"
}

test_wait_with_timeout_and_nothing_pending_returns_zero() {
	probe wait-timeout 150
	assert_contains "$OUT" "fk_wait: 0 after"
}

test_serving_a_taken_name_is_eaddrinuse() {
	probe serve-twice shared-name
	assert_contains "$OUT" "second serve: status -98"
}

test_calls_on_dead_handles_are_ebadf() {
	probe bad-handles
}

test_kill_on_handles_that_are_no_child_is_einval() {
	probe kill-not-child
	assert_contains "$OUT" "kill of a timer -22, a served name -22, a subscription -22, a link -22"
}

test_page_alloc_gives_zeroed_pages_and_free_returns_them() {
	probe pages
	assert_contains "$OUT" "alloc: zeroed"
	assert_contains "$OUT" "free: 0"
	assert_contains "$OUT" "again: the same address, zeroed"
	assert_contains "$OUT" "free NULL -22, unaligned -22, 0 pages -22; alloc 0 NULL, overflowing NULL, over the limit NULL"
}

test_freed_page_is_unmapped() {
	run timeout 60 "$RUN" -n "$PROBE" page-use-after-free
	expect_code 139
	assert_contains "$OUT" "freed: 0; touching the page"
	assert_not_contains "$OUT" "still mapped"
	assert_contains "$ERR" "api_probe: killed by SIGSEGV"
}

test_broadcast_limits_are_emsgsize_and_einval() {
	probe broadcast-limits
	assert_contains "$OUT" "broadcast of 4001 bytes: -90; channel \"no way\": -22, NULL: -22, 64 bytes: -22; NULL data: -22"
	assert_contains "$OUT" "delivered 4000 bytes, 0 dropped"
	assert_contains "$OUT" "delivered 0 bytes, 0 dropped"
}

test_spawn_limits_are_enametoolong_and_e2big() {
	probe spawn-limits
	assert_contains "$OUT" "url of 1024 bytes: -36, NULL: -22, empty: -22"
	assert_contains "$OUT" "65 arguments: -7; 64 arguments of 2049 bytes: -7"
	# The largest argument list there is reaches the child whole.
	assert_contains "$OUT" "count-args: 64 arguments, 2048 bytes"
	assert_contains "$OUT" "exit: status 64"
	# The reason a program hears is one of a fixed set; the operator's
	# log has the whole of it.
	assert_contains "$OUT" "exit: status 127 reason: cannot fetch"
	assert_contains "$ERR" "cannot open"
}

test_full_handle_table_is_emfile_for_every_request() {
	probe table-full
	assert_contains "$OUT" "2048 timers, then timer -24, serve -24, subscribe -24, link -24, spawn -24"
	assert_contains "$OUT" "close 0, then serve"
}

test_closed_timers_free_their_handles_at_once_and_never_fire() {
	probe timer-close
	assert_contains "$OUT" "close one-shot 0, periodic 0, again -9"
	assert_contains "$OUT" "round 2: 2048 timers"
	assert_contains "$OUT" "events in 100 ms: 0"
}

test_requests_with_no_send_page_are_eagain_until_room() {
	probe queue-full
	assert_contains "$OUT" "queued 64 broadcasts, then broadcast -11, link -11, serve -11, subscribe -11, spawn -11"
	assert_contains "$OUT" "close: 0"
	assert_contains "$OUT" "room: handle 0; then link"
}

# boot_page FILE VERSION FEATURES: a boot page laid out as the broker
# writes it (docs/PROTOCOL.md 2.2), with an empty URL; FEATURES is the
# printf form of params.features' four bytes.
boot_page() {
	{
		printf 'FkOkBoot'
		printf "\\x$(printf %02x "$2")\\x00\\x00\\x00"
		# ring_fd 3, slots 64, control slot 0
		printf '\x03\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00'
		# link_read (default 49, READ_MULTISHOT); recv_pages
		# (default 2, buffer rings)
		printf "\\x$(printf %02x "${4:-49}")\\x00\\x00\\x00"
		printf "\\x$(printf %02x "${5:-2}")\\x00\\x00\\x00"
		head -c 48 /dev/zero # id, parent, key
		# sq_entries 64, cq_entries 512; flags, sq_thread_cpu, idle
		printf '\x40\x00\x00\x00\x00\x02\x00\x00'
		head -c 12 /dev/zero
		printf "$3"
		head -c 4000 /dev/zero
	} >"$1"
}

test_init_outside_fakeos_fails_and_every_call_is_ebadf() {
	local bin=$TOP/build/progs/api_probe
	# Run directly on the host: no fd 3 or 4 at all.
	run "$bin" init-fails EBADF 3<&- 4<&-
	expect_code 0
	assert_contains "$OUT" "fk_init: -9"
	assert_contains "$OUT" "every call: -EBADF"
	# fd 4 is a file, but not a boot page; or it cannot be mapped.
	run "$bin" init-fails EBADF 3<&- 4<"$TOP/README.md"
	expect_code 0
	run "$bin" init-fails EBADF 3<&- 4</dev/null
	expect_code 0
	# A boot page of another version: the one before links were pipes.
	boot_page "$WORK/boot-v1" 1 '\x03\x01\x00\x00'
	run "$bin" init-fails EPROTO 3<&- 4<"$WORK/boot-v1"
	expect_code 0
	assert_contains "$OUT" "fk_init: -71"
	# ... and the one before buffer rings.
	boot_page "$WORK/boot-v2" 2 '\x03\x01\x00\x00'
	run "$bin" init-fails EPROTO 3<&- 4<"$WORK/boot-v2"
	expect_code 0
	assert_contains "$OUT" "fk_init: -71"
	# A link read opcode that is neither READ (22) nor READ_MULTISHOT.
	boot_page "$WORK/boot-op" 3 '\x03\x01\x00\x00' 27
	run "$bin" init-fails EPROTO 3<&- 4<"$WORK/boot-op"
	expect_code 0
	assert_contains "$OUT" "fk_init: -71"
	# A way of handing back receive pages that is neither
	# PROVIDE_BUFFERS (1) nor buffer rings (2).
	for pages in 0 3; do
		boot_page "$WORK/boot-pages" 3 '\x03\x01\x00\x00' 49 $pages
		run "$bin" init-fails EPROTO 3<&- 4<"$WORK/boot-pages"
		expect_code 0
		assert_contains "$OUT" "fk_init: -71"
	done
	# A ring without the features the library needs.
	boot_page "$WORK/boot-old" 3 '\x00\x00\x00\x00'
	run "$bin" init-fails ENOSYS 3<&- 4<"$WORK/boot-old"
	expect_code 0
	assert_contains "$OUT" "fk_init: -38"
	# A good boot page (with either read opcode), and fd 3 that is no
	# ring, or no descriptor.
	boot_page "$WORK/boot22" 3 '\x03\x01\x00\x00' 22 1
	run "$bin" init-fails EBADF 3<>/dev/null 4<"$WORK/boot22"
	expect_code 0
	assert_contains "$OUT" "fk_init: -9"
	boot_page "$WORK/boot" 3 '\x03\x01\x00\x00'
	run "$bin" init-fails EBADF 3<>/dev/null 4<"$WORK/boot"
	expect_code 0
	assert_contains "$OUT" "fk_init: -9"
	run "$bin" init-fails EBADF 3<&- 4<"$WORK/boot"
	expect_code 0
}

test_kill_of_a_child_still_being_fetched_never_starts_it() {
	# The child's origin sends 8 KiB a second: its fetch takes about
	# 2 s, and the KILL reaches the broker long before it ends.
	mkdir -p "$WORK/www-slow/slow"
	cp "$TOP/build/progs/api_probe" "$WORK/www-slow/"
	cp "$TOP/build/progs/exit_with" "$WORK/www-slow/slow/"
	httpd_start "$WORK/www-slow" 'location /slow/ { limit_rate 8k; }' ||
		fail "nginx did not start"
	local t0 t1
	t0=$(date +%s%N)
	run timeout 60 "$RUN" -n -v -C "$WORK/cache-slow" \
		"$HTTPD_URL/api_probe" kill-before-start slow/exit_with
	t1=$(date +%s%N)
	httpd_stop
	expect_code 0
	assert_contains "$OUT" "kill: 0, again: 0"
	assert_contains "$OUT" "status 137 reason: killed before it started"
	assert_not_contains "$ERR" "spawned" "the launcher's log (-v)"
	# The kill stopped the fetch too: the tree ended without waiting
	# the 2 s the download would have taken.
	[ $(((t1 - t0) / 1000000)) -lt 1500 ] ||
		fail "the launcher waited $(((t1 - t0) / 1000000)) ms for a fetch nobody wanted"
}

test_spawn_of_a_url_that_404s_reports_127_and_why() {
	mkdir -p "$WORK/www"
	cp "$TOP/build/progs/api_probe" "$TOP/build/progs/exit_with" "$WORK/www/"
	httpd_start "$WORK/www" || fail "nginx did not start"
	local cache="$WORK/cache-404"
	run timeout 60 "$RUN" -n -C "$cache" "$HTTPD_URL/api_probe" spawn missing 127
	httpd_stop
	expect_code 0
	assert_contains "$OUT" "exit: status 127 reason: cannot fetch"
	assert_contains "$ERR" "HTTP 404"
}

test_spawn_resolves_relative_urls_and_fetches_through_the_cache() {
	mkdir -p "$WORK/www2"
	cp "$TOP/build/progs/api_probe" "$TOP/build/progs/exit_with" "$WORK/www2/"
	httpd_start "$WORK/www2" 'location / { add_header Cache-Control "max-age=3600"; }' ||
		fail "nginx did not start"
	local cache="$WORK/cache-rel"
	run timeout 60 "$RUN" -n -C "$cache" "$HTTPD_URL/api_probe" spawn exit_with 0
	local first
	first=$(httpd_requests)
	run timeout 60 "$RUN" -n -C "$cache" "$HTTPD_URL/api_probe" spawn exit_with 0
	local second
	second=$(httpd_requests)
	httpd_stop
	expect_code 0
	assert_contains "$OUT" "exit: status 0"
	# Both programs were fetched the first time, and neither the second.
	assert_eq "$first" "2" "requests after the first run"
	assert_eq "$second" "2" "requests after the second run"
}

test_child_programs_are_jailed_like_the_top() {
	# A spawned child that opens a file is killed and named like a top
	# program; its parent hears 159. (--spawn-from: it lives in another
	# directory than the probe.)
	run timeout 60 "$RUN" -n --spawn-from "file://$ESCAPES/" "$PROBE" \
		spawn "file://$ESCAPES/openat_file" 159
	expect_code 0
	assert_contains "$ERR" "openat_file: killed: forbidden system call openat (257)"
	assert_contains "$OUT" "exit: status 159"
}

test_spawn_outside_the_programs_origin_is_refused() {
	# A program may not make the launcher open host files...
	run timeout 60 "$RUN" -n "$PROBE" spawn file:///etc/shadow 127
	expect_code 0
	assert_contains "$OUT" "reason: refused: outside the program's origin"
	assert_contains "$ERR" "spawn refused: file:///etc/shadow is outside file://$TOP/build/progs/"
	run timeout 60 "$RUN" -n "$PROBE" spawn ../escape/openat_file 127
	expect_code 0
	assert_contains "$ERR" "spawn refused"
	# ... nor connect anywhere from the host (SSRF): another origin.
	run timeout 60 "$RUN" -n "$PROBE" spawn http://127.0.0.1:9/x 127
	expect_code 0
	assert_contains "$ERR" "spawn refused: http://127.0.0.1:9/x is outside"
}

test_spawn_from_admits_a_prefix_and_nothing_beside_it() {
	run timeout 60 "$RUN" -n --spawn-from "file://$EXAMPLES/" "$PROBE" \
		spawn "file://$EXAMPLES/hello" 0
	expect_code 0
	assert_contains "$OUT" "exit: status 0"
	run timeout 60 "$RUN" -n --spawn-from "file://$EXAMPLES/" "$PROBE" \
		spawn "file://$ESCAPES/openat_file" 127
	expect_code 0
	assert_contains "$ERR" "spawn refused"
}

test_spawned_file_cannot_escape_its_directory_through_a_symlink() {
	mkdir -p "$WORK/apps"
	cp "$TOP/build/progs/api_probe" "$WORK/apps/"
	ln -sf /etc/passwd "$WORK/apps/sneaky"
	run timeout 60 "$RUN" -n "file://$WORK/apps/api_probe" spawn sneaky 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127"
	assert_not_contains "$OUT" "not an ELF"
}

run_tests

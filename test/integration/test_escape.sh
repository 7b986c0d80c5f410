#!/bin/bash
# The hostile programs in test/escape/, each run under the real launcher:
# one attempt each, at the host this file sets up (test/escape/harness.sh:
# files it owns, a victim process of the jail's host uid, a listener on
# 127.0.0.1). Each test asserts both halves: the attempt failed the way the
# jail documents (killed at the forbidden call, named, exit 159; or an
# error the program reports, exit 0; or an io_uring completion error), and
# the host saw nothing (no file created or opened, no signal, no trace, no
# mount, no packet, no process left). The summary line is what a CI log
# reader can trust: every attempt, and how many were held.
#
# The syscall sweep and the other ABIs are in test_syscalls.sh; forged
# messages to the broker in test_broker_hostile.sh.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/escape/harness.sh"

# --- filesystem and namespaces ---------------------------------------------

test_open_of_a_host_fifo_is_killed() { jail open_file "$FIFO"; expect_killed open; }
test_openat_of_etc_shadow_is_killed() { jail openat_file /etc/shadow; expect_killed openat; }
test_openat_creating_a_host_file_is_killed() {
	jail openat_create "$TARGET/created"
	expect_killed openat
}
test_openat2_of_a_host_fifo_is_killed() { jail openat2_file "$FIFO"; expect_killed openat2; }
test_open_by_handle_at_shocker_is_killed() { jail open_by_handle_at; expect_killed open_by_handle_at; }
test_name_to_handle_at_is_killed() {
	jail name_to_handle_at "$WORK/secret"
	expect_killed name_to_handle_at
}
test_mount_over_a_host_directory_is_killed() { jail mount_tmpfs "$TARGET"; expect_killed mount; }
test_pivot_root_is_killed() { jail pivot_root; expect_killed pivot_root; }
test_chroot_is_killed() { jail chroot "$TARGET"; expect_killed chroot; }
test_unshare_of_new_namespaces_is_killed() { jail unshare_namespaces; expect_killed unshare; }
test_setns_is_killed() { jail setns; expect_killed setns; }
test_clone_with_namespace_flags_is_killed() { jail clone_namespaces; expect_killed clone; }
test_clone3_is_killed() { jail clone3_process; expect_killed clone3; }
test_fork_is_killed() { jail fork_process; expect_killed fork; }
test_vfork_is_killed() { jail vfork_process; expect_killed vfork; }
test_execve_of_a_host_shell_is_killed() {
	jail execve_shell "$TARGET/executed"
	expect_killed execve
}
# fd 8 is the launcher's exec descriptor: the filter lets execveat through
# there for the launcher's own exec, and the kernel must find it closed.
# The filter allows no execveat at all: the launcher lets its own launch
# through as a notification, once, before the program exists.
test_execveat_on_the_launchers_exec_fd_8_is_killed() {
	jail execveat_launcher_fd 8
	expect_killed execveat
}
test_execveat_on_the_launchers_sync_fd_9_is_killed() {
	jail execveat_launcher_fd 9
	expect_killed execveat
}
test_execveat_on_the_boot_page_fd_4_is_killed() {
	jail execveat_launcher_fd 4
	expect_killed execveat
}
# The kernel ignores the descriptor for an absolute path, so no rule on
# execveat's arguments could pin it to the memfd; the filter stops every
# execveat, and this one is named and killed before any path lookup.
test_execveat_of_an_absolute_path_through_fd_8_is_killed() {
	jail execveat_absolute_path "$TARGET/executed"
	expect_killed execveat
}
test_sendmsg_on_the_launchers_sync_fd_9_is_ebadf() {
	jail sendmsg_sync_fd
	expect_refused "sendmsg: Bad file descriptor"
}
test_dup2_onto_the_launchers_fd_8_is_killed() { jail dup_to_launcher_fd; expect_killed dup2; }

# --- ptrace and peers ----------------------------------------------------------

test_ptrace_attach_to_pid_1_is_killed() { jail ptrace_parent 1; expect_killed ptrace; }
test_ptrace_attach_to_pid_0_is_killed() { jail ptrace_parent 0; expect_killed ptrace; }
test_ptrace_traceme_is_killed() { jail ptrace_traceme; expect_killed ptrace; }
test_ptrace_seize_of_a_host_pid_is_killed() { jail ptrace_host_pid "$VICTIM"; expect_killed ptrace; }
test_process_vm_readv_of_a_host_pid_is_killed() {
	jail process_vm_readv "$VICTIM" "$VICTIM_ADDR"
	expect_killed process_vm_readv
}
test_process_vm_writev_of_a_host_pid_is_killed() {
	jail process_vm_writev "$VICTIM" "$VICTIM_ADDR"
	expect_killed process_vm_writev
}
test_kill_of_every_process_is_killed() { jail kill_all; expect_killed kill; }
test_kill_of_the_parent_is_killed() { jail kill_parent; expect_killed getppid; }
test_kill_of_a_host_pid_is_killed() { jail kill_host_pid "$VICTIM"; expect_killed kill; }
test_tgkill_of_a_host_pid_is_killed() { jail tgkill_host_pid "$VICTIM"; expect_killed tgkill; }
test_pidfd_open_of_a_host_pid_is_killed() { jail pidfd_open_host "$VICTIM"; expect_killed pidfd_open; }
test_pidfd_getfd_is_killed() { jail pidfd_getfd; expect_killed pidfd_getfd; }

# --- the terminal ----------------------------------------------------------------

# Runs PROG with the launcher on a real terminal (script(1)), then reads
# what the terminal holds as input: an injected line would be read back,
# and its echo would be in the transcript.
under_pty() { # PROG
	command -v script >/dev/null || skip "no script(1)"
	attempt
	run script -qec "'$RUN' 'file://$ESCAPES/$1' '$TAG'; echo launcher-exit=\$?
		for i in 1 2 3; do read -r -t 0.3 l && echo \"readback=[\$l]\"; done" /dev/null
	assert_contains "$OUT" "refused: ioctl: Not a tty"
	assert_contains "$OUT" "launcher-exit=0"
	assert_not_contains "$OUT" "INJECTED" "terminal transcript"
	assert_not_contains "$OUT" "readback=" "input left on the terminal"
	assert_not_contains "$OUT" "ESCAPED"
	assert_host_untouched
}

# CVE-2019-10063: TIOCSTI with junk in the request's high 32 bits.
test_tiocsti_on_the_console_under_a_pty_injects_nothing() { under_pty tiocsti; }
test_tiocsti_on_other_fds_under_a_pty_injects_nothing() { under_pty tiocsti_other_fds; }
test_tioclinux_paste_under_a_pty_injects_nothing() { under_pty tioclinux; }

# The console is relayed byte for byte to the launcher's own terminal, so
# a program can send it queries that the terminal answers by typing into
# its input (device attributes, cursor position, DECRQSS, title reports):
# after the program ends, the user's shell would read them. Run in tmux,
# a terminal that answers; nothing may be waiting on its input afterwards.
test_terminal_answerback_queries_inject_nothing() {
	command -v tmux >/dev/null || skip "no tmux"
	attempt
	host_mark
	local server=fakeos-escape-$$ pane=$WORK/pane
	cat >"$pane.sh" <<-EOF
		'$RUN' -n 'file://$ESCAPES/term_answerback' '$TAG' 2>'$pane.err'
		echo \$? >'$pane.code'
		IFS= read -r -t 1 -n 200 line
		printf '%s' "\$line" >'$pane.readback'
		touch '$pane.done'
	EOF
	tmux -L "$server" -f /dev/null new-session -d -x 120 -y 30 \
		"bash --norc --noprofile '$pane.sh'"
	for _ in $(seq 1 100); do
		[ -e "$pane.done" ] && break
		sleep 0.05
	done
	tmux -L "$server" kill-server 2>/dev/null
	[ -e "$pane.done" ] || fail "the pane did not finish"
	assert_eq "$(cat "$pane.code")" 0 "launcher exit"
	local got
	got=$(od -An -c "$pane.readback" | tr -s ' ')
	[ ! -s "$pane.readback" ] ||
		fail "the terminal was made to type into its input: $got"
	assert_host_untouched
}

# A terminal can sit behind a pipe (`fakeos-run URL | tee log`), where the
# launcher cannot see it: output is shown, not obeyed, whatever stdout and
# stderr are. through_pipe runs PROG with its stdout into a pipe and its
# stderr into a file, neither a terminal; the bytes are in $PIPE_OUT and
# $PIPE_ERR, and OUT and ERR hold them through `cat -v`, so that a failing
# test's report cannot work the terminal of whoever reads it; CODE.
PIPE_OUT=$WORK/pipe.out
PIPE_ERR=$WORK/pipe.err
through_pipe() { # PROG [OPTION...]
	local prog=$1
	shift
	"$RUN" -n "$@" "file://$ESCAPES/$prog" "$TAG" 2>"$PIPE_ERR" \
		</dev/null | cat >"$PIPE_OUT"
	CODE=${PIPESTATUS[0]}
	OUT=$(cat -v "$PIPE_OUT")
	ERR=$(cat -v "$PIPE_ERR")
}

# Names what in FILE could make a terminal act or reorder what it shows:
# C0 controls but tab, newline, carriage return and backspace; DEL; C1; the
# bidi and other format controls relay_sanitize shows; any byte that is
# not UTF-8 (a lone 0x9b is an 8-bit CSI). Prints nothing for plain text.
terminal_controls() { # FILE
	perl -0777 -MEncode -ne '
		my $s = eval { decode("UTF-8", $_, Encode::FB_CROAK) };
		defined $s or do { print "bytes that are not UTF-8\n"; exit };
		my %seen;
		$seen{sprintf "U+%04X", ord $1}++ while $s =~ /([\x00-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f\x{061c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{206f}\x{fff9}-\x{fffb}])/g;
		print join(" ", sort keys %seen), "\n" if %seen;' "$1"
}

# OSC 52 (a clipboard write: the next paste runs a command), a title
# change, CSI sequences and C1 controls, on stdout through a pipe and on
# stderr to a file: all shown in caret form.
test_terminal_sequences_through_a_pipe_are_shown_not_obeyed() {
	attempt
	host_mark
	through_pipe term_sequences_through_pipe
	expect_code 0
	assert_eq "$(terminal_controls "$PIPE_OUT")" "" "controls on stdout"
	assert_eq "$(terminal_controls "$PIPE_ERR")" "" "controls on stderr"
	local shown='^[]52;c;ZWNobyBJTkpFQ1RFRAo=^G^[]0;INJECTED title^[\^[[2J^[[H^[[31mred^[[0m^[[1A^[[2K^[6n^]52;c;ZWNobyBJTkpFQ1RFRAo=^G'
	assert_contains "$OUT" "$shown" "stdout"
	assert_contains "$OUT" "sent: sequences" "stdout"
	assert_eq "$ERR" "$shown" "stderr"
	assert_host_untouched
}

# Trojan Source (CVE-2021-42574): every bidi control, and U+202E cut
# across two writes, is shown as <U+XXXX>; the text around passes.
test_bidi_controls_through_a_pipe_are_shown_not_obeyed() {
	attempt
	host_mark
	through_pipe term_bidi_override
	expect_code 0
	assert_eq "$(terminal_controls "$PIPE_OUT")" "" "controls on stdout"
	assert_eq "$(terminal_controls "$PIPE_ERR")" "" "controls on stderr"
	local shown='<U+202A>LRE <U+202B>RLE <U+202C>PDF <U+202D>LRO <U+202E>RLO <U+2066>LRI <U+2067>RLI <U+2068>FSI <U+2069>PDI <U+200E>LRM <U+200F>RLM <U+061C>ALM <U+206A>ISS <U+206F>NODS <U+FFF9>IAA <U+FFFA>IAS <U+FFFB>IAT
access = "user<U+202E> <U+2066>// admin<U+2069> <U+2066>"'
	assert_contains "$OUT" "$shown" "stdout"
	assert_contains "$OUT" "split <U+202E>
sent: bidi" "stdout"
	assert_eq "$ERR" "$shown" "stderr"
	assert_host_untouched
}

# --raw-console is the way to a program's exact bytes (binary output to a
# file): both streams arrive as the program wrote them when it runs
# directly on the host.
test_raw_console_passes_every_byte_through_a_pipe() {
	local p
	for p in term_sequences_through_pipe term_bidi_override; do
		"$ESCAPES/$p" "$TAG" >"$WORK/$p.out" 2>"$WORK/$p.err" </dev/null ||
			fail "$p on the host: exit $?"
		through_pipe "$p" --raw-console
		expect_code 0
		cmp -s "$PIPE_OUT" "$WORK/$p.out" ||
			fail "$p: stdout differs from what it wrote"
		cmp -s "$PIPE_ERR" "$WORK/$p.err" ||
			fail "$p: stderr differs from what it wrote"
	done
}

# --- memory ------------------------------------------------------------------------

test_rwx_anonymous_mapping_is_killed() { jail exec_mapping; expect_killed mmap; }
test_mprotect_to_executable_is_killed() { jail mprotect_exec; expect_killed mprotect; }
test_mmap_with_high_prot_bits_is_killed() { jail mmap_prot_high_bits; expect_killed mmap; }
test_mprotect_exec_with_high_prot_bits_is_killed() { jail mprotect_prot_high_bits; expect_killed mprotect; }
test_pkey_mprotect_to_executable_is_killed() { jail pkey_mprotect; expect_killed pkey_mprotect; }
test_mremap_fixed_onto_the_vdso_is_killed() { jail mremap_fixed_vdso; expect_killed mremap; }
test_mremap_fixed_onto_the_code_is_killed() { jail mremap_fixed_text; expect_killed mremap; }
test_mremap_dontunmap_is_killed() { jail mremap_dontunmap; expect_killed mremap; }
test_memfd_create_is_killed() { jail memfd_create; expect_killed memfd_create; }
test_executable_mapping_of_the_ring_is_killed() { jail mmap_ring_exec; expect_killed mmap; }
test_executable_mapping_of_the_boot_page_is_killed() { jail mmap_boot_exec; expect_killed mmap; }
test_shared_writable_mapping_of_the_boot_page_is_killed() { jail mmap_boot_shared_write; expect_killed mmap; }
test_mapping_the_ring_at_another_offset_is_killed() { jail mmap_ring_other_offset; expect_killed mmap; }
test_personality_read_implies_exec_is_killed() { jail personality_read_implies_exec; expect_killed personality; }
test_ring_receive_into_code_is_efault() {
	jail ring_recv_into_text
	expect_refused "IORING_OP_RECV into code: Bad address"
}
test_ring_receive_into_code_by_a_buffer_ring_is_efault() {
	kernel_has_buffer_rings || skip "no buffer rings a program can map before Linux 6.4"
	jail ring_buffer_ring_into_text
	expect_refused "IORING_OP_RECV into code by a buffer ring: Bad address"
}

# --- dangerous interfaces -------------------------------------------------------------

test_bpf_prog_load_is_killed() { jail bpf_prog_load; expect_killed bpf; }
test_perf_event_open_of_a_host_pid_is_killed() { jail perf_event_open "$VICTIM"; expect_killed perf_event_open; }
test_userfaultfd_is_killed() { jail userfaultfd; expect_killed userfaultfd; }
test_keyctl_join_session_keyring_is_killed() { jail keyctl_join_session; expect_killed keyctl; }
test_add_key_is_killed() { jail add_key; expect_killed add_key; }
test_request_key_is_killed() { jail request_key; expect_killed request_key; }
test_seccomp_allow_all_filter_is_killed() { jail seccomp_allow_all; expect_killed seccomp; }
test_prctl_set_seccomp_is_killed() { jail prctl_set_seccomp; expect_killed prctl; }
test_prctl_clearing_no_new_privs_is_killed() { jail prctl_clear_no_new_privs; expect_killed prctl; }
test_prctl_raising_an_ambient_capability_is_killed() { jail prctl_cap_ambient_raise; expect_killed prctl; }
test_mount_setattr_is_killed() { jail mount_setattr; expect_killed mount_setattr; }
test_fsopen_is_killed() { jail fsopen_tmpfs; expect_killed fsopen; }
test_inet_socket_to_the_host_listener_is_killed() { jail socket_inet "$LISTEN_PORT"; expect_killed socket; }
test_io_uring_setup_of_a_fresh_ring_is_killed() { jail uring_setup_fresh; expect_killed io_uring_setup; }
test_io_uring_register_on_the_own_ring_is_killed() { jail uring_register_own_ring; expect_killed io_uring_register; }
test_io_uring_enter_with_a_registered_ring_is_killed() { jail uring_enter_registered_ring; expect_killed io_uring_enter; }
test_io_uring_enter_on_another_fd_is_killed() { jail uring_enter_other_fd; expect_killed io_uring_enter; }

# --- the program's own io_uring ----------------------------------------------------------
# Opcode attempts carry IOSQE_FIXED_FILE, as the ring requires, so that the
# opcode restriction alone refuses them; raw-fd attempts use an allowed
# opcode without it, so that the flags restriction alone does.

# expect_eacces WHAT — the SQE completed with -EACCES.
expect_eacces() {
	assert_contains "$OUT" "cqe: $1: res=-13"
	expect_refused "$1: Permission denied"
}

test_ring_openat_creating_a_host_file_is_eacces() {
	jail ring_openat "$TARGET/ring-created"
	expect_eacces IORING_OP_OPENAT
}
test_ring_openat2_of_a_host_fifo_is_eacces() { jail ring_openat2 "$FIFO"; expect_eacces IORING_OP_OPENAT2; }
test_ring_socket_is_eacces() { jail ring_socket; expect_eacces IORING_OP_SOCKET; }
test_ring_connect_to_the_host_listener_is_eacces() {
	jail ring_connect "$LISTEN_PORT"
	expect_eacces IORING_OP_CONNECT
}
test_ring_accept_is_eacces() { jail ring_accept; expect_eacces IORING_OP_ACCEPT; }
test_ring_sendmsg_with_scm_rights_is_eacces() {
	jail ring_sendmsg_scm_rights
	expect_eacces "IORING_OP_SENDMSG with SCM_RIGHTS"
}
test_ring_msg_ring_send_fd_is_eacces() {
	jail ring_msg_ring_send_fd
	expect_eacces "IORING_OP_MSG_RING(IORING_MSG_SEND_FD)"
}
test_ring_uring_cmd_is_eacces() { jail ring_uring_cmd; expect_eacces IORING_OP_URING_CMD; }
test_ring_fixed_fd_install_is_eacces() { jail ring_fixed_fd_install; expect_eacces IORING_OP_FIXED_FD_INSTALL; }
test_ring_files_update_is_eacces() { jail ring_files_update; expect_eacces IORING_OP_FILES_UPDATE; }
test_ring_read_of_the_console_is_eacces() { jail ring_read_console; expect_eacces "IORING_OP_READ on fd 0"; }
test_ring_write_to_the_console_is_eacces() {
	jail ring_write_console
	expect_eacces "IORING_OP_WRITE on fd 1"
	assert_not_contains "$OUT" "INJECTED-BY-RING-WRITE"
}
test_ring_splice_is_eacces() { jail ring_splice; expect_eacces "IORING_OP_SPLICE fd 0 to fd 1"; }
test_ring_tee_is_eacces() { jail ring_tee; expect_eacces "IORING_OP_TEE fd 0 to fd 1"; }
test_ring_poll_of_the_ring_itself_is_eacces() { jail ring_poll_ring_fd; expect_eacces "IORING_OP_POLL_ADD on fd 3"; }
test_ring_send_on_a_raw_fd_is_eacces() {
	jail ring_send_raw_fd
	expect_eacces "IORING_OP_SEND on raw fd 1"
	assert_not_contains "$OUT" "INJECTED-BY-RING-SEND"
}
test_ring_recv_on_a_raw_fd_is_eacces() { jail ring_recv_raw_fd; expect_eacces "IORING_OP_RECV on raw fd 0"; }
test_ring_flag_async_is_eacces() { jail ring_flag_async; expect_eacces "IORING_OP_SEND with IOSQE_ASYNC"; }
test_ring_flag_drain_is_eacces() { jail ring_flag_drain; expect_eacces "IORING_OP_SEND with IOSQE_IO_DRAIN"; }
test_ring_flag_cqe_skip_is_eacces() {
	jail ring_flag_cqe_skip
	expect_eacces "IORING_OP_SEND with IOSQE_CQE_SKIP_SUCCESS"
}
test_ring_flag_hardlink_is_eacces() { jail ring_flag_hardlink; expect_eacces "IORING_OP_SEND with IOSQE_IO_HARDLINK"; }
# Links read with READ_MULTISHOT where the kernel has it (6.7), else READ;
# the ring allows the one in use and refuses the other.
# Receive pages go back through buffer rings where the kernel has them
# (6.4), else by PROVIDE_BUFFERS, which the ring then allows and only then.
test_ring_every_other_opcode_is_eacces() {
	jail ring_every_opcode
	expect_refused "every opcode: "
	if kernel_has_read_multishot; then
		assert_contains "$OUT" "links read with opcode 49"
	else
		assert_contains "$OUT" "links read with opcode 22"
	fi
	if kernel_has_buffer_rings; then
		assert_contains "$OUT" "receive pages go back through buffer rings"
	else
		assert_contains "$OUT" "receive pages go back by PROVIDE_BUFFERS"
	fi
}
test_ring_every_other_opcode_is_eacces_with_provide_buffers() {
	FAKEOS_RECV_PAGES=provide jail ring_every_opcode
	expect_refused "every opcode: "
	assert_contains "$OUT" "receive pages go back by PROVIDE_BUFFERS"
}
test_ring_every_other_opcode_is_eacces_with_single_shot_reads() {
	FAKEOS_LINK_READ=single jail ring_every_opcode
	expect_refused "every opcode: "
	assert_contains "$OUT" "links read with opcode 22"
}
test_ring_send_on_an_empty_slot_is_ebadf() {
	jail ring_send_empty_slot
	expect_refused "IORING_OP_SEND on empty slot 63: Bad file descriptor"
}
test_ring_send_under_another_personality_is_einval() {
	jail ring_personality
	expect_refused "IORING_OP_SEND with personality 1: Invalid argument"
}
# The address is ignored by the connected control socket: the datagram
# reaches the broker (a harmless CLOSE), never the host socket.
test_ring_sendto_a_host_socket_reaches_only_the_broker() {
	jail ring_sendto_host_socket "$HOST_SOCK"
	expect_code 0
	assert_contains "$OUT" "sent: to the control link"
	assert_host_untouched
}

# The kernel's unreclaimable slab, in KiB: where io_uring's requests live.
slab_kb() { awk '/^SUnreclaim:/ {print $2}' /proc/meminfo; }

# Requests that wait cost the kernel memory outside the program's address
# space, which RLIMIT_AS (--memory) does not see: a million TIMEOUTs of an
# hour are about 350 MiB of slab. The program's memory cgroup counts them
# (v2 memory.max, or the v1 memory controller of a hybrid host like this
# one): the program is killed at its group's limit, 48 MiB for --memory 32M
# (cgroup_memory_limit), and the slab comes back once it has been reaped.
# A host with neither cgroup usable is the gap docs/SECURITY.md names.
test_ring_timeout_flood_is_killed_at_the_memory_limit() {
	local before peak after i
	before=$(slab_kb)
	: >"$WORK/flood.peak"
	# Samples the slab every 50 ms while the flood runs, 20 s at most.
	(
		peak=$before
		for i in $(seq 1 400); do
			[ -e "$WORK/flood.done" ] && break
			now=$(slab_kb)
			[ "$now" -le "$peak" ] || { peak=$now; echo "$peak" >"$WORK/flood.peak"; }
			sleep 0.05
		done
	) &
	local sampler=$!
	attempt
	host_mark
	run timeout 30 "$RUN" -v -n --memory 32M "file://$ESCAPES/ring_timeout_flood" 1000000 "$TAG"
	touch "$WORK/flood.done"
	wait "$sampler"
	peak=$(cat "$WORK/flood.peak")
	peak=${peak:-$before}
	case $ERR in *"cgroup: not used"*)
		skip "no memory cgroup usable here: the gap docs/SECURITY.md names" ;;
	esac
	# Back within 32 MiB of where it was, within 5 s.
	for i in $(seq 1 100); do
		after=$(slab_kb)
		[ "$after" -le $((before + 32768)) ] && break
		sleep 0.05
	done
	# 48 MiB charged is about 64 MiB of slab (the timers' data is not
	# charged); 128 MiB leaves room for other tests running meanwhile.
	[ $((peak - before)) -le 131072 ] ||
		fail "the slab grew by $(((peak - before) / 1024)) MiB during the flood"
	expect_code 137
	assert_contains "$ERR" "killed: memory limit of 48 MiB reached in its cgroup v"
	assert_contains "$ERR" "(--memory 32 MiB and 16 MiB of headroom; kernel memory counted)"
	assert_not_contains "$OUT" "ESCAPED"
	[ "$after" -le $((before + 32768)) ] ||
		fail "the slab is $(((after - before) / 1024)) MiB above where it was, 5 s after the flood"
	assert_host_untouched
}

# A launcher killed with SIGKILL leaves its programs' groups behind; the
# next one removes those of a pid that is gone, and only those.
test_stale_program_groups_of_a_dead_launcher_are_removed() {
	run "$RUN" -v -n "file://$TOP/build/examples/hello"
	expect_code 0
	case $ERR in *"cgroup: not used"*)
		skip "no memory cgroup usable here: the gap docs/SECURITY.md names" ;;
	esac
	local base dead
	base=$(echo "$ERR" | sed -n 's/.*cgroup v[12]: each program gets .* in //p')
	[ -d "$base" ] || fail "no cgroup directory named in: $ERR"
	sleep 0 &
	dead=$!
	wait "$dead"
	mkdir "$base/fakeos-$dead-1" "$base/fakeos-$BASHPID-1"
	run "$RUN" -n "file://$TOP/build/examples/hello"
	local kept=no left=no
	[ -d "$base/fakeos-$BASHPID-1" ] && kept=yes
	[ -d "$base/fakeos-$dead-1" ] && left=yes
	rmdir "$base/fakeos-$dead-1" "$base/fakeos-$BASHPID-1" 2>/dev/null
	expect_code 0
	assert_eq "$kept" yes "the group of live pid $BASHPID kept"
	assert_eq "$left" no "the group of dead pid $dead left"
}

# --- descriptors, seen from outside ---------------------------------------------------------

# Starts broker_driver holding a link for 2 s in the background, its
# output in OUTFILE, and waits until it holds it; sets LPID (the launcher).
start_holding_driver() { # OUTFILE
	"$RUN" -n "file://$ESCAPES/broker_driver" --hold 2 "$TAG" >"$1" 2>&1 &
	LPID=$!
	for _ in $(seq 1 100); do
		grep -q holding "$1" && break
		sleep 0.02
	done
	grep -q holding "$1" || fail "the driver did not start: $(cat "$1")"
}

# While a driver and its partner hold a link (CVE-2024-21626 class): the
# documented descriptors only, none a host directory, a cwd and root that
# are the jail's empty root, and ring slots that hold sockets only.
test_running_programs_hold_no_host_directory_and_only_their_links_in_rings() {
	local lpid out=$WORK/hold.out c n fds
	host_mark
	start_holding_driver "$out"
	lpid=$LPID
	local kids
	kids=$(pgrep -P "$lpid")
	assert_eq "$(echo "$kids" | wc -w)" 2 "programs under the launcher"
	for c in $kids; do
		fds=$(ls /proc/$c/fd | sort -n | tr '\n' ' ')
		assert_eq "$fds" "0 1 2 3 4 " "descriptors of $c"
		for n in 0 1 2 3 4; do
			[ ! -d /proc/$c/fd/$n ] || fail "fd $n of $c is a directory"
		done
		assert_eq "$(readlink /proc/$c/fd/3)" "anon_inode:[io_uring]" "fd 3"
		assert_eq "$(readlink /proc/$c/fd/4)" "/memfd:fakeos:boot (deleted)" "fd 4"
		assert_eq "$(ls -A /proc/$c/root/)" "" "root of $c"
		assert_eq "$(ls -A /proc/$c/cwd/)" "" "cwd of $c"
		# No descriptor it could ever make reaches 8 or 9, the
		# numbers the launcher's own filter rules trust.
		local nofile
		nofile=$(awk '/^Max open files/ {print $4}' /proc/$c/limits)
		[ "$nofile" -le 8 ] || fail "RLIMIT_NOFILE of $c is $nofile"
		local info slots
		info=$(cat /proc/$c/fdinfo/3)
		slots=$(echo "$info" | sed -n '/^UserFiles:/,/^UserBufs:/p' | sed '1d;$d')
		# File 0 is the control socket; the link is slot 1: its
		# read end in file 1, its write end in file 65 (proto.h).
		assert_eq "$(echo "$slots" | wc -l)" 3 "ring files of $c (control, and a link's two pipes)"
		assert_eq "$(echo "$slots" | sed -E 's/^ *([0-9]+): ([a-z]+):.*/\1 \2/' | tr '\n' ' ')" \
			"0 socket 1 pipe 65 pipe " "ring files of $c"
		assert_contains "$info" "UserBufs:	0"
	done
	local CODE=0
	wait "$lpid" || CODE=$?
	OUT=$(cat "$out")
	expect_code 0
	assert_contains "$OUT" "broker_driver: PASS"
	assert_host_untouched
}

# The program's mount namespace holds one mount, its root: the empty tmpfs,
# read-only, nosuid, nodev and noexec. Nothing of the host's tree is in it,
# whether it was cloned from the shared empty namespace (a root launch) or
# built by the child.
test_the_programs_mount_namespace_holds_only_its_empty_root() {
	local lpid out=$WORK/mnt.out c info
	"$RUN" -n "file://$TOP/build/progs/sleeper" 5 >"$out" 2>&1 &
	lpid=$!
	for _ in $(seq 1 100); do
		grep -q ready "$out" && break
		sleep 0.02
	done
	grep -q ready "$out" || fail "the sleeper did not start: $(cat "$out")"
	c=$(pgrep -P "$lpid")
	info=$(cat /proc/$c/mountinfo)
	kill "$lpid"
	wait "$lpid" 2>/dev/null
	assert_eq "$(echo "$info" | wc -l)" 1 "mounts in the program's namespace"
	echo "$info" | grep -Eq '^[0-9]+ [0-9]+ [0-9]+:[0-9]+ / / ro,nosuid,nodev,noexec[, ].* - tmpfs ' ||
		fail "the one mount is not the read-only empty root: $info"
}

# The boot page (fd 4) carries what the program is told about itself (its
# URL, its id, its ring's geometry); from protocol 5 no key: those 32
# bytes, at offset 48, are zero (docs/API.md 8.1). A root launch runs
# the program as nobody, but in a user namespace of its own: another host
# process running as nobody passes the uid check and still fails the ptrace
# access check (it has no capability over that namespace), so it can read
# neither the page nor the memory or environment. Root can (the control:
# the page is there to be read).
test_other_host_processes_cannot_read_the_boot_page() {
	[ "$(id -u)" -eq 0 ] || skip "needs a root launch"
	command -v setpriv >/dev/null || skip "no setpriv(1)"
	local lpid out=$WORK/boot.out c f
	start_holding_driver "$out"
	lpid=$LPID
	for c in $(pgrep -P "$lpid"); do
		assert_eq "$(stat -c %u /proc/$c)" 65534 "owner of /proc/$c"
		assert_eq "$(head -c 8 /proc/$c/fd/4)" "FkOkBoot" \
			"root reading the boot page of $c"
		assert_eq "$(tail -c +49 /proc/$c/fd/4 | head -c 32 | od -An -v -tx1 |
			tr -d ' \n')" "$(printf '%064d' 0)" "the key's bytes of $c"
		for f in fd/4 mem environ; do
			local err
			if err=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
				head -c 8 "/proc/$c/$f" 2>&1 >/dev/null); then
				fail "nobody on the host read /proc/$c/$f"
			fi
			assert_contains "$err" "Permission denied" "reading /proc/$c/$f as nobody"
		done
	done
	local CODE=0
	wait "$lpid" || CODE=$?
	OUT=$(cat "$out")
	expect_code 0
}

test_every_escape_program_has_a_test() {
	local p
	for p in "$TOP"/test/escape/*.c; do
		p=$(basename "$p" .c)
		grep -qw -- "$p" "$TOP"/test/integration/test_escape.sh \
			"$TOP"/test/integration/test_syscalls.sh \
			"$TOP"/test/integration/test_broker_hostile.sh \
			"$TOP"/test/integration/test_hostile_tree.sh ||
			fail "no test runs $p"
	done
}

host_start
run_tests | tee "$WORK/results"
escape_summary "$WORK/results"
! grep -q '^FAIL' "$WORK/results"

#!/bin/bash
# SSH access by URL (issue 17, section 1): a real /usr/sbin/sshd on
# 127.0.0.1 with its own configuration, host key and a test user's key,
# whose `Match Group fakeos` block is the drop-in `make install` puts in
# /etc/ssh/sshd_config.d/ (etc/sshd/fakeos.conf.in, ForceCommand
# fakeos-shell), and a test fakeosd (test/lib/daemon.sh). The user is a
# real account made here (useradd, in the group fakeos) and removed at
# the end. Each test asserts what the ssh client sees (exit codes, bytes,
# a terminal's screen through tmux) or what sshd logged.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/daemon.sh"

SHELL_BIN=${FAKEOS_SHELL:-$TOP/build/fakeos-shell}
TUSER=fkssh$$
SSHD_DIR=$WORK/ssh
BIN=$WORK/bin # the programs, readable by the test user (file:// URLs)
HOMEDIR=$WORK/home
SSHD_PID=""
PORT=""
MADE_GROUP=""
SETUP_ERR=""

# --- once per file: the user, its key, the programs ---------------------------

ssh_setup() {
	[ "$(id -u)" -eq 0 ] || { SETUP_ERR="useradd and sshd need root"; return; }
	[ -x /usr/sbin/sshd ] || { SETUP_ERR="no /usr/sbin/sshd (openssh-server)"; return; }
	command -v tmux >/dev/null || { SETUP_ERR="no tmux"; return; }
	if ! getent group fakeos >/dev/null; then
		groupadd fakeos || { SETUP_ERR="groupadd fakeos failed"; return; }
		MADE_GROUP=1
	fi
	useradd -M -d "$HOMEDIR" -s /bin/sh -G fakeos "$TUSER" ||
		{ SETUP_ERR="useradd failed"; return; }
	# '*': no password, and not locked ('!'), which sshd without PAM
	# would refuse even a key for.
	usermod -p '*' "$TUSER"
	mkdir -p "$HOMEDIR" && chown "$TUSER:" "$HOMEDIR" && chmod 700 "$HOMEDIR"
	mkdir -p "$SSHD_DIR" "$BIN" "$WORK/empty" /run/sshd
	chmod 755 "$BIN" "$WORK/empty"
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/host_key" </dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/id" </dev/null
	cp "$SSHD_DIR/id.pub" "$SSHD_DIR/authorized_keys"
	chmod 644 "$SSHD_DIR/authorized_keys"
	local p
	for p in exit_with cat sleeper segv; do
		cp "$TOP/build/progs/$p" "$BIN/$p" || SETUP_ERR="build/progs/$p missing"
	done
	cp "$TOP/build/examples/hello" "$BIN/hello" || SETUP_ERR="build/examples/hello missing"
	chmod 755 "$BIN"/*
}

ssh_teardown() {
	[ -z "$SETUP_ERR" ] || return 0
	pkill -u "$TUSER" 2>/dev/null
	userdel "$TUSER" 2>/dev/null
	[ -z "$MADE_GROUP" ] || groupdel fakeos 2>/dev/null
}

ssh_setup
trap 'ssh_teardown; rm -rf "$WORK"' EXIT

# --- per test: fakeosd and sshd ----------------------------------------------

# /etc/fakeos/shell.conf of the test: lines as given (root's, 0644).
shell_conf() { # LINE...
	[ -n "$SETTINGS" ] || settings
	printf '%s\n' "$@" >"$ETC/shell.conf"
	chmod 644 "$ETC/shell.conf"
}

daemon_cleanup() {
	tmux -S "$WORK/tmux" kill-server 2>/dev/null
	[ -z "$SSHD_PID" ] || { kill "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null; }
	SSHD_PID=""
}

# Starts fakeosd, then sshd with the drop-in (its ForceCommand pointed at
# this build, this test's settings and socket) on a free loopback port.
ssh_start() {
	[ -z "$SETUP_ERR" ] || skip "$SETUP_ERR"
	[ -x "$SHELL_BIN" ] || fail "$SHELL_BIN: not built"
	[ -n "$SETTINGS" ] || settings
	daemon_start
	sed "s|@BINDIR@/fakeos-shell|$SHELL_BIN --config-dir $ETC --socket $SOCK|" \
		"$TOP/etc/sshd/fakeos.conf.in" >"$SSHD_DIR/fakeos.conf"
	local tries
	for tries in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + RANDOM % 20000))
		cat >"$SSHD_DIR/sshd_config" <<-EOF
			Port $PORT
			ListenAddress 127.0.0.1
			HostKey $SSHD_DIR/host_key
			PidFile $SSHD_DIR/sshd.pid
			AuthorizedKeysFile $SSHD_DIR/authorized_keys
			StrictModes no
			UsePAM no
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			AllowUsers $TUSER
			LogLevel DEBUG1
			# As Debian's own sshd_config has it: the drop-in must
			# hold with an sftp server configured.
			Subsystem sftp /usr/lib/openssh/sftp-server
			Include $SSHD_DIR/fakeos.conf
		EOF
		: >"$SSHD_DIR/sshd.log"
		echo "[127.0.0.1]:$PORT $(cat "$SSHD_DIR/host_key.pub")" \
			>"$SSHD_DIR/known_hosts"
		/usr/sbin/sshd -D -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" &
		SSHD_PID=$!
		local i
		for i in $(seq 1 100); do
			grep -q "Server listening" "$SSHD_DIR/sshd.log" && return 0
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=""
	done
	fail "sshd did not start: $(cat "$SSHD_DIR/sshd.log")"
}

# The client's options: SSH_OPTS for ssh, SCP_OPTS for scp and sftp
# (whose port option is -P). LogLevel INFO: the client's own reports of
# refused requests are at that level.
SSH_OPTS=()
SCP_OPTS=()
ssh_opts() {
	local common=(-F /dev/null -i "$SSHD_DIR/id"
		  -o StrictHostKeyChecking=yes
		  -o UserKnownHostsFile="$SSHD_DIR/known_hosts"
		  -o BatchMode=yes -o LogLevel=INFO -o ConnectTimeout=10)
	SSH_OPTS=("${common[@]}" -p "$PORT")
	SCP_OPTS=("${common[@]}" -P "$PORT")
}

# ssh to the test user with ARGs; 30 s at most.
tssh() { ssh_opts; timeout 30 ssh "${SSH_OPTS[@]}" "$@"; }
at() { echo "$TUSER@127.0.0.1"; }

# --- running programs by URL -------------------------------------------------

test_a_url_runs_with_its_arguments_and_exit_status() {
	ssh_start
	run tssh "$(at)" "file://$BIN/hello" one "'two words'"
	expect_code 0
	assert_eq "$OUT" "hello from fakeOS: file://$BIN/hello
  arg 1: one
  arg 2: two words"
	run tssh "$(at)" "file://$BIN/exit_with" 7
	expect_code 7
	run tssh "$(at)" "file://$BIN/segv"
	expect_code 139
	# And it went through fakeosd, as the test user's uid.
	assert_contains "$(cat "$DLOG")" "uid $(id -u "$TUSER") (pid"
}

test_stdin_and_stdout_pass_a_pipe_byte_for_byte() {
	ssh_start
	# Text, 200 KiB: longer than any pipe's buffer on the way.
	seq 1 40000 | sed 's/$/ the quick brown fox/' | head -c 204800 >"$WORK/in"
	tssh "$(at)" "file://$BIN/cat" <"$WORK/in" >"$WORK/out" 2>"$WORK/err"
	assert_eq "$?" 0 "exit"
	cmp "$WORK/in" "$WORK/out" || fail "stdout differs from stdin"
	assert_eq "$(cat "$WORK/err")" "cat: 204800 bytes" "stderr"
	# Any bytes, with --raw-console (as fakeos-run's; after "--", or ssh
	# would take it for its own).
	head -c 65536 /dev/urandom >"$WORK/bin.in"
	tssh "$(at)" -- --raw-console "file://$BIN/cat" <"$WORK/bin.in" \
		>"$WORK/bin.out" 2>/dev/null
	cmp "$WORK/bin.in" "$WORK/bin.out" || fail "binary bytes changed"
	# In a pipe, both sides.
	local n
	n=$(printf 'a\nb\nc\n' | tssh "$(at)" "file://$BIN/cat" 2>/dev/null | wc -l)
	assert_eq "$n" 3 "lines through the pipe"
}

test_a_name_runs_from_the_first_base_that_has_it() {
	settings
	# The first base has no exit_with: the second's runs. A line for
	# the user beats the '*' line.
	shell_conf "# the operator's" "* file://$WORK/nowhere/" \
		"$TUSER file://$WORK/empty/ file://$BIN/"
	ssh_start
	run tssh "$(at)" exit_with 5
	expect_code 5
	run tssh "$(at)" hello world
	expect_code 0
	assert_contains "$OUT" "hello from fakeOS: file://$BIN/hello"
	assert_contains "$OUT" "arg 1: world"
	run tssh "$(at)" path
	assert_eq "$OUT" "file://$WORK/empty/
file://$BIN/"
	# A network base always matches: a name never skips past it.
	shell_conf "* https://127.0.0.1:1/bin/ file://$BIN/"
	run tssh "$(at)" exit_with 5
	expect_code 127
	assert_contains "$ERR" "https://127.0.0.1:1/bin/exit_with"
}

test_a_name_that_resolves_nowhere_is_refused_with_127() {
	settings
	shell_conf "* file://$WORK/empty/"
	ssh_start
	run tssh "$(at)" nosuch arg
	expect_code 127
	assert_contains "$ERR" "nosuch: not found in the search path"
	# No path at all.
	shell_conf "# nothing"
	run tssh "$(at)" exit_with 3
	expect_code 127
	assert_contains "$ERR" "the search path is empty"
	# And no run reached fakeosd.
	assert_not_contains "$(cat "$DLOG")" " runs "
}

test_a_malformed_command_is_refused_whole() {
	ssh_start
	run tssh "$(at)" "file://$BIN/exit_with" "'3"
	expect_code 125
	assert_contains "$ERR" "quote at byte"
	assert_not_contains "$(cat "$DLOG")" " runs "
}

test_a_shell_conf_anyone_else_could_write_is_refused() {
	settings
	shell_conf "* file://$BIN/"
	ssh_start
	chmod 664 "$ETC/shell.conf"
	run tssh "$(at)" exit_with 3
	expect_code 125
	assert_contains "$ERR" "shell.conf is writable by group"
	chmod 644 "$ETC/shell.conf"
	run tssh "$(at)" exit_with 3
	expect_code 3
}

# --- nothing else ------------------------------------------------------------

test_a_host_shell_or_command_is_refused() {
	ssh_start
	# ~/.ssh/rc would be run by the user's login shell: it is not.
	mkdir -p "$HOMEDIR/.ssh"
	echo "touch $WORK/rc-ran" >"$HOMEDIR/.ssh/rc"
	chown -R "$TUSER:" "$HOMEDIR/.ssh"
	chmod 755 "$WORK"
	run tssh "$(at)" /bin/sh -c id
	expect_code 126
	assert_contains "$ERR" "/bin/sh: refused: not a URL or a program name"
	run tssh "$(at)" 'ls; id'
	expect_code 126
	assert_not_contains "$OUT" "uid="
	run tssh "$(at)" 'id'
	expect_code 127
	assert_not_contains "$OUT" "uid="
	# No command and no terminal: nothing to read commands from.
	run tssh -T "$(at)"
	expect_code 125
	assert_contains "$ERR" "no command and no terminal"
	assert_no_file "$WORK/rc-ran"
	assert_not_contains "$(cat "$DLOG")" " runs "
}

test_scp_and_sftp_are_refused() {
	ssh_start
	ssh_opts
	echo secret >"$WORK/file"
	# scp over the sftp protocol (9.x's default), and the old protocol.
	run timeout 30 scp "${SCP_OPTS[@]}" "$WORK/file" "$(at):x"
	[ "$CODE" -ne 0 ] || fail "scp (sftp protocol) succeeded"
	run timeout 30 scp -O "${SCP_OPTS[@]}" "$WORK/file" "$(at):y"
	[ "$CODE" -ne 0 ] || fail "scp -O succeeded"
	run timeout 30 scp -O "${SCP_OPTS[@]}" "$(at):/etc/passwd" "$WORK/got"
	[ "$CODE" -ne 0 ] || fail "scp -O from the host succeeded"
	assert_no_file "$WORK/got"
	echo "ls /" >"$WORK/batch"
	run timeout 30 sftp -b "$WORK/batch" "${SCP_OPTS[@]}" "$(at)"
	[ "$CODE" -ne 0 ] || fail "sftp succeeded"
	assert_no_file "$HOMEDIR/x"
	assert_no_file "$HOMEDIR/y"
	local log
	log=$(cat "$SSHD_DIR/sshd.log")
	# sshd ran fakeos-shell for each, which refused what was asked.
	# sshd ran fakeos-shell for each of the four (a subsystem runs the
	# ForceCommand too), with the sftp server's path as the command,
	# which fakeos-shell refused.
	[ "$(echo "$log" | grep -c "Starting session: forced-command")" -ge 4 ] ||
		fail "sshd did not run the ForceCommand for each: $log"
	assert_contains "$log" "subsystem: exec() /usr/lib/openssh/sftp-server"
	assert_not_contains "$(cat "$DLOG")" " runs "
}

test_port_forwarding_is_refused() {
	ssh_start
	ssh_opts
	# A listener the forwards would reach.
	local lport=$((PORT + 1)) fport=$((PORT + 2))
	# -W: stdio to a port through sshd (a direct-tcpip channel, as -L and
	# -D open).
	run timeout 30 ssh "${SSH_OPTS[@]}" -W "127.0.0.1:$PORT" "$(at)"
	[ "$CODE" -ne 0 ] || fail "ssh -W succeeded"
	assert_contains "$ERR" "administratively prohibited"
	# -R: sshd refuses to listen.
	run timeout 30 ssh "${SSH_OPTS[@]}" -o ExitOnForwardFailure=yes \
		-R "$fport:127.0.0.1:$PORT" "$(at)" "file://$BIN/exit_with" 0
	[ "$CODE" -ne 0 ] || fail "ssh -R succeeded"
	assert_contains "$ERR" "remote port forwarding failed"
	# -L and -D: the client listens, sshd refuses each connection.
	timeout 30 ssh "${SSH_OPTS[@]}" -N -L "$lport:127.0.0.1:$PORT" \
		-D "$fport" "$(at)" 2>"$WORK/fwd.err" &
	local fwd=$! i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$lport") 2>/dev/null && break
		sleep 0.05
	done
	# Through -L, sshd's banner ("SSH-2.0-...") would come back.
	local got
	got=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$lport; head -c 7 <&3" 2>/dev/null)
	assert_not_contains "$got" "SSH-2.0" "what -L brought back"
	run timeout 10 curl -s --max-time 5 --socks5 "127.0.0.1:$fport" \
		"http://127.0.0.1:$PORT/"
	[ "$CODE" -ne 0 ] || fail "a connection through -D succeeded"
	kill "$fwd" 2>/dev/null
	wait "$fwd" 2>/dev/null
	assert_contains "$(cat "$WORK/fwd.err")" "administratively prohibited"
	assert_contains "$(cat "$SSHD_DIR/sshd.log")" "refused local port forward"
}

test_agent_and_x11_forwarding_are_refused() {
	ssh_start
	ssh_opts
	eval "$(ssh-agent -s)" >/dev/null
	ssh-add -q "$SSHD_DIR/id" 2>/dev/null
	# The program runs; neither forward is set up.
	run env DISPLAY=127.0.0.1:99 timeout 30 ssh "${SSH_OPTS[@]}" -A -X \
		-o ForwardX11Trusted=yes "$(at)" "file://$BIN/exit_with" 4
	kill "$SSH_AGENT_PID" 2>/dev/null
	expect_code 4
	assert_contains "$ERR" "X11 forwarding request failed"
	local log
	log=$(cat "$SSHD_DIR/sshd.log")
	assert_contains "$log" "agent forwarding disabled"
	assert_contains "$log" "X11 forwarding disabled"
}

# --- the prompt, through a real terminal (tmux) ------------------------------

TM() { tmux -S "$WORK/tmux" "$@"; }

# Opens `ssh -t` in a tmux window of 80x24 and waits for the prompt.
prompt_open() {
	ssh_opts
	TM -f /dev/null new-session -d -s t -x 80 -y 24 \
		"ssh -t $(printf '%q ' "${SSH_OPTS[@]}") $(at); echo SESSION-ENDED; sleep 60"
	# (capture-pane drops the prompt's trailing blank)
	screen_has "fakeos>" || fail "no prompt: $(screen)"
}
screen() { TM capture-pane -p -t t; }
# Waits (10 s at most) until the screen shows TEXT.
screen_has() { # TEXT
	local i
	for i in $(seq 1 200); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
type_line() { TM send-keys -t t -l -- "$1"; TM send-keys -t t Enter; }

test_the_prompt_runs_programs_and_shows_each_status() {
	ssh_start
	prompt_open
	type_line "file://$BIN/exit_with 3"
	screen_has "[exit 3]" || fail "no [exit 3]: $(screen)"
	type_line "file://$BIN/segv"
	screen_has "[killed by SIGSEGV]" || fail "no SIGSEGV status: $(screen)"
	type_line "file://$BIN/hello there"
	screen_has "arg 1: there" || fail "no output: $(screen)"
	screen_has "[exit 0]" || fail "no [exit 0]: $(screen)"
	type_line "/bin/sh"
	screen_has "refused: not a URL" || fail "no refusal: $(screen)"
	type_line "exit"
	screen_has "SESSION-ENDED" || fail "exit did not end it: $(screen)"
}

test_ctrl_c_ends_the_program_and_not_the_session() {
	ssh_start
	prompt_open
	type_line "file://$BIN/sleeper 60"
	screen_has "ready" || fail "the sleeper did not start: $(screen)"
	TM send-keys -t t C-c
	screen_has "[killed by SIGINT]" || fail "Ctrl-C: $(screen)"
	local i
	for i in $(seq 1 100); do
		[ -z "$(pgrep -f "^file://$BIN/sleeper")" ] && break
		sleep 0.05
	done
	[ -z "$(pgrep -f "^file://$BIN/sleeper")" ] || fail "the sleeper still runs"
	# Ctrl-C at the prompt abandons the line only.
	TM send-keys -t t -l "file://$BIN/exit_with 9"
	TM send-keys -t t C-c
	type_line "file://$BIN/exit_with 6"
	screen_has "[exit 6]" || fail "the session did not go on: $(screen)"
	! screen | grep -qF "[exit 9]" || fail "the abandoned line ran"
	! screen | grep -qF "SESSION-ENDED" || fail "the session ended"
}

test_history_persists_across_sessions() {
	ssh_start
	prompt_open
	type_line "file://$BIN/exit_with 42"
	screen_has "[exit 42]" || fail "$(screen)"
	type_line "exit"
	screen_has "SESSION-ENDED" || fail "$(screen)"
	TM kill-server
	grep -q "exit_with" "$HOMEDIR/.fakeos_history" 2>/dev/null ||
		fail "no ~/.fakeos_history with the line"
	[ "$(stat -c '%U %a' "$HOMEDIR/.fakeos_history")" = "$TUSER 600" ] ||
		fail "history file: $(stat -c '%U %a' "$HOMEDIR/.fakeos_history")"
	# A new session: Up (twice: the last line was "exit") brings it back.
	prompt_open
	TM send-keys -t t Up Up
	screen_has "fakeos> file://$BIN/exit_with 42" || fail "Up: $(screen)"
	TM send-keys -t t Enter
	screen_has "[exit 42]" || fail "$(screen)"
}

test_tab_completes_names_and_urls() {
	settings
	shell_conf "* file://$BIN/"
	ssh_start
	prompt_open
	# A name from the search path's directory, and the blank after it
	# (capture-pane drops trailing blanks: the run shows it was there).
	TM send-keys -t t -l "exit_w"
	TM send-keys -t t Tab
	screen_has "fakeos> exit_with" || fail "name: $(screen)"
	type_line "8"
	screen_has "[exit 8]" || fail "$(screen)"
	# A URL this account has run (the history).
	type_line "file://$BIN/exit_with 2"
	screen_has "[exit 2]" || fail "$(screen)"
	TM send-keys -t t -l "file://$BIN/exi"
	TM send-keys -t t Tab
	screen_has "fakeos> file://$BIN/exit_with" || fail "URL: $(screen)"
	type_line "11"
	screen_has "[exit 11]" || fail "$(screen)"
}

test_the_line_editor_follows_the_window_size() {
	settings
	shell_conf "* file://$BIN/"
	ssh_start
	prompt_open
	TM resize-window -t t -x 40 -y 24
	sleep 0.3
	# A line longer than the new width, then Ctrl-A and one more byte
	# at its start: libedit moves the cursor up to the prompt's row only
	# if it knows the width is 40 (at 80 it would write on the second
	# row, where the terminal wrapped the line).
	TM send-keys -t t -l "xit_with 6 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	TM send-keys -t t C-a
	TM send-keys -t t -l "e"
	screen_has "fakeos> exit_with 6 aaaaaaaaaaaaaaaaaaaa" ||
		fail "the line is drawn for another width: $(screen)"
	TM send-keys -t t Enter
	screen_has "[exit 6]" || fail "$(screen)"
	# Resized while a program runs: the next prompt knows.
	type_line "file://$BIN/sleeper 1"
	screen_has "ready" || fail "$(screen)"
	TM resize-window -t t -x 60 -y 24
	screen_has "[exit 0]" || fail "$(screen)"
	TM send-keys -t t -l "xit_with 7 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	TM send-keys -t t C-a
	TM send-keys -t t -l "e"
	screen_has "fakeos> exit_with 7 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" ||
		fail "not redrawn at 60 columns: $(screen)"
}

run_tests

# harness.sh — the shell side of escape.h. Sourced, after testlib.sh, by the
# test files that run the hostile programs of test/escape/ under the real
# launcher: test_escape.sh, test_syscalls.sh and test_broker_hostile.sh.
#
# It gives every attempt a host to attack, and looks at the host after:
#   $TARGET        a directory anyone may write to: a file appearing in it
#                  was created from the jail (only the jail can stop it)
#   $FIFO          a FIFO whose waiting writer notices any open of it
#   $VICTIM        a host process of the jail's own host uid that logs
#                  every signal it gets (and must not stop, die or be
#                  traced)
#   $LISTEN_PORT   TCP and UDP on 127.0.0.1, and $HOST_SOCK, a Unix
#                  datagram socket: each logs any connection or datagram
#
#   host_start              starts all of that (once per file)
#   fifo_arm PATH           another FIFO like $FIFO: PATH.opened appears if
#                           anything opens PATH
#   jail PROG [ARG...]      runs build/escape/PROG under fakeos-run -n with
#                           this file's tag as its last argument; sets OUT,
#                           ERR and CODE, and counts the calling test as an
#                           escape attempt
#   attempt [ID]            counts one attempt (the calling test by default;
#                           an ID is one word)
#   assert_host_untouched   nothing created, opened, signalled, traced,
#                           mounted, sent or left running
#   expect_killed NAME      exit 159 and "forbidden system call NAME ("
#   expect_refused TEXT     exit 0 and "refused: TEXT"
#   escape_summary RESULTS  prints "escape tests: N attempted, N contained":
#                           a test counts as contained when it passed, an
#                           ID recorded with `contained ID` when it was

TAG="tag:$WORK"
TARGET=$WORK/target
FIFO=$WORK/fifo
FIFO_OPENED=$WORK/fifo.opened
VICTIM_LOG=$WORK/victim.log
LISTEN_LOG=$WORK/listener.log
HOST_SOCK=$WORK/host.sock
HOST_PIDS=""

# The jail's host uid: nobody when the launcher runs as root (jail.h).
if [ "$(id -u)" -eq 0 ]; then
	AS_JAIL_UID="setpriv --reuid=65534 --regid=65534 --clear-groups --"
else
	AS_JAIL_UID=""
fi

host_stop() {
	local p
	# KILL: the victim logs (and survives) every signal it can catch.
	for p in $HOST_PIDS $(cat "$WORK"/*.writer 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	HOST_PIDS=""
}

# Opening a FIFO for writing blocks until someone opens it to read: a
# writer waits on PATH, and PATH.opened appears only if something opened
# it. Re-arms a FIFO whose writer has already seen an open.
fifo_arm() { # PATH
	[ -p "$1" ] || mkfifo -m 666 "$1"
	rm -f "$1.opened"
	(exec 7>"$1" && echo opened >"$1.opened") >/dev/null 2>&1 &
	echo $! >"$1.writer"
	disown $!
}

host_start() {
	mkdir -p "$TARGET"
	chmod 777 "$TARGET"
	: >"$VICTIM_LOG"
	: >"$LISTEN_LOG"
	chmod 666 "$VICTIM_LOG" "$LISTEN_LOG"
	echo "SECRET" >"$WORK/secret"
	chmod 644 "$WORK/secret"

	mkfifo -m 666 "$FIFO"
	fifo_arm "$FIFO"

	# shellcheck disable=SC2016
	$AS_JAIL_UID perl -e '
		my $log = shift;
		for my $s (qw(HUP INT QUIT USR1 USR2 PIPE ALRM TERM CONT TSTP
			      TTIN TTOU URG WINCH IO SYS TRAP ABRT XCPU XFSZ
			      VTALRM PROF)) {
			$SIG{$s} = sub {
				open my $f, ">>", $log; print $f "$_[0]\n"; close $f;
			};
		}
		sleep 1 while 1;' "$VICTIM_LOG" >/dev/null 2>&1 &
	VICTIM=$!
	HOST_PIDS="$HOST_PIDS $VICTIM"
	disown $!
	# An address that is mapped in the victim, for process_vm_*.
	VICTIM_ADDR=0x$(head -n 1 /proc/$VICTIM/maps 2>/dev/null | cut -d- -f1)

	perl -e '
		use IO::Socket::INET; use IO::Socket::UNIX; use IO::Select;
		use Socket;
		my ($portfile, $path, $log) = @ARGV;
		my $t = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			LocalPort => 0, Listen => 16, Proto => "tcp",
			ReuseAddr => 1) or die "tcp: $!";
		my $port = $t->sockport;
		my $u = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			LocalPort => $port, Proto => "udp") or die "udp: $!";
		my $x = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
			Local => $path) or die "unix: $!";
		chmod 0666, $path;
		open my $p, ">", "$portfile.tmp"; print $p "$port\n"; close $p;
		rename "$portfile.tmp", $portfile;
		my $sel = IO::Select->new($t, $u, $x);
		while (1) {
			for my $h ($sel->can_read) {
				my ($what, $buf);
				if ($h == $t) {
					my $c = $t->accept;
					$what = "tcp connection";
					if ($c) { $c->recv($buf, 200); close $c; }
				} elsif ($h == $u) {
					$u->recv($buf, 65536); $what = "udp datagram";
				} else {
					$x->recv($buf, 65536); $what = "unix datagram";
				}
				$buf = "" unless defined $buf;
				$buf =~ s/[^ -~]/./g;
				open my $f, ">>", $log;
				print $f "$what: ", substr($buf, 0, 80), "\n";
				close $f;
			}
		}' "$WORK/port" "$HOST_SOCK" "$LISTEN_LOG" >/dev/null 2>"$WORK/listener.err" &
	HOST_PIDS="$HOST_PIDS $!"
	disown $!
	local i
	for i in $(seq 1 100); do
		[ -s "$WORK/port" ] && [ -e /proc/$VICTIM/maps ] && break
		sleep 0.02
	done
	LISTEN_PORT=$(cat "$WORK/port" 2>/dev/null)
	[ -n "$LISTEN_PORT" ] || {
		echo "harness: the host listener did not start" >&2
		exit 1
	}
}

trap 'host_stop; rm -rf "$WORK"' EXIT

attempt() { # [ID]
	local id=${1:-} f
	if [ -z "$id" ]; then
		for f in "${FUNCNAME[@]}"; do
			case $f in test_*) id=$f; break ;; esac
		done
	fi
	echo "$id" >>"$WORK/attempts"
}

contained() { # ID
	echo "$1" >>"$WORK/contained"
}

jail() { # PROG [ARG...]
	attempt
	host_mark
	run "$RUN" -n "file://$ESCAPES/$1" "${@:2}" "$TAG"
}

# What the host looked like before an attempt, so that each test judges
# only what happened during its own (tests run one after another). These
# run around every attempt, so they use no external command: a fork costs
# more here than the launch being tested.
host_mark() {
	local -a lines
	mapfile -t lines <"$VICTIM_LOG"
	MARK_VICTIM=${#lines[@]}
	mapfile -t lines <"$LISTEN_LOG"
	MARK_LISTEN=${#lines[@]}
	target_files
	MARK_TARGET=$TARGET_FILES
	[ ! -e "$FIFO_OPENED" ] || fifo_arm "$FIFO"
}

# Sets TARGET_FILES to the names in $TARGET.
target_files() {
	local f
	TARGET_FILES=""
	for f in "$TARGET"/* "$TARGET"/.*; do
		case ${f##*/} in . | ..) continue ;; esac
		[ -e "$f" ] || [ -L "$f" ] && TARGET_FILES="$TARGET_FILES ${f##*/}"
	done
}

assert_host_untouched() {
	local -a lines
	local line state tracer="" left
	target_files
	[ "$TARGET_FILES" = "${MARK_TARGET:-}" ] ||
		fail "created on the host: in $TARGET:$TARGET_FILES"
	[ ! -e "$FIFO_OPENED" ] || fail "the host FIFO $FIFO was opened"
	mapfile -t lines <"$VICTIM_LOG"
	[ "${#lines[@]}" = "${MARK_VICTIM:-0}" ] ||
		fail "the victim got signals: ${lines[*]:${MARK_VICTIM:-0}}"
	kill -0 "$VICTIM" 2>/dev/null || fail "the victim process is gone"
	read -r line </proc/$VICTIM/stat
	line=${line##*) }
	state=${line%% *}
	case $state in T | t) fail "the victim was stopped" ;; esac
	while read -r line; do
		case $line in TracerPid:*) tracer=${line##*[[:space:]]} ;; esac
	done </proc/$VICTIM/status
	[ "$tracer" = 0 ] || fail "the victim is being traced (by $tracer)"
	mapfile -t lines <"$LISTEN_LOG"
	[ "${#lines[@]}" = "${MARK_LISTEN:-0}" ] ||
		fail "the host listener saw: ${lines[*]:${MARK_LISTEN:-0}}"
	while read -r line; do
		case $line in *" $TARGET "*) fail "something is mounted on $TARGET" ;; esac
	done </proc/self/mountinfo
	left=$(pgrep -f -- "$TAG")
	[ -z "$left" ] || fail "processes left behind: $(ps -o pid,user,args -p "$(echo $left | tr ' ' ,)")"
}

# expect_killed NAME — the jail killed the program at system call NAME.
expect_killed() {
	expect_code 159
	assert_contains "$ERR" "killed: forbidden system call $1 ("
	assert_not_contains "$OUT" "ESCAPED"
	assert_host_untouched
}

# expect_refused TEXT — the attempt returned the error TEXT reports.
expect_refused() {
	expect_code 0
	assert_contains "$OUT" "refused: $1"
	assert_not_contains "$OUT" "ESCAPED"
	assert_host_untouched
}

escape_summary() { # RESULTS
	local attempted=0 held=0 id
	touch "$WORK/attempts" "$WORK/contained"
	while read -r id; do
		attempted=$((attempted + 1))
		if grep -qx "PASS $id" "$1" || grep -qxF -- "$id" "$WORK/contained"; then
			held=$((held + 1))
		fi
	done < <(sort -u "$WORK/attempts")
	echo "escape tests: $attempted attempted, $held contained"
}

# daemon.sh — a test's own fakeosd (sourced after testlib.sh): settings in
# $WORK/etc (root's, 0644, made anew by each test), a socket and a log in
# $WORK, never the host's. test_daemon.sh, test_services.sh and
# test_daemon_load.sh use it.

DAEMON=${FAKEOS_DAEMON:-$TOP/build/fakeosd}
DCLIENT=$TOP/build/tools/dclient
PROBE="file://$TOP/build/progs/api_probe"
SOCK=$WORK/fakeosd.sock
DLOG=$WORK/fakeosd.log
DPID=""
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"

# The settings a test's daemon reads: $ETC/fakeosd.conf, root's, 0644,
# made anew by each test (tests run in subshells: SETTINGS is the test's).
ETC=$WORK/etc
SETTINGS=""
settings() { # LINE... (none: an empty file)
	[ -n "$SETTINGS" ] || rm -rf "$ETC"
	SETTINGS=1
	mkdir -p "$ETC"
	chmod 755 "$ETC"
	printf '%s\n' "$@" >"$ETC/fakeosd.conf"
	chmod 644 "$ETC/fakeosd.conf"
}

# What a test that fails half-way must also end (daemon_start's trap); a
# test file may define its own.
daemon_cleanup() { [ -z "${NOTIFY_PID:-}" ] || kill "$NOTIFY_PID"; }

# Starts the test's daemon with ARGs, its log in $DLOG: written anew, or
# appended to with DLOG_APPEND=1 (a test that restarts it reads both).
daemon_start() { # [ARG...]
	[ "$(id -u)" -eq 0 ] || skip "fakeosd runs as root"
	rm -f "$SOCK"
	[ -n "$SETTINGS" ] || settings
	[ -n "${DLOG_APPEND:-}" ] || : >"$DLOG"
	local starts
	starts=$(grep -c "listening on" "$DLOG" 2>/dev/null)
	"$DAEMON" -v --config-dir "$ETC" --socket "$SOCK" -C "$WORK/cache" \
		"$@" >>"$DLOG" 2>&1 &
	DPID=$!
	# Ready once it says it listens: the socket's file exists from its
	# bind, before its listen, and a client then would be refused. At
	# most 15 s (a loaded machine's sanitizer build).
	local i up=0
	for i in $(seq 1 300); do
		if [ -S "$SOCK" ] &&
			[ "$(grep -c "listening on" "$DLOG")" -gt "${starts:-0}" ]; then
			up=1
			break
		fi
		sleep 0.05
	done
	[ "$up" = 1 ] || fail "fakeosd did not start within 15 s: $(cat "$DLOG")"
	export FAKEOS_DAEMON_SOCKET=$SOCK
	# Each test runs in a subshell: a test that fails half-way must not
	# leave its daemon, or anything daemon_cleanup names, running.
	trap 'daemon_stop; daemon_cleanup' EXIT
}

# Whether $DAEMON is built with AddressSanitizer (integration-san's).
daemon_sanitized() { ldd "$DAEMON" 2>/dev/null | grep -q libasan; }

# Stops the test's daemon with SIGTERM. fakeosd then exits 0 (fakeosd(8));
# anything else is the test's failure: a daemon that died on its own
# before, or, in integration-san's sanitized build, a leak or an error
# that LeakSanitizer or UBSan reported at its exit (the report is in the
# log).
daemon_stop() {
	[ -n "$DPID" ] || return 0
	local pid=$DPID code=0
	DPID=""
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || code=$?
	[ "$code" -eq 0 ] ||
		fail "fakeosd exited $code after SIGTERM; its log ends: $(tail -n 40 "$DLOG")"
}

# Jailed programs still running PATH (under build/): a program's argv[0]
# is its URL, which no client's command line starts with.
jailed() { pgrep -fc "^file://$TOP/$1" || true; }

# $ETC/services.d/NAME.conf with these lines, root's, 0644.
service() { # NAME LINE...
	local name=$1
	shift
	[ -n "$SETTINGS" ] || settings
	mkdir -p "$ETC/services.d"
	chmod 755 "$ETC/services.d"
	printf '%s\n' "$@" >"$ETC/services.d/$name.conf"
	chmod 644 "$ETC/services.d/$name.conf"
}

# Waits (at most 10 s) until the daemon's log has a line with TEXT.
wait_for_log() { # TEXT [SECONDS]
	local i
	for i in $(seq 1 $((${2:-10} * 20))); do
		grep -qF -- "$1" "$DLOG" && return 0
		sleep 0.05
	done
	return 1
}

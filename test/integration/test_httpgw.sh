#!/bin/bash
# fakeosd's HTTP gateway (src/httpgw.c): a jailed program, which has no
# socket, GETs and PUTs URLs through a link to "fakeos.http", against a
# real nginx on 127.0.0.1 with WebDAV PUT. Each test asserts what the
# program got (exit code, bytes), what nginx stored, and which requests
# the servers saw (their logs): a refused URL must never reach a server.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/httpd.sh"
. "$(dirname "$0")/../lib/daemon.sh"

HTTP="file://$EXAMPLES/http"
HPROBE="file://$TOP/build/progs/http_probe"
WWW=$WORK/www
HOSTILE=$TOP/build/tools/hostile_httpd
OTHER_PID=""

# nginx serving $WWW: /pub/ to read, /dav/ to PUT into, and redirects.
# OTHER is a second origin on 127.0.0.2 that no allow-list names; its log
# says whether anything ever reached it.
gw_servers() {
	mkdir -p "$WWW/pub" "$WWW/dav" "$WWW/secret" "$WORK/other"
	echo secret >"$WWW/secret/x"
	OTHER_LOG=$WORK/other.log
	rm -f "$WORK/other.port"
	"$HOSTILE" -a 127.0.0.2 "$WORK/other.port" log >"$OTHER_LOG" 2>&1 &
	OTHER_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$WORK/other.port" ] && break
		sleep 0.05
	done
	[ -s "$WORK/other.port" ] || { daemon_cleanup; fail "the other origin did not start"; }
	OTHER_URL="http://127.0.0.2:$(cat "$WORK/other.port")"
	# Until daemon_start sets its own (which calls daemon_cleanup too):
	# a test that fails before it must not leave the origins running.
	trap daemon_cleanup EXIT
	HTTPD_LOG_FORMAT='$request_method $request_uri $status ua=$http_user_agent account=$http_fakeos_account program=$http_fakeos_program'
	httpd_start "$WWW" "
		location /dav/ { dav_methods PUT; create_full_put_path on;
				 client_max_body_size 100m; }
		location = /pub/moved { return 302 /pub/f4097; }
		location = /pub/to-secret { return 302 /secret/x; }
		location = /pub/to-other { return 302 $OTHER_URL/x; }
		location = /pub/loop { return 302 /pub/loop; }" ||
		{ daemon_cleanup; fail "nginx did not start"; }
	trap daemon_cleanup EXIT # httpd_start set its own
}

ENDLESS_PID=""
daemon_cleanup() {
	[ -z "$OTHER_PID" ] || kill "$OTHER_PID" 2>/dev/null
	[ -z "$ENDLESS_PID" ] || kill "$ENDLESS_PID" 2>/dev/null
	httpd_stop
}

# The daemon, with nobody's allow-list the public and the DAV directory
# (and $ALLOW_MORE); root (every other account) has none. LINE... are
# more settings.
gw_start() { # [LINE...]
	gw_servers
	settings "$@" "[account nobody]" \
		"http-allow = $HTTPD_URL/pub/ $HTTPD_URL/dav/ ${ALLOW_MORE:-}"
	daemon_start
}

# A hostile origin on 127.0.0.3: an answer without a length whose body
# never ends, as fast as it is taken. Sets ENDLESS_URL.
endless_origin() {
	rm -f "$WORK/endless.port"
	"$HOSTILE" -a 127.0.0.3 "$WORK/endless.port" endless-body &
	ENDLESS_PID=$!
	trap daemon_cleanup EXIT
	local i
	for i in $(seq 1 100); do
		if [ -s "$WORK/endless.port" ]; then
			ENDLESS_URL="http://127.0.0.3:$(cat "$WORK/endless.port")"
			return 0
		fi
		sleep 0.05
	done
	fail "the endless origin did not start"
}

# Bytes of a file, random.
random_file() { # PATH SIZE
	head -c "$2" /dev/urandom >"$1"
}

daemon_pipes() { ls -l "/proc/$DPID/fd" | grep -c 'pipe:'; }

# Lines of nginx's log (each one request) and of the other origin's.
requests() { grep -c . "$HTTPD_LOG"; }
other_requests() { grep -c . "$OTHER_LOG"; }

# The request datagram, in hex: METHOD (1 GET, 2 PUT), LENGTH, URL.
request_hex() { # METHOD LENGTH URL
	printf 'FKHQ' | od -An -tx1 | tr -d ' \n'
	printf '%02x%02x0000' 1 "$1"
	printf '%016x' "$2" | sed 's/../& /g' | tr ' ' '\n' | tac | tr -d '\n'
	printf '%s' "$3" | od -An -tx1 | tr -d ' \n'
	printf '00'
}

# As nobody: http get URL, the body in $WORK/got.
get() { # URL [WAIT_MS]
	CODE=0
	$NOBODY "$RUN" -n --raw-console "$HTTP" get "$@" >"$WORK/got" \
		2>"$WORK/err" </dev/null || CODE=$?
	ERR=$(cat "$WORK/err")
	OUT=""
}

# As nobody: http put URL, FILE the body.
put() { # URL FILE
	CODE=0
	$NOBODY "$RUN" "$HTTP" put "$1" <"$2" >"$WORK/out" 2>"$WORK/err" ||
		CODE=$?
	ERR=$(cat "$WORK/err")
	OUT=""
}

test_get_returns_the_files_bytes_exactly() {
	gw_start
	local n
	for n in 0 1 4096 4097 1048576; do
		random_file "$WWW/pub/f$n" "$n"
		get "$HTTPD_URL/pub/f$n"
		expect_code 0
		cmp -s "$WWW/pub/f$n" "$WORK/got" ||
			fail "GET of $n bytes: the bytes differ ($(stat -c %s "$WORK/got") came)"
		assert_contains "$ERR" "HTTP 200, $n bytes"
	done
	# A redirect within the allow-list is followed.
	get "$HTTPD_URL/pub/moved"
	expect_code 0
	cmp -s "$WWW/pub/f4097" "$WORK/got" || fail "the redirect's bytes differ"
	# The origin learns who asks: the account and the program's sha256.
	local sha
	sha=$(sha256sum "$EXAMPLES/http" | cut -d' ' -f1)
	assert_contains "$(cat "$HTTPD_LOG")" "ua=fakeosd-http/"
	assert_contains "$(cat "$HTTPD_LOG")" "account=65534 program=sha256=$sha"
}

test_put_stores_the_body_exactly() {
	gw_start
	random_file "$WORK/body" $((1048576 + 1))
	put "$HTTPD_URL/dav/up/one" "$WORK/body"
	expect_code 0
	assert_contains "$ERR" "HTTP 201"
	cmp -s "$WORK/body" "$WWW/dav/up/one" || fail "nginx stored other bytes"
	assert_contains "$(cat "$HTTPD_LOG")" "PUT /dav/up/one"
}

test_url_outside_the_allow_list_is_refused_before_any_request() {
	gw_start
	local url
	for url in "$HTTPD_URL/secret/x" "$OTHER_URL/x" \
		"$HTTPD_URL/pub/../secret/x" "$HTTPD_URL/pub/%2e%2e/secret/x" \
		"$HTTPD_URL/public" "file:///etc/passwd" \
		"http://127.0.0.1:$((HTTPD_PORT + 2))/pub/x"; do
		get "$url"
		expect_code 2
		assert_contains "$ERR" "refused"
	done
	assert_eq "$(requests)" 0 "requests that reached nginx"
	assert_eq "$(other_requests)" 0 "requests that reached the other origin"
	get "$HTTPD_URL/secret/x"
	assert_contains "$ERR" "not in the allow-list of uid 65534"
	grep -q "not in the allow-list of uid 65534" "$DLOG" ||
		fail "the daemon's log does not say why"
}

test_redirect_to_a_disallowed_url_is_refused_at_the_hop() {
	gw_start
	get "$HTTPD_URL/pub/to-other"
	expect_code 2
	assert_contains "$ERR" "redirect refused"
	assert_contains "$ERR" "$OTHER_URL/x is not in the allow-list"
	assert_eq "$(other_requests)" 0 "requests that reached the other origin"
	get "$HTTPD_URL/pub/to-secret"
	expect_code 2
	assert_contains "$ERR" "redirect refused"
	assert_not_contains "$(cat "$HTTPD_LOG")" "GET /secret/x"
	# Endless redirects end at the limit: 1 request and 5 hops.
	get "$HTTPD_URL/pub/loop"
	expect_code 2
	assert_contains "$ERR" "more than 5 redirects"
	assert_eq "$(grep -c "GET /pub/loop" "$HTTPD_LOG")" 6 "requests of the loop"
}

test_body_over_the_limit_is_refused() {
	gw_start "http-body-max = 1M"
	random_file "$WWW/pub/big" $((1048576 + 1))
	get "$HTTPD_URL/pub/big"
	expect_code 2
	assert_contains "$ERR" "over the limit of 1048576 bytes"
	[ ! -s "$WORK/got" ] || fail "a body over the limit reached the program"
	# A PUT says its length first: refused before a byte is sent.
	put "$HTTPD_URL/dav/big" "$WWW/pub/big"
	expect_code 2
	assert_contains "$ERR" "a body of 1048577 bytes is over the limit"
	assert_no_file "$WWW/dav/big"
	assert_not_contains "$(cat "$HTTPD_LOG")" "PUT /dav/big"
}

test_an_endless_body_without_a_length_is_cut_at_the_limit() {
	endless_origin
	ALLOW_MORE="$ENDLESS_URL/" gw_start "http-body-max = 1M"
	get "$ENDLESS_URL/forever"
	expect_code 3
	assert_contains "$ERR" "HTTP 200, cut after 1048576 bytes: the body is over the limit"
	assert_eq "$(stat -c %s "$WORK/got")" 1048576 "bytes the program got"
}

# The daemon's resident memory, in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }

test_slow_reader_does_not_grow_the_daemons_memory() {
	gw_start "http-body-max = 128M"
	random_file "$WWW/pub/huge" $((64 * 1048576))
	local before during pid
	before=$(rss_kib)
	# The program reads nothing for 4 s after the STATUS: nginx could
	# send all 64 MiB in that time, so the daemon must hold it back.
	$NOBODY "$RUN" -n --raw-console "$HTTP" get "$HTTPD_URL/pub/huge" 4000 \
		>"$WORK/got" 2>"$WORK/err" </dev/null &
	pid=$!
	sleep 3
	during=$(rss_kib)
	wait "$pid" || fail "the slow reader failed: $(cat "$WORK/err")"
	cmp -s "$WWW/pub/huge" "$WORK/got" || fail "the slow reader got other bytes"
	echo "    fakeosd VmRSS: $before KiB before, $during KiB while the reader slept"
	[ $((during - before)) -lt 8192 ] ||
		fail "fakeosd grew by $((during - before)) KiB while a reader slept"
}

test_another_account_without_an_entry_is_refused() {
	gw_start
	random_file "$WWW/pub/f1" 1
	# root's account has no http-allow: the same URL nobody may read.
	CODE=0
	"$RUN" -n "$HTTP" get "$HTTPD_URL/pub/f1" >/dev/null 2>"$WORK/err" \
		</dev/null || CODE=$?
	ERR=$(cat "$WORK/err")
	expect_code 2
	assert_contains "$ERR" "not in the allow-list of uid 0"
	assert_contains "$ERR" "which has no entry"
	assert_eq "$(requests)" 0 "requests that reached nginx"
}

test_requests_at_once_are_limited_per_account() {
	gw_start "[account]" "http-requests = 1"
	random_file "$WWW/pub/mid" $((8 * 1048576))
	$NOBODY "$RUN" -n --raw-console "$HTTP" get "$HTTPD_URL/pub/mid" 3000 \
		>/dev/null 2>"$WORK/slow.err" </dev/null &
	local pid=$!
	# Under way: the daemon is connected to nginx.
	local i
	for i in $(seq 1 100); do
		ss -tnp state established "( dport = :$HTTPD_PORT )" |
			grep -q "pid=$DPID," && break
		sleep 0.05
	done
	[ "$i" -lt 100 ] || fail "the first GET did not start"
	get "$HTTPD_URL/pub/mid"
	expect_code 2
	assert_contains "$ERR" "requests under way"
	wait "$pid" || fail "the first GET failed: $(cat "$WORK/slow.err")"
}

test_a_request_past_the_time_limit_is_cut() {
	gw_start "http-time-limit = 1s" "http-body-max = 128M"
	random_file "$WWW/pub/huge" $((32 * 1048576))
	get "$HTTPD_URL/pub/huge" 2500
	[ "$CODE" -ne 0 ] || fail "a request of 2.5 s passed a limit of 1 s"
	wait_for_log "time limit of 1000 ms" 5 || fail "the log does not say why"
}

test_malformed_requests_get_a_clear_error_and_others_are_served() {
	gw_start
	random_file "$WWW/pub/f4097" 4097
	local ok bad pipes0 i
	ok=$(request_hex 1 0 "$HTTPD_URL/pub/f4097")
	# A well-formed request first: the probe's framing is right.
	run $NOBODY "$RUN" -n "$HPROBE" raw "$ok"
	assert_contains "$OUT" "status 200"
	assert_contains "$OUT" "end 0"
	# The daemon's pipes (a link is two) once a run has settled it (its
	# first run starts helpers that keep theirs): none may be left behind.
	pipes0=$(daemon_pipes)
	# magic, version, method, a GET with a length, no NUL, too short.
	for bad in "58${ok:2}" "${ok:0:8}09${ok:10}" "${ok:0:10}07${ok:12}" \
		"$(request_hex 1 5 "$HTTPD_URL/pub/f4097")" "${ok%00}" "464b4851"; do
		run $NOBODY "$RUN" -n "$HPROBE" raw "$bad"
		expect_code 0
		assert_contains "$OUT" "status -"
		assert_contains "$OUT" "end -"
		assert_contains "$OUT" "closed"
	done
	run $NOBODY "$RUN" -n "$HPROBE" raw "58${ok:2}"
	assert_contains "$OUT" "status -71 not a request"
	run $NOBODY "$RUN" -n "$HPROBE" raw "${ok:0:10}07${ok:12}"
	assert_contains "$OUT" "status -95 method 7: only GET (1) and PUT (2)"
	# The daemon still serves.
	get "$HTTPD_URL/pub/f4097"
	expect_code 0
	cmp -s "$WWW/pub/f4097" "$WORK/got" || fail "the GET after them got other bytes"
	for i in $(seq 1 50); do
		[ "$(daemon_pipes)" = "$pipes0" ] && break
		sleep 0.1
	done
	assert_eq "$(daemon_pipes)" "$pipes0" "the daemon's pipes after 9 more requests"
}

test_no_program_can_serve_the_gateways_name() {
	gw_start
	run $NOBODY "$RUN" -n "$HPROBE" serve fakeos.http
	assert_contains "$OUT" "serve fakeos.http: closed, status -98"
	run "$RUN" -n "$HPROBE" serve fakeos.other
	assert_contains "$OUT" "serve fakeos.other: closed, status -98"
	# A program serving a name of its own does not matter to the
	# gateway: a GET still reaches it.
	random_file "$WWW/pub/f1" 1
	get "$HTTPD_URL/pub/f1"
	expect_code 0
}

run_tests

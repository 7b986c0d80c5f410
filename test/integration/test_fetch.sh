#!/bin/bash
# test_fetch.sh — the real fakeos-run against a real nginx on 127.0.0.1:
# fetching, the cache's freshness rules (no request within max-age, ETag and
# 304 after it), hash pins, --offline and stale-on-error, corruption
# recovery, concurrent launches, every fetch- and run-class exit code, https,
# the cache commands, and a hostile cache directory (issues 2 and 4).
#
# Each test starts its own nginx on a per-test root ($ROOT) with its own
# cache ($CACHE), so tests share nothing. nginx logs one line per request,
# "METHOD URI STATUS BYTES inm=IF-NONE-MATCH", which is what the request
# assertions read.
# $vars in nginx config are nginx's, not ours (SC2016); CODE, OUT and ERR
# are read by testlib's assertions (SC2034).
# shellcheck disable=SC2016,SC2034
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/httpd.sh"

PROGS=$TOP/build/progs
export HTTPD_LOG_FORMAT='$request_method $request_uri $status $body_bytes_sent inm=$http_if_none_match'

# serve [NGINX_SERVER_CONFIG] — a root holding hello and the test programs,
# an (unmade) cache dir, and nginx serving the root; BASE is its http URL.
serve() {
	local t=${FUNCNAME[1]}
	ROOT=$WORK/root-$t
	CACHE=$WORK/cache-$t
	OUTSIDE=$WORK/outside-$t # what a planted symlink points at
	mkdir -p "$ROOT" "$OUTSIDE"
	cp "$EXAMPLES/hello" "$PROGS"/* "$ROOT/"
	httpd_start "$ROOT" "${1:-}" >/dev/null || fail "nginx did not start"
	BASE=$HTTPD_URL
}

# fk ARG... — the launcher with this test's cache and an empty stdin.
fk() { run "$RUN" -n -C "$CACHE" "$@"; }

# hello_says URL [ARG...] — what hello prints when run as URL with ARGs.
hello_says() {
	local i=0 a
	printf 'hello from fakeOS: %s' "$1"
	shift
	for a in "$@"; do
		i=$((i + 1))
		printf '\n  arg %d: %s' "$i" "$a"
	done
}

# Sleeps until the clock's next whole second.
at_start_of_second() {
	sleep "$(date +%N | awk '{ printf "%.3f", 1 - $1 / 1e9 }')"
}

size() { stat -c %s "$1"; }
sha() { sha256sum "$1" | cut -c1-64; }
obj_path() { echo "$CACHE/objects/${1:0:2}/$1"; }
# Regular files below the cache dir DIR (objects, urls, tmp, ...).
files_in() { [ -d "$CACHE/$1" ] && find "$CACHE/$1" -type f | sort; }
count_files() { files_in "$1" | grep -c . ; }

# Requests nginx logged: all, or those whose line starts with PREFIX.
requests() {
	if [ $# -eq 0 ]; then
		httpd_requests
	else
		grep -c "^$1" "$HTTPD_LOG"
	fi
}
assert_requests() { # N [PREFIX]
	local n
	n=$(requests "${@:2}")
	[ "$n" = "$1" ] ||
		fail "expected $1 request(s)${2:+ matching '$2'}, nginx logged $n:
$(cat "$HTTPD_LOG")"
}
log_line() { sed -n "${1}p" "$HTTPD_LOG"; }

assert_no_output() { assert_eq "$OUT" "" "stdout (the program must not run)"; }
assert_tmp_empty() {
	[ -z "$(files_in tmp)" ] || fail "files left in tmp/: $(files_in tmp)"
}
# Nothing of the URL was kept: no object, no entry, no temporary file.
assert_nothing_cached() {
	[ -z "$(files_in objects)" ] || fail "objects kept: $(files_in objects)"
	[ -z "$(files_in urls)" ] || fail "entries kept: $(files_in urls)"
	assert_tmp_empty
}
# A checksum of every name, mode and byte below a directory.
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %s %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0r sha256sum) |
		sha256sum
}

# plant_fifo PATH — a FIFO outside the cache, to detect a read through a
# planted link: a writer waits to open it, and opening a FIFO blocks until
# both ends are open, so the writer leaves its open (and writes
# $FIFO_MARK) only if something opened PATH to read it. The writer is
# waited for until it blocks in openat, so that even a non-blocking open
# made right after this is seen; assert_fifo_not_opened stops it (so does
# the test's end).
plant_fifo() {
	FIFO=$1
	FIFO_MARK=$WORK/fifo-opened.$RANDOM
	mkfifo -m 600 "$FIFO"
	(exec 7>"$FIFO" && echo opened >"$FIFO_MARK") 2>/dev/null &
	FIFO_WRITER=$!
	trap 'kill "$FIFO_WRITER" 2>/dev/null; httpd_stop' EXIT
	for _ in $(seq 1 100); do
		case $(cat "/proc/$FIFO_WRITER/syscall" 2>/dev/null) in
		"257 "*) return 0 ;; # openat, blocked
		esac
		sleep 0.01
	done
	fail "the FIFO's writer never blocked in openat"
}
# Nothing opened $FIFO: its writer is still blocked in openat, and left no
# mark.
assert_fifo_not_opened() {
	local sc
	sc=$(cat "/proc/$FIFO_WRITER/syscall" 2>/dev/null)
	kill "$FIFO_WRITER" 2>/dev/null
	wait "$FIFO_WRITER" 2>/dev/null
	[ ! -e "$FIFO_MARK" ] && [ "${sc%% *}" = 257 ] ||
		fail "$FIFO, outside the cache, was opened through the planted link"
}

# ---- the first launch and the fresh cache --------------------------------

test_first_launch_fetches_once_and_runs_with_args() {
	serve
	fk "$BASE/hello" one "two words"
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" one "two words")" stdout
	assert_requests 1
	assert_eq "$(log_line 1)" "GET /hello 200 $(size "$ROOT/hello") inm=" \
		"nginx log"
	assert_file "$(obj_path "$(sha "$ROOT/hello")")"
	fk "$BASE/exit_with" 42
	expect_code 42
	assert_requests 1 "GET /exit_with 200"
}

test_fresh_entry_makes_no_request_and_does_not_load_libcurl() {
	serve 'location = /hello { add_header Cache-Control "max-age=3600"; }'
	fk -vv "$BASE/hello" first
	expect_code 0
	assert_contains "$ERR" "debug: loading libcurl" "-vv of a fetch"
	fk -vv "$BASE/hello" second
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" second)" stdout
	assert_requests 1
	assert_not_contains "$ERR" "loading libcurl" "-vv of a fresh launch"
	assert_contains "$ERR" "from cache" "-vv of a fresh launch"
}

test_within_default_ttl_makes_no_request() {
	serve # nginx sends no Cache-Control: --ttl (300 s) decides
	fk "$BASE/exit_with" 3
	expect_code 3
	fk "$BASE/exit_with" 4
	expect_code 4
	assert_requests 1
}

# ---- revalidation ---------------------------------------------------------

test_expired_entry_revalidates_with_etag_and_reuses_object_on_304() {
	serve
	fk --ttl 0 "$BASE/hello" a
	expect_code 0
	local etag obj ino
	etag=$(sed -n 's/^etag //p' "$CACHE"/urls/*)
	[ -n "$etag" ] || fail "the entry recorded no ETag: $(cat "$CACHE"/urls/*)"
	obj=$(obj_path "$(sha "$ROOT/hello")")
	ino=$(stat -c %i "$obj")
	fk --ttl 0 "$BASE/hello" b
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" b)" stdout
	assert_requests 2
	assert_eq "$(log_line 2)" "GET /hello 304 0 inm=$etag" "nginx log"
	assert_eq "$(count_files objects)" 1 "objects in the cache"
	assert_eq "$(stat -c %i "$obj")" "$ino" "the object's inode (reused)"
}

test_no_cache_response_revalidates_every_launch() {
	serve 'location = /hello { add_header Cache-Control "no-cache"; }'
	local i
	for i in 1 2 3; do
		fk "$BASE/hello" "$i"
		expect_code 0
		assert_eq "$OUT" "$(hello_says "$BASE/hello" "$i")" stdout
	done
	assert_requests 3
	assert_requests 2 "GET /hello 304 0 inm=\""
	assert_eq "$(count_files objects)" 1 "objects in the cache"
}

test_max_age_0_revalidates_the_next_launch() {
	serve 'location = /hello { add_header Cache-Control "max-age=0"; }'
	fk "$BASE/hello"
	expect_code 0
	fk "$BASE/hello"
	expect_code 0
	assert_requests 2
	assert_requests 1 "GET /hello 304 0 inm=\""
}

test_refresh_revalidates_within_max_age() {
	serve 'location = /hello { add_header Cache-Control "max-age=3600"; }'
	# Fetch and refresh in the same second of the clock, as a user who
	# refreshes right after a download does.
	at_start_of_second
	fk "$BASE/hello"
	expect_code 0
	fk --refresh "$BASE/hello" again
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" again)" stdout
	assert_requests 2
	assert_requests 1 "GET /hello 304 0 inm=\""
	# The 304 extended the entry: a plain launch is fresh again.
	fk "$BASE/hello"
	expect_code 0
	assert_requests 2
}

test_changed_program_is_fetched_again_after_expiry() {
	serve
	cp "$ROOT/hello" "$ROOT/prog"
	fk --ttl 0 "$BASE/prog"
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/prog")" stdout
	cp "$PROGS/exit_with" "$ROOT/prog" # a new size, so a new ETag
	fk --ttl 0 "$BASE/prog" 7
	expect_code 7
	assert_no_output
	assert_requests 2
	assert_eq "$(log_line 2 | cut -d' ' -f1-4)" \
		"GET /prog 200 $(size "$ROOT/exit_with")" \
		"the second request (a full download)"
	run "$RUN" -C "$CACHE" --cache-list
	assert_contains "$OUT" "$BASE/prog sha256=$(sha "$PROGS/exit_with") " \
		"--cache-list"
}

test_no_store_response_runs_and_keeps_nothing() {
	serve 'location = /hello { add_header Cache-Control "no-store"; }'
	fk "$BASE/hello"
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello")" stdout
	assert_nothing_cached
	fk "$BASE/hello"
	expect_code 0
	assert_requests 2 "GET /hello 200"
}

# ---- pins -------------------------------------------------------------------

test_pinned_url_with_matching_hash_runs() {
	serve
	fk "$BASE/hello#sha256=$(sha "$ROOT/hello")" x
	expect_code 0
	# argv[0] is the URL without its fragment.
	assert_eq "$OUT" "$(hello_says "$BASE/hello" x)" stdout
	assert_requests 1
	assert_file "$(obj_path "$(sha "$ROOT/hello")")"
}

test_pinned_url_with_wrong_hash_exits_127_and_keeps_nothing() {
	serve
	local want got
	want=$(sha "$PROGS/exit_with")
	got=$(sha "$ROOT/hello")
	fk "$BASE/hello#sha256=$want"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/hello" "stderr"
	assert_contains "$ERR" "hash mismatch" "stderr"
	assert_contains "$ERR" "$want" "stderr"
	assert_nothing_cached
	run "$RUN" -C "$CACHE" --cache-list
	expect_code 0
	assert_not_contains "$OUT" "$BASE/hello" "--cache-list"
	# A cached, unpinned copy does not satisfy a pin it does not match.
	fk "$BASE/hello"
	expect_code 0
	fk "$BASE/hello#sha256=$want"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "hash mismatch" "stderr"
	assert_eq "$(files_in objects)" "$(obj_path "$got")" "objects"
}

test_pinned_url_already_cached_runs_with_no_request_even_with_server_stopped() {
	serve
	fk "$BASE/hello"
	expect_code 0
	local pin
	pin=$(sha "$ROOT/hello")
	# Another URL with the same bytes: the pin alone finds the object.
	fk "$BASE/other#sha256=$pin" y
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/other" y)" stdout
	assert_requests 1
	httpd_stop
	fk "$BASE/other#sha256=$pin" z
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/other" z)" stdout
	assert_eq "$ERR" "" "stderr (no warning: nothing was attempted)"
}

# ---- offline and stale-on-error --------------------------------------------

test_offline_runs_cached_program_with_server_stopped() {
	serve
	fk --ttl 0 "$BASE/hello" # stale at once
	expect_code 0
	httpd_stop
	fk --offline "$BASE/hello" off
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" off)" stdout
	# Not stale-on-error, which runs the same copy after a failed try.
	assert_eq "$ERR" "" "stderr (no warning: nothing was attempted)"
}

test_offline_makes_no_request_with_the_server_up() {
	serve
	fk --ttl 0 "$BASE/hello" # stale at once: a plain launch revalidates
	expect_code 0
	fk --offline "$BASE/hello" off
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" off)" stdout
	assert_eq "$ERR" "" "stderr (no warning: nothing was attempted)"
	fk --offline -v "$BASE/hello"
	expect_code 0
	assert_not_contains "$ERR" "running the cached copy" "-v of --offline"
	assert_requests 1
	# What --offline saved: the same launch without it asks the server.
	fk "$BASE/hello"
	expect_code 0
	assert_requests 2
	assert_requests 1 "GET /hello 304"
}

test_offline_with_nothing_cached_exits_127() {
	serve
	fk --offline "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/hello" "stderr"
	assert_contains "$ERR" "not in the cache (--offline)" "stderr"
	assert_requests 0
}

test_stale_copy_runs_with_warning_when_server_is_down() {
	serve
	fk --ttl 0 "$BASE/hello"
	expect_code 0
	httpd_stop
	fk "$BASE/hello" stale
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" stale)" stdout
	assert_contains "$ERR" "$BASE/hello: " "the warning"
	assert_contains "$ERR" "running the cached copy" "the warning"
	# -q prints errors only: the stale copy runs silently.
	fk -q "$BASE/hello"
	expect_code 0
	assert_eq "$ERR" "" "stderr with -q"
}

test_stale_copy_runs_with_warning_on_503() {
	serve 'location = /hello { if (-f $document_root/DOWN) { return 503; } }'
	fk --ttl 0 "$BASE/hello"
	expect_code 0
	touch "$ROOT/DOWN"
	fk "$BASE/hello" stale
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" stale)" stdout
	assert_contains "$ERR" "$BASE/hello: HTTP 503" "the warning"
	assert_contains "$ERR" "running the cached copy" "the warning"
	assert_requests 1 "GET /hello 503"
}

test_404_after_success_is_an_error_even_with_stale_copy() {
	serve
	fk --ttl 0 "$BASE/hello"
	expect_code 0
	rm "$ROOT/hello" # the publisher withdrew it
	fk "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/hello: HTTP 404" "stderr"
	assert_not_contains "$ERR" "cached copy" "stderr"
}

test_410_after_success_is_an_error_even_with_stale_copy() {
	serve 'location = /hello { if (-f $document_root/GONE) { return 410; } }'
	fk --ttl 0 "$BASE/hello"
	expect_code 0
	touch "$ROOT/GONE"
	fk "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/hello: HTTP 410" "stderr"
}

# ---- corruption -------------------------------------------------------------

test_corrupted_object_is_detected_and_refetched() {
	serve 'location = /hello { add_header Cache-Control "max-age=3600"; }'
	fk "$BASE/hello"
	expect_code 0
	local obj
	obj=$(obj_path "$(sha "$ROOT/hello")")
	chmod u+w "$obj"
	printf 'XXXXXXXXXXXXXXXX' | dd of="$obj" bs=1 seek=4096 conv=notrunc \
		status=none
	chmod 0444 "$obj"
	fk "$BASE/hello" again
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" again)" stdout
	assert_contains "$ERR" "$BASE/hello: the cached copy is corrupt" "stderr"
	assert_requests 2 "GET /hello 200"
	assert_eq "$(sha "$obj")" "$(sha "$ROOT/hello")" "the object's bytes"
	assert_eq "$(stat -c %a "$obj")" 444 "the object's mode"
}

test_object_swapped_for_another_valid_program_is_not_run() {
	serve 'location = /hello { add_header Cache-Control "max-age=3600"; }'
	fk "$BASE/hello"
	expect_code 0
	local obj
	obj=$(obj_path "$(sha "$ROOT/hello")")
	chmod u+w "$obj"
	cat "$PROGS/exit_with" >"$obj" # a good static ELF, wrong bytes
	chmod 0444 "$obj"
	fk "$BASE/hello" 9
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" 9)" stdout
	assert_contains "$ERR" "corrupt" "stderr"
	assert_requests 2
}

test_cache_verify_removes_corrupt_object_and_exits_1() {
	serve
	fk "$BASE/hello"
	expect_code 0
	fk "$BASE/exit_with"
	expect_code 0
	local bad good
	bad=$(obj_path "$(sha "$ROOT/hello")")
	good=$(obj_path "$(sha "$ROOT/exit_with")")
	chmod u+w "$bad"
	printf 'corrupt' | dd of="$bad" bs=1 seek=100 conv=notrunc status=none
	run "$RUN" -C "$CACHE" --cache-verify
	expect_code 1
	assert_contains "$OUT" "objects/${bad#"$CACHE/objects/"}: corrupt" \
		"--cache-verify's report"
	assert_contains "$OUT" "$BASE/hello: its object is gone; entry removed" \
		"--cache-verify's report"
	assert_no_file "$bad"
	assert_file "$good"
	run "$RUN" -C "$CACHE" --cache-verify
	expect_code 0
	assert_contains "$OUT" "all good" "--cache-verify's report"
	run "$RUN" -C "$CACHE" --cache-list
	assert_not_contains "$OUT" "$BASE/hello " "--cache-list after verify"
	assert_contains "$OUT" "$BASE/exit_with " "--cache-list after verify"
}

test_cache_verify_on_clean_cache_exits_0() {
	serve
	fk "$BASE/hello"
	expect_code 0
	run "$RUN" -C "$CACHE" --cache-verify
	expect_code 0
	assert_eq "$OUT" "verified 1 objects and 1 entries: all good" \
		"--cache-verify's report"
	assert_file "$(obj_path "$(sha "$ROOT/hello")")"
}

# ---- concurrency ------------------------------------------------------------

test_concurrent_launches_fetch_once() {
	# 20 KB/s: hello's 33 KB take about a second, so all eight
	# launches are waiting on the same fetch.
	serve 'location = /hello { limit_rate 20k; }'
	local d=$WORK/conc i pids=()
	mkdir -p "$d"
	for i in 1 2 3 4 5 6 7 8; do
		(
			c=0
			"$RUN" -v -n -C "$CACHE" "$BASE/hello" "$i" \
				>"$d/out.$i" 2>"$d/err.$i" </dev/null || c=$?
			echo "$c" >"$d/code.$i"
		) &
		pids+=("$!")
	done
	wait "${pids[@]}" # not a bare wait: nginx is a child too
	cat "$d"/err.* | grep -q "waiting for another launch fetching $BASE/hello" ||
		fail "no launch waited for another: $(cat "$d"/err.*)"
	for i in 1 2 3 4 5 6 7 8; do
		CODE=$(cat "$d/code.$i") OUT=$(cat "$d/out.$i") ERR=$(cat "$d/err.$i")
		expect_code 0
		assert_eq "$OUT" "$(hello_says "$BASE/hello" "$i")" "stdout of launch $i"
	done
	assert_requests 1 "GET /hello "
	assert_requests 1
	assert_eq "$(count_files objects)" 1 "objects in the cache"
	assert_tmp_empty
}

# ---- fetch failures: 127 ---------------------------------------------------

test_http_404_exits_127() {
	serve
	fk "$BASE/missing"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/missing: HTTP 404" "stderr"
	assert_nothing_cached
}

test_http_500_exits_127() {
	serve 'location = /boom { return 500; }'
	fk "$BASE/boom"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/boom: HTTP 500" "stderr"
	assert_nothing_cached
}

test_body_over_max_size_exits_127_naming_the_cap() {
	serve
	fk --max-size 10K "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/hello" "stderr"
	assert_contains "$ERR" "size cap (10 KiB)" "stderr"
	assert_nothing_cached
}

test_huge_program_over_default_cap_exits_127() {
	serve
	cp "$ROOT/hello" "$ROOT/huge"
	truncate -s 65M "$ROOT/huge" # an ELF padded past the 64 MiB default
	fk "$BASE/huge"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "size cap (64 MiB)" "stderr"
	assert_nothing_cached
}

test_timeout_on_slow_body_exits_127_naming_the_timeout() {
	serve 'location = /hello { limit_rate 4k; }' # about 8 s for 33 KB
	local t0=$SECONDS
	fk --timeout 1 "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/hello: timed out after 1 s" "stderr"
	[ $((SECONDS - t0)) -le 4 ] || fail "took $((SECONDS - t0)) s to time out"
	assert_nothing_cached
}

test_body_that_stops_halfway_exits_127_and_is_not_cached() {
	# nginx has promised the whole file in Content-Length; truncating the
	# file while it trickles out makes it close the connection early.
	# sendfile: the bytes are read as they are sent, not buffered first.
	serve 'location = /hello { sendfile on; limit_rate 8k; }'
	local i pid
	(
		c=0
		"$RUN" -n -C "$CACHE" "$BASE/hello" >"$WORK/half.out" \
			2>"$WORK/half.err" </dev/null || c=$?
		echo "$c" >"$WORK/half.code"
	) &
	pid=$!
	for i in $(seq 1 100); do
		[ -n "$(ss -Htn state established "( sport = :$HTTPD_PORT )")" ] &&
			break
		sleep 0.02
	done
	sleep 0.3 # the first 8 KB are out; the next go in a second
	truncate -s 12000 "$ROOT/hello"
	wait "$pid"
	CODE=$(cat "$WORK/half.code") OUT=$(cat "$WORK/half.out")
	ERR=$(cat "$WORK/half.err")
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/hello: transfer ended early" "stderr"
	assert_nothing_cached
}

# hostile MODE [FILE] — test/tools/hostile_httpd on a loopback port; sets
# HOSTILE (its base URL) and a cache for this test.
hostile() {
	local t=${FUNCNAME[1]}
	CACHE=$WORK/cache-$t
	"$TOP/build/tools/hostile_httpd" "$WORK/port-$t" "$@" &
	HOSTILE_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$WORK/port-$t" ] && break
		sleep 0.02
	done
	[ -s "$WORK/port-$t" ] || fail "hostile_httpd did not start"
	HOSTILE="http://127.0.0.1:$(cat "$WORK/port-$t")"
}
hostile_stop() {
	kill "$HOSTILE_PID" 2>/dev/null
	wait "$HOSTILE_PID" 2>/dev/null
}

test_slowloris_headers_time_out_and_exit_127() {
	hostile slowloris
	local t0=$SECONDS
	fk --timeout 2 "$HOSTILE/prog"
	hostile_stop
	expect_code 127
	assert_contains "$ERR" "timed out"
	[ $((SECONDS - t0)) -le 10 ] || fail "took $((SECONDS - t0)) s"
	assert_nothing_cached
}

# The download helper holds the console, the body and the reply fd, and
# nothing of fakeos-run's: here a file fakeos-run inherited open (not
# close-on-exec) from its own caller. Caught while the helper waits on a
# server that never answers.
test_fetch_helper_inherits_no_stray_descriptor() {
	hostile slowloris
	echo marker >"$WORK/marker"
	(
		exec 7<"$WORK/marker"
		exec "$RUN" -n -C "$CACHE" --timeout 5 "$HOSTILE/prog" \
			>/dev/null 2>&1 </dev/null
	) &
	local pid=$! helper="" i
	for i in $(seq 1 200); do
		helper=$(pgrep -P "$pid" -x fakeos-fetch || true)
		[ -n "$helper" ] && [ -e "/proc/$helper/fd/4" ] && break
		sleep 0.02
	done
	[ -n "$helper" ] || { kill "$pid"; hostile_stop; fail "no helper ran"; }
	sleep 0.2 # past the helper's first steps
	local fds flags
	fds=$(ls -l "/proc/$helper/fd" 2>/dev/null)
	# fakeos-run keeps it, close-on-exec (O_CLOEXEC, octal 02000000).
	flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$pid/fdinfo/7" 2>/dev/null)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	hostile_stop
	assert_contains "$fds" " 3 -> " "the body fd"
	assert_contains "$fds" " 4 -> " "the reply fd"
	assert_not_contains "$fds" "$WORK/marker" "the inherited file"
	[ -n "$flags" ] || fail "fakeos-run does not hold descriptor 7"
	[ $((0$flags & 02000000)) -ne 0 ] ||
		fail "fakeos-run left the inherited descriptor 7 inheritable (flags $flags)"
}

test_content_length_longer_than_body_exits_127_and_is_not_cached() {
	hostile long-length "$EXAMPLES/hello"
	fk "$HOSTILE/prog"
	hostile_stop
	expect_code 127
	assert_contains "$ERR" "ended early"
	assert_no_output
	assert_nothing_cached
}

test_content_length_shorter_than_body_is_refused() {
	# curl stops at the length it was told: half an ELF is not a program.
	hostile short-length "$EXAMPLES/hello"
	fk "$HOSTILE/prog"
	hostile_stop
	expect_code 126
	assert_contains "$ERR" "truncated ELF"
	assert_no_output
	assert_nothing_cached
}

test_non_http_answer_exits_127() {
	hostile garbage
	fk --timeout 5 "$HOSTILE/prog"
	hostile_stop
	expect_code 127
	assert_not_contains "$ERR" "HTTP 200"
	assert_nothing_cached
}

test_endless_headers_exit_127() {
	hostile endless-header
	fk --timeout 5 "$HOSTILE/prog"
	hostile_stop
	expect_code 127
	assert_nothing_cached
}

test_silent_server_times_out() {
	hostile silent
	fk --timeout 1 "$HOSTILE/prog"
	hostile_stop
	expect_code 127
	assert_contains "$ERR" "timed out"
}

test_progress_bar_on_a_terminal_only() {
	command -v script >/dev/null || skip "no script(1)"
	serve 'location = /hello { limit_rate 16k; }'
	# On a pty (script): a bar that names the download.
	run script -qec "'$RUN' -n -C '$CACHE-tty' '$BASE/hello'" /dev/null
	assert_contains "$OUT" "hello from fakeOS"
	assert_contains "$OUT" "KiB"
	# Not on a terminal: no bar at all.
	fk "$BASE/hello"
	expect_code 0
	assert_eq "$ERR" "" "stderr off a terminal"
}

test_connection_refused_exits_127() {
	serve
	local url=$BASE/hello
	httpd_stop # nothing listens on that port now
	fk "$url"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$url: " "stderr"
	assert_contains "$ERR" "onnect" "stderr (names the failed connection)"
	assert_nothing_cached
}

test_bad_urls_exit_127_without_a_request() {
	serve
	local host=127.0.0.1:$HTTPD_PORT url why
	while IFS='|' read -r url why; do
		fk "$url"
		expect_code 127
		assert_no_output
		assert_contains "$ERR" "fakeos-run: $url: $why" "stderr for $url"
	done <<-EOF
		ftp://$host/hello|unsupported scheme 'ftp'
		/hello|not a URL (no scheme)
		$BASE/hello#main|unsupported fragment '#main'
		$BASE/hello#sha256=1234|#sha256= needs exactly 64 hex digits
		$BASE/hello#sha256=$(printf 'g%.0s' $(seq 64))|#sha256= needs exactly 64 hex digits
		http://user:pw@$host/hello|credentials in URLs
		http://$host/he llo|space in URL
	EOF
	assert_requests 0
}

# ---- redirects ----------------------------------------------------------------

test_redirect_is_followed() {
	serve 'location = /moved { return 302 /hello; }'
	fk "$BASE/moved" r
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/moved" r)" stdout
	assert_eq "$(log_line 1 | cut -d' ' -f1-3)" "GET /moved 302" "request 1"
	assert_eq "$(log_line 2 | cut -d' ' -f1-3)" "GET /hello 200" "request 2"
}

test_five_redirects_are_followed_and_a_sixth_is_refused() {
	local conf="" i
	for i in 1 2 3 4 5 6; do
		conf="$conf location = /a$i { return 302 /a$((i + 1)); }"
	done
	# /a2 -> ... -> /a6 -> /hello is 5 hops; /a1 adds a sixth.
	serve "$conf location = /a7 { return 302 /hello; }"
	fk "$BASE/a3"
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/a3")" stdout
	fk "$BASE/a2"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "too many redirects" "stderr"
}

test_redirect_loop_exits_127_too_many_redirects() {
	serve 'location = /loop { return 302 /loop; }'
	fk "$BASE/loop"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/loop: too many redirects" "stderr"
	[ "$(requests)" -le 6 ] || fail "followed $(requests) requests"
	assert_nothing_cached
}

test_redirect_to_file_url_is_refused() {
	serve 'location = /tofile { return 302 file://$document_root/hello; }'
	fk "$BASE/tofile"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$BASE/tofile: " "stderr"
	assert_contains "$ERR" "file://" "stderr (names the refused target)"
	assert_contains "$ERR" "refused" "stderr"
	assert_nothing_cached
}

test_https_to_http_redirect_is_refused() {
	# Sends https requests to plain http on the same port: followed, it
	# would show up in the log as a second request.
	serve 'location = /down { return 302 http://127.0.0.1:$server_port/hello; }'
	local url=$HTTPD_TLS_URL/down
	fk --cacert "$HTTPD_CA" "$url"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$url: " "stderr"
	assert_contains "$ERR" "redirect from https to http refused" "stderr"
	assert_requests 1
	assert_nothing_cached
}

# ---- not a program: 126 -----------------------------------------------------

test_text_file_exits_126() {
	serve
	echo "just some notes, not a program" >"$ROOT/notes"
	fk "$BASE/notes"
	expect_code 126
	assert_no_output
	assert_contains "$ERR" "$BASE/notes: not an ELF program" "stderr"
	assert_nothing_cached
}

test_shell_script_exits_126() {
	serve
	printf '#!/bin/sh\necho pwned\n' >"$ROOT/script"
	fk "$BASE/script"
	expect_code 126
	assert_no_output
	assert_contains "$ERR" "$BASE/script: not an ELF program: a script" \
		"stderr"
	assert_nothing_cached
}

test_dynamic_elf_exits_126() {
	serve
	cp /bin/true "$ROOT/true"
	fk "$BASE/true"
	expect_code 126
	assert_no_output
	assert_contains "$ERR" "$BASE/true: dynamically linked" "stderr"
	assert_nothing_cached
}

test_truncated_elf_exits_126() {
	serve
	head -c 1000 "$ROOT/hello" >"$ROOT/half"
	fk "$BASE/half"
	expect_code 126
	assert_no_output
	assert_contains "$ERR" "$BASE/half: " "stderr"
	assert_contains "$ERR" "truncated ELF" "stderr"
	assert_nothing_cached
}

# ---- https --------------------------------------------------------------------

test_https_with_cacert_runs() {
	serve
	fk --cacert "$HTTPD_CA" "$HTTPD_TLS_URL/hello" s
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$HTTPD_TLS_URL/hello" s)" stdout
	assert_requests 1 "GET /hello 200"
}

test_https_with_untrusted_certificate_exits_127() {
	serve
	fk "$HTTPD_TLS_URL/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "$HTTPD_TLS_URL/hello: " "stderr"
	assert_contains "$ERR" "SSL certificate problem" "stderr"
	assert_requests 0 # the handshake failed before any request
	assert_nothing_cached
}

# ---- the cache commands --------------------------------------------------------

test_cache_list_shows_url_and_sha256() {
	serve
	fk "$BASE/hello"
	fk "$BASE/exit_with"
	run "$RUN" -C "$CACHE" --cache-list
	expect_code 0
	assert_eq "$(echo "$OUT" | wc -l)" 2 "lines of --cache-list"
	assert_eq "$(echo "$OUT" | sed -n 1p | cut -d' ' -f1-3)" \
		"$BASE/exit_with sha256=$(sha "$ROOT/exit_with") size=$(size "$ROOT/exit_with")" \
		"--cache-list line 1"
	assert_eq "$(echo "$OUT" | sed -n 2p | cut -d' ' -f1-3)" \
		"$BASE/hello sha256=$(sha "$ROOT/hello") size=$(size "$ROOT/hello")" \
		"--cache-list line 2"
}

test_cache_clear_empties_the_cache() {
	serve
	fk "$BASE/hello"
	fk "$BASE/exit_with"
	run "$RUN" -C "$CACHE" --cache-clear
	expect_code 0
	assert_eq "$(files_in objects)" "" "objects after --cache-clear"
	assert_eq "$(files_in urls)" "" "entries after --cache-clear"
	run "$RUN" -C "$CACHE" --cache-list
	expect_code 0
	assert_eq "$OUT" "" "--cache-list after --cache-clear"
	fk "$BASE/hello"
	expect_code 0
	assert_requests 3
}

# ---- a hostile cache directory ---------------------------------------------------

test_cache_dir_is_created_0700_and_objects_0444() {
	serve
	CACHE=$WORK/new-parent/cache
	fk "$BASE/hello"
	expect_code 0
	assert_eq "$(stat -c %a "$CACHE")" 700 "the cache dir's mode"
	assert_eq "$(stat -c %a "$WORK/new-parent")" 700 "a new parent's mode"
	local f
	for f in $(files_in objects); do
		assert_eq "$(stat -c %a "$f")" 444 "mode of $f"
	done
	assert_eq "$(count_files objects)" 1 "objects"
}

test_world_writable_cache_dir_is_refused() {
	serve
	local mode
	for mode in 777 770 702; do
		rm -rf "$CACHE"
		mkdir -m "$mode" "$CACHE"
		fk "$BASE/hello"
		expect_code 127
		assert_no_output
		assert_contains "$ERR" "cache directory $CACHE is writable by group or others" \
			"stderr for mode $mode"
		assert_eq "$(ls -A "$CACHE")" "" "the refused dir's contents"
	done
	assert_requests 0
	# The cache commands refuse it too (an error of fakeos-run: 125).
	run "$RUN" -C "$CACHE" --cache-list
	expect_code 125
	assert_contains "$ERR" "writable by group or others" "--cache-list"
}

test_symlinked_cache_dir_is_refused() {
	serve
	# Where hello's entry would be, were the link followed.
	mkdir "$OUTSIDE/urls"
	plant_fifo "$OUTSIDE/urls/$(printf '%s' "$BASE/hello" | sha256sum | cut -c1-64)"
	local before
	before=$(tree_sum "$OUTSIDE")
	ln -s "$OUTSIDE" "$CACHE"
	fk "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_fifo_not_opened
	assert_eq "$(tree_sum "$OUTSIDE")" "$before" "the link's target"
	assert_requests 0
}

# Plants, outside the cache, an entry for $BASE/hello that names the cached
# exit_with object and stays fresh for a day: followed, the launch would run
# exit_with with no request.
plant_outside_entry() {
	local key
	key=$(printf '%s' "$BASE/hello" | sha256sum | cut -c1-64)
	cat >"$OUTSIDE/$key" <<-EOF
		fakeos-cache-entry 1
		url $BASE/hello
		object $(sha "$ROOT/exit_with")
		size $(size "$ROOT/exit_with")
		fetched $(date +%s)
		expires $(($(date +%s) + 86400))
		end
	EOF
}

test_symlinked_urls_dir_is_refused_and_not_followed() {
	serve
	fk "$BASE/exit_with"
	fk "$BASE/hello"
	expect_code 0
	plant_outside_entry
	local before
	before=$(tree_sum "$OUTSIDE")
	rm -rf "$CACHE/urls"
	ln -s "$OUTSIDE" "$CACHE/urls"
	fk "$BASE/hello" 5
	expect_code 127
	assert_contains "$ERR" "urls" "stderr"
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_eq "$(tree_sum "$OUTSIDE")" "$before" "the link's target"
	# exit_with's entry, through the link, is a FIFO: it is never opened.
	plant_fifo "$OUTSIDE/$(printf '%s' "$BASE/exit_with" | sha256sum | cut -c1-64)"
	fk "$BASE/exit_with" 5
	expect_code 127
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_fifo_not_opened
}

test_symlinked_objects_subdir_is_refused_and_outside_file_is_kept() {
	serve
	fk "$BASE/hello"
	expect_code 0
	local hex sub
	hex=$(sha "$ROOT/hello")
	sub=$CACHE/objects/${hex:0:2}
	# The target holds a file under the object's name with the wrong bytes:
	# followed, the launch would find it corrupt and delete it.
	cp "$ROOT/exit_with" "$OUTSIDE/$hex"
	local before
	before=$(tree_sum "$OUTSIDE")
	rm -rf "$sub"
	ln -s "$OUTSIDE" "$sub"
	fk "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "objects/${hex:0:2}" "stderr"
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_eq "$(tree_sum "$OUTSIDE")" "$before" "the link's target"
	# The same name through the link as a FIFO: never opened either.
	rm "$OUTSIDE/$hex"
	plant_fifo "$OUTSIDE/$hex"
	fk "$BASE/hello"
	expect_code 127
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_fifo_not_opened
}

test_symlinked_objects_subdir_in_new_cache_is_not_written_through() {
	serve
	local hex
	hex=$(sha "$ROOT/hello")
	mkdir -m 700 "$CACHE" "$CACHE/objects"
	ln -s "$OUTSIDE" "$CACHE/objects/${hex:0:2}"
	fk "$BASE/hello"
	# The program is in memory and runs; only keeping it fails.
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello")" stdout
	assert_contains "$ERR" "$BASE/hello: not cached" "stderr"
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_eq "$(ls -A "$OUTSIDE")" "" "the link's target"
	assert_eq "$(files_in urls)" "" "entries (naming an object not kept)"
	assert_tmp_empty
}

test_symlinked_object_is_refused() {
	serve
	fk "$BASE/hello"
	expect_code 0
	local obj
	obj=$(obj_path "$(sha "$ROOT/hello")")
	cp "$ROOT/hello" "$OUTSIDE/hello"
	local before
	before=$(tree_sum "$OUTSIDE")
	rm -f "$obj"
	ln -s "$OUTSIDE/hello" "$obj"
	fk "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_eq "$(tree_sum "$OUTSIDE")" "$before" "the link's target"
	assert_requests 1
	# A link to a FIFO: the launch and --cache-verify (which reads every
	# object) refuse it without opening it.
	rm -f "$obj"
	plant_fifo "$OUTSIDE/fifo"
	ln -s "$OUTSIDE/fifo" "$obj"
	fk "$BASE/hello"
	expect_code 127
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	run "$RUN" -C "$CACHE" --cache-verify
	expect_code 1
	assert_contains "$OUT" "objects/${obj#"$CACHE/objects/"}: not a cache object; removed" \
		"--cache-verify's report"
	assert_no_file "$obj"
	assert_fifo_not_opened
	assert_requests 1
}

test_symlinked_entry_is_refused_and_never_opened() {
	serve
	fk "$BASE/hello"
	expect_code 0
	local entry
	entry=$(files_in urls)
	rm "$entry"
	plant_fifo "$OUTSIDE/entry"
	ln -s "$OUTSIDE/entry" "$entry"
	fk "$BASE/hello"
	expect_code 127
	assert_no_output
	assert_contains "$ERR" "urls/${entry##*/} is or passes through a symbolic link; refused" \
		"stderr"
	# The cache commands read every entry: they refuse it too.
	run "$RUN" -C "$CACHE" --cache-list
	expect_code 0
	assert_contains "$ERR" "symbolic link; refused" "--cache-list's warning"
	run "$RUN" -C "$CACHE" --cache-verify
	expect_code 1
	assert_contains "$OUT" "urls/${entry##*/}: " "--cache-verify's report"
	assert_contains "$OUT" "symbolic link; refused; removed" "--cache-verify's report"
	assert_fifo_not_opened
	assert_no_file "$entry"
	assert_requests 1
}

test_symlinked_tmp_dir_is_not_written_through() {
	serve
	mkdir -p "$CACHE"
	chmod 700 "$CACHE"
	ln -s "$OUTSIDE" "$CACHE/tmp"
	fk "$BASE/hello"
	# The program is in memory and runs; only keeping it fails.
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello")" stdout
	assert_contains "$ERR" "$BASE/hello: not cached" "stderr"
	assert_contains "$ERR" "symbolic link; refused" "stderr"
	assert_eq "$(ls -A "$OUTSIDE")" "" "the link's target"
	assert_eq "$(files_in urls)" "" "entries (naming an object not kept)"
}

test_entry_naming_a_path_outside_the_cache_is_removed() {
	serve 'location = /hello { add_header Cache-Control "max-age=3600"; }'
	fk "$BASE/hello"
	expect_code 0
	local entry
	entry=$(files_in urls)
	cp "$ROOT/exit_with" "$OUTSIDE/prog"
	sed -i "s|^object .*|object ../../../outside-${FUNCNAME[0]}/prog|" "$entry"
	fk "$BASE/hello" ok
	expect_code 0
	assert_eq "$OUT" "$(hello_says "$BASE/hello" ok)" stdout
	assert_contains "$ERR" "removing it" "stderr (the malformed entry)"
	assert_requests 2
	assert_file "$OUTSIDE/prog"
	assert_contains "$(cat "$entry")" "object $(sha "$ROOT/hello")" \
		"the rewritten entry"
	# An entry naming a FIFO outside: it is never opened.
	plant_fifo "$OUTSIDE/fifo"
	sed -i "s|^object .*|object ../../../outside-${FUNCNAME[0]}/fifo|" "$entry"
	fk "$BASE/hello" ok
	expect_code 0
	assert_contains "$ERR" "removing it" "stderr (the malformed entry)"
	assert_fifo_not_opened
}

run_tests

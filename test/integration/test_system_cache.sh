#!/bin/bash
# fakeosd's system cache: the daemon fetches every account's http(s)
# programs into one cache that only it writes, so a program fetched once
# runs for everyone without another request. Sharing it must not let one
# account change what another runs: not by writing the cache, not by a
# wrong pin, not by a download it abandons, not by a file only it can
# read. A real nginx on 127.0.0.1 logs every request; accounts are root
# and two other uids (setpriv).
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/daemon.sh"
. "$TOP/test/lib/httpd.sh"

# shellcheck disable=SC2016 # nginx variables
HTTPD_LOG_FORMAT='$request_method $request_uri $status'
OTHER="setpriv --reuid=65533 --regid=65533 --clear-groups --"

daemon_cleanup() { httpd_stop; }

# serve [EXTRA_NGINX_CONFIG] — exit_with, api_probe and a second copy of
# exit_with under another name, from $WORK/www.
serve() {
	mkdir -p "$WORK/www"
	cp "$TOP/build/progs/exit_with" "$TOP/build/progs/api_probe" "$WORK/www/"
	cp "$TOP/build/progs/exit_with" "$WORK/www/other"
	httpd_start "$WORK/www" "${1:-}" || fail "nginx did not start"
}

# How many requests for PATH nginx has logged.
requests_for() { grep -c "^GET $1 " "$HTTPD_LOG" || true; }

# Every object in the cache is named by its own sha256: nothing partial
# or foreign was stored.
assert_objects_intact() {
	local f n=0
	while IFS= read -r f; do
		n=$((n + 1))
		assert_eq "$(sha256sum <"$f" | cut -d' ' -f1)" "$(basename "$f")" \
			"the sha256 of cached object $f"
	done < <(find "$WORK/cache" -path '*/objects/*' -type f)
	[ "$n" -gt 0 ] || fail "the cache holds no object"
}

test_a_fresh_program_runs_from_the_cache_and_a_spawn_keeps_the_others() {
	serve
	daemon_start
	run "$RUN" -n "$HTTPD_URL/exit_with" 3
	expect_code 3
	run $NOBODY "$RUN" -n "$HTTPD_URL/exit_with" 4
	expect_code 4
	assert_eq "$(requests_for /exit_with)" 1 "fetches of exit_with for two accounts"
	# A program's spawn stores a program the cache did not have (other):
	# the cache keeps its bound, not only the newest program.
	run "$RUN" -n "$HTTPD_URL/api_probe" spawn "$HTTPD_URL/other" 0
	expect_code 0
	assert_contains "$OUT" "PASS"
	assert_eq "$(requests_for /other)" 1 "fetches of the spawned program"
	run "$RUN" -n "$HTTPD_URL/exit_with" 5
	expect_code 5
	run "$RUN" -n "$HTTPD_URL/api_probe" spawn "$HTTPD_URL/other" 0
	expect_code 0
	assert_eq "$(requests_for /exit_with)" 1 "fetches of exit_with after a spawn stored another"
	assert_eq "$(requests_for /api_probe)" 1 "fetches of api_probe"
	assert_eq "$(requests_for /other)" 1 "fetches of the spawned program, run twice"
	daemon_stop
}

test_no_user_can_write_the_system_cache() {
	serve
	daemon_start
	# nobody's run fills the cache: still the daemon's files, not nobody's.
	run $NOBODY "$RUN" -n "$HTTPD_URL/exit_with" 3
	expect_code 3
	assert_eq "$(find "$WORK/cache" \( ! -user root -o -perm /022 \) -print)" "" \
		"cache entries another user owns or may write"
	local d f tried=0
	while IFS= read -r d; do
		tried=$((tried + 1))
		$NOBODY touch "$d/planted" 2>/dev/null
		assert_no_file "$d/planted"
	done < <(find "$WORK/cache" -type d)
	[ "$tried" -gt 2 ] || fail "the cache has only $tried directories"
	while IFS= read -r f; do
		if $NOBODY sh -c 'printf x >>"$1"' sh "$f" 2>/dev/null; then
			fail "nobody could append to $f"
		fi
	done < <(find "$WORK/cache" -type f)
	assert_objects_intact
	run "$RUN" -n "$HTTPD_URL/exit_with" 6
	expect_code 6
	daemon_stop
}

test_a_wrong_pin_from_one_account_changes_nothing_another_runs() {
	serve
	daemon_start
	run "$RUN" -n "$HTTPD_URL/exit_with" 3
	expect_code 3
	local wrong
	wrong=$(printf 'bytes no server has' | sha256sum | cut -d' ' -f1)
	# The same URL pinned to bytes it does not have, from the cache and
	# then from the network: refused both times, and named. (A pin of
	# bytes the cache holds runs them, whatever the URL: they are what
	# the pin asks for, and run for nobody else.)
	run $NOBODY "$RUN" -n "$HTTPD_URL/exit_with#sha256=$wrong" 7
	[ "$CODE" -ne 0 ] && [ "$CODE" -ne 7 ] || fail "a wrong pin ran (exit $CODE)"
	assert_contains "$ERR" "sha256"
	run $NOBODY "$RUN" -n --refresh "$HTTPD_URL/exit_with#sha256=$wrong" 7
	[ "$CODE" -ne 0 ] && [ "$CODE" -ne 7 ] || fail "a wrong pin ran on refresh (exit $CODE)"
	# Root's run of the URL is the program it was.
	run "$RUN" -n "$HTTPD_URL/exit_with" 8
	expect_code 8
	assert_objects_intact
	daemon_stop
}

test_a_download_one_account_abandons_leaves_nothing_another_runs() {
	# A 3 MB program (exit_with with padding after its image), served at
	# 1 MB/s: nobody's client is killed a second into the download.
	mkdir -p "$WORK/www/slow"
	cp "$TOP/build/progs/exit_with" "$WORK/www/slow/big"
	head -c 3000000 /dev/urandom >>"$WORK/www/slow/big"
	serve 'location /slow/ { limit_rate 1m; }'
	daemon_start
	$NOBODY "$RUN" -n "$HTTPD_URL/slow/big" 3 >/dev/null 2>&1 &
	local client=$!
	sleep 1
	kill -9 "$client"
	wait "$client" 2>/dev/null
	# Root's run gets the whole program, verified, and runs it.
	run timeout 60 "$RUN" -n "$HTTPD_URL/slow/big" 9
	expect_code 9
	assert_eq "$(find "$WORK/cache" -path '*/objects/*' -type f -size +2M | wc -l)" 1 \
		"whole copies of the big program in the cache"
	assert_objects_intact
	daemon_stop
}

test_one_accounts_file_program_never_runs_for_another() {
	serve
	daemon_start
	mkdir -p "$WORK/mine"
	cp "$TOP/build/progs/exit_with" "$WORK/mine/prog"
	chown -R 65534:65534 "$WORK/mine"
	chmod 700 "$WORK/mine"
	run $NOBODY "$RUN" -n "file://$WORK/mine/prog" 3
	expect_code 3
	# Another account asks for the same path just after: it is opened
	# with that account's rights, not found in any cache, and refused.
	run $OTHER "$RUN" -n "file://$WORK/mine/prog" 3
	expect_code 127
	assert_contains "$ERR" "Permission denied"
	assert_contains "$(cat "$DLOG")" "uid 65533 (pid"
	daemon_stop
}

run_tests

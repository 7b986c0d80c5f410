#!/bin/bash
# A hostile tree of programs against the other programs of its tree and
# the host's resources, rather than against the jail: spawns cancelled by
# the hundred, a client and its helpers hoarding a server's link slots,
# broadcasts fanned out to many subscribers, subscribing twice. Each test
# runs the attack from test/escape/ under the real launcher and asserts
# the bound the broker documents (docs/SECURITY.md, one section per class)
# by what the host shows: processes, memory, what was delivered, what the
# log names.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/escape/harness.sh"
. "$TOP/test/lib/httpd.sh"

# The broker's defaults (broker_default_quotas): fetch workers per tree,
# links from one party to one server, broadcast deliveries a second and
# in a burst.
FETCHES=16
LINKS_PER_PARTY=16
DELIVERY_RATE=20000
DELIVERY_BURST=2048

# The broker's fetch processes: its fetch workers are forks of
# fakeos-run, each running the download helper fakeos-fetch.
# fetch_processes counts this test's wherever they are, so a helper
# orphaned to init counts too: a worker's command line is its launcher's,
# which names $WORK, and a helper's names this test's nginx. (A zombie
# has no command line; one left by the launcher, a subreaper, goes to
# init with it and is reaped.) Less what ran before the attack
# (FETCH_BASE) and the launcher while it runs (fetch_processes 1). Other
# tests running on the host cannot disturb the count.
# fetch_processes_in PID counts those below the launcher PID only (it is
# a subreaper: an orphaned helper is its child) in one snapshot of the
# process table on stdin (ps -e -o pid=,ppid=,stat=,comm=), and prints
# them after the count. One snapshot, because a helper read under its
# worker and read again under the launcher once the worker died would
# count twice (45 "at once" was seen so, as a tree ended).
FETCH_BASE=0
fetch_processes() { # [LAUNCHERS]
	local n=0 p mark
	for p in $(ps -e -o pid=,comm= |
		   awk '$2 == "fakeos-run" || $2 == "fakeos-fetch" { print $1 }'); do
		mark=$WORK
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = fakeos-fetch ] && mark=${HTTPD_URL:-$WORK}
		grep -qF -- "$mark" "/proc/$p/cmdline" 2>/dev/null && n=$((n + 1))
	done
	echo $((n - FETCH_BASE - ${1:-0}))
}
fetch_processes_in() { # PID <SNAPSHOT
	awk -v l="$1" '
		{ pid[NR] = $1; ppid[NR] = $2; comm[NR] = $4; line[NR] = $0
		  if ($2 == l && $4 == "fakeos-run") worker[$1] = 1 }
		END {
			for (i = 1; i <= NR; i++)
				if (pid[i] in worker ||
				    (comm[i] == "fakeos-fetch" &&
				     (ppid[i] == l || ppid[i] in worker)))
					found[++n] = line[i]
			print n + 0
			for (i = 1; i <= n; i++) print "      " found[i]
		}'
}

mem_available_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# slow_origin — nginx serving 4 MiB under /slow/ at 8 KiB a second: a
# fetch of it lasts for minutes, unless something ends it.
slow_origin() {
	mkdir -p "$WORK/www/slow"
	head -c 4M /dev/zero >"$WORK/www/slow/big"
	httpd_start "$WORK/www" 'location /slow/ { limit_rate 8k; }' ||
		fail "nginx did not start"
}

# watch_attack LINE PROG ARG... — runs build/escape/PROG in the background
# (spawning from the slow origin) and samples the broker's fetch processes
# and the host's available memory every 50 ms until the program prints
# LINE (at most 20 s). Sets MAX_FETCH, MEM_DROP_MIB and BG_PID.
watch_attack() {
	local until=$1
	shift
	attempt
	: >"$WORK/bg.out"
	local before now min i launcher counted
	FETCH_BASE=0
	FETCH_BASE=$(fetch_processes)
	before=$(mem_available_kib)
	min=$before
	timeout 60 "$RUN" -n -C "$WORK/cache" --spawn-from "$HTTPD_URL/" \
		"file://$ESCAPES/$1" "${@:2}" "$TAG" >"$WORK/bg.out" \
		2>"$WORK/bg.err" </dev/null &
	BG_PID=$!
	MAX_FETCH=0
	MAX_FETCH_PS=
	for i in $(seq 1 400); do
		# BG_PID is timeout(1); the launcher is its child.
		launcher=$(pgrep -P "$BG_PID" -x fakeos-run | head -n 1)
		now=0
		if [ -n "$launcher" ]; then
			counted=$(ps -e -o pid=,ppid=,stat=,comm= |
				  fetch_processes_in "$launcher")
			now=${counted%%$'\n'*}
		fi
		if [ "$now" -gt "$MAX_FETCH" ]; then
			MAX_FETCH=$now
			MAX_FETCH_PS=$counted
		fi
		now=$(mem_available_kib)
		[ "$now" -lt "$min" ] && min=$now
		grep -qx "$until" "$WORK/bg.out" && break
		sleep 0.05
	done
	MEM_DROP_MIB=$(((before - min) / 1024))
}

test_cancelled_spawns_stop_their_fetches_at_once() {
	slow_origin
	watch_attack holding spawn_cancel_loop "$HTTPD_URL/slow/big" 300
	# Half a second after the loop, its fetches must all be gone.
	sleep 0.5
	local after
	after=$(fetch_processes 1)
	wait "$BG_PID"
	CODE=$?
	OUT=$(cat "$WORK/bg.out")
	ERR=$(cat "$WORK/bg.err")
	echo "fetch processes: at most $MAX_FETCH during 300 cancelled spawns, $after after; available memory fell by at most $MEM_DROP_MIB MiB"
	expect_code 0
	assert_contains "$OUT" "spawned and closed 300"
	# A fetch is two processes: a worker and its download helper.
	[ "$MAX_FETCH" -le $((2 * FETCHES)) ] ||
		fail "$MAX_FETCH fetch processes ran for spawns nobody wanted (at most $FETCHES fetches); at the most:"$'\n'"$MAX_FETCH_PS"
	assert_eq "$after" "0" "fetch processes after the loop"
	[ "$MEM_DROP_MIB" -lt 256 ] ||
		fail "the host's available memory fell by $MEM_DROP_MIB MiB"
	assert_host_untouched
}

test_a_tree_runs_at_most_its_quota_of_fetches_at_once() {
	# Three programs keep 16 slow spawns each waiting: 48 asked for, at
	# most 16 fetched at once, the rest waiting their turn in the broker.
	slow_origin
	watch_attack done spawn_cancel_loop "$HTTPD_URL/slow/big" hold 3
	wait "$BG_PID"
	CODE=$?
	OUT=$(cat "$WORK/bg.out")
	ERR=$(cat "$WORK/bg.err")
	local after
	after=$(fetch_processes)
	echo "fetch processes: at most $MAX_FETCH for 48 waiting spawns, $after after the tree ended"
	expect_code 0
	[ "$(grep -c '^holding 16 spawns' <<<"$OUT")" = 3 ] ||
		fail "expected three programs holding 16 spawns each: $OUT"
	# Two more at most: a program's jail child is a fork of the launcher
	# too until it execs, and two copies of the attacker start here.
	[ "$MAX_FETCH" -le $((2 * FETCHES + 2)) ] ||
		fail "$MAX_FETCH fetch processes at once (at most $FETCHES fetches of two); at the most:"$'\n'"$MAX_FETCH_PS"
	[ "$MAX_FETCH" -ge 2 ] || fail "no fetch ran at all ($MAX_FETCH)"
	assert_eq "$after" "0" "fetch processes after the tree ended"
	assert_host_untouched
}

test_a_client_and_its_helpers_cannot_take_all_of_a_servers_slots() {
	# One attacker spawns four helpers; all five link to "svc" until
	# refused. They are one party: 16 links between them, and another
	# party's link still opens.
	jail link_hoard 1 4
	expect_code 0
	assert_contains "$OUT" "hoard: $LINKS_PER_PARTY links held, 5 refused"
	assert_contains "$OUT" "another party's link: ok"
	# The server saw the party's count in FK_EV_INCOMING, up to the quota.
	assert_contains "$OUT" "server: a party holds $LINKS_PER_PARTY links"
	assert_not_contains "$OUT" "server: a party holds $((LINKS_PER_PARTY + 1)) links"
	# The warning names the party that reached its quota.
	assert_contains "$ERR" "refused: quota of $LINKS_PER_PARTY links to one program (file://$ESCAPES/link_hoard) reached by file://$ESCAPES/link_hoard (id "
	assert_contains "$ERR" ") and the programs it spawned"
	assert_host_untouched
}

test_a_server_sees_a_hoarding_party_and_refuses_it() {
	# The server allows each party 4 links: FK_EV_INCOMING's status says
	# how many the client's party holds, and the server closes the rest.
	jail link_hoard 1 4 4
	expect_code 0
	assert_contains "$OUT" "server: a party holds 5 links"
	assert_contains "$OUT" "server: closed link 1 of a party over 4"
	assert_contains "$OUT" "another party's link: ok"
	assert_host_untouched
}

test_a_full_server_is_reported_with_the_programs_that_hold_its_slots() {
	# Four parties of 16 fill a server's 63 slots: that is allowed, and
	# the operator learns who holds them (not only which server is full).
	attempt
	run "$RUN" -n "file://$ESCAPES/link_hoard" 4 0 "$TAG"
	expect_code 1
	assert_contains "$OUT" "hoard: 63 links held, 4 refused"
	assert_contains "$OUT" "another party's link: refused: Connection refused"
	assert_contains "$ERR" "link slots full: svc held by file://$ESCAPES/link_hoard (id "
	assert_contains "$ERR" ") and its spawns: 16; "
	assert_contains "$ERR" "(63 links in all)"
	assert_not_contains "$ERR" "killed"
	contained test_a_full_server_is_reported_with_the_programs_that_hold_its_slots
}

test_a_second_subscription_to_one_channel_is_eexist() {
	jail subscribe_twice
	expect_code 0
	assert_contains "$OUT" "refused: second subscription: File exists"
	assert_contains "$OUT" "first subscription delivers: ok"
	assert_not_contains "$OUT" "ESCAPED"
}

test_broadcast_deliveries_are_charged_to_the_sender() {
	# 16 subscribers, 20000 broadcasts in 2 s: under the message rate,
	# but 320000 deliveries asked of the broker. It sends what the
	# sender's delivery quota pays for, and drops the rest.
	jail broadcast_fanout 16 20000 10000
	expect_code 0
	local ms delivered allowed
	ms=$(sed -nE 's/^sent 20000 in ([0-9]+) ms$/\1/p' <<<"$OUT")
	delivered=$(sed -nE 's/^delivered ([0-9]+) to 16 subscribers$/\1/p' <<<"$OUT")
	[ -n "$ms" ] && [ -n "$delivered" ] || fail "no figures: $OUT"
	# The bucket refills over the run's length (and the 300 ms drain).
	allowed=$((DELIVERY_RATE * (ms + 300) / 1000 + DELIVERY_BURST))
	echo "delivered $delivered of 320000 asked in $ms ms; the quota allows $allowed"
	[ "$delivered" -le "$allowed" ] ||
		fail "the broker sent $delivered deliveries for one sender (at most $allowed)"
	[ "$delivered" -ge "$DELIVERY_BURST" ] ||
		fail "only $delivered delivered: the quota's own share was lost"
	assert_contains "$ERR" "broadcasts dropped: quota of $DELIVERY_RATE deliveries a second reached (16 subscribers to storm)"
	assert_not_contains "$ERR" "killed"
	assert_host_untouched
}

host_start
run_tests | tee "$WORK/results"
escape_summary "$WORK/results"
! grep -q '^FAIL' "$WORK/results"

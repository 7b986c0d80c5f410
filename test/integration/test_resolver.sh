#!/bin/bash
# test_resolver.sh — finding names (src/resolver.c): a real etcd on
# 127.0.0.1 (free ports, data in $WORK, killed by the cleanup hook) and
# build/tools/resolvectl, one resolver per "host" in an epoll loop like
# fakeosd's. Each test uses its own key prefix, so they share the one
# etcd without seeing each other's names. Bounds: a lease of 2 s (etcd's
# floor with its default timing), so a killed host's names vanish within
# 2 s + 3 s; every wait is bounded, every resolvectl has --for.
. "$(dirname "$0")/../lib/testlib.sh"

# RESOLVECTL=build/san/tools/resolvectl runs it under ASan and UBSan.
R=${RESOLVECTL:-$TOP/build/tools/resolvectl}
KA=sha256:$(printf 'a%.0s' $(seq 64))
KB=sha256:$(printf 'b%.0s' $(seq 64))
KX=sha256:$(printf 'c%.0s' $(seq 64))
TTL=2
VANISH_MS=$(( (TTL + 3) * 1000 ))
ETCD_PID=

# Ends processes that earlier tests left (a test's processes outlive its
# subshell), or all of them with etcd too.
stop_all() { # [etcd]
	local p i
	for p in $(cat "$WORK"/*.pid 2>/dev/null) ${1:+$ETCD_PID}; do
		kill -9 "$p" 2>/dev/null
		for i in $(seq 1 100); do
			pid_ended "$p" && break
			sleep 0.02
		done
	done
	rm -f "$WORK"/*.pid
}
cleanup() {
	stop_all etcd
	rm -rf "$WORK"
}
trap cleanup EXIT

# The pinned hosts: ha and hb; mallory is nobody's.
printf 'ha 127.0.0.1:4001 %s\nhb 127.0.0.2:4002 %s\n' "$KA" "$KB" \
	>"$WORK/hosts"

# Starts etcd on two free loopback ports; ETCD is its client URL.
start_etcd() {
	local lo hi port tries i
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	for tries in 1 2 3 4 5; do
		# Below the ephemeral range, where nothing is bound by chance.
		port=$((20000 + RANDOM % (lo - 20002)))
		rm -rf "$WORK/etcd"
		etcd --name t --data-dir "$WORK/etcd" \
			--listen-client-urls "http://127.0.0.1:$port" \
			--advertise-client-urls "http://127.0.0.1:$port" \
			--listen-peer-urls "http://127.0.0.1:$((port + 1))" \
			--initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
			--initial-cluster "t=http://127.0.0.1:$((port + 1))" \
			>"$WORK/etcd.log" 2>&1 &
		ETCD_PID=$!
		ETCD=http://127.0.0.1:$port
		for i in $(seq 1 100); do
			curl -sf -m 1 "$ETCD/health" 2>/dev/null |
				grep -q '"health":"true"' && return 0
			kill -0 "$ETCD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$ETCD_PID" 2>/dev/null
		wait "$ETCD_PID" 2>/dev/null
	done
	return 1
}

need_etcd() {
	command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
		skip "etcd-server and etcd-client are not installed"
	[ -n "$ETCD_PID" ] || fail "etcd did not start: $(tail -3 "$WORK/etcd.log")"
	stop_all
	rm -f "$WORK"/*.out "$WORK"/*.err
}

# A "host": resolvectl --watch in the background, as NAME (its out and
# err files are $WORK/NAME.out and .err), with its pid in $WORK/NAME.pid.
host() { # NAME SELF PREFIX [resolvectl args...]
	local name=$1 self=$2 prefix=$3
	shift 3
	"$R" --hosts "$WORK/hosts" --backend etcd --etcd "$ETCD" \
		--prefix "$prefix" --ttl "$TTL" --self "$self" --watch \
		--for 30000 "$@" >>"$WORK/$name.out" 2>>"$WORK/$name.err" &
	echo $! >"$WORK/$name.pid"
}

put() { # KEY VALUE
	ETCDCTL_API=3 etcdctl --endpoints="$ETCD" put "$1" "$2" >/dev/null ||
		fail "etcdctl put $1 failed"
}

# Waits up to MS for FILE to hold TEXT on COUNT lines; prints the ms
# it took.
wait_lines() { # FILE TEXT COUNT MS
	local t0 now
	t0=$(date +%s%3N)
	while :; do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] &&
			{ echo $(( $(date +%s%3N) - t0 )); return 0; }
		now=$(date +%s%3N)
		[ $((now - t0)) -lt "$4" ] || return 1
		sleep 0.05
	done
}

test_two_hosts_see_each_others_names() {
	need_etcd
	local P=/fakeos/t1/
	host a ha $P --register db
	host b hb $P --register web --register cache
	wait_lines "$WORK/a.out" "^up web hb 127.0.0.2:4002 $KB\$" 1 5000 \
		>/dev/null || fail "ha never saw web: $(cat "$WORK/a.out" "$WORK/a.err")"
	wait_lines "$WORK/a.out" "^up cache hb 127.0.0.2:4002 $KB\$" 1 5000 \
		>/dev/null || fail "ha never saw cache: $(cat "$WORK/a.out")"
	wait_lines "$WORK/b.out" "^up db ha 127.0.0.1:4001 $KA\$" 1 5000 \
		>/dev/null || fail "hb never saw db: $(cat "$WORK/b.out" "$WORK/b.err")"
	# A third resolver that registers nothing finds both from the range.
	run "$R" --hosts "$WORK/hosts" --backend etcd --etcd "$ETCD" \
		--prefix $P --lookup web --wait 5000
	expect_code 0
	assert_eq "$OUT" "web hb 127.0.0.2:4002 $KB" "lookup of web"
	run "$R" --hosts "$WORK/hosts" --backend etcd --etcd "$ETCD" \
		--prefix $P --lookup nothing --wait 1000
	expect_code 1
	assert_eq "$OUT" "unknown nothing"
}

test_a_killed_hosts_names_vanish_within_the_lease_and_return_with_it() {
	need_etcd
	local P=/fakeos/t2/ ms
	host a ha $P
	host b hb $P --register web
	wait_lines "$WORK/a.out" "^up web hb" 1 5000 >/dev/null ||
		fail "ha never saw web: $(cat "$WORK/a.out" "$WORK/b.err")"
	{ kill -9 "$(cat "$WORK/b.pid")"; wait "$(cat "$WORK/b.pid")"; } 2>/dev/null
	ms=$(wait_lines "$WORK/a.out" "^down web\$" 1 "$VANISH_MS") ||
		fail "web still there $VANISH_MS ms after its host was killed:" \
			"$(cat "$WORK/a.out")"
	echo "web vanished ${ms} ms after its host was killed (TTL ${TTL} s)"
	# The host comes back: a new lease, the same name.
	host b hb $P --register web
	wait_lines "$WORK/a.out" "^up web hb 127.0.0.2:4002 $KB\$" 2 5000 \
		>/dev/null || fail "web did not come back: $(cat "$WORK/a.out")"
	# A clean stop revokes the lease: gone at once, not after the TTL.
	kill -TERM "$(cat "$WORK/b.pid")"
	ms=$(wait_lines "$WORK/a.out" "^down web\$" 2 1500) ||
		fail "web outlived a clean stop by 1.5 s: $(cat "$WORK/a.out")"
	assert_not_contains "$(cat "$WORK/a.err")" "refused"
}

test_a_value_naming_an_unpinned_key_is_refused_and_logged() {
	need_etcd
	local P=/fakeos/t3/
	host a ha $P
	# A host nobody pinned, and a pinned host with another key: a
	# registry that could say either could send links anywhere.
	put ${P}evil/mallory "mallory 127.0.0.9:4009 $KX"
	put ${P}db/hb "hb 127.0.0.9:4009 $KX"
	put ${P}db/ha "hb 127.0.0.1:4001 $KA"
	# Then a good one: the watch is alive and has read past the bad.
	put ${P}good/hb "hb 127.0.0.2:4002 $KB"
	wait_lines "$WORK/a.out" "^up good hb" 1 5000 >/dev/null ||
		fail "the good name never came: $(cat "$WORK/a.out" "$WORK/a.err")"
	assert_contains "$(cat "$WORK/a.err")" \
		"etcd: ${P}evil/mallory refused: host mallory ($KX) is not in $WORK/hosts"
	assert_contains "$(cat "$WORK/a.err")" \
		"etcd: ${P}db/hb refused: key $KX is not the key pinned for host hb in $WORK/hosts"
	assert_contains "$(cat "$WORK/a.err")" \
		"etcd: ${P}db/ha refused: the value names host hb, the key ha"
	assert_not_contains "$(cat "$WORK/a.out")" "up evil"
	assert_not_contains "$(cat "$WORK/a.out")" "up db"
	# A fresh resolver reads them by range: refused the same way.
	run "$R" --hosts "$WORK/hosts" --backend etcd --etcd "$ETCD" \
		--prefix $P --lookup db --wait 1500
	expect_code 1
	assert_eq "$OUT" "unknown db"
	assert_contains "$ERR" "${P}db/hb refused: key $KX is not the key pinned"
	# A good name replaced by a bad value is gone, not left as it was.
	put ${P}good/hb "hb 127.0.0.9:4009 $KX"
	wait_lines "$WORK/a.out" "^down good\$" 1 5000 >/dev/null ||
		fail "good kept its old answer: $(cat "$WORK/a.out")"
}

static_conf() { # TEXT of the names file
	mkdir -p "$WORK/conf"
	chmod 755 "$WORK/conf"
	printf '%b' "$1" >"$WORK/conf/names"
	chmod 644 "$WORK/conf/names"
}

test_static_backend_answers_from_the_names_file() {
	static_conf '# name host\ndb hb\n\nweb ha\n'
	run "$R" --hosts "$WORK/hosts" --backend static \
		--config-dir "$WORK/conf" --lookup db
	expect_code 0
	assert_eq "$OUT" "db hb 127.0.0.2:4002 $KB"
	run "$R" --hosts "$WORK/hosts" --backend static \
		--config-dir "$WORK/conf" --lookup web
	assert_eq "$OUT" "web ha 127.0.0.1:4001 $KA"
	run "$R" --hosts "$WORK/hosts" --backend static \
		--config-dir "$WORK/conf" --lookup cache
	expect_code 1
	assert_eq "$OUT" "unknown cache"
}

test_static_names_file_malformed_lines_are_refused_naming_the_line() {
	static_conf 'db hb\n# fine\nweb nowhere\n'
	run "$R" --hosts "$WORK/hosts" --backend static \
		--config-dir "$WORK/conf" --lookup db
	expect_code 2
	assert_eq "$OUT" ""
	assert_contains "$ERR" \
		"$WORK/conf/names:3: no host 'nowhere' in $WORK/hosts"
	static_conf 'db hb\ndb ha\n'
	run "$R" --hosts "$WORK/hosts" --backend static \
		--config-dir "$WORK/conf" --lookup db
	expect_code 2
	assert_contains "$ERR" "$WORK/conf/names:2: 'db' is listed twice"
	static_conf 'db hb extra\n'
	run "$R" --hosts "$WORK/hosts" --backend static \
		--config-dir "$WORK/conf" --lookup db
	expect_code 2
	assert_contains "$ERR" "$WORK/conf/names:1: expected NAME HOST"
	# Others may write it: refused before it is read.
	static_conf 'db hb\n'
	chmod 666 "$WORK/conf/names"
	run "$R" --hosts "$WORK/hosts" --backend static \
		--config-dir "$WORK/conf" --lookup db
	expect_code 2
	assert_contains "$ERR" "writable by"
}

[ -x "$R" ] || { echo "build/tools/resolvectl is missing: run make" >&2; exit 1; }
if command -v etcd >/dev/null; then
	start_etcd || ETCD_PID=
fi
run_tests

# oldtree.sh — programs built from an older commit of this tree, each with
# that tree's own libfakeos (sourced after testlib.sh). Programs are
# static and cached for a long time, so a newer launcher must keep
# running them (docs/PROTOCOL.md, section 12): test_compat.sh and
# test_remote_close.sh run them.

# build_old VERSION COMMIT DIR TARGET... — builds TARGETs (paths under the
# old tree, e.g. build/progs/api_probe) of COMMIT, whose proto.h must say
# PROTO_VERSION VERSION, in DIR; once per DIR (the first TARGET tells).
# Skips the test when git or the commit is missing from this clone.
build_old() {
	local v=$1 commit=$2 dir=$3
	shift 3
	[ -x "$dir/$1" ] && return 0
	command -v git >/dev/null || skip "git is not installed"
	git -C "$TOP" cat-file -e "$commit^{commit}" 2>/dev/null ||
		skip "commit $commit (protocol $v) is not in this clone's history"
	mkdir -p "$dir"
	git -C "$TOP" archive "$commit" | tar -x -C "$dir" ||
		fail "git archive of $commit"
	# Its deps stamp would run install-deps; this tree's already did.
	mkdir -p "$dir/build" && touch "$dir/build/.deps-ok"
	make -C "$dir" -s "$@" >"$WORK/v$v-build.log" 2>&1 ||
		fail "building the v$v programs: $(tail -n 5 "$WORK/v$v-build.log")"
	grep -q "#define PROTO_VERSION $v\$" "$dir/src/proto.h" ||
		fail "$commit is not a protocol-$v tree"
}

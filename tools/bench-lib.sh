# bench-lib.sh — what tools/bench and its sections (tools/bench-remote)
# share: stopping with a message, running a measurement, medians, ratios,
# verdicts and the summary table's rows. Sourced, never run.

die() {
	echo "bench: $*" >&2
	exit 1
}

# Runs a measurement; on failure shows what it said and stops.
measure() {
	local out=$1
	shift
	if ! "$@" >"$out" 2>"$out.err"; then
		cat "$out.err" >&2
		die "failed: $*"
	fi
}

# The median of the numbers on stdin (for an even count, the mean of the
# two in the middle).
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else if (NR) printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

# ratio A B: A/B to two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# paired A B: the median over i of A_i / B_i, for files A and B of one
# number a line, line i of each from runs taken back to back. Robust to
# the machine changing pace during the section, which can put the two
# sides' own medians in different regimes.
paired() {
	paste "$1" "$2" | awk '{ printf "%.4f\n", $1 / $2 }' | median |
		awk '{ printf "%.2f", $1 }'
}

# verdict RATIO OP LIMIT: "MET" or "MISSED" for ratio OP limit.
verdict() {
	awk -v r="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == "<=") ? r <= l : r >= l
		print ok ? "MET" : "MISSED"
	}'
}

# The summary table, filled in as the sections run.
SUMMARY=()
row() { # FIGURE OURS BASELINE RATIO TARGET
	SUMMARY+=("$(printf '%-40s %13s %13s %7s  %s' "$@")")
}

ms() { awk -v n="$1" 'BEGIN { printf "%.2f ms", n / 1e6 }'; }
us() { awk -v n="$1" 'BEGIN { printf "%.1f us", n / 1e3 }'; }

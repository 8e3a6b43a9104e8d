#!/usr/bin/env bash
# bench/fib_run.sh - the FIB benchmark of issue 4: lookup rates, memory and update times for
# umikame's Poptrie, the binary radix trie and DPDK (when built with it), then instructions
# per lookup under callgrind on the real table.
#   bench/fib_run.sh [BUILD_DIR] [TABLE]   (defaults: build, ../shared/data/ipv6-fib-2021.txt)
# DPDK and valgrind come from scripts/deps-bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
TABLE=${2:-$(pwd)/../shared/data/ipv6-fib-2021.txt}
[ -d "$B" ] || cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" --target bench_fib -j"$(nproc)" >/dev/null
BIN="$B/bench/bench_fib"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cpus, kernel $(uname -r)"
"$BIN" "$TABLE"
if command -v valgrind >/dev/null; then
	out=$(mktemp)
	echo
	echo "== instructions per lookup (callgrind, 100000 lookups per function and set) =="
	for f in cg_poptrie_single cg_poptrie_batch cg_radix_single; do
		rm -f "$out".*
		valgrind --tool=callgrind --toggle-collect="$f" --dump-after="$f" \
			--callgrind-out-file="$out" "$BIN" "$TABLE" --callgrind >/dev/null 2>"$out.log"
		# one dump per call: real table random, in-table; grown table random, in-table
		c=()
		for i in 1 2 3 4; do
			c+=($(( $(grep -E '^(summary|totals):' "$out.$i" | head -1 | awk '{print $2}') / 100000 )))
		done
		printf '%-18s 105k: random %4d in-table %4d   220k: random %4d in-table %4d\n' \
			"$f" "${c[@]}"
	done
	rm -f "$out" "$out".*
fi

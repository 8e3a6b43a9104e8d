#!/usr/bin/env bash
# bench/run.sh - instructions per answered echo request (callgrind, repeatable) and the
# wall-clock rate. Usage: bench/run.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
make --no-print-directory BUILD="$B" >/dev/null
BIN="$B/bench/bench_echo"
N=20000
out=$(mktemp)
valgrind --tool=callgrind --toggle-collect=answer_loop --callgrind-out-file="$out" \
	"$BIN" "$N" >/dev/null 2>"$out.log"
ir=$(grep -E '^(summary|totals):' "$out" | head -1 | awk '{print $2}')
# the counted region runs answer_loop twice: 1 warm-up request and N measured ones
echo "instructions per echo request answered: $(( ir / (N + 1) ))  (callgrind, N=$N)"
rm -f "$out" "$out.log"
"$BIN" 1000000

#!/bin/bash
# test.sh - the whole umikame test suite (`make check`, what CI runs):
#   deps      install missing Debian packages (scripts/deps.sh)
#   build     `make` into build/ (umikamed, umk, library, unit and sim tests)
#   unit      ctest in build/ (cmocka unit tests and multi-stack simulations)
#   asan      build-asan/ with AddressSanitizer+UBSan, ctest there
#   fuzz      build-fuzz/ with clang+libFuzzer, each fuzz/fuzz_* target for a while
#   interop   pytest + scapy in network namespaces against umikamed (needs root),
#             including the hostile-traffic tests (thc-ipv6)
#   peers     the router, TCP and IPsec suites and the remote-socket scripts, each
#             against Linux (and radvd, netcat) in namespaces of their own
# Prints a summary with each phase's result and duration; exits non-zero if any failed.
#
# Knobs (environment):
#   UMK_SKIP_ASAN=1 UMK_SKIP_FUZZ=1 UMK_SKIP_INTEROP=1 UMK_SKIP_HOSTILE=1 UMK_SKIP_DEPS=1
#   UMK_FUZZ_SECONDS=20     run time per fuzz target
#   UMK_PYTEST_ARGS="-k nd" extra pytest arguments (e.g. select tests)
#   UMK_INTEROP_BUILD=build build whose binaries the interop suite runs (e.g. build-asan)
#   JOBS=N                  parallel build jobs (default: nproc)
set -u
set -o pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${UMK_FUZZ_SECONDS:-20}
LOGDIR=${UMK_LOGDIR:-$ROOT/build/test-logs}
PY=/usr/bin/python3

declare -a PHASES=() RESULTS=() TIMES=() NOTES=()
failed=0

# run_phase NAME FUNCTION: runs it, records result and seconds.
run_phase() {
	local name=$1 fn=$2 t0 t1 rc
	echo
	echo "================================================================"
	echo "== phase: $name"
	echo "================================================================"
	NOTE=""
	t0=$(date +%s)
	"$fn"
	rc=$?
	t1=$(date +%s)
	PHASES+=("$name")
	TIMES+=("$((t1 - t0))")
	NOTES+=("$NOTE")
	if [ "$rc" -eq 0 ]; then
		RESULTS+=("ok")
	elif [ "$rc" -eq 200 ]; then
		RESULTS+=("skipped")
	else
		RESULTS+=("FAIL")
		failed=1
	fi
	echo "== phase $name: ${RESULTS[-1]} ($((t1 - t0)) s) $NOTE"
}

skip() { NOTE="$1"; return 200; }

phase_deps() {
	[ "${UMK_SKIP_DEPS:-0}" = 1 ] && { skip "(UMK_SKIP_DEPS=1)"; return; }
	./scripts/deps.sh
}

phase_build() {
	make BUILD=build JOBS="$JOBS"
}

# ctest_in DIR: runs every registered test; a tree without tests is reported, not failed.
ctest_in() {
	local dir=$1 out n
	out=$(cd "$dir" && ctest -N 2>/dev/null | sed -n 's/^Total Tests: //p')
	n=${out:-0}
	if [ "$n" -eq 0 ]; then
		NOTE="(no tests registered)"
		return 0
	fi
	(cd "$dir" && ctest --output-on-failure -j"$JOBS" --timeout 300) 2>&1 | tee "$LOGDIR/ctest-$(basename "$dir").log"
	local rc=${PIPESTATUS[0]}
	NOTE="($(grep -Eo '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$LOGDIR/ctest-$(basename "$dir").log" | tail -1))"
	return "$rc"
}

phase_unit() {
	ctest_in build
}

phase_asan() {
	[ "${UMK_SKIP_ASAN:-0}" = 1 ] && { skip "(UMK_SKIP_ASAN=1)"; return; }
	cmake -S . -B build-asan -DUMK_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || return 1
	make -C build-asan -j"$JOBS" --no-print-directory || return 1
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	ctest_in build-asan
}

phase_fuzz() {
	[ "${UMK_SKIP_FUZZ:-0}" = 1 ] && { skip "(UMK_SKIP_FUZZ=1)"; return; }
	command -v clang >/dev/null || { NOTE="(clang missing)"; return 1; }
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DUMK_FUZZ=ON -DUMK_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || return 1
	make -C build-fuzz -j"$JOBS" --no-print-directory || return 1
	local targets=() t
	for t in build-fuzz/fuzz/fuzz_*; do
		[ -x "$t" ] && targets+=("$t")
	done
	if [ "${#targets[@]}" -eq 0 ]; then
		NOTE="(no fuzz targets built: fuzz/fuzz_*.c missing)"
		return 1
	fi
	local art=build-fuzz/artifacts bad=0 running=0 pids=() names=()
	mkdir -p "$art"
	# Two targets at a time on two cores; new inputs go to a scratch corpus so the seed
	# corpus in the source tree (fuzz/corpus/<target>/) stays as committed.
	for t in "${targets[@]}"; do
		local name work seeds=""
		name=$(basename "$t")
		work=build-fuzz/work/$name
		mkdir -p "$work"
		[ -d "fuzz/corpus/$name" ] && seeds="fuzz/corpus/$name"
		echo "fuzz: $name for ${FUZZ_SECONDS}s${seeds:+ (seeds: $seeds)}"
		# shellcheck disable=SC2086
		timeout $((FUZZ_SECONDS + 120)) "$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/$name-" \
			"$work" $seeds >"$LOGDIR/fuzz-$name.log" 2>&1 &
		pids+=($!)
		names+=("$name")
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then
			wait_fuzz
		fi
	done
	wait_fuzz
	NOTE="(${#targets[@]} targets x ${FUZZ_SECONDS}s, $bad failed)"
	[ "$bad" -eq 0 ]
}

# Collects every running fuzzer (uses pids/names/bad/running of phase_fuzz).
wait_fuzz() {
	local i
	for i in "${!pids[@]}"; do
		if wait "${pids[$i]}"; then
			echo "fuzz: ${names[$i]} ok ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$LOGDIR/fuzz-${names[$i]}.log" | grep -Eo '[0-9]+$') runs)"
		else
			echo "fuzz: ${names[$i]} FAILED; log $LOGDIR/fuzz-${names[$i]}.log:"
			grep -E -A25 'ERROR: |runtime error|deadly signal|SUMMARY' "$LOGDIR/fuzz-${names[$i]}.log" | head -60
			bad=$((bad + 1))
		fi
	done
	pids=()
	names=()
	running=0
}

phase_interop() {
	[ "${UMK_SKIP_INTEROP:-0}" = 1 ] && { skip "(UMK_SKIP_INTEROP=1)"; return; }
	if [ "$(id -u)" -ne 0 ]; then
		NOTE="(needs root: network namespaces and TAP devices)"
		return 1
	fi
	local args=()
	[ "${UMK_SKIP_HOSTILE:-0}" = 1 ] && args+=(--ignore=tests/interop/test_hostile.py)
	# shellcheck disable=SC2206
	args+=(${UMK_PYTEST_ARGS:-})
	UMK_BUILD=${UMK_INTEROP_BUILD:-build} timeout 2400 \
		$PY -m pytest -p no:cacheprovider -ra --durations=15 \
		--junitxml="$LOGDIR/interop.xml" tests/interop "${args[@]}" 2>&1 | tee "$LOGDIR/interop.log"
	local rc=${PIPESTATUS[0]}
	NOTE="($(grep -E '^=+ .*(passed|failed|error|skipped).* in [0-9.]+s' "$LOGDIR/interop.log" | tail -1 | tr -d '=' | sed 's/^ *//;s/ *$//'))"
	return "$rc"
}

# The peer suites beside tests/interop, each with its own namespaces: the router role
# (tests/router), TCP (tests/tcp), IPsec with setkey (tests/ipsec), and the remote socket
# API against netcat (tests/sock/*.sh).
phase_peers() {
	[ "${UMK_SKIP_INTEROP:-0}" = 1 ] && { skip "(UMK_SKIP_INTEROP=1)"; return; }
	if [ "$(id -u)" -ne 0 ]; then
		NOTE="(needs root: network namespaces and TAP devices)"
		return 1
	fi
	local dirs=() d t rc=0 scripts=0
	for d in tests/router tests/tcp tests/ipsec; do
		compgen -G "$d/test_*.py" >/dev/null && dirs+=("$d")
	done
	if [ "${#dirs[@]}" -gt 0 ]; then
		UMK_BUILD=${UMK_INTEROP_BUILD:-build} timeout 1800 \
			$PY -m pytest -p no:cacheprovider -ra --durations=10 \
			--junitxml="$LOGDIR/peers.xml" "${dirs[@]}" 2>&1 | tee "$LOGDIR/peers.log"
		rc=${PIPESTATUS[0]}
	fi
	for t in tests/sock/*.sh; do
		[ -f "$t" ] || continue
		scripts=$((scripts + 1))
		echo "peers: $t"
		timeout 300 sh "$t" "${UMK_INTEROP_BUILD:-build}" || rc=1
	done
	NOTE="(${dirs[*]:-no pytest suites}; $scripts scripts) $(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$LOGDIR/peers.log" 2>/dev/null | tail -1 | tr -d '=' | sed 's/^ *//;s/ *$//')"
	return "$rc"
}

mkdir -p "$LOGDIR"
T0=$(date +%s)
run_phase deps phase_deps
run_phase build phase_build
if [ "${RESULTS[-1]}" != ok ]; then
	echo "build failed: later phases need it" >&2
else
	run_phase unit phase_unit
	run_phase asan phase_asan
	run_phase fuzz phase_fuzz
	run_phase interop phase_interop
	run_phase peers phase_peers
fi
T1=$(date +%s)

echo
echo "================================================================"
echo "== summary (logs in $LOGDIR)"
echo "================================================================"
for i in "${!PHASES[@]}"; do
	printf '  %-8s %-8s %5ss  %s\n' "${PHASES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}" "${NOTES[$i]}"
done
printf '  %-8s %-8s %5ss\n' total "$([ $failed -eq 0 ] && echo ok || echo FAIL)" "$((T1 - T0))"
exit $failed

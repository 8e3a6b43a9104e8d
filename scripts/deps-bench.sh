#!/usr/bin/env bash
# scripts/deps-bench.sh - what the benchmarks need beyond scripts/deps.sh: DPDK's
# development package, for bench_fib's rte_fib6 / rte_lpm6 baseline (Debian 12 ships
# DPDK 22.11: librte-fib23, librte-lpm23, librte-rib23, librte-eal23 and headers), and
# valgrind for the instruction counts, and iperf3 for bench/forward_run.sh's traffic. bench_fib
# builds and runs without DPDK, minus that baseline.
set -euo pipefail
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
pkgs=(libdpdk-dev pkg-config valgrind iperf3)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	$SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

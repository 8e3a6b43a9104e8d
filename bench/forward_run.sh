#!/usr/bin/env bash
# bench/forward_run.sh - forwarding figures of issue 4, in one run:
#   1. umikame in process: bench_forward (packets/s, no I/O) and, under callgrind,
#      instructions per forwarded packet;
#   2. over real links (needs root and iperf3, see scripts/deps-bench.sh): a UDP flood
#      host A -> host B, first through the Linux kernel forwarding between two veths in
#      namespace R, then through umikamed in namespace R with two TAPs whose kernel sides
#      are moved into A and B; the same UDP payload sizes, DUR seconds each. Packets/s
#      received at B (iperf3's server count) side by side, with what A managed to send.
#
#   host A (2001:db8:a::2) -- R: Linux or umikamed (2001:db8:a::1 | 2001:db8:b::1) -- host B (2001:db8:b::2)
#
# Usage: bench/forward_run.sh [BUILD_DIR] [SECONDS] [SIZES]   (defaults: build, 5, "64 1400")
# Everything it creates (namespaces fwdPID{A,B,R}, umikamed, iperf3 servers, files in a
# temporary directory) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
DUR=${2:-5}
SIZES=${3:-64 1400}
[ -d "$B" ] || cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" --target bench_forward umikamed umk -j"$(nproc)" >/dev/null
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cpus, kernel $(uname -r)"

echo "== in process (bench_forward: 126-byte frames, 64-byte UDP payload, transmit only counts)"
"$B/bench/bench_forward" 2000000
if command -v valgrind >/dev/null; then
	cg() { # $1 packets -> total instructions
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$B/bench/bench_forward" "$1" 2>&1 |
			awk '/Collected/ {print $4}'
	}
	n1=$(cg 100000)
	# bench_forward 0 exits non-zero (nothing forwarded) after the same setup: that is fine
	n0=$(cg 0 || true)
	echo "instructions per forwarded packet (callgrind, 100000 packets minus setup): $(( (n1 - n0) / 100000 ))"
fi

if ! command -v iperf3 >/dev/null || [ "$(id -u)" != 0 ]; then
	echo "== kernel vs umikamed over links: skipped (needs root and iperf3)"
	exit 0
fi

T=fwd$$
TMP=$(mktemp -d /tmp/umk-fwd.XXXXXX)
UP=
cleanup() {
	for f in "$TMP"/iperf3-*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	if [ -n "$UP" ]; then
		kill "$UP" 2>/dev/null || true
		wait "$UP" 2>/dev/null || true
	fi
	for n in A B R; do ip netns del "$T$n" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
for n in A B R; do
	ip netns add "$T$n"
	ip -n "$T$n" link set lo up
done

# flood LABEL SIZE: one iperf3 UDP run A -> B; prints "received_pps sent_pps"
flood() {
	local pid="$TMP/iperf3-$1-$2.pid" out="$TMP/iperf3-$1-$2.json"
	ip netns exec "${T}B" iperf3 -s -1 -D -p 5201 -I "$pid"
	sleep 0.5
	if ! timeout $((DUR + 20)) ip netns exec "${T}A" iperf3 -6 -u -b 0 -l "$2" -t "$DUR" \
			-c 2001:db8:b::2 -p 5201 -J >"$out" 2>&1; then
		echo "iperf3 failed ($1, $2 bytes):" >&2
		head -c 2000 "$out" >&2
		exit 1
	fi
	[ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
	python3 - "$out" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["end"]["sum"]
sent = j["end"].get("sum_sent", s)
# iperf3's UDP summary: packets sent by the client, lost_packets as the server counted them
print("%.0f %.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"],
                     s["packets"] / s["seconds"]))
EOF
}

hosts() { # $1 dev in A, $2 dev in B: addresses and default routes through R
	ip -n "${T}A" link set "$1" up
	ip -n "${T}B" link set "$2" up
	ip -n "${T}A" addr add 2001:db8:a::2/64 dev "$1" nodad
	ip -n "${T}B" addr add 2001:db8:b::2/64 dev "$2" nodad
	ip -n "${T}A" -6 route add default via 2001:db8:a::1
	ip -n "${T}B" -6 route add default via 2001:db8:b::1
}

reach() { # the path works before we measure
	ip netns exec "${T}A" ping -6 -c 2 -i 0.3 -W 2 2001:db8:b::2 >/dev/null ||
		{ echo "no path A -> B ($1)" >&2; [ -f "$TMP/umikamed.log" ] && tail "$TMP/umikamed.log" >&2; exit 1; }
}

declare -A RX TX

# 1. Linux kernel forwarding between two veths. (Interface names avoid `ip link set`
#    keywords: a bare "a" would be read as "address".)
ip -n "${T}R" link add vetha type veth peer name etha netns "${T}A"
ip -n "${T}R" link add vethb type veth peer name ethb netns "${T}B"
ip netns exec "${T}R" sysctl -qw net.ipv6.conf.all.forwarding=1
for d in "vetha 2001:db8:a::1" "vethb 2001:db8:b::1"; do
	set -- $d
	ip -n "${T}R" link set "$1" up
	ip -n "${T}R" addr add "$2/64" dev "$1" nodad
done
hosts etha ethb
sleep 1
reach "Linux"
for n in $SIZES; do
	read -r RX[linux-$n] TX[linux-$n] < <(flood linux "$n")
done
ip -n "${T}R" link del vetha
ip -n "${T}R" link del vethb
ip -n "${T}A" -6 route flush default 2>/dev/null || true
ip -n "${T}B" -6 route flush default 2>/dev/null || true
ip netns exec "${T}R" sysctl -qw net.ipv6.conf.all.forwarding=0

# 2. umikamed between two TAPs
SOCK="$TMP/umikamed.sock"
ip netns exec "${T}R" "$B/bin/umikamed" -f -i tapa -i tapb -s "$SOCK" >"$TMP/umikamed.log" 2>&1 &
UP=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "umikamed did not start" >&2; cat "$TMP/umikamed.log" >&2; exit 1; }
U=(ip netns exec "${T}R" "$B/bin/umk" -s "$SOCK")
"${U[@]}" conf set tapa forwarding 1
"${U[@]}" conf set tapb forwarding 1
"${U[@]}" addr add 2001:db8:a::1/64 dev tapa
"${U[@]}" addr add 2001:db8:b::1/64 dev tapb
ip -n "${T}R" link set tapa netns "${T}A"
ip -n "${T}R" link set tapb netns "${T}B"
hosts tapa tapb
sleep 2        # umikamed's DAD on its two addresses
reach "umikamed"
for n in $SIZES; do
	read -r RX[umk-$n] TX[umk-$n] < <(flood umikamed "$n")
done
fwd=$("${U[@]}" -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ip6"]["OutForwDatagrams"])')

echo "== over links: UDP A -> B, ${DUR} s per run, packets/s received at B (sent by A)"
printf '%-8s %24s %24s %10s\n' "payload" "Linux kernel (veth)" "umikamed (TAP)" "umk/Linux"
for n in $SIZES; do
	printf '%-8s %12s (%9s) %12s (%9s) %9.1f%%\n' "$n B" "${RX[linux-$n]}" "${TX[linux-$n]}" \
		"${RX[umk-$n]}" "${TX[umk-$n]}" \
		"$(python3 -c "print(100.0 * ${RX[umk-$n]} / max(1.0, ${RX[linux-$n]}))")"
done
echo "umikamed ip6 OutForwDatagrams after the runs: $fwd"

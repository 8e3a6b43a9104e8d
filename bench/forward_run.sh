#!/bin/sh
# forward_run.sh - forwarding figures in one run (issue 4):
#   1. umikame in process: bench_forward (packets/s) and callgrind (instructions/packet);
#   2. with iperf3 installed (apt-get install iperf3) and root: a UDP flood A -> B through
#      the Linux kernel (two veths, namespace R forwarding) and through umikamed (two TAPs
#      in namespace R, kernel sides moved to A and B), received packets/s side by side.
# Usage: bench/forward_run.sh [BUILD_DIR]
set -eu
B=${1:-build-rtr}
echo "== in process"
"$B/bench/bench_forward" 2000000
if command -v valgrind >/dev/null; then
	valgrind --tool=callgrind --callgrind-out-file=/tmp/fwd.cg "$B/bench/bench_forward" 100000 2>&1 |
		awk '/Collected/ {print $4}' > /tmp/fwd.n1
	valgrind --tool=callgrind --callgrind-out-file=/tmp/fwd.cg0 "$B/bench/bench_forward" 0 2>&1 |
		awk '/Collected/ {print $4}' > /tmp/fwd.n0 || true
	echo "instructions per forwarded packet: $(( ($(cat /tmp/fwd.n1) - $(cat /tmp/fwd.n0)) / 100000 ))"
fi
if ! command -v iperf3 >/dev/null || [ "$(id -u)" != 0 ]; then
	echo "== kernel vs umikamed over links: skipped (needs root and iperf3)"
	exit 0
fi
T=fwd$$
cleanup() { for n in A B R; do ip netns del $T$n 2>/dev/null || true; done; [ -n "${UP:-}" ] && kill $UP 2>/dev/null || true; }
trap cleanup EXIT
for n in A B R; do ip netns add $T$n; ip -n $T$n link set lo up; done
flood() { # $1 label
	ip netns exec ${T}B iperf3 -s -1 -D -p 5201 >/dev/null; sleep 0.5
	ip netns exec ${T}A iperf3 -6 -u -b 0 -l 64 -t 5 -c 2001:db8:b::2 -J 2>/dev/null |
		python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum"]; print("'"$1"': %.0f packets/s received, %.1f%% lost" % ((e["packets"]-e["lost_packets"])/e["seconds"], e["lost_percent"]))'
}
# Linux kernel forwarding between two veths
ip -n ${T}R link add ra type veth peer name a netns ${T}A
ip -n ${T}R link add rb type veth peer name b netns ${T}B
ip netns exec ${T}R sysctl -qw net.ipv6.conf.all.forwarding=1
for x in "R ra 2001:db8:a::1" "R rb 2001:db8:b::1" "A a 2001:db8:a::2" "B b 2001:db8:b::2"; do
	set -- $x; ip -n $T$1 link set $2 up; ip -n $T$1 addr add $3/64 dev $2 nodad; done
ip -n ${T}A -6 route add default via 2001:db8:a::1; ip -n ${T}B -6 route add default via 2001:db8:b::1
sleep 1; flood "Linux kernel (veth)"
ip -n ${T}R link del ra; ip -n ${T}R link del rb
# umikamed between two TAPs
ip netns exec ${T}R "$B/bin/umikamed" -f -i ta -i tb -s /tmp/$T.sock >/dev/null 2>&1 & UP=$!
sleep 1
U="ip netns exec ${T}R $B/bin/umk -s /tmp/$T.sock"
$U conf set ta forwarding 1; $U conf set tb forwarding 1
$U addr add 2001:db8:a::1/64 dev ta; $U addr add 2001:db8:b::1/64 dev tb
ip -n ${T}R link set ta netns ${T}A; ip -n ${T}R link set tb netns ${T}B
ip -n ${T}A link set ta up; ip -n ${T}B link set tb up
ip -n ${T}A addr add 2001:db8:a::2/64 dev ta nodad; ip -n ${T}B addr add 2001:db8:b::2/64 dev tb nodad
ip -n ${T}A -6 route add default via 2001:db8:a::1; ip -n ${T}B -6 route add default via 2001:db8:b::1
sleep 2; flood "umikamed (TAP)"

#!/bin/sh
# remote_udp.sh - the remote socket API against a real umikamed, with Linux as the UDP peer.
#
#   netns umk-sock: [Linux tap0 2001:db8:5::1] ==TAP== [umikamed tap0 2001:db8:5::2]
#
# `umk nc -u` (remote API over the control socket) exchanges datagrams with netcat-openbsd
# both ways, including 8000-byte datagrams (fragmented by the sender, reassembled by the
# receiver). Needs root, ip(8), nc (netcat-openbsd). Usage: tests/sock/remote_udp.sh [BUILD]
set -eu
B=$(cd "${1:-build}" && pwd)
NS=umk-sock
D=$(mktemp -d)
SOCK=$D/umikamed.sock
cleanup() {
	[ -f "$D/pid" ] && kill "$(cat "$D/pid")" 2>/dev/null || true
	ip netns del $NS 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT
ip netns add $NS
ip netns exec $NS ip link set lo up
ip netns exec $NS "$B/bin/umikamed" -f -i tap0 -s "$SOCK" 2>"$D/log" &
echo $! >"$D/pid"
for i in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
ip netns exec $NS sysctl -qw net.ipv6.conf.tap0.accept_dad=0
ip netns exec $NS ip addr add 2001:db8:5::1/64 dev tap0 nodad
"$B/bin/umk" -s "$SOCK" conf set tap0 dad_transmits 0
"$B/bin/umk" -s "$SOCK" addr add 2001:db8:5::2/64 dev tap0
sleep 1
head -c 8000 /dev/urandom >"$D/big"
fail=0

# 1. Linux listens, we send (small, then 8000 bytes)
ip netns exec $NS timeout 5 nc -u -l -6 2001:db8:5::1 9000 >"$D/got1" &
L=$!
sleep 0.5
printf 'hello from umikame\n' | "$B/bin/umk" -s "$SOCK" nc -u -q 1 2001:db8:5::1 9000
wait $L || true
grep -q "hello from umikame" "$D/got1" && echo "ok 1 - umk nc -u to Linux nc" || { echo "not ok 1"; fail=1; }

ip netns exec $NS timeout 5 nc -u -l -6 2001:db8:5::1 9001 >"$D/got2" &
L=$!
sleep 0.5
"$B/bin/umk" -s "$SOCK" nc -u -q 1 2001:db8:5::1 9001 <"$D/big"
wait $L || true
cmp -s "$D/big" "$D/got2" && echo "ok 2 - 8000-byte datagram umikame -> Linux" || { echo "not ok 2 ($(wc -c <"$D/got2") bytes)"; fail=1; }

# 2. We listen, Linux sends 8000 bytes, we answer
timeout 5 "$B/bin/umk" -s "$SOCK" nc -u -l 2001:db8:5::2 9002 >"$D/got3" &
L=$!
sleep 0.5
ip netns exec $NS timeout 2 nc -u -6 -q 1 2001:db8:5::2 9002 <"$D/big" || true
wait $L || true
cmp -s "$D/big" "$D/got3" && echo "ok 3 - 8000-byte datagram Linux -> umikame (remote API)" || { echo "not ok 3 ($(wc -c <"$D/got3") bytes)"; fail=1; }

# 3. Port unreachable from Linux becomes ECONNREFUSED on our connected socket
printf 'x\n' | timeout 3 "$B/bin/umk" -s "$SOCK" nc -u -q 1 2001:db8:5::1 9009 2>"$D/err4" || true
grep -q "refused" "$D/err4" && echo "ok 4 - ICMPv6 port unreachable -> ECONNREFUSED" || { echo "not ok 4: $(cat "$D/err4")"; fail=1; }

"$B/bin/umk" -s "$SOCK" -j stats | tr "}" "\n" | grep -E "\"(udp|sock|icmp6)\"" | grep -v ": 0$" | head -40
exit $fail

#!/bin/bash
# demo.sh - the demo lab (`make demo`): umikamed on a TAP in a network namespace, with the
# Linux kernel of that namespace as its router (radvd advertising 2001:db8:1::/64). Shows
# autoconfiguration, the tables, and pings both ways; then tears everything down.
#   --keep   leave the lab running and print how to poke at it and how to remove it
# Needs root (namespaces, TAP). Exits non-zero if a step fails.
set -u
set -o pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. scripts/lab.sh

KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
[ "$(id -u)" -eq 0 ] || lab_fail "the demo needs root (network namespaces and TAP devices)"

NS=umkdemo
DIR=/tmp/umikame-demo
SOCK=$DIR/umikamed.sock
BUILD=${BUILD:-build}
UMK="$ROOT/$BUILD/bin/umk -s $SOCK"
PREFIX=2001:db8:1

cleanup() {
	if [ "$KEEP" -eq 0 ] || [ "${DEMO_OK:-0}" -ne 1 ]; then
		lab_ns_destroy "$NS"
		rm -rf "$DIR"
	fi
}

lab_log "installing dependencies and building"
./scripts/deps.sh || lab_fail "deps"
make --no-print-directory BUILD="$BUILD" >/dev/null || lab_fail "make (run it by hand to see why)"

if ip netns list | grep -qw "$NS"; then
	echo "removing a lab left from an earlier --keep"
	lab_ns_destroy "$NS"
fi
rm -rf "$DIR"
mkdir -p "$DIR"
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_log "namespace $NS; Linux will route, umikamed will be a host on tap0"
lab_ns_create "$NS"
ip netns exec "$NS" sysctl -q -w net.ipv6.conf.all.forwarding=1

lab_log "starting umikamed -f -i tap0 -s $SOCK (log: $DIR/umikamed.log)"
ip netns exec "$NS" "$ROOT/$BUILD/bin/umikamed" -f -i tap0 -s "$SOCK" \
	>"$DIR/umikamed.log" 2>&1 </dev/null &
lab_wait 10 "the control socket" test -S "$SOCK"
lab_cmd ip -n "$NS" link show tap0

lab_log "Linux side: 2001:db8:1::1/64 on tap0, radvd advertising $PREFIX::/64 every 3-4 s"
ip -n "$NS" -6 addr add $PREFIX::1/64 dev tap0 nodad
cat >"$DIR/radvd.conf" <<EOC
interface tap0 {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    prefix $PREFIX::/64 { AdvOnLink on; AdvAutonomous on; };
};
EOC
ip netns exec "$NS" radvd -n -C "$DIR/radvd.conf" -p "$DIR/radvd.pid" -m logfile \
	-l "$DIR/radvd.log" </dev/null &
LINUX_LL=$(ip -n "$NS" -6 addr show dev tap0 scope link | sed -n 's/.*inet6 \(fe80::[^/]*\).*/\1/p')
echo "Linux router link-local: $LINUX_LL"

global_addr() {
	$UMK -j addr show dev tap0 | /usr/bin/python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if a["address"].startswith("2001:db8:1:") and not {"tentative", "dadfailed"} & set(a["flags"]):
        print(a["address"]); break'
}
lab_log "waiting for umikamed to autoconfigure (SLAAC, RFC 4862)"
have_global() { [ -n "$(global_addr)" ]; }
lab_wait 20 "a SLAAC address in $PREFIX::/64" have_global
GLOBAL=$(global_addr)
LL=$($UMK -j addr show dev tap0 | /usr/bin/python3 -c '
import json, sys
print([a["address"] for a in json.load(sys.stdin) if a["address"].startswith("fe80:")][0])')

lab_log "umikame's view"
lab_cmd $UMK link show || lab_fail "umk link show"
lab_cmd $UMK addr show || lab_fail "umk addr show"
lab_cmd $UMK route show || lab_fail "umk route show"

lab_log "Linux pings umikame (link-local and global)"
lab_cmd ip netns exec "$NS" ping -6 -c 3 -i 0.3 "$LL%tap0" || lab_fail "ping $LL%tap0"
lab_cmd ip netns exec "$NS" ping -6 -c 3 -i 0.3 "$GLOBAL" || lab_fail "ping $GLOBAL"
lab_cmd ip netns exec "$NS" ping -6 -c 2 -s 4000 "$GLOBAL" || lab_fail "4000-byte ping"

lab_log "umikame pings Linux (umk ping)"
lab_cmd $UMK ping -c 3 "$LINUX_LL%tap0" || lab_fail "umk ping $LINUX_LL%tap0"
lab_cmd $UMK ping -c 3 $PREFIX::1 || lab_fail "umk ping $PREFIX::1"

lab_log "neighbours, as umikame and Linux see them"
lab_cmd $UMK neigh show || lab_fail "umk neigh show"
lab_cmd ip -n "$NS" -6 neigh show dev tap0

DEMO_OK=1
if [ "$KEEP" -eq 1 ]; then
	trap - EXIT
	lab_log "the lab keeps running"
	cat <<EOI
  umikamed log:       $DIR/umikamed.log
  umk:                $ROOT/$BUILD/bin/umk -s $SOCK addr show      (route, neigh, conf, stats, ping)
  Linux side:         ip netns exec $NS bash        (ping -6 $GLOBAL, ndisc6 $GLOBAL tap0)
  watch the link:     ip netns exec $NS tcpdump -ni tap0 ip6
  tear it down:       ip netns pids $NS | xargs -r kill; ip netns del $NS; rm -rf $DIR
EOI
else
	lab_log "demo done; cleaning up"
fi
exit 0

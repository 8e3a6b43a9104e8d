#!/usr/bin/env bash
# bench/tcp_run.sh - TCP figures of issue 3, side by side in one run (needs root):
#   1. bulk throughput (MB MiB, median of REPS runs, receiver's clock first byte to EOF), the
#      pairs taken in turn in every round so that load changes touch all of them alike:
#        Linux -> Linux      over a veth pair between two namespaces with the offloads Linux
#                            sets (TSO/GSO/GRO, checksum offload), and over a second pair
#                            with them off (bench_tcp_relay -O)
#        Linux -> umikamed   over a TAP: the kernel on the TAP's kernel side, umikamed on
#        umikamed -> Linux   its fd, the umikame end driven through the remote socket API;
#                            one umikamed with TAP offloads (the default: virtio-net header,
#                            super-segments and partial checksums) and one with -O, each
#                            shown as a share of the like-for-like veth (offloads on / off);
#                            the default one also with 4 MiB socket buffers
#   1b. "placed": the umikamed pairs again with umikamed and its client (bench_tcp -s)
#      pinned to one CPU and the Linux peer to another (taskset), reported separately;
#   2. request/response latency: N 1-byte round trips (TCP_NODELAY), median and p99, for
#      the same pairs (Linux pings umikamed's echo, umikamed pings Linux's echo);
#   3. instructions per received segment: umikamed (offloads) under callgrind, collection
#      zeroed just before a Linux -> umikamed transfer and dumped after it, divided by the
#      segments umikamed counted in (tcp InSegs from `umk stats`; a super-segment is one)
#      and by the payload's 1,428-byte segments;
#   4. syscalls per frame: strace -c on each umikamed during a transfer, over the frames the
#      TAP carried both ways (its kernel-side counters; a super-frame is one).
# Both ends of every pair run the same program, bench/bench_tcp.c (kernel sockets, or the
# umikame remote API with -s). Usage: bench/tcp_run.sh [BUILD_DIR] [MB] [REPS] [N]
# (defaults: build, 100, 3, 2000); UMK_TCP_SECTIONS="bulk placed latency strace callgrind"
# picks sections; UMK_TCP_CPU=C pins the placed runs to CPU C (default 0; the Linux peer
# goes to the next one); UMK_TCP_CGOUT=FILE keeps callgrind's output, UMK_TCP_CG_SEND=1
# profiles umikamed sending instead (the figure is then per segment received, i.e. per
# ACK). Everything else it makes is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
MB=${2:-100}
REPS=${3:-3}
N=${4:-2000}
[ "$(id -u)" = 0 ] || { echo "tcp_run.sh: needs root (namespaces, TAP)" >&2; exit 1; }
[ -d "$B" ] || cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! cmake --build "$B" --target bench_tcp bench_tcp_relay umikamed umk -j2 >"$B/tcp_run-build.log" 2>&1; then
	echo "tcp_run.sh: build failed (see $B/tcp_run-build.log): using the binaries already in $B" >&2
fi
B=$(cd "$B" && pwd)
BT=$B/bench/bench_tcp
UMK=$B/bin/umk
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cpus, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (modified)')"

# Namespaces: a <-veth va/vb-> b (Linux offloads on), c <-veth vc/vd-> d (offloads off),
# u: TAP btap0 with umikamed (offloads), o: TAP btap1 with umikamed -O.
T=tcpb$$
TMP=$(mktemp -d /tmp/umk-tcpb.XXXXXX)
SOCK=$TMP/umikamed.sock      # the offloads one (the default)
SOCKO=$TMP/umikamed-O.sock   # umikamed -O
UPID=
OPID=
cleanup() {
	[ -n "$UPID" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null || true
	[ -n "$OPID" ] && kill "$OPID" 2>/dev/null && wait "$OPID" 2>/dev/null || true
	for n in a b c d u o; do ip netns del "$T$n" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
for n in a b c d u o; do
	ip netns add "$T$n"
	ip -n "$T$n" link set lo up
done
veth() { # NS1 IF1 NS2 IF2 PREFIX
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" addr add "$5::1/64" dev "$2" nodad
	ip -n "$3" addr add "$5::2/64" dev "$4" nodad
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}
veth "${T}a" va "${T}b" vb 2001:db8:c
veth "${T}c" vc "${T}d" vd 2001:db8:f
ip netns exec "${T}c" "$B/bench/bench_tcp_relay" -O vc
ip netns exec "${T}d" "$B/bench/bench_tcp_relay" -O vd

# Linux <-> umikamed: a TAP. start_umikamed on|off [wrapper (valgrind ...)]
start_umikamed() {
	local mode=$1 ns=${T}u tap=btap0 sock=$SOCK net=2001:db8:d flags=()
	shift
	[ "$mode" = off ] && { ns=${T}o; tap=btap1; sock=$SOCKO; net=2001:db8:e; flags=(-O); }
	ip netns exec "$ns" "$@" "$B/bin/umikamed" -f "${flags[@]}" -i "$tap" -s "$sock" >"$TMP/umikamed-$mode.log" 2>&1 &
	if [ "$mode" = off ]; then OPID=$!; else UPID=$!; fi
	for _ in $(seq 200); do [ -S "$sock" ] && "$UMK" -s "$sock" link show >/dev/null 2>&1 && break; sleep 0.05; done
	ip -n "$ns" link set "$tap" up
	ip -n "$ns" addr replace "$net::1/64" dev "$tap" nodad
	"$UMK" -s "$sock" conf set "$tap" dad_transmits 0 >/dev/null
	"$UMK" -s "$sock" addr add "$net::2/64" dev "$tap"
	for _ in $(seq 100); do ip netns exec "$ns" ping -6 -c1 -W1 "$net::2" >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_umikamed() { # on|off
	local pid=$UPID
	[ "$1" = off ] && pid=$OPID
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ "$1" = off ]; then OPID=; rm -f "$SOCKO"; else UPID=; rm -f "$SOCK"; fi
}
start_umikamed on
start_umikamed off
for p in "${T}a 2001:db8:c::2" "${T}c 2001:db8:f::2"; do
	set -- $p
	for _ in $(seq 50); do ip netns exec "$1" ping -6 -c1 -W1 "$2" >/dev/null 2>&1 && break; sleep 0.1; done
done
# the TAP offloads each umikamed ended up with (its stats row Offloads; 0 = none)
tapstat() { # SOCK ROW
	"$UMK" -s "$1" stats | awk -v r="$2" '/^tap /{t=1} t && $1 == r":" {print $2; exit}'
}
echo "umikamed TAP offloads: default $(tapstat "$SOCK" Offloads), -O $(tapstat "$SOCKO" Offloads)"

# Each transfer a port of its own: they run in $(...), so the counter lives in a file; a
# port used again could meet the stack's last connection on it
next_port() {
	PORT=$(($(cat "$TMP/port" 2>/dev/null || echo 7000) + 1))
	echo "$PORT" >"$TMP/port"
}
# the peers' output files are removed before the peer starts: `>FILE &` truncates in the
# child, so a "listening" left from the last transfer could otherwise be read first
waitfor() { # FILE: until the peer said "listening" (or 10 s)
	for _ in $(seq 200); do grep -q listening "$1" 2>/dev/null && return; sleep 0.05; done
	echo "peer did not start: $(cat "$1")" >&2
}
PEER_TIMEOUT=(timeout 300)   # a peer whose other end failed does not wait for ever
# xfer SINK_PREFIX... -- SOURCE_PREFIX... HOST: one transfer, prints MB/s (10^6 bytes/s)
xfer() {
	local sink=() src=() host
	while [ "$1" != -- ]; do sink+=("$1"); shift; done
	shift
	host=${*: -1}
	src=("${@:1:$#-1}")
	next_port
	rm -f "$TMP/sink"
	"${PEER_TIMEOUT[@]}" "${sink[@]}" sink "$PORT" >"$TMP/sink" 2>&1 &
	local pid=$!
	waitfor "$TMP/sink"
	"${PEER_TIMEOUT[@]}" "${src[@]}" source "$host" "$PORT" "$MB" || kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	line=$(grep '^bytes' "$TMP/sink" || echo "bytes 0 failed: $(cat "$TMP/sink")")
	# bytes B seconds T MB/s R
	set -- $line
	[ "$2" = $((MB << 20)) ] || { echo "short transfer: $line" >&2; echo 0; return; }
	echo "$6"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }
share() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.0f %%", 100 * a / b; else print "-"}'; }

# A case is a name, the function that makes one transfer, and the baseline it is a share of
# (a case name, or nothing). run_cases runs every case once per round, REPS rounds, so that
# the modes alternate, then prints each case's median, range and share.
CNAME=() CFUNC=() CBASE=() CRUNS=()
add_case() { CNAME+=("$1"); CFUNC+=("$2"); CBASE+=("${3:-}"); CRUNS+=(""); }
declare -A MEDIAN
run_cases() {
	local i r v
	for r in $(seq "$REPS"); do
		for i in "${!CNAME[@]}"; do
			v=$(${CFUNC[$i]})
			CRUNS[$i]="${CRUNS[$i]} $v"
		done
	done
	for i in "${!CNAME[@]}"; do
		v=$(echo "${CRUNS[$i]}" | median)
		MEDIAN[${CNAME[$i]}]=$v
		local rg sh="" b
		rg=$(echo "${CRUNS[$i]}" | range)
		if [ -n "${CBASE[$i]}" ]; then   # the median over the baseline's median
			b=${MEDIAN[${CBASE[$i]}]:-0}
			sh="= $(share "$v" "$b") of ${CBASE[$i]} (runs $(share "${rg%-*}" "$b" | tr -d ' %')-$(share "${rg#*-}" "$b"))"
		fi
		printf '  %-38s %8s MB/s  range %-11s (runs:%s)  %s\n' "${CNAME[$i]}" "$v" "$rg" "${CRUNS[$i]}" "$sh"
	done
	CNAME=() CFUNC=() CBASE=() CRUNS=()
}
NA=(ip netns exec "${T}a" "$BT")
NB=(ip netns exec "${T}b" "$BT")
NC=(ip netns exec "${T}c" "$BT")
ND=(ip netns exec "${T}d" "$BT")
NU=(ip netns exec "${T}u" "$BT")
NO=(ip netns exec "${T}o" "$BT")
US=("$BT" -s "$SOCK")
UO=("$BT" -s "$SOCKO")
USB=("$BT" -s "$SOCK" -b 4194304)   # umikame's largest buffers (limits.max_socket_rcvbuf)

veth_on()  { xfer "${NB[@]}" -- "${NA[@]}" 2001:db8:c::2; }
veth_off() { xfer "${ND[@]}" -- "${NC[@]}" 2001:db8:f::2; }
recv_on()  { xfer "${US[@]}" -- "${NU[@]}" 2001:db8:d::2; }
send_on()  { xfer "${NU[@]}" -- "${US[@]}" 2001:db8:d::1; }
recv_off() { xfer "${UO[@]}" -- "${NO[@]}" 2001:db8:e::2; }
send_off() { xfer "${NO[@]}" -- "${UO[@]}" 2001:db8:e::1; }
recv_4m()  { xfer "${USB[@]}" -- "${NU[@]}" 2001:db8:d::2; }
send_4m()  { xfer "${NU[@]}" -- "${USB[@]}" 2001:db8:d::1; }

want() { case " ${UMK_TCP_SECTIONS:-bulk placed latency strace callgrind} " in *" $1 "*) return 0;; esac; return 1; }
VON="Linux->Linux veth, offloads on"
VOFF="Linux->Linux veth, offloads off"
if want bulk; then
	echo "== bulk throughput, $MB MiB per transfer, median of $REPS (pairs alternating in each round)"
	add_case "$VON" veth_on
	add_case "$VOFF" veth_off
	add_case "Linux->umikamed TAP, offloads" recv_on "$VON"
	add_case "umikamed->Linux TAP, offloads" send_on "$VON"
	add_case "Linux->umikamed TAP, -O" recv_off "$VOFF"
	add_case "umikamed->Linux TAP, -O" send_off "$VOFF"
	add_case "Linux->umikamed TAP, offl., 4 MiB" recv_4m "$VON"
	add_case "umikamed->Linux TAP, offl., 4 MiB" send_4m "$VON"
	run_cases
fi

# placed: umikamed and its client on CPU $PC, the Linux peer on CPU $PL; umikamed is
# pinned for the transfer and given all CPUs back after it
NCPU=$(nproc)
PC=${UMK_TCP_CPU:-0}
PL=$(((PC + 1) % NCPU))
ALL=0-$((NCPU - 1))
pin() { taskset -a -p -c "$1" "$2" >/dev/null; }
placed() { # on|off FUNC
	local pid=$UPID
	[ "$1" = off ] && pid=$OPID
	pin "$PC" "$pid"
	local sv_us=("${US[@]}") sv_uo=("${UO[@]}") sv_nu=("${NU[@]}") sv_no=("${NO[@]}")
	US=(taskset -c "$PC" "${US[@]}"); UO=(taskset -c "$PC" "${UO[@]}")
	NU=(ip netns exec "${T}u" taskset -c "$PL" "$BT"); NO=(ip netns exec "${T}o" taskset -c "$PL" "$BT")
	"$2"
	US=("${sv_us[@]}"); UO=("${sv_uo[@]}"); NU=("${sv_nu[@]}"); NO=("${sv_no[@]}")
	pin "$ALL" "$pid"
}
p_recv_on()  { placed on recv_on; }
p_send_on()  { placed on send_on; }
p_recv_off() { placed off recv_off; }
p_send_off() { placed off send_off; }
if want placed && [ "$NCPU" -ge 2 ]; then
	echo "== placed: umikamed + its client pinned to cpu $PC, the Linux peer to cpu $PL; $MB MiB, median of $REPS"
	want bulk || { add_case "$VON" veth_on; add_case "$VOFF" veth_off; }
	add_case "placed Linux->umikamed, offloads" p_recv_on "$VON"
	add_case "placed umikamed->Linux, offloads" p_send_on "$VON"
	add_case "placed Linux->umikamed, -O" p_recv_off "$VOFF"
	add_case "placed umikamed->Linux, -O" p_send_off "$VOFF"
	run_cases
fi

pingpong() { # NAME ECHO... -- PING... HOST
	local name=$1 echo=() line
	shift
	while [ "$1" != -- ]; do echo+=("$1"); shift; done
	shift
	next_port
	rm -f "$TMP/echo"
	"${PEER_TIMEOUT[@]}" "${echo[@]}" echo "$PORT" >"$TMP/echo" 2>&1 &
	local pid=$!
	waitfor "$TMP/echo"
	line=$("${PEER_TIMEOUT[@]}" "${@:1:$#-1}" ping "${*: -1}" "$PORT" "$N" ||
		{ kill "$pid" 2>/dev/null; echo "rtt_us median failed p99 - min -"; })
	wait "$pid" 2>/dev/null || true
	set -- $line
	printf '  %-38s median %8s  p99 %8s  min %8s\n' "$name" "$3" "$5" "$7"
}
if want latency; then
	echo "== 1-byte request/response, $N round trips (microseconds)"
	pingpong "Linux<->Linux veth" "${NB[@]}" -- "${NA[@]}" 2001:db8:c::2
	pingpong "Linux pings umikamed (TAP)" "${US[@]}" -- "${NU[@]}" 2001:db8:d::2
	pingpong "umikamed pings Linux (TAP)" "${NU[@]}" -- "${US[@]}" 2001:db8:d::1
	pingpong "Linux pings umikamed -O (TAP)" "${UO[@]}" -- "${NO[@]}" 2001:db8:e::2
	pingpong "umikamed -O pings Linux (TAP)" "${NO[@]}" -- "${UO[@]}" 2001:db8:e::1
	if want placed && [ "$NCPU" -ge 2 ]; then
		pin "$PC" "$UPID"
		pingpong "placed: Linux pings umikamed" taskset -c "$PC" "${US[@]}" -- \
			ip netns exec "${T}u" taskset -c "$PL" "$BT" 2001:db8:d::2
		pingpong "placed: umikamed pings Linux" ip netns exec "${T}u" taskset -c "$PL" "$BT" -- \
			taskset -c "$PC" "${US[@]}" 2001:db8:d::1
		pin "$ALL" "$UPID"
	fi
fi

insegs() { "$UMK" -s "$SOCK" -j stats | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)["tcp"]["InSegs"])'; }
SMB=20
frames() { # NS TAP: the frames (super-frames count one) the TAP's kernel side counted both ways
	ip netns exec "$1" sh -c "echo \$(( \$(cat /sys/class/net/$2/statistics/rx_packets) + \$(cat /sys/class/net/$2/statistics/tx_packets) ))"
}
if want strace && command -v strace >/dev/null; then
	for mode in on off; do
		if [ $mode = on ]; then
			ns=${T}u; tap=btap0; pid=$UPID; label="offloads"; f=recv_on
		else
			ns=${T}o; tap=btap1; pid=$OPID; label="-O"; f=recv_off
		fi
		echo "== syscalls per frame (strace -c on umikamed $label, Linux -> umikamed, $SMB MiB)"
		MB0=$MB; MB=$SMB
		f0=$(frames "$ns" $tap)
		strace -c -f -p "$pid" -o "$TMP/strace" &
		SPID=$!
		sleep 1
		r=$($f)
		kill -INT "$SPID"; wait "$SPID" 2>/dev/null || true
		f1=$(frames "$ns" $tap)
		MB=$MB0
		frames=$((f1 - f0))
		calls=$(awk '/^100.00|total/ {print $4}' "$TMP/strace" | tail -1)
		echo "  frames on the TAP (both ways, a super-frame is one): $frames, syscalls by umikamed: $calls, per frame: $(awk "BEGIN {printf \"%.2f\", $calls / $frames}"), per MiB: $((calls / SMB))  (throughput under strace: $r MB/s)"
		grep -E '^ *[0-9.]+ ' "$TMP/strace" | sort -k4 -n -r | head -6 | awk '{printf "    %-14s %s calls\n", $NF, $4}'
	done
fi

if want callgrind && command -v valgrind >/dev/null; then
	echo "== instructions per received segment (umikamed with offloads under callgrind, Linux -> umikamed, $SMB MiB)"
	stop_umikamed on
	start_umikamed on valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/cg.out"
	s0=$(insegs)
	MB0=$MB; MB=$SMB
	callgrind_control -i on "$UPID" >/dev/null 2>&1 || true
	if [ "${UMK_TCP_CG_SEND:-}" = 1 ]; then   # the other way: umikamed sends to Linux
		r=$(send_on)
	else
		r=$(recv_on)
	fi
	callgrind_control -i off "$UPID" >/dev/null 2>&1 || true
	MB=$MB0
	s1=$(insegs)
	stop_umikamed on
	ir=$(grep -hE '^(summary|totals):' "$TMP"/cg.out* | awk '{s += $2} END {print s}')
	segs=$((s1 - s0))
	wire=$(((SMB << 20) / 1428))
	[ -n "${UMK_TCP_CGOUT:-}" ] && cp "$(ls "$TMP"/cg.out* | head -1)" "$UMK_TCP_CGOUT"   # kept for callgrind_annotate
	echo "  umikamed instructions: $ir over $segs segments in (InSegs): $((ir / segs)) per segment in, $((ir / wire)) per 1,428 payload bytes (includes its ACKs, the TAP reads and the remote API's delivery; throughput under callgrind: $r MB/s)"
	if command -v callgrind_annotate >/dev/null; then
		echo "  top functions (self cost):"
		cg=$(ls "$TMP"/cg.out* | head -1)
		callgrind_annotate "$cg" 2>/dev/null | grep -E '^ *[0-9,]+ +\(' | head -8 | sed 's/^/    /' || true
		echo "  who calls memcpy and the checksum (callers, instructions below them):"
		callgrind_annotate --tree=caller "$cg" 2>/dev/null |
			awk '/^ *[0-9,]+ +(\( *[0-9.]+%\) +)?< / {buf = buf $0 "\n"; next}
			     /^ *[0-9,]+ +(\( *[0-9.]+%\) +)?\* .*(memcpy|memmove|csum_add)/ {printf "%s%s\n", buf, $0}
			     {buf = ""}' | sed 's/\[[^]]*\]//g; s/^/    /' | head -30 || true
	fi
fi

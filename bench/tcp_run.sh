#!/usr/bin/env bash
# bench/tcp_run.sh - TCP figures of issue 3, side by side in one run (needs root):
#   1. bulk throughput (MB MiB, median of REPS runs, receiver's clock first byte to EOF):
#        Linux -> Linux      over a veth pair between two namespaces (offloads as Linux
#                            sets them: TSO/GSO/GRO, checksum offload), and again with
#                            those offloads off (bench_tcp_relay -O), the fair comparison
#        Linux -> umikamed   over a TAP: the kernel on the TAP's kernel side, umikamed on
#        umikamed -> Linux   its fd, the umikame end driven through the remote socket API,
#                            with the default 256 KiB socket buffers and with 4 MiB ones
#   2. request/response latency: N 1-byte round trips (TCP_NODELAY), median and p99, for
#      the same pairs (Linux pings umikamed's echo, umikamed pings Linux's echo);
#   3. instructions per received full-size segment: umikamed under callgrind, collection
#      zeroed just before a Linux -> umikamed transfer and dumped after it, divided by the
#      segments umikamed counted in (tcp InSegs from `umk stats`);
#   4. syscalls per frame: strace -c on umikamed during a transfer, over the frames the TAP
#      carried both ways (its kernel-side counters).
# Both ends of every pair run the same program, bench/bench_tcp.c (kernel sockets, or the
# umikame remote API with -s). Usage: bench/tcp_run.sh [BUILD_DIR] [MB] [REPS] [N]
# (defaults: build, 100, 3, 2000); UMK_TCP_SECTIONS="bulk latency strace callgrind" picks
# sections; UMK_TCP_CGOUT=FILE keeps callgrind's output, UMK_TCP_CG_SEND=1 profiles umikamed
# sending instead (the figure is then per segment received, i.e. per ACK). Everything else it makes is removed
# on exit.
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

T=tcpb$$
TMP=$(mktemp -d /tmp/umk-tcpb.XXXXXX)
SOCK=$TMP/umikamed.sock
UPID=
cleanup() {
	[ -n "$UPID" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null || true
	for n in a b u; do ip netns del "$T$n" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
for n in a b u; do
	ip netns add "$T$n"
	ip -n "$T$n" link set lo up
done
# Linux <-> Linux: a veth pair
ip -n "${T}a" link add va type veth peer name vb netns "${T}b"
ip -n "${T}a" addr add 2001:db8:c::1/64 dev va nodad
ip -n "${T}b" addr add 2001:db8:c::2/64 dev vb nodad
ip -n "${T}a" link set va up
ip -n "${T}b" link set vb up
# Linux <-> umikamed: a TAP
start_umikamed() { # $@: wrapper (valgrind ...) or nothing
	ip netns exec "${T}u" "$@" "$B/bin/umikamed" -f -i btap0 -s "$SOCK" >"$TMP/umikamed.log" 2>&1 &
	UPID=$!
	for _ in $(seq 200); do [ -S "$SOCK" ] && "$UMK" -s "$SOCK" link show >/dev/null 2>&1 && break; sleep 0.05; done
	ip -n "${T}u" link set btap0 up
	ip -n "${T}u" addr replace 2001:db8:d::1/64 dev btap0 nodad
	"$UMK" -s "$SOCK" conf set btap0 dad_transmits 0 >/dev/null
	"$UMK" -s "$SOCK" addr add 2001:db8:d::2/64 dev btap0
	for _ in $(seq 100); do ip netns exec "${T}u" ping -6 -c1 -W1 2001:db8:d::2 >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_umikamed() {
	kill "$UPID" 2>/dev/null || true
	wait "$UPID" 2>/dev/null || true
	UPID=
	rm -f "$SOCK"
}
start_umikamed
for _ in $(seq 50); do ip netns exec "${T}a" ping -6 -c1 -W1 2001:db8:c::2 >/dev/null 2>&1 && break; sleep 0.1; done

PORT=7000
waitfor() { # FILE: until the peer said "listening" (or 10 s)
	for _ in $(seq 200); do grep -q listening "$1" 2>/dev/null && return; sleep 0.05; done
	echo "peer did not start: $(cat "$1")" >&2
}
# xfer SINK_PREFIX... -- SOURCE_PREFIX... HOST: one transfer, prints MB/s (10^6 bytes/s)
xfer() {
	local sink=() src=() host
	while [ "$1" != -- ]; do sink+=("$1"); shift; done
	shift
	host=${*: -1}
	src=("${@:1:$#-1}")
	PORT=$((PORT + 1))
	"${sink[@]}" sink "$PORT" >"$TMP/sink" 2>&1 &
	local pid=$!
	waitfor "$TMP/sink"
	"${src[@]}" source "$host" "$PORT" "$MB" || true
	wait "$pid" 2>/dev/null || true
	line=$(grep '^bytes' "$TMP/sink" || echo "bytes 0 failed: $(cat "$TMP/sink")")
	# bytes B seconds T MB/s R
	set -- $line
	[ "$2" = $((MB << 20)) ] || { echo "short transfer: $line" >&2; echo 0; return; }
	echo "$6"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# series NAME SINK... -- SOURCE... HOST
series() {
	local name=$1 runs=() r
	shift
	for _ in $(seq "$REPS"); do runs+=("$(xfer "$@")"); done
	r=$(echo "${runs[*]}" | median)
	printf '  %-34s %8s MB/s   (runs: %s)\n' "$name" "$r" "${runs[*]}"
	eval "R_${name//[^A-Za-z]/_}=$r"
}
NA=(ip netns exec "${T}a" "$BT")
NB=(ip netns exec "${T}b" "$BT")
NU=(ip netns exec "${T}u" "$BT")
US=("$BT" -s "$SOCK")
USB=("$BT" -s "$SOCK" -b 4194304)   # umikame's largest buffers (limits.max_socket_rcvbuf)

want() { case " ${UMK_TCP_SECTIONS:-bulk latency strace callgrind} " in *" $1 "*) return 0;; esac; return 1; }
if want bulk; then
echo "== bulk throughput, $MB MiB per transfer, median of $REPS"
series "Linux->Linux veth (offloads on)" "${NB[@]}" -- "${NA[@]}" 2001:db8:c::2
for n in a b; do ip netns exec "$T$n" "$B/bench/bench_tcp_relay" -O "v$n"; done
series "Linux->Linux veth (offloads off)" "${NB[@]}" -- "${NA[@]}" 2001:db8:c::2
series "Linux->umikamed TAP" "${US[@]}" -- "${NU[@]}" 2001:db8:d::2
series "umikamed->Linux TAP" "${NU[@]}" -- "${US[@]}" 2001:db8:d::1
series "Linux->umikamed TAP, 4 MiB bufs" "${USB[@]}" -- "${NU[@]}" 2001:db8:d::2
series "umikamed->Linux TAP, 4 MiB bufs" "${NU[@]}" -- "${USB[@]}" 2001:db8:d::1
fi

pingpong() { # NAME ECHO... -- PING... HOST
	local name=$1 echo=() line
	shift
	while [ "$1" != -- ]; do echo+=("$1"); shift; done
	shift
	PORT=$((PORT + 1))
	"${echo[@]}" echo "$PORT" >"$TMP/echo" 2>&1 &
	local pid=$!
	waitfor "$TMP/echo"
	line=$("${@:1:$#-1}" ping "${*: -1}" "$PORT" "$N" || echo "rtt_us median failed p99 - min -")
	wait "$pid" 2>/dev/null || true
	set -- $line
	printf '  %-34s median %8s  p99 %8s  min %8s\n' "$name" "$3" "$5" "$7"
}
if want latency; then
echo "== 1-byte request/response, $N round trips (microseconds)"
pingpong "Linux<->Linux veth" "${NB[@]}" -- "${NA[@]}" 2001:db8:c::2
pingpong "Linux pings umikamed (TAP)" "${US[@]}" -- "${NU[@]}" 2001:db8:d::2
pingpong "umikamed pings Linux (TAP)" "${NU[@]}" -- "${US[@]}" 2001:db8:d::1
fi

insegs() { "$UMK" -s "$SOCK" -j stats | /usr/bin/python3 -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "InSegs" and isinstance(v, int):
                return v
            r = find(v)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None:
                return r
print(find(json.load(sys.stdin)))'; }
SMB=20
if want strace && command -v strace >/dev/null; then
	echo "== syscalls per frame (strace -c on umikamed, Linux -> umikamed, $SMB MiB)"
	MB0=$MB; MB=$SMB
	f0=$(ip netns exec "${T}u" sh -c 'echo $(( $(cat /sys/class/net/btap0/statistics/rx_packets) + $(cat /sys/class/net/btap0/statistics/tx_packets) ))')
	strace -c -f -p "$UPID" -o "$TMP/strace" &
	SPID=$!
	sleep 1
	r=$(xfer "${US[@]}" -- "${NU[@]}" 2001:db8:d::2)
	kill -INT "$SPID"; wait "$SPID" 2>/dev/null || true
	f1=$(ip netns exec "${T}u" sh -c 'echo $(( $(cat /sys/class/net/btap0/statistics/rx_packets) + $(cat /sys/class/net/btap0/statistics/tx_packets) ))')
	MB=$MB0
	frames=$((f1 - f0))
	calls=$(awk '/^100.00|total/ {print $4}' "$TMP/strace" | tail -1)
	echo "  frames on the TAP (both ways): $frames, syscalls by umikamed: $calls, per frame: $(awk "BEGIN {printf \"%.2f\", $calls / $frames}")  (throughput under strace: $r MB/s)"
	grep -E '^ *[0-9.]+ ' "$TMP/strace" | sort -k4 -n -r | head -6 | awk '{printf "    %-14s %s calls\n", $NF, $4}'
fi

if want callgrind && command -v valgrind >/dev/null; then
	echo "== instructions per received full-size segment (umikamed under callgrind, Linux -> umikamed, $SMB MiB)"
	stop_umikamed
	start_umikamed valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/cg.out"
	s0=$(insegs)
	MB0=$MB; MB=$SMB
	callgrind_control -i on "$UPID" >/dev/null 2>&1 || true
	if [ "${UMK_TCP_CG_SEND:-}" = 1 ]; then   # the other way: umikamed sends to Linux
		r=$(xfer "${NU[@]}" -- "${US[@]}" 2001:db8:d::1)
	else
		r=$(xfer "${US[@]}" -- "${NU[@]}" 2001:db8:d::2)
	fi
	callgrind_control -i off "$UPID" >/dev/null 2>&1 || true
	MB=$MB0
	s1=$(insegs)
	stop_umikamed
	ir=$(grep -hE '^(summary|totals):' "$TMP"/cg.out* | awk '{s += $2} END {print s}')
	segs=$((s1 - s0))
	[ -n "${UMK_TCP_CGOUT:-}" ] && cp "$(ls "$TMP"/cg.out* | head -1)" "$UMK_TCP_CGOUT"   # kept for callgrind_annotate
	echo "  umikamed instructions: $ir over $segs segments in: $((ir / segs)) per segment (includes its ACKs, the TAP reads and the remote API's delivery; throughput under callgrind: $r MB/s)"
	if command -v callgrind_annotate >/dev/null; then
		echo "  top functions (self cost):"
		cg=$(ls "$TMP"/cg.out* | head -1)
		callgrind_annotate "$cg" 2>/dev/null | grep -E '^ *[0-9,]+ +\(' | head -8 | sed 's/^/    /' || true
		echo "  who calls memcpy and the checksum (callers, instructions below them):"
		callgrind_annotate --tree=caller "$cg" 2>/dev/null |
			awk '/^ *[0-9,]+ +(\([0-9.]+%\) +)?< / {buf = buf $0 "\n"; next}
			     /^ *[0-9,]+ +(\([0-9.]+%\) +)?\* .*(memcpy|memmove|csum_add)/ {printf "%s%s\n", buf, $0}
			     {buf = ""}' | sed 's/\[[^]]*\]//g; s/^/    /' | head -30 || true
	fi
fi

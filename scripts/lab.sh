# lab.sh - shell helpers for the demo lab (sourced by scripts/demo.sh).
# A lab is one network namespace; umikamed runs inside it on tap0, and the namespace's Linux
# kernel is its neighbour (and, with radvd, its router).

lab_log()  { printf '\n\033[1m== %s\033[0m\n' "$*"; }
lab_cmd()  { printf '$ %s\n' "$*"; "$@"; }
lab_fail() { printf '\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }

# lab_wait SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.2 s until it succeeds.
lab_wait() {
	local secs=$1 what=$2 i
	shift 2
	for i in $(seq 1 $((secs * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	lab_fail "timed out after ${secs}s waiting for $what"
}

# lab_ns_create NS: a namespace with IPv6 on and the kernel's addresses usable at once.
lab_ns_create() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

# lab_ns_destroy NS: kills what still runs in it, then deletes it.
lab_ns_destroy() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$1" 2>/dev/null || true
}

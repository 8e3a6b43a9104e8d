#!/bin/sh
# deps.sh - install what building and testing umikame needs (Debian/Ubuntu, apt-get).
# Fast when everything is present: asks dpkg first, runs `apt-get update` only if
# something is missing. Non-interactive; needs root to install.
set -eu

PKGS="build-essential cmake clang libcmocka-dev libssl-dev zlib1g-dev pkg-config
python3 python3-scapy python3-pytest python3-pytest-timeout
iproute2 iputils-ping iputils-tracepath traceroute ndisc6 radvd tcpdump tshark
thc-ipv6 ipv6toolkit valgrind procps coreutils
netcat-openbsd nftables python3-cryptography"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages (run: sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null
echo "deps: done"

"""
test_traceroute.py - `umk traceroute` and `umk ping` from umikamed, over raw ICMPv6 and UDP
sockets of the remote socket API (RFC 3542), through a Linux router to a Linux host; and
RFC 3542 extension headers both ways between umikamed (examples/exthdr_peer.c) and Linux's
own socket API on the host.

Topology (each box its own network namespace, names unique per run):

   [umikamed in U] tap0 ======== tap0 [Linux router R] rh ---- hr [Linux host H]
          2001:db8:1::2/64   2001:db8:1::1/64   2001:db8:2::1/64   2001:db8:2::2/64
   umikamed: default via 2001:db8:1::1.  R forwards.  H: default via 2001:db8:2::1.

The TAP's kernel side is moved into R after umikamed opened it. ICMPv6 rate limits are off
in R and H so that every probe is answered. Run as root:
  UMK_BUILD=build /usr/bin/python3 -m pytest tests/router/test_traceroute.py -q
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from lab import nsx, sh, wait_for  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("UMK_BUILD", "build"))
UMIKAMED = os.path.join(BUILD, "bin", "umikamed")
UMK = os.path.join(BUILD, "bin", "umk")

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(UMIKAMED),
                                reason="needs root and a built umikamed")

ROUTER, HOST, FAR = "2001:db8:1::1", "2001:db8:2::2", "2001:db8:3::1"





class Topo:
    def __init__(self):
        tag = "%d" % os.getpid()
        self.ns = {k: "tr%s-%s" % (k, tag) for k in ("U", "R", "H")}
        self.tmp = tempfile.mkdtemp(prefix="umk-traceroute-")
        self.sock = os.path.join(self.tmp, "umikamed.sock")
        self.procs = []

    def umk(self, *args, check=False, timeout=40):
        return nsx(self.ns["U"], UMK, "-s", self.sock, *args, check=check, timeout=timeout)

    def up(self):
        n = self.ns
        for v in n.values():
            sh(["ip", "netns", "add", v])
            nsx(v, "ip", "link", "set", "lo", "up")
        for v in (n["R"], n["H"]):
            nsx(v, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
            nsx(v, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
            nsx(v, "sysctl", "-qw", "net.ipv6.icmp.ratelimit=0")
        nsx(n["R"], "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        cfg = os.path.join(self.tmp, "umikamed.conf")
        with open(cfg, "w") as f:
            f.write("conf set tap0 dad_transmits 0\n"
                    "addr add 2001:db8:1::2/64 dev tap0\n")
        log = open(os.path.join(self.tmp, "umikamed.log"), "w")
        p = subprocess.Popen(["ip", "netns", "exec", n["U"], UMIKAMED, "-f", "-i", "tap0",
                              "-s", self.sock, "-c", cfg], stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        assert wait_for(lambda: os.path.exists(self.sock), 10), "umikamed did not start"
        nsx(n["U"], "ip", "link", "set", "tap0", "netns", n["R"])
        nsx(n["R"], "ip", "addr", "add", ROUTER + "/64", "dev", "tap0")
        nsx(n["R"], "ip", "link", "set", "tap0", "up")
        nsx(n["R"], "ip", "link", "add", "rh", "type", "veth", "peer", "name", "hr",
            "netns", n["H"])
        nsx(n["R"], "ip", "addr", "add", "2001:db8:2::1/64", "dev", "rh")
        nsx(n["R"], "ip", "link", "set", "rh", "up")
        nsx(n["H"], "ip", "addr", "add", HOST + "/64", "dev", "hr")
        nsx(n["H"], "ip", "link", "set", "hr", "up")
        nsx(n["H"], "ip", "-6", "route", "add", "default", "via", "2001:db8:2::1")
        self.umk("route", "add", "default", "via", ROUTER, "dev", "tap0", check=True)
        # the path works before any test relies on it (ND on both links settles)
        ok = wait_for(lambda: self.umk("ping", "-c", 1, "-W", 1, HOST).returncode == 0, 20, 0.5)
        assert ok, "no path to the host: %s" % self.umk("route", "show").stdout

    def down(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for v in self.ns.values():
            sh(["ip", "netns", "del", v], check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def topo():
    t = Topo()
    try:
        t.up()
        yield t
    finally:
        t.down()


def hops_of(out):
    """{hop: [addresses in order]} and {hop: the line} from traceroute6-style output."""
    hops, lines = {}, {}
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)\s+(.*)$", line)
        if m:
            h = int(m.group(1))
            hops[h] = re.findall(r"([0-9a-f:]+:[0-9a-f:]*)\s+[\d.]+ ms", m.group(2))
            lines[h] = m.group(2)
    return hops, lines


@pytest.mark.parametrize("icmp", [False, True], ids=["udp", "icmp"])
def test_traceroute_through_linux_router(topo, icmp):
    """Hop 1 is the Linux router (Time Exceeded, RFC 4443 3.3, to hop limit 1), hop 2 the
    host, whose Port Unreachable (UDP) or echo reply (-I) ends the trace: exit 0."""
    args = ["traceroute", "-m", 6, "-q", 2, "-w", 2] + (["-I"] if icmp else []) + [HOST]
    r = topo.umk(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("traceroute to %s (%s), 6 hops max" % (HOST, HOST)), r.stdout
    hops, lines = hops_of(r.stdout)
    assert sorted(hops) == [1, 2], r.stdout
    assert hops[1] == [ROUTER], r.stdout          # named once, then only the times
    assert hops[2] == [HOST], r.stdout
    assert lines[2].count(" ms") == 2 and "*" not in lines[2], r.stdout


def test_traceroute_json(topo):
    r = topo.umk("-j", "traceroute", "-m", 4, "-q", 1, "-w", 2, HOST)
    assert r.returncode == 0, r.stdout + r.stderr
    d = json.loads(r.stdout)
    assert d["reached"] is True and d["method"] == "udp" and d["max_hops"] == 4
    assert [h["hop"] for h in d["hops"]] == [1, 2]
    p1, p2 = d["hops"][0]["probes"][0], d["hops"][1]["probes"][0]
    assert p1["address"] == ROUTER and p1["icmp_type"] == 3 and p1["icmp_code"] == 0
    assert p2["address"] == HOST and p2["icmp_type"] == 1 and p2["icmp_code"] == 4
    assert 0 < p1["rtt_us"] < 2000000


def test_traceroute_no_route_marked(topo):
    """The router has no route to FAR: its Destination Unreachable code 0 ends the trace
    as !N on hop 1, and the destination was not reached: exit 1."""
    r = topo.umk("traceroute", "-m", 5, "-q", 1, "-w", 2, FAR)
    assert r.returncode == 1, r.stdout + r.stderr
    hops, lines = hops_of(r.stdout)
    assert sorted(hops) == [1], r.stdout
    assert hops[1] == [ROUTER] and "!N" in lines[1], r.stdout


def test_traceroute_max_hops_and_usage(topo):
    r = topo.umk("traceroute", "-m", 1, "-q", 1, "-w", 1, HOST)
    assert r.returncode == 1, r.stdout + r.stderr
    hops, _ = hops_of(r.stdout)
    assert hops == {1: [ROUTER]}, r.stdout
    for bad in (["-m", 0, HOST], ["-q", "x", HOST], [], ["not-an-address"], ["-z", HOST]):
        r = topo.umk("traceroute", *bad)
        assert r.returncode == 2, bad
        assert len([l for l in r.stderr.splitlines() if l.strip()]) == 1, r.stderr


def test_ping_errors_and_hop_limit_over_raw_socket(topo):
    """umk ping on its raw ICMPv6 socket: replies through the router show the hop limit
    Linux sent minus one; hop limit 1 gets the router's Time Exceeded quoted back."""
    r = topo.umk("ping", "-c", 2, "-i", 0.2, "-W", 2, HOST)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"64 bytes from 2001:db8:2::2: icmp_seq=1 ttl=63 time=", r.stdout), r.stdout
    r = topo.umk("ping", "-c", 2, "-i", 0.2, "-W", 1, "-t", 1, HOST)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "From %s icmp_seq=1 Time exceeded: Hop limit" % ROUTER in r.stdout, r.stdout
    assert "2 packets transmitted, 0 received, +2 errors, 100% packet loss" in r.stdout


# ---- extension headers between umikamed and Linux's RFC 3542 (examples/exthdr_peer.c) ----

PEER = os.path.join(BUILD, "examples", "exthdr_peer")
UMK_ADDR = "2001:db8:1::2"

LINUX_RECV = r'''
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPOPTS, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVDSTOPTS, 1)
s.bind(("::", 9999))
s.settimeout(10)
print("ready", flush=True)
data, anc, flags, addr = s.recvmsg(256, 2048)
print("data", data.decode())
names = {socket.IPV6_HOPOPTS: "HOPOPTS", socket.IPV6_DSTOPTS: "DSTOPTS"}
for lvl, typ, d in anc:
    if lvl == socket.IPPROTO_IPV6 and typ in names:
        print(names[typ], d.hex())
'''

LINUX_SEND = r'''
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
hbh = bytes([0, 0, 0x1e, 4]) + b"lnx!"
dst = bytes([0, 0, 0x3e, 4]) + b"dst2"
s.sendmsg([b"from-linux"], [(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, hbh),
                            (socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, dst)], 0,
          (sys.argv[1], 9998))
'''


def lines_of(out):
    d = {}
    for l in out.splitlines():
        k, _, v = l.partition(" ")
        d.setdefault(k, []).append(v)
    return d


def wait_ready(p):
    line = p.stdout.readline()
    assert line.strip() == "ready", line + p.stderr.read()


@pytest.mark.skipif(not os.path.exists(PEER), reason="examples/exthdr_peer not built")
def test_exthdr_umikamed_to_linux(topo):
    """Sticky IPV6_HOPOPTS and an IPV6_DSTOPTS cmsg from umikamed: Linux, across a Linux
    router, hands both headers to its RFC 3542 recvmsg byte for byte, Next Header fields
    chained by us (HBH -> 60, DSTOPTS -> 17)."""
    p = subprocess.Popen(["ip", "netns", "exec", topo.ns["H"], "/usr/bin/python3", "-c", LINUX_RECV],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(p)
        nsx(topo.ns["U"], PEER, topo.sock, "send", HOST, 9999)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    got = lines_of(out)
    assert got["data"] == ["umikame"], out
    assert got["HOPOPTS"] == ["3c001e04" + b"hbh!".hex()], out
    assert got["DSTOPTS"] == ["11013e07" + b"dst-opt".hex() + "0103000000"], out


@pytest.mark.skipif(not os.path.exists(PEER), reason="examples/exthdr_peer not built")
def test_exthdr_linux_to_umikamed(topo):
    """Linux sends Hop-by-Hop and Destination Options by RFC 3542 cmsgs; umikamed's
    IPV6_RECVHOPOPTS / IPV6_RECVDSTOPTS give them back in packet order, byte for byte."""
    p = subprocess.Popen(["ip", "netns", "exec", topo.ns["U"], PEER, topo.sock, "recv", "9998"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(p)
        nsx(topo.ns["H"], "/usr/bin/python3", "-c", LINUX_SEND, UMK_ADDR)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    got = lines_of(out)
    assert got["data"] == ["from-linux"], out
    assert got["HOPOPTS"] == ["3c001e04" + b"lnx!".hex()], out
    assert got["DSTOPTS"] == ["11003e04" + b"dst2".hex()], out
    assert list(l.split(" ")[0] for l in out.splitlines()[1:]) == ["HOPOPTS", "DSTOPTS"], out

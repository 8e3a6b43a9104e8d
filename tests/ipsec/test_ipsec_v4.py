"""
test_ipsec_v4.py - umikamed's IPv4 (ip4/: ARP, ICMP echo, forwarding) against Linux, and
umikamed as the security gateway of an IPv4 network over an IPv6 ESP tunnel (RFC 4301
tunnel mode, IPv4 inner / IPv6 outer, RFC 4303) against scapy's independent ESP.

Topology (each box its own network namespace, names unique per run):

   hostA (Linux)                 rtr: umikamed                      gw: scapy
   tap1 10.1.0.2/24  ==TAP==  tap1 10.1.0.1/24                      plays the peer gateway
   default via 10.1.0.1          tap2 2001:db8:4::1/64  ==TAP==  tap2 2001:db8:4::2 (G),
                                                                    network 10.2.0.0/16
   SPD: 10.1.0.0/16 <-> 10.2.0.0/16 esp/tunnel/2001:db8:4::1-2001:db8:4::2/require

Linux pings umikamed (ARP + echo), then 10.2.0.5 behind the tunnel: scapy decrypts the
ESP, checks the inner IPv4 echo request and answers with an encrypted echo reply, which
umikamed decapsulates and forwards to Linux, whose ping gets its reply.
Run as root: UMK_BUILD=build-xxx /usr/bin/python3 -m pytest tests/ipsec/test_ipsec_v4.py
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from lab import Capture, nsx, sh, wait_for  # noqa: E402

from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.inet import IP, ICMP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("UMK_BUILD", "build"))
UMIKAMED = os.path.join(BUILD, "bin", "umikamed")
UMK = os.path.join(BUILD, "bin", "umk")

U6, G6 = "2001:db8:4::1", "2001:db8:4::2"
G_MAC = "02:00:5e:10:04:02"
KEY_OUT = bytes(range(1, 21))     # umikamed -> G, AES-128-GCM key + salt (RFC 4106 8.1)
KEY_IN = bytes(range(21, 41))     # G -> umikamed
SPI_OUT, SPI_IN = 0x4001, 0x4000

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(UMIKAMED),
                                reason="needs root and a built umikamed")




class Topo:
    def __init__(self):
        tag = "%d" % os.getpid()
        self.ns = {k: "v4%s-%s" % (k, tag) for k in ("rtr", "hostA", "gw")}
        self.tmp = tempfile.mkdtemp(prefix="umk-ip4-")
        self.sock = os.path.join(self.tmp, "umikamed.sock")
        self.proc = None
        self.cap = None

    def umk(self, *args, check=True):
        return nsx(self.ns["rtr"], UMK, "-s", self.sock, *args, check=check)

    def umk_json(self, *args):
        return json.loads(self.umk("-j", *args).stdout)

    def stat(self, group, name):
        return self.umk_json("stats")[group][name]

    def up(self):
        n = self.ns
        for v in n.values():
            sh(["ip", "netns", "add", v])
            nsx(v, "ip", "link", "set", "lo", "up")
        cfg = os.path.join(self.tmp, "umikamed.conf")
        with open(cfg, "w") as f:
            f.write("conf set tap1 forwarding 1\n"
                    "conf set tap2 forwarding 1\n"
                    "conf set tap2 dad_transmits 0\n"
                    "addr add 10.1.0.1/24 dev tap1\n"
                    "addr add %s/64 dev tap2\n"
                    "neigh add %s lladdr %s dev tap2\n" % (U6, G6, G_MAC))
        self.log = os.path.join(self.tmp, "umikamed.log")
        self.proc = subprocess.Popen(["ip", "netns", "exec", n["rtr"], UMIKAMED, "-f",
                                      "-i", "tap1", "-i", "tap2", "-s", self.sock, "-c", cfg],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        assert wait_for(lambda: os.path.exists(self.sock), 10), "umikamed did not start"
        nsx(n["rtr"], "ip", "link", "set", "tap1", "netns", n["hostA"])
        nsx(n["rtr"], "ip", "link", "set", "tap2", "netns", n["gw"])
        a = n["hostA"]
        nsx(a, "ip", "link", "set", "tap1", "up")
        nsx(a, "ip", "addr", "add", "10.1.0.2/24", "dev", "tap1")
        nsx(a, "ip", "route", "add", "default", "via", "10.1.0.1")
        # the gateway is scapy: its kernel must stay silent on the link
        nsx(n["gw"], "sysctl", "-qw", "net.ipv6.conf.tap2.disable_ipv6=1")
        nsx(n["gw"], "ip", "link", "set", "tap2", "up")
        self.cap = Capture(n["gw"], "tap2")

    def down(self):
        if self.cap:
            self.cap.stop()
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for v in self.ns.values():
            sh(["ip", "netns", "del", v], check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self):
        with open(self.log) as f:
            return f.read()[-3000:]


@pytest.fixture
def topo():
    t = Topo()
    try:
        t.up()
        yield t
    finally:
        t.down()


def ping(topo, dst, count=1, extra=()):
    return nsx(topo.ns["hostA"], "ping", "-n", "-c", str(count), "-W", "2", *extra, dst,
               check=False, timeout=20)


def test_linux_pings_umikamed(topo):
    """ARP (RFC 826) and echo (RFC 792): Linux resolves 10.1.0.1 and gets its replies."""
    r = ping(topo, "10.1.0.1", count=3, extra=("-i", "0.2"))
    assert r.returncode == 0 and "3 received" in r.stdout, r.stdout + topo.log_tail()
    neigh = nsx(topo.ns["hostA"], "ip", "neigh", "show", "10.1.0.1").stdout
    assert "lladdr" in neigh, neigh
    assert topo.stat("arp", "OutReplies") >= 1
    assert topo.stat("icmp4", "OutEchoReps") == 3
    # umikamed learned Linux from its request (RFC 826 merge) and answered without asking
    assert topo.stat("arp", "EntriesCreated") == 1
    mac = json.loads(nsx(topo.ns["hostA"], "ip", "-j", "link", "show", "tap1").stdout)[0]
    neigh = [n for n in topo.umk_json("neigh", "show") if n.get("family") == "inet"]
    assert neigh == [{"ifname": "tap1", "family": "inet", "address": "10.1.0.2",
                      "lladdr": mac["address"], "state": "REACHABLE", "router": False}], neigh
    # addresses: IPv4 entries say their family; IPv6 entries keep their old shape
    addrs = topo.umk_json("addr", "show")
    v4 = [a for a in addrs if a.get("family") == "inet"]
    assert v4 == [{"ifname": "tap1", "family": "inet", "address": "10.1.0.1", "prefixlen": 24,
                   "scope": "global", "flags": ["permanent"], "valid_lft": "forever",
                   "preferred_lft": "forever"}], addrs
    assert all("family" not in a for a in addrs if a["address"].count(":")), addrs
    routes = topo.umk_json("route", "show")
    assert any(r.get("family") == "inet" and r["dst"] == "10.1.0.0/24" and
               r["ifname"] == "tap1" and r["proto"] == "kernel" for r in routes), routes
    human = topo.umk("addr", "show", "dev", "tap1").stdout
    assert "inet 10.1.0.1/24 scope global" in human, human


def test_ttl_exceeded_and_unreachable(topo):
    """Linux's traceroute-style TTL 1 gets Time Exceeded; a net without route, Net
    Unreachable (RFC 792, RFC 1812 5.2.7.1)."""
    r = ping(topo, "10.9.9.9", extra=("-t", "1"))
    assert "Time to live exceeded" in r.stdout, r.stdout
    r = ping(topo, "10.9.9.9")
    assert "Destination Net Unreachable" in r.stdout, r.stdout + topo.log_tail()
    assert topo.stat("ip4", "FwdDropTtlExceeded") == 1
    assert topo.stat("ip4", "FwdDropNoRoute") >= 1


def setkey(topo, *args):
    return topo.umk("setkey", *args)


def tunnel_config(topo):
    path = os.path.join(topo.tmp, "ipsec.conf")
    with open(path, "w") as f:
        f.write("flush;\nspdflush;\n"
                "add %(U)s %(G)s esp 0x%(so)x -m tunnel -E aes-gcm-16 0x%(ko)s;\n"
                "add %(G)s %(U)s esp 0x%(si)x -m tunnel -E aes-gcm-16 0x%(ki)s;\n"
                "spdadd 10.1.0.0/16 10.2.0.0/16 any -P out ipsec "
                "esp/tunnel/%(U)s-%(G)s/require;\n"
                "spdadd 10.2.0.0/16 10.1.0.0/16 any -P in ipsec "
                "esp/tunnel/%(G)s-%(U)s/require;\n"
                % dict(U=U6, G=G6, so=SPI_OUT, si=SPI_IN, ko=KEY_OUT.hex(), ki=KEY_IN.hex()))
    setkey(topo, "-f", path)
    sa_from_u = SecurityAssociation(ESP, spi=SPI_OUT, crypt_algo="AES-GCM", crypt_key=KEY_OUT,
                                    tunnel_header=IPv6(src=U6, dst=G6))
    sa_to_u = SecurityAssociation(ESP, spi=SPI_IN, crypt_algo="AES-GCM", crypt_key=KEY_IN,
                                  tunnel_header=IPv6(src=G6, dst=U6))
    return sa_from_u, sa_to_u


def is_esp_from_u(p):
    return IPv6 in p and p[IPv6].src == U6 and p[IPv6].nh == 50 and p[ESP].spi == SPI_OUT


def test_ipv4_through_ipv6_esp_tunnel(topo):
    """RFC 4301 tunnel mode, IPv4 inner / IPv6 outer: Linux's ping of 10.2.0.5 leaves
    umikamed as ESP (next header 4) that scapy decrypts; scapy's encrypted echo reply is
    decapsulated, checked against the inbound policy and forwarded to Linux."""
    sa_from_u, sa_to_u = tunnel_config(topo)
    dp = setkey(topo, "-DP").stdout
    assert "10.1.0.0/16[any] 10.2.0.0/16[any] any" in dp, dp
    assert "10.2.0.0/16[any] 10.1.0.0/16[any] any" in dp, dp
    assert "esp/tunnel/%s-%s/require" % (U6, G6) in dp, dp
    mark = topo.cap.mark()
    ping = subprocess.Popen(["ip", "netns", "exec", topo.ns["hostA"], "ping", "-n", "-c", "1",
                             "-W", "5", "-Q", "0xa0", "-p", "756d696b616d65", "10.2.0.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        f = topo.cap.wait(is_esp_from_u, since=mark, timeout=5)
        assert f is not None, topo.cap.summary(since=mark) + topo.log_tail()
        # nothing of it in the clear on the IPv6 link
        assert not topo.cap.select(lambda p: IP in p and p[IP].dst == "10.2.0.5" and
                                   ESP not in p, since=mark)
        # RFC 4301 5.1.2.1: the outer Traffic Class is the inner TOS (DSCP 40)
        assert f[IPv6].tc == 0xa0, f[IPv6].tc
        inner = sa_from_u.decrypt(f[IPv6].copy())
        assert IP in inner and ICMP in inner, inner.show(dump=True)
        req = inner[IP]
        assert (req.src, req.dst, req[ICMP].type) == ("10.1.0.2", "10.2.0.5", 8)
        assert req.ttl == 63                         # decremented before encapsulation
        assert b"umikame" in bytes(req[ICMP].payload)
        rep = IP(src="10.2.0.5", dst="10.1.0.2", ttl=64) / \
            ICMP(type=0, id=req[ICMP].id, seq=req[ICMP].seq) / req[ICMP].payload
        topo.cap.send(Ether(src=G_MAC, dst=f[Ether].src) / sa_to_u.encrypt(rep))
        out, _ = ping.communicate(timeout=10)
    finally:
        if ping.poll() is None:
            ping.kill()
            ping.wait()
    assert ping.returncode == 0 and "1 received" in out, out + topo.log_tail()
    assert topo.stat("ipsec", "transit packets sent into a tunnel (security gateway)") == 1


def test_tunnel_inner_outside_policy_and_cleartext(topo):
    """RFC 4301 5.2 step 4: a tunnel SA carrying an inner source the policy does not name
    is dropped; the same traffic in the clear under the protect policy is dropped too."""
    _, sa_to_u = tunnel_config(topo)
    # learn umikamed's MAC on tap2 from its own traffic (an MLD report or an NS)
    f = topo.cap.wait(lambda p: IPv6 in p and p[IPv6].src.startswith("fe80"), timeout=5)
    assert f is not None, topo.cap.summary()
    umac = f[Ether].src
    before = topo.stat("ipsec", "dropped: its SA is not the one the policy names (5.2 step 4)")
    bad = IP(src="10.3.0.7", dst="10.1.0.2") / ICMP(type=8, id=7, seq=1)
    topo.cap.send(Ether(src=G_MAC, dst=umac) / sa_to_u.encrypt(bad))
    clear = IP(src="10.2.0.5", dst="10.1.0.2") / ICMP(type=8, id=7, seq=2)
    pol_before = topo.stat("ipsec", "dropped: inbound policy mismatch (RFC 4301 5.2)")
    topo.cap.send(Ether(src=G_MAC, dst=umac) / clear)
    assert wait_for(lambda: topo.stat("ipsec", "dropped: its SA is not the one the policy "
                                      "names (5.2 step 4)") == before + 1, 5)
    assert wait_for(lambda: topo.stat("ipsec", "dropped: inbound policy mismatch "
                                      "(RFC 4301 5.2)") == pol_before + 1, 5)


def test_cli_ipv4_routes_and_addresses(topo):
    """`umk route add 10.2.0.0/16 via GW dev IF` and `dev` only, shown with family inet;
    the IPv4 errors of the CLI; umk addr del takes the connected route with it."""
    topo.umk("route", "add", "10.5.0.0/16", "via", "10.1.0.2", "dev", "tap1")
    topo.umk("route", "add", "10.6.0.0/24", "dev", "tap1")
    routes = [r for r in topo.umk_json("route", "show") if r.get("family") == "inet"]
    by_dst = {r["dst"]: r for r in routes}
    assert by_dst["10.5.0.0/16"]["gateway"] == "10.1.0.2", routes
    assert by_dst["10.5.0.0/16"]["proto"] == "static" and by_dst["10.5.0.0/16"]["metric"] == 1024
    assert by_dst["10.6.0.0/24"]["gateway"] is None and by_dst["10.6.0.0/24"]["ifname"] == "tap1"
    human = topo.umk("route", "show").stdout
    assert "10.5.0.0/16 via 10.1.0.2 dev tap1 proto static" in human, human
    for args, msg in ((("10.7.0.0/33", "dev", "tap1"), "invalid prefix length"),
                      (("10.7.0.1/16", "dev", "tap1"), "bits set past the prefix length"),
                      (("10.7.0.0/16", "via", "2001:db8:4::9"), "invalid gateway"),
                      (("10.7.0.0/16", "via", "10.9.9.9"), "not on a connected link")):
        r = topo.umk("route", "add", *args, check=False)
        assert r.returncode != 0 and msg in r.stderr, (args, r.stdout, r.stderr)
    topo.umk("route", "del", "10.5.0.0/16", "via", "10.1.0.2", "dev", "tap1")
    assert not [r for r in topo.umk_json("route", "show") if r["dst"] == "10.5.0.0/16"]
    r = topo.umk("addr", "add", "10.1.0.0/24", "dev", "tap1", check=False)
    assert r.returncode != 0
    topo.umk("addr", "del", "10.1.0.1/24", "dev", "tap1")
    assert not [a for a in topo.umk_json("addr", "show") if a.get("family") == "inet"]
    assert not [r for r in topo.umk_json("route", "show") if r["dst"] == "10.1.0.0/24"]

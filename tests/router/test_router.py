"""
test_router.py - umikamed as an IPv6 router between two Linux hosts (issue 4).

Topology (each box its own network namespace, names unique per run):

   hostA (vA) ---+                                     
                 +-- br0 in swA -- tapA ==[umikamed in rtr]== tapB -- hostB
   hostC (vC) ---+                     2001:db8:a::1   2001:db8:b::1
   hostC: radvd (Prf low) and 2001:db8:c::1; umikamed routes 2001:db8:c::/64 via hostC.

umikamed advertises 2001:db8:a::/64 (Prf high, RDNSS, DNSSL) on tapA and 2001:db8:b::/64 on
tapB. The TAPs' kernel sides are moved into swA / hostB after umikamed opened them.
Run as root: /usr/bin/python3 -m pytest tests/router -q
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





class Topo:
    def __init__(self):
        tag = "%d" % os.getpid()
        self.ns = {k: "rt%s-%s" % (k, tag) for k in ("rtr", "swA", "hostA", "hostB", "hostC")}
        self.tmp = tempfile.mkdtemp(prefix="umk-router-")
        self.sock = os.path.join(self.tmp, "umikamed.sock")
        self.procs = []

    def umk(self, *args, check=True):
        return nsx(self.ns["rtr"], UMK, "-s", self.sock, *args, check=check)

    def umk_json(self, *args):
        return json.loads(self.umk("-j", *args).stdout)

    def up(self):
        n = self.ns
        for v in n.values():
            sh(["ip", "netns", "add", v])
            nsx(v, "ip", "link", "set", "lo", "up")
        for h in ("hostA", "hostB", "hostC"):
            nsx(n[h], "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
            nsx(n[h], "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
        cfg = os.path.join(self.tmp, "umikamed.conf")
        with open(cfg, "w") as f:
            f.write("conf set tapA forwarding 1\n"
                    "conf set tapB forwarding 1\n"
                    "addr add 2001:db8:a::1/64 dev tapA\n"
                    "addr add 2001:db8:b::1/64 dev tapB\n"
                    "ra set tapA prefix 2001:db8:a::/64 rdnss 2001:db8::53 "
                    "dnssl example.org interval 3-4 pref high\n"
                    "ra set tapB prefix 2001:db8:b::/64 interval 3-4\n")
        log = open(os.path.join(self.tmp, "umikamed.log"), "w")
        p = subprocess.Popen(["ip", "netns", "exec", n["rtr"], UMIKAMED, "-f", "-i", "tapA",
                              "-i", "tapB", "-s", self.sock, "-c", cfg],
                             stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        assert wait_for(lambda: os.path.exists(self.sock), 10), "umikamed did not start"
        # link A is a bridge with hostA and hostC on it; link B is tapB itself in hostB
        nsx(n["rtr"], "ip", "link", "set", "tapA", "netns", n["swA"])
        nsx(n["rtr"], "ip", "link", "set", "tapB", "netns", n["hostB"])
        nsx(n["swA"], "ip", "link", "add", "br0", "type", "bridge")
        nsx(n["swA"], "sysctl", "-qw", "net.ipv6.conf.br0.disable_ipv6=1")
        nsx(n["swA"], "ip", "link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
        for h, v in (("hostA", "vA"), ("hostC", "vC")):
            nsx(n["swA"], "ip", "link", "add", v + "s", "type", "veth", "peer", "name", v,
                "netns", n[h])
            nsx(n["swA"], "ip", "link", "set", v + "s", "master", "br0", "up")
        nsx(n["swA"], "ip", "link", "set", "tapA", "master", "br0", "up")
        nsx(n["swA"], "ip", "link", "set", "br0", "up")
        nsx(n["hostC"], "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        nsx(n["hostA"], "ip", "link", "set", "vA", "up")
        nsx(n["hostC"], "ip", "link", "set", "vC", "up")
        nsx(n["hostB"], "ip", "link", "set", "tapB", "up")
        nsx(n["hostC"], "ip", "addr", "add", "2001:db8:c::1/128", "dev", "lo")
        # hostC forwards (radvd wants it), so it learns nothing from RAs: link A by hand
        nsx(n["hostC"], "ip", "-6", "route", "add", "2001:db8:a::/64", "dev", "vC")
        # radvd on hostC: a second router on link A, low preference (RFC 4191)
        rconf = os.path.join(self.tmp, "radvd.conf")
        with open(rconf, "w") as f:
            f.write("interface vC { AdvSendAdvert on; MinRtrAdvInterval 3; "
                    "MaxRtrAdvInterval 4; AdvDefaultPreference low; "
                    "prefix 2001:db8:a::/64 { AdvValidLifetime 86400; "
                    "AdvPreferredLifetime 14400; }; };\n")
        rp = subprocess.Popen(["ip", "netns", "exec", n["hostC"], "radvd", "-n", "-C", rconf,
                               "-p", os.path.join(self.tmp, "radvd.pid"), "-m", "stderr", "-u", "root"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(rp)
        self.c_ll = self.linklocal(n["hostC"], "vC")
        self.umk("route", "add", "2001:db8:c::/64", "via", self.c_ll + "%tapA")

    def linklocal(self, ns, dev):
        def get():
            out = nsx(ns, "ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "link").stdout
            m = re.search(r"inet6 (fe80::[0-9a-f:]+)/64", out)
            return m and m.group(1)
        v = wait_for(get, 10)
        assert v, "no link-local on %s" % dev
        return v

    def global_addr(self, ns, dev, prefix):
        out = nsx(ns, "ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "global").stdout
        m = re.search(r"inet6 (%s[0-9a-f:]+)/64" % re.escape(prefix), out)
        return m and m.group(1)

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
        n = t.ns
        t.a = wait_for(lambda: t.global_addr(n["hostA"], "vA", "2001:db8:a:"), 30)
        t.b = wait_for(lambda: t.global_addr(n["hostB"], "tapB", "2001:db8:b:"), 30)
        yield t
    finally:
        t.down()


def test_hosts_autoconfigure(topo):
    """Both Linux hosts take an address from umikamed's prefixes and it as default router."""
    n = topo.ns
    assert topo.a and topo.b
    r_ll = topo.linklocal(n["hostB"], "tapB")   # any: we need umikamed's, read from routes
    out = nsx(n["hostB"], "ip", "-6", "route", "show", "default").stdout
    assert "via fe80::" in out and "tapB" in out and r_ll not in out


def test_rdnss_visible_to_rdisc6(topo):
    out = nsx(topo.ns["hostA"], "rdisc6", "-m", "-r", "1", "-w", "4500", "vA", timeout=40).stdout
    assert "2001:db8::53" in out
    assert "example.org" in out


def test_two_routers_preference(topo):
    """radvd (low) and umikamed (high) on link A: hostA has both, prefers umikamed."""
    n = topo.ns

    def both():
        out = nsx(n["hostA"], "ip", "-6", "route", "show", "default").stdout
        return out if out.count("via fe80::") >= 2 else None
    out = wait_for(both, 15)
    assert out, "hostA did not learn both routers"
    lines = [l for l in out.splitlines() if "via" in l]
    c_line = [l for l in lines if topo.c_ll in l]
    u_line = [l for l in lines if topo.c_ll not in l]
    assert c_line and "pref low" in c_line[0]
    assert u_line and "pref high" in u_line[0]
    # RFC 4861 6.2.7: radvd's prefix lifetimes differ from ours: logged and counted
    ra = topo.umk_json("ra", "show", "tapA")
    router = [x for x in ra if x["type"] == "router"][0]
    assert router["advertising"]
    assert router["inconsistent"] > 0


def test_ping_and_tcp_through(topo):
    n = topo.ns
    nsx(n["hostA"], "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", topo.b, timeout=20)
    srv = subprocess.Popen(["ip", "netns", "exec", n["hostB"], "nc", "-6", "-l", "-N", "-p",
                            "5001"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        r = subprocess.run(["ip", "netns", "exec", n["hostA"], "nc", "-6", "-N", "-w", "5",
                            topo.b, "5001"], input="hello through umikame\n",
                           capture_output=True, text=True, timeout=15)
        assert r.returncode == 0, r.stderr
        got, _ = srv.communicate(timeout=10)
        assert "hello through umikame" in got
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    st = {(x["group"], x["name"]): x["value"] for x in
          [dict(group=g, name=k, value=v) for g, d in topo.umk_json("stats").items()
           for k, v in (d.items() if isinstance(d, dict) else [])]}
    assert st.get(("ip6", "OutForwDatagrams"), 0) >= 6


def test_subnet_router_anycast(topo):
    """RFC 4291 2.6.1: umikamed answers its Subnet-Router anycast addresses: 2001:db8:a:: to
    hostA on the link (found by ND, RFC 4861 7.2.4) and 2001:db8:a:: from hostB, routed;
    the echo replies come from its unicast addresses (RFC 4443 4.2)."""
    n = topo.ns
    out = nsx(n["hostA"], "ping", "-6", "-c", "2", "-i", "0.3", "-W", "2", "2001:db8:a::",
              timeout=15).stdout
    assert re.search(r"bytes from (2001:db8:a::1|fe80::[0-9a-f:]+)", out), out
    nsx(n["hostA"], "ip", "-6", "neigh", "show", "2001:db8:a::", "dev", "vA")
    out = nsx(n["hostB"], "ping", "-6", "-c", "2", "-i", "0.3", "-W", "2", "2001:db8:a::",
              timeout=15).stdout
    assert "bytes from 2001:db8:" in out, out
    st = topo.umk("stats").stdout
    assert re.search(r"InSubnetRouterAnycast\D+[1-9]", st), st


def test_route_show_origin(topo):
    """umk route show: every route says where it came from and its type; the fields fixed
    by issue 2 stay as they were."""
    topo.umk("route", "add", "2001:db8:dead::/48", "reject", "dev", "tapA")
    try:
        rs = {r["dst"]: r for r in topo.umk_json("route", "show")}
        for r in rs.values():
            assert set(r) >= {"dst", "gateway", "ifname", "metric", "proto", "expires",
                              "origin", "type", "pref"}, r
        a = rs["2001:db8:a::/64"]
        assert (a["proto"], a["origin"], a["type"], a["pref"]) == \
            ("kernel", "connected", "unicast", None), a
        c = rs["2001:db8:c::/64"]
        assert (c["proto"], c["origin"], c["type"]) == ("static", "static", "unicast"), c
        d = rs["2001:db8:dead::/48"]
        assert (d["origin"], d["type"], d["gateway"]) == ("static", "reject", None), d
        text = topo.umk("route", "show").stdout
        assert re.search(r"^reject 2001:db8:dead::/48 .*origin static", text, re.M), text
    finally:
        topo.umk("route", "del", "2001:db8:dead::/48", "dev", "tapA")


HBH_PROBE = r"""
import sys
from scapy.all import (Ether, IPv6, IPv6ExtHdrHopByHop, HBHOptUnknown, UDP,
                       ICMPv6ParamProblem, srp1, conf)
conf.verb = 0
src, dst, mac = sys.argv[1], sys.argv[2], sys.argv[3]
# to umikamed's MAC: the kernel (and scapy) might pick radvd's hostC as the first hop
p = (Ether(dst=mac) / IPv6(src=src, dst=dst, hlim=64) /
     IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x9e, optdata=b"\0" * 4)]) /
     UDP(sport=40000, dport=9) / b"hbh")
r = srp1(p, iface="vA", timeout=3, filter="icmp6 and ip6[40] == 4")
print(r[IPv6].src if r is not None and ICMPv6ParamProblem in r else "none")
"""


def test_hbh_forward_on_demand(topo):
    """RFC 8200 4.3: a packet in transit with an unknown Hop-by-Hop option of action 10 is
    forwarded untouched while tapA's hbh_forward_process is 0 (hostB, its destination,
    answers Parameter Problem), and answered by umikamed itself when it is 1."""
    n = topo.ns
    mac = [l["lladdr"] for l in topo.umk_json("link", "show") if l["ifname"] == "tapA"][0]
    probe = ["/usr/bin/python3", "-c", HBH_PROBE, topo.a, topo.b, mac]
    out = nsx(n["hostA"], *probe, timeout=30).stdout.strip()
    assert out == topo.b, out
    topo.umk("conf", "set", "tapA", "hbh_forward_process", "1")
    try:
        assert topo.umk_json("conf", "show", "tapA")["hbh_forward_process"] == 1
        out = nsx(n["hostA"], *probe, timeout=30).stdout.strip()
        assert out == "2001:db8:a::1", out
    finally:
        topo.umk("conf", "set", "tapA", "hbh_forward_process", "0")


def test_tracepath_shows_the_hop(topo):
    out = nsx(topo.ns["hostA"], "tracepath", "-6", "-n", "-m", "4", topo.b, check=False,
              timeout=30).stdout
    assert "2001:db8:a::1" in out, out
    assert topo.b in out


def test_traceroute_shows_the_hop(topo):
    """traceroute -6 (UDP probes to closed ports) from hostA to hostB: hop 1 is umikamed,
    which must answer hop limit 1 with Time Exceeded (RFC 4443 3.3) from its tapA address
    2001:db8:a::1; hop 2 is hostB itself, whose Port Unreachable ends the trace."""
    out = nsx(topo.ns["hostA"], "traceroute", "-6", "-n", "-m", "4", "-q", "1", "-w", "2",
              topo.b, timeout=40).stdout
    hops = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)", line)
        if m:
            hops[int(m.group(1))] = m.group(2)
    assert hops.get(1) == "2001:db8:a::1", out
    assert hops.get(2) == topo.b, out
    assert max(hops) == 2, out


def test_pmtu_packet_too_big(topo):
    """A smaller MTU towards hostB: umikamed answers Packet Too Big and Linux adapts."""
    n = topo.ns
    topo.umk("conf", "set", "tapB", "mtu", "1280")
    nsx(n["hostB"], "ip", "link", "set", "tapB", "mtu", "1280")
    try:
        # DF-style ping bigger than 1280 fails once with PTB; Linux records the path MTU
        nsx(n["hostA"], "ping", "-6", "-c", "2", "-s", "1400", "-M", "do", "-W", "1", topo.b,
            check=False, timeout=15)
        out = nsx(n["hostA"], "ip", "-6", "route", "get", topo.b).stdout
        assert "mtu 1280" in out, out
        # and fragmenting pings now get through
        nsx(n["hostA"], "ping", "-6", "-c", "2", "-s", "1400", "-W", "2", topo.b, timeout=15)
    finally:
        topo.umk("conf", "set", "tapB", "mtu", "1500")
        nsx(n["hostB"], "ip", "link", "set", "tapB", "mtu", "1500")


def test_redirect_followed(topo):
    """hostA sends for 2001:db8:c::1 to umikamed (its preferred default router); umikamed
    forwards it back onto link A to hostC and redirects hostA, which then goes direct."""
    n = topo.ns
    nsx(n["hostA"], "ping", "-6", "-c", "2", "-i", "0.3", "-W", "2", "2001:db8:c::1",
        timeout=15)

    def redirected():
        out = nsx(n["hostA"], "ip", "-6", "route", "get", "2001:db8:c::1").stdout
        return topo.c_ll in out and out
    assert wait_for(redirected, 5), nsx(n["hostA"], "ip", "-6", "route", "get",
                                          "2001:db8:c::1").stdout
    st = topo.umk("stats").stdout
    assert re.search(r"RedirectsSent\D+[1-9]", st) or "RedirectsSent" in st

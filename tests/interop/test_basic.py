"""
umikamed on a TAP with the Linux kernel as its neighbour and router: start-up, link-local
address and DAD, SLAAC from radvd, pings both ways, fragmentation, ndisc6, flood ping.

Topology (fresh lab per test):
    NS: umikamed --TAP-- tap0 (kernel side: Linux, fe80::.. and 2001:db8:1::1/64,
        forwarding on, radvd advertising 2001:db8:1::/64 every 3-4 s)
        AF_PACKET capture on tap0 from umikamed's first frame.
"""
import json
import os
import re

import pytest
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrFragment, ICMPv6ND_NS, ICMPv6ND_RS,
                                ICMPv6MLReport2, ICMPv6NDOptSrcLLAddr)

from lab import norm6, solicited_node, eui64_ll, sh

PREFIX = "2001:db8:1:"
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", re.I)


def slaac_ready(lab):
    for a in lab.addrs(PREFIX):
        if a["prefixlen"] == 64 and not set(a["flags"]) & {"tentative", "dadfailed"}:
            return norm6(a["address"])
    return None


def with_router(lab):
    lab.require_umk()
    lab.start_radvd()
    return lab.wait_for(lambda: slaac_ready(lab), 15,
                        "a SLAAC address in 2001:db8:1::/64 from radvd (addr show: %s)"
                        % json.dumps(lab.addrs()))


@pytest.mark.lab(create_tap=True)
def test_daemon_creates_tap_and_answers(lab):
    lab.require_umk()
    info = json.loads(sh(["ip", "-n", lab.ns, "-j", "link", "show", "dev", lab.ifname]).stdout)[0]
    assert "UP" in info["flags"], "umikamed must bring the kernel side of its TAP up: %s" % info
    assert "LOWER_UP" in info["flags"], "the TAP carrier is up while umikamed holds it"
    assert os.path.exists(lab.sock)
    rc = lab.stop_daemon()
    assert rc == 0, "SIGTERM must shut umikamed down cleanly (exit 0), got %s" % rc
    assert not os.path.exists(lab.sock), "the control socket should be removed at shutdown"


def test_link_show_shape(lab):
    links = lab.umk("link", "show")
    assert isinstance(links, list) and len(links) == 1
    l = links[0]
    assert set(l) >= {"ifname", "ifindex", "lladdr", "mtu", "flags"}, l
    assert l["ifname"] == lab.ifname and isinstance(l["ifindex"], int) and l["ifindex"] >= 1
    assert MAC_RE.match(l["lladdr"]) and l["lladdr"].lower() != lab.linux_mac.lower()
    assert l["mtu"] == 1500 and isinstance(l["flags"], list)
    assert all(isinstance(f, str) for f in l["flags"])


def test_link_local_address(lab):
    addrs = lab.umk("addr", "show")
    ll = [a for a in addrs if a["address"].startswith("fe80:")]
    assert len(ll) == 1, "one link-local address: %s" % addrs
    a = ll[0]
    assert set(a) >= {"ifname", "address", "prefixlen", "scope", "flags", "valid_lft",
                      "preferred_lft"}, a
    assert a["ifname"] == lab.ifname and a["prefixlen"] == 64 and a["scope"] == "link"
    assert not set(a["flags"]) & {"tentative", "dadfailed", "deprecated"}
    assert a["valid_lft"] == "forever" and a["preferred_lft"] == "forever"
    assert set(a["flags"]) <= {"tentative", "deprecated", "dadfailed", "temporary", "autoconf",
                               "permanent", "optimistic"}
    assert norm6(a["address"]) != eui64_ll(lab.mac), \
        "issue 2 / RFC 8064: interface identifiers are RFC 7217 stable-opaque by default, " \
        "not EUI-64"
    assert lab.umk("addr", "show", "dev", lab.ifname) == [x for x in addrs
                                                           if x["ifname"] == lab.ifname]


def test_dad_and_mld_before_probe(lab):
    sol = solicited_node(lab.ll)
    probes = lab.cap.select(lambda p: ICMPv6ND_NS in p and p[IPv6].src == "::" and
                            norm6(p[ICMPv6ND_NS].tgt) == lab.ll, 0)
    assert probes, "RFC 4862 5.4.2: a DAD probe (NS from ::) for %s" % lab.ll
    p = probes[0]
    assert p[IPv6].dst == sol and p[IPv6].hlim == 255
    assert ICMPv6NDOptSrcLLAddr not in p, "RFC 4861 7.2.2: no SLLAO with source ::"
    joins = lab.cap.select(lambda q: ICMPv6MLReport2 in q and
                           sol in {norm6(r.dst) for r in q[ICMPv6MLReport2].records}, 0)
    assert joins and joins[0].time <= p.time, \
        "RFC 4862 5.4.2: the node MUST join the solicited-node group (MLD report) before " \
        "sending the DAD probe"
    # and the Router Solicitation comes only once the link-local address is usable
    rs = lab.cap.select(lambda q: ICMPv6ND_RS in q, 0)
    for r in rs:
        if r[IPv6].src != "::":
            assert r.time >= p.time, "RFC 4861 6.3.7: RS from a tentative address"


def test_radvd_autoconf(lab):
    addr = with_router(lab)
    a = [x for x in lab.addrs(PREFIX) if norm6(x["address"]) == addr][0]
    assert "autoconf" in a["flags"] and a["scope"] == "global"
    assert a["valid_lft"] != "forever" and 0 < int(a["valid_lft"]) <= 86400
    assert 0 < int(a["preferred_lft"]) <= 14400
    drs = lab.wait_for(lambda: [r for r in lab.routes() if r["dst"] == "::/0"], 5,
                       "a default route from radvd")
    r = drs[0]
    assert set(r) >= {"dst", "gateway", "ifname", "metric", "proto", "expires"}, r
    assert norm6(r["gateway"].split("%")[0]) == lab.linux_ll and r["proto"] == "ra" \
        and r["ifname"] == lab.ifname, "default route via the router's link-local: %s" % r
    assert any(x["dst"] == "2001:db8:1::/64" for x in lab.routes()), \
        "the on-link prefix must be in the route table"


def test_ping_both_ways_link_local(lab):
    lab.require_umk()
    r = lab.ping_from_linux("%s%%%s" % (lab.ll, lab.ifname))
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, "Linux -> umikame LL: " + r.stdout
    r = lab.umk_run("ping", "-c", 3, "-i", "0.2", "-W", 2, "%s%%%s" % (lab.linux_ll, lab.ifname))
    assert r.returncode == 0, "umikame -> Linux LL failed: %s %s" % (r.stdout, r.stderr)
    assert re.search(r"(bytes from|icmp_seq)", r.stdout), "umk ping output like ping's: %s" % r.stdout


def test_ping_both_ways_global(lab):
    addr = with_router(lab)
    r = lab.ping_from_linux(addr)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, "Linux -> umikame: " + r.stdout
    r = lab.umk_run("ping", "-c", 3, "-i", "0.2", "-W", 2, "2001:db8:1::1")
    assert r.returncode == 0, "umikame -> Linux global failed: %s %s" % (r.stdout, r.stderr)


def test_large_pings_fragmented(lab):
    addr = with_router(lab)
    m = lab.cap.mark()
    r = lab.ping_from_linux(addr, count=3, size=4000)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, \
        "4000-byte ping Linux -> umikame (reassembly and fragmented reply): " + r.stdout
    frs = lab.cap.select(lambda p: IPv6ExtHdrFragment in p and p[IPv6].src == addr, m)
    assert frs and all(40 + f[IPv6].plen <= 1500 for f in frs), \
        "umikame's 4008-byte replies must leave as fragments of at most 1500 bytes"
    r = lab.umk_run("ping", "-c", 3, "-i", "0.2", "-W", 2, "-s", 4000, "2001:db8:1::1")
    assert r.returncode == 0, "4000-byte umk ping to Linux: %s %s" % (r.stdout, r.stderr)
    r = lab.umk_run("ping", "-c", 2, "-W", 2, "-s", 4000, "%s%%%s" % (lab.linux_ll, lab.ifname))
    assert r.returncode == 0, "4000-byte umk ping to Linux LL: %s %s" % (r.stdout, r.stderr)


def test_ndisc6_resolves_us(lab):
    r = lab.nsexec("ndisc6", "-1", "-r", "3", "-w", "1000", lab.ll, lab.ifname, check=False)
    assert r.returncode == 0, "ndisc6 got no answer: %s %s" % (r.stdout, r.stderr)
    m = re.search(r"Target link-layer address:\s*([0-9A-Fa-f:]+)", r.stdout)
    assert m and m.group(1).lower() == lab.mac.lower(), r.stdout


def test_ndisc6_resolves_global(lab):
    addr = with_router(lab)
    r = lab.nsexec("ndisc6", "-1", "-r", "3", "-w", "1000", addr, lab.ifname, check=False)
    assert r.returncode == 0 and lab.mac.lower() in r.stdout.lower(), r.stdout + r.stderr


def test_router_in_neighbor_cache(lab):
    with_router(lab)
    r = lab.umk_run("ping", "-c", 1, "-W", 2, "2001:db8:1::1")
    assert r.returncode == 0, r.stdout + r.stderr
    ns = [n for n in lab.neighs() if norm6(n["address"]) == lab.linux_ll]
    assert ns, "the router must be in the neighbor cache: %s" % lab.neighs()
    n = ns[0]
    assert set(n) >= {"ifname", "address", "lladdr", "state", "router"}
    assert n["router"] is True, "RFC 4861 6.3.4: IsRouter set for the advertising router"
    assert n["lladdr"].lower() == lab.linux_mac.lower()
    assert n["state"] in ("REACHABLE", "STALE", "DELAY", "PROBE")


def test_flood_ping(lab):
    addr = with_router(lab)
    r = lab.nsexec("ping", "-6", "-n", "-f", "-c", 2000, "-w", 60, addr, check=False, timeout=90)
    assert " 0% packet loss" in r.stdout and "2000 received" in r.stdout, \
        "flood ping of 2000 packets must lose none: " + r.stdout[-400:]


def test_stats(lab):
    r = lab.umk_run("stats")
    assert r.returncode == 0 and r.stdout.strip()
    st = lab.umk("stats")
    assert st, "umk -j stats must list counters"

"""
RFC 4861 Neighbor Discovery as a host: NS/NA, NUD, address resolution failure, RA parameters,
router lifetime, redirects.

Topology (a fresh lab per test):
    NS: umikamed --TAP-- tap0 (kernel side, Linux LINUX_LL) <- AF_PACKET capture
        scapy plays PEER (PEER_LL/PEER_MAC) and routers ROUTER (ROUTER_LL) and ROUTER2;
        the fake neighbours answer NS for their own addresses at once.
"""
import re
import time

import pytest
from scapy.layers.inet6 import (IPv6, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6ND_Redirect,
                                ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
                                ICMPv6NDOptPrefixInfo)

from lab import (PEER_LL, PEER_MAC, ROUTER_LL, ROUTER_MAC, ROUTER2_LL, ROUTER2_MAC, norm6,
                 solicited_node)

WAIT = 2.0


def ns_for(lab, target, src=PEER_LL, hlim=255, dst=None, sllao=True):
    dst = dst or solicited_node(target)
    p = IPv6(src=src, dst=dst, hlim=hlim) / ICMPv6ND_NS(tgt=target)
    if sllao:
        p = p / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
    return p


def na_from_target(tgt, dst=None):
    def pred(p):
        return ICMPv6ND_NA in p and norm6(p[ICMPv6ND_NA].tgt) == norm6(tgt) and \
            (dst is None or norm6(p[IPv6].dst) == norm6(dst))
    return pred


def ra(src=ROUTER_LL, mac=ROUTER_MAC, lifetime=1800, chlim=0, reachable=0, retrans=0,
       mtu=None, prefix=None, M=0, O=0):
    p = IPv6(src=src, dst="ff02::1", hlim=255) / \
        ICMPv6ND_RA(chlim=chlim, M=M, O=O, routerlifetime=lifetime, reachabletime=reachable,
                    retranstimer=retrans) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    if mtu:
        p = p / ICMPv6NDOptMTU(mtu=mtu)
    if prefix:
        p = p / ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=64, L=1, A=1,
                                      validlifetime=3600, preferredlifetime=1800)
    return p


def default_routes(lab):
    return [r for r in lab.routes() if r["dst"] == "::/0"]


# ---- NS / NA ------------------------------------------------------------------------------

def test_ns_answered_with_solicited_na(lab):
    m = lab.cap.mark()
    lab.send(ns_for(lab, lab.ll))
    got = lab.cap.wait(na_from_target(lab.ll), m, WAIT)
    assert got is not None, "RFC 4861 7.2.4: a valid NS for our address must be answered"
    na = got[ICMPv6ND_NA]
    assert norm6(got[IPv6].dst) == PEER_LL, "RFC 4861 7.2.4: NA goes to the NS source"
    assert got[IPv6].hlim == 255, "RFC 4861 7.1.2: NA hop limit must be 255"
    assert na.S == 1, "RFC 4861 7.2.4: Solicited flag must be set"
    assert na.O == 1, "RFC 4861 7.2.4: Override should be set for a unicast address"
    assert na.R == 0, "RFC 4861 4.4: a host sends R=0"
    assert ICMPv6NDOptDstLLAddr in got and got[ICMPv6NDOptDstLLAddr].lladdr == lab.mac, \
        "RFC 4861 7.2.4: TLLAO with our link-layer address (multicast NS)"


def test_ns_from_unspecified_answered_to_all_nodes(lab):
    m = lab.cap.mark()
    lab.send(ns_for(lab, lab.ll, src="::", sllao=False))
    got = lab.cap.wait(na_from_target(lab.ll), m, WAIT)
    assert got is not None, "RFC 4861 7.2.4: an NS from :: for our address must be answered"
    assert got[IPv6].dst == "ff02::1" and got[ICMPv6ND_NA].S == 0, \
        "RFC 4861 7.2.4: to ff02::1 with S=0 when the source is unspecified"


@pytest.mark.parametrize("what", ["hlim254", "code1", "multicast_target", "dad_with_sllao"])
def test_invalid_ns_ignored(lab, what):
    if what == "hlim254":
        p = ns_for(lab, lab.ll, hlim=254)
    elif what == "code1":
        p = ns_for(lab, lab.ll)
        p[ICMPv6ND_NS].code = 1
    elif what == "multicast_target":
        p = ns_for(lab, "ff02::1", dst=lab.ll)
    else:  # RFC 4861 7.1.1: source :: must not carry a SLLAO
        p = ns_for(lab, lab.ll, src="::", dst=solicited_node(lab.ll))
    m = lab.cap.mark()
    lab.send(p)
    seen = lab.cap.count_after(lambda q: ICMPv6ND_NA in q, m, 1.5)
    assert seen == [], "RFC 4861 7.1.1: invalid NS (%s) must be discarded, got %s" % (
        what, seen[0].summary())


def test_unknown_ns_target_ignored(lab):
    m = lab.cap.mark()
    lab.send(ns_for(lab, "fe80::dead:beef"))
    seen = lab.cap.count_after(lambda q: ICMPv6ND_NA in q, m, 1.0)
    assert seen == [], "RFC 4861 7.2.3: NS for an address we do not own must not be answered"


# ---- NUD ----------------------------------------------------------------------------------

def neigh_state(lab, addr):
    for n in lab.neighs():
        if norm6(n["address"]) == norm6(addr) and n["ifname"] == lab.ifname:
            return n
    return None


def test_nud_reachable_then_stale(lab):
    lab.require_umk()
    lab.conf_set(lab.ifname, "base_reachable_time", 1000)
    r = lab.umk_run("ping", "-c", 1, "-W", 2, "%s%%%s" % (lab.linux_ll, lab.ifname))
    assert r.returncode == 0, "umk ping to the Linux peer failed: %s %s" % (r.stdout, r.stderr)
    n = neigh_state(lab, lab.linux_ll)
    assert n is not None, "the Linux peer must be in the neighbor cache after a ping"
    assert n["state"] in ("REACHABLE", "DELAY", "PROBE", "STALE")
    assert n["lladdr"].lower() == lab.linux_mac.lower()
    # ReachableTime is 0.5..1.5 x base (RFC 4861 6.3.2): STALE within 1.5 s, give 3
    lab.wait_for(lambda: (neigh_state(lab, lab.linux_ll) or {}).get("state") == "STALE", 3.5,
                 "RFC 4861 7.3.3: REACHABLE -> STALE after ReachableTime (base 1000 ms)")


def test_nud_probe_after_delay(lab):
    lab.require_umk()
    lab.conf_set(lab.ifname, "base_reachable_time", 500)
    lab.conf_set(lab.ifname, "delay_first_probe_time", 500)
    assert lab.umk_run("ping", "-c", 1, "-W", 2, "%s%%%s" % (lab.linux_ll, lab.ifname)).returncode == 0
    lab.wait_for(lambda: (neigh_state(lab, lab.linux_ll) or {}).get("state") == "STALE", 3,
                 "STALE")
    m = lab.cap.mark()
    # sending to a STALE entry -> DELAY, then a unicast NS probe (RFC 4861 7.3.3)
    lab.umk_run("ping", "-c", 1, "-W", 2, "%s%%%s" % (lab.linux_ll, lab.ifname))
    probe = lab.cap.wait(lambda p: ICMPv6ND_NS in p and norm6(p[IPv6].dst) == lab.linux_ll,
                         m, 3)
    assert probe is not None, "RFC 4861 7.3.3: after DELAY_FIRST_PROBE_TIME a unicast NS probe"
    assert lab.wait_for(lambda: (neigh_state(lab, lab.linux_ll) or {}).get("state") == "REACHABLE",
                        3, "REACHABLE after Linux answers the probe")


def test_resolution_failure(lab):
    lab.require_umk()
    lab.conf_set(lab.ifname, "retrans_time", 300)
    dead = "fe80::dead:1"
    m = lab.cap.mark()
    p = lab.umk_run("ping", "-c", 1, "-W", 3, "%s%%%s" % (dead, lab.ifname), timeout=15)
    nss = lab.cap.select(lambda q: ICMPv6ND_NS in q and norm6(q[ICMPv6ND_NS].tgt) == dead, m)
    assert len(nss) == 3, "RFC 4861 7.2.2: MAX_MULTICAST_SOLICIT (3) solicitations, saw %d" \
        % len(nss)
    assert all(q[IPv6].dst == solicited_node(dead) for q in nss), \
        "RFC 4861 7.2.2: solicitations go to the solicited-node address"
    gaps = [b.time - a.time for a, b in zip(nss, nss[1:])]
    assert all(0.2 <= g <= 0.6 for g in gaps), "RetransTimer 300 ms between NS, saw %s" % gaps
    assert p.returncode != 0, "umk ping must fail when nothing answers"
    assert re.search(r"nreachable", p.stdout + p.stderr), \
        "RFC 4861 7.2.2: Destination Unreachable (address unreachable) must reach the " \
        "pinger; umk ping printed: %r" % (p.stdout + p.stderr)
    lab.wait_for(lambda: neigh_state(lab, dead) is None, 3,
                 "the INCOMPLETE entry to be removed after resolution failed")


def test_incomplete_state_visible(lab):
    lab.require_umk()
    lab.conf_set(lab.ifname, "retrans_time", 1000)
    dead = "fe80::dead:2"
    lab.umk_run("ping", "-c", 1, "-W", 1, "%s%%%s" % (dead, lab.ifname), timeout=15)
    n = neigh_state(lab, dead)
    assert n is not None and n["state"] == "INCOMPLETE", \
        "during resolution the entry is INCOMPLETE, got %s" % n


# ---- router advertisements ---------------------------------------------------------------

def test_ra_parameters(lab):
    lab.require_umk()
    lab.neighbors.add(ROUTER_LL, ROUTER_MAC, router=True)
    lab.send(ra(chlim=33, reachable=5000, retrans=1234, mtu=1400, prefix="2001:db8:77::"),
             src_mac=ROUTER_MAC)
    c = lab.wait_for(lambda: (lambda c: c if c.get("hop_limit") == 33 else None)(lab.conf()),
                     3, "hop_limit 33 from the RA's Cur Hop Limit (RFC 4861 6.3.4)")
    assert c["retrans_time"] == 1234, "RFC 4861 6.3.4: RetransTimer from the RA, conf: %s" % c
    assert c["base_reachable_time"] == 5000, "RFC 4861 6.3.4: BaseReachableTime from the RA"
    assert c["mtu"] == 1400, "RFC 4861 6.3.4: LinkMTU from the MTU option"
    links = lab.umk("link", "show")
    assert [l for l in links if l["ifname"] == lab.ifname][0]["mtu"] == 1400
    drs = default_routes(lab)
    assert any(norm6(r["gateway"].split("%")[0]) == ROUTER_LL and r["proto"] == "ra"
               for r in drs), "default route via the router, proto ra: %s" % drs
    # the advertised prefix is on-link and autoconfigured
    lab.wait_for(lambda: lab.addrs("2001:db8:77:"), 3, "a SLAAC address in 2001:db8:77::/64")


def test_ra_zero_fields_keep_values(lab):
    lab.require_umk()
    lab.conf_set(lab.ifname, "retrans_time", 777)
    lab.send(ra(chlim=0, reachable=0, retrans=0), src_mac=ROUTER_MAC)
    time.sleep(0.5)
    c = lab.conf()
    assert c["retrans_time"] == 777 and c["hop_limit"] == 64, \
        "RFC 4861 6.3.4: zero (unspecified) fields must not change the values: %s" % c


@pytest.mark.parametrize("what", ["hlim254", "global_src", "bad_mtu"])
def test_invalid_ra_ignored(lab, what):
    lab.require_umk()
    p = ra(chlim=99)
    if what == "hlim254":
        p[IPv6].hlim = 254
    elif what == "global_src":
        p[IPv6].src = "2001:db8::1"
    else:
        p = ra(mtu=1000)  # below 1280: the option is ignored (RFC 4861 6.3.4)
    lab.send(p, src_mac=ROUTER_MAC)
    time.sleep(0.7)
    c = lab.conf()
    if what == "bad_mtu":
        assert c["mtu"] == 1500, "RFC 4861 6.3.4: an MTU below 1280 must be ignored: %s" % c["mtu"]
    else:
        assert c["hop_limit"] == 64, "RFC 4861 6.1.2: invalid RA (%s) must be discarded" % what
        assert not default_routes(lab), "an invalid RA must not create a default route"


def test_router_lifetime_zero_removes_default_route(lab):
    lab.require_umk()
    lab.neighbors.add(ROUTER_LL, ROUTER_MAC, router=True)
    lab.send(ra(lifetime=1800), src_mac=ROUTER_MAC)
    lab.wait_for(lambda: default_routes(lab), 3, "a default route from the RA")
    lab.send(ra(lifetime=0), src_mac=ROUTER_MAC)
    lab.wait_for(lambda: not default_routes(lab), 3,
                 "RFC 4861 6.3.4: router lifetime 0 removes the default route")


def test_router_lifetime_expiry(lab):
    lab.require_umk()
    lab.neighbors.add(ROUTER_LL, ROUTER_MAC, router=True)
    lab.send(ra(lifetime=2), src_mac=ROUTER_MAC)
    lab.wait_for(lambda: default_routes(lab), 3, "a default route from the RA")
    lab.wait_for(lambda: not default_routes(lab), 5,
                 "RFC 4861 6.3.5: default route gone when the router lifetime (2 s) expires")


def test_redirect(lab):
    lab.require_umk()
    lab.neighbors.add(ROUTER_LL, ROUTER_MAC, router=True)
    lab.neighbors.add(ROUTER2_LL, ROUTER2_MAC, router=True)
    lab.send(ra(lifetime=1800, prefix="2001:db8:1::"), src_mac=ROUTER_MAC)
    lab.wait_for(lambda: default_routes(lab), 3, "a default route from the RA")
    dst = "2001:db8:99::1"
    red = IPv6(src=ROUTER_LL, dst=lab.ll, hlim=255) / \
        ICMPv6ND_Redirect(tgt=ROUTER2_LL, dst=dst) / ICMPv6NDOptDstLLAddr(lladdr=ROUTER2_MAC)
    lab.send(red, src_mac=ROUTER_MAC)

    def redirected():
        for r in lab.routes():
            if r["dst"].split("/")[0] == dst and r["proto"] == "redirect":
                return r
    r = lab.wait_for(redirected, 3, "RFC 4861 8.3: a route to %s with proto redirect" % dst)
    assert norm6(r["gateway"].split("%")[0]) == ROUTER2_LL, "redirect target as next hop: %s" % r


def test_redirect_from_wrong_router_ignored(lab):
    lab.require_umk()
    lab.neighbors.add(ROUTER_LL, ROUTER_MAC, router=True)
    lab.send(ra(lifetime=1800), src_mac=ROUTER_MAC)
    lab.wait_for(lambda: default_routes(lab), 3, "a default route from the RA")
    dst = "2001:db8:98::1"
    # RFC 4861 8.1: the source must be the current first-hop router for the destination
    red = IPv6(src=ROUTER2_LL, dst=lab.ll, hlim=255) / \
        ICMPv6ND_Redirect(tgt=PEER_LL, dst=dst)
    lab.send(red, src_mac=ROUTER2_MAC)
    time.sleep(0.7)
    assert not [r for r in lab.routes() if r["proto"] == "redirect"], \
        "RFC 4861 8.1: a redirect from a router that is not our first hop must be ignored"

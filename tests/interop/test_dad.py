"""
RFC 4862 Duplicate Address Detection and its failure handling (RFC 7217 retries).

Topology (fresh lab per test, captured from umikamed's first frame):
    NS: umikamed --TAP-- tap0 (kernel side) <- AF_PACKET capture; scapy plays the node that
        already owns (or is also probing for) the address umikamed wants.
"""
import time

from scapy.layers.l2 import Ether
from scapy.layers.inet6 import (IPv6, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr)

import pytest
from lab import PEER_MAC, norm6, solicited_node, mcast_mac


def defend(cap, p):
    """Answers every DAD probe (NS from ::) with an NA, as the address's owner would."""
    if ICMPv6ND_NS not in p or p[IPv6].src != "::":
        return
    tgt = p[ICMPv6ND_NS].tgt
    cap.send(Ether(src=PEER_MAC, dst="33:33:00:00:00:01") /
             IPv6(src=tgt, dst="ff02::1", hlim=255) /
             ICMPv6ND_NA(tgt=tgt, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PEER_MAC))


def also_probe(cap, p):
    """Another node doing DAD for the same address at the same time (RFC 4862 5.4.3)."""
    if ICMPv6ND_NS not in p or p[IPv6].src != "::":
        return
    tgt = p[ICMPv6ND_NS].tgt
    cap.send(Ether(src=PEER_MAC, dst=mcast_mac(solicited_node(tgt))) /
             IPv6(src="::", dst=solicited_node(tgt), hlim=255) / ICMPv6ND_NS(tgt=tgt))


def dad_probes(lab, since=0):
    return lab.cap.select(lambda p: ICMPv6ND_NS in p and p[IPv6].src == "::", since)


def check_failed(lab, hook_name, prefix):
    probes = dad_probes(lab)
    assert probes, "no DAD probe seen"
    first = norm6(probes[0][ICMPv6ND_NS].tgt)
    addrs = [a for a in lab.umk("addr", "show") if a["ifname"] == lab.ifname and
             norm6(a["address"]).startswith(prefix)]
    same = [a for a in addrs if norm6(a["address"]) == first]
    usable = [a for a in same if not set(a["flags"]) & {"tentative", "dadfailed"}]
    assert not usable, "RFC 4862 5.4.5: %s must not become usable after %s: %s" % (
        first, hook_name, usable)
    return first, same, addrs, probes


def wait_dad_outcome(lab, prefix, seconds=6):
    time.sleep(seconds)
    lab.check_alive()


# the hooks are in place before umikamed starts: its first DAD probe may leave within
# milliseconds (RFC 4862 5.4.2's random delay), before the lab's set-up is over
@pytest.mark.lab(wait_ready=False, hooks=(defend,))
def test_dad_collision_link_local(lab):
    lab.require_umk()
    wait_dad_outcome(lab, "fe80:")
    first, same, addrs, probes = check_failed(lab, "an NA defending it", "fe80:")
    if same:
        assert "dadfailed" in same[0]["flags"], \
            "RFC 4862 5.4.5: the duplicate address must be marked dadfailed: %s" % same
    # RFC 7217 6: a stable-privacy address may be regenerated (up to IDGEN_RETRIES): then
    # each new candidate must differ and go through DAD again.
    targets = []
    for p in probes:
        t = norm6(p[ICMPv6ND_NS].tgt)
        if t.startswith("fe80:") and t not in targets:
            targets.append(t)
    if len(targets) > 1:
        conf = lab.conf()
        assert len(targets) <= 1 + conf.get("idgen_retries", 3), \
            "RFC 7217 6: at most IDGEN_RETRIES new identifiers: %s" % targets
    if not same:
        assert len(targets) > 1, "the duplicate address vanished without dadfailed or a retry"


@pytest.mark.lab(wait_ready=False, hooks=(also_probe,))
def test_dad_simultaneous_probe(lab):
    lab.require_umk()
    wait_dad_outcome(lab, "fe80:")
    check_failed(lab, "another node's simultaneous probe", "fe80:")


def test_dad_collision_manual_address(lab):
    lab.require_umk()
    lab.cap.hooks.append(defend)
    m = lab.cap.mark()
    lab.umk_run("addr", "add", "2001:db8:5::1/64", "dev", lab.ifname, check=True)
    probe = lab.cap.wait(lambda p: ICMPv6ND_NS in p and p[IPv6].src == "::" and
                         norm6(p[ICMPv6ND_NS].tgt) == "2001:db8:5::1", m, 3)
    assert probe is not None, "RFC 4862 5.4: a manual address goes through DAD too"
    assert probe[IPv6].dst == solicited_node("2001:db8:5::1")

    def flagged():
        a = [x for x in lab.addrs("2001:db8:5::1") if norm6(x["address"]) == "2001:db8:5::1"]
        return a and "dadfailed" in a[0]["flags"] and a
    lab.wait_for(flagged, 4, "RFC 4862 5.4.5: manual address marked dadfailed after a "
                 "defending NA (addr show: %s)" % lab.addrs())


def test_dad_no_answer_address_usable(lab):
    lab.require_umk()
    lab.conf_set(lab.ifname, "dad_transmits", 2)
    lab.conf_set(lab.ifname, "retrans_time", 400)
    m = lab.cap.mark()
    lab.umk_run("addr", "add", "2001:db8:6::1/64", "dev", lab.ifname, check=True)
    a = lab.addrs("2001:db8:6::1")
    assert a and "tentative" in a[0]["flags"], "RFC 4862 5.4: new address is tentative first"
    # tentative: it must not answer an echo for it yet (RFC 4862 5.4) -- checked by DAD count
    lab.wait_for(lambda: (lambda x: x and not set(x[0]["flags"]) & {"tentative", "dadfailed"})
                 (lab.addrs("2001:db8:6::1")), 4, "address usable after DAD")
    probes = [p for p in dad_probes(lab, m) if norm6(p[ICMPv6ND_NS].tgt) == "2001:db8:6::1"]
    assert len(probes) == 2, "RFC 4862 5.4.2: DupAddrDetectTransmits (2) probes, saw %d" % len(probes)
    gap = probes[1].time - probes[0].time
    assert 0.3 <= gap <= 0.8, "RFC 4862 5.4.2: probes RetransTimer (400 ms) apart, saw %.2f" % gap

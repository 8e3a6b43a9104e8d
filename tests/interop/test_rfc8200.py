"""
RFC 8200 header processing, fragment reassembly (RFC 5722, 6946, 7112), probed with scapy.

Topology (shared_lab, one per module):
    NS: umikamed --TAP-- tap0 (kernel side) <- AF_PACKET capture; scapy plays a neighbour
        PEER_LL/PEER_MAC on the link and sends every probe to umikamed's link-local address.
Every test sends probes and looks at what umikamed puts on the link.
"""
import time

import pytest
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                IPv6ExtHdrFragment, ICMPv6EchoRequest, ICMPv6EchoReply,
                                ICMPv6ParamProblem, ICMPv6TimeExceeded, HBHOptUnknown, PadN,
                                IPerror6)
from scapy.packet import Raw

from lab import PEER_LL
from probes import echo, fragments, echo_reply_to, icmp_error, is_error, describe

WAIT = 2.0       # how long to wait for an answer that must come
QUIET = 1.5      # how long to listen for an answer that must not come


def probe(lab, pkts, pred, timeout=WAIT):
    m = lab.cap.mark()
    for p in (pkts if isinstance(pkts, list) else [pkts]):
        lab.send(p)
    return lab.cap.wait(pred, m, timeout)


def silence(lab, pkts, pred, wait=QUIET):
    m = lab.cap.mark()
    for p in (pkts if isinstance(pkts, list) else [pkts]):
        lab.send(p)
    return lab.cap.count_after(pred, m, wait)


def expect_pp(lab, pkt, code, ptr, rule):
    got = probe(lab, pkt, icmp_error(ICMPv6ParamProblem))
    assert got is not None, "%s: expected Parameter Problem code %d pointer %d, got no error" \
        % (rule, code, ptr)
    pp = got[ICMPv6ParamProblem]
    assert (pp.code, pp.ptr) == (code, ptr), \
        "%s: expected Parameter Problem code %d pointer %d, got code %d pointer %d" % (
            rule, code, ptr, pp.code, pp.ptr)
    return got


def opt_pkt(lab, otype, dst=None, ident=None, hbh=False):
    """Echo request carrying one unrecognised option of type otype after a 4-byte PadN, so
    the option type sits at byte 46 of the packet (40 IPv6 + 2 header + 4 PadN)."""
    e = echo(dst or lab.ll, ident=ident)
    hdr = (IPv6ExtHdrHopByHop if hbh else IPv6ExtHdrDestOpt)(
        options=[PadN(optdata=b"\0\0"), HBHOptUnknown(otype=otype, optdata=b"")])
    ip = e[IPv6]
    return IPv6(src=ip.src, dst=ip.dst) / hdr / ip[ICMPv6EchoRequest]


# ---- next header chain ---------------------------------------------------------------------

def test_unknown_next_header_after_ipv6_header(shared_lab):
    lab = shared_lab
    got = expect_pp(lab, IPv6(src=PEER_LL, dst=lab.ll, nh=253) / Raw(b"\0" * 16), 1, 6,
                    "RFC 8200 4: unknown Next Header in the IPv6 header")
    q = got[IPerror6]
    assert q.nh == 253, "the error must quote the invoking packet"


def test_unknown_next_header_after_dest_opts(shared_lab):
    lab = shared_lab
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / IPv6ExtHdrDestOpt(nh=253) / Raw(b"\0" * 16)
    expect_pp(lab, pkt, 1, 40, "RFC 8200 4: unknown Next Header in a Destination Options header")


def test_hop_by_hop_not_first(shared_lab):
    lab = shared_lab
    e = echo(lab.ll)
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / \
        e[ICMPv6EchoRequest]
    expect_pp(lab, pkt, 1, 40, "RFC 8200 4.3: Hop-by-Hop only right after the IPv6 header")
    assert lab.cap.select(echo_reply_to(e[ICMPv6EchoRequest].id)) == [], \
        "RFC 8200 4.3: a packet with Hop-by-Hop not first must not be delivered"


def test_hop_by_hop_first_is_processed(shared_lab):
    lab = shared_lab
    e = echo(lab.ll)
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / IPv6ExtHdrHopByHop() / e[ICMPv6EchoRequest]
    got = probe(lab, pkt, echo_reply_to(e[ICMPv6EchoRequest].id))
    assert got is not None, "an echo request behind a (padding-only) Hop-by-Hop header " \
        "must be answered"


def test_no_next_header_is_silent(shared_lab):
    lab = shared_lab
    # RFC 8200 4.7: octets after a header with Next Header 59 are ignored, even if they look
    # like an echo request.
    e = echo(lab.ll)
    pkts = [IPv6(src=PEER_LL, dst=lab.ll, nh=59) / Raw(b"\x80\0\0\0" + b"\0" * 12),
            IPv6(src=PEER_LL, dst=lab.ll) / IPv6ExtHdrDestOpt(nh=59) / Raw(bytes(e[ICMPv6EchoRequest]))]
    seen = silence(lab, pkts, lambda p: is_error(p) or ICMPv6EchoReply in p)
    assert seen == [], "RFC 8200 4.7: No Next Header must be silent, got %s" % describe(seen[0])


# ---- option type actions (RFC 8200 4.2) --------------------------------------------------

def test_option_action_00_skipped(shared_lab):
    lab = shared_lab
    pkt = opt_pkt(lab, 0x1e)
    got = probe(lab, pkt, echo_reply_to(pkt[ICMPv6EchoRequest].id))
    assert got is not None, "RFC 8200 4.2: option type 00xxxxxx must be skipped, echo answered"


def test_option_action_01_silent_discard(shared_lab):
    lab = shared_lab
    pkt = opt_pkt(lab, 0x5e)
    ident = pkt[ICMPv6EchoRequest].id
    seen = silence(lab, pkt, lambda p: is_error(p) or echo_reply_to(ident)(p))
    assert seen == [], "RFC 8200 4.2: option type 01xxxxxx: discard silently, got %s" % \
        describe(seen[0])


def test_option_action_10_unicast(shared_lab):
    lab = shared_lab
    expect_pp(lab, opt_pkt(lab, 0x9e), 2, 46, "RFC 8200 4.2: option type 10xxxxxx (unicast)")


def test_option_action_10_hop_by_hop(shared_lab):
    lab = shared_lab
    expect_pp(lab, opt_pkt(lab, 0x9e, hbh=True), 2, 46,
              "RFC 8200 4.2: option type 10xxxxxx in Hop-by-Hop")


def test_option_action_10_multicast(shared_lab):
    lab = shared_lab
    got = expect_pp(lab, opt_pkt(lab, 0x9e, dst="ff02::1"), 2, 46,
                    "RFC 8200 4.2: option type 10xxxxxx: error even to a multicast destination")
    assert got[IPv6].src.startswith("fe80:"), "the error's source must be our unicast address"


def test_option_action_11_unicast(shared_lab):
    lab = shared_lab
    expect_pp(lab, opt_pkt(lab, 0xde), 2, 46, "RFC 8200 4.2: option type 11xxxxxx (unicast)")


def test_option_action_11_multicast_silent(shared_lab):
    lab = shared_lab
    pkt = opt_pkt(lab, 0xde, dst="ff02::1")
    ident = pkt[ICMPv6EchoRequest].id
    seen = silence(lab, pkt, lambda p: is_error(p) or echo_reply_to(ident)(p))
    assert seen == [], "RFC 8200 4.2: option type 11xxxxxx to multicast: discard, no error; " \
        "got %s" % describe(seen[0])


# ---- routing header (RFC 8200 4.4, RFC 5095) ----------------------------------------------

@pytest.mark.parametrize("rtype", [0, 253])
def test_routing_header_segments_left(shared_lab, rtype):
    lab = shared_lab
    e = echo(lab.ll)
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / \
        IPv6ExtHdrRouting(type=rtype, segleft=1, addresses=["2001:db8::1"]) / e[ICMPv6EchoRequest]
    expect_pp(lab, pkt, 0, 42, "RFC 8200 4.4 / RFC 5095: Routing type %d with Segments Left 1"
              % rtype)


@pytest.mark.parametrize("rtype", [0, 253])
def test_routing_header_segments_left_zero(shared_lab, rtype):
    lab = shared_lab
    e = echo(lab.ll)
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / \
        IPv6ExtHdrRouting(type=rtype, segleft=0, addresses=["2001:db8::1"]) / e[ICMPv6EchoRequest]
    got = probe(lab, pkt, echo_reply_to(e[ICMPv6EchoRequest].id))
    assert got is not None, "RFC 8200 4.4: Segments Left 0: ignore the Routing header and " \
        "process the next header (echo must be answered)"


# ---- fragments -----------------------------------------------------------------------------

def big_echo(lab, size=3000):
    return echo(lab.ll, size=size)


def test_fragments_in_order(shared_lab):
    lab = shared_lab
    e = big_echo(lab)
    fr = fragments(e, [(0, 1232), (1232, 1232), (2464, 544)])
    assert probe(lab, fr, echo_reply_to(e[ICMPv6EchoRequest].id)) is not None, \
        "RFC 8200 4.5: three in-order fragments must be reassembled and answered"


def test_fragments_out_of_order(shared_lab):
    lab = shared_lab
    e = big_echo(lab)
    fr = fragments(e, [(0, 1232), (1232, 1232), (2464, 544)])
    got = probe(lab, [fr[2], fr[0], fr[1]], echo_reply_to(e[ICMPv6EchoRequest].id))
    assert got is not None, "RFC 8200 4.5: out-of-order fragments must be reassembled"


def test_reply_to_reassembled_is_fragmented(shared_lab):
    lab = shared_lab
    e = big_echo(lab)
    ident = e[ICMPv6EchoRequest].id
    m = lab.cap.mark()
    for f in fragments(e, [(0, 1232), (1232, 1232), (2464, 544)]):
        lab.send(f)
    got = lab.cap.wait(lambda p: IPv6ExtHdrFragment in p and p[IPv6].dst == PEER_LL, m, WAIT)
    assert got is not None, "a 3048-byte echo reply must leave as fragments (link MTU 1500)"
    # the capture thread may lag behind the wire on a loaded machine: wait (bounded) until
    # the whole datagram has been seen, then judge it
    deadline = time.time() + WAIT
    while True:
        frs = lab.cap.select(lambda p: IPv6ExtHdrFragment in p and p[IPv6].dst == PEER_LL, m)
        same = [f for f in frs if f[IPv6ExtHdrFragment].id == frs[0][IPv6ExtHdrFragment].id]
        if sum(f[IPv6].plen - 8 for f in same) >= 3008 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert all(40 + f[IPv6].plen <= 1500 for f in frs), "fragments larger than the link MTU"
    assert sum(f[IPv6].plen - 8 for f in same) == 3008, \
        "fragments of the reply must add up to the 3008-byte ICMPv6 message"
    for f in same:
        assert f[IPv6ExtHdrFragment].m == 0 or (f[IPv6].plen - 8) % 8 == 0, \
            "RFC 8200 4.5: every fragment but the last is a multiple of 8 bytes"


def test_overlapping_fragments_dropped(shared_lab):
    lab = shared_lab
    e = big_echo(lab)
    ident = e[ICMPv6EchoRequest].id
    # 1232..1240 is sent twice (RFC 5722: discard the whole datagram, no error)
    fr = fragments(e, [(0, 1240), (1232, 1232), (2464, 544)])
    seen = silence(lab, fr, lambda p: echo_reply_to(ident)(p) or is_error(p), wait=2.0)
    assert seen == [], "RFC 5722: overlapping fragments must discard the datagram silently; " \
        "got %s" % describe(seen[0])


def test_overlap_then_retransmission_dropped(shared_lab):
    lab = shared_lab
    e = big_echo(lab)
    ident = e[ICMPv6EchoRequest].id
    # RFC 5722 4: after an overlap, later fragments of the same datagram are dropped too
    # (until the reassembly queue would have timed out)
    fr = fragments(e, [(0, 1240), (1232, 1232), (2464, 544)], ident=0x5722)
    good = fragments(e, [(0, 1232), (1232, 1232), (2464, 544)], ident=0x5722)
    seen = silence(lab, [fr[0], fr[1], good[1], good[2]],
                   lambda p: echo_reply_to(ident)(p), wait=1.5)
    assert seen == [], "RFC 5722 4: fragments of a datagram that overlapped must be dropped"


def test_atomic_fragment(shared_lab):
    lab = shared_lab
    e = echo(lab.ll)
    ip = e[IPv6]
    pkt = IPv6(src=ip.src, dst=ip.dst) / IPv6ExtHdrFragment(offset=0, m=0, id=0x6946) / \
        e[ICMPv6EchoRequest]
    assert probe(lab, pkt, echo_reply_to(e[ICMPv6EchoRequest].id)) is not None, \
        "RFC 6946: an atomic fragment must be processed at once"


def test_atomic_fragment_beside_pending_queue(shared_lab):
    lab = shared_lab
    big = big_echo(lab)
    fr = fragments(big, [(0, 1232), (1232, 1232), (2464, 544)], ident=0x6947)
    e = echo(lab.ll)
    atomic = IPv6(src=PEER_LL, dst=lab.ll) / IPv6ExtHdrFragment(offset=0, m=0, id=0x6947) / \
        e[ICMPv6EchoRequest]
    m = lab.cap.mark()
    lab.send(fr[0])
    lab.send(atomic)
    assert lab.cap.wait(echo_reply_to(e[ICMPv6EchoRequest].id), m, WAIT) is not None, \
        "RFC 6946 4: an atomic fragment must not mix with a queue of the same Identification"
    lab.send(fr[1])
    lab.send(fr[2])
    assert lab.cap.wait(echo_reply_to(big[ICMPv6EchoRequest].id), m, WAIT) is not None, \
        "RFC 6946 4: the pending datagram must still reassemble after the atomic fragment"


def test_incomplete_first_fragment(shared_lab):
    lab = shared_lab
    # The first fragment holds only a Destination Options header; the ICMPv6 header is in
    # the next fragment (RFC 7112 5 / RFC 8200 4.5).
    e = echo(lab.ll, size=64)
    body = bytes(IPv6ExtHdrDestOpt(nh=58, options=[PadN(optdata=b"\0\0\0\0")]) /
                 e[ICMPv6EchoRequest])
    first = IPv6(src=PEER_LL, dst=lab.ll) / IPv6ExtHdrFragment(nh=60, offset=0, m=1, id=0x7112) / \
        Raw(body[:8])
    got = expect_pp(lab, first, 3, 0, "RFC 7112 / RFC 8200 4.5: first fragment without the "
                    "upper-layer header")


def test_fragment_not_multiple_of_8(shared_lab):
    lab = shared_lab
    e = big_echo(lab)
    fr = fragments(e, [(0, 1236)])
    fr[0][IPv6ExtHdrFragment].m = 1
    expect_pp(lab, fr[0], 0, 4, "RFC 8200 4.5: M=1 fragment whose length is not a multiple of 8")


def test_fragment_beyond_65535(shared_lab):
    lab = shared_lab
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / \
        IPv6ExtHdrFragment(nh=58, offset=8190, m=0, id=0x65535) / Raw(b"\0" * 32)
    # 8190 * 8 + 32 = 65552 > 65535
    expect_pp(lab, pkt, 0, 42, "RFC 8200 4.5: fragment offset + length beyond 65535")


def set_reasm_timeout(lab, ms):
    if lab.target == "linux":
        lab.sysctl("net.ipv6.ip6frag_time=%d" % max(1, ms // 1000), ns=lab.tns)
    else:
        lab.conf_set("global", "reasm_timeout", ms)


def test_reassembly_timeout_time_exceeded(shared_lab):
    lab = shared_lab
    set_reasm_timeout(lab, 2000)
    try:
        e = big_echo(lab)
        fr = fragments(e, [(0, 1232), (1232, 1232), (2464, 544)], ident=0x4242)
        m = lab.cap.mark()
        t0 = time.monotonic()
        lab.send(fr[0])
        lab.send(fr[2])
        got = lab.cap.wait(icmp_error(ICMPv6TimeExceeded), m, 8)
        assert got is not None, "RFC 8200 4.5: reassembly timeout with the first fragment " \
            "received must send Time Exceeded code 1"
        dt = got.time - t0
        assert got[ICMPv6TimeExceeded].code == 1, "Time Exceeded must have code 1"
        assert 1.5 <= dt <= 5, "Time Exceeded after %.1f s, reasm_timeout is 2 s" % dt
        q = got[IPerror6]
        assert q.nh == 44 and IPv6ExtHdrFragment in q and q[IPv6ExtHdrFragment].offset == 0, \
            "RFC 8200 4.5: the error quotes the first fragment"
    finally:
        set_reasm_timeout(lab, 60000)


def test_reassembly_timeout_without_first_fragment_silent(shared_lab):
    lab = shared_lab
    set_reasm_timeout(lab, 2000)
    try:
        e = big_echo(lab)
        fr = fragments(e, [(0, 1232), (1232, 1232), (2464, 544)], ident=0x4343)
        seen = silence(lab, [fr[1], fr[2]], icmp_error(ICMPv6TimeExceeded), wait=4.5)
        assert seen == [], "RFC 8200 4.5: no Time Exceeded when the first fragment never came"
    finally:
        set_reasm_timeout(lab, 60000)

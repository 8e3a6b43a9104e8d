"""
RFC 4443 ICMPv6: echo, error generation rules, rate limiting; RFC 8201 Packet Too Big.

Topology (shared_lab; the rate-limit and PMTU tests use a lab of their own):
    NS: umikamed --TAP-- tap0 (kernel side) <- AF_PACKET capture; scapy plays the neighbour
        PEER_LL/PEER_MAC and probes umikamed's link-local address.
"""
import re
import time

from scapy.layers.inet import UDP
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, ICMPv6EchoRequest,
                                ICMPv6EchoReply, ICMPv6ParamProblem, ICMPv6DestUnreach,
                                ICMPv6PacketTooBig, HBHOptUnknown, PadN, IPerror6)
from scapy.packet import Raw

from lab import PEER_LL
from probes import echo, echo_reply_to, icmp_error, is_error, describe

WAIT = 2.0
QUIET = 1.5


def test_echo_unicast(shared_lab):
    lab = shared_lab
    e = echo(lab.ll, size=100)
    m = lab.cap.mark()
    lab.send(e)
    got = lab.cap.wait(echo_reply_to(e[ICMPv6EchoRequest].id), m, WAIT)
    assert got is not None, "RFC 4443 4.2: an echo request must be answered"
    r = got[ICMPv6EchoReply]
    assert r.seq == e[ICMPv6EchoRequest].seq and r.data == e[ICMPv6EchoRequest].data, \
        "RFC 4443 4.2: the reply carries the request's identifier, sequence and data"
    assert got[IPv6].src == lab.ll and got[IPv6].dst == PEER_LL


def test_echo_multicast_all_nodes(shared_lab):
    lab = shared_lab
    e = echo("ff02::1")
    m = lab.cap.mark()
    lab.send(e)
    got = lab.cap.wait(echo_reply_to(e[ICMPv6EchoRequest].id), m, WAIT)
    assert got is not None, "RFC 4443 4.1/4.2: an echo request to ff02::1 should be answered"
    assert got[IPv6].src == lab.ll, "RFC 4443 4.2: the reply comes from a unicast address " \
        "of the interface, got %s" % got[IPv6].src


def test_no_error_about_an_error(shared_lab):
    lab = shared_lab
    # An ICMPv6 Destination Unreachable carrying an unrecognised option whose action asks for
    # a Parameter Problem (10xxxxxx): RFC 4443 2.4 (e.1) forbids answering an error with one.
    inner = IPv6(src=lab.ll, dst="2001:db8::1") / UDP(sport=1, dport=2)
    err = ICMPv6DestUnreach(code=4) / inner
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / \
        IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0\0"), HBHOptUnknown(otype=0x9e, optdata=b"")]) / err
    m = lab.cap.mark()
    lab.send(pkt)
    seen = lab.cap.count_after(is_error, m, QUIET)
    assert seen == [], "RFC 4443 2.4 (e.1): no error in response to an error; got %s" % \
        describe(seen[0])


def test_no_error_to_multicast_destination(shared_lab):
    lab = shared_lab
    pkts = [IPv6(src=PEER_LL, dst="ff02::1", nh=253) / Raw(b"\0" * 16),      # PP code 1
            IPv6(src=PEER_LL, dst="ff02::1") / UDP(sport=4000, dport=9)]     # port unreachable
    m = lab.cap.mark()
    for p in pkts:
        lab.send(p)
    seen = lab.cap.count_after(is_error, m, QUIET)
    assert seen == [], "RFC 4443 2.4 (e.2): no error to a multicast destination; got %s" % \
        describe(seen[0])


def test_no_error_to_link_layer_multicast(shared_lab):
    lab = shared_lab
    # unicast IPv6 destination, but sent to a link-layer multicast address
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / UDP(sport=4000, dport=9)
    m = lab.cap.mark()
    lab.send(pkt, dst_mac="33:33:00:00:00:01")
    seen = lab.cap.count_after(is_error, m, QUIET)
    assert seen == [], "RFC 4443 2.4 (e.3): no error for a link-layer multicast frame; got %s" \
        % describe(seen[0])


def test_no_error_to_unspecified_source(shared_lab):
    lab = shared_lab
    pkt = IPv6(src="::", dst=lab.ll, nh=253) / Raw(b"\0" * 16)
    m = lab.cap.mark()
    lab.send(pkt)
    seen = lab.cap.count_after(is_error, m, QUIET)
    assert seen == [], "RFC 4443 2.4 (e.5): no error to a source that is not a single node; " \
        "got %s" % describe(seen[0])


def test_error_at_most_1280_bytes(shared_lab):
    lab = shared_lab
    pkt = IPv6(src=PEER_LL, dst=lab.ll, nh=253) / Raw(b"\xab" * 1400)
    m = lab.cap.mark()
    lab.send(pkt)
    got = lab.cap.wait(icmp_error(ICMPv6ParamProblem, 1), m, WAIT)
    assert got is not None, "expected Parameter Problem for an unknown next header"
    size = 40 + got[IPv6].plen
    assert size <= 1280, "RFC 4443 2.4 (c): error of %d bytes exceeds 1280" % size
    assert size == 1280, "RFC 4443 2.4 (c): as much of the invoking packet as fits in 1280 " \
        "bytes must be quoted; error is %d bytes" % size
    assert IPv6ExtHdrFragment not in got, "an ICMPv6 error must not need fragmenting"


def test_port_unreachable(shared_lab):
    lab = shared_lab
    pkt = IPv6(src=PEER_LL, dst=lab.ll) / UDP(sport=40000, dport=9) / Raw(b"hello")
    m = lab.cap.mark()
    lab.send(pkt)
    got = lab.cap.wait(icmp_error(ICMPv6DestUnreach), m, WAIT)
    assert got is not None, "RFC 4443 3.1: UDP to a closed port: Destination Unreachable " \
        "code 4 expected, got nothing"
    assert got[ICMPv6DestUnreach].code == 4, "RFC 4443 3.1: port unreachable is code 4, got %d" \
        % got[ICMPv6DestUnreach].code
    q = got[IPerror6]
    assert q.src == PEER_LL and q.dst == lab.ll, "the error must quote the invoking packet"


def test_error_rate_limited(lab):
    # Own lab: a token bucket of 10 errors, refilled at 10 per second (RFC 4443 2.4 (f)).
    if lab.target == "umikame":
        lab.conf_set("global", "icmp6_rate", 10)
        lab.conf_set("global", "icmp6_burst", 10)
        allowed = 10 + 10 * 3
    else:
        lab.sysctl("net.ipv6.icmp.ratelimit=100", ns=lab.tns)
        allowed = 10 + 10 * 3 + 10
    m = lab.cap.mark()
    t0 = time.monotonic()
    for i in range(200):
        lab.send(IPv6(src=PEER_LL, dst=lab.ll, nh=253) / Raw(b"%03d" % i + b"\0" * 13))
    spent = time.monotonic() - t0
    errs = lab.cap.count_after(icmp_error(ICMPv6ParamProblem), m, 1.0)
    assert errs, "rate limiting must not suppress every error"
    assert len(errs) <= allowed, "RFC 4443 2.4 (f): %d errors for 200 bad packets in %.1f s " \
        "with a 10/s limit and burst 10" % (len(errs), spent)


def test_packet_too_big_lowers_path_mtu(lab):
    # RFC 8201 4: after a Packet Too Big for our address, our next large reply to that
    # destination is fragmented to the reported MTU.
    e = echo(lab.ll, size=1400)
    ident = e[ICMPv6EchoRequest].id
    m = lab.cap.mark()
    lab.send(e)
    rep = lab.cap.wait(echo_reply_to(ident), m, WAIT)
    assert rep is not None, "1448-byte echo must be answered"
    assert IPv6ExtHdrFragment not in rep, "a 1448-byte reply fits a 1500 link"
    quoted = bytes(rep[IPv6])[:1280 - 48]
    ptb = IPv6(src=PEER_LL, dst=lab.ll) / ICMPv6PacketTooBig(mtu=1280) / Raw(quoted)
    lab.send(ptb)
    time.sleep(0.3)
    e2 = echo(lab.ll, size=1400, ident=ident, seq=2)
    m = lab.cap.mark()
    lab.send(e2)
    got = lab.cap.wait(lambda p: IPv6ExtHdrFragment in p and p[IPv6].dst == PEER_LL, m, WAIT)
    assert got is not None, "RFC 8201 4: after Packet Too Big (MTU 1280) the 1448-byte reply " \
        "must be fragmented; saw %s" % [p.summary() for p in lab.cap.select(lambda p: IPv6 in p, m)]
    time.sleep(0.3)
    frs = lab.cap.select(lambda p: IPv6ExtHdrFragment in p and p[IPv6].dst == PEER_LL, m)
    assert all(40 + f[IPv6].plen <= 1280 for f in frs), \
        "RFC 8201: fragments must fit the 1280-byte path MTU: %s" % [40 + f[IPv6].plen for f in frs]


def test_packet_too_big_below_1280_ignored(lab):
    # RFC 8201 4: an MTU below 1280 must not lower the PMTU below 1280 (and RFC 8021:
    # no atomic fragments in response). A 1200-byte reply fits 1280 and must stay whole.
    e = echo(lab.ll, size=1400)
    m = lab.cap.mark()
    lab.send(e)
    rep = lab.cap.wait(echo_reply_to(e[ICMPv6EchoRequest].id), m, WAIT)
    assert rep is not None
    ptb = IPv6(src=PEER_LL, dst=lab.ll) / ICMPv6PacketTooBig(mtu=600) / \
        Raw(bytes(rep[IPv6])[:1280 - 48])
    lab.send(ptb)
    time.sleep(0.3)
    e2 = echo(lab.ll, size=1100)
    m = lab.cap.mark()
    lab.send(e2)
    got = lab.cap.wait(echo_reply_to(e2[ICMPv6EchoRequest].id), m, WAIT)
    if got is None:
        frs = lab.cap.select(lambda p: IPv6ExtHdrFragment in p, m)
        assert frs, "no reply at all after a PTB with MTU 600"
        assert all(40 + f[IPv6].plen >= 1000 for f in frs if f[IPv6ExtHdrFragment].m), \
            "RFC 8201 4: PMTU must not go below 1280"
    else:
        assert IPv6ExtHdrFragment not in got, "RFC 8021: no atomic fragments for PTB < 1280"


def test_packet_too_big_from_linux_router(lab):
    """Linux routes between umikamed and a far host over a 1280-byte-MTU link:

        umikamed 2001:db8:1::100 --tap0-- Linux (NS, forwarding) --veth mtu 1280-- far host
                                          2001:db8:1::1 / 2001:db8:2::1            2001:db8:2::2 (NS-far)

    The far host pings umikamed with 1400 bytes; umikamed's 1448-byte reply cannot cross the
    1280 link, Linux sends Packet Too Big, and (RFC 8201 4) umikamed's next replies to the far
    host are fragmented to 1280, so the later pings get through."""
    lab.require_umk()
    far = lab.ns + "f"
    lab._mkns(far)
    lab.sysctl("net.ipv6.conf.all.forwarding=1")
    lab.nsexec("ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", lab.ifname, "nodad")
    lab.nsexec("ip", "link", "add", "far0", "mtu", 1280, "type", "veth", "peer", "name", "eth0",
               "netns", far)
    lab.nsexec("ip", "-6", "addr", "add", "2001:db8:2::1/64", "dev", "far0", "nodad")
    lab.nsexec("ip", "link", "set", "far0", "up")
    lab.nsexec("ip", "link", "set", "eth0", "mtu", 1280, "up", ns=far)
    lab.nsexec("ip", "-6", "addr", "add", "2001:db8:2::2/64", "dev", "eth0", "nodad", ns=far)
    lab.nsexec("ip", "-6", "route", "add", "default", "via", "2001:db8:2::1", ns=far)
    lab.umk_run("addr", "add", "2001:db8:1::100/64", "dev", lab.ifname, check=True)
    lab.umk_run("route", "add", "2001:db8:2::/64", "via", lab.linux_ll, "dev", lab.ifname,
                check=True)
    lab.wait_for(lambda: [a for a in lab.addrs("2001:db8:1::100")
                          if not set(a["flags"]) & {"tentative", "dadfailed"}], 5, "DAD")
    m = lab.cap.mark()
    r = lab.nsexec("ping", "-6", "-n", "-c", 4, "-i", "0.5", "-W", 2, "-s", 1400,
                   "2001:db8:1::100", ns=far, check=False, timeout=30)
    ptb = lab.cap.select(lambda p: ICMPv6PacketTooBig in p, m, outgoing=True)
    assert ptb, "Linux should have sent Packet Too Big (setup problem): %s" % r.stdout
    got = int(re.search(r"(\d+) received", r.stdout).group(1))
    assert got >= 3, "RFC 8201 4: after Packet Too Big the replies must be fragmented to the " \
        "path MTU and get through; %d of 4 replies arrived:\n%s" % (got, r.stdout)
    frs = lab.cap.select(lambda p: IPv6ExtHdrFragment in p and p[IPv6].dst == "2001:db8:2::2", m)
    assert frs and all(40 + f[IPv6].plen <= 1280 for f in frs), \
        "fragments to the far host must fit 1280: %s" % [40 + f[IPv6].plen for f in frs]

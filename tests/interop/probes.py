"""
probes.py - packet builders and predicates shared by the interop tests.
"""
import random

from scapy.layers.inet6 import (IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest, ICMPv6EchoReply,
                                _ICMPv6Error)
from scapy.packet import Raw

from lab import PEER_LL, norm6


def echo(dst, src=PEER_LL, ident=None, seq=1, size=16, hlim=64):
    ident = random.randrange(1, 65535) if ident is None else ident
    data = bytes((i & 0xff for i in range(size)))
    return IPv6(src=src, dst=dst, hlim=hlim) / ICMPv6EchoRequest(id=ident, seq=seq, data=data)


def fragments(pkt, pieces, ident=None, m_last=False):
    """Splits IPv6 packet `pkt` (no extension headers of its own) into fragments.

    pieces: [(offset_bytes, length_bytes), ...] over the fragmentable part (everything after
    the IPv6 header, with checksums already computed for the whole packet). The fragment
    whose end is the payload end gets M=0 unless m_last."""
    raw = bytes(pkt)
    ip = IPv6(raw)
    body = raw[40:]
    ident = random.randrange(1, 1 << 32) if ident is None else ident
    out = []
    for off, ln in pieces:
        more = 1 if (off + ln < len(body) or m_last) else 0
        f = (IPv6(src=ip.src, dst=ip.dst, hlim=ip.hlim, nh=44) /
             IPv6ExtHdrFragment(nh=ip.nh, offset=off // 8, m=more, id=ident) /
             Raw(body[off:off + ln]))
        out.append(f)
    return out


def is_ip6(p):
    return IPv6 in p


def echo_reply_to(ident, src=None):
    def pred(p):
        return (ICMPv6EchoReply in p and p[ICMPv6EchoReply].id == ident and
                (src is None or norm6(p[IPv6].src) == norm6(src)))
    return pred


def reply_fragments(p):
    return IPv6ExtHdrFragment in p


def icmp_error(cls, code=None, ptr=None):
    """An ICMPv6 error of class cls (and code/pointer when given)."""
    def pred(p):
        if cls not in p:
            return False
        e = p[cls]
        if code is not None and e.code != code:
            return False
        if ptr is not None and e.ptr != ptr:
            return False
        return True
    return pred


def _has_error(p):
    q = p
    while q:
        if isinstance(q, _ICMPv6Error):
            return True
        q = q.payload if q.payload else None
    return False


def is_error(p):
    return IPv6 in p and _has_error(p)


def quoted_ip(p):
    """The invoking packet quoted by an ICMPv6 error (scapy's IPerror6 layer)."""
    from scapy.layers.inet6 import IPerror6
    return p[IPerror6] if IPerror6 in p else None


def ip_len(p):
    return 40 + p[IPv6].plen


def describe(p):
    return p.summary() if p is not None else "nothing"

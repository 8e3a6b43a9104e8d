"""
test_natt_ipcomp.py - RFC 3948 ESP-in-UDP and RFC 3173 IPComp (deflate, RFC 2394) between
umikamed and independent implementations: scapy's ESP (scapy.layers.ipsec, with its
nat_t_header for the UDP encapsulation) and Python's zlib for the raw deflate (wbits=-15;
this scapy has no IPComp layer), with tshark dissecting the UDP-encapsulated ESP given the
keys.

Topology (one namespace per test, built and removed by tests/interop/lab.py's Lab):

    namespace umkPID_N
    +-------------------------------------------------------------------------------+
    |  umikamed -i tap0            <== TAP ==>   tap0 (Linux kernel side)           |
    |  2001:db8:5::1/64 (U)                      2001:db8:5::2/64 (K, answers ND)    |
    |  SAs + SPD from `umk setkey -f`            scapy: ESP (in UDP 4500) en/decrypt, |
    |                                            zlib: IPComp payloads, via AF_PACKET |
    +-------------------------------------------------------------------------------+

Both ways: scapy pings umikamed (umikamed must answer inside the same encapsulation), and
`umk ping` pings K (a capture hook decrypts umikamed's request and answers it the same way).
Negative probes: scapy's own ESP-in-UDP carries a zero UDP checksum (RFC 3948 3.1.1's IPv4
rule): over IPv6 that is dropped and counted (RFC 8200 8.1); a NAT-keepalive is consumed
and counted.

Run as root: UMK_BUILD=build-xxx /usr/bin/python3 -m pytest tests/ipsec/test_natt_ipcomp.py
"""
import os
import shutil
import subprocess
import sys
import zlib

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_setkey_scapy import lab, setkey, stat, U, K  # noqa: E402,F401

from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.inet import UDP  # noqa: E402
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, ICMPv6EchoReply  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

KEY_IN = bytes(range(101, 121))     # K -> U, AES-128-GCM key + salt (RFC 4106 8.1)
KEY_OUT = bytes(range(121, 141))    # U -> K
SPI_IN, SPI_OUT = 0x1100, 0x1101
CPI_IN, CPI_OUT = 0x3000, 0x3001    # negotiated range (RFC 3173 3.3)
PORT = 4500
GCM = "AES-GCM with 16 octet ICV [RFC4106]"

NATT_CONF = """flush;
spdflush;
add %(K)s[4500] %(U)s[4500] esp-udp 0x%(si)x -m transport -E aes-gcm-16 0x%(ki)s;
add %(U)s[4500] %(K)s[4500] esp-udp 0x%(so)x -m transport -E aes-gcm-16 0x%(ko)s;
spdadd %(U)s %(K)s icmp6 -P out ipsec esp/transport//require;
spdadd %(K)s %(U)s icmp6 -P in ipsec esp/transport//require;
"""

COMP_CONF = """flush;
spdflush;
add %(K)s %(U)s ipcomp 0x%(ci)x -C deflate;
add %(U)s %(K)s ipcomp 0x%(co)x -C deflate;
add %(K)s %(U)s esp 0x%(si)x -m transport -E aes-gcm-16 0x%(ki)s;
add %(U)s %(K)s esp 0x%(so)x -m transport -E aes-gcm-16 0x%(ko)s;
spdadd %(U)s %(K)s icmp6 -P out ipsec ipcomp/transport//use esp/transport//require;
spdadd %(K)s %(U)s icmp6 -P in ipsec ipcomp/transport//use esp/transport//require;
"""


def apply(lab, conf):
    path = os.path.join(lab.dir, "ipsec.conf")
    with open(path, "w") as f:
        f.write(conf % dict(K=K, U=U, si=SPI_IN, so=SPI_OUT, ki=KEY_IN.hex(), ko=KEY_OUT.hex(),
                            ci=CPI_IN, co=CPI_OUT))
    setkey(lab, "-f", path)


def deflate(b):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def inflate(b):
    d = zlib.decompressobj(-15)
    out = d.decompress(b) + d.flush()
    assert d.eof and not d.unused_data, "not one raw deflate stream"
    return out


class Peer:
    """scapy's side of the SAs: protects (ESP, ESP-in-UDP, IPComp + ESP) and opens."""

    def __init__(self, udp, comp):
        self.udp, self.comp = udp, comp
        nat = dict(nat_t_header=UDP(sport=PORT, dport=PORT)) if udp else {}
        self.sa_out = SecurityAssociation(ESP, spi=SPI_IN, crypt_algo="AES-GCM",
                                          crypt_key=KEY_IN, **nat)
        self.sa_in = SecurityAssociation(ESP, spi=SPI_OUT, crypt_algo="AES-GCM",
                                         crypt_key=KEY_OUT)
        self.seq = 0

    def protect(self, icmp, fix_csum=True):
        """IPv6 K -> U carrying icmp (a scapy ICMPv6 message), compressed first when comp."""
        ip = IPv6(src=K, dst=U, hlim=64)
        body = bytes(ip / icmp)[40:]           # the ICMPv6 checksum over K and U
        if self.comp:
            inner = IPv6(src=K, dst=U, hlim=64, nh=108) / Raw(
                bytes([58, 0, CPI_IN >> 8, CPI_IN & 0xff]) + deflate(body))
        else:
            inner = IPv6(src=K, dst=U, hlim=64, nh=58) / Raw(body)
        self.seq += 1
        e = self.sa_out.encrypt(inner, seq_num=self.seq)
        if self.udp and fix_csum:
            # scapy writes RFC 3948 3.1.1's zero checksum, which IPv6 forbids (RFC 8200 8.1)
            e[UDP].chksum = None
            e = IPv6(bytes(e))
        return e

    def is_ours(self, p):
        """Frames umikamed sends to K under its outbound SA."""
        if IPv6 not in p or p[IPv6].src != U or p[IPv6].dst != K:
            return False
        if self.udp:
            return p[IPv6].nh == 17 and p[UDP].sport == PORT and p[UDP].dport == PORT and \
                bytes(p[UDP].payload)[:4] == SPI_OUT.to_bytes(4, "big")
        return p[IPv6].nh == 50 and bytes(p[IPv6].payload)[:4] == SPI_OUT.to_bytes(4, "big")

    def open(self, p):
        """(next header, payload bytes) inside umikamed's ESP (IPComp undone): checks the
        UDP checksum and the IPComp header on the way."""
        ip = p[IPv6]
        if self.udp:
            raw_udp = bytes(ip.payload)
            c = int.from_bytes(raw_udp[6:8], "big")
            assert c != 0, "zero UDP checksum over IPv6 (RFC 8200 8.1)"
            q = IPv6(src=ip.src, dst=ip.dst, nh=17) / UDP(raw_udp)
            q[UDP].chksum = None
            assert IPv6(bytes(q))[UDP].chksum == c, "bad UDP checksum"
            esp = raw_udp[8:]
        else:
            esp = bytes(ip.payload)
        d = self.sa_in.decrypt(IPv6(src=ip.src, dst=ip.dst, nh=50) / ESP(esp))
        nh, data = d[IPv6].nh, bytes(d[IPv6].payload)
        if nh == 108:
            assert data[2:4] == CPI_OUT.to_bytes(2, "big"), data[:4].hex()
            nh, data = data[0], inflate(data[4:])
        return nh, data


def exchange(lab, peer, ident, seq, payload, timeout=3.0):
    """scapy -> umikamed echo; the decrypted answer's ICMPv6 bytes, or None."""
    mark = lab.cap.mark()
    lab.send(peer.protect(ICMPv6EchoRequest(id=ident, seq=seq, data=payload)))
    p = lab.cap.wait(peer.is_ours, since=mark, timeout=timeout)
    if p is None:
        return None
    nh, data = peer.open(Ether(bytes(p)))
    assert nh == 58, nh
    return ICMPv6EchoReply(data)


def answer_pings(lab, peer, seen):
    """A capture hook: umikamed's echo requests to K, answered under the same SAs."""
    def hook(cap, p):
        if not peer.is_ours(p):
            return
        nh, data = peer.open(Ether(bytes(p)))
        if nh != 58 or data[0] != 128:
            return
        req = ICMPv6EchoRequest(data)
        seen.append(nh)
        cap.send(lab.frame(peer.protect(ICMPv6EchoReply(id=req.id, seq=req.seq, data=req.data))))
    lab.cap.hooks.append(hook)


def test_esp_in_udp_both_ways(lab):
    apply(lab, NATT_CONF)
    d = setkey(lab, "-D").stdout
    assert "%s[4500] %s[4500]\n\tesp-udp mode=transport spi=%d" % (K, U, SPI_IN) in d, d
    peer = Peer(udp=True, comp=False)
    before = stat(lab, "ESP-in-UDP packets de-encapsulated")
    for seq in range(1, 4):
        r = exchange(lab, peer, 0x61, seq, b"umikame-natt")
        assert r is not None, "no ESP-in-UDP echo reply for seq %d\n%s\n%s" % (
            seq, lab.cap.summary(), lab.log_tail())
        assert r.type == 129 and r.seq == seq and r.data == b"umikame-natt"
    assert stat(lab, "ESP-in-UDP packets de-encapsulated") >= before + 3
    # umikamed -> K, answered by scapy in UDP: `umk ping` sees the replies
    seen = []
    answer_pings(lab, peer, seen)
    r = lab.umk_run("ping", "-c", 2, "-W", 2, K, timeout=30)
    assert r.returncode == 0 and len(seen) >= 2, "%s\n%s\n%s" % (r.stdout, r.stderr,
                                                                lab.cap.summary())
    # no bare ESP or clear echo from umikamed: only UDP 4500
    bare = lab.cap.select(lambda p: IPv6 in p and p[IPv6].src == U and
                          (p[IPv6].nh == 50 or ICMPv6EchoReply in p or
                           ICMPv6EchoRequest in p))
    assert not bare, bare
    # scapy's zero checksum: dropped and counted, never answered (RFC 8200 8.1)
    zero = stat(lab, "InDropUdpZeroChecksum")
    mark = lab.cap.mark()
    lab.send(peer.protect(ICMPv6EchoRequest(id=0x62, seq=1, data=b"zero"), fix_csum=False))
    assert lab.cap.wait(peer.is_ours, since=mark, timeout=1.0) is None
    assert stat(lab, "InDropUdpZeroChecksum") == zero + 1
    # RFC 3948 2.3: a NAT-keepalive is consumed and counted
    ka = stat(lab, "NAT-keepalives consumed")
    lab.send(IPv6(src=K, dst=U) / UDP(sport=PORT, dport=PORT) / Raw(b"\xff"))
    lab.wait_for(lambda: stat(lab, "NAT-keepalives consumed") == ka + 1, 3, "the keepalive")


@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_tshark_dissects_esp_in_udp(lab):
    apply(lab, NATT_CONF)
    peer = Peer(udp=True, comp=False)
    start = lab.cap.mark()
    sent = []
    for seq in range(1, 4):
        mark = lab.cap.mark()
        sent.append(lab.frame(peer.protect(ICMPv6EchoRequest(id=0x71, seq=seq, data=b"tshark"))))
        lab.cap.send(sent[-1])
        assert lab.cap.wait(peer.is_ours, since=mark, timeout=3) is not None, lab.log_tail()
    with lab.cap.cond:
        raw = [f[2] for f in lab.cap.frames[start:]]
    ours = [p for p in map(Ether, raw) if peer.is_ours(p)]
    frames = [Ether(bytes(f)) for f in sent] + ours
    pcap = os.path.join(lab.dir, "esp-in-udp.pcap")
    wrpcap(pcap, frames)
    uat = ['uat:esp_sa:"IPv6","%s","%s","0x%08x","%s","0x%s","NULL",""' % (s, d, spi, GCM, k.hex())
           for s, d, spi, k in ((K, U, SPI_IN, KEY_IN), (U, K, SPI_OUT, KEY_OUT))]
    fields = ["ipv6.src", "udp.srcport", "udp.checksum.status", "esp.spi", "icmpv6.type",
              "icmpv6.echo.sequence_number", "esp.icv_good", "_ws.malformed"]
    base = ["tshark", "-n", "-r", pcap, "-o", "esp.enable_encryption_decode:TRUE",
            "-o", "esp.enable_authentication_check:TRUE", "-o", "udp.check_checksum:TRUE",
            "-o", uat[0], "-o", uat[1], "-Y", "ipv6.src == %s" % U]
    cmd = base + ["-T", "fields", "-E", "separator=|"] + sum((["-e", f] for f in fields), [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = [dict(zip(fields, line.split("|"))) for line in r.stdout.splitlines() if line]
    assert len(rows) == len(ours) >= 3, r.stdout
    for row in rows:
        # UDP 4500 with a checksum tshark verified, then our ESP, then an echo reply
        assert row["udp.srcport"] == "4500" and row["udp.checksum.status"] == "1", row
        assert row["esp.spi"] == "0x%08x" % SPI_OUT, row
        assert row["icmpv6.type"] == "129" and row["esp.icv_good"] == "1", row
        assert not row["_ws.malformed"], row
    text = subprocess.run(base + ["-V"], capture_output=True, text=True, timeout=60).stdout
    for bad in ("Malformed", "Bad]", "incorrect", "Exception"):
        assert bad not in text, "tshark complains (%s):\n%s" % (bad, text[-3000:])
    assert "UDP Encapsulation of IPsec Packets" in text, text[-3000:]


def test_ipcomp_esp_both_ways(lab):
    apply(lab, COMP_CONF)
    d = setkey(lab, "-D").stdout
    assert "\tipcomp mode=any spi=%d(0x%08x)" % (CPI_IN, CPI_IN) in d and "\tC: deflate" in d, d
    dp = setkey(lab, "-DP").stdout
    assert "ipcomp/transport//use" in dp and "esp/transport//require" in dp, dp
    peer = Peer(udp=False, comp=True)
    payload = b"umikame compresses what repeats. " * 30
    ok = stat(lab, "IPComp packets decompressed")
    out = stat(lab, "IPComp packets sent compressed")
    for seq in range(1, 3):
        r = exchange(lab, peer, 0x81, seq, payload)
        assert r is not None, "no IPComp+ESP echo reply\n%s\n%s" % (lab.cap.summary(),
                                                                     lab.log_tail())
        assert r.type == 129 and r.data == payload
    assert stat(lab, "IPComp packets decompressed") >= ok + 2
    assert stat(lab, "IPComp packets sent compressed") >= out + 2
    # the replies went compressed: far smaller than the payload on the wire
    replies = lab.cap.select(peer.is_ours)
    assert replies and max(len(p) for p in replies) < len(payload) // 2, \
        [len(p) for p in replies]
    # a small echo is answered uncompressed (RFC 2394 2), still in ESP
    small = stat(lab, "below the threshold")
    r = exchange(lab, peer, 0x82, 1, b"tiny")
    assert r is not None and r.data == b"tiny"
    assert stat(lab, "below the threshold") >= small + 1
    # umikamed -> K: umk ping's pattern does not shrink, so it goes uncompressed
    # (counted); scapy answers compressed and umikamed decompresses
    seen = []
    answer_pings(lab, peer, seen)
    ok = stat(lab, "IPComp packets decompressed")
    r = lab.umk_run("ping", "-c", 2, "-W", 2, "-s", 600, K, timeout=30)
    assert r.returncode == 0 and len(seen) >= 2, "%s\n%s" % (r.stdout, r.stderr)
    assert stat(lab, "IPComp packets decompressed") >= ok + 2
    assert stat(lab, "would not shrink") >= 2
    # a decompression bomb inside valid ESP: dropped and counted, no answer
    bombs = stat(lab, "decompression bomb")
    ip = IPv6(src=K, dst=U, hlim=64, nh=108) / Raw(
        bytes([58, 0, CPI_IN >> 8, CPI_IN & 0xff]) + deflate(b"\0" * 200000))
    peer.seq += 1
    mark = lab.cap.mark()
    lab.send(peer.sa_out.encrypt(ip, seq_num=peer.seq))
    lab.wait_for(lambda: stat(lab, "decompression bomb") == bombs + 1, 3, "the bomb's drop")
    assert lab.cap.wait(peer.is_ours, since=mark, timeout=0.5) is None

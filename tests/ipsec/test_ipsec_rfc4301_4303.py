"""
test_ipsec_rfc4301_4303.py - end-to-end proofs against umikamed with scapy's independent
IPsec (scapy.layers.ipsec) for what the unit and sim tests can only show between two
umikame stacks:

  - RFC 4303 2.2.1 extended sequence numbers on the wire, both directions (the high 32 bits
    in the AEAD AAD or appended to the ICV input, never sent), across 2^32 inbound;
  - RFC 4303 2.4 bad padding and 2.6 dummy packets (next header 59): authenticated, then
    dropped and counted;
  - RFC 4302 3.3.3.1: AH over a Hop-by-Hop and a Destination Options header whose options
    change en route (type bit 0x20) verifies after those options changed, and fails when an
    option that must not change did;
  - RFC 4301 5.2 step 4: a peer with a valid transport SA sending another host's source, and
    tunnel-mode inner addresses outside the policy: dropped and counted;
  - setkey -r past 2040 packets: a 4096-packet window taken and used;
  - RFC 4301 5.1/5.2 on forwarded traffic: umikamed as the security gateway of a host H on
    the link (scapy) tunnels H's traffic to K, forwards what K's tunnel carries, refuses
    the same in the clear.

Topology (tests/interop/lab.py, as in test_setkey_scapy.py):

    namespace umkPID_N
    +----------------------------------------------------------------------+
    |  umikamed -i tap0 (2001:db8:5::1)  <== TAP ==>  tap0, kernel side     |
    |  SAs + SPD from `umk setkey -f`                 2001:db8:5::2 (K):    |
    |                                                 scapy speaks from K   |
    |                                                 (and spoofs others)   |
    +----------------------------------------------------------------------+

Run as root: UMK_BUILD=build-xxx /usr/bin/python3 -m pytest tests/ipsec/test_ipsec_rfc4301_4303.py
"""
import hashlib
import hmac
import os
import re
import struct
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_setkey_scapy import (lab, setkey, stat, U, K, GCM_KEY_IN, GCM_KEY_OUT,  # noqa: E402,F401
                               CBC_KEY_IN, CBC_KEY_OUT, SHA_KEY_IN, SHA_KEY_OUT)

from scapy.layers.inet6 import (IPv6, ICMPv6EchoRequest, ICMPv6EchoReply,  # noqa: E402
                                IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, HBHOptUnknown)
from scapy.layers.ipsec import ESP, AH, SecurityAssociation, _ESPPlain  # noqa: E402

SPI_IN, SPI_OUT = 0x3000, 0x3001

SUITES = {
    "aes-gcm": ("-E aes-gcm-16 0x%s" % GCM_KEY_IN.hex(), "-E aes-gcm-16 0x%s" % GCM_KEY_OUT.hex(),
                dict(crypt_algo="AES-GCM", crypt_key=GCM_KEY_IN),
                dict(crypt_algo="AES-GCM", crypt_key=GCM_KEY_OUT)),
    "aes-cbc+sha256": (
        "-E aes-cbc 0x%s -A hmac-sha256 0x%s" % (CBC_KEY_IN.hex(), SHA_KEY_IN.hex()),
        "-E aes-cbc 0x%s -A hmac-sha256 0x%s" % (CBC_KEY_OUT.hex(), SHA_KEY_OUT.hex()),
        dict(crypt_algo="AES-CBC", crypt_key=CBC_KEY_IN, auth_algo="SHA2-256-128",
             auth_key=SHA_KEY_IN),
        dict(crypt_algo="AES-CBC", crypt_key=CBC_KEY_OUT, auth_algo="SHA2-256-128",
             auth_key=SHA_KEY_OUT)),
}


def configure(lab, text):
    path = os.path.join(lab.dir, "ipsec-%d.conf" % abs(hash(text)))
    with open(path, "w") as f:
        f.write("flush;\nspdflush;\n" + text)
    setkey(lab, "-f", path)


def transport_esp(lab, suite="aes-gcm", in_opts="-r 8", out_opts="", esn=False):
    e_in, e_out, sa_in, sa_out = SUITES[suite]
    configure(lab, """add %(K)s %(U)s esp %(si)d -m transport %(oi)s %(ei)s;
add %(U)s %(K)s esp %(so)d -m transport %(oo)s %(eo)s;
spdadd %(U)s %(K)s any -P out ipsec esp/transport//require;
spdadd %(K)s %(U)s any -P in ipsec esp/transport//require;
""" % dict(K=K, U=U, si=SPI_IN, so=SPI_OUT, ei=e_in, eo=e_out,
           oi=in_opts + (" -f esn" if esn else ""), oo=out_opts + (" -f esn" if esn else "")))
    theirs_out = SecurityAssociation(ESP, spi=SPI_IN, esn_en=esn, **sa_in)
    theirs_in = SecurityAssociation(ESP, spi=SPI_OUT, esn_en=esn, **sa_out)
    return theirs_out, theirs_in


def echo_req(ident, seq, src=K, data=b"umikame-4303"):
    return IPv6(src=src, dst=U, hlim=64) / ICMPv6EchoRequest(id=ident, seq=seq, data=data)


def esp_replies(lab, sa_in, mark, ident, timeout=2.0, esn=0):
    """The echo replies (decrypted by scapy with the given ESN high bits) seen since mark."""
    lab.cap.wait(lambda p: IPv6 in p and p[IPv6].src == U and p[IPv6].nh == 50 and
                 ESP in p and p[ESP].spi == SPI_OUT, since=mark, timeout=timeout)
    out = []
    for p in lab.cap.select(lambda p: IPv6 in p and p[IPv6].src == U and p[IPv6].nh == 50 and
                            ESP in p and p[ESP].spi == SPI_OUT, since=mark):
        try:
            d = sa_in.decrypt(p[IPv6].copy(), esn_en=sa_in.esn_en, esn=esn)
        except Exception:           # an ICV scapy cannot verify is no reply of ours
            continue
        if ICMPv6EchoReply in d and d[ICMPv6EchoReply].id == ident:
            out.append(d)
    return out


def wait_reply(lab, sa_in, mark, ident, seq, timeout=3.0, esn=0):
    """Our echo reply (ident, seq) since mark; the first one may wait for ND to resolve K."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for d in esp_replies(lab, sa_in, mark, ident, timeout=0.2, esn=esn):
            if d[ICMPv6EchoReply].seq == seq:
                return d
        time.sleep(0.1)
    return None


# ---- RFC 4303 2.2.1: extended sequence numbers -------------------------------------------

# scapy 2.5 puts the ESN high bits into the AEAD AAD, but its ESP integrity (non-AEAD) leaves
# them out. For AES-CBC + HMAC-SHA-256 the test computes RFC 4303 2.2.1's ICV itself: HMAC
# over SPI, sequence number, IV and ciphertext, then the high 32 bits, truncated to 16 bytes.

def esn_send(lab, suite, pkt, seq, hi):
    if suite == "aes-gcm":
        sa = SecurityAssociation(ESP, spi=SPI_IN, esn_en=True, **SUITES[suite][2])
        lab.send(sa.encrypt(pkt, seq_num=seq, esn_en=True, esn=hi))
        return
    crypt = dict(SUITES[suite][2])
    crypt.pop("auth_algo")
    crypt.pop("auth_key")
    sa = SecurityAssociation(ESP, spi=SPI_IN, **crypt)
    e = sa.encrypt(pkt, seq_num=seq)
    body = bytes(e[ESP])
    icv = hmac.new(SHA_KEY_IN, body + struct.pack("!L", hi), hashlib.sha256).digest()[:16]
    ip = e[IPv6].copy()
    ip.remove_payload()
    ip.plen = len(body) + 16
    lab.send(IPv6(bytes(ip) + body + icv))


def esn_open(suite, p, hi):
    """Our packet p decrypted with ESN high bits hi, or None when its ICV does not verify."""
    if suite == "aes-gcm":
        sa = SecurityAssociation(ESP, spi=SPI_OUT, esn_en=True, **SUITES[suite][3])
        try:
            return sa.decrypt(p[IPv6].copy(), esn_en=True, esn=hi)
        except Exception:
            return None
    body = bytes(p[ESP])
    want = hmac.new(SHA_KEY_OUT, body[:-16] + struct.pack("!L", hi),
                    hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(want, body[-16:]):
        return None
    crypt = dict(SUITES[suite][3])
    crypt.pop("auth_algo")
    crypt.pop("auth_key")
    ip = p[IPv6].copy()
    ip.remove_payload()
    ip.plen = len(body) - 16
    return SecurityAssociation(ESP, spi=SPI_OUT, **crypt).decrypt(IPv6(bytes(ip) + body[:-16]))


def esn_reply(lab, suite, mark, ident, seq, hi=0, timeout=3.0):
    def ours(p):
        return IPv6 in p and p[IPv6].src == U and ESP in p and p[ESP].spi == SPI_OUT
    lab.cap.wait(ours, since=mark, timeout=timeout)
    for p in lab.cap.select(ours, since=mark):
        d = esn_open(suite, p, hi)
        if d is not None and ICMPv6EchoReply in d and d[ICMPv6EchoReply].id == ident and \
                d[ICMPv6EchoReply].seq == seq:
            return p
    return None


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_esn_on_the_wire(lab, suite):
    transport_esp(lab, suite, esn=True)
    d = setkey(lab, "-D").stdout
    assert d.count("flags=0x00000400") == 2, d          # both SAs carry the ESN flag

    # seq 1, then far ahead, then to the top of the low 32 bits (high bits 0); our replies
    # come from an ESN SA whose counter is in its first 2^32 (high bits 0)
    for n, seq in enumerate([1, 0x80000000, 0xfffffff0]):
        mark = lab.cap.mark()
        esn_send(lab, suite, echo_req(0x41, n), seq, 0)
        assert esn_reply(lab, suite, mark, 0x41, n) is not None, \
            "no ESN reply to seq 0x%x\n%s\n%s" % (seq, lab.cap.summary(since=mark), lab.log_tail())
    # the high bits are covered: what verifies with high bits 0 fails with any others
    mark = lab.cap.mark()
    esn_send(lab, suite, echo_req(0x41, 9), 0xfffffff1, 0)
    p = esn_reply(lab, suite, mark, 0x41, 9)
    assert p is not None and esn_open(suite, p, 1) is None

    # across 2^32: low bits 5 stand for 2^32 + 5 (RFC 4303 A2.1 case A); sent with the
    # wrong high bits (0) the ICV fails
    icv = stat(lab, "ICV failed")
    mark = lab.cap.mark()
    esn_send(lab, suite, echo_req(0x41, 10), 5, 0)
    assert esn_reply(lab, suite, mark, 0x41, 10, timeout=1.0) is None
    assert stat(lab, "ICV failed") == icv + 1
    mark = lab.cap.mark()
    esn_send(lab, suite, echo_req(0x41, 11), 5, 1)
    assert esn_reply(lab, suite, mark, 0x41, 11) is not None, lab.log_tail()
    # a late packet from below 2^32, still inside the 64-packet window
    mark = lab.cap.mark()
    esn_send(lab, suite, echo_req(0x41, 12), 0xfffffff8, 0)
    assert esn_reply(lab, suite, mark, 0x41, 12) is not None


# ---- RFC 4303 2.4 and 2.6: bad padding, dummy packets --------------------------------------

def icmp6_bytes(msg):
    """An ICMPv6 message with its checksum over K -> U."""
    return bytes(IPv6(src=K, dst=U) / msg)[40:]


def craft_esp(sa, seq, payload, nh, spoil_pad=False):
    """An ESP packet from K whose trailer we choose: scapy's own encryption and ICV."""
    esp = _ESPPlain(spi=sa.spi, seq=seq, iv=sa.crypt_algo.generate_iv())
    esp.data = payload
    esp.nh = nh
    esp = sa.crypt_algo.pad(esp)
    if spoil_pad:
        assert esp.padlen >= 2
        esp.padding = bytes([1, 7]) + esp.padding[2:]   # RFC 4303 2.4 wants 1, 2, 3, ...
    esp = sa.crypt_algo.encrypt(sa, esp, sa.crypt_key, sa.crypt_icv_size)
    sa.auth_algo.sign(esp, sa.auth_key)
    return IPv6(src=K, dst=U, nh=50, hlim=64) / esp


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_bad_padding_and_dummy_dropped(lab, suite):
    sa_out, sa_in = transport_esp(lab, suite)
    ok0, pad0, dummy0 = stat(lab, "ESP packets accepted"), stat(lab, "bad ESP padding"), \
        stat(lab, "dummy packet")
    # 8 + 4 bytes of ICMPv6 + 2 of trailer: 2 bytes of padding for both GCM (4-byte blocks)
    # and CBC (16-byte blocks)
    icmp = icmp6_bytes(ICMPv6EchoRequest(id=0x42, seq=1, data=b"abcd"))
    mark = lab.cap.mark()
    lab.send(craft_esp(sa_out, 1, icmp, 58, spoil_pad=True))
    lab.send(craft_esp(sa_out, 2, b"\x00" * 21, 59))     # a dummy packet (RFC 4303 2.6)
    assert wait_reply(lab, sa_in, mark, 0x42, 1, timeout=1.0) is None
    assert stat(lab, "bad ESP padding") == pad0 + 1
    assert stat(lab, "dummy packet") == dummy0 + 1
    assert stat(lab, "ESP packets accepted") == ok0
    # the same trailer with good padding is answered: the SA and the packet were fine
    icmp = icmp6_bytes(ICMPv6EchoRequest(id=0x42, seq=3, data=b"abcd"))
    mark = lab.cap.mark()
    lab.send(craft_esp(sa_out, 3, icmp, 58))
    assert wait_reply(lab, sa_in, mark, 0x42, 3) is not None, lab.log_tail()


# ---- RFC 4302 3.3.3.1: AH and the options that change en route -----------------------------

AH_IN, AH_OUT = 0x3100, 0x3101


def test_ah_mutable_options(lab):
    configure(lab, """add %(K)s %(U)s ah %(si)d -m transport -A hmac-sha256 0x%(ki)s;
add %(U)s %(K)s ah %(so)d -m transport -A hmac-sha256 0x%(ko)s;
spdadd %(U)s %(K)s any -P out ipsec ah/transport//require;
spdadd %(K)s %(U)s any -P in ipsec ah/transport//require;
""" % dict(K=K, U=U, si=AH_IN, so=AH_OUT, ki=SHA_KEY_IN.hex(), ko=SHA_KEY_OUT.hex()))
    sa_out = SecurityAssociation(AH, spi=AH_IN, auth_algo="SHA2-256-128", auth_key=SHA_KEY_IN)
    sa_in = SecurityAssociation(AH, spi=AH_OUT, auth_algo="SHA2-256-128", auth_key=SHA_KEY_OUT)

    def request(seq, mutable_data, fixed_data):
        # option 0x23: skip if unknown (00), may change en route (bit 0x20); 0x03 may not
        return (IPv6(src=K, dst=U, hlim=64) /
                IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x23, optdata=mutable_data)]) /
                IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x23, optdata=mutable_data),
                                           HBHOptUnknown(otype=0x03, optdata=fixed_data)]) /
                ICMPv6EchoRequest(id=0x43, seq=seq, data=b"umikame-ah"))

    errors = []

    def replied(mark, seq, timeout=4.0):
        def ours(p):
            return IPv6 in p and p[IPv6].src == U and AH in p and p[AH].spi == AH_OUT
        deadline = time.monotonic() + timeout      # the first one waits for ND of K
        while time.monotonic() < deadline:
            for p in lab.cap.select(ours, since=mark):
                try:
                    # verifies our ICV; scapy's AH decrypt edits its argument and
                    # leaves the payload undissected
                    d = IPv6(bytes(sa_in.decrypt(p[IPv6].copy())))
                except Exception as e:
                    errors.append(repr(e))
                    continue
                if ICMPv6EchoReply in d and d[ICMPv6EchoReply].seq == seq:
                    return True
            time.sleep(0.2)
        return False

    def change(pkt, old, new):
        raw = bytes(pkt)
        assert raw.count(old) >= 1
        return IPv6(raw.replace(old, new))

    # as signed: answered, and our reply verifies at scapy
    mark = lab.cap.mark()
    lab.send(sa_out.encrypt(request(1, b"\xaa" * 4, b"\x11" * 4)))
    assert replied(mark, 1), "%s\n%s\n%s\n%s" % (lab.cap.summary(since=mark), lab.log_tail(),
                                           {k: v for k, v in lab.umk("stats")["ipsec"].items() if v},
                                           errors)
    # the mutable options changed on the way (both headers): still verifies
    icv = stat(lab, "ICV failed")
    mark = lab.cap.mark()
    lab.send(change(sa_out.encrypt(request(2, b"\xaa" * 4, b"\x11" * 4)), b"\xaa" * 4, b"\x55" * 4))
    assert replied(mark, 2), lab.log_tail()
    # an option that must not change did: the ICV fails
    mark = lab.cap.mark()
    lab.send(change(sa_out.encrypt(request(3, b"\xaa" * 4, b"\x11" * 4)), b"\x11" * 4, b"\x22" * 4))
    assert not replied(mark, 3, timeout=1.5)
    assert stat(lab, "ICV failed") == icv + 1


# ---- RFC 4301 5.2 step 4 -----------------------------------------------------------------

def test_spoofed_source_through_valid_sa(lab):
    sa_out, sa_in = transport_esp(lab)
    sel = stat(lab, "outside the selectors of its SA")
    mark = lab.cap.mark()
    lab.send(sa_out.encrypt(echo_req(0x44, 1)))
    assert wait_reply(lab, sa_in, mark, 0x44, 1) is not None
    # the same SA, the source of another host on the link
    ok = stat(lab, "ESP packets accepted")
    mark = lab.cap.mark()
    lab.send(sa_out.encrypt(echo_req(0x44, 2, src="2001:db8:5::99")))
    assert lab.cap.wait(lambda p: IPv6 in p and p[IPv6].src == U and
                        p[IPv6].dst == "2001:db8:5::99" and p[IPv6].nh != 58,
                        since=mark, timeout=1.0) is None
    assert stat(lab, "ESP packets accepted") == ok + 1       # it decrypted ...
    assert stat(lab, "outside the selectors of its SA") == sel + 1   # ... and was refused


def test_tunnel_inner_outside_policy(lab):
    e_in, e_out, s_in, s_out = SUITES["aes-gcm"]
    lab.umk_run("route", "add", "2001:db8:7::/64", "via", K, check=True)
    configure(lab, """add %(K)s %(U)s esp %(si)d -m tunnel -r 8 %(ei)s;
add %(U)s %(K)s esp %(so)d -m tunnel %(eo)s;
spdadd %(U)s 2001:db8:7::/64 any -P out ipsec esp/tunnel/%(U)s-%(K)s/require;
spdadd 2001:db8:7::/64 %(U)s any -P in ipsec esp/tunnel/%(K)s-%(U)s/require;
""" % dict(K=K, U=U, si=SPI_IN, so=SPI_OUT, ei=e_in, eo=e_out))
    sa_out = SecurityAssociation(ESP, spi=SPI_IN, tunnel_header=IPv6(src=K, dst=U), **s_in)
    sa_in = SecurityAssociation(ESP, spi=SPI_OUT, tunnel_header=IPv6(src=U, dst=K), **s_out)
    # inside the policy: answered through the tunnel
    mark = lab.cap.mark()
    lab.send(sa_out.encrypt(echo_req(0x45, 1, src="2001:db8:7::7")))
    assert wait_reply(lab, sa_in, mark, 0x45, 1) is not None, \
        "%s\n%s" % (lab.cap.summary(since=mark), lab.log_tail())
    # the same tunnel carrying a source outside 2001:db8:7::/64
    bad = stat(lab, "not the one the policy names")
    ok = stat(lab, "ESP packets accepted")
    mark = lab.cap.mark()
    lab.send(sa_out.encrypt(echo_req(0x45, 2, src="2001:db8:8::8")))
    assert wait_reply(lab, sa_in, mark, 0x45, 2, timeout=1.0) is None
    assert stat(lab, "ESP packets accepted") == ok + 1
    assert stat(lab, "not the one the policy names") == bad + 1


# ---- setkey -r past 2040 packets ----------------------------------------------------------

def test_replay_window_4096(lab):
    sa_out, sa_in = transport_esp(lab, in_opts="-r 512")      # 512 bytes of bitmap
    d = setkey(lab, "-D").stdout
    m = re.search(r"spi=%d\(0x%08x\).*\n.*\n\tseq=\S+ replay=(\d+)" % (SPI_IN, SPI_IN), d)
    assert m and m.group(1) == "512", d
    rep = stat(lab, "replayed")
    top = 5000
    for n, seq in enumerate([top, top - 4000]):            # 4000 behind the top: inside
        mark = lab.cap.mark()
        lab.send(sa_out.encrypt(echo_req(0x46, n), seq_num=seq))
        assert wait_reply(lab, sa_in, mark, 0x46, n) is not None, "seq %d refused" % seq
    mark = lab.cap.mark()
    lab.send(sa_out.encrypt(echo_req(0x46, 7), seq_num=top - 4100))   # left of 4096
    assert wait_reply(lab, sa_in, mark, 0x46, 7, timeout=1.0) is None
    assert stat(lab, "replayed") == rep + 1
    # -r 4096 (bytes) is taken too: 32768 packets
    configure(lab, "add %s %s esp 0x%x -r 4096 %s;\n" % (K, U, SPI_IN + 16,
                                                          SUITES["aes-gcm"][0]))
    d = setkey(lab, "-D").stdout
    assert re.search(r"spi=%d\(.*\n.*\n\tseq=\S+ replay=4096 " % (SPI_IN + 16), d), d


# ---- a security gateway (RFC 4301 5.1, 5.2 on forwarded traffic) --------------------------

H = "2001:db8:5::10"      # a host on the link behind umikamed, played by scapy


def test_gateway_tunnel(lab):
    """umikamed forwards for H: H's traffic to 2001:db8:7::/64 leaves in a tunnel to K (the
    peer gateway), what comes out of that tunnel is forwarded to H, and cleartext from the
    protected net is refused."""
    from scapy.layers.inet6 import UDP
    from lab import PEER_MAC
    lab.neighbors.add(H, PEER_MAC)
    lab.conf_set(lab.ifname, "forwarding", 1)
    lab.umk_run("route", "add", "2001:db8:7::/64", "via", K, check=True)
    e_in, e_out, s_in, s_out = SUITES["aes-gcm"]
    configure(lab, """add %(U)s %(K)s esp %(so)d -m tunnel %(eo)s;
add %(K)s %(U)s esp %(si)d -m tunnel -r 8 %(ei)s;
spdadd %(H)s 2001:db8:7::/64 any -P out ipsec esp/tunnel/%(U)s-%(K)s/require;
spdadd 2001:db8:7::/64 %(H)s any -P in ipsec esp/tunnel/%(K)s-%(U)s/require;
""" % dict(K=K, U=U, H=H, si=SPI_IN, so=SPI_OUT, ei=e_in, eo=e_out))
    to_k = SecurityAssociation(ESP, spi=SPI_OUT, tunnel_header=IPv6(src=U, dst=K), **s_out)
    from_k = SecurityAssociation(ESP, spi=SPI_IN, tunnel_header=IPv6(src=K, dst=U), **s_in)

    # protect: H -> 7::7 arrives in the clear and leaves only inside ESP toward K
    mark = lab.cap.mark()
    lab.send(IPv6(src=H, dst="2001:db8:7::7", hlim=9) / UDP(sport=4000, dport=5000) / b"transit")

    def esp_to_k(p):
        return IPv6 in p and p[IPv6].src == U and p[IPv6].dst == K and ESP in p and \
            p[ESP].spi == SPI_OUT
    p = lab.cap.wait(esp_to_k, since=mark, timeout=4.0)
    assert p is not None, "%s\n%s" % (lab.cap.summary(since=mark), lab.log_tail())
    inner = IPv6(bytes(to_k.decrypt(p[IPv6].copy())))
    assert inner[IPv6].src == H and inner[IPv6].dst == "2001:db8:7::7", inner.summary()
    assert inner[IPv6].hlim == 8                   # forwarded: one hop less, then tunnelled
    assert bytes(inner[UDP].payload) == b"transit"
    assert not lab.cap.select(lambda q: IPv6 in q and q[IPv6].dst == "2001:db8:7::7" and
                              UDP in q, since=mark)

    # what comes out of the tunnel is forwarded to H
    mark = lab.cap.mark()
    lab.send(from_k.encrypt(IPv6(src="2001:db8:7::7", dst=H, hlim=9) /
                            UDP(sport=5000, dport=4000) / b"back"))

    def to_h(word):
        return lambda q: IPv6 in q and q[IPv6].dst == H and UDP in q and \
            bytes(q[UDP].payload) == word
    q = lab.cap.wait(to_h(b"back"), since=mark, timeout=4.0)
    assert q is not None, "%s\n%s" % (lab.cap.summary(since=mark), lab.log_tail())
    assert q[IPv6].src == "2001:db8:7::7" and q[IPv6].hlim == 8

    # the same traffic in the clear falls under the inbound protect policy: dropped
    pol = stat(lab, "inbound policy mismatch")
    mark = lab.cap.mark()
    lab.send(IPv6(src="2001:db8:7::7", dst=H, hlim=9) / UDP(sport=5000, dport=4000) / b"clear")
    assert lab.cap.wait(to_h(b"clear"), since=mark, timeout=1.0) is None
    assert stat(lab, "inbound policy mismatch") == pol + 1
    assert stat(lab, "transit packets sent into a tunnel") >= 1

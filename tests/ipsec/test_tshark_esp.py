"""
test_tshark_esp.py - tshark, Wireshark's dissector, as a second independent judge of our ESP
(issue 5: "tshark, given the keys, decrypts and dissects our packets without complaint").

Topology and SAs: those of test_setkey_scapy.py (its `lab` fixture and `apply`): umikamed on
a TAP at 2001:db8:5::1 with SAs from `umk setkey -f`, scapy's ESP at 2001:db8:5::2 on the
kernel side. scapy sends ESP echo requests; umikamed answers with ESP. Every ESP frame of the
exchange (both directions, as seen on the kernel side of the TAP) goes to a pcap, and tshark
decrypts it with the same keys given on its command line (-o uat:esp_sa:...), checks the ICVs
and dissects what is inside.

Run as root: UMK_BUILD=build-xxx /usr/bin/python3 -m pytest tests/ipsec/test_tshark_esp.py
"""
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_setkey_scapy import (lab, apply, echo, wait_esp_reply, SUITES, U, K,  # noqa: E402,F401
                               SPI_IN, SPI_OUT, GCM_KEY_IN, GCM_KEY_OUT, CBC_KEY_IN,
                               CBC_KEY_OUT, SHA_KEY_IN, SHA_KEY_OUT)

from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.utils import wrpcap  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")

# The value strings of Wireshark 4.0's ESP SA table (epan/dissectors/packet-ipsec.c,
# `tshark -G defaultprefs` only lists the switches). Fields, in order: protocol, source,
# destination, SPI, encryption algorithm, encryption key, authentication algorithm,
# authentication key. RFC 4106 keys carry the 4-byte salt after the AES key, as ours do.
GCM = "AES-GCM with 16 octet ICV [RFC4106]"
CBC = "AES-CBC [RFC3602]"
SHA256 = "HMAC-SHA-256-128 [RFC4868]"

TSHARK_SA = {
    "aes-gcm": ((GCM, GCM_KEY_IN, "NULL", b""), (GCM, GCM_KEY_OUT, "NULL", b"")),
    "hmac-sha256+aes-cbc": ((CBC, CBC_KEY_IN, SHA256, SHA_KEY_IN),
                            (CBC, CBC_KEY_OUT, SHA256, SHA_KEY_OUT)),
}

FIELDS = ["frame.number", "ipv6.src", "esp.spi", "esp.sequence", "icmpv6.type",
          "icmpv6.echo.identifier", "icmpv6.echo.sequence_number", "data.data",
          "esp.icv_good", "esp.icv_bad", "_ws.malformed", "_ws.expert.message"]


def uat(src, dst, spi, enc, key, auth, akey):
    return 'uat:esp_sa:"IPv6","%s","%s","0x%08x","%s","0x%s","%s","%s"' % (
        src, dst, spi, enc, key.hex(), auth, ("0x" + akey.hex()) if akey else "")


def tshark(pcap, suite, *extra):
    sa_in, sa_out = TSHARK_SA[suite]
    cmd = ["tshark", "-n", "-r", pcap,
           "-o", "esp.enable_encryption_decode:TRUE",
           "-o", "esp.enable_authentication_check:TRUE",
           "-o", uat(K, U, SPI_IN, *sa_in),      # scapy -> umikamed
           "-o", uat(U, K, SPI_OUT, *sa_out)] + list(extra)   # umikamed -> scapy
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "%s\n%s" % (" ".join(cmd), r.stderr)
    return r.stdout


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_tshark_decrypts_our_esp(lab, suite):
    sa_out, sa_in = apply(lab, suite)
    start = lab.cap.mark()
    payload = b"umikame-esp-for-tshark"
    sent = []     # the capture socket does not see the frames it sends itself: keep them
    for seq in range(1, 5):
        mark = lab.cap.mark()
        sent.append(lab.frame(echo(lab, sa_out, 0x77, seq, payload)))
        lab.cap.send(sent[-1])
        assert wait_esp_reply(lab, sa_in, mark, 0x77, seq) is not None, \
            "no ESP echo reply for seq %d\n%s" % (seq, lab.log_tail())

    # the ESP frames of the exchange: umikamed's as they crossed the TAP, then scapy's. Parsed again
    # from the raw bytes: scapy's SA.decrypt() rewrote the capture's cached packets in place.
    with lab.cap.cond:
        raw = [f[2] for f in lab.cap.frames[start:]]
    esp = [p for p in map(Ether, raw) if IPv6 in p and p[IPv6].nh == 50]
    esp = [Ether(bytes(f)) for f in sent] + esp
    ours = [p for p in esp if p[IPv6].src == U]
    assert len(ours) >= 4, lab.cap.summary(since=start)
    pcap = os.path.join(lab.dir, "esp-%s.pcap" % suite)
    wrpcap(pcap, esp)

    out = tshark(pcap, suite, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
                 "-E", "aggregator=;", *sum((["-e", f] for f in FIELDS), []))
    rows = [dict(zip(FIELDS, line.split("|"))) for line in out.splitlines() if line]
    assert len(rows) == len(esp), out
    replies = [r for r in rows if r["ipv6.src"] == U]
    assert len(replies) == len(ours), out
    seqs = []
    for r in replies:
        # decrypted and dissected: an ICMPv6 echo reply (129) with the request's identity
        assert r["esp.spi"] == "0x%08x" % SPI_OUT, r
        assert r["icmpv6.type"] == "129", "tshark did not decrypt to an echo reply: %s" % r
        assert r["icmpv6.echo.identifier"] == "0x0077", r
        assert r["data.data"] == payload.hex(), r
        # the ICV checked by tshark (GCM's tag, or the HMAC) and found good
        assert r["esp.icv_good"] == "1" and r["esp.icv_bad"] == "0", r
        assert not r["_ws.malformed"], r
        seqs.append(int(r["icmpv6.echo.sequence_number"]))
    assert sorted(seqs)[-4:] == [1, 2, 3, 4], out
    # the requests scapy built decrypt too: the SA table given to tshark is the right one
    requests = [r for r in rows if r["ipv6.src"] == K]
    assert requests and all(r["icmpv6.type"] == "128" for r in requests), out

    # no complaint at all in the full dissection of umikamed's packets
    text = tshark(pcap, suite, "-V", "-Y", "ipv6.src == %s" % U)
    for bad in ("Malformed", "Bad]", "incorrect", "Wrong Sequence Number", "Exception"):
        assert bad not in text, "tshark complains (%s):\n%s" % (bad, text[-3000:])
    assert text.count("Internet Control Message Protocol v6") == len(ours), text[-3000:]

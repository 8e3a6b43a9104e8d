"""
test_setkey_scapy.py - `umk setkey` configures umikamed's IPsec with setkey(8)'s own syntax,
and an independent ESP implementation (scapy.layers.ipsec) talks to it through the SAs.

Topology (one namespace per test, built and removed by tests/interop/lab.py's Lab):

    namespace umkPID_N
    +-------------------------------------------------------------------------------+
    |  umikamed -i tap0            <== TAP ==>   tap0 (Linux kernel side)           |
    |  2001:db8:5::1/64                          2001:db8:5::2/64 (holds the peer's  |
    |  SAs + SPD from `umk setkey -f`            address, answers ND; has no ESP)   |
    |                                            scapy: ESP en/decryption with the   |
    |                                            same keys, frames via AF_PACKET     |
    +-------------------------------------------------------------------------------+

scapy encrypts ICMPv6 echo requests from 2001:db8:5::2 and injects them on the kernel side of
the TAP; umikamed must answer with ESP that scapy decrypts. `umk setkey -D` must show the SAs
with their counters; tampered and replayed packets must be dropped and counted in `umk stats`.

Run as root: UMK_BUILD=build-xxx /usr/bin/python3 -m pytest tests/ipsec/test_setkey_scapy.py
"""
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from lab import Lab, UMK, sh  # noqa: E402

from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, ICMPv6EchoReply  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402

U = "2001:db8:5::1"     # umikamed
K = "2001:db8:5::2"     # the kernel side, where scapy speaks from

# Per test: the setkey statements' algorithm part, and the matching scapy SA arguments.
GCM_KEY_IN = bytes(range(1, 21))            # AES-128 key + 4-byte salt (RFC 4106 8.1)
GCM_KEY_OUT = bytes(range(21, 41))
CBC_KEY_IN = bytes(range(0x40, 0x50))
CBC_KEY_OUT = bytes(range(0x50, 0x60))
SHA_KEY_IN = bytes(range(0x80, 0xa0))
SHA_KEY_OUT = bytes(range(0xa0, 0xc0))

SUITES = {
    "aes-gcm": dict(
        e_in="-E aes-gcm-16 0x%s" % GCM_KEY_IN.hex(),
        e_out="-E aes-gcm-16 0x%s" % GCM_KEY_OUT.hex(),
        sa_in=dict(crypt_algo="AES-GCM", crypt_key=GCM_KEY_IN),
        sa_out=dict(crypt_algo="AES-GCM", crypt_key=GCM_KEY_OUT),
        dump_alg="aes-gcm-16"),
    "hmac-sha256+aes-cbc": dict(
        e_in="-E rijndael-cbc 0x%s -A hmac-sha256 0x%s" % (CBC_KEY_IN.hex(), SHA_KEY_IN.hex()),
        e_out="-E aes-cbc 0x%s -A hmac-sha256 0x%s" % (CBC_KEY_OUT.hex(), SHA_KEY_OUT.hex()),
        sa_in=dict(crypt_algo="AES-CBC", crypt_key=CBC_KEY_IN, auth_algo="SHA2-256-128",
                   auth_key=SHA_KEY_IN),
        sa_out=dict(crypt_algo="AES-CBC", crypt_key=CBC_KEY_OUT, auth_algo="SHA2-256-128",
                    auth_key=SHA_KEY_OUT),
        dump_alg="hmac-sha256"),
}

SPI_IN = 0x1000    # K -> U, umikamed decrypts
SPI_OUT = 0x1001   # U -> K, umikamed encrypts


def config(suite):
    s = SUITES[suite]
    return """# setkey(8) syntax, unchanged
flush;
spdflush;
add %(K)s %(U)s esp 0x%(si)x -m transport -r 8 %(e_in)s;
add %(U)s %(K)s esp %(so)d -m transport %(e_out)s;
spdadd %(U)s %(K)s any -P out ipsec esp/transport//require;
spdadd %(K)s %(U)s any -P in ipsec
	esp/transport//require;
""" % dict(K=K, U=U, si=SPI_IN, so=SPI_OUT, e_in=s["e_in"], e_out=s["e_out"])


@pytest.fixture
def lab(request):
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, TAP devices)")
    lb = Lab(request)
    try:
        lb.require_umk()
        lb.umk_run("addr", "add", U + "/64", "dev", lb.ifname, check=True)
        sh(["ip", "-n", lb.ns, "-6", "addr", "add", K + "/64", "dev", lb.ifname, "nodad"])
        # echo requests to a tentative address are not ours yet (RFC 4862 5.4)
        lb.wait_for(lambda: [a for a in lb.addrs("2001:db8:5:")
                             if not set(a.get("flags", [])) & {"tentative", "dadfailed"}],
                    5, "%s to pass DAD" % U)
        yield lb
    finally:
        problems = lb.close()
        assert not problems, "lab teardown: %s" % problems


def setkey(lab, *args, stdin=None, check=True):
    r = sh([UMK, "-s", lab.sock, "setkey"] + list(args), check=False, input=stdin)
    if check and r.returncode != 0:
        raise AssertionError("umk setkey %s failed (rc=%d): %s" %
                             (" ".join(args), r.returncode, r.stderr))
    return r


def apply(lab, suite):
    path = os.path.join(lab.dir, "ipsec.conf")
    with open(path, "w") as f:
        f.write(config(suite))
    setkey(lab, "-f", path)
    s = SUITES[suite]
    theirs_out = SecurityAssociation(ESP, spi=SPI_IN, **s["sa_in"])     # scapy -> umikamed
    theirs_in = SecurityAssociation(ESP, spi=SPI_OUT, **s["sa_out"])    # umikamed -> scapy
    return theirs_out, theirs_in


def stat(lab, words):
    for group in lab.umk("stats").values():
        if isinstance(group, dict):
            for name, value in group.items():
                if words in name:
                    return value
    raise AssertionError("no counter named like %r in umk stats" % words)


def echo(lab, sa_out, ident, seq, payload=b"umikame-esp"):
    p = IPv6(src=K, dst=U, hlim=64) / ICMPv6EchoRequest(id=ident, seq=seq, data=payload)
    return sa_out.encrypt(p)


def wait_esp_reply(lab, sa_in, mark, ident, seq, timeout=3.0):
    def is_ours(p):
        return IPv6 in p and p[IPv6].src == U and p[IPv6].nh == 50 and p[ESP].spi == SPI_OUT
    deadline = time.monotonic() + timeout
    pos = mark
    while time.monotonic() < deadline:
        p = lab.cap.wait(is_ours, since=pos, timeout=max(0.05, deadline - time.monotonic()))
        if p is None:
            return None
        pos = lab.cap.mark()
        dec = sa_in.decrypt(p[IPv6])
        if ICMPv6EchoReply in dec and dec[ICMPv6EchoReply].id == ident and \
                dec[ICMPv6EchoReply].seq == seq:
            return dec
    return None


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_esp_echo_through_setkey_sas(lab, suite):
    sa_out, sa_in = apply(lab, suite)
    # the policies are in, as setkey -DP shows them
    dp = setkey(lab, "-DP").stdout
    assert "%s[any] %s[any] any" % (U, K) in dp and "\tout prio def ipsec" in dp, dp
    assert "esp/transport//require" in dp, dp

    for seq in range(1, 4):
        mark = lab.cap.mark()
        lab.send(echo(lab, sa_out, 0x55, seq))
        dec = wait_esp_reply(lab, sa_in, mark, 0x55, seq)
        assert dec is not None, "no ESP echo reply for seq %d; frames:\n%s\n%s" % (
            seq, lab.cap.summary(since=mark), lab.log_tail())
        assert dec[ICMPv6EchoReply].data == b"umikame-esp"
    # nothing but ESP (and ND) left umikamed toward the peer
    plain = lab.cap.select(lambda p: IPv6 in p and p[IPv6].dst == K and
                           ICMPv6EchoReply in p)
    assert not plain, "echo replies in clear text: %s" % plain

    d = setkey(lab, "-D").stdout
    blocks = {m.group(1): m.group(0) for m in
              re.finditer(r"(\S+ \S+)\n(\t.*\n)+", d)}
    inbound = blocks.get("%s %s" % (K, U))
    assert inbound, d
    assert "spi=%d(0x%08x)" % (SPI_IN, SPI_IN) in inbound
    assert SUITES[suite]["dump_alg"] in inbound
    assert "state=mature" in inbound
    m = re.search(r"allocated: (\d+)", inbound)
    assert m and int(m.group(1)) >= 3, inbound
    m = re.search(r"current: (\d+)\(bytes\)", inbound)
    assert m and int(m.group(1)) > 0, inbound
    outbound = blocks.get("%s %s" % (U, K))
    assert outbound and re.search(r"allocated: ([1-9]\d*)", outbound), d


def test_tampered_and_replayed_dropped(lab):
    sa_out, sa_in = apply(lab, "aes-gcm")
    icv_before = stat(lab, "ICV failed")
    replay_before = stat(lab, "replayed")

    good = echo(lab, sa_out, 0x66, 1)
    mark = lab.cap.mark()
    lab.send(good)
    assert wait_esp_reply(lab, sa_in, mark, 0x66, 1) is not None, lab.log_tail()

    # the same packet again: inside the window and seen (RFC 4303 3.4.3)
    mark = lab.cap.mark()
    lab.send(good)
    # one bit flipped in the ciphertext of a fresh packet: the ICV fails (3.4.4)
    bad = echo(lab, sa_out, 0x66, 2)
    raw = bytearray(bytes(bad))
    raw[40 + 8 + 8 + 4] ^= 0x01          # IPv6 | SPI, seq | IV | ciphertext
    lab.send(IPv6(bytes(raw)))
    assert wait_esp_reply(lab, sa_in, mark, 0x66, 1, timeout=1.0) is None
    assert wait_esp_reply(lab, sa_in, mark, 0x66, 2, timeout=0.5) is None

    assert stat(lab, "ICV failed") == icv_before + 1
    assert stat(lab, "replayed") == replay_before + 1
    # and the SA still works
    mark = lab.cap.mark()
    lab.send(echo(lab, sa_out, 0x66, 3))
    assert wait_esp_reply(lab, sa_in, mark, 0x66, 3) is not None


def test_setkey_cli_errors_and_flush(lab):
    apply(lab, "aes-gcm")
    # a file that does not parse: its line and reason, and nothing of it applied
    path = os.path.join(lab.dir, "bad.conf")
    with open(path, "w") as f:
        f.write("spdflush;\nflush;\nadd %s %s esp 0x2000 -E aes-gcm-16 0x0102;\n" % (K, U))
    r = setkey(lab, "-f", path, check=False)
    assert r.returncode != 0
    assert r.stderr.strip() == "%s:3: aes-gcm-16 takes a key of 160/224/288 bits, not 16" % path
    d = setkey(lab, "-D").stdout
    assert "spi=%d(" % SPI_IN in d, "a refused file flushed the SAD:\n" + d

    # what the daemon refuses is reported by line too (-c reads stdin)
    r = setkey(lab, "-c", stdin="add %s %s esp 0x%x -E aes-gcm-16 0x%s;\n" %
               (K, U, SPI_IN, GCM_KEY_IN.hex()), check=False)
    assert r.returncode == 1 and "(stdin):1: File exists" in r.stderr, r.stderr

    # get, delete, deleteall
    out = setkey(lab, "-c", stdin="get %s %s esp 0x%x;\n" % (K, U, SPI_IN)).stdout
    assert "E: aes-gcm-16  01020304" in out, out
    setkey(lab, "-c", stdin="deleteall %s %s esp;\n" % (K, U))
    d = setkey(lab, "-D").stdout
    assert "spi=%d(" % SPI_IN not in d and "spi=%d(" % SPI_OUT in d, d

    setkey(lab, "-F")
    assert setkey(lab, "-D").stdout.strip() == "No SAD entries."
    setkey(lab, "-FP")
    assert setkey(lab, "-DP").stdout.strip() == "No SPD entries."

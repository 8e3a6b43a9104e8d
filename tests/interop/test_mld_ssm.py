"""
RFC 3678 source filters on a umikame socket, seen by the Linux kernel (RFC 3810 MLDv2).

Topology (fresh lab per test):
    NS: umikamed --TAP-- tap0 --port of-- br0 (Linux bridge: MLDv2 querier with snooping,
        mcast_mld_version 2, so its mdb keeps (S, G) entries from our source records)
        tshark captures on tap0 (the independent dissector reads our reports);
        scapy injects multicast UDP from two sources S1, S2 into tap0.
    root ns: tests/interop/ssm_client.c (built here) drives a UDP socket on umikamed
        through the remote socket API: MCAST_JOIN_SOURCE_GROUP and friends.
"""
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6

from lab import BUILD, PEER_LL, ROOT, norm6

GROUP = "ff3e::4242"
S1 = "2001:db8::1"
S2 = "2001:db8::2"
PORT = 5001

pytestmark = pytest.mark.skipif(os.environ.get("UMK_TARGET", "umikame") != "umikame",
                                reason="drives a umikame socket")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """ssm_client built against this build's library."""
    lib = os.path.join(BUILD, "libumikame.a")
    if not os.path.exists(lib):
        pytest.fail("%s missing (run make)" % lib)
    out = str(tmp_path_factory.mktemp("ssm") / "ssm_client")
    cc = shutil.which("cc") or shutil.which("gcc")
    r = subprocess.run([cc, "-O1", "-I", os.path.join(ROOT, "include"), "-o", out,
                        os.path.join(ROOT, "tests", "interop", "ssm_client.c"), lib,
                        "-lcrypto", "-lz"], capture_output=True, text=True)
    assert r.returncode == 0, "ssm_client did not build:\n" + r.stderr
    return out


def ifindex(lab):
    links = lab.umk("link", "show")
    for l in links:
        if l["ifname"] == lab.ifname:
            return l["ifindex"]
    raise AssertionError("no %s in %r" % (lab.ifname, links))


def run_client(lab, client, *steps):
    p = subprocess.Popen([client, lab.sock, str(ifindex(lab)), GROUP, str(PORT)] +
                         [str(s) for s in steps], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    lab.procs.append(p)
    return p


def wait_line(p, want, timeout=10):
    """Reads p's output until a line equal to `want`; returns every line read."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.strip() == want:
            return lines
    raise AssertionError("ssm_client: no %r in %r (stderr %r)" %
                         (want, lines, p.stderr.read() if p.poll() is not None else ""))


def linux_querier(lab):
    """br0 with tap0 as its port: the kernel's MLDv2 querier and snooping (mdb)."""
    lab.nsexec("ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", "1",
               "mcast_querier", "1", "mcast_mld_version", "2",
               "mcast_startup_query_interval", "100", "mcast_query_response_interval", "100",
               "mcast_query_interval", "500")
    lab.nsexec("ip", "link", "set", lab.ifname, "master", "br0")
    lab.nsexec("ip", "link", "set", "br0", "up")


def mdb_sources(lab):
    """The (S, G) entries the kernel bridge learned from our reports on tap0."""
    r = lab.nsexec("bridge", "-j", "-d", "mdb", "show", "dev", "br0", check=False)
    import json
    try:
        data = json.loads(r.stdout or "[]")
    except ValueError:
        return set()
    out = set()
    for blk in data:
        for e in blk.get("mdb", []):
            if e.get("port") == lab.ifname and norm6(e.get("grp", "::")) == GROUP and \
                    e.get("src"):
                out.add(norm6(e["src"]))
    return out


def start_tshark(lab):
    pcap = os.path.join(lab.dir, "mld.pcap")
    p = lab.popen("tshark", "-q", "-i", lab.ifname, "-f", "ip6", "-w", pcap,
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # tshark says "Capturing on" once the capture is open
    deadline = time.monotonic() + 10
    line = b""
    while time.monotonic() < deadline and b"Capturing" not in line:
        line = p.stderr.readline()
        if not line:
            break
    time.sleep(0.3)
    return p, pcap


def tshark_records(pcap):
    """Every Multicast Address Record tshark decodes in our MLDv2 reports about GROUP, in
    order: (record type, frozenset of sources)."""
    r = subprocess.run(["tshark", "-r", pcap, "-Y", "icmpv6.type == 143", "-T", "pdml"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    recs = []
    for f in ET.fromstring(r.stdout).iter("field"):
        if f.get("name") != "icmpv6.mldr.mar":
            continue
        typ = grp = None
        srcs = set()
        for c in f.iter("field"):
            n = c.get("name")
            if n == "icmpv6.mldr.mar.record_type":
                typ = int(c.get("show"))
            elif n == "icmpv6.mldr.mar.multicast_address":
                grp = norm6(c.get("show"))
            elif n == "icmpv6.mldr.mar.source_address":
                srcs.add(norm6(c.get("show")))
        if grp == GROUP:
            recs.append((typ, frozenset(srcs)))
    return recs


ALLOW, BLOCK, IS_IN, IS_EX, TO_IN, TO_EX = 5, 6, 1, 2, 3, 4


def test_ssm_reports_decoded_by_tshark_and_kernel_querier(lab, client):
    linux_querier(lab)
    tsh, pcap = start_tshark(lab)
    p = run_client(lab, client, "join-src", S1, "join-src", S2, "recv", 3500,
                   "leave-src", S1, "recv", 2500)
    wait_line(p, "ok join-src")
    # the kernel querier asks (General Query every 1 s at startup) and learns (S, G)
    deadline = time.monotonic() + 3
    seen = set()
    while time.monotonic() < deadline and seen != {S1, S2}:
        seen = mdb_sources(lab)
        time.sleep(0.2)
    assert seen == {S1, S2}, "Linux's bridge (MLDv2 querier/snooping) should have learned " \
        "(S1, G) and (S2, G) from our reports, has %s" % sorted(seen)
    wait_line(p, "ok leave-src", timeout=10)
    assert p.wait(10) == 0
    time.sleep(1.5)   # the BLOCK {S2} of the close and its retransmission
    tsh.terminate()
    tsh.wait(10)
    recs = tshark_records(pcap)
    assert recs and recs[0] == (ALLOW, frozenset({S1})), "RFC 3810 6.1: joining (S1, G) " \
        "sends ALLOW_NEW_SOURCES {S1} first; tshark decoded %s" % recs
    # RFC 3810 6.1: each source is told Robustness (2) times; a change while the first is
    # being retransmitted is merged into the next report (ALLOW {S1, S2})
    for s in (S1, S2):
        n = sum(1 for t, srcs in recs if t == ALLOW and s in srcs)
        assert n == 2, "RFC 3810 6.1: ALLOW for %s sent %d times, want 2: %s" % (s, n, recs)
    n = sum(1 for t, srcs in recs if t == BLOCK and S1 in srcs)
    assert n == 2, "RFC 3810 6.1: BLOCK for %s sent %d times, want 2: %s" % (S1, n, recs)
    assert (IS_IN, frozenset({S1, S2})) in recs, "RFC 3810 6.3: the kernel's General Query " \
        "must be answered with MODE_IS_INCLUDE {S1, S2}: %s" % recs
    assert (BLOCK, frozenset({S1})) in recs, "RFC 3810 6.1: leaving (S1, G) sends " \
        "BLOCK_OLD_SOURCES {S1}: %s" % recs
    assert (BLOCK, frozenset({S2})) in recs, "closing the socket leaves (S2, G): %s" % recs
    assert not any(t in (TO_EX, IS_EX) for t, _ in recs), \
        "an INCLUDE-mode listener never reports EXCLUDE: %s" % recs


def udp_from(src, text):
    return IPv6(src=src, dst=GROUP, hlim=5) / UDP(sport=4000, dport=PORT) / text.encode()


def filtered_count(lab):
    st = lab.umk("stats")
    if isinstance(st, dict):
        grp = st.get("mld", {})
        if isinstance(grp, dict):
            return int(grp.get("SocketInDropSourceFiltered", 0))
    for row in st if isinstance(st, list) else []:
        if row.get("name") == "SocketInDropSourceFiltered":
            return int(row.get("value", 0))
    return 0


@pytest.mark.parametrize("mode", ["include", "exclude"])
def test_blocked_source_not_delivered(lab, client, mode):
    steps = ["join-src", S1] if mode == "include" else ["join", "block", S2]
    before = filtered_count(lab)
    p = run_client(lab, client, *steps, "recv", 2500)
    wait_line(p, "ok join-src" if mode == "include" else "ok block")
    time.sleep(0.3)
    lab.send(udp_from(S2, "blocked"))
    lab.send(udp_from(S1, "allowed"))
    out, _ = p.communicate(timeout=10)
    rx = [l for l in out.splitlines() if l.startswith("rx ")]
    assert "rx %s allowed" % S1 in rx, "the datagram from S1 passes the filter (%s): %s" % \
        (mode, rx)
    assert not any(S2 in l for l in rx), "RFC 3678: a datagram from the blocked source S2 " \
        "must not be delivered (%s): %s" % (mode, rx)
    assert filtered_count(lab) >= before + 1, "the refused datagram is counted " \
        "(mld SocketInDropSourceFiltered)"


def test_remote_getsourcefilter(lab, client):
    """umk_getsourcefilter through the remote socket API: the group travels in the request
    (RFC 3678 5.2.1 getsourcefilter), the filter comes back with its mode and sources."""
    p = run_client(lab, client, "join-src", S1, "join-src", S2, "filter",
                   "leave", "join", "block", S1, "filter")
    out, err = p.communicate(timeout=10)
    got = [l.split() for l in out.splitlines() if l.startswith("filter") or
           l.startswith("err filter")]
    assert len(got) == 2, "two filter reads expected: %r (stderr %r)" % (out, err)
    inc = got[0]
    assert inc[:3] == ["filter", "1", "2"] and {norm6(a) for a in inc[3:]} == {S1, S2}, \
        "INCLUDE {S1, S2} after two source joins: %r" % inc
    exc = got[1]
    assert exc[:3] == ["filter", "0", "1"] and [norm6(a) for a in exc[3:]] == [S1], \
        "EXCLUDE {S1} after join and block S1: %r" % exc

"""
TCP interop with the Linux kernel as the peer.

Topology (two namespaces per test module, removed at the end):

    netns umktcp-<pid>:  Linux kernel  2001:db8:7::1/64  tcptap0 (TAP, kernel side)
                                                            |
    umikamed -i tcptap0 (run inside the namespace)  2001:db8:7::2/64
    control socket /tmp/umktcp-<pid>.sock, used by `umk nc` from the host

    netns umktcpO-<pid>: the same with umikamed -O (no TAP offloads) on tcptap1,
    control socket /tmp/umktcpO-<pid>.sock

Tests: Linux listens and we connect (umk nc), we listen and Linux connects, 20 MB each way
verified by SHA-256 (UMK_TCP_BIG=200 for 200 MB), and `ss -ti` on the Linux side shows SACK,
window scaling and timestamps negotiated (ss -tien). umikamed uses the TAP offloads by default:
sending, its tap's TxGsoFrames and TCP's OutSuperSegments move; receiving, RxGsoFrames does
(Linux hands the TAP super-segments). With -O, UMK_TCP_NOOFL (default 50) MB each way, and
every one of those counters stays 0. Run as root: /usr/bin/python3 -m pytest tests/tcp
(UMK_BUILD selects the build directory, default build).
"""
import hashlib
import os
import shutil
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from tcp_peer import (LINUX_SINK, LINUX_SOURCE, OFFLOAD_ROWS, check_ss,  # noqa: E402
                      counters_delta, offload_counters, payload)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("UMK_BUILD", "build"))
UMK = os.path.join(BUILD, "bin", "umk")
UMIKAMED = os.path.join(BUILD, "bin", "umikamed")
LINUX = "2001:db8:7::1"
US = "2001:db8:7::2"
MB = int(os.environ.get("UMK_TCP_BIG", "20"))
MB_NOOFL = int(os.environ.get("UMK_TCP_NOOFL", "50"))


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


class Lab:
    """One namespace with a TAP and umikamed on it: ns, tap, sock, dir (payloads)."""

    def __init__(self, ns, tap, sock, path):
        self.ns, self.tap, self.sock, self.dir = ns, tap, sock, path

    def nsx(self, *args):
        return ["ip", "netns", "exec", self.ns] + list(args)

    def offloads(self):
        return offload_counters(UMK, self.sock, self.tap)


def start_lab(tmp_path_factory, ns, tap, sock, *flags):
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, TAP)")
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    sh("ip", "netns", "add", ns)
    lab = Lab(ns, tap, sock, tmp_path_factory.mktemp("data"))
    log = open(str(tmp_path_factory.mktemp("tcp") / "umikamed.log"), "w")
    d = subprocess.Popen(lab.nsx(UMIKAMED, "-f", *flags, "-i", tap, "-s", sock),
                         stdout=log, stderr=log)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        sh(*lab.nsx("ip", "link", "set", "lo", "up"))
        sh(*lab.nsx("ip", "-6", "addr", "add", LINUX + "/64", "dev", tap, "nodad"))
        sh(*lab.nsx("ip", "link", "set", tap, "up"))
        sh(UMK, "-s", sock, "addr", "add", US + "/64", "dev", tap)
        for _ in range(50):   # DAD of our address
            if subprocess.run(lab.nsx("ping", "-6", "-c1", "-W1", US),
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        yield lab
    finally:
        d.terminate()
        d.wait(10)
        log.close()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if os.path.exists(sock):
            os.unlink(sock)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    yield from start_lab(tmp_path_factory, "umktcp-%d" % os.getpid(), "tcptap0",
                         "/tmp/umktcp-%d.sock" % os.getpid())


@pytest.fixture(scope="module")
def lab_noofl(tmp_path_factory):
    yield from start_lab(tmp_path_factory, "umktcpO-%d" % os.getpid(), "tcptap1",
                         "/tmp/umktcpO-%d.sock" % os.getpid(), "-O")


class Capture:
    """tcpdump -v of the first segments on the TAP (the handshake, options decoded)."""

    def __init__(self, lab, port):
        self.p = subprocess.Popen(lab.nsx("tcpdump", "-l", "-n", "-v", "-i", lab.tap, "-c", "3",
                                          "tcp port %d" % port),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)

    def handshake(self):
        try:
            out, _ = self.p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        return out


def check_handshake(out):
    syns = [l for l in out.splitlines() if "Flags [S" in l]
    assert len(syns) == 2, out
    for l in syns:   # SYN and SYN-ACK both offer SACK, timestamps and window scaling
        assert "sackOK" in l and "TS val" in l and "wscale" in l, l


def we_send(lab, mb, port):
    """umk nc connects to Linux's sink and sends mb MB; returns the offload counters' change."""
    path, digest = payload(lab.dir, mb)
    cap = Capture(lab, port) if shutil.which("tcpdump") else None
    sink = subprocess.Popen(lab.nsx("/usr/bin/python3", "-c", LINUX_SINK, str(port)),
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "listening"
    c0 = lab.offloads()
    t0 = time.time()
    with open(path, "rb") as f:
        r = subprocess.run([UMK, "-s", lab.sock, "nc", LINUX, str(port)], stdin=f,
                           capture_output=True, timeout=300)
    dt = time.time() - t0
    out, _ = sink.communicate(timeout=60)
    assert r.returncode == 0, r.stderr
    n, got = out.split("\n", 1)[0].split()
    assert int(n) == mb << 20 and got == digest
    check_ss(out)
    if cap:
        check_handshake(cap.handshake())
    d = counters_delta(c0, lab.offloads())
    print("umikamed -> Linux: %d MB in %.2f s (%.1f MB/s), %s" % (mb, dt, mb / dt, d))
    return d


def we_receive(lab, mb, port):
    """Linux connects to umk nc -l and sends mb MB; returns the offload counters' change."""
    path, digest = payload(lab.dir, mb)
    outp = os.path.join(str(lab.dir), "received")
    with open(outp, "wb") as o:
        cap = Capture(lab, port) if shutil.which("tcpdump") else None
        nc = subprocess.Popen([UMK, "-s", lab.sock, "nc", "-l", str(port)], stdout=o,
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        c0 = lab.offloads()
        t0 = time.time()
        src = subprocess.run(lab.nsx("/usr/bin/python3", "-c", LINUX_SOURCE, US, str(port), path),
                             capture_output=True, text=True, timeout=300)
        dt = time.time() - t0
        nc.wait(60)
    assert src.returncode == 0, src.stderr
    assert nc.returncode == 0, nc.stderr.read()
    with open(outp, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest
    os.unlink(outp)
    check_ss(src.stdout)
    if cap:
        check_handshake(cap.handshake())
    d = counters_delta(c0, lab.offloads())
    print("Linux -> umikamed: %d MB in %.2f s (%.1f MB/s), %s" % (mb, dt, mb / dt, d))
    return d


def test_we_connect_linux_listens(lab):
    d = we_send(lab, MB, 5001)
    # the TAP took super-segments from us, which TCP built (the kernel cuts them for Linux)
    assert d["TxGsoFrames"] > 0 and d["OutSuperSegments"] > 0, d


def test_linux_connects_we_listen(lab):
    d = we_receive(lab, MB, 5002)
    # Linux's TCP sent super-segments to the TAP, which handed them over uncut
    assert d["RxGsoFrames"] > 0 and d["RxOffloadRefused"] == 0, d


def test_no_offloads_both_ways(lab_noofl):
    """umikamed -O: no virtio-net header, so no super-segment or partial checksum either way."""
    assert lab_noofl.offloads()["Offloads"] == 0
    for d in (we_send(lab_noofl, MB_NOOFL, 5003), we_receive(lab_noofl, MB_NOOFL, 5004)):
        assert all(d[k] == 0 for k in OFFLOAD_ROWS + ("OutSuperSegments",)), d
    c = lab_noofl.offloads()
    assert all(c[k] == 0 for k in OFFLOAD_ROWS + ("OutSuperSegments",)), c


def test_connect_refused(lab):
    r = subprocess.run([UMK, "-s", lab.sock, "nc", LINUX, "5999"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "refused" in r.stderr.lower(), r.stderr


@pytest.mark.skipif(not shutil.which("nft"), reason="nft is not installed in this lab")
def test_one_percent_loss(lab):
    """1 % random drops of what Linux receives (nftables numgen)."""
    sh(*lab.nsx("nft", "add", "table", "inet", "t"))
    sh(*lab.nsx("nft", "add", "chain", "inet", "t", "c",
                "{ type filter hook input priority 0; }"))
    sh(*lab.nsx("nft", "add", "rule", "inet", "t", "c", "meta", "l4proto", "tcp", "numgen",
                "random", "mod", "100", "<", "1", "drop"))
    try:
        test_we_connect_linux_listens(lab)
    finally:
        subprocess.run(lab.nsx("nft", "delete", "table", "inet", "t"), capture_output=True)

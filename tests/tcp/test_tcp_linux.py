"""
TCP interop with the Linux kernel as the peer.

Topology (one namespace per test module, removed at the end):

    netns umktcp-<pid>:  Linux kernel  2001:db8:7::1/64  tcptap0 (TAP, kernel side)
                                                            |
    umikamed -i tcptap0 (run inside the namespace)  2001:db8:7::2/64
    control socket /tmp/umktcp-<pid>.sock, used by `umk nc` from the host

Tests: Linux listens and we connect (umk nc), we listen and Linux connects, 20 MB each way
verified by SHA-256 (UMK_TCP_BIG=200 for 200 MB), and `ss -ti` on the Linux side shows SACK,
window scaling and timestamps negotiated (ss -tien). Run as root: /usr/bin/python3 -m pytest tests/tcp
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
from tcp_peer import LINUX_SINK, LINUX_SOURCE, check_ss, payload  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("UMK_BUILD", "build"))
UMK = os.path.join(BUILD, "bin", "umk")
UMIKAMED = os.path.join(BUILD, "bin", "umikamed")
NS = "umktcp-%d" % os.getpid()
SOCK = "/tmp/umktcp-%d.sock" % os.getpid()
TAP = "tcptap0"
LINUX = "2001:db8:7::1"
US = "2001:db8:7::2"
MB = int(os.environ.get("UMK_TCP_BIG", "20"))


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


def nsx(*args):
    return ["ip", "netns", "exec", NS] + list(args)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, TAP)")
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    sh("ip", "netns", "add", NS)
    log = open(str(tmp_path_factory.mktemp("tcp") / "umikamed.log"), "w")
    d = subprocess.Popen(nsx(UMIKAMED, "-f", "-i", TAP, "-s", SOCK), stdout=log, stderr=log)
    try:
        for _ in range(100):
            if os.path.exists(SOCK):
                break
            time.sleep(0.05)
        sh(*nsx("ip", "link", "set", "lo", "up"))
        sh(*nsx("ip", "-6", "addr", "add", LINUX + "/64", "dev", TAP, "nodad"))
        sh(*nsx("ip", "link", "set", TAP, "up"))
        sh(UMK, "-s", SOCK, "addr", "add", US + "/64", "dev", TAP)
        for _ in range(50):   # DAD of our address
            if subprocess.run(nsx("ping", "-6", "-c1", "-W1", US), capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        yield tmp_path_factory.mktemp("data")
    finally:
        d.terminate()
        d.wait(10)
        log.close()
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        if os.path.exists(SOCK):
            os.unlink(SOCK)


class Capture:
    """tcpdump -v of the first segments on the TAP (the handshake, options decoded)."""

    def __init__(self, port):
        self.p = subprocess.Popen(nsx("tcpdump", "-l", "-n", "-v", "-i", TAP, "-c", "3",
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


def test_we_connect_linux_listens(lab):
    path, digest = payload(lab, MB)
    cap = Capture(5001) if shutil.which("tcpdump") else None
    sink = subprocess.Popen(nsx("/usr/bin/python3", "-c", LINUX_SINK, "5001"),
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "listening"
    t0 = time.time()
    with open(path, "rb") as f:
        r = subprocess.run([UMK, "-s", SOCK, "nc", LINUX, "5001"], stdin=f,
                           capture_output=True, timeout=300)
    dt = time.time() - t0
    out, _ = sink.communicate(timeout=60)
    assert r.returncode == 0, r.stderr
    n, got = out.split("\n", 1)[0].split()
    assert int(n) == MB << 20 and got == digest
    check_ss(out)
    if cap:
        check_handshake(cap.handshake())
    print("umikamed -> Linux: %d MB in %.2f s (%.1f MB/s)" % (MB, dt, MB / dt))


def test_linux_connects_we_listen(lab):
    path, digest = payload(lab, MB)
    outp = os.path.join(str(lab), "received")
    with open(outp, "wb") as o:
        cap = Capture(5002) if shutil.which("tcpdump") else None
        nc = subprocess.Popen([UMK, "-s", SOCK, "nc", "-l", "5002"], stdout=o,
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        t0 = time.time()
        src = subprocess.run(nsx("/usr/bin/python3", "-c", LINUX_SOURCE, US, "5002", path),
                             capture_output=True, text=True, timeout=300)
        dt = time.time() - t0
        nc.wait(60)
    assert src.returncode == 0, src.stderr
    assert nc.returncode == 0, nc.stderr.read()
    with open(outp, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest
    check_ss(src.stdout)
    if cap:
        check_handshake(cap.handshake())
    print("Linux -> umikamed: %d MB in %.2f s (%.1f MB/s)" % (MB, dt, MB / dt))


def test_connect_refused(lab):
    r = subprocess.run([UMK, "-s", SOCK, "nc", LINUX, "5999"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "refused" in r.stderr.lower(), r.stderr


@pytest.mark.skipif(not shutil.which("nft"), reason="nft is not installed in this lab")
def test_one_percent_loss(lab):
    """1 % random drops of what Linux receives (nftables numgen)."""
    sh(*nsx("nft", "add", "table", "inet", "t"))
    sh(*nsx("nft", "add", "chain", "inet", "t", "c", "{ type filter hook input priority 0; }"))
    sh(*nsx("nft", "add", "rule", "inet", "t", "c", "meta", "l4proto", "tcp", "numgen",
            "random", "mod", "100", "<", "1", "drop"))
    try:
        test_we_connect_linux_listens(lab)
    finally:
        subprocess.run(nsx("nft", "delete", "table", "inet", "t"), capture_output=True)

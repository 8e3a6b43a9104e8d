"""
tcp_peer.py - what the TCP interop tests share (test_tcp_linux.py, test_tcp_impaired.py):
random payload files with their SHA-256, the Linux end of a transfer (a sink that hashes
what arrives and a source that sends a file, both reading `ss -tien` while the connection
is up), the check of Linux's view of the negotiated options, and umikamed's offload
counters (the TAP's virtio-net header rows and TCP's OutSuperSegments, from `umk -j stats`).
"""
import hashlib
import json
import os
import subprocess


def payload(dirpath, mb):
    p = os.path.join(str(dirpath), "payload-%d" % mb)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            for _ in range(mb):
                f.write(os.urandom(1 << 20))
    with open(p, "rb") as f:
        return p, hashlib.sha256(f.read()).hexdigest()


LINUX_SINK = r"""
import hashlib, socket, subprocess, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(1)
print("listening", flush=True)
c, a = s.accept()
h = hashlib.sha256(); n = 0; ss = ""
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    if not ss and n > (1 << 20):
        ss = subprocess.run(["ss", "-tien"], capture_output=True, text=True).stdout
    h.update(d); n += len(d)
c.close()
print(n, h.hexdigest())
print(ss)
"""

LINUX_SOURCE = r"""
import socket, subprocess, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
with open(sys.argv[3], "rb") as f:
    d = f.read()
half = len(d) // 2
s.sendall(d[:half])
print(subprocess.run(["ss", "-tien"], capture_output=True, text=True).stdout)
s.sendall(d[half:])
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
"""


def check_ss(out):
    # iproute2 6.1 prints the "ts" and "sack" flags only with -e (ss -ti shows wscale alone,
    # even Linux to Linux), hence ss -tien; the handshake capture checks the options too
    line = next((l for l in out.splitlines() if "wscale:" in l), None)
    assert line, out
    assert "ts" in line.split() and "sack" in line.split(), line


def umk_stats(umk, sock):
    """umikamed's counters (`umk -j stats`): {group: {name: value}}, taps as "tap NAME"."""
    r = subprocess.run([umk, "-s", sock, "-j", "stats"], check=True, capture_output=True,
                       text=True)
    return json.loads(r.stdout)


# the counters that show TAP offloads at work: the tap's rows and TCP's super-segments
OFFLOAD_ROWS = ("RxGsoFrames", "RxCsumPartial", "TxGsoFrames", "TxCsumPartial")


def offload_counters(umk, sock, tap):
    st = umk_stats(umk, sock)
    c = {k: st["tap " + tap][k] for k in OFFLOAD_ROWS + ("Offloads", "RxOffloadRefused")}
    c["OutSuperSegments"] = st["tcp"]["OutSuperSegments"]
    return c


def counters_delta(before, after):
    """What moved between two offload_counters (Offloads, a setting, left out)."""
    return {k: after[k] - before[k] for k in after if k != "Offloads"}

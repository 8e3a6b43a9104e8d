"""
lab.py - the interop lab: network namespaces, umikamed on a TAP inside one, a raw-socket
capture/injector on the kernel side of that TAP, and helpers to ask umk for JSON.

Topology of a default Lab (UMK_TARGET=umikame, the default):

    namespace NS (unique per lab)
    +------------------------------------------------------------+
    |  umikamed -i tap0  <==TAP fd==>  tap0 (Linux kernel side)   |
    |                                   |                         |
    |           Linux kernel IPv6 (a peer: ping, ndisc6, radvd)   |
    |           Capture: AF_PACKET socket on tap0 (scapy probes,  |
    |                    fake peers answering ND for themselves)   |
    +------------------------------------------------------------+

With UMK_TARGET=linux the target is the Linux kernel instead: tap0 is one end of a veth pair
whose other end (eth0) is in a second namespace NS-t. The scapy probes then run unchanged
against Linux, which is how their expectations were checked; tests needing umk skip.

The pytest process stays in the root namespace: sockets are created inside NS by entering it
briefly (setns) on the calling thread, and commands run through `ip netns exec`.
"""
import contextlib
import ctypes
import itertools
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
from scapy.all import conf as scapy_conf
from scapy.layers.l2 import Ether
from scapy.layers.inet6 import (IPv6, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr,
                                in6_getnsma)
from scapy.utils6 import in6_ismaddr
from scapy.pton_ntop import inet_pton

scapy_conf.verb = 0

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("UMK_BUILD", "build"))
UMIKAMED = os.path.join(BUILD, "bin", "umikamed")
UMK = os.path.join(BUILD, "bin", "umk")
TARGET = os.environ.get("UMK_TARGET", "umikame")
LOGROOT = os.environ.get("UMK_LAB_LOGS", os.path.join(ROOT, "build", "test-logs", "interop"))

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
CLONE_NEWNET = 0x40000000

# The scapy-driven fake neighbours on the link (locally administered MACs).
PEER_MAC = "02:00:5e:10:00:01"
PEER_LL = "fe80::5e:10ff:fe00:1"
ROUTER_MAC = "02:00:5e:10:00:02"
ROUTER_LL = "fe80::5e:10ff:fe00:2"
ROUTER2_MAC = "02:00:5e:10:00:03"
ROUTER2_LL = "fe80::5e:10ff:fe00:3"

_libc = ctypes.CDLL(None, use_errno=True)
_counter = itertools.count(1)


def sh(cmd, check=True, timeout=30, **kw):
    """Runs a command (list; numbers are turned into strings), returns CompletedProcess
    with text output."""
    cmd = [str(c) for c in cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("command failed (rc=%d): %s\nstdout: %s\nstderr: %s" %
                             (r.returncode, " ".join(cmd), r.stdout[-2000:], r.stderr[-2000:]))
    return r


def nsx(ns, *cmd, check=True, timeout=30):
    """sh() inside network namespace ns."""
    return sh(["ip", "netns", "exec", ns] + list(cmd), check=check, timeout=timeout)


def wait_for(fn, timeout=20.0, step=0.2):
    """Calls fn until it returns something true (returned) or timeout seconds pass (then
    fn's last answer)."""
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


@contextlib.contextmanager
def in_netns(name):
    """Enters network namespace `name` on this thread, and goes back afterwards."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    fd = os.open("/run/netns/%s" % name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns(%s)" % name)
        yield
    finally:
        _libc.setns(own, CLONE_NEWNET)
        os.close(fd)
        os.close(own)


def mcast_mac(addr):
    """RFC 2464 7: 33:33 + the low 32 bits of the IPv6 multicast address."""
    b = inet_pton(socket.AF_INET6, addr)
    return "33:33:" + ":".join("%02x" % x for x in b[12:])


def solicited_node(addr):
    return socket.inet_ntop(socket.AF_INET6, in6_getnsma(inet_pton(socket.AF_INET6, addr)))


def norm6(addr):
    return socket.inet_ntop(socket.AF_INET6, inet_pton(socket.AF_INET6, addr.split("%")[0]))


def eui64_ll(mac):
    b = [int(x, 16) for x in mac.split(":")]
    b[0] ^= 2
    iid = bytes(b[:3] + [0xff, 0xfe] + b[3:])
    return socket.inet_ntop(socket.AF_INET6, bytes([0xfe, 0x80] + [0] * 6) + iid)


class Capture:
    """Every frame seen on the kernel side of a link, with a send() for injecting frames.

    `incoming` frames are those the far end (umikamed, or the Linux target) put on the link;
    frames the namespace's own kernel sends are `outgoing`. Hooks run on the capture thread
    for incoming IPv6 frames (used by the fake neighbours to answer ND at once)."""

    def __init__(self, ns, ifname):
        with in_netns(ns):
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
            self.sock.bind((ifname, ETH_P_ALL))
        self.frames = []          # (time, outgoing, raw bytes)
        self.parsed = {}
        self.cond = threading.Condition()
        self.hooks = []
        self.hook_errors = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            r, _, _ = select.select([self.sock], [], [], 0.1)
            if not r:
                continue
            try:
                data, addr = self.sock.recvfrom(65536)
            except OSError:
                continue
            out = addr[2] == PACKET_OUTGOING
            with self.cond:
                self.frames.append((time.monotonic(), out, data))
                idx = len(self.frames) - 1
                self.cond.notify_all()
            if not out and self.hooks and len(data) > 54 and data[12:14] == b"\x86\xdd":
                pkt = self.pkt(idx)
                for h in list(self.hooks):
                    try:
                        h(self, pkt)
                    except Exception as e:  # reported by the lab at teardown
                        self.hook_errors.append(repr(e))

    def stop(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()

    def send(self, frame):
        self.sock.send(bytes(frame))

    def mark(self):
        with self.cond:
            return len(self.frames)

    def pkt(self, i):
        p = self.parsed.get(i)
        if p is None:
            p = Ether(self.frames[i][2])
            p.time = self.frames[i][0]
            self.parsed[i] = p
        return p

    def select(self, pred, since=0, incoming=True, outgoing=False):
        """Every frame from `since` on satisfying pred (scapy packet -> bool)."""
        res = []
        with self.cond:
            n = len(self.frames)
        for i in range(since, n):
            out = self.frames[i][1]
            if (out and not outgoing) or (not out and not incoming):
                continue
            p = self.pkt(i)
            try:
                ok = pred(p)
            except (AttributeError, IndexError, TypeError):
                ok = False
            if ok:
                res.append(p)
        return res

    def wait(self, pred, since=0, timeout=3.0, incoming=True, outgoing=False):
        """The first frame from `since` on satisfying pred, waiting up to timeout; or None."""
        deadline = time.monotonic() + timeout
        pos = since
        while True:
            with self.cond:
                n = len(self.frames)
            for i in range(pos, n):
                out = self.frames[i][1]
                if (out and not outgoing) or (not out and not incoming):
                    continue
                p = self.pkt(i)
                try:
                    if pred(p):
                        return p
                except (AttributeError, IndexError, TypeError):
                    pass
            pos = n
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            with self.cond:
                if len(self.frames) == pos:
                    self.cond.wait(min(left, 0.2))

    def count_after(self, pred, since, seconds, **kw):
        time.sleep(seconds)
        return self.select(pred, since, **kw)

    def summary(self, since=0, limit=40):
        lines = []
        with self.cond:
            n = len(self.frames)
        for i in range(max(since, n - limit), n):
            lines.append("%s %s" % ("->" if self.frames[i][1] else "<-", self.pkt(i).summary()))
        return "\n".join(lines)


class FakeNeighbors:
    """Answers Neighbor Solicitations for addresses we pretend to own (RFC 4861 7.2.4)."""

    def __init__(self):
        self.addrs = {}           # address -> (mac, is_router)

    def add(self, addr, mac, router=False):
        self.addrs[norm6(addr)] = (mac, router)

    def __call__(self, cap, p):
        if IPv6 not in p or ICMPv6ND_NS not in p:
            return
        tgt = norm6(p[ICMPv6ND_NS].tgt)
        if tgt not in self.addrs:
            return
        mac, router = self.addrs[tgt]
        src = p[IPv6].src
        if src == "::":
            return                 # a DAD probe: leave it to tests that want a collision
        na = (Ether(src=mac, dst=p[Ether].src) /
              IPv6(src=tgt, dst=src, hlim=255) /
              ICMPv6ND_NA(tgt=tgt, R=int(router), S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac))
        cap.send(na)


class Lab:
    """One namespace with umikamed (or the Linux target) on tap0. See the module docstring."""

    def __init__(self, request=None, create_tap=False, config=None, capture=True,
                 wait_ready=True, ifname="tap0", hooks=()):
        self.id = next(_counter)
        self.ns = "umk%d_%d" % (os.getpid(), self.id)
        self.ifname = ifname
        self.dir = tempfile.mkdtemp(prefix="umk-lab-")
        self.sock = os.path.join(self.dir, "umikamed.sock")
        self.procs = []
        self.daemon = None
        self.cap = None
        self.neighbors = FakeNeighbors()
        self.neighbors.add(PEER_LL, PEER_MAC)
        self.target = TARGET
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name if request else self.ns)
        os.makedirs(LOGROOT, exist_ok=True)
        self.logpath = os.path.join(LOGROOT, "%s.umikamed.log" % name[:120])
        self.ns_created = []
        self.first_hooks = list(hooks)   # capture hooks from the first frame on (DAD tests)
        try:
            self._setup(create_tap, config, capture, wait_ready)
        except BaseException:
            self.close()
            raise

    # ---- namespace helpers ----------------------------------------------------------

    def nsexec(self, *cmd, check=True, timeout=30, ns=None):
        return sh(["ip", "netns", "exec", ns or self.ns] + [str(c) for c in cmd],
                  check=check, timeout=timeout)

    def popen(self, *cmd, ns=None, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns or self.ns] + [str(c) for c in cmd],
                             **kw)
        self.procs.append(p)
        return p

    def sysctl(self, *settings, ns=None):
        self.nsexec("sysctl", "-q", "-w", *settings, ns=ns)

    def _mkns(self, name):
        sh(["ip", "netns", "add", name])
        self.ns_created.append(name)
        sh(["ip", "-n", name, "link", "set", "lo", "up"])
        self.sysctl("net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
                    # the kernel peer's own addresses are usable at once
                    "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                    "net.ipv6.conf.default.optimistic_dad=0",
                    # the kernel must not rate-limit the errors the probes look at
                    "net.ipv6.icmp.ratelimit=0", ns=name)

    def _setup(self, create_tap, config, capture, wait_ready):
        self._mkns(self.ns)
        if self.target == "linux":
            self.tns = self.ns + "t"
            self._mkns(self.tns)
            # the target does DAD like any host (only the lab side skips it)
            self.sysctl("net.ipv6.conf.all.accept_dad=1", "net.ipv6.conf.default.accept_dad=1",
                        ns=self.tns)
            sh(["ip", "-n", self.ns, "link", "add", self.ifname, "type", "veth", "peer",
                "name", "eth0", "netns", self.tns])
            sh(["ip", "-n", self.ns, "link", "set", self.ifname, "up"])
            if capture:
                self.cap = Capture(self.ns, self.ifname)
                self.cap.hooks.append(self.neighbors)
                self.cap.hooks.extend(self.first_hooks)
            sh(["ip", "-n", self.tns, "link", "set", "eth0", "up"])
            self.wait_linux_ll()
            self.wait_target_ll_linux()
            return
        if not os.access(UMIKAMED, os.X_OK):
            pytest.fail("umikamed not built: %s missing (run make)" % UMIKAMED)
        if not create_tap:
            # A persistent TAP made beforehand, so the capture sees umikamed's very first
            # frames (DAD, MLD, RS). umikamed attaches to it (issue 2: -i attaches).
            sh(["ip", "-n", self.ns, "tuntap", "add", "dev", self.ifname, "mode", "tap"])
            sh(["ip", "-n", self.ns, "link", "set", self.ifname, "up"])
            if capture:
                self.cap = Capture(self.ns, self.ifname)
                self.cap.hooks.append(self.neighbors)
                self.cap.hooks.extend(self.first_hooks)
        self.boot_mark = 0
        self.start_daemon(config)
        if create_tap:
            self.wait_kernel_if()
            if capture:
                self.cap = Capture(self.ns, self.ifname)
                self.cap.hooks.append(self.neighbors)
                self.cap.hooks.extend(self.first_hooks)
        self.wait_linux_ll()
        if wait_ready:
            self.wait_ready()

    def start_daemon(self, config=None, extra=()):
        args = [UMIKAMED, "-f", "-i", self.ifname, "-s", self.sock]
        if config is not None:
            cfg = os.path.join(self.dir, "umikamed.conf")
            with open(cfg, "w") as f:
                f.write(config)
            args += ["-c", cfg]
        args += list(extra)
        self.log = open(self.logpath, "ab")
        self.log.write(("\n=== %s: %s\n" % (time.strftime("%T"), " ".join(args))).encode())
        self.log.flush()
        self.daemon = self.popen(*args, stdin=subprocess.DEVNULL, stdout=self.log,
                                 stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                pytest.fail("umikamed exited at start (rc=%s):\n%s" %
                            (self.daemon.returncode, self.log_tail()))
            if os.path.exists(self.sock):
                r = sh([UMK, "-s", self.sock, "-j", "link", "show"], check=False, timeout=5)
                if r.returncode == 0:
                    return
            time.sleep(0.05)
        pytest.fail("umikamed: control socket %s not answering after 10 s:\n%s" %
                    (self.sock, self.log_tail()))

    def log_tail(self, n=40):
        try:
            with open(self.logpath, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return "(no log)"

    def wait_kernel_if(self, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = sh(["ip", "-n", self.ns, "-j", "link", "show", "dev", self.ifname], check=False)
            if r.returncode == 0:
                return json.loads(r.stdout)[0]
            time.sleep(0.05)
        pytest.fail("%s never appeared in the namespace" % self.ifname)

    def wait_linux_ll(self, timeout=5):
        """The kernel side's link-local address and MAC (the Linux peer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = json.loads(sh(["ip", "-n", self.ns, "-j", "addr", "show", "dev",
                                  self.ifname]).stdout)[0]
            for a in info.get("addr_info", []):
                if a.get("family") == "inet6" and a["local"].startswith("fe80:") \
                        and "tentative" not in a:
                    self.linux_ll = a["local"]
                    self.linux_mac = info["address"]
                    return
            time.sleep(0.05)
        pytest.fail("the kernel side of %s has no link-local address" % self.ifname)

    def wait_target_ll_linux(self):
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            info = json.loads(sh(["ip", "-n", self.tns, "-j", "addr", "show", "dev",
                                  "eth0"]).stdout)[0]
            for a in info.get("addr_info", []):
                if a.get("family") == "inet6" and a["local"].startswith("fe80:") \
                        and "tentative" not in a:
                    self.ll = a["local"]
                    self.mac = info["address"]
                    return
            time.sleep(0.05)
        pytest.fail("Linux target has no link-local address")

    def wait_ready(self, timeout=10):
        """Waits for umikamed's link-local address to leave DAD; fills self.ll and self.mac."""
        deadline = time.monotonic() + timeout
        addrs = []
        while time.monotonic() < deadline:
            self.check_alive()
            links = self.umk("link", "show")
            addrs = self.umk("addr", "show")
            for a in addrs:
                if a.get("ifname") == self.ifname and a["address"].startswith("fe80:") and \
                        not set(a.get("flags", [])) & {"tentative", "dadfailed"}:
                    self.ll = norm6(a["address"])
                    self.mac = [l for l in links if l["ifname"] == self.ifname][0]["lladdr"]
                    return
            time.sleep(0.1)
        pytest.fail("umikamed: no usable link-local address on %s after %d s; addr show: %s\n%s"
                    % (self.ifname, timeout, json.dumps(addrs), self.log_tail()))

    def check_alive(self):
        if self.daemon is not None and self.daemon.poll() is not None:
            pytest.fail("umikamed died (rc=%s):\n%s" % (self.daemon.returncode, self.log_tail()))

    # ---- umk ------------------------------------------------------------------------

    def require_umk(self):
        if self.target != "umikame":
            pytest.skip("needs umikamed (UMK_TARGET=%s)" % self.target)

    def umk_run(self, *args, timeout=20, check=False):
        self.require_umk()
        return sh([UMK, "-s", self.sock] + [str(a) for a in args], check=check, timeout=timeout)

    def umk(self, *args, timeout=20):
        """`umk -j ARGS`, parsed. Fails the test with umk's message if it fails."""
        self.require_umk()
        r = sh([UMK, "-s", self.sock, "-j"] + [str(a) for a in args], check=False,
               timeout=timeout)
        if r.returncode != 0:
            raise AssertionError("umk -j %s failed (rc=%d): %s" %
                                 (" ".join(map(str, args)), r.returncode, r.stderr.strip()))
        try:
            return json.loads(r.stdout) if r.stdout.strip() else None
        except ValueError as e:
            raise AssertionError("umk -j %s printed invalid JSON (%s): %r" %
                                 (" ".join(map(str, args)), e, r.stdout[:500]))

    def conf(self, scope=None):
        """`umk conf show [IF|global]` as {key: int}. Accepts {key: value} or a list of
        {"key"|"name", "value"} rows (the issue fixes only the keys)."""
        scope = scope or self.ifname
        return conf_dict(self.umk("conf", "show", scope), scope)

    def conf_set(self, scope, key, value):
        self.umk_run("conf", "set", scope, key, value, check=True)

    def addrs(self, prefix=None):
        a = [x for x in self.umk("addr", "show") if x.get("ifname") == self.ifname]
        if prefix:
            a = [x for x in a if norm6(x["address"]).startswith(prefix)]
        return a

    def routes(self):
        return self.umk("route", "show")

    def neighs(self):
        return self.umk("neigh", "show")

    def wait_for(self, fn, timeout, what, interval=0.1):
        """Polls fn() until it returns something true; fails with `what` and the last value."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            last = fn()
            if last:
                return last
            if time.monotonic() > deadline:
                break
            self.check_alive()
            time.sleep(interval)
        pytest.fail("timed out after %.1f s waiting for %s" % (timeout, what))

    # ---- packets --------------------------------------------------------------------

    def frame(self, ip, src_mac=PEER_MAC, dst_mac=None):
        """Wraps an IPv6 packet in Ethernet addressed to the target (or its multicast MAC)."""
        if dst_mac is None:
            dst = ip[IPv6].dst
            dst_mac = mcast_mac(dst) if in6_ismaddr(dst) else self.mac
        return Ether(src=src_mac, dst=dst_mac) / ip

    def send(self, ip, **kw):
        self.cap.send(self.frame(ip, **kw))

    def ping_from_linux(self, dst, count=3, size=56, extra=(), timeout=30):
        return self.nsexec("ping", "-6", "-n", "-c", count, "-i", "0.2", "-W", "2", "-s", size,
                           *extra, dst, check=False, timeout=timeout)

    def start_radvd(self, prefix="2001:db8:1::", interval=(3, 4), extra_if="", lifetime=1800,
                    linux_addr="2001:db8:1::1"):
        """Linux as the router on tap0: forwarding on, radvd advertising `prefix`/64."""
        self.sysctl("net.ipv6.conf.all.forwarding=1")
        if linux_addr:
            sh(["ip", "-n", self.ns, "-6", "addr", "add", linux_addr + "/64", "dev",
                self.ifname, "nodad"])
        cfg = os.path.join(self.dir, "radvd.conf")
        with open(cfg, "w") as f:
            f.write("""interface %s {
    AdvSendAdvert on;
    MinRtrAdvInterval %g;
    MaxRtrAdvInterval %g;
    AdvDefaultLifetime %d;
    %s
    prefix %s/64 {
        AdvOnLink on;
        AdvAutonomous on;
    };
};
""" % (self.ifname, interval[0], interval[1], lifetime, extra_if, prefix))
        self.radvd_log = open(os.path.join(self.dir, "radvd.log"), "wb")
        p = self.popen("radvd", "-n", "-C", cfg, "-p", os.path.join(self.dir, "radvd.pid"),
                       "-m", "stderr", "-d", "1", stdout=self.radvd_log,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        time.sleep(0.3)
        if p.poll() is not None:
            with open(os.path.join(self.dir, "radvd.log")) as f:
                pytest.fail("radvd exited: %s" % f.read()[-1500:])
        return p

    # ---- teardown -------------------------------------------------------------------

    def stop_daemon(self, timeout=5):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.daemon is None:
            return None
        d, self.daemon = self.daemon, None
        if d.poll() is not None:
            return d.returncode
        d.send_signal(signal.SIGTERM)
        try:
            return d.wait(timeout)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait(5)
            return None

    def close(self):
        problems = []
        if self.daemon is not None and self.daemon.poll() is not None:
            problems.append("umikamed had died during the test (rc=%s)" % self.daemon.returncode)
        rc = self.stop_daemon()
        if rc not in (0, None) and not problems:
            problems.append("umikamed exited with %s on SIGTERM" % rc)
        if self.cap:
            self.cap.stop()
            if self.cap.hook_errors:
                problems.append("capture hooks failed: %s" % self.cap.hook_errors[:3])
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(3)
        for n in reversed(self.ns_created):
            subprocess.run(["ip", "netns", "pids", n], capture_output=True)
            pids = subprocess.run(["ip", "netns", "pids", n], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        self.ns_created = []
        if hasattr(self, "log"):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems


def conf_dict(data, scope=None):
    if isinstance(data, dict):
        if scope in data and isinstance(data[scope], dict):
            data = data[scope]
        if all(not isinstance(v, (dict, list)) for v in data.values()):
            return {k: to_int(v) for k, v in data.items()}
        for k in ("settings", "conf", "values"):
            if k in data:
                return conf_dict(data[k], scope)
    if isinstance(data, list):
        out = {}
        for row in data:
            if isinstance(row, dict):
                key = row.get("key", row.get("name"))
                if key is not None:
                    out[key] = to_int(row.get("value"))
                elif len(row) == 1:
                    (k, v), = row.items()
                    out[k] = to_int(v)
        if out:
            return out
    raise AssertionError("unexpected `umk -j conf show` shape: %r" % (data,)[:500])


def to_int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return v

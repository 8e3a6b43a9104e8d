"""
umk and the control socket: JSON shapes of every command, changes that round-trip, errors,
garbage on the socket, umikamed -c.

Topology (fresh lab per test):
    NS: umikamed --TAP-- tap0 (kernel side, Linux); umk talks to umikamed's control socket
        (a filesystem path, so umk itself runs outside the namespace).
"""
import os
import socket
import subprocess
import time

import pytest

from lab import UMK, UMIKAMED, Lab, norm6, sh

MAC = "02:00:5e:10:00:99"


def show_addr(lab, addr):
    return [a for a in lab.umk("addr", "show") if norm6(a["address"]) == norm6(addr)]


def test_every_show_command_shape(lab):
    lab.require_umk()
    assert isinstance(lab.umk("link", "show"), list)
    for a in lab.umk("addr", "show"):
        assert set(a) >= {"ifname", "address", "prefixlen", "scope", "flags", "valid_lft",
                          "preferred_lft"}, a
        assert isinstance(a["prefixlen"], int) and isinstance(a["flags"], list)
        for k in ("valid_lft", "preferred_lft"):
            assert a[k] == "forever" or isinstance(a[k], int), a
    for r in lab.umk("route", "show"):
        assert set(r) >= {"dst", "gateway", "ifname", "metric", "proto", "expires"}, r
        assert "/" in r["dst"]
    for n in lab.umk("neigh", "show"):
        assert set(n) >= {"ifname", "address", "lladdr", "state", "router"}, n
        assert n["state"] in ("INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT")
    c = lab.conf()
    for k in ("accept_ra", "hop_limit", "mtu", "dad_transmits", "base_reachable_time",
              "retrans_time", "use_tempaddr", "rtr_solicitations"):
        assert k in c, "conf show %s lacks %s: %s" % (lab.ifname, k, c)
    g = lab.conf("global")
    assert "max_neighbors" in g and "reasm_timeout" in g, g
    assert lab.umk("stats")


def test_human_output(lab):
    for cmd in (["link", "show"], ["addr", "show"], ["route", "show"], ["neigh", "show"],
                ["conf", "show", lab.ifname], ["stats"]):
        r = lab.umk_run(*cmd)
        assert r.returncode == 0, "umk %s: %s" % (" ".join(cmd), r.stderr)
    assert lab.ll in lab.umk_run("addr", "show").stdout


def test_addr_add_del(lab):
    lab.umk_run("addr", "add", "2001:db8:10::5/64", "dev", lab.ifname, check=True)
    a = show_addr(lab, "2001:db8:10::5")
    assert a and a[0]["prefixlen"] == 64 and "permanent" in a[0]["flags"], a
    lab.wait_for(lambda: any(r["dst"] == "2001:db8:10::/64" for r in lab.routes()), 3,
                 "the connected route of a manual address")
    r = lab.umk_run("addr", "add", "2001:db8:10::5/64", "dev", lab.ifname)
    assert r.returncode != 0, "adding an existing address must fail"
    lab.umk_run("addr", "del", "2001:db8:10::5/64", "dev", lab.ifname, check=True)
    assert not show_addr(lab, "2001:db8:10::5")
    r = lab.umk_run("addr", "del", "2001:db8:10::5/64", "dev", lab.ifname)
    assert r.returncode != 0 and r.stderr.strip(), "deleting a missing address must fail"


def test_route_add_del(lab):
    gw = "fe80::1"
    lab.umk_run("route", "add", "2001:db8:20::/48", "via", gw, "dev", lab.ifname, check=True)
    rs = [r for r in lab.routes() if r["dst"] == "2001:db8:20::/48"]
    assert rs and norm6(rs[0]["gateway"].split("%")[0]) == gw and rs[0]["proto"] == "static" \
        and rs[0]["ifname"] == lab.ifname, rs
    lab.umk_run("route", "add", "2001:db8:21::/64", "dev", lab.ifname, check=True)
    lab.umk_run("route", "del", "2001:db8:20::/48", "via", gw, "dev", lab.ifname, check=True)
    lab.umk_run("route", "del", "2001:db8:21::/64", "dev", lab.ifname, check=True)
    assert not [r for r in lab.routes() if r["dst"].startswith("2001:db8:2")]
    assert lab.umk_run("route", "del", "2001:db8:20::/48").returncode != 0


def test_neigh_add_del_flush(lab):
    lab.umk_run("neigh", "add", "fe80::99", "lladdr", MAC, "dev", lab.ifname, check=True)
    n = [x for x in lab.neighs() if norm6(x["address"]) == "fe80::99"]
    assert n and n[0]["state"] == "PERMANENT" and n[0]["lladdr"].lower() == MAC, n
    # a dynamic entry from talking to Linux, then flush: PERMANENT stays (like ip neigh flush)
    lab.umk_run("ping", "-c", 1, "-W", 2, "%s%%%s" % (lab.linux_ll, lab.ifname))
    lab.umk_run("neigh", "flush", "dev", lab.ifname, check=True)
    left = lab.neighs()
    assert [x for x in left if norm6(x["address"]) == "fe80::99"], "flush keeps PERMANENT"
    assert not [x for x in left if x["state"] != "PERMANENT"], left
    lab.umk_run("neigh", "del", "fe80::99", "dev", lab.ifname, check=True)
    assert not [x for x in lab.neighs() if norm6(x["address"]) == "fe80::99"]


def test_conf_set_show_round_trip(lab):
    for key, val in (("hop_limit", 17), ("retrans_time", 2500), ("base_reachable_time", 12000),
                     ("dad_transmits", 3), ("accept_ra", 0), ("use_tempaddr", 1),
                     ("rtr_solicitations", 1), ("mtu", 1400)):
        lab.conf_set(lab.ifname, key, val)
        assert lab.conf()[key] == val, "conf %s did not round-trip" % key
    lab.conf_set("global", "max_neighbors", 77)
    assert lab.conf("global")["max_neighbors"] == 77


@pytest.mark.parametrize("args", [
    ["frobnicate"], ["addr", "frob"], ["addr", "add", "2001:db8::zz/64", "dev", "tap0"],
    ["addr", "add", "2001:db8::1/129", "dev", "tap0"], ["addr", "add", "2001:db8::1/64", "dev", "nosuch0"],
    ["route", "add", "not-a-prefix"], ["neigh", "add", "fe80::1", "lladdr", "zz:00", "dev", "tap0"],
    ["conf", "set", "tap0", "no_such_key", "1"], ["conf", "set", "tap0", "hop_limit", "300"],
    ["conf", "set", "tap0", "hop_limit", "abc"], ["conf", "show", "nosuch0"],
    ["ping", "-c", "x", "fe80::1%tap0"], ["ping"],
])
def test_wrong_command_one_line_error(lab, args):
    lab.require_umk()
    for j in ([], ["-j"]):
        r = sh([UMK, "-s", lab.sock] + j + args, check=False)
        assert r.returncode != 0, "umk %s must fail" % " ".join(args)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, "umk %s: one clear line on stderr, got %r" % (" ".join(args),
                                                                             r.stderr)
    assert lab.umk("link", "show"), "the daemon must still answer"


def test_no_daemon_error(lab):
    lab.require_umk()
    r = sh([UMK, "-s", "/nonexistent/umk.sock", "link", "show"], check=False)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, r.stderr


def talk(path, data, wait=1.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(wait)
    s.connect(path)
    out = b""
    try:
        s.sendall(data)
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    s.close()
    return out


@pytest.mark.parametrize("garbage", [
    b"\0" * 64, b"\xff" * 4096, b"hello daemon\n", bytes(range(256)) * 8,
    b"\xff\xff\xff\xff" + b"A" * 100, b"\x00\x00\x00\x08\x00\x01\x00\x00",
    os.urandom(10000),
], ids=["zeros", "ff4096", "text", "bytes256x8", "hugelen", "shortmsg", "random10k"])
def test_garbage_on_control_socket(lab, garbage):
    lab.require_umk()
    talk(lab.sock, garbage)
    lab.check_alive()
    assert lab.umk("link", "show"), "the daemon must keep answering after garbage"


def test_idle_client_does_not_block_others(lab):
    lab.require_umk()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(lab.sock)
    s.sendall(b"\x00\x00")     # half a message, then silence
    try:
        t0 = time.monotonic()
        assert lab.umk("link", "show")
        assert time.monotonic() - t0 < 3, "another client waited for the idle one"
    finally:
        s.close()


def test_many_clients(lab):
    lab.require_umk()
    socks = []
    for _ in range(64):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(lab.sock)
        except OSError:
            s.close()
            break
        socks.append(s)
    for s in socks:
        s.close()
    time.sleep(0.2)
    assert lab.umk("link", "show")


@pytest.mark.lab(config="# lab config\n\nconf set tap0 hop_limit 42\n"
                 "addr add 2001:db8:7::1/64 dev tap0\n"
                 "route add 2001:db8:8::/48 via fe80::1 dev tap0\n"
                 "conf set global max_neighbors 123\n")
def test_config_file_applied(lab):
    assert lab.conf()["hop_limit"] == 42
    assert lab.conf("global")["max_neighbors"] == 123
    assert show_addr(lab, "2001:db8:7::1")
    assert [r for r in lab.routes() if r["dst"] == "2001:db8:8::/48"]


def test_config_file_bad_line(request):
    # the lab is built by hand: its umikamed is replaced by one that must refuse to start
    lb = Lab(request, wait_ready=False, capture=False)
    try:
        lb.require_umk()
        lb.stop_daemon()
        cfg = os.path.join(lb.dir, "bad.conf")
        with open(cfg, "w") as f:
            f.write("conf set tap0 hop_limit 42\naddr add 2001:db8:7::1/64 dev tap0\n"
                    "addr frobnicate everything\nconf set tap0 hop_limit 43\n")
        p = subprocess.run(["ip", "netns", "exec", lb.ns, UMIKAMED, "-f", "-i", "tap0", "-s",
                            lb.sock + "2", "-c", cfg], capture_output=True, text=True,
                           timeout=15, stdin=subprocess.DEVNULL)
        assert p.returncode != 0, "a broken config line must be rejected (exit non-zero)"
        assert "bad.conf:3" in p.stderr or "line 3" in p.stderr, \
            "the error must name the line (bad.conf:3): %r" % p.stderr
        assert not os.path.exists(lb.sock + "2")
    finally:
        lb.close()

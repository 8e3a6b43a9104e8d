"""
Hostile traffic: thc-ipv6 tools against umikamed, each bounded in time. Afterwards umikamed
still answers (ping, umk) and its tables stayed within the limits set for the test.

Topology (fresh lab per test):
    NS: umikamed --TAP-- tap0 (kernel side: Linux 2001:db8:1::1/64; the thc-ipv6 tools send
        from here). umikamed has 2001:db8:1::100/64 added by hand.
Limits lowered first (umk conf set global ...) so that a flood can actually reach them.

thc-ipv6 (Debian names atk6-*):
    atk6-implementation6 -p tap0 TARGET          its list of implementation checks
    atk6-fragmentation6 -p -n 1 tap0 TARGET      fragment checks incl. the DoS ones
    atk6-flood_router6 tap0                      random RAs (routers, prefixes)
    atk6-flood_advertise6 tap0                   random unsolicited NAs
    atk6-flood_solicitate6 tap0 TARGET           NSs from random sources (cache entries)
"""
import shutil
import time

import pytest


TARGET = "2001:db8:1::100"
LIMITS = {"max_neighbors": 64, "max_routes": 128, "max_default_routers": 8,
          "max_prefixes": 16, "max_addrs": 16}


@pytest.fixture
def hlab(lab):
    lab.require_umk()
    if not shutil.which("atk6-implementation6"):
        pytest.fail("thc-ipv6 is not installed (scripts/deps.sh installs it)")
    for k, v in LIMITS.items():
        lab.conf_set("global", k, v)
    lab.nsexec("ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", lab.ifname, "nodad")
    lab.umk_run("addr", "add", TARGET + "/64", "dev", lab.ifname, check=True)
    lab.wait_for(lambda: [a for a in lab.addrs(TARGET) if not set(a["flags"]) &
                          {"tentative", "dadfailed"}], 5, "the manual address after DAD")
    if lab.cap:
        lab.cap.hooks.clear()   # keep the capture thread out of the way of the floods
    return lab


def run_tool(lab, seconds, *cmd):
    t0 = time.monotonic()
    r = lab.nsexec("timeout", "-s", "INT", "-k", "3", seconds, *cmd, check=False,
                   timeout=seconds + 15)
    lab.check_alive()
    return r, time.monotonic() - t0


def check_healthy(lab, what):
    lab.check_alive()
    st = lab.umk_run("stats")
    assert st.returncode == 0, "after %s: umk stats failed: %s" % (what, st.stderr)
    g = lab.conf("global")
    neighs = lab.neighs()
    assert len(neighs) <= g["max_neighbors"], "after %s: %d neighbours > max_neighbors %d" % (
        what, len(neighs), g["max_neighbors"])
    routes = lab.routes()
    assert len(routes) <= g["max_routes"], "after %s: %d routes > max_routes %d" % (
        what, len(routes), g["max_routes"])
    drs = [r for r in routes if r["dst"] == "::/0"]
    assert len(drs) <= g["max_default_routers"], "after %s: %d default routers > %d" % (
        what, len(drs), g["max_default_routers"])
    addrs = lab.addrs()
    assert len(addrs) <= g["max_addrs"], "after %s: %d addresses > max_addrs %d" % (
        what, len(addrs), g["max_addrs"])
    # still answering: Linux pings the link-local and the manual address
    for dst in ("%s%%%s" % (lab.ll, lab.ifname), TARGET):
        ok = False
        for _ in range(6):
            r = lab.ping_from_linux(dst, count=2)
            if r.returncode == 0:
                ok = True
                break
            time.sleep(1)
        assert ok, "after %s: umikamed no longer answers ping to %s: %s" % (what, dst, r.stdout)


def test_implementation6(hlab):
    r, dt = run_tool(hlab, 50, "atk6-implementation6", "-p", hlab.ifname, TARGET)
    assert "Test" in r.stdout or "test" in r.stdout, "implementation6 did not run: %s %s" % (
        r.stdout[-500:], r.stderr[-500:])
    print(r.stdout[-3000:])
    check_healthy(hlab, "implementation6")


def test_fragmentation6(hlab):
    r, dt = run_tool(hlab, 50, "atk6-fragmentation6", "-p", "-n", "1", hlab.ifname, TARGET)
    assert r.stdout or r.stderr, "fragmentation6 printed nothing"
    print(r.stdout[-3000:])
    check_healthy(hlab, "fragmentation6")


def test_flood_router6(hlab):
    r, dt = run_tool(hlab, 10, "atk6-flood_router6", hlab.ifname)
    assert dt >= 5, "flood_router6 stopped early: %s %s" % (r.stdout, r.stderr)
    check_healthy(hlab, "flood_router6")


def test_flood_advertise6(hlab):
    r, dt = run_tool(hlab, 10, "atk6-flood_advertise6", hlab.ifname)
    assert dt >= 5, "flood_advertise6 stopped early: %s %s" % (r.stdout, r.stderr)
    check_healthy(hlab, "flood_advertise6")


def test_flood_solicitate6(hlab):
    r, dt = run_tool(hlab, 10, "atk6-flood_solicitate6", hlab.ifname, TARGET)
    assert dt >= 5, "flood_solicitate6 stopped early: %s %s" % (r.stdout, r.stderr)
    check_healthy(hlab, "flood_solicitate6")

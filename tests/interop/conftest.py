"""
Fixtures for the interop lab (see lab.py for the topology):
  lab        a fresh namespace + umikamed on tap0 for one test, captured from its first frame
  shared_lab one per test module, for stateless probes (each test takes its own capture mark)
Run as root with /usr/bin/python3 -m pytest tests/interop. UMK_BUILD selects the build dir,
UMK_TARGET=linux runs the packet probes against the Linux kernel instead.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from lab import Lab  # noqa: E402


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("the interop lab needs root (network namespaces, TAP devices)", 2)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _finish(lab, request):
    failed = any(getattr(request.node, "rep_" + w, None) is not None and
                 getattr(request.node, "rep_" + w).failed for w in ("setup", "call"))
    if failed:
        print("\n--- umikamed log (tail) ---\n" + lab.log_tail(60))
        if lab.cap:
            print("--- last frames on %s (<- from target, -> into it) ---\n%s" %
                  (lab.ifname, lab.cap.summary()))
    problems = lab.close()
    if problems:
        pytest.fail("lab teardown: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def lab(request):
    """Fresh lab; tests may pass options through @pytest.mark.lab(create_tap=..., config=...)."""
    m = request.node.get_closest_marker("lab")
    kw = dict(m.kwargs) if m else {}
    lb = Lab(request, **kw)
    yield lb
    _finish(lb, request)


@pytest.fixture(scope="module")
def shared_lab(request):
    lb = Lab(request)
    if lb.target == "umikame":
        # Stateless probes: the error rate limit must not hide answers (its own test
        # lowers it again in a lab of its own).
        lb.conf_set("global", "icmp6_rate", 100000)
        lb.conf_set("global", "icmp6_burst", 100000)
    yield lb
    problems = lb.close()
    if problems:
        pytest.fail("shared lab teardown: " + "; ".join(problems), pytrace=False)

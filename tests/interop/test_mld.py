"""
RFC 3810 MLDv2 listener, RFC 2710 MLDv1 compatibility.

Topology (fresh lab per test, captured from umikamed's first frame):
    NS: umikamed --TAP-- tap0 (kernel side) <- AF_PACKET capture; scapy plays a querier
        at PEER_LL.
"""
import time

from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop, RouterAlert, ICMPv6MLQuery,
                                ICMPv6MLQuery2, ICMPv6MLReport, ICMPv6MLReport2)

from lab import PEER_LL, norm6, solicited_node


def v2_groups(p):
    return {norm6(r.dst) for r in p[ICMPv6MLReport2].records}


def is_v2_report(p):
    return ICMPv6MLReport2 in p


def is_current_state(p):
    """An MLDv2 report answering a query (MODE_IS_INCLUDE/EXCLUDE records, RFC 3810 5.2.12),
    not the unsolicited state-change reports sent on joining."""
    return ICMPv6MLReport2 in p and any(r.rtype in (1, 2) for r in p[ICMPv6MLReport2].records)


def is_v1_report(p):
    return ICMPv6MLReport in p


def query_v2(mrd=1000):
    return IPv6(src=PEER_LL, dst="ff02::1", hlim=1) / \
        IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)]) / ICMPv6MLQuery2(mrd=mrd, mladdr="::")


def query_v1(mrd=1000):
    return IPv6(src=PEER_LL, dst="ff02::1", hlim=1) / \
        IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)]) / ICMPv6MLQuery(mrd=mrd, mladdr="::")


def check_report_header(p):
    assert p[IPv6].hlim == 1, "RFC 3810 5: MLD messages have hop limit 1"
    assert IPv6ExtHdrHopByHop in p and any(isinstance(o, RouterAlert)
                                          for o in p[IPv6ExtHdrHopByHop].options), \
        "RFC 3810 5: MLD messages carry a Router Alert option"
    src = p[IPv6].src
    assert src == "::" or src.startswith("fe80:"), \
        "RFC 3810 5.2.13: reports come from a link-local address (or :: during DAD): %s" % src


def test_reports_for_joined_groups(lab):
    # From boot: unsolicited reports name the solicited-node group of our link-local address
    sol = solicited_node(lab.ll)
    reps = lab.cap.select(lambda p: is_v2_report(p) and sol in v2_groups(p), 0)
    assert reps, "RFC 3810 6.1 / RFC 4862 5.4.2: a report for %s must be sent on joining" % sol
    for p in reps:
        check_report_header(p)
        assert p[IPv6].dst == "ff02::16", "RFC 3810 5.2.14: MLDv2 reports go to ff02::16"
    allg = lab.cap.select(lambda p: is_v2_report(p) and "ff02::1" in v2_groups(p), 0)
    assert not allg, "RFC 3810 6: the all-nodes group is never reported"


def test_general_query_answered(lab):
    sol = solicited_node(lab.ll)
    time.sleep(0.5)
    m = lab.cap.mark()
    t0 = time.monotonic()
    lab.send(query_v2(mrd=1000))
    got = lab.cap.wait(lambda p: is_current_state(p) and sol in v2_groups(p), m, 3)
    assert got is not None, "RFC 3810 6.2: a General Query must be answered with a report " \
        "of every group (missing %s)" % sol
    check_report_header(got)
    assert got.time - t0 <= 1.5, "RFC 3810 6.2: the answer must come within Maximum Response " \
        "Delay (1 s), came after %.2f s" % (got.time - t0)
    for r in got[ICMPv6MLReport2].records:
        assert r.rtype in (1, 2), "RFC 3810 6.2: General Query answers are MODE_IS records"


def test_query_from_non_link_local_ignored(lab):
    m = lab.cap.mark()
    q = query_v2()
    q[IPv6].src = "2001:db8::1"
    lab.send(q)
    seen = lab.cap.count_after(is_current_state, m, 1.5)
    assert not seen, "RFC 3810 5.1.14: a query from a non-link-local source must be ignored"


def test_mldv1_query_switches_to_v1(lab):
    sol = solicited_node(lab.ll)
    time.sleep(0.5)
    m = lab.cap.mark()
    lab.send(query_v1(mrd=1000))
    got = lab.cap.wait(lambda p: is_v1_report(p) and norm6(p[ICMPv6MLReport].mladdr) == sol,
                       m, 3)
    assert got is not None, "RFC 3810 8.2.1: after an MLDv1 query, answer with MLDv1 reports " \
        "(none for %s)" % sol
    assert norm6(got[IPv6].dst) == sol, "RFC 2710 3.7: an MLDv1 report goes to the group itself"
    check_report_header(got)
    v2 = lab.cap.select(is_v2_report, m)
    assert not v2, "RFC 3810 8.2.1: no MLDv2 reports while in MLDv1 compatibility mode"

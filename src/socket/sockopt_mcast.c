/*
 * sockopt_mcast.c - group membership of datagram and raw sockets: the RFC 3493 5.2
 * IPV6_JOIN_GROUP/IPV6_LEAVE_GROUP and the protocol-independent source filter API of
 * RFC 3678 5 (MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP, MCAST_JOIN_SOURCE_GROUP,
 * MCAST_LEAVE_SOURCE_GROUP, MCAST_BLOCK_SOURCE, MCAST_UNBLOCK_SOURCE, and the full-state
 * MCAST_MSFILTER behind umk_setsourcefilter/umk_getsourcefilter, RFC 3678 5.2).
 *
 * Each membership of a socket is its RFC 3810 4.1 per-socket state: (interface, group,
 * filter mode, source list). Every change hands the old and the new state to MLD
 * (ip6/mld6.c), which merges the interface state (RFC 3810 4.2) and reports it. On input,
 * transport/udp.c and transport/raw.c ask sock_mcast_pass whether a datagram's source
 * passes the socket's filter.
 *
 * Error rules (RFC 3678 does not fix them all; these follow the BSD and Linux stacks):
 *   EADDRINUSE     an any-source join of a group already joined any-source
 *   EINVAL         mixing modes on one membership: a source join on an any-source (EXCLUDE)
 *                  membership, a block/unblock on an INCLUDE one, an any-source join on an
 *                  INCLUDE one (RFC 3678 4.1.1, 5.1.1: the delta calls keep one mode);
 *                  a bad address family or a group that is not multicast
 *   EADDRNOTAVAIL  leaving or unblocking what is not there, joining or blocking a source
 *                  already listed, getting the filter of a group not joined
 *   ENOBUFS        more than max_socket_group_sources sources on one membership, or more
 *                  memberships than SOCK_MAX_MEMBERSHIPS (both counted)
 *   ENODEV         no interface to join on
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/mld6_filter.h"
#include "ip6/route6.h"
#include "socket/sock_int.h"

/* ---- lookups ---- */

/* RFC 3493 5.2 / RFC 3678 5.1: interface 0 lets the stack choose, by the route to the
 * group, or the only interface there is. */
static struct umk_if *group_if(struct umk_stack *s, uint32_t ifindex, const struct in6_addr *g)
{
	struct rt6_nexthop nh;
	if (ifindex)
		return if_get(s, (int)ifindex);
	if (!rt6_lookup(s, g, 0, 0, &nh))
		return nh.ifp;
	return s->n_ifs == 1 ? if_first(s) : NULL;
}

static int find_mship(const struct sock *so, int ifindex, const struct in6_addr *g)
{
	for (int i = 0; i < so->n_mships; i++)
		if (so->mships[i].ifindex == ifindex && IN6_ARE_ADDR_EQUAL(&so->mships[i].group, g))
			return i;
	return -1;
}

static int find_src(const struct sock_mship *m, const struct in6_addr *a)
{
	for (int i = 0; i < m->nsrcs; i++)
		if (IN6_ARE_ADDR_EQUAL(&m->srcs[i], a))
			return i;
	return -1;
}

/* A sockaddr_storage naming an IPv6 address; 0 or -EINVAL. */
static int storage_addr(const struct sockaddr_storage *ss, struct in6_addr *a)
{
	if (ss->ss_family != AF_INET6)
		return -EINVAL;
	struct sockaddr_in6 sin6;
	memcpy(&sin6, ss, sizeof(sin6));
	*a = sin6.sin6_addr;
	return 0;
}

/* A source of a filter: unicast, not :: (RFC 3678 4: sources are unicast senders). */
static int source_addr(const struct sockaddr_storage *ss, struct in6_addr *a)
{
	int r = storage_addr(ss, a);
	if (r)
		return r;
	if (IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_UNSPECIFIED(a))
		return -EINVAL;
	return 0;
}

static uint8_t mld_mode(uint32_t fmode)
{
	return fmode == MCAST_INCLUDE ? MLD_FILTER_INCLUDE : MLD_FILTER_EXCLUDE;
}

/* ---- the one place a membership changes ---- */

/*
 * Membership i of so (-1: none yet, on ifp for group) becomes (fmode, srcs[0..n)), which
 * is copied; INCLUDE {} ends it. MLD hears of it first and may refuse (table full), in
 * which case nothing changes.
 */
static int apply(struct umk_stack *s, struct sock *so, int i, struct umk_if *ifp,
		 const struct in6_addr *group, uint32_t fmode, const struct in6_addr *srcs,
		 uint16_t n)
{
	struct sock_mship *m = i >= 0 ? &so->mships[i] : NULL;
	bool ending = fmode == MCAST_INCLUDE && n == 0;
	if (!m && ending)
		return 0;
	if (!m && so->n_mships >= SOCK_MAX_MEMBERSHIPS) {
		COUNT(s, MLD_SOCK_MEMBERSHIP_LIMIT);
		return -ENOBUFS;
	}
	if (n > s->limits.max_socket_group_sources) {
		COUNT(s, MLD_SOCK_SOURCE_LIMIT);
		return -ENOBUFS;
	}
	struct in6_addr *copy = NULL;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, srcs, n * sizeof(*copy));
	}
	struct mld_filter old = { .mode = MLD_FILTER_INCLUDE };
	if (m) {
		old.mode = mld_mode(m->fmode);
		old.nsrcs = m->nsrcs;
		old.srcs = m->srcs;
	}
	struct mld_filter new = { .mode = mld_mode(fmode), .nsrcs = n, .srcs = copy };
	int r = mld_filter_change(s, ifp, group, &old, &new);
	if (r) {
		free(copy);
		return r;
	}
	if (!m) {
		i = so->n_mships++;
		m = &so->mships[i];
		memset(m, 0, sizeof(*m));
		m->group = *group;
		m->ifindex = ifp->index;
	}
	free(m->srcs);
	m->srcs = copy;
	m->nsrcs = n;
	m->fmode = fmode;
	if (ending) {
		so->mships[i] = so->mships[--so->n_mships];
		memset(&so->mships[so->n_mships], 0, sizeof(*m));
	}
	return 0;
}

/* The list of m with a added, or with entry k taken out (k >= 0): a new array in *out
 * (NULL when empty), to be freed by the caller. */
static int list_edit(const struct sock_mship *m, const struct in6_addr *a, int k,
		     struct in6_addr **out, uint16_t *n)
{
	uint16_t cnt = m ? m->nsrcs : 0;
	uint16_t want = k >= 0 ? (uint16_t)(cnt - 1) : (uint16_t)(cnt + 1);
	*out = NULL;
	*n = want;
	if (!want)
		return 0;
	struct in6_addr *v = malloc(want * sizeof(*v));
	if (!v)
		return -ENOMEM;
	uint16_t j = 0;
	for (int x = 0; x < cnt; x++)
		if (x != k)
			v[j++] = m->srcs[x];
	if (k < 0)
		v[j] = *a;
	*out = v;
	return 0;
}

/* ---- the delta options (RFC 3493 5.2, RFC 3678 5.1) ---- */

static int any_source(struct umk_stack *s, struct sock *so, bool join, uint32_t ifindex,
		      const struct in6_addr *group)
{
	if (!IN6_IS_ADDR_MULTICAST(group))
		return -EINVAL;
	struct umk_if *ifp = group_if(s, ifindex, group);
	if (!ifp)
		return -ENODEV;
	int i = find_mship(so, ifp->index, group);
	if (!join)
		return i < 0 ? -EADDRNOTAVAIL : apply(s, so, i, ifp, group, MCAST_INCLUDE, NULL, 0);
	if (i >= 0)
		return so->mships[i].fmode == MCAST_EXCLUDE ? -EADDRINUSE : -EINVAL;
	return apply(s, so, -1, ifp, group, MCAST_EXCLUDE, NULL, 0);
}

/* MCAST_JOIN_SOURCE_GROUP / LEAVE_SOURCE_GROUP work on INCLUDE memberships,
 * MCAST_BLOCK_SOURCE / UNBLOCK_SOURCE on EXCLUDE ones (RFC 3678 5.1.2, 5.1.3). */
static int source_delta(struct umk_stack *s, struct sock *so, int name,
			const struct group_source_req *gsr)
{
	struct in6_addr group, src;
	int r;
	if ((r = storage_addr(&gsr->gsr_group, &group)) || (r = source_addr(&gsr->gsr_source, &src)))
		return r;
	if (!IN6_IS_ADDR_MULTICAST(&group))
		return -EINVAL;
	struct umk_if *ifp = group_if(s, gsr->gsr_interface, &group);
	if (!ifp)
		return -ENODEV;
	int i = find_mship(so, ifp->index, &group);
	struct sock_mship *m = i >= 0 ? &so->mships[i] : NULL;
	bool include_op = name == MCAST_JOIN_SOURCE_GROUP || name == MCAST_LEAVE_SOURCE_GROUP;
	bool adding = name == MCAST_JOIN_SOURCE_GROUP || name == MCAST_BLOCK_SOURCE;
	uint32_t fmode = include_op ? MCAST_INCLUDE : MCAST_EXCLUDE;
	if (!m && name != MCAST_JOIN_SOURCE_GROUP)
		return -EADDRNOTAVAIL;
	if (m && m->fmode != fmode)
		return -EINVAL;
	int k = m ? find_src(m, &src) : -1;
	if (adding && k >= 0)
		return -EADDRNOTAVAIL;
	if (!adding && k < 0)
		return -EADDRNOTAVAIL;
	if (adding && m && m->nsrcs >= s->limits.max_socket_group_sources) {
		COUNT(s, MLD_SOCK_SOURCE_LIMIT);
		return -ENOBUFS;
	}
	struct in6_addr *v;
	uint16_t n;
	if ((r = list_edit(m, &src, adding ? -1 : k, &v, &n)))
		return r;
	/* the last source left of an INCLUDE membership ends it (INCLUDE {}) */
	r = apply(s, so, i, ifp, &group, fmode, v, n);
	free(v);
	return r;
}

/* ---- the full-state option (RFC 3678 5.2) ---- */

static int msfilter_set(struct umk_stack *s, struct sock *so, const void *val, socklen_t len)
{
	if (!val || len < GROUP_FILTER_SIZE(0))
		return -EINVAL;
	struct group_filter gf;
	memcpy(&gf, val, GROUP_FILTER_SIZE(0));
	if (gf.gf_fmode != MCAST_INCLUDE && gf.gf_fmode != MCAST_EXCLUDE)
		return -EINVAL;
	if (gf.gf_numsrc > s->limits.max_socket_group_sources) {
		COUNT(s, MLD_SOCK_SOURCE_LIMIT);
		return -ENOBUFS;
	}
	if (len < GROUP_FILTER_SIZE(gf.gf_numsrc))
		return -EINVAL;
	struct in6_addr group;
	int r;
	if ((r = storage_addr(&gf.gf_group, &group)))
		return r;
	if (!IN6_IS_ADDR_MULTICAST(&group))
		return -EINVAL;
	struct umk_if *ifp = group_if(s, gf.gf_interface, &group);
	if (!ifp)
		return -ENODEV;
	struct in6_addr *v = NULL;
	uint16_t n = 0;
	if (gf.gf_numsrc && !(v = malloc(gf.gf_numsrc * sizeof(*v))))
		return -ENOMEM;
	const uint8_t *list = (const uint8_t *)val + offsetof(struct group_filter, gf_slist);
	for (uint32_t x = 0; x < gf.gf_numsrc; x++) {
		struct sockaddr_storage ss;
		struct in6_addr a;
		memcpy(&ss, list + x * sizeof(ss), sizeof(ss));
		if ((r = source_addr(&ss, &a))) {
			free(v);
			return r;
		}
		bool dup = false;
		for (uint16_t y = 0; y < n && !dup; y++)
			dup = IN6_ARE_ADDR_EQUAL(&v[y], &a);
		if (!dup)
			v[n++] = a;
	}
	r = apply(s, so, find_mship(so, ifp->index, &group), ifp, &group, gf.gf_fmode, v, n);
	free(v);
	return r;
}

/* RFC 3678 5.2.2: the caller's gf_numsrc says how many sources fit; on return it is how
 * many the filter has, and min(both) are copied. */
static int msfilter_get(struct umk_stack *s, struct sock *so, void *val, socklen_t *len)
{
	if (!val || !len || *len < GROUP_FILTER_SIZE(0))
		return -EINVAL;
	struct group_filter gf;
	memcpy(&gf, val, GROUP_FILTER_SIZE(0));
	struct in6_addr group;
	int r;
	if ((r = storage_addr(&gf.gf_group, &group)))
		return r;
	struct umk_if *ifp = group_if(s, gf.gf_interface, &group);
	if (!ifp)
		return -ENODEV;
	int i = find_mship(so, ifp->index, &group);
	if (i < 0)
		return -EADDRNOTAVAIL;
	const struct sock_mship *m = &so->mships[i];
	uint32_t room = gf.gf_numsrc;
	uint32_t fit = (uint32_t)((*len - GROUP_FILTER_SIZE(0)) / sizeof(struct sockaddr_storage));
	if (room > fit)
		room = fit;
	if (room > m->nsrcs)
		room = m->nsrcs;
	gf.gf_fmode = m->fmode;
	gf.gf_numsrc = m->nsrcs;
	gf.gf_interface = (uint32_t)m->ifindex;
	memcpy(val, &gf, GROUP_FILTER_SIZE(0));
	uint8_t *list = (uint8_t *)val + offsetof(struct group_filter, gf_slist);
	for (uint32_t x = 0; x < room; x++) {
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = m->srcs[x];
		memcpy(list + x * sizeof(ss), &ss, sizeof(ss));
	}
	*len = (socklen_t)GROUP_FILTER_SIZE(room);
	return 0;
}

/* ---- entry points ---- */

int sock_mcast_setopt(struct umk_stack *s, struct sock *so, int name, const void *val,
		      socklen_t len)
{
	switch (name) {
	case IPV6_JOIN_GROUP:
	case IPV6_LEAVE_GROUP:
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
	case MCAST_MSFILTER:
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (so->type != SOCK_DGRAM && so->type != SOCK_RAW)
		return -ENOPROTOOPT;
	switch (name) {
	case IPV6_JOIN_GROUP:
	case IPV6_LEAVE_GROUP: {
		struct ipv6_mreq mr;
		if (!val || len < sizeof(mr))
			return -EINVAL;
		memcpy(&mr, val, sizeof(mr));
		return any_source(s, so, name == IPV6_JOIN_GROUP, mr.ipv6mr_interface,
				  &mr.ipv6mr_multiaddr);
	}
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP: {
		struct group_req gr;
		struct in6_addr g;
		int r;
		if (!val || len < sizeof(gr))
			return -EINVAL;
		memcpy(&gr, val, sizeof(gr));
		if ((r = storage_addr(&gr.gr_group, &g)))
			return r;
		return any_source(s, so, name == MCAST_JOIN_GROUP, gr.gr_interface, &g);
	}
	case MCAST_MSFILTER:
		return msfilter_set(s, so, val, len);
	default: {
		struct group_source_req gsr;
		if (!val || len < sizeof(gsr))
			return -EINVAL;
		memcpy(&gsr, val, sizeof(gsr));
		return source_delta(s, so, name, &gsr);
	}
	}
}

int sock_mcast_getopt(struct umk_stack *s, struct sock *so, int name, void *val,
		      socklen_t *len)
{
	if (name != MCAST_MSFILTER)
		return -ENOPROTOOPT;
	if (so->type != SOCK_DGRAM && so->type != SOCK_RAW)
		return -ENOPROTOOPT;
	return msfilter_get(s, so, val, len);
}

void sock_leave_all(struct umk_stack *s, struct sock *so)
{
	for (int i = 0; i < so->n_mships; i++) {
		struct sock_mship *m = &so->mships[i];
		struct umk_if *ifp = if_get(s, m->ifindex);
		if (ifp) {
			struct mld_filter old = { .mode = mld_mode(m->fmode), .nsrcs = m->nsrcs,
						  .srcs = m->srcs };
			struct mld_filter none = { .mode = MLD_FILTER_INCLUDE };
			mld_filter_change(s, ifp, &m->group, &old, &none);
		}
		free(m->srcs);
		memset(m, 0, sizeof(*m));
	}
	so->n_mships = 0;
}

bool sock_mcast_pass(struct umk_stack *s, const struct sock *so, const struct ip6_rx *rx)
{
	if (!(rx->flags & IP6_RX_DST_MCAST))
		return true;
	int i = find_mship(so, rx->ifp->index, &rx->dst);
	if (i < 0)
		return true;
	const struct sock_mship *m = &so->mships[i];
	bool listed = find_src(m, &rx->src) >= 0;
	bool pass = m->fmode == MCAST_INCLUDE ? listed : !listed;
	if (!pass)
		COUNT(s, MLD_SOCK_SOURCE_FILTERED);
	return pass;
}

/* ---- RFC 3678 5.2.1: setsourcefilter() and getsourcefilter() ---- */

/* The MCAST_MSFILTER buffer both calls hand to the socket option, with room for numsrc
 * sources; NULL with errno set when the arguments are wrong or memory is short. */
static struct group_filter *filter_new(uint32_t interface, const struct sockaddr *group,
				       socklen_t grouplen, uint32_t numsrc, bool have_slist,
				       size_t *size)
{
	if (!group || grouplen < sizeof(struct sockaddr_in6) || group->sa_family != AF_INET6 ||
	    numsrc > 65535 || (numsrc && !have_slist)) {
		errno = EINVAL;
		return NULL;
	}
	*size = GROUP_FILTER_SIZE(numsrc);
	struct group_filter *gf = calloc(1, *size);
	if (!gf) {
		errno = ENOMEM;
		return NULL;
	}
	gf->gf_interface = interface;
	memcpy(&gf->gf_group, group, sizeof(struct sockaddr_in6));
	gf->gf_numsrc = numsrc;
	return gf;
}

UMK_API int umk_setsourcefilter(struct umk_stack *s, int sd, uint32_t interface,
				const struct sockaddr *group, socklen_t grouplen, uint32_t fmode,
				uint32_t numsrc, const struct sockaddr_storage *slist)
{
	size_t size;
	struct group_filter *gf = filter_new(interface, group, grouplen, numsrc, slist != NULL,
					     &size);
	if (!gf)
		return -1;
	gf->gf_fmode = fmode;
	if (numsrc)
		memcpy(gf->gf_slist, slist, numsrc * sizeof(*slist));
	int r = umk_setsockopt(s, sd, IPPROTO_IPV6, MCAST_MSFILTER, gf, (socklen_t)size);
	int e = errno;
	free(gf);
	errno = e;
	return r;
}

UMK_API int umk_getsourcefilter(struct umk_stack *s, int sd, uint32_t interface,
				const struct sockaddr *group, socklen_t grouplen, uint32_t *fmode,
				uint32_t *numsrc, struct sockaddr_storage *slist)
{
	if (!fmode || !numsrc) {
		errno = EINVAL;
		return -1;
	}
	size_t size;
	struct group_filter *gf = filter_new(interface, group, grouplen, *numsrc, slist != NULL,
					     &size);
	if (!gf)
		return -1;
	socklen_t len = (socklen_t)size;
	int r = umk_getsockopt(s, sd, IPPROTO_IPV6, MCAST_MSFILTER, gf, &len);
	if (!r) {
		uint32_t copied = *numsrc < gf->gf_numsrc ? *numsrc : gf->gf_numsrc;
		/* only the entries that came back: a remote reply stops at SOCK_CTL_OPT_MAX */
		size_t got = len > GROUP_FILTER_SIZE(0) ?
			     (len - GROUP_FILTER_SIZE(0)) / sizeof(*slist) : 0;
		if (copied > got)
			copied = (uint32_t)got;
		*fmode = gf->gf_fmode;
		*numsrc = gf->gf_numsrc;
		if (copied)
			memcpy(slist, gf->gf_slist, copied * sizeof(*slist));
	}
	int e = errno;
	free(gf);
	errno = e;
	return r;
}

/*
 * stack.c - the stack instance: creation with its limits and pools, interfaces, and the
 * owner's entry points (frames in, time in). Every entry point drains the loopback queue
 * before it returns, so a packet we send to ourselves is handled after the code that sent
 * it has finished, never in the middle of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "core/stack_int.h"
#include "ip4/ip4.h"
#include "ip6/addrconf.h"
#include "ip6/ip6.h"
#include "ip6/mld6.h"
#include "ip6/nd6.h"
#include "ipsec/ipsec.h"
#include "link/eth.h"
#include "socket/sock.h"
#include "transport/tcp.h"

void umk_stack_config_defaults(struct umk_stack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* unpredictable by default (RFC 7217 5: the secret_key; RFC 8981, 7739, 7527 draw
	 * from rng_secure_bytes keyed by it); simulations overwrite both for reproducibility */
	if (getrandom(&cfg->seed, sizeof(cfg->seed), 0) != sizeof(cfg->seed))
		cfg->seed = 1;
	if (getrandom(cfg->secret_key, sizeof(cfg->secret_key), 0) != sizeof(cfg->secret_key))
		memset(cfg->secret_key, 0, sizeof(cfg->secret_key));
	cfg->log_level = UMK_LOG_INFO;
	cfg->pool_small = 2048;
	cfg->pool_medium = 64;
	cfg->pool_large = 48;
	struct umk_limits *l = &cfg->limits;
	l->max_neighbors = 1024;
	l->max_neighbor_queue = 8;
	l->max_routes = 4096;
	l->max_default_routers = 8;
	l->max_prefixes = 16;
	l->max_addrs = 32;
	l->max_groups = 64;
	l->max_reasm_queues = 64;
	l->max_reasm_bytes = 1024 * 1024;
	l->reasm_timeout = 60000;
	l->max_pmtu_entries = 1024;
	l->icmp6_rate = 100;
	l->icmp6_burst = 50;
	l->max_loopback_queue = 256;
	l->max_sockets = 1024;
	l->max_socket_rcvbuf = 4 * 1024 * 1024;
	l->socket_rcvbuf = 256 * 1024;
	l->max_sas = 4096;
	l->max_policies = 1024;
	l->max_tcp_connections = 4096;
	l->tcp_backlog_max = 128;
	l->tcp_msl = 30000;
	l->tcp_rto_min = 1000;
	l->tcp_challenge_acks = 100;
	l->max_socket_group_sources = 64;   /* as Linux's mld_max_msf */
	l->max_group_sources = 256;
	l->arp_max_entries = 1024;
	l->arp_max_queue = 3;       /* as Linux's unres_qlen of old; RFC 1122 2.3.2.2: >= 1 */
	l->arp_timeout = 60000;     /* RFC 1122 2.3.2.1: on the order of a minute */
	l->arp_retrans_time = 1000;
	l->arp_max_probes = 3;
}

struct umk_stack *umk_stack_new(const struct umk_stack_config *cfg, umk_time_t now)
{
	struct umk_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->limits = cfg->limits;
	s->now = now;
	rng_seed(&s->rng, cfg->seed);
	s->log_tokens = 200;
	s->log_refill = now;
	s->hash_key[0] = rng_u64(s);
	s->hash_key[1] = rng_u64(s);

	static const uint8_t zero[32];
	if (memcmp(cfg->secret_key, zero, sizeof(zero)) == 0)
		rng_bytes(s, s->secret_key, sizeof(s->secret_key));
	else
		memcpy(s->secret_key, cfg->secret_key, sizeof(s->secret_key));
	rng_secure_init(s);

	if (pkt_pool_init(s, cfg->pool_small, cfg->pool_medium, cfg->pool_large) ||
	    timer_heap_init(s, cfg->limits.max_neighbors + 4096) || ip6_init(s) || nd6_init(s) ||
	    addrconf_init(s) || mld_init(s) || sock_init(s) || tcp_init(s) || ipsec_init(s) ||
	    ip4_init(s)) {
		umk_stack_free(s);
		return NULL;
	}
	return s;
}

void umk_stack_free(struct umk_stack *s)
{
	if (!s)
		return;
	if (sock_is_remote(s)) {
		remote_close(s);   /* a umk_stack_open() handle */
		return;
	}
	sock_fini(s);
	tcp_fini(s);
	ipsec_fini(s);
	ip4_fini(s);
	for (int i = 1; i <= UMK_MAX_IFS; i++) {
		struct umk_if *ifp = s->ifs[i];
		if (!ifp)
			continue;
		addrconf_if_detach(s, ifp);
		mld_if_detach(s, ifp);
		nd6_if_detach(s, ifp);
		ip6_if_detach(s, ifp);
		free(ifp);
		s->ifs[i] = NULL;
	}
	pkt_free_chain(s, s->loop_head);
	s->loop_head = s->loop_tail = NULL;
	mld_fini(s);
	addrconf_fini(s);
	nd6_fini(s);
	ip6_fini(s);
	timer_heap_fini(s);
	pkt_pool_fini(s);
	explicit_bzero(s->secret_key, sizeof(s->secret_key));
	free(s);
}

/* ---- interfaces ---- */

struct umk_if *if_get(struct umk_stack *s, int ifindex)
{
	if (ifindex < 1 || ifindex > UMK_MAX_IFS)
		return NULL;
	return s->ifs[ifindex];
}

struct umk_if *if_by_name(struct umk_stack *s, const char *name)
{
	for (int i = 1; i <= s->if_high; i++)
		if (s->ifs[i] && strcmp(s->ifs[i]->name, name) == 0)
			return s->ifs[i];
	return NULL;
}

struct umk_if *if_first(struct umk_stack *s) { return if_next(s, NULL); }

struct umk_if *if_next(struct umk_stack *s, struct umk_if *ifp)
{
	/* every packet sent looks for its destination among our addresses (output.c) */
	for (int i = ifp ? ifp->index + 1 : 1; i <= s->if_high; i++)
		if (s->ifs[i])
			return s->ifs[i];
	return NULL;
}

int umk_if_add(struct umk_stack *s, const struct umk_if_params *p)
{
	if (!p->name || !p->name[0] || strlen(p->name) >= UMK_IFNAMSIZ || !p->ops ||
	    !p->ops->transmit || p->mtu < 1280 ||
	    (p->offloads & ~(unsigned)(UMK_OFFLOAD_CSUM | UMK_OFFLOAD_TSO6)) ||
	    (p->offloads && !p->ops->transmit_offload) ||
	    ((p->offloads & UMK_OFFLOAD_TSO6) && !(p->offloads & UMK_OFFLOAD_CSUM)))
		return -EINVAL;
	if (if_by_name(s, p->name))
		return -EEXIST;
	int idx = 0;
	for (int i = 1; i <= UMK_MAX_IFS; i++)
		if (!s->ifs[i]) {
			idx = i;
			break;
		}
	if (!idx)
		return -ENOSPC;
	struct umk_if *ifp = calloc(1, sizeof(*ifp));
	if (!ifp)
		return -ENOMEM;
	ifp->index = idx;
	strcpy(ifp->name, p->name);
	memcpy(ifp->lladdr, p->lladdr, 6);
	ifp->device_mtu = p->mtu;
	ifp->ops = p->ops;
	ifp->ctx = p->ctx;
	ifp->offloads = p->offloads;
	ip6_ifconf_defaults(&ifp->conf, p->mtu);
	s->ifs[idx] = ifp;
	s->n_ifs++;
	if (idx > s->if_high)
		s->if_high = idx;
	ip6_if_attach(s, ifp);
	nd6_if_attach(s, ifp);
	mld_if_attach(s, ifp);
	addrconf_if_attach(s, ifp);
	return idx;
}

static void entry_begin(struct umk_stack *s) { s->in_entry++; }

static void loopback_drain(struct umk_stack *s)
{
	while (s->loop_head) {
		struct umk_pkt *pkt = s->loop_head;
		s->loop_head = pkt->next;
		if (!s->loop_head)
			s->loop_tail = NULL;
		s->loop_len--;
		pkt->next = NULL;
		struct umk_if *ifp = if_get(s, pkt->ifindex);
		if (!ifp) {
			pkt_free(s, pkt);
			continue;
		}
		ip6_input(s, ifp, pkt);
	}
}

static void entry_end(struct umk_stack *s)
{
	if (s->in_entry == 1)
		loopback_drain(s);
	s->in_entry--;
}

void loopback_enqueue(struct umk_stack *s, struct umk_if *ifp, struct umk_pkt *pkt)
{
	if (s->loop_len >= s->limits.max_loopback_queue) {
		COUNT(s, LOOPBACK_DROP_FULL);
		pkt_free(s, pkt);
		return;
	}
	COUNT(s, LOOPBACK_QUEUED);
	pkt->ifindex = (uint16_t)ifp->index;
	pkt->flags |= PKT_F_LOOPED;
	pkt->next = NULL;
	if (s->loop_tail)
		s->loop_tail->next = pkt;
	else
		s->loop_head = pkt;
	s->loop_tail = pkt;
	s->loop_len++;
	/* queued outside any entry point (the owner calling a mgmt function): deliver now */
	if (!s->in_entry) {
		entry_begin(s);
		entry_end(s);
	}
}

int umk_if_up(struct umk_stack *s, int ifindex)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	if (ifp->flags & UMK_IF_UP)
		return 0;
	entry_begin(s);
	ifp->flags |= UMK_IF_UP;
	mld_if_up(s, ifp);
	addrconf_if_up(s, ifp);
	nd6_if_up(s, ifp);
	entry_end(s);
	return 0;
}

int umk_if_down(struct umk_stack *s, int ifindex)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp)
		return -ENODEV;
	if (!(ifp->flags & UMK_IF_UP))
		return 0;
	entry_begin(s);
	nd6_if_down(s, ifp);
	addrconf_if_down(s, ifp);
	mld_if_down(s, ifp);
	ifp->flags &= ~UMK_IF_UP;
	entry_end(s);
	return 0;
}

int umk_if_index(struct umk_stack *s, const char *name)
{
	struct umk_if *ifp = if_by_name(s, name);
	return ifp ? ifp->index : 0;
}

const char *umk_if_name(struct umk_stack *s, int ifindex)
{
	struct umk_if *ifp = if_get(s, ifindex);
	return ifp ? ifp->name : NULL;
}

int umk_link_list(struct umk_stack *s, int (*cb)(void *, const struct umk_link_info *),
		  void *ctx)
{
	for (struct umk_if *ifp = if_first(s); ifp; ifp = if_next(s, ifp)) {
		struct umk_link_info li = { .ifindex = ifp->index, .mtu = (uint32_t)ifp->conf.mtu };
		strcpy(li.name, ifp->name);
		memcpy(li.lladdr, ifp->lladdr, 6);
		li.flags = UMK_LINK_F_MULTICAST;
		if (ifp->flags & UMK_IF_UP)
			li.flags |= UMK_LINK_F_UP | UMK_LINK_F_RUNNING;
		int r = cb(ctx, &li);
		if (r)
			return r;
	}
	return 0;
}

/* ---- frames and time ---- */

void umk_input_pkt(struct umk_stack *s, int ifindex, struct umk_pkt *pkt)
{
	struct umk_if *ifp = if_get(s, ifindex);
	if (!ifp || !(ifp->flags & UMK_IF_UP)) {
		COUNT(s, INPUT_BAD_IFINDEX);
		pkt_free(s, pkt);
		return;
	}
	entry_begin(s);
	pkt->ifindex = (uint16_t)ifindex;
	eth_input(s, ifp, pkt);
	entry_end(s);
}

void umk_input(struct umk_stack *s, int ifindex, const void *frame, size_t len)
{
	struct umk_pkt *pkt = umk_pkt_alloc(s, len);
	if (!pkt)
		return; /* counted by the pool */
	memcpy(pkt->data, frame, len);
	pkt->len = (uint32_t)len;
	umk_input_pkt(s, ifindex, pkt);
}

void umk_timers_run(struct umk_stack *s, umk_time_t now)
{
	if (now > s->now)
		s->now = now;
	entry_begin(s);
	timer_run_due(s);
	entry_end(s);
}

umk_time_t umk_next_deadline(struct umk_stack *s)
{
	return s->loop_head ? s->now : timer_next(s);
}

umk_time_t umk_now(const struct umk_stack *s) { return s->now; }

/* ---- hashing and the crypto boundary ---- */

uint32_t hash_addr(const struct umk_stack *s, const void *addr16, uint32_t zone)
{
	uint64_t a, b;
	memcpy(&a, addr16, 8);
	memcpy(&b, (const uint8_t *)addr16 + 8, 8);
	uint64_t h = (a ^ s->hash_key[0]) * 0x9e3779b97f4a7c15ULL;
	h ^= (b ^ s->hash_key[1]) + (h << 6) + (h >> 2);
	h = (h ^ zone) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (uint32_t)h;
}

void umk_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;
	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

/*
 * counters.c - the names of the counters, and `umk stats`' walk over them.
 */
#include <stdio.h>

#include "core/stack_int.h"

const char *const umk_counter_group[CNT__COUNT] = {
#define C(id, group, name) group,
#include "core/counters.def"
#undef C
};

const char *const umk_counter_name[CNT__COUNT] = {
#define C(id, group, name) name,
#include "core/counters.def"
#undef C
};

/* RFC 4443 message names, for the per-type ICMPv6 counters (RFC 4293 icmpMsgStatsTable). */
static const char *icmp6_type_name(unsigned t)
{
	switch (t) {
	case 1: return "DestUnreachs";
	case 2: return "PktTooBigs";
	case 3: return "TimeExcds";
	case 4: return "ParmProblems";
	case 128: return "Echos";
	case 129: return "EchoReplies";
	case 130: return "GroupMembQueries";
	case 131: return "GroupMembResponses";
	case 132: return "GroupMembReductions";
	case 133: return "RouterSolicits";
	case 134: return "RouterAdvertisements";
	case 135: return "NeighborSolicits";
	case 136: return "NeighborAdvertisements";
	case 137: return "Redirects";
	case 143: return "MLDv2Reports";
	default: return NULL;
	}
}

int umk_stats_list(struct umk_stack *s,
		   int (*cb)(void *ctx, const char *group, const char *name, uint64_t value),
		   void *ctx)
{
	int r;
	for (int i = 0; i < CNT__COUNT; i++)
		if ((r = cb(ctx, umk_counter_group[i], umk_counter_name[i], s->counters[i])))
			return r;
	for (int dir = 0; dir < 2; dir++) {
		const uint64_t *v = dir ? s->icmp6_out_type : s->icmp6_in_type;
		for (unsigned t = 0; t < 256; t++) {
			char name[48];
			const char *n = icmp6_type_name(t);
			if (!n && !v[t])
				continue;
			if (n)
				snprintf(name, sizeof(name), "%s%s", dir ? "Out" : "In", n);
			else
				snprintf(name, sizeof(name), "%sType%u", dir ? "Out" : "In", t);
			if ((r = cb(ctx, "icmp6", name, v[t])))
				return r;
		}
	}
	return 0;
}

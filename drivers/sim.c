/*
 * sim.c - simulated links. Each link is a hub: a frame sent by one port reaches every other
 * connected port on the link after the link's delay, unless the seeded loss drops it.
 * The event loop interleaves frame deliveries and every stack's timers in time order.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_MAX_LINKS 32
#define SIM_MAX_PORTS 128
#define SIM_MAX_STACKS 64

struct sim_frame {
	struct sim_frame *next;
	umk_time_t at;
	uint64_t seq;            /* FIFO among frames due at the same time */
	int link, from;
	size_t len;
	uint8_t data[];
};

struct sim_port {
	struct sim_net *net;
	int link;
	struct umk_stack *stack;
	int ifindex;
	bool connected;
};

struct sim_link {
	uint32_t delay;
	double loss;
};

struct sim_net {
	umk_time_t now;
	uint64_t rng, seq;
	struct sim_link links[SIM_MAX_LINKS];
	int n_links;
	struct sim_port ports[SIM_MAX_PORTS];
	int n_ports;
	struct umk_stack *stacks[SIM_MAX_STACKS];
	int n_stacks;
	struct sim_frame *queue; /* sorted by (at, seq) */
	sim_watch_fn watch;
	void *watch_ctx;
};

static double sim_rand(struct sim_net *net)
{
	/* xorshift64*: enough for seeded loss */
	net->rng ^= net->rng >> 12;
	net->rng ^= net->rng << 25;
	net->rng ^= net->rng >> 27;
	return (double)((net->rng * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

struct sim_net *sim_net_new(uint64_t seed)
{
	struct sim_net *net = calloc(1, sizeof(*net));
	if (!net)
		return NULL;
	net->rng = seed ? seed : 0x5eed;
	net->now = 1000; /* not zero: protocols may treat time 0 specially */
	return net;
}

void sim_net_free(struct sim_net *net)
{
	if (!net)
		return;
	for (int i = 0; i < net->n_stacks; i++)
		umk_stack_free(net->stacks[i]);
	while (net->queue) {
		struct sim_frame *f = net->queue;
		net->queue = f->next;
		free(f);
	}
	free(net);
}

int sim_link_new(struct sim_net *net, uint32_t delay_ms, double loss)
{
	if (net->n_links == SIM_MAX_LINKS)
		return -1;
	net->links[net->n_links] = (struct sim_link){ delay_ms, loss };
	return net->n_links++;
}

void sim_link_set_loss(struct sim_net *net, int link, double loss) { net->links[link].loss = loss; }

struct umk_stack *sim_stack_new(struct sim_net *net, const struct umk_stack_config *cfg)
{
	struct umk_stack_config def;
	if (net->n_stacks == SIM_MAX_STACKS)
		return NULL;
	if (!cfg) {
		umk_stack_config_defaults(&def);
		def.seed = (uint64_t)(sim_rand(net) * 1e15) + (uint64_t)net->n_stacks;
		/* reproducible: the RFC 7217 secret is derived from the seed */
		memset(def.secret_key, 0, sizeof(def.secret_key));
		def.pool_small = 512;
		def.pool_medium = 8;
		def.pool_large = 16;
		cfg = &def;
	}
	struct umk_stack *s = umk_stack_new(cfg, net->now);
	if (s)
		net->stacks[net->n_stacks++] = s;
	return s;
}

static void enqueue(struct sim_net *net, int link, int from, const void *frame, size_t len)
{
	if (net->watch)
		net->watch(net->watch_ctx, link, from, frame, len, net->now);
	if (net->links[link].loss > 0 && sim_rand(net) < net->links[link].loss)
		return;
	struct sim_frame *f = malloc(sizeof(*f) + len);
	if (!f)
		return;
	f->at = net->now + net->links[link].delay;
	f->seq = net->seq++;
	f->link = link;
	f->from = from;
	f->len = len;
	memcpy(f->data, frame, len);
	struct sim_frame **pp = &net->queue;
	while (*pp && ((*pp)->at < f->at || ((*pp)->at == f->at && (*pp)->seq < f->seq)))
		pp = &(*pp)->next;
	f->next = *pp;
	*pp = f;
}

static int sim_transmit(void *ctx, const void *frame, size_t len)
{
	struct sim_port *p = ctx;
	if (!p->connected)
		return 0;
	enqueue(p->net, p->link, (int)(p - p->net->ports), frame, len);
	return 0;
}

static const struct umk_link_ops sim_ops = { .transmit = sim_transmit };

int sim_attach(struct sim_net *net, int link, struct umk_stack *s, const char *ifname,
	       const uint8_t mac[6], uint32_t mtu, int *port)
{
	if (net->n_ports == SIM_MAX_PORTS || link < 0 || link >= net->n_links)
		return -1;
	struct sim_port *p = &net->ports[net->n_ports];
	*p = (struct sim_port){ net, link, s, 0, true };
	struct umk_if_params ip = { .name = ifname, .mtu = mtu, .ops = &sim_ops, .ctx = p };
	memcpy(ip.lladdr, mac, 6);
	int idx = umk_if_add(s, &ip);
	if (idx < 0)
		return idx;
	p->ifindex = idx;
	if (port)
		*port = net->n_ports;
	net->n_ports++;
	return idx;
}

void sim_inject(struct sim_net *net, int link, const void *frame, size_t len)
{
	enqueue(net, link, -1, frame, len);
}

void sim_watch(struct sim_net *net, sim_watch_fn fn, void *ctx)
{
	net->watch = fn;
	net->watch_ctx = ctx;
}

void sim_port_set_connected(struct sim_net *net, int port, bool connected)
{
	net->ports[port].connected = connected;
}

umk_time_t sim_now(const struct sim_net *net) { return net->now; }

static void deliver(struct sim_net *net, struct sim_frame *f)
{
	for (int i = 0; i < net->n_ports; i++) {
		struct sim_port *p = &net->ports[i];
		if (p->link != f->link || i == f->from || !p->connected)
			continue;
		umk_timers_run(p->stack, net->now);
		umk_input(p->stack, p->ifindex, f->data, f->len);
	}
}

void sim_run_until(struct sim_net *net, umk_time_t t)
{
	for (;;) {
		umk_time_t next = UMK_TIME_NEVER;
		for (int i = 0; i < net->n_stacks; i++) {
			umk_time_t d = umk_next_deadline(net->stacks[i]);
			if (d < next)
				next = d;
		}
		if (net->queue && net->queue->at < next)
			next = net->queue->at;
		if (next > t)
			break;
		if (next > net->now)
			net->now = next;
		if (net->queue && net->queue->at <= net->now) {
			struct sim_frame *f = net->queue;
			net->queue = f->next;
			deliver(net, f);
			free(f);
			continue;
		}
		for (int i = 0; i < net->n_stacks; i++)
			if (umk_next_deadline(net->stacks[i]) <= net->now)
				umk_timers_run(net->stacks[i], net->now);
	}
	if (t > net->now)
		net->now = t;
	for (int i = 0; i < net->n_stacks; i++)
		umk_timers_run(net->stacks[i], net->now);
}

void sim_run_for(struct sim_net *net, uint64_t ms) { sim_run_until(net, net->now + ms); }

/*
 * sim.h - in-process simulated links: several stacks in one process, joined by hub-like
 * links with a delay and seeded loss, on one injected clock. Simulations (tests/sim/) run
 * hours of protocol time in milliseconds, deterministically.
 *
 *   struct sim_net *net = sim_net_new(seed);
 *   int l = sim_link_new(net, 1, 0.0);               // 1 ms delay, no loss
 *   struct umk_stack *a = sim_stack_new(net, NULL);  // stack on the sim clock
 *   int ifa = sim_attach(net, l, a, "eth0", mac, 1500);
 *   umk_if_up(a, ifa);
 *   sim_run_for(net, 5000);
 */
#ifndef UMK_DRIVERS_SIM_H
#define UMK_DRIVERS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <umikame/umikame.h>

struct sim_net;

/* Called for every frame put on a link (before loss): tests watch the wire here. */
typedef void (*sim_watch_fn)(void *ctx, int link, int from_port, const uint8_t *frame,
			     size_t len, umk_time_t now);

struct sim_net *sim_net_new(uint64_t seed);
void sim_net_free(struct sim_net *net);       /* frees the stacks made by sim_stack_new too */
int sim_link_new(struct sim_net *net, uint32_t delay_ms, double loss);
void sim_link_set_loss(struct sim_net *net, int link, double loss);
/* A stack on the simulation clock; cfg NULL = defaults (with a seed from the net). */
struct umk_stack *sim_stack_new(struct sim_net *net, const struct umk_stack_config *cfg);
/* Adds an interface to s on link; returns the ifindex (negative errno on failure). The port
 * number (for watchers) is returned through port if not NULL. */
int sim_attach(struct sim_net *net, int link, struct umk_stack *s, const char *ifname,
	       const uint8_t mac[6], uint32_t mtu, int *port);
/* Puts a raw frame on a link as if sent by port -1 (a test's hand-made packet). */
void sim_inject(struct sim_net *net, int link, const void *frame, size_t len);
void sim_watch(struct sim_net *net, sim_watch_fn fn, void *ctx);
/* Cuts a port off its link (frames neither sent nor received) or reconnects it. */
void sim_port_set_connected(struct sim_net *net, int port, bool connected);

umk_time_t sim_now(const struct sim_net *net);
/* Runs frames and timers of every stack in time order until `t` (inclusive). */
void sim_run_until(struct sim_net *net, umk_time_t t);
void sim_run_for(struct sim_net *net, uint64_t ms);

#endif

/*
 * umikamed.c - the daemon that plays the kernel (DESIGN.md): it owns the TAP links, runs the
 * stack in one epoll loop (TAP fds, the control socket and its clients, one timerfd armed
 * from umk_next_deadline, a signalfd) and serves the control socket (server.c).
 *
 *   umikamed [-f] [-v] [-n] [-O] -i IFNAME [-i IFNAME]... [-s SOCKPATH] [-c FILE]
 *
 * Start-up order: check the config whole, create the stack, open and add each TAP, bring the
 * interfaces up, apply the config (errors still reach the terminal), detach, build the loop,
 * then make the control socket appear; so a client that finds the socket finds a running
 * stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "umikame/socket.h"
#include "umikamed.h"

/* epoll tags for the daemon's own fds; clients carry their pointer (never this small) */
enum { TAG_TIMER = 1, TAG_SIGNAL = 2, TAG_LISTEN = 3, TAG_TAP0 = 16 };
#define TAG_MAX (TAG_TAP0 + UMKD_MAX_TAPS)

/* frames read from one TAP before looking at the other fds (fairness) */
#define RX_BUDGET 64

static umk_time_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (umk_time_t)ts.tv_sec * 1000 + (umk_time_t)ts.tv_nsec / 1000000;
}

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static void vlog(struct daemon *d, int level, const char *fmt, va_list ap)
{
	if (level > d->log_level)
		return;
	if (!d->foreground) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
		vsyslog(prio[level < 0 ? 0 : level > 3 ? 3 : level], fmt, ap);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld umikamed: %s: ", when, ts.tv_nsec / 1000000,
		level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void dlog(struct daemon *d, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(d, level, fmt, ap);
	va_end(ap);
}

static void stack_log(void *ctx, int level, const char *msg)
{
	dlog(ctx, level, "%s", msg);
}

int daemon_tap_stats(struct daemon *d,
		     int (*cb)(void *ctx, const char *group, const char *name, uint64_t value),
		     void *ctx)
{
	for (int i = 0; i < d->ntaps; i++) {
		const struct tap_stats *st = tap_stats(d->taps[i]);
		const struct { const char *name; uint64_t v; } rows[] = {
			{ "RxFrames", st->rx_frames }, { "RxBytes", st->rx_bytes },
			{ "RxNoBuffer", st->rx_nobuf }, { "RxErrors", st->rx_errors },
			{ "TxFrames", st->tx_frames }, { "TxBytes", st->tx_bytes },
			{ "TxQueueFull", st->tx_again }, { "TxErrors", st->tx_errors },
			{ "Offloads", tap_offloads(d->taps[i]) },
			{ "RxGsoFrames", st->rx_gso }, { "RxCsumPartial", st->rx_csum_partial },
			{ "RxOffloadRefused", st->rx_offload_bad },
			{ "TxGsoFrames", st->tx_gso }, { "TxCsumPartial", st->tx_csum_partial },
		};
		char group[32];
		snprintf(group, sizeof(group), "tap %s", tap_name(d->taps[i]));
		for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
			int r = cb(ctx, group, rows[k].name, rows[k].v);
			if (r)
				return r;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: umikamed [-f] [-v] [-n] [-O] -i IFNAME [-i IFNAME]... [-s SOCKPATH] [-c FILE]\n"
		"  -i IFNAME   create TAP device IFNAME, or attach to it if it exists (repeatable)\n"
		"  -O          no TAP offloads (no virtio-net header: checksums and segmentation\n"
		"              all done here, one frame per system call)\n"
		"  -s SOCKPATH control socket (default $UMIKAME_SOCKET, else %s)\n"
		"  -c FILE     apply a file of umk command lines at start\n"
		"  -f          stay in the foreground and log to stderr\n"
		"  -n          only check the configuration file, then exit\n"
		"  -v          debug logging\n"
		"  -h          this help\n",
		UMKD_DEFAULT_SOCKET);
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)mono_ms() ^ ((uint64_t)getpid() << 32);
	return seed;
}

static void arm_timer(struct daemon *d)
{
	umk_time_t t = umk_next_deadline(d->stack);
	/* the stack's clock is CLOCK_MONOTONIC in ms; never 0, which would disarm */
	if (t == 0)
		t = 1;
	if (t == d->timer_armed)
		return;         /* one system call less per turn of the loop under traffic */
	d->timer_armed = t;
	struct itimerspec its = { 0 };
	if (t != UMK_TIME_NEVER) {
		its.it_value.tv_sec = (time_t)(t / 1000);
		its.it_value.tv_nsec = (long)(t % 1000) * 1000000;
	}
	timerfd_settime(d->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int epoll_add(struct daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int setup_loop(struct daemon *d)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->timer_armed = 0;                 /* nothing armed yet (no deadline is 0) */
	if (d->epfd < 0 || d->sigfd < 0 || d->timerfd < 0 || epoll_add(d, d->sigfd, TAG_SIGNAL) ||
	    epoll_add(d, d->timerfd, TAG_TIMER))
		return -1;
	for (int i = 0; i < d->ntaps; i++)
		if (epoll_add(d, tap_fd(d->taps[i]), TAG_TAP0 + (uint64_t)i))
			return -1;
	return 0;
}

/* Returns when a signal asks us to stop. */
static void run(struct daemon *d)
{
	struct epoll_event evs[32];
	for (;;) {
		arm_timer(d);
		int n = epoll_wait(d->epfd, evs, 32, -1);
		if (n < 0 && errno != EINTR) {
			dlog(d, UMK_LOG_ERR, "epoll_wait: %s", strerror(errno));
			return;
		}
		/* time first: frames and requests are handled at the current time */
		umk_timers_run(d->stack, mono_ms());
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_TIMER) {
				uint64_t expirations;
				while (read(d->timerfd, &expirations, sizeof(expirations)) > 0)
					;
				d->timer_armed = 0;     /* spent: arm again, whatever the deadline */
			} else if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo si;
				while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						continue;
					dlog(d, UMK_LOG_INFO, "signal %u: shutting down", si.ssi_signo);
					return;
				}
			} else if (tag == TAG_LISTEN) {
				server_accept(d);
			} else if (tag >= TAG_TAP0 && tag < TAG_MAX) {
				/* what the batch's segments call for goes out after it: one ACK
				 * for a run of segments of one connection, as GRO would make */
				umk_cork(d->stack);
				tap_rx(d->taps[tag - TAG_TAP0], RX_BUDGET);
				umk_uncork(d->stack);
			} else {
				server_client_event(d, evs[i].data.ptr, evs[i].events);
			}
		}
	}
}

static void shutdown_all(struct daemon *d)
{
	server_close(d);
	for (int i = 0; i < d->ntaps; i++) {
		if (tap_ifindex(d->taps[i]) > 0)
			umk_if_down(d->stack, tap_ifindex(d->taps[i]));
	}
	umk_stack_free(d->stack);
	d->stack = NULL;
	for (int i = 0; i < d->ntaps; i++)
		tap_close(d->taps[i]);
	d->ntaps = 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .epfd = -1, .timerfd = -1, .sigfd = -1, .listen_fd = -1,
			    .log_level = UMK_LOG_INFO, .uid = getuid() };
	char *ifnames[UMKD_MAX_TAPS];
	int nif = 0, opt;
	const char *sock = NULL, *config = NULL;
	bool check_only = false;
	unsigned tap_flags = TAP_OFFLOADS;

	while ((opt = getopt(argc, argv, "fi:s:c:nvOh")) != -1) {
		switch (opt) {
		case 'f': d.foreground = true; break;
		case 'v': d.log_level = UMK_LOG_DEBUG; break;
		case 'n': check_only = true; break;
		case 'O': tap_flags &= ~(unsigned)TAP_OFFLOADS; break;
		case 's': sock = optarg; break;
		case 'c': config = optarg; break;
		case 'i':
			if (nif == UMKD_MAX_TAPS) {
				fprintf(stderr, "umikamed: at most %d interfaces\n", UMKD_MAX_TAPS);
				return 2;
			}
			if (!optarg[0] || strlen(optarg) >= UMK_IFNAMSIZ) {
				fprintf(stderr, "umikamed: invalid interface name \"%s\"\n", optarg);
				return 2;
			}
			for (int i = 0; i < nif; i++)
				if (strcmp(ifnames[i], optarg) == 0) {
					fprintf(stderr, "umikamed: interface \"%s\" given twice\n", optarg);
					return 2;
				}
			ifnames[nif++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "umikamed: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (config && config_load(&d, config, ifnames, nif, true))
		return 1;
	if (check_only) {
		if (config)
			printf("%s: configuration OK\n", config);
		return 0;
	}
	if (!nif) {
		fprintf(stderr, "umikamed: no interface; give at least one -i IFNAME\n");
		return 2;
	}
	if (!sock)
		sock = getenv("UMIKAME_SOCKET");
	if (!sock || !sock[0])
		sock = UMKD_DEFAULT_SOCKET;
	if (strlen(sock) >= sizeof(d.sockpath)) {
		fprintf(stderr, "umikamed: socket path too long: %s\n", sock);
		return 2;
	}
	strcpy(d.sockpath, sock);
	if (!d.foreground)
		openlog("umikamed", LOG_PID, LOG_DAEMON);

	struct umk_stack_config cfg;
	umk_stack_config_defaults(&cfg);
	cfg.seed = random_seed();
	secret_key_load(&d, UMKD_SECRET_FILE, cfg.secret_key);
	cfg.log = stack_log;
	cfg.log_ctx = &d;
	cfg.log_level = d.log_level;
	d.stack = umk_stack_new(&cfg, mono_ms());
	uint8_t mac_key[32];
	memcpy(mac_key, cfg.secret_key, 32);
	explicit_bzero(cfg.secret_key, sizeof(cfg.secret_key));
	if (!d.stack) {
		fprintf(stderr, "umikamed: cannot create the stack (out of memory)\n");
		return 1;
	}

	int status = 1;
	char err[256];
	for (int i = 0; i < nif; i++) {
		uint8_t mac[6];
		tap_derive_mac(mac_key, ifnames[i], mac);
		struct tap *t = tap_open(ifnames[i], mac, tap_flags, err, sizeof(err));
		if (!t) {
			fprintf(stderr, "umikamed: %s\n", err);
			goto out;
		}
		d.taps[d.ntaps++] = t;
		int idx = tap_attach(t, d.stack);
		if (idx < 0) {
			fprintf(stderr, "umikamed: %s: cannot add the interface: %s\n", ifnames[i],
				strerror(-idx));
			goto out;
		}
		dlog(&d, UMK_LOG_INFO, "%s: %s TAP, mtu %u, ifindex %d, offloads%s%s%s", ifnames[i],
		     tap_created(t) ? "created" : "attached to", tap_mtu(t), idx,
		     tap_offloads(t) & UMK_OFFLOAD_CSUM ? " checksum" : "",
		     tap_offloads(t) & UMK_OFFLOAD_TSO6 ? " tso6" : "", tap_offloads(t) ? "" : " none");
	}
	explicit_bzero(mac_key, sizeof(mac_key));
	umk_timers_run(d.stack, mono_ms());
	for (int i = 0; i < d.ntaps; i++) {
		int r = umk_if_up(d.stack, tap_ifindex(d.taps[i]));
		if (r < 0) {
			fprintf(stderr, "umikamed: %s: cannot bring up: %s\n", tap_name(d.taps[i]),
				strerror(-r));
			goto out;
		}
	}
	if (config && config_load(&d, config, ifnames, nif, false))
		goto out;

	/* the default socket's directory is ours to make; a path given by hand is not */
	if (strcmp(d.sockpath, UMKD_DEFAULT_SOCKET) == 0)
		mkdir("/run/umikame", 0755);
	if (!d.foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "umikamed: daemon: %s\n", strerror(errno));
		goto out;
	}
	/* after daemon(): a signalfd's epoll wake-ups belong to the process that made them */
	if (setup_loop(&d)) {
		dlog(&d, UMK_LOG_ERR, "event loop setup: %s", strerror(errno));
		goto out;
	}
	if (server_open(&d, err, sizeof(err))) {
		dlog(&d, UMK_LOG_ERR, "%s", err);
		goto out;
	}
	if (epoll_add(&d, d.listen_fd, TAG_LISTEN)) {
		dlog(&d, UMK_LOG_ERR, "epoll: %s", strerror(errno));
		goto out;
	}
	dlog(&d, UMK_LOG_INFO, "running; control socket %s", d.sockpath);
	run(&d);
	status = 0;
out:
	explicit_bzero(mac_key, sizeof(mac_key));
	shutdown_all(&d);
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.timerfd >= 0)
		close(d.timerfd);
	if (d.sigfd >= 0)
		close(d.sigfd);
	return status;
}

/*
 * tap.c - the Linux TAP driver (see tap.h). Frames are read straight into the stack's packet
 * buffers and written out with one write() each; the fd is non-blocking and a full kernel
 * queue drops the frame (counted) rather than stall the daemon's loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tap.h"

struct tap {
	int fd;
	int ifindex;                 /* in the stack */
	bool created;                /* we made it: it goes away when fd closes */
	char name[IFNAMSIZ];
	uint8_t mac[6];              /* ours */
	uint8_t kernel_mac[6];
	uint32_t mtu;
	struct umk_stack *stack;
	struct tap_stats stats;
};

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -errno;
	int r = ioctl(sk, req, ifr) < 0 ? -errno : 0;
	close(sk);
	return r;
}

void tap_derive_mac(const uint8_t key[32], const char *name, uint8_t mac[6])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	static const char label[] = "umikame tap mac";
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, label, sizeof(label)) && EVP_DigestUpdate(ctx, key, 32) &&
	    EVP_DigestUpdate(ctx, name, strlen(name)) && EVP_DigestFinal_ex(ctx, md, &mdlen) &&
	    mdlen >= 6) {
		memcpy(mac, md, 6);
	} else {
		memcpy(mac, key, 6);
	}
	EVP_MD_CTX_free(ctx);
	explicit_bzero(md, sizeof(md));
	/* IEEE 802: bit 0x02 of the first octet = locally administered, 0x01 clear = unicast */
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

struct tap *tap_open(const char *name, const uint8_t mac[6], char *err, size_t errlen)
{
	if (!name[0] || strlen(name) >= IFNAMSIZ || strlen(name) >= UMK_IFNAMSIZ) {
		snprintf(err, errlen, "invalid interface name \"%s\"", name);
		return NULL;
	}
	struct tap *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	strcpy(t->name, name);
	t->created = if_nametoindex(name) == 0;

	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		free(t);
		return NULL;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s%s", name, strerror(e),
			 t->created ? "" : " (it exists; is it a TAP device we may use?)");
		goto fail;
	}

	int r;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if ((r = ifreq_ioctl(SIOCGIFMTU, &ifr))) {
		snprintf(err, errlen, "%s: SIOCGIFMTU: %s", name, strerror(-r));
		goto fail;
	}
	t->mtu = (uint32_t)ifr.ifr_mtu;
	if (t->mtu < 1280) {
		/* RFC 8200 5: IPv6 needs a link MTU of at least 1280 */
		snprintf(err, errlen, "%s: MTU %u is below the IPv6 minimum of 1280", name, t->mtu);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if ((r = ifreq_ioctl(SIOCGIFHWADDR, &ifr)) == 0)
		memcpy(t->kernel_mac, ifr.ifr_hwaddr.sa_data, 6);

	memcpy(t->mac, mac, 6);
	t->mac[0] = (uint8_t)((t->mac[0] & 0xfc) | 0x02);
	if (memcmp(t->mac, t->kernel_mac, 6) == 0)
		t->mac[5] ^= 0x01; /* both ends of the link must differ */

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if ((r = ifreq_ioctl(SIOCGIFFLAGS, &ifr)) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		r = ifreq_ioctl(SIOCSIFFLAGS, &ifr);
	}
	if (r) {
		snprintf(err, errlen, "%s: cannot bring the kernel side up: %s", name, strerror(-r));
		goto fail;
	}
	return t;
fail:
	close(t->fd);
	free(t);
	return NULL;
}

static int tap_transmit(void *ctx, const void *frame, size_t len)
{
	struct tap *t = ctx;
	ssize_t n = write(t->fd, frame, len);
	if (n == (ssize_t)len) {
		t->stats.tx_frames++;
		t->stats.tx_bytes += len;
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		t->stats.tx_again++;
		return -EAGAIN;
	}
	t->stats.tx_errors++;
	return n < 0 ? -errno : -EIO;
}

static const struct umk_link_ops tap_ops = { .transmit = tap_transmit };

int tap_attach(struct tap *t, struct umk_stack *s)
{
	struct umk_if_params p = { .name = t->name, .mtu = t->mtu, .ops = &tap_ops, .ctx = t };
	memcpy(p.lladdr, t->mac, 6);
	int r = umk_if_add(s, &p);
	if (r > 0) {
		t->ifindex = r;
		t->stack = s;
	}
	return r;
}

int tap_rx(struct tap *t, int budget)
{
	/* Ethernet header and a possible 802.1Q tag on top of the MTU */
	size_t room = (size_t)t->mtu + 14 + 4;
	int n = 0;
	while (n < budget) {
		struct umk_pkt *pkt = t->stack ? umk_pkt_alloc(t->stack, room) : NULL;
		if (!pkt) {
			uint8_t scratch[2048];
			ssize_t k = read(t->fd, scratch, sizeof(scratch));
			if (k < 0)
				break;
			t->stats.rx_nobuf++;
			n++;
			continue;
		}
		ssize_t k = read(t->fd, umk_pkt_data(pkt), umk_pkt_room(pkt));
		if (k <= 0) {
			if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				t->stats.rx_errors++;
			umk_pkt_free(t->stack, pkt);
			break;
		}
		t->stats.rx_frames++;
		t->stats.rx_bytes += (uint64_t)k;
		umk_pkt_set_len(pkt, (size_t)k);
		umk_input_pkt(t->stack, t->ifindex, pkt);
		n++;
	}
	return n;
}

int tap_fd(const struct tap *t) { return t->fd; }
int tap_ifindex(const struct tap *t) { return t->ifindex; }
const char *tap_name(const struct tap *t) { return t->name; }
bool tap_created(const struct tap *t) { return t->created; }
uint32_t tap_mtu(const struct tap *t) { return t->mtu; }
const struct tap_stats *tap_stats(const struct tap *t) { return &t->stats; }

void tap_close(struct tap *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

/*
 * tap.c - the Linux TAP driver (see tap.h). Frames are read straight into the stack's packet
 * buffers and written out with one write() each; the fd is non-blocking and a full kernel
 * queue drops the frame (counted) rather than stall the daemon's loop.
 *
 * With TAP_OFFLOADS the TAP speaks the virtio-net header (IFF_VNET_HDR, struct
 * virtio_net_hdr of <linux/virtio_net.h> in front of every frame) and offers the kernel
 * TUN_F_CSUM | TUN_F_TSO6 | TUN_F_TSO_ECN: the kernel then hands over TCP/IPv6
 * super-segments of up to 64 KiB with the checksum left partial, and takes the same from us
 * (umikame.h UMK_OFFLOAD_*): one system call per 64 KiB instead of per 1,500 bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <endian.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tap.h"

/* the largest frame with offloads: Ethernet and 802.1Q, the IPv6 header, a 64 KiB payload */
#define UMK_TAP_MAX_FRAME (14 + 4 + 40 + 65535)
/* frames up to this size are copied out of a 64 KiB buffer (the small pool's class less the
 * headroom umk_pkt_alloc keeps) */
#define COPYBREAK 1900

struct tap {
	int fd;
	int ifindex;                 /* in the stack */
	bool created;                /* we made it: it goes away when fd closes */
	char name[IFNAMSIZ];
	uint8_t mac[6];              /* ours */
	uint8_t kernel_mac[6];
	uint32_t mtu;
	unsigned offloads;           /* UMK_OFFLOAD_* the kernel side takes; vnet: headers on */
	bool vnet;
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

/* The virtio-net header on, and the offloads the kernel may use towards us. The fields are
 * little-endian (TUNSETVNETLE; on a little-endian host that is also the legacy default). */
static int vnet_setup(struct tap *t, char *err, size_t errlen)
{
	int hsz = (int)sizeof(struct virtio_net_hdr), le = 1;
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hsz) < 0) {
		snprintf(err, errlen, "%s: TUNSETVNETHDRSZ: %s", t->name, strerror(errno));
		return -1;
	}
	if (ioctl(t->fd, TUNSETVNETLE, &le) < 0 && __BYTE_ORDER != __LITTLE_ENDIAN) {
		snprintf(err, errlen, "%s: TUNSETVNETLE: %s", t->name, strerror(errno));
		return -1;
	}
	t->vnet = true;
	if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO6 | TUN_F_TSO_ECN)) == 0)
		t->offloads = UMK_OFFLOAD_CSUM | UMK_OFFLOAD_TSO6;
	else if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) == 0)
		t->offloads = UMK_OFFLOAD_CSUM;
	return 0;
}

struct tap *tap_open(const char *name, const uint8_t mac[6], unsigned flags, char *err,
		     size_t errlen)
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
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | ((flags & TAP_OFFLOADS) ? IFF_VNET_HDR : 0));
	strcpy(ifr.ifr_name, name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s%s", name, strerror(e),
			 t->created ? "" : " (it exists; is it a TAP device we may use?)");
		goto fail;
	}
	if ((flags & TAP_OFFLOADS) && vnet_setup(t, err, errlen))
		goto fail;

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

static int tx_result(struct tap *t, ssize_t n, size_t len)
{
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

/* One frame with its virtio-net header (all zero: nothing left to do). */
static int vnet_write(struct tap *t, const struct virtio_net_hdr *vh, const void *frame,
		      size_t len)
{
	struct iovec iov[2] = { { (void *)vh, sizeof(*vh) }, { (void *)frame, len } };
	ssize_t n = writev(t->fd, iov, 2);
	return tx_result(t, n < (ssize_t)sizeof(*vh) ? (n < 0 ? n : 0) : n - (ssize_t)sizeof(*vh),
			 len);
}

static int tap_transmit(void *ctx, const void *frame, size_t len)
{
	struct tap *t = ctx;
	if (t->vnet) {
		struct virtio_net_hdr vh = { 0 };
		return vnet_write(t, &vh, frame, len);
	}
	return tx_result(t, write(t->fd, frame, len), len);
}

static int tap_transmit_offload(void *ctx, const void *frame, size_t len,
				const struct umk_frame_offload *off)
{
	struct tap *t = ctx;
	struct virtio_net_hdr vh = { 0 };
	if (!t->vnet)
		return tap_transmit(ctx, frame, len);
	if (off->flags & UMK_FRAME_CSUM_PARTIAL) {
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = htole16(off->csum_start);
		vh.csum_offset = htole16(off->csum_offset);
		t->stats.tx_csum_partial++;
	}
	if (off->gso_size) {
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		vh.gso_size = htole16(off->gso_size);
		vh.hdr_len = htole16(off->hdr_len);
		t->stats.tx_gso++;
	}
	return vnet_write(t, &vh, frame, len);
}

static const struct umk_link_ops tap_ops = { .transmit = tap_transmit,
					     .transmit_offload = tap_transmit_offload };

int tap_attach(struct tap *t, struct umk_stack *s)
{
	struct umk_if_params p = { .name = t->name, .mtu = t->mtu, .ops = &tap_ops, .ctx = t,
				   .offloads = t->offloads };
	memcpy(p.lladdr, t->mac, 6);
	int r = umk_if_add(s, &p);
	if (r > 0) {
		t->ifindex = r;
		t->stack = s;
	}
	return r;
}

/* What the kernel left to do on a received frame, told to the stack; -1 for a header we
 * did not offer to take (counted, the frame dropped). */
static int vnet_rx(struct tap *t, const struct virtio_net_hdr *vh, struct umk_pkt *pkt)
{
	struct umk_frame_offload off = { 0 };
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		off.flags |= UMK_FRAME_CSUM_PARTIAL;
		off.csum_start = le16toh(vh->csum_start);
		off.csum_offset = le16toh(vh->csum_offset);
		t->stats.rx_csum_partial++;
	} else if (vh->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		off.flags |= UMK_FRAME_CSUM_VALID;
	}
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if (type == VIRTIO_NET_HDR_GSO_TCPV6) {
		off.gso_size = le16toh(vh->gso_size);
		off.hdr_len = le16toh(vh->hdr_len);
		t->stats.rx_gso++;
	} else if (type != VIRTIO_NET_HDR_GSO_NONE) {
		t->stats.rx_offload_bad++;
		return -1;
	}
	if ((off.flags || off.gso_size) && umk_pkt_set_offload(pkt, &off)) {
		t->stats.rx_offload_bad++;
		return -1;
	}
	return 0;
}

/* A frame small enough for a small buffer leaves the 64 KiB one it was read into (frames
 * held in queues must not pin the large pool); NULL if the pool is empty (counted). */
static struct umk_pkt *copybreak(struct tap *t, struct umk_pkt *big, size_t len)
{
	if (len > COPYBREAK)
		return big;
	struct umk_pkt *p = umk_pkt_alloc(t->stack, len);
	if (!p) {
		t->stats.rx_nobuf++;
		umk_pkt_free(t->stack, big);
		return NULL;
	}
	memcpy(umk_pkt_data(p), umk_pkt_data(big), len);
	umk_pkt_set_len(p, len);
	umk_pkt_free(t->stack, big);
	return p;
}

int tap_rx(struct tap *t, int budget)
{
	/* Ethernet header and a possible 802.1Q tag on top of the MTU, or a whole
	 * super-segment (a 64 KiB IPv6 payload) when the kernel may send those */
	size_t room = t->vnet ? (size_t)UMK_TAP_MAX_FRAME : (size_t)t->mtu + 14 + 4;
	int n = 0;
	while (n < budget) {
		struct umk_pkt *pkt = t->stack ? umk_pkt_alloc(t->stack, room) : NULL;
		if (!pkt) {
			/* the kernel drops what does not fit: a few bytes take the frame off */
			uint8_t scratch[64];
			ssize_t k = read(t->fd, scratch, sizeof(scratch));
			if (k < 0)
				break;
			t->stats.rx_nobuf++;
			n++;
			continue;
		}
		struct virtio_net_hdr vh;
		ssize_t k;
		if (t->vnet) {
			struct iovec iov[2] = { { &vh, sizeof(vh) },
						{ umk_pkt_data(pkt), umk_pkt_room(pkt) } };
			k = readv(t->fd, iov, 2);
			if (k > 0 && k <= (ssize_t)sizeof(vh)) {    /* no frame behind it */
				t->stats.rx_errors++;
				umk_pkt_free(t->stack, pkt);
				n++;
				continue;
			}
			if (k > 0)
				k -= (ssize_t)sizeof(vh);
		} else {
			k = read(t->fd, umk_pkt_data(pkt), umk_pkt_room(pkt));
		}
		if (k <= 0) {
			if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				t->stats.rx_errors++;
			umk_pkt_free(t->stack, pkt);
			break;
		}
		n++;
		t->stats.rx_frames++;
		t->stats.rx_bytes += (uint64_t)k;
		if (t->vnet && !(pkt = copybreak(t, pkt, (size_t)k)))
			continue;
		umk_pkt_set_len(pkt, (size_t)k);
		if (t->vnet && vnet_rx(t, &vh, pkt)) {
			umk_pkt_free(t->stack, pkt);
			continue;
		}
		umk_input_pkt(t->stack, t->ifindex, pkt);
	}
	return n;
}

int tap_fd(const struct tap *t) { return t->fd; }
int tap_ifindex(const struct tap *t) { return t->ifindex; }
const char *tap_name(const struct tap *t) { return t->name; }
bool tap_created(const struct tap *t) { return t->created; }
uint32_t tap_mtu(const struct tap *t) { return t->mtu; }
unsigned tap_offloads(const struct tap *t) { return t->offloads; }
const struct tap_stats *tap_stats(const struct tap *t) { return &t->stats; }

void tap_close(struct tap *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

/*
 * msg.c - the control message codec (format in msg.h): a pure parser that checks every length
 * against the end of the buffer once, and a builder. No stack state; fuzzed by
 * fuzz/fuzz_ctl.c, tested by tests/unit/test_ctl.c.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/msg.h"

enum kind { K_NONE, K_U8, K_U16, K_U32, K_U64, K_IN6, K_MAC, K_STR, K_RAW };

/* The expected kind of each attribute type; a value of another length is refused. */
static const uint8_t attr_kind[A__COUNT] = {
	[A_ERRNO] = K_U32,        [A_ERRMSG] = K_STR,        [A_IFINDEX] = K_U32,
	[A_IFNAME] = K_STR,       [A_LLADDR] = K_MAC,        [A_MTU] = K_U32,
	[A_FLAGS] = K_U32,        [A_ADDR] = K_IN6,          [A_PREFIXLEN] = K_U8,
	[A_SCOPE] = K_U8,         [A_VALID_LFT] = K_U32,     [A_PREFERRED_LFT] = K_U32,
	[A_GATEWAY] = K_IN6,      [A_GW_IFNAME] = K_STR,     [A_METRIC] = K_U32,
	[A_PROTO] = K_U8,         [A_PREF] = K_U8,           [A_EXPIRES] = K_U32,
	[A_STATE] = K_U8,         [A_ROUTER] = K_U8,         [A_KEY] = K_STR,
	[A_VALUE] = K_U64,        [A_UNIT] = K_STR,          [A_GROUP] = K_STR,
	[A_COUNTER] = K_U64,      [A_IDENT] = K_U16,         [A_SEQ] = K_U16,
	[A_SIZE] = K_U32,         [A_HLIM] = K_U8,           [A_OIF] = K_STR,
	[A_ICMP_TYPE] = K_U8,     [A_ICMP_CODE] = K_U8,      [A_LEN] = K_U32,
	[A_BAD] = K_U8,           [A_ZONE] = K_STR,          [A_PFKEY] = K_RAW,
	[A_SD] = K_U32,           [A_DOMAIN] = K_U32,        [A_SOCKTYPE] = K_U32,
	[A_SOCKPROTO] = K_U32,    [A_SOCKADDR] = K_RAW,      [A_DATA] = K_RAW,
	[A_CMSG] = K_RAW,         [A_LEVEL] = K_U32,         [A_OPTNAME] = K_U32,
	[A_OPTVAL] = K_RAW,       [A_RET] = K_U64,           [A_MSGFLAGS] = K_U32,
	[A_EVENTS] = K_U32,       [A_HOW] = K_U32,           [A_BUFLEN] = K_U32,
	[A_RA_CONF] = K_RAW,      [A_NEXTHOPS] = K_RAW,      [A_RTTYPE] = K_U8,
	[A_SNDSPACE] = K_U32,
};

static const uint8_t kind_len[] = {
	[K_U8] = 1, [K_U16] = 2, [K_U32] = 4, [K_U64] = 8, [K_IN6] = 16, [K_MAC] = 6,
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

const char *ctl_err_str(int err)
{
	switch (err) {
	case CTL_OK: return "ok";
	case CTL_E_SHORT: return "truncated message";
	case CTL_E_MAGIC: return "bad magic";
	case CTL_E_VERSION: return "unsupported protocol version";
	case CTL_E_LENGTH: return "bad message length";
	case CTL_E_ATTR_LEN: return "bad attribute length";
	case CTL_E_ATTR_KIND: return "attribute of the wrong size";
	case CTL_E_ATTR_DUP: return "repeated attribute";
	case CTL_E_STRING: return "bad string attribute";
	case CTL_E_RESERVED: return "reserved bits set";
	default: return "unknown error";
	}
}

int ctl_hdr_parse(const uint8_t *buf, size_t len, struct ctl_hdr *hdr)
{
	if (len < CTL_HDR_LEN)
		return CTL_E_SHORT;
	if (rd16(buf) != CTL_MAGIC)
		return CTL_E_MAGIC;
	if (buf[2] != CTL_VERSION)
		return CTL_E_VERSION;
	if (buf[3] != 0)
		return CTL_E_RESERVED;
	hdr->type = rd16(buf + 4);
	hdr->flags = rd16(buf + 6);
	hdr->seq = rd32(buf + 8);
	hdr->length = rd32(buf + 12);
	if (hdr->length < CTL_HDR_LEN || hdr->length > CTL_MSG_MAX || (hdr->length & 3))
		return CTL_E_LENGTH;
	if (hdr->flags & ~CTL_F_ALL)
		return CTL_E_RESERVED;
	return CTL_OK;
}

static int check_string(const uint8_t *v, uint16_t len)
{
	if (len == 0 || len > CTL_STR_MAX || v[len - 1] != 0)
		return CTL_E_STRING;
	if (memchr(v, 0, len) != v + len - 1)
		return CTL_E_STRING;
	return CTL_OK;
}

int ctl_msg_parse(const uint8_t *buf, size_t len, struct ctl_msg *m)
{
	int r = ctl_hdr_parse(buf, len, &m->hdr);
	if (r)
		return r;
	if (len < m->hdr.length)
		return CTL_E_SHORT;
	memset(m->attr, 0, sizeof(m->attr));

	const uint8_t *p = buf + CTL_HDR_LEN, *end = buf + m->hdr.length;
	while (p < end) {
		if (end - p < CTL_ATTR_HDR)
			return CTL_E_ATTR_LEN;
		uint16_t type = rd16(p), alen = rd16(p + 2);
		if (alen < CTL_ATTR_HDR || alen > end - p)
			return CTL_E_ATTR_LEN;
		const uint8_t *v = p + CTL_ATTR_HDR;
		uint16_t vlen = (uint16_t)(alen - CTL_ATTR_HDR);
		/* the padding may be missing only after the last attribute */
		size_t step = ((size_t)alen + 3) & ~(size_t)3;
		if (step > (size_t)(end - p))
			return CTL_E_ATTR_LEN;
		p += step;

		if (type == A_UNSPEC || type >= A__COUNT)
			continue; /* newer than us: skipped, its length was checked */
		unsigned kind = attr_kind[type];
		if (kind == K_STR) {
			if ((r = check_string(v, vlen)))
				return r;
		} else if (kind != K_RAW && kind != K_NONE && vlen != kind_len[kind]) {
			return CTL_E_ATTR_KIND;
		}
		if (m->attr[type].present)
			return CTL_E_ATTR_DUP;
		m->attr[type] = (struct ctl_attr_ref){ .value = v, .len = vlen, .present = true };
	}
	return CTL_OK;
}

static const uint8_t *get(const struct ctl_msg *m, int type, unsigned kind)
{
	if (type <= A_UNSPEC || type >= A__COUNT || attr_kind[type] != kind || !m->attr[type].present)
		return NULL;
	return m->attr[type].value;
}

bool ctl_get_u8(const struct ctl_msg *m, int type, uint8_t *v)
{
	const uint8_t *p = get(m, type, K_U8);
	if (p)
		*v = p[0];
	return p != NULL;
}

bool ctl_get_u16(const struct ctl_msg *m, int type, uint16_t *v)
{
	const uint8_t *p = get(m, type, K_U16);
	if (p)
		*v = rd16(p);
	return p != NULL;
}

bool ctl_get_u32(const struct ctl_msg *m, int type, uint32_t *v)
{
	const uint8_t *p = get(m, type, K_U32);
	if (p)
		*v = rd32(p);
	return p != NULL;
}

bool ctl_get_s32(const struct ctl_msg *m, int type, int32_t *v)
{
	uint32_t u;
	if (!ctl_get_u32(m, type, &u))
		return false;
	*v = (int32_t)u;
	return true;
}

bool ctl_get_u64(const struct ctl_msg *m, int type, uint64_t *v)
{
	const uint8_t *p = get(m, type, K_U64);
	if (p)
		*v = (uint64_t)rd32(p) << 32 | rd32(p + 4);
	return p != NULL;
}

bool ctl_get_s64(const struct ctl_msg *m, int type, int64_t *v)
{
	uint64_t u;
	if (!ctl_get_u64(m, type, &u))
		return false;
	*v = (int64_t)u;
	return true;
}

const char *ctl_get_str(const struct ctl_msg *m, int type)
{
	return (const char *)get(m, type, K_STR);
}

const uint8_t *ctl_get_bytes(const struct ctl_msg *m, int type)
{
	if (type <= A_UNSPEC || type >= A__COUNT)
		return NULL;
	unsigned k = attr_kind[type];
	if (k != K_IN6 && k != K_MAC && k != K_RAW)
		return NULL;
	return get(m, type, k);
}

/* ---- building ---- */

void ctl_build_begin(struct ctl_builder *b, uint8_t *buf, size_t cap, uint16_t type,
		     uint16_t flags, uint32_t seq)
{
	b->buf = buf;
	b->cap = cap > CTL_MSG_MAX ? CTL_MSG_MAX : cap;
	b->len = 0;
	b->overflow = b->cap < CTL_HDR_LEN;
	if (b->overflow)
		return;
	wr16(buf, CTL_MAGIC);
	buf[2] = CTL_VERSION;
	buf[3] = 0;
	wr16(buf + 4, type);
	wr16(buf + 6, flags);
	wr32(buf + 8, seq);
	wr32(buf + 12, 0);
	b->len = CTL_HDR_LEN;
}

void ctl_put(struct ctl_builder *b, int type, const void *value, size_t len)
{
	size_t alen = CTL_ATTR_HDR + len, step = (alen + 3) & ~(size_t)3;
	if (b->overflow || alen > UINT16_MAX || step > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	uint8_t *p = b->buf + b->len;
	wr16(p, (uint16_t)type);
	wr16(p + 2, (uint16_t)alen);
	if (len)
		memcpy(p + CTL_ATTR_HDR, value, len);
	memset(p + alen, 0, step - alen);
	b->len += step;
}

uint8_t *ctl_put_reserve(struct ctl_builder *b, size_t len)
{
	if (b->overflow || CTL_ATTR_HDR + len > UINT16_MAX ||
	    ((CTL_ATTR_HDR + len + 3) & ~(size_t)3) > b->cap - b->len)
		return NULL;
	return b->buf + b->len + CTL_ATTR_HDR;
}

void ctl_put_commit(struct ctl_builder *b, int type, size_t len)
{
	size_t alen = CTL_ATTR_HDR + len, step = (alen + 3) & ~(size_t)3;
	if (b->overflow || step > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	uint8_t *p = b->buf + b->len;
	wr16(p, (uint16_t)type);
	wr16(p + 2, (uint16_t)alen);
	memset(p + alen, 0, step - alen);
	b->len += step;
}

void ctl_put_u8(struct ctl_builder *b, int type, uint8_t v) { ctl_put(b, type, &v, 1); }

void ctl_put_u16(struct ctl_builder *b, int type, uint16_t v)
{
	uint8_t p[2];
	wr16(p, v);
	ctl_put(b, type, p, 2);
}

void ctl_put_u32(struct ctl_builder *b, int type, uint32_t v)
{
	uint8_t p[4];
	wr32(p, v);
	ctl_put(b, type, p, 4);
}

void ctl_put_s32(struct ctl_builder *b, int type, int32_t v) { ctl_put_u32(b, type, (uint32_t)v); }

void ctl_put_u64(struct ctl_builder *b, int type, uint64_t v)
{
	uint8_t p[8];
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
	ctl_put(b, type, p, 8);
}

void ctl_put_s64(struct ctl_builder *b, int type, int64_t v) { ctl_put_u64(b, type, (uint64_t)v); }

void ctl_put_str(struct ctl_builder *b, int type, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > CTL_STR_MAX) {
		b->overflow = true;
		return;
	}
	ctl_put(b, type, s, n);
}

int ctl_build_end(struct ctl_builder *b)
{
	if (b->overflow)
		return -1;
	wr32(b->buf + 12, (uint32_t)b->len);
	return (int)b->len;
}

static const char *const msg_names[] = {
	[CTL_MSG_ERROR] = "ERROR",           [CTL_MSG_DONE] = "DONE",
	[CTL_MSG_LINK_LIST] = "LINK_LIST",   [CTL_MSG_LINK] = "LINK",
	[CTL_MSG_ADDR_LIST] = "ADDR_LIST",   [CTL_MSG_ADDR_ADD] = "ADDR_ADD",
	[CTL_MSG_ADDR_DEL] = "ADDR_DEL",     [CTL_MSG_ADDR] = "ADDR",
	[CTL_MSG_ROUTE_LIST] = "ROUTE_LIST", [CTL_MSG_ROUTE_ADD] = "ROUTE_ADD",
	[CTL_MSG_ROUTE_DEL] = "ROUTE_DEL",   [CTL_MSG_ROUTE] = "ROUTE",
	[CTL_MSG_NEIGH_LIST] = "NEIGH_LIST", [CTL_MSG_NEIGH_ADD] = "NEIGH_ADD",
	[CTL_MSG_NEIGH_DEL] = "NEIGH_DEL",   [CTL_MSG_NEIGH_FLUSH] = "NEIGH_FLUSH",
	[CTL_MSG_NEIGH] = "NEIGH",           [CTL_MSG_CONF_LIST] = "CONF_LIST",
	[CTL_MSG_CONF_GET] = "CONF_GET",     [CTL_MSG_CONF_SET] = "CONF_SET",
	[CTL_MSG_CONF] = "CONF",             [CTL_MSG_STATS] = "STATS",
	[CTL_MSG_STAT] = "STAT",
	[CTL_MSG_RA_SET] = "RA_SET",         [CTL_MSG_RA_DEL] = "RA_DEL",
	[CTL_MSG_RA_LIST] = "RA_LIST",       [CTL_MSG_RA] = "RA",
	[CTL_MSG_RA_LEARNED] = "RA_LEARNED",
};

const char *ctl_msg_name(uint16_t type, char *buf, size_t len)
{
	if (type < sizeof(msg_names) / sizeof(msg_names[0]) && msg_names[type])
		return msg_names[type];
	snprintf(buf, len, "type %u", type);
	return buf;
}

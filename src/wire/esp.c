/*
 * wire/esp.c - ESP header and trailer parse/emit (RFC 4303 2). See wire/esp.h.
 */
#include "wire/esp.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int esp_hdr_parse(const uint8_t *p, size_t len, struct esp_hdr *h)
{
	if (len < ESP_HDR_LEN)
		return ESP_ERR_SHORT;
	h->spi = get32(p);
	h->seq = get32(p + 4);
	return 0;
}

void esp_hdr_emit(uint8_t *p, const struct esp_hdr *h)
{
	put32(p, h->spi);
	put32(p + 4, h->seq);
}

int esp_trailer_parse(const uint8_t *p, size_t len, struct esp_trailer *t)
{
	if (len < ESP_TRAILER_LEN)
		return ESP_ERR_SHORT;
	t->pad_len = p[len - 2];
	t->nxt = p[len - 1];
	if ((size_t)t->pad_len + ESP_TRAILER_LEN > len)
		return ESP_ERR_SHORT;
	/* RFC 4303 2.4: default padding is 1, 2, 3, ... */
	const uint8_t *pad = p + len - ESP_TRAILER_LEN - t->pad_len;
	for (uint32_t i = 0; i < t->pad_len; i++)
		if (pad[i] != (uint8_t)(i + 1))
			return ESP_ERR_PAD;
	return 0;
}

uint32_t esp_pad_len(uint32_t payload_len, uint32_t align)
{
	return (align - (payload_len + ESP_TRAILER_LEN) % align) % align;
}

void esp_trailer_emit(uint8_t *p, uint32_t pad_len, uint8_t nxt)
{
	for (uint32_t i = 0; i < pad_len; i++)
		p[i] = (uint8_t)(i + 1);
	p[pad_len] = (uint8_t)pad_len;
	p[pad_len + 1] = nxt;
}

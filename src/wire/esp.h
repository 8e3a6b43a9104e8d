/*
 * wire/esp.h - ESP wire format (RFC 4303 2): the 8-byte header (SPI, sequence number) and
 * the trailer (padding 1, 2, 3..., Pad Length, Next Header). Pure parse and emit.
 */
#ifndef UMK_WIRE_ESP_H
#define UMK_WIRE_ESP_H

#include <stddef.h>
#include <stdint.h>

#define ESP_HDR_LEN      8      /* RFC 4303 2: SPI + Sequence Number */
#define ESP_TRAILER_LEN  2      /* Pad Length + Next Header */
#define ESP_SPI_RESERVED 255    /* RFC 4303 2.1: SPIs 1-255 are reserved by IANA */

enum esp_err { ESP_ERR_SHORT = -1, ESP_ERR_PAD = -2 };

struct esp_hdr {
	uint32_t spi;
	uint32_t seq;           /* low 32 bits (RFC 4303 2.2.1) */
};

int esp_hdr_parse(const uint8_t *p, size_t len, struct esp_hdr *h);
void esp_hdr_emit(uint8_t *p, const struct esp_hdr *h);

struct esp_trailer {
	uint8_t pad_len;
	uint8_t nxt;
};
/* The trailer at the end of the decrypted payload p[0..len): checks that the padding is
 * 1, 2, 3, ... (RFC 4303 2.4: the receiver SHOULD inspect it). 0 or an esp_err. */
int esp_trailer_parse(const uint8_t *p, size_t len, struct esp_trailer *t);
/* Padding so that payload + padding + trailer is a multiple of align (a power of 2). */
uint32_t esp_pad_len(uint32_t payload_len, uint32_t align);
/* Writes pad_len bytes 1, 2, ... then Pad Length and Next Header at p. */
void esp_trailer_emit(uint8_t *p, uint32_t pad_len, uint8_t nxt);

#endif

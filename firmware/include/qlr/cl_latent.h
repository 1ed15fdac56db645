/*
 * Latent-replay codes (docs/quantization.md "LR quantization"; twins in qlr.quant.latent):
 * requantization of a u8 front-end latent to Q-bit codes, bit packing of a latent into one
 * byte-aligned row, and unpacking with dequantization to FP32.
 *
 * Requantization (integers only, = requantize_u8_latent):
 *     q = min((2 * a * (2^Q - 1) + m) / (2 * m), 2^Q - 1)        (unsigned division)
 * with one m per tensor (m = 255 when the image has no LR_CODE_MAX: the u8 range) or one per
 * channel (the image's LR_CODE_MAX [C]); channels are the last axis (HWC), so element i belongs
 * to channel i % channels. Q = 8 with m = 255 is the identity.
 *
 * Packing (= pack_bits / pack_latents): a latent of E codes takes ceil(E * Q / 8) bytes; stream
 * bit k is bit k % 8 of byte k / 8; element i occupies stream bits [i*Q, (i+1)*Q), least
 * significant first; the unused high bits of the last byte are 0.
 *
 * Dequantization (= dequantize_latent): out = (float)code * scale[c] with one float32 multiply,
 * c = 0 per tensor or i % channels per channel.
 *
 * Portable C: no platform code, nothing allocated. Not parallel by themselves: give each core a
 * range (qlr_latent_requantize_u8 and qlr_latent_dequantize take element ranges).
 */
#ifndef QLR_CL_LATENT_H
#define QLR_CL_LATENT_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of one packed row: ceil(elements * bits / 8). */
static inline uint32_t qlr_latent_row_bytes(uint32_t elements, unsigned bits)
{
    return (uint32_t)(((uint64_t)elements * bits + 7u) / 8u);
}

/* Codes of elements [first, first + count) of a latent whose channels are the last axis:
 * codes[i - first] from a8[i - first]. code_max: NULL (m = 255 for all), 1 value (per tensor)
 * or `channels` values (per channel, each >= 1). bits in 1..8. */
void qlr_latent_requantize_u8(const uint8_t *a8, uint8_t *codes, uint32_t first, uint32_t count,
                              uint32_t channels, unsigned bits, const uint8_t *code_max, uint32_t code_max_count);

/* Packs `elements` codes (one per byte, each < 2^bits) into row[qlr_latent_row_bytes()].
 * Returns QLR_E_ARG (and leaves the row unspecified) when bits is not 1..8 or a code does not
 * fit; `bad` (may be NULL) then receives the index of the first such code. */
qlr_status_t qlr_latent_pack(const uint8_t *codes, uint32_t elements, unsigned bits, uint8_t *row, uint32_t *bad);

/* Unpacks a row into `elements` codes (one per byte). Returns QLR_E_ARG when bits is not 1..8
 * or a padding bit after the last code is set (the row is then not a valid latent). */
qlr_status_t qlr_latent_unpack(const uint8_t *row, uint32_t elements, unsigned bits, uint8_t *codes);

/* out[i - first] = (float)code_i * scale[(i % channels) or 0] for elements [first, first + count)
 * of a packed row (the row starts at element 0). scale_count is 1 (per tensor) or `channels`. */
void qlr_latent_dequantize(const uint8_t *row, uint32_t first, uint32_t count, unsigned bits, uint32_t channels,
                           const float *scale, uint32_t scale_count, float *out);

#ifdef __cplusplus
}
#endif

#endif /* QLR_CL_LATENT_H */

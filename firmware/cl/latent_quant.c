/*
 * Latent-replay codes: requantization, packing, unpacking and dequantization (qlr/cl_latent.h).
 * Twins: qlr.quant.latent.requantize_u8_latent, pack_bits, unpack_bits, dequantize_latent.
 */
#include "qlr/cl_latent.h"

void qlr_latent_requantize_u8(const uint8_t *a8, uint8_t *codes, uint32_t first, uint32_t count,
                              uint32_t channels, unsigned bits, const uint8_t *code_max, uint32_t code_max_count)
{
    uint32_t top = (1u << bits) - 1u;
    uint32_t c = channels != 0u ? first % channels : 0u;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t m = 255u;
        if (code_max != NULL) {
            m = code_max[code_max_count == 1u ? 0u : c];
        }
        uint32_t q = (2u * (uint32_t)a8[i] * top + m) / (2u * m);
        codes[i] = (uint8_t)(q < top ? q : top);
        if (++c == channels) {
            c = 0;
        }
    }
}

qlr_status_t qlr_latent_pack(const uint8_t *codes, uint32_t elements, unsigned bits, uint8_t *row, uint32_t *bad)
{
    if (bits < 1u || bits > 8u) {
        return QLR_E_ARG;
    }
    uint32_t acc = 0; /* pending bits, least significant first */
    unsigned have = 0;
    uint32_t out = 0;
    for (uint32_t i = 0; i < elements; i++) {
        uint32_t v = codes[i];
        if ((v >> bits) != 0u) {
            if (bad != NULL) {
                *bad = i;
            }
            return QLR_E_ARG;
        }
        acc |= v << have;
        have += bits;
        if (have >= 8u) {
            row[out++] = (uint8_t)acc;
            acc >>= 8;
            have -= 8u;
        }
    }
    if (have != 0u) {
        row[out] = (uint8_t)acc; /* high bits of the last byte stay 0 */
    }
    return QLR_OK;
}

qlr_status_t qlr_latent_unpack(const uint8_t *row, uint32_t elements, unsigned bits, uint8_t *codes)
{
    if (bits < 1u || bits > 8u) {
        return QLR_E_ARG;
    }
    uint32_t mask = (1u << bits) - 1u;
    uint32_t acc = 0;
    unsigned have = 0;
    uint32_t in = 0;
    for (uint32_t i = 0; i < elements; i++) {
        if (have < bits) {
            acc |= (uint32_t)row[in++] << have;
            have += 8u;
        }
        codes[i] = (uint8_t)(acc & mask);
        acc >>= bits;
        have -= bits;
    }
    /* whatever is left of the last byte is padding and must be 0 */
    return acc != 0u ? QLR_E_ARG : QLR_OK;
}

void qlr_latent_dequantize(const uint8_t *row, uint32_t first, uint32_t count, unsigned bits, uint32_t channels,
                           const float *scale, uint32_t scale_count, float *out)
{
    uint32_t mask = (1u << bits) - 1u;
    uint32_t c = channels != 0u ? first % channels : 0u;
    uint64_t k = (uint64_t)first * bits;
    for (uint32_t i = 0; i < count; i++, k += bits) {
        uint32_t b = (uint32_t)(k >> 3), s = (uint32_t)(k & 7u);
        uint32_t v = (uint32_t)row[b] >> s;
        if (s + bits > 8u) {
            v |= (uint32_t)row[b + 1u] << (8u - s);
        }
        out[i] = (float)(v & mask) * scale[scale_count == 1u ? 0u : c];
        if (++c == channels) {
            c = 0;
        }
    }
}

/*
 * LR codes: u8 latent -> Q-bit code, bit packing of a latent into a row, and unpacking with
 * dequantization (qlr/cl_event.h). Twins: qlr.quant.latent.requantize_u8_latent, pack_bits,
 * unpack_bits and dequantize_latent (docs/quantization.md).
 */
#include "qlr/cl_event.h"

uint8_t qlr_cl_requant_u8(uint8_t a, uint32_t bits)
{
    uint32_t top = (1u << bits) - 1u;
    return (uint8_t)((2u * (uint32_t)a * top + 255u) / 510u);
}

void qlr_cl_pack_row(const uint8_t *codes, uint32_t elems, uint32_t bits, uint8_t *row)
{
    uint32_t bytes = (elems * bits + 7u) / 8u;
    for (uint32_t i = 0; i < bytes; i++) {
        row[i] = 0u;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < elems; i++, k += bits) {
        uint32_t v = (uint32_t)codes[i] << (k & 7u);
        row[k >> 3] |= (uint8_t)v;
        if ((k & 7u) + bits > 8u) {
            row[(k >> 3) + 1u] |= (uint8_t)(v >> 8);
        }
    }
}

void qlr_cl_unpack_dequant(const uint8_t *row, uint32_t elems, uint32_t bits, float scale, float *out)
{
    uint32_t mask = (1u << bits) - 1u;
    if (bits == 8u) {
        for (uint32_t i = 0; i < elems; i++) {
            out[i] = (float)row[i] * scale;
        }
        return;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < elems; i++, k += bits) {
        uint32_t v = row[k >> 3];
        if ((k & 7u) + bits > 8u) {
            v |= (uint32_t)row[(k >> 3) + 1u] << 8;
        }
        out[i] = (float)((v >> (k & 7u)) & mask) * scale;
    }
}

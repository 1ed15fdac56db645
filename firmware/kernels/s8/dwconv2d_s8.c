/*
 * int8 depthwise 2-D convolution, channel multiplier 1, any kernel, stride and padding
 * (qlr/kernels_s8.h).
 *
 * Channels are taken four at a time (one 32-bit word of HWC input). For each block of four the
 * core first writes the centred weights w - w_zp of every tap to its scratch slice (so the zero
 * point costs nothing in the inner loop), then walks its output pixels: only the taps inside the
 * input are visited; with a non-zero input zero point the taps in the padding add
 * in_zp * (w - w_zp) afterwards (they hold in_zp; the folded bias subtracted it). A last block of
 * fewer than four channels goes one channel at a time.
 *
 * Cortex-M4 DSP path per tap and four channels: LDR, UXTB16 x2 (lanes c0,c2 and c1,c3), 2 LDR of
 * packed int16 weight pairs, SMLABB/SMLATT x2 each. Portable path: 4 byte loads, 4 multiply-adds.
 *
 * Split over the team by output rows, or by channel blocks when they balance better (e.g. 4x4
 * outputs on 8 cores).
 */
#include "qlr/kernels_s8.h"
#include "qlr/kernels_s8_core.h"
#include "qlr/matmul_f32.h" /* qlr_share */
#include "qlr/runtime.h"

#define TAP_BYTES 16u /* scratch per tap and block: 4 int32 (portable) or 2 int16 pairs (DSP) */

size_t qlr_dwconv2d_s8_scratch_size(const qlr_dwconv2d_s8_args_t *a, unsigned cores)
{
    return (size_t)cores * a->k_h * a->k_w * TAP_BYTES;
}

static qlr_status_t dw_check(const qlr_dwconv2d_s8_args_t *a, uint32_t *oh, uint32_t *ow)
{
    if (a->x == NULL || a->w == NULL || a->y == NULL || a->n == 0u || a->c == 0u) {
        return QLR_E_ARG;
    }
    *oh = qlr_s8_out_size(a->in_h, a->k_h, a->stride_h, a->pad_top, a->pad_bottom);
    *ow = qlr_s8_out_size(a->in_w, a->k_w, a->stride_w, a->pad_left, a->pad_right);
    if (*oh == 0u || *ow == 0u) {
        return QLR_E_SHAPE;
    }
    if (a->in_zp < 0 || a->in_zp > 255 || a->w_zp < -128 || a->w_zp > 127) {
        return QLR_E_ARG;
    }
    if (a->scratch == NULL || ((uintptr_t)a->scratch & 3u) != 0u) {
        return a->scratch == NULL ? QLR_E_NOMEM : QLR_E_ALIGN;
    }
    if (a->scratch_size < qlr_dwconv2d_s8_scratch_size(a, qlr_core_count())) {
        return QLR_E_NOMEM;
    }
    return qlr_requant_check(&a->rq, a->c, NULL);
}

/* Centred weight of channel j (0..3) of the block at tap t, from the scratch layout. */
static int32_t wc_get(const int32_t *wb, uint32_t t, uint32_t j)
{
#if QLR_S8_DSP
    uint32_t v = (uint32_t)wb[2u * t + (j & 1u)]; /* word 0: c0 | c2 << 16, word 1: c1 | c3 << 16 */
    return (int32_t)(int16_t)(uint16_t)(j < 2u ? v : v >> 16);
#else
    return wb[4u * t + j];
#endif
}

static void prepare(const qlr_dwconv2d_s8_args_t *a, uint32_t c, uint32_t nc, int32_t *wb)
{
    uint32_t taps = a->k_h * a->k_w;
    for (uint32_t t = 0; t < taps; t++) {
        int32_t v[4];
        for (uint32_t j = 0; j < 4u; j++) {
            v[j] = j < nc ? (int32_t)a->w[(size_t)t * a->c + c + j] - a->w_zp : 0;
        }
#if QLR_S8_DSP
        wb[2u * t] = (int32_t)(((uint32_t)v[0] & 0xFFFFu) | ((uint32_t)v[2] << 16));
        wb[2u * t + 1u] = (int32_t)(((uint32_t)v[1] & 0xFFFFu) | ((uint32_t)v[3] << 16));
#else
        for (uint32_t j = 0; j < 4u; j++) {
            wb[4u * t + j] = v[j];
        }
#endif
    }
}

/* acc[j] += sum over the taps [ky0,ky1) x [kx0,kx1) of x * wc, four channels at xp. */
static void taps4(const uint8_t *xp, size_t row_step, size_t col_step, const int32_t *wb, uint32_t k_w, uint32_t ky0,
                  uint32_t ky1, uint32_t kx0, uint32_t kx1, uint32_t acc[4])
{
#if QLR_S8_DSP
    int32_t a0 = (int32_t)acc[0], a1 = (int32_t)acc[1], a2 = (int32_t)acc[2], a3 = (int32_t)acc[3];
    for (uint32_t ky = ky0; ky < ky1; ky++, xp += row_step) {
        const uint8_t *p = xp;
        const int32_t *w = wb + 2u * (ky * k_w + kx0);
        for (uint32_t kx = kx0; kx < kx1; kx++, p += col_step, w += 2) {
            uint32_t v = qlr_s8_load4(p);
            int32_t xe = (int32_t)__uxtb16(v), xo = (int32_t)qlr_s8_uxtb16_ror8(v);
            a0 = __smlabb(xe, w[0], a0);
            a2 = __smlatt(xe, w[0], a2);
            a1 = __smlabb(xo, w[1], a1);
            a3 = __smlatt(xo, w[1], a3);
        }
    }
    acc[0] = (uint32_t)a0;
    acc[1] = (uint32_t)a1;
    acc[2] = (uint32_t)a2;
    acc[3] = (uint32_t)a3;
#else
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (uint32_t ky = ky0; ky < ky1; ky++, xp += row_step) {
        const uint8_t *p = xp;
        const int32_t *w = wb + 4u * (ky * k_w + kx0);
        for (uint32_t kx = kx0; kx < kx1; kx++, p += col_step, w += 4) {
            a0 += (uint32_t)((int32_t)p[0] * w[0]);
            a1 += (uint32_t)((int32_t)p[1] * w[1]);
            a2 += (uint32_t)((int32_t)p[2] * w[2]);
            a3 += (uint32_t)((int32_t)p[3] * w[3]);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#endif
}

qlr_status_t qlr_dwconv2d_s8(const qlr_dwconv2d_s8_args_t *a)
{
    uint32_t oh, ow;
    qlr_status_t st = dw_check(a, &oh, &ow);
    if (st != QLR_OK) {
        return st;
    }
    const qlr_requant_t *rq = &a->rq;
    uint32_t rows = a->n * oh, blocks = (a->c + 3u) / 4u, taps = a->k_h * a->k_w;
    unsigned id = qlr_core_id(), cores = qlr_core_count();
    uint32_t r0 = 0, r1 = rows, b0 = 0, b1 = blocks;
    if (qlr_s8_split_first(rows, blocks, cores)) {
        qlr_share(rows, id, cores, &r0, &r1);
    } else {
        qlr_share(blocks, id, cores, &b0, &b1);
    }
    if (r0 == r1 || b0 == b1) {
        return QLR_OK;
    }
    int32_t *wb = (int32_t *)(void *)((uint8_t *)a->scratch + (size_t)id * taps * TAP_BYTES);
    size_t col_step = a->c, row_step = (size_t)a->in_w * a->c;
    uint32_t zx = (uint32_t)a->in_zp;
    for (uint32_t blk = b0; blk < b1; blk++) {
        uint32_t c = 4u * blk, nc = a->c - c < 4u ? a->c - c : 4u;
        prepare(a, c, nc, wb);
        for (uint32_t row = r0; row < r1; row++) {
            uint32_t b = row / oh, oy = row % oh;
            int64_t iy0 = (int64_t)oy * a->stride_h - a->pad_top;
            uint32_t ky0 = qlr_s8_clip_taps(-iy0, a->k_h), ky1 = qlr_s8_clip_taps((int64_t)a->in_h - iy0, a->k_h);
            ky1 = ky1 < ky0 ? ky0 : ky1;
            uint8_t *y = a->y + ((size_t)b * oh + oy) * ow * a->c + c;
            for (uint32_t ox = 0; ox < ow; ox++, y += a->c) {
                int64_t ix0 = (int64_t)ox * a->stride_w - a->pad_left;
                uint32_t kx0 = qlr_s8_clip_taps(-ix0, a->k_w), kx1 = qlr_s8_clip_taps((int64_t)a->in_w - ix0, a->k_w);
                kx1 = kx1 < kx0 ? kx0 : kx1;
                uint32_t acc[4] = {0, 0, 0, 0};
                if (ky1 > ky0 && kx1 > kx0) {
                    /* first tap inside the input: row iy0 + ky0, column ix0 + kx0 */
                    const uint8_t *xp = a->x + (((size_t)b * a->in_h + (size_t)(iy0 + ky0)) * a->in_w +
                                                (size_t)(ix0 + kx0)) * a->c + c;
                    if (nc == 4u) {
                        taps4(xp, row_step, col_step, wb, a->k_w, ky0, ky1, kx0, kx1, acc);
                    } else {
                        for (uint32_t j = 0; j < nc; j++) {
                            const uint8_t *xr = xp + j;
                            for (uint32_t ky = ky0; ky < ky1; ky++, xr += row_step) {
                                for (uint32_t kx = kx0; kx < kx1; kx++) {
                                    acc[j] += (uint32_t)((int32_t)xr[(size_t)(kx - kx0) * col_step] *
                                                         wc_get(wb, ky * a->k_w + kx, j));
                                }
                            }
                        }
                    }
                }
                if (zx != 0u && (ky0 > 0u || ky1 < a->k_h || kx0 > 0u || kx1 < a->k_w)) {
                    /* taps in the padding hold in_zp */
                    for (uint32_t ky = 0; ky < a->k_h; ky++) {
                        for (uint32_t kx = 0; kx < a->k_w; kx++) {
                            if (ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1) {
                                continue;
                            }
                            for (uint32_t j = 0; j < nc; j++) {
                                acc[j] += zx * (uint32_t)wc_get(wb, ky * a->k_w + kx, j);
                            }
                        }
                    }
                }
                for (uint32_t j = 0; j < nc; j++) {
                    uint32_t q = rq->n != 1u ? c + j : 0u;
                    uint32_t bias = a->bias != NULL ? (uint32_t)a->bias[c + j] : 0u;
                    y[j] = qlr_requant_u8((int32_t)(bias + acc[j]), rq->mult[q], rq->shift[q], rq->out_zp,
                                          rq->act_min, rq->act_max);
                }
            }
        }
    }
    return QLR_OK;
}

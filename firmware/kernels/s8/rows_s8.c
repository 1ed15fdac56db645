/*
 * The row-times-weights core of the int8 pointwise, linear and conv2d kernels
 * (qlr/kernels_s8_core.h): up to 2 input rows x 2 weight rows per pass, so every loaded input
 * word serves two output channels and every weight word two pixels.
 *
 * Cortex-M4 DSP path, per 4 taps of a 2 x 2 block: 2 LDR + 4 UXTB16 (inputs, lanes x0,x2 and
 * x1,x3), 2 LDR + 4 SXTB16 (weights, same lane order), 8 SMLAD: 20 instructions for 16 MACs.
 * Portable path: byte loads and multiply-adds, 4 taps per iteration.
 *
 * The weight zero point is applied once per output: sum x (w - z_w) = sum x w - z_w sum x, with
 * sum x per input row (USADA8 on the M4). Every sum is modulo 2^32 (see qlr/kernels_s8.h).
 */
#include "qlr/kernels_s8_core.h"

#if QLR_S8_DSP
/* 4 taps of the nr x nc block: a[r * 2 + j] += x_r . w_j; advances the row pointers. */
QLR_S8_INLINE void step4(const uint8_t **p0, const uint8_t **p1, const int8_t **q0, const int8_t **q1, int nr, int nc,
                         int32_t a[4])
{
    uint32_t v = qlr_s8_load4(*p0);
    *p0 += 4;
    int32_t x0e = (int32_t)__uxtb16(v), x0o = (int32_t)qlr_s8_uxtb16_ror8(v);
    int32_t x1e = 0, x1o = 0;
    if (nr == 2) {
        v = qlr_s8_load4(*p1);
        *p1 += 4;
        x1e = (int32_t)__uxtb16(v);
        x1o = (int32_t)qlr_s8_uxtb16_ror8(v);
    }
    v = qlr_s8_load4(*q0);
    *q0 += 4;
    int32_t we = __sxtb16((int32_t)v), wo = qlr_s8_sxtb16_ror8(v);
    a[0] = __smlad(x0o, wo, __smlad(x0e, we, a[0]));
    if (nr == 2) {
        a[2] = __smlad(x1o, wo, __smlad(x1e, we, a[2]));
    }
    if (nc == 2) {
        v = qlr_s8_load4(*q1);
        *q1 += 4;
        we = __sxtb16((int32_t)v);
        wo = qlr_s8_sxtb16_ror8(v);
        a[1] = __smlad(x0o, wo, __smlad(x0e, we, a[1]));
        if (nr == 2) {
            a[3] = __smlad(x1o, wo, __smlad(x1e, we, a[3]));
        }
    }
}
#endif

/* acc[r * 2 + j] = sum_i xr[i] * wj[i] (mod 2^32) for r < nr, j < nc. */
QLR_S8_INLINE void dot_block(const uint8_t *x0, const uint8_t *x1, const int8_t *w0, const int8_t *w1, uint32_t k,
                             int nr, int nc, uint32_t acc[4])
{
    uint32_t i = 0;
#if QLR_S8_DSP
    int32_t a[4] = {0, 0, 0, 0};
    const uint8_t *p0 = x0, *p1 = x1, *end = x0 + (k & ~3u);
    const int8_t *q0 = w0, *q1 = w1;
    while (p0 != end) { /* (unrolling by 8 spills more registers than it saves) */
        step4(&p0, &p1, &q0, &q1, nr, nc, a);
    }
    i = k & ~3u;
    int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
    uint32_t s00 = (uint32_t)a00, s01 = (uint32_t)a01, s10 = (uint32_t)a10, s11 = (uint32_t)a11;
#else
    uint32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    for (; i + 4u <= k; i += 4u) {
        for (uint32_t u = 0; u < 4u; u++) {
            int32_t xa = x0[i + u], wa = w0[i + u];
            s00 += (uint32_t)(xa * wa);
            if (nr == 2) {
                int32_t xb = x1[i + u];
                s10 += (uint32_t)(xb * wa);
                if (nc == 2) {
                    s11 += (uint32_t)(xb * (int32_t)w1[i + u]);
                }
            }
            if (nc == 2) {
                s01 += (uint32_t)(xa * (int32_t)w1[i + u]);
            }
        }
    }
#endif
    for (; i < k; i++) {
        int32_t xa = x0[i], wa = w0[i];
        s00 += (uint32_t)(xa * wa);
        if (nr == 2) {
            s10 += (uint32_t)((int32_t)x1[i] * wa);
        }
        if (nc == 2) {
            int32_t wb = w1[i];
            s01 += (uint32_t)(xa * wb);
            if (nr == 2) {
                s11 += (uint32_t)((int32_t)x1[i] * wb);
            }
        }
    }
    acc[0] = s00;
    acc[1] = s01;
    acc[2] = s10;
    acc[3] = s11;
}

static uint32_t row_sum(const uint8_t *x, uint32_t k)
{
    uint32_t s = 0, i = 0;
#if QLR_S8_DSP
    for (; i + 4u <= k; i += 4u) {
        s = __usada8(qlr_s8_load4(x + i), 0u, s);
    }
#endif
    for (; i < k; i++) {
        s += x[i];
    }
    return s;
}

QLR_S8_INLINE uint8_t finish(const qlr_s8_rows_t *g, uint32_t c, uint32_t acc, uint32_t zsum)
{
    uint32_t b = g->bias != NULL ? (uint32_t)g->bias[c] : 0u;
    int32_t v = (int32_t)(b + acc - zsum); /* exact: the true value fits int32 */
    uint32_t q = g->rq.n != 1u ? c : 0u;
    return qlr_requant_u8(v, g->rq.mult[q], g->rq.shift[q], g->rq.out_zp, g->rq.act_min, g->rq.act_max);
}

QLR_S8_INLINE void rows_n(const qlr_s8_rows_t *g, const uint8_t *x0, const uint8_t *x1, uint8_t *y0, uint8_t *y1,
                          uint32_t c_begin, uint32_t c_end, int nr)
{
    uint32_t k = g->k;
    uint32_t zw = (uint32_t)g->w_zp;
    uint32_t z0 = zw != 0u ? zw * row_sum(x0, k) : 0u;
    uint32_t z1 = (zw != 0u && nr == 2) ? zw * row_sum(x1, k) : 0u;
    uint32_t acc[4];
    uint32_t c = c_begin;
    for (; c + 2u <= c_end; c += 2u) {
        const int8_t *w0 = g->w + (size_t)c * k;
        dot_block(x0, x1, w0, w0 + k, k, nr, 2, acc);
        y0[c] = finish(g, c, acc[0], z0);
        y0[c + 1u] = finish(g, c + 1u, acc[1], z0);
        if (nr == 2) {
            y1[c] = finish(g, c, acc[2], z1);
            y1[c + 1u] = finish(g, c + 1u, acc[3], z1);
        }
    }
    if (c < c_end) {
        const int8_t *w0 = g->w + (size_t)c * k;
        dot_block(x0, x1, w0, w0, k, nr, 1, acc);
        y0[c] = finish(g, c, acc[0], z0);
        if (nr == 2) {
            y1[c] = finish(g, c, acc[2], z1);
        }
    }
}

void qlr_s8_rows(const qlr_s8_rows_t *g, const uint8_t *x0, const uint8_t *x1, uint8_t *y0, uint8_t *y1,
                 uint32_t c_begin, uint32_t c_end)
{
    if (x1 != NULL) {
        rows_n(g, x0, x1, y0, y1, c_begin, c_end, 2);
    } else {
        rows_n(g, x0, NULL, y0, NULL, c_begin, c_end, 1);
    }
}

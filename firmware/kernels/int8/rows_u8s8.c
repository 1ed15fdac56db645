/*
 * The row-times-weights core of the int8 pointwise, linear and conv2d kernels
 * (int8/int8_core.h): blocks of up to 2 input rows x 2 weight rows, so that every loaded
 * input value serves two output channels and every weight two pixels.
 *
 * Cortex-M4 DSP path, per 4 taps of a 2 x 2 block: 2 LDR + 4 UXTB16 (inputs, lanes x0,x2 and
 * x1,x3), 2 LDR + 4 SXTB16 (weights, same lane order), 8 SMLAD: 20 instructions for 16 MACs (25
 * with GCC's loop and register spills). Portable path, per tap of a 2 x 2 block: 4 byte loads, 4
 * multiplies, 4 adds (RV32IM has no multiply-accumulate), 4 taps per pass.
 *
 * PULP Xpulpv2 path (pulp-open), blocks of 2 rows x 4 channels, per 4 taps: 2 + 4 post-increment
 * word loads (p.lw) and 8 pv.sdotusp.b (4 uint8 x int8 products each) in a hardware loop: 14
 * instructions for 32 MACs, no loop overhead; the loads of a pass are scheduled 2+ instructions
 * before their use (RI5CY's load-use stall). Rows at any alignment (p.lw takes misaligned
 * addresses, at the cost of a second access). 1 x 4 blocks (the last pixel, linear at batch 1):
 * 9 instructions for 16 MACs. The channels left over (out_c % 4) go one at a time.
 *
 * The weight zero point is applied once per output: sum x (w - z_w) = sum x w - z_w sum x, with
 * sum x per input row (USADA8 on the M4, pv.sdotup.b with 0x01010101 on PULP). Every sum is
 * modulo 2^32 (see qlr/kernels_int8.h).
 */
#include "int8_core.h"

#if QLR_INT8_XPULP
#include "qlr/pulp/xpulp_hwloop.h"
#include "qlr/pulp/xpulp_postmod.h"
#include "qlr/pulp/xpulp_vect.h"

/* Channels per block: 4 word loads of weights serve 2 rows (8 dot products). */
#define NC 4
#else
/* Channels per block. A 2 x 4 block in the portable path was slower under GCC for RV32 (it
 * hoists the block's loads and spills: 3.6 instructions/MAC against 3.4 for 2 x 2). */
#define NC 2
#endif

#if QLR_INT8_XPULP
/* s[r][j] = sum over the first 4*(k/4) taps of xr . w_j, for r < 2, j < 4 (rows w_j k bytes apart). */
static void xpulp_dot_2x4(const uint8_t *x0, const uint8_t *x1, const int8_t *w, uint32_t k, uint32_t s[2][NC])
{
    uint32_t n4 = k >> 2;
    uint32_t a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
    if (n4 != 0u) {
        const int8_t *w0 = w, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        uint32_t xa, xb, v0, v1, v2, v3;
        __asm__ volatile(QLR_XPULP_LOOP(0, "%[n]", 14)
                         QLR_XPULP_LW_POST("%[xa]", "%[x0]", "4")
                         QLR_XPULP_LW_POST("%[v0]", "%[w0]", "4")
                         QLR_XPULP_LW_POST("%[xb]", "%[x1]", "4")
                         QLR_XPULP_LW_POST("%[v1]", "%[w1]", "4")
                         QLR_XPULP_SDOTUSP_B("%[a00]", "%[xa]", "%[v0]")
                         QLR_XPULP_SDOTUSP_B("%[a10]", "%[xb]", "%[v0]")
                         QLR_XPULP_LW_POST("%[v2]", "%[w2]", "4")
                         QLR_XPULP_SDOTUSP_B("%[a01]", "%[xa]", "%[v1]")
                         QLR_XPULP_SDOTUSP_B("%[a11]", "%[xb]", "%[v1]")
                         QLR_XPULP_LW_POST("%[v3]", "%[w3]", "4")
                         QLR_XPULP_SDOTUSP_B("%[a02]", "%[xa]", "%[v2]")
                         QLR_XPULP_SDOTUSP_B("%[a12]", "%[xb]", "%[v2]")
                         QLR_XPULP_SDOTUSP_B("%[a03]", "%[xa]", "%[v3]")
                         QLR_XPULP_SDOTUSP_B("%[a13]", "%[xb]", "%[v3]")
                         QLR_XPULP_LOOP_END
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a02] "+r"(a02), [a03] "+r"(a03), [a10] "+r"(a10),
                           [a11] "+r"(a11), [a12] "+r"(a12), [a13] "+r"(a13), [x0] "+r"(x0), [x1] "+r"(x1),
                           [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [xa] "=&r"(xa),
                           [xb] "=&r"(xb), [v0] "=&r"(v0), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3)
                         : [n] "r"(n4)
                         : "memory");
    }
    s[0][0] = a00;
    s[0][1] = a01;
    s[0][2] = a02;
    s[0][3] = a03;
    s[1][0] = a10;
    s[1][1] = a11;
    s[1][2] = a12;
    s[1][3] = a13;
}

/* The same for one row. */
static void xpulp_dot_1x4(const uint8_t *x0, const int8_t *w, uint32_t k, uint32_t s[2][NC])
{
    uint32_t n4 = k >> 2;
    uint32_t a00 = 0, a01 = 0, a02 = 0, a03 = 0;
    if (n4 != 0u) {
        const int8_t *w0 = w, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        uint32_t xa, v0, v1, v2, v3;
        __asm__ volatile(QLR_XPULP_LOOP(0, "%[n]", 9)
                         QLR_XPULP_LW_POST("%[xa]", "%[x0]", "4")
                         QLR_XPULP_LW_POST("%[v0]", "%[w0]", "4")
                         QLR_XPULP_LW_POST("%[v1]", "%[w1]", "4")
                         QLR_XPULP_LW_POST("%[v2]", "%[w2]", "4")
                         QLR_XPULP_SDOTUSP_B("%[a00]", "%[xa]", "%[v0]")
                         QLR_XPULP_LW_POST("%[v3]", "%[w3]", "4")
                         QLR_XPULP_SDOTUSP_B("%[a01]", "%[xa]", "%[v1]")
                         QLR_XPULP_SDOTUSP_B("%[a02]", "%[xa]", "%[v2]")
                         QLR_XPULP_SDOTUSP_B("%[a03]", "%[xa]", "%[v3]")
                         QLR_XPULP_LOOP_END
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a02] "+r"(a02), [a03] "+r"(a03), [x0] "+r"(x0),
                           [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [xa] "=&r"(xa),
                           [v0] "=&r"(v0), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3)
                         : [n] "r"(n4)
                         : "memory");
    }
    s[0][0] = a00;
    s[0][1] = a01;
    s[0][2] = a02;
    s[0][3] = a03;
}

/* One channel (the out_c % 4 left over): s[r][0] over the first 4*(k/4) taps. */
static void xpulp_dot_nx1(const uint8_t *x0, const uint8_t *x1, const int8_t *w, uint32_t k, int nr,
                          uint32_t s[2][NC])
{
    const void *p0 = x0, *p1 = x1, *q = w;
    uint32_t a0 = 0, a1 = 0;
    for (uint32_t t = k >> 2; t != 0u; t--) {
        uint32_t v = qlr_xpulp_lw_post(&q, 4);
        a0 = qlr_xpulp_sdotusp_b(a0, qlr_xpulp_lw_post(&p0, 4), v);
        if (nr == 2) {
            a1 = qlr_xpulp_sdotusp_b(a1, qlr_xpulp_lw_post(&p1, 4), v);
        }
    }
    s[0][0] = a0;
    s[1][0] = a1;
}
#endif

#if QLR_INT8_DSP
/* 4 taps of the nr x nc block: a[r * NC + j] += x_r . w_j; advances the row pointers. */
QLR_INT8_INLINE void step4(const uint8_t **p0, const uint8_t **p1, const int8_t **q0, const int8_t **q1, int nr, int nc,
                         int32_t a[4])
{
    uint32_t v = qlr_int8_load4(*p0);
    *p0 += 4;
    int32_t x0e = (int32_t)__uxtb16(v), x0o = (int32_t)qlr_int8_uxtb16_ror8(v);
    int32_t x1e = 0, x1o = 0;
    if (nr == 2) {
        v = qlr_int8_load4(*p1);
        *p1 += 4;
        x1e = (int32_t)__uxtb16(v);
        x1o = (int32_t)qlr_int8_uxtb16_ror8(v);
    }
    v = qlr_int8_load4(*q0);
    *q0 += 4;
    int32_t we = __sxtb16((int32_t)v), wo = qlr_int8_sxtb16_ror8(v);
    a[0] = __smlad(x0o, wo, __smlad(x0e, we, a[0]));
    if (nr == 2) {
        a[2] = __smlad(x1o, wo, __smlad(x1e, we, a[2]));
    }
    if (nc == 2) {
        v = qlr_int8_load4(*q1);
        *q1 += 4;
        we = __sxtb16((int32_t)v);
        wo = qlr_int8_sxtb16_ror8(v);
        a[1] = __smlad(x0o, wo, __smlad(x0e, we, a[1]));
        if (nr == 2) {
            a[3] = __smlad(x1o, wo, __smlad(x1e, we, a[3]));
        }
    }
}
#endif

/* acc[r * NC + j] = sum_i xr[i] * w[j * k + i] (mod 2^32) for r < nr, j < nc (nc <= NC). */
QLR_INT8_INLINE void dot_block(const uint8_t *x0, const uint8_t *x1, const int8_t *w, uint32_t k, int nr, int nc,
                             uint32_t acc[2 * NC])
{
    uint32_t i = 0;
    uint32_t s[2][NC];
    for (int r = 0; r < 2; r++) {
        for (int j = 0; j < NC; j++) {
            s[r][j] = 0;
        }
    }
#if QLR_INT8_DSP
    int32_t a[4] = {0, 0, 0, 0};
    const uint8_t *p0 = x0, *p1 = x1, *end = x0 + (k & ~3u);
    const int8_t *q0 = w, *q1 = w + k;
    while (p0 != end) { /* (unrolling by 8 spills more registers than it saves) */
        step4(&p0, &p1, &q0, &q1, nr, nc, a);
    }
    i = k & ~3u;
    s[0][0] = (uint32_t)a[0];
    s[0][1] = (uint32_t)a[1];
    s[1][0] = (uint32_t)a[2];
    s[1][1] = (uint32_t)a[3];
#elif QLR_INT8_XPULP
    if (nc == NC && nr == 2) {
        xpulp_dot_2x4(x0, x1, w, k, s);
    } else if (nc == NC) {
        xpulp_dot_1x4(x0, w, k, s);
    } else {
        for (int j = 0; j < nc; j++) { /* (nc == 1 in rows_n) */
            uint32_t t[2][NC];
            xpulp_dot_nx1(x0, x1, w + (size_t)j * k, k, nr, t);
            s[0][j] = t[0][0];
            s[1][j] = t[1][0];
        }
    }
    i = k & ~3u;
#else
    /* Written out: GCC -O2 keeps small loops over u and j rolled, with the sums in memory. */
    uint32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
    const uint8_t *p0 = x0, *p1 = x1, *end = x0 + (k & ~3u);
    const int8_t *q0 = w, *q1 = w + (nc > 1 ? k : 0u);
#define QLR_INT8_TAP(u)                                                                                                  \
    do {                                                                                                               \
        int32_t xa = p0[u], xb = nr == 2 ? p1[u] : 0, wv = q0[u];                                                      \
        a00 += (uint32_t)(xa * wv);                                                                                    \
        a10 += (uint32_t)(xb * wv);                                                                                    \
        if (nc > 1) {                                                                                                  \
            wv = q1[u];                                                                                                \
            a01 += (uint32_t)(xa * wv);                                                                                \
            a11 += (uint32_t)(xb * wv);                                                                                \
        }                                                                                                              \
    } while (0)
    while (p0 != end) { /* 4 taps per pass, constant offsets from pointers that move once per pass */
        QLR_INT8_TAP(0);
        QLR_INT8_TAP(1);
        QLR_INT8_TAP(2);
        QLR_INT8_TAP(3);
        p0 += 4;
        if (nr == 2) {
            p1 += 4;
        }
        q0 += 4;
        q1 += 4;
    }
#undef QLR_INT8_TAP
    i = k & ~3u;
    s[0][0] = a00;
    s[0][1] = a01;
    s[1][0] = a10;
    s[1][1] = a11;
#endif
    for (; i < k; i++) {
        int32_t xa = x0[i], xb = nr == 2 ? x1[i] : 0;
        for (int j = 0; j < nc; j++) {
            int32_t wv = w[(size_t)j * k + i];
            s[0][j] += (uint32_t)(xa * wv);
            if (nr == 2) {
                s[1][j] += (uint32_t)(xb * wv);
            }
        }
    }
    for (int r = 0; r < 2; r++) {
        for (int j = 0; j < NC; j++) {
            acc[r * NC + j] = s[r][j];
        }
    }
}

static uint32_t row_sum(const uint8_t *x, uint32_t k)
{
    uint32_t s = 0, i = 0;
#if QLR_INT8_DSP
    for (; i + 4u <= k; i += 4u) {
        s = __usada8(qlr_int8_load4(x + i), 0u, s);
    }
#elif QLR_INT8_XPULP
    const void *p = x;
    for (; i + 4u <= k; i += 4u) {
        s = qlr_xpulp_sdotup_b(s, qlr_xpulp_lw_post(&p, 4), 0x01010101u);
    }
#endif
    for (; i < k; i++) {
        s += x[i];
    }
    return s;
}

QLR_INT8_INLINE uint8_t finish(const qlr_int8_rows_t *g, uint32_t c, uint32_t acc, uint32_t zsum)
{
    uint32_t b = g->bias != NULL ? (uint32_t)g->bias[c] : 0u;
    int32_t v = (int32_t)(b + acc - zsum); /* exact: the true value fits int32 */
    uint32_t q = g->rq.n != 1u ? c : 0u;
    return qlr_requant_u8(v, g->rq.mult[q], g->rq.shift[q], g->rq.out_zp, g->rq.act_min, g->rq.act_max);
}

/* One block of nc channels from c for nr rows, requantized. */
QLR_INT8_INLINE void block(const qlr_int8_rows_t *g, const uint8_t *x0, const uint8_t *x1, uint8_t *y0, uint8_t *y1,
                         uint32_t c, uint32_t z0, uint32_t z1, int nr, int nc)
{
    uint32_t acc[2 * NC];
    dot_block(x0, x1, g->w + (size_t)c * g->k, g->k, nr, nc, acc);
    for (int j = 0; j < nc; j++) {
        y0[c + (uint32_t)j] = finish(g, c + (uint32_t)j, acc[j], z0);
        if (nr == 2) {
            y1[c + (uint32_t)j] = finish(g, c + (uint32_t)j, acc[NC + j], z1);
        }
    }
}

QLR_INT8_INLINE void rows_n(const qlr_int8_rows_t *g, const uint8_t *x0, const uint8_t *x1, uint8_t *y0, uint8_t *y1,
                          uint32_t c_begin, uint32_t c_end, int nr)
{
    uint32_t k = g->k;
    uint32_t zw = (uint32_t)g->w_zp;
    uint32_t z0 = zw != 0u ? zw * row_sum(x0, k) : 0u;
    uint32_t z1 = (zw != 0u && nr == 2) ? zw * row_sum(x1, k) : 0u;
    uint32_t c = c_begin;
    for (; c + NC <= c_end; c += NC) {
        block(g, x0, x1, y0, y1, c, z0, z1, nr, NC);
    }
    for (; c < c_end; c++) {
        block(g, x0, x1, y0, y1, c, z0, z1, nr, 1);
    }
}

void qlr_int8_rows(const qlr_int8_rows_t *g, const uint8_t *x0, const uint8_t *x1, uint8_t *y0, uint8_t *y1,
                 uint32_t c_begin, uint32_t c_end)
{
    if (x1 != NULL) {
        rows_n(g, x0, x1, y0, y1, c_begin, c_end, 2);
    } else {
        rows_n(g, x0, NULL, y0, NULL, c_begin, c_end, 1);
    }
}

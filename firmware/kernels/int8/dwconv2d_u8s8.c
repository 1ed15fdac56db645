/*
 * int8 depthwise 2-D convolution, channel multiplier 1, any kernel, stride and padding
 * (qlr/kernels_int8.h).
 *
 * Channels go four at a time (one 32-bit word of HWC input). For each block of four, a core
 * first writes the centred weights w - w_zp of every tap to its scratch (so the weight zero point
 * costs nothing in the inner loop), then works output row by output row in two passes:
 *   1. accumulators of the whole row, bias included, into the scratch ([out_w][4] int32):
 *      columns whose window lies wholly inside the input run through a tight loop (3x3 windows
 *      fully unrolled); border columns visit only their taps inside the input, and with a
 *      non-zero input zero point add in_zp * (w - w_zp) for the taps in the padding (they hold
 *      in_zp; the folded bias subtracted them);
 *   2. requantization channel by channel (qlr_requant_u8_strided), the channel's multiplier and
 *      shift in registers.
 * A last block of fewer than four channels goes one channel at a time.
 *
 * Cortex-M4 DSP path per tap and four channels: LDR, UXTB16 x2 (lanes c0,c2 and c1,c3), LDRD of
 * two packed int16 weight pairs, SMLABB/SMLATT x2 each. Portable path: 4 byte loads and 4
 * multiply-adds against int32 centred weights.
 *
 * Split over the team by channel blocks (each core then centres only its own weights), or by output
 * rows when they balance better (few channels, many rows).
 */
#include "int8_core.h"

#define TAP_BYTES 16u /* per tap and block: 4 int32 (portable) or 2 int16 pairs (DSP); per column: 4 int32 */

/* Per core: the centred weights of one block and the accumulators of one output row. */
static uint64_t core_bytes(const qlr_dwconv2d_u8s8_args_t *a)
{
    uint32_t ow = qlr_int8_out_size(a->in_w, a->k_w, a->stride_w, a->pad_left, a->pad_right);
    return qlr_mul_sat64((uint64_t)a->k_h * a->k_w + ow, TAP_BYTES); /* k_h*k_w + ow < 2^64 */
}

static uint64_t scratch_need(const qlr_dwconv2d_u8s8_args_t *a, unsigned cores)
{
    return qlr_mul_sat64(cores, core_bytes(a));
}

size_t qlr_dwconv2d_u8s8_scratch_size(const qlr_dwconv2d_u8s8_args_t *a, unsigned cores)
{
    uint64_t need = scratch_need(a, cores);
    return need > SIZE_MAX ? 0u : (size_t)need;
}

static qlr_status_t dw_check(const qlr_dwconv2d_u8s8_args_t *a, uint32_t *oh, uint32_t *ow)
{
    if (a->x == NULL || a->w == NULL || a->y == NULL || a->n == 0u || a->c == 0u) {
        return QLR_E_ARG;
    }
    *oh = qlr_int8_out_size(a->in_h, a->k_h, a->stride_h, a->pad_top, a->pad_bottom);
    *ow = qlr_int8_out_size(a->in_w, a->k_w, a->stride_w, a->pad_left, a->pad_right);
    if (*oh == 0u || *ow == 0u) {
        return QLR_E_SHAPE;
    }
    if (a->in_zp < 0 || a->in_zp > 255 || a->w_zp < -128 || a->w_zp > 127) {
        return QLR_E_ARG;
    }
    if (qlr_elems3(a->k_h, a->k_w, a->c) == 0u || qlr_elems4(a->n, a->in_h, a->in_w, a->c) == 0u ||
        qlr_elems4(a->n, *oh, *ow, a->c) == 0u) {
        return QLR_E_SIZE;
    }
    if (a->scratch == NULL || ((uintptr_t)a->scratch & 3u) != 0u) {
        return a->scratch == NULL ? QLR_E_NOMEM : QLR_E_ALIGN;
    }
    if ((uint64_t)a->scratch_size < scratch_need(a, qlr_core_count())) {
        return QLR_E_NOMEM;
    }
    return qlr_requant_check(&a->rq, a->c, NULL);
}

/* Centred weight of channel j (0..3) of the block at tap t, from the scratch layout. */
static int32_t wc_get(const int32_t *wb, uint32_t t, uint32_t j)
{
#if QLR_INT8_DSP
    uint32_t v = (uint32_t)wb[2u * t + (j & 1u)]; /* word 0: c0 | c2 << 16, word 1: c1 | c3 << 16 */
    return (int32_t)(int16_t)(uint16_t)(j < 2u ? v : v >> 16);
#else
    return wb[4u * t + j];
#endif
}

static void prepare(const int8_t *w, uint32_t ch, int32_t w_zp, uint32_t taps, uint32_t c, uint32_t nc, int32_t *wb)
{
    for (uint32_t t = 0; t < taps; t++) {
        int32_t v[4];
        for (uint32_t j = 0; j < 4u; j++) {
            v[j] = j < nc ? (int32_t)w[(size_t)t * ch + c + j] - w_zp : 0;
        }
#if QLR_INT8_DSP
        wb[2u * t] = (int32_t)(((uint32_t)v[0] & 0xFFFFu) | ((uint32_t)v[2] << 16));
        wb[2u * t + 1u] = (int32_t)(((uint32_t)v[1] & 0xFFFFu) | ((uint32_t)v[3] << 16));
#else
        for (uint32_t j = 0; j < 4u; j++) {
            wb[4u * t + j] = v[j];
        }
#endif
    }
}

/* Running sums of four channels. */
typedef struct {
#if QLR_INT8_DSP
    int32_t a0, a1, a2, a3;
#else
    uint32_t a0, a1, a2, a3; /* modulo 2^32 */
#endif
} acc4_t;

/* One tap: four channels of input at p against the block's centred weights w of that tap. */
QLR_INT8_INLINE void tap4(acc4_t *s, const uint8_t *p, const int32_t *w)
{
#if QLR_INT8_DSP
    uint32_t v = qlr_int8_load4(p);
    int32_t xe = (int32_t)__uxtb16(v), xo = (int32_t)qlr_int8_uxtb16_ror8(v);
    s->a0 = __smlabb(xe, w[0], s->a0);
    s->a2 = __smlatt(xe, w[0], s->a2);
    s->a1 = __smlabb(xo, w[1], s->a1);
    s->a3 = __smlatt(xo, w[1], s->a3);
#else
    s->a0 += (uint32_t)((int32_t)p[0] * w[0]);
    s->a1 += (uint32_t)((int32_t)p[1] * w[1]);
    s->a2 += (uint32_t)((int32_t)p[2] * w[2]);
    s->a3 += (uint32_t)((int32_t)p[3] * w[3]);
#endif
}

#if QLR_INT8_DSP
#define TAP_WORDS 2u
#else
#define TAP_WORDS 4u
#endif

QLR_INT8_INLINE void store4(int32_t *ra, const acc4_t *s)
{
    ra[0] = (int32_t)s->a0;
    ra[1] = (int32_t)s->a1;
    ra[2] = (int32_t)s->a2;
    ra[3] = (int32_t)s->a3;
}

QLR_INT8_INLINE void load4(acc4_t *s, const int32_t *v)
{
#if QLR_INT8_DSP
    s->a0 = v[0];
    s->a1 = v[1];
    s->a2 = v[2];
    s->a3 = v[3];
#else
    s->a0 = (uint32_t)v[0];
    s->a1 = (uint32_t)v[1];
    s->a2 = (uint32_t)v[2];
    s->a3 = (uint32_t)v[3];
#endif
}

/* Pass 1 for `count` consecutive output columns whose k_h x k_w window lies wholly inside the
 * input: xp is the window's top-left input at the block's first channel, x_step the input step
 * between output columns. */
static void interior_run(const uint8_t *xp, size_t x_step, size_t row_step, size_t ch, const int32_t *wb,
                         uint32_t k_h, uint32_t k_w, const int32_t bias[4], int32_t *ra, uint32_t count)
{
    if (k_h == 3u && k_w == 3u) { /* the MobileNet case, unrolled */
        const size_t ch2 = 2u * ch;
        for (; count != 0u; count--, xp += x_step, ra += 4) {
            acc4_t s;
            load4(&s, bias);
            const uint8_t *p = xp;
            tap4(&s, p, wb);
            tap4(&s, p + ch, wb + TAP_WORDS);
            tap4(&s, p + ch2, wb + (size_t)2u * TAP_WORDS);
            p += row_step;
            tap4(&s, p, wb + (size_t)3u * TAP_WORDS);
            tap4(&s, p + ch, wb + (size_t)4u * TAP_WORDS);
            tap4(&s, p + ch2, wb + (size_t)5u * TAP_WORDS);
            p += row_step;
            tap4(&s, p, wb + (size_t)6u * TAP_WORDS);
            tap4(&s, p + ch, wb + (size_t)7u * TAP_WORDS);
            tap4(&s, p + ch2, wb + (size_t)8u * TAP_WORDS);
            store4(ra, &s);
        }
        return;
    }
    for (; count != 0u; count--, xp += x_step, ra += 4) {
        acc4_t s;
        load4(&s, bias);
        const uint8_t *prow = xp;
        const int32_t *w = wb;
        for (uint32_t ky = 0; ky < k_h; ky++, prow += row_step) {
            const uint8_t *p = prow;
            for (uint32_t kx = 0; kx < k_w; kx++, p += ch, w += TAP_WORDS) {
                tap4(&s, p, w);
            }
        }
        store4(ra, &s);
    }
}

/* Pass 1 for one output column in general: the taps [ky0,ky1) x [kx0,kx1) inside the input
 * (xp at the first of them), then in_zp times the weights of the taps in the padding. */
static void border_column(const uint8_t *xp, size_t row_step, size_t ch, const int32_t *wb, uint32_t k_h, uint32_t k_w,
                          uint32_t ky0, uint32_t ky1, uint32_t kx0, uint32_t kx1, uint32_t nc, uint32_t zx,
                          const int32_t bias[4], int32_t *ra)
{
    uint32_t acc[4] = {(uint32_t)bias[0], (uint32_t)bias[1], (uint32_t)bias[2], (uint32_t)bias[3]};
    if (nc == 4u) {
        acc4_t s;
        load4(&s, bias);
        for (uint32_t ky = ky0; ky < ky1; ky++, xp += row_step) {
            const uint8_t *p = xp;
            for (uint32_t kx = kx0; kx < kx1; kx++, p += ch) {
                tap4(&s, p, wb + (size_t)TAP_WORDS * (ky * k_w + kx));
            }
        }
        store4(ra, &s);
        for (uint32_t j = 0; j < 4u; j++) {
            acc[j] = (uint32_t)ra[j];
        }
    } else {
        for (uint32_t j = 0; j < nc; j++) {
            const uint8_t *xr = xp + j;
            for (uint32_t ky = ky0; ky < ky1; ky++, xr += row_step) {
                for (uint32_t kx = kx0; kx < kx1; kx++) {
                    acc[j] += (uint32_t)((int32_t)xr[(size_t)(kx - kx0) * ch] * wc_get(wb, ky * k_w + kx, j));
                }
            }
        }
    }
    if (zx != 0u && (ky1 - ky0 != k_h || kx1 - kx0 != k_w)) { /* taps in the padding hold in_zp */
        for (uint32_t ky = 0; ky < k_h; ky++) {
            for (uint32_t kx = 0; kx < k_w; kx++) {
                if (ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1) {
                    continue;
                }
                for (uint32_t j = 0; j < nc; j++) {
                    acc[j] += zx * (uint32_t)wc_get(wb, ky * k_w + kx, j);
                }
            }
        }
    }
    for (uint32_t j = 0; j < 4u; j++) {
        ra[j] = (int32_t)acc[j];
    }
}

qlr_status_t qlr_dwconv2d_u8s8(const qlr_dwconv2d_u8s8_args_t *a)
{
    uint32_t oh, ow;
    qlr_status_t st = dw_check(a, &oh, &ow);
    if (st != QLR_OK) {
        return st;
    }
    const uint32_t ch = a->c, in_h = a->in_h, in_w = a->in_w, k_h = a->k_h, k_w = a->k_w;
    const uint32_t sh = a->stride_h, sw = a->stride_w, pt = a->pad_top, pl = a->pad_left;
    const uint32_t zx = (uint32_t)a->in_zp, taps = k_h * k_w;
    uint32_t rows = a->n * oh, blocks = (ch + 3u) / 4u;
    unsigned id = qlr_core_id(), cores = qlr_core_count();
    uint32_t r0 = 0, r1 = rows, b0 = 0, b1 = blocks;
    if (qlr_split_first(blocks, rows, cores)) { /* ties go to blocks: each core centres only its weights */
        qlr_share(blocks, id, cores, &b0, &b1);
    } else {
        qlr_share(rows, id, cores, &r0, &r1);
    }
    int32_t *wb = (int32_t *)(void *)((uint8_t *)a->scratch + (size_t)id * (size_t)core_bytes(a));
    int32_t *rowacc = (int32_t *)(void *)((uint8_t *)wb + (size_t)taps * TAP_BYTES); /* [ow][4] */
    const size_t row_step = (size_t)in_w * ch;
    /* Output columns whose window lies wholly inside the input: [ox_in0, ox_in1). */
    uint32_t ox_in0 = (pl + sw - 1u) / sw;
    uint32_t ox_in1 = in_w + pl >= k_w ? (in_w + pl - k_w) / sw + 1u : 0u; /* in_w < 2^31, pl < 2^8 */
    ox_in1 = ox_in1 > ow ? ow : ox_in1;
    ox_in0 = ox_in0 > ox_in1 ? ox_in1 : ox_in0;
    for (uint32_t blk = b0; blk < b1; blk++) {
        uint32_t c = 4u * blk, nc = ch - c < 4u ? ch - c : 4u;
        prepare(a->w, ch, a->w_zp, taps, c, nc, wb);
        int32_t bias[4] = {0, 0, 0, 0};
        for (uint32_t j = 0; j < nc && a->bias != NULL; j++) {
            bias[j] = a->bias[c + j];
        }
        for (uint32_t row = r0; row < r1; row++) {
            uint32_t b = row / oh, oy = row % oh;
            int64_t iy0 = (int64_t)oy * sh - pt;
            uint32_t ky0 = qlr_int8_clip_taps(-iy0, k_h), ky1 = qlr_int8_clip_taps((int64_t)in_h - iy0, k_h);
            ky1 = ky1 < ky0 ? ky0 : ky1;
            /* input row of the first valid tap, at column 0, channel c */
            const uint8_t *xrow = a->x + c; /* stays unread when no input row is in the window */
            if (ky1 > ky0) {
                xrow += (((size_t)b * in_h + (size_t)(iy0 + (int64_t)ky0)) * in_w) * ch;
            }
            uint32_t run0 = ox_in0, run1 = ox_in1; /* the interior run, empty unless 4 channels, all rows */
            if (nc != 4u || ky1 - ky0 != k_h) {
                run0 = run1 = ow;
            }
            if (run1 > run0) {
                interior_run(xrow + ((size_t)run0 * sw - pl) * ch, (size_t)sw * ch, row_step, ch, wb, k_h, k_w, bias,
                             rowacc + (size_t)4u * run0, run1 - run0);
            }
            for (uint32_t ox = 0; ox < ow; ox++) {
                if (ox == run0) {
                    ox = run1;
                    if (ox == ow) {
                        break;
                    }
                }
                int64_t ix0 = (int64_t)ox * sw - pl;
                uint32_t kx0 = qlr_int8_clip_taps(-ix0, k_w), kx1 = qlr_int8_clip_taps((int64_t)in_w - ix0, k_w);
                kx1 = kx1 < kx0 ? kx0 : kx1;
                const uint8_t *xp = xrow; /* stays unread when no tap is inside the input */
                if (ky1 > ky0 && kx1 > kx0) {
                    xp += (size_t)(ix0 + (int64_t)kx0) * ch;
                }
                border_column(xp, row_step, ch, wb, k_h, k_w, ky0, ky1, kx0, kx1, nc, zx, bias, rowacc + (size_t)4u * ox);
            }
            uint8_t *y = a->y + (size_t)row * ow * ch + c;
            for (uint32_t j = 0; j < nc; j++) {
                uint32_t q = a->rq.n != 1u ? c + j : 0u;
                qlr_requant_u8_strided(rowacc + j, 4u, y + j, ch, ow, a->rq.mult[q], a->rq.shift[q], a->rq.out_zp,
                                       a->rq.act_min, a->rq.act_max);
            }
        }
    }
    qlr_team_barrier();
    return QLR_OK;
}

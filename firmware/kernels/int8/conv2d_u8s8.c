/*
 * int8 2-D convolution, any kernel, stride and padding (qlr/kernels_int8.h). Each core gathers two
 * output pixels' receptive fields into its slice of the scratch (im2col: k_h*k_w*in_c bytes per
 * pixel, padding filled with in_zp, which contributes exactly zero after bias folding) and runs
 * them through qlr_int8_rows against the [out_c][k_h*k_w*in_c] weights. Split over the team by
 * output pixels, or by output channels when there are fewer pixels than cores.
 */
#include "int8_core.h"

/* One im2col row (k_h*k_w*in_c bytes) rounded up to words; valid once conv_check passed. */
static size_t row_bytes(const qlr_conv2d_u8s8_args_t *a)
{
    size_t k = (size_t)a->k_h * a->k_w * a->in_c;
    return (k + 3u) & ~(size_t)3u;
}

static uint64_t scratch_need(const qlr_conv2d_u8s8_args_t *a, unsigned cores)
{
    uint64_t k = qlr_mul_sat64((uint64_t)a->k_h * a->k_w, a->in_c);
    return qlr_mul_sat64(2u * (uint64_t)cores, k > UINT64_MAX - 3u ? UINT64_MAX : (k + 3u) & ~(uint64_t)3u);
}

size_t qlr_conv2d_u8s8_scratch_size(const qlr_conv2d_u8s8_args_t *a, unsigned cores)
{
    uint64_t need = scratch_need(a, cores);
    return need > SIZE_MAX ? 0u : (size_t)need;
}

static qlr_status_t conv_check(const qlr_conv2d_u8s8_args_t *a, uint32_t *oh, uint32_t *ow)
{
    if (a->x == NULL || a->w == NULL || a->y == NULL || a->n == 0u || a->in_c == 0u || a->out_c == 0u) {
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
    uint32_t k = qlr_elems3(a->k_h, a->k_w, a->in_c);
    if (k == 0u || qlr_elems2(a->out_c, k) == 0u || qlr_elems4(a->n, a->in_h, a->in_w, a->in_c) == 0u ||
        qlr_elems4(a->n, *oh, *ow, a->out_c) == 0u) {
        return QLR_E_SIZE;
    }
    if (a->scratch == NULL || ((uintptr_t)a->scratch & 3u) != 0u) {
        return a->scratch == NULL ? QLR_E_NOMEM : QLR_E_ALIGN;
    }
    if ((uint64_t)a->scratch_size < scratch_need(a, qlr_core_count())) {
        return QLR_E_NOMEM;
    }
    return qlr_requant_check(&a->rq, a->out_c, NULL);
}

/* The receptive field of output pixel (b, oy, ox) as k_h rows of k_w*in_c bytes. */
static void im2col(const qlr_conv2d_u8s8_args_t *a, uint32_t b, uint32_t oy, uint32_t ox, uint8_t *col)
{
    size_t seg = (size_t)a->k_w * a->in_c;
    int64_t ix0 = (int64_t)ox * a->stride_w - a->pad_left;
    uint32_t kx0 = qlr_int8_clip_taps(-ix0, a->k_w), kx1 = qlr_int8_clip_taps((int64_t)a->in_w - ix0, a->k_w);
    if (kx1 < kx0) {
        kx1 = kx0; /* window entirely in the padding */
    }
    for (uint32_t ky = 0; ky < a->k_h; ky++, col += seg) {
        int64_t iy = (int64_t)oy * a->stride_h + ky - a->pad_top;
        if (iy < 0 || iy >= (int64_t)a->in_h || kx1 == kx0) {
            memset(col, a->in_zp, seg);
            continue;
        }
        const uint8_t *src = a->x + (((size_t)b * a->in_h + (size_t)iy) * a->in_w + (size_t)(ix0 + kx0)) * a->in_c;
        memset(col, a->in_zp, (size_t)kx0 * a->in_c);
        memcpy(col + (size_t)kx0 * a->in_c, src, (size_t)(kx1 - kx0) * a->in_c);
        memset(col + (size_t)kx1 * a->in_c, a->in_zp, (size_t)(a->k_w - kx1) * a->in_c);
    }
}

qlr_status_t qlr_conv2d_u8s8(const qlr_conv2d_u8s8_args_t *a)
{
    uint32_t oh, ow;
    qlr_status_t st = conv_check(a, &oh, &ow);
    if (st != QLR_OK) {
        return st;
    }
    uint32_t k = a->k_h * a->k_w * a->in_c;
    uint32_t pixels = a->n * oh * ow;
    const qlr_int8_rows_t g = {.w = a->w, .bias = a->bias, .rq = a->rq, .k = k, .w_zp = a->w_zp};
    unsigned id = qlr_core_id(), cores = qlr_core_count();
    uint32_t p0 = 0, p1 = pixels, c0 = 0, c1 = a->out_c;
    if (qlr_split_first(pixels, a->out_c, cores)) {
        qlr_share(pixels, id, cores, &p0, &p1);
    } else {
        qlr_share(a->out_c, id, cores, &c0, &c1);
    }
    uint8_t *col[2];
    col[0] = (uint8_t *)a->scratch + (size_t)id * 2u * row_bytes(a);
    col[1] = col[0] + row_bytes(a);
    uint8_t *yr[2];
    uint32_t ox = p0 % ow, oy = (p0 / ow) % oh, b = p0 / (ow * oh);
    for (uint32_t p = p0; p < p1;) {
        unsigned nr = p + 1u < p1 ? 2u : 1u;
        for (unsigned r = 0; r < nr; r++, p++) {
            im2col(a, b, oy, ox, col[r]);
            yr[r] = a->y + (size_t)p * a->out_c;
            if (++ox == ow) {
                ox = 0;
                if (++oy == oh) {
                    oy = 0;
                    b++;
                }
            }
        }
        qlr_int8_rows(&g, col[0], nr == 2u ? col[1] : NULL, yr[0], nr == 2u ? yr[1] : NULL, c0, c1);
    }
    qlr_team_barrier();
    return QLR_OK;
}

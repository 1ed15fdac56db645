/*
 * Helpers shared by the FP32 training kernels (f32_common.h) and the window geometry of
 * qlr/kernels_f32.h.
 */
#include "f32_common.h"

static uint32_t out_size(uint32_t size, uint32_t k, uint32_t s, uint32_t lo, uint32_t hi)
{
    uint64_t padded = (uint64_t)size + lo + hi;
    if (s == 0 || k == 0 || padded < k) {
        return 0;
    }
    uint64_t n = (padded - k) / s + 1u;
    return n > UINT32_MAX ? 0 : (uint32_t)n;
}

uint32_t qlr_f32_window_ho(const qlr_f32_window_t *g)
{
    return out_size(g->h, g->kh, g->sh, g->pad_top, g->pad_bottom);
}

uint32_t qlr_f32_window_wo(const qlr_f32_window_t *g)
{
    return out_size(g->w, g->kw, g->sw, g->pad_left, g->pad_right);
}

qlr_status_t qlr_f32_window_check(const qlr_f32_window_t *g)
{
    if (g->n == 0 || g->h == 0 || g->w == 0 || g->c == 0 || g->kh == 0 || g->kw == 0 || g->sh == 0 ||
        g->sw == 0) {
        return QLR_E_ARG;
    }
    /* Pads beyond the input make no sense and would overflow the signed tap arithmetic. */
    if (g->pad_top > 0xFFFFu || g->pad_bottom > 0xFFFFu || g->pad_left > 0xFFFFu || g->pad_right > 0xFFFFu ||
        g->kh > 0xFFFFu || g->kw > 0xFFFFu) {
        return QLR_E_ARG;
    }
    uint32_t ho = qlr_f32_window_ho(g), wo = qlr_f32_window_wo(g);
    if (ho == 0 || wo == 0) {
        return QLR_E_ARG;
    }
    if (qlr_elems4(g->n, g->h, g->w, g->c) == 0u || qlr_elems4(g->n, ho, wo, g->c) == 0u ||
        qlr_elems3(g->kh, g->kw, g->c) == 0u) {
        return QLR_E_SIZE;
    }
    return QLR_OK;
}

void qlr_f32_zero_share(float *p, size_t count)
{
    size_t b, e;
    qlr_my_share_size(count, &b, &e);
    for (size_t i = b; i < e; i++) {
        p[i] = 0.0f;
    }
}

void qlr_f32_colsum_share(const float *a, uint32_t rows, uint32_t cols, float *out, int accumulate)
{
    uint32_t j0, j1;
    qlr_my_share(cols, &j0, &j1);
    uint32_t j = j0;
    /* Four columns at a time in registers, one pass down the rows. */
    for (; j + 4u <= j1; j += 4u) {
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        const float *p = a + j;
        for (uint32_t r = 0; r < rows; r++, p += cols) {
            s0 += p[0];
            s1 += p[1];
            s2 += p[2];
            s3 += p[3];
        }
        if (accumulate) {
            s0 += out[j];
            s1 += out[j + 1u];
            s2 += out[j + 2u];
            s3 += out[j + 3u];
        }
        out[j] = s0;
        out[j + 1u] = s1;
        out[j + 2u] = s2;
        out[j + 3u] = s3;
    }
    for (; j < j1; j++) {
        float s = 0.0f;
        const float *p = a + j;
        for (uint32_t r = 0; r < rows; r++, p += cols) {
            s += *p;
        }
        out[j] = accumulate ? out[j] + s : s;
    }
}

void qlr_f32_for_my_pixel_groups(uint32_t pixels, uint32_t c, const void *ctx, qlr_f32_pixel_fn fn)
{
    const uint32_t groups = (c + QLR_F32_GROUP - 1u) / QLR_F32_GROUP;
    uint32_t b, e;
    qlr_my_share(pixels * groups, &b, &e);
    uint32_t item = b;
    while (item < e) {
        uint32_t pix = item / groups, g0 = item % groups;
        uint32_t g1 = groups;
        if (e - item < g1 - g0) {
            g1 = g0 + (e - item);
        }
        uint32_t c_hi = g1 * QLR_F32_GROUP < c ? g1 * QLR_F32_GROUP : c;
        fn(ctx, pix, g0 * QLR_F32_GROUP, c_hi);
        item += g1 - g0;
    }
}

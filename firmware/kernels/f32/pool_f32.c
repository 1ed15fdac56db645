/*
 * FP32 average pooling (qlr/kernels_f32.h), windowed and global.
 *
 *   windowed fw: y[n,p,q,c] = (sum of the Kh x Kw window, zero padding included) / (Kh*Kw)
 *   windowed bw: dx[n,y,x,c] = (sum of dy over the windows that contain (y, x)) / (Kh*Kw)
 *   global fw:   y[n,c] = (sum over H x W of x[n,.,.,c]) / (H*W)
 *   global bw:   dx[n,y,x,c] = dy[n,c] * (1 / (H*W))
 *
 * Windowed passes split (pixel, 4-channel group) items like the depthwise kernels (the backward
 * pass gathers per dx pixel: no two cores write one element).
 */
#include "f32_common.h"

static qlr_status_t pool_check(const qlr_f32_window_t *g)
{
    qlr_status_t st = qlr_f32_window_check(g);
    if (st != QLR_OK) {
        return st;
    }
    /* The golden model requires padding smaller than the window (no all-padding window). */
    if (g->pad_top >= g->kh || g->pad_bottom >= g->kh || g->pad_left >= g->kw || g->pad_right >= g->kw) {
        return QLR_E_ARG;
    }
    return QLR_OK;
}

typedef struct {
    const qlr_f32_window_t *g;
    const float *src;
    float *dst;
    uint32_t ho, wo;
    float scale; /* 1 / (Kh*Kw) */
} pool_ctx_t;

/* Sum of channels [c_lo, c_hi) over an ni x nj block of pixels starting at p00 (rows `row`
 * floats apart, pixels `col` floats apart), times scale, into out: four channels at a time in
 * registers. */
static void block_sum(const float *p00, size_t row, size_t col, int32_t ni, int32_t nj, uint32_t c_lo,
                      uint32_t c_hi, float scale, float *out)
{
    uint32_t c = c_lo;
    for (; c + QLR_F32_GROUP <= c_hi; c += QLR_F32_GROUP) {
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        const float *pr = p00 + c;
        for (int32_t i = 0; i < ni; i++, pr += row) {
            const float *pp = pr;
            for (int32_t j = 0; j < nj; j++, pp += col) {
                s0 += pp[0];
                s1 += pp[1];
                s2 += pp[2];
                s3 += pp[3];
            }
        }
        out[c] = s0 * scale;
        out[c + 1u] = s1 * scale;
        out[c + 2u] = s2 * scale;
        out[c + 3u] = s3 * scale;
    }
    for (; c < c_hi; c++) {
        float s = 0.0f;
        const float *pr = p00 + c;
        for (int32_t i = 0; i < ni; i++, pr += row) {
            const float *pp = pr;
            for (int32_t j = 0; j < nj; j++, pp += col) {
                s += *pp;
            }
        }
        out[c] = s * scale;
    }
}

static void fw_pixel(const void *vctx, uint32_t pix, uint32_t c_lo, uint32_t c_hi)
{
    const pool_ctx_t *ctx = vctx;
    const qlr_f32_window_t *g = ctx->g;
    const uint32_t C = g->c;
    uint32_t q = pix % ctx->wo, t = pix / ctx->wo;
    uint32_t p = t % ctx->ho, n = t / ctx->ho;
    int32_t yi0 = (int32_t)(p * g->sh) - (int32_t)g->pad_top;
    int32_t xi0 = (int32_t)(q * g->sw) - (int32_t)g->pad_left;
    int32_t i0, i1, j0, j1;
    qlr_f32_tap_range(yi0, g->kh, g->h, &i0, &i1);
    qlr_f32_tap_range(xi0, g->kw, g->w, &j0, &j1);
    /* Padding is smaller than the window (pool_check), so every window has a valid tap. */
    const float *x00 = ctx->src + (((size_t)n * g->h + (size_t)(yi0 + i0)) * g->w + (size_t)(xi0 + j0)) * C;
    block_sum(x00, (size_t)g->w * C, C, i1 - i0, j1 - j0, c_lo, c_hi, ctx->scale, ctx->dst + (size_t)pix * C);
}

qlr_status_t qlr_avgpool_f32_fw(const qlr_avgpool_f32_fw_args_t *a)
{
    qlr_status_t st = pool_check(&a->g);
    if (st != QLR_OK) {
        return st;
    }
    pool_ctx_t ctx = {.g = &a->g, .src = a->x, .dst = a->y, .ho = qlr_f32_window_ho(&a->g),
                      .wo = qlr_f32_window_wo(&a->g), .scale = 1.0f / (float)(a->g.kh * a->g.kw)};
    qlr_f32_for_my_pixel_groups(a->g.n * ctx.ho * ctx.wo, a->g.c, &ctx, fw_pixel);
    qlr_team_barrier();
    return QLR_OK;
}

static void bw_pixel(const void *vctx, uint32_t pix, uint32_t c_lo, uint32_t c_hi)
{
    const pool_ctx_t *ctx = vctx;
    const qlr_f32_window_t *g = ctx->g;
    const uint32_t C = g->c;
    uint32_t xi = pix % g->w, t = pix / g->w;
    uint32_t yi = t % g->h, n = t / g->h;
    qlr_f32_taps_t ti = qlr_f32_taps_reaching(yi, g->pad_top, g->kh, g->sh, ctx->ho);
    qlr_f32_taps_t tj = qlr_f32_taps_reaching(xi, g->pad_left, g->kw, g->sw, ctx->wo);
    float *dx = ctx->dst + (size_t)pix * C;
    if (ti.first > ti.last || tj.first > tj.last) { /* no window reaches this pixel */
        for (uint32_t c = c_lo; c < c_hi; c++) {
            dx[c] = 0.0f;
        }
        return;
    }
    /* The windows reaching (yi, xi) are the outputs [o_first - ni + 1, o_first] on each axis:
     * a contiguous block of dy. */
    const int32_t ni = (ti.last - ti.first) / (int32_t)g->sh + 1;
    const int32_t nj = (tj.last - tj.first) / (int32_t)g->sw + 1;
    const float *dy00 = ctx->src + (((size_t)n * ctx->ho + (ti.o_first + 1u - (uint32_t)ni)) * ctx->wo +
                                    (tj.o_first + 1u - (uint32_t)nj)) * C;
    block_sum(dy00, (size_t)ctx->wo * C, C, ni, nj, c_lo, c_hi, ctx->scale, dx);
}

qlr_status_t qlr_avgpool_f32_bw(const qlr_avgpool_f32_bw_args_t *a)
{
    qlr_status_t st = pool_check(&a->g);
    if (st != QLR_OK) {
        return st;
    }
    pool_ctx_t ctx = {.g = &a->g, .src = a->dy, .dst = a->dx, .ho = qlr_f32_window_ho(&a->g),
                      .wo = qlr_f32_window_wo(&a->g), .scale = 1.0f / (float)(a->g.kh * a->g.kw)};
    qlr_f32_for_my_pixel_groups(a->g.n * a->g.h * a->g.w, a->g.c, &ctx, bw_pixel);
    qlr_team_barrier();
    return QLR_OK;
}

/* QLR_E_ARG for a zero size, QLR_E_SIZE for an input beyond QLR_MAX_ELEMS. */
static qlr_status_t global_check(uint32_t n, uint32_t h, uint32_t w, uint32_t c)
{
    if (n == 0 || h == 0 || w == 0 || c == 0) {
        return QLR_E_ARG;
    }
    return qlr_elems4(n, h, w, c) == 0u ? QLR_E_SIZE : QLR_OK;
}

typedef struct {
    const qlr_global_avgpool_f32_fw_args_t *a;
} gfw_ctx_t;

/* "Pixel" = sample n here: the items are (sample, channel group), each summing H*W values. */
static void global_fw_sample(const void *vctx, uint32_t n, uint32_t c_lo, uint32_t c_hi)
{
    const qlr_global_avgpool_f32_fw_args_t *a = ((const gfw_ctx_t *)vctx)->a;
    const uint32_t C = a->c, hw = a->h * a->w;
    const float div = (float)hw;
    /* The H*W pixels of a sample are one block of 1 x hw pixels; block_sum scales, so divide
     * by hand afterwards to keep the golden's mean (sum / count). */
    float *y = a->y + (size_t)n * C;
    block_sum(a->x + (size_t)n * hw * C, 0, C, 1, (int32_t)hw, c_lo, c_hi, 1.0f, y);
    for (uint32_t c = c_lo; c < c_hi; c++) {
        y[c] = y[c] / div;
    }
}

qlr_status_t qlr_global_avgpool_f32_fw(const qlr_global_avgpool_f32_fw_args_t *a)
{
    qlr_status_t st = global_check(a->n, a->h, a->w, a->c);
    if (st != QLR_OK) {
        return st;
    }
    gfw_ctx_t ctx = {.a = a};
    qlr_f32_for_my_pixel_groups(a->n, a->c, &ctx, global_fw_sample);
    qlr_team_barrier();
    return QLR_OK;
}

qlr_status_t qlr_global_avgpool_f32_bw(const qlr_global_avgpool_f32_bw_args_t *a)
{
    qlr_status_t st = global_check(a->n, a->h, a->w, a->c);
    if (st != QLR_OK) {
        return st;
    }
    const uint32_t C = a->c, hw = a->h * a->w;
    const float scale = 1.0f / (float)hw; /* the golden's dy * (1 / (H*W)) */
    uint32_t b, e;
    qlr_my_share(a->n * hw, &b, &e); /* pixels of dx */
    for (uint32_t m = b; m < e; m++) {
        const float *dy = a->dy + (size_t)(m / hw) * C;
        float *dx = a->dx + (size_t)m * C;
        for (uint32_t c = 0; c < C; c++) {
            dx[c] = dy[c] * scale;
        }
    }
    qlr_team_barrier();
    return QLR_OK;
}

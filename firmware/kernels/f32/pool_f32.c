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
    float *y = ctx->dst + (size_t)pix * C;
    for (uint32_t c = c_lo; c < c_hi; c++) {
        y[c] = 0.0f;
    }
    for (int32_t i = i0; i < i1; i++) {
        for (int32_t j = j0; j < j1; j++) {
            const float *x = ctx->src + (((size_t)n * g->h + (size_t)(yi0 + i)) * g->w + (size_t)(xi0 + j)) * C;
            for (uint32_t c = c_lo; c < c_hi; c++) {
                y[c] += x[c];
            }
        }
    }
    for (uint32_t c = c_lo; c < c_hi; c++) {
        y[c] *= ctx->scale;
    }
}

qlr_status_t qlr_avgpool_f32_fw(const qlr_avgpool_f32_fw_args_t *a)
{
    qlr_status_t st = pool_check(&a->g);
    if (st != QLR_OK) {
        return st;
    }
    pool_ctx_t ctx = {&a->g, a->x, a->y, qlr_f32_window_ho(&a->g), qlr_f32_window_wo(&a->g),
                      1.0f / (float)(a->g.kh * a->g.kw)};
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
    for (uint32_t c = c_lo; c < c_hi; c++) {
        dx[c] = 0.0f;
    }
    uint32_t p = ti.o_first;
    for (int32_t i = ti.first; i <= ti.last; i += (int32_t)g->sh, p--) {
        uint32_t q = tj.o_first;
        for (int32_t j = tj.first; j <= tj.last; j += (int32_t)g->sw, q--) {
            const float *dy = ctx->src + (((size_t)n * ctx->ho + p) * ctx->wo + q) * C;
            for (uint32_t c = c_lo; c < c_hi; c++) {
                dx[c] += dy[c];
            }
        }
    }
    for (uint32_t c = c_lo; c < c_hi; c++) {
        dx[c] *= ctx->scale;
    }
}

qlr_status_t qlr_avgpool_f32_bw(const qlr_avgpool_f32_bw_args_t *a)
{
    qlr_status_t st = pool_check(&a->g);
    if (st != QLR_OK) {
        return st;
    }
    pool_ctx_t ctx = {&a->g, a->dy, a->dx, qlr_f32_window_ho(&a->g), qlr_f32_window_wo(&a->g),
                      1.0f / (float)(a->g.kh * a->g.kw)};
    qlr_f32_for_my_pixel_groups(a->g.n * a->g.h * a->g.w, a->g.c, &ctx, bw_pixel);
    qlr_team_barrier();
    return QLR_OK;
}

static int global_ok(uint32_t n, uint32_t h, uint32_t w, uint32_t c)
{
    return n != 0 && h != 0 && w != 0 && c != 0 && (uint64_t)n * h * w * c <= QLR_F32_MAX_ELEMS;
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
    const float *x = a->x + (size_t)n * hw * C;
    for (uint32_t c = c_lo; c < c_hi; c++) {
        float s = 0.0f;
        for (uint32_t m = 0; m < hw; m++) {
            s += x[(size_t)m * C + c];
        }
        a->y[(size_t)n * C + c] = s / div;
    }
}

qlr_status_t qlr_global_avgpool_f32_fw(const qlr_global_avgpool_f32_fw_args_t *a)
{
    if (!global_ok(a->n, a->h, a->w, a->c)) {
        return QLR_E_ARG;
    }
    gfw_ctx_t ctx = {a};
    qlr_f32_for_my_pixel_groups(a->n, a->c, &ctx, global_fw_sample);
    qlr_team_barrier();
    return QLR_OK;
}

qlr_status_t qlr_global_avgpool_f32_bw(const qlr_global_avgpool_f32_bw_args_t *a)
{
    if (!global_ok(a->n, a->h, a->w, a->c)) {
        return QLR_E_ARG;
    }
    const uint32_t C = a->c, hw = a->h * a->w;
    const float scale = 1.0f / (float)hw; /* the golden's dy * (1 / (H*W)) */
    uint32_t b, e;
    qlr_f32_my_share(a->n * hw, &b, &e); /* pixels of dx */
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

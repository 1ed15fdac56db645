/*
 * FP32 depthwise 2-D convolution (qlr/kernels_f32.h): direct loops, no scratch.
 *
 *   y[n,p,q,c]  = b[c] + sum_{i,j} w[i,j,c] * x[n, p*sh+i-pt, q*sw+j-pl, c]
 *   dx[n,y,x,c] = sum over the (i, j, p, q) with p*sh+i-pt = y, q*sw+j-pl = x of w[i,j,c] * dy[n,p,q,c]
 *   dw[i,j,c]   = sum_{n,p,q} dy[n,p,q,c] * x[n, p*sh+i-pt, q*sw+j-pl, c];  db[c] = sum dy[.,c]
 *
 * Work items: fw and bw_input take (pixel, group of 4 channels) items, pixels of y for fw and
 * of dx for bw_input (a gather: each dx element is written by one core, no scatter races);
 * bw_weight takes (tap, group) items and one (db, group) item per group. Items are split
 * evenly, so 8 cores stay busy whether C is 3 or 512 and the pixel count is 1 or 4096.
 *
 * Inner loops keep 4 channel accumulators in registers and walk the valid taps only (the tap
 * ranges are computed once per pixel), so padding costs nothing in the inner loop.
 */
#include "f32_common.h"

#define G QLR_F32_GROUP

/* ---- forward ------------------------------------------------------------------------------- */

typedef struct {
    const qlr_dwconv2d_f32_fw_args_t *a;
    uint32_t ho, wo;
} fw_ctx_t;

static void fw_pixel(const void *vctx, uint32_t pix, uint32_t c_lo, uint32_t c_hi)
{
    const fw_ctx_t *ctx = vctx;
    const qlr_dwconv2d_f32_fw_args_t *a = ctx->a;
    const qlr_f32_window_t *g = &a->g;
    const uint32_t C = g->c;
    uint32_t q = pix % ctx->wo, t = pix / ctx->wo;
    uint32_t p = t % ctx->ho, n = t / ctx->ho;
    int32_t yi0 = (int32_t)(p * g->sh) - (int32_t)g->pad_top;
    int32_t xi0 = (int32_t)(q * g->sw) - (int32_t)g->pad_left;
    int32_t i0, i1, j0, j1;
    qlr_f32_tap_range(yi0, g->kh, g->h, &i0, &i1);
    qlr_f32_tap_range(xi0, g->kw, g->w, &j0, &j1);
    const int32_t ni = i1 - i0, nj = j1 - j0;
    if (ni <= 0 || nj <= 0) { /* the window lies in the padding: bias only */
        for (uint32_t c = c_lo; c < c_hi; c++) {
            a->y[(size_t)pix * C + c] = a->b != NULL ? a->b[c] : 0.0f;
        }
        return;
    }
    const size_t xrow = (size_t)g->w * C;   /* floats between input rows */
    const size_t wrow = (size_t)g->kw * C;  /* floats between weight rows */
    /* Top-left valid tap of the window, at channel 0. */
    const float *x00 = a->x + ((size_t)n * g->h + (size_t)(yi0 + i0)) * xrow + (size_t)(xi0 + j0) * C;
    const float *w00 = a->w + (size_t)i0 * wrow + (size_t)j0 * C;
    float *yp = a->y + (size_t)pix * C;
    uint32_t c = c_lo;
    for (; c + G <= c_hi; c += G) {
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        if (a->b != NULL) {
            s0 = a->b[c];
            s1 = a->b[c + 1u];
            s2 = a->b[c + 2u];
            s3 = a->b[c + 3u];
        }
        const float *xr = x00 + c, *wr = w00 + c;
        for (int32_t i = 0; i < ni; i++, xr += xrow, wr += wrow) {
            const float *xp = xr, *wp = wr;
            for (int32_t j = 0; j < nj; j++, xp += C, wp += C) {
                s0 = QLR_F32_MAC(s0, xp[0], wp[0]);
                s1 = QLR_F32_MAC(s1, xp[1], wp[1]);
                s2 = QLR_F32_MAC(s2, xp[2], wp[2]);
                s3 = QLR_F32_MAC(s3, xp[3], wp[3]);
            }
        }
        yp[c] = s0;
        yp[c + 1u] = s1;
        yp[c + 2u] = s2;
        yp[c + 3u] = s3;
    }
    for (; c < c_hi; c++) {
        float s = a->b != NULL ? a->b[c] : 0.0f;
        const float *xr = x00 + c, *wr = w00 + c;
        for (int32_t i = 0; i < ni; i++, xr += xrow, wr += wrow) {
            const float *xp = xr, *wp = wr;
            for (int32_t j = 0; j < nj; j++, xp += C, wp += C) {
                s = QLR_F32_MAC(s, *xp, *wp);
            }
        }
        yp[c] = s;
    }
}

qlr_status_t qlr_dwconv2d_f32_fw(const qlr_dwconv2d_f32_fw_args_t *a)
{
    qlr_status_t st = qlr_f32_window_check(&a->g);
    if (st != QLR_OK) {
        return st;
    }
    fw_ctx_t ctx = {.a = a, .ho = qlr_f32_window_ho(&a->g), .wo = qlr_f32_window_wo(&a->g)};
    qlr_f32_for_my_pixel_groups(a->g.n * ctx.ho * ctx.wo, a->g.c, &ctx, fw_pixel);
    qlr_team_barrier();
    return QLR_OK;
}

/* ---- input gradient: a gather per dx pixel --------------------------------------------------- */

typedef struct {
    const qlr_dwconv2d_f32_bw_input_args_t *a;
    uint32_t ho, wo;
} bi_ctx_t;

static void bw_input_pixel(const void *vctx, uint32_t pix, uint32_t c_lo, uint32_t c_hi)
{
    const bi_ctx_t *ctx = vctx;
    const qlr_dwconv2d_f32_bw_input_args_t *a = ctx->a;
    const qlr_f32_window_t *g = &a->g;
    const uint32_t C = g->c;
    uint32_t xi = pix % g->w, t = pix / g->w;
    uint32_t yi = t % g->h, n = t / g->h;
    qlr_f32_taps_t ti = qlr_f32_taps_reaching(yi, g->pad_top, g->kh, g->sh, ctx->ho);
    qlr_f32_taps_t tj = qlr_f32_taps_reaching(xi, g->pad_left, g->kw, g->sw, ctx->wo);
    float *dxp = a->dx + (size_t)pix * C;
    if (ti.first > ti.last || tj.first > tj.last) {
        for (uint32_t c = c_lo; c < c_hi; c++) {
            dxp[c] = 0.0f;
        }
        return;
    }
    const size_t dy_row = (size_t)ctx->wo * C;          /* floats between dy rows */
    const size_t w_step_i = (size_t)g->sh * g->kw * C;  /* next reaching tap row */
    const size_t w_step_j = (size_t)g->sw * C;          /* next reaching tap column */
    const int32_t ni = (ti.last - ti.first) / (int32_t)g->sh + 1;
    const int32_t nj = (tj.last - tj.first) / (int32_t)g->sw + 1;
    /* dy at the smallest reached output (p, q): tap first + k*s reaches o_first - k. */
    const float *dy0 = a->dy + (((size_t)n * ctx->ho + (ti.o_first + 1u - (uint32_t)ni)) * ctx->wo +
                                (tj.o_first + 1u - (uint32_t)nj)) * C;
    /* The last reaching tap (first + (ni-1)*s) reaches the smallest output index. */
    const float *wlast = a->w + ((size_t)(ti.first + (ni - 1) * (int32_t)g->sh) * g->kw +
                                 (size_t)(tj.first + (nj - 1) * (int32_t)g->sw)) * C;
    uint32_t c = c_lo;
    for (; c + G <= c_hi; c += G) {
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        /* Taps in reverse (last reaching tap first) so that dy is walked forwards. */
        const float *dr = dy0 + c, *wr = wlast + c;
        for (int32_t i = 0; i < ni; i++, dr += dy_row, wr -= w_step_i) {
            const float *dp = dr, *wp = wr;
            for (int32_t j = 0; j < nj; j++, dp += C, wp -= w_step_j) {
                s0 = QLR_F32_MAC(s0, dp[0], wp[0]);
                s1 = QLR_F32_MAC(s1, dp[1], wp[1]);
                s2 = QLR_F32_MAC(s2, dp[2], wp[2]);
                s3 = QLR_F32_MAC(s3, dp[3], wp[3]);
            }
        }
        dxp[c] = s0;
        dxp[c + 1u] = s1;
        dxp[c + 2u] = s2;
        dxp[c + 3u] = s3;
    }
    for (; c < c_hi; c++) {
        float s = 0.0f;
        const float *dr = dy0 + c, *wr = wlast + c;
        for (int32_t i = 0; i < ni; i++, dr += dy_row, wr -= w_step_i) {
            const float *dp = dr, *wp = wr;
            for (int32_t j = 0; j < nj; j++, dp += C, wp -= w_step_j) {
                s = QLR_F32_MAC(s, *dp, *wp);
            }
        }
        dxp[c] = s;
    }
}

qlr_status_t qlr_dwconv2d_f32_bw_input(const qlr_dwconv2d_f32_bw_input_args_t *a)
{
    qlr_status_t st = qlr_f32_window_check(&a->g);
    if (st != QLR_OK) {
        return st;
    }
    bi_ctx_t ctx = {.a = a, .ho = qlr_f32_window_ho(&a->g), .wo = qlr_f32_window_wo(&a->g)};
    qlr_f32_for_my_pixel_groups(a->g.n * a->g.h * a->g.w, a->g.c, &ctx, bw_input_pixel);
    qlr_team_barrier();
    return QLR_OK;
}

/* ---- weight and bias gradients: (tap, group) items ------------------------------------------- */

/* Output indices o in [lo, hi) whose tap `i` lands inside an input of `size` (o*s + i - pad). */
static void outputs_inside(uint32_t i, uint32_t pad, uint32_t s, uint32_t size, uint32_t out, uint32_t *lo,
                           uint32_t *hi)
{
    *lo = pad > i ? (pad - i + s - 1u) / s : 0u;
    if (size + pad <= i) {
        *hi = 0;
        return;
    }
    uint32_t h = (size - 1u + pad - i) / s + 1u;
    *hi = h < out ? h : out;
}

static void bw_weight_item(const qlr_dwconv2d_f32_bw_weight_args_t *a, uint32_t ho, uint32_t wo, uint32_t tap,
                           uint32_t c_lo, uint32_t c_hi)
{
    const qlr_f32_window_t *g = &a->g;
    const uint32_t C = g->c;
    const uint32_t i = tap / g->kw, j = tap % g->kw;
    uint32_t p0, p1, q0, q1;
    outputs_inside(i, g->pad_top, g->sh, g->h, ho, &p0, &p1);
    outputs_inside(j, g->pad_left, g->sw, g->w, wo, &q0, &q1);
    const int32_t nq = q1 > q0 ? (int32_t)(q1 - q0) : 0;
    const size_t x_step = (size_t)g->sw * C;
    float *dwp = a->dw + (size_t)tap * C;
    for (uint32_t c = c_lo; c < c_hi; c += G) {
        uint32_t nc = c_hi - c < G ? c_hi - c : G;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (uint32_t n = 0; n < g->n && nq > 0; n++) {
            for (uint32_t p = p0; p < p1; p++) {
                uint32_t yi = p * g->sh + i - g->pad_top;
                const float *dp = a->dy + (((size_t)n * ho + p) * wo + q0) * C + c;
                const float *xp = a->x + (((size_t)n * g->h + yi) * g->w + (q0 * g->sw + j - g->pad_left)) * C + c;
                if (nc == G) {
                    for (int32_t q = 0; q < nq; q++, dp += C, xp += x_step) {
                        s0 = QLR_F32_MAC(s0, dp[0], xp[0]);
                        s1 = QLR_F32_MAC(s1, dp[1], xp[1]);
                        s2 = QLR_F32_MAC(s2, dp[2], xp[2]);
                        s3 = QLR_F32_MAC(s3, dp[3], xp[3]);
                    }
                } else {
                    /* The last group of a C that is not a multiple of 4: 1..3 channels. */
                    for (int32_t q = 0; q < nq; q++, dp += C, xp += x_step) {
                        s0 = QLR_F32_MAC(s0, dp[0], xp[0]);
                        if (nc > 1u) {
                            s1 = QLR_F32_MAC(s1, dp[1], xp[1]);
                        }
                        if (nc > 2u) {
                            s2 = QLR_F32_MAC(s2, dp[2], xp[2]);
                        }
                    }
                }
            }
        }
        float s[G] = {s0, s1, s2, s3};
        for (uint32_t k = 0; k < nc; k++) {
            dwp[c + k] = a->accumulate ? dwp[c + k] + s[k] : s[k];
        }
    }
}

static void bw_bias_item(const qlr_dwconv2d_f32_bw_weight_args_t *a, uint32_t pixels, uint32_t c_lo,
                         uint32_t c_hi)
{
    const uint32_t C = a->g.c;
    for (uint32_t c = c_lo; c < c_hi; c++) {
        float s = 0.0f;
        const float *dp = a->dy + c;
        for (uint32_t m = 0; m < pixels; m++, dp += C) {
            s += *dp;
        }
        a->db[c] = a->accumulate ? a->db[c] + s : s;
    }
}

qlr_status_t qlr_dwconv2d_f32_bw_weight(const qlr_dwconv2d_f32_bw_weight_args_t *a)
{
    qlr_status_t st = qlr_f32_window_check(&a->g);
    if (st != QLR_OK) {
        return st;
    }
    if (a->accumulate != 0 && a->accumulate != 1) {
        return QLR_E_ARG;
    }
    const qlr_f32_window_t *g = &a->g;
    uint32_t ho = qlr_f32_window_ho(g), wo = qlr_f32_window_wo(g);
    uint32_t groups = (g->c + G - 1u) / G;
    uint32_t taps = g->kh * g->kw;
    uint32_t slots = taps + (a->db != NULL ? 1u : 0u); /* slot `taps` is the bias */
    uint32_t b, e;
    qlr_my_share(slots * groups, &b, &e);
    for (uint32_t item = b; item < e; item++) {
        uint32_t slot = item / groups, grp = item % groups;
        uint32_t c_lo = grp * G, c_hi = c_lo + G < g->c ? c_lo + G : g->c;
        if (slot < taps) {
            bw_weight_item(a, ho, wo, slot, c_lo, c_hi);
        } else if (a->db != NULL) { /* the slot after the taps exists only with a bias */
            bw_bias_item(a, g->n * ho * wo, c_lo, c_hi);
        }
    }
    qlr_team_barrier();
    return QLR_OK;
}

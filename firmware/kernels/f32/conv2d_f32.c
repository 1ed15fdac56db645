/*
 * FP32 2-D convolution (qlr/kernels_f32.h): im2col into caller-owned scratch, R output pixels
 * (rows) at a time, and the matmul micro-kernels.
 *
 *   fw:        y[m][o]  = b[o] + sum_k cols[m][k] * w[o][k]         (nt, per chunk of rows)
 *   bw_weight: dw[o][k] (+)= sum_m dy[m][o] * cols[m][k]            (tn, accumulated over chunks)
 *   bw_input:  dcols[m][k] = sum_o dy[m][o] * w[o][k]               (nn, per chunk), then
 *              col2im: dx[pixel under (m, k)] += dcols[m][k]
 *
 * with m an output pixel (n, p, q), k = (i, j, c) a tap of the window. Per chunk: build (or
 * scatter) the rows split over the cores, barrier, matmul split by the micro-kernel, barrier
 * (the next chunk reuses the scratch).
 */
#include "f32_common.h"

typedef struct {
    const qlr_f32_window_t *g;
    uint32_t ho, wo;
    uint32_t m;      /* output pixels N*Ho*Wo */
    uint32_t k;      /* im2col row length Kh*Kw*Cin */
    uint32_t rows;   /* im2col rows per chunk (0 when direct) */
    int direct;      /* 1x1 kernel, stride 1, no padding: x is already the im2col matrix */
} conv_plan_t;

size_t qlr_conv2d_f32_scratch_size(const qlr_f32_window_t *g, uint32_t rows)
{
    uint64_t bytes = (uint64_t)g->kh * g->kw * g->c * rows * sizeof(float);
    return bytes > (uint64_t)SIZE_MAX ? 0u : (size_t)bytes;
}

static qlr_status_t plan(const qlr_f32_window_t *g, uint32_t cout, const float *scratch, size_t scratch_bytes,
                         conv_plan_t *pl)
{
    qlr_status_t st = qlr_f32_window_check(g);
    if (st != QLR_OK) {
        return st;
    }
    pl->g = g;
    pl->ho = qlr_f32_window_ho(g);
    pl->wo = qlr_f32_window_wo(g);
    pl->m = g->n * pl->ho * pl->wo; /* within QLR_MAX_ELEMS: qlr_f32_window_check */
    pl->k = g->kh * g->kw * g->c;
    if (cout == 0) {
        return QLR_E_ARG;
    }
    if (qlr_elems2(pl->m, cout) == 0u || qlr_elems2(pl->k, cout) == 0u) {
        return QLR_E_SIZE;
    }
    pl->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pad_top == 0 && g->pad_bottom == 0 &&
                 g->pad_left == 0 && g->pad_right == 0;
    pl->rows = 0;
    if (!pl->direct) {
        if (scratch == NULL) {
            return QLR_E_NOMEM;
        }
        if (((uintptr_t)scratch & 3u) != 0u) {
            return QLR_E_ALIGN;
        }
        size_t fit = scratch_bytes / ((size_t)pl->k * sizeof(float));
        if (fit == 0) {
            return QLR_E_NOMEM;
        }
        pl->rows = fit < pl->m ? (uint32_t)fit : pl->m;
    }
    return QLR_OK;
}

/* Output pixel m -> (n, p, q). */
static void pixel_of(const conv_plan_t *pl, uint32_t m, uint32_t *n, uint32_t *p, uint32_t *q)
{
    *q = m % pl->wo;
    uint32_t t = m / pl->wo;
    *p = t % pl->ho;
    *n = t / pl->ho;
}

static void next_pixel(const conv_plan_t *pl, uint32_t *n, uint32_t *p, uint32_t *q)
{
    if (++*q == pl->wo) {
        *q = 0;
        if (++*p == pl->ho) {
            *p = 0;
            ++*n;
        }
    }
}

/* im2col rows [m0 + r0, m0 + r1) into cols (row m0 is cols[0]); this core's share of the chunk. */
static void im2col_share(const conv_plan_t *pl, const float *x, float *cols, uint32_t m0, uint32_t nrows)
{
    const qlr_f32_window_t *g = pl->g;
    uint32_t r0, r1;
    qlr_my_share(nrows, &r0, &r1);
    if (r0 >= r1) {
        return;
    }
    const uint32_t c = g->c, kw = g->kw;
    const size_t row_floats = (size_t)kw * c; /* one tap row i of the window */
    uint32_t n, p, q;
    pixel_of(pl, m0 + r0, &n, &p, &q);
    for (uint32_t r = r0; r < r1; r++) {
        float *dst = cols + (size_t)r * pl->k;
        int32_t yi0 = (int32_t)(p * g->sh) - (int32_t)g->pad_top;
        int32_t xi0 = (int32_t)(q * g->sw) - (int32_t)g->pad_left;
        int32_t j0, j1;
        qlr_f32_tap_range(xi0, kw, g->w, &j0, &j1);
        for (uint32_t i = 0; i < g->kh; i++, dst += row_floats) {
            int32_t yi = yi0 + (int32_t)i;
            if (yi < 0 || yi >= (int32_t)g->h || j0 >= j1) {
                for (size_t t = 0; t < row_floats; t++) {
                    dst[t] = 0.0f;
                }
                continue;
            }
            /* Taps j0..j1-1 of this window row are contiguous in x: one copy, zeros around. */
            size_t lead = (size_t)j0 * c, body = (size_t)(j1 - j0) * c;
            const float *src = x + (((size_t)n * g->h + (size_t)yi) * g->w + (size_t)(xi0 + j0)) * c;
            size_t t = 0;
            for (; t < lead; t++) {
                dst[t] = 0.0f;
            }
            for (size_t s = 0; s < body; s++) {
                dst[lead + s] = src[s];
            }
            for (t = lead + body; t < row_floats; t++) {
                dst[t] = 0.0f;
            }
        }
        next_pixel(pl, &n, &p, &q);
    }
}

/* dx[...] += dcols rows [m0, m0 + nrows) for this core's share of the input channels. */
static void col2im_share(const conv_plan_t *pl, const float *dcols, float *dx, uint32_t m0, uint32_t nrows)
{
    const qlr_f32_window_t *g = pl->g;
    uint32_t c0, c1;
    qlr_my_share(g->c, &c0, &c1);
    if (c0 >= c1) {
        return;
    }
    const uint32_t c = g->c;
    uint32_t n, p, q;
    pixel_of(pl, m0, &n, &p, &q);
    for (uint32_t r = 0; r < nrows; r++) {
        const float *src = dcols + (size_t)r * pl->k;
        int32_t yi0 = (int32_t)(p * g->sh) - (int32_t)g->pad_top;
        int32_t xi0 = (int32_t)(q * g->sw) - (int32_t)g->pad_left;
        int32_t i0, i1, j0, j1;
        qlr_f32_tap_range(yi0, g->kh, g->h, &i0, &i1);
        qlr_f32_tap_range(xi0, g->kw, g->w, &j0, &j1);
        for (int32_t i = i0; i < i1; i++) {
            float *d = dx + (((size_t)n * g->h + (size_t)(yi0 + i)) * g->w + (size_t)(xi0 + j0)) * c;
            const float *s = src + ((size_t)i * g->kw + (size_t)j0) * c;
            for (int32_t j = j0; j < j1; j++, d += c, s += c) {
                for (uint32_t ch = c0; ch < c1; ch++) {
                    d[ch] += s[ch];
                }
            }
        }
        next_pixel(pl, &n, &p, &q);
    }
}

qlr_status_t qlr_conv2d_f32_fw(const qlr_conv2d_f32_fw_args_t *a)
{
    conv_plan_t pl;
    qlr_status_t st = plan(&a->g, a->cout, a->scratch, a->scratch_bytes, &pl);
    if (st != QLR_OK) {
        return st;
    }
    qlr_matmul_f32_args_t mm = {.a = a->x, .b = a->w, .c = a->y, .bias = a->b, .m = pl.m, .n = a->cout,
                                .k = pl.k, .lda = pl.k, .ldb = pl.k, .ldc = a->cout, .accumulate = 0};
    if (pl.direct) {
        qlr_matmul_f32_nt_share(&mm);
        qlr_team_barrier();
        return QLR_OK;
    }
    for (uint32_t m0 = 0; m0 < pl.m; m0 += pl.rows) {
        uint32_t nrows = pl.m - m0 < pl.rows ? pl.m - m0 : pl.rows;
        im2col_share(&pl, a->x, a->scratch, m0, nrows);
        qlr_team_barrier();
        mm.a = a->scratch;
        mm.c = a->y + (size_t)m0 * a->cout;
        mm.m = nrows;
        qlr_matmul_f32_nt_share(&mm);
        qlr_team_barrier();
    }
    return QLR_OK;
}

qlr_status_t qlr_conv2d_f32_bw_weight(const qlr_conv2d_f32_bw_weight_args_t *a)
{
    conv_plan_t pl;
    qlr_status_t st = plan(&a->g, a->cout, a->scratch, a->scratch_bytes, &pl);
    if (st != QLR_OK) {
        return st;
    }
    if (a->accumulate != 0 && a->accumulate != 1) {
        return QLR_E_ARG;
    }
    if (a->db != NULL) {
        qlr_f32_colsum_share(a->dy, pl.m, a->cout, a->db, a->accumulate);
    }
    /* dw[Cout][K] = dy^T * cols: tn with A = dy stored [rows][Cout]. */
    qlr_matmul_f32_args_t mm = {.a = a->dy, .b = a->x, .c = a->dw, .bias = NULL, .m = a->cout, .n = pl.k,
                                .k = pl.m, .lda = a->cout, .ldb = pl.k, .ldc = pl.k, .accumulate = a->accumulate};
    if (pl.direct) {
        qlr_matmul_f32_tn_share(&mm);
        qlr_team_barrier();
        return QLR_OK;
    }
    for (uint32_t m0 = 0; m0 < pl.m; m0 += pl.rows) {
        uint32_t nrows = pl.m - m0 < pl.rows ? pl.m - m0 : pl.rows;
        im2col_share(&pl, a->x, a->scratch, m0, nrows);
        qlr_team_barrier();
        mm.a = a->dy + (size_t)m0 * a->cout;
        mm.b = a->scratch;
        mm.k = nrows;
        mm.accumulate = (m0 > 0) ? 1 : a->accumulate;
        qlr_matmul_f32_tn_share(&mm);
        qlr_team_barrier();
    }
    return QLR_OK;
}

qlr_status_t qlr_conv2d_f32_bw_input(const qlr_conv2d_f32_bw_input_args_t *a)
{
    conv_plan_t pl;
    qlr_status_t st = plan(&a->g, a->cout, a->scratch, a->scratch_bytes, &pl);
    if (st != QLR_OK) {
        return st;
    }
    /* dcols[rows][K] = dy[rows][Cout] * w[Cout][K]: nn. */
    qlr_matmul_f32_args_t mm = {.a = a->dy, .b = a->w, .c = a->dx, .bias = NULL, .m = pl.m, .n = pl.k,
                                .k = a->cout, .lda = a->cout, .ldb = pl.k, .ldc = pl.k, .accumulate = 0};
    if (pl.direct) {
        qlr_matmul_f32_nn_share(&mm);
        qlr_team_barrier();
        return QLR_OK;
    }
    /* Rows and columns no window reaches keep a zero gradient: clear dx, then scatter-add. */
    qlr_f32_zero_share(a->dx, (size_t)a->g.n * a->g.h * a->g.w * a->g.c);
    for (uint32_t m0 = 0; m0 < pl.m; m0 += pl.rows) {
        uint32_t nrows = pl.m - m0 < pl.rows ? pl.m - m0 : pl.rows;
        mm.a = a->dy + (size_t)m0 * a->cout;
        mm.c = a->scratch;
        mm.m = nrows;
        qlr_matmul_f32_nn_share(&mm);
        qlr_team_barrier();
        col2im_share(&pl, a->scratch, a->dx, m0, nrows);
        qlr_team_barrier();
    }
    return QLR_OK;
}

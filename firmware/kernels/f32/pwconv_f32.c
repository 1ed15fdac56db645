/*
 * FP32 pointwise convolution and linear layer (qlr/kernels_f32.h): one matmul each, over the
 * rows of pixels (pointwise, M = N*H*W) or of samples (linear, M = N).
 *
 *   fw:        y[M][Out]  = x[M][In] * w[Out][In]^T + b     matmul nt
 *   bw_input:  dx[M][In]  = dy[M][Out] * w[Out][In]         matmul nn
 *   bw_weight: dw[Out][In] (+)= dy[M][Out]^T * x[M][In]     matmul tn; db = column sums of dy
 */
#include "f32_common.h"

/* QLR_E_ARG for a zero size, QLR_E_SIZE when x, y or w would exceed QLR_MAX_ELEMS. */
static qlr_status_t sizes(uint32_t m, uint32_t in, uint32_t out)
{
    if (m == 0u || in == 0u || out == 0u) {
        return QLR_E_ARG;
    }
    return qlr_elems2(m, in) == 0u || qlr_elems2(m, out) == 0u || qlr_elems2(out, in) == 0u ? QLR_E_SIZE : QLR_OK;
}

static qlr_status_t fw(uint32_t m, uint32_t in, uint32_t out, const float *x, const float *w, const float *b,
                       float *y)
{
    qlr_status_t st = sizes(m, in, out);
    if (st != QLR_OK) {
        return st;
    }
    qlr_matmul_f32_args_t mm = {.a = x, .b = w, .c = y, .bias = b, .m = m, .n = out, .k = in,
                                .lda = in, .ldb = in, .ldc = out, .accumulate = 0};
    qlr_matmul_f32_nt_share(&mm);
    qlr_team_barrier();
    return QLR_OK;
}

static qlr_status_t bw_input(uint32_t m, uint32_t in, uint32_t out, const float *dy, const float *w, float *dx)
{
    qlr_status_t st = sizes(m, in, out);
    if (st != QLR_OK) {
        return st;
    }
    qlr_matmul_f32_args_t mm = {.a = dy, .b = w, .c = dx, .bias = NULL, .m = m, .n = in, .k = out,
                                .lda = out, .ldb = in, .ldc = in, .accumulate = 0};
    qlr_matmul_f32_nn_share(&mm);
    qlr_team_barrier();
    return QLR_OK;
}

static qlr_status_t bw_weight(uint32_t m, uint32_t in, uint32_t out, const float *x, const float *dy, float *dw,
                              float *db, int accumulate)
{
    qlr_status_t st = sizes(m, in, out);
    if (st != QLR_OK || (accumulate != 0 && accumulate != 1)) {
        return st != QLR_OK ? st : QLR_E_ARG;
    }
    /* dw[out][in]: the tn kernel reads A = dy stored [M][out] (K x M in its terms). */
    qlr_matmul_f32_args_t mm = {.a = dy, .b = x, .c = dw, .bias = NULL, .m = out, .n = in, .k = m,
                                .lda = out, .ldb = in, .ldc = in, .accumulate = accumulate};
    qlr_matmul_f32_tn_share(&mm);
    if (db != NULL) {
        qlr_f32_colsum_share(dy, m, out, db, accumulate);
    }
    qlr_team_barrier();
    return QLR_OK;
}

qlr_status_t qlr_pwconv_f32_fw(const qlr_pwconv_f32_fw_args_t *a)
{
    return fw(a->pixels, a->cin, a->cout, a->x, a->w, a->b, a->y);
}

qlr_status_t qlr_pwconv_f32_bw_input(const qlr_pwconv_f32_bw_input_args_t *a)
{
    return bw_input(a->pixels, a->cin, a->cout, a->dy, a->w, a->dx);
}

qlr_status_t qlr_pwconv_f32_bw_weight(const qlr_pwconv_f32_bw_weight_args_t *a)
{
    return bw_weight(a->pixels, a->cin, a->cout, a->x, a->dy, a->dw, a->db, a->accumulate);
}

qlr_status_t qlr_linear_f32_fw(const qlr_linear_f32_fw_args_t *a)
{
    return fw(a->n, a->in, a->out, a->x, a->w, a->b, a->y);
}

qlr_status_t qlr_linear_f32_bw_input(const qlr_linear_f32_bw_input_args_t *a)
{
    return bw_input(a->n, a->in, a->out, a->dy, a->w, a->dx);
}

qlr_status_t qlr_linear_f32_bw_weight(const qlr_linear_f32_bw_weight_args_t *a)
{
    return bw_weight(a->n, a->in, a->out, a->x, a->dy, a->dw, a->db, a->accumulate);
}

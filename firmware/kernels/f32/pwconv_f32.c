/*
 * FP32 pointwise convolution and linear layer (qlr/kernels_f32.h): one matmul each, over the
 * rows of pixels (pointwise, M = N*H*W) or of samples (linear, M = N).
 *
 *   fw:        y[M][Out]  = x[M][In] * w[Out][In]^T + b     matmul nt
 *   bw_input:  dx[M][In]  = dy[M][Out] * w[Out][In]         matmul nn
 *   bw_weight: dw[Out][In] (+)= dy[M][Out]^T * x[M][In]     matmul tn; db = column sums of dy
 */
#include "f32_common.h"

static int sizes_ok(uint32_t m, uint32_t in, uint32_t out)
{
    return m != 0 && in != 0 && out != 0 && (uint64_t)m * in <= QLR_F32_MAX_ELEMS &&
           (uint64_t)m * out <= QLR_F32_MAX_ELEMS && (uint64_t)out * in <= QLR_F32_MAX_ELEMS;
}

static qlr_status_t fw(uint32_t m, uint32_t in, uint32_t out, const float *x, const float *w, const float *b,
                       float *y)
{
    if (!sizes_ok(m, in, out)) {
        return QLR_E_ARG;
    }
    qlr_matmul_f32_args_t mm = {.a = x, .b = w, .c = y, .bias = b, .m = m, .n = out, .k = in,
                                .lda = in, .ldb = in, .ldc = out, .accumulate = 0};
    qlr_matmul_f32_nt(&mm);
    qlr_team_barrier();
    return QLR_OK;
}

static qlr_status_t bw_input(uint32_t m, uint32_t in, uint32_t out, const float *dy, const float *w, float *dx)
{
    if (!sizes_ok(m, in, out)) {
        return QLR_E_ARG;
    }
    qlr_matmul_f32_args_t mm = {.a = dy, .b = w, .c = dx, .bias = NULL, .m = m, .n = in, .k = out,
                                .lda = out, .ldb = in, .ldc = in, .accumulate = 0};
    qlr_matmul_f32_nn(&mm);
    qlr_team_barrier();
    return QLR_OK;
}

static qlr_status_t bw_weight(uint32_t m, uint32_t in, uint32_t out, const float *x, const float *dy, float *dw,
                              float *db, int accumulate)
{
    if (!sizes_ok(m, in, out) || (accumulate != 0 && accumulate != 1)) {
        return QLR_E_ARG;
    }
    /* dw[out][in]: the tn kernel reads A = dy stored [M][out] (K x M in its terms). */
    qlr_matmul_f32_args_t mm = {.a = dy, .b = x, .c = dw, .bias = NULL, .m = out, .n = in, .k = m,
                                .lda = out, .ldb = in, .ldc = in, .accumulate = accumulate};
    qlr_matmul_f32_tn(&mm);
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

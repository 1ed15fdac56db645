/*
 * Tiled pointwise and linear layers (qlr/tiled.h): each pass is one tiled matmul.
 *
 *   fw:        y[P][Cout]   = x[P][Cin] w[Cout][Cin]^T + b     (nt, K = Cin)
 *   bw_input:  dx[P][Cin]   = dy[P][Cout] w[Cout][Cin]         (nn, K = Cout)
 *   bw_weight: dw[Cout][Cin] = dy[P][Cout]^T x[P][Cin]          (tn, K = P), db = column sums of
 *              dy, taken from the dy tiles as they pass (no second read of dy)
 *
 * with P the pixels (N*H*W) of a pointwise conv or the batch of a linear layer.
 */
#include <stddef.h>

#include "qlr/tiled.h"

static qlr_status_t product(qlr_matmul_kind_t kind, const float *a, const float *b, float *c, const float *bias,
                            uint32_t m, uint32_t n, uint32_t k, int accumulate, float *a_sum,
                            const qlr_tiled_l1_t *l1)
{
    qlr_matmul_f32_tiled_args_t t;
    t.kind = kind;
    t.mm.a = a;
    t.mm.b = b;
    t.mm.c = c;
    t.mm.bias = bias;
    t.mm.m = m;
    t.mm.n = n;
    t.mm.k = k;
    t.mm.lda = kind == QLR_MATMUL_TN ? m : k;
    t.mm.ldb = kind == QLR_MATMUL_NT ? k : n;
    t.mm.ldc = n;
    t.mm.accumulate = accumulate;
    t.a_sum = a_sum;
    t.l1 = *l1;
    return qlr_matmul_f32_tiled(&t);
}

static qlr_status_t fw(uint32_t rows, uint32_t in, uint32_t out, const float *x, const float *w, const float *b,
                       float *y, const qlr_tiled_l1_t *l1)
{
    return product(QLR_MATMUL_NT, x, w, y, b, rows, out, in, 0, NULL, l1);
}

static qlr_status_t bw_input(uint32_t rows, uint32_t in, uint32_t out, const float *dy, const float *w, float *dx,
                             const qlr_tiled_l1_t *l1)
{
    return product(QLR_MATMUL_NN, dy, w, dx, NULL, rows, in, out, 0, NULL, l1);
}

static qlr_status_t bw_weight(uint32_t rows, uint32_t in, uint32_t out, const float *x, const float *dy, float *dw,
                              float *db, int accumulate, const qlr_tiled_l1_t *l1)
{
    if (accumulate != 0 && accumulate != 1) {
        return QLR_E_ARG;
    }
    return product(QLR_MATMUL_TN, dy, x, dw, NULL, out, in, rows, accumulate, db, l1);
}

qlr_status_t qlr_pwconv_f32_fw_tiled(const qlr_pwconv_f32_fw_args_t *a, const qlr_tiled_l1_t *l1)
{
    return fw(a->pixels, a->cin, a->cout, a->x, a->w, a->b, a->y, l1);
}

qlr_status_t qlr_pwconv_f32_bw_input_tiled(const qlr_pwconv_f32_bw_input_args_t *a, const qlr_tiled_l1_t *l1)
{
    return bw_input(a->pixels, a->cin, a->cout, a->dy, a->w, a->dx, l1);
}

qlr_status_t qlr_pwconv_f32_bw_weight_tiled(const qlr_pwconv_f32_bw_weight_args_t *a, const qlr_tiled_l1_t *l1)
{
    return bw_weight(a->pixels, a->cin, a->cout, a->x, a->dy, a->dw, a->db, a->accumulate, l1);
}

qlr_status_t qlr_linear_f32_fw_tiled(const qlr_linear_f32_fw_args_t *a, const qlr_tiled_l1_t *l1)
{
    return fw(a->n, a->in, a->out, a->x, a->w, a->b, a->y, l1);
}

qlr_status_t qlr_linear_f32_bw_input_tiled(const qlr_linear_f32_bw_input_args_t *a, const qlr_tiled_l1_t *l1)
{
    return bw_input(a->n, a->in, a->out, a->dy, a->w, a->dx, l1);
}

qlr_status_t qlr_linear_f32_bw_weight_tiled(const qlr_linear_f32_bw_weight_args_t *a, const qlr_tiled_l1_t *l1)
{
    return bw_weight(a->n, a->in, a->out, a->x, a->dy, a->dw, a->db, a->accumulate, l1);
}

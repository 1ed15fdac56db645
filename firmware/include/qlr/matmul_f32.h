/*
 * FP32 matrix-multiply micro-kernels: the base of every FP32 training kernel (forward, input
 * gradient and weight gradient of pointwise, linear, and conv2d through im2col).
 *
 *   nn:  C[M][N] (+)= A[M][K]   * B[K][N]
 *   nt:  C[M][N] (+)= A[M][K]   * B[N][K]^T      (B stored row-major N x K: a weight [Out][In])
 *   tn:  C[M][N] (+)= A[K][M]^T * B[K][N]        (A stored row-major K x M: a gradient [P][Out])
 *
 * Row-major with leading dimensions (elements between consecutive rows): lda, ldb, ldc.
 * `accumulate` = 0 overwrites C, 1 adds to it. `bias` (N floats, may be NULL) is added to every
 * row of C when accumulate is 0.
 *
 * Team kernels (the contract of qlr/kernel.h): call on every core of a team with the same
 * arguments; each core takes its share (by rows of C or by columns, whichever the shape favours)
 * and the kernel returns after a team barrier with all of C written. Checks: a, b, c not NULL,
 * m, n, k >= 1, accumulate 0 or 1 and leading dimensions at least the row widths (QLR_E_ARG);
 * every operand (rows times leading dimension) within QLR_MAX_ELEMS (QLR_E_SIZE). The FP32
 * kernels compose the same products between their own barriers through the internal
 * qlr_matmul_f32_*_share functions (firmware/kernels/f32/matmul_f32_share.h).
 *
 * No platform code: pure C99 plus the team queries of qlr/runtime.h.
 */
#ifndef QLR_MATMUL_F32_H
#define QLR_MATMUL_F32_H

#include <stdint.h>

#include "qlr/kernel.h"

typedef struct {
    const float *a;
    const float *b;
    float *c;
    const float *bias; /* N values or NULL; used only when accumulate == 0 */
    uint32_t m, n, k;
    uint32_t lda, ldb, ldc;
    int accumulate;
} qlr_matmul_f32_args_t;

qlr_status_t qlr_matmul_f32_nn(const qlr_matmul_f32_args_t *p);
qlr_status_t qlr_matmul_f32_nt(const qlr_matmul_f32_args_t *p);
qlr_status_t qlr_matmul_f32_tn(const qlr_matmul_f32_args_t *p);

#endif /* QLR_MATMUL_F32_H */

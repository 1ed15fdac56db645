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
 * Parallel: call the same function on every core of a team with the same arguments; each core
 * takes its share (by rows of C or by columns, whichever the shape favours) from qlr_core_id()
 * and qlr_core_count(), and returns without a barrier: the caller places one where it needs
 * the whole C. Called outside a fork (team of 1) it computes everything.
 *
 * No platform code: pure C99 plus the team queries of qlr/runtime.h.
 */
#ifndef QLR_MATMUL_F32_H
#define QLR_MATMUL_F32_H

#include <stdint.h>

typedef struct {
    const float *a;
    const float *b;
    float *c;
    const float *bias; /* N values or NULL; used only when accumulate == 0 */
    uint32_t m, n, k;
    uint32_t lda, ldb, ldc;
    int accumulate;
} qlr_matmul_f32_args_t;

void qlr_matmul_f32_nn(const qlr_matmul_f32_args_t *p);
void qlr_matmul_f32_nt(const qlr_matmul_f32_args_t *p);
void qlr_matmul_f32_tn(const qlr_matmul_f32_args_t *p);

/* The part of C one core computes: rows [i0, i1) x columns [j0, j1). */
typedef struct {
    uint32_t i0, i1, j0, j1;
} qlr_matmul_f32_part_t;

/* The split the kernels above use for core `id` of `count` over an m x n C: the 4-row blocks
 * of C are shared out, or the 4-column blocks, whichever leaves the busiest core the least
 * work (rows on a tie). Parts are disjoint, cover C, and may be empty. */
void qlr_matmul_f32_part(uint32_t m, uint32_t n, unsigned id, unsigned count, qlr_matmul_f32_part_t *part);

/* The [begin, end) share of `total` items for core `id` of `count` (contiguous, sizes differ by
 * at most one, the larger shares first). */
static inline void qlr_share(uint32_t total, unsigned id, unsigned count, uint32_t *begin, uint32_t *end)
{
    uint32_t base = total / count, rem = total % count;
    uint32_t b = id * base + (id < rem ? id : rem);
    *begin = b;
    *end = b + base + (id < rem ? 1u : 0u);
}

#endif /* QLR_MATMUL_F32_H */

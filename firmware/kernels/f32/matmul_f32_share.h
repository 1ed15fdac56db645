/*
 * The matmul micro-kernels as building blocks (internal to firmware/kernels/): the calling
 * core's part of C, no argument checks and NO barrier. The FP32 layer kernels and the tiled
 * executors call these between their own barriers; everybody else calls the team kernels of
 * qlr/matmul_f32.h, which check their arguments and end with a barrier (qlr/kernel.h).
 */
#ifndef QLR_MATMUL_F32_SHARE_H
#define QLR_MATMUL_F32_SHARE_H

#include <stdint.h>

#include "qlr/matmul_f32.h"

/* This core's part of C (split by qlr_matmul_f32_part). Arguments as for the team kernels, and
 * valid: the caller has checked them. */
void qlr_matmul_f32_nn_share(const qlr_matmul_f32_args_t *p);
void qlr_matmul_f32_nt_share(const qlr_matmul_f32_args_t *p);
void qlr_matmul_f32_tn_share(const qlr_matmul_f32_args_t *p);

/* The part of C one core computes: rows [i0, i1) x columns [j0, j1). */
typedef struct {
    uint32_t i0, i1, j0, j1;
} qlr_matmul_f32_part_t;

/* The split the functions above use for core `id` of `count` over an m x n C: the 4-row blocks
 * of C are shared out, or the 4-column blocks, whichever leaves the busiest core the least
 * work (rows on a tie). Parts are disjoint, cover C, and may be empty. */
void qlr_matmul_f32_part(uint32_t m, uint32_t n, unsigned id, unsigned count, qlr_matmul_f32_part_t *part);

#endif /* QLR_MATMUL_F32_SHARE_H */

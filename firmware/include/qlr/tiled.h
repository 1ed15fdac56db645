/*
 * Tiled executors: FP32 layers whose tensors live in L2 (or anywhere qlr_copy_* reaches) and do
 * not fit L1 run tile by tile, with double-buffered copies L2 -> L1 through the runtime (the
 * cluster DMA on pulp-open, memcpy elsewhere).
 *
 * Scheme (one team, inside one qlr_team_fork): the executor cuts the work into steps; each step
 * needs one "tile set" (input tiles + output tile) in L1. There are two sets. One core (the last
 * of the team: its share of the work is the smallest) starts the copies of step s+1 into one set while every core computes step s from the other; a team
 * barrier per step orders the two. Output tiles are copied back asynchronously by that core and
 * waited for before their buffer is reused and before the executor returns.
 *
 * L1 budget: `tile_budget` bytes per tile set, 0 = half of `l1_size` (the paper's "tiles of at
 * most half of L1"); it must not exceed l1_size / 2 (QLR_E_ARG). The executor chooses the tile
 * sizes itself from the budget and the team size (qlr_matmul_f32_tiled_plan says which), so a
 * caller knows nothing about tiles; a small budget only means more, smaller steps.
 *
 * Team kernels: the contract of qlr/kernel.h (every core, same arguments; checks before any copy
 * or barrier, the same status on every core; a barrier at the end with every output in place).
 * Names: the layer kernel's name with `_tiled` appended (qlr_pwconv_f32_fw_tiled,
 * qlr_matmul_f32_tiled): the op comes first, as everywhere, and the tiled executor of a kernel
 * sorts next to it.
 *
 * Pure C11 plus qlr/runtime.h (team queries, barrier, copies).
 */
#ifndef QLR_TILED_H
#define QLR_TILED_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/kernels_f32.h"
#include "qlr/matmul_f32.h"
#include "qlr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    QLR_MATMUL_NN = 0, /* C (+)= A[M][K]   B[K][N]   */
    QLR_MATMUL_NT = 1, /* C (+)= A[M][K]   B[N][K]^T */
    QLR_MATMUL_TN = 2, /* C (+)= A[K][M]^T B[K][N]   */
} qlr_matmul_kind_t;

/* The L1 a tiled executor may use. */
typedef struct {
    uint8_t *l1;        /* 4-byte aligned */
    size_t l1_size;     /* bytes at l1 */
    size_t tile_budget; /* bytes of one tile set (two are used); 0 = l1_size / 2 */
} qlr_tiled_l1_t;

typedef struct {
    qlr_matmul_kind_t kind;
    qlr_matmul_f32_args_t mm; /* the product, as for qlr_matmul_f32_<kind>, operands in L2 */
    float *a_sum;             /* TN only, or NULL: a_sum[i] (+)= sum over k of A[k][i] (a bias
                                 gradient; += when mm.accumulate) */
    qlr_tiled_l1_t l1;
} qlr_matmul_f32_tiled_args_t;

/* Tile sizes of a run: C is cut into mt x nt tiles, K into kt-deep steps. */
typedef struct {
    uint32_t mt, nt, kt;
    uint32_t steps;     /* ceil(M/mt) * ceil(N/nt) * ceil(K/kt) */
    size_t set_bytes;   /* L1 bytes of one tile set (<= the budget) */
} qlr_tiled_plan_t;

/* The plan the executor follows for `cores` cores (a pure function of the arguments). */
qlr_status_t qlr_matmul_f32_tiled_plan(const qlr_matmul_f32_tiled_args_t *a, unsigned cores,
                                       qlr_tiled_plan_t *plan);
qlr_status_t qlr_matmul_f32_tiled(const qlr_matmul_f32_tiled_args_t *a);
/* The smallest tile_budget any tiled product can run with (a 1x1x1 tile set). */
size_t qlr_matmul_f32_tiled_min_budget(void);

/* Layers (the arguments of qlr/kernels_f32.h plus the L1), same results as the untiled
 * kernels up to FP32 summation order. */
qlr_status_t qlr_pwconv_f32_fw_tiled(const qlr_pwconv_f32_fw_args_t *a, const qlr_tiled_l1_t *l1);
qlr_status_t qlr_pwconv_f32_bw_input_tiled(const qlr_pwconv_f32_bw_input_args_t *a, const qlr_tiled_l1_t *l1);
qlr_status_t qlr_pwconv_f32_bw_weight_tiled(const qlr_pwconv_f32_bw_weight_args_t *a, const qlr_tiled_l1_t *l1);
qlr_status_t qlr_linear_f32_fw_tiled(const qlr_linear_f32_fw_args_t *a, const qlr_tiled_l1_t *l1);
qlr_status_t qlr_linear_f32_bw_input_tiled(const qlr_linear_f32_bw_input_args_t *a, const qlr_tiled_l1_t *l1);
qlr_status_t qlr_linear_f32_bw_weight_tiled(const qlr_linear_f32_bw_weight_args_t *a, const qlr_tiled_l1_t *l1);

/* Depthwise forward, tiled over (image, group of channels): each step copies the group's
 * input planes (2-D strided copies of the HWC tensor), weights and biases to L1 and writes the
 * group's output planes back. */
qlr_status_t qlr_dwconv2d_f32_fw_tiled(const qlr_dwconv2d_f32_fw_args_t *a, const qlr_tiled_l1_t *l1);
/* Channels per depthwise step for this geometry and budget (0: not even one channel fits). */
uint32_t qlr_dwconv2d_f32_fw_tile_channels(const qlr_f32_window_t *g, const qlr_tiled_l1_t *l1);

#ifdef __cplusplus
}
#endif

#endif /* QLR_TILED_H */

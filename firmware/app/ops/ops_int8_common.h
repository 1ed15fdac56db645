/*
 * What the int8 ops (ops_int8.c) share: the checks of a call beyond its parameters' ranges (cores,
 * window geometry, requantization arrays, the int32 accumulator bound, scratch) and the parallel
 * run (every core folds its share of the raw bias when in_zp != 0, a barrier, then the kernel).
 * Private to firmware/app/ops/. Checks return NULL or a message naming the field (static text or
 * a static buffer, valid until the next check).
 */
#ifndef QLR_APP_OPS_INT8_COMMON_H
#define QLR_APP_OPS_INT8_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "qlr/kernels_int8.h"
#include "qlr/op.h"

#define QLR_INT8_OP_MAX_CORES 64u

/* The window of a conv2d, dwconv2d or avgpool (its args' field names). */
typedef struct {
    uint32_t in_h, in_w, k_h, k_w, stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right;
} qlr_int8_window_t;

#define QLR_INT8_WINDOW_OF(a)                                                                                     \
    ((qlr_int8_window_t){.in_h = (uint32_t)(a).in_h, .in_w = (uint32_t)(a).in_w, .k_h = (uint32_t)(a).k_h,       \
                         .k_w = (uint32_t)(a).k_w, .stride_h = (uint32_t)(a).stride_h,                            \
                         .stride_w = (uint32_t)(a).stride_w, .pad_top = (uint32_t)(a).pad_top,                    \
                         .pad_bottom = (uint32_t)(a).pad_bottom, .pad_left = (uint32_t)(a).pad_left,              \
                         .pad_right = (uint32_t)(a).pad_right})

/* A weighted op's raw bias and weights, [channels][taps] (or [taps][channels] when depthwise). */
typedef struct {
    const int8_t *w;
    const int32_t *bias;
    uint32_t channels, taps;
    int depthwise;
    int32_t in_zp, w_zp;
} qlr_int8_fold_t;

typedef enum { QLR_I8_CONV, QLR_I8_DW, QLR_I8_PW, QLR_I8_LINEAR, QLR_I8_POOL, QLR_I8_ADD, QLR_I8_REQUANT } qlr_int8_kernel_t;

typedef struct {
    qlr_int8_kernel_t kernel;
    union {
        qlr_conv2d_u8s8_args_t conv;
        qlr_dwconv2d_u8s8_args_t dw;
        qlr_pwconv_u8s8_args_t pw;
        qlr_linear_u8s8_args_t linear;
        qlr_avgpool_u8_args_t pool;
        qlr_add_u8_args_t add;
        qlr_requant_u8_args_t requant;
    } u;
    qlr_int8_fold_t fold;
    int32_t *bias_eff; /* NULL: nothing to fold (in_zp == 0, or an op without bias) */
    qlr_status_t status[QLR_INT8_OP_MAX_CORES];
} qlr_int8_job_t;

uint64_t qlr_int8_op_prod4(uint64_t a, uint64_t b, uint64_t c, uint64_t d); /* saturating */
const char *qlr_int8_op_check_cores(const qlr_op_call_t *c);
const char *qlr_int8_op_act_range(int32_t act_min, int32_t act_max);
/* The requantization of `channels` output channels: out_zp, act_min, act_max, rq_channels (1 or
 * `channels`), the mult and shift tensors (indices tm, tm + 1), every entry in range; fills *rq. */
const char *qlr_int8_op_requant(const qlr_op_call_t *c, int32_t out_zp, int32_t act_min, int32_t act_max,
                                int32_t rq_channels, uint32_t channels, unsigned tm, qlr_requant_t *rq);
/* The window fits its padded input; its output height and width. */
const char *qlr_int8_op_window(const qlr_int8_window_t *w, uint32_t *oh, uint32_t *ow);
/* Bytes of scratch a weighted op needs for its folded bias (0 when in_zp is 0), 16-byte aligned. */
size_t qlr_int8_op_fold_bytes(const qlr_int8_fold_t *f);
/* Scratch of `bytes` for a run: L1 when they fit, else the free L2 after the tensors; NULL if neither. */
uint8_t *qlr_int8_op_scratch(const qlr_op_call_t *c, size_t bytes);
/* A weighted op's call: `bytes` of scratch exist and the int32 accumulator cannot overflow. */
const char *qlr_int8_op_check_weighted(const qlr_op_call_t *c, size_t bytes, const qlr_int8_fold_t *f);
/* Sets the job to fold f's bias into `scratch` first when in_zp != 0; returns the bias the kernel uses. */
const int32_t *qlr_int8_op_fold(qlr_int8_job_t *j, const qlr_int8_fold_t *f, uint8_t *scratch);
/* Runs the job on c->cores cores; the first core's error, or QLR_OK. */
qlr_status_t qlr_int8_op_run_job(const qlr_op_call_t *c, qlr_int8_job_t *j);

#endif /* QLR_APP_OPS_INT8_COMMON_H */

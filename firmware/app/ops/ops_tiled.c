/*
 * Ops of the tiled family (qlr/op.h, docs/kernels.md): the FP32 layers through the tiled
 * executors of qlr/tiled.h, tensors in L2, tiles in the call's L1. Each takes the parameters of
 * the layer plus `l1_budget`: bytes of one tile set (two are used), 0 = half of the free L1.
 */
#include <stddef.h>
#include <stdio.h>

#include "qlr/op.h"
#include "qlr/runtime.h"
#include "qlr/tiled.h"

#define F32(call, i) ((float *)(void *)(call)->tensor[i])

static qlr_tiled_l1_t l1_of(const qlr_op_call_t *c, int32_t budget)
{
    qlr_tiled_l1_t l1 = {c->l1, c->l1_size, (size_t)(uint32_t)budget};
    return l1;
}

static const char *check_budget(const qlr_op_call_t *c, int32_t budget)
{
    static char msg[128];
    if (budget < 0 || (size_t)budget > c->l1_size / 2u) {
        snprintf(msg, sizeof msg, "l1_budget must be 0..%lu (half of the free L1), got %ld",
                 (unsigned long)(c->l1_size / 2u), (long)budget);
        return msg;
    }
    return NULL;
}

static const char *positive(const int32_t *q, unsigned n, const char *what)
{
    for (unsigned i = 0; i < n; i++) {
        if (q[i] < 1) {
            return what;
        }
    }
    return NULL;
}

/* ---- the fork: one layer function on the team, its status from core 0 --------------------- */

typedef enum {
    PW_FW, PW_BI, PW_BW, LIN_FW, LIN_BI, LIN_BW, DW_FW
} layer_t;

typedef struct {
    layer_t layer;
    union {
        qlr_pwconv_f32_fw_args_t pw_fw;
        qlr_pwconv_f32_bw_input_args_t pw_bi;
        qlr_pwconv_f32_bw_weight_args_t pw_bw;
        qlr_linear_f32_fw_args_t lin_fw;
        qlr_linear_f32_bw_input_args_t lin_bi;
        qlr_linear_f32_bw_weight_args_t lin_bw;
        qlr_dwconv2d_f32_fw_args_t dw_fw;
    } u;
    qlr_tiled_l1_t l1;
    qlr_status_t status; /* written by core 0 */
} task_t;

static void task(void *arg)
{
    task_t *t = arg;
    qlr_status_t st;
    switch (t->layer) {
    case PW_FW: st = qlr_pwconv_f32_fw_tiled(&t->u.pw_fw, &t->l1); break;
    case PW_BI: st = qlr_pwconv_f32_bw_input_tiled(&t->u.pw_bi, &t->l1); break;
    case PW_BW: st = qlr_pwconv_f32_bw_weight_tiled(&t->u.pw_bw, &t->l1); break;
    case LIN_FW: st = qlr_linear_f32_fw_tiled(&t->u.lin_fw, &t->l1); break;
    case LIN_BI: st = qlr_linear_f32_bw_input_tiled(&t->u.lin_bi, &t->l1); break;
    case LIN_BW: st = qlr_linear_f32_bw_weight_tiled(&t->u.lin_bw, &t->l1); break;
    default: st = qlr_dwconv2d_f32_fw_tiled(&t->u.dw_fw, &t->l1); break;
    }
    if (qlr_core_id() == 0u) {
        t->status = st;
    }
}

static qlr_status_t run_team(const qlr_op_call_t *c, task_t *t)
{
    t->status = QLR_E_ARG;
    qlr_team_fork(c->cores, task, t);
    return t->status;
}

/* A tiled product needs at least a 1x1x1 tile set (its plan then always exists). */
static const char *check_plan(const qlr_op_call_t *c, int32_t budget)
{
    static char msg[128];
    size_t need = qlr_tiled_matmul_f32_min_budget();
    qlr_tiled_l1_t l1 = l1_of(c, budget);
    size_t have = l1.tile_budget != 0u ? l1.tile_budget : l1.l1_size / 2u;
    if (have < need) {
        snprintf(msg, sizeof msg, "l1_budget %lu is too small: a tiled product needs at least %lu bytes",
                 (unsigned long)have, (unsigned long)need);
        return msg;
    }
    return NULL;
}

/* ---- pointwise: params n, h, w, cin, cout[, accumulate], l1_budget ------------------------- */

static const char *const pw_fw_tensors[] = {"x", "w", "b", "y"};
static const char *const pw_bi_tensors[] = {"dy", "w", "dx"};
static const char *const pw_bw_tensors[] = {"x", "dy", "dw", "db"};

static uint64_t pw_pixels(const int32_t *q)
{
    return (uint64_t)q[0] * (uint64_t)q[1] * (uint64_t)q[2];
}

static uint64_t pw_macs(const qlr_op_call_t *c)
{
    return pw_pixels(c->param) * (uint64_t)c->param[3] * (uint64_t)c->param[4];
}

static const char *pw_dims(const qlr_op_call_t *c)
{
    const char *e = positive(c->param, 5, "n, h, w, cin and cout must be >= 1");
    if (e == NULL && pw_pixels(c->param) > 0xFFFFFFFFu) {
        e = "n*h*w does not fit 32 bits";
    }
    return e;
}

static const char *pw_fw_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    const char *e;
    uint64_t p = pw_pixels(q), ci = (uint64_t)q[3], co = (uint64_t)q[4];
    if ((e = pw_dims(c)) || (e = check_budget(c, q[5])) || (e = qlr_op_expect_bytes(c, 0, 4u * p * ci)) ||
        (e = qlr_op_expect_bytes(c, 1, 4u * co * ci)) || (e = qlr_op_expect_bytes(c, 2, 4u * co)) ||
        (e = qlr_op_expect_bytes(c, 3, 4u * p * co))) {
        return e;
    }
    return check_plan(c, q[5]);
}

static qlr_status_t pw_fw_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = PW_FW, .l1 = l1_of(c, q[5])};
    t.u.pw_fw = (qlr_pwconv_f32_fw_args_t){(uint32_t)pw_pixels(q), (uint32_t)q[3], (uint32_t)q[4],
                                           F32(c, 0), F32(c, 1), F32(c, 2), F32(c, 3)};
    return run_team(c, &t);
}

static const char *pw_bi_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    const char *e;
    uint64_t p = pw_pixels(q), ci = (uint64_t)q[3], co = (uint64_t)q[4];
    if ((e = pw_dims(c)) || (e = check_budget(c, q[5])) || (e = qlr_op_expect_bytes(c, 0, 4u * p * co)) ||
        (e = qlr_op_expect_bytes(c, 1, 4u * co * ci)) || (e = qlr_op_expect_bytes(c, 2, 4u * p * ci))) {
        return e;
    }
    return check_plan(c, q[5]);
}

static qlr_status_t pw_bi_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = PW_BI, .l1 = l1_of(c, q[5])};
    t.u.pw_bi = (qlr_pwconv_f32_bw_input_args_t){(uint32_t)pw_pixels(q), (uint32_t)q[3], (uint32_t)q[4],
                                                 F32(c, 0), F32(c, 1), F32(c, 2)};
    return run_team(c, &t);
}

static const char *pw_bw_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    const char *e;
    uint64_t p = pw_pixels(q), ci = (uint64_t)q[3], co = (uint64_t)q[4];
    if ((e = pw_dims(c)) || (e = check_budget(c, q[6]))) {
        return e;
    }
    if (q[5] != 0 && q[5] != 1) {
        return "accumulate must be 0 or 1";
    }
    if ((e = qlr_op_expect_bytes(c, 0, 4u * p * ci)) || (e = qlr_op_expect_bytes(c, 1, 4u * p * co)) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * co * ci)) || (e = qlr_op_expect_bytes(c, 3, 4u * co))) {
        return e;
    }
    return check_plan(c, q[6]);
}

static qlr_status_t pw_bw_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = PW_BW, .l1 = l1_of(c, q[6])};
    t.u.pw_bw = (qlr_pwconv_f32_bw_weight_args_t){(uint32_t)pw_pixels(q), (uint32_t)q[3], (uint32_t)q[4],
                                                  F32(c, 0), F32(c, 1), F32(c, 2), F32(c, 3), q[5]};
    return run_team(c, &t);
}

/* ---- linear: params n, in, out[, accumulate], l1_budget ----------------------------------- */

static const char *const lin_fw_tensors[] = {"x", "w", "b", "y"};
static const char *const lin_bi_tensors[] = {"dy", "w", "dx"};
static const char *const lin_bw_tensors[] = {"x", "dy", "dw", "db"};

static uint64_t lin_macs(const qlr_op_call_t *c)
{
    return (uint64_t)c->param[0] * (uint64_t)c->param[1] * (uint64_t)c->param[2];
}

static const char *lin_fw_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    const char *e;
    uint64_t n = (uint64_t)q[0], in = (uint64_t)q[1], out = (uint64_t)q[2];
    if ((e = positive(q, 3, "n, in and out must be >= 1")) || (e = check_budget(c, q[3])) ||
        (e = qlr_op_expect_bytes(c, 0, 4u * n * in)) || (e = qlr_op_expect_bytes(c, 1, 4u * out * in)) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * out)) || (e = qlr_op_expect_bytes(c, 3, 4u * n * out))) {
        return e;
    }
    return check_plan(c, q[3]);
}

static qlr_status_t lin_fw_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = LIN_FW, .l1 = l1_of(c, q[3])};
    t.u.lin_fw = (qlr_linear_f32_fw_args_t){(uint32_t)q[0], (uint32_t)q[1], (uint32_t)q[2],
                                            F32(c, 0), F32(c, 1), F32(c, 2), F32(c, 3)};
    return run_team(c, &t);
}

static const char *lin_bi_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    const char *e;
    uint64_t n = (uint64_t)q[0], in = (uint64_t)q[1], out = (uint64_t)q[2];
    if ((e = positive(q, 3, "n, in and out must be >= 1")) || (e = check_budget(c, q[3])) ||
        (e = qlr_op_expect_bytes(c, 0, 4u * n * out)) || (e = qlr_op_expect_bytes(c, 1, 4u * out * in)) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * n * in))) {
        return e;
    }
    return check_plan(c, q[3]);
}

static qlr_status_t lin_bi_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = LIN_BI, .l1 = l1_of(c, q[3])};
    t.u.lin_bi = (qlr_linear_f32_bw_input_args_t){(uint32_t)q[0], (uint32_t)q[1], (uint32_t)q[2],
                                                  F32(c, 0), F32(c, 1), F32(c, 2)};
    return run_team(c, &t);
}

static const char *lin_bw_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    const char *e;
    uint64_t n = (uint64_t)q[0], in = (uint64_t)q[1], out = (uint64_t)q[2];
    if ((e = positive(q, 3, "n, in and out must be >= 1")) || (e = check_budget(c, q[4]))) {
        return e;
    }
    if (q[3] != 0 && q[3] != 1) {
        return "accumulate must be 0 or 1";
    }
    if ((e = qlr_op_expect_bytes(c, 0, 4u * n * in)) || (e = qlr_op_expect_bytes(c, 1, 4u * n * out)) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * out * in)) || (e = qlr_op_expect_bytes(c, 3, 4u * out))) {
        return e;
    }
    return check_plan(c, q[4]);
}

static qlr_status_t lin_bw_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = LIN_BW, .l1 = l1_of(c, q[4])};
    t.u.lin_bw = (qlr_linear_f32_bw_weight_args_t){(uint32_t)q[0], (uint32_t)q[1], (uint32_t)q[2],
                                                   F32(c, 0), F32(c, 1), F32(c, 2), F32(c, 3), q[3]};
    return run_team(c, &t);
}

/* ---- depthwise forward: n, h, w, c, kh, kw, sh, sw, pad_top, pad_bottom, pad_left, pad_right,
 * l1_budget ------------------------------------------------------------------------------------ */

static const char *const dw_tensors[] = {"x", "w", "b", "y"};

static qlr_f32_window_t dw_window(const int32_t *q)
{
    qlr_f32_window_t g = {(uint32_t)q[0], (uint32_t)q[1], (uint32_t)q[2], (uint32_t)q[3], (uint32_t)q[4],
                          (uint32_t)q[5], (uint32_t)q[6], (uint32_t)q[7], (uint32_t)q[8], (uint32_t)q[9],
                          (uint32_t)q[10], (uint32_t)q[11]};
    return g;
}

static uint64_t dw_macs(const qlr_op_call_t *c)
{
    qlr_f32_window_t g = dw_window(c->param);
    return (uint64_t)g.n * qlr_f32_window_ho(&g) * qlr_f32_window_wo(&g) * g.c * g.kh * g.kw;
}

static const char *dw_check(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = positive(q, 8, "n, h, w, c, kh, kw, sh and sw must be >= 1"))) {
        return e;
    }
    for (unsigned i = 8; i < 12u; i++) {
        if (q[i] < 0) {
            return "padding must be >= 0";
        }
    }
    if ((e = check_budget(c, q[12]))) {
        return e;
    }
    qlr_f32_window_t g = dw_window(q);
    uint64_t ho = qlr_f32_window_ho(&g), wo = qlr_f32_window_wo(&g);
    if (ho == 0u || wo == 0u) {
        return "the window does not fit the padded input (kh, kw larger than h, w plus padding)";
    }
    uint64_t n = g.n, ch = g.c;
    if ((e = qlr_op_expect_bytes(c, 0, 4u * n * g.h * g.w * ch)) ||
        (e = qlr_op_expect_bytes(c, 1, 4u * (uint64_t)g.kh * g.kw * ch)) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * ch)) || (e = qlr_op_expect_bytes(c, 3, 4u * n * ho * wo * ch))) {
        return e;
    }
    qlr_tiled_l1_t l1 = l1_of(c, q[12]);
    if (qlr_dwconv2d_f32_fw_tile_channels(&g, &l1) == 0u) {
        return "l1_budget is too small for one channel's input and output planes";
    }
    return NULL;
}

static qlr_status_t dw_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = DW_FW, .l1 = l1_of(c, q[12])};
    t.u.dw_fw = (qlr_dwconv2d_f32_fw_args_t){dw_window(q), F32(c, 0), F32(c, 1), F32(c, 2), F32(c, 3)};
    return run_team(c, &t);
}

const qlr_op_t qlr_ops_tiled[] = {
    {"pwconv_f32_fw_tiled", 6, 4, pw_fw_tensors, pw_fw_check, pw_macs, pw_fw_run},
    {"pwconv_f32_bw_input_tiled", 6, 3, pw_bi_tensors, pw_bi_check, pw_macs, pw_bi_run},
    {"pwconv_f32_bw_weight_tiled", 7, 4, pw_bw_tensors, pw_bw_check, pw_macs, pw_bw_run},
    {"linear_f32_fw_tiled", 4, 4, lin_fw_tensors, lin_fw_check, lin_macs, lin_fw_run},
    {"linear_f32_bw_input_tiled", 4, 3, lin_bi_tensors, lin_bi_check, lin_macs, lin_bi_run},
    {"linear_f32_bw_weight_tiled", 5, 4, lin_bw_tensors, lin_bw_check, lin_macs, lin_bw_run},
    {"dwconv2d_f32_fw_tiled", 13, 4, dw_tensors, dw_check, dw_macs, dw_run},
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};

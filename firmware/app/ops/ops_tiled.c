/*
 * Ops of the tiled family (qlr/op.h, docs/kernels.md): the FP32 layers through the tiled
 * executors of qlr/tiled.h, tensors in L2, tiles in the call's L1. Each takes the parameters and
 * tensors of the untiled op of the f32 family (ops_f32.c) plus a last parameter `l1_budget`:
 * bytes of one tile set (two are used), 0 = half of the free L1.
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

/* ---- pointwise and linear: the shape (pwconv: n, height, width, cin, cout; linear: n,
 * in_features, out_features), then fw: use_bias; bw_weight: use_bias, accumulate; then
 * l1_budget. As the untiled ops of the f32 family, plus l1_budget. ------------------------- */

static const char *const mm_fw_tensors[] = {"x", "w", "b", "y"};
static const char *const mm_bi_tensors[] = {"dy", "w", "dx"};
static const char *const mm_bw_tensors[] = {"x", "dy", "dw", "db"};

typedef struct {
    uint64_t rows, in, out;
    unsigned flags;  /* index of the first flag parameter */
    unsigned budget; /* index of l1_budget */
} mm_shape_t;

/* lead = 3 (pwconv: rows = n*height*width) or 1 (linear: rows = n); pass 0 fw, 1 bw_input,
 * 2 bw_weight. */
static mm_shape_t mm_shape(const qlr_op_call_t *c, unsigned lead, int pass)
{
    const int32_t *q = c->param;
    mm_shape_t s;
    s.rows = 1u;
    for (unsigned i = 0; i < lead; i++) {
        s.rows *= (uint64_t)(uint32_t)q[i];
    }
    s.in = (uint64_t)(uint32_t)q[lead];
    s.out = (uint64_t)(uint32_t)q[lead + 1u];
    s.flags = lead + 2u;
    s.budget = s.flags + (pass == 0 ? 1u : pass == 2 ? 2u : 0u);
    return s;
}

static const char *mm_check(const qlr_op_call_t *c, unsigned lead, int pass)
{
    const int32_t *q = c->param;
    const char *e;
    if ((e = positive(q, lead + 2u, lead == 3u ? "n, height, width, cin and cout must be >= 1"
                                               : "n, in_features and out_features must be >= 1"))) {
        return e;
    }
    mm_shape_t s = mm_shape(c, lead, pass);
    if (s.rows > 0x7FFFFFFFu) {
        return "the rows (n*height*width) do not fit 31 bits";
    }
    if (pass != 1 && q[s.flags] != 0 && q[s.flags] != 1) {
        return "use_bias must be 0 or 1";
    }
    if (pass == 2 && q[s.flags + 1u] != 0 && q[s.flags + 1u] != 1) {
        return "accumulate must be 0 or 1";
    }
    if ((e = check_budget(c, q[s.budget]))) {
        return e;
    }
    if ((e = qlr_op_expect_mm_tensors(c, pass, s.rows, s.in, s.out))) {
        return e;
    }
    return check_plan(c, q[s.budget]);
}

static const char *pw_fw_check(const qlr_op_call_t *c) { return mm_check(c, 3, 0); }
static const char *pw_bi_check(const qlr_op_call_t *c) { return mm_check(c, 3, 1); }
static const char *pw_bw_check(const qlr_op_call_t *c) { return mm_check(c, 3, 2); }
static const char *lin_fw_check(const qlr_op_call_t *c) { return mm_check(c, 1, 0); }
static const char *lin_bi_check(const qlr_op_call_t *c) { return mm_check(c, 1, 1); }
static const char *lin_bw_check(const qlr_op_call_t *c) { return mm_check(c, 1, 2); }

static uint64_t mm_macs(const qlr_op_call_t *c, unsigned lead)
{
    mm_shape_t s = mm_shape(c, lead, 1);
    return s.rows * s.in * s.out;
}

static uint64_t pw_macs(const qlr_op_call_t *c) { return mm_macs(c, 3); }
static uint64_t lin_macs(const qlr_op_call_t *c) { return mm_macs(c, 1); }

static qlr_status_t mm_run(const qlr_op_call_t *c, unsigned lead, int pass)
{
    const int32_t *q = c->param;
    mm_shape_t s = mm_shape(c, lead, pass);
    const uint32_t rows = (uint32_t)s.rows, in = (uint32_t)s.in, out = (uint32_t)s.out;
    task_t t;
    t.l1 = l1_of(c, q[s.budget]);
    if (pass == 0) {
        const float *b = q[s.flags] ? F32(c, 2) : NULL;
        if (lead == 3u) {
            t.layer = PW_FW;
            t.u.pw_fw = (qlr_pwconv_f32_fw_args_t){rows, in, out, F32(c, 0), F32(c, 1), b, F32(c, 3)};
        } else {
            t.layer = LIN_FW;
            t.u.lin_fw = (qlr_linear_f32_fw_args_t){rows, in, out, F32(c, 0), F32(c, 1), b, F32(c, 3)};
        }
    } else if (pass == 1) {
        if (lead == 3u) {
            t.layer = PW_BI;
            t.u.pw_bi = (qlr_pwconv_f32_bw_input_args_t){rows, in, out, F32(c, 0), F32(c, 1), F32(c, 2)};
        } else {
            t.layer = LIN_BI;
            t.u.lin_bi = (qlr_linear_f32_bw_input_args_t){rows, in, out, F32(c, 0), F32(c, 1), F32(c, 2)};
        }
    } else {
        float *db = q[s.flags] ? F32(c, 3) : NULL;
        int acc = q[s.flags + 1u];
        if (lead == 3u) {
            t.layer = PW_BW;
            t.u.pw_bw = (qlr_pwconv_f32_bw_weight_args_t){rows, in, out, F32(c, 0), F32(c, 1), F32(c, 2), db, acc};
        } else {
            t.layer = LIN_BW;
            t.u.lin_bw = (qlr_linear_f32_bw_weight_args_t){rows, in, out, F32(c, 0), F32(c, 1), F32(c, 2), db, acc};
        }
    }
    return run_team(c, &t);
}

static qlr_status_t pw_fw_run(const qlr_op_call_t *c) { return mm_run(c, 3, 0); }
static qlr_status_t pw_bi_run(const qlr_op_call_t *c) { return mm_run(c, 3, 1); }
static qlr_status_t pw_bw_run(const qlr_op_call_t *c) { return mm_run(c, 3, 2); }
static qlr_status_t lin_fw_run(const qlr_op_call_t *c) { return mm_run(c, 1, 0); }
static qlr_status_t lin_bi_run(const qlr_op_call_t *c) { return mm_run(c, 1, 1); }
static qlr_status_t lin_bw_run(const qlr_op_call_t *c) { return mm_run(c, 1, 2); }

/* ---- depthwise forward: n, height, width, c, kh, kw, sh, sw, pad_top, pad_bottom, pad_left,
 * pad_right, use_bias, l1_budget (as dwconv2d_f32_fw, plus l1_budget) ------------------------------------------------------------------------------------ */

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
    if (q[12] != 0 && q[12] != 1) {
        return "use_bias must be 0 or 1";
    }
    if ((e = check_budget(c, q[13]))) {
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
    qlr_tiled_l1_t l1 = l1_of(c, q[13]);
    if (qlr_dwconv2d_f32_fw_tile_channels(&g, &l1) == 0u) {
        return "l1_budget is too small for one channel's input and output planes";
    }
    return NULL;
}

static qlr_status_t dw_run(const qlr_op_call_t *c)
{
    const int32_t *q = c->param;
    task_t t = {.layer = DW_FW, .l1 = l1_of(c, q[13])};
    t.u.dw_fw = (qlr_dwconv2d_f32_fw_args_t){dw_window(q), F32(c, 0), F32(c, 1), q[12] ? F32(c, 2) : NULL, F32(c, 3)};
    return run_team(c, &t);
}

const qlr_op_t qlr_ops_tiled[] = {
    {"pwconv_f32_fw_tiled", 7, 4, mm_fw_tensors, pw_fw_check, pw_macs, pw_fw_run},
    {"pwconv_f32_bw_input_tiled", 6, 3, mm_bi_tensors, pw_bi_check, pw_macs, pw_bi_run},
    {"pwconv_f32_bw_weight_tiled", 8, 4, mm_bw_tensors, pw_bw_check, pw_macs, pw_bw_run},
    {"linear_f32_fw_tiled", 5, 4, mm_fw_tensors, lin_fw_check, lin_macs, lin_fw_run},
    {"linear_f32_bw_input_tiled", 4, 3, mm_bi_tensors, lin_bi_check, lin_macs, lin_bi_run},
    {"linear_f32_bw_weight_tiled", 6, 4, mm_bw_tensors, lin_bw_check, lin_macs, lin_bw_run},
    {"dwconv2d_f32_fw_tiled", 14, 4, dw_tensors, dw_check, dw_macs, dw_run},
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};

/*
 * Ops that are one FP32 matrix product (qlr/op.h, docs/kernels.md): the matmul micro-kernels
 * (matmul family) and the pointwise and linear layer passes, untiled (f32 family, over
 * qlr/kernels_f32.h) and tiled (tiled family, qlr/tiled.h: L1 tiles, double-buffered copies).
 *
 * Parameters come by name from the generated qlr_<op>_params() (qlr_ops_gen.h), already within
 * their ranges. A pointwise or linear pass is "rows x in -> rows x out" (rows = n*height*width
 * pixels or n samples): each op turns its parameters into that shape (a layer_t) and shares the
 * checks and the run.
 */
#include <stddef.h>
#include <stdio.h>

#include "qlr/kernels_f32.h"
#include "qlr/matmul_f32.h"
#include "qlr/op.h"
#include "qlr/runtime.h"
#include "qlr/tiled.h"
#include "qlr_ops_gen.h"

#define F32(call, i) ((float *)(void *)(call)->tensor[i])

/* ---- matmul_f32_{nn,nt,tn}: m, n, k, accumulate; tensors a, b, bias, c (inout) ---------------- */

typedef qlr_status_t (*matmul_fn)(const qlr_matmul_f32_args_t *);

typedef struct {
    uint32_t m, n, k;
    int accumulate;
} matmul_shape_t;

typedef struct {
    matmul_fn fn;
    int a_t, b_t; /* A stored [K][M] (tn), B stored [N][K] (nt) */
    matmul_shape_t (*shape)(const qlr_op_call_t *c);
} matmul_op_t;

#define MATMUL_SHAPE(p) ((matmul_shape_t){.m = (uint32_t)(p).m, .n = (uint32_t)(p).n, .k = (uint32_t)(p).k, \
                                          .accumulate = (p).accumulate})
static matmul_shape_t mm_nn(const qlr_op_call_t *c) { return MATMUL_SHAPE(qlr_matmul_f32_nn_params(c)); }
static matmul_shape_t mm_nt(const qlr_op_call_t *c) { return MATMUL_SHAPE(qlr_matmul_f32_nt_params(c)); }
static matmul_shape_t mm_tn(const qlr_op_call_t *c) { return MATMUL_SHAPE(qlr_matmul_f32_tn_params(c)); }

static const matmul_op_t MM_NN = {.fn = qlr_matmul_f32_nn, .a_t = 0, .b_t = 0, .shape = mm_nn};
static const matmul_op_t MM_NT = {.fn = qlr_matmul_f32_nt, .a_t = 0, .b_t = 1, .shape = mm_nt};
static const matmul_op_t MM_TN = {.fn = qlr_matmul_f32_tn, .a_t = 1, .b_t = 0, .shape = mm_tn};

/* The three share their tensors: a, b, bias, c (the generated indices say so, or this fails). */
_Static_assert(QLR_MATMUL_F32_NN_T_A == 0 && QLR_MATMUL_F32_NT_T_A == 0 && QLR_MATMUL_F32_TN_T_A == 0 &&
                   QLR_MATMUL_F32_NN_T_B == 1 && QLR_MATMUL_F32_NT_T_B == 1 && QLR_MATMUL_F32_TN_T_B == 1 &&
                   QLR_MATMUL_F32_NN_T_BIAS == 2 && QLR_MATMUL_F32_NT_T_BIAS == 2 && QLR_MATMUL_F32_TN_T_BIAS == 2 &&
                   QLR_MATMUL_F32_NN_T_C == 3 && QLR_MATMUL_F32_NT_T_C == 3 && QLR_MATMUL_F32_TN_T_C == 3,
               "matmul ops: tensors a, b, bias, c");
enum { MM_A = 0, MM_B = 1, MM_BIAS = 2, MM_C = 3 };

static matmul_shape_t matmul_shape(const qlr_op_call_t *c)
{
    return ((const matmul_op_t *)c->op->data)->shape(c);
}

static const char *matmul_check(const qlr_op_call_t *c)
{
    const matmul_shape_t s = matmul_shape(c);
    const uint64_t m = s.m, n = s.n, k = s.k;
    const char *e;
    if ((e = qlr_op_expect_bytes(c, MM_A, 4u * m * k)) || (e = qlr_op_expect_bytes(c, MM_B, 4u * k * n)) ||
        (e = qlr_op_expect_bytes(c, MM_BIAS, 4u * n)) || (e = qlr_op_expect_bytes(c, MM_C, 4u * m * n))) {
        return e;
    }
    return NULL;
}

static uint64_t matmul_macs(const qlr_op_call_t *c)
{
    const matmul_shape_t s = matmul_shape(c);
    return (uint64_t)s.m * s.n * s.k;
}

typedef struct {
    matmul_fn fn;
    qlr_matmul_f32_args_t args;
    qlr_status_t status; /* written by core 0 */
} matmul_task_t;

static void matmul_task(void *arg)
{
    matmul_task_t *t = arg;
    qlr_status_t st = t->fn(&t->args);
    if (qlr_core_id() == 0u) {
        t->status = st;
    }
}

static qlr_status_t matmul_run(const qlr_op_call_t *c)
{
    const matmul_op_t *op = c->op->data;
    const matmul_shape_t s = matmul_shape(c);
    matmul_task_t t = {
        .fn = op->fn,
        .args = {.a = F32(c, MM_A), .b = F32(c, MM_B), .c = F32(c, MM_C), .bias = F32(c, MM_BIAS), .m = s.m,
                 .n = s.n, .k = s.k, .lda = op->a_t ? s.m : s.k, .ldb = op->b_t ? s.k : s.n, .ldc = s.n,
                 .accumulate = s.accumulate},
        .status = QLR_E_ARG,
    };
    qlr_team_fork(c->cores, matmul_task, &t);
    return t.status;
}

/* ---- pwconv/linear_f32_{fw,bw_input,bw_weight}[_tiled] ------------------------------------------
 * Tensors: fw x, w, b, y; bw_input dy, w, dx; bw_weight x, dy, dw, db (qlr_op_expect_mm_tensors). */

/* The order the shared code below relies on, checked against the generated indices. */
_Static_assert(QLR_PWCONV_F32_FW_T_X == 0 && QLR_PWCONV_F32_FW_T_W == 1 && QLR_PWCONV_F32_FW_T_B == 2 &&
                   QLR_PWCONV_F32_FW_T_Y == 3 && QLR_LINEAR_F32_FW_T_X == 0 && QLR_LINEAR_F32_FW_T_W == 1 &&
                   QLR_LINEAR_F32_FW_T_B == 2 && QLR_LINEAR_F32_FW_T_Y == 3 && QLR_PWCONV_F32_FW_TILED_T_Y == 3 &&
                   QLR_LINEAR_F32_FW_TILED_T_Y == 3,
               "fw passes: tensors x, w, b, y");
_Static_assert(QLR_PWCONV_F32_BW_INPUT_T_DY == 0 && QLR_PWCONV_F32_BW_INPUT_T_W == 1 &&
                   QLR_PWCONV_F32_BW_INPUT_T_DX == 2 && QLR_LINEAR_F32_BW_INPUT_T_DY == 0 &&
                   QLR_LINEAR_F32_BW_INPUT_T_W == 1 && QLR_LINEAR_F32_BW_INPUT_T_DX == 2 &&
                   QLR_PWCONV_F32_BW_INPUT_TILED_T_DX == 2 && QLR_LINEAR_F32_BW_INPUT_TILED_T_DX == 2,
               "bw_input passes: tensors dy, w, dx");
_Static_assert(QLR_PWCONV_F32_BW_WEIGHT_T_X == 0 && QLR_PWCONV_F32_BW_WEIGHT_T_DY == 1 &&
                   QLR_PWCONV_F32_BW_WEIGHT_T_DW == 2 && QLR_PWCONV_F32_BW_WEIGHT_T_DB == 3 &&
                   QLR_LINEAR_F32_BW_WEIGHT_T_X == 0 && QLR_LINEAR_F32_BW_WEIGHT_T_DY == 1 &&
                   QLR_LINEAR_F32_BW_WEIGHT_T_DW == 2 && QLR_LINEAR_F32_BW_WEIGHT_T_DB == 3 &&
                   QLR_PWCONV_F32_BW_WEIGHT_TILED_T_DB == 3 && QLR_LINEAR_F32_BW_WEIGHT_TILED_T_DB == 3,
               "bw_weight passes: tensors x, dy, dw, db");

enum { FW = 0, BW_INPUT = 1, BW_WEIGHT = 2 };

typedef struct {
    int pass;          /* FW, BW_INPUT, BW_WEIGHT */
    int tiled;
    int pointwise;     /* 1: pwconv (rows are pixels), 0: linear (rows are samples) */
    uint64_t rows, in, out;
    int use_bias, accumulate;
    int32_t l1_budget; /* tiled */
} layer_t;

typedef struct {
    layer_t (*shape)(const qlr_op_call_t *c);
} layer_op_t;

#define PW_ROWS(p) ((uint64_t)(p).n * (uint64_t)(p).height * (uint64_t)(p).width)

static layer_t pw_fw(const qlr_op_call_t *c)
{
    const qlr_pwconv_f32_fw_params_t p = qlr_pwconv_f32_fw_params(c);
    return (layer_t){.pass = FW, .pointwise = 1, .rows = PW_ROWS(p), .in = (uint64_t)p.cin, .out = (uint64_t)p.cout,
                     .use_bias = p.use_bias};
}

static layer_t pw_bi(const qlr_op_call_t *c)
{
    const qlr_pwconv_f32_bw_input_params_t p = qlr_pwconv_f32_bw_input_params(c);
    return (layer_t){.pass = BW_INPUT, .pointwise = 1, .rows = PW_ROWS(p), .in = (uint64_t)p.cin,
                     .out = (uint64_t)p.cout};
}

static layer_t pw_bw(const qlr_op_call_t *c)
{
    const qlr_pwconv_f32_bw_weight_params_t p = qlr_pwconv_f32_bw_weight_params(c);
    return (layer_t){.pass = BW_WEIGHT, .pointwise = 1, .rows = PW_ROWS(p), .in = (uint64_t)p.cin,
                     .out = (uint64_t)p.cout, .use_bias = p.use_bias, .accumulate = p.accumulate};
}

static layer_t lin_fw(const qlr_op_call_t *c)
{
    const qlr_linear_f32_fw_params_t p = qlr_linear_f32_fw_params(c);
    return (layer_t){.pass = FW, .rows = (uint64_t)p.n, .in = (uint64_t)p.in_features,
                     .out = (uint64_t)p.out_features, .use_bias = p.use_bias};
}

static layer_t lin_bi(const qlr_op_call_t *c)
{
    const qlr_linear_f32_bw_input_params_t p = qlr_linear_f32_bw_input_params(c);
    return (layer_t){.pass = BW_INPUT, .rows = (uint64_t)p.n, .in = (uint64_t)p.in_features,
                     .out = (uint64_t)p.out_features};
}

static layer_t lin_bw(const qlr_op_call_t *c)
{
    const qlr_linear_f32_bw_weight_params_t p = qlr_linear_f32_bw_weight_params(c);
    return (layer_t){.pass = BW_WEIGHT, .rows = (uint64_t)p.n, .in = (uint64_t)p.in_features,
                     .out = (uint64_t)p.out_features, .use_bias = p.use_bias, .accumulate = p.accumulate};
}

static layer_t pw_fw_tiled(const qlr_op_call_t *c)
{
    const qlr_pwconv_f32_fw_tiled_params_t p = qlr_pwconv_f32_fw_tiled_params(c);
    return (layer_t){.pass = FW, .tiled = 1, .pointwise = 1, .rows = PW_ROWS(p), .in = (uint64_t)p.cin,
                     .out = (uint64_t)p.cout, .use_bias = p.use_bias, .l1_budget = p.l1_budget};
}

static layer_t pw_bi_tiled(const qlr_op_call_t *c)
{
    const qlr_pwconv_f32_bw_input_tiled_params_t p = qlr_pwconv_f32_bw_input_tiled_params(c);
    return (layer_t){.pass = BW_INPUT, .tiled = 1, .pointwise = 1, .rows = PW_ROWS(p), .in = (uint64_t)p.cin,
                     .out = (uint64_t)p.cout, .l1_budget = p.l1_budget};
}

static layer_t pw_bw_tiled(const qlr_op_call_t *c)
{
    const qlr_pwconv_f32_bw_weight_tiled_params_t p = qlr_pwconv_f32_bw_weight_tiled_params(c);
    return (layer_t){.pass = BW_WEIGHT, .tiled = 1, .pointwise = 1, .rows = PW_ROWS(p), .in = (uint64_t)p.cin,
                     .out = (uint64_t)p.cout, .use_bias = p.use_bias, .accumulate = p.accumulate,
                     .l1_budget = p.l1_budget};
}

static layer_t lin_fw_tiled(const qlr_op_call_t *c)
{
    const qlr_linear_f32_fw_tiled_params_t p = qlr_linear_f32_fw_tiled_params(c);
    return (layer_t){.pass = FW, .tiled = 1, .rows = (uint64_t)p.n, .in = (uint64_t)p.in_features,
                     .out = (uint64_t)p.out_features, .use_bias = p.use_bias, .l1_budget = p.l1_budget};
}

static layer_t lin_bi_tiled(const qlr_op_call_t *c)
{
    const qlr_linear_f32_bw_input_tiled_params_t p = qlr_linear_f32_bw_input_tiled_params(c);
    return (layer_t){.pass = BW_INPUT, .tiled = 1, .rows = (uint64_t)p.n, .in = (uint64_t)p.in_features,
                     .out = (uint64_t)p.out_features, .l1_budget = p.l1_budget};
}

static layer_t lin_bw_tiled(const qlr_op_call_t *c)
{
    const qlr_linear_f32_bw_weight_tiled_params_t p = qlr_linear_f32_bw_weight_tiled_params(c);
    return (layer_t){.pass = BW_WEIGHT, .tiled = 1, .rows = (uint64_t)p.n, .in = (uint64_t)p.in_features,
                     .out = (uint64_t)p.out_features, .use_bias = p.use_bias, .accumulate = p.accumulate,
                     .l1_budget = p.l1_budget};
}

static layer_t layer_of(const qlr_op_call_t *c)
{
    return ((const layer_op_t *)c->op->data)->shape(c);
}

static qlr_tiled_l1_t l1_of(const qlr_op_call_t *c, int32_t budget)
{
    const qlr_tiled_l1_t l1 = {.l1 = c->l1, .l1_size = c->l1_size, .tile_budget = (size_t)(uint32_t)budget};
    return l1;
}

static const char *layer_check(const qlr_op_call_t *c)
{
    static char msg[128];
    const layer_t s = layer_of(c);
    const char *e;
    if (s.rows > 0x7FFFFFFFu) {
        return s.pointwise ? "the rows (n*height*width) do not fit 31 bits" : "n does not fit 31 bits";
    }
    if (s.rows * s.in > QLR_MAX_ELEMS || s.rows * s.out > QLR_MAX_ELEMS || s.in * s.out > QLR_MAX_ELEMS) {
        return "tensors too large: one holds more than 2^29 floats";
    }
    if ((e = qlr_op_expect_mm_tensors(c, s.pass, s.rows, s.in, s.out))) {
        return e;
    }
    if (!s.tiled) {
        return NULL;
    }
    if ((e = qlr_op_check_l1_budget(c, s.l1_budget))) {
        return e;
    }
    /* A tiled product needs at least a 1x1x1 tile set (its plan then always exists). */
    const qlr_tiled_l1_t l1 = l1_of(c, s.l1_budget);
    const size_t have = l1.tile_budget != 0u ? l1.tile_budget : l1.l1_size / 2u;
    const size_t need = qlr_matmul_f32_tiled_min_budget();
    if (have < need) {
        snprintf(msg, sizeof msg, "l1_budget %lu is too small: a tiled product needs at least %lu bytes",
                 (unsigned long)have, (unsigned long)need);
        return msg;
    }
    return NULL;
}

static uint64_t layer_macs(const qlr_op_call_t *c)
{
    const layer_t s = layer_of(c);
    return s.rows * s.in * s.out;
}

/* The kernel of one pass, untiled or tiled, on every core; core 0's status is the op's. */
typedef struct {
    layer_t shape;
    union {
        qlr_pwconv_f32_fw_args_t pw_fw;
        qlr_pwconv_f32_bw_input_args_t pw_bi;
        qlr_pwconv_f32_bw_weight_args_t pw_bw;
        qlr_linear_f32_fw_args_t lin_fw;
        qlr_linear_f32_bw_input_args_t lin_bi;
        qlr_linear_f32_bw_weight_args_t lin_bw;
    } u;
    qlr_tiled_l1_t l1;
    qlr_status_t status; /* written by core 0 */
} layer_task_t;

static qlr_status_t layer_kernel(const layer_task_t *t)
{
    const int pw = t->shape.pointwise, tiled = t->shape.tiled;
    switch (t->shape.pass) {
    case FW:
        return pw ? (tiled ? qlr_pwconv_f32_fw_tiled(&t->u.pw_fw, &t->l1) : qlr_pwconv_f32_fw(&t->u.pw_fw))
                  : (tiled ? qlr_linear_f32_fw_tiled(&t->u.lin_fw, &t->l1) : qlr_linear_f32_fw(&t->u.lin_fw));
    case BW_INPUT:
        return pw ? (tiled ? qlr_pwconv_f32_bw_input_tiled(&t->u.pw_bi, &t->l1) : qlr_pwconv_f32_bw_input(&t->u.pw_bi))
                  : (tiled ? qlr_linear_f32_bw_input_tiled(&t->u.lin_bi, &t->l1)
                           : qlr_linear_f32_bw_input(&t->u.lin_bi));
    default:
        return pw ? (tiled ? qlr_pwconv_f32_bw_weight_tiled(&t->u.pw_bw, &t->l1)
                           : qlr_pwconv_f32_bw_weight(&t->u.pw_bw))
                  : (tiled ? qlr_linear_f32_bw_weight_tiled(&t->u.lin_bw, &t->l1)
                           : qlr_linear_f32_bw_weight(&t->u.lin_bw));
    }
}

static void layer_task(void *arg)
{
    layer_task_t *t = arg;
    qlr_status_t st = layer_kernel(t);
    if (qlr_core_id() == 0u) {
        t->status = st;
    }
}

static qlr_status_t layer_run(const qlr_op_call_t *c)
{
    layer_task_t t = {.shape = layer_of(c), .status = QLR_E_ARG};
    const layer_t *s = &t.shape;
    const uint32_t rows = (uint32_t)s->rows, in = (uint32_t)s->in, out = (uint32_t)s->out;
    t.l1 = l1_of(c, s->l1_budget);
    if (s->pass == FW) {
        const float *b = s->use_bias ? F32(c, 2) : NULL;
        if (s->pointwise) {
            t.u.pw_fw = (qlr_pwconv_f32_fw_args_t){.pixels = rows, .cin = in, .cout = out, .x = F32(c, 0),
                                                   .w = F32(c, 1), .b = b, .y = F32(c, 3)};
        } else {
            t.u.lin_fw = (qlr_linear_f32_fw_args_t){.n = rows, .in = in, .out = out, .x = F32(c, 0), .w = F32(c, 1),
                                                    .b = b, .y = F32(c, 3)};
        }
    } else if (s->pass == BW_INPUT) {
        if (s->pointwise) {
            t.u.pw_bi = (qlr_pwconv_f32_bw_input_args_t){.pixels = rows, .cin = in, .cout = out, .dy = F32(c, 0),
                                                         .w = F32(c, 1), .dx = F32(c, 2)};
        } else {
            t.u.lin_bi = (qlr_linear_f32_bw_input_args_t){.n = rows, .in = in, .out = out, .dy = F32(c, 0),
                                                          .w = F32(c, 1), .dx = F32(c, 2)};
        }
    } else {
        float *db = s->use_bias ? F32(c, 3) : NULL;
        if (s->pointwise) {
            t.u.pw_bw = (qlr_pwconv_f32_bw_weight_args_t){.pixels = rows, .cin = in, .cout = out, .x = F32(c, 0),
                                                          .dy = F32(c, 1), .dw = F32(c, 2), .db = db,
                                                          .accumulate = s->accumulate};
        } else {
            t.u.lin_bw = (qlr_linear_f32_bw_weight_args_t){.n = rows, .in = in, .out = out, .x = F32(c, 0),
                                                           .dy = F32(c, 1), .dw = F32(c, 2), .db = db,
                                                           .accumulate = s->accumulate};
        }
    }
    qlr_team_fork(c->cores, layer_task, &t);
    return t.status;
}

static const layer_op_t PW_FW = {.shape = pw_fw}, PW_BI = {.shape = pw_bi}, PW_BW = {.shape = pw_bw};
static const layer_op_t LIN_FW = {.shape = lin_fw}, LIN_BI = {.shape = lin_bi}, LIN_BW = {.shape = lin_bw};
static const layer_op_t PW_FW_T = {.shape = pw_fw_tiled}, PW_BI_T = {.shape = pw_bi_tiled};
static const layer_op_t PW_BW_T = {.shape = pw_bw_tiled}, LIN_FW_T = {.shape = lin_fw_tiled};
static const layer_op_t LIN_BI_T = {.shape = lin_bi_tiled}, LIN_BW_T = {.shape = lin_bw_tiled};

#define MATMUL(s, op) {.spec = &(s), .check = matmul_check, .macs = matmul_macs, .run = matmul_run, .data = &(op)}
#define LAYER(s, op) {.spec = &(s), .check = layer_check, .macs = layer_macs, .run = layer_run, .data = &(op)}

const qlr_op_t qlr_ops_matmul[] = {
    MATMUL(qlr_matmul_f32_nn_spec, MM_NN),
    MATMUL(qlr_matmul_f32_nt_spec, MM_NT),
    MATMUL(qlr_matmul_f32_tn_spec, MM_TN),
    LAYER(qlr_pwconv_f32_fw_spec, PW_FW),
    LAYER(qlr_pwconv_f32_bw_input_spec, PW_BI),
    LAYER(qlr_pwconv_f32_bw_weight_spec, PW_BW),
    LAYER(qlr_linear_f32_fw_spec, LIN_FW),
    LAYER(qlr_linear_f32_bw_input_spec, LIN_BI),
    LAYER(qlr_linear_f32_bw_weight_spec, LIN_BW),
    LAYER(qlr_pwconv_f32_fw_tiled_spec, PW_FW_T),
    LAYER(qlr_pwconv_f32_bw_input_tiled_spec, PW_BI_T),
    LAYER(qlr_pwconv_f32_bw_weight_tiled_spec, PW_BW_T),
    LAYER(qlr_linear_f32_fw_tiled_spec, LIN_FW_T),
    LAYER(qlr_linear_f32_bw_input_tiled_spec, LIN_BI_T),
    LAYER(qlr_linear_f32_bw_weight_tiled_spec, LIN_BW_T),
    {.spec = NULL},
};

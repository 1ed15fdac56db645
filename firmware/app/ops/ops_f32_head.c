/*
 * The f32 ops of a network's head and training step (qlr/op.h, docs/kernels.md): global average
 * pooling, ReLU/ReLU6, softmax cross-entropy and SGD, over the kernels of qlr/kernels_f32.h.
 *
 * Glue only. Parameters come by name from the generated qlr_<op>_params() (qlr_ops_gen.h), already
 * within their ranges (qlr_op_check_params); the checks here cover sizes, tensor sizes and the
 * labels, with messages that name the field.
 */
#include <stddef.h>
#include <stdio.h>

#include "qlr/kernel.h"
#include "qlr/kernels_f32.h"
#include "qlr/op.h"
#include "qlr/runtime.h"
#include "qlr_ops_gen.h"

static char g_msg[128];

#define TOO_BIG "tensors too large: one holds more than 2^29 floats"

static float *tensor_f32(const qlr_op_call_t *c, unsigned i)
{
    return (float *)(void *)c->tensor[i];
}

/* ---- the task: one kernel call on every core ---------------------------------------------- */

typedef enum {
    K_GPOOL_FW, K_GPOOL_BW, K_RELU_FW, K_RELU_BW, K_RELU6_FW, K_RELU6_BW, K_XENT, K_SGD
} kernel_id_t;

typedef struct {
    kernel_id_t id;
    qlr_status_t status; /* written by core 0 (every core returns the same status) */
    union {
        qlr_global_avgpool_f32_fw_args_t gpool_fw;
        qlr_global_avgpool_f32_bw_args_t gpool_bw;
        struct {
            const float *a, *b;
            float *out;
            size_t count;
        } elem;
        qlr_softmax_xent_f32_args_t xent;
        qlr_sgd_f32_args_t sgd;
    } u;
} head_task_t;

static void head_task(void *arg)
{
    head_task_t *t = arg;
    qlr_status_t st = QLR_OK;
    switch (t->id) {
    case K_GPOOL_FW: st = qlr_global_avgpool_f32_fw(&t->u.gpool_fw); break;
    case K_GPOOL_BW: st = qlr_global_avgpool_f32_bw(&t->u.gpool_bw); break;
    case K_RELU_FW: qlr_relu_f32_fw(t->u.elem.a, t->u.elem.out, t->u.elem.count); break;
    case K_RELU_BW: qlr_relu_f32_bw(t->u.elem.a, t->u.elem.b, t->u.elem.out, t->u.elem.count); break;
    case K_RELU6_FW: qlr_relu6_f32_fw(t->u.elem.a, t->u.elem.out, t->u.elem.count); break;
    case K_RELU6_BW: qlr_relu6_f32_bw(t->u.elem.a, t->u.elem.b, t->u.elem.out, t->u.elem.count); break;
    case K_XENT: st = qlr_softmax_xent_f32(&t->u.xent); break;
    case K_SGD: qlr_sgd_f32(&t->u.sgd); break;
    }
    if (qlr_core_id() == 0) {
        t->status = st;
    }
}

static qlr_status_t fork_task(const qlr_op_call_t *c, head_task_t *t)
{
    t->status = QLR_OK;
    qlr_team_fork(c->cores, head_task, t);
    return t->status;
}

/* ---- global_avgpool_f32_{fw,bw}: n, height, width, c ------------------------------------------ */

/* n*height*width*c input elements within QLR_MAX_ELEMS, and the bytes of the input [n][h][w][c]
 * and of the pooled [n][c] tensors (index `in_t` and `pooled_t` of the call). */
static const char *gpool_check(const qlr_op_call_t *c, uint64_t n, uint64_t h, uint64_t w, uint64_t ch, unsigned in_t,
                               unsigned pooled_t)
{
    const uint64_t in = n * h * w * ch;
    const char *e;
    if (in > QLR_MAX_ELEMS) {
        return TOO_BIG;
    }
    if ((e = qlr_op_expect_bytes(c, in_t, 4u * in)) || (e = qlr_op_expect_bytes(c, pooled_t, 4u * n * ch))) {
        return e;
    }
    return NULL;
}

static const char *gpool_fw_check(const qlr_op_call_t *c)
{
    const qlr_global_avgpool_f32_fw_params_t p = qlr_global_avgpool_f32_fw_params(c);
    return gpool_check(c, (uint64_t)p.n, (uint64_t)p.height, (uint64_t)p.width, (uint64_t)p.c,
                       QLR_GLOBAL_AVGPOOL_F32_FW_T_X, QLR_GLOBAL_AVGPOOL_F32_FW_T_Y);
}

static const char *gpool_bw_check(const qlr_op_call_t *c)
{
    const qlr_global_avgpool_f32_bw_params_t p = qlr_global_avgpool_f32_bw_params(c);
    return gpool_check(c, (uint64_t)p.n, (uint64_t)p.height, (uint64_t)p.width, (uint64_t)p.c,
                       QLR_GLOBAL_AVGPOOL_F32_BW_T_DX, QLR_GLOBAL_AVGPOOL_F32_BW_T_DY);
}

static uint64_t gpool_fw_macs(const qlr_op_call_t *c)
{
    const qlr_global_avgpool_f32_fw_params_t p = qlr_global_avgpool_f32_fw_params(c);
    return (uint64_t)p.n * (uint64_t)p.height * (uint64_t)p.width * (uint64_t)p.c;
}

static uint64_t gpool_bw_macs(const qlr_op_call_t *c)
{
    const qlr_global_avgpool_f32_bw_params_t p = qlr_global_avgpool_f32_bw_params(c);
    return (uint64_t)p.n * (uint64_t)p.height * (uint64_t)p.width * (uint64_t)p.c;
}

static qlr_status_t gpool_fw_run(const qlr_op_call_t *c)
{
    const qlr_global_avgpool_f32_fw_params_t p = qlr_global_avgpool_f32_fw_params(c);
    head_task_t t = {.id = K_GPOOL_FW};
    t.u.gpool_fw = (qlr_global_avgpool_f32_fw_args_t){
        .n = (uint32_t)p.n, .h = (uint32_t)p.height, .w = (uint32_t)p.width, .c = (uint32_t)p.c,
        .x = tensor_f32(c, QLR_GLOBAL_AVGPOOL_F32_FW_T_X), .y = tensor_f32(c, QLR_GLOBAL_AVGPOOL_F32_FW_T_Y)};
    return fork_task(c, &t);
}

static qlr_status_t gpool_bw_run(const qlr_op_call_t *c)
{
    const qlr_global_avgpool_f32_bw_params_t p = qlr_global_avgpool_f32_bw_params(c);
    head_task_t t = {.id = K_GPOOL_BW};
    t.u.gpool_bw = (qlr_global_avgpool_f32_bw_args_t){
        .n = (uint32_t)p.n, .h = (uint32_t)p.height, .w = (uint32_t)p.width, .c = (uint32_t)p.c,
        .dy = tensor_f32(c, QLR_GLOBAL_AVGPOOL_F32_BW_T_DY), .dx = tensor_f32(c, QLR_GLOBAL_AVGPOOL_F32_BW_T_DX)};
    return fork_task(c, &t);
}

/* ---- relu/relu6_f32_{fw,bw} and sgd_f32: `count` elements in every tensor -------------------- */

static const char *count_check(const qlr_op_call_t *c, int32_t count)
{
    const char *e = NULL;
    for (unsigned i = 0; i < c->ntensor && e == NULL; i++) {
        e = qlr_op_expect_bytes(c, i, 4u * (uint64_t)count);
    }
    return e;
}

static const char *relu_fw_check(const qlr_op_call_t *c) { return count_check(c, qlr_relu_f32_fw_params(c).count); }
static const char *relu_bw_check(const qlr_op_call_t *c) { return count_check(c, qlr_relu_f32_bw_params(c).count); }
static const char *relu6_fw_check(const qlr_op_call_t *c) { return count_check(c, qlr_relu6_f32_fw_params(c).count); }
static const char *relu6_bw_check(const qlr_op_call_t *c) { return count_check(c, qlr_relu6_f32_bw_params(c).count); }
static const char *sgd_check(const qlr_op_call_t *c) { return count_check(c, qlr_sgd_f32_params(c).count); }

/* element-wise: elements, not MACs */
static uint64_t relu_fw_macs(const qlr_op_call_t *c) { return (uint64_t)qlr_relu_f32_fw_params(c).count; }
static uint64_t relu_bw_macs(const qlr_op_call_t *c) { return (uint64_t)qlr_relu_f32_bw_params(c).count; }
static uint64_t relu6_fw_macs(const qlr_op_call_t *c) { return (uint64_t)qlr_relu6_f32_fw_params(c).count; }
static uint64_t relu6_bw_macs(const qlr_op_call_t *c) { return (uint64_t)qlr_relu6_f32_bw_params(c).count; }
static uint64_t sgd_macs(const qlr_op_call_t *c) { return (uint64_t)qlr_sgd_f32_params(c).count; }

/* fw tensors x, y; bw tensors dy, y, dx */
static qlr_status_t act_run(const qlr_op_call_t *c, kernel_id_t id, int bw, int32_t count)
{
    head_task_t t = {.id = id};
    t.u.elem.a = tensor_f32(c, 0);
    t.u.elem.b = bw ? tensor_f32(c, 1) : NULL;
    t.u.elem.out = tensor_f32(c, bw ? 2 : 1);
    t.u.elem.count = (size_t)count;
    return fork_task(c, &t);
}

static qlr_status_t relu_fw_run(const qlr_op_call_t *c)
{
    return act_run(c, K_RELU_FW, 0, qlr_relu_f32_fw_params(c).count);
}
static qlr_status_t relu_bw_run(const qlr_op_call_t *c)
{
    return act_run(c, K_RELU_BW, 1, qlr_relu_f32_bw_params(c).count);
}
static qlr_status_t relu6_fw_run(const qlr_op_call_t *c)
{
    return act_run(c, K_RELU6_FW, 0, qlr_relu6_f32_fw_params(c).count);
}
static qlr_status_t relu6_bw_run(const qlr_op_call_t *c)
{
    return act_run(c, K_RELU6_BW, 1, qlr_relu6_f32_bw_params(c).count);
}

static qlr_status_t sgd_run(const qlr_op_call_t *c)
{
    const qlr_sgd_f32_params_t p = qlr_sgd_f32_params(c);
    head_task_t t = {.id = K_SGD};
    t.u.sgd = (qlr_sgd_f32_args_t){.w = tensor_f32(c, QLR_SGD_F32_T_W), .g = tensor_f32(c, QLR_SGD_F32_T_G),
                                   .v = tensor_f32(c, QLR_SGD_F32_T_V), .count = (uint32_t)p.count, .lr = p.lr,
                                   .momentum = p.momentum, .weight_decay = p.weight_decay};
    return fork_task(c, &t);
}

/* ---- softmax_xent_f32: n, classes; tensors logits, labels (int32), dlogits, row_loss, loss ---- */

static const char *xent_check(const qlr_op_call_t *c)
{
    const qlr_softmax_xent_f32_params_t p = qlr_softmax_xent_f32_params(c);
    const uint64_t n = (uint64_t)p.n, k = (uint64_t)p.classes;
    const char *e;
    if (n * k > QLR_MAX_ELEMS) {
        return TOO_BIG;
    }
    if ((e = qlr_op_expect_bytes(c, QLR_SOFTMAX_XENT_F32_T_LOGITS, 4u * n * k)) ||
        (e = qlr_op_expect_bytes(c, QLR_SOFTMAX_XENT_F32_T_LABELS, 4u * n)) ||
        (e = qlr_op_expect_bytes(c, QLR_SOFTMAX_XENT_F32_T_DLOGITS, 4u * n * k)) ||
        (e = qlr_op_expect_bytes(c, QLR_SOFTMAX_XENT_F32_T_ROW_LOSS, 4u * n)) ||
        (e = qlr_op_expect_bytes(c, QLR_SOFTMAX_XENT_F32_T_LOSS, 4u))) {
        return e;
    }
    const int32_t *labels = (const int32_t *)(const void *)c->tensor[QLR_SOFTMAX_XENT_F32_T_LABELS];
    for (uint64_t i = 0; i < n; i++) {
        if (labels[i] < 0 || (uint64_t)labels[i] >= k) {
            snprintf(g_msg, sizeof g_msg, "labels[%lu] = %ld is outside 0..classes-1 (classes = %lu)",
                     (unsigned long)i, (long)labels[i], (unsigned long)k);
            return g_msg;
        }
    }
    return NULL;
}

static uint64_t xent_macs(const qlr_op_call_t *c)
{
    const qlr_softmax_xent_f32_params_t p = qlr_softmax_xent_f32_params(c);
    return (uint64_t)p.n * (uint64_t)p.classes; /* logits, not MACs */
}

static qlr_status_t xent_run(const qlr_op_call_t *c)
{
    const qlr_softmax_xent_f32_params_t p = qlr_softmax_xent_f32_params(c);
    head_task_t t = {.id = K_XENT};
    t.u.xent = (qlr_softmax_xent_f32_args_t){
        .n = (uint32_t)p.n, .k = (uint32_t)p.classes, .logits = tensor_f32(c, QLR_SOFTMAX_XENT_F32_T_LOGITS),
        .labels = (const int32_t *)(const void *)c->tensor[QLR_SOFTMAX_XENT_F32_T_LABELS],
        .dlogits = tensor_f32(c, QLR_SOFTMAX_XENT_F32_T_DLOGITS), .row_loss = tensor_f32(c, QLR_SOFTMAX_XENT_F32_T_ROW_LOSS),
        .loss = tensor_f32(c, QLR_SOFTMAX_XENT_F32_T_LOSS), .norm = 0};
    return fork_task(c, &t);
}

/* ---- the table -------------------------------------------------------------------------------- */

const qlr_op_t qlr_ops_f32_head[] = {
    {.spec = &qlr_global_avgpool_f32_fw_spec, .check = gpool_fw_check, .macs = gpool_fw_macs, .run = gpool_fw_run},
    {.spec = &qlr_global_avgpool_f32_bw_spec, .check = gpool_bw_check, .macs = gpool_bw_macs, .run = gpool_bw_run},
    {.spec = &qlr_relu_f32_fw_spec, .check = relu_fw_check, .macs = relu_fw_macs, .run = relu_fw_run},
    {.spec = &qlr_relu_f32_bw_spec, .check = relu_bw_check, .macs = relu_bw_macs, .run = relu_bw_run},
    {.spec = &qlr_relu6_f32_fw_spec, .check = relu6_fw_check, .macs = relu6_fw_macs, .run = relu6_fw_run},
    {.spec = &qlr_relu6_f32_bw_spec, .check = relu6_bw_check, .macs = relu6_bw_macs, .run = relu6_bw_run},
    {.spec = &qlr_softmax_xent_f32_spec, .check = xent_check, .macs = xent_macs, .run = xent_run},
    {.spec = &qlr_sgd_f32_spec, .check = sgd_check, .macs = sgd_macs, .run = sgd_run},
    {.spec = NULL},
};

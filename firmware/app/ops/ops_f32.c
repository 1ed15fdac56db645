/*
 * The window ops of the f32 family (qlr/op.h, docs/kernels.md): conv2d, depthwise conv2d (also
 * tiled) and windowed average pooling, over the kernels of qlr/kernels_f32.h and qlr/tiled.h.
 * The pointwise and linear passes are in ops_matmul.c; global pooling, activations, the loss and
 * SGD in ops_f32_head.c.
 *
 * Glue only. Parameters come by name from the generated qlr_<op>_params() (qlr_ops_gen.h), already
 * within their ranges (qlr_op_check_params); the checks here cover the window geometry, sizes,
 * tensor sizes and scratch, with messages that name the field. conv2d's im2col scratch goes to
 * L1 when it fits, else to the free L2 (chunk_rows = 0: as many rows as fit; > 0: that many).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "qlr/kernel.h"
#include "qlr/kernels_f32.h"
#include "qlr/op.h"
#include "qlr/runtime.h"
#include "qlr/tiled.h"
#include "qlr_ops_gen.h"

static char g_msg[192];

#define TOO_BIG "tensors too large: one holds more than 2^29 floats"

static float *tensor_f32(const qlr_op_call_t *c, unsigned i)
{
    return (float *)(void *)c->tensor[i];
}

/* ---- the window (conv2d, dwconv2d, avgpool): the 12 parameters every window op starts with ---- */

/* The window of a window op's parameters (p.c or p.cin: the input channels). */
#define WINDOW_OF(p, ch)                                                                                              \
    ((qlr_f32_window_t){.n = (uint32_t)(p).n, .h = (uint32_t)(p).height, .w = (uint32_t)(p).width,                   \
                        .c = (uint32_t)(p).ch, .kh = (uint32_t)(p).kh, .kw = (uint32_t)(p).kw, .sh = (uint32_t)(p).sh, \
                        .sw = (uint32_t)(p).sw, .pad_top = (uint32_t)(p).pad_top,                                    \
                        .pad_bottom = (uint32_t)(p).pad_bottom, .pad_left = (uint32_t)(p).pad_left,                  \
                        .pad_right = (uint32_t)(p).pad_right})

static uint64_t in_elems(const qlr_f32_window_t *g)
{
    return (uint64_t)g->n * g->h * g->w * g->c;
}

static uint64_t out_pixels(const qlr_f32_window_t *g)
{
    return (uint64_t)g->n * qlr_f32_window_ho(g) * qlr_f32_window_wo(g);
}

static uint64_t taps(const qlr_f32_window_t *g)
{
    return (uint64_t)g->kh * g->kw;
}

/* The window fits the padded input, pooling windows are wider than their padding, and the
 * input, the output and one window are within QLR_MAX_ELEMS. */
static const char *window_check(const qlr_f32_window_t *g, int pool)
{
    if (qlr_f32_window_ho(g) == 0) {
        return "the window does not fit: height + pad_top + pad_bottom < kh";
    }
    if (qlr_f32_window_wo(g) == 0) {
        return "the window does not fit: width + pad_left + pad_right < kw";
    }
    if (pool && (g->pad_top >= g->kh || g->pad_bottom >= g->kh || g->pad_left >= g->kw || g->pad_right >= g->kw)) {
        return "average pooling needs padding smaller than the window (pad_top, pad_bottom < kh; "
               "pad_left, pad_right < kw)";
    }
    if (in_elems(g) > QLR_MAX_ELEMS || out_pixels(g) * g->c > QLR_MAX_ELEMS || taps(g) * g->c > QLR_MAX_ELEMS) {
        return TOO_BIG;
    }
    return NULL;
}

/* ---- the task: one kernel call on every core ---------------------------------------------- */

typedef enum {
    K_CONV_FW, K_CONV_BI, K_CONV_BW, K_DW_FW, K_DW_BI, K_DW_BW, K_DW_FW_TILED, K_POOL_FW, K_POOL_BW
} kernel_id_t;

typedef struct {
    kernel_id_t id;
    qlr_status_t status; /* written by core 0 (every core returns the same status) */
    qlr_tiled_l1_t l1;   /* K_DW_FW_TILED */
    union {
        qlr_conv2d_f32_fw_args_t conv_fw;
        qlr_conv2d_f32_bw_input_args_t conv_bi;
        qlr_conv2d_f32_bw_weight_args_t conv_bw;
        qlr_dwconv2d_f32_fw_args_t dw_fw;
        qlr_dwconv2d_f32_bw_input_args_t dw_bi;
        qlr_dwconv2d_f32_bw_weight_args_t dw_bw;
        qlr_avgpool_f32_fw_args_t pool_fw;
        qlr_avgpool_f32_bw_args_t pool_bw;
    } u;
} f32_task_t;

static void f32_task(void *arg)
{
    f32_task_t *t = arg;
    qlr_status_t st = QLR_OK;
    switch (t->id) {
    case K_CONV_FW: st = qlr_conv2d_f32_fw(&t->u.conv_fw); break;
    case K_CONV_BI: st = qlr_conv2d_f32_bw_input(&t->u.conv_bi); break;
    case K_CONV_BW: st = qlr_conv2d_f32_bw_weight(&t->u.conv_bw); break;
    case K_DW_FW: st = qlr_dwconv2d_f32_fw(&t->u.dw_fw); break;
    case K_DW_BI: st = qlr_dwconv2d_f32_bw_input(&t->u.dw_bi); break;
    case K_DW_BW: st = qlr_dwconv2d_f32_bw_weight(&t->u.dw_bw); break;
    case K_DW_FW_TILED: st = qlr_dwconv2d_f32_fw_tiled(&t->u.dw_fw, &t->l1); break;
    case K_POOL_FW: st = qlr_avgpool_f32_fw(&t->u.pool_fw); break;
    case K_POOL_BW: st = qlr_avgpool_f32_bw(&t->u.pool_bw); break;
    }
    if (qlr_core_id() == 0) {
        t->status = st;
    }
}

static qlr_status_t fork_task(const qlr_op_call_t *c, f32_task_t *t)
{
    t->status = QLR_OK;
    qlr_team_fork(c->cores, f32_task, t);
    return t->status;
}

/* ---- conv2d_f32_{fw,bw_input,bw_weight}: the window (c = cin), cout, then fw: use_bias,
 * chunk_rows; bw_input: chunk_rows; bw_weight: use_bias, accumulate, chunk_rows -------------- */

typedef struct {
    qlr_f32_window_t g;
    uint32_t cout, chunk_rows;
} conv_shape_t;

#define CONV_SHAPE(p) ((conv_shape_t){.g = WINDOW_OF(p, cin), .cout = (uint32_t)(p).cout, \
                                      .chunk_rows = (uint32_t)(p).chunk_rows})

static int conv_direct(const qlr_f32_window_t *g)
{
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pad_top == 0 && g->pad_bottom == 0 &&
           g->pad_left == 0 && g->pad_right == 0;
}

/* Where the im2col rows go: L1 if they fit, else the free L2. NULL or a message. */
static const char *conv_scratch(const qlr_op_call_t *c, const conv_shape_t *s, float **buf, size_t *bytes)
{
    *buf = NULL;
    *bytes = 0;
    if (conv_direct(&s->g)) {
        return NULL;
    }
    size_t row = qlr_conv2d_f32_scratch_size(&s->g, 1);
    size_t want = s->chunk_rows == 0 ? row : qlr_conv2d_f32_scratch_size(&s->g, s->chunk_rows);
    if (want == 0 || (s->chunk_rows != 0 && want / s->chunk_rows != row)) {
        return "chunk_rows * kh * kw * cin * 4 bytes overflows";
    }
    if (want <= c->l1_size) {
        *buf = (float *)(void *)c->l1;
        *bytes = s->chunk_rows == 0 ? c->l1_size : want;
    } else if (want <= c->l2_scratch_size) {
        *buf = (float *)(void *)c->l2_scratch;
        *bytes = s->chunk_rows == 0 ? c->l2_scratch_size : want;
    } else {
        snprintf(g_msg, sizeof g_msg,
                 "im2col scratch of %lu bytes (%s) fits neither L1 (%lu bytes) nor the free L2 (%lu bytes)",
                 (unsigned long)want, s->chunk_rows == 0 ? "one row: kh*kw*cin*4" : "chunk_rows rows",
                 (unsigned long)c->l1_size, (unsigned long)c->l2_scratch_size);
        return g_msg;
    }
    return NULL;
}

/* Bytes of the tensors of a window op: input x [N][H][W][C], weights w, bias b, output y. */
typedef struct {
    uint64_t x, w, b, y;
} window_bytes_t;

static window_bytes_t conv_bytes(const conv_shape_t *s)
{
    const window_bytes_t z = {.x = 4u * in_elems(&s->g), .w = 4u * (uint64_t)s->cout * taps(&s->g) * s->g.c,
                              .b = 4u * (uint64_t)s->cout, .y = 4u * out_pixels(&s->g) * s->cout};
    return z;
}

/* The shape (window, sizes) and the scratch of a conv pass. */
static const char *conv_common(const qlr_op_call_t *c, const conv_shape_t *s)
{
    const char *e;
    if ((e = window_check(&s->g, 0))) {
        return e;
    }
    if (out_pixels(&s->g) * s->cout > QLR_MAX_ELEMS || taps(&s->g) * s->g.c * s->cout > QLR_MAX_ELEMS) {
        return TOO_BIG;
    }
    float *buf;
    size_t bytes;
    return conv_scratch(c, s, &buf, &bytes);
}

static const char *conv_fw_check(const qlr_op_call_t *c)
{
    const conv_shape_t s = CONV_SHAPE(qlr_conv2d_f32_fw_params(c));
    const window_bytes_t z = conv_bytes(&s);
    const char *e;
    if ((e = conv_common(c, &s)) || (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_FW_T_X, z.x)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_FW_T_W, z.w)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_FW_T_B, z.b)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_FW_T_Y, z.y))) {
        return e;
    }
    return NULL;
}

static const char *conv_bi_check(const qlr_op_call_t *c)
{
    const conv_shape_t s = CONV_SHAPE(qlr_conv2d_f32_bw_input_params(c));
    const window_bytes_t z = conv_bytes(&s);
    const char *e;
    if ((e = conv_common(c, &s)) || (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_BW_INPUT_T_DY, z.y)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_BW_INPUT_T_W, z.w)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_BW_INPUT_T_DX, z.x))) {
        return e;
    }
    return NULL;
}

static const char *conv_bw_check(const qlr_op_call_t *c)
{
    const conv_shape_t s = CONV_SHAPE(qlr_conv2d_f32_bw_weight_params(c));
    const window_bytes_t z = conv_bytes(&s);
    const char *e;
    if ((e = conv_common(c, &s)) || (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_BW_WEIGHT_T_X, z.x)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_BW_WEIGHT_T_DY, z.y)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_BW_WEIGHT_T_DW, z.w)) ||
        (e = qlr_op_expect_bytes(c, QLR_CONV2D_F32_BW_WEIGHT_T_DB, z.b))) {
        return e;
    }
    return NULL;
}

static uint64_t conv_macs(const conv_shape_t *s)
{
    return out_pixels(&s->g) * s->cout * taps(&s->g) * s->g.c;
}

static uint64_t conv_fw_macs(const qlr_op_call_t *c)
{
    const conv_shape_t s = CONV_SHAPE(qlr_conv2d_f32_fw_params(c));
    return conv_macs(&s);
}

static uint64_t conv_bi_macs(const qlr_op_call_t *c)
{
    const conv_shape_t s = CONV_SHAPE(qlr_conv2d_f32_bw_input_params(c));
    return conv_macs(&s);
}

static uint64_t conv_bw_macs(const qlr_op_call_t *c)
{
    const conv_shape_t s = CONV_SHAPE(qlr_conv2d_f32_bw_weight_params(c));
    return conv_macs(&s);
}

static qlr_status_t conv_fw_run(const qlr_op_call_t *c)
{
    const qlr_conv2d_f32_fw_params_t p = qlr_conv2d_f32_fw_params(c);
    const conv_shape_t s = CONV_SHAPE(p);
    f32_task_t t = {.id = K_CONV_FW};
    qlr_conv2d_f32_fw_args_t *a = &t.u.conv_fw;
    *a = (qlr_conv2d_f32_fw_args_t){.g = s.g, .cout = s.cout, .x = tensor_f32(c, QLR_CONV2D_F32_FW_T_X),
                                    .w = tensor_f32(c, QLR_CONV2D_F32_FW_T_W),
                                    .b = p.use_bias ? tensor_f32(c, QLR_CONV2D_F32_FW_T_B) : NULL,
                                    .y = tensor_f32(c, QLR_CONV2D_F32_FW_T_Y)};
    return conv_scratch(c, &s, &a->scratch, &a->scratch_bytes) != NULL ? QLR_E_NOMEM : fork_task(c, &t);
}

static qlr_status_t conv_bi_run(const qlr_op_call_t *c)
{
    const conv_shape_t s = CONV_SHAPE(qlr_conv2d_f32_bw_input_params(c));
    f32_task_t t = {.id = K_CONV_BI};
    qlr_conv2d_f32_bw_input_args_t *a = &t.u.conv_bi;
    *a = (qlr_conv2d_f32_bw_input_args_t){.g = s.g, .cout = s.cout, .dy = tensor_f32(c, QLR_CONV2D_F32_BW_INPUT_T_DY),
                                          .w = tensor_f32(c, QLR_CONV2D_F32_BW_INPUT_T_W),
                                          .dx = tensor_f32(c, QLR_CONV2D_F32_BW_INPUT_T_DX)};
    return conv_scratch(c, &s, &a->scratch, &a->scratch_bytes) != NULL ? QLR_E_NOMEM : fork_task(c, &t);
}

static qlr_status_t conv_bw_run(const qlr_op_call_t *c)
{
    const qlr_conv2d_f32_bw_weight_params_t p = qlr_conv2d_f32_bw_weight_params(c);
    const conv_shape_t s = CONV_SHAPE(p);
    f32_task_t t = {.id = K_CONV_BW};
    qlr_conv2d_f32_bw_weight_args_t *a = &t.u.conv_bw;
    *a = (qlr_conv2d_f32_bw_weight_args_t){.g = s.g, .cout = s.cout, .x = tensor_f32(c, QLR_CONV2D_F32_BW_WEIGHT_T_X),
                                           .dy = tensor_f32(c, QLR_CONV2D_F32_BW_WEIGHT_T_DY),
                                           .dw = tensor_f32(c, QLR_CONV2D_F32_BW_WEIGHT_T_DW),
                                           .db = p.use_bias ? tensor_f32(c, QLR_CONV2D_F32_BW_WEIGHT_T_DB) : NULL,
                                           .accumulate = p.accumulate};
    return conv_scratch(c, &s, &a->scratch, &a->scratch_bytes) != NULL ? QLR_E_NOMEM : fork_task(c, &t);
}

/* ---- dwconv2d_f32_{fw,bw_input,bw_weight} and avgpool_f32_{fw,bw}: the window, then the
 * flags; dwconv2d_f32_fw_tiled: as dwconv2d_f32_fw, plus l1_budget -------------------------- */

/* Bytes of a depthwise or pooling op's tensors: w [kh][kw][c], b [c]. */
static window_bytes_t direct_bytes(const qlr_f32_window_t *g)
{
    const window_bytes_t z = {.x = 4u * in_elems(g), .w = 4u * taps(g) * g->c, .b = 4u * (uint64_t)g->c,
                              .y = 4u * out_pixels(g) * g->c};
    return z;
}

static const char *dw_fw_check(const qlr_op_call_t *c)
{
    const qlr_f32_window_t g = WINDOW_OF(qlr_dwconv2d_f32_fw_params(c), c);
    const window_bytes_t z = direct_bytes(&g);
    const char *e;
    if ((e = window_check(&g, 0)) || (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_T_X, z.x)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_T_W, z.w)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_T_B, z.b)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_T_Y, z.y))) {
        return e;
    }
    return NULL;
}

static const char *dw_bi_check(const qlr_op_call_t *c)
{
    const qlr_f32_window_t g = WINDOW_OF(qlr_dwconv2d_f32_bw_input_params(c), c);
    const window_bytes_t z = direct_bytes(&g);
    const char *e;
    if ((e = window_check(&g, 0)) || (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_BW_INPUT_T_DY, z.y)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_BW_INPUT_T_W, z.w)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_BW_INPUT_T_DX, z.x))) {
        return e;
    }
    return NULL;
}

static const char *dw_bw_check(const qlr_op_call_t *c)
{
    const qlr_f32_window_t g = WINDOW_OF(qlr_dwconv2d_f32_bw_weight_params(c), c);
    const window_bytes_t z = direct_bytes(&g);
    const char *e;
    if ((e = window_check(&g, 0)) || (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_X, z.x)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_DY, z.y)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_DW, z.w)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_DB, z.b))) {
        return e;
    }
    return NULL;
}

static qlr_tiled_l1_t l1_of(const qlr_op_call_t *c, int32_t budget)
{
    const qlr_tiled_l1_t l1 = {.l1 = c->l1, .l1_size = c->l1_size, .tile_budget = (size_t)(uint32_t)budget};
    return l1;
}

static const char *dw_tiled_check(const qlr_op_call_t *c)
{
    const qlr_dwconv2d_f32_fw_tiled_params_t p = qlr_dwconv2d_f32_fw_tiled_params(c);
    const qlr_f32_window_t g = WINDOW_OF(p, c);
    const window_bytes_t z = direct_bytes(&g);
    const char *e;
    if ((e = qlr_op_check_l1_budget(c, p.l1_budget)) || (e = window_check(&g, 0)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_TILED_T_X, z.x)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_TILED_T_W, z.w)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_TILED_T_B, z.b)) ||
        (e = qlr_op_expect_bytes(c, QLR_DWCONV2D_F32_FW_TILED_T_Y, z.y))) {
        return e;
    }
    const qlr_tiled_l1_t l1 = l1_of(c, p.l1_budget);
    if (qlr_dwconv2d_f32_fw_tile_channels(&g, &l1) == 0u) {
        return "l1_budget is too small for one channel's input and output planes";
    }
    return NULL;
}

static const char *pool_fw_check(const qlr_op_call_t *c)
{
    const qlr_f32_window_t g = WINDOW_OF(qlr_avgpool_f32_fw_params(c), c);
    const window_bytes_t z = direct_bytes(&g);
    const char *e;
    if ((e = window_check(&g, 1)) || (e = qlr_op_expect_bytes(c, QLR_AVGPOOL_F32_FW_T_X, z.x)) ||
        (e = qlr_op_expect_bytes(c, QLR_AVGPOOL_F32_FW_T_Y, z.y))) {
        return e;
    }
    return NULL;
}

static const char *pool_bw_check(const qlr_op_call_t *c)
{
    const qlr_f32_window_t g = WINDOW_OF(qlr_avgpool_f32_bw_params(c), c);
    const window_bytes_t z = direct_bytes(&g);
    const char *e;
    if ((e = window_check(&g, 1)) || (e = qlr_op_expect_bytes(c, QLR_AVGPOOL_F32_BW_T_DY, z.y)) ||
        (e = qlr_op_expect_bytes(c, QLR_AVGPOOL_F32_BW_T_DX, z.x))) {
        return e;
    }
    return NULL;
}

/* MACs of the direct window ops: C * Kh * Kw per output pixel (additions, for pooling). */
static uint64_t direct_macs(const qlr_f32_window_t g)
{
    return out_pixels(&g) * g.c * taps(&g);
}

static uint64_t dw_fw_macs(const qlr_op_call_t *c) { return direct_macs(WINDOW_OF(qlr_dwconv2d_f32_fw_params(c), c)); }
static uint64_t dw_bi_macs(const qlr_op_call_t *c)
{
    return direct_macs(WINDOW_OF(qlr_dwconv2d_f32_bw_input_params(c), c));
}
static uint64_t dw_bw_macs(const qlr_op_call_t *c)
{
    return direct_macs(WINDOW_OF(qlr_dwconv2d_f32_bw_weight_params(c), c));
}
static uint64_t dw_tiled_macs(const qlr_op_call_t *c)
{
    return direct_macs(WINDOW_OF(qlr_dwconv2d_f32_fw_tiled_params(c), c));
}
static uint64_t pool_fw_macs(const qlr_op_call_t *c) { return direct_macs(WINDOW_OF(qlr_avgpool_f32_fw_params(c), c)); }
static uint64_t pool_bw_macs(const qlr_op_call_t *c) { return direct_macs(WINDOW_OF(qlr_avgpool_f32_bw_params(c), c)); }

static qlr_status_t dw_fw_run(const qlr_op_call_t *c)
{
    const qlr_dwconv2d_f32_fw_params_t p = qlr_dwconv2d_f32_fw_params(c);
    f32_task_t t = {.id = K_DW_FW};
    t.u.dw_fw = (qlr_dwconv2d_f32_fw_args_t){.g = WINDOW_OF(p, c), .x = tensor_f32(c, QLR_DWCONV2D_F32_FW_T_X),
                                             .w = tensor_f32(c, QLR_DWCONV2D_F32_FW_T_W),
                                             .b = p.use_bias ? tensor_f32(c, QLR_DWCONV2D_F32_FW_T_B) : NULL,
                                             .y = tensor_f32(c, QLR_DWCONV2D_F32_FW_T_Y)};
    return fork_task(c, &t);
}

static qlr_status_t dw_tiled_run(const qlr_op_call_t *c)
{
    const qlr_dwconv2d_f32_fw_tiled_params_t p = qlr_dwconv2d_f32_fw_tiled_params(c);
    f32_task_t t = {.id = K_DW_FW_TILED, .l1 = l1_of(c, p.l1_budget)};
    t.u.dw_fw = (qlr_dwconv2d_f32_fw_args_t){.g = WINDOW_OF(p, c), .x = tensor_f32(c, QLR_DWCONV2D_F32_FW_TILED_T_X),
                                             .w = tensor_f32(c, QLR_DWCONV2D_F32_FW_TILED_T_W),
                                             .b = p.use_bias ? tensor_f32(c, QLR_DWCONV2D_F32_FW_TILED_T_B) : NULL,
                                             .y = tensor_f32(c, QLR_DWCONV2D_F32_FW_TILED_T_Y)};
    return fork_task(c, &t);
}

static qlr_status_t dw_bi_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_DW_BI};
    t.u.dw_bi = (qlr_dwconv2d_f32_bw_input_args_t){.g = WINDOW_OF(qlr_dwconv2d_f32_bw_input_params(c), c),
                                                   .dy = tensor_f32(c, QLR_DWCONV2D_F32_BW_INPUT_T_DY),
                                                   .w = tensor_f32(c, QLR_DWCONV2D_F32_BW_INPUT_T_W),
                                                   .dx = tensor_f32(c, QLR_DWCONV2D_F32_BW_INPUT_T_DX)};
    return fork_task(c, &t);
}

static qlr_status_t dw_bw_run(const qlr_op_call_t *c)
{
    const qlr_dwconv2d_f32_bw_weight_params_t p = qlr_dwconv2d_f32_bw_weight_params(c);
    f32_task_t t = {.id = K_DW_BW};
    t.u.dw_bw = (qlr_dwconv2d_f32_bw_weight_args_t){
        .g = WINDOW_OF(p, c), .x = tensor_f32(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_X),
        .dy = tensor_f32(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_DY), .dw = tensor_f32(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_DW),
        .db = p.use_bias ? tensor_f32(c, QLR_DWCONV2D_F32_BW_WEIGHT_T_DB) : NULL, .accumulate = p.accumulate};
    return fork_task(c, &t);
}

static qlr_status_t pool_fw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_POOL_FW};
    t.u.pool_fw = (qlr_avgpool_f32_fw_args_t){.g = WINDOW_OF(qlr_avgpool_f32_fw_params(c), c),
                                              .x = tensor_f32(c, QLR_AVGPOOL_F32_FW_T_X),
                                              .y = tensor_f32(c, QLR_AVGPOOL_F32_FW_T_Y)};
    return fork_task(c, &t);
}

static qlr_status_t pool_bw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_POOL_BW};
    t.u.pool_bw = (qlr_avgpool_f32_bw_args_t){.g = WINDOW_OF(qlr_avgpool_f32_bw_params(c), c),
                                              .dy = tensor_f32(c, QLR_AVGPOOL_F32_BW_T_DY),
                                              .dx = tensor_f32(c, QLR_AVGPOOL_F32_BW_T_DX)};
    return fork_task(c, &t);
}

/* ---- the table -------------------------------------------------------------------------------- */

const qlr_op_t qlr_ops_f32[] = {
    {.spec = &qlr_conv2d_f32_fw_spec, .check = conv_fw_check, .macs = conv_fw_macs, .run = conv_fw_run},
    {.spec = &qlr_conv2d_f32_bw_input_spec, .check = conv_bi_check, .macs = conv_bi_macs, .run = conv_bi_run},
    {.spec = &qlr_conv2d_f32_bw_weight_spec, .check = conv_bw_check, .macs = conv_bw_macs, .run = conv_bw_run},
    {.spec = &qlr_dwconv2d_f32_fw_spec, .check = dw_fw_check, .macs = dw_fw_macs, .run = dw_fw_run},
    {.spec = &qlr_dwconv2d_f32_bw_input_spec, .check = dw_bi_check, .macs = dw_bi_macs, .run = dw_bi_run},
    {.spec = &qlr_dwconv2d_f32_bw_weight_spec, .check = dw_bw_check, .macs = dw_bw_macs, .run = dw_bw_run},
    {.spec = &qlr_dwconv2d_f32_fw_tiled_spec, .check = dw_tiled_check, .macs = dw_tiled_macs, .run = dw_tiled_run},
    {.spec = &qlr_avgpool_f32_fw_spec, .check = pool_fw_check, .macs = pool_fw_macs, .run = pool_fw_run},
    {.spec = &qlr_avgpool_f32_bw_spec, .check = pool_bw_check, .macs = pool_bw_macs, .run = pool_bw_run},
    {.spec = NULL},
};

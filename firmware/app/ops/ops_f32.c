/*
 * Ops of the f32 family (qlr/op.h, docs/kernels.md): the FP32 training kernels of
 * qlr/kernels_f32.h, one op per kernel pass. Glue only: parameter and tensor checks with
 * messages that name the parameter, scratch placement, the fork.
 *
 * Window ops (conv2d, dwconv2d, avgpool) start with the 12 window parameters
 *   n, height, width, c|cin, kh, kw, sh, sw, pad_top, pad_bottom, pad_left, pad_right
 * then their own. conv2d's im2col scratch goes to L1 when it fits, else to the free L2
 * (chunk_rows = 0: as many rows as fit; > 0: exactly that many rows per chunk).
 * f32 parameters (sgd's lr, momentum, weight_decay) arrive as the IEEE-754 bits in an int32.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "qlr/kernels_f32.h"
#include "qlr/op.h"
#include "qlr/runtime.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static char g_msg[192];

static float *tensor_f32(const qlr_op_call_t *c, unsigned i)
{
    return (float *)(void *)c->tensor[i];
}

static uint32_t param_u32(const qlr_op_call_t *c, unsigned i)
{
    return (uint32_t)c->param[i];
}

static float param_f32(const qlr_op_call_t *c, unsigned i)
{
    float f;
    int32_t bits = c->param[i];
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* NULL when params [first, first + count) are all >= min, else a message naming the first bad one. */
static const char *expect_min(const qlr_op_call_t *c, unsigned first, unsigned count, int32_t min,
                              const char *const *names)
{
    for (unsigned i = 0; i < count; i++) {
        if (c->param[first + i] < min) {
            snprintf(g_msg, sizeof g_msg, "%s must be >= %ld, got %ld", names[i], (long)min,
                     (long)c->param[first + i]);
            return g_msg;
        }
    }
    return NULL;
}

static const char *expect_flag(const qlr_op_call_t *c, unsigned i, const char *name)
{
    if (c->param[i] != 0 && c->param[i] != 1) {
        snprintf(g_msg, sizeof g_msg, "%s must be 0 or 1, got %ld", name, (long)c->param[i]);
        return g_msg;
    }
    return NULL;
}

#define TOO_BIG "tensors too large: one holds more than 2^29 floats"

/* ---- window parameters (conv2d, dwconv2d, avgpool) -------------------------------------------- */

#define WIN_PARAMS 12u

static const char *const win_names[WIN_PARAMS] = {"n", "height", "width", "c", "kh", "kw", "sh", "sw",
                                                   "pad_top", "pad_bottom", "pad_left", "pad_right"};

static void window_of(const qlr_op_call_t *c, qlr_f32_window_t *g)
{
    g->n = param_u32(c, 0);
    g->h = param_u32(c, 1);
    g->w = param_u32(c, 2);
    g->c = param_u32(c, 3);
    g->kh = param_u32(c, 4);
    g->kw = param_u32(c, 5);
    g->sh = param_u32(c, 6);
    g->sw = param_u32(c, 7);
    g->pad_top = param_u32(c, 8);
    g->pad_bottom = param_u32(c, 9);
    g->pad_left = param_u32(c, 10);
    g->pad_right = param_u32(c, 11);
}

/* Checks the window parameters; `cname` names param 3 ("cin" or "c"). */
static const char *window_check(const qlr_op_call_t *c, const char *cname, int pool)
{
    const char *names[8];
    memcpy((void *)names, (const void *)win_names, sizeof names);
    names[3] = cname;
    const char *e;
    if ((e = expect_min(c, 0, 8, 1, names)) || (e = expect_min(c, 8, 4, 0, win_names + 8))) {
        return e;
    }
    for (unsigned i = 8; i < 12; i++) {
        if (c->param[i] > 0xFFFF) {
            snprintf(g_msg, sizeof g_msg, "%s must be <= 65535, got %ld", win_names[i], (long)c->param[i]);
            return g_msg;
        }
    }
    if (c->param[4] > 0xFFFF || c->param[5] > 0xFFFF) {
        return "kh and kw must be <= 65535";
    }
    qlr_f32_window_t g;
    window_of(c, &g);
    if (qlr_f32_window_ho(&g) == 0) {
        return "the window does not fit: height + pad_top + pad_bottom < kh";
    }
    if (qlr_f32_window_wo(&g) == 0) {
        return "the window does not fit: width + pad_left + pad_right < kw";
    }
    if (pool && (g.pad_top >= g.kh || g.pad_bottom >= g.kh || g.pad_left >= g.kw || g.pad_right >= g.kw)) {
        return "average pooling needs padding smaller than the window (pad_top, pad_bottom < kh; "
               "pad_left, pad_right < kw)";
    }
    uint64_t in = (uint64_t)g.n * g.h * g.w * g.c;
    uint64_t out = (uint64_t)g.n * qlr_f32_window_ho(&g) * qlr_f32_window_wo(&g) * g.c;
    if (in > 0x1FFFFFFFu || out > 0x1FFFFFFFu || (uint64_t)g.kh * g.kw * g.c > 0x1FFFFFFFu) {
        return TOO_BIG;
    }
    return NULL;
}

static uint64_t win_in_elems(const qlr_op_call_t *c)
{
    return (uint64_t)param_u32(c, 0) * param_u32(c, 1) * param_u32(c, 2) * param_u32(c, 3);
}

static uint64_t win_out_pixels(const qlr_op_call_t *c)
{
    qlr_f32_window_t g;
    window_of(c, &g);
    return (uint64_t)g.n * qlr_f32_window_ho(&g) * qlr_f32_window_wo(&g);
}

static uint64_t win_taps(const qlr_op_call_t *c)
{
    return (uint64_t)param_u32(c, 4) * param_u32(c, 5);
}

/* ---- the task: one kernel call on every core ---------------------------------------------- */

typedef enum {
    K_CONV_FW, K_CONV_BI, K_CONV_BW, K_DW_FW, K_DW_BI, K_DW_BW, K_PW_FW, K_PW_BI, K_PW_BW, K_LIN_FW, K_LIN_BI,
    K_LIN_BW, K_POOL_FW, K_POOL_BW, K_GPOOL_FW, K_GPOOL_BW, K_RELU_FW, K_RELU_BW, K_RELU6_FW, K_RELU6_BW,
    K_XENT, K_SGD
} kernel_id_t;

typedef struct {
    kernel_id_t id;
    qlr_status_t status; /* written by core 0 (every core returns the same status) */
    union {
        qlr_conv2d_f32_fw_args_t conv_fw;
        qlr_conv2d_f32_bw_input_args_t conv_bi;
        qlr_conv2d_f32_bw_weight_args_t conv_bw;
        qlr_dwconv2d_f32_fw_args_t dw_fw;
        qlr_dwconv2d_f32_bw_input_args_t dw_bi;
        qlr_dwconv2d_f32_bw_weight_args_t dw_bw;
        qlr_pwconv_f32_fw_args_t pw_fw;
        qlr_pwconv_f32_bw_input_args_t pw_bi;
        qlr_pwconv_f32_bw_weight_args_t pw_bw;
        qlr_linear_f32_fw_args_t lin_fw;
        qlr_linear_f32_bw_input_args_t lin_bi;
        qlr_linear_f32_bw_weight_args_t lin_bw;
        qlr_avgpool_f32_fw_args_t pool_fw;
        qlr_avgpool_f32_bw_args_t pool_bw;
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
    case K_PW_FW: st = qlr_pwconv_f32_fw(&t->u.pw_fw); break;
    case K_PW_BI: st = qlr_pwconv_f32_bw_input(&t->u.pw_bi); break;
    case K_PW_BW: st = qlr_pwconv_f32_bw_weight(&t->u.pw_bw); break;
    case K_LIN_FW: st = qlr_linear_f32_fw(&t->u.lin_fw); break;
    case K_LIN_BI: st = qlr_linear_f32_bw_input(&t->u.lin_bi); break;
    case K_LIN_BW: st = qlr_linear_f32_bw_weight(&t->u.lin_bw); break;
    case K_POOL_FW: st = qlr_avgpool_f32_fw(&t->u.pool_fw); break;
    case K_POOL_BW: st = qlr_avgpool_f32_bw(&t->u.pool_bw); break;
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

static qlr_status_t fork_task(const qlr_op_call_t *c, f32_task_t *t)
{
    t->status = QLR_OK;
    qlr_team_fork(c->cores, f32_task, t);
    return t->status;
}

/* ---- conv2d_f32_{fw,bw_input,bw_weight} -------------------------------------------------------
 * params: 12 window (c = cin), cout, then fw: use_bias, chunk_rows; bw_input: chunk_rows;
 * bw_weight: use_bias, accumulate, chunk_rows. */

static const char *const conv_fw_tensors[] = {"x", "w", "b", "y"};
static const char *const conv_bi_tensors[] = {"dy", "w", "dx"};
static const char *const conv_bw_tensors[] = {"x", "dy", "dw", "db"};

static int conv_direct(const qlr_f32_window_t *g)
{
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pad_top == 0 && g->pad_bottom == 0 &&
           g->pad_left == 0 && g->pad_right == 0;
}

/* Where the im2col rows go: L1 if they fit, else the free L2. NULL or a message. */
static const char *conv_scratch(const qlr_op_call_t *c, uint32_t chunk_rows, float **buf, size_t *bytes)
{
    qlr_f32_window_t g;
    window_of(c, &g);
    *buf = NULL;
    *bytes = 0;
    if (conv_direct(&g)) {
        return NULL;
    }
    size_t row = qlr_conv2d_f32_scratch_size(&g, 1);
    size_t want = chunk_rows == 0 ? row : qlr_conv2d_f32_scratch_size(&g, chunk_rows);
    if (want == 0 || (chunk_rows != 0 && want / chunk_rows != row)) {
        return "chunk_rows * kh * kw * cin * 4 bytes overflows";
    }
    if (want <= c->l1_size) {
        *buf = (float *)(void *)c->l1;
        *bytes = chunk_rows == 0 ? c->l1_size : want;
    } else if (want <= c->l2_scratch_size) {
        *buf = (float *)(void *)c->l2_scratch;
        *bytes = chunk_rows == 0 ? c->l2_scratch_size : want;
    } else {
        snprintf(g_msg, sizeof g_msg,
                 "im2col scratch of %lu bytes (%s) fits neither L1 (%lu bytes) nor the free L2 (%lu bytes)",
                 (unsigned long)want, chunk_rows == 0 ? "one row: kh*kw*cin*4" : "chunk_rows rows",
                 (unsigned long)c->l1_size, (unsigned long)c->l2_scratch_size);
        return g_msg;
    }
    return NULL;
}

static const char *conv_check_common(const qlr_op_call_t *c, unsigned chunk_param)
{
    static const char *const cout_name[] = {"cout"};
    static const char *const chunk_name[] = {"chunk_rows"};
    const char *e;
    if ((e = window_check(c, "cin", 0)) || (e = expect_min(c, 12, 1, 1, cout_name)) ||
        (e = expect_min(c, chunk_param, 1, 0, chunk_name))) {
        return e;
    }
    uint64_t cout = param_u32(c, 12);
    if (win_out_pixels(c) * cout > 0x1FFFFFFFu || win_taps(c) * param_u32(c, 3) * cout > 0x1FFFFFFFu) {
        return TOO_BIG;
    }
    float *buf;
    size_t bytes;
    return conv_scratch(c, param_u32(c, chunk_param), &buf, &bytes);
}

static uint64_t conv_weight_bytes(const qlr_op_call_t *c)
{
    return 4u * (uint64_t)param_u32(c, 12) * win_taps(c) * param_u32(c, 3);
}

static uint64_t conv_out_bytes(const qlr_op_call_t *c)
{
    return 4u * win_out_pixels(c) * param_u32(c, 12);
}

static const char *conv_fw_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = conv_check_common(c, 14)) || (e = expect_flag(c, 13, "use_bias")) ||
        (e = qlr_op_expect_bytes(c, 0, 4u * win_in_elems(c))) ||
        (e = qlr_op_expect_bytes(c, 1, conv_weight_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * (uint64_t)param_u32(c, 12))) ||
        (e = qlr_op_expect_bytes(c, 3, conv_out_bytes(c)))) {
        return e;
    }
    return NULL;
}

static const char *conv_bi_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = conv_check_common(c, 13)) || (e = qlr_op_expect_bytes(c, 0, conv_out_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 1, conv_weight_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * win_in_elems(c)))) {
        return e;
    }
    return NULL;
}

static const char *conv_bw_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = conv_check_common(c, 15)) || (e = expect_flag(c, 13, "use_bias")) ||
        (e = expect_flag(c, 14, "accumulate")) || (e = qlr_op_expect_bytes(c, 0, 4u * win_in_elems(c))) ||
        (e = qlr_op_expect_bytes(c, 1, conv_out_bytes(c))) || (e = qlr_op_expect_bytes(c, 2, conv_weight_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 3, 4u * (uint64_t)param_u32(c, 12)))) {
        return e;
    }
    return NULL;
}

static uint64_t conv_macs(const qlr_op_call_t *c)
{
    return win_out_pixels(c) * param_u32(c, 12) * win_taps(c) * param_u32(c, 3);
}

static qlr_status_t conv_fw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_CONV_FW};
    qlr_conv2d_f32_fw_args_t *a = &t.u.conv_fw;
    window_of(c, &a->g);
    a->cout = param_u32(c, 12);
    a->x = tensor_f32(c, 0);
    a->w = tensor_f32(c, 1);
    a->b = c->param[13] ? tensor_f32(c, 2) : NULL;
    a->y = tensor_f32(c, 3);
    if (conv_scratch(c, param_u32(c, 14), &a->scratch, &a->scratch_bytes) != NULL) {
        return QLR_E_NOMEM;
    }
    return fork_task(c, &t);
}

static qlr_status_t conv_bi_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_CONV_BI};
    qlr_conv2d_f32_bw_input_args_t *a = &t.u.conv_bi;
    window_of(c, &a->g);
    a->cout = param_u32(c, 12);
    a->dy = tensor_f32(c, 0);
    a->w = tensor_f32(c, 1);
    a->dx = tensor_f32(c, 2);
    if (conv_scratch(c, param_u32(c, 13), &a->scratch, &a->scratch_bytes) != NULL) {
        return QLR_E_NOMEM;
    }
    return fork_task(c, &t);
}

static qlr_status_t conv_bw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_CONV_BW};
    qlr_conv2d_f32_bw_weight_args_t *a = &t.u.conv_bw;
    window_of(c, &a->g);
    a->cout = param_u32(c, 12);
    a->x = tensor_f32(c, 0);
    a->dy = tensor_f32(c, 1);
    a->dw = tensor_f32(c, 2);
    a->db = c->param[13] ? tensor_f32(c, 3) : NULL;
    a->accumulate = c->param[14];
    if (conv_scratch(c, param_u32(c, 15), &a->scratch, &a->scratch_bytes) != NULL) {
        return QLR_E_NOMEM;
    }
    return fork_task(c, &t);
}

/* ---- dwconv2d_f32_{fw,bw_input,bw_weight}: 12 window params, then fw: use_bias;
 * bw_weight: use_bias, accumulate ------------------------------------------------------------ */

static const char *const dw_fw_tensors[] = {"x", "w", "b", "y"};
static const char *const dw_bi_tensors[] = {"dy", "w", "dx"};
static const char *const dw_bw_tensors[] = {"x", "dy", "dw", "db"};

static uint64_t dw_weight_bytes(const qlr_op_call_t *c)
{
    return 4u * win_taps(c) * param_u32(c, 3);
}

static uint64_t dw_out_bytes(const qlr_op_call_t *c)
{
    return 4u * win_out_pixels(c) * param_u32(c, 3);
}

static const char *dw_fw_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = window_check(c, "c", 0)) || (e = expect_flag(c, 12, "use_bias")) ||
        (e = qlr_op_expect_bytes(c, 0, 4u * win_in_elems(c))) || (e = qlr_op_expect_bytes(c, 1, dw_weight_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * (uint64_t)param_u32(c, 3))) ||
        (e = qlr_op_expect_bytes(c, 3, dw_out_bytes(c)))) {
        return e;
    }
    return NULL;
}

static const char *dw_bi_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = window_check(c, "c", 0)) || (e = qlr_op_expect_bytes(c, 0, dw_out_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 1, dw_weight_bytes(c))) || (e = qlr_op_expect_bytes(c, 2, 4u * win_in_elems(c)))) {
        return e;
    }
    return NULL;
}

static const char *dw_bw_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = window_check(c, "c", 0)) || (e = expect_flag(c, 12, "use_bias")) ||
        (e = expect_flag(c, 13, "accumulate")) || (e = qlr_op_expect_bytes(c, 0, 4u * win_in_elems(c))) ||
        (e = qlr_op_expect_bytes(c, 1, dw_out_bytes(c))) || (e = qlr_op_expect_bytes(c, 2, dw_weight_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 3, 4u * (uint64_t)param_u32(c, 3)))) {
        return e;
    }
    return NULL;
}

static uint64_t dw_macs(const qlr_op_call_t *c)
{
    return win_out_pixels(c) * param_u32(c, 3) * win_taps(c);
}

static qlr_status_t dw_fw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_DW_FW};
    qlr_dwconv2d_f32_fw_args_t *a = &t.u.dw_fw;
    window_of(c, &a->g);
    a->x = tensor_f32(c, 0);
    a->w = tensor_f32(c, 1);
    a->b = c->param[12] ? tensor_f32(c, 2) : NULL;
    a->y = tensor_f32(c, 3);
    return fork_task(c, &t);
}

static qlr_status_t dw_bi_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_DW_BI};
    qlr_dwconv2d_f32_bw_input_args_t *a = &t.u.dw_bi;
    window_of(c, &a->g);
    a->dy = tensor_f32(c, 0);
    a->w = tensor_f32(c, 1);
    a->dx = tensor_f32(c, 2);
    return fork_task(c, &t);
}

static qlr_status_t dw_bw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_DW_BW};
    qlr_dwconv2d_f32_bw_weight_args_t *a = &t.u.dw_bw;
    window_of(c, &a->g);
    a->x = tensor_f32(c, 0);
    a->dy = tensor_f32(c, 1);
    a->dw = tensor_f32(c, 2);
    a->db = c->param[12] ? tensor_f32(c, 3) : NULL;
    a->accumulate = c->param[13];
    return fork_task(c, &t);
}

/* ---- pwconv_f32_*: n, height, width, cin, cout (+ fw: use_bias; bw_weight: use_bias,
 *      accumulate). linear_f32_*: n, in_features, out_features (+ the same flags). -------------
 * Both are "rows x in -> rows x out" with rows = n*height*width or n: `lead` = number of
 * leading shape params whose product is the row count. */

static const char *const mm_fw_tensors[] = {"x", "w", "b", "y"};
static const char *const mm_bi_tensors[] = {"dy", "w", "dx"};
static const char *const mm_bw_tensors[] = {"x", "dy", "dw", "db"};

static const char *const pw_names[] = {"n", "height", "width", "cin", "cout"};
static const char *const lin_names[] = {"n", "in_features", "out_features"};

typedef struct {
    uint64_t rows, in, out;
} mm_shape_t;

static mm_shape_t mm_shape(const qlr_op_call_t *c, unsigned lead)
{
    mm_shape_t s = {1, param_u32(c, lead), param_u32(c, lead + 1u)};
    for (unsigned i = 0; i < lead; i++) {
        s.rows *= param_u32(c, i);
    }
    return s;
}

static const char *mm_check(const qlr_op_call_t *c, unsigned lead, int pass)
{
    const char *e = expect_min(c, 0, lead + 2u, 1, lead == 3u ? pw_names : lin_names);
    if (e != NULL) {
        return e;
    }
    unsigned f = lead + 2u; /* first flag */
    if ((pass == 0 || pass == 2) && (e = expect_flag(c, f, "use_bias"))) {
        return e;
    }
    if (pass == 2 && (e = expect_flag(c, f + 1u, "accumulate"))) {
        return e;
    }
    mm_shape_t s = mm_shape(c, lead);
    if (s.rows * s.in > 0x1FFFFFFFu || s.rows * s.out > 0x1FFFFFFFu || s.in * s.out > 0x1FFFFFFFu) {
        return TOO_BIG;
    }
    return qlr_op_expect_mm_tensors(c, pass, s.rows, s.in, s.out);
}

static const char *pw_fw_check(const qlr_op_call_t *c) { return mm_check(c, 3, 0); }
static const char *pw_bi_check(const qlr_op_call_t *c) { return mm_check(c, 3, 1); }
static const char *pw_bw_check(const qlr_op_call_t *c) { return mm_check(c, 3, 2); }
static const char *lin_fw_check(const qlr_op_call_t *c) { return mm_check(c, 1, 0); }
static const char *lin_bi_check(const qlr_op_call_t *c) { return mm_check(c, 1, 1); }
static const char *lin_bw_check(const qlr_op_call_t *c) { return mm_check(c, 1, 2); }

static uint64_t pw_macs(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 3);
    return s.rows * s.in * s.out;
}

static uint64_t lin_macs(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 1);
    return s.rows * s.in * s.out;
}

static qlr_status_t pw_fw_run(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 3);
    f32_task_t t = {.id = K_PW_FW};
    t.u.pw_fw = (qlr_pwconv_f32_fw_args_t){(uint32_t)s.rows, (uint32_t)s.in, (uint32_t)s.out, tensor_f32(c, 0),
                                           tensor_f32(c, 1), c->param[5] ? tensor_f32(c, 2) : NULL,
                                           tensor_f32(c, 3)};
    return fork_task(c, &t);
}

static qlr_status_t pw_bi_run(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 3);
    f32_task_t t = {.id = K_PW_BI};
    t.u.pw_bi = (qlr_pwconv_f32_bw_input_args_t){(uint32_t)s.rows, (uint32_t)s.in, (uint32_t)s.out,
                                                 tensor_f32(c, 0), tensor_f32(c, 1), tensor_f32(c, 2)};
    return fork_task(c, &t);
}

static qlr_status_t pw_bw_run(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 3);
    f32_task_t t = {.id = K_PW_BW};
    t.u.pw_bw = (qlr_pwconv_f32_bw_weight_args_t){(uint32_t)s.rows, (uint32_t)s.in, (uint32_t)s.out,
                                                  tensor_f32(c, 0), tensor_f32(c, 1), tensor_f32(c, 2),
                                                  c->param[5] ? tensor_f32(c, 3) : NULL, c->param[6]};
    return fork_task(c, &t);
}

static qlr_status_t lin_fw_run(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 1);
    f32_task_t t = {.id = K_LIN_FW};
    t.u.lin_fw = (qlr_linear_f32_fw_args_t){(uint32_t)s.rows, (uint32_t)s.in, (uint32_t)s.out, tensor_f32(c, 0),
                                            tensor_f32(c, 1), c->param[3] ? tensor_f32(c, 2) : NULL,
                                            tensor_f32(c, 3)};
    return fork_task(c, &t);
}

static qlr_status_t lin_bi_run(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 1);
    f32_task_t t = {.id = K_LIN_BI};
    t.u.lin_bi = (qlr_linear_f32_bw_input_args_t){(uint32_t)s.rows, (uint32_t)s.in, (uint32_t)s.out,
                                                  tensor_f32(c, 0), tensor_f32(c, 1), tensor_f32(c, 2)};
    return fork_task(c, &t);
}

static qlr_status_t lin_bw_run(const qlr_op_call_t *c)
{
    mm_shape_t s = mm_shape(c, 1);
    f32_task_t t = {.id = K_LIN_BW};
    t.u.lin_bw = (qlr_linear_f32_bw_weight_args_t){(uint32_t)s.rows, (uint32_t)s.in, (uint32_t)s.out,
                                                   tensor_f32(c, 0), tensor_f32(c, 1), tensor_f32(c, 2),
                                                   c->param[3] ? tensor_f32(c, 3) : NULL, c->param[4]};
    return fork_task(c, &t);
}

/* ---- avgpool_f32_{fw,bw}: 12 window params. global_avgpool_f32_{fw,bw}: n, height, width, c -- */

static const char *const pool_fw_tensors[] = {"x", "y"};
static const char *const pool_bw_tensors[] = {"dy", "dx"};

static const char *pool_fw_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = window_check(c, "c", 1)) || (e = qlr_op_expect_bytes(c, 0, 4u * win_in_elems(c))) ||
        (e = qlr_op_expect_bytes(c, 1, dw_out_bytes(c)))) {
        return e;
    }
    return NULL;
}

static const char *pool_bw_check(const qlr_op_call_t *c)
{
    const char *e;
    if ((e = window_check(c, "c", 1)) || (e = qlr_op_expect_bytes(c, 0, dw_out_bytes(c))) ||
        (e = qlr_op_expect_bytes(c, 1, 4u * win_in_elems(c)))) {
        return e;
    }
    return NULL;
}

/* Pooling has no multiplications: the count is of window additions (Kh*Kw per output). */
static uint64_t pool_fw_macs(const qlr_op_call_t *c)
{
    return dw_macs(c);
}

static qlr_status_t pool_fw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_POOL_FW};
    window_of(c, &t.u.pool_fw.g);
    t.u.pool_fw.x = tensor_f32(c, 0);
    t.u.pool_fw.y = tensor_f32(c, 1);
    return fork_task(c, &t);
}

static qlr_status_t pool_bw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_POOL_BW};
    window_of(c, &t.u.pool_bw.g);
    t.u.pool_bw.dy = tensor_f32(c, 0);
    t.u.pool_bw.dx = tensor_f32(c, 1);
    return fork_task(c, &t);
}

static const char *const gpool_names[] = {"n", "height", "width", "c"};

static const char *gpool_check(const qlr_op_call_t *c, int bw)
{
    const char *e = expect_min(c, 0, 4, 1, gpool_names);
    if (e != NULL) {
        return e;
    }
    uint64_t nc = (uint64_t)param_u32(c, 0) * param_u32(c, 3);
    uint64_t in = win_in_elems(c);
    if (in > 0x1FFFFFFFu) {
        return TOO_BIG;
    }
    if ((e = qlr_op_expect_bytes(c, 0, 4u * (bw ? nc : in))) || (e = qlr_op_expect_bytes(c, 1, 4u * (bw ? in : nc)))) {
        return e;
    }
    return NULL;
}

static const char *gpool_fw_check(const qlr_op_call_t *c) { return gpool_check(c, 0); }
static const char *gpool_bw_check(const qlr_op_call_t *c) { return gpool_check(c, 1); }

static uint64_t gpool_macs(const qlr_op_call_t *c)
{
    return win_in_elems(c);
}

static qlr_status_t gpool_fw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_GPOOL_FW};
    t.u.gpool_fw = (qlr_global_avgpool_f32_fw_args_t){param_u32(c, 0), param_u32(c, 1), param_u32(c, 2),
                                                      param_u32(c, 3), tensor_f32(c, 0), tensor_f32(c, 1)};
    return fork_task(c, &t);
}

static qlr_status_t gpool_bw_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_GPOOL_BW};
    t.u.gpool_bw = (qlr_global_avgpool_f32_bw_args_t){param_u32(c, 0), param_u32(c, 1), param_u32(c, 2),
                                                      param_u32(c, 3), tensor_f32(c, 0), tensor_f32(c, 1)};
    return fork_task(c, &t);
}

/* ---- relu/relu6_f32_{fw,bw}: count; fw tensors x, y; bw tensors dy, y, dx ---------------------- */

static const char *const act_fw_tensors[] = {"x", "y"};
static const char *const act_bw_tensors[] = {"dy", "y", "dx"};
static const char *const count_name[] = {"count"};

static const char *act_check(const qlr_op_call_t *c)
{
    const char *e = expect_min(c, 0, 1, 1, count_name);
    if (e != NULL) {
        return e;
    }
    uint64_t b = 4u * (uint64_t)param_u32(c, 0);
    for (unsigned i = 0; i < c->ntensor; i++) {
        if ((e = qlr_op_expect_bytes(c, i, b)) != NULL) {
            return e;
        }
    }
    return NULL;
}

static uint64_t count_macs(const qlr_op_call_t *c)
{
    return param_u32(c, 0); /* element-wise: elements, not MACs */
}

static qlr_status_t act_run(const qlr_op_call_t *c, kernel_id_t id, int bw)
{
    f32_task_t t = {.id = id};
    t.u.elem.a = tensor_f32(c, 0);
    t.u.elem.b = bw ? tensor_f32(c, 1) : NULL;
    t.u.elem.out = tensor_f32(c, bw ? 2 : 1);
    t.u.elem.count = param_u32(c, 0);
    return fork_task(c, &t);
}

static qlr_status_t relu_fw_run(const qlr_op_call_t *c) { return act_run(c, K_RELU_FW, 0); }
static qlr_status_t relu_bw_run(const qlr_op_call_t *c) { return act_run(c, K_RELU_BW, 1); }
static qlr_status_t relu6_fw_run(const qlr_op_call_t *c) { return act_run(c, K_RELU6_FW, 0); }
static qlr_status_t relu6_bw_run(const qlr_op_call_t *c) { return act_run(c, K_RELU6_BW, 1); }

/* ---- softmax_xent_f32: n, classes; tensors logits, labels (int32), dlogits, row_loss, loss ---- */

static const char *const xent_tensors[] = {"logits", "labels", "dlogits", "row_loss", "loss"};
static const char *const xent_names[] = {"n", "classes"};

static const char *xent_check(const qlr_op_call_t *c)
{
    const char *e = expect_min(c, 0, 2, 1, xent_names);
    if (e != NULL) {
        return e;
    }
    uint64_t n = param_u32(c, 0), k = param_u32(c, 1);
    if (n * k > 0x1FFFFFFFu) {
        return TOO_BIG;
    }
    if ((e = qlr_op_expect_bytes(c, 0, 4u * n * k)) || (e = qlr_op_expect_bytes(c, 1, 4u * n)) ||
        (e = qlr_op_expect_bytes(c, 2, 4u * n * k)) || (e = qlr_op_expect_bytes(c, 3, 4u * n)) ||
        (e = qlr_op_expect_bytes(c, 4, 4u))) {
        return e;
    }
    const int32_t *labels = (const int32_t *)(const void *)c->tensor[1];
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
    return (uint64_t)param_u32(c, 0) * param_u32(c, 1); /* logits, not MACs */
}

static qlr_status_t xent_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_XENT};
    t.u.xent = (qlr_softmax_xent_f32_args_t){.n = param_u32(c, 0), .k = param_u32(c, 1), .logits = tensor_f32(c, 0),
                                             .labels = (const int32_t *)(const void *)c->tensor[1],
                                             .dlogits = tensor_f32(c, 2), .row_loss = tensor_f32(c, 3),
                                             .loss = tensor_f32(c, 4), .norm = 0};
    return fork_task(c, &t);
}

/* ---- sgd_f32: count, lr, momentum, weight_decay (f32); tensors w (inout), g, v (inout) -------- */

static const char *const sgd_tensors[] = {"w", "g", "v"};

static const char *sgd_check(const qlr_op_call_t *c)
{
    const char *e = act_check(c);
    if (e != NULL) {
        return e;
    }
    static const char *const names[] = {"lr", "momentum", "weight_decay"};
    for (unsigned i = 0; i < 3; i++) {
        float f = param_f32(c, 1u + i);
        if (!(f == f) || f - f != 0.0f) {
            snprintf(g_msg, sizeof g_msg, "%s must be a finite float", names[i]);
            return g_msg;
        }
    }
    return NULL;
}

static qlr_status_t sgd_run(const qlr_op_call_t *c)
{
    f32_task_t t = {.id = K_SGD};
    t.u.sgd = (qlr_sgd_f32_args_t){tensor_f32(c, 0), tensor_f32(c, 1), tensor_f32(c, 2), param_u32(c, 0),
                                   param_f32(c, 1), param_f32(c, 2), param_f32(c, 3)};
    return fork_task(c, &t);
}

/* ---- the table -------------------------------------------------------------------------------- */

const qlr_op_t qlr_ops_f32[] = {
    {"conv2d_f32_fw", 15, 4, conv_fw_tensors, conv_fw_check, conv_macs, conv_fw_run},
    {"conv2d_f32_bw_input", 14, 3, conv_bi_tensors, conv_bi_check, conv_macs, conv_bi_run},
    {"conv2d_f32_bw_weight", 16, 4, conv_bw_tensors, conv_bw_check, conv_macs, conv_bw_run},
    {"dwconv2d_f32_fw", 13, 4, dw_fw_tensors, dw_fw_check, dw_macs, dw_fw_run},
    {"dwconv2d_f32_bw_input", 12, 3, dw_bi_tensors, dw_bi_check, dw_macs, dw_bi_run},
    {"dwconv2d_f32_bw_weight", 14, 4, dw_bw_tensors, dw_bw_check, dw_macs, dw_bw_run},
    {"pwconv_f32_fw", 6, 4, mm_fw_tensors, pw_fw_check, pw_macs, pw_fw_run},
    {"pwconv_f32_bw_input", 5, 3, mm_bi_tensors, pw_bi_check, pw_macs, pw_bi_run},
    {"pwconv_f32_bw_weight", 7, 4, mm_bw_tensors, pw_bw_check, pw_macs, pw_bw_run},
    {"linear_f32_fw", 4, 4, mm_fw_tensors, lin_fw_check, lin_macs, lin_fw_run},
    {"linear_f32_bw_input", 3, 3, mm_bi_tensors, lin_bi_check, lin_macs, lin_bi_run},
    {"linear_f32_bw_weight", 5, 4, mm_bw_tensors, lin_bw_check, lin_macs, lin_bw_run},
    {"avgpool_f32_fw", 12, 2, pool_fw_tensors, pool_fw_check, pool_fw_macs, pool_fw_run},
    {"avgpool_f32_bw", 12, 2, pool_bw_tensors, pool_bw_check, pool_fw_macs, pool_bw_run},
    {"global_avgpool_f32_fw", 4, 2, pool_fw_tensors, gpool_fw_check, gpool_macs, gpool_fw_run},
    {"global_avgpool_f32_bw", 4, 2, pool_bw_tensors, gpool_bw_check, gpool_macs, gpool_bw_run},
    {"relu_f32_fw", 1, 2, act_fw_tensors, act_check, count_macs, relu_fw_run},
    {"relu_f32_bw", 1, 3, act_bw_tensors, act_check, count_macs, relu_bw_run},
    {"relu6_f32_fw", 1, 2, act_fw_tensors, act_check, count_macs, relu6_fw_run},
    {"relu6_f32_bw", 1, 3, act_bw_tensors, act_check, count_macs, relu6_bw_run},
    {"softmax_xent_f32", 2, 5, xent_tensors, xent_check, xent_macs, xent_run},
    {"sgd_f32", 4, 3, sgd_tensors, sgd_check, count_macs, sgd_run},
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};

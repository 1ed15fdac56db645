/*
 * The trainable back-end (qlr/cl_backend.h): micro-batches of forward, loss and backward with
 * accumulated weight gradients, then one SGD update per mini-batch. Pointwise and linear layers
 * are products run by the tiled matmul executor (L2 -> L1 tiles) over chunks of output rows whose
 * weights, momentum and gradients come either in place from L2 or through the L3 staging buffers
 * (qlr_cl_stream_rows); depthwise layers run on L1 tiles too; the element-wise layers, pooling and
 * the loss run in place in L2. The controller runs this file; each pass forks the team.
 */
#include "qlr/cl_backend.h"

#include <string.h>

#include "qlr/kernels_f32.h"
#include "qlr/runtime.h"

uint32_t qlr_cl_backend_act_elems(const qlr_cl_backend_t *bk, unsigned i)
{
    const qlr_cl_layer_t *l = i == 0u ? &bk->layer[0] : &bk->layer[i - 1u];
    return i == 0u ? l->ih * l->iw * l->ic : l->oh * l->ow * l->oc;
}

static int has_params(const qlr_cl_layer_t *l)
{
    return l->kind == QLR_CL_PWCONV || l->kind == QLR_CL_DWCONV || l->kind == QLR_CL_LINEAR;
}

static int is_product(const qlr_cl_layer_t *l)
{
    return l->kind == QLR_CL_PWCONV || l->kind == QLR_CL_LINEAR;
}

/* A pointwise or linear layer as a product over rows: n*H*W pixels (or n samples) x in -> out. */
static uint32_t mm_rows(const qlr_cl_layer_t *l, uint32_t n)
{
    return l->kind == QLR_CL_PWCONV ? n * l->ih * l->iw : n;
}

static uint32_t mm_in(const qlr_cl_layer_t *l)
{
    return l->kind == QLR_CL_PWCONV ? l->ic : l->ih * l->iw * l->ic;
}

static const char *shape_check(const qlr_cl_layer_t *l)
{
    switch (l->kind) {
    case QLR_CL_PWCONV:
        return l->ih != l->oh || l->iw != l->ow || l->nw != l->ic * l->oc ? "pointwise layer shapes do not agree" : NULL;
    case QLR_CL_LINEAR:
        return l->nw != l->ih * l->iw * l->ic * l->oc ? "linear layer shapes do not agree" : NULL;
    case QLR_CL_DWCONV:
        return l->ic != l->oc || l->nw != l->kh * l->kw * l->ic ? "depthwise layer shapes do not agree" : NULL;
    case QLR_CL_AVGPOOL:
    case QLR_CL_GLOBAL_AVGPOOL:
        return l->ic != l->oc ? "pooling changes the channel count" : NULL;
    case QLR_CL_FLATTEN:
    case QLR_CL_RELU:
    case QLR_CL_RELU6:
        return l->ih * l->iw * l->ic != l->oh * l->ow * l->oc ? "element-wise layer changes the size" : NULL;
    default:
        return "back-end layer kind not trainable on the device";
    }
}

/* Parameter buffers: big enough, in L2 unless a product's weight-shaped tensor is streamed. */
static const char *param_check(const qlr_cl_layer_t *l, const qlr_cl_backend_t *bk)
{
    const qlr_cl_buf_t *wide[3] = {&l->w, &l->dw, &l->vw};
    for (unsigned k = 0; k < 3u; k++) {
        const qlr_cl_buf_t *t = wide[k];
        if (k == 2u && t->size == 0u && bk->momentum == 0.0f) {
            continue; /* no momentum buffers without momentum */
        }
        if (t->size < 4u * (size_t)l->nw) {
            return "back-end layer without parameter buffers of the layer's size";
        }
        if (t->level == QLR_MEM_L3 && (!is_product(l) || !t->streamed || bk->stage[0] == NULL)) {
            return "only pointwise and linear weights, momentum and gradients can be streamed from L3";
        }
        if (t->level != QLR_MEM_L3 && t->ptr == NULL) {
            return "back-end parameter buffer without an address";
        }
    }
    if (l->nb != 0u) {
        const qlr_cl_buf_t *bias[3] = {&l->b, &l->db, &l->vb};
        for (unsigned k = 0; k < 3u; k++) {
            if (k == 2u && bias[k]->size == 0u && bk->momentum == 0.0f) {
                continue;
            }
            if (bias[k]->size < 4u * (size_t)l->nb || bias[k]->level == QLR_MEM_L3 || bias[k]->ptr == NULL) {
                return "back-end bias buffers must be in L2, as big as the bias";
            }
        }
    }
    if (bk->stage[0] != NULL && is_product(l)) {
        qlr_cl_stream_part_t p[3] = {
            {.where = l->w, .row_bytes = 4u * mm_in(l)}, {.where = l->vw, .row_bytes = 4u * mm_in(l)},
            {.where = l->dw, .row_bytes = 4u * mm_in(l)},
        };
        if (qlr_cl_stream_chunk_rows(p, l->vw.size != 0u ? 3u : 2u, bk->stage_bytes) == 0u) {
            return "the staging buffers are too small for one row of a streamed weight, momentum and gradient";
        }
    }
    return NULL;
}

const char *qlr_cl_backend_check(const qlr_cl_backend_t *bk)
{
    if (bk->n == 0u || bk->n > QLR_CL_MAX_LAYERS || bk->ub == 0u) {
        return "back-end needs 1..16 layers and a micro-batch of at least 1";
    }
    for (unsigned i = 0; i < bk->n; i++) {
        const qlr_cl_layer_t *l = &bk->layer[i];
        if (i > 0u) {
            const qlr_cl_layer_t *p = &bk->layer[i - 1u];
            if (p->oh * p->ow * p->oc != l->ih * l->iw * l->ic) {
                return "back-end layer input does not match the previous layer's output";
            }
        }
        const char *bad = shape_check(l);
        if (bad == NULL && has_params(l)) {
            bad = param_check(l, bk);
        }
        if (bad != NULL) {
            return bad;
        }
    }
    for (unsigned i = 0; i <= bk->n; i++) {
        if (bk->act[i] == NULL) {
            return "back-end activation buffers missing";
        }
    }
    if (bk->grad[0] == NULL || bk->grad[1] == NULL || bk->row_loss == NULL) {
        return "back-end gradient or loss buffers missing";
    }
    return NULL;
}

static qlr_f32_window_t window(const qlr_cl_layer_t *l, uint32_t n)
{
    qlr_f32_window_t g = {.n = n, .h = l->ih, .w = l->iw, .c = l->ic, .kh = l->kh, .kw = l->kw, .sh = l->sh,
                          .sw = l->sw, .pad_top = l->pad[0], .pad_bottom = l->pad[1], .pad_left = l->pad[2],
                          .pad_right = l->pad[3]};
    return g;
}

static float *f32(const qlr_cl_buf_t *b)
{
    return (float *)(void *)b->ptr;
}

/* ---- team tasks ------------------------------------------------------------------------------ */

typedef enum { OP_FORWARD, OP_BACKWARD, OP_PRODUCTS, OP_SGD_L2, OP_SGD_ROWS, OP_LOSS, OP_ARGMAX } op_t;

/* One fork's work: every core runs the same task and takes its share inside the kernels. */
typedef struct {
    op_t op;
    const qlr_cl_backend_t *bk;
    const qlr_cl_layer_t *l;
    uint32_t n;
    const float *x, *y;
    float *out, *dy, *dx;
    int need_dx, accumulate;
    qlr_matmul_f32_tiled_args_t mm[2]; /* OP_PRODUCTS: one or two tiled products */
    unsigned nmm;
    qlr_sgd_f32_args_t sgd;            /* OP_SGD_ROWS */
    const int32_t *labels;             /* OP_LOSS */
    uint32_t norm;
    float loss;
    int32_t *pred;                     /* OP_ARGMAX */
    qlr_status_t status;
} task_t;

static void fused_act_fw(const qlr_cl_layer_t *l, float *y, size_t count)
{
    if (l->act == QLR_CL_ACT_RELU) {
        qlr_relu_f32_fw(y, y, count);
    } else if (l->act == QLR_CL_ACT_RELU6) {
        qlr_relu6_f32_fw(y, y, count);
    }
}

/* Forward of a layer whose parameters are in L2 (products use the row passes instead). */
static qlr_status_t forward_team(const task_t *t)
{
    const qlr_cl_layer_t *l = t->l;
    size_t count = (size_t)t->n * l->oh * l->ow * l->oc;
    qlr_status_t st = QLR_OK;
    switch (l->kind) {
    case QLR_CL_DWCONV: {
        qlr_dwconv2d_f32_fw_args_t a = {.g = window(l, t->n), .x = t->x, .w = f32(&l->w),
                                        .b = l->nb ? f32(&l->b) : NULL, .y = t->out};
        st = qlr_dwconv2d_f32_fw_tiled(&a, &t->bk->l1);
        break;
    }
    case QLR_CL_AVGPOOL: {
        qlr_avgpool_f32_fw_args_t a = {.g = window(l, t->n), .x = t->x, .y = t->out};
        st = qlr_avgpool_f32_fw(&a);
        break;
    }
    case QLR_CL_GLOBAL_AVGPOOL: {
        qlr_global_avgpool_f32_fw_args_t a = {.n = t->n, .h = l->ih, .w = l->iw, .c = l->ic, .x = t->x, .y = t->out};
        st = qlr_global_avgpool_f32_fw(&a);
        break;
    }
    case QLR_CL_RELU:
        qlr_relu_f32_fw(t->x, t->out, count);
        break;
    case QLR_CL_RELU6:
        qlr_relu6_f32_fw(t->x, t->out, count);
        break;
    case QLR_CL_PWCONV:
    case QLR_CL_LINEAR:
        break; /* only the fused activation: the product ran in row passes */
    default:
        return QLR_E_UNSUPPORTED;
    }
    if (st == QLR_OK) {
        fused_act_fw(l, t->out, count);
    }
    return st;
}

/* Backward of a layer: the fused activation's gradient always; for depthwise, pooling and the
 * element-wise layers also dw/db and dx (products run their own row passes after this). */
static qlr_status_t backward_team(const task_t *t)
{
    const qlr_cl_layer_t *l = t->l;
    size_t count = (size_t)t->n * l->oh * l->ow * l->oc;
    if (l->act == QLR_CL_ACT_RELU) {
        qlr_relu_f32_bw(t->dy, t->y, t->dy, count);
    } else if (l->act == QLR_CL_ACT_RELU6) {
        qlr_relu6_f32_bw(t->dy, t->y, t->dy, count);
    }
    qlr_status_t st = QLR_OK;
    switch (l->kind) {
    case QLR_CL_DWCONV: {
        qlr_dwconv2d_f32_bw_weight_args_t w = {.g = window(l, t->n), .x = t->x, .dy = t->dy, .dw = f32(&l->dw),
                                               .db = l->nb ? f32(&l->db) : NULL, .accumulate = t->accumulate};
        st = qlr_dwconv2d_f32_bw_weight(&w);
        if (st == QLR_OK && t->need_dx) {
            qlr_dwconv2d_f32_bw_input_args_t a = {.g = window(l, t->n), .dy = t->dy, .w = f32(&l->w), .dx = t->dx};
            st = qlr_dwconv2d_f32_bw_input(&a);
        }
        break;
    }
    case QLR_CL_AVGPOOL:
        if (t->need_dx) {
            qlr_avgpool_f32_bw_args_t a = {.g = window(l, t->n), .dy = t->dy, .dx = t->dx};
            st = qlr_avgpool_f32_bw(&a);
        }
        break;
    case QLR_CL_GLOBAL_AVGPOOL:
        if (t->need_dx) {
            qlr_global_avgpool_f32_bw_args_t a = {.n = t->n, .h = l->ih, .w = l->iw, .c = l->ic, .dy = t->dy, .dx = t->dx};
            st = qlr_global_avgpool_f32_bw(&a);
        }
        break;
    case QLR_CL_RELU:
        if (t->need_dx) {
            qlr_relu_f32_bw(t->dy, t->y, t->dx, count);
        }
        break;
    case QLR_CL_RELU6:
        if (t->need_dx) {
            qlr_relu6_f32_bw(t->dy, t->y, t->dx, count);
        }
        break;
    case QLR_CL_PWCONV:
    case QLR_CL_LINEAR:
        break;
    default:
        return QLR_E_UNSUPPORTED;
    }
    return st;
}

/* SGD of every parameter that lives in L2 (biases always; weights unless streamed). */
static void sgd_l2_team(const task_t *t)
{
    const qlr_cl_backend_t *bk = t->bk;
    for (unsigned i = 0; i < bk->n; i++) {
        const qlr_cl_layer_t *l = &bk->layer[i];
        if (!has_params(l)) {
            continue;
        }
        if (l->w.level != QLR_MEM_L3 && l->dw.level != QLR_MEM_L3 && l->vw.level != QLR_MEM_L3) {
            qlr_sgd_f32_args_t w = {.w = f32(&l->w), .g = f32(&l->dw), .v = l->vw.size ? f32(&l->vw) : NULL,
                                    .count = l->nw, .lr = bk->lr, .momentum = bk->momentum,
                                    .weight_decay = bk->weight_decay};
            qlr_sgd_f32(&w);
        }
        if (l->nb != 0u) {
            qlr_sgd_f32_args_t b = {.w = f32(&l->b), .g = f32(&l->db), .v = l->vb.size ? f32(&l->vb) : NULL,
                                    .count = l->nb, .lr = bk->lr, .momentum = bk->momentum,
                                    .weight_decay = bk->weight_decay};
            qlr_sgd_f32(&b);
        }
    }
}

static void argmax_team(const task_t *t)
{
    const qlr_cl_backend_t *bk = t->bk;
    uint32_t k = qlr_cl_backend_act_elems(bk, bk->n), r0, r1;
    qlr_share(t->n, qlr_core_id(), qlr_core_count(), &r0, &r1);
    for (uint32_t r = r0; r < r1; r++) {
        const float *z = bk->act[bk->n] + (size_t)r * k;
        uint32_t best = 0;
        for (uint32_t j = 1; j < k; j++) {
            if (z[j] > z[best]) {
                best = j;
            }
        }
        t->pred[r] = (int32_t)best;
    }
    qlr_team_barrier();
}

static void run_task(void *arg)
{
    task_t *t = arg;
    qlr_status_t st = QLR_OK;
    switch (t->op) {
    case OP_FORWARD:
        st = forward_team(t);
        break;
    case OP_BACKWARD:
        st = backward_team(t);
        break;
    case OP_PRODUCTS:
        for (unsigned i = 0; i < t->nmm && st == QLR_OK; i++) {
            st = qlr_matmul_f32_tiled(&t->mm[i]);
        }
        break;
    case OP_SGD_L2:
        sgd_l2_team(t);
        break;
    case OP_SGD_ROWS:
        qlr_sgd_f32(&t->sgd);
        break;
    case OP_LOSS: {
        const qlr_cl_layer_t *last = &t->bk->layer[t->bk->n - 1u];
        qlr_softmax_xent_f32_args_t a = {.n = t->n, .k = last->oh * last->ow * last->oc, .logits = t->x,
                                         .labels = t->labels, .dlogits = t->out, .row_loss = t->bk->row_loss,
                                         .loss = &t->loss, .norm = t->norm};
        st = qlr_softmax_xent_f32(&a);
        break;
    }
    case OP_ARGMAX:
        argmax_team(t);
        break;
    }
    if (qlr_core_id() == 0u) {
        t->status = st;
    }
}

static qlr_status_t run_on_team(task_t *t, unsigned cores)
{
    t->status = QLR_OK;
    qlr_team_fork(cores, run_task, t);
    return t->status;
}

/* ---- products over rows (L2 in place or streamed from L3) ------------------------------------ */

typedef struct {
    task_t *t;
    unsigned cores;
    const qlr_cl_layer_t *l;
    uint32_t n;
    int pass;                /* 0 forward, 1 backward (weight and input gradients), 2 SGD */
    uint64_t *tiles;         /* adds the tile steps of every product run */
} rows_ctx_t;

static void count_tiles(const task_t *t, unsigned cores, uint64_t *tiles)
{
    for (unsigned i = 0; i < t->nmm; i++) {
        qlr_tiled_plan_t p;
        if (qlr_matmul_f32_tiled_plan(&t->mm[i], cores, &p) == QLR_OK) {
            *tiles += p.steps;
        }
    }
}

static qlr_matmul_f32_tiled_args_t product(const qlr_cl_backend_t *bk, qlr_matmul_kind_t kind, const float *a,
                                           const float *b, float *c, uint32_t m, uint32_t n, uint32_t k,
                                           uint32_t lda, uint32_t ldb, uint32_t ldc, int accumulate)
{
    qlr_matmul_f32_tiled_args_t p = {
        .kind = kind,
        .mm = {.a = a, .b = b, .c = c, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc,
               .accumulate = accumulate},
        .l1 = bk->l1,
    };
    return p;
}

/* The work on output rows [r0, r1) of a product layer: part[0] is the weight's rows (forward),
 * part[0]/[1] the gradient's and the weight's rows (backward), or w, [v,] g rows (SGD). */
static qlr_status_t rows_work(void *arg, uint32_t r0, uint32_t r1, uint8_t *const part[])
{
    rows_ctx_t *c = arg;
    task_t *t = c->t;
    const qlr_cl_backend_t *bk = t->bk;
    const qlr_cl_layer_t *l = c->l;
    uint32_t rows = mm_rows(l, c->n), in = mm_in(l), out = l->oc, chunk = r1 - r0;
    if (c->pass == 2) {
        int mom = l->vw.size != 0u;
        qlr_sgd_f32_args_t s = {.w = (float *)(void *)part[0], .v = mom ? (float *)(void *)part[1] : NULL,
                                .g = (const float *)(void *)part[mom ? 2 : 1], .count = (size_t)chunk * in,
                                .lr = bk->lr, .momentum = bk->momentum, .weight_decay = bk->weight_decay};
        t->op = OP_SGD_ROWS;
        t->sgd = s;
        return run_on_team(t, c->cores);
    }
    t->op = OP_PRODUCTS;
    t->nmm = 0;
    if (c->pass == 0) { /* y[:, r0:r1] = x w[r0:r1]^T + b[r0:r1] */
        t->mm[t->nmm] = product(bk, QLR_MATMUL_NT, t->x, (const float *)(void *)part[0], t->out + r0, rows, chunk,
                                in, in, in, out, 0);
        t->mm[t->nmm++].mm.bias = l->nb ? f32(&l->b) + r0 : NULL;
    } else { /* dw[r0:r1] (+)= dy[:, r0:r1]^T x, db too;  dx (+)= dy[:, r0:r1] w[r0:r1] */
        t->mm[t->nmm] = product(bk, QLR_MATMUL_TN, t->dy + r0, t->x, (float *)(void *)part[0], chunk, in, rows, out,
                                in, in, t->accumulate);
        t->mm[t->nmm++].a_sum = l->nb ? f32(&l->db) + r0 : NULL;
        if (t->need_dx) {
            t->mm[t->nmm++] = product(bk, QLR_MATMUL_NN, t->dy + r0, (const float *)(void *)part[1], t->dx, rows, in,
                                      chunk, out, in, in, r0 > 0u);
        }
    }
    count_tiles(t, c->cores, c->tiles);
    return run_on_team(t, c->cores);
}

static qlr_status_t product_pass(qlr_cl_backend_t *bk, task_t *t, const qlr_cl_layer_t *l, uint32_t n, int pass,
                                 unsigned cores, qlr_cl_step_counters_t *sc)
{
    uint32_t row = 4u * mm_in(l);
    qlr_cl_stream_part_t p[3];
    unsigned np = 0;
    if (pass == 0) {
        p[np++] = (qlr_cl_stream_part_t){.where = l->w, .row_bytes = row, .read = 1};
    } else if (pass == 1) {
        p[np++] = (qlr_cl_stream_part_t){.where = l->dw, .row_bytes = row, .read = t->accumulate, .write = 1};
        if (t->need_dx) {
            p[np++] = (qlr_cl_stream_part_t){.where = l->w, .row_bytes = row, .read = 1};
        }
    } else {
        p[np++] = (qlr_cl_stream_part_t){.where = l->w, .row_bytes = row, .read = 1, .write = 1};
        if (l->vw.size != 0u) {
            p[np++] = (qlr_cl_stream_part_t){.where = l->vw, .row_bytes = row, .read = 1, .write = 1};
        }
        p[np++] = (qlr_cl_stream_part_t){.where = l->dw, .row_bytes = row, .read = 1};
    }
    rows_ctx_t ctx = {.t = t, .cores = cores, .l = l, .n = n, .pass = pass, .tiles = &sc->tiles};
    return qlr_cl_stream_rows(p, np, l->oc, bk->stage, bk->stage_bytes, rows_work, &ctx, &sc->l3);
}

/* ---- the passes -------------------------------------------------------------------------------- */

/* L1 tile steps of a depthwise forward pass (as qlr_dwconv2d_f32_fw_tiled cuts it). */
static uint64_t dw_tiles(const qlr_cl_backend_t *bk, const qlr_cl_layer_t *l, uint32_t n)
{
    qlr_f32_window_t g = window(l, n);
    uint32_t ch = qlr_dwconv2d_f32_fw_tile_channels(&g, &bk->l1);
    return ch == 0u ? 0u : (uint64_t)n * ((l->ic + ch - 1u) / ch);
}

static qlr_status_t forward(qlr_cl_backend_t *bk, uint32_t n, unsigned cores, qlr_cl_step_counters_t *sc)
{
    qlr_status_t st = QLR_OK;
    for (unsigned i = 0; i < bk->n && st == QLR_OK; i++) {
        const qlr_cl_layer_t *l = &bk->layer[i];
        task_t t = {.op = OP_FORWARD, .bk = bk, .l = l, .n = n, .x = bk->act[i], .out = bk->act[i + 1u]};
        if (l->kind == QLR_CL_FLATTEN) {
            continue; /* a view of its input */
        }
        if (is_product(l)) {
            st = product_pass(bk, &t, l, n, 0, cores, sc);
            t.op = OP_FORWARD;
            if (st == QLR_OK && l->act != QLR_CL_ACT_NONE) {
                st = run_on_team(&t, cores);
            }
        } else {
            if (l->kind == QLR_CL_DWCONV) {
                sc->tiles += dw_tiles(bk, l, n);
            }
            st = run_on_team(&t, cores);
        }
    }
    return st;
}

qlr_status_t qlr_cl_backend_micro(qlr_cl_backend_t *bk, uint32_t n, const int32_t *labels, uint32_t norm,
                                  int accumulate, unsigned cores, float *loss, qlr_cl_step_counters_t *c)
{
    if (n == 0u || n > bk->ub || norm < n) {
        return QLR_E_ARG;
    }
    uint64_t t0 = qlr_counter();
    qlr_status_t st = forward(bk, n, cores, c);
    task_t lt = {.op = OP_LOSS, .bk = bk, .n = n, .x = bk->act[bk->n], .out = bk->grad[0], .labels = labels,
                 .norm = norm};
    if (st == QLR_OK) {
        st = run_on_team(&lt, cores);
        *loss = lt.loss;
    }
    uint64_t t1 = qlr_counter();
    unsigned first = 0; /* the first layer with parameters: no input gradient is needed below it */
    while (first < bk->n && !has_params(&bk->layer[first])) {
        first++;
    }
    unsigned cur = 0;
    for (unsigned i = bk->n; i-- > first && st == QLR_OK;) {
        const qlr_cl_layer_t *l = &bk->layer[i];
        if (l->kind == QLR_CL_FLATTEN) {
            continue; /* dx is dy: the same buffer stays current */
        }
        task_t t = {.op = OP_BACKWARD, .bk = bk, .l = l, .n = n, .x = bk->act[i], .y = bk->act[i + 1u],
                    .dy = bk->grad[cur], .dx = bk->grad[cur ^ 1u], .need_dx = i > first, .accumulate = accumulate};
        if (!is_product(l) || l->act != QLR_CL_ACT_NONE) {
            st = run_on_team(&t, cores);
        }
        if (st == QLR_OK && is_product(l)) {
            st = product_pass(bk, &t, l, n, 1, cores, c);
        }
        cur ^= 1u;
    }
    uint64_t t2 = qlr_counter();
    c->forward += t1 - t0;
    c->backward += t2 - t1;
    return st;
}

qlr_status_t qlr_cl_backend_update(qlr_cl_backend_t *bk, unsigned cores, qlr_cl_step_counters_t *c)
{
    uint64_t t0 = qlr_counter();
    task_t t = {.op = OP_SGD_L2, .bk = bk};
    qlr_status_t st = run_on_team(&t, cores);
    for (unsigned i = 0; i < bk->n && st == QLR_OK; i++) {
        const qlr_cl_layer_t *l = &bk->layer[i];
        if (is_product(l) && (l->w.level == QLR_MEM_L3 || l->dw.level == QLR_MEM_L3 || l->vw.level == QLR_MEM_L3)) {
            task_t r = {.bk = bk};
            st = product_pass(bk, &r, l, 0, 2, cores, c);
        }
    }
    c->update += qlr_counter() - t0;
    return st;
}

qlr_status_t qlr_cl_backend_predict(qlr_cl_backend_t *bk, uint32_t n, unsigned cores, int32_t *pred,
                                    qlr_cl_step_counters_t *c)
{
    if (n == 0u || n > bk->ub) {
        return QLR_E_ARG;
    }
    uint64_t t0 = qlr_counter();
    qlr_status_t st = forward(bk, n, cores, c);
    task_t t = {.op = OP_ARGMAX, .bk = bk, .n = n, .pred = pred};
    if (st == QLR_OK) {
        st = run_on_team(&t, cores);
    }
    c->forward += qlr_counter() - t0;
    return st;
}

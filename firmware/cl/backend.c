/*
 * The trainable back-end (qlr/cl_backend.h): forward, loss, backward and SGD over the FP32
 * kernels, the whole step inside one team fork. Kernels return after a team barrier, so each
 * layer's output is complete when the next one starts.
 */
#include "qlr/cl_backend.h"

#include <string.h>

#include "qlr/kernels_f32.h"
#include "qlr/runtime.h"

uint32_t qlr_cl_backend_act_elems(const qlr_cl_backend_t *bk, unsigned i)
{
    if (i == 0u) {
        const qlr_cl_layer_t *l = &bk->layer[0];
        return l->ih * l->iw * l->ic;
    }
    const qlr_cl_layer_t *l = &bk->layer[i - 1u];
    return l->oh * l->ow * l->oc;
}

static int has_params(const qlr_cl_layer_t *l)
{
    return l->kind == QLR_CL_PWCONV || l->kind == QLR_CL_DWCONV || l->kind == QLR_CL_LINEAR;
}

const char *qlr_cl_backend_check(const qlr_cl_backend_t *bk)
{
    if (bk->n == 0u || bk->n > QLR_CL_MAX_LAYERS) {
        return "back-end needs 1..16 layers";
    }
    for (unsigned i = 0; i < bk->n; i++) {
        const qlr_cl_layer_t *l = &bk->layer[i];
        if (i > 0u) {
            const qlr_cl_layer_t *p = &bk->layer[i - 1u];
            if (p->oh * p->ow * p->oc != l->ih * l->iw * l->ic) {
                return "back-end layer input does not match the previous layer's output";
            }
        }
        switch (l->kind) {
        case QLR_CL_PWCONV:
            if (l->ih != l->oh || l->iw != l->ow || l->nw != l->ic * l->oc) {
                return "pointwise layer shapes do not agree";
            }
            break;
        case QLR_CL_LINEAR:
            if (l->nw != l->ih * l->iw * l->ic * l->oc) {
                return "linear layer shapes do not agree";
            }
            break;
        case QLR_CL_DWCONV:
            if (l->ic != l->oc || l->nw != l->kh * l->kw * l->ic) {
                return "depthwise layer shapes do not agree";
            }
            break;
        case QLR_CL_AVGPOOL:
        case QLR_CL_GLOBAL_AVGPOOL:
            if (l->ic != l->oc) {
                return "pooling changes the channel count";
            }
            break;
        case QLR_CL_FLATTEN:
        case QLR_CL_RELU:
        case QLR_CL_RELU6:
            if (l->ih * l->iw * l->ic != l->oh * l->ow * l->oc) {
                return "element-wise layer changes the size";
            }
            break;
        default:
            return "back-end layer kind not trainable on the device";
        }
        if (has_params(l) && l->w == NULL) {
            return "back-end layer without parameter buffers";
        }
    }
    return NULL;
}

static qlr_f32_window_t window(const qlr_cl_layer_t *l, uint32_t batch)
{
    qlr_f32_window_t g = {batch, l->ih, l->iw, l->ic, l->kh, l->kw, l->sh, l->sw,
                          l->pad[0], l->pad[1], l->pad[2], l->pad[3]};
    return g;
}

static qlr_status_t layer_forward(const qlr_cl_layer_t *l, uint32_t b, const float *x, float *y)
{
    qlr_status_t st = QLR_OK;
    size_t count = (size_t)b * l->oh * l->ow * l->oc;
    switch (l->kind) {
    case QLR_CL_PWCONV: {
        qlr_pwconv_f32_fw_args_t a = {b * l->ih * l->iw, l->ic, l->oc, x, l->w, l->b, y};
        st = qlr_pwconv_f32_fw(&a);
        break;
    }
    case QLR_CL_LINEAR: {
        qlr_linear_f32_fw_args_t a = {b, l->ih * l->iw * l->ic, l->oc, x, l->w, l->b, y};
        st = qlr_linear_f32_fw(&a);
        break;
    }
    case QLR_CL_DWCONV: {
        qlr_dwconv2d_f32_fw_args_t a = {window(l, b), x, l->w, l->b, y};
        st = qlr_dwconv2d_f32_fw(&a);
        break;
    }
    case QLR_CL_AVGPOOL: {
        qlr_avgpool_f32_fw_args_t a = {window(l, b), x, y};
        st = qlr_avgpool_f32_fw(&a);
        break;
    }
    case QLR_CL_GLOBAL_AVGPOOL: {
        qlr_global_avgpool_f32_fw_args_t a = {b, l->ih, l->iw, l->ic, x, y};
        st = qlr_global_avgpool_f32_fw(&a);
        break;
    }
    case QLR_CL_FLATTEN:
        if (qlr_core_id() == 0u) {
            memcpy(y, x, count * sizeof(float));
        }
        qlr_team_barrier();
        break;
    case QLR_CL_RELU:
        qlr_relu_f32_fw(x, y, count);
        break;
    case QLR_CL_RELU6:
        qlr_relu6_f32_fw(x, y, count);
        break;
    default:
        return QLR_E_UNSUPPORTED;
    }
    if (st == QLR_OK && l->act == QLR_CL_ACT_RELU) {
        qlr_relu_f32_fw(y, y, count);
    } else if (st == QLR_OK && l->act == QLR_CL_ACT_RELU6) {
        qlr_relu6_f32_fw(y, y, count);
    }
    return st;
}

/* Gradients of layer l: dy (modified in place by a fused activation) -> dw/db and, when
 * need_dx, dx. x and y are the layer's forward input and output. */
static qlr_status_t layer_backward(const qlr_cl_layer_t *l, uint32_t b, const float *x, const float *y, float *dy,
                                   float *dx, int need_dx)
{
    size_t count = (size_t)b * l->oh * l->ow * l->oc;
    qlr_status_t st = QLR_OK;
    if (l->act == QLR_CL_ACT_RELU) {
        qlr_relu_f32_bw(dy, y, dy, count);
    } else if (l->act == QLR_CL_ACT_RELU6) {
        qlr_relu6_f32_bw(dy, y, dy, count);
    }
    switch (l->kind) {
    case QLR_CL_PWCONV: {
        uint32_t px = b * l->ih * l->iw;
        qlr_pwconv_f32_bw_weight_args_t w = {px, l->ic, l->oc, x, dy, l->dw, l->db, 0};
        st = qlr_pwconv_f32_bw_weight(&w);
        if (st == QLR_OK && need_dx) {
            qlr_pwconv_f32_bw_input_args_t a = {px, l->ic, l->oc, dy, l->w, dx};
            st = qlr_pwconv_f32_bw_input(&a);
        }
        break;
    }
    case QLR_CL_LINEAR: {
        uint32_t in = l->ih * l->iw * l->ic;
        qlr_linear_f32_bw_weight_args_t w = {b, in, l->oc, x, dy, l->dw, l->db, 0};
        st = qlr_linear_f32_bw_weight(&w);
        if (st == QLR_OK && need_dx) {
            qlr_linear_f32_bw_input_args_t a = {b, in, l->oc, dy, l->w, dx};
            st = qlr_linear_f32_bw_input(&a);
        }
        break;
    }
    case QLR_CL_DWCONV: {
        qlr_dwconv2d_f32_bw_weight_args_t w = {window(l, b), x, dy, l->dw, l->db, 0};
        st = qlr_dwconv2d_f32_bw_weight(&w);
        if (st == QLR_OK && need_dx) {
            qlr_dwconv2d_f32_bw_input_args_t a = {window(l, b), dy, l->w, dx};
            st = qlr_dwconv2d_f32_bw_input(&a);
        }
        break;
    }
    case QLR_CL_AVGPOOL:
        if (need_dx) {
            qlr_avgpool_f32_bw_args_t a = {window(l, b), dy, dx};
            st = qlr_avgpool_f32_bw(&a);
        }
        break;
    case QLR_CL_GLOBAL_AVGPOOL:
        if (need_dx) {
            qlr_global_avgpool_f32_bw_args_t a = {b, l->ih, l->iw, l->ic, dy, dx};
            st = qlr_global_avgpool_f32_bw(&a);
        }
        break;
    case QLR_CL_FLATTEN:
        if (need_dx) {
            if (qlr_core_id() == 0u) {
                memcpy(dx, dy, count * sizeof(float));
            }
            qlr_team_barrier();
        }
        break;
    case QLR_CL_RELU:
        if (need_dx) {
            qlr_relu_f32_bw(dy, y, dx, count);
        }
        break;
    case QLR_CL_RELU6:
        if (need_dx) {
            qlr_relu6_f32_bw(dy, y, dx, count);
        }
        break;
    default:
        return QLR_E_UNSUPPORTED;
    }
    return st;
}

typedef struct {
    qlr_cl_backend_t *bk;
    uint32_t batch;
    int train;
    int32_t *pred;
    float loss;
    qlr_status_t status;
    qlr_cl_step_counters_t counters;
} step_t;

static void step_task(void *arg)
{
    step_t *s = arg;
    qlr_cl_backend_t *bk = s->bk;
    unsigned me = qlr_core_id();
    qlr_status_t st = QLR_OK;
    uint64_t t0 = me == 0u ? qlr_counter() : 0u;
    for (unsigned i = 0; i < bk->n && st == QLR_OK; i++) {
        st = layer_forward(&bk->layer[i], s->batch, bk->act[i], bk->act[i + 1u]);
    }
    const qlr_cl_layer_t *last = &bk->layer[bk->n - 1u];
    uint32_t k = last->oh * last->ow * last->oc;
    if (!s->train) {
        if (st == QLR_OK) {
            uint32_t r0, r1, per = s->batch / qlr_core_count(), rem = s->batch % qlr_core_count();
            r0 = me * per + (me < rem ? me : rem);
            r1 = r0 + per + (me < rem ? 1u : 0u);
            for (uint32_t r = r0; r < r1; r++) {
                const float *z = bk->act[bk->n] + (size_t)r * k;
                uint32_t best = 0;
                for (uint32_t j = 1; j < k; j++) {
                    if (z[j] > z[best]) {
                        best = j;
                    }
                }
                s->pred[r] = (int32_t)best;
            }
        }
        qlr_team_barrier();
        if (me == 0u) {
            s->status = st;
        }
        return;
    }
    qlr_softmax_xent_f32_args_t xa = {s->batch, k, bk->act[bk->n], bk->labels, bk->grad[0], bk->row_loss, &s->loss};
    if (st == QLR_OK) {
        st = qlr_softmax_xent_f32(&xa);
    }
    uint64_t t1 = me == 0u ? qlr_counter() : 0u;
    /* The first layer with parameters: no input gradient is needed below it. */
    unsigned first = 0;
    while (first < bk->n && !has_params(&bk->layer[first])) {
        first++;
    }
    unsigned cur = 0;
    for (unsigned i = bk->n; i-- > first && st == QLR_OK;) {
        int need_dx = i > first;
        st = layer_backward(&bk->layer[i], s->batch, bk->act[i], bk->act[i + 1u], bk->grad[cur], bk->grad[cur ^ 1u],
                            need_dx);
        cur ^= 1u;
    }
    uint64_t t2 = me == 0u ? qlr_counter() : 0u;
    for (unsigned i = first; i < bk->n && st == QLR_OK; i++) {
        qlr_cl_layer_t *l = &bk->layer[i];
        if (!has_params(l)) {
            continue;
        }
        qlr_sgd_f32_args_t w = {l->w, l->dw, l->vw, l->nw, bk->lr, bk->momentum, bk->weight_decay};
        qlr_sgd_f32(&w);
        if (l->b != NULL) {
            qlr_sgd_f32_args_t bb = {l->b, l->db, l->vb, l->nb, bk->lr, bk->momentum, bk->weight_decay};
            qlr_sgd_f32(&bb);
        }
    }
    qlr_team_barrier();
    if (me == 0u) {
        uint64_t t3 = qlr_counter();
        s->counters.forward = t1 - t0;
        s->counters.backward = t2 - t1;
        s->counters.update = t3 - t2;
        s->status = st;
    }
}

static qlr_status_t run_step(step_t *s, unsigned cores)
{
    if (s->batch == 0u || s->batch > s->bk->batch_max) {
        return QLR_E_ARG;
    }
    s->status = QLR_OK;
    qlr_team_fork(cores, step_task, s);
    return s->status;
}

qlr_status_t qlr_cl_backend_train_step(qlr_cl_backend_t *bk, uint32_t batch, unsigned cores, float *loss,
                                       qlr_cl_step_counters_t *counters)
{
    step_t s;
    memset(&s, 0, sizeof s);
    s.bk = bk;
    s.batch = batch;
    s.train = 1;
    qlr_status_t st = run_step(&s, cores);
    *loss = s.loss;
    if (counters != NULL) {
        *counters = s.counters;
    }
    return st;
}

qlr_status_t qlr_cl_backend_predict(qlr_cl_backend_t *bk, uint32_t batch, unsigned cores, int32_t *pred)
{
    step_t s;
    memset(&s, 0, sizeof s);
    s.bk = bk;
    s.batch = batch;
    s.pred = pred;
    return run_step(&s, cores);
}

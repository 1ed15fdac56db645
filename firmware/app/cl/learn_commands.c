/*
 * CL_SETUP, CL_EVENT and CL_EVAL (learn_commands.h; payloads decoded and encoded by
 * qlr_commands.h, generated from host/qlr/link/commands.py): the learning session on the image
 * opened by CL_IMAGE_OPEN, laid out by the host's memory plan (qlr/cl_plan.h). Every field is
 * checked before use; a configuration the plan does not hold is refused with the plan's message.
 */
#include "learn_commands.h"

#include <string.h>

#include "image_commands.h"
#include "qlr/cl_event.h"
#include "qlr/cl_frontend.h"
#include "qlr/cl_plan.h"
#include "qlr/image.h"
#include "qlr/runtime.h"

static qlr_cl_t g_cl;
static int g_ready;

static int map_kind(uint8_t kind, qlr_cl_kind_t *out)
{
    switch (kind) {
    case QLR_LAYER_PWCONV: *out = QLR_CL_PWCONV; return 0;
    case QLR_LAYER_DWCONV2D: *out = QLR_CL_DWCONV; return 0;
    case QLR_LAYER_LINEAR: *out = QLR_CL_LINEAR; return 0;
    case QLR_LAYER_AVGPOOL: *out = QLR_CL_AVGPOOL; return 0;
    case QLR_LAYER_GLOBAL_AVGPOOL: *out = QLR_CL_GLOBAL_AVGPOOL; return 0;
    case QLR_LAYER_FLATTEN: *out = QLR_CL_FLATTEN; return 0;
    case QLR_LAYER_RELU: *out = QLR_CL_RELU; return 0;
    case QLR_LAYER_RELU6: *out = QLR_CL_RELU6; return 0;
    default: return -1;
    }
}

/* The back-end chain (kinds and shapes) from the image's BACK layers; buffers come from the plan. */
static const char *build_backend(const qlr_image_t *img, qlr_cl_backend_t *bk)
{
    memset(bk, 0, sizeof *bk);
    if (img->back_count == 0u || img->back_count > QLR_CL_MAX_LAYERS) {
        return "image: the back-end needs 1..16 layers";
    }
    for (uint32_t i = 0; i < img->back_count; i++) {
        uint32_t pos = img->front_count + i;
        qlr_layer_t L;
        qlr_layer_params_t P;
        if (qlr_image_layer(img, pos, &L) != 0 || qlr_image_layer_params(img, pos, &P) != 0) {
            return "image: back-end layer out of range";
        }
        qlr_cl_layer_t *l = &bk->layer[i];
        if (map_kind(L.kind, &l->kind) != 0) {
            return "image: a back-end layer kind is not trainable on the device";
        }
        if (L.input0 != (uint16_t)(pos - 1u)) {
            return "image: the back-end must be a chain (each layer reads the previous one)";
        }
        l->pos = pos;
        l->act = L.act == QLR_ACT_RELU ? QLR_CL_ACT_RELU : L.act == QLR_ACT_RELU6 ? QLR_CL_ACT_RELU6 : QLR_CL_ACT_NONE;
        l->ih = L.in_h, l->iw = L.in_w, l->ic = L.in_c;
        l->oh = L.out_h, l->ow = L.out_w, l->oc = L.out_c;
        l->kh = L.kernel_h, l->kw = L.kernel_w, l->sh = L.stride_h, l->sw = L.stride_w;
        l->pad[0] = L.pad_top, l->pad[1] = L.pad_bottom, l->pad[2] = L.pad_left, l->pad[3] = L.pad_right;
        if (P.be_weight != NULL) {
            l->nw = P.weight_count;
            l->nb = P.be_bias != NULL ? L.out_c : 0u;
        }
    }
    bk->n = img->back_count;
    return NULL;
}

/* Fills `b` (L2 or streamed L3) with `bytes` from src, or with zeros when src is NULL (through the
 * first staging buffer in L3). */
static int fill_buf(const qlr_cl_buf_t *b, const void *src, size_t bytes, uint8_t *zeros, uint32_t zero_bytes)
{
    if (bytes == 0u) {
        return 0;
    }
    if (b->level != QLR_MEM_L3) {
        if (src != NULL) {
            memcpy(b->ptr, src, bytes);
        } else {
            memset(b->ptr, 0, bytes);
        }
        return 0;
    }
    if (src != NULL) {
        return qlr_l3_write(b->offset, src, bytes);
    }
    if (zeros == NULL || zero_bytes == 0u) {
        return -1;
    }
    memset(zeros, 0, zero_bytes);
    for (size_t at = 0; at < bytes; at += zero_bytes) {
        size_t n = bytes - at < zero_bytes ? bytes - at : zero_bytes;
        if (qlr_l3_write(b->offset + (uint32_t)at, zeros, n) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The image's back-end parameters into their planned buffers; momentum zero (the host writes a
 * resumed run's momentum after the reply); the LR memory's filled rows and labels into L3. */
static const char *load_state(qlr_cl_t *cl, const qlr_image_t *img)
{
    qlr_cl_backend_t *bk = &cl->bk;
    for (unsigned i = 0; i < bk->n; i++) {
        qlr_cl_layer_t *l = &bk->layer[i];
        qlr_layer_params_t P;
        if (l->nw == 0u || qlr_image_layer_params(img, l->pos, &P) != 0) {
            continue;
        }
        if (fill_buf(&l->w, P.be_weight, 4u * (size_t)l->nw, NULL, 0) != 0 ||
            fill_buf(&l->b, P.be_bias, 4u * (size_t)l->nb, NULL, 0) != 0 ||
            fill_buf(&l->vw, NULL, l->vw.size != 0u ? 4u * (size_t)l->nw : 0u, bk->stage[0], bk->stage_bytes) != 0 ||
            fill_buf(&l->vb, NULL, l->vb.size != 0u ? 4u * (size_t)l->nb : 0u, NULL, 0) != 0) {
            return "L3 write refused while loading the back-end parameters";
        }
    }
    for (uint32_t s = 0; s < cl->filled; s++) {
        if (qlr_l3_write(cl->lr_rows.offset + s * cl->row_bytes, img->lr_latents + (size_t)s * img->lr_row_bytes,
                         cl->row_bytes) != 0 ||
            qlr_l3_write(cl->lr_labels.offset + 2u * s, &img->lr_labels[s], 2u) != 0) {
            return "L3 write refused while loading the LR memory";
        }
        cl->labels[s] = img->lr_labels[s];
    }
    return NULL;
}

static qlr_status_t front_hook(void *ctx, const uint8_t *image, uint8_t *row, unsigned cores)
{
    const qlr_cl_t *cl = ctx;
    return qlr_cl_frontend_row(image, row, cl->cfg.q_bits, cores);
}

/* The plan from L3 into the plan reader's own copy. */
static const char *read_plan(uint32_t off, uint32_t len)
{
    static uint8_t blob[QLR_CL_PLAN_MAX_BYTES];
    if (len > sizeof blob || qlr_l3_read(blob, off, len) != 0) {
        return "the plan (L3 offset, length) is outside L3 or longer than 8192 bytes";
    }
    return qlr_cl_plan_load(blob, len);
}

/* Everything about the session the plan, the image and the request must agree on. */
static const char *configure(qlr_cl_t *cl, const qlr_image_t *img, const qlr_cl_setup_request_t *q)
{
    const qlr_cl_plan_info_t *pi = qlr_cl_plan_info();
    qlr_cl_config_t *c = &cl->cfg;
    c->n_lr = pi->n_lr, c->q_bits = pi->q_lr, c->epochs = pi->epochs, c->mb = pi->mb, c->ub = pi->ub;
    c->n_max = pi->n_new, c->n_eval = pi->n_eval;
    c->lr = q->lr;
    c->momentum = q->momentum;
    c->weight_decay = q->weight_decay;
    _Static_assert(sizeof q->rng == sizeof cl->rng.s, "the request's RNG state is the session's");
    for (unsigned i = 0; i < 4u; i++) {
        cl->rng.s[i] = q->rng[i];
    }
    cl->filled = q->filled;
    cl->updates = q->updates;
    cl->events = q->events;
    c->cores = q->cores;
    if (c->cores == 0u || c->cores > qlr_team_max()) {
        return "cores must be 1..team size";
    }
    if (cl->filled > c->n_lr || (cl->rng.s[0] | cl->rng.s[1] | cl->rng.s[2] | cl->rng.s[3]) == 0u) {
        return "filled > n_lr, or an all-zero RNG state";
    }
    if (img->lr_count != cl->filled || (img->lr_count != 0u && img->lr_bits != c->q_bits)) {
        return "the image's LR memory must hold exactly the filled slots at the plan's Q_LR";
    }
    const char *bad = build_backend(img, &cl->bk);
    if (bad == NULL && qlr_cl_backend_act_elems(&cl->bk, 0) != img->latent_elements) {
        bad = "image: the back-end input is not the latent";
    }
    cl->elems = (uint32_t)img->latent_elements;
    cl->channels = img->latent_c;
    cl->image_bytes = img->in_h * img->in_w * img->in_c;
    cl->row_bytes = (cl->elems * c->q_bits + 7u) / 8u;
    cl->classes = qlr_cl_backend_act_elems(&cl->bk, cl->bk.n);
    if (bad == NULL && pi->row_bytes != cl->row_bytes) {
        bad = "the plan's latent row is not the image's at the plan's Q_LR";
    }
    cl->front = front_hook;
    cl->front_ctx = cl;
    cl->progress = qlr_link_progress;
    return bad;
}

qlr_link_status_t qlr_cmd_cl_setup(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_cl_setup_request_t q;
    qlr_link_status_t ls = qlr_cl_setup_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    const qlr_image_t *img = qlr_cl_image();
    if (img == NULL) {
        reply->message = "no image open (CL_IMAGE_OPEN first)";
        return QLR_LINK_E_ARGUMENT;
    }
    g_ready = 0;
    qlr_cl_t *cl = &g_cl;
    memset(cl, 0, sizeof *cl);
    const char *bad = read_plan(q.plan, q.plan_len);
    qlr_cl_buf_t image;
    if (bad == NULL) {
        bad = qlr_cl_plan_bind("image", img->size, 0, 0, &image);
    }
    if (bad == NULL && image.ptr != img->data) {
        bad = "plan: the open image is not where the plan's buffer 'image' is";
    }
    if (bad == NULL) {
        bad = configure(cl, img, &q);
    }
    if (bad == NULL) {
        bad = qlr_cl_bind(cl);
    }
    qlr_cl_buf_t fe;
    size_t fe_size = qlr_frontend_scratch_size(img);
    if (bad == NULL) {
        bad = fe_size == 0u ? "image: the front-end cannot run on this board"
                            : qlr_cl_plan_bind("fe.scratch", fe_size, 0, 0, &fe);
    }
    if (bad == NULL && qlr_cl_frontend_prepare(img, fe.ptr, fe.size) != QLR_OK) {
        bad = "image: the front-end could not be prepared";
    }
    if (bad == NULL) {
        bad = load_state(cl, img);
    }
    if (bad != NULL) {
        reply->message = bad;
        return QLR_LINK_E_ARGUMENT;
    }
    g_ready = 1;
    const qlr_cl_setup_reply_t r = {.elems = cl->elems, .row_bytes = cl->row_bytes, .ub = cl->cfg.ub,
                                    .classes = cl->classes};
    reply->len = qlr_cl_setup_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}

/* The session a request needs (set up by CL_SETUP) when its count n is in 1..max; else NULL with
 * the reason in reply->message. */
static qlr_cl_t *session_for(uint32_t n, uint32_t max, const char *range_message, qlr_link_reply_t *reply)
{
    if (!g_ready) {
        reply->message = "no session (CL_SETUP first)";
        return NULL;
    }
    if (n == 0u || n > max) {
        reply->message = range_message;
        return NULL;
    }
    return &g_cl;
}

qlr_link_status_t qlr_cmd_cl_event(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_cl_event_request_t q;
    qlr_link_status_t ls = qlr_cl_event_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    qlr_cl_t *cl = session_for(q.count, g_cl.cfg.n_max, "event size must be 1..n_max", reply);
    if (cl == NULL) {
        return QLR_LINK_E_ARGUMENT;
    }
    uint32_t n = q.count;
    for (uint32_t i = 0; i < n; i++) {
        if (cl->data_labels[i] >= cl->classes) {
            reply->message = "an event label is not below the number of classes";
            return QLR_LINK_E_ARGUMENT;
        }
    }
    qlr_cl_event_report_t rep;
    qlr_status_t st = qlr_cl_event(cl, n, &rep);
    qlr_cl_event_reply_t r = {.status = (uint32_t)st, .cur = rep.mix.cur, .rep = rep.mix.rep,
                              .iterations = rep.mix.iterations, .h = rep.h, .iterations_run = rep.iterations_run,
                              .filled = cl->filled, .updates = cl->updates, .events = cl->events,
                              .micro_batches = rep.micro_batches, .rows_l3 = rep.rows_l3, .data_l3 = rep.data_l3,
                              .params_l3_to_l2 = rep.params.l3_to_l2, .params_l2_to_l3 = rep.params.l2_to_l3,
                              .chunks = rep.params.chunks, .tiles = rep.tiles};
    _Static_assert(sizeof r.rng / sizeof r.rng[0] == 4u && sizeof r.counters / sizeof r.counters[0] == QLR_CL_PHASES,
                   "the CL_EVENT reply holds the RNG state and one counter per phase");
    for (unsigned i = 0; i < 4u; i++) {
        r.rng[i] = cl->rng.s[i];
    }
    for (unsigned i = 0; i < QLR_CL_PHASES; i++) {
        r.counters[i] = rep.counter[i];
    }
    reply->len = qlr_cl_event_reply_encode(reply->data, &r);
    if (st != QLR_OK) {
        g_ready = 0; /* the state is no longer the host's: it must set up again */
    }
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_cl_eval(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_cl_eval_request_t q;
    qlr_link_status_t ls = qlr_cl_eval_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    qlr_cl_t *cl = session_for(q.count, g_cl.cfg.n_eval, "test image count must be 1..the plan's n_eval", reply);
    if (cl == NULL) {
        return QLR_LINK_E_ARGUMENT;
    }
    uint32_t n = q.count;
    uint32_t correct = 0;
    uint64_t fc = 0, bc = 0;
    qlr_status_t st = qlr_cl_evaluate(cl, n, &correct, &fc, &bc);
    const qlr_cl_eval_reply_t r = {.status = (uint32_t)st, .correct = correct, .front = fc, .back = bc};
    reply->len = qlr_cl_eval_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}

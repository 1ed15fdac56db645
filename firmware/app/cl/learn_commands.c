/*
 * CL_SETUP, CL_EVENT and CL_EVAL (learn_commands.h): the learning session on the image opened
 * by CL_IMAGE_OPEN. Offsets in requests and replies are relative to the L2 window (the MEM_*
 * window) or the L3 window. Every field is checked before use.
 */
#include "learn_commands.h"

#include <string.h>

#include "image_commands.h"
#include "qlr/cl_event.h"
#include "qlr/cl_frontend.h"
#include "qlr/image.h"
#include "qlr/runtime.h"

static qlr_cl_t g_cl;
static int g_ready;

static float get_f32(const uint8_t *p)
{
    uint32_t u = qlr_link_get_u32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t l2_offset(const void *p)
{
    return (uint32_t)((uintptr_t)p - qlr_mem_region(QLR_MEM_L2).base);
}

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

/* The back-end chain from the image's BACK layers, parameters pointing into the image. */
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
        l->act = L.act == QLR_ACT_RELU ? QLR_CL_ACT_RELU : L.act == QLR_ACT_RELU6 ? QLR_CL_ACT_RELU6 : QLR_CL_ACT_NONE;
        l->ih = L.in_h, l->iw = L.in_w, l->ic = L.in_c;
        l->oh = L.out_h, l->ow = L.out_w, l->oc = L.out_c;
        l->kh = L.kernel_h, l->kw = L.kernel_w, l->sh = L.stride_h, l->sw = L.stride_w;
        l->pad[0] = L.pad_top, l->pad[1] = L.pad_bottom, l->pad[2] = L.pad_left, l->pad[3] = L.pad_right;
        if (P.be_weight != NULL) {
            l->w = (float *)(uintptr_t)P.be_weight; /* repointed to a writable copy after layout */
            l->nw = P.weight_count;
            if (P.be_bias != NULL) {
                l->b = (float *)(uintptr_t)P.be_bias;
                l->nb = L.out_c;
            }
        }
    }
    bk->n = img->back_count;
    return NULL;
}

static qlr_status_t front_hook(void *ctx, const uint8_t *image, uint8_t *latent, unsigned cores)
{
    (void)ctx;
    return qlr_cl_frontend_one(image, latent, cores);
}

qlr_link_status_t qlr_cmd_cl_setup(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (req->len != 76u) {
        reply->message = "CL_SETUP takes 76 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const qlr_image_t *img = qlr_cl_image();
    if (img == NULL) {
        reply->message = "no image open (CL_IMAGE_OPEN first)";
        return QLR_LINK_E_ARGUMENT;
    }
    g_ready = 0;
    qlr_cl_t *cl = &g_cl;
    memset(cl, 0, sizeof *cl);
    uint32_t work_off = qlr_link_get_u32(p), work_size = qlr_link_get_u32(p + 4);
    qlr_cl_config_t *c = &cl->cfg;
    c->n_lr = qlr_link_get_u32(p + 8);
    c->q_bits = qlr_link_get_u32(p + 12);
    c->epochs = qlr_link_get_u32(p + 16);
    c->mb = qlr_link_get_u32(p + 20);
    c->n_max = qlr_link_get_u32(p + 24);
    c->lr = get_f32(p + 28);
    c->momentum = get_f32(p + 32);
    c->weight_decay = get_f32(p + 36);
    c->scale = get_f32(p + 40);
    for (unsigned i = 0; i < 4u; i++) {
        cl->rng.s[i] = qlr_link_get_u32(p + 44 + (size_t)4u * i);
    }
    cl->filled = qlr_link_get_u32(p + 60);
    cl->updates = qlr_link_get_u32(p + 64);
    cl->events = qlr_link_get_u32(p + 68);
    c->cores = qlr_link_get_u32(p + 72);
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2);
    if ((work_off & 63u) != 0u || (size_t)work_off > l2.size || (size_t)work_size > l2.size - work_off) {
        reply->message = "work area outside the L2 window or not 64-byte aligned";
        return QLR_LINK_E_RANGE;
    }
    if (c->cores == 0u || c->cores > qlr_team_max()) {
        reply->message = "cores must be 1..team size";
        return QLR_LINK_E_ARGUMENT;
    }
    if (cl->filled > c->n_lr || (cl->rng.s[0] | cl->rng.s[1] | cl->rng.s[2] | cl->rng.s[3]) == 0u) {
        reply->message = "filled > n_lr, or an all-zero RNG state";
        return QLR_LINK_E_ARGUMENT;
    }
    if (img->lr_count != cl->filled || (img->lr_count != 0u && img->lr_bits != c->q_bits)) {
        reply->message = "the image's LR memory must hold exactly the filled slots at q_bits";
        return QLR_LINK_E_ARGUMENT;
    }
    const char *bad = build_backend(img, &cl->bk);
    if (bad == NULL && qlr_cl_backend_act_elems(&cl->bk, 0) != img->latent_elements) {
        bad = "image: the back-end input is not the latent";
    }
    cl->image_bytes = img->in_h * img->in_w * img->in_c;
    cl->front = front_hook;
    if (bad == NULL) {
        bad = qlr_cl_layout(cl, (uint8_t *)l2.base + work_off, work_size);
    }
    /* writable copies of the back-end parameters */
    for (unsigned i = 0; bad == NULL && i < cl->bk.n; i++) {
        qlr_cl_layer_t *l = &cl->bk.layer[i];
        if (l->nw == 0u) {
            continue;
        }
        float *w = qlr_cl_alloc(cl, (size_t)4u * l->nw);
        float *b = l->nb != 0u ? qlr_cl_alloc(cl, (size_t)4u * l->nb) : NULL;
        if (w == NULL || (l->nb != 0u && b == NULL)) {
            bad = "L2 work area too small for the back-end parameters";
            break;
        }
        memcpy(w, l->w, (size_t)4u * l->nw);
        l->w = w;
        if (b != NULL) {
            memcpy(b, l->b, (size_t)4u * l->nb);
            l->b = b;
        }
    }
    if (bad == NULL) {
        size_t fe_size = qlr_frontend_scratch_size(img);
        void *fe_scratch = fe_size != 0u ? qlr_cl_alloc(cl, fe_size) : NULL;
        if (fe_scratch == NULL) {
            bad = fe_size == 0u ? "image: the front-end cannot run on this board"
                                : "L2 work area too small for the front-end buffers";
        } else if (qlr_cl_frontend_prepare(img, fe_scratch, fe_size) != QLR_OK) {
            bad = "image: the front-end could not be prepared";
        }
    }
    if (bad != NULL) {
        reply->message = bad;
        return QLR_LINK_E_ARGUMENT;
    }
    /* LR memory: the image's filled rows and labels go to L3, the labels also to L2. */
    for (uint32_t s = 0; s < cl->filled; s++) {
        if (qlr_l3_write(cl->l3_rows + s * cl->row_bytes, img->lr_latents + (size_t)s * img->lr_row_bytes,
                         cl->row_bytes) != 0 ||
            qlr_l3_write(cl->l3_labels + 2u * s, &img->lr_labels[s], 2u) != 0) {
            reply->message = "L3 write refused while loading the LR memory";
            return QLR_LINK_E_DEVICE;
        }
        cl->labels[s] = img->lr_labels[s];
    }
    g_ready = 1;
    uint8_t *d = reply->data;
    qlr_link_put_u32(d + 0, cl->elems);
    qlr_link_put_u32(d + 4, cl->row_bytes);
    qlr_link_put_u32(d + 8, cl->l3_rows);
    qlr_link_put_u32(d + 12, cl->l3_labels);
    qlr_link_put_u32(d + 16, cl->l3_end);
    qlr_link_put_u32(d + 20, (uint32_t)cl->used);
    qlr_link_put_u32(d + 24, l2_offset(cl->losses));
    qlr_link_put_u32(d + 28, l2_offset(cl->new_codes));
    qlr_link_put_u32(d + 32, l2_offset(cl->new_index));
    qlr_link_put_u32(d + 36, l2_offset(cl->slots));
    uint32_t n = 0;
    size_t at = 44;
    for (unsigned i = 0; i < cl->bk.n; i++) {
        const qlr_cl_layer_t *l = &cl->bk.layer[i];
        for (unsigned k = 0; k < 2u; k++) {
            const float *v = k == 0u ? l->w : l->b;
            const float *m = k == 0u ? l->vw : l->vb;
            uint32_t cnt = k == 0u ? l->nw : l->nb;
            if (v == NULL || cnt == 0u) {
                continue;
            }
            qlr_link_put_u32(d + at, l2_offset(v));
            qlr_link_put_u32(d + at + 4, cnt);
            qlr_link_put_u32(d + at + 8, l2_offset(m));
            qlr_link_put_u32(d + at + 12, i | (k << 16)); /* back-end layer, 0 weight / 1 bias */
            at += 16;
            n++;
        }
    }
    qlr_link_put_u32(d + 40, n);
    reply->len = at;
    return QLR_LINK_OK;
}

static void put_state(uint8_t *d, const qlr_cl_t *cl)
{
    qlr_link_put_u32(d + 0, cl->filled);
    qlr_link_put_u32(d + 4, cl->updates);
    qlr_link_put_u32(d + 8, cl->events);
    for (unsigned i = 0; i < 4u; i++) {
        qlr_link_put_u32(d + 12 + (size_t)4u * i, cl->rng.s[i]);
    }
}

qlr_link_status_t qlr_cmd_cl_event(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (req->len != 12u) {
        reply->message = "CL_EVENT takes images offset, labels offset, count";
        return QLR_LINK_E_LENGTH;
    }
    if (!g_ready) {
        reply->message = "no session (CL_SETUP first)";
        return QLR_LINK_E_ARGUMENT;
    }
    qlr_cl_t *cl = &g_cl;
    uint32_t img_off = qlr_link_get_u32(p), lab_off = qlr_link_get_u32(p + 4), n = qlr_link_get_u32(p + 8);
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2);
    if (n == 0u || n > cl->cfg.n_max) {
        reply->message = "event size must be 1..n_max";
        return QLR_LINK_E_ARGUMENT;
    }
    uint64_t img_bytes = (uint64_t)n * cl->image_bytes;
    if ((lab_off & 1u) != 0u || (uint64_t)img_off + img_bytes > l2.size || (uint64_t)lab_off + (uint64_t)2u * n > l2.size) {
        reply->message = "event images or labels outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    const uint16_t *labels = (const uint16_t *)(l2.base + lab_off);
    uint32_t classes = qlr_cl_backend_act_elems(&cl->bk, cl->bk.n);
    for (uint32_t i = 0; i < n; i++) {
        if (labels[i] >= classes) {
            reply->message = "an event label is not below the number of classes";
            return QLR_LINK_E_ARGUMENT;
        }
    }
    qlr_cl_event_report_t rep;
    qlr_status_t st = qlr_cl_event(cl, (const uint8_t *)(l2.base + img_off), labels, n, &rep);
    uint8_t *d = reply->data;
    qlr_link_put_u32(d + 0, (uint32_t)st);
    qlr_link_put_u32(d + 4, rep.mix.cur);
    qlr_link_put_u32(d + 8, rep.mix.rep);
    qlr_link_put_u32(d + 12, rep.mix.iterations);
    qlr_link_put_u32(d + 16, rep.h);
    qlr_link_put_u32(d + 20, rep.iterations_run);
    put_state(d + 24, cl);
    for (unsigned i = 0; i < QLR_CL_PHASES; i++) {
        qlr_link_put_u64(d + 52 + (size_t)8u * i, rep.counter[i]);
    }
    qlr_link_put_u32(d + 92, (uint32_t)cl->used);
    qlr_link_put_u32(d + 96, cl->l3_end);
    reply->len = 100;
    if (st != QLR_OK) {
        g_ready = 0; /* the state is no longer the host's: it must set up again */
    }
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_cl_eval(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (req->len != 16u) {
        reply->message = "CL_EVAL takes L3 images, L3 labels, count, L2 predictions offset";
        return QLR_LINK_E_LENGTH;
    }
    if (!g_ready) {
        reply->message = "no session (CL_SETUP first)";
        return QLR_LINK_E_ARGUMENT;
    }
    qlr_cl_t *cl = &g_cl;
    uint32_t l3i = qlr_link_get_u32(p), l3l = qlr_link_get_u32(p + 4), n = qlr_link_get_u32(p + 8);
    uint32_t pred_off = qlr_link_get_u32(p + 12);
    qlr_mem_region_t l2 = qlr_mem_region(QLR_MEM_L2), l3 = qlr_mem_region(QLR_MEM_L3);
    if ((pred_off & 1u) != 0u || (uint64_t)pred_off + (uint64_t)2u * n > l2.size ||
        (uint64_t)l3i + (uint64_t)n * cl->image_bytes > l3.size || (uint64_t)l3l + (uint64_t)2u * n > l3.size ||
        (l3i < cl->l3_end) || (l3l < cl->l3_end)) {
        reply->message = "test images/labels must be in L3 after the LR memory, predictions in the L2 window";
        return QLR_LINK_E_RANGE;
    }
    uint32_t correct = 0;
    uint64_t fc = 0, bc = 0;
    qlr_status_t st = qlr_cl_evaluate(cl, l3i, l3l, n, (uint16_t *)(l2.base + pred_off), &correct, &fc, &bc);
    uint8_t *d = reply->data;
    qlr_link_put_u32(d + 0, (uint32_t)st);
    qlr_link_put_u32(d + 4, correct);
    qlr_link_put_u64(d + 8, fc);
    qlr_link_put_u64(d + 16, bc);
    reply->len = 24;
    return QLR_LINK_OK;
}

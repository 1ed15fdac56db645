/*
 * The NETWORK section (docs/image-format.md "Layer record"): each 64-byte record's fields, its
 * links to earlier layers, the output shape its kind, kernel, stride and padding imply, and the
 * quantization chain of the front-end. Mirrors host/qlr/image/content.py validate_layers.
 */
#include "image_internal.h"

/* What the walk over the records knows about the layers before the current one. */
typedef struct {
    const uint8_t *recs;
    qlr_layer_t l0;      /* layer 0: its input is the network input */
    int seen_back;       /* a BACK layer came already */
    int64_t last_front;  /* the last FRONT layer so far (the latent), -1 if none */
} walk_t;

void qlr_img_decode_layer(const uint8_t *p, qlr_layer_t *r)
{
    r->kind = p[0];
    r->act = p[1];
    r->stage = p[2];
    r->flags = p[3];
    r->input0 = qlr_img_rd16(p + 4);
    r->input1 = qlr_img_rd16(p + 6);
    r->in_h = qlr_img_rd16(p + 8);
    r->in_w = qlr_img_rd16(p + 10);
    r->in_c = qlr_img_rd32(p + 12);
    r->out_h = qlr_img_rd16(p + 16);
    r->out_w = qlr_img_rd16(p + 18);
    r->out_c = qlr_img_rd32(p + 20);
    r->kernel_h = p[24];
    r->kernel_w = p[25];
    r->stride_h = p[26];
    r->stride_w = p[27];
    r->pad_top = p[28];
    r->pad_bottom = p[29];
    r->pad_left = p[30];
    r->pad_right = p[31];
    r->in_zp = p[32];
    r->out_zp = p[33];
    r->act_min = p[34];
    r->act_max = p[35];
    r->w_zp = (int8_t)p[36];
    r->in_zp_b = p[37];
    r->index = (int16_t)qlr_img_rd16(p + 38);
    r->in_scale = qlr_img_f32(qlr_img_rd32(p + 40));
    r->out_scale = qlr_img_f32(qlr_img_rd32(p + 44));
    r->in_scale_b = qlr_img_f32(qlr_img_rd32(p + 48));
}

static void record(const walk_t *w, uint32_t i, qlr_layer_t *r)
{
    qlr_img_decode_layer(w->recs + (size_t)QLR_IMAGE_LAYER_SIZE * i, r);
}

/* The output shape of a window kind (conv2d, dwconv2d, avgpool); NULL or why it cannot be. */
static const char *window_out(const qlr_layer_t *r, const char **field, uint64_t *oh, uint64_t *ow)
{
    uint64_t h = r->in_h, w = r->in_w;
    unsigned kh = r->kernel_h, kw = r->kernel_w, sh = r->stride_h, sw = r->stride_w;
    unsigned pt = r->pad_top, pb = r->pad_bottom, pl = r->pad_left, pr = r->pad_right;
    *field = "kernel";
    if (kh < 1u || kw < 1u || sh < 1u || sw < 1u) {
        return "kernel and stride must be >= 1";
    }
    if (h + pt + pb < kh || w + pl + pr < kw) {
        return "does not fit the padded input";
    }
    if (r->kind == QLR_LAYER_AVGPOOL && ((pt > pb ? pt : pb) >= kh || (pl > pr ? pl : pr) >= kw)) {
        *field = "padding";
        return "must be smaller than the kernel";
    }
    *oh = (h + pt + pb - kh) / sh + 1u;
    *ow = (w + pl + pr - kw) / sw + 1u;
    return NULL;
}

/* The output shape a record implies (64-bit: a flatten may exceed 2^32); NULL or why it cannot be. */
static const char *expected_out(const qlr_layer_t *r, const char **field, uint64_t *oh, uint64_t *ow, uint64_t *oc)
{
    uint64_t h = r->in_h, w = r->in_w, c = r->in_c;
    if (qlr_img_is_window_kind(r->kind)) {
        *oc = r->kind == QLR_LAYER_CONV2D ? r->out_c : c;
        return window_out(r, field, oh, ow);
    }
    if (r->kernel_h | r->kernel_w | r->stride_h | r->stride_w | r->pad_top | r->pad_bottom | r->pad_left |
        r->pad_right) {
        *field = "kernel";
        return "'kernel', 'stride', 'padding' must be 0 for this kind";
    }
    *oh = h;
    *ow = w;
    *oc = c;
    if (r->kind == QLR_LAYER_PWCONV) {
        *oc = r->out_c;
    } else if (r->kind == QLR_LAYER_LINEAR) {
        if (h != 1u || w != 1u) {
            *field = "in_shape";
            return "a linear layer takes a flat (1, 1, F) input";
        }
        *oc = r->out_c;
    } else if (r->kind == QLR_LAYER_GLOBAL_AVGPOOL) {
        *oh = 1u;
        *ow = 1u;
    } else if (r->kind == QLR_LAYER_FLATTEN) {
        *oh = 1u;
        *ow = 1u;
        *oc = h * w * c;
    }
    return NULL;
}

/* kind, reserved bytes, act, stage (FRONT layers first), flags, non-empty shapes */
static int check_fields(walk_t *w, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    const uint8_t *raw = w->recs + (size_t)QLR_IMAGE_LAYER_SIZE * i;
    unsigned k = r->kind;
    if (k < QLR_LAYER_CONV2D || k > QLR_LAYER_RELU6) {
        qlr_img_err_value(e, k);
        return qlr_img_err_layer(e, i, 0, "kind", "is not a known layer kind");
    }
    if (qlr_img_any_nonzero(raw + 52, 12)) {
        return qlr_img_err_layer(e, i, k, "reserved", "is not all zero");
    }
    if (r->act > QLR_ACT_RELU6) {
        qlr_img_err_value(e, r->act);
        return qlr_img_err_layer(e, i, k, "act", "is not a known activation");
    }
    if (r->act != QLR_ACT_NONE && !qlr_img_is_param_kind(k) && k != QLR_LAYER_ADD) {
        return qlr_img_err_layer(e, i, k, "act", "must be NONE for this kind");
    }
    if (r->stage > QLR_STAGE_BACK) {
        qlr_img_err_value(e, r->stage);
        return qlr_img_err_layer(e, i, k, "stage", "is not FRONT (0) or BACK (1)");
    }
    if ((r->flags & ~QLR_LAYER_HAS_BIAS) != 0u) {
        qlr_img_err_value(e, r->flags);
        return qlr_img_err_layer(e, i, k, "flags", "has unknown bits");
    }
    if ((r->flags & QLR_LAYER_HAS_BIAS) != 0u && !qlr_img_is_param_kind(k)) {
        return qlr_img_err_layer(e, i, k, "flags", "says bias but the kind has no parameters");
    }
    if (r->stage == QLR_STAGE_BACK) {
        w->seen_back = 1;
    } else if (w->seen_back) {
        return qlr_img_err_layer(e, i, k, "stage", "FRONT after a BACK layer (front-end layers come first)");
    } else {
        w->last_front = (int64_t)i;
    }
    if (r->in_h < 1u || r->in_w < 1u || r->in_c < 1u) {
        return qlr_img_err_layer(e, i, k, "in_shape", "needs dims >= 1");
    }
    if (r->out_h < 1u || r->out_w < 1u || r->out_c < 1u) {
        return qlr_img_err_layer(e, i, k, "out_shape", "needs dims >= 1");
    }
    return 0;
}

/* input0/input1: the network input or an earlier layer whose output shape is this one's input */
static int check_links(const walk_t *w, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    unsigned k = r->kind;
    if (k != QLR_LAYER_ADD && r->input1 != QLR_IMAGE_NO_INPUT) {
        return qlr_img_err_layer(e, i, k, "input1", "must be 0xFFFF (only add takes two inputs)");
    }
    if (i == 0u && r->input0 != QLR_IMAGE_NO_INPUT) {
        return qlr_img_err_layer(e, i, k, "input0", "must be the network input (0xFFFF)");
    }
    unsigned nsrc = k == QLR_LAYER_ADD ? 2u : 1u;
    for (unsigned si = 0; si < nsrc; si++) {
        uint32_t src = si == 0u ? r->input0 : r->input1;
        const char *fname = si == 0u ? "input0" : "input1";
        if (src == QLR_IMAGE_NO_INPUT) {
            if (r->in_h != w->l0.in_h || r->in_w != w->l0.in_w || r->in_c != w->l0.in_c) {
                return qlr_img_err_layer(e, i, k, fname, "is the network input but 'in_shape' differs from it");
            }
            if (r->stage == QLR_STAGE_BACK && w->last_front >= 0) {
                return qlr_img_err_layer(e, i, k, fname, "a back-end layer cannot read the network input");
            }
            continue;
        }
        if (src >= i) {
            qlr_img_err_value(e, src);
            return qlr_img_err_layer(e, i, k, fname, "is not an earlier layer");
        }
        qlr_layer_t p;
        record(w, src, &p);
        if (r->stage == QLR_STAGE_BACK && p.stage == QLR_STAGE_FRONT && (int64_t)src != w->last_front) {
            qlr_img_err_value(e, src);
            return qlr_img_err_layer(e, i, k, fname,
                                     "only the latent (the last front-end layer) may cross into the back-end");
        }
        if (p.out_h != r->in_h || p.out_w != r->in_w || p.out_c != r->in_c) {
            qlr_img_err_value(e, src);
            return qlr_img_err_layer(e, i, k, "in_shape", "differs from layer %v's 'out_shape'");
        }
    }
    return 0;
}

static int check_out_shape(uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    unsigned k = r->kind;
    const char *field = NULL;
    uint64_t oh = 0, ow = 0, oc = 0;
    const char *why = expected_out(r, &field, &oh, &ow, &oc);
    if (why != NULL) {
        return qlr_img_err_layer(e, i, k, field, why);
    }
    if (r->out_h != oh || r->out_w != ow || r->out_c != oc) {
        return qlr_img_err_layer(e, i, k, "out_shape", "does not follow from the input shape, kernel, stride and padding");
    }
    if (k == QLR_LAYER_DWCONV2D && r->out_c != r->in_c) {
        return qlr_img_err_layer(e, i, k, "out_shape", "channels must equal the input's");
    }
    return 0;
}

/* A front-end layer's inputs are quantized as their producers' outputs (or the network input). */
static int check_input_quant(const walk_t *w, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    unsigned nsrc = r->kind == QLR_LAYER_ADD ? 2u : 1u;
    for (unsigned si = 0; si < nsrc; si++) {
        uint32_t src = si == 0u ? r->input0 : r->input1;
        uint8_t zp = si == 0u ? r->in_zp : r->in_zp_b;
        float sc = si == 0u ? r->in_scale : r->in_scale_b;
        uint8_t want_zp = w->l0.in_zp;
        float want_sc = w->l0.in_scale;
        if (src != QLR_IMAGE_NO_INPUT) {
            qlr_layer_t p;
            record(w, src, &p);
            want_zp = p.out_zp;
            want_sc = p.out_scale;
        }
        if (zp != want_zp || sc != want_sc) {
            return qlr_img_err_layer(e, i, r->kind, si == 0u ? "in_zp" : "in_zp_b",
                                     "zero point and scale differ from its producer's output quantization");
        }
    }
    return 0;
}

/* Quantization fields: meaningful in a FRONT layer, all zero in a BACK (FP32) one. */
static int check_quant(const walk_t *w, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    unsigned k = r->kind;
    if (r->stage != QLR_STAGE_FRONT) {
        if (r->in_zp != 0u || r->out_zp != 0u || r->act_min != 0u || r->act_max != 0u || r->w_zp != 0 ||
            r->in_zp_b != 0u || r->in_scale != 0.0f || r->out_scale != 0.0f || r->in_scale_b != 0.0f) {
            return qlr_img_err_layer(e, i, k, NULL, "quantization fields must be 0 in a back-end (FP32) layer");
        }
        return 0;
    }
    if (!qlr_img_finite_pos(r->in_scale)) {
        return qlr_img_err_layer(e, i, k, "in_scale", "must be finite and > 0");
    }
    if (!qlr_img_finite_pos(r->out_scale)) {
        return qlr_img_err_layer(e, i, k, "out_scale", "must be finite and > 0");
    }
    if (r->act_min > r->act_max) {
        qlr_img_err_value(e, r->act_min);
        return qlr_img_err_layer(e, i, k, "act_min", "is above 'act_max'");
    }
    if (k == QLR_LAYER_ADD) {
        if (!qlr_img_finite_pos(r->in_scale_b)) {
            return qlr_img_err_layer(e, i, k, "in_scale_b", "must be finite and > 0");
        }
    } else if (r->in_zp_b != 0u || r->in_scale_b != 0.0f) {
        return qlr_img_err_layer(e, i, k, "in_zp_b", "'in_zp_b'/'in_scale_b' are for add layers only (must be 0)");
    }
    if (!qlr_img_is_param_kind(k) && r->w_zp != 0) {
        return qlr_img_err_layer(e, i, k, "w_zp", "must be 0 for a layer without weights");
    }
    if (check_input_quant(w, i, r, e) != 0) {
        return -1;
    }
    if ((k == QLR_LAYER_FLATTEN || k == QLR_LAYER_RELU || k == QLR_LAYER_RELU6) &&
        (r->in_zp != r->out_zp || r->in_scale != r->out_scale)) {
        return qlr_img_err_layer(e, i, k, NULL, "a flatten, relu or relu6 layer must keep its input's scale and zero point");
    }
    return 0;
}

/* The network fields of *img, from valid records. */
static void summarize(qlr_image_t *img, const walk_t *w, uint32_t n)
{
    img->layer_records = w->recs;
    img->layer_count = n;
    img->front_count = (uint32_t)(w->last_front + 1);
    img->back_count = n - img->front_count;
    img->in_h = w->l0.in_h;
    img->in_w = w->l0.in_w;
    img->in_c = w->l0.in_c;
    if (w->last_front >= 0) {
        qlr_layer_t lat;
        record(w, (uint32_t)w->last_front, &lat);
        img->latent_h = lat.out_h;
        img->latent_w = lat.out_w;
        img->latent_c = lat.out_c;
        img->latent_elements = qlr_layer_out_elements(&lat);
    }
    qlr_layer_t last;
    record(w, n - 1u, &last);
    if (last.out_h == 1u && last.out_w == 1u) {
        img->num_classes = last.out_c;
    }
}

int qlr_img_check_layers(qlr_image_t *img, const qlr_section_t *net, qlr_image_error_t *e)
{
    uint32_t n = net->shape[0];
    if (n >= QLR_IMAGE_NO_INPUT) {
        qlr_img_err_value(e, n);
        return qlr_img_err_sec(e, net, "shape[0]", "at most 65534 layers");
    }
    walk_t w = {.recs = net->data, .seen_back = 0, .last_front = -1};
    qlr_img_decode_layer(w.recs, &w.l0);
    for (uint32_t i = 0; i < n; i++) {
        qlr_layer_t r;
        record(&w, i, &r);
        if (check_fields(&w, i, &r, e) != 0 || check_links(&w, i, &r, e) != 0 || check_out_shape(i, &r, e) != 0 ||
            check_quant(&w, i, &r, e) != 0) {
            return -1;
        }
    }
    summarize(img, &w, n);
    return 0;
}

/*
 * A layer's parameter sections (docs/image-format.md "Parameters"): front-end FE_MULT/FE_SHIFT
 * (requantization), FE_WEIGHT/FE_BIAS (int8/int32, with the int32 accumulator's headroom), and
 * back-end BE_WEIGHT/BE_BIAS (finite FP32). Mirrors host/qlr/image/content.py _front_params and
 * the back-end part of decode_image.
 */
#include "image_internal.h"

#define SHIFT_MIN 1u
#define SHIFT_MAX 62u
#define ADD_MULT_LIMIT (1L << 21)
#define ADD_SHIFT_MAX 31u

int qlr_img_shape_is(const qlr_section_t *s, unsigned ndim, const uint32_t *want)
{
    if (s->ndim != ndim) {
        return 0;
    }
    for (unsigned k = 0; k < ndim; k++) {
        if (s->shape[k] != want[k]) {
            return 0;
        }
    }
    return 1;
}

int qlr_img_shape_is1(const qlr_section_t *s, uint32_t d0)
{
    return qlr_img_shape_is(s, 1u, &d0);
}

int qlr_img_check_finite(const qlr_section_t *s, qlr_image_error_t *e)
{
    for (uint64_t k = 0; k < s->count; k++) {
        if (!qlr_img_bits_finite(qlr_img_rd32(s->data + 4u * k))) {
            qlr_img_err_value(e, (int64_t)k);
            return qlr_img_err_sec(e, s, NULL, "contains NaN or infinity (element %v)");
        }
    }
    return 0;
}

/* The section (type, group i) that layer i needs, or an error naming it. */
static int need(const qlr_image_t *img, unsigned type, uint32_t i, unsigned kind, qlr_section_t *s,
                qlr_image_error_t *e)
{
    if (qlr_image_find(img, type, i, s) != 0) {
        return qlr_img_err_missing(e, (int32_t)i, kind, type, i, "is missing");
    }
    return 0;
}

/* The weight shape a parameter layer needs; returns its ndim. */
static unsigned weight_shape(const qlr_layer_t *r, uint32_t *shape)
{
    if (r->kind == QLR_LAYER_CONV2D) {
        shape[0] = r->out_c;
        shape[1] = r->kernel_h;
        shape[2] = r->kernel_w;
        shape[3] = r->in_c;
        return 4u;
    }
    if (r->kind == QLR_LAYER_DWCONV2D) {
        shape[0] = r->kernel_h;
        shape[1] = r->kernel_w;
        shape[2] = r->in_c;
        return 3u;
    }
    shape[0] = r->out_c;
    shape[1] = r->in_c;
    return 2u;
}

/* The weight section of type `type` for layer i, with the shape its record needs. */
static int need_weight(const qlr_image_t *img, unsigned type, uint32_t i, const qlr_layer_t *r, qlr_section_t *ws,
                       qlr_image_error_t *e)
{
    if (need(img, type, i, r->kind, ws, e) != 0) {
        return -1;
    }
    uint32_t wshape[4];
    unsigned wnd = weight_shape(r, wshape);
    if (!qlr_img_shape_is(ws, wnd, wshape)) {
        return qlr_img_err_sec(e, ws, "shape", "does not match the layer's weight shape");
    }
    return 0;
}

/* The bias section of type `type` for layer i when its record says it has one ([Cout]); else
 * bs->data stays NULL. */
static int need_bias(const qlr_image_t *img, unsigned type, uint32_t i, const qlr_layer_t *r, qlr_section_t *bs,
                     qlr_image_error_t *e)
{
    memset(bs, 0, sizeof *bs);
    if ((r->flags & QLR_LAYER_HAS_BIAS) == 0u) {
        return 0;
    }
    if (need(img, type, i, r->kind, bs, e) != 0) {
        return -1;
    }
    if (!qlr_img_shape_is1(bs, r->out_c)) {
        return qlr_img_err_sec(e, bs, "shape", "should be [Cout]");
    }
    return 0;
}

/* An add's (m_a, m_b) and its one shift. */
static int check_add_requant(const qlr_section_t *ms, const qlr_section_t *ss, qlr_image_error_t *e)
{
    if (!qlr_img_shape_is1(ms, 2u)) {
        return qlr_img_err_sec(e, ms, "shape", "should be [2] ((m_a, m_b) of an add)");
    }
    if (!qlr_img_shape_is1(ss, 1u)) {
        return qlr_img_err_sec(e, ss, "shape", "should be [1]");
    }
    for (unsigned t = 0; t < 2u; t++) {
        int32_t m = (int32_t)qlr_img_rd32(ms->data + (size_t)4u * t);
        if (m < 0 || m >= ADD_MULT_LIMIT) {
            qlr_img_err_value(e, m);
            return qlr_img_err_sec(e, ms, NULL, "add multipliers must be in [0, 2**21)");
        }
    }
    if (ss->data[0] < SHIFT_MIN || ss->data[0] > ADD_SHIFT_MAX) {
        qlr_img_err_value(e, ss->data[0]);
        return qlr_img_err_sec(e, ss, NULL, "add shift %v must be in [1, 31]");
    }
    return 0;
}

/* One multiplier and shift per layer or per output channel (pools: per layer). */
static int check_requant(const qlr_layer_t *r, const qlr_section_t *ms, const qlr_section_t *ss,
                         qlr_image_error_t *e)
{
    int pool = r->kind == QLR_LAYER_AVGPOOL || r->kind == QLR_LAYER_GLOBAL_AVGPOOL;
    if (!qlr_img_shape_is1(ms, 1u) && (pool || !qlr_img_shape_is1(ms, r->out_c))) {
        return qlr_img_err_sec(e, ms, "shape", pool ? "should be [1]" : "should be [1] or [Cout]");
    }
    if (!qlr_img_shape_is1(ss, ms->shape[0])) {
        return qlr_img_err_sec(e, ss, "shape", "should equal FE_MULT's (one shift per multiplier)");
    }
    for (uint32_t t = 0; t < ms->shape[0]; t++) {
        int32_t m = (int32_t)qlr_img_rd32(ms->data + (size_t)4u * t);
        if (m < 0) {
            qlr_img_err_value(e, m);
            return qlr_img_err_sec(e, ms, NULL, "multipliers must be in [0, 2**31 - 1]");
        }
    }
    for (uint32_t t = 0; t < ss->shape[0]; t++) {
        if (ss->data[t] < SHIFT_MIN || ss->data[t] > SHIFT_MAX) {
            qlr_img_err_value(e, ss->data[t]);
            return qlr_img_err_sec(e, ss, NULL, "shifts must be in [1, 62]");
        }
    }
    return 0;
}

/* Worst-case int32 accumulator per output channel: |bias| + K * max|w - w_zp| * (255 + in_zp);
 * the first channel with the largest bound is named. */
static int check_accumulator(uint32_t i, const qlr_layer_t *r, const qlr_section_t *ws, const uint8_t *bias,
                             qlr_image_error_t *e)
{
    uint32_t cout = r->out_c;
    if (cout == 0u) {
        return qlr_img_err_sec(e, ws, "shape", "has no output channels");
    }
    const int8_t *w = (const int8_t *)ws->data;
    uint64_t taps = ws->count / cout;
    int64_t worst = -1;
    uint32_t worst_c = 0;
    for (uint32_t c = 0; c < cout; c++) {
        int32_t wmax = 0;
        for (uint64_t t = 0; t < taps; t++) {
            uint64_t at = r->kind == QLR_LAYER_DWCONV2D ? t * cout + c : (uint64_t)c * taps + t;
            int32_t v = (int32_t)w[at] - r->w_zp;
            v = v < 0 ? -v : v;
            wmax = v > wmax ? v : wmax;
        }
        int64_t b = bias != NULL ? (int64_t)(int32_t)qlr_img_rd32(bias + (size_t)4u * c) : 0;
        b = b < 0 ? -b : b;
        int64_t bound = b + (int64_t)taps * wmax * (255 + (int64_t)r->in_zp);
        if (bound > worst) {
            worst = bound;
            worst_c = c;
        }
    }
    if (worst > QLR_IMG_INT32_MAX) {
        qlr_img_err_value(e, worst_c);
        return qlr_img_err_layer(e, i, r->kind, NULL, "int32 accumulator could overflow in output channel %v");
    }
    return 0;
}

int qlr_img_check_front_params(const qlr_image_t *img, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    unsigned k = r->kind;
    qlr_section_t ms, ss;
    if (need(img, QLR_SEC_FE_MULT, i, k, &ms, e) != 0 || need(img, QLR_SEC_FE_SHIFT, i, k, &ss, e) != 0) {
        return -1;
    }
    if (k == QLR_LAYER_ADD) {
        return check_add_requant(&ms, &ss, e);
    }
    if (check_requant(r, &ms, &ss, e) != 0) {
        return -1;
    }
    if (!qlr_img_is_param_kind(k)) {
        uint64_t taps = k == QLR_LAYER_AVGPOOL ? (uint64_t)r->kernel_h * r->kernel_w : (uint64_t)r->in_h * r->in_w;
        if (255u * taps > (uint64_t)QLR_IMG_INT32_MAX) {
            qlr_img_err_value(e, (int64_t)taps);
            return qlr_img_err_layer(e, i, k, NULL, "pooling window of %v taps could overflow int32");
        }
        return 0;
    }
    qlr_section_t ws, bs;
    if (need_weight(img, QLR_SEC_FE_WEIGHT, i, r, &ws, e) != 0 || need_bias(img, QLR_SEC_FE_BIAS, i, r, &bs, e) != 0) {
        return -1;
    }
    return check_accumulator(i, r, &ws, bs.data, e);
}

int qlr_img_check_back_params(const qlr_image_t *img, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    qlr_section_t ws, bs;
    if (need_weight(img, QLR_SEC_BE_WEIGHT, i, r, &ws, e) != 0 || need_bias(img, QLR_SEC_BE_BIAS, i, r, &bs, e) != 0) {
        return -1;
    }
    if (bs.data != NULL && qlr_img_check_finite(&bs, e) != 0) {
        return -1;
    }
    return qlr_img_check_finite(&ws, e);
}

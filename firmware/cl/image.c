/*
 * The qlr image reader (qlr/image.h): qlr_image_open runs every rule of docs/image-format.md in
 * the order of the host reader (host/qlr/image/container.py parse_container, then content.py
 * decode_image), so both name the same field, section and layer for the same image. The rules
 * live by concern in image_format.c, image_layers.c, image_params.c and image_lr.c (see
 * image_internal.h); this file holds the order, the rules across sections and the accessors.
 *
 * META (a JSON object for the host) is not read on the device (the spec: "a device may skip
 * it"): its entry, bounds and CRC are checked with every other section, its contents are not.
 *
 * No allocation: sections are looked up by scanning the table, and the set of "used" sections
 * is a predicate evaluated at the end rather than a bitmap.
 */
#include "qlr/image.h"

#include <string.h>

#include "image_internal.h"

/* ---- accessors (also used while opening, on a partially filled img) ------------------------ */

int qlr_image_section_at(const qlr_image_t *img, uint32_t index, qlr_section_t *out)
{
    if (img == NULL || img->data == NULL || index >= img->section_count) {
        return -1;
    }
    qlr_img_decode_entry(img->data, index, out);
    out->data = img->data + out->offset;
    return 0;
}

int qlr_image_find(const qlr_image_t *img, unsigned type, unsigned group, qlr_section_t *out)
{
    if (img != NULL && img->data != NULL) {
        for (uint32_t i = 0; i < img->section_count; i++) {
            const uint8_t *p = qlr_img_entry(img->data, i);
            if (qlr_img_rd16(p) == type && qlr_img_rd16(p + 4) == group) {
                return qlr_image_section_at(img, i, out);
            }
        }
    }
    memset(out, 0, sizeof *out);
    return -1;
}

int qlr_image_layer(const qlr_image_t *img, uint32_t i, qlr_layer_t *out)
{
    if (img == NULL || img->layer_records == NULL || i >= img->layer_count) {
        return -1;
    }
    qlr_img_decode_layer(img->layer_records + (size_t)QLR_IMAGE_LAYER_SIZE * i, out);
    return 0;
}

int qlr_image_layer_params(const qlr_image_t *img, uint32_t i, qlr_layer_params_t *out)
{
    memset(out, 0, sizeof *out);
    if (img == NULL || i >= img->layer_count) {
        return -1;
    }
    qlr_section_t s;
    if (qlr_image_find(img, QLR_SEC_FE_WEIGHT, i, &s) == 0) {
        out->weight = (const int8_t *)s.data;
        out->weight_count = (uint32_t)s.count;
    }
    if (qlr_image_find(img, QLR_SEC_FE_BIAS, i, &s) == 0) {
        out->bias = (const int32_t *)(const void *)s.data;
    }
    if (qlr_image_find(img, QLR_SEC_FE_MULT, i, &s) == 0) {
        out->mult = (const int32_t *)(const void *)s.data;
        out->mult_count = (uint32_t)s.count;
    }
    if (qlr_image_find(img, QLR_SEC_FE_SHIFT, i, &s) == 0) {
        out->shift = s.data;
    }
    if (qlr_image_find(img, QLR_SEC_BE_WEIGHT, i, &s) == 0) {
        out->be_weight = (const float *)(const void *)s.data;
        out->weight_count = (uint32_t)s.count;
    }
    if (qlr_image_find(img, QLR_SEC_BE_BIAS, i, &s) == 0) {
        out->be_bias = (const float *)(const void *)s.data;
    }
    return 0;
}

int qlr_image_batch(const qlr_image_t *img, unsigned group, const uint8_t **images, const uint16_t **labels,
                    uint32_t *count)
{
    qlr_section_t si, sl;
    if (qlr_image_find(img, QLR_SEC_DATA_IMAGES, group, &si) != 0 ||
        qlr_image_find(img, QLR_SEC_DATA_LABELS, group, &sl) != 0) {
        return -1;
    }
    *images = si.data;
    *labels = (const uint16_t *)(const void *)sl.data;
    *count = si.shape[0];
    return 0;
}

/* ---- rules across sections ------------------------------------------------------------------ */

static int is_grouped(unsigned type)
{
    return type == QLR_SEC_FE_WEIGHT || type == QLR_SEC_FE_BIAS || type == QLR_SEC_FE_MULT ||
           type == QLR_SEC_FE_SHIFT || type == QLR_SEC_BE_WEIGHT || type == QLR_SEC_BE_BIAS ||
           type == QLR_SEC_DATA_IMAGES || type == QLR_SEC_DATA_LABELS;
}

/* (type, group) unique; group 0 where the type has no groups */
static int check_groups(const qlr_image_t *img, qlr_image_error_t *e)
{
    for (uint32_t i = 0; i < img->section_count; i++) {
        qlr_section_t s = {0}, t = {0};
        (void)qlr_image_section_at(img, i, &s); /* i, j < section_count: cannot fail */
        for (uint32_t j = 0; j < i; j++) {
            (void)qlr_image_section_at(img, j, &t);
            if (t.type == s.type && t.group == s.group) {
                e->other = (int32_t)j;
                qlr_img_err_value(e, s.group);
                return qlr_img_err_sec(e, &s, "group", "repeats another section of the same type and group");
            }
        }
        if (!is_grouped(s.type) && s.group != 0u) {
            qlr_img_err_value(e, s.group);
            return qlr_img_err_sec(e, &s, "group", "must be 0 for this section type");
        }
    }
    return 0;
}

/* NETWORK (its layer records) and META (a flat byte string; its JSON is the host's business). */
static int check_network_meta(qlr_image_t *img, qlr_image_error_t *e)
{
    qlr_section_t net, meta;
    if (qlr_image_find(img, QLR_SEC_NETWORK, 0, &net) == 0) {
        if (net.ndim != 1u) {
            qlr_img_err_value(e, net.ndim);
            return qlr_img_err_sec(e, &net, "ndim", "must be 1 ([layers])");
        }
        if (qlr_img_check_layers(img, &net, e) != 0) {
            return -1;
        }
    }
    if (qlr_image_find(img, QLR_SEC_META, 0, &meta) == 0 && meta.ndim != 1u) {
        qlr_img_err_value(e, meta.ndim);
        return qlr_img_err_sec(e, &meta, "ndim", "must be 1");
    }
    return 0;
}

static int check_params(const qlr_image_t *img, qlr_image_error_t *e)
{
    for (uint32_t i = 0; i < img->layer_count; i++) {
        qlr_layer_t r = {0};
        (void)qlr_image_layer(img, i, &r); /* i < layer_count: cannot fail */
        if (r.stage == QLR_STAGE_FRONT && qlr_img_has_requant(r.kind)) {
            if (qlr_img_check_front_params(img, i, &r, e) != 0) {
                return -1;
            }
        } else if (r.stage == QLR_STAGE_BACK && qlr_img_is_param_kind(r.kind)) {
            if (qlr_img_check_back_params(img, i, &r, e) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Does anything use this section? (the host marks sections as it reads them; same result) */
static int section_used(const qlr_image_t *img, const qlr_section_t *s)
{
    qlr_layer_t r;
    qlr_section_t other;
    unsigned t = s->type;
    switch (t) {
    case QLR_SEC_FE_MULT:
    case QLR_SEC_FE_SHIFT:
    case QLR_SEC_FE_WEIGHT:
    case QLR_SEC_FE_BIAS:
    case QLR_SEC_BE_WEIGHT:
    case QLR_SEC_BE_BIAS: {
        if (qlr_image_layer(img, s->group, &r) != 0) {
            return 0;
        }
        int front = t == QLR_SEC_FE_MULT || t == QLR_SEC_FE_SHIFT || t == QLR_SEC_FE_WEIGHT || t == QLR_SEC_FE_BIAS;
        if (r.stage != (front ? QLR_STAGE_FRONT : QLR_STAGE_BACK)) {
            return 0;
        }
        if (t == QLR_SEC_FE_MULT || t == QLR_SEC_FE_SHIFT) {
            return qlr_img_has_requant(r.kind);
        }
        int bias = t == QLR_SEC_FE_BIAS || t == QLR_SEC_BE_BIAS;
        return qlr_img_is_param_kind(r.kind) && (!bias || (r.flags & QLR_LAYER_HAS_BIAS) != 0u);
    }
    case QLR_SEC_DATA_LABELS:
        return qlr_image_find(img, QLR_SEC_DATA_IMAGES, s->group, &other) == 0;
    default:
        return 1; /* NETWORK, META, LR_* (all checked once present), DATA_IMAGES */
    }
}

static int check_content(qlr_image_t *img, qlr_image_error_t *e)
{
    if (check_groups(img, e) != 0 || check_network_meta(img, e) != 0 || check_params(img, e) != 0 ||
        qlr_img_check_lr(img, e) != 0 || qlr_img_check_batches(img, e) != 0) {
        return -1;
    }
    for (uint32_t i = 0; i < img->section_count; i++) {
        qlr_section_t s = {0};
        (void)qlr_image_section_at(img, i, &s); /* i < section_count: cannot fail */
        if (!section_used(img, &s)) {
            qlr_img_err_value(e, s.group);
            return qlr_img_err_sec(e, &s, "group", "belongs to nothing (no layer, LR memory or batch uses it)");
        }
    }
    return 0;
}

/* ---- open --------------------------------------------------------------------------------- */

int qlr_image_open(qlr_image_t *img, const uint8_t *data, size_t size, qlr_image_error_t *err)
{
    qlr_image_error_t local;
    qlr_image_error_t *e = err != NULL ? err : &local;
    qlr_img_err_clear(e);
    memset(img, 0, sizeof *img);
    if (data == NULL) {
        return qlr_img_err_plain(e, NULL, "no image (NULL pointer)");
    }
    if (((uintptr_t)data & (QLR_IMAGE_BASE_ALIGN - 1u)) != 0u) {
        qlr_img_err_value(e, (int64_t)((uintptr_t)data & (QLR_IMAGE_BASE_ALIGN - 1u)));
        return qlr_img_err_plain(e, NULL, "the image must start at a 64-byte aligned address (it is %v bytes past one)");
    }
    uint32_t count = 0;
    if (qlr_img_check_container(data, size, &count, e) != 0) {
        return -1;
    }
    img->data = data;
    img->size = (uint32_t)size;
    img->section_count = count;
    if (check_content(img, e) != 0) {
        memset(img, 0, sizeof *img);
        return -1;
    }
    return 0;
}

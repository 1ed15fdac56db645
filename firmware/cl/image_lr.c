/*
 * The LR memory (LR_LATENTS, LR_LABELS, LR_SCALE, optional LR_CODE_MAX: docs/image-format.md
 * "LR memory") and the data batches (DATA_IMAGES/DATA_LABELS pairs). Mirrors the LR and batch
 * parts of host/qlr/image/content.py decode_image.
 */
#include "image_internal.h"

/* Every label below the number of classes (when the network's last layer says how many). */
static int check_labels(const qlr_image_t *img, const qlr_section_t *s, qlr_image_error_t *e)
{
    if (img->num_classes == 0u) {
        return 0;
    }
    uint32_t top = 0;
    for (uint64_t k = 0; k < s->count; k++) {
        uint32_t v = qlr_img_rd16(s->data + 2u * k);
        top = v > top ? v : top;
    }
    if (top >= img->num_classes) {
        qlr_img_err_value(e, top);
        return qlr_img_err_sec(e, s, NULL, "label %v is not below the number of classes (the last layer's output size)");
    }
    return 0;
}

/* LR_SCALE: [1] or [C], finite, > 0; LR_CODE_MAX (if any): as many entries, each >= 1. */
static int check_lr_scales(const qlr_section_t *sca, const qlr_section_t *cmax, uint32_t c, qlr_image_error_t *e)
{
    if (!qlr_img_shape_is1(sca, 1u) && !qlr_img_shape_is1(sca, c)) {
        return qlr_img_err_sec(e, sca, "shape", "should be [1] or [C]");
    }
    if (qlr_img_check_finite(sca, e) != 0) {
        return -1;
    }
    for (uint64_t k = 0; k < sca->count; k++) {
        if (!(qlr_img_f32(qlr_img_rd32(sca->data + 4u * k)) > 0.0f)) {
            qlr_img_err_value(e, (int64_t)k);
            return qlr_img_err_sec(e, sca, NULL, "scales must be > 0 (element %v)");
        }
    }
    if (cmax == NULL) {
        return 0;
    }
    if (!qlr_img_shape_is1(cmax, sca->shape[0])) {
        return qlr_img_err_sec(e, cmax, "shape", "should equal LR_SCALE's");
    }
    for (uint64_t k = 0; k < cmax->count; k++) {
        if (cmax->data[k] == 0u) {
            qlr_img_err_value(e, (int64_t)k);
            return qlr_img_err_sec(e, cmax, NULL, "code maxima must be >= 1 (element %v)");
        }
    }
    return 0;
}

/* The bits after the last code of each packed row are zero. */
static int check_lr_padding(const qlr_section_t *lat, uint32_t row_bytes, unsigned tail, qlr_image_error_t *e)
{
    if (tail == 0u) {
        return 0;
    }
    for (uint32_t r = 0; r < lat->shape[0]; r++) {
        if ((lat->data[(size_t)r * row_bytes + row_bytes - 1u] >> tail) != 0u) {
            qlr_img_err_value(e, r);
            return qlr_img_err_sec(e, lat, NULL, "packed latent %v has non-zero padding bits after its last code");
        }
    }
    return 0;
}

/* The three sections an LR memory needs, all or none (LR_CODE_MAX alone counts as "some"). */
static int find_lr(const qlr_image_t *img, qlr_section_t *lat, qlr_section_t *lab, qlr_section_t *sca,
                   qlr_section_t *cmax, int *has_cmax, qlr_image_error_t *e)
{
    static const char missing[] = "is missing (an LR memory needs LR_LATENTS, LR_LABELS and LR_SCALE)";
    int has_lat = qlr_image_find(img, QLR_SEC_LR_LATENTS, 0, lat) == 0;
    int has_lab = qlr_image_find(img, QLR_SEC_LR_LABELS, 0, lab) == 0;
    int has_sca = qlr_image_find(img, QLR_SEC_LR_SCALE, 0, sca) == 0;
    *has_cmax = qlr_image_find(img, QLR_SEC_LR_CODE_MAX, 0, cmax) == 0;
    if (!has_lat && !has_lab && !has_sca && !*has_cmax) {
        return 0;
    }
    if (!has_lat) {
        return qlr_img_err_missing(e, -1, 0, QLR_SEC_LR_LATENTS, 0, missing);
    }
    if (!has_lab) {
        return qlr_img_err_missing(e, -1, 0, QLR_SEC_LR_LABELS, 0, missing);
    }
    if (!has_sca) {
        return qlr_img_err_missing(e, -1, 0, QLR_SEC_LR_SCALE, 0, missing);
    }
    return 1;
}

int qlr_img_check_lr(qlr_image_t *img, qlr_image_error_t *e)
{
    qlr_section_t lat, lab, sca, cmax;
    int has_cmax = 0;
    int found = find_lr(img, &lat, &lab, &sca, &cmax, &has_cmax, e);
    if (found <= 0) {
        return found;
    }
    uint32_t nlr = lat.shape[0];
    if (img->front_count > 0u) {
        uint32_t want[4] = {nlr, img->latent_h, img->latent_w, img->latent_c};
        if (!qlr_img_shape_is(&lat, 4u, want)) {
            return qlr_img_err_sec(e, &lat, "shape", "should be [N] + the latent shape (the last front-end layer's output)");
        }
    }
    if (!qlr_img_shape_is1(&lab, nlr)) {
        return qlr_img_err_sec(e, &lab, "shape", "should be [N] (one label per latent)");
    }
    uint32_t c = lat.shape[lat.ndim - 1u];
    if (check_lr_scales(&sca, has_cmax ? &cmax : NULL, c, e) != 0) {
        return -1;
    }
    uint64_t elements = lat.count / nlr;
    uint64_t used = elements * lat.bits;
    uint32_t row_bytes = (uint32_t)((used + 7u) / 8u);
    if (check_lr_padding(&lat, row_bytes, (unsigned)(used % 8u), e) != 0 || check_labels(img, &lab, e) != 0) {
        return -1;
    }
    img->lr_count = nlr;
    img->lr_bits = lat.bits;
    img->lr_elements = (uint32_t)elements;
    img->lr_channels = c;
    img->lr_row_bytes = row_bytes;
    img->lr_latents = lat.data;
    img->lr_labels = (const uint16_t *)(const void *)lab.data;
    img->lr_scale = (const float *)(const void *)sca.data;
    img->lr_scale_count = sca.shape[0];
    img->lr_code_max = has_cmax ? cmax.data : NULL;
    return 0;
}

int qlr_img_check_batches(qlr_image_t *img, qlr_image_error_t *e)
{
    for (uint32_t i = 0; i < img->section_count; i++) {
        qlr_section_t s = {0}, lab;
        (void)qlr_image_section_at(img, i, &s); /* i < section_count: cannot fail */
        if (s.type != QLR_SEC_DATA_IMAGES) {
            continue;
        }
        if (qlr_image_find(img, QLR_SEC_DATA_LABELS, s.group, &lab) != 0) {
            return qlr_img_err_sec(e, &s, NULL, "no DATA_LABELS section of the same group");
        }
        if (s.ndim != 4u) {
            qlr_img_err_value(e, s.ndim);
            return qlr_img_err_sec(e, &s, "ndim", "should be 4 ([N, H, W, C])");
        }
        if (img->layer_count > 0u) {
            uint32_t want[4] = {s.shape[0], img->in_h, img->in_w, img->in_c};
            if (!qlr_img_shape_is(&s, 4u, want)) {
                return qlr_img_err_sec(e, &s, "shape", "should be [N] + the network input shape");
            }
        }
        if (!qlr_img_shape_is1(&lab, s.shape[0])) {
            return qlr_img_err_sec(e, &lab, "shape", "should be [N] (one label per image)");
        }
        if (check_labels(img, &lab, e) != 0) {
            return -1;
        }
        img->batch_count++;
    }
    return 0;
}

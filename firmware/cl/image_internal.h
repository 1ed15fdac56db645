/*
 * The image reader's private parts (qlr/image.h is its API). The reader is split by concern:
 *   image.c         qlr_image_open (the order of the checks), content rules across sections
 *                   ((type, group) unique, every section used), the accessors
 *   image_format.c  the container: header, section table entries, layout (overlaps, padding)
 *   image_layers.c  the NETWORK section: layer records, their links and quantization chain
 *   image_params.c  a layer's parameter sections (FE_*, BE_*): shapes, ranges, int32 headroom
 *   image_lr.c      the LR memory (LR_*) and the data batches (DATA_*)
 *   image_error.c   qlr_image_error_t: filling it, formatting it, type and kind names
 * Every check keeps the order of the host reader (host/qlr/image/container.py parse_container,
 * then content.py decode_image), so both name the same field, section and layer for an image.
 */
#ifndef QLR_CL_IMAGE_INTERNAL_H
#define QLR_CL_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qlr/image.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qlr/image.h uses multi-byte section elements in place: little-endian cores only"
#endif

#define QLR_IMG_INT32_MAX 2147483647LL
#define QLR_IMG_SIZE_CAP (1ull << 40) /* saturation of size products: anything above 2^32 is wrong anyway */

/* ---- little-endian reads and small predicates ---------------------------------------------- */

static inline uint16_t qlr_img_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t qlr_img_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline float qlr_img_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline int qlr_img_bits_finite(uint32_t u)
{
    return (u & 0x7F800000u) != 0x7F800000u;
}

/* finite and > 0 (positive subnormals included, as in Python) */
static inline int qlr_img_finite_pos(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return qlr_img_bits_finite(u) && f > 0.0f;
}

/* The raw table entry of section i. */
static inline const uint8_t *qlr_img_entry(const uint8_t *image, uint32_t i)
{
    return image + QLR_IMAGE_HEADER_SIZE + (size_t)QLR_IMAGE_ENTRY_SIZE * i;
}

static inline int qlr_img_is_param_kind(unsigned k)
{
    return k == QLR_LAYER_CONV2D || k == QLR_LAYER_DWCONV2D || k == QLR_LAYER_PWCONV || k == QLR_LAYER_LINEAR;
}

static inline int qlr_img_is_window_kind(unsigned k)
{
    return k == QLR_LAYER_CONV2D || k == QLR_LAYER_DWCONV2D || k == QLR_LAYER_AVGPOOL;
}

/* front-end kinds with requantization parameters (FE_MULT, FE_SHIFT) */
static inline int qlr_img_has_requant(unsigned k)
{
    return qlr_img_is_param_kind(k) || k == QLR_LAYER_AVGPOOL || k == QLR_LAYER_GLOBAL_AVGPOOL ||
           k == QLR_LAYER_ADD;
}

int qlr_img_any_nonzero(const uint8_t *p, size_t n);
uint64_t qlr_img_sat_mul(uint64_t a, uint64_t b); /* saturates at QLR_IMG_SIZE_CAP */
/* Is the section's shape exactly want[0..ndim-1]? */
int qlr_img_shape_is(const qlr_section_t *s, unsigned ndim, const uint32_t *want);
int qlr_img_shape_is1(const qlr_section_t *s, uint32_t d0);

/* ---- errors (image_error.c): each err_* returns -1, for `return qlr_img_err_...(...)` ---------- */

void qlr_img_err_clear(qlr_image_error_t *e);
void qlr_img_err_value(qlr_image_error_t *e, int64_t v);
int qlr_img_err_plain(qlr_image_error_t *e, const char *field, const char *msg);
int qlr_img_err_sec(qlr_image_error_t *e, const qlr_section_t *s, const char *field, const char *msg);
int qlr_img_err_layer(qlr_image_error_t *e, uint32_t i, unsigned kind, const char *field, const char *msg);
/* A section of (type, group) is missing (layer -1: not a layer's). */
int qlr_img_err_missing(qlr_image_error_t *e, int32_t layer, unsigned kind, unsigned type, unsigned group,
                        const char *msg);

/* ---- the checks, in the order qlr_image_open runs them ---------------------------------------- */

/* image_format.c: header, every table entry, layout; on success the section count. */
int qlr_img_check_container(const uint8_t *d, size_t n, uint32_t *count, qlr_image_error_t *e);
void qlr_img_decode_entry(const uint8_t *image, uint32_t i, qlr_section_t *s);
/* image_layers.c: the NETWORK section's records; fills the network fields of *img. */
void qlr_img_decode_layer(const uint8_t *p, qlr_layer_t *r);
int qlr_img_check_layers(qlr_image_t *img, const qlr_section_t *net, qlr_image_error_t *e);
/* image_params.c: the parameter sections of layer i (front: FE_*; back: BE_*). */
int qlr_img_check_front_params(const qlr_image_t *img, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e);
int qlr_img_check_back_params(const qlr_image_t *img, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e);
int qlr_img_check_finite(const qlr_section_t *s, qlr_image_error_t *e);
/* image_lr.c: the LR memory (fills the lr_* fields) and the data batches (batch_count). */
int qlr_img_check_lr(qlr_image_t *img, qlr_image_error_t *e);
int qlr_img_check_batches(qlr_image_t *img, qlr_image_error_t *e);

#endif /* QLR_CL_IMAGE_INTERNAL_H */

/*
 * The qlr binary image, firmware reader (format version 1, docs/image-format.md; the Python twin
 * is host/qlr/image/).
 *
 * qlr_image_open() checks an image in place (zero copy) with every rule the host reader
 * (qlr.image.decode_image) applies, in the same order, and stops at the first violation with a
 * qlr_image_error_t naming the field, the section (index, name, type, group) and/or the layer at
 * fault. After a successful open every accessor below returns pointers into the image; nothing
 * is allocated and nothing is copied.
 *
 * Alignment: the image base must be 64-byte aligned (QLR_IMAGE_BASE_ALIGN). Every section then
 * starts on a 64-byte boundary in memory too (its offset is a multiple of its alignment, at
 * least 64), so typed section pointers (int32 multipliers, float weights, u16 labels) are
 * naturally aligned and a DMA can move any section without realignment. The header, the
 * section table and the layer records are read byte by byte (little-endian helpers), so they
 * never rely on alignment. Multi-byte section elements are used in place: a little-endian core
 * is required (every board of the project; checked at compile time).
 *
 * What the firmware reader does not check that the host reader does: the contents of the META
 * section (a JSON object for the host, which the device never reads; the spec lets a device skip
 * it). Its table entry, bounds, CRC, group and ndim are checked like every other section's; that
 * the JSON is a valid object is checked by the host, which writes it (qlr.image.decode_image).
 *
 * Cost: O(S^2) name, group and overlap checks over the S sections (no sorting buffer), one CRC
 * pass over the whole image, one pass over each parameter section; no recursion.
 *
 * Implementation: firmware/cl/image*.c, split by concern (firmware/cl/image_internal.h).
 *
 * Portable C11: no platform code, no allocation, no libc beyond <stdint.h>/<stddef.h>/<string.h>.
 */
#ifndef QLR_IMAGE_H
#define QLR_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QLR_IMAGE_VERSION 1u
#define QLR_IMAGE_HEADER_SIZE 64u
#define QLR_IMAGE_ENTRY_SIZE 128u
#define QLR_IMAGE_LAYER_SIZE 64u
#define QLR_IMAGE_MAX_SECTIONS 4096u
#define QLR_IMAGE_MAX_NDIM 6u
#define QLR_IMAGE_NAME_LEN 32u
#define QLR_IMAGE_MIN_ALIGN 64u
#define QLR_IMAGE_MAX_ALIGN 65536u
#define QLR_IMAGE_BASE_ALIGN 64u
#define QLR_IMAGE_NO_INPUT 0xFFFFu    /* a layer input that is the network input */

typedef enum {
    QLR_SEC_NETWORK = 1,
    QLR_SEC_META = 2,
    QLR_SEC_FE_WEIGHT = 16,
    QLR_SEC_FE_BIAS = 17,
    QLR_SEC_FE_MULT = 18,
    QLR_SEC_FE_SHIFT = 19,
    QLR_SEC_BE_WEIGHT = 32,
    QLR_SEC_BE_BIAS = 33,
    QLR_SEC_LR_LATENTS = 48,
    QLR_SEC_LR_LABELS = 49,
    QLR_SEC_LR_SCALE = 50,
    QLR_SEC_LR_CODE_MAX = 51,
    QLR_SEC_DATA_IMAGES = 64,
    QLR_SEC_DATA_LABELS = 65,
} qlr_section_type_t;

typedef enum {
    QLR_DT_U8 = 1,
    QLR_DT_S8 = 2,
    QLR_DT_U16 = 3,
    QLR_DT_S16 = 4,
    QLR_DT_U32 = 5,
    QLR_DT_S32 = 6,
    QLR_DT_F32 = 7,
    QLR_DT_PACKED = 8, /* `bits` bits per element, one byte-aligned row per shape[0] entry */
    QLR_DT_LAYER = 9,  /* 64-byte layer records */
} qlr_dtype_t;

typedef enum {
    QLR_LAYER_CONV2D = 1,
    QLR_LAYER_DWCONV2D = 2,
    QLR_LAYER_PWCONV = 3,
    QLR_LAYER_LINEAR = 4,
    QLR_LAYER_AVGPOOL = 5,        /* count includes padding */
    QLR_LAYER_GLOBAL_AVGPOOL = 6,
    QLR_LAYER_ADD = 7,
    QLR_LAYER_FLATTEN = 8,        /* HWC order, no data movement */
    QLR_LAYER_RELU = 9,
    QLR_LAYER_RELU6 = 10,
} qlr_layer_kind_t;

typedef enum { QLR_ACT_NONE = 0, QLR_ACT_RELU = 1, QLR_ACT_RELU6 = 2 } qlr_act_t;
typedef enum { QLR_STAGE_FRONT = 0, QLR_STAGE_BACK = 1 } qlr_stage_t;

#define QLR_LAYER_HAS_BIAS 0x01u

/* One section, decoded from its 128-byte table entry. */
typedef struct {
    uint32_t index;          /* position in the section table */
    uint16_t type;           /* qlr_section_type_t */
    uint8_t dtype;           /* qlr_dtype_t */
    uint8_t ndim;            /* 1..6 */
    uint16_t group;          /* layer position (FE_*, BE_*), batch number (DATA_*), else 0 */
    uint8_t bits;            /* PACKED: bits per element (1..8), else 0 */
    uint32_t offset, size, align;
    uint32_t shape[QLR_IMAGE_MAX_NDIM]; /* outermost first; entries >= ndim are 0 */
    uint64_t count;          /* elements: the product of the dims (PACKED too) */
    char name[QLR_IMAGE_NAME_LEN + 1u]; /* NUL-terminated */
    const uint8_t *data;     /* size bytes inside the image (64-byte aligned) */
} qlr_section_t;

/* One layer record (docs/image-format.md "Layer record"), decoded; field names as in the spec. */
typedef struct {
    uint8_t kind, act, stage, flags;   /* qlr_layer_kind_t, qlr_act_t, qlr_stage_t, bit 0 bias */
    uint16_t input0, input1;           /* producer positions; QLR_IMAGE_NO_INPUT = network input */
    uint16_t in_h, in_w;
    uint32_t in_c;
    uint16_t out_h, out_w;
    uint32_t out_c;
    uint8_t kernel_h, kernel_w, stride_h, stride_w;
    uint8_t pad_top, pad_bottom, pad_left, pad_right;
    uint8_t in_zp, out_zp, act_min, act_max;
    int8_t w_zp;
    uint8_t in_zp_b;
    int16_t index;                     /* the paper's layer index, -1 if none */
    float in_scale, out_scale, in_scale_b;
} qlr_layer_t;

/* The parameters of one layer: pointers into the image (NULL when the layer has none). */
typedef struct {
    const int8_t *weight;     /* FE_WEIGHT: conv2d [Cout][Kh][Kw][Cin], dwconv2d [Kh][Kw][C], pw/linear [Cout][Cin] */
    const int32_t *bias;      /* FE_BIAS [Cout], or NULL (no bias) */
    const int32_t *mult;      /* FE_MULT [mult_count]; add: (m_a, m_b) */
    const uint8_t *shift;     /* FE_SHIFT [mult_count]; add: [1] */
    uint32_t mult_count;      /* 1 (per layer) or Cout; 2 for add; 0 without FE_MULT */
    const float *be_weight;   /* BE_WEIGHT, same layouts as FE_WEIGHT */
    const float *be_bias;     /* BE_BIAS [Cout], or NULL */
    uint32_t weight_count;    /* elements of FE_WEIGHT or BE_WEIGHT */
} qlr_layer_params_t;

/* An open, fully validated image. Read the fields; do not change them. */
typedef struct {
    const uint8_t *data;      /* the image (64-byte aligned) */
    uint32_t size;            /* bytes */
    uint32_t section_count;
    /* network */
    const uint8_t *layer_records; /* NETWORK section data, or NULL */
    uint32_t layer_count;     /* 0 without a NETWORK section */
    uint32_t front_count;     /* front-end layers: positions 0..front_count-1 */
    uint32_t back_count;      /* back-end layers: positions front_count..layer_count-1 */
    uint32_t in_h, in_w, in_c;        /* network input (layer 0's input), 0 without a network */
    uint32_t latent_h, latent_w, latent_c; /* output of the last front-end layer, 0 if none */
    uint64_t latent_elements; /* latent_h * latent_w * latent_c */
    uint32_t num_classes;     /* last layer's out_c when its output is 1 x 1 x C, else 0 */
    /* LR memory (lr_count == 0: none) */
    uint32_t lr_count;        /* N latents */
    uint32_t lr_bits;         /* Q */
    uint32_t lr_elements;     /* E = prod of the latent shape */
    uint32_t lr_channels;     /* C, the last dimension of the latents */
    uint32_t lr_row_bytes;    /* ceil(E * Q / 8) */
    const uint8_t *lr_latents;    /* N rows of lr_row_bytes */
    const uint16_t *lr_labels;    /* N */
    const float *lr_scale;        /* lr_scale_count: 1 (per tensor) or C (per channel) */
    uint32_t lr_scale_count;
    const uint8_t *lr_code_max;   /* lr_scale_count values, or NULL (LR_CODE_MAX is optional) */
    /* data batches */
    uint32_t batch_count;     /* DATA_IMAGES sections */
} qlr_image_t;

/* Where and why an image was rejected. `message` is static text; the indices say where.
 * Format it for a person with qlr_image_error_format(). */
typedef struct {
    const char *message;      /* what is wrong (static text, never NULL after a failed open) */
    const char *field;        /* the field at fault ("crc32", "shape[1]", "input0", ...) or NULL */
    int32_t section;          /* section table index, or -1 */
    uint16_t section_type;    /* the section's type (also set with section == -1 when a required
                               * section of this type and group is missing), 0 if none */
    uint16_t section_group;
    char section_name[QLR_IMAGE_NAME_LEN + 1u]; /* "" when unknown */
    int32_t layer;            /* layer position, or -1 */
    uint8_t layer_kind;       /* the layer's kind when known, else 0 */
    int32_t other;            /* a second section index (overlap, repeat), or -1 */
    int has_value;            /* value below is meaningful */
    int64_t value;            /* the offending value (a version, a dim, a label, a channel...) */
} qlr_image_error_t;

/* Validates `size` bytes at `data` as an image and fills *img (on failure *img is zeroed and
 * *err says why; err may be NULL). Returns 0 on success, -1 on failure. Reads only inside
 * [data, data + size). */
int qlr_image_open(qlr_image_t *img, const uint8_t *data, size_t size, qlr_image_error_t *err);

/* Writes a one-line description of *err into buf (always NUL-terminated when n > 0), e.g.
 * "section 3 'fe.0.weight' (FE_WEIGHT, group 0): field 'crc32': does not match the section data".
 * Returns the length written (without the NUL). */
size_t qlr_image_error_format(const qlr_image_error_t *err, char *buf, size_t n);

/* Names for messages: "FE_WEIGHT", "conv2d", ...; "?" for unknown codes. */
const char *qlr_section_type_name(unsigned type);
const char *qlr_layer_kind_name(unsigned kind);

/* The section at table position `index` (< section_count). Returns 0, or -1 when out of range. */
int qlr_image_section_at(const qlr_image_t *img, uint32_t index, qlr_section_t *out);
/* The section of (type, group). Returns 0, or -1 when the image has none (out is then zeroed). */
int qlr_image_find(const qlr_image_t *img, unsigned type, unsigned group, qlr_section_t *out);
/* Layer record `i` (< layer_count). Returns 0, or -1 when out of range. */
int qlr_image_layer(const qlr_image_t *img, uint32_t i, qlr_layer_t *out);
/* The parameter sections of layer `i`. Returns 0, or -1 when out of range. */
int qlr_image_layer_params(const qlr_image_t *img, uint32_t i, qlr_layer_params_t *out);
/* Data batch `group`: images [count][in_h][in_w][in_c] and labels [count]. Returns 0, or -1
 * when the image has no batch of that group. */
int qlr_image_batch(const qlr_image_t *img, unsigned group, const uint8_t **images, const uint16_t **labels,
                    uint32_t *count);

/* Elements of a layer's output (out_h * out_w * out_c) and input (in_h * in_w * in_c). A valid
 * record may describe more than 2^32 elements: the product is 64-bit. */
static inline uint64_t qlr_layer_out_elements(const qlr_layer_t *l)
{
    return (uint64_t)l->out_h * l->out_w * l->out_c;
}
static inline uint64_t qlr_layer_in_elements(const qlr_layer_t *l)
{
    return (uint64_t)l->in_h * l->in_w * l->in_c;
}

#ifdef __cplusplus
}
#endif

#endif /* QLR_IMAGE_H */

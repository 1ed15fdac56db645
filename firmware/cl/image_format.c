/*
 * The image container (docs/image-format.md "Header", "Section table", "Layout"): the header, each
 * 128-byte table entry, and the layout of the sections (no overlaps, zero padding). Mirrors
 * host/qlr/image/container.py parse_container, rule for rule and in its order.
 *
 * No allocation: the overlap/padding walk visits the sections in (offset, end, index) order by
 * selecting the next one with a scan of the table each time (O(S^2) for S sections).
 */
#include <string.h>

#include "image_internal.h"
#include "qlr/link.h" /* qlr_crc32 */

static const uint8_t MAGIC[8] = {0x89u, 'Q', 'L', 'R', '\r', '\n', 0x1Au, '\n'};
static const char *const SHAPE_FIELD[QLR_IMAGE_MAX_NDIM] = {"shape[0]", "shape[1]", "shape[2]",
                                                            "shape[3]", "shape[4]", "shape[5]"};

int qlr_img_any_nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0u) {
            return 1;
        }
    }
    return 0;
}

uint64_t qlr_img_sat_mul(uint64_t a, uint64_t b)
{
    if (a == 0u || b == 0u) {
        return 0u;
    }
    if (a > QLR_IMG_SIZE_CAP / b) {
        return QLR_IMG_SIZE_CAP;
    }
    return a * b;
}

/* The element type a section type requires, 0 for an unknown type. */
static unsigned required_dtype(unsigned type)
{
    switch (type) {
    case QLR_SEC_NETWORK: return QLR_DT_LAYER;
    case QLR_SEC_META: return QLR_DT_U8;
    case QLR_SEC_FE_WEIGHT: return QLR_DT_S8;
    case QLR_SEC_FE_BIAS:
    case QLR_SEC_FE_MULT: return QLR_DT_S32;
    case QLR_SEC_FE_SHIFT: return QLR_DT_U8;
    case QLR_SEC_BE_WEIGHT:
    case QLR_SEC_BE_BIAS: return QLR_DT_F32;
    case QLR_SEC_LR_LATENTS: return QLR_DT_PACKED;
    case QLR_SEC_LR_LABELS: return QLR_DT_U16;
    case QLR_SEC_LR_SCALE: return QLR_DT_F32;
    case QLR_SEC_LR_CODE_MAX:
    case QLR_SEC_DATA_IMAGES: return QLR_DT_U8;
    case QLR_SEC_DATA_LABELS: return QLR_DT_U16;
    default: return 0u;
    }
}

static unsigned itemsize(unsigned dtype)
{
    static const uint8_t sizes[] = {0, 1, 1, 2, 2, 4, 4, 4, 0, QLR_IMAGE_LAYER_SIZE};
    return dtype < sizeof sizes ? sizes[dtype] : 0u;
}

void qlr_img_decode_entry(const uint8_t *image, uint32_t i, qlr_section_t *s)
{
    const uint8_t *p = qlr_img_entry(image, i);
    memset(s, 0, sizeof *s);
    s->index = i;
    s->type = qlr_img_rd16(p);
    s->dtype = p[2];
    s->ndim = p[3];
    s->group = qlr_img_rd16(p + 4);
    s->bits = p[6];
    s->offset = qlr_img_rd32(p + 8);
    s->size = qlr_img_rd32(p + 12);
    s->align = qlr_img_rd32(p + 16);
    for (unsigned k = 0; k < QLR_IMAGE_MAX_NDIM; k++) {
        s->shape[k] = qlr_img_rd32(p + 24 + (size_t)4u * k);
    }
    memcpy(s->name, p + 48, QLR_IMAGE_NAME_LEN);
    s->name[QLR_IMAGE_NAME_LEN] = '\0';
    uint64_t count = 1u;
    unsigned nd = s->ndim <= QLR_IMAGE_MAX_NDIM ? s->ndim : QLR_IMAGE_MAX_NDIM;
    for (unsigned k = 0; k < nd; k++) {
        count = qlr_img_sat_mul(count, s->shape[k]);
    }
    s->count = count;
}

/* Bytes a section of this element type and shape needs (saturating at QLR_IMG_SIZE_CAP). */
static uint64_t expected_size(const qlr_section_t *s)
{
    if (s->dtype == QLR_DT_PACKED) {
        uint64_t per_row = 1u;
        for (unsigned k = 1; k < s->ndim; k++) {
            per_row = qlr_img_sat_mul(per_row, s->shape[k]);
        }
        uint64_t row_bytes = (qlr_img_sat_mul(per_row, s->bits) + 7u) / 8u;
        return qlr_img_sat_mul(s->shape[0], row_bytes);
    }
    return qlr_img_sat_mul(s->count, itemsize(s->dtype));
}

/* ---- header ------------------------------------------------------------------------------- */

/* magic, version, header CRC and the fixed sizes, flags and reserved bytes */
static int check_header_fixed(const uint8_t *d, qlr_image_error_t *e)
{
    if (memcmp(d, MAGIC, sizeof MAGIC) != 0) {
        return qlr_img_err_plain(e, "magic", "not a qlr image (expected 89 51 4C 52 0D 0A 1A 0A)");
    }
    uint32_t version = qlr_img_rd32(d + 8);
    if (version != QLR_IMAGE_VERSION) {
        qlr_img_err_value(e, version);
        return qlr_img_err_plain(e, "version", "this reader knows only version 1");
    }
    if (qlr_img_rd32(d + 60) != qlr_crc32(0, d, 60)) {
        return qlr_img_err_plain(e, "header_crc32", "does not match the header bytes");
    }
    if (qlr_img_rd32(d + 12) != QLR_IMAGE_HEADER_SIZE) {
        qlr_img_err_value(e, qlr_img_rd32(d + 12));
        return qlr_img_err_plain(e, "header_size", "expected 64");
    }
    if (qlr_img_rd32(d + 16) != QLR_IMAGE_ENTRY_SIZE) {
        qlr_img_err_value(e, qlr_img_rd32(d + 16));
        return qlr_img_err_plain(e, "entry_size", "expected 128");
    }
    if (qlr_img_rd32(d + 32) != 0u) {
        qlr_img_err_value(e, qlr_img_rd32(d + 32));
        return qlr_img_err_plain(e, "flags", "no flags are defined (must be 0)");
    }
    if (qlr_img_any_nonzero(d + 40, 20)) {
        return qlr_img_err_plain(e, "reserved", "is not all zero");
    }
    return 0;
}

static int check_header(const uint8_t *d, size_t n, qlr_image_error_t *e)
{
    if (n < QLR_IMAGE_HEADER_SIZE) {
        qlr_img_err_value(e, (int64_t)n);
        return qlr_img_err_plain(e, NULL, "truncated: %v bytes, the header alone is 64");
    }
    if (check_header_fixed(d, e) != 0) {
        return -1;
    }
    uint32_t file_size = qlr_img_rd32(d + 28);
    if ((uint64_t)file_size != (uint64_t)n) {
        qlr_img_err_value(e, file_size);
        return qlr_img_err_plain(e, "file_size", (uint64_t)n < file_size
                                                     ? "is more than the image's length (image truncated)"
                                                     : "is less than the image's length (image has trailing bytes)");
    }
    uint32_t count = qlr_img_rd32(d + 20);
    if (count < 1u || count > QLR_IMAGE_MAX_SECTIONS) {
        qlr_img_err_value(e, count);
        return qlr_img_err_plain(e, "section_count", "must be in [1, 4096]");
    }
    if (qlr_img_rd32(d + 24) != QLR_IMAGE_HEADER_SIZE) {
        qlr_img_err_value(e, qlr_img_rd32(d + 24));
        return qlr_img_err_plain(e, "table_offset", "the table must follow the header at 64");
    }
    uint64_t table_end = QLR_IMAGE_HEADER_SIZE + (uint64_t)count * QLR_IMAGE_ENTRY_SIZE;
    if (table_end > n) {
        qlr_img_err_value(e, count);
        return qlr_img_err_plain(e, NULL, "the section table (%v entries) runs beyond the image");
    }
    if (qlr_img_rd32(d + 36) != qlr_crc32(0, d + QLR_IMAGE_HEADER_SIZE, (size_t)(table_end - QLR_IMAGE_HEADER_SIZE))) {
        return qlr_img_err_plain(e, "table_crc32", "does not match the section table");
    }
    return 0;
}

/* ---- table entries ------------------------------------------------------------------------- */

/* The section name: NUL-terminated inside its 32 bytes, then only NULs; 1..32 of [A-Za-z0-9_.-]. */
static const char *check_name(const uint8_t *raw)
{
    size_t len = 0;
    while (len < QLR_IMAGE_NAME_LEN && raw[len] != 0u) {
        len++;
    }
    if (qlr_img_any_nonzero(raw + len, QLR_IMAGE_NAME_LEN - len)) {
        return "has bytes after its NUL terminator";
    }
    for (size_t i = 0; i < len; i++) {
        if (raw[i] >= 0x80u) {
            return "is not ASCII";
        }
    }
    if (len == 0u) {
        return "must be 1-32 characters of [A-Za-z0-9_.-]";
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = raw[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                 c == '.' || c == '-';
        if (!ok) {
            return "must be 1-32 characters of [A-Za-z0-9_.-]";
        }
    }
    return NULL;
}

/* name, type, dtype, flags, reserved bytes; the name unique among the entries before it */
static int check_entry_kind(const uint8_t *d, const qlr_section_t *s, qlr_image_error_t *e)
{
    const uint8_t *p = qlr_img_entry(d, s->index);
    const char *bad = check_name(p + 48);
    if (bad != NULL) {
        e->section = (int32_t)s->index;
        return qlr_img_err_plain(e, "name", bad);
    }
    unsigned want = required_dtype(s->type);
    if (want == 0u) {
        qlr_img_err_value(e, s->type);
        return qlr_img_err_sec(e, s, "type", "is not a known section type");
    }
    if (s->dtype < QLR_DT_U8 || s->dtype > QLR_DT_LAYER) {
        qlr_img_err_value(e, s->dtype);
        return qlr_img_err_sec(e, s, "dtype", "is not a known element type");
    }
    if (s->dtype != want) {
        qlr_img_err_value(e, s->dtype);
        return qlr_img_err_sec(e, s, "dtype", "is not the element type this section type requires");
    }
    if (p[7] != 0u) {
        qlr_img_err_value(e, p[7]);
        return qlr_img_err_sec(e, s, "flags", "must be 0");
    }
    if (qlr_img_any_nonzero(p + 80, 48)) {
        return qlr_img_err_sec(e, s, "reserved", "is not all zero");
    }
    for (uint32_t j = 0; j < s->index; j++) {
        if (memcmp(p + 48, qlr_img_entry(d, j) + 48, QLR_IMAGE_NAME_LEN) == 0) {
            e->other = (int32_t)j;
            return qlr_img_err_sec(e, s, "name", "repeats the name of another section");
        }
    }
    return 0;
}

/* ndim, shape, bits */
static int check_entry_shape(const qlr_section_t *s, qlr_image_error_t *e)
{
    if (s->ndim < 1u || s->ndim > QLR_IMAGE_MAX_NDIM) {
        qlr_img_err_value(e, s->ndim);
        return qlr_img_err_sec(e, s, "ndim", "must be in [1, 6]");
    }
    for (unsigned k = 0; k < s->ndim; k++) {
        if (s->shape[k] == 0u) {
            qlr_img_err_value(e, 0);
            return qlr_img_err_sec(e, s, SHAPE_FIELD[k], "every dimension must be >= 1");
        }
        if (s->shape[k] >= 0x80000000u) {
            qlr_img_err_value(e, s->shape[k]);
            return qlr_img_err_sec(e, s, SHAPE_FIELD[k], "impossible (negative as int32 or too large)");
        }
    }
    for (unsigned k = s->ndim; k < QLR_IMAGE_MAX_NDIM; k++) {
        if (s->shape[k] != 0u) {
            return qlr_img_err_sec(e, s, "shape", "has non-zero entries beyond ndim");
        }
    }
    if (s->dtype == QLR_DT_PACKED) {
        if (s->bits < 1u || s->bits > 8u) {
            qlr_img_err_value(e, s->bits);
            return qlr_img_err_sec(e, s, "bits", "packed sections need 1..8");
        }
        if (s->ndim < 2u) {
            qlr_img_err_value(e, s->ndim);
            return qlr_img_err_sec(e, s, "ndim", "packed sections are [rows, ...] with >= 2 dims");
        }
    } else if (s->bits != 0u) {
        qlr_img_err_value(e, s->bits);
        return qlr_img_err_sec(e, s, "bits", "must be 0 for this element type");
    }
    return 0;
}

/* align, offset, size (inside the image, as shape and dtype need), the data's CRC */
static int check_entry_place(const uint8_t *d, size_t n, const qlr_section_t *s, uint32_t table_end,
                             qlr_image_error_t *e)
{
    if (s->align < QLR_IMAGE_MIN_ALIGN || s->align > QLR_IMAGE_MAX_ALIGN || (s->align & (s->align - 1u)) != 0u) {
        qlr_img_err_value(e, s->align);
        return qlr_img_err_sec(e, s, "align", "must be a power of two in [64, 65536]");
    }
    if (s->offset % s->align != 0u) {
        qlr_img_err_value(e, s->offset);
        return qlr_img_err_sec(e, s, "offset", "is not a multiple of its alignment");
    }
    if (s->offset < table_end) {
        qlr_img_err_value(e, s->offset);
        return qlr_img_err_sec(e, s, "offset", "lies inside the header or section table");
    }
    if ((uint64_t)s->offset + s->size > (uint64_t)n) {
        qlr_img_err_value(e, s->size);
        return qlr_img_err_sec(e, s, "size", "offset + size runs past the end of the image");
    }
    if (expected_size(s) != s->size) {
        qlr_img_err_value(e, s->size);
        return qlr_img_err_sec(e, s, "size", "does not match what shape and element type need");
    }
    if (qlr_img_rd32(qlr_img_entry(d, s->index) + 20) != qlr_crc32(0, d + s->offset, s->size)) {
        return qlr_img_err_sec(e, s, "crc32", "does not match the section data");
    }
    return 0;
}

static int check_entry(const uint8_t *d, size_t n, uint32_t i, uint32_t table_end, qlr_image_error_t *e)
{
    qlr_section_t s;
    qlr_img_decode_entry(d, i, &s);
    if (check_entry_kind(d, &s, e) != 0 || check_entry_shape(&s, e) != 0) {
        return -1;
    }
    return check_entry_place(d, n, &s, table_end, e);
}

/* ---- layout -------------------------------------------------------------------------------- */

typedef struct {
    uint32_t offset, index;
    uint64_t end;
} span_t;

static span_t span_of(const uint8_t *d, uint32_t j)
{
    const uint8_t *p = qlr_img_entry(d, j);
    uint32_t o = qlr_img_rd32(p + 8);
    return (span_t){.offset = o, .end = (uint64_t)o + qlr_img_rd32(p + 12), .index = j};
}

/* Is a's (offset, end, index) key below b's? */
static int key_less(span_t a, span_t b)
{
    if (a.offset != b.offset) {
        return a.offset < b.offset;
    }
    if (a.end != b.end) {
        return a.end < b.end;
    }
    return a.index < b.index;
}

/* The section after `prev` in (offset, end, index) order (the first one when prev is NULL). */
static span_t next_span(const uint8_t *d, uint32_t count, const span_t *prev)
{
    int found = 0;
    span_t best = {.offset = 0, .index = 0, .end = 0};
    for (uint32_t j = 0; j < count; j++) {
        span_t s = span_of(d, j);
        if (prev != NULL && !key_less(*prev, s)) {
            continue;
        }
        if (!found || key_less(s, best)) {
            found = 1;
            best = s;
        }
    }
    return best;
}

/* No overlaps; every byte between and after the sections is zero. Walks the sections sorted by
 * (offset, end, index) as the host does. */
static int check_layout(const uint8_t *d, size_t n, uint32_t count, uint32_t table_end, qlr_image_error_t *e)
{
    uint64_t pos = table_end;
    span_t prev = {.offset = 0, .index = 0, .end = 0};
    for (uint32_t step = 0; step < count; step++) {
        span_t b = next_span(d, count, step == 0u ? NULL : &prev);
        qlr_section_t s;
        qlr_img_decode_entry(d, b.index, &s);
        if (b.offset < pos) {
            for (uint32_t t = 0; t < count; t++) {
                span_t o = span_of(d, t);
                if (t != b.index && o.offset < b.end && b.offset < o.end) {
                    e->other = (int32_t)t;
                    break;
                }
            }
            qlr_img_err_value(e, b.offset);
            return qlr_img_err_sec(e, &s, "offset", "overlaps another section");
        }
        if (qlr_img_any_nonzero(d + pos, (size_t)(b.offset - pos))) {
            return qlr_img_err_sec(e, &s, NULL, "the padding before this section is not zero");
        }
        pos = b.end > pos ? b.end : pos;
        prev = b;
    }
    if (qlr_img_any_nonzero(d + pos, (size_t)(n - pos))) {
        qlr_img_err_value(e, (int64_t)pos);
        return qlr_img_err_plain(e, NULL, "the padding after the last section (from byte %v) is not zero");
    }
    return 0;
}

int qlr_img_check_container(const uint8_t *d, size_t n, uint32_t *count, qlr_image_error_t *e)
{
    if (check_header(d, n, e) != 0) {
        return -1;
    }
    uint32_t c = qlr_img_rd32(d + 20);
    uint32_t table_end = QLR_IMAGE_HEADER_SIZE + c * QLR_IMAGE_ENTRY_SIZE;
    for (uint32_t i = 0; i < c; i++) {
        if (check_entry(d, n, i, table_end, e) != 0) {
            return -1;
        }
    }
    if (check_layout(d, n, c, table_end, e) != 0) {
        return -1;
    }
    *count = c;
    return 0;
}

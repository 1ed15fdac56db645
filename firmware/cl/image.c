/*
 * The qlr image reader (qlr/image.h): every rule of docs/image-format.md, in the order of the
 * host reader (host/qlr/image/container.py parse_container, then content.py decode_image), so
 * both name the same field, section and layer for the same image.
 *
 * No allocation: sections are looked up by scanning the table, the overlap/padding walk visits
 * the sections in (offset, end, index) order by selecting the next one each time (O(S^2)), and
 * the set of "used" sections is a predicate evaluated at the end rather than a bitmap.
 */
#include "qlr/image.h"

#include <string.h>

#include "qlr/link.h" /* qlr_crc32 */

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qlr/image.h uses multi-byte section elements in place: little-endian cores only"
#endif

#define INT32_MAX_V 2147483647LL
#define SHIFT_MIN 1u
#define SHIFT_MAX 62u
#define ADD_MULT_LIMIT (1L << 21)
#define ADD_SHIFT_MAX 31u
#define SIZE_CAP (1ull << 40) /* saturation of size products: anything above 2^32 is wrong anyway */

static const uint8_t MAGIC[8] = {0x89u, 'Q', 'L', 'R', '\r', '\n', 0x1Au, '\n'};
static const char *const SHAPE_FIELD[QLR_IMAGE_MAX_NDIM] = {"shape[0]", "shape[1]", "shape[2]",
                                                            "shape[3]", "shape[4]", "shape[5]"};

/* ---- little-endian reads ------------------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static float f32_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int bits_finite(uint32_t u)
{
    return (u & 0x7F800000u) != 0x7F800000u;
}

/* finite and > 0 (positive subnormals included, as in Python) */
static int finite_pos(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return bits_finite(u) && f > 0.0f;
}

static int any_nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0u) {
            return 1;
        }
    }
    return 0;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    if (a == 0u || b == 0u) {
        return 0u;
    }
    if (a > SIZE_CAP / b) {
        return SIZE_CAP;
    }
    return a * b;
}

/* ---- names -------------------------------------------------------------------------------- */

const char *qlr_section_type_name(unsigned type)
{
    switch (type) {
    case QLR_SEC_NETWORK: return "NETWORK";
    case QLR_SEC_META: return "META";
    case QLR_SEC_FE_WEIGHT: return "FE_WEIGHT";
    case QLR_SEC_FE_BIAS: return "FE_BIAS";
    case QLR_SEC_FE_MULT: return "FE_MULT";
    case QLR_SEC_FE_SHIFT: return "FE_SHIFT";
    case QLR_SEC_BE_WEIGHT: return "BE_WEIGHT";
    case QLR_SEC_BE_BIAS: return "BE_BIAS";
    case QLR_SEC_LR_LATENTS: return "LR_LATENTS";
    case QLR_SEC_LR_LABELS: return "LR_LABELS";
    case QLR_SEC_LR_SCALE: return "LR_SCALE";
    case QLR_SEC_LR_CODE_MAX: return "LR_CODE_MAX";
    case QLR_SEC_DATA_IMAGES: return "DATA_IMAGES";
    case QLR_SEC_DATA_LABELS: return "DATA_LABELS";
    default: return "?";
    }
}

const char *qlr_layer_kind_name(unsigned kind)
{
    static const char *const names[] = {"?", "conv2d", "dwconv2d", "pwconv", "linear", "avgpool",
                                        "global_avgpool", "add", "flatten", "relu", "relu6"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "?";
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

static int is_param_kind(unsigned k)
{
    return k == QLR_LAYER_CONV2D || k == QLR_LAYER_DWCONV2D || k == QLR_LAYER_PWCONV || k == QLR_LAYER_LINEAR;
}

static int is_window_kind(unsigned k)
{
    return k == QLR_LAYER_CONV2D || k == QLR_LAYER_DWCONV2D || k == QLR_LAYER_AVGPOOL;
}

/* front-end kinds with requantization parameters (FE_MULT, FE_SHIFT) */
static int has_requant(unsigned k)
{
    return is_param_kind(k) || k == QLR_LAYER_AVGPOOL || k == QLR_LAYER_GLOBAL_AVGPOOL || k == QLR_LAYER_ADD;
}

/* ---- errors ------------------------------------------------------------------------------- */

static void err_clear(qlr_image_error_t *e)
{
    memset(e, 0, sizeof *e);
    e->section = -1;
    e->layer = -1;
    e->other = -1;
}

static void err_value(qlr_image_error_t *e, int64_t v)
{
    e->has_value = 1;
    e->value = v;
}

static int err_plain(qlr_image_error_t *e, const char *field, const char *msg)
{
    e->field = field;
    e->message = msg;
    return -1;
}

static int err_sec(qlr_image_error_t *e, const qlr_section_t *s, const char *field, const char *msg)
{
    e->section = (int32_t)s->index;
    e->section_type = s->type;
    e->section_group = s->group;
    memcpy(e->section_name, s->name, sizeof e->section_name);
    return err_plain(e, field, msg);
}

static int err_layer(qlr_image_error_t *e, uint32_t i, unsigned kind, const char *field, const char *msg)
{
    e->layer = (int32_t)i;
    e->layer_kind = (uint8_t)kind;
    return err_plain(e, field, msg);
}

/* A section of (type, group) a layer needs is missing. */
static int err_missing(qlr_image_error_t *e, int32_t layer, unsigned kind, unsigned type, unsigned group,
                       const char *msg)
{
    e->layer = layer;
    e->layer_kind = (uint8_t)kind;
    e->section_type = (uint16_t)type;
    e->section_group = (uint16_t)group;
    return err_plain(e, NULL, msg);
}

/* ---- formatting --------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t n, len;
} sbuf_t;

static void put_s(sbuf_t *b, const char *s)
{
    while (s != NULL && *s != '\0') {
        if (b->len + 1u < b->n) {
            b->buf[b->len++] = *s;
        }
        s++;
    }
}

static void put_i(sbuf_t *b, int64_t v)
{
    char tmp[24];
    size_t k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[k++] = (char)('0' + (int)(u % 10u));
        u /= 10u;
    } while (u != 0u);
    if (v < 0) {
        tmp[k++] = '-';
    }
    char out[24];
    for (size_t i = 0; i < k; i++) {
        out[i] = tmp[k - 1u - i];
    }
    out[k] = '\0';
    put_s(b, out);
}

size_t qlr_image_error_format(const qlr_image_error_t *e, char *buf, size_t n)
{
    sbuf_t b = {.buf = buf, .n = n, .len = 0};
    if (n == 0u) {
        return 0u;
    }
    int where = 0;
    if (e->layer >= 0) {
        put_s(&b, "NETWORK layer ");
        put_i(&b, e->layer);
        if (e->layer_kind != 0u) {
            put_s(&b, " (");
            put_s(&b, qlr_layer_kind_name(e->layer_kind));
            put_s(&b, ")");
        }
        where = 1;
    }
    if (e->section >= 0 || e->section_type != 0u) {
        if (where) {
            put_s(&b, ": ");
        }
        put_s(&b, "section ");
        if (e->section >= 0) {
            put_i(&b, e->section);
            if (e->section_name[0] != '\0') {
                put_s(&b, " '");
                put_s(&b, e->section_name);
                put_s(&b, "'");
            }
            if (e->section_type != 0u) {
                put_s(&b, " (");
                if (qlr_section_type_name(e->section_type)[0] == '?') {
                    put_s(&b, "type ");
                    put_i(&b, e->section_type);
                } else {
                    put_s(&b, qlr_section_type_name(e->section_type));
                }
                put_s(&b, ", group ");
                put_i(&b, e->section_group);
                put_s(&b, ")");
            }
        } else {
            put_s(&b, qlr_section_type_name(e->section_type));
            put_s(&b, " group ");
            put_i(&b, e->section_group);
        }
        where = 1;
    }
    if (!where) {
        put_s(&b, e->field != NULL ? "header" : "image");
    }
    put_s(&b, ": ");
    const char *msg = e->message != NULL ? e->message : "invalid";
    const char *pv = strstr(msg, "%v");
    if (e->field != NULL) {
        put_s(&b, "field '");
        put_s(&b, e->field);
        put_s(&b, "'");
        if (e->has_value && pv == NULL) {
            put_s(&b, " is ");
            put_i(&b, e->value);
        }
        put_s(&b, ": ");
    }
    if (pv != NULL) {
        for (const char *c = msg; c < pv; c++) {
            char one[2] = {*c, '\0'};
            put_s(&b, one);
        }
        if (e->has_value) {
            put_i(&b, e->value);
        }
        put_s(&b, pv + 2);
    } else {
        put_s(&b, msg);
        if (e->has_value && e->field == NULL) {
            put_s(&b, " (");
            put_i(&b, e->value);
            put_s(&b, ")");
        }
    }
    if (e->other >= 0) {
        put_s(&b, " (section ");
        put_i(&b, e->other);
        put_s(&b, ")");
    }
    b.buf[b.len] = '\0';
    return b.len;
}

/* ---- table entries and layer records ------------------------------------------------------- */

static void decode_entry(const uint8_t *image, uint32_t i, qlr_section_t *s)
{
    const uint8_t *p = image + QLR_IMAGE_HEADER_SIZE + (size_t)QLR_IMAGE_ENTRY_SIZE * i;
    memset(s, 0, sizeof *s);
    s->index = i;
    s->type = rd16(p);
    s->dtype = p[2];
    s->ndim = p[3];
    s->group = rd16(p + 4);
    s->bits = p[6];
    s->offset = rd32(p + 8);
    s->size = rd32(p + 12);
    s->align = rd32(p + 16);
    for (unsigned k = 0; k < QLR_IMAGE_MAX_NDIM; k++) {
        s->shape[k] = rd32(p + 24 + (size_t)4u * k);
    }
    memcpy(s->name, p + 48, QLR_IMAGE_NAME_LEN);
    s->name[QLR_IMAGE_NAME_LEN] = '\0';
    uint64_t count = 1u;
    unsigned nd = s->ndim <= QLR_IMAGE_MAX_NDIM ? s->ndim : QLR_IMAGE_MAX_NDIM;
    for (unsigned k = 0; k < nd; k++) {
        count = sat_mul(count, s->shape[k]);
    }
    s->count = count;
}

static void decode_layer(const uint8_t *p, qlr_layer_t *r)
{
    r->kind = p[0];
    r->act = p[1];
    r->stage = p[2];
    r->flags = p[3];
    r->input0 = rd16(p + 4);
    r->input1 = rd16(p + 6);
    r->in_h = rd16(p + 8);
    r->in_w = rd16(p + 10);
    r->in_c = rd32(p + 12);
    r->out_h = rd16(p + 16);
    r->out_w = rd16(p + 18);
    r->out_c = rd32(p + 20);
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
    r->index = (int16_t)rd16(p + 38);
    r->in_scale = f32_of(rd32(p + 40));
    r->out_scale = f32_of(rd32(p + 44));
    r->in_scale_b = f32_of(rd32(p + 48));
}

/* Bytes a section of this element type and shape needs (saturating at SIZE_CAP). */
static uint64_t expected_size(const qlr_section_t *s)
{
    if (s->dtype == QLR_DT_PACKED) {
        uint64_t per_row = 1u;
        for (unsigned k = 1; k < s->ndim; k++) {
            per_row = sat_mul(per_row, s->shape[k]);
        }
        uint64_t row_bytes = (sat_mul(per_row, s->bits) + 7u) / 8u;
        return sat_mul(s->shape[0], row_bytes);
    }
    return sat_mul(s->count, itemsize(s->dtype));
}

/* ---- container ---------------------------------------------------------------------------- */

/* The section name: NUL-terminated inside its 32 bytes, then only NULs; 1..32 of [A-Za-z0-9_.-]. */
static const char *check_name(const uint8_t *raw)
{
    size_t len = 0;
    while (len < QLR_IMAGE_NAME_LEN && raw[len] != 0u) {
        len++;
    }
    if (any_nonzero(raw + len, QLR_IMAGE_NAME_LEN - len)) {
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

static int check_header(const uint8_t *d, size_t n, qlr_image_error_t *e)
{
    if (n < QLR_IMAGE_HEADER_SIZE) {
        err_value(e, (int64_t)n);
        return err_plain(e, NULL, "truncated: %v bytes, the header alone is 64");
    }
    if (memcmp(d, MAGIC, sizeof MAGIC) != 0) {
        return err_plain(e, "magic", "not a qlr image (expected 89 51 4C 52 0D 0A 1A 0A)");
    }
    uint32_t version = rd32(d + 8);
    if (version != QLR_IMAGE_VERSION) {
        err_value(e, version);
        return err_plain(e, "version", "this reader knows only version 1");
    }
    if (rd32(d + 60) != qlr_crc32(0, d, 60)) {
        return err_plain(e, "header_crc32", "does not match the header bytes");
    }
    if (rd32(d + 12) != QLR_IMAGE_HEADER_SIZE) {
        err_value(e, rd32(d + 12));
        return err_plain(e, "header_size", "expected 64");
    }
    if (rd32(d + 16) != QLR_IMAGE_ENTRY_SIZE) {
        err_value(e, rd32(d + 16));
        return err_plain(e, "entry_size", "expected 128");
    }
    if (rd32(d + 32) != 0u) {
        err_value(e, rd32(d + 32));
        return err_plain(e, "flags", "no flags are defined (must be 0)");
    }
    if (any_nonzero(d + 40, 20)) {
        return err_plain(e, "reserved", "is not all zero");
    }
    uint32_t file_size = rd32(d + 28);
    if ((uint64_t)file_size != (uint64_t)n) {
        err_value(e, file_size);
        return err_plain(e, "file_size", (uint64_t)n < file_size ? "is more than the image's length (image truncated)"
                                                                 : "is less than the image's length (image has trailing bytes)");
    }
    uint32_t count = rd32(d + 20);
    if (count < 1u || count > QLR_IMAGE_MAX_SECTIONS) {
        err_value(e, count);
        return err_plain(e, "section_count", "must be in [1, 4096]");
    }
    if (rd32(d + 24) != QLR_IMAGE_HEADER_SIZE) {
        err_value(e, rd32(d + 24));
        return err_plain(e, "table_offset", "the table must follow the header at 64");
    }
    uint64_t table_end = QLR_IMAGE_HEADER_SIZE + (uint64_t)count * QLR_IMAGE_ENTRY_SIZE;
    if (table_end > n) {
        err_value(e, count);
        return err_plain(e, NULL, "the section table (%v entries) runs beyond the image");
    }
    if (rd32(d + 36) != qlr_crc32(0, d + QLR_IMAGE_HEADER_SIZE, (size_t)(table_end - QLR_IMAGE_HEADER_SIZE))) {
        return err_plain(e, "table_crc32", "does not match the section table");
    }
    return 0;
}

static int check_entry(const uint8_t *d, size_t n, uint32_t i, uint32_t table_end, qlr_image_error_t *e)
{
    const uint8_t *p = d + QLR_IMAGE_HEADER_SIZE + (size_t)QLR_IMAGE_ENTRY_SIZE * i;
    qlr_section_t s;
    decode_entry(d, i, &s);
    const char *bad = check_name(p + 48);
    if (bad != NULL) {
        e->section = (int32_t)i;
        return err_plain(e, "name", bad);
    }
    unsigned want = required_dtype(s.type);
    if (want == 0u) {
        err_value(e, s.type);
        return err_sec(e, &s, "type", "is not a known section type");
    }
    if (s.dtype < QLR_DT_U8 || s.dtype > QLR_DT_LAYER) {
        err_value(e, s.dtype);
        return err_sec(e, &s, "dtype", "is not a known element type");
    }
    if (s.dtype != want) {
        err_value(e, s.dtype);
        return err_sec(e, &s, "dtype", "is not the element type this section type requires");
    }
    if (p[7] != 0u) {
        err_value(e, p[7]);
        return err_sec(e, &s, "flags", "must be 0");
    }
    if (any_nonzero(p + 80, 48)) {
        return err_sec(e, &s, "reserved", "is not all zero");
    }
    for (uint32_t j = 0; j < i; j++) {
        if (memcmp(p + 48, d + QLR_IMAGE_HEADER_SIZE + (size_t)QLR_IMAGE_ENTRY_SIZE * j + 48, QLR_IMAGE_NAME_LEN) == 0) {
            e->other = (int32_t)j;
            return err_sec(e, &s, "name", "repeats the name of another section");
        }
    }
    if (s.ndim < 1u || s.ndim > QLR_IMAGE_MAX_NDIM) {
        err_value(e, s.ndim);
        return err_sec(e, &s, "ndim", "must be in [1, 6]");
    }
    for (unsigned k = 0; k < s.ndim; k++) {
        if (s.shape[k] == 0u) {
            err_value(e, 0);
            return err_sec(e, &s, SHAPE_FIELD[k], "every dimension must be >= 1");
        }
        if (s.shape[k] >= 0x80000000u) {
            err_value(e, s.shape[k]);
            return err_sec(e, &s, SHAPE_FIELD[k], "impossible (negative as int32 or too large)");
        }
    }
    for (unsigned k = s.ndim; k < QLR_IMAGE_MAX_NDIM; k++) {
        if (s.shape[k] != 0u) {
            return err_sec(e, &s, "shape", "has non-zero entries beyond ndim");
        }
    }
    if (s.dtype == QLR_DT_PACKED) {
        if (s.bits < 1u || s.bits > 8u) {
            err_value(e, s.bits);
            return err_sec(e, &s, "bits", "packed sections need 1..8");
        }
        if (s.ndim < 2u) {
            err_value(e, s.ndim);
            return err_sec(e, &s, "ndim", "packed sections are [rows, ...] with >= 2 dims");
        }
    } else if (s.bits != 0u) {
        err_value(e, s.bits);
        return err_sec(e, &s, "bits", "must be 0 for this element type");
    }
    if (s.align < QLR_IMAGE_MIN_ALIGN || s.align > QLR_IMAGE_MAX_ALIGN || (s.align & (s.align - 1u)) != 0u) {
        err_value(e, s.align);
        return err_sec(e, &s, "align", "must be a power of two in [64, 65536]");
    }
    if (s.offset % s.align != 0u) {
        err_value(e, s.offset);
        return err_sec(e, &s, "offset", "is not a multiple of its alignment");
    }
    if (s.offset < table_end) {
        err_value(e, s.offset);
        return err_sec(e, &s, "offset", "lies inside the header or section table");
    }
    if ((uint64_t)s.offset + s.size > (uint64_t)n) {
        err_value(e, s.size);
        return err_sec(e, &s, "size", "offset + size runs past the end of the image");
    }
    if (expected_size(&s) != s.size) {
        err_value(e, s.size);
        return err_sec(e, &s, "size", "does not match what shape and element type need");
    }
    if (rd32(p + 20) != qlr_crc32(0, d + s.offset, s.size)) {
        return err_sec(e, &s, "crc32", "does not match the section data");
    }
    return 0;
}

/* Is section a's (offset, end, index) key below b's? */
static int key_less(uint32_t ao, uint64_t ae, uint32_t ai, uint32_t bo, uint64_t be, uint32_t bi)
{
    if (ao != bo) {
        return ao < bo;
    }
    if (ae != be) {
        return ae < be;
    }
    return ai < bi;
}

/* No overlaps; every byte between and after the sections is zero. Walks the sections sorted by
 * (offset, end, index) as the host does, picking the next one by a scan of the table. */
static int check_layout(const uint8_t *d, size_t n, uint32_t count, uint32_t table_end, qlr_image_error_t *e)
{
    uint64_t pos = table_end;
    int have_prev = 0;
    uint32_t po = 0, pi = 0;
    uint64_t pe = 0;
    for (uint32_t step = 0; step < count; step++) {
        int found = 0;
        uint32_t bo = 0, bi = 0;
        uint64_t be = 0;
        for (uint32_t j = 0; j < count; j++) {
            const uint8_t *p = d + QLR_IMAGE_HEADER_SIZE + (size_t)QLR_IMAGE_ENTRY_SIZE * j;
            uint32_t o = rd32(p + 8);
            uint64_t end = (uint64_t)o + rd32(p + 12);
            if (have_prev && !key_less(po, pe, pi, o, end, j)) {
                continue;
            }
            if (!found || key_less(o, end, j, bo, be, bi)) {
                found = 1;
                bo = o;
                be = end;
                bi = j;
            }
        }
        qlr_section_t s;
        decode_entry(d, bi, &s);
        if (bo < pos) {
            for (uint32_t t = 0; t < count; t++) {
                const uint8_t *p = d + QLR_IMAGE_HEADER_SIZE + (size_t)QLR_IMAGE_ENTRY_SIZE * t;
                uint32_t o = rd32(p + 8);
                uint64_t end = (uint64_t)o + rd32(p + 12);
                if (t != bi && o < be && bo < end) {
                    e->other = (int32_t)t;
                    break;
                }
            }
            err_value(e, bo);
            return err_sec(e, &s, "offset", "overlaps another section");
        }
        if (any_nonzero(d + pos, (size_t)(bo - pos))) {
            return err_sec(e, &s, NULL, "the padding before this section is not zero");
        }
        pos = be > pos ? be : pos;
        have_prev = 1;
        po = bo;
        pe = be;
        pi = bi;
    }
    if (any_nonzero(d + pos, (size_t)(n - pos))) {
        err_value(e, (int64_t)pos);
        return err_plain(e, NULL, "the padding after the last section (from byte %v) is not zero");
    }
    return 0;
}

/* ---- accessors (also used while opening, on a partially filled img) ------------------------ */

int qlr_image_section_at(const qlr_image_t *img, uint32_t index, qlr_section_t *out)
{
    if (img == NULL || img->data == NULL || index >= img->section_count) {
        return -1;
    }
    decode_entry(img->data, index, out);
    out->data = img->data + out->offset;
    return 0;
}

int qlr_image_find(const qlr_image_t *img, unsigned type, unsigned group, qlr_section_t *out)
{
    if (img != NULL && img->data != NULL) {
        for (uint32_t i = 0; i < img->section_count; i++) {
            const uint8_t *p = img->data + QLR_IMAGE_HEADER_SIZE + (size_t)QLR_IMAGE_ENTRY_SIZE * i;
            if (rd16(p) == type && rd16(p + 4) == group) {
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
    decode_layer(img->layer_records + (size_t)QLR_IMAGE_LAYER_SIZE * i, out);
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

/* ---- meaning: the layer table --------------------------------------------------------------- */

static int shape_is(const qlr_section_t *s, unsigned ndim, const uint32_t *want)
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

static int shape_is1(const qlr_section_t *s, uint32_t d0)
{
    return shape_is(s, 1u, &d0);
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

/* The output shape a record implies (64-bit: a flatten may exceed 2^32); NULL or why it cannot be. */
static const char *expected_out(const qlr_layer_t *r, const char **field, uint64_t *oh, uint64_t *ow, uint64_t *oc)
{
    uint64_t h = r->in_h, w = r->in_w, c = r->in_c;
    if (is_window_kind(r->kind)) {
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
        *oc = r->kind == QLR_LAYER_CONV2D ? r->out_c : c;
        return NULL;
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

static int same_in_shape(const qlr_layer_t *a, const qlr_layer_t *b)
{
    return a->in_h == b->in_h && a->in_w == b->in_w && a->in_c == b->in_c;
}

static int check_layers(qlr_image_t *img, const qlr_section_t *net, qlr_image_error_t *e)
{
    uint32_t n = net->shape[0];
    if (n >= QLR_IMAGE_NO_INPUT) {
        err_value(e, n);
        return err_sec(e, net, "shape[0]", "at most 65534 layers");
    }
    const uint8_t *recs = net->data;
    qlr_layer_t l0;
    decode_layer(recs, &l0);
    int seen_back = 0;
    int64_t last_front = -1;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *raw = recs + (size_t)QLR_IMAGE_LAYER_SIZE * i;
        qlr_layer_t r;
        decode_layer(raw, &r);
        unsigned k = r.kind;
        if (k < QLR_LAYER_CONV2D || k > QLR_LAYER_RELU6) {
            err_value(e, k);
            return err_layer(e, i, 0, "kind", "is not a known layer kind");
        }
        if (any_nonzero(raw + 52, 12)) {
            return err_layer(e, i, k, "reserved", "is not all zero");
        }
        if (r.act > QLR_ACT_RELU6) {
            err_value(e, r.act);
            return err_layer(e, i, k, "act", "is not a known activation");
        }
        if (r.act != QLR_ACT_NONE && !is_param_kind(k) && k != QLR_LAYER_ADD) {
            return err_layer(e, i, k, "act", "must be NONE for this kind");
        }
        if (r.stage > QLR_STAGE_BACK) {
            err_value(e, r.stage);
            return err_layer(e, i, k, "stage", "is not FRONT (0) or BACK (1)");
        }
        if ((r.flags & ~QLR_LAYER_HAS_BIAS) != 0u) {
            err_value(e, r.flags);
            return err_layer(e, i, k, "flags", "has unknown bits");
        }
        if ((r.flags & QLR_LAYER_HAS_BIAS) != 0u && !is_param_kind(k)) {
            return err_layer(e, i, k, "flags", "says bias but the kind has no parameters");
        }
        if (r.stage == QLR_STAGE_BACK) {
            seen_back = 1;
        } else if (seen_back) {
            return err_layer(e, i, k, "stage", "FRONT after a BACK layer (front-end layers come first)");
        } else {
            last_front = (int64_t)i;
        }
        if (r.in_h < 1u || r.in_w < 1u || r.in_c < 1u) {
            return err_layer(e, i, k, "in_shape", "needs dims >= 1");
        }
        if (r.out_h < 1u || r.out_w < 1u || r.out_c < 1u) {
            return err_layer(e, i, k, "out_shape", "needs dims >= 1");
        }
        /* links */
        if (k != QLR_LAYER_ADD && r.input1 != QLR_IMAGE_NO_INPUT) {
            return err_layer(e, i, k, "input1", "must be 0xFFFF (only add takes two inputs)");
        }
        if (i == 0u && r.input0 != QLR_IMAGE_NO_INPUT) {
            return err_layer(e, i, k, "input0", "must be the network input (0xFFFF)");
        }
        unsigned nsrc = k == QLR_LAYER_ADD ? 2u : 1u;
        for (unsigned si = 0; si < nsrc; si++) {
            uint32_t src = si == 0u ? r.input0 : r.input1;
            const char *fname = si == 0u ? "input0" : "input1";
            if (src == QLR_IMAGE_NO_INPUT) {
                if (!same_in_shape(&r, &l0)) {
                    return err_layer(e, i, k, fname, "is the network input but 'in_shape' differs from it");
                }
                if (r.stage == QLR_STAGE_BACK && last_front >= 0) {
                    return err_layer(e, i, k, fname, "a back-end layer cannot read the network input");
                }
                continue;
            }
            if (src >= i) {
                err_value(e, src);
                return err_layer(e, i, k, fname, "is not an earlier layer");
            }
            qlr_layer_t p;
            decode_layer(recs + (size_t)QLR_IMAGE_LAYER_SIZE * src, &p);
            if (r.stage == QLR_STAGE_BACK && p.stage == QLR_STAGE_FRONT && (int64_t)src != last_front) {
                err_value(e, src);
                return err_layer(e, i, k, fname, "only the latent (the last front-end layer) may cross into the back-end");
            }
            if (p.out_h != r.in_h || p.out_w != r.in_w || p.out_c != r.in_c) {
                err_value(e, src);
                return err_layer(e, i, k, "in_shape", "differs from layer %v's 'out_shape'");
            }
        }
        const char *field = NULL;
        uint64_t oh = 0, ow = 0, oc = 0;
        const char *why = expected_out(&r, &field, &oh, &ow, &oc);
        if (why != NULL) {
            return err_layer(e, i, k, field, why);
        }
        if (r.out_h != oh || r.out_w != ow || r.out_c != oc) {
            return err_layer(e, i, k, "out_shape", "does not follow from the input shape, kernel, stride and padding");
        }
        if (k == QLR_LAYER_DWCONV2D && r.out_c != r.in_c) {
            return err_layer(e, i, k, "out_shape", "channels must equal the input's");
        }
        /* per-stage fields */
        if (r.stage == QLR_STAGE_FRONT) {
            if (!finite_pos(r.in_scale)) {
                return err_layer(e, i, k, "in_scale", "must be finite and > 0");
            }
            if (!finite_pos(r.out_scale)) {
                return err_layer(e, i, k, "out_scale", "must be finite and > 0");
            }
            if (r.act_min > r.act_max) {
                err_value(e, r.act_min);
                return err_layer(e, i, k, "act_min", "is above 'act_max'");
            }
            if (k == QLR_LAYER_ADD) {
                if (!finite_pos(r.in_scale_b)) {
                    return err_layer(e, i, k, "in_scale_b", "must be finite and > 0");
                }
            } else if (r.in_zp_b != 0u || r.in_scale_b != 0.0f) {
                return err_layer(e, i, k, "in_zp_b", "'in_zp_b'/'in_scale_b' are for add layers only (must be 0)");
            }
            if (!is_param_kind(k) && r.w_zp != 0) {
                return err_layer(e, i, k, "w_zp", "must be 0 for a layer without weights");
            }
            for (unsigned si = 0; si < nsrc; si++) {
                uint32_t src = si == 0u ? r.input0 : r.input1;
                uint8_t zp = si == 0u ? r.in_zp : r.in_zp_b;
                float sc = si == 0u ? r.in_scale : r.in_scale_b;
                uint8_t want_zp = l0.in_zp;
                float want_sc = l0.in_scale;
                if (src != QLR_IMAGE_NO_INPUT) {
                    qlr_layer_t p;
                    decode_layer(recs + (size_t)QLR_IMAGE_LAYER_SIZE * src, &p);
                    want_zp = p.out_zp;
                    want_sc = p.out_scale;
                }
                if (zp != want_zp || sc != want_sc) {
                    return err_layer(e, i, k, si == 0u ? "in_zp" : "in_zp_b",
                                     "zero point and scale differ from its producer's output quantization");
                }
            }
            if ((k == QLR_LAYER_FLATTEN || k == QLR_LAYER_RELU || k == QLR_LAYER_RELU6) &&
                (r.in_zp != r.out_zp || r.in_scale != r.out_scale)) {
                return err_layer(e, i, k, NULL, "a flatten, relu or relu6 layer must keep its input's scale and zero point");
            }
        } else if (r.in_zp != 0u || r.out_zp != 0u || r.act_min != 0u || r.act_max != 0u || r.w_zp != 0 ||
                   r.in_zp_b != 0u || r.in_scale != 0.0f || r.out_scale != 0.0f || r.in_scale_b != 0.0f) {
            return err_layer(e, i, k, NULL, "quantization fields must be 0 in a back-end (FP32) layer");
        }
    }
    img->layer_records = recs;
    img->layer_count = n;
    img->front_count = (uint32_t)(last_front + 1);
    img->back_count = n - img->front_count;
    img->in_h = l0.in_h;
    img->in_w = l0.in_w;
    img->in_c = l0.in_c;
    if (last_front >= 0) {
        qlr_layer_t lat;
        decode_layer(recs + (size_t)QLR_IMAGE_LAYER_SIZE * (uint32_t)last_front, &lat);
        img->latent_h = lat.out_h;
        img->latent_w = lat.out_w;
        img->latent_c = lat.out_c;
        img->latent_elements = qlr_layer_out_elements(&lat);
    }
    qlr_layer_t last;
    decode_layer(recs + (size_t)QLR_IMAGE_LAYER_SIZE * (n - 1u), &last);
    if (last.out_h == 1u && last.out_w == 1u) {
        img->num_classes = last.out_c;
    }
    return 0;
}

/* ---- meaning: META (strict UTF-8 + JSON object, as Python's json.loads) ----------------------- */

/* Length of the UTF-8 sequence at p (well-formed as Python decodes it), 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
    uint8_t c = p[0];
    if (c < 0x80u) {
        return 1u;
    }
    size_t len;
    uint8_t lo = 0x80u, hi = 0xBFu;
    if (c >= 0xC2u && c <= 0xDFu) {
        len = 2u;
    } else if (c >= 0xE0u && c <= 0xEFu) {
        len = 3u;
        if (c == 0xE0u) {
            lo = 0xA0u; /* no overlong forms */
        } else if (c == 0xEDu) {
            hi = 0x9Fu; /* no surrogates */
        }
    } else if (c >= 0xF0u && c <= 0xF4u) {
        len = 4u;
        if (c == 0xF0u) {
            lo = 0x90u;
        } else if (c == 0xF4u) {
            hi = 0x8Fu; /* <= U+10FFFF */
        }
    } else {
        return 0u;
    }
    if (left < len || p[1] < lo || p[1] > hi) {
        return 0u;
    }
    for (size_t k = 2; k < len; k++) {
        if (p[k] < 0x80u || p[k] > 0xBFu) {
            return 0u;
        }
    }
    return len;
}

typedef struct {
    const uint8_t *p;
    size_t n, i;
} json_t;

static void json_ws(json_t *j)
{
    while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\n' || j->p[j->i] == '\r')) {
        j->i++;
    }
}

static int json_lit(json_t *j, const char *lit)
{
    size_t len = strlen(lit);
    if (j->n - j->i < len || memcmp(j->p + j->i, lit, len) != 0) {
        return -1;
    }
    j->i += len;
    return 0;
}

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(uint8_t c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int json_string(json_t *j)
{
    if (j->i >= j->n || j->p[j->i] != '"') {
        return -1;
    }
    j->i++;
    while (j->i < j->n) {
        uint8_t c = j->p[j->i];
        if (c == '"') {
            j->i++;
            return 0;
        }
        if (c < 0x20u) {
            return -1;
        }
        if (c == '\\') {
            if (j->i + 1u >= j->n) {
                return -1;
            }
            uint8_t x = j->p[j->i + 1u];
            if (x == 'u') {
                if (j->n - j->i < 6u) {
                    return -1;
                }
                for (size_t k = 2; k < 6; k++) {
                    if (!is_hex(j->p[j->i + k])) {
                        return -1;
                    }
                }
                j->i += 6u;
            } else if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' || x == 'r' ||
                       x == 't') {
                j->i += 2u;
            } else {
                return -1;
            }
        } else {
            j->i += utf8_seq(j->p + j->i, j->n - j->i); /* already validated */
        }
    }
    return -1;
}

static int json_number(json_t *j)
{
    if (j->i < j->n && j->p[j->i] == '-') {
        j->i++;
    }
    if (j->i >= j->n || !is_digit(j->p[j->i])) {
        return -1;
    }
    if (j->p[j->i] == '0') {
        j->i++;
    } else {
        while (j->i < j->n && is_digit(j->p[j->i])) {
            j->i++;
        }
    }
    if (j->i + 1u < j->n && j->p[j->i] == '.' && is_digit(j->p[j->i + 1u])) {
        j->i++;
        while (j->i < j->n && is_digit(j->p[j->i])) {
            j->i++;
        }
    }
    if (j->i < j->n && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
        size_t k = j->i + 1u;
        if (k < j->n && (j->p[k] == '+' || j->p[k] == '-')) {
            k++;
        }
        if (k < j->n && is_digit(j->p[k])) {
            while (k < j->n && is_digit(j->p[k])) {
                k++;
            }
            j->i = k;
        }
    }
    return 0;
}

/* 0: a JSON object; 1: valid JSON but not an object; -1: not UTF-8 JSON. No recursion: the
 * containers open at each depth are kept as bits. */
static int json_check(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(p + i, n - i);
        if (len == 0u) {
            return -1;
        }
        i += len;
    }
    json_t j = {.p = p, .n = n, .i = 0};
    uint64_t is_obj = 0; /* bit d: the container at depth d+1 is an object */
    unsigned depth = 0;
    int top_is_obj = 0;
    json_ws(&j);
    for (;;) {
        /* a value */
        json_ws(&j);
        if (j.i >= j.n) {
            return -1;
        }
        uint8_t c = j.p[j.i];
        if (c == '{' || c == '[') {
            if (depth >= QLR_IMAGE_JSON_MAX_DEPTH) {
                return -1;
            }
            if (depth == 0u) {
                top_is_obj = c == '{';
            }
            j.i++;
            depth++;
            if (c == '{') {
                is_obj |= (uint64_t)1 << (depth - 1u);
            } else {
                is_obj &= ~((uint64_t)1 << (depth - 1u));
            }
            json_ws(&j);
            if (j.i < j.n && j.p[j.i] == (c == '{' ? '}' : ']')) {
                j.i++;
                depth--;
            } else if (c == '{') {
                if (json_string(&j) != 0) {
                    return -1;
                }
                json_ws(&j);
                if (j.i >= j.n || j.p[j.i] != ':') {
                    return -1;
                }
                j.i++;
                continue;
            } else {
                continue;
            }
        } else if (c == '"') {
            if (json_string(&j) != 0) {
                return -1;
            }
        } else if (c == 't' || c == 'f' || c == 'n' || c == 'N' || c == 'I') {
            const char *lit = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : c == 'N' ? "NaN" : "Infinity";
            if (json_lit(&j, lit) != 0) {
                return -1;
            }
        } else if (c == '-' && json_lit(&j, "-Infinity") == 0) {
            /* consumed */
        } else if (c == '-' || is_digit(c)) {
            if (json_number(&j) != 0) {
                return -1;
            }
        } else {
            return -1;
        }
        /* after a value: close containers or go on with the next element */
        for (;;) {
            if (depth == 0u) {
                json_ws(&j);
                if (j.i != j.n) {
                    return -1;
                }
                return top_is_obj ? 0 : 1;
            }
            int obj = (int)((is_obj >> (depth - 1u)) & 1u);
            json_ws(&j);
            if (j.i >= j.n) {
                return -1;
            }
            uint8_t x = j.p[j.i++];
            if (x == (obj ? '}' : ']')) {
                depth--;
                continue;
            }
            if (x != ',') {
                return -1;
            }
            if (obj) {
                json_ws(&j);
                if (json_string(&j) != 0) {
                    return -1;
                }
                json_ws(&j);
                if (j.i >= j.n || j.p[j.i] != ':') {
                    return -1;
                }
                j.i++;
            }
            break;
        }
    }
}

/* ---- meaning: parameters, LR memory, batches ----------------------------------------------- */

static int check_finite(const qlr_section_t *s, qlr_image_error_t *e)
{
    for (uint64_t k = 0; k < s->count; k++) {
        if (!bits_finite(rd32(s->data + 4u * k))) {
            err_value(e, (int64_t)k);
            return err_sec(e, s, NULL, "contains NaN or infinity (element %v)");
        }
    }
    return 0;
}

static int need(const qlr_image_t *img, unsigned type, uint32_t i, unsigned kind, qlr_section_t *s,
                qlr_image_error_t *e)
{
    if (qlr_image_find(img, type, i, s) != 0) {
        return err_missing(e, (int32_t)i, kind, type, i, "is missing");
    }
    return 0;
}

static int check_front_params(const qlr_image_t *img, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    unsigned k = r->kind;
    qlr_section_t ms, ss;
    if (need(img, QLR_SEC_FE_MULT, i, k, &ms, e) != 0 || need(img, QLR_SEC_FE_SHIFT, i, k, &ss, e) != 0) {
        return -1;
    }
    const uint8_t *mult = ms.data, *shift = ss.data;
    if (k == QLR_LAYER_ADD) {
        if (!shape_is1(&ms, 2u)) {
            return err_sec(e, &ms, "shape", "should be [2] ((m_a, m_b) of an add)");
        }
        if (!shape_is1(&ss, 1u)) {
            return err_sec(e, &ss, "shape", "should be [1]");
        }
        for (unsigned t = 0; t < 2u; t++) {
            int32_t m = (int32_t)rd32(mult + (size_t)4u * t);
            if (m < 0 || m >= ADD_MULT_LIMIT) {
                err_value(e, m);
                return err_sec(e, &ms, NULL, "add multipliers must be in [0, 2**21)");
            }
        }
        if (shift[0] < SHIFT_MIN || shift[0] > ADD_SHIFT_MAX) {
            err_value(e, shift[0]);
            return err_sec(e, &ss, NULL, "add shift %v must be in [1, 31]");
        }
        return 0;
    }
    uint32_t cout = r->out_c;
    int pool = k == QLR_LAYER_AVGPOOL || k == QLR_LAYER_GLOBAL_AVGPOOL;
    if (!shape_is1(&ms, 1u) && (pool || !shape_is1(&ms, cout))) {
        return err_sec(e, &ms, "shape", pool ? "should be [1]" : "should be [1] or [Cout]");
    }
    if (!shape_is1(&ss, ms.shape[0])) {
        return err_sec(e, &ss, "shape", "should equal FE_MULT's (one shift per multiplier)");
    }
    for (uint32_t t = 0; t < ms.shape[0]; t++) {
        if ((int32_t)rd32(mult + (size_t)4u * t) < 0) {
            err_value(e, (int32_t)rd32(mult + (size_t)4u * t));
            return err_sec(e, &ms, NULL, "multipliers must be in [0, 2**31 - 1]");
        }
    }
    for (uint32_t t = 0; t < ss.shape[0]; t++) {
        if (shift[t] < SHIFT_MIN || shift[t] > SHIFT_MAX) {
            err_value(e, shift[t]);
            return err_sec(e, &ss, NULL, "shifts must be in [1, 62]");
        }
    }
    if (!is_param_kind(k)) {
        uint64_t taps = k == QLR_LAYER_AVGPOOL ? (uint64_t)r->kernel_h * r->kernel_w : (uint64_t)r->in_h * r->in_w;
        if (255u * taps > (uint64_t)INT32_MAX_V) {
            err_value(e, (int64_t)taps);
            return err_layer(e, i, k, NULL, "pooling window of %v taps could overflow int32");
        }
        return 0;
    }
    qlr_section_t ws, bs;
    if (need(img, QLR_SEC_FE_WEIGHT, i, k, &ws, e) != 0) {
        return -1;
    }
    uint32_t wshape[4];
    unsigned wnd = weight_shape(r, wshape);
    if (!shape_is(&ws, wnd, wshape)) {
        return err_sec(e, &ws, "shape", "does not match the layer's weight shape");
    }
    const uint8_t *bias = NULL;
    if ((r->flags & QLR_LAYER_HAS_BIAS) != 0u) {
        if (need(img, QLR_SEC_FE_BIAS, i, k, &bs, e) != 0) {
            return -1;
        }
        if (!shape_is1(&bs, cout)) {
            return err_sec(e, &bs, "shape", "should be [Cout]");
        }
        bias = bs.data;
    }
    /* worst-case int32 accumulator per channel: |bias| + K * max|w - w_zp| * (255 + in_zp) */
    const int8_t *w = (const int8_t *)ws.data;
    if (cout == 0u) {
        return err_sec(e, &ws, "shape", "has no output channels");
    }
    uint64_t taps = ws.count / cout;
    int64_t worst = -1;
    uint32_t worst_c = 0;
    for (uint32_t c = 0; c < cout; c++) {
        int32_t wmax = 0;
        for (uint64_t t = 0; t < taps; t++) {
            uint64_t at = k == QLR_LAYER_DWCONV2D ? t * cout + c : (uint64_t)c * taps + t;
            int32_t v = (int32_t)w[at] - r->w_zp;
            v = v < 0 ? -v : v;
            wmax = v > wmax ? v : wmax;
        }
        int64_t b = bias != NULL ? (int64_t)(int32_t)rd32(bias + (size_t)4u * c) : 0;
        b = b < 0 ? -b : b;
        int64_t bound = b + (int64_t)taps * wmax * (255 + (int64_t)r->in_zp);
        if (bound > worst) {
            worst = bound;
            worst_c = c;
        }
    }
    if (worst > INT32_MAX_V) {
        err_value(e, worst_c);
        return err_layer(e, i, k, NULL, "int32 accumulator could overflow in output channel %v");
    }
    return 0;
}

static int check_back_params(const qlr_image_t *img, uint32_t i, const qlr_layer_t *r, qlr_image_error_t *e)
{
    unsigned k = r->kind;
    qlr_section_t ws, bs;
    if (need(img, QLR_SEC_BE_WEIGHT, i, k, &ws, e) != 0) {
        return -1;
    }
    uint32_t wshape[4];
    unsigned wnd = weight_shape(r, wshape);
    if (!shape_is(&ws, wnd, wshape)) {
        return err_sec(e, &ws, "shape", "does not match the layer's weight shape");
    }
    if ((r->flags & QLR_LAYER_HAS_BIAS) != 0u) {
        if (need(img, QLR_SEC_BE_BIAS, i, k, &bs, e) != 0) {
            return -1;
        }
        if (!shape_is1(&bs, r->out_c)) {
            return err_sec(e, &bs, "shape", "should be [Cout]");
        }
        if (check_finite(&bs, e) != 0) {
            return -1;
        }
    }
    return check_finite(&ws, e);
}

static int check_labels(const qlr_image_t *img, const qlr_section_t *s, qlr_image_error_t *e)
{
    if (img->num_classes == 0u) {
        return 0;
    }
    uint32_t top = 0;
    for (uint64_t k = 0; k < s->count; k++) {
        uint32_t v = rd16(s->data + 2u * k);
        top = v > top ? v : top;
    }
    if (top >= img->num_classes) {
        err_value(e, top);
        return err_sec(e, s, NULL, "label %v is not below the number of classes (the last layer's output size)");
    }
    return 0;
}

static int check_lr(qlr_image_t *img, qlr_image_error_t *e)
{
    qlr_section_t lat, lab, sca, cmax;
    int has_lat = qlr_image_find(img, QLR_SEC_LR_LATENTS, 0, &lat) == 0;
    int has_lab = qlr_image_find(img, QLR_SEC_LR_LABELS, 0, &lab) == 0;
    int has_sca = qlr_image_find(img, QLR_SEC_LR_SCALE, 0, &sca) == 0;
    int has_cmax = qlr_image_find(img, QLR_SEC_LR_CODE_MAX, 0, &cmax) == 0;
    if (!has_lat && !has_lab && !has_sca && !has_cmax) {
        return 0;
    }
    static const char missing[] = "is missing (an LR memory needs LR_LATENTS, LR_LABELS and LR_SCALE)";
    if (!has_lat) {
        return err_missing(e, -1, 0, QLR_SEC_LR_LATENTS, 0, missing);
    }
    if (!has_lab) {
        return err_missing(e, -1, 0, QLR_SEC_LR_LABELS, 0, missing);
    }
    if (!has_sca) {
        return err_missing(e, -1, 0, QLR_SEC_LR_SCALE, 0, missing);
    }
    uint32_t nlr = lat.shape[0];
    if (img->front_count > 0u) {
        uint32_t want[4] = {nlr, img->latent_h, img->latent_w, img->latent_c};
        if (!shape_is(&lat, 4u, want)) {
            return err_sec(e, &lat, "shape", "should be [N] + the latent shape (the last front-end layer's output)");
        }
    }
    if (!shape_is1(&lab, nlr)) {
        return err_sec(e, &lab, "shape", "should be [N] (one label per latent)");
    }
    uint32_t c = lat.shape[lat.ndim - 1u];
    if (!shape_is1(&sca, 1u) && !shape_is1(&sca, c)) {
        return err_sec(e, &sca, "shape", "should be [1] or [C]");
    }
    if (check_finite(&sca, e) != 0) {
        return -1;
    }
    for (uint64_t k = 0; k < sca.count; k++) {
        if (!(f32_of(rd32(sca.data + 4u * k)) > 0.0f)) {
            err_value(e, (int64_t)k);
            return err_sec(e, &sca, NULL, "scales must be > 0 (element %v)");
        }
    }
    if (has_cmax) {
        if (!shape_is1(&cmax, sca.shape[0])) {
            return err_sec(e, &cmax, "shape", "should equal LR_SCALE's");
        }
        for (uint64_t k = 0; k < cmax.count; k++) {
            if (cmax.data[k] == 0u) {
                err_value(e, (int64_t)k);
                return err_sec(e, &cmax, NULL, "code maxima must be >= 1 (element %v)");
            }
        }
    }
    uint64_t elements = lat.count / nlr;
    uint64_t used = elements * lat.bits;
    uint32_t row_bytes = (uint32_t)((used + 7u) / 8u);
    unsigned tail = (unsigned)(used % 8u);
    if (tail != 0u) {
        for (uint32_t r = 0; r < nlr; r++) {
            if ((lat.data[(size_t)r * row_bytes + row_bytes - 1u] >> tail) != 0u) {
                err_value(e, r);
                return err_sec(e, &lat, NULL, "packed latent %v has non-zero padding bits after its last code");
            }
        }
    }
    if (check_labels(img, &lab, e) != 0) {
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

static int check_batches(qlr_image_t *img, qlr_image_error_t *e)
{
    for (uint32_t i = 0; i < img->section_count; i++) {
        qlr_section_t s = {0}, lab;
        (void)qlr_image_section_at(img, i, &s); /* i < section_count: cannot fail */
        if (s.type != QLR_SEC_DATA_IMAGES) {
            continue;
        }
        if (qlr_image_find(img, QLR_SEC_DATA_LABELS, s.group, &lab) != 0) {
            return err_sec(e, &s, NULL, "no DATA_LABELS section of the same group");
        }
        if (s.ndim != 4u) {
            err_value(e, s.ndim);
            return err_sec(e, &s, "ndim", "should be 4 ([N, H, W, C])");
        }
        if (img->layer_count > 0u) {
            uint32_t want[4] = {s.shape[0], img->in_h, img->in_w, img->in_c};
            if (!shape_is(&s, 4u, want)) {
                return err_sec(e, &s, "shape", "should be [N] + the network input shape");
            }
        }
        if (!shape_is1(&lab, s.shape[0])) {
            return err_sec(e, &lab, "shape", "should be [N] (one label per image)");
        }
        if (check_labels(img, &lab, e) != 0) {
            return -1;
        }
        img->batch_count++;
    }
    return 0;
}

/* Does anything use this section? (the host marks sections as it reads them; same result) */
static int section_used(const qlr_image_t *img, const qlr_section_t *s)
{
    qlr_layer_t r;
    qlr_section_t other;
    switch (s->type) {
    case QLR_SEC_FE_MULT:
    case QLR_SEC_FE_SHIFT:
    case QLR_SEC_FE_WEIGHT:
    case QLR_SEC_FE_BIAS:
    case QLR_SEC_BE_WEIGHT:
    case QLR_SEC_BE_BIAS:
        if (qlr_image_layer(img, s->group, &r) != 0) {
            return 0;
        }
        if (s->type == QLR_SEC_FE_MULT || s->type == QLR_SEC_FE_SHIFT) {
            return r.stage == QLR_STAGE_FRONT && has_requant(r.kind);
        }
        if (s->type == QLR_SEC_FE_WEIGHT) {
            return r.stage == QLR_STAGE_FRONT && is_param_kind(r.kind);
        }
        if (s->type == QLR_SEC_FE_BIAS) {
            return r.stage == QLR_STAGE_FRONT && is_param_kind(r.kind) && (r.flags & QLR_LAYER_HAS_BIAS) != 0u;
        }
        if (s->type == QLR_SEC_BE_WEIGHT) {
            return r.stage == QLR_STAGE_BACK && is_param_kind(r.kind);
        }
        return r.stage == QLR_STAGE_BACK && is_param_kind(r.kind) && (r.flags & QLR_LAYER_HAS_BIAS) != 0u;
    case QLR_SEC_DATA_LABELS:
        return qlr_image_find(img, QLR_SEC_DATA_IMAGES, s->group, &other) == 0;
    default:
        return 1; /* NETWORK, META, LR_* (all checked once present), DATA_IMAGES */
    }
}

static int check_content(qlr_image_t *img, qlr_image_error_t *e)
{
    /* (type, group) unique; group 0 where the type has no groups */
    for (uint32_t i = 0; i < img->section_count; i++) {
        qlr_section_t s = {0}, t = {0};
        (void)qlr_image_section_at(img, i, &s); /* i, j < section_count: cannot fail */
        for (uint32_t j = 0; j < i; j++) {
            (void)qlr_image_section_at(img, j, &t);
            if (t.type == s.type && t.group == s.group) {
                e->other = (int32_t)j;
                err_value(e, s.group);
                return err_sec(e, &s, "group", "repeats another section of the same type and group");
            }
        }
        int grouped = s.type == QLR_SEC_FE_WEIGHT || s.type == QLR_SEC_FE_BIAS || s.type == QLR_SEC_FE_MULT ||
                      s.type == QLR_SEC_FE_SHIFT || s.type == QLR_SEC_BE_WEIGHT || s.type == QLR_SEC_BE_BIAS ||
                      s.type == QLR_SEC_DATA_IMAGES || s.type == QLR_SEC_DATA_LABELS;
        if (!grouped && s.group != 0u) {
            err_value(e, s.group);
            return err_sec(e, &s, "group", "must be 0 for this section type");
        }
    }
    qlr_section_t net, meta;
    if (qlr_image_find(img, QLR_SEC_NETWORK, 0, &net) == 0) {
        if (net.ndim != 1u) {
            err_value(e, net.ndim);
            return err_sec(e, &net, "ndim", "must be 1 ([layers])");
        }
        if (check_layers(img, &net, e) != 0) {
            return -1;
        }
    }
    if (qlr_image_find(img, QLR_SEC_META, 0, &meta) == 0) {
        if (meta.ndim != 1u) {
            err_value(e, meta.ndim);
            return err_sec(e, &meta, "ndim", "must be 1");
        }
        int js = json_check(meta.data, meta.size);
        if (js < 0) {
            return err_sec(e, &meta, NULL, "not UTF-8 JSON");
        }
        if (js > 0) {
            return err_sec(e, &meta, NULL, "the JSON must be an object");
        }
    }
    for (uint32_t i = 0; i < img->layer_count; i++) {
        qlr_layer_t r = {0};
        (void)qlr_image_layer(img, i, &r); /* i < layer_count: cannot fail */
        if (r.stage == QLR_STAGE_FRONT && has_requant(r.kind)) {
            if (check_front_params(img, i, &r, e) != 0) {
                return -1;
            }
        } else if (r.stage == QLR_STAGE_BACK && is_param_kind(r.kind)) {
            if (check_back_params(img, i, &r, e) != 0) {
                return -1;
            }
        }
    }
    if (check_lr(img, e) != 0 || check_batches(img, e) != 0) {
        return -1;
    }
    for (uint32_t i = 0; i < img->section_count; i++) {
        qlr_section_t s = {0};
        (void)qlr_image_section_at(img, i, &s); /* i < section_count: cannot fail */
        if (!section_used(img, &s)) {
            err_value(e, s.group);
            return err_sec(e, &s, "group", "belongs to nothing (no layer, LR memory or batch uses it)");
        }
    }
    return 0;
}

/* ---- open --------------------------------------------------------------------------------- */

int qlr_image_open(qlr_image_t *img, const uint8_t *data, size_t size, qlr_image_error_t *err)
{
    qlr_image_error_t local;
    qlr_image_error_t *e = err != NULL ? err : &local;
    err_clear(e);
    memset(img, 0, sizeof *img);
    if (data == NULL) {
        return err_plain(e, NULL, "no image (NULL pointer)");
    }
    if (((uintptr_t)data & (QLR_IMAGE_BASE_ALIGN - 1u)) != 0u) {
        err_value(e, (int64_t)((uintptr_t)data & (QLR_IMAGE_BASE_ALIGN - 1u)));
        return err_plain(e, NULL, "the image must start at a 64-byte aligned address (it is %v bytes past one)");
    }
    int rc = check_header(data, size, e);
    if (rc == 0) {
        uint32_t count = rd32(data + 20);
        uint32_t table_end = QLR_IMAGE_HEADER_SIZE + count * QLR_IMAGE_ENTRY_SIZE;
        for (uint32_t i = 0; i < count && rc == 0; i++) {
            rc = check_entry(data, size, i, table_end, e);
        }
        if (rc == 0) {
            rc = check_layout(data, size, count, table_end, e);
        }
        if (rc == 0) {
            img->data = data;
            img->size = (uint32_t)size;
            img->section_count = count;
            rc = check_content(img, e);
        }
    }
    if (rc != 0) {
        memset(img, 0, sizeof *img);
        return -1;
    }
    return 0;
}

/*
 * The image reader's errors (qlr/image.h qlr_image_error_t): filling one, formatting it for a
 * person, and the names of section types and layer kinds that the messages use.
 */
#include <string.h>

#include "image_internal.h"

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

/* ---- filling an error --------------------------------------------------------------------- */

void qlr_img_err_clear(qlr_image_error_t *e)
{
    memset(e, 0, sizeof *e);
    e->section = -1;
    e->layer = -1;
    e->other = -1;
}

void qlr_img_err_value(qlr_image_error_t *e, int64_t v)
{
    e->has_value = 1;
    e->value = v;
}

int qlr_img_err_plain(qlr_image_error_t *e, const char *field, const char *msg)
{
    e->field = field;
    e->message = msg;
    return -1;
}

int qlr_img_err_sec(qlr_image_error_t *e, const qlr_section_t *s, const char *field, const char *msg)
{
    e->section = (int32_t)s->index;
    e->section_type = s->type;
    e->section_group = s->group;
    memcpy(e->section_name, s->name, sizeof e->section_name);
    return qlr_img_err_plain(e, field, msg);
}

int qlr_img_err_layer(qlr_image_error_t *e, uint32_t i, unsigned kind, const char *field, const char *msg)
{
    e->layer = (int32_t)i;
    e->layer_kind = (uint8_t)kind;
    return qlr_img_err_plain(e, field, msg);
}

int qlr_img_err_missing(qlr_image_error_t *e, int32_t layer, unsigned kind, unsigned type, unsigned group,
                        const char *msg)
{
    e->layer = layer;
    e->layer_kind = (uint8_t)kind;
    e->section_type = (uint16_t)type;
    e->section_group = (uint16_t)group;
    return qlr_img_err_plain(e, NULL, msg);
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

/* "section 3 'fe.0.weight' (FE_WEIGHT, group 0)", or "section FE_BIAS group 2" for a missing one */
static void put_section(sbuf_t *b, const qlr_image_error_t *e)
{
    put_s(b, "section ");
    if (e->section < 0) {
        put_s(b, qlr_section_type_name(e->section_type));
        put_s(b, " group ");
        put_i(b, e->section_group);
        return;
    }
    put_i(b, e->section);
    if (e->section_name[0] != '\0') {
        put_s(b, " '");
        put_s(b, e->section_name);
        put_s(b, "'");
    }
    if (e->section_type != 0u) {
        put_s(b, " (");
        if (qlr_section_type_name(e->section_type)[0] == '?') {
            put_s(b, "type ");
            put_i(b, e->section_type);
        } else {
            put_s(b, qlr_section_type_name(e->section_type));
        }
        put_s(b, ", group ");
        put_i(b, e->section_group);
        put_s(b, ")");
    }
}

/* Where: "NETWORK layer 2 (conv2d): section ...", or "header" / "image" when nothing more exact. */
static void put_where(sbuf_t *b, const qlr_image_error_t *e)
{
    int where = 0;
    if (e->layer >= 0) {
        put_s(b, "NETWORK layer ");
        put_i(b, e->layer);
        if (e->layer_kind != 0u) {
            put_s(b, " (");
            put_s(b, qlr_layer_kind_name(e->layer_kind));
            put_s(b, ")");
        }
        where = 1;
    }
    if (e->section >= 0 || e->section_type != 0u) {
        if (where) {
            put_s(b, ": ");
        }
        put_section(b, e);
        where = 1;
    }
    if (!where) {
        put_s(b, e->field != NULL ? "header" : "image");
    }
}

/* What: "field 'x' is V: message", with the value in place of a "%v" in the message if it has one. */
static void put_what(sbuf_t *b, const qlr_image_error_t *e)
{
    const char *msg = e->message != NULL ? e->message : "invalid";
    const char *pv = strstr(msg, "%v");
    if (e->field != NULL) {
        put_s(b, "field '");
        put_s(b, e->field);
        put_s(b, "'");
        if (e->has_value && pv == NULL) {
            put_s(b, " is ");
            put_i(b, e->value);
        }
        put_s(b, ": ");
    }
    if (pv != NULL) {
        for (const char *c = msg; c < pv; c++) {
            char one[2] = {*c, '\0'};
            put_s(b, one);
        }
        if (e->has_value) {
            put_i(b, e->value);
        }
        put_s(b, pv + 2);
    } else {
        put_s(b, msg);
        if (e->has_value && e->field == NULL) {
            put_s(b, " (");
            put_i(b, e->value);
            put_s(b, ")");
        }
    }
}

size_t qlr_image_error_format(const qlr_image_error_t *e, char *buf, size_t n)
{
    sbuf_t b = {.buf = buf, .n = n, .len = 0};
    if (n == 0u) {
        return 0u;
    }
    put_where(&b, e);
    put_s(&b, ": ");
    put_what(&b, e);
    if (e->other >= 0) {
        put_s(&b, " (section ");
        put_i(&b, e->other);
        put_s(&b, ")");
    }
    b.buf[b.len] = '\0';
    return b.len;
}

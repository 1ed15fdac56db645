/*
 * CL_IMAGE_OPEN, CL_FRONTEND, CL_LATENT_PACK and CL_LATENT_UNPACK (image_commands.h). Every
 * field is checked before use; a bad one gets an error reply naming it, never an access outside
 * the L2 window.
 */
#include "image_commands.h"

#include <string.h>

#include "qlr/cl_frontend.h"
#include "qlr/cl_latent.h"
#include "qlr/runtime.h"

static qlr_image_t g_image;
static int g_image_ok;
static char g_message[200]; /* the last image diagnosis (reply->message points here) */

const qlr_image_t *qlr_cl_image(void)
{
    return g_image_ok ? &g_image : NULL;
}

/* [off, off + bytes) inside the L2 window (overflow-safe); bytes may be 64-bit products. */
static int in_window(uint32_t off, uint64_t bytes)
{
    size_t size = qlr_mem_region(QLR_MEM_L2).size;
    return (size_t)off <= size && bytes <= (uint64_t)(size - off);
}

static int overlap(uint32_t a, uint64_t an, uint32_t b, uint64_t bn)
{
    return an != 0u && bn != 0u && (uint64_t)a < (uint64_t)b + bn && (uint64_t)b < (uint64_t)a + an;
}

static uint8_t *l2_at(uint32_t off)
{
    return (uint8_t *)qlr_mem_region(QLR_MEM_L2).base + off;
}

/* "<text><n>" into g_message (a reply message naming an index). */
static const char *with_number(const char *text, uint32_t n)
{
    size_t len = strlen(text);
    if (len > sizeof g_message - 12u) {
        len = sizeof g_message - 12u;
    }
    memcpy(g_message, text, len);
    char digits[10];
    unsigned k = 0;
    do {
        digits[k++] = (char)('0' + (int)(n % 10u));
        n /= 10u;
    } while (n != 0u);
    while (k > 0u) {
        g_message[len++] = digits[--k];
    }
    g_message[len] = '\0';
    return g_message;
}

static uint32_t sat32(uint64_t v)
{
    return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v;
}

qlr_link_status_t qlr_cmd_cl_image_open(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    if (req->len != 8u) {
        reply->message = "CL_IMAGE_OPEN takes u32 offset, u32 size";
        return QLR_LINK_E_LENGTH;
    }
    uint32_t off = qlr_link_get_u32(req->payload), size = qlr_link_get_u32(req->payload + 4);
    g_image_ok = 0;
    qlr_cl_frontend_release();
    if (!in_window(off, size)) {
        reply->message = "image range outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if ((off & 63u) != 0u) {
        reply->message = "image offset must be a multiple of 64";
        return QLR_LINK_E_ARGUMENT;
    }
    qlr_image_error_t err;
    if (qlr_image_open(&g_image, l2_at(off), size, &err) != 0) {
        qlr_image_error_format(&err, g_message, sizeof g_message);
        reply->message = g_message;
        return QLR_LINK_E_ARGUMENT;
    }
    g_image_ok = 1;
    const qlr_image_t *m = &g_image;
    uint32_t v[20] = {m->section_count, m->layer_count, m->front_count, m->back_count, m->in_h, m->in_w, m->in_c,
                      m->latent_h, m->latent_w, m->latent_c, sat32(m->latent_elements), m->num_classes,
                      m->lr_count, m->lr_bits, m->lr_scale_count, m->lr_code_max != NULL ? m->lr_scale_count : 0u,
                      m->lr_row_bytes, m->batch_count, sat32(qlr_frontend_scratch_size(m)), m->size};
    for (unsigned i = 0; i < 20u; i++) {
        qlr_link_put_u32(reply->data + (size_t)4u * i, v[i]);
    }
    reply->len = 80;
    return QLR_LINK_OK;
}

static qlr_frontend_t g_run_fe; /* the front-end of the last CL_FRONTEND (its table is in the scratch) */

qlr_link_status_t qlr_cmd_cl_frontend(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (req->len != 24u) {
        reply->message = "CL_FRONTEND takes 24 bytes";
        return QLR_LINK_E_LENGTH;
    }
    uint32_t img_off = qlr_link_get_u32(p), count = qlr_link_get_u32(p + 4), out_off = qlr_link_get_u32(p + 8);
    uint32_t scr_off = qlr_link_get_u32(p + 12), scr_size = qlr_link_get_u32(p + 16);
    unsigned cores = p[20], q_bits = p[21], pack = p[22];
    const qlr_image_t *img = qlr_cl_image();
    if (p[23] != 0u) {
        reply->message = "reserved byte 23 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    if (img == NULL) {
        reply->message = "no image open (CL_IMAGE_OPEN first)";
        return QLR_LINK_E_ARGUMENT;
    }
    if (img->front_count == 0u) {
        reply->message = "the image has no front-end layers";
        return QLR_LINK_E_ARGUMENT;
    }
    if (cores < 1u || cores > qlr_team_max()) {
        reply->message = "cores must be 1..team size";
        return QLR_LINK_E_ARGUMENT;
    }
    if (q_bits > 8u || pack > 1u || (pack && q_bits == 0u)) {
        reply->message = "q_bits must be 0..8 and pack 0 or 1 (pack needs q_bits 1..8)";
        return QLR_LINK_E_ARGUMENT;
    }
    uint64_t in_bytes = (uint64_t)img->in_h * img->in_w * img->in_c;
    uint64_t row = q_bits != 0u && pack ? ((uint64_t)img->latent_elements * q_bits + 7u) / 8u : img->latent_elements;
    uint64_t images_bytes = in_bytes * count, out_bytes = row * count;
    uint32_t image_off = (uint32_t)((uintptr_t)img->data - qlr_mem_region(QLR_MEM_L2).base);
    if (!in_window(img_off, images_bytes)) {
        reply->message = "images outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (!in_window(out_off, out_bytes)) {
        reply->message = "output outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (!in_window(scr_off, scr_size)) {
        reply->message = "scratch outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if ((scr_off & 63u) != 0u) {
        reply->message = "scratch offset must be a multiple of 64";
        return QLR_LINK_E_ARGUMENT;
    }
    if (overlap(scr_off, scr_size, image_off, img->size) || overlap(scr_off, scr_size, img_off, images_bytes) ||
        overlap(scr_off, scr_size, out_off, out_bytes) || overlap(out_off, out_bytes, image_off, img->size) ||
        overlap(out_off, out_bytes, img_off, images_bytes)) {
        reply->message = "scratch, output, images and image must not overlap";
        return QLR_LINK_E_ARGUMENT;
    }
    uint64_t t0 = qlr_counter();
    qlr_status_t st = qlr_frontend_init(&g_run_fe, img, l2_at(scr_off), scr_size, cores);
    uint64_t t1 = qlr_counter();
    if (st == QLR_E_NOMEM) {
        reply->message = "scratch smaller than the front-end needs (CL_IMAGE_OPEN reports the size)";
        return QLR_LINK_E_ARGUMENT;
    }
    if (st != QLR_OK) {
        reply->message = st == QLR_E_UNSUPPORTED ? "the image's front-end cannot run here (qlr_frontend_plan)"
                                                 : "front-end preparation failed";
        return QLR_LINK_E_DEVICE;
    }
    st = qlr_frontend_run(&g_run_fe, l2_at(img_off), count, l2_at(out_off), (size_t)row, q_bits, (int)pack, cores);
    uint64_t t2 = qlr_counter();
    if (st != QLR_OK) {
        reply->message = with_number("a front-end kernel returned status ", (uint32_t)st);
        return QLR_LINK_E_DEVICE;
    }
    qlr_link_put_u64(reply->data, t2 - t1);
    qlr_link_put_u64(reply->data + 8, t1 - t0);
    reply->len = 16;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_cl_latent_pack(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (req->len != 20u) {
        reply->message = "CL_LATENT_PACK takes 20 bytes";
        return QLR_LINK_E_LENGTH;
    }
    uint32_t codes_off = qlr_link_get_u32(p), rows = qlr_link_get_u32(p + 4), elements = qlr_link_get_u32(p + 8);
    uint32_t out_off = qlr_link_get_u32(p + 12);
    unsigned bits = p[16];
    if (p[17] != 0u || p[18] != 0u || p[19] != 0u) {
        reply->message = "reserved bytes 17..19 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    if (bits < 1u || bits > 8u) {
        reply->message = "bits must be 1..8";
        return QLR_LINK_E_ARGUMENT;
    }
    uint32_t row_bytes = qlr_latent_row_bytes(elements, bits);
    uint64_t in_bytes = (uint64_t)rows * elements, out_bytes = (uint64_t)rows * row_bytes;
    if (!in_window(codes_off, in_bytes) || !in_window(out_off, out_bytes)) {
        reply->message = "codes or output outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (overlap(codes_off, in_bytes, out_off, out_bytes)) {
        reply->message = "codes and output must not overlap";
        return QLR_LINK_E_ARGUMENT;
    }
    uint64_t t0 = qlr_counter();
    for (uint32_t r = 0; r < rows; r++) {
        if (qlr_latent_pack(l2_at(codes_off) + (size_t)r * elements, elements, bits,
                            l2_at(out_off) + (size_t)r * row_bytes, NULL) != QLR_OK) {
            reply->message = with_number("a code does not fit in `bits` bits: row ", r);
            return QLR_LINK_E_ARGUMENT;
        }
    }
    uint64_t t1 = qlr_counter();
    qlr_link_put_u32(reply->data, row_bytes);
    qlr_link_put_u64(reply->data + 4, t1 - t0);
    reply->len = 12;
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_cl_latent_unpack(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    const uint8_t *p = req->payload;
    if (req->len != 40u) {
        reply->message = "CL_LATENT_UNPACK takes 40 bytes";
        return QLR_LINK_E_LENGTH;
    }
    uint32_t rows_off = qlr_link_get_u32(p), rows = qlr_link_get_u32(p + 4), elements = qlr_link_get_u32(p + 8);
    uint32_t out_off = qlr_link_get_u32(p + 12), first = qlr_link_get_u32(p + 16), count = qlr_link_get_u32(p + 20);
    uint32_t scale_off = qlr_link_get_u32(p + 24), scale_count = qlr_link_get_u32(p + 28);
    uint32_t channels = qlr_link_get_u32(p + 32);
    unsigned bits = p[36], mode = p[37];
    if (p[38] != 0u || p[39] != 0u) {
        reply->message = "reserved bytes 38..39 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    if (bits < 1u || bits > 8u || mode > 1u) {
        reply->message = "bits must be 1..8 and mode 0 (codes) or 1 (f32)";
        return QLR_LINK_E_ARGUMENT;
    }
    uint32_t row_bytes = qlr_latent_row_bytes(elements, bits);
    uint64_t in_bytes = (uint64_t)rows * row_bytes;
    uint64_t out_bytes = mode == 0u ? (uint64_t)rows * elements : (uint64_t)rows * count * 4u;
    uint64_t scale_bytes = mode == 0u ? 0u : 4u * (uint64_t)scale_count;
    if (!in_window(rows_off, in_bytes) || !in_window(out_off, out_bytes) || !in_window(scale_off, scale_bytes)) {
        reply->message = "rows, output or scales outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (overlap(rows_off, in_bytes, out_off, out_bytes) || overlap(scale_off, scale_bytes, out_off, out_bytes)) {
        reply->message = "the output must not overlap the rows or the scales";
        return QLR_LINK_E_ARGUMENT;
    }
    if (mode == 0u && (first != 0u || count != 0u)) {
        reply->message = "first and count must be 0 in mode 0";
        return QLR_LINK_E_ARGUMENT;
    }
    if (mode == 1u) {
        if ((uint64_t)first + count > elements || channels == 0u || (scale_count != 1u && scale_count != channels)) {
            reply->message = "need first + count <= elements, channels >= 1 and scale count 1 or channels";
            return QLR_LINK_E_ARGUMENT;
        }
        if ((((uintptr_t)l2_at(out_off) | (uintptr_t)l2_at(scale_off)) & 3u) != 0u) {
            reply->message = "output and scale offsets must be 4-byte aligned";
            return QLR_LINK_E_ARGUMENT;
        }
    }
    uint64_t t0 = qlr_counter();
    for (uint32_t r = 0; r < rows; r++) {
        const uint8_t *row = l2_at(rows_off) + (size_t)r * row_bytes;
        if (mode == 0u) {
            if (qlr_latent_unpack(row, elements, bits, l2_at(out_off) + (size_t)r * elements) != QLR_OK) {
                reply->message = with_number("non-zero padding bits after the last code of row ", r);
                return QLR_LINK_E_ARGUMENT;
            }
        } else {
            qlr_latent_dequantize(row, first, count, bits, channels, (const float *)(const void *)l2_at(scale_off),
                                  scale_count, (float *)(void *)(l2_at(out_off) + (size_t)r * count * 4u));
        }
    }
    uint64_t t1 = qlr_counter();
    qlr_link_put_u32(reply->data, row_bytes);
    qlr_link_put_u64(reply->data + 4, t1 - t0);
    reply->len = 12;
    return QLR_LINK_OK;
}

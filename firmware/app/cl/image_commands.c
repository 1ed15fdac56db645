/*
 * CL_IMAGE_OPEN, CL_FRONTEND, CL_LATENT_PACK and CL_LATENT_UNPACK (image_commands.h; payloads
 * decoded and encoded by qlr_commands.h, docs/commands.md). Every field is checked before use; a
 * bad one gets an error reply naming it, never an access outside the L2 window.
 */
#include "image_commands.h"

#include <string.h>

#include "qlr/cl_frontend.h"
#include "qlr/cl_latent.h"
#include "qlr/runtime.h"
#include "window.h"

static qlr_image_t g_image;
static int g_image_ok;
static char g_message[200]; /* the last image diagnosis (reply->message points here) */

const qlr_image_t *qlr_cl_image(void)
{
    return g_image_ok ? &g_image : NULL;
}

static int overlap(uint32_t a, uint64_t an, uint32_t b, uint64_t bn)
{
    return an != 0u && bn != 0u && (uint64_t)a < (uint64_t)b + bn && (uint64_t)b < (uint64_t)a + an;
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
    qlr_cl_image_open_request_t q;
    qlr_link_status_t ls = qlr_cl_image_open_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    const uint32_t off = q.offset, size = q.size;
    g_image_ok = 0;
    qlr_cl_frontend_release();
    if (!qlr_window_holds(QLR_MEM_L2, off, size)) {
        reply->message = "image range outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if ((off & 63u) != 0u) {
        reply->message = "image offset must be a multiple of 64";
        return QLR_LINK_E_ARGUMENT;
    }
    qlr_image_error_t err;
    if (qlr_image_open(&g_image, qlr_l2_at(off), size, &err) != 0) {
        qlr_image_error_format(&err, g_message, sizeof g_message);
        reply->message = g_message;
        return QLR_LINK_E_ARGUMENT;
    }
    g_image_ok = 1;
    const qlr_image_t *m = &g_image;
    const qlr_cl_image_open_reply_t r = {
        .sections = m->section_count, .layers = m->layer_count, .front = m->front_count, .back = m->back_count,
        .in_h = m->in_h, .in_w = m->in_w, .in_c = m->in_c, .latent_h = m->latent_h, .latent_w = m->latent_w,
        .latent_c = m->latent_c, .latent_elements = sat32(m->latent_elements), .classes = m->num_classes,
        .lr_count = m->lr_count, .lr_bits = m->lr_bits, .lr_scale_count = m->lr_scale_count,
        .lr_code_max_count = m->lr_code_max != NULL ? m->lr_scale_count : 0u, .lr_row_bytes = m->lr_row_bytes,
        .batches = m->batch_count, .frontend_scratch = sat32(qlr_frontend_scratch_size(m)), .size = m->size};
    reply->len = qlr_cl_image_open_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}

static qlr_frontend_t g_run_fe; /* the front-end of the last CL_FRONTEND (its table is in the scratch) */

qlr_link_status_t qlr_cmd_cl_frontend(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_cl_frontend_request_t q;
    qlr_link_status_t ls = qlr_cl_frontend_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    const uint32_t img_off = q.images, count = q.count, out_off = q.out, scr_off = q.scratch, scr_size = q.scratch_size;
    const unsigned cores = q.cores, q_bits = q.q_bits, pack = q.pack;
    const qlr_image_t *img = qlr_cl_image();
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
    uint32_t image_off = qlr_l2_offset(img->data);
    if (!qlr_window_holds(QLR_MEM_L2, img_off, images_bytes)) {
        reply->message = "images outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (!qlr_window_holds(QLR_MEM_L2, out_off, out_bytes)) {
        reply->message = "output outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (!qlr_window_holds(QLR_MEM_L2, scr_off, scr_size)) {
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
    qlr_status_t st = qlr_frontend_init(&g_run_fe, img, qlr_l2_at(scr_off), scr_size, cores);
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
    st = qlr_frontend_run(&g_run_fe, qlr_l2_at(img_off), count, qlr_l2_at(out_off), (size_t)row, q_bits, (int)pack,
                          cores);
    uint64_t t2 = qlr_counter();
    if (st != QLR_OK) {
        reply->message = with_number("a front-end kernel returned status ", (uint32_t)st);
        return QLR_LINK_E_DEVICE;
    }
    const qlr_cl_frontend_reply_t r = {.counter = t2 - t1, .prepare = t1 - t0};
    reply->len = qlr_cl_frontend_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_cl_latent_pack(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_cl_latent_pack_request_t q;
    qlr_link_status_t ls = qlr_cl_latent_pack_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    const uint32_t codes_off = q.codes, rows = q.rows, elements = q.elements, out_off = q.out;
    const unsigned bits = q.bits;
    if (bits < 1u || bits > 8u) {
        reply->message = "bits must be 1..8";
        return QLR_LINK_E_ARGUMENT;
    }
    uint32_t row_bytes = qlr_latent_row_bytes(elements, bits);
    uint64_t in_bytes = (uint64_t)rows * elements, out_bytes = (uint64_t)rows * row_bytes;
    if (!qlr_window_holds(QLR_MEM_L2, codes_off, in_bytes) || !qlr_window_holds(QLR_MEM_L2, out_off, out_bytes)) {
        reply->message = "codes or output outside the L2 window";
        return QLR_LINK_E_RANGE;
    }
    if (overlap(codes_off, in_bytes, out_off, out_bytes)) {
        reply->message = "codes and output must not overlap";
        return QLR_LINK_E_ARGUMENT;
    }
    uint64_t t0 = qlr_counter();
    for (uint32_t r = 0; r < rows; r++) {
        if (qlr_latent_pack(qlr_l2_at(codes_off) + (size_t)r * elements, elements, bits,
                            qlr_l2_at(out_off) + (size_t)r * row_bytes, NULL) != QLR_OK) {
            reply->message = with_number("a code does not fit in `bits` bits: row ", r);
            return QLR_LINK_E_ARGUMENT;
        }
    }
    const qlr_cl_latent_pack_reply_t r = {.row_bytes = row_bytes, .counter = qlr_counter() - t0};
    reply->len = qlr_cl_latent_pack_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}

qlr_link_status_t qlr_cmd_cl_latent_unpack(const qlr_frame_t *req, qlr_link_reply_t *reply)
{
    qlr_cl_latent_unpack_request_t q;
    qlr_link_status_t ls = qlr_cl_latent_unpack_request_decode(req, &q, reply);
    if (ls != QLR_LINK_OK) {
        return ls;
    }
    const uint32_t rows_off = q.rows_at, rows = q.rows, elements = q.elements, out_off = q.out, first = q.first;
    const uint32_t count = q.count, scale_off = q.scales, scale_count = q.scale_count, channels = q.channels;
    const unsigned bits = q.bits, mode = q.mode;
    if (bits < 1u || bits > 8u || mode > 1u) {
        reply->message = "bits must be 1..8 and mode 0 (codes) or 1 (f32)";
        return QLR_LINK_E_ARGUMENT;
    }
    uint32_t row_bytes = qlr_latent_row_bytes(elements, bits);
    uint64_t in_bytes = (uint64_t)rows * row_bytes;
    uint64_t out_bytes = mode == 0u ? (uint64_t)rows * elements : (uint64_t)rows * count * 4u;
    uint64_t scale_bytes = mode == 0u ? 0u : 4u * (uint64_t)scale_count;
    if (!qlr_window_holds(QLR_MEM_L2, rows_off, in_bytes) || !qlr_window_holds(QLR_MEM_L2, out_off, out_bytes) ||
        !qlr_window_holds(QLR_MEM_L2, scale_off, scale_bytes)) {
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
        if ((((uintptr_t)qlr_l2_at(out_off) | (uintptr_t)qlr_l2_at(scale_off)) & 3u) != 0u) {
            reply->message = "output and scale offsets must be 4-byte aligned";
            return QLR_LINK_E_ARGUMENT;
        }
    }
    uint64_t t0 = qlr_counter();
    for (uint32_t r = 0; r < rows; r++) {
        const uint8_t *row = qlr_l2_at(rows_off) + (size_t)r * row_bytes;
        if (mode == 0u) {
            if (qlr_latent_unpack(row, elements, bits, qlr_l2_at(out_off) + (size_t)r * elements) != QLR_OK) {
                reply->message = with_number("non-zero padding bits after the last code of row ", r);
                return QLR_LINK_E_ARGUMENT;
            }
        } else {
            qlr_latent_dequantize(row, first, count, bits, channels, (const float *)(const void *)qlr_l2_at(scale_off),
                                  scale_count, (float *)(void *)(qlr_l2_at(out_off) + (size_t)r * count * 4u));
        }
    }
    const qlr_cl_latent_unpack_reply_t r = {.row_bytes = row_bytes, .counter = qlr_counter() - t0};
    reply->len = qlr_cl_latent_unpack_reply_encode(reply->data, &r);
    return QLR_LINK_OK;
}

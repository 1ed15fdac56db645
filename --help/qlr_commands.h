/* Generated from host/qlr/link/commands.py by qlr.codegen.commands_c: do not edit. */
#ifndef QLR_COMMANDS_H
#define QLR_COMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qlr/link.h"

#define QLR_CMD_PING 0x01u
#define QLR_CMD_INFO 0x02u
#define QLR_CMD_EXIT 0x03u
#define QLR_CMD_MEM_WRITE 0x10u
#define QLR_CMD_MEM_READ 0x11u
#define QLR_CMD_MEM_CRC 0x12u
#define QLR_CMD_MEM_LOAD 0x13u
#define QLR_CMD_SELFTEST 0x20u
#define QLR_CMD_KERNEL_RUN 0x40u
#define QLR_CMD_KERNEL_LIST 0x41u
#define QLR_CMD_MEM_FILL 0x42u
#define QLR_CMD_CL_IMAGE_OPEN 0x50u
#define QLR_CMD_CL_FRONTEND 0x51u
#define QLR_CMD_CL_LATENT_PACK 0x52u
#define QLR_CMD_CL_LATENT_UNPACK 0x53u
#define QLR_CMD_CL_SETUP 0x58u
#define QLR_CMD_CL_EVENT 0x59u
#define QLR_CMD_CL_EVAL 0x5Au

/* ---- PING (0x01): firmware/app/base_commands.c ---- */

/* ---- INFO (0x02): firmware/app/base_commands.c ---- */
#define QLR_INFO_REPLY_SIZE 36u
typedef struct {
    uint16_t protocol; /* link protocol version */
    uint16_t max_payload; /* largest payload, bytes */
    uint32_t team_max; /* worker cores */
    uint32_t l1_size; /* L1 free for the application, bytes */
    uint32_t l2_size; /* L2 free for the application, bytes */
    uint32_t l3_size; /* L3 size, bytes */
    uint32_t l2_window; /* bytes of the L2 window of MEM_* */
    uint32_t l3_window; /* bytes of the L3 window of MEM_* */
    uint64_t counter; /* qlr_counter() now */
} qlr_info_reply_t;
static inline size_t qlr_info_reply_encode(uint8_t *d, const qlr_info_reply_t *r)
{
    qlr_link_put_u16(d + 0u, r->protocol);
    qlr_link_put_u16(d + 2u, r->max_payload);
    qlr_link_put_u32(d + 4u, r->team_max);
    qlr_link_put_u32(d + 8u, r->l1_size);
    qlr_link_put_u32(d + 12u, r->l2_size);
    qlr_link_put_u32(d + 16u, r->l3_size);
    qlr_link_put_u32(d + 20u, r->l2_window);
    qlr_link_put_u32(d + 24u, r->l3_window);
    qlr_link_put_u64(d + 28u, r->counter);
    return 36u;
}

/* ---- EXIT (0x03): firmware/app/base_commands.c ---- */
#define QLR_EXIT_REQUEST_SIZE 4u
typedef struct {
    int32_t status; /* the firmware's exit status */
} qlr_exit_request_t;
static inline qlr_link_status_t qlr_exit_request_decode(const qlr_frame_t *req, qlr_exit_request_t *r,
                                                       qlr_link_reply_t *reply)
{
    if (req->len != 4u) {
        reply->message = "EXIT takes 4 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->status = (int32_t)qlr_link_get_u32(p + 0u);
    return QLR_LINK_OK;
}

/* ---- MEM_WRITE (0x10): firmware/app/base_commands.c ---- */
#define QLR_MEM_WRITE_REQUEST_SIZE 8u
typedef struct {
    uint8_t level; /* 1 = L2, 2 = L3 */
    uint32_t offset; /* byte offset in the level's window */
} qlr_mem_write_request_t;
static inline qlr_link_status_t qlr_mem_write_request_decode(const qlr_frame_t *req, qlr_mem_write_request_t *r,
                                                            qlr_link_reply_t *reply)
{
    if (req->len < 8u) {
        reply->message = "MEM_WRITE takes at least 8 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->level = p[0u];
    if (p[1] != 0u || p[2] != 0u || p[3] != 0u) {
        reply->message = "MEM_WRITE: reserved bytes 1..3 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    r->offset = qlr_link_get_u32(p + 4u);
    return QLR_LINK_OK;
}

/* ---- MEM_READ (0x11): firmware/app/base_commands.c ---- */
#define QLR_MEM_READ_REQUEST_SIZE 12u
typedef struct {
    uint8_t level; /* 1 = L2, 2 = L3 */
    uint32_t offset; /* byte offset in the level's window */
    uint32_t length; /* bytes to read, <= max_payload */
} qlr_mem_read_request_t;
static inline qlr_link_status_t qlr_mem_read_request_decode(const qlr_frame_t *req, qlr_mem_read_request_t *r,
                                                           qlr_link_reply_t *reply)
{
    if (req->len != 12u) {
        reply->message = "MEM_READ takes 12 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->level = p[0u];
    if (p[1] != 0u || p[2] != 0u || p[3] != 0u) {
        reply->message = "MEM_READ: reserved bytes 1..3 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    r->offset = qlr_link_get_u32(p + 4u);
    r->length = qlr_link_get_u32(p + 8u);
    return QLR_LINK_OK;
}

/* ---- MEM_CRC (0x12): firmware/app/base_commands.c ---- */
#define QLR_MEM_CRC_REQUEST_SIZE 12u
typedef struct {
    uint8_t level; /* 1 = L2, 2 = L3 */
    uint32_t offset; /* byte offset in the level's window */
    uint32_t length; /* bytes, any */
} qlr_mem_crc_request_t;
static inline qlr_link_status_t qlr_mem_crc_request_decode(const qlr_frame_t *req, qlr_mem_crc_request_t *r,
                                                          qlr_link_reply_t *reply)
{
    if (req->len != 12u) {
        reply->message = "MEM_CRC takes 12 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->level = p[0u];
    if (p[1] != 0u || p[2] != 0u || p[3] != 0u) {
        reply->message = "MEM_CRC: reserved bytes 1..3 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    r->offset = qlr_link_get_u32(p + 4u);
    r->length = qlr_link_get_u32(p + 8u);
    return QLR_LINK_OK;
}
#define QLR_MEM_CRC_REPLY_SIZE 4u
typedef struct {
    uint32_t crc; /* CRC-32 (zlib) of the range */
} qlr_mem_crc_reply_t;
static inline size_t qlr_mem_crc_reply_encode(uint8_t *d, const qlr_mem_crc_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->crc);
    return 4u;
}

/* ---- MEM_LOAD (0x13): firmware/app/base_commands.c ---- */
#define QLR_MEM_LOAD_REQUEST_SIZE 16u
typedef struct {
    uint8_t level; /* 1 = L2, 2 = L3 */
    uint32_t offset; /* byte offset in the level's window */
    uint32_t length; /* bytes to load, any */
    uint32_t position; /* byte position in the file */
} qlr_mem_load_request_t;
static inline qlr_link_status_t qlr_mem_load_request_decode(const qlr_frame_t *req, qlr_mem_load_request_t *r,
                                                           qlr_link_reply_t *reply)
{
    if (req->len < 16u) {
        reply->message = "MEM_LOAD takes at least 16 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->level = p[0u];
    if (p[1] != 0u || p[2] != 0u || p[3] != 0u) {
        reply->message = "MEM_LOAD: reserved bytes 1..3 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    r->offset = qlr_link_get_u32(p + 4u);
    r->length = qlr_link_get_u32(p + 8u);
    r->position = qlr_link_get_u32(p + 12u);
    return QLR_LINK_OK;
}
#define QLR_MEM_LOAD_REPLY_SIZE 4u
typedef struct {
    uint32_t crc; /* CRC-32 (zlib) of the bytes loaded */
} qlr_mem_load_reply_t;
static inline size_t qlr_mem_load_reply_encode(uint8_t *d, const qlr_mem_load_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->crc);
    return 4u;
}

/* ---- SELFTEST (0x20): firmware/app/base_commands.c ---- */
#define QLR_SELFTEST_REPLY_SIZE 16u
typedef struct {
    uint32_t passed;
    uint32_t failed;
    uint64_t counter; /* counter ticks of the run */
} qlr_selftest_reply_t;
static inline size_t qlr_selftest_reply_encode(uint8_t *d, const qlr_selftest_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->passed);
    qlr_link_put_u32(d + 4u, r->failed);
    qlr_link_put_u64(d + 8u, r->counter);
    return 16u;
}

/* ---- KERNEL_RUN (0x40): firmware/app/kernel_commands.c ---- */
#define QLR_KERNEL_RUN_REQUEST_SIZE 4u
typedef struct {
    uint8_t name_len; /* 1..31 */
    uint8_t cores; /* 1..team_max */
    uint8_t nparam;
    uint8_t ntensor;
} qlr_kernel_run_request_t;
static inline qlr_link_status_t qlr_kernel_run_request_decode(const qlr_frame_t *req, qlr_kernel_run_request_t *r,
                                                             qlr_link_reply_t *reply)
{
    if (req->len < 4u) {
        reply->message = "KERNEL_RUN takes at least 4 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->name_len = p[0u];
    r->cores = p[1u];
    r->nparam = p[2u];
    r->ntensor = p[3u];
    return QLR_LINK_OK;
}
#define QLR_KERNEL_RUN_REPLY_SIZE 20u
typedef struct {
    uint32_t status; /* the kernel's qlr_status_t (0 = QLR_OK) */
    uint64_t counter; /* counter delta of the run alone */
    uint64_t macs; /* multiply-accumulates */
} qlr_kernel_run_reply_t;
static inline size_t qlr_kernel_run_reply_encode(uint8_t *d, const qlr_kernel_run_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->status);
    qlr_link_put_u64(d + 4u, r->counter);
    qlr_link_put_u64(d + 12u, r->macs);
    return 20u;
}

/* ---- KERNEL_LIST (0x41): firmware/app/kernel_commands.c ---- */
#define QLR_KERNEL_LIST_REQUEST_SIZE 4u
typedef struct {
    uint32_t index; /* 0, 1, ... until E_NOT_FOUND */
} qlr_kernel_list_request_t;
static inline qlr_link_status_t qlr_kernel_list_request_decode(const qlr_frame_t *req, qlr_kernel_list_request_t *r,
                                                              qlr_link_reply_t *reply)
{
    if (req->len != 4u) {
        reply->message = "KERNEL_LIST takes 4 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->index = qlr_link_get_u32(p + 0u);
    return QLR_LINK_OK;
}
#define QLR_KERNEL_LIST_REPLY_SIZE 2u
typedef struct {
    uint8_t nparam;
    uint8_t ntensor;
} qlr_kernel_list_reply_t;
static inline size_t qlr_kernel_list_reply_encode(uint8_t *d, const qlr_kernel_list_reply_t *r)
{
    d[0u] = r->nparam;
    d[1u] = r->ntensor;
    return 2u;
}

/* ---- MEM_FILL (0x42): firmware/app/kernel_commands.c ---- */
#define QLR_MEM_FILL_REQUEST_SIZE 16u
typedef struct {
    uint32_t offset; /* L2 window offset */
    uint32_t bytes;
    uint32_t seed; /* xorshift32 seed (| 1) */
    uint8_t kind; /* 0 bytes, 1 f32 in [-1, 1) */
} qlr_mem_fill_request_t;
static inline qlr_link_status_t qlr_mem_fill_request_decode(const qlr_frame_t *req, qlr_mem_fill_request_t *r,
                                                           qlr_link_reply_t *reply)
{
    if (req->len != 16u) {
        reply->message = "MEM_FILL takes 16 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->offset = qlr_link_get_u32(p + 0u);
    r->bytes = qlr_link_get_u32(p + 4u);
    r->seed = qlr_link_get_u32(p + 8u);
    r->kind = p[12u];
    if (p[13] != 0u || p[14] != 0u || p[15] != 0u) {
        reply->message = "MEM_FILL: reserved bytes 13..15 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    return QLR_LINK_OK;
}

/* ---- CL_IMAGE_OPEN (0x50): firmware/app/cl/image_commands.c ---- */
#define QLR_CL_IMAGE_OPEN_REQUEST_SIZE 8u
typedef struct {
    uint32_t offset; /* L2 window offset, a multiple of 64 */
    uint32_t size; /* bytes */
} qlr_cl_image_open_request_t;
static inline qlr_link_status_t qlr_cl_image_open_request_decode(const qlr_frame_t *req, qlr_cl_image_open_request_t *r,
                                                                qlr_link_reply_t *reply)
{
    if (req->len != 8u) {
        reply->message = "CL_IMAGE_OPEN takes 8 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->offset = qlr_link_get_u32(p + 0u);
    r->size = qlr_link_get_u32(p + 4u);
    return QLR_LINK_OK;
}
#define QLR_CL_IMAGE_OPEN_REPLY_SIZE 80u
typedef struct {
    uint32_t sections;
    uint32_t layers;
    uint32_t front;
    uint32_t back;
    uint32_t in_h;
    uint32_t in_w;
    uint32_t in_c;
    uint32_t latent_h;
    uint32_t latent_w;
    uint32_t latent_c;
    uint32_t latent_elements;
    uint32_t classes; /* 0: none */
    uint32_t lr_count; /* 0: no LR memory */
    uint32_t lr_bits;
    uint32_t lr_scale_count;
    uint32_t lr_code_max_count; /* 0: no LR_CODE_MAX */
    uint32_t lr_row_bytes;
    uint32_t batches;
    uint32_t frontend_scratch; /* bytes of scratch CL_FRONTEND needs on a full team (0: no runnable front-end) */
    uint32_t size; /* bytes of the image */
} qlr_cl_image_open_reply_t;
static inline size_t qlr_cl_image_open_reply_encode(uint8_t *d, const qlr_cl_image_open_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->sections);
    qlr_link_put_u32(d + 4u, r->layers);
    qlr_link_put_u32(d + 8u, r->front);
    qlr_link_put_u32(d + 12u, r->back);
    qlr_link_put_u32(d + 16u, r->in_h);
    qlr_link_put_u32(d + 20u, r->in_w);
    qlr_link_put_u32(d + 24u, r->in_c);
    qlr_link_put_u32(d + 28u, r->latent_h);
    qlr_link_put_u32(d + 32u, r->latent_w);
    qlr_link_put_u32(d + 36u, r->latent_c);
    qlr_link_put_u32(d + 40u, r->latent_elements);
    qlr_link_put_u32(d + 44u, r->classes);
    qlr_link_put_u32(d + 48u, r->lr_count);
    qlr_link_put_u32(d + 52u, r->lr_bits);
    qlr_link_put_u32(d + 56u, r->lr_scale_count);
    qlr_link_put_u32(d + 60u, r->lr_code_max_count);
    qlr_link_put_u32(d + 64u, r->lr_row_bytes);
    qlr_link_put_u32(d + 68u, r->batches);
    qlr_link_put_u32(d + 72u, r->frontend_scratch);
    qlr_link_put_u32(d + 76u, r->size);
    return 80u;
}

/* ---- CL_FRONTEND (0x51): firmware/app/cl/image_commands.c ---- */
#define QLR_CL_FRONTEND_REQUEST_SIZE 24u
typedef struct {
    uint32_t images; /* L2 offset of count images, in_h*in_w*in_c u8 each */
    uint32_t count;
    uint32_t out; /* L2 offset of the output rows */
    uint32_t scratch; /* L2 offset, a multiple of 64 */
    uint32_t scratch_size; /* at least CL_IMAGE_OPEN's frontend_scratch */
    uint8_t cores;
    uint8_t q_bits; /* 0: the u8 latent; 1..8: Q-bit codes */
    uint8_t pack; /* 0: one byte per code; 1: packed rows of ceil(E*Q/8) bytes */
} qlr_cl_frontend_request_t;
static inline qlr_link_status_t qlr_cl_frontend_request_decode(const qlr_frame_t *req, qlr_cl_frontend_request_t *r,
                                                              qlr_link_reply_t *reply)
{
    if (req->len != 24u) {
        reply->message = "CL_FRONTEND takes 24 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->images = qlr_link_get_u32(p + 0u);
    r->count = qlr_link_get_u32(p + 4u);
    r->out = qlr_link_get_u32(p + 8u);
    r->scratch = qlr_link_get_u32(p + 12u);
    r->scratch_size = qlr_link_get_u32(p + 16u);
    r->cores = p[20u];
    r->q_bits = p[21u];
    r->pack = p[22u];
    if (p[23] != 0u) {
        reply->message = "CL_FRONTEND: reserved byte 23 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    return QLR_LINK_OK;
}
#define QLR_CL_FRONTEND_REPLY_SIZE 16u
typedef struct {
    uint64_t counter; /* counter delta of the run */
    uint64_t prepare; /* counter delta of the preparation (bias folding) */
} qlr_cl_frontend_reply_t;
static inline size_t qlr_cl_frontend_reply_encode(uint8_t *d, const qlr_cl_frontend_reply_t *r)
{
    qlr_link_put_u64(d + 0u, r->counter);
    qlr_link_put_u64(d + 8u, r->prepare);
    return 16u;
}

/* ---- CL_LATENT_PACK (0x52): firmware/app/cl/image_commands.c ---- */
#define QLR_CL_LATENT_PACK_REQUEST_SIZE 20u
typedef struct {
    uint32_t codes; /* L2 offset of rows x elements one-byte codes */
    uint32_t rows;
    uint32_t elements;
    uint32_t out; /* L2 offset of the packed rows */
    uint8_t bits; /* 1..8 */
} qlr_cl_latent_pack_request_t;
static inline qlr_link_status_t qlr_cl_latent_pack_request_decode(const qlr_frame_t *req, qlr_cl_latent_pack_request_t *r,
                                                                 qlr_link_reply_t *reply)
{
    if (req->len != 20u) {
        reply->message = "CL_LATENT_PACK takes 20 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->codes = qlr_link_get_u32(p + 0u);
    r->rows = qlr_link_get_u32(p + 4u);
    r->elements = qlr_link_get_u32(p + 8u);
    r->out = qlr_link_get_u32(p + 12u);
    r->bits = p[16u];
    if (p[17] != 0u || p[18] != 0u || p[19] != 0u) {
        reply->message = "CL_LATENT_PACK: reserved bytes 17..19 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    return QLR_LINK_OK;
}
#define QLR_CL_LATENT_PACK_REPLY_SIZE 12u
typedef struct {
    uint32_t row_bytes; /* ceil(elements * bits / 8) */
    uint64_t counter;
} qlr_cl_latent_pack_reply_t;
static inline size_t qlr_cl_latent_pack_reply_encode(uint8_t *d, const qlr_cl_latent_pack_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->row_bytes);
    qlr_link_put_u64(d + 4u, r->counter);
    return 12u;
}

/* ---- CL_LATENT_UNPACK (0x53): firmware/app/cl/image_commands.c ---- */
#define QLR_CL_LATENT_UNPACK_REQUEST_SIZE 40u
typedef struct {
    uint32_t rows_at; /* L2 offset of the packed rows */
    uint32_t rows;
    uint32_t elements;
    uint32_t out; /* L2 offset of the output */
    uint32_t first; /* mode 1: first element */
    uint32_t count; /* mode 1: elements per row */
    uint32_t scales; /* mode 1: L2 offset of f32 scales */
    uint32_t scale_count; /* 1 or channels */
    uint32_t channels;
    uint8_t bits; /* 1..8 */
    uint8_t mode; /* 0: codes; 1: dequantized f32 */
} qlr_cl_latent_unpack_request_t;
static inline qlr_link_status_t qlr_cl_latent_unpack_request_decode(const qlr_frame_t *req, qlr_cl_latent_unpack_request_t *r,
                                                                   qlr_link_reply_t *reply)
{
    if (req->len != 40u) {
        reply->message = "CL_LATENT_UNPACK takes 40 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->rows_at = qlr_link_get_u32(p + 0u);
    r->rows = qlr_link_get_u32(p + 4u);
    r->elements = qlr_link_get_u32(p + 8u);
    r->out = qlr_link_get_u32(p + 12u);
    r->first = qlr_link_get_u32(p + 16u);
    r->count = qlr_link_get_u32(p + 20u);
    r->scales = qlr_link_get_u32(p + 24u);
    r->scale_count = qlr_link_get_u32(p + 28u);
    r->channels = qlr_link_get_u32(p + 32u);
    r->bits = p[36u];
    r->mode = p[37u];
    if (p[38] != 0u || p[39] != 0u) {
        reply->message = "CL_LATENT_UNPACK: reserved bytes 38..39 must be zero";
        return QLR_LINK_E_ARGUMENT;
    }
    return QLR_LINK_OK;
}
#define QLR_CL_LATENT_UNPACK_REPLY_SIZE 12u
typedef struct {
    uint32_t row_bytes;
    uint64_t counter;
} qlr_cl_latent_unpack_reply_t;
static inline size_t qlr_cl_latent_unpack_reply_encode(uint8_t *d, const qlr_cl_latent_unpack_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->row_bytes);
    qlr_link_put_u64(d + 4u, r->counter);
    return 12u;
}

/* ---- CL_SETUP (0x58): firmware/app/cl/learn_commands.c ---- */
#define QLR_CL_SETUP_REQUEST_SIZE 52u
typedef struct {
    uint32_t plan; /* L3 offset of the memory plan (qlr.cl.plan, written by MEM_WRITE) */
    uint32_t plan_len; /* its length, bytes (<= 8192) */
    float lr;
    float momentum;
    float weight_decay;
    uint32_t rng[4]; /* xoshiro128** state */
    uint32_t filled; /* LR slots filled */
    uint32_t updates;
    uint32_t events;
    uint32_t cores;
} qlr_cl_setup_request_t;
static inline qlr_link_status_t qlr_cl_setup_request_decode(const qlr_frame_t *req, qlr_cl_setup_request_t *r,
                                                           qlr_link_reply_t *reply)
{
    if (req->len != 52u) {
        reply->message = "CL_SETUP takes 52 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->plan = qlr_link_get_u32(p + 0u);
    r->plan_len = qlr_link_get_u32(p + 4u);
    { uint32_t u = qlr_link_get_u32(p + 8u); memcpy(&r->lr, &u, 4u); }
    { uint32_t u = qlr_link_get_u32(p + 12u); memcpy(&r->momentum, &u, 4u); }
    { uint32_t u = qlr_link_get_u32(p + 16u); memcpy(&r->weight_decay, &u, 4u); }
    r->rng[0] = qlr_link_get_u32(p + 20u);
    r->rng[1] = qlr_link_get_u32(p + 24u);
    r->rng[2] = qlr_link_get_u32(p + 28u);
    r->rng[3] = qlr_link_get_u32(p + 32u);
    r->filled = qlr_link_get_u32(p + 36u);
    r->updates = qlr_link_get_u32(p + 40u);
    r->events = qlr_link_get_u32(p + 44u);
    r->cores = qlr_link_get_u32(p + 48u);
    return QLR_LINK_OK;
}
#define QLR_CL_SETUP_REPLY_SIZE 16u
typedef struct {
    uint32_t elems; /* latent elements E */
    uint32_t row_bytes; /* bytes of one LR row */
    uint32_t ub; /* the plan's micro-batch */
    uint32_t classes; /* back-end outputs */
} qlr_cl_setup_reply_t;
static inline size_t qlr_cl_setup_reply_encode(uint8_t *d, const qlr_cl_setup_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->elems);
    qlr_link_put_u32(d + 4u, r->row_bytes);
    qlr_link_put_u32(d + 8u, r->ub);
    qlr_link_put_u32(d + 12u, r->classes);
    return 16u;
}

/* ---- CL_EVENT (0x59): firmware/app/cl/learn_commands.c ---- */
#define QLR_CL_EVENT_REQUEST_SIZE 4u
typedef struct {
    uint32_t count; /* images of the event, 1..the plan's n_new (images and labels are in the plan's buffers) */
} qlr_cl_event_request_t;
static inline qlr_link_status_t qlr_cl_event_request_decode(const qlr_frame_t *req, qlr_cl_event_request_t *r,
                                                           qlr_link_reply_t *reply)
{
    if (req->len != 4u) {
        reply->message = "CL_EVENT takes 4 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->count = qlr_link_get_u32(p + 0u);
    return QLR_LINK_OK;
}
#define QLR_CL_EVENT_REPLY_SIZE 140u
typedef struct {
    uint32_t status; /* qlr_status_t of the event (non-zero: the session is dropped) */
    uint32_t cur;
    uint32_t rep;
    uint32_t iterations;
    uint32_t h; /* latents admitted to the LR memory */
    uint32_t iterations_run;
    uint32_t filled;
    uint32_t updates;
    uint32_t events;
    uint32_t rng[4];
    uint64_t counters[5]; /* front-end, LR load, forward, backward, update */
    uint32_t micro_batches; /* micro-batches run */
    uint64_t rows_l3; /* packed latent row bytes read from L3 */
    uint64_t data_l3; /* image bytes read from and latent row bytes written to L3 */
    uint64_t params_l3_to_l2; /* parameter bytes streamed L3 -> L2 */
    uint64_t params_l2_to_l3; /* parameter bytes streamed L2 -> L3 */
    uint32_t chunks; /* parameter chunks streamed */
    uint64_t tiles; /* L1 tile steps of the back-end's products and depthwise passes */
} qlr_cl_event_reply_t;
static inline size_t qlr_cl_event_reply_encode(uint8_t *d, const qlr_cl_event_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->status);
    qlr_link_put_u32(d + 4u, r->cur);
    qlr_link_put_u32(d + 8u, r->rep);
    qlr_link_put_u32(d + 12u, r->iterations);
    qlr_link_put_u32(d + 16u, r->h);
    qlr_link_put_u32(d + 20u, r->iterations_run);
    qlr_link_put_u32(d + 24u, r->filled);
    qlr_link_put_u32(d + 28u, r->updates);
    qlr_link_put_u32(d + 32u, r->events);
    qlr_link_put_u32(d + 36u, r->rng[0]);
    qlr_link_put_u32(d + 40u, r->rng[1]);
    qlr_link_put_u32(d + 44u, r->rng[2]);
    qlr_link_put_u32(d + 48u, r->rng[3]);
    qlr_link_put_u64(d + 52u, r->counters[0]);
    qlr_link_put_u64(d + 60u, r->counters[1]);
    qlr_link_put_u64(d + 68u, r->counters[2]);
    qlr_link_put_u64(d + 76u, r->counters[3]);
    qlr_link_put_u64(d + 84u, r->counters[4]);
    qlr_link_put_u32(d + 92u, r->micro_batches);
    qlr_link_put_u64(d + 96u, r->rows_l3);
    qlr_link_put_u64(d + 104u, r->data_l3);
    qlr_link_put_u64(d + 112u, r->params_l3_to_l2);
    qlr_link_put_u64(d + 120u, r->params_l2_to_l3);
    qlr_link_put_u32(d + 128u, r->chunks);
    qlr_link_put_u64(d + 132u, r->tiles);
    return 140u;
}

/* ---- CL_EVAL (0x5A): firmware/app/cl/learn_commands.c ---- */
#define QLR_CL_EVAL_REQUEST_SIZE 4u
typedef struct {
    uint32_t count; /* test images, 1..the plan's n_eval (images, labels and predictions are in the plan's buffers) */
} qlr_cl_eval_request_t;
static inline qlr_link_status_t qlr_cl_eval_request_decode(const qlr_frame_t *req, qlr_cl_eval_request_t *r,
                                                          qlr_link_reply_t *reply)
{
    if (req->len != 4u) {
        reply->message = "CL_EVAL takes 4 bytes";
        return QLR_LINK_E_LENGTH;
    }
    const uint8_t *p = req->payload;
    r->count = qlr_link_get_u32(p + 0u);
    return QLR_LINK_OK;
}
#define QLR_CL_EVAL_REPLY_SIZE 24u
typedef struct {
    uint32_t status;
    uint32_t correct;
    uint64_t front; /* front-end counter */
    uint64_t back; /* back-end counter */
} qlr_cl_eval_reply_t;
static inline size_t qlr_cl_eval_reply_encode(uint8_t *d, const qlr_cl_eval_reply_t *r)
{
    qlr_link_put_u32(d + 0u, r->status);
    qlr_link_put_u32(d + 4u, r->correct);
    qlr_link_put_u64(d + 8u, r->front);
    qlr_link_put_u64(d + 16u, r->back);
    return 24u;
}

#endif /* QLR_COMMANDS_H */

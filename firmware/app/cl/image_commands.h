/*
 * Link commands of the continual-learning firmware for the binary image and the int8 front-end
 * (application codes 0x50..0x57). Host side: host/qlr/cl/device/image_frontend.py. All integers
 * little-endian; offsets are relative to the L2 window (the MEM_* window, 64-byte aligned).
 *
 * 0x50 CL_IMAGE_OPEN   u32 offset (multiple of 64), u32 size
 *      Validates the image in place (qlr_image_open: every rule of docs/image-format.md) and
 *      keeps it as the current image. Reply (80 bytes, u32 each): sections, layers, front, back,
 *      in_h, in_w, in_c, latent_h, latent_w, latent_c, latent elements, classes (0: none),
 *      lr_count (0: no LR memory), lr_bits, lr_scale_count, lr_code_max_count (0: none),
 *      lr_row_bytes, batches, front-end scratch bytes (qlr_frontend_scratch_size; 0 when the
 *      image has no runnable front-end), image size.
 *      A rejected image: E_ARGUMENT with the reader's diagnosis, e.g. "section 2 'fe.0.weight'
 *      (FE_WEIGHT, group 0): field 'crc32': does not match the section data"; there is then no
 *      current image.
 *
 * 0x51 CL_FRONTEND     u32 images offset, u32 count, u32 out offset, u32 scratch offset,
 *                      u32 scratch size, u8 cores, u8 q_bits, u8 pack, u8 0
 *      Runs the current image's front-end on `count` images (each in_h*in_w*in_c u8, one after
 *      another) and writes one row per image at out: q_bits 0 = the u8 latent (E bytes);
 *      1..8 = Q-bit codes (m from the image's LR_CODE_MAX, else 255; Q = 8 with m = 255 is the
 *      u8 latent), one byte per code (pack 0, E bytes) or packed (pack 1, ceil(E*Q/8) bytes).
 *      The scratch (64-byte aligned, at least the size CL_IMAGE_OPEN reported for a full team)
 *      must not overlap the image, the images or the output. Reply: u64 counter delta of the
 *      run, u64 counter delta of the preparation (bias folding, before the run).
 *
 * 0x52 CL_LATENT_PACK  u32 codes offset, u32 rows, u32 elements, u32 out offset, u8 bits, 3 x 0
 *      Packs `rows` latents of `elements` one-byte codes into rows of ceil(E*Q/8) bytes.
 *      Reply: u32 row bytes, u64 counter delta. A code >= 2^bits: E_ARGUMENT naming it.
 *
 * 0x53 CL_LATENT_UNPACK u32 rows offset, u32 rows, u32 elements, u32 out offset, u32 first,
 *                      u32 count, u32 scale offset, u32 scale count, u32 channels, u8 bits,
 *                      u8 mode, 2 x 0
 *      mode 0: unpacks every row into `elements` one-byte codes (first = count = 0; a set padding
 *      bit: E_ARGUMENT naming the row). mode 1: dequantizes elements [first, first + count) of
 *      every row into `count` f32 (float(code) * scale[c]; scale count 1 or `channels`, channel
 *      c = element % channels). Reply: u32 row bytes, u64 counter delta.
 */
#ifndef QLR_APP_CL_IMAGE_COMMANDS_H
#define QLR_APP_CL_IMAGE_COMMANDS_H

#include "qlr/image.h"
#include "qlr/link.h"

#define QLR_CMD_CL_IMAGE_OPEN 0x50u
#define QLR_CMD_CL_FRONTEND 0x51u
#define QLR_CMD_CL_LATENT_PACK 0x52u
#define QLR_CMD_CL_LATENT_UNPACK 0x53u

qlr_link_status_t qlr_cmd_cl_image_open(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_frontend(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_latent_pack(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_latent_unpack(const qlr_frame_t *req, qlr_link_reply_t *reply);

/* The image opened by the last successful CL_IMAGE_OPEN, or NULL. */
const qlr_image_t *qlr_cl_image(void);

#endif

/*
 * Link commands of the continual-learning firmware for the binary image and the int8 front-end
 * (application codes 0x50..0x57): CL_IMAGE_OPEN, CL_FRONTEND, CL_LATENT_PACK, CL_LATENT_UNPACK.
 * Codes, payloads and what each does: qlr_commands.h, generated from host/qlr/link/commands.py
 * (docs/commands.md). Host side: host/qlr/cl/device/image_frontend.py.
 */
#ifndef QLR_APP_CL_IMAGE_COMMANDS_H
#define QLR_APP_CL_IMAGE_COMMANDS_H

#include "qlr/image.h"
#include "qlr/link.h"
#include "qlr_commands.h"

qlr_link_status_t qlr_cmd_cl_image_open(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_frontend(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_latent_pack(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_latent_unpack(const qlr_frame_t *req, qlr_link_reply_t *reply);

/* The image opened by the last successful CL_IMAGE_OPEN, or NULL. */
const qlr_image_t *qlr_cl_image(void);

#endif

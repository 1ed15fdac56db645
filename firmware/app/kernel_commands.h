/*
 * Link commands of the command server that run kernels (docs/link-protocol.md, "Kernel ops"):
 * KERNEL_RUN, KERNEL_LIST and MEM_FILL, in the application range 0x40..0x7F.
 */
#ifndef QLR_APP_KERNEL_COMMANDS_H
#define QLR_APP_KERNEL_COMMANDS_H

#include "qlr/link.h"

#define QLR_CMD_KERNEL_RUN 0x40u  /* run an op on tensors in the L2 window */
#define QLR_CMD_KERNEL_LIST 0x41u /* describe the i-th op */
#define QLR_CMD_MEM_FILL 0x42u    /* fill an L2 range with seeded pseudo-random values */

qlr_link_status_t qlr_cmd_kernel_run(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_kernel_list(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_mem_fill(const qlr_frame_t *req, qlr_link_reply_t *reply);

#endif

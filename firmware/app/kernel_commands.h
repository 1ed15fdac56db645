/*
 * Link commands of the command server that run kernels: KERNEL_RUN, KERNEL_LIST, MEM_FILL and L3_BENCH, in
 * the application range 0x40..0x7F. Codes and payloads: qlr_commands.h (docs/commands.md).
 */
#ifndef QLR_APP_KERNEL_COMMANDS_H
#define QLR_APP_KERNEL_COMMANDS_H

#include "qlr/link.h"
#include "qlr_commands.h"

qlr_link_status_t qlr_cmd_kernel_run(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_kernel_list(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_mem_fill(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_l3_bench(const qlr_frame_t *req, qlr_link_reply_t *reply);

#endif

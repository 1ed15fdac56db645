/*
 * Link commands of the continual-learning firmware that run learning events (codes 0x58..0x5F):
 * CL_SETUP, CL_EVENT, CL_EVAL. Codes, payloads and what each does: qlr_commands.h, generated from
 * host/qlr/link/commands.py (docs/commands.md). Host side: host/qlr/cl/device/backend.py.
 */
#ifndef QLR_APP_CL_LEARN_COMMANDS_H
#define QLR_APP_CL_LEARN_COMMANDS_H

#include "qlr/link.h"
#include "qlr_commands.h"

qlr_link_status_t qlr_cmd_cl_setup(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_event(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_eval(const qlr_frame_t *req, qlr_link_reply_t *reply);

#define QLR_LEARN_COMMANDS                             \
    {.cmd = QLR_CMD_CL_SETUP, .fn = qlr_cmd_cl_setup}, \
    {.cmd = QLR_CMD_CL_EVENT, .fn = qlr_cmd_cl_event}, \
    {.cmd = QLR_CMD_CL_EVAL, .fn = qlr_cmd_cl_eval}

#endif

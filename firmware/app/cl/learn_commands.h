/*
 * Link commands of the continual-learning firmware that run learning events (codes 0x58..0x5F;
 * wire formats in docs/cl-protocol.md "Device commands"; host side host/qlr/cl/device/backend.py).
 */
#ifndef QLR_APP_CL_LEARN_COMMANDS_H
#define QLR_APP_CL_LEARN_COMMANDS_H

#include "qlr/link.h"

#define QLR_CMD_CL_SETUP 0x58u /* configure a session on the open image; lay out L2 and L3 */
#define QLR_CMD_CL_EVENT 0x59u /* one learning event on images in L2 */
#define QLR_CMD_CL_EVAL 0x5Au  /* accuracy on test images in L3 */

qlr_link_status_t qlr_cmd_cl_setup(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_event(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_cl_eval(const qlr_frame_t *req, qlr_link_reply_t *reply);

#define QLR_LEARN_COMMANDS                                                                        \
    {QLR_CMD_CL_SETUP, qlr_cmd_cl_setup}, {QLR_CMD_CL_EVENT, qlr_cmd_cl_event},                   \
        {QLR_CMD_CL_EVAL, qlr_cmd_cl_eval}

#endif

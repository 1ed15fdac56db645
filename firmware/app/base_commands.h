/*
 * The base link commands (base_commands.c), shared by the command server and the
 * continual-learning firmware. QLR_BASE_COMMANDS expands to their table entries.
 */
#ifndef QLR_APP_BASE_COMMANDS_H
#define QLR_APP_BASE_COMMANDS_H

#include "qlr/link.h"
#include "qlr_commands.h"

qlr_link_status_t qlr_cmd_ping(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_info(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_exit(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_mem_write(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_mem_read(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_mem_crc(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_mem_load(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_mem_store(const qlr_frame_t *req, qlr_link_reply_t *reply);
qlr_link_status_t qlr_cmd_selftest(const qlr_frame_t *req, qlr_link_reply_t *reply);

#define QLR_BASE_COMMANDS                                     \
    {.cmd = QLR_CMD_PING, .fn = qlr_cmd_ping},           \
    {.cmd = QLR_CMD_INFO, .fn = qlr_cmd_info},           \
    {.cmd = QLR_CMD_EXIT, .fn = qlr_cmd_exit},           \
    {.cmd = QLR_CMD_MEM_WRITE, .fn = qlr_cmd_mem_write}, \
    {.cmd = QLR_CMD_MEM_READ, .fn = qlr_cmd_mem_read},   \
    {.cmd = QLR_CMD_MEM_CRC, .fn = qlr_cmd_mem_crc},     \
    {.cmd = QLR_CMD_MEM_LOAD, .fn = qlr_cmd_mem_load},   \
    {.cmd = QLR_CMD_MEM_STORE, .fn = qlr_cmd_mem_store}, \
    {.cmd = QLR_CMD_SELFTEST, .fn = qlr_cmd_selftest}

/* Serves `cmds` until EXIT or the channel closes; prints the banner and the end; never returns
 * when EXIT asked for a status (qlr_exit), returns 0 when the host closed the link. */
int qlr_serve_commands(const char *who, const qlr_link_command_t *cmds, size_t ncmds);

#endif

/*
 * The command server: the firmware the host talks to over the link (docs/link-protocol.md).
 * Serves the base commands (base_commands.c) and the kernel ops (kernel_commands.c) until the
 * host sends EXIT or closes the channel.
 */
#include "base_commands.h"
#include "kernel_commands.h"
#include "qlr/runtime.h"

static const qlr_link_command_t commands[] = {
    QLR_BASE_COMMANDS,
    {.cmd = QLR_CMD_KERNEL_RUN, .fn = qlr_cmd_kernel_run},
    {.cmd = QLR_CMD_KERNEL_LIST, .fn = qlr_cmd_kernel_list},
    {.cmd = QLR_CMD_MEM_FILL, .fn = qlr_cmd_mem_fill},
    {.cmd = QLR_CMD_L3_BENCH, .fn = qlr_cmd_l3_bench},
};

int qlr_app_main(void)
{
    return qlr_serve_commands("qlr-server", commands, sizeof commands / sizeof commands[0]);
}

/*
 * The continual-learning firmware (cl.elf): the base link commands, the image and front-end
 * commands (app/cl/image_commands.h, 0x50..0x57) and the learning-session commands
 * (app/cl/learn_commands.h, 0x58..0x6F), served until the host sends EXIT or closes the link.
 * One table entry per line: add a command by adding its line.
 */
#include "base_commands.h"
#include "cl/image_commands.h"
#include "cl/learn_commands.h"
#include "qlr/runtime.h"

static const qlr_link_command_t commands[] = {
    QLR_BASE_COMMANDS,
    {.cmd = QLR_CMD_CL_IMAGE_OPEN, .fn = qlr_cmd_cl_image_open},
    {.cmd = QLR_CMD_CL_FRONTEND, .fn = qlr_cmd_cl_frontend},
    {.cmd = QLR_CMD_CL_LATENT_PACK, .fn = qlr_cmd_cl_latent_pack},
    {.cmd = QLR_CMD_CL_LATENT_UNPACK, .fn = qlr_cmd_cl_latent_unpack},
    QLR_LEARN_COMMANDS,
};

int qlr_app_main(void)
{
    qlr_board_info_t info;
    qlr_board_info(&info);
    qlr_printf("qlr-cl on %s (%s): %u worker cores, L2 window %u B\n", info.board, info.platform, info.team_max,
               (unsigned)info.l2_size);
    return qlr_serve_commands("qlr-cl", commands, sizeof commands / sizeof commands[0]);
}

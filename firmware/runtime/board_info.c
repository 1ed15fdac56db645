/* The board description, the same way on every platform: names from the board file, the
 * team size and the free memory from the runtime itself. */
#include "qlr/runtime.h"
#include "qlr_board_config.h"

void qlr_board_info(qlr_board_info_t *info)
{
    info->board = QLR_BOARD_NAME;
    info->platform = QLR_PLATFORM_NAME;
    info->team_max = qlr_team_max();
    info->l1_size = (uint32_t)qlr_mem_region(QLR_MEM_L1).size;
    info->l2_size = (uint32_t)qlr_mem_region(QLR_MEM_L2).size;
    info->l3_size = (uint32_t)qlr_mem_region(QLR_MEM_L3).size;
}

/* The free parts of L1 and L2 on boards whose linker script places code, data and stacks
 * (every board but host): from the end of what the linker placed to the end of the region. */
#include "qlr_board_config.h"

#ifndef QLR_PLATFORM_HOST
#include "qlr/runtime.h"

extern char __l1_free_start[], __qlr_l1_end[], __l2_free_start[], __qlr_l2_end[];

qlr_mem_region_t qlr_mem_region(qlr_mem_level_t level)
{
    qlr_mem_region_t r = {0};
    switch (level) {
    case QLR_MEM_L1: r.base = (uintptr_t)__l1_free_start; r.size = (size_t)(__qlr_l1_end - __l1_free_start); break;
    case QLR_MEM_L2: r.base = (uintptr_t)__l2_free_start; r.size = (size_t)(__qlr_l2_end - __l2_free_start); break;
    case QLR_MEM_L3: r.base = 0; r.size = QLR_L3_SIZE; break;
    }
    return r;
}
#endif

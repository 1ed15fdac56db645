/* The L2 and L3 windows of the link commands (window.h). */
#include "window.h"

int qlr_window_holds(qlr_mem_level_t level, uint32_t off, uint64_t bytes)
{
    size_t size = qlr_mem_region(level).size;
    return (size_t)off <= size && bytes <= (uint64_t)(size - (size_t)off);
}

uint8_t *qlr_l2_at(uint32_t off)
{
    return (uint8_t *)qlr_mem_region(QLR_MEM_L2).base + off;
}

uint32_t qlr_l2_offset(const void *p)
{
    return (uint32_t)((uintptr_t)p - qlr_mem_region(QLR_MEM_L2).base);
}

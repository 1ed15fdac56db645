/* L3 for platforms where it is memory mapped (PSRAM, a RAM region standing in for HyperRAM,
 * a host buffer): bounds-checked copies by the calling core. */
#include "qlr_board_config.h"

#ifndef QLR_PLATFORM_PULP /* pulp-open's HyperRAM sits behind the uDMA: platform/pulp/l3_hyper.c */
#include "qlr/runtime.h"
#include "../runtime/platform_hooks.h"

static int l3_range_ok(uint32_t off, size_t bytes)
{
    size_t size = qlr_platform_l3_size();
    return off <= size && bytes <= size - off;
}

int qlr_l3_read_async(qlr_copy_t *job, void *dst, uint32_t off, size_t bytes)
{
    (void)job;
    if (!l3_range_ok(off, bytes))
        return -1;
#ifdef QLR_FAULT_L3_SHORT_READ
    if (bytes > 0)
        bytes--; /* fault injected on purpose (scons fault=l3): the last byte is not read */
#endif
    qlr_cpu_copy_1d(dst, qlr_platform_l3_base() + off, bytes);
    return 0;
}

int qlr_l3_write_async(qlr_copy_t *job, uint32_t off, const void *src, size_t bytes)
{
    (void)job;
    if (!l3_range_ok(off, bytes))
        return -1;
    qlr_cpu_copy_1d(qlr_platform_l3_base() + off, src, bytes);
    return 0;
}
#endif

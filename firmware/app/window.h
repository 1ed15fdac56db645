/*
 * The memory windows the host addresses by offset (docs/commands.md): level L2 is the free L2
 * that qlr_mem_region(QLR_MEM_L2) reports (offset 0 is its base), level L3 the L3 region reached
 * through qlr_l3_read/write. Every command checks its ranges here, once.
 */
#ifndef QLR_APP_WINDOW_H
#define QLR_APP_WINDOW_H

#include <stdint.h>

#include "qlr/runtime.h"

/* 1 when [off, off + bytes) lies inside the level's window, else 0. Overflow-safe: `bytes` may
 * be a 64-bit product of request fields. */
int qlr_window_holds(qlr_mem_level_t level, uint32_t off, uint64_t bytes);

/* The address of an offset of the L2 window (check the range with qlr_window_holds first). */
uint8_t *qlr_l2_at(uint32_t off);

/* The L2 window offset of an address inside it. */
uint32_t qlr_l2_offset(const void *p);

#endif

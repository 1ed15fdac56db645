/* The runtime on a single Cortex-M4F core: the team is the controller itself, copies and L3
 * are done by the CPU, the counter is SysTick extended to 64 bits. */
#include "qlr/runtime.h"
#include "../../runtime/platform_hooks.h"
#include "qlr_board_config.h"
#include "stm32_platform.h"

#ifndef QLR_COUNTER_SCALE
#define QLR_COUNTER_SCALE 1u
#endif


unsigned qlr_team_max(void) { return 1; }
unsigned qlr_core_id(void) { return 0; }
unsigned qlr_core_count(void) { return 1; }

void qlr_team_fork(unsigned ncores, qlr_task_fn fn, void *arg)
{
    (void)ncores;
    fn(arg);
}

void qlr_team_barrier(void) {}

uint8_t *qlr_platform_l3_base(void) { return (uint8_t *)QLR_L3_BASE; }
size_t qlr_platform_l3_size(void) { return QLR_L3_SIZE; }

uint64_t qlr_counter(void) { return qlr_stm32_ticks() * QLR_COUNTER_SCALE; }
const char *qlr_counter_unit(void) { return QLR_COUNTER_UNIT; }

int qlr_link_read(void *buf, size_t max, int timeout_ms)
{
    return qlr_stm32_uart_read((uint8_t *)buf, max, timeout_ms);
}

void qlr_link_write(const void *buf, size_t len) { qlr_stm32_uart_write((const uint8_t *)buf, len); }

void qlr_exit(int status) { qlr_stm32_board_exit(status); }


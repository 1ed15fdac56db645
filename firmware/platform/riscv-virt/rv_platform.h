/* Internal interfaces of the riscv-virt platform. */
#ifndef QLR_RV_PLATFORM_H
#define QLR_RV_PLATFORM_H

#include <stdint.h>

void qlr_rv_team_init(unsigned workers);
void qlr_rv_worker_main(unsigned hart);
void qlr_rv_controller_main(const void *fdt);
void qlr_rv_exception(uint32_t mcause, uint32_t mepc, uint32_t mtval);
/* Number of `cpu@N` nodes under /cpus in a flattened device tree, or 0 if it is not one. */
unsigned qlr_fdt_count_cpus(const void *fdt);

#endif

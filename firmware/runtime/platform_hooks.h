/*
 * What the portable runtime (firmware/runtime/) needs from a platform, and the helpers it offers
 * to platforms. Only runtime and platform code include this; kernels and apps use runtime.h.
 */
#ifndef QLR_PLATFORM_HOOKS_H
#define QLR_PLATFORM_HOOKS_H

#include <stddef.h>
#include <stdint.h>

/* ---- implemented by each platform ---- */

/* Writes n bytes of console text (no newline translation). */
void qlr_console_write(const char *s, size_t n);
/* Where L3 lives in the address space, and how much of it the application may use. Platforms
 * whose L3 is not memory mapped (HyperRAM behind a uDMA) implement qlr_l3_*_async themselves
 * and do not link l3_mapped.c. */
uint8_t *qlr_platform_l3_base(void);
size_t qlr_platform_l3_size(void);

/* ---- implemented by the runtime for the platforms ---- */

/* Byte-exact copies done by the calling core (platforms without a DMA engine use these). */
void qlr_cpu_copy_1d(void *dst, const void *src, size_t bytes);
void qlr_cpu_copy_2d(void *dst, const void *src, size_t row_bytes, size_t rows, size_t dst_stride,
                     size_t src_stride);

#endif

/* Copies done by the calling core, for platforms without a DMA engine (and DMA fallbacks). */
#include <string.h>

#include "../runtime/platform_hooks.h"

void qlr_cpu_copy_1d(void *dst, const void *src, size_t bytes)
{
#ifdef QLR_FAULT_COPY_DROP_BYTE
    /* Fault injected on purpose (scons fault=copy): the last byte is not copied. */
    if (bytes > 0)
        bytes--;
#endif
    memcpy(dst, src, bytes);
}

void qlr_cpu_copy_2d(void *dst, const void *src, size_t row_bytes, size_t rows, size_t dst_stride,
                     size_t src_stride)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    for (size_t r = 0; r < rows; r++)
        qlr_cpu_copy_1d(d + r * dst_stride, s + r * src_stride, row_bytes);
}

/* The runtime's copy API for boards without a DMA engine: the copy is done when it starts. */
#include "qlr_board_config.h"
#ifndef QLR_HAS_DMA
#include "qlr/runtime.h"

void qlr_copy_1d(qlr_copy_t *job, void *dst, const void *src, size_t bytes)
{
    (void)job;
    qlr_cpu_copy_1d(dst, src, bytes);
}

void qlr_copy_2d(qlr_copy_t *job, void *dst, const void *src, size_t row_bytes, size_t rows,
                 size_t dst_stride, size_t src_stride)
{
    (void)job;
    qlr_cpu_copy_2d(dst, src, row_bytes, rows, dst_stride, src_stride);
}

void qlr_copy_wait(qlr_copy_t *job) { job->pending = 0; }
#endif

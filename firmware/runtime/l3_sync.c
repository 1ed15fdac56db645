/* Synchronous L3 access on top of the platform's asynchronous one. */
#include "qlr/runtime.h"

int qlr_l3_read(void *dst, uint32_t off, size_t bytes)
{
    qlr_copy_t job = {0};
    int rc = qlr_l3_read_async(&job, dst, off, bytes);
    qlr_copy_wait(&job);
    return rc;
}

int qlr_l3_write(uint32_t off, const void *src, size_t bytes)
{
    qlr_copy_t job = {0};
    int rc = qlr_l3_write_async(&job, off, src, bytes);
    qlr_copy_wait(&job);
    return rc;
}

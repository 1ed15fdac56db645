/* A real board has no host file channel: MEM_LOAD answers E_UNSUPPORTED and the host sends
 * the bytes over the link (qlr/runtime.h). */
#include <stddef.h>
#include <stdint.h>

#include "qlr/runtime.h"

int qlr_host_file_open(const char *name, uint32_t pos)
{
    (void)name;
    (void)pos;
    return -1;
}

long qlr_host_file_read(int handle, void *dst, size_t n)
{
    (void)handle;
    (void)dst;
    (void)n;
    return -1L;
}

void qlr_host_file_close(int handle) { (void)handle; }

int qlr_host_file_create(const char *name)
{
    (void)name;
    return -1;
}

int qlr_host_file_write(int handle, const void *src, size_t n)
{
    (void)handle;
    (void)src;
    (void)n;
    return -1;
}
